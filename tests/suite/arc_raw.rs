//! `Arc`'s raw pointers (`into_raw`, `from_raw`, the count functions),
//! `Arc::pin`, and `from_std` of unsized values: the engine's counts stay
//! right through them, so a pointer never turned back is a leak with its
//! creation site, a round trip is none, and the last release runs the
//! destructor once, in the thread that released last.

use std::collections::BTreeSet;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicU32, Ordering as StdOrdering};

use checker::model::{Builder, FailureKind};
use checker::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use checker::sync::{Arc, Weak};
use checker::thread;
use checker_tests::outcomes;

use crate::cells::{expect_failure, expect_verified};

#[test]
fn a_pointer_never_turned_back_is_a_leak_with_the_creation_site() {
    static LINE: AtomicU32 = AtomicU32::new(0);
    let report = expect_failure(FailureKind::Leak, || {
        let (arc, line) = (Arc::new(5u32), line!());
        LINE.store(line, StdOrdering::Relaxed);
        let h = thread::spawn(move || Arc::into_raw(arc) as usize);
        let ptr = h.join().unwrap() as *const u32;
        // SAFETY: the allocation is alive: its raw pointer holds a count.
        assert_eq!(unsafe { *ptr }, 5);
    });
    let message = report.message();
    let site = format!("created at tests/suite/arc_raw.rs:{}:", LINE.load(StdOrdering::Relaxed));
    assert!(message.starts_with("leak: Arc#"), "{report}");
    assert!(message.contains(&site), "{site}\n{report}");
    assert!(message.contains("still has 1 handle(s)"), "{report}");
}

#[test]
fn a_round_trip_through_raw_pointers_and_threads_is_no_leak() {
    let outcome = expect_verified(|| {
        let arc = Arc::new(AtomicUsize::new(0));
        let kept = arc.clone();
        let ptr = Arc::into_raw(arc);
        assert_eq!(ptr, Arc::as_ptr(&kept));
        let address = ptr as usize;
        let h = thread::spawn(move || {
            // SAFETY: from `into_raw` above, turned back once.
            let arc = unsafe { Arc::from_raw(address as *const AtomicUsize) };
            arc.fetch_add(1, Ordering::SeqCst);
            // Out and back again: the registry keeps the allocation.
            let again = Arc::into_raw(arc);
            // SAFETY: as above.
            drop(unsafe { Arc::from_raw(again) });
        });
        kept.fetch_add(1, Ordering::SeqCst);
        h.join().unwrap();
        assert_eq!(Arc::strong_count(&kept), 1);
        assert_eq!(Arc::try_unwrap(kept).unwrap().into_inner(), 2);
    });
    assert!(outcome.executions > 1, "{}", outcome.summary());
}

/// Records, per execution, which thread ran its destructor, after checking
/// that every thread had started releasing its handle by then.
struct Noisy {
    released: StdArc<[AtomicBool; 2]>,
    destroyed: StdArc<AtomicUsize>,
    by: StdArc<StdMutex<Vec<String>>>,
}

impl Drop for Noisy {
    fn drop(&mut self) {
        for (i, flag) in self.released.iter().enumerate() {
            assert!(flag.load(Ordering::SeqCst), "destroyed before thread {i} released its handle");
        }
        self.destroyed.fetch_add(1, Ordering::SeqCst);
        let me = thread::current().name().unwrap_or("main").to_string();
        self.by.lock().unwrap().push(me);
    }
}

#[test]
fn the_last_decrement_runs_the_destructor_once_in_its_thread() {
    let by = StdArc::new(StdMutex::new(Vec::new()));
    let recorded = by.clone();
    let outcome = expect_verified(move || {
        let released = StdArc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let destroyed = StdArc::new(AtomicUsize::new(0));
        let noisy =
            Noisy { released: released.clone(), destroyed: destroyed.clone(), by: by.clone() };
        let ptr = Arc::into_raw(Arc::new(noisy));
        // SAFETY: `ptr` holds a count; now it holds two.
        unsafe { Arc::increment_strong_count(ptr) };
        let address = ptr as usize;
        let h = thread::Builder::new()
            .name("dropper".to_string())
            .spawn({
                let released = released.clone();
                move || {
                    released[1].store(true, Ordering::SeqCst);
                    // SAFETY: one of the two counts, released once.
                    unsafe { Arc::decrement_strong_count(address as *const Noisy) };
                }
            })
            .unwrap();
        released[0].store(true, Ordering::SeqCst);
        // SAFETY: the other count, released once.
        unsafe { Arc::decrement_strong_count(ptr) };
        h.join().unwrap();
        assert_eq!(destroyed.load(Ordering::SeqCst), 1, "the destructor ran once");
    });
    let by = recorded.lock().unwrap();
    assert_eq!(by.len() as u64, outcome.executions, "one destructor per execution");
    let threads: BTreeSet<&str> = by.iter().map(String::as_str).collect();
    assert_eq!(threads, BTreeSet::from(["dropper", "main"]), "either thread may release last");
}

#[test]
fn from_raw_of_a_pointer_to_no_arc_value_panics_clearly() {
    let report = expect_failure(FailureKind::Panic, || {
        let value = 5u32;
        // SAFETY: none: checker refuses the pointer before using it, which
        // is what the test expects.
        let arc = unsafe { Arc::from_raw(&value as *const u32) };
        drop(arc);
    });
    let message = report.message();
    assert!(message.contains("Arc::from_raw"), "{report}");
    assert!(message.contains("was not returned by Arc::into_raw or Arc::as_ptr"), "{report}");
}

#[test]
fn unsized_values_come_from_std_and_work_as_any_arc() {
    let outcome = expect_verified(|| {
        let bytes: Arc<[u8]> = Arc::from_std(std::sync::Arc::from(vec![1u8, 2, 3]));
        let any: Arc<dyn Send + Sync> = Arc::from_std(std::sync::Arc::new(7u64));
        let weak: Weak<[u8]> = Arc::downgrade(&bytes);
        let h = {
            let bytes = bytes.clone();
            thread::spawn(move || bytes.iter().map(|&b| usize::from(b)).sum::<usize>())
        };
        let ptr = Arc::into_raw(any);
        // SAFETY: from `into_raw` just above, turned back once.
        let any = unsafe { Arc::from_raw(ptr) };
        drop(any);
        // Races with the other thread's drop: either may be the last.
        drop(bytes);
        assert_eq!(h.join().unwrap(), 6);
        assert!(weak.upgrade().is_none(), "the last strong handle is gone");
    });
    assert!(outcome.executions > 1, "{}", outcome.summary());
}

#[test]
fn from_std_of_a_shared_unsized_std_arc_panics() {
    let report = expect_failure(FailureKind::Panic, || {
        let std: std::sync::Arc<[u8]> = std::sync::Arc::from(vec![1u8]);
        let other = std.clone();
        let _model: Arc<[u8]> = Arc::from_std(std);
        drop(other);
    });
    assert!(report.message().contains("Arc::from_std: the std Arc is not unique"), "{report}");
}

#[test]
fn a_pinned_arc_is_shared_and_freed_like_any_other() {
    let (outcome, seen) = outcomes(&Builder::new(), |rec| {
        let pinned: Pin<Arc<AtomicUsize>> = Arc::pin(AtomicUsize::new(0));
        let h = {
            let pinned = pinned.clone();
            thread::spawn(move || pinned.fetch_add(1, Ordering::SeqCst))
        };
        let mine = pinned.fetch_add(1, Ordering::SeqCst);
        rec.record((mine, h.join().unwrap()));
    });
    assert!(outcome.failure.is_none(), "{}", outcome.summary());
    assert_eq!(seen, BTreeSet::from([(0, 1), (1, 0)]));
}
