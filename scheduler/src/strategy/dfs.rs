//! Exhaustive depth-first search over every decision.
//!
//! The search keeps the stack of decisions of the current execution, each
//! with the alternatives it had. The next execution replays the stack up to
//! its deepest decision with an untried alternative, takes that alternative,
//! and continues with first alternatives below. With a preemption bound, a
//! decision that would preempt the running thread beyond the bound has only
//! one alternative: let it go on (yields and blocking are not preemptions).
//!
//! Where the model stopped exploring (`stop_exploring`, `skip_branch`), a
//! decision is recorded with its first alternative only: it is taken, never
//! branched on, and counted in [`Strategy::pruned_decisions`].
//!
//! `nondet::choose` is enumerated like every data decision; a
//! `checker::rand` value is not (it may have 2^64 alternatives): it takes
//! the value the engine derived from the run's seed
//! ([`ValuePoint::sample`]), as a decision with one alternative.
//!
//! Replaying the prefix also checks the model: the same decisions must lead
//! to the same alternatives, or the model depends on something checker does
//! not control.

use smallvec::SmallVec;

use super::checkpoint::{self, FormatError, Reader, Writer};
use super::{Coverage, SchedulePoint, Strategy, StrategyError};
use crate::execution::{Execution, ValueKind, ValuePoint};
use crate::ids::ThreadId;

/// One decision of the current execution.
struct Node {
    /// The alternatives (thread ids, or values), in exploration order.
    alternatives: SmallVec<[u64; 8]>,
    /// Invariant: `chosen < alternatives.len()`.
    chosen: usize,
}

/// Exhaustive depth-first search.
pub struct Dfs {
    stack: Vec<Node>,
    /// Decisions taken so far in the current execution.
    depth: usize,
    bound: Option<usize>,
    started: bool,
    /// Decisions with alternatives that were taken once, not branched on,
    /// because the model had stopped exploring there.
    pruned: u64,
}

impl Dfs {
    /// A search over every execution with at most `bound` preemptions
    /// (`None`: every execution).
    pub fn new(bound: Option<usize>) -> Self {
        Dfs { stack: Vec::new(), depth: 0, bound, started: false, pruned: 0 }
    }

    fn choose(
        &mut self,
        alternatives: SmallVec<[u64; 8]>,
        exploring: bool,
        what: &str,
    ) -> Result<u64, StrategyError> {
        debug_assert!(!alternatives.is_empty());
        if let Some(node) = self.stack.get(self.depth) {
            let same = if exploring {
                node.alternatives == alternatives
            } else {
                node.alternatives.len() == 1 && node.alternatives[0] == alternatives[0]
            };
            if !same {
                return Err(nondeterministic(format!(
                    "at decision {} the same earlier decisions gave {what} {:?} before and {:?} now",
                    self.depth + 1,
                    node.alternatives.as_slice(),
                    alternatives.as_slice()
                )));
            }
            let value = node.alternatives[node.chosen];
            self.depth += 1;
            return Ok(value);
        }
        let mut alternatives = alternatives;
        if !exploring && alternatives.len() > 1 {
            // Not explored: one choice, nothing to backtrack to.
            alternatives.truncate(1);
            self.pruned += 1;
        }
        let value = alternatives[0];
        self.stack.push(Node { alternatives, chosen: 0 });
        self.depth += 1;
        Ok(value)
    }
}

fn nondeterministic(what: String) -> StrategyError {
    StrategyError::nondeterministic(what)
}

impl Strategy for Dfs {
    fn next_execution(&mut self) -> bool {
        self.depth = 0;
        if !self.started {
            self.started = true;
            return true;
        }
        while let Some(node) = self.stack.last_mut() {
            if node.chosen + 1 < node.alternatives.len() {
                node.chosen += 1;
                return true;
            }
            self.stack.pop();
        }
        false
    }

    fn pick_thread(&mut self, point: &SchedulePoint<'_>) -> Result<ThreadId, StrategyError> {
        if !point.is_decision() {
            return Ok(point.eligible[0]);
        }
        let alternatives = point.within_bound(self.bound).iter().map(|t| u64::from(t.0)).collect();
        let exploring = point.execution().exploring();
        self.choose(alternatives, exploring, "runnable threads").map(|v| ThreadId(v as u32))
    }

    fn pick_value(&mut self, point: &ValuePoint, _decision: usize) -> Result<u64, StrategyError> {
        if point.kind.engine_decides() {
            // The engine's answer, kept for every execution that comes back
            // through this decision.
            if let Some(node) = self.stack.get(self.depth) {
                self.depth += 1;
                return Ok(node.alternatives[node.chosen]);
            }
            self.stack.push(Node { alternatives: smallvec::smallvec![point.sample], chosen: 0 });
            self.depth += 1;
            return Ok(point.sample);
        }
        if point.kind == ValueKind::Random {
            // Sampled, not enumerated: one alternative, not a pruned one.
            return self.choose(smallvec::smallvec![point.sample], true, "random value");
        }
        self.choose((0..point.options).collect(), point.exploring, "alternatives")
    }

    fn end_execution(&mut self, _execution: &Execution) -> Result<(), StrategyError> {
        if self.depth != self.stack.len() {
            return Err(nondeterministic(format!(
                "an execution ended after {} decisions where the same decisions led to {} before",
                self.depth,
                self.stack.len()
            )));
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "dfs"
    }

    fn pruned_decisions(&self) -> u64 {
        self.pruned
    }

    fn coverage(&self) -> Coverage {
        match self.bound {
            Some(b) => Coverage::ExhaustiveWithinBound(b),
            None => Coverage::Exhaustive,
        }
    }

    fn save(&self, out: &mut Writer) -> bool {
        out.record("dfs", &(self.started, self.pruned));
        for node in &self.stack {
            out.record("decision", node);
        }
        true
    }

    fn load(&mut self, input: &mut Reader<'_>) -> Result<(), FormatError> {
        (self.started, self.pruned) = input.record("dfs")?;
        self.stack = input.records("decision")?;
        if let Some(i) = self.stack.iter().position(|n| n.chosen >= n.alternatives.len()) {
            return Err(FormatError::inconsistent(format!("decision {} is out of range", i + 1)));
        }
        Ok(())
    }
}

// The state that crosses executions, for checkpoints.
checkpoint::fields!(Node { alternatives, chosen });
