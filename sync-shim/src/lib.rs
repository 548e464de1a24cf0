//! The one `cfg(checker)` switch between std and checker.
//!
//! Write a library against `sync_shim::{sync, thread, cell, hint,
//! parking_lot}` and the [`lazy_static!`] and [`thread_local!`] macros. A
//! normal build uses std's types (and the real `parking_lot` crate), and
//! carries no trace of the checker. Built with `RUSTFLAGS="--cfg checker"`,
//! the same paths name checker's types, and the library's tests can run
//! under `checker::model`.
//!
//! ```toml
//! [dependencies]
//! sync-shim = { path = "..." }
//!
//! [lints.rust]
//! unexpected_cfgs = { level = "warn", check-cfg = ["cfg(checker)"] }
//! ```
//!
//! What the shim promises, identical both ways:
//! - `sync`, `thread`, `hint`: the parts of std that checker models (see
//!   checker's crate docs). Without `--cfg checker` these are std's
//!   modules, so more of std is reachable; code that must build both ways
//!   uses only what checker has.
//! - `cell::UnsafeCell` with loom's closure API: `new`, `into_inner`,
//!   `with`, `with_mut`, and `get`/`get_mut` returning a `ConstPtr`/`MutPtr`
//!   whose `with` hands out the raw pointer. (checker's pointers also have
//!   an `unsafe fn deref`; the std side does not, as this crate has no
//!   `unsafe`.) `cell::Cell` is std's or checker's `Cell`.
//! - [`lazy_static!`]: `static ref NAME: Type = expr;`, used as `*NAME` or
//!   `NAME.method()`. Without `--cfg checker` the static is a
//!   `std::sync::LazyLock`; do not rely on that type.
//! - [`thread_local!`]: `static NAME: Type = expr;` (no `const { }` form),
//!   used through `LocalKey::with`/`try_with`.
//! - `parking_lot::{Mutex, MutexGuard, RwLock, RwLockReadGuard,
//!   RwLockWriteGuard, Condvar, WaitTimeoutResult}` with parking_lot's API
//!   for: `const fn new`, `lock`/`read`/`write` returning the guard,
//!   `try_lock`/`try_read`/`try_write` returning an `Option`, `into_inner`,
//!   `get_mut`, `Default`, `From`, `Debug`; `Condvar::{wait, wait_while,
//!   wait_for, wait_until, wait_while_for, wait_while_until}` taking
//!   `&mut MutexGuard` (the timed ones return a `WaitTimeoutResult`),
//!   `notify_one -> bool`, `notify_all -> usize`. Without `--cfg checker`
//!   this is the real `parking_lot` crate; with it, an adapter over
//!   checker's locks (no poisoning, as in parking_lot). Its deviations are
//!   in the adapter's module docs (`cargo doc` with `--cfg checker`).

#![warn(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(not(checker))]
pub use std::{hint, sync, thread};

#[cfg(checker)]
pub use checker::{cell, hint, sync, thread};

#[cfg(not(checker))]
pub mod cell;

#[cfg(not(checker))]
pub use parking_lot;

#[cfg(checker)]
pub mod parking_lot;

/// What the macros name; not part of the API.
#[doc(hidden)]
pub mod __private {
    #[cfg(checker)]
    pub use checker;
    #[cfg(not(checker))]
    pub use std::sync::LazyLock;
}

/// Declares lazily initialised statics, with the syntax of the
/// `lazy_static` crate: `static ref NAME: Type = expr;`. Without
/// `--cfg checker` each becomes a `std::sync::LazyLock` static; with it,
/// checker's `lazy_static!`, initialised anew in every execution.
#[cfg(not(checker))]
#[macro_export]
macro_rules! lazy_static {
    ($(#[$attr:meta])* $vis:vis static ref $N:ident : $T:ty = $e:expr; $($rest:tt)*) => {
        $(#[$attr])*
        $vis static $N: $crate::__private::LazyLock<$T> =
            $crate::__private::LazyLock::new(|| $e);
        $crate::lazy_static!($($rest)*);
    };
    () => {};
}

/// Declares lazily initialised statics, with the syntax of the
/// `lazy_static` crate: `static ref NAME: Type = expr;`. Without
/// `--cfg checker` each becomes a `std::sync::LazyLock` static; with it,
/// checker's `lazy_static!`, initialised anew in every execution.
#[cfg(checker)]
#[macro_export]
macro_rules! lazy_static {
    ($($t:tt)*) => {
        $crate::__private::checker::lazy_static! { $($t)* }
    };
}

/// Declares thread-local statics: `static NAME: Type = expr;`. std's
/// `thread_local!` without `--cfg checker`, checker's with it.
#[cfg(not(checker))]
#[macro_export]
macro_rules! thread_local {
    ($($t:tt)*) => {
        ::std::thread_local! { $($t)* }
    };
}

/// Declares thread-local statics: `static NAME: Type = expr;`. std's
/// `thread_local!` without `--cfg checker`, checker's with it.
#[cfg(checker)]
#[macro_export]
macro_rules! thread_local {
    ($($t:tt)*) => {
        $crate::__private::checker::thread_local! { $($t)* }
    };
}
