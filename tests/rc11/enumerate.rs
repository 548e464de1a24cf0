//! Every RC11-consistent execution graph of a program, by brute force.

use std::collections::{BTreeSet, HashSet};

use super::graph::{Event, Graph, Kind, Mode};
use super::ir::{
    Instr, IrError, Program, cas_code, fence_mode, load_mode, next_instr, rmw_modes, store_mode,
};
use crate::programs::Observation;

/// What the enumerator found.
#[derive(Clone, Debug)]
pub struct Enumeration {
    /// The outcome of every consistent graph.
    pub outcomes: BTreeSet<Observation>,
    /// How many distinct consistent complete graphs (distinct `rf` and `mo`).
    pub graphs: usize,
}

/// A graph under construction and what each thread has done.
#[derive(Clone)]
struct State {
    graph: Graph,
    /// Per thread, what each executed instruction returned (0: nothing).
    done: Vec<Vec<u64>>,
    /// Per thread, what it observed.
    seen: Vec<Vec<u64>>,
}

impl State {
    /// The graph's identity: per thread, the `rf` source of each of its
    /// events, and each variable's `mo`, both naming events by (thread,
    /// position in the thread). Equal keys mean equal graphs.
    fn key(&self) -> Vec<u32> {
        let g = &self.graph;
        let mut pos = vec![0u32; g.events.len()];
        let mut count = vec![0u32; self.done.len() + 1];
        for (i, e) in g.events.iter().enumerate() {
            pos[i] = count[e.thread];
            count[e.thread] += 1;
        }
        let name = |i: usize| 1 + ((g.events[i].thread as u32) << 8 | pos[i]);
        let mut key = Vec::with_capacity(2 * g.events.len() + 8);
        for (t, &events) in count.iter().enumerate().skip(1) {
            key.push(u32::MAX - events);
            for (i, e) in g.events.iter().enumerate() {
                if e.thread == t {
                    key.push(g.rf[i].map_or(0, name));
                }
            }
        }
        for order in &g.mo {
            key.push(u32::MAX);
            key.extend(order.iter().map(|&w| name(w)));
        }
        key
    }
}

/// Enumerates every RC11-consistent execution graph of `program` and the
/// outcome of each: events are added one thread step at a time, in every
/// order `sb` allows; each read reads any write to its variable already in
/// the graph, each write takes any place in its variable's `mo` after the
/// initial write. Every order of adding events keeps `sb ∪ rf` acyclic, and
/// every graph where it is acyclic is reached by one of them. A partial
/// graph is dropped as soon as it is inconsistent: it is closed under `sb`
/// and `rf` prefixes, and the axioms restricted to such a prefix are implied
/// by the axioms of any completion, so no consistent graph is lost.
/// Partial graphs already seen are not explored again.
pub fn enumerate(program: &Program) -> Result<Enumeration, IrError> {
    search(program, true, false)
}

/// [`enumerate`] restricted to the graphs checker's engine can produce
/// ([`Graph::in_execution_order`]): what checker must find exactly. The
/// restriction is closed under the same prefixes, so pruning stays exact.
pub fn enumerate_in_execution_order(program: &Program) -> Result<Enumeration, IrError> {
    search(program, true, true)
}

/// [`enumerate`] without dropping inconsistent partial graphs: only
/// complete graphs are checked. Slower; the self-tests compare the two.
pub fn enumerate_unpruned(program: &Program) -> Result<Enumeration, IrError> {
    search(program, false, false)
}

fn search(program: &Program, prune: bool, execution_order: bool) -> Result<Enumeration, IrError> {
    program.validate()?;
    let threads = program.threads.len();
    let start = State {
        graph: Graph::new(program.vars),
        done: vec![Vec::new(); threads],
        seen: vec![Vec::new(); threads],
    };
    let mut search = Search {
        program,
        prune,
        execution_order,
        seen: HashSet::new(),
        complete: HashSet::new(),
        outcomes: BTreeSet::new(),
    };
    search.seen.insert(start.key());
    search.explore(start)?;
    Ok(Enumeration { outcomes: search.outcomes, graphs: search.complete.len() })
}

struct Search<'p> {
    program: &'p Program,
    /// Drop inconsistent partial graphs.
    prune: bool,
    /// Keep only graphs checker's engine can produce.
    execution_order: bool,
    /// Keys of every partial graph reached.
    seen: HashSet<Vec<u32>>,
    /// Keys of the consistent complete graphs.
    complete: HashSet<Vec<u32>>,
    outcomes: BTreeSet<Observation>,
}

impl Search<'_> {
    fn admits(&self, graph: &Graph) -> bool {
        graph.consistent().is_ok() && (!self.execution_order || graph.in_execution_order())
    }

    fn explore(&mut self, state: State) -> Result<(), IrError> {
        let mut finished = true;
        for t in 0..state.done.len() {
            let Some(instr) = next_instr(&self.program.threads[t], &state.done[t]) else {
                continue;
            };
            finished = false;
            for next in successors(&state, t, instr)? {
                let keep = !self.prune || self.admits(&next.graph);
                if keep && self.seen.insert(next.key()) {
                    self.explore(next)?;
                }
            }
        }
        if finished && (self.prune || self.admits(&state.graph)) {
            debug_assert_eq!(state.graph.well_formed(), Ok(()));
            self.complete.insert(state.key());
            self.outcomes.insert((state.seen, state.graph.finals()));
        }
        Ok(())
    }
}

/// Every way thread `t` (0-based) can execute `instr` next.
fn successors(state: &State, t: usize, instr: &Instr) -> Result<Vec<State>, IrError> {
    let thread = t + 1;
    let g = &state.graph;
    let mut out = Vec::new();
    let step = |graph: Graph, returned: u64, observed: Option<u64>| {
        let mut s = State { graph, done: state.done.clone(), seen: state.seen.clone() };
        s.done[t].push(returned);
        s.seen[t].extend(observed);
        s
    };
    match *instr {
        Instr::Load(var, o) | Instr::IfEq(var, _, o, _) => {
            let mode = load_mode(o)?;
            for &w in &g.mo[var] {
                let mut graph = g.clone();
                graph.read(thread, var, mode, w);
                let value = g.value(w);
                out.push(step(graph, value, Some(value)));
            }
        }
        Instr::Store(var, value, o) => {
            let mode = store_mode(o)?;
            for at in 1..=g.mo[var].len() {
                let mut graph = g.clone();
                graph.write(thread, var, value, mode, at);
                out.push(step(graph, 0, None));
            }
        }
        Instr::Swap(var, _, o) | Instr::FetchAdd(var, _, o) => {
            let modes = rmw_modes(o)?;
            for &w in &g.mo[var] {
                let old = g.value(w);
                let new = match *instr {
                    Instr::Swap(_, x, _) => x,
                    Instr::FetchAdd(_, x, _) => old.wrapping_add(x),
                    _ => unreachable!(),
                };
                for graph in rmw(g, thread, var, w, new, modes) {
                    out.push(step(graph, old, Some(old)));
                }
            }
        }
        Instr::Cas(var, expected, new, success, failure) => {
            let modes = rmw_modes(success)?;
            let fail = load_mode(failure)?;
            for &w in &g.mo[var] {
                let old = g.value(w);
                if old == expected {
                    for graph in rmw(g, thread, var, w, new, modes) {
                        out.push(step(graph, old, Some(cas_code(old, expected))));
                    }
                } else {
                    let mut graph = g.clone();
                    graph.read(thread, var, fail, w);
                    out.push(step(graph, old, Some(cas_code(old, expected))));
                }
            }
        }
        Instr::Fence(o) => {
            let mode = fence_mode(o)?;
            let mut graph = g.clone();
            graph.push(Event { thread, kind: Kind::Fence, mode });
            out.push(step(graph, 0, None));
        }
    }
    Ok(out)
}

/// A read-modify-write of `var` reading `source` and writing `new`, at every
/// place in `mo` (atomicity, checked later, keeps only the one right after
/// `source`).
fn rmw(
    g: &Graph,
    thread: usize,
    var: usize,
    source: usize,
    new: u64,
    (r, w): (Mode, Mode),
) -> Vec<Graph> {
    (1..=g.mo[var].len())
        .map(|at| {
            let mut graph = g.clone();
            let read = graph.read(thread, var, r, source);
            let write = graph.write(thread, var, new, w, at);
            graph.rmw.push((read, write));
            graph
        })
        .collect()
}
