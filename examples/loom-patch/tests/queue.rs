//! concurrent-queue's `ConcurrentQueue`, model-checked through loom's name.
//!
//! Under `--cfg loom`, concurrent-queue builds its slots from `loom::sync::
//! atomic` and `loom::cell`; the `[patch.crates-io]` of Cargo.toml makes that
//! loom checker, so every atomic access inside `push` and `pop` is a step
//! checker interleaves. These tests are written as a loom user writes them;
//! the last one plants a bug in its own use of the queue, which checker must
//! find: it could not if the queue's atomics were std's.

/// Without the cfg, concurrent-queue is not a dependency and the models
/// below are not built: say so rather than pass with nothing checked.
#[cfg(not(loom))]
#[test]
fn built_with_cfg_loom() {
    panic!(
        "these tests check concurrent-queue's loom build: run them with RUSTFLAGS=\"--cfg loom\""
    );
}

#[cfg(loom)]
mod model {
    use concurrent_queue::{ConcurrentQueue, PopError};
    use loom::model::{Builder, FailureKind, Verdict};
    use loom::sync::Arc;
    use loom::thread;

    /// Pops until an item comes, yielding while the queue is empty.
    fn pop_wait<T>(q: &ConcurrentQueue<T>) -> Result<T, PopError> {
        loop {
            match q.pop() {
                Err(PopError::Empty) => thread::yield_now(),
                other => return other,
            }
        }
    }

    /// The bound loom users set (`LOOM_MAX_PREEMPTIONS`): without it the two
    /// models below take 190,000 and 350,000 executions (half a minute
    /// each), with it 3,000 and 24,000.
    const PREEMPTIONS: usize = 3;

    fn bounded() -> Builder {
        let mut builder = Builder::new();
        builder.preemption_bound = Some(PREEMPTIONS);
        builder
    }

    /// Two producers and a consumer on a bounded queue: each item arrives
    /// exactly once.
    #[test]
    fn two_producers_one_consumer() {
        let outcome = bounded()
            .run(|| {
                let q = Arc::new(ConcurrentQueue::bounded(2));
                let producers = [1, 2].map(|v| {
                    let q = q.clone();
                    thread::spawn(move || q.push(v).unwrap())
                });
                let mut got = [pop_wait(&q).unwrap(), pop_wait(&q).unwrap()];
                for p in producers {
                    p.join().unwrap();
                }
                got.sort();
                assert_eq!(got, [1, 2]);
            })
            .expect("a valid configuration");
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        // With std's atomics inside the queue, a push would run whole inside
        // its thread's spawn, leaving next to nothing to interleave.
        assert!(outcome.executions >= 1000, "{}", outcome.summary());
    }

    /// An unbounded queue closed after two pushes: the consumer gets both,
    /// in order, and then `Closed`.
    #[test]
    fn items_pushed_before_close_are_popped() {
        bounded().check(|| {
            let q = Arc::new(ConcurrentQueue::unbounded());
            let producer = {
                let q = q.clone();
                thread::spawn(move || {
                    q.push(1).unwrap();
                    q.push(2).unwrap();
                    q.close();
                })
            };
            let mut got = Vec::new();
            while let Ok(v) = pop_wait(&q) {
                got.push(v);
            }
            assert_eq!(got, [1, 2]);
            producer.join().unwrap();
        });
    }

    /// Check-then-act on a queue of one slot: both threads see room, and
    /// the second push finds the queue full. checker finds the interleaving,
    /// and its decision path replays it.
    #[test]
    fn checking_for_room_then_pushing_is_a_race() {
        fn push_if_room(q: &ConcurrentQueue<u32>, v: u32) {
            if !q.is_full() {
                q.push(v).expect("room was checked just before");
            }
        }
        let model = || {
            let q = Arc::new(ConcurrentQueue::bounded(1));
            let other = {
                let q = q.clone();
                thread::spawn(move || push_if_room(&q, 1))
            };
            push_if_room(&q, 2);
            other.join().unwrap();
        };
        let builder = Builder::new();
        let outcome = builder.run(model).expect("a valid configuration");
        assert_eq!(outcome.verdict, Verdict::Failed, "{}", outcome.summary());
        let report = outcome.failure.expect("a failure report");
        assert_eq!(report.kind(), FailureKind::Panic, "{report}");
        assert!(report.message().contains("room was checked just before"), "{report}");

        let mut replay = builder.clone();
        replay.replay = Some(report.path().to_string());
        let again = replay.run(model).expect("the path fits the model");
        assert_eq!(again.executions, 1);
        let again = again.failure.expect("the replay fails again");
        assert_eq!(again.trace(), report.trace(), "the replay is the same execution");
    }
}
