//! One execution's state and the semantics of every operation.
//!
//! [`Execution`] holds what the model threads share: threads' records,
//! objects, the trace, the first failure. It lives in a thread-local of the
//! engine's OS thread (see [`crate::rt`]), so that model threads reach it for
//! invisible work (binding an object, asking their own id) without
//! suspending, and the engine loop reaches it between resumes. Nobody holds a
//! borrow across a coroutine switch.
//!
//! Atomics follow RC11 ([`crate::memory`]): a load may read any store that
//! coherence and the SC order allow, a store may go anywhere in modification
//! order they allow; both are data decisions, whose first option is the
//! sequentially consistent one.

use std::any::Any;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::hb::{HappensBefore, SyncTarget};
use crate::ids::{ObjectId, ThreadId};
use crate::memory::{self, Choice, Memory};
use crate::objects::{ObjectState, ObjectTable};
use crate::op::{MemoryOrdering, Op, Pending, Reply, SourceLocation, ValueType};
use crate::report::{FailureKind, PanicRecord};
use crate::storage::Storage;
use crate::trace::{Event, EventKind};
use crate::vclock::ThreadSet;

/// What a model thread's body produced: its value, or its panic payload.
pub type ThreadResult = Result<Box<dyn Any>, Box<dyn Any + Send>>;

/// The closure of a thread being spawned, in transit from the spawning
/// thread to the engine.
pub(crate) struct SpawnRequest {
    pub(crate) name: Option<Arc<str>>,
    pub(crate) body: Box<dyn FnOnce() -> Box<dyn Any>>,
}

/// What the engine knows of one model thread.
pub(crate) struct ThreadRecord {
    pub(crate) name: Option<Arc<str>>,
    /// The operation it waits to run; `None` before it starts and once it
    /// has finished.
    pub(crate) pending: Option<Pending>,
    pub(crate) finished: bool,
    /// In a condvar wait: a notification has arrived.
    pub(crate) notified: bool,
    /// Its last step was a yield: switching away from it is no preemption.
    pub(crate) yielded: bool,
    /// The threads that were enabled when it last yielded and have taken no
    /// step since: while one of them is enabled, it may not run.
    pub(crate) waits_for: ThreadSet,
    /// After a wake-up without notification or token (a timeout): the
    /// threads that could run then, or could once it released its locks,
    /// and have taken no step since. While one of them is enabled, the
    /// thread may not time out again (it may still run, or be woken).
    pub(crate) timeout_waits_for: ThreadSet,
    /// Without eager timeouts: its timed wait or `park_timeout` may time
    /// out now, since no thread could run ([`Execution::release_timeouts`]).
    pub(crate) timeout_due: bool,
    pub(crate) park_token: bool,
    /// From its first panic until it finishes (a caught panic is not
    /// noticed: std's panic count is the OS thread's, shared by all).
    pub(crate) unwinding: bool,
    /// Every panic it raised, in order, caught ones included.
    pub(crate) panics: Vec<PanicRecord>,
    /// The index in `panics` of the panic that ended it: its body unwound
    /// to the end. `None` while it runs, and if it returned.
    pub(crate) died_of: Option<usize>,
    /// The step whose notification woke it from its condvar wait.
    pub(crate) woken_by: Option<usize>,
    pub(crate) result: Option<ThreadResult>,
    /// Its result was taken by `join`.
    pub(crate) joined: bool,
    /// Its `JoinHandle` was dropped without joining.
    pub(crate) detached: bool,
    /// How many `choose` and `rand` values it has drawn.
    pub(crate) draws: u64,
    /// What it did since its last yield, for spin detection.
    pub(crate) iteration: Iteration,
    /// It has yielded in this execution: it may spin.
    pub(crate) yielded_once: bool,
    /// Its stack at its last yield (empty: none yet, or spin detection off).
    pub(crate) yield_state: Vec<u8>,
    /// Its stack now, copied by the engine when it published a yield.
    pub(crate) yield_state_now: Vec<u8>,
    /// Stalled in a spin loop: it may not run until one of these atomics
    /// has a last store other than the one given (the one it read).
    pub(crate) stalled_on: SmallVec<[(ObjectId, memory::StoreId); 2]>,
    /// Spin detection in loops that do not yield ([`Execution::spin_yield`]).
    pub(crate) spin: SpinWatch,
    /// Its wait so far ([`Execution::soft_yield`]): since its last step
    /// other than a read, a fence or a yield (or its start), it read.
    pub(crate) wait_read: bool,
    /// ... and it yielded: a yield now is not the wait's first.
    pub(crate) wait_yielded: bool,
    /// Its last yield was the first of a wait.
    pub(crate) soft_yielded: bool,
}

/// A thread's run of read-only steps (atomic loads and failed
/// compare-exchanges, no yield, no cell write) and the read that repeats in
/// it: the head of a loop that may spin without yielding.
#[derive(Clone, Debug)]
pub(crate) struct SpinWatch {
    /// The reads since the head's last occurrence (or the run's start), by
    /// call site and atomic (the first few): one that comes again before
    /// the head does is the new head. A read of theirs or the head's
    /// copies the thread's state as it is published ([`crate::rt::load`],
    /// [`crate::rt::compare_exchange`]).
    sites: SmallVec<[(SourceLocation, ObjectId); SPIN_SITES]>,
    /// The read last seen to come again: the head of the loop the thread
    /// may be spinning in.
    head: Option<(SourceLocation, ObjectId)>,
    /// Its state at the head's last occurrence.
    state: Vec<u8>,
    /// Its state as it published the pending read (empty: not copied).
    pub(crate) state_now: Vec<u8>,
    /// What it did since the head's last occurrence.
    iteration: Iteration,
    /// The atomics it read since the try started (the head's last
    /// occurrence, or the engine's last yield): what the engine's yield
    /// covers ([`Memory::yielded_on`]).
    try_reads: SmallVec<[ObjectId; 4]>,
    /// The engine yielded before the pending read: the read runs next.
    yielded: bool,
}

/// How many reads of a run [`SpinWatch`] keeps.
pub(crate) const SPIN_SITES: usize = 4;

impl SpinWatch {
    fn new() -> Self {
        SpinWatch {
            sites: SmallVec::new(),
            head: None,
            state: Vec::new(),
            state_now: Vec::new(),
            iteration: Iteration::new(),
            try_reads: SmallVec::new(),
            yielded: false,
        }
    }

    /// The reads at which the thread copies its state: the head and
    /// [`SpinWatch::sites`], as many as fit.
    pub(crate) fn watched(&self) -> crate::rt::SpinReads {
        let mut out = [None; SPIN_SITES];
        for (slot, &read) in out.iter_mut().zip(self.head.iter().chain(&self.sites)) {
            *slot = Some(read);
        }
        out
    }

    /// Does the thread copy its state at any read?
    pub(crate) fn watching(&self) -> bool {
        self.head.is_some() || !self.sites.is_empty()
    }

    /// A step that is not a read ends the run.
    fn end_run(&mut self) {
        self.sites.clear();
        self.head = None;
        self.state_now.clear();
        self.try_reads.clear();
        self.yielded = false;
    }
}

/// What a thread did between two of its yields: a spin loop's iteration.
#[derive(Clone, Debug)]
pub(crate) struct Iteration {
    /// It only read atomics (loads, failed compare-exchanges), each time the
    /// last store in modification order.
    pub(crate) pure: bool,
    /// The atomics it read and the store it read of each.
    pub(crate) reads: SmallVec<[(ObjectId, memory::StoreId); 2]>,
}

impl Iteration {
    fn new() -> Self {
        Iteration { pure: true, reads: SmallVec::new() }
    }
}

impl ThreadRecord {
    fn new(name: Option<Arc<str>>) -> Self {
        ThreadRecord {
            name,
            pending: None,
            finished: false,
            notified: false,
            yielded: false,
            waits_for: ThreadSet::new(),
            timeout_waits_for: ThreadSet::new(),
            timeout_due: false,
            park_token: false,
            unwinding: false,
            panics: Vec::new(),
            died_of: None,
            woken_by: None,
            result: None,
            joined: false,
            detached: false,
            draws: 0,
            iteration: Iteration::new(),
            wait_read: false,
            wait_yielded: false,
            soft_yielded: false,
            yielded_once: false,
            yield_state: Vec::new(),
            yield_state_now: Vec::new(),
            stalled_on: SmallVec::new(),
            spin: SpinWatch::new(),
        }
    }

    /// A copy of everything but the thread's result, which the model owns.
    /// The name is copied too, not shared: it is a block of the model heap
    /// (the spawning thread made it), which a snapshot would keep alive.
    fn clone_core(&self) -> Self {
        ThreadRecord {
            name: self.name.as_deref().map(Arc::from),
            pending: self.pending,
            finished: self.finished,
            notified: self.notified,
            yielded: self.yielded,
            waits_for: self.waits_for.clone(),
            timeout_waits_for: self.timeout_waits_for.clone(),
            timeout_due: self.timeout_due,
            park_token: self.park_token,
            unwinding: self.unwinding,
            panics: self.panics.clone(),
            died_of: self.died_of,
            woken_by: self.woken_by,
            result: None,
            joined: self.joined,
            detached: self.detached,
            draws: self.draws,
            iteration: self.iteration.clone(),
            yielded_once: self.yielded_once,
            yield_state: self.yield_state.clone(),
            yield_state_now: self.yield_state_now.clone(),
            stalled_on: self.stalled_on.clone(),
            spin: self.spin.clone(),
            wait_read: self.wait_read,
            wait_yielded: self.wait_yielded,
            soft_yielded: self.soft_yielded,
        }
    }

    /// May a later decision of the engine compare a copy of this thread's
    /// stack bytes taken so far with one taken later (spin and yield
    /// stutters)? Copies compared with each other only are harmless here.
    fn holds_stack_copies(&self) -> bool {
        if self.finished {
            return false;
        }
        // The loop head's copy goes with the run of reads that set it: a new
        // run sets a new head with a new copy before comparing.
        let spin =
            self.spin.watching() && !(self.spin.state.is_empty() && self.spin.state_now.is_empty());
        // The last yield's copy is compared at the next only if no step in
        // between changed anything (`stutter`: a pure iteration), and a
        // pending yield's copy becomes the last yield's.
        let pending_yield = matches!(self.pending, Some(Pending { op: Op::Yield, .. }));
        let yields = !self.yield_state.is_empty() && self.iteration.pure
            || pending_yield && !self.yield_state_now.is_empty();
        spin || yields
    }
}

/// An execution's state at the top of a turn, which the engine restores
/// instead of executing again the steps before it (fast replay, see
/// `explore.rs`). What the model owns (thread results, storage, spawn
/// requests, discoveries) is not in it: the model's own run through those
/// steps rebuilds it.
pub(crate) struct Snapshot {
    /// Steps taken before it.
    pub(crate) steps: usize,
    trace: usize,
    answers: usize,
    draws: u64,
    threads: Vec<ThreadRecord>,
    objects: ObjectTable,
    hb: HappensBefore,
    memory: Memory,
    current: ThreadId,
    turns_waiting: bool,
    exploring: bool,
    skipping: bool,
    released_stalls: Option<String>,
    next_decision: usize,
}

/// The answers of the execution being replayed fast to its model's queries
/// of state that steps change (`peek`, `unsync_load`, `mutex_poisoned`),
/// as the execution that took the snapshot answered them.
pub(crate) struct FastForward {
    answers: Vec<u64>,
    next: usize,
    /// A query found no answer: the model asked more than it did then.
    overrun: bool,
}

/// The buffers of a finished run's execution that the next run on the same
/// OS thread reuses: a model's first execution would otherwise grow every
/// one of them from nothing (and fault in their pages), which costs a model
/// of one execution more than its steps do. Plain data only, emptied.
#[derive(Default)]
pub(crate) struct Spare {
    trace: Vec<Event>,
    steps: Vec<usize>,
    memory: Memory,
    hb: HappensBefore,
    objects: ObjectTable,
}

/// What the engine loop must do after an operation was executed.
pub(crate) enum Effect {
    /// Resume the thread with this reply.
    Resume(Reply),
    /// The thread stays suspended (it sleeps in a condvar wait).
    Block,
    /// Start this new thread, then resume the spawner with `Spawned`.
    Spawn(ThreadId),
}

/// A data decision the engine needs while executing an operation.
#[derive(Copy, Clone, Debug)]
pub struct ValuePoint {
    /// What is being decided.
    pub kind: ValueKind,
    /// How many alternatives: the answer is in `0..options`.
    pub options: u64,
    /// The thread whose operation needs it.
    pub thread: ThreadId,
    /// Where in the user's source.
    pub location: SourceLocation,
    /// Is the decision explored, or only taken once (after `stop_exploring`)?
    pub exploring: bool,
    /// The largest alternative: `options - 1`, except for a
    /// [`ValueKind::Random`] value of the full `u64` range, whose 2^64
    /// alternatives `options` cannot count (it is then `u64::MAX`).
    pub max: u64,
    /// For [`ValueKind::Random`]: the value systematic strategies take,
    /// derived from the run's seed, the thread, and how many values the
    /// thread drew before, so that it does not change when independent
    /// steps are reordered. 0 for the other kinds.
    pub sample: u64,
}

/// The kinds of data decision.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Which of a condvar's waiters `notify_one` wakes.
    Wake,
    /// Which store an atomic load (or a failing compare-exchange) reads:
    /// option 0 is the last in modification order.
    ReadsFrom,
    /// Where a store goes in its atomic's modification order: option 0 is
    /// the end.
    StorePosition,
    /// `nondet::choose(n)`: enumerated by systematic strategies.
    Choice,
    /// A `checker::rand` value in `0..=max`: one decision, sampled (not
    /// enumerated) by systematic strategies.
    Random,
    /// Whether a spinning thread stalls at its yield (1) or not (0): the
    /// engine decides (`sample`, see `Execution::stutter`), and strategies
    /// take its answer. Systematic strategies keep the first answer for
    /// every execution that shares the decisions before it: the engine
    /// decides from the thread's stack, where bytes no live variable holds
    /// can differ between executions and make equal states look unequal
    /// (never the other way), and an execution must be a function of its
    /// decisions. Never branched on.
    Stall,
    /// Whether a thread that repeats a read of a loop that does not yield,
    /// from the same state and with only reads since, yields before it (1)
    /// or not (0): the engine decides (`Execution::spin_yield`), and
    /// strategies keep its answer as for [`ValueKind::Stall`].
    SpinYield,
}

impl ValueKind {
    /// The engine answers it from the thread's state ([`ValuePoint::sample`]);
    /// strategies keep the answer rather than branch on it.
    pub(crate) fn engine_decides(self) -> bool {
        matches!(self, ValueKind::Stall | ValueKind::SpinYield)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            ValueKind::Wake => "wake",
            ValueKind::ReadsFrom => "reads-from",
            ValueKind::StorePosition => "store position",
            ValueKind::Choice => "choose",
            ValueKind::Random => "random",
            ValueKind::Stall => "spin stall",
            ValueKind::SpinYield => "spin yield",
        }
    }
}

/// The shared state of one execution.
pub struct Execution {
    pub(crate) generation: u64,
    pub(crate) threads: Vec<ThreadRecord>,
    pub(crate) objects: ObjectTable,
    pub(crate) trace: Vec<Event>,
    /// Index in `trace` of every step, in order.
    pub(crate) steps: Vec<usize>,
    /// The closure of each thread's pending spawn, by thread id (threads
    /// may have spawns pending at once).
    pub(crate) spawn_requests: Vec<Option<SpawnRequest>>,
    /// The thread whose step the engine is running, or that runs now.
    pub(crate) current: ThreadId,
    /// Invariant: false only while every thread's `waits_for` and
    /// `timeout_waits_for` are empty (the usual case: nobody yielded or timed
    /// out), which lets a step skip them.
    pub(crate) turns_waiting: bool,
    /// The execution failed: operations no longer switch threads and never
    /// block; the engine stops at the next chance.
    pub(crate) teardown: bool,
    pub(crate) failure: Option<(FailureKind, String)>,
    /// Happens-before as the execution runs, and the race detector.
    pub(crate) hb: HappensBefore,
    /// The atomics' stores and the graph RC11 checks.
    pub(crate) memory: Memory,
    /// Allocations, lazy statics and thread locals of the model.
    pub(crate) storage: Storage,
    /// Every thread has finished and the lazy statics are being dropped:
    /// operations run at once, as in teardown, but the execution has not failed.
    pub(crate) finalizing: bool,
    /// Condvar waits and parks may wake without a notification or token
    /// (`Config::spurious_wakeups`). Kept across executions.
    pub(crate) spurious_wakeups: bool,
    /// A spin loop whose iteration changed nothing stalls until an atomic
    /// it read changes (`Config::spin_assume`). Kept across executions.
    pub(crate) spin_assume: bool,
    /// A compare-exchange may read a store older than the last
    /// (`Config::reads_stale_cas`). Kept across executions.
    pub(crate) stale_cas: bool,
    /// A timed wait or `park_timeout` may time out at any step
    /// (`Config::times_out_eagerly`); otherwise only once no thread can
    /// run. Kept across executions.
    pub(crate) eager_timeouts: bool,
    /// What the stalled threads waited for when no thread could run and
    /// their stalls were released ([`Execution::release_stalls`]): from
    /// then on no thread stalls in this execution, and if it reaches the
    /// step bound this is reported as their livelock.
    pub(crate) released_stalls: Option<String>,
    /// The atomic and store the step being executed read, when it was a
    /// pure read (a load, a failed compare-exchange).
    last_read: Option<(ObjectId, memory::StoreId)>,
    /// The read being executed starts a try of a spin loop ([`SPIN_TRY`]).
    try_start: bool,
    /// The thread side's spin reads ([`crate::rt::set_spin_reads`]) are
    /// not empty.
    spin_reads_set: bool,
    /// Are the scheduling and data decisions of this execution explored
    /// (branched on)? `stop_exploring` clears it, `explore` sets it again;
    /// strategies take one choice, and add no backtracking, where it is off.
    pub(crate) exploring: bool,
    /// `skip_branch` was called: nothing more of this execution is explored.
    pub(crate) skipping: bool,
    /// What `exploring` starts as in every execution (off with
    /// `Config::expect_explicit_explore`). Kept across executions.
    pub(crate) explore_on_start: bool,
    /// The run's seed: systematic strategies take `rand` values derived
    /// from it ([`ValuePoint::sample`]). Kept across executions.
    pub(crate) seed: u64,
    /// `rand` values drawn in this run, all executions together.
    pub(crate) random_draws: u64,
    /// The assertion marks of the run and the novelty store. Kept across
    /// executions.
    pub(crate) assertions: crate::assertions::Registry,
    /// What this execution discovered, in order; the engine takes each
    /// after the step in which it happened.
    pub(crate) discoveries: Vec<crate::assertions::Discovery>,
    /// The index of the execution's next decision: set by the engine
    /// before it resumes a thread (anything that records a decision from a
    /// running thread must advance it too).
    pub(crate) next_decision: usize,
    /// For the reads-from decision being asked, per option, the store it
    /// reads: `k + 1` for the store of step `k`, 0 for the initial value
    /// (see [`Execution::read_sources`]).
    read_sources: SmallVec<[u64; 4]>,
    /// The atomic operation whose decision is being asked.
    deciding: Option<Op>,
    /// This execution's answers to the model's queries of state that steps
    /// change, in order ([`Execution::answer`]).
    pub(crate) answers: Vec<u64>,
    /// Set while the model runs through steps the engine will restore from
    /// a snapshot rather than execute ([`Execution::fast_forwarding`]).
    fast: Option<FastForward>,
    /// `random_draws` when the execution started.
    draws_at_start: u64,
}

impl Execution {
    pub(crate) fn new() -> Self {
        Execution {
            generation: 0,
            threads: Vec::new(),
            objects: ObjectTable::default(),
            // Room for a typical execution from the start (see `Dpor::new`).
            trace: Vec::with_capacity(256),
            steps: Vec::with_capacity(256),
            spawn_requests: Vec::new(),
            current: ThreadId::MAIN,
            turns_waiting: false,
            teardown: false,
            failure: None,
            hb: HappensBefore::default(),
            memory: Memory::default(),
            storage: Storage::default(),
            finalizing: false,
            spurious_wakeups: false,
            spin_assume: false,
            stale_cas: true,
            eager_timeouts: true,
            released_stalls: None,
            last_read: None,
            try_start: false,
            spin_reads_set: false,
            exploring: true,
            skipping: false,
            read_sources: SmallVec::new(),
            deciding: None,
            answers: Vec::new(),
            fast: None,
            draws_at_start: 0,
            explore_on_start: true,
            seed: crate::rng::DEFAULT_SEED,
            random_draws: 0,
            assertions: crate::assertions::Registry::default(),
            discoveries: Vec::new(),
            next_decision: 0,
        }
    }

    /// An execution for a new run that reuses the buffers a finished run
    /// left (see [`Spare`]): their allocations, not their contents.
    pub(crate) fn with_spare(spare: Spare) -> Self {
        let Spare { trace, steps, memory, hb, objects } = spare;
        Execution { trace, steps, memory, hb, objects, ..Execution::new() }
    }

    /// The buffers of this execution worth keeping for the next run on this
    /// OS thread; the rest (user values among them) is dropped.
    pub(crate) fn into_spare(mut self) -> Spare {
        self.trace.clear();
        self.steps.clear();
        self.memory.reset();
        self.hb.reset();
        self.objects.clear();
        Spare {
            trace: std::mem::take(&mut self.trace),
            steps: std::mem::take(&mut self.steps),
            memory: std::mem::take(&mut self.memory),
            hb: std::mem::take(&mut self.hb),
            objects: std::mem::take(&mut self.objects),
        }
    }

    /// Leaves `thread`'s spawn request for its `Op::Spawn` to take.
    pub(crate) fn request_spawn(&mut self, thread: ThreadId, request: SpawnRequest) {
        let i = thread.index();
        if self.spawn_requests.len() <= i {
            self.spawn_requests.resize_with(i + 1, || None);
        }
        self.spawn_requests[i] = Some(request);
    }

    /// Takes `thread`'s spawn request.
    pub(crate) fn take_spawn_request(&mut self, thread: ThreadId) -> Option<SpawnRequest> {
        self.spawn_requests.get_mut(thread.index()).and_then(Option::take)
    }

    /// Forgets the previous execution, keeping allocations.
    pub(crate) fn reset(&mut self, generation: u64) {
        self.generation = generation;
        crate::rt::set_generation(generation);
        self.threads.clear();
        // Unnamed, as in loom (std names it "main"); reports call it `main`.
        self.threads.push(ThreadRecord::new(None));
        self.objects.clear();
        self.trace.clear();
        self.steps.clear();
        self.spawn_requests.clear();
        self.current = ThreadId::MAIN;
        self.turns_waiting = false;
        self.teardown = false;
        self.failure = None;
        self.hb.reset();
        self.memory.reset();
        self.storage.reset();
        self.finalizing = false;
        self.exploring = self.explore_on_start;
        self.skipping = false;
        self.discoveries.clear();
        self.next_decision = 0;
        self.released_stalls = None;
        self.try_start = false;
        // No read of the last execution's threads is watched in this one.
        self.spin_reads_set = false;
        crate::rt::set_spin_reads([None; SPIN_SITES]);
        self.answers.clear();
        self.fast = None;
        self.draws_at_start = self.random_draws;
    }

    /// Is the model running through steps that the engine will restore from
    /// a snapshot instead of executing? Then the state that steps change is
    /// not kept: the model's calls that are not steps leave it alone, and
    /// its queries get the answers of the execution that took the snapshot.
    #[inline]
    pub(crate) fn fast_forwarding(&self) -> bool {
        self.fast.is_some()
    }

    /// The answer to a query of the model whose result depends on the steps
    /// run so far, computed by `compute` and recorded; while fast
    /// forwarding, the recorded one.
    pub(crate) fn answer(&mut self, compute: impl FnOnce(&mut Execution) -> u64) -> u64 {
        if let Some(fast) = &mut self.fast {
            let answer = fast.answers.get(fast.next).copied();
            fast.next += 1;
            fast.overrun |= answer.is_none();
            return answer.unwrap_or(0);
        }
        let answer = compute(self);
        self.answers.push(answer);
        answer
    }

    /// May a snapshot be taken here: no engine decision to come depends on
    /// a copy of a thread's stack bytes? Those bytes hold what the model's
    /// earlier calls left in padding, which fast forwarding (whose calls
    /// take other paths) would not reproduce.
    pub(crate) fn snapshot_allowed(&self) -> bool {
        self.failure.is_none()
            && !self.teardown
            && !self.finalizing
            && !self.threads.iter().any(ThreadRecord::holds_stack_copies)
    }

    /// The state at the top of this turn, as [`Execution::restore`] needs
    /// it; into the buffers of `spare`, a snapshot no longer needed, if any.
    pub(crate) fn snapshot(&self, spare: Option<Snapshot>) -> Snapshot {
        let mut s = spare.unwrap_or_else(|| Snapshot {
            steps: 0,
            trace: 0,
            answers: 0,
            draws: 0,
            threads: Vec::new(),
            objects: ObjectTable::default(),
            hb: HappensBefore::default(),
            memory: Memory::default(),
            current: ThreadId::MAIN,
            turns_waiting: false,
            exploring: true,
            skipping: false,
            released_stalls: None,
            next_decision: 0,
        });
        s.steps = self.steps.len();
        s.trace = self.trace.len();
        s.answers = self.answers.len();
        s.draws = self.random_draws - self.draws_at_start;
        s.threads.clear();
        s.threads.extend(self.threads.iter().map(ThreadRecord::clone_core));
        s.objects.clone_from(&self.objects);
        s.hb.clone_from(&self.hb);
        s.memory.clone_from(&self.memory);
        s.current = self.current;
        s.turns_waiting = self.turns_waiting;
        s.exploring = self.exploring;
        s.skipping = self.skipping;
        s.released_stalls.clone_from(&self.released_stalls);
        s.next_decision = self.next_decision;
        s
    }

    /// Starts fast forwarding the fresh execution to a snapshot taken by an
    /// earlier execution; `answers` are that execution's
    /// ([`Execution::answer`]).
    pub(crate) fn begin_fast_forward(&mut self, answers: Vec<u64>) {
        self.fast = Some(FastForward { answers, next: 0, overrun: false });
    }

    /// Ends fast forwarding at `snapshot`: the model's threads stand where
    /// they stood when it was taken, and the state that steps change is
    /// restored from it, with the prefix of the earlier execution's `trace`
    /// and `steps` (swapped in). What the model owns stays as its run made
    /// it. An error names how the model's run differed from the earlier
    /// one (the model is not deterministic).
    pub(crate) fn restore(
        &mut self,
        snapshot: &Snapshot,
        trace: &mut Vec<Event>,
        steps: &mut Vec<usize>,
    ) -> Result<(), String> {
        let fast = self.fast.take().expect("fast forwarding");
        let at = snapshot.steps + 1;
        if fast.overrun || fast.next != snapshot.answers {
            return Err(format!(
                "the model's queries of shared state (`get_mut`, `into_inner`, `unsync_load`, \
                 a lock's poison flag) before step {at} numbered {} where they numbered {} \
                 before",
                fast.next, snapshot.answers
            ));
        }
        if let Some((_, message)) = &self.failure {
            return Err(format!(
                "the same earlier decisions ended the execution before step {at}: {message}"
            ));
        }
        if self.threads.len() != snapshot.threads.len() {
            return Err(format!(
                "the same earlier decisions led to {} threads at step {at} where they led to {} \
                 before",
                self.threads.len(),
                snapshot.threads.len()
            ));
        }
        for (i, (now, then)) in self.threads.iter().zip(&snapshot.threads).enumerate() {
            // A blocked thread's operation may have changed kind (a wait
            // becomes its relock) where the fast run left it as published.
            let site = |p: &Option<Pending>| p.map(|p| p.location);
            if site(&now.pending) != site(&then.pending) || now.finished != then.finished {
                return Err(format!(
                    "the same earlier decisions left thread {i} at another operation at step \
                     {at} than before"
                ));
            }
        }
        if self.objects.records.len() != snapshot.objects.records.len() {
            return Err(format!(
                "the same earlier decisions created {} shared objects before step {at} where \
                 they created {} before",
                self.objects.records.len(),
                snapshot.objects.records.len()
            ));
        }
        for (record, then) in self.threads.iter_mut().zip(&snapshot.threads) {
            let result = record.result.take();
            *record = then.clone_core();
            record.result = result;
        }
        self.objects.clone_from(&snapshot.objects);
        self.hb.clone_from(&snapshot.hb);
        self.memory.clone_from(&snapshot.memory);
        std::mem::swap(&mut self.trace, trace);
        self.trace.truncate(snapshot.trace);
        std::mem::swap(&mut self.steps, steps);
        self.steps.truncate(snapshot.steps);
        self.answers = fast.answers;
        self.answers.truncate(snapshot.answers);
        self.current = snapshot.current;
        self.turns_waiting = snapshot.turns_waiting;
        self.exploring = snapshot.exploring;
        self.skipping = snapshot.skipping;
        self.released_stalls.clone_from(&snapshot.released_stalls);
        self.next_decision = snapshot.next_decision;
        self.random_draws += snapshot.draws;
        // The model's run set no read to copy its state at (its threads'
        // records were fresh); the next resume sets those of the restored
        // records.
        self.spin_reads_set = false;
        Ok(())
    }

    /// Adds the record of a thread that a fast-forwarded spawn created; its
    /// id.
    pub(crate) fn add_thread(&mut self, name: Option<Arc<str>>) -> ThreadId {
        self.threads.push(ThreadRecord::new(name));
        ThreadId(self.threads.len() as u32 - 1)
    }

    /// Are this execution's decisions explored here, or only taken once
    /// (after `stop_exploring` or `skip_branch`)?
    pub fn exploring(&self) -> bool {
        self.exploring
    }

    /// The events of the execution so far (steps and markers), in order.
    pub fn trace(&self) -> &[Event] {
        &self.trace
    }

    /// The `n`-th step of the execution so far.
    pub fn step(&self, n: usize) -> &Event {
        &self.trace[self.steps[n]]
    }

    /// How many steps the execution has taken.
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// Each store's place in its atomic's modification order, by the step
    /// that made it (the initial value is place 0).
    pub(crate) fn mo_positions(&self) -> fxhash::FxHashMap<u32, u32> {
        self.memory.positions_by_step().collect()
    }

    /// Records the first failure of the execution and stops it.
    pub(crate) fn fail(&mut self, kind: FailureKind, message: String) {
        if self.failure.is_none() {
            self.failure = Some((kind, message));
        }
        self.teardown = true;
    }

    /// Can `thread`'s pending operation run now?
    #[inline]
    pub(crate) fn enabled(&self, thread: ThreadId) -> bool {
        let record = &self.threads[thread.index()];
        let Some(pending) = &record.pending else { return false };
        if !record.stalled_on.is_empty()
            && record.stalled_on.iter().all(|&(o, s)| self.memory.last(o) == s)
        {
            return false;
        }
        match pending.op {
            Op::Lock { object } => self.holder(object).is_none(),
            Op::Relock { mutex, timed, spurious, .. } => {
                let unnotified = spurious || timed && (self.eager_timeouts || record.timeout_due);
                (record.notified || unnotified) && self.holder(mutex).is_none()
            }
            Op::TryPark { timed: true } if !self.eager_timeouts => {
                record.park_token || record.timeout_due
            }
            Op::ReadLock { object } => self.rwlock(object).0.is_none(),
            Op::WriteLock { object } => {
                let (writer, readers) = self.rwlock(object);
                writer.is_none() && readers.is_empty()
            }
            Op::Join { thread } => self.threads[thread.index()].finished,
            Op::Park => record.park_token,
            _ => true,
        }
    }

    fn holder(&self, mutex: ObjectId) -> Option<ThreadId> {
        match self.objects.records[mutex.index()].state {
            ObjectState::Mutex { holder, .. } => holder,
            _ => None,
        }
    }

    /// An rwlock's writer and readers.
    fn rwlock(&self, object: ObjectId) -> (Option<ThreadId>, &[ThreadId]) {
        match &self.objects.records[object.index()].state {
            ObjectState::RwLock { writer, readers, .. } => (*writer, readers),
            other => unreachable!("rwlock access to {other:?}"),
        }
    }

    /// The threads a strategy may pick next, the last-run thread first when
    /// it may go on. A thread that yielded is left out while a thread that
    /// was enabled at its yield is enabled and has not taken a step since:
    /// the fair scheduler of Musuvathi and Qadeer (PLDI 2008), under which
    /// spin loops end as soon as the threads they wait for can run.
    pub(crate) fn eligible(&self, last: Option<ThreadId>, out: &mut SmallVec<[ThreadId; 8]>) {
        out.clear();
        let mut enabled = 0;
        for (i, record) in self.threads.iter().enumerate() {
            let t = ThreadId(i as u32);
            if !self.enabled(t) {
                continue;
            }
            enabled += 1;
            if !self.turns_waiting {
                out.push(t);
                continue;
            }
            let waits_for = &record.waits_for;
            let timeouts = &record.timeout_waits_for;
            let fair = (waits_for.is_empty() || !waits_for.iter().any(|u| self.enabled(u)))
                && (timeouts.is_empty()
                    || !self.would_time_out(t)
                    || !timeouts.iter().any(|u| self.enabled(u)));
            if fair {
                out.push(t);
            }
        }
        if out.is_empty() && enabled > 0 {
            let threads = self.threads.len() as u32;
            out.extend((0..threads).map(ThreadId).filter(|&t| self.enabled(t)));
        }
        if let Some(last) = last
            && let Some(pos) = out.iter().position(|&t| t == last)
        {
            out[..=pos].rotate_right(1);
        }
    }

    /// A thread published the operation it wants to run next. Some misuse is
    /// caught here, before the thread could block forever.
    pub(crate) fn publish(&mut self, thread: ThreadId, pending: Pending) {
        if let Op::Lock { object } = pending.op
            && self.holder(object) == Some(thread)
        {
            let label = self.objects.label(object);
            let msg = format!(
                "{} locked {label} at {} while already holding it: this deadlocks in std \
                 (a Mutex is not reentrant)",
                self.thread_label(thread),
                crate::report::location(pending.location)
            );
            self.fail(FailureKind::MutexRelocked, msg);
        }
        if let Op::ReadLock { object } | Op::WriteLock { object } = pending.op {
            let (writer, readers) = self.rwlock(object);
            let write = matches!(pending.op, Op::WriteLock { .. });
            let held = if writer == Some(thread) {
                Some("the write lock")
            } else if write && readers.contains(&thread) {
                Some("a read lock")
            } else {
                None
            };
            if let Some(held) = held {
                let label = self.objects.label(object);
                let msg = format!(
                    "{} {}-locked {label} at {} while already holding {held} on it: this \
                     deadlocks in std (an RwLock is not reentrant, and a read lock cannot be \
                     upgraded)",
                    self.thread_label(thread),
                    if write { "write" } else { "read" },
                    crate::report::location(pending.location)
                );
                self.fail(FailureKind::RwLockRelocked, msg);
            }
        }
        self.threads[thread.index()].pending = Some(pending);
    }

    /// Executes `thread`'s pending operation. `decide` answers the data
    /// decisions the operation needs.
    pub(crate) fn execute(
        &mut self,
        thread: ThreadId,
        decide: &mut dyn FnMut(
            &Execution,
            ValuePoint,
        ) -> Result<u64, crate::strategy::StrategyError>,
    ) -> Result<Effect, crate::strategy::StrategyError> {
        let record = &mut self.threads[thread.index()];
        let mut pending = record.pending.take().expect("a pending operation");
        // A read that repeats a loop's state: the engine may yield first,
        // and run the read at the thread's next turn.
        let mut deferred = None;
        if (record.spin.yielded || !record.spin.state_now.is_empty())
            && self.spin_yield(thread, &pending, decide)?
        {
            deferred = Some(pending);
            pending = Pending { op: Op::Yield, location: pending.location };
        }
        let record = &mut self.threads[thread.index()];
        let due = std::mem::take(&mut record.timeout_due);
        if let Op::Relock { timed: timed @ true, .. } = &mut pending.op {
            // A timed wait woken before its timeout could pass is a plain
            // wake-up: it could not have timed out here.
            *timed = self.eager_timeouts || due;
        }
        self.current = thread;
        // The threads that wait for this one to take a step stop waiting.
        if self.turns_waiting {
            for record in &mut self.threads {
                record.waits_for.remove(thread);
                record.timeout_waits_for.remove(thread);
            }
            self.turns_waiting = self
                .threads
                .iter()
                .any(|r| !r.waits_for.is_empty() || !r.timeout_waits_for.is_empty());
        }
        // A thread's wait for its turn ends with the step it waited to
        // take (a yield below starts a new one): the threads it waited for
        // and did not step order nothing after it. DPOR's `YieldTurns`
        // relies on this.
        let record = &mut self.threads[thread.index()];
        record.yielded = false;
        record.waits_for = ThreadSet::new();
        record.stalled_on.clear();
        self.last_read = None;
        let soft = deferred.is_none() && pending.op == Op::Yield && self.soft_yield(thread);
        let mut aux = 0;
        let effect = match pending.op {
            // The first yield of a wait: the yield rule, but no turn, and
            // no free switch (`yielded` stays false).
            Op::Yield if soft => {
                let clock = self.hb.clock(thread).clone();
                self.memory.yielded(thread, &clock);
                Effect::Resume(Reply::Done)
            }
            Op::Notify { condvar, all } => {
                let waiters = match self.objects.state(condvar) {
                    ObjectState::Condvar { waiters } => std::mem::take(waiters),
                    _ => unreachable!("notify on a condvar"),
                };
                let mut rest = waiters;
                let step = self.steps.len();
                if all {
                    aux = rest.len() as u64;
                    for w in rest.drain(..) {
                        self.threads[w.index()].notified = true;
                        self.threads[w.index()].woken_by = Some(step);
                    }
                } else if !rest.is_empty() {
                    let pick = if rest.len() == 1 {
                        0
                    } else {
                        let point = ValuePoint {
                            kind: ValueKind::Wake,
                            options: rest.len() as u64,
                            thread,
                            location: pending.location,
                            exploring: self.exploring,
                            max: rest.len() as u64 - 1,
                            sample: 0,
                        };
                        decide(self, point)? as usize
                    };
                    let woken = rest.remove(pick);
                    aux = u64::from(woken.0) + 1;
                    self.threads[woken.index()].notified = true;
                    self.threads[woken.index()].woken_by = Some(step);
                }
                if let ObjectState::Condvar { waiters } = self.objects.state(condvar) {
                    *waiters = rest;
                }
                Effect::Resume(Reply::Done)
            }
            op @ (Op::Load { .. }
            | Op::Store { .. }
            | Op::Rmw { .. }
            | Op::CompareExchange { .. }) => {
                let ty = self.touch_atomic(op);
                let options = self.atomic_options(thread, op);
                let pick = if options.len() <= 1 {
                    0
                } else {
                    let kind = match op {
                        Op::Store { .. } => ValueKind::StorePosition,
                        _ => ValueKind::ReadsFrom,
                    };
                    self.read_sources.clear();
                    let end = self.memory.end(op.object().expect("an atomic"));
                    for c in &options {
                        match *c {
                            memory::Choice::Read(s) => {
                                let step = self.memory.step_of(s).map_or(0, |k| u64::from(k) + 1);
                                self.read_sources.push(step);
                            }
                            memory::Choice::At(at) => self.read_sources.push(u64::from(end - at)),
                        }
                    }
                    let point = ValuePoint {
                        kind,
                        options: options.len() as u64,
                        thread,
                        location: pending.location,
                        exploring: self.exploring,
                        max: options.len() as u64 - 1,
                        sample: 0,
                    };
                    self.deciding = Some(op);
                    let pick = decide(self, point);
                    self.deciding = None;
                    pick? as usize
                };
                let (reply, source) = self.atomic_step(thread, op, ty, options.get(pick).copied());
                aux = source;
                Effect::Resume(reply)
            }
            Op::Choose { max, random } => {
                let sample = self.draw(thread, max, random);
                let value = if max == 0 {
                    0
                } else {
                    let point = ValuePoint {
                        kind: if random { ValueKind::Random } else { ValueKind::Choice },
                        options: max.saturating_add(1),
                        thread,
                        location: pending.location,
                        exploring: self.exploring,
                        max,
                        sample,
                    };
                    let value = decide(self, point)?;
                    debug_assert!(value <= max, "strategies pick within the span");
                    value
                };
                Effect::Resume(Reply::Value(value))
            }
            Op::Relock { .. } => {
                // The notification that woke the thread: an edge of
                // happens-before for partial-order reduction.
                aux = self.threads[thread.index()].woken_by.take().map_or(0, |s| s as u64 + 1);
                self.apply(thread, pending.op, pending.location)
            }
            op => self.apply(thread, op, pending.location),
        };
        // A loop that waits with a timeout polls: fairly, as a spin loop
        // that yields, so that it ends once the threads it waits for can run
        // (see `eligible`). Taking no turn right away keeps what the thread
        // does just after a timeout.
        if crate::dependence::may_time_out(&pending.op) {
            let timed_out =
                matches!(effect, Effect::Resume(Reply::TimedOut { .. } | Reply::Value(0)));
            let mut others = ThreadSet::new();
            if timed_out {
                for u in (0..self.threads.len() as u32).map(ThreadId) {
                    if u != thread && (self.enabled(u) || self.blocked_by(u, thread)) {
                        others.insert(u);
                    }
                }
            }
            self.turns_waiting |= !others.is_empty();
            self.threads[thread.index()].timeout_waits_for = others;
        }
        if self.spin_assume {
            if soft {
                let record = &mut self.threads[thread.index()];
                record.yielded_once = true;
                std::mem::swap(&mut record.yield_state, &mut record.yield_state_now);
                record.iteration = Iteration::new();
                aux = YIELD_SOFT;
            } else if pending.op == Op::Yield {
                aux = self.stutter(thread, pending.location, decide)?;
                if deferred.is_some() {
                    aux |= YIELD_IMPLICIT;
                } else {
                    self.threads[thread.index()].spin.end_run();
                }
            } else {
                let read = self.last_read.is_some();
                self.note_iteration(thread, pending.location, aux);
                let record = &mut self.threads[thread.index()];
                if read {
                    record.wait_read = true;
                } else if pending.op != Op::Fence {
                    record.wait_read = false;
                    record.wait_yielded = false;
                }
            }
            if pending.op == Op::Yield {
                let record = &mut self.threads[thread.index()];
                record.wait_yielded = true;
                record.soft_yielded = soft;
                if soft {
                    record.spin.end_run();
                }
            }
        }
        let reply = match effect {
            Effect::Resume(reply) => reply,
            Effect::Spawn(child) => Reply::Spawned(child),
            Effect::Block => Reply::Done,
        };
        if std::mem::take(&mut self.try_start) {
            aux |= SPIN_TRY;
        }
        self.synchronise(thread, pending, reply);
        self.steps.push(self.trace.len());
        self.trace.push(Event {
            thread,
            kind: EventKind::Step { op: pending.op, reply, aux },
            location: pending.location,
        });
        if self.spin_assume {
            let record = &self.threads[thread.index()];
            crate::coroutine::set_scrub(record.yielded_once);
            self.publish_spin_reads(thread);
        }
        if let Some(read) = deferred {
            // The thread did not run: its read is still to come.
            self.threads[thread.index()].pending = Some(read);
            return Ok(Effect::Block);
        }
        Ok(effect)
    }

    /// The happens-before edges of a step that ran, and its race check
    /// (an atomic write against `unsync_load`s); then the thread's epoch
    /// advances. Values are not affected.
    fn synchronise(&mut self, thread: ThreadId, pending: Pending, reply: Reply) {
        let hb = &mut self.hb;
        let mut wrote = None;
        match pending.op {
            // The memory model did the synchronisation of atomics.
            Op::Store { object, .. } | Op::Rmw { object, .. } => wrote = Some(object),
            Op::CompareExchange { object, .. }
                if matches!(reply, Reply::Exchange { ok: true, .. }) =>
            {
                wrote = Some(object)
            }
            Op::Lock { object } | Op::Relock { mutex: object, .. } => {
                hb.acquire(thread, SyncTarget::Object(object))
            }
            Op::TryLock { object } if matches!(reply, Reply::TryLocked { acquired: true, .. }) => {
                hb.acquire(thread, SyncTarget::Object(object))
            }
            Op::Unlock { object, .. } | Op::Wait { mutex: object, .. } => {
                hb.release(thread, SyncTarget::Object(object))
            }
            // Readers do not order each other: a read unlock releases into
            // `Readers`, which only a write lock acquires.
            Op::ReadLock { object } => hb.acquire(thread, SyncTarget::Object(object)),
            Op::TryRead { object } if matches!(reply, Reply::TryLocked { acquired: true, .. }) => {
                hb.acquire(thread, SyncTarget::Object(object))
            }
            Op::WriteLock { object } => {
                hb.acquire(thread, SyncTarget::Object(object));
                hb.acquire(thread, SyncTarget::Readers(object));
            }
            Op::TryWrite { object } if matches!(reply, Reply::TryLocked { acquired: true, .. }) => {
                hb.acquire(thread, SyncTarget::Object(object));
                hb.acquire(thread, SyncTarget::Readers(object));
            }
            Op::ReadUnlock { object } => hb.release(thread, SyncTarget::Readers(object)),
            Op::WriteUnlock { object, .. } => hb.release(thread, SyncTarget::Object(object)),
            Op::TryPark { .. } if reply == Reply::Value(1) => {
                hb.acquire(thread, SyncTarget::ParkToken(thread))
            }
            Op::Spawn => {
                if let Reply::Spawned(child) = reply {
                    hb.spawn(thread, child);
                }
            }
            Op::Join { thread: joined } => hb.join(thread, joined),
            Op::Park => hb.acquire(thread, SyncTarget::ParkToken(thread)),
            Op::Unpark { thread: target } => hb.release(thread, SyncTarget::ParkToken(target)),
            Op::ArcDrop { object } => {
                hb.release(thread, SyncTarget::Object(object));
                if reply == Reply::Value(0) {
                    hb.acquire(thread, SyncTarget::Object(object));
                }
            }
            Op::ArcTryUnwrap { object } if matches!(reply, Reply::Exchange { ok: true, .. }) => {
                hb.acquire(thread, SyncTarget::Object(object))
            }
            _ => {}
        }
        if let Some(object) = wrote {
            let after = self.trace.len();
            if let Err(mut race) = self.hb.atomic_write(object, thread, pending.location, after) {
                race.what = self.objects.label(object);
                race.created = self.objects.records[object.index()].created;
                let msg = race.describe(|t| self.thread_label(t));
                self.fail(FailureKind::DataRace, msg);
            }
        }
        self.hb.tick(thread);
    }

    /// The effect of every operation that needs no decision. Also used
    /// during teardown, where nothing may block: callers check first.
    fn apply(&mut self, thread: ThreadId, op: Op, location: SourceLocation) -> Effect {
        match op {
            op @ (Op::Load { .. }
            | Op::Store { .. }
            | Op::Rmw { .. }
            | Op::CompareExchange { .. }) => {
                let ty = self.touch_atomic(op);
                Effect::Resume(self.atomic_step(thread, op, ty, None).0)
            }
            Op::StaticUse => Effect::Resume(Reply::Value(u64::from(self.storage.exited))),
            Op::Exit => {
                self.storage.exited = true;
                Effect::Resume(Reply::Done)
            }
            // In teardown: the first choice, the sampled random value.
            Op::Choose { max, random } => {
                let sample = self.draw(thread, max, random);
                Effect::Resume(Reply::Value(sample))
            }
            Op::Fence => {
                self.hb.fence(thread, MemoryOrdering::SeqCst);
                let clock = self.hb.clock(thread).clone();
                // The fence's own epoch: its release advanced the clock.
                let epoch = clock.get(thread) - 1;
                self.memory.sc_fence(thread, epoch, &clock);
                Effect::Resume(Reply::Done)
            }
            Op::Lock { object } | Op::Relock { mutex: object, .. } => {
                let ObjectState::Mutex { holder, poisoned } = self.objects.state(object) else {
                    unreachable!("lock on a mutex")
                };
                *holder = Some(thread);
                let poisoned = *poisoned;
                let notified = std::mem::take(&mut self.threads[thread.index()].notified);
                match op {
                    Op::Relock { condvar, .. } if !notified => {
                        // Woke without a notification: leave the waiters.
                        if let ObjectState::Condvar { waiters } = self.objects.state(condvar) {
                            waiters.retain(|&w| w != thread);
                        }
                        Effect::Resume(Reply::TimedOut { poisoned })
                    }
                    _ => Effect::Resume(Reply::Locked { poisoned }),
                }
            }
            Op::ReadLock { object } | Op::WriteLock { object } => {
                let ObjectState::RwLock { writer, readers, poisoned } = self.objects.state(object)
                else {
                    unreachable!("lock of an rwlock")
                };
                if matches!(op, Op::WriteLock { .. }) {
                    *writer = Some(thread);
                } else {
                    readers.push(thread);
                }
                Effect::Resume(Reply::Locked { poisoned: *poisoned })
            }
            Op::TryRead { object } | Op::TryWrite { object } => {
                let ObjectState::RwLock { writer, readers, poisoned } = self.objects.state(object)
                else {
                    unreachable!("try-lock of an rwlock")
                };
                let write = matches!(op, Op::TryWrite { .. });
                let acquired = writer.is_none() && (!write || readers.is_empty());
                if acquired && write {
                    *writer = Some(thread);
                } else if acquired {
                    readers.push(thread);
                }
                Effect::Resume(Reply::TryLocked { acquired, poisoned: *poisoned })
            }
            Op::ReadUnlock { object } => {
                let ObjectState::RwLock { readers, .. } = self.objects.state(object) else {
                    unreachable!("read unlock of an rwlock")
                };
                let at = readers.iter().position(|&r| r == thread);
                debug_assert!(at.is_some(), "read unlock by a reader");
                if let Some(at) = at {
                    readers.remove(at);
                }
                Effect::Resume(Reply::Done)
            }
            Op::WriteUnlock { object, poison } => {
                let ObjectState::RwLock { writer, poisoned, .. } = self.objects.state(object)
                else {
                    unreachable!("write unlock of an rwlock")
                };
                debug_assert_eq!(*writer, Some(thread), "write unlock by the writer");
                *writer = None;
                *poisoned |= poison;
                Effect::Resume(Reply::Done)
            }
            Op::PoisonFlag { object, clear } => {
                let flag = match self.objects.state(object) {
                    ObjectState::Mutex { poisoned, .. } | ObjectState::RwLock { poisoned, .. } => {
                        poisoned
                    }
                    other => unreachable!("poison flag of {other:?}"),
                };
                let was = *flag;
                if clear {
                    *flag = false;
                }
                Effect::Resume(Reply::Value(u64::from(was)))
            }
            Op::TryLock { object } => {
                let ObjectState::Mutex { holder, poisoned } = self.objects.state(object) else {
                    unreachable!("try_lock on a mutex")
                };
                let acquired = holder.is_none();
                if acquired {
                    *holder = Some(thread);
                }
                Effect::Resume(Reply::TryLocked { acquired, poisoned: *poisoned })
            }
            Op::Unlock { object, poison } => {
                let ObjectState::Mutex { holder, poisoned } = self.objects.state(object) else {
                    unreachable!("unlock on a mutex")
                };
                debug_assert_eq!(*holder, Some(thread), "unlock by the holder");
                *holder = None;
                *poisoned |= poison;
                Effect::Resume(Reply::Done)
            }
            Op::Wait { condvar, mutex, timed } => {
                if let ObjectState::Mutex { holder, .. } = self.objects.state(mutex) {
                    *holder = None;
                }
                if let ObjectState::Condvar { waiters } = self.objects.state(condvar) {
                    waiters.push(thread);
                }
                let spurious = self.spurious_wakeups;
                let record = &mut self.threads[thread.index()];
                record.notified = false;
                let op = Op::Relock { condvar, mutex, timed, spurious };
                record.pending = Some(Pending { op, location });
                Effect::Block
            }
            Op::Spawn => {
                let request = self.spawn_requests.get(thread.index()).and_then(Option::as_ref);
                let request = request.expect("a spawn request");
                let child = ThreadId(self.threads.len() as u32);
                self.threads.push(ThreadRecord::new(request.name.clone()));
                Effect::Spawn(child)
            }
            Op::Join { thread: joined } => {
                self.threads[joined.index()].joined = true;
                Effect::Resume(Reply::Done)
            }
            Op::Park => {
                self.threads[thread.index()].park_token = false;
                Effect::Resume(Reply::Done)
            }
            Op::TryPark { .. } => {
                let took = std::mem::take(&mut self.threads[thread.index()].park_token);
                Effect::Resume(Reply::Value(u64::from(took)))
            }
            Op::Yield => {
                let clock = self.hb.clock(thread).clone();
                let spin = &mut self.threads[thread.index()].spin;
                if spin.yielded {
                    // The engine's yield: it covers what the try read.
                    let reads = std::mem::take(&mut spin.try_reads);
                    self.memory.yielded_on(thread, &clock, &reads);
                } else {
                    self.memory.yielded(thread, &clock);
                }
                self.yield_turn(thread);
                Effect::Resume(Reply::Done)
            }
            Op::Unpark { thread: target } => {
                self.threads[target.index()].park_token = true;
                Effect::Resume(Reply::Done)
            }
            Op::ArcDrop { object } => {
                let ObjectState::Arc { count, .. } = self.objects.state(object) else {
                    unreachable!("drop of an Arc")
                };
                *count = count.saturating_sub(1);
                Effect::Resume(Reply::Value(*count))
            }
            Op::ArcTryUnwrap { object } => {
                let ObjectState::Arc { count, .. } = self.objects.state(object) else {
                    unreachable!("try_unwrap of an Arc")
                };
                let previous = *count;
                let ok = previous == 1;
                if ok {
                    *count = 0;
                }
                Effect::Resume(Reply::Exchange { ok, previous })
            }
            Op::ArcCount { object, weak } => {
                let ObjectState::Arc { count, weak: weaks } = *self.objects.state(object) else {
                    unreachable!("count of an Arc")
                };
                // As std: no weak handles are counted once the value is gone.
                let n = match weak {
                    true if count == 0 => 0,
                    true => weaks,
                    false => count,
                };
                Effect::Resume(Reply::Value(n))
            }
            Op::WeakUpgrade { object } => {
                let ObjectState::Arc { count, .. } = self.objects.state(object) else {
                    unreachable!("upgrade of a Weak")
                };
                let previous = *count;
                let ok = previous > 0;
                if ok {
                    *count += 1;
                }
                Effect::Resume(Reply::Exchange { ok, previous })
            }
            Op::Notify { .. } => unreachable!("notify is executed with its decision"),
        }
    }

    /// Spin detection: a step of `thread` other than a yield ran (`aux` its
    /// trace record's). Its iteration stays pure only while it reads the
    /// last stores of atomics.
    fn note_iteration(&mut self, thread: ThreadId, location: SourceLocation, aux: u64) {
        let read = self.last_read.take();
        let record = &mut self.threads[thread.index()];
        let spin = &mut record.spin;
        match read {
            Some((object, _)) => {
                spin.state_now.clear();
                if spin.head.is_some() && !spin.try_reads.contains(&object) {
                    spin.try_reads.push(object);
                }
                let site = (location, object);
                let known = spin.head.iter().chain(&spin.sites).any(|&s| same_read(s, site));
                if !known && spin.sites.len() < SPIN_SITES {
                    spin.sites.push(site);
                }
            }
            None if spin.watching() => spin.end_run(),
            None => {}
        }
        let read = read.filter(|_| aux & STALE == 0);
        let note = |iteration: &mut Iteration| match read {
            Some(read) if iteration.pure => {
                if !iteration.reads.contains(&read) {
                    iteration.reads.push(read);
                }
            }
            _ => iteration.pure = false,
        };
        note(&mut record.iteration);
        if spin.head.is_some() {
            note(&mut spin.iteration);
        }
    }

    /// A cell write by `thread` (not a step) ends the purity of its
    /// iteration: the next one may behave differently.
    pub(crate) fn note_cell_write(&mut self, thread: ThreadId) {
        let record = &mut self.threads[thread.index()];
        record.iteration.pure = false;
        record.spin.end_run();
        record.wait_read = false;
        record.wait_yielded = false;
    }

    /// `thread` is about to run `pending`, a read for which it copied its
    /// state: is it the head of a loop (`SpinWatch::head`), and should the
    /// engine yield for it first?
    ///
    /// A loop that does not yield and only reads (loads, failed
    /// compare-exchanges) spins as one that yields does, but its tries are
    /// not marked. A try is one when the thread comes back to the head's
    /// read in the state it had there before, with only reads between: from
    /// that state, what the thread does next depends only on what its reads
    /// return, as at the earlier visit. The engine then yields for it, just
    /// before the read, as if the loop called `yield_now` there: the
    /// fairness wait, the yield rule and the spin stall of the next try all
    /// follow (`Execution::stutter`). Every execution where the loop ends
    /// after more tries has one that ends after fewer, with the same
    /// outcome: a try that comes back to the same state is a stutter.
    ///
    /// Whether the state is the same is a data decision
    /// ([`ValueKind::SpinYield`]), as for stalls.
    fn spin_yield(
        &mut self,
        thread: ThreadId,
        pending: &Pending,
        decide: &mut dyn FnMut(
            &Execution,
            ValuePoint,
        ) -> Result<u64, crate::strategy::StrategyError>,
    ) -> Result<bool, crate::strategy::StrategyError> {
        let spin = &mut self.threads[thread.index()].spin;
        let object = match pending.op {
            Op::Load { object, .. } | Op::CompareExchange { object, .. } => object,
            _ => return Ok(false),
        };
        let site = (pending.location, object);
        if std::mem::take(&mut spin.yielded) || spin.state_now.is_empty() {
            return Ok(false);
        }
        match spin.head {
            Some(head) if same_read(head, site) => spin.sites.clear(),
            _ if spin.sites.iter().any(|&s| same_read(s, site)) => {
                // A read that came again before the head did: the head of
                // the loop the thread runs now, maybe.
                spin.head = Some(site);
                spin.sites.clear();
                std::mem::swap(&mut spin.state, &mut spin.state_now);
                spin.iteration = Iteration::new();
                self.start_try(thread);
                return Ok(false);
            }
            _ => return Ok(false),
        }
        let point = ValuePoint {
            kind: ValueKind::SpinYield,
            options: 2,
            thread,
            location: pending.location,
            exploring: self.exploring,
            max: 1,
            sample: u64::from(spin.state == spin.state_now),
        };
        let yields = decide(self, point)? == 1;
        let record = &mut self.threads[thread.index()];
        let spin = &mut record.spin;
        if yields {
            // As a yield at the head: the try since the head's last
            // occurrence is the iteration `stutter` looks at, and the state
            // there the one it compares with.
            record.yield_state.clone_from(&spin.state);
            record.yield_state_now.clone_from(&spin.state_now);
            std::mem::swap(&mut record.iteration, &mut spin.iteration);
            spin.yielded = true;
        }
        std::mem::swap(&mut spin.state, &mut spin.state_now);
        spin.iteration = Iteration::new();
        if !yields {
            self.start_try(thread);
        }
        Ok(yields)
    }

    /// Tells the thread side where `thread`, about to run, copies its state
    /// ([`crate::rt::set_spin_reads`]); most steps have nothing to tell.
    #[inline]
    pub(crate) fn publish_spin_reads(&mut self, thread: ThreadId) {
        let spin = &self.threads[thread.index()].spin;
        if spin.watching() {
            crate::rt::set_spin_reads(spin.watched());
            self.spin_reads_set = true;
        } else if self.spin_reads_set {
            self.spin_reads_set = false;
            crate::rt::set_spin_reads([None; SPIN_SITES]);
        }
    }

    /// The read `thread` is about to run starts a try of its spin loop: a
    /// yield the engine makes for the loop covers the atomics read from
    /// here on (the try's), not those read before the loop. DPOR's
    /// `YieldReads` does the same from the read's [`SPIN_TRY`] mark.
    fn start_try(&mut self, thread: ThreadId) {
        self.threads[thread.index()].spin.try_reads.clear();
        self.try_start = true;
    }

    /// Is `thread`'s pending yield the first of a wait: since its last step
    /// that was not a read, a fence or a yield (a write, a lock, a cell
    /// write, its start) it has read and not yielded, and its last yield
    /// was not such a one (so that a loop that writes at each try still
    /// takes a turn at every other yield)? Such a yield is soft: it
    /// keeps the yield rule (the next try's reads move past what this one
    /// read, unless that is the last store), but it takes no turn (no
    /// fairness wait, so it is no pivot of DPOR: it orders nothing) and the
    /// switch after it is no free one under a preemption bound. The thread
    /// tries again at once, and its next yield, if that try read only last
    /// stores and came back to the state of this one, stalls it
    /// (`Execution::stutter` compares the state at the two yields); if not,
    /// that yield takes its turn. Leaving out a fairness wait only adds
    /// schedules (papers/fair-yield.md, "The first yield of a wait").
    fn soft_yield(&self, thread: ThreadId) -> bool {
        let record = &self.threads[thread.index()];
        self.spin_assume
            && self.released_stalls.is_none()
            && record.wait_read
            && !record.wait_yielded
            && !record.soft_yielded
    }

    /// `thread` yields: if the iteration since its last yield only read the
    /// last stores of atomics and left its stack as it found it, every
    /// further iteration before one of those atomics changes would do the
    /// same again (the same reads, from the same state). It stalls until
    /// one of them has a new store: the spin-assume rule of Kokologiannakis,
    /// Raad and Vafeiadis (OOPSLA 2019), decided here from what the thread
    /// did rather than from its code.
    ///
    /// Whether the stack is unchanged is a data decision
    /// ([`ValueKind::Stall`]) that the engine answers and strategies keep.
    fn stutter(
        &mut self,
        thread: ThreadId,
        location: SourceLocation,
        decide: &mut dyn FnMut(
            &Execution,
            ValuePoint,
        ) -> Result<u64, crate::strategy::StrategyError>,
    ) -> Result<u64, crate::strategy::StrategyError> {
        let released = self.released_stalls.is_some();
        let record = &mut self.threads[thread.index()];
        record.yielded_once = true;
        let candidate = !released
            && record.iteration.pure
            && !record.iteration.reads.is_empty()
            && !record.yield_state.is_empty();
        let same = candidate && record.yield_state == record.yield_state_now;
        std::mem::swap(&mut record.yield_state, &mut record.yield_state_now);
        let stalls = candidate && {
            let point = ValuePoint {
                kind: ValueKind::Stall,
                options: 2,
                thread,
                location,
                exploring: self.exploring,
                max: 1,
                sample: u64::from(same),
            };
            decide(self, point)? == 1
        };
        let record = &mut self.threads[thread.index()];
        let aux = if stalls {
            // It waits for a store, not for its turn: no fairness wait.
            std::mem::swap(&mut record.stalled_on, &mut record.iteration.reads);
            record.waits_for = ThreadSet::new();
            YIELD_STALLED
        } else {
            0
        };
        record.iteration.pure = true;
        record.iteration.reads.clear();
        Ok(aux)
    }

    /// Would `thread`'s pending step, run now, wake without a notification
    /// or token?
    fn would_time_out(&self, thread: ThreadId) -> bool {
        let record = &self.threads[thread.index()];
        match record.pending.as_ref().map(|p| p.op) {
            Some(Op::TryPark { .. }) => !record.park_token,
            Some(op @ Op::Relock { .. }) => op.wakes_unnotified() && !record.notified,
            _ => false,
        }
    }

    /// Is `thread` blocked on a lock that `holder` holds?
    fn blocked_by(&self, thread: ThreadId, holder: ThreadId) -> bool {
        let Some(pending) = &self.threads[thread.index()].pending else { return false };
        match pending.op {
            Op::Lock { object } | Op::Relock { mutex: object, .. } => {
                self.holder(object) == Some(holder)
            }
            Op::ReadLock { object } | Op::WriteLock { object } => {
                let (writer, readers) = self.rwlock(object);
                writer == Some(holder) || readers.contains(&holder)
            }
            _ => false,
        }
    }

    /// `thread` lets the others go first: it may not run while a thread
    /// enabled now is enabled and has not stepped since (fairness).
    fn yield_turn(&mut self, thread: ThreadId) {
        let mut waits_for = ThreadSet::new();
        for u in (0..self.threads.len() as u32).map(ThreadId) {
            if u != thread && self.enabled(u) {
                waits_for.insert(u);
            }
        }
        self.turns_waiting |= !waits_for.is_empty();
        let record = &mut self.threads[thread.index()];
        record.yielded = true;
        record.waits_for = waits_for;
    }

    /// Runs an operation during teardown, on the calling thread's stack
    /// without a scheduling point. `None`: it would block.
    pub(crate) fn execute_in_teardown(
        &mut self,
        thread: ThreadId,
        pending: Pending,
    ) -> Option<Reply> {
        self.threads[thread.index()].pending = Some(pending);
        let runnable = self.enabled(thread) && !matches!(pending.op, Op::Wait { .. } | Op::Spawn);
        self.threads[thread.index()].pending = None;
        if !runnable {
            return None;
        }
        match pending.op {
            // Waking nobody is always allowed: the execution is over.
            Op::Notify { .. } => Some(Reply::Done),
            op => match self.apply(thread, op, pending.location) {
                Effect::Resume(reply) => Some(reply),
                Effect::Block | Effect::Spawn(_) => None,
            },
        }
    }

    /// Counts one `choose` or `rand` value of `thread`, and returns the
    /// value systematic strategies take for it: 0 for a choice; for a
    /// random value, one derived from the seed, the thread, and its count of
    /// values so far (fixed by program order, so reordering independent
    /// steps keeps it).
    fn draw(&mut self, thread: ThreadId, max: u64, random: bool) -> u64 {
        let record = &mut self.threads[thread.index()];
        let index = record.draws;
        record.draws += 1;
        if !random {
            return 0;
        }
        self.random_draws += 1;
        let word = crate::rng::derive(self.seed, &[u64::from(thread.0), index]);
        crate::rng::Rng::new(word).up_to(max)
    }

    /// An atomic's initial value and type.
    fn atomic(&self, object: ObjectId) -> (u64, ValueType) {
        match self.objects.records[object.index()].state {
            ObjectState::Atomic { value, ty } => (value, ty),
            ref other => unreachable!("atomic access to {other:?}"),
        }
    }

    /// Makes sure the atomic `op` accesses has its initial store in memory;
    /// returns its value type.
    fn touch_atomic(&mut self, op: Op) -> ValueType {
        let object = op.object().expect("an atomic operation");
        let (initial, ty) = self.atomic(object);
        self.memory.touch(object, || initial);
        ty
    }

    /// What `op` (a load, store or compare-exchange of `thread`) may do: the
    /// options of its data decision, the sequentially consistent one first.
    /// The atomic is touched ([`Execution::touch_atomic`]).
    fn atomic_options(&mut self, thread: ThreadId, op: Op) -> SmallVec<[Choice; 4]> {
        let object = op.object().expect("an atomic operation");
        let clock = self.hb.clock(thread);
        match op {
            Op::Load { ordering, .. } => self.memory.read_options(
                object,
                thread,
                clock,
                memory::is_sc(ordering),
                acquires(ordering),
            ),
            Op::Store { ordering, .. } => {
                self.memory.store_options(object, clock, memory::is_sc(ordering))
            }
            Op::Rmw { ordering, .. } => self.memory.rmw_options(
                object,
                thread,
                clock,
                memory::is_sc(ordering),
                acquires(ordering),
            ),
            Op::CompareExchange { .. } if !self.stale_cas => {
                // loom's model: the last store, which is always consistent
                // (no RMW follows it, and reading it keeps every SC edge
                // forward), success or failure alike.
                smallvec::smallvec![Choice::Read(self.memory.last(object))]
            }
            Op::CompareExchange { success, failure, expected, .. } => {
                // A store holding `expected` is a success, an RMW: it must be
                // one an RMW may read. Any other is a failure, a load.
                let succeed = self.memory.rmw_options(
                    object,
                    thread,
                    clock,
                    memory::is_sc(success),
                    acquires(success),
                );
                let fail = self.memory.read_options(
                    object,
                    thread,
                    clock,
                    memory::is_sc(failure),
                    acquires(failure),
                );
                let memory = &self.memory;
                let value = |c: &Choice| match *c {
                    Choice::Read(s) => memory.value(s),
                    Choice::At(_) => unreachable!("a read"),
                };
                let mut options: SmallVec<[Choice; 4]> =
                    succeed.into_iter().filter(|c| value(c) == expected).collect();
                options.extend(fail.into_iter().filter(|c| value(c) != expected));
                // The last store first (the sequentially consistent option),
                // then newest to oldest.
                options.sort_by_key(|c| match *c {
                    Choice::Read(s) => std::cmp::Reverse(memory.position(s)),
                    Choice::At(p) => std::cmp::Reverse(p),
                });
                options
            }
            _ => SmallVec::new(),
        }
    }

    /// While a [`ValueKind::ReadsFrom`] decision is asked: the store each
    /// option reads, in option order, as `k + 1` for the store of step `k`
    /// and 0 for the initial value (the encoding of a read's `aux`). While
    /// a [`ValueKind::StorePosition`] decision is asked: per option, how
    /// many stores made before would follow it in modification order (the
    /// encoding of a store's `aux`). Meaningless for other decisions.
    pub fn read_sources(&self) -> &[u64] {
        &self.read_sources
    }

    /// The atomic operation whose data decision (which store it reads, or
    /// where it stores) is being asked; `None` for other decisions.
    pub fn deciding(&self) -> Option<Op> {
        self.deciding
    }

    /// Is the store made by step `a` before that of step `b` in
    /// modification order? `None` if either made no store.
    pub(crate) fn mo_before(&self, a: usize, b: usize) -> Option<bool> {
        self.memory.mo_before(a as u32, b as u32)
    }

    /// The steps of the last `count` stores of `object` in modification
    /// order (`None` for its initial value).
    pub(crate) fn last_store_steps(
        &self,
        object: ObjectId,
        count: usize,
    ) -> SmallVec<[Option<u32>; 8]> {
        self.memory.last_steps(object, count)
    }

    /// Runs an atomic operation of `thread` with the chosen option (`None`:
    /// the sequentially consistent one). Returns the reply and, for a read,
    /// the store it read: `k + 1` for the store of step `k`, 0 for the
    /// initial value, with [`STALE`] set if it was not the last store.
    /// The atomic is touched ([`Execution::touch_atomic`]) and holds values
    /// of type `ty`.
    fn atomic_step(
        &mut self,
        thread: ThreadId,
        op: Op,
        ty: ValueType,
        choice: Option<Choice>,
    ) -> (Reply, u64) {
        let object = op.object().expect("an atomic operation");
        let step = self.steps.len() as u32;
        let epoch = self.hb.clock(thread).get(thread);
        let last = self.memory.last(object);
        let source = |memory: &Memory, from: memory::StoreId| {
            let stale = if from == last { 0 } else { STALE };
            stale | memory.step_of(from).map_or(0, |k| u64::from(k) + 1)
        };
        let read_from = match choice {
            Some(Choice::Read(s)) => s,
            _ => last,
        };
        match op {
            Op::Load { ordering, .. } => {
                let value = self.read_store(thread, object, epoch, ordering, read_from);
                self.last_read = Some((object, read_from));
                (Reply::Value(value), source(&self.memory, read_from))
            }
            Op::Store { ordering, value, .. } => {
                let end = self.memory.end(object);
                let at = match choice {
                    Some(Choice::At(p)) => p,
                    _ => end,
                };
                let sync = self.hb.release_clock(thread, ordering).unwrap_or_default();
                let clock = self.hb.clock(thread);
                let sc = memory::is_sc(ordering);
                self.memory.store(object, thread, epoch, clock, sc, false, at, value, sync, step);
                // How many stores made before it come after it in
                // modification order: 0 for the usual place, the end.
                (Reply::Done, u64::from(end - at))
            }
            Op::Rmw { ordering, kind, operand, .. } => {
                let apply = |old| ty.apply(kind, old, operand);
                let old = self.rmw(thread, object, epoch, ordering, step, read_from, apply);
                (Reply::Value(old), source(&self.memory, read_from))
            }
            Op::CompareExchange { success, failure, expected, new, .. } => {
                if self.memory.value(read_from) == expected {
                    let old = self.rmw(thread, object, epoch, success, step, read_from, |_| new);
                    (Reply::Exchange { ok: true, previous: old }, source(&self.memory, read_from))
                } else {
                    let old = self.read_store(thread, object, epoch, failure, read_from);
                    self.last_read = Some((object, read_from));
                    (Reply::Exchange { ok: false, previous: old }, source(&self.memory, read_from))
                }
            }
            other => unreachable!("{other:?} is not an atomic access"),
        }
    }

    /// `thread` reads `from`: it acquires what the store carries, as its
    /// ordering says, and the read joins the graph.
    fn read_store(
        &mut self,
        thread: ThreadId,
        object: ObjectId,
        epoch: u32,
        ordering: MemoryOrdering,
        from: memory::StoreId,
    ) -> u64 {
        self.hb.atomic_read(thread, self.memory.sync(from), ordering);
        let clock = self.hb.clock(thread);
        self.memory.read(object, thread, epoch, clock, memory::is_sc(ordering), from);
        self.memory.value(from)
    }

    /// A read-modify-write of `from`, placed right after it: `f` makes the
    /// new value from the old, which is returned. It continues the release
    /// sequence it reads from.
    #[allow(clippy::too_many_arguments)]
    fn rmw(
        &mut self,
        thread: ThreadId,
        object: ObjectId,
        epoch: u32,
        ordering: MemoryOrdering,
        step: u32,
        from: memory::StoreId,
        f: impl FnOnce(u64) -> u64,
    ) -> u64 {
        let old = self.memory.value(from);
        let mut sync = self.memory.sync(from).clone();
        self.hb.atomic_read(thread, &sync, ordering);
        if let Some(own) = self.hb.release_clock(thread, ordering) {
            sync.join(&own);
        }
        let clock = self.hb.clock(thread);
        let at = self.memory.after(from);
        let sc = memory::is_sc(ordering);
        self.memory.store(object, thread, epoch, clock, sc, true, at, f(old), sync, step);
        old
    }

    /// The current value of an atomic (the last store in modification
    /// order), read without a step (for `get_mut` and `into_inner`, which
    /// own the value).
    pub(crate) fn peek(&mut self, object: ObjectId) -> u64 {
        let (initial, _) = self.atomic(object);
        self.memory.last_value(object, || initial)
    }

    /// Overwrites an atomic's value without a step (after `get_mut`): the
    /// location starts anew with it.
    pub(crate) fn poke(&mut self, object: ObjectId, value: u64) {
        self.memory.overwrite(object, value);
    }

    /// Adds the panics of threads other than `except` to a failure
    /// message: `main` often panics only because it unwrapped a joined
    /// thread's panic, and a deadlock may follow a panic. A thread that
    /// returned caught its panics: they are left out.
    pub(crate) fn with_earlier_panics(&self, mut text: String, except: Option<ThreadId>) -> String {
        for (i, record) in self.threads.iter().enumerate() {
            if Some(ThreadId(i as u32)) == except || (record.finished && record.died_of.is_none()) {
                continue;
            }
            if let Some(p) =
                record.died_of.or(record.panics.len().checked_sub(1)).map(|k| &record.panics[k])
            {
                let label = self.thread_label(ThreadId(i as u32));
                text.push_str(&format!(
                    "\nearlier, {label} panicked at {}:\n{}",
                    p.location, p.message
                ));
            }
        }
        text
    }

    /// How reports name a thread: `main`, its name, or `thread N`.
    pub(crate) fn thread_label(&self, thread: ThreadId) -> String {
        match &self.threads[thread.index()].name {
            _ if thread == ThreadId::MAIN => "main".to_string(),
            Some(name) => format!("'{name}'"),
            None => format!("thread {}", thread.0),
        }
    }

    /// No thread can run, and some are stalled in spin loops: lets them
    /// spin again, and stops stalls for the rest of the execution. Returns
    /// whether any was stalled. A stall assumes the thread does the same
    /// until an atomic it read changes; a loop that also reads something
    /// outside the model (the wall clock, a std atomic) may still end, and
    /// a livelock then shows as reaching the step bound.
    pub(crate) fn release_stalls(&mut self) -> bool {
        let stalled: Vec<ThreadId> = (0..self.threads.len())
            .map(|i| ThreadId(i as u32))
            .filter(|t| !self.threads[t.index()].stalled_on.is_empty())
            .collect();
        if stalled.is_empty() || self.released_stalls.is_some() {
            return false;
        }
        let lines: Vec<String> = stalled
            .iter()
            .map(|&t| format!("\n    {} {}", self.thread_label(t), self.blocked_on(t)))
            .collect();
        self.released_stalls = Some(lines.concat());
        for record in &mut self.threads {
            record.stalled_on.clear();
        }
        true
    }

    /// No thread can run, and some wait with a timeout that is not eager
    /// (`Config::times_out_eagerly`): their timeouts may pass now. Returns
    /// whether any was waiting.
    pub(crate) fn release_timeouts(&mut self) -> bool {
        if self.eager_timeouts {
            return false;
        }
        let mut any = false;
        for t in (0..self.threads.len() as u32).map(ThreadId) {
            let record = &self.threads[t.index()];
            let timed = matches!(
                record.pending.as_ref().map(|p| p.op),
                Some(Op::Relock { timed: true, .. } | Op::TryPark { timed: true })
            );
            if timed && !record.timeout_due && self.would_time_out(t) {
                self.threads[t.index()].timeout_due = true;
                any = true;
            }
        }
        any
    }

    /// What a blocked thread waits for, for deadlock reports.
    pub(crate) fn blocked_on(&self, thread: ThreadId) -> String {
        let Some(pending) = &self.threads[thread.index()].pending else {
            return "nothing (it has not started)".to_string();
        };
        let at = crate::report::location(pending.location);
        let stalled = &self.threads[thread.index()].stalled_on;
        if !stalled.is_empty() {
            let atomics: Vec<String> =
                stalled.iter().map(|&(o, _)| self.objects.label(o)).collect();
            return format!(
                "spins forever: its spin loop waits for a new store to {}, and no thread can \
                 make one (it would run {} next, at {at})",
                atomics.join(" or "),
                pending.op.kind_name()
            );
        }
        match pending.op {
            Op::Lock { object } | Op::Relock { mutex: object, .. }
                if self.holder(object).is_some() =>
            {
                let what = if matches!(pending.op, Op::Relock { .. }) {
                    "to take back"
                } else {
                    "to lock"
                };
                let holder = self.holder(object).map(|h| self.thread_label(h)).unwrap_or_default();
                format!("waits {what} {} held by {holder}, at {at}", self.objects.label(object))
            }
            Op::Relock { condvar, .. } => {
                format!("waits for a notification on {}, at {at}", self.objects.label(condvar))
            }
            Op::ReadLock { object } | Op::WriteLock { object } => {
                let (writer, readers) = self.rwlock(object);
                let how = if matches!(pending.op, Op::ReadLock { .. }) { "read" } else { "write" };
                let by = match writer {
                    Some(w) => format!("held for writing by {}", self.thread_label(w)),
                    None => {
                        let mut names: Vec<String> =
                            readers.iter().map(|&r| self.thread_label(r)).collect();
                        names.dedup();
                        format!("held for reading by {}", names.join(", "))
                    }
                };
                format!("waits to {how}-lock {} {by}, at {at}", self.objects.label(object))
            }
            Op::Join { thread: other } => {
                format!("waits to join {}, at {at}", self.thread_label(other))
            }
            Op::Park => format!("is parked with no unpark to come, at {at}"),
            op => format!("waits to run {}, at {at}", op.kind_name()),
        }
    }
}

/// In the `aux` of a read's trace event: it did not read the last store.
pub(crate) const STALE: u64 = 1 << 63;

/// In the `aux` of a read's trace event: the read starts a try of a loop
/// that does not yield (`Execution::spin_yield`): the yield the engine may
/// make for it covers the atomics read from here on.
pub(crate) const SPIN_TRY: u64 = 1 << 62;

/// The step that made the store a read's trace event `aux` names (plus 1;
/// 0: the initial value).
pub(crate) fn read_source_step(aux: u64) -> u64 {
    aux & !(STALE | SPIN_TRY)
}

/// The `aux` of a yield's trace event whose thread stalled in its spin
/// loop (`Execution::stutter`): it waits for a store, not for its turn.
pub(crate) const YIELD_STALLED: u64 = 1;

/// In the `aux` of a yield's trace event: the engine yielded for the
/// thread, before a read of a loop that does not yield
/// (`Execution::spin_yield`).
pub(crate) const YIELD_IMPLICIT: u64 = 2;

/// In the `aux` of a yield's trace event: the first yield of a wait
/// ([`Execution::soft_yield`]), which takes no turn and is no pivot.
pub(crate) const YIELD_SOFT: u64 = 4;

/// Are `a` and `b` the same place in the source? Two `Location`s of one
/// call site need not be the same static.
pub(crate) fn same_site(a: SourceLocation, b: SourceLocation) -> bool {
    std::ptr::eq(a, b) || (a.line() == b.line() && a.column() == b.column() && a.file() == b.file())
}

/// Are two reads, by call site and atomic, the same read of a loop?
fn same_read(a: (SourceLocation, ObjectId), b: (SourceLocation, ObjectId)) -> bool {
    a.1 == b.1 && same_site(a.0, b.0)
}

fn acquires(o: MemoryOrdering) -> bool {
    matches!(o, MemoryOrdering::Acquire | MemoryOrdering::AcqRel | MemoryOrdering::SeqCst)
}
