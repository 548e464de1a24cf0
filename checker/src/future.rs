//! Futures on model threads, shaped like loom's `future` module:
//! [`block_on`] and [`AtomicWaker`].
//!
//! `block_on` parks the model thread between polls and its waker unparks
//! it, so a future whose wake-up can be lost shows up as a thread parked
//! with no unpark to come (a deadlock report), in the interleavings where
//! it is lost. As loom's, it also polls once without a wake-up (a spurious
//! wake-up of its waker), at any one of its waits: a future must tolerate
//! being polled when nothing changed.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::PoisonError;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll, Wake, Waker};

use scheduler::rt;

use crate::sync::Mutex;
use crate::thread::{self, Thread};

/// Runs `future` to completion on the calling model thread: polls it, and
/// parks until woken whenever it is pending.
///
/// One of its waits (or none) ends without a wake-up, as in loom: the
/// future is polled again at once. Whether and where is a decision the
/// model checker explores (`choose(2) = 1` in a trace, at the `block_on`
/// call): a future that is `Pending` again after that must still be woken.
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let location = Location::caller();
    let mut future = std::pin::pin!(future);
    let unparker = std::sync::Arc::new(Unparker {
        thread: thread::current(),
        woke_itself: AtomicBool::new(false),
    });
    let waker = Waker::from(std::sync::Arc::clone(&unparker));
    let mut cx = Context::from_waker(&waker);
    // One spurious wake-up per call, as loom's block_on: further ones
    // would only add polls that a single one already puts anywhere.
    let mut may_spur = true;
    loop {
        unparker.woke_itself.store(false, Relaxed);
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // A future that woke itself (a yield) is polled again at once
        // anyway: a spurious poll here would repeat what the next wait's
        // can do. Option 0 waits, so that the first execution, and one
        // that does not explore (`stop_exploring`), polls only when woken.
        if may_spur && !unparker.woke_itself.load(Relaxed) && rt::choose(2, location) == 1 {
            may_spur = false;
            continue;
        }
        thread::park();
    }
}

/// The waker of [`block_on`]: unparks the blocked thread (a step).
struct Unparker {
    thread: Thread,
    /// The blocked thread woke itself during the current poll, so its
    /// token is there: bookkeeping of that thread alone, not model state.
    woke_itself: AtomicBool,
}

impl Unparker {
    fn unpark(&self) {
        if thread::current().id() == self.thread.id() {
            self.woke_itself.store(true, Relaxed);
        }
        self.thread.unpark();
    }
}

impl Wake for Unparker {
    fn wake(self: std::sync::Arc<Self>) {
        self.unpark();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.unpark();
    }
}

/// Holds the waker of the task to wake next, as loom's (and futures')
/// `AtomicWaker`: a task registers its waker, then checks its condition; a
/// producer sets the condition, then wakes. Built on checker's `Mutex`, so
/// each call is a short critical section the model checker orders.
pub struct AtomicWaker {
    waker: Mutex<Option<Waker>>,
}

impl AtomicWaker {
    /// An `AtomicWaker` holding no waker.
    #[track_caller]
    pub const fn new() -> AtomicWaker {
        AtomicWaker { waker: Mutex::new(None) }
    }

    /// Registers `waker` to be woken by the next [`AtomicWaker::wake`],
    /// replacing any waker registered before.
    #[track_caller]
    pub fn register(&self, waker: Waker) {
        let old = self.waker.lock().unwrap_or_else(PoisonError::into_inner).replace(waker);
        // Outside the lock: a waker's destructor may run operations.
        drop(old);
    }

    /// As [`AtomicWaker::register`], cloning `waker` only if it would not
    /// wake the same task as the registered one.
    #[track_caller]
    pub fn register_by_ref(&self, waker: &Waker) {
        let old = {
            let mut slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
            match &*slot {
                Some(registered) if registered.will_wake(waker) => None,
                _ => slot.replace(waker.clone()),
            }
        };
        drop(old);
    }

    /// Wakes the registered task, if any, and forgets its waker.
    #[track_caller]
    pub fn wake(&self) {
        if let Some(waker) = self.take_waker() {
            waker.wake();
        }
    }

    /// Takes the registered waker out, to wake it later.
    #[track_caller]
    pub fn take_waker(&self) -> Option<Waker> {
        self.waker.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl Default for AtomicWaker {
    #[track_caller]
    fn default() -> Self {
        AtomicWaker::new()
    }
}

impl fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicWaker").finish_non_exhaustive()
    }
}
