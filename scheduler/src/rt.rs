//! The runtime interface the `checker` crate builds its types on.
//!
//! Everything a user-facing type needs goes through here: publishing an
//! operation ([`perform`]), binding its object ([`object`]), spawning and
//! joining threads, asking who runs. Visible operations suspend the calling
//! model thread until the engine has run them; the rest reads or updates the
//! execution directly and returns at once.

use std::any::Any;
use std::cell::RefCell;
use std::panic::PanicHookInfo;
use std::sync::Arc;

use crate::coroutine::{self, Suspend};
use crate::execution::{Execution, SpawnRequest, ThreadResult};
use crate::ids::{ObjectId, ThreadId};
use crate::objects::{LazyObject, ObjectInit};
use crate::op::{Op, Pending, Reply, SourceLocation};
use crate::report::{FailureKind, PanicRecord};
use crate::trace::{Event, EventKind};

thread_local! {
    /// The execution running on this OS thread, if a model runs here.
    static EXECUTION: RefCell<Option<Execution>> = const { RefCell::new(None) };
}

/// Runs `f` on the execution of this OS thread.
///
/// Panics with a message for the user when there is none: a checker type
/// was used outside `checker::model`.
#[track_caller]
pub(crate) fn with<R>(f: impl FnOnce(&mut Execution) -> R) -> R {
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
        if ex.teardown {
            let thread = ex.current;
            Some(ex.execute_in_teardown(thread, pending))
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
    with(|ex| ex.peek(object))
}

/// Overwrites an atomic object's value without a step. For values changed
/// through `&mut` access.
pub fn poke(object: ObjectId, value: u64) {
    with(|ex| ex.poke(object, value))
}

/// Is this mutex or rwlock poisoned? Not a step: for `into_inner` and
/// `get_mut`, which own the lock (`is_poisoned` is the step
/// `Op::PoisonFlag`).
pub fn mutex_poisoned(object: ObjectId) -> bool {
    with(|ex| {
        matches!(
            ex.objects.state(object),
            crate::ObjectState::Mutex { poisoned: true, .. }
                | crate::ObjectState::RwLock { poisoned: true, .. }
        )
    })
}

/// Are condvar waits and parks allowed to wake spuriously in this run?
pub fn spurious_wakeups() -> bool {
    with(|ex| ex.spurious_wakeups)
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
    with(|ex| ex.spawn_request = Some(SpawnRequest { name, body }));
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

/// The calling thread lets others run first: a step after which it waits
/// until another thread has taken one, if any can.
pub fn yield_now(location: SourceLocation) {
    perform(Op::Yield, location);
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
    // A result nobody will join is dropped here, on this thread's stack, as
    // std drops it in the thread; a panic is kept for the end-of-execution check.
    let keep = with(|ex| {
        let record = &mut ex.threads[thread.index()];
        record.unwinding = false;
        result.is_err() || !record.detached
    });
    if let Err(payload) = &result {
        with(|ex| {
            if ex.threads[thread.index()].panics.is_empty() {
                // Raised without the hook (`resume_unwind`): keep what we can.
                let message = payload_text(payload.as_ref());
                let location = String::from("<unknown: raised by resume_unwind>");
                ex.threads[thread.index()].panics.push(PanicRecord { message, location });
            }
            if thread == ThreadId::MAIN {
                let first = &ex.threads[0].panics[0];
                let text = format!("main panicked at {}:\n{}", first.location, first.message);
                let text = ex.with_earlier_panics(text);
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
/// A panic in a model thread is recorded with its message and location. A
/// panic that std is about to turn into an abort (one raised while unwinding
/// escapes a destructor, or a panic in a function that cannot unwind) is
/// reported as a failure instead: the thread is abandoned right here and
/// never resumed, so the process lives on.
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
        } else if thread == ThreadId::MAIN {
            let text = format!("{label} panicked at {location}:\n{message}");
            let text = ex.with_earlier_panics(text);
            ex.fail(FailureKind::Panic, text);
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
