//! std's side of `sync_shim::cell`: `UnsafeCell` with loom's closure API,
//! and std's `Cell`.
//!
//! std's `UnsafeCell::get` hands out a raw pointer with no end to the
//! access; checker's (and loom's) delimit the access with a closure or a
//! pointer guard, so that the race detector knows when it ends. This thin
//! wrapper gives std's cell the same API, so code written against the shim
//! builds both ways. It costs nothing: every method is a direct call.

pub use std::cell::Cell;

use std::fmt;

/// `std::cell::UnsafeCell` with loom's API: the access to the value is
/// delimited by [`with`](Self::with), [`with_mut`](Self::with_mut), or the
/// life of the pointer from [`get`](Self::get) / [`get_mut`](Self::get_mut).
pub struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

/// A `*const T` into an [`UnsafeCell`], as checker's `ConstPtr`: the
/// access lasts while it lives. Only [`with`](Self::with) on this side.
pub struct ConstPtr<T: ?Sized>(*const T);

/// A `*mut T` into an [`UnsafeCell`], as checker's `MutPtr`: the access
/// lasts while it lives. Only [`with`](Self::with) on this side.
pub struct MutPtr<T: ?Sized>(*mut T);

impl<T> UnsafeCell<T> {
    /// A new cell holding `data`.
    pub const fn new(data: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(data))
    }

    /// The value, taking the cell by value.
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a pointer for reading; the access lasts while `f` runs.
    pub fn with<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*const T) -> R,
    {
        f(self.0.get() as *const T)
    }

    /// Runs `f` with a pointer for writing; the access lasts while `f` runs.
    pub fn with_mut<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*mut T) -> R,
    {
        f(self.0.get())
    }

    /// A pointer for reading; the access lasts while it lives.
    pub fn get(&self) -> ConstPtr<T> {
        ConstPtr(self.0.get() as *const T)
    }

    /// A pointer for writing; the access lasts while it lives.
    pub fn get_mut(&self) -> MutPtr<T> {
        MutPtr(self.0.get())
    }
}

impl<T: ?Sized> ConstPtr<T> {
    /// Runs `f` with the raw pointer, which must not leave `f`.
    pub fn with<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*const T) -> R,
    {
        f(self.0)
    }
}

impl<T: ?Sized> MutPtr<T> {
    /// Runs `f` with the raw pointer, which must not leave `f`.
    pub fn with<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*mut T) -> R,
    {
        f(self.0)
    }
}

impl<T: Default> Default for UnsafeCell<T> {
    fn default() -> UnsafeCell<T> {
        UnsafeCell::new(T::default())
    }
}

impl<T> From<T> for UnsafeCell<T> {
    fn from(data: T) -> UnsafeCell<T> {
        UnsafeCell::new(data)
    }
}

impl<T: ?Sized> fmt::Debug for UnsafeCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsafeCell").finish_non_exhaustive()
    }
}

impl<T: ?Sized> fmt::Debug for ConstPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConstPtr").field(&self.0).finish()
    }
}

impl<T: ?Sized> fmt::Debug for MutPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MutPtr").field(&self.0).finish()
    }
}
