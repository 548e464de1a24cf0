//! The POS strategy (partial order sampling): finds planted bugs that
//! replay, and samples partial orders more evenly than the random walk.
//! That it is a function of its seed and spends its energy exactly is
//! tested with the other sampling strategies (random.rs).

use std::sync::Mutex as StdMutex;

use checker::model::{Builder, FailureKind, StrategyKind};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::thread;

use checker_tests::{expect_bug, models};

fn pos() -> Builder {
    let mut b = Builder::new();
    b.strategy = StrategyKind::Pos;
    b
}

/// Thread `a` takes `k` steps on an atomic of its own, then swaps 1 into
/// `x`; the main thread swaps 2 into `x` at once, then takes `k` steps of
/// its own. Two partial orders: the swaps one way or the other (read-
/// modify-writes: each reads the other's store or the initial 0). Returns
/// what `a`'s swap read: 0 when it came first.
fn late_racer(k: usize) -> usize {
    let x = Arc::new(AtomicUsize::new(0));
    let h = {
        let x = x.clone();
        thread::spawn(move || {
            let own = AtomicUsize::new(0);
            for _ in 0..k {
                own.fetch_add(1, Ordering::Relaxed);
            }
            x.swap(1, Ordering::Relaxed)
        })
    };
    x.swap(2, Ordering::Relaxed);
    let own = AtomicUsize::new(0);
    for _ in 0..k {
        own.fetch_add(1, Ordering::Relaxed);
    }
    h.join().unwrap()
}

/// Of `n` executions of [`late_racer`] under `strategy` and `seed`: how
/// many took the rare order (`a`'s store first), and the distinct traces.
fn rare_order_hits(strategy: StrategyKind, seed: u64, k: usize, n: u64) -> (u64, u64) {
    let hits = std::sync::Arc::new(StdMutex::new(0u64));
    let count = hits.clone();
    let mut b = Builder::new();
    b.strategy = strategy;
    b.count_traces = true;
    b.seed(seed).energy(n);
    let outcome = b
        .run(move || {
            if late_racer(k) == 0 {
                *count.lock().unwrap() += 1;
            }
        })
        .unwrap();
    assert_eq!(outcome.executions, n);
    let hits = *hits.lock().unwrap();
    (hits, outcome.traces.expect("counted"))
}

/// Point 3 of issue 7: on [`late_racer`] with `k = 8`, the random walk
/// takes the rare order (`a`'s nine steps before main's first) with
/// probability 2^-9 (about 0.8 in 400 executions), POS with about
/// 1/(k+2) = 1/10 (about 40 in 400): `a`'s steps are new events with fresh
/// priorities, each beating main's pending swap with probability one half
/// on average but not independently (they all race against the one
/// priority of main's swap). Seeds 1..=3 give 2, 0, 0 for the walk and 38,
/// 47, 37 for POS; the bounds below leave a wide margin either way.
#[test]
fn pos_samples_partial_orders_more_evenly_than_the_random_walk() {
    const K: usize = 8;
    const N: u64 = 400;
    for seed in 1..=3 {
        let (walk, walk_traces) = rare_order_hits(StrategyKind::Random, seed, K, N);
        let (pos, pos_traces) = rare_order_hits(StrategyKind::Pos, seed, K, N);
        assert!(walk <= 8, "seed {seed}: the walk took the rare order {walk} times in {N}");
        assert!(pos >= 20, "seed {seed}: POS took the rare order only {pos} times in {N}");
        assert_eq!(pos_traces, 2, "seed {seed}: POS covers both partial orders");
        assert!(walk_traces <= pos_traces, "seed {seed}: {walk_traces} > {pos_traces}");
    }
}

/// A lost update, a lock-order deadlock and a depth-2 bug (a load between
/// two consecutive stores of another thread), each found within 100
/// executions and replayed. The default seed finds the first two in
/// execution 5; seeds 1, 2, 3 find the third in executions 1, 11 and 2:
/// the load races with both stores, so each store re-draws its priority.
#[test]
fn pos_finds_planted_bugs_and_they_replay() {
    let mut b = pos();
    b.energy(100);
    let report = expect_bug(&b, FailureKind::Panic, models::lost_update);
    assert!(report.message().contains("lost update"), "{report}");
    expect_bug(&b, FailureKind::Deadlock, models::lock_order_inversion);
    for seed in [1, 2, 3] {
        b.seed(seed);
        let report = expect_bug(&b, FailureKind::Panic, models::preempted_between_two_stores);
        assert!(report.message().contains("between its two stores"), "{report}");
        assert!(report.execution() <= 100);
    }
}

#[test]
fn checker_strategy_pos_parses_and_a_bad_value_lists_it() {
    use scheduler::config::Config;
    let mut c = Config::default();
    c.apply_env_from(|v| (v == "CHECKER_STRATEGY").then(|| " POS ".to_string())).unwrap();
    assert_eq!(c.strategy, StrategyKind::Pos);
    assert!(c.strategy.samples() && c.splits(), "samples, and so splits by default");
    let err = c.apply_env_from(|v| (v == "CHECKER_STRATEGY").then(|| "poss".to_string()));
    let text = err.unwrap_err().to_string();
    assert!(text.contains("CHECKER_STRATEGY") && text.contains("\"poss\""), "{text}");
    assert!(text.contains("one of dpor, dfs, random, pct, pos, rff"), "{text}");
}
