//! The runtime interface the `checker` crate builds its types on.
//!
//! Everything a user-facing type needs goes through here: publishing an
//! operation ([`perform`]), binding its object ([`object`]), spawning and
//! joining threads, asking who runs. Visible operations suspend the calling
//! model thread until the engine has run them; the rest reads or updates the
//! execution directly and returns at once.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::PanicHookInfo;
use std::sync::Arc;

#[doc(hidden)]
pub use crate::coroutine::erase_scoped_body;
use crate::coroutine::{self, Suspend};
use crate::execution::{Execution, SpawnRequest, ThreadResult};
use crate::ids::{ObjectId, ThreadId};
use crate::objects::{LazyObject, ObjectInit};
use crate::op::{MemoryOrdering, Op, Pending, Reply, SourceLocation};
use crate::report::{FailureKind, PanicRecord};
use crate::storage::AllocationId;
use crate::trace::{Event, EventKind};

thread_local! {
    /// The execution running on this OS thread, if a model runs here.
    static EXECUTION: RefCell<Option<Execution>> = const { RefCell::new(None) };
    /// The generation of that execution (0: none), so that [`object`] finds
    /// an object bound in it without borrowing the execution.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    /// The reads (call site and atomic) at which the running model thread
    /// copies its state (`execution::SpinWatch::watched`).
    static SPIN_READS: RefCell<SpinReads> = const { RefCell::new([None; crate::execution::SPIN_SITES]) };
    /// The lines of those reads' call sites, as bits ([`line_bit`]): what
    /// the code inlined into the model's frame checks.
    static SPIN_LINES: Cell<u64> = const { Cell::new(0) };
}

/// What [`set_spin_reads`] takes: reads by call site and atomic.
pub(crate) type SpinReads = [Option<(SourceLocation, ObjectId)>; crate::execution::SPIN_SITES];

/// The model thread about to run copies its state at these reads.
pub(crate) fn set_spin_reads(reads: SpinReads) {
    SPIN_LINES.set(reads.iter().flatten().fold(0, |bits, (site, _)| bits | line_bit(site)));
    SPIN_READS.set(reads);
}

/// A call site's bit in [`SPIN_LINES`].
#[inline(always)]
fn line_bit(location: SourceLocation) -> u64 {
    1 << (location.line() % 64)
}

/// Does the running model thread copy its state at a read of `object` at
/// `location`?
fn at_spin_read(location: SourceLocation, object: ObjectId) -> bool {
    SPIN_LINES.get() & line_bit(location) != 0
        && SPIN_READS.with_borrow(|reads| {
            reads
                .iter()
                .flatten()
                .any(|&(site, o)| o == object && crate::execution::same_site(site, location))
        })
}

/// Before a read at `location` (an atomic load or compare-exchange): if
/// the running thread may copy its state there ([`load`],
/// [`compare_exchange`]), zeroes the stack below the caller's frame as
/// [`clear_stack_for_yield`] does. Inlined into the caller, and so into the
/// model code's frame where the caller is too; it keeps nothing there (a
/// register test, and a call when it may copy).
#[inline(always)]
pub fn clear_stack_at_spin_site(location: SourceLocation) {
    if SPIN_LINES.get() & line_bit(location) != 0 {
        clear_stack_for_yield();
    }
}

/// The running execution on this OS thread is now `generation`.
pub(crate) fn set_generation(generation: u64) {
    GENERATION.set(generation);
}

/// Runs `f` on the execution of this OS thread.
///
/// Panics with a message for the user when there is none: a checker type
/// was used outside `checker::model`.
#[track_caller]
pub(crate) fn with<R>(f: impl FnOnce(&mut Execution) -> R) -> R {
    // The engine's buffers are not the model's: keep them out of its heap.
    let _engine = crate::heap::Pause::new();
    EXECUTION.with(|cell| {
        let mut guard = cell.borrow_mut();
        match guard.as_mut() {
            Some(execution) => f(execution),
            None => outside_model(),
        }
    })
}

#[cold]
#[track_caller]
fn outside_model() -> ! {
    panic!(
        "a checker type was used outside checker::model: create and use checker's \
         threads, atomics and locks inside the closure passed to checker::model \
         (or build without --cfg checker to use std's)"
    )
}

pub(crate) fn install(execution: Execution) {
    EXECUTION.with(|cell| *cell.borrow_mut() = Some(execution));
}

pub(crate) fn installed() -> bool {
    EXECUTION.with(|cell| cell.try_borrow().map_or(true, |e| e.is_some()))
}

pub(crate) fn uninstall() -> Option<Execution> {
    GENERATION.set(0);
    EXECUTION.with(|cell| cell.borrow_mut().take())
}

/// Is the caller a model thread of a running execution?
pub fn in_model() -> bool {
    coroutine::in_model_thread()
}

/// Publishes `op` and waits until the engine has run it.
///
/// During teardown (the execution already failed) the operation runs at
/// once without a scheduling point; one that would block abandons the thread.
#[inline]
pub fn perform(op: Op, location: SourceLocation) -> Reply {
    if !coroutine::in_model_thread() {
        outside_model();
    }
    let pending = Pending { op, location };
    let teardown = with(|ex| {
        if ex.teardown || ex.finalizing {
            let thread = ex.current;
            let reply = ex.execute_in_teardown(thread, pending);
            if reply.is_none() && !ex.teardown {
                let msg = format!(
                    "a lazy static's destructor would block forever: it ran `{}` at {} once \
                     every thread had finished",
                    op.kind_name(),
                    crate::report::location(location)
                );
                ex.fail(FailureKind::Deadlock, msg);
            }
            Some(reply)
        } else {
            None
        }
    });
    match teardown {
        None => coroutine::suspend(Suspend::Op(pending)),
        Some(Some(reply)) => reply,
        Some(None) => abandon(),
    }
}

/// An atomic load: [`perform`] for `Op::Load`, returning the value read.
///
/// Its result is a plain integer, so that no [`Reply`] reaches the frames
/// of the model's code: the engine builds replies whose padding bytes are
/// whatever its memory held, and a spin loop's copies of its thread's
/// state (`Execution::spin_yield`) would differ by them.
#[inline(never)]
pub fn load(object: ObjectId, ordering: MemoryOrdering, location: SourceLocation) -> u64 {
    spin_read(location, object);
    perform(Op::Load { object, ordering }, location).value()
}

/// An atomic compare-exchange: [`perform`] for `Op::CompareExchange`,
/// returning whether it succeeded (1 or 0) and the value it found. As
/// [`load`], for the same reason.
#[inline(never)]
pub fn compare_exchange(
    object: ObjectId,
    [success, failure]: [MemoryOrdering; 2],
    expected: u64,
    new: u64,
    weak: bool,
    location: SourceLocation,
) -> [u64; 2] {
    spin_read(location, object);
    let op = Op::CompareExchange { object, success, failure, expected, new, weak };
    match perform(op, location) {
        Reply::Exchange { ok, previous } => [u64::from(ok), previous],
        other => unreachable!("internal error in checker: compare_exchange got {other:?}"),
    }
}

/// A read of `object` at `location` is about to be published: if it may
/// head a spin loop, the thread's state goes with it
/// (`Execution::spin_yield`).
#[inline(always)]
fn spin_read(location: SourceLocation, object: ObjectId) {
    if at_spin_read(location, object) {
        copy_state(|record| &mut record.spin.state_now);
    }
}

/// Stops the calling model thread for good: the execution has failed.
pub(crate) fn abandon_thread() -> ! {
    abandon()
}

fn abandon() -> ! {
    coroutine::suspend(Suspend::Abandon);
    unreachable!("internal error in checker: an abandoned model thread was resumed")
}

/// The object `lazy` stands for in the running execution, created by `init`
/// on first use. Not a step.
#[inline]
pub fn object(lazy: &LazyObject, init: impl FnOnce() -> ObjectInit) -> ObjectId {
    if !coroutine::in_model_thread() {
        outside_model();
    }
    // Bound already in this execution: the usual case, at every operation.
    let generation = GENERATION.get();
    if generation != 0
        && let Some(id) = lazy.read(generation)
    {
        return id;
    }
    match with(|ex| ex.objects.resolve(ex.generation, lazy, init)) {
        Ok(id) => id,
        Err(_) => {
            let max = crate::objects::MAX_OBJECTS;
            panic!("this execution uses more than {max} shared objects, the most checker supports")
        }
    }
}

/// The current value of an atomic object, read without a step. For
/// operations that own the value (`get_mut`, `into_inner`).
pub fn peek(object: ObjectId) -> u64 {
    with(|ex| ex.answer(|ex| ex.peek(object)))
}

/// Overwrites an atomic object's value without a step. For values changed
/// through `&mut` access.
pub fn poke(object: ObjectId, value: u64) {
    with(|ex| {
        if !ex.fast_forwarding() {
            ex.poke(object, value)
        }
    })
}

/// Is this mutex or rwlock poisoned? Not a step: for `into_inner` and
/// `get_mut`, which own the lock (`is_poisoned` is the step
/// `Op::PoisonFlag`).
pub fn mutex_poisoned(object: ObjectId) -> bool {
    with(|ex| {
        ex.answer(|ex| {
            u64::from(matches!(
                ex.objects.state(object),
                crate::ObjectState::Mutex { poisoned: true, .. }
                    | crate::ObjectState::RwLock { poisoned: true, .. }
            ))
        }) == 1
    })
}

/// Are condvar waits and parks allowed to wake spuriously in this run?
pub fn spurious_wakeups() -> bool {
    with(|ex| ex.spurious_wakeups)
}

/// Turns the exploration of this execution's later decisions on (`true`) or
/// off. Off, a strategy takes one choice at each decision and branches on
/// none. Not a step. No effect once [`skip_branch`] was called.
pub fn set_exploring(on: bool) {
    with(|ex| {
        if !ex.skipping {
            ex.exploring = on;
        }
    })
}

/// Explores none of this execution's later decisions, whatever
/// [`set_exploring`] says. Not a step.
pub fn skip_branch() {
    with(|ex| {
        ex.exploring = false;
        ex.skipping = true;
    })
}

/// One more handle of an `Arc` object. Not a step: an increment of a count
/// that is at least one changes no other operation's outcome (a count read
/// of another thread is the exception, see `Arc::strong_count`).
pub fn arc_clone(object: ObjectId) {
    with(|ex| {
        if let crate::ObjectState::Arc { count, .. } = ex.objects.state(object) {
            *count += 1;
        }
    })
}

/// One more (`true`) or one fewer `Weak` handle of an `Arc` object. Not a
/// step, as a clone is not: only weak-count reads observe it.
pub fn arc_weak(object: ObjectId, more: bool) {
    with(|ex| {
        if let crate::ObjectState::Arc { weak, .. } = ex.objects.state(object) {
            *weak = if more { *weak + 1 } else { weak.saturating_sub(1) };
        }
    })
}

/// Spawns a model thread that runs `body`; it starts at once and runs up to
/// its first operation. A step.
pub fn spawn(
    name: Option<Arc<str>>,
    body: Box<dyn FnOnce() -> Box<dyn Any>>,
    location: SourceLocation,
) -> ThreadId {
    with(|ex| ex.request_spawn(ex.current, SpawnRequest { name, body }));
    match perform(Op::Spawn, location) {
        Reply::Spawned(id) => id,
        other => unreachable!("internal error in checker: spawn replied {other:?}"),
    }
}

/// Waits for `thread` to finish and takes its result. A step.
pub fn join(thread: ThreadId, location: SourceLocation) -> ThreadResult {
    perform(Op::Join { thread }, location);
    with(|ex| ex.threads[thread.index()].result.take())
        .unwrap_or_else(|| Err(Box::new("checker: the joined thread left no result")))
}

/// The `JoinHandle` of `thread` was dropped without joining. Not a step.
///
/// If the thread has finished, its result is returned so that the caller
/// drops it on its own stack (a destructor may run operations).
pub fn detach(thread: ThreadId) -> Option<ThreadResult> {
    if !coroutine::in_model_thread() {
        return None;
    }
    with(|ex| {
        let record = &mut ex.threads[thread.index()];
        record.detached = true;
        if record.finished && record.panics.is_empty() { record.result.take() } else { None }
    })
}

/// The running model thread and its name.
pub fn current() -> (ThreadId, Option<Arc<str>>) {
    if !coroutine::in_model_thread() {
        outside_model();
    }
    with(|ex| (ex.current, ex.threads[ex.current.index()].name.clone()))
}

/// Zeroes the stack just below the caller's frame, where the frames of a
/// yield are about to go. Callers inline the call into the model code's
/// own frame (`checker::thread::yield_now`, `checker::hint::spin_loop`):
/// what earlier calls left in that memory (the engine's counts and lengths
/// among it) would otherwise show in the padding of those frames, which
/// [`yield_now`]'s copy of the thread's state for spin stalls includes, and
/// make two copies of the same state differ by what ran in between.
#[inline(never)]
pub fn clear_stack_for_yield() {
    let mut dead = [0u8; YIELD_FRAMES];
    // The zeroes must reach memory: the array escapes.
    std::hint::black_box(&mut dead);
}

/// Room for the frames of [`yield_now`] and its copy of the stack below
/// the model code's frame: well over what they take (about 1 KB).
const YIELD_FRAMES: usize = 4096;

/// The calling thread lets others run first: a step after which it waits
/// until another thread has taken one, if any can.
pub fn yield_now(location: SourceLocation) {
    if coroutine::in_model_thread() && with(|ex| ex.spin_assume && !ex.teardown) {
        // The thread's state as it yields, for spin detection
        // (`Execution::stutter`).
        copy_state(|record| &mut record.yield_state_now);
    }
    perform(Op::Yield, location);
}

/// Copies the running model thread's state into the buffer `into` picks
/// from its record.
#[inline(never)]
fn copy_state(into: fn(&mut crate::execution::ThreadRecord) -> &mut Vec<u8>) {
    coroutine::with_stack_state(|state| {
        with(|ex| {
            let buffer = into(&mut ex.threads[ex.current.index()]);
            buffer.clear();
            buffer.extend_from_slice(state);
        })
    });
}

/// Is the calling model thread unwinding from a panic? (For poisoning.)
pub fn thread_panicking() -> bool {
    std::thread::panicking()
        && coroutine::in_model_thread()
        && with(|ex| ex.threads[ex.current.index()].unwinding)
}

/// The entry of every model thread's coroutine: runs the body, catches its
/// panic, and hands the result to the engine.
pub(crate) fn thread_main(thread: ThreadId, body: Box<dyn FnOnce() -> Box<dyn Any>>) {
    let result: ThreadResult = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
    // Its thread locals die with it, on its own stack, before its result
    // is handed over (std runs them as the thread exits).
    let result = match (result, destroy_locals(thread)) {
        (Ok(_), Err(payload)) => Err(payload),
        (result, _) => result,
    };
    // The model body returned: the program exits, and the lazy statics'
    // lifetime ends. A step, so that another thread's use of a lazy static
    // can come after it; whenever the body spawned a thread, not only when
    // one is still running: whether one is depends on the order of steps
    // that DPOR takes to commute with the exit, and then would not reorder.
    if thread == ThreadId::MAIN && result.is_ok() && with(|ex| ex.threads.len() > 1) {
        // No source location of the user's marks the body's end; traces
        // print none for it (`report::trace_line`).
        perform(Op::Exit, std::panic::Location::caller());
    }
    // A result nobody will join is dropped here, on this thread's stack, as
    // std drops it in the thread; a panic is kept for the end-of-execution check.
    let keep = with(|ex| {
        let record = &mut ex.threads[thread.index()];
        record.unwinding = false;
        result.is_err() || !record.detached
    });
    // A panic fails the execution only once it has ended its thread: one
    // the thread caught (`catch_unwind`) is no failure.
    if let Err(payload) = &result {
        with(|ex| {
            let died_of = escaped_panic(&mut ex.threads[thread.index()].panics, payload.as_ref());
            ex.threads[thread.index()].died_of = Some(died_of);
            if thread == ThreadId::MAIN {
                let p = &ex.threads[0].panics[died_of];
                let text = format!("main panicked at {}:\n{}", p.location, p.message);
                let text = ex.with_earlier_panics(text, Some(ThreadId::MAIN));
                ex.fail(FailureKind::Panic, text);
            }
        });
    }
    if keep {
        with(|ex| ex.threads[thread.index()].result = Some(result));
    } else {
        drop(result);
    }
    with(|ex| {
        let record = &mut ex.threads[thread.index()];
        record.finished = true;
        record.pending = None;
    });
}

/// Which of `panics` (the thread's, in order) carries `payload` out of the
/// thread: the last one with its message, as a caught payload may be raised
/// again (`resume_unwind`, as `thread::scope` does). One raised without the
/// hook and never recorded is added.
fn escaped_panic(panics: &mut Vec<PanicRecord>, payload: &(dyn Any + Send)) -> usize {
    let message = payload_text(payload);
    if let Some(k) = panics.iter().rposition(|p| p.message == message) {
        return k;
    }
    let location = String::from("<unknown: raised by resume_unwind>");
    panics.push(PanicRecord { message, location });
    panics.len() - 1
}

/// Does std abort the process after this panic's hook returns?
///
/// `PanicHookInfo::can_unwind` would say, but it is unstable; the panics that
/// cannot unwind come from core's non-unwinding panic paths, whose messages
/// are fixed.
fn std_will_abort(message: &str) -> bool {
    message == "panic in a destructor during cleanup"
        || message == "panic in a function that cannot unwind"
        || message.starts_with("unsafe precondition(s) violated")
}

pub(crate) fn payload_text(payload: &dyn Any) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_string()
    }
}

/// The part of the process-wide panic hook that belongs to checker. Returns
/// whether the panic was a model thread's (and so must not be printed).
///
/// A panic in a model thread is recorded with its message and location; it
/// fails the execution only if it ends its thread (`thread_main`): the model
/// may catch it. A panic that std is about to turn into an abort (one raised
/// while unwinding escapes a destructor, or a panic in a function that
/// cannot unwind) is reported as a failure at once: the thread is abandoned
/// right here and never resumed, so the process lives on.
pub(crate) fn on_panic(info: &PanicHookInfo<'_>) -> bool {
    if !coroutine::in_model_thread() {
        return false;
    }
    let message = info.payload_as_str().map_or_else(|| "Box<dyn Any>".to_string(), str::to_string);
    let location = info.location().map_or_else(
        || "<unknown>".to_string(),
        |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
    );
    let will_abort = std_will_abort(&message);
    let recorded = EXECUTION.with(|cell| {
        let Ok(mut guard) = cell.try_borrow_mut() else { return false };
        let Some(ex) = guard.as_mut() else { return false };
        let thread = ex.current;
        let record = &mut ex.threads[thread.index()];
        let index = record.panics.len() as u32;
        record.unwinding = true;
        record.panics.push(PanicRecord { message: message.clone(), location: location.clone() });
        if !will_abort {
            // The report prints the panic's own location from its record; an
            // event needs a static one, which a hook's location is not.
            let here = std::panic::Location::caller();
            ex.trace.push(Event { thread, kind: EventKind::Panicked(index), location: here });
        }
        let label = ex.thread_label(thread);
        if will_abort {
            // Replaces any earlier failure of this execution: it explains it.
            let panics = &ex.threads[thread.index()].panics;
            let first = &panics[0];
            // The panic that escaped the destructor is the one before std's
            // own "panic in a destructor during cleanup".
            let inner = if panics.len() >= 3 {
                &panics[panics.len() - 2]
            } else {
                &panics[panics.len() - 1]
            };
            let text = format!(
                "{label} panicked in a destructor while unwinding from an earlier panic: std \
                 aborts the process on this; checker stopped the thread instead (std's panic \
                 count stays raised on this OS thread: std::thread::panicking() is true here \
                 from now on).\n\
                 the panic in the destructor, at {}:\n{}\nthe earlier panic, at {}:\n{}",
                inner.location, inner.message, first.location, first.message
            );
            ex.failure = None;
            ex.fail(FailureKind::PanicWhileUnwinding, text);
        }
        true
    });
    if recorded && will_abort {
        // std calls abort() once this hook returns (it must return: it runs
        // under std's hook lock); the armed escape turns that abort into the
        // end of this model thread.
        coroutine::arm_abort_escape();
    }
    recorded
}

/// Drops `thread`'s thread-local values, last created first. A panicking
/// destructor is the thread's panic.
fn destroy_locals(thread: ThreadId) -> Result<(), Box<dyn Any + Send>> {
    std::panic::catch_unwind(|| {
        loop {
            let value = with(|ex| {
                let locals = ex.storage.locals(thread);
                locals.destroyed = true;
                locals.values.pop()
            });
            match value {
                Some((_, value)) => drop(value),
                None => return,
            }
        }
    })
}

// ---- happens-before and data races ----

pub use crate::hb::{AccessKind, AccessToken};

/// The calling model thread begins an access to a cell (an `UnsafeCell`, a
/// `Cell`) bound by `lazy`. Not a step. A data race with an earlier access
/// fails the execution and stops the thread here. `None`: nothing to end
/// (outside a model, or once the execution failed).
#[track_caller]
pub fn begin_access(
    lazy: &LazyObject,
    type_name: &'static str,
    created: SourceLocation,
    kind: AccessKind,
    location: SourceLocation,
) -> Option<AccessToken> {
    if !coroutine::in_model_thread() {
        return None;
    }
    let raced = with(|ex| {
        if ex.teardown {
            return Ok(None);
        }
        let cell = ex.hb.cell(ex.generation, lazy, type_name, created);
        if ex.fast_forwarding() {
            // The access is in the snapshot to come, and raced nothing.
            let id = ex.hb.next_access_id();
            return Ok(Some(AccessToken { generation: ex.generation, cell, id }));
        }
        let thread = ex.current;
        if kind == AccessKind::Write {
            ex.note_cell_write(thread);
        }
        let after = ex.trace.len();
        match ex.hb.begin_access(cell, thread, kind, location, after) {
            Ok(id) => Ok(Some(AccessToken { generation: ex.generation, cell, id })),
            Err(race) => {
                let msg = race.describe(|t| ex.thread_label(t));
                ex.fail(FailureKind::DataRace, msg);
                Err(())
            }
        }
    });
    match raced {
        Ok(token) => token,
        // The access would be undefined behaviour: the thread goes no further.
        Err(()) => abandon(),
    }
}

/// An access begun by [`begin_access`] ends. Not a step. Ignored once its
/// execution is over.
pub fn end_access(token: AccessToken) {
    if !coroutine::in_model_thread() {
        return;
    }
    EXECUTION.with(|cell| {
        if let Ok(mut guard) = cell.try_borrow_mut()
            && let Some(ex) = guard.as_mut()
            && ex.generation == token.generation
            && !ex.fast_forwarding()
        {
            ex.hb.end_access(token.cell, token.id);
        }
    });
}

/// A non-atomic read of an atomic's value (`unsync_load`). Not a step. A
/// race with a write it is not ordered after fails the execution and stops
/// the thread here.
pub fn unsync_load(object: ObjectId, location: SourceLocation) -> u64 {
    let raced = with(|ex| {
        if ex.teardown {
            return Ok(ex.peek(object));
        }
        if ex.fast_forwarding() {
            // The race check passed when this read first ran; the value is
            // the recorded one.
            return Ok(ex.answer(|ex| ex.peek(object)));
        }
        let label = ex.objects.label(object);
        let created = ex.objects.records[object.index()].created;
        let (thread, after) = (ex.current, ex.trace.len());
        match ex.hb.unsync_read(object, label, created, thread, location, after) {
            Ok(()) => Ok(ex.answer(|ex| ex.peek(object))),
            Err(race) => {
                let msg = race.describe(|t| ex.thread_label(t));
                ex.fail(FailureKind::DataRace, msg);
                Err(())
            }
        }
    });
    match raced {
        Ok(value) => value,
        Err(()) => abandon(),
    }
}

/// An atomic fence by the calling model thread. An SC fence is a step (see
/// `Op::Fence`); others are not: they change only what the thread's own
/// later stores carry and earlier loads acquire.
#[track_caller]
pub fn fence(ordering: crate::op::MemoryOrdering) {
    if !coroutine::in_model_thread() {
        return;
    }
    if ordering == crate::op::MemoryOrdering::SeqCst {
        perform(Op::Fence, std::panic::Location::caller());
        return;
    }
    with(|ex| {
        if !ex.fast_forwarding() {
            let thread = ex.current;
            ex.hb.fence(thread, ordering);
        }
    });
}

// ---- choices and random values ----

/// `nondet::choose(n)`: a value in `0..n` that systematic strategies
/// enumerate. A step of the calling model thread; outside a model, a value
/// of the thread-local source ([`random_outside`]). `n` must be at least 1.
pub fn choose(n: u64, location: SourceLocation) -> u64 {
    assert!(n >= 1, "checker::nondet::choose(0): there must be at least one alternative");
    decide(n - 1, false, location)
}

/// A `checker::rand` value in `0..=max`: one decision, recorded in the
/// path, sampled by systematic strategies and drawn by the random ones.
/// Outside a model, a value of the thread-local source.
pub fn random(max: u64, location: SourceLocation) -> u64 {
    decide(max, true, location)
}

fn decide(max: u64, random: bool, location: SourceLocation) -> u64 {
    if !coroutine::in_model_thread() {
        return random_outside(max);
    }
    perform(Op::Choose { max, random }, location).value()
}

thread_local! {
    /// The source of `choose` and `rand` called where no model runs.
    static OUTSIDE: RefCell<Option<crate::rng::Rng>> = const { RefCell::new(None) };
}

/// A value in `0..=max` from this OS thread's own source, for `choose` and
/// `rand` called where no model runs: seeded from `CHECKER_SEED` when it
/// holds a seed, else from the fixed default, so programs reproduce.
pub fn random_outside(max: u64) -> u64 {
    OUTSIDE.with(|cell| {
        let mut cell = cell.borrow_mut();
        let rng = cell.get_or_insert_with(|| {
            let seed = std::env::var("CHECKER_SEED")
                .ok()
                .and_then(|v| crate::config::parse_seed(&v))
                .unwrap_or(crate::rng::DEFAULT_SEED);
            crate::rng::Rng::new(seed)
        });
        rng.up_to(max)
    })
}

// ---- allocations and leaks ----

/// An `Arc` allocation made in the model: the leak check expects its
/// handles gone by the end of the execution. Not a step.
pub fn arc_created(object: ObjectId) {
    with(|ex| ex.storage.arcs.push(object));
}

/// Starts following an allocation (a `Track`) made at `location`; `None`
/// outside a model. Not a step.
pub fn track(location: SourceLocation, what: &'static str) -> Option<AllocationId> {
    if !coroutine::in_model_thread() {
        return None;
    }
    Some(with(|ex| {
        let thread = ex.current;
        ex.storage.track(ex.generation, location, thread, what)
    }))
}

/// The allocation `id` was freed. Not a step; ignored once its execution
/// is over.
pub fn untrack(id: AllocationId) {
    if !coroutine::in_model_thread() {
        return;
    }
    EXECUTION.with(|cell| {
        if let Ok(mut guard) = cell.try_borrow_mut()
            && let Some(ex) = guard.as_mut()
            && ex.generation == id.generation
        {
            ex.storage.untrack(id);
        }
    });
}

/// Allocates `size` zeroed bytes aligned to `align` (a power of two), owned
/// by the execution until [`dealloc`]. Not a step.
#[track_caller]
pub fn alloc(size: usize, align: usize, location: SourceLocation) -> *mut u8 {
    if !coroutine::in_model_thread() {
        outside_model();
    }
    with(|ex| {
        let thread = ex.current;
        ex.storage.alloc(size, align, location, thread)
    })
}

/// Frees memory from [`alloc`]. Panics, leaving the memory alone, if it was
/// not allocated by `alloc` in this execution, was freed already, or is
/// freed with another layout. Not a step.
#[track_caller]
pub fn dealloc(ptr: *mut u8, size: usize, align: usize, location: SourceLocation) {
    if !coroutine::in_model_thread() {
        outside_model();
    }
    let result = with(|ex| ex.storage.dealloc(ptr, size, align));
    let at = crate::report::location(location);
    match result {
        Ok(()) => {}
        Err(crate::storage::DeallocError::Unknown) => panic!(
            "checker::alloc::dealloc at {at}: the pointer was not allocated by \
             checker::alloc::alloc in this execution"
        ),
        Err(crate::storage::DeallocError::Twice(site)) => panic!(
            "checker::alloc::dealloc at {at}: the memory allocated at {} was freed already",
            crate::report::location(site)
        ),
        Err(crate::storage::DeallocError::Layout { size: s, align: a }) => panic!(
            "checker::alloc::dealloc at {at}: the memory was allocated with size {s} and \
             align {a}, but freed with size {size} and align {align}"
        ),
    }
}

// ---- lazy statics and thread locals ----

#[cold]
#[track_caller]
fn static_outside_model() -> ! {
    panic!(
        "a checker lazy_static was used outside checker::model: its value lives for one \
         execution (each execution starts with it uninitialised), so it exists only inside \
         the closure passed to checker::model"
    )
}

/// The value of the lazy static at `key` (the address of its `Lazy`), made
/// by `init` on first use in this execution, and kept until every thread
/// has finished. The initialisation happens before every use (as with
/// std's `Once`). A use by a thread other than the model body is a step
/// (`Op::StaticUse`), and panics once the body has returned: the program is
/// exiting then (loom's rule).
#[track_caller]
pub fn lazy_static<T: 'static>(key: usize, init: fn() -> T) -> &'static T {
    if !coroutine::in_model_thread() || !installed() {
        static_outside_model();
    }
    if with(|ex| ex.current != ThreadId::MAIN)
        && perform(Op::StaticUse, std::panic::Location::caller()).value() == 1
    {
        panic!(
            "a lazy static was used after the model body returned: the program is exiting \
             then, and does not wait for this thread, which it may stop at any point; join \
             the thread before the model body returns"
        );
    }
    let find = |ex: &mut Execution| {
        let index = ex.storage.statics.iter().position(|(k, _)| *k == key)?;
        let thread = ex.current;
        if !ex.fast_forwarding() {
            ex.hb.acquire(thread, crate::hb::SyncTarget::LazyStatic(index as u32));
        }
        Some(coroutine::static_value(&ex.storage.statics[index].1))
    };
    let value = match with(find) {
        Some(value) => value,
        None => {
            if with(|ex| ex.storage.statics_closed) {
                panic!(
                    "a lazy static was first used by the destructor of another lazy static, \
                     once every thread had finished: it cannot be initialised any more"
                );
            }
            // The initialiser may run operations, and so let other threads run.
            let mine: std::rc::Rc<dyn Any> = std::rc::Rc::new(init());
            let (value, spare) = with(|ex| match find(ex) {
                // Another thread initialised it meanwhile: keep the first.
                Some(value) => (value, Some(mine)),
                None => {
                    let thread = ex.current;
                    let index = ex.storage.statics.len() as u32;
                    if !ex.fast_forwarding() {
                        ex.hb.release(thread, crate::hb::SyncTarget::LazyStatic(index));
                    }
                    ex.storage.statics.push((key, mine));
                    let value = coroutine::static_value(&ex.storage.statics[index as usize].1);
                    (value, None)
                }
            });
            drop(spare);
            value
        }
    };
    value.downcast_ref::<T>().expect("internal error in checker: a lazy static of another type")
}

/// Drops the lazy statics, the last initialised first, on the calling model
/// thread once every thread has finished. A destructor's panic that escapes
/// fails the execution, and is returned.
pub(crate) fn drop_statics() -> Result<(), Box<dyn Any + Send>> {
    let dropped = std::panic::catch_unwind(|| {
        loop {
            let value = with(|ex| {
                ex.storage.statics_closed = true;
                ex.storage.statics.pop()
            });
            match value {
                Some((_, value)) => drop(value),
                None => return,
            }
        }
    });
    if let Err(payload) = &dropped {
        with(|ex| {
            // The destructors run as the model body's thread.
            let panics = &mut ex.threads[ThreadId::MAIN.index()].panics;
            let k = escaped_panic(panics, payload.as_ref());
            let p = &panics[k];
            let text = format!(
                "a lazy static's destructor panicked at {} (statics are dropped once every \
                 thread has finished):\n{}",
                p.location, p.message
            );
            ex.fail(FailureKind::Panic, text);
        });
    }
    dropped
}

/// The calling model thread's value of the thread local at `key` (the
/// address of its `LocalKey`), made by `init` on first use. `None` once the
/// thread's locals are being destroyed. Not a step.
#[track_caller]
pub fn thread_local<T: 'static>(key: usize, init: fn() -> T) -> Option<std::rc::Rc<T>> {
    if !coroutine::in_model_thread() {
        outside_model();
    }
    let find = |ex: &mut Execution| {
        let thread = ex.current;
        let locals = ex.storage.locals(thread);
        if locals.destroyed {
            return Err(());
        }
        Ok(locals.values.iter().find(|(k, _)| *k == key).map(|(_, v)| std::rc::Rc::clone(v)))
    };
    let value = match with(find) {
        Err(()) => return None,
        Ok(Some(value)) => value,
        Ok(None) => {
            let mine: std::rc::Rc<dyn Any> = std::rc::Rc::new(init());
            let (value, spare) = with(|ex| match find(ex) {
                Err(()) => (None, Some(mine)),
                // The initialiser used the key itself: keep the first value.
                Ok(Some(value)) => (Some(value), Some(mine)),
                Ok(None) => {
                    let thread = ex.current;
                    ex.storage.locals(thread).values.push((key, std::rc::Rc::clone(&mine)));
                    (Some(mine), None)
                }
            });
            drop(spare);
            value?
        }
    };
    Some(value.downcast::<T>().unwrap_or_else(|_| {
        unreachable!("internal error in checker: a thread local of another type")
    }))
}
