//! Scoped threads, shaped like `std::thread::scope`.
//!
//! A scoped thread may borrow from the caller of [`scope`], because `scope`
//! joins every thread spawned in it before it returns. The engine runs model
//! threads as `'static` coroutines, so each body's lifetime is erased by
//! `scheduler::rt::erase_scoped_body`, whose soundness rests on that join.
//! A thread's value travels back through a slot shared with its handle, not
//! through the engine (which only carries `'static` values).

use std::fmt;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use scheduler::ids;
use scheduler::rt;

use crate::thread::{Builder, Thread};

/// A scope to spawn threads in; see [`scope`].
pub struct Scope<'scope, 'env: 'scope> {
    /// Every thread spawned in the scope, in spawn order. A std mutex: it is
    /// the scope's bookkeeping, never contended (one OS thread), not state
    /// the model checker explores.
    threads: Mutex<Vec<Arc<Spawned>>>,
    /// `'scope` and `'env` are invariant, as in std: a scope cannot be
    /// passed off as one with a shorter or longer lifetime.
    scope: PhantomData<fn(&'scope ()) -> &'scope ()>,
    env: PhantomData<fn(&'env ()) -> &'env ()>,
}

/// One thread of a scope.
struct Spawned {
    id: ids::ThreadId,
    /// Set by whoever joins it: its handle, or the scope at its end.
    joined: AtomicBool,
}

/// Owns the right to join a scoped thread. Dropping it does not detach the
/// thread: the scope joins it at its end.
pub struct ScopedJoinHandle<'scope, T> {
    thread: Thread,
    spawned: Arc<Spawned>,
    value: Arc<Mutex<Option<T>>>,
    scope: PhantomData<&'scope ()>,
}

/// Runs `f` with a [`Scope`] in which it may spawn threads that borrow
/// from the caller, and joins every such thread before returning.
///
/// As std: if `f` panics, the panic goes on once all threads are joined;
/// otherwise, if a thread that was not joined through its handle panicked,
/// `scope` panics.
#[track_caller]
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let location = Location::caller();
    let scope = Scope { threads: Mutex::new(Vec::new()), scope: PhantomData, env: PhantomData };
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(&scope)));
    // Threads may spawn more threads while others are joined: walk the list
    // by index until no new ones appear.
    let mut panicked = false;
    let mut next = 0;
    loop {
        let spawned = {
            let threads = scope.threads.lock().unwrap_or_else(PoisonError::into_inner);
            match threads.get(next) {
                Some(s) => Arc::clone(s),
                None => break,
            }
        };
        next += 1;
        // A handle that joined it (or is joining it) took its result; if
        // that join is still under way, its joiner is a thread of this
        // scope too, joined here in its turn.
        if !spawned.joined.swap(true, Ordering::Relaxed) {
            panicked |= rt::join(spawned.id, location).is_err();
        }
    }
    match result {
        Err(payload) => std::panic::resume_unwind(payload),
        Ok(_) if panicked => panic!("a scoped thread panicked"),
        Ok(value) => value,
    }
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Spawns a thread that may borrow anything that outlives the scope
    /// (a step, as [`crate::thread::spawn`]).
    #[track_caller]
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + 'scope,
        T: 'scope,
    {
        self.spawn_named(None, f, Location::caller())
    }

    fn spawn_named<F, T>(
        &'scope self,
        name: Option<std::sync::Arc<str>>,
        f: F,
        location: &'static Location<'static>,
    ) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + 'scope,
        T: 'scope,
    {
        let value = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&value);
        let body: Box<dyn FnOnce() -> Box<dyn std::any::Any> + 'scope> = Box::new(move || {
            let v = f();
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(v);
            Box::new(())
        });
        // SAFETY: `scope` joins every thread spawned through this `Scope`
        // (this one included) before it returns or unwinds, so the body's
        // borrows for 'scope outlive the thread; see `erase_scoped_body`.
        let body = unsafe { rt::erase_scoped_body(body) };
        let id = rt::spawn(name.clone(), body, location);
        let spawned = Arc::new(Spawned { id, joined: AtomicBool::new(false) });
        self.threads.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::clone(&spawned));
        ScopedJoinHandle { thread: Thread { id, name }, spawned, value, scope: PhantomData }
    }
}

impl Builder {
    /// Spawns a scoped thread with this builder's name, as
    /// `std::thread::Builder::spawn_scoped`.
    #[track_caller]
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> std::io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + 'scope,
        T: 'scope,
    {
        let name = self.name.map(std::sync::Arc::from);
        Ok(scope.spawn_named(name, f, Location::caller()))
    }
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the thread to finish and returns its value, or the payload
    /// of its panic (a step).
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        self.spawned.joined.store(true, Ordering::Relaxed);
        rt::join(self.spawned.id, Location::caller())?;
        let value = self.value.lock().unwrap_or_else(PoisonError::into_inner).take();
        Ok(value.expect("internal error in checker: a finished scoped thread left no value"))
    }

    /// The thread this handle joins.
    pub fn thread(&self) -> &Thread {
        &self.thread
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.threads.lock().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("Scope").field("threads", &n).finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedJoinHandle").field("thread", &self.thread).finish()
    }
}
