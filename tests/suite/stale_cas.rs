//! Compare-exchanges that read a store older than the last
//! (`Builder::stale_cas`): RC11 lets a failing one, a load, read any store
//! coherence allows; loom's always reads the last. Unbounded, checker
//! explores those reads; under a preemption bound, by default, it does not,
//! and the replay command of a failure found there says so.

use checker::model::{Builder, FailureKind, StrategyKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicU64, Ordering::Relaxed};
use checker::thread;
use checker_tests::{Recorder, dfs_and_dpor_agree, expect_bug, outcomes};

/// Message passing with relaxed atomics, read back through a failing
/// compare-exchange: the main thread sees the flag, then its compare-exchange
/// of `x` fails. Having seen the flag, it can still read `x`'s initial
/// value (nothing orders the two stores for it), but only from a store
/// older than the last: in every interleaving where it saw the flag, `x`
/// is already 1.
fn flag_then_cas(record: &Recorder<(u64, Result<u64, u64>)>) {
    let (x, y, writer) = data_then_flag();
    let flag = y.load(Relaxed);
    let cas = x.compare_exchange(5, 6, Relaxed, Relaxed);
    writer.join().unwrap();
    record.record((flag, cas));
}

/// Two atomics, both 0, and a thread that sets `x` then `y` to 1 (relaxed).
fn data_then_flag() -> (Arc<AtomicU64>, Arc<AtomicU64>, thread::JoinHandle<()>) {
    let x = Arc::new(AtomicU64::new(0));
    let y = Arc::new(AtomicU64::new(0));
    let writer = {
        let (x, y) = (x.clone(), y.clone());
        thread::spawn(move || {
            x.store(1, Relaxed);
            y.store(1, Relaxed);
        })
    };
    (x, y, writer)
}

/// The outcome only a stale read of the compare-exchange gives.
const STALE: (u64, Result<u64, u64>) = (1, Err(0));

fn bounded(bound: usize, stale_cas: Option<bool>) -> Builder {
    let mut b = Builder::new();
    b.preemption_bound = Some(bound);
    b.stale_cas = stale_cas;
    b
}

#[test]
fn unbounded_a_failing_cas_reads_older_stores() {
    let mut b = Builder::new();
    b.preemption_bound = None;
    b.stale_cas = None;
    b.count_traces = true;
    let (outcome, seen) = outcomes(&b, flag_then_cas);
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    let all: Vec<_> = seen.into_iter().collect();
    assert_eq!(all, [(0, Err(0)), (0, Err(1)), (1, Err(0)), (1, Err(1))]);
    // One graph per pair of reads (each location has one store), and the
    // summary line says so.
    assert_eq!(outcome.graphs, Some(4), "{}", outcome.summary());
    assert!(outcome.summary().contains(", 4 graph(s)"), "{}", outcome.summary());
}

#[test]
fn under_a_bound_a_cas_reads_the_last_store_unless_asked() {
    // At bound 0 the main thread runs first, and never sees the flag.
    for bound in 1..=2 {
        let (outcome, seen) = outcomes(&bounded(bound, None), flag_then_cas);
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        assert!(!seen.contains(&STALE), "bound {bound}: {seen:?}");
        assert!(seen.contains(&(1, Err(1))), "bound {bound}: {seen:?}");
        let (outcome, seen) = outcomes(&bounded(bound, Some(true)), flag_then_cas);
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        assert!(seen.contains(&STALE), "bound {bound}, stale_cas on: {seen:?}");
    }
    // Off everywhere: not even unbounded.
    let mut b = Builder::new();
    b.preemption_bound = None;
    b.stale_cas = Some(false);
    let (_, seen) = outcomes(&b, flag_then_cas);
    assert!(!seen.contains(&STALE), "{seen:?}");
}

#[test]
fn dfs_and_dpor_agree_with_and_without_stale_cas() {
    for bound in [Some(0), Some(1), Some(2), None] {
        for stale_cas in [None, Some(true), Some(false)] {
            let mut b = Builder::new();
            b.preemption_bound = bound;
            b.stale_cas = stale_cas;
            dfs_and_dpor_agree(&format!("bound {bound:?}, stale_cas {stale_cas:?}"), &b, |r| {
                flag_then_cas(r);
            });
        }
    }
}

/// A retry loop: each thread adds one to `n` with a compare-exchange loop
/// that starts from a relaxed load. Older stores give failing
/// compare-exchanges more values to read, and so more executions.
fn cas_increments() {
    let n = Arc::new(AtomicU64::new(0));
    let add = |n: Arc<AtomicU64>| {
        let mut seen = n.load(Relaxed);
        while let Err(now) = n.compare_exchange(seen, seen + 1, Relaxed, Relaxed) {
            seen = now;
        }
    };
    let others: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            thread::spawn(move || add(n))
        })
        .collect();
    add(n.clone());
    for t in others {
        t.join().unwrap();
    }
    assert_eq!(n.load(Relaxed), 3);
}

#[test]
fn a_retry_loop_costs_fewer_executions_under_a_bound() {
    let run = |stale_cas| {
        let outcome = bounded(2, stale_cas).run(cas_increments).expect("a valid configuration");
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        outcome.executions
    };
    let (loom_like, rc11) = (run(None), run(Some(true)));
    assert!(loom_like < rc11, "{loom_like} executions with the last store, {rc11} with older ones");
}

/// A bug only a compare-exchange that reads an older store shows: having
/// seen the flag, the main thread expects `x` to be 1.
fn stale_cas_bug() {
    let (x, y, writer) = data_then_flag();
    if y.load(Relaxed) == 1 {
        let cas = x.compare_exchange(5, 6, Relaxed, Relaxed);
        assert_eq!(cas, Err(1), "saw the flag, then x = 0");
    }
    writer.join().unwrap();
}

#[test]
fn a_stale_cas_bug_under_a_bound_needs_stale_cas_on_and_replays() {
    let (outcome, _) = outcomes(&bounded(2, None), |_: &Recorder<()>| stale_cas_bug());
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    let report = expect_bug(&bounded(2, Some(true)), FailureKind::Panic, stale_cas_bug);
    assert!(report.message().contains("saw the flag, then x = 0"), "{report}");
    // Found with stale reads on: its replay command does not turn them off.
    assert!(!report.replay_command().contains("CHECKER_STALE_CAS"), "{}", report.replay_command());
}

#[test]
fn a_replay_of_a_bounded_failure_keeps_the_last_store_rule() {
    // A lost update found under a bound, whose compare-exchange reads the
    // last store: its path fits only a run where that is so, which the
    // printed command sets.
    let model = || {
        let n = Arc::new(AtomicU64::new(0));
        let t = {
            let n = n.clone();
            thread::spawn(move || {
                let v = n.load(Relaxed);
                let _ = n.compare_exchange(v, v + 1, Relaxed, Relaxed);
            })
        };
        let v = n.load(Relaxed);
        n.store(v + 1, Relaxed);
        t.join().unwrap();
        assert_eq!(n.load(Relaxed), 2, "lost update");
    };
    let mut b = bounded(2, None);
    b.strategy = StrategyKind::Dpor;
    let report = expect_bug(&b, FailureKind::Panic, model);
    assert!(
        report.replay_command().contains("CHECKER_STALE_CAS=0 "),
        "{}",
        report.replay_command()
    );
    let mut replay = Builder::new();
    replay.preemption_bound = None;
    replay.stale_cas = Some(false);
    replay.replay = Some(report.path().to_string());
    let again = replay.run(model).expect("the path fits the program");
    assert_eq!(again.failure.expect("the replay fails again").trace(), report.trace());
    // Without it, the compare-exchange has older stores to choose from.
    replay.stale_cas = None;
    let err = replay.run(model).expect_err("the path does not fit").to_string();
    assert!(err.contains("other settings"), "{err}");
}
