//! What the sampling benchmarks (`multiverse`, `sampling`) share: a
//! median, and their `main`.

use std::process::ExitCode;

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
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
