//! Model threads, shaped like `std::thread`.
//!
//! A spawned thread is a coroutine on the model's one OS thread, so
//! [`spawn`] needs no `Send` bound (as in loom). It starts at once and runs
//! up to its first operation on shared state; from there on the model
//! checker decides when it runs.

use std::any::Any;
use std::fmt;
use std::io;
use std::panic::Location;
use std::sync::{Arc, Mutex, PoisonError};

use scheduler::ids;
use scheduler::op::Op;
use scheduler::rt;

pub use crate::scope::{Scope, ScopedJoinHandle, scope};
pub use crate::thread_local::{AccessError, LocalKey};

/// A model thread's identifier, unique within one execution.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId(u32);

impl fmt::Debug for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ThreadId({})", self.0)
    }
}

/// A handle to a model thread.
#[derive(Clone)]
pub struct Thread {
    pub(crate) id: ids::ThreadId,
    pub(crate) name: Option<Arc<str>>,
}

impl Thread {
    /// The thread's identifier.
    pub fn id(&self) -> ThreadId {
        ThreadId(self.id.0)
    }

    /// The thread's name: the one given to [`Builder::name`], or `None`.
    /// The model body's thread has none, as in loom (std's main thread is
    /// named `main`); reports call it `main`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Makes the thread's unpark token available (a step).
    #[track_caller]
    pub fn unpark(&self) {
        rt::perform(Op::Unpark { thread: self.id }, Location::caller());
    }
}

impl fmt::Debug for Thread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Thread").field("id", &self.id()).field("name", &self.name()).finish()
    }
}

/// The running model thread.
pub fn current() -> Thread {
    let (id, name) = rt::current();
    Thread { id, name }
}

/// Lets the other threads run before this one goes on. Not a step itself:
/// the thread's next step waits until another thread has taken one, if any
/// can (so a spin loop that yields terminates under exploration).
#[track_caller]
#[inline(always)]
pub fn yield_now() {
    // In the caller's frame, before any frame of the yield: see
    // `clear_stack_for_yield`.
    rt::clear_stack_for_yield();
    rt::yield_now(Location::caller());
}

/// Blocks until this thread's unpark token is available, and takes it.
/// With `Builder::spurious_wakeups` it may also return without the token,
/// as std allows.
#[track_caller]
pub fn park() {
    let op = if rt::spurious_wakeups() { Op::TryPark { timed: false } } else { Op::Park };
    rt::perform(op, Location::caller());
}

/// Like [`park`], but may also return when the timeout passes: taking the
/// token if it is available, returning without it if not. Whether an unpark
/// comes first is explored; the duration itself is not modelled. A step.
#[track_caller]
pub fn park_timeout(dur: std::time::Duration) {
    let _ = dur;
    rt::perform(Op::TryPark { timed: true }, Location::caller());
}

/// Is this model thread unwinding from a panic?
pub fn panicking() -> bool {
    rt::thread_panicking()
}

/// Spawns a model thread running `f`.
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    spawn_named(None, f, Location::caller())
}

fn spawn_named<F, T>(
    name: Option<Arc<str>>,
    f: F,
    location: &'static Location<'static>,
) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    let value = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&value);
    let body: Box<dyn FnOnce() -> Box<dyn Any>> = Box::new(move || {
        let value = f();
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
        // Without a handle left, the value is dropped here, by the thread.
        drop(slot);
        Box::new(())
    });
    let id = rt::spawn(name.clone(), body, location);
    JoinHandle { thread: Thread { id, name }, joined: false, value }
}

/// Owns the right to join a model thread.
pub struct JoinHandle<T> {
    thread: Thread,
    joined: bool,
    /// Where the thread leaves its value. A std `Mutex` (not a step): only
    /// this handle and the finished thread touch it, one after the other.
    /// Typed here rather than boxed as `dyn Any`, so that `join` needs no
    /// `T: 'static` (std's and loom's do not).
    value: Arc<Mutex<Option<T>>>,
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish and returns its value, or the payload
    /// of its panic.
    #[track_caller]
    pub fn join(mut self) -> std::thread::Result<T> {
        self.joined = true;
        rt::join(self.thread.id, Location::caller())?;
        let value = self.value.lock().unwrap_or_else(PoisonError::into_inner).take();
        Ok(value.expect("internal error in checker: a finished thread left no value"))
    }

    /// The thread this handle joins.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // FIXME(DPOR issue): detaching is not a step, so whether the
        // detaching thread or the finishing thread drops the value is fixed
        // by the surrounding steps rather than explored; it matters only
        // when the value's destructor runs operations.
        if !self.joined {
            // A finished thread's value is dropped here, by the detaching
            // thread, as std does (with the last handle of its slot).
            drop(rt::detach(self.thread.id));
            let value = self.value.lock().unwrap_or_else(PoisonError::into_inner).take();
            drop(value);
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("thread", &self.thread).finish()
    }
}

/// Configures a thread before spawning it, as `std::thread::Builder`.
#[derive(Debug, Default)]
pub struct Builder {
    pub(crate) name: Option<String>,
}

impl Builder {
    /// A builder for an unnamed thread.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the thread; reports use the name.
    pub fn name(mut self, name: String) -> Builder {
        self.name = Some(name);
        self
    }

    /// Accepted for compatibility. Every model thread gets the model's stack
    /// size (`model::Builder::stack_size`, `CHECKER_STACK_SIZE`).
    pub fn stack_size(self, _size: usize) -> Builder {
        self
    }

    /// Spawns the thread.
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        Ok(spawn_named(self.name.map(Arc::from), f, Location::caller()))
    }
}
