//! Shared objects of an execution, and how user types find theirs.
//!
//! A user-visible type (an atomic, a mutex) holds a [`LazyObject`]: a slot
//! that is bound to an object of the running execution the first time the
//! value is used. Binding lazily is what lets the user types have `const fn
//! new` (so they can be statics) and what resets a static to its initial
//! value at the start of every execution, as if the program ran anew.
//!
//! The slot remembers (execution generation, index). A generation that is not
//! the running one means either "not bound yet in this execution" or, for a
//! static shared by two models running on two OS threads at once, "bound by
//! the other model"; a per-execution table keyed by the value's address tells
//! the two apart, so concurrent test threads do not reset each other's
//! statics.

use fxhash::FxHashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ids::{ObjectId, ThreadId};
use crate::op::{SourceLocation, ValueType};

/// The state of one shared object in the running execution.
#[derive(Clone, Debug)]
pub enum ObjectState {
    /// An atomic cell.
    Atomic {
        /// Its current value (the last store in modification order).
        value: u64,
        /// How to read the value.
        ty: ValueType,
    },
    /// A mutex.
    Mutex {
        /// The thread holding it.
        holder: Option<ThreadId>,
        /// A guard was dropped while its thread panicked.
        poisoned: bool,
    },
    /// A reader-writer lock.
    RwLock {
        /// The thread holding the write lock.
        writer: Option<ThreadId>,
        /// The threads holding a read lock, once per guard.
        readers: Vec<ThreadId>,
        /// A write guard was dropped while its thread panicked.
        poisoned: bool,
    },
    /// A condition variable.
    Condvar {
        /// Threads waiting, in the order they started waiting.
        waiters: Vec<ThreadId>,
    },
    /// An `Arc` allocation.
    Arc {
        /// Live handles. Cloning counts without a step; dropping is a step.
        count: u64,
        /// Live `Weak` handles, counted without a step.
        weak: u64,
    },
}

/// What a user type tells the engine when its object is first used.
#[derive(Clone, Debug)]
pub struct ObjectInit {
    /// The type's name as the user wrote it (`AtomicUsize`, `Mutex`).
    pub type_name: &'static str,
    /// Where the value was created.
    pub created: SourceLocation,
    /// Its initial state.
    pub state: ObjectState,
}

/// One shared object of an execution.
#[derive(Clone, Debug)]
pub(crate) struct ObjectRecord {
    pub(crate) type_name: &'static str,
    pub(crate) created: SourceLocation,
    pub(crate) state: ObjectState,
}

/// Bits of a slot: `[dirty:1][generation:39][index + 1:24]`.
const INDEX_BITS: u32 = 24;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
const DIRTY: u64 = 1 << 63;
const GENERATION_MASK: u64 = !DIRTY & !INDEX_MASK;

/// The most objects one execution may use.
pub(crate) const MAX_OBJECTS: usize = (INDEX_MASK - 1) as usize;

/// The per-value slot that binds a user value to its object in the running
/// execution. `const`-constructible.
#[derive(Debug, Default)]
pub struct LazyObject {
    /// Invariant: 0, or `generation << 24 | (index + 1)` of the execution
    /// that last bound it, possibly with the DIRTY bit.
    slot: AtomicU64,
}

impl LazyObject {
    /// An unbound slot.
    pub const fn new() -> Self {
        LazyObject { slot: AtomicU64::new(0) }
    }

    #[inline]
    pub(crate) fn read(&self, generation: u64) -> Option<ObjectId> {
        let s = self.slot.load(Ordering::Relaxed);
        if s & GENERATION_MASK == generation << INDEX_BITS && s & INDEX_MASK != 0 {
            Some(ObjectId((s & INDEX_MASK) as u32 - 1))
        } else {
            None
        }
    }

    pub(crate) fn bind(&self, generation: u64, id: ObjectId) {
        let s = (generation << INDEX_BITS) | (u64::from(id.0) + 1);
        self.slot.store(s, Ordering::Relaxed);
    }

    /// Marks the value as changed through `&mut` access outside the engine
    /// (`get_mut`): the next use copies the user's value back in.
    pub fn set_dirty(&self) {
        self.slot.fetch_or(DIRTY, Ordering::Relaxed);
    }

    /// Clears the dirty mark, returning whether it was set.
    #[inline]
    pub fn take_dirty(&self) -> bool {
        self.slot.load(Ordering::Relaxed) & DIRTY != 0
            && self.slot.fetch_and(!DIRTY, Ordering::Relaxed) & DIRTY != 0
    }

    /// Is the slot bound to some execution's object (possibly an old one)?
    pub(crate) fn ever_bound(&self) -> bool {
        self.slot.load(Ordering::Relaxed) & INDEX_MASK != 0
    }
}

/// The objects of one execution.
#[derive(Default)]
pub(crate) struct ObjectTable {
    pub(crate) records: Vec<ObjectRecord>,
    /// Address of the user value -> object, for values whose slot another
    /// execution rebound meanwhile (statics shared by concurrent models).
    by_address: FxHashMap<usize, ObjectId>,
}

// By hand, for `clone_from`, which keeps the buffers of the target (fast
// replay restores the objects at every execution).
impl Clone for ObjectTable {
    fn clone(&self) -> Self {
        ObjectTable { records: self.records.clone(), by_address: self.by_address.clone() }
    }

    fn clone_from(&mut self, source: &Self) {
        self.records.clone_from(&source.records);
        self.by_address.clone_from(&source.by_address);
    }
}

impl ObjectTable {
    pub(crate) fn clear(&mut self) {
        self.records.clear();
        self.by_address.clear();
    }

    /// The object `lazy` is bound to in execution `generation`, binding it
    /// to a new object made by `init` if it has none.
    pub(crate) fn resolve(
        &mut self,
        generation: u64,
        lazy: &LazyObject,
        init: impl FnOnce() -> ObjectInit,
    ) -> Result<ObjectId, TooManyObjects> {
        if let Some(id) = lazy.read(generation) {
            return Ok(id);
        }
        let address = lazy as *const LazyObject as usize;
        // A slot bound by another execution may be a static that this
        // execution already uses while a model on another OS thread rebinds it.
        if lazy.ever_bound()
            && let Some(&id) = self.by_address.get(&address)
        {
            lazy.bind(generation, id);
            return Ok(id);
        }
        if self.records.len() >= MAX_OBJECTS {
            return Err(TooManyObjects);
        }
        let id = ObjectId(self.records.len() as u32);
        let ObjectInit { type_name, created, state } = init();
        self.records.push(ObjectRecord { type_name, created, state });
        self.by_address.insert(address, id);
        lazy.bind(generation, id);
        Ok(id)
    }

    #[inline]
    pub(crate) fn state(&mut self, id: ObjectId) -> &mut ObjectState {
        &mut self.records[id.index()].state
    }

    /// The name reports use for an object: `AtomicUsize#0`.
    pub(crate) fn label(&self, id: ObjectId) -> String {
        format!("{}#{}", self.records[id.index()].type_name, id.0)
    }
}

/// An execution used more objects than a slot can number.
#[derive(Debug)]
pub(crate) struct TooManyObjects;

/// Hands out a generation number unique to each execution in this process.
pub(crate) fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let generation = NEXT.fetch_add(1, Ordering::Relaxed);
    generation & (GENERATION_MASK >> INDEX_BITS)
}
