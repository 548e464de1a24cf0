//! Primitives built on the engine's (Barrier, Once, OnceLock, LazyLock,
//! mpsc, Notify, scoped threads, block_on and AtomicWaker): each against
//! std's (or loom's) documented behaviour over every interleaving, with the
//! outcome sets where a model has several, and one planted bug per type
//! that the checker must find, report and replay.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll};
use std::time::Duration;

use checker::future::{AtomicWaker, block_on};
use checker::model::{Builder, FailureKind, Report, StrategyKind, Verdict};
use checker::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use checker::sync::mpsc::{self, RecvError, RecvTimeoutError, TryRecvError, TrySendError};
use checker::sync::{Arc, Barrier, LazyLock, Notify, Once, OnceLock};
use checker::thread;
use checker_tests::{Recorder, outcomes};

/// [`checker_tests::expect_bug`] with the default configuration: the
/// failure of `kind` is found and its path replays it. Returns the report.
fn expect_bug<F>(kind: FailureKind, model: F) -> Report
where
    F: Fn() + Send + Sync + Clone + 'static,
{
    checker_tests::expect_bug(&Builder::new(), kind, model)
}

/// The outcome set of `model` under exhaustive search and under DPOR, which
/// must agree; the model must pass in every execution.
fn verified_outcomes<T, F>(model: F) -> BTreeSet<T>
where
    T: Ord + Debug + Send + 'static,
    F: Fn(&Recorder<T>) + Send + Sync + Clone + 'static,
{
    let mut sets = Vec::new();
    for strategy in [StrategyKind::Dfs, StrategyKind::Dpor] {
        let mut builder = Builder::new();
        builder.strategy = strategy;
        let (outcome, seen) = outcomes(&builder, model.clone());
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        sets.push(seen);
    }
    let dpor = sets.pop().expect("two runs");
    assert_eq!(sets.pop().expect("two runs"), dpor, "DFS and DPOR see different outcomes");
    dpor
}

/// The outcome set of `model` under DPOR alone (for models too large to
/// search exhaustively in a test); the model must pass in every execution.
fn dpor_outcomes<T, F>(model: F) -> BTreeSet<T>
where
    T: Ord + Debug + Send + 'static,
    F: Fn(&Recorder<T>) + Send + Sync + 'static,
{
    let (outcome, seen) = outcomes(&Builder::new(), model);
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    seen
}

/// The message of a joined thread's panic.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload.downcast::<&str>().map(|s| s.to_string()).unwrap_or_default(),
    }
}

// ---- Barrier ----

#[test]
fn a_barrier_elects_exactly_one_leader_per_round_over_two_rounds() {
    // Three parties, two rounds. Nobody leaves a round before all arrived;
    // each round has one leader. Records who led each round.
    let seen = dpor_outcomes(|rec: &Recorder<(usize, usize)>| {
        let barrier = Arc::new(Barrier::new(3));
        let arrived = Arc::new(AtomicUsize::new(0));
        let leaders = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let party = {
            let (barrier, arrived, leaders) = (barrier.clone(), arrived.clone(), leaders.clone());
            move |me: usize| {
                let mut led = [false; 2];
                for (round, led) in led.iter_mut().enumerate() {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    *led = barrier.wait().is_leader();
                    assert!(arrived.load(Ordering::SeqCst) >= 3 * (round + 1), "left early");
                    if *led {
                        leaders[round].fetch_add(1 + me * 10, Ordering::SeqCst);
                    }
                }
            }
        };
        let handles: Vec<_> = (1..3)
            .map(|me| {
                let party = party.clone();
                thread::spawn(move || party(me))
            })
            .collect();
        party(0);
        for h in handles {
            h.join().unwrap();
        }
        // One leader per round: a sum of exactly one `1 + 10 * me`.
        let led = |round: usize| {
            let sum = leaders[round].load(Ordering::SeqCst);
            assert!(matches!(sum, 1 | 11 | 21), "round {round}: leaders sum to {sum}");
            sum / 10
        };
        rec.record((led(0), led(1)));
    });
    let first: BTreeSet<usize> = seen.iter().map(|&(first, _)| first).collect();
    let second: BTreeSet<usize> = seen.iter().map(|&(_, second)| second).collect();
    assert_eq!(first, BTreeSet::from([0, 1, 2]), "any party can arrive last: {seen:?}");
    assert_eq!(second, BTreeSet::from([0, 1, 2]), "in the second round too: {seen:?}");
}

#[test]
fn a_barrier_of_one_never_blocks_and_always_leads() {
    let outcome = Builder::new()
        .run(|| {
            let barrier = Barrier::new(1);
            assert!(barrier.wait().is_leader());
            assert!(barrier.wait().is_leader());
            assert!(Barrier::new(0).wait().is_leader());
        })
        .unwrap();
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
}

#[test]
fn a_barrier_sized_for_more_threads_than_wait_deadlocks() {
    let report = expect_bug(FailureKind::Deadlock, || {
        let barrier = Arc::new(Barrier::new(3));
        let h = {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
            })
        };
        barrier.wait();
        h.join().unwrap();
    });
    assert!(report.message().contains("Condvar#"), "waits in the barrier: {report}");
}

// ---- Once, OnceLock, LazyLock ----

#[test]
fn once_runs_its_initializer_exactly_once_under_contention() {
    // Three threads call_once; each then sees it completed and its effect.
    let seen = dpor_outcomes(|rec: &Recorder<usize>| {
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let winner = Arc::new(AtomicUsize::new(usize::MAX));
        let call = {
            let (once, runs, winner) = (once.clone(), runs.clone(), winner.clone());
            move |me: usize| {
                once.call_once(|| {
                    runs.fetch_add(1, Ordering::SeqCst);
                    winner.store(me, Ordering::SeqCst);
                });
                assert!(once.is_completed());
                assert_eq!(runs.load(Ordering::SeqCst), 1, "the initializer ran once, before");
            }
        };
        let handles: Vec<_> = (1..3)
            .map(|me| {
                let call = call.clone();
                thread::spawn(move || call(me))
            })
            .collect();
        call(0);
        for h in handles {
            h.join().unwrap();
        }
        rec.record(winner.load(Ordering::SeqCst));
    });
    assert_eq!(seen, BTreeSet::from([0, 1, 2]), "each thread can be the one that runs it");
}

#[test]
fn a_panicking_initializer_poisons_a_once() {
    let seen = verified_outcomes(|rec: &Recorder<(bool, String, bool)>| {
        let once = Arc::new(Once::new());
        let failed = {
            let once = once.clone();
            thread::spawn(move || once.call_once(|| panic!("initializer failed")))
        };
        let message = panic_message(failed.join().unwrap_err());
        let again = {
            let once = once.clone();
            thread::spawn(move || once.call_once(|| {}))
        };
        let poisoned_message = panic_message(again.join().unwrap_err());
        assert!(!once.is_completed());
        let mut poisoned = false;
        once.call_once_force(|state| poisoned = state.is_poisoned());
        assert!(once.is_completed(), "call_once_force completes a poisoned Once");
        once.call_once(|| unreachable!("completed"));
        rec.record((poisoned, format!("{message} / {poisoned_message}"), once.is_completed()));
    });
    let expected =
        (true, "initializer failed / Once instance has previously been poisoned".into(), true);
    assert_eq!(seen, BTreeSet::from([expected]));
}

/// Runs `Once` as a static: it starts every execution incomplete.
static STATIC_ONCE: Once = Once::new();

#[test]
fn a_static_once_runs_once_in_every_execution() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec: &Recorder<usize>| {
        let runs = Arc::new(AtomicUsize::new(0));
        let h = {
            let runs = runs.clone();
            thread::spawn(move || {
                STATIC_ONCE.call_once(|| {
                    runs.fetch_add(1, Ordering::SeqCst);
                })
            })
        };
        STATIC_ONCE.call_once(|| {
            runs.fetch_add(1, Ordering::SeqCst);
        });
        h.join().unwrap();
        rec.record(runs.load(Ordering::SeqCst));
    });
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    assert!(outcome.executions > 1, "{}", outcome.summary());
    assert_eq!(seen, BTreeSet::from([1]), "once per execution, in every execution");
}

#[test]
fn once_lock_initializes_once_and_every_thread_sees_the_value() {
    let seen = verified_outcomes(|rec: &Recorder<usize>| {
        let cell = Arc::new(OnceLock::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let init = {
            let (cell, runs) = (cell.clone(), runs.clone());
            move |me: usize| {
                *cell.get_or_init(|| {
                    runs.fetch_add(1, Ordering::SeqCst);
                    me
                })
            }
        };
        let h = {
            let init = init.clone();
            thread::spawn(move || init(1))
        };
        let mine = init(0);
        let theirs = h.join().unwrap();
        assert_eq!(mine, theirs, "both see the one value");
        assert_eq!(cell.get(), Some(&mine));
        assert_eq!(cell.set(7), Err(7), "a second set gives the value back");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        rec.record(mine);
    });
    assert_eq!(seen, BTreeSet::from([0, 1]), "either thread can initialize");
}

#[test]
fn once_lock_get_races_with_set_and_owned_access_needs_no_step() {
    let seen = verified_outcomes(|rec: &Recorder<Option<u32>>| {
        let cell = Arc::new(OnceLock::new());
        let h = {
            let cell = cell.clone();
            thread::spawn(move || cell.set(5).unwrap())
        };
        rec.record(cell.get().copied());
        h.join().unwrap();
        let mut cell = Arc::try_unwrap(cell).expect("the only handle");
        *cell.get_mut().unwrap() += 1;
        assert_eq!(cell.take(), Some(6));
        assert_eq!(cell.get(), None, "take empties the cell");
        assert_eq!(cell.set(1), Ok(()), "and it can be set again");
        assert_eq!(cell.into_inner(), Some(1));
        assert_eq!(OnceLock::from(3).wait(), &3);
    });
    assert_eq!(seen, BTreeSet::from([None, Some(5)]), "get before and after the set");
}

#[test]
fn lazy_lock_computes_once_for_all_threads() {
    let seen = verified_outcomes(|rec: &Recorder<usize>| {
        let runs = Arc::new(AtomicUsize::new(0));
        let lazy = {
            let runs = runs.clone();
            Arc::new(LazyLock::new(move || runs.fetch_add(1, Ordering::SeqCst) + 40))
        };
        let h = {
            let lazy = lazy.clone();
            thread::spawn(move || **lazy)
        };
        let mine = *LazyLock::force(&lazy);
        assert_eq!(h.join().unwrap(), mine);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        rec.record(mine);
    });
    assert_eq!(seen, BTreeSet::from([40]));
}

/// A static `LazyLock`: forced in every execution (its value carries over
/// from the first, see the `once` module doc; a constant here).
static STATIC_LAZY: LazyLock<Vec<u32>> = LazyLock::new(|| vec![1, 2, 3]);

#[test]
fn a_static_lazy_lock_is_forced_in_every_execution() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec: &Recorder<u32>| {
        let h = thread::spawn(|| STATIC_LAZY.iter().sum::<u32>());
        let mine = STATIC_LAZY.len() as u32;
        rec.record(h.join().unwrap() + mine);
    });
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    assert!(outcome.executions > 1, "{}", outcome.summary());
    assert_eq!(seen, BTreeSet::from([9]));
}

#[test]
fn a_check_then_set_on_a_once_lock_is_found_racy() {
    let report = expect_bug(FailureKind::Panic, || {
        let cell = Arc::new(OnceLock::new());
        let h = {
            let cell = cell.clone();
            thread::spawn(move || {
                if cell.get().is_none() {
                    cell.set(1).expect("the cell was empty");
                }
            })
        };
        if cell.get().is_none() {
            cell.set(0).expect("the cell was empty");
        }
        h.join().unwrap();
    });
    assert!(report.message().contains("the cell was empty"), "{report}");
}

// ---- mpsc ----

#[test]
fn a_channel_keeps_each_senders_order_and_recv_fails_once_all_senders_are_gone() {
    let seen = verified_outcomes(|rec: &Recorder<Vec<u32>>| {
        let (tx, rx) = mpsc::channel();
        let handles: Vec<_> = [10, 20]
            .into_iter()
            .map(|base| {
                let tx = tx.clone();
                thread::spawn(move || {
                    tx.send(base + 1).unwrap();
                    tx.send(base + 2).unwrap();
                })
            })
            .collect();
        drop(tx);
        let got: Vec<u32> = rx.iter().collect();
        assert_eq!(rx.recv(), Err(RecvError), "every sender is gone");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        for base in [10, 20] {
            let mine: Vec<u32> = got.iter().copied().filter(|m| m / 10 == base / 10).collect();
            assert_eq!(mine, [base + 1, base + 2], "per-sender order: {got:?}");
        }
        for h in handles {
            h.join().unwrap();
        }
        rec.record(got);
    });
    assert!(seen.contains(&vec![11, 12, 21, 22]) && seen.contains(&vec![21, 22, 11, 12]));
    assert!(seen.contains(&vec![11, 21, 12, 22]), "interleaved: {seen:?}");
    assert_eq!(seen.len(), 6, "every merge of the two orders: {seen:?}");
}

/// `recv_timeout`: the timeout may pass before the message arrives or not;
/// once the sender is gone without sending, it reports disconnection
/// unless it timed out first.
#[test]
fn recv_timeout_explores_the_message_the_timeout_and_the_disconnection() {
    let seen = verified_outcomes(|rec: &Recorder<(u32, Result<u32, String>)>| {
        for send in [0u32, 1] {
            let (tx, rx) = mpsc::channel::<u32>();
            let h = thread::spawn(move || {
                if send == 1 {
                    tx.send(7).unwrap();
                }
            });
            let got = rx.recv_timeout(Duration::from_millis(10));
            rec.record((send, got.map_err(|e: RecvTimeoutError| format!("{e:?}"))));
            h.join().unwrap();
        }
    });
    let expected = BTreeSet::from([
        (0, Err("Timeout".to_string())),
        (0, Err("Disconnected".to_string())),
        (1, Err("Timeout".to_string())),
        (1, Ok(7)),
    ]);
    assert_eq!(seen, expected);
}

#[test]
fn send_fails_once_the_receiver_is_gone_and_gives_the_value_back() {
    let seen = verified_outcomes(|rec: &Recorder<Result<(), u32>>| {
        let (tx, rx) = mpsc::channel::<u32>();
        let h = thread::spawn(move || drop(rx));
        let first = tx.send(1).map_err(|e| e.0);
        h.join().unwrap();
        assert_eq!(tx.send(2).map_err(|e| e.0), Err(2), "the receiver is gone");
        rec.record(first);
    });
    assert_eq!(seen, BTreeSet::from([Ok(()), Err(1)]), "before and after the drop");
}

#[test]
fn a_rendezvous_send_returns_only_after_the_receiver_took_the_value() {
    // The sender marks that `send` returned; the receiver looks before its
    // `recv`. With bound 0 it can never see the mark; with bound 1 it can.
    for bound in [0, 1] {
        let seen = verified_outcomes(move |rec: &Recorder<(bool, u32)>| {
            let (tx, rx) = mpsc::sync_channel(bound);
            let returned = Arc::new(AtomicBool::new(false));
            let h = {
                let returned = returned.clone();
                thread::spawn(move || {
                    tx.send(7).unwrap();
                    returned.store(true, Ordering::SeqCst);
                })
            };
            let early = returned.load(Ordering::SeqCst);
            let got = rx.recv().unwrap();
            h.join().unwrap();
            rec.record((early, got));
        });
        let expected = if bound == 0 {
            BTreeSet::from([(false, 7)])
        } else {
            BTreeSet::from([(false, 7), (true, 7)])
        };
        assert_eq!(seen, expected, "sync_channel({bound})");
    }
}

#[test]
fn try_send_and_try_recv_follow_the_bound() {
    let seen = verified_outcomes(|rec: &Recorder<(bool, bool)>| {
        let (tx, rx) = mpsc::sync_channel::<u32>(1);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx.try_send(1).unwrap();
        assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1]);
        // A rendezvous try_send succeeds only while the receiver waits.
        let (tx, rx) = mpsc::sync_channel::<u32>(0);
        let h = thread::spawn(move || rx.recv().ok());
        let sent = match tx.try_send(3) {
            Ok(()) => true,
            Err(TrySendError::Full(3)) => false,
            Err(e) => panic!("the receiver lives: {e:?}"),
        };
        drop(tx);
        let got = h.join().unwrap();
        assert_eq!(got.is_some(), sent, "a successful try_send is received");
        rec.record((sent, got.is_some()));
    });
    assert_eq!(seen, BTreeSet::from([(false, false), (true, true)]));
}

#[test]
fn a_receiver_iterating_while_its_own_thread_keeps_a_sender_deadlocks() {
    let report = expect_bug(FailureKind::Deadlock, || {
        let (tx, rx) = mpsc::channel();
        let producer = {
            let tx = tx.clone();
            thread::spawn(move || tx.send(1).unwrap())
        };
        // `tx` is still alive here: the iteration never ends.
        let total: u32 = rx.into_iter().sum();
        producer.join().unwrap();
        drop(tx);
        assert_eq!(total, 1);
    });
    assert!(report.message().contains("Condvar#"), "{report}");
}

// ---- Notify ----

#[test]
fn notify_keeps_its_permit_for_a_later_wait() {
    let seen = verified_outcomes(|rec: &Recorder<bool>| {
        let notify = Arc::new(Notify::new());
        let flag = Arc::new(AtomicBool::new(false));
        let h = {
            let (notify, flag) = (notify.clone(), flag.clone());
            thread::spawn(move || {
                flag.store(true, Ordering::SeqCst);
                notify.notify();
            })
        };
        let before = flag.load(Ordering::SeqCst);
        notify.wait();
        assert!(flag.load(Ordering::SeqCst), "woken only after the notification");
        h.join().unwrap();
        rec.record(before);
    });
    assert_eq!(seen, BTreeSet::from([false, true]), "notified before and after the wait");
}

#[test]
fn two_notifications_are_one_permit_so_two_waits_can_deadlock() {
    let report = expect_bug(FailureKind::Deadlock, || {
        let notify = Arc::new(Notify::new());
        let h = {
            let notify = notify.clone();
            thread::spawn(move || {
                notify.notify();
                notify.notify();
            })
        };
        notify.wait();
        notify.wait();
        h.join().unwrap();
    });
    assert!(report.message().contains("main waits"), "{report}");
}

#[test]
fn a_second_waiter_on_a_notify_is_refused() {
    // One permit, passed on by whoever takes it: only two waiters at once
    // can fail, and then the second one panics.
    let report = expect_bug(FailureKind::Panic, || {
        let notify = Arc::new(Notify::new());
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify())
        };
        let waiter = {
            let notify = notify.clone();
            thread::spawn(move || {
                notify.wait();
                notify.notify();
            })
        };
        notify.wait();
        notify.notify();
        notifier.join().unwrap();
        waiter.join().unwrap();
    });
    assert!(report.message().contains("only a single thread may wait on `Notify`"), "{report}");
}

// ---- scoped threads ----

#[test]
fn scoped_threads_borrow_locals_and_are_joined_at_scope_end() {
    let seen = verified_outcomes(|rec: &Recorder<(usize, Vec<u32>, u32)>| {
        let counter = AtomicUsize::new(0);
        let mut pushed = vec![1, 2];
        let data = [3u32, 4];
        let sum = thread::scope(|s| {
            s.spawn(|| counter.fetch_add(1, Ordering::SeqCst));
            s.spawn(|| pushed.push(counter.fetch_add(1, Ordering::SeqCst) as u32));
            let sum = s.spawn(|| data.iter().sum::<u32>());
            sum.join().unwrap()
        });
        // Both unjoined threads finished before `scope` returned.
        assert_eq!(counter.load(Ordering::SeqCst), 2);
        rec.record((counter.load(Ordering::SeqCst), pushed, sum));
    });
    let expected = BTreeSet::from([(2, vec![1, 2, 0], 7), (2, vec![1, 2, 1], 7)]);
    assert_eq!(seen, expected, "either borrowing thread can go first");
}

#[test]
fn a_panic_in_an_unjoined_scoped_thread_makes_scope_panic() {
    let seen = verified_outcomes(|rec: &Recorder<(String, bool)>| {
        let outer = thread::spawn(|| {
            thread::scope(|s| {
                s.spawn(|| panic!("scoped failure"));
            })
        });
        let message = panic_message(outer.join().unwrap_err());
        // A panic observed through the handle is the caller's to handle.
        let observed = thread::scope(|s| s.spawn(|| panic!("observed")).join().is_err());
        rec.record((message, observed));
    });
    assert_eq!(seen, BTreeSet::from([("a scoped thread panicked".to_string(), true)]));
}

#[test]
fn a_lost_update_between_scoped_threads_is_found() {
    let report = expect_bug(FailureKind::Panic, || {
        let n = AtomicUsize::new(0);
        thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    let v = n.load(Ordering::SeqCst);
                    n.store(v + 1, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(n.load(Ordering::SeqCst), 2, "lost update");
    });
    assert!(report.message().contains("lost update"), "{report}");
}

// ---- block_on and AtomicWaker ----

/// Ready once `flag` is set; registers its waker before looking again, so
/// a concurrent set is never missed (unless `careless`).
struct WaitForFlag {
    flag: Arc<AtomicBool>,
    waker: Arc<AtomicWaker>,
    polls: usize,
    careless: bool,
}

impl Future for WaitForFlag {
    type Output = usize;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        self.polls += 1;
        if self.flag.load(Ordering::SeqCst) {
            return Poll::Ready(self.polls);
        }
        self.waker.register_by_ref(cx.waker());
        if !self.careless && self.flag.load(Ordering::SeqCst) {
            return Poll::Ready(self.polls);
        }
        Poll::Pending
    }
}

fn flag_setter(careless: bool) -> impl Fn() + Send + Sync + Clone + 'static {
    move || {
        let flag = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(AtomicWaker::new());
        let h = {
            let (flag, waker) = (flag.clone(), waker.clone());
            thread::spawn(move || {
                flag.store(true, Ordering::SeqCst);
                waker.wake();
            })
        };
        let polls = block_on(WaitForFlag { flag, waker, polls: 0, careless });
        // At once, after the wake-up, or also after a spurious poll.
        assert!((1..=3).contains(&polls), "{polls} polls");
        h.join().unwrap();
    }
}

#[test]
fn block_on_a_future_woken_through_an_atomic_waker_never_hangs() {
    let seen = verified_outcomes(|rec: &Recorder<usize>| {
        let flag = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(AtomicWaker::new());
        let h = {
            let (flag, waker) = (flag.clone(), waker.clone());
            thread::spawn(move || {
                flag.store(true, Ordering::SeqCst);
                waker.wake();
            })
        };
        let polls = block_on(WaitForFlag { flag, waker, polls: 0, careless: false });
        h.join().unwrap();
        rec.record(polls);
    });
    assert_eq!(
        seen,
        BTreeSet::from([1, 2, 3]),
        "ready at once, after one wake-up, or after a spurious poll and the wake-up"
    );
    let outcome = Builder::new().run(flag_setter(false)).unwrap();
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
}

#[test]
fn a_future_that_registers_after_its_last_check_loses_the_wakeup() {
    let report = expect_bug(FailureKind::Deadlock, flag_setter(true));
    assert!(report.message().contains("parked with no unpark to come"), "{report}");
}

#[test]
fn atomic_waker_take_and_block_on_of_a_ready_future() {
    let outcome = Builder::new()
        .run(|| {
            assert_eq!(block_on(async { 3 }), 3);
            let waker = AtomicWaker::new();
            assert!(waker.take_waker().is_none());
            let noop = std::task::Waker::from(StdArc::new(Noop));
            waker.register(noop.clone());
            waker.register_by_ref(&noop);
            assert!(waker.take_waker().is_some());
            waker.wake();
        })
        .unwrap();
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
}

struct Noop;

impl std::task::Wake for Noop {
    fn wake(self: StdArc<Self>) {}
}
