//! When timed waits time out (`Builder::eager_timeouts`): std lets a
//! timeout pass at any moment, loom's timed waits never time out.
//! Unbounded, checker lets them pass at any step; under a preemption bound,
//! by default, only once no thread can run (where loom reports a
//! deadlock), and the replay command of a failure found there says so.

use std::sync::Arc as StdArc;
use std::time::Duration;

use checker::model::{Builder, FailureKind, Verdict};
use checker::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use checker::sync::{Condvar, Mutex};
use checker::thread;
use checker_tests::{Recorder, expect_bug, outcomes};

type Pair = StdArc<(Mutex<u32>, Condvar)>;

/// A thread waits once with a timeout (no condition loop) while the main
/// thread sets the value and notifies: records whether the wait timed out
/// and the value it saw.
fn one_timed_wait() -> (bool, u32) {
    let pair: Pair = StdArc::new((Mutex::new(0), Condvar::new()));
    let waiter = {
        let pair = pair.clone();
        thread::spawn(move || {
            let guard = pair.0.lock().unwrap();
            let (guard, result) = pair.1.wait_timeout(guard, Duration::from_millis(1)).unwrap();
            (result.timed_out(), *guard)
        })
    };
    *pair.0.lock().unwrap() = 1;
    pair.1.notify_one();
    waiter.join().unwrap()
}

/// The outcome only a timeout that passes while the notifier can still
/// run gives: timed out before the value was set.
const EARLY: (bool, u32) = (true, 0);

fn builder(bound: Option<usize>, eager_timeouts: Option<bool>) -> Builder {
    let mut b = Builder::new();
    b.preemption_bound = bound;
    b.eager_timeouts = eager_timeouts;
    b
}

#[test]
fn unbounded_a_timeout_may_pass_at_any_step() {
    let (outcome, seen) = outcomes(&builder(None, None), |r| r.record(one_timed_wait()));
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    let all: Vec<_> = seen.into_iter().collect();
    assert_eq!(all, [(false, 1), EARLY, (true, 1)]);
}

#[test]
fn under_a_bound_a_timeout_passes_only_once_no_thread_can_run() {
    for bound in 0..=2 {
        let (outcome, seen) = outcomes(&builder(Some(bound), None), |r| r.record(one_timed_wait()));
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        assert!(!seen.contains(&EARLY), "bound {bound}: {seen:?}");
        // The main thread set the value and notified before the wait
        // began, then waits in `join`: nobody else can run, and the
        // timeout passes, where loom would report a deadlock.
        assert!(seen.contains(&(true, 1)), "bound {bound}: {seen:?}");
        let (_, seen) = outcomes(&builder(Some(bound), Some(true)), |r| r.record(one_timed_wait()));
        if bound > 0 {
            assert!(seen.contains(&EARLY), "bound {bound}, eager: {seen:?}");
        }
    }
    // Not eager anywhere: not even unbounded.
    let (_, seen) = outcomes(&builder(None, Some(false)), |r| r.record(one_timed_wait()));
    assert!(!seen.contains(&EARLY) && seen.contains(&(false, 1)), "{seen:?}");
}

#[test]
fn a_thread_pool_wait_costs_fewer_executions_under_a_bound() {
    // Two workers wait for a job with a timeout in a loop (a pool's idle
    // wait), the main thread hands out two jobs.
    let pool = || {
        let pair: Pair = StdArc::new((Mutex::new(0), Condvar::new()));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let pair = pair.clone();
                thread::spawn(move || {
                    let mut jobs = pair.0.lock().unwrap();
                    while *jobs == 0 {
                        jobs = pair.1.wait_timeout(jobs, Duration::from_millis(1)).unwrap().0;
                    }
                    *jobs -= 1;
                })
            })
            .collect();
        for _ in 0..2 {
            *pair.0.lock().unwrap() += 1;
            pair.1.notify_one();
        }
        for w in workers {
            w.join().unwrap();
        }
    };
    let run = |eager| {
        let outcome = builder(Some(2), eager).run(pool).expect("a valid configuration");
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        outcome.executions
    };
    let (lazy, eager) = (run(None), run(Some(true)));
    assert!(lazy < eager, "{lazy} executions with lazy timeouts, {eager} with eager ones");
}

#[test]
fn a_bug_behind_an_early_timeout_needs_eager_timeouts_under_a_bound() {
    let model = || {
        let (timed_out, value) = one_timed_wait();
        assert!(!(timed_out && value == 0), "timed out before the value was set");
    };
    let (outcome, _) = outcomes(&builder(Some(2), None), move |_: &Recorder<()>| model());
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    for b in [builder(Some(2), Some(true)), builder(None, None)] {
        let report = expect_bug(&b, FailureKind::Panic, model);
        assert!(report.message().contains("timed out before"), "{report}");
        assert!(!report.replay_command().contains("EAGER_TIMEOUTS"), "{}", report.replay_command());
    }
}

#[test]
fn a_replay_of_a_bounded_failure_keeps_the_timeout_rule() {
    // Found under a bound, where the timeout passed once no thread could
    // run: the printed command replays it with the same rule.
    let model = || {
        let (timed_out, _) = one_timed_wait();
        assert!(!timed_out, "the wait timed out");
    };
    let report = expect_bug(&builder(Some(2), None), FailureKind::Panic, model);
    assert!(
        report.replay_command().contains("CHECKER_EAGER_TIMEOUTS=0 "),
        "{}",
        report.replay_command()
    );
    let mut replay = builder(None, Some(false));
    replay.replay = Some(report.path().to_string());
    let again = replay.run(model).expect("the path fits the program");
    assert_eq!(again.failure.expect("the replay fails again").trace(), report.trace());
}

#[test]
fn park_timeout_returns_early_only_with_eager_timeouts() {
    // The parker's `park_timeout` returning before the main thread stored
    // the flag and unparked it.
    let model = |r: &Recorder<usize>| {
        let flag = StdArc::new(AtomicUsize::new(0));
        let parker = {
            let flag = flag.clone();
            thread::spawn(move || {
                thread::park_timeout(Duration::from_millis(1));
                flag.load(SeqCst)
            })
        };
        flag.store(1, SeqCst);
        parker.thread().unpark();
        r.record(parker.join().unwrap());
    };
    let (outcome, seen) = outcomes(&builder(Some(2), None), model);
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), [1]);
    let (_, seen) = outcomes(&builder(Some(2), Some(true)), model);
    assert!(seen.contains(&0), "{seen:?}");
}
