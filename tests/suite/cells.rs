//! Data races on cells: found with both accesses in the report and replayed;
//! no false race where a join, lock, release/acquire pair, `Arc`'s last drop
//! or a pair of fences orders the accesses.

use std::rc::Rc;

use checker::cell::{Cell, UnsafeCell};
use checker::model::{Builder, FailureKind, Outcome, Report, StrategyKind, Verdict};
use checker::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use checker::sync::{Arc, Mutex, RwLock};
use checker::thread;

/// [`checker_tests::expect_bug`] with the default configuration: the
/// failure of `kind` is found and its path replays it. Returns the report.
pub(crate) fn expect_failure<F>(kind: FailureKind, model: F) -> Report
where
    F: Fn() + Send + Sync + Clone + 'static,
{
    checker_tests::expect_bug(&Builder::new(), kind, model)
}

/// Runs `model` and expects every execution to pass.
pub(crate) fn expect_verified<F>(model: F) -> Outcome
where
    F: Fn() + Send + Sync + 'static,
{
    let outcome = Builder::new().run(model).expect("a valid configuration");
    if let Some(report) = &outcome.failure {
        panic!("unexpected failure:\n{report}");
    }
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    outcome
}

#[test]
fn two_unsynchronised_writes_race_and_the_report_names_both() {
    let report = expect_failure(FailureKind::DataRace, || {
        let cell = Rc::new(UnsafeCell::new(0u32));
        let other = cell.clone();
        let h = thread::spawn(move || {
            other.with_mut(|_| ()); // THREAD_WRITE
        });
        cell.with_mut(|_| ()); // MAIN_WRITE
        h.join().unwrap();
    });
    let message = report.message();
    assert!(message.starts_with("data race on UnsafeCell created at tests/suite/cells.rs:"));
    assert!(message.contains("(1) ") && message.contains("(2) "), "{report}");
    // The lines of this file marked THREAD_WRITE and MAIN_WRITE.
    let source = include_str!("cells.rs");
    let line_of = |mark: &str| {
        let n = source.lines().position(|l| l.ends_with(&format!("// {mark}"))).unwrap() + 1;
        format!("tests/suite/cells.rs:{n}:")
    };
    for mark in ["THREAD_WRITE", "MAIN_WRITE"] {
        assert!(message.contains(&line_of(mark)), "{mark} not cited:\n{report}");
    }
    assert_eq!(message.matches(" writes at ").count(), 2, "{report}");
    assert!(message.contains("main writes") && message.contains("thread 1 writes"), "{report}");
    assert!(message.contains("not ordered after (1) by happens-before"), "{report}");
}

#[test]
fn a_read_racing_with_a_write_is_found_in_either_order() {
    let report = expect_failure(FailureKind::DataRace, || {
        let cell = Rc::new(UnsafeCell::new(0u32));
        let other = cell.clone();
        let h = thread::spawn(move || other.with(|_| ()));
        cell.with_mut(|_| ());
        h.join().unwrap();
    });
    assert!(report.message().contains(" reads at "), "{report}");
    assert!(report.message().contains(" writes at "), "{report}");
}

#[test]
fn accesses_ordered_by_spawn_and_join_do_not_race() {
    expect_verified(|| {
        let cell = Rc::new(UnsafeCell::new(0u32));
        cell.with_mut(|_| ());
        let other = cell.clone();
        let h = thread::spawn(move || other.with_mut(|_| ()));
        h.join().unwrap();
        cell.with(|_| ());
    });
}

#[test]
fn accesses_under_a_mutex_do_not_race() {
    expect_verified(|| {
        let shared = Rc::new((Mutex::new(()), UnsafeCell::new(0u32)));
        let other = shared.clone();
        let h = thread::spawn(move || {
            let _g = other.0.lock().unwrap();
            other.1.with_mut(|_| ());
        });
        {
            let _g = shared.0.lock().unwrap();
            shared.1.with_mut(|_| ());
        }
        h.join().unwrap();
    });
}

/// An RwLock orders a writer against the readers before and after it, but
/// readers do not order each other: a write under a read lock races.
#[test]
fn an_rwlock_orders_writers_and_readers_but_not_readers_among_themselves() {
    expect_verified(|| {
        let shared = Rc::new((RwLock::new(()), UnsafeCell::new(0u32)));
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let other = shared.clone();
                thread::spawn(move || {
                    if i == 0 {
                        let _g = other.0.write().unwrap();
                        other.1.with_mut(|_| ());
                    } else {
                        let _g = other.0.read().unwrap();
                        other.1.with(|_| ());
                    }
                })
            })
            .collect();
        {
            let _g = shared.0.read().unwrap();
            shared.1.with(|_| ());
        }
        for h in handles {
            h.join().unwrap();
        }
    });
    expect_failure(FailureKind::DataRace, || {
        let shared = Rc::new((RwLock::new(()), UnsafeCell::new(0u32)));
        let other = shared.clone();
        let h = thread::spawn(move || {
            let _g = other.0.read().unwrap();
            other.1.with_mut(|_| ());
        });
        {
            let _g = shared.0.read().unwrap();
            shared.1.with_mut(|_| ());
        }
        h.join().unwrap();
    });
}

/// Message passing: the data is written, then a flag is set; the reader
/// reads the data once it sees the flag.
fn message_passing(store: Ordering, load: Ordering) -> impl Fn() + Clone + Send + Sync {
    move || {
        let shared = Rc::new((AtomicBool::new(false), UnsafeCell::new(0u32)));
        let other = shared.clone();
        let h = thread::spawn(move || {
            other.1.with_mut(|_| ());
            other.0.store(true, store);
        });
        if shared.0.load(load) {
            shared.1.with(|_| ());
        }
        h.join().unwrap();
    }
}

#[test]
fn release_acquire_message_passing_does_not_race() {
    expect_verified(message_passing(Ordering::Release, Ordering::Acquire));
    expect_verified(message_passing(Ordering::SeqCst, Ordering::SeqCst));
}

#[test]
fn relaxed_message_passing_is_a_race_on_the_data() {
    let report = expect_failure(
        FailureKind::DataRace,
        message_passing(Ordering::Relaxed, Ordering::Acquire),
    );
    assert!(report.message().contains("thread 1 writes"), "{report}");
    assert!(report.message().contains("main reads"), "{report}");
    let report = expect_failure(
        FailureKind::DataRace,
        message_passing(Ordering::Release, Ordering::Relaxed),
    );
    assert!(report.message().contains("main reads"), "{report}");
}

#[test]
fn a_relaxed_store_ends_the_release_sequence_but_an_rmw_continues_it() {
    // Release store, then a relaxed fetch_add by another thread: an acquire
    // load reading the RMW still synchronises with the release store.
    expect_verified(|| {
        let shared = Rc::new((AtomicUsize::new(0), UnsafeCell::new(0u32)));
        let writer = shared.clone();
        let w = thread::spawn(move || {
            writer.1.with_mut(|_| ());
            writer.0.store(1, Ordering::Release);
        });
        let bumper = shared.clone();
        let b = thread::spawn(move || {
            bumper.0.fetch_add(1, Ordering::Relaxed);
        });
        if shared.0.load(Ordering::Acquire) == 2 {
            // Both happened, the store first (0 -> 1 -> 2 needs it).
            shared.1.with(|_| ());
        }
        w.join().unwrap();
        b.join().unwrap();
    });
    // With a plain relaxed store instead of the RMW, the sequence ends.
    let report = expect_failure(FailureKind::DataRace, || {
        let shared = Rc::new((AtomicUsize::new(0), UnsafeCell::new(0u32)));
        let writer = shared.clone();
        let w = thread::spawn(move || {
            writer.1.with_mut(|_| ());
            writer.0.store(1, Ordering::Release);
        });
        let other = shared.clone();
        let b = thread::spawn(move || {
            if other.0.load(Ordering::Relaxed) == 1 {
                other.0.store(2, Ordering::Relaxed);
            }
        });
        if shared.0.load(Ordering::Acquire) == 2 {
            shared.1.with(|_| ());
        }
        w.join().unwrap();
        b.join().unwrap();
    });
    assert!(report.message().contains("main reads"), "{report}");
}

#[test]
fn fences_order_relaxed_message_passing() {
    expect_verified(|| {
        let shared = Rc::new((AtomicBool::new(false), UnsafeCell::new(0u32)));
        let other = shared.clone();
        let h = thread::spawn(move || {
            other.1.with_mut(|_| ());
            fence(Ordering::Release);
            other.0.store(true, Ordering::Relaxed);
        });
        if shared.0.load(Ordering::Relaxed) {
            fence(Ordering::Acquire);
            shared.1.with(|_| ());
        }
        h.join().unwrap();
    });
}

#[test]
fn a_write_after_the_release_fence_is_not_covered_by_it() {
    let report = expect_failure(FailureKind::DataRace, || {
        let shared = Rc::new((AtomicBool::new(false), UnsafeCell::new(0u32)));
        let other = shared.clone();
        let h = thread::spawn(move || {
            fence(Ordering::Release);
            other.1.with_mut(|_| ());
            other.0.store(true, Ordering::Relaxed);
        });
        if shared.0.load(Ordering::Relaxed) {
            fence(Ordering::Acquire);
            shared.1.with(|_| ());
        }
        h.join().unwrap();
    });
    assert!(report.message().contains("thread 1 writes"), "{report}");
}

/// Written by one thread, read by the destructor, which runs in whichever
/// thread drops the last handle.
struct Payload(UnsafeCell<u32>);

impl Drop for Payload {
    fn drop(&mut self) {
        self.0.with(|_| ());
    }
}

#[test]
fn the_last_arc_drop_happens_after_every_other_drop() {
    expect_verified(|| {
        let payload = Arc::new(Payload(UnsafeCell::new(0)));
        let other = payload.clone();
        let h = thread::spawn(move || {
            other.0.with_mut(|_| ());
            drop(other);
        });
        drop(payload);
        // Not joined before the drops: only the Arc orders the write before
        // the destructor's read.
        h.join().unwrap();
    });
}

#[test]
fn park_and_unpark_order_accesses() {
    expect_verified(|| {
        let cell = Rc::new(UnsafeCell::new(0u32));
        let main = thread::current();
        let other = cell.clone();
        let h = thread::spawn(move || {
            other.with_mut(|_| ());
            main.unpark();
        });
        thread::park();
        cell.with(|_| ());
        h.join().unwrap();
    });
}

#[test]
fn a_live_mut_ptr_is_an_access_until_it_drops() {
    let report = expect_failure(FailureKind::DataRace, || {
        let shared = Rc::new((AtomicBool::new(false), UnsafeCell::new(0u32)));
        let other = shared.clone();
        let h = thread::spawn(move || {
            let ptr = other.1.get_mut();
            // Published while the pointer is still alive.
            other.0.store(true, Ordering::Release);
            // Waits, the pointer alive, until main has looked.
            thread::park();
            ptr.with(|_| ());
            drop(ptr);
        });
        if shared.0.load(Ordering::Acquire) {
            shared.1.with(|_| ());
        }
        h.thread().unpark();
        h.join().unwrap();
    });
    assert!(report.message().contains("still in progress"), "{report}");
    // Dropped before publishing: no race.
    expect_verified(|| {
        let shared = Rc::new((AtomicBool::new(false), UnsafeCell::new(0u32)));
        let other = shared.clone();
        let h = thread::spawn(move || {
            let ptr = other.1.get_mut();
            ptr.with(|_| ());
            drop(ptr);
            other.0.store(true, Ordering::Release);
        });
        if shared.0.load(Ordering::Acquire) {
            let ptr = shared.1.get();
            ptr.with(|_| ());
        }
        h.join().unwrap();
    });
}

#[test]
fn cells_race_too() {
    let report = expect_failure(FailureKind::DataRace, || {
        let cell = Rc::new(Cell::new(0u32));
        let other = cell.clone();
        let h = thread::spawn(move || other.set(1));
        cell.set(2);
        h.join().unwrap();
    });
    assert!(report.message().starts_with("data race on Cell created at"), "{report}");
}

#[test]
fn unsync_load_races_with_a_concurrent_store_only() {
    let report = expect_failure(FailureKind::DataRace, || {
        let a = Rc::new(AtomicUsize::new(0));
        let other = a.clone();
        let h = thread::spawn(move || other.store(1, Ordering::Release));
        // SAFETY: checker's unsync_load reads the model's value, never racy
        // memory; the race it would be in std is what this test expects.
        unsafe { a.unsync_load() };
        h.join().unwrap();
    });
    assert!(report.message().starts_with("data race on AtomicUsize#0 created at"), "{report}");
    assert!(report.message().contains("main reads"), "{report}");
    assert!(report.message().contains("thread 1 writes"), "{report}");
    expect_verified(|| {
        let a = Rc::new(AtomicUsize::new(0));
        let other = a.clone();
        let h = thread::spawn(move || other.store(1, Ordering::Release));
        h.join().unwrap();
        // SAFETY: the join orders the only store before this read.
        assert_eq!(unsafe { a.unsync_load() }, 1);
    });
}

#[test]
fn exhaustive_search_and_dpor_agree_on_races() {
    type Model = fn();
    let models: [(&str, bool, Model); 4] = [
        ("relaxed flag", true, || message_passing(Ordering::Relaxed, Ordering::Relaxed)()),
        ("release flag", false, || message_passing(Ordering::Release, Ordering::Acquire)()),
        ("mutex", false, || {
            let shared = Rc::new((Mutex::new(()), UnsafeCell::new(0u32)));
            let other = shared.clone();
            let h = thread::spawn(move || {
                let _g = other.0.lock().unwrap();
                other.1.with_mut(|_| ());
            });
            let guard = shared.0.lock().unwrap();
            shared.1.with(|_| ());
            drop(guard);
            h.join().unwrap();
        }),
        ("arc drops", false, || {
            let payload = Arc::new(Payload(UnsafeCell::new(0)));
            let hs: Vec<_> = (0..2)
                .map(|i| {
                    let p = payload.clone();
                    thread::spawn(move || {
                        if i == 0 {
                            p.0.with_mut(|_| ());
                        }
                    })
                })
                .collect();
            drop(payload);
            for h in hs {
                h.join().unwrap();
            }
        }),
    ];
    for (name, racy, model) in models {
        for strategy in [StrategyKind::Dfs, StrategyKind::Dpor] {
            let mut builder = Builder::new();
            builder.strategy = strategy;
            let outcome = builder.run(model).expect("a valid configuration");
            let kind = outcome.failure.as_ref().map(|r| r.kind());
            let expected = racy.then_some(FailureKind::DataRace);
            assert_eq!(kind, expected, "{name} under {strategy:?}: {}", outcome.summary());
        }
    }
}
