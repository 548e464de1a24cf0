//! `fences`: what SeqCst fences cost per execution as executions grow long.
//!
//! The model is the pattern of epoch-based reclamation (Fraser, *Practical
//! lock-freedom*, 2004; the scheme of crossbeam-epoch) around a Treiber
//! stack: each of two threads, `ops` times, pins itself (publishes the
//! global epoch it saw, then a fence), pushes a node and pops one with
//! compare-and-swap loops, unpins (a `Release` store), and tries to advance
//! the global epoch (a fence, then a look at the other thread's
//! announcement). With `SeqCst` fences, as the scheme needs, the engine
//! checks RC11's SC order at every access whose options it filters; with
//! `AcqRel` fences the same model makes no such check. Each variant runs
//! the same number of executions under the same preemption bound, with
//! checker and with loom, and the table gives the time per execution, the
//! steps per execution and the time per step.
//!
//! Usage: `cargo run --release -p checker-benches --bin fences -- [--ops
//! 2,4,8,16] [--executions N] [--runs N] [--bound K]`.

mod stats;

use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicU64, Ordering as StdOrdering};
use std::time::Instant;

/// The command-line options.
struct Options {
    /// Operations per thread, one row per value.
    ops: Vec<usize>,
    /// Executions of every run (`max_permutations`): the exploration is
    /// cut there, so that every row measures the same number.
    executions: usize,
    /// Runs of every cell; the median is shown.
    runs: usize,
    /// The preemption bound of every run.
    bound: usize,
}

const USAGE: &str = "usage: fences [--ops 1,3,6,12] [--executions N] [--runs N] [--bound K]
  --ops LIST        operations per thread, one row each (default 1,3,6,12: about 50, 100, 200 and 400 steps)
  --executions N    executions per run (default 1000)
  --runs N          runs per cell, the median is shown (default 3)
  --bound K         preemption bound (default 2)";

fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options { ops: vec![1, 3, 6, 12], executions: 1000, runs: 3, bound: 2 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, text: String| {
            text.parse::<usize>()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or(format!("{name} needs a whole number of at least 1, not {text:?}"))
        };
        match arg.as_str() {
            "--ops" => {
                let list = value("--ops")?;
                options.ops = list
                    .split(',')
                    .map(|n| number("--ops", n.to_string()))
                    .collect::<Result<_, _>>()?;
            }
            "--executions" => options.executions = number(&arg, value(&arg)?)?,
            "--runs" => options.runs = number(&arg, value(&arg)?)?,
            "--bound" => {
                let text = value(&arg)?;
                options.bound =
                    text.parse().map_err(|_| format!("--bound needs a number, not {text:?}"))?;
            }
            "--help" | "-h" => return Ok(None),
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(Some(options))
}

/// The epoch-reclamation Treiber model, written once for both libraries.
/// `$fence` is the ordering of the pin and advance fences.
macro_rules! ebr_treiber {
    ($lib:ident, $ops:expr, $fence:expr, $steps:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicUsize, Ordering, fence};

        const NONE: usize = usize::MAX;
        const INACTIVE: usize = usize::MAX;
        let ops: usize = $ops;
        let threads = 2;
        struct Node {
            value: AtomicUsize,
            next: AtomicUsize,
        }
        struct Shared {
            head: AtomicUsize,
            epoch: AtomicUsize,
            local: Vec<AtomicUsize>,
            nodes: Vec<Node>,
        }
        let shared = Arc::new(Shared {
            head: AtomicUsize::new(NONE),
            epoch: AtomicUsize::new(0),
            local: (0..threads).map(|_| AtomicUsize::new(INACTIVE)).collect(),
            nodes: (0..threads * ops)
                .map(|_| Node { value: AtomicUsize::new(0), next: AtomicUsize::new(NONE) })
                .collect(),
        });
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let s = Arc::clone(&shared);
                $lib::thread::spawn(move || {
                    let mut popped = 0;
                    for i in 0..ops {
                        // Pin.
                        let e = s.epoch.load(Ordering::Relaxed);
                        s.local[t].store(e, Ordering::Relaxed);
                        fence($fence);
                        // Push node (t, i).
                        let n = t * ops + i;
                        s.nodes[n].value.store(n + 1, Ordering::Relaxed);
                        let mut top = s.head.load(Ordering::Relaxed);
                        loop {
                            s.nodes[n].next.store(top, Ordering::Relaxed);
                            match s.head.compare_exchange(
                                top,
                                n,
                                Ordering::Release,
                                Ordering::Relaxed,
                            ) {
                                Ok(_) => break,
                                Err(now) => top = now,
                            }
                        }
                        // Pop one.
                        let mut top = s.head.load(Ordering::Acquire);
                        while top != NONE {
                            let next = s.nodes[top].next.load(Ordering::Relaxed);
                            match s.head.compare_exchange(
                                top,
                                next,
                                Ordering::Acquire,
                                Ordering::Acquire,
                            ) {
                                Ok(_) => {
                                    popped += s.nodes[top].value.load(Ordering::Relaxed);
                                    break;
                                }
                                Err(now) => top = now,
                            }
                        }
                        // Unpin, then try to advance the epoch.
                        s.local[t].store(INACTIVE, Ordering::Release);
                        fence($fence);
                        let global = s.epoch.load(Ordering::Relaxed);
                        let other = s.local[1 - t].load(Ordering::Relaxed);
                        if other == INACTIVE || other == global {
                            let _ = s.epoch.compare_exchange(
                                global,
                                global + 1,
                                Ordering::AcqRel,
                                Ordering::Relaxed,
                            );
                        }
                    }
                    popped
                })
            })
            .collect();
        let popped: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(popped > 0, "every thread pops after its own push");
        $steps.fetch_add(1, StdOrdering::Relaxed);
    }};
}

/// One cell: median wall time per execution over `runs` runs, and the
/// executions of the last run.
struct Cell {
    per_execution_us: f64,
    executions: u64,
}

fn checker_cell(options: &Options, ops: usize, sc: bool) -> Result<Cell, String> {
    let ordering = if sc {
        checker::sync::atomic::Ordering::SeqCst
    } else {
        checker::sync::atomic::Ordering::AcqRel
    };
    let mut times = Vec::new();
    let mut executions = 0;
    for _ in 0..options.runs {
        let calls = StdArc::new(AtomicU64::new(0));
        let counter = StdArc::clone(&calls);
        let mut builder = checker::model::Builder::new();
        builder.preemption_bound = Some(options.bound);
        builder.max_permutations = Some(options.executions);
        let start = Instant::now();
        let outcome = builder
            .run(move || ebr_treiber!(checker, ops, ordering, counter))
            .map_err(|e| format!("checker refused the model: {e}"))?;
        let wall = start.elapsed();
        if let Some(report) = &outcome.failure {
            return Err(format!("checker failed the model: {report}"));
        }
        executions = outcome.executions;
        times.push(wall.as_secs_f64() * 1e6 / executions as f64);
    }
    Ok(Cell { per_execution_us: stats::median(&mut times), executions })
}

fn loom_cell(options: &Options, ops: usize, sc: bool) -> Cell {
    let ordering = if sc {
        loom::sync::atomic::Ordering::SeqCst
    } else {
        loom::sync::atomic::Ordering::AcqRel
    };
    let mut times = Vec::new();
    let mut executions = 0;
    for _ in 0..options.runs {
        let calls = StdArc::new(AtomicU64::new(0));
        let counter = StdArc::clone(&calls);
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(options.bound);
        builder.max_permutations = Some(options.executions);
        // loom looks at `max_permutations` only every `checkpoint_interval`
        // executions.
        builder.checkpoint_interval = 1;
        let start = Instant::now();
        builder.check(move || ebr_treiber!(loom, ops, ordering, counter));
        let wall = start.elapsed();
        executions = calls.load(StdOrdering::Relaxed);
        times.push(wall.as_secs_f64() * 1e6 / executions as f64);
    }
    Cell { per_execution_us: stats::median(&mut times), executions }
}

/// The steps of one execution of the model with `ops` operations per
/// thread, as checker counts them (the first execution's).
fn steps(ops: usize) -> Result<u64, String> {
    let mut builder = checker::model::Builder::new();
    builder.max_permutations = Some(1);
    builder.log = false;
    let calls = StdArc::new(AtomicU64::new(0));
    let outcome = builder
        .run(move || ebr_treiber!(checker, ops, checker::sync::atomic::Ordering::SeqCst, calls))
        .map_err(|e| format!("checker refused the model: {e}"))?;
    Ok(outcome.max_steps as u64)
}

fn bench(options: &Options) -> Result<(), String> {
    println!(
        "ebr_treiber: 2 threads, preemption bound {}, {} executions per run, median of {} runs",
        options.bound, options.executions, options.runs
    );
    println!(
        "{:>4} {:>6} | {:>11} {:>11} {:>7} {:>9} | {:>11} {:>11} {:>7} | {:>9}",
        "ops",
        "steps",
        "chk SC us",
        "chk AR us",
        "SC/AR",
        "ns/step",
        "loom SC us",
        "loom AR us",
        "SC/AR",
        "chk/loom"
    );
    for &ops in &options.ops {
        let steps = steps(ops)?;
        let sc = checker_cell(options, ops, true)?;
        let ar = checker_cell(options, ops, false)?;
        let loom_sc = loom_cell(options, ops, true);
        let loom_ar = loom_cell(options, ops, false);
        println!(
            "{:>4} {:>6} | {:>11.1} {:>11.1} {:>7.2} {:>9.0} | {:>11.1} {:>11.1} {:>7.2} | {:>9.2}",
            ops,
            steps,
            sc.per_execution_us,
            ar.per_execution_us,
            sc.per_execution_us / ar.per_execution_us,
            sc.per_execution_us * 1000.0 / steps as f64,
            loom_sc.per_execution_us,
            loom_ar.per_execution_us,
            loom_sc.per_execution_us / loom_ar.per_execution_us,
            sc.per_execution_us / loom_sc.per_execution_us,
        );
        let runs = [sc.executions, ar.executions, loom_sc.executions, loom_ar.executions];
        if runs.iter().any(|&e| e != runs[0]) {
            println!(
                "      (executions: checker SC {}, AcqRel {}; loom SC {}, AcqRel {})",
                runs[0], runs[1], runs[2], runs[3]
            );
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    stats::main("fences", USAGE, parse_args, bench)
}
