//! The multiverse's process machinery: the run's shared region, recipes,
//! and splitting a timeline into forked children.
//!
//! When an execution first reaches something interesting, the process
//! forks and each copy runs on from that exact state with fresh
//! randomness. Every model thread is a coroutine on the engine's one OS
//! thread, so a fork copies the whole model. This module gives the engine
//! what it needs for that, and knows nothing of executions:
//!
//! - [`shm`]: one `MAP_SHARED` region per run (energy, running tokens,
//!   marks, coverage, counters, the first bug), usable from every process;
//! - [`recipe`]: a timeline's splits from the root, printed, parsed, and
//!   the derivation of each child's seed;
//! - [`fork`]: [`fork::split`], which forks children bounded by the running
//!   tokens and the energy, reaps all of them, and makes every abnormal
//!   ending a bug.
//!
//! Unix only behind one seam: elsewhere [`fork::split`] returns
//! [`fork::SplitError::Unsupported`] (the caller runs on without
//! splitting) and the region is ordinary memory.
//!
//! # Fork safety
//!
//! `fork()` copies only the calling thread. Under `cargo test` the process
//! has several threads (the harness's, other tests'), and a lock one of
//! them held at the fork stays locked forever in the child. checker does
//! not refuse to fork in a multi-threaded process (every test process is
//! one); it keeps the child away from other threads' locks instead:
//!
//! 1. **The child touches nothing process-wide of its own accord.** What
//!    the machinery does in a child is atomics in the shared region,
//!    `getpid`/`getppid`/`prctl`, and `_exit`: no stdio, no environment, no
//!    std lock. Results go through the shared region (the bug slot, the
//!    counters); printing is the parent's job. `_exit` flushes nothing, so
//!    output the parent had buffered is not written twice.
//! 2. **What the model does is the model's own.** The engine and the model
//!    run on the forking thread, whose own state (coroutine stacks, the
//!    test's output capture, thread locals) comes along intact. The
//!    allocator is safe across fork (glibc and musl reset their locks in
//!    the child). A model that prints without the harness's capture
//!    (`--nocapture`) takes the process-wide stdout lock, which another
//!    thread may have held at the fork: rule 3 catches that.
//! 3. **A watchdog.** With [`fork::Options::timeout`], a child that gives
//!    no heartbeat ([`fork::heartbeat`]) for that long is killed and
//!    reported as a hang with its recipe, never counted as a pass; a
//!    deadlock on a copied lock ends there. [`fork::Summary::threads`]
//!    says how many threads the process had when it forked, so a report
//!    of a hang can say whether such a lock is a likely cause.
//!
//! On Linux each child also dies with the thread that forked it
//! (`PR_SET_PDEATHSIG`), so no timeline outlives its parent.
//!
//! This module and `coroutine.rs` are the only places of the crate with
//! `unsafe`, each block with its `SAFETY:` comment.

pub mod fork;
pub mod recipe;
pub mod shm;

pub use fork::{
    Ending, Exit, Options, Reaped, SplitError, SplitPoint, Stop, Summary, Timeline, heartbeat,
    split, trace_out, traced,
};
pub use recipe::{Recipe, RecipeError, Split, child_seed, is_walk_tag};
pub use shm::{Bug, BugInfo, BugKind, KeyNews, Mark, Shared};
