//! The fork loop in the engine (issue 6, points 4-8): discoveries split an
//! execution into forked timelines that share one energy budget; a
//! timeline's bug comes back to the root with its recipe and replays.
//!
//! Every run here forks: the tests take `checker_tests::forking()`.

use checker::model::Limit;
use checker::model::{Builder, StrategyKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use checker::{assert_sometimes, assert_sometimes_gt, thread};
use checker_tests::{expect_bug, forking};
use scheduler::report::FailureKind;

/// The digits a timeline must draw, one `checker::rand` value each.
const SECRET: [u64; 3] = [7, 2, 9];

/// A bug behind a rare interleaving and a rare random value: the main
/// thread must read the counter while the other thread is half way (about
/// one schedule in nine), then draw the three digits of `SECRET` (one in a
/// thousand). Reading the middle and each matched digit are discoveries.
fn rare_bug() {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let t = thread::spawn(move || {
        for _ in 0..8 {
            c.fetch_add(1, SeqCst);
        }
    });
    let seen = count.load(SeqCst);
    assert_sometimes!(seen == 4, "read the counter half way");
    if seen == 4 {
        let mut matched = 0u64;
        for digit in SECRET {
            if checker::rand::range(0..10u64) != digit {
                break;
            }
            matched += 1;
            assert_sometimes_gt!(matched, 0, "digits of the secret matched");
        }
        assert!(matched < 3, "found the secret after a half-way read");
    }
    t.join().unwrap();
}

fn sampling(seed: u64, energy: u64, split: bool) -> Builder {
    let mut b = Builder::new();
    b.strategy(StrategyKind::Random).seed(seed).energy(energy).split(split);
    b.split_children = 16;
    b
}

/// Point 8: the multiverse finds the bug within the energy in most seeds;
/// independent random restarts with the same energy do not. Each run is a
/// pure function of its seed (one job: children run one at a time), so
/// the counts are the same on every machine.
#[test]
fn the_multiverse_finds_a_rare_bug_that_random_restarts_miss() {
    let _one = forking();
    const ENERGY: u64 = 600;
    let seeds = 1..=8u64;
    let mut split_found = 0;
    let mut restarts_found = 0;
    for seed in seeds.clone() {
        let outcome = sampling(seed, ENERGY, true).run(rare_bug).expect("a valid configuration");
        if outcome.verdict == Verdict::Failed {
            split_found += 1;
            let report = outcome.failure.as_ref().expect("a report");
            assert_eq!(report.kind(), FailureKind::Panic, "{report}");
            assert!(report.message().contains("found the secret"), "{report}");
            assert!(report.path().contains('+'), "a path and a recipe: {}", report.path());
            assert!(outcome.timelines > 0);
            // The digits were matched in timelines: their discoveries count.
            let a = &outcome.assertions;
            assert!(a.discoveries_total > a.discoveries.len() as u64, "{a:?}");
        } else {
            assert_eq!(outcome.verdict, Verdict::Incomplete(Limit::Energy(ENERGY)));
        }
        let restarts = sampling(seed, ENERGY, false).run(rare_bug).expect("a valid configuration");
        restarts_found += u32::from(restarts.verdict == Verdict::Failed);
        assert_eq!(restarts.timelines, 0, "no splitting");
    }
    println!("found in {split_found} of 8 seeds by the multiverse, {restarts_found} by restarts");
    assert!(split_found >= 6, "the multiverse found it in only {split_found} of 8 seeds");
    assert!(restarts_found <= 2, "random restarts found it in {restarts_found} of 8 seeds");
}

/// A timeline's bug is reported with its trace, and `<path>+<recipe>`
/// replays it in one process, without forking: under every sampling
/// strategy (issue 7, point 7: RFF's and POS's timelines too, which walk
/// with POS's priorities and RFF's constraints, named in the recipe).
#[test]
fn a_timelines_bug_replays_from_its_path_and_recipe() {
    let _one = forking();
    for (strategy, walk) in
        [(StrategyKind::Random, None), (StrategyKind::Pos, Some(":pos")), (StrategyKind::Rff, None)]
    {
        let b = (1..=8u64)
            .map(|seed| {
                let mut b = sampling(seed, 600, true);
                b.strategy(strategy);
                b
            })
            .find(|b| b.run(rare_bug).unwrap().verdict == Verdict::Failed)
            .unwrap_or_else(|| panic!("{strategy:?}: some seed finds the bug"));
        // Asserts the kind, the trace, and that the replay fails again.
        let report = expect_bug(&b, FailureKind::Panic, rare_bug);
        let depth = report.timeline_depth();
        assert!(depth >= 1, "{report}");
        assert!(report.to_string().contains(&format!("{depth} split(s) down")), "{report}");
        let (_, recipe) = report.path().split_once('+').expect("a path and a recipe");
        match walk {
            Some(tag) => assert!(recipe.contains(tag), "{strategy:?}: {recipe}"),
            None if strategy == StrategyKind::Random => assert!(!recipe.contains(':'), "{recipe}"),
            None => assert!(recipe.contains(":pos") || recipe.contains(":rff="), "{recipe}"),
        }
        assert!(
            report.replay_command().contains('\''),
            "the recipe's `->` is quoted for the shell"
        );
    }
}

/// Under a sampling strategy, a discovery the run spent n units of
/// energy to reach forks at most n children (of the 16 asked): one made in
/// the first execution forks one (without the cap: 9, all the energy
/// left).
#[test]
fn a_split_forks_no_more_children_than_the_energy_spent_before_it() {
    let _one = forking();
    let model = || {
        assert_sometimes!(true, "satisfied in the first execution");
        let x = Arc::new(AtomicUsize::new(0));
        let y = x.clone();
        let t = thread::spawn(move || y.store(1, SeqCst));
        let _ = x.load(SeqCst);
        t.join().unwrap();
    };
    let outcome = sampling(1, 10, true).run(model).expect("a valid configuration");
    assert_eq!(outcome.verdict, Verdict::Incomplete(Limit::Energy(10)));
    assert_eq!(outcome.timelines, 1, "{}", outcome.summary());
    assert_eq!(outcome.executions, 9);
}

/// The multiverse's mark table holds 256 marks: evaluations of discovery
/// assertions past that are counted, and the summary says they split
/// nothing. 300 distinct keys of one `assert_sometimes_each!` need 300
/// marks; a run without splitting (no table) loses none.
#[test]
fn a_full_mark_table_is_counted_not_silent() {
    let _one = forking();
    let model = || {
        for i in 0..300u32 {
            checker::assert_sometimes_each!("one mark per key", [i]);
        }
        let t = thread::spawn(|| {});
        t.join().unwrap();
    };
    let outcome = sampling(1, 3, true).run(model).expect("a valid configuration");
    let lost = outcome.assertions.lost_to_full_table;
    assert!(lost >= 44, "300 keys, 256 marks: {lost} lost");
    assert!(outcome.summary().contains("found the mark table full"), "{}", outcome.summary());
    let outcome = sampling(1, 3, false).run(model).expect("a valid configuration");
    assert_eq!(outcome.assertions.lost_to_full_table, 0, "no splitting, no table");
}

/// Point 5: every execution and every forked timeline costs one unit.
#[test]
fn energy_is_spent_exactly_by_executions_and_timelines() {
    let _one = forking();
    let model = || {
        let x = Arc::new(AtomicUsize::new(0));
        let y = x.clone();
        let t = thread::spawn(move || y.store(checker::rand::range(1..50usize), SeqCst));
        let v = x.load(SeqCst);
        assert_sometimes_gt!(v, 0, "the other thread stored first");
        t.join().unwrap();
    };
    // Adaptive mode (an allowance per mark) only decides who may spend;
    // every sampling strategy splits by default.
    for (strategy, allowance) in [
        (StrategyKind::Random, 0),
        (StrategyKind::Random, 4),
        (StrategyKind::Pos, 0),
        (StrategyKind::Rff, 0),
    ] {
        for energy in [1, 7, 40] {
            let mut b = sampling(3, energy, true);
            b.strategy(strategy).split = None;
            b.split_allowance = allowance;
            let outcome = b.run(model).expect("a valid configuration");
            assert_eq!(outcome.verdict, Verdict::Incomplete(Limit::Energy(energy)));
            assert_eq!(outcome.executions + outcome.timelines, energy, "{}", outcome.summary());
            if energy == 40 {
                assert!(outcome.timelines > 0, "the watermark split: {}", outcome.summary());
            }
        }
    }
}

/// Point 8: two jobs give the same verdict.
#[test]
fn two_jobs_give_the_same_verdict() {
    let _one = forking();
    for jobs in [1, 2] {
        let mut b = sampling(5, 3000, true);
        b.jobs(jobs);
        let outcome = b.run(rare_bug).expect("a valid configuration");
        assert_eq!(outcome.verdict, Verdict::Failed, "jobs {jobs}: {}", outcome.summary());
        let report = outcome.failure.expect("a report");
        assert!(report.message().contains("found the secret"), "{report}");
    }
}

/// Point 6: a timeline whose process aborts is a bug with its recipe,
/// never a pass.
#[test]
fn a_timeline_that_aborts_is_a_bug() {
    let _one = forking();
    let root = std::process::id();
    let model = move || {
        let x = Arc::new(AtomicUsize::new(0));
        let y = x.clone();
        let t = thread::spawn(move || y.store(1, SeqCst));
        let v = x.load(SeqCst);
        assert_sometimes!(v == 1, "the other thread stored first");
        // The split happens before this thread's next operation.
        let again = x.load(SeqCst);
        if again == 1 && std::process::id() != root {
            // Only in a forked timeline: the root (the test process) runs on.
            std::process::abort();
        }
        t.join().unwrap();
    };
    let outcome = sampling(1, 200, true).run(model).expect("a valid configuration");
    assert_eq!(outcome.verdict, Verdict::Failed, "{}", outcome.summary());
    let report = outcome.failure.expect("a report");
    assert_eq!(report.kind(), FailureKind::TimelineDied, "{report}");
    assert!(report.message().contains("SIGABRT"), "{report}");
    // The trace: the timeline followed in a process of its own up to its
    // death, the load that read 1 included.
    assert!(report.trace().contains("(1) "), "a numbered trace:\n{report}");
    assert!(report.trace().contains(".load(SeqCst) -> 1"), "{report}");
    assert!(report.trace().contains("process ended here: killed by signal 6"), "{report}");
    let (path, recipe) = report.path().split_once('+').expect("a path and a recipe");
    assert!(!recipe.is_empty() && recipe.contains('@'), "{path} + {recipe}");
}

/// DPOR splits only with a budget; a recipe that does not fit is refused.
#[test]
fn bad_multiverse_input_is_refused() {
    let _one = forking();
    let mut b = Builder::new();
    b.split(true);
    let err = b.run(rare_bug).expect_err("DPOR without energy cannot split");
    assert!(err.to_string().contains("CHECKER_ENERGY"), "{err}");

    let mut b = Builder::new();
    b.replay = Some("1+5@00000000000000ff".to_string());
    let err = b.run(rare_bug).expect_err("the recipe's split is not at the path's end");
    assert!(err.to_string().contains("recipe does not fit"), "{err}");
    b.replay = Some("1+5@zz".to_string());
    let err = b.run(rare_bug).expect_err("not a recipe");
    assert!(err.to_string().contains("recipe"), "{err}");
    for walk in ["pct", "rff=q1.2.3", "rff=p1.2"] {
        b.replay = Some(format!("1+0@ff:{walk}"));
        let err = b.run(rare_bug).expect_err("not a walk");
        assert!(err.to_string().contains("is not a"), "{walk}: {err}");
    }
}

/// Point 1: a `sometimes` satisfied only in a forked timeline counts as
/// satisfied: the listing at the end of `model()` spans every process.
#[test]
fn a_sometimes_satisfied_only_in_a_timeline_is_not_listed() {
    let _one = forking();
    let root = std::process::id();
    let model = move || {
        let x = Arc::new(AtomicUsize::new(0));
        let y = x.clone();
        let t = thread::spawn(move || y.store(1, SeqCst));
        let v = x.load(SeqCst);
        assert_sometimes!(v == 1, "the other thread stored first");
        let again = x.load(SeqCst);
        assert_sometimes!(again == 1 && std::process::id() != root, "ran in a timeline");
        t.join().unwrap();
    };
    let mut b = sampling(1, 100, true);
    b.fail_on_unsatisfied = true;
    let outcome = b.run(model).expect("a valid configuration");
    assert!(outcome.timelines > 0, "{}", outcome.summary());
    assert!(outcome.unsatisfied_failure().is_none(), "{:?}", outcome.assertions);
    let mut b = sampling(1, 100, false);
    b.fail_on_unsatisfied = true;
    let alone = b.run(model).expect("a valid configuration");
    let listing = alone.unsatisfied_failure().expect("never satisfied without timelines");
    assert!(listing.contains("ran in a timeline"), "{listing}");
}

/// Shared mappings of this process (Linux), for checking that none
/// outlives a run.
#[cfg(target_os = "linux")]
fn shared_mappings() -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines().filter(|l| l.split_whitespace().nth(1).is_some_and(|p| p.ends_with('s'))).count()
}

/// Point 6: no shared mapping outlives `model()`, whether it passes, fails
/// in the root, or fails in a timeline.
#[cfg(target_os = "linux")]
#[test]
fn no_shared_mapping_outlives_a_run() {
    let _one = forking();
    let before = shared_mappings();
    for seed in 1..=3 {
        let outcome = sampling(seed, 600, true).run(rare_bug).expect("a valid configuration");
        assert!(outcome.timelines > 0);
        assert_eq!(shared_mappings(), before, "seed {seed}: {}", outcome.summary());
    }
}

/// DPOR splits too, given a budget: its executions go on systematically
/// while the timelines forked at its discoveries sample.
#[test]
fn dpor_splits_with_an_energy_budget() {
    let _one = forking();
    let found = (1..=4u64).filter(|&seed| {
        let mut b = Builder::new();
        b.seed(seed).energy(2000).split(true);
        b.split_children = 16;
        let outcome = b.run(rare_bug).expect("a valid configuration");
        assert_eq!(outcome.strategy, "dpor");
        outcome.verdict == Verdict::Failed && outcome.timelines > 0
    });
    let found = found.count();
    println!("DPOR with splitting found it in {found} of 4 seeds");
    assert!(found >= 2, "DPOR with splitting found it in {found} of 4 seeds");
}
