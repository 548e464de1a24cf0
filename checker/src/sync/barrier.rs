//! `Barrier`, shaped like `std::sync::Barrier`, built on checker's `Mutex`
//! and `Condvar`: every race inside it is explored like the user's own.

use std::fmt;
use std::sync::PoisonError;

use super::{Condvar, Mutex};

/// Lets `n` threads wait until all of them have arrived. Reusable: once a
/// round is complete, the next `n` calls to [`Barrier::wait`] form the next
/// round. In each round exactly one thread is the leader.
pub struct Barrier {
    n: usize,
    state: Mutex<Round>,
    all_arrived: Condvar,
}

/// The round in progress.
struct Round {
    /// Threads waiting in this round.
    arrived: usize,
    /// How many rounds have completed; a waiter leaves once it changes.
    completed: u64,
}

/// What [`Barrier::wait`] returns: whether this thread was the round's leader.
pub struct BarrierWaitResult(bool);

impl Barrier {
    /// A barrier for `n` threads. With `n` 0 or 1, `wait` returns at once and
    /// every caller is a leader, as in std.
    #[track_caller]
    pub const fn new(n: usize) -> Barrier {
        Barrier {
            n,
            state: Mutex::new(Round { arrived: 0, completed: 0 }),
            all_arrived: Condvar::new(),
        }
    }

    /// Blocks until `n` threads have called `wait` in this round. The last to
    /// arrive is the leader and wakes the others.
    #[track_caller]
    pub fn wait(&self) -> BarrierWaitResult {
        // No user code runs under this lock, so poisoning never means a
        // broken round: it is ignored.
        let mut round = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        round.arrived += 1;
        if round.arrived < self.n {
            let mine = round.completed;
            while round.completed == mine {
                round = self.all_arrived.wait(round).unwrap_or_else(PoisonError::into_inner);
            }
            BarrierWaitResult(false)
        } else {
            round.arrived = 0;
            round.completed = round.completed.wrapping_add(1);
            self.all_arrived.notify_all();
            BarrierWaitResult(true)
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).finish_non_exhaustive()
    }
}

impl BarrierWaitResult {
    /// Was this thread the leader of its round (the last to arrive)?
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl fmt::Debug for BarrierWaitResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWaitResult").field("is_leader", &self.0).finish()
    }
}
