//! The fork loop in the engine: where an execution splits into timelines,
//! what a forked timeline does, and how a timeline's bug comes back to the
//! root and is replayed.
//!
//! The process machinery (the shared region, `fork`, reaping, recipes) is
//! [`crate::multiverse`]; this module is the engine's side of it.
//!
//! - A discovery (an `assert_sometimes!` satisfied for the first time in
//!   any process, a watermark improved...: the assertions' novelty store is
//!   the shared region) asks for a split. The engine splits at the top of
//!   its loop, right after the step that discovered, between steps, on the
//!   native stack, if this timeline is shallower than `split_depth`.
//! - [`crate::multiverse::split`] forks `split_children` children, each
//!   paid with one unit of the shared energy, at most `jobs` processes
//!   running at once in the whole tree. A child takes all its remaining
//!   decisions from its seed, with the walk the splitting strategy names
//!   ([`walker`]: uniform, [`RandomWalk::timeline`], for random, PCT and
//!   DPOR; POS's priorities for POS; POS steered by the running
//!   execution's reads-from constraints for RFF), runs the execution
//!   to its end (splitting again at its own discoveries), writes a bug into
//!   the shared slot, and leaves. The parent goes on with its own strategy
//!   once its children are reaped.
//! - The root stops at the end of the execution in which some timeline
//!   claimed the bug slot, and replays that timeline in its own process
//!   from the root's decisions before the first split plus the recipe
//!   (`CHECKER_REPLAY=<path>+<recipe>`), which gives the report its trace.
//!   A timeline whose process died (a signal, an unknown exit, the
//!   watchdog) is reported as [`FailureKind::TimelineDied`] with its
//!   recipe; replaying it in the root would kill the root, so it is
//!   replayed in a forked process that sends each event of its trace to
//!   the root as it happens ([`crate::multiverse::traced`]), up to its
//!   death.
//!
//! [`FailureKind::TimelineDied`]: crate::report::FailureKind::TimelineDied

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::assertions::Discovery;
use crate::config::Config;
use crate::explore::UsageError;
use crate::multiverse::{Options, Recipe, Shared, Timeline};
use crate::path;
use crate::strategy::Strategy;
use crate::strategy::pos::Pos;
use crate::strategy::random::RandomWalk;
use crate::strategy::replay::Replay;
use crate::strategy::rff::{self, Rff};

/// The shared counter of discoveries, all processes together.
const SCRATCH_DISCOVERIES: usize = 0;

/// The engine's fork-loop state for one run.
pub(crate) struct Multiverse {
    /// The run's shared region.
    pub(crate) shared: Shared,
    pub(crate) opts: Options,
    max_depth: usize,
    pub(crate) root_seed: u64,
    /// This process's timeline; `None` in the root.
    pub(crate) timeline: Option<Timeline>,
    /// The decision of the running execution at which this process's
    /// timeline began (0 in the root).
    pub(crate) split_at: usize,
    /// The root's decisions before its first split of this execution,
    /// encoded: with a recipe, what replays a timeline.
    pub(crate) root_prefix: String,
    /// The discovery of the last step that asks for a split.
    pending: Option<Discovery>,
    /// Splitting is off (while the root replays a timeline's bug).
    pub(crate) quiet: bool,
    /// The run's energy, all processes together.
    energy: u64,
}

impl Multiverse {
    /// Maps the run's shared region with `energy` units.
    pub(crate) fn new(config: &Config, energy: u64) -> Result<Multiverse, UsageError> {
        let shared = Shared::new(energy, config.jobs).map_err(|e| {
            UsageError::Internal(format!("cannot map the multiverse's shared memory: {e}"))
        })?;
        let opts = Options {
            children: config.split_children,
            timeout: Some(config.timeline_timeout),
            stop_on_bug: true,
        };
        shared.set_mark_allowance(config.split_allowance);
        Ok(Multiverse {
            shared,
            opts,
            max_depth: config.split_depth as usize,
            root_seed: config.seed,
            timeline: None,
            split_at: 0,
            root_prefix: String::new(),
            pending: None,
            quiet: false,
            energy,
        })
    }

    /// A new execution of the root starts.
    pub(crate) fn begin_execution(&mut self) {
        self.pending = None;
        self.split_at = 0;
    }

    /// A discovery happened in the last step: split after it, unless a
    /// split is already asked for or this timeline is as deep as allowed.
    pub(crate) fn discovered(&mut self, discovery: &Discovery) {
        let depth = self.timeline.as_ref().map_or(0, Timeline::depth);
        if !self.quiet && self.pending.is_none() && depth < self.max_depth {
            self.pending = Some(discovery.clone());
        }
    }

    /// Counts a discovery of this process in the run's total.
    pub(crate) fn count_discovery(&self) {
        self.shared.scratch(SCRATCH_DISCOVERIES).fetch_add(1, Ordering::AcqRel);
    }

    /// Discoveries of every process of the run.
    pub(crate) fn discoveries(&self) -> u64 {
        self.shared.scratch(SCRATCH_DISCOVERIES).load(Ordering::Acquire)
    }

    /// The split to make now, if any.
    pub(crate) fn take_split(&mut self) -> Option<Discovery> {
        self.pending.take()
    }

    /// Units the whole run has spent so far, all processes together.
    pub(crate) fn spent(&self) -> u64 {
        self.energy.saturating_sub(self.shared.energy_left())
    }

    /// The recipe and seed of this process's timeline.
    pub(crate) fn here(&self) -> (Recipe, u64) {
        match &self.timeline {
            Some(t) => (t.recipe.clone(), t.seed),
            None => (Recipe::root(), self.root_seed),
        }
    }
}

/// Does this run split timelines? Refuses what cannot go together.
pub(crate) fn check_config(config: &Config) -> Result<bool, UsageError> {
    if !config.splits() {
        return Ok(false);
    }
    let bad = |m: String| Err(UsageError::Unsupported(m));
    if !config.strategy.samples() && config.energy.is_none() {
        return bad(format!(
            "splitting timelines (CHECKER_SPLIT) with the {} strategy needs an energy budget \
             (CHECKER_ENERGY or Builder::energy): the forked timelines and the executions share it",
            if config.strategy == crate::config::StrategyKind::Dfs { "dfs" } else { "dpor" }
        ));
    }
    if config.checkpoint_file.is_some() {
        return bad(
            "splitting timelines (CHECKER_SPLIT) does not take checkpoints: turn one of them off"
                .to_string(),
        );
    }
    if config.timeline_timeout < Duration::from_secs(1) {
        return bad("the timeline timeout must be at least one second".to_string());
    }
    Ok(cfg!(unix))
}

/// The strategy a forked timeline takes its remaining decisions from: the
/// walk its recipe names for its split (see [`Strategy::timeline_walk`])
/// drawing from `seed`. `None`: a uniform random walk; `pos`: POS's
/// priorities; `rff=<constraints>`: POS steered by RFF's constraints.
/// The root's replay of the recipe makes the same walker, so the walker
/// must depend on nothing else.
pub(crate) fn walker(walk: Option<&str>, seed: u64) -> Result<Box<dyn Strategy>, String> {
    match walk {
        None => Ok(Box::new(RandomWalk::timeline(seed))),
        Some("pos") => Ok(Box::new(Pos::timeline(seed))),
        Some(tag) => match tag.strip_prefix("rff=") {
            Some(list) => Ok(Box::new(Rff::timeline(seed, rff::parse_schedule(list)?))),
            None => Err(format!("`{tag}` is not a walk (none, `pos` or `rff=...`)")),
        },
    }
}

/// The replay strategy for `CHECKER_REPLAY`: a decision path, or a path
/// and a forked timeline's recipe, `<path>+<recipe>`.
pub(crate) fn replay_strategy(text: &str) -> Result<Replay, UsageError> {
    let Some((prefix, recipe)) = text.split_once('+') else {
        return Ok(Replay::new(path::decode(text).map_err(UsageError::Path)?));
    };
    let decisions = path::decode(prefix).map_err(UsageError::Path)?;
    let recipe: Recipe = recipe.parse().map_err(|e| {
        UsageError::Replay(format!("the recipe after `+` in CHECKER_REPLAY is not valid: {e}"))
    })?;
    let splits = recipe.absolute().ok_or_else(|| {
        UsageError::Replay("the recipe's decision counts overflow a 64-bit index".to_string())
    })?;
    match splits.first() {
        None => {
            return Err(UsageError::Replay(
                "the recipe after `+` in CHECKER_REPLAY has no split".to_string(),
            ));
        }
        Some(first) if first.decision != decisions.len() as u64 => {
            return Err(UsageError::Replay(format!(
                "the recipe does not fit the path: its first split is after decision {}, but the \
                 path holds {} decisions (the root's decisions up to that split)",
                first.decision,
                decisions.len()
            )));
        }
        Some(_) => {}
    }
    for walk in recipe.walks().iter().flatten() {
        walker(Some(walk), 0).map_err(|e| {
            UsageError::Replay(format!("the recipe after `+` in CHECKER_REPLAY is not valid: {e}"))
        })?;
    }
    Ok(Replay::timeline(decisions, splits, recipe.walks().to_vec()))
}
