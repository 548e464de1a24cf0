//! The progress line of long runs: executions, reads-from edges, energy
//! left, bugs, a few times a second on stderr.
//!
//! On with `CHECKER_PROGRESS=1` (wherever stderr goes), or with
//! `CHECKER_LOG` at `summary` or above when stderr is a terminal; off
//! otherwise, so that test logs and CI output stay clean. The line is
//! redrawn in place (`\r`) on a terminal and printed as separate lines
//! elsewhere, at most [`INTERVAL`] apart, never in the first [`INTERVAL`]
//! of a run: short runs print nothing.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the line is printed.
pub const INTERVAL: Duration = Duration::from_millis(250);

/// What the line shows.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Executions run so far.
    pub executions: u64,
    /// Forked timelines so far.
    pub timelines: u64,
    /// Distinct reads-from edges seen, if coverage is on.
    pub edges: Option<u64>,
    /// Energy units left, if the run has a budget.
    pub energy_left: Option<u64>,
    /// Bugs found (the run stops at the first, but timelines count theirs).
    pub bugs: u64,
}

/// The progress line of one run.
pub struct Progress {
    start: Instant,
    last: Option<Instant>,
    terminal: bool,
    printed: bool,
}

impl Progress {
    /// The progress line of a run starting now, if it is on: `forced` by
    /// `CHECKER_PROGRESS`, or `logging` (`CHECKER_LOG`) with stderr a
    /// terminal.
    pub fn new(forced: Option<bool>, logging: bool) -> Option<Progress> {
        let terminal = std::io::stderr().is_terminal();
        let on = forced.unwrap_or(logging && terminal);
        on.then(|| Progress { start: Instant::now(), last: None, terminal, printed: false })
    }

    /// Prints the line if it is time; `snapshot` is called only then.
    pub fn tick(&mut self, snapshot: impl FnOnce() -> Snapshot) {
        let now = Instant::now();
        let due = match self.last {
            None => now.duration_since(self.start) >= INTERVAL,
            Some(last) => now.duration_since(last) >= INTERVAL,
        };
        if !due {
            return;
        }
        self.last = Some(now);
        let line = render(&snapshot(), now.duration_since(self.start));
        let mut err = std::io::stderr().lock();
        let _ =
            if self.terminal { write!(err, "\r\x1b[2K{line}") } else { writeln!(err, "{line}") };
        let _ = err.flush();
        self.printed = true;
    }

    /// Ends the line (on a terminal) before the summary is printed.
    pub fn finish(&mut self) {
        if self.printed && self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// The line for `s`, `elapsed` into the run.
pub fn render(s: &Snapshot, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let mut line = format!(
        "checker: {:.1} s, {} execution(s) ({:.0}/s)",
        elapsed.as_secs_f64(),
        s.executions,
        s.executions as f64 / secs
    );
    if s.timelines > 0 {
        line.push_str(&format!(", {} timeline(s)", s.timelines));
    }
    if let Some(edges) = s.edges {
        line.push_str(&format!(", {edges} reads-from edge(s)"));
    }
    if let Some(left) = s.energy_left {
        line.push_str(&format!(", energy left {left}"));
    }
    line.push_str(&format!(", {} bug(s)", s.bugs));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_what_is_known() {
        let s = Snapshot {
            executions: 1200,
            timelines: 30,
            edges: Some(57),
            energy_left: Some(800),
            bugs: 0,
        };
        let line = render(&s, Duration::from_secs(2));
        assert_eq!(
            line,
            "checker: 2.0 s, 1200 execution(s) (600/s), 30 timeline(s), 57 reads-from edge(s), \
             energy left 800, 0 bug(s)"
        );
        let bare = render(&Snapshot { executions: 5, ..Snapshot::default() }, INTERVAL);
        assert_eq!(bare, "checker: 0.2 s, 5 execution(s) (20/s), 0 bug(s)");
    }

    #[test]
    fn it_is_off_unless_asked_or_logging_to_a_terminal() {
        assert!(Progress::new(Some(false), true).is_none());
        assert!(Progress::new(Some(true), false).is_some());
        // Under the test harness stderr is not a terminal.
        if !std::io::stderr().is_terminal() {
            assert!(Progress::new(None, true).is_none());
        }
    }

    #[test]
    fn nothing_is_printed_in_the_first_interval() {
        let mut p = Progress::new(Some(true), false).unwrap();
        let mut asked = false;
        p.tick(|| {
            asked = true;
            Snapshot::default()
        });
        assert!(!asked && !p.printed, "a short run prints nothing");
    }
}
