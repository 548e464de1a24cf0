//! Replay: a failure's decision path reproduces it exactly, every time; a
//! path that does not fit the program is refused at its first divergence.
//!
//! The last two tests run this test binary again as a child process, the way
//! a user runs the printed command, with the environment variables set.

use std::process::Command;

use checker::model::{Builder, Coverage, FailureKind, UsageError, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::thread;

use checker_tests::models::{lock_order_inversion as deadlock, lost_update as racy_counter};

fn replaying(path: &str) -> Builder {
    let mut b = Builder::new();
    b.replay = Some(path.to_string());
    b
}

fn failing_path() -> String {
    let outcome = Builder::new().run(racy_counter).unwrap();
    outcome.failure.expect("the lost update is found").path().to_string()
}

#[test]
fn a_replayed_failure_is_the_same_execution_a_hundred_times() {
    let original = Builder::new().run(racy_counter).unwrap().failure.unwrap();
    let builder = replaying(original.path());
    for _ in 0..100 {
        let outcome = builder.run(racy_counter).unwrap();
        assert_eq!(outcome.executions, 1);
        assert_eq!(outcome.verdict, Verdict::Failed);
        let report = outcome.failure.unwrap();
        assert_eq!(report.kind(), FailureKind::Panic);
        assert_eq!(report.trace(), original.trace(), "event for event");
        assert_eq!(report.path(), original.path());
    }
}

#[test]
fn a_path_replayed_on_a_fixed_model_runs_one_passing_execution() {
    let path = failing_path();
    // The same kinds of operations in the same order, written elsewhere
    // and without the assertion.
    let fixed = || {
        let n = Arc::new(AtomicUsize::new(0));
        let h = {
            let n = n.clone();
            thread::spawn(move || n.store(n.load(Ordering::SeqCst) + 1, Ordering::SeqCst))
        };
        n.store(n.load(Ordering::SeqCst) + 1, Ordering::SeqCst);
        h.join().unwrap();
    };
    // Source locations are part of every decision's check: replaying the
    // path on this closure (other lines) is refused, as it should be...
    let refused = replaying(&path).run(fixed);
    assert!(matches!(refused, Err(UsageError::Replay(_))), "{refused:?}");
    // ...while the buggy model itself reproduces, as one execution.
    let outcome = replaying(&path).run(racy_counter).unwrap();
    assert_eq!(outcome.executions, 1);
    assert_eq!(outcome.failure.map(|r| r.kind()), Some(FailureKind::Panic));
}

#[test]
fn a_path_from_another_program_is_refused_at_the_first_divergence() {
    let path = failing_path();
    let err = replaying(&path).run(deadlock).expect_err("the path does not fit");
    let UsageError::Replay(message) = &err else { panic!("{err}") };
    assert!(message.contains("does not fit this program"), "{message}");
    assert!(message.contains("decision 1"), "names the first divergence: {message}");
    assert!(message.contains("tests/lib.rs"), "names the operation's place: {message}");
    assert!(err.to_string().starts_with("checker: replay refused"), "{err}");
}

#[test]
fn a_truncated_path_is_refused() {
    let path = failing_path();
    let short = &path[..path.len() - 2];
    let err = replaying(short).run(racy_counter).expect_err("too short");
    let message = err.to_string();
    assert!(message.contains("the path ends after"), "{message}");
}

#[test]
fn a_path_with_extra_decisions_is_refused() {
    let path = failing_path();
    // The lost update ends in main's failed assertion; a passing model on
    // the same prefix shows a path that is too long for it.
    let long = format!("{path}{}", &path[1..3]);
    let outcome = replaying(&long).run(racy_counter);
    match outcome {
        // The failure comes before the extra decisions are reached: it is
        // still reported, since it reproduces.
        Ok(outcome) => assert_eq!(outcome.verdict, Verdict::Failed),
        Err(err) => assert!(err.to_string().contains("path has"), "{err}"),
    }
    let passing = || {
        let n = AtomicUsize::new(0);
        n.store(1, Ordering::SeqCst);
    };
    let err = replaying("100").run(passing).expect_err("no decisions in this model");
    assert!(err.to_string().contains("finished after 0 decisions, but the path has 1"), "{err}");
}

#[test]
fn text_that_is_not_a_path_is_refused() {
    for bad in ["", "zz", "1!", "1W"] {
        let err = replaying(bad).run(racy_counter).expect_err("not a path");
        assert!(matches!(err, UsageError::Path(_)), "{bad:?}: {err}");
        assert!(err.to_string().contains("CHECKER_REPLAY is not a decision path"), "{err}");
    }
}

#[test]
fn replay_coverage_is_one_execution() {
    // A model with no decisions at all has the empty path.
    let outcome = replaying("1").run(|| ()).unwrap();
    assert_eq!(outcome.verdict, Verdict::Verified(Coverage::Replayed));
    assert_eq!(outcome.executions, 1);
}

/// Set in a child process started by the tests below.
const CHILD: &str = "CHECKER_SUITE_CHILD";

/// Runs this test binary again, for one test, with `env` set.
fn run_child(test: &str, env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(exe);
    command.args(["--exact", test, "--nocapture", "--test-threads=1"]).env(CHILD, "1");
    for var in ["CHECKER_REPLAY", "CHECKER_MAX_BRANCHES", "LOOM_MAX_BRANCHES"] {
        command.env_remove(var);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "the child's model fails:\n{text}");
    text
}

/// A child's entry: the racy counter through `checker::model`, which panics
/// with the report. Run directly, it checks that `model` panics.
#[test]
fn child_racy_counter_model() {
    if std::env::var_os(CHILD).is_some() {
        checker::model(racy_counter);
    } else {
        let caught = std::panic::catch_unwind(|| checker::model(racy_counter));
        assert!(caught.is_err(), "model panics on the lost update");
    }
}

#[test]
fn the_printed_replay_command_reproduces_the_failure() {
    let test = "replay::child_racy_counter_model";
    let first = run_child(test, &[]);
    let line = first
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("CHECKER_REPLAY="))
        .unwrap_or_else(|| panic!("a replay command:\n{first}"));
    assert!(line.contains(&format!("-- --exact {test}")), "{line}");
    assert!(line.contains("-p checker-tests --test suite"), "{line}");
    let path = line["CHECKER_REPLAY=".len()..].split_whitespace().next().unwrap();
    let second = run_child(test, &[("CHECKER_REPLAY", path)]);
    let trace = |text: &str| -> Vec<String> {
        text.lines().filter(|l| l.trim_start().starts_with('(')).map(str::to_string).collect()
    };
    assert!(!trace(&first).is_empty(), "{first}");
    assert_eq!(trace(&first), trace(&second), "the replay prints the same trace:\n{second}");
    assert!(second.contains("execution 1:"), "a replay runs one execution:\n{second}");
}

/// A child's entry for a bad environment value. Run directly, it checks
/// that the same model runs fine with a valid configuration.
#[test]
fn child_bad_environment_model() {
    if std::env::var_os(CHILD).is_some() {
        checker::model(|| ());
    } else {
        assert!(Builder::new().run(|| ()).is_ok());
    }
}

#[test]
fn a_bad_environment_value_is_a_clear_error() {
    let text = run_child("replay::child_bad_environment_model", &[("CHECKER_MAX_BRANCHES", "abc")]);
    assert!(
        text.contains("invalid value \"abc\" for the environment variable CHECKER_MAX_BRANCHES"),
        "{text}"
    );
    assert!(text.contains("expected a whole number of at least 1"), "{text}");
    let text = run_child("replay::child_bad_environment_model", &[("LOOM_MAX_BRANCHES", "-3")]);
    assert!(text.contains("LOOM_MAX_BRANCHES"), "the alias that was set is named: {text}");
}
