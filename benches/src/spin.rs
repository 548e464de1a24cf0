//! `spin`: spin-wait locks written with C11 orderings, under checker and
//! loom in one run: executions and median time.
//!
//! Each model has `N` threads take the lock once around a relaxed
//! load-and-store increment of a shared counter; the model body joins them
//! and asserts that no increment was lost. A waiting thread spins with
//! `hint::spin_loop` (the `yield` variants with `thread::yield_now`, the
//! `busy` ones with neither: loom stops those at its branch limit).
//!
//! - `ticket`: a ticket lock (Mellor-Crummey and Scott, *Algorithms for
//!   scalable synchronization on shared-memory multiprocessors*, TOCS 1991):
//!   `fetch_add` on the next ticket, spin until `now_serving` equals it.
//! - `mcs`: the MCS queue lock of the same paper: each thread enqueues its
//!   node with a `swap` on the tail and spins on its own node's flag.
//! - `peterson`: Peterson's lock for two threads: raise the flag, give the
//!   turn away with an `AcqRel` swap (a plain store lets the second thread
//!   enter through the turn without synchronising with the first), an SC
//!   fence, then wait while the other's flag is up and the turn is theirs.
//! - `ttas`: test-and-test-and-set: spin on a load, then try a `swap`.
//! - `seqlock`: a sequence lock (C11 orderings after Boehm, *Can seqlocks
//!   get along with programming language memory models?*, MSPC 2012): one
//!   writer updates a pair, readers retry until they read it between two
//!   equal even sequence numbers, and assert it is not torn.
//!
//! Usage: `cargo run --release -p checker-benches --bin spin -- [FILTER]
//! [--runs N]`.

mod stats;
// Shared with `compare`, which uses all of it.
#[allow(dead_code)]
mod tools;

use tools::{Expect, Run, Settings};

/// The text of every model's failing assertion.
const LOST: &str = "spin lock: an increment was lost";

/// How a waiting thread spins.
#[derive(Clone, Copy)]
enum Wait {
    /// `thread::yield_now` in the loop.
    Yield,
    /// `hint::spin_loop` in the loop.
    Hint,
    /// Neither: the loop only loads.
    Busy,
}

/// One spin of a waiting thread, as `$how` (a [`Wait`]) says.
macro_rules! wait {
    ($lib:ident, $how:expr) => {
        match $how {
            Wait::Yield => $lib::thread::yield_now(),
            Wait::Hint => $lib::hint::spin_loop(),
            Wait::Busy => {}
        }
    };
}

macro_rules! ticket {
    ($lib:ident, $n:expr, $wait:expr) => {
        ticket!($lib, $n, $wait, Ordering::Release)
    };
    ($lib:ident, $n:expr, $wait:expr, $release:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicUsize, Ordering};
        let n: usize = $n;
        let state = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)));
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let s = Arc::clone(&state);
                $lib::thread::spawn(move || {
                    let (next, serving, counter) = &*s;
                    let ticket = next.fetch_add(1, Ordering::Relaxed);
                    while serving.load(Ordering::Acquire) != ticket {
                        wait!($lib, $wait);
                    }
                    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                    serving.store(ticket + 1, $release);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(state.2.load(Ordering::Relaxed), n, "{}", LOST);
    }};
}

macro_rules! ttas {
    ($lib:ident, $n:expr, $wait:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let n: usize = $n;
        let state = Arc::new((AtomicBool::new(false), AtomicUsize::new(0)));
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let s = Arc::clone(&state);
                $lib::thread::spawn(move || {
                    let (locked, counter) = &*s;
                    loop {
                        while locked.load(Ordering::Relaxed) {
                            wait!($lib, $wait);
                        }
                        if !locked.swap(true, Ordering::Acquire) {
                            break;
                        }
                    }
                    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                    locked.store(false, Ordering::Release);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(state.1.load(Ordering::Relaxed), n, "{}", LOST);
    }};
}

macro_rules! peterson {
    ($lib:ident, $wait:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
        let state = Arc::new((
            [AtomicBool::new(false), AtomicBool::new(false)],
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        ));
        let handles: Vec<_> = (0..2)
            .map(|me| {
                let s = Arc::clone(&state);
                $lib::thread::spawn(move || {
                    let (flag, turn, counter) = &*s;
                    let other = 1 - me;
                    flag[me].store(true, Ordering::Relaxed);
                    turn.swap(other, Ordering::AcqRel);
                    fence(Ordering::SeqCst);
                    while flag[other].load(Ordering::Acquire)
                        && turn.load(Ordering::Relaxed) == other
                    {
                        wait!($lib, $wait);
                    }
                    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                    flag[me].store(false, Ordering::Release);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(state.2.load(Ordering::Relaxed), 2, "{}", LOST);
    }};
}

macro_rules! mcs {
    ($lib:ident, $n:expr, $wait:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        const NONE: usize = usize::MAX;
        struct Node {
            locked: AtomicBool,
            next: AtomicUsize,
        }
        let n: usize = $n;
        let state = Arc::new((
            AtomicUsize::new(NONE),
            (0..n)
                .map(|_| Node { locked: AtomicBool::new(false), next: AtomicUsize::new(NONE) })
                .collect::<Vec<_>>(),
            AtomicUsize::new(0),
        ));
        let handles: Vec<_> = (0..n)
            .map(|me| {
                let s = Arc::clone(&state);
                $lib::thread::spawn(move || {
                    let (tail, nodes, counter) = &*s;
                    let spin = || {
                        wait!($lib, $wait);
                    };
                    nodes[me].next.store(NONE, Ordering::Relaxed);
                    nodes[me].locked.store(true, Ordering::Relaxed);
                    let prev = tail.swap(me, Ordering::AcqRel);
                    if prev != NONE {
                        nodes[prev].next.store(me, Ordering::Release);
                        while nodes[me].locked.load(Ordering::Acquire) {
                            spin();
                        }
                    }
                    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                    let mut next = nodes[me].next.load(Ordering::Acquire);
                    if next == NONE {
                        if tail
                            .compare_exchange(me, NONE, Ordering::Release, Ordering::Relaxed)
                            .is_ok()
                        {
                            return;
                        }
                        loop {
                            next = nodes[me].next.load(Ordering::Acquire);
                            if next != NONE {
                                break;
                            }
                            spin();
                        }
                    }
                    nodes[next].locked.store(false, Ordering::Release);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(state.2.load(Ordering::Relaxed), n, "{}", LOST);
    }};
}

/// The text of the seqlock models' failing assertion.
const TORN: &str = "seqlock: a reader saw a torn pair";

macro_rules! seqlock {
    ($lib:ident, $readers:expr, $writes:expr, $wait:expr) => {{
        use $lib::sync::Arc;
        use $lib::sync::atomic::{AtomicUsize, Ordering, fence};
        let state = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)));
        let s = Arc::clone(&state);
        let writer = $lib::thread::spawn(move || {
            let (seq, a, b) = &*s;
            for v in 1..=$writes {
                let start = seq.load(Ordering::Relaxed);
                seq.store(start + 1, Ordering::Relaxed);
                fence(Ordering::Release);
                a.store(v, Ordering::Relaxed);
                b.store(v, Ordering::Relaxed);
                seq.store(start + 2, Ordering::Release);
            }
        });
        let readers: Vec<_> = (0..$readers)
            .map(|_| {
                let s = Arc::clone(&state);
                $lib::thread::spawn(move || {
                    let (seq, a, b) = &*s;
                    loop {
                        let before = seq.load(Ordering::Acquire);
                        if before % 2 == 0 {
                            let pair = (a.load(Ordering::Relaxed), b.load(Ordering::Relaxed));
                            fence(Ordering::Acquire);
                            if seq.load(Ordering::Relaxed) == before {
                                assert_eq!(pair.0, pair.1, "{}", TORN);
                                return;
                            }
                        }
                        wait!($lib, $wait);
                    }
                })
            })
            .collect();
        writer.join().unwrap();
        for r in readers {
            r.join().unwrap();
        }
    }};
}

/// One row: a model's name, and how to run it once with each tool.
struct Model {
    name: String,
    checker: Box<dyn Fn() -> Result<Run, String>>,
    loom: Box<dyn Fn() -> Result<Run, String>>,
}

macro_rules! row {
    ($name:expr, $expect:expr, $body:ident ( $($arg:expr),* )) => {
        Model {
            name: $name.to_string(),
            checker: Box::new(move || {
                tools::checker($expect, Settings::default(), move || $body!(checker $(, $arg)*))
            }),
            loom: Box::new(move || tools::loom($expect, Settings::default(), move || $body!(loom $(, $arg)*))),
        }
    };
}

fn models() -> Vec<Model> {
    let mut models = Vec::new();
    let ok = Expect::Verified;
    for n in [2usize, 3] {
        models.push(row!(format!("ticket N={n}"), ok, ticket(n, Wait::Hint)));
        models.push(row!(format!("ticket_yield N={n}"), ok, ticket(n, Wait::Yield)));
        models.push(row!(format!("ticket_busy N={n}"), ok, ticket(n, Wait::Busy)));
        models.push(row!(format!("ttas N={n}"), ok, ttas(n, Wait::Hint)));
        models.push(row!(format!("ttas_busy N={n}"), ok, ttas(n, Wait::Busy)));
        models.push(row!(format!("mcs N={n}"), ok, mcs(n, Wait::Hint)));
        models.push(row!(format!("mcs_busy N={n}"), ok, mcs(n, Wait::Busy)));
    }
    // The release made `Relaxed`: the next holder may read the counter
    // from before the increment.
    let bug = Expect::Bug(LOST);
    models.push(row!("ticket_relaxed_bug N=2", bug, ticket(2, Wait::Hint, Ordering::Relaxed)));
    models.push(row!("ticket_relaxed_bug_busy N=2", bug, ticket(2, Wait::Busy, Ordering::Relaxed)));
    models.push(row!("seqlock 1 reader, 2 writes", ok, seqlock(1, 2, Wait::Hint)));
    models.push(row!("seqlock_busy 1 reader, 2 writes", ok, seqlock(1, 2, Wait::Busy)));
    models.push(row!("seqlock 2 readers, 1 write", ok, seqlock(2, 1, Wait::Hint)));
    models.push(row!("seqlock_busy 2 readers, 1 write", ok, seqlock(2, 1, Wait::Busy)));
    models.push(row!("peterson_fences N=2", ok, peterson(Wait::Hint)));
    models.push(row!("peterson_fences_yield N=2", ok, peterson(Wait::Yield)));
    models.push(row!("peterson_fences_busy N=2", ok, peterson(Wait::Busy)));
    models
}

struct Options {
    filter: Option<String>,
    runs: usize,
}

const USAGE: &str = "usage: spin [FILTER] [--runs N]
  FILTER     run only models whose name contains FILTER
  --runs N   runs of every model with each tool (default 3); the median time is shown";

fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options { filter: None, runs: 3 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                let text = args.next().ok_or("--runs needs a number")?;
                options.runs =
                    text.parse().ok().filter(|&n| n >= 1).ok_or(format!(
                        "--runs needs a whole number of at least 1, not {text:?}"
                    ))?;
            }
            "--help" | "-h" => return Ok(None),
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg:?}")),
            _ => options.filter = Some(arg),
        }
    }
    Ok(Some(options))
}

/// Executions of the runs (the last's) and their median time in ms, or the
/// error of a failed run.
fn measure(runs: usize, run: &dyn Fn() -> Result<Run, String>) -> Result<(u64, f64), String> {
    let mut times = Vec::new();
    let mut executions = 0;
    for _ in 0..runs {
        let r = run()?;
        executions = r.executions;
        times.push(r.wall.as_secs_f64() * 1e3);
    }
    Ok((executions, stats::median(&mut times)))
}

fn bench(options: &Options) -> Result<(), String> {
    println!(
        "{:<28} {:>10} {:>10} {:>7} | {:>10} {:>10} | {:>8}",
        "model", "chk exec", "loom exec", "ratio", "chk ms", "loom ms", "time"
    );
    for model in models() {
        if options.filter.as_ref().is_some_and(|f| !model.name.contains(f.as_str())) {
            continue;
        }
        let checker = measure(options.runs, &*model.checker);
        let loom = measure(options.runs, &*model.loom);
        let cell = |r: &Result<(u64, f64), String>| match r {
            Ok((e, ms)) => (e.to_string(), format!("{ms:.2}")),
            Err(_) => ("failed".to_string(), "-".to_string()),
        };
        let (ce, ct) = cell(&checker);
        let (le, lt) = cell(&loom);
        let (ratio, time) = match (&checker, &loom) {
            (Ok((c, cm)), Ok((l, lm))) => {
                (format!("{:.2}", *c as f64 / *l as f64), format!("{:.2}", cm / lm))
            }
            _ => ("-".to_string(), "-".to_string()),
        };
        println!(
            "{:<28} {:>10} {:>10} {:>7} | {:>10} {:>10} | {:>8}",
            model.name, ce, le, ratio, ct, lt, time
        );
        for (tool, result) in [("checker", &checker), ("loom", &loom)] {
            if let Err(e) = result {
                println!("    {tool}: {}", e.lines().next().unwrap_or(""));
            }
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    stats::main("spin", USAGE, parse_args, bench)
}
