//! Allocation with leak detection, shaped like loom's `loom::alloc`.
//!
//! Memory from [`alloc`] or [`alloc_zeroed`], and every [`Track`], must be
//! freed by the end of the execution: one still alive when every thread has
//! finished (and the lazy statics have been dropped) is a leak, reported with
//! where it was allocated. The same holds for the allocation of every
//! [`Arc`](crate::sync::Arc) made in the model. Leaks are checked only on
//! executions that otherwise passed.
//!
//! The memory of [`alloc`] belongs to the running execution: free it with
//! [`dealloc`], not with `std::alloc::dealloc` or `Box::from_raw`.

use std::fmt;
use std::panic::Location;

use scheduler::AllocationId;
use scheduler::rt;

/// The global allocator under which model code's blocks get addresses that
/// depend only on the execution's decisions (the ABA pattern stays
/// deterministic). checker declares it with its default feature
/// `model-heap`; with that feature off, a program may declare it itself.
pub use scheduler::heap::ModelHeap;
/// Is `ptr` a block of the model heap (allocated by model code)?
pub use scheduler::heap::in_model_heap;
/// Runs a closure with model code's allocations going to the system
/// allocator, for bookkeeping that outlives the execution (outcomes
/// collected across executions): a model heap block alive at the end of an
/// execution makes the next one allocate elsewhere, which turns fast replay
/// off for it.
pub use scheduler::heap::outside_model;
pub use std::alloc::Layout;

/// Allocates memory for `layout`, followed by the leak check.
///
/// # Safety
///
/// The same contract as `std::alloc::alloc`: `layout` should have a
/// non-zero size (a zero size is given one byte here). The memory must be
/// freed with [`dealloc`] and this layout, within the same execution. Its
/// contents start zeroed here, but do not rely on that: std's do not.
#[track_caller]
pub unsafe fn alloc(layout: Layout) -> *mut u8 {
    rt::alloc(layout.size(), layout.align(), Location::caller())
}

/// Allocates zeroed memory for `layout`, followed by the leak check.
///
/// # Safety
///
/// As [`alloc`].
#[track_caller]
pub unsafe fn alloc_zeroed(layout: Layout) -> *mut u8 {
    rt::alloc(layout.size(), layout.align(), Location::caller())
}

/// Frees memory from [`alloc`] or [`alloc_zeroed`].
///
/// # Safety
///
/// The same contract as `std::alloc::dealloc`: `ptr` came from [`alloc`]
/// with this `layout` and is not used afterwards. A pointer that did not
/// come from [`alloc`] in this execution, a second free, or another layout
/// panics, leaving the memory alone.
#[track_caller]
pub unsafe fn dealloc(ptr: *mut u8, layout: Layout) {
    rt::dealloc(ptr, layout.size(), layout.align(), Location::caller())
}

/// A value followed by the leak check: a `Track` still alive at the end of
/// an execution is reported with where it was made.
pub struct Track<T> {
    value: T,
    _allocation: Allocation,
}

/// The tracked life of a [`Track`]: ends when dropped.
struct Allocation(Option<AllocationId>);

impl Drop for Allocation {
    fn drop(&mut self) {
        if let Some(id) = self.0.take() {
            rt::untrack(id);
        }
    }
}

impl<T> Track<T> {
    /// Tracks `value` for leaks.
    #[track_caller]
    pub fn new(value: T) -> Track<T> {
        let id = rt::track(Location::caller(), "Track");
        Track { value, _allocation: Allocation(id) }
    }

    /// A reference to the value.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// A mutable reference to the value.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// Stops tracking and returns the value.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Track<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Track").field("value", &self.value).finish()
    }
}
