//! `lazy_static!`, shaped like loom's: a static initialised on first use,
//! anew in every execution.
//!
//! Each execution starts with the static uninitialised, so its initialiser
//! runs again per execution, as if the program ran anew. The value is
//! dropped at the end of the execution, once every thread has finished and
//! before the leak check (the last initialised first). Initialisation
//! happens before every use, as with the `Once` the real crate uses; it is
//! not a step. Using the static outside `checker::model` panics.
//!
//! The model body's return is the program's exit, as with loom: a thread
//! the body did not join that uses a lazy static after it panics, since the
//! real program does not wait for that thread and may stop it anywhere.
//! So that such a use can come after the return, every use by a thread
//! other than the model body is a step.

use std::fmt;
use std::marker::PhantomData;

// Loom's `lazy_static` module re-exports these; so does checker's.
pub use crate::thread::{AccessError, panicking, yield_now};

/// A lazily initialised static, made by [`lazy_static!`](crate::lazy_static!).
pub struct Lazy<T> {
    // Public only so that the macro can build it in a `static` (function
    // pointers cannot be passed to a `const fn` on stable Rust).
    #[doc(hidden)]
    pub init: fn() -> T,
    #[doc(hidden)]
    pub _p: PhantomData<fn(T)>,
}

impl<T: 'static> Lazy<T> {
    /// The value of the running execution, initialised on first use.
    ///
    /// The reference is valid until the end of the execution, when the value
    /// is dropped: it must not be kept where it outlives the execution (a
    /// std static, a value the model leaks), nor in the value of a lazy
    /// static initialised before this one (that one is dropped later).
    #[track_caller]
    pub fn get(&'static self) -> &'static T {
        scheduler::rt::lazy_static(self as *const Lazy<T> as usize, self.init)
    }
}

impl<T> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Lazy { .. }")
    }
}

/// Declares lazily initialised statics, with the syntax of the
/// `lazy_static` crate: `static ref NAME: Type = expr;`. Each execution of
/// a model initialises them anew; see [the module](mod@crate::lazy_static).
#[macro_export]
macro_rules! lazy_static {
    ($(#[$attr:meta])* static ref $N:ident : $T:ty = $e:expr; $($t:tt)*) => {
        $crate::__lazy_static_item!($(#[$attr])* () $N, $T, $e);
        $crate::lazy_static!($($t)*);
    };
    ($(#[$attr:meta])* pub static ref $N:ident : $T:ty = $e:expr; $($t:tt)*) => {
        $crate::__lazy_static_item!($(#[$attr])* (pub) $N, $T, $e);
        $crate::lazy_static!($($t)*);
    };
    ($(#[$attr:meta])* pub ($($vis:tt)+) static ref $N:ident : $T:ty = $e:expr; $($t:tt)*) => {
        $crate::__lazy_static_item!($(#[$attr])* (pub ($($vis)+)) $N, $T, $e);
        $crate::lazy_static!($($t)*);
    };
    () => {};
}

/// One static of [`lazy_static!`]: a unit type whose `Deref` reaches the
/// value of the running execution.
#[doc(hidden)]
#[macro_export]
macro_rules! __lazy_static_item {
    ($(#[$attr:meta])* ($($vis:tt)*) $N:ident, $T:ty, $e:expr) => {
        #[allow(non_camel_case_types, dead_code, missing_copy_implementations)]
        $(#[$attr])*
        $($vis)* struct $N {
            __private_field: (),
        }
        #[doc(hidden)]
        $($vis)* static $N: $N = $N { __private_field: () };
        impl ::core::ops::Deref for $N {
            type Target = $T;
            // The use's location, for the trace and a use after the model
            // body returned.
            #[track_caller]
            fn deref(&self) -> &$T {
                fn __initialize() -> $T {
                    $e
                }
                static LAZY: $crate::lazy_static::Lazy<$T> = $crate::lazy_static::Lazy {
                    init: __initialize,
                    _p: ::core::marker::PhantomData,
                };
                LAZY.get()
            }
        }
    };
}
