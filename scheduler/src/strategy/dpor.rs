//! Optimal dynamic partial-order reduction (wakeup trees and sleep sets), and
//! source-set DPOR under a preemption bound.
//!
//! Abdulla, Aronis, Jonsson, Sagonas. *Optimal Dynamic Partial Order
//! Reduction.* POPL 2014: Algorithm 2 ("optimal-DPOR", wakeup trees) and
//! Algorithm 1 ("source-DPOR", source sets).
//! Flanagan, Godefroid. *Dynamic Partial-Order Reduction for Model Checking
//! Software.* POPL 2005: races found on complete executions, backtracking.
//! Coons, Musuvathi, McKinley. *Bounded Partial-Order Reduction.* OOPSLA
//! 2013: conservative backtrack points under a preemption bound.
//!
//! The crux: executions that differ only in the order of independent steps
//! reach the same states and observe the same values, so one execution per
//! such class suffices; reversing every race of every explored execution
//! reaches every class, and wakeup trees with sleep sets make sure each class
//! is explored exactly once.
//!
//! How it runs. Each execution is a stack of [`Node`]s, one per step: the
//! threads that may run there, the thread chosen, the rest of the state's
//! wakeup tree (sequences of steps still to explore from it), the threads
//! explored from it, and those asleep. When an execution ends, [`Analysis`]
//! computes vector clocks over it (happens-before made of program order, the
//! causal edges of spawn, join and condvar wake-ups, and dependence as
//! [`crate::dependence::dependent`] defines it) and finds, for every step new
//! in this execution, its races with earlier steps. What it computed for the
//! steps the execution shares with the last one is kept, not redone
//! ([`Analysis::rewind`]). For a race `(e, e')` it
//! forms `v`: the steps after `e` that do not happen after `e`, then `e'`.
//! Unless a thread explored or asleep before `e` is a weak initial of `v`, it
//! inserts `v` into the wakeup tree there. The next execution backtracks to
//! the deepest state whose tree has a sequence left, follows it, and beyond
//! it runs any thread not asleep.
//!
//! Deviations from the paper, and why:
//! 1. Blocking operations. A race whose reversal cannot run is skipped: one
//!    of `v`'s initial threads is not eligible before `e`, or `e'` blocks and
//!    would still be blocked after `v` (a lock can take the place of an
//!    acquisition of the mutex, not of the release it waited for; a park, of
//!    an unpark only if the token was already there). For a lock, a
//!    wake-up's relock, and an rwlock's read or write lock, the lock's state
//!    before `e` is replayed with `v`'s steps: a write lock can take the
//!    place of a read lock once the other readers in `v` have left, since
//!    read-side steps commute and so stay in `v`. For a blocking step the
//!    search then goes on past that partner to earlier ones: a lock races
//!    with the previous lock of the mutex.
//! 2. Dependence is fixed by the operation (a CAS or `try_lock` writes even
//!    when it fails), except that two `Arc` drops commute unless one is the
//!    last. Weak initials and sleep sets reason about a thread's next step
//!    wherever it may run, so they use what it *may* do (a drop not yet run
//!    may be the last); `v`'s last step, moved before a step it conflicts
//!    with, is taken the same way.
//! 3. Sleep-set blocked executions (every thread that may run is asleep) do
//!    not happen with wakeup trees in theory. Where one does (under a bound,
//!    or when a yield or a block keeps a prescribed thread from running) it
//!    is run to its end, not cut, since cutting would abandon model threads
//!    mid-stack and leak what they hold; its steps up to the blocking point
//!    are analysed, and it is counted as wasted work (`redundant`).
//! 4. Yields. A yield is a step, after which its thread may not run while a
//!    thread that was enabled then is enabled and has not stepped since (the
//!    engine's fair scheduler). That rule is not closed under reordering
//!    independent steps: which steps fall between a yield and the thread's
//!    next step decides whether the schedule may happen at all, and how many
//!    times a spin loop goes round (which a spin-then-park lock, or any
//!    count of attempts, observes). So a yield is a *pivot*: it conflicts
//!    with every step of every other thread, and what ran before it (so the
//!    threads it waits for) is the same in every equivalent execution. Its
//!    thread's next step is not a pivot: it waits for its turn
//!    ([`crate::dependence::YieldTurns`]) and conflicts only with each
//!    other thread's first step after the yield and with steps that may
//!    block or unblock a thread, which keeps it eligible in every
//!    equivalent execution; it commutes with the other threads' later
//!    steps. Yields still cost executions in models that spin (more than
//!    one per class), never outcomes: spsc 3/2 runs 22,767 executions for
//!    2,200 classes (31,618 when the next step was a pivot too). Making the
//!    yield itself wait for its turn the same way (conflicting only with
//!    first steps and blocking steps) lost outcomes on the spin tests of
//!    `tests/suite/yields.rs`. The differential tests check bounded spin
//!    loops against DFS. The first yield of a wait
//!    ([`crate::execution::YIELD_SOFT`]) takes no turn: no thread waits on
//!    it, so it is no pivot, and it commutes with every step. A wake-up
//!    that needs no notification or token (`park_timeout`, a timed condvar
//!    wait, any wait under spurious wake-ups) is a pivot too: after one
//!    times out, the thread may not time out again while a thread that
//!    could run then has not stepped (the engine's fairness for polling
//!    loops), which again depends on what falls between the two. Such a
//!    step's reply (woken or timed out) changes with its place, so it is a
//!    pivot whatever it did.
//! 5. Data decisions (which waiter `notify_one` wakes, which store a load
//!    reads, `nondet::choose`) are explored exhaustively at every step that
//!    makes one. A `checker::rand` value is not: it takes the value the
//!    engine derived from the seed, the thread and its count of draws
//!    ([`ValuePoint::sample`]), which reordering independent steps keeps;
//!    a choice or random value touches nothing shared, so its step commutes
//!    with every other.
//! 6. Races are found once per execution, for the steps new in it: the
//!    prefix it shares with the previous execution had its races found then.
//! 7. Under a preemption bound the search is source-DPOR with every allowed
//!    initial of `v` added, not one, plus Coons et al.'s point at the start
//!    of the racing step's block, and sleep sets that only put to sleep the
//!    thread that was running where it was explored. A single initial, or a
//!    sleeping thread that was not running there, relies on an equivalent
//!    execution that may need more preemptions than the bound allows, and
//!    so was never run: the differential test found both
//!    (`tests/suite/dpor.rs`). The running thread's equivalent execution
//!    never needs more preemptions than the one it stands for (see
//!    `sleep_after`).
//! 8. `stop_exploring` and `skip_branch`. A state reached while the model
//!    had stopped exploring is marked pruned: a race reversal that would
//!    start there is dropped, and a data decision taken there keeps its
//!    first value. Wakeup sequences prescribed by explored states are still
//!    followed through it. The run then reports the decisions it pruned and
//!    does not claim to be exhaustive. DFS, which only stops branching at
//!    such states, may reach a reversed race from an earlier explored state
//!    that DPOR never revisits: with pruning, DPOR covers a subset of DFS.
//! 9. Weak memory. A load (or RMW) that read an older store does not race
//!    with the newer stores that ran before it: with the two the other way
//!    round it could read the same store, and the execution graph is the
//!    same (see [`crate::dependence`]: the relation is oriented, and
//!    labelled with which store each read read). Stores stay ordered with
//!    each other, except as deviation 10 says: making plain stores commute
//!    outright (the one that runs second may go anywhere in modification
//!    order) lost outcomes in the weak differential test. Only the race analysis and its happens-before use the labels:
//!    sleep sets and weak initials keep the unlabelled relation, which
//!    commutes less. With labels there too, a thread put to sleep because its
//!    store commuted with an old-value read stayed asleep past the point
//!    where an SC load needed it ordered the other way, and the litmus test
//!    RWC lost an outcome. A thread's first read of an atomic after a yield
//!    is not labelled: the engine's yield rule lets it read its old floor
//!    only if that store is the last, so it stays ordered against every
//!    store of the atomic (not against every step, as when it was a pivot;
//!    the floor itself comes from its thread's clock at the yield, which
//!    reordering keeps). SC fences are not: a fence is ordered against the
//!    SC events of other threads only (SC fences and SC accesses, on any
//!    location: [`crate::dependence::Target::ScOrder`]). Moving a fence
//!    past an adjacent non-SC step of another thread changes no relation of
//!    the graph and not the order of SC events, so not which graphs are
//!    consistent. Pivots cost SB+fences 10.3 executions per graph, this
//!    costs 2.0; the generated programs 9% fewer executions.
//! 10. Weak memory: one execution per graph for reads and stores. With the orientation
//!     of deviation 9 the same graph still comes in several classes: a load
//!     run before a store reads an older store, and, reversed so that it may
//!     read the new one, is offered the older ones again. So a read about to
//!     read store `s` skips that option when a store to its atomic already
//!     ran that would not happen before it (in the race analysis'
//!     happens-before, with the read labelled `s`, so not through the store
//!     alone): the read can then run before that store, with the steps it
//!     depends on, and read `s` there. That execution builds the same graph,
//!     and it is the one explored; the skipped one would only repeat it.
//!     Checked, not proved: the weak differential test asserts the graphs
//!     against the RC11 oracle's (`tests/suite/weak.rs`; the runs are in
//!     `papers/dpor.md`). The steps before the read are analysed when it
//!     decides (their races are found then, not at the end). A decision never
//!     skips every option (its prefix is then such a repetition, and runs as
//!     deviation 3 says). Off under a preemption bound, where the execution
//!     with the read moved earlier may need a preemption the bound forbids,
//!     and once the execution has yielded: the turns add dependences this
//!     does not compute for a read not yet run. Stores likewise: in the
//!     race analysis a plain store that went before earlier plain stores in
//!     modification order commutes with those (run first, it would go to
//!     the same place at the end; `Analysis::depends`, and such a store is
//!     no barrier of its atomic's history) and with the loads that read
//!     them (run first, it goes before what they read, and they read the
//!     same), and a plain store skips a place
//!     before a store that would not happen before it so labelled
//!     (`Analysis::duplicate_stores`). Placing the store at the end is
//!     never skipped. A read-modify-write reading an older store goes
//!     right after it, before the later stores, and is checked as a read
//!     with those as the stores it went before.

use smallvec::SmallVec;

use super::checkpoint::{self, FormatError, Reader, Writer};
use super::{Coverage, SchedulePoint, Strategy, StrategyError};
use crate::dependence::{self, Access, AccessKind, Source, Target};
use crate::execution::{Execution, ValueKind, ValuePoint};
use crate::ids::{ObjectId, ThreadId};
use crate::op::{Op, Reply};
use crate::trace::EventKind;
use crate::vclock::VClock;

// Three inline: an SC access (its object and the SC order) and the turn it
// may take, the usual most; more spill to the heap.
type Accesses = SmallVec<[Access; 3]>;

/// One step, as wakeup trees and sleep sets see it.
#[derive(Clone, Debug)]
struct Ev {
    thread: ThreadId,
    /// What it did where it was recorded. Valid for as long as the thread
    /// sleeps: only steps that commute with it run meanwhile.
    accesses: Accesses,
    /// What it may do anywhere else: a CAS that failed may succeed, a drop
    /// may be the last. Weak initials reason about where a thread's step may
    /// run later, so they use this.
    may: Accesses,
    /// A yield, or a wake-up that may time out: it conflicts with every
    /// step of every other thread (deviation 4). Fixed by the operation,
    /// wherever the step runs.
    pivot: bool,
}

/// Do two steps of different threads commute, `a` run first?
fn commute(a: &[Access], a_pivot: bool, b: &[Access], b_pivot: bool) -> bool {
    !a_pivot && !b_pivot && a.iter().all(|x| b.iter().all(|y| !dependence::dependent(x, y)))
}

/// A wakeup tree: sequences of steps to explore, sharing prefixes, in the
/// order they are to be explored.
#[derive(Clone, Debug)]
struct WakeupTree {
    event: Ev,
    children: Vec<WakeupTree>,
}

impl WakeupTree {
    /// The sequence `w` as a chain.
    fn chain(w: Vec<Ev>) -> Option<WakeupTree> {
        w.into_iter().rev().fold(None, |below, event| {
            Some(WakeupTree { event, children: below.into_iter().collect() })
        })
    }
}

/// Does `q` (a thread, with its next step) lead `w` up to equivalence? It
/// does if its first step in `w` depends on no earlier step of `w`, or if it
/// has none in `w` and whatever its next step may do commutes with all of
/// `w`: the weak initials of the paper.
fn weak_initial(w: &[Ev], q: &Ev) -> bool {
    match w.iter().position(|e| e.thread == q.thread) {
        Some(first) => {
            let f = &w[first];
            w[..first].iter().all(|e| commute(&e.accesses, e.pivot, &f.accesses, f.pivot))
        }
        // `q` would run first.
        None => w.iter().all(|e| commute(&q.may, q.pivot, &e.accesses, e.pivot)),
    }
}

/// Inserts `w` into a wakeup tree's `children`: follow the first child that
/// is a weak initial of the rest of `w`; a leaf already covers `w`; where no
/// child leads `w`, `w` becomes the last branch.
fn insert(children: &mut Vec<WakeupTree>, mut w: Vec<Ev>) {
    if w.is_empty() {
        return;
    }
    for child in children.iter_mut() {
        if weak_initial(&w, &child.event) {
            if child.children.is_empty() {
                return;
            }
            if let Some(first) = w.iter().position(|e| e.thread == child.event.thread) {
                w.remove(first);
            }
            insert(&mut child.children, w);
            return;
        }
    }
    children.extend(WakeupTree::chain(w));
}

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
    /// What `chosen` did here, and may do elsewhere, when it comes from a
    /// checkpoint: otherwise the analysis has it ([`Dpor::chosen_step`]).
    saved: Option<Box<ChosenStep>>,
    /// The wakeup subtree below `chosen`: what the next state follows.
    subtree: Vec<WakeupTree>,
    /// The rest of this state's wakeup tree: what to explore from here
    /// after `chosen`, in order.
    queue: Vec<WakeupTree>,
    /// Threads explored from here, with the step each ran.
    explored: Vec<Ev>,
    /// Threads asleep here, with their next step: running them is redundant.
    sleep: Vec<Ev>,
    /// The model had stopped exploring here (`stop_exploring`,
    /// `skip_branch`): no race reversal is added to this state.
    pruned: bool,
}

/// What a state's chosen thread did there (its accesses, unlabelled), what
/// it may do elsewhere, and whether the step is a pivot.
#[derive(Clone, Debug, Default)]
struct ChosenStep {
    accesses: Accesses,
    may: Accesses,
    pivot: bool,
}

impl Node {
    fn tried(&self, thread: ThreadId) -> bool {
        thread == self.chosen
            || self.explored.iter().any(|e| e.thread == thread)
            || self.sleep.iter().any(|e| e.thread == thread)
    }
}

/// A data decision taken during a step.
#[derive(Clone, Debug)]
struct ValueNode {
    step: usize,
    options: u64,
    /// Invariant: `chosen < options`.
    chosen: u64,
    /// Taken while the model had stopped exploring: no other value is tried.
    pruned: bool,
    /// The engine's answer to a decision it makes itself (a spin stall),
    /// kept for every execution that comes back through this node.
    kept: Option<u64>,
    /// Options not to take (bit `i` for option `i`): reads whose execution
    /// graph another execution builds (deviation 10).
    skip: u64,
}

impl ValueNode {
    /// The first option after `after` (from the first with `None`) that is
    /// not skipped.
    fn next(&self, after: Option<u64>) -> Option<u64> {
        let from = after.map_or(0, |a| a + 1);
        (from..self.options).find(|&o| o >= 64 || self.skip & (1 << o) == 0)
    }
}

/// Optimal DPOR (source-set DPOR under a preemption bound).
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
    /// The steps of the current execution analysed so far, before it ended
    /// (a reads-from decision needs their clocks: deviation 10).
    raced: usize,
    /// The options the reads-from decision being asked skips.
    skip: u64,
    /// The current execution became sleep-set blocked at this step: it is
    /// finished without new nodes, and only the steps before it are analysed.
    blocked_at: Option<usize>,
    started: bool,
    redundant_executions: u64,
    analysis: Analysis,
    /// The fair scheduler's turns, as accesses.
    turns: dependence::YieldTurns,
    /// Was the previous step a pivot?
    previous_pivot: bool,
    /// Whether the previous step waited for its turn and whether it took
    /// one ([`dependence::YieldTurns::step_flags`]).
    previous_turns: (bool, bool),
    /// Decisions with alternatives taken while the model had stopped
    /// exploring: not branched on.
    pruned: u64,
}

impl Dpor {
    /// A search of every execution up to reordering of independent steps,
    /// with at most `bound` preemptions (`None`: unbounded).
    pub fn new(bound: Option<usize>) -> Self {
        // The buffers of this OS thread's last run, or room for a typical
        // execution: growing from nothing costs a small model's run more
        // than its steps do.
        let (nodes, analysis) = SPARE.take().unwrap_or_else(|| {
            (Vec::with_capacity(INITIAL_STEPS), Analysis::with_capacity(INITIAL_STEPS))
        });
        Dpor {
            bound,
            nodes,
            values: Vec::new(),
            step: 0,
            value_at: 0,
            first_new: 0,
            raced: 0,
            skip: 0,
            blocked_at: None,
            started: false,
            redundant_executions: 0,
            analysis,
            turns: dependence::YieldTurns::default(),
            previous_pivot: false,
            previous_turns: (false, false),
            pruned: 0,
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

    /// The sleep set of the state after step `parent`: the threads asleep or
    /// explored there whose next step commutes with the step that was run.
    ///
    /// Under a bound, a thread explored at `parent` goes to sleep only if it
    /// was the running thread there (`continuing`): an execution that runs
    /// other steps `w` first and it later, `w·p·rest`, switches away from it
    /// at `parent` (a preemption), and the equivalent `p·w·rest` it stands
    /// for, explored from `parent`, has no more preemptions, so it was
    /// explored within the bound. A thread that was not running there may
    /// need a preemption to go first that the sleeping execution does not
    /// (the differential test found such a loss at bound 0).
    fn sleep_after(&self, parent: usize, point: &SchedulePoint<'_>) -> Vec<Ev> {
        let node = &self.nodes[parent];
        let asleep = |e: &&Ev| self.bound.is_none() || node.continuing == Some(e.thread);
        if node.sleep.is_empty() && !node.explored.iter().any(|e| asleep(&e)) {
            return Vec::new();
        }
        let event = point.execution().step(parent);
        if self.previous_pivot {
            return Vec::new();
        }
        let EventKind::Step { op, reply, .. } = event.kind else { unreachable!("a step") };
        let mut ran: SmallVec<[Access; 4]> = SmallVec::new();
        dependence::accesses_into(event.thread, &op, Some(reply), &mut ran);
        let (wait, take) = self.previous_turns;
        dependence::turn_accesses_into(wait, take, &mut ran);
        let commutes = |e: &&Ev| commute(&e.accesses, e.pivot, &ran, false);
        node.sleep
            .iter()
            .chain(node.explored.iter().filter(asleep))
            .filter(commutes)
            .cloned()
            .collect()
    }

    /// What the chosen thread of state `s` did there: from the analysis of
    /// the last execution if it reached `s`, else as a checkpoint saved it.
    fn chosen_step(&self, s: usize) -> Option<ChosenStep> {
        if s < self.analysis.valid {
            let (accesses, may) = self.analysis.step_accesses(s);
            Some(ChosenStep { accesses, may, pivot: self.analysis.pivots[s] })
        } else {
            self.nodes[s].saved.as_deref().cloned()
        }
    }

    fn nondeterministic(&self, what: String) -> StrategyError {
        StrategyError::nondeterministic(what)
    }

    /// The options of a reads-from or store-position decision that build an
    /// execution graph another execution builds (deviation 10), as a mask: bit `i` for
    /// option `i`. Analyses the steps run so far first (their clocks are
    /// needed; their races are found now instead of at the end).
    fn duplicate_options(&mut self, execution: &Execution, point: &ValuePoint) -> u64 {
        let sources = execution.read_sources();
        if sources.len() as u64 != point.options || sources.len() > 64 {
            return 0;
        }
        let done = execution.step_count();
        let from = self.first_new.max(self.raced);
        self.analysis.run(execution, from, done, &mut self.nodes, self.bound);
        self.raced = done;
        let Some(op) = execution.deciding() else { return 0 };
        let mask = match op {
            Op::Store { object, .. } => {
                let most = sources.iter().copied().max().unwrap_or(0) as usize;
                let tail = execution.last_store_steps(object, most);
                self.analysis.duplicate_stores(point.thread, &op, sources, &tail)
            }
            Op::Rmw { object, .. } | Op::CompareExchange { object, .. } => {
                let mo = execution.last_store_steps(object, usize::MAX);
                self.analysis.duplicate_reads(point.thread, &op, sources, Some(&mo))
            }
            _ => self.analysis.duplicate_reads(point.thread, &op, sources, None),
        };
        // Never every option (the prefix itself would then be a duplicate,
        // which is not cut: deviation 3).
        if mask.count_ones() as usize >= sources.len() { 0 } else { mask }
    }
}

impl Strategy for Dpor {
    fn next_execution(&mut self) -> bool {
        self.step = 0;
        self.value_at = 0;
        self.raced = 0;
        self.blocked_at = None;
        self.turns.clear();
        self.previous_pivot = false;
        self.previous_turns = (false, false);
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
                if let Some(next) = value.next(Some(value.chosen)).filter(|_| !value.pruned) {
                    value.chosen = next;
                    self.nodes.truncate(s + 1);
                    self.first_new = s;
                    self.analysis.valid = self.analysis.valid.min(s);
                    return true;
                }
                self.values.pop();
            }
            let bound = self.bound;
            if self.nodes[s].queue.is_empty() {
                // Nothing else to explore from here (most states). The
                // states given up are dropped together where the search
                // goes on (`truncate`), not moved out one by one.
                continue;
            }
            let ChosenStep { accesses, may, pivot } = self.chosen_step(s).unwrap_or_default();
            // While the thread sleeps, drops that commute with its own can
            // still change how many handles its drop leaves: keep it unknown.
            let accesses = accesses
                .into_iter()
                .map(|a| match a.kind {
                    AccessKind::Drop { .. } => {
                        Access { kind: AccessKind::Drop { remaining: None }, ..a }
                    }
                    _ => a,
                })
                .collect();
            let node = &mut self.nodes[s];
            node.saved = None;
            node.explored.push(Ev { thread: node.chosen, accesses, may, pivot });
            node.subtree.clear();
            while !node.queue.is_empty() {
                let next = node.queue.remove(0);
                let thread = next.event.thread;
                if !node.tried(thread) && Self::allowed(bound, node, thread) {
                    node.chosen = thread;
                    node.subtree = next.children;
                    self.nodes.truncate(s + 1);
                    self.values.retain(|v| v.step < s);
                    self.first_new = s;
                    self.analysis.valid = self.analysis.valid.min(s);
                    return true;
                }
            }
        }
        self.nodes.clear();
        false
    }

    fn pick_thread(&mut self, point: &SchedulePoint<'_>) -> Result<ThreadId, StrategyError> {
        let step = self.step;
        self.step += 1;
        if let Some(previous) = step.checked_sub(1) {
            let event = point.execution().step(previous);
            let EventKind::Step { op, aux, .. } = event.kind else { unreachable!("a step") };
            self.previous_pivot = dependence::is_pivot(&op, aux);
            self.previous_turns = self.turns.step_flags(event.thread, &op, aux);
        }
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
        let (mut prescribed, sleep) = match step.checked_sub(1) {
            None => (Vec::new(), Vec::new()),
            Some(parent) => {
                (std::mem::take(&mut self.nodes[parent].subtree), self.sleep_after(parent, point))
            }
        };
        let mut node = Node {
            eligible: SmallVec::from_slice(point.eligible),
            continuing: point.continuing,
            preemptions: point.preemptions,
            chosen: point.eligible[0],
            saved: None,
            subtree: Vec::new(),
            queue: Vec::new(),
            explored: Vec::new(),
            sleep,
            pruned: !point.execution().exploring(),
        };
        if node.pruned && point.is_decision() {
            self.pruned += 1;
        }
        let bound = self.bound;
        // Follow the wakeup tree where it leads; a sequence whose next thread
        // cannot run here (a yield, a block) is dropped.
        while !prescribed.is_empty() {
            let first = prescribed.remove(0);
            let thread = first.event.thread;
            if Self::allowed(bound, &node, thread) && !node.sleep.iter().any(|e| e.thread == thread)
            {
                node.chosen = thread;
                node.subtree = first.children;
                node.queue = prescribed;
                self.nodes.push(node);
                return Ok(thread);
            }
        }
        let free =
            point.eligible.iter().copied().find(|&t| {
                !node.sleep.iter().any(|e| e.thread == t) && Self::allowed(bound, &node, t)
            });
        match free {
            Some(thread) => {
                node.chosen = thread;
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
        // A random value is sampled, not enumerated (deviation 5): a node
        // with one option, whose value is the engine's sample. A spin stall
        // is the engine's too, and the first answer is kept.
        let random = point.kind == ValueKind::Random;
        let stall = point.kind.engine_decides();
        let options = if random || stall { 1 } else { point.options };
        // The engine's answer, also where the execution only runs to its
        // end (sleep-set blocked): a loop that does not yield ends only
        // with the yield the engine makes for it.
        let taken = |chosen: u64| if random || stall { point.sample } else { chosen };
        if let Some(value) = self.values.get(index) {
            if value.step != step || value.options != options {
                return Err(self.nondeterministic(format!(
                    "a `{}` choice among {} at step {} was one among {} at step {} before",
                    point.kind.name(),
                    options,
                    step + 1,
                    value.options,
                    value.step + 1
                )));
            }
            return Ok(value.kept.unwrap_or_else(|| taken(value.chosen)));
        }
        if self.blocked_at.is_some() {
            return Ok(taken(0));
        }
        let pruned = !point.exploring;
        if pruned && options > 1 {
            self.pruned += 1;
        }
        let kept = stall.then_some(point.sample);
        let skip = std::mem::take(&mut self.skip);
        let mut value = ValueNode { step, options, chosen: 0, pruned, kept, skip };
        value.chosen = value.next(None).expect("a skip leaves an option");
        let chosen = value.chosen;
        self.values.push(value);
        Ok(kept.unwrap_or_else(|| taken(chosen)))
    }

    fn pick_value_in(
        &mut self,
        execution: &Execution,
        point: &ValuePoint,
        decision: usize,
    ) -> Result<u64, StrategyError> {
        self.skip = 0;
        let new = self.values.len() == self.value_at;
        if new
            && matches!(point.kind, ValueKind::ReadsFrom | ValueKind::StorePosition)
            && self.bound.is_none()
            && self.blocked_at.is_none()
            && point.exploring
        {
            self.skip = self.duplicate_options(execution, point);
        }
        self.pick_value(point, decision)
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
        let from = self.first_new.max(self.raced);
        self.analysis.run(execution, from, analysed, &mut self.nodes, self.bound);
        Ok(())
    }

    fn name(&self) -> &'static str {
        "dpor"
    }

    fn replay_prefix(&self) -> Option<usize> {
        // `first_new` steps come from the nodes and values kept.
        Some(self.first_new)
    }

    fn skip_to(&mut self, steps: usize, execution: &Execution) {
        debug_assert!(self.step == 0 && steps <= self.first_new);
        // What `pick_thread` at steps 1..steps learnt of the step before.
        for k in 1..steps {
            let event = execution.step(k - 1);
            let EventKind::Step { op, aux, .. } = event.kind else { unreachable!("a step") };
            self.previous_pivot = dependence::is_pivot(&op, aux);
            self.previous_turns = self.turns.step_flags(event.thread, &op, aux);
        }
        self.step = steps;
        self.value_at = self.values.iter().take_while(|v| v.step < steps).count();
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

    fn pruned_decisions(&self) -> u64 {
        self.pruned
    }

    fn save(&self, out: &mut Writer) -> bool {
        let counters = (self.started, self.first_new, self.redundant_executions, self.pruned);
        out.record("dpor", &counters);
        for (s, node) in self.nodes.iter().enumerate() {
            let chosen = self.chosen_step(s).unwrap_or_default();
            out.record("node", &NodeRecord::of(node, chosen));
        }
        for value in &self.values {
            out.record("value", value);
        }
        true
    }

    fn load(&mut self, input: &mut Reader<'_>) -> Result<(), FormatError> {
        (self.started, self.first_new, self.redundant_executions, self.pruned) =
            input.record("dpor")?;
        let records: Vec<NodeRecord> = input.records("node")?;
        self.nodes = records.into_iter().map(NodeRecord::into_node).collect();
        self.values = input.records("value")?;
        if let Some(i) = self.nodes.iter().position(|n| !n.eligible.contains(&n.chosen)) {
            return Err(FormatError::inconsistent(format!(
                "step {} runs a thread that is not among its runnable threads",
                i + 1
            )));
        }
        if self.values.iter().any(|v| v.step >= self.nodes.len() || v.chosen >= v.options) {
            return Err(FormatError::inconsistent("a data decision out of range"));
        }
        Ok(())
    }
}

// The state that crosses executions, for checkpoints: every field.
checkpoint::fields!(Ev { thread, accesses, may, pivot });
checkpoint::fields!(WakeupTree { event, children });
checkpoint::fields!(NodeRecord {
    eligible,
    continuing,
    preemptions,
    chosen,
    chosen_accesses,
    chosen_may,
    chosen_pivot,
    subtree,
    queue,
    explored,
    sleep,
    pruned,
});
checkpoint::fields!(ValueNode { step, options, chosen, pruned, kept, skip });

/// A [`Node`] as checkpoints save it: with what its chosen thread did.
struct NodeRecord {
    eligible: SmallVec<[ThreadId; 8]>,
    continuing: Option<ThreadId>,
    preemptions: usize,
    chosen: ThreadId,
    chosen_accesses: Accesses,
    chosen_may: Accesses,
    chosen_pivot: bool,
    subtree: Vec<WakeupTree>,
    queue: Vec<WakeupTree>,
    explored: Vec<Ev>,
    sleep: Vec<Ev>,
    pruned: bool,
}

impl NodeRecord {
    fn of(node: &Node, chosen: ChosenStep) -> NodeRecord {
        NodeRecord {
            eligible: node.eligible.clone(),
            continuing: node.continuing,
            preemptions: node.preemptions,
            chosen: node.chosen,
            chosen_accesses: chosen.accesses,
            chosen_may: chosen.may,
            chosen_pivot: chosen.pivot,
            subtree: node.subtree.clone(),
            queue: node.queue.clone(),
            explored: node.explored.clone(),
            sleep: node.sleep.clone(),
            pruned: node.pruned,
        }
    }

    fn into_node(self) -> Node {
        let chosen = ChosenStep {
            accesses: self.chosen_accesses,
            may: self.chosen_may,
            pivot: self.chosen_pivot,
        };
        Node {
            eligible: self.eligible,
            continuing: self.continuing,
            preemptions: self.preemptions,
            chosen: self.chosen,
            saved: Some(Box::new(chosen)),
            subtree: self.subtree,
            queue: self.queue,
            explored: self.explored,
            sleep: self.sleep,
            pruned: self.pruned,
        }
    }
}

/// One step as the analysis sees it.
#[derive(Copy, Clone)]
struct StepInfo {
    thread: ThreadId,
    /// Its position in its thread, from 1.
    position: u32,
    blocking: bool,
    /// For an unpark: was the token already available (so a park could have
    /// run in its place)?
    leaves_free: bool,
    /// What the step does to a lock (mutex or rwlock): the lock, and the
    /// change of its writer count and reader count.
    lock: Option<(ObjectId, i8, i8)>,
    /// For a step that blocks on a lock: the lock, and whether it needs it
    /// free of readers too (a mutex, a write lock) or only of a writer.
    needs: Option<(ObjectId, bool)>,
}

/// What `op`, which replied `reply`, does to a lock: see [`StepInfo::lock`].
fn lock_effect(op: &Op, reply: Reply) -> Option<(ObjectId, i8, i8)> {
    let acquired = !matches!(reply, Reply::TryLocked { acquired: false, .. });
    match *op {
        Op::Lock { object } | Op::WriteLock { object } => Some((object, 1, 0)),
        Op::Relock { mutex, .. } => Some((mutex, 1, 0)),
        Op::TryLock { object } | Op::TryWrite { object } if acquired => Some((object, 1, 0)),
        Op::Unlock { object, .. } | Op::WriteUnlock { object, .. } => Some((object, -1, 0)),
        Op::Wait { mutex, .. } => Some((mutex, -1, 0)),
        Op::ReadLock { object } => Some((object, 0, 1)),
        Op::TryRead { object } if acquired => Some((object, 0, 1)),
        Op::ReadUnlock { object } => Some((object, 0, -1)),
        _ => None,
    }
}

/// The lock a blocking `op` waits for: see [`StepInfo::needs`].
fn lock_need(op: &Op) -> Option<(ObjectId, bool)> {
    match *op {
        Op::Lock { object } | Op::WriteLock { object } => Some((object, true)),
        Op::Relock { mutex, .. } => Some((mutex, true)),
        Op::ReadLock { object } => Some((object, false)),
        _ => None,
    }
}

/// One access of an analysed step, in the history of its target.
#[derive(Copy, Clone, Debug)]
struct Entry {
    step: u32,
    kind: AccessKind,
    /// The target's slot ([`Analysis::slot`]).
    slot: u32,
    /// The target's access before this one.
    previous: Option<u32>,
    /// The target's last access before this one that is not a load.
    previous_write: Option<u32>,
}

/// Where one thread stands in the analysed steps.
#[derive(Copy, Clone, Debug, Default)]
struct ThreadState {
    /// The step whose clock is the thread's clock: its last step, or its
    /// spawn before its first; `None` for an empty clock.
    clock: Option<usize>,
    /// Its steps so far.
    count: u32,
    /// The step that spawned it; `None` for `main` and for a thread not
    /// spawned yet.
    spawn: Option<usize>,
}

/// Happens-before and race analysis of one execution. Its buffers are kept
/// across executions, and so is what it computed: the next execution shares
/// its first steps with this one (up to the state DPOR backtracked to), and
/// only the steps from there on are analysed again ([`Analysis::rewind`]).
#[derive(Default)]
struct Analysis {
    steps: Vec<StepInfo>,
    /// The clock of each step (the step included).
    clocks: Vec<VClock>,
    /// Per thread, by id.
    threads: Vec<ThreadState>,
    /// Every access of the analysed steps, in order; each target's
    /// accesses are chained from its last one backwards (`last_entry`).
    entries: Vec<Entry>,
    /// Per target: its last access in `entries`.
    last_entry: Vec<Option<u32>>,
    /// Per target: its last access in `entries` that is not a load. Loads
    /// commute with loads, so a load scans only these: a spin loop's reads
    /// would otherwise each walk past all the reads since the last store.
    last_write: Vec<Option<u32>>,
    /// The thread and operation of each step.
    ops: Vec<Option<(ThreadId, Op)>>,
    /// The reply of each step.
    replies: Vec<Reply>,
    /// Per step: the `aux` of its trace record.
    auxes: Vec<u64>,
    /// Per step: did it wait for its turn, did it take one
    /// ([`dependence::YieldTurns`])?
    turn_flags: Vec<(bool, bool)>,
    /// Scratch: per thread, the position of its first step in a `v`.
    first_in_v: Vec<u32>,
    /// Per thread: is its park token available?
    tokens: Vec<bool>,
    /// Every change of `tokens`: the step, the thread, the value before.
    token_log: Vec<(usize, ThreadId, bool)>,
    /// Per step: is it a pivot (see [`Ev::pivot`])?
    pivots: Vec<bool>,
    /// Reads the yield rule touches: not labelled (deviation 9).
    yield_reads: dependence::YieldReads,
    /// The fair scheduler's turns, as accesses.
    turns: dependence::YieldTurns,
    /// The first yield among the analysed steps: before it, `yield_reads`
    /// and `turns` are empty.
    first_yield: Option<usize>,
    /// Each step as dependence names it.
    names: Vec<Source>,
    /// The join of the clocks of all steps so far.
    all: VClock,
    /// The last pivot step.
    last_pivot: Option<usize>,
    /// The last SC fence's access to the SC order, in `entries`.
    last_sc_fence: Option<u32>,
    /// For the step being analysed, a plain store: the earlier plain stores
    /// of its atomic it went before in modification order (deviation 10).
    placed: SmallVec<[u32; 4]>,
    /// How many steps of the last analysed execution the state describes.
    valid: usize,
}

thread_local! {
    /// The node stack and analysis buffers of this OS thread's last DPOR
    /// run, emptied, for its next one (as the engine keeps its stacks).
    static SPARE: std::cell::Cell<Option<(Vec<Node>, Analysis)>> =
        const { std::cell::Cell::new(None) };
}

impl Drop for Dpor {
    fn drop(&mut self) {
        let mut nodes = std::mem::take(&mut self.nodes);
        nodes.clear();
        let mut analysis = std::mem::take(&mut self.analysis);
        analysis.rewind(0);
        // Nothing to keep when the thread is going away.
        let _ = SPARE.try_with(|spare| spare.set(Some((nodes, analysis))));
    }
}

/// An atomic load (or a failed compare-exchange's read, which dependence
/// names a load too): it commutes with every other load.
fn is_load(kind: AccessKind) -> bool {
    matches!(kind, AccessKind::Load { .. })
}

/// The slots of the turns' waits and takes (see [`Analysis::entry_slot`]).
const TURN_WAITS: usize = 1;
const TURN_TAKES: usize = 2;

/// The steps an execution's buffers make room for before the first one.
const INITIAL_STEPS: usize = 256;

impl Analysis {
    /// An analysis with room for executions of `steps` steps.
    fn with_capacity(steps: usize) -> Self {
        Analysis {
            steps: Vec::with_capacity(steps),
            clocks: Vec::with_capacity(steps),
            entries: Vec::with_capacity(2 * steps),
            ops: Vec::with_capacity(steps),
            replies: Vec::with_capacity(steps),
            auxes: Vec::with_capacity(steps),
            turn_flags: Vec::with_capacity(steps),
            pivots: Vec::with_capacity(steps),
            names: Vec::with_capacity(steps),
            ..Analysis::default()
        }
    }

    /// A target's slot in `last_entry`. The turns have two, see
    /// [`Analysis::entry_slot`].
    fn slot(target: Target) -> usize {
        match target {
            Target::ScOrder => 0,
            Target::Turns => TURN_TAKES,
            Target::Spawns => 3,
            Target::Statics => 4,
            Target::Object(o) => o.index() * 2 + 5,
            Target::Token(t) => t.index() * 2 + 6,
        }
    }

    /// Where `access` is recorded: its target's slot, except that the
    /// turns keep waits and takes apart. Only a wait and a take depend on
    /// each other, and steps that take are many (every lock and unlock):
    /// scanning past all of them at every step was quadratic.
    fn entry_slot(access: &Access) -> usize {
        match access.kind {
            AccessKind::TurnWait => TURN_WAITS,
            _ => Self::slot(access.target),
        }
    }

    /// Where the earlier accesses `access` may depend on are recorded.
    fn scan_slot(access: &Access) -> usize {
        match access.kind {
            AccessKind::TurnWait => TURN_TAKES,
            AccessKind::TurnTake => TURN_WAITS,
            _ => Self::slot(access.target),
        }
    }

    /// Forgets every step from `keep` on: the state is then that after the
    /// first `keep` steps, as if only they had been analysed.
    fn rewind(&mut self, keep: usize) {
        self.valid = self.valid.min(keep);
        if keep == 0 {
            self.replies.clear();
            self.auxes.clear();
            self.turn_flags.clear();
            self.steps.clear();
            self.clocks.clear();
            self.threads.clear();
            self.tokens.clear();
            self.token_log.clear();
            self.ops.clear();
            self.pivots.clear();
            self.yield_reads.clear();
            self.turns.clear();
            self.first_yield = None;
            self.names.clear();
            self.all = VClock::default();
            self.last_pivot = None;
            self.last_sc_fence = None;
            self.entries.clear();
            self.last_entry.clear();
            self.last_write.clear();
            return;
        }
        self.steps.truncate(keep);
        self.replies.truncate(keep);
        self.auxes.truncate(keep);
        self.turn_flags.truncate(keep);
        self.clocks.truncate(keep);
        self.ops.truncate(keep);
        self.pivots.truncate(keep);
        self.names.truncate(keep);
        while let Some(entry) = self.entries.last()
            && entry.step as usize >= keep
        {
            self.last_entry[entry.slot as usize] = entry.previous;
            if !is_load(entry.kind) {
                self.last_write[entry.slot as usize] = entry.previous_write;
            }
            self.entries.pop();
        }
        if self.last_sc_fence.is_some_and(|e| e as usize >= self.entries.len()) {
            let slot = Self::slot(Target::ScOrder);
            let fence =
                self.target_entries(slot, 0).find(|&e| self.entries[e as usize].kind.is_barrier());
            self.last_sc_fence = fence;
        }
        if self.last_pivot.is_some_and(|p| p >= keep) {
            self.last_pivot = self.pivots.iter().rposition(|&p| p);
        }
        while let Some(&(k, thread, before)) = self.token_log.last()
            && k >= keep
        {
            self.tokens[thread.index()] = before;
            self.token_log.pop();
        }
        // Threads spawned later vanish; threads whose last step is gone go
        // back to their last step before `keep` (or their spawn).
        let mut unresolved: SmallVec<[ThreadId; 8]> = SmallVec::new();
        for (t, state) in self.threads.iter_mut().enumerate() {
            if state.spawn.is_some_and(|s| s >= keep) {
                *state = ThreadState::default();
            } else if state.clock.is_some_and(|c| c >= keep) {
                state.clock = state.spawn;
                state.count = 0;
                unresolved.push(ThreadId(t as u32));
            }
        }
        let mut k = keep;
        while !unresolved.is_empty() && k > 0 {
            k -= 1;
            let step = self.steps[k];
            if let Some(i) = unresolved.iter().position(|&t| t == step.thread) {
                let state = &mut self.threads[step.thread.index()];
                state.clock = Some(k);
                state.count = step.position;
                unresolved.swap_remove(i);
            }
            unresolved.retain(|t| self.threads[t.index()].spawn != Some(k));
        }
        self.all = VClock::default();
        for state in &self.threads {
            if let Some(c) = state.clock {
                self.all.join(&self.clocks[c]);
            }
        }
        self.yield_reads.clear();
        self.turns.clear();
        match self.first_yield {
            Some(y) if y < keep => {
                for (entry, &aux) in self.ops.iter().zip(&self.auxes) {
                    let &Some((q, op)) = entry else { continue };
                    self.yield_reads.step(q, &op, aux);
                    self.turns.step_flags(q, &op, aux);
                }
            }
            _ => self.first_yield = None,
        }
    }

    /// The clock of `thread` in the analysed steps (a copy).
    fn thread_clock(&self, thread: ThreadId) -> VClock {
        match self.threads.get(thread.index()).and_then(|s| s.clock) {
            Some(c) => self.clocks[c].clone(),
            None => VClock::default(),
        }
    }

    /// Analyses the first `analysed` steps of `execution`; races are looked
    /// for from step `first_new` on. The steps before `first_new` are those
    /// of the last analysed execution: what was computed for them is kept.
    fn run(
        &mut self,
        execution: &Execution,
        first_new: usize,
        analysed: usize,
        nodes: &mut [Node],
        bound: Option<usize>,
    ) {
        let start = first_new.min(self.valid).min(analysed);
        self.rewind(start);
        let mut partners: SmallVec<[usize; 8]> = SmallVec::new();
        let mut found: SmallVec<[usize; 8]> = SmallVec::new();
        for k in start..analysed {
            let event = execution.step(k);
            let EventKind::Step { op, reply, aux } = event.kind else { unreachable!("a step") };
            let q = event.thread;
            if self.threads.len() <= q.index() {
                self.threads.resize(q.index() + 1, ThreadState::default());
            }
            let position = self.threads[q.index()].count + 1;
            self.threads[q.index()].count = position;
            let leaves_free = match op {
                Op::Unpark { thread } => self.token(thread),
                _ => false,
            };
            match op {
                Op::Unpark { thread } => self.set_token(k, thread, true),
                Op::Park => self.set_token(k, q, false),
                _ => {}
            }
            let blocking = dependence::blocking(&op);
            let lock = lock_effect(&op, reply);
            let needs = lock_need(&op);
            self.steps.push(StepInfo { thread: q, position, blocking, leaves_free, lock, needs });
            if matches!(op, Op::Yield) && self.first_yield.is_none() {
                self.first_yield = Some(k);
                // Before the first yield no read is under the yield rule;
                // what the threads read before it is fed now.
                for (entry, &earlier_aux) in self.ops.iter().zip(&self.auxes) {
                    let &Some((t, earlier)) = entry else { continue };
                    self.yield_reads.step(t, &earlier, earlier_aux);
                }
            }
            let first_read = self.first_yield.is_some() && self.yield_reads.step(q, &op, aux);
            let pivot = dependence::is_pivot(&op, aux);
            let (wait, take) = self.turns.step_flags(q, &op, aux);
            self.names.push(Source::Step { thread: q, position });
            self.pivots.push(pivot);

            // Program order and causal edges: what the step waited for.
            let mut before = self.thread_clock(q);
            match op {
                Op::Join { thread } => {
                    if let Some(c) = self.threads[thread.index()].clock {
                        before.join(&self.clocks[c]);
                    }
                }
                // A wake-up that needs no notification is ordered after its
                // notify by dependence, so that the two race.
                Op::Relock { .. } if aux > 0 && !op.wakes_unnotified() => {
                    before.join(&self.clocks[aux as usize - 1])
                }
                _ => {}
            }
            // Dependence edges.
            // Races and happens-before see which store a read read (a read
            // of an older store does not race with the newer ones); sleep
            // sets and wakeup trees keep the unlabelled accesses, which
            // commute less: deviation 9 (`step_accesses` makes those again
            // from the step, as `v` and the node need them).
            let mut accesses: SmallVec<[Access; 4]> = SmallVec::new();
            dependence::accesses_into(q, &op, Some(reply), &mut accesses);
            dependence::turn_accesses_into(wait, take, &mut accesses);
            // A first read after a yield stays ordered against every store
            // of its atomic: the yield rule lets it read its old floor only
            // if that is the last store, so which stores ran before it
            // matters, not only the one it read.
            let from =
                if first_read { None } else { dependence::read_source(&self.names, &op, aux) };
            dependence::label(&mut accesses, self.names[k], from);
            self.ops.push(Some((q, op)));
            self.replies.push(reply);
            self.auxes.push(aux);
            self.turn_flags.push((wait, take));
            // A step that every analysed step happens before (a thread
            // running alone: the model's set-up before its first spawn, its
            // end after its joins) races with none of them, and the
            // dependence edges would join clocks it already covers.
            let alone = before.covers(&self.all);
            // A plain store that went before earlier stores in modification
            // order: which (deviation 10).
            let mut placed = std::mem::take(&mut self.placed);
            placed.clear();
            if let Op::Store { object, .. } = op
                && aux > 0
                && self.first_yield.is_none()
                && !alone
            {
                let slot = Self::slot(Target::Object(object));
                let mut next = self.last_write.get(slot).copied().flatten();
                let mut after = 0;
                while let Some(e) = next
                    && after < aux
                {
                    let entry = self.entries[e as usize];
                    next = entry.previous_write;
                    let AccessKind::Store { reads, .. } = entry.kind else { continue };
                    if execution.mo_before(k, entry.step as usize) == Some(true) {
                        after += 1;
                        if !reads {
                            placed.push(entry.step);
                        }
                    }
                }
            }
            self.placed = placed;
            let mut clock = before.clone();
            if !alone {
                for access in accesses.iter().filter(|a| self.may_depend(a)) {
                    self.join_dependencies(access, &mut clock, &self.placed);
                }
                if pivot {
                    clock.join(&self.all);
                } else if let Some(p) = self.last_pivot {
                    clock.join(&self.clocks[p]);
                }
            }
            clock.set(q, position);
            self.all.join(&clock);
            self.clocks.push(clock);

            if k >= first_new && !alone {
                found.clear();
                for access in &accesses {
                    if !self.may_depend(access) {
                        continue;
                    }
                    partners.clear();
                    self.races(k, access, &before, nodes, bound, &mut partners);
                    found.extend_from_slice(&partners);
                }
                self.pivot_races(k, pivot, &before, nodes, bound, &mut found);
            }
            if pivot {
                self.last_pivot = Some(k);
            }

            self.threads[q.index()].clock = Some(k);
            if let (Op::Spawn, Reply::Spawned(child)) = (op, reply) {
                if self.threads.len() <= child.index() {
                    self.threads.resize(child.index() + 1, ThreadState::default());
                }
                self.threads[child.index()] =
                    ThreadState { clock: Some(k), count: 0, spawn: Some(k) };
            }
            for access in &accesses {
                let slot = Self::entry_slot(access);
                if self.last_entry.len() <= slot {
                    self.last_entry.resize(slot + 1, None);
                    self.last_write.resize(slot + 1, None);
                }
                let e = self.entries.len() as u32;
                if access.target == Target::ScOrder && access.kind.is_barrier() {
                    self.last_sc_fence = Some(e);
                }
                let (previous, previous_write) = (self.last_entry[slot], self.last_write[slot]);
                self.entries.push(Entry {
                    step: k as u32,
                    kind: access.kind,
                    slot: slot as u32,
                    previous,
                    previous_write,
                });
                self.last_entry[slot] = Some(e);
                if !is_load(access.kind) {
                    self.last_write[slot] = Some(e);
                }
            }
        }
        self.valid = analysed;
    }

    /// For a read of `thread` about to run `op`, which may read the stores
    /// `sources` (per option, `k + 1` for the store of step `k`, 0 for the
    /// initial value): the options whose execution graph an execution with
    /// the read run earlier also builds (deviation 10), as a mask. An option
    /// is such when a store to the atomic ran before the read and would not
    /// happen before it (in DPOR's happens-before, with the read labelled
    /// with that option): the read could then run before that store and
    /// read the same, and that execution is the one explored. Every step
    /// before the read must be analysed. For a read-modify-write, `mo` is
    /// its atomic's modification order (the stores' steps, `None` for the
    /// initial value): reading a store, it goes before the ones after it.
    fn duplicate_reads(
        &self,
        thread: ThreadId,
        op: &Op,
        sources: &[u64],
        mo: Option<&[Option<u32>]>,
    ) -> u64 {
        // Turns and the yield rule's unlabelled reads add dependences this
        // does not compute: no skipping once the execution has yielded.
        if self.first_yield.is_some() {
            return 0;
        }
        let Some(object) = op.object() else { return 0 };
        let slot = Self::slot(Target::Object(object));
        let stores = self.last_write.get(slot).copied().flatten();
        if stores.is_none() {
            return 0;
        }
        let mut mask = 0u64;
        for (i, &source) in sources.iter().enumerate() {
            let from = match source {
                0 => Source::Initial,
                k => self.names[k as usize - 1],
            };
            // A read-modify-write goes right after what it reads, before
            // the stores after that (deviation 10, as a plain store).
            let mut placed: SmallVec<[u32; 4]> = SmallVec::new();
            if let Some(mo) = mo {
                let read = source.checked_sub(1).map(|k| k as u32);
                if let Some(at) = mo.iter().position(|&s| s == read) {
                    placed.extend(mo[at + 1..].iter().flatten().copied());
                }
            }
            let clock = self.clock_if_run(thread, op, Some(from), &placed);
            let mut next = stores;
            while let Some(e) = next {
                let entry = self.entries[e as usize];
                next = entry.previous_write;
                let AccessKind::Store { reads, .. } = entry.kind else { continue };
                if !self.before(entry.step as usize, &clock) {
                    mask |= 1 << i;
                    break;
                }
                // Every earlier store happens before a plain store that
                // went to the end of modification order.
                if !reads && self.barrier(&entry) {
                    break;
                }
            }
        }
        mask
    }

    /// The clock `thread`'s next step, an atomic `op` that reads `from`
    /// (and, a store, went before the stores `placed`), would get if
    /// it ran now: its thread's, the last pivot's, and those of the
    /// analysed steps it depends on.
    fn clock_if_run(
        &self,
        thread: ThreadId,
        op: &Op,
        from: Option<Source>,
        placed: &[u32],
    ) -> VClock {
        let position = self.threads.get(thread.index()).map_or(0, |t| t.count) + 1;
        let mut clock = self.thread_clock(thread);
        if let Some(p) = self.last_pivot {
            clock.join(&self.clocks[p]);
        }
        let mut accesses: SmallVec<[Access; 4]> = SmallVec::new();
        dependence::accesses_into(thread, op, None, &mut accesses);
        dependence::label(&mut accesses, Source::Step { thread, position }, from);
        for access in accesses.iter().filter(|a| self.may_depend(a)) {
            self.join_dependencies(access, &mut clock, placed);
        }
        clock
    }

    /// For a plain store of `thread` about to run `op`, whose options put
    /// it before `after[i]` of the stores made so far in modification order
    /// (`tail`: the steps of the last stores in modification order, as many
    /// as the most any option goes before): the options whose execution
    /// graph an execution with the store run earlier also builds (deviation
    /// 10), as a mask. An option is such when one of the stores it goes
    /// before would not happen before it (labelled so): the store could
    /// run before that one and go to the same place.
    fn duplicate_stores(
        &self,
        thread: ThreadId,
        op: &Op,
        after: &[u64],
        tail: &[Option<u32>],
    ) -> u64 {
        if self.first_yield.is_some() {
            return 0;
        }
        let mut mask = 0u64;
        for (i, &count) in after.iter().enumerate() {
            let count = count as usize;
            if count == 0 || count > tail.len() {
                continue;
            }
            let before_it = &tail[tail.len() - count..];
            let mut placed: SmallVec<[u32; 4]> = SmallVec::new();
            for &step in before_it.iter().flatten() {
                if let Some(Some((_, Op::Store { .. }))) = self.ops.get(step as usize) {
                    placed.push(step);
                }
            }
            let clock = self.clock_if_run(thread, op, None, &placed);
            if placed.iter().any(|&step| !self.before(step as usize, &clock)) {
                mask |= 1 << i;
            }
        }
        mask
    }

    /// What analysed step `k` did (its accesses, unlabelled, with its turns)
    /// and what it may do elsewhere: where a drop may be the last, and
    /// where the step may be another thread's first after its yield, and so
    /// take a turn.
    fn step_accesses(&self, k: usize) -> (Accesses, Accesses) {
        let (q, op) = self.ops[k].expect("an analysed step");
        let (wait, take) = self.turn_flags[k];
        let mut did = Accesses::new();
        dependence::accesses_into(q, &op, Some(self.replies[k]), &mut did);
        let mut may = if matches!(op, Op::ArcDrop { .. }) {
            let mut may = Accesses::new();
            dependence::accesses_into(q, &op, None, &mut may);
            may
        } else {
            did.clone()
        };
        dependence::turn_accesses_into(wait, take, &mut did);
        dependence::turn_accesses_into(wait, true, &mut may);
        (did, may)
    }

    /// Sets `thread`'s park token at step `k`, logging the change for
    /// [`Analysis::rewind`].
    fn set_token(&mut self, k: usize, thread: ThreadId, value: bool) {
        let before = self.token(thread);
        self.token_log.push((k, thread, before));
        *self.token_mut(thread) = value;
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

    /// The accesses of the target in `slot`, last first, down to the one
    /// at `from` in `entries`.
    fn target_entries(&self, slot: usize, from: u32) -> impl Iterator<Item = u32> + '_ {
        let last = self.last_entry.get(slot).copied().flatten();
        std::iter::successors(last, |&e| self.entries[e as usize].previous)
            .take_while(move |&e| e >= from)
    }

    /// The earlier accesses in `slot` that `access` may depend on, last
    /// first, down to the one at `from`: for a load, only those that are
    /// not loads.
    fn candidates(&self, slot: usize, from: u32, access: &Access) -> (Option<u32>, bool) {
        let load = is_load(access.kind);
        let table = if load { &self.last_write } else { &self.last_entry };
        (table.get(slot).copied().flatten().filter(|&e| e >= from), load)
    }

    /// The candidate after `e` (see [`Analysis::candidates`]).
    fn next_candidate(&self, e: u32, from: u32, load: bool) -> Option<u32> {
        let entry = &self.entries[e as usize];
        let next = if load { entry.previous_write } else { entry.previous };
        next.filter(|&e| e >= from)
    }

    /// May `access` depend on an earlier access at all? An SC access's read
    /// of the SC order depends only on SC fences: without one so far (most
    /// executions), nothing to scan.
    #[inline]
    fn may_depend(&self, access: &Access) -> bool {
        access.target != Target::ScOrder
            || access.kind != AccessKind::Read
            || self.last_sc_fence.is_some()
    }

    /// Where in `entries` the accesses `access` may depend on start: an SC
    /// access depends only on the SC fences of the SC order, all before the
    /// last one ordered by it, so the scan starts there instead of walking
    /// every SC access of the execution.
    fn scan_from(&self, access: &Access) -> u32 {
        if access.target != Target::ScOrder || access.kind != AccessKind::Read {
            return 0;
        }
        self.last_sc_fence.unwrap_or(self.entries.len() as u32)
    }

    /// Joins into `clock` the clocks of the earlier steps `access` depends on
    /// (the maximal ones suffice: the others happen before them).
    /// `placed`: for a plain store, the earlier plain stores of its atomic
    /// that it went before in modification order (deviation 10).
    fn join_dependencies(&self, access: &Access, clock: &mut VClock, placed: &[u32]) {
        let slot = Self::scan_slot(access);
        let from = self.scan_from(access);
        let mut maximal: SmallVec<[usize; 8]> = SmallVec::new();
        let (mut next, load) = self.candidates(slot, from, access);
        while let Some(e) = next {
            next = self.next_candidate(e, from, load);
            let entry = self.entries[e as usize];
            let i = entry.step as usize;
            if !self.depends(&entry, access, placed) {
                continue;
            }
            if !maximal.iter().any(|&m| self.before(i, &self.clocks[m])) {
                clock.join(&self.clocks[i]);
                maximal.push(i);
            }
            if self.barrier(&entry) {
                break;
            }
        }
    }

    /// Does `access`, run after the access `entry` records, depend on it?
    /// [`dependence::dependent`], except that a store commutes with an
    /// earlier plain store it went before in modification order (`placed`)
    /// and with a load that read one of those, unless both are SC: run
    /// first, it would go there too (deviation 10).
    fn depends(&self, entry: &Entry, access: &Access, placed: &[u32]) -> bool {
        let earlier = Access { target: access.target, kind: entry.kind };
        if placed.is_empty() {
            return dependence::dependent(&earlier, access);
        }
        if let (AccessKind::Store { reads: false, sc: a, .. }, AccessKind::Store { sc: b, .. }) =
            (entry.kind, access.kind)
            && !(a && b)
            && placed.contains(&entry.step)
        {
            return false;
        }
        // Nor does a load that read one of those stores: the store, run
        // first, would go before what the load read, which it still reads.
        if let (AccessKind::Load { from: Some(read), sc: a }, AccessKind::Store { sc: b, .. }) =
            (entry.kind, access.kind)
            && !(a && b)
            && placed.iter().any(|&p| self.names[p as usize] == read)
        {
            return false;
        }
        dependence::dependent(&earlier, access)
    }

    /// Does every later access of its target depend on `entry`'s, so that
    /// what it does not see no later one does either? A plain store that
    /// went before earlier stores in modification order commutes with
    /// them (deviation 10): not one.
    fn barrier(&self, entry: &Entry) -> bool {
        match entry.kind {
            // Only a plain store's access has `reads: false`; its `aux` is
            // how many earlier stores it went before.
            AccessKind::Store { reads: false, .. } => self.auxes[entry.step as usize] == 0,
            kind => kind.is_barrier(),
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
        let slot = Self::scan_slot(access);
        let blocking = self.steps[k].blocking;
        let from = self.scan_from(access);
        let (mut next, load) = self.candidates(slot, from, access);
        while let Some(e) = next {
            next = self.next_candidate(e, from, load);
            let entry = self.entries[e as usize];
            let i = entry.step as usize;
            if !self.depends(&entry, access, &self.placed) {
                continue;
            }
            let ordered =
                self.before(i, before) || partners.iter().any(|&m| self.before(i, &self.clocks[m]));
            // A blocking step can only take the place of a partner where its
            // lock or token would be free: a lock precedes an acquisition,
            // never the release it waited for (`reverse` checks locks). A
            // park may also precede an unpark if `v` brings another unpark
            // (unparks commute): see `reverse`.
            let park = matches!(self.ops[k], Some((_, Op::Park)));
            let free = self.steps[i].leaves_free;
            let lock = self.steps[k].needs.is_some();
            let possible = !blocking || free || park || lock;
            if !ordered {
                if possible && self.reverse(i, k, nodes, bound, park && !free) {
                    partners.push(i);
                } else if blocking {
                    // Look past a partner the blocking step could not precede.
                    continue;
                }
            }
            if self.barrier(&entry) {
                break;
            }
        }
    }

    /// Finds the races of step `k` that come from yields: a pivot races with
    /// every step of another thread since the last pivot, and with that one;
    /// any other step, with the last pivot. `found` holds the partners of its
    /// other races.
    fn pivot_races(
        &mut self,
        k: usize,
        pivot: bool,
        before: &VClock,
        nodes: &mut [Node],
        bound: Option<usize>,
        found: &mut SmallVec<[usize; 8]>,
    ) {
        let q = self.steps[k].thread;
        let candidates = match (pivot, self.last_pivot) {
            (true, last) => last.unwrap_or(0)..k,
            (false, Some(last)) => last..last + 1,
            (false, None) => return,
        };
        for i in candidates.rev() {
            if self.steps[i].thread == q {
                continue;
            }
            let ordered =
                self.before(i, before) || found.iter().any(|&m| self.before(i, &self.clocks[m]));
            if !ordered && self.reverse(i, k, nodes, bound, false) {
                found.push(i);
            }
        }
    }

    /// Reverses the race between steps `i` and `k`: inserts `v` (the steps
    /// after `i` that do not happen after it, then `k`) into the wakeup tree
    /// before `i`, or under a bound adds `v`'s initial threads there. Returns
    /// false if `v` cannot run there.
    ///
    /// With `needs_unpark`, `e'` is a park that only `v` can feed: `v` must
    /// hold an unpark of its thread's token.
    fn reverse(
        &mut self,
        i: usize,
        k: usize,
        nodes: &mut [Node],
        bound: Option<usize>,
        needs_unpark: bool,
    ) -> bool {
        let e = self.steps[i];
        self.first_in_v.clear();
        self.first_in_v.resize(self.threads.len(), 0);
        let mut initials: SmallVec<[ThreadId; 8]> = SmallVec::new();
        let mut v: Vec<Ev> = Vec::new();
        // Under a bound only the initials' first steps are used (source
        // sets), unless `v` must be searched for an unpark.
        let whole = bound.is_none() || needs_unpark;
        for l in (i + 1..k).chain(std::iter::once(k)) {
            let clock = &self.clocks[l];
            if l != k && clock.includes(e.thread, e.position) {
                continue;
            }
            let s = self.steps[l];
            let first = self.first_in_v[s.thread.index()] == 0;
            if whole || first {
                // Every step of `v` but the last keeps its predecessors, so
                // does what it did; the last moves before a step it
                // conflicts with, and may do otherwise (a CAS that failed
                // may succeed).
                let (did, may) = self.step_accesses(l);
                let accesses = if l == k { may.clone() } else { did };
                v.push(Ev { thread: s.thread, accesses, may, pivot: self.pivots[l] });
            }
            if !first {
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
        if let Some((lock, write)) = self.steps[k].needs {
            // The lock's state where `e'` would run: before `e`, then `v`'s
            // steps. Only steps that commute with `e` are in `v`, so if `e`
            // takes the write side none of them touches the lock.
            let mut state = [0i32; 2];
            let mut add = |l: usize| {
                if let Some((o, w, r)) = self.steps[l].lock
                    && o == lock
                {
                    state[0] += i32::from(w);
                    state[1] += i32::from(r);
                }
            };
            let slot = Self::slot(Target::Object(lock));
            for e in self.target_entries(slot, 0) {
                let l = self.entries[e as usize].step as usize;
                if l < i {
                    add(l);
                }
            }
            for l in i + 1..k {
                if !self.clocks[l].includes(e.thread, e.position) {
                    add(l);
                }
            }
            if state[0] > 0 || (write && state[1] > 0) {
                return false;
            }
        }
        if needs_unpark {
            let token = Target::Token(self.steps[k].thread);
            let fed = v[..v.len() - 1].iter().any(|ev| {
                ev.accesses.iter().any(|a| a.target == token && a.kind == AccessKind::Unpark)
            });
            if !fed {
                return false;
            }
        }
        let node = &mut nodes[i];
        if !initials.iter().all(|t| node.eligible.contains(t)) {
            return false;
        }
        if node.pruned {
            // The model stopped exploring here: the reversal is not explored,
            // on purpose (deviation 8).
            return true;
        }
        if bound.is_none() {
            // Optimal DPOR: nothing to do if a thread explored or asleep here
            // already leads `v`; else `v` joins the wakeup tree.
            if node.sleep.iter().chain(&node.explored).any(|q| weak_initial(&v, q)) {
                return true;
            }
            insert(&mut node.queue, v);
            return true;
        }
        Self::add_initials(node, &initials, &v, bound);
        // Coons et al.: also where the racing step's thread was switched in,
        // so that the reversal needs no extra preemption.
        let start =
            (0..=i).rev().find(|&b| b == 0 || self.steps[b - 1].thread != e.thread).unwrap_or(0);
        if start < i && !nodes[start].pruned {
            let node = &mut nodes[start];
            let here: SmallVec<[ThreadId; 8]> =
                initials.iter().copied().filter(|t| node.eligible.contains(t)).collect();
            Self::add_initials(node, &here, &v, bound);
        }
        true
    }

    /// Source sets under a bound: every allowed initial thread of `v`, not
    /// tried or queued here yet, becomes a one-step sequence to explore.
    fn add_initials(node: &mut Node, initials: &[ThreadId], v: &[Ev], bound: Option<usize>) {
        for &t in initials {
            let queued = node.queue.iter().any(|tree| tree.event.thread == t);
            if !queued && !node.tried(t) && Dpor::allowed(bound, node, t) {
                let event = v.iter().find(|e| e.thread == t).cloned().expect("an initial is in v");
                node.queue.push(WakeupTree { event, children: Vec::new() });
            }
        }
    }
}
