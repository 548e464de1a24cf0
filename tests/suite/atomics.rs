//! Atomics: every checker atomic type and method behaves as its std
//! counterpart (values, wrapping, invalid orderings), statics start every
//! execution from their initial value, `&mut` access (`get_mut`,
//! `into_inner`, `with_mut`) sees and sets the model's value, and the
//! exploration of racing atomics sees exactly the outcomes an interleaving
//! can produce.

use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic as sa;

use checker::model::{Builder, Coverage, FailureKind, Outcome, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{self as ca, Ordering};
use checker::thread;
use checker_tests::outcomes;

use Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Orderings valid for a load (and for `fetch_update`'s fetch ordering).
const LOADS: [Ordering; 3] = [Relaxed, Acquire, SeqCst];
/// Orderings valid for a store.
const STORES: [Ordering; 3] = [Relaxed, Release, SeqCst];
/// Orderings valid for a read-modify-write.
const RMWS: [Ordering; 5] = [Relaxed, Release, Acquire, AcqRel, SeqCst];
/// Every valid (success, failure) pair of a compare-exchange, failure
/// stronger than success included (allowed since Rust 1.64).
const CAS: [(Ordering, Ordering); 15] = [
    (Relaxed, Relaxed),
    (Relaxed, Acquire),
    (Relaxed, SeqCst),
    (Release, Relaxed),
    (Release, Acquire),
    (Release, SeqCst),
    (Acquire, Relaxed),
    (Acquire, Acquire),
    (Acquire, SeqCst),
    (AcqRel, Relaxed),
    (AcqRel, Acquire),
    (AcqRel, SeqCst),
    (SeqCst, Relaxed),
    (SeqCst, Acquire),
    (SeqCst, SeqCst),
];

/// The orderings the `i`-th case of a conformance sweep uses, so that every
/// valid ordering (and ordering pair) is exercised across the sweep.
#[derive(Copy, Clone)]
struct Orders {
    load: Ordering,
    store: Ordering,
    rmw: Ordering,
    success: Ordering,
    failure: Ordering,
}

fn orders(i: usize) -> Orders {
    let (success, failure) = CAS[i % CAS.len()];
    Orders {
        load: LOADS[i % LOADS.len()],
        store: STORES[(i / 3) % STORES.len()],
        rmw: RMWS[i % RMWS.len()],
        success,
        failure,
    }
}

/// Runs a single-threaded model body and asserts it passed: one execution,
/// verified exhaustively. A failed assertion inside `body` fails here with
/// checker's report.
fn run_single(body: impl Fn() + Send + Sync + 'static) -> Outcome {
    let mut builder = Builder::new();
    // The conformance sweeps take tens of thousands of steps in one execution.
    builder.max_branches = 2_000_000;
    let outcome = builder.run(body).expect("a valid configuration");
    if let Some(report) = &outcome.failure {
        panic!("the model failed:\n{report}");
    }
    assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Exhaustive));
    assert_eq!(outcome.executions, 1, "a single-threaded model has one execution");
    outcome
}

/// Asserts an exploration passed, exhaustively.
fn assert_verified(outcome: &Outcome) {
    if let Some(report) = &outcome.failure {
        panic!("the model failed:\n{report}");
    }
    assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Exhaustive));
}

/// A compare-exchange that std allows to fail spuriously, retried until it
/// fails for a real reason (the value differs from `current`) or succeeds.
fn without_spurious_failures<T: PartialEq + Copy>(
    current: T,
    mut cas: impl FnMut() -> Result<T, T>,
) -> Result<T, T> {
    loop {
        match cas() {
            Err(found) if found == current => continue,
            result => return result,
        }
    }
}

/// The message of the panic `f` raises (std's side of the comparison).
fn std_panic_message(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("std panics here");
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        panic!("std panicked with a payload that is not a string")
    }
}

/// Runs `body` as a model that must panic; returns the report's first line
/// (`main panicked at <location>:`) and the panic message.
fn checker_panic(body: impl Fn() + Send + Sync + 'static) -> (String, String) {
    let outcome = Builder::new().run(body).expect("a valid configuration");
    assert_eq!(outcome.verdict, Verdict::Failed, "the model panics");
    let report = outcome.failure.expect("a failing model has a report");
    assert_eq!(report.kind(), FailureKind::Panic);
    let (head, message) =
        report.message().split_once('\n').expect("a panic report has a header and a message");
    (head.to_string(), message.to_string())
}

/// Asserts that the checker operation panics with exactly std's message for
/// the same operation, and that the report blames the caller's line in this
/// file (not checker's internals).
fn assert_same_panic(
    what: &str,
    checker_op: impl Fn() + Send + Sync + 'static,
    std_op: impl FnOnce(),
) {
    let expected = std_panic_message(std_op);
    let (head, message) = checker_panic(checker_op);
    assert_eq!(message, expected, "{what}: checker's panic message differs from std's");
    assert!(
        head.starts_with("main panicked at ") && head.contains(file!()),
        "{what}: the report should blame the caller in {}, got {head:?}",
        file!()
    );
}

// ---------------------------------------------------------------------------
// 1. Conformance with std, every type and every method
// ---------------------------------------------------------------------------

/// For each `method`, from a fresh `a` on both sides: `method(b)` returns the
/// same previous value and leaves the same value.
macro_rules! same_rmw {
    ($c:ident, $s:ident, $a:expr, $b:expr, $o:expr; $($method:ident),+ $(,)?) => {$(
        $c.store($a, $o.store);
        $s.store($a, $o.store);
        assert_eq!(
            $c.$method($b, $o.rmw),
            $s.$method($b, $o.rmw),
            "{}({:?}) from {:?}: previous value",
            stringify!($method), $b, $a
        );
        assert_eq!(
            $c.load($o.load),
            $s.load($o.load),
            "{}({:?}) from {:?}: value afterwards",
            stringify!($method), $b, $a
        );
    )+};
}

/// compare_exchange, compare_exchange_weak and compare_and_swap of
/// `expected -> new` from a fresh `a` on both sides: same result, same value.
macro_rules! same_cas {
    ($c:ident, $s:ident, $a:expr, $expected:expr, $new:expr, $o:expr) => {{
        let (a, expected, new, o) = ($a, $expected, $new, $o);
        $c.store(a, o.store);
        $s.store(a, o.store);
        assert_eq!(
            $c.compare_exchange(expected, new, o.success, o.failure),
            $s.compare_exchange(expected, new, o.success, o.failure),
            "compare_exchange({expected:?}, {new:?}) on {a:?}"
        );
        assert_eq!($c.load(o.load), $s.load(o.load), "after compare_exchange on {a:?}");

        $c.store(a, o.store);
        $s.store(a, o.store);
        assert_eq!(
            without_spurious_failures(expected, || $c
                .compare_exchange_weak(expected, new, o.success, o.failure)),
            without_spurious_failures(expected, || $s
                .compare_exchange_weak(expected, new, o.success, o.failure)),
            "compare_exchange_weak({expected:?}, {new:?}) on {a:?}"
        );
        assert_eq!($c.load(o.load), $s.load(o.load), "after compare_exchange_weak on {a:?}");

        $c.store(a, o.store);
        $s.store(a, o.store);
        #[allow(deprecated)]
        let (from_checker, from_std) =
            ($c.compare_and_swap(expected, new, o.rmw), $s.compare_and_swap(expected, new, o.rmw));
        assert_eq!(from_checker, from_std, "compare_and_swap({expected:?}, {new:?}) on {a:?}");
        assert_eq!($c.load(o.load), $s.load(o.load), "after compare_and_swap on {a:?}");
    }};
}

/// fetch_update with `f` from a fresh `a` on both sides: same result, same
/// number of calls of `f`, same value afterwards.
macro_rules! same_fetch_update {
    ($c:ident, $s:ident, $a:expr, $o:expr, $f:expr, $what:expr) => {{
        let (a, o, f) = ($a, $o, $f);
        $c.store(a, o.store);
        $s.store(a, o.store);
        let (mut calls_c, mut calls_s) = (0, 0);
        let from_checker = $c.fetch_update(o.rmw, o.load, |x| {
            calls_c += 1;
            f(x)
        });
        let from_std = $s.fetch_update(o.rmw, o.load, |x| {
            calls_s += 1;
            f(x)
        });
        assert_eq!(from_checker, from_std, "fetch_update({}) on {a:?}", $what);
        assert_eq!(calls_c, calls_s, "fetch_update({}) on {a:?}: calls of f", $what);
        assert_eq!($c.load(o.load), $s.load(o.load), "after fetch_update({}) on {a:?}", $what);
    }};
}

/// `AtomicPtr`'s pointer arithmetic and address bit operations from a fresh
/// `a`: checker's method against std's `AtomicPtr` updated as std documents
/// the method (`fetch_ptr_add(n)` is `fetch_update` with
/// `p.wrapping_add(n)`, ...). std's own methods are stable only since Rust
/// 1.91, after the workspace's `rust-version`.
macro_rules! same_ptr_rmw {
    ($c:ident, $s:ident, $a:expr, $n:expr, $o:expr;
     $($method:ident: $p:ident => $std:expr),+ $(,)?) => {$(
        $c.store($a, $o.store);
        $s.store($a, $o.store);
        let from_checker = $c.$method($n, $o.rmw);
        let from_std = $s.fetch_update(SeqCst, SeqCst, |$p| Some($std)).unwrap();
        assert_eq!(
            from_checker,
            from_std,
            "{}({:?}) from {:?}: previous value",
            stringify!($method), $n, $a
        );
        assert_eq!(
            $c.load($o.load),
            $s.load($o.load),
            "{}({:?}) from {:?}: value afterwards",
            stringify!($method), $n, $a
        );
    )+};
}

/// Each call in turn on the same pair of atomics, never reset: same result
/// every step, same value after every step.
macro_rules! same_chain {
    ($c:ident, $s:ident, $a:expr, $b:expr, $o:expr; $($method:ident($($arg:expr),*)),+ $(,)?) => {$(
        assert_eq!(
            $c.$method($($arg),*, $o.rmw),
            $s.$method($($arg),*, $o.rmw),
            "chain from a = {:?}, b = {:?}: {}",
            $a, $b, stringify!($method($($arg),*))
        );
        assert_eq!(
            $c.load($o.load),
            $s.load($o.load),
            "chain from a = {:?}, b = {:?}: value after {}",
            $a, $b, stringify!($method($($arg),*))
        );
    )+};
}

/// Edge values of an integer type: 0, 1, -1 / MAX, MIN, values next to the
/// wrapping points, the sign boundary, and bit patterns for and/or/xor/nand.
macro_rules! int_edges {
    ($prim:ty) => {{
        let zero: $prim = 0;
        [
            zero,
            1,
            2,
            7,
            zero.wrapping_sub(1),
            <$prim>::MAX,
            <$prim>::MAX - 1,
            <$prim>::MIN,
            <$prim>::MIN.wrapping_add(1),
            <$prim>::MAX / 2,
            (<$prim>::MAX / 2).wrapping_add(1),
            <$prim>::from_ne_bytes([0x55; size_of::<$prim>()]),
            <$prim>::from_ne_bytes([0xAA; size_of::<$prim>()]),
            <$prim>::from_ne_bytes([0x0F; size_of::<$prim>()]),
        ]
    }};
}

macro_rules! int_conformance {
    ($($test:ident: $prim:ty, $atomic:ident;)+) => {$(
        #[test]
        fn $test() {
            run_single(|| {
                let edges = int_edges!($prim);
                let mut i = 0;
                for &a in &edges {
                    for &b in &edges {
                        i += 1;
                        let o = orders(i);

                        // new, load, store.
                        let c = ca::$atomic::new(a);
                        let s = sa::$atomic::new(a);
                        assert_eq!(c.load(o.load), s.load(o.load), "new({a:?})");
                        c.store(b, o.store);
                        s.store(b, o.store);
                        assert_eq!(c.load(o.load), s.load(o.load), "store({b:?})");

                        // Every read-modify-write.
                        same_rmw!(c, s, a, b, o;
                            swap, fetch_add, fetch_sub, fetch_and, fetch_nand,
                            fetch_or, fetch_xor, fetch_max, fetch_min);

                        // Compare-exchanges that succeed, and that fail
                        // (unless a == b).
                        same_cas!(c, s, a, a, b, o);
                        same_cas!(c, s, a, b, a, o);
                        same_cas!(c, s, a, a.wrapping_add(1), b, o);

                        // fetch_update: an update, a refusal, a conditional one.
                        same_fetch_update!(c, s, a, o,
                            |x: $prim| Some(x.wrapping_mul(3).wrapping_add(b)), "3x + b");
                        same_fetch_update!(c, s, a, o, |_: $prim| None::<$prim>, "None");
                        same_fetch_update!(c, s, a, o,
                            |x: $prim| (x != b).then_some(b), "b unless x == b");

                        // Debug shows the current value, flags included.
                        c.fetch_add(b, o.rmw);
                        s.fetch_add(b, o.rmw);
                        assert_eq!(format!("{c:?}"), format!("{s:?}"), "Debug");
                        assert_eq!(format!("{c:#x?}"), format!("{s:#x?}"), "Debug with {{:#x?}}");

                        // get_mut / with_mut / into_inner see the value the
                        // model holds, and write what the next load sees.
                        let (mut c, mut s) = (c, s);
                        assert_eq!(*c.get_mut(), *s.get_mut(), "get_mut reads");
                        *c.get_mut() = b;
                        *s.get_mut() = b;
                        assert_eq!(c.load(o.load), s.load(o.load), "load after get_mut");
                        c.fetch_sub(a, o.rmw);
                        s.fetch_sub(a, o.rmw);
                        let from_checker = c.with_mut(|v| {
                            let old = *v;
                            *v = v.wrapping_mul(5);
                            old
                        });
                        let from_std = {
                            let v = s.get_mut();
                            let old = *v;
                            *v = v.wrapping_mul(5);
                            old
                        };
                        assert_eq!(from_checker, from_std, "with_mut reads");
                        assert_eq!(c.load(o.load), s.load(o.load), "load after with_mut");
                        c.fetch_xor(a, o.rmw);
                        s.fetch_xor(a, o.rmw);
                        assert_eq!(c.into_inner(), s.into_inner(), "into_inner");

                        // A chained sequence with no reset in between: the
                        // results of wrapping arithmetic feed comparisons,
                        // max/min and compare-exchanges.
                        let c = ca::$atomic::new(a);
                        let s = sa::$atomic::new(a);
                        same_chain!(c, s, a, b, o;
                            fetch_add(b), fetch_max(a), fetch_add(b), fetch_min(a),
                            fetch_sub(b), fetch_nand(a), fetch_max(b), fetch_add(<$prim>::MAX),
                            fetch_xor(b), fetch_min(b), fetch_sub(<$prim>::MIN), fetch_max(0),
                            fetch_or(a), fetch_add(1), fetch_min(0), fetch_and(b));
                        let current = s.load(SeqCst);
                        assert_eq!(
                            c.compare_exchange(current, a.wrapping_add(b), o.success, o.failure),
                            s.compare_exchange(current, a.wrapping_add(b), o.success, o.failure),
                            "chain from a = {a:?}, b = {b:?}: compare_exchange({current:?}, a + b)"
                        );
                        same_chain!(c, s, a, b, o; fetch_add(a), fetch_max(a));
                        let current = s.load(SeqCst);
                        assert_eq!(
                            without_spurious_failures(current, || c.compare_exchange_weak(
                                current, b, o.success, o.failure)),
                            without_spurious_failures(current, || s.compare_exchange_weak(
                                current, b, o.success, o.failure)),
                            "chain from a = {a:?}, b = {b:?}: compare_exchange_weak({current:?}, {b:?})"
                        );
                        same_chain!(c, s, a, b, o;
                            fetch_sub(a), fetch_min(a), fetch_add(b));
                        assert_eq!(
                            c.fetch_update(o.rmw, o.load, |x| Some(x.wrapping_sub(b))),
                            s.fetch_update(o.rmw, o.load, |x| Some(x.wrapping_sub(b))),
                            "chain from a = {a:?}, b = {b:?}: fetch_update(x - b)"
                        );
                        assert_eq!(format!("{c:?}"), format!("{s:?}"), "chain: Debug");
                        assert_eq!(c.into_inner(), s.into_inner(), "chain: into_inner");

                        // From.
                        assert_eq!(
                            ca::$atomic::from(a).load(o.load),
                            sa::$atomic::from(a).load(o.load),
                            "From<{}>", stringify!($prim)
                        );
                    }
                }
                // Default.
                assert_eq!(
                    ca::$atomic::default().load(SeqCst),
                    sa::$atomic::default().load(SeqCst),
                    "Default"
                );
                assert_eq!(ca::$atomic::default().into_inner(), 0, "Default is 0");
            });
        }
    )+};
}

int_conformance! {
    atomic_u8_matches_std_for_every_method_and_edge_value: u8, AtomicU8;
    atomic_u16_matches_std_for_every_method_and_edge_value: u16, AtomicU16;
    atomic_u32_matches_std_for_every_method_and_edge_value: u32, AtomicU32;
    atomic_u64_matches_std_for_every_method_and_edge_value: u64, AtomicU64;
    atomic_usize_matches_std_for_every_method_and_edge_value: usize, AtomicUsize;
    atomic_i8_matches_std_for_every_method_and_edge_value: i8, AtomicI8;
    atomic_i16_matches_std_for_every_method_and_edge_value: i16, AtomicI16;
    atomic_i32_matches_std_for_every_method_and_edge_value: i32, AtomicI32;
    atomic_i64_matches_std_for_every_method_and_edge_value: i64, AtomicI64;
    atomic_isize_matches_std_for_every_method_and_edge_value: isize, AtomicIsize;
}

#[test]
fn atomic_bool_matches_std_for_every_method_and_value() {
    run_single(|| {
        // Every pair of values, enough times round for every ordering (pair).
        let cases = [false, true].into_iter().flat_map(|a| [(a, false), (a, true)]);
        for (i, (a, b)) in cases.cycle().take(4 * CAS.len()).enumerate() {
            let o = orders(i);

            let c = ca::AtomicBool::new(a);
            let s = sa::AtomicBool::new(a);
            assert_eq!(c.load(o.load), s.load(o.load), "new({a})");
            c.store(b, o.store);
            s.store(b, o.store);
            assert_eq!(c.load(o.load), s.load(o.load), "store({b})");

            same_rmw!(c, s, a, b, o; swap, fetch_and, fetch_nand, fetch_or, fetch_xor);

            c.store(a, o.store);
            s.store(a, o.store);
            assert_eq!(c.fetch_not(o.rmw), s.fetch_not(o.rmw), "fetch_not from {a}");
            assert_eq!(c.load(o.load), s.load(o.load), "after fetch_not from {a}");

            same_cas!(c, s, a, a, b, o);
            same_cas!(c, s, a, b, a, o);
            same_cas!(c, s, a, !a, b, o);

            same_fetch_update!(c, s, a, o, |x: bool| Some(x ^ !b), "x ^ !b");
            same_fetch_update!(c, s, a, o, |_: bool| None::<bool>, "None");
            same_fetch_update!(c, s, a, o, |x: bool| (x != b).then_some(b), "b unless x == b");

            c.fetch_xor(b, o.rmw);
            s.fetch_xor(b, o.rmw);
            assert_eq!(format!("{c:?}"), format!("{s:?}"), "Debug");

            let (mut c, mut s) = (c, s);
            assert_eq!(*c.get_mut(), *s.get_mut(), "get_mut reads");
            *c.get_mut() = b;
            *s.get_mut() = b;
            assert_eq!(c.load(o.load), s.load(o.load), "load after get_mut");
            c.fetch_not(o.rmw);
            s.fetch_not(o.rmw);
            let from_checker = c.with_mut(|v| std::mem::replace(v, !*v));
            let from_std = {
                let v = s.get_mut();
                std::mem::replace(v, !*v)
            };
            assert_eq!(from_checker, from_std, "with_mut reads");
            assert_eq!(c.load(o.load), s.load(o.load), "load after with_mut");
            c.fetch_xor(a, o.rmw);
            s.fetch_xor(a, o.rmw);
            assert_eq!(c.into_inner(), s.into_inner(), "into_inner");

            assert_eq!(
                ca::AtomicBool::from(a).load(o.load),
                sa::AtomicBool::from(a).load(o.load),
                "From<bool>"
            );
        }
        assert_eq!(ca::AtomicBool::default().load(SeqCst), sa::AtomicBool::default().load(SeqCst));
        assert!(!ca::AtomicBool::default().into_inner(), "Default is false");
    });
}

#[test]
fn atomic_ptr_matches_std_for_every_method_and_edge_pointer() {
    run_single(|| {
        let mut array = [0u64; 4];
        let base: *mut u64 = array.as_mut_ptr();
        let null = std::ptr::null_mut::<u64>();
        let pointers = [
            null,
            base,
            base.wrapping_add(1),
            base.wrapping_add(3),
            // Misaligned, and at the very top of the address space.
            base.wrapping_byte_add(1),
            null.wrapping_byte_sub(1),
            null.wrapping_byte_sub(8),
        ];
        let offsets = [0usize, 1, 3, 8, usize::MAX, usize::MAX / 2 + 1, 0b111];
        let mut i = 0;
        for &a in &pointers {
            for &b in &pointers {
                i += 1;
                let o = orders(i);

                let c = ca::AtomicPtr::new(a);
                let s = sa::AtomicPtr::new(a);
                assert_eq!(c.load(o.load), s.load(o.load), "new({a:?})");
                c.store(b, o.store);
                s.store(b, o.store);
                assert_eq!(c.load(o.load), s.load(o.load), "store({b:?})");

                same_rmw!(c, s, a, b, o; swap);

                same_cas!(c, s, a, a, b, o);
                same_cas!(c, s, a, b, a, o);
                same_cas!(c, s, a, a.wrapping_add(1), b, o);

                same_fetch_update!(c, s, a, o, |x: *mut u64| Some(x.wrapping_add(2)), "x + 2");
                same_fetch_update!(c, s, a, o, |_: *mut u64| None::<*mut u64>, "None");
                same_fetch_update!(
                    c,
                    s,
                    a,
                    o,
                    |x: *mut u64| (x != b).then_some(b),
                    "b unless x == b"
                );

                // Pointer arithmetic and address bit operations, wrapping.
                for &n in &offsets {
                    same_ptr_rmw!(c, s, a, n, o;
                        fetch_ptr_add: p => p.wrapping_add(n),
                        fetch_ptr_sub: p => p.wrapping_sub(n),
                        fetch_byte_add: p => p.wrapping_byte_add(n),
                        fetch_byte_sub: p => p.wrapping_byte_sub(n),
                        fetch_or: p => p.map_addr(|addr| addr | n),
                        fetch_and: p => p.map_addr(|addr| addr & n),
                        fetch_xor: p => p.map_addr(|addr| addr ^ n),
                    );
                }

                c.swap(b.wrapping_byte_add(24), o.rmw);
                s.swap(b.wrapping_byte_add(24), o.rmw);
                assert_eq!(format!("{c:?}"), format!("{s:?}"), "Debug");

                let (mut c, mut s) = (c, s);
                assert_eq!(*c.get_mut(), *s.get_mut(), "get_mut reads");
                *c.get_mut() = b;
                *s.get_mut() = b;
                assert_eq!(c.load(o.load), s.load(o.load), "load after get_mut");
                c.fetch_ptr_add(1, o.rmw);
                s.fetch_update(SeqCst, SeqCst, |p| Some(p.wrapping_add(1))).unwrap();
                let from_checker = c.with_mut(|p| std::mem::replace(p, p.wrapping_sub(2)));
                let from_std = {
                    let p = s.get_mut();
                    std::mem::replace(p, p.wrapping_sub(2))
                };
                assert_eq!(from_checker, from_std, "with_mut reads");
                assert_eq!(c.load(o.load), s.load(o.load), "load after with_mut");
                c.swap(a, o.rmw);
                s.swap(a, o.rmw);
                assert_eq!(c.into_inner(), s.into_inner(), "into_inner");

                assert_eq!(
                    ca::AtomicPtr::from(a).load(o.load),
                    sa::AtomicPtr::from(a).load(o.load),
                    "From<*mut T>"
                );
            }
        }
        assert_eq!(
            ca::AtomicPtr::<u64>::default().load(SeqCst),
            sa::AtomicPtr::<u64>::default().load(SeqCst)
        );
        assert!(ca::AtomicPtr::<u64>::default().into_inner().is_null(), "Default is null");
    });
}

#[test]
fn every_atomic_type_is_send_sync_unpin_and_unwind_safe_like_std() {
    // A compile-time check: this test fails to build if a checker type loses
    // an auto trait its std counterpart has.
    fn like_std<T: Send + Sync + Unpin + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    like_std::<ca::AtomicBool>();
    like_std::<ca::AtomicU8>();
    like_std::<ca::AtomicU16>();
    like_std::<ca::AtomicU32>();
    like_std::<ca::AtomicU64>();
    like_std::<ca::AtomicUsize>();
    like_std::<ca::AtomicI8>();
    like_std::<ca::AtomicI16>();
    like_std::<ca::AtomicI32>();
    like_std::<ca::AtomicI64>();
    like_std::<ca::AtomicIsize>();
    // std's AtomicPtr<T> is Send + Sync whatever T is.
    like_std::<sa::AtomicPtr<std::rc::Rc<u8>>>();
    like_std::<ca::AtomicPtr<std::rc::Rc<u8>>>();
    // And RefUnwindSafe whatever T is (UnwindSafe only when T is RefUnwindSafe).
    fn shared_like_std<T: Send + Sync + Unpin + std::panic::RefUnwindSafe>() {}
    shared_like_std::<sa::AtomicPtr<std::cell::Cell<u8>>>();
    shared_like_std::<ca::AtomicPtr<std::cell::Cell<u8>>>();
}

// ---------------------------------------------------------------------------
// 2. Invalid orderings panic as in std, with std's message
// ---------------------------------------------------------------------------

/// Every invalid ordering of the methods of one atomic type: checker panics
/// with std's message and blames the caller.
macro_rules! invalid_orderings_panic_like_std {
    ($($test:ident: $atomic:ident, $value:expr;)+) => {$(
        #[test]
        #[allow(invalid_atomic_ordering)]
        fn $test() {
            for order in [Release, AcqRel] {
                assert_same_panic(
                    &format!("{}::load({order:?})", stringify!($atomic)),
                    move || {
                        ca::$atomic::new($value).load(order);
                    },
                    || {
                        sa::$atomic::new($value).load(order);
                    },
                );
                // fetch_update's fetch ordering is a load ordering.
                assert_same_panic(
                    &format!("{}::fetch_update(SeqCst, {order:?})", stringify!($atomic)),
                    move || {
                        let _ = ca::$atomic::new($value).fetch_update(SeqCst, order, Some);
                    },
                    || {
                        let _ = sa::$atomic::new($value).fetch_update(SeqCst, order, Some);
                    },
                );
                for success in RMWS {
                    assert_same_panic(
                        &format!(
                            "{}::compare_exchange(_, _, {success:?}, {order:?})",
                            stringify!($atomic)
                        ),
                        move || {
                            let _ = ca::$atomic::new($value)
                                .compare_exchange($value, $value, success, order);
                        },
                        || {
                            let _ = sa::$atomic::new($value)
                                .compare_exchange($value, $value, success, order);
                        },
                    );
                    assert_same_panic(
                        &format!(
                            "{}::compare_exchange_weak(_, _, {success:?}, {order:?})",
                            stringify!($atomic)
                        ),
                        move || {
                            let _ = ca::$atomic::new($value)
                                .compare_exchange_weak($value, $value, success, order);
                        },
                        || {
                            let _ = sa::$atomic::new($value)
                                .compare_exchange_weak($value, $value, success, order);
                        },
                    );
                }
            }
            for order in [Acquire, AcqRel] {
                assert_same_panic(
                    &format!("{}::store({order:?})", stringify!($atomic)),
                    move || ca::$atomic::new($value).store($value, order),
                    || sa::$atomic::new($value).store($value, order),
                );
            }
        }
    )+};
}

invalid_orderings_panic_like_std! {
    atomic_bool_invalid_orderings_panic_with_std_messages: AtomicBool, false;
    atomic_u8_invalid_orderings_panic_with_std_messages: AtomicU8, 0;
    atomic_u16_invalid_orderings_panic_with_std_messages: AtomicU16, 0;
    atomic_u32_invalid_orderings_panic_with_std_messages: AtomicU32, 0;
    atomic_u64_invalid_orderings_panic_with_std_messages: AtomicU64, 0;
    atomic_usize_invalid_orderings_panic_with_std_messages: AtomicUsize, 0;
    atomic_i8_invalid_orderings_panic_with_std_messages: AtomicI8, 0;
    atomic_i16_invalid_orderings_panic_with_std_messages: AtomicI16, 0;
    atomic_i32_invalid_orderings_panic_with_std_messages: AtomicI32, 0;
    atomic_i64_invalid_orderings_panic_with_std_messages: AtomicI64, 0;
    atomic_isize_invalid_orderings_panic_with_std_messages: AtomicIsize, 0;
    atomic_ptr_invalid_orderings_panic_with_std_messages: AtomicPtr, std::ptr::null_mut::<u8>();
}

#[test]
fn compare_exchange_failing_with_an_invalid_failure_ordering_still_panics_like_std() {
    // The check does not depend on the comparison: a compare-exchange that
    // would fail panics too.
    for order in [Release, AcqRel] {
        assert_same_panic(
            &format!("AtomicUsize::compare_exchange(1, 2, SeqCst, {order:?}) on 0"),
            move || {
                let _ = ca::AtomicUsize::new(0).compare_exchange(1, 2, SeqCst, order);
            },
            || {
                let _ = sa::AtomicUsize::new(0).compare_exchange(1, 2, SeqCst, order);
            },
        );
    }
}

#[test]
#[allow(invalid_atomic_ordering)]
fn fence_relaxed_panics_with_std_message() {
    assert_same_panic("fence(Relaxed)", || ca::fence(Relaxed), || sa::fence(Relaxed));
}

#[test]
#[allow(invalid_atomic_ordering)]
fn compiler_fence_relaxed_panics_with_std_message() {
    let expected = std_panic_message(|| sa::compiler_fence(Relaxed));
    let (_, message) = checker_panic(|| ca::compiler_fence(Relaxed));
    assert_eq!(message, expected, "compiler_fence(Relaxed): checker's message differs from std's");
}

#[test]
fn fences_with_valid_orderings_do_not_panic_and_the_model_is_verified() {
    run_single(|| {
        for order in [Acquire, Release, AcqRel, SeqCst] {
            ca::fence(order);
            ca::compiler_fence(order);
        }
    });
}

#[test]
fn compare_and_swap_derives_a_valid_failure_ordering_from_every_ordering() {
    // std derives Release -> Relaxed and AcqRel -> Acquire for the failure
    // side; none of the five orderings may panic, on success or failure.
    run_single(|| {
        for order in RMWS {
            let c = ca::AtomicU32::new(3);
            let (failed, succeeded) =
                (c.compare_and_swap(4, 5, order), c.compare_and_swap(3, 6, order));
            assert_eq!((failed, succeeded), (3, 3), "compare_and_swap with {order:?}");
            assert_eq!(c.load(SeqCst), 6);
        }
    });
}

// ---------------------------------------------------------------------------
// 3. Statics start every execution from their initial value
// ---------------------------------------------------------------------------

static COUNTER: ca::AtomicUsize = ca::AtomicUsize::new(5);

#[test]
fn static_atomic_usize_starts_every_execution_from_its_initial_value() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        assert_eq!(COUNTER.fetch_add(1, SeqCst), 5, "every execution starts from 5");
        let other = thread::spawn(|| COUNTER.fetch_add(1, AcqRel));
        let mine = COUNTER.fetch_add(1, AcqRel);
        let theirs = other.join().unwrap();
        assert_eq!(COUNTER.load(SeqCst), 8);
        rec.record((mine, theirs));
    });
    assert_verified(&outcome);
    assert!(outcome.executions > 1, "two racing threads: {} execution(s)", outcome.executions);
    assert_eq!(seen, BTreeSet::from([(6, 7), (7, 6)]));
}

static SIGNED: ca::AtomicI8 = ca::AtomicI8::new(i8::MIN);
static FLAG: ca::AtomicBool = ca::AtomicBool::new(true);
static POINTER: ca::AtomicPtr<u8> = ca::AtomicPtr::new(std::ptr::null_mut());

#[test]
fn static_bool_i8_and_ptr_atomics_start_every_execution_from_their_initial_values() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let other = thread::spawn(|| {
            let flag = FLAG.swap(false, AcqRel);
            let signed = SIGNED.fetch_sub(1, AcqRel);
            (flag, signed)
        });
        let pointer = POINTER.fetch_byte_add(16, AcqRel);
        let flag = FLAG.fetch_xor(true, AcqRel);
        let signed = SIGNED.fetch_sub(1, AcqRel);
        let (other_flag, other_signed) = other.join().unwrap();
        assert!(pointer.is_null(), "POINTER starts null in every execution");
        assert!(flag || other_flag, "FLAG starts true in every execution");
        assert_eq!(
            BTreeSet::from([signed, other_signed]),
            BTreeSet::from([i8::MIN, i8::MAX]),
            "SIGNED starts at -128 in every execution and wraps"
        );
        assert_eq!(SIGNED.load(SeqCst), i8::MAX - 1);
        assert_eq!(POINTER.load(SeqCst).addr(), 16);
        rec.record((flag, signed));
    });
    assert_verified(&outcome);
    assert!(outcome.executions > 1, "two racing threads: {} execution(s)", outcome.executions);
    // Both threads win each race in some execution.
    assert_eq!(
        seen.iter().map(|&(flag, _)| flag).collect::<BTreeSet<_>>(),
        BTreeSet::from([false, true])
    );
    assert_eq!(
        seen.iter().map(|&(_, signed)| signed).collect::<BTreeSet<_>>(),
        BTreeSet::from([i8::MIN, i8::MAX])
    );
}

/// One static of every type (`new` is `const` for each), with initial
/// values away from zero.
#[allow(clippy::type_complexity)]
static EVERY_TYPE: (
    ca::AtomicBool,
    ca::AtomicU8,
    ca::AtomicU16,
    ca::AtomicU32,
    ca::AtomicU64,
    ca::AtomicUsize,
    ca::AtomicI8,
    ca::AtomicI16,
    ca::AtomicI32,
    ca::AtomicI64,
    ca::AtomicIsize,
    ca::AtomicPtr<u32>,
) = (
    ca::AtomicBool::new(true),
    ca::AtomicU8::new(u8::MAX),
    ca::AtomicU16::new(u16::MAX),
    ca::AtomicU32::new(u32::MAX),
    ca::AtomicU64::new(u64::MAX),
    ca::AtomicUsize::new(usize::MAX),
    ca::AtomicI8::new(i8::MIN),
    ca::AtomicI16::new(i16::MIN),
    ca::AtomicI32::new(i32::MIN),
    ca::AtomicI64::new(i64::MIN),
    ca::AtomicIsize::new(isize::MIN),
    ca::AtomicPtr::new(std::ptr::null_mut()),
);

#[test]
fn static_atomics_of_every_type_start_every_execution_from_their_initial_values() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let all = &EVERY_TYPE;
        // Each thread changes every static; the first to touch one sees its
        // initial value, in every execution.
        let other = thread::spawn(|| {
            let all = &EVERY_TYPE;
            all.0.fetch_not(AcqRel);
            all.1.fetch_add(1, AcqRel);
            all.6.fetch_sub(1, AcqRel);
            all.11.fetch_ptr_add(1, AcqRel);
        });
        let firsts = (
            all.0.swap(false, AcqRel),
            all.1.swap(0, AcqRel),
            all.2.fetch_add(1, AcqRel),
            all.3.fetch_add(1, AcqRel),
            all.4.fetch_add(1, AcqRel),
            all.5.fetch_add(1, AcqRel),
            all.6.swap(0, AcqRel),
            all.7.fetch_sub(1, AcqRel),
            all.8.fetch_sub(1, AcqRel),
            all.9.fetch_sub(1, AcqRel),
            all.10.fetch_sub(1, AcqRel),
            all.11.swap(std::ptr::null_mut::<u32>().wrapping_add(2), AcqRel).addr(),
        );
        other.join().unwrap();
        assert_eq!(
            (all.2.load(SeqCst), all.7.load(SeqCst), all.11.load(SeqCst).addr() % 4),
            (0, i16::MAX, 0),
            "the other statics wrap from their initial values"
        );
        rec.record(firsts);
    });
    assert_verified(&outcome);
    assert!(outcome.executions > 1, "two racing threads: {} execution(s)", outcome.executions);
    // main's swaps see either the initial value or the other thread's change.
    let initial = (
        true,
        u8::MAX,
        u16::MAX,
        u32::MAX,
        u64::MAX,
        usize::MAX,
        i8::MIN,
        i16::MIN,
        i32::MIN,
        i64::MIN,
        isize::MIN,
        0,
    );
    assert!(seen.contains(&initial), "main first on every static: {seen:?}");
    for firsts in &seen {
        assert_eq!(
            (firsts.2, firsts.3, firsts.4, firsts.5, firsts.7, firsts.8, firsts.9, firsts.10),
            (u16::MAX, u32::MAX, u64::MAX, usize::MAX, i16::MIN, i32::MIN, i64::MIN, isize::MIN),
            "statics only main touches start from their initial values in every execution"
        );
        assert!([u8::MAX, 0].contains(&firsts.1), "AtomicU8: {}", firsts.1);
        assert!([i8::MIN, i8::MAX].contains(&firsts.6), "AtomicI8: {}", firsts.6);
        assert!([0, 4].contains(&firsts.11), "AtomicPtr: {:#x}", firsts.11);
    }
    let other_first =
        seen.iter().filter(|f| !f.0 && f.1 == 0 && f.6 == i8::MAX && f.11 == 4).count();
    assert!(other_first > 0, "the other thread first on every static: {seen:?}");
}

static SHARED_BY_MODELS: ca::AtomicU32 = ca::AtomicU32::new(40);

#[test]
fn static_atomic_shared_by_concurrent_models_starts_each_execution_from_its_initial_value() {
    // Four models on four OS threads, started together, share one static.
    let start = std::sync::Arc::new(std::sync::Barrier::new(4));
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                outcomes(&Builder::new(), |rec| {
                    let other = thread::spawn(|| SHARED_BY_MODELS.fetch_add(1, AcqRel));
                    let mine = SHARED_BY_MODELS.fetch_add(1, AcqRel);
                    thread::yield_now();
                    let theirs = other.join().unwrap();
                    rec.record((mine, theirs, SHARED_BY_MODELS.load(SeqCst)));
                })
            })
        })
        .collect();
    for run in runs {
        let (outcome, seen) = run.join().expect("the model run itself does not panic");
        assert_verified(&outcome);
        assert!(outcome.executions > 1);
        assert_eq!(seen, BTreeSet::from([(40, 41, 42), (41, 40, 42)]));
    }
}

/// A static atomic whose value is changed through `&mut` (the static is a
/// std `Mutex` around it, which is how a static hands out `&mut`).
static GUARDED: std::sync::Mutex<ca::AtomicUsize> = std::sync::Mutex::new(ca::AtomicUsize::new(5));

#[test]
fn static_atomic_written_through_get_mut_starts_every_execution_from_its_initial_value() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let initial = {
            // No model step is taken while the std mutex is held.
            let mut guard = GUARDED.lock().unwrap();
            let initial = *guard.get_mut();
            *guard.get_mut() = initial + 100;
            initial
        };
        rec.record(initial);
        // Several executions: two threads race on a local atomic.
        let local = Arc::new(ca::AtomicUsize::new(0));
        let other = {
            let local = local.clone();
            thread::spawn(move || local.fetch_add(1, AcqRel))
        };
        local.fetch_add(1, AcqRel);
        other.join().unwrap();
    });
    assert_verified(&outcome);
    assert!(outcome.executions > 1, "two racing threads: {} execution(s)", outcome.executions);
    assert_eq!(
        seen,
        BTreeSet::from([5]),
        "every execution should see the static's initial value 5, as it does after store()"
    );
}

#[test]
fn atomic_captured_by_the_model_closure_starts_every_execution_from_its_initial_value() {
    let captured = ca::AtomicU16::new(u16::MAX);
    let (outcome, seen) = outcomes(&Builder::new(), move |rec| {
        let first = captured.fetch_add(1, SeqCst);
        let local = Arc::new(ca::AtomicUsize::new(0));
        let other = {
            let local = local.clone();
            thread::spawn(move || local.swap(1, AcqRel))
        };
        local.swap(2, AcqRel);
        other.join().unwrap();
        rec.record(first);
    });
    assert_verified(&outcome);
    assert!(outcome.executions > 1, "two racing threads: {} execution(s)", outcome.executions);
    assert_eq!(seen, BTreeSet::from([u16::MAX]));
}

// ---------------------------------------------------------------------------
// 4. get_mut / into_inner / with_mut inside a model
// ---------------------------------------------------------------------------

#[test]
fn value_written_through_get_mut_is_what_the_next_load_sees() {
    run_single(|| {
        let mut a = ca::AtomicUsize::new(1);
        a.store(2, SeqCst);
        assert_eq!(*a.get_mut(), 2, "get_mut reads the stored value");
        *a.get_mut() = 7;
        assert_eq!(a.load(Acquire), 7, "the load sees the get_mut write");
        assert_eq!(a.fetch_add(1, AcqRel), 7);
        assert_eq!(*a.get_mut(), 8, "get_mut sees the fetch_add");
        *a.get_mut() += 10;
        *a.get_mut() *= 2;
        assert_eq!(a.swap(0, SeqCst), 36, "consecutive get_mut writes accumulate");
        *a.get_mut() = 3;
        assert_eq!(a.into_inner(), 3, "into_inner sees a get_mut write with no access since");
    });
}

#[test]
fn into_inner_returns_the_latest_stored_value() {
    run_single(|| {
        let a = ca::AtomicI32::new(-1);
        a.store(10, Release);
        a.fetch_sub(25, AcqRel);
        assert_eq!(a.into_inner(), -15);

        let b = ca::AtomicBool::new(false);
        b.fetch_not(SeqCst);
        assert!(b.into_inner());

        let mut slots = [0u8; 2];
        let p = ca::AtomicPtr::new(slots.as_mut_ptr());
        p.fetch_ptr_add(1, SeqCst);
        assert_eq!(p.into_inner(), slots.as_mut_ptr().wrapping_add(1));

        // Moved after use: the value travels with it.
        let c = ca::AtomicU64::new(0);
        c.store(u64::MAX, SeqCst);
        let moved = Box::new(c);
        moved.fetch_sub(1, SeqCst);
        assert_eq!(moved.into_inner(), u64::MAX - 1);
    });
}

#[test]
fn with_mut_reads_and_writes_the_model_value() {
    run_single(|| {
        let mut a = ca::AtomicI16::new(i16::MAX);
        a.fetch_add(1, SeqCst);
        let seen = a.with_mut(|v| {
            let seen = *v;
            *v = v.wrapping_neg().wrapping_sub(1);
            seen
        });
        assert_eq!(seen, i16::MIN, "with_mut sees the wrapped fetch_add");
        assert_eq!(a.load(SeqCst), i16::MAX, "the next load sees the with_mut write");

        let mut p = ca::AtomicPtr::new(std::ptr::null_mut::<u32>());
        p.with_mut(|p| *p = p.wrapping_add(4));
        assert_eq!(p.load(SeqCst).addr(), 16);

        let mut b = ca::AtomicBool::new(true);
        b.with_mut(|b| *b = false);
        assert!(!b.swap(true, SeqCst));
        assert!(b.with_mut(|b| *b));
    });
}

#[test]
fn into_inner_after_join_returns_the_value_the_joined_thread_stored() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let shared = Arc::new(ca::AtomicUsize::new(0));
        let writer = {
            let shared = shared.clone();
            thread::spawn(move || shared.store(1, Release))
        };
        shared.store(2, Release);
        writer.join().unwrap();
        let atomic = Arc::try_unwrap(shared).unwrap_or_else(|_| panic!("the only handle"));
        rec.record(atomic.into_inner());
    });
    assert_verified(&outcome);
    // Either store may come last; into_inner returns the last one.
    assert_eq!(seen, BTreeSet::from([1, 2]));
}

#[test]
fn get_mut_through_arc_after_join_sees_the_joined_threads_store() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let mut shared = Arc::new(ca::AtomicU8::new(0));
        let writer = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.fetch_sub(1, AcqRel);
            })
        };
        writer.join().unwrap();
        let atomic = Arc::get_mut(&mut shared).expect("the thread's handle is gone after join");
        let value = *atomic.get_mut();
        *atomic.get_mut() = 9;
        assert_eq!(shared.load(Acquire), 9);
        rec.record(value);
    });
    assert_verified(&outcome);
    assert_eq!(seen, BTreeSet::from([u8::MAX]));
}

#[test]
fn atomic_moved_into_a_thread_and_back_keeps_the_threads_stores() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let other = Arc::new(ca::AtomicUsize::new(0));
        let mut owned = ca::AtomicI64::new(-5);
        *owned.get_mut() = -6;
        let worker = {
            let other = other.clone();
            thread::spawn(move || {
                owned.fetch_add(other.swap(1, AcqRel) as i64 + 10, AcqRel);
                owned
            })
        };
        let before = other.swap(2, AcqRel);
        let owned = worker.join().unwrap();
        rec.record((before, owned.into_inner()));
    });
    assert_verified(&outcome);
    // The worker adds 10, plus 2 when main's swap came first.
    assert_eq!(seen, BTreeSet::from([(0, 6), (1, 4)]));
}

// ---------------------------------------------------------------------------
// 5. Exhaustiveness on atomics
// ---------------------------------------------------------------------------

#[test]
fn racing_fetch_adds_see_exactly_both_orders() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let x = Arc::new(ca::AtomicUsize::new(0));
        let t1 = {
            let x = x.clone();
            thread::spawn(move || x.fetch_add(1, Relaxed))
        };
        let t2 = {
            let x = x.clone();
            thread::spawn(move || x.fetch_add(1, Relaxed))
        };
        let got = (t1.join().unwrap(), t2.join().unwrap());
        assert_eq!(x.load(Relaxed), 2, "no increment is lost");
        rec.record(got);
    });
    assert_verified(&outcome);
    assert_eq!(seen, BTreeSet::from([(0, 1), (1, 0)]));
}

#[test]
fn load_racing_a_store_sees_exactly_the_old_and_the_new_value() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let x = Arc::new(ca::AtomicUsize::new(0));
        let t1 = {
            let x = x.clone();
            thread::spawn(move || x.store(1, Release))
        };
        let t2 = {
            let x = x.clone();
            thread::spawn(move || x.load(Acquire))
        };
        t1.join().unwrap();
        rec.record(t2.join().unwrap());
    });
    assert_verified(&outcome);
    assert_eq!(seen, BTreeSet::from([0, 1]));
}

#[test]
fn racing_compare_exchanges_have_one_winner_each_execution_and_both_win_somewhere() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let x = Arc::new(ca::AtomicUsize::new(0));
        let contenders: Vec<_> = [1, 2]
            .into_iter()
            .map(|id| {
                let x = x.clone();
                thread::spawn(move || x.compare_exchange(0, id, AcqRel, Acquire).is_ok())
            })
            .collect();
        let won: Vec<bool> = contenders.into_iter().map(|h| h.join().unwrap()).collect();
        let winner = x.load(Acquire);
        assert_eq!(won.iter().filter(|&&w| w).count(), 1, "exactly one winner: {won:?}");
        assert!(won[winner - 1], "the stored id is the winner's");
        rec.record(winner);
    });
    assert_verified(&outcome);
    assert_eq!(seen, BTreeSet::from([1, 2]));
}

#[test]
fn fetch_update_under_contention_retries_and_loses_no_update() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let x = Arc::new(ca::AtomicU32::new(0));
        let updaters: Vec<_> = (0..2)
            .map(|_| {
                let x = x.clone();
                thread::spawn(move || {
                    let mut calls = 0;
                    x.fetch_update(AcqRel, Acquire, |v| {
                        calls += 1;
                        Some(v + 1)
                    })
                    .unwrap();
                    calls
                })
            })
            .collect();
        let calls: u32 = updaters.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(x.load(Acquire), 2, "no update is lost");
        rec.record(calls);
    });
    assert_verified(&outcome);
    // Uncontended (2 calls in all) and retried after losing the race (3).
    assert_eq!(seen, BTreeSet::from([2, 3]));
}

#[test]
fn racing_swaps_on_atomic_bool_see_exactly_both_orders() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let flag = Arc::new(ca::AtomicBool::new(false));
        let other = {
            let flag = flag.clone();
            thread::spawn(move || flag.swap(true, AcqRel))
        };
        let mine = flag.swap(true, AcqRel);
        let theirs = other.join().unwrap();
        rec.record((mine, theirs));
    });
    assert_verified(&outcome);
    assert_eq!(seen, BTreeSet::from([(false, true), (true, false)]));
}

// ---------------------------------------------------------------------------
// 6. Signed and narrow widths wrap exactly as std
// ---------------------------------------------------------------------------

#[test]
fn atomic_i8_fetch_add_at_max_wraps_to_min() {
    run_single(|| {
        let c = ca::AtomicI8::new(i8::MAX);
        let s = sa::AtomicI8::new(i8::MAX);
        assert_eq!(c.fetch_add(1, SeqCst), 127);
        assert_eq!(c.load(SeqCst), -128);
        assert_eq!(s.fetch_add(1, SeqCst), 127);
        assert_eq!(s.load(SeqCst), -128, "std agrees");
        assert_eq!(c.fetch_sub(1, SeqCst), -128);
        assert_eq!(c.load(SeqCst), 127, "and back down");
    });
}

#[test]
fn atomic_u8_fetch_sub_at_zero_wraps_to_max() {
    run_single(|| {
        let c = ca::AtomicU8::new(0);
        let s = sa::AtomicU8::new(0);
        assert_eq!(c.fetch_sub(1, SeqCst), 0);
        assert_eq!(c.load(SeqCst), 255);
        assert_eq!(s.fetch_sub(1, SeqCst), 0);
        assert_eq!(s.load(SeqCst), 255, "std agrees");
        assert_eq!(c.fetch_add(1, SeqCst), 255);
        assert_eq!(c.load(SeqCst), 0, "and back up");
    });
}

#[test]
fn every_narrow_and_signed_width_wraps_at_its_own_bounds() {
    macro_rules! wraps {
        ($($atomic:ident: $prim:ty),+) => {$(
            let c = ca::$atomic::new(<$prim>::MAX);
            assert_eq!(c.fetch_add(1, SeqCst), <$prim>::MAX);
            assert_eq!(c.load(SeqCst), <$prim>::MIN, "{}: MAX + 1", stringify!($atomic));
            assert_eq!(c.fetch_sub(1, SeqCst), <$prim>::MIN);
            assert_eq!(c.load(SeqCst), <$prim>::MAX, "{}: MIN - 1", stringify!($atomic));
            c.store(<$prim>::MAX, SeqCst);
            c.fetch_add(<$prim>::MAX, SeqCst);
            assert_eq!(
                c.load(SeqCst),
                <$prim>::MAX.wrapping_add(<$prim>::MAX),
                "{}: MAX + MAX",
                stringify!($atomic)
            );
        )+};
    }
    run_single(|| {
        wraps!(
            AtomicU8: u8, AtomicU16: u16, AtomicU32: u32, AtomicU64: u64, AtomicUsize: usize,
            AtomicI8: i8, AtomicI16: i16, AtomicI32: i32, AtomicI64: i64, AtomicIsize: isize
        );
    });
}

#[test]
fn fetch_max_and_fetch_min_compare_signed_types_as_signed_and_unsigned_as_unsigned() {
    macro_rules! max_min {
        ($signed:ident: $s:ty, $unsigned:ident: $u:ty) => {{
            // Same bits on both sides: -1 / MAX against 3.
            let s = ca::$signed::new(-1);
            assert_eq!(s.fetch_max(3, SeqCst), -1);
            assert_eq!(s.load(SeqCst), 3, "{}: max(-1, 3)", stringify!($signed));
            s.store(-1, SeqCst);
            assert_eq!(s.fetch_min(3, SeqCst), -1);
            assert_eq!(s.load(SeqCst), -1, "{}: min(-1, 3)", stringify!($signed));
            s.store(<$s>::MIN, SeqCst);
            assert_eq!(s.fetch_max(-1, SeqCst), <$s>::MIN);
            assert_eq!(s.load(SeqCst), -1, "{}: max(MIN, -1)", stringify!($signed));
            assert_eq!(s.fetch_min(<$s>::MIN, SeqCst), -1);
            assert_eq!(s.load(SeqCst), <$s>::MIN, "{}: min(-1, MIN)", stringify!($signed));
            s.store(<$s>::MAX, SeqCst);
            assert_eq!(s.fetch_min(<$s>::MIN, SeqCst), <$s>::MAX);
            assert_eq!(s.load(SeqCst), <$s>::MIN, "{}: min(MAX, MIN)", stringify!($signed));

            let u = ca::$unsigned::new(<$u>::MAX);
            assert_eq!(u.fetch_max(3, SeqCst), <$u>::MAX);
            assert_eq!(u.load(SeqCst), <$u>::MAX, "{}: max(MAX, 3)", stringify!($unsigned));
            assert_eq!(u.fetch_min(3, SeqCst), <$u>::MAX);
            assert_eq!(u.load(SeqCst), 3, "{}: min(MAX, 3)", stringify!($unsigned));
            // The sign bit alone: the most negative signed, a large unsigned.
            let top = <$u>::MAX / 2 + 1;
            assert_eq!(u.fetch_max(top, SeqCst), 3);
            assert_eq!(u.load(SeqCst), top, "{}: max(3, 2^(n-1))", stringify!($unsigned));
            s.store(3, SeqCst);
            assert_eq!(s.fetch_max(<$s>::MIN, SeqCst), 3);
            assert_eq!(s.load(SeqCst), 3, "{}: max(3, MIN)", stringify!($signed));

            // std agrees on the same sequence's key steps.
            let ss = sa::$signed::new(-1);
            ss.fetch_max(3, SeqCst);
            assert_eq!(ss.load(SeqCst), 3);
            let su = sa::$unsigned::new(<$u>::MAX);
            su.fetch_max(3, SeqCst);
            assert_eq!(su.load(SeqCst), <$u>::MAX);
        }};
    }
    run_single(|| {
        max_min!(AtomicI8: i8, AtomicU8: u8);
        max_min!(AtomicI16: i16, AtomicU16: u16);
        max_min!(AtomicI32: i32, AtomicU32: u32);
        max_min!(AtomicI64: i64, AtomicU64: u64);
        max_min!(AtomicIsize: isize, AtomicUsize: usize);
    });
}
