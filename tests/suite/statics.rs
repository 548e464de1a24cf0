//! `lazy_static!` and `thread_local!`: a static starts uninitialised in
//! every execution and is dropped at its end, and a thread that uses one
//! after the model body returned (the program is exiting) is reported; a
//! thread local has one value per thread, destroyed when its thread ends.
//! And a thread still blocked when the model body returns is reported.

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};

use checker::alloc::Track;
use checker::model::{Builder, FailureKind, StrategyKind};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::thread;

use crate::cells::{expect_failure, expect_verified};

static INITS: StdAtomicUsize = StdAtomicUsize::new(0);
static DROPS: StdAtomicUsize = StdAtomicUsize::new(0);

struct Counted(AtomicUsize);

impl Drop for Counted {
    fn drop(&mut self) {
        DROPS.fetch_add(1, StdOrdering::SeqCst);
    }
}

checker::lazy_static! {
    static ref COUNTER: Counted = {
        INITS.fetch_add(1, StdOrdering::SeqCst);
        Counted(AtomicUsize::new(0))
    };
    /// A Track: a leak unless the static is dropped before the leak check.
    pub(crate) static ref TRACKED: Track<u32> = Track::new(5);
}

#[test]
fn a_lazy_static_starts_anew_in_every_execution_and_is_dropped_at_its_end() {
    let outcome = expect_verified(|| {
        let h = thread::spawn(|| COUNTER.0.fetch_add(1, Ordering::SeqCst));
        let mine = COUNTER.0.fetch_add(1, Ordering::SeqCst);
        let theirs = h.join().unwrap();
        // Fresh in every execution: the two increments see 0 and 1.
        assert_eq!(mine + theirs, 1);
        assert_eq!(*TRACKED.get_ref(), 5);
    });
    assert!(outcome.executions >= 2);
    assert_eq!(INITS.load(StdOrdering::SeqCst) as u64, outcome.executions);
    assert_eq!(DROPS.load(StdOrdering::SeqCst) as u64, outcome.executions);
}

#[test]
fn a_lazy_static_used_outside_a_model_panics_clearly() {
    checker::lazy_static! {
        static ref OUTSIDE: u32 = 1;
    }
    let panic = std::panic::catch_unwind(|| *OUTSIDE).expect_err("it panics");
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("");
    assert!(message.contains("lazy_static was used outside checker::model"), "{message}");
}

#[test]
fn a_panicking_lazy_static_destructor_is_reported() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("static bomb");
        }
    }
    checker::lazy_static! {
        static ref BOMB: Bomb = Bomb;
    }
    let report = expect_failure(FailureKind::Panic, || {
        let _ = &*BOMB;
    });
    assert!(report.message().starts_with("a lazy static's destructor panicked"), "{report}");
    assert!(report.message().contains("static bomb"), "{report}");
}

/// Sets its flag when destroyed: a step, on the thread that ends.
struct Flag(Arc<AtomicUsize>);

impl Drop for Flag {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

checker::thread_local! {
    static ID: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    static FLAG: std::cell::RefCell<Option<Flag>> = std::cell::RefCell::new(None);
    static TRACK: Track<u8> = Track::new(0);
}

#[test]
fn thread_locals_are_per_thread_and_destroyed_when_the_thread_ends() {
    expect_verified(|| {
        let destroyed = Arc::new(AtomicUsize::new(0));
        ID.with(|id| id.set(10));
        let d = destroyed.clone();
        let h = thread::spawn(move || {
            assert_eq!(ID.with(|id| id.get()), 0, "a fresh value in a new thread");
            ID.with(|id| id.set(20));
            FLAG.with(|f| *f.borrow_mut() = Some(Flag(d)));
            TRACK.with(|t| assert_eq!(*t.get_ref(), 0));
            ID.with(|id| id.get())
        });
        assert_eq!(h.join().unwrap(), 20);
        // The thread's values were destroyed before the join returned.
        assert_eq!(destroyed.load(Ordering::SeqCst), 1);
        assert_eq!(ID.with(|id| id.get()), 10);
    });
}

#[test]
fn a_thread_local_is_gone_while_its_thread_destroys_its_values() {
    struct Probe;
    impl Drop for Probe {
        fn drop(&mut self) {
            SEEN.fetch_add(1, StdOrdering::SeqCst);
            assert!(ID.try_with(|_| ()).is_err(), "no access during destruction");
        }
    }
    static SEEN: StdAtomicUsize = StdAtomicUsize::new(0);
    checker::thread_local! {
        static PROBE: Probe = Probe;
    }
    let outcome = expect_verified(|| {
        thread::spawn(|| PROBE.with(|_| ())).join().unwrap();
    });
    assert_eq!(SEEN.load(StdOrdering::SeqCst) as u64, outcome.executions);
}

#[test]
fn a_thread_parked_forever_after_the_model_returns_is_reported() {
    let report = expect_failure(FailureKind::LeftBlocked, || {
        drop(thread::spawn(|| thread::park()));
    });
    let message = report.message();
    assert!(message.contains("the model body returned"), "{report}");
    assert!(message.contains("thread 1 is parked with no unpark to come"), "{report}");
    assert!(message.contains("tests/suite/statics.rs:"), "{report}");
}

#[test]
fn a_blocked_thread_is_reported_before_any_leak() {
    // The thread holds an Arc and blocks; the report is about the thread.
    let mut builder = Builder::new();
    builder.max_permutations = Some(100);
    let outcome = builder
        .run(|| {
            let shared = Arc::new(checker::sync::Mutex::new(()));
            let guard = shared.lock().unwrap();
            let other = shared.clone();
            drop(thread::spawn(move || drop(other.lock().unwrap())));
            std::mem::forget(guard);
        })
        .expect("a valid configuration");
    let report = outcome.failure.expect("a failure");
    assert_eq!(report.kind(), FailureKind::LeftBlocked, "{report}");
    assert!(report.message().contains("thread 1 waits to lock Mutex#"), "{report}");
}

checker::lazy_static! {
    static ref EVENTS: checker::sync::Mutex<Vec<&'static str>> =
        checker::sync::Mutex::new(Vec::new());
}

/// A background thread whose handle is dropped logs to a lazy static. The
/// program exits when the body returns, without waiting for it: its use
/// of the static may come after that.
fn log_in_the_background() {
    drop(thread::spawn(|| EVENTS.lock().unwrap().push("background")));
    EVENTS.lock().unwrap().push("main");
}

#[test]
fn a_lazy_static_used_after_the_model_body_returned_is_reported() {
    for strategy in [StrategyKind::Dpor, StrategyKind::Dfs] {
        let mut builder = Builder::new();
        builder.strategy(strategy);
        let report = checker_tests::expect_bug(&builder, FailureKind::Panic, log_in_the_background);
        let message = report.message();
        assert!(message.contains("thread 1 panicked at tests/suite/statics.rs:"), "{report}");
        assert!(
            message.contains("a lazy static was used after the model body returned"),
            "{report}"
        );
        let trace = report.trace();
        let exit = trace.find("main      returns from the model body: the program exits");
        let late = trace.find("thread 1  uses a lazy static after the model body returned");
        assert!(exit.is_some() && late.is_some() && exit < late, "{report}");
    }
}

checker::lazy_static! {
    static ref LIMIT: usize = 3;
}

#[test]
fn a_late_use_is_found_when_the_thread_would_otherwise_finish_first() {
    // The checker of a limit, left running, and a worker the body waits
    // for: nothing the first thread does conflicts with the others' steps.
    // Both orders of its use and the body's return are still explored.
    let model = || {
        drop(thread::spawn(|| assert!(*LIMIT > 0)));
        let hits = Arc::new(AtomicUsize::new(0));
        let theirs = hits.clone();
        let worker = thread::spawn(move || theirs.fetch_add(1, Ordering::Relaxed));
        worker.join().unwrap();
    };
    for strategy in [StrategyKind::Dpor, StrategyKind::Dfs] {
        let mut builder = Builder::new();
        builder.strategy(strategy);
        let report = checker_tests::expect_bug(&builder, FailureKind::Panic, model);
        assert!(report.message().contains("used after the model body returned"), "{report}");
    }
}

#[test]
fn a_background_thread_joined_before_the_body_returns_may_use_lazy_statics() {
    let outcome = expect_verified(|| {
        let worker = thread::spawn(|| EVENTS.lock().unwrap().push("worker"));
        EVENTS.lock().unwrap().push("main");
        worker.join().unwrap();
        assert_eq!(EVENTS.lock().unwrap().len(), 2);
    });
    // The two pushes, in either order.
    assert_eq!(outcome.executions, 2, "{}", outcome.summary());
}

#[test]
fn a_background_thread_left_running_without_lazy_statics_passes() {
    expect_verified(|| {
        let hits = Arc::new(AtomicUsize::new(0));
        let theirs = hits.clone();
        drop(thread::spawn(move || theirs.fetch_add(1, Ordering::Relaxed)));
        hits.fetch_add(1, Ordering::Relaxed);
    });
}
