//! `Condvar`, shaped like `std::sync::Condvar`.

use std::fmt;
use std::panic::Location;
use std::sync::{LockResult, PoisonError};

use scheduler::op::{Op, Reply};
use scheduler::rt;
use scheduler::{LazyObject, ObjectInit, ObjectState};

use super::mutex::MutexGuard;

/// A condition variable. A waiting thread sleeps until a notification picks
/// it; which waiter `notify_one` wakes is a choice the model checker explores.
pub struct Condvar {
    object: LazyObject,
    created: &'static Location<'static>,
}

impl Condvar {
    /// A new condition variable.
    #[track_caller]
    pub const fn new() -> Condvar {
        Condvar { object: LazyObject::new(), created: Location::caller() }
    }

    fn id(&self) -> scheduler::ids::ObjectId {
        rt::object(&self.object, || ObjectInit {
            type_name: "Condvar",
            created: self.created,
            state: ObjectState::Condvar { waiters: Vec::new() },
        })
    }

    /// Unlocks the guard's mutex and sleeps until notified, then locks it
    /// again (two steps: the wait, and the wake-up).
    #[track_caller]
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        let location = Location::caller();
        let condvar = self.id();
        let (mutex, mutex_id) = guard.into_wait();
        match rt::perform(Op::Wait { condvar, mutex: mutex_id }, location) {
            Reply::Locked { poisoned } => {
                let guard = mutex.guard(mutex_id, location);
                if poisoned { Err(PoisonError::new(guard)) } else { Ok(guard) }
            }
            other => unreachable!("internal error in checker: wait replied {other:?}"),
        }
    }

    /// Waits while `condition` holds for the data.
    #[track_caller]
    pub fn wait_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard)?;
        }
        Ok(guard)
    }

    /// Wakes one waiting thread, if any (a step).
    #[track_caller]
    pub fn notify_one(&self) {
        rt::perform(Op::Notify { condvar: self.id(), all: false }, Location::caller());
    }

    /// Wakes every waiting thread (a step).
    #[track_caller]
    pub fn notify_all(&self) {
        rt::perform(Op::Notify { condvar: self.id(), all: true }, Location::caller());
    }
}

impl Default for Condvar {
    #[track_caller]
    fn default() -> Self {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
