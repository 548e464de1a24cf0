//! Running one model once with checker or with loom: counting its
//! executions, timing the whole call, and checking that the tool reached the
//! expected verdict.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use checker::model::{Builder, FailureKind, Verdict};

/// While set, the hook of [`install_panic_hook`] prints nothing.
static SILENT: AtomicBool = AtomicBool::new(false);

/// Installs, once and before any model runs, a panic hook that prints
/// nothing while a model runs with loom and defers to the previous hook
/// otherwise. A loom panic is not lost: its message becomes the row's
/// error or footnote.
///
/// A flag is used instead of swapping in an empty hook around the run and
/// restoring the old one after: loom's coroutine library (`generator`)
/// installs its own hook, which hides the panics it uses to end coroutines,
/// the first time a coroutine runs. If that first time is inside the buggy
/// run, restoring the old hook would remove generator's hook for the rest of
/// the process, and every later loom execution would print a panic message
/// (and, with `RUST_BACKTRACE` set, a backtrace) for each finished thread.
/// Hooks installed later by checker and generator wrap this one.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !SILENT.load(Ordering::SeqCst) {
                previous(info);
            }
        }));
    });
}

/// What a model run must end with for its measurement to count.
#[derive(Copy, Clone, Debug)]
pub enum Expect {
    /// The model is correct: the tool must explore it completely and find
    /// nothing.
    Verified,
    /// The model has a bug: the tool must fail with a panic whose message
    /// contains this text.
    Bug(&'static str),
    /// The model has a data race on a `cell::UnsafeCell`: checker must
    /// report it as a data race, loom must panic with
    /// [`LOOM_CAUSALITY`] (how loom reports such a race).
    Race,
}

/// The start of every panic message with which loom reports a data race
/// (`loom::rt`'s cell and atomic access checks).
pub const LOOM_CAUSALITY: &str = "Causality violation";

/// One run of one model with one tool.
#[derive(Copy, Clone, Debug)]
pub struct Run {
    /// Executions (calls of the model closure), the failing one included.
    pub executions: u64,
    /// Of those, the executions checker found redundant only once they had
    /// started (sleep-set blocked); `None` for loom, which does not say.
    pub redundant: Option<u64>,
    /// The Mazurkiewicz traces checker covered, when it was asked to count
    /// them; `None` otherwise and for loom.
    pub traces: Option<u64>,
    /// Wall time of the whole call into the tool.
    pub wall: Duration,
}

/// Wraps `body` so that every call, that is every execution, increments
/// the returned counter first.
fn counted<F>(body: F) -> (Arc<AtomicU64>, impl Fn() + Send + Sync + 'static)
where
    F: Fn() + Send + Sync + 'static,
{
    let calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&calls);
    let wrapped = move || {
        counter.fetch_add(1, Ordering::Relaxed);
        body();
    };
    (calls, wrapped)
}

/// How one run of a model is configured, for either tool.
#[derive(Copy, Clone, Debug, Default)]
pub struct Settings {
    /// Ask checker to count Mazurkiewicz traces (ignored by loom).
    /// Counting costs time quadratic in each execution's length, so timed
    /// runs leave it off.
    pub count_traces: bool,
    /// The most steps of one execution, for both tools (checker's and loom's
    /// `max_branches`); `None`: each tool's default.
    pub max_branches: Option<usize>,
    /// The preemption bound, for both tools; `None`: unbounded (checker),
    /// loom's default (`LOOM_MAX_PREEMPTIONS` or none).
    pub preemption_bound: Option<usize>,
}

/// Runs `body` once with `checker::model::Builder::run`, with the default
/// configuration changed only as `settings` says, and checks the outcome
/// against `expect`.
pub fn checker<F>(expect: Expect, settings: Settings, body: F) -> Result<Run, String>
where
    F: Fn() + Send + Sync + 'static,
{
    let (calls, body) = counted(body);
    let mut builder = Builder::new();
    builder.count_traces = settings.count_traces;
    if let Some(max) = settings.max_branches {
        builder.max_branches = max;
    }
    if settings.preemption_bound.is_some() {
        builder.preemption_bound = settings.preemption_bound;
    }
    let start = Instant::now();
    let outcome =
        builder.run(body).map_err(|e| format!("checker refused to run the model: {e}"))?;
    let wall = start.elapsed();
    let run =
        Run { executions: 0, redundant: Some(outcome.redundant), traces: outcome.traces, wall };
    let executions = calls.load(Ordering::Relaxed);
    if executions != outcome.executions {
        return Err(format!(
            "checker reports {} executions but the model closure was called {executions} times",
            outcome.executions
        ));
    }
    match (expect, &outcome.verdict, &outcome.failure) {
        (Expect::Verified, Verdict::Verified(_), None) => Ok(Run { executions, ..run }),
        (Expect::Verified, _, failure) => Err(format!(
            "checker did not verify a correct model: {}{}",
            outcome.summary(),
            failure.as_ref().map(|report| format!("\n{report}")).unwrap_or_default()
        )),
        (Expect::Bug(message), Verdict::Failed, Some(report))
            if report.kind() == FailureKind::Panic && report.message().contains(message) =>
        {
            Ok(Run { executions, ..run })
        }
        (Expect::Race, Verdict::Failed, Some(report)) if report.kind() == FailureKind::DataRace => {
            Ok(Run { executions, ..run })
        }
        (Expect::Bug(_) | Expect::Race, _, failure) => Err(format!(
            "checker did not find the bug ({}): {}{}",
            expected(expect),
            outcome.summary(),
            failure.as_ref().map(|report| format!("\n{report}")).unwrap_or_default()
        )),
    }
}

/// Runs `body` once with `loom::model::Builder::check` (what `loom::model`
/// calls), with `settings.max_branches` if given, and checks the result
/// against `expect`. A buggy model must make `loom::model` panic with the expected
/// message. Loom's panic output is silenced (see [`install_panic_hook`]);
/// the panic's message is returned in the error.
pub fn loom<F>(expect: Expect, settings: Settings, body: F) -> Result<Run, String>
where
    F: Fn() + Send + Sync + 'static,
{
    install_panic_hook();
    let (calls, body) = counted(body);
    let mut builder = loom::model::Builder::new();
    if let Some(max) = settings.max_branches {
        builder.max_branches = max;
    }
    if settings.preemption_bound.is_some() {
        builder.preemption_bound = settings.preemption_bound;
    }
    SILENT.store(true, Ordering::SeqCst);
    let start = Instant::now();
    let result = panic::catch_unwind(AssertUnwindSafe(|| builder.check(body)));
    let wall = start.elapsed();
    SILENT.store(false, Ordering::SeqCst);
    let executions = calls.load(Ordering::Relaxed);
    let found = match expect {
        Expect::Verified => None,
        Expect::Bug(message) => Some(message),
        Expect::Race => Some(LOOM_CAUSALITY),
    };
    match (found, result) {
        (None, Ok(())) => Ok(Run { executions, redundant: None, traces: None, wall }),
        (None, Err(payload)) => Err(format!(
            "loom failed a correct model after {executions} executions: {}",
            payload_text(payload.as_ref())
        )),
        (Some(message), Err(payload)) if payload_text(payload.as_ref()).contains(message) => {
            Ok(Run { executions, redundant: None, traces: None, wall })
        }
        (Some(message), Err(payload)) => Err(format!(
            "loom failed the buggy model with another panic than {message:?}: {}",
            payload_text(payload.as_ref())
        )),
        (Some(_), Ok(())) => Err(format!(
            "loom did not find the bug ({}) in {executions} executions",
            expected(expect)
        )),
    }
}

/// What a buggy model's expectation asks the tool to report, in words.
fn expected(expect: Expect) -> String {
    match expect {
        Expect::Verified => "none expected".to_string(),
        Expect::Bug(message) => format!("a panic with {message:?}"),
        Expect::Race => {
            format!("a data race, which loom reports as a panic with {LOOM_CAUSALITY:?}")
        }
    }
}

/// The text of a panic payload, or a placeholder when it is not a string.
fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "<a panic payload that is not a string>".to_string()
    }
}
