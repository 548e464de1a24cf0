//! Happens-before, kept as the execution runs, and the data-race detector
//! built on it.
//!
//! DPOR computes its own happens-before after the fact, over steps and
//! their dependence (`strategy/dpor.rs`). This module is different: it
//! follows the synchronisation the program performs (who released what to
//! whom), as C++20 and Rust define it, so that accesses which are not steps
//! (`UnsafeCell`, `Cell`, `unsync_load`) can be checked for data races, and
//! and so that the memory model ([`crate::memory`]) can decide what a load
//! may read: which stores happen before it.
//!
//! Every thread has a vector clock; its own entry (its *epoch*) advances
//! after every step and at every release fence, so an access is identified by
//! (thread, epoch). Every synchronising target (an object, a thread's park
//! token, a lazy static) has a clock too. [`HappensBefore::release`] joins a
//! thread's clock into a target's; [`HappensBefore::acquire`] joins a
//! target's clock into a thread's. The edges:
//!
//! - spawn: the child starts with its parent's clock;
//! - join: the joiner acquires the joined thread's final clock;
//! - mutex: unlock (and a condvar wait's release) releases, lock (and the
//!   wait's relock, and a successful `try_lock`) acquires;
//! - park: unpark releases into the target's token, park acquires it;
//! - atomics, by ordering: every store carries a clock (see
//!   [`crate::memory`]): a release store its thread's clock, which starts a
//!   release sequence; any other store the thread's last release fence's,
//!   or nothing; an RMW the clock of the store it read (it continues that
//!   release sequence) joined with its own. An acquiring load or RMW
//!   acquires the clock of the store it read; a relaxed one keeps it for a
//!   later acquire fence;
//! - fences: a release fence records the thread's clock, which its later
//!   relaxed stores and RMWs carry; an acquire fence acquires what its
//!   earlier relaxed loads read. `SeqCst` fences are acquire-release fences
//!   (their total order adds no happens-before edge);
//! - `Arc`: every drop releases into the allocation's clock; the drop that
//!   takes the count to zero (or a successful `try_unwrap`) acquires it, as
//!   std's `Arc` does with its release decrement and acquire fence.
//!
//! New operations wire in with one call to `release` or `acquire` in
//! `Execution::synchronise`. A reader-writer lock, for instance: write
//! unlock releases `Object`, read unlock releases `Readers`; read lock
//! acquires `Object`, write lock acquires both.

use fxhash::FxHashMap;

use smallvec::SmallVec;

use crate::ids::{ObjectId, ThreadId};
use crate::objects::LazyObject;
use crate::op::{MemoryOrdering, SourceLocation};
use crate::vclock::VClock;

/// Something threads synchronise through.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SyncTarget {
    /// A shared object (atomic, mutex, `Arc` allocation...).
    Object(ObjectId),
    /// What the readers of a reader-writer lock release on read unlock;
    /// only a write lock acquires it (readers do not order each other),
    /// while read and write locks both acquire `Object` (the writers').
    Readers(ObjectId),
    /// A thread's park token.
    ParkToken(ThreadId),
    /// A lazy static of the execution, by initialisation order.
    LazyStatic(u32),
}

/// How an access touches memory.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AccessKind {
    /// It reads.
    Read,
    /// It writes (or may: a `MutPtr`, `with_mut`).
    Write,
}

impl AccessKind {
    fn verb(self) -> &'static str {
        match self {
            AccessKind::Read => "reads",
            AccessKind::Write => "writes",
        }
    }
}

/// One access to a cell, for race checks and reports.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Access {
    pub(crate) thread: ThreadId,
    /// The thread's epoch when the access ended (for a live one: began).
    epoch: u32,
    pub(crate) kind: AccessKind,
    pub(crate) location: SourceLocation,
    /// How many trace events had happened when it began.
    pub(crate) after_event: usize,
}

/// An access still in progress: a live `ConstPtr`/`MutPtr`, or a
/// `with`/`with_mut` closure that has not returned.
#[derive(Copy, Clone, Debug)]
struct Live {
    id: u32,
    access: Access,
}

/// What a cell remembers to check the next access: FastTrack's last write
/// and the reads since, one per thread, plus the accesses in progress.
#[derive(Clone, Debug, Default)]
struct History {
    write: Option<Access>,
    reads: SmallVec<[Access; 2]>,
    live: SmallVec<[Live; 2]>,
}

/// Two accesses to the same memory, at least one a write, and the second
/// not ordered after the first.
#[derive(Clone, Debug)]
pub(crate) struct Race {
    pub(crate) first: Access,
    pub(crate) second: Access,
    /// The first was still in progress when the second began.
    pub(crate) overlapping: bool,
    /// What was raced on, for the report (`UnsafeCell`, `AtomicUsize#2`).
    pub(crate) what: String,
    /// Where that was created.
    pub(crate) created: SourceLocation,
}

/// A cell tracked for races: an `UnsafeCell` or `Cell` of the model.
#[derive(Clone, Debug)]
struct CellRecord {
    type_name: &'static str,
    created: SourceLocation,
    history: History,
}

/// A cell of the running execution, numbered in first-use order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CellId(pub u32);

/// An access that has begun and must be ended (`HappensBefore::end_access`).
#[derive(Copy, Clone, Debug)]
pub struct AccessToken {
    /// The execution it belongs to: a token that outlived it is ignored.
    pub(crate) generation: u64,
    pub(crate) cell: CellId,
    pub(crate) id: u32,
}

/// The clocks of one thread.
#[derive(Clone, Debug, Default)]
struct ThreadClocks {
    clock: VClock,
    /// The clock at its last release fence: what its relaxed stores carry.
    fence_release: Option<VClock>,
    /// What its relaxed loads read: an acquire fence acquires it.
    fence_acquire: VClock,
}

/// Happens-before of one execution, and the race detector's state.
#[derive(Default)]
pub(crate) struct HappensBefore {
    threads: Vec<ThreadClocks>,
    objects: Vec<VClock>,
    readers: Vec<VClock>,
    tokens: Vec<VClock>,
    statics: Vec<VClock>,
    cells: Vec<CellRecord>,
    /// Address of a cell -> its id, for statics another execution rebound.
    cells_by_address: FxHashMap<usize, CellId>,
    /// The non-atomic accesses to atomics (`unsync_load`) and their writes.
    atomics: Vec<History>,
    next_live: u32,
}

// By hand, for `clone_from`, which keeps the buffers of the target (fast
// replay restores happens-before at every execution).
impl Clone for HappensBefore {
    fn clone(&self) -> Self {
        let mut copy = HappensBefore::default();
        copy.clone_from(self);
        copy
    }

    fn clone_from(&mut self, source: &Self) {
        self.threads.clone_from(&source.threads);
        self.objects.clone_from(&source.objects);
        self.readers.clone_from(&source.readers);
        self.tokens.clone_from(&source.tokens);
        self.statics.clone_from(&source.statics);
        self.cells.clone_from(&source.cells);
        self.cells_by_address.clone_from(&source.cells_by_address);
        self.atomics.clone_from(&source.atomics);
        self.next_live = source.next_live;
    }
}

fn releases(o: MemoryOrdering) -> bool {
    matches!(o, MemoryOrdering::Release | MemoryOrdering::AcqRel | MemoryOrdering::SeqCst)
}

fn acquires(o: MemoryOrdering) -> bool {
    matches!(o, MemoryOrdering::Acquire | MemoryOrdering::AcqRel | MemoryOrdering::SeqCst)
}

impl HappensBefore {
    /// Forgets the previous execution; `main` starts at epoch 1.
    pub(crate) fn reset(&mut self) {
        self.threads.clear();
        self.objects.clear();
        self.readers.clear();
        self.tokens.clear();
        self.statics.clear();
        self.cells.clear();
        self.cells_by_address.clear();
        self.atomics.clear();
        self.next_live = 0;
        let mut main = ThreadClocks::default();
        main.clock.set(ThreadId::MAIN, 1);
        self.threads.push(main);
    }

    fn thread(&mut self, t: ThreadId) -> &mut ThreadClocks {
        if self.threads.len() <= t.index() {
            self.threads.resize_with(t.index() + 1, ThreadClocks::default);
        }
        &mut self.threads[t.index()]
    }

    fn target(&mut self, target: SyncTarget) -> &mut VClock {
        let (table, i) = match target {
            SyncTarget::Object(o) => (&mut self.objects, o.index()),
            SyncTarget::Readers(o) => (&mut self.readers, o.index()),
            SyncTarget::ParkToken(t) => (&mut self.tokens, t.index()),
            SyncTarget::LazyStatic(s) => (&mut self.statics, s as usize),
        };
        if table.len() <= i {
            table.resize_with(i + 1, VClock::default);
        }
        &mut table[i]
    }

    /// `thread` releases into `target`: whoever acquires `target` later
    /// happens after everything `thread` did so far, and nothing it does
    /// from now on (its epoch advances).
    pub fn release(&mut self, thread: ThreadId, target: SyncTarget) {
        let clock = std::mem::take(&mut self.thread(thread).clock);
        self.target(target).join(&clock);
        self.thread(thread).clock = clock;
        self.tick(thread);
    }

    /// `thread` acquires `target`: it now happens after every release into it.
    pub fn acquire(&mut self, thread: ThreadId, target: SyncTarget) {
        let clock = std::mem::take(self.target(target));
        self.thread(thread).clock.join(&clock);
        *self.target(target) = clock;
    }

    /// Advances `thread`'s epoch: what it does from now on is not covered by
    /// its releases so far. Called after every step.
    pub(crate) fn tick(&mut self, thread: ThreadId) {
        let clock = &mut self.thread(thread).clock;
        let next = clock.get(thread) + 1;
        clock.set(thread, next);
    }

    /// `parent` spawns `child`: the child starts after everything the
    /// parent did so far.
    pub(crate) fn spawn(&mut self, parent: ThreadId, child: ThreadId) {
        let mut clock = self.thread(parent).clock.clone();
        clock.set(child, 1);
        let record = self.thread(child);
        *record = ThreadClocks::default();
        record.clock = clock;
    }

    /// `joiner` joins `joined`, which has finished: it acquires all of it.
    pub(crate) fn join(&mut self, joiner: ThreadId, joined: ThreadId) {
        let clock = self.thread(joined).clock.clone();
        self.thread(joiner).clock.join(&clock);
    }

    /// `thread` happens after every other thread (all have finished): for
    /// the destructors of lazy statics at the end of the execution.
    pub(crate) fn after_all(&mut self, thread: ThreadId) {
        let mut all = VClock::default();
        for t in &self.threads {
            all.join(&t.clock);
        }
        self.thread(thread).clock.join(&all);
    }

    /// `thread`'s clock now.
    pub(crate) fn clock(&self, thread: ThreadId) -> &VClock {
        &self.threads[thread.index()].clock
    }

    /// What a store by `thread` with ordering `o` carries to the reads that
    /// acquire it: the thread's clock if it releases, else what its last
    /// release fence recorded (C++20: a relaxed store after a release fence
    /// synchronises through the fence). `None`: nothing.
    #[inline]
    pub(crate) fn release_clock(&self, thread: ThreadId, o: MemoryOrdering) -> Option<VClock> {
        let t = &self.threads[thread.index()];
        if releases(o) { Some(t.clock.clone()) } else { t.fence_release.clone() }
    }

    /// An atomic read of a store that carries `sync` (the read of an RMW, a
    /// failed compare-exchange included): an acquiring read acquires it, a
    /// relaxed one keeps it for a later acquire fence.
    pub(crate) fn atomic_read(&mut self, thread: ThreadId, sync: &VClock, o: MemoryOrdering) {
        let t = self.thread(thread);
        if acquires(o) {
            t.clock.join(sync);
        } else {
            t.fence_acquire.join(sync);
        }
    }

    /// A fence (not a step: it changes only its own thread's clocks).
    pub(crate) fn fence(&mut self, thread: ThreadId, o: MemoryOrdering) {
        let t = self.thread(thread);
        if acquires(o) {
            let read = std::mem::take(&mut t.fence_acquire);
            t.clock.join(&read);
        }
        if releases(o) {
            t.fence_release = Some(t.clock.clone());
            // Accesses after the fence must not ride on it.
            self.tick(thread);
        }
    }

    // ---- data races ----

    /// The cell `lazy` stands for in execution `generation`, made on first use.
    pub(crate) fn cell(
        &mut self,
        generation: u64,
        lazy: &LazyObject,
        type_name: &'static str,
        created: SourceLocation,
    ) -> CellId {
        if let Some(id) = lazy.read(generation) {
            return CellId(id.0);
        }
        let address = lazy as *const LazyObject as usize;
        if lazy.ever_bound()
            && let Some(&id) = self.cells_by_address.get(&address)
        {
            lazy.bind(generation, ObjectId(id.0));
            return id;
        }
        let id = CellId(self.cells.len() as u32);
        self.cells.push(CellRecord { type_name, created, history: History::default() });
        self.cells_by_address.insert(address, id);
        lazy.bind(generation, ObjectId(id.0));
        id
    }

    /// `thread` begins an access to `cell`. A race with an earlier access
    /// is returned; otherwise the access is live until `end_access`.
    pub(crate) fn begin_access(
        &mut self,
        cell: CellId,
        thread: ThreadId,
        kind: AccessKind,
        location: SourceLocation,
        after_event: usize,
    ) -> Result<u32, Box<Race>> {
        let epoch = self.threads[thread.index()].clock.get(thread);
        let access = Access { thread, epoch, kind, location, after_event };
        let clock = &self.threads[thread.index()].clock;
        let record = &mut self.cells[cell.index()];
        if let Some((first, overlapping)) = check(&record.history, clock, &access) {
            let what = record.type_name.to_string();
            return Err(Box::new(Race {
                first,
                second: access,
                overlapping,
                what,
                created: record.created,
            }));
        }
        let id = self.next_live;
        self.next_live += 1;
        record.history.live.push(Live { id, access });
        Ok(id)
    }

    /// The id [`HappensBefore::begin_access`] gives the next access, taken
    /// for an access it does not check (fast replay: the access is in the
    /// snapshot to come).
    pub(crate) fn next_access_id(&mut self) -> u32 {
        self.next_live += 1;
        self.next_live - 1
    }

    /// The access `id` to `cell` ends: later accesses must happen after
    /// this point of its thread.
    pub(crate) fn end_access(&mut self, cell: CellId, id: u32) {
        let Some(record) = self.cells.get_mut(cell.index()) else { return };
        let history = &mut record.history;
        let Some(pos) = history.live.iter().position(|l| l.id == id) else { return };
        let mut access = history.live.remove(pos).access;
        access.epoch = self.threads[access.thread.index()].clock.get(access.thread);
        record_access(history, access);
    }

    /// A non-atomic read of an atomic (`unsync_load`): a race with any write
    /// it is not ordered after.
    pub(crate) fn unsync_read(
        &mut self,
        object: ObjectId,
        label: String,
        created: SourceLocation,
        thread: ThreadId,
        location: SourceLocation,
        after_event: usize,
    ) -> Result<(), Box<Race>> {
        let epoch = self.threads[thread.index()].clock.get(thread);
        let access = Access { thread, epoch, kind: AccessKind::Read, location, after_event };
        let history = self.atomic_history(object);
        let history = std::mem::take(history);
        let clock = &self.threads[thread.index()].clock;
        let race = check(&history, clock, &access);
        let history = {
            let mut h = history;
            if race.is_none() {
                record_access(&mut h, access);
            }
            h
        };
        *self.atomic_history(object) = history;
        match race {
            Some((first, overlapping)) => {
                Err(Box::new(Race { first, second: access, overlapping, what: label, created }))
            }
            None => Ok(()),
        }
    }

    /// An atomic write step: a race with an `unsync_load` it is not ordered
    /// after; atomic accesses never race with each other.
    pub(crate) fn atomic_write(
        &mut self,
        object: ObjectId,
        thread: ThreadId,
        location: SourceLocation,
        after_event: usize,
    ) -> Result<(), Box<Race>> {
        let epoch = self.threads[thread.index()].clock.get(thread);
        let access = Access { thread, epoch, kind: AccessKind::Write, location, after_event };
        let history = self.atomic_history(object);
        let race = if history.reads.is_empty() {
            None
        } else {
            let clock = &self.threads[thread.index()].clock;
            let history = &self.atomics[object.index()];
            history
                .reads
                .iter()
                .find(|r| r.thread != thread && !clock.includes(r.thread, r.epoch))
                .copied()
        };
        record_access(self.atomic_history(object), access);
        match race {
            Some(first) => Err(Box::new(Race {
                first,
                second: access,
                overlapping: false,
                what: String::new(),
                created: location,
            })),
            None => Ok(()),
        }
    }

    fn atomic_history(&mut self, object: ObjectId) -> &mut History {
        if self.atomics.len() <= object.index() {
            self.atomics.resize_with(object.index() + 1, History::default);
        }
        &mut self.atomics[object.index()]
    }
}

impl CellId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// The earlier access `access` races with, if any, and whether that one is
/// still in progress.
fn check(history: &History, clock: &VClock, access: &Access) -> Option<(Access, bool)> {
    let conflicts =
        |other: AccessKind| other == AccessKind::Write || access.kind == AccessKind::Write;
    // An access in progress, of any thread, conflicts with any conflicting
    // access: it cannot be ordered before something it has not finished.
    if let Some(live) = history.live.iter().find(|l| conflicts(l.access.kind)) {
        return Some((live.access, true));
    }
    let ordered = |a: &Access| a.thread == access.thread || clock.includes(a.thread, a.epoch);
    if let Some(w) = &history.write
        && !ordered(w)
    {
        return Some((*w, false));
    }
    if access.kind == AccessKind::Write
        && let Some(r) = history.reads.iter().find(|r| !ordered(r))
    {
        return Some((*r, false));
    }
    None
}

/// Remembers a finished access: a write replaces everything (FastTrack:
/// whatever comes next must be ordered after it, hence after what it was
/// ordered after); a read replaces its thread's earlier read.
fn record_access(history: &mut History, access: Access) {
    match access.kind {
        AccessKind::Write => {
            history.write = Some(access);
            history.reads.clear();
        }
        AccessKind::Read => match history.reads.iter_mut().find(|r| r.thread == access.thread) {
            Some(r) => *r = access,
            None => history.reads.push(access),
        },
    }
}

impl Race {
    /// The failure message: both accesses, numbered (1) and (2).
    pub(crate) fn describe(&self, label: impl Fn(ThreadId) -> String) -> String {
        let line = |n: u32, a: &Access| {
            let when = match a.after_event {
                0 => "before any step".to_string(),
                e => format!("after event ({e}) of the trace"),
            };
            format!(
                "\n    ({n}) {} {} at {}, {when}",
                label(a.thread),
                a.kind.verb(),
                crate::report::location(a.location)
            )
        };
        let why = if self.overlapping {
            "(1) was still in progress when (2) began (a live ConstPtr or MutPtr, or a \
             with/with_mut closure that had not returned)"
        } else {
            "(2) is not ordered after (1) by happens-before: no join, lock, or \
             release/acquire pair orders them"
        };
        format!(
            "data race on {} created at {}:{}{}\n{why}",
            self.what,
            crate::report::location(self.created),
            line(1, &self.first),
            line(2, &self.second)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn here() -> SourceLocation {
        std::panic::Location::caller()
    }

    #[test]
    fn release_acquire_orders_and_relaxed_does_not() {
        let mut hb = HappensBefore::default();
        hb.reset();
        let (main, child) = (ThreadId::MAIN, ThreadId(1));
        hb.spawn(main, child);
        hb.tick(main);
        let lazy = LazyObject::new();
        let cell = hb.cell(1, &lazy, "UnsafeCell", here());
        let a = hb.begin_access(cell, child, AccessKind::Write, here(), 0).unwrap();
        hb.end_access(cell, a);
        let relaxed = hb.release_clock(child, MemoryOrdering::Relaxed).unwrap_or_default();
        hb.tick(child);
        hb.atomic_read(main, &relaxed, MemoryOrdering::Acquire);
        assert!(hb.begin_access(cell, main, AccessKind::Read, here(), 0).is_err());
        let released = hb.release_clock(child, MemoryOrdering::Release).unwrap_or_default();
        hb.tick(child);
        hb.atomic_read(main, &released, MemoryOrdering::Acquire);
        assert!(hb.begin_access(cell, main, AccessKind::Read, here(), 0).is_ok());
    }
}
