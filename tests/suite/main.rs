//! checker's integration suite: one binary, one module per area.

mod atomics;
mod bugs;
mod dpor;
mod optimal;
mod replay;
mod rwlock;
mod semantics;
mod verify;
