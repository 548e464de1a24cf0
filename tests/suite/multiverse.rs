//! The multiverse's process machinery, with plain closures as timelines:
//! every child runs and is reaped, energy is exact, the running bound holds
//! at every depth, every abnormal ending is a bug with its recipe (the
//! first one wins the slot), a panicking parent leaves no child behind, no
//! shared mapping outlives its owner, and forking is safe under this
//! multi-threaded harness.
//!
//! These tests fork the test process; they take one lock so that only one
//! of them forks at a time (each checks the whole process's mappings or
//! children).
#![cfg(unix)]

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

use scheduler::multiverse::fork::signal_name;
use scheduler::multiverse::{
    BugKind, Ending, Exit, Options, Reaped, Recipe, Shared, SplitPoint, Stop, Timeline, child_seed,
    heartbeat, split,
};

fn one_at_a_time() -> MutexGuard<'static, ()> {
    checker_tests::forking()
}

fn opts(children: u32) -> Options {
    Options { children, timeout: Some(Duration::from_secs(20)), stop_on_bug: false }
}

fn root_at(root: &Recipe) -> SplitPoint<'_> {
    SplitPoint { recipe: root, decisions: 5, seed: 0x5eed, mark: 1, path: "", walk: None }
}

/// Whether a process with this pid exists (a zombie counts).
fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Splits `opts.children` ways at the root, collecting the reaped children.
fn split_root(
    shared: &Shared,
    opts: &Options,
    child: impl FnMut(&Timeline) -> Exit,
) -> (scheduler::multiverse::Summary, Vec<Reaped>) {
    let root = Recipe::root();
    let mut reaped = Vec::new();
    let summary = split(shared, &root_at(&root), opts, child, |r| reaped.push(r.clone())).unwrap();
    (summary, reaped)
}

#[test]
fn every_child_runs_and_is_reaped() {
    let _one = one_at_a_time();
    let shared = Shared::new(100, 2).unwrap();
    let (summary, reaped) = split_root(&shared, &opts(5), |t| {
        shared.scratch(0).fetch_add(1, Ordering::SeqCst);
        shared.scratch(1 + t.index as usize).store(u64::from(std::process::id()), Ordering::SeqCst);
        Exit::Pass
    });
    assert_eq!((summary.forked, summary.passed, summary.bugs, summary.stopped), (5, 5, 0, None));
    assert_eq!(shared.scratch(0).load(Ordering::SeqCst), 5, "every child ran");
    assert_eq!(shared.timelines(), 5);
    assert_eq!(shared.energy_left(), 95, "one unit per child");
    let indices: HashSet<u32> = reaped.iter().map(|r| r.index).collect();
    assert_eq!(indices, (0..5).collect());
    for r in &reaped {
        assert_eq!(r.ending, Ending::Passed);
        assert_eq!(r.seed, child_seed(0x5eed, 1, 0, r.index));
        assert_eq!(r.recipe.to_string(), format!("5@{:016x}", r.seed));
        assert_eq!(
            shared.scratch(1 + r.index as usize).load(Ordering::SeqCst),
            u64::from(r.pid),
            "it ran as itself"
        );
        assert!(!exists(r.pid), "child {} was reaped", r.pid);
    }
    assert_ne!(reaped[0].pid, std::process::id());
}

#[test]
fn energy_is_exact_n_units_n_children() {
    let _one = one_at_a_time();
    let shared = Shared::new(3, 1).unwrap();
    let (summary, _) = split_root(&shared, &opts(5), |_| Exit::Pass);
    assert_eq!((summary.forked, summary.stopped), (3, Some(Stop::Energy)));
    assert_eq!(shared.energy_left(), 0);
    let (summary, _) = split_root(&shared, &opts(5), |_| Exit::Pass);
    assert_eq!((summary.forked, summary.stopped), (0, Some(Stop::Energy)), "no energy, no fork");

    // Nested: 7 units over splits of 3 at two depths give exactly 7 timelines.
    let shared = Shared::new(7, 1).unwrap();
    let (summary, _) = split_root(&shared, &opts(3), |t| {
        shared.scratch(0).fetch_add(1, Ordering::SeqCst);
        let at = SplitPoint {
            recipe: &t.recipe,
            decisions: 1,
            seed: t.seed,
            mark: 2,
            path: "",
            walk: None,
        };
        split(
            &shared,
            &at,
            &opts(3),
            |_| {
                shared.scratch(0).fetch_add(1, Ordering::SeqCst);
                Exit::Pass
            },
            |_| {},
        )
        .unwrap();
        Exit::Pass
    });
    assert_eq!(shared.scratch(0).load(Ordering::SeqCst), 7, "7 timelines ran");
    assert_eq!(shared.timelines(), 7);
    assert_eq!(shared.energy_left(), 0);
    // Child 0 and its 3, child 1 and the 2 left; then the root stops.
    assert_eq!((summary.forked, summary.stopped), (2, Some(Stop::Energy)));
}

#[test]
fn adaptive_energy_moves_from_unproductive_marks_to_productive_ones() {
    let _one = one_at_a_time();
    let shared = Shared::new(100, 1).unwrap();
    shared.set_mark_allowance(5);
    let root = Recipe::root();
    let at = |mark| SplitPoint { recipe: &root, decisions: 1, seed: 7, mark, path: "", walk: None };
    // Mark 1: two children that find nothing new give back 3 units.
    let dull = split(&shared, &at(1), &opts(2), |_| Exit::Pass, |_| {}).unwrap();
    assert_eq!((dull.forked, dull.given_back), (2, 3));
    assert_eq!(shared.pool(), 3);
    // Mark 2: children that each cover a new bit spend its 5 and the pool's 3.
    let keen = split(
        &shared,
        &at(2),
        &opts(20),
        |t| {
            shared.cover(u64::from(t.index));
            Exit::Pass
        },
        |_| {},
    )
    .unwrap();
    assert_eq!((keen.forked, keen.stopped, keen.given_back), (8, Some(Stop::Allowance), 0));
    assert_eq!(shared.coverage_count(), 8);
    assert_eq!((shared.pool(), shared.energy_left()), (0, 90), "10 timelines cost 10 units");
}

/// Marks this process as running model code for a while.
fn run_a_while(shared: &Shared) {
    let now = shared.scratch(0).fetch_add(1, Ordering::SeqCst) + 1;
    shared.scratch(1).fetch_max(now, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(3));
    shared.scratch(0).fetch_sub(1, Ordering::SeqCst);
}

/// Each timeline runs, splits 2 ways until depth 3, runs again.
fn nested(shared: &Shared, t: &Timeline) -> Exit {
    shared.scratch(2).fetch_add(1, Ordering::SeqCst);
    run_a_while(shared);
    if t.depth() < 3 {
        let at = SplitPoint {
            recipe: &t.recipe,
            decisions: 2,
            seed: t.seed,
            mark: t.depth() as u64,
            path: "",
            walk: None,
        };
        let s = split(shared, &at, &opts(2), |c| nested(shared, c), |_| {}).unwrap();
        if s.passed != 2 {
            return Exit::Bug;
        }
    }
    run_a_while(shared);
    Exit::Pass
}

#[test]
fn at_most_jobs_processes_run_at_every_depth() {
    let _one = one_at_a_time();
    for jobs in [1, 2] {
        let shared = Shared::new(1000, jobs).unwrap();
        let (summary, _) = split_root(&shared, &opts(2), |t| nested(&shared, t));
        assert_eq!(summary.passed, 2);
        assert_eq!(
            shared.scratch(2).load(Ordering::SeqCst),
            2 + 4 + 8,
            "three depths of two-way splits"
        );
        assert_eq!(shared.timelines(), 14);
        let seen = shared.scratch(1).load(Ordering::SeqCst);
        assert!(seen <= u64::from(jobs), "jobs={jobs}: {seen} ran at once");
        assert!(shared.max_running() <= u64::from(jobs));
        if jobs == 2 {
            assert_eq!(shared.max_running(), 2, "two tokens were used at once");
        }
        assert_eq!(shared.scratch(0).load(Ordering::SeqCst), 0);
    }
}

#[test]
fn an_abort_a_panic_and_an_unknown_exit_code_are_bugs_with_their_recipes() {
    let _one = one_at_a_time();
    let shared = Shared::new(10, 1).unwrap();
    let (summary, reaped) = split_root(&shared, &opts(4), |t| match t.index {
        1 => panic!("the first bug"),
        2 => std::process::abort(),
        3 => std::process::exit(0),
        _ => Exit::Pass,
    });
    assert_eq!((summary.forked, summary.passed, summary.bugs), (4, 1, 3));
    assert_eq!(shared.bugs(), 3);
    let by_index = |i: u32| reaped.iter().find(|r| r.index == i).unwrap();
    assert_eq!(by_index(1).ending, Ending::Bug);
    let Ending::Signal(sig) = by_index(2).ending else {
        panic!("abort is a signal death: {:?}", by_index(2).ending)
    };
    assert!(signal_name(sig).starts_with("SIGABRT"), "{}", signal_name(sig));
    assert_eq!(by_index(3).ending, Ending::UnexpectedExit(0), "exit 0 is not a pass");
    assert!(reaped.iter().all(|r| r.ending.is_bug() == (r.index != 0)));
    // The first bug (children run one at a time) wins the slot.
    let bug = shared.bug().unwrap();
    assert_eq!(bug.kind, BugKind::Panicked);
    assert_eq!(bug.recipe, by_index(1).recipe.to_string());
    assert!(
        bug.report.contains("the first bug") && bug.report.contains(&bug.recipe),
        "{}",
        bug.report
    );
    assert_eq!(bug.recipe.parse::<Recipe>().unwrap(), by_index(1).recipe, "the recipe parses back");
}

#[test]
fn a_signal_death_wins_the_slot_when_first_and_stops_the_split() {
    let _one = one_at_a_time();
    let shared = Shared::new(10, 1).unwrap();
    let stop = Options { stop_on_bug: true, ..opts(4) };
    let (summary, reaped) =
        split_root(
            &shared,
            &stop,
            |t| if t.index == 1 { std::process::abort() } else { Exit::Pass },
        );
    assert_eq!(
        (summary.forked, summary.stopped),
        (2, Some(Stop::Bug)),
        "no child after the first bug"
    );
    let bug = shared.bug().unwrap();
    assert_eq!(bug.kind, BugKind::Signal);
    assert!(signal_name(bug.code as i32).starts_with("SIGABRT"));
    assert_eq!(bug.recipe, reaped[1].recipe.to_string());
    assert_eq!(shared.energy_left(), 8);
}

#[test]
fn the_watchdog_kills_a_silent_child_and_spares_one_that_beats() {
    let _one = one_at_a_time();
    let shared = Shared::new(10, 2).unwrap();
    let watch = Options { timeout: Some(Duration::from_millis(500)), ..opts(2) };
    let started = Instant::now();
    let (summary, reaped) = split_root(&shared, &watch, |t| {
        let until = Instant::now() + Duration::from_millis(if t.index == 0 { 800 } else { 20_000 });
        while Instant::now() < until {
            if t.index == 0 {
                heartbeat(&shared);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Exit::Pass
    });
    assert!(started.elapsed() < Duration::from_secs(10), "the silent child was not left to run");
    assert_eq!((summary.passed, summary.bugs), (1, 1));
    let hung = reaped.iter().find(|r| r.index == 1).unwrap();
    assert!(
        matches!(hung.ending, Ending::Hang(d) if d >= Duration::from_millis(500)),
        "{:?}",
        hung.ending
    );
    let bug = shared.bug().unwrap();
    assert_eq!((bug.kind, bug.recipe.clone()), (BugKind::Hang, hung.recipe.to_string()));
    assert!(!exists(hung.pid));
}

#[test]
fn a_parent_that_panics_kills_and_reaps_its_children() {
    let _one = one_at_a_time();
    let shared = Shared::new(10, 2).unwrap();
    let root = Recipe::root();
    let started = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| {
        split(
            &shared,
            &root_at(&root),
            &opts(3),
            |t| {
                shared
                    .scratch(t.index as usize)
                    .store(u64::from(std::process::id()), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(if t.index == 0 { 100 } else { 30_000 }));
                Exit::Pass
            },
            |r| panic!("the parent fails while reaping child {}", r.index),
        )
    }));
    assert!(result.is_err(), "the parent's panic went through");
    assert!(started.elapsed() < Duration::from_secs(10), "the sleeping child was killed");
    let sleeper = shared.scratch(1).load(Ordering::SeqCst) as u32;
    assert_ne!(sleeper, 0, "child 1 was running when the parent panicked");
    assert!(!exists(sleeper), "child 1 was killed and reaped");
}

#[cfg(target_os = "linux")]
#[test]
fn no_shared_mapping_outlives_its_owner() {
    let _one = one_at_a_time();
    let shared_at = |start: usize| {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines().any(|l| {
            let mut f = l.split_whitespace();
            let range = f.next().unwrap_or("");
            let perms = f.next().unwrap_or("");
            range.starts_with(&format!("{start:x}-")) && perms.ends_with('s')
        })
    };
    let shared = Shared::new(2, 1).unwrap();
    let start = shared.address_range().start;
    assert!(shared_at(start), "the region is a shared mapping");
    split_root(&shared, &opts(2), |_| Exit::Pass);
    drop(shared);
    assert!(!shared_at(start), "and it is gone once dropped");
}

#[test]
fn forking_is_safe_while_other_threads_allocate_and_print() {
    let _one = one_at_a_time();
    let stop = Arc::new(AtomicBool::new(false));
    let busy: Vec<_> = (0..2)
        .map(|i| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let v: Vec<String> = (0..64).map(|k| format!("{i}:{k}:{n}")).collect();
                    println!("busy thread {i} round {n}: {}", v.len());
                    n += 1;
                }
                n
            })
        })
        .collect();
    let shared = Shared::new(100, 2).unwrap();
    let watch = Options { timeout: Some(Duration::from_secs(10)), ..opts(24) };
    let (summary, _) = split_root(&shared, &watch, |t| {
        // The child allocates, formats and frees, but does not print.
        let v: Vec<String> = (0..2000).map(|k| format!("{}-{k}", t.index)).collect();
        let ok = v.iter().map(String::len).sum::<usize>() > 2000;
        if ok { Exit::Pass } else { Exit::Bug }
    });
    stop.store(true, Ordering::Relaxed);
    let rounds: u64 = busy.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(summary.threads.is_none_or(|n| n > 1), "the process was multi-threaded when it forked");
    assert_eq!((summary.forked, summary.passed), (24, 24), "no child hung or crashed: {summary:?}");
    assert!(rounds > 0);
}
