//! Configuration of one model run, and the one function that reads the
//! environment.
//!
//! Every knob is a field of [`Config`] (which `checker::model::Builder`
//! fills in). As in loom, an environment variable gives a field its default
//! (`Builder::new` reads them all), and a field set in code after that
//! wins; only the run-control variables ([`RUN_CONTROL`]: replay, log,
//! progress line) override the code when the run starts. All variables are
//! parsed by [`Config::apply_env_from`], so a bad value is always reported
//! the same way: the variable, the value, the accepted form. Loom's
//! `LOOM_*` names are accepted as aliases; the `CHECKER_*` name wins when
//! both are set.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// How much a model run prints.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Only what the user must know: failures and incomplete runs.
    Quiet,
    /// Also a one-line summary at the end of every model.
    Summary,
    /// Also the trace of every execution.
    Trace,
}

/// How executions are explored.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StrategyKind {
    /// Dynamic partial-order reduction: one execution per class of
    /// executions that differ only in the order of independent steps.
    Dpor,
    /// Exhaustive depth-first search over every decision.
    Dfs,
    /// A uniform random walk: every decision uniform, a fresh stream per
    /// execution. Samples; never verifies.
    Random,
    /// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010):
    /// random thread priorities with `pct_depth - 1` change points.
    /// Samples; never verifies.
    Pct,
    /// Partial order sampling (Yuan, Yang, Gu, CAV 2018): a random
    /// priority per step, re-drawn for the steps that race with the one
    /// that ran. Samples; never verifies.
    Pos,
    /// Reads-from fuzzing (Wolff et al., ASPLOS 2024): POS steered by
    /// reads-from constraints, mutated from the schedules that reached new
    /// reads-from edges. Samples; never verifies.
    Rff,
    /// DPOR for half the energy; if it does not finish, RFF with splitting
    /// for the rest. Verified only if DPOR finished.
    Auto,
}

/// The energy of an `auto` run given none: DPOR gets half.
pub const DEFAULT_AUTO_ENERGY: u64 = 10_000;

impl StrategyKind {
    /// Does it sample executions, or may it (`auto`)? Such a run needs an
    /// energy budget, takes no checkpoints, covers reads-from edges and
    /// splits timelines by default.
    pub fn samples(self) -> bool {
        matches!(
            self,
            StrategyKind::Random
                | StrategyKind::Pct
                | StrategyKind::Pos
                | StrategyKind::Rff
                | StrategyKind::Auto
        )
    }
}

/// Everything that shapes a model run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The most operations one execution may take before it is reported as
    /// stuck (loom's name). A spin loop that never yields hits this.
    pub max_branches: usize,
    /// Bound on preemptive context switches per execution (`None`: unbounded).
    pub preemption_bound: Option<usize>,
    /// The most threads one execution may have, the model body included.
    pub max_threads: usize,
    /// Stack size of every model thread, in bytes.
    pub stack_size: usize,
    /// Stop after this many executions; the run is then incomplete.
    pub max_permutations: Option<usize>,
    /// Stop after this much time; the run is then incomplete.
    pub max_duration: Option<Duration>,
    /// Run exactly one execution: the one this decision path describes.
    pub replay: Option<String>,
    /// What to print.
    pub log: LogLevel,
    /// A name for the model, used in reports and in the replay command.
    pub name: Option<String>,
    /// How executions are explored.
    pub strategy: StrategyKind,
    /// Count the distinct equivalence classes (Mazurkiewicz traces) and
    /// execution graphs of the executions run (`CHECKER_COUNT_TRACES`): a
    /// diagnostic of how close a reduction is to optimal. Costs time
    /// quadratic in each execution's length.
    pub count_traces: bool,
    /// Restore the state of an execution's first steps from a snapshot of
    /// an earlier execution that took the same ones, instead of executing
    /// them again, where the strategy allows it (DPOR). On by default;
    /// `CHECKER_FAST_REPLAY=0` executes every step (for comparison).
    pub fast_replay: bool,
    /// Let `Condvar::wait` and `thread::park` return without a notification
    /// or token, as std allows, and explore it. Off by default: it
    /// multiplies executions, and loom does not model it.
    pub spurious_wakeups: bool,
    /// A spin loop whose iteration only read the last stores of atomics and
    /// left its thread's stack as it was stalls until one of them changes,
    /// instead of spinning again, and a loop that only reads gets a yield
    /// where it comes back to a state it had (on by default;
    /// `CHECKER_SPIN_ASSUME=0` turns both off).
    pub spin_assume: bool,
    /// May a compare-exchange read a store older than the last one? RC11
    /// lets a failing one (a load) read any store coherence allows; loom's
    /// always reads the last. `None` (the default): yes when the
    /// exploration is unbounded, no under a preemption bound, where the
    /// search is loom's ([`Config::reads_stale_cas`]). `CHECKER_STALE_CAS`.
    pub stale_cas: Option<bool>,
    /// May a timed wait (`Condvar::wait_timeout`, `park_timeout`,
    /// `recv_timeout`) time out while another thread can run? std lets it
    /// time out at any moment; loom's never times out. `None` (the
    /// default): yes when the exploration is unbounded; under a preemption
    /// bound, where the search is loom's, it times out only once no thread
    /// can run, where loom would report a deadlock
    /// ([`Config::times_out_eagerly`]). `CHECKER_EAGER_TIMEOUTS`.
    pub eager_timeouts: Option<bool>,
    /// Every execution starts with exploration off, as if `stop_exploring`
    /// had been called: only what follows an `explore()` is branched on.
    pub expect_explicit_explore: bool,
    /// Where to save the exploration state and resume it from (loom's
    /// checkpoints): a run that finds the file goes on where it stopped.
    /// Replays ignore it.
    pub checkpoint_file: Option<PathBuf>,
    /// Save a checkpoint every this many executions (and when the run
    /// ends).
    pub checkpoint_interval: usize,
    /// The seed of every pseudo-random decision of the run: the random,
    /// PCT and POS strategies' streams, and the `checker::rand` values systematic
    /// strategies sample. The same seed gives the same executions.
    pub seed: u64,
    /// PCT's bug depth `d`: `d - 1` priority change points per execution.
    pub pct_depth: usize,
    /// The energy budget: every execution costs one unit; when it is
    /// spent the run ends incomplete. `None`: unlimited for DPOR and DFS,
    /// [`DEFAULT_SAMPLING_ENERGY`] for the sampling strategies.
    pub energy: Option<u64>,
    /// The type of the model body (`std::any::type_name` of the closure):
    /// with the model's name or its test, it tells models apart, so that a
    /// checkpoint is never resumed by another model.
    pub body_type: &'static str,
    /// Every discovery assertion (`assert_sometimes!`, `assert_reachable!`...)
    /// must be satisfied by the end of the run, and every `assert_always!`
    /// reached; otherwise the run fails with their list.
    pub require_satisfied: bool,
    /// Split timelines at discoveries (the multiverse): `None` means on for
    /// the sampling strategies (random, PCT, POS), off for DPOR and DFS; DPOR
    /// and DFS split only with an energy budget.
    pub split: Option<bool>,
    /// Children forked at each split.
    pub split_children: u32,
    /// Splits at most this deep: a timeline of depth `split_depth` does
    /// not split again.
    pub split_depth: u32,
    /// Processes of the run that run at once (the others wait for their
    /// children), at every depth.
    pub jobs: u32,
    /// A forked timeline silent for this long is killed and reported as a
    /// hang.
    pub timeline_timeout: Duration,
    /// Adaptive mode: each discovery mark may spend this many units on its
    /// timelines before it draws on a pool that marks whose timelines
    /// found nothing new give their unused units back to. 0: off (every
    /// split draws on the energy alone).
    pub split_allowance: u64,
    /// The progress line of long runs: `Some(true)` always, `Some(false)`
    /// never, `None` when logging (`CHECKER_LOG`) to a terminal.
    pub progress: Option<bool>,
    /// Compute every execution's reads-from edges ([`crate::coverage`])
    /// and count the distinct ones (`Outcome::rf_edges`): `None` means on
    /// for the sampling strategies (random, PCT), off for DPOR and DFS (it
    /// costs a pass over every execution's trace).
    pub coverage: Option<bool>,
    /// A new reads-from edge is a discovery for the fork loop: the
    /// timeline that reaches new coverage splits. Needs splitting
    /// ([`Config::split`]) and turns coverage on.
    pub split_on_new_edges: bool,
}

/// The default of [`Config::split_children`].
pub const DEFAULT_SPLIT_CHILDREN: u32 = 4;

/// The default of [`Config::split_depth`].
pub const DEFAULT_SPLIT_DEPTH: u32 = 8;

/// The default of [`Config::timeline_timeout`], in seconds.
pub const DEFAULT_TIMELINE_TIMEOUT: u64 = 300;

/// The energy of a random or PCT run given neither an energy nor
/// `max_permutations`: they never finish on their own.
pub const DEFAULT_SAMPLING_ENERGY: u64 = 1000;

/// The default of [`Config::pct_depth`].
pub const DEFAULT_PCT_DEPTH: usize = 3;

/// The default of [`Config::checkpoint_interval`], loom's.
pub const DEFAULT_CHECKPOINT_INTERVAL: usize = 20_000;

/// The default of [`Config::max_threads`]. Not a compile-time cap: any
/// value can be configured.
pub const DEFAULT_MAX_THREADS: usize = 64;

impl Default for Config {
    fn default() -> Self {
        Config {
            max_branches: 10_000,
            preemption_bound: None,
            max_threads: DEFAULT_MAX_THREADS,
            stack_size: 1024 * 1024,
            max_permutations: None,
            max_duration: None,
            replay: None,
            log: LogLevel::Quiet,
            name: None,
            strategy: StrategyKind::Dpor,
            count_traces: false,
            fast_replay: true,
            spurious_wakeups: false,
            spin_assume: true,
            stale_cas: None,
            eager_timeouts: None,
            expect_explicit_explore: false,
            checkpoint_file: None,
            checkpoint_interval: DEFAULT_CHECKPOINT_INTERVAL,
            seed: crate::rng::DEFAULT_SEED,
            pct_depth: DEFAULT_PCT_DEPTH,
            energy: None,
            body_type: "",
            require_satisfied: false,
            split: None,
            split_children: DEFAULT_SPLIT_CHILDREN,
            split_depth: DEFAULT_SPLIT_DEPTH,
            jobs: 1,
            timeline_timeout: Duration::from_secs(DEFAULT_TIMELINE_TIMEOUT),
            split_allowance: 0,
            progress: None,
            coverage: None,
            split_on_new_edges: false,
        }
    }
}

/// A configuration value that could not be understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    variable: &'static str,
    value: String,
    expected: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "checker: invalid value {:?} for the environment variable {}: expected {}",
            self.value, self.variable, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

/// The environment variables checker reads, with their loom aliases and
/// the accepted form. The user guide's table is this list (with loom's
/// `LOOM_LOCATION`, accepted and ignored: locations are always recorded).
pub const ENV_VARS: &[(&str, Option<&str>, &str)] = &[
    ("CHECKER_MAX_BRANCHES", Some("LOOM_MAX_BRANCHES"), "a whole number of at least 1"),
    ("CHECKER_MAX_PREEMPTIONS", Some("LOOM_MAX_PREEMPTIONS"), "a whole number, or `none`"),
    ("CHECKER_MAX_THREADS", None, "a whole number of at least 1"),
    ("CHECKER_STACK_SIZE", None, "a size in bytes of at least 16384, e.g. 262144 or 256k or 1m"),
    ("CHECKER_MAX_PERMUTATIONS", Some("LOOM_MAX_PERMUTATIONS"), "a whole number of at least 1"),
    ("CHECKER_MAX_DURATION", Some("LOOM_MAX_DURATION"), "a whole number of seconds"),
    ("CHECKER_REPLAY", None, "a decision path printed by a failure report"),
    ("CHECKER_LOG", Some("LOOM_LOG"), "one of 0, 1, summary, trace"),
    ("CHECKER_STRATEGY", None, "one of dpor, dfs, random, pct, pos, rff, auto"),
    ("CHECKER_SEED", None, "a whole number below 2^64, decimal or 0x-hexadecimal"),
    ("CHECKER_PCT_DEPTH", None, "a whole number of at least 1"),
    ("CHECKER_ENERGY", None, "a whole number of at least 1 (executions)"),
    ("CHECKER_SPURIOUS_WAKEUPS", None, "one of 0, 1, true, false, on, off"),
    ("CHECKER_SPIN_ASSUME", None, "one of 0, 1, true, false, on, off"),
    ("CHECKER_COUNT_TRACES", None, "one of 0, 1, true, false, on, off"),
    ("CHECKER_FAST_REPLAY", None, "one of 0, 1, true, false, on, off"),
    ("CHECKER_STALE_CAS", None, "one of 0, 1, true, false, on, off, auto"),
    ("CHECKER_EAGER_TIMEOUTS", None, "one of 0, 1, true, false, on, off, auto"),
    ("CHECKER_CHECKPOINT_FILE", Some("LOOM_CHECKPOINT_FILE"), "a file path"),
    ("CHECKER_REQUIRE_SOMETIMES", None, "one of 0, 1, true, false, on, off"),
    ("CHECKER_SPLIT", None, "one of 0, 1, true, false, on, off"),
    ("CHECKER_SPLIT_CHILDREN", None, "a whole number of at least 1"),
    ("CHECKER_SPLIT_DEPTH", None, "a whole number of at least 1"),
    ("CHECKER_JOBS", None, "a whole number of at least 1"),
    ("CHECKER_TIMELINE_TIMEOUT", None, "a whole number of seconds, at least 1"),
    ("CHECKER_SPLIT_ALLOWANCE", None, "a whole number (units per mark; 0: off)"),
    ("CHECKER_PROGRESS", None, "one of 0, 1, true, false, on, off"),
    ("CHECKER_COVERAGE", None, "one of 0, 1, true, false, on, off"),
    ("CHECKER_SPLIT_ON_EDGES", None, "one of 0, 1, true, false, on, off"),
    (
        "CHECKER_CHECKPOINT_INTERVAL",
        Some("LOOM_CHECKPOINT_INTERVAL"),
        "a whole number of at least 1",
    ),
];

/// The variables that control a run rather than shape the model: they
/// override what the code set, so that the printed replay command replays
/// any test, and logging can be turned up without editing it.
pub const RUN_CONTROL: &[&str] = &["CHECKER_REPLAY", "CHECKER_LOG", "CHECKER_PROGRESS"];

fn expected_form(variable: &'static str) -> &'static str {
    ENV_VARS.iter().find(|(name, ..)| *name == variable).map_or("", |entry| entry.2)
}

impl Config {
    /// Does a compare-exchange of this run choose among older stores too
    /// ([`Config::stale_cas`] resolved)? Under a preemption bound, by
    /// default, it reads the last store, as loom's does: a bounded search is
    /// loom's kind of search, and the stale reads of failing
    /// compare-exchanges, which loom never explores, multiply the executions
    /// of retry loops (papers/bounded-por.md).
    pub fn reads_stale_cas(&self) -> bool {
        self.stale_cas.unwrap_or(self.preemption_bound.is_none())
    }

    /// May a timed wait of this run time out while another thread can run
    /// ([`Config::eager_timeouts`] resolved)? Under a preemption bound, by
    /// default, a timeout passes only once no thread can run: loom's timed
    /// waits never time out, and timeouts that may pass at any step make
    /// every timed wait a step ordered against every other thread's
    /// (`strategy/dpor.rs`, deviation 4), which multiplied the executions
    /// of a thread pool's tests (papers/bounded-por.md).
    pub fn times_out_eagerly(&self) -> bool {
        self.eager_timeouts.unwrap_or(self.preemption_bound.is_none())
    }

    /// Does this run split timelines at discoveries? Never when replaying.
    pub fn splits(&self) -> bool {
        self.replay.is_none()
            && match self.split {
                Some(on) => on,
                None => self.strategy.samples(),
            }
    }

    /// Does this run compute reads-from coverage? Never when replaying.
    pub fn covers(&self) -> bool {
        self.replay.is_none()
            && match self.coverage {
                Some(on) => on,
                None => self.split_on_new_edges || self.strategy.samples(),
            }
    }

    /// Overrides fields with the process environment: every variable.
    pub fn apply_env(&mut self) -> Result<(), ConfigError> {
        self.apply_env_from(|name| std::env::var(name).ok())
    }

    /// Overrides the run-control fields ([`RUN_CONTROL`]) with the process
    /// environment, whatever the code set.
    pub fn apply_run_control_env(&mut self) -> Result<(), ConfigError> {
        self.apply_run_control_from(|name| std::env::var(name).ok())
    }

    /// Overrides the run-control fields with the variables `lookup`
    /// returns, leaving the model's settings alone.
    pub fn apply_run_control_from(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        // Each run-control variable and its loom alias is looked up once;
        // when none is set (the usual run, which calls this at every
        // `Builder::run`), nothing changes, and the parser does not go
        // through the other variables for nothing.
        let mut set: Vec<(&'static str, String)> = Vec::new();
        for (name, alias, _) in ENV_VARS.iter().filter(|(n, ..)| RUN_CONTROL.contains(n)) {
            for variable in std::iter::once(*name).chain(*alias) {
                if let Some(value) = lookup(variable) {
                    set.push((variable, value));
                }
            }
        }
        if set.is_empty() {
            return Ok(());
        }
        self.apply_env_from(|name| set.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()))
    }

    /// Overrides fields with the variables `lookup` returns. This is the one
    /// place where configuration values are parsed.
    pub fn apply_env_from(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        // The CHECKER_ name wins over its loom alias; report errors under the
        // name that was actually set.
        let get = |name: &'static str| -> Option<(&'static str, String)> {
            let alias = ENV_VARS.iter().find(|(n, ..)| *n == name).and_then(|e| e.1);
            lookup(name)
                .map(|v| (name, v))
                .or_else(|| alias.and_then(|a| lookup(a).map(|v| (a, v))))
        };
        let bad = |variable: &'static str, value: &str, canonical: &'static str| ConfigError {
            variable,
            value: value.to_string(),
            expected: expected_form(canonical),
        };
        let positive = |canonical: &'static str| -> Result<Option<usize>, ConfigError> {
            match get(canonical) {
                None => Ok(None),
                Some((var, v)) => match v.trim().parse::<usize>() {
                    Ok(n) if n >= 1 => Ok(Some(n)),
                    _ => Err(bad(var, &v, canonical)),
                },
            }
        };

        if let Some(n) = positive("CHECKER_MAX_BRANCHES")? {
            self.max_branches = n;
        }
        if let Some((var, v)) = get("CHECKER_MAX_PREEMPTIONS") {
            let v_trim = v.trim();
            self.preemption_bound = if v_trim.eq_ignore_ascii_case("none") {
                None
            } else {
                Some(v_trim.parse().map_err(|_| bad(var, &v, "CHECKER_MAX_PREEMPTIONS"))?)
            };
        }
        if let Some(n) = positive("CHECKER_MAX_THREADS")? {
            self.max_threads = n;
        }
        if let Some((var, v)) = get("CHECKER_STACK_SIZE") {
            self.stack_size = parse_size(&v)
                .filter(|&n| n >= 16 * 1024)
                .ok_or_else(|| bad(var, &v, "CHECKER_STACK_SIZE"))?;
        }
        if let Some(n) = positive("CHECKER_MAX_PERMUTATIONS")? {
            self.max_permutations = Some(n);
        }
        if let Some((var, v)) = get("CHECKER_MAX_DURATION") {
            let secs: u64 = v.trim().parse().map_err(|_| bad(var, &v, "CHECKER_MAX_DURATION"))?;
            self.max_duration = Some(Duration::from_secs(secs));
        }
        if let Some((var, v)) = get("CHECKER_REPLAY") {
            let v_trim = v.trim();
            if v_trim.is_empty() {
                return Err(bad(var, &v, "CHECKER_REPLAY"));
            }
            self.replay = Some(v_trim.to_string());
        }
        if let Some((var, v)) = get("CHECKER_STRATEGY") {
            self.strategy = match v.trim().to_ascii_lowercase().as_str() {
                "dpor" => StrategyKind::Dpor,
                "dfs" => StrategyKind::Dfs,
                "random" => StrategyKind::Random,
                "pct" => StrategyKind::Pct,
                "pos" => StrategyKind::Pos,
                "rff" => StrategyKind::Rff,
                "auto" => StrategyKind::Auto,
                _ => return Err(bad(var, &v, "CHECKER_STRATEGY")),
            };
        }
        if let Some((var, v)) = get("CHECKER_SEED") {
            self.seed = parse_seed(&v).ok_or_else(|| bad(var, &v, "CHECKER_SEED"))?;
        }
        if let Some(n) = positive("CHECKER_PCT_DEPTH")? {
            self.pct_depth = n;
        }
        if let Some(n) = positive("CHECKER_ENERGY")? {
            self.energy = Some(n as u64);
        }
        let switch = |canonical: &'static str| -> Result<Option<bool>, ConfigError> {
            match get(canonical) {
                None => Ok(None),
                Some((var, v)) => match v.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "on" | "yes" => Ok(Some(true)),
                    "0" | "false" | "off" | "no" => Ok(Some(false)),
                    _ => Err(bad(var, &v, canonical)),
                },
            }
        };
        if let Some(on) = switch("CHECKER_SPURIOUS_WAKEUPS")? {
            self.spurious_wakeups = on;
        }
        if let Some(on) = switch("CHECKER_SPIN_ASSUME")? {
            self.spin_assume = on;
        }
        if let Some(on) = switch("CHECKER_COUNT_TRACES")? {
            self.count_traces = on;
        }
        if let Some(on) = switch("CHECKER_FAST_REPLAY")? {
            self.fast_replay = on;
        }
        // `auto` (the bound decides), or on or off.
        let auto_switch = |canonical: &'static str, field: &mut Option<bool>| {
            match get(canonical) {
                Some((_, v)) if v.trim().eq_ignore_ascii_case("auto") => *field = None,
                Some(_) => *field = switch(canonical)?,
                None => {}
            }
            Ok::<(), ConfigError>(())
        };
        auto_switch("CHECKER_STALE_CAS", &mut self.stale_cas)?;
        auto_switch("CHECKER_EAGER_TIMEOUTS", &mut self.eager_timeouts)?;
        if let Some(on) = switch("CHECKER_REQUIRE_SOMETIMES")? {
            self.require_satisfied = on;
        }
        if let Some(on) = switch("CHECKER_SPLIT")? {
            self.split = Some(on);
        }
        if let Some(on) = switch("CHECKER_COVERAGE")? {
            self.coverage = Some(on);
        }
        if let Some(on) = switch("CHECKER_SPLIT_ON_EDGES")? {
            self.split_on_new_edges = on;
        }
        let small = |n: usize, var: &'static str| {
            u32::try_from(n).map_err(|_| bad(var, &n.to_string(), var))
        };
        if let Some(n) = positive("CHECKER_SPLIT_CHILDREN")? {
            self.split_children = small(n, "CHECKER_SPLIT_CHILDREN")?;
        }
        if let Some(n) = positive("CHECKER_SPLIT_DEPTH")? {
            self.split_depth = small(n, "CHECKER_SPLIT_DEPTH")?;
        }
        if let Some(n) = positive("CHECKER_JOBS")? {
            self.jobs = small(n, "CHECKER_JOBS")?;
        }
        if let Some((var, v)) = get("CHECKER_PROGRESS") {
            self.progress = Some(match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "on" | "yes" => true,
                "0" | "false" | "off" | "no" => false,
                _ => return Err(bad(var, &v, "CHECKER_PROGRESS")),
            });
        }
        if let Some((var, v)) = get("CHECKER_SPLIT_ALLOWANCE") {
            self.split_allowance =
                v.trim().parse().map_err(|_| bad(var, &v, "CHECKER_SPLIT_ALLOWANCE"))?;
        }
        if let Some(n) = positive("CHECKER_TIMELINE_TIMEOUT")? {
            self.timeline_timeout = Duration::from_secs(n as u64);
        }
        if let Some((var, v)) = get("CHECKER_CHECKPOINT_FILE") {
            if v.trim().is_empty() {
                return Err(bad(var, &v, "CHECKER_CHECKPOINT_FILE"));
            }
            self.checkpoint_file = Some(PathBuf::from(v.trim()));
        }
        if let Some(n) = positive("CHECKER_CHECKPOINT_INTERVAL")? {
            self.checkpoint_interval = n;
        }
        if let Some((var, v)) = get("CHECKER_LOG") {
            self.log = match v.trim().to_ascii_lowercase().as_str() {
                "0" | "off" | "false" | "quiet" => LogLevel::Quiet,
                // loom's LOOM_LOG takes a tracing filter; any level means "tell me".
                "" | "1" | "on" | "true" | "summary" | "info" | "warn" | "error" => {
                    LogLevel::Summary
                }
                "trace" | "debug" | "2" => LogLevel::Trace,
                // loom turns logging on for any LOOM_LOG (a tracing filter
                // such as `loom=trace`), and validates nothing.
                filter if var == "LOOM_LOG" => {
                    if filter.contains("trace") || filter.contains("debug") {
                        LogLevel::Trace
                    } else {
                        LogLevel::Summary
                    }
                }
                _ => return Err(bad(var, &v, "CHECKER_LOG")),
            };
        }
        Ok(())
    }
}

/// Parses a seed: a decimal `u64`, or hexadecimal after `0x`.
pub fn parse_seed(v: &str) -> Option<u64> {
    let v = v.trim();
    match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16).ok(),
        None => v.replace('_', "").parse().ok(),
    }
}

/// Parses `262144`, `256k`, `1m` (binary units).
fn parse_size(v: &str) -> Option<usize> {
    let v = v.trim().to_ascii_lowercase();
    let (digits, unit) = match v.strip_suffix(['k', 'm']) {
        Some(d) => (d, if v.ends_with('k') { 1024 } else { 1024 * 1024 }),
        None => (v.as_str(), 1),
    };
    digits.trim().parse::<usize>().ok()?.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn a_bad_value_names_the_variable_and_the_accepted_form() {
        let mut c = Config::default();
        let err = c.apply_env_from(env(&[("CHECKER_MAX_BRANCHES", "abc")])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("CHECKER_MAX_BRANCHES"), "{text}");
        assert!(text.contains("\"abc\""), "{text}");
        assert!(text.contains("a whole number of at least 1"), "{text}");
    }

    #[test]
    fn loom_aliases_apply_and_checker_names_win() {
        let mut c = Config::default();
        c.apply_env_from(env(&[("LOOM_MAX_PREEMPTIONS", "2")])).unwrap();
        assert_eq!(c.preemption_bound, Some(2));
        c.apply_env_from(env(&[("LOOM_MAX_BRANCHES", "50"), ("CHECKER_MAX_BRANCHES", "70")]))
            .unwrap();
        assert_eq!(c.max_branches, 70);
        let err = c.apply_env_from(env(&[("LOOM_MAX_PREEMPTIONS", "-1")])).unwrap_err();
        assert!(err.to_string().contains("LOOM_MAX_PREEMPTIONS"), "{err}");
    }

    #[test]
    fn run_control_reads_only_replay_log_and_progress() {
        let mut c = Config { preemption_bound: Some(3), ..Config::default() };
        c.apply_run_control_from(env(&[
            ("LOOM_MAX_PREEMPTIONS", "2"),
            ("CHECKER_STRATEGY", "random"),
            ("CHECKER_REPLAY", "1"),
            ("LOOM_LOG", "trace"),
            ("CHECKER_PROGRESS", "off"),
        ]))
        .unwrap();
        assert_eq!((c.preemption_bound, c.strategy), (Some(3), StrategyKind::Dpor));
        assert_eq!(
            (c.replay.as_deref(), c.log, c.progress),
            (Some("1"), LogLevel::Trace, Some(false))
        );
        let err = c.apply_run_control_from(env(&[("CHECKER_LOG", "loud")])).unwrap_err();
        assert!(err.to_string().contains("CHECKER_LOG"), "{err}");
    }

    #[test]
    fn eager_timeouts_follow_the_bound_unless_set() {
        let mut c = Config::default();
        assert!(c.times_out_eagerly(), "unbounded: std's timeouts");
        c.apply_env_from(env(&[("LOOM_MAX_PREEMPTIONS", "2")])).unwrap();
        assert!(!c.times_out_eagerly(), "under a bound: once no thread can run");
        c.apply_env_from(env(&[("CHECKER_EAGER_TIMEOUTS", "yes")])).unwrap();
        assert!(c.times_out_eagerly());
        c.apply_env_from(env(&[("CHECKER_EAGER_TIMEOUTS", " Auto ")])).unwrap();
        assert_eq!(c.eager_timeouts, None);
        let err = c.apply_env_from(env(&[("CHECKER_EAGER_TIMEOUTS", "later")])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("CHECKER_EAGER_TIMEOUTS") && text.contains("auto"), "{text}");
    }

    #[test]
    fn stale_cas_follows_the_bound_unless_set() {
        let mut c = Config::default();
        assert!(c.reads_stale_cas(), "unbounded: RC11's reads");
        c.apply_env_from(env(&[("LOOM_MAX_PREEMPTIONS", "2")])).unwrap();
        assert!(!c.reads_stale_cas(), "under a bound: loom's");
        c.apply_env_from(env(&[("CHECKER_STALE_CAS", "on")])).unwrap();
        assert!(c.reads_stale_cas());
        c.apply_env_from(env(&[("CHECKER_STALE_CAS", "auto")])).unwrap();
        assert_eq!(c.stale_cas, None);
        c.apply_env_from(env(&[("CHECKER_MAX_PREEMPTIONS", "none"), ("CHECKER_STALE_CAS", "0")]))
            .unwrap();
        assert!(!c.reads_stale_cas());
        c.apply_env_from(env(&[("CHECKER_COUNT_TRACES", "1")])).unwrap();
        assert!(c.count_traces);
        let err = c.apply_env_from(env(&[("CHECKER_STALE_CAS", "maybe")])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("CHECKER_STALE_CAS") && text.contains("auto"), "{text}");
    }

    #[test]
    fn loom_log_takes_any_tracing_filter_as_loom_does() {
        let mut c = Config::default();
        c.apply_env_from(env(&[("LOOM_LOG", "loom=trace,my_crate=info")])).unwrap();
        assert_eq!(c.log, LogLevel::Trace);
        c.apply_env_from(env(&[("LOOM_LOG", "my_crate=warn")])).unwrap();
        assert_eq!(c.log, LogLevel::Summary);
        c.apply_env_from(env(&[("LOOM_LOG", "0")])).unwrap();
        assert_eq!(c.log, LogLevel::Quiet);
        assert!(c.apply_env_from(env(&[("CHECKER_LOG", "loom=trace")])).is_err(), "checker's own");
    }

    #[test]
    fn sizes_and_levels_parse() {
        let mut c = Config::default();
        c.apply_env_from(env(&[("CHECKER_STACK_SIZE", "1m"), ("CHECKER_LOG", "trace")])).unwrap();
        assert_eq!(c.stack_size, 1 << 20);
        assert_eq!(c.log, LogLevel::Trace);
        assert!(c.apply_env_from(env(&[("CHECKER_STACK_SIZE", "12")])).is_err());
        assert!(c.apply_env_from(env(&[("CHECKER_LOG", "loud")])).is_err());
        assert!(c.apply_env_from(env(&[("CHECKER_MAX_THREADS", "0")])).is_err());
    }

    #[test]
    fn spurious_wakeups_parse_as_a_switch() {
        let mut c = Config::default();
        assert!(!c.spurious_wakeups, "off by default");
        c.apply_env_from(env(&[("CHECKER_SPURIOUS_WAKEUPS", " on ")])).unwrap();
        assert!(c.spurious_wakeups);
        c.apply_env_from(env(&[("CHECKER_SPURIOUS_WAKEUPS", "0")])).unwrap();
        assert!(!c.spurious_wakeups);
        let err = c.apply_env_from(env(&[("CHECKER_SPURIOUS_WAKEUPS", "maybe")])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("CHECKER_SPURIOUS_WAKEUPS") && text.contains("\"maybe\""), "{text}");
        assert!(text.contains("one of 0, 1, true, false, on, off"), "{text}");
    }

    #[test]
    fn strategies_seeds_depths_and_energy_parse() {
        let mut c = Config::default();
        assert_eq!((c.strategy, c.pct_depth, c.energy), (StrategyKind::Dpor, 3, None));
        c.apply_env_from(env(&[
            ("CHECKER_STRATEGY", "PCT"),
            ("CHECKER_SEED", "0xFF"),
            ("CHECKER_PCT_DEPTH", "2"),
            ("CHECKER_ENERGY", "50"),
        ]))
        .unwrap();
        assert_eq!(
            (c.strategy, c.seed, c.pct_depth, c.energy),
            (StrategyKind::Pct, 255, 2, Some(50))
        );
        c.apply_env_from(env(&[
            ("CHECKER_STRATEGY", "random"),
            ("CHECKER_SEED", "18446744073709551615"),
        ]))
        .unwrap();
        assert_eq!((c.strategy, c.seed), (StrategyKind::Random, u64::MAX));
        type Case = (&'static [(&'static str, &'static str)], &'static str, &'static str);
        let cases: [Case; 5] = [
            (
                &[("CHECKER_STRATEGY", "bfs")],
                "CHECKER_STRATEGY",
                "dpor, dfs, random, pct, pos, rff",
            ),
            (&[("CHECKER_SEED", "0xZZ")], "CHECKER_SEED", "0x-hexadecimal"),
            (&[("CHECKER_SEED", "-1")], "CHECKER_SEED", "below 2^64"),
            (&[("CHECKER_PCT_DEPTH", "0")], "CHECKER_PCT_DEPTH", "at least 1"),
            (&[("CHECKER_ENERGY", "lots")], "CHECKER_ENERGY", "at least 1"),
        ];
        for (pairs, variable, form) in cases {
            let text = c.apply_env_from(env(pairs)).unwrap_err().to_string();
            assert!(text.contains(variable) && text.contains(form), "{text}");
        }
    }

    #[test]
    fn the_multiverse_variables_parse() {
        let mut c = Config::default();
        assert!(!c.splits(), "DPOR does not split by default");
        c.strategy = StrategyKind::Random;
        assert!(c.splits(), "random does");
        c.apply_env_from(env(&[
            ("CHECKER_SPLIT", "off"),
            ("CHECKER_SPLIT_CHILDREN", "16"),
            ("CHECKER_SPLIT_DEPTH", "3"),
            ("CHECKER_JOBS", "2"),
            ("CHECKER_TIMELINE_TIMEOUT", "9"),
            ("CHECKER_SPLIT_ALLOWANCE", "0"),
        ]))
        .unwrap();
        assert!(!c.splits());
        assert_eq!((c.split_children, c.split_depth, c.jobs), (16, 3, 2));
        assert_eq!((c.timeline_timeout.as_secs(), c.split_allowance), (9, 0));
        for (variable, value) in [
            ("CHECKER_SPLIT", "maybe"),
            ("CHECKER_SPLIT_CHILDREN", "0"),
            ("CHECKER_SPLIT_DEPTH", "-1"),
            ("CHECKER_JOBS", "two"),
            ("CHECKER_TIMELINE_TIMEOUT", "0"),
            ("CHECKER_SPLIT_ALLOWANCE", "x"),
        ] {
            let lookup = move |name: &str| (name == variable).then(|| value.to_string());
            let text = c.apply_env_from(lookup).unwrap_err().to_string();
            assert!(text.contains(variable), "{text}");
        }
    }

    #[test]
    fn coverage_variables_parse() {
        let mut c = Config::default();
        assert!(!c.covers(), "DPOR computes no coverage by default");
        c.strategy = StrategyKind::Pct;
        assert!(c.covers(), "PCT does");
        c.apply_env_from(env(&[("CHECKER_COVERAGE", "off")])).unwrap();
        assert!(!c.covers());
        c.strategy = StrategyKind::Dpor;
        c.coverage = None;
        c.apply_env_from(env(&[("CHECKER_SPLIT_ON_EDGES", "1")])).unwrap();
        assert!(c.split_on_new_edges && c.covers(), "splitting on edges needs coverage");
        c.apply_env_from(env(&[("CHECKER_COVERAGE", "1"), ("CHECKER_SPLIT_ON_EDGES", "no")]))
            .unwrap();
        assert!(!c.split_on_new_edges && c.covers());
        for variable in ["CHECKER_COVERAGE", "CHECKER_SPLIT_ON_EDGES"] {
            let lookup = move |name: &str| (name == variable).then(|| "2".to_string());
            let text = c.apply_env_from(lookup).unwrap_err().to_string();
            assert!(text.contains(variable) && text.contains("one of 0, 1"), "{text}");
        }
    }

    #[test]
    fn require_sometimes_parses_as_a_switch() {
        let mut c = Config::default();
        assert!(!c.require_satisfied, "off by default");
        c.apply_env_from(env(&[("CHECKER_REQUIRE_SOMETIMES", "1")])).unwrap();
        assert!(c.require_satisfied);
        c.apply_env_from(env(&[("CHECKER_REQUIRE_SOMETIMES", "off")])).unwrap();
        assert!(!c.require_satisfied);
        let err = c.apply_env_from(env(&[("CHECKER_REQUIRE_SOMETIMES", "2")])).unwrap_err();
        assert!(err.to_string().contains("CHECKER_REQUIRE_SOMETIMES"), "{err}");
    }

    #[test]
    fn a_checkpoint_file_is_read_under_both_names() {
        let mut c = Config::default();
        assert!(c.checkpoint_file.is_none());
        c.apply_env_from(env(&[("LOOM_CHECKPOINT_FILE", "a.json")])).unwrap();
        assert_eq!(c.checkpoint_file.as_deref(), Some(std::path::Path::new("a.json")));
        let err = c.apply_env_from(env(&[("CHECKER_CHECKPOINT_FILE", " ")])).unwrap_err();
        assert!(err.to_string().contains("CHECKER_CHECKPOINT_FILE"), "{err}");
    }

    #[test]
    fn a_checkpoint_interval_is_a_positive_number_under_both_names() {
        let mut c = Config::default();
        assert_eq!(c.checkpoint_interval, 20_000, "loom's default");
        c.apply_env_from(env(&[("LOOM_CHECKPOINT_INTERVAL", "5")])).unwrap();
        assert_eq!(c.checkpoint_interval, 5);
        c.apply_env_from(env(&[
            ("LOOM_CHECKPOINT_INTERVAL", "5"),
            ("CHECKER_CHECKPOINT_INTERVAL", "7"),
        ]))
        .unwrap();
        assert_eq!(c.checkpoint_interval, 7);
        for bad in ["0", "often", "-3"] {
            let pairs: &'static [(&str, &str)] = match bad {
                "0" => &[("CHECKER_CHECKPOINT_INTERVAL", "0")],
                "often" => &[("CHECKER_CHECKPOINT_INTERVAL", "often")],
                _ => &[("LOOM_CHECKPOINT_INTERVAL", "-3")],
            };
            let text = c.apply_env_from(env(pairs)).unwrap_err().to_string();
            assert!(text.contains("CHECKPOINT_INTERVAL") && text.contains(bad), "{text}");
            assert!(text.contains("a whole number of at least 1"), "{text}");
        }
    }
}
