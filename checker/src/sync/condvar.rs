//! `Condvar`, shaped like `std::sync::Condvar`.

use std::fmt;
use std::panic::Location;
use std::sync::{LockResult, PoisonError};
use std::time::Duration;

use scheduler::op::{Op, Reply};
use scheduler::rt;
use scheduler::{LazyObject, ObjectInit, ObjectState};

use super::mutex::MutexGuard;

/// A condition variable. A waiting thread sleeps until a notification picks
/// it; which waiter `notify_one` wakes is a choice the model checker explores.
///
/// A timed wait may also wake without a notification once the mutex is free:
/// whether its timeout passes first is explored (the duration itself plays
/// no part). With `Builder::spurious_wakeups`, so may a plain `wait`.
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

    /// Unlocks, waits, relocks: returns the guard, whether the wake-up came
    /// without a notification, and whether the mutex is poisoned.
    fn wait_inner<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timed: bool,
        location: &'static Location<'static>,
    ) -> (MutexGuard<'a, T>, bool, bool) {
        let condvar = self.id();
        let (mutex, mutex_id) = guard.into_wait();
        let (unnotified, poisoned) =
            match rt::perform(Op::Wait { condvar, mutex: mutex_id, timed }, location) {
                Reply::Locked { poisoned } => (false, poisoned),
                Reply::TimedOut { poisoned } => (true, poisoned),
                other => unreachable!("internal error in checker: wait replied {other:?}"),
            };
        (mutex.guard(mutex_id, location), unnotified, poisoned)
    }

    /// Unlocks the guard's mutex and sleeps until notified, then locks it
    /// again (two steps: the wait, and the wake-up). With
    /// `Builder::spurious_wakeups` it may also wake without a notification.
    #[track_caller]
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        let (guard, _, poisoned) = self.wait_inner(guard, false, Location::caller());
        if poisoned { Err(PoisonError::new(guard)) } else { Ok(guard) }
    }

    /// Like [`Condvar::wait`], but may also wake when the timeout passes:
    /// both wake-ups are explored, and the result says which happened.
    /// The duration is not modelled: any timeout may pass before a
    /// notification comes.
    #[track_caller]
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let _ = dur;
        let (guard, timed_out, poisoned) = self.wait_inner(guard, true, Location::caller());
        let result = (guard, WaitTimeoutResult(timed_out));
        if poisoned { Err(PoisonError::new(result)) } else { Ok(result) }
    }

    /// Waits while `condition` holds for the data, until the timeout passes.
    /// The result says whether it timed out with the condition still true.
    #[track_caller]
    pub fn wait_timeout_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        dur: Duration,
        mut condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        let location = Location::caller();
        loop {
            if !condition(&mut *guard) {
                return Ok((guard, WaitTimeoutResult(false)));
            }
            let _ = dur;
            let (next, timed_out, poisoned) = self.wait_inner(guard, true, location);
            guard = next;
            if poisoned {
                return Err(PoisonError::new((guard, WaitTimeoutResult(timed_out))));
            }
            if timed_out {
                // The time is up: std checks the condition once more.
                let still = condition(&mut *guard);
                return Ok((guard, WaitTimeoutResult(still)));
            }
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

/// Whether a timed condvar wait returned because its timeout passed, as
/// `std::sync::WaitTimeoutResult`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// The wait woke because its timeout passed, not by a notification.
    pub fn timed_out(&self) -> bool {
        self.0
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
