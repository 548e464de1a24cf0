//! The memo table's tests: under `--cfg checker` in every interleaving
//! (and a naive variant is caught computing twice); otherwise with real
//! threads.

use shim_demo::Memo;
use sync_shim::sync::Arc;
use sync_shim::thread;

/// Two threads ask for the same key (and one for another): each key is
/// computed once, and both callers see the same value.
fn two_callers_share_one_computation() {
    let memo = Arc::new(Memo::new());
    let other = {
        let memo = memo.clone();
        thread::spawn(move || memo.get_or_compute(7u32, |k| k * 10))
    };
    let mine = memo.get_or_compute(7, |k| k * 10);
    assert_eq!(memo.get_or_compute(8, |k| k + 1), 9);
    assert_eq!(other.join().unwrap(), mine);
    assert_eq!(mine, 70);
    assert_eq!(memo.computations(), 2, "computed twice");
}

#[cfg(checker)]
mod model {
    use super::*;
    use checker::model::{Builder, FailureKind, Verdict};
    use sync_shim::sync::Mutex;
    use sync_shim::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_interleaving_computes_each_key_once() {
        let outcome = Builder::new().run(two_callers_share_one_computation).unwrap();
        assert!(outcome.failure.is_none(), "{}", outcome.summary());
        assert!(outcome.executions > 1, "{}", outcome.summary());
    }

    /// The naive memo: look the key up, compute without the lock, insert.
    #[derive(Default)]
    struct Naive {
        values: Mutex<Option<u32>>,
        computed: AtomicUsize,
    }

    impl Naive {
        fn get_or_compute(&self, compute: impl FnOnce() -> u32) -> u32 {
            if let Some(v) = *self.values.lock().unwrap() {
                return v;
            }
            self.computed.fetch_add(1, Ordering::AcqRel);
            let v = compute();
            *self.values.lock().unwrap() = Some(v);
            v
        }
    }

    fn naive_two_callers() {
        let memo = Arc::new(Naive::default());
        let other = {
            let memo = memo.clone();
            thread::spawn(move || memo.get_or_compute(|| 70))
        };
        memo.get_or_compute(|| 70);
        other.join().unwrap();
        assert_eq!(memo.computed.load(Ordering::Acquire), 1, "computed twice");
    }

    #[test]
    fn the_naive_memo_is_caught_computing_twice() {
        let builder = Builder::new();
        let outcome = builder.run(naive_two_callers).unwrap();
        assert_eq!(outcome.verdict, Verdict::Failed, "{}", outcome.summary());
        let report = outcome.failure.expect("a failure report");
        assert_eq!(report.kind(), FailureKind::Panic, "{report}");
        assert!(report.message().contains("computed twice"), "{report}");
        assert!(report.replay_command().contains(&format!("CHECKER_REPLAY={}", report.path())));
        let mut replay = builder.clone();
        replay.replay = Some(report.path().to_string());
        let again = replay.run(naive_two_callers).unwrap();
        assert_eq!(again.executions, 1);
        assert_eq!(again.failure.expect("the replay fails again").trace(), report.trace());
    }
}

#[cfg(not(checker))]
#[test]
fn real_threads_compute_each_key_once() {
    for _ in 0..50 {
        two_callers_share_one_computation();
    }
}
