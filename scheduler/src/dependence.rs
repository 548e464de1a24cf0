//! Dependence: when two steps do not commute.
//!
//! Every reduction (DPOR's races, sleep sets, and what comes after them)
//! asks one question, answered by [`dependent`]: may the order of these two
//! accesses change what either observes or the state after both? Each step
//! is first described by its [`Access`]es: what it does to which shared
//! target. Accesses to different targets are independent; for the same
//! target:
//!
//! The relation is oriented: `dependent(a, b)` asks about `a` run before
//! `b`. Only atomic accesses make the orientation matter.
//!
//! | kinds (`a` first) | dependent? |
//! |---|---|
//! | two atomic loads; two reads of a poison flag | no |
//! | an atomic load (or RMW, or compare-exchange), then a store to the atomic | yes: run first, the store could be what the load reads |
//! | an atomic store (or RMW), then a load (or RMW, or compare-exchange) | only if the latter read from the former: reading an older store is possible with the two the other way round, and gives the same execution graph |
//! | two atomic stores | yes (DPOR's race analysis takes a plain store that went before an earlier plain store in modification order as commuting with it, which an access does not carry: `strategy/dpor.rs`, deviation 10) |
//! | two `SeqCst` accesses to one atomic | yes: SC accesses are ordered as they run |
//! | an SC fence and an SC access or SC fence (of any atomic) | yes: the SC order (`psc`) is the order they run in; SC accesses of different atomics commute |
//! | two read-side steps of an `RwLock` (`read`, `try_read`, read unlock) | no: readers do not exclude each other |
//! | a poison-flag read and a read-side step | no: read guards never poison |
//! | two condvar waits (enqueues), or two notifies | no: a notify picks any waiter, whichever order they queued in |
//! | a timed or spurious wake-up (dequeue) and a wait or another wake-up | no: the waiter set ends the same |
//! | two unparks of one thread | no: setting a token is idempotent |
//! | two drops of one `Arc` | only if one of them is (or, not yet run, may be) the last one |
//! | two upgrades, two count reads | no |
//! | two uses of lazy statics | no: only the model body's exit ends them |
//! | anything else | yes |
//!
//! The kind is fixed by the operation: a CAS or a `try_lock` is a write
//! even when it fails. Optimal DPOR (wakeup trees,
//! sleep sets, weak initials) reasons about a thread's next step wherever it
//! may run, so the kind of a step must not depend on where it runs; a
//! "failed CAS only reads" refinement made the differential test find
//! missing executions. The one exception is `Arc`: two drops commute unless
//! one is the last, so that reference counting does not multiply
//! executions; a drop not yet run (`remaining: None`) may be the last. An
//! upgrade, in contrast, is ordered against every drop: whether it finds a
//! handle left depends on all the drops before it, not on one of them (a
//! rule over "the last drop" named different drops in equivalent
//! executions, and the differential test caught it).

use smallvec::SmallVec;

use crate::ids::{ObjectId, ThreadId};
use crate::op::{MemoryOrdering, Op, Reply};

/// What an access touches.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A shared object: an atomic, a mutex, a condvar, an `Arc` allocation.
    Object(ObjectId),
    /// A thread's park token.
    Token(ThreadId),
    /// The order of SC events across all locations (RC11's `psc`, taken
    /// in execution order): an SC fence writes it, an SC access reads it.
    /// SC accesses of different locations commute with each other; an SC
    /// fence commutes with no SC event, and with every non-SC access.
    ScOrder,
    /// The fair scheduler's turns (`Execution::eligible`): a thread's first
    /// step after a yield may run only once the threads it waits for have
    /// stepped, or cannot run. See [`YieldTurns`].
    Turns,
    /// The numbering of threads: a spawn takes the next thread id, which
    /// the model can observe (`thread::current().id()`), so two spawns
    /// (of different threads) do not commute. Spawns write it.
    Spawns,
    /// The lazy statics' lifetime: the model body's exit ends it (a write),
    /// each use of a lazy static by another thread reads it.
    Statics,
}

/// Which store of an atomic a read-ish access read, named so that the name
/// holds across executions: the initial value, or the `position`-th step
/// (from 1) of `thread`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The atomic's initial value.
    Initial,
    /// A store (or RMW) made by a step.
    Step {
        /// The thread that made it.
        thread: ThreadId,
        /// Its place among that thread's steps, from 1.
        position: u32,
    },
}

/// How an access touches its target.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AccessKind {
    /// An atomic load, or a compare-exchange that failed.
    Load {
        /// The store it read; `None` for a step not run yet, which may read
        /// any store.
        from: Option<Source>,
        /// A `SeqCst` read.
        sc: bool,
    },
    /// An atomic store, read-modify-write, or successful compare-exchange.
    Store {
        /// The step itself, as a read would name what it read; `None` when
        /// not known.
        me: Option<Source>,
        /// It reads too (an RMW, or a compare-exchange, which may succeed).
        reads: bool,
        /// What it read, if it reads and that is known.
        from: Option<Source>,
        /// A `SeqCst` write.
        sc: bool,
    },
    /// Reads without changing it: `is_poisoned`, a use of a lazy static.
    Read,
    /// Changes it, or may: lock acquisitions, `try_lock`, releases,
    /// `try_unwrap`, the write side of an `RwLock`, `clear_poison`, the
    /// model body's exit.
    Write,
    /// The read side of an `RwLock`: `read`, `try_read`, a read unlock.
    Shared,
    /// Joins a condvar's waiters.
    Enqueue,
    /// Leaves a condvar's waiters without a notification: the wake-up of a
    /// timed wait, or of any wait when spurious wake-ups are explored.
    Dequeue,
    /// Wakes a condvar's waiters.
    Signal,
    /// Makes a park token available.
    Unpark,
    /// Takes a park token.
    Park,
    /// Drops an `Arc` handle; `remaining` handles are left after it, `None`
    /// while the drop has not run.
    Drop {
        /// Handles left after the drop.
        remaining: Option<u64>,
    },
    /// Reads an `Arc`'s strong or weak count.
    Count,
    /// `Weak::upgrade`: adds a strong handle if one is left.
    Upgrade,
    /// On [`Target::Turns`]: a thread's first step after a yield, which
    /// waits for its turn.
    TurnWait,
    /// On [`Target::Turns`]: a step that may end another thread's wait for
    /// its turn (see [`YieldTurns`]).
    TurnTake,
}

impl AccessKind {
    /// Is this kind dependent with every access to its target? Then every
    /// earlier access to the target happens before it.
    pub fn is_barrier(self) -> bool {
        // A store, run after any access to its atomic, depends on it: a load
        // or RMW could have read it, and stores are ordered.
        matches!(self, AccessKind::Write | AccessKind::Park | AccessKind::Store { .. })
    }
}

/// One thing a step does to one target.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Access {
    /// What it touches.
    pub target: Target,
    /// How.
    pub kind: AccessKind,
}

/// The accesses of `thread` running `op`; `reply` is its result, or `None`
/// for an operation not yet run.
pub fn accesses(thread: ThreadId, op: &Op, reply: Option<Reply>) -> SmallVec<[Access; 2]> {
    let mut accesses = SmallVec::new();
    accesses_into(thread, op, reply, &mut accesses);
    accesses
}

/// [`accesses`], appended to `out`.
#[inline]
pub fn accesses_into<const N: usize>(
    thread: ThreadId,
    op: &Op,
    reply: Option<Reply>,
    out: &mut SmallVec<[Access; N]>,
) {
    let OpAccesses { first, second } = accesses_of(thread, op, reply);
    if let Some(a) = first {
        out.push(a);
    }
    if let Some(b) = second {
        out.push(b);
    }
    if op.is_seq_cst() {
        out.push(Access { target: Target::ScOrder, kind: AccessKind::Read });
    }
}

/// [`turn_accesses`], appended to `out`.
#[inline]
pub fn turn_accesses_into<const N: usize>(wait: bool, take: bool, out: &mut SmallVec<[Access; N]>) {
    if wait {
        out.push(Access { target: Target::Turns, kind: AccessKind::TurnWait });
    }
    if take {
        out.push(Access { target: Target::Turns, kind: AccessKind::TurnTake });
    }
}

/// The accesses of `op` itself, without the SC order's.
#[inline]
fn accesses_of(thread: ThreadId, op: &Op, reply: Option<Reply>) -> OpAccesses {
    use AccessKind::*;
    let at = |object: ObjectId, kind| Access { target: Target::Object(object), kind };
    let one = |a| OpAccesses { first: Some(a), second: None };
    let two = |a, b| OpAccesses { first: Some(a), second: Some(b) };
    match *op {
        Op::Load { object, ordering } => {
            one(at(object, Load { from: None, sc: ordering == MemoryOrdering::SeqCst }))
        }
        Op::Store { object, ordering, .. } => one(at(
            object,
            Store { me: None, reads: false, from: None, sc: ordering == MemoryOrdering::SeqCst },
        )),
        Op::Rmw { object, ordering, .. } => one(at(
            object,
            Store { me: None, reads: true, from: None, sc: ordering == MemoryOrdering::SeqCst },
        )),
        // Writes even when it fails: see the module documentation.
        Op::CompareExchange { object, success, failure, .. } => {
            let sc = success == MemoryOrdering::SeqCst || failure == MemoryOrdering::SeqCst;
            one(at(object, Store { me: None, reads: true, from: None, sc }))
        }
        Op::Lock { object }
        | Op::Unlock { object, .. }
        | Op::TryLock { object }
        | Op::ArcTryUnwrap { object } => one(at(object, Write)),
        Op::WriteLock { object }
        | Op::TryWrite { object }
        | Op::WriteUnlock { object, .. }
        | Op::PoisonFlag { object, clear: true } => one(at(object, Write)),
        Op::ReadLock { object } | Op::TryRead { object } | Op::ReadUnlock { object } => {
            one(at(object, Shared))
        }
        Op::PoisonFlag { object, clear: false } => one(at(object, Read)),
        Op::Wait { condvar, mutex, .. } => two(at(mutex, Write), at(condvar, Enqueue)),
        // A wake-up that needs no notification races with the notifies: it
        // leaves the waiters whether or not one came. One that needs a
        // notification is ordered after it by causality instead.
        Op::Relock { condvar, mutex, .. } if op.wakes_unnotified() => {
            two(at(mutex, Write), at(condvar, Dequeue))
        }
        Op::Relock { mutex, .. } => one(at(mutex, Write)),
        Op::Notify { condvar, .. } => one(at(condvar, Signal)),
        Op::Park | Op::TryPark { .. } => one(Access { target: Target::Token(thread), kind: Park }),
        Op::Unpark { thread: target } => {
            one(Access { target: Target::Token(target), kind: Unpark })
        }
        Op::ArcDrop { object } => {
            let remaining = match reply {
                Some(Reply::Value(left)) => Some(left),
                _ => None,
            };
            one(at(object, Drop { remaining }))
        }
        Op::ArcCount { object, .. } => one(at(object, Count)),
        Op::WeakUpgrade { object } => one(at(object, Upgrade)),
        // A spawn takes the next thread id: two spawns do not commute (the
        // children's ids, which the model may observe, would swap).
        // Otherwise spawns and joins are ordered by causality (a child
        // starts after its spawn; a join after the joined thread's end).
        Op::Spawn => one(Access { target: Target::Spawns, kind: Write }),
        // A yield conflicts with every step of every other thread, and so
        // does the yielding thread's next step; the DPOR strategy orders
        // them.
        Op::Join { .. } | Op::Yield => OpAccesses::default(),
        // What later loads may read depends on the order of SC fences and
        // SC accesses, over all locations; not on where a fence runs among
        // other steps (see [`Target::ScOrder`]).
        Op::Fence => one(Access { target: Target::ScOrder, kind: Write }),
        // A choice or random value touches nothing shared: it commutes with
        // every step (its value does not depend on where it runs).
        Op::Choose { .. } => OpAccesses::default(),
        Op::StaticUse => one(Access { target: Target::Statics, kind: Read }),
        Op::Exit => one(Access { target: Target::Statics, kind: Write }),
    }
}

/// The (at most two) accesses of an operation itself.
#[derive(Copy, Clone, Default)]
struct OpAccesses {
    first: Option<Access>,
    second: Option<Access>,
}

/// Names, in `accesses` of a step that ran, the store it made (`me`) and the
/// store it read (`from`), so that [`dependent`] can tell a read from the
/// stores it did not read.
pub fn label(accesses: &mut [Access], me: Source, from: Option<Source>) {
    for a in accesses.iter_mut() {
        match &mut a.kind {
            AccessKind::Load { from: f, .. } => *f = from,
            AccessKind::Store { me: m, reads, from: f, .. } => {
                *m = Some(me);
                if *reads {
                    *f = from;
                }
            }
            _ => {}
        }
    }
}

/// The same accesses with what [`label`] named forgotten: what the step
/// may do if it runs elsewhere.
pub fn unlabel(accesses: &mut [Access]) {
    for a in accesses.iter_mut() {
        match &mut a.kind {
            AccessKind::Load { from, .. } => *from = None,
            AccessKind::Store { me, from, .. } => {
                *me = None;
                *from = None;
            }
            _ => {}
        }
    }
}

/// The store an atomic step read, named as dependence names steps (`names`:
/// every step of the execution so far, in order), from its trace `aux` (see
/// `Execution::atomic_step`); `None` for other steps.
pub fn read_source(names: &[Source], op: &Op, aux: u64) -> Option<Source> {
    match op {
        Op::Load { .. } | Op::Rmw { .. } | Op::CompareExchange { .. } => {
            match crate::execution::read_source_step(aux) {
                0 => Some(Source::Initial),
                k => names.get(k as usize - 1).copied(),
            }
        }
        _ => None,
    }
}

/// Does `a`, run before `b`, not commute with it? The one definition of
/// dependence (see the module documentation for the orientation).
#[inline]
pub fn dependent(a: &Access, b: &Access) -> bool {
    use AccessKind::*;
    if a.target != b.target {
        return false;
    }
    match (a.kind, b.kind) {
        (Load { .. }, Load { .. }) => false,
        (Load { sc: true, .. } | Store { sc: true, .. }, Store { sc: true, .. })
        | (Store { sc: true, .. }, Load { sc: true, .. }) => true,
        // Run first, a read could read the store.
        (Load { .. } | Store { reads: true, .. }, Store { .. }) => true,
        (Store { me, .. }, Load { from, .. } | Store { reads: true, from, .. }) => {
            me.is_none() || from.is_none() || me == from
        }
        // Two plain stores: in principle the one that runs second may take
        // any place in modification order either way, but treating them as
        // commuting lost outcomes in the weak differential test (sleep sets
        // keep a thread asleep across a store whose position choices then
        // differ). Ordered, for now.
        (Store { reads: false, .. }, Store { reads: false, .. }) => true,
        (Load { .. } | Store { .. }, _) | (_, Load { .. } | Store { .. }) => true,
        (Read, Read)
        | (Shared, Shared)
        | (Read, Shared)
        | (Shared, Read)
        | (Enqueue, Enqueue)
        | (Enqueue, Dequeue)
        | (Dequeue, Enqueue)
        | (Dequeue, Dequeue)
        | (Signal, Signal)
        | (Unpark, Unpark)
        | (Count, Count)
        | (Upgrade, Upgrade)
        | (TurnWait, TurnWait)
        | (TurnTake, TurnTake) => false,
        (Drop { remaining: x }, Drop { remaining: y }) => {
            // Which drop is last is the only thing their order changes. A
            // drop not yet run may become the last once at most one handle
            // is left besides its own.
            let last = |r: Option<u64>| r == Some(0);
            let low = |r: Option<u64>| r.is_none_or(|r| r <= 1);
            last(x) || last(y) || (x.is_none() && low(y)) || (y.is_none() && low(x))
        }
        _ => true,
    }
}

/// A fingerprint of the execution's equivalence class (its Mazurkiewicz
/// trace): two executions get the same fingerprint if and only if they order
/// every pair of dependent steps the same way and their steps did the same
/// (up to hash collisions, negligible at 64 bits). Quadratic in the steps: a
/// diagnostic, for counting the classes an exploration covered.
pub fn trace_fingerprint(execution: &crate::execution::Execution) -> u64 {
    fingerprint(execution, false)
}

/// A fingerprint of the execution's graph: its steps (what each did, and
/// which store each read), the modification order of every atomic (each
/// store's final place in it), and the order of the dependent steps on
/// every other object (locks, condvars, park tokens, `Arc` counts). Unlike
/// [`trace_fingerprint`], the order of a load and a store it did not read,
/// and of stores apart from where they went in modification order, is not
/// part of it: executions that differ only there are one RC11 graph. A
/// diagnostic, for counting how many executions an exploration spent per
/// graph (one is optimal, as in TruSt).
pub fn graph_fingerprint(execution: &crate::execution::Execution) -> u64 {
    fingerprint(execution, true)
}

fn fingerprint(execution: &crate::execution::Execution, graph: bool) -> u64 {
    use crate::trace::EventKind;
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let mo = if graph { execution.mo_positions() } else { Default::default() };
    let mut positions: Vec<u32> = Vec::new();
    let mut steps: Vec<(ThreadId, u32, SmallVec<[Access; 2]>)> = Vec::new();
    let mut names: Vec<Source> = Vec::new();
    let mut sum = 0u64;
    for k in 0..execution.step_count() {
        let event = execution.step(k);
        let EventKind::Step { op, reply, aux } = event.kind else { continue };
        let t = event.thread;
        if positions.len() <= t.index() {
            positions.resize(t.index() + 1, 0);
        }
        positions[t.index()] += 1;
        let id = (u64::from(t.0) << 32) | u64::from(positions[t.index()]);
        // What the step did, in terms that equivalent executions share:
        // objects are numbered by first use, which differs between them, so
        // they appear only through the dependent pairs below.
        let woken_by = match op {
            Op::Relock { .. } if aux > 0 => {
                let (thread, position, _) = &steps[aux as usize - 1];
                (u64::from(thread.0) << 32) | u64::from(*position)
            }
            // Where a store went in modification order: in the graph, its
            // final place; in the trace, counted from the end over the
            // stores of its atomic, which every equivalent execution makes
            // in the same order.
            Op::Store { .. } if graph => mo.get(&(k as u32)).copied().map_or(0, u64::from),
            Op::Notify { .. } | Op::Relock { .. } | Op::Store { .. } => aux,
            _ => 0,
        };
        // Handle counts swap between equivalent orders of non-last drops:
        // only whether a drop was the last belongs to the class.
        let shown = match (op, reply) {
            (Op::ArcDrop { .. }, Reply::Value(left)) => Reply::Value(u64::from(left == 0)),
            (Op::ArcTryUnwrap { .. } | Op::WeakUpgrade { .. }, Reply::Exchange { ok, .. }) => {
                Reply::Exchange { ok, previous: 0 }
            }
            (_, reply) => reply,
        };
        let me = Source::Step { thread: t, position: positions[t.index()] };
        names.push(me);
        // Which store a read read: two stores may have written the same
        // value, and a read-modify-write is ordered against both either way.
        let from = read_source(&names, &op, aux);
        let l = event.location;
        let what = format!(
            "{}{}:{}:{}{shown:?}{woken_by}{from:?}",
            op.kind_name(),
            l.file(),
            l.line(),
            l.column()
        );
        let what = what.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        sum = sum.wrapping_add(mix(id ^ mix(what)));
        let mut accesses = accesses(t, &op, Some(reply));
        label(&mut accesses, me, from);
        // In the graph, atomics are ordered by reads-from and modification
        // order above; the SC order and the fair scheduler's turns are the
        // engine's, not the graph's.
        let ordered = |a: &Access| {
            !graph
                || !(matches!(a.kind, AccessKind::Load { .. } | AccessKind::Store { .. })
                    || matches!(a.target, Target::ScOrder | Target::Turns))
        };
        for (other, position, earlier) in &steps {
            if *other != t
                && earlier
                    .iter()
                    .any(|a| ordered(a) && accesses.iter().any(|b| ordered(b) && dependent(a, b)))
            {
                let before = (u64::from(other.0) << 32) | u64::from(*position);
                sum = sum.wrapping_add(mix(mix(before).wrapping_add(id)));
            }
        }
        steps.push((t, positions[t.index()], accesses));
    }
    sum
}

/// Is a step a pivot of the fair scheduler (see `strategy/dpor.rs`,
/// deviation 4): a yield that made its thread wait for its turn (not one
/// after which it stalled in a spin loop, [`crate::execution::YIELD_STALLED`]:
/// that thread waits for a store, and its next step is ordered against
/// those), or a wake-up that may time out? `aux` is the step's trace
/// record's. A yield the engine made for a loop that does not yield
/// ([`crate::execution::YIELD_IMPLICIT`]) is one as any other; the first
/// yield of a wait ([`crate::execution::YIELD_SOFT`]) takes no turn and is
/// none.
pub fn is_pivot(op: &Op, aux: u64) -> bool {
    (matches!(op, Op::Yield)
        && aux & (crate::execution::YIELD_STALLED | crate::execution::YIELD_SOFT) == 0)
        || may_time_out(op)
}

/// May `op` wake without a notification or token (a timeout, or a spurious
/// wake-up)? Such a step may not time out again while a thread that could
/// run at its last timeout has not stepped (see `Execution::eligible`), so
/// DPOR makes it a pivot (`strategy/dpor.rs`, deviation 4).
pub fn may_time_out(op: &Op) -> bool {
    matches!(op, Op::TryPark { .. }) || op.wakes_unnotified()
}

/// Which steps the fair scheduler's turns touch (`Execution::eligible`),
/// as accesses to [`Target::Turns`]. Feed it every step of an execution,
/// in order.
///
/// After thread `t` yields (`Y`), its next step (`N`) may run only once
/// every thread `u` that was enabled at `Y` has stepped since, or is not
/// enabled. `Y` itself stays a pivot (DPOR's deviation 4): it conflicts
/// with every step, so what ran before it, the enabled set it records, and
/// which steps come after it are the same in every equivalent execution.
/// `N` needs less: `N` waits (`TurnWait`), and conflicts only with the
/// steps that take (`TurnTake`):
/// - each other thread's first step after `Y`, while `N` has not run: the
///   step that lets `N` go, for its thread. Later steps of that thread change
///   nothing `N` depends on, so `N` commutes with them (the spin loop's
///   next read is no longer ordered against every step of the others);
/// - every step that may change whether a thread is enabled (lock and
///   unlock of mutexes and rwlocks, condvar waits and notifies, park,
///   unpark, spawn, join): a thread enabled at `Y` that has not stepped
///   lets `N` run only while it is blocked.
///
/// With these, in every execution equivalent to a fair one, each thread
/// enabled at `Y` that stepped before `N` still does, and one that did not
/// is blocked at `N` by the same lock steps: `N` is eligible again. A step
/// not yet run may take a turn wherever it runs (`may`).
#[derive(Clone, Debug, Default)]
pub struct YieldTurns {
    /// Per thread: from its yield to its next step, the threads that have
    /// stepped since the yield; `None` otherwise.
    waiting: Vec<Option<SmallVec<[ThreadId; 4]>>>,
    /// Invariant: how many entries of `waiting` are `Some`. While none is,
    /// a step needs only its own kind (the usual case, at every step).
    waiters: usize,
}

impl YieldTurns {
    /// Forgets the execution.
    pub fn clear(&mut self) {
        self.waiting.clear();
        self.waiters = 0;
    }

    /// Records `thread`'s step `op` (`aux`: its trace record's); returns its
    /// accesses to [`Target::Turns`].
    pub fn step(&mut self, thread: ThreadId, op: &Op, aux: u64) -> SmallVec<[Access; 2]> {
        let (wait, take) = self.step_flags(thread, op, aux);
        turn_accesses(wait, take)
    }

    /// Records `thread`'s step `op` (`aux`: its trace record's); returns
    /// whether it waits for its turn and whether it may end another
    /// thread's wait (the arguments of [`turn_accesses`]). Only a yield that
    /// is a pivot ([`is_pivot`]) starts a wait: after one that stalled its
    /// spin loop, the thread waits for a store, not for its turn.
    pub fn step_flags(&mut self, thread: ThreadId, op: &Op, aux: u64) -> (bool, bool) {
        if self.waiters == 0 && !matches!(op, Op::Yield) {
            return (false, changes_enabledness(op));
        }
        if self.waiting.len() <= thread.index() {
            self.waiting.resize(thread.index() + 1, None);
        }
        let wait = self.waiting[thread.index()].take().is_some();
        if wait {
            self.waiters -= 1;
        }
        let mut take = changes_enabledness(op);
        for stepped in self.waiting.iter_mut().flatten() {
            if !stepped.contains(&thread) {
                stepped.push(thread);
                take = true;
            }
        }
        if is_pivot(op, aux) && matches!(op, Op::Yield) {
            self.waiting[thread.index()] = Some(SmallVec::new());
            self.waiters += 1;
        }
        debug_assert_eq!(self.waiters, self.waiting.iter().flatten().count());
        (wait, take)
    }

    /// Is `thread`'s next step its first after a yield?
    pub fn waits(&self, thread: ThreadId) -> bool {
        self.waiting.get(thread.index()).is_some_and(Option::is_some)
    }
}

/// The accesses to [`Target::Turns`] of a step that waits for its turn
/// (`wait`) and may end another thread's wait (`take`).
pub fn turn_accesses(wait: bool, take: bool) -> SmallVec<[Access; 2]> {
    let mut out = SmallVec::new();
    if wait {
        out.push(Access { target: Target::Turns, kind: AccessKind::TurnWait });
    }
    if take {
        out.push(Access { target: Target::Turns, kind: AccessKind::TurnTake });
    }
    out
}

/// May `op` enable or disable a thread other than its own?
fn changes_enabledness(op: &Op) -> bool {
    !matches!(
        op,
        Op::Load { .. }
            | Op::Store { .. }
            | Op::Rmw { .. }
            | Op::CompareExchange { .. }
            | Op::Fence
            | Op::Choose { .. }
            | Op::Yield
            | Op::ArcDrop { .. }
            | Op::ArcCount { .. }
            | Op::WeakUpgrade { .. }
            | Op::PoisonFlag { .. }
            | Op::StaticUse
            | Op::Exit
    )
}

/// Which steps the engine's yield rule touches (`memory.rs`,
/// `Memory::yielded`): after a thread yields, its first read of each atomic
/// it had read since its previous yield (or its start) may not read its
/// old floor there unless that is the last store (an atomic the rule
/// covers stays covered until the thread reads it). Whether that restricts
/// the read depends on which stores of the atomic ran before it, so DPOR
/// does not label such reads with the store they read: they stay ordered
/// against every store of the atomic. Feed it every step of an execution,
/// in order (before the execution's first yield, no read is under the
/// rule, and the steps may be fed when that yield comes).
#[derive(Clone, Debug, Default)]
pub struct YieldReads {
    /// Per thread.
    threads: Vec<YieldState>,
}

/// One thread's part of [`YieldReads`].
#[derive(Clone, Debug, Default)]
struct YieldState {
    /// The atomics read since the last yield.
    reads: SmallVec<[ObjectId; 4]>,
    /// The atomics whose next read is under the rule.
    covered: SmallVec<[ObjectId; 4]>,
    /// The atomics read since the last read marked
    /// [`crate::execution::SPIN_TRY`] (or the engine's last yield), while
    /// no other step came between: what an engine's yield covers.
    try_reads: SmallVec<[ObjectId; 4]>,
    /// Reads go to `try_reads`.
    in_try: bool,
}

impl YieldReads {
    /// Forgets the execution.
    pub fn clear(&mut self) {
        self.threads.clear();
    }

    /// Records `thread`'s step `op` (`aux`: its trace record's); true if it
    /// is a read under the rule. A yield the engine made for a loop that
    /// does not yield ([`crate::execution::YIELD_IMPLICIT`]) covers only
    /// the atomics read since the try started (the read marked
    /// [`crate::execution::SPIN_TRY`]), as `Memory::yielded_on` does.
    pub fn step(&mut self, thread: ThreadId, op: &Op, aux: u64) -> bool {
        if self.threads.len() <= thread.index() {
            self.threads.resize_with(thread.index() + 1, YieldState::default);
        }
        let state = &mut self.threads[thread.index()];
        match *op {
            Op::Yield if aux & crate::execution::YIELD_IMPLICIT != 0 => {
                for object in std::mem::take(&mut state.try_reads) {
                    if let Some(i) = state.reads.iter().position(|&o| o == object) {
                        state.reads.remove(i);
                        if !state.covered.contains(&object) {
                            state.covered.push(object);
                        }
                    }
                }
                false
            }
            Op::Yield => {
                for object in std::mem::take(&mut state.reads) {
                    if !state.covered.contains(&object) {
                        state.covered.push(object);
                    }
                }
                state.try_reads.clear();
                state.in_try = false;
                false
            }
            Op::Load { object, .. }
            | Op::Rmw { object, .. }
            | Op::CompareExchange { object, .. } => {
                if aux & crate::execution::SPIN_TRY != 0 {
                    state.try_reads.clear();
                    state.in_try = true;
                }
                if state.in_try && !state.try_reads.contains(&object) {
                    state.try_reads.push(object);
                }
                if !state.reads.contains(&object) {
                    state.reads.push(object);
                }
                match state.covered.iter().position(|&o| o == object) {
                    Some(i) => {
                        state.covered.swap_remove(i);
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        }
    }
}

/// Does `op` block until another thread acts (a lock held elsewhere, a
/// thread not finished, no notification or token yet)?
pub fn blocking(op: &Op) -> bool {
    matches!(
        op,
        Op::Lock { .. }
            | Op::Relock { .. }
            | Op::ReadLock { .. }
            | Op::WriteLock { .. }
            | Op::Park
            | Op::Join { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: AccessKind) -> Access {
        Access { target: Target::Object(ObjectId(0)), kind }
    }

    #[test]
    fn reads_commute_and_writes_do_not() {
        use AccessKind::*;
        assert!(!dependent(&object(Read), &object(Read)));
        assert!(dependent(&object(Read), &object(Write)));
        assert!(dependent(&object(Write), &object(Write)));
        let other = Access { target: Target::Object(ObjectId(1)), kind: Write };
        assert!(!dependent(&object(Write), &other), "different objects are independent");
        assert!(!dependent(&object(Enqueue), &object(Enqueue)));
        assert!(dependent(&object(Enqueue), &object(Signal)));
    }

    #[test]
    fn an_sc_fence_is_ordered_against_sc_events_only() {
        use crate::op::MemoryOrdering::{Relaxed, SeqCst};
        let t = ThreadId(0);
        let load = |object, ordering| Op::Load { object: ObjectId(object), ordering };
        let fence = accesses(t, &Op::Fence, None);
        let depends = |a: &SmallVec<[Access; 2]>, b: &SmallVec<[Access; 2]>| {
            a.iter().any(|x| b.iter().any(|y| dependent(x, y)))
        };
        for op in [load(3, SeqCst), Op::Fence] {
            let other = accesses(t, &op, None);
            assert!(depends(&fence, &other) && depends(&other, &fence), "{op:?}");
        }
        let relaxed = accesses(t, &load(3, Relaxed), None);
        assert!(!depends(&fence, &relaxed) && !depends(&relaxed, &fence));
        let (x, y) = (accesses(t, &load(1, SeqCst), None), accesses(t, &load(2, SeqCst), None));
        assert!(!depends(&x, &y), "SC loads of different atomics commute");
    }

    #[test]
    fn arc_drops_depend_only_through_the_last_one() {
        let drop = |r| object(AccessKind::Drop { remaining: r });
        assert!(!dependent(&drop(Some(3)), &drop(Some(2))), "neither is last");
        assert!(dependent(&drop(Some(1)), &drop(Some(0))), "the second is last");
        assert!(dependent(&drop(None), &drop(Some(1))), "the pending one may be last");
        assert!(!dependent(&drop(None), &drop(Some(2))), "two handles are left besides it");
    }

    #[test]
    fn upgrades_are_ordered_against_every_drop_but_not_each_other() {
        let drop = |r| object(AccessKind::Drop { remaining: r });
        let upgrade = object(AccessKind::Upgrade);
        for r in [Some(0), Some(1), Some(5), None] {
            assert!(dependent(&drop(r), &upgrade) && dependent(&upgrade, &drop(r)), "{r:?}");
        }
        assert!(!dependent(&upgrade, &upgrade));
        assert!(dependent(&upgrade, &object(AccessKind::Count)));
    }

    #[test]
    fn a_compare_exchange_writes_even_when_it_fails() {
        let t = ThreadId(0);
        let cas = Op::CompareExchange {
            object: ObjectId(0),
            success: crate::op::MemoryOrdering::SeqCst,
            failure: crate::op::MemoryOrdering::SeqCst,
            expected: 0,
            new: 1,
            weak: false,
        };
        let failed = accesses(t, &cas, Some(Reply::Exchange { ok: false, previous: 5 }));
        let write = AccessKind::Store { me: None, reads: true, from: None, sc: true };
        assert_eq!(failed[0].kind, write, "the kind must not depend on where it runs");
        let pending = accesses(t, &cas, None);
        assert_eq!(pending[0].kind, write);
    }

    #[test]
    fn a_store_and_a_later_load_depend_only_through_reads_from() {
        let step = |position| Some(Source::Step { thread: ThreadId(1), position });
        let store = |me, sc| object(AccessKind::Store { me, reads: false, from: None, sc });
        let rmw = |me, from| object(AccessKind::Store { me, reads: true, from, sc: false });
        let load = |from, sc| object(AccessKind::Load { from, sc });
        assert!(dependent(&store(step(1), false), &load(step(1), false)), "it read the store");
        assert!(!dependent(&store(step(1), false), &load(Some(Source::Initial), false)));
        assert!(!dependent(&store(step(1), false), &load(step(2), false)));
        assert!(dependent(&store(None, false), &load(step(2), false)), "unknown: dependent");
        assert!(dependent(&store(step(1), false), &load(None, false)), "may read it");
        assert!(dependent(&load(step(1), false), &store(step(2), false)), "a load, then a store");
        assert!(dependent(&store(step(1), false), &store(step(2), false)), "two plain stores");
        assert!(dependent(&store(step(1), true), &store(step(2), true)), "two SC stores");
        assert!(dependent(&store(step(1), true), &load(step(3), true)), "SC store, SC load");
        assert!(!dependent(&store(step(1), true), &load(step(3), false)));
        assert!(dependent(&rmw(step(1), None), &store(step(2), false)), "an RMW reads");
        assert!(dependent(&store(step(1), false), &rmw(step(2), step(1))));
        assert!(!dependent(&store(step(1), false), &rmw(step(2), Some(Source::Initial))));
        assert!(!dependent(&load(step(1), true), &load(step(2), true)), "loads commute");
    }
}
