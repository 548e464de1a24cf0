//! Spin loops that yield: DPOR against exhaustive search, and what yields
//! cost DPOR on the spin-wait benchmarks.

use checker::cell::UnsafeCell;
use checker::model::{Builder, Outcome, StrategyKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering, fence};
use checker::thread;

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
    let lock = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)]);
    let reader = {
        let lock = Arc::clone(&lock);
        thread::spawn(move || {
            loop {
                let seq0 = lock[0].load(Ordering::Acquire);
                if seq0 % 2 == 1 {
                    thread::yield_now();
                    continue;
                }
                let r1 = lock[1].load(Ordering::Relaxed);
                let r2 = lock[2].load(Ordering::Relaxed);
                fence(Ordering::Acquire);
                let seq1 = lock[0].load(Ordering::Relaxed);
                if seq0 == seq1 {
                    break (seq0, r1, r2);
                }
                thread::yield_now();
            }
        })
    };
    lock[0].store(1, Ordering::Relaxed);
    fence(Ordering::Release);
    lock[1].store(1, Ordering::Relaxed);
    lock[2].store(1, Ordering::Relaxed);
    lock[0].store(2, Ordering::Release);
    let (seq, r1, r2) = reader.join().unwrap();
    assert!(r1 == seq / 2 && r2 == seq / 2, "seqlock: ({r1}, {r2}) under {seq}");
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
