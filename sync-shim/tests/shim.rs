//! A small concurrent library written against sync-shim, and its test,
//! which runs under `checker::model` with `--cfg checker` and directly
//! without it.

use sync_shim::sync::atomic::{AtomicUsize, Ordering};
use sync_shim::sync::{Arc, Condvar, Mutex};
use sync_shim::thread;

/// A one-shot latch: `wait` returns once `open` was called.
struct Latch {
    open: Mutex<bool>,
    changed: Condvar,
    waiters_released: AtomicUsize,
}

impl Latch {
    fn new() -> Self {
        Latch {
            open: Mutex::new(false),
            changed: Condvar::new(),
            waiters_released: AtomicUsize::new(0),
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.changed.notify_all();
    }

    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.changed.wait(open).unwrap();
        }
        self.waiters_released.fetch_add(1, Ordering::AcqRel);
    }
}

fn two_waiters_are_released() {
    let latch = Arc::new(Latch::new());
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let latch = latch.clone();
            thread::spawn(move || latch.wait())
        })
        .collect();
    latch.open();
    for w in waiters {
        w.join().unwrap();
    }
    assert_eq!(latch.waiters_released.load(Ordering::Acquire), 2);
}

#[test]
fn latch_releases_every_waiter() {
    #[cfg(checker)]
    {
        let outcome = checker::model::Builder::new().run(two_waiters_are_released).unwrap();
        assert!(outcome.failure.is_none(), "{}", outcome.summary());
        assert!(outcome.executions > 1, "explored under checker: {}", outcome.summary());
    }
    #[cfg(not(checker))]
    two_waiters_are_released();
}
