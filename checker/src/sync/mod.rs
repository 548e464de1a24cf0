//! Synchronization primitives, shaped like `std::sync`.

mod arc;
pub mod atomic;
mod condvar;
mod mutex;

pub use arc::Arc;
pub use condvar::Condvar;
pub use mutex::{Mutex, MutexGuard};
pub use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};
