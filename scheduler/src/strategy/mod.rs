//! Exploration strategies: who decides what at every decision point.
//!
//! A [`Strategy`] answers every decision of an execution: which thread runs
//! next ([`Strategy::pick_thread`]), and which alternative a data decision
//! takes ([`Strategy::pick_value`]). It sees the pending operation of every
//! thread before it chooses, which is what dynamic partial-order reduction
//! needs and what a scheduler that only sees thread ids cannot do.
//!
//! One strategy per module:
//! - [`dfs`]: exhaustive depth-first search over every decision, with an
//!   optional preemption bound.
//! - [`replay`]: follows one recorded decision path and refuses one that
//!   does not fit the program.
//! - [`dpor`]: source-set dynamic partial-order reduction with sleep sets,
//!   optionally preemption-bounded; the default.
//! - [`random`]: a uniform random walk over every decision (samples).
//! - [`pct`]: probabilistic concurrency testing, random priorities with
//!   change points (samples).
//! - [`pos`]: partial order sampling, random priorities per step, re-drawn
//!   for the steps that race with the one that ran (samples).
//! - [`rff`]: reads-from fuzzing, POS steered by reads-from constraints
//!   mutated from the schedules that reached new edges (samples).

pub mod auto;
pub mod checkpoint;
pub mod dfs;
pub mod dpor;
pub mod pct;
pub mod pos;
pub mod random;
pub mod replay;
pub mod rff;

use std::fmt;

use crate::execution::{Execution, ValuePoint};
use crate::ids::ThreadId;
use crate::op::Pending;

/// A scheduling decision: which of `eligible` runs next.
pub struct SchedulePoint<'a> {
    execution: &'a Execution,
    /// The threads that may run (at least one), the last-run thread first
    /// when it may go on. With one, the point is not a decision of the path.
    pub eligible: &'a [ThreadId],
    /// The thread that took the previous step.
    pub last: Option<ThreadId>,
    /// The last-run thread, if it may go on without a preemption.
    pub continuing: Option<ThreadId>,
    /// Preemptions so far in this execution.
    pub preemptions: usize,
    /// Steps so far in this execution.
    pub step: usize,
    /// Decisions so far in this execution (this one's index).
    pub decision: usize,
}

impl SchedulePoint<'_> {
    /// The execution so far: its trace, its steps.
    pub fn execution(&self) -> &Execution {
        self.execution
    }

    /// Is this point a decision of the path (more than one thread may run)?
    pub fn is_decision(&self) -> bool {
        self.eligible.len() > 1
    }
}

impl<'a> SchedulePoint<'a> {
    pub(crate) fn new(
        execution: &'a Execution,
        eligible: &'a [ThreadId],
        last: Option<ThreadId>,
        preemptions: usize,
        step: usize,
        decision: usize,
    ) -> Self {
        let continuing =
            last.filter(|&l| eligible.contains(&l) && !execution.threads[l.index()].yielded);
        SchedulePoint { execution, eligible, last, continuing, preemptions, step, decision }
    }

    /// The operation `thread` will run if picked.
    pub fn pending(&self, thread: ThreadId) -> Option<&Pending> {
        self.execution.threads.get(thread.index())?.pending.as_ref()
    }

    /// Would picking `thread` preempt the running thread?
    pub fn is_preemption(&self, thread: ThreadId) -> bool {
        self.continuing.is_some_and(|c| c != thread)
    }

    /// The threads a strategy bounded to `bound` preemptions may pick.
    pub fn within_bound(&self, bound: Option<usize>) -> &[ThreadId] {
        match (bound, self.continuing) {
            (Some(b), Some(_)) if self.preemptions >= b => &self.eligible[..1],
            _ => self.eligible,
        }
    }
}

/// What an exhausted strategy has covered.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// Every execution of the model.
    Exhaustive,
    /// Every execution with at most this many preemptions.
    ExhaustiveWithinBound(usize),
    /// The one execution a decision path describes.
    Replayed,
    /// What the strategy covers, except the alternatives of this many
    /// decisions the model asked not to explore (`stop_exploring`,
    /// `skip_branch`): not exhaustive.
    Pruned(u64),
}

/// A strategy could not go on.
#[derive(Clone, Debug)]
pub struct StrategyError {
    /// Why.
    pub kind: StrategyErrorKind,
    /// In words, for the user.
    pub message: String,
}

impl StrategyError {
    /// The same decisions led to different choices; `what` says where and
    /// how. The engine words it for the user: a nondeterministic model, or
    /// a checkpoint of another model.
    pub fn nondeterministic(what: String) -> StrategyError {
        StrategyError { kind: StrategyErrorKind::Nondeterministic, message: what }
    }
}

/// The reasons a strategy stops with an error.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StrategyErrorKind {
    /// The same decisions led to different choices: the model depends on
    /// something checker does not control (or, on the first execution
    /// resumed from a checkpoint, the checkpoint is another model's). The
    /// message says only what differed.
    Nondeterministic,
    /// A replayed decision path does not fit the program.
    PathMismatch,
}

impl fmt::Display for StrategyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Decides every decision of the executions of one model run.
pub trait Strategy {
    /// Prepares the next execution; `false` when the exploration is complete.
    fn next_execution(&mut self) -> bool;

    /// Picks the thread that takes the next step, among `point.eligible`.
    /// Called at every step, also where only one thread may run.
    fn pick_thread(&mut self, point: &SchedulePoint<'_>) -> Result<ThreadId, StrategyError>;

    /// Picks an alternative in `0..point.options` for a data decision.
    /// `decision` is its index among the execution's decisions.
    fn pick_value(&mut self, point: &ValuePoint, decision: usize) -> Result<u64, StrategyError>;

    /// [`Strategy::pick_value`], seeing the execution: a strategy that
    /// steers reads-from decisions asks it which store each option reads
    /// ([`Execution::read_sources`]). By default, `pick_value`.
    fn pick_value_in(
        &mut self,
        execution: &Execution,
        point: &ValuePoint,
        decision: usize,
    ) -> Result<u64, StrategyError> {
        let _ = execution;
        self.pick_value(point, decision)
    }

    /// The execution ended (passed); `execution` holds everything it did.
    fn end_execution(&mut self, execution: &Execution) -> Result<(), StrategyError>;

    /// What the exploration covers once [`Strategy::next_execution`] said no.
    fn coverage(&self) -> Coverage;

    /// Does it sample executions (random, PCT, POS, RFF) rather than
    /// cover a space? A sampling run never says "verified".
    fn samples(&self) -> bool {
        false
    }

    /// How a forked timeline of the running execution draws its remaining
    /// decisions: a walk tag of its recipe (`pos`, or RFF's constraints;
    /// see [`crate::timelines::walker`]), `None` for a uniform random walk
    /// (the default). The walk must be a function of the tag, the
    /// timeline's seed and the execution so far, so that the recipe
    /// replays it.
    fn timeline_walk(&self) -> Option<String> {
        None
    }

    /// May the running execution split at a discovery (when the run
    /// splits at all)? `auto` says no while DPOR runs: its share of the
    /// energy is for finishing, which is what verifies.
    fn splits_now(&self) -> bool {
        true
    }

    /// For a strategy of several phases (`auto`): which ran, and how far.
    fn phases(&self) -> Option<String> {
        None
    }

    /// How many first steps of the execution [`Strategy::next_execution`]
    /// just began repeat the previous execution's, decided the same way:
    /// the engine may restore them from a snapshot instead of executing
    /// them, and then calls [`Strategy::skip_to`]. `None`: the strategy
    /// does not know (no fast replay).
    fn replay_prefix(&self) -> Option<usize> {
        None
    }

    /// The engine restored the running execution's first `steps` steps
    /// (within [`Strategy::replay_prefix`]) without asking for them: take
    /// them as decided, as if `pick_thread` and `pick_value` had been asked
    /// for each and had answered as in the previous execution.
    fn skip_to(&mut self, steps: usize, execution: &Execution) {
        let _ = (steps, execution);
        unreachable!("a strategy without a replay prefix is not fast forwarded")
    }

    /// The strategy's name, for summaries: `dpor`, `dfs`, `replay`.
    fn name(&self) -> &'static str;

    /// Executions run to their end that could not add anything (a reduction
    /// found them equivalent to explored ones only after they started).
    fn redundant_executions(&self) -> u64 {
        0
    }

    /// Decisions with alternatives that were taken once and not branched on
    /// because the model had stopped exploring (`stop_exploring`,
    /// `skip_branch`). Non-zero means the search was not exhaustive.
    fn pruned_decisions(&self) -> u64 {
        0
    }

    /// Writes, for a checkpoint, the state that crosses execution
    /// boundaries as records of `out` (see [`checkpoint`]). Called between
    /// executions, or at the end of the run. `false`: this strategy has no
    /// state to save (replay), and the run takes no checkpoints.
    fn save(&self, _out: &mut checkpoint::Writer) -> bool {
        false
    }

    /// Restores what [`Strategy::save`] wrote, before the first execution:
    /// the next [`Strategy::next_execution`] goes on from there.
    fn load(&mut self, input: &mut checkpoint::Reader<'_>) -> Result<(), checkpoint::FormatError> {
        Err(input.error(format!("the {} strategy does not resume from checkpoints", self.name())))
    }
}
