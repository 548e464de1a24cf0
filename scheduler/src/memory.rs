//! Weak memory: what an atomic load may read, and where a store goes in its
//! location's modification order, under RC11.
//!
//! Lahav, Vafeiadis, Kang, Hur, Dreyer. *Repairing Sequential Consistency
//! in C/C++11.* PLDI 2017 (RC11, the model C++20 adopted).
//!
//! The crux: an execution is built in the order the scheduler runs its
//! steps, and every load chooses, among the stores already made to its
//! location, any one that keeps the execution graph consistent; every store
//! chooses its place in the modification order the same way. Both are data
//! decisions the strategies enumerate (option 0 is always the sequentially
//! consistent one: the last store, the end of the order). A read-modify-write
//! chooses the store it reads too, and goes right after it. Since a load can
//! only read a store that ran before it, `sb ∪ rf` is acyclic by
//! construction: RC11's no-thin-air axiom holds, and load buffering's
//! (1, 1) is never produced, as RC11 requires.
//!
//! Consistency is kept as each event is added, so that every prefix is
//! consistent and every choice offered leads somewhere (reading the last
//! store, storing at the end, is always consistent):
//! - coherence: a location's *floor* for a thread is the latest store in
//!   modification order among those that happen before the access and those
//!   read by reads that happen before it; a load reads at or after its floor,
//!   a store goes after it. Per location and thread the engine keeps, after
//!   each access, (epoch, store): the floor contributed by that access. A
//!   thread's vector clock says which of them happen before.
//! - atomicity: a read-modify-write goes right after the store it reads in
//!   modification order, and no store is ever placed between the two (so no
//!   two RMWs read the same store).
//! - SC: RC11 asks for `psc` to be acyclic. Here the total order of SC events
//!   is the execution order: every `psc` edge between two SC events must go
//!   forward in it. Without SC fences this means: an SC store goes after every
//!   SC store of its location, an SC load reads at or after the last one.
//!   With SC fences the check is incremental ([`Memory::sc_bounds`]): the
//!   edges among the events already in the graph do not change when an
//!   event is added (happens-before only gains edges into it, and inserting
//!   a store into modification order keeps the order of the others), so
//!   only the paths through the new event can go backward, and those all
//!   leave it by an `eco` edge to an older access of its own location. The
//!   check walks those accesses and the SC fences between them and the new
//!   event, never the whole graph.
//!
//! Release sequences (C++20): each store carries the clock an acquiring read
//! of it acquires (`sync`): a releasing store its thread's clock, a relaxed
//! one its thread's last release fence's, an RMW the clock of the store it
//! read joined with its own.
//!
//! Deviations:
//! 1. The total order of SC events is the execution order. RC11 only needs
//!    some order: a graph in which an SC load must be ordered before an SC
//!    store that, through a relaxed reads-from edge, ran before it (message
//!    passing with a relaxed flag and SC data) is consistent in RC11 and not
//!    produced here.
//! 2. Only SC fences are events of the graph; acquire and release fences act
//!    through the clocks.

use smallvec::SmallVec;

use crate::ids::{ObjectId, ThreadId};
use crate::op::MemoryOrdering;
use crate::vclock::{ThreadSet, VClock};

/// A store of the running execution (the initial values included).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoreId(u32);

impl StoreId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// Who made a memory event and when: what the SC check needs of it.
#[derive(Copy, Clone, Debug)]
struct Stamp {
    thread: ThreadId,
    /// Its thread's epoch at the event: a later event `b` happens after it
    /// iff `b`'s clock holds at least this for `thread`.
    epoch: u32,
    /// Its place among the execution's memory events (execution order).
    order: u32,
}

impl Stamp {
    /// Does this event happen before an event whose clock is `clock`?
    fn before(&self, clock: &VClock) -> bool {
        clock.get(self.thread) >= self.epoch
    }
}

#[derive(Clone, Debug)]
struct Store {
    value: u64,
    /// What an acquiring read of it acquires.
    sync: VClock,
    /// Position in its location's modification order.
    pos: u32,
    rmw: bool,
    /// The step that made it; `None` for an initial value.
    step: Option<u32>,
    /// The event that made it; `None` for an initial value, which happens
    /// before everything.
    made: Option<Stamp>,
    sc: bool,
    /// The last read (RMWs included) that read it, in
    /// [`Memory::readers`]; `u32::MAX` for none.
    last_reader: u32,
}

/// A read of a store: one link of the store's chain of reads.
#[derive(Copy, Clone, Debug)]
struct Reader {
    stamp: Stamp,
    /// The read of the same store before it; `u32::MAX` for none.
    previous: u32,
}

/// Per position of a location's modification order from `low` on: the
/// least bounds of the stores from there to the end (see
/// [`Memory::sc_bounds`]).
struct ScBounds {
    low: u32,
    /// (start, fence): the place in execution order the access (if SC) or
    /// its latest SC fence before it may not come after, and the place its
    /// latest SC fence before it may not come after.
    least: SmallVec<[(u32, u32); 8]>,
}

impl ScBounds {
    /// May an access that goes before the stores from position `from` on
    /// (`from` at or after `low`) keep `psc` forward? `sc`: it is SC;
    /// `fence`: the latest SC fence that happens before it.
    fn allow(&self, from: u32, sc: bool, fence: Option<u32>) -> bool {
        let Some(&(start_bound, fence_bound)) = self.least.get((from - self.low) as usize) else {
            return true;
        };
        let start = if sc { Some(u32::MAX) } else { fence };
        start.is_none_or(|s| s <= start_bound) && fence.is_none_or(|f| f <= fence_bound)
    }
}

/// One atomic location.
#[derive(Debug, Default)]
struct Location {
    /// The stores in modification order.
    mo: Vec<StoreId>,
    /// Per thread: after each of its accesses (by epoch), the latest store
    /// in modification order it had written or read. Non-decreasing in
    /// modification order (coherence), one entry per change.
    floors: Vec<SmallVec<[(u32, StoreId); 2]>>,
    /// The last SC store (the latest in modification order of the SC ones).
    last_sc: Option<StoreId>,
    /// Per thread: its floor when it last yielded. It may not read that
    /// store again unless it is the last (see [`Memory::yielded`]).
    yield_floor: Vec<Option<StoreId>>,
    /// The threads that read it since their last yield (their entry in
    /// `Memory::iteration_reads`): a read checks here, not that list.
    polled: ThreadSet,
}

// By hand, for `clone_from`, which keeps the buffers of the target (fast
// replay restores memory at every execution).
impl Clone for Location {
    fn clone(&self) -> Self {
        Location {
            mo: self.mo.clone(),
            floors: self.floors.clone(),
            last_sc: self.last_sc,
            yield_floor: self.yield_floor.clone(),
            polled: self.polled.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.mo.clone_from(&source.mo);
        self.floors.clone_from(&source.floors);
        self.last_sc = source.last_sc;
        self.yield_floor.clone_from(&source.yield_floor);
        self.polled.clone_from(&source.polled);
    }
}

/// An SC fence of the execution.
#[derive(Clone, Debug)]
struct Fence {
    stamp: Stamp,
    /// Its thread's clock at the fence: what happens before it.
    clock: VClock,
}

/// What an atomic access may do: the options of its data decision.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Choice {
    /// Read this store.
    Read(StoreId),
    /// Store at this position of the modification order.
    At(u32),
}

/// The memory of one execution.
#[derive(Default)]
pub(crate) struct Memory {
    /// Per object index; kept across executions (with their allocations)
    /// and reset in place. `mo` is empty for an object not in use.
    locations: Vec<Location>,
    stores: Vec<Store>,
    /// The SC fences, in execution order.
    fences: Vec<Fence>,
    /// The reads of every store, each store's chained from its last one
    /// (`Store::last_reader`).
    readers: Vec<Reader>,
    /// Memory events so far: the next one's `Stamp::order`.
    events: u32,
    /// Per thread: the atomics it has read since its last yield (or its
    /// start), which its next yield puts under the yield rule (see
    /// [`Memory::yielded`]).
    iteration_reads: Vec<SmallVec<[ObjectId; 4]>>,
    /// Every event, for the whole-graph check the tests hold the
    /// incremental one to.
    #[cfg(test)]
    graph: Vec<full::Event>,
}

// By hand, for `clone_from` (see `Location`).
impl Clone for Memory {
    fn clone(&self) -> Self {
        let mut copy = Memory::default();
        copy.clone_from(self);
        copy
    }

    fn clone_from(&mut self, source: &Self) {
        self.locations.clone_from(&source.locations);
        self.stores.clone_from(&source.stores);
        self.fences.clone_from(&source.fences);
        self.readers.clone_from(&source.readers);
        self.events = source.events;
        self.iteration_reads.clone_from(&source.iteration_reads);
        #[cfg(test)]
        self.graph.clone_from(&source.graph);
    }
}

/// Does an access with this ordering take part in the SC order?
pub(crate) fn is_sc(o: MemoryOrdering) -> bool {
    o == MemoryOrdering::SeqCst
}

impl Memory {
    /// Forgets the previous execution.
    pub(crate) fn reset(&mut self) {
        for loc in &mut self.locations {
            loc.mo.clear();
            for f in &mut loc.floors {
                f.clear();
            }
            loc.last_sc = None;
            loc.yield_floor.clear();
            loc.polled = ThreadSet::new();
        }
        self.stores.clear();
        self.fences.clear();
        self.readers.clear();
        self.events = 0;
        self.iteration_reads.clear();
        #[cfg(test)]
        self.graph.clear();
    }

    fn new_store(&mut self, store: Store) -> StoreId {
        let id = StoreId(self.stores.len() as u32);
        self.stores.push(store);
        id
    }

    fn initial(value: u64) -> Store {
        Store {
            value,
            sync: VClock::default(),
            pos: 0,
            rmw: false,
            step: None,
            made: None,
            sc: false,
            last_reader: u32::MAX,
        }
    }

    /// The stamp of the next event.
    fn stamp(&mut self, thread: ThreadId, epoch: u32) -> Stamp {
        let order = self.events;
        self.events += 1;
        Stamp { thread, epoch, order }
    }

    /// The location of `object`, made with `initial` as its value on first
    /// use (the initial value happens before everything).
    fn location(&mut self, object: ObjectId, initial: impl FnOnce() -> u64) -> &mut Location {
        let i = object.index();
        if self.locations.len() <= i {
            self.locations.resize_with(i + 1, Location::default);
        }
        if self.locations[i].mo.is_empty() {
            let id = self.new_store(Self::initial(initial()));
            self.locations[i].mo.push(id);
        }
        &mut self.locations[i]
    }

    fn loc(&self, object: ObjectId) -> &Location {
        &self.locations[object.index()]
    }

    /// Makes sure `object` has its initial store.
    pub(crate) fn touch(&mut self, object: ObjectId, initial: impl FnOnce() -> u64) {
        self.location(object, initial);
    }

    /// The value of the last store in modification order.
    pub(crate) fn last_value(&mut self, object: ObjectId, initial: impl FnOnce() -> u64) -> u64 {
        let last = *self.location(object, initial).mo.last().expect("an initial store");
        self.stores[last.index()].value
    }

    /// The value was replaced through `&mut` (`get_mut`): nothing else can
    /// be read any more, as if the location started anew with it.
    pub(crate) fn overwrite(&mut self, object: ObjectId, value: u64) {
        let id = self.new_store(Self::initial(value));
        let loc = self.location(object, || value);
        loc.mo.clear();
        loc.mo.push(id);
        for f in &mut loc.floors {
            f.clear();
        }
        loc.last_sc = None;
        loc.yield_floor.clear();
    }

    pub(crate) fn value(&self, store: StoreId) -> u64 {
        self.stores[store.index()].value
    }

    pub(crate) fn sync(&self, store: StoreId) -> &VClock {
        &self.stores[store.index()].sync
    }

    /// The step that made the store, `None` for an initial value.
    pub(crate) fn step_of(&self, store: StoreId) -> Option<u32> {
        self.stores[store.index()].step
    }

    /// Is the store of step `a` before that of step `b` in modification
    /// order? `None` if either step made no store. A scan of the stores,
    /// latest first: asked only about a store that went before earlier
    /// ones (DPOR's deviation 10), never on the path of every store.
    pub(crate) fn mo_before(&self, a: u32, b: u32) -> Option<bool> {
        let find = |k: u32| self.stores.iter().rev().find(|s| s.step == Some(k)).map(|s| s.pos);
        Some(find(a)? < find(b)?)
    }

    /// The steps of the last `count` stores of `object` in modification
    /// order (`None` for the initial value).
    pub(crate) fn last_steps(&self, object: ObjectId, count: usize) -> SmallVec<[Option<u32>; 8]> {
        let mo = &self.loc(object).mo;
        mo[mo.len().saturating_sub(count)..].iter().map(|s| self.stores[s.index()].step).collect()
    }

    /// The last store of `object` in modification order.
    pub(crate) fn last(&self, object: ObjectId) -> StoreId {
        *self.loc(object).mo.last().expect("an initial store")
    }

    /// The store's position in modification order.
    pub(crate) fn position(&self, store: StoreId) -> u32 {
        self.stores[store.index()].pos
    }

    /// The stores made by steps, as (step, position in modification order).
    pub(crate) fn positions_by_step(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.stores.iter().filter_map(|s| s.step.map(|step| (step, s.pos)))
    }

    /// The position at the end of `object`'s modification order.
    pub(crate) fn end(&self, object: ObjectId) -> u32 {
        self.loc(object).mo.len() as u32
    }

    /// The position in modification order below which `thread` (whose
    /// clock is `clock`) may neither read nor store.
    fn floor(&self, object: ObjectId, clock: &VClock) -> u32 {
        let loc = self.loc(object);
        let mut floor = 0;
        for (u, entries) in loc.floors.iter().enumerate() {
            let seen = clock.get(ThreadId(u as u32));
            if let Some(&(_, s)) = entries.iter().rev().find(|&&(epoch, _)| epoch <= seen) {
                floor = floor.max(self.stores[s.index()].pos);
            }
        }
        floor
    }

    /// What coherence and the yield rule let a load of `object` by `thread`
    /// read, the last store first; SC is not yet taken into account.
    fn coherent_reads(
        &self,
        object: ObjectId,
        thread: ThreadId,
        clock: &VClock,
        low: u32,
    ) -> SmallVec<[Choice; 4]> {
        let loc = self.loc(object);
        let last = *loc.mo.last().expect("an initial store");
        let low = low.max(self.floor(object, clock));
        let seen = loc.yield_floor.get(thread.index()).copied().flatten();
        let stale = seen.map(|s| self.stores[s.index()].pos);
        loc.mo[low as usize..]
            .iter()
            .rev()
            .filter(|&&s| s == last || stale.is_none_or(|p| self.stores[s.index()].pos > p))
            .map(|&s| Choice::Read(s))
            .collect()
    }

    /// What a load of `object` by `thread` may read, the last store first.
    /// `sc`: the load is SeqCst. `acquires`: it acquires what it reads.
    pub(crate) fn read_options(
        &mut self,
        object: ObjectId,
        thread: ThreadId,
        clock: &VClock,
        sc: bool,
        acquires: bool,
    ) -> SmallVec<[Choice; 4]> {
        let loc = self.loc(object);
        let last = *loc.mo.last().expect("an initial store");
        if sc && loc.last_sc == Some(last) {
            // The sequentially consistent case, and the common one.
            return smallvec::smallvec![Choice::Read(last)];
        }
        // Without SC fences, an SC load reads at or after the last SC store.
        let low = match loc.last_sc {
            Some(s) if sc => self.stores[s.index()].pos,
            _ => 0,
        };
        let mut options = self.coherent_reads(object, thread, clock, low);
        if !self.fences.is_empty() && options.len() > 1 {
            let Some(&Choice::Read(oldest)) = options.last() else { unreachable!("a read") };
            let bounds = self.sc_bounds(object, self.after(oldest));
            let fence = self.latest_fence_before(clock);
            options.retain(|c| {
                let Choice::Read(from) = *c else { unreachable!("a read") };
                let fence = match acquires {
                    true => fence.max(self.latest_fence_before(&self.stores[from.index()].sync)),
                    false => fence,
                };
                from == last || bounds.allow(self.after(from), sc, fence)
            });
        }
        options
    }

    /// Where a store to `object` by `thread` may go in modification order,
    /// the end first.
    pub(crate) fn store_options(
        &mut self,
        object: ObjectId,
        clock: &VClock,
        sc: bool,
    ) -> SmallVec<[Choice; 4]> {
        let loc = self.loc(object);
        let len = loc.mo.len() as u32;
        if sc && loc.last_sc == loc.mo.last().copied() {
            return smallvec::smallvec![Choice::At(len)];
        }
        let mut low = self.floor(object, clock) + 1;
        if sc && let Some(s) = loc.last_sc {
            low = low.max(self.stores[s.index()].pos + 1);
        }
        let mut options: SmallVec<[Choice; 4]> = SmallVec::new();
        for p in (low..=len).rev() {
            // Never between an RMW and the store it read.
            if p == len || !self.stores[loc.mo[p as usize].index()].rmw {
                options.push(Choice::At(p));
            }
        }
        if !self.fences.is_empty() && options.len() > 1 {
            let bounds = self.sc_bounds(object, low);
            let fence = self.latest_fence_before(clock);
            options.retain(|c| {
                let Choice::At(p) = *c else { unreachable!("a position") };
                p == len || bounds.allow(p, sc, fence)
            });
        }
        options
    }

    /// What a read-modify-write of `object` by `thread` may read: a store it
    /// could load that no RMW has read yet, since the RMW goes right after
    /// the store it reads in modification order. The last store first.
    pub(crate) fn rmw_options(
        &mut self,
        object: ObjectId,
        thread: ThreadId,
        clock: &VClock,
        sc: bool,
        acquires: bool,
    ) -> SmallVec<[Choice; 4]> {
        // As a write, the RMW precedes in `eco` exactly the stores its read
        // does (those after the store it reads): the read's SC check covers
        // the write's.
        let mut options = self.read_options(object, thread, clock, sc, acquires);
        if options.len() <= 1 {
            return options;
        }
        let last = self.last(object);
        options.retain(|c| {
            let Choice::Read(from) = *c else { unreachable!("a read") };
            from == last || !self.stores[self.next_in_mo(object, from).index()].rmw
        });
        options
    }

    /// The store right after `store` in modification order (not the last).
    fn next_in_mo(&self, object: ObjectId, store: StoreId) -> StoreId {
        self.loc(object).mo[self.stores[store.index()].pos as usize + 1]
    }

    /// Where an RMW that reads `from` goes in modification order.
    pub(crate) fn after(&self, from: StoreId) -> u32 {
        self.stores[from.index()].pos + 1
    }

    /// Records a read of `from` by `thread` at `epoch`; `clock` is its
    /// clock after the read (acquisitions included).
    pub(crate) fn read(
        &mut self,
        object: ObjectId,
        thread: ThreadId,
        epoch: u32,
        clock: &VClock,
        sc: bool,
        from: StoreId,
    ) {
        let stamp = self.stamp(thread, epoch);
        self.add_reader(from, stamp);
        self.advance_floor(object, thread, epoch, from);
        self.forget_yield(object, thread);
        #[cfg(test)]
        self.graph.push(full::Event::new(stamp, clock, full::Kind::Read { from }, object, sc));
        let _ = (clock, sc);
    }

    /// Records a store (`rmw`: the write of a read-modify-write, which reads
    /// the store before `at` and goes right after it) at position `at`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn store(
        &mut self,
        object: ObjectId,
        thread: ThreadId,
        epoch: u32,
        clock: &VClock,
        sc: bool,
        rmw: bool,
        at: u32,
        value: u64,
        sync: VClock,
        step: u32,
    ) -> StoreId {
        let stamp = self.stamp(thread, epoch);
        if rmw {
            let from = self.loc(object).mo[at as usize - 1];
            self.add_reader(from, stamp);
        }
        let id = self.new_store(Store {
            value,
            sync,
            pos: at,
            rmw,
            step: Some(step),
            made: Some(stamp),
            sc,
            last_reader: u32::MAX,
        });
        self.insert(object, id, at);
        let loc = &mut self.locations[object.index()];
        if sc {
            loc.last_sc = Some(id);
        }
        self.advance_floor(object, thread, epoch, id);
        if rmw {
            self.forget_yield(object, thread);
        }
        #[cfg(test)]
        {
            let kind =
                if rmw { full::Kind::Rmw { store: id } } else { full::Kind::Write { store: id } };
            self.graph.push(full::Event::new(stamp, clock, kind, object, sc));
        }
        let _ = clock;
        id
    }

    /// `thread` (clock `clock`) yielded, as a spin loop does between tries:
    /// its next read of each atomic it read since its previous yield or its
    /// start (the loop's last try) may not read the store that was its
    /// floor there, unless that store is the last. Without this, a load could read the
    /// same old value forever and a spin loop that waits for a store would
    /// never end; C++ asks implementations to make stores visible "within a
    /// reasonable amount of time", and each try moves the thread past one
    /// old value of what it polls. Atomics it did not read in that try are
    /// not touched: a read after the loop of an atomic the loop did not
    /// poll (message passing with a relaxed flag) may still read an old
    /// value, as RC11 allows. DPOR keeps
    /// the reads under the rule ordered against every store of their atomic
    /// (`dependence::YieldReads`): whether the rule bites depends on which
    /// stores ran before them.
    pub(crate) fn yielded(&mut self, thread: ThreadId, clock: &VClock) {
        let Some(reads) = self.iteration_reads.get_mut(thread.index()) else { return };
        for object in std::mem::take(reads) {
            self.cover(thread, object, clock);
        }
    }

    /// The engine yielded for `thread`'s loop that does not yield
    /// (`Execution::spin_yield`): the rule covers `objects`, the atomics
    /// the loop's try read; the thread's other reads since its last yield
    /// wait for its next one.
    pub(crate) fn yielded_on(&mut self, thread: ThreadId, clock: &VClock, objects: &[ObjectId]) {
        if let Some(reads) = self.iteration_reads.get_mut(thread.index()) {
            reads.retain(|o| !objects.contains(o));
        }
        for &object in objects {
            if self.locations[object.index()].polled.contains(thread) {
                self.cover(thread, object, clock);
            }
        }
    }

    /// After a yield, `thread`'s next read of `object` may not read its
    /// floor there unless that is the last store.
    fn cover(&mut self, thread: ThreadId, object: ObjectId, clock: &VClock) {
        let floor = self.floor(object, clock);
        let loc = &mut self.locations[object.index()];
        loc.polled.remove(thread);
        let store = loc.mo[floor as usize];
        if loc.yield_floor.len() <= thread.index() {
            loc.yield_floor.resize(thread.index() + 1, None);
        }
        loc.yield_floor[thread.index()] = Some(store);
    }

    /// `thread` read `object`: its first read after a yield has used the
    /// yield's rule, and the read belongs to the try its next yield ends.
    fn forget_yield(&mut self, object: ObjectId, thread: ThreadId) {
        let loc = &mut self.locations[object.index()];
        if let Some(f) = loc.yield_floor.get_mut(thread.index()) {
            *f = None;
        }
        if loc.polled.contains(thread) {
            return;
        }
        loc.polled.insert(thread);
        if self.iteration_reads.len() <= thread.index() {
            self.iteration_reads.resize_with(thread.index() + 1, SmallVec::new);
        }
        self.iteration_reads[thread.index()].push(object);
    }

    /// Records an SC fence; `clock` is its thread's clock at the fence.
    pub(crate) fn sc_fence(&mut self, thread: ThreadId, epoch: u32, clock: &VClock) {
        let stamp = self.stamp(thread, epoch);
        self.fences.push(Fence { stamp, clock: clock.clone() });
        #[cfg(test)]
        self.graph.push(full::Event::new(
            stamp,
            clock,
            full::Kind::Fence,
            ObjectId(u32::MAX),
            true,
        ));
    }

    fn add_reader(&mut self, store: StoreId, stamp: Stamp) {
        let store = &mut self.stores[store.index()];
        let previous = std::mem::replace(&mut store.last_reader, self.readers.len() as u32);
        self.readers.push(Reader { stamp, previous });
    }

    fn insert(&mut self, object: ObjectId, id: StoreId, at: u32) {
        let loc = &mut self.locations[object.index()];
        loc.mo.insert(at as usize, id);
        for (p, &s) in loc.mo.iter().enumerate().skip(at as usize) {
            self.stores[s.index()].pos = p as u32;
        }
    }

    fn advance_floor(&mut self, object: ObjectId, thread: ThreadId, epoch: u32, to: StoreId) {
        let pos = self.stores[to.index()].pos;
        let loc = &mut self.locations[object.index()];
        if loc.floors.len() <= thread.index() {
            loc.floors.resize_with(thread.index() + 1, SmallVec::new);
        }
        let entries = &mut loc.floors[thread.index()];
        match entries.last() {
            Some(&(_, s)) if self.stores[s.index()].pos >= pos => {}
            _ => entries.push((epoch, to)),
        }
    }

    /// What keeps every `psc` edge forward in execution order for a new
    /// access of `object` that precedes in `eco` exactly the stores at
    /// positions `from` and later of the current modification order (a
    /// store placed at `from`, or a read or RMW of the store before it), and
    /// the reads of those stores: [`ScBounds::allow`] answers for every
    /// `from` at or after `low`, from one pass over those stores.
    ///
    /// RC11: `psc = psc_base ∪ psc_F`,
    /// `psc_base = ([E_sc] ∪ [F_sc];hb?);scb;([E_sc] ∪ hb?;[F_sc])`,
    /// `psc_F = [F_sc];(hb ∪ hb;eco;hb);[F_sc]`,
    /// `scb = sb ∪ sb|≠loc;hb;sb|≠loc ∪ hb|loc ∪ mo ∪ rb`. Adding an event
    /// `e` last changes no relation among the older events, and every edge
    /// of `sb`, `hb` into `e` goes forward; so a `psc` edge that goes
    /// backward runs through `e` and leaves it by `mo` or `rb` to a later
    /// store `y` (`psc_base`), or by `eco` to a later store or a read of one
    /// (`psc_F`). It starts at `e` itself if `e` is SC, or at an SC fence
    /// that happens before `e`; it ends at `y` if `y` is an SC store, or at
    /// an SC fence `y` happens before. It goes backward iff that start comes
    /// after that end in execution order: the latest fence before `e`
    /// against the earliest fence after `y` suffices. So each store `y`
    /// bounds where the start may be (its own place if it is SC, its first
    /// fence after it that it happens before), each read of it bounds the
    /// fence, and an access may go before all the stores from `from` on iff
    /// its start and fence are within the least of their bounds.
    fn sc_bounds(&self, object: ObjectId, low: u32) -> ScBounds {
        let mo = &self.loc(object).mo;
        let len = mo.len();
        let low = (low as usize).min(len);
        let mut bounds = ScBounds {
            low: low as u32,
            least: smallvec::smallvec![(u32::MAX, u32::MAX); len - low],
        };
        let (mut start, mut fence) = (u32::MAX, u32::MAX);
        for p in (low..len).rev() {
            let store = &self.stores[mo[p].index()];
            if let Some(y) = store.made {
                if store.sc {
                    start = start.min(y.order);
                }
                start = start.min(self.first_fence_after(&y));
                let mut r = store.last_reader;
                while let Some(reader) = self.readers.get(r as usize) {
                    fence = fence.min(self.first_fence_after(&reader.stamp));
                    r = reader.previous;
                }
            }
            bounds.least[p - low] = (start, fence);
        }
        bounds
    }

    /// The place in execution order of the latest SC fence that happens
    /// before an event whose clock is `clock`.
    fn latest_fence_before(&self, clock: &VClock) -> Option<u32> {
        self.fences.iter().rev().find(|f| f.stamp.before(clock)).map(|f| f.stamp.order)
    }

    /// The place in execution order of the first SC fence after `event`
    /// that `event` happens before; `u32::MAX` if none.
    fn first_fence_after(&self, event: &Stamp) -> u32 {
        let first = self.fences.partition_point(|f| f.stamp.order <= event.order);
        self.fences[first..]
            .iter()
            .find(|f| event.before(&f.clock))
            .map_or(u32::MAX, |f| f.stamp.order)
    }
}

/// The whole-graph SC check, recomputed from every event: what the
/// incremental [`Memory::sc_bounds`] must agree with.
#[cfg(test)]
mod full {
    use super::{Memory, Stamp, StoreId};
    use crate::ids::{ObjectId, ThreadId};
    use crate::vclock::VClock;

    #[derive(Copy, Clone, Debug)]
    pub(super) enum Kind {
        Read { from: StoreId },
        Write { store: StoreId },
        Rmw { store: StoreId },
        Fence,
    }

    #[derive(Clone, Debug)]
    pub(super) struct Event {
        thread: ThreadId,
        epoch: u32,
        /// Its thread's clock just after it (acquisitions included).
        clock: VClock,
        kind: Kind,
        location: Option<ObjectId>,
        sc: bool,
    }

    impl Event {
        pub(super) fn new(
            stamp: Stamp,
            clock: &VClock,
            kind: Kind,
            object: ObjectId,
            sc: bool,
        ) -> Event {
            let location = (!matches!(kind, Kind::Fence)).then_some(object);
            Event {
                thread: stamp.thread,
                epoch: stamp.epoch,
                clock: clock.clone(),
                kind,
                location,
                sc,
            }
        }
    }

    impl Memory {
        /// Does every `psc` edge of the graph go forward in execution order?
        pub(super) fn sc_respected(&self) -> bool {
            let events = &self.graph;
            let n = events.len();
            let mut hb = Bits::square(n);
            let mut hb_in = Bits::square(n);
            for b in 0..n {
                for a in 0..b {
                    let (ea, eb) = (&events[a], &events[b]);
                    if ea.thread == eb.thread || eb.clock.get(ea.thread) >= ea.epoch {
                        hb.set(a, b);
                        hb_in.set(b, a);
                    }
                }
            }
            // Keys order the accesses of a location by eco: a write at
            // position p is 2p, a read of the store at p is 2p + 1.
            let key = |e: &Event| match e.kind {
                Kind::Read { from } => 2 * self.stores[from.index()].pos + 1,
                Kind::Write { store } | Kind::Rmw { store } => 2 * self.stores[store.index()].pos,
                Kind::Fence => 0,
            };
            let is_write = |e: &Event| matches!(e.kind, Kind::Write { .. } | Kind::Rmw { .. });
            let same_loc = |a: &Event, b: &Event| a.location.is_some() && a.location == b.location;
            let mut sbn = Bits::square(n);
            for a in 0..n {
                for b in a + 1..n {
                    if events[a].thread == events[b].thread && !same_loc(&events[a], &events[b]) {
                        sbn.set(a, b);
                    }
                }
            }
            let mut scb = Bits::square(n);
            let mut eco = Bits::square(n);
            for a in 0..n {
                let mut r1 = Bits::row(n);
                for x in sbn.ones(a) {
                    r1.or_row(&hb, x);
                }
                let mut r2 = Bits::row(n);
                for y in r1.ones(0) {
                    r2.or_row(&sbn, y);
                }
                scb.or_from(a, &r2);
                let ea = &events[a];
                for (b, eb) in events.iter().enumerate() {
                    let sb = a < b && ea.thread == eb.thread;
                    let loc = same_loc(ea, eb);
                    let ordered = loc && key(eb) > key(ea);
                    if ordered {
                        eco.set(a, b);
                    }
                    if sb || (loc && hb.get(a, b)) || (ordered && is_write(eb)) {
                        scb.set(a, b);
                    }
                }
            }
            let sc: Vec<usize> = (0..n).filter(|&e| events[e].sc).collect();
            let fence = |e: usize| matches!(events[e].kind, Kind::Fence);
            for &a in &sc {
                let mut reach = Bits::row(n);
                reach.or_row(&scb, a);
                if fence(a) {
                    for x in hb.ones(a) {
                        reach.or_row(&scb, x);
                    }
                }
                let mut via_eco = Bits::row(n);
                if fence(a) {
                    for x in hb.ones(a) {
                        via_eco.or_row(&eco, x);
                    }
                }
                for &b in &sc {
                    let edge = reach.get(0, b)
                        || (fence(b) && reach.intersects_row(&hb_in, b))
                        || (fence(a)
                            && fence(b)
                            && (hb.get(a, b) || via_eco.intersects_row(&hb_in, b)));
                    if edge && a >= b {
                        return false;
                    }
                }
            }
            true
        }
    }

    /// A square bit matrix (or a single row of one).
    struct Bits {
        words: usize,
        bits: Vec<u64>,
    }

    impl Bits {
        fn square(n: usize) -> Bits {
            let words = n.div_ceil(64);
            Bits { words, bits: vec![0; words * n] }
        }

        fn row(n: usize) -> Bits {
            let words = n.div_ceil(64);
            Bits { words, bits: vec![0; words] }
        }

        fn set(&mut self, r: usize, c: usize) {
            self.bits[r * self.words + c / 64] |= 1 << (c % 64);
        }

        fn get(&self, r: usize, c: usize) -> bool {
            self.bits[r * self.words + c / 64] & (1 << (c % 64)) != 0
        }

        fn or_row(&mut self, other: &Bits, r: usize) {
            let src = &other.bits[r * other.words..(r + 1) * other.words];
            for (d, s) in self.bits[..self.words].iter_mut().zip(src) {
                *d |= s;
            }
        }

        fn or_from(&mut self, r: usize, row: &Bits) {
            let words = self.words;
            for (d, s) in self.bits[r * words..(r + 1) * words].iter_mut().zip(&row.bits) {
                *d |= s;
            }
        }

        fn intersects_row(&self, other: &Bits, r: usize) -> bool {
            let src = &other.bits[r * other.words..(r + 1) * other.words];
            self.bits[..self.words].iter().zip(src).any(|(a, b)| a & b != 0)
        }

        fn ones(&self, r: usize) -> impl Iterator<Item = usize> + '_ {
            let row = &self.bits[r * self.words..(r + 1) * self.words];
            row.iter().enumerate().flat_map(|(w, &bits)| {
                (0..64).filter(move |i| bits & (1 << i) != 0).map(move |i| w * 64 + i)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// One step of a random execution: a thread, and an access of a
    /// location or an SC fence.
    enum Access {
        Load { sc: bool, acquire: bool },
        Store { sc: bool, release: bool },
        Rmw { sc: bool, acquire: bool, release: bool },
        Fence,
    }

    fn random_access(rng: &mut Rng, fences: u64) -> Access {
        let sc = rng.below(2) == 0;
        let flag = rng.below(2) == 0;
        match rng.below(6 + fences) {
            0 | 1 => Access::Load { sc, acquire: sc || flag },
            2 | 3 => Access::Store { sc, release: sc || flag },
            4 | 5 => Access::Rmw { sc, acquire: sc || flag, release: sc || rng.below(2) == 0 },
            _ => Access::Fence,
        }
    }

    /// The options the whole-graph check allows among `candidates`: each is
    /// added to the graph, checked and taken away.
    #[allow(clippy::too_many_arguments)]
    fn allowed_by_whole_graph(
        memory: &mut Memory,
        object: ObjectId,
        thread: ThreadId,
        clock: &VClock,
        sc: bool,
        acquire: bool,
        rmw: bool,
        candidates: &[Choice],
    ) -> Vec<Choice> {
        let epoch = clock.get(thread);
        let stamp = Stamp { thread, epoch, order: memory.events };
        let mut allowed = Vec::new();
        for &c in candidates {
            let mut after = clock.clone();
            let (at, from) = match c {
                Choice::Read(from) => {
                    if acquire {
                        after.join(&memory.stores[from.index()].sync);
                    }
                    (memory.after(from), Some(from))
                }
                Choice::At(p) => (p, None),
            };
            let ok = if let (Some(from), false) = (from, rmw) {
                memory.graph.push(full::Event::new(
                    stamp,
                    &after,
                    full::Kind::Read { from },
                    object,
                    sc,
                ));
                let ok = memory.sc_respected();
                memory.graph.pop();
                ok
            } else {
                let mut store = Memory::initial(0);
                store.pos = at;
                store.rmw = rmw;
                let id = memory.new_store(store);
                memory.insert(object, id, at);
                let kind = if rmw {
                    full::Kind::Rmw { store: id }
                } else {
                    full::Kind::Write { store: id }
                };
                memory.graph.push(full::Event::new(stamp, &after, kind, object, sc));
                let ok = memory.sc_respected();
                memory.graph.pop();
                let loc = &mut memory.locations[object.index()];
                loc.mo.remove(at as usize);
                for (p, &s) in loc.mo.iter().enumerate().skip(at as usize) {
                    memory.stores[s.index()].pos = p as u32;
                }
                memory.stores.pop();
                ok
            };
            if ok {
                allowed.push(c);
            }
        }
        allowed
    }

    /// Runs one random execution of `steps` accesses by `threads` threads
    /// over `objects` atomics, checking at every access that the options
    /// offered are exactly the coherent ones the whole-graph SC check
    /// allows; then takes one of them at random.
    fn run(seed: u64, threads: u32, objects: u32, steps: u32, fences: u64) {
        let mut rng = Rng::new(seed);
        let mut memory = Memory::default();
        let mut clocks: Vec<VClock> = (0..threads)
            .map(|t| {
                let mut c = VClock::default();
                c.set(ThreadId(t), 1);
                c
            })
            .collect();
        for o in 0..objects {
            memory.touch(ObjectId(o), || 0);
        }
        for step in 0..steps {
            let t = ThreadId(rng.below(u64::from(threads)) as u32);
            let object = ObjectId(rng.below(u64::from(objects)) as u32);
            let clock = clocks[t.index()].clone();
            let epoch = clock.get(t);
            let access = random_access(&mut rng, fences);
            let what = format!("seed {seed}, step {step}");
            match access {
                Access::Fence => memory.sc_fence(t, epoch, &clock),
                Access::Load { sc, acquire } => {
                    let actual = memory.read_options(object, t, &clock, sc, acquire);
                    let candidates = memory.coherent_reads(object, t, &clock, 0);
                    let expected = allowed_by_whole_graph(
                        &mut memory,
                        object,
                        t,
                        &clock,
                        sc,
                        acquire,
                        false,
                        &candidates,
                    );
                    assert_eq!(actual.as_slice(), expected.as_slice(), "load, {what}");
                    let Choice::Read(from) = actual[rng.index(actual.len())] else { panic!() };
                    let mut after = clock.clone();
                    if acquire {
                        after.join(&memory.stores[from.index()].sync);
                    }
                    memory.read(object, t, epoch, &after, sc, from);
                    clocks[t.index()] = after;
                }
                Access::Store { sc, release } => {
                    let actual = memory.store_options(object, &clock, sc);
                    let len = memory.end(object);
                    let low = memory.floor(object, &clock) + 1;
                    let candidates: Vec<Choice> = (low..=len)
                        .rev()
                        .filter(|&p| {
                            let mo = &memory.loc(object).mo;
                            p == len || !memory.stores[mo[p as usize].index()].rmw
                        })
                        .map(Choice::At)
                        .collect();
                    let expected = allowed_by_whole_graph(
                        &mut memory,
                        object,
                        t,
                        &clock,
                        sc,
                        false,
                        false,
                        &candidates,
                    );
                    assert_eq!(actual.as_slice(), expected.as_slice(), "store, {what}");
                    let Choice::At(at) = actual[rng.index(actual.len())] else { panic!() };
                    let sync = if release { clock.clone() } else { VClock::default() };
                    memory.store(object, t, epoch, &clock, sc, false, at, step.into(), sync, step);
                }
                Access::Rmw { sc, acquire, release } => {
                    let actual = memory.rmw_options(object, t, &clock, sc, acquire);
                    let last = memory.last(object);
                    let candidates: Vec<Choice> = memory
                        .coherent_reads(object, t, &clock, 0)
                        .into_iter()
                        .filter(|c| {
                            let Choice::Read(from) = *c else { unreachable!() };
                            from == last
                                || !memory.stores[memory.next_in_mo(object, from).index()].rmw
                        })
                        .collect();
                    let expected = allowed_by_whole_graph(
                        &mut memory,
                        object,
                        t,
                        &clock,
                        sc,
                        acquire,
                        true,
                        &candidates,
                    );
                    assert_eq!(actual.as_slice(), expected.as_slice(), "rmw, {what}");
                    let Choice::Read(from) = actual[rng.index(actual.len())] else { panic!() };
                    let mut after = clock.clone();
                    let mut sync = memory.stores[from.index()].sync.clone();
                    if acquire {
                        after.join(&sync);
                    }
                    if release {
                        sync.join(&after);
                    }
                    let at = memory.after(from);
                    memory.store(object, t, epoch, &after, sc, true, at, step.into(), sync, step);
                    clocks[t.index()] = after;
                }
            }
            assert!(memory.sc_respected(), "the graph became inconsistent, {what}");
            let next = clocks[t.index()].get(t) + 1;
            clocks[t.index()].set(t, next);
        }
    }

    #[test]
    fn incremental_sc_check_agrees_with_the_whole_graph_check() {
        for seed in 0..1500 {
            let threads = 2 + (seed % 3) as u32;
            let objects = 1 + (seed % 2) as u32;
            run(seed, threads, objects, 24, 1 + seed % 4);
        }
    }

    #[test]
    fn incremental_sc_check_agrees_on_long_executions() {
        for seed in 0..40 {
            run(10_000 + seed, 3, 3, 120, 2);
        }
    }
}
