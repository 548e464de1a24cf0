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
//!   With SC fences, every choice is checked against the whole `psc`
//!   ([`Memory::sc_respected`]), which SC fences make worth their cost.
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
use crate::vclock::VClock;

/// A store of the running execution (the initial values included).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoreId(u32);

impl StoreId {
    fn index(self) -> usize {
        self.0 as usize
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
}

/// One atomic location.
#[derive(Clone, Debug, Default)]
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
}

#[derive(Copy, Clone, Debug)]
enum Kind {
    Read { from: StoreId },
    Write { store: StoreId },
    Rmw { store: StoreId },
    Fence,
}

/// An event of the graph the SC check looks at.
#[derive(Clone, Debug)]
struct Event {
    thread: ThreadId,
    epoch: u32,
    /// Its thread's clock just after it (acquisitions included).
    clock: VClock,
    kind: Kind,
    location: Option<ObjectId>,
    sc: bool,
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
    events: Vec<Event>,
    /// The execution has run an SC fence: choices get the whole SC check.
    sc_fences: bool,
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
        }
        self.stores.clear();
        self.events.clear();
        self.sc_fences = false;
    }

    fn new_store(&mut self, store: Store) -> StoreId {
        let id = StoreId(self.stores.len() as u32);
        self.stores.push(store);
        id
    }

    fn initial(value: u64) -> Store {
        Store { value, sync: VClock::default(), pos: 0, rmw: false, step: None }
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

    /// The last store of `object` in modification order.
    pub(crate) fn last(&self, object: ObjectId) -> StoreId {
        *self.loc(object).mo.last().expect("an initial store")
    }

    /// The store's position in modification order.
    pub(crate) fn position(&self, store: StoreId) -> u32 {
        self.stores[store.index()].pos
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
        let mut low = self.floor(object, clock);
        if sc && let Some(s) = loc.last_sc {
            low = low.max(self.stores[s.index()].pos);
        }
        let seen = loc.yield_floor.get(thread.index()).copied().flatten();
        let stale = seen.map(|s| self.stores[s.index()].pos);
        let mut options: SmallVec<[Choice; 4]> = loc.mo[low as usize..]
            .iter()
            .rev()
            .filter(|&&s| s == last || stale.is_none_or(|p| self.stores[s.index()].pos > p))
            .map(|&s| Choice::Read(s))
            .collect();
        if self.sc_fences && options.len() > 1 {
            options.retain(|c| {
                let Choice::Read(from) = *c else { unreachable!("a read") };
                self.try_event(thread, clock, object, sc, Kind::Read { from }, acquires)
            });
        }
        options
    }

    /// Where a store to `object` by `thread` may go in modification order,
    /// the end first.
    pub(crate) fn store_options(
        &mut self,
        object: ObjectId,
        thread: ThreadId,
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
        if self.sc_fences && options.len() > 1 {
            let end = len;
            options.retain(|c| {
                let Choice::At(p) = *c else { unreachable!("a position") };
                p == end || self.try_write(thread, clock, object, sc, p, None, false)
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
        let mut options = self.read_options(object, thread, clock, sc, acquires);
        if options.len() <= 1 {
            return options;
        }
        let last = self.last(object);
        options.retain(|c| {
            let Choice::Read(from) = *c else { unreachable!("a read") };
            from == last || !self.stores[self.next_in_mo(object, from).index()].rmw
        });
        if self.sc_fences && options.len() > 1 {
            options.retain(|c| {
                let Choice::Read(from) = *c else { unreachable!("a read") };
                from == last
                    || self.try_write(
                        thread,
                        clock,
                        object,
                        sc,
                        self.after(from),
                        Some(from),
                        acquires,
                    )
            });
        }
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
        self.advance_floor(object, thread, epoch, from);
        self.forget_yield(object, thread);
        self.events.push(Event {
            thread,
            epoch,
            clock: clock.clone(),
            kind: Kind::Read { from },
            location: Some(object),
            sc,
        });
    }

    /// Records a store (`rmw`: the write of a read-modify-write, which reads
    /// the last store and goes at the end) at position `at`.
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
        let id = self.new_store(Store { value, sync, pos: at, rmw, step: Some(step) });
        self.insert(object, id, at);
        let loc = &mut self.locations[object.index()];
        if sc {
            loc.last_sc = Some(id);
        }
        self.advance_floor(object, thread, epoch, id);
        if rmw {
            self.forget_yield(object, thread);
        }
        let kind = if rmw { Kind::Rmw { store: id } } else { Kind::Write { store: id } };
        self.events.push(Event {
            thread,
            epoch,
            clock: clock.clone(),
            kind,
            location: Some(object),
            sc,
        });
        id
    }

    /// `thread` (clock `clock`) yielded, as a spin loop does between tries:
    /// its next read of each location may not read the store that was its
    /// floor there, unless that store is the last. Without this, a load could
    /// read the same old value forever and a spin loop that waits for a
    /// store would never end; C++ asks implementations to make stores
    /// visible "within a reasonable amount of time", and each yield moves
    /// the thread past one old value (loom has a similar rule). DPOR keeps
    /// those first reads ordered against every store of their atomic
    /// (`dependence::YieldReads`): whether the rule bites depends on which
    /// stores ran before them.
    pub(crate) fn yielded(&mut self, thread: ThreadId, clock: &VClock) {
        for i in 0..self.locations.len() {
            if self.locations[i].mo.is_empty() {
                continue;
            }
            let object = ObjectId(i as u32);
            let floor = self.floor(object, clock);
            let loc = &mut self.locations[i];
            let store = loc.mo[floor as usize];
            if loc.yield_floor.len() <= thread.index() {
                loc.yield_floor.resize(thread.index() + 1, None);
            }
            loc.yield_floor[thread.index()] = Some(store);
        }
    }

    /// The first read of a location after a yield has used the yield's rule.
    fn forget_yield(&mut self, object: ObjectId, thread: ThreadId) {
        if let Some(f) = self.locations[object.index()].yield_floor.get_mut(thread.index()) {
            *f = None;
        }
    }

    /// Records an SC fence.
    pub(crate) fn sc_fence(&mut self, thread: ThreadId, epoch: u32, clock: &VClock) {
        self.sc_fences = true;
        self.events.push(Event {
            thread,
            epoch,
            clock: clock.clone(),
            kind: Kind::Fence,
            location: None,
            sc: true,
        });
    }

    fn insert(&mut self, object: ObjectId, id: StoreId, at: u32) {
        let loc = &mut self.locations[object.index()];
        loc.mo.insert(at as usize, id);
        for (p, &s) in loc.mo.iter().enumerate().skip(at as usize) {
            self.stores[s.index()].pos = p as u32;
        }
    }

    fn remove(&mut self, object: ObjectId, at: u32) {
        let loc = &mut self.locations[object.index()];
        loc.mo.remove(at as usize);
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

    /// Would a read by `thread` (clock before it: `clock`) with this kind keep
    /// the SC order? The event is added, checked and taken away.
    fn try_event(
        &mut self,
        thread: ThreadId,
        clock: &VClock,
        object: ObjectId,
        sc: bool,
        kind: Kind,
        acquires: bool,
    ) -> bool {
        let mut after = clock.clone();
        if let Kind::Read { from } = kind
            && acquires
        {
            after.join(&self.stores[from.index()].sync);
        }
        let epoch = clock.get(thread);
        self.events.push(Event { thread, epoch, clock: after, kind, location: Some(object), sc });
        let ok = self.sc_respected();
        self.events.pop();
        ok
    }

    /// Would a store at `at` keep the SC order? With `from`, it is the write
    /// of an RMW that read `from` (and acquires from it if `acquires`).
    /// Added, checked, taken away.
    #[allow(clippy::too_many_arguments)]
    fn try_write(
        &mut self,
        thread: ThreadId,
        clock: &VClock,
        object: ObjectId,
        sc: bool,
        at: u32,
        from: Option<StoreId>,
        acquires: bool,
    ) -> bool {
        let mut after = clock.clone();
        if let Some(f) = from
            && acquires
        {
            after.join(&self.stores[f.index()].sync);
        }
        let rmw = from.is_some();
        let id =
            self.new_store(Store { value: 0, sync: VClock::default(), pos: at, rmw, step: None });
        self.insert(object, id, at);
        let kind = if rmw { Kind::Rmw { store: id } } else { Kind::Write { store: id } };
        let ok = self.try_event(thread, &after, object, sc, kind, false);
        self.remove(object, at);
        self.stores.pop();
        ok
    }

    /// Does every `psc` edge of the graph go forward in execution order?
    /// RC11's `psc = psc_base ∪ psc_F`, with
    /// `scb = sb ∪ sb|≠loc;hb;sb|≠loc ∪ hb|loc ∪ mo ∪ rb`,
    /// `psc_base = ([E_sc] ∪ [F_sc];hb?);scb;([E_sc] ∪ hb?;[F_sc])`,
    /// `psc_F = [F_sc];(hb ∪ hb;eco;hb);[F_sc]`.
    pub(crate) fn sc_respected(&self) -> bool {
        let events = &self.events;
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
        // Keys order the accesses of a location by eco: a write at position
        // p is 2p, a read of the store at p is 2p + 1.
        let key = |e: &Event| match e.kind {
            Kind::Read { from } => 2 * self.stores[from.index()].pos + 1,
            Kind::Write { store } | Kind::Rmw { store } => 2 * self.stores[store.index()].pos,
            Kind::Fence => 0,
        };
        let is_write = |e: &Event| matches!(e.kind, Kind::Write { .. } | Kind::Rmw { .. });
        let same_loc = |a: &Event, b: &Event| a.location.is_some() && a.location == b.location;
        // sb|≠loc
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
            // sb|≠loc;hb;sb|≠loc
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
            // What a's side reaches through scb.
            let mut reach = Bits::row(n);
            reach.or_row(&scb, a);
            if fence(a) {
                for x in hb.ones(a) {
                    reach.or_row(&scb, x);
                }
            }
            // hb;eco from a fence.
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
