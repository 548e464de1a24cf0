//! The result: one row per test with both sides' executions, times and
//! verdicts; totals and ratios over the tests both sides pass, per crate
//! and overall; counts of verdicts per side; and the conformance findings
//! (tests loom passes and checker does not, builds that fail on one side).

use std::fmt::Write;
use std::time::Duration;

use crate::cargo::Side;
use crate::run::Verdict;
use crate::stats::count;

/// What one side did with one test.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// It ran: the verdict and executions of the first run, and the median
    /// wall time of the runs (a test that did not pass runs once).
    Ran { verdict: Verdict, executions: Option<u64>, median: Duration },
    /// The side could not build the crate's tests (see the build failures).
    NotBuilt,
    /// The side's build has no test of that name.
    Missing,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Ran { verdict: Verdict::Pass, .. })
    }

    /// The verdict column.
    fn verdict(&self) -> &'static str {
        match self {
            Outcome::Ran { verdict: Verdict::Pass, .. } => "pass",
            Outcome::Ran { verdict: Verdict::Fail(_), .. } => "FAIL",
            Outcome::Ran { verdict: Verdict::Timeout, .. } => "timeout",
            Outcome::NotBuilt => "no build",
            Outcome::Missing => "missing",
        }
    }

    fn executions(&self) -> Option<u64> {
        match self {
            Outcome::Ran { executions, .. } => *executions,
            _ => None,
        }
    }

    fn time(&self) -> Option<Duration> {
        match self {
            Outcome::Ran { median, .. } => Some(*median),
            _ => None,
        }
    }
}

/// One test's row.
pub struct Row {
    /// The crate, as `name version`.
    pub krate: String,
    /// The test's name, prefixed with its target when the crate has more
    /// than one test executable.
    pub test: String,
    /// Loom's outcome, then checker's.
    pub sides: [Outcome; 2],
    /// For a test loom passes and checker ran out of time on: checker's
    /// outcome with the longer verdict timeout, and that timeout. Not in
    /// the table or the totals, which stay those of the one timeout.
    pub rerun: Option<(Outcome, Duration)>,
}

impl Row {
    fn side(&self, side: Side) -> &Outcome {
        &self.sides[side as usize]
    }
}

/// A side's build failure, for the findings.
pub struct BuildFailed {
    pub krate: String,
    pub side: Side,
    pub summary: String,
    pub log: String,
}

/// Seconds with three decimals.
fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// `numerator / denominator` as `0.42x`, or `-` without a denominator.
fn ratio(numerator: f64, denominator: f64) -> String {
    if denominator > 0.0 { format!("{:.2}x", numerator / denominator) } else { "-".to_string() }
}

/// Lays out `rows` (the first is the header) in columns; the first two
/// columns are left-aligned, the others right-aligned.
fn columns(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c < 2 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end()).expect("writing to a String");
    }
    out
}

/// The per-test table.
fn table(rows: &[Row], timeout: Duration) -> String {
    let header = [
        "crate",
        "test",
        "exec loom",
        "s loom",
        "loom",
        "exec checker",
        "s checker",
        "checker",
        "ratio s",
    ];
    let mut lines = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    for row in rows {
        let mut cells = vec![row.krate.clone(), row.test.clone()];
        for side in Side::BOTH {
            let outcome = row.side(side);
            // A killed test's count covers only the models that finished.
            cells.push(match (outcome, outcome.executions()) {
                (Outcome::Ran { verdict: Verdict::Timeout, .. }, Some(e)) => {
                    format!(">{}", count(e))
                }
                (_, e) => e.map_or("?".to_string(), count),
            });
            cells.push(match outcome {
                Outcome::Ran { verdict: Verdict::Timeout, .. } => format!(">{}", timeout.as_secs()),
                _ => outcome.time().map_or("-".to_string(), secs),
            });
            cells.push(outcome.verdict().to_string());
        }
        let both = row.side(Side::Loom).passed() && row.side(Side::Checker).passed();
        cells.push(match (both, row.side(Side::Loom).time(), row.side(Side::Checker).time()) {
            (true, Some(l), Some(c)) => ratio(c.as_secs_f64(), l.as_secs_f64()),
            _ => "-".to_string(),
        });
        lines.push(cells);
    }
    columns(&lines)
}

/// Sums over the tests both sides pass.
#[derive(Default)]
struct Totals {
    tests: usize,
    loom: Duration,
    checker: Duration,
    /// Tests with both executions known, and their sums.
    counted: usize,
    loom_executions: u64,
    checker_executions: u64,
    /// checker's time over loom's, per test.
    ratios: Vec<f64>,
}

impl Totals {
    fn of<'a>(rows: impl Iterator<Item = &'a Row>) -> Totals {
        let mut t = Totals::default();
        for row in rows {
            let (l, c) = (row.side(Side::Loom), row.side(Side::Checker));
            let (Some(lt), Some(ct)) = (l.time(), c.time()) else { continue };
            if !(l.passed() && c.passed()) {
                continue;
            }
            t.tests += 1;
            t.loom += lt;
            t.checker += ct;
            t.ratios.push(ct.as_secs_f64() / lt.as_secs_f64().max(1e-9));
            if let (Some(le), Some(ce)) = (l.executions(), c.executions()) {
                t.counted += 1;
                t.loom_executions += le;
                t.checker_executions += ce;
            }
        }
        t
    }

    fn median_ratio(&self) -> String {
        let mut r = self.ratios.clone();
        if r.is_empty() {
            return "-".to_string();
        }
        r.sort_by(f64::total_cmp);
        let n = r.len();
        let m = if n % 2 == 1 { r[n / 2] } else { (r[n / 2 - 1] + r[n / 2]) / 2.0 };
        format!("{m:.2}x")
    }

    fn cells(&self, name: String) -> Vec<String> {
        vec![
            name,
            self.tests.to_string(),
            secs(self.loom),
            secs(self.checker),
            ratio(self.checker.as_secs_f64(), self.loom.as_secs_f64()),
            self.median_ratio(),
            format!("{} ({})", count(self.loom_executions), self.counted),
            count(self.checker_executions),
            ratio(self.checker_executions as f64, self.loom_executions as f64),
        ]
    }
}

/// Totals per crate and overall, over the tests both sides pass.
fn totals(rows: &[Row]) -> String {
    let header = [
        "crate",
        "both pass",
        "s loom",
        "s checker",
        "ratio s",
        "median ratio",
        "exec loom (tests)",
        "exec checker",
        "ratio exec",
    ];
    let mut lines = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    let mut crates: Vec<&str> = rows.iter().map(|r| r.krate.as_str()).collect();
    crates.dedup();
    for krate in crates {
        lines.push(Totals::of(rows.iter().filter(|r| r.krate == krate)).cells(krate.to_string()));
    }
    lines.push(Totals::of(rows.iter()).cells("all".to_string()));
    columns(&lines)
}

/// Verdict counts per side.
fn counts(rows: &[Row]) -> String {
    let mut out = String::new();
    for side in Side::BOTH {
        let mut by: Vec<(&str, usize)> = Vec::new();
        for row in rows {
            let v = row.side(side).verdict();
            match by.iter_mut().find(|(name, _)| *name == v) {
                Some((_, n)) => *n += 1,
                None => by.push((v, 1)),
            }
        }
        let list: Vec<String> = by.iter().map(|(v, n)| format!("{n} {v}")).collect();
        writeln!(out, "{:<8} {} tests: {}", side.name(), rows.len(), list.join(", "))
            .expect("writing to a String");
    }
    out
}

/// The conformance findings: tests loom passes and checker does not (with
/// the first lines of checker's report), tests checker passes and loom does
/// not, and failed builds.
fn findings(rows: &[Row], builds: &[BuildFailed]) -> String {
    let mut out = String::new();
    let w = &mut out;
    let lost: Vec<&Row> = rows
        .iter()
        .filter(|r| r.side(Side::Loom).passed() && !r.side(Side::Checker).passed())
        .collect();
    writeln!(w, "Pass on loom, not on checker: {}", lost.len()).expect("writing to a String");
    for row in &lost {
        let outcome = row.side(Side::Checker);
        writeln!(w, "- {} {}: {}", row.krate, row.test, outcome.verdict())
            .expect("writing to a String");
        if let Outcome::Ran { verdict: Verdict::Fail(summary), .. } = outcome {
            for line in summary.lines() {
                writeln!(w, "    {line}").expect("writing to a String");
            }
        }
        if let Some((again, limit)) = &row.rerun {
            let loom = row.side(Side::Loom).time().map_or("-".to_string(), secs);
            let seconds = match again {
                Outcome::Ran { verdict: Verdict::Timeout, .. } => format!(">{}", limit.as_secs()),
                _ => again.time().map_or("-".to_string(), secs),
            };
            let executions = again.executions().map_or("?".to_string(), count);
            writeln!(
                w,
                "    given {} s: {} in {seconds} s, {executions} executions (loom: {loom} s)",
                limit.as_secs(),
                again.verdict()
            )
            .expect("writing to a String");
        }
    }
    let slow: Vec<&Row> = lost
        .iter()
        .copied()
        .filter(|r| matches!(&r.rerun, Some((again, _)) if again.passed()))
        .collect();
    if !lost.is_empty() {
        writeln!(
            w,
            "Pass on loom, not on checker, given each test's verdict timeout: {}",
            lost.len() - slow.len()
        )
        .expect("writing to a String");
    }
    let gained: Vec<&Row> = rows
        .iter()
        .filter(|r| !r.side(Side::Loom).passed() && r.side(Side::Checker).passed())
        .collect();
    writeln!(w, "\nPass on checker, not on loom: {}", gained.len()).expect("writing to a String");
    for row in &gained {
        writeln!(w, "- {} {}: loom {}", row.krate, row.test, row.side(Side::Loom).verdict())
            .expect("writing to a String");
    }
    if !builds.is_empty() {
        writeln!(w, "\nBuilds that failed:").expect("writing to a String");
        for b in builds {
            writeln!(w, "- {} on {} (whole output: {}):", b.krate, b.side.name(), b.log)
                .expect("writing to a String");
            for line in b.summary.lines() {
                writeln!(w, "    {line}").expect("writing to a String");
            }
        }
    }
    out
}

/// The whole report: table, totals, counts, findings.
pub fn render(rows: &[Row], builds: &[BuildFailed], timeout: Duration) -> String {
    let mut out = table(rows, timeout);
    out.push_str("\nTotals over the tests both sides pass (ratio = checker / loom):\n");
    out.push_str(&totals(rows));
    out.push_str("\nVerdicts:\n");
    out.push_str(&counts(rows));
    out.push('\n');
    out.push_str(&findings(rows, builds));
    out
}
