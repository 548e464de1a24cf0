//! The IR as a checker model: checker's atomics with the program's
//! orderings, and the outcomes of exploring it.

use std::collections::BTreeSet;

use checker::model::{Builder, StrategyKind, Verdict};
use checker::sync::atomic::{AtomicU64, fence};
use checker::thread;

use super::ir::{Instr, Program, cas_code};
use crate::outcomes;
use crate::programs::Observation;

fn exec(vars: &[AtomicU64], instrs: &[Instr], seen: &mut Vec<u64>) {
    for i in instrs {
        match *i {
            Instr::Load(v, o) => seen.push(vars[v].load(o)),
            Instr::Store(v, x, o) => vars[v].store(x, o),
            Instr::Swap(v, x, o) => seen.push(vars[v].swap(x, o)),
            Instr::FetchAdd(v, x, o) => seen.push(vars[v].fetch_add(x, o)),
            Instr::Cas(v, e, x, s, f) => {
                let old = match vars[v].compare_exchange(e, x, s, f) {
                    Ok(old) | Err(old) => old,
                };
                seen.push(cas_code(old, e));
            }
            Instr::Fence(o) => fence(o),
            Instr::IfEq(v, x, o, ref body) => {
                let got = vars[v].load(o);
                seen.push(got);
                if got == x {
                    exec(vars, body, seen);
                }
            }
        }
    }
}

impl Program {
    /// One execution of the program, as a model body: spawns the threads,
    /// joins them, and reads every variable's final value (`SeqCst`, after
    /// the joins, so the last store in modification order).
    pub fn run(&self) -> Observation {
        let vars: std::sync::Arc<Vec<AtomicU64>> =
            std::sync::Arc::new((0..self.vars).map(|_| AtomicU64::new(0)).collect());
        let handles: Vec<_> = self
            .threads
            .iter()
            .map(|instrs| {
                let (vars, instrs) = (vars.clone(), instrs.clone());
                thread::spawn(move || {
                    let mut seen = Vec::new();
                    exec(&vars, &instrs, &mut seen);
                    seen
                })
            })
            .collect();
        let reads = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let finals = vars.iter().map(|v| v.load(std::sync::atomic::Ordering::SeqCst)).collect();
        (reads, finals)
    }
}

/// What checker found on a program.
#[derive(Clone, Debug)]
pub struct Explored {
    /// Every outcome of the exploration.
    pub outcomes: BTreeSet<Observation>,
    /// Complete executions (all executions but the redundant ones).
    pub complete: u64,
    /// With [`explore_counting_traces`]: the distinct Mazurkiewicz traces
    /// (under checker's dependence) of the executions.
    pub traces: Option<u64>,
    /// With [`explore_counting_traces`]: the distinct execution graphs
    /// (reads-from and modification order) of the executions.
    pub graphs: Option<u64>,
    /// Executions a reduction found redundant once they had run.
    pub redundant: u64,
}

/// Explores `program` with checker under `strategy` and returns what it
/// found; panics, naming the program, if it is not valid or checker does
/// not verify it.
pub fn explore(program: &Program, strategy: StrategyKind) -> Explored {
    try_explore(program, strategy, 200_000)
        .unwrap_or_else(|| panic!("{program:?}: more than 200,000 executions under {strategy:?}"))
}

/// [`explore`] with a cap on executions: `None` if the exploration needs
/// more (exhaustive DFS multiplies interleavings by every read's and every
/// store's choices, and a few generated programs need millions).
pub fn try_explore(program: &Program, strategy: StrategyKind, cap: usize) -> Option<Explored> {
    run(program, strategy, cap, false)
}

/// [`explore`], also counting the distinct traces the executions covered
/// (quadratic in each execution's length: for litmus-sized programs).
pub fn explore_counting_traces(program: &Program, strategy: StrategyKind) -> Explored {
    try_explore_counting_traces(program, strategy, 200_000)
        .unwrap_or_else(|| panic!("{program:?}: more than 200,000 executions under {strategy:?}"))
}

/// [`try_explore`], also counting traces as [`explore_counting_traces`].
pub fn try_explore_counting_traces(
    program: &Program,
    strategy: StrategyKind,
    cap: usize,
) -> Option<Explored> {
    run(program, strategy, cap, true)
}

/// [`try_explore`] within a preemption bound (counting traces).
pub fn try_explore_bounded(
    program: &Program,
    strategy: StrategyKind,
    cap: usize,
    bound: usize,
) -> Option<Explored> {
    run_bounded(program, strategy, cap, true, Some(bound))
}

fn run(program: &Program, strategy: StrategyKind, cap: usize, traces: bool) -> Option<Explored> {
    run_bounded(program, strategy, cap, traces, None)
}

fn run_bounded(
    program: &Program,
    strategy: StrategyKind,
    cap: usize,
    traces: bool,
    bound: Option<usize>,
) -> Option<Explored> {
    if let Err(e) = program.validate() {
        panic!("not a valid program: {e}\n{program:?}");
    }
    let mut builder = Builder::new();
    builder.strategy = strategy;
    builder.preemption_bound = bound;
    builder.max_permutations = Some(cap);
    builder.count_traces = traces;
    let p = program.clone();
    let (outcome, seen) = outcomes(&builder, move |rec| rec.record(p.run()));
    match outcome.verdict {
        Verdict::Verified(_) => Some(Explored {
            outcomes: seen,
            complete: outcome.executions - outcome.redundant,
            traces: outcome.traces,
            graphs: outcome.graphs,
            redundant: outcome.redundant,
        }),
        Verdict::Incomplete(_) => None,
        Verdict::Failed => panic!("{program:?}{}\n{:?}", outcome.summary(), outcome.failure),
    }
}
