//! What an execution owns on the model's behalf: tracked allocations
//! (`checker::alloc`), the values of lazy statics and thread locals, and the
//! list of `Arc` allocations made in the model; and the leak check at the
//! end of a passing execution.
//!
//! Values here are `Rc<dyn Any>`: a borrow handed to user code is a clone of
//! the `Rc` taken out of the execution, so no borrow of the execution is
//! held while user code runs (it may run operations). A lazy static's value
//! is the exception: `lazy_static!` hands out `&'static T`, borrowed for the
//! rest of the execution (see `coroutine::static_value`).

use fxhash::FxHashMap;
use std::any::Any;
use std::rc::Rc;

use crate::ids::{ObjectId, ThreadId};
use crate::op::SourceLocation;

/// A raw allocation's memory: a byte buffer, with the returned pointer
/// aligned inside it.
struct RawBuffer {
    /// Kept only to free the memory when dropped; never read.
    _bytes: Vec<u8>,
    size: usize,
    align: usize,
}

/// One allocation the leak check follows.
struct Allocation {
    site: SourceLocation,
    thread: ThreadId,
    what: &'static str,
    /// `Some` for a raw allocation: freed when the allocation is.
    raw: Option<RawBuffer>,
    live: bool,
}

/// Identifies a tracked allocation of the running execution.
#[derive(Copy, Clone, Debug)]
pub struct AllocationId {
    pub(crate) generation: u64,
    pub(crate) index: u32,
}

/// Misuse of `dealloc`: the memory is left alone and the caller panics.
#[derive(Debug)]
pub(crate) enum DeallocError {
    /// Not allocated by `checker::alloc::alloc` in this execution.
    Unknown,
    /// Freed already.
    Twice(SourceLocation),
    /// Freed with another layout than it was allocated with.
    Layout { size: usize, align: usize },
}

/// A thread's thread-local values, in creation order.
#[derive(Default)]
pub(crate) struct ThreadLocals {
    pub(crate) values: Vec<(usize, Rc<dyn Any>)>,
    /// They are being destroyed (the thread ends): no more access.
    pub(crate) destroyed: bool,
}

/// The values of one execution owned on the model's behalf.
#[derive(Default)]
pub(crate) struct Storage {
    allocations: Vec<Allocation>,
    raw_by_address: FxHashMap<usize, u32>,
    /// Lazy statics in initialisation order: the address of the `Lazy`
    /// static, its value.
    pub(crate) statics: Vec<(usize, Rc<dyn Any>)>,
    /// Statics are being dropped: they can no longer be initialised.
    pub(crate) statics_closed: bool,
    /// The model body has returned while other threads ran on
    /// ([`Op::Exit`](crate::op::Op::Exit)): the program is exiting, and a
    /// use of a lazy static from then on is a bug.
    pub(crate) exited: bool,
    pub(crate) locals: Vec<ThreadLocals>,
    /// `Arc` allocations made in the model, which must be freed by the end.
    pub(crate) arcs: Vec<ObjectId>,
}

impl Storage {
    /// Forgets the previous execution. Its values were dropped already (a
    /// passing execution) or are forgotten (the run stopped at a failure).
    pub(crate) fn reset(&mut self) {
        // Leftovers can only be raw buffers of allocations the user leaked
        // in an execution that failed for another reason: plain bytes.
        self.allocations.clear();
        self.raw_by_address.clear();
        for (_, value) in self.statics.drain(..) {
            std::mem::forget(value);
        }
        self.statics_closed = false;
        self.exited = false;
        for locals in self.locals.drain(..) {
            for (_, value) in locals.values {
                std::mem::forget(value);
            }
        }
        self.arcs.clear();
    }

    /// Starts following an allocation made at `site` by `thread`.
    pub(crate) fn track(
        &mut self,
        generation: u64,
        site: SourceLocation,
        thread: ThreadId,
        what: &'static str,
    ) -> AllocationId {
        let index = self.allocations.len() as u32;
        self.allocations.push(Allocation { site, thread, what, raw: None, live: true });
        AllocationId { generation, index }
    }

    /// The allocation was freed (a `Track` dropped or unwrapped).
    pub(crate) fn untrack(&mut self, id: AllocationId) {
        if let Some(a) = self.allocations.get_mut(id.index as usize) {
            a.live = false;
        }
    }

    /// A raw allocation of `size` bytes aligned to `align`, zeroed.
    pub(crate) fn alloc(
        &mut self,
        size: usize,
        align: usize,
        site: SourceLocation,
        thread: ThreadId,
    ) -> *mut u8 {
        // Enough room to align the start: the buffer itself has alignment 1.
        let mut bytes = vec![0u8; size.max(1) + align - 1];
        let base = bytes.as_mut_ptr();
        let offset = base.align_offset(align);
        let ptr = base.wrapping_add(offset);
        let index = self.allocations.len() as u32;
        let raw = Some(RawBuffer { _bytes: bytes, size, align });
        self.allocations.push(Allocation { site, thread, what: "memory", raw, live: true });
        self.raw_by_address.insert(ptr as usize, index);
        ptr
    }

    /// Frees a raw allocation. Its memory is released when the buffer drops.
    pub(crate) fn dealloc(
        &mut self,
        ptr: *mut u8,
        size: usize,
        align: usize,
    ) -> Result<(), DeallocError> {
        let Some(&index) = self.raw_by_address.get(&(ptr as usize)) else {
            return Err(DeallocError::Unknown);
        };
        let a = &mut self.allocations[index as usize];
        if !a.live {
            return Err(DeallocError::Twice(a.site));
        }
        let raw = a.raw.as_ref().expect("a live raw allocation has its buffer");
        if raw.size != size || raw.align != align {
            return Err(DeallocError::Layout { size: raw.size, align: raw.align });
        }
        a.live = false;
        a.raw = None;
        Ok(())
    }

    /// The first allocation still alive: where it was made, by whom, what.
    pub(crate) fn first_leak(&self) -> Option<(SourceLocation, ThreadId, &'static str, usize)> {
        let live = self.allocations.iter().filter(|a| a.live).count();
        self.allocations.iter().find(|a| a.live).map(|a| (a.site, a.thread, a.what, live))
    }

    /// The thread-local values of `thread`.
    pub(crate) fn locals(&mut self, thread: ThreadId) -> &mut ThreadLocals {
        if self.locals.len() <= thread.index() {
            self.locals.resize_with(thread.index() + 1, ThreadLocals::default);
        }
        &mut self.locals[thread.index()]
    }
}
