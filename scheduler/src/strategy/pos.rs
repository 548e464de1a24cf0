//! Partial order sampling (POS).
//!
//! Yuan, Yang, Gu. *Partial Order Aware Concurrency Sampling.* CAV 2018.
//!
//! The claim: a random walk over interleavings samples partial orders very
//! unevenly (an order that needs one thread to take `k` independent steps
//! before another takes one is hit with probability `2^-k`), while giving
//! every pending *event* an independent random priority, always running
//! the enabled event of highest priority, and, after each event, drawing
//! a fresh priority for every pending event that races with it, samples
//! every partial order with a probability that does not shrink
//! exponentially with the independent steps around it (the `2^-k` above
//! becomes `1/(k+2)`). The reset is what makes it partial-order aware: the
//! events a step raced with are re-drawn, so that which of two racing
//! events goes first is decided afresh, not by a priority that already
//! lost to (or beat) something unrelated.
//!
//! How it runs here, and where it differs from the paper:
//! 1. An event is a step: the pending operation of a thread
//!    ([`SchedulePoint::pending`]). When a thread's step runs, its next
//!    step is a new event with a new priority, drawn when it is first
//!    compared. Steps where only one thread may run count too (their
//!    races reset priorities like any other step's).
//! 2. Racing is the engine's one definition of dependence:
//!    [`dependence::accesses`] of both pending operations (not yet run, so
//!    a load may read any store) and [`dependence::dependent`] with the
//!    step that ran first. Spawn, join, yield and `nondet` choices touch
//!    nothing shared and so race with nothing.
//! 3. The reset covers every pending event, also the one of a thread that
//!    may not run now (blocked on a lock, a join, a condvar): a blocked
//!    thread keeps its priority while blocked, unless a racing step (the
//!    unlock that frees it, say) re-draws it. The paper resets the enabled
//!    events only.
//! 4. A new thread's first event gets a priority like every event, when it
//!    is first compared: independent uniform 64-bit keys, ties (improbable)
//!    to the lower thread id.
//! 5. A thread that yielded may not run while a thread enabled at its
//!    yield has not stepped (the engine's fair scheduler); the paper
//!    assumes no spinning. A spin loop without a yield is broken anyway:
//!    each of its loads is a new event with a new priority.
//! 6. Data decisions (which store a load reads, which waiter wakes,
//!    `nondet::choose`, `checker::rand` values) are uniform, as in the
//!    random walk; the paper has none.
//!
//! Each execution draws from its own xoshiro256** stream, seeded from the
//! run's seed and the execution's index: the same seed gives the same
//! executions. POS samples; it never says the model is verified.
//!
//! The priority scheduler is its own type, [`PriorityScheduler`], for the
//! reads-from fuzzer to reuse: it realises its constraints ("this read
//! should (not) read from that write") by [`PriorityScheduler::boost`]ing
//! or [`PriorityScheduler::lower`]ing a thread's pending event above or
//! below every random priority, and otherwise schedules as POS does.

use super::random::uniform_value;
use super::{Coverage, SchedulePoint, Strategy, StrategyError};
use crate::dependence;
use crate::execution::{Execution, ValuePoint};
use crate::ids::ThreadId;
use crate::op::Op;
use crate::rng::{self, Rng};

/// Tells POS's streams apart from other uses of the seed.
const STREAM: u64 = 0x0070_6f73; // "pos"

/// Where a pending event stands before its random priority is compared:
/// every boosted event runs before every normal one, every normal one
/// before every lowered one (when they may run).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bias {
    /// Below every other event: runs only when nothing else may.
    Lowered,
    /// Ordered by its random priority alone.
    #[default]
    Normal,
    /// Above every other event.
    Boosted,
}

/// The priority of one thread's pending event.
#[derive(Copy, Clone, Debug, Default)]
struct Slot {
    /// Its random priority; `None` until first compared, or after a reset.
    priority: Option<u64>,
    /// Its bias; kept across resets, cleared when the event runs.
    bias: Bias,
}

/// POS's scheduler: a random priority per pending event, the highest
/// enabled one runs, and the events racing with the one that ran get fresh
/// priorities.
///
/// For the reads-from fuzzer (RFF), which drives it with its constraints:
/// [`PriorityScheduler::pick`] is one POS step ([`PriorityScheduler::highest`]
/// then [`PriorityScheduler::ran`]); before it, a caller may
/// [`PriorityScheduler::boost`] or [`PriorityScheduler::lower`] a thread's
/// pending event (say, a read that must wait for the write it should read
/// from), which lasts until that event runs. The `_of`/`_op` forms take
/// the eligible threads and operations directly, for callers (and tests)
/// without a [`SchedulePoint`]. Priorities are drawn lazily from the
/// scheduler's stream, so a run is a function of the seed and of the calls
/// made.
pub struct PriorityScheduler {
    rng: Rng,
    /// Per thread (by index), its pending event's priority.
    slots: Vec<Slot>,
}

impl PriorityScheduler {
    /// A scheduler for one execution, drawing from `rng`.
    pub fn new(rng: Rng) -> Self {
        PriorityScheduler { rng, slots: Vec::new() }
    }

    /// Starts a new execution drawing from `rng`: every priority and bias
    /// is forgotten.
    pub fn restart(&mut self, rng: Rng) {
        self.rng = rng;
        self.slots.clear();
    }

    /// The stream priorities are drawn from: data decisions of the same
    /// execution draw from it too.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    fn slot(&mut self, thread: ThreadId) -> &mut Slot {
        let i = thread.index();
        if self.slots.len() <= i {
            self.slots.resize(i + 1, Slot::default());
        }
        &mut self.slots[i]
    }

    /// The priority of `thread`'s pending event (drawn now if it has
    /// none): its bias, then its random key.
    pub fn priority(&mut self, thread: ThreadId) -> (Bias, u64) {
        let i = thread.index();
        if self.slots.len() <= i {
            self.slots.resize(i + 1, Slot::default());
        }
        let rng = &mut self.rng;
        let slot = &mut self.slots[i];
        (slot.bias, *slot.priority.get_or_insert_with(|| rng.next_u64()))
    }

    /// The eligible thread whose pending event has the highest priority
    /// (ties to the lower id). Changes nothing but lazily drawn priorities.
    pub fn highest(&mut self, point: &SchedulePoint<'_>) -> ThreadId {
        self.highest_of(point.eligible)
    }

    /// [`PriorityScheduler::highest`] among `eligible` (not empty).
    pub fn highest_of(&mut self, eligible: &[ThreadId]) -> ThreadId {
        let mut best = eligible[0];
        let mut best_priority = self.priority(best);
        for &t in &eligible[1..] {
            let p = self.priority(t);
            if p > best_priority || (p == best_priority && t < best) {
                (best, best_priority) = (t, p);
            }
        }
        best
    }

    /// `thread`'s pending event (at `point`) runs: its next event starts
    /// afresh (no priority, no bias), and every other thread's pending
    /// event that races with it gets a fresh priority (its bias is kept).
    pub fn ran(&mut self, point: &SchedulePoint<'_>, thread: ThreadId) {
        let op = point.pending(thread).map(|p| &p.op);
        self.ran_op(thread, op, |t| point.pending(t).map(|p| &p.op));
    }

    /// [`PriorityScheduler::ran`] with the operations spelled out: `thread`
    /// ran `op` (`None`: one that races with nothing), and `pending` gives
    /// every thread's pending operation.
    pub fn ran_op<'p>(
        &mut self,
        thread: ThreadId,
        op: Option<&Op>,
        pending: impl Fn(ThreadId) -> Option<&'p Op>,
    ) {
        *self.slot(thread) = Slot::default();
        if let Some(op) = op {
            self.reset_racing(thread, op, pending);
        }
    }

    /// Forgets the random priority of every pending event of another
    /// thread (`pending` gives its operation) that races with `thread`
    /// running `op`: is dependent with it, run after it. The paper's
    /// partial-order aware reset; [`PriorityScheduler::ran`] calls it.
    pub fn reset_racing<'p>(
        &mut self,
        thread: ThreadId,
        op: &Op,
        pending: impl Fn(ThreadId) -> Option<&'p Op>,
    ) {
        let ran = dependence::accesses(thread, op, None);
        if ran.is_empty() {
            return;
        }
        // A thread without a priority has none to forget.
        for i in 0..self.slots.len() {
            let other = ThreadId(i as u32);
            if other == thread || self.slots[i].priority.is_none() {
                continue;
            }
            let Some(theirs) = pending(other) else { continue };
            let theirs = dependence::accesses(other, theirs, None);
            if ran.iter().any(|a| theirs.iter().any(|b| dependence::dependent(a, b))) {
                self.slots[i].priority = None;
            }
        }
    }

    /// Puts `thread`'s pending event above every unboosted event, until it
    /// runs (among boosted events, their random priorities decide).
    pub fn boost(&mut self, thread: ThreadId) {
        self.slot(thread).bias = Bias::Boosted;
    }

    /// Puts `thread`'s pending event below every unlowered event, until it
    /// runs: it runs only when no other thread may.
    pub fn lower(&mut self, thread: ThreadId) {
        self.slot(thread).bias = Bias::Lowered;
    }

    /// Sets `thread`'s pending event's bias outright (the reads-from
    /// fuzzer re-decides it at every step), until it runs or is set again.
    pub fn set_bias(&mut self, thread: ThreadId, bias: Bias) {
        self.slot(thread).bias = bias;
    }

    /// One POS step: the highest-priority eligible thread, then the
    /// priority updates of its event running.
    pub fn pick(&mut self, point: &SchedulePoint<'_>) -> ThreadId {
        let best = self.highest(point);
        self.ran(point, best);
        best
    }
}

/// The POS strategy.
pub struct Pos {
    seed: u64,
    executions: u64,
    scheduler: PriorityScheduler,
    /// A forked timeline's walker ([`Pos::timeline`]).
    walker: bool,
}

impl Pos {
    /// POS whose executions are drawn from `seed`.
    pub fn new(seed: u64) -> Self {
        Pos {
            seed,
            executions: 0,
            scheduler: PriorityScheduler::new(Rng::new(seed)),
            walker: false,
        }
    }

    /// The walker of a forked timeline: the rest of one execution, fresh
    /// priorities drawn from `seed`. It decides at decision points only (a
    /// point with one eligible thread changes nothing of its state), so
    /// that its decisions depend on its seed and the execution so far
    /// alone, and a recipe replays them.
    pub fn timeline(seed: u64) -> Self {
        Pos { walker: true, ..Pos::new(seed) }
    }
}

impl Strategy for Pos {
    fn next_execution(&mut self) -> bool {
        let stream = rng::derive(self.seed, &[STREAM, self.executions]);
        self.scheduler.restart(Rng::new(stream));
        self.executions += 1;
        true
    }

    fn pick_thread(&mut self, point: &SchedulePoint<'_>) -> Result<ThreadId, StrategyError> {
        if self.walker && !point.is_decision() {
            return Ok(point.eligible[0]);
        }
        Ok(self.scheduler.pick(point))
    }

    fn timeline_walk(&self) -> Option<String> {
        Some("pos".to_string())
    }

    fn pick_value(&mut self, point: &ValuePoint, _decision: usize) -> Result<u64, StrategyError> {
        Ok(uniform_value(self.scheduler.rng(), point))
    }

    fn end_execution(&mut self, _execution: &Execution) -> Result<(), StrategyError> {
        Ok(())
    }

    /// Never asked: POS always has another execution.
    fn coverage(&self) -> Coverage {
        Coverage::Pruned(0)
    }

    fn name(&self) -> &'static str {
        "pos"
    }

    fn samples(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ObjectId;
    use crate::op::MemoryOrdering;

    const T0: ThreadId = ThreadId(0);
    const T1: ThreadId = ThreadId(1);
    const T2: ThreadId = ThreadId(2);

    /// t0 stores to x, t1 loads x, t2 stores to y.
    fn ops() -> [Op; 3] {
        let (x, y, ordering) = (ObjectId(0), ObjectId(1), MemoryOrdering::Relaxed);
        [
            Op::Store { object: x, ordering, value: 1 },
            Op::Load { object: x, ordering },
            Op::Store { object: y, ordering, value: 1 },
        ]
    }

    #[test]
    fn running_a_step_redraws_its_thread_and_its_races_only() {
        let ops = ops();
        let mut s = PriorityScheduler::new(Rng::new(7));
        let before: Vec<_> = [T0, T1, T2].map(|t| s.priority(t)).to_vec();
        s.ran_op(T0, Some(&ops[0]), |t| ops.get(t.index()));
        let after: Vec<_> = [T0, T1, T2].map(|t| s.priority(t)).to_vec();
        assert_ne!(before[0], after[0], "the thread that ran has a new event");
        assert_ne!(before[1], after[1], "the load of x races with the store to x");
        assert_eq!(before[2], after[2], "the store to y does not");
        // A step that touches nothing shared resets nothing but itself.
        let before = [T1, T2].map(|t| s.priority(t));
        s.ran_op(T0, Some(&Op::Yield), |t| ops.get(t.index()));
        assert_eq!(before, [T1, T2].map(|t| s.priority(t)));
    }

    #[test]
    fn boosted_and_lowered_events_keep_their_bias_until_they_run() {
        let ops = ops();
        let all = [T0, T1, T2];
        for seed in 0..20 {
            let mut s = PriorityScheduler::new(Rng::new(seed));
            let lowest = all.into_iter().min_by_key(|&t| s.priority(t)).unwrap();
            s.boost(lowest);
            assert_eq!(s.highest_of(&all), lowest, "a boosted event beats every other");
            let top = s.highest_of(&all);
            s.lower(top);
            assert_ne!(s.highest_of(&all), top, "a lowered event loses to every other");
            assert_eq!(s.highest_of(&[top]), top, "but runs when nothing else may");
            // A race re-draws the random part only.
            s.boost(T1);
            s.ran_op(T0, Some(&ops[0]), |t| ops.get(t.index()));
            assert_eq!(s.priority(T1).0, Bias::Boosted);
            // Running clears it.
            s.ran_op(T1, Some(&ops[1]), |t| ops.get(t.index()));
            assert_eq!(s.priority(T1).0, Bias::Normal);
        }
    }

    #[test]
    fn restart_forgets_everything() {
        let mut s = PriorityScheduler::new(Rng::new(1));
        s.boost(T2);
        let first = [T0, T1, T2].map(|t| s.priority(t).1);
        s.restart(Rng::new(1));
        assert_eq!(s.priority(T2).0, Bias::Normal);
        s.restart(Rng::new(1));
        assert_eq!([T0, T1, T2].map(|t| s.priority(t).1), first, "same stream, same draws");
    }
}
