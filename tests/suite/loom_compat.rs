//! Code written for loom runs on checker unchanged: each test here is
//! shaped like the loom test or library code that once failed on checker
//! where it passed on loom.

// loom's own test files deny every warning, deprecations included.
#![deny(warnings)]

use checker::sync::Arc;
use checker::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use checker::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize};
use checker::thread;
use std::task::Poll;

/// `compare_and_swap` is deprecated in std but not in loom: a loom test
/// that uses it under `#![deny(warnings)]` compiles.
#[test]
fn compare_and_swap_is_not_deprecated() {
    checker::model(|| {
        let lock = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        let th = {
            let (lock, count) = (lock.clone(), count.clone());
            thread::spawn(move || {
                while lock.compare_and_swap(false, true, Acquire) {
                    thread::yield_now();
                }
                let n = count.load(Relaxed);
                count.store(n + 1, Relaxed);
                lock.store(false, Release);
            })
        };
        while lock.compare_and_swap(false, true, AcqRel) {
            thread::yield_now();
        }
        let n = count.load(Relaxed);
        count.store(n + 1, Relaxed);
        lock.store(false, Release);
        th.join().unwrap();
        assert_eq!(count.load(Relaxed), 2);

        let mut slot = 5u32;
        let p = AtomicPtr::new(std::ptr::null_mut());
        assert!(p.compare_and_swap(std::ptr::null_mut(), &mut slot, SeqCst).is_null());
        assert_eq!(p.load(SeqCst), &mut slot as *mut u32);
    });
}

/// The model body's thread has no name in loom (std's main thread is
/// named `main`); a named thread keeps its name.
#[test]
fn the_model_body_thread_is_unnamed() {
    checker::model(|| {
        thread::current().id();
        assert_eq!(None, thread::current().name());
        let named = thread::Builder::new()
            .name("worker".to_string())
            .spawn(|| thread::current().name().map(str::to_string))
            .unwrap();
        assert_eq!(named.join().unwrap().as_deref(), Some("worker"));
    });
}

/// Joins every handle, whatever the threads return: std's and loom's
/// `join` ask nothing of `T`, so this generic helper compiles.
fn join_all<T>(handles: Vec<thread::JoinHandle<T>>) -> Vec<T> {
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn join_needs_no_static_bound_on_the_value() {
    checker::model(|| {
        let counter = Arc::new(AtomicUsize::new(0));
        let handles = (0..2)
            .map(|_| {
                let counter = counter.clone();
                thread::spawn(move || counter.fetch_add(1, AcqRel))
            })
            .collect();
        let mut seen = join_all(handles);
        seen.sort_unstable();
        assert_eq!(seen, [0, 1]);
    });
}

/// `block_on` polls spuriously once, as loom's does: a future that spawns
/// its waker's owner on the first poll and is woken once is polled a
/// third time in some execution (the wake-up came, but a spurious poll
/// before it saw nothing), and never more.
#[test]
fn block_on_polls_spuriously_once() {
    let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = most.clone();
    checker::model(move || {
        let gate = Arc::new(AtomicBool::new(false));
        let mut polls = 0;
        let polled = checker::future::block_on(std::future::poll_fn(|cx| {
            if polls == 0 {
                let (gate, waker) = (gate.clone(), cx.waker().clone());
                thread::spawn(move || {
                    gate.store(true, Release);
                    waker.wake();
                });
            }
            polls += 1;
            if gate.load(Acquire) { Poll::Ready(polls) } else { Poll::Pending }
        }));
        assert!((1..=3).contains(&polled), "polled {polled} times");
        seen.fetch_max(polled, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(most.load(std::sync::atomic::Ordering::Relaxed), 3, "some execution polls thrice");
}
