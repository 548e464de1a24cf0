//! Code written for loom runs on checker unchanged: each test here is
//! shaped like the loom test or library code that once failed on checker
//! where it passed on loom.

// loom's own test files deny every warning, deprecations included.
#![deny(warnings)]

use std::mem::ManuallyDrop;
use std::task::{Poll, RawWaker, RawWakerVTable, Waker};

use checker::future::AtomicWaker;
use checker::model::{Builder, Coverage, FailureKind, Verdict};
use checker::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use checker::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize};
use checker::sync::{Arc, Mutex};
use checker::thread;
use checker_tests::expect_bug;

/// `compare_and_swap` is deprecated in std but not in loom: a loom test
/// that uses it under `#![deny(warnings)]` compiles.
#[test]
fn compare_and_swap_is_not_deprecated() {
    checker::model(|| {
        let lock = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        let th = {
            let (lock, count) = (lock.clone(), count.clone());
            thread::spawn(move || {
                while lock.compare_and_swap(false, true, Acquire) {
                    thread::yield_now();
                }
                let n = count.load(Relaxed);
                count.store(n + 1, Relaxed);
                lock.store(false, Release);
            })
        };
        while lock.compare_and_swap(false, true, AcqRel) {
            thread::yield_now();
        }
        let n = count.load(Relaxed);
        count.store(n + 1, Relaxed);
        lock.store(false, Release);
        th.join().unwrap();
        assert_eq!(count.load(Relaxed), 2);

        let mut slot = 5u32;
        let p = AtomicPtr::new(std::ptr::null_mut());
        assert!(p.compare_and_swap(std::ptr::null_mut(), &mut slot, SeqCst).is_null());
        assert_eq!(p.load(SeqCst), &mut slot as *mut u32);
    });
}

/// The model body's thread has no name in loom (std's main thread is
/// named `main`); a named thread keeps its name.
#[test]
fn the_model_body_thread_is_unnamed() {
    checker::model(|| {
        thread::current().id();
        assert_eq!(None, thread::current().name());
        let named = thread::Builder::new()
            .name("worker".to_string())
            .spawn(|| thread::current().name().map(str::to_string))
            .unwrap();
        assert_eq!(named.join().unwrap().as_deref(), Some("worker"));
    });
}

/// Joins every handle, whatever the threads return: std's and loom's
/// `join` ask nothing of `T`, so this generic helper compiles.
fn join_all<T>(handles: Vec<thread::JoinHandle<T>>) -> Vec<T> {
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn join_needs_no_static_bound_on_the_value() {
    checker::model(|| {
        let counter = Arc::new(AtomicUsize::new(0));
        let handles = (0..2)
            .map(|_| {
                let counter = counter.clone();
                thread::spawn(move || counter.fetch_add(1, AcqRel))
            })
            .collect();
        let mut seen = join_all(handles);
        seen.sort_unstable();
        assert_eq!(seen, [0, 1]);
    });
}

/// `block_on` polls spuriously once, as loom's does: a future that spawns
/// its waker's owner on the first poll and is woken once is polled a
/// third time in some execution (the wake-up came, but a spurious poll
/// before it saw nothing), and never more.
#[test]
fn block_on_polls_spuriously_once() {
    let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = most.clone();
    checker::model(move || {
        let gate = Arc::new(AtomicBool::new(false));
        let mut polls = 0;
        let polled = checker::future::block_on(std::future::poll_fn(|cx| {
            if polls == 0 {
                let (gate, waker) = (gate.clone(), cx.waker().clone());
                thread::spawn(move || {
                    gate.store(true, Release);
                    waker.wake();
                });
            }
            polls += 1;
            if gate.load(Acquire) { Poll::Ready(polls) } else { Poll::Pending }
        }));
        assert!((1..=3).contains(&polled), "polled {polled} times");
        seen.fetch_max(polled, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(most.load(std::sync::atomic::Ordering::Relaxed), 3, "some execution polls thrice");
}

// ---- Arc::as_ptr is the pointer of Arc::into_raw ----

/// A sub-task's waker in the style of async runtimes: a `RawWaker` on
/// `Arc::as_ptr` of its state, whose clone takes a count with
/// `increment_strong_count`, whose wake takes it back with `from_raw`, and
/// whose drop releases it with `decrement_strong_count`.
struct Relay {
    parent: AtomicWaker,
    wakes: AtomicUsize,
}

static RELAY: RawWakerVTable =
    RawWakerVTable::new(relay_clone, relay_wake, relay_wake_by_ref, relay_drop);

unsafe fn relay_clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a `Relay`'s `Arc::as_ptr`, alive while any waker is
    // (the borrowed waker's owner, or a count of a cloned one).
    unsafe { Arc::increment_strong_count(data.cast::<Relay>()) };
    RawWaker::new(data, &RELAY)
}

unsafe fn relay_wake(data: *const ()) {
    // SAFETY: a cloned waker owns the count its clone took.
    let relay = unsafe { Arc::from_raw(data.cast::<Relay>()) };
    relay.wakes.fetch_add(1, Relaxed);
    relay.parent.wake();
}

unsafe fn relay_wake_by_ref(data: *const ()) {
    // SAFETY: the count stays with the waker: the handle is not dropped.
    let relay = ManuallyDrop::new(unsafe { Arc::from_raw(data.cast::<Relay>()) });
    relay.wakes.fetch_add(1, Relaxed);
    relay.parent.wake();
}

unsafe fn relay_drop(data: *const ()) {
    // SAFETY: a cloned waker owns the count its clone took.
    unsafe { Arc::decrement_strong_count(data.cast::<Relay>()) };
}

/// A waker borrowing `relay`: it owns no count, so it is never dropped.
fn borrowed_waker(relay: &Arc<Relay>) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(Arc::as_ptr(relay).cast(), &RELAY);
    // SAFETY: the vtable keeps RawWaker's contract: clone takes a count,
    // wake and drop release one; the borrowed waker is not dropped.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

#[test]
fn a_raw_waker_on_arc_as_ptr_works_inside_block_on() {
    checker::model(|| {
        let ready = Arc::new(AtomicBool::new(false));
        let waiter = Arc::new(AtomicWaker::new());
        let relay = Arc::new(Relay { parent: AtomicWaker::new(), wakes: AtomicUsize::new(0) });
        let producer = {
            let (ready, waiter) = (ready.clone(), waiter.clone());
            thread::spawn(move || {
                ready.store(true, Release);
                waiter.wake();
            })
        };
        checker::future::block_on(std::future::poll_fn(|cx| {
            relay.parent.register_by_ref(cx.waker());
            // The sub-task: polled with the relay's waker, which the
            // producer's wake reaches through the AtomicWaker's clone.
            let waker = borrowed_waker(&relay);
            waiter.register_by_ref(&waker);
            if ready.load(Acquire) { Poll::Ready(()) } else { Poll::Pending }
        }));
        producer.join().unwrap();
        assert!(relay.wakes.load(Relaxed) <= 1);
        // The clone the AtomicWaker may still hold goes with it: no leak.
    });
}

/// An intrusive list's node: the list owns one count of each node it
/// links, kept as the node's address (`Arc::as_ptr`, then `mem::forget`
/// of the handle), and turned back with `from_raw` when unlinked.
struct Node {
    value: usize,
}

fn link(list: &Mutex<Vec<usize>>, node: Arc<Node>) {
    let address = Arc::as_ptr(&node) as usize;
    std::mem::forget(node);
    list.lock().unwrap().push(address);
}

fn unlink(list: &Mutex<Vec<usize>>) -> Option<Arc<Node>> {
    let address = list.lock().unwrap().pop()?;
    // SAFETY: `link` gave up the count of the node at this address.
    Some(unsafe { Arc::from_raw(address as *const Node) })
}

#[test]
fn an_intrusive_list_links_nodes_by_as_ptr_and_unlinks_them_with_from_raw() {
    checker::model(|| {
        let list = Arc::new(Mutex::new(Vec::new()));
        let pusher = {
            let list = list.clone();
            thread::spawn(move || link(&list, Arc::new(Node { value: 1 })))
        };
        link(&list, Arc::new(Node { value: 2 }));
        pusher.join().unwrap();
        let mut sum = 0;
        while let Some(node) = unlink(&list) {
            sum += node.value;
        }
        assert_eq!(sum, 3);
    });
}

#[test]
fn a_node_left_linked_is_a_leak() {
    let report = expect_bug(&Builder::new(), FailureKind::Leak, || {
        let list = Mutex::new(Vec::new());
        link(&list, Arc::new(Node { value: 1 }));
        link(&list, Arc::new(Node { value: 2 }));
        drop(unlink(&list));
    });
    assert!(report.message().contains("still has 1 handle(s)"), "{report}");
}

#[test]
fn from_raw_of_a_pointer_to_a_dropped_value_panics_clearly() {
    let report = expect_bug(&Builder::new(), FailureKind::Panic, || {
        let node = Arc::new(Node { value: 1 });
        let address = Arc::as_ptr(&node) as usize;
        drop(node);
        // SAFETY: none: checker refuses the pointer before using it, which
        // is what the test expects.
        drop(unsafe { Arc::from_raw(address as *const Node) });
    });
    let message = report.message();
    assert!(message.contains("Arc::from_raw"), "{report}");
    assert!(message.contains("was not returned by Arc::into_raw or Arc::as_ptr"), "{report}");
}

/// A wake that takes back a count the waker never had: std frees the
/// value under the owner's handle. checker panics at the owner's next use.
#[test]
fn a_count_released_twice_panics_at_the_next_use_instead_of_freeing_twice() {
    let report = expect_bug(&Builder::new(), FailureKind::Panic, || {
        let owner = Arc::new(Node { value: 7 });
        // SAFETY: none: `as_ptr` gave up no count, so this handle takes
        // over the owner's, which is what the test expects checker to catch.
        let stolen = unsafe { Arc::from_raw(Arc::as_ptr(&owner)) };
        drop(stolen);
        assert_eq!(owner.value, 7);
    });
    let message = report.message();
    assert!(message.contains("used after its value was dropped"), "{report}");
    assert!(message.contains("tests/suite/loom_compat.rs"), "the user's line: {report}");
}

// ---- a panic the model catches is no failure ----

static REFUSING: RawWakerVTable =
    RawWakerVTable::new(refusing_clone, refusing_noop, refusing_noop, refusing_noop);

unsafe fn refusing_clone(_: *const ()) -> RawWaker {
    panic!("this waker cannot be cloned");
}

unsafe fn refusing_noop(_: *const ()) {}

/// A waker whose `clone` panics: registering it fails, by a panic.
fn refusing_waker() -> Waker {
    // SAFETY: the vtable's functions ignore the data pointer.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &REFUSING)) }
}

/// A test in the style of async runtimes' suites: registering a waker
/// whose clone panics must leave the waker slot usable; the test catches
/// the panic and goes on.
#[test]
fn a_panic_caught_by_the_model_is_no_failure() {
    checker::model(|| {
        let slot = Arc::new(AtomicWaker::new());
        let woken = Arc::new(AtomicBool::new(false));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            slot.register_by_ref(&refusing_waker());
        }));
        assert!(caught.is_err(), "the clone panicked");
        // A spawned thread catches one too, and is never joined.
        let (slot2, woken2) = (slot.clone(), woken.clone());
        drop(thread::spawn(move || {
            let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                slot2.register_by_ref(&refusing_waker());
            }));
            assert!(again.is_err());
            woken2.store(true, Release);
            slot2.wake();
        }));
        checker::future::block_on(std::future::poll_fn(|cx| {
            slot.register_by_ref(cx.waker());
            if woken.load(Acquire) { Poll::Ready(()) } else { Poll::Pending }
        }));
    });
}

#[test]
fn a_caught_panic_raised_again_is_a_failure_at_its_first_site() {
    let report = expect_bug(&Builder::new(), FailureKind::Panic, || {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = {
            let flag = flag.clone();
            thread::spawn(move || flag.store(true, Release))
        };
        let caught = std::panic::catch_unwind(|| -> () { panic!("the first site") });
        setter.join().unwrap();
        if let Err(payload) = caught {
            std::panic::resume_unwind(payload);
        }
    });
    let message = report.message();
    assert!(message.starts_with("main panicked at tests/suite/loom_compat.rs:"), "{report}");
    assert!(message.contains("the first site"), "{report}");
}

#[test]
fn a_panic_a_spawned_thread_catches_then_raises_again_fails_unjoined() {
    let report = expect_bug(&Builder::new(), FailureKind::Panic, || {
        drop(thread::spawn(|| {
            let caught = std::panic::catch_unwind(|| -> () { panic!("raised twice") });
            if let Err(payload) = caught {
                std::panic::resume_unwind(payload);
            }
        }));
    });
    let message = report.message();
    assert!(message.contains("thread 1 panicked at tests/suite/loom_compat.rs:"), "{report}");
    assert!(message.contains("no thread joined it:\nraised twice"), "{report}");
}

// ---- environment variables give defaults; code wins ----

/// Set in a child process started by the tests below.
const CHILD: &str = "CHECKER_SUITE_CHILD";

/// Runs this test binary again, for one test, with only `env` among the
/// CHECKER_ and LOOM_ variables. Returns whether it passed, and its output.
fn run_child(test: &str, env: &[(&str, &str)]) -> (bool, String) {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", test, "--nocapture", "--test-threads=1"]).env(CHILD, "1");
    for (name, _) in std::env::vars() {
        if name.starts_with("CHECKER_") || name.starts_with("LOOM_") {
            command.env_remove(name);
        }
    }
    command.env(CHILD, "1");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Two threads that each take the lock twice: a model whose explorations
/// differ from one preemption bound to the next.
fn lock_twice() {
    let lock = Arc::new(Mutex::new(0));
    let other = {
        let lock = lock.clone();
        thread::spawn(move || {
            *lock.lock().unwrap() += 1;
            *lock.lock().unwrap() += 1;
        })
    };
    *lock.lock().unwrap() += 1;
    *lock.lock().unwrap() += 1;
    other.join().unwrap();
}

/// A test that sets its own bound, run in CI with a `LOOM_MAX_PREEMPTIONS`
/// (and other variables) for everything: its settings hold. In the child
/// started below, the variables are also the defaults of `Builder::new`.
#[test]
fn child_a_field_set_in_code_wins_over_the_environment() {
    let mut builder = Builder::new();
    builder.preemption_bound = Some(3);
    builder.max_branches = 1_000;
    builder.strategy = checker::model::StrategyKind::Dpor;
    let outcome = builder.run(lock_twice).unwrap();
    assert_eq!(outcome.verdict, Verdict::Verified(Coverage::ExhaustiveWithinBound(3)));
    assert_eq!(outcome.strategy, "dpor");
    if std::env::var_os(CHILD).is_some() {
        let defaults = Builder::new();
        assert_eq!(defaults.preemption_bound, Some(2), "LOOM_MAX_PREEMPTIONS");
        assert_eq!(defaults.max_branches, 500, "LOOM_MAX_BRANCHES");
        assert_eq!(defaults.strategy, checker::model::StrategyKind::Dfs, "CHECKER_STRATEGY");
        let outcome = defaults.run(lock_twice).unwrap();
        assert_eq!(outcome.verdict, Verdict::Verified(Coverage::ExhaustiveWithinBound(2)));
        assert_eq!(outcome.strategy, "dfs");
    }
}

#[test]
fn a_field_set_in_code_wins_over_the_environment() {
    let (passed, text) = run_child(
        "loom_compat::child_a_field_set_in_code_wins_over_the_environment",
        &[
            ("LOOM_MAX_PREEMPTIONS", "2"),
            ("LOOM_MAX_BRANCHES", "500"),
            ("CHECKER_STRATEGY", "dfs"),
            // loom's switch for recording locations: accepted, ignored.
            ("LOOM_LOCATION", "1"),
        ],
    );
    assert!(passed, "{text}");
    assert!(text.contains("1 passed"), "the child ran its test:\n{text}");
}

/// A lost update, checked by a test that sets its own bound.
fn lost_update_within_one_preemption() {
    let mut builder = Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(|| {
        let n = Arc::new(AtomicUsize::new(0));
        let other = {
            let n = n.clone();
            thread::spawn(move || n.store(n.load(SeqCst) + 1, SeqCst))
        };
        n.store(n.load(SeqCst) + 1, SeqCst);
        other.join().unwrap();
        assert_eq!(n.load(SeqCst), 2, "lost update");
    });
}

/// A child's entry for the replay below; run directly, it checks that the
/// lost update is found.
#[test]
fn child_a_failing_test_with_settings_in_code() {
    if std::env::var_os(CHILD).is_some() {
        lost_update_within_one_preemption();
    } else {
        let caught = std::panic::catch_unwind(lost_update_within_one_preemption);
        assert!(caught.is_err(), "check panics on the lost update");
    }
}

/// `CHECKER_REPLAY` controls the run whatever the code set: the printed
/// command replays a test that configures its builder.
#[test]
fn the_replay_variable_replays_a_test_that_sets_fields_in_code() {
    let test = "loom_compat::child_a_failing_test_with_settings_in_code";
    let (passed, first) = run_child(test, &[]);
    assert!(!passed && first.contains("lost update"), "{first}");
    let line = first
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("CHECKER_REPLAY="))
        .unwrap_or_else(|| panic!("a replay command:\n{first}"));
    let path = line["CHECKER_REPLAY=".len()..].split_whitespace().next().unwrap();
    let (passed, second) = run_child(test, &[("CHECKER_REPLAY", path), ("LOOM_LOG", "1")]);
    assert!(!passed && second.contains("lost update"), "{second}");
    let trace = |text: &str| -> Vec<String> {
        text.lines().filter(|l| l.trim_start().starts_with('(')).map(str::to_string).collect()
    };
    assert!(!trace(&first).is_empty(), "{first}");
    assert_eq!(trace(&first), trace(&second), "the replay is the same execution:\n{second}");
    assert!(second.contains("execution 1:"), "a replay runs one execution:\n{second}");
}
