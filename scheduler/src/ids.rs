//! Identifiers of the things one execution is made of.
//!
//! Each id is a newtype over an index so that a thread can never be passed
//! where an object is expected. Ids are dense and start at zero in every
//! execution, which makes them cheap vector indices and deterministic for a
//! given decision path.

use std::fmt;

/// A model thread, numbered in spawn order: the model body is thread 0.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId(pub u32);

impl ThreadId {
    /// The thread that runs the body passed to `model`.
    pub const MAIN: ThreadId = ThreadId(0);

    /// This id as a vector index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Debug for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

/// A shared object (atomic, mutex, condvar, `Arc` allocation), numbered in
/// the order of its first use in the execution.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(pub u32);

impl ObjectId {
    /// This id as a vector index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "o{}", self.0)
    }
}
