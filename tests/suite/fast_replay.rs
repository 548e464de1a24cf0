//! Fast replay: restoring an execution's first steps from a snapshot of an
//! earlier execution changes nothing but the time. With it on and off, DPOR
//! runs the same executions and finds the same outcomes and bugs, on
//! generated programs and on models whose values are addresses (of heap
//! blocks and of stack slots), which the restored steps hand back as the
//! earlier execution saw them. Where addresses would not repeat (a model
//! that keeps blocks alive from one execution to the next), nothing is
//! restored.

use std::collections::BTreeSet;

use checker::cell::UnsafeCell;
use checker::model::{Builder, FailureKind, Outcome, StrategyKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use checker::thread;
use checker_tests::programs::{Observation, Shape, generate};
use checker_tests::{Recorder, env_u64, outcomes};

/// Runs `model` under DPOR at `bound` with fast replay off and on: both
/// verify it with the same executions and outcomes. Returns the run with
/// fast replay on.
fn same_either_way<T, F>(name: &str, bound: Option<usize>, model: F) -> Outcome
where
    T: Ord + std::fmt::Debug + Send + 'static,
    F: Fn(&Recorder<T>) + Send + Sync + Clone + 'static,
{
    let mut runs = Vec::new();
    for fast in [false, true] {
        let mut builder = Builder::new();
        builder.strategy = StrategyKind::Dpor;
        builder.preemption_bound = bound;
        builder.fast_replay = fast;
        let (outcome, seen) = outcomes(&builder, model.clone());
        assert!(
            matches!(outcome.verdict, Verdict::Verified(_)),
            "{name}, fast replay {fast}: {}\n{:?}",
            outcome.summary(),
            outcome.failure
        );
        runs.push((outcome, seen));
    }
    let (on, on_seen) = runs.pop().unwrap();
    let (off, off_seen) = runs.pop().unwrap();
    assert_eq!(off.restored_steps, 0, "{name}: fast replay off restored steps");
    assert_eq!(on_seen, off_seen, "{name}: other outcomes with fast replay");
    assert_eq!(
        (on.executions, on.redundant),
        (off.executions, off.redundant),
        "{name}: other executions with fast replay"
    );
    on
}

/// A Treiber stack of boxed nodes: the values the restored steps hand
/// back are heap addresses, which the model then dereferences.
fn treiber(rec: &Recorder<Vec<usize>>) {
    struct Node {
        value: usize,
        next: *mut Node,
    }
    let head = Arc::new(AtomicPtr::<Node>::new(std::ptr::null_mut()));
    let push = |head: &AtomicPtr<Node>, value: usize| {
        let node = Box::into_raw(Box::new(Node { value, next: std::ptr::null_mut() }));
        loop {
            let top = head.load(Ordering::Acquire);
            // SAFETY: `node` is ours until the exchange publishes it.
            unsafe { (*node).next = top };
            if head.compare_exchange(top, node, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                return;
            }
        }
    };
    let threads: Vec<_> = (1..=2)
        .map(|t| {
            let head = Arc::clone(&head);
            thread::spawn(move || {
                push(&head, t);
                push(&head, t * 10);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut order = Vec::new();
    let mut node = head.load(Ordering::Acquire);
    while !node.is_null() {
        // SAFETY: every thread has joined; each node was boxed and pushed
        // once, and is freed once here.
        let boxed = unsafe { Box::from_raw(node) };
        order.push(boxed.value);
        node = boxed.next;
    }
    rec.record(order);
}

#[test]
fn heap_addresses_handed_back_by_restored_steps_are_the_same_blocks() {
    for bound in [None, Some(1)] {
        let on = same_either_way("treiber", bound, treiber);
        assert!(on.restored_steps > 0, "bound {bound:?}: nothing was restored");
    }
}

/// Each thread publishes the address of a local of its own stack; the model
/// body reads them and compares them with what the threads return. Threads
/// finish in different orders in different executions, so the stack a
/// thread runs on must not depend on which stacks the last execution gave
/// back first.
fn stack_addresses(rec: &Recorder<bool>) {
    let slots = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)]);
    let threads: Vec<_> = (0..3)
        .map(|i| {
            let slots = Arc::clone(&slots);
            thread::spawn(move || {
                let local = [i as u8; 24];
                let address = std::hint::black_box(&local) as *const _ as usize;
                slots[i].store(address, Ordering::Release);
                // Another step, so that threads interleave after publishing.
                slots[(i + 1) % 3].load(Ordering::Acquire);
                address
            })
        })
        .collect();
    let published: Vec<usize> = slots.iter().map(|s| s.load(Ordering::Acquire)).collect();
    let returned: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for (i, &p) in published.iter().enumerate() {
        assert!(
            p == 0 || p == returned[i],
            "thread {i} published {p:#x}, its local is at {:#x}",
            returned[i]
        );
    }
    rec.record(published.iter().all(|&p| p != 0));
}

#[test]
fn stack_addresses_handed_back_by_restored_steps_are_the_threads_own() {
    let on = same_either_way("stack addresses", None, stack_addresses);
    assert!(on.restored_steps > 0, "nothing was restored");
}

/// Two threads race to publish a box of their own; the loser's box stays
/// alive past the execution (leaked on purpose), so the next execution's
/// blocks go elsewhere: its addresses do not repeat, and fast replay
/// restores nothing. Restored anyway, the published address would be the
/// earlier execution's, not the winner's box.
fn leaking(rec: &Recorder<usize>) {
    let head = Arc::new(AtomicPtr::<usize>::new(std::ptr::null_mut()));
    let threads: Vec<_> = (1..=2)
        .map(|t| {
            let head = Arc::clone(&head);
            thread::spawn(move || {
                let mine = Box::into_raw(Box::new(t));
                let _ = head.compare_exchange(
                    std::ptr::null_mut(),
                    mine,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                );
                head.load(Ordering::Acquire);
                mine as usize
            })
        })
        .collect();
    let boxes: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let winner = head.load(Ordering::Acquire);
    assert!(boxes.contains(&(winner as usize)), "{winner:?} is no thread's box: {boxes:x?}");
    // SAFETY: the winner's box, published once.
    rec.record(unsafe { *winner });
}

#[test]
fn a_model_whose_blocks_outlive_its_executions_is_not_restored() {
    let on = same_either_way("leaking", None, leaking);
    assert_eq!(on.restored_steps, 0, "steps were restored though addresses do not repeat");
}

/// Queries of shared state that are not steps (`get_mut`, `unsync_load`,
/// `into_inner`), made before and after the point a later execution
/// restores: the restored run answers them as the earlier one did.
fn queries(rec: &Recorder<(usize, usize)>) {
    let mut counter = AtomicUsize::new(5);
    *counter.get_mut() += 1;
    let shared = Arc::new(counter);
    let flag = Arc::new(AtomicUsize::new(0));
    // SAFETY: no other thread runs yet.
    let early = unsafe { shared.unsync_load() };
    let (s, f) = (Arc::clone(&shared), Arc::clone(&flag));
    let child = thread::spawn(move || {
        s.fetch_add(1, Ordering::AcqRel);
        f.store(1, Ordering::Release);
    });
    let seen = shared.load(Ordering::Acquire);
    flag.load(Ordering::Acquire);
    child.join().unwrap();
    // SAFETY: the writer joined.
    let late = unsafe { flag.unsync_load() };
    let last = Arc::try_unwrap(shared).map(AtomicUsize::into_inner).unwrap_or(0);
    rec.record((seen + early, last + late));
}

#[test]
fn queries_of_shared_state_get_the_same_answers_when_restored() {
    for bound in [None, Some(1)] {
        same_either_way("queries", bound, queries);
    }
}

/// A data race on a cell after the restored prefix is found, and its
/// replay reproduces it.
#[test]
fn a_data_race_after_a_restored_prefix_is_found_and_replays() {
    let model = || {
        let cell = Arc::new(UnsafeCell::new(0usize));
        let ready = Arc::new(AtomicUsize::new(0));
        // Steps before the race, which later executions restore.
        for _ in 0..3 {
            ready.fetch_add(1, Ordering::AcqRel);
        }
        let (c, r) = (Arc::clone(&cell), Arc::clone(&ready));
        let writer = thread::spawn(move || {
            r.fetch_add(1, Ordering::Relaxed);
            // SAFETY: the race is the point: checker stops the model at the
            // racing access, before it could be undefined behaviour.
            c.with_mut(|v| unsafe { *v += 1 });
        });
        ready.load(Ordering::Acquire);
        ready.load(Ordering::Acquire);
        // SAFETY: as above.
        cell.with(|v| unsafe { *v });
        writer.join().unwrap();
    };
    let mut builder = Builder::new();
    builder.fast_replay = true;
    let report = checker_tests::expect_bug(&builder, FailureKind::DataRace, model);
    assert!(report.message().contains("UnsafeCell"), "{report}");
}

/// Generated programs (atomics, locks, condvars, spin loops, spawns): the
/// same executions and outcomes with fast replay on and off, unbounded and
/// at bound 1, and some steps restored over all of them.
#[test]
fn generated_programs_run_the_same_with_and_without_fast_replay() {
    let count = env_u64("CHECKER_DIFF_PROGRAMS", 150);
    let base = env_u64("CHECKER_DIFF_SEED", 0x5eed_0000) ^ 0xfa57;
    let shape = Shape {
        threads: 2..=3,
        length: 2..=5,
        total: 10,
        vars: 1..=3,
        mutexes: 1,
        rwlocks: 0,
        model_arc_one_in: 4,
        branches: true,
        condvars: 1,
        spins: true,
        forks: true,
    };
    let mut restored = 0;
    for n in 0..count {
        let program = generate(base.wrapping_add(n.wrapping_mul(0x9e37_79b9)), &shape);
        for bound in [None, Some(1)] {
            let mut found: Vec<(Outcome, BTreeSet<Observation>)> = Vec::new();
            for fast in [false, true] {
                let mut builder = Builder::new();
                builder.preemption_bound = bound;
                builder.max_permutations = Some(20_000);
                builder.fast_replay = fast;
                let p = program.clone();
                found.push(outcomes(&builder, move |rec| rec.record(p.run())));
            }
            let (on, on_seen) = found.pop().unwrap();
            let (off, off_seen) = found.pop().unwrap();
            assert_eq!(on.verdict, off.verdict, "bound {bound:?}: other verdicts on\n{program:?}");
            assert_eq!(on_seen, off_seen, "bound {bound:?}: other outcomes on\n{program:?}");
            assert_eq!(
                on.executions, off.executions,
                "bound {bound:?}: other executions on\n{program:?}"
            );
            restored += on.restored_steps;
        }
    }
    assert!(restored > 0, "no generated program restored a step");
}
