//! Source-set dynamic partial-order reduction with sleep sets, optionally
//! bounded by preemptions.
//!
//! Abdulla, Aronis, Jonsson, Sagonas. *Optimal Dynamic Partial Order
//! Reduction.* POPL 2014 (source sets, sleep sets: Algorithm 1, "source-DPOR").
//! Flanagan, Godefroid. *Dynamic Partial-Order Reduction for Model Checking
//! Software.* POPL 2005 (races found on a complete execution, backtracking).
//! Coons, Musuvathi, McKinley. *Bounded Partial-Order Reduction.* OOPSLA
//! 2013 (conservative backtracking points under a preemption bound).
//!
//! The crux: two executions that differ only in the order of independent
//! steps reach the same states and observe the same values, so it is enough
//! to explore one execution per such class; reversing every race of every
//! explored execution (a pair of dependent steps of different threads with
//! no other step ordered between them) reaches every class, and a sleep set
//! keeps a step that was already explored from a state from being explored
//! again after steps it commutes with.
//!
//! How it runs: each execution is a stack of [`Node`]s, one per step, with
//! the threads that may run there, the thread chosen, the threads still to
//! try (`backtrack`), those tried (`done`) and those asleep. When an
//! execution ends, [`Analysis`] computes vector clocks over it (happens-before
//! made of program order, the causal edges of spawn, join and condvar
//! wake-ups, and dependence as defined in [`crate::dependence`]) and, for every
//! step new in this execution, its races with earlier steps. For each race
//! `(e, e')` it forms `v`, the steps after `e` that do not happen after `e`,
//! followed by `e'`, and adds one of `v`'s initial threads to the backtrack
//! set of the state before `e`, unless one is there already. The next
//! execution backtracks to the deepest state with a thread left to try.
//!
//! Deviations from the paper, and why:
//! 1. Blocking operations. A race whose reversal cannot run is skipped: one
//!    of `v`'s initial threads is not eligible before `e`, or `e'` blocks and
//!    `e` does not leave its target free (a lock can take the place of an
//!    acquisition of the mutex, not of the release it waited for; a park, of
//!    an unpark only if the token was already there). For a blocking step (a
//!    lock, a wake-up's relock, a park) the search then goes on past that
//!    partner to earlier ones: a lock races with the previous lock of the
//!    mutex.
//! 2. Sleep-set blocked executions (every thread that may run is asleep) are
//!    run to their end, not cut: cutting would abandon model threads
//!    mid-stack and leak what they hold. Their steps up to the blocking point
//!    are analysed like any others (their races count); the rest is not, and
//!    the execution is counted as wasted work (`redundant`). Wakeup trees,
//!    which avoid them, are not implemented yet.
//! 3. Yields. A thread that yielded is not eligible while another is, so a
//!    race whose reversal needs it to run there is skipped, as for a blocked
//!    thread. The search explores the same fair schedules as exhaustive DFS.
//! 4. Data decisions (which waiter `notify_one` wakes) are explored
//!    exhaustively at every step that makes one.
//! 5. Under a preemption bound, a backtrack point that would exceed the bound
//!    is not added, and every race also adds its thread at the start of the
//!    racing step's block (where a switch costs no preemption), after Coons
//!    et al.
//! 6. Under a preemption bound, every initial thread of `v` is added, not one:
//!    the execution one initial leads to may need preemptions that the
//!    reversal itself does not (found by the differential test: at bound 0,
//!    running the other initial first forced a whole block before the race).
//! 7. Under a preemption bound, sleep sets are off. A sleep set skips a step
//!    because an equivalent execution ran it earlier; under a bound, that
//!    execution may need more preemptions than the one skipped, and so was
//!    never run. The differential test found exactly this (thread 2 asleep
//!    after thread 3 ran, while `t2; t3; t2` needed a preemption at bound 0).

use smallvec::SmallVec;

use super::{Coverage, SchedulePoint, Strategy, StrategyError, StrategyErrorKind};
use crate::dependence::{self, Access, AccessKind, Target};
use crate::execution::{Execution, ValuePoint};
use crate::ids::ThreadId;
use crate::op::{Op, Reply};
use crate::trace::EventKind;
use crate::vclock::{ThreadSet, VClock};

/// The state before one step of the current execution.
#[derive(Clone, Debug)]
struct Node {
    /// The threads that may run here, in preference order.
    eligible: SmallVec<[ThreadId; 8]>,
    /// The thread that may go on without a preemption.
    continuing: Option<ThreadId>,
    /// Preemptions before this state.
    preemptions: usize,
    /// The thread this execution runs here.
    chosen: ThreadId,
    /// Threads to run from here, explored or not. Invariant: contains
    /// `chosen` and every thread of `done`.
    backtrack: ThreadSet,
    /// Threads whose exploration from here is complete.
    done: ThreadSet,
    /// Threads whose next step, explored from an earlier state, commutes
    /// with every step since: running them here is redundant.
    sleep: ThreadSet,
}

/// A data decision taken during a step.
#[derive(Clone, Debug)]
struct ValueNode {
    step: usize,
    options: u64,
    /// Invariant: `chosen < options`.
    chosen: u64,
}

/// Source-set DPOR with sleep sets.
pub struct Dpor {
    bound: Option<usize>,
    nodes: Vec<Node>,
    values: Vec<ValueNode>,
    /// Steps taken in the current execution.
    step: usize,
    /// Data decisions taken in the current execution.
    value_at: usize,
    /// The first step of the current execution that differs from the
    /// previous one: races of earlier steps are known.
    first_new: usize,
    /// The current execution became sleep-set blocked at this step: it is
    /// finished without new nodes, and only the steps before it are analysed.
    blocked_at: Option<usize>,
    started: bool,
    redundant_executions: u64,
    analysis: Analysis,
}

impl Dpor {
    /// A search of every execution up to reordering of independent steps,
    /// with at most `bound` preemptions (`None`: unbounded).
    pub fn new(bound: Option<usize>) -> Self {
        Dpor {
            bound,
            nodes: Vec::new(),
            values: Vec::new(),
            step: 0,
            value_at: 0,
            first_new: 0,
            blocked_at: None,
            started: false,
            redundant_executions: 0,
            analysis: Analysis::default(),
        }
    }

    /// May `thread` run at `node` within the preemption bound?
    fn allowed(bound: Option<usize>, node: &Node, thread: ThreadId) -> bool {
        node.eligible.contains(&thread)
            && match bound {
                None => true,
                Some(b) => node.continuing.is_none_or(|c| c == thread) || node.preemptions < b,
            }
    }

    /// The sleep set of the state before step `step`: the threads asleep or
    /// explored at the previous state whose next step commutes with the step
    /// that was run there.
    fn sleep_for(&self, step: usize, point: &SchedulePoint<'_>) -> ThreadSet {
        let mut sleep = ThreadSet::new();
        if self.bound.is_some() {
            // Under a bound, the equivalent execution a sleep set relies on
            // may need more preemptions than this one, and so was never run.
            return sleep;
        }
        let Some(parent) = step.checked_sub(1).map(|s| &self.nodes[s]) else { return sleep };
        let mut candidates = parent.sleep.clone();
        candidates.union_with(&parent.done);
        if candidates.is_empty() {
            return sleep;
        }
        let event = point.execution().step(step - 1);
        let EventKind::Step { op, reply, .. } = event.kind else { unreachable!("a step") };
        let ran = dependence::accesses(event.thread, &op, Some(reply));
        for thread in candidates.iter() {
            let Some(pending) = point.pending(thread) else { continue };
            // A sleeping thread's step would do now what it would have done
            // where it was explored: everything since commutes with it.
            let predicted = point.execution().predict(thread);
            let next = dependence::accesses(thread, &pending.op, predicted);
            let commutes = next.iter().all(|a| ran.iter().all(|b| !dependence::dependent(a, b)));
            if commutes {
                sleep.insert(thread);
            }
        }
        sleep
    }

    fn nondeterministic(&self, what: String) -> StrategyError {
        StrategyError {
            kind: StrategyErrorKind::Nondeterministic,
            message: format!(
                "the model is not deterministic: {what}. Does it read the clock, iterate a \
                 HashMap, use randomness, or share state outside checker's types (std atomics \
                 or locks, statics)?"
            ),
        }
    }
}

impl Strategy for Dpor {
    fn next_execution(&mut self) -> bool {
        self.step = 0;
        self.value_at = 0;
        self.blocked_at = None;
        if !self.started {
            self.started = true;
            self.first_new = 0;
            return true;
        }
        // Backtrack to the deepest state with something left to explore:
        // a data decision's next value, or a thread of the backtrack set.
        let mut s = self.nodes.len();
        while s > 0 {
            s -= 1;
            while let Some(value) = self.values.last_mut() {
                if value.step > s {
                    self.values.pop();
                    continue;
                }
                if value.step < s {
                    break;
                }
                if value.chosen + 1 < value.options {
                    value.chosen += 1;
                    self.nodes.truncate(s + 1);
                    self.first_new = s;
                    return true;
                }
                self.values.pop();
            }
            let bound = self.bound;
            let node = &mut self.nodes[s];
            let next = node.backtrack.iter().find(|&t| {
                t != node.chosen
                    && !node.done.contains(t)
                    && !node.sleep.contains(t)
                    && Self::allowed(bound, node, t)
            });
            if let Some(thread) = next {
                node.done.insert(node.chosen);
                node.chosen = thread;
                self.nodes.truncate(s + 1);
                self.values.retain(|v| v.step < s);
                self.first_new = s;
                return true;
            }
            self.nodes.pop();
        }
        false
    }

    fn pick_thread(&mut self, point: &SchedulePoint<'_>) -> Result<ThreadId, StrategyError> {
        let step = self.step;
        self.step += 1;
        if let Some(node) = self.nodes.get(step) {
            let same = node.eligible.len() == point.eligible.len()
                && point.eligible.iter().all(|t| node.eligible.contains(t));
            if !same {
                return Err(self.nondeterministic(format!(
                    "at step {} the same earlier decisions gave runnable threads {:?} before and \
                     {:?} now",
                    step + 1,
                    node.eligible.as_slice(),
                    point.eligible
                )));
            }
            return Ok(node.chosen);
        }
        if self.blocked_at.is_some() {
            return Ok(point.eligible[0]);
        }
        let sleep = self.sleep_for(step, point);
        let mut node = Node {
            eligible: point.eligible.iter().copied().collect(),
            continuing: point.continuing,
            preemptions: point.preemptions,
            chosen: point.eligible[0],
            backtrack: ThreadSet::new(),
            done: ThreadSet::new(),
            sleep,
        };
        let bound = self.bound;
        let chosen = point
            .eligible
            .iter()
            .copied()
            .find(|&t| !node.sleep.contains(t) && Self::allowed(bound, &node, t));
        match chosen {
            Some(thread) => {
                node.chosen = thread;
                node.backtrack.insert(thread);
                self.nodes.push(node);
                Ok(thread)
            }
            None => {
                // Sleep-set blocked: everything from here was explored.
                self.blocked_at = Some(step);
                Ok(point.eligible[0])
            }
        }
    }

    fn pick_value(&mut self, point: &ValuePoint, _decision: usize) -> Result<u64, StrategyError> {
        let index = self.value_at;
        self.value_at += 1;
        let step = self.step - 1;
        if let Some(value) = self.values.get(index) {
            if value.step != step || value.options != point.options {
                return Err(self.nondeterministic(format!(
                    "a `{}` choice among {} at step {} was one among {} at step {} before",
                    point.kind.name(),
                    point.options,
                    step + 1,
                    value.options,
                    value.step + 1
                )));
            }
            return Ok(value.chosen);
        }
        if self.blocked_at.is_some() {
            return Ok(0);
        }
        self.values.push(ValueNode { step, options: point.options, chosen: 0 });
        Ok(0)
    }

    fn end_execution(&mut self, execution: &Execution) -> Result<(), StrategyError> {
        let analysed = match self.blocked_at {
            // The steps before the blocking point are part of the search: their
            // races count (Algorithm 1 finds races as each step is added).
            Some(blocked) => {
                self.redundant_executions += 1;
                blocked
            }
            None => execution.step_count(),
        };
        if analysed != self.nodes.len() {
            return Err(self.nondeterministic(format!(
                "an execution ended after {} steps where the same decisions led to {} before",
                execution.step_count(),
                self.nodes.len()
            )));
        }
        self.analysis.run(execution, self.first_new, analysed, &mut self.nodes, self.bound);
        Ok(())
    }

    fn coverage(&self) -> Coverage {
        match self.bound {
            Some(b) => Coverage::ExhaustiveWithinBound(b),
            None => Coverage::Exhaustive,
        }
    }

    fn redundant_executions(&self) -> u64 {
        self.redundant_executions
    }
}

/// One step as the analysis sees it.
#[derive(Copy, Clone)]
struct StepInfo {
    thread: ThreadId,
    /// Its position in its thread, from 1.
    position: u32,
    blocking: bool,
    /// Could a blocking step on the same target have run in its place? True
    /// for a lock acquisition (the mutex was free just before it) and for an
    /// unpark of a token that was already available.
    leaves_free: bool,
}

/// Happens-before and race analysis of one execution. Its buffers are kept
/// across executions.
#[derive(Default)]
struct Analysis {
    steps: Vec<StepInfo>,
    /// The clock of each step (the step included).
    clocks: Vec<VClock>,
    /// Per thread: the clock of its last step (or of its spawn, before its
    /// first), and its step count.
    threads: Vec<(VClock, u32)>,
    /// Per target: the steps that accessed it, in order.
    history: Vec<Vec<(usize, AccessKind)>>,
    /// Scratch: per thread, the position of its first step in a `v`.
    first_in_v: Vec<u32>,
    /// Per thread: is its park token available?
    tokens: Vec<bool>,
}

impl Analysis {
    fn slot(target: Target) -> usize {
        match target {
            Target::Object(o) => o.index() * 2,
            Target::Token(t) => t.index() * 2 + 1,
        }
    }

    /// Analyses the first `analysed` steps of `execution`; races are looked
    /// for from step `first_new` on.
    fn run(
        &mut self,
        execution: &Execution,
        first_new: usize,
        analysed: usize,
        nodes: &mut [Node],
        bound: Option<usize>,
    ) {
        self.steps.clear();
        self.clocks.clear();
        self.threads.clear();
        self.tokens.clear();
        for h in &mut self.history {
            h.clear();
        }
        let mut partners: SmallVec<[usize; 8]> = SmallVec::new();
        for k in 0..analysed {
            let event = execution.step(k);
            let EventKind::Step { op, reply, aux } = event.kind else { unreachable!("a step") };
            let q = event.thread;
            if self.threads.len() <= q.index() {
                self.threads.resize(q.index() + 1, (VClock::default(), 0));
            }
            let position = self.threads[q.index()].1 + 1;
            self.threads[q.index()].1 = position;
            let leaves_free = match (op, reply) {
                (Op::Lock { .. } | Op::Relock { .. }, _) => true,
                (Op::TryLock { .. }, Reply::TryLocked { acquired, .. }) => acquired,
                (Op::Unpark { thread }, _) => self.token(thread),
                _ => false,
            };
            match op {
                Op::Unpark { thread } => *self.token_mut(thread) = true,
                Op::Park => *self.token_mut(q) = false,
                _ => {}
            }
            let blocking = dependence::blocking(&op);
            self.steps.push(StepInfo { thread: q, position, blocking, leaves_free });

            // Program order and causal edges: what the step waited for.
            let mut before = self.threads[q.index()].0.clone();
            match op {
                Op::Join { thread } => before.join(&self.threads[thread.index()].0),
                Op::Relock { .. } if aux > 0 => before.join(&self.clocks[aux as usize - 1]),
                _ => {}
            }
            // Dependence edges.
            let accesses = dependence::accesses(q, &op, Some(reply));
            let mut clock = before.clone();
            for access in &accesses {
                self.join_dependencies(access, &mut clock);
            }
            clock.set(q, position);
            self.clocks.push(clock.clone());

            if k >= first_new {
                for access in &accesses {
                    partners.clear();
                    self.races(k, access, &before, nodes, bound, &mut partners);
                }
            }

            self.threads[q.index()].0 = clock;
            if let (Op::Spawn, Reply::Spawned(child)) = (op, reply) {
                if self.threads.len() <= child.index() {
                    self.threads.resize(child.index() + 1, (VClock::default(), 0));
                }
                self.threads[child.index()].0 = self.clocks[k].clone();
            }
            for access in &accesses {
                let slot = Self::slot(access.target);
                if self.history.len() <= slot {
                    self.history.resize_with(slot + 1, Vec::new);
                }
                self.history[slot].push((k, access.kind));
            }
        }
    }

    fn token(&self, thread: ThreadId) -> bool {
        self.tokens.get(thread.index()).copied().unwrap_or(false)
    }

    fn token_mut(&mut self, thread: ThreadId) -> &mut bool {
        if self.tokens.len() <= thread.index() {
            self.tokens.resize(thread.index() + 1, false);
        }
        &mut self.tokens[thread.index()]
    }

    /// Is step `i` happens-before `clock`?
    fn before(&self, i: usize, clock: &VClock) -> bool {
        let s = self.steps[i];
        clock.includes(s.thread, s.position)
    }

    /// Joins into `clock` the clocks of the earlier steps `access` depends on
    /// (the maximal ones suffice: the others happen before them).
    fn join_dependencies(&self, access: &Access, clock: &mut VClock) {
        let Some(history) = self.history.get(Self::slot(access.target)) else { return };
        let mut maximal: SmallVec<[usize; 8]> = SmallVec::new();
        for &(i, kind) in history.iter().rev() {
            let earlier = Access { target: access.target, kind };
            if !dependence::dependent(&earlier, access) {
                continue;
            }
            if !maximal.iter().any(|&m| self.before(i, &self.clocks[m])) {
                clock.join(&self.clocks[i]);
                maximal.push(i);
            }
            if kind.is_barrier() {
                break;
            }
        }
    }

    /// Finds the races of step `k`'s `access` with earlier steps and adds
    /// their reversals to the backtrack sets. `before` is the step's clock
    /// from program order and causal edges only.
    fn races(
        &mut self,
        k: usize,
        access: &Access,
        before: &VClock,
        nodes: &mut [Node],
        bound: Option<usize>,
        partners: &mut SmallVec<[usize; 8]>,
    ) {
        let slot = Self::slot(access.target);
        let Some(len) = self.history.get(slot).map(Vec::len) else { return };
        let blocking = self.steps[k].blocking;
        for h in (0..len).rev() {
            let (i, kind) = self.history[slot][h];
            let earlier = Access { target: access.target, kind };
            if !dependence::dependent(&earlier, access) {
                continue;
            }
            let ordered =
                self.before(i, before) || partners.iter().any(|&m| self.before(i, &self.clocks[m]));
            // A blocking step can only take the place of a partner that
            // leaves its target free: a lock precedes an acquisition, never
            // the release it waited for.
            let possible = !blocking || self.steps[i].leaves_free;
            if !ordered {
                if possible && self.reverse(i, k, nodes, bound) {
                    partners.push(i);
                } else if blocking {
                    // Look past a partner the blocking step could not precede.
                    continue;
                }
            }
            if kind.is_barrier() {
                break;
            }
        }
    }

    /// Reverses the race between steps `i` and `k`: adds an initial thread
    /// of `v` (the steps after `i` that do not happen after it, then `k`) to
    /// the backtrack set before `i`. Returns false if `v` cannot run there.
    fn reverse(&mut self, i: usize, k: usize, nodes: &mut [Node], bound: Option<usize>) -> bool {
        let e = self.steps[i];
        self.first_in_v.clear();
        self.first_in_v.resize(self.threads.len(), 0);
        let mut initials: SmallVec<[ThreadId; 8]> = SmallVec::new();
        for l in (i + 1..k).chain(std::iter::once(k)) {
            let clock = &self.clocks[l];
            if l != k && clock.includes(e.thread, e.position) {
                continue;
            }
            let s = self.steps[l];
            if self.first_in_v[s.thread.index()] != 0 {
                continue;
            }
            let after_another = self
                .first_in_v
                .iter()
                .enumerate()
                .any(|(u, &pos)| pos != 0 && clock.includes(ThreadId(u as u32), pos));
            self.first_in_v[s.thread.index()] = s.position;
            if !after_another {
                initials.push(s.thread);
            }
        }
        let node = &mut nodes[i];
        if !initials.iter().all(|t| node.eligible.contains(t)) {
            return false;
        }
        Self::add_backtrack(node, &initials, bound);
        if bound.is_some() {
            // Coons et al.: also where the racing step's thread was switched
            // in, so that the reversal needs no extra preemption.
            let start = (0..=i)
                .rev()
                .find(|&b| b == 0 || self.steps[b - 1].thread != e.thread)
                .unwrap_or(0);
            if start < i {
                let node = &mut nodes[start];
                let here: SmallVec<[ThreadId; 8]> =
                    initials.iter().copied().filter(|t| node.eligible.contains(t)).collect();
                Self::add_backtrack(node, &here, bound);
            }
        }
        true
    }

    fn add_backtrack(node: &mut Node, initials: &[ThreadId], bound: Option<usize>) {
        if bound.is_some() {
            // Under a bound, one initial may not do: the execution it leads
            // to may need preemptions the reversal itself does not.
            for &t in initials {
                if Dpor::allowed(bound, node, t) {
                    node.backtrack.insert(t);
                }
            }
            return;
        }
        if initials.iter().any(|&t| node.backtrack.contains(t)) {
            return;
        }
        if let Some(&t) = initials.first() {
            node.backtrack.insert(t);
        }
    }
}
