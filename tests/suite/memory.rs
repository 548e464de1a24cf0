//! The memory model at work: what weak orderings let loads read, what SC
//! forbids, how a stale read shows in a trace and replays, and how spin
//! loops end. The litmus suite (`litmus.rs`) pins whole outcome sets.

use std::collections::BTreeSet;

use checker::model::{Builder, FailureKind, StrategyKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering, fence};
use checker::thread;
use checker_tests::{expect_bug, outcomes};

fn both() -> [Builder; 2] {
    let mut dfs = Builder::new();
    dfs.strategy = StrategyKind::Dfs;
    [Builder::new(), dfs]
}

/// Message passing: a thread that stores 1 to `data` (relaxed), then 1 to
/// `flag` with `order`. Returns the two atomics and the writer.
fn publisher(order: Ordering) -> (Arc<AtomicUsize>, Arc<AtomicUsize>, thread::JoinHandle<()>) {
    let data = Arc::new(AtomicUsize::new(0));
    let flag = Arc::new(AtomicUsize::new(0));
    let (d, f) = (data.clone(), flag.clone());
    let h = thread::spawn(move || {
        d.store(1, Ordering::Relaxed);
        f.store(1, order);
    });
    (data, flag, h)
}

/// Store buffering with the given orderings and, between each thread's
/// store and load, an optional fence.
fn sb(store: Ordering, load: Ordering, fenced: bool) -> BTreeSet<(usize, usize)> {
    let mut all = Vec::new();
    for builder in both() {
        let (outcome, seen) = outcomes(&builder, move |rec| {
            let x = Arc::new(AtomicUsize::new(0));
            let y = Arc::new(AtomicUsize::new(0));
            let (x2, y2) = (x.clone(), y.clone());
            let h = thread::spawn(move || {
                x2.store(1, store);
                if fenced {
                    fence(Ordering::SeqCst);
                }
                y2.load(load)
            });
            y.store(1, store);
            if fenced {
                fence(Ordering::SeqCst);
            }
            let a = x.load(load);
            rec.record((h.join().unwrap(), a));
        });
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        all.push(seen);
    }
    assert_eq!(all[0], all[1], "DPOR and DFS disagree");
    all.pop().unwrap()
}

#[test]
fn store_buffering_is_weak_unless_sequentially_consistent() {
    let weak: BTreeSet<_> = [(0, 0), (0, 1), (1, 0), (1, 1)].into();
    let sc: BTreeSet<_> = [(0, 1), (1, 0), (1, 1)].into();
    assert_eq!(sb(Ordering::Relaxed, Ordering::Relaxed, false), weak);
    assert_eq!(sb(Ordering::Release, Ordering::Acquire, false), weak);
    assert_eq!(sb(Ordering::SeqCst, Ordering::SeqCst, false), sc);
    assert_eq!(sb(Ordering::Relaxed, Ordering::Relaxed, true), sc);
}

/// Message passing: data then flag, read flag then data.
fn mp(store: Ordering, load: Ordering) -> BTreeSet<(usize, usize)> {
    let (outcome, seen) = outcomes(&Builder::new(), move |rec| {
        let (data, flag, h) = publisher(store);
        let seen_flag = flag.load(load);
        let seen_data = data.load(Ordering::Relaxed);
        rec.record((seen_flag, seen_data));
        h.join().unwrap();
    });
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    seen
}

#[test]
fn message_passing_needs_release_and_acquire() {
    let all: BTreeSet<_> = [(0, 0), (0, 1), (1, 0), (1, 1)].into();
    assert_eq!(mp(Ordering::Relaxed, Ordering::Relaxed), all);
    assert_eq!(mp(Ordering::Release, Ordering::Relaxed), all);
    let synced: BTreeSet<_> = [(0, 0), (0, 1), (1, 1)].into();
    assert_eq!(mp(Ordering::Release, Ordering::Acquire), synced);
}

#[test]
fn a_stale_read_is_reported_and_replayed() {
    let report = expect_bug(&Builder::new(), FailureKind::Panic, || {
        let (data, flag, h) = publisher(Ordering::Relaxed);
        if flag.load(Ordering::Relaxed) == 1 {
            assert_eq!(data.load(Ordering::Relaxed), 1, "data not published");
        }
        h.join().unwrap();
    });
    assert!(report.trace().contains("(an older value: the initial one)"), "{report}");
    assert!(report.path().len() > 1, "{report}");
}

/// Message passing with a relaxed flag, awaited by `wait`: DPOR and DFS
/// find the stale read of `data` after the wait, the trace shows it and
/// `mark` (how the loop yielded), and the replay reproduces it.
fn finds_the_stale_read_behind(wait: fn(&AtomicUsize), mark: &str) {
    for builder in both() {
        let report = expect_bug(&builder, FailureKind::Panic, move || {
            let (data, flag, h) = publisher(Ordering::Relaxed);
            wait(&flag);
            assert_eq!(data.load(Ordering::Relaxed), 1, "data not published");
            h.join().unwrap();
        });
        assert!(report.message().contains("data not published"), "{report}");
        assert!(report.trace().contains("(an older value: the initial one)"), "{report}");
        assert!(report.trace().contains(mark), "{report}");
    }
}

/// A thread that yields before it reads: the yield rule covers only the
/// atomics the thread read before the yield (a spin loop's last try), so
/// the read of `data` after the loop, an atomic the loop never polled, may
/// still read its initial value once the flag reads 1, as RC11 allows.
/// Under the rule of every atomic at every yield (and loom's), this model
/// verified.
#[test]
fn a_yield_does_not_hide_a_stale_read_of_an_atomic_it_did_not_poll() {
    finds_the_stale_read_behind(
        |flag| loop {
            thread::yield_now();
            if flag.load(Ordering::Relaxed) == 1 {
                break;
            }
        },
        "yield_now()",
    );
}

/// The same bug behind a loop with no yield at all, for which the engine
/// yields (`Execution::spin_yield`).
#[test]
fn a_spin_loop_without_yield_hides_no_stale_read() {
    finds_the_stale_read_behind(
        |flag| while flag.load(Ordering::Relaxed) != 1 {},
        "the engine yields for it",
    );
}

/// The same bug behind a loop that yields at the end of each try: the
/// wait's first yield takes no turn (`Execution::soft_yield`) but keeps
/// the yield rule.
#[test]
fn a_spin_loop_whose_first_yield_takes_no_turn_hides_no_stale_read() {
    finds_the_stale_read_behind(
        |flag| {
            while flag.load(Ordering::Relaxed) != 1 {
                thread::yield_now();
            }
        },
        "the wait's first, it goes on trying",
    );
}

/// The rule still covers what a spin loop polls: the same loop, with the
/// flag released and acquired, verifies, and the loop ends after at most
/// one try that read the old flag past a yield.
#[test]
fn a_spin_loop_that_yields_first_still_ends() {
    for builder in both() {
        let (outcome, seen) = outcomes(&builder, |rec| {
            let (data, flag, h) = publisher(Ordering::Release);
            let mut tries = 0;
            loop {
                thread::yield_now();
                tries += 1;
                if flag.load(Ordering::Acquire) == 1 {
                    break;
                }
            }
            assert_eq!(data.load(Ordering::Relaxed), 1);
            rec.record(tries);
            h.join().unwrap();
        });
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
        assert_eq!(seen, [1, 2].into(), "{}", outcome.summary());
    }
}

#[test]
fn a_spin_loop_on_a_relaxed_flag_ends() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let flag = Arc::new(AtomicUsize::new(0));
        let f = flag.clone();
        let h = thread::spawn(move || f.store(1, Ordering::Relaxed));
        let mut spins = 0;
        while flag.load(Ordering::Relaxed) == 0 {
            spins += 1;
            thread::yield_now();
        }
        rec.record(spins.min(3));
        h.join().unwrap();
    });
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    // The wait's first yield takes no turn, so the second try may run
    // before the store and read the old value again (the last store then);
    // that try stalls the thread until the store. A third would need a
    // stale read after a yield, which the yield rule rules out once the
    // store has run.
    assert_eq!(seen, [0, 1, 2].into(), "{}", outcome.summary());
}
