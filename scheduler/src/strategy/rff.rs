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
//!    found in 400 executions). A wanted write also waits until its read
//!    is some thread's pending event, then goes first, so that it is the
//!    write the read finds rather than one long overwritten.
//!    Names without threads have one cost: a constraint meant for one
//!    thread's read binds every thread that runs the same instruction,
//!    including the thread whose own later write the read is told to wait
//!    for. So RFF remembers which threads ran each step, and a thread never
//!    waits for a step that only it was ever seen to run: its read is not
//!    held back for its own write, its write not for its own read.
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
//! 6. One mutation per execution ([`MUTATIONS`]): keep or forbid an
//!    observed edge, make an observed edge's read read another write seen
//!    on its object, drop a constraint, or negate one; forbidding and
//!    reading another write are drawn twice as often as the others. An
//!    observed edge is half the time one of the entry's execution, half
//!    the time one of any execution, so that edges first seen apart meet
//!    in one schedule. Three times in four it is drawn with weight the
//!    cube of how contested its read is ([`Rff::contested`]: the writes it
//!    was seen to read, plus one if another thread was seen to write its
//!    object in a way it never read). It is never one of a *private*
//!    read, of an object only the reader's own thread writes, which no
//!    schedule can change. At most
//!    [`MAX_CONSTRAINTS`] constraints; a new constraint on a read replaces
//!    the old one on that read.
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
//! - The mutation is drawn on an edge by how contested its read is, never
//!   on a private read, and a thread never waits for a step only it runs:
//!   these weights and rules are ours, not the paper's; both repair what
//!   naming events without threads costs (see 2 and 6 above).
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
//! What took it below the paper's 3.37 (400 seeds, each step on top of
//! the one before; the mean was 4.61 with 400 seeds before them): a thread
//! not waiting for a step only it runs, on positive reads 4.50 (the
//! constraint "the first `compare_exchange` of a pop reads the push's" no
//! longer stalls the thread that pushes: `treiber_aba` 19 to 16.5) and on
//! the other holds 3.80 (with the next two); drawing edges by how
//! contested their read is, squared, 3.98 (`treiber_aba` 8: the constraints
//! that find it are all on the pop's contested first `compare_exchange`);
//! one mutation per execution instead of one or two, 3.85; no
//! mutation keeping an entry's new edge (the entry's schedule already
//! produced it) and forbidding or reading another write twice as likely as
//! the rest, 3.43 (`reorder` 3 to 2 at every size); leaving out private
//! reads, 3.38 (`spsc_relaxed` 6 to 5: "the consumer's load of its own
//! `head` must not read its initial value" had been drawn in 627
//! executions over 400 seeds); counting a rival write never read, 3.33
//! (`wronglock` 6 to 5: the A thread's re-read had only ever read its own
//! store); the cube, and a wanted write waiting for its read to be
//! pending, 3.29 (1,000 seeds). Then a check against five programs
//! written after all this (`sampling --held-out`) found the new design
//! worse there than the old (4.09 against 3.95, 400 seeds): the lost
//! update of three threads, 5 schedules before and 11 after, is found by
//! forbidding the only source of the main thread's uncontested final
//! read, which the contestedness weight had made rare. One draw in four
//! ignoring contestedness ([`UNIFORM_IN`]) gives 3.30 on the table (400
//! seeds; 3.33 with 1,000) and 3.73 on the held-out programs: the best of
//! the mixes tried (none, one in four, one in two) over all 17 programs.
//! Measured with them and rejected: weighting
//! kept edges by rarity and forbidden ones by frequency (4.77), the
//! initial value or every write seen (read or not) as another write to
//! read, a read waiting for its write to be the object's last, corpus
//! entries without the constraints their execution did not satisfy, and
//! weighting entries by the contestedness of their new edges (all within
//! 1%); two or three plain POS executions before the first mutant (4.63,
//! 5.35); the contestedness of the object instead of the read (4.27).
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
/// The mutations and their weights: changing what an execution did (forbid
/// an edge, read another write) is drawn twice as often as keeping an edge
/// or editing the schedule.
const MUTATIONS: [Mutation; 7] = [
    Mutation::Keep,
    Mutation::Forbid,
    Mutation::Forbid,
    Mutation::OtherWrite,
    Mutation::OtherWrite,
    Mutation::Drop,
    Mutation::Flip,
];
/// The exponent of a read's contestedness in the draw of the observed edge
/// a mutation works on (see [`Rff::contested`]).
const CONTEST_POWER: u32 = 3;
/// One edge draw in this many ignores contestedness: forbidding the only
/// source of an uncontested read holds back every writer of its object,
/// which is how the lost updates of `held_lost_update` (benches) are found.
const UNIFORM_IN: u64 = 4;
/// Draws before the edge draw takes what it has.
const DRAWS: usize = 16;
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
    /// Per object signature, every write seen on it, read or not.
    written: HashMap<u64, Vec<u64>>,
    /// Per read, the writes it was seen to read.
    sources: HashMap<u64, SmallVec<[u64; 4]>>,
    /// Per step signature (without thread), the signatures of the threads
    /// seen to run it.
    threads: HashMap<u64, SmallVec<[u64; 2]>>,
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
            written: HashMap::new(),
            sources: HashMap::new(),
            threads: HashMap::new(),
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

    /// The one thread seen to run the step `sig`, if every execution that
    /// ran it ran it in the same thread.
    fn sole_thread(&self, sig: u64) -> Option<u64> {
        self.threads.get(&sig).filter(|t| t.len() == 1).map(|t| t[0])
    }

    /// Is `thread` the only thread seen to run `sig`? Then `thread` waiting
    /// for `sig` waits for its own future, which holds nothing back but
    /// itself.
    fn own(&self, sig: u64, thread: u64) -> bool {
        self.sole_thread(sig) == Some(thread)
    }

    /// The bias the schedule asks for the pending event `sig` of the thread
    /// whose signature is `thread`; `pending` holds the signatures of every
    /// eligible thread's pending event.
    fn bias(&self, sig: u64, object: u64, thread: u64, pending: &[u64]) -> Bias {
        let mut boosted = false;
        for c in &self.schedule {
            if c.positive {
                if c.read == sig && !self.done(c.write) {
                    if self.own(c.write, thread) {
                        continue;
                    }
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
                    && !self.own(c.read, thread)
                {
                    return Bias::Lowered;
                }
                if c.write == sig && !self.ran.contains(&c.read) {
                    // The write waits for its read to be next in its thread,
                    // then goes first.
                    if !pending.contains(&c.read) && !self.own(c.read, thread) {
                        return Bias::Lowered;
                    }
                    boosted = true;
                }
            } else if c.write == sig && !self.ran.contains(&c.read) {
                if self.own(c.read, thread) {
                    continue;
                }
                return Bias::Lowered;
            } else if c.read == sig && self.done(c.write) {
                // Too late to hold the write back (it ran, or it is an
                // initial value, never a step): the read waits instead.
                return Bias::Lowered;
            }
        }
        if boosted { Bias::Boosted } else { Bias::Normal }
    }

    /// How contested the read of `p` is: how many writes it was seen to
    /// read, plus one if a write on its object by another thread was seen
    /// that it never read.
    fn contested(&self, p: &RfPair) -> u64 {
        let sources = self.sources.get(&p.read);
        let reader = self.sole_thread(p.read);
        let seen = sources.map_or(1, |s| s.len() as u64);
        let unread = self.written.get(&p.object).is_some_and(|ws| {
            ws.iter().any(|w| {
                !sources.is_some_and(|s| s.contains(w))
                    && self
                        .threads
                        .get(w)
                        .is_none_or(|t| reader.is_none_or(|r| t.iter().any(|&x| x != r)))
            })
        });
        seen + u64::from(unread)
    }

    /// Is the read of `p` one of an object only its own thread writes (and
    /// only one thread reads)? No schedule changes what it reads.
    fn private(&self, p: &RfPair) -> bool {
        let Some(reader) = self.sole_thread(p.read) else { return false };
        self.written.get(&p.object).is_none_or(|ws| ws.iter().all(|w| self.own(*w, reader)))
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

    /// A mutant of entry `i`'s schedule: one mutation.
    fn mutate(&self, i: usize, rng: &mut Rng) -> Vec<Constraint> {
        let entry = &self.corpus[i];
        let mut schedule = entry.schedule.clone();
        // An edge of a read that is not private: half the time one of any
        // execution, so that edges seen apart can be combined in one
        // schedule, half the time one of the entry's.
        let draw = |rng: &mut Rng| {
            let mut p = self.all[0];
            for _ in 0..DRAWS {
                p = if rng.below(2) == 0 {
                    self.all[rng.index(self.all.len())]
                } else {
                    entry.pairs[rng.index(entry.pairs.len())]
                };
                if !self.private(&p) {
                    break;
                }
            }
            p
        };
        // An observed edge: one time in `UNIFORM_IN` as drawn, else drawn
        // with weight the cube of its read's contestedness.
        let most = self.all.iter().map(|p| self.contested(p)).max().unwrap_or(1);
        let observed = |rng: &mut Rng| {
            let mut p = draw(rng);
            if rng.below(UNIFORM_IN) == 0 {
                return p;
            }
            for _ in 0..DRAWS {
                if rng.below(most.pow(CONTEST_POWER)) < self.contested(&p).pow(CONTEST_POWER) {
                    break;
                }
                p = draw(rng);
            }
            p
        };
        let constraint = |p: RfPair, write: u64, positive: bool| Constraint {
            write,
            read: p.read,
            positive,
            object: p.object,
        };
        let ops: SmallVec<[Mutation; 7]> = MUTATIONS
            .iter()
            .copied()
            .filter(|m| match m {
                Mutation::Keep | Mutation::Forbid | Mutation::OtherWrite => !entry.pairs.is_empty(),
                Mutation::Drop | Mutation::Flip => !schedule.is_empty(),
            })
            .collect();
        if ops.is_empty() {
            return schedule;
        }
        let c = match ops[rng.index(ops.len())] {
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
                return schedule;
            }
            Mutation::Flip => {
                let k = rng.index(schedule.len());
                schedule[k].positive = !schedule[k].positive;
                return schedule;
            }
        };
        schedule.retain(|o| o.read != c.read);
        if schedule.len() >= MAX_CONSTRAINTS {
            schedule.remove(rng.index(schedule.len()));
        }
        schedule.push(c);
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
            let mut pending: SmallVec<[(ThreadId, u64, u64); 8]> = SmallVec::new();
            for &t in point.eligible {
                let Some(p) = point.pending(t) else { continue };
                let (sig, object) = self.tracker.pending_anonymous(ex, t, &p.op, p.location);
                pending.push((t, sig, object));
            }
            let sigs: SmallVec<[u64; 8]> = pending.iter().map(|&(_, sig, _)| sig).collect();
            for &(t, sig, object) in &pending {
                let thread = self.tracker.thread_signature(t);
                let bias = self.bias(sig, object, thread, &sigs);
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
        let steps = self.tracker.anonymous_steps();
        for (&sig, &thread) in steps.iter().zip(self.tracker.step_threads()) {
            let threads = self.threads.entry(sig).or_default();
            if !threads.contains(&thread) {
                threads.push(thread);
            }
        }
        for &(write, object, _) in self.tracker.anonymous_writes() {
            let written = self.written.entry(object).or_default();
            if !written.contains(&write) {
                written.push(write);
            }
        }
        let mut distinct = HashSet::new();
        let mut pairs = Vec::new();
        let mut new = Vec::new();
        for &p in &self.pairs {
            if !distinct.insert((p.write, p.read)) {
                continue;
            }
            pairs.push(p);
            let sources = self.sources.entry(p.read).or_default();
            if !sources.contains(&p.write) {
                sources.push(p.write);
            }
            let h = edge_hash(p.write, p.read);
            let count = self.seen.entry(h).or_insert(0);
            if *count == 0 {
                self.all.push(p);
                new.push(h);
                let writes = self.writes.entry(p.object).or_default();
                if !writes.contains(&p.write) {
                    writes.push(p.write);
                }
            }
            *count += 1;
        }
        if !new.is_empty() {
            self.corpus.push(Entry { schedule: self.schedule.clone(), pairs, new });
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

    /// Threads `T1` and `T2` by signature, a write and a read (steps: even
    /// signatures) on object `O`.
    const T1: u64 = 0x111;
    const T2: u64 = 0x222;
    const W: u64 = 0x10;
    const R: u64 = 0x20;
    const O: u64 = 0x31;

    fn with(schedule: Vec<Constraint>) -> Rff {
        let mut rff = Rff::new(1);
        rff.schedule = schedule;
        rff
    }

    #[test]
    fn a_read_waits_for_its_write_unless_only_its_own_thread_runs_it() {
        let mut rff = with(vec![Constraint { write: W, read: R, positive: true, object: O }]);
        // Nothing known of the write's thread: every thread's read waits.
        assert_eq!(rff.bias(R, O, T1, &[R]), Bias::Lowered);
        rff.threads.insert(W, [T1].into_iter().collect());
        assert_eq!(rff.bias(R, O, T1, &[R]), Bias::Normal, "T1 would wait for itself");
        assert_eq!(rff.bias(R, O, T2, &[R]), Bias::Lowered);
        // Once the write ran, the read is free.
        rff.ran.insert(W);
        assert_eq!(rff.bias(R, O, T2, &[R]), Bias::Normal);
    }

    #[test]
    fn a_wanted_write_waits_for_its_read_to_be_pending_then_goes_first() {
        let mut rff = with(vec![Constraint { write: W, read: R, positive: true, object: O }]);
        assert_eq!(rff.bias(W, O, T2, &[W]), Bias::Lowered);
        assert_eq!(rff.bias(W, O, T2, &[W, R]), Bias::Boosted);
        // A read only the writer's thread runs comes after it: no wait.
        rff.threads.insert(R, [T2].into_iter().collect());
        assert_eq!(rff.bias(W, O, T2, &[W]), Bias::Boosted);
        rff.ran.insert(R);
        assert_eq!(rff.bias(W, O, T2, &[W]), Bias::Normal);
    }

    #[test]
    fn a_forbidden_write_waits_unless_its_read_is_its_own_threads() {
        let mut rff = with(vec![Constraint { write: W, read: R, positive: false, object: O }]);
        assert_eq!(rff.bias(W, O, T1, &[W]), Bias::Lowered);
        rff.threads.insert(R, [T1].into_iter().collect());
        assert_eq!(rff.bias(W, O, T1, &[W]), Bias::Normal);
        assert_eq!(rff.bias(W, O, T2, &[W]), Bias::Lowered);
    }

    #[test]
    fn reads_of_objects_only_their_thread_writes_are_private_and_rivals_count() {
        let mut rff = Rff::new(1);
        let w2 = 0x40;
        let pair =
            RfPair { write: W, read: R, object: O, anon_write: W, anon_read: R, steerable: true };
        rff.threads.insert(R, [T1].into_iter().collect());
        rff.threads.insert(W, [T1].into_iter().collect());
        rff.written.insert(O, vec![W]);
        rff.sources.insert(R, [W].into_iter().collect());
        assert!(rff.private(&pair));
        assert_eq!(rff.contested(&pair), 1);
        // Another thread writes the object, and the read never read it.
        rff.threads.insert(w2, [T2].into_iter().collect());
        rff.written.get_mut(&O).unwrap().push(w2);
        assert!(!rff.private(&pair));
        assert_eq!(rff.contested(&pair), 2);
        // Once read, it counts as a source instead.
        rff.sources.get_mut(&R).unwrap().push(w2);
        assert_eq!(rff.contested(&pair), 2);
        // A read run by two threads is never private.
        rff.threads.get_mut(&R).unwrap().push(T2);
        rff.written.insert(O, vec![W]);
        assert!(!rff.private(&pair));
    }
}
