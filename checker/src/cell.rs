//! Cells whose accesses are checked for data races, shaped like loom's
//! `loom::cell`.
//!
//! An access to an [`UnsafeCell`] or a [`Cell`] is not a step: it adds no
//! scheduling point (as in loom), so cells do not multiply executions. Each
//! access is checked, with the accessing thread's happens-before clock,
//! against the cell's last write and the reads since: a write not ordered
//! after every earlier access, or a read not ordered after the last write, is
//! a data race, reported with both accesses and their source locations.
//!
//! An access lasts as long as its closure (`with`, `with_mut`) runs, or as
//! long as its pointer ([`ConstPtr`], [`MutPtr`]) lives: a conflicting access
//! that begins while it lasts is a race even in the same thread (it would
//! alias a live `&mut`), and later accesses must be ordered after its end.
//! Outside a model the cells work without checks.

use std::fmt;
use std::panic::Location;

use scheduler::LazyObject;
use scheduler::rt::{self, AccessKind, AccessToken};

/// The tracking part of a cell: the slot binding it to the execution's
/// record, and where it was created.
struct Tracked {
    slot: LazyObject,
    created: &'static Location<'static>,
    type_name: &'static str,
}

impl Tracked {
    #[track_caller]
    const fn new(type_name: &'static str) -> Self {
        Tracked { slot: LazyObject::new(), created: Location::caller(), type_name }
    }

    /// Begins an access that lasts until the guard drops.
    fn access(&self, kind: AccessKind, location: &'static Location<'static>) -> Guard {
        Guard(rt::begin_access(&self.slot, self.type_name, self.created, kind, location))
    }
}

/// An access in progress; ends it when dropped.
struct Guard(Option<AccessToken>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(token) = self.0.take() {
            rt::end_access(token);
        }
    }
}

/// `std::cell::UnsafeCell` with its accesses checked for data races.
///
/// Instead of `get` returning a raw pointer, it offers [`with`](Self::with)
/// and [`with_mut`](Self::with_mut), whose closures delimit the access, and
/// [`get`](Self::get) and [`get_mut`](Self::get_mut), whose pointers do.
pub struct UnsafeCell<T: ?Sized> {
    tracked: Tracked,
    data: std::cell::UnsafeCell<T>,
}

/// A checked `*const T` into an [`UnsafeCell`]: the cell counts as being
/// read for as long as this pointer lives, not only while it is
/// dereferenced.
pub struct ConstPtr<T: ?Sized> {
    _guard: Guard,
    ptr: *const T,
}

/// A checked `*mut T` into an [`UnsafeCell`]: the cell counts as being
/// written for as long as this pointer lives, not only while it is
/// dereferenced.
pub struct MutPtr<T: ?Sized> {
    _guard: Guard,
    ptr: *mut T,
}

impl<T> UnsafeCell<T> {
    /// A new cell holding `data`. `const`, so it can be a static; a static
    /// cell starts every execution with no access history.
    #[track_caller]
    pub const fn new(data: T) -> UnsafeCell<T> {
        UnsafeCell { tracked: Tracked::new("UnsafeCell"), data: std::cell::UnsafeCell::new(data) }
    }

    /// The value, taking the cell by value (ownership excludes any race).
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a pointer for reading; the cell is read while `f` runs.
    /// A data race with an earlier access fails the execution.
    #[track_caller]
    pub fn with<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*const T) -> R,
    {
        let _reading = self.tracked.access(AccessKind::Read, Location::caller());
        f(self.data.get() as *const T)
    }

    /// Runs `f` with a pointer for writing; the cell is written while `f`
    /// runs. A data race with an earlier access fails the execution.
    #[track_caller]
    pub fn with_mut<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*mut T) -> R,
    {
        let _writing = self.tracked.access(AccessKind::Write, Location::caller());
        f(self.data.get())
    }

    /// A pointer for reading; the cell is read for as long as it lives.
    #[track_caller]
    pub fn get(&self) -> ConstPtr<T> {
        let guard = self.tracked.access(AccessKind::Read, Location::caller());
        ConstPtr { _guard: guard, ptr: self.data.get() }
    }

    /// A pointer for writing; the cell is written for as long as it lives.
    #[track_caller]
    pub fn get_mut(&self) -> MutPtr<T> {
        let guard = self.tracked.access(AccessKind::Write, Location::caller());
        MutPtr { _guard: guard, ptr: self.data.get() }
    }
}

impl<T: Default> Default for UnsafeCell<T> {
    #[track_caller]
    fn default() -> UnsafeCell<T> {
        UnsafeCell::new(T::default())
    }
}

impl<T> From<T> for UnsafeCell<T> {
    #[track_caller]
    fn from(data: T) -> UnsafeCell<T> {
        UnsafeCell::new(data)
    }
}

impl<T: ?Sized> fmt::Debug for UnsafeCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsafeCell").finish_non_exhaustive()
    }
}

impl<T: ?Sized> ConstPtr<T> {
    /// Dereferences the pointer.
    ///
    /// # Safety
    ///
    /// As dereferencing a `*const T`: the cell must still be alive (checker
    /// does not track that), and the returned reference must not outlive
    /// this `ConstPtr` (checker tracks the access only while it lives).
    /// Races with other accesses are checked.
    pub unsafe fn deref(&self) -> &T {
        // SAFETY: the pointer comes from a live `UnsafeCell` and is never
        // null; the caller guarantees the cell is still alive and that the
        // reference does not outlive `self`, during which the race detector
        // treats the cell as read, so no checked write can overlap it.
        unsafe { &*self.ptr }
    }

    /// Runs `f` with the raw pointer. The pointer must not leave `f`: the
    /// access is tracked only while this `ConstPtr` lives.
    pub fn with<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*const T) -> R,
    {
        f(self.ptr)
    }
}

impl<T: ?Sized> MutPtr<T> {
    /// Dereferences the pointer.
    ///
    /// # Safety
    ///
    /// As dereferencing a `*mut T` into a `&mut T`: the cell must still be
    /// alive (checker does not track that), the returned reference must not
    /// outlive this `MutPtr` (checker tracks the access only while it
    /// lives), and no other reference from this `MutPtr` may be alive.
    /// Races with other accesses are checked.
    #[allow(clippy::mut_from_ref)] // loom's signature: the cell hands out `&mut` through `&`.
    pub unsafe fn deref(&self) -> &mut T {
        // SAFETY: the pointer comes from a live `UnsafeCell` and is never
        // null; the caller guarantees the cell is still alive, that the
        // reference does not outlive `self` and that it is the only one made
        // from `self`; while `self` lives the race detector treats the cell
        // as written, so any other checked access to it is reported.
        unsafe { &mut *self.ptr }
    }

    /// Runs `f` with the raw pointer. The pointer must not leave `f`: the
    /// access is tracked only while this `MutPtr` lives.
    pub fn with<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*mut T) -> R,
    {
        f(self.ptr)
    }
}

impl<T: ?Sized> fmt::Debug for ConstPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConstPtr").field("ptr", &(self.ptr as *const ())).finish()
    }
}

impl<T: ?Sized> fmt::Debug for MutPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutPtr").field("ptr", &(self.ptr as *const ())).finish()
    }
}

/// `std::cell::Cell` with its accesses checked for data races: `get` reads,
/// `set`, `replace`, `take` and `swap` write.
pub struct Cell<T> {
    tracked: Tracked,
    value: std::cell::Cell<T>,
}

impl<T> Cell<T> {
    /// A new cell holding `value`. `const`, so it can be a static.
    #[track_caller]
    pub const fn new(value: T) -> Cell<T> {
        Cell { tracked: Tracked::new("Cell"), value: std::cell::Cell::new(value) }
    }

    /// Replaces the value, dropping the old one (a write).
    #[track_caller]
    pub fn set(&self, value: T) {
        drop(self.replace(value));
    }

    /// Swaps the values of two cells (a write to each).
    #[track_caller]
    pub fn swap(&self, other: &Self) {
        if std::ptr::eq(self, other) {
            return;
        }
        let _mine = self.tracked.access(AccessKind::Write, Location::caller());
        let _theirs = other.tracked.access(AccessKind::Write, Location::caller());
        self.value.swap(&other.value);
    }

    /// Replaces the value, returning the old one (a write).
    #[track_caller]
    pub fn replace(&self, value: T) -> T {
        let _writing = self.tracked.access(AccessKind::Write, Location::caller());
        self.value.replace(value)
    }

    /// A copy of the value (a read).
    #[track_caller]
    pub fn get(&self) -> T
    where
        T: Copy,
    {
        let _reading = self.tracked.access(AccessKind::Read, Location::caller());
        self.value.get()
    }

    /// Takes the value, leaving `Default::default()` (a write).
    #[track_caller]
    pub fn take(&self) -> T
    where
        T: Default,
    {
        self.replace(T::default())
    }

    /// The value, taking the cell by value.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: Default> Default for Cell<T> {
    #[track_caller]
    fn default() -> Cell<T> {
        Cell::new(T::default())
    }
}

impl<T: Copy> Clone for Cell<T> {
    #[track_caller]
    fn clone(&self) -> Cell<T> {
        Cell::new(self.get())
    }
}

impl<T> From<T> for Cell<T> {
    #[track_caller]
    fn from(value: T) -> Cell<T> {
        Cell::new(value)
    }
}

impl<T: PartialEq + Copy> PartialEq for Cell<T> {
    #[track_caller]
    fn eq(&self, other: &Cell<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq + Copy> Eq for Cell<T> {}

impl<T: PartialOrd + Copy> PartialOrd for Cell<T> {
    #[track_caller]
    fn partial_cmp(&self, other: &Cell<T>) -> Option<std::cmp::Ordering> {
        self.get().partial_cmp(&other.get())
    }
}

impl<T: Ord + Copy> Ord for Cell<T> {
    #[track_caller]
    fn cmp(&self, other: &Cell<T>) -> std::cmp::Ordering {
        self.get().cmp(&other.get())
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for Cell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cell").field("value", &self.get()).finish()
    }
}
