//! Helpers shared by the integration suite (`suite/`).

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use checker::model::{Builder, FailureKind, Outcome, Report, StrategyKind, Verdict};

/// Runs `body` under `builder`, collecting every value it records with the
/// recorder it is given: the set of outcomes of the whole exploration.
pub fn outcomes<T, F>(builder: &Builder, body: F) -> (Outcome, BTreeSet<T>)
where
    T: Ord + Debug + Send + 'static,
    F: Fn(&Recorder<T>) + Send + Sync + 'static,
{
    let seen = Recorder(Arc::new(Mutex::new(BTreeSet::new())));
    let recorder = seen.clone();
    let outcome = builder.run(move || body(&recorder)).expect("a valid configuration");
    let set = std::mem::take(&mut *seen.0.lock().unwrap());
    (outcome, set)
}

/// DFS and DPOR on `model`, each under `base` with its strategy set and
/// trace counting on: both verify it, with the same outcomes and the same
/// execution graphs, DPOR covering no trace DFS does not (unbounded, under
/// weak memory, it may take one trace per graph where DFS runs several;
/// under a bound, the same traces) and running no more executions. Returns
/// the traces DFS counted.
pub fn dfs_and_dpor_agree<T, F>(name: &str, base: &Builder, model: F) -> Option<u64>
where
    T: Ord + Debug + Send + 'static,
    F: Fn(&Recorder<T>) + Send + Sync + Clone + 'static,
{
    let mut found = Vec::new();
    for strategy in [StrategyKind::Dfs, StrategyKind::Dpor] {
        let mut builder = base.clone();
        builder.strategy = strategy;
        builder.count_traces = true;
        let (outcome, seen) = outcomes(&builder, model.clone());
        assert!(matches!(outcome.verdict, Verdict::Verified(_)), "{name}: {}", outcome.summary());
        found.push((seen, outcome.traces, outcome.graphs, outcome.executions - outcome.redundant));
    }
    let (dpor, dfs) = (found.pop().unwrap(), found.pop().unwrap());
    assert_eq!(dpor.0, dfs.0, "{name}: DFS and DPOR found other outcomes");
    assert_eq!(dpor.2, dfs.2, "{name}: DFS and DPOR built other graphs");
    assert!(dpor.1 <= dfs.1, "{name}: DPOR covered {:?} traces, DFS {:?}", dpor.1, dfs.1);
    if base.preemption_bound.is_some() {
        // Under a bound DPOR covers every trace with a schedule within the
        // bound.
        assert_eq!(dpor.1, dfs.1, "{name}: DFS and DPOR covered other traces");
    }
    assert!(dpor.3 <= dfs.3, "{name}: DPOR ran {} executions, DFS {}", dpor.3, dfs.3);
    dfs.1
}

/// Runs `model`, expects a failure of `kind`, replays its path and expects
/// the same failure with the same trace. Returns the report.
pub fn expect_bug<F>(builder: &Builder, kind: FailureKind, model: F) -> Report
where
    F: Fn() + Send + Sync + Clone + 'static,
{
    let outcome: Outcome = builder.run(model.clone()).expect("a valid configuration");
    assert_eq!(outcome.verdict, Verdict::Failed, "{}", outcome.summary());
    let report = *outcome.failure.expect("a failure report");
    assert_eq!(report.kind(), kind, "{report}");
    assert!(report.trace().contains("(1) "), "a numbered trace:\n{report}");
    let command = report.replay_command();
    assert!(
        command.contains(&format!("CHECKER_REPLAY={}", report.path()))
            || command.contains(&format!("CHECKER_REPLAY='{}'", report.path())),
        "{command}"
    );
    let mut replay = builder.clone();
    replay.replay = Some(report.path().to_string());
    let again = replay.run(model).expect("the path fits the program");
    assert_eq!(again.executions, 1);
    let again = again.failure.expect("the replay fails again");
    assert_eq!(again.kind(), kind);
    assert_eq!(
        same_addresses(again.trace()),
        same_addresses(report.trace()),
        "the replay is the same execution"
    );
    assert_eq!(again.message(), report.message());
    report
}

/// `trace` with every address the model heap may hand out (a hexadecimal
/// number of at least 0x10000) renamed by its first appearance: `@1`, `@2`...
/// A replay gives the same addresses the same names; the numbers themselves
/// depend on where the run's arena lies in the process.
pub fn same_addresses(trace: &str) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut out = String::with_capacity(trace.len());
    let mut rest = trace;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at]);
        let digits = rest[at + 2..].bytes().take_while(u8::is_ascii_hexdigit).count();
        let number = &rest[at..at + 2 + digits];
        match u64::from_str_radix(&number[2..], 16) {
            Ok(n) if n >= 0x10000 => {
                let k = names.iter().position(|x| *x == number).unwrap_or_else(|| {
                    names.push(number);
                    names.len() - 1
                });
                out.push_str(&format!("@{}", k + 1));
            }
            _ => out.push_str(number),
        }
        rest = &rest[at + 2 + digits..];
    }
    out.push_str(rest);
    out
}

/// Serialises the tests that fork (the multiverse's): one at a time, so
/// that their processes, mappings and concurrency measurements do not mix.
pub fn forking() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The whole number in environment variable `name`, or `default` if it is
/// unset (the differential tests' scale knobs). A bad value panics, naming
/// the variable.
pub fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => {
            v.trim().parse().unwrap_or_else(|_| panic!("{name} must be a whole number, got {v:?}"))
        }
        Err(_) => default,
    }
}

/// Collects outcomes across the executions of one model run. It is a std
/// type on purpose: it is the test's bookkeeping, not part of the model.
pub struct Recorder<T>(Arc<Mutex<BTreeSet<T>>>);

impl<T> Default for Recorder<T> {
    /// A recorder of its own, for a model run where nobody reads it.
    fn default() -> Self {
        Recorder(Arc::new(Mutex::new(BTreeSet::new())))
    }
}

impl<T> Clone for Recorder<T> {
    fn clone(&self) -> Self {
        Recorder(Arc::clone(&self.0))
    }
}

impl<T: Ord + Clone> Recorder<T> {
    /// Records one outcome of the current execution. The set and its values
    /// are the system allocator's: a model heap block kept past the
    /// execution would make the next one allocate elsewhere.
    pub fn record(&self, value: T) {
        checker::alloc::outside_model(|| {
            let mut set = self.0.lock().unwrap();
            if !set.contains(&value) {
                set.insert(value.clone());
            }
        });
    }
}

pub mod rc11;

/// Models the suite checks in several ways (finding, replaying, bounding).
pub mod models {
    use checker::sync::atomic::{AtomicUsize, Ordering};
    use checker::sync::{Arc, Mutex};
    use checker::thread;

    /// Two threads increment a counter with a load and a separate store;
    /// the final assertion fails when an update is lost.
    pub fn lost_update() {
        let n = Arc::new(AtomicUsize::new(0));
        let h = {
            let n = n.clone();
            thread::spawn(move || {
                let v = n.load(Ordering::SeqCst);
                n.store(v + 1, Ordering::SeqCst);
            })
        };
        let v = n.load(Ordering::SeqCst);
        n.store(v + 1, Ordering::SeqCst);
        h.join().unwrap();
        assert_eq!(n.load(Ordering::SeqCst), 2, "lost update");
    }

    /// The main thread pads, then reads a flag that the other thread sets
    /// and clears in two consecutive steps: the bug needs the other thread
    /// to be preempted exactly between its two stores (depth 2; 19 steps:
    /// spawn, stores, pads, load, drops, join).
    pub fn preempted_between_two_stores() {
        let flag = Arc::new(AtomicUsize::new(0));
        let pad = Arc::new(AtomicUsize::new(0));
        let h = {
            let flag = flag.clone();
            thread::spawn(move || {
                flag.store(1, Ordering::SeqCst);
                flag.store(0, Ordering::SeqCst);
            })
        };
        for _ in 0..10 {
            pad.fetch_add(1, Ordering::SeqCst);
        }
        let seen = flag.load(Ordering::SeqCst);
        h.join().unwrap();
        assert_eq!(seen, 0, "read the flag between its two stores");
    }

    /// Two threads lock two mutexes in opposite orders and can deadlock.
    pub fn lock_order_inversion() {
        let a = Arc::new(Mutex::new(()));
        let b = Arc::new(Mutex::new(()));
        let h = {
            let (a, b) = (a.clone(), b.clone());
            thread::spawn(move || {
                let _a = a.lock().unwrap();
                let _b = b.lock().unwrap();
            })
        };
        {
            let _b = b.lock().unwrap();
            let _a = a.lock().unwrap();
        }
        h.join().unwrap();
    }
}

/// Random small concurrent programs, and their interpretation as a model,
/// for differential testing of reductions against exhaustive search.
pub mod programs {
    use std::fmt;

    use checker::sync::atomic::{AtomicU64, Ordering};
    use checker::sync::{Arc as ModelArc, Condvar, Mutex, RwLock};
    use checker::thread;

    /// A deterministic pseudo-random generator (SplitMix64).
    pub struct Rng(u64);

    impl Rng {
        /// A generator from `seed`.
        pub fn new(seed: u64) -> Rng {
            Rng(seed)
        }

        /// The next 64 random bits.
        pub fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// A number in `0..n`.
        pub fn below(&mut self, n: u64) -> u64 {
            self.next_u64() % n
        }
    }

    /// One instruction of a generated thread.
    #[derive(Clone, Debug)]
    pub enum Instr {
        /// Loads variable `.0`; the value is recorded.
        Load(usize),
        /// Stores `.1` into variable `.0`.
        Store(usize, u64),
        /// Swaps `.1` into variable `.0`; the old value is recorded.
        Swap(usize, u64),
        /// `fetch_add(.1)` on variable `.0`; the old value is recorded.
        FetchAdd(usize, u64),
        /// `fetch_max(.1)` on variable `.0`; the old value is recorded.
        FetchMax(usize, u64),
        /// `compare_exchange(.1, .2)` on variable `.0`; the result is recorded.
        Cas(usize, u64, u64),
        /// Locks mutex `.0`, runs the instructions, unlocks.
        Locked(usize, Vec<Instr>),
        /// Read-locks rwlock `.0`, runs the instructions, unlocks.
        ReadLocked(usize, Vec<Instr>),
        /// Write-locks rwlock `.0`, runs the instructions, unlocks.
        WriteLocked(usize, Vec<Instr>),
        /// Loads variable `.0` (recorded); runs the instructions only if it
        /// was `.1`: what the thread does next depends on what it read.
        IfEq(usize, u64, Vec<Instr>),
        /// Loads variable `.0` (recorded) and stores it plus one into `.1`.
        Copy(usize, usize),
        /// Sets condition `.0` under its mutex and notifies its condvar
        /// (`notify_all` if `.1`, else `notify_one`).
        Signal(usize, bool),
        /// Waits under condition `.0`'s mutex until it is set.
        Await(usize),
        /// Spins, yielding, until variable `.0` holds `.1`, giving up after
        /// `.2` tries; how many times it yielded is recorded.
        Spin(usize, u64, u64),
        /// Spawns a child thread that records its own thread id and runs
        /// the instructions, then joins it; the child's record is
        /// appended to the thread's.
        Fork(Vec<Instr>),
    }

    /// A generated program: its threads run concurrently, spawned and then
    /// joined by the model body, which records every value each thread read
    /// and the final value of every variable.
    #[derive(Clone)]
    pub struct Program {
        /// Shared atomic variables.
        pub vars: usize,
        /// Shared mutexes.
        pub mutexes: usize,
        /// Shared rwlocks.
        pub rwlocks: usize,
        /// Conditions: a flag under a mutex, with a condvar.
        pub conds: usize,
        /// Also hand every thread a handle of a checker `Arc`, dropped when
        /// the thread ends: the thread that drops the last one is recorded.
        pub model_arc: bool,
        /// The threads' instructions.
        pub threads: Vec<Vec<Instr>>,
        /// The seed that generated it.
        pub seed: u64,
    }

    impl fmt::Debug for Program {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            writeln!(
                f,
                "program from seed {:#x}: {} var(s), {} mutex(es), {} rwlock(s), {} condition(s), \
                 {} Arc",
                self.seed,
                self.vars,
                self.mutexes,
                self.rwlocks,
                self.conds,
                if self.model_arc { "checker" } else { "std" }
            )?;
            for (i, t) in self.threads.iter().enumerate() {
                writeln!(f, "  thread {}: {t:?}", i + 1)?;
            }
            Ok(())
        }
    }

    /// The shape of the programs to generate.
    #[derive(Clone, Debug)]
    pub struct Shape {
        /// Threads, besides the model body.
        pub threads: std::ops::RangeInclusive<usize>,
        /// Instructions per thread.
        pub length: std::ops::RangeInclusive<usize>,
        /// Most instructions over all threads (keeps exhaustive search small).
        pub total: usize,
        /// Shared variables.
        pub vars: std::ops::RangeInclusive<usize>,
        /// Mutexes (0: no critical sections).
        pub mutexes: usize,
        /// RwLocks (0: no read or write sections).
        pub rwlocks: usize,
        /// Share through checker's `Arc` in one program out of this many (0: never).
        pub model_arc_one_in: u64,
        /// Allow branches on loaded values.
        pub branches: bool,
        /// Condvar handshakes (a thread awaits only conditions signalled by a
        /// lower-numbered thread, so nothing waits forever).
        pub condvars: usize,
        /// Allow bounded spin loops that yield.
        pub spins: bool,
        /// Allow threads that spawn (and join) a child of their own, which
        /// records its thread id: the ids depend on the order of spawns.
        pub forks: bool,
    }

    fn pick(rng: &mut Rng, range: &std::ops::RangeInclusive<usize>) -> usize {
        range.start() + rng.below((range.end() - range.start() + 1) as u64) as usize
    }

    /// One instruction; `depth` counts the blocks it is nested in.
    fn instr(rng: &mut Rng, shape: &Shape, vars: usize, depth: usize) -> Instr {
        let v = rng.below(vars as u64) as usize;
        let val = 1 + rng.below(3);
        let lock = depth == 0 && shape.mutexes > 0;
        let branch = depth < 3 && shape.branches;
        if shape.spins && rng.below(4) == 0 {
            return Instr::Spin(v, val, 1 + rng.below(3));
        }
        if shape.forks && depth == 0 && rng.below(3) == 0 {
            let inner = (0..1 + rng.below(2)).map(|_| instr(rng, shape, vars, depth + 1)).collect();
            return Instr::Fork(inner);
        }
        if depth == 0 && shape.rwlocks > 0 && rng.below(2) == 0 {
            // Mostly readers: they are what the rwlock adds over a mutex.
            let r = rng.below(shape.rwlocks as u64) as usize;
            let write = rng.below(3) == 0;
            let inner = (0..rng.below(2)).map(|_| instr(rng, shape, vars, depth + 1)).collect();
            return if write { Instr::WriteLocked(r, inner) } else { Instr::ReadLocked(r, inner) };
        }
        match rng.below(7 + u64::from(lock) + 2 * u64::from(branch)) {
            0 | 1 => Instr::Load(v),
            2 => Instr::Store(v, val),
            3 => Instr::Swap(v, val),
            4 => Instr::FetchAdd(v, val),
            5 => Instr::FetchMax(v, val),
            6 => Instr::Cas(v, rng.below(3), val),
            7 if lock => {
                let m = rng.below(shape.mutexes as u64) as usize;
                let inner =
                    (0..1 + rng.below(2)).map(|_| instr(rng, shape, vars, depth + 1)).collect();
                Instr::Locked(m, inner)
            }
            7 | 8 if branch && rng.below(2) == 0 => Instr::Copy(v, rng.below(vars as u64) as usize),
            _ if branch => {
                let inner =
                    (0..1 + rng.below(2)).map(|_| instr(rng, shape, vars, depth + 1)).collect();
                Instr::IfEq(v, rng.below(3), inner)
            }
            _ => Instr::Load(v),
        }
    }

    fn size(instrs: &[Instr]) -> usize {
        instrs
            .iter()
            .map(|i| match i {
                Instr::Locked(_, inner)
                | Instr::ReadLocked(_, inner)
                | Instr::WriteLocked(_, inner) => 2 + size(inner),
                Instr::IfEq(_, _, inner) => 1 + size(inner),
                Instr::Copy(..) => 2,
                Instr::Spin(_, _, tries) => 1 + *tries as usize,
                Instr::Fork(inner) => 3 + size(inner),
                _ => 1,
            })
            .sum()
    }

    /// Generates the program of `seed` with the given shape.
    pub fn generate(seed: u64, shape: &Shape) -> Program {
        let mut rng = Rng::new(seed);
        let vars = pick(&mut rng, &shape.vars);
        let n = pick(&mut rng, &shape.threads);
        let mut threads = Vec::new();
        let mut total = 0;
        for _ in 0..n {
            let mut t = Vec::new();
            for _ in 0..pick(&mut rng, &shape.length) {
                let i = instr(&mut rng, shape, vars, 0);
                if total + size(std::slice::from_ref(&i)) > shape.total {
                    break;
                }
                total += size(std::slice::from_ref(&i));
                t.push(i);
            }
            threads.push(t);
        }
        // Handshakes: signalled by one thread, awaited by higher ones.
        let mut conds = 0;
        for _ in 0..shape.condvars {
            if threads.len() < 2 {
                break;
            }
            let signaller = rng.below(threads.len() as u64 - 1) as usize;
            let above = threads.len() - signaller - 1;
            let awaiters = 1 + rng.below(above.min(2) as u64) as usize;
            let all = awaiters > 1 || rng.below(2) == 0;
            let at = rng.below(threads[signaller].len() as u64 + 1) as usize;
            threads[signaller].insert(at, Instr::Signal(conds, all));
            let mut chosen: Vec<usize> = Vec::new();
            while chosen.len() < awaiters {
                let t = signaller + 1 + rng.below(above as u64) as usize;
                if !chosen.contains(&t) {
                    chosen.push(t);
                }
            }
            for t in chosen {
                let at = rng.below(threads[t].len() as u64 + 1) as usize;
                threads[t].insert(at, Instr::Await(conds));
            }
            conds += 1;
        }
        let model_arc = shape.model_arc_one_in > 0 && rng.below(shape.model_arc_one_in) == 0;
        let rwlocks = shape.rwlocks;
        Program { vars, mutexes: shape.mutexes, rwlocks, conds, model_arc, threads, seed }
    }

    /// What one execution of a program observed: every value each thread
    /// read, in order, and the final value of every variable.
    pub type Observation = (Vec<Vec<u64>>, Vec<u64>);

    struct Shared {
        vars: Vec<AtomicU64>,
        mutexes: Vec<Mutex<()>>,
        rwlocks: Vec<RwLock<()>>,
        conds: Vec<(Mutex<bool>, Condvar)>,
        /// Which thread dropped the last handle of the token (checker's `Arc`).
        last_drop: AtomicU64,
    }

    /// Shared through checker's `Arc`: its last drop records the thread.
    struct Token(std::sync::Arc<Shared>);

    impl Drop for Token {
        fn drop(&mut self) {
            let me = format!("{:?}", thread::current().id());
            let code = me.bytes().map(u64::from).sum::<u64>();
            self.0.last_drop.store(code, Ordering::SeqCst);
        }
    }

    fn exec(shared: &std::sync::Arc<Shared>, instrs: &[Instr], seen: &mut Vec<u64>) {
        for i in instrs {
            match *i {
                Instr::Load(v) => seen.push(shared.vars[v].load(Ordering::SeqCst)),
                Instr::Store(v, x) => shared.vars[v].store(x, Ordering::SeqCst),
                Instr::Swap(v, x) => seen.push(shared.vars[v].swap(x, Ordering::SeqCst)),
                Instr::FetchAdd(v, x) => seen.push(shared.vars[v].fetch_add(x, Ordering::SeqCst)),
                Instr::FetchMax(v, x) => seen.push(shared.vars[v].fetch_max(x, Ordering::SeqCst)),
                Instr::Cas(v, e, x) => {
                    let r =
                        shared.vars[v].compare_exchange(e, x, Ordering::SeqCst, Ordering::SeqCst);
                    seen.push(match r {
                        Ok(p) => p,
                        Err(p) => 100 + p,
                    });
                }
                Instr::Locked(m, ref inner) => {
                    let _guard = shared.mutexes[m].lock().unwrap();
                    exec(shared, inner, seen);
                }
                Instr::ReadLocked(r, ref inner) => {
                    let _guard = shared.rwlocks[r].read().unwrap();
                    exec(shared, inner, seen);
                }
                Instr::WriteLocked(r, ref inner) => {
                    let _guard = shared.rwlocks[r].write().unwrap();
                    exec(shared, inner, seen);
                }
                Instr::Copy(from, to) => {
                    let got = shared.vars[from].load(Ordering::SeqCst);
                    seen.push(got);
                    shared.vars[to].store(got + 1, Ordering::SeqCst);
                }
                Instr::Signal(c, all) => {
                    let (flag, cv) = &shared.conds[c];
                    *flag.lock().unwrap() = true;
                    if all {
                        cv.notify_all();
                    } else {
                        cv.notify_one();
                    }
                }
                Instr::Await(c) => {
                    let (flag, cv) = &shared.conds[c];
                    let mut set = flag.lock().unwrap();
                    while !*set {
                        set = cv.wait(set).unwrap();
                    }
                }
                Instr::Spin(v, x, tries) => {
                    let mut yielded = 0;
                    while yielded < tries && shared.vars[v].load(Ordering::SeqCst) != x {
                        thread::yield_now();
                        yielded += 1;
                    }
                    seen.push(yielded);
                }
                Instr::IfEq(v, x, ref inner) => {
                    let got = shared.vars[v].load(Ordering::SeqCst);
                    seen.push(got);
                    if got == x {
                        exec(shared, inner, seen);
                    }
                }
                Instr::Fork(ref inner) => {
                    let (shared, inner) = (shared.clone(), inner.clone());
                    let child = thread::spawn(move || {
                        let me = format!("{:?}", thread::current().id());
                        let mut seen = vec![me.bytes().map(u64::from).sum::<u64>()];
                        exec(&shared, &inner, &mut seen);
                        seen
                    });
                    seen.extend(child.join().unwrap());
                }
            }
        }
    }

    impl Program {
        /// One execution of the program, as a model body.
        pub fn run(&self) -> Observation {
            let shared = std::sync::Arc::new(Shared {
                vars: (0..self.vars).map(|_| AtomicU64::new(0)).collect(),
                mutexes: (0..self.mutexes).map(|_| Mutex::new(())).collect(),
                rwlocks: (0..self.rwlocks).map(|_| RwLock::new(())).collect(),
                conds: (0..self.conds).map(|_| (Mutex::new(false), Condvar::new())).collect(),
                last_drop: AtomicU64::new(0),
            });
            let token = self.model_arc.then(|| ModelArc::new(Token(shared.clone())));
            let handles: Vec<_> = self
                .threads
                .iter()
                .map(|instrs| {
                    let (shared, instrs, token) = (shared.clone(), instrs.clone(), token.clone());
                    thread::spawn(move || {
                        let mut seen = Vec::new();
                        exec(&shared, &instrs, &mut seen);
                        drop(token);
                        seen
                    })
                })
                .collect();
            drop(token);
            let reads = handles.into_iter().map(|h| h.join().unwrap()).collect();
            let mut finals: Vec<u64> =
                shared.vars.iter().map(|v| v.load(Ordering::SeqCst)).collect();
            if self.model_arc {
                finals.push(shared.last_drop.load(Ordering::SeqCst));
            }
            (reads, finals)
        }
    }
}
