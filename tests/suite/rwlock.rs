//! `RwLock` behaves as std documents it: readers together, a writer alone,
//! poisoning by a panicking writer only, and a thread that locks again what
//! it holds is reported.

use std::collections::BTreeSet;
use std::sync::TryLockError;

use checker::model::{Builder, Coverage, FailureKind, Verdict};
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::sync::{Arc, RwLock};
use checker::thread;
use checker_tests::{expect_bug, outcomes};

fn verified(outcome: &checker::model::Outcome) {
    assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Exhaustive), "{}", outcome.summary());
}

/// Two readers and a writer; every thread records how many others it saw
/// inside the lock with it.
fn readers_and_writer(rec: &checker_tests::Recorder<(&'static str, usize)>) {
    let lock = Arc::new(RwLock::new(0u32));
    let inside = Arc::new(AtomicUsize::new(0));
    let reader = |name: &'static str| {
        let (lock, inside) = (lock.clone(), inside.clone());
        thread::spawn(move || {
            let guard = lock.read().unwrap();
            let others = inside.fetch_add(1, Ordering::SeqCst);
            let _ = *guard;
            inside.fetch_sub(1, Ordering::SeqCst);
            (name, others)
        })
    };
    let (a, b) = (reader("reader"), reader("reader"));
    {
        let mut guard = lock.write().unwrap();
        let others = inside.fetch_add(1, Ordering::SeqCst);
        *guard += 1;
        inside.fetch_sub(1, Ordering::SeqCst);
        rec.record(("writer", others));
    }
    rec.record(a.join().unwrap());
    rec.record(b.join().unwrap());
}

#[test]
fn readers_hold_the_lock_together_and_a_writer_holds_it_alone() {
    for strategy in [checker::model::StrategyKind::Dfs, checker::model::StrategyKind::Dpor] {
        let mut builder = Builder::new();
        builder.strategy = strategy;
        let (outcome, seen) = outcomes(&builder, readers_and_writer);
        verified(&outcome);
        // Two readers inside at once is reachable; the writer never has
        // company, and a reader never has the writer's.
        let expected = BTreeSet::from([("reader", 0), ("reader", 1), ("writer", 0)]);
        assert_eq!(seen, expected, "{strategy:?}");
    }
}

#[test]
fn try_read_and_try_write_fail_only_against_the_other_side() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let lock = Arc::new(RwLock::new(()));
        let holder = {
            let lock = lock.clone();
            thread::spawn(move || drop(lock.read().unwrap()))
        };
        let read = lock.try_read().is_ok();
        let write = match lock.try_write() {
            Ok(_) => "acquired",
            Err(TryLockError::WouldBlock) => "would block",
            Err(TryLockError::Poisoned(_)) => "poisoned",
        };
        holder.join().unwrap();
        rec.record((read, write));
    });
    verified(&outcome);
    // try_read always succeeds next to a reader; try_write fails while the
    // other reader is inside.
    assert_eq!(seen, BTreeSet::from([(true, "acquired"), (true, "would block")]));
}

#[test]
fn a_panicking_writer_poisons_and_a_panicking_reader_does_not() {
    let outcome = Builder::new()
        .run(|| {
            let lock = Arc::new(RwLock::new(5));
            let reader = {
                let lock = lock.clone();
                thread::spawn(move || {
                    let _guard = lock.read().unwrap();
                    panic!("reader dies");
                })
            };
            assert!(reader.join().is_err());
            assert!(!lock.is_poisoned(), "a read guard does not poison");
            let writer = {
                let lock = lock.clone();
                thread::spawn(move || {
                    let mut guard = lock.write().unwrap();
                    *guard = 6;
                    panic!("writer dies");
                })
            };
            assert!(writer.join().is_err());
            assert!(lock.is_poisoned());
            let err = lock.read().expect_err("poisoned");
            assert_eq!(**err.get_ref(), 6, "the data is still reachable");
            drop(err);
            assert!(matches!(lock.try_write(), Err(TryLockError::Poisoned(_))));
            lock.clear_poison();
            assert!(!lock.is_poisoned());
            assert_eq!(*lock.write().unwrap(), 6);
            let lock = Arc::try_unwrap(lock).expect("the last handle");
            assert_eq!(lock.into_inner().unwrap(), 6);
        })
        .unwrap();
    verified(&outcome);
}

#[test]
fn is_poisoned_races_with_a_panicking_writer() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let lock = Arc::new(RwLock::new(()));
        let writer = {
            let lock = lock.clone();
            thread::spawn(move || {
                let _guard = lock.write().unwrap();
                panic!("writer dies");
            })
        };
        rec.record(lock.is_poisoned());
        assert!(writer.join().is_err());
    });
    verified(&outcome);
    assert_eq!(seen, BTreeSet::from([false, true]), "both orders are explored");
}

#[test]
fn get_mut_and_default_and_debug() {
    let outcome = Builder::new()
        .run(|| {
            let mut lock: RwLock<Vec<u8>> = RwLock::default();
            lock.get_mut().unwrap().push(1);
            assert_eq!(*lock.read().unwrap(), vec![1]);
            assert_eq!(format!("{:?}", lock.read().unwrap()), "[1]");
            assert!(format!("{lock:?}").starts_with("RwLock"));
        })
        .unwrap();
    verified(&outcome);
}

#[test]
fn a_thread_taking_the_write_lock_while_reading_is_reported() {
    let report = expect_bug(&Builder::new(), FailureKind::RwLockRelocked, || {
        let lock = RwLock::new(0);
        let _read = lock.read().unwrap();
        let _write = lock.write().unwrap();
    });
    let message = report.message();
    assert!(message.contains("main write-locked RwLock#0 at tests/suite/rwlock.rs"), "{message}");
    assert!(message.contains("while already holding a read lock"), "{message}");
    assert!(message.contains("deadlocks in std"), "{message}");
}

#[test]
fn a_thread_reading_while_it_writes_is_reported() {
    let report = expect_bug(&Builder::new(), FailureKind::RwLockRelocked, || {
        let lock = RwLock::new(0);
        let _write = lock.write().unwrap();
        let _read = lock.read().unwrap();
    });
    assert!(report.message().contains("while already holding the write lock"), "{report}");
}

#[test]
fn a_writer_waiting_for_a_reader_that_waits_for_it_deadlocks() {
    let report = expect_bug(&Builder::new(), FailureKind::Deadlock, || {
        let lock = Arc::new(RwLock::new(()));
        let turn = Arc::new(checker::sync::Mutex::new(()));
        let h = {
            let (lock, turn) = (lock.clone(), turn.clone());
            thread::spawn(move || {
                let _t = turn.lock().unwrap();
                let _w = lock.write().unwrap();
            })
        };
        {
            let _r = lock.read().unwrap();
            let _t = turn.lock().unwrap();
        }
        h.join().unwrap();
    });
    let message = report.message();
    assert!(message.contains("waits to write-lock RwLock#"), "{message}");
    assert!(message.contains("held for reading by main"), "{message}");
    assert!(report.trace().contains(".read() -> acquired"), "{report}");
}
