//! Helpers shared by the sync-shim tests: run a body both ways, and expect
//! a planted bug under `--cfg checker`.

#![allow(dead_code)]

/// Runs `body` under `checker::model` with `--cfg checker` (expecting every
/// execution to pass, and more than one), or once directly without it.
pub fn run_both_ways<F>(body: F)
where
    F: Fn() + Send + Sync + 'static,
{
    #[cfg(checker)]
    {
        let outcome = checker::model::Builder::new().run(body).expect("a valid configuration");
        assert!(outcome.failure.is_none(), "{}", outcome.summary());
        assert!(outcome.executions > 1, "explored under checker: {}", outcome.summary());
    }
    #[cfg(not(checker))]
    body();
}

/// Runs `body` under `checker::model`, expects a failure of `kind`, and
/// replays its path to the same failure with the same trace.
#[cfg(checker)]
pub fn expect_bug<F>(kind: checker::model::FailureKind, body: F) -> checker::model::Report
where
    F: Fn() + Send + Sync + Clone + 'static,
{
    use checker::model::{Builder, Verdict};
    let builder = Builder::new();
    let outcome = builder.run(body.clone()).expect("a valid configuration");
    assert_eq!(outcome.verdict, Verdict::Failed, "{}", outcome.summary());
    let report = *outcome.failure.expect("a failure report");
    assert_eq!(report.kind(), kind, "{report}");
    assert!(report.trace().contains("(1) "), "a numbered trace:\n{report}");
    assert!(report.replay_command().contains(&format!("CHECKER_REPLAY={}", report.path())));
    let mut replay = builder.clone();
    replay.replay = Some(report.path().to_string());
    let again = replay.run(body).expect("the path fits the program");
    assert_eq!(again.executions, 1);
    let again = again.failure.expect("the replay fails again");
    assert_eq!(again.kind(), kind);
    assert_eq!(again.trace(), report.trace(), "the replay is the same execution");
    report
}
