//! The litmus IR: threads of straight-line atomic instructions with
//! value-dependent branches, its checks, and its generator.

use std::fmt;
use std::sync::atomic::Ordering;

use super::graph::{Mode, var_name};
use super::relation::Rel;
use crate::programs::Rng;

/// One instruction. What a thread observes (see [`Observation`]) is the
/// value of every load, the old value of every swap and `fetch_add`, and
/// the result of every compare-exchange (`Ok(v)` as `v`, `Err(v)` as
/// `100 + v`), in program order.
///
/// [`Observation`]: crate::programs::Observation
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Instr {
    /// `var.load(ord)`.
    Load(usize, Ordering),
    /// `var.store(val, ord)`.
    Store(usize, u64, Ordering),
    /// `var.swap(val, ord)`.
    Swap(usize, u64, Ordering),
    /// `var.fetch_add(val, ord)` (wrapping).
    FetchAdd(usize, u64, Ordering),
    /// `var.compare_exchange(expected, new, success, failure)`.
    Cas(usize, u64, u64, Ordering, Ordering),
    /// `fence(ord)`.
    Fence(Ordering),
    /// Loads `var` with `ord` and runs the body if it read `val`.
    IfEq(usize, u64, Ordering, Vec<Instr>),
}

/// A program: its threads run concurrently, spawned and then joined by the
/// model body, which then reads the final value of every variable. Every
/// variable starts at 0.
#[derive(Clone, PartialEq, Eq)]
pub struct Program {
    /// How many variables.
    pub vars: usize,
    /// The threads' instructions.
    pub threads: Vec<Vec<Instr>>,
}

/// A program the IR cannot express, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrError(pub String);

impl fmt::Display for IrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The mode of a load with `ord`.
pub fn load_mode(ord: Ordering) -> Result<Mode, IrError> {
    match ord {
        Ordering::Relaxed => Ok(Mode::Relaxed),
        Ordering::Acquire => Ok(Mode::Acquire),
        Ordering::SeqCst => Ok(Mode::SeqCst),
        o => Err(IrError(format!("a load cannot be {o:?} (std panics)"))),
    }
}

/// The mode of a store with `ord`.
pub fn store_mode(ord: Ordering) -> Result<Mode, IrError> {
    match ord {
        Ordering::Relaxed => Ok(Mode::Relaxed),
        Ordering::Release => Ok(Mode::Release),
        Ordering::SeqCst => Ok(Mode::SeqCst),
        o => Err(IrError(format!("a store cannot be {o:?} (std panics)"))),
    }
}

/// The modes of the read and the write of a read-modify-write with `ord`:
/// RC11 allows the pairs (rlx, rlx), (acq, rlx), (rlx, rel), (acq, rel)
/// and (sc, sc).
pub fn rmw_modes(ord: Ordering) -> Result<(Mode, Mode), IrError> {
    match ord {
        Ordering::Relaxed => Ok((Mode::Relaxed, Mode::Relaxed)),
        Ordering::Acquire => Ok((Mode::Acquire, Mode::Relaxed)),
        Ordering::Release => Ok((Mode::Relaxed, Mode::Release)),
        Ordering::AcqRel => Ok((Mode::Acquire, Mode::Release)),
        Ordering::SeqCst => Ok((Mode::SeqCst, Mode::SeqCst)),
        o => Err(IrError(format!("unknown ordering {o:?}"))),
    }
}

/// The mode of a fence with `ord`.
pub fn fence_mode(ord: Ordering) -> Result<Mode, IrError> {
    match ord {
        Ordering::Acquire => Ok(Mode::Acquire),
        Ordering::Release => Ok(Mode::Release),
        Ordering::AcqRel => Ok(Mode::AcqRel),
        Ordering::SeqCst => Ok(Mode::SeqCst),
        o => Err(IrError(format!("a fence cannot be {o:?} (std panics)"))),
    }
}

impl Program {
    /// A program over `vars` variables with these threads.
    pub fn new(vars: usize, threads: Vec<Vec<Instr>>) -> Program {
        Program { vars, threads }
    }

    /// Checks that every variable exists, every ordering is one std
    /// accepts for its access, and every execution fits in a graph of
    /// [`Rel::MAX`] events.
    pub fn validate(&self) -> Result<(), IrError> {
        fn check(p: &Program, instrs: &[Instr]) -> Result<(), IrError> {
            for i in instrs {
                let var = match *i {
                    Instr::Load(v, o) | Instr::IfEq(v, _, o, _) => load_mode(o).map(|_| Some(v)),
                    Instr::Store(v, _, o) => store_mode(o).map(|_| Some(v)),
                    Instr::Swap(v, _, o) | Instr::FetchAdd(v, _, o) => {
                        rmw_modes(o).map(|_| Some(v))
                    }
                    Instr::Cas(v, _, _, s, f) => {
                        rmw_modes(s)?;
                        load_mode(f).map(|_| Some(v)).map_err(|_| {
                            IrError(format!(
                                "a compare-exchange cannot fail with {f:?} (std panics)"
                            ))
                        })
                    }
                    Instr::Fence(o) => fence_mode(o).map(|_| None),
                }?;
                if let Some(v) = var.filter(|&v| v >= p.vars) {
                    return Err(IrError(format!("variable {v} of {} does not exist", p.vars)));
                }
                if let Instr::IfEq(_, _, _, body) = i {
                    check(p, body)?;
                }
            }
            Ok(())
        }
        if self.threads.is_empty() {
            return Err(IrError("a program needs at least one thread".into()));
        }
        check(self, &self.threads.concat())?;
        let events = self.vars + self.threads.iter().map(|t| events(t)).sum::<usize>();
        if events > Rel::MAX {
            return Err(IrError(format!(
                "up to {events} events: more than the {} a graph can hold",
                Rel::MAX
            )));
        }
        Ok(())
    }

    /// Whether every access and fence is `SeqCst`.
    pub fn all_seqcst(&self) -> bool {
        fn sc(instrs: &[Instr]) -> bool {
            instrs.iter().all(|i| match i {
                Instr::Load(_, o)
                | Instr::Store(_, _, o)
                | Instr::Swap(_, _, o)
                | Instr::FetchAdd(_, _, o)
                | Instr::Fence(o) => *o == Ordering::SeqCst,
                Instr::Cas(_, _, _, s, f) => *s == Ordering::SeqCst && *f == Ordering::SeqCst,
                Instr::IfEq(_, _, o, body) => *o == Ordering::SeqCst && sc(body),
            })
        }
        self.threads.iter().all(|t| sc(t))
    }
}

/// The most events `instrs` can add to a graph (every branch taken).
fn events(instrs: &[Instr]) -> usize {
    instrs
        .iter()
        .map(|i| match i {
            Instr::Swap(..) | Instr::FetchAdd(..) | Instr::Cas(..) => 2,
            Instr::IfEq(_, _, _, body) => 1 + events(body),
            _ => 1,
        })
        .sum()
}

/// The next instruction of a thread that has run `done` instructions, each
/// of which returned the value in `done` (what it read; 0 if it reads
/// nothing): the branches it took follow from those values.
pub fn next_instr<'a>(code: &'a [Instr], done: &[u64]) -> Option<&'a Instr> {
    fn walk<'a>(code: &'a [Instr], done: &[u64], k: &mut usize) -> Option<&'a Instr> {
        for i in code {
            let Some(&got) = done.get(*k) else { return Some(i) };
            *k += 1;
            if let Instr::IfEq(_, val, _, body) = i
                && got == *val
                && let Some(next) = walk(body, done, k)
            {
                return Some(next);
            }
        }
        None
    }
    walk(code, done, &mut 0)
}

/// The observation code of a compare-exchange that read `old`.
pub fn cas_code(old: u64, expected: u64) -> u64 {
    if old == expected { old } else { 100 + old }
}

fn ord(o: Ordering) -> &'static str {
    match o {
        Ordering::Relaxed => "Relaxed",
        Ordering::Release => "Release",
        Ordering::Acquire => "Acquire",
        Ordering::AcqRel => "AcqRel",
        _ => "SeqCst",
    }
}

impl fmt::Display for Instr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instr::Load(v, o) => write!(f, "{}.load({})", var_name(*v), ord(*o)),
            Instr::Store(v, x, o) => write!(f, "{}.store({x}, {})", var_name(*v), ord(*o)),
            Instr::Swap(v, x, o) => write!(f, "{}.swap({x}, {})", var_name(*v), ord(*o)),
            Instr::FetchAdd(v, x, o) => write!(f, "{}.fetch_add({x}, {})", var_name(*v), ord(*o)),
            Instr::Cas(v, e, x, s, fail) => write!(
                f,
                "{}.compare_exchange({e}, {x}, {}, {})",
                var_name(*v),
                ord(*s),
                ord(*fail)
            ),
            Instr::Fence(o) => write!(f, "fence({})", ord(*o)),
            Instr::IfEq(v, x, o, body) => {
                write!(f, "if {}.load({}) == {x} {{ ", var_name(*v), ord(*o))?;
                for (n, i) in body.iter().enumerate() {
                    write!(f, "{}{i}", if n > 0 { "; " } else { "" })?;
                }
                write!(f, " }}")
            }
        }
    }
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "program over {} variable(s), all 0 at first:", self.vars)?;
        for (t, instrs) in self.threads.iter().enumerate() {
            write!(f, "  T{}:", t + 1)?;
            for (n, i) in instrs.iter().enumerate() {
                write!(f, "{} {i}", if n > 0 { ";" } else { "" })?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The shape of generated programs.
#[derive(Clone, Debug)]
pub struct Shape {
    /// Threads.
    pub threads: std::ops::RangeInclusive<usize>,
    /// Instructions per thread (a branch and its body count as one).
    pub length: std::ops::RangeInclusive<usize>,
    /// Most instructions over all threads (keeps the searches small).
    pub total: usize,
    /// Variables.
    pub vars: std::ops::RangeInclusive<usize>,
    /// Every ordering `SeqCst` (else random, weak ones more likely).
    pub seqcst: bool,
    /// Allow fences.
    pub fences: bool,
    /// Allow branches on loaded values (one level, body of one instruction).
    pub branches: bool,
}

impl Shape {
    /// The differential tests' shape: 2-3 threads of 1-3 instructions (7 at
    /// most) over 1-2 variables, with fences and branches; all `SeqCst` if
    /// `seqcst`.
    pub fn small(seqcst: bool) -> Shape {
        Shape {
            threads: 2..=3,
            length: 1..=3,
            total: 7,
            vars: 1..=2,
            seqcst,
            fences: true,
            branches: true,
        }
    }
}

fn pick(rng: &mut Rng, range: &std::ops::RangeInclusive<usize>) -> usize {
    range.start() + rng.below((range.end() - range.start() + 1) as u64) as usize
}

fn choose(rng: &mut Rng, seqcst: bool, from: &[Ordering]) -> Ordering {
    if seqcst { Ordering::SeqCst } else { from[rng.below(from.len() as u64) as usize] }
}

const LOADS: [Ordering; 4] =
    [Ordering::Relaxed, Ordering::Relaxed, Ordering::Acquire, Ordering::SeqCst];
const STORES: [Ordering; 4] =
    [Ordering::Relaxed, Ordering::Relaxed, Ordering::Release, Ordering::SeqCst];
const RMWS: [Ordering; 5] =
    [Ordering::Relaxed, Ordering::Acquire, Ordering::Release, Ordering::AcqRel, Ordering::SeqCst];
const FENCES: [Ordering; 4] =
    [Ordering::Acquire, Ordering::Release, Ordering::AcqRel, Ordering::SeqCst];

fn instr(rng: &mut Rng, shape: &Shape, vars: usize, nested: bool) -> Instr {
    let v = rng.below(vars as u64) as usize;
    let val = 1 + rng.below(2);
    let sc = shape.seqcst;
    let kinds = 7 + u64::from(shape.fences) + u64::from(shape.branches && !nested);
    match rng.below(kinds) {
        0 | 1 => Instr::Load(v, choose(rng, sc, &LOADS)),
        2 | 3 => Instr::Store(v, val, choose(rng, sc, &STORES)),
        4 => Instr::Swap(v, val, choose(rng, sc, &RMWS)),
        5 => Instr::FetchAdd(v, val, choose(rng, sc, &RMWS)),
        6 => Instr::Cas(v, rng.below(2), val + 1, choose(rng, sc, &RMWS), choose(rng, sc, &LOADS)),
        7 if shape.fences => Instr::Fence(choose(rng, sc, &FENCES)),
        _ => {
            let body = vec![instr(rng, shape, vars, true)];
            Instr::IfEq(v, rng.below(2), choose(rng, sc, &LOADS), body)
        }
    }
}

/// Generates the program of `seed` with the given shape.
pub fn generate(seed: u64, shape: &Shape) -> Program {
    let mut rng = Rng::new(seed);
    let vars = pick(&mut rng, &shape.vars);
    let mut left = shape.total;
    let threads = (0..pick(&mut rng, &shape.threads))
        .map(|_| {
            let length = pick(&mut rng, &shape.length).min(left);
            left -= length;
            (0..length).map(|_| instr(&mut rng, shape, vars, false)).collect()
        })
        .collect();
    Program { vars, threads }
}
