//! The result table: plain text, columns aligned with spaces.

use crate::Measured;
use crate::stats::count;

/// What loom did with one model.
#[derive(Clone, Debug)]
pub enum Loom {
    /// Loom ran the model.
    Measured(Measured),
    /// Loom was not run: it takes minutes, and `--large` was not given.
    Skipped,
    /// Loom cannot run the model: too many threads.
    TooManyThreads,
    /// Loom ran the model and failed it although it is correct (a spin
    /// loop exceeds loom's branch limit); the reason.
    Failed(String),
}

/// The measurements of one model.
pub struct Row {
    /// The model's name.
    pub name: &'static str,
    /// The model's size parameter.
    pub n: String,
    /// The model's Mazurkiewicz traces, where known.
    pub optimal: Option<u64>,
    /// The traces checker counted in its untimed pass, if that ran.
    pub traces: Option<u64>,
    /// For the straight-line models: the steps of one execution.
    pub steps: Option<u64>,
    /// The checker measurement.
    pub checker: Measured,
    /// The loom measurement, or why there is none.
    pub loom: Loom,
}

/// The placeholder of a loom cell when loom did not run.
const NOT_RUN: &str = "\u{2014}";

/// The text of the loom executions cell of a model loom cannot run.
const REFUSED: &str = "n/a (loom's max_threads)";

/// The text of the loom executions cell of a correct model loom failed.
const FAILED: &str = "fails (see below)";

/// Whether `executions` exceed 1.05 times `optimal`.
pub fn above_optimal(executions: u64, optimal: Option<u64>) -> bool {
    optimal.is_some_and(|o| executions as f64 > 1.05 * o as f64)
}

/// Milliseconds of a measurement's median time.
fn millis(m: &Measured) -> f64 {
    m.median.as_secs_f64() * 1e3
}

/// Microseconds per execution of a measurement.
fn micros_per_execution(m: &Measured) -> f64 {
    m.median.as_secs_f64() * 1e6 / m.executions.max(1) as f64
}

/// A ratio as `23.4x`, or from 100 on as a whole number, `1,234x`.
fn ratio(numerator: f64, denominator: f64) -> String {
    if denominator <= 0.0 {
        return "-".to_string();
    }
    let r = numerator / denominator;
    if r >= 100.0 { format!("{}x", count(r.round() as u64)) } else { format!("{r:.1}x") }
}

/// The column headers, in order; `traces` only when the trace pass ran.
fn headers(traces: bool) -> Vec<&'static str> {
    let mut headers = vec!["model", "N", "optimal"];
    if traces {
        headers.push("traces");
    }
    headers.extend([
        "exec checker",
        "redundant",
        "exec loom",
        "ms checker",
        "ms loom",
        "µs/exec checker",
        "µs/exec loom",
        "ratio exec",
        "ratio time",
    ]);
    headers
}

/// The text cells of one row, in column order.
fn cells(row: &Row, traces: bool) -> Vec<String> {
    let c = &row.checker;
    let mut cells =
        vec![row.name.to_string(), row.n.clone(), row.optimal.map_or("?".to_string(), count)];
    if traces {
        cells.push(row.traces.map_or("?".to_string(), count));
    }
    let flag = if above_optimal(c.executions, row.optimal) { " !" } else { "" };
    cells.push(format!("{}{flag}", count(c.executions)));
    cells.push(c.redundant.map_or("?".to_string(), count));
    let loom_cells = match &row.loom {
        Loom::Measured(l) => [
            count(l.executions),
            format!("{:.2}", millis(l)),
            format!("{:.2}", micros_per_execution(l)),
        ],
        Loom::Skipped => [NOT_RUN.to_string(), NOT_RUN.to_string(), NOT_RUN.to_string()],
        Loom::TooManyThreads => [REFUSED.to_string(), NOT_RUN.to_string(), NOT_RUN.to_string()],
        Loom::Failed(_) => [FAILED.to_string(), NOT_RUN.to_string(), NOT_RUN.to_string()],
    };
    let [loom_exec, loom_ms, loom_per_exec] = loom_cells;
    cells.push(loom_exec);
    cells.push(format!("{:.2}", millis(c)));
    cells.push(loom_ms);
    cells.push(format!("{:.2}", micros_per_execution(c)));
    cells.push(loom_per_exec);
    match &row.loom {
        Loom::Measured(l) => {
            cells.push(ratio(l.executions as f64, c.executions as f64));
            cells.push(ratio(millis(l), millis(c)));
        }
        Loom::Skipped | Loom::TooManyThreads | Loom::Failed(_) => {
            cells.push(NOT_RUN.to_string());
            cells.push(NOT_RUN.to_string());
        }
    }
    cells
}

/// Nanoseconds per step of a measurement of a model of `steps` steps per
/// execution.
fn nanos_per_step(m: &Measured, steps: u64) -> f64 {
    m.median.as_secs_f64() * 1e9 / (m.executions.max(1) * steps.max(1)) as f64
}

/// The table of time per step, for the rows that give their steps; `None`
/// when no row does.
pub fn render_per_step(rows: &[Row]) -> Option<String> {
    let headers = [
        "model",
        "N",
        "steps",
        "exec checker",
        "exec loom",
        "ns/step checker",
        "ns/step loom",
        "ratio",
    ];
    let body: Vec<Vec<String>> = rows
        .iter()
        .filter_map(|row| {
            let steps = row.steps?;
            let c = &row.checker;
            let checker = nanos_per_step(c, steps);
            let (exec, loom, ratio) = match &row.loom {
                Loom::Measured(l) => {
                    let loom = nanos_per_step(l, steps);
                    (count(l.executions), format!("{loom:.0}"), format!("{:.2}x", checker / loom))
                }
                Loom::Skipped | Loom::TooManyThreads | Loom::Failed(_) => {
                    (NOT_RUN.to_string(), NOT_RUN.to_string(), NOT_RUN.to_string())
                }
            };
            Some(vec![
                row.name.to_string(),
                row.n.clone(),
                count(steps),
                count(c.executions),
                exec,
                format!("{checker:.0}"),
                loom,
                ratio,
            ])
        })
        .collect();
    if body.is_empty() {
        return None;
    }
    let headers: Vec<&str> = headers.to_vec();
    Some(aligned(&headers, &body))
}

/// Renders the table: a header line, a rule, and one line per row. The
/// model name is left-aligned, every other column right-aligned. The
/// `traces` column is shown when any row has a trace count.
pub fn render(rows: &[Row]) -> String {
    let traces = rows.iter().any(|row| row.traces.is_some());
    let headers = headers(traces);
    let body: Vec<Vec<String>> = rows.iter().map(|row| cells(row, traces)).collect();
    aligned(&headers, &body)
}

/// Lays out `headers` and `body` as aligned columns under a rule: the first
/// column left-aligned, the others right-aligned.
fn aligned(headers: &[&str], body: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for line in body {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut out = String::new();
        for (i, (cell, &width)) in cells.iter().zip(&widths).enumerate() {
            // Pad by characters, not bytes: "µ" and "—" are two and three
            // bytes wide.
            let pad = " ".repeat(width - cell.chars().count());
            if i == 0 {
                out.push_str(cell);
                out.push_str(&pad);
            } else {
                out.push_str("  ");
                out.push_str(&pad);
                out.push_str(cell);
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    };
    let mut out = line(headers);
    let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    out.push_str(&"-".repeat(total));
    out.push('\n');
    for cells in body {
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        out.push_str(&line(&refs));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn ratios() {
        assert_eq!(ratio(1.0, 3.0), "0.3x");
        assert_eq!(ratio(999.4, 10.0), "99.9x");
        assert_eq!(ratio(5_933_229.0, 1.0), "5,933,229x");
        assert_eq!(ratio(1.0, 0.0), "-");
    }

    #[test]
    fn flags_above_five_percent() {
        assert!(!above_optimal(1_764, Some(1_680)));
        assert!(above_optimal(1_765, Some(1_680)));
        assert!(!above_optimal(1_000_000, None));
    }
}
