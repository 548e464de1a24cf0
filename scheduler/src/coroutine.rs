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
//! reports the failure. A stack overflow is caught the same way: a fault in
//! the running coroutine's guard page returns it to the engine. Supported on
//! Linux x86_64 and aarch64; elsewhere std aborts and an overflow crashes,
//! as without checker.
//!
//! This is one of the places where the project uses `unsafe` (see
//! ARCHITECTURE.md, Invariants); besides switching coroutines, its `unsafe`
//! lends lazy statics ([`static_value`]) and reads and scrubs the running
//! thread's own stack and registers for spin stalls ([`with_stack_state`]).

use std::any::Any;
use std::cell::Cell;
use std::io;
use std::mem::ManuallyDrop;
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
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Its body returned (the body catches its own panics).
    Returned,
    /// std was about to abort the process on its behalf; the armed escape
    /// returned it instead (the failure is already recorded).
    Aborted,
    /// It overflowed its stack; the guard-page fault returned it.
    StackOverflow,
}

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

    /// The top of the running coroutine's stack, set by the engine before
    /// every resume (0 on the native stack).
    static RUNNING_BASE: Cell<usize> = const { Cell::new(0) };

    /// The lowest usable address of the running coroutine's stack.
    static RUNNING_LIMIT: Cell<usize> = const { Cell::new(0) };

    /// Set by the engine before it resumes a thread whose stack it will
    /// copy ([`with_stack_state`]): the thread zeroes the stack its switch
    /// back used, so that what the switch left there (the addresses of the
    /// engine's frames, which differ from one resume to the next) never
    /// shows in a later copy.
    static SCRUB: Cell<bool> = const { Cell::new(false) };

    /// Where [`stack_state`] copies the calling thread's state: a buffer at
    /// an address that never changes, so that the copy does not depend on
    /// where the engine keeps its records.
    static STATE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
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
    if SCRUB.with(Cell::get) {
        scrub_below();
    }
    // We run again: by the invariant, restore our own yielder.
    CURRENT.with(|c| c.set(yielder));
    reply
}

/// How much of the top of a model thread's stack is zeroed when it starts
/// (with spin detection): [`with_stack_state`] copies only stacks no
/// deeper than this, so that bytes no frame wrote are zero in every
/// execution. A yield deeper than this is never taken for a stall. The
/// zeroing is most of a small model's thread start, so this is about three
/// times the deepest yield seen in the suites (the tests, the benches and
/// tokio's loom tests: 2.6 KB), not more.
const CLEAN_TOP: usize = 8 * 1024;

/// Calls `f` with a copy of the calling model thread's state: its live
/// stack (every frame from the caller's up to the coroutine's entry) and
/// the callee-saved registers, which may hold a caller's variables that no
/// frame has saved yet. What the thread keeps on the heap is not in it. Two
/// copies taken at the same call site of the same thread are equal iff its
/// stack state is; bytes a frame never wrote can only make equal states
/// compare unequal. Empty where registers cannot be read (architectures
/// other than x86_64 and aarch64), outside a model thread, or when the
/// stack is deeper than [`CLEAN_TOP`].
pub(crate) fn with_stack_state<R>(f: impl FnOnce(&[u8]) -> R) -> R {
    let _engine = crate::heap::Pause::new();
    stack_state();
    STATE.with(|state| f(&state.borrow()))
}

/// How much of the dead stack below [`suspend`]'s frame is zeroed after a
/// switch back (see [`SCRUB`]): more than corosensei's `Yielder::suspend`
/// and its switch use.
const SCRUB_DEPTH: usize = 1024;

/// Zeroes the [`SCRUB_DEPTH`] bytes of dead stack below this function's
/// frame (keeping clear of the bytes just below it, which a leaf function
/// may use without moving the stack pointer).
#[inline(never)]
fn scrub_below() {
    let marker = 0u64;
    let here = (std::hint::black_box(&marker) as *const u64 as usize) & !7;
    let base = RUNNING_BASE.with(Cell::get);
    let top = here.saturating_sub(256);
    let low = top.saturating_sub(SCRUB_DEPTH);
    if base == 0 || low < base.saturating_sub(CLEAN_TOP) {
        return;
    }
    // SAFETY: `low..top` lies below this function's frame and its red
    // zone, in the running coroutine's stack (at most `CLEAN_TOP` below
    // its top, above its limit): memory no live frame uses, which only
    // this thread writes. Stack memory below the stack pointer is
    // scratch; zeroing it changes nothing a frame holds. The fill (a
    // `memset`, a leaf that keeps its state in registers; at most its
    // return address goes just below this frame) runs with the stack
    // pointer above `top`: this frame is a few words, far less than the
    // 256 bytes kept clear.
    unsafe { ptr::write_bytes(low as *mut u8, 0, top - low) };
    // The zeroes are for later copies of the stack, which the compiler
    // does not see: the pointer escapes, so the writes stay.
    std::hint::black_box(low as *mut u8);
}

/// Sets whether the thread about to be resumed zeroes its switch's stack
/// when it comes back (see [`SCRUB`]).
pub(crate) fn set_scrub(on: bool) {
    SCRUB.with(|s| s.set(on));
}

/// Fills [`STATE`]; see [`with_stack_state`]. Not inlined, so that its
/// caller's frame lies wholly above the part it copies, which starts in a
/// frame it calls.
#[inline(never)]
fn stack_state() {
    let registers = callee_saved_registers();
    let base = RUNNING_BASE.with(Cell::get);
    STATE.with(|state| {
        let mut out = state.borrow_mut();
        out.clear();
        if base == 0 || registers.is_none() {
            return;
        }
        let limit = RUNNING_LIMIT.with(Cell::get);
        for r in registers.into_iter().flatten() {
            out.extend_from_slice(&canonical(r, limit..base).to_ne_bytes());
        }
        copy_stack_above(base, &mut out);
    });
}

/// Appends to `out` the words from this function's own frame up to `base`:
/// all its callers' frames. Not inlined: its frame is below theirs.
#[inline(never)]
fn copy_stack_above(base: usize, out: &mut Vec<u8>) {
    let marker = 0u64;
    let low = (std::hint::black_box(&marker) as *const u64 as usize) & !7;
    if low >= base || base - low > CLEAN_TOP {
        out.clear();
        return;
    }
    let limit = RUNNING_LIMIT.with(Cell::get);
    // Sized once, then filled word by word in place.
    let start = out.len();
    out.resize(start + (base - low).div_ceil(8) * 8, 0);
    for (i, slot) in out[start..].chunks_exact_mut(8).enumerate() {
        let at = low + 8 * i;
        // SAFETY: `low..base` lies in the running coroutine's stack, which
        // is mapped from its limit (below every frame) up to `base`, its
        // top: `low` is in this frame, and the engine sets `base` for the
        // coroutine it resumes. Every word read is in a frame of this
        // thread's call chain, live while this function runs (none of them
        // returns before it does), or between them; only this thread writes
        // them, and it is here. The words are read as integers, as a
        // conservative collector scans a stack: a word nothing initialised
        // may read as anything, which only makes two copies differ.
        let word = unsafe { ptr::read_volatile(at as *const u64) };
        slot.copy_from_slice(&canonical(word, limit..base).to_ne_bytes());
    }
}

/// A word of a thread's state as [`with_stack_state`] compares it: a value
/// that may be an address outside the thread's own stack (at least 2^32
/// and below 2^48, where 64-bit Linux puts the heap and mappings) counts as
/// any other such value. The engine's bookkeeping runs on the thread's
/// stack between its steps and leaves the addresses of its heap buffers,
/// which move as they grow, in slots no live variable holds; the thread's
/// own heap pointers change only when what it owns does, which shows in
/// lengths and counts that stay in the comparison. Addresses in its own
/// stack, and every smaller value, are kept as they are.
fn canonical(word: u64, stack: std::ops::Range<usize>) -> u64 {
    let maybe_address = (1 << 32..1 << 48).contains(&word);
    if maybe_address && !stack.contains(&(word as usize)) { 1 << 48 } else { word }
}

/// The callee-saved registers of the calling code, as they are on entry to
/// [`stack_state`]'s body: each holds a caller's value or one of
/// `stack_state`'s own, whose caller value its prologue saved in its frame.
#[inline(always)]
fn callee_saved_registers() -> Option<[u64; 20]> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut r = [0u64; 20];
        // SAFETY: the instructions only copy registers into outputs; they
        // write no memory, use no stack and change no flags.
        unsafe {
            std::arch::asm!(
                "mov {0}, rbx",
                "mov {1}, rbp",
                "mov {2}, r12",
                "mov {3}, r13",
                "mov {4}, r14",
                "mov {5}, r15",
                out(reg) r[0], out(reg) r[1], out(reg) r[2],
                out(reg) r[3], out(reg) r[4], out(reg) r[5],
                options(nomem, nostack, preserves_flags),
            );
        }
        Some(r)
    }
    #[cfg(target_arch = "aarch64")]
    {
        let mut r = [0u64; 20];
        // SAFETY: the instructions only copy registers into outputs; they
        // write no memory, use no stack and change no flags.
        unsafe {
            std::arch::asm!(
                "mov {0}, x19", "mov {1}, x20", "mov {2}, x21", "mov {3}, x22",
                "mov {4}, x23", "mov {5}, x24", "mov {6}, x25", "mov {7}, x26",
                "mov {8}, x27", "mov {9}, x28", "mov {10}, x29",
                out(reg) r[0], out(reg) r[1], out(reg) r[2], out(reg) r[3],
                out(reg) r[4], out(reg) r[5], out(reg) r[6], out(reg) r[7],
                out(reg) r[8], out(reg) r[9], out(reg) r[10],
                options(nomem, nostack, preserves_flags),
            );
        }
        // SAFETY: as above.
        unsafe {
            std::arch::asm!(
                "fmov {0}, d8", "fmov {1}, d9", "fmov {2}, d10", "fmov {3}, d11",
                "fmov {4}, d12", "fmov {5}, d13", "fmov {6}, d14", "fmov {7}, d15",
                out(reg) r[11], out(reg) r[12], out(reg) r[13], out(reg) r[14],
                out(reg) r[15], out(reg) r[16], out(reg) r[17], out(reg) r[18],
                options(nomem, nostack, preserves_flags),
            );
        }
        Some(r)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        None
    }
}

/// A pool of coroutine stacks of one size, reused across executions. Each
/// stack has a slot, the number of the model thread that runs on it, so
/// that a thread's stack (and the address of every value on it) is the same
/// in every execution: fast replay hands a thread the values of an earlier
/// execution, addresses of its stack among them.
pub(crate) struct StackPool {
    size: usize,
    slots: Vec<Option<DefaultStack>>,
}

impl StackPool {
    pub(crate) fn new(size: usize) -> Self {
        StackPool { size, slots: Vec::new() }
    }

    /// The size of every stack of this pool.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    fn take(&mut self, slot: usize) -> io::Result<DefaultStack> {
        match self.slots.get_mut(slot).and_then(Option::take) {
            Some(stack) => Ok(stack),
            None => DefaultStack::new(self.size),
        }
    }

    fn give_back(&mut self, slot: usize, stack: DefaultStack) {
        if self.slots.len() <= slot {
            self.slots.resize_with(slot + 1, || None);
        }
        self.slots[slot] = Some(stack);
    }
}

/// One model thread's coroutine.
pub(crate) struct ModelThread {
    coro: Coro,
    /// Its stack's slot in the pool.
    slot: usize,
    /// The top of its stack, and its lowest usable address.
    base: usize,
    limit: usize,
}

/// What came back from resuming a model thread.
pub(crate) enum Resumed {
    /// It suspended, asking for this.
    Suspended(Suspend),
    /// It returned, or was returned by an escape.
    Finished(Exit),
}

impl ModelThread {
    /// A coroutine that will run `body` on the stack of `slot` in `pool`
    /// (model thread `slot`'s). With
    /// `clean_top`, the top [`CLEAN_TOP`] bytes of the stack are zeroed
    /// first, so that what [`with_stack_state`] copies does not depend on
    /// what earlier users of the stack left there.
    ///
    /// `body` must not unwind: it is expected to catch its own panics.
    pub(crate) fn new(
        pool: &mut StackPool,
        slot: usize,
        clean_top: bool,
        body: impl FnOnce() + 'static,
    ) -> io::Result<ModelThread> {
        let stack = pool.take(slot)?;
        let (base, limit) = {
            use corosensei::stack::Stack;
            (stack.base().get(), stack.limit().get())
        };
        if clean_top {
            let low = base.saturating_sub(CLEAN_TOP).max(limit);
            // SAFETY: `low..base` lies in this stack's mapping (`limit` is its
            // lowest usable address), which no coroutine uses: the stack
            // was just taken from the pool, or made.
            unsafe { ptr::write_bytes(low as *mut u8, 0, base - low) };
        }
        let coro = Coroutine::with_stack(stack, move |yielder: &ModelYielder, _start: Reply| {
            CURRENT.with(|c| c.set(yielder as *const ModelYielder));
            body();
            Exit::Returned
        });
        Ok(ModelThread { coro, slot, base, limit })
    }

    /// Runs the thread until it suspends or returns.
    pub(crate) fn resume(&mut self, reply: Reply) -> Resumed {
        RUNNING.with(|r| r.set(Some(self.coro.trap_handler())));
        RUNNING_BASE.with(|b| b.set(self.base));
        RUNNING_LIMIT.with(|l| l.set(self.limit));
        crate::heap::set_active(true);
        let result = self.coro.resume(reply);
        crate::heap::set_active(false);
        RUNNING_BASE.with(|b| b.set(0));
        CURRENT.with(|c| c.set(ptr::null()));
        RUNNING.with(|r| r.set(None));
        ABORT_ESCAPE.with(|a| a.set(None));
        match result {
            CoroutineResult::Yield(what) => Resumed::Suspended(what),
            CoroutineResult::Return(exit) => Resumed::Finished(exit),
        }
    }

    /// Gives a finished thread's stack back to the pool.
    pub(crate) fn recycle(self, pool: &mut StackPool) {
        debug_assert!(self.coro.done(), "only a finished model thread's stack is reused");
        pool.give_back(self.slot, self.coro.into_stack());
    }

    /// Gives up on a thread of a failed execution, which will never run
    /// again, and takes its stack back without unwinding it.
    ///
    /// Nothing on its stack is dropped: running the destructors of a dead
    /// execution could panic again or block. Those values are leaked.
    pub(crate) fn abandon(mut self, pool: &mut StackPool) {
        if !self.coro.done() {
            // SAFETY: `force_reset` requires that nothing on the stack still
            // needs its destructor to run. The values there are leaked instead
            // (as `mem::forget` leaks), which is sound for every value except
            // a pinned one whose memory is reused without a drop. This thread
            // belongs to an execution that failed and is over: the engine
            // abandons all its threads together, resumes none of them again,
            // and forgets the execution's shared state, so whatever a pinned
            // value on this stack was registered with is unreachable too. The
            // only way around that is state outside the model (a std static)
            // holding pointers into a model thread's stack, which checker's
            // rules for model state already exclude.
            unsafe { self.coro.force_reset() };
        }
        pool.give_back(self.slot, self.coro.into_stack());
    }
}

/// A scoped thread's body with its lifetime erased, so the engine can run it
/// as a model thread. For `checker::thread::scope` alone (hidden from the
/// docs): its soundness rests on what the scope does with the result.
///
/// If the engine drops the result without calling it (a spawn cut short by
/// a failed execution), `body` and everything it captured are leaked, never
/// dropped: their destructors could otherwise run after `'a` has ended.
///
/// # Safety
///
/// The caller must not let any borrow the body holds for `'a` end before
/// the thread running it has finished or its execution has been abandoned:
/// `checker::thread::scope` joins every thread it spawned before it returns
/// or unwinds.
#[doc(hidden)]
pub unsafe fn erase_scoped_body<'a>(
    body: Box<dyn FnOnce() -> Box<dyn Any> + 'a>,
) -> Box<dyn FnOnce() -> Box<dyn Any>> {
    let body = ManuallyDrop::new(body);
    // SAFETY: the two types differ only in the trait object's lifetime bound,
    // so they have the same layout (a data pointer and the same vtable). The
    // erased body only runs while everything it borrows for `'a` is alive:
    // `checker::thread::scope` hands it to `rt::spawn` and does not return
    // (nor unwind out) before it has joined every thread it spawned, so the
    // body has finished before the scope's borrows end. The one way a scope
    // stops short of its joins is an execution that failed: the engine then
    // abandons every thread of it together and resumes none of them again
    // (ARCHITECTURE.md, "Teardown"), so an unfinished body never runs after
    // its scope's stack is reset. A body that never started is leaked by the
    // ManuallyDrop here rather than dropped.
    let body: ManuallyDrop<Box<dyn FnOnce() -> Box<dyn Any>>> =
        unsafe { std::mem::transmute(body) };
    Box::new(move || ManuallyDrop::into_inner(body)())
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

/// Installs the SIGABRT handler behind [`arm_abort_escape`] and the SIGSEGV
/// handler that catches stack overflows, once per process.
pub(crate) fn install_escapes() {
    abort_escape::install();
}

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod abort_escape {
    use std::cell::UnsafeCell;
    use std::mem::MaybeUninit;
    use std::sync::Once;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::{ABORT_ESCAPE, Exit, RUNNING};

    pub(super) const SUPPORTED: bool = true;

    static INSTALLED: AtomicBool = AtomicBool::new(false);

    /// A signal disposition found at installation, restored or called for
    /// any signal that is not one of ours.
    struct Previous(UnsafeCell<MaybeUninit<libc::sigaction>>);
    // SAFETY: written once inside `Once::call_once` before INSTALLED is set
    // (Release), and only read by handlers, which run after installation.
    unsafe impl Sync for Previous {}
    static PREVIOUS_ABRT: Previous = Previous(UnsafeCell::new(MaybeUninit::uninit()));
    static PREVIOUS_SEGV: Previous = Previous(UnsafeCell::new(MaybeUninit::uninit()));

    pub(super) fn installed() -> bool {
        INSTALLED.load(Ordering::Acquire)
    }

    type Handler = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

    /// Installs `handler` for `signal`, saving the old disposition.
    fn install_one(
        signal: libc::c_int,
        handler: Handler,
        flags: libc::c_int,
        previous: &Previous,
    ) -> bool {
        // SAFETY: `sigaction` gets a zeroed, then filled, sigaction struct and
        // a pointer to `previous`'s storage, valid for writes and not read by
        // anyone before INSTALLED is set. The handler has the SA_SIGINFO
        // signature.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | flags;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, (*previous.0.get()).as_mut_ptr()) == 0
        }
    }

    pub(super) fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let abrt = install_one(libc::SIGABRT, on_abort, 0, &PREVIOUS_ABRT);
            // On the alternate stack std gives every thread it starts: the
            // faulting stack has no room left.
            let segv = install_one(libc::SIGSEGV, on_segv, libc::SA_ONSTACK, &PREVIOUS_SEGV);
            INSTALLED.store(abrt && segv, Ordering::Release);
        });
    }

    /// Makes the coroutine `trap` belongs to return `exit` to the engine
    /// when the signal handler returns.
    ///
    /// # Safety
    ///
    /// `context` is the handler's ucontext, the signal interrupted code
    /// running on `trap`'s coroutine, and that coroutine is not resumed again
    /// except through this return.
    unsafe fn escape(
        trap: &super::CoroutineTrapHandler<Exit>,
        context: &mut libc::ucontext_t,
        exit: Exit,
    ) {
        // SAFETY: by this function's contract the coroutine was interrupted on
        // its own stack; corosensei discards that stack, and the registers we
        // set make the coroutine return `exit` to the engine's `resume`.
        let regs = unsafe { trap.setup_trap_handler(move || exit) };
        set_registers(context, regs);
    }

    /// Hands a signal we do not handle to the disposition found at
    /// installation: the previous handler is called, or the default action
    /// restored so that the signal does what it would have done.
    ///
    /// # Safety
    ///
    /// Called from a handler for `signal` with its arguments, after
    /// installation.
    unsafe fn chain(
        signal: libc::c_int,
        previous: &Previous,
        info: *mut libc::siginfo_t,
        context: *mut libc::c_void,
    ) {
        // SAFETY: `previous` was initialized before INSTALLED was set, and
        // handlers only run once installed. A previous SA_SIGINFO handler is
        // called with the arguments we got; a plain one with the signal;
        // otherwise the default disposition is restored and, for a signal
        // that was not raised by a fault (SIGABRT), raised again: it stays
        // pending until this handler returns.
        unsafe {
            let previous = &*(*previous.0.get()).as_ptr();
            let handler = previous.sa_sigaction;
            if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
                libc::sigaction(signal, previous, std::ptr::null_mut());
                if signal == libc::SIGABRT {
                    libc::raise(signal);
                }
            } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
                let f: Handler = std::mem::transmute(handler);
                f(signal, info, context);
            } else {
                let f: extern "C" fn(libc::c_int) = std::mem::transmute(handler);
                f(signal);
            }
        }
    }

    extern "C" fn on_abort(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        context: *mut libc::c_void,
    ) {
        let armed = ABORT_ESCAPE.with(|a| a.take());
        // SAFETY: the kernel passes a valid ucontext_t to SA_SIGINFO handlers.
        let ucontext = unsafe { &mut *context.cast::<libc::ucontext_t>() };
        match armed {
            Some(trap) if trap.stack_ptr_in_bounds(stack_pointer(ucontext)) => {
                // SAFETY: the escape was armed by the panic hook of the running
                // coroutine, and `abort()` raised this signal synchronously on
                // that coroutine's stack (checked above).
                unsafe { escape(&trap, ucontext, Exit::Aborted) }
            }
            // SAFETY: a SIGABRT handler, installed.
            _ => unsafe { chain(signal, &PREVIOUS_ABRT, info, context) },
        }
    }

    extern "C" fn on_segv(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        context: *mut libc::c_void,
    ) {
        let running = RUNNING.with(std::cell::Cell::get);
        // SAFETY: the kernel passes a valid siginfo_t and ucontext_t to
        // SA_SIGINFO handlers.
        let (fault, ucontext) =
            unsafe { ((*info).si_addr() as usize, &mut *context.cast::<libc::ucontext_t>()) };
        match running {
            // Everything in a coroutine's region is mapped read-write except
            // its guard page: a fault inside the region is an overflow.
            Some(trap)
                if trap.stack_ptr_in_bounds(fault)
                    && trap.stack_ptr_in_bounds(stack_pointer(ucontext)) =>
            {
                // SAFETY: the fault happened on the running coroutine's stack
                // (both addresses checked above); it never runs again except
                // through this return.
                unsafe { escape(&trap, ucontext, Exit::StackOverflow) }
            }
            // SAFETY: a SIGSEGV handler, installed.
            _ => unsafe { chain(signal, &PREVIOUS_SEGV, info, context) },
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

/// A lazy static's value, borrowed for the rest of the execution that owns
/// it: `lazy_static!` hands out `&'static T`, as the `lazy_static` crate does.
///
/// Callers pass an `Rc` held by the running execution's storage
/// (`Storage::statics`).
pub(crate) fn static_value(value: &std::rc::Rc<dyn std::any::Any>) -> &'static dyn std::any::Any {
    let ptr: *const dyn std::any::Any = std::rc::Rc::as_ptr(value);
    // SAFETY: `ptr` points into an `Rc` allocation that the execution's
    // storage owns and never hands out, so only the storage frees it, and
    // nothing writes through it (the value is only shared). The storage
    // drops a static only in `rt::drop_statics`, after every model thread of
    // the execution has finished, the last initialised first; a failed
    // execution forgets them instead. Finished and abandoned model threads
    // never run again, so their borrows die unused. What remains is the
    // contract `lazy_static!` states on `checker::lazy_static::Lazy::get`:
    // a borrow must not be kept where it outlives the execution (a std
    // static), nor in a static initialised before the one it borrows (its
    // destructor runs after the borrowed value is gone).
    unsafe { &*ptr }
}
