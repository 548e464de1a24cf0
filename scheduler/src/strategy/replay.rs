//! Replay: follow one decision path, and refuse a path that does not fit.
//!
//! Every recorded decision carries a check of what was decided there (see
//! [`crate::path`]). The replay compares it at each decision, so the first
//! point where the program now differs from the recorded run is named.
//!
//! A forked timeline is replayed from the path its root execution had made
//! when it first split, and the timeline's recipe: from each split on, the
//! decisions are drawn from that split's seed exactly as the timeline drew
//! them ([`super::random::RandomWalk::timeline`]).

use super::{Coverage, SchedulePoint, Strategy, StrategyError, StrategyErrorKind};
use crate::execution::{Execution, ValuePoint};
use crate::ids::ThreadId;
use crate::multiverse::Split;
use crate::path::{Decision, Salt};
use crate::rng::Rng;

/// Runs exactly the execution of one decision path.
pub struct Replay {
    decisions: Vec<Decision>,
    next: usize,
    done: bool,
    /// A timeline's splits, with absolute decision indexes.
    splits: Vec<Split>,
    /// Decisions made so far in the execution.
    made: usize,
    /// The split whose seed draws now, and its stream.
    walk: Option<(usize, Rng)>,
}

impl Replay {
    /// A replay of `decisions`.
    pub fn new(decisions: Vec<Decision>) -> Self {
        Replay::timeline(decisions, Vec::new())
    }

    /// A replay of a forked timeline: `decisions` up to the first split,
    /// then each split's seed from its decision index on (`splits` with
    /// absolute indexes, in order; the first at `decisions.len()`).
    pub fn timeline(decisions: Vec<Decision>, splits: Vec<Split>) -> Self {
        Replay { decisions, next: 0, done: false, splits, made: 0, walk: None }
    }

    /// The stream that draws decision `made`, if a split has started.
    fn drawing(&mut self) -> Result<Option<&mut Rng>, StrategyError> {
        let made = self.made;
        let Some(k) = self.splits.iter().rposition(|s| s.decision as usize <= made) else {
            return Ok(None);
        };
        if self.next < self.decisions.len() {
            return Err(self.mismatch(format!(
                "the recipe splits after decision {}, but the path has {} decisions before its                  first split",
                self.splits[0].decision,
                self.decisions.len()
            )));
        }
        if self.walk.as_ref().is_none_or(|(at, _)| *at != k) {
            self.walk = Some((k, Rng::new(self.splits[k].seed)));
        }
        Ok(self.walk.as_mut().map(|(_, rng)| rng))
    }

    fn mismatch(&self, message: String) -> StrategyError {
        StrategyError {
            kind: StrategyErrorKind::PathMismatch,
            message: format!(
                "the decision path does not fit this program: {message}. Was it printed by another \
                 version of the code or another test?"
            ),
        }
    }

    fn take(&mut self, at: &str) -> Result<Decision, StrategyError> {
        match self.decisions.get(self.next) {
            Some(&d) => {
                self.next += 1;
                Ok(d)
            }
            None => Err(self.mismatch(format!(
                "the path ends after {} decisions, but the program makes another one ({at})",
                self.decisions.len()
            ))),
        }
    }
}

impl Strategy for Replay {
    fn next_execution(&mut self) -> bool {
        !std::mem::replace(&mut self.done, true)
    }

    fn pick_thread(&mut self, point: &SchedulePoint<'_>) -> Result<ThreadId, StrategyError> {
        if !point.is_decision() {
            return Ok(point.eligible[0]);
        }
        if let Some(rng) = self.drawing()? {
            let thread = super::random::uniform_thread(rng, point);
            self.made += 1;
            return Ok(thread);
        }
        self.made += 1;
        let index = self.next + 1;
        let d = self.take(&format!("at step {}, which thread runs", point.step + 1))?;
        let thread =
            u32::try_from(d.value).map(ThreadId).ok().filter(|t| point.eligible.contains(t));
        let Some(thread) = thread else {
            return Err(self.mismatch(format!(
                "decision {index} (step {}) runs thread {}, which cannot run there (threads that can: {:?})",
                point.step + 1,
                d.value,
                point.eligible
            )));
        };
        let pending = point.pending(thread).expect("an eligible thread has a pending operation");
        let salt = Salt { kind: pending.op.kind_name(), location: pending.location };
        if salt.check() != d.check {
            return Err(self.mismatch(format!(
                "decision {index} (step {}) runs thread {}, which is now about to run `{}` at {}: \
                 not the operation recorded there",
                point.step + 1,
                thread.0,
                pending.op.kind_name(),
                crate::report::location(pending.location)
            )));
        }
        Ok(thread)
    }

    fn pick_value(&mut self, point: &ValuePoint, decision: usize) -> Result<u64, StrategyError> {
        if let Some(rng) = self.drawing()? {
            let value = super::random::uniform_value(rng, point);
            self.made += 1;
            return Ok(value);
        }
        self.made += 1;
        let at = crate::report::location(point.location);
        let d = self.take(&format!("a `{}` choice at {at}", point.kind.name()))?;
        let salt = Salt { kind: point.kind.name(), location: point.location };
        if d.value > point.max || salt.check() != d.check {
            return Err(self.mismatch(format!(
                "decision {} is now a `{}` choice among {} at {at}, not the one recorded there",
                decision + 1,
                point.kind.name(),
                point.options
            )));
        }
        Ok(d.value)
    }

    fn end_execution(&mut self, _execution: &Execution) -> Result<(), StrategyError> {
        if let Some(last) = self.splits.last()
            && (last.decision as usize) > self.made
        {
            return Err(self.mismatch(format!(
                "the execution finished after {} decisions, but the recipe splits after decision                  {}",
                self.made, last.decision
            )));
        }
        if self.next < self.decisions.len() {
            return Err(self.mismatch(format!(
                "the execution finished after {} decisions, but the path has {}",
                self.next,
                self.decisions.len()
            )));
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "replay"
    }

    fn coverage(&self) -> Coverage {
        Coverage::Replayed
    }
}
