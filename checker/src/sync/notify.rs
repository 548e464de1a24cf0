//! `Notify`, loom's one-waiter notification with a permit, built on
//! checker's `Mutex` and `Condvar`.

use std::fmt;
use std::sync::PoisonError;

use super::{Condvar, Mutex};

/// A notification for one waiting thread, with a permit (as loom's
/// `Notify`, the park/unpark pattern on an object of its own).
///
/// [`Notify::notify`] makes the permit available; [`Notify::wait`] blocks
/// until it is, and takes it. A notification sent while nobody waits is
/// kept, so it is never lost; but permits do not add up: two notifications
/// before a wait are consumed by that one wait. Only one thread may wait at
/// a time. Notification synchronizes (release, then acquire).
///
/// Unlike loom's, `wait` never returns spuriously: no checker blocking
/// operation does unless the model asks for spurious wake-ups.
pub struct Notify {
    state: Mutex<State>,
    permit: Condvar,
}

struct State {
    /// The permit is available.
    notified: bool,
    /// A thread is in `wait`.
    waiting: bool,
}

impl Notify {
    /// A `Notify` without a permit.
    #[track_caller]
    pub const fn new() -> Notify {
        Notify {
            state: Mutex::new(State { notified: false, waiting: false }),
            permit: Condvar::new(),
        }
    }

    /// Makes the permit available, waking the waiter if there is one.
    #[track_caller]
    pub fn notify(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.notified = true;
        if state.waiting {
            self.permit.notify_one();
        }
    }

    /// Blocks until the permit is available and takes it.
    ///
    /// Panics if another thread is waiting on this `Notify` already.
    #[track_caller]
    pub fn wait(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.waiting {
            drop(state);
            panic!("only a single thread may wait on `Notify`");
        }
        state.waiting = true;
        while !state.notified {
            state = self.permit.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        state.notified = false;
        state.waiting = false;
    }
}

impl Default for Notify {
    #[track_caller]
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify").finish_non_exhaustive()
    }
}
