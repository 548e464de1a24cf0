//! The energy budget: every execution of every strategy costs one unit.
//!
//! `CHECKER_ENERGY` / `Builder::energy` bounds a run by work done rather
//! than by time: when the budget is spent the run ends "incomplete: energy
//! spent", never "verified". The counter is one `AtomicU64` holding the
//! units left, reached through a `&'static` reference: it holds no pointer
//! of its own, so the multiverse's fork loop can place it in memory mapped
//! `MAP_SHARED` before forking, and every process then draws from the same
//! budget with the same [`Energy::spend`]. Today it lives in a leaked box,
//! one small allocation per run.

use std::sync::atomic::{AtomicU64, Ordering};

/// A handle to an energy budget. Copies share the budget.
#[derive(Copy, Clone, Debug)]
pub struct Energy {
    left: &'static AtomicU64,
    /// The budget it started with, for the summary.
    total: u64,
}

impl Energy {
    /// A budget of `units`, in a counter of its own.
    pub fn new(units: u64) -> Self {
        Energy::in_counter(Box::leak(Box::new(AtomicU64::new(units))), units)
    }

    /// A budget whose counter (holding `total` units at the start) lives
    /// elsewhere, for example in memory shared between processes.
    pub fn in_counter(left: &'static AtomicU64, total: u64) -> Self {
        Energy { left, total }
    }

    /// Takes one unit; `false` (taking nothing) when none is left.
    pub fn spend(&self) -> bool {
        self.left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok()
    }

    /// The units left.
    pub fn left(&self) -> u64 {
        self.left.load(Ordering::Acquire)
    }

    /// The units the budget started with.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_spent_exactly_once_and_copies_share_them() {
        let e = Energy::new(3);
        let copy = e;
        assert!(e.spend() && copy.spend() && e.spend());
        assert!(!e.spend() && !copy.spend());
        assert_eq!((e.left(), e.total()), (0, 3));
    }
}
