//! `sync_shim::parking_lot`: the real crate without `--cfg checker`,
//! checker's adapter with it; the same code builds and passes both ways.

mod common;

use common::run_both_ways;
use std::time::{Duration, Instant};
use sync_shim::parking_lot::{Condvar, Mutex, MutexGuard, RwLock, WaitTimeoutResult};
use sync_shim::sync::Arc;
use sync_shim::thread;

/// A mailbox: one slot, and whether its reader is parked on `changed`.
#[derive(Default)]
struct Slot {
    value: Option<u32>,
    reader_waiting: bool,
}

struct Mailbox {
    slot: Mutex<Slot>,
    changed: Condvar,
}

impl Mailbox {
    fn new() -> Self {
        Mailbox { slot: Mutex::new(Slot::default()), changed: Condvar::new() }
    }

    /// Puts `v` and wakes the reader; the notification wakes a thread
    /// exactly when the reader was parked (the mutex is held throughout).
    fn put(&self, v: u32) {
        let mut slot: MutexGuard<'_, Slot> = self.slot.lock();
        slot.value = Some(v);
        let waiting = slot.reader_waiting;
        let woke = self.changed.notify_one();
        assert_eq!(woke, waiting, "notify_one says whether it woke the reader");
    }

    fn take(&self) -> u32 {
        let mut slot = self.slot.lock();
        while slot.value.is_none() {
            slot.reader_waiting = true;
            self.changed.wait(&mut slot);
            slot.reader_waiting = false;
        }
        slot.value.take().unwrap()
    }
}

#[test]
fn condvar_handoff_and_notify_results() {
    run_both_ways(|| {
        let mailbox = Arc::new(Mailbox::new());
        let reader = {
            let mailbox = mailbox.clone();
            thread::spawn(move || mailbox.take())
        };
        mailbox.put(5);
        assert_eq!(reader.join().unwrap(), 5);
        assert_eq!(mailbox.changed.notify_all(), 0, "nobody is left waiting");
    });
}

#[test]
fn mutex_and_rwlock_count_every_increment() {
    run_both_ways(|| {
        let counter = Arc::new(Mutex::new(0u32));
        let table = Arc::new(RwLock::new(vec![0u32]));
        let other = {
            let (counter, table) = (counter.clone(), table.clone());
            thread::spawn(move || {
                *counter.lock() += 1;
                table.write().push(1);
            })
        };
        *counter.lock() += 1;
        let seen = table.read().len();
        assert!(seen == 1 || seen == 2);
        other.join().unwrap();
        assert_eq!(*counter.lock(), 2);
        assert_eq!(table.read().len(), 2);
        let held = counter.lock();
        assert!(counter.try_lock().is_none(), "held by this thread");
        drop(held);
        assert!(counter.try_lock().is_some());
        let reading = table.read();
        assert!(table.try_read().is_some() && table.try_write().is_none());
        drop(reading);
        assert!(table.try_write().is_some());
    });
}

#[test]
fn a_timed_wait_reports_a_timeout_or_the_value() {
    run_both_ways(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let setter = {
            let pair = pair.clone();
            thread::spawn(move || {
                *pair.0.lock() = true;
                pair.1.notify_all();
            })
        };
        let mut ready = pair.0.lock();
        let result = pair.1.wait_while_for(&mut ready, |r| !*r, Duration::from_secs(10));
        assert_eq!(result.timed_out(), !*ready, "timed out exactly when not ready");
        let deadline = Instant::now() + Duration::from_secs(10);
        let result = pair.1.wait_while_until(&mut ready, |r| !*r, deadline);
        assert_eq!(result.timed_out(), !*ready, "timed out exactly when not ready");
        if !*ready {
            let _: WaitTimeoutResult = pair.1.wait_for(&mut ready, Duration::from_secs(10));
            let _: WaitTimeoutResult = pair.1.wait_until(&mut ready, deadline);
        }
        drop(ready);
        setter.join().unwrap();
        assert!(*pair.0.lock());
        let Ok((mut m, _)) = Arc::try_unwrap(pair) else { panic!("the setter is done") };
        assert!(*m.get_mut());
        assert!(m.into_inner());
    });
}

const _STATIC_LOCKS: () = {
    // `new` is `const` both ways, as in parking_lot.
    static _M: Mutex<u32> = Mutex::new(0);
    static _R: RwLock<u32> = RwLock::new(0);
    static _C: Condvar = Condvar::new();
};

/// A wake-up lost to a plain `if`: the reader waits without checking that
/// the value already arrived, and nobody notifies it again.
#[cfg(checker)]
#[test]
fn a_wait_without_checking_the_condition_deadlocks() {
    let report = common::expect_bug(checker::model::FailureKind::Deadlock, || {
        let mailbox = Arc::new(Mailbox::new());
        let reader = {
            let mailbox = mailbox.clone();
            thread::spawn(move || {
                let mut slot = mailbox.slot.lock();
                mailbox.changed.wait(&mut slot);
                slot.value.take()
            })
        };
        mailbox.put(5);
        reader.join().unwrap();
    });
    assert!(report.message().starts_with("deadlock"), "{report}");
}
