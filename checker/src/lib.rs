#![doc = include_str!("../docs/guide.md")]
#![deny(missing_docs)]

pub mod alloc;
pub mod assert;
pub mod cell;
pub mod future;
pub mod hint;
pub mod lazy_static;
pub mod model;
pub mod nondet;
pub mod rand;
mod scope;
pub mod sync;
pub mod thread;
mod thread_local;

pub use model::model;

/// The model heap (`checker::alloc::ModelHeap`) is the global allocator of
/// every program that links checker with its `model-heap` feature (on by
/// default): model code's blocks get addresses that depend only on the
/// execution's decisions, so a model that compares addresses of freed and
/// reallocated memory (ABA) stays deterministic. A program that declares its
/// own global allocator turns the feature off (`default-features = false`)
/// or builds with `--cfg checker_system_alloc`.
#[cfg(all(feature = "model-heap", not(checker_system_alloc)))]
#[global_allocator]
static MODEL_HEAP: scheduler::heap::ModelHeap = scheduler::heap::ModelHeap;

/// What the macros of this crate expand to. Not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::assert::Numeric;
    pub use core::any::type_name_of_val;
    pub use scheduler::assertions::{MarkKind, SITES, Site, all, boolean, each, failed, numeric};
    pub use scheduler::linkme;
}

/// Explores the decisions that follow again, after [`stop_exploring`] (or
/// from the start with `Builder::expect_explicit_explore`).
///
/// Exploration is a property of the running execution, not of a thread.
/// Has no effect after [`skip_branch`] in the same execution.
pub fn explore() {
    scheduler::rt::set_exploring(true);
}

/// Stops exploring: until [`explore`] is called, every scheduling and data
/// decision of this execution takes one choice (the running thread goes on)
/// and no alternative of it is tried later.
///
/// Use it around setup or teardown whose interleavings do not matter, to
/// cut executions. A run that pruned decisions this way reports it and is
/// not verified exhaustively: a bug that needs an unexplored choice is
/// missed.
pub fn stop_exploring() {
    scheduler::rt::set_exploring(false);
}

/// Explores none of the remaining decisions of this execution, not even
/// after [`explore`]: the execution is run to its end on one schedule.
pub fn skip_branch() {
    scheduler::rt::skip_branch();
}
pub use scheduler::config::DEFAULT_MAX_THREADS as MAX_THREADS;
