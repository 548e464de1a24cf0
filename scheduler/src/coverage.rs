//! Reads-from coverage: the edges (write event, read event that read it)
//! of every execution, named so that the same edge has the same 64-bit
//! hash in every execution, timeline and process of a run.
//!
//! The sampling strategies (and later RFF) judge an execution by whether it
//! made a read see a write no execution made it see before (Wolff et al.,
//! "Greybox Fuzzing for Concurrency Testing", ASPLOS 2024). Raw ids cannot
//! name the events: object ids count first uses and thread ids count
//! spawns, both in execution order, so reordering independent steps would
//! rename them. An event is named instead by its **signature**, a hash of:
//!
//! - the operation's kind ([`Op::kind_name`]) and its source location
//!   (file, line, column; never the `Location`'s address);
//! - the object's signature: its creation site, and its occurrence among
//!   the objects of that site whose first step was taken by the same
//!   thread (a user value's `new` is a `const fn` the engine never sees,
//!   so the thread of its first step stands for its creator). The
//!   creating thread itself is left out of the hash: which thread first
//!   touches a shared object is often a race, and the edge's own events
//!   already name their threads;
//! - the thread's signature: the model body is the root; a thread is its
//!   spawner's signature and its index among the spawner's spawns. The
//!   `ThreadId` is the spawn order of the whole execution, so a thread
//!   spawned by a non-main thread gets an id that depends on how the
//!   spawners interleaved: it is not used;
//! - an occurrence count: how many events with the same (thread, kind,
//!   location, object) came before it in that thread (program order, so
//!   independent of the interleaving).
//!
//! Each step also has a signature *without its thread* (the same hash
//! with the thread's signature left out): the reads-from fuzzer's
//! constraints name events that way, so that one constraint covers the
//! same instruction run by symmetric threads. Coverage edges keep the
//! threads.
//!
//! What reads from what:
//!
//! - an atomic load, RMW or compare-exchange (failed or not) reads the store
//!   the trace's `aux` names (see `Execution::atomic_step`), or the
//!   object's initial value, a write of its own whose signature is the
//!   object's. RMWs and successful compare-exchanges are writes too;
//! - a lock acquisition (`lock`, a successful `try_lock`, the relock of a
//!   condvar wait, a write lock) reads from the previous release of that
//!   lock (`unlock`, `wait`, a write or read unlock), or from its creation;
//!   a read lock reads from the previous write unlock. A failed `try_lock`
//!   reads nothing;
//! - a condvar wake-up also reads from the `notify` that woke it;
//! - `join` reads from the joined thread's end (a write named by the
//!   thread's signature);
//! - `park` (and a `park_timeout` that took the token) reads from the last
//!   `unpark` of its thread;
//! - an `Arc`'s count: a drop or a successful `try_unwrap` reads the last
//!   of those before it (or the creation) and is the next; `strong_count`,
//!   `weak_count`, `upgrade` and a failed `try_unwrap` read it. Clones are
//!   not steps, so they do not appear;
//! - channels, `Barrier`, `Once` and the other composed primitives are made
//!   of the above, so their edges are those of their parts. Spawns,
//!   notifies, fences, yields, choices and poison flags read nothing.
//!
//! An edge is `hash(write signature, read signature)`. The [`EdgeMap`]
//! decides which edges are new: a hash set in one process
//! ([`LocalEdges`]), the multiverse's shared bitmap when the run splits
//! timelines ([`Shared`], where two edges may share a bit: an edge is then
//! wrongly "old", never counted twice).
//!
//! [`RfTracker`] computes the edges from the trace in one pass, and can be
//! fed step by step (the fork loop's split on new edges) or once at the end
//! of an execution: both give the same edges.

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::HashSet;

use crate::execution::Execution;
use crate::ids::{ObjectId, ThreadId};
use crate::multiverse::Shared;
use crate::op::{Op, Reply, SourceLocation};
use crate::trace::EventKind;

/// Decides which reads-from edges are new, for one process or for every
/// process of a forked run.
pub trait EdgeMap {
    /// Records `edge`: `true` if no execution of the run (in any process
    /// sharing the map) recorded it before.
    fn insert(&self, edge: u64) -> bool;
    /// How many distinct edges the run recorded, all processes together.
    fn count(&self) -> u64;
    /// The edges themselves, sorted, when the map keeps them (an
    /// in-process map does; the shared bitmap does not).
    fn edges(&self) -> Option<Vec<u64>> {
        None
    }
}

/// The in-process [`EdgeMap`]: exact.
#[derive(Debug, Default)]
pub struct LocalEdges {
    seen: RefCell<HashSet<u64>>,
}

impl EdgeMap for LocalEdges {
    fn insert(&self, edge: u64) -> bool {
        self.seen.borrow_mut().insert(edge)
    }

    fn count(&self) -> u64 {
        self.seen.borrow().len() as u64
    }

    fn edges(&self) -> Option<Vec<u64>> {
        let mut all: Vec<u64> = self.seen.borrow().iter().copied().collect();
        all.sort_unstable();
        Some(all)
    }
}

impl EdgeMap for Shared {
    fn insert(&self, edge: u64) -> bool {
        self.cover_edge(edge)
    }

    fn count(&self) -> u64 {
        self.edge_count()
    }
}

/// Finalises a 64-bit hash (SplitMix64's mixer).
fn fmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An ordered combination of two hashes.
fn combine(a: u64, b: u64) -> u64 {
    fmix(a.rotate_left(17) ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// FNV-1a of some bytes, continuing from `h`.
fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;
/// The model body's thread signature.
const ROOT_THREAD: u64 = 0x6d61_696e_7468_7264;
/// Salts of the signatures that are not events.
const SPAWNED: u64 = 1;
const THREAD_END: u64 = 2;
const INITIAL: u64 = 3;
const OBJECT: u64 = 4;
const NO_UNPARK: u64 = 5;
const EDGE: u64 = 6;
const ANON: u64 = 7;

/// The signature of the initial value of the object whose signature is
/// `object`: odd, as every signature that is no step.
fn initial_value(object: u64) -> u64 {
    combine(INITIAL, object) | 1
}

/// Is the signature without its thread `sig` one of a step, rather than
/// of an initial value, a thread's end or a missing unpark (which no
/// execution runs)? Step signatures without threads are even, the others
/// odd, so the answer needs no history.
pub(crate) fn is_step(sig: u64) -> bool {
    sig & 1 == 0
}

/// The hash of an edge from the write `write` to the read `read`.
pub fn edge_hash(write: u64, read: u64) -> u64 {
    combine(combine(EDGE, write), read)
}

/// One reads-from edge, unhashed: the write's and the read's signatures,
/// and the signature of the object the read's operation names (0: none).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RfPair {
    pub(crate) write: u64,
    pub(crate) read: u64,
    pub(crate) object: u64,
    /// The write's signature without its thread (see
    /// [`RfTracker::anonymous`]).
    pub(crate) anon_write: u64,
    /// The read's signature without its thread.
    pub(crate) anon_read: u64,
    /// Whether a scheduler can steer this edge: `false` for a join reading
    /// a thread's end (it always does) and for an `Arc`'s count (the order
    /// of reference drops).
    pub(crate) steerable: bool,
}

/// Computes an execution's reads-from edges from its trace, in one pass
/// that may be split into pieces (see [`RfTracker::feed`]). Keeps its
/// buffers across executions.
#[derive(Debug, Default)]
pub struct RfTracker {
    /// Trace events fed so far.
    events: usize,
    /// Signature of every step fed so far, by step index.
    steps: Vec<u64>,
    /// The same steps' signatures without their threads.
    anon_steps: Vec<u64>,
    /// The signatures of the same steps' threads.
    step_threads: Vec<u64>,
    /// The steps that wrote an object, in trace order: their signatures
    /// without threads, the object's signature, their thread's signature.
    anon_writes: Vec<(u64, u64, u64)>,

    /// Signature without its thread, by signature, for the steps fed so far.
    anon: HashMap<u64, u64>,
    /// Thread signatures, by thread id (0: not spawned yet).
    threads: Vec<u64>,
    /// Spawns made so far, by spawning thread id.
    spawns: Vec<u32>,
    /// Object signatures, by object id (0: not seen yet).
    objects: Vec<u64>,
    /// Objects seen, by (thread of first step, creation site hash).
    sites: HashMap<(u32, u64), u32>,
    /// Events seen, by (thread, kind, location, object) hash.
    occurrences: HashMap<u64, u32>,
    /// The last release of each lock (any kind), or the last count write
    /// of an `Arc` (0: none yet).
    release: Vec<u64>,
    /// The last write unlock of each rwlock (0: none yet).
    write_release: Vec<u64>,
    /// The last unpark of each thread, by target id (0: none yet).
    unparks: Vec<u64>,
    /// Location hashes, cached by the location's address (a cache only:
    /// the hash is of file, line and column).
    locations: HashMap<usize, u64>,
}

impl RfTracker {
    /// Forgets the execution fed so far (keeps the location cache).
    pub fn reset(&mut self) {
        self.events = 0;
        self.steps.clear();
        self.anon_steps.clear();
        self.step_threads.clear();
        self.anon_writes.clear();
        self.anon.clear();

        self.threads.clear();
        self.spawns.clear();
        self.objects.clear();
        self.sites.clear();
        self.occurrences.clear();
        self.release.clear();
        self.write_release.clear();
        self.unparks.clear();
    }

    /// All the edges of a finished execution, in the order found (an edge
    /// may repeat). Resets the tracker first.
    pub fn edges_of(&mut self, ex: &Execution) -> Vec<u64> {
        self.reset();
        let mut out = Vec::new();
        self.feed(ex, &mut |e| out.push(e));
        out
    }

    /// Feeds the trace's events not fed yet, handing each edge found to
    /// `edge`. Feeding after every step and feeding once at the end find
    /// the same edges.
    pub fn feed(&mut self, ex: &Execution, edge: &mut dyn FnMut(u64)) {
        self.feed_pairs(ex, &mut |p| edge(edge_hash(p.write, p.read)));
    }

    /// [`RfTracker::feed`], handing each edge as its two signatures and the
    /// read's object (for the reads-from fuzzer's constraints).
    pub(crate) fn feed_pairs(&mut self, ex: &Execution, pair: &mut dyn FnMut(RfPair)) {
        let trace = ex.trace();
        while self.events < trace.len() {
            let event = trace[self.events];
            self.events += 1;
            let EventKind::Step { op, reply, aux } = event.kind else { continue };
            self.step(ex, event.thread, op, reply, aux, event.location, pair);
        }
    }

    /// The steps' signatures without their threads, in trace order (see
    /// [`RfTracker::anonymous`]).
    pub(crate) fn anonymous_steps(&self) -> &[u64] {
        &self.anon_steps
    }

    /// The signatures of the threads of the steps fed so far, in trace
    /// order (parallel to [`RfTracker::anonymous_steps`]).
    pub(crate) fn step_threads(&self) -> &[u64] {
        &self.step_threads
    }

    /// The steps fed so far that wrote an object (a store, a
    /// read-modify-write, a successful compare-and-swap, a lock's release):
    /// their signatures without threads, the object's signature and their
    /// thread's signature, in trace order.
    pub(crate) fn anonymous_writes(&self) -> &[(u64, u64, u64)] {
        &self.anon_writes
    }

    /// The signature of thread `t` (0: not spawned yet).
    pub(crate) fn thread_signature(&mut self, t: ThreadId) -> u64 {
        self.thread(t)
    }

    /// An event's signature without its thread: operation, location,
    /// object and occurrence count, so that the same instruction run by
    /// symmetric threads (N setters each storing to `b`) is one event. The
    /// reads-from fuzzer's constraints name events this way. Signatures
    /// that are no step (an initial value) are already thread-free.
    /// Even, unlike every signature that is no step (see [`is_step`]).
    fn anonymous(kind: u64, location: u64, object: u64, occurrence: u32) -> u64 {
        let h =
            combine(combine(combine(combine(ANON, kind), location), object), u64::from(occurrence));
        h & !1
    }

    /// The signature without its thread (see [`RfTracker::anonymous`])
    /// that `thread`'s pending operation `op` at `location` will have when
    /// it runs, given the steps fed so far (feed the whole trace first),
    /// and the signature of the object it names (0: none). Changes nothing
    /// the edges depend on.
    pub(crate) fn pending_anonymous(
        &mut self,
        ex: &Execution,
        thread: ThreadId,
        op: &Op,
        location: SourceLocation,
    ) -> (u64, u64) {
        let thread_sig = self.thread(thread);
        let object_sig = op.object().map_or(0, |o| self.peek_object(ex, o, thread));
        let kind = fnv(FNV_START, op.kind_name().as_bytes());
        let location = self.location(location);
        let key = combine(combine(combine(thread_sig, kind), location), object_sig);
        let n = self.occurrences.get(&key).copied().unwrap_or(0);
        (Self::anonymous(kind, location, object_sig, n), object_sig)
    }

    /// The signature of the initial value of the object `op` names, as
    /// edges name it, were `thread` to run `op` now (0: no object).
    pub(crate) fn initial_signature(&mut self, ex: &Execution, op: &Op, thread: ThreadId) -> u64 {
        op.object().map_or(0, |o| initial_value(self.peek_object(ex, o, thread)))
    }

    /// The signature `o` has, or would get if `thread` took its first step.
    fn peek_object(&mut self, ex: &Execution, o: ObjectId, thread: ThreadId) -> u64 {
        if let Some(&sig) = self.objects.get(o.index())
            && sig != 0
        {
            return sig;
        }
        let Some(record) = ex.objects.records.get(o.index()) else { return 0 };
        let site = self.location(record.created);
        let occurrence = self.sites.get(&(thread.0, site)).copied().unwrap_or(0);
        combine(combine(OBJECT, site), u64::from(occurrence)) | 1
    }

    fn thread(&mut self, t: ThreadId) -> u64 {
        let i = t.index();
        if self.threads.len() <= i {
            self.threads.resize(i + 1, 0);
        }
        if i == 0 {
            self.threads[0] = ROOT_THREAD;
        }
        self.threads[i]
    }

    fn location(&mut self, l: SourceLocation) -> u64 {
        *self.locations.entry(l as *const _ as usize).or_insert_with(|| {
            let h = fnv(FNV_START, l.file().as_bytes());
            combine(h, (u64::from(l.line()) << 32) | u64::from(l.column()))
        })
    }

    /// The signature of `o`, computed at its first step (by `thread`).
    fn object(&mut self, ex: &Execution, o: ObjectId, thread: ThreadId) -> u64 {
        let i = o.index();
        if self.objects.len() <= i {
            self.objects.resize(i + 1, 0);
        }
        if self.objects[i] == 0 {
            let site = self.location(ex.objects.records[i].created);
            let n = self.sites.entry((thread.0, site)).or_insert(0);
            let occurrence = *n;
            *n += 1;
            self.objects[i] = combine(combine(OBJECT, site), u64::from(occurrence)) | 1;
        }
        self.objects[i]
    }

    fn slot(v: &mut Vec<u64>, i: usize) -> &mut u64 {
        if v.len() <= i {
            v.resize(i + 1, 0);
        }
        &mut v[i]
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        ex: &Execution,
        t: ThreadId,
        op: Op,
        reply: Reply,
        aux: u64,
        location: SourceLocation,
        pair: &mut dyn FnMut(RfPair),
    ) {
        let thread = self.thread(t);
        let object = op.object();
        let object_sig = object.map_or(0, |o| self.object(ex, o, t));
        let kind = fnv(FNV_START, op.kind_name().as_bytes());
        let location = self.location(location);
        let key = combine(combine(combine(thread, kind), location), object_sig);
        let n = self.occurrences.entry(key).or_insert(0);
        let me = combine(key, u64::from(*n));
        let me_anon = Self::anonymous(kind, location, object_sig, *n);
        *n += 1;
        self.steps.push(me);
        self.anon_steps.push(me_anon);
        self.step_threads.push(thread);
        self.anon.insert(me, me_anon);
        let initial = initial_value(object_sig);
        let steerable = !matches!(
            op,
            Op::Join { .. }
                | Op::ArcDrop { .. }
                | Op::ArcTryUnwrap { .. }
                | Op::ArcCount { .. }
                | Op::WeakUpgrade { .. }
        );
        // Taken out for the match below, which needs `self` mutably.
        let anon_map = std::mem::take(&mut self.anon);
        let anon = &anon_map;
        let mut read = |from: u64| {
            pair(RfPair {
                write: from,
                read: me,
                object: object_sig,
                anon_write: anon.get(&from).copied().unwrap_or(from),
                anon_read: me_anon,
                steerable,
            })
        };
        let acquired = |r: Reply| match r {
            Reply::TryLocked { acquired, .. } => acquired,
            Reply::Exchange { ok, .. } => ok,
            _ => true,
        };
        let writes = match op {
            Op::Store { .. } | Op::Rmw { .. } | Op::Unlock { .. } | Op::ReadUnlock { .. } => true,
            Op::WriteUnlock { .. } | Op::Wait { .. } => true,
            Op::CompareExchange { .. } => acquired(reply),
            _ => false,
        };
        if writes && object_sig != 0 {
            self.anon_writes.push((me_anon, object_sig, thread));
        }
        match op {
            Op::Load { .. } | Op::Rmw { .. } | Op::CompareExchange { .. } => {
                let from = match crate::execution::read_source_step(aux) {
                    0 => initial,
                    k => self.steps.get(k as usize - 1).copied().unwrap_or(initial),
                };
                read(from);
            }
            Op::Lock { object: o } | Op::WriteLock { object: o } => {
                read(Self::or(*Self::slot(&mut self.release, o.index()), initial));
            }
            Op::TryLock { object: o } | Op::TryWrite { object: o } if acquired(reply) => {
                read(Self::or(*Self::slot(&mut self.release, o.index()), initial));
            }
            Op::ReadLock { object: o } => {
                read(Self::or(*Self::slot(&mut self.write_release, o.index()), initial));
            }
            Op::TryRead { object: o } if acquired(reply) => {
                read(Self::or(*Self::slot(&mut self.write_release, o.index()), initial));
            }
            Op::Relock { mutex, .. } => {
                let m = self.object(ex, mutex, t);
                let from =
                    Self::or(*Self::slot(&mut self.release, mutex.index()), initial_value(m));
                read(from);
                if aux > 0
                    && let Some(&notify) = self.steps.get(aux as usize - 1)
                {
                    read(notify);
                }
            }
            Op::Unlock { object: o, .. } | Op::ReadUnlock { object: o } => {
                *Self::slot(&mut self.release, o.index()) = me;
            }
            Op::Wait { mutex, .. } => {
                self.object(ex, mutex, t);
                *Self::slot(&mut self.release, mutex.index()) = me;
            }
            Op::WriteUnlock { object: o, .. } => {
                *Self::slot(&mut self.release, o.index()) = me;
                *Self::slot(&mut self.write_release, o.index()) = me;
            }
            Op::Join { thread: joined } => {
                let end = combine(THREAD_END, self.thread(joined)) | 1;
                read(end);
            }
            Op::Park => {
                read(Self::or(*Self::slot(&mut self.unparks, t.index()), NO_UNPARK));
            }
            Op::TryPark { .. } if reply == Reply::Value(1) => {
                read(Self::or(*Self::slot(&mut self.unparks, t.index()), NO_UNPARK));
            }
            Op::Unpark { thread: target } => {
                *Self::slot(&mut self.unparks, target.index()) = me;
            }
            Op::Spawn => {
                if let Reply::Spawned(child) = reply {
                    let n = Self::slot32(&mut self.spawns, t.index());
                    let index = *n;
                    *n += 1;
                    let sig = combine(combine(SPAWNED, thread), u64::from(index)) | 1;
                    self.thread(child);
                    self.threads[child.index()] = sig;
                }
            }
            Op::ArcDrop { object: o } => {
                read(Self::or(*Self::slot(&mut self.release, o.index()), initial));
                *Self::slot(&mut self.release, o.index()) = me;
            }
            Op::ArcTryUnwrap { object: o } => {
                read(Self::or(*Self::slot(&mut self.release, o.index()), initial));
                if acquired(reply) {
                    *Self::slot(&mut self.release, o.index()) = me;
                }
            }
            Op::ArcCount { object: o, .. } | Op::WeakUpgrade { object: o } => {
                read(Self::or(*Self::slot(&mut self.release, o.index()), initial));
            }
            _ => {}
        }
        self.anon = anon_map;
    }

    fn or(v: u64, default: u64) -> u64 {
        if v == 0 { default } else { v }
    }

    fn slot32(v: &mut Vec<u32>, i: usize) -> &mut u32 {
        if v.len() <= i {
            v.resize(i + 1, 0);
        }
        &mut v[i]
    }
}

/// The run's reads-from coverage: the tracker of the running execution and
/// the map of every edge seen.
pub(crate) struct RfCoverage {
    pub(crate) tracker: RfTracker,
    pub(crate) map: Box<dyn EdgeMap>,
    /// New edges are discoveries for the fork loop: feed after every step.
    pub(crate) split_on_new_edges: bool,
}

impl RfCoverage {
    /// Coverage into `map`.
    pub(crate) fn new(map: Box<dyn EdgeMap>, split_on_new_edges: bool) -> Self {
        RfCoverage { tracker: RfTracker::default(), map, split_on_new_edges }
    }

    /// Feeds what the execution did since the last feed: how many of its
    /// edges are new to the map.
    pub(crate) fn feed(&mut self, ex: &Execution) -> u64 {
        let map = &self.map;
        let mut new = 0;
        self.tracker.feed(ex, &mut |e| new += u64::from(map.insert(e)));
        new
    }
}

/// The key of the fork loop's mark for new reads-from edges: the one mark
/// every edge split pays through (its allowance, in adaptive mode).
pub const EDGE_MARK: u64 = 0x7266_2d65_6467_6573;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_hashes_are_ordered_pairs() {
        assert_ne!(edge_hash(1, 2), edge_hash(2, 1));
        assert_eq!(edge_hash(1, 2), edge_hash(1, 2));
        // Pinned: edges must hash the same in every build.
        assert_eq!(edge_hash(0, 0), combine(combine(EDGE, 0), 0));
        assert_eq!(fnv(FNV_START, b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn local_edges_count_each_edge_once() {
        let m = LocalEdges::default();
        assert!(m.insert(5) && !m.insert(5) && m.insert(3));
        assert_eq!((m.count(), m.edges()), (2, Some(vec![3, 5])));
    }
}
