//! `realworld`: the loom suites that published crates ship, run on loom 0.7
//! and on checker in one run, each the way its project's CI runs it.
//!
//! Usage: `cargo run --release -p checker-benches --bin realworld --
//! [--crates A,B] [--filter TEXT] [--timeout SECS] [--verdict-timeout SECS] [--runs N]
//! [--save]`.
//!
//! For every crate of [`suites::SUITES`] (pinned versions): cargo fetches
//! it into its registry through a throw-away package; the runner makes two
//! working copies under `target/realworld/src/`, builds the CI's test
//! targets in each with the CI's `RUSTFLAGS`, features and profile, one
//! plainly (loom 0.7 from crates.io) and one with `[patch.crates-io] loom`
//! pointing at this workspace's `loom-facade/` (checker), each side in its
//! own target directory. Then it lists the tests the CI runs and runs each
//! one alone, on each side, in its own process with the CI's environment
//! and a timeout, and prints one row per test (executions, seconds,
//! verdict on each side), totals and ratios over the tests both sides
//! pass, and the conformance findings: tests loom passes and checker does
//! not, with the first lines of checker's report. A test loom passes and
//! checker does not finish in time runs again on checker with the longer
//! verdict timeout: whether it passes at all is conformance, how long it
//! takes is speed, and the table and totals keep the first run. Build time is not
//! measured. With `--save` the report also goes to
//! `papers/results/realworld-<date>.txt`.
//!
//! A runner in Rust rather than a script: it ships with the other benches,
//! needs nothing but cargo, and owns the timeout and the parsing of both
//! tools' logs in code that is tested (`run.rs`).
//!
//! Not part of `.ci/run`: a full run builds ten crates twice and takes
//! over an hour (tokio's suite alone about fifty minutes on two cores).

mod cargo;
mod report;
mod run;
mod suites;
// Shared with the other benchmark binaries.
#[path = "../stats.rs"]
mod stats;

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cargo::{BuildFailure, Dirs, Side, TestBinary};
use report::{BuildFailed, Outcome, Row};
use run::Verdict;
use suites::{SUITES, Suite};

/// The command-line options.
struct Options {
    /// Only these crates (all when empty).
    crates: Vec<String>,
    /// Only tests whose name contains this.
    filter: Option<String>,
    /// Per-test timeout on each side.
    timeout: Duration,
    /// For the verdict of a test loom passes and checker did not finish
    /// within `timeout`: checker runs it again with this timeout (none: not).
    verdict_timeout: Option<Duration>,
    /// Runs of each test on each side (a test that does not pass runs once).
    runs: usize,
    /// Also write the report to papers/results/.
    save: bool,
}

const USAGE: &str =
    "usage: realworld [--crates A,B] [--filter TEXT] [--timeout SECS] [--verdict-timeout SECS] [--runs N] [--save]
  --crates A,B     run only these crates' suites (default: all)
  --filter TEXT    run only tests whose name contains TEXT
  --timeout SECS   kill a test after SECS seconds on either side (default 120)
  --verdict-timeout SECS
                   run a test loom passes and checker did not finish again on checker, for its
                   verdict, killed after SECS seconds (default 900; 0: no second run); the table
                   and totals keep the first run
  --runs N         runs of each passing test on each side; the median time is shown (default 1)
  --save           also write the report to papers/results/realworld-<date>.txt";

/// Reads the options; `Ok(None)` means `--help`.
fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options {
        crates: Vec::new(),
        filter: None,
        timeout: Duration::from_secs(120),
        verdict_timeout: Some(Duration::from_secs(900)),
        runs: 1,
        save: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--crates" => {
                options.crates = value()?.split(',').map(|c| c.trim().to_string()).collect();
                if let Some(unknown) =
                    options.crates.iter().find(|c| !SUITES.iter().any(|s| s.name == c.as_str()))
                {
                    let known: Vec<&str> = SUITES.iter().map(|s| s.name).collect();
                    return Err(format!(
                        "no suite for crate {unknown:?}; the crates are {}",
                        known.join(", ")
                    ));
                }
            }
            "--filter" => options.filter = Some(value()?),
            "--timeout" => {
                let text = value()?;
                options.timeout = match text.parse::<u64>() {
                    Ok(s) if s >= 1 => Duration::from_secs(s),
                    _ => return Err(format!("--timeout needs whole seconds, not {text:?}")),
                };
            }
            "--verdict-timeout" => {
                let text = value()?;
                options.verdict_timeout = match text.parse::<u64>() {
                    Ok(0) => None,
                    Ok(s) => Some(Duration::from_secs(s)),
                    _ => {
                        return Err(format!(
                            "--verdict-timeout needs whole seconds (0: off), not {text:?}"
                        ));
                    }
                };
            }
            "--runs" => {
                let text = value()?;
                options.runs = match text.parse() {
                    Ok(n) if n >= 1 => n,
                    _ => return Err(format!("--runs needs a number of at least 1, not {text:?}")),
                };
            }
            "--save" => options.save = true,
            "--help" | "-h" => return Ok(None),
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(Some(options))
}

/// What one side built for one suite: its working copy and test
/// executables, or why it did not build.
struct Built {
    copy: PathBuf,
    binaries: Result<Vec<TestBinary>, BuildFailure>,
}

/// The median of `times`.
fn median(times: &[Duration]) -> Duration {
    let mut secs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    Duration::from_secs_f64(stats::median(&mut secs))
}

/// Runs one test on one side `runs` times (once if it does not pass).
fn measure(
    dirs: &Dirs,
    suite: &Suite,
    side: Side,
    built: &Built,
    target: &str,
    test: &str,
    options: &Options,
) -> Result<Outcome, String> {
    let Ok(binaries) = &built.binaries else { return Ok(Outcome::NotBuilt) };
    let Some(binary) = binaries.iter().find(|b| b.target == target) else {
        return Ok(Outcome::Missing);
    };
    measure_for(dirs, suite, side, binary, &built.copy, test, options.timeout, options.runs)
}

/// [`measure`] with a timeout and a number of runs.
#[allow(clippy::too_many_arguments)]
fn measure_for(
    dirs: &Dirs,
    suite: &Suite,
    side: Side,
    binary: &TestBinary,
    copy: &std::path::Path,
    test: &str,
    timeout: Duration,
    runs: usize,
) -> Result<Outcome, String> {
    let log = run::log_path(&dirs.log_dir(side), suite, binary, test);
    let first = run::run_test(suite, side, binary, copy, test, timeout, &log)?;
    let mut times = vec![first.wall];
    if first.verdict == Verdict::Pass {
        for _ in 1..runs {
            let again = run::run_test(suite, side, binary, copy, test, timeout, &log)?;
            if again.verdict != Verdict::Pass {
                return Err(format!(
                    "{} {test} on {}: passed once, then {:?}: the verdict must not change",
                    suite.name,
                    side.name(),
                    again.verdict
                ));
            }
            times.push(again.wall);
        }
    }
    Ok(Outcome::Ran {
        verdict: first.verdict,
        executions: first.executions,
        median: median(&times),
    })
}

/// A progress cell: verdict, seconds and executions.
fn progress(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ran { verdict, executions, median } => {
            let v = match verdict {
                Verdict::Pass => "pass",
                Verdict::Fail(_) => "FAIL",
                Verdict::Timeout => "timeout",
            };
            let e = executions.map_or("?".to_string(), |e| e.to_string());
            format!("{v} {:.3} s {e} exec", median.as_secs_f64())
        }
        Outcome::NotBuilt => "not built".to_string(),
        Outcome::Missing => "missing".to_string(),
    }
}

/// Fetches, builds and runs one suite, appending its rows and failed builds.
fn run_suite(
    dirs: &Dirs,
    suite: &Suite,
    options: &Options,
    rows: &mut Vec<Row>,
    failed: &mut Vec<BuildFailed>,
) -> Result<(), String> {
    let krate = format!("{} {}", suite.name, suite.version);
    eprintln!("realworld: {krate}: fetching");
    let sources = cargo::fetch(dirs, suite)?;
    let mut built = Vec::new();
    for side in Side::BOTH {
        eprintln!("realworld: {krate}: building on {}", side.name());
        let copy = cargo::working_copy(dirs, suite, side, &sources)?;
        if side == Side::Checker {
            cargo::lock_to_facade(dirs, &copy)?;
        }
        let binaries = cargo::build(dirs, suite, side, &copy)?;
        if let Err(f) = &binaries {
            eprintln!("realworld: {krate}: the build on {} failed:\n{}", side.name(), f.summary);
            failed.push(BuildFailed {
                krate: krate.clone(),
                side,
                summary: f.summary.clone(),
                log: f.log.display().to_string(),
            });
        }
        built.push(Built { copy, binaries });
    }
    // The tests the CI runs, by target, from the first side that built.
    let mut tests: Vec<(String, String)> = Vec::new();
    if let Some(b) = built.iter().find(|b| b.binaries.is_ok()) {
        for binary in b.binaries.as_ref().ok().into_iter().flatten() {
            for test in cargo::list_tests(binary, &b.copy)? {
                let by_ci =
                    suite.filters.is_empty() || suite.filters.iter().any(|f| test.contains(f));
                let by_option = options.filter.as_deref().is_none_or(|f| test.contains(f));
                if by_ci && by_option {
                    tests.push((binary.target.clone(), test));
                }
            }
        }
    }
    let targets = tests.iter().map(|(t, _)| t).collect::<std::collections::BTreeSet<_>>().len();
    eprintln!("realworld: {krate}: {} tests", tests.len());
    for (i, (target, test)) in tests.iter().enumerate() {
        let mut sides = Vec::new();
        for (side, b) in Side::BOTH.into_iter().zip(&built) {
            sides.push(measure(dirs, suite, side, b, target, test, options)?);
        }
        let name = if targets > 1 { format!("{target}::{test}") } else { test.clone() };
        eprintln!(
            "realworld: {krate} [{}/{}] {name}: loom {} | checker {}",
            i + 1,
            tests.len(),
            progress(&sides[0]),
            progress(&sides[1])
        );
        // A test loom passes that checker did not finish: its verdict, with
        // more time.
        let timed_out = matches!(sides[1], Outcome::Ran { verdict: Verdict::Timeout, .. });
        let mut rerun = None;
        if let (Some(limit), true, true) = (options.verdict_timeout, sides[0].passed(), timed_out)
            && limit > options.timeout
            && let Ok(binaries) = &built[1].binaries
            && let Some(binary) = binaries.iter().find(|b| &b.target == target)
        {
            eprintln!(
                "realworld: {krate} {name}: checker again, for its verdict, with {} s",
                limit.as_secs()
            );
            let again =
                measure_for(dirs, suite, Side::Checker, binary, &built[1].copy, test, limit, 1)?;
            eprintln!("realworld: {krate} {name}: checker {}", progress(&again));
            rerun = Some((again, limit));
        }
        let [loom, checker]: [Outcome; 2] = sides.try_into().expect("two sides");
        rows.push(Row { krate: krate.clone(), test: name, sides: [loom, checker], rerun });
    }
    Ok(())
}

/// Today's date (UTC) as `YYYY-MM-DD`.
fn today() -> String {
    date(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400))
}

/// The date `days` after 1970-01-01 as `YYYY-MM-DD`, by the proleptic
/// Gregorian calendar: counted in 400-year eras of 146,097 days from
/// 0000-03-01, so that a leap day ends each year.
fn date(days: u64) -> String {
    let z = days as i64 + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The suites' settings, for the head of the report.
fn settings(suites: &[&Suite], options: &Options) -> String {
    let mut out = String::from("Suites (each run as its CI runs it):\n");
    for s in suites {
        let env: Vec<String> = s.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let filters = if s.filters.is_empty() { "all".to_string() } else { s.filters.join(" ") };
        out.push_str(&format!(
            "- {} {}: cargo test {}; RUSTFLAGS=\"{}\"; {}; tests: {filters} ({})\n",
            s.name,
            s.version,
            s.cargo_args.join(" "),
            s.rustflags,
            if env.is_empty() { "no LOOM_* variable".to_string() } else { env.join(" ") },
            s.ci
        ));
    }
    out.push_str(&format!(
        "Each test alone in its own process (--exact NAME --test-threads=1), timeout {} s per \
         side, {} run(s) per passing test (median time). Time: wall time of the test process. \
         exec: loom's `Completed in N iterations` (LOOM_LOG=loom::model=info; `?` when the test \
         builds its own loom::model::Builder, which logs nowhere), checker's summary line \
         (CHECKER_LOG=1), summed over the test's models (after a timeout, `>N`: the models that finished).\n",
        options.timeout.as_secs(),
        options.runs
    ));
    out
}

/// Writes `text` to `papers/results/realworld-<date>.txt` (or `<date>b`
/// to `<date>z` if taken) and returns the path.
fn save(dirs: &Dirs, text: &str) -> Result<PathBuf, String> {
    let results = dirs.workspace.join("papers").join("results");
    let date = today();
    let path = std::iter::once(String::new())
        .chain(('b'..='z').map(String::from))
        .map(|suffix| results.join(format!("realworld-{date}{suffix}.txt")))
        .find(|p| !p.exists())
        .ok_or(format!("26 results for {date} exist already in {}", results.display()))?;
    fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn bench(options: &Options) -> Result<(), String> {
    let dirs = Dirs::new();
    let suites: Vec<&Suite> = SUITES
        .iter()
        .filter(|s| options.crates.is_empty() || options.crates.iter().any(|c| c == s.name))
        .collect();
    let start = std::time::Instant::now();
    let (mut rows, mut failed) = (Vec::new(), Vec::new());
    for suite in &suites {
        run_suite(&dirs, suite, options, &mut rows, &mut failed)?;
    }
    eprintln!("realworld: {:.0} s in all", start.elapsed().as_secs_f64());
    let command: Vec<String> = std::env::args().skip(1).collect();
    let text = format!(
        "realworld benchmark, {} (arguments: {})\n\n{}\n{}",
        today(),
        if command.is_empty() { "none".to_string() } else { command.join(" ") },
        settings(&suites, options),
        report::render(&rows, &failed, options.timeout)
    );
    println!("{text}");
    if options.save {
        let path = save(&dirs, &text)?;
        eprintln!("realworld: written to {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    stats::main("realworld", USAGE, parse_args, bench)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_gregorian_calendar() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(19_723), "2024-01-01");
        assert_eq!(date(19_782), "2024-02-29");
        assert_eq!(date(19_783), "2024-03-01");
        assert_eq!(date(11_016), "2000-02-29");
        assert_eq!(date(47_541), "2100-03-01");
    }
}
