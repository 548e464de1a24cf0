//! `Once`, `OnceLock` and `LazyLock`, shaped like std's, built on checker's
//! atomics, `Mutex` and `Condvar`: the race between a fast-path check and
//! a running initializer is explored like any other.
//!
//! Known gap: a `OnceLock` or `LazyLock` in a `static` keeps its value in
//! std storage that cannot be reset through `&self`. Its state starts every
//! execution uninitialized (the initializer runs again, once, with its races
//! explored), but the value it stores is the one of the first execution
//! that initialized it, as the data of a static `Mutex` carries over.
// FIXME(issue 4 follow-up): per-execution storage for the data of statics.

use std::fmt;
use std::sync::PoisonError;

use super::atomic::{AtomicU8, Ordering};
use super::{Condvar, Mutex};

const INCOMPLETE: u8 = 0;
const RUNNING: u8 = 1;
const COMPLETE: u8 = 2;
const POISONED: u8 = 3;

/// Runs an initializer exactly once, as `std::sync::Once`.
///
/// A completed `Once` is seen with one atomic load (a step). Otherwise the
/// caller takes an internal lock: one caller runs the initializer, the
/// others wait for it. An initializer that panics poisons the `Once`.
pub struct Once {
    state: AtomicU8,
    lock: Mutex<()>,
    done: Condvar,
}

/// What [`Once::call_once_force`] tells its initializer.
pub struct OnceState {
    poisoned: bool,
}

/// Turns an initializer's panic into a poisoned `Once`.
struct PoisonOnUnwind<'a> {
    once: &'a Once,
    armed: bool,
}

impl Drop for PoisonOnUnwind<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.once.finish(POISONED);
        }
    }
}

impl Once {
    /// A `Once` that has not run.
    #[track_caller]
    pub const fn new() -> Once {
        Once { state: AtomicU8::new(INCOMPLETE), lock: Mutex::new(()), done: Condvar::new() }
    }

    /// Runs `f` if no initializer has completed yet; returns once one has.
    ///
    /// Panics if an earlier initializer panicked (the `Once` is poisoned).
    #[track_caller]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        if self.is_completed() {
            return;
        }
        let mut f = Some(f);
        self.run(false, &mut |_| (f.take().expect("runs once"))());
    }

    /// As [`Once::call_once`], but a poisoned `Once` runs `f` too, which
    /// learns so from its [`OnceState`].
    #[track_caller]
    pub fn call_once_force<F: FnOnce(&OnceState)>(&self, f: F) {
        if self.is_completed() {
            return;
        }
        let mut f = Some(f);
        self.run(true, &mut |state| (f.take().expect("runs once"))(state));
    }

    /// Has an initializer completed? (One acquire load, a step.)
    #[track_caller]
    pub fn is_completed(&self) -> bool {
        self.state.load(Ordering::Acquire) == COMPLETE
    }

    /// Blocks until an initializer has completed.
    ///
    /// Panics if the `Once` is poisoned.
    #[track_caller]
    pub fn wait(&self) {
        self.wait_inner(false);
    }

    /// Blocks until an initializer has completed, ignoring poison.
    #[track_caller]
    pub fn wait_force(&self) {
        self.wait_inner(true);
    }

    #[track_caller]
    fn wait_inner(&self, ignore_poison: bool) {
        if self.is_completed() {
            return;
        }
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match self.state.load(Ordering::Acquire) {
                COMPLETE => return,
                POISONED if !ignore_poison => {
                    drop(guard);
                    panic!("Once instance has previously been poisoned");
                }
                _ => guard = self.done.wait(guard).unwrap_or_else(PoisonError::into_inner),
            }
        }
    }

    /// The slow path: wait for a running initializer, or become it.
    #[track_caller]
    fn run(&self, ignore_poison: bool, f: &mut dyn FnMut(&OnceState)) {
        // Only this lock's holder changes the state, so the state read under
        // it is the state until the lock is released.
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match self.state.load(Ordering::Acquire) {
                COMPLETE => return,
                POISONED if !ignore_poison => {
                    drop(guard);
                    panic!("Once instance has previously been poisoned");
                }
                RUNNING => guard = self.done.wait(guard).unwrap_or_else(PoisonError::into_inner),
                state => {
                    self.state.store(RUNNING, Ordering::Relaxed);
                    drop(guard);
                    let mut poison = PoisonOnUnwind { once: self, armed: true };
                    f(&OnceState { poisoned: state == POISONED });
                    poison.armed = false;
                    self.finish(COMPLETE);
                    return;
                }
            }
        }
    }

    /// Publishes the initializer's end and wakes its waiters.
    #[track_caller]
    fn finish(&self, state: u8) {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.state.store(state, Ordering::Release);
        self.done.notify_all();
    }

    /// Marks the `Once` complete through `&mut` (not a step).
    fn complete_mut(&mut self) {
        *self.state.get_mut() = COMPLETE;
    }

    /// Is it complete, seen through `&mut` (not a step)?
    fn completed_mut(&mut self) -> bool {
        *self.state.get_mut() == COMPLETE
    }
}

impl Default for Once {
    #[track_caller]
    fn default() -> Self {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once").finish_non_exhaustive()
    }
}

impl OnceState {
    /// Did an earlier initializer of this `Once` panic?
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }
}

impl fmt::Debug for OnceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceState").field("poisoned", &self.poisoned).finish()
    }
}

/// A cell written at most once, as `std::sync::OnceLock`.
///
/// Reading an initialized cell is one atomic load (a step); initializing
/// runs through a [`Once`], so exactly one initializer runs. An initializer
/// that panics leaves the cell empty for the next caller, as in std.
pub struct OnceLock<T> {
    once: Once,
    /// The value: std's cell, never contended (one OS thread); `once` decides
    /// who writes it and when readers may look.
    value: std::sync::OnceLock<T>,
}

impl<T> OnceLock<T> {
    /// An empty cell.
    #[track_caller]
    pub const fn new() -> OnceLock<T> {
        OnceLock { once: Once::new(), value: std::sync::OnceLock::new() }
    }

    /// The value, if the cell is initialized.
    #[track_caller]
    pub fn get(&self) -> Option<&T> {
        if self.once.is_completed() { self.value.get() } else { None }
    }

    /// The value through `&mut`, if initialized (not a step).
    pub fn get_mut(&mut self) -> Option<&mut T> {
        if self.once.completed_mut() { self.value.get_mut() } else { None }
    }

    /// Initializes the cell with `value`, or gives it back if the cell was
    /// initialized already.
    #[track_caller]
    pub fn set(&self, value: T) -> Result<(), T> {
        let mut value = Some(value);
        self.once.call_once_force(|_| self.store(value.take().expect("runs once")));
        match value {
            None => Ok(()),
            Some(value) => Err(value),
        }
    }

    /// The value, initializing the cell with `f` first if it is empty.
    #[track_caller]
    pub fn get_or_init<F: FnOnce() -> T>(&self, f: F) -> &T {
        self.once.call_once_force(|_| self.store(f()));
        self.stored()
    }

    /// Blocks until the cell is initialized, and returns the value.
    #[track_caller]
    pub fn wait(&self) -> &T {
        self.once.wait_force();
        self.stored()
    }

    /// The value, taking the cell by value (not a step).
    pub fn into_inner(mut self) -> Option<T> {
        self.take()
    }

    /// Takes the value out, leaving the cell empty (not a step).
    #[track_caller]
    pub fn take(&mut self) -> Option<T> {
        if !self.once.completed_mut() {
            return None;
        }
        self.once = Once::new();
        self.value.take()
    }

    /// Stores the initializer's value. A cell that already holds one is a
    /// static initialized by an earlier execution (see the module doc): it
    /// keeps that value.
    fn store(&self, value: T) {
        let _ = self.value.set(value);
    }

    fn stored(&self) -> &T {
        self.value.get().expect("internal error in checker: a completed OnceLock holds a value")
    }
}

impl<T> Default for OnceLock<T> {
    #[track_caller]
    fn default() -> Self {
        OnceLock::new()
    }
}

impl<T> From<T> for OnceLock<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        let mut cell = OnceLock::new();
        cell.once.complete_mut();
        cell.store(value);
        cell
    }
}

impl<T: Clone> Clone for OnceLock<T> {
    #[track_caller]
    fn clone(&self) -> Self {
        match self.get() {
            Some(value) => OnceLock::from(value.clone()),
            None => OnceLock::new(),
        }
    }
}

impl<T: PartialEq> PartialEq for OnceLock<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceLock<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_tuple("OnceLock");
        match self.get() {
            Some(value) => d.field(value),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}

/// A value computed on first access, as `std::sync::LazyLock`.
///
/// The first [`LazyLock::force`] (or dereference) runs the function, through
/// a [`OnceLock`]; the others wait for it or read the value. If the function
/// panics, the `LazyLock` is poisoned and every later access panics.
pub struct LazyLock<T, F = fn() -> T> {
    cell: OnceLock<T>,
    /// The function, until it runs. A std mutex, never contended: the
    /// cell's `Once` decides who takes it.
    init: std::sync::Mutex<Option<F>>,
}

impl<T, F: FnOnce() -> T> LazyLock<T, F> {
    /// A `LazyLock` that computes its value with `f`.
    #[track_caller]
    pub const fn new(f: F) -> LazyLock<T, F> {
        LazyLock { cell: OnceLock::new(), init: std::sync::Mutex::new(Some(f)) }
    }

    /// The value, computing it first if no one has.
    #[track_caller]
    pub fn force(this: &LazyLock<T, F>) -> &T {
        this.cell.once.call_once_force(|_| {
            let f = this.init.lock().unwrap_or_else(PoisonError::into_inner).take();
            match f {
                Some(f) => this.cell.store(f()),
                // A static whose value an earlier execution computed (see
                // the module doc): that value stands.
                None if this.cell.value.get().is_some() => {}
                None => panic!("LazyLock instance has previously been poisoned"),
            }
        });
        this.cell.stored()
    }
}

impl<T, F: FnOnce() -> T> std::ops::Deref for LazyLock<T, F> {
    type Target = T;

    #[track_caller]
    fn deref(&self) -> &T {
        LazyLock::force(self)
    }
}

impl<T: Default> Default for LazyLock<T> {
    #[track_caller]
    fn default() -> Self {
        LazyLock::new(T::default)
    }
}

impl<T: fmt::Debug, F> fmt::Debug for LazyLock<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_tuple("LazyLock");
        match self.cell.get() {
            Some(value) => d.field(value),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}
