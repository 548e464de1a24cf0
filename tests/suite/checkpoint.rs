//! Checkpoints: an exploration stopped and resumed from its checkpoint
//! file covers what one uninterrupted run covers, with the same execution
//! count; a finished one is reported again without running; a file that is
//! corrupt, of another version, strategy or bound, or of another model, is
//! refused with an error naming the file and what does not match.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicU64 as StdAtomicU64, Ordering as StdOrdering};

use checker::model::{
    Builder, FailureKind, Outcome, ResumedFrom, StrategyKind, UsageError, Verdict,
};
use checker::sync::atomic::{AtomicUsize, Ordering};
use checker::sync::{Arc, Condvar, Mutex};
use checker::thread;
use checker_tests::{Recorder, outcomes};

/// A checkpoint path of its own under the temp directory, removed at the
/// end of the test.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        static NEXT: StdAtomicU64 = StdAtomicU64::new(0);
        let n = NEXT.fetch_add(1, StdOrdering::Relaxed);
        let file = format!("checker-test-{}-{n}-{name}.ckpt", std::process::id());
        let path = std::env::temp_dir().join(file);
        let _ = std::fs::remove_file(&path);
        TempFile(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.0).expect("the checkpoint was written")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Threads race on an atomic and on an `Arc`'s last drop.
fn racy(rec: &Recorder<Vec<usize>>) {
    let n = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            thread::spawn(move || {
                let v = n.load(Ordering::SeqCst);
                n.store(v + 1, Ordering::SeqCst);
                n.fetch_add(10, Ordering::SeqCst)
            })
        })
        .collect();
    let seen = n.load(Ordering::SeqCst);
    let results: Vec<usize> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    rec.record(vec![seen, results[0], results[1], n.load(Ordering::SeqCst)]);
}

/// Independent reads of independent writes (IRIW), relaxed: reads-from
/// decisions, some of whose options DPOR skips (deviation 10), which a
/// resumed run must skip too.
fn iriw(rec: &Recorder<Vec<usize>>) {
    let vars = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let writers: Vec<_> = (0..2)
        .map(|i| {
            let vars = vars.clone();
            thread::spawn(move || vars[i].store(1, Ordering::Relaxed))
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|i| {
            let vars = vars.clone();
            thread::spawn(move || {
                let a = vars[i].load(Ordering::Relaxed);
                a * 10 + vars[1 - i].load(Ordering::Relaxed)
            })
        })
        .collect();
    for h in writers {
        h.join().unwrap();
    }
    rec.record(readers.into_iter().map(|h| h.join().unwrap()).collect());
}

/// Two waiters and a `notify_one`: data decisions (which waiter wakes).
fn waiters(rec: &Recorder<Vec<usize>>) {
    let pair = Arc::new((Mutex::new((false, 0usize)), Condvar::new()));
    let hs: Vec<_> = (1..=2)
        .map(|i| {
            let pair = pair.clone();
            thread::spawn(move || {
                let (lock, cv) = &*pair;
                let mut g = lock.lock().unwrap();
                while !g.0 {
                    g = cv.wait(g).unwrap();
                }
                g.1 = g.1 * 10 + i;
            })
        })
        .collect();
    let (lock, cv) = &*pair;
    lock.lock().unwrap().0 = true;
    cv.notify_one();
    cv.notify_all();
    for h in hs {
        h.join().unwrap();
    }
    rec.record(vec![lock.lock().unwrap().1]);
}

fn builder(strategy: StrategyKind, bound: Option<usize>) -> Builder {
    let mut b = Builder::new();
    b.strategy = strategy;
    b.preemption_bound = bound;
    b
}

/// Explores `model` in one run, then again in `parts` runs of at most a
/// `parts`-th of its executions each, each resuming from the checkpoint of
/// the one before, and compares.
fn in_parts(
    name: &str,
    model: fn(&Recorder<Vec<usize>>),
    strategy: StrategyKind,
    bound: Option<usize>,
    parts: u64,
) {
    let what = format!("{name}, {strategy:?}, bound {bound:?}, {parts} parts");
    let mut whole = builder(strategy, bound);
    whole.count_traces = bound.is_none();
    let (one, all) = outcomes(&whole, model);
    assert!(matches!(one.verdict, Verdict::Verified(_)), "{what}: {}", one.summary());
    assert!(one.executions >= 2 * parts, "{what}: too small to split: {}", one.summary());

    let file = TempFile::new(name);
    let mut part = whole.clone();
    part.checkpoint_file = Some(file.path().to_path_buf());
    part.max_permutations = Some(one.executions.div_ceil(parts) as usize);
    let mut seen = BTreeSet::new();
    let mut before = None;
    let last = loop {
        let (run, found) = outcomes(&part, model);
        seen.extend(found);
        let resumed = before.map(|executions| ResumedFrom {
            file: file.path().to_path_buf(),
            executions,
            finished: false,
        });
        assert_eq!(run.resumed, resumed, "{what}");
        if let Some(executions) = before {
            let says = format!(
                "resumed from checkpoint {} after {executions} executions",
                file.path().display()
            );
            assert!(run.summary().contains(&says), "{}", run.summary());
        }
        if !matches!(run.verdict, Verdict::Incomplete(_)) {
            break run;
        }
        assert!(file.text().contains("\nstatus running\n"), "{}", file.text());
        assert!(run.executions <= one.executions, "{what}: {}", run.summary());
        before = Some(run.executions);
    };
    assert_eq!(last.verdict, one.verdict, "{what}: {}", last.summary());
    assert_eq!(last.executions, one.executions, "{what}: the same executions in all");
    assert_eq!(last.redundant, one.redundant, "{what}");
    assert_eq!(last.traces, one.traces, "{what}");
    assert_eq!(last.graphs, one.graphs, "{what}: graphs counted across the parts");
    assert_eq!(last.max_steps, one.max_steps, "{what}");
    assert_eq!(seen, all, "{what}: the parts found other outcomes");
    assert!(file.text().contains("\nstatus verified\n"), "{}", file.text());
}

#[test]
fn an_exploration_resumed_from_checkpoints_matches_one_run() {
    for strategy in [StrategyKind::Dpor, StrategyKind::Dfs] {
        for bound in [None, Some(1)] {
            for parts in [2, 5] {
                in_parts("racy", racy, strategy, bound, parts);
                in_parts("waiters", waiters, strategy, bound, parts);
                if strategy == StrategyKind::Dpor {
                    // DFS runs 78,378 executions of it, and skips nothing.
                    in_parts("iriw", iriw, strategy, bound, parts);
                }
            }
        }
    }
}

#[test]
fn checkpoints_are_written_every_interval() {
    let file = TempFile::new("interval");
    let path = file.path().to_path_buf();
    let mut b = Builder::new();
    b.checkpoint_file = Some(path.clone());
    b.checkpoint_interval = 3;
    let count = StdArc::new(StdAtomicU64::new(0));
    let counted = count.clone();
    let (outcome, saved) = outcomes(&b, move |rec| {
        // What the file says while execution `k` runs: the last multiple of
        // the interval before it (0: the checkpoint taken at the start).
        let k = counted.fetch_add(1, StdOrdering::SeqCst) + 1;
        let text = std::fs::read_to_string(&path).expect("written before the first execution");
        let line = text.lines().find_map(|l| l.strip_prefix("executions ")).expect("a count");
        rec.record((k, line.parse::<u64>().unwrap()));
        racy(&Recorder::default());
    });
    assert!(outcome.executions > 6, "{}", outcome.summary());
    for (k, on_file) in saved {
        assert_eq!(on_file, (k - 1) / 3 * 3, "during execution {k}");
    }
}

/// Runs `model` under `b`, counting its executions in `runs`.
fn counted(b: &Builder, runs: &StdArc<StdAtomicU64>, model: fn()) -> Outcome {
    let runs = runs.clone();
    let outcome = b.run(move || {
        runs.fetch_add(1, StdOrdering::SeqCst);
        model()
    });
    outcome.expect("a valid configuration, and a checkpoint that fits")
}

#[test]
fn a_finished_exploration_is_reported_again_without_running() {
    let file = TempFile::new("finished");
    let mut b = Builder::new();
    b.checkpoint_file = Some(file.path().to_path_buf());
    let runs = StdArc::new(StdAtomicU64::new(0));
    let first = counted(&b, &runs, || racy(&Recorder::default()));
    assert!(matches!(first.verdict, Verdict::Verified(_)), "{}", first.summary());
    assert_eq!(runs.load(StdOrdering::SeqCst), first.executions);
    let again = counted(&b, &runs, || racy(&Recorder::default()));
    assert_eq!(runs.load(StdOrdering::SeqCst), first.executions, "nothing ran again");
    assert_eq!(again.verdict, first.verdict);
    assert_eq!(again.executions, first.executions);
    assert_eq!(again.max_steps, first.max_steps);
    let resumed = again.resumed.clone().expect("resumed");
    assert!(resumed.finished && resumed.executions == first.executions, "{resumed:?}");
    assert!(again.summary().contains("delete the file to explore again"), "{}", again.summary());
}

#[test]
fn a_failed_exploration_is_reported_again_with_its_failure() {
    let file = TempFile::new("failed");
    let mut b = Builder::new();
    b.checkpoint_file = Some(file.path().to_path_buf());
    let runs = StdArc::new(StdAtomicU64::new(0));
    let first = counted(&b, &runs, checker_tests::models::lost_update);
    let report = first.failure.expect("the lost update is found");
    assert!(file.text().contains("\nstatus failed\n"), "{}", file.text());
    let ran = runs.load(StdOrdering::SeqCst);
    let again = counted(&b, &runs, checker_tests::models::lost_update);
    assert_eq!(runs.load(StdOrdering::SeqCst), ran, "nothing ran again");
    assert_eq!(again.verdict, Verdict::Failed);
    assert_eq!(again.executions, first.executions);
    assert!(again.resumed.as_ref().is_some_and(|r| r.finished), "{}", again.summary());
    let same = again.failure.expect("the failure again");
    assert_eq!(same.kind(), FailureKind::Panic);
    assert_eq!(same.kind(), report.kind());
    assert_eq!(same.message(), report.message());
    assert_eq!(same.trace(), report.trace());
    assert_eq!(same.path(), report.path());
    assert_eq!(same.replay_command(), report.replay_command());
    assert_eq!(same.execution(), report.execution());
}

/// Runs `model` under `b`. Every model it runs has the same body type, so
/// a checkpoint tells them apart only by what they do.
fn run(b: &Builder, model: fn(&Recorder<Vec<usize>>)) -> Result<Outcome, UsageError> {
    b.run(move || model(&Recorder::default()))
}

/// Saves a checkpoint of `racy` halfway, under `strategy` and `bound`.
fn halfway(file: &TempFile, strategy: StrategyKind, bound: Option<usize>) {
    let _ = std::fs::remove_file(file.path());
    let mut b = builder(strategy, bound);
    b.checkpoint_file = Some(file.path().to_path_buf());
    b.max_permutations = Some(3);
    let outcome = run(&b, racy).expect("a valid configuration");
    assert!(matches!(outcome.verdict, Verdict::Incomplete(_)), "{}", outcome.summary());
}

/// Resumes `racy` from `file` and expects a checkpoint error containing
/// the file's name and each of `needles`.
fn refused(file: &TempFile, b: &mut Builder, needles: &[&str]) -> String {
    b.checkpoint_file = Some(file.path().to_path_buf());
    let err = run(b, racy).expect_err("the checkpoint is refused");
    assert!(matches!(err, UsageError::Checkpoint(_)), "{err}");
    let text = err.to_string();
    assert!(text.contains(&file.path().display().to_string()), "{text}");
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    text
}

#[test]
fn a_corrupt_checkpoint_is_refused() {
    let file = TempFile::new("corrupt");
    std::fs::write(file.path(), "{\"json\": true}\n").unwrap();
    refused(&file, &mut Builder::new(), &["not a checker checkpoint"]);

    halfway(&file, StrategyKind::Dpor, None);
    let text = file.text();
    let cut = &text[..text.len() * 2 / 3];
    std::fs::write(file.path(), cut).unwrap();
    refused(&file, &mut Builder::new(), &["cannot be resumed", "line "]);

    let garbled = text.replacen("\nnode ", "\nnode x ", 1);
    std::fs::write(file.path(), garbled).unwrap();
    refused(&file, &mut Builder::new(), &["expected"]);
}

#[test]
fn a_checkpoint_of_another_version_is_refused() {
    let file = TempFile::new("version");
    halfway(&file, StrategyKind::Dpor, None);
    let version = scheduler::strategy::checkpoint::VERSION;
    let text = file.text();
    let header = format!("checker-checkpoint {version}\n");
    assert!(text.contains(&header), "{text}");
    std::fs::write(file.path(), text.replacen(&header, "checker-checkpoint 99\n", 1)).unwrap();
    refused(&file, &mut Builder::new(), &["version 99", &format!("reads version {version}")]);
}

#[test]
fn a_checkpoint_of_another_strategy_or_bound_is_refused() {
    let file = TempFile::new("strategy");
    halfway(&file, StrategyKind::Dfs, None);
    refused(&file, &mut builder(StrategyKind::Dpor, None), &["strategy dfs", "uses dpor"]);
    halfway(&file, StrategyKind::Dpor, Some(2));
    refused(&file, &mut builder(StrategyKind::Dpor, None), &["preemption bound 2", "uses none"]);
    let mut spurious = builder(StrategyKind::Dpor, Some(2));
    spurious.spurious_wakeups = true;
    refused(&file, &mut spurious, &["spurious_wakeups"]);
    // Under a bound a compare-exchange reads only the last store unless
    // `stale_cas` says otherwise: another exploration.
    let mut stale = builder(StrategyKind::Dpor, Some(2));
    stale.stale_cas = Some(true);
    refused(&file, &mut stale, &["stale_cas"]);
    // So does a timed wait that may time out at any step.
    let mut eager = builder(StrategyKind::Dpor, Some(2));
    eager.eager_timeouts = Some(true);
    refused(&file, &mut eager, &["eager_timeouts"]);
}

/// Another model whose first steps differ from `racy`'s: no second thread
/// where `racy` has one, at step 2.
fn sequential(_: &Recorder<Vec<usize>>) {
    let n = Arc::new(AtomicUsize::new(0));
    n.store(1, Ordering::SeqCst);
    let h = {
        let n = n.clone();
        thread::spawn(move || n.store(1, Ordering::SeqCst))
    };
    n.store(2, Ordering::SeqCst);
    h.join().unwrap();
}

#[test]
fn a_checkpoint_of_another_model_does_not_fit() {
    let file = TempFile::new("other-model");
    halfway(&file, StrategyKind::Dpor, None);
    let before = file.text();
    let mut b = Builder::new();
    b.checkpoint_file = Some(file.path().to_path_buf());
    let err = run(&b, sequential).expect_err("another model");
    let text = err.to_string();
    assert!(matches!(err, UsageError::Checkpoint(_)), "{text}");
    assert!(text.contains("does not fit this model"), "{text}");
    assert!(text.contains(&file.path().display().to_string()), "{text}");
    assert_eq!(file.text(), before, "the checkpoint is left as it was");
}

#[test]
fn a_finished_checkpoint_is_not_reported_for_another_model() {
    let file = TempFile::new("other-body");
    let mut b = Builder::new();
    b.checkpoint_file = Some(file.path().to_path_buf());
    let first = run(&b, racy).expect("a valid configuration");
    assert!(matches!(first.verdict, Verdict::Verified(_)), "{}", first.summary());
    // Another closure in the same test: the body's type tells them apart.
    let err = b.run(|| panic!("must not run")).expect_err("another model");
    let text = err.to_string();
    assert!(matches!(err, UsageError::Checkpoint(_)), "{text}");
    assert!(text.contains("saved by another model"), "{text}");
    assert!(text.contains("a_finished_checkpoint_is_not_reported_for_another_model"), "{text}");
}

#[test]
fn an_unwritable_checkpoint_is_an_error_before_anything_runs() {
    let mut b = Builder::new();
    let file = std::env::temp_dir().join("checker-no-such-directory").join("x.ckpt");
    b.checkpoint_file = Some(file.clone());
    let err = b.run(|| panic!("must not run")).expect_err("cannot write");
    let text = err.to_string();
    assert!(text.contains("cannot write the checkpoint file"), "{text}");
    assert!(text.contains(&file.display().to_string()), "{text}");
}

#[test]
fn a_replay_ignores_the_checkpoint_file() {
    let file = TempFile::new("replay");
    let mut b = Builder::new();
    let outcome: Outcome = b.run(checker_tests::models::lost_update).unwrap();
    let path = outcome.failure.expect("the lost update").path().to_string();
    b.checkpoint_file = Some(file.path().to_path_buf());
    b.replay = Some(path);
    let again = b.run(checker_tests::models::lost_update).unwrap();
    assert_eq!(again.executions, 1);
    assert!(again.failure.is_some());
    assert!(!file.path().exists(), "no checkpoint written");
}

/// Every failure kind survives a checkpoint: a failed `assert_always!`
/// (a kind newer than the format's first version) is reported again.
#[test]
fn a_failed_assertion_is_reported_again_from_its_checkpoint() {
    let file = TempFile::new("assertion");
    let mut b = Builder::new();
    b.checkpoint_file = Some(file.path().to_path_buf());
    let model = || {
        let x = Arc::new(AtomicUsize::new(0));
        let y = x.clone();
        let t = thread::spawn(move || y.store(1, Ordering::SeqCst));
        checker::assert_always!(x.load(Ordering::SeqCst) == 0, "the store comes later");
        t.join().unwrap();
    };
    let first = b.run(model).expect("a valid configuration");
    let report = first.failure.expect("the assertion fails");
    assert_eq!(report.kind(), FailureKind::AssertionFailed);
    let again = b.run(model).expect("the checkpoint resumes");
    assert!(again.resumed.as_ref().is_some_and(|r| r.finished), "{}", again.summary());
    let same = again.failure.expect("the failure again");
    assert_eq!((same.kind(), same.trace()), (report.kind(), report.trace()));
}
