//! Correct models are verified, and exhaustively: every interleaving's
//! outcome is seen.

use std::collections::{BTreeSet, VecDeque};

use checker::model::{Builder, Coverage, Verdict};
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::sync::{Arc, Condvar, Mutex};
use checker::thread;
use checker_tests::{models, outcomes};

/// All orderings of `0..n`.
fn permutations(n: usize) -> BTreeSet<Vec<usize>> {
    fn go(rest: &mut Vec<usize>, prefix: &mut Vec<usize>, out: &mut BTreeSet<Vec<usize>>) {
        if rest.is_empty() {
            out.insert(prefix.clone());
        }
        for i in 0..rest.len() {
            let x = rest.remove(i);
            prefix.push(x);
            go(rest, prefix, out);
            prefix.pop();
            rest.insert(i, x);
        }
    }
    let mut out = BTreeSet::new();
    go(&mut (0..n).collect(), &mut Vec::new(), &mut out);
    out
}

#[test]
fn fetch_add_from_n_threads_is_verified_and_every_order_is_seen() {
    for n in 2..=3 {
        let (outcome, seen) = outcomes(&Builder::new(), move |rec| {
            let counter = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let counter = counter.clone();
                    thread::spawn(move || counter.fetch_add(1, Ordering::AcqRel))
                })
                .collect();
            let got: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            assert_eq!(counter.load(Ordering::Acquire), n);
            rec.record(got);
        });
        assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Exhaustive), "n = {n}");
        assert!(outcome.failure.is_none());
        // Each thread saw the count it incremented: every order of the threads occurs.
        assert_eq!(seen, permutations(n), "n = {n}");
    }
}

#[test]
fn mutex_counter_is_verified_and_every_lock_order_is_seen() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let counter = Arc::new(Mutex::new(0usize));
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let counter = counter.clone();
                thread::spawn(move || {
                    let mut guard = counter.lock().unwrap();
                    let seen = *guard;
                    *guard += 1;
                    seen
                })
            })
            .collect();
        let got: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(*counter.lock().unwrap(), 3);
        rec.record(got);
    });
    assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Exhaustive));
    assert_eq!(seen, permutations(3));
}

#[test]
fn condvar_producer_consumer_is_verified() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let queue = Arc::new((Mutex::new(VecDeque::new()), Condvar::new()));
        let consumer = {
            let queue = queue.clone();
            thread::spawn(move || {
                let (items, ready) = &*queue;
                let mut got = Vec::new();
                while got.len() < 2 {
                    let mut guard = items.lock().unwrap();
                    while guard.is_empty() {
                        guard = ready.wait(guard).unwrap();
                    }
                    got.push(guard.pop_front().unwrap());
                }
                got
            })
        };
        for item in [1, 2] {
            let (items, ready) = &*queue;
            items.lock().unwrap().push_back(item);
            ready.notify_one();
        }
        let got = consumer.join().unwrap();
        assert_eq!(got, vec![1, 2], "the consumer sees items in order");
        rec.record(got);
    });
    assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Exhaustive));
    assert_eq!(seen.len(), 1);
    assert!(outcome.executions > 1, "both sides interleave: {}", outcome.executions);
}

#[test]
fn notify_one_wakes_each_waiter_in_some_execution() {
    struct State {
        asleep: usize,
        tokens: usize,
        woke: Vec<usize>,
    }
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let shared =
            Arc::new((Mutex::new(State { asleep: 0, tokens: 0, woke: vec![] }), Condvar::new()));
        let waiters: Vec<_> = (0..2)
            .map(|i| {
                let shared = shared.clone();
                thread::spawn(move || {
                    let (state, cv) = &*shared;
                    let mut guard = state.lock().unwrap();
                    guard.asleep += 1;
                    while guard.tokens == 0 {
                        guard = cv.wait(guard).unwrap();
                    }
                    guard.tokens -= 1;
                    guard.woke.push(i);
                })
            })
            .collect();
        let (state, cv) = &*shared;
        // Wake one waiter at a time, each time once the previous one is done;
        // the first notify_one finds both asleep and must choose.
        for woken in 0..2 {
            loop {
                let mut guard = state.lock().unwrap();
                if guard.asleep == 2 && guard.woke.len() == woken {
                    guard.tokens = 1;
                    break;
                }
                drop(guard);
                thread::yield_now();
            }
            cv.notify_one();
        }
        for h in waiters {
            h.join().unwrap();
        }
        rec.record(state.lock().unwrap().woke.clone());
    });
    assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Exhaustive));
    assert_eq!(seen, BTreeSet::from([vec![0, 1], vec![1, 0]]));
}

#[test]
fn lost_update_needs_one_preemption() {
    let racy = models::lost_update;
    let mut bounded = Builder::new();
    bounded.preemption_bound = Some(0);
    let at_zero = bounded.run(racy).unwrap();
    assert_eq!(at_zero.verdict, Verdict::Verified(Coverage::ExhaustiveWithinBound(0)));
    bounded.preemption_bound = Some(1);
    let at_one = bounded.run(racy).unwrap();
    assert_eq!(at_one.verdict, Verdict::Failed);
    let unbounded = Builder::new().run(racy).unwrap();
    assert_eq!(unbounded.verdict, Verdict::Failed);
}

#[test]
fn a_bounded_search_explores_fewer_executions_than_the_full_one() {
    let model = || {
        let n = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let n = n.clone();
                thread::spawn(move || {
                    n.fetch_add(1, Ordering::SeqCst);
                    n.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    };
    let mut counts = Vec::new();
    for bound in [Some(0), Some(1), Some(2), None] {
        let mut b = Builder::new();
        b.preemption_bound = bound;
        let outcome = b.run(model).unwrap();
        assert!(matches!(outcome.verdict, Verdict::Verified(_)));
        counts.push(outcome.executions);
    }
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "bounds 0, 1, 2, none: {counts:?}");
}

#[test]
fn max_permutations_stops_the_run_as_incomplete() {
    let mut b = Builder::new();
    b.max_permutations = Some(3);
    let outcome = b
        .run(|| {
            let n = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..3)
                .map(|_| {
                    let n = n.clone();
                    thread::spawn(move || n.fetch_add(1, Ordering::SeqCst))
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
        })
        .unwrap();
    assert_eq!(outcome.executions, 3);
    assert!(matches!(outcome.verdict, Verdict::Incomplete(_)));
    assert!(outcome.summary().contains("incomplete"), "{}", outcome.summary());
    assert!(outcome.summary().contains("NOT verified"), "{}", outcome.summary());
}
