//! An axiomatic RC11 model: the independent oracle for checker's weak
//! memory engine.
//!
//! RC11 is the repaired C/C++11 model of Lahav, Vafeiadis, Kang, Hur and
//! Dreyer, "Repairing Sequential Consistency in C/C++11" (PLDI 2017). A
//! program's behaviours are its *execution graphs* that satisfy four
//! axioms. This module states them over explicit graphs ([`graph`]),
//! enumerates every consistent graph of a small program ([`enumerate()`]),
//! computes the sequentially consistent outcomes separately ([`sc`]), and
//! runs the same program under checker ([`run`]) so the tests can compare.
//!
//! # Graphs
//!
//! Events are the initial writes (one per variable, value 0, non-atomic,
//! thread 0), reads, writes and fences, each with a thread, an access mode
//! (`na ⊏ rlx ⊏ acq, rel ⊏ acqrel ⊏ sc`) and, for accesses, a variable and
//! a value. A read-modify-write is two events of its thread, a read and the
//! write right after it, paired by `rmw`; a failed compare-exchange is only
//! its read. The base relations:
//!
//! - `sb`, sequenced-before: program order within a thread; the initial
//!   writes are before every other event. This also stands for the
//!   spawn edges (the body creates the variables, then spawns), and the
//!   join edges need no event: after joining every thread, the body's final
//!   loads can only read each variable's `mo`-last write (anything else
//!   breaks coherence), so the outcome takes the finals from `mo`. Those
//!   loads are `SeqCst`, but their only `psc` edges out lead to later final
//!   loads (they read `mo`-last writes: no `rb`; no other event is after
//!   them), so they close no cycle and leaving them out forbids nothing.
//! - `rf`, reads-from: each read's write, same variable, same value.
//! - `mo`, modification order: per variable, a total order of its writes,
//!   the initial write first.
//!
//! Notation: `[A]` is the identity on the set `A`, `;` composition, `?`
//! reflexive closure, `+` and `*` (reflexive-)transitive closure, `R|loc`
//! the pairs of `R` on one variable, `R|≠loc` the others, `E⊒o` the events
//! of mode at least `o`, `W`, `R`, `F` the writes, reads and fences.
//!
//! # Derived relations
//!
//! - release sequence, as C++20 defines it (and Rust, which follows C++20):
//!   `rs = [W] ; (rf ; rmw)*`: a write, then any chain of read-modify-writes
//!   each reading the previous. RC11's paper (like C++11) also put the
//!   thread's later atomic writes to the variable in it (`[W] ; sb|loc? ;
//!   [W⊒rlx] ; (rf ; rmw)*`); C++20 dropped them (P0982), so a relaxed
//!   store after a release store of the same thread no longer synchronises
//!   through it.
//! - synchronises-with: `sw = [E⊒rel] ; ([F] ; sb)? ; rs ; rf ; [R⊒rlx] ;
//!   (sb ; [F])? ; [E⊒acq]`: a release write (or a release fence before a
//!   write) whose release sequence an atomic read reads from, when the read
//!   acquires (or an acquire fence follows it).
//! - happens-before: `hb = (sb ∪ sw)+`.
//! - reads-before: `rb = rf⁻¹ ; mo` (minus the identity): a read is before
//!   every write `mo`-after the one it read.
//! - extended coherence order: `eco = (rf ∪ mo ∪ rb)+`.
//! - `scb = sb ∪ sb|≠loc ; hb ; sb|≠loc ∪ hb|loc ∪ mo ∪ rb`.
//! - `psc_base = ([E^sc] ∪ [F^sc] ; hb?) ; scb ; ([E^sc] ∪ hb? ; [F^sc])`:
//!   scb between SC events, where an SC fence also stands for what happens
//!   after it (at the start) or before it (at the end).
//! - `psc_F = [F^sc] ; (hb ∪ hb ; eco ; hb) ; [F^sc]`.
//! - `psc = psc_base ∪ psc_F`.
//!
//! # Axioms
//!
//! A graph is consistent when:
//!
//! 1. coherence: `hb ; eco?` is irreflexive;
//! 2. atomicity: `rmw ∩ (rb ; mo) = ∅` (no write between what a
//!    read-modify-write read and its own write);
//! 3. SC: `psc` is acyclic;
//! 4. no-thin-air: `sb ∪ rf` is acyclic.
//!
//! Programs have at most 64 events, so relations are bitset matrices
//! ([`relation::Rel`]).
//!
//! # Outcomes
//!
//! The outcome of a graph has the shape of
//! [`Observation`](crate::programs::Observation): per thread, what each of
//! its instructions observed in program order (see [`ir::Instr`]), and the
//! final value of every variable, its `mo`-last write.

pub mod enumerate;
pub mod graph;
pub mod ir;
pub mod relation;
pub mod run;
pub mod sc;

pub use enumerate::{Enumeration, enumerate, enumerate_in_execution_order, enumerate_unpruned};
pub use graph::{Axiom, Graph, Mode};
pub use ir::{Instr, IrError, Program, Shape, generate};
pub use run::{
    Explored, explore, explore_counting_traces, try_explore, try_explore_bounded,
    try_explore_counting_traces,
};
pub use sc::sc_outcomes;
