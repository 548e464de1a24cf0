//! `CHECKER_STRATEGY=auto` (issue 7, point 4): DPOR for half the energy;
//! if it does not finish, RFF with splitting for the rest, and the run
//! says which phases ran and that it is not exhaustive.

use checker::model::{Builder, Coverage, StrategyKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use checker::thread;
use checker_tests::forking;
use scheduler::report::FailureKind;

/// Three threads, each adding twice: correct, and small enough for DPOR.
fn small_correct() {
    let n = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            thread::spawn(move || {
                n.fetch_add(1, SeqCst);
                n.fetch_add(1, SeqCst);
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(n.load(SeqCst), 4);
}

/// Four threads of load-then-store increments of two counters: more
/// classes than DPOR's share, and a lost update only some orders give
/// (asserted only on the last thread's view, so the bug is rare).
fn large_racy() {
    let n = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let n = n.clone();
            thread::spawn(move || {
                for _ in 0..3 {
                    let v = n.load(SeqCst);
                    n.store(v + 1, SeqCst);
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert!(n.load(SeqCst) > 3, "three increments or more were lost");
}

#[test]
fn auto_verifies_what_dpor_finishes_within_its_share() {
    let _one = forking();
    let mut b = Builder::new();
    b.strategy(StrategyKind::Auto).energy(200);
    let outcome = b.run(small_correct).expect("a valid configuration");
    assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Exhaustive), "{}", outcome.summary());
    assert!(!outcome.sampled);
    let phases = outcome.phases.as_deref().expect("auto says its phases");
    assert!(phases.starts_with("dpor:") && phases.contains("finished"), "{phases}");
    assert!(!phases.contains("rff"), "{phases}");
}

/// Auto splits only in its RFF phase: DPOR's share is for finishing, so
/// a discovery during it forks nothing (it did before, and cost `account`
/// of the sampling benchmark 20 units where DPOR alone needs 4).
#[test]
fn auto_does_not_split_while_dpor_runs() {
    let _one = forking();
    let mut b = Builder::new();
    b.strategy(StrategyKind::Auto).energy(200);
    let outcome = b
        .run(|| {
            checker::assert_sometimes!(true, "a discovery in the first execution");
            small_correct();
        })
        .expect("a valid configuration");
    assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Exhaustive), "{}", outcome.summary());
    assert_eq!(outcome.timelines, 0, "{}", outcome.summary());
    assert!(outcome.assertions.discoveries_total >= 1);
}

#[test]
fn auto_goes_on_with_rff_when_dpor_cannot_finish() {
    let _one = forking();
    let mut b = Builder::new();
    b.strategy(StrategyKind::Auto).energy(60).split(false);
    // A correct model that DPOR cannot finish in 30 executions.
    let model = || {
        let n = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..3)
            .map(|_| {
                let n = n.clone();
                thread::spawn(move || {
                    for _ in 0..3 {
                        n.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    };
    let outcome = b.run(model).expect("a valid configuration");
    assert!(matches!(outcome.verdict, Verdict::Incomplete(_)), "{}", outcome.summary());
    assert!(outcome.sampled, "the RFF phase samples: never verified");
    assert_eq!(outcome.executions, 60, "the whole energy, both phases: {}", outcome.summary());
    let phases = outcome.phases.as_deref().expect("auto says its phases");
    assert!(phases.contains("dpor: 30 execution(s), not finished"), "{phases}");
    assert!(phases.contains("then rff: 30 execution(s)"), "{phases}");
    assert!(outcome.summary().contains("NOT verified"), "{}", outcome.summary());
}

#[test]
fn auto_finds_a_bug_past_dpors_share_and_it_replays() {
    let _one = forking();
    let mut b = Builder::new();
    b.strategy(StrategyKind::Auto).energy(4000);
    let outcome = b.run(large_racy).expect("a valid configuration");
    assert_eq!(outcome.verdict, Verdict::Failed, "{}", outcome.summary());
    let phases = outcome.phases.as_deref().expect("auto says its phases");
    assert!(phases.contains("then rff"), "found in the RFF phase: {phases}");
    let report = outcome.failure.expect("a report");
    assert_eq!(report.kind(), FailureKind::Panic, "{report}");
    let mut replay = Builder::new();
    replay.replay = Some(report.path().to_string());
    let again = replay.run(large_racy).expect("the path fits");
    let again = again.failure.expect("the replay fails again");
    assert_eq!(again.trace(), report.trace());
}
