//! The POS strategy (partial order sampling): finds planted bugs that
//! replay, is a function of its seed, spends its energy exactly, and
//! samples partial orders more evenly than the random walk.

use std::collections::BTreeSet;
use std::sync::Mutex as StdMutex;

use checker::model::{Builder, FailureKind, Limit, StrategyKind, Verdict};
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::sync::{Arc, Mutex};
use checker::{nondet, rand, thread};

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
        let report = expect_bug(&b, FailureKind::Panic, preempted_between_two_stores);
        assert!(report.message().contains("between its two stores"), "{report}");
        assert!(report.execution() <= 100);
    }
}

/// The main thread pads, then reads a flag that the other thread sets and
/// clears in two consecutive steps: the bug needs the other thread to stop
/// exactly between its two stores.
fn preempted_between_two_stores() {
    let flag = Arc::new(AtomicUsize::new(0));
    let pad = Arc::new(AtomicUsize::new(0));
    let h = {
        let flag = flag.clone();
        thread::spawn(move || {
            flag.store(1, Ordering::SeqCst);
            flag.store(0, Ordering::SeqCst);
        })
    };
    for _ in 0..10 {
        pad.fetch_add(1, Ordering::SeqCst);
    }
    let seen = flag.load(Ordering::SeqCst);
    h.join().unwrap();
    assert_eq!(seen, 0, "read the flag between its two stores");
}

/// A signature of every execution of a POS run, in order: the order of
/// the critical sections main saw before joining, a random value and a
/// choice.
fn signatures(seed: u64) -> Vec<Vec<usize>> {
    let runs = std::sync::Arc::new(StdMutex::new(Vec::new()));
    let log = runs.clone();
    let mut b = pos();
    b.seed(seed).energy(30);
    let outcome = b
        .run(move || {
            let order = Arc::new(Mutex::new(Vec::new()));
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
    assert_eq!(outcome.verdict, Verdict::Incomplete(Limit::Energy(30)));
    assert_eq!(outcome.seed, seed);
    std::mem::take(&mut *runs.lock().unwrap())
}

#[test]
fn the_same_seed_gives_the_same_executions_and_another_seed_others() {
    let a = signatures(1);
    assert_eq!(a.len(), 30);
    assert_eq!(a, signatures(1), "same seed, same executions");
    assert_ne!(a, signatures(2), "another seed, other executions");
    let distinct: BTreeSet<_> = a.iter().collect();
    assert!(distinct.len() > 5, "executions vary: {distinct:?}");
    let orders: BTreeSet<_> = a.iter().map(|s| s[..s.len() - 2].to_vec()).collect();
    assert!(orders.len() > 2, "interleavings vary: {orders:?}");
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
