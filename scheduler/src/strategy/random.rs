//! The random walk: every decision uniform.
//!
//! Each execution draws from a fresh xoshiro256** stream
//! ([`crate::rng::Rng`]) seeded from the run's seed and the execution's
//! index, so execution `i` of a run is the same whatever ran before it, and
//! the same seed gives the same executions. At a scheduling point every
//! runnable thread is equally likely; a data decision (which waiter wakes,
//! which store a load reads, `nondet::choose`, a `checker::rand` value) is
//! uniform over its alternatives. `stop_exploring` does not change it: the
//! walk never branches, so there is nothing to prune.
//!
//! It samples: it never says the model is verified. The run ends when the
//! energy (by default [`crate::config::DEFAULT_SAMPLING_ENERGY`]
//! executions) or another limit is reached, or at the first failure, whose
//! decision path replays it like any other.

use super::{Coverage, SchedulePoint, Strategy, StrategyError};
use crate::execution::{Execution, ValueKind, ValuePoint};
use crate::ids::ThreadId;
use crate::rng::{self, Rng};

/// Tells the random walk's streams apart from other uses of the seed.
const STREAM: u64 = 0x7261_6e64_6f6d; // "random"

/// The random walk.
pub struct RandomWalk {
    seed: u64,
    executions: u64,
    rng: Rng,
}

impl RandomWalk {
    /// A walk whose executions are drawn from `seed`.
    pub fn new(seed: u64) -> Self {
        RandomWalk { seed, executions: 0, rng: Rng::new(seed) }
    }
}

impl RandomWalk {
    /// The walk of one forked timeline: all its remaining decisions drawn
    /// from `seed` (one stream, not one per execution: a timeline is the
    /// rest of one execution). A recipe replay draws the same way.
    pub fn timeline(seed: u64) -> Self {
        RandomWalk { seed, executions: 0, rng: Rng::new(seed) }
    }
}

/// A uniform pick among the threads that may run (the first, without a
/// draw, when only one may).
pub(crate) fn uniform_thread(rng: &mut Rng, point: &SchedulePoint<'_>) -> ThreadId {
    if !point.is_decision() {
        return point.eligible[0];
    }
    point.eligible[rng.index(point.eligible.len())]
}

/// A uniform answer to a data decision.
pub(crate) fn uniform_value(rng: &mut Rng, point: &ValuePoint) -> u64 {
    match point.kind {
        ValueKind::Random => rng.up_to(point.max),
        ValueKind::Stall | ValueKind::SpinYield => point.sample,
        _ => rng.below(point.options),
    }
}

impl Strategy for RandomWalk {
    fn next_execution(&mut self) -> bool {
        self.rng = Rng::new(rng::derive(self.seed, &[STREAM, self.executions]));
        self.executions += 1;
        true
    }

    fn pick_thread(&mut self, point: &SchedulePoint<'_>) -> Result<ThreadId, StrategyError> {
        Ok(uniform_thread(&mut self.rng, point))
    }

    fn pick_value(&mut self, point: &ValuePoint, _decision: usize) -> Result<u64, StrategyError> {
        Ok(uniform_value(&mut self.rng, point))
    }

    fn end_execution(&mut self, _execution: &Execution) -> Result<(), StrategyError> {
        Ok(())
    }

    /// Never asked: a walk always has another execution.
    fn coverage(&self) -> Coverage {
        Coverage::Pruned(0)
    }

    fn name(&self) -> &'static str {
        "random"
    }

    fn samples(&self) -> bool {
        true
    }
}
