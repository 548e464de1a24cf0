//! Reads-from coverage (issue 7, point 1): every execution's edges (write,
//! read that read it), named by signatures stable across executions,
//! seeds, object numbering and processes.

use std::collections::BTreeSet;

use checker::model::{Builder, StrategyKind, UsageError};
use checker::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use checker::sync::{Arc, Mutex};
use checker::thread;
use checker_tests::forking;

/// A run with coverage on: its outcome's edge set.
fn edges(b: &Builder, body: fn()) -> (BTreeSet<u64>, u64) {
    let outcome = b.run(body).expect("the run starts");
    assert!(outcome.failure.is_none(), "{}", outcome.summary());
    assert!(outcome.summary().contains("reads-from edge(s)"), "{}", outcome.summary());
    let set: BTreeSet<u64> =
        outcome.rf_edge_hashes.expect("an in-process run keeps its edges").into_iter().collect();
    assert_eq!(set.len() as u64, outcome.rf_edges);
    (set, outcome.executions)
}

fn dpor() -> Builder {
    let mut b = Builder::new();
    b.coverage(true);
    b
}

/// The first execution only (DFS: the running thread goes on first).
fn first_execution() -> Builder {
    let mut b = Builder::new();
    b.strategy(StrategyKind::Dfs).coverage(true);
    b.max_permutations = Some(1);
    b
}

/// Atomics, a mutex and an `Arc`, racing.
fn mixed() {
    let x = Arc::new(AtomicUsize::new(0));
    let m = Arc::new(Mutex::new(0));
    let h = {
        let (x, m) = (x.clone(), m.clone());
        thread::spawn(move || {
            x.fetch_add(1, SeqCst);
            *m.lock().unwrap() += 1;
        })
    };
    *m.lock().unwrap() += x.load(SeqCst);
    h.join().unwrap();
}

#[test]
fn the_same_program_gives_the_same_edges_in_two_runs_and_under_two_seeds() {
    let (a, runs) = edges(&dpor(), mixed);
    assert!(runs > 1 && a.len() > runs as usize, "{runs} executions, {} edges", a.len());
    assert_eq!(edges(&dpor(), mixed).0, a, "a second run");
    // The seed only draws `rand` values, which this model has none of.
    for seed in [1, 2] {
        assert_eq!(edges(dpor().seed(seed), mixed).0, a, "seed {seed}");
    }
}

static X: AtomicUsize = AtomicUsize::new(0);

fn racy_load() {
    let h = thread::spawn(|| X.store(1, SeqCst));
    X.load(SeqCst);
    h.join().unwrap();
}

#[test]
fn a_load_reads_the_initial_value_or_the_store() {
    // First: the load reads the initial value; the join reads the thread's
    // end. Every execution adds only the load reading the store.
    let (first, _) = edges(&first_execution(), racy_load);
    let (all, runs) = edges(&dpor(), racy_load);
    assert_eq!((first.len(), all.len(), runs), (2, 3, 2));
    assert!(first.is_subset(&all));
}

static M: Mutex<usize> = Mutex::new(0);

fn two_lockers() {
    let h = thread::spawn(|| *M.lock().unwrap() += 1);
    *M.lock().unwrap() += 1;
    h.join().unwrap();
}

#[test]
fn lock_acquisitions_read_from_the_previous_release() {
    // One order: the first lock reads the creation, the second the first's
    // unlock, and the join. The other order swaps the threads: two more.
    let (first, _) = edges(&first_execution(), two_lockers);
    let (all, runs) = edges(&dpor(), two_lockers);
    assert_eq!((first.len(), all.len(), runs), (3, 5, 2));
    assert!(first.is_subset(&all));
}

static U: AtomicUsize = AtomicUsize::new(0);

fn unrelated_first() {
    U.load(SeqCst);
    racy_load();
}

#[test]
fn signatures_do_not_depend_on_object_ids() {
    // `U` takes object id 0 and shifts every other: the edges of the rest
    // are the same, plus the one of `U`'s load.
    let (plain, _) = edges(&dpor(), racy_load);
    let (shifted, _) = edges(&dpor(), unrelated_first);
    assert!(plain.is_subset(&shifted));
    assert_eq!(shifted.len(), plain.len() + 1);
}

static A: AtomicUsize = AtomicUsize::new(0);
static B: AtomicUsize = AtomicUsize::new(0);

fn grandchildren() {
    let spawner = |target: &'static AtomicUsize| {
        thread::spawn(move || thread::spawn(move || target.store(1, SeqCst)).join().unwrap())
    };
    let (h1, h2) = (spawner(&A), spawner(&B));
    h1.join().unwrap();
    h2.join().unwrap();
    A.load(SeqCst);
    B.load(SeqCst);
}

#[test]
fn threads_spawned_by_threads_are_named_by_their_spawner_not_their_id() {
    // The grandchildren's ids depend on which spawner spawned first; their
    // signatures do not, so every execution makes the same edges. (DPOR
    // takes spawns of different threads as independent: DFS runs both.)
    let (first, _) = edges(&first_execution(), grandchildren);
    let mut dfs = dpor();
    dfs.strategy(StrategyKind::Dfs);
    let (all, runs) = edges(&dfs, grandchildren);
    assert!(runs > 1, "the spawns race");
    assert_eq!(first, all);
}

static Y: AtomicUsize = AtomicUsize::new(0);

/// New edges come first (`Y`), then a race only a later schedule reaches.
fn late_race() {
    Y.store(1, SeqCst);
    Y.load(SeqCst);
    racy_load();
}

#[test]
fn a_timelines_edges_are_counted_in_the_roots_shared_map() {
    let _one = forking();
    // Alone, the root's one execution reads the initial value of X.
    let mut alone = Builder::new();
    alone.coverage(true).energy(1);
    let alone = alone.run(late_race).unwrap();
    assert_eq!((alone.executions, alone.rf_edges), (1, 3));
    // Split on new edges: the root still runs one execution (the energy is
    // one unit for it and eight for the first split's children), and the
    // children, sampling the rest, make the load read the store.
    let mut split = Builder::new();
    split.energy(9).split(true).split_on_new_edges(true);
    split.split_children = 8;
    let split = split.run(late_race).unwrap();
    assert_eq!((split.executions, split.timelines), (1, 8), "{}", split.summary());
    assert!(split.rf_edge_hashes.is_none(), "the shared map keeps only bits");
    assert_eq!(split.rf_edges, 4, "the load reading the store: {}", split.summary());
}

#[test]
fn splitting_on_edges_needs_coverage_and_splitting() {
    let mut b = Builder::new();
    b.energy(5).split(true).split_on_new_edges(true).coverage(false);
    let err = b.run(late_race).unwrap_err();
    assert!(matches!(err, UsageError::Unsupported(_)), "{err}");
    assert!(err.to_string().contains("CHECKER_COVERAGE"), "{err}");
    let mut b = Builder::new();
    b.split_on_new_edges(true);
    let err = b.run(late_race).unwrap_err().to_string();
    assert!(err.contains("CHECKER_SPLIT"), "{err}");
}
