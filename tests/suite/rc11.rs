//! The axiomatic RC11 model (`checker_tests::rc11`) checked on its own:
//! each axiom rejects the graph of its classic counterexample, the
//! enumerator agrees with interleaving semantics on all-`SeqCst` programs,
//! keeps every sequentially consistent outcome on the others, and loses
//! nothing by pruning inconsistent partial graphs.

use std::sync::atomic::Ordering::{self, *};

use checker_tests::env_u64;
use checker_tests::rc11::graph::{Event, Kind};
use checker_tests::rc11::{
    Axiom, Graph, Instr, Mode, Program, Shape, enumerate, enumerate_unpruned, generate, sc_outcomes,
};

const X: usize = 0;
const Y: usize = 1;

/// A read whose source is set afterwards (it may come later in the graph).
fn read_of(g: &mut Graph, thread: usize, var: usize, value: u64, mode: Mode) -> usize {
    g.push(Event { thread, kind: Kind::Read { var, value }, mode })
}

fn fence(g: &mut Graph, thread: usize, mode: Mode) -> usize {
    g.push(Event { thread, kind: Kind::Fence, mode })
}

/// Store buffering where both reads read the initial writes, with the given
/// modes and optionally a fence of `fence_mode` between store and load.
fn store_buffering(access: Mode, fence_mode: Option<Mode>) -> Graph {
    let mut g = Graph::new(2);
    for (t, (mine, other)) in [(X, Y), (Y, X)].into_iter().enumerate() {
        let store = if access == Mode::Acquire { Mode::Release } else { access };
        g.write(t + 1, mine, 1, store, 1);
        if let Some(m) = fence_mode {
            fence(&mut g, t + 1, m);
        }
        g.read(t + 1, other, access, other);
    }
    g
}

#[test]
fn each_axiom_rejects_its_classic_counterexample() {
    // SB: both loads read 0. Allowed unless SeqCst (accesses or fences).
    assert_eq!(store_buffering(Mode::Relaxed, None).consistent(), Ok(()));
    assert_eq!(store_buffering(Mode::Acquire, None).consistent(), Ok(()));
    assert_eq!(store_buffering(Mode::SeqCst, None).consistent(), Err(Axiom::Sc));
    assert_eq!(store_buffering(Mode::Relaxed, Some(Mode::SeqCst)).consistent(), Err(Axiom::Sc));
    assert_eq!(store_buffering(Mode::Relaxed, Some(Mode::AcqRel)).consistent(), Ok(()));

    // MP: the flag is read as 1, the data as 0.
    let mp = |flag_store: Mode, flag_load: Mode| {
        let mut g = Graph::new(2);
        g.write(1, X, 1, Mode::Relaxed, 1);
        let flag = g.write(1, Y, 1, flag_store, 1);
        g.read(2, Y, flag_load, flag);
        g.read(2, X, Mode::Relaxed, X);
        g
    };
    assert_eq!(mp(Mode::Relaxed, Mode::Relaxed).consistent(), Ok(()));
    assert_eq!(mp(Mode::Release, Mode::Relaxed).consistent(), Ok(()));
    assert_eq!(mp(Mode::Release, Mode::Acquire).consistent(), Err(Axiom::Coherence));

    // CoRR: reading 1 then the older 0.
    let mut g = Graph::new(1);
    let w = g.write(1, X, 1, Mode::Relaxed, 1);
    g.read(2, X, Mode::Relaxed, w);
    g.read(2, X, Mode::Relaxed, X);
    assert_eq!(g.consistent(), Err(Axiom::Coherence));

    // Two fetch_adds both read 0.
    let mut g = Graph::new(1);
    for t in [1, 2] {
        let r = g.read(t, X, Mode::Relaxed, X);
        let w = g.write(t, X, 1, Mode::Relaxed, t);
        g.rmw.push((r, w));
    }
    assert_eq!(g.well_formed(), Ok(()));
    assert_eq!(g.consistent(), Err(Axiom::Atomicity));

    // LB: each load reads the other thread's later store.
    let mut g = Graph::new(2);
    let r1 = read_of(&mut g, 1, X, 1, Mode::Relaxed);
    let wy = g.write(1, Y, 1, Mode::Relaxed, 1);
    let r2 = read_of(&mut g, 2, Y, 1, Mode::Relaxed);
    let wx = g.write(2, X, 1, Mode::Relaxed, 1);
    g.rf[r1] = Some(wx);
    g.rf[r2] = Some(wy);
    assert_eq!(g.well_formed(), Ok(()));
    assert_eq!(g.consistent(), Err(Axiom::NoThinAir));
}

#[test]
fn release_sequences_and_fences_synchronise() {
    // The flag's release store, then a relaxed fetch_add in another thread
    // that reads it: an acquire load reading the fetch_add's write
    // synchronises with the release store (the write continues its release
    // sequence), so the data is visible.
    let mut g = Graph::new(2);
    let data = g.write(1, X, 1, Mode::Relaxed, 1);
    let flag = g.write(1, Y, 1, Mode::Release, 1);
    let r = g.read(2, Y, Mode::Relaxed, flag);
    let w = g.write(2, Y, 3, Mode::Relaxed, 2);
    g.rmw.push((r, w));
    g.read(3, Y, Mode::Acquire, w);
    let stale = g.read(3, X, Mode::Relaxed, X);
    assert_eq!(g.well_formed(), Ok(()));
    let rel = g.relations();
    assert!(rel.rs.has(flag, w), "the fetch_add continues the release sequence");
    assert!(rel.hb.has(data, stale));
    assert_eq!(g.consistent(), Err(Axiom::Coherence));
    // A plain relaxed store in the middle instead breaks the sequence.
    let mut g = Graph::new(2);
    g.write(1, X, 1, Mode::Relaxed, 1);
    g.write(1, Y, 1, Mode::Release, 1);
    let w = g.write(2, Y, 3, Mode::Relaxed, 2);
    g.read(3, Y, Mode::Acquire, w);
    g.read(3, X, Mode::Relaxed, X);
    assert_eq!(g.consistent(), Ok(()));

    // Fences: release fence before a relaxed store, relaxed load before an
    // acquire fence, synchronise.
    let mut g = Graph::new(2);
    let data = g.write(1, X, 1, Mode::Relaxed, 1);
    let f1 = fence(&mut g, 1, Mode::Release);
    let flag = g.write(1, Y, 1, Mode::Relaxed, 1);
    g.read(2, Y, Mode::Relaxed, flag);
    let f2 = fence(&mut g, 2, Mode::Acquire);
    g.read(2, X, Mode::Relaxed, X);
    let rel = g.relations();
    assert!(rel.sw.has(f1, f2));
    assert!(rel.hb.has(data, f2));
    assert_eq!(g.consistent(), Err(Axiom::Coherence));
}

#[test]
fn ill_formed_graphs_and_programs_are_refused_clearly() {
    let mut g = Graph::new(1);
    let r = read_of(&mut g, 1, X, 5, Mode::Relaxed);
    g.rf[r] = Some(X);
    assert!(g.well_formed().unwrap_err().contains("not a write of its value"));
    let mut g = Graph::new(1);
    g.push(Event { thread: 1, kind: Kind::Write { var: X, value: 1 }, mode: Mode::Relaxed });
    assert!(g.well_formed().unwrap_err().contains("mo of variable 0"));

    let bad: [(Instr, &str); 5] = [
        (Instr::Load(X, Release), "a load cannot be Release"),
        (Instr::Store(X, 1, Acquire), "a store cannot be Acquire"),
        (Instr::Fence(Relaxed), "a fence cannot be Relaxed"),
        (Instr::Cas(X, 0, 1, SeqCst, AcqRel), "cannot fail with AcqRel"),
        (Instr::Load(Y, Relaxed), "variable 1 of 1 does not exist"),
    ];
    for (instr, message) in bad {
        let p = Program::new(1, vec![vec![instr]]);
        let err = enumerate(&p).unwrap_err();
        assert!(err.0.contains(message), "{err} should say {message:?}");
    }
    // 1 initial write and 32 fetch_adds of two events each.
    let p = Program::new(1, vec![vec![Instr::FetchAdd(X, 1, Relaxed); 32]]);
    let err = enumerate(&p).unwrap_err();
    assert!(err.0.contains("up to 65 events"), "{err}");
    assert!(enumerate(&Program::new(1, vec![])).unwrap_err().0.contains("at least one thread"));
}

/// All-`SeqCst` programs have exactly their interleaving outcomes.
#[test]
fn rc11_is_sequential_consistency_on_all_seqcst_programs() {
    let count = env_u64("CHECKER_DIFF_PROGRAMS", 300);
    let base = env_u64("CHECKER_DIFF_SEED", 0x5eed_0000) ^ 0xc11;
    for n in 0..count {
        let p = generate(base.wrapping_add(n.wrapping_mul(0x9e37_79b9)), &Shape::small(true));
        assert!(p.all_seqcst());
        let rc11 = enumerate(&p).unwrap();
        assert_eq!(rc11.outcomes, sc_outcomes(&p), "RC11 and SC disagree on\n{p:?}");
    }
}

/// Every sequentially consistent outcome is an RC11 outcome, and weak
/// orderings add outcomes on some programs (so the comparison can fail).
#[test]
fn rc11_keeps_every_sc_outcome_and_adds_weak_ones() {
    let count = env_u64("CHECKER_DIFF_PROGRAMS", 300);
    let base = env_u64("CHECKER_DIFF_SEED", 0x5eed_0000) ^ 0xc12;
    // Longer threads over two variables, where weak outcomes are frequent.
    let dense = Shape { length: 2..=3, vars: 2..=2, ..Shape::small(false) };
    let mut weaker = 0;
    for n in 0..count {
        let p = generate(base.wrapping_add(n.wrapping_mul(0x9e37_79b9)), &dense);
        let rc11 = enumerate(&p).unwrap();
        let sc = sc_outcomes(&p);
        assert!(sc.is_subset(&rc11.outcomes), "RC11 lacks an SC outcome of\n{p:?}");
        assert!(rc11.graphs >= rc11.outcomes.len());
        weaker += u64::from(sc.len() < rc11.outcomes.len());
    }
    assert!(weaker * 10 >= count, "only {weaker} of {count} programs had weak outcomes");
}

/// Dropping inconsistent partial graphs early loses no consistent graph.
#[test]
fn pruning_partial_graphs_loses_nothing() {
    let count = env_u64("CHECKER_DIFF_PROGRAMS", 150);
    let base = env_u64("CHECKER_DIFF_SEED", 0x5eed_0000) ^ 0xc13;
    let small = Shape { threads: 2..=3, length: 1..=2, ..Shape::small(false) };
    for n in 0..count {
        let p = generate(base.wrapping_add(n.wrapping_mul(0x9e37_79b9)), &small);
        let pruned = enumerate(&p).unwrap();
        let full = enumerate_unpruned(&p).unwrap();
        assert_eq!(pruned.outcomes, full.outcomes, "pruning changed the outcomes of\n{p:?}");
        assert_eq!(pruned.graphs, full.graphs, "pruning changed the graphs of\n{p:?}");
    }
}

/// The graph count: `rf` choices times `mo` choices where nothing else
/// constrains them.
#[test]
fn graphs_are_counted_once_per_rf_and_mo() {
    let relaxed = |o: Ordering| {
        Program::new(
            2,
            vec![
                vec![Instr::Store(X, 1, o), Instr::Store(Y, 2, o)],
                vec![Instr::Store(Y, 1, o), Instr::Store(X, 2, o)],
            ],
        )
    };
    // 2+2W: two orders of each variable's writes; SeqCst forbids one pair.
    assert_eq!(enumerate(&relaxed(Relaxed)).unwrap().graphs, 4);
    assert_eq!(enumerate(&relaxed(SeqCst)).unwrap().graphs, 3);
    // Three relaxed loads of a variable with one other write: each reads
    // either, except reading the write and then 0 again.
    let reads =
        Program::new(1, vec![vec![Instr::Store(X, 1, Relaxed)], vec![Instr::Load(X, Relaxed); 3]]);
    let e = enumerate(&reads).unwrap();
    assert_eq!((e.graphs, e.outcomes.len()), (4, 4));
}
