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
use checker_tests::outcomes;
use checker_tests::programs::{Observation, Program, Shape, generate};

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => {
            v.trim().parse().unwrap_or_else(|_| panic!("{name} must be a whole number, got {v:?}"))
        }
        Err(_) => default,
    }
}

/// What an exploration found: its outcomes, its complete (not redundant)
/// executions, and the distinct traces they covered.
struct Found {
    outcomes: BTreeSet<Observation>,
    complete: u64,
    traces: u64,
}

/// A bound no generated execution reaches: DPOR under it is conservative
/// (no sleep sets, every initial of every race added) yet still complete.
const CONSERVATIVE: Option<usize> = Some(1000);

/// Explores `program` under `strategy` and `bound`; `None` if the run would
/// be too long to wait for.
fn explore(program: &Program, strategy: StrategyKind, bound: Option<usize>) -> Option<Found> {
    let mut builder = Builder::new();
    builder.strategy = strategy;
    builder.preemption_bound = bound;
    builder.max_permutations = Some(100_000);
    builder.count_traces = bound.is_none() || bound == CONSERVATIVE;
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
        model_arc_one_in: 0,
        branches: false,
        condvars: 0,
        spins: false,
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
        model_arc_one_in: 4,
        branches: true,
        condvars: 0,
        spins: false,
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
