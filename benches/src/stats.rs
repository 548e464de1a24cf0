//! What the benchmark binaries share: a median, counts with thousands
//! separators, and their `main`.

// Each binary includes this file and uses part of it.
#![allow(dead_code)]

use std::process::ExitCode;

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

/// A count with thousands separators, as `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A benchmark binary's `main`: parses the options (`Ok(None)`: `--help`),
/// runs the benchmark, and exits 0, 2 on bad options (with the usage), or
/// 1 when the benchmark fails.
pub fn main<O>(
    name: &str,
    usage: &str,
    parse_args: fn() -> Result<Option<O>, String>,
    bench: fn(&O) -> Result<(), String>,
) -> ExitCode {
    let options = match parse_args() {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{usage}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{name}: {e}\n{usage}");
            return ExitCode::from(2);
        }
    };
    match bench(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}
