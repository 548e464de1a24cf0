//! The modelled types behave as std documents them.

use std::collections::BTreeSet;
use std::sync::TryLockError;
use std::time::Duration;

use checker::model::{Builder, Coverage, FailureKind, Verdict};
use checker::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use checker::sync::{Arc, Condvar, Mutex, Weak};
use checker::thread;
use checker_tests::{expect_bug, outcomes};

fn verified(outcome: &checker::model::Outcome) {
    assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Exhaustive), "{}", outcome.summary());
}

#[test]
fn join_returns_the_thread_value() {
    let outcome = Builder::new()
        .run(|| {
            let h = thread::spawn(|| String::from("done"));
            assert_eq!(h.join().unwrap(), "done");
        })
        .unwrap();
    verified(&outcome);
}

#[test]
fn join_returns_the_thread_panic() {
    let outcome = Builder::new()
        .run(|| {
            let h = thread::spawn(|| -> u32 { panic!("boom") });
            let payload = h.join().expect_err("the thread panicked");
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
        })
        .unwrap();
    verified(&outcome);
}

#[test]
fn a_mutex_is_poisoned_by_a_panicking_holder() {
    let outcome = Builder::new()
        .run(|| {
            let m = Arc::new(Mutex::new(7));
            let h = {
                let m = m.clone();
                thread::spawn(move || {
                    let _guard = m.lock().unwrap();
                    panic!("holder dies");
                })
            };
            assert!(h.join().is_err());
            assert!(m.is_poisoned());
            let err = m.lock().expect_err("poisoned");
            assert_eq!(**err.get_ref(), 7, "the data is still reachable");
            drop(err);
            assert!(matches!(m.try_lock(), Err(TryLockError::Poisoned(_))));
            m.clear_poison();
            assert_eq!(*m.lock().unwrap(), 7);
        })
        .unwrap();
    verified(&outcome);
}

#[test]
fn a_guard_dropped_without_a_panic_does_not_poison() {
    let outcome = Builder::new()
        .run(|| {
            let m = Arc::new(Mutex::new(0));
            let h = {
                let m = m.clone();
                thread::spawn(move || *m.lock().unwrap() += 1)
            };
            h.join().unwrap();
            assert!(!m.is_poisoned());
            let m = Arc::try_unwrap(m).expect("the last handle");
            assert_eq!(m.into_inner().unwrap(), 1);
        })
        .unwrap();
    verified(&outcome);
}

#[test]
fn try_lock_succeeds_or_would_block_and_both_are_explored() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let m = Arc::new(Mutex::new(()));
        let h = {
            let m = m.clone();
            thread::spawn(move || drop(m.lock().unwrap()))
        };
        let got = match m.try_lock() {
            Ok(_) => "acquired",
            Err(TryLockError::WouldBlock) => "would block",
            Err(TryLockError::Poisoned(_)) => "poisoned",
        };
        h.join().unwrap();
        rec.record(got);
    });
    verified(&outcome);
    assert_eq!(seen, BTreeSet::from(["acquired", "would block"]));
}

#[test]
fn park_blocks_until_unpark_and_an_early_unpark_is_kept() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let flag = Arc::new(AtomicBool::new(false));
        let parker = {
            let flag = flag.clone();
            thread::spawn(move || {
                let early = flag.load(Ordering::SeqCst);
                thread::park();
                early
            })
        };
        flag.store(true, Ordering::SeqCst);
        parker.thread().unpark();
        // Whether the unpark came before the park or after, park returns.
        rec.record(parker.join().unwrap());
    });
    verified(&outcome);
    assert_eq!(seen, BTreeSet::from([false, true]));
}

#[test]
fn threads_have_ids_and_names() {
    let outcome = Builder::new()
        .run(|| {
            let main = thread::current();
            assert_eq!(main.name(), None, "unnamed, as in loom");
            let named = thread::Builder::new()
                .name("worker".into())
                .spawn(|| (thread::current().id(), thread::current().name().map(String::from)))
                .unwrap();
            let unnamed = thread::spawn(|| {
                (thread::current().id(), thread::current().name().map(String::from))
            });
            let (named_id, named_name) = named.join().unwrap();
            let (unnamed_id, unnamed_name) = unnamed.join().unwrap();
            assert_eq!(named_name.as_deref(), Some("worker"));
            assert_eq!(unnamed_name, None);
            assert_ne!(named_id, unnamed_id);
            assert_ne!(named_id, main.id());
        })
        .unwrap();
    verified(&outcome);
}

#[test]
fn the_thread_that_drops_the_last_arc_runs_the_destructor_and_both_are_explored() {
    struct Reporter(Arc<AtomicUsize>, thread::ThreadId);
    impl Drop for Reporter {
        fn drop(&mut self) {
            // Which thread ran the destructor: 1 for main, 2 for the worker.
            let who = if thread::current().id() == self.1 { 1 } else { 2 };
            self.0.store(who, Ordering::SeqCst);
        }
    }
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let dropped_by = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Reporter(dropped_by.clone(), thread::current().id()));
        let h = {
            let shared = shared.clone();
            thread::spawn(move || drop(shared))
        };
        drop(shared);
        h.join().unwrap();
        rec.record(dropped_by.load(Ordering::SeqCst));
    });
    verified(&outcome);
    assert_eq!(seen, BTreeSet::from([1, 2]));
}

#[test]
fn a_static_mutex_and_atomic_work_in_a_model() {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    static LOCK: Mutex<()> = Mutex::new(());
    let outcome = Builder::new()
        .run(|| {
            let h = thread::spawn(|| {
                let _g = LOCK.lock().unwrap();
                COUNT.fetch_add(1, Ordering::SeqCst)
            });
            let mine = {
                let _g = LOCK.lock().unwrap();
                COUNT.fetch_add(1, Ordering::SeqCst)
            };
            let theirs = h.join().unwrap();
            // Every execution starts from the static's initial value.
            assert_eq!(BTreeSet::from([mine, theirs]), BTreeSet::from([0, 1]));
        })
        .unwrap();
    verified(&outcome);
    assert!(outcome.executions > 1);
}

#[test]
fn using_a_checker_type_outside_a_model_panics_with_advice() {
    let caught = std::panic::catch_unwind(|| AtomicUsize::new(0).load(Ordering::SeqCst));
    let payload = caught.expect_err("outside a model");
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or(payload.downcast_ref::<&str>().copied());
    let text = text.expect("a message");
    assert!(text.contains("outside checker::model"), "{text}");
}

#[test]
fn spawn_takes_closures_that_are_not_send() {
    // As in loom: every model thread runs on one OS thread.
    let outcome = Builder::new()
        .run(|| {
            let shared = std::rc::Rc::new(std::cell::Cell::new(1));
            let h = {
                let shared = shared.clone();
                thread::spawn(move || shared.set(shared.get() + 1))
            };
            h.join().unwrap();
            assert_eq!(shared.get(), 2);
        })
        .unwrap();
    verified(&outcome);
}

#[test]
fn calling_model_inside_a_model_is_refused() {
    let outcome = Builder::new()
        .run(|| {
            let inner = Builder::new().run(|| ());
            let err = inner.expect_err("a nested model is refused");
            assert!(err.to_string().contains("inside a model"), "{err}");
        })
        .unwrap();
    verified(&outcome);
}

const TIMEOUT: Duration = Duration::from_millis(10);

/// A flag under a mutex, and a thread that sets it and notifies once.
fn flag_and_notifier() -> (Arc<(Mutex<bool>, Condvar)>, thread::JoinHandle<()>) {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let h = {
        let pair = pair.clone();
        thread::spawn(move || {
            *pair.0.lock().unwrap() = true;
            pair.1.notify_one();
        })
    };
    (pair, h)
}

#[test]
fn wait_timeout_explores_the_notified_and_the_timed_out_wake_up() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let (pair, h) = flag_and_notifier();
        let guard = pair.0.lock().unwrap();
        let (guard, result) = pair.1.wait_timeout(guard, TIMEOUT).unwrap();
        rec.record((result.timed_out(), *guard));
        drop(guard);
        h.join().unwrap();
    });
    verified(&outcome);
    // Notified (the flag is set); timed out before the flag was set; timed
    // out after it was set but before the notification.
    assert_eq!(seen, BTreeSet::from([(false, true), (true, false), (true, true)]));
}

#[test]
fn wait_timeout_while_times_out_only_with_the_condition_still_true() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let (pair, h) = flag_and_notifier();
        let guard = pair.0.lock().unwrap();
        let (guard, result) = pair.1.wait_timeout_while(guard, TIMEOUT, |ready| !*ready).unwrap();
        rec.record((result.timed_out(), *guard));
        drop(guard);
        h.join().unwrap();
    });
    verified(&outcome);
    assert_eq!(seen, BTreeSet::from([(false, true), (true, false)]));
}

#[test]
fn wait_while_returns_once_the_condition_is_false() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let (pair, h) = flag_and_notifier();
        let guard = pair.1.wait_while(pair.0.lock().unwrap(), |ready| !*ready).unwrap();
        rec.record(*guard);
        drop(guard);
        h.join().unwrap();
    });
    verified(&outcome);
    assert_eq!(seen, BTreeSet::from([true]));
}

/// Waits with `if` where a `while` belongs: correct only if a wait never
/// wakes without a notification.
fn wait_with_if() {
    let (pair, h) = flag_and_notifier();
    let mut ready = pair.0.lock().unwrap();
    if !*ready {
        ready = pair.1.wait(ready).unwrap();
    }
    assert!(*ready, "woke up without the flag set");
    drop(ready);
    h.join().unwrap();
}

#[test]
fn a_condvar_wait_under_if_is_found_buggy_only_with_spurious_wakeups() {
    let outcome = Builder::new().run(wait_with_if).unwrap();
    verified(&outcome);
    let mut builder = Builder::new();
    builder.spurious_wakeups = true;
    let report = expect_bug(&builder, FailureKind::Panic, wait_with_if);
    assert!(report.message().contains("woke up without the flag set"), "{report}");
    assert!(report.trace().contains("(spurious wake-up: not notified)"), "{report}");
    // The same wait in a loop is correct, and exploring it terminates.
    let outcome = builder
        .run(|| {
            let (pair, h) = flag_and_notifier();
            let mut ready = pair.0.lock().unwrap();
            while !*ready {
                ready = pair.1.wait(ready).unwrap();
            }
            drop(ready);
            h.join().unwrap();
        })
        .unwrap();
    verified(&outcome);
}

#[test]
fn park_timeout_returns_with_or_without_the_token() {
    let run = |timeout: bool| {
        let (outcome, seen) = outcomes(&Builder::new(), move |rec| {
            let flag = Arc::new(AtomicBool::new(false));
            let parker = {
                let flag = flag.clone();
                thread::spawn(move || {
                    if timeout {
                        thread::park_timeout(TIMEOUT);
                    } else {
                        thread::park();
                    }
                    flag.load(Ordering::SeqCst)
                })
            };
            flag.store(true, Ordering::SeqCst);
            parker.thread().unpark();
            rec.record(parker.join().unwrap());
        });
        verified(&outcome);
        seen
    };
    assert_eq!(run(false), BTreeSet::from([true]), "park returns only after the unpark");
    assert_eq!(run(true), BTreeSet::from([false, true]), "park_timeout may return before");
}

#[test]
fn park_timeout_takes_an_available_token() {
    // The token is there before park_timeout runs: it is taken, and the
    // park after it waits for an unpark that never comes.
    let report = expect_bug(&Builder::new(), FailureKind::LeftBlocked, || {
        let ready = Arc::new(AtomicBool::new(false));
        let parker = {
            let ready = ready.clone();
            thread::spawn(move || {
                while !ready.load(Ordering::SeqCst) {
                    thread::yield_now();
                }
                thread::park_timeout(TIMEOUT);
                thread::park();
            })
        };
        parker.thread().unpark();
        ready.store(true, Ordering::SeqCst);
        std::mem::forget(parker);
    });
    assert!(report.trace().contains("park_timeout() -> token taken"), "{report}");
    assert!(report.message().contains("is parked with no unpark to come"), "{report}");
}

#[test]
fn polling_with_park_timeout_terminates() {
    // A timeout that passes lets the other threads go first, as a yield
    // does: the loop ends without hitting the step bound.
    let outcome = Builder::new()
        .run(|| {
            let flag = Arc::new(AtomicBool::new(false));
            let setter = {
                let flag = flag.clone();
                thread::spawn(move || flag.store(true, Ordering::SeqCst))
            };
            while !flag.load(Ordering::SeqCst) {
                thread::park_timeout(TIMEOUT);
            }
            setter.join().unwrap();
        })
        .unwrap();
    verified(&outcome);
}

#[test]
fn weak_upgrade_succeeds_before_the_last_drop_and_fails_after() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let strong = Arc::new(5);
        let weak = Arc::downgrade(&strong);
        let h = thread::spawn(move || weak.upgrade().map(|a| *a));
        drop(strong);
        rec.record(h.join().unwrap());
    });
    verified(&outcome);
    assert_eq!(seen, BTreeSet::from([None, Some(5)]));
}

#[test]
fn arc_and_weak_counts_follow_std() {
    let outcome = Builder::new()
        .run(|| {
            let a = Arc::new(1);
            assert_eq!((Arc::strong_count(&a), Arc::weak_count(&a)), (1, 0));
            let w = Arc::downgrade(&a);
            let w2 = w.clone();
            assert_eq!(Arc::weak_count(&a), 2);
            assert_eq!((w.strong_count(), w.weak_count()), (1, 2));
            let b = w.upgrade().expect("alive");
            assert_eq!(Arc::strong_count(&a), 2);
            assert!(Weak::ptr_eq(&w, &w2));
            drop(b);
            drop(a);
            assert!(w.upgrade().is_none());
            assert_eq!((w.strong_count(), w.weak_count()), (0, 0), "as std: no value, no count");
            drop(w2);
            let empty: Weak<u8> = Weak::new();
            assert!(empty.upgrade().is_none());
            assert_eq!((empty.strong_count(), empty.weak_count()), (0, 0));
            assert_eq!(format!("{empty:?}"), "(Weak)");
        })
        .unwrap();
    verified(&outcome);
}

#[test]
fn strong_count_races_with_another_threads_drop() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let a = Arc::new(());
        let h = {
            let a = a.clone();
            thread::spawn(move || drop(a))
        };
        rec.record(Arc::strong_count(&a));
        h.join().unwrap();
    });
    verified(&outcome);
    assert_eq!(seen, BTreeSet::from([1, 2]));
}

#[test]
fn mutex_is_poisoned_races_with_a_panicking_holder() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let m = Arc::new(Mutex::new(()));
        let h = {
            let m = m.clone();
            thread::spawn(move || {
                let _guard = m.lock().unwrap();
                panic!("holder dies");
            })
        };
        rec.record(m.is_poisoned());
        assert!(h.join().is_err());
    });
    verified(&outcome);
    assert_eq!(seen, BTreeSet::from([false, true]));
}
