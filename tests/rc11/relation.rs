//! Binary relations over at most 64 events, as one bitset row per event.

use std::fmt;

/// A set of events: bit `i` is event `i`.
pub type Set = u64;

/// The set of one event.
pub fn one(i: usize) -> Set {
    1 << i
}

/// The events of `set`, in increasing order.
pub fn members(mut set: Set) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (set != 0).then(|| {
            let i = set.trailing_zeros() as usize;
            set &= set - 1;
            i
        })
    })
}

/// A relation over events `0..n`: `rows[a]` holds every `b` with `a → b`.
#[derive(Clone, PartialEq, Eq)]
pub struct Rel {
    rows: Vec<Set>,
}

impl Rel {
    /// Most events a relation can have.
    pub const MAX: usize = 64;

    /// The empty relation over `n` events.
    pub fn empty(n: usize) -> Rel {
        assert!(n <= Self::MAX, "a relation holds at most {} events, not {n}", Self::MAX);
        Rel { rows: vec![0; n] }
    }

    /// The identity on the events of `set` (`[set]` in the papers' notation).
    pub fn id(n: usize, set: Set) -> Rel {
        let mut r = Rel::empty(n);
        for i in members(set) {
            r.rows[i] |= one(i);
        }
        r
    }

    /// The relation whose row `a` is `row(a)`.
    pub fn from_fn(n: usize, mut row: impl FnMut(usize) -> Set) -> Rel {
        let mut r = Rel::empty(n);
        for (a, out) in r.rows.iter_mut().enumerate() {
            *out = row(a);
        }
        r
    }

    /// How many events the relation is over.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether it is over no events.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds `a → b`.
    pub fn add(&mut self, a: usize, b: usize) {
        self.rows[a] |= one(b);
    }

    /// Whether `a → b`.
    pub fn has(&self, a: usize, b: usize) -> bool {
        self.rows[a] & one(b) != 0
    }

    /// Every `b` with `a → b`.
    pub fn row(&self, a: usize) -> Set {
        self.rows[a]
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &Rel) -> Rel {
        Rel::from_fn(self.len(), |a| self.rows[a] | other.rows[a])
    }

    /// `self ∩ other`.
    pub fn inter(&self, other: &Rel) -> Rel {
        Rel::from_fn(self.len(), |a| self.rows[a] & other.rows[a])
    }

    /// `self \ other`.
    pub fn minus(&self, other: &Rel) -> Rel {
        Rel::from_fn(self.len(), |a| self.rows[a] & !other.rows[a])
    }

    /// `self ; other`: `a → c` when `a → b` in `self` and `b → c` in `other`.
    pub fn then(&self, other: &Rel) -> Rel {
        Rel::from_fn(self.len(), |a| members(self.rows[a]).fold(0, |acc, b| acc | other.rows[b]))
    }

    /// The inverse, `self⁻¹`.
    pub fn inverse(&self) -> Rel {
        let mut r = Rel::empty(self.len());
        for a in 0..self.len() {
            for b in members(self.rows[a]) {
                r.add(b, a);
            }
        }
        r
    }

    /// `[dom] ; self ; [range]`: the pairs from `dom` to `range`.
    pub fn restrict(&self, dom: Set, range: Set) -> Rel {
        Rel::from_fn(self.len(), |a| if dom & one(a) != 0 { self.rows[a] & range } else { 0 })
    }

    /// The transitive closure `self⁺` (Warshall's algorithm over rows).
    pub fn plus(&self) -> Rel {
        let mut r = self.clone();
        for k in 0..r.len() {
            let via = r.rows[k];
            for a in 0..r.len() {
                if r.rows[a] & one(k) != 0 {
                    r.rows[a] |= via;
                }
            }
        }
        r
    }

    /// The reflexive-transitive closure `self*`.
    pub fn star(&self) -> Rel {
        self.plus().union(&Rel::id(self.len(), all(self.len())))
    }

    /// `self?`: the relation or the identity.
    pub fn opt(&self) -> Rel {
        self.union(&Rel::id(self.len(), all(self.len())))
    }

    /// Whether no pair is related.
    pub fn is_nothing(&self) -> bool {
        self.rows.iter().all(|&row| row == 0)
    }

    /// Whether no event is related to itself.
    pub fn irreflexive(&self) -> bool {
        (0..self.len()).all(|a| !self.has(a, a))
    }

    /// Whether the relation has no cycle.
    pub fn acyclic(&self) -> bool {
        self.plus().irreflexive()
    }
}

/// The set of events `0..n`.
pub fn all(n: usize) -> Set {
    if n == 64 { u64::MAX } else { (1 << n) - 1 }
}

impl fmt::Debug for Rel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<(usize, usize)> =
            (0..self.len()).flat_map(|a| members(self.rows[a]).map(move |b| (a, b))).collect();
        write!(f, "{pairs:?}")
    }
}
