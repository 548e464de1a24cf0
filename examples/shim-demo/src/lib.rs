//! A memo table: each key's value is computed once, however many threads
//! ask for it at the same time.
//!
//! Written against `sync_shim` only, so the same code is std's in a normal
//! build and checker's under `--cfg checker`, where `tests/memo.rs` checks it
//! in every interleaving. See README.md for the setup.
#![warn(missing_docs)]

use std::collections::HashMap;
use std::hash::Hash;

use sync_shim::sync::atomic::{AtomicUsize, Ordering};
use sync_shim::sync::{Arc, OnceLock, RwLock};

/// A concurrent memo table from `K` to `V`.
pub struct Memo<K, V> {
    /// One cell per key; the map lock is held only to find or add a cell,
    /// never while a value is computed.
    slots: RwLock<HashMap<K, Arc<OnceLock<V>>>>,
    computed: AtomicUsize,
}

impl<K: Eq + Hash + Clone, V: Clone> Memo<K, V> {
    /// An empty table.
    pub fn new() -> Self {
        Memo { slots: RwLock::new(HashMap::new()), computed: AtomicUsize::new(0) }
    }

    /// The value for `key`, computed with `compute` if no thread has yet.
    /// Concurrent callers for one key wait for the single computation.
    pub fn get_or_compute(&self, key: K, compute: impl FnOnce(&K) -> V) -> V {
        let slot = self.slot(&key);
        slot.get_or_init(|| {
            self.computed.fetch_add(1, Ordering::AcqRel);
            compute(&key)
        })
        .clone()
    }

    /// How many values were computed so far.
    pub fn computations(&self) -> usize {
        self.computed.load(Ordering::Acquire)
    }

    /// The cell of `key`, added if missing. The write path re-checks the
    /// map: another thread may have added the cell between the two locks.
    fn slot(&self, key: &K) -> Arc<OnceLock<V>> {
        if let Some(slot) = self.slots.read().unwrap().get(key) {
            return slot.clone();
        }
        self.slots.write().unwrap().entry(key.clone()).or_default().clone()
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Default for Memo<K, V> {
    fn default() -> Self {
        Self::new()
    }
}
