//! The coroutine layer: model threads as stackful coroutines on one OS thread.
//!
//! Every model thread of an execution is a [`corosensei`] coroutine, resumed
//! only from the engine loop on the native stack of the engine's OS thread.
//! A model thread gives control back by calling [`suspend`] with what it
//! wants the engine to do; the engine resumes it with the [`Reply`].
//! Resumes never nest: a coroutine is only ever resumed from the native stack.
//!
//! Stacks are `mmap`ed regions with a guard page, kept in a [`StackPool`] and
//! reused across executions. Because all model threads live in the memory of
//! one OS thread, `fork()` copies the whole model, stacks included.
//!
//! This is one of the two places where the project uses `unsafe`.

use std::cell::Cell;
use std::io;
use std::ptr;

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};

use crate::op::{Pending, Reply};

/// What a model thread hands to the engine when it suspends.
#[derive(Debug)]
pub(crate) enum Suspend {
    /// Run this operation when the strategy picks me.
    Op(Pending),
    /// Never resume me: I am stuck where I cannot go on (a panic while
    /// unwinding, or a blocking operation during teardown).
    Abandon,
}

/// How a model thread's coroutine returned.
pub(crate) struct Exit;

type Coro = Coroutine<Reply, Suspend, Exit, DefaultStack>;
type ModelYielder = Yielder<Reply, Suspend>;

thread_local! {
    /// The yielder of the coroutine running on this OS thread, or null on the
    /// native stack.
    ///
    /// Invariant: non-null only while the coroutine it belongs to runs; every
    /// coroutine sets it when it starts and when a `suspend` returns, and the
    /// engine clears it whenever a `resume` comes back.
    static CURRENT: Cell<*const ModelYielder> = const { Cell::new(ptr::null()) };
}

/// Is the caller running on a model thread's stack?
#[inline]
pub(crate) fn in_model_thread() -> bool {
    !CURRENT.with(Cell::get).is_null()
}

/// Gives control back to the engine and waits to be resumed.
///
/// Panics if called on the native stack (outside any model thread).
#[inline]
pub(crate) fn suspend(what: Suspend) -> Reply {
    let yielder = CURRENT.with(Cell::get);
    assert!(!yielder.is_null(), "internal error in checker: suspend outside a model thread");
    // SAFETY: `yielder` is non-null, so by the invariant on CURRENT it points
    // to the Yielder of the coroutine that is running right now, which is the
    // caller's own coroutine (we are on its stack). That Yielder lives in the
    // coroutine's initial frame for as long as the coroutine has not returned,
    // which it cannot have done while it is still calling us.
    let reply = unsafe { &*yielder }.suspend(what);
    // We run again: by the invariant, restore our own yielder.
    CURRENT.with(|c| c.set(yielder));
    reply
}

/// A pool of coroutine stacks of one size, reused across executions.
pub(crate) struct StackPool {
    size: usize,
    free: Vec<DefaultStack>,
}

impl StackPool {
    pub(crate) fn new(size: usize) -> Self {
        StackPool { size, free: Vec::new() }
    }

    fn take(&mut self) -> io::Result<DefaultStack> {
        match self.free.pop() {
            Some(stack) => Ok(stack),
            None => DefaultStack::new(self.size),
        }
    }
}

/// One model thread's coroutine.
pub(crate) struct ModelThread {
    coro: Coro,
}

/// What came back from resuming a model thread.
pub(crate) enum Resumed {
    /// It suspended, asking for this.
    Suspended(Suspend),
    /// Its body returned (the body catches its own panics).
    Finished,
}

impl ModelThread {
    /// A coroutine that will run `body` on a stack from `pool`.
    ///
    /// `body` must not unwind: it is expected to catch its own panics.
    pub(crate) fn new(
        pool: &mut StackPool,
        body: impl FnOnce() + 'static,
    ) -> io::Result<ModelThread> {
        let stack = pool.take()?;
        let coro = Coroutine::with_stack(stack, move |yielder: &ModelYielder, _start: Reply| {
            CURRENT.with(|c| c.set(yielder as *const ModelYielder));
            body();
            Exit
        });
        Ok(ModelThread { coro })
    }

    /// Runs the thread until it suspends or returns.
    pub(crate) fn resume(&mut self, reply: Reply) -> Resumed {
        let result = self.coro.resume(reply);
        CURRENT.with(|c| c.set(ptr::null()));
        match result {
            CoroutineResult::Yield(what) => Resumed::Suspended(what),
            CoroutineResult::Return(Exit) => Resumed::Finished,
        }
    }

    /// Gives a finished thread's stack back to the pool.
    pub(crate) fn recycle(self, pool: &mut StackPool) {
        debug_assert!(self.coro.done(), "only a finished model thread's stack is reused");
        pool.free.push(self.coro.into_stack());
    }

    /// Gives up on a thread that is suspended and will never be resumed.
    ///
    /// Nothing on its stack is dropped and the stack is not reused: objects
    /// there may be pinned or referenced from elsewhere, and running their
    /// destructors could panic again or block. The memory is leaked on purpose;
    /// this only happens once per model run, at its failure.
    pub(crate) fn abandon(self) {
        std::mem::forget(self);
    }
}
