//! Controlled randomness (`nondet::choose`, `checker::rand`), the random
//! and PCT strategies, and the energy budget.

use std::collections::BTreeSet;

use checker::model::{Builder, FailureKind, StrategyKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::{nondet, rand, thread};

use checker_tests::{Recorder, expect_bug, outcomes};

fn with(strategy: StrategyKind) -> Builder {
    let mut b = Builder::new();
    b.strategy = strategy;
    b
}

#[test]
fn choose_is_enumerated_by_dfs_and_dpor() {
    for strategy in [StrategyKind::Dfs, StrategyKind::Dpor] {
        let (outcome, seen) = outcomes(&with(strategy), |rec: &Recorder<(usize, usize, usize)>| {
            let h = thread::spawn(|| nondet::choose(2));
            let a = nondet::choose(3);
            let b = *nondet::choose_from(&[10, 20]);
            rec.record((a, b, h.join().unwrap()));
        });
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        let all: BTreeSet<_> = (0..3)
            .flat_map(|a| [10, 20].into_iter().flat_map(move |b| (0..2).map(move |c| (a, b, c))))
            .collect();
        assert_eq!(seen, all, "{strategy:?}: every combination of choices");
    }
}

/// Choices mixed into racy models: DFS and DPOR find the same outcomes and
/// the same classes of executions.
#[test]
fn dpor_matches_exhaustive_search_with_choices() {
    type Model = fn(&Recorder<Vec<usize>>);
    let models: [(&str, Model); 3] = [
        ("a choice picks what is stored, racing with a load", |rec| {
            let x = Arc::new(AtomicUsize::new(0));
            let h = {
                let x = x.clone();
                thread::spawn(move || {
                    let k = nondet::choose(3);
                    x.store(k + 1, Ordering::SeqCst);
                })
            };
            let seen = x.load(Ordering::SeqCst);
            h.join().unwrap();
            rec.record(vec![seen, x.load(Ordering::SeqCst)]);
        }),
        ("a choice decides whether a thread writes at all", |rec| {
            let x = Arc::new(AtomicUsize::new(0));
            let h = {
                let x = x.clone();
                thread::spawn(move || {
                    if nondet::choose(2) == 1 {
                        x.fetch_add(1, Ordering::SeqCst);
                    }
                    x.load(Ordering::SeqCst)
                })
            };
            let c = nondet::choose(2);
            x.fetch_add(10 * (c + 1), Ordering::SeqCst);
            let other = h.join().unwrap();
            rec.record(vec![c, other, x.load(Ordering::SeqCst)]);
        }),
        ("choices in both threads, around a lost update", |rec| {
            let x = Arc::new(AtomicUsize::new(0));
            let h = {
                let x = x.clone();
                thread::spawn(move || {
                    let v = x.load(Ordering::SeqCst);
                    x.store(v + 1 + nondet::choose(2), Ordering::SeqCst);
                })
            };
            let k = nondet::choose(2);
            let v = x.load(Ordering::SeqCst);
            x.store(v + 10 * (k + 1), Ordering::SeqCst);
            h.join().unwrap();
            rec.record(vec![k, x.load(Ordering::SeqCst)]);
        }),
    ];
    for (name, model) in models {
        let mut found = Vec::new();
        for strategy in [StrategyKind::Dfs, StrategyKind::Dpor] {
            let mut builder = with(strategy);
            builder.count_traces = true;
            let (outcome, seen) = outcomes(&builder, model);
            assert!(
                matches!(outcome.verdict, Verdict::Verified(_)),
                "{name}: {}",
                outcome.summary()
            );
            found.push((seen, outcome.traces, outcome.executions));
        }
        let (dfs, dpor) = (&found[0], &found[1]);
        assert_eq!((&dfs.0, dfs.1), (&dpor.0, dpor.1), "{name}: DFS and DPOR disagree");
        assert!(dpor.2 <= dfs.2, "{name}: DPOR ran more executions than DFS");
    }
}

#[test]
fn a_choice_is_in_the_trace_and_its_failure_replays() {
    for strategy in [StrategyKind::Dfs, StrategyKind::Dpor] {
        let report = expect_bug(&with(strategy), FailureKind::Panic, || {
            let k = nondet::choose(3);
            assert_ne!(k, 2, "the third alternative fails");
        });
        assert!(report.trace().contains("choose(3) = 2"), "{report}");
        assert!(report.trace().contains("random.rs"), "with its location: {report}");
    }
}

#[test]
fn choose_zero_is_a_clear_panic() {
    let outcome = Builder::new()
        .run(|| {
            nondet::choose(0);
        })
        .unwrap();
    let report = outcome.failure.expect("choose(0) fails");
    assert_eq!(report.kind(), FailureKind::Panic);
    assert!(report.message().contains("choose(0)"), "{report}");
}

/// A random value is one decision: recorded in the path and replayed
/// exactly (the failure message carries the values).
#[test]
fn random_values_replay_exactly() {
    for strategy in [StrategyKind::Dfs, StrategyKind::Dpor] {
        let report = expect_bug(&with(strategy), FailureKind::Panic, || {
            let x = Arc::new(AtomicUsize::new(0));
            let h = {
                let x = x.clone();
                thread::spawn(move || {
                    let r = rand::u64();
                    x.store(1, Ordering::SeqCst);
                    r
                })
            };
            let mut bytes = [0u8; 11];
            rand::fill_bytes(&mut bytes);
            let (a, b, c) = (rand::range(-5i32..5), rand::f64(), rand::chance(0.5));
            let seen = x.load(Ordering::SeqCst);
            let r = h.join().unwrap();
            assert!((-5..5).contains(&a) && (0.0..1.0).contains(&b));
            assert_eq!(seen, 0, "values {r} {bytes:?} {a} {b} {c}");
        });
        assert!(report.trace().contains("random u64 = "), "{report}");
        assert!(report.message().contains("values "), "{report}");
    }
}

/// Systematic strategies sample random values: the run is verified over
/// the interleavings, with the sampled values, and takes as many
/// executions as without the values.
#[test]
fn systematic_strategies_do_not_enumerate_random_values() {
    let model = |rec: &Recorder<bool>| {
        let h = thread::spawn(|| rand::u8());
        let b = rand::bool();
        rec.record(b);
        h.join().unwrap();
    };
    for strategy in [StrategyKind::Dfs, StrategyKind::Dpor] {
        let (outcome, seen) = outcomes(&with(strategy), model);
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        assert_eq!(seen.len(), 1, "one sampled value, not both: {seen:?}");
        assert!(outcome.summary().contains("sampled"), "{}", outcome.summary());
    }
}

#[test]
fn choose_and_rand_work_outside_a_model() {
    for _ in 0..100 {
        assert!(nondet::choose(4) < 4);
        assert!((3..9).contains(&rand::range(3u16..9)));
        assert_eq!(rand::range_inclusive(7..=7), 7);
        let f = rand::f32();
        assert!((0.0..1.0).contains(&f));
        assert!(!rand::chance(0.0) && rand::chance(1.0));
    }
    let mut rng = rand::Rng::new();
    let values: BTreeSet<u64> = (0..10).map(|_| rng.next_u64()).collect();
    assert!(values.len() > 1, "not constant");
}
