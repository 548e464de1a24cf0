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
//! A model thread that std is about to abort (a panic escaping a destructor
//! during unwinding) is brought back to the engine instead: the panic hook
//! arms [`arm_abort_escape`] and returns, std calls `abort()`, and the SIGABRT
//! handler rewrites the signal context so that the coroutine returns to the
//! engine (corosensei's trap handling). The process lives on and the engine
//! reports the failure. Supported on Linux x86_64 and aarch64; elsewhere std
//! aborts as usual.
//!
//! This is one of the two places where the project uses `unsafe`.

use std::cell::Cell;
use std::io;
use std::ptr;

use corosensei::stack::DefaultStack;
use corosensei::trap::CoroutineTrapHandler;
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
#[derive(Copy, Clone)]
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

    /// The trap handler of the coroutine running on this OS thread, set by
    /// the engine before every resume.
    static RUNNING: Cell<Option<CoroutineTrapHandler<Exit>>> = const { Cell::new(None) };

    /// Armed by [`arm_abort_escape`]: the next SIGABRT on this OS thread,
    /// raised on this coroutine's stack, returns the coroutine to the engine.
    static ABORT_ESCAPE: Cell<Option<CoroutineTrapHandler<Exit>>> = const { Cell::new(None) };
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
        RUNNING.with(|r| r.set(Some(self.coro.trap_handler())));
        let result = self.coro.resume(reply);
        CURRENT.with(|c| c.set(ptr::null()));
        RUNNING.with(|r| r.set(None));
        ABORT_ESCAPE.with(|a| a.set(None));
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

/// Prepares the running model thread to survive the `abort()` std is about
/// to call: the SIGABRT it raises returns the coroutine to the engine as if
/// its body had finished. Returns whether this platform supports it (if not,
/// the process aborts as std intends).
pub(crate) fn arm_abort_escape() -> bool {
    if !abort_escape::SUPPORTED || !abort_escape::installed() {
        return false;
    }
    let running = RUNNING.with(Cell::get);
    ABORT_ESCAPE.with(|a| a.set(running));
    running.is_some()
}

/// Installs the SIGABRT handler behind [`arm_abort_escape`], once per process.
pub(crate) fn install_abort_escape() {
    abort_escape::install();
}

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod abort_escape {
    use std::sync::Once;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::{ABORT_ESCAPE, Exit};

    pub(super) const SUPPORTED: bool = true;

    static INSTALLED: AtomicBool = AtomicBool::new(false);

    /// The SIGABRT disposition found at installation, restored for any
    /// SIGABRT that is not an armed escape.
    struct Previous(std::cell::UnsafeCell<std::mem::MaybeUninit<libc::sigaction>>);
    // SAFETY: written once inside `Once::call_once` before INSTALLED is set
    // (Release), and only read after INSTALLED was seen set (Acquire).
    unsafe impl Sync for Previous {}
    static PREVIOUS: Previous =
        Previous(std::cell::UnsafeCell::new(std::mem::MaybeUninit::uninit()));

    pub(super) fn installed() -> bool {
        INSTALLED.load(Ordering::Acquire)
    }

    pub(super) fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            // SAFETY: `sigaction` is given a zeroed, then filled, sigaction
            // struct and a pointer to PREVIOUS's storage, which is valid for
            // writes and not yet read by anyone (INSTALLED is still false).
            // The handler is an `extern "C"` function with the SA_SIGINFO
            // signature.
            let ok = unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO;
                libc::sigemptyset(&mut action.sa_mask);
                let previous = (*PREVIOUS.0.get()).as_mut_ptr();
                libc::sigaction(libc::SIGABRT, &action, previous) == 0
            };
            INSTALLED.store(ok, Ordering::Release);
        });
    }

    extern "C" fn handler(
        _signal: libc::c_int,
        _info: *mut libc::siginfo_t,
        context: *mut libc::c_void,
    ) {
        let armed = ABORT_ESCAPE.with(|a| a.take());
        // SAFETY: the kernel passes a valid ucontext_t for SA_SIGINFO handlers.
        let context = unsafe { &mut *context.cast::<libc::ucontext_t>() };
        let sp = stack_pointer(context);
        match armed {
            Some(trap) if trap.stack_ptr_in_bounds(sp) => {
                // SAFETY: the signal was raised synchronously by `abort()`
                // on the armed coroutine's own stack (checked just above), so
                // its memory is in a consistent state; corosensei discards the
                // coroutine's stack and the registers we set make it return
                // `Exit` to the engine's `resume` when this handler returns.
                let regs = unsafe { trap.setup_trap_handler(|| Exit) };
                set_registers(context, regs);
            }
            _ => {
                // Not ours: put the old disposition back and let the pending
                // re-raised signal do what it would have done.
                // SAFETY: PREVIOUS was initialized before INSTALLED was set,
                // and this handler only runs once installed.
                unsafe {
                    libc::sigaction(
                        libc::SIGABRT,
                        (*PREVIOUS.0.get()).as_ptr(),
                        std::ptr::null_mut(),
                    );
                    libc::raise(libc::SIGABRT);
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    fn stack_pointer(context: &libc::ucontext_t) -> usize {
        context.uc_mcontext.gregs[libc::REG_RSP as usize] as usize
    }

    #[cfg(target_arch = "x86_64")]
    fn set_registers(context: &mut libc::ucontext_t, regs: corosensei::trap::TrapHandlerRegs) {
        let corosensei::trap::TrapHandlerRegs { rip, rsp, rbp, rdi, rsi } = regs;
        let gregs = &mut context.uc_mcontext.gregs;
        gregs[libc::REG_RIP as usize] = rip as i64;
        gregs[libc::REG_RSP as usize] = rsp as i64;
        gregs[libc::REG_RBP as usize] = rbp as i64;
        gregs[libc::REG_RDI as usize] = rdi as i64;
        gregs[libc::REG_RSI as usize] = rsi as i64;
    }

    #[cfg(target_arch = "aarch64")]
    fn stack_pointer(context: &libc::ucontext_t) -> usize {
        context.uc_mcontext.sp as usize
    }

    #[cfg(target_arch = "aarch64")]
    fn set_registers(context: &mut libc::ucontext_t, regs: corosensei::trap::TrapHandlerRegs) {
        let corosensei::trap::TrapHandlerRegs { pc, sp, x0, x1, x29, lr } = regs;
        let m = &mut context.uc_mcontext;
        m.pc = pc;
        m.sp = sp;
        m.regs[0] = x0;
        m.regs[1] = x1;
        m.regs[29] = x29;
        m.regs[30] = lr;
    }
}

#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
mod abort_escape {
    pub(super) const SUPPORTED: bool = false;
    pub(super) fn installed() -> bool {
        false
    }
    pub(super) fn install() {}
}
