//! `compare`: runs the same models with checker and with loom 0.7 in one
//! process and prints a table of executions, median wall times and time
//! per execution.
//!
//! Usage: `cargo run --release -p checker-benches --bin compare -- [FILTER]
//! [--runs N] [--large]`. Only models whose name contains `FILTER` run;
//! every model runs `N` times (default 5) with each tool and the median time
//! is shown. `--large` adds the sizes that take loom minutes per run.
//! A correct model that either tool fails, or a buggy model whose bug either
//! tool misses, aborts the benchmark with the reason.

mod models;
mod table;
mod tools;

use std::process::ExitCode;
use std::time::Duration;

use models::Model;
use table::Row;
use tools::Run;

/// The command-line options.
struct Options {
    /// Run only models whose name contains this text.
    filter: Option<String>,
    /// Runs of every model with every tool.
    runs: usize,
    /// Also run the sizes that take loom minutes per run.
    large: bool,
}

/// The usage text printed by `--help` and after a bad argument.
const USAGE: &str = "usage: compare [FILTER] [--runs N] [--large]
  FILTER    run only models whose name contains FILTER
  --runs N  runs of every model with every tool (default 5); the median time is shown
  --large   also run the sizes that take loom minutes per run";

/// Reads the options from the command line; `Ok(None)` means `--help`.
fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options { filter: None, runs: 5, large: false };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let runs = if arg == "--runs" {
            Some(args.next().ok_or("--runs needs a number")?)
        } else {
            arg.strip_prefix("--runs=").map(str::to_string)
        };
        if let Some(runs) = runs {
            options.runs = match runs.parse() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(format!("--runs needs a whole number of at least 1, not {runs:?}"));
                }
            };
        } else if arg == "--large" {
            options.large = true;
        } else if arg == "--help" || arg == "-h" {
            return Ok(None);
        } else if arg.starts_with('-') {
            return Err(format!("unknown option {arg:?}"));
        } else if options.filter.is_some() {
            return Err(format!("only one filter may be given, and {arg:?} is a second"));
        } else {
            options.filter = Some(arg);
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
    /// The median wall time of the runs.
    pub median: Duration,
}

/// Runs `run` `runs` times and returns the executions and the median wall
/// time, or an error if a run failed or the runs explored different numbers
/// of executions.
fn measure(runs: usize, run: &dyn Fn() -> Result<Run, String>) -> Result<Measured, String> {
    let mut times = Vec::with_capacity(runs);
    let mut executions = None;
    for i in 1..=runs {
        let Run { executions: e, wall } = run()?;
        match executions {
            None => executions = Some(e),
            Some(first) if first != e => {
                return Err(format!(
                    "run {i} explored {e} executions but run 1 explored {first}: the count \
                     must be deterministic"
                ));
            }
            Some(_) => {}
        }
        times.push(wall);
    }
    times.sort();
    let mid = times.len() / 2;
    let median = if times.len() % 2 == 1 { times[mid] } else { (times[mid - 1] + times[mid]) / 2 };
    Ok(Measured { executions: executions.expect("at least one run"), median })
}

/// Measures one model with both tools, printing progress to stderr.
fn measure_model(model: &Model, runs: usize) -> Result<Row, String> {
    let label = format!("{} (N = {}, {:?})", model.name, model.n, model.expect);
    eprint!("{label}: checker...");
    let checker = measure(runs, &model.checker).map_err(|e| format!("{label}, checker: {e}"))?;
    eprint!(" {:.1} ms; loom...", checker.median.as_secs_f64() * 1e3);
    let loom = measure(runs, &model.loom).map_err(|e| format!("{label}, loom: {e}"))?;
    eprintln!(" {:.1} ms", loom.median.as_secs_f64() * 1e3);
    Ok(Row { name: model.name, n: model.n.clone(), checker, loom })
}

/// Parses the options, measures every selected model with both tools and
/// prints the table; exits with failure if a model gave a wrong verdict.
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
    let models: Vec<Model> = models::all(options.large)
        .into_iter()
        .filter(|m| options.filter.as_deref().is_none_or(|f| m.name.contains(f)))
        .collect();
    if models.is_empty() {
        eprintln!("compare: no model name contains {:?}", options.filter.unwrap_or_default());
        return ExitCode::from(2);
    }
    tools::install_panic_hook();
    let mut rows = Vec::with_capacity(models.len());
    for model in &models {
        match measure_model(model, options.runs) {
            Ok(row) => rows.push(row),
            Err(e) => {
                eprintln!("\ncompare: benchmark aborted: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!();
    print!("{}", table::render(&rows));
    println!(
        "Times: median of {} run(s) per model and tool, wall clock around each whole \
         checker::model::Builder::run / loom::model call, both tools in this one process \
         (release build); executions = calls of the model closure (racy_counter: up to and \
         including the failing one).",
        options.runs
    );
    if !options.large {
        println!("Not run (loom takes minutes per run; add --large): {}.", models::LARGE_ONLY);
    }
    ExitCode::SUCCESS
}
