//! Spin loops that yield: DPOR against exhaustive search, and what yields
//! cost DPOR on the spin-wait benchmarks.

use checker::cell::UnsafeCell;
use checker::model::{Builder, FailureKind, Outcome, StrategyKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering, fence};
use checker::thread;
use checker_tests::{Recorder, dfs_and_dpor_agree, expect_bug};

/// The `spsc` benchmark (`benches/src/models.rs`): a ring of two slots,
/// the model body producing `items`, one consumer; both sides spin with
/// `yield_now` on the other's counter.
fn spsc(items: usize) {
    const CAPACITY: usize = 2;
    struct Ring {
        slots: [UnsafeCell<usize>; CAPACITY],
        head: AtomicUsize,
        tail: AtomicUsize,
    }
    // SAFETY: the slots are the only non-`Sync` part; every slot access is
    // checked for a data race and a racing access stops the execution
    // before its pointer is dereferenced.
    unsafe impl Sync for Ring {}
    let ring = Arc::new(Ring {
        slots: [UnsafeCell::new(0), UnsafeCell::new(0)],
        head: AtomicUsize::new(0),
        tail: AtomicUsize::new(0),
    });
    let consumer = {
        let ring = Arc::clone(&ring);
        thread::spawn(move || {
            let mut received = Vec::with_capacity(items);
            for head in 0..items {
                while ring.tail.load(Ordering::Acquire) == head {
                    thread::yield_now();
                }
                // SAFETY: `tail` > `head`: the producer wrote this slot.
                let item = ring.slots[head % CAPACITY].with(|slot| unsafe { *slot });
                received.push(item);
                ring.head.store(head + 1, Ordering::Release);
            }
            received
        })
    };
    for tail in 0..items {
        while tail - ring.head.load(Ordering::Acquire) == CAPACITY {
            thread::yield_now();
        }
        // SAFETY: the consumer has read this slot's previous item.
        ring.slots[tail % CAPACITY].with_mut(|slot| unsafe { *slot = tail + 1 });
        ring.tail.store(tail + 1, Ordering::Release);
    }
    let received = consumer.join().unwrap();
    assert!(received.iter().copied().eq(1..=items), "spsc: received {received:?}");
}

/// The `seqlock` benchmark with one reader (`benches/src/models.rs`): the
/// reader retries, after `yield_now`, until both sequence loads agree.
fn seqlock() {
    seqlock_observed(true);
}

/// The seqlock with one reader, with or without the reader's acquire fence
/// (without it, a reader may accept a torn snapshot); returns the accepted
/// snapshot and the reader's retries.
fn seqlock_observed(with_fence: bool) -> (usize, usize, usize, usize) {
    let lock = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)]);
    let reader = {
        let lock = Arc::clone(&lock);
        thread::spawn(move || {
            let mut retries = 0;
            loop {
                let seq0 = lock[0].load(Ordering::Acquire);
                if seq0 % 2 == 1 {
                    thread::yield_now();
                    retries += 1;
                    continue;
                }
                let r1 = lock[1].load(Ordering::Relaxed);
                let r2 = lock[2].load(Ordering::Relaxed);
                if with_fence {
                    fence(Ordering::Acquire);
                }
                let seq1 = lock[0].load(Ordering::Relaxed);
                if seq0 == seq1 {
                    break (seq0, r1, r2, retries);
                }
                thread::yield_now();
                retries += 1;
            }
        })
    };
    lock[0].store(1, Ordering::Relaxed);
    fence(Ordering::Release);
    lock[1].store(1, Ordering::Relaxed);
    lock[2].store(1, Ordering::Relaxed);
    lock[0].store(2, Ordering::Release);
    let (seq, r1, r2, retries) = reader.join().unwrap();
    assert!(r1 == seq / 2 && r2 == seq / 2, "seqlock: ({r1}, {r2}) under {seq}");
    (seq, r1, r2, retries)
}

fn run(strategy: StrategyKind, body: fn()) -> Outcome {
    let mut builder = Builder::new();
    builder.strategy = strategy;
    builder.count_traces = true;
    let outcome = builder.run(body).expect("a valid configuration");
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    outcome
}

/// Prints DPOR's executions on the spin-wait benchmarks (run with
/// `--ignored --nocapture`).
#[test]
#[ignore = "a measurement: prints DPOR's executions on the spin-wait benchmarks"]
fn spin_wait_benchmark_executions() {
    let models: [(&str, fn()); 3] =
        [("spsc 2/2", || spsc(2)), ("spsc 3/2", || spsc(3)), ("seqlock 1", seqlock)];
    for (name, body) in models {
        let o = run(StrategyKind::Dpor, body);
        println!(
            "{name}: {} executions ({} redundant), {} traces",
            o.executions,
            o.redundant,
            o.traces.unwrap_or(0)
        );
    }
}

/// Message passing through a flag that a reader spins on with `yield_now`
/// (`Acquire` or `Relaxed`), counting its tries: the data it then reads and
/// the count are the outcome.
fn spin_on_flag(rec: &Recorder<(usize, usize, usize)>, acquire: bool) {
    let shared = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
    let reader = {
        let shared = Arc::clone(&shared);
        thread::spawn(move || {
            let order = if acquire { Ordering::Acquire } else { Ordering::Relaxed };
            let mut tries = 0;
            let flag = loop {
                let flag = shared.1.load(order);
                if flag != 0 || tries == 3 {
                    break flag;
                }
                thread::yield_now();
                tries += 1;
            };
            (flag, shared.0.load(Ordering::Relaxed), tries)
        })
    };
    shared.0.store(7, Ordering::Relaxed);
    shared.1.store(1, Ordering::Release);
    shared.0.store(8, Ordering::Relaxed);
    rec.record(reader.join().unwrap());
}

/// Two spinners wait, with `hint::spin_loop`, for a relaxed flag that the
/// body raises twice; each records what it saw and how often it spun.
fn two_spinners(rec: &Recorder<Vec<(usize, usize)>>) {
    let flag = Arc::new(AtomicUsize::new(0));
    let spinners: Vec<_> = (0..2)
        .map(|_| {
            let flag = Arc::clone(&flag);
            thread::spawn(move || {
                let mut spins = 0;
                loop {
                    let seen = flag.load(Ordering::Relaxed);
                    if seen != 0 || spins == 2 {
                        break (seen, spins);
                    }
                    checker::hint::spin_loop();
                    spins += 1;
                }
            })
        })
        .collect();
    flag.store(1, Ordering::Relaxed);
    flag.store(2, Ordering::Relaxed);
    rec.record(spinners.into_iter().map(|h| h.join().unwrap()).collect());
}

/// DFS and DPOR agree on `model` ([`dfs_and_dpor_agree`]), which has more
/// than one trace.
fn same_under_both<T>(name: &str, model: impl Fn(&Recorder<T>) + Send + Sync + Clone + 'static)
where
    T: Ord + std::fmt::Debug + Send + 'static,
{
    let traces = dfs_and_dpor_agree(name, &Builder::new(), model);
    assert!(traces > Some(1), "{name}: the model has more than one trace");
}

/// Spin loops over weak atomics, where the engine's yield rule (a read
/// after a yield moves past the old value) and the fair scheduler both
/// apply: DPOR finds what exhaustive search finds.
#[test]
fn dpor_matches_exhaustive_search_on_weak_spin_loops() {
    same_under_both("spin on an acquire flag", |rec| spin_on_flag(rec, true));
    same_under_both("spin on a relaxed flag", |rec| spin_on_flag(rec, false));
    same_under_both("two spinners", two_spinners);
    same_under_both("seqlock", |rec| rec.record(seqlock_observed(true)));
    same_under_both("spsc 2/2", |rec: &Recorder<()>| {
        spsc(2);
        rec.record(());
    });
}

/// The seqlock without the reader's fence accepts a torn snapshot: DPOR
/// finds it, and its path replays it.
#[test]
fn dpor_finds_the_torn_seqlock_snapshot() {
    let report = expect_bug(&Builder::new(), FailureKind::Panic, || {
        seqlock_observed(false);
    });
    assert!(
        report.message().contains("seqlock: (") && report.message().contains(") under 0"),
        "{report}"
    );
}
