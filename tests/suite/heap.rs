//! The model heap (checker's global allocator): model code's blocks get
//! addresses that depend only on the execution's decisions, so a model that
//! compares the address of a freed node with a new one (ABA) gives the same
//! outcome on the same decisions, in every execution and in a replay.

use std::collections::BTreeSet;
use std::ptr;
use std::sync::Arc as StdArc;
use std::sync::Mutex as StdMutex;

use checker::alloc::in_model_heap;
use checker::model::{Builder, FailureKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::SeqCst};
use checker::thread;
use checker_tests::expect_bug;

/// One thread replaces the shared node (takes and frees it, counts the
/// replacement, publishes a new one); the other reads the count and the
/// node, and takes the node with a compare-exchange on its address. The compare-exchange succeeds on the new node when it reuses
/// the old one's address: the node changed under a successful
/// compare-exchange, which the model asserts cannot happen.
fn aba() {
    let node = Box::into_raw(Box::new(1u64));
    assert!(in_model_heap(node), "model code allocates in the model heap");
    let shared = Arc::new(AtomicPtr::new(node));
    let replaced = Arc::new(AtomicUsize::new(0));
    let replacer = {
        let (shared, replaced) = (shared.clone(), replaced.clone());
        thread::spawn(move || {
            let old = shared.swap(ptr::null_mut(), SeqCst);
            if old.is_null() {
                return; // taken already: nothing to replace
            }
            // SAFETY: `old` came from `Box::into_raw`, and the swap took it
            // out of `shared`: no one else frees it.
            drop(unsafe { Box::from_raw(old) });
            replaced.fetch_add(1, SeqCst);
            shared.store(Box::into_raw(Box::new(2u64)), SeqCst);
        })
    };
    let count = replaced.load(SeqCst);
    let seen = shared.load(SeqCst);
    if !seen.is_null() && shared.compare_exchange(seen, ptr::null_mut(), SeqCst, SeqCst).is_ok() {
        assert_eq!(
            replaced.load(SeqCst),
            count,
            "ABA: the node was replaced under a successful compare-exchange"
        );
        // SAFETY: the compare-exchange took the node out of `shared`.
        drop(unsafe { Box::from_raw(seen) });
    }
    replacer.join().unwrap();
    let last = shared.swap(ptr::null_mut(), SeqCst);
    if !last.is_null() {
        // SAFETY: what is left in `shared` came from `Box::into_raw`.
        drop(unsafe { Box::from_raw(last) });
    }
}

#[test]
fn an_aba_on_a_reused_address_is_found_and_replays() {
    let report = expect_bug(&Builder::new(), FailureKind::Panic, aba);
    assert!(report.message().contains("ABA"), "{report}");
}

/// Every execution that frees what it allocated gives the next the same
/// addresses: the first block of each execution (recorded outside the
/// model) is at one address in all of them, whatever the engine allocated
/// in between.
#[test]
fn executions_see_the_same_addresses() {
    // Allocated here, outside the model: pushing allocates nothing in it.
    let seen = StdArc::new(StdMutex::new(Vec::with_capacity(1000)));
    let outcome = {
        let seen = seen.clone();
        Builder::new()
            .run(move || {
                let first = Box::new([0u8; 40]);
                seen.lock().unwrap().push(&*first as *const [u8; 40] as usize);
                let a = Arc::new(AtomicUsize::new(0));
                let t = {
                    let a = a.clone();
                    thread::spawn(move || {
                        let v: Vec<usize> = (0..100).collect();
                        a.fetch_add(v.len(), SeqCst);
                    })
                };
                a.fetch_add(1, SeqCst);
                t.join().unwrap();
            })
            .unwrap()
    };
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    assert!(outcome.executions >= 2);
    let seen: BTreeSet<usize> = seen.lock().unwrap().iter().copied().collect();
    assert_eq!(seen.len(), 1, "one address for the first block of every execution: {seen:?}");
}
