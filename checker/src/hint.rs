//! Hints to the scheduler, shaped like `std::hint`.

/// Signals a spin loop: checker lets the other threads run before this one
/// goes on, as [`crate::thread::yield_now`] does. A spin loop that calls it
/// terminates under exploration; one that does not hits the step bound.
#[track_caller]
#[inline(always)]
pub fn spin_loop() {
    // In the caller's frame, before any frame of the yield: see
    // `clear_stack_for_yield`.
    scheduler::rt::clear_stack_for_yield();
    scheduler::rt::yield_now(std::panic::Location::caller());
}

/// Marks a point that cannot be reached. Unlike std's, reaching it panics
/// (and so is reported), rather than being undefined behaviour.
///
/// # Safety
///
/// None needed here: it is `unsafe` only to keep std's (and loom's)
/// signature, so that code written against std compiles unchanged.
#[track_caller]
pub unsafe fn unreachable_unchecked() -> ! {
    unreachable!("hint::unreachable_unchecked was reached")
}

pub use std::hint::black_box;
