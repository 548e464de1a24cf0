//! The benchmark models and the list that `compare` runs.
//!
//! Every model body is written once, as a macro that takes the library's
//! crate name (`checker` or `loom`) and expands to a block using only that
//! library's `sync` and `thread` modules. Checker and loom therefore run the
//! same source code; only the paths differ.
//!
//! The model body spawns the threads, joins them and checks the result; in
//! `lastzero` and `readers` it also plays one of the threads (the scanner,
//! the writer) between its spawns and its joins, which keeps loom within
//! its thread limit one size longer (and, at the same size, costs loom far
//! fewer executions: `readers` N=3 with a spawned writer did not finish in
//! 200 s). The spawns come before, and the joins after, every other
//! operation of the spawned threads, so they add no Mazurkiewicz traces:
//! the optimal counts below are those of the threads' own operations.

use crate::tools::{self, Expect, Run};

/// The most threads loom 0.7 runs in one execution, the model body
/// included: `loom::rt::MAX_THREADS` (`src/rt/mod.rs`), a compile-time
/// array size that `loom::model::Builder::max_threads` cannot raise. A
/// model with more threads makes loom panic at the spawn over the limit
/// (`assertion failed: self.threads.len() < self.max()`, `rt/thread.rs`; see
/// the test `loom_thread_limit`), so `compare` does not run loom on such a
/// model.
pub const LOOM_MAX_THREADS: usize = 5;

/// `$threads` threads each do `$adds` `fetch_add(1)` on one shared atomic;
/// the model body joins them all and asserts the sum.
macro_rules! fetch_add_threads {
    ($lib:ident, $threads:expr, $adds:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicUsize, Ordering};

        let threads: usize = $threads;
        let adds: usize = $adds;
        let counter = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let counter = Arc::clone(&counter);
                $lib::thread::spawn(move || {
                    for _ in 0..adds {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(counter.load(Ordering::SeqCst), threads * adds, "fetch_add: wrong sum");
    }};
}

/// `$threads` threads each do `$adds` `fetch_add(1)` on an atomic of their
/// own: no two operations conflict, so one execution covers everything.
macro_rules! fetch_add_separate {
    ($lib:ident, $threads:expr, $adds:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicUsize, Ordering};

        let threads: usize = $threads;
        let adds: usize = $adds;
        let counters: Arc<Vec<AtomicUsize>> =
            Arc::new((0..threads).map(|_| AtomicUsize::new(0)).collect());
        let handles: Vec<_> = (0..threads)
            .map(|tid| {
                let counters = Arc::clone(&counters);
                $lib::thread::spawn(move || {
                    for _ in 0..adds {
                        counters[tid].fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        for counter in counters.iter() {
            assert_eq!(counter.load(Ordering::SeqCst), adds, "fetch_add_separate: wrong sum");
        }
    }};
}

/// The bare form of the two models above, as the issue states them: the
/// atomics are leaked instead of shared through an `Arc`, and the model body
/// does not join the threads (both tools wait for every thread at the end of
/// an execution). Loom makes every `Arc` drop and every join a scheduling
/// point, so this is loom's best case; checker's count is the same as with
/// `Arc` and joins.
macro_rules! fetch_add_bare {
    ($lib:ident, $threads:expr, $adds:expr, $separate:expr) => {{
        use $lib::sync::atomic::{AtomicUsize, Ordering};

        let threads: usize = $threads;
        let adds: usize = $adds;
        let separate: bool = $separate;
        let counters: Vec<&'static AtomicUsize> =
            (0..threads).map(|_| &*Box::leak(Box::new(AtomicUsize::new(0)))).collect();
        for tid in 0..threads {
            let counter = counters[if separate { tid } else { 0 }];
            $lib::thread::spawn(move || {
                for _ in 0..adds {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    }};
}

/// `$threads` threads each lock one shared `Mutex<usize>` `$locks` times
/// and increment it; the model body joins them all and asserts the count.
macro_rules! mutex_counter {
    ($lib:ident, $threads:expr, $locks:expr) => {{
        use $lib::sync::{Arc, Mutex};

        let threads: usize = $threads;
        let locks: usize = $locks;
        let counter = Arc::new(Mutex::new(0usize));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let counter = Arc::clone(&counter);
                $lib::thread::spawn(move || {
                    for _ in 0..locks {
                        *counter.lock().unwrap() += 1;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(*counter.lock().unwrap(), threads * locks, "mutex_counter: wrong count");
    }};
}

/// Lastzero (Abdulla, Aronis, Jonsson and Sagonas, "Optimal dynamic
/// partial order reduction", POPL 2014): an array of `N + 1` atomics, all
/// 0. A scanner (thread 0, here the model body once it has spawned the
/// writers) looks for the last zero from the end,
/// `i = N; while a[i] != 0 { i -= 1 }`; writer thread `j` (1..=N) does
/// `a[j] = a[j - 1] + 1`. `a[0]` is never written, so the scan ends.
/// `N + 1` threads in all; `(N + 3) 2^(N - 2)` Mazurkiewicz traces.
macro_rules! lastzero {
    ($lib:ident, $n:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicUsize, Ordering};

        let n: usize = $n;
        let array: Arc<Vec<AtomicUsize>> = Arc::new((0..=n).map(|_| AtomicUsize::new(0)).collect());
        let writers: Vec<_> = (1..=n)
            .map(|j| {
                let array = Arc::clone(&array);
                $lib::thread::spawn(move || {
                    let previous = array[j - 1].load(Ordering::SeqCst);
                    array[j].store(previous + 1, Ordering::SeqCst);
                })
            })
            .collect();
        let mut last_zero = n;
        while array[last_zero].load(Ordering::SeqCst) != 0 {
            last_zero -= 1;
        }
        for writer in writers {
            writer.join().unwrap();
        }
        assert!(last_zero <= n, "lastzero: the scan left the array");
        for j in 1..=n {
            let value = array[j].load(Ordering::SeqCst);
            assert!((1..=j).contains(&value), "lastzero: a[{j}] = {value}");
        }
    }};
}

/// One writer stores 1 into `x`; `N` readers each load `x` once. The model
/// body is the writer: it spawns the readers, stores, and joins them.
macro_rules! readers {
    ($lib:ident, $n:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicUsize, Ordering};

        let n: usize = $n;
        let x = Arc::new(AtomicUsize::new(0));
        let readers: Vec<_> = (0..n)
            .map(|_| {
                let x = Arc::clone(&x);
                $lib::thread::spawn(move || x.load(Ordering::SeqCst))
            })
            .collect();
        x.store(1, Ordering::SeqCst);
        for reader in readers {
            let seen = reader.join().unwrap();
            assert!(seen <= 1, "readers: read {seen}");
        }
    }};
}

/// Slots of the indexer's hash table.
pub const INDEXER_SIZE: usize = 128;
/// Values every indexer thread inserts.
pub const INDEXER_INSERTS: usize = 4;

/// The `i`th value indexer thread `tid` inserts, as the paper's `getmsg`
/// computes it: `(i + 1) * 11 + tid`, nonzero, since 0 marks an empty slot.
pub const fn indexer_value(tid: usize, i: usize) -> usize {
    (i + 1) * 11 + tid
}

/// The slot where the indexer starts probing for `value`.
pub const fn indexer_hash(value: usize) -> usize {
    (value * 7) % INDEXER_SIZE
}

/// The slots indexer thread `tid` touches when it runs alone on an empty
/// table, in order.
fn indexer_slots_alone(tid: usize) -> Vec<usize> {
    let mut table = [0usize; INDEXER_SIZE];
    let mut touched = Vec::new();
    for i in 0..INDEXER_INSERTS {
        let w = indexer_value(tid, i);
        assert_ne!(w, 0, "0 marks an empty slot");
        let mut h = indexer_hash(w);
        loop {
            touched.push(h);
            if table[h] == 0 {
                table[h] = w;
                break;
            }
            h = (h + 1) % INDEXER_SIZE;
        }
    }
    touched
}

/// Checks that no two of `threads` indexer threads touch a common slot when
/// each runs alone. Then, in any interleaving, no thread ever sees another
/// thread's insert, so every thread runs as it would alone and no two
/// operations of different threads conflict: the model has one
/// Mazurkiewicz trace.
pub fn indexer_conflict_free(threads: usize) -> Result<(), String> {
    let mut owner = [None::<usize>; INDEXER_SIZE];
    for tid in 0..threads {
        for slot in indexer_slots_alone(tid) {
            match owner[slot] {
                Some(other) if other != tid => {
                    return Err(format!(
                        "indexer threads {other} and {tid} both touch slot {slot}"
                    ));
                }
                _ => owner[slot] = Some(tid),
            }
        }
    }
    Ok(())
}

/// Indexer (Flanagan and Godefroid, "Dynamic partial-order reduction for
/// model checking software", POPL 2005): `N` threads insert
/// [`INDEXER_INSERTS`] values each into a shared hash table of
/// [`INDEXER_SIZE`] atomics by compare-and-swap with linear probing. The
/// values and the hash are the paper's: no two threads touch a common slot
/// for `N` up to 11, so one execution covers everything; from 12 threads on
/// two threads hash to one slot (see the tests).
macro_rules! indexer {
    ($lib:ident, $n:expr) => {{
        use $crate::models::{INDEXER_INSERTS, INDEXER_SIZE, indexer_hash, indexer_value};
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicUsize, Ordering};

        let n: usize = $n;
        let table: Arc<Vec<AtomicUsize>> =
            Arc::new((0..INDEXER_SIZE).map(|_| AtomicUsize::new(0)).collect());
        let handles: Vec<_> = (0..n)
            .map(|tid| {
                let table = Arc::clone(&table);
                $lib::thread::spawn(move || {
                    for i in 0..INDEXER_INSERTS {
                        let w = indexer_value(tid, i);
                        let mut h = indexer_hash(w);
                        while table[h]
                            .compare_exchange(0, w, Ordering::SeqCst, Ordering::SeqCst)
                            .is_err()
                        {
                            h = (h + 1) % INDEXER_SIZE;
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        let filled = table.iter().filter(|slot| slot.load(Ordering::SeqCst) != 0).count();
        assert_eq!(filled, n * INDEXER_INSERTS, "indexer: lost an insert");
    }};
}

/// Inodes of the file system model.
pub const FS_INODES: usize = 32;
/// Blocks of the file system model.
pub const FS_BLOCKS: usize = 26;

/// File system (Flanagan and Godefroid, POPL 2005): [`FS_INODES`] inodes
/// and [`FS_BLOCKS`] blocks, each behind a mutex of its own. Thread `tid`
/// locks inode `tid % 32` and, if it has no block yet, searches for a free
/// block from `(2 * inode) % 26` on, locking one block at a time, and
/// claims the first free one. For `N` up to 13 the threads' inodes and
/// first blocks are all distinct, so one execution covers everything.
macro_rules! filesystem {
    ($lib:ident, $n:expr) => {{
        use $crate::models::{FS_BLOCKS, FS_INODES};
        use $lib::sync::{Arc, Mutex};

        let n: usize = $n;
        let inodes: Arc<Vec<Mutex<usize>>> =
            Arc::new((0..FS_INODES).map(|_| Mutex::new(0)).collect());
        let busy: Arc<Vec<Mutex<bool>>> =
            Arc::new((0..FS_BLOCKS).map(|_| Mutex::new(false)).collect());
        let handles: Vec<_> = (0..n)
            .map(|tid| {
                let inodes = Arc::clone(&inodes);
                let busy = Arc::clone(&busy);
                $lib::thread::spawn(move || {
                    let i = tid % FS_INODES;
                    let mut inode = inodes[i].lock().unwrap();
                    if *inode == 0 {
                        let mut b = (i * 2) % FS_BLOCKS;
                        loop {
                            let mut taken = busy[b].lock().unwrap();
                            if !*taken {
                                *taken = true;
                                *inode = b + 1;
                                break;
                            }
                            drop(taken);
                            b = (b + 1) % FS_BLOCKS;
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        let taken = busy.iter().filter(|b| *b.lock().unwrap()).count();
        assert_eq!(taken, n.min(FS_INODES), "filesystem: wrong number of busy blocks");
    }};
}

/// Store buffering, `N` threads in a ring: thread `i` stores 1 into `x_i`
/// and then loads `x_{(i + 1) mod N}`, both `SeqCst`.
///
/// Under sequential consistency not every load can read 0 (that needs
/// `store_i < load_i < store_{i+1}` for every `i`, a cycle). checker runs
/// every atomic access sequentially consistently and is held to that;
/// loom 0.7 models `SeqCst` loads and stores as `AcqRel` (a documented
/// limitation) and may let every load read 0, so under loom the check is
/// only that every load read 0 or 1.
macro_rules! sb {
    ($lib:ident, $n:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicUsize, Ordering};

        let n: usize = $n;
        let xs: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let xs = Arc::clone(&xs);
                $lib::thread::spawn(move || {
                    xs[i].store(1, Ordering::SeqCst);
                    xs[(i + 1) % n].load(Ordering::SeqCst)
                })
            })
            .collect();
        let seen: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(seen.iter().all(|&v| v <= 1), "sb: read {seen:?}");
        if stringify!($lib) == "checker" {
            assert!(seen.contains(&1), "sb: every load read 0 under sequential consistency");
        }
    }};
}

/// A producer sets a flag under a mutex and notifies a condvar; a consumer
/// waits for the flag in a loop; the model body joins both.
macro_rules! condvar_handoff {
    ($lib:ident) => {{
        use $lib::sync::{Arc, Condvar, Mutex};

        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let producer = {
            let pair = Arc::clone(&pair);
            $lib::thread::spawn(move || {
                let (flag, cv) = &*pair;
                *flag.lock().unwrap() = true;
                cv.notify_one();
            })
        };
        let consumer = $lib::thread::spawn(move || {
            let (flag, cv) = &*pair;
            let mut guard = flag.lock().unwrap();
            while !*guard {
                guard = cv.wait(guard).unwrap();
            }
            *guard
        });
        producer.join().unwrap();
        assert!(consumer.join().unwrap(), "condvar_handoff: the consumer saw no flag");
    }};
}

/// `$threads` threads each take a spin lock (a `swap` loop that calls
/// `spin_loop`) around a load and a store of a shared counter; the model
/// body asserts that no increment was lost. How many times a thread spins
/// is part of what is explored.
macro_rules! spinlock {
    ($lib:ident, $threads:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

        let threads: usize = $threads;
        let lock = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (lock, counter) = (Arc::clone(&lock), Arc::clone(&counter));
                $lib::thread::spawn(move || {
                    while lock.swap(true, Ordering::Acquire) {
                        $lib::hint::spin_loop();
                    }
                    let v = counter.load(Ordering::Relaxed);
                    counter.store(v + 1, Ordering::Relaxed);
                    lock.store(false, Ordering::Release);
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(counter.load(Ordering::SeqCst), threads, "spinlock: lost update");
    }};
}

/// The text of the racy model's failing assertion, which both tools must
/// report as the failure they found.
pub const RACY_MESSAGE: &str = "racy_counter: lost update";

/// Two threads each increment one atomic with a separate load and store;
/// the model body asserts that no increment was lost, which is a bug that
/// one interleaving exposes.
macro_rules! racy_counter {
    ($lib:ident) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicUsize, Ordering};

        let counter = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let counter = Arc::clone(&counter);
                $lib::thread::spawn(move || {
                    let v = counter.load(Ordering::SeqCst);
                    counter.store(v + 1, Ordering::SeqCst);
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(counter.load(Ordering::SeqCst), 2, "{}", $crate::models::RACY_MESSAGE);
    }};
}

/// Runs one model once with one tool and returns what it measured, or why
/// the run is not a valid measurement. The flag asks checker to count
/// Mazurkiewicz traces (ignored by loom).
pub type Runner = Box<dyn Fn(bool) -> Result<Run, String>>;

/// Whether and when `compare` runs loom on a model.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LoomPlan {
    /// In every run.
    Always,
    /// Only with `--large`: loom takes minutes per run.
    LargeOnly,
    /// Only with `--huge`: one loom run did not finish in 15 minutes.
    HugeOnly,
    /// Never: the model has more threads than [`LOOM_MAX_THREADS`].
    TooManyThreads,
}

/// One row of the table: a model at one size, runnable with both tools.
pub struct Model {
    /// The model's name, matched by the command-line filter.
    pub name: &'static str,
    /// The model's size parameter as printed in the `N` column.
    pub n: String,
    /// The number of Mazurkiewicz traces, the executions an optimal
    /// reduction explores, where it is known.
    pub optimal: Option<u64>,
    /// Threads of one execution, the model body included.
    pub threads: usize,
    /// When loom runs the model.
    pub loom_plan: LoomPlan,
    /// The whole row runs only with `--large`: checker alone takes about a
    /// minute per run.
    pub large: bool,
    /// One run with checker.
    pub checker: Runner,
    /// One run with loom.
    pub loom: Runner,
}

impl Model {
    /// The model with its known optimal number of executions.
    fn optimal(mut self, optimal: u64) -> Self {
        self.optimal = Some(optimal);
        self
    }

    /// The model with `threads` threads in all, the model body included;
    /// loom does not run it if that is more than it supports.
    fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        if threads > LOOM_MAX_THREADS {
            self.loom_plan = LoomPlan::TooManyThreads;
        }
        self
    }

    /// The model with loom run on it only with `--large`.
    fn loom_large_only(mut self) -> Self {
        if self.loom_plan == LoomPlan::Always {
            self.loom_plan = LoomPlan::LargeOnly;
        }
        self
    }

    /// The model with loom run on it only with `--huge`.
    fn loom_huge_only(mut self) -> Self {
        if matches!(self.loom_plan, LoomPlan::Always | LoomPlan::LargeOnly) {
            self.loom_plan = LoomPlan::HugeOnly;
        }
        self
    }

    /// The model, checker included, run only with `--large`.
    fn large(mut self) -> Self {
        self.large = true;
        self.loom_large_only()
    }

    /// The name and size, as `lastzero N=3`.
    pub fn label(&self) -> String {
        format!("{} N={}", self.name, self.n)
    }
}

/// Builds a [`Model`] from a name, an `N` label, an expectation and a model
/// body macro invocation with `$lib` left for this macro to fill in. The
/// model has 3 threads until [`Model::threads`] says otherwise, no known
/// optimum until [`Model::optimal`] gives it, and loom runs it always.
macro_rules! model {
    ($name:expr, $n:expr, $expect:expr, $body:ident ( $($arg:expr),* )) => {
        Model {
            name: $name,
            n: $n.to_string(),
            optimal: None,
            threads: 3,
            loom_plan: LoomPlan::Always,
            large: false,
            checker: Box::new(move |traces| {
                tools::checker($expect, traces, move || $body!(checker $(, $arg)*))
            }),
            loom: Box::new(move |_| tools::loom($expect, move || $body!(loom $(, $arg)*))),
        }
    };
}

/// `n!`.
fn factorial(n: u64) -> u64 {
    (1..=n).product()
}

/// `(n k)! / (k!)^n`: the interleavings of `n` threads of `k` operations
/// each, all on one object.
fn multinomial(n: u64, k: u64) -> u64 {
    factorial(n * k) / factorial(k).pow(u32::try_from(n).expect("few threads"))
}

/// Every model of the benchmark, in table order. `compare` runs checker on
/// all of them and loom as each model's [`LoomPlan`] says.
///
/// The default run keeps loom at about 10 s or less per run of any model
/// (on a loaded 2-core machine). Only with `--large` does loom run
/// `fetch_add_3x3` (2,398,545 executions, 2 minutes per run), `fetch_add`
/// with 4 threads, `mutex_counter` 4x1 and `filesystem` N=4 (5,933,229
/// executions each, 6.5 to 7 minutes); only with `--huge`, `lastzero` N=4
/// (one loom run did not finish in 15 minutes; N=3 takes loom 63,485
/// executions). Checker runs them all always. Sizes with more threads than
/// [`LOOM_MAX_THREADS`] never run with loom. `spinlock` N=3 runs, with
/// either tool, only with `--large`.
pub fn all() -> Vec<Model> {
    let mut models = Vec::new();
    for n in [2usize, 3, 4] {
        let model = model!("fetch_add", n, Expect::Verified, fetch_add_threads(n, 1))
            .optimal(factorial(n as u64))
            .threads(n + 1);
        models.push(if n >= 4 { model.loom_large_only() } else { model });
    }
    models.push(
        model!("fetch_add_3x3", "3x3", Expect::Verified, fetch_add_threads(3, 3))
            .optimal(multinomial(3, 3))
            .threads(4)
            .loom_large_only(),
    );
    models.push(
        model!("fetch_add_3x3_separate", "3x3", Expect::Verified, fetch_add_separate(3, 3))
            .optimal(1)
            .threads(4),
    );
    for (name, separate) in [("fetch_add_3x3_bare", false), ("fetch_add_3x3_separate_bare", true)] {
        models.push(
            model!(name, "3x3", Expect::Verified, fetch_add_bare(3, 3, separate))
                .optimal(if separate { 1 } else { multinomial(3, 3) })
                .threads(4),
        );
    }
    for n in [3usize, 4, 5, 8, 10] {
        // (N + 3) 2^(N - 2): 12 at N = 3, 28 at N = 4, 3,328 at N = 10.
        let optimal = (n as u64 + 3) << (n - 2);
        let model =
            model!("lastzero", n, Expect::Verified, lastzero(n)).optimal(optimal).threads(n + 1);
        models.push(if n >= 4 { model.loom_huge_only() } else { model });
    }
    for n in [2usize, 3, 8] {
        models.push(
            model!("readers", n, Expect::Verified, readers(n)).optimal(1 << n).threads(n + 1),
        );
    }
    // One trace up to 11 threads; at 12, two threads share a slot.
    for n in [4usize, 11, 12] {
        let model = model!("indexer", n, Expect::Verified, indexer(n)).threads(n + 1);
        models.push(if n <= 11 { model.optimal(1) } else { model });
    }
    // One trace up to 13 threads; at 14, two threads share a first block.
    for n in [3usize, 4, 13, 14] {
        let model = model!("filesystem", n, Expect::Verified, filesystem(n)).threads(n + 1);
        let model = if n <= 13 { model.optimal(1) } else { model };
        models.push(if n >= 4 { model.loom_large_only() } else { model });
    }
    for n in [2usize, 3, 6] {
        models.push(model!("sb", n, Expect::Verified, sb(n)).optimal((1 << n) - 1).threads(n + 1));
    }
    for (n, k) in [(2usize, 2usize), (3, 1), (4, 1)] {
        let model =
            model!("mutex_counter", format!("{n}x{k}"), Expect::Verified, mutex_counter(n, k))
                .optimal(multinomial(n as u64, k as u64))
                .threads(n + 1);
        models.push(if n >= 4 { model.loom_large_only() } else { model });
    }
    // spinlock(3): about a minute per checker run (6.2 million executions).
    for n in [2usize, 3] {
        let model = model!("spinlock", n, Expect::Verified, spinlock(n)).threads(n + 1);
        models.push(if n >= 3 { model.large() } else { model });
    }
    models.push(model!("condvar_handoff", "2", Expect::Verified, condvar_handoff()));
    models.push(model!("racy_counter", "2", Expect::Bug(RACY_MESSAGE), racy_counter()));
    models
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indexer is conflict free up to 11 threads, as the paper says,
    /// and no further.
    #[test]
    fn indexer_threads_touch_disjoint_slots_up_to_11() {
        indexer_conflict_free(11).unwrap();
        assert!(indexer_conflict_free(12).is_err());
    }

    /// For up to 13 file system threads, the inodes and the first blocks
    /// searched are all distinct, so every thread takes its first block and
    /// no two threads lock a common mutex: one Mazurkiewicz trace.
    #[test]
    fn filesystem_threads_lock_disjoint_mutexes_up_to_13() {
        let inodes: Vec<usize> = (0..13).map(|tid| tid % FS_INODES).collect();
        let blocks: Vec<usize> = inodes.iter().map(|i| (i * 2) % FS_BLOCKS).collect();
        for (a, b) in [(&inodes, "inode"), (&blocks, "first block")] {
            let mut sorted = a.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), a.len(), "two threads share a {b}");
        }
    }

    /// Spawns `spawned` threads that do nothing and joins them, under loom.
    fn loom_spawn(spawned: usize) -> std::thread::Result<()> {
        std::panic::catch_unwind(move || {
            loom::model(move || {
                let handles: Vec<_> = (0..spawned).map(|_| loom::thread::spawn(|| {})).collect();
                for handle in handles {
                    handle.join().unwrap();
                }
            });
        })
    }

    /// Loom runs a model of [`LOOM_MAX_THREADS`] threads, the model body
    /// included, and refuses (panics on) one more.
    #[test]
    fn loom_thread_limit() {
        assert!(loom_spawn(LOOM_MAX_THREADS - 1).is_ok());
        let payload = loom_spawn(LOOM_MAX_THREADS).expect_err("loom ran one thread too many");
        let message = payload.downcast_ref::<&str>().copied().unwrap_or_default();
        assert!(message.contains("threads.len() < self.max()"), "loom panicked with {message:?}");
    }

    /// The optimal counts the brief gives.
    #[test]
    fn optimal_counts() {
        assert_eq!(multinomial(3, 3), 1680);
        assert_eq!(multinomial(4, 1), 24);
        assert_eq!(multinomial(2, 2), 6);
        assert_eq!(multinomial(3, 2), 90);
        let lastzero = |n: u64| (n + 3) << (n - 2);
        assert_eq!((lastzero(3), lastzero(4), lastzero(10)), (12, 28, 3328));
    }
}
