//! Vector clocks over model threads.
//!
//! Entry `t` of a clock counts how many of thread `t`'s steps happen before
//! (or are) the event the clock belongs to. A step's position in its thread
//! counts from 1, so `clock.includes(t, pos)` says that thread `t`'s step
//! number `pos` happens before.

use smallvec::SmallVec;

use crate::ids::ThreadId;

/// A vector clock. Missing entries are zero, so clocks of executions with
/// different thread counts compare without resizing.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct VClock(SmallVec<[u32; 8]>);

// By hand: the derived clone goes through `SmallVec`'s element-wise
// `Extend`, and clocks are cloned at nearly every step; a copy of the slice
// is several times cheaper.
impl Clone for VClock {
    #[inline]
    fn clone(&self) -> Self {
        VClock(SmallVec::from_slice(&self.0))
    }

    #[inline]
    fn clone_from(&mut self, source: &Self) {
        self.0.clear();
        self.0.extend_from_slice(&source.0);
    }
}

impl VClock {
    /// The entry of `thread`.
    #[inline]
    pub fn get(&self, thread: ThreadId) -> u32 {
        self.0.get(thread.index()).copied().unwrap_or(0)
    }

    /// Sets the entry of `thread`.
    #[inline]
    pub fn set(&mut self, thread: ThreadId, value: u32) {
        if self.0.len() <= thread.index() {
            self.0.resize(thread.index() + 1, 0);
        }
        self.0[thread.index()] = value;
    }

    /// Raises every entry to at least `other`'s.
    #[inline]
    pub fn join(&mut self, other: &VClock) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine = (*mine).max(*theirs);
        }
    }

    /// Does thread `thread`'s step number `position` happen before?
    #[inline]
    pub fn includes(&self, thread: ThreadId, position: u32) -> bool {
        self.get(thread) >= position
    }

    /// Forgets every entry, keeping the allocation.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// A set of threads, as a bitset.
#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub struct ThreadSet(SmallVec<[u64; 2]>);

impl ThreadSet {
    /// The empty set.
    pub fn new() -> Self {
        ThreadSet::default()
    }

    /// Adds `thread`.
    pub fn insert(&mut self, thread: ThreadId) {
        let (word, bit) = (thread.index() / 64, thread.index() % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << bit;
    }

    /// Removes `thread`.
    #[inline]
    pub fn remove(&mut self, thread: ThreadId) {
        let (word, bit) = (thread.index() / 64, thread.index() % 64);
        if let Some(w) = self.0.get_mut(word) {
            *w &= !(1 << bit);
        }
    }

    /// Is `thread` in the set?
    #[inline]
    pub fn contains(&self, thread: ThreadId) -> bool {
        let (word, bit) = (thread.index() / 64, thread.index() % 64);
        self.0.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    /// Adds every thread of `other`.
    pub fn union_with(&mut self, other: &ThreadSet) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine |= theirs;
        }
    }

    /// The threads of the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = ThreadId> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            (0..64)
                .filter(move |b| bits & (1u64 << b) != 0)
                .map(move |b| ThreadId((w * 64 + b) as u32))
        })
    }

    /// Is the set empty?
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
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
