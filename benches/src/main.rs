//! `compare`: runs the same models with checker and with loom 0.7 in one
//! process and prints a table of executions, median wall times and time
//! per execution, next to each model's optimal number of executions (its
//! Mazurkiewicz traces) where that is known.
//!
//! Usage: `cargo run --release -p checker-benches --bin compare -- [FILTER]
//! [--runs N] [--loom-runs N] [--large] [--huge] [--no-traces] [--no-loom]`. Only
//! models whose label contains `FILTER` run (`lastzero` selects every size,
//! `"lastzero N=3"` one; `weak` selects the weak-memory models, whatever
//! their names); every model runs `--runs` times
//! (default 5) with checker and `--loom-runs` times (default: as `--runs`)
//! with loom, and the median time is shown. Checker runs every model; loom
//! skips the models with more threads than it supports, without `--large`
//! the sizes that take it minutes per run, and without `--huge` those where
//! one loom run did not finish in 15 minutes. Before the timed runs, checker runs
//! every model once more with `count_traces` on, for the `traces` column.
//! With `--no-loom` only checker runs (for profiling it). The straight-line
//! models (one execution of many steps) get a second table: the time per
//! step of each tool.
//! A correct model that either tool fails, or a buggy model whose bug either
//! tool misses, aborts the benchmark with the reason.

mod models;
// Shared with the other benchmark binaries.
mod stats;
mod table;
mod tools;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use models::{LoomPlan, Model};
use table::{Loom, Row};
use tools::{Run, Settings};

/// The command-line options.
struct Options {
    /// Run only models whose name contains this text.
    filter: Option<String>,
    /// Runs of every model with checker.
    runs: usize,
    /// Runs of every model with loom; `None` means as many as `runs`.
    loom_runs: Option<usize>,
    /// Also run loom on the sizes that take it minutes per run.
    large: bool,
    /// Also run loom on the sizes where it did not finish in 15 minutes.
    huge: bool,
    /// Run the untimed pass that counts checker's Mazurkiewicz traces.
    traces: bool,
    /// Run loom at all.
    loom: bool,
}

/// The usage text printed by `--help` and after a bad argument.
const USAGE: &str =
    "usage: compare [FILTER] [--runs N] [--loom-runs N] [--large] [--huge] [--no-traces] [--no-loom]
  FILTER         run only models whose label contains FILTER (`indexer`, or
                 \"indexer N=4\" for one size); `weak`: the weak-memory
                 models (store buffering, message passing, Treiber stack, seqlock, SPSC)
  --runs N       runs of every model with checker (default 5); the median time is shown
  --loom-runs N  runs of every model with loom (default: as --runs)
  --large        also run loom on the sizes that take it minutes per run, and the
                 models that take checker a minute per run
  --huge         as --large, and also run loom where one run did not finish in 15 minutes
  --no-traces    skip the untimed pass that counts checker's Mazurkiewicz traces
  --no-loom      run checker only (to profile it)";

/// Parses a run count given to `option`.
fn parse_runs(option: &str, text: &str) -> Result<usize, String> {
    match text.parse() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{option} needs a whole number of at least 1, not {text:?}")),
    }
}

/// Reads the options from the command line; `Ok(None)` means `--help`.
fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options {
        filter: None,
        runs: 5,
        loom_runs: None,
        large: false,
        huge: false,
        traces: true,
        loom: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_string(), Some(value)),
            _ => (arg.clone(), None),
        };
        match name.as_str() {
            "--runs" | "--loom-runs" => {
                let text = match inline {
                    Some(text) => text.to_string(),
                    None => args.next().ok_or(format!("{name} needs a number"))?,
                };
                let runs = parse_runs(&name, &text)?;
                if name == "--runs" {
                    options.runs = runs;
                } else {
                    options.loom_runs = Some(runs);
                }
            }
            "--large" => options.large = true,
            "--huge" => (options.large, options.huge) = (true, true),
            "--no-traces" => options.traces = false,
            "--no-loom" => options.loom = false,
            "--help" | "-h" => return Ok(None),
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg:?}")),
            _ if options.filter.is_some() => {
                return Err(format!("only one filter may be given, and {arg:?} is a second"));
            }
            _ => options.filter = Some(arg),
        }
    }
    Ok(Some(options))
}

/// The executions and median wall time of several runs of one model with
/// one tool.
#[derive(Copy, Clone, Debug)]
pub struct Measured {
    /// Executions of every run (they must all be equal).
    pub executions: u64,
    /// Of those, the ones checker found redundant (sleep-set blocked);
    /// `None` for loom.
    pub redundant: Option<u64>,
    /// The median wall time of the runs.
    pub median: Duration,
}

/// Runs `run` `runs` times and returns the executions and the median wall
/// time, or an error if a run failed or the runs explored different numbers
/// of executions.
fn measure(runs: usize, run: &dyn Fn() -> Result<Run, String>) -> Result<Measured, String> {
    let mut times = Vec::with_capacity(runs);
    let mut first = None;
    for i in 1..=runs {
        let this = run()?;
        match first {
            None => first = Some(this),
            Some(first)
                if (first.executions, first.redundant) != (this.executions, this.redundant) =>
            {
                return Err(format!(
                    "run {i} explored {} executions ({:?} redundant) but run 1 explored {} \
                     ({:?} redundant): the count must be deterministic",
                    this.executions, this.redundant, first.executions, first.redundant
                ));
            }
            Some(_) => {}
        }
        times.push(this.wall);
    }
    times.sort();
    let mid = times.len() / 2;
    let median = if times.len() % 2 == 1 { times[mid] } else { (times[mid - 1] + times[mid]) / 2 };
    let first = first.expect("at least one run");
    Ok(Measured { executions: first.executions, redundant: first.redundant, median })
}

/// Milliseconds of a duration, for progress lines.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// What loom says when an execution exceeds its branch limit, as spin loops
/// make it do.
const LOOM_GAVE_UP: &str = "Model exceeded maximum number of branches";

/// Measures one model with checker and, as its plan and the options say,
/// with loom, printing progress to stderr.
fn measure_model(model: &Model, options: &Options) -> Result<Row, String> {
    let label = model.label();
    eprint!("{label}:");
    let settings =
        Settings { count_traces: false, max_branches: model.max_branches, preemption_bound: None };
    let traces = if options.traces {
        eprint!(" traces...");
        let run = (model.checker)(Settings { count_traces: true, ..settings })
            .map_err(|e| format!("{label}, checker traces: {e}"))?;
        eprint!(" {};", run.traces.map_or("?".to_string(), |t| t.to_string()));
        run.traces
    } else {
        None
    };
    eprint!(" checker...");
    let checker = measure(options.runs, &|| (model.checker)(settings))
        .map_err(|e| format!("{label}, checker: {e}"))?;
    eprint!(" {:.1} ms;", ms(checker.median));
    let loom = match model.loom_plan {
        _ if !options.loom => {
            eprintln!(" loom: skipped (--no-loom)");
            Loom::Skipped
        }
        LoomPlan::TooManyThreads => {
            eprintln!(" loom: n/a ({} threads)", model.threads);
            Loom::TooManyThreads
        }
        LoomPlan::LargeOnly if !options.large => {
            eprintln!(" loom: skipped (--large)");
            Loom::Skipped
        }
        LoomPlan::HugeOnly if !options.huge => {
            eprintln!(" loom: skipped (--huge)");
            Loom::Skipped
        }
        LoomPlan::Always | LoomPlan::LargeOnly | LoomPlan::HugeOnly => {
            eprint!(" loom...");
            let runs = options.loom_runs.unwrap_or(options.runs);
            match measure(runs, &|| (model.loom)(settings)) {
                Ok(loom) => {
                    eprintln!(" {:.1} ms", ms(loom.median));
                    Loom::Measured(loom)
                }
                // Loom gives up on a correct model (its branch limit):
                // that is a result of the comparison, shown in the table.
                Err(e) if e.contains(LOOM_GAVE_UP) => {
                    eprintln!(" failed");
                    Loom::Failed(e)
                }
                Err(e) => return Err(format!("{label}, loom: {e}")),
            }
        }
    };
    Ok(Row {
        name: model.name,
        n: model.n.clone(),
        optimal: model.optimal,
        traces,
        steps: model.steps,
        checker,
        loom,
    })
}

/// The labels of the models whose loom plan is `plan`, as a list.
fn labels(models: &[Model], plan: LoomPlan) -> String {
    let labels: Vec<String> =
        models.iter().filter(|m| m.loom_plan == plan).map(Model::label).collect();
    labels.join(", ")
}

/// Parses the options, measures every selected model and prints the table;
/// exits with failure if a model gave a wrong verdict.
fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("compare: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let models: Vec<Model> = models::all()
        .into_iter()
        .filter(|m| options.filter.as_deref().is_none_or(|f| m.selected_by(f)))
        .collect();
    let (models, left_out): (Vec<Model>, Vec<Model>) =
        models.into_iter().partition(|m| options.large || !m.large);
    if !left_out.is_empty() {
        let labels: Vec<String> = left_out.iter().map(Model::label).collect();
        eprintln!("compare: not run without --large (minutes per run): {}", labels.join(", "));
    }
    if models.is_empty() {
        eprintln!(
            "compare: no model label contains {:?}, and it names no group",
            options.filter.unwrap_or_default()
        );
        return ExitCode::from(2);
    }
    // The indexer's optimal count of 1 rests on its threads never sharing
    // a slot; check that for every size that claims it before trusting it.
    for model in models.iter().filter(|m| m.name == "indexer" && m.optimal == Some(1)) {
        if let Err(e) = models::indexer_conflict_free(model.threads - 1) {
            eprintln!("compare: the indexer's optimal count of 1 does not hold: {e}");
            return ExitCode::FAILURE;
        }
    }
    tools::install_panic_hook();
    let start = Instant::now();
    let mut rows = Vec::with_capacity(models.len());
    for model in &models {
        match measure_model(model, &options) {
            Ok(row) => rows.push(row),
            Err(e) => {
                eprintln!("\ncompare: benchmark aborted: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("compare: {:.1} s in all", start.elapsed().as_secs_f64());
    println!();
    print!("{}", table::render(&rows));
    if let Some(per_step) = table::render_per_step(&rows) {
        println!();
        print!("{per_step}");
    }
    let loom_runs = options.loom_runs.unwrap_or(options.runs);
    println!();
    println!(
        "Times: median of {} checker run(s) and {loom_runs} loom run(s) per model, wall clock \
         around each whole checker::model::Builder::run / loom::model call, both tools in this \
         one process (release build). exec = calls of the model closure (buggy models: up to \
         and including the failing one); redundant = checker's sleep-set-blocked executions, \
         counted in exec; optimal = Mazurkiewicz traces of the model where known, for the \
         weak-memory models RC11-consistent execution graphs (\"?\": not known).",
        options.runs
    );
    if rows.iter().any(|row| row.steps.is_some()) {
        println!(
            "Per step (the straight-line models, one execution each): steps = steps of one \
             execution, the same operations under both tools (atomic accesses and spawns); \
             ns/step = median time / (executions x steps), the run's fixed costs included; \
             ratio = ns/step checker / ns/step loom."
        );
    }
    if options.traces {
        println!(
            "traces = distinct Mazurkiewicz traces checker's executions covered, from one \
             separate untimed run with count_traces on (the timed runs leave it off)."
        );
    }
    println!(
        "\"!\" after exec checker: more than 1.05 x optimal; ratio exec = exec loom / exec \
         checker, ratio time = ms loom / ms checker."
    );
    let skipped = labels(&models, LoomPlan::LargeOnly);
    if !options.large && !skipped.is_empty() {
        println!(
            "\u{2014}: loom not run, it takes minutes per run (add --large; --loom-runs 1 keeps \
             that affordable): {skipped}."
        );
    }
    let skipped = labels(&models, LoomPlan::HugeOnly);
    if !options.huge && !skipped.is_empty() {
        println!(
            "\u{2014}: loom not run, one loom run did not finish in 15 minutes (add --huge): \
             {skipped}."
        );
    }
    for row in &rows {
        if let Loom::Failed(reason) = &row.loom {
            let first = reason.lines().next().unwrap_or_default();
            println!("fails: loom failed the correct model {} N={}: {first}", row.name, row.n);
        }
    }
    let refused = labels(&models, LoomPlan::TooManyThreads);
    if !refused.is_empty() {
        println!(
            "n/a: loom cannot run the model: it has more than {} threads (model body included), \
             loom 0.7's compile-time limit (loom::rt::MAX_THREADS; Builder::max_threads cannot \
             raise it; loom panics at the spawn over it): {refused}.",
            models::LOOM_MAX_THREADS
        );
    }
    ExitCode::SUCCESS
}
