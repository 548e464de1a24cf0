#![doc = include_str!("../docs/guide.md")]
#![deny(missing_docs)]

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
