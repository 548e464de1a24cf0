//! Partial-order reduction loses no behaviour.
//!
//! On thousands of generated programs, DPOR finds exactly the outcomes
//! exhaustive search finds, unbounded and at preemption bounds 0, 1 and 2,
//! and never runs more executions; unbounded, it covers exactly the same
//! equivalence classes (Mazurkiewicz traces) and runs one complete execution
//! per class. Larger programs, where sleep sets block often, are checked the
//! same way against a conservative DPOR.
//!
//! `CHECKER_DIFF_PROGRAMS=<n>` runs `n` programs per shape instead of the
//! default (a hundred thousand in all: `CHECKER_DIFF_PROGRAMS=17000`);
//! `CHECKER_DIFF_SEED` changes the seeds.

use std::collections::BTreeSet;

use checker::model::{Builder, StrategyKind, Verdict};
use checker_tests::env_u64;
use checker_tests::outcomes;
use checker_tests::programs::{Observation, Program, Shape, generate};

/// What an exploration found: its outcomes, its complete (not redundant)
/// executions, and the distinct traces they covered.
struct Found {
    outcomes: BTreeSet<Observation>,
    complete: u64,
    traces: u64,
}

/// A bound no generated execution reaches: DPOR under it is conservative
/// (sleep sets only for the running thread, every initial of every race
/// added) yet still complete.
const CONSERVATIVE: Option<usize> = Some(1000);

/// Explores `program` under `strategy` and `bound`; `None` if the run would
/// be too long to wait for.
fn explore(program: &Program, strategy: StrategyKind, bound: Option<usize>) -> Option<Found> {
    let mut builder = Builder::new();
    builder.strategy = strategy;
    builder.preemption_bound = bound;
    builder.max_permutations = Some(100_000);
    builder.count_traces = true;
    let p = program.clone();
    let (outcome, seen) = outcomes(&builder, move |rec| rec.record(p.run()));
    match outcome.verdict {
        Verdict::Verified(_) => Some(Found {
            outcomes: seen,
            complete: outcome.executions - outcome.redundant,
            traces: outcome.traces.unwrap_or(0),
        }),
        Verdict::Incomplete(_) => None,
        Verdict::Failed => panic!("{program:?}{}", outcome.failure.unwrap()),
    }
}

/// Unbounded DPOR against `reference` on `program`.
fn compare_unbounded(program: &Program, reference: &Found, what: &str, optimal: bool) {
    let dpor =
        explore(program, StrategyKind::Dpor, None).expect("DPOR finishes where the reference does");
    assert_eq!(dpor.outcomes, reference.outcomes, "DPOR and {what} disagree on\n{program:?}");
    assert_eq!(
        dpor.traces, reference.traces,
        "DPOR covered other traces than {what} on\n{program:?}"
    );
    // Spin loops are the exception (see the DPOR module's deviations).
    assert!(
        dpor.complete == dpor.traces || !optimal,
        "DPOR ran {} complete executions for {} traces on\n{program:?}",
        dpor.complete,
        dpor.traces
    );
    assert!(
        dpor.complete <= reference.complete,
        "DPOR ran more executions than {what} on\n{program:?}"
    );
}

/// Checks `count` programs of `shape` against exhaustive search.
fn differential(shape: Shape, salt: u64, default_count: u64) {
    let count = env_u64("CHECKER_DIFF_PROGRAMS", default_count);
    let base = env_u64("CHECKER_DIFF_SEED", 0x5eed_0000) ^ salt;
    let mut checked = 0;
    for n in 0..count {
        let program = generate(base.wrapping_add(n.wrapping_mul(0x9e37_79b9)), &shape);
        let Some(dfs) = explore(&program, StrategyKind::Dfs, None) else { continue };
        compare_unbounded(&program, &dfs, "DFS", !shape.spins);
        for bound in [0, 1, 2] {
            let dfs = explore(&program, StrategyKind::Dfs, Some(bound)).unwrap();
            let dpor = explore(&program, StrategyKind::Dpor, Some(bound)).unwrap();
            assert_eq!(
                dpor.outcomes, dfs.outcomes,
                "bound {bound}: DPOR and DFS disagree on\n{program:?}"
            );
            // DPOR runs only executions within the bound, so its traces are
            // among DFS's: as many means the same.
            assert_eq!(
                dpor.traces, dfs.traces,
                "bound {bound}: DPOR covered fewer traces than DFS on\n{program:?}"
            );
            assert!(
                dpor.complete <= dfs.complete,
                "bound {bound}: DPOR ran {} executions, DFS {}, on\n{program:?}",
                dpor.complete,
                dfs.complete
            );
        }
        checked += 1;
    }
    assert!(
        checked * 10 >= count * 9,
        "only {checked} of {count} programs were small enough to check"
    );
}

fn shape(
    threads: std::ops::RangeInclusive<usize>,
    length: std::ops::RangeInclusive<usize>,
    total: usize,
) -> Shape {
    Shape {
        threads,
        length,
        total,
        vars: 1..=3,
        mutexes: 0,
        rwlocks: 0,
        model_arc_one_in: 0,
        branches: false,
        condvars: 0,
        spins: false,
        forks: false,
    }
}

#[test]
fn dpor_matches_exhaustive_search_on_two_threads() {
    differential(shape(2..=2, 1..=4, 8), 1, 1000);
}

#[test]
fn dpor_matches_exhaustive_search_on_three_and_four_threads() {
    differential(Shape { vars: 1..=4, ..shape(3..=4, 1..=2, 6) }, 2, 700);
}

#[test]
fn dpor_matches_exhaustive_search_with_locks() {
    differential(Shape { vars: 1..=2, mutexes: 2, ..shape(2..=3, 1..=3, 7) }, 3, 700);
}

#[test]
fn dpor_matches_exhaustive_search_with_rwlocks() {
    // Read sections of several threads commute; write sections order them.
    differential(Shape { vars: 1..=2, rwlocks: 2, ..shape(2..=3, 1..=3, 6) }, 10, 500);
    differential(Shape { vars: 1..=2, rwlocks: 1, mutexes: 1, ..shape(3..=3, 1..=2, 6) }, 11, 200);
}

#[test]
fn dpor_matches_exhaustive_search_with_arc_drops() {
    let arc = Shape { vars: 1..=2, mutexes: 1, model_arc_one_in: 1, ..shape(2..=3, 1..=2, 3) };
    differential(arc, 4, 500);
}

#[test]
fn dpor_matches_exhaustive_search_when_threads_branch_on_what_they_read() {
    differential(Shape { vars: 2..=3, branches: true, ..shape(3..=4, 1..=2, 5) }, 5, 500);
}

/// Larger programs, where sleep sets block often, against a conservative
/// DPOR (exhaustive search would take too long to be the oracle here).
#[test]
fn dpor_with_sleep_sets_matches_conservative_dpor_on_larger_programs() {
    let count = env_u64("CHECKER_DIFF_PROGRAMS", 100);
    let base = env_u64("CHECKER_DIFF_SEED", 0x5eed_0000) ^ 6;
    let shape = Shape {
        threads: 3..=5,
        length: 2..=3,
        total: 9,
        vars: 2..=4,
        mutexes: 1,
        rwlocks: 0,
        model_arc_one_in: 4,
        branches: true,
        condvars: 0,
        spins: false,
        forks: false,
    };
    let mut checked = 0;
    for n in 0..count {
        let program = generate(base.wrapping_add(n.wrapping_mul(0x9e37_79b9)), &shape);
        let Some(reference) = explore(&program, StrategyKind::Dpor, CONSERVATIVE) else { continue };
        compare_unbounded(&program, &reference, "conservative DPOR", true);
        checked += 1;
    }
    // Some of these are too large even for the conservative search (about
    // one in nine at 8,000 programs).
    assert!(
        checked * 10 >= count * 8,
        "only {checked} of {count} programs were small enough to check"
    );
}

#[test]
fn dpor_matches_exhaustive_search_with_condvar_handshakes() {
    differential(Shape { vars: 1..=2, condvars: 1, ..shape(2..=3, 1..=2, 2) }, 7, 400);
}

#[test]
fn dpor_matches_exhaustive_search_with_spin_loops() {
    differential(Shape { vars: 1..=2, spins: true, ..shape(2..=3, 1..=3, 5) }, 8, 400);
    // Three spinners and more steps: fairness among several yielding threads.
    differential(Shape { vars: 1..=2, spins: true, ..shape(3..=3, 1..=3, 8) }, 9, 150);
}

/// Generated programs whose threads spawn children of their own (each
/// child records its thread id, which depends on the order of the
/// spawns), with locks and branches.
#[test]
fn dpor_matches_exhaustive_search_with_threads_that_spawn() {
    differential(Shape { forks: true, ..shape(2..=3, 1..=3, 6) }, 12, 400);
    differential(
        Shape { forks: true, mutexes: 1, branches: true, ..shape(2..=3, 1..=2, 6) },
        13,
        300,
    );
}

/// Threads spawned by different threads: a spawn takes the next thread
/// id, which the model can see, so two spawns do not commute. Two threads
/// each spawn a child that records its own id: which child gets the lower
/// id depends on the order of the two spawns. DPOR once treated spawns as
/// independent and saw only one order (outcomes {true} against DFS's
/// {false, true}); also with a third spawner and a grandchild.
#[test]
fn dpor_matches_exhaustive_search_on_spawns_by_several_threads() {
    use checker::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use checker::thread;
    use std::sync::Arc as StdArc;

    fn id_of_current() -> u64 {
        let text = format!("{:?}", thread::current().id());
        text.trim_start_matches("ThreadId(").trim_end_matches(')').parse().expect("an id")
    }
    for spawners in [2usize, 3] {
        let model = move |rec: &checker_tests::Recorder<Vec<u64>>| {
            let ids = StdArc::new((0..spawners).map(|_| AtomicU64::new(0)).collect::<Vec<_>>());
            let hs: Vec<_> = (0..spawners)
                .map(|i| {
                    let ids = ids.clone();
                    thread::spawn(move || {
                        let child = thread::spawn(move || ids[i].store(id_of_current(), SeqCst));
                        child.join().unwrap();
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
            rec.record(ids.iter().map(|a| a.load(SeqCst)).collect());
        };
        let mut dfs = Builder::new();
        dfs.strategy = StrategyKind::Dfs;
        let (_, all) = outcomes(&dfs, model);
        let (outcome, seen) = outcomes(&Builder::new(), model);
        assert!(all.len() > 1, "the children's ids vary: {all:?}");
        assert_eq!(seen, all, "{spawners} spawners: DPOR {}", outcome.summary());
    }
}

/// Park and unpark: a thread parks once or twice; others unpark it, before
/// or after, once or more; everyone records what it saw of a flag.
#[test]
fn dpor_matches_exhaustive_search_on_park_and_unpark() {
    use checker::sync::atomic::{AtomicUsize, Ordering};
    use checker::thread;
    use std::sync::Arc as StdArc;

    type Model = fn(&checker_tests::Recorder<Vec<usize>>);
    let models: [(&str, Model); 3] = [
        ("one unpark, one park", |rec| {
            let flag = StdArc::new(AtomicUsize::new(0));
            let parker = {
                let flag = flag.clone();
                thread::spawn(move || {
                    let before = flag.load(Ordering::SeqCst);
                    thread::park();
                    vec![before, flag.load(Ordering::SeqCst)]
                })
            };
            flag.store(1, Ordering::SeqCst);
            parker.thread().unpark();
            rec.record(parker.join().unwrap());
        }),
        ("two unparkers, one park", |rec| {
            let flag = StdArc::new(AtomicUsize::new(0));
            let parker = {
                let flag = flag.clone();
                thread::spawn(move || {
                    thread::park();
                    vec![flag.load(Ordering::SeqCst)]
                })
            };
            let target = parker.thread().clone();
            let other = {
                let flag = flag.clone();
                thread::spawn(move || {
                    flag.fetch_add(1, Ordering::SeqCst);
                    target.unpark();
                })
            };
            flag.fetch_add(10, Ordering::SeqCst);
            parker.thread().unpark();
            other.join().unwrap();
            rec.record(parker.join().unwrap());
        }),
        ("two parks, two unparks", |rec| {
            let flag = StdArc::new(AtomicUsize::new(0));
            let taken = StdArc::new(AtomicUsize::new(0));
            let parker = {
                let (flag, taken) = (flag.clone(), taken.clone());
                thread::spawn(move || {
                    thread::park();
                    let first = flag.load(Ordering::SeqCst);
                    taken.store(1, Ordering::SeqCst);
                    thread::park();
                    vec![first, flag.load(Ordering::SeqCst)]
                })
            };
            parker.thread().unpark();
            flag.store(1, Ordering::SeqCst);
            // The second token only once the first is taken (tokens do not
            // add up), so the parker cannot block forever.
            while taken.load(Ordering::SeqCst) != 1 {
                thread::yield_now();
            }
            parker.thread().unpark();
            rec.record(parker.join().unwrap());
        }),
    ];
    for (name, model) in models {
        let mut found = Vec::new();
        for strategy in [StrategyKind::Dfs, StrategyKind::Dpor] {
            let mut builder = Builder::new();
            builder.strategy = strategy;
            builder.count_traces = true;
            let (outcome, seen) = outcomes(&builder, model);
            assert!(
                matches!(outcome.verdict, Verdict::Verified(_)),
                "{name}: {}",
                outcome.summary()
            );
            found.push((seen, outcome.traces));
        }
        assert_eq!(found[0], found[1], "{name}: DFS and DPOR disagree");
    }
}

/// DFS and DPOR on a hand-written model: both verify it, with the same
/// outcomes and the same traces, and DPOR runs no more executions; and the
/// same outcomes at preemption bounds 0 to 2.
fn same_under_both<T>(name: &str, spurious: bool, model: fn(&checker_tests::Recorder<T>))
where
    T: Ord + std::fmt::Debug + Send + 'static,
{
    // Timeouts that may pass at any step (the default unbounded) and only
    // once no thread can run (the default under a bound), each both ways.
    for eager_timeouts in [None, Some(true), Some(false)] {
        let mut base = Builder::new();
        base.spurious_wakeups = spurious;
        base.eager_timeouts = eager_timeouts;
        let name = format!("{name}, eager_timeouts {eager_timeouts:?}");
        checker_tests::dfs_and_dpor_agree(&name, &base, model);
        for bound in [0, 1, 2] {
            let mut seen = Vec::new();
            for strategy in [StrategyKind::Dfs, StrategyKind::Dpor] {
                let mut builder = base.clone();
                builder.strategy = strategy;
                builder.preemption_bound = Some(bound);
                let (outcome, found) = outcomes(&builder, model);
                assert!(
                    matches!(outcome.verdict, Verdict::Verified(_)),
                    "{name}: {}",
                    outcome.summary()
                );
                seen.push(found);
            }
            assert_eq!(
                seen[0], seen[1],
                "{name}, bound {bound}: DFS and DPOR found other outcomes"
            );
        }
    }
}

/// Timed condvar waits: whether the timeout passes before a notification is
/// a race DPOR must reverse, with one or two waiters, `notify_one` or
/// `notify_all`.
#[test]
fn dpor_matches_exhaustive_search_on_condvar_timeouts() {
    use checker::sync::{Condvar, Mutex};
    use checker::thread;
    use std::sync::Arc as StdArc;
    use std::time::Duration;

    type Pair = StdArc<(Mutex<u32>, Condvar)>;
    fn waiter(pair: &Pair, with_while: bool) -> (bool, u32) {
        let guard = pair.0.lock().unwrap();
        let (guard, result) = if with_while {
            pair.1.wait_timeout_while(guard, Duration::from_millis(1), |n| *n == 0).unwrap()
        } else {
            pair.1.wait_timeout(guard, Duration::from_millis(1)).unwrap()
        };
        (result.timed_out(), *guard)
    }
    type Model = fn(&checker_tests::Recorder<Vec<(bool, u32)>>);
    let models: [(&str, Model); 3] = [
        ("one timed waiter, notify_one", |rec| {
            let pair: Pair = StdArc::new((Mutex::new(0), Condvar::new()));
            let h = {
                let pair = pair.clone();
                thread::spawn(move || waiter(&pair, false))
            };
            *pair.0.lock().unwrap() = 1;
            pair.1.notify_one();
            rec.record(vec![h.join().unwrap()]);
        }),
        ("two timed waiters, notify_one outside the lock", |rec| {
            let pair: Pair = StdArc::new((Mutex::new(0), Condvar::new()));
            let hs: Vec<_> = (0..2)
                .map(|_| {
                    let pair = pair.clone();
                    thread::spawn(move || waiter(&pair, false))
                })
                .collect();
            *pair.0.lock().unwrap() = 1;
            pair.1.notify_one();
            rec.record(hs.into_iter().map(|h| h.join().unwrap()).collect());
        }),
        ("wait_timeout_while, a plain waiter, notify_all", |rec| {
            let pair: Pair = StdArc::new((Mutex::new(0), Condvar::new()));
            let timed = {
                let pair = pair.clone();
                thread::spawn(move || waiter(&pair, true))
            };
            let plain = {
                let pair = pair.clone();
                thread::spawn(move || {
                    let mut n = pair.0.lock().unwrap();
                    while *n == 0 {
                        n = pair.1.wait(n).unwrap();
                    }
                    (false, *n)
                })
            };
            {
                let mut n = pair.0.lock().unwrap();
                *n += 1;
                pair.1.notify_all();
            }
            rec.record(vec![timed.join().unwrap(), plain.join().unwrap()]);
        }),
    ];
    for (name, model) in models {
        same_under_both(name, false, model);
    }
}

/// Spurious wake-ups of condvar waits and parks, switched on: waits in
/// loops, and a park whose caller checks a flag.
#[test]
fn dpor_matches_exhaustive_search_with_spurious_wakeups() {
    use checker::sync::atomic::{AtomicUsize, Ordering};
    use checker::sync::{Condvar, Mutex};
    use checker::thread;
    use std::sync::Arc as StdArc;

    type Model = fn(&checker_tests::Recorder<Vec<usize>>);
    let models: [(&str, Model); 2] = [
        ("a waiter in a loop, counting its wake-ups", |rec| {
            let pair = StdArc::new((Mutex::new(false), Condvar::new()));
            let h = {
                let pair = pair.clone();
                thread::spawn(move || {
                    let mut wakeups = 0;
                    let mut ready = pair.0.lock().unwrap();
                    while !*ready {
                        ready = pair.1.wait(ready).unwrap();
                        wakeups += 1;
                    }
                    wakeups
                })
            };
            *pair.0.lock().unwrap() = true;
            pair.1.notify_one();
            rec.record(vec![h.join().unwrap()]);
        }),
        ("a park that may wake without the token", |rec| {
            let flag = StdArc::new(AtomicUsize::new(0));
            let parker = {
                let flag = flag.clone();
                thread::spawn(move || {
                    thread::park();
                    flag.load(Ordering::SeqCst)
                })
            };
            flag.store(1, Ordering::SeqCst);
            parker.thread().unpark();
            rec.record(vec![parker.join().unwrap()]);
        }),
    ];
    for (name, model) in models {
        same_under_both(name, true, model);
    }
}

/// `park_timeout` against unparks: taken or timed out, and a polling loop.
#[test]
fn dpor_matches_exhaustive_search_on_park_timeout() {
    use checker::sync::atomic::{AtomicUsize, Ordering};
    use checker::thread;
    use std::sync::Arc as StdArc;
    use std::time::Duration;

    type Model = fn(&checker_tests::Recorder<Vec<usize>>);
    let models: [(&str, Model); 2] = [
        ("two park_timeouts, one unpark", |rec| {
            let flag = StdArc::new(AtomicUsize::new(0));
            let parker = {
                let flag = flag.clone();
                thread::spawn(move || {
                    thread::park_timeout(Duration::from_millis(1));
                    let first = flag.load(Ordering::SeqCst);
                    thread::park_timeout(Duration::from_millis(1));
                    vec![first, flag.load(Ordering::SeqCst)]
                })
            };
            flag.store(1, Ordering::SeqCst);
            parker.thread().unpark();
            flag.store(2, Ordering::SeqCst);
            rec.record(parker.join().unwrap());
        }),
        ("polling with park_timeout until a flag is set", |rec| {
            let flag = StdArc::new(AtomicUsize::new(0));
            let parker = {
                let flag = flag.clone();
                thread::spawn(move || {
                    let mut polls = 0;
                    while flag.load(Ordering::SeqCst) == 0 {
                        thread::park_timeout(Duration::from_millis(1));
                        polls += 1;
                    }
                    polls
                })
            };
            flag.store(1, Ordering::SeqCst);
            parker.thread().unpark();
            rec.record(vec![parker.join().unwrap()]);
        }),
    ];
    for (name, model) in models {
        same_under_both(name, false, model);
    }
}

/// `Weak::upgrade` and count reads against drops: an upgrade races only
/// with the last drop, a count read with every drop.
#[test]
fn dpor_matches_exhaustive_search_on_weak_upgrades_and_counts() {
    use checker::sync::Arc;
    use checker::thread;

    type Model = fn(&checker_tests::Recorder<Vec<usize>>);
    let models: [(&str, Model); 3] = [
        ("an upgrade against two dropping threads", |rec| {
            let strong = Arc::new(7usize);
            let weak = Arc::downgrade(&strong);
            let droppers: Vec<_> = (0..2)
                .map(|_| {
                    let handle = strong.clone();
                    thread::spawn(move || drop(handle))
                })
                .collect();
            drop(strong);
            let got = weak.upgrade().map_or(0, |a| *a);
            for h in droppers {
                h.join().unwrap();
            }
            rec.record(vec![got]);
        }),
        ("two upgrades against the last drop", |rec| {
            let strong = Arc::new(7usize);
            let upgraders: Vec<_> = (0..2)
                .map(|_| {
                    let weak = Arc::downgrade(&strong);
                    thread::spawn(move || weak.upgrade().map_or(0, |a| *a))
                })
                .collect();
            drop(strong);
            rec.record(upgraders.into_iter().map(|h| h.join().unwrap()).collect());
        }),
        ("count reads against drops and an upgrade", |rec| {
            let strong = Arc::new(());
            let weak = Arc::downgrade(&strong);
            let dropper = {
                let handle = strong.clone();
                thread::spawn(move || drop(handle))
            };
            let upgrader = thread::spawn(move || weak.upgrade().is_some());
            let counts = vec![Arc::strong_count(&strong), Arc::weak_count(&strong)];
            let upgraded = upgrader.join().unwrap();
            dropper.join().unwrap();
            rec.record([counts, vec![usize::from(upgraded)]].concat());
        }),
    ];
    for (name, model) in models {
        same_under_both(name, false, model);
    }
}

/// The rest of the rwlock's operations: `try_read`, `try_write` and the
/// poison flag, against readers and a writer.
#[test]
fn dpor_matches_exhaustive_search_on_rwlock_try_and_poison() {
    use checker::sync::{Arc, RwLock};
    use checker::thread;

    type Model = fn(&checker_tests::Recorder<Vec<usize>>);
    let models: [(&str, Model); 2] = [
        ("try_write and try_read against a reader and a writer", |rec| {
            let lock = Arc::new(RwLock::new(0usize));
            let reader = {
                let lock = lock.clone();
                thread::spawn(move || *lock.read().unwrap())
            };
            let writer = {
                let lock = lock.clone();
                thread::spawn(move || *lock.write().unwrap() += 1)
            };
            let tried_write = lock.try_write().map_or(9, |mut g| {
                *g += 10;
                *g
            });
            let tried_read = lock.try_read().map_or(9, |g| *g);
            writer.join().unwrap();
            rec.record(vec![reader.join().unwrap(), tried_write, tried_read]);
        }),
        ("is_poisoned and clear_poison against a panicking writer", |rec| {
            let lock = Arc::new(RwLock::new(()));
            let writer = {
                let lock = lock.clone();
                thread::spawn(move || {
                    let _guard = lock.write().unwrap();
                    panic!("writer dies");
                })
            };
            let reader = {
                let lock = lock.clone();
                thread::spawn(move || usize::from(lock.read().is_err()))
            };
            let seen = usize::from(lock.is_poisoned());
            lock.clear_poison();
            assert!(writer.join().is_err());
            rec.record(vec![seen, reader.join().unwrap(), usize::from(lock.is_poisoned())]);
        }),
    ];
    for (name, model) in models {
        same_under_both(name, false, model);
    }
}

/// `Arc`'s raw pointers: a release through `decrement_strong_count` is a
/// drop like any other, ordered against drops, upgrades and count reads;
/// `into_raw`, `from_raw` and `increment_strong_count` are not steps.
#[test]
fn dpor_matches_exhaustive_search_on_arc_raw_pointers() {
    use checker::sync::Arc;
    use checker::sync::atomic::{AtomicUsize, Ordering};
    use checker::thread;
    use std::sync::Arc as StdArc;

    /// Its destructor records, in `who`, the thread that dropped it last.
    struct Last {
        me: StdArc<AtomicUsize>,
        who: StdArc<AtomicUsize>,
    }
    impl Drop for Last {
        fn drop(&mut self) {
            self.who.store(self.me.load(Ordering::SeqCst), Ordering::SeqCst);
        }
    }

    type Model = fn(&checker_tests::Recorder<Vec<usize>>);
    let models: [(&str, Model); 2] = [
        ("two threads release counts of one raw pointer, one reads the count", |rec| {
            let (me, who) = (StdArc::new(AtomicUsize::new(0)), StdArc::new(AtomicUsize::new(0)));
            let ptr = Arc::into_raw(Arc::new(Last { me: me.clone(), who: who.clone() }));
            // SAFETY: `ptr` holds one count; now two, then three.
            unsafe { Arc::increment_strong_count(ptr) };
            // SAFETY: as above.
            unsafe { Arc::increment_strong_count(ptr) };
            let address = ptr as usize;
            let releasers: Vec<_> = (1..=2)
                .map(|i| {
                    let me = me.clone();
                    thread::spawn(move || {
                        me.store(i, Ordering::SeqCst);
                        // SAFETY: one of the counts, released once.
                        unsafe { Arc::decrement_strong_count(address as *const Last) };
                    })
                })
                .collect();
            // SAFETY: the third count, turned back once.
            let mine = unsafe { Arc::from_raw(ptr) };
            let count = Arc::strong_count(&mine);
            me.store(0, Ordering::SeqCst);
            drop(mine);
            for h in releasers {
                h.join().unwrap();
            }
            rec.record(vec![count, who.load(Ordering::SeqCst)]);
        }),
        ("an upgrade against a release through the raw pointer", |rec| {
            let arc = Arc::new(5usize);
            let weak = Arc::downgrade(&arc);
            let address = Arc::into_raw(arc) as usize;
            let releaser = thread::spawn(move || {
                // SAFETY: the only count, released once.
                unsafe { Arc::decrement_strong_count(address as *const usize) };
            });
            let got = weak.upgrade().map_or(0, |a| *a);
            releaser.join().unwrap();
            rec.record(vec![got, weak.strong_count()]);
        }),
    ];
    for (name, model) in models {
        same_under_both(name, false, model);
    }
}
