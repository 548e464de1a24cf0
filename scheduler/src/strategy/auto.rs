//! `auto`: systematic first, then sampling.
//!
//! A run first explores with DPOR (bounded by the configured preemption
//! bound, if any) for at most its share of the energy, half the budget. If
//! DPOR finishes within it, the run is verified as DPOR's would be. If not,
//! the rest of the energy goes to the reads-from fuzzer ([`super::rff`]),
//! with the multiverse's splitting on: the run then samples and is never
//! reported verified. The summary says which phases ran and how many
//! executions each took.
//!
//! Deviation from issue 7's sketch: DPOR's executions may split timelines
//! at discoveries too (splitting is on for the whole run), so DPOR's phase
//! spends some of its share on forked timelines.

use super::dpor::Dpor;
use super::rff::Rff;
use super::{Coverage, SchedulePoint, Strategy, StrategyError};
use crate::execution::{Execution, ValuePoint};
use crate::ids::ThreadId;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Phase {
    Dpor,
    Rff,
}

/// DPOR for a share of the energy, then RFF.
pub struct Auto {
    dpor: Dpor,
    rff: Rff,
    /// Executions DPOR may run.
    share: u64,
    phase: Phase,
    dpor_executions: u64,
    rff_executions: u64,
}

impl Auto {
    /// DPOR (under `bound`) for at most `share` executions, then RFF from
    /// `seed`.
    pub fn new(bound: Option<usize>, seed: u64, share: u64) -> Self {
        Auto {
            dpor: Dpor::new(bound),
            rff: Rff::new(seed),
            share,
            phase: Phase::Dpor,
            dpor_executions: 0,
            rff_executions: 0,
        }
    }

    fn current(&mut self) -> &mut dyn Strategy {
        match self.phase {
            Phase::Dpor => &mut self.dpor,
            Phase::Rff => &mut self.rff,
        }
    }
}

impl Strategy for Auto {
    fn next_execution(&mut self) -> bool {
        if self.phase == Phase::Dpor {
            if self.dpor_executions >= self.share {
                self.phase = Phase::Rff;
            } else if self.dpor.next_execution() {
                self.dpor_executions += 1;
                return true;
            } else {
                // DPOR finished within its share: the run is verified.
                return false;
            }
        }
        self.rff_executions += 1;
        self.rff.next_execution()
    }

    fn pick_thread(&mut self, point: &SchedulePoint<'_>) -> Result<ThreadId, StrategyError> {
        self.current().pick_thread(point)
    }

    fn pick_value(&mut self, point: &ValuePoint, decision: usize) -> Result<u64, StrategyError> {
        self.current().pick_value(point, decision)
    }

    fn pick_value_in(
        &mut self,
        execution: &Execution,
        point: &ValuePoint,
        decision: usize,
    ) -> Result<u64, StrategyError> {
        self.current().pick_value_in(execution, point, decision)
    }

    fn timeline_walk(&self) -> Option<String> {
        match self.phase {
            Phase::Dpor => self.dpor.timeline_walk(),
            Phase::Rff => self.rff.timeline_walk(),
        }
    }

    fn end_execution(&mut self, execution: &Execution) -> Result<(), StrategyError> {
        self.current().end_execution(execution)
    }

    fn coverage(&self) -> Coverage {
        match self.phase {
            Phase::Dpor => self.dpor.coverage(),
            Phase::Rff => self.rff.coverage(),
        }
    }

    fn name(&self) -> &'static str {
        "auto"
    }

    fn samples(&self) -> bool {
        self.phase == Phase::Rff
    }

    /// Only the RFF phase splits: DPOR's share is for finishing.
    fn splits_now(&self) -> bool {
        self.phase == Phase::Rff
    }

    fn redundant_executions(&self) -> u64 {
        self.dpor.redundant_executions()
    }

    fn pruned_decisions(&self) -> u64 {
        self.dpor.pruned_decisions()
    }

    fn phases(&self) -> Option<String> {
        Some(match self.phase {
            Phase::Dpor => format!("dpor: {} execution(s), finished", self.dpor_executions),
            Phase::Rff => format!(
                "dpor: {} execution(s), not finished within its share; then rff: {} execution(s)",
                self.dpor_executions, self.rff_executions
            ),
        })
    }
}
