//! The modelled types behave as std documents them.

use std::collections::BTreeSet;
use std::sync::TryLockError;

use checker::model::{Builder, Coverage, Verdict};
use checker::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use checker::sync::{Arc, Mutex};
use checker::thread;
use checker_tests::outcomes;

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
            assert_eq!(main.name(), Some("main"));
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
    struct Reporter(Arc<AtomicUsize>);
    impl Drop for Reporter {
        fn drop(&mut self) {
            // Which thread ran the destructor: 1 for main, 2 for the worker.
            let who = if thread::current().name() == Some("main") { 1 } else { 2 };
            self.0.store(who, Ordering::SeqCst);
        }
    }
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let dropped_by = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Reporter(dropped_by.clone()));
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
