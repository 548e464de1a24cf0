//! The engine of checker, a model checker for concurrent Rust.
//!
//! This crate runs one model body many times under full control. It owns
//! one execution's threads (stackful coroutines on one OS thread), its shared
//! objects and their semantics, the trace, and the exploration: strategies,
//! decision paths, failure reports. The `checker` crate builds the std-shaped
//! API on [`rt`]; this crate never depends on it.
//!
//! # Overview
//!
//! - [`explore::run_model`] runs a model under a [`config::Config`] and
//!   returns an [`explore::Outcome`].
//! - [`rt`] is what user-facing types call: [`rt::perform`] publishes an
//!   operation ([`op::Op`]) and suspends until the engine has run it.
//! - [`strategy::Strategy`] is the one interface every exploration strategy
//!   implements: [`strategy::dpor`] (the default), [`strategy::dfs`],
//!   [`strategy::replay`]. [`dependence::dependent`] is the one definition
//!   of when two steps do not commute.
//! - [`path`] writes and reads decision paths; [`report::Report`] is what a
//!   failure looks like.
//! - [`multiverse`] is the fork loop's machinery: the run's shared memory,
//!   recipes, and splitting a timeline into forked processes.
#![allow(rustdoc::private_intra_doc_links)] // an engine crate: its docs are read with private items
#![warn(missing_docs)]

mod coroutine;
mod execution;
mod memory;
mod objects;
mod storage;
mod timelines;

pub mod assertions;
pub mod config;
pub mod coverage;
pub mod dependence;
pub mod energy;
pub mod explore;
pub mod hb;
pub mod heap;
pub mod ids;
pub mod multiverse;
pub mod op;
pub mod path;
pub mod progress;
pub mod report;
pub mod rng;
pub mod rt;
pub mod strategy;
pub mod trace;
pub mod vclock;

pub use execution::{Execution, ThreadResult, ValueKind, ValuePoint};
pub use objects::{LazyObject, ObjectInit, ObjectState};
pub use storage::AllocationId;

#[doc(hidden)]
pub use linkme;
