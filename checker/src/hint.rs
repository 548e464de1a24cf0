//! Hints to the scheduler, shaped like `std::hint`.

/// Signals a spin loop: checker lets the other threads run before this one
/// goes on, as [`crate::thread::yield_now`] does. A spin loop that calls it
/// terminates under exploration; one that does not hits the step bound.
#[track_caller]
pub fn spin_loop() {
    scheduler::rt::yield_now(std::panic::Location::caller());
}
