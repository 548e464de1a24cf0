//! checker: a model checker for concurrent Rust.
//!
//! Write a test body once with checker's std-shaped types; [`model`] runs it
//! again and again, each time under another interleaving of its threads,
//! until every interleaving has been seen (or a limit stops it). A failing
//! execution is reported with a numbered trace and the command that replays
//! it.
//!
//! ```
//! use checker::sync::Arc;
//! use checker::sync::atomic::{AtomicUsize, Ordering};
//! use checker::thread;
//!
//! checker::model(|| {
//!     let n = Arc::new(AtomicUsize::new(0));
//!     let h = {
//!         let n = n.clone();
//!         thread::spawn(move || n.fetch_add(1, Ordering::AcqRel))
//!     };
//!     n.fetch_add(1, Ordering::AcqRel);
//!     h.join().unwrap();
//!     assert_eq!(n.load(Ordering::Acquire), 2);
//! });
//! ```
//!
//! The API follows std and loom 0.7: a crate that tests with loom switches
//! by renaming one dependency. Every model thread is a coroutine on one OS
//! thread; see ARCHITECTURE.md for how the engine works.
#![warn(missing_docs)]

pub mod alloc;
pub mod cell;
pub mod future;
pub mod hint;
pub mod lazy_static;
pub mod model;
mod scope;
pub mod sync;
pub mod thread;
mod thread_local;

pub use model::model;
pub use scheduler::config::DEFAULT_MAX_THREADS as MAX_THREADS;
