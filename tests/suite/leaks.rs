//! Leaks: an allocation, a `Track` or an in-model `Arc` still alive when a
//! passing execution ends is reported with where it was made; correct
//! models report none.

use checker::alloc::{Layout, Track, alloc, dealloc};
use checker::model::FailureKind;
use checker::sync::Arc;
use checker::sync::Mutex;
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::thread;

use crate::cells::{expect_failure, expect_verified};

#[test]
fn memory_never_freed_is_a_leak_with_its_allocation_site() {
    let report = expect_failure(FailureKind::Leak, || {
        // SAFETY: a non-zero size; the leak is what the test expects.
        let h = thread::spawn(|| unsafe { alloc(Layout::new::<u64>()) });
        let ptr = h.join().unwrap();
        assert!(!ptr.is_null());
    });
    let message = report.message();
    assert!(message.starts_with("leak: memory allocated at tests/suite/leaks.rs:18:"), "{report}");
    assert!(message.contains("by thread 1"), "{report}");
}

#[test]
fn memory_freed_by_another_thread_is_no_leak() {
    expect_verified(|| {
        let layout = Layout::from_size_align(24, 8).unwrap();
        // SAFETY: a non-zero size.
        let ptr = unsafe { alloc(layout) };
        assert_eq!(ptr as usize % 8, 0, "aligned");
        let addr = ptr as usize;
        let h = thread::spawn(move || {
            // SAFETY: allocated above with this layout, freed once.
            unsafe { dealloc(addr as *mut u8, layout) };
        });
        h.join().unwrap();
    });
}

#[test]
fn freeing_twice_or_with_another_layout_panics_clearly() {
    let report = expect_failure(FailureKind::Panic, || {
        let layout = Layout::new::<u32>();
        // SAFETY: checker's dealloc checks its pointer and panics on a
        // second free instead of freeing: the panic is what the test expects.
        unsafe {
            let ptr = alloc(layout);
            dealloc(ptr, layout);
            dealloc(ptr, layout);
        }
    });
    assert!(report.message().contains("was freed already"), "{report}");
    let report = expect_failure(FailureKind::Panic, || {
        // SAFETY: as above, a wrong layout panics instead of freeing.
        unsafe { dealloc(alloc(Layout::new::<u32>()), Layout::new::<u64>()) };
    });
    assert!(report.message().contains("allocated with size 4 and align 4"), "{report}");
}

#[test]
fn a_forgotten_track_is_a_leak_and_a_dropped_one_is_not() {
    let report = expect_failure(FailureKind::Leak, || {
        let kept = Track::new(1u8);
        let h = thread::spawn(|| std::mem::forget(Track::new(2u8)));
        h.join().unwrap();
        assert_eq!(*kept.get_ref(), 1);
    });
    let message = report.message();
    assert!(message.starts_with("leak: Track allocated at tests/suite/leaks.rs:"), "{report}");
    assert!(message.contains("by thread 1"), "{report}");
    expect_verified(|| {
        let t = Track::new(vec![1]);
        let h = thread::spawn(move || t.into_inner().len());
        assert_eq!(h.join().unwrap(), 1);
    });
}

#[test]
fn an_arc_cycle_is_a_leak() {
    struct Node {
        next: Mutex<Option<Arc<Node>>>,
    }
    let report = expect_failure(FailureKind::Leak, || {
        let a = Arc::new(Node { next: Mutex::new(None) });
        let b = Arc::new(Node { next: Mutex::new(Some(a.clone())) });
        *a.next.lock().unwrap() = Some(b.clone());
    });
    let message = report.message();
    assert!(message.starts_with("leak: Arc#"), "{report}");
    assert!(message.contains("created at tests/suite/leaks.rs:"), "{report}");
    assert!(message.contains("handle(s) at the end of the execution"), "{report}");
}

#[test]
fn arcs_shared_by_threads_are_no_leak() {
    let outcome = expect_verified(|| {
        let n = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let n = n.clone();
                thread::spawn(move || n.fetch_add(1, Ordering::AcqRel))
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    });
    assert!(outcome.executions > 1);
}

#[test]
fn the_result_of_a_thread_whose_handle_leaked_counts_as_leaked() {
    let report = expect_failure(FailureKind::Leak, || {
        let shared = Arc::new(0u8);
        let mine = shared.clone();
        std::mem::forget(thread::spawn(move || mine));
    });
    assert!(report.message().contains("the JoinHandle of thread 1 was leaked"), "{report}");
    // A dropped handle drops the result.
    expect_verified(|| {
        let shared = Arc::new(0u8);
        let mine = shared.clone();
        drop(thread::spawn(move || mine));
    });
}
