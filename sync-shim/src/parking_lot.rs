//! checker's side of `sync_shim::parking_lot`: parking_lot's API over
//! checker's `Mutex`, `RwLock` and `Condvar`.
//!
//! Without `--cfg checker` this path is the real `parking_lot` crate. The
//! adapter keeps parking_lot's shape: `lock` returns the guard (no
//! `Result`), `try_*` return an `Option`, `Condvar::wait` takes
//! `&mut MutexGuard`, and there is no poisoning (a guard dropped by a
//! panicking thread poisons checker's lock, which the adapter ignores).
//! Every lock operation is checker's, so each is a step of the model.
//!
//! Deviations, all under `--cfg checker` only:
//! - `Condvar::notify_one`/`notify_all` report the waiters counted by the
//!   adapter: a thread counts from just before its wait step until a
//!   notification claims it or its wait times out. This is exact when the
//!   notifier holds the mutex, as it usually does; a notification without
//!   the mutex may count a thread that is about to wait.
//! - With checker's `Builder::spurious_wakeups`, `Condvar::wait` may wake
//!   without a notification (parking_lot's never does), and the count
//!   above may then be too high.
//! - Timeouts are not modelled as durations: `wait_for`/`wait_until` may
//!   time out before any notification, and both outcomes are explored.
//! - Only the items listed here; no `ReentrantMutex`, `FairMutex`,
//!   upgradable reads, mapped guards, raw locks, `is_locked`, `try_lock_for`
//!   or the guards' `unlocked`/`bump`. `Condvar::wait*` need a sized `T`.
//! - The waiter count of a `Condvar` is plain state, not a model object:
//!   a `static` condvar whose execution ended with a thread still waiting
//!   (a failure) keeps that count into the next execution.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use checker::sync as model;
use checker::sync::{PoisonError, TryLockError};

/// A mutual exclusion lock with parking_lot's API.
pub struct Mutex<T: ?Sized> {
    inner: model::Mutex<T>,
}

/// The guard of a locked [`Mutex`]; unlocks when dropped.
pub struct MutexGuard<'a, T: ?Sized> {
    /// `Some` except while a [`Condvar`] wait has handed it to checker.
    inner: Option<model::MutexGuard<'a, T>>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    #[track_caller]
    pub const fn new(value: T) -> Mutex<T> {
        Mutex { inner: model::Mutex::new(value) }
    }

    /// The value, taking the mutex by value.
    pub fn into_inner(self) -> T {
        self.inner.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks, blocking while another thread holds the lock (a step).
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        MutexGuard { inner: Some(guard) }
    }

    /// Locks if the lock is free (a step).
    #[track_caller]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        match self.inner.try_lock() {
            Ok(guard) => Some(MutexGuard { inner: Some(guard) }),
            Err(TryLockError::Poisoned(e)) => Some(MutexGuard { inner: Some(e.into_inner()) }),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// The value, through a unique borrow (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn guard(&self) -> &model::MutexGuard<'a, T> {
        self.inner.as_ref().expect("a MutexGuard is held outside a condvar wait")
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard()
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("a MutexGuard is held outside a condvar wait")
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A reader-writer lock with parking_lot's API.
pub struct RwLock<T: ?Sized> {
    inner: model::RwLock<T>,
}

/// A shared guard of an [`RwLock`]; releases the read lock when dropped.
pub type RwLockReadGuard<'a, T> = model::RwLockReadGuard<'a, T>;

/// The exclusive guard of an [`RwLock`]; releases the write lock when dropped.
pub type RwLockWriteGuard<'a, T> = model::RwLockWriteGuard<'a, T>;

impl<T> RwLock<T> {
    /// A new unlocked lock holding `value`.
    #[track_caller]
    pub const fn new(value: T) -> RwLock<T> {
        RwLock { inner: model::RwLock::new(value) }
    }

    /// The value, taking the lock by value.
    pub fn into_inner(self) -> T {
        self.inner.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks for reading, blocking while a writer holds it (a step).
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks for writing, blocking while anyone holds it (a step).
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks for reading if no writer holds it (a step).
    #[track_caller]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        match self.inner.try_read() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// Locks for writing if nobody holds it (a step).
    #[track_caller]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        match self.inner.try_write() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// The value, through a unique borrow (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: ?Sized> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock").finish_non_exhaustive()
    }
}

/// A condition variable with parking_lot's API: waits take the guard by
/// `&mut`, and notifications say how many threads they woke.
pub struct Condvar {
    inner: model::Condvar,
    /// Threads in a wait that no notification has claimed (see the module).
    /// Not a model object: the model threads share one OS thread, and the
    /// count is updated right before and after the waits' own steps.
    waiting: AtomicUsize,
}

/// Whether a timed wait returned because its timeout passed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// The wait woke because its timeout passed, not by a notification.
    pub fn timed_out(self) -> bool {
        self.0
    }
}

impl Condvar {
    /// A new condition variable.
    #[track_caller]
    pub const fn new() -> Condvar {
        Condvar { inner: model::Condvar::new(), waiting: AtomicUsize::new(0) }
    }

    /// Unlocks the guard's mutex and waits for a notification, then locks
    /// it again (two steps).
    #[track_caller]
    pub fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        self.wait_inner(guard, false);
    }

    /// Waits while `condition` holds for the data.
    #[track_caller]
    pub fn wait_while<T, F>(&self, guard: &mut MutexGuard<'_, T>, mut condition: F)
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut **guard) {
            self.wait_inner(guard, false);
        }
    }

    /// Like [`wait`](Self::wait), but may also time out; both wake-ups are
    /// explored, whatever the duration.
    #[track_caller]
    pub fn wait_for<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        let _ = timeout;
        WaitTimeoutResult(self.wait_inner(guard, true))
    }

    /// Like [`wait`](Self::wait), but may also time out; both wake-ups are
    /// explored, whatever the deadline.
    #[track_caller]
    pub fn wait_until<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Instant,
    ) -> WaitTimeoutResult {
        let _ = timeout;
        WaitTimeoutResult(self.wait_inner(guard, true))
    }

    /// Waits while `condition` holds, or until it times out. The result says
    /// whether it timed out with the condition still true.
    #[track_caller]
    pub fn wait_while_for<T, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        mut condition: F,
        timeout: Duration,
    ) -> WaitTimeoutResult
    where
        F: FnMut(&mut T) -> bool,
    {
        let _ = timeout;
        while condition(&mut **guard) {
            if self.wait_inner(guard, true) {
                return WaitTimeoutResult(condition(&mut **guard));
            }
        }
        WaitTimeoutResult(false)
    }

    /// Waits while `condition` holds, or until the deadline passes. The
    /// result says whether it timed out with the condition still true.
    #[track_caller]
    pub fn wait_while_until<T, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        condition: F,
        timeout: Instant,
    ) -> WaitTimeoutResult
    where
        F: FnMut(&mut T) -> bool,
    {
        let _ = timeout;
        self.wait_while_for(guard, condition, Duration::MAX)
    }

    /// Wakes one waiting thread, if any (a step); says whether it woke one.
    #[track_caller]
    pub fn notify_one(&self) -> bool {
        self.inner.notify_one();
        self.waiting
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Wakes every waiting thread (a step); says how many it woke.
    #[track_caller]
    pub fn notify_all(&self) -> usize {
        self.inner.notify_all();
        self.waiting.swap(0, Ordering::Relaxed)
    }

    /// One wait through checker's condvar; returns whether it timed out.
    #[track_caller]
    fn wait_inner<T>(&self, guard: &mut MutexGuard<'_, T>, timed: bool) -> bool {
        let held = guard.inner.take().expect("a MutexGuard is held outside a condvar wait");
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let (held, timed_out) = if timed {
            let (held, result) = self
                .inner
                .wait_timeout(held, Duration::MAX)
                .unwrap_or_else(PoisonError::into_inner);
            (held, result.timed_out())
        } else {
            (self.inner.wait(held).unwrap_or_else(PoisonError::into_inner), false)
        };
        if timed_out {
            // No notification claimed this thread: it is no longer waiting.
            let _ = self
                .waiting
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        }
        guard.inner = Some(held);
        timed_out
    }
}

impl Default for Condvar {
    #[track_caller]
    fn default() -> Condvar {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
