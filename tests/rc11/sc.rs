//! The sequentially consistent outcomes of a program, by interleaving its
//! instructions over one memory: the reference the enumerator must agree
//! with on all-`SeqCst` programs, written separately from it.

use std::collections::BTreeSet;

use super::ir::{Instr, Program, cas_code, next_instr};
use crate::programs::Observation;

/// Every outcome of every interleaving of `program`'s instructions, each
/// instruction atomic, orderings ignored.
pub fn sc_outcomes(program: &Program) -> BTreeSet<Observation> {
    let threads = program.threads.len();
    let mut out = BTreeSet::new();
    interleave(
        program,
        &mut vec![0; program.vars],
        &mut vec![Vec::new(); threads],
        &mut vec![Vec::new(); threads],
        &mut out,
    );
    out
}

fn interleave(
    program: &Program,
    memory: &mut Vec<u64>,
    done: &mut Vec<Vec<u64>>,
    seen: &mut Vec<Vec<u64>>,
    out: &mut BTreeSet<Observation>,
) {
    let mut finished = true;
    for t in 0..done.len() {
        let Some(instr) = next_instr(&program.threads[t], &done[t]) else { continue };
        finished = false;
        let before = memory.clone();
        let (returned, observed) = match *instr {
            Instr::Load(v, _) | Instr::IfEq(v, _, _, _) => (memory[v], Some(memory[v])),
            Instr::Store(v, x, _) => {
                memory[v] = x;
                (0, None)
            }
            Instr::Swap(v, x, _) => (std::mem::replace(&mut memory[v], x), Some(before[v])),
            Instr::FetchAdd(v, x, _) => {
                memory[v] = memory[v].wrapping_add(x);
                (before[v], Some(before[v]))
            }
            Instr::Cas(v, e, x, _, _) => {
                if memory[v] == e {
                    memory[v] = x;
                }
                (before[v], Some(cas_code(before[v], e)))
            }
            Instr::Fence(_) => (0, None),
        };
        done[t].push(returned);
        let pushed = observed.is_some();
        seen[t].extend(observed);
        interleave(program, memory, done, seen, out);
        done[t].pop();
        if pushed {
            seen[t].pop();
        }
        *memory = before;
    }
    if finished {
        out.insert((seen.clone(), memory.clone()));
    }
}
