//! Controlled randomness: random values the model checker records and
//! replays.
//!
//! Every value drawn here inside a model is ONE data decision of the
//! calling thread (one step, recorded in the decision path with its span,
//! shown in the trace), so a failing execution replays with the very same
//! values. How the value is chosen depends on the strategy:
//!
//! - DPOR and DFS do **not** enumerate random values (a `u64` has 2^64):
//!   they take one derived from the run's seed (`CHECKER_SEED`), the
//!   thread, and how many values that thread drew before. Their verdict
//!   covers every interleaving and every [`crate::nondet::choose`] for
//!   those sampled values only; the summary says so. Use `choose` for the
//!   alternatives that must all be checked.
//! - The `random` and `pct` strategies draw every value uniformly from the
//!   stream of the execution.
//!
//! Outside a model (no `checker::model` runs on this thread) the values
//! come from a thread-local xoshiro256** source seeded from `CHECKER_SEED`,
//! or a fixed default: the same code runs, reproducibly, in and out of
//! models.
//!
//! [`Rng`] is the same as a value, for code that takes a generator; with
//! the cargo feature `rand` it implements `rand_core` 0.9's `RngCore` (the
//! `rand` 0.9 traits), with `rand08` `rand_core` 0.6's (`rand` 0.8).

use std::ops::{Range, RangeInclusive};
use std::panic::Location;

/// A value in `0..=max`: one decision.
#[track_caller]
fn draw(max: u64) -> u64 {
    scheduler::rt::random(max, Location::caller())
}

/// The integer types [`range`] and [`range_inclusive`] take: those of at
/// most 64 bits. Sealed.
pub trait Int: Copy + PartialOrd + sealed::Sealed {
    /// The value mapped to `u64`, order kept (signed types are offset).
    #[doc(hidden)]
    fn to_ordered(self) -> u64;
    /// The inverse of `to_ordered`.
    #[doc(hidden)]
    fn from_ordered(v: u64) -> Self;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! ints {
    ($($t:ty, $fn:ident, $signed:expr;)*) => {$(
        impl sealed::Sealed for $t {}
        impl Int for $t {
            fn to_ordered(self) -> u64 {
                if $signed { (self as i64 as u64) ^ (1 << 63) } else { self as u64 }
            }
            fn from_ordered(v: u64) -> Self {
                if $signed { (v ^ (1 << 63)) as i64 as $t } else { v as $t }
            }
        }

        #[doc = concat!("A uniform `", stringify!($t), "` over its whole range: one decision.")]
        #[track_caller]
        pub fn $fn() -> $t {
            range_inclusive(<$t>::MIN..=<$t>::MAX)
        }
    )*};
}

ints! {
    u8, u8, false;
    u16, u16, false;
    u32, u32, false;
    u64, u64, false;
    usize, usize, false;
    i8, i8, true;
    i16, i16, true;
    i32, i32, true;
    i64, i64, true;
    isize, isize, true;
}

/// A uniform value in `lo..hi`: one decision.
///
/// # Panics
///
/// If the range is empty.
#[track_caller]
pub fn range<T: Int>(range: Range<T>) -> T {
    assert!(range.start < range.end, "checker::rand::range: the range is empty");
    let lo = range.start.to_ordered();
    let span = range.end.to_ordered() - lo;
    T::from_ordered(lo + draw(span - 1))
}

/// A uniform value in `lo..=hi`: one decision.
///
/// # Panics
///
/// If the range is empty.
#[track_caller]
pub fn range_inclusive<T: Int>(range: RangeInclusive<T>) -> T {
    let (start, end) = range.into_inner();
    assert!(start <= end, "checker::rand::range_inclusive: the range is empty");
    let lo = start.to_ordered();
    T::from_ordered(lo + draw(end.to_ordered() - lo))
}

/// A uniform `bool`: one decision.
#[track_caller]
pub fn bool() -> bool {
    draw(1) == 1
}

/// `true` with probability `p`: one decision (of 53 bits).
///
/// # Panics
///
/// If `p` is not in `[0, 1]`.
#[track_caller]
pub fn chance(p: f64) -> bool {
    assert!((0.0..=1.0).contains(&p), "checker::rand::chance({p}): p must be in [0, 1]");
    let v = draw((1 << 53) - 1);
    (v as f64) < p * (1u64 << 53) as f64
}

/// A uniform `f64` in `[0, 1)`: one decision of 53 bits.
#[track_caller]
pub fn f64() -> f64 {
    draw((1 << 53) - 1) as f64 / (1u64 << 53) as f64
}

/// A uniform `f32` in `[0, 1)`: one decision of 24 bits.
#[track_caller]
pub fn f32() -> f32 {
    draw((1 << 24) - 1) as f32 / (1u32 << 24) as f32
}

/// Fills `dest` with random bytes: one decision per 8 bytes (the last
/// covers what is left).
#[track_caller]
pub fn fill_bytes(dest: &mut [u8]) {
    let location = Location::caller();
    for chunk in dest.chunks_mut(8) {
        let max = if chunk.len() == 8 { u64::MAX } else { (1u64 << (8 * chunk.len())) - 1 };
        let word = scheduler::rt::random(max, location).to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
}

/// A random-number generator that draws from checker: every value is a
/// decision, as with this module's functions. It holds no state; any
/// number of them draw from the same source.
#[derive(Copy, Clone, Debug, Default)]
pub struct Rng {
    _private: (),
}

impl Rng {
    /// A generator.
    pub fn new() -> Self {
        Rng { _private: () }
    }

    /// A uniform `u32`: one decision.
    #[track_caller]
    pub fn next_u32(&mut self) -> u32 {
        u32()
    }

    /// A uniform `u64`: one decision.
    #[track_caller]
    pub fn next_u64(&mut self) -> u64 {
        u64()
    }

    /// A uniform `bool`: one decision.
    #[track_caller]
    pub fn bool(&mut self) -> bool {
        bool()
    }

    /// `true` with probability `p`: see [`chance`].
    #[track_caller]
    pub fn chance(&mut self, p: f64) -> bool {
        chance(p)
    }

    /// A uniform `f64` in `[0, 1)`.
    #[track_caller]
    pub fn f64(&mut self) -> f64 {
        f64()
    }

    /// A uniform `f32` in `[0, 1)`.
    #[track_caller]
    pub fn f32(&mut self) -> f32 {
        f32()
    }

    /// A uniform value in `lo..hi`: see [`range`].
    #[track_caller]
    pub fn range<T: Int>(&mut self, r: Range<T>) -> T {
        range(r)
    }

    /// A uniform value in `lo..=hi`: see [`range_inclusive`].
    #[track_caller]
    pub fn range_inclusive<T: Int>(&mut self, r: RangeInclusive<T>) -> T {
        range_inclusive(r)
    }

    /// Fills `dest`: see [`fill_bytes`].
    #[track_caller]
    pub fn fill_bytes(&mut self, dest: &mut [u8]) {
        fill_bytes(dest)
    }
}

#[cfg(feature = "rand")]
impl rand_core::RngCore for Rng {
    #[track_caller]
    fn next_u32(&mut self) -> u32 {
        u32()
    }

    #[track_caller]
    fn next_u64(&mut self) -> u64 {
        u64()
    }

    #[track_caller]
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        fill_bytes(dest)
    }
}

#[cfg(feature = "rand08")]
impl rand_core_06::RngCore for Rng {
    #[track_caller]
    fn next_u32(&mut self) -> u32 {
        u32()
    }

    #[track_caller]
    fn next_u64(&mut self) -> u64 {
        u64()
    }

    #[track_caller]
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        fill_bytes(dest)
    }

    #[track_caller]
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        fill_bytes(dest);
        Ok(())
    }
}
