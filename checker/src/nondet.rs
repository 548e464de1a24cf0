//! Nondeterministic choices that checker explores: [`choose`].
//!
//! A model that must consider several inputs, sizes or branches asks
//! `choose(n)` instead of hard-coding one: systematic strategies (DPOR,
//! DFS) run every alternative, as they run every interleaving; the random
//! and PCT strategies pick one uniformly. Each call is a data decision of
//! the calling thread, recorded in the decision path and shown in the trace
//! as `choose(n) = k` with its source location, so a failure replays
//! exactly. Compare [`crate::rand`], whose values are sampled, not
//! enumerated.

/// A value in `0..n`, every one of which systematic strategies explore.
///
/// Outside a model it returns a value of a thread-local pseudo-random
/// source (seeded from `CHECKER_SEED`, or a fixed default).
///
/// # Panics
///
/// If `n` is 0: there is nothing to choose from.
#[track_caller]
pub fn choose(n: usize) -> usize {
    assert!(n >= 1, "checker::nondet::choose(0): there must be at least one alternative");
    scheduler::rt::choose(n as u64, std::panic::Location::caller()) as usize
}

/// An element of `items`, every one of which systematic strategies explore:
/// `&items[choose(items.len())]`.
///
/// # Panics
///
/// If `items` is empty.
#[track_caller]
pub fn choose_from<T>(items: &[T]) -> &T {
    assert!(!items.is_empty(), "checker::nondet::choose_from: the slice is empty");
    &items[choose(items.len())]
}
