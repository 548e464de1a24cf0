//! Atomic types, shaped like `std::sync::atomic`.
//!
//! Every method that reads or writes the value is a step the model checker
//! schedules. `new` is `const`, so the types can be statics; a static is
//! reset to its initial value at the start of every execution.
//!
//! Orderings mean what they mean in C++20 and Rust (the RC11 model): a load
//! may read an older store than the last one where happens-before and
//! coherence allow it, and which one it reads is a choice the model checker
//! explores. `SeqCst` accesses and fences are totally ordered. Invalid
//! orderings panic as they do in std.

use std::fmt;
use std::panic::Location;

use scheduler::ids::ObjectId;
use scheduler::op::{MemoryOrdering, Op, RmwKind, ValueType};
use scheduler::rt;
use scheduler::{LazyObject, ObjectInit, ObjectState};

pub use std::sync::atomic::Ordering;

fn ordering(order: Ordering) -> MemoryOrdering {
    match order {
        Ordering::Relaxed => MemoryOrdering::Relaxed,
        Ordering::Release => MemoryOrdering::Release,
        Ordering::Acquire => MemoryOrdering::Acquire,
        Ordering::AcqRel => MemoryOrdering::AcqRel,
        _ => MemoryOrdering::SeqCst,
    }
}

#[track_caller]
fn load_ordering(order: Ordering) -> MemoryOrdering {
    match order {
        Ordering::Release => panic!("there is no such thing as a release load"),
        Ordering::AcqRel => panic!("there is no such thing as an acquire-release load"),
        o => ordering(o),
    }
}

#[track_caller]
fn store_ordering(order: Ordering) -> MemoryOrdering {
    match order {
        Ordering::Acquire => panic!("there is no such thing as an acquire store"),
        Ordering::AcqRel => panic!("there is no such thing as an acquire-release store"),
        o => ordering(o),
    }
}

#[track_caller]
fn failure_ordering(order: Ordering) -> MemoryOrdering {
    match order {
        Ordering::Release => panic!("there is no such thing as a release failure ordering"),
        Ordering::AcqRel => panic!("there is no such thing as an acquire-release failure ordering"),
        o => ordering(o),
    }
}

/// The failure ordering `compare_and_swap` derives from its ordering.
fn derived_failure(order: Ordering) -> Ordering {
    match order {
        Ordering::Release => Ordering::Relaxed,
        Ordering::AcqRel => Ordering::Acquire,
        o => o,
    }
}

/// An atomic memory fence, with RC11's semantics: a release fence makes this
/// thread's later relaxed stores carry what it did before the fence, an
/// acquire fence acquires what its earlier relaxed loads read (neither is a
/// step), and `SeqCst` fences are also totally ordered with each other and
/// with `SeqCst` accesses (a step). An invalid ordering panics as in std.
#[track_caller]
pub fn fence(order: Ordering) {
    if order == Ordering::Relaxed {
        panic!("there is no such thing as a relaxed fence");
    }
    rt::fence(ordering(order));
}

/// Signals a busy-wait loop: a yield, as [`crate::thread::yield_now`], so
/// that a spin loop calling it terminates under exploration. Loom's
/// deprecated name for [`crate::hint::spin_loop`].
#[track_caller]
pub fn spin_loop_hint() {
    crate::thread::yield_now();
}

/// A compiler fence: nothing to do in a model.
pub fn compiler_fence(order: Ordering) {
    if order == Ordering::Relaxed {
        panic!("there is no such thing as a relaxed fence");
    }
}

/// What every atomic type shares: the slot that binds it to its object and
/// where it was created.
struct Cell {
    object: LazyObject,
    created: &'static Location<'static>,
}

impl Cell {
    #[track_caller]
    const fn new() -> Self {
        Cell { object: LazyObject::new(), created: Location::caller() }
    }

    /// The object in the running execution. A new execution starts from
    /// `initial` (the value given to `new`, or written through `get_mut`
    /// outside any model); after an in-model `get_mut`, `scratch` holds what
    /// the user wrote.
    #[inline]
    fn id(
        &self,
        type_name: &'static str,
        ty: ValueType,
        initial: impl Fn() -> u64,
        scratch: impl Fn() -> u64,
    ) -> ObjectId {
        let id = rt::object(&self.object, || ObjectInit {
            type_name,
            created: self.created,
            state: ObjectState::Atomic { value: ty.truncate(initial()), ty },
        });
        if self.object.take_dirty() {
            rt::poke(id, ty.truncate(scratch()));
        }
        id
    }
}

macro_rules! atomic_common {
    ($name:ident $(<$g:ident>)?, $prim:ty, $ty:expr, $to:expr, $from:expr) => {
        impl $(<$g>)? $name $(<$g>)? {
            #[inline]
            fn id(&self) -> ObjectId {
                self.cell.id(
                    stringify!($name),
                    $ty,
                    || $to(self.initial.load(Ordering::Relaxed)),
                    || $to(self.scratch.load(Ordering::Relaxed)),
                )
            }

            /// Loads the value.
            // What is inlined into the caller only zeroes the stack below
            // its frame where its thread may be spinning (see
            // `rt::clear_stack_at_spin_site`); the load runs in a frame of
            // its own, so that the caller's frame keeps nothing of it.
            #[inline(always)]
            #[track_caller]
            pub fn load(&self, order: Ordering) -> $prim {
                rt::clear_stack_at_spin_site(Location::caller());
                self.load_here(order)
            }

            #[inline(never)]
            #[track_caller]
            fn load_here(&self, order: Ordering) -> $prim {
                $from(rt::load(self.id(), load_ordering(order), Location::caller()))
            }

            /// Stores a value.
            #[track_caller]
            pub fn store(&self, val: $prim, order: Ordering) {
                let value = $ty.truncate($to(val));
                let op = Op::Store { object: self.id(), ordering: store_ordering(order), value };
                rt::perform(op, Location::caller());
            }

            /// Stores a value, returning the previous one.
            #[track_caller]
            pub fn swap(&self, val: $prim, order: Ordering) -> $prim {
                let operand = $ty.truncate($to(val));
                let op = Op::Rmw {
                    object: self.id(),
                    ordering: ordering(order),
                    kind: RmwKind::Swap,
                    operand,
                };
                $from(rt::perform(op, Location::caller()).value())
            }

            // As `load`.
            #[inline(always)]
            #[track_caller]
            fn exchange(
                &self,
                current: $prim,
                new: $prim,
                success: Ordering,
                failure: Ordering,
                weak: bool,
            ) -> Result<$prim, $prim> {
                rt::clear_stack_at_spin_site(Location::caller());
                match self.exchange_here(current, new, [success, failure], weak) {
                    [1, previous] => Ok($from(previous)),
                    [_, previous] => Err($from(previous)),
                }
            }

            /// The compare-exchange: whether it succeeded (1 or 0) and the
            /// value it found.
            #[inline(never)]
            #[track_caller]
            fn exchange_here(
                &self,
                current: $prim,
                new: $prim,
                [success, failure]: [Ordering; 2],
                weak: bool,
            ) -> [u64; 2] {
                rt::compare_exchange(
                    self.id(),
                    [ordering(success), failure_ordering(failure)],
                    $ty.truncate($to(current)),
                    $ty.truncate($to(new)),
                    weak,
                    Location::caller(),
                )
            }

            /// Stores `new` if the value is `current`; returns the previous
            /// value, `Ok` if it was replaced.
            #[inline(always)]
            #[track_caller]
            pub fn compare_exchange(
                &self,
                current: $prim,
                new: $prim,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$prim, $prim> {
                self.exchange(current, new, success, failure, false)
            }

            /// As [`Self::compare_exchange`]. std allows this form to fail
            /// spuriously; this version never does.
            #[inline(always)]
            #[track_caller]
            pub fn compare_exchange_weak(
                &self,
                current: $prim,
                new: $prim,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$prim, $prim> {
                self.exchange(current, new, success, failure, true)
            }

            /// Stores `new` if the value is `current`; returns the previous value.
            /// Deprecated in std, not here: loom keeps it undeprecated, and a
            /// loom test built with `#![deny(warnings)]` must still compile.
            #[track_caller]
            pub fn compare_and_swap(&self, current: $prim, new: $prim, order: Ordering) -> $prim {
                match self.exchange(current, new, order, derived_failure(order), false) {
                    Ok(v) | Err(v) => v,
                }
            }

            /// Applies `f` until it returns `None` or a compare-exchange of its
            /// result succeeds. Each attempt is a load and a compare-exchange.
            #[track_caller]
            pub fn fetch_update<F>(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                mut f: F,
            ) -> Result<$prim, $prim>
            where
                F: FnMut($prim) -> Option<$prim>,
            {
                let mut prev = self.load(fetch_order);
                while let Some(next) = f(prev) {
                    match self.compare_exchange_weak(prev, next, set_order, fetch_order) {
                        Ok(v) => return Ok(v),
                        Err(v) => prev = v,
                    }
                }
                Err(prev)
            }

            /// Reads the value without synchronisation, as a plain memory read
            /// (loom's API). Not a step. A data race with any write to the
            /// atomic that this read is not ordered after (by happens-before),
            /// or with a later write not ordered after it, fails the execution.
            ///
            /// # Safety
            ///
            /// A racing non-atomic read is undefined behaviour: the caller
            /// must ensure no write can race with it. checker checks that.
            #[track_caller]
            pub unsafe fn unsync_load(&self) -> $prim {
                $from(rt::unsync_load(self.id(), Location::caller()))
            }

            /// The value, taking the atomic by value (not a step).
            pub fn into_inner(self) -> $prim {
                if rt::in_model() {
                    let id = self.id();
                    return $from(rt::peek(id));
                }
                self.initial.into_inner()
            }

            /// A mutable reference to the value (not a step: `&mut self`
            /// excludes every other access). Outside a model, it changes the
            /// value later executions start from.
            pub fn get_mut(&mut self) -> &mut $prim {
                if !rt::in_model() {
                    return self.initial.get_mut();
                }
                let id = self.id();
                self.scratch.store($from(rt::peek(id)), Ordering::Relaxed);
                self.cell.object.set_dirty();
                self.scratch.get_mut()
            }

            /// Runs `f` on the value through `&mut` (loom's API).
            pub fn with_mut<R>(&mut self, f: impl FnOnce(&mut $prim) -> R) -> R {
                f(self.get_mut())
            }
        }

        impl $(<$g>)? fmt::Debug for $name $(<$g>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.load(Ordering::Relaxed), f)
            }
        }
    };
}

macro_rules! atomic_int {
    ($(#[$doc:meta])* $name:ident, $prim:ty, $std:ty, $ty:expr) => {
        $(#[$doc])*
        pub struct $name {
            /// The value every execution starts from.
            initial: $std,
            /// What an in-model `get_mut` hands out; copied into the engine
            /// at the next access.
            scratch: $std,
            cell: Cell,
        }

        impl $name {
            /// A new atomic holding `v`.
            #[track_caller]
            pub const fn new(v: $prim) -> Self {
                $name { initial: <$std>::new(v), scratch: <$std>::new(v), cell: Cell::new() }
            }

            #[track_caller]
            fn rmw(&self, kind: RmwKind, val: $prim, order: Ordering) -> $prim {
                let operand = $ty.truncate(val as u64);
                let op = Op::Rmw { object: self.id(), ordering: ordering(order), kind, operand };
                rt::perform(op, Location::caller()).value() as $prim
            }

            /// Adds to the value (wrapping), returning the previous value.
            #[track_caller]
            pub fn fetch_add(&self, val: $prim, order: Ordering) -> $prim {
                self.rmw(RmwKind::Add, val, order)
            }

            /// Subtracts from the value (wrapping), returning the previous value.
            #[track_caller]
            pub fn fetch_sub(&self, val: $prim, order: Ordering) -> $prim {
                self.rmw(RmwKind::Sub, val, order)
            }

            /// Bitwise and, returning the previous value.
            #[track_caller]
            pub fn fetch_and(&self, val: $prim, order: Ordering) -> $prim {
                self.rmw(RmwKind::And, val, order)
            }

            /// Bitwise nand, returning the previous value.
            #[track_caller]
            pub fn fetch_nand(&self, val: $prim, order: Ordering) -> $prim {
                self.rmw(RmwKind::Nand, val, order)
            }

            /// Bitwise or, returning the previous value.
            #[track_caller]
            pub fn fetch_or(&self, val: $prim, order: Ordering) -> $prim {
                self.rmw(RmwKind::Or, val, order)
            }

            /// Bitwise xor, returning the previous value.
            #[track_caller]
            pub fn fetch_xor(&self, val: $prim, order: Ordering) -> $prim {
                self.rmw(RmwKind::Xor, val, order)
            }

            /// Maximum, returning the previous value.
            #[track_caller]
            pub fn fetch_max(&self, val: $prim, order: Ordering) -> $prim {
                self.rmw(RmwKind::Max, val, order)
            }

            /// Minimum, returning the previous value.
            #[track_caller]
            pub fn fetch_min(&self, val: $prim, order: Ordering) -> $prim {
                self.rmw(RmwKind::Min, val, order)
            }
        }

        atomic_common!($name, $prim, $ty, |v: $prim| v as u64, |v: u64| v as $prim);

        impl Default for $name {
            #[track_caller]
            fn default() -> Self {
                Self::new(0)
            }
        }

        impl From<$prim> for $name {
            #[track_caller]
            fn from(v: $prim) -> Self {
                Self::new(v)
            }
        }
    };
}

atomic_int!(
    /// An `u8` shared between threads, as `std::sync::atomic::AtomicU8`.
    AtomicU8, u8, std::sync::atomic::AtomicU8, ValueType::Unsigned(8)
);
atomic_int!(
    /// An `u16` shared between threads, as `std::sync::atomic::AtomicU16`.
    AtomicU16, u16, std::sync::atomic::AtomicU16, ValueType::Unsigned(16)
);
atomic_int!(
    /// An `u32` shared between threads, as `std::sync::atomic::AtomicU32`.
    AtomicU32, u32, std::sync::atomic::AtomicU32, ValueType::Unsigned(32)
);
atomic_int!(
    /// An `u64` shared between threads, as `std::sync::atomic::AtomicU64`.
    AtomicU64, u64, std::sync::atomic::AtomicU64, ValueType::Unsigned(64)
);
atomic_int!(
    /// An `usize` shared between threads, as `std::sync::atomic::AtomicUsize`.
    AtomicUsize, usize, std::sync::atomic::AtomicUsize, ValueType::Unsigned(usize::BITS as u8)
);
atomic_int!(
    /// An `i8` shared between threads, as `std::sync::atomic::AtomicI8`.
    AtomicI8, i8, std::sync::atomic::AtomicI8, ValueType::Signed(8)
);
atomic_int!(
    /// An `i16` shared between threads, as `std::sync::atomic::AtomicI16`.
    AtomicI16, i16, std::sync::atomic::AtomicI16, ValueType::Signed(16)
);
atomic_int!(
    /// An `i32` shared between threads, as `std::sync::atomic::AtomicI32`.
    AtomicI32, i32, std::sync::atomic::AtomicI32, ValueType::Signed(32)
);
atomic_int!(
    /// An `i64` shared between threads, as `std::sync::atomic::AtomicI64`.
    AtomicI64, i64, std::sync::atomic::AtomicI64, ValueType::Signed(64)
);
atomic_int!(
    /// An `isize` shared between threads, as `std::sync::atomic::AtomicIsize`.
    AtomicIsize, isize, std::sync::atomic::AtomicIsize, ValueType::Signed(isize::BITS as u8)
);

/// A `bool` shared between threads, as `std::sync::atomic::AtomicBool`.
pub struct AtomicBool {
    initial: std::sync::atomic::AtomicBool,
    scratch: std::sync::atomic::AtomicBool,
    cell: Cell,
}

impl AtomicBool {
    /// A new atomic holding `v`.
    #[track_caller]
    pub const fn new(v: bool) -> Self {
        AtomicBool {
            initial: std::sync::atomic::AtomicBool::new(v),
            scratch: std::sync::atomic::AtomicBool::new(v),
            cell: Cell::new(),
        }
    }

    #[track_caller]
    fn rmw(&self, kind: RmwKind, val: bool, order: Ordering) -> bool {
        let op =
            Op::Rmw { object: self.id(), ordering: ordering(order), kind, operand: u64::from(val) };
        rt::perform(op, Location::caller()).value() != 0
    }

    /// Logical and, returning the previous value.
    #[track_caller]
    pub fn fetch_and(&self, val: bool, order: Ordering) -> bool {
        self.rmw(RmwKind::And, val, order)
    }

    /// Logical nand, returning the previous value.
    #[track_caller]
    pub fn fetch_nand(&self, val: bool, order: Ordering) -> bool {
        self.rmw(RmwKind::Nand, val, order)
    }

    /// Logical or, returning the previous value.
    #[track_caller]
    pub fn fetch_or(&self, val: bool, order: Ordering) -> bool {
        self.rmw(RmwKind::Or, val, order)
    }

    /// Logical xor, returning the previous value.
    #[track_caller]
    pub fn fetch_xor(&self, val: bool, order: Ordering) -> bool {
        self.rmw(RmwKind::Xor, val, order)
    }

    /// Logical not, returning the previous value.
    #[track_caller]
    pub fn fetch_not(&self, order: Ordering) -> bool {
        self.rmw(RmwKind::Xor, true, order)
    }
}

atomic_common!(AtomicBool, bool, ValueType::Bool, u64::from, |v: u64| v != 0);

impl Default for AtomicBool {
    #[track_caller]
    fn default() -> Self {
        Self::new(false)
    }
}

impl From<bool> for AtomicBool {
    #[track_caller]
    fn from(v: bool) -> Self {
        Self::new(v)
    }
}

/// A raw pointer shared between threads, as `std::sync::atomic::AtomicPtr`.
///
/// Addresses travel through the engine as integers with exposed provenance.
pub struct AtomicPtr<T> {
    initial: std::sync::atomic::AtomicPtr<T>,
    scratch: std::sync::atomic::AtomicPtr<T>,
    cell: Cell,
}

fn addr<T>(p: *mut T) -> u64 {
    p.expose_provenance() as u64
}

fn ptr<T>(a: u64) -> *mut T {
    std::ptr::with_exposed_provenance_mut(a as usize)
}

impl<T> AtomicPtr<T> {
    /// A new atomic holding `p`.
    #[track_caller]
    pub const fn new(p: *mut T) -> Self {
        AtomicPtr {
            initial: std::sync::atomic::AtomicPtr::new(p),
            scratch: std::sync::atomic::AtomicPtr::new(p),
            cell: Cell::new(),
        }
    }

    #[track_caller]
    fn rmw(&self, kind: RmwKind, operand: u64, order: Ordering) -> *mut T {
        let op = Op::Rmw { object: self.id(), ordering: ordering(order), kind, operand };
        ptr(rt::perform(op, Location::caller()).value())
    }

    /// Offsets the pointer by `val` elements of `T` (wrapping), returning
    /// the previous pointer.
    #[track_caller]
    pub fn fetch_ptr_add(&self, val: usize, order: Ordering) -> *mut T {
        self.fetch_byte_add(val.wrapping_mul(size_of::<T>()), order)
    }

    /// Offsets the pointer back by `val` elements of `T` (wrapping).
    #[track_caller]
    pub fn fetch_ptr_sub(&self, val: usize, order: Ordering) -> *mut T {
        self.fetch_byte_sub(val.wrapping_mul(size_of::<T>()), order)
    }

    /// Offsets the pointer by `val` bytes (wrapping).
    #[track_caller]
    pub fn fetch_byte_add(&self, val: usize, order: Ordering) -> *mut T {
        self.rmw(RmwKind::Add, val as u64, order)
    }

    /// Offsets the pointer back by `val` bytes (wrapping).
    #[track_caller]
    pub fn fetch_byte_sub(&self, val: usize, order: Ordering) -> *mut T {
        self.rmw(RmwKind::Sub, val as u64, order)
    }

    /// Bitwise or on the address, returning the previous pointer.
    #[track_caller]
    pub fn fetch_or(&self, val: usize, order: Ordering) -> *mut T {
        self.rmw(RmwKind::Or, val as u64, order)
    }

    /// Bitwise and on the address, returning the previous pointer.
    #[track_caller]
    pub fn fetch_and(&self, val: usize, order: Ordering) -> *mut T {
        self.rmw(RmwKind::And, val as u64, order)
    }

    /// Bitwise xor on the address, returning the previous pointer.
    #[track_caller]
    pub fn fetch_xor(&self, val: usize, order: Ordering) -> *mut T {
        self.rmw(RmwKind::Xor, val as u64, order)
    }
}

atomic_common!(AtomicPtr<T>, *mut T, ValueType::Pointer, addr, ptr);

impl<T> Default for AtomicPtr<T> {
    #[track_caller]
    fn default() -> Self {
        Self::new(std::ptr::null_mut())
    }
}

impl<T> From<*mut T> for AtomicPtr<T> {
    #[track_caller]
    fn from(p: *mut T) -> Self {
        Self::new(p)
    }
}
