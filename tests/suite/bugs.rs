//! Buggy models are caught: each test asserts the bug was found, what kind
//! it is, what the report says, and that its decision path replays it.

use checker::model::{Builder, FailureKind, StrategyKind, Verdict};
use checker::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use checker::sync::{Arc, Condvar, Mutex};
use checker::thread;
use checker_tests::{expect_bug, models};

#[test]
fn a_load_then_store_counter_loses_an_update() {
    let report = expect_bug(&Builder::new(), FailureKind::Panic, models::lost_update);
    assert!(report.message().contains("lost update"), "{report}");
    assert!(report.message().contains("main panicked at tests/lib.rs"), "{report}");
    // The trace shows both loads reading 0 before either store.
    let loads = report.trace().matches(".load(SeqCst) -> 0").count();
    assert!(loads >= 2, "{report}");
    let created = report
        .trace()
        .lines()
        .any(|l| l.contains("AtomicUsize#") && l.contains("was created at tests/lib.rs"));
    assert!(created, "the trace says where each object was created: {report}");
}

#[test]
fn two_mutexes_locked_in_opposite_order_deadlock() {
    let report = expect_bug(&Builder::new(), FailureKind::Deadlock, models::lock_order_inversion);
    let message = report.message();
    assert!(message.starts_with("deadlock"), "{report}");
    assert!(message.contains("main waits to lock Mutex#"), "{report}");
    assert!(message.contains("thread 1 waits to lock Mutex#"), "{report}");
    assert!(message.contains("held by main") && message.contains("held by thread 1"), "{report}");
}

/// A loop that neither yields nor comes back to a state it had (it counts
/// its tries) can spin for ever: the step bound stops it, and the report
/// says how to make it end.
#[test]
fn a_loop_without_yield_whose_state_changes_hits_the_step_bound() {
    let mut builder = Builder::new();
    builder.max_branches = 500;
    let report = expect_bug(&builder, FailureKind::StepBound, || {
        let flag = Arc::new(AtomicBool::new(false));
        let h = {
            let flag = flag.clone();
            thread::spawn(move || flag.store(true, Ordering::Release))
        };
        let mut tries = 0u64;
        while !flag.load(Ordering::Acquire) {
            tries += 1;
        }
        std::hint::black_box(tries);
        h.join().unwrap();
    });
    let message = report.message();
    assert!(message.contains("exceeded 500 steps"), "{message}");
    assert!(message.contains("spin loop"), "{message}");
    assert!(message.contains("yield_now"), "{message}");
    assert!(message.contains("CHECKER_MAX_BRANCHES"), "{message}");
    assert!(message.contains("main ran `load` at tests/suite/bugs.rs"), "{message}");
    assert!(report.trace().contains("events elided"), "a long trace is shortened");
    assert!(!report.trace().contains("the engine yields"), "{report}");
}

/// A spin loop with neither `yield_now` nor `spin_loop` ends as one with a
/// yield does: its thread comes back to the state it had at the loop's
/// read, and the engine yields for it there (`Execution::spin_yield`).
#[test]
fn a_spin_loop_without_yield_is_verified() {
    for strategy in [StrategyKind::Dpor, StrategyKind::Dfs] {
        let mut builder = Builder::new();
        builder.strategy = strategy;
        let outcome = builder
            .run(|| {
                let flag = Arc::new(AtomicBool::new(false));
                let h = {
                    let flag = flag.clone();
                    thread::spawn(move || flag.store(true, Ordering::Release))
                };
                while !flag.load(Ordering::Acquire) {}
                h.join().unwrap();
            })
            .unwrap();
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        if strategy == StrategyKind::Dpor {
            // Load, load, yield and stall: the flag's store before each.
            assert!(outcome.executions <= 4, "{}", outcome.summary());
        }
    }
}

#[test]
fn a_spin_loop_that_yields_is_verified() {
    for hint in [false, true] {
        let outcome = Builder::new()
            .run(move || {
                let flag = Arc::new(AtomicBool::new(false));
                let h = {
                    let flag = flag.clone();
                    thread::spawn(move || flag.store(true, Ordering::Release))
                };
                while !flag.load(Ordering::Acquire) {
                    if hint {
                        checker::hint::spin_loop();
                    } else {
                        thread::yield_now();
                    }
                }
                h.join().unwrap();
            })
            .unwrap();
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    }
}

#[test]
fn locking_a_mutex_twice_in_one_thread_is_reported() {
    let report = expect_bug(&Builder::new(), FailureKind::MutexRelocked, || {
        let m = Mutex::new(0);
        let _first = m.lock().unwrap();
        let _second = m.lock().unwrap();
    });
    assert!(report.message().contains("while already holding it"), "{report}");
    assert!(report.message().contains("not reentrant"), "{report}");
}

#[test]
fn spawning_more_than_max_threads_is_reported() {
    let mut builder = Builder::new();
    builder.max_threads = 3;
    let report = expect_bug(&builder, FailureKind::TooManyThreads, || {
        let handles: Vec<_> = (0..3).map(|_| thread::spawn(|| {})).collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    assert!(report.message().contains("max_threads is 3"), "{report}");
    assert!(report.message().contains("CHECKER_MAX_THREADS"), "{report}");
}

#[test]
fn a_thread_blocked_forever_after_the_model_returns_is_reported() {
    let report = expect_bug(&Builder::new(), FailureKind::LeftBlocked, || {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let waiter = pair.clone();
        // Detached, and nobody ever notifies it.
        drop(thread::spawn(move || {
            let (lock, cv) = &*waiter;
            let mut ready = lock.lock().unwrap();
            while !*ready {
                ready = cv.wait(ready).unwrap();
            }
        }));
    });
    assert!(report.message().contains("the model body returned"), "{report}");
    assert!(report.message().contains("thread 1 waits for a notification on Condvar#"), "{report}");
}

#[test]
fn a_panic_in_a_thread_nobody_joins_is_a_failure() {
    let report = expect_bug(&Builder::new(), FailureKind::Panic, || {
        drop(thread::spawn(|| panic!("worker gave up")));
    });
    assert!(report.message().contains("worker gave up"), "{report}");
    assert!(report.message().contains("no thread joined it"), "{report}");
    assert!(report.trace().contains("panicked: worker gave up"), "{report}");
}

#[test]
fn the_report_of_main_names_the_joined_thread_panic() {
    let report = expect_bug(&Builder::new(), FailureKind::Panic, || {
        let h = thread::Builder::new()
            .name("worker".to_string())
            .spawn(|| panic!("the real cause"))
            .unwrap();
        h.join().unwrap();
    });
    let message = report.message();
    assert!(message.contains("main panicked at"), "{message}");
    assert!(message.contains("earlier, 'worker' panicked at tests/suite/bugs.rs"), "{message}");
    assert!(message.contains("the real cause"), "{message}");
}

struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

#[test]
fn a_panic_while_unwinding_is_reported_and_does_not_abort() {
    // std aborts the process on this; the test process must live on.
    for in_spawned_thread in [false, true] {
        let report = expect_bug(&Builder::new(), FailureKind::PanicWhileUnwinding, move || {
            let body = || {
                let _guard = PanicOnDrop("second panic, in a destructor");
                panic!("first panic");
            };
            if in_spawned_thread {
                let _ = thread::spawn(body).join();
            } else {
                body();
            }
        });
        let message = report.message();
        assert!(message.contains("while unwinding from an earlier panic"), "{message}");
        assert!(message.contains("first panic"), "{message}");
        assert!(message.contains("second panic, in a destructor"), "{message}");
    }
    // The calling thread still panics normally: `check` fails the test with the report.
    let caught = std::panic::catch_unwind(|| {
        Builder::new().check(|| {
            let _guard = PanicOnDrop("again");
            panic!("first");
        })
    });
    let payload = caught.expect_err("check panics with the report");
    let text = payload.downcast_ref::<String>().expect("a String payload");
    assert!(text.contains("checker found a bug (panic while unwinding)"), "{text}");
    assert!(text.contains("CHECKER_REPLAY="), "{text}");
}

#[test]
fn a_model_that_is_not_deterministic_is_reported() {
    use std::sync::atomic::AtomicUsize as StdAtomic;
    // State outside checker's control, changed by every execution.
    static RUNS: StdAtomic = StdAtomic::new(0);
    let outcome = Builder::new()
        .run(|| {
            let first = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0;
            let x = Arc::new(AtomicUsize::new(0));
            let h = {
                let x = x.clone();
                thread::spawn(move || x.load(Ordering::SeqCst))
            };
            if first {
                x.store(1, Ordering::SeqCst);
            }
            h.join().unwrap();
        })
        .unwrap();
    let report = outcome.failure.expect("nondeterminism is reported");
    assert_eq!(report.kind(), FailureKind::Nondeterminism, "{report}");
    assert!(report.message().contains("not deterministic"), "{report}");
    assert!(report.message().contains("HashMap"), "names likely causes: {report}");
}

fn deep(n: u64) -> u64 {
    let frame = std::hint::black_box([n; 32]);
    if n == 0 { 0 } else { deep(n - 1).wrapping_add(frame[7]) }
}

#[test]
fn a_stack_overflow_in_a_model_thread_is_reported_and_does_not_crash() {
    let mut builder = Builder::new();
    builder.stack_size = 64 * 1024;
    for in_spawned_thread in [false, true] {
        let report = expect_bug(&builder, FailureKind::StackOverflow, move || {
            AtomicUsize::new(0).store(1, Ordering::Relaxed);
            if in_spawned_thread {
                let _ = thread::spawn(|| deep(u64::MAX)).join();
            } else {
                deep(u64::MAX);
            }
        });
        let who = if in_spawned_thread { "thread 1" } else { "main" };
        assert!(
            report.message().contains(&format!("{who} overflowed its stack of 65536 bytes")),
            "{report}"
        );
        assert!(report.message().contains("CHECKER_STACK_SIZE"), "{report}");
    }
    // The same recursion, bounded, fits the default stack.
    let outcome = Builder::new().run(|| assert_eq!(deep(1000), 0u64.wrapping_add(500500))).unwrap();
    assert!(outcome.failure.is_none(), "{}", outcome.summary());
}
