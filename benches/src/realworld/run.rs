//! Running one test of a suite on one side: its own process (the test
//! executable with `--exact <name> --test-threads=1`), the CI's environment,
//! a timeout, the wall time, and the executions the tool logged.
//!
//! Executions come from each tool's own log line, summed over the models
//! the test runs: loom's `Completed in N iterations` (an `info` event of
//! `loom::model`, printed by the subscriber `loom::model` installs when
//! `LOOM_LOG` enables it; a test that calls `Builder::check` directly
//! installs none, and its count is unknown), checker's summary line
//! `...; N execution(s)...` (`CHECKER_LOG=1`).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::cargo::{Side, TestBinary};
use crate::suites::Suite;

/// The tracing filter given to loom as `LOOM_LOG`: only `loom::model`'s
/// events (its `Completed in` line), not the per-switch events of
/// `loom::rt`, which would print a line at every context switch.
const LOOM_LOG_FILTER: &str = "loom::model=info";

/// How long the runner sleeps between two polls of a running test: a
/// hundredth of the time it has run, within these bounds, so that the
/// measured time is within 1% (or 50 µs) of the test's and a long test
/// costs few wakes.
const POLL_LEAST: Duration = Duration::from_micros(50);
const POLL_MOST: Duration = Duration::from_millis(10);

/// How one run of one test ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The harness reported the test passed (`should_panic` included).
    Pass,
    /// The test failed; the first lines of the tool's report.
    Fail(String),
    /// Killed after the timeout.
    Timeout,
}

/// One run of one test.
#[derive(Clone, Debug)]
pub struct Run {
    /// How it ended.
    pub verdict: Verdict,
    /// Executions logged, summed over the test's models; `None` when the
    /// tool logged none (killed, or loom without its subscriber).
    pub executions: Option<u64>,
    /// Wall time of the test's process.
    pub wall: Duration,
}

/// The variables of the runner's own environment a test never inherits:
/// every loom or checker setting comes from the suite's CI table only.
fn is_tool_setting(name: &str) -> bool {
    name.starts_with("LOOM_") || name.starts_with("CHECKER_") || name == "RUST_BACKTRACE"
}

/// Runs `test` of `binary` once on `side`, killing it after `timeout`. The
/// output goes to `log`, which is kept only when the test did not pass.
pub fn run_test(
    suite: &Suite,
    side: Side,
    binary: &TestBinary,
    copy: &Path,
    test: &str,
    timeout: Duration,
    log: &Path,
) -> Result<Run, String> {
    let file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
    let mut command = Command::new(&binary.path);
    command
        .current_dir(copy)
        .args(["--exact", test, "--test-threads=1", "--nocapture"])
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(is_tool_setting) {
            command.env_remove(name);
        }
    }
    // What `cargo test` gives a test process (checker's replay command
    // names the package and target from them), and the `RUSTFLAGS` the
    // CI's shell has.
    command
        .env("CARGO_PKG_NAME", suite.name)
        .env("CARGO_PKG_VERSION", suite.version)
        .env("CARGO_MANIFEST_DIR", copy)
        .env("RUSTFLAGS", suite.rustflags)
        .envs(suite.env.iter().copied());
    match side {
        Side::Loom => command.env("LOOM_LOG", LOOM_LOG_FILTER),
        Side::Checker => command.env("CHECKER_LOG", "1"),
    };
    let start = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("{}: {e}", binary.path.display()))?;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| format!("waiting for {test}: {e}"))? {
            break Some(status);
        }
        if start.elapsed() >= timeout {
            // The test is one process (both tools run the model in the
            // test's own thread), so killing it stops the whole test.
            child.kill().map_err(|e| format!("killing {test}: {e}"))?;
            child.wait().map_err(|e| format!("reaping {test}: {e}"))?;
            break None;
        }
        thread::sleep((start.elapsed() / 100).clamp(POLL_LEAST, POLL_MOST));
    };
    let wall = start.elapsed();
    let output = fs::read(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let output = String::from_utf8_lossy(&output);
    let executions = executions(side, &output);
    let verdict = match status {
        None => Verdict::Timeout,
        Some(status) if status.success() => Verdict::Pass,
        Some(_) => Verdict::Fail(failure_summary(&output)),
    };
    if verdict == Verdict::Pass {
        fs::remove_file(log).map_err(|e| format!("{}: {e}", log.display()))?;
    }
    Ok(Run { verdict, executions, wall })
}

/// The executions `side` logged in `output`, summed over its models.
fn executions(side: Side, output: &str) -> Option<u64> {
    let counts: Vec<u64> = output
        .lines()
        .filter_map(|line| match side {
            Side::Loom => {
                let rest = &line[line.find("Completed in ")? + "Completed in ".len()..];
                rest.split(' ').next()?.parse().ok()
            }
            // The harness's `test NAME ... ` may start the line: the
            // summary goes to stderr, the harness writes to stdout.
            Side::Checker => {
                let rest = &line[line.find("checker: ")? + "checker: ".len()..];
                let before = &rest[..rest.find(" execution(s)")?];
                before.rsplit(' ').next()?.parse().ok()
            }
        })
        .collect();
    (!counts.is_empty()).then(|| counts.iter().sum())
}

/// How many lines of a failing test's output the summary keeps.
const FAILURE_LINES: usize = 8;

/// The first lines of a failure: from the tool's report (checker's
/// "checker found a bug", a panic message, or an error of the harness)
/// on, or the end of the output when none of those is found.
fn failure_summary(output: &str) -> String {
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    let markers = ["checker found", "checker: internal error", "panicked at", "error"];
    let start = markers
        .iter()
        .find_map(|m| lines.iter().position(|l| l.contains(m)))
        .unwrap_or(lines.len().saturating_sub(FAILURE_LINES));
    lines[start..].iter().take(FAILURE_LINES).copied().collect::<Vec<_>>().join("\n")
}

/// The log file of one run: under the side's log folder, named after the
/// crate and the test.
pub fn log_path(log_dir: &Path, suite: &Suite, binary: &TestBinary, test: &str) -> PathBuf {
    let name: String = format!("{}-{}.{}.{test}", suite.name, suite.version, binary.target)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
        .collect();
    log_dir.join(format!("{name}.txt"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executions_are_read_from_each_tool_and_summed() {
        let loom = "\u{1b}[32m INFO\u{1b}[0m loom::model: Completed in 12 iterations\n\
                    test x ... ok\n INFO loom::model: Completed in 30 iterations\n";
        assert_eq!(executions(Side::Loom, loom), Some(42));
        let checker = "checker: verified within the preemption bound (dpor): every execution \
                       with at most 2 preemption(s) explored; 1234 execution(s) (5 of them \
                       redundant: sleep-set blocked), longest 80 steps, 0.012 s\n";
        assert_eq!(executions(Side::Checker, checker), Some(1234));
        let interleaved = format!("test spsc ... {checker}");
        assert_eq!(executions(Side::Checker, &interleaved), Some(1234));
        assert_eq!(executions(Side::Checker, "test x ... ok\n"), None);
    }

    #[test]
    fn a_failure_summary_starts_at_the_report() {
        let output = "running 1 test\nchecker found a bug (panic) in execution 3:\nmain \
                      panicked at src/lib.rs:1:1\n";
        assert!(failure_summary(output).starts_with("checker found a bug (panic)"));
    }
}
