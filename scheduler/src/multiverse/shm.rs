//! The run's shared region: one `MAP_SHARED | MAP_ANONYMOUS` mapping,
//! created before the first fork, inherited by every process of the tree,
//! unmapped when the [`Shared`] that made it is dropped.
//!
//! Everything in it is an atomic whose all-zero value is the initial state
//! (the mapping comes zeroed), so no process ever needs a lock, and a
//! process killed in the middle of an update leaves a readable region. The
//! layout ([`Region`]) is fixed at compile time:
//!
//! - the energy counter (units left) and the running-process tokens;
//! - the mark table: [`MARKS`] marks found by key with open addressing,
//!   each with a first-hit flag (a CAS), a max and a min watermark
//!   (`fetch_max` over an order-preserving encoding), and a key table of
//!   [`MARK_KEYS`] entries (open addressing, linear probing) holding each
//!   key combination seen and its best quality;
//! - a coverage bitmap of [`COVERAGE_BITS`] bits (for reads-from edges);
//! - counters: timelines reaped, bugs, new coverage bits;
//! - heartbeat cells for the watchdog, claimed one per live child;
//! - a few free counters ([`Shared::scratch`]) for callers and tests;
//! - one bug slot, claimed by CAS: the first bug's kind, recipe, decision
//!   path and report text, each cut to a fixed size.
//!
//! Elsewhere than Unix the same layout lives in an ordinary zeroed heap
//! allocation: one process, same API.

use std::fmt;
use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU32, AtomicU64, Ordering};

use super::recipe::mix64;

/// How many marks the table holds; a mark beyond that is never "new".
pub const MARKS: usize = 256;
/// How many key combinations each mark remembers; beyond that, none is new.
pub const MARK_KEYS: usize = 128;
/// Bits of the coverage bitmap; an edge is hashed onto one of them.
pub const COVERAGE_BITS: usize = 1 << 16;
/// Heartbeat cells: how many children can be watched at once.
pub const BEATS: usize = 1024;
/// Free counters for the caller.
pub const SCRATCH: usize = 16;
/// Bytes kept of the first bug's recipe.
pub const RECIPE_BYTES: usize = 4096;
/// Bytes kept of the first bug's decision path.
pub const PATH_BYTES: usize = 64 * 1024;
/// Bytes kept of the first bug's report text.
pub const REPORT_BYTES: usize = 64 * 1024;

/// The layout of the shared region. All-zero is the initial state of every
/// field but the energy and the tokens, which [`Shared::new`] sets before
/// any fork.
#[repr(C)]
pub struct Region {
    energy: AtomicU64,
    tokens_free: AtomicU64,
    jobs: AtomicU64,
    tokens_max_in_use: AtomicU64,
    timelines: AtomicU64,
    bugs: AtomicU64,
    coverage_new: AtomicU64,
    /// Reads-from edges whose coverage bit was new ([`Shared::cover_edge`]).
    edges_new: AtomicU64,
    /// Adaptive mode: units each mark may spend of its own (0: off).
    allowance: AtomicU64,
    /// Adaptive mode: units given back by unproductive marks.
    pool: AtomicU64,
    /// Novelty questions about a key the full mark table had no slot for.
    lost: AtomicU64,
    marks: [MarkSlot; MARKS],
    coverage: [AtomicU64; COVERAGE_BITS / 64],
    beats: [Beat; BEATS],
    scratch: [AtomicU64; SCRATCH],
    bug: BugSlot,
}

#[repr(C)]
struct MarkSlot {
    /// The mark's key (mixed, never 0); 0 while the slot is free.
    key: AtomicU64,
    hit: AtomicU64,
    /// Encoded by [`enc_max`]: 0 is "no value yet".
    max: AtomicU64,
    /// Encoded by [`enc_min`]: 0 is "no value yet".
    min: AtomicU64,
    /// Adaptive mode: units of its allowance spent (or given back).
    spent: AtomicU64,
    keys: [KeyEntry; MARK_KEYS],
}

#[repr(C)]
struct KeyEntry {
    key: AtomicU64,
    quality: AtomicU64,
}

#[repr(C)]
struct Beat {
    claimed: AtomicU32,
    count: AtomicU64,
}

#[repr(C)]
struct BugSlot {
    /// 0 free, 1 claimed and being written, 2 written.
    state: AtomicU32,
    kind: AtomicU32,
    code: AtomicI64,
    recipe_len: AtomicU64,
    path_len: AtomicU64,
    report_len: AtomicU64,
    recipe: [AtomicU8; RECIPE_BYTES],
    path: [AtomicU8; PATH_BYTES],
    report: [AtomicU8; REPORT_BYTES],
}

/// Order-preserving map of `i64` onto `u64` for a max watermark; `i64::MIN`
/// maps to 0, "no value", so it never improves a max.
fn enc_max(v: i64) -> u64 {
    (v as u64) ^ (1 << 63)
}

fn dec_max(u: u64) -> i64 {
    (u ^ (1 << 63)) as i64
}

/// Order-reversing map for a min watermark kept with `fetch_max`; `i64::MAX`
/// maps to 0, "no value", so it never improves a min.
fn enc_min(v: i64) -> u64 {
    !enc_max(v)
}

fn dec_min(u: u64) -> i64 {
    dec_max(!u)
}

/// A key as stored: mixed so that nearby keys spread, never 0 (free).
fn stored_key(key: u64) -> u64 {
    match mix64(key) {
        0 => 1,
        k => k,
    }
}

/// The run's shared region, owned by the process that created it. Dropping
/// it unmaps the region; a forked child never drops it (it leaves with
/// `_exit`).
///
/// Clones are handles to the same mapping (the engine's, the novelty
/// store's): it is unmapped when the last one is dropped.
#[derive(Clone)]
pub struct Shared {
    mapping: std::rc::Rc<Mapping>,
}

/// The mapping itself; unmapped on drop.
struct Mapping {
    region: NonNull<Region>,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        sys::unmap(self.region);
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("at", &self.mapping.region)
            .field("energy", &self.energy_left())
            .field("jobs", &self.jobs())
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Maps a fresh region with `energy` units and `jobs` running-process
    /// tokens, one of them held by the calling process.
    pub fn new(energy: u64, jobs: u32) -> io::Result<Shared> {
        if jobs == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "jobs must be at least 1"));
        }
        let shared = Shared { mapping: std::rc::Rc::new(Mapping { region: sys::map()? }) };
        let r = shared.region();
        r.energy.store(energy, Ordering::Relaxed);
        r.jobs.store(u64::from(jobs), Ordering::Relaxed);
        r.tokens_free.store(u64::from(jobs) - 1, Ordering::Relaxed);
        r.tokens_max_in_use.store(1, Ordering::Relaxed);
        Ok(shared)
    }

    fn region(&self) -> &Region {
        // SAFETY: `region` points to a live, zero-initialised mapping of
        // `size_of::<Region>()` bytes, suitably aligned (page-aligned), that
        // stays mapped until the last handle to it is dropped. `Region` is made only of
        // atomics and arrays of atomics, for which all-zero bytes are valid
        // values, and every access to them (from any process) is atomic.
        unsafe { self.mapping.region.as_ref() }
    }

    /// The address range of the mapping (for diagnostics and tests).
    pub fn address_range(&self) -> std::ops::Range<usize> {
        let start = self.mapping.region.as_ptr() as usize;
        start..start + sys::mapped_len()
    }

    // --- energy -------------------------------------------------------

    /// Units of energy left.
    pub fn energy_left(&self) -> u64 {
        self.region().energy.load(Ordering::Acquire)
    }

    /// Takes one unit of energy; false (and nothing taken) when none is left.
    pub fn take_energy(&self) -> bool {
        self.region()
            .energy
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |e| e.checked_sub(1))
            .is_ok()
    }

    /// Gives back a unit taken for something that did not happen.
    pub(crate) fn refund_energy(&self) {
        self.region().energy.fetch_add(1, Ordering::AcqRel);
    }

    /// Adaptive mode: each mark may spend `per_mark` units of the energy
    /// on its children before it must draw on the pool that unproductive
    /// marks give back to (see [`Mark::take_energy`]). 0 turns it off.
    /// Set it before the first fork.
    pub fn set_mark_allowance(&self, per_mark: u64) {
        self.region().allowance.store(per_mark, Ordering::Release);
    }

    /// Adaptive mode: the allowance of each mark (0: off).
    pub fn mark_allowance(&self) -> u64 {
        self.region().allowance.load(Ordering::Acquire)
    }

    /// Adaptive mode: units given back to the shared pool and not yet drawn.
    pub fn pool(&self) -> u64 {
        self.region().pool.load(Ordering::Acquire)
    }

    // --- running-process tokens ---------------------------------------

    /// The bound on running processes the region was made with.
    pub fn jobs(&self) -> u32 {
        self.region().jobs.load(Ordering::Relaxed) as u32
    }

    /// The most tokens ever held at once: how many processes ran at once.
    pub fn max_running(&self) -> u64 {
        self.region().tokens_max_in_use.load(Ordering::Acquire)
    }

    /// Takes a token if one is free.
    pub(crate) fn try_take_token(&self) -> bool {
        let r = self.region();
        match r.tokens_free.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(1))
        {
            Ok(before) => {
                let in_use = r.jobs.load(Ordering::Relaxed) - (before - 1);
                r.tokens_max_in_use.fetch_max(in_use, Ordering::AcqRel);
                true
            }
            Err(_) => false,
        }
    }

    /// Gives a token back.
    pub(crate) fn give_token(&self) {
        self.region().tokens_free.fetch_add(1, Ordering::AcqRel);
    }

    // --- counters -----------------------------------------------------

    /// Forked timelines reaped so far, in the whole tree.
    pub fn timelines(&self) -> u64 {
        self.region().timelines.load(Ordering::Acquire)
    }

    /// Timelines that ended in a bug (only the first is kept in the slot).
    pub fn bugs(&self) -> u64 {
        self.region().bugs.load(Ordering::Acquire)
    }

    /// How many novelty questions (one per evaluation of a discovery
    /// assertion) found the mark table full, in every process: each was
    /// answered "not new" and split nothing.
    pub fn lost_marks(&self) -> u64 {
        self.region().lost.load(Ordering::Acquire)
    }

    pub(crate) fn count_timeline(&self, bug: bool) {
        let r = self.region();
        r.timelines.fetch_add(1, Ordering::AcqRel);
        if bug {
            r.bugs.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// A free counter for the caller (`i < SCRATCH`): tests record pids and
    /// concurrency here; the engine may count what it likes.
    pub fn scratch(&self, i: usize) -> &AtomicU64 {
        &self.region().scratch[i]
    }

    // --- marks --------------------------------------------------------

    /// The mark with this key (any 64-bit name, e.g. a hash of the
    /// assertion's location and message), claimed on first use by any
    /// process. `None` once [`MARKS`] other marks are in the table.
    pub fn mark(&self, key: u64) -> Option<Mark<'_>> {
        let want = stored_key(key);
        let marks = &self.region().marks;
        let start = (want as usize) % MARKS;
        for i in 0..MARKS {
            let slot = &marks[(start + i) % MARKS];
            let k = slot.key.load(Ordering::Acquire);
            let k = if k == 0 {
                match slot.key.compare_exchange(0, want, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => want,
                    Err(other) => other,
                }
            } else {
                k
            };
            if k == want {
                return Some(Mark { slot, region: self.region() });
            }
        }
        None
    }

    // --- coverage -----------------------------------------------------

    /// Sets coverage bit `edge % COVERAGE_BITS`; true if no process had set
    /// it before.
    pub fn cover(&self, edge: u64) -> bool {
        let r = self.region();
        let bit = (edge as usize) % COVERAGE_BITS;
        let mask = 1u64 << (bit % 64);
        let new = r.coverage[bit / 64].fetch_or(mask, Ordering::AcqRel) & mask == 0;
        if new {
            r.coverage_new.fetch_add(1, Ordering::AcqRel);
        }
        new
    }

    /// Sets the coverage bit of a reads-from edge ([`Shared::cover`]) and
    /// counts it among the edges if it is new.
    pub fn cover_edge(&self, edge: u64) -> bool {
        let new = self.cover(edge);
        if new {
            self.region().edges_new.fetch_add(1, Ordering::AcqRel);
        }
        new
    }

    /// Reads-from edges covered so far by the whole tree (distinct bits:
    /// two edges that share a bit count once).
    pub fn edge_count(&self) -> u64 {
        self.region().edges_new.load(Ordering::Acquire)
    }

    /// Coverage bits set so far by the whole tree (a batch of children that
    /// leaves it unchanged found nothing new).
    pub fn coverage_count(&self) -> u64 {
        self.region().coverage_new.load(Ordering::Acquire)
    }

    // --- heartbeats ---------------------------------------------------

    /// Claims a free heartbeat cell, zeroed.
    pub(crate) fn claim_beat(&self) -> Option<usize> {
        let beats = &self.region().beats;
        (0..BEATS).find(|&i| {
            let ok = beats[i]
                .claimed
                .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
            if ok {
                beats[i].count.store(0, Ordering::Release);
            }
            ok
        })
    }

    pub(crate) fn release_beat(&self, i: usize) {
        self.region().beats[i].claimed.store(0, Ordering::Release);
    }

    /// Signs of life of the process owning cell `i`.
    pub(crate) fn beats(&self, i: usize) -> u64 {
        self.region().beats[i].count.load(Ordering::Acquire)
    }

    pub(crate) fn beat(&self, i: usize) {
        self.region().beats[i].count.fetch_add(1, Ordering::AcqRel);
    }

    // --- the bug slot -------------------------------------------------

    /// Claims the bug slot and writes `bug` there, cut to the slot's sizes;
    /// true if this was the first bug of the run (it wins the slot), false
    /// if another process had claimed it (nothing is written).
    pub fn claim_bug(&self, bug: &BugInfo<'_>) -> bool {
        let slot = &self.region().bug;
        if slot.state.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return false;
        }
        slot.kind.store(bug.kind as u32, Ordering::Relaxed);
        slot.code.store(bug.code, Ordering::Relaxed);
        write_text(&slot.recipe, &slot.recipe_len, bug.recipe);
        write_text(&slot.path, &slot.path_len, bug.path);
        write_text(&slot.report, &slot.report_len, bug.report);
        slot.state.store(2, Ordering::Release);
        true
    }

    /// Whether some process has claimed the bug slot.
    pub fn bug_claimed(&self) -> bool {
        self.region().bug.state.load(Ordering::Acquire) != 0
    }

    /// The first bug of the run, if any. `complete` is false if the process
    /// that claimed the slot died before it finished writing.
    pub fn bug(&self) -> Option<Bug> {
        let slot = &self.region().bug;
        let state = slot.state.load(Ordering::Acquire);
        if state == 0 {
            return None;
        }
        let (recipe, t1) = read_text(&slot.recipe, &slot.recipe_len);
        let (path, t2) = read_text(&slot.path, &slot.path_len);
        let (report, t3) = read_text(&slot.report, &slot.report_len);
        Some(Bug {
            kind: BugKind::from_u32(slot.kind.load(Ordering::Relaxed)),
            code: slot.code.load(Ordering::Relaxed),
            recipe,
            path,
            report,
            truncated: t1 || t2 || t3,
            complete: state == 2,
        })
    }
}

fn write_text(bytes: &[AtomicU8], len: &AtomicU64, text: &str) {
    for (cell, b) in bytes.iter().zip(text.bytes()) {
        cell.store(b, Ordering::Relaxed);
    }
    len.store(text.len() as u64, Ordering::Relaxed);
}

/// The stored text, cut to a character boundary, and whether it was cut.
fn read_text(bytes: &[AtomicU8], len: &AtomicU64) -> (String, bool) {
    let full = len.load(Ordering::Relaxed) as usize;
    let kept = full.min(bytes.len());
    let raw: Vec<u8> = bytes[..kept].iter().map(|b| b.load(Ordering::Relaxed)).collect();
    let text = match String::from_utf8(raw) {
        Ok(s) => s,
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let mut raw = e.into_bytes();
            raw.truncate(good);
            String::from_utf8(raw).unwrap_or_default()
        }
    };
    (text, kept < full)
}

/// One mark of the shared table: what every process of the run has seen of
/// one assertion.
#[derive(Copy, Clone)]
pub struct Mark<'a> {
    slot: &'a MarkSlot,
    region: &'a Region,
}

impl fmt::Debug for Mark<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mark").field("hit", &self.was_hit()).field("max", &self.max()).finish()
    }
}

/// What a key combination brought to a mark (see [`Mark::note_key`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum KeyNews {
    /// No process had seen this combination.
    New,
    /// Seen before, and this quality beats the best so far.
    Better,
    /// Seen before, with at least this quality.
    Seen,
    /// The mark's key table is full: nothing is new any more.
    Full,
}

impl Mark<'_> {
    /// Takes one unit of energy for a child of this mark. Without an
    /// allowance this is [`Shared::take_energy`]. With one, the unit must
    /// also come from the mark's allowance or, once that is spent, from the
    /// pool; the energy counter stays the one exact budget. False (and
    /// nothing taken) when either is empty.
    pub fn take_energy(&self) -> bool {
        let r = self.region;
        let allowance = r.allowance.load(Ordering::Acquire);
        let take_global = || {
            r.energy.fetch_update(Ordering::AcqRel, Ordering::Acquire, |e| e.checked_sub(1)).is_ok()
        };
        if allowance == 0 {
            return take_global();
        }
        let own = self
            .slot
            .spent
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| (s < allowance).then_some(s + 1))
            .is_ok();
        if !own
            && r.pool
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |p| p.checked_sub(1))
                .is_err()
        {
            return false;
        }
        if take_global() {
            return true;
        }
        if own {
            self.slot.spent.fetch_sub(1, Ordering::AcqRel);
        } else {
            r.pool.fetch_add(1, Ordering::AcqRel);
        }
        false
    }

    /// Adaptive mode: a batch of this mark's children found nothing new;
    /// what is left of its allowance goes to the shared pool, for marks
    /// that do. Returns the units given back.
    pub fn give_back(&self) -> u64 {
        let r = self.region;
        let allowance = r.allowance.load(Ordering::Acquire);
        let before = self.slot.spent.fetch_max(allowance, Ordering::AcqRel);
        let unused = allowance.saturating_sub(before);
        r.pool.fetch_add(unused, Ordering::AcqRel);
        unused
    }

    /// Sets the first-hit flag; true for exactly one call in the whole run.
    pub fn first_hit(&self) -> bool {
        self.slot.hit.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// Whether the mark has been hit by any process.
    pub fn was_hit(&self) -> bool {
        self.slot.hit.load(Ordering::Acquire) != 0
    }

    /// Raises the max watermark to `v`; true if `v` is above every value
    /// any process gave before (`i64::MIN` never is).
    pub fn raise_max(&self, v: i64) -> bool {
        let e = enc_max(v);
        self.slot.max.fetch_max(e, Ordering::AcqRel) < e
    }

    /// The max watermark, if any value was given.
    pub fn max(&self) -> Option<i64> {
        let u = self.slot.max.load(Ordering::Acquire);
        (u != 0).then(|| dec_max(u))
    }

    /// Lowers the min watermark to `v`; true if `v` is below every value
    /// any process gave before (`i64::MAX` never is).
    pub fn lower_min(&self, v: i64) -> bool {
        let e = enc_min(v);
        self.slot.min.fetch_max(e, Ordering::AcqRel) < e
    }

    /// The min watermark, if any value was given.
    pub fn min(&self) -> Option<i64> {
        let u = self.slot.min.load(Ordering::Acquire);
        (u != 0).then(|| dec_min(u))
    }

    /// Notes key combination `key` (a hash of the keys) reached with
    /// `quality`: whether it is new to the run, or better than before.
    /// Open addressing with linear probing over [`MARK_KEYS`] entries; a
    /// quality of `i64::MIN` is never better.
    pub fn note_key(&self, key: u64, quality: i64) -> KeyNews {
        let want = stored_key(key);
        let start = (want as usize) % MARK_KEYS;
        for i in 0..MARK_KEYS {
            let e = &self.slot.keys[(start + i) % MARK_KEYS];
            let mut k = e.key.load(Ordering::Acquire);
            let mut claimed = false;
            if k == 0 {
                match e.key.compare_exchange(0, want, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => {
                        claimed = true;
                        k = want;
                    }
                    Err(other) => k = other,
                }
            }
            if k == want {
                let q = enc_max(quality);
                let better = e.quality.fetch_max(q, Ordering::AcqRel) < q;
                return match (claimed, better) {
                    (true, _) => KeyNews::New,
                    (false, true) => KeyNews::Better,
                    (false, false) => KeyNews::Seen,
                };
            }
        }
        KeyNews::Full
    }
}

/// What kind of bug a timeline ended in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum BugKind {
    /// The timeline found a failure and reported it (the engine's report).
    Reported = 1,
    /// A panic escaped the timeline's continuation.
    Panicked = 2,
    /// The process was killed by a signal (`code`: the signal number).
    Signal = 3,
    /// The process exited with a code no timeline uses (`code`).
    UnexpectedExit = 4,
    /// The watchdog killed a process silent for too long.
    Hang = 5,
    /// The slot holds a kind this build does not know.
    Unknown = 0,
}

impl BugKind {
    fn from_u32(k: u32) -> BugKind {
        match k {
            1 => BugKind::Reported,
            2 => BugKind::Panicked,
            3 => BugKind::Signal,
            4 => BugKind::UnexpectedExit,
            5 => BugKind::Hang,
            _ => BugKind::Unknown,
        }
    }
}

/// A bug to write into the slot.
#[derive(Copy, Clone, Debug)]
pub struct BugInfo<'a> {
    /// Its kind.
    pub kind: BugKind,
    /// The signal or exit code, where the kind has one; else 0.
    pub code: i64,
    /// The timeline's recipe, as printed.
    pub recipe: &'a str,
    /// The execution's decision path, if known.
    pub path: &'a str,
    /// The report text.
    pub report: &'a str,
}

/// The first bug of a run, read back from the slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bug {
    /// Its kind.
    pub kind: BugKind,
    /// The signal or exit code, where the kind has one.
    pub code: i64,
    /// The timeline's recipe.
    pub recipe: String,
    /// The execution's decision path.
    pub path: String,
    /// The report text.
    pub report: String,
    /// Whether some text was cut to fit the slot.
    pub truncated: bool,
    /// False if the writer died while writing.
    pub complete: bool,
}

#[cfg(unix)]
mod sys {
    use super::Region;
    use std::io;
    use std::ptr::NonNull;

    pub(super) fn mapped_len() -> usize {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page = if page > 0 { page as usize } else { 4096 };
        std::mem::size_of::<Region>().div_ceil(page) * page
    }

    pub(super) fn map() -> io::Result<NonNull<Region>> {
        // SAFETY: an anonymous mapping at an address the kernel chooses
        // touches no existing memory; the result is checked below.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped_len(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        NonNull::new(p.cast::<Region>()).ok_or_else(|| io::Error::other("mmap returned null"))
    }

    pub(super) fn unmap(region: NonNull<Region>) {
        // SAFETY: `region` is the start of a mapping of `mapped_len()` bytes
        // made by `map`, and its only owner (`Shared`) is being dropped, so
        // no reference into it outlives this call.
        let rc = unsafe { libc::munmap(region.as_ptr().cast(), mapped_len()) };
        debug_assert_eq!(rc, 0, "munmap of the shared region failed");
    }
}

#[cfg(not(unix))]
mod sys {
    use super::Region;
    use std::alloc::Layout;
    use std::io;
    use std::ptr::NonNull;

    pub(super) fn mapped_len() -> usize {
        std::mem::size_of::<Region>()
    }

    pub(super) fn map() -> io::Result<NonNull<Region>> {
        // SAFETY: `Region` has a non-zero size.
        let p = unsafe { std::alloc::alloc_zeroed(Layout::new::<Region>()) };
        NonNull::new(p.cast::<Region>()).ok_or_else(|| io::Error::other("out of memory"))
    }

    pub(super) fn unmap(region: NonNull<Region>) {
        // SAFETY: allocated by `map` with this layout, freed once.
        unsafe { std::alloc::dealloc(region.as_ptr().cast(), Layout::new::<Region>()) };
    }
}

/// The novelty decisions of discovery assertions, made once for every
/// process of the run: each key of the [`crate::assertions::NoveltyStore`]
/// contract is a mark of the region (a flag by [`Mark::first_hit`], a
/// watermark by [`Mark::raise_max`] / [`Mark::lower_min`]). When the mark
/// table is full ([`MARKS`] keys), a key that finds no slot is never new:
/// it splits nothing. Whatever is new also sets a coverage bit, so that a
/// batch of children that discovered something counts as productive in
/// adaptive mode ([`Shared::set_mark_allowance`]).
impl Shared {
    /// `new`, after setting `key`'s coverage bit if it is.
    fn covered(&self, key: u64, new: bool) -> bool {
        if new {
            self.cover(key);
        }
        new
    }

    /// The mark of `key`, counting a question the full table cannot
    /// answer.
    fn mark_or_count(&self, key: u64) -> Option<Mark<'_>> {
        let mark = self.mark(key);
        if mark.is_none() {
            self.region().lost.fetch_add(1, Ordering::AcqRel);
        }
        mark
    }
}

impl crate::assertions::NoveltyStore for Shared {
    fn test_and_set(&self, key: u64) -> bool {
        self.covered(key, self.mark_or_count(key).is_some_and(|m| m.first_hit()))
    }

    fn is_set(&self, key: u64) -> bool {
        self.mark(key).is_some_and(|m| m.was_hit())
    }

    fn fetch_max(&self, key: u64, value: i64) -> bool {
        self.covered(key, self.mark_or_count(key).is_some_and(|m| m.raise_max(value)))
    }

    fn fetch_min(&self, key: u64, value: i64) -> bool {
        self.covered(key, self.mark_or_count(key).is_some_and(|m| m.lower_min(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_is_exact_and_tokens_bounded() {
        let s = Shared::new(3, 2).unwrap();
        assert!(s.take_energy() && s.take_energy() && s.take_energy());
        assert!(!s.take_energy());
        assert_eq!(s.energy_left(), 0);
        assert!(s.try_take_token(), "one of two tokens is free");
        assert!(!s.try_take_token());
        assert_eq!(s.max_running(), 2);
        s.give_token();
        assert!(s.try_take_token());
        assert!(Shared::new(1, 0).is_err());
    }

    #[test]
    fn marks_watermarks_and_keys() {
        let s = Shared::new(0, 1).unwrap();
        let m = s.mark(42).unwrap();
        assert!(m.first_hit());
        assert!(!s.mark(42).unwrap().first_hit(), "the same mark, found again by key");
        assert!(!s.mark(43).unwrap().was_hit());
        assert_eq!(m.max(), None);
        assert!(m.raise_max(-5));
        assert!(!m.raise_max(-6));
        assert!(m.raise_max(7));
        assert_eq!(m.max(), Some(7));
        assert!(m.lower_min(7) && m.lower_min(-100) && !m.lower_min(0));
        assert_eq!(m.min(), Some(-100));
        assert_eq!(m.note_key(1, 0), KeyNews::New);
        assert_eq!(m.note_key(1, 0), KeyNews::Seen);
        assert_eq!(m.note_key(1, 3), KeyNews::Better);
        assert_eq!(m.note_key(2, 0), KeyNews::New);
        let full = s.mark(44).unwrap();
        let news: Vec<_> = (0..MARK_KEYS as u64 + 1).map(|k| full.note_key(k, 0)).collect();
        assert!(news[..MARK_KEYS].iter().all(|n| *n == KeyNews::New));
        assert_eq!(news[MARK_KEYS], KeyNews::Full);
        let n = (1000..1000 + MARKS as u64).filter(|k| s.mark(*k).is_some()).count();
        assert_eq!(n, MARKS - 3, "the table holds MARKS marks");
        assert!(s.mark(5000).is_none());
    }

    #[test]
    fn adaptive_allowances_and_the_pool() {
        let s = Shared::new(10, 1).unwrap();
        s.set_mark_allowance(3);
        let (a, b) = (s.mark(1).unwrap(), s.mark(2).unwrap());
        assert!(a.take_energy());
        assert_eq!(a.give_back(), 2, "a spent 1 of 3");
        assert_eq!(a.give_back(), 0, "nothing more to give");
        assert!(b.take_energy() && b.take_energy() && b.take_energy(), "b's own 3");
        assert!(b.take_energy() && b.take_energy(), "and the 2 a gave back");
        assert!(!b.take_energy(), "then nothing");
        assert_eq!((s.pool(), s.energy_left()), (0, 4), "6 units spent, exactly");
        assert!(!a.take_energy(), "a gave its allowance away");
    }

    #[test]
    fn coverage_and_the_bug_slot() {
        let s = Shared::new(0, 1).unwrap();
        assert!(s.cover(7) && !s.cover(7) && s.cover(7 + COVERAGE_BITS as u64 + 1));
        assert_eq!(s.coverage_count(), 2);
        assert!(!s.cover_edge(7) && s.cover_edge(9) && !s.cover_edge(9));
        assert_eq!((s.coverage_count(), s.edge_count()), (3, 1));
        assert!(s.bug().is_none());
        let long = format!("a{}", "é".repeat(REPORT_BYTES)); // cut mid-character
        let first =
            BugInfo { kind: BugKind::Signal, code: 11, recipe: "1@2", path: "abc", report: &long };
        assert!(s.claim_bug(&first));
        assert!(!s.claim_bug(&BugInfo { kind: BugKind::Hang, ..first }), "the first bug wins");
        let bug = s.bug().unwrap();
        assert_eq!(
            (bug.kind, bug.code, bug.recipe.as_str(), bug.path.as_str()),
            (BugKind::Signal, 11, "1@2", "abc")
        );
        assert!(bug.truncated && bug.complete);
        assert_eq!(bug.report.chars().count(), REPORT_BYTES / 2);
    }
}
