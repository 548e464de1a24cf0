//! Controlled randomness (`nondet::choose`, `checker::rand`), the random
//! and PCT strategies, and the energy budget.

use std::collections::BTreeSet;

use checker::model::{Builder, FailureKind, StrategyKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::{nondet, rand, thread};

use checker_tests::{Recorder, expect_bug, models, outcomes};

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
    let models: [(&str, Model); 5] = [
        ("store buffering, relaxed, with chosen values", |rec| {
            let (x, y) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
            let h = {
                let (x, y) = (x.clone(), y.clone());
                thread::spawn(move || {
                    x.store(1 + nondet::choose(2), Ordering::Relaxed);
                    y.load(Ordering::Relaxed)
                })
            };
            y.store(1, Ordering::Relaxed);
            let a = x.load(Ordering::Relaxed);
            rec.record(vec![a, h.join().unwrap()]);
        }),
        ("random values drawn around a race: the same under both", |rec| {
            let x = Arc::new(AtomicUsize::new(0));
            let h = {
                let x = x.clone();
                thread::spawn(move || {
                    let r = rand::range(0..1000usize);
                    x.store(r, Ordering::SeqCst);
                    rand::range(0..1000usize)
                })
            };
            let r = rand::range(0..1000usize);
            let seen = x.load(Ordering::SeqCst);
            rec.record(vec![r, seen, h.join().unwrap()]);
        }),
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
            found.push((seen, outcome.graphs, outcome.executions));
        }
        let (dfs, dpor) = (&found[0], &found[1]);
        assert_eq!(
            (&dfs.0, dfs.1),
            (&dpor.0, dpor.1),
            "{name}: DFS and DPOR disagree (outcomes, graphs)"
        );
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

/// Two threads race on a counter with a separate load and store: a lost
/// update, found by every strategy.
fn lost_update() {
    checker_tests::models::lost_update();
}

#[test]
fn random_and_pct_find_a_planted_bug_and_it_replays() {
    for strategy in [StrategyKind::Random, StrategyKind::Pct] {
        let mut b = with(strategy);
        b.energy(200);
        let report = expect_bug(&b, FailureKind::Panic, lost_update);
        assert!(report.execution() <= 200, "{strategy:?}: within the energy");
    }
}

/// A signature of every execution of a run, in order: which thread wrote
/// when, and the random values drawn.
fn signatures(strategy: StrategyKind, seed: u64) -> Vec<Vec<usize>> {
    use std::sync::Mutex as StdMutex;
    let runs = std::sync::Arc::new(StdMutex::new(Vec::new()));
    let log = runs.clone();
    let mut b = with(strategy);
    b.seed(seed).energy(30).split(false);
    let outcome = b
        .run(move || {
            let order = Arc::new(checker::sync::Mutex::new(Vec::new()));
            let h = {
                let order = order.clone();
                thread::spawn(move || {
                    for _ in 0..3 {
                        order.lock().unwrap().push(1);
                    }
                    rand::range(0..1000usize)
                })
            };
            for _ in 0..3 {
                order.lock().unwrap().push(0);
            }
            let mut sig = order.lock().unwrap().clone();
            sig.push(h.join().unwrap());
            sig.push(nondet::choose(5));
            log.lock().unwrap().push(sig);
        })
        .unwrap();
    assert_eq!(outcome.verdict, Verdict::Incomplete(checker::model::Limit::Energy(30)));
    assert_eq!(outcome.seed, seed);
    std::mem::take(&mut *runs.lock().unwrap())
}

#[test]
fn the_same_seed_gives_the_same_executions_and_another_seed_others() {
    // RFF too: its corpus and mutations are functions of the executions
    // before, which are functions of the seed.
    for strategy in [StrategyKind::Random, StrategyKind::Pct, StrategyKind::Pos, StrategyKind::Rff]
    {
        let a = signatures(strategy, 1);
        assert_eq!(a.len(), 30);
        assert_eq!(a, signatures(strategy, 1), "{strategy:?}: same seed, same executions");
        assert_ne!(a, signatures(strategy, 2), "{strategy:?}: another seed, other executions");
        let distinct: BTreeSet<_> = a.iter().collect();
        assert!(distinct.len() > 5, "{strategy:?}: executions vary: {distinct:?}");
        let orders: BTreeSet<_> = a.iter().map(|s| s[..s.len() - 2].to_vec()).collect();
        assert!(orders.len() > 2, "{strategy:?}: interleavings vary: {orders:?}");
    }
}

/// Three threads with racing steps: far more than 25 executions under
/// every strategy.
fn many_executions() {
    let x = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..2)
        .map(|_| {
            let x = x.clone();
            thread::spawn(move || {
                for _ in 0..3 {
                    x.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    x.fetch_add(1, Ordering::SeqCst);
    for h in hs {
        h.join().unwrap();
    }
}

#[test]
fn energy_accounting_is_exact() {
    use StrategyKind::*;
    for strategy in [Dpor, Dfs, Random, Pct, Pos, Rff] {
        let mut b = with(strategy);
        b.energy(25);
        let outcome = b.run(many_executions).unwrap();
        assert_eq!(outcome.executions, 25, "{strategy:?}: one unit per execution");
        assert_eq!(outcome.verdict, Verdict::Incomplete(checker::model::Limit::Energy(25)));
        let summary = outcome.summary();
        assert!(summary.contains("incomplete: energy spent (25 units)"), "{summary}");
        assert!(summary.contains("NOT verified"), "{summary}");
        if strategy.samples() {
            let name = outcome.strategy;
            assert!(summary.contains(&format!("{name} samples executions and never verifies")));
            assert!(summary.contains("seed 0x"), "{summary}");
            // Without a budget: the sampling default.
            let outcome = with(strategy).run(many_executions).unwrap();
            assert_eq!(outcome.verdict, Verdict::Incomplete(checker::model::Limit::Energy(1000)));
            assert_eq!(outcome.executions, 1000, "{strategy:?}");
        }
    }
    // Within the energy, a systematic search is verified as before.
    let mut b = with(StrategyKind::Dpor);
    b.energy(1000);
    let outcome = b.run(lost_update_fixed).unwrap();
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    assert!(outcome.executions < 1000);
}

fn lost_update_fixed() {
    let n = Arc::new(AtomicUsize::new(0));
    let h = {
        let n = n.clone();
        thread::spawn(move || {
            n.fetch_add(1, Ordering::SeqCst);
        })
    };
    n.fetch_add(1, Ordering::SeqCst);
    h.join().unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 2);
}

#[test]
fn sampling_strategies_never_verify_and_default_to_1000_executions() {
    for strategy in [StrategyKind::Random, StrategyKind::Pct] {
        let outcome = with(strategy).run(lost_update_fixed).unwrap();
        assert_eq!(outcome.executions, 1000, "{strategy:?}");
        assert_eq!(outcome.verdict, Verdict::Incomplete(checker::model::Limit::Energy(1000)));
        let summary = outcome.summary();
        assert!(summary.contains("never verifies") && summary.contains("seed 0x"), "{summary}");
        // max_permutations instead of the default energy.
        let mut b = with(strategy);
        b.max_permutations = Some(7);
        let outcome = b.run(lost_update_fixed).unwrap();
        assert_eq!(outcome.executions, 7);
        assert_eq!(outcome.verdict, Verdict::Incomplete(checker::model::Limit::MaxPermutations(7)));
    }
}

#[test]
fn sampling_strategies_refuse_checkpoints() {
    let mut b = with(StrategyKind::Random);
    b.checkpoint_file("/nonexistent/never-written.ckpt");
    let err = b.run(lost_update_fixed).unwrap_err();
    assert!(err.to_string().contains("does not take checkpoints"), "{err}");
}

/// PCT's guarantee: a depth-2 bug in a program of n = 2 threads and k = 19
/// steps (spawn, stores, pads, load, drops, join) is found by one execution
/// with probability at least 1/(n k) = 1/38. An energy of 320 is eight
/// times that expectation (seeds 1, 2, 3 find it in executions 39, 42 and
/// 10); with depth 1 (no change point) the bug cannot be reached at all.
#[test]
fn pct_finds_a_depth_two_bug_as_its_guarantee_says() {
    for seed in [1, 2, 3] {
        let mut b = with(StrategyKind::Pct);
        b.seed(seed).pct_depth(2).energy(320);
        let report = expect_bug(&b, FailureKind::Panic, models::preempted_between_two_stores);
        assert!(report.message().contains("between its two stores"), "{report}");
    }
    let mut b = with(StrategyKind::Pct);
    b.pct_depth(1).energy(320);
    let outcome = b.run(models::preempted_between_two_stores).unwrap();
    assert_eq!(outcome.verdict, Verdict::Incomplete(checker::model::Limit::Energy(320)));
}

/// With the feature `rand`, `checker::rand::Rng` is a `rand_core` 0.9
/// generator: its values are decisions like the module's.
#[test]
fn the_rng_value_serves_the_rand_core_traits() {
    fn draw<R: rand_core::RngCore>(r: &mut R) -> (u32, u64, [u8; 5]) {
        let mut bytes = [0; 5];
        r.fill_bytes(&mut bytes);
        (r.next_u32(), r.next_u64(), bytes)
    }
    let report = expect_bug(&with(StrategyKind::Random), FailureKind::Panic, || {
        let values = draw(&mut rand::Rng::new());
        panic!("drew {values:?}");
    });
    let decisions = report.trace().lines().filter(|l| l.contains("main  random")).count();
    assert_eq!(decisions, 3, "three decisions: {report}");
}
