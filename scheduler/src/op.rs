//! Operations: what a model thread is about to do to shared state.
//!
//! Before touching shared state a model thread publishes a [`Pending`]
//! operation and suspends. The engine, not the thread, executes it and hands
//! back a [`Reply`]. That is what lets a strategy see every runnable thread's
//! next step before choosing, and what lets later memory models decide which
//! store a load reads.
//!
//! Atomic values of every width travel as `u64`; the object's [`ValueType`]
//! says how to interpret, combine and print them.

use std::panic::Location;

use crate::ids::{ObjectId, ThreadId};

/// Where in the user's source an operation was called (`#[track_caller]`).
pub type SourceLocation = &'static Location<'static>;

/// The memory ordering an atomic access asked for. Recorded now; the
/// interleaving semantics of this version treat every ordering as `SeqCst`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum MemoryOrdering {
    /// `Ordering::Relaxed`.
    Relaxed,
    /// `Ordering::Release`.
    Release,
    /// `Ordering::Acquire`.
    Acquire,
    /// `Ordering::AcqRel`.
    AcqRel,
    /// `Ordering::SeqCst`.
    SeqCst,
}

impl MemoryOrdering {
    /// The name std gives this ordering.
    pub fn name(self) -> &'static str {
        match self {
            MemoryOrdering::Relaxed => "Relaxed",
            MemoryOrdering::Release => "Release",
            MemoryOrdering::Acquire => "Acquire",
            MemoryOrdering::AcqRel => "AcqRel",
            MemoryOrdering::SeqCst => "SeqCst",
        }
    }
}

/// The arithmetic of a read-modify-write.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum RmwKind {
    /// `swap`: the new value is the operand.
    Swap,
    /// `fetch_add`, wrapping.
    Add,
    /// `fetch_sub`, wrapping.
    Sub,
    /// `fetch_and`.
    And,
    /// `fetch_nand`.
    Nand,
    /// `fetch_or`.
    Or,
    /// `fetch_xor`.
    Xor,
    /// `fetch_max`, signed or unsigned by the value type.
    Max,
    /// `fetch_min`, signed or unsigned by the value type.
    Min,
}

impl RmwKind {
    /// The std method this kind stands for.
    pub fn method(self) -> &'static str {
        match self {
            RmwKind::Swap => "swap",
            RmwKind::Add => "fetch_add",
            RmwKind::Sub => "fetch_sub",
            RmwKind::And => "fetch_and",
            RmwKind::Nand => "fetch_nand",
            RmwKind::Or => "fetch_or",
            RmwKind::Xor => "fetch_xor",
            RmwKind::Max => "fetch_max",
            RmwKind::Min => "fetch_min",
        }
    }
}

/// How the 64 bits of an atomic's value are read: width and signedness.
///
/// Invariant: a stored value never has bits set above the type's width, so
/// equality of two `u64`s is equality of the typed values.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `AtomicBool`: 0 or 1.
    Bool,
    /// An unsigned integer of the given width in bits.
    Unsigned(u8),
    /// A signed integer of the given width in bits, two's complement.
    Signed(u8),
    /// `AtomicPtr`: an address, printed in hex.
    Pointer,
}

impl ValueType {
    fn bits(self) -> u32 {
        match self {
            ValueType::Bool => 1,
            ValueType::Unsigned(b) | ValueType::Signed(b) => u32::from(b),
            ValueType::Pointer => usize::BITS,
        }
    }

    /// Keeps only the bits that belong to a value of this type.
    #[inline]
    pub fn truncate(self, raw: u64) -> u64 {
        match self.bits() {
            64.. => raw,
            b => raw & ((1u64 << b) - 1),
        }
    }

    /// The value as a signed number (sign-extended for signed types).
    pub(crate) fn signed(self, v: u64) -> i64 {
        match self {
            ValueType::Signed(b) if b < 64 => {
                let shift = 64 - u32::from(b);
                ((v << shift) as i64) >> shift
            }
            _ => v as i64,
        }
    }

    /// The new value a read-modify-write of `kind` stores over `old`.
    pub fn apply(self, kind: RmwKind, old: u64, operand: u64) -> u64 {
        let new = match kind {
            RmwKind::Swap => operand,
            RmwKind::Add => old.wrapping_add(operand),
            RmwKind::Sub => old.wrapping_sub(operand),
            RmwKind::And => old & operand,
            RmwKind::Nand => !(old & operand),
            RmwKind::Or => old | operand,
            RmwKind::Xor => old ^ operand,
            RmwKind::Max | RmwKind::Min => {
                let old_is_less = match self {
                    ValueType::Signed(_) => self.signed(old) < self.signed(operand),
                    _ => old < operand,
                };
                let take_operand = old_is_less == (kind == RmwKind::Max);
                if take_operand { operand } else { old }
            }
        };
        self.truncate(new)
    }

    /// The value as the user would print it.
    pub fn render(self, v: u64) -> String {
        match self {
            ValueType::Bool => (v != 0).to_string(),
            ValueType::Unsigned(_) => v.to_string(),
            ValueType::Signed(_) => self.signed(v).to_string(),
            ValueType::Pointer => format!("{v:#x}"),
        }
    }
}

/// One operation on shared state. `Copy`, so strategies can keep them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// An atomic load.
    Load {
        /// The atomic.
        object: ObjectId,
        /// Its ordering.
        ordering: MemoryOrdering,
    },
    /// An atomic store.
    Store {
        /// The atomic.
        object: ObjectId,
        /// Its ordering.
        ordering: MemoryOrdering,
        /// The value stored.
        value: u64,
    },
    /// An atomic read-modify-write (`swap`, `fetch_*`).
    Rmw {
        /// The atomic.
        object: ObjectId,
        /// Its ordering.
        ordering: MemoryOrdering,
        /// The arithmetic.
        kind: RmwKind,
        /// The right-hand operand.
        operand: u64,
    },
    /// `compare_exchange` or `compare_exchange_weak`.
    CompareExchange {
        /// The atomic.
        object: ObjectId,
        /// Ordering on success.
        success: MemoryOrdering,
        /// Ordering on failure.
        failure: MemoryOrdering,
        /// The value compared against.
        expected: u64,
        /// The value stored on success.
        new: u64,
        /// Whether the weak form was called (may fail spuriously in std;
        /// this version never fails it spuriously).
        weak: bool,
    },
    /// `Mutex::lock`: blocks while another thread holds the mutex.
    Lock {
        /// The mutex.
        object: ObjectId,
    },
    /// `Mutex::try_lock`: never blocks.
    TryLock {
        /// The mutex.
        object: ObjectId,
    },
    /// Dropping a `MutexGuard`.
    Unlock {
        /// The mutex.
        object: ObjectId,
        /// The guard is dropped while its thread panics, which poisons the mutex.
        poison: bool,
    },
    /// `Condvar::wait` or `wait_timeout`: release the mutex and sleep until
    /// notified (or, if timed, until the timeout).
    Wait {
        /// The condvar.
        condvar: ObjectId,
        /// The mutex released while waiting.
        mutex: ObjectId,
        /// `wait_timeout`: the thread may wake without a notification.
        timed: bool,
    },
    /// The second half of `Condvar::wait`, set by the engine: once notified,
    /// take the mutex back. Enabled when the mutex is free and the thread
    /// was notified, or may wake without a notification (`timed` or
    /// `spurious`); the reply says which happened.
    Relock {
        /// The condvar waited on.
        condvar: ObjectId,
        /// The mutex to take back.
        mutex: ObjectId,
        /// The wait has a timeout, which may pass first.
        timed: bool,
        /// Spurious wake-ups are explored (`Config::spurious_wakeups`).
        spurious: bool,
    },
    /// `RwLock::read`: blocks while a thread holds the write lock.
    ReadLock {
        /// The rwlock.
        object: ObjectId,
    },
    /// `RwLock::write`: blocks while any thread holds the lock.
    WriteLock {
        /// The rwlock.
        object: ObjectId,
    },
    /// `RwLock::try_read`: never blocks.
    TryRead {
        /// The rwlock.
        object: ObjectId,
    },
    /// `RwLock::try_write`: never blocks.
    TryWrite {
        /// The rwlock.
        object: ObjectId,
    },
    /// Dropping an `RwLockReadGuard` (never poisons, as in std).
    ReadUnlock {
        /// The rwlock.
        object: ObjectId,
    },
    /// Dropping an `RwLockWriteGuard`.
    WriteUnlock {
        /// The rwlock.
        object: ObjectId,
        /// The guard is dropped while its thread panics, which poisons the lock.
        poison: bool,
    },
    /// `is_poisoned` (replies `Value(1)` if poisoned) or `clear_poison` of a
    /// `Mutex` or an `RwLock`.
    PoisonFlag {
        /// The mutex or rwlock.
        object: ObjectId,
        /// `clear_poison`: the flag is cleared after it is read.
        clear: bool,
    },
    /// `Condvar::notify_one` or `notify_all`.
    Notify {
        /// The condvar.
        condvar: ObjectId,
        /// `notify_all`.
        all: bool,
    },
    /// `thread::spawn`.
    Spawn,
    /// `JoinHandle::join`: blocks until the thread has finished.
    Join {
        /// The thread joined.
        thread: ThreadId,
    },
    /// `thread::park`: blocks until the thread's unpark token is available.
    Park,
    /// A park that may return without the token: `thread::park_timeout`
    /// (`timed`), or `thread::park` when spurious wake-ups are explored.
    /// Never blocks; takes the token if it is there and replies `Value(1)`,
    /// else `Value(0)` (the timeout passed, or a spurious wake-up).
    TryPark {
        /// `park_timeout`, not a spurious wake-up of `park`.
        timed: bool,
    },
    /// `thread::yield_now` or `hint::spin_loop`: the thread lets the others
    /// go first. It may take no further step until another thread has taken
    /// one, if another can (a fair yield: spin loops end).
    Yield,
    /// `Thread::unpark`.
    Unpark {
        /// The thread whose token is made available.
        thread: ThreadId,
    },
    /// Dropping an `Arc` handle: the last one runs the destructor, so the
    /// order of drops is observable. Replies with the number of handles left.
    ArcDrop {
        /// The `Arc` allocation.
        object: ObjectId,
    },
    /// `Arc::try_unwrap`: gives up the handle if it is the last one.
    /// Replies `Exchange { ok, previous }` with the handle count it saw.
    ArcTryUnwrap {
        /// The `Arc` allocation.
        object: ObjectId,
    },
    /// `Arc::strong_count` and friends: reads a count of the allocation.
    /// Replies `Value(count)`.
    ArcCount {
        /// The `Arc` allocation.
        object: ObjectId,
        /// The weak count, not the strong one.
        weak: bool,
    },
    /// `Weak::upgrade`: one more strong handle if any is left. Replies
    /// `Exchange { ok, previous }` with the strong count it saw.
    WeakUpgrade {
        /// The `Arc` allocation.
        object: ObjectId,
    },
    /// `fence(SeqCst)`. A step, unlike acquire and release fences (which act
    /// on their own thread's clocks only): SC fences are ordered with each
    /// other and with SC accesses, and that order is the execution order.
    Fence,
    /// `nondet::choose` (`random: false`) or a `checker::rand` value
    /// (`random: true`): a data decision of the thread's own, in `0..=max`.
    /// It touches no shared state, so it commutes with every other step.
    /// Replies `Value(v)`.
    Choose {
        /// The largest value: `n - 1` for `choose(n)`; `u64::MAX` for a
        /// full-range random word.
        max: u64,
        /// A `rand` value: sampled by systematic strategies, not enumerated.
        random: bool,
    },
    /// A thread other than the model body uses a lazy static (every use):
    /// a step, so that a use can come after the body's [`Op::Exit`].
    /// Replies `Value(1)` if the body has returned (the program is
    /// exiting), else `Value(0)`.
    StaticUse,
    /// The model body returns (when it has spawned threads): the program
    /// exits, and the lazy statics' lifetime ends. Performed by the model
    /// body's thread only, as its last step.
    Exit,
}

impl Op {
    /// The shared object this operation touches, if any.
    pub fn object(&self) -> Option<ObjectId> {
        match *self {
            Op::Load { object, .. }
            | Op::Store { object, .. }
            | Op::Rmw { object, .. }
            | Op::CompareExchange { object, .. }
            | Op::Lock { object }
            | Op::TryLock { object }
            | Op::Unlock { object, .. }
            | Op::ArcDrop { object }
            | Op::ArcTryUnwrap { object }
            | Op::ReadLock { object }
            | Op::WriteLock { object }
            | Op::TryRead { object }
            | Op::TryWrite { object }
            | Op::ReadUnlock { object }
            | Op::WriteUnlock { object, .. }
            | Op::PoisonFlag { object, .. }
            | Op::ArcCount { object, .. }
            | Op::WeakUpgrade { object } => Some(object),
            Op::Wait { condvar, .. } | Op::Relock { condvar, .. } | Op::Notify { condvar, .. } => {
                Some(condvar)
            }
            Op::Spawn
            | Op::Join { .. }
            | Op::Park
            | Op::TryPark { .. }
            | Op::Yield
            | Op::Fence
            | Op::Choose { .. }
            | Op::Unpark { .. }
            | Op::StaticUse
            | Op::Exit => None,
        }
    }

    /// Is it an SC atomic access (a compare-exchange if either ordering is
    /// `SeqCst`)? SC fences are not accesses: `false`.
    pub fn is_seq_cst(&self) -> bool {
        use MemoryOrdering::SeqCst;
        match *self {
            Op::Load { ordering, .. } | Op::Store { ordering, .. } | Op::Rmw { ordering, .. } => {
                ordering == SeqCst
            }
            Op::CompareExchange { success, failure, .. } => success == SeqCst || failure == SeqCst,
            _ => false,
        }
    }

    /// A short stable name of the operation's kind, used in decision-path
    /// fingerprints and traces.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Op::Load { .. } => "load",
            Op::Store { .. } => "store",
            Op::Rmw { kind, .. } => kind.method(),
            Op::CompareExchange { weak: false, .. } => "compare_exchange",
            Op::CompareExchange { weak: true, .. } => "compare_exchange_weak",
            Op::Lock { .. } => "lock",
            Op::TryLock { .. } => "try_lock",
            Op::Unlock { .. } => "unlock",
            Op::Wait { timed: false, .. } => "wait",
            Op::Wait { timed: true, .. } => "wait_timeout",
            Op::Relock { .. } => "wake and relock",
            Op::ReadLock { .. } => "read",
            Op::WriteLock { .. } => "write",
            Op::TryRead { .. } => "try_read",
            Op::TryWrite { .. } => "try_write",
            Op::ReadUnlock { .. } => "read unlock",
            Op::WriteUnlock { .. } => "write unlock",
            Op::PoisonFlag { clear: false, .. } => "is_poisoned",
            Op::PoisonFlag { clear: true, .. } => "clear_poison",
            Op::Notify { all: false, .. } => "notify_one",
            Op::Notify { all: true, .. } => "notify_all",
            Op::Spawn => "spawn",
            Op::Join { .. } => "join",
            Op::Park | Op::TryPark { timed: false } => "park",
            Op::TryPark { timed: true } => "park_timeout",
            Op::Yield => "yield_now",
            Op::Fence => "fence",
            Op::Choose { random: false, .. } => "choose",
            Op::Choose { random: true, .. } => "random",
            Op::Unpark { .. } => "unpark",
            Op::ArcDrop { .. } => "drop",
            Op::ArcTryUnwrap { .. } => "try_unwrap",
            Op::ArcCount { weak: false, .. } => "strong_count",
            Op::ArcCount { weak: true, .. } => "weak_count",
            Op::WeakUpgrade { .. } => "upgrade",
            Op::StaticUse => "lazy static use",
            Op::Exit => "exit",
        }
    }

    /// May this wake-up run without a notification (a timed wait, or any
    /// wait when spurious wake-ups are explored)?
    pub fn wakes_unnotified(&self) -> bool {
        matches!(self, Op::Relock { timed, spurious, .. } if *timed || *spurious)
    }
}

/// An operation a thread has published and not yet executed.
#[derive(Copy, Clone, Debug)]
pub struct Pending {
    /// What the thread will do.
    pub op: Op,
    /// Where in the user's source.
    pub location: SourceLocation,
}

/// What the engine hands back to a thread after executing its operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Nothing to report (store, unlock, notify, unpark, park, join, drop).
    Done,
    /// The value read (load) or the previous value (read-modify-write).
    Value(u64),
    /// A compare-exchange: whether it succeeded and the value it found.
    Exchange {
        /// The value found equalled the expected one and was replaced.
        ok: bool,
        /// The value found.
        previous: u64,
    },
    /// A lock was acquired (also after a condvar wait that was notified).
    Locked {
        /// The mutex was poisoned when acquired.
        poisoned: bool,
    },
    /// A condvar wait woke without a notification (its timeout passed, or
    /// spuriously) and took the mutex back.
    TimedOut {
        /// The mutex was poisoned when acquired.
        poisoned: bool,
    },
    /// A `try_lock`.
    TryLocked {
        /// The lock was free and is now held.
        acquired: bool,
        /// The mutex is poisoned.
        poisoned: bool,
    },
    /// A thread was spawned with this id.
    Spawned(ThreadId),
}

impl Reply {
    /// The value of a `Value` reply. Any other reply here is an engine bug.
    #[track_caller]
    pub fn value(self) -> u64 {
        match self {
            Reply::Value(v) => v,
            other => panic!("internal error in checker: expected a value, got {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_wraps_at_the_type_width() {
        let u8t = ValueType::Unsigned(8);
        assert_eq!(u8t.apply(RmwKind::Add, 255, 1), 0);
        assert_eq!(u8t.apply(RmwKind::Sub, 0, 1), 255);
        assert_eq!(u8t.apply(RmwKind::Nand, 0b1010, 0b0110), 0b1111_1101);
        let i8t = ValueType::Signed(8);
        let minus_one = i8t.truncate(-1i64 as u64);
        assert_eq!(i8t.render(minus_one), "-1");
        assert_eq!(i8t.apply(RmwKind::Max, minus_one, 3), 3);
        assert_eq!(i8t.apply(RmwKind::Min, minus_one, 3), minus_one);
        assert_eq!(u8t.apply(RmwKind::Max, 255, 3), 255);
        assert_eq!(ValueType::Bool.apply(RmwKind::Nand, 1, 1), 0);
        assert_eq!(ValueType::Bool.apply(RmwKind::Nand, 0, 1), 1);
        let i64t = ValueType::Signed(64);
        assert_eq!(i64t.apply(RmwKind::Min, 5, -7i64 as u64), -7i64 as u64);
    }
}
