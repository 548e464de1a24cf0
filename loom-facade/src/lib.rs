//! loom's crate name over checker.
//!
//! A crate whose dependencies switch to loom under `cfg(loom)`
//! (crossbeam-utils, concurrent-queue, parking, ...) cannot rename those
//! dependencies' `loom`; patching crates-io's `loom` with this package does:
//!
//! ```toml
//! [patch.crates-io]
//! loom = { path = "<checker's workspace>/loom-facade" }
//! ```
//!
//! Everything is checker's: `loom::model`, `loom::sync`, `loom::thread` and
//! the rest are `checker::model`, `checker::sync`, `checker::thread`.

pub use checker::*;
