//! Vector clocks over model threads.
//!
//! Entry `t` of a clock counts how many of thread `t`'s steps happen before
//! (or are) the event the clock belongs to. A step's position in its thread
//! counts from 1, so `clock.includes(t, pos)` says that thread `t`'s step
//! number `pos` happens before.

use crate::ids::ThreadId;

/// Entries a clock holds in place; more threads spill to the heap.
const INLINE: usize = 8;

/// A vector clock. Missing entries are zero, so clocks of executions with
/// different thread counts compare without resizing.
///
/// The first [`INLINE`] entries are a plain array: clocks are cloned,
/// joined and read at nearly every step, and a fixed array needs no length
/// or spill checks (a join is a few vector instructions). Threads beyond
/// them go to `rest`, allocated only for models that have that many.
#[derive(Clone, Default)]
pub struct VClock {
    inline: [u32; INLINE],
    /// Entries `INLINE..`; `None` while they are all zero.
    rest: Option<Box<[u32]>>,
}

impl VClock {
    /// The entry of `thread`.
    #[inline]
    pub fn get(&self, thread: ThreadId) -> u32 {
        let i = thread.index();
        if i < INLINE {
            self.inline[i]
        } else {
            self.rest.as_ref().and_then(|rest| rest.get(i - INLINE)).copied().unwrap_or(0)
        }
    }

    /// Sets the entry of `thread`.
    #[inline]
    pub fn set(&mut self, thread: ThreadId, value: u32) {
        let i = thread.index();
        if i < INLINE {
            self.inline[i] = value;
        } else {
            self.rest_mut(i - INLINE + 1)[i - INLINE] = value;
        }
    }

    /// The spilled entries, at least `len` of them.
    #[cold]
    fn rest_mut(&mut self, len: usize) -> &mut [u32] {
        let have = self.rest.as_ref().map_or(0, |rest| rest.len());
        if have < len {
            let mut grown = vec![0; len];
            if let Some(rest) = &self.rest {
                grown[..have].copy_from_slice(rest);
            }
            self.rest = Some(grown.into_boxed_slice());
        }
        self.rest.as_mut().expect("just made")
    }

    /// Raises every entry to at least `other`'s.
    #[inline]
    pub fn join(&mut self, other: &VClock) {
        for (mine, theirs) in self.inline.iter_mut().zip(&other.inline) {
            *mine = (*mine).max(*theirs);
        }
        if let Some(theirs) = &other.rest {
            self.join_rest(theirs);
        }
    }

    #[cold]
    fn join_rest(&mut self, theirs: &[u32]) {
        let mine = self.rest_mut(theirs.len());
        for (mine, theirs) in mine.iter_mut().zip(theirs) {
            *mine = (*mine).max(*theirs);
        }
    }

    /// Does thread `thread`'s step number `position` happen before?
    #[inline]
    pub fn includes(&self, thread: ThreadId, position: u32) -> bool {
        self.get(thread) >= position
    }

    /// Is every entry at least `other`'s (does everything `other` has
    /// happen before this clock's event)?
    #[inline]
    pub fn covers(&self, other: &VClock) -> bool {
        self.inline.iter().zip(&other.inline).all(|(mine, theirs)| mine >= theirs)
            && match &other.rest {
                None => true,
                Some(theirs) => self.covers_rest(theirs),
            }
    }

    #[cold]
    fn covers_rest(&self, theirs: &[u32]) -> bool {
        theirs
            .iter()
            .enumerate()
            .all(|(i, &t)| t == 0 || self.get(ThreadId((i + INLINE) as u32)) >= t)
    }

    /// Forgets every entry, keeping the allocation.
    pub fn clear(&mut self) {
        self.inline = [0; INLINE];
        if let Some(rest) = &mut self.rest {
            rest.fill(0);
        }
    }

    /// The entries up to the last non-zero one.
    fn entries(&self) -> Vec<u32> {
        let mut all: Vec<u32> = self.inline.to_vec();
        all.extend(self.rest.iter().flat_map(|rest| rest.iter().copied()));
        while all.last() == Some(&0) {
            all.pop();
        }
        all
    }
}

impl PartialEq for VClock {
    fn eq(&self, other: &VClock) -> bool {
        self.inline == other.inline
            && (self.rest.is_none() && other.rest.is_none() || self.entries() == other.entries())
    }
}

impl Eq for VClock {}

impl std::fmt::Debug for VClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.entries()).finish()
    }
}

/// A set of threads, as a bitset: the first 64 threads in place, the rest
/// on the heap (only models with that many allocate).
#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub struct ThreadSet {
    first: u64,
    /// Words for threads `64..`; `None` while none is in the set.
    more: Option<Box<[u64]>>,
}

impl ThreadSet {
    /// The empty set.
    #[inline]
    pub fn new() -> Self {
        ThreadSet::default()
    }

    /// Adds `thread`.
    pub fn insert(&mut self, thread: ThreadId) {
        let (word, bit) = (thread.index() / 64, thread.index() % 64);
        if word == 0 {
            self.first |= 1 << bit;
            return;
        }
        let have = self.more.as_ref().map_or(0, |more| more.len());
        if have < word {
            let mut grown = vec![0; word];
            if let Some(more) = &self.more {
                grown[..have].copy_from_slice(more);
            }
            self.more = Some(grown.into_boxed_slice());
        }
        self.more.as_mut().expect("just made")[word - 1] |= 1 << bit;
    }

    /// Removes `thread`.
    #[inline]
    pub fn remove(&mut self, thread: ThreadId) {
        let (word, bit) = (thread.index() / 64, thread.index() % 64);
        if word == 0 {
            self.first &= !(1 << bit);
        } else if let Some(w) = self.more.as_mut().and_then(|more| more.get_mut(word - 1)) {
            *w &= !(1 << bit);
        }
    }

    /// Is `thread` in the set?
    #[inline]
    pub fn contains(&self, thread: ThreadId) -> bool {
        let (word, bit) = (thread.index() / 64, thread.index() % 64);
        let w = if word == 0 {
            self.first
        } else {
            self.more.as_ref().and_then(|more| more.get(word - 1)).copied().unwrap_or(0)
        };
        w & (1 << bit) != 0
    }

    /// Adds every thread of `other`.
    pub fn union_with(&mut self, other: &ThreadSet) {
        self.first |= other.first;
        for t in other.iter().filter(|t| t.index() >= 64) {
            self.insert(t);
        }
    }

    /// The threads of the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = ThreadId> + '_ {
        let words =
            std::iter::once(self.first).chain(self.more.iter().flat_map(|m| m.iter().copied()));
        words.enumerate().flat_map(|(w, mut bits)| {
            // One turn per member, not per bit.
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                Some(ThreadId(w as u32 * 64 + b))
            })
        })
    }

    /// Is the set empty?
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.first == 0 && self.more.as_ref().is_none_or(|more| more.iter().all(|&w| w == 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_join_and_include() {
        let mut a = VClock::default();
        a.set(ThreadId(0), 2);
        let mut b = VClock::default();
        b.set(ThreadId(3), 5);
        a.join(&b);
        assert!(a.includes(ThreadId(0), 2) && !a.includes(ThreadId(0), 3));
        assert!(a.includes(ThreadId(3), 5) && !a.includes(ThreadId(2), 1));
    }

    #[test]
    fn clocks_hold_more_threads_than_they_keep_in_place() {
        let mut a = VClock::default();
        a.set(ThreadId(20), 4);
        let mut b = VClock::default();
        b.set(ThreadId(1), 2);
        b.set(ThreadId(30), 7);
        assert_ne!(a, b);
        a.join(&b);
        assert_eq!((a.get(ThreadId(1)), a.get(ThreadId(20)), a.get(ThreadId(30))), (2, 4, 7));
        assert_eq!(a.get(ThreadId(100)), 0, "missing entries are zero");
        let c = a.clone();
        a.set(ThreadId(30), 9);
        assert_eq!(c.get(ThreadId(30)), 7, "a clone is a copy");
        // Spilled zeros do not count.
        let mut d = VClock::default();
        d.set(ThreadId(1), 2);
        d.set(ThreadId(12), 0);
        let mut e = VClock::default();
        e.set(ThreadId(1), 2);
        assert_eq!(d, e);
        assert_eq!(format!("{d:?}"), "[0, 2]");
    }

    #[test]
    fn a_clock_covers_what_it_has_joined() {
        let mut a = VClock::default();
        a.set(ThreadId(0), 3);
        let mut b = VClock::default();
        b.set(ThreadId(0), 2);
        assert!(a.covers(&b) && !b.covers(&a));
        b.set(ThreadId(2), 1);
        assert!(!a.covers(&b), "an entry a lacks");
        a.join(&b);
        assert!(a.covers(&b));
        // Spilled entries count, and spilled zeros do not.
        b.set(ThreadId(40), 1);
        assert!(!a.covers(&b) && !b.covers(&a));
        a.join(&b);
        assert!(a.covers(&b));
        let mut zeros = VClock::default();
        zeros.set(ThreadId(30), 0);
        assert!(VClock::default().covers(&zeros) && zeros.covers(&VClock::default()));
    }

    #[test]
    fn thread_sets_hold_more_than_64_threads() {
        let mut s = ThreadSet::new();
        for t in [0, 63, 64, 200] {
            s.insert(ThreadId(t));
        }
        assert_eq!(s.iter().map(|t| t.0).collect::<Vec<_>>(), vec![0, 63, 64, 200]);
        s.remove(ThreadId(64));
        assert!(!s.contains(ThreadId(64)) && s.contains(ThreadId(200)));
    }
}
