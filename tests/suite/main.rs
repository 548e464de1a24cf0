//! checker's integration suite: one binary, one module per area.

mod arc_raw;
mod assertions;
mod atomics;
mod bugs;
mod cells;
mod checkpoint;
mod coverage;
mod dpor;
mod explore;
mod leaks;
mod litmus;
mod loom_api;
mod memory;
mod multiverse;
mod optimal;
mod pos;
mod primitives;
mod random;
mod rc11;
mod replay;
mod rwlock;
mod semantics;
mod statics;
mod timelines;
mod verify;
mod weak;
