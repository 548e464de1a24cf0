//! Discovery assertions: the registry behind `checker::assert_always!`,
//! `assert_sometimes!` and their kin.
//!
//! Every macro call site is a *mark*: a static [`Site`] whose 64-bit id is
//! an FNV-1a hash of its kind, message and source location ([`mark_id`]),
//! the same in every process and build of the same source; never an
//! address. Evaluating a mark is not a step and not a scheduling point: it
//! runs inline in the calling model thread, so a model with assertions has
//! the same executions as one without.
//!
//! Two kinds of mark:
//! - *Safety* marks (`always`, `always_or_unreachable`, `unreachable`): a
//!   violation fails the execution at once with
//!   [`FailureKind::AssertionFailed`]; the thread stops where it is, as on a
//!   data race (see [`failed`] for why it is not a panic).
//! - *Discovery* marks (`sometimes`, `reachable`, the numeric
//!   `sometimes_gt/ge/lt/le`, `sometimes_all`, `sometimes_each`): they never
//!   fail an execution. When one reaches something new for the whole
//!   exploration, the running execution records a [`Discovery`] with the
//!   index of its next decision; the engine takes it after the step in
//!   which it happened (`Engine::on_discoveries` in `explore.rs`, where the
//!   fork loop splits). At the end of the run, discovery marks never
//!   satisfied are listed.
//!
//! What counts as new, per kind (each evaluation records at most one
//! discovery, the first that applies):
//! - `sometimes`/`reachable`: the condition holds for the first time.
//! - numeric: the comparison holds for the first time, else the watermark
//!   improves: the left operand's best value, the maximum for `gt`/`ge`,
//!   the minimum for `lt`/`le` (guidance towards the comparison).
//! - `sometimes_all`: all conditions hold for the first time, else more of
//!   them hold together than ever before (the frontier).
//! - `sometimes_each`: a key combination seen for the first time, else a
//!   better quality for that combination: quality vectors compare
//!   lexicographically, greater is better, packed into one `i64` by
//!   [`pack_quality`] (exact for one component).
//!
//! # The novelty contract
//!
//! Whether something is new is decided by a [`NoveltyStore`], never by the
//! per-process counters, so that "first" can mean first across every
//! process of a forked exploration. Its four operations act on slots named
//! by 64-bit keys (derived from the mark id by [`Registry`]):
//! `test_and_set` (a flag, or one bit of a hashed key: CAS false to true),
//! `is_set`, `fetch_max` and `fetch_min` (a watermark). Each must be atomic
//! with respect to every process sharing the store and return `true` to at
//! most one caller per novelty: two processes that reach the same new thing
//! must not both split. A store with fixed-size tables may map two keys to
//! one slot; it must then err towards "not new" (a lost split), never report
//! one novelty twice. Watermark slots start at the identity of their
//! operation (`i64::MIN` for max, `i64::MAX` for min); only a strict
//! improvement is new. [`LocalStore`] is the in-process implementation; the
//! fork loop backs the same trait with `MAP_SHARED` memory.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use crate::report::{self, FailureKind};
use crate::rt;

/// What an assertion mark asserts.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MarkKind {
    /// `assert_always!`: holds every time it is evaluated, and is evaluated.
    Always,
    /// `assert_always_or_unreachable!`: holds every time it is evaluated.
    AlwaysOrUnreachable,
    /// `assert_sometimes!`: holds at least once.
    Sometimes,
    /// `assert_reachable!`: evaluated at least once.
    Reachable,
    /// `assert_unreachable!`: never evaluated.
    Unreachable,
    /// `assert_sometimes_gt!`: `a > b` at least once; watermark: max of `a`.
    SometimesGt,
    /// `assert_sometimes_ge!`: `a >= b` at least once; watermark: max of `a`.
    SometimesGe,
    /// `assert_sometimes_lt!`: `a < b` at least once; watermark: min of `a`.
    SometimesLt,
    /// `assert_sometimes_le!`: `a <= b` at least once; watermark: min of `a`.
    SometimesLe,
    /// `assert_sometimes_all!`: all named conditions hold together at least
    /// once; frontier: the most that held together.
    SometimesAll,
    /// `assert_sometimes_each!`: every key combination evaluated is a
    /// discovery, and so is a better quality for it.
    SometimesEach,
}

impl MarkKind {
    /// The macro that makes marks of this kind, e.g. `assert_sometimes!`.
    pub const fn macro_name(self) -> &'static str {
        match self {
            MarkKind::Always => "assert_always!",
            MarkKind::AlwaysOrUnreachable => "assert_always_or_unreachable!",
            MarkKind::Sometimes => "assert_sometimes!",
            MarkKind::Reachable => "assert_reachable!",
            MarkKind::Unreachable => "assert_unreachable!",
            MarkKind::SometimesGt => "assert_sometimes_gt!",
            MarkKind::SometimesGe => "assert_sometimes_ge!",
            MarkKind::SometimesLt => "assert_sometimes_lt!",
            MarkKind::SometimesLe => "assert_sometimes_le!",
            MarkKind::SometimesAll => "assert_sometimes_all!",
            MarkKind::SometimesEach => "assert_sometimes_each!",
        }
    }

    /// The byte that stands for the kind in [`mark_id`]: new kinds go at
    /// the end of the enum, so that existing ids never change.
    const fn tag(self) -> u8 {
        self as u8 + 1
    }

    /// A violation fails the execution (`always`, `always_or_unreachable`,
    /// `unreachable`).
    pub const fn is_safety(self) -> bool {
        matches!(self, MarkKind::Always | MarkKind::AlwaysOrUnreachable | MarkKind::Unreachable)
    }

    /// The run expects it satisfied at least once: every discovery kind
    /// (`sometimes_each` is satisfied by any evaluation).
    pub const fn expects_satisfied(self) -> bool {
        !self.is_safety()
    }
}

/// One assertion call site. The macros make one `static` per call.
#[derive(Debug)]
pub struct Site {
    /// What it asserts.
    pub kind: MarkKind,
    /// The message literal (before formatting arguments).
    pub message: &'static str,
    /// Source file, as `file!()` names it.
    pub file: &'static str,
    /// Source line.
    pub line: u32,
    /// Source column.
    pub column: u32,
    /// The stable id: [`mark_id`] of the fields above.
    pub id: u64,
    /// The path of the item the site lies in (for attributing sites that
    /// were never evaluated to a model; see `checker`'s guide).
    pub scope: fn() -> &'static str,
}

impl Site {
    /// A site, with its id computed at compile time.
    pub const fn new(
        kind: MarkKind,
        message: &'static str,
        file: &'static str,
        line: u32,
        column: u32,
        scope: fn() -> &'static str,
    ) -> Site {
        Site {
            kind,
            message,
            file,
            line,
            column,
            id: mark_id(kind, message, file, line, column),
            scope,
        }
    }

    /// `file:line:column`.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

const fn fnv_bytes(mut h: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    h
}

/// The stable id of a mark: 64-bit FNV-1a over the kind's tag byte, the
/// message, a `0xff` separator, the file, a separator, and the line and
/// column as little-endian `u32`s. The same in every process and build.
pub const fn mark_id(kind: MarkKind, message: &str, file: &str, line: u32, column: u32) -> u64 {
    let mut h = fnv_bytes(FNV_OFFSET, &[kind.tag()]);
    h = fnv_bytes(h, message.as_bytes());
    h = fnv_bytes(h, &[0xff]);
    h = fnv_bytes(h, file.as_bytes());
    h = fnv_bytes(h, &[0xff]);
    h = fnv_bytes(h, &line.to_le_bytes());
    fnv_bytes(h, &column.to_le_bytes())
}

/// Mixes `value` into the key `key` (SplitMix64's finaliser): the keys of a
/// mark's slots in the [`NoveltyStore`].
fn mix(key: u64, value: u64) -> u64 {
    let mut z = key ^ value.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Slot namespaces of one mark in the store.
const SATISFIED: u64 = 1;
const WATERMARK: u64 = 2;
const FRONTIER: u64 = 3;
const COMBINATION: u64 = 4;
const QUALITY: u64 = 5;

/// Decides what is new, for one process or for all processes of a forked
/// exploration. See the module doc for the contract.
pub trait NoveltyStore {
    /// Sets the flag `key`. `true` if this call set it (it was clear).
    fn test_and_set(&self, key: u64) -> bool;
    /// Is the flag `key` set?
    fn is_set(&self, key: u64) -> bool;
    /// Raises the watermark `key` to `value`. `true` if `value` is strictly
    /// greater than what it held (it starts at `i64::MIN`).
    fn fetch_max(&self, key: u64, value: i64) -> bool;
    /// Lowers the watermark `key` to `value`. `true` if `value` is strictly
    /// less than what it held (it starts at `i64::MAX`).
    fn fetch_min(&self, key: u64, value: i64) -> bool;
}

/// The in-process [`NoveltyStore`]: exact (no two keys share a slot).
#[derive(Default, Debug)]
pub struct LocalStore {
    flags: RefCell<HashSet<u64>>,
    marks: RefCell<HashMap<u64, i64>>,
}

impl NoveltyStore for LocalStore {
    fn test_and_set(&self, key: u64) -> bool {
        self.flags.borrow_mut().insert(key)
    }

    fn is_set(&self, key: u64) -> bool {
        self.flags.borrow().contains(&key)
    }

    fn fetch_max(&self, key: u64, value: i64) -> bool {
        let mut marks = self.marks.borrow_mut();
        let slot = marks.entry(key).or_insert(i64::MIN);
        let new = value > *slot;
        *slot = (*slot).max(value);
        new
    }

    fn fetch_min(&self, key: u64, value: i64) -> bool {
        let mut marks = self.marks.borrow_mut();
        let slot = marks.entry(key).or_insert(i64::MAX);
        let new = value < *slot;
        *slot = (*slot).min(value);
        new
    }
}

/// Packs a quality vector into one `i64` whose order is the vector's
/// lexicographic order (greater is better): exact for one component; with
/// `n > 1`, each component is clamped to a signed field of `64 / n` bits
/// (so values beyond the field's range compare as its bound).
pub fn pack_quality(quality: &[i64]) -> i64 {
    match quality.len() {
        0 => 0,
        1 => quality[0],
        n => {
            let bits = (64 / n.min(64)) as u32;
            let (lo, hi) = (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1);
            let mut packed: u128 = 0;
            for &q in quality.iter().take(64) {
                let field = (i128::from(q).clamp(lo, hi) - lo) as u128;
                packed = (packed << bits) | field;
            }
            // Unsigned order to signed order.
            ((packed as u64) ^ (1 << 63)) as i64
        }
    }
}

/// What made a discovery new.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiscoveryKind {
    /// The mark was satisfied for the first time (for `sometimes_all`: all
    /// its conditions at once).
    Satisfied,
    /// A numeric mark's watermark improved to this value.
    Watermark(i64),
    /// More of a `sometimes_all` mark's conditions held together than ever:
    /// this many.
    Frontier(u32),
    /// A `sometimes_each` mark saw this key combination for the first time.
    Combination(Vec<i64>),
    /// A `sometimes_each` mark's combination got a better quality.
    Quality(Vec<i64>, Vec<i64>),
    /// The step made this many reads-from edges no execution had made
    /// (`Config::split_on_new_edges`; the mark is
    /// [`crate::coverage::EDGE_MARK`]).
    NewEdges(u64),
}

impl fmt::Display for DiscoveryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoveryKind::Satisfied => write!(f, "satisfied for the first time"),
            DiscoveryKind::Watermark(v) => write!(f, "watermark improved to {v}"),
            DiscoveryKind::Frontier(n) => write!(f, "{n} condition(s) held together"),
            DiscoveryKind::Combination(k) => write!(f, "new key combination {k:?}"),
            DiscoveryKind::Quality(k, q) => write!(f, "better quality {q:?} for keys {k:?}"),
            DiscoveryKind::NewEdges(n) => write!(f, "{n} new reads-from edge(s)"),
        }
    }
}

/// Something new an execution reached: where the fork loop splits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovery {
    /// The mark's id.
    pub mark: u64,
    /// What was new.
    pub kind: DiscoveryKind,
    /// The index of the execution's next decision when it happened: the
    /// decisions before it are the shared prefix of every split.
    pub decision: usize,
}

/// The most key combinations of one `sometimes_each` mark kept for the
/// summary (the store still decides novelty beyond it).
const MAX_COMBINATIONS: usize = 4096;

/// One mark's counters in this process.
#[derive(Debug)]
struct MarkStats {
    site: &'static Site,
    evaluated: u64,
    satisfied: u64,
    failed: u64,
    watermark: Option<i64>,
    frontier: u32,
    /// `sometimes_each`: best quality per key combination.
    combinations: BTreeMap<Vec<i64>, Vec<i64>>,
}

/// The registry of one model run: every mark evaluated, with its counters,
/// and the store that decides novelty. Lives in the execution and is kept
/// across its resets.
pub struct Registry {
    marks: BTreeMap<u64, MarkStats>,
    store: Box<dyn NoveltyStore>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry { marks: BTreeMap::new(), store: Box::new(LocalStore::default()) }
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").field("marks", &self.marks.len()).finish_non_exhaustive()
    }
}

impl Registry {
    /// Replaces the novelty store (the fork loop's shared one).
    pub fn set_store(&mut self, store: Box<dyn NoveltyStore>) {
        self.store = store;
    }

    /// The site of mark `id`, if it was evaluated.
    pub fn site(&self, id: u64) -> Option<&'static Site> {
        self.marks.get(&id).map(|m| m.site)
    }

    fn stats(&mut self, site: &'static Site) -> &mut MarkStats {
        self.marks.entry(site.id).or_insert_with(|| MarkStats {
            site,
            evaluated: 0,
            satisfied: 0,
            failed: 0,
            watermark: None,
            frontier: 0,
            combinations: BTreeMap::new(),
        })
    }

    /// A boolean mark was evaluated. Returns what is new, if anything.
    pub(crate) fn boolean(&mut self, site: &'static Site, holds: bool) -> Option<DiscoveryKind> {
        let stats = self.stats(site);
        stats.evaluated += 1;
        if !holds {
            if site.kind.is_safety() {
                stats.failed += 1;
            }
            return None;
        }
        stats.satisfied += 1;
        if site.kind.is_safety() {
            // Not a discovery; the flag tells every process that an
            // `always` was reached.
            self.store.test_and_set(mix(site.id, SATISFIED));
            return None;
        }
        self.store.test_and_set(mix(site.id, SATISFIED)).then_some(DiscoveryKind::Satisfied)
    }

    /// A numeric mark was evaluated: whether its comparison held, and its
    /// left operand.
    pub(crate) fn numeric(
        &mut self,
        site: &'static Site,
        holds: bool,
        value: i64,
    ) -> Option<DiscoveryKind> {
        let higher = matches!(site.kind, MarkKind::SometimesGt | MarkKind::SometimesGe);
        let stats = self.stats(site);
        stats.evaluated += 1;
        stats.satisfied += u64::from(holds);
        stats.watermark = Some(match stats.watermark {
            None => value,
            Some(w) if higher => w.max(value),
            Some(w) => w.min(value),
        });
        let key = mix(site.id, WATERMARK);
        let improved = if higher {
            self.store.fetch_max(key, value)
        } else {
            self.store.fetch_min(key, value)
        };
        if holds && self.store.test_and_set(mix(site.id, SATISFIED)) {
            Some(DiscoveryKind::Satisfied)
        } else {
            improved.then_some(DiscoveryKind::Watermark(value))
        }
    }

    /// A `sometimes_all` mark was evaluated with these conditions.
    pub(crate) fn all(
        &mut self,
        site: &'static Site,
        conditions: &[bool],
    ) -> Option<DiscoveryKind> {
        let together = conditions.iter().filter(|&&c| c).count() as u32;
        let holds = together as usize == conditions.len();
        let stats = self.stats(site);
        stats.evaluated += 1;
        stats.satisfied += u64::from(holds);
        stats.frontier = stats.frontier.max(together);
        let improved =
            together > 0 && self.store.fetch_max(mix(site.id, FRONTIER), together.into());
        if holds && self.store.test_and_set(mix(site.id, SATISFIED)) {
            Some(DiscoveryKind::Satisfied)
        } else {
            improved.then_some(DiscoveryKind::Frontier(together))
        }
    }

    /// A `sometimes_each` mark was evaluated with these keys and quality.
    pub(crate) fn each(
        &mut self,
        site: &'static Site,
        keys: &[i64],
        quality: &[i64],
    ) -> Option<DiscoveryKind> {
        let stats = self.stats(site);
        stats.evaluated += 1;
        stats.satisfied += 1;
        if stats.combinations.len() < MAX_COMBINATIONS || stats.combinations.contains_key(keys) {
            let best = stats.combinations.entry(keys.to_vec()).or_insert_with(|| quality.to_vec());
            if quality > best.as_slice() {
                *best = quality.to_vec();
            }
        }
        self.store.test_and_set(mix(site.id, SATISFIED));
        let combination = keys.iter().fold(mix(site.id, COMBINATION), |h, &k| mix(h, k as u64));
        let new = self.store.test_and_set(combination);
        let better = !quality.is_empty()
            && self.store.fetch_max(mix(combination, QUALITY), pack_quality(quality));
        if new {
            Some(DiscoveryKind::Combination(keys.to_vec()))
        } else {
            better.then(|| DiscoveryKind::Quality(keys.to_vec(), quality.to_vec()))
        }
    }

    /// Was mark `id` satisfied in any process sharing the store?
    fn satisfied_anywhere(&self, id: u64) -> bool {
        self.store.is_set(mix(id, SATISFIED))
    }

    /// The summary of the run. `known`: sites registered statically for
    /// this model (attributed to it even if never evaluated).
    pub fn summary(&self, known: &[&'static Site]) -> AssertionSummary {
        let mut marks: Vec<MarkSummary> = self
            .marks
            .values()
            .map(|m| MarkSummary {
                id: m.site.id,
                kind: m.site.kind,
                message: m.site.message,
                location: m.site.location(),
                evaluated: m.evaluated,
                satisfied: m.satisfied,
                failed: m.failed,
                satisfied_anywhere: m.satisfied > 0 || self.satisfied_anywhere(m.site.id),
                watermark: m.watermark,
                frontier: matches!(m.site.kind, MarkKind::SometimesAll).then_some(m.frontier),
                combinations: m.combinations.clone(),
            })
            .collect();
        for site in known {
            if !self.marks.contains_key(&site.id) && !marks.iter().any(|m| m.id == site.id) {
                marks.push(MarkSummary {
                    id: site.id,
                    kind: site.kind,
                    message: site.message,
                    location: site.location(),
                    evaluated: 0,
                    satisfied: 0,
                    failed: 0,
                    satisfied_anywhere: self.satisfied_anywhere(site.id),
                    watermark: None,
                    frontier: None,
                    combinations: BTreeMap::new(),
                });
            }
        }
        marks.sort_by(|a, b| (&a.location, a.id).cmp(&(&b.location, b.id)));
        AssertionSummary {
            marks,
            discoveries: Vec::new(),
            discoveries_total: 0,
            lost_to_full_table: 0,
        }
    }
}

/// One mark at the end of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkSummary {
    /// The stable id.
    pub id: u64,
    /// What it asserts.
    pub kind: MarkKind,
    /// Its message literal.
    pub message: &'static str,
    /// `file:line:column`.
    pub location: String,
    /// Times evaluated in this process.
    pub evaluated: u64,
    /// Times it held (for `reachable`, `sometimes_each`: every evaluation).
    pub satisfied: u64,
    /// Times a safety mark was violated (at most one per execution: the
    /// execution stops).
    pub failed: u64,
    /// Satisfied in this or any other process of the exploration.
    pub satisfied_anywhere: bool,
    /// Numeric marks: the best left operand seen (max for `gt`/`ge`, min
    /// for `lt`/`le`).
    pub watermark: Option<i64>,
    /// `sometimes_all`: the most conditions that held together.
    pub frontier: Option<u32>,
    /// `sometimes_each`: every key combination seen (up to 4096), with its
    /// best quality (lexicographically greatest).
    pub combinations: BTreeMap<Vec<i64>, Vec<i64>>,
}

impl MarkSummary {
    /// A discovery mark never satisfied, or an `assert_always!` never
    /// evaluated (it asserts that it is reached).
    pub fn unsatisfied(&self) -> bool {
        if self.kind.expects_satisfied() {
            !self.satisfied_anywhere
        } else {
            self.kind == MarkKind::Always && self.evaluated == 0 && !self.satisfied_anywhere
        }
    }

    /// One line for the end-of-run listing.
    pub fn describe(&self) -> String {
        let why = if self.evaluated == 0 {
            "never reached".to_string()
        } else {
            let mut why = format!("evaluated {} time(s), never satisfied", self.evaluated);
            if let Some(w) = self.watermark {
                why.push_str(&format!("; best value {w}"));
            }
            if let Some(n) = self.frontier {
                why.push_str(&format!("; at most {n} condition(s) together"));
            }
            why
        };
        format!("{} {:?} at {} ({why})", self.kind.macro_name(), self.message, self.location)
    }
}

/// A discovery of the run, with the execution it happened in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryRecord {
    /// Which execution of the run, counting from 1.
    pub execution: u64,
    /// The discovery.
    pub discovery: Discovery,
}

/// The most discoveries a run keeps in its summary (all are counted).
pub const MAX_RECORDED_DISCOVERIES: usize = 10_000;

/// The assertions of a model run, in `Outcome::assertions`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssertionSummary {
    /// Every mark evaluated, and every mark registered for the model, by
    /// location.
    pub marks: Vec<MarkSummary>,
    /// The run's discoveries in order (the first
    /// [`MAX_RECORDED_DISCOVERIES`]).
    pub discoveries: Vec<DiscoveryRecord>,
    /// How many discoveries the run made, in every process of a run that
    /// splits timelines (the list holds the root's only).
    pub discoveries_total: u64,
    /// Evaluations of discovery assertions, in every process, that found
    /// the multiverse's mark table full
    /// ([`crate::multiverse::shm::MARKS`] marks): each counted as not new
    /// and split nothing.
    pub lost_to_full_table: u64,
}

impl AssertionSummary {
    /// The marks the run expected satisfied and never were.
    pub fn unsatisfied(&self) -> Vec<&MarkSummary> {
        self.marks.iter().filter(|m| m.unsatisfied()).collect()
    }

    /// The end-of-run listing of [`AssertionSummary::unsatisfied`], or
    /// `None` when there is nothing to list.
    pub fn unsatisfied_listing(&self) -> Option<String> {
        let list = self.unsatisfied();
        if list.is_empty() {
            return None;
        }
        let mut text = format!("checker: {} assertion(s) never satisfied:", list.len());
        for m in list {
            text.push_str("\n    ");
            text.push_str(&m.describe());
        }
        Some(text)
    }

    /// The mark at `message`'s site, if there is exactly one with it.
    pub fn mark(&self, message: &str) -> Option<&MarkSummary> {
        let mut found = self.marks.iter().filter(|m| m.message == message);
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }
}

// ---- what the macros call ----

/// Every assertion site of the program, registered at link time by the
/// macros (a `linkme` distributed slice).
#[linkme::distributed_slice]
pub static SITES: [Site];

/// The statically registered sites attributed to a model whose body has
/// type `body_type` (`std::any::type_name` of the closure or function):
/// those that lie lexically inside the body, i.e. whose scope path starts
/// with the body's type name. A closure's type name is its enclosing
/// function's path followed by `::{{closure}}`, so the sites of two model
/// bodies written as closures in the same function are attributed to both;
/// sites in helper functions the body calls are not attributed (they are
/// known once evaluated).
pub fn sites_of(body_type: &str) -> Vec<&'static Site> {
    if body_type.is_empty() {
        return Vec::new();
    }
    let prefix = format!("{body_type}::");
    SITES.iter().filter(|site| (site.scope)().starts_with(&prefix)).collect()
}

/// Records what `evaluate` found new in the running execution, if a model
/// runs here and the execution is live. `false` outside a model.
fn record(evaluate: impl FnOnce(&mut Registry) -> Option<DiscoveryKind>, site: &Site) -> bool {
    if !rt::in_model() {
        return false;
    }
    rt::with(|ex| {
        // A failed execution is being torn down: what it reaches means nothing.
        if ex.teardown {
            return;
        }
        if let Some(kind) = evaluate(&mut ex.assertions) {
            let decision = ex.next_decision;
            ex.discoveries.push(Discovery { mark: site.id, kind, decision });
        }
    });
    true
}

/// A boolean mark (`always`, `always_or_unreachable`, `sometimes`,
/// `reachable`) was evaluated; returns `holds`. Not a step.
pub fn boolean(site: &'static Site, holds: bool) -> bool {
    record(|r| r.boolean(site, holds), site);
    holds
}

/// A numeric mark was evaluated. Not a step.
pub fn numeric(site: &'static Site, holds: bool, value: i64) {
    record(|r| r.numeric(site, holds, value), site);
}

/// A `sometimes_all` mark was evaluated. Not a step.
pub fn all(site: &'static Site, conditions: &[bool]) {
    record(|r| r.all(site, conditions), site);
}

/// A `sometimes_each` mark was evaluated. Not a step.
pub fn each(site: &'static Site, keys: &[i64], quality: &[i64]) {
    record(|r| r.each(site, keys, quality), site);
}

/// A safety mark was violated (`message`: the formatted message). In a
/// model, the execution fails with [`FailureKind::AssertionFailed`] and the
/// calling thread stops here, without unwinding; outside a model, this
/// panics as `assert!` does.
///
/// Not a panic in a model, because a panic can be caught (`catch_unwind`,
/// or a `join` that returns the `Err`) and would then be reported as
/// another kind or not at all: the failure must be exactly the assertion's,
/// whichever thread raises it. Stopping the thread without running its
/// destructors is what a data race does too.
#[track_caller]
pub fn failed(site: &'static Site, message: fmt::Arguments<'_>) {
    if !rt::in_model() {
        panic!("{} failed: {message}", site.kind.macro_name());
    }
    let here = std::panic::Location::caller();
    let stop = rt::with(|ex| {
        if ex.teardown {
            return false;
        }
        // `always` marks counted the evaluation already.
        if site.kind == MarkKind::Unreachable {
            ex.assertions.boolean(site, false);
        }
        let label = ex.thread_label(ex.current);
        let what = match site.kind {
            MarkKind::Unreachable => "reached",
            _ => "failed",
        };
        let text = format!(
            "{} {what} in {label} at {}:\n{message}",
            site.kind.macro_name(),
            report::location(here)
        );
        let thread = ex.current;
        ex.trace.push(crate::trace::Event {
            thread,
            kind: crate::trace::EventKind::AssertionFailed(site.id),
            location: here,
        });
        ex.fail(FailureKind::AssertionFailed, text);
        true
    });
    if stop {
        rt::abandon_thread();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> &'static str {
        "here"
    }

    #[test]
    fn ids_are_stable_and_tell_sites_apart() {
        let a = mark_id(MarkKind::Sometimes, "m", "f.rs", 1, 2);
        // Recipes name marks by id across processes and builds: the hash
        // (FNV-1a over tag, message, file, line, column) must never change.
        assert_eq!(a, 0x8be3_a6c5_fa95_5d69);
        assert_ne!(a, mark_id(MarkKind::Reachable, "m", "f.rs", 1, 2));
        assert_ne!(a, mark_id(MarkKind::Sometimes, "n", "f.rs", 1, 2));
        assert_ne!(a, mark_id(MarkKind::Sometimes, "m", "f.rs", 1, 3));
        assert_eq!(fnv_bytes(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c, "FNV-1a's test vector");
        static SITE: Site = Site::new(MarkKind::Sometimes, "m", "f.rs", 1, 2, scope);
        assert_eq!(SITE.id, a, "computed at compile time the same way");
    }

    #[test]
    fn packed_quality_keeps_lexicographic_order() {
        assert_eq!(pack_quality(&[-5]), -5);
        let vs = [[-3, 9], [-3, 10], [0, -100], [0, 0], [1, i64::MIN], [7, 7]];
        for w in vs.windows(2) {
            assert!(pack_quality(&w[0]) < pack_quality(&w[1]), "{:?} < {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn the_local_store_reports_each_novelty_once() {
        let s = LocalStore::default();
        assert!(s.test_and_set(1) && !s.test_and_set(1) && s.is_set(1) && !s.is_set(2));
        assert!(s.fetch_max(3, 5) && !s.fetch_max(3, 5) && !s.fetch_max(3, 4) && s.fetch_max(3, 6));
        assert!(s.fetch_min(4, 5) && !s.fetch_min(4, 5) && s.fetch_min(4, -1));
    }
}
