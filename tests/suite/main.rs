//! checker's integration suite: one binary, one module per area.

mod arc_raw;
mod assertions;
mod atomics;
mod auto;
mod bugs;
mod cells;
mod checkpoint;
mod coverage;
mod dpor;
mod explore;
mod fast_replay;
// The model heap's own tests: they fail, as they should, when a build
// turns the heap off (`--cfg checker_system_alloc`).
#[cfg(not(checker_system_alloc))]
mod heap;
mod leaks;
mod litmus;
mod loom_api;
mod loom_compat;
mod memory;
mod multiverse;
mod optimal;
mod pos;
mod primitives;
mod random;
mod rc11;
mod replay;
mod rff;
mod rwlock;
mod semantics;
mod spin;
mod stale_cas;
mod statics;
mod timelines;
mod timeouts;
mod verify;
mod weak;
mod yields;
