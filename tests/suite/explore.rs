//! `checker::explore`, `stop_exploring`, `skip_branch` and
//! `Builder::expect_explicit_explore`: decisions taken while the model has
//! stopped exploring are not branched on, so a race that needs one is not
//! found, and the run says it pruned; after `explore()` the race is found.
//! DFS and DPOR agree on what is covered.

use checker::model::{Builder, Coverage, FailureKind, StrategyKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::thread;
use checker_tests::{Recorder, expect_bug, outcomes};

/// Where the model turns exploration back on.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Resume {
    /// Never: the whole execution runs unexplored after `stop_exploring`.
    Never,
    /// `explore()` before the racy increments.
    BeforeRace,
    /// `skip_branch()`, then `explore()`: skipping wins.
    SkipThenExplore,
    /// Nothing is called: with `expect_explicit_explore` nothing is explored.
    Nothing,
}

/// A lost update between the main thread and a child; `record` sees the
/// final count (1 when an update was lost).
fn lost_update(resume: Resume, record: impl Fn(usize)) {
    match resume {
        Resume::Never | Resume::BeforeRace => checker::stop_exploring(),
        Resume::SkipThenExplore => checker::skip_branch(),
        Resume::Nothing => {}
    }
    let n = Arc::new(AtomicUsize::new(0));
    let h = {
        let n = n.clone();
        thread::spawn(move || {
            let v = n.load(Ordering::SeqCst);
            n.store(v + 1, Ordering::SeqCst);
        })
    };
    if matches!(resume, Resume::BeforeRace | Resume::SkipThenExplore) {
        checker::explore();
    }
    let v = n.load(Ordering::SeqCst);
    n.store(v + 1, Ordering::SeqCst);
    h.join().unwrap();
    record(n.load(Ordering::SeqCst));
}

fn builder(strategy: StrategyKind) -> Builder {
    let mut b = Builder::new();
    b.strategy = strategy;
    b
}

const BOTH: [StrategyKind; 2] = [StrategyKind::Dpor, StrategyKind::Dfs];

#[test]
fn a_race_inside_a_stop_exploring_region_is_not_found_and_the_run_says_it_pruned() {
    for resume in [Resume::Never, Resume::SkipThenExplore] {
        for strategy in BOTH {
            let b = builder(strategy);
            let (outcome, seen) =
                outcomes(&b, move |r: &Recorder<usize>| lost_update(resume, |n| r.record(n)));
            assert_eq!(seen.into_iter().collect::<Vec<_>>(), [2], "{strategy:?}");
            assert_eq!(outcome.executions, 1, "{strategy:?}: one schedule only");
            let Verdict::Verified(Coverage::Pruned(n)) = outcome.verdict else {
                panic!("{strategy:?}: {:?}", outcome.verdict)
            };
            assert!(n >= 1, "{strategy:?}");
            let summary = outcome.summary();
            assert!(summary.contains("NOT exhaustive"), "{summary}");
            assert!(
                summary
                    .contains(&format!("pruned {n} decision(s) with stop_exploring/skip_branch")),
                "{summary}"
            );
            assert!(!summary.contains("verified"), "{summary}");
        }
    }
}

#[test]
fn the_same_race_after_explore_is_found_and_replays() {
    for strategy in BOTH {
        let b = builder(strategy);
        let report = expect_bug(&b, FailureKind::Panic, || {
            lost_update(Resume::BeforeRace, |n| assert_eq!(n, 2, "lost update"))
        });
        assert!(report.message().contains("lost update"), "{report}");
        let (outcome, seen) =
            outcomes(&b, |r: &Recorder<usize>| lost_update(Resume::BeforeRace, |n| r.record(n)));
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), [1, 2], "{strategy:?}");
        // Only main ran while exploring was off: no decision was pruned.
        assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Exhaustive), "{strategy:?}");
    }
}

#[test]
fn expect_explicit_explore_starts_every_execution_unexplored() {
    for strategy in BOTH {
        let mut b = builder(strategy);
        b.expect_explicit_explore = true;
        let (off, seen_off) =
            outcomes(&b, |r: &Recorder<usize>| lost_update(Resume::Nothing, |n| r.record(n)));
        assert_eq!(seen_off.into_iter().collect::<Vec<_>>(), [2], "{strategy:?}");
        assert_eq!(off.executions, 1);
        assert!(matches!(off.verdict, Verdict::Verified(Coverage::Pruned(_))), "{strategy:?}");
        let (_, seen_on) =
            outcomes(&b, |r: &Recorder<usize>| lost_update(Resume::BeforeRace, |n| r.record(n)));
        assert_eq!(seen_on.into_iter().collect::<Vec<_>>(), [1, 2], "{strategy:?}");
    }
}

/// Three threads, each one racy increment; the second child stops
/// exploring around its own steps (exploring is per execution, so every
/// decision meanwhile is pruned). Without pruning DFS and DPOR find the same
/// final counts. With it DPOR covers a subset of DFS: a race whose reversal
/// would start in a pruned state is dropped (deviation 8 in dpor.rs), where
/// DFS may still reach the reversed order from an earlier explored state.
#[test]
fn dfs_and_dpor_agree_with_a_pruned_region_in_a_child() {
    fn model(prune: bool, r: &Recorder<(usize, usize)>) {
        let a = Arc::new(AtomicUsize::new(0));
        let b = Arc::new(AtomicUsize::new(0));
        let t1 = {
            let a = a.clone();
            thread::spawn(move || {
                let v = a.load(Ordering::SeqCst);
                a.store(v + 1, Ordering::SeqCst);
            })
        };
        let t2 = {
            let b = b.clone();
            thread::spawn(move || {
                if prune {
                    checker::stop_exploring();
                }
                let v = b.load(Ordering::SeqCst);
                b.store(v + 1, Ordering::SeqCst);
                if prune {
                    checker::explore();
                }
            })
        };
        let v = a.load(Ordering::SeqCst);
        a.store(v + 1, Ordering::SeqCst);
        let w = b.load(Ordering::SeqCst);
        b.store(w + 1, Ordering::SeqCst);
        t1.join().unwrap();
        t2.join().unwrap();
        r.record((a.load(Ordering::SeqCst), b.load(Ordering::SeqCst)));
    }
    for prune in [false, true] {
        let (dpor, by_dpor) = outcomes(&builder(StrategyKind::Dpor), move |r| model(prune, r));
        let (dfs, by_dfs) = outcomes(&builder(StrategyKind::Dfs), move |r| model(prune, r));
        if prune {
            assert!(by_dpor.is_subset(&by_dfs), "{by_dpor:?} {by_dfs:?}");
            assert!(by_dfs.contains(&(1, 2)), "{by_dfs:?}");
        } else {
            assert_eq!(by_dpor, by_dfs);
            assert!(by_dpor.contains(&(1, 2)), "{by_dpor:?}");
        }
        assert!(by_dpor.contains(&(2, 2)), "prune = {prune}");
        assert_eq!(prune, matches!(dpor.verdict, Verdict::Verified(Coverage::Pruned(_))));
        assert_eq!(prune, matches!(dfs.verdict, Verdict::Verified(Coverage::Pruned(_))));
        if !prune {
            assert!(by_dpor.contains(&(2, 1)), "{by_dpor:?}");
        }
    }
}
