//! Reads-from fuzzing (RFF).
//!
//! Wolff, Shi, Duck, Mathur, Roychoudhury. *Greybox Fuzzing for
//! Concurrency Testing.* ASPLOS 2024.
//!
//! The claim: what makes two executions of a concurrent program differ is
//! which write each read reads from, so a greybox fuzzer whose coverage is
//! the set of reads-from edges (see [`crate::coverage`]) and whose inputs
//! are *abstract schedules*, small sets of reads-from constraints ("this
//! read should read from that write", "this read should not"), finds bugs
//! in far fewer executions than random priorities: it keeps the schedules
//! that reached a new edge and mutates them, so that a rare reads-from
//! edge, once seen, is reproduced and built upon instead of left to
//! chance.
//!
//! How it runs here:
//! 1. A constraint names its write and its read by their coverage
//!    signatures (operation, location, object, thread, occurrence), so it
//!    means the same event in every execution. A lock acquisition reads
//!    from the previous release, a join from the thread's end, and so on,
//!    exactly as the coverage edges say.
//! 2. An execution is POS ([`PriorityScheduler`]) with biases re-decided at
//!    every scheduling decision from the pending events' signatures: a
//!    read with a positive constraint whose write has not run is lowered
//!    (it waits); a write wanted by a positive constraint whose read has
//!    not run is boosted; a write named by a negative constraint is
//!    lowered until its read has run, and once it has run (or when it is
//!    no step at all: an initial value, a thread's end), the read is
//!    lowered instead, so that another write comes first. A positive
//!    constraint whose write is no step holds nothing back. Lowered beats
//!    boosted when an event is both. Once its write has run, a read is not boosted: it reads
//!    that write or a later one, which is how the fuzzer reaches the
//!    writes after the ones it has seen (boosting it pinned the edge
//!    exactly, but left later writes to chance: on a load racing with 8
//!    stores, it found the 6th store's edge in 2 of 6 seeds, against 6 of
//!    6 without).
//! 3. Across executions: every execution's edges are counted (how many
//!    executions saw each). An execution that saw an edge no earlier one
//!    saw joins the corpus with its schedule. The first executions, while
//!    the corpus is empty, are plain POS.
//! 4. The power schedule: an entry is chosen with weight inversely
//!    proportional to how often its rarest *new* edge (the ones it added
//!    to the coverage) has been seen since.
//! 5. Mutations, one or two per execution, each built from an edge of the
//!    chosen entry's execution: add a positive constraint keeping an
//!    observed edge, add a negative one forbidding it, add a positive one
//!    for its read with another write seen read by reads of the same
//!    object, drop a constraint, or flip one. At most
//!    [`MAX_CONSTRAINTS`] constraints; a new constraint on a read replaces
//!    the old one on that read.
//!
//! Deviations from the paper (which instruments C programs with its own
//! POS-based scheduler):
//! - Signatures are ours (coverage.rs), not the paper's instruction-level
//!   event abstraction; the edge map is the strategy's own count of edges
//!   per execution, not an AFL bitmap, so no two edges collide.
//! - An entry joining the corpus keeps, besides the schedule that ran, a
//!   positive constraint for one of the edges it discovered (the first in
//!   trace order): its children then reproduce the new edge instead of
//!   needing a mutation to pin it.
//! - The power schedule is a weighted draw on the rarest new edge of each
//!   entry, not the paper's per-schedule energy of mutants; every
//!   execution draws a fresh entry.
//! - Data decisions, the engine's explicit reads-from choices of weak
//!   memory (`ValueKind::ReadsFrom`) included, are uniform: a
//!   [`ValuePoint`] does not name its options' writes, so positive
//!   constraints are realised by scheduling only. Which waiter wakes,
//!   `nondet::choose` and `checker::rand` values are uniform too; the
//!   paper has none of these.
//! - The scheduler is ours ([`super::pos`], with its own deviations from
//!   POS), and biases are re-decided from scratch at every decision.
//!
//! Each execution draws from its own streams, seeded from the run's seed
//! and the execution's index, and the corpus is a function of the
//! executions before: the same seed gives the same executions. RFF
//! samples; it never says the model is verified.

use std::collections::{HashMap, HashSet};

use super::pos::{Bias, PriorityScheduler};
use super::random::uniform_value;
use super::{Coverage, SchedulePoint, Strategy, StrategyError};
use crate::coverage::{RfPair, RfTracker, edge_hash};
use crate::execution::{Execution, ValuePoint};
use crate::ids::ThreadId;
use crate::rng::{self, Rng};

/// Tells RFF's streams apart from other uses of the seed.
const STREAM: u64 = 0x0072_6666; // "rff"
/// The stream of the seed choice and mutations of an execution.
const MUTATE: u64 = 1;
/// The most constraints one abstract schedule holds.
pub const MAX_CONSTRAINTS: usize = 4;
/// Fixed-point scale of the power schedule's weights.
const SCALE: u64 = 1 << 20;

/// One reads-from constraint of an abstract schedule.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    /// The write's signature.
    pub write: u64,
    /// The read's signature.
    pub read: u64,
    /// `true`: the read should read from the write; `false`: it should not.
    pub positive: bool,
}

/// A schedule of the corpus and what its execution saw.
struct Entry {
    schedule: Vec<Constraint>,
    /// The distinct edges of its execution, in trace order.
    pairs: Vec<RfPair>,
    /// The hashes of the edges it was the first to see.
    new: Vec<u64>,
}

/// The RFF strategy.
pub struct Rff {
    seed: u64,
    executions: u64,
    scheduler: PriorityScheduler,
    /// The running execution's reads-from edges, fed as it goes.
    tracker: RfTracker,
    /// Signatures of the running execution's steps so far.
    ran: HashSet<u64>,
    /// How many of the tracker's steps are in `ran`.
    ran_len: usize,
    /// The running execution's edges so far (may repeat).
    pairs: Vec<RfPair>,
    /// The running execution's abstract schedule.
    schedule: Vec<Constraint>,
    corpus: Vec<Entry>,
    /// The signatures of every step of every execution so far.
    events: HashSet<u64>,
    /// Per edge hash, how many executions saw it.
    seen: HashMap<u64, u64>,
    /// Per object signature, the writes seen read by its reads, first seen
    /// first (a `Vec` for a deterministic order).
    writes: HashMap<u64, Vec<u64>>,
}

impl Rff {
    /// RFF whose executions are drawn from `seed`.
    pub fn new(seed: u64) -> Self {
        Rff {
            seed,
            executions: 0,
            scheduler: PriorityScheduler::new(Rng::new(seed)),
            tracker: RfTracker::default(),
            ran: HashSet::new(),
            ran_len: 0,
            pairs: Vec::new(),
            schedule: Vec::new(),
            corpus: Vec::new(),
            events: HashSet::new(),
            seen: HashMap::new(),
            writes: HashMap::new(),
        }
    }

    /// How many schedules the corpus holds.
    pub fn corpus_len(&self) -> usize {
        self.corpus.len()
    }

    /// The abstract schedule of the running (or last) execution.
    pub fn schedule(&self) -> &[Constraint] {
        &self.schedule
    }

    /// Feeds the trace so far to the tracker.
    fn catch_up(&mut self, ex: &Execution) {
        let pairs = &mut self.pairs;
        self.tracker.feed_pairs(ex, &mut |p| {
            if p.steerable {
                pairs.push(RfPair { write: p.anon_write, read: p.anon_read, ..p });
            }
        });
        let steps = self.tracker.anonymous_steps();
        self.ran.extend(steps[self.ran_len..].iter().copied());
        self.ran_len = steps.len();
    }

    /// Has the write `write` happened: it ran in this execution, or it is
    /// not a step (an initial value, a thread's end: no execution ran it).
    fn done(&self, write: u64) -> bool {
        self.ran.contains(&write) || !self.events.contains(&write)
    }

    /// The bias the schedule asks for the pending event `sig`.
    fn bias(&self, sig: u64) -> Bias {
        let mut boosted = false;
        for c in &self.schedule {
            if c.positive {
                if c.read == sig && !self.done(c.write) {
                    return Bias::Lowered;
                }
                if c.write == sig && !self.ran.contains(&c.read) {
                    boosted = true;
                }
            } else if c.write == sig && !self.ran.contains(&c.read) {
                return Bias::Lowered;
            } else if c.read == sig && self.done(c.write) {
                // Too late to hold the write back (it ran, or it is an
                // initial value, never a step): the read waits instead.
                return Bias::Lowered;
            }
        }
        if boosted { Bias::Boosted } else { Bias::Normal }
    }

    /// The corpus entry to mutate: a weighted draw favouring rare new edges.
    fn choose(&self, rng: &mut Rng) -> usize {
        let weights: Vec<u64> = self
            .corpus
            .iter()
            .map(|e| {
                let rarest = e.new.iter().map(|h| self.seen[h]).min().unwrap_or(1);
                (SCALE / rarest.max(1)).max(1)
            })
            .collect();
        let mut pick = rng.below(weights.iter().sum());
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                return i;
            }
            pick -= w;
        }
        weights.len() - 1
    }

    /// A mutant of entry `i`'s schedule.
    fn mutate(&self, i: usize, rng: &mut Rng) -> Vec<Constraint> {
        let entry = &self.corpus[i];
        let mut schedule = entry.schedule.clone();
        for _ in 0..1 + rng.below(2) {
            let adds = !entry.pairs.is_empty();
            let edits = !schedule.is_empty();
            let choice = match (adds, edits) {
                (false, false) => break,
                (true, false) => rng.below(3),
                (false, true) => 3 + rng.below(2),
                (true, true) => rng.below(5),
            };
            match choice {
                0..=2 => {
                    let p = entry.pairs[rng.index(entry.pairs.len())];
                    let c = match choice {
                        0 => Constraint { write: p.write, read: p.read, positive: true },
                        1 => Constraint { write: p.write, read: p.read, positive: false },
                        _ => {
                            let others: Vec<u64> = self
                                .writes
                                .get(&p.object)
                                .map(|w| w.iter().copied().filter(|&w| w != p.write).collect())
                                .unwrap_or_default();
                            if others.is_empty() {
                                Constraint { write: p.write, read: p.read, positive: false }
                            } else {
                                let w = others[rng.index(others.len())];
                                Constraint { write: w, read: p.read, positive: true }
                            }
                        }
                    };
                    schedule.retain(|o| o.read != c.read);
                    if schedule.len() >= MAX_CONSTRAINTS {
                        schedule.remove(rng.index(schedule.len()));
                    }
                    schedule.push(c);
                }
                3 => {
                    schedule.remove(rng.index(schedule.len()));
                }
                _ => {
                    let k = rng.index(schedule.len());
                    schedule[k].positive = !schedule[k].positive;
                }
            }
        }
        schedule
    }
}

impl Strategy for Rff {
    fn next_execution(&mut self) -> bool {
        let index = self.executions;
        self.executions += 1;
        self.scheduler.restart(Rng::new(rng::derive(self.seed, &[STREAM, index])));
        self.tracker.reset();
        self.ran.clear();
        self.ran_len = 0;
        self.pairs.clear();
        self.schedule = if self.corpus.is_empty() {
            Vec::new()
        } else {
            let mut rng = Rng::new(rng::derive(self.seed, &[STREAM, MUTATE, index]));
            let i = self.choose(&mut rng);
            self.mutate(i, &mut rng)
        };
        true
    }

    fn pick_thread(&mut self, point: &SchedulePoint<'_>) -> Result<ThreadId, StrategyError> {
        if !self.schedule.is_empty() && point.is_decision() {
            let ex = point.execution();
            self.catch_up(ex);
            for &t in point.eligible {
                let Some(p) = point.pending(t) else { continue };
                let sig = self.tracker.pending_anonymous(ex, t, &p.op, p.location);
                let bias = self.bias(sig);
                self.scheduler.set_bias(t, bias);
            }
        }
        Ok(self.scheduler.pick(point))
    }

    fn pick_value(&mut self, point: &ValuePoint, _decision: usize) -> Result<u64, StrategyError> {
        Ok(uniform_value(self.scheduler.rng(), point))
    }

    fn end_execution(&mut self, execution: &Execution) -> Result<(), StrategyError> {
        self.catch_up(execution);
        self.events.extend(self.ran.iter().copied());
        let mut distinct = HashSet::new();
        let mut pairs = Vec::new();
        let mut new = Vec::new();
        for &p in &self.pairs {
            if !distinct.insert((p.write, p.read)) {
                continue;
            }
            pairs.push(p);
            let h = edge_hash(p.write, p.read);
            let count = self.seen.entry(h).or_insert(0);
            if *count == 0 {
                new.push((h, p));
                let writes = self.writes.entry(p.object).or_default();
                if !writes.contains(&p.write) {
                    writes.push(p.write);
                }
            }
            *count += 1;
        }
        if let Some(&(_, first)) = new.first() {
            let mut schedule = self.schedule.clone();
            schedule.retain(|c| c.read != first.read);
            if schedule.len() >= MAX_CONSTRAINTS {
                schedule.remove(0);
            }
            schedule.push(Constraint { write: first.write, read: first.read, positive: true });
            let new = new.into_iter().map(|(h, _)| h).collect();
            self.corpus.push(Entry { schedule, pairs, new });
        }
        Ok(())
    }

    /// Never asked: RFF always has another execution.
    fn coverage(&self) -> Coverage {
        Coverage::Pruned(0)
    }

    fn name(&self) -> &'static str {
        "rff"
    }

    fn samples(&self) -> bool {
        true
    }
}
