//! The result table: plain text, columns aligned with spaces.

use crate::Measured;

/// The measurements of one model with both tools.
pub struct Row {
    /// The model's name.
    pub name: &'static str,
    /// The model's size parameter.
    pub n: String,
    /// The checker measurement.
    pub checker: Measured,
    /// The loom measurement.
    pub loom: Measured,
}

/// The column headers, in order.
const HEADERS: [&str; 10] = [
    "model",
    "N",
    "exec checker",
    "exec loom",
    "ms checker",
    "ms loom",
    "µs/exec checker",
    "µs/exec loom",
    "per-exec loom/checker",
    "total loom/checker",
];

/// Milliseconds of a measurement's median time.
fn millis(m: &Measured) -> f64 {
    m.median.as_secs_f64() * 1e3
}

/// Microseconds per execution of a measurement.
fn micros_per_execution(m: &Measured) -> f64 {
    m.median.as_secs_f64() * 1e6 / m.executions.max(1) as f64
}

/// A ratio as `23.4x`.
fn ratio(numerator: f64, denominator: f64) -> String {
    if denominator > 0.0 { format!("{:.1}x", numerator / denominator) } else { "-".to_string() }
}

/// The text cells of one row, in column order.
fn cells(row: &Row) -> [String; 10] {
    let (c, l) = (&row.checker, &row.loom);
    [
        row.name.to_string(),
        row.n.clone(),
        c.executions.to_string(),
        l.executions.to_string(),
        format!("{:.2}", millis(c)),
        format!("{:.2}", millis(l)),
        format!("{:.2}", micros_per_execution(c)),
        format!("{:.2}", micros_per_execution(l)),
        ratio(micros_per_execution(l), micros_per_execution(c)),
        ratio(millis(l), millis(c)),
    ]
}

/// Renders the table: a header line, a rule, and one line per row. The
/// model name is left-aligned, every other column right-aligned.
pub fn render(rows: &[Row]) -> String {
    let body: Vec<[String; 10]> = rows.iter().map(cells).collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for line in &body {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut out = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i == 0 {
                out.push_str(&format!("{cell:<width$}"));
            } else {
                out.push_str(&format!("  {cell:>width$}"));
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    };
    let mut out = line(&HEADERS);
    let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    out.push_str(&"-".repeat(total));
    out.push('\n');
    for cells in &body {
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        out.push_str(&line(&refs));
    }
    out
}
