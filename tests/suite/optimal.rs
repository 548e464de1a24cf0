//! DPOR runs exactly one execution per equivalence class on the classic
//! benchmarks whose class counts are known, and covers them all.

use checker::model::{Builder, Coverage, Verdict};
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::sync::{Arc, Mutex};
use checker::thread;

/// Runs `body` with DPOR and trace counting; asserts it is verified with
/// `optimal` executions, none redundant, covering `optimal` classes.
fn assert_optimal(name: &str, optimal: u64, body: impl Fn() + Send + Sync + 'static) {
    let mut builder = Builder::new();
    builder.count_traces = true;
    let outcome = builder.run(body).unwrap();
    assert_eq!(
        outcome.verdict,
        Verdict::Verified(Coverage::Exhaustive),
        "{name}: {}",
        outcome.summary()
    );
    assert_eq!(outcome.traces, Some(optimal), "{name}: every class is covered");
    assert_eq!(outcome.redundant, 0, "{name}: no sleep-set blocked execution");
    assert_eq!(outcome.executions, optimal, "{name}: one execution per class");
}

fn spawn_all(n: usize, f: impl Fn(usize) + Send + Sync + Clone + 'static) {
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let f = f.clone();
            thread::spawn(move || f(i))
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Abdulla et al., POPL 2014: (N+3)·2^(N−2) classes.
#[test]
fn lastzero_is_explored_optimally() {
    for n in 3..=6usize {
        let optimal = ((n + 3) << (n - 2)) as u64;
        assert_optimal(&format!("lastzero({n})"), optimal, move || {
            let a: Arc<Vec<AtomicUsize>> = Arc::new((0..=n).map(|_| AtomicUsize::new(0)).collect());
            spawn_all(n + 1, move |t| {
                if t == 0 {
                    let mut i = n;
                    while a[i].load(Ordering::SeqCst) != 0 {
                        i -= 1;
                    }
                } else {
                    let v = a[t - 1].load(Ordering::SeqCst);
                    a[t].store(v + 1, Ordering::SeqCst);
                }
            });
        });
    }
}

/// N readers and one writer of one variable: 2^N classes.
#[test]
fn readers_are_explored_optimally() {
    for n in 2..=5usize {
        assert_optimal(&format!("readers({n})"), 1 << n, move || {
            let x = Arc::new(AtomicUsize::new(0));
            spawn_all(n + 1, move |t| {
                if t == 0 {
                    x.store(1, Ordering::SeqCst);
                } else {
                    x.load(Ordering::SeqCst);
                }
            });
        });
    }
}

/// Store buffering with N threads under SeqCst: 2^N − 1 classes.
#[test]
fn store_buffering_is_explored_optimally() {
    for n in 2..=5usize {
        assert_optimal(&format!("sb({n})"), (1 << n) - 1, move || {
            let x: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
            spawn_all(n, move |i| {
                x[i].store(1, Ordering::SeqCst);
                x[(i + 1) % n].load(Ordering::SeqCst);
            });
        });
    }
}

/// N threads × K `fetch_add`s on one atomic: (NK)!/(K!)^N classes, and one
/// on separate atomics; the threads' `Arc` drops multiply nothing.
#[test]
fn fetch_add_is_explored_optimally() {
    for (n, k, optimal) in [(2usize, 1usize, 2u64), (3, 1, 6), (4, 1, 24), (2, 2, 6), (3, 3, 1680)]
    {
        assert_optimal(&format!("fetch_add({n}x{k})"), optimal, move || {
            let x = Arc::new(AtomicUsize::new(0));
            spawn_all(n, move |_| {
                for _ in 0..k {
                    x.fetch_add(1, Ordering::SeqCst);
                }
            });
        });
    }
    assert_optimal("fetch_add(3x3, separate atomics)", 1, || {
        let x: Arc<Vec<AtomicUsize>> = Arc::new((0..3).map(|_| AtomicUsize::new(0)).collect());
        spawn_all(3, move |i| {
            for _ in 0..3 {
                x[i].fetch_add(1, Ordering::SeqCst);
            }
        });
    });
}

/// N threads each locking a mutex K times: (NK)!/(K!)^N classes.
#[test]
fn mutex_counter_is_explored_optimally() {
    for (n, k, optimal) in [(2usize, 2usize, 6u64), (3, 1, 6), (4, 1, 24), (3, 2, 90)] {
        assert_optimal(&format!("mutex_counter({n}, {k})"), optimal, move || {
            let m = Arc::new(Mutex::new(0));
            spawn_all(n, move |_| {
                for _ in 0..k {
                    *m.lock().unwrap() += 1;
                }
            });
        });
    }
}
