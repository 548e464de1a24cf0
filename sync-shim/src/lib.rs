//! The one `cfg(checker)` switch between std and checker.
//!
//! Write a library against `sync_shim::{sync, thread, hint}`. A normal build
//! uses std's types, and the release build carries no trace of the checker.
//! Built with `RUSTFLAGS="--cfg checker"`, the same paths name checker's
//! types, and the library's tests can run under `checker::model`.
//!
//! ```toml
//! [dependencies]
//! sync-shim = { path = "..." }
//!
//! [lints.rust]
//! unexpected_cfgs = { level = "warn", check-cfg = ["cfg(checker)"] }
//! ```
//!
//! This version switches the types the engine models today: threads,
//! atomics, `Arc`, `Mutex`, `Condvar`, `hint::spin_loop`. Everything else in
//! `std::sync` is reachable without `--cfg checker` only, until checker
//! models it.

#[cfg(not(checker))]
pub use std::{hint, sync, thread};

#[cfg(checker)]
pub use checker::{hint, sync, thread};
