//! `cell`, `lazy_static!`, `thread_local!` and the atomics through the
//! shim: the same code builds with and without `--cfg checker`; with it,
//! planted bugs are found.

mod common;

use common::run_both_ways;
use sync_shim::cell::{Cell, UnsafeCell};
use sync_shim::sync::atomic::{AtomicUsize, Ordering};
use sync_shim::sync::{Arc, Mutex};
use sync_shim::thread;

/// A counter in an `UnsafeCell`, each access under `lock`.
struct Guarded {
    lock: Mutex<()>,
    value: UnsafeCell<u64>,
}

// SAFETY: `value` is accessed only with `lock` held, except in the planted
// bug, which runs only under `--cfg checker`, where every model thread is a
// coroutine on one OS thread and the race is reported, not run in parallel.
unsafe impl Sync for Guarded {}

impl Guarded {
    fn bump_locked(&self) {
        let _held = self.lock.lock().unwrap();
        self.bump_unlocked();
    }

    fn bump_unlocked(&self) {
        // SAFETY: the pointer is to a live `u64`; exclusion: see `Sync` above.
        let now = self.value.with(|p| unsafe { *p });
        // SAFETY: as above.
        self.value.with_mut(|p| unsafe { *p = now + 1 });
    }

    fn read(&self) -> u64 {
        let _held = self.lock.lock().unwrap();
        let ptr = self.value.get();
        // SAFETY: the lock is held, so no write overlaps this read.
        ptr.with(|p| unsafe { *p })
    }
}

fn two_bumps(locked: bool) {
    let shared = Arc::new(Guarded { lock: Mutex::new(()), value: UnsafeCell::new(0) });
    let other = {
        let shared = shared.clone();
        thread::spawn(move || if locked { shared.bump_locked() } else { shared.bump_unlocked() })
    };
    if locked {
        shared.bump_locked();
    } else {
        shared.bump_unlocked();
    }
    other.join().unwrap();
    assert_eq!(shared.read(), 2);
}

#[test]
fn unsafe_cell_under_a_lock_is_race_free() {
    run_both_ways(|| two_bumps(true));
}

#[test]
fn unsafe_cell_api_reads_and_writes() {
    let cell = UnsafeCell::new(vec![1, 2]);
    // SAFETY: one thread, and no other access is alive.
    cell.with_mut(|p| unsafe { (*p).push(3) });
    {
        let w = cell.get_mut();
        // SAFETY: as above.
        w.with(|p| unsafe { (*p).push(4) });
    }
    // SAFETY: as above.
    let len = cell.with(|p| unsafe { (*p).len() });
    assert_eq!(len, 4);
    assert_eq!(cell.into_inner(), vec![1, 2, 3, 4]);
}

#[cfg(checker)]
#[test]
fn unsafe_cell_written_from_two_threads_without_a_lock_is_a_data_race() {
    let report = common::expect_bug(checker::model::FailureKind::DataRace, || two_bumps(false));
    assert!(report.message().contains("UnsafeCell"), "{report}");
}

fn load_then_store(n: &AtomicUsize) {
    let seen = n.load(Ordering::Acquire);
    n.store(seen + 1, Ordering::Release);
}

fn two_increments(racy: bool) {
    let n = Arc::new(AtomicUsize::new(0));
    let other = {
        let n = n.clone();
        thread::spawn(
            move || if racy { load_then_store(&n) } else { _ = n.fetch_add(1, Ordering::AcqRel) },
        )
    };
    if racy {
        load_then_store(&n);
    } else {
        n.fetch_add(1, Ordering::AcqRel);
    }
    other.join().unwrap();
    assert_eq!(n.load(Ordering::Acquire), 2, "lost update");
}

#[test]
fn fetch_add_through_the_shim_counts_every_increment() {
    run_both_ways(|| two_increments(false));
}

#[cfg(checker)]
#[test]
fn load_then_store_through_the_shim_loses_an_update() {
    let report = common::expect_bug(checker::model::FailureKind::Panic, || two_increments(true));
    assert!(report.message().contains("lost update"), "{report}");
}

sync_shim::lazy_static! {
    /// A table built on first use.
    static ref TABLE: Vec<u32> = vec![1, 2, 3];
    pub(crate) static ref HITS: AtomicUsize = AtomicUsize::new(0);
}

sync_shim::thread_local! {
    static MINE: Cell<u32> = Cell::new(0);
}

fn statics_are_shared_and_thread_locals_are_not() {
    let other = thread::spawn(|| {
        MINE.with(|m| m.set(7));
        HITS.fetch_add(TABLE.len(), Ordering::AcqRel);
        MINE.with(|m| m.get())
    });
    MINE.with(|m| m.set(1));
    let sum: u32 = TABLE.iter().sum();
    HITS.fetch_add(sum as usize, Ordering::AcqRel);
    assert_eq!(other.join().unwrap(), 7);
    assert_eq!(MINE.with(|m| m.get()), 1, "the other thread's value is its own");
    assert_eq!(*TABLE, vec![1, 2, 3]);
    // Under checker the static starts anew in every execution.
    assert_eq!(HITS.load(Ordering::Acquire), 9);
}

#[test]
fn lazy_static_and_thread_local_work_both_ways() {
    run_both_ways(statics_are_shared_and_thread_locals_are_not);
}
