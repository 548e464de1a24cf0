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
//! 1. A constraint names its write and its read by their signatures
//!    *without their threads* ([`RfTracker`]'s anonymous signatures:
//!    operation, location, object, occurrence in its thread), so it means
//!    the same events in every execution, and one constraint covers the
//!    same instruction in every thread that runs it: "the checker's read
//!    of `b` should not read a setter's `b = -1`" holds back all the
//!    setters, not one of them. A lock acquisition reads from the previous
//!    release, and so on, as the coverage edges say; joins and `Arc`
//!    counts are left out (a join always reads its thread's end; the order
//!    of reference drops is not what a user's bug hangs on).
//! 2. An execution is POS ([`PriorityScheduler`]) with biases re-decided at
//!    every scheduling decision from the pending events' signatures: a
//!    read with a positive constraint whose write has not run is lowered
//!    (it waits); a write wanted by a positive constraint whose read has
//!    not run is boosted; a write named by a negative constraint is
//!    lowered until its read has run, and once it has run (or when it is
//!    no step at all: an initial value, a thread's end), the read is
//!    lowered instead, so that another write comes first. A positive
//!    constraint to read an initial value lowers every other event on the
//!    object until the read has run. Lowered beats boosted when an event
//!    is both. Once its write has run, a read is not boosted, and other
//!    writes are not held back: it reads that write or a later one, which
//!    is how the fuzzer climbs to the writes after the ones it has seen
//!    (holding the others back pinned the edge exactly but stopped the
//!    climb: on a load racing with 8 stores, the 6th store's edge was not
//!    found in 400 executions).
//! 3. A weak-memory reads-from choice ([`ValueKind::ReadsFrom`]) of a read
//!    with constraints takes a store its positive constraint names if one
//!    is an option, else any but those its negative ones name
//!    ([`Execution::read_sources`] names the options' stores).
//! 4. Across executions: every execution's edges are counted (how many
//!    executions saw each). An execution that saw an edge no earlier one
//!    saw joins the corpus with the schedule it ran. The first executions,
//!    while the corpus is empty, are plain POS.
//! 5. The power schedule: an entry is chosen with weight inversely
//!    proportional to how often its rarest *new* edge (the ones it added
//!    to the coverage) has been seen since.
//! 6. Mutations, one or two per execution ([`Mutation`]): keep one of the
//!    entry's new edges (a positive constraint), keep or forbid an
//!    observed edge, make an observed edge's read read another write seen
//!    on its object, drop a constraint, or negate one. An observed edge is
//!    half the time one of the entry's execution, half the time one of any
//!    execution, so that edges first seen apart meet in one schedule. At
//!    most [`MAX_CONSTRAINTS`] constraints; a new constraint on a read
//!    replaces the old one on that read.
//! 7. A forked timeline of an RFF execution (the multiverse) runs the rest
//!    of it under the same schedule with fresh POS priorities
//!    ([`Rff::timeline`]); the recipe carries the schedule
//!    ([`format_schedule`]), so that the root replays the timeline.
//!
//! Deviations from the paper (which instruments C programs with its own
//! POS-based scheduler):
//! - Signatures are ours (coverage.rs), not the paper's instruction-level
//!   event abstraction; the edge map is the strategy's own count of edges
//!   per execution, not an AFL bitmap, so no two edges collide.
//! - The power schedule is a weighted draw on the rarest new edge of each
//!   entry, not the paper's per-schedule energy of mutants; every
//!   execution draws a fresh entry.
//! - Which waiter wakes, `nondet::choose` and `checker::rand` values are
//!   uniform; the paper has none of these.
//! - The scheduler is ours ([`super::pos`], with its own deviations from
//!   POS), and biases are re-decided from scratch at every decision.
//! - The corpus and the edge counts live in the process that runs the
//!   strategy: a forked timeline's new edges reach the run's shared
//!   coverage map (and may split it further), not the root's corpus.
//!
//! Measured choices (benches `sampling`, 60 seeds; geometric mean of the
//! median schedules to the first bug over its 12 models): naming events
//! without their threads took it from >29.66 to 5.5 (`reorder_20` from
//! never to 3); keeping in each corpus entry a positive constraint for
//! its first new edge (an earlier design) cost 30% (5.5 against 4.2);
//! edges of any execution as mutation material took `treiber_aba` from
//! 20 to 12-16; AFL-style occurrence buckets, a cap of 2 or 8 constraints,
//! weighting the mutated edge by rarity, pinning every positive edge
//! exactly, per-thread names for half the constraints, names by spawn
//! site, a positive constraint that waits for its write to be the last
//! one, leaving out edges whose read ran without a rival, and power
//! schedules weighting entries uniformly, by the square of rarity, by
//! recency or by the sum over new edges, and a negative constraint's read
//! that waits only while its write is the object's last one, changed
//! nothing beyond noise (4.2-4.5) or made it worse (`treiber_aba` up to
//! 88). POS keeping a thread's priority across its steps (PCT-like)
//! halved `treiber_aba` (11.5) but cost every other model (5.34), and so
//! did binding a constraint's read to one thread, the first to reach it
//! (`treiber_aba` 12, `twostage_10_1` 47: 5.44; for half the constraints,
//! 4.28) or the one it was seen in (5.94).
//!
//! Each execution draws from its own streams, seeded from the run's seed
//! and the execution's index, and the corpus is a function of the
//! executions before: the same seed gives the same executions. RFF
//! samples; it never says the model is verified.

use std::collections::{HashMap, HashSet};

use smallvec::SmallVec;

use super::pos::{Bias, PriorityScheduler};
use super::random::uniform_value;
use super::{Coverage, SchedulePoint, Strategy, StrategyError};
use crate::coverage::{RfPair, RfTracker, edge_hash, is_step};
use crate::execution::{Execution, ValueKind, ValuePoint};
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
    /// The signature of the object the read names.
    pub object: u64,
}

/// A schedule of the corpus and what its execution saw.
struct Entry {
    schedule: Vec<Constraint>,
    /// The distinct edges of its execution, in trace order.
    pairs: Vec<RfPair>,
    /// The hashes of the edges it was the first to see.
    new: Vec<u64>,
    /// Those edges.
    new_pairs: Vec<RfPair>,
}

/// A schedule as a recipe's walk tag writes it: `p` (positive) or `n`,
/// then the write's, the read's and the object's signatures in hex,
/// separated by `.`; constraints separated by `,`.
pub fn format_schedule(schedule: &[Constraint]) -> String {
    let one = |c: &Constraint| {
        format!("{}{:x}.{:x}.{:x}", if c.positive { 'p' } else { 'n' }, c.write, c.read, c.object)
    };
    schedule.iter().map(one).collect::<Vec<_>>().join(",")
}

/// Reads what [`format_schedule`] writes.
pub fn parse_schedule(text: &str) -> Result<Vec<Constraint>, String> {
    let bad = |part: &str| {
        format!("`{part}` is not a reads-from constraint (p|n WRITE.READ.OBJECT, hex)")
    };
    let hex = |h: &str| u64::from_str_radix(h, 16).ok().filter(|_| !h.is_empty() && h.len() <= 16);
    let mut out = Vec::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let positive = match part.as_bytes()[0] {
            b'p' => true,
            b'n' => false,
            _ => return Err(bad(part)),
        };
        let fields: Vec<&str> = part[1..].split('.').collect();
        let [w, r, o] = fields[..] else { return Err(bad(part)) };
        let (Some(write), Some(read), Some(object)) = (hex(w), hex(r), hex(o)) else {
            return Err(bad(part));
        };
        out.push(Constraint { write, read, positive, object });
    }
    if out.len() > MAX_CONSTRAINTS {
        return Err(format!("{} reads-from constraints, more than {MAX_CONSTRAINTS}", out.len()));
    }
    Ok(out)
}

/// The mutations of an abstract schedule.
#[derive(Copy, Clone)]
enum Mutation {
    /// Add a positive constraint keeping one of the edges the entry was
    /// the first to see.
    KeepNew,
    /// Add a positive constraint keeping an observed edge.
    Keep,
    /// Add a negative constraint forbidding an observed edge.
    Forbid,
    /// Add a positive constraint making an observed edge's read read
    /// another write seen on its object.
    OtherWrite,
    /// Drop a constraint.
    Drop,
    /// Negate a constraint.
    Flip,
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
    /// The signature of the step being run (when the schedule is not
    /// empty), for its reads-from decision.
    running: u64,
    /// The signature of the initial value of the object it names.
    running_initial: u64,
    corpus: Vec<Entry>,
    all: Vec<RfPair>,
    /// Per edge hash, how many executions saw it.
    seen: HashMap<u64, u64>,
    /// A forked timeline's walker ([`Rff::timeline`]): decides only at
    /// decision points, never learns.
    walker: bool,
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
            running: 0,
            running_initial: 0,
            corpus: Vec::new(),
            all: Vec::new(),
            seen: HashMap::new(),
            writes: HashMap::new(),
            walker: false,
        }
    }

    /// The walker of a forked timeline that split off an RFF execution:
    /// the rest of that execution under `schedule`, POS drawing from
    /// `seed`. It decides at decision points only (a point with one
    /// eligible thread changes nothing of its state), so that its
    /// decisions depend on its schedule, its seed and the execution so far
    /// alone, and a recipe replays them.
    pub fn timeline(seed: u64, schedule: Vec<Constraint>) -> Self {
        let mut rff = Rff::new(seed);
        rff.schedule = schedule;
        rff.walker = true;
        rff
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
        self.ran.contains(&write) || !is_step(write)
    }

    /// The bias the schedule asks for the pending event `sig`.
    fn bias(&self, sig: u64, object: u64) -> Bias {
        let mut boosted = false;
        for c in &self.schedule {
            if c.positive {
                if c.read == sig && !self.done(c.write) {
                    return Bias::Lowered;
                }
                // A read of the initial value: nothing else touches the
                // object before the read. (A read of a write that is a
                // step reads it or a later one: see the module doc.)
                if !is_step(c.write)
                    && object != 0
                    && object == c.object
                    && sig != c.read
                    && sig != c.write
                    && self.done(c.write)
                    && !self.ran.contains(&c.read)
                {
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
        // An observed edge: half the time one of any execution, so that
        // edges seen apart can be combined in one schedule.
        let observed = |rng: &mut Rng| {
            if rng.below(2) == 0 {
                self.all[rng.index(self.all.len())]
            } else {
                entry.pairs[rng.index(entry.pairs.len())]
            }
        };
        let constraint = |p: RfPair, write: u64, positive: bool| Constraint {
            write,
            read: p.read,
            positive,
            object: p.object,
        };
        for _ in 0..1 + rng.below(2) {
            let mut ops: SmallVec<[Mutation; 6]> = SmallVec::new();
            if !entry.new_pairs.is_empty() {
                ops.push(Mutation::KeepNew);
            }
            if !entry.pairs.is_empty() {
                ops.extend([Mutation::Keep, Mutation::Forbid, Mutation::OtherWrite]);
            }
            if !schedule.is_empty() {
                ops.extend([Mutation::Drop, Mutation::Flip]);
            }
            if ops.is_empty() {
                break;
            }
            let c = match ops[rng.index(ops.len())] {
                Mutation::KeepNew => {
                    let p = entry.new_pairs[rng.index(entry.new_pairs.len())];
                    constraint(p, p.write, true)
                }
                Mutation::Keep => {
                    let p = observed(rng);
                    constraint(p, p.write, true)
                }
                Mutation::Forbid => {
                    let p = observed(rng);
                    constraint(p, p.write, false)
                }
                Mutation::OtherWrite => {
                    let p = observed(rng);
                    let others: Vec<u64> = self
                        .writes
                        .get(&p.object)
                        .map(|w| w.iter().copied().filter(|&w| w != p.write).collect())
                        .unwrap_or_default();
                    if others.is_empty() {
                        constraint(p, p.write, false)
                    } else {
                        constraint(p, others[rng.index(others.len())], true)
                    }
                }
                Mutation::Drop => {
                    schedule.remove(rng.index(schedule.len()));
                    continue;
                }
                Mutation::Flip => {
                    let k = rng.index(schedule.len());
                    schedule[k].positive = !schedule[k].positive;
                    continue;
                }
            };
            schedule.retain(|o| o.read != c.read);
            if schedule.len() >= MAX_CONSTRAINTS {
                schedule.remove(rng.index(schedule.len()));
            }
            schedule.push(c);
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
        if self.walker && !point.is_decision() {
            self.running = 0;
            return Ok(point.eligible[0]);
        }
        if !self.schedule.is_empty() && point.is_decision() {
            let ex = point.execution();
            self.catch_up(ex);
            for &t in point.eligible {
                let Some(p) = point.pending(t) else { continue };
                let (sig, object) = self.tracker.pending_anonymous(ex, t, &p.op, p.location);
                let bias = self.bias(sig, object);
                self.scheduler.set_bias(t, bias);
            }
        }
        let picked = self.scheduler.pick(point);
        if !self.schedule.is_empty()
            && let Some(p) = point.pending(picked)
        {
            let ex = point.execution();
            self.catch_up(ex);
            self.running = self.tracker.pending_anonymous(ex, picked, &p.op, p.location).0;
            self.running_initial = self.tracker.initial_signature(ex, &p.op, picked);
        }
        Ok(picked)
    }

    fn pick_value(&mut self, point: &ValuePoint, _decision: usize) -> Result<u64, StrategyError> {
        Ok(uniform_value(self.scheduler.rng(), point))
    }

    /// A reads-from decision follows the constraints on the running read:
    /// a store its positive constraint names if one is an option, else
    /// any store but the ones its negative constraints name.
    fn pick_value_in(
        &mut self,
        ex: &Execution,
        point: &ValuePoint,
        decision: usize,
    ) -> Result<u64, StrategyError> {
        if point.kind != ValueKind::ReadsFrom
            || ex.read_sources().len() as u64 != point.options
            || !self.schedule.iter().any(|c| c.read == self.running)
        {
            return self.pick_value(point, decision);
        }
        self.catch_up(ex);
        let sources = ex.read_sources();
        let steps = self.tracker.anonymous_steps();
        let initial = self.running_initial;
        let write = |k: u64| match k {
            0 => initial,
            k => steps.get(k as usize - 1).copied().unwrap_or(0),
        };
        let pick = |options: &[u64], rng: &mut Rng| options[rng.index(options.len())];
        let mut wanted = Vec::new();
        let mut allowed: Vec<u64> = (0..sources.len() as u64).collect();
        for c in self.schedule.iter().filter(|c| c.read == self.running) {
            let matching =
                (0..sources.len() as u64).filter(|&i| write(sources[i as usize]) == c.write);
            if c.positive {
                wanted.extend(matching);
            } else {
                let forbidden: Vec<u64> = matching.collect();
                allowed.retain(|i| !forbidden.contains(i));
            }
        }
        let rng = self.scheduler.rng();
        Ok(if !wanted.is_empty() {
            pick(&wanted, rng)
        } else if !allowed.is_empty() && allowed.len() < sources.len() {
            pick(&allowed, rng)
        } else {
            uniform_value(rng, point)
        })
    }

    fn timeline_walk(&self) -> Option<String> {
        if self.schedule.is_empty() {
            return Some("pos".to_string());
        }
        Some(format!("rff={}", format_schedule(&self.schedule)))
    }

    fn end_execution(&mut self, execution: &Execution) -> Result<(), StrategyError> {
        if self.walker {
            return Ok(());
        }
        self.catch_up(execution);
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
                self.all.push(p);
                new.push((h, p));
                let writes = self.writes.entry(p.object).or_default();
                if !writes.contains(&p.write) {
                    writes.push(p.write);
                }
            }
            *count += 1;
        }
        if !new.is_empty() {
            let new_pairs = new.iter().map(|&(_, p)| p).collect();
            let new = new.into_iter().map(|(h, _)| h).collect();
            self.corpus.push(Entry { schedule: self.schedule.clone(), pairs, new, new_pairs });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_round_trips_through_its_walk_tag() {
        let schedule = vec![
            Constraint { write: 0x1b6, read: u64::MAX, positive: true, object: 7 },
            Constraint { write: 0, read: 0xabc, positive: false, object: 0x21 },
        ];
        let text = format_schedule(&schedule);
        assert_eq!(text, "p1b6.ffffffffffffffff.7,n0.abc.21");
        assert!(crate::multiverse::is_walk_tag(&format!("rff={text}")));
        assert_eq!(parse_schedule(&text).unwrap(), schedule);
        assert_eq!(parse_schedule("").unwrap(), Vec::new());
        for bad in ["x1.2.3", "p1.2", "p1.2.3.4", "pg.2.3", "p.2.3", "p11111111111111111.2.3"] {
            let e = parse_schedule(bad).unwrap_err();
            assert!(e.contains("not a reads-from constraint"), "{bad}: {e}");
        }
        let five = ["p1.2.3"; 5].join(",");
        assert!(parse_schedule(&five).unwrap_err().contains("more than 4"));
    }
}
