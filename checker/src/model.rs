//! Running a model: [`model`] and its [`Builder`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use scheduler::config::StrategyKind;
use scheduler::config::{Config, ConfigError, LogLevel};
use scheduler::explore::{self, Body};

pub use scheduler::assertions::{
    AssertionSummary, Discovery, DiscoveryKind, DiscoveryRecord, MarkKind, MarkSummary,
};
pub use scheduler::explore::{Limit, Outcome, ResumedFrom, UsageError, Verdict};
pub use scheduler::report::{FailureKind, Report};
pub use scheduler::strategy::Coverage;

/// Runs `f` under every interleaving of the threads it spawns, and panics
/// with a report if one of them fails.
///
/// The same as `Builder::new().check(f)`.
#[track_caller]
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    Builder::new().check(f)
}

/// Configures a model run. Shaped like loom's `model::Builder`: set the
/// public fields, then call [`Builder::check`].
///
/// As in loom, [`Builder::new`] takes each field's default from its
/// environment variable when set (`CHECKER_MAX_BRANCHES`,
/// `CHECKER_MAX_PREEMPTIONS`, ..., with loom's `LOOM_*` names as aliases),
/// so a field set in code wins. Only `CHECKER_REPLAY`, `CHECKER_LOG` and
/// `CHECKER_PROGRESS` control the run whatever the code set.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Builder {
    /// The most threads one execution may have, the model body included.
    pub max_threads: usize,
    /// The most operations one execution may take; an execution that takes
    /// more (a spin loop that never yields) is reported as a failure.
    pub max_branches: usize,
    /// Stop after this many executions (the run is then reported incomplete).
    pub max_permutations: Option<usize>,
    /// Stop after this much time (the run is then reported incomplete).
    pub max_duration: Option<Duration>,
    /// Explore only executions with at most this many preemptions.
    pub preemption_bound: Option<usize>,
    /// Print a summary line at the end of the run.
    pub log: bool,
    /// Stack size of every model thread, in bytes.
    pub stack_size: usize,
    /// A name for the model, shown in reports and used in the replay command
    /// of a program that is not a test (an example takes it as its argument).
    pub name: Option<String>,
    /// Run only the execution of this decision path (as `CHECKER_REPLAY`).
    pub replay: Option<String>,
    /// How executions are explored (`CHECKER_STRATEGY`): partial-order
    /// reduction by default.
    pub strategy: StrategyKind,
    /// Count the distinct equivalence classes (Mazurkiewicz traces) and
    /// execution graphs the run covered, in `Outcome::traces` and
    /// `Outcome::graphs` (`CHECKER_COUNT_TRACES`): how close the reduction
    /// is to optimal.
    /// A diagnostic; it costs time quadratic in each execution's length.
    pub count_traces: bool,
    /// Restore the state of an execution's first steps from a snapshot of
    /// an earlier execution that took the same ones, instead of executing
    /// them again (`CHECKER_FAST_REPLAY`), where the strategy allows it
    /// (DPOR). On by default; off, every step of every execution is
    /// executed, with the same executions and verdict, more slowly.
    pub fast_replay: bool,
    /// Let `Condvar::wait` and `thread::park` return without a notification
    /// or token, as std allows, and explore those wake-ups
    /// (`CHECKER_SPURIOUS_WAKEUPS`). Off by default: it multiplies the
    /// executions, and loom does not model it. Turn it on to check that
    /// every wait sits in a loop that re-checks its condition.
    pub spurious_wakeups: bool,
    /// A spin loop (a thread that yields, with `thread::yield_now` or
    /// `hint::spin_loop`, between tries) whose last try only read the
    /// latest values of atomics and left the thread's stack as the try
    /// before found it waits until one of those atomics changes, instead of
    /// trying again: executions then differ only in what the loop observes,
    /// not in how often it spun. On by default; `CHECKER_SPIN_ASSUME=0`
    /// turns it off. A loop that keeps its count of tries only on the heap
    /// (behind a `Box`) is taken for one that does not count. With it, a
    /// loop that does not yield but only reads atomics gets a yield where
    /// it comes back to a read in the state it had there before.
    pub spin_assume: bool,
    /// May a `compare_exchange` read a store older than the last one?
    /// RC11 lets a failing one (it is then a load) read any store
    /// coherence allows, and checker explores those reads; loom's always
    /// reads the last store. `None`, the default (`CHECKER_STALE_CAS`,
    /// `auto`): explored when the exploration is unbounded, not under a
    /// preemption bound, where the search is loom's. `Some(true)` explores
    /// them under a bound too (retry loops then cost many more executions);
    /// `Some(false)` never.
    pub stale_cas: Option<bool>,
    /// May a timed wait (`Condvar::wait_timeout`, `park_timeout`,
    /// `recv_timeout`) time out while another thread can still run? std
    /// lets a timeout pass at any moment; loom's timed waits never time
    /// out. `None`, the default (`CHECKER_EAGER_TIMEOUTS`, `auto`): at any
    /// step when the exploration is unbounded; under a preemption bound,
    /// where the search is loom's, only once no thread can run (where loom
    /// would report a deadlock). `Some(true)` lets timeouts pass at any step
    /// under a bound too (thread pools' tests then cost several times the
    /// executions); `Some(false)` never before every thread is blocked.
    pub eager_timeouts: Option<bool>,
    /// Start every execution with exploration off, as if
    /// [`crate::stop_exploring`] had been called first: only the decisions
    /// after [`crate::explore`] are branched on (loom's field).
    pub expect_explicit_explore: bool,
    /// Save the exploration state to this file, and resume from it when it
    /// exists (loom's field; also `CHECKER_CHECKPOINT_FILE` /
    /// `LOOM_CHECKPOINT_FILE`). The run saves every `checkpoint_interval`
    /// executions and when it ends; a later run goes on where it stopped,
    /// and one that finds a finished exploration reports its result again
    /// without running. Replays ignore it.
    pub checkpoint_file: Option<PathBuf>,
    /// How many executions between checkpoints (loom's field, default
    /// 20,000; also `CHECKER_CHECKPOINT_INTERVAL` /
    /// `LOOM_CHECKPOINT_INTERVAL`).
    pub checkpoint_interval: usize,
    /// The seed of every pseudo-random decision (`CHECKER_SEED`): the
    /// random, PCT and POS strategies' executions, and the `checker::rand`
    /// values DPOR and DFS sample. Fixed by default, so runs reproduce; the
    /// summary prints it.
    pub seed: u64,
    /// PCT's bug depth `d` (`CHECKER_PCT_DEPTH`, default 3): `d - 1`
    /// priority change points per execution.
    pub pct_depth: usize,
    /// The energy budget (`CHECKER_ENERGY`): every execution costs one
    /// unit, and a run that spends it all ends incomplete. `None`:
    /// unlimited for DPOR and DFS, 1000 for random, PCT and POS (unless
    /// `max_permutations` is set).
    pub energy: Option<u64>,
    /// Record the source location of operations (loom's field, whose
    /// default loom takes from `LOOM_LOCATION`). checker always records
    /// them, for every trace: the field and the variable are accepted for
    /// loom compatibility and have no effect.
    pub location: bool,
    /// Fail the run when a discovery assertion (`assert_sometimes!`,
    /// `assert_reachable!`...) was never satisfied, or an `assert_always!`
    /// never reached (also `CHECKER_REQUIRE_SOMETIMES=1`). Off by default:
    /// the list is printed after the summary, and is in
    /// `Outcome::assertions`.
    pub fail_on_unsatisfied: bool,
    /// Split timelines at discoveries (the multiverse, also
    /// `CHECKER_SPLIT`): `None` means on for random, PCT and POS, off for DPOR
    /// and DFS (which split only with an energy budget).
    pub split: Option<bool>,
    /// Children forked at each split (`CHECKER_SPLIT_CHILDREN`, default 4).
    pub split_children: u32,
    /// How deep splits nest (`CHECKER_SPLIT_DEPTH`, default 8).
    pub split_depth: u32,
    /// Processes that run at once, at every depth (`CHECKER_JOBS`,
    /// default 1).
    pub jobs: u32,
    /// A forked timeline silent this long is killed and reported as a hang
    /// (`CHECKER_TIMELINE_TIMEOUT`, default 300 s).
    pub timeline_timeout: Duration,
    /// Adaptive mode (`CHECKER_SPLIT_ALLOWANCE`): units each discovery mark
    /// may spend on its timelines before drawing on the pool that
    /// unproductive marks give back to; 0 (the default): off.
    pub split_allowance: u64,
    /// The progress line of long runs on stderr (also `CHECKER_PROGRESS`):
    /// `None` (the default) shows it when logging to a terminal.
    pub progress: Option<bool>,
    /// Reads-from coverage (`CHECKER_COVERAGE`): compute every execution's
    /// reads-from edges and count the distinct ones (`Outcome::rf_edges`,
    /// printed in the summary). `None` means on for random and PCT, off for
    /// DPOR and DFS (it costs a pass over each execution).
    pub coverage: Option<bool>,
    /// A new reads-from edge is a discovery for the fork loop, so a
    /// timeline that reaches new coverage splits (`CHECKER_SPLIT_ON_EDGES`,
    /// off by default). Needs splitting ([`Builder::split`]); turns
    /// coverage on.
    pub split_on_new_edges: bool,
    /// A bad environment value met by [`Builder::new`], reported by
    /// [`Builder::run`].
    env_error: Option<ConfigError>,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// A builder with the default configuration, each field taken from its
    /// environment variable when set (loom reads them here too). A bad value
    /// is reported by [`Builder::run`].
    pub fn new() -> Self {
        let mut c = Config::default();
        let env_error = c.apply_env().err();
        Builder {
            max_threads: c.max_threads,
            max_branches: c.max_branches,
            max_permutations: c.max_permutations,
            max_duration: c.max_duration,
            preemption_bound: c.preemption_bound,
            log: c.log != LogLevel::Quiet,
            stack_size: c.stack_size,
            name: None,
            replay: c.replay,
            strategy: c.strategy,
            count_traces: c.count_traces,
            fast_replay: c.fast_replay,
            spurious_wakeups: c.spurious_wakeups,
            spin_assume: c.spin_assume,
            stale_cas: c.stale_cas,
            eager_timeouts: c.eager_timeouts,
            expect_explicit_explore: c.expect_explicit_explore,
            checkpoint_file: c.checkpoint_file,
            checkpoint_interval: c.checkpoint_interval,
            seed: c.seed,
            pct_depth: c.pct_depth,
            energy: c.energy,
            location: true,
            fail_on_unsatisfied: c.require_satisfied,
            split: c.split,
            split_children: c.split_children,
            split_depth: c.split_depth,
            jobs: c.jobs,
            timeline_timeout: c.timeline_timeout,
            split_allowance: c.split_allowance,
            progress: c.progress,
            coverage: c.coverage,
            split_on_new_edges: c.split_on_new_edges,
            env_error,
        }
    }

    /// Sets [`Builder::checkpoint_file`] (loom's method).
    pub fn checkpoint_file(&mut self, file: &str) -> &mut Self {
        self.checkpoint_file = Some(file.into());
        self
    }

    /// Sets [`Builder::strategy`].
    pub fn strategy(&mut self, strategy: StrategyKind) -> &mut Self {
        self.strategy = strategy;
        self
    }

    /// Sets [`Builder::seed`].
    pub fn seed(&mut self, seed: u64) -> &mut Self {
        self.seed = seed;
        self
    }

    /// Sets [`Builder::pct_depth`].
    pub fn pct_depth(&mut self, depth: usize) -> &mut Self {
        self.pct_depth = depth;
        self
    }

    /// Sets [`Builder::energy`].
    pub fn energy(&mut self, units: u64) -> &mut Self {
        self.energy = Some(units);
        self
    }

    /// Sets [`Builder::split`]: split timelines at discoveries, or not.
    pub fn split(&mut self, on: bool) -> &mut Self {
        self.split = Some(on);
        self
    }

    /// Sets [`Builder::coverage`]: compute reads-from coverage, or not.
    pub fn coverage(&mut self, on: bool) -> &mut Self {
        self.coverage = Some(on);
        self
    }

    /// Sets [`Builder::split_on_new_edges`].
    pub fn split_on_new_edges(&mut self, on: bool) -> &mut Self {
        self.split_on_new_edges = on;
        self
    }

    /// Sets [`Builder::jobs`].
    pub fn jobs(&mut self, jobs: u32) -> &mut Self {
        self.jobs = jobs;
        self
    }

    /// Sets [`Builder::fail_on_unsatisfied`].
    pub fn fail_on_unsatisfied(&mut self, on: bool) -> &mut Self {
        self.fail_on_unsatisfied = on;
        self
    }

    /// The configuration these fields describe, before the environment.
    fn config(&self) -> Config {
        Config {
            max_branches: self.max_branches,
            preemption_bound: self.preemption_bound,
            max_threads: self.max_threads,
            stack_size: self.stack_size,
            max_permutations: self.max_permutations,
            max_duration: self.max_duration,
            replay: self.replay.clone(),
            log: if self.log { LogLevel::Summary } else { LogLevel::Quiet },
            name: self.name.clone(),
            strategy: self.strategy,
            count_traces: self.count_traces,
            fast_replay: self.fast_replay,
            spurious_wakeups: self.spurious_wakeups,
            spin_assume: self.spin_assume,
            stale_cas: self.stale_cas,
            eager_timeouts: self.eager_timeouts,
            expect_explicit_explore: self.expect_explicit_explore,
            checkpoint_file: self.checkpoint_file.clone(),
            checkpoint_interval: self.checkpoint_interval,
            seed: self.seed,
            pct_depth: self.pct_depth,
            energy: self.energy,
            body_type: "",
            require_satisfied: self.fail_on_unsatisfied,
            split: self.split,
            split_children: self.split_children,
            split_depth: self.split_depth,
            jobs: self.jobs,
            timeline_timeout: self.timeline_timeout,
            split_allowance: self.split_allowance,
            progress: self.progress,
            coverage: self.coverage,
            split_on_new_edges: self.split_on_new_edges,
        }
    }

    /// Explores `f` and returns how it went, without panicking on a failure.
    ///
    /// The run-control variables (`CHECKER_REPLAY`, `CHECKER_LOG`,
    /// `CHECKER_PROGRESS`) override the builder's fields; the others gave
    /// the fields their defaults in [`Builder::new`]. An `Err` is an input
    /// error: a bad environment value, a replay path that does not fit the
    /// program, or a checkpoint file that cannot be written or resumed.
    pub fn run<F>(&self, f: F) -> Result<Outcome, UsageError>
    where
        F: Fn() + Sync + Send + 'static,
    {
        if let Some(e) = &self.env_error {
            return Err(UsageError::Config(e.clone()));
        }
        let mut config = self.config();
        config.body_type = std::any::type_name::<F>();
        config.apply_run_control_env().map_err(UsageError::Config)?;
        let body: Body = Arc::new(f);
        explore::run_model(config, body)
    }

    /// Explores `f` and panics with the report if an execution fails, or
    /// with the error if the input is bad.
    #[track_caller]
    pub fn check<F>(&self, f: F)
    where
        F: Fn() + Sync + Send + 'static,
    {
        match self.run(f) {
            Ok(outcome) => {
                if let Some(report) = outcome.failure {
                    panic!("{report}");
                }
                if let Some(message) = outcome.unsatisfied_failure() {
                    panic!("{message}");
                }
            }
            Err(e) => panic!("{e}"),
        }
    }
}
