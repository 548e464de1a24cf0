//! Replay: follow one decision path, and refuse a path that does not fit.
//!
//! Every recorded decision carries a check of what was decided there (see
//! [`crate::path`]). The replay compares it at each decision, so the first
//! point where the program now differs from the recorded run is named.
//!
//! A forked timeline is replayed from the path its root execution had made
//! when it first split, and the timeline's recipe: from each split on, the
//! decisions are drawn from that split's seed by that split's walk exactly
//! as the timeline drew them ([`crate::timelines::walker`]).

use super::{Coverage, SchedulePoint, Strategy, StrategyError, StrategyErrorKind};
use crate::execution::{Execution, ValuePoint};
use crate::ids::ThreadId;
use crate::multiverse::Split;
use crate::path::{Decision, Salt};

/// Runs exactly the execution of one decision path.
pub struct Replay {
    decisions: Vec<Decision>,
    next: usize,
    done: bool,
    /// A timeline's splits, with absolute decision indexes.
    splits: Vec<Split>,
    /// Decisions made so far in the execution.
    made: usize,
    /// Per split, its walk's tag (`None`: uniform).
    walks: Vec<Option<String>>,
    /// The split whose walk draws now, and the walker.
    walk: Option<(usize, Box<dyn Strategy>)>,
}

impl Replay {
    /// A replay of `decisions`.
    pub fn new(decisions: Vec<Decision>) -> Self {
        Replay::timeline(decisions, Vec::new(), Vec::new())
    }

    /// A replay of a forked timeline: `decisions` up to the first split,
    /// then each split's seed from its decision index on (`splits` with
    /// absolute indexes, in order; the first at `decisions.len()`), with
    /// the walk each split's tag in `walks` names.
    pub fn timeline(
        decisions: Vec<Decision>,
        splits: Vec<Split>,
        walks: Vec<Option<String>>,
    ) -> Self {
        Replay { decisions, next: 0, done: false, splits, made: 0, walks, walk: None }
    }

    /// The walker that draws decision `made`, if a split has started.
    fn drawing(&mut self) -> Result<Option<&mut dyn Strategy>, StrategyError> {
        let made = self.made;
        let Some(k) = self.splits.iter().rposition(|s| s.decision as usize <= made) else {
            return Ok(None);
        };
        if self.next < self.decisions.len() {
            return Err(self.mismatch(format!(
                "the recipe splits after decision {}, but the path has {} decisions before its \
                 first split",
                self.splits[0].decision,
                self.decisions.len()
            )));
        }
        if self.walk.as_ref().is_none_or(|(at, _)| *at != k) {
            let tag = self.walks.get(k).and_then(|w| w.as_deref());
            let walker = crate::timelines::walker(tag, self.splits[k].seed)
                .map_err(|e| self.mismatch(format!("split {} of the recipe: {e}", k + 1)))?;
            self.walk = Some((k, walker));
        }
        Ok(self.walk.as_mut().map(|(_, w)| &mut **w as &mut dyn Strategy))
    }

    fn mismatch(&self, message: String) -> StrategyError {
        StrategyError {
            kind: StrategyErrorKind::PathMismatch,
            message: format!(
                "the decision path does not fit this program: {message}. Was it printed by another \
                 version of the code or another test, or run with other settings (replay it with \
                 the whole printed command)?"
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
        // A walker sees every point from its split on, as it did in the
        // forked timeline (a point without a choice changes nothing of a
        // walker's state but what it will answer next).
        if let Some(walker) = self.drawing()? {
            let thread = walker.pick_thread(point)?;
            self.made += usize::from(point.is_decision());
            return Ok(thread);
        }
        if !point.is_decision() {
            return Ok(point.eligible[0]);
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

    fn pick_value_in(
        &mut self,
        execution: &Execution,
        point: &ValuePoint,
        decision: usize,
    ) -> Result<u64, StrategyError> {
        if let Some(walker) = self.drawing()? {
            let value = walker.pick_value_in(execution, point, decision)?;
            self.made += 1;
            return Ok(value);
        }
        self.pick_value(point, decision)
    }

    fn pick_value(&mut self, point: &ValuePoint, decision: usize) -> Result<u64, StrategyError> {
        if let Some(walker) = self.drawing()? {
            let value = walker.pick_value(point, decision)?;
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
                "the execution finished after {} decisions, but the recipe splits after decision \
                 {}",
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
