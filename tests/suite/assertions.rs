//! Discovery assertions: safety marks fail like bugs, discovery marks
//! record what is new once, are listed when never satisfied, and change no
//! execution.

use checker::model::{
    Builder, DiscoveryKind, DiscoveryRecord, FailureKind, MarkKind, Outcome, StrategyKind, Verdict,
};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::thread;
use checker::{
    assert_always, assert_always_or_unreachable, assert_reachable, assert_sometimes,
    assert_sometimes_all, assert_sometimes_each, assert_sometimes_ge, assert_sometimes_gt,
    assert_sometimes_le, assert_sometimes_lt, assert_unreachable,
};
use checker_tests::expect_bug;

fn run(builder: &Builder, body: impl Fn() + Send + Sync + 'static) -> Outcome {
    builder.run(body).expect("a valid configuration")
}

/// Two threads add one with a load and a separate store: the sum is 1 or 2.
fn racy_sum() -> usize {
    let n = Arc::new(AtomicUsize::new(0));
    let h = {
        let n = n.clone();
        thread::spawn(move || {
            let v = n.load(Ordering::SeqCst);
            n.store(v + 1, Ordering::SeqCst);
        })
    };
    let v = n.load(Ordering::SeqCst);
    n.store(v + 1, Ordering::SeqCst);
    h.join().unwrap();
    n.load(Ordering::SeqCst)
}

/// The discoveries of the one mark with `message`.
fn discoveries_of(outcome: &Outcome, message: &str) -> Vec<DiscoveryRecord> {
    let id = outcome.assertions.mark(message).expect("one mark with this message").id;
    outcome.assertions.discoveries.iter().filter(|d| d.discovery.mark == id).cloned().collect()
}

#[test]
fn a_failing_always_is_a_bug_with_its_message_trace_and_replay() {
    let report = expect_bug(&Builder::new(), FailureKind::AssertionFailed, || {
        let sum = racy_sum();
        assert_always!(sum == 2, "no update is lost: the sum was {}", sum);
    });
    assert_eq!(report.kind().name(), "assertion failed");
    let message = report.message();
    assert!(message.starts_with("assert_always! failed in main at tests/suite/"), "{report}");
    assert!(message.contains("no update is lost: the sum was 1"), "{report}");
    let last = report.trace().lines().take_while(|l| !l.starts_with("  where:")).last().unwrap();
    assert!(last.contains("main") && last.contains("assert_always! failed"), "{report}");
    assert!(last.contains("tests/suite/assertions.rs"), "{report}");
}

#[test]
fn an_always_in_a_joined_thread_is_reported_as_itself_not_as_a_panic() {
    let report = expect_bug(&Builder::new(), FailureKind::AssertionFailed, || {
        let n = Arc::new(AtomicUsize::new(0));
        let h = {
            let n = n.clone();
            thread::spawn(move || {
                let seen = n.load(Ordering::SeqCst);
                assert_always_or_unreachable!(seen == 0, "the writer comes later");
            })
        };
        n.store(1, Ordering::SeqCst);
        // A panic would surface here as main's panic; the assertion does not.
        h.join().unwrap();
    });
    assert!(report.message().contains("assert_always_or_unreachable! failed in thread 1"));
    assert!(report.message().contains("the writer comes later"), "{report}");
}

#[test]
fn a_reached_unreachable_is_a_bug() {
    let report = expect_bug(&Builder::new(), FailureKind::AssertionFailed, || {
        if racy_sum() == 1 {
            assert_unreachable!("an update was lost");
        }
    });
    assert!(report.message().starts_with("assert_unreachable! reached in main"), "{report}");
    assert!(report.message().contains("an update was lost"), "{report}");
}

#[test]
fn safety_marks_that_hold_pass_and_are_counted() {
    let outcome = run(&Builder::new(), || {
        let sum = racy_sum();
        assert_always!((1..=2).contains(&sum), "the sum is 1 or 2");
        if sum == 3 {
            assert_unreachable!("three");
        }
        assert_always_or_unreachable!(sum != 3, "never 3");
    });
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    let always = outcome.assertions.mark("the sum is 1 or 2").unwrap();
    assert_eq!(always.kind, MarkKind::Always);
    assert_eq!(always.evaluated, outcome.executions);
    assert_eq!((always.satisfied, always.failed), (outcome.executions, 0));
    let three = outcome.assertions.mark("three").expect("registered statically");
    assert_eq!(three.evaluated, 0);
    assert!(outcome.assertions.unsatisfied().is_empty(), "an unreachable never reached is fine");
}

#[test]
fn sometimes_and_reachable_are_satisfied_by_one_execution() {
    let outcome = run(&Builder::new(), || {
        let sum = racy_sum();
        assert_sometimes!(sum == 1, "an update is lost");
        assert_sometimes!(sum == 2, "no update is lost");
        if sum == 1 {
            assert_reachable!("the lost-update branch");
        }
    });
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    let lost = outcome.assertions.mark("an update is lost").unwrap();
    assert_eq!(lost.evaluated, outcome.executions);
    assert!(lost.satisfied >= 1 && lost.satisfied < outcome.executions, "{lost:?}");
    let branch = outcome.assertions.mark("the lost-update branch").unwrap();
    assert_eq!(branch.satisfied, lost.satisfied);
    assert!(outcome.assertions.unsatisfied().is_empty(), "{:?}", outcome.assertions);
    assert_eq!(outcome.unsatisfied_failure(), None);
    // One discovery each: the first time it held.
    for m in ["an update is lost", "no update is lost", "the lost-update branch"] {
        let found = discoveries_of(&outcome, m);
        assert_eq!(found.len(), 1, "{m}: {found:?}");
        assert_eq!(found[0].discovery.kind, DiscoveryKind::Satisfied);
    }
}

fn never_satisfied() {
    let sum = racy_sum();
    assert_sometimes!(sum == 3, "the sum reaches 3");
    assert_sometimes_gt!(sum, 2, "more than two");
    assert_sometimes_all!("both", [("one", sum == 1), ("two", sum == 2)]);
    assert_sometimes!(sum == 2, "two");
}

#[test]
fn marks_never_satisfied_are_listed_and_fail_the_run_only_when_asked() {
    let outcome = run(&Builder::new(), never_satisfied);
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    let unsatisfied: Vec<&str> =
        outcome.assertions.unsatisfied().iter().map(|m| m.message).collect();
    assert_eq!(unsatisfied, ["the sum reaches 3", "more than two", "both"]);
    let listing = outcome.assertions.unsatisfied_listing().unwrap();
    assert!(listing.starts_with("checker: 3 assertion(s) never satisfied:"), "{listing}");
    assert!(listing.contains("assert_sometimes! \"the sum reaches 3\" at tests/suite/"));
    let evaluated = format!("evaluated {} time(s), never satisfied", outcome.executions);
    assert!(listing.contains(&evaluated), "{listing}");
    assert!(listing.contains("best value 2"), "the watermark: {listing}");
    assert!(listing.contains("at most 1 condition(s) together"), "{listing}");
    assert_eq!(outcome.unsatisfied_failure(), None, "not required");
    Builder::new().check(never_satisfied);

    let mut strict = Builder::new();
    strict.fail_on_unsatisfied(true);
    let outcome = run(&strict, never_satisfied);
    let failure = outcome.unsatisfied_failure().expect("required");
    assert!(failure.contains("the sum reaches 3") && failure.contains("CHECKER_REQUIRE_SOMETIMES"));
    let panic = std::panic::catch_unwind(|| strict.check(never_satisfied)).unwrap_err();
    let text = panic.downcast_ref::<String>().unwrap();
    assert!(text.contains("3 assertion(s) never satisfied"), "{text}");
    // Satisfied marks do not fail a strict run.
    strict.check(|| {
        let sum = racy_sum();
        assert_sometimes!(sum == 1, "lost");
    });
}

fn unsatisfied_then(fail: bool) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        let sum = racy_sum();
        assert_sometimes!(sum == 3, "the sum reaches 3");
        if fail {
            assert_always!(sum == 2, "no update is lost");
        }
    }
}

#[test]
fn a_replay_lists_nothing_and_requires_nothing() {
    let mut strict = Builder::new();
    strict.fail_on_unsatisfied(true);
    let report = expect_bug(&strict, FailureKind::AssertionFailed, unsatisfied_then(true));
    assert!(run(&strict, unsatisfied_then(false)).unsatisfied_failure().is_some());
    // The same decisions without the failing mark: a passing replay.
    let mut replay = strict.clone();
    replay.replay = Some(report.path().to_string());
    let outcome = run(&replay, unsatisfied_then(false));
    assert_eq!(outcome.verdict, Verdict::Verified(checker::model::Coverage::Replayed));
    assert_eq!(outcome.unsatisfied_failure(), None);
    replay.check(unsatisfied_then(false));
}

#[test]
fn a_watermark_improving_three_times_makes_three_discoveries_once() {
    let outcome = run(&Builder::new(), || {
        for v in [1, 3, 2, 5, 4] {
            assert_sometimes_gt!(v, 100, "climbing");
        }
        for v in [10i64, 7, 8, -1] {
            assert_sometimes_lt!(v, -5, "descending");
        }
        racy_sum();
    });
    assert!(outcome.executions >= 2, "{}", outcome.summary());
    let climbing = discoveries_of(&outcome, "climbing");
    let kinds: Vec<_> = climbing.iter().map(|d| d.discovery.kind.clone()).collect();
    let expected = [1, 3, 5].map(DiscoveryKind::Watermark);
    assert_eq!(kinds, expected, "three improvements, in the first execution only");
    assert!(climbing.iter().all(|d| d.execution == 1 && d.discovery.decision == 0));
    let descending: Vec<_> =
        discoveries_of(&outcome, "descending").into_iter().map(|d| d.discovery.kind).collect();
    assert_eq!(descending, [10, 7, -1].map(DiscoveryKind::Watermark));
    let mark = outcome.assertions.mark("climbing").unwrap();
    assert_eq!((mark.watermark, mark.satisfied), (Some(5), 0));
    assert_eq!(mark.evaluated, 5 * outcome.executions);
    assert_eq!(outcome.assertions.mark("descending").unwrap().watermark, Some(-1));
}

#[test]
fn a_discovery_carries_the_index_of_the_next_decision() {
    // The mark is evaluated after main's load, which races with the
    // thread's store; the execution where the store came first fails right
    // after it, so its path holds exactly the decisions before the mark.
    let outcome = run(&Builder::new(), || {
        let a = Arc::new(AtomicUsize::new(0));
        let h = {
            let a = a.clone();
            thread::spawn(move || a.store(1, Ordering::SeqCst))
        };
        let v = a.load(Ordering::SeqCst);
        assert_sometimes_ge!(v, 1, "saw the store");
        if v == 1 {
            assert_unreachable!("the store came first");
        }
        h.join().unwrap();
    });
    let report = outcome.failure.as_ref().expect("the store comes first in some execution");
    let decisions = scheduler::path::decode(report.path()).unwrap().len();
    assert!(decisions >= 1, "the race is a decision: {report}");
    let found = discoveries_of(&outcome, "saw the store");
    let satisfied: Vec<_> =
        found.iter().filter(|d| d.discovery.kind == DiscoveryKind::Satisfied).collect();
    assert_eq!(satisfied.len(), 1, "{found:?}");
    assert_eq!(satisfied[0].execution, report.execution(), "{found:?}");
    assert_eq!(satisfied[0].discovery.decision, decisions, "{found:?}\n{report}");
    assert!(found.iter().all(|d| d.discovery.decision >= 1), "{found:?}");
    assert_eq!(outcome.assertions.discoveries_total, found.len() as u64);
}

#[test]
fn sometimes_all_discovers_each_larger_frontier() {
    let outcome = run(&Builder::new(), || {
        let t = true;
        let rows = [(t, false, false), (false, t, false), (t, t, false), (t, t, t), (t, t, t)];
        for (a, b, c) in rows {
            assert_sometimes_all!("three", [("a", a), ("b", b), ("c", c)]);
        }
    });
    let kinds: Vec<_> =
        discoveries_of(&outcome, "three").into_iter().map(|d| d.discovery.kind).collect();
    assert_eq!(
        kinds,
        [DiscoveryKind::Frontier(1), DiscoveryKind::Frontier(2), DiscoveryKind::Satisfied]
    );
    let mark = outcome.assertions.mark("three").unwrap();
    assert_eq!((mark.frontier, mark.satisfied, mark.evaluated), (Some(3), 2, 5));
}

#[test]
fn sometimes_each_discovers_new_combinations_and_better_qualities() {
    let outcome = run(&Builder::new(), || {
        for (key, floor, hp) in [(1u8, 0, 5), (2, 0, 1), (1, 1, 0), (1, 0, 9), (1, 0, 3), (2, 0, 1)]
        {
            assert_sometimes_each!("rooms", [key], [floor, hp]);
        }
        for _ in 0..2 {
            assert_sometimes_each!("keys only", [1, 2]);
        }
    });
    let kinds: Vec<_> =
        discoveries_of(&outcome, "rooms").into_iter().map(|d| d.discovery.kind).collect();
    assert_eq!(
        kinds,
        [
            DiscoveryKind::Combination(vec![1]),
            DiscoveryKind::Combination(vec![2]),
            // Lexicographic: (1, 0) beats (0, 5); (0, 9) does not beat (1, 0).
            DiscoveryKind::Quality(vec![1], vec![1, 0]),
        ]
    );
    let mark = outcome.assertions.mark("rooms").unwrap();
    let best: Vec<_> = mark.combinations.iter().map(|(k, q)| (k.clone(), q.clone())).collect();
    assert_eq!(best, [(vec![1], vec![1, 0]), (vec![2], vec![0, 1])]);
    assert_eq!(discoveries_of(&outcome, "keys only").len(), 1);
}

#[test]
fn numeric_comparisons_follow_their_operator() {
    let outcome = run(&Builder::new(), || {
        let sum = racy_sum();
        assert_sometimes_ge!(sum, 2, "ge holds");
        assert_sometimes_gt!(sum, 2, "gt never");
        assert_sometimes_le!(sum, 1, "le holds");
        assert_sometimes_lt!(sum, 1, "lt never");
    });
    let unsatisfied: Vec<&str> =
        outcome.assertions.unsatisfied().iter().map(|m| m.message).collect();
    assert_eq!(unsatisfied, ["gt never", "lt never"]);
    let marks = &outcome.assertions;
    assert_eq!(marks.mark("ge holds").unwrap().watermark, Some(2));
    assert_eq!(marks.mark("le holds").unwrap().watermark, Some(1));
}

/// Three threads race on a counter and a mutex-free flag; `marks` adds an
/// assertion of every kind between the operations.
fn with_marks(marks: bool) -> impl Fn() + Send + Sync + 'static {
    move || {
        let n = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..2)
            .map(|i| {
                let n = n.clone();
                thread::spawn(move || {
                    let v = n.fetch_add(i + 1, Ordering::SeqCst);
                    if marks {
                        assert_sometimes_gt!(v, 1, "late");
                        assert_sometimes_each!("seen", [i, v]);
                        assert_always!(v <= 3, "bounded");
                    }
                    n.load(Ordering::SeqCst)
                })
            })
            .collect();
        let seen = n.load(Ordering::SeqCst);
        if marks {
            assert_sometimes!(seen == 3, "all done");
            assert_sometimes_all!("both", [("one", seen >= 1), ("two", seen >= 2)]);
            assert_reachable!("main");
        }
        for h in hs {
            h.join().unwrap();
        }
    }
}

#[test]
fn assertions_are_not_steps_and_change_no_exploration() {
    for strategy in [StrategyKind::Dpor, StrategyKind::Dfs] {
        let mut builder = Builder::new();
        builder.strategy = strategy;
        builder.count_traces = true;
        let plain = run(&builder, with_marks(false));
        let marked = run(&builder, with_marks(true));
        assert!(matches!(marked.verdict, Verdict::Verified(_)), "{}", marked.summary());
        assert_eq!(plain.executions, marked.executions, "{strategy:?}");
        assert_eq!(plain.traces, marked.traces, "{strategy:?}");
        assert_eq!(plain.max_steps, marked.max_steps, "{strategy:?}");
        assert!(marked.assertions.discoveries_total > 0);
        assert_eq!(plain.assertions.discoveries_total, 0);
        assert!(plain.assertions.marks.iter().all(|m| m.evaluated == 0));
    }
}

#[test]
fn outside_a_model_always_is_assert_and_discovery_marks_do_nothing() {
    assert_always!(1 + 1 == 2, "arithmetic");
    assert_sometimes!(false, "outside");
    assert_reachable!("outside too");
    assert_sometimes_gt!(1, 2, "outside numeric");
    assert_sometimes_all!("outside all", [("a", false)]);
    assert_sometimes_each!("outside each", [1], [2]);
    let failed = std::panic::catch_unwind(|| {
        let x = 3;
        assert_always!(x == 2, "x is two, not {x}");
    })
    .unwrap_err();
    let text = failed.downcast_ref::<String>().unwrap();
    assert_eq!(text, "assert_always! failed: x is two, not 3");
    let reached = std::panic::catch_unwind(|| assert_unreachable!("nowhere")).unwrap_err();
    assert!(reached.downcast_ref::<String>().unwrap().contains("nowhere"));
}

#[test]
fn marks_never_reached_in_the_model_body_are_listed() {
    let outcome = run(&Builder::new(), || {
        let sum = racy_sum();
        if sum == 3 {
            assert_reachable!("three");
            assert_always!(sum == 3, "is three");
            assert_always_or_unreachable!(sum == 3, "may be unreachable");
            assert_sometimes_each!("each three", [sum]);
        }
        let inner = || assert_sometimes!(sum > 5, "in a nested closure");
        if sum > 5 {
            inner();
        }
    });
    assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{}", outcome.summary());
    let unsatisfied: Vec<(&str, u64)> =
        outcome.assertions.unsatisfied().iter().map(|m| (m.message, m.evaluated)).collect();
    let expected = [("three", 0), ("is three", 0), ("each three", 0), ("in a nested closure", 0)];
    assert_eq!(unsatisfied, expected);
    let listing = outcome.assertions.unsatisfied_listing().unwrap();
    assert!(listing.contains("assert_reachable! \"three\" at tests/suite/assertions.rs:"));
    assert!(listing.contains("(never reached)"), "{listing}");
    // Marks of helper functions are known once evaluated; racy_sum has none,
    // and the marks of other tests are not this model's.
    assert!(outcome.assertions.mark("the sum reaches 3").is_none());
}

#[test]
fn a_mark_never_reached_fails_a_strict_run() {
    let mut strict = Builder::new();
    strict.fail_on_unsatisfied(true);
    let outcome = run(&strict, || {
        if racy_sum() == 0 {
            assert_reachable!("zero");
        }
    });
    assert!(outcome.unsatisfied_failure().unwrap().contains("\"zero\""));
}
