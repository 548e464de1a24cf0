//! Execution graphs and RC11 consistency (the formulas are in the module
//! doc of [`super`]).

use std::fmt;

use super::relation::{Rel, Set, one};

/// The access mode of an event, RC11's `na ⊏ rlx ⊏ acq, rel ⊏ acqrel ⊏ sc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Not atomic: only the initial writes.
    NonAtomic,
    /// `rlx`.
    Relaxed,
    /// `acq`.
    Acquire,
    /// `rel`.
    Release,
    /// `acqrel`.
    AcqRel,
    /// `sc`.
    SeqCst,
}

impl Mode {
    /// `⊒ rlx`: an atomic access.
    pub fn atomic(self) -> bool {
        self != Mode::NonAtomic
    }

    /// `⊒ rel`.
    pub fn releases(self) -> bool {
        matches!(self, Mode::Release | Mode::AcqRel | Mode::SeqCst)
    }

    /// `⊒ acq`.
    pub fn acquires(self) -> bool {
        matches!(self, Mode::Acquire | Mode::AcqRel | Mode::SeqCst)
    }
}

/// What an event does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Reads `value` from variable `var` (the value of its `rf` source).
    Read {
        /// The variable.
        var: usize,
        /// The value read.
        value: u64,
    },
    /// Writes `value` to variable `var`.
    Write {
        /// The variable.
        var: usize,
        /// The value written.
        value: u64,
    },
    /// A fence.
    Fence,
}

/// One event of an execution graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// Its thread; 0 is the initialisation (the model body before it spawns).
    pub thread: usize,
    /// What it does.
    pub kind: Kind,
    /// Its access mode.
    pub mode: Mode,
}

impl Event {
    /// The variable it accesses, if it is a read or a write.
    pub fn var(&self) -> Option<usize> {
        match self.kind {
            Kind::Read { var, .. } | Kind::Write { var, .. } => Some(var),
            Kind::Fence => None,
        }
    }
}

/// Which RC11 axiom an inconsistent graph breaks (the first one checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axiom {
    /// `hb ; eco?` is reflexive.
    Coherence,
    /// A read-modify-write does not write immediately after what it read
    /// in `mo` (`rmw ∩ (rb ; mo) ≠ ∅`).
    Atomicity,
    /// `psc` has a cycle.
    Sc,
    /// `sb ∪ rf` has a cycle.
    NoThinAir,
}

/// An execution graph: events, reads-from, modification order and the
/// read-modify-write pairs. `sb` is implicit: the initial writes (thread 0)
/// come before every other event, and a thread's events are in program
/// order in `events`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// The events; an event's id is its index.
    pub events: Vec<Event>,
    /// For each read, the write it reads from.
    pub rf: Vec<Option<usize>>,
    /// For each variable, its writes in modification order.
    pub mo: Vec<Vec<usize>>,
    /// Read-modify-write pairs `(read, write)`, adjacent in `sb`.
    pub rmw: Vec<(usize, usize)>,
}

/// A graph's base and derived relations, each over its events.
#[allow(missing_docs)] // each field is named after its relation
pub struct Relations {
    pub sb: Rel,
    pub rf: Rel,
    pub mo: Rel,
    pub rb: Rel,
    pub rmw: Rel,
    pub rs: Rel,
    pub sw: Rel,
    pub hb: Rel,
    pub eco: Rel,
    pub psc: Rel,
}

impl Graph {
    /// A graph with one initial write of 0 per variable.
    pub fn new(vars: usize) -> Graph {
        let mut g = Graph { mo: vec![Vec::new(); vars], ..Graph::default() };
        for var in 0..vars {
            let w = g.push(Event {
                thread: 0,
                kind: Kind::Write { var, value: 0 },
                mode: Mode::NonAtomic,
            });
            g.mo[var].push(w);
        }
        g
    }

    /// Appends an event (after the events of its thread in `sb`) and
    /// returns its id. Writes still need their place in `mo`, reads their
    /// `rf` source.
    pub fn push(&mut self, event: Event) -> usize {
        self.events.push(event);
        self.rf.push(None);
        self.events.len() - 1
    }

    /// Appends a read of `var` from `source`, and returns its id.
    pub fn read(&mut self, thread: usize, var: usize, mode: Mode, source: usize) -> usize {
        let value = self.value(source);
        let r = self.push(Event { thread, kind: Kind::Read { var, value }, mode });
        self.rf[r] = Some(source);
        r
    }

    /// Appends a write of `value` to `var` at position `at` of its `mo`,
    /// and returns its id.
    pub fn write(&mut self, thread: usize, var: usize, value: u64, mode: Mode, at: usize) -> usize {
        let w = self.push(Event { thread, kind: Kind::Write { var, value }, mode });
        self.mo[var].insert(at, w);
        w
    }

    /// The value write `w` writes.
    pub fn value(&self, w: usize) -> u64 {
        match self.events[w].kind {
            Kind::Write { value, .. } => value,
            other => panic!("event {w} is not a write: {other:?}"),
        }
    }

    /// The value of every variable's `mo`-last write.
    pub fn finals(&self) -> Vec<u64> {
        self.mo.iter().map(|order| self.value(*order.last().expect("an initial write"))).collect()
    }

    /// The events matching `keep`.
    fn set(&self, keep: impl Fn(&Event) -> bool) -> Set {
        self.events.iter().enumerate().filter(|(_, e)| keep(e)).fold(0, |s, (i, _)| s | one(i))
    }

    /// Whether the graph is well formed: each read reads one write of its
    /// variable with the value it read, `mo` orders exactly the writes of
    /// each variable starting with its initial write, `rmw` pairs a read
    /// with the next event of its thread, a write of the same variable.
    pub fn well_formed(&self) -> Result<(), String> {
        for (i, e) in self.events.iter().enumerate() {
            match (e.kind, self.rf[i]) {
                (Kind::Read { var, value }, Some(w)) => match self.events.get(w).map(|w| w.kind) {
                    Some(Kind::Write { var: v, value: x }) if v == var && x == value => {}
                    _ => return Err(format!("read {i} reads {w}, not a write of its value")),
                },
                (Kind::Read { .. }, None) => return Err(format!("read {i} reads nothing")),
                (_, Some(_)) => return Err(format!("event {i} is not a read but reads")),
                _ => {}
            }
            if e.thread == 0 && !matches!(e.kind, Kind::Write { .. }) {
                return Err(format!("event {i} of the initialisation is not a write"));
            }
        }
        for (var, order) in self.mo.iter().enumerate() {
            let writes = self.set(|e| matches!(e.kind, Kind::Write { var: v, .. } if v == var));
            let listed = order.iter().fold(0, |s, &w| s | one(w));
            if listed != writes || order.len() != writes.count_ones() as usize {
                return Err(format!("mo of variable {var} does not order its writes once each"));
            }
            if order.first().is_none_or(|&w| self.events[w].thread != 0) {
                return Err(format!("mo of variable {var} does not start with its initial write"));
            }
        }
        for &(r, w) in &self.rmw {
            let (er, ew) = (self.events[r], self.events[w]);
            let next = (r + 1..self.events.len()).find(|&j| self.events[j].thread == er.thread);
            let read = matches!(er.kind, Kind::Read { .. });
            let write = matches!(ew.kind, Kind::Write { .. });
            if !read || !write || next != Some(w) || er.var() != ew.var() {
                return Err(format!("rmw ({r}, {w}) is not a read and its next write"));
            }
        }
        Ok(())
    }

    /// Computes every relation the axioms use.
    pub fn relations(&self) -> Relations {
        let n = self.events.len();
        let ev = &self.events;
        let reads = self.set(|e| matches!(e.kind, Kind::Read { .. }));
        let writes = self.set(|e| matches!(e.kind, Kind::Write { .. }));
        let fences = self.set(|e| e.kind == Kind::Fence);
        let atomic = self.set(|e| e.mode.atomic());
        let rel = self.set(|e| e.mode.releases());
        let acq = self.set(|e| e.mode.acquires());
        let sc = self.set(|e| e.mode == Mode::SeqCst);
        let same_loc: Vec<Set> =
            (0..n).map(|a| ev[a].var().map_or(0, |x| self.set(|e| e.var() == Some(x)))).collect();
        let loc = Rel::from_fn(n, |a| same_loc[a]);
        let later = |a: usize| -> Set {
            let mut s = 0;
            for (b, e) in ev.iter().enumerate() {
                let ordered = if ev[a].thread == 0 {
                    e.thread != 0
                } else {
                    e.thread == ev[a].thread && b > a
                };
                if ordered {
                    s |= one(b);
                }
            }
            s
        };
        let sb = Rel::from_fn(n, later);
        let mut rf = Rel::empty(n);
        for (r, w) in self.rf.iter().enumerate() {
            if let Some(w) = *w {
                rf.add(w, r);
            }
        }
        let mut mo = Rel::empty(n);
        for order in &self.mo {
            for (i, &a) in order.iter().enumerate() {
                for &b in &order[i + 1..] {
                    mo.add(a, b);
                }
            }
        }
        let mut rmw = Rel::empty(n);
        for &(r, w) in &self.rmw {
            rmw.add(r, w);
        }
        let id = Rel::id(n, super::relation::all(n));
        let rb = rf.inverse().then(&mo).minus(&id);

        // rs = [W] ; (rf ; rmw)*  (C++20's release sequences, see the
        // module documentation)
        let rs = Rel::id(n, writes).then(&rf.then(&rmw).star());
        // sw = [E ⊒ rel] ; ([F] ; sb)? ; rs ; rf ; [R ⊒ rlx] ; (sb ; [F])? ; [E ⊒ acq]
        let sw = Rel::id(n, rel)
            .then(&Rel::id(n, fences).then(&sb).opt())
            .then(&rs)
            .then(&rf)
            .then(&Rel::id(n, reads & atomic))
            .then(&sb.then(&Rel::id(n, fences)).opt())
            .then(&Rel::id(n, acq));
        let hb = sb.union(&sw).plus();
        let eco = rf.union(&mo).union(&rb).plus();

        // scb = sb ∪ sb|≠loc ; hb ; sb|≠loc ∪ hb|loc ∪ mo ∪ rb
        let sb_other_loc = sb.minus(&loc);
        let scb = sb
            .union(&sb_other_loc.then(&hb).then(&sb_other_loc))
            .union(&hb.inter(&loc))
            .union(&mo)
            .union(&rb);
        // psc_base = ([E^sc] ∪ [F^sc] ; hb?) ; scb ; ([E^sc] ∪ hb? ; [F^sc])
        let sc_fences = Rel::id(n, sc & fences);
        let before = Rel::id(n, sc).union(&sc_fences.then(&hb.opt()));
        let after = Rel::id(n, sc).union(&hb.opt().then(&sc_fences));
        let psc_base = before.then(&scb).then(&after);
        // psc_F = [F^sc] ; (hb ∪ hb ; eco ; hb) ; [F^sc]
        let psc_f = sc_fences.then(&hb.union(&hb.then(&eco).then(&hb))).then(&sc_fences);
        let psc = psc_base.union(&psc_f);
        Relations { sb, rf, mo, rb, rmw, rs, sw, hb, eco, psc }
    }

    /// Checks the four RC11 axioms, in the order of [`Axiom`].
    pub fn consistent(&self) -> Result<(), Axiom> {
        let r = self.relations();
        if !r.hb.irreflexive() || !r.hb.then(&r.eco).irreflexive() {
            return Err(Axiom::Coherence);
        }
        if !r.rmw.inter(&r.rb.then(&r.mo)).is_nothing() {
            return Err(Axiom::Atomicity);
        }
        if !r.psc.acyclic() {
            return Err(Axiom::Sc);
        }
        if !r.sb.union(&r.rf).acyclic() {
            return Err(Axiom::NoThinAir);
        }
        Ok(())
    }

    /// Can checker's engine produce this (consistent) graph? It builds an
    /// execution in the order it runs the steps, a read reading only a write
    /// already made, and takes that order as the total order of SC events
    /// (`scheduler/src/memory.rs`, deviation 1). So it produces exactly the
    /// consistent graphs with a linearization that contains `sb`, `rf` and
    /// `psc`: those where `sb ∪ rf ∪ psc` is acyclic.
    pub fn in_execution_order(&self) -> bool {
        let r = self.relations();
        r.sb.union(&r.rf).union(&r.psc).acyclic()
    }
}

impl fmt::Debug for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.events.iter().enumerate() {
            let what = match e.kind {
                Kind::Read { var, value } => format!("R{:?}({}) = {value}", e.mode, var_name(var)),
                Kind::Write { var, value } => format!("W{:?}({}, {value})", e.mode, var_name(var)),
                Kind::Fence => format!("F{:?}", e.mode),
            };
            write!(f, "  e{i}: T{} {what}", e.thread)?;
            if let Some(w) = self.rf[i] {
                write!(f, "  rf from e{w}")?;
            }
            writeln!(f)?;
        }
        for (var, order) in self.mo.iter().enumerate() {
            writeln!(f, "  mo({}): {order:?}", var_name(var))?;
        }
        if !self.rmw.is_empty() {
            writeln!(f, "  rmw: {:?}", self.rmw)?;
        }
        Ok(())
    }
}

/// The name litmus tests give variable `var`: x, y, z, w, then v4, v5...
pub fn var_name(var: usize) -> String {
    match var {
        0..=3 => ["x", "y", "z", "w"][var].to_string(),
        _ => format!("v{var}"),
    }
}
