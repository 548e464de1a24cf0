//! `thread_local!`, shaped like loom's: one value per model thread.
//!
//! A thread's value is made on its first use in that thread and destroyed
//! when the thread ends (its destructor runs on the thread, and may run
//! operations, which are steps). Accessing a key while the thread's values
//! are being destroyed fails with [`AccessError`].

use std::fmt;
use std::marker::PhantomData;

/// A key to a thread-local value, made by [`thread_local!`](crate::thread_local!).
pub struct LocalKey<T> {
    // Public only so that the macro can build it in a `static` (function
    // pointers cannot be passed to a `const fn` on stable Rust).
    #[doc(hidden)]
    pub init: fn() -> T,
    #[doc(hidden)]
    pub _p: PhantomData<fn(T)>,
}

/// The thread's values are being destroyed: the key cannot be accessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessError;

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("already destroyed")
    }
}

impl std::error::Error for AccessError {}

impl<T: 'static> LocalKey<T> {
    /// Runs `f` with this thread's value, made on first use. Panics if the
    /// thread's values are being destroyed.
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        self.try_with(f)
            .expect("cannot access a thread local while the thread's values are being destroyed")
    }

    /// Runs `f` with this thread's value, made on first use, or fails if the
    /// thread's values are being destroyed.
    #[track_caller]
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        let key = self as *const LocalKey<T> as usize;
        let value = scheduler::rt::thread_local(key, self.init).ok_or(AccessError)?;
        Ok(f(&value))
    }
}

impl<T> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("LocalKey { .. }")
    }
}

/// Declares thread-local statics, with the syntax of `std::thread_local!`:
/// `static NAME: Type = expr;`. Each model thread gets its own value.
#[macro_export]
macro_rules! thread_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => {
        $crate::__thread_local_item!($(#[$attr])* $vis $name, $t, $init);
        $crate::thread_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr) => {
        $crate::__thread_local_item!($(#[$attr])* $vis $name, $t, $init);
    };
}

/// One key of [`thread_local!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __thread_local_item {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty, $init:expr) => {
        $(#[$attr])*
        $vis static $name: $crate::thread::LocalKey<$t> = $crate::thread::LocalKey {
            init: (|| $init) as fn() -> $t,
            _p: ::core::marker::PhantomData,
        };
    };
}
