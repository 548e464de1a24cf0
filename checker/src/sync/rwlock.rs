//! `RwLock`, shaped like `std::sync::RwLock`, poisoning included.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

use scheduler::ids::ObjectId;
use scheduler::op::{Op, Reply};
use scheduler::rt;
use scheduler::{LazyObject, ObjectInit, ObjectState};

/// A reader-writer lock: any number of readers at once, or one writer.
///
/// `read` blocks (in the model) while a thread holds the write lock; `write`
/// while any thread holds the lock. Readers do not order each other, so the
/// model checker does not explore their interleavings against one another.
/// A write guard dropped by a panicking thread poisons the lock; a read
/// guard never does. A thread that takes the write lock while it holds the
/// lock, or a read lock while it holds the write lock, is reported: that
/// deadlocks in std.
///
/// The data lives in a std `RwLock` that is never contended: the model lock
/// decides who may touch it, and all model threads run on one OS thread.
pub struct RwLock<T: ?Sized> {
    object: LazyObject,
    created: &'static Location<'static>,
    data: std::sync::RwLock<T>,
}

const HELD_OUTSIDE: &str = "this RwLock's data is held outside the running execution: a static \
     RwLock shared by models running at the same time, or left locked by an earlier failed \
     model run. Give each model its own RwLock.";

impl<T> RwLock<T> {
    /// A new unlocked rwlock holding `t`.
    #[track_caller]
    pub const fn new(t: T) -> RwLock<T> {
        RwLock {
            object: LazyObject::new(),
            created: Location::caller(),
            data: std::sync::RwLock::new(t),
        }
    }

    /// The data, taking the lock by value (not a step).
    pub fn into_inner(self) -> LockResult<T> {
        let poisoned = self.poisoned_now();
        let data = self.data.into_inner().unwrap_or_else(PoisonError::into_inner);
        if poisoned { Err(PoisonError::new(data)) } else { Ok(data) }
    }
}

impl<T: ?Sized> RwLock<T> {
    #[inline]
    fn id(&self) -> ObjectId {
        rt::object(&self.object, || ObjectInit {
            type_name: "RwLock",
            created: self.created,
            state: ObjectState::RwLock { writer: None, readers: Vec::new(), poisoned: false },
        })
    }

    fn poisoned_now(&self) -> bool {
        rt::in_model() && rt::mutex_poisoned(self.id())
    }

    fn read_guard(
        &self,
        id: ObjectId,
        location: &'static Location<'static>,
    ) -> RwLockReadGuard<'_, T> {
        let data = match self.data.try_read() {
            Ok(g) => g,
            // std's own poison flag is not the model's: the model decides.
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => panic!("{HELD_OUTSIDE}"),
        };
        RwLockReadGuard { id, data: Some(data), location }
    }

    fn write_guard(
        &self,
        id: ObjectId,
        location: &'static Location<'static>,
    ) -> RwLockWriteGuard<'_, T> {
        let data = match self.data.try_write() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => panic!("{HELD_OUTSIDE}"),
        };
        RwLockWriteGuard { id, data: Some(data), location }
    }

    /// Takes a read lock, blocking while a thread holds the write lock (a
    /// step).
    #[track_caller]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let location = Location::caller();
        let id = self.id();
        match rt::perform(Op::ReadLock { object: id }, location) {
            Reply::Locked { poisoned } => {
                let guard = self.read_guard(id, location);
                if poisoned { Err(PoisonError::new(guard)) } else { Ok(guard) }
            }
            other => unreachable!("internal error in checker: read replied {other:?}"),
        }
    }

    /// Takes the write lock, blocking while any thread holds the lock (a
    /// step).
    #[track_caller]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let location = Location::caller();
        let id = self.id();
        match rt::perform(Op::WriteLock { object: id }, location) {
            Reply::Locked { poisoned } => {
                let guard = self.write_guard(id, location);
                if poisoned { Err(PoisonError::new(guard)) } else { Ok(guard) }
            }
            other => unreachable!("internal error in checker: write replied {other:?}"),
        }
    }

    /// Takes a read lock if no thread holds the write lock (a step).
    #[track_caller]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        let location = Location::caller();
        let id = self.id();
        match rt::perform(Op::TryRead { object: id }, location) {
            Reply::TryLocked { acquired: false, .. } => Err(TryLockError::WouldBlock),
            Reply::TryLocked { acquired: true, poisoned } => {
                let guard = self.read_guard(id, location);
                if poisoned {
                    Err(TryLockError::Poisoned(PoisonError::new(guard)))
                } else {
                    Ok(guard)
                }
            }
            other => unreachable!("internal error in checker: try_read replied {other:?}"),
        }
    }

    /// Takes the write lock if no thread holds the lock (a step).
    #[track_caller]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        let location = Location::caller();
        let id = self.id();
        match rt::perform(Op::TryWrite { object: id }, location) {
            Reply::TryLocked { acquired: false, .. } => Err(TryLockError::WouldBlock),
            Reply::TryLocked { acquired: true, poisoned } => {
                let guard = self.write_guard(id, location);
                if poisoned {
                    Err(TryLockError::Poisoned(PoisonError::new(guard)))
                } else {
                    Ok(guard)
                }
            }
            other => unreachable!("internal error in checker: try_write replied {other:?}"),
        }
    }

    /// Is the lock poisoned? A step: it races with a writer that panics.
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

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    fn from(t: T) -> Self {
        RwLock::new(t)
    }
}

impl<T: ?Sized> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock").finish_non_exhaustive()
    }
}

/// Holds a read lock of an [`RwLock`]; dropping it unlocks (a step).
pub struct RwLockReadGuard<'a, T: ?Sized> {
    id: ObjectId,
    /// Invariant: `Some` until the guard is dropped.
    data: Option<std::sync::RwLockReadGuard<'a, T>>,
    /// Where the lock was taken; the unlock is reported there too.
    location: &'static Location<'static>,
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.data.as_deref().expect("a live guard holds the data")
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(data) = self.data.take() {
            drop(data);
            rt::perform(Op::ReadUnlock { object: self.id }, self.location);
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Holds the write lock of an [`RwLock`]; dropping it unlocks (a step), and
/// poisons the lock if its thread is panicking.
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    id: ObjectId,
    /// Invariant: `Some` until the guard is dropped.
    data: Option<std::sync::RwLockWriteGuard<'a, T>>,
    /// Where the lock was taken; the unlock is reported there too.
    location: &'static Location<'static>,
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.data.as_deref().expect("a live guard holds the data")
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.data.as_deref_mut().expect("a live guard holds the data")
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(data) = self.data.take() {
            drop(data);
            let poison = rt::thread_panicking();
            rt::perform(Op::WriteUnlock { object: self.id, poison }, self.location);
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
