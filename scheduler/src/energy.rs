//! The energy budget: every execution of every strategy costs one unit.
//!
//! `CHECKER_ENERGY` / `Builder::energy` bounds a run by work done rather
//! than by time: when the budget is spent the run ends "incomplete: energy
//! spent", never "verified". The counter is one `AtomicU64` holding the
//! units left: in a box of its own for a run in one process, or in the
//! multiverse's shared region ([`crate::multiverse::Shared`]) when the run
//! splits timelines, so that every process draws from the same budget with
//! the same [`Energy::spend`], and every forked timeline costs one unit too.

use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::multiverse::Shared;

/// A handle to an energy budget. Clones share the budget.
#[derive(Clone, Debug)]
pub struct Energy {
    left: Counter,
    /// The budget it started with, for the summary.
    total: u64,
}

#[derive(Clone, Debug)]
enum Counter {
    Local(Rc<AtomicU64>),
    Shared(Shared),
}

impl Energy {
    /// A budget of `units`, in a counter of its own.
    pub fn new(units: u64) -> Self {
        Energy { left: Counter::Local(Rc::new(AtomicU64::new(units))), total: units }
    }

    /// The budget of a run that splits timelines: the shared region's
    /// counter, which held `total` units at the start.
    pub fn shared(shared: Shared, total: u64) -> Self {
        Energy { left: Counter::Shared(shared), total }
    }

    /// Takes one unit; `false` (taking nothing) when none is left.
    pub fn spend(&self) -> bool {
        match &self.left {
            Counter::Local(left) => {
                left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok()
            }
            Counter::Shared(shared) => shared.take_energy(),
        }
    }

    /// The units left.
    pub fn left(&self) -> u64 {
        match &self.left {
            Counter::Local(left) => left.load(Ordering::Acquire),
            Counter::Shared(shared) => shared.energy_left(),
        }
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
    fn units_are_spent_exactly_once_and_clones_share_them() {
        let e = Energy::new(3);
        let copy = e.clone();
        assert!(e.spend() && copy.spend() && e.spend());
        assert!(!e.spend() && !copy.spend());
        assert_eq!((e.left(), e.total()), (0, 3));
    }
}
