//! Futures on model threads, shaped like loom's `future` module:
//! [`block_on`] and [`AtomicWaker`].
//!
//! `block_on` parks the model thread between polls and its waker unparks
//! it, so a future whose wake-up can be lost shows up as a thread parked
//! with no unpark to come (a deadlock report), in the interleavings where
//! it is lost.

use std::fmt;
use std::future::Future;
use std::sync::PoisonError;
use std::task::{Context, Poll, Wake, Waker};

use crate::sync::Mutex;
use crate::thread::{self, Thread};

/// Runs `future` to completion on the calling model thread: polls it, and
/// parks until woken whenever it is pending.
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(std::sync::Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

/// The waker of [`block_on`]: unparks the blocked thread (a step).
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.unpark();
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
