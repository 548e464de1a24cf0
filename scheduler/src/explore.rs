//! The exploration loop: run the model body again and again, one execution
//! per strategy path, until the strategy is exhausted, a limit stops it, or
//! an execution fails.
//!
//! [`run_model`] runs on the thread that called it. Every model thread of
//! every execution is a coroutine on that OS thread; the loop in
//! [`Engine::run_execution`] resumes them one step at a time, on the native
//! stack. Coroutine stacks are pooled per OS thread, across runs.

use std::any::Any;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use smallvec::SmallVec;

use crate::assertions::{AssertionSummary, Discovery, DiscoveryRecord, MAX_RECORDED_DISCOVERIES};
use crate::config::{
    Config, ConfigError, DEFAULT_AUTO_ENERGY, DEFAULT_SAMPLING_ENERGY, LogLevel, StrategyKind,
};
use crate::coroutine::{Exit, ModelThread, Resumed, StackPool, Suspend};
use crate::coverage::{EdgeMap, LocalEdges, RfCoverage};
use crate::energy::Energy;
use crate::execution::{Effect, Execution, Snapshot};
use crate::ids::ThreadId;
use crate::multiverse::{self as mv, BugInfo, BugKind, SplitError, SplitPoint, Timeline};
use crate::objects::next_generation;
use crate::op::Reply;
use crate::path::{self, PathSyntaxError, Recorded, Salt};
use crate::report::{self, FailureKind, Report};
use crate::rt;
use crate::strategy::auto::Auto;
use crate::strategy::checkpoint::{self, Progress, Status};
use crate::strategy::dfs::Dfs;
use crate::strategy::dpor::Dpor;
use crate::strategy::pct::Pct;
use crate::strategy::pos::Pos;
use crate::strategy::random::RandomWalk;
use crate::strategy::rff::Rff;
use crate::strategy::{Coverage, SchedulePoint, Strategy, StrategyError, StrategyErrorKind};
use crate::timelines::Multiverse;
use crate::trace::{Event, EventKind};

/// The model body: run once per execution, as thread 0.
pub type Body = Arc<dyn Fn() + Send + Sync + 'static>;

/// How one turn of the step loop went ([`Engine::take_turn`]).
enum Turn {
    /// The execution had failed: nothing ran.
    Failed,
    /// No thread may run: the execution is over (or deadlocked).
    Finished,
    /// The execution reached `max_branches` steps: nothing ran.
    StepBound,
    /// This thread's step ran, with this effect.
    Ran(ThreadId, Effect),
}

/// What stopped an exploration before it was complete.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Limit {
    /// `max_permutations` executions were run.
    MaxPermutations(usize),
    /// `max_duration` passed.
    MaxDuration(Duration),
    /// The energy budget (this many units, one per execution) was spent.
    Energy(u64),
}

/// How far a model run got.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The strategy explored everything it covers and found no failure.
    Verified(Coverage),
    /// A limit stopped the run first: not verified.
    Incomplete(Limit),
    /// An execution failed; see the report.
    Failed,
}

/// The result of a model run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Executions run, the failing one and the redundant ones included.
    pub executions: u64,
    /// Executions a reduction found redundant only once they had started
    /// (sleep-set blocked): wasted work, counted in `executions`.
    pub redundant: u64,
    /// With `Config::count_traces`: how many distinct equivalence classes
    /// (Mazurkiewicz traces) the passing executions covered.
    pub traces: Option<u64>,
    /// With `Config::count_traces`: how many distinct execution graphs
    /// (reads-from, modification order, and the order of the steps on each
    /// other object) the passing executions had. `executions / graphs` is
    /// how far the exploration is from one execution per graph.
    pub graphs: Option<u64>,
    /// Steps of the longest execution.
    pub max_steps: usize,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// How far it got.
    pub verdict: Verdict,
    /// The strategy that explored: `dpor`, `dfs` or `replay`.
    pub strategy: &'static str,
    /// The strategy samples executions (random, PCT, POS, RFF): the run
    /// never claims to be verified.
    pub sampled: bool,
    /// For `auto`: which phases ran, and how many executions each took.
    pub phases: Option<String>,
    /// The first failure, if any.
    pub failure: Option<Box<Report>>,
    /// Set when the run went on from a checkpoint.
    pub resumed: Option<ResumedFrom>,
    /// The seed of the run's pseudo-random decisions (`Config::seed`).
    pub seed: u64,
    /// Timelines forked by the multiverse (each cost one unit of energy,
    /// like an execution; not counted in `executions`).
    pub timelines: u64,
    /// `checker::rand` values drawn in the run. A systematic strategy
    /// sampled them (took one value each, derived from the seed) rather than
    /// enumerating them: its verdict holds for those values.
    pub random_values: u64,
    /// The assertion marks of the run and its discoveries.
    pub assertions: AssertionSummary,
    /// Distinct reads-from edges the run's executions made, every process
    /// of a split run included (0 when coverage is off: see
    /// `Config::coverage`). A split run counts bits of the shared map, so
    /// two edges that share a bit count once.
    pub rf_edges: u64,
    /// The edges themselves (their hashes, sorted), when coverage is on
    /// and the run did not split (the shared map keeps only bits).
    pub rf_edge_hashes: Option<Vec<u64>>,
    /// Steps that fast replay restored from snapshots instead of executing
    /// them (see `Config::fast_replay`); 0 when it is off or never applied.
    pub restored_steps: u64,
    /// The run requires every discovery assertion satisfied
    /// (`Config::require_satisfied`) and some were not: see
    /// [`Outcome::unsatisfied_failure`].
    pub require_satisfied: bool,
}

/// Where a run resumed from, and how far the exploration had got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResumedFrom {
    /// The checkpoint file.
    pub file: PathBuf,
    /// Executions run before this run (counted in [`Outcome::executions`]).
    pub executions: u64,
    /// The checkpoint was of a finished exploration: nothing was run, its
    /// result is reported again.
    pub finished: bool,
}

impl Outcome {
    /// When the run required every discovery assertion satisfied and some
    /// were not (and no execution failed): the message `check` panics with.
    pub fn unsatisfied_failure(&self) -> Option<String> {
        if !self.require_satisfied || self.verdict == Verdict::Failed {
            return None;
        }
        let listing = self.assertions.unsatisfied_listing()?;
        Some(format!(
            "{listing}\nthe run requires every assertion satisfied (Builder::fail_on_unsatisfied \
             or CHECKER_REQUIRE_SOMETIMES=1): explore more (raise the limits), or fix the model \
             or the assertion"
        ))
    }

    /// The one-line summary printed at the end of a run.
    pub fn summary(&self) -> String {
        let what = match self.verdict {
            Verdict::Verified(Coverage::Exhaustive) if matches!(self.strategy, "dpor" | "auto") => {
                "verified: exhaustive (dpor: every execution, up to the order of independent \
                 steps, explored)"
                    .to_string()
            }
            Verdict::Verified(Coverage::Exhaustive) => {
                format!("verified: exhaustive ({}: every execution explored)", self.strategy)
            }
            Verdict::Verified(Coverage::ExhaustiveWithinBound(b)) => format!(
                "verified within the preemption bound ({}): every execution with at most {b} \
                 preemption(s) explored",
                self.strategy
            ),
            Verdict::Verified(Coverage::Replayed) => "replayed one execution: passed".to_string(),
            Verdict::Verified(Coverage::Pruned(n)) => format!(
                "passed, NOT exhaustive ({}): the model pruned {n} decision(s) with \
                 stop_exploring/skip_branch",
                self.strategy
            ),
            Verdict::Incomplete(limit) => {
                let why = match limit {
                    Limit::MaxPermutations(n) => format!("stopped by max_permutations ({n})"),
                    Limit::MaxDuration(d) => format!("stopped by max_duration ({} s)", d.as_secs()),
                    Limit::Energy(n) => format!("energy spent ({n} units)"),
                };
                let sampling = if self.sampled {
                    format!(" ({} samples executions and never verifies)", self.strategy)
                } else {
                    String::new()
                };
                format!("incomplete: {why}{sampling}; NOT verified")
            }
            Verdict::Failed => match &self.failure {
                Some(r) => format!("failed: {}", r.kind().name()),
                None => "failed".to_string(),
            },
        };
        let redundant = if self.redundant > 0 {
            format!(" ({} of them redundant: sleep-set blocked)", self.redundant)
        } else {
            String::new()
        };
        let resumed = match &self.resumed {
            None => String::new(),
            Some(r) if r.finished => format!(
                " (resumed from checkpoint {} after {} executions: the exploration had \
                 finished, nothing was run; delete the file to explore again)",
                r.file.display(),
                r.executions
            ),
            Some(r) => format!(
                " (resumed from checkpoint {} after {} executions)",
                r.file.display(),
                r.executions
            ),
        };
        let sampled = match self.verdict {
            Verdict::Verified(Coverage::Exhaustive | Coverage::ExhaustiveWithinBound(_))
                if self.random_values > 0 =>
            {
                format!(
                    " (for the sampled checker::rand values: {} drawn from the seed, not \
                     enumerated)",
                    self.random_values
                )
            }
            _ => String::new(),
        };
        let seed = if self.sampled || self.random_values > 0 {
            format!(", seed {:#x}", self.seed)
        } else {
            String::new()
        };
        let timelines = match self.timelines {
            0 => String::new(),
            n => format!(" and {n} forked timeline(s)"),
        };
        let edges = match self.rf_edges {
            0 => String::new(),
            n => format!(", {n} reads-from edge(s)"),
        };
        let phases = match &self.phases {
            Some(p) => format!(" ({p})"),
            None => String::new(),
        };
        let counted = match (self.traces, self.graphs) {
            (Some(t), Some(g)) => format!(", {t} trace(s), {g} graph(s)"),
            (Some(t), None) => format!(", {t} trace(s)"),
            _ => String::new(),
        };
        let lost = match self.assertions.lost_to_full_table {
            0 => String::new(),
            n => format!(
                "; {n} evaluation(s) of discovery assertions found the mark table full ({} \
                 marks: assertion sites and `_each` keys) and split nothing",
                crate::multiverse::shm::MARKS
            ),
        };
        format!(
            "checker: {what}{sampled}; {} execution(s){phases}{redundant}{timelines}{resumed}\
             {seed}{edges}{counted}, longest {} steps, {:.3} s{lost}",
            self.executions,
            self.max_steps,
            self.elapsed.as_secs_f64()
        )
    }
}

/// A model run that could not start or go on because of its input, not
/// because of a bug in the model.
#[derive(Clone, Debug)]
pub enum UsageError {
    /// A configuration value is invalid.
    Config(ConfigError),
    /// `CHECKER_REPLAY` is not a decision path.
    Path(PathSyntaxError),
    /// The decision path does not fit the program.
    Replay(String),
    /// checker itself failed.
    Internal(String),
    /// A configured feature checker does not support yet.
    Unsupported(String),
    /// The checkpoint file cannot be read, written, or resumed by this run.
    Checkpoint(String),
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::Config(e) => write!(f, "{e}"),
            UsageError::Path(e) => write!(f, "checker: {e}"),
            UsageError::Replay(m) => write!(f, "checker: replay refused: {m}"),
            UsageError::Internal(m) => write!(f, "internal error in checker: {m}"),
            UsageError::Unsupported(m) => write!(f, "checker: {m}"),
            UsageError::Checkpoint(m) => write!(f, "checker: {m}"),
        }
    }
}

impl std::error::Error for UsageError {}

/// Installs checker's panic hook once per process: panics of model threads
/// are recorded for the report instead of printed; every other panic goes to
/// the hook that was there before.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        crate::coroutine::install_escapes();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !rt::on_panic(info) {
                previous(info);
            }
        }));
    });
}

/// Runs a whole model: explores `body` under `config` on the calling
/// thread and returns how it went. Environment variables are not read here;
/// see [`Config::apply_env`].
pub fn run_model(config: Config, body: Body) -> Result<Outcome, UsageError> {
    install_panic_hook();
    if rt::installed() {
        return Err(UsageError::Internal(
            "checker::model was called inside a model; run models one after the other".to_string(),
        ));
    }
    let caller = std::thread::current().name().map(str::to_string);
    let mut pool = POOL
        .with(|p| p.take())
        .filter(|p| p.size() == config.stack_size)
        .unwrap_or_else(|| StackPool::new(config.stack_size));
    crate::heap::start_run();
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        explore(config, body, caller, &mut pool)
    }));
    crate::heap::end_run();
    POOL.with(|p| p.set(Some(pool)));
    run.unwrap_or_else(|payload| {
        // An engine bug: leave no execution behind for the next run.
        std::mem::forget(rt::uninstall());
        Err(UsageError::Internal(rt::payload_text(payload.as_ref())))
    })
}

thread_local! {
    /// Coroutine stacks of this thread's model runs, kept for its next run.
    static POOL: std::cell::Cell<Option<StackPool>> = const { std::cell::Cell::new(None) };
    /// The buffers of this thread's last passing run's execution, kept for
    /// its next run like the stacks.
    static SPARE: std::cell::Cell<Option<crate::execution::Spare>> =
        const { std::cell::Cell::new(None) };
}

fn explore(
    config: Config,
    body: Body,
    caller: Option<String>,
    pool: &mut StackPool,
) -> Result<Outcome, UsageError> {
    let mut strategy: Box<dyn Strategy> = match &config.replay {
        Some(text) => Box::new(crate::timelines::replay_strategy(text)?),
        None => match config.strategy {
            StrategyKind::Dpor => Box::new(Dpor::new(config.preemption_bound)),
            StrategyKind::Dfs => Box::new(Dfs::new(config.preemption_bound)),
            StrategyKind::Random => Box::new(RandomWalk::new(config.seed)),
            StrategyKind::Pct => Box::new(Pct::new(config.seed, config.pct_depth)),
            StrategyKind::Pos => Box::new(Pos::new(config.seed)),
            StrategyKind::Rff => Box::new(Rff::new(config.seed)),
            StrategyKind::Auto => {
                let energy = config.energy.unwrap_or(DEFAULT_AUTO_ENERGY);
                Box::new(Auto::new(config.preemption_bound, config.seed, energy / 2))
            }
        },
    };
    if config.replay.is_none()
        && config.strategy.samples()
        && let Some(file) = &config.checkpoint_file
    {
        return Err(UsageError::Checkpoint(format!(
            "the {} strategy does not take checkpoints (the checkpoint file {} is set): it \
             samples, and a run with the same seed and energy repeats it; checkpoints resume \
             the systematic strategies dpor and dfs",
            strategy.name(),
            file.display()
        )));
    }
    // Every execution costs one unit. The sampling strategies never finish
    // on their own: without a budget or max_permutations they get a default.
    let splits = crate::timelines::check_config(&config)?;
    let energy = match config.energy {
        Some(units) => Some(Energy::new(units)),
        None if config.replay.is_none()
            && config.strategy.samples()
            && config.max_permutations.is_none() =>
        {
            Some(Energy::new(match config.strategy {
                StrategyKind::Auto => DEFAULT_AUTO_ENERGY,
                _ => DEFAULT_SAMPLING_ENERGY,
            }))
        }
        None => None,
    };
    let start = Instant::now();
    // A replay runs one execution of its own: it neither resumes nor saves.
    let checkpoint = config.checkpoint_file.as_deref().filter(|_| config.replay.is_none());
    let mut progress = Progress {
        executions: 0,
        longest: 0,
        traces: config.count_traces.then(std::collections::BTreeSet::new),
        graphs: config.count_traces.then(std::collections::BTreeSet::new),
    };
    let model = checkpoint::model_identity(&config, caller.as_deref());
    let mut resumed = None;
    if let Some(file) = checkpoint {
        if config.checkpoint_interval == 0 {
            return Err(UsageError::Checkpoint(format!(
                "checkpoint_interval is 0 (with the checkpoint file {}): it must be at least 1",
                file.display()
            )));
        }
        if let Some((saved, status)) = resume(file, &model, &config, &mut *strategy)? {
            let finished = !matches!(status, Status::Running);
            let executions = saved.executions;
            resumed = Some(ResumedFrom { file: file.to_path_buf(), executions, finished });
            progress = saved;
            let (verdict, failure) = match status {
                Status::Running => (None, None),
                Status::Verified => (Some(Verdict::Verified(coverage(&*strategy))), None),
                Status::Failed(report) => (Some(Verdict::Failed), Some(report)),
            };
            if let Some(verdict) = verdict {
                let mut outcome = finish(&*strategy, progress, start, verdict, failure, resumed);
                outcome.seed = config.seed;
                eprintln!("{}", outcome.summary());
                return Ok(outcome);
            }
        }
        // Now rather than after the first interval: a path that cannot be
        // written is an error before anything runs.
        save(file, &model, &config, &progress, &Status::Running, &*strategy)?;
    }
    let mut engine = Engine::new(&config, pool);
    engine.caller.clone_from(&caller);
    let mut execution = match SPARE.take() {
        Some(spare) => Execution::with_spare(spare),
        None => Execution::new(),
    };
    execution.spurious_wakeups = config.spurious_wakeups;
    execution.spin_assume = config.spin_assume;
    execution.stale_cas = config.reads_stale_cas();
    execution.eager_timeouts = config.times_out_eagerly();
    execution.explore_on_start = !config.expect_explicit_explore;
    execution.seed = config.seed;
    // The multiverse: the budget moves into memory every process shares,
    // and so do the assertions' novelty decisions.
    let energy = match (splits, energy) {
        (true, Some(e)) => {
            let multiverse = Multiverse::new(&config, e.total())?;
            execution.assertions.set_store(Box::new(multiverse.shared.clone()));
            let budget = Energy::shared(multiverse.shared.clone(), e.total());
            engine.multiverse = Some(multiverse);
            Some(budget)
        }
        (_, energy) => energy,
    };
    if config.split_on_new_edges && config.replay.is_none() {
        if config.coverage == Some(false) {
            return Err(UsageError::Unsupported(
                "splitting on new reads-from edges (CHECKER_SPLIT_ON_EDGES) needs coverage, \
                 which CHECKER_COVERAGE=0 (or Builder::coverage(false)) turns off"
                    .to_string(),
            ));
        }
        if !config.splits() {
            return Err(UsageError::Unsupported(
                "splitting on new reads-from edges (CHECKER_SPLIT_ON_EDGES) needs the run to \
                 split timelines: turn on CHECKER_SPLIT (or Builder::split), which DPOR and \
                 DFS do only with an energy budget"
                    .to_string(),
            ));
        }
    }
    if config.covers() {
        let map: Box<dyn EdgeMap> = match &engine.multiverse {
            Some(m) => Box::new(m.shared.clone()),
            None => Box::new(LocalEdges::default()),
        };
        engine.coverage = Some(RfCoverage::new(map, config.split_on_new_edges));
    }
    if engine.multiverse.is_some() || strategy.replay_prefix().is_none() {
        // A split forks the running execution: its state must be whole.
        // Other strategies than DPOR do not say what they repeat.
        engine.fast = None;
    }
    rt::install(execution);
    let before = progress.executions;
    // The first execution of a resumed run follows the saved decisions: one
    // that does not fit means the checkpoint is another model's.
    let mut first_resumed = resumed.is_some() && before > 0;
    let mut failure = None;
    let mut progress_line = crate::progress::Progress::new(
        config.progress,
        config.log >= LogLevel::Summary && config.replay.is_none(),
    );
    let verdict = loop {
        if let Some(line) = &mut progress_line {
            let shared = engine.multiverse.as_ref().map(|m| &m.shared);
            let edges = engine.coverage.as_ref().map(|c| c.map.count());
            line.tick(|| crate::progress::Snapshot {
                executions: progress.executions,
                timelines: shared.map_or(0, |s| s.timelines()),
                edges,
                energy_left: energy.as_ref().map(Energy::left),
                bugs: shared.map_or(0, |s| s.bugs()),
            });
        }
        if let Some(n) = config.max_permutations
            && progress.executions - before >= n as u64
        {
            break Verdict::Incomplete(Limit::MaxPermutations(n));
        }
        if let Some(d) = config.max_duration
            && start.elapsed() >= d
        {
            break Verdict::Incomplete(Limit::MaxDuration(d));
        }
        if let Some(e) = &energy
            && e.left() == 0
        {
            break Verdict::Incomplete(Limit::Energy(e.total()));
        }
        if engine.multiverse.as_ref().is_some_and(|m| m.shared.bug_claimed()) {
            break Verdict::Failed;
        }
        if !strategy.next_execution() {
            break Verdict::Verified(coverage(&*strategy));
        }
        // Only another process sharing the budget can have spent the unit
        // seen above.
        if let Some(e) = &energy
            && !e.spend()
        {
            break Verdict::Incomplete(Limit::Energy(e.total()));
        }
        progress.executions += 1;
        let executions = progress.executions;
        engine.execution = executions;
        let ended = engine.run_execution(&mut *strategy, &body);
        if let Some(c) = &mut engine.coverage {
            rt::with(|ex| c.feed(ex));
        }
        progress.longest = progress.longest.max(engine.steps);
        let ended = match ended {
            Ok(Ended::Passed) => rt::with(|ex| strategy.end_execution(ex)).map(|()| Ended::Passed),
            other => other,
        };
        if config.log >= LogLevel::Trace {
            let trace = rt::with(|ex| report::render_trace(ex));
            eprintln!("checker: execution {executions}:\n{trace}");
        } else if config.replay.is_some() && matches!(ended, Ok(Ended::Passed)) {
            // A failing replay prints its trace in the report.
            let trace = rt::with(|ex| report::render_trace(ex));
            eprintln!("checker: the replayed execution passed:\n{trace}");
        }
        let stop = match ended {
            Ok(Ended::Passed) => {
                if let Some(seen) = &mut progress.traces {
                    seen.insert(rt::with(|ex| crate::dependence::trace_fingerprint(ex)));
                }
                if let Some(seen) = &mut progress.graphs {
                    seen.insert(rt::with(|ex| crate::dependence::graph_fingerprint(ex)));
                }
                match checkpoint {
                    Some(file) if executions.is_multiple_of(config.checkpoint_interval as u64) => {
                        save(file, &model, &config, &progress, &Status::Running, &*strategy).err()
                    }
                    _ => None,
                }
            }
            Ok(Ended::Failed) => {
                failure = Some(Box::new(engine.report(executions, &caller, &config)));
                break Verdict::Failed;
            }
            Err(e) if e.kind == StrategyErrorKind::Nondeterministic && first_resumed => {
                let file = checkpoint.expect("resumed from a checkpoint").display();
                Some(UsageError::Checkpoint(format!(
                    "the checkpoint file {file} does not fit this model: the first resumed \
                     execution went another way than the saved exploration ({}). Was it saved by \
                     another test, or another version of the code? Delete it to start the \
                     exploration afresh",
                    e.message
                )))
            }
            Err(e) if e.kind == StrategyErrorKind::Nondeterministic => {
                let msg = format!(
                    "the model is not deterministic: {}. Does it read the clock, iterate a \
                     HashMap, use randomness, share state outside checker's types (std \
                     atomics or locks, statics), or compare addresses of memory freed and \
                     allocated again that the model heap does not place (blocks over 32 KiB, \
                     or checker's `model-heap` feature off)?",
                    e.message
                );
                rt::with(|ex| ex.fail(FailureKind::Nondeterminism, msg));
                failure = Some(Box::new(engine.report(executions, &caller, &config)));
                break Verdict::Failed;
            }
            Err(e) => Some(UsageError::Replay(e.message)),
        };
        if let Some(error) = stop {
            engine.abandon_all();
            forget_execution();
            return Err(error);
        }
        first_resumed = false;
    };
    engine.abandon_all();
    if let Some(line) = &mut progress_line {
        line.finish();
    }
    // A bug some forked timeline found: reproduced here from its recipe.
    if verdict == Verdict::Failed && failure.is_none() {
        let execution = progress.executions;
        failure = Some(Box::new(engine.timeline_failure(execution, &body, &config)));
    }
    let timelines = engine.multiverse.as_ref().map_or(0, |m| m.shared.timelines());
    let random_values = rt::with(|ex| ex.random_draws);
    let known = crate::assertions::sites_of(config.body_type);
    let mut assertions = rt::with(|ex| ex.assertions.summary(&known));
    assertions.discoveries = std::mem::take(&mut engine.discovered);
    // With timelines, the count covers every process (each counted its
    // own in the shared region); the recorded list is the root's.
    assertions.discoveries_total = match &engine.multiverse {
        Some(m) => m.discoveries(),
        None => engine.discoveries_total,
    };
    assertions.lost_to_full_table = engine.multiverse.as_ref().map_or(0, |m| m.shared.lost_marks());
    match failure {
        // Whatever the model left in the execution (results of threads whose
        // handles leaked) may run checker operations when dropped; leak it.
        Some(_) => forget_execution(),
        None => {
            if let Some(execution) = rt::uninstall() {
                SPARE.set(Some(execution.into_spare()));
            }
        }
    }
    if let Some(file) = checkpoint {
        let status = match (&verdict, &failure) {
            (Verdict::Verified(_), _) => Status::Verified,
            (Verdict::Failed, Some(report)) => Status::Failed(report.clone()),
            _ => Status::Running,
        };
        if let Err(e) = save(file, &model, &config, &progress, &status, &*strategy) {
            match failure {
                // The bug report matters more than the checkpoint.
                Some(_) => eprintln!("{e}"),
                None => return Err(e),
            }
        }
    }
    let incomplete = matches!(verdict, Verdict::Incomplete(_));
    let mut outcome = finish(&*strategy, progress, start, verdict, failure, resumed);
    (outcome.seed, outcome.random_values) = (config.seed, random_values);
    outcome.timelines = timelines;
    outcome.assertions = assertions;
    outcome.restored_steps = engine.fast.as_ref().map_or(0, |f| f.restored);
    if let Some(c) = &engine.coverage {
        (outcome.rf_edges, outcome.rf_edge_hashes) = (c.map.count(), c.map.edges());
    }
    // A replay runs one execution: what it does not reach says nothing.
    // A resumed run saw only its own executions.
    let listed = config.replay.is_none() && outcome.verdict != Verdict::Failed;
    outcome.require_satisfied = config.require_satisfied && listed && outcome.resumed.is_none();
    if config.log >= LogLevel::Summary || incomplete || outcome.resumed.is_some() {
        eprintln!("{}", outcome.summary());
    }
    if listed && let Some(listing) = outcome.assertions.unsatisfied_listing() {
        eprintln!("{listing}");
    }
    Ok(outcome)
}

/// Leaks the execution (what the model left in it may run checker
/// operations when dropped) but not the multiverse's shared memory, which
/// its novelty store holds: no mapping outlives the run.
fn forget_execution() {
    rt::with(|ex| ex.assertions.set_store(Box::new(crate::assertions::LocalStore::default())));
    std::mem::forget(rt::uninstall());
}

/// What an exhausted strategy covered, pruning included.
fn coverage(strategy: &dyn Strategy) -> Coverage {
    match strategy.pruned_decisions() {
        0 => strategy.coverage(),
        n => Coverage::Pruned(n),
    }
}

/// The outcome of a run that got this far.
fn finish(
    strategy: &dyn Strategy,
    progress: Progress,
    start: Instant,
    verdict: Verdict,
    failure: Option<Box<Report>>,
    resumed: Option<ResumedFrom>,
) -> Outcome {
    Outcome {
        strategy: strategy.name(),
        sampled: strategy.samples(),
        phases: strategy.phases(),
        executions: progress.executions,
        redundant: strategy.redundant_executions(),
        traces: progress.traces.map(|seen| seen.len() as u64),
        graphs: progress.graphs.map(|seen| seen.len() as u64),
        max_steps: progress.longest,
        elapsed: start.elapsed(),
        verdict,
        failure,
        resumed,
        seed: 0,
        random_values: 0,
        timelines: 0,
        assertions: AssertionSummary::default(),
        require_satisfied: false,
        rf_edges: 0,
        rf_edge_hashes: None,
        restored_steps: 0,
    }
}

/// Reads the checkpoint `file` into `strategy`, if the file exists: the
/// counters, and how the saved run stood.
fn resume(
    file: &Path,
    model: &str,
    config: &Config,
    strategy: &mut dyn Strategy,
) -> Result<Option<(Progress, Status)>, UsageError> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(UsageError::Checkpoint(format!(
                "cannot read the checkpoint file {}: {e}",
                file.display()
            )));
        }
    };
    checkpoint::decode(&text, model, config, strategy).map(Some).map_err(|e| {
        UsageError::Checkpoint(format!(
            "the checkpoint file {} cannot be resumed: {e}. Delete it to start the exploration \
             afresh",
            file.display()
        ))
    })
}

/// Saves the run to the checkpoint `file`.
fn save(
    file: &Path,
    model: &str,
    config: &Config,
    progress: &Progress,
    status: &Status,
    strategy: &dyn Strategy,
) -> Result<(), UsageError> {
    let text = checkpoint::encode(model, config, progress, status, strategy);
    checkpoint::write_file(file, &text).map_err(|e| {
        UsageError::Checkpoint(format!("cannot write the checkpoint file {}: {e}", file.display()))
    })
}

/// How an execution ended.
#[derive(PartialEq, Eq)]
enum Ended {
    Passed,
    Failed,
}

/// The engine of one model run: the coroutines of the running execution,
/// the stack pool, and the decisions recorded so far.
struct Engine<'p> {
    max_branches: usize,
    max_threads: usize,
    stack_size: usize,
    pool: &'p mut StackPool,
    /// Invariant: entry `i` is thread `i`'s coroutine until it finishes.
    threads: Vec<Option<ModelThread>>,
    eligible: SmallVec<[ThreadId; 8]>,
    decisions: Vec<Recorded>,
    steps: usize,
    /// The running execution's number in the run, counting from 1.
    execution: u64,
    /// How many of the running execution's discoveries were taken.
    discoveries_taken: usize,
    /// The run's discoveries, for the outcome (the first
    /// `MAX_RECORDED_DISCOVERIES`).
    discovered: Vec<DiscoveryRecord>,
    discoveries_total: u64,
    log: LogLevel,
    /// The thread that took the last step of the running execution.
    last: Option<ThreadId>,
    /// Preemptions so far in the running execution.
    preemptions: usize,
    /// The fork loop's state, when the run splits timelines.
    multiverse: Option<Multiverse>,
    /// The name of the thread that called `model` (the test's), for
    /// replay commands.
    caller: Option<String>,
    /// In a process following a timeline that killed its own (see
    /// `timeline_failure`): the events and objects sent to the parent.
    streaming: Option<(usize, usize)>,
    /// Reads-from coverage, when on.
    coverage: Option<RfCoverage>,
    /// Fast replay, when on ([`FastReplay`]).
    fast: Option<FastReplay>,
}

/// Fast replay: each execution of DPOR repeats a prefix of the previous
/// one, most of its steps on real suites. The engine keeps snapshots of the
/// execution's state ([`Execution::snapshot`]), each at the last turn
/// before an execution began to differ from the previous one where one may
/// be taken; the next execution whose prefix reaches one lets the model run
/// through the steps before it with each step's recorded reply, executing
/// none of them, and then restores the snapshot ([`Engine::fast_forward`]).
#[derive(Default)]
struct FastReplay {
    /// The previous execution's trace, steps, query answers, decisions and
    /// what each of its steps did to its thread.
    trace: Vec<Event>,
    steps: Vec<usize>,
    answers: Vec<u64>,
    decisions: Vec<Recorded>,
    effects: Vec<StepEffect>,
    /// The running execution's step effects.
    running: Vec<StepEffect>,
    /// Snapshots of the current prefix, shallowest first, each with the
    /// engine's own state at its turn.
    snapshots: Vec<(Snapshot, EngineAt)>,
    /// Snapshots no longer valid, whose buffers the next ones reuse.
    spare: Vec<Snapshot>,
    /// The turn at which the running execution takes a snapshot: the last
    /// before it began to differ from the previous one at which a snapshot
    /// may be taken ([`Execution::snapshot_allowed`]), as the previous
    /// execution found.
    take_at: usize,
    /// Per turn of the running execution and of the previous one: could a
    /// snapshot be taken there?
    clean: Vec<bool>,
    clean_before: Vec<bool>,
    /// Steps restored rather than executed, over the run.
    restored: u64,
}

/// What a step did to the thread that took it, for fast replay.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StepEffect {
    /// It goes on with the step's reply.
    Resume,
    /// It stays suspended (its operation may have changed: a wait becomes
    /// its relock, a read waits behind the engine's yield).
    Block,
    /// It spawned a thread, which starts, and then goes on.
    Spawn,
}

/// The engine's state at a snapshot's turn, and the model heap's layout
/// ([`crate::heap::addresses_repeat`]): only an execution that starts from
/// the same layout gets the same addresses.
#[derive(Clone, Copy)]
struct EngineAt {
    last: Option<ThreadId>,
    preemptions: usize,
    decisions: usize,
    layout: u64,
}

/// At most this many snapshots are kept; the shallowest go first.
const MAX_SNAPSHOTS: usize = 64;

impl<'p> Engine<'p> {
    fn new(config: &Config, pool: &'p mut StackPool) -> Self {
        Engine {
            max_branches: config.max_branches,
            max_threads: config.max_threads,
            stack_size: config.stack_size,
            pool,
            threads: Vec::new(),
            eligible: SmallVec::new(),
            decisions: Vec::new(),
            steps: 0,
            execution: 0,
            discoveries_taken: 0,
            discovered: Vec::new(),
            discoveries_total: 0,
            log: config.log,
            last: None,
            preemptions: 0,
            multiverse: None,
            caller: None,
            streaming: None,
            coverage: None,
            fast: config.fast_replay.then(FastReplay::default),
        }
    }

    fn run_execution(
        &mut self,
        strategy: &mut dyn Strategy,
        body: &Body,
    ) -> Result<Ended, StrategyError> {
        let prefix = strategy.replay_prefix();
        rt::with(|ex| {
            if let Some(f) = &mut self.fast {
                // Keep the previous execution's record; its buffers become
                // this one's.
                std::mem::swap(&mut ex.trace, &mut f.trace);
                std::mem::swap(&mut ex.steps, &mut f.steps);
                std::mem::swap(&mut ex.answers, &mut f.answers);
            }
            ex.reset(next_generation())
        });
        // After the reset: the last execution's records (thread names) are
        // model blocks, which would otherwise count as alive.
        crate::heap::begin_execution();
        if let Some(f) = &mut self.fast {
            std::mem::swap(&mut self.decisions, &mut f.decisions);
            std::mem::swap(&mut f.running, &mut f.effects);
            f.running.clear();
            std::mem::swap(&mut f.clean, &mut f.clean_before);
            f.clean.clear();
            // Snapshots past the prefix hold another execution's state.
            let valid = prefix.unwrap_or(0);
            while f.snapshots.last().is_some_and(|(s, _)| s.steps > valid) {
                let (old, _) = f.snapshots.pop().expect("a snapshot");
                f.spare.push(old);
            }
            // The deepest turn of the prefix where a snapshot may be taken
            // and none is (the same prefix, the same state).
            let deepest = f.snapshots.last().map_or(0, |(s, _)| s.steps);
            f.take_at = match prefix {
                Some(p) => (deepest + 1..=p)
                    .rev()
                    .find(|&t| f.clean_before.get(t).copied().unwrap_or(t == p))
                    .unwrap_or(usize::MAX),
                None => usize::MAX,
            };
        }
        self.decisions.clear();
        self.discoveries_taken = 0;
        self.steps = 0;
        debug_assert!(self.threads.iter().all(Option::is_none), "every thread finished");
        self.threads.clear();
        let body = Arc::clone(body);
        let main: Box<dyn FnOnce() -> Box<dyn Any>> = Box::new(move || {
            body();
            Box::new(())
        });
        if let Some(m) = &mut self.multiverse {
            m.begin_execution();
        }
        if let Some(c) = &mut self.coverage {
            c.tracker.reset();
        }
        // Fast replay hands the model the values of an earlier execution,
        // addresses among them: those must repeat.
        let layout = crate::heap::addresses_repeat();
        let usable = self.fast.as_mut().and_then(|f| {
            let i = f.snapshots.iter().rposition(|(_, at)| Some(at.layout) == layout)?;
            Some((f, i))
        });
        let using = usable.as_ref().map(|&(_, i)| i);
        if let Some((f, _)) = usable {
            // From the model's first instruction: what it asks before its
            // first step is answered as before too.
            let answers = std::mem::take(&mut f.answers);
            rt::with(|ex| ex.begin_fast_forward(answers));
        }
        self.start_thread(ThreadId::MAIN, main);
        self.last = Some(ThreadId::MAIN);
        self.preemptions = 0;
        if let Some(i) = using {
            self.fast_forward(i, strategy)?;
        }
        self.drive(strategy)
    }

    /// Runs the model through the steps before snapshot `using` (the deepest
    /// taken from the heap layout this execution starts from) without
    /// executing them: each step's thread is resumed with the reply it got
    /// in the previous execution (the same decisions lead to the same
    /// steps); then the snapshot is restored, and the strategy told.
    fn fast_forward(
        &mut self,
        using: usize,
        strategy: &mut dyn Strategy,
    ) -> Result<(), StrategyError> {
        let f = self.fast.as_ref().expect("fast replay");
        let target = f.snapshots[using].0.steps;
        for k in 0..target {
            let f = self.fast.as_ref().expect("fast replay");
            let event = f.trace[f.steps[k]];
            let effect = f.effects[k];
            let EventKind::Step { reply, .. } = event.kind else { unreachable!("a step") };
            let thread = event.thread;
            let live = self.threads.get(thread.index()).is_some_and(Option::is_some);
            let published = rt::with(|ex| {
                let record = ex.threads.get_mut(thread.index())?;
                let pending = record.pending?;
                if effect != StepEffect::Block {
                    record.pending = None;
                }
                Some(pending.location)
            });
            if !live || published != Some(event.location) {
                return Err(StrategyError::nondeterministic(format!(
                    "step {} was thread {}'s operation at {} before, and that thread is {} now",
                    k + 1,
                    thread.0,
                    report::location(event.location),
                    match published {
                        Some(at) => format!("at {}", report::location(at)),
                        None => "not at an operation".to_string(),
                    }
                )));
            }
            match effect {
                StepEffect::Block => {}
                StepEffect::Resume => self.resume(thread, reply),
                StepEffect::Spawn => {
                    let Reply::Spawned(child) = reply else { unreachable!("a spawn's reply") };
                    let request = rt::with(|ex| {
                        let request = ex.take_spawn_request(thread)?;
                        (ex.add_thread(request.name.clone()) == child).then_some(request)
                    });
                    let Some(request) = request else {
                        return Err(StrategyError::nondeterministic(format!(
                            "the spawn at step {} started another thread than before",
                            k + 1
                        )));
                    };
                    self.start_thread(child, request.body);
                    self.resume(thread, Reply::Spawned(child));
                }
            }
        }
        let f = self.fast.as_mut().expect("fast replay");
        let (snapshot, at) = &f.snapshots[using];
        rt::with(|ex| ex.restore(snapshot, &mut f.trace, &mut f.steps))
            .map_err(StrategyError::nondeterministic)?;
        self.steps = snapshot.steps;
        self.last = at.last;
        self.preemptions = at.preemptions;
        std::mem::swap(&mut self.decisions, &mut f.decisions);
        self.decisions.truncate(at.decisions);
        std::mem::swap(&mut f.running, &mut f.effects);
        f.running.truncate(snapshot.steps);
        f.clean.clear();
        f.clean.extend_from_slice(&f.clean_before[..snapshot.steps]);
        f.restored += snapshot.steps as u64;
        rt::with(|ex| strategy.skip_to(snapshot.steps, ex));
        Ok(())
    }

    /// Runs the execution on from where it is, deciding with `strategy`,
    /// until it ends. A forked timeline runs the rest of its execution here
    /// with its own strategy.
    fn drive(&mut self, strategy: &mut dyn Strategy) -> Result<Ended, StrategyError> {
        loop {
            self.stream();
            if let Some(m) = &mut self.multiverse {
                mv::heartbeat(&m.shared);
                if let Some(discovery) = m.take_split()
                    && strategy.splits_now()
                {
                    self.split(discovery, strategy.timeline_walk(), strategy.samples());
                }
            }
            // One borrow of the execution for the whole turn: who may run,
            // the strategy's pick, and the step itself.
            let (chosen, effect) = match rt::with(|ex| self.take_turn(ex, strategy))? {
                Turn::Failed => return Ok(Ended::Failed),
                Turn::Finished => return Ok(self.finish()),
                Turn::StepBound => {
                    self.fail_step_bound();
                    return Ok(Ended::Failed);
                }
                Turn::Ran(chosen, effect) => (chosen, effect),
            };
            self.stream();
            self.on_step_edges();
            match effect {
                // `take_turn` left the execution ready to resume `chosen`.
                Effect::Resume(reply) => self.resume_ready(chosen, reply),
                Effect::Block => {}
                Effect::Spawn(child) => {
                    let request =
                        rt::with(|ex| ex.take_spawn_request(chosen)).expect("a spawn request");
                    if child.index() >= self.max_threads {
                        let max = self.max_threads;
                        rt::with(|ex| {
                            let msg = format!(
                                "{} spawned thread {} but max_threads is {max}: raise it with \
                                 CHECKER_MAX_THREADS or Builder::max_threads",
                                ex.thread_label(chosen),
                                child.0
                            );
                            ex.fail(FailureKind::TooManyThreads, msg);
                        });
                        std::mem::forget(request);
                        return Ok(Ended::Failed);
                    }
                    self.start_thread(child, request.body);
                    self.resume(chosen, Reply::Spawned(child));
                }
            }
        }
    }

    /// One turn of the execution on `ex`: unless it has failed or ended,
    /// the strategy picks one of the threads that may run and its step runs.
    fn take_turn(
        &mut self,
        ex: &mut Execution,
        strategy: &mut dyn Strategy,
    ) -> Result<Turn, StrategyError> {
        if ex.failure.is_some() {
            return Ok(Turn::Failed);
        }
        if let Some(f) = &mut self.fast {
            let clean = ex.snapshot_allowed();
            f.clean.push(clean);
            if self.steps == f.take_at
                && clean
                && f.snapshots.last().is_none_or(|(s, _)| s.steps < self.steps)
                && let Some(layout) = crate::heap::addresses_repeat()
            {
                if f.snapshots.len() == MAX_SNAPSHOTS {
                    let (old, _) = f.snapshots.remove(0);
                    f.spare.push(old);
                }
                let at = EngineAt {
                    last: self.last,
                    preemptions: self.preemptions,
                    decisions: self.decisions.len(),
                    layout,
                };
                f.snapshots.push((ex.snapshot(f.spare.pop()), at));
            }
        }
        let last = self.last;
        ex.eligible(last, &mut self.eligible);
        if self.eligible.is_empty() && ex.release_stalls() {
            ex.eligible(last, &mut self.eligible);
        }
        if self.eligible.is_empty() && ex.release_timeouts() {
            ex.eligible(last, &mut self.eligible);
        }
        if self.eligible.is_empty() {
            return Ok(Turn::Finished);
        }
        if self.steps >= self.max_branches {
            return Ok(Turn::StepBound);
        }
        let decision = self.decisions.len();
        let eligible = &self.eligible;
        let point = SchedulePoint::new(ex, eligible, last, self.preemptions, self.steps, decision);
        let chosen = strategy.pick_thread(&point)?;
        debug_assert!(eligible.contains(&chosen), "strategies pick an eligible thread");
        let continuing = point.continuing;
        // Only a point with alternatives is a decision of the path.
        if eligible.len() > 1 {
            let pending = point.pending(chosen).expect("eligible threads have an operation");
            let salt = Salt { kind: pending.op.kind_name(), location: pending.location };
            self.decisions.push(Recorded { value: u64::from(chosen.0), salt });
        }
        if continuing.is_some_and(|c| c != chosen) {
            self.preemptions += 1;
        }
        let decisions = &mut self.decisions;
        let effect = ex.execute(chosen, &mut |ex, point| {
            let value = strategy.pick_value_in(ex, &point, decisions.len())?;
            decisions.push(Recorded {
                value,
                salt: Salt { kind: point.kind.name(), location: point.location },
            });
            Ok(value)
        })?;
        self.steps += 1;
        self.last = Some(chosen);
        if let Some(f) = &mut self.fast {
            f.running.push(match effect {
                Effect::Resume(_) => StepEffect::Resume,
                Effect::Block => StepEffect::Block,
                Effect::Spawn(_) => StepEffect::Spawn,
            });
        }
        // Ready for `resume_ready`: `execute` made `chosen` the current thread.
        debug_assert_eq!(ex.current, chosen);
        ex.next_decision = self.decisions.len();
        Ok(Turn::Ran(chosen, effect))
    }

    /// Creates thread `id`'s coroutine and runs it to its first operation.
    fn start_thread(&mut self, id: ThreadId, body: Box<dyn FnOnce() -> Box<dyn Any>>) {
        let clean = rt::with(|ex| ex.spin_assume);
        let coroutine =
            ModelThread::new(self.pool, id.index(), clean, move || rt::thread_main(id, body))
                .unwrap_or_else(|e| panic!("cannot allocate a model thread's stack: {e}"));
        debug_assert_eq!(self.threads.len(), id.index());
        self.threads.push(Some(coroutine));
        crate::coroutine::set_scrub(false);
        self.resume(id, Reply::Done);
    }

    /// Runs `thread` until it publishes its next operation or finishes.
    fn resume(&mut self, thread: ThreadId, reply: Reply) {
        let decision = self.decisions.len();
        rt::with(|ex| {
            ex.current = thread;
            ex.next_decision = decision;
            if ex.spin_assume {
                ex.publish_spin_reads(thread);
            }
        });
        self.resume_ready(thread, reply);
    }

    /// [`Engine::resume`], where the execution already names `thread` as
    /// the current thread and the next decision's index is set.
    fn resume_ready(&mut self, thread: ThreadId, reply: Reply) {
        let coroutine = self.threads[thread.index()].as_mut().expect("a live model thread");
        let resumed = coroutine.resume(reply);
        match resumed {
            Resumed::Suspended(Suspend::Op(pending)) => {
                // The usual case, in one borrow: no discovery, publish.
                let taken = self.discoveries_taken;
                let found = rt::with(|ex| {
                    ex.publish(thread, pending);
                    (ex.discoveries.len() > taken).then(|| ex.discoveries[taken..].to_vec())
                });
                if let Some(found) = found {
                    self.discoveries_taken += found.len();
                    self.on_discoveries(&found);
                }
                return;
            }
            _ => self.take_discoveries(),
        }
        match resumed {
            Resumed::Suspended(Suspend::Op(_)) => unreachable!("handled above"),
            Resumed::Suspended(Suspend::Abandon) => {
                // The failure was recorded before the thread gave up.
                debug_assert!(rt::with(|ex| ex.failure.is_some()));
            }
            Resumed::Finished(exit) => {
                let done = self.threads[thread.index()].take().expect("a live model thread");
                done.recycle(self.pool);
                if exit == Exit::StackOverflow {
                    let size = self.stack_size;
                    rt::with(|ex| {
                        let msg = format!(
                            "{} overflowed its stack of {size} bytes: raise CHECKER_STACK_SIZE \
                             (e.g. CHECKER_STACK_SIZE=8m) or Builder::stack_size, or look for \
                             unbounded recursion",
                            ex.thread_label(thread)
                        );
                        ex.fail(FailureKind::StackOverflow, msg);
                    });
                }
            }
        }
    }

    /// Hands the discoveries of the step that just ran to
    /// [`Engine::on_discoveries`].
    fn take_discoveries(&mut self) {
        let taken = self.discoveries_taken;
        let found =
            rt::with(|ex| (ex.discoveries.len() > taken).then(|| ex.discoveries[taken..].to_vec()));
        if let Some(found) = found {
            self.discoveries_taken += found.len();
            self.on_discoveries(&found);
        }
    }

    /// The one place where the engine reacts to discoveries, right after
    /// the step in which they happened: the running threads are all
    /// suspended at an operation, and `decisions` is the prefix that led
    /// here. The fork loop splits the execution here. Today: recorded for
    /// the outcome, and logged with `CHECKER_LOG=trace`.
    fn on_discoveries(&mut self, found: &[Discovery]) {
        for discovery in found {
            if self.log >= LogLevel::Trace {
                let site = rt::with(|ex| ex.assertions.site(discovery.mark));
                let what = site.map_or_else(String::new, |s| {
                    format!("{} {:?} at {}: ", s.kind.macro_name(), s.message, s.location())
                });
                eprintln!(
                    "checker: discovery in execution {} before decision {}: {what}{}",
                    self.execution, discovery.decision, discovery.kind
                );
            }
            self.discoveries_total += 1;
            if let Some(m) = &mut self.multiverse {
                m.discovered(discovery);
                m.count_discovery();
            }
            if self.discovered.len() < MAX_RECORDED_DISCOVERIES {
                let record =
                    DiscoveryRecord { execution: self.execution, discovery: discovery.clone() };
                self.discovered.push(record);
            }
        }
    }

    /// With `split_on_new_edges`: the reads-from edges of the step that
    /// just ran; new ones are a discovery for the fork loop, which splits
    /// at the top of the next turn (as after an assertion's discovery).
    fn on_step_edges(&mut self) {
        let Some(c) = &mut self.coverage else { return };
        if !c.split_on_new_edges {
            return;
        }
        let new = rt::with(|ex| c.feed(ex));
        if new == 0 {
            return;
        }
        let discovery = Discovery {
            mark: crate::coverage::EDGE_MARK,
            kind: crate::assertions::DiscoveryKind::NewEdges(new),
            decision: self.decisions.len(),
        };
        if self.log >= LogLevel::Trace {
            eprintln!(
                "checker: discovery in execution {} before decision {}: {}",
                self.execution, discovery.decision, discovery.kind
            );
        }
        if let Some(m) = &mut self.multiverse {
            m.discovered(&discovery);
        }
    }

    /// Splits the running execution at `discovery`: forks the timelines
    /// that run its rest with fresh seeds, waits for them, and goes on.
    /// Under a sampling strategy (`samples`), a discovery the run (all
    /// processes together) spent n units of energy to reach forks at most
    /// n children.
    fn split(
        &mut self,
        discovery: crate::assertions::Discovery,
        walk: Option<String>,
        samples: bool,
    ) {
        let m = self.multiverse.as_ref().expect("a split needs the multiverse");
        let (shared, mut opts) = (m.shared.clone(), m.opts.clone());
        if samples {
            // A discovery the run spent n units to reach is worth about n
            // fresh executions: forking more children than that spends
            // energy on a state a new execution would likely reach again.
            let n = m.spent().max(1);
            opts.children = opts.children.min(u32::try_from(n).unwrap_or(u32::MAX));
        }
        let (recipe, seed) = m.here();
        let decisions = (self.decisions.len() - m.split_at) as u64;
        let root_prefix = m.timeline.is_none().then(|| path::encode(&self.decisions));
        let prefix = root_prefix.clone().unwrap_or_else(|| m.root_prefix.clone());
        let at = SplitPoint {
            recipe: &recipe,
            decisions,
            seed,
            mark: discovery.mark,
            path: &prefix,
            walk: walk.as_deref(),
        };
        let result = mv::split(
            &shared,
            &at,
            &opts,
            |timeline| self.run_timeline(timeline, root_prefix.as_deref()),
            |_| {},
        );
        match result {
            Ok(_) | Err(SplitError::Unsupported) => {}
            Err(e) => {
                if self.log >= LogLevel::Summary {
                    eprintln!("checker: {e}; the execution goes on without splitting");
                }
            }
        }
    }

    /// In a forked child: runs the rest of the execution as `timeline`,
    /// writes a bug it finds into the shared slot, and says how it ended.
    fn run_timeline(&mut self, timeline: &Timeline, root_prefix: Option<&str>) -> mv::Exit {
        let m = self.multiverse.as_mut().expect("a timeline has the multiverse");
        if let Some(prefix) = root_prefix {
            m.root_prefix = prefix.to_string();
        }
        m.timeline = Some(timeline.clone());
        m.split_at = self.decisions.len();
        // The parent prints; a child never touches stdio (see `multiverse`).
        self.log = LogLevel::Quiet;
        let tag = timeline.recipe.walk(timeline.depth() - 1);
        let ended = match crate::timelines::walker(tag, timeline.seed) {
            Ok(mut walk) => self.drive(&mut *walk),
            Err(e) => Err(StrategyError { kind: StrategyErrorKind::PathMismatch, message: e }),
        };
        // The timeline's edges go into the shared map, as the root's do.
        if let Some(c) = &mut self.coverage {
            rt::with(|ex| c.feed(ex));
        }
        let m = self.multiverse.as_ref().expect("a timeline has the multiverse");
        let report = match ended {
            Ok(Ended::Passed) => return mv::Exit::Pass,
            Ok(Ended::Failed) => rt::with(|ex| {
                let (kind, message) = ex.failure.clone().expect("a failed execution");
                format!("{}: {message}\n{}", kind.name(), report::render_trace(ex))
            }),
            Err(e) => format!("the timeline's strategy stopped: {e}"),
        };
        let recipe = timeline.recipe.to_string();
        let bug = BugInfo {
            kind: BugKind::Reported,
            code: 0,
            recipe: &recipe,
            path: &m.root_prefix,
            report: &report,
        };
        m.shared.claim_bug(&bug);
        mv::Exit::Bug
    }

    /// Sends the trace's new events and objects to the parent, when this
    /// process follows a timeline for its trace.
    fn stream(&mut self) {
        let Some((events, objects)) = self.streaming else { return };
        let mut out = String::new();
        let (e, o) = rt::with(|ex| {
            for k in events..ex.trace.len() {
                let (who, what, at) = report::trace_line(ex, k);
                out.push_str(&format!("E\t{who}\t{what}\t{at}\n"));
            }
            for i in objects..ex.objects.records.len() {
                out.push_str(&format!("O\t{}\n", report::object_line(ex, i)));
            }
            (ex.trace.len(), ex.objects.records.len())
        });
        self.streaming = Some((e, o));
        if !out.is_empty() {
            mv::trace_out(&out);
        }
    }

    /// The trace of a timeline that kills its process, up to its death:
    /// replayed in a forked process that sends each event as it happens.
    fn trace_of_dead_timeline(&mut self, replay: &str, body: &Body, config: &Config) -> String {
        let Ok(mut strategy) = crate::timelines::replay_strategy(replay) else {
            return "(no trace: the recipe does not replay)\n".to_string();
        };
        let traced = mv::traced(
            || {
                self.streaming = Some((0, 0));
                strategy.next_execution();
                let _ = self.run_execution(&mut strategy, body);
            },
            config.timeline_timeout,
        );
        let Ok((text, ending)) = traced else {
            return "(no trace: the timeline could not be followed in a process of its own)\n"
                .to_string();
        };
        let mut lines: Vec<report::TraceLine> = Vec::new();
        let mut objects = Vec::new();
        for line in text.lines() {
            let mut fields = line.splitn(4, '\t');
            match (fields.next(), fields.next(), fields.next(), fields.next()) {
                (Some("E"), Some(who), Some(what), Some(at)) => {
                    lines.push((who.to_string(), what.to_string(), at.to_string()))
                }
                (Some("O"), Some(object), None, None) => objects.push(object.to_string()),
                _ => {}
            }
        }
        let died = format!("the timeline's process ended here: {ending}");
        lines.push(("".to_string(), died, String::new()));
        report::format_trace(&lines, &objects)
    }

    /// The report of the bug a forked timeline claimed: its execution
    /// replayed here from the root's path and the recipe, which gives the
    /// trace; for a timeline whose process died, what the slot says.
    fn timeline_failure(&mut self, execution: u64, body: &Body, config: &Config) -> Report {
        let m = self.multiverse.as_mut().expect("a timeline's bug needs the multiverse");
        m.quiet = true;
        let bug = m.shared.bug().expect("a claimed bug slot");
        let replay = format!("{}+{}", bug.path, bug.recipe);
        let command =
            report::replay_command(&format!("'{replay}'"), self.caller.as_deref(), config);
        let found = format!("(found by the forked timeline {})", bug.recipe);
        if matches!(bug.kind, BugKind::Reported | BugKind::Panicked)
            && let Ok(mut strategy) = crate::timelines::replay_strategy(&replay)
        {
            strategy.next_execution();
            if let Ok(Ended::Failed) = self.run_execution(&mut strategy, body) {
                let caller = self.caller.clone();
                let mut report = self.report(execution, &caller, config);
                (report.path, report.command) = (replay, command);
                return report;
            }
        }
        let trace = match bug.kind {
            BugKind::Reported | BugKind::Panicked => "(no trace: it did not fail again when \
                                                      replayed in this process; is the model \
                                                      deterministic?)\n"
                .to_string(),
            // Replaying it here would kill this process too.
            _ => self.trace_of_dead_timeline(&replay, body, config),
        };
        Report {
            kind: FailureKind::TimelineDied,
            message: format!("{}\n{found}", bug.report),
            trace,
            path: replay,
            command,
            execution,
        }
    }

    /// No thread can run: either all finished, or some are stuck. When all
    /// finished, the lazy statics are dropped and the leak check runs.
    fn finish(&mut self) -> Ended {
        let ended = self.check_threads();
        if matches!(ended, Ended::Failed) {
            return ended;
        }
        if self.drop_statics() == Ended::Failed {
            return Ended::Failed;
        }
        rt::with(|ex| {
            // Results of threads whose handles were leaked: never dropped
            // on the engine's stack, where a destructor could not run
            // checker operations. std leaks them too: what they own counts
            // as leaked.
            let mut forgotten = Vec::new();
            for (i, record) in ex.threads.iter_mut().enumerate() {
                if let Some(result) = record.result.take() {
                    std::mem::forget(result);
                    // The model body's result is `()`, and it has no handle.
                    if i > 0 {
                        forgotten.push(ThreadId(i as u32));
                    }
                }
            }
            match leak_report(ex, &forgotten) {
                Some(msg) => {
                    ex.fail(FailureKind::Leak, msg);
                    Ended::Failed
                }
                None => Ended::Passed,
            }
        })
    }

    /// Drops the lazy statics on a coroutine of their own, once every
    /// thread has finished: their destructors may run operations, which run
    /// at once (no other thread is left to interleave with).
    fn drop_statics(&mut self) -> Ended {
        let any = rt::with(|ex| {
            if ex.storage.statics.is_empty() {
                return false;
            }
            ex.finalizing = true;
            ex.current = ThreadId::MAIN;
            ex.hb.after_all(ThreadId::MAIN);
            true
        });
        if !any {
            return Ended::Passed;
        }
        let decision = self.decisions.len();
        rt::with(|ex| ex.next_decision = decision);
        // Every thread has finished: the main thread's stack is free.
        let mut coroutine = ModelThread::new(self.pool, ThreadId::MAIN.index(), false, || {
            if rt::drop_statics().is_err() {
                // The panic hook recorded it as a failure.
                debug_assert!(rt::with(|ex| ex.failure.is_some()));
            }
        })
        .unwrap_or_else(|e| panic!("cannot allocate a model thread's stack: {e}"));
        let resumed = coroutine.resume(Reply::Done);
        self.take_discoveries();
        match resumed {
            Resumed::Finished(exit) => {
                coroutine.recycle(self.pool);
                if exit == Exit::StackOverflow {
                    let size = self.stack_size;
                    rt::with(|ex| {
                        let msg = format!(
                            "a lazy static's destructor overflowed its stack of {size} bytes: \
                             raise CHECKER_STACK_SIZE or Builder::stack_size"
                        );
                        ex.fail(FailureKind::StackOverflow, msg);
                    });
                }
            }
            // It would have blocked; the failure is recorded.
            Resumed::Suspended(_) => coroutine.abandon(self.pool),
        }
        rt::with(|ex| {
            ex.finalizing = false;
            if ex.failure.is_some() { Ended::Failed } else { Ended::Passed }
        })
    }

    /// Every thread finished, or some are stuck: the failure, if any.
    fn check_threads(&mut self) -> Ended {
        rt::with(|ex| {
            let stuck: Vec<ThreadId> = (0..ex.threads.len() as u32)
                .map(ThreadId)
                .filter(|t| !ex.threads[t.index()].finished)
                .collect();
            if stuck.is_empty() {
                // A spawned thread's panic that ended it, and that no join
                // observed, is a failure (one it caught is not).
                let unobserved = (1..ex.threads.len()).find_map(|i| {
                    let record = &ex.threads[i];
                    record.died_of.filter(|_| !record.joined).map(|k| (i, k))
                });
                if let Some((i, k)) = unobserved {
                    let label = ex.thread_label(ThreadId(i as u32));
                    let p = &ex.threads[i].panics[k];
                    let msg = format!(
                        "{label} panicked at {} and no thread joined it:\n{}",
                        p.location, p.message
                    );
                    ex.fail(FailureKind::Panic, msg);
                    return Ended::Failed;
                }
                return Ended::Passed;
            }
            let main_done = ex.threads[0].finished;
            let mut msg = if main_done {
                "the model body returned, but these threads are blocked forever:".to_string()
            } else {
                "deadlock: no thread can make progress:".to_string()
            };
            for t in stuck {
                msg.push_str(&format!("\n    {} {}", ex.thread_label(t), ex.blocked_on(t)));
            }
            let kind = if main_done { FailureKind::LeftBlocked } else { FailureKind::Deadlock };
            let msg = ex.with_earlier_panics(msg, None);
            ex.fail(kind, msg);
            Ended::Failed
        })
    }

    fn fail_step_bound(&mut self) {
        let max = self.max_branches;
        rt::with(|ex| {
            if let Some(spinners) = ex.released_stalls.take() {
                let msg = format!(
                    "deadlock: no thread can make progress:{spinners}\n(once no other \
                     thread could run, the spinning threads tried again until the step bound, \
                     {max} steps, and none left its loop)"
                );
                ex.fail(FailureKind::Deadlock, msg);
                return;
            }
            // Name the busiest place among the last steps: usually the spin loop.
            let tail = ex.trace.len().saturating_sub(1000);
            let mut counts: Vec<(ThreadId, &'static str, crate::op::SourceLocation, usize)> =
                Vec::new();
            for event in &ex.trace[tail..] {
                let Some(op) = event.op() else { continue };
                match counts.iter_mut().find(|c| {
                    c.0 == event.thread
                        && std::ptr::eq(c.2, event.location)
                        && c.1 == op.kind_name()
                }) {
                    Some(c) => c.3 += 1,
                    None => counts.push((event.thread, op.kind_name(), event.location, 1)),
                }
            }
            let busiest = counts.iter().max_by_key(|c| c.3).map(|c| {
                format!(
                    "\nthe busiest operation among the last steps: {} ran `{}` at {} {} times",
                    ex.thread_label(c.0),
                    c.1,
                    report::location(c.2),
                    c.3
                )
            });
            let msg = format!(
                "an execution exceeded {max} steps (max_branches). This is often caused by a \
                 spin loop that never yields: call checker::thread::yield_now() or \
                 checker::hint::spin_loop() in the loop so that other threads run; otherwise \
                 raise CHECKER_MAX_BRANCHES.{}",
                busiest.unwrap_or_default()
            );
            ex.fail(FailureKind::StepBound, msg);
        });
    }

    fn report(&mut self, execution: u64, caller: &Option<String>, config: &Config) -> Report {
        let path = path::encode(&self.decisions);
        let command = report::replay_command(&path, caller.as_deref(), config);
        rt::with(|ex| {
            let (kind, message) = ex.failure.clone().expect("a failed execution has a failure");
            Report { kind, message, trace: report::render_trace(ex), path, command, execution }
        })
    }

    /// Ends the execution's coroutines: finished ones were recycled already;
    /// suspended ones are abandoned without running their destructors.
    fn abandon_all(&mut self) {
        for thread in self.threads.drain(..).flatten() {
            thread.abandon(self.pool);
        }
    }
}

impl Drop for Engine<'_> {
    fn drop(&mut self) {
        // Dropping a suspended coroutine would unwind it and run user code
        // on a dead execution.
        self.abandon_all();
    }
}

/// What leaked at the end of a passing execution: a tracked allocation
/// still alive, or an `Arc` allocation made in the model with handles left.
/// `forgotten`: threads whose results were never dropped (their
/// `JoinHandle` leaked).
fn leak_report(ex: &Execution, forgotten: &[ThreadId]) -> Option<String> {
    let mut msg = if let Some((site, thread, what, live)) = ex.storage.first_leak() {
        let others = match live {
            1 => String::new(),
            n => format!(" ({} other allocation(s) leaked too)", n - 1),
        };
        format!(
            "leak: {what} allocated at {} by {} was never freed by the end of the \
             execution{others}",
            report::location(site),
            ex.thread_label(thread)
        )
    } else {
        let leaked = ex.storage.arcs.iter().find_map(|&object| {
            match ex.objects.records[object.index()].state {
                crate::ObjectState::Arc { count, .. } if count > 0 => Some((object, count)),
                _ => None,
            }
        })?;
        let (object, count) = leaked;
        format!(
            "leak: {} created at {} still has {count} handle(s) at the end of the execution \
             (a reference cycle, a handle passed to mem::forget, or one kept where nothing \
             drops it)",
            ex.objects.label(object),
            report::location(ex.objects.records[object.index()].created)
        )
    };
    for &t in forgotten {
        msg.push_str(&format!(
            "\nnote: the JoinHandle of {} was leaked, so its result was never dropped (std \
             leaks it too): what it owns counts as leaked",
            ex.thread_label(t)
        ));
    }
    Some(msg)
}
