//! `Mutex`, shaped like `std::sync::Mutex`, poisoning included.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

use scheduler::ids::ObjectId;
use scheduler::op::{Op, Reply};
use scheduler::rt;
use scheduler::{LazyObject, ObjectInit, ObjectState};

/// A mutual exclusion lock. `lock` blocks (in the model) while another
/// thread holds it; a guard dropped by a panicking thread poisons it.
///
/// The data lives in a std `Mutex` that is never contended: the model lock
/// decides who may touch it, and all model threads run on one OS thread.
pub struct Mutex<T: ?Sized> {
    object: LazyObject,
    created: &'static Location<'static>,
    data: std::sync::Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `t`.
    #[track_caller]
    pub const fn new(t: T) -> Mutex<T> {
        Mutex {
            object: LazyObject::new(),
            created: Location::caller(),
            data: std::sync::Mutex::new(t),
        }
    }

    /// The data, taking the mutex by value (not a step).
    pub fn into_inner(self) -> LockResult<T> {
        let poisoned = self.poisoned_now();
        let data = self.data.into_inner().unwrap_or_else(PoisonError::into_inner);
        if poisoned { Err(PoisonError::new(data)) } else { Ok(data) }
    }
}

impl<T: ?Sized> Mutex<T> {
    #[inline]
    pub(crate) fn id(&self) -> ObjectId {
        rt::object(&self.object, || ObjectInit {
            type_name: "Mutex",
            created: self.created,
            state: ObjectState::Mutex { holder: None, poisoned: false },
        })
    }

    fn poisoned_now(&self) -> bool {
        rt::in_model() && rt::mutex_poisoned(self.id())
    }

    /// Takes the std lock on the data once the model lock is held.
    pub(crate) fn guard(
        &self,
        id: ObjectId,
        location: &'static Location<'static>,
    ) -> MutexGuard<'_, T> {
        let data = match self.data.try_lock() {
            Ok(g) => g,
            // std's own poison flag is not the model's: the model decides.
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => panic!(
                "this Mutex's data is held outside the running execution: a static Mutex \
                 shared by models running at the same time, or left locked by an earlier \
                 failed model run. Give each model its own Mutex."
            ),
        };
        MutexGuard { mutex: self, id, data: Some(data), location }
    }

    /// Acquires the lock, blocking while another thread holds it (a step).
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let location = Location::caller();
        let id = self.id();
        match rt::perform(Op::Lock { object: id }, location) {
            Reply::Locked { poisoned } => {
                let guard = self.guard(id, location);
                if poisoned { Err(PoisonError::new(guard)) } else { Ok(guard) }
            }
            other => unreachable!("internal error in checker: lock replied {other:?}"),
        }
    }

    /// Acquires the lock if it is free (a step).
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let location = Location::caller();
        let id = self.id();
        match rt::perform(Op::TryLock { object: id }, location) {
            Reply::TryLocked { acquired: false, .. } => Err(TryLockError::WouldBlock),
            Reply::TryLocked { acquired: true, poisoned } => {
                let guard = self.guard(id, location);
                if poisoned {
                    Err(TryLockError::Poisoned(PoisonError::new(guard)))
                } else {
                    Ok(guard)
                }
            }
            other => unreachable!("internal error in checker: try_lock replied {other:?}"),
        }
    }

    /// Is the mutex poisoned? A step: it races with a holder that panics.
    #[track_caller]
    pub fn is_poisoned(&self) -> bool {
        if !rt::in_model() {
            return false;
        }
        let op = Op::PoisonFlag { object: self.id(), clear: false };
        rt::perform(op, Location::caller()) == Reply::Value(1)
    }

    /// Clears the poison flag (a step).
    #[track_caller]
    pub fn clear_poison(&self) {
        if rt::in_model() {
            rt::perform(Op::PoisonFlag { object: self.id(), clear: true }, Location::caller());
        }
    }

    /// A mutable reference to the data (not a step: `&mut self` excludes
    /// every other access).
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        let poisoned = self.poisoned_now();
        let data = self.data.get_mut().unwrap_or_else(PoisonError::into_inner);
        if poisoned { Err(PoisonError::new(data)) } else { Ok(data) }
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    fn from(t: T) -> Self {
        Mutex::new(t)
    }
}

impl<T: ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
    }
}

/// Holds a [`Mutex`] locked; dropping it unlocks (a step).
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    id: ObjectId,
    /// Invariant: `Some` until the guard is dropped or handed to a condvar.
    data: Option<std::sync::MutexGuard<'a, T>>,
    /// Where the lock was taken; the unlock is reported there too (a
    /// destructor has no caller location).
    location: &'static Location<'static>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Gives up the data lock for a condvar wait, keeping the model lock for
    /// the wait operation to release.
    pub(crate) fn into_wait(mut self) -> (&'a Mutex<T>, ObjectId) {
        self.data = None;
        (self.mutex, self.id)
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.data.as_deref().expect("a live guard holds the data")
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.data.as_deref_mut().expect("a live guard holds the data")
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(data) = self.data.take() {
            drop(data);
            let poison = rt::thread_panicking();
            rt::perform(Op::Unlock { object: self.id, poison }, self.location);
        }
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
