//! The record of one execution: its events in order.
//!
//! Every executed operation is an event, in the order the engine ran them;
//! yields and panics are recorded between them as markers so that a report
//! reads like what happened. Events hold only `Copy` data, so recording costs
//! a push; they are rendered to text only when a report needs them.

use crate::ids::ThreadId;
use crate::op::{Op, Reply, SourceLocation};

/// What one event was.
#[derive(Copy, Clone, Debug)]
pub enum EventKind {
    /// A step: the engine executed this operation for the thread.
    Step {
        /// The operation.
        op: Op,
        /// What it returned.
        reply: Reply,
        /// Extra detail for the report and the reductions: for
        /// `notify_one`, the woken thread plus one (0: nobody waited); for
        /// `notify_all`, how many woke; for a wake-up, the notifying step
        /// plus one; for an atomic read, the store it read (see
        /// `Execution::atomic_step`); for a plain store, how many earlier
        /// stores follow it in modification order.
        aux: u64,
    },
    /// The thread panicked here (not a step). The index is into the
    /// thread's list of panics.
    Panicked(u32),
    /// A safety assertion (`assert_always!`...) of this mark id failed
    /// here (not a step): the execution stopped.
    AssertionFailed(u64),
}

/// One event of an execution.
#[derive(Copy, Clone, Debug)]
pub struct Event {
    /// The thread it belongs to.
    pub thread: ThreadId,
    /// What happened.
    pub kind: EventKind,
    /// Where in the user's source.
    pub location: SourceLocation,
}

impl Event {
    /// The operation, if this event is a step.
    pub fn op(&self) -> Option<&Op> {
        match &self.kind {
            EventKind::Step { op, .. } => Some(op),
            _ => None,
        }
    }
}
