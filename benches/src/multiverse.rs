//! `multiverse`: energy to the first bug on models whose bug needs a rare
//! interleaving and a rare random value, for four ways of spending one
//! energy budget (issue 6, point 9):
//!
//! - `multiverse`: the random walk, splitting timelines at discoveries;
//! - `restarts`: the random walk, no splitting (independent executions);
//! - `pct`: PCT of depth 3, no splitting;
//! - `pct+split`: PCT of depth 3 in the root, splitting at discoveries
//!   (the forked timelines walk at random).
//!
//! Every model runs with seeds 1..=20 and the model's energy `E` in each
//! mode, with one job (so every run is a pure function of its seed). The
//! energy spent to the first bug is `executions + timelines` of the
//! failing run; a run that does not find the bug counts as "not found",
//! and as `E` for the median (a median of `>E` means more than half of the
//! seeds did not find it). The ratio column divides a mode's median by the
//! multiverse's: above 1, the multiverse needed less energy. A second
//! table times the multiverse with 1 and with 2 jobs on the same seeds
//! (median wall time per run; the ratio is the speed-up of 2 jobs).
//!
//! Run: `cargo run --release -p checker-benches --bin multiverse
//! 2>/dev/null` (the engine prints a summary line on stderr for every run
//! that spends its energy). `--seeds N` runs seeds 1..=N; a first
//! argument that is not an option selects the models whose name contains
//! it. Unix only: elsewhere nothing splits.
//!
//! A run that fails with another message than its model's bug, or a run
//! that neither fails nor spends its energy, aborts the benchmark.

mod stats;

use stats::median;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use checker::model::{Builder, Limit, StrategyKind, Verdict};
use checker::sync::Arc;
use checker::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use checker::{assert_sometimes, assert_sometimes_each, assert_sometimes_gt, thread};

/// The digits `rare_bug` must draw, one `checker::rand` value each.
const SECRET: [u64; 3] = [7, 2, 9];

/// A bug behind a rare interleaving and a rare random value (the model of
/// `tests/suite/timelines.rs`): the main thread must read the counter while
/// the other thread is half way (about one schedule in nine), then draw the
/// three digits of `SECRET` (one in a thousand). Reading the middle and
/// each matched digit are discoveries.
fn rare_bug() {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let t = thread::spawn(move || {
        for _ in 0..8 {
            c.fetch_add(1, SeqCst);
        }
    });
    let seen = count.load(SeqCst);
    assert_sometimes!(seen == 4, "read the counter half way");
    if seen == 4 {
        let mut matched = 0u64;
        for digit in SECRET {
            if checker::rand::range(0..10u64) != digit {
                break;
            }
            matched += 1;
            assert_sometimes_gt!(matched, 0, "digits of the secret matched");
        }
        assert!(matched < 3, "BUG rare_bug: found the secret after a half-way read");
    }
    t.join().unwrap();
}

/// Slots of the `spsc_ring` model's buffer.
const RING_CAP: u64 = 7;

/// Operations each side of the `spsc_ring` model attempts.
const RING_OPS: u64 = 16;

/// A bounded single-producer single-consumer ring whose producer checks
/// for a full ring off by one (`len > CAP` instead of `len >= CAP`), so a
/// push into a full ring overwrites the oldest unread slot. Items are
/// sequence numbers; a consumer that pops a wrong one is the bug.
///
/// The bad state needs a particular interleaving and a rare operation
/// sequence: each side attempts `RING_OPS` operations, the producer a push
/// with probability 1/5 and the consumer a pop with probability 1/4
/// (otherwise other work), and the producer must get `CAP` items ahead of
/// the consumer. The overwrite is seen only if the consumer has not
/// already read the oldest slot (it reads the slot, then advances `head`);
/// what is left is popped after the join. The producer records each fill
/// level it sees with `assert_sometimes_each!`, with the operations it has
/// left as the quality: a level reached earlier than before is a discovery
/// too, so the multiverse splits from the most promising states.
fn spsc_ring() {
    let slots: Arc<Vec<AtomicU64>> = Arc::new((0..RING_CAP).map(|_| AtomicU64::new(0)).collect());
    let head = Arc::new(AtomicU64::new(0));
    let tail = Arc::new(AtomicU64::new(0));
    let (s, h, t) = (slots.clone(), head.clone(), tail.clone());
    let producer = thread::spawn(move || {
        for op in 0..RING_OPS {
            if checker::rand::range(0..5u64) != 0 {
                continue; // other work
            }
            let tail = t.load(SeqCst);
            let len = tail - h.load(SeqCst);
            // A fill level is better reached with more operations left.
            assert_sometimes_each!("the producer saw the ring this full", [len], [RING_OPS - op]);
            if len > RING_CAP {
                continue; // BUG: full at `len == RING_CAP`
            }
            s[(tail % RING_CAP) as usize].store(tail, SeqCst);
            t.store(tail + 1, SeqCst);
        }
    });
    let pop = |popped: &mut u64| {
        let at = head.load(SeqCst);
        if at == tail.load(SeqCst) {
            return false;
        }
        let item = slots[(at % RING_CAP) as usize].load(SeqCst);
        assert!(item == at, "BUG spsc_ring: popped item {item} where {at} was due");
        head.store(at + 1, SeqCst);
        *popped += 1;
        true
    };
    let mut popped = 0u64;
    for _ in 0..RING_OPS {
        if checker::rand::range(0..4u64) == 0 {
            pop(&mut popped);
        }
    }
    producer.join().unwrap();
    // What is left arrives in order too.
    while pop(&mut popped) {}
}

/// Stores of the `ordering` model's writer.
const WRITES: u64 = 10;

/// The value the `ordering` model's reader must see.
const DUE: u64 = 8;

/// A depth-two ordering bug with a random payload, where the interleaving
/// is the hard part: a writer stores 1..=10 into `x`; the reader must load
/// `x` between the writer's 8th and 9th store (a random walk puts it there
/// about once in 2^9 executions: at each step the reader runs with
/// probability 1/2), then draw a payload of 3 out of 0..4. The reader
/// records what it saw with `assert_sometimes_each!`, the footholds a user
/// would write; they come after the load, so a split can redraw only the
/// payload.
fn late_read() {
    let x = Arc::new(AtomicU64::new(0));
    let y = x.clone();
    let writer = thread::spawn(move || {
        for v in 1..=WRITES {
            y.store(v, SeqCst);
        }
    });
    let seen = x.load(SeqCst);
    assert_sometimes_each!("the reader saw the writer at", [seen]);
    if seen == DUE {
        let payload = checker::rand::range(0..4u64);
        assert!(payload != 3, "BUG late_read: payload 3 read at store {DUE}");
    }
    writer.join().unwrap();
}

/// One benchmark model.
struct Model {
    /// The model's name, as the filter matches it.
    name: &'static str,
    /// The energy every run of it gets.
    energy: u64,
    /// The body.
    body: fn(),
    /// What the panic message of its bug contains.
    bug: &'static str,
}

/// The models, in the order of the table.
const MODELS: [Model; 3] = [
    Model { name: "rare_bug", energy: 2000, body: rare_bug, bug: "BUG rare_bug" },
    Model { name: "spsc_ring", energy: 5000, body: spsc_ring, bug: "BUG spsc_ring" },
    Model { name: "late_read", energy: 2000, body: late_read, bug: "BUG late_read" },
];

/// A way of spending the energy.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The random walk, splitting at discoveries.
    Multiverse,
    /// The random walk, no splitting.
    Restarts,
    /// PCT of depth 3, no splitting.
    Pct,
    /// PCT of depth 3, splitting at discoveries.
    PctSplit,
}

impl Mode {
    /// Every mode, the multiverse first (the ratios' denominator).
    const ALL: [Mode; 4] = [Mode::Multiverse, Mode::Restarts, Mode::Pct, Mode::PctSplit];

    /// The mode's name in the table.
    fn name(self) -> &'static str {
        match self {
            Mode::Multiverse => "multiverse",
            Mode::Restarts => "restarts",
            Mode::Pct => "pct d=3",
            Mode::PctSplit => "pct d=3+split",
        }
    }
}

/// The PCT depth of the `pct` modes.
const PCT_DEPTH: usize = 3;

/// Children forked at each split.
const CHILDREN: u32 = 16;

/// What one run did.
struct Sample {
    /// Energy spent to the first bug; `None`: not found within the energy.
    spent: Option<u64>,
    /// Wall time of the run.
    wall: Duration,
}

/// Runs `model` once in `mode` with `seed` and `jobs`.
fn run(model: &Model, mode: Mode, seed: u64, jobs: u32) -> Result<Sample, String> {
    let mut b = Builder::new();
    let strategy = match mode {
        Mode::Multiverse | Mode::Restarts => StrategyKind::Random,
        Mode::Pct | Mode::PctSplit => StrategyKind::Pct,
    };
    b.strategy(strategy).seed(seed).energy(model.energy).jobs(jobs).pct_depth(PCT_DEPTH);
    b.split(matches!(mode, Mode::Multiverse | Mode::PctSplit));
    b.split_children = CHILDREN;
    let start = Instant::now();
    let outcome = b.run(model.body).map_err(|e| format!("{}: {e}", model.name))?;
    let wall = start.elapsed();
    let what = format!("{} {} seed {seed} jobs {jobs}", model.name, mode.name());
    match outcome.verdict {
        Verdict::Failed => {
            let report = outcome.failure.as_ref().ok_or(format!("{what}: failed, no report"))?;
            if !report.message().contains(model.bug) {
                return Err(format!("{what}: another failure than the model's bug:\n{report}"));
            }
            Ok(Sample { spent: Some(outcome.executions + outcome.timelines), wall })
        }
        Verdict::Incomplete(Limit::Energy(e)) if e == model.energy => {
            Ok(Sample { spent: None, wall })
        }
        other => Err(format!("{what}: neither the bug nor the energy spent: {other:?}")),
    }
}

/// The median energy to the first bug, a run that did not find it
/// counting as `energy`; and whether more than half did not find it.
fn median_energy(samples: &[Sample], energy: u64) -> (f64, bool) {
    let mut spent: Vec<f64> = samples.iter().map(|s| s.spent.unwrap_or(energy) as f64).collect();
    let missed = samples.iter().filter(|s| s.spent.is_none()).count();
    (median(&mut spent), 2 * missed > samples.len())
}

/// The median wall time of `samples`, in milliseconds.
fn median_millis(samples: &[Sample]) -> f64 {
    let mut walls: Vec<f64> = samples.iter().map(|s| s.wall.as_secs_f64() * 1e3).collect();
    median(&mut walls)
}

/// The command-line options.
struct Options {
    /// Run only models whose name contains this text.
    filter: Option<String>,
    /// Seeds 1..=seeds.
    seeds: u64,
}

/// The usage text.
const USAGE: &str = "usage: multiverse [FILTER] [--seeds N]
  FILTER     run only the models whose name contains FILTER
  --seeds N  seeds 1..=N for every model and mode (default 20)";

/// Reads the options; `Ok(None)` means `--help`.
fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options { filter: None, seeds: 20 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--seeds" => {
                let text = args.next().ok_or("--seeds needs a number")?;
                options.seeds = match text.parse() {
                    Ok(n) if n >= 1 => n,
                    _ => return Err(format!("--seeds needs a whole number >= 1, not {text:?}")),
                };
            }
            other if other.starts_with('-') => return Err(format!("unknown option {other:?}")),
            other if options.filter.is_none() => options.filter = Some(other.to_string()),
            other => return Err(format!("one filter only, not also {other:?}")),
        }
    }
    Ok(Some(options))
}

/// A median of energy as a cell: `>E` when more than half missed.
fn energy_cell(median: f64, missed_most: bool) -> String {
    if missed_most { format!(">{median:.0}") } else { format!("{median:.0}") }
}

/// Runs the benchmark and prints its tables.
fn bench(options: &Options) -> Result<(), String> {
    let seeds = 1..=options.seeds;
    let n = options.seeds;
    let models: Vec<&Model> = MODELS
        .iter()
        .filter(|m| options.filter.as_deref().is_none_or(|f| m.name.contains(f)))
        .collect();
    if models.is_empty() {
        return Err("no model matches the filter".to_string());
    }
    println!(
        "Energy to the first bug (executions + timelines of the failing run), seeds 1..={n}, \
         one job; split: {CHILDREN} children per split; PCT depth {PCT_DEPTH}. A run that \
         misses the bug counts as E; `>E`: more than half missed. ratio = median / the \
         multiverse's median; wall ms: median wall time of a run (to the bug or to E)."
    );
    println!();
    println!(
        "{:<10} {:>6}  {:<14} {:>7} {:>9} {:>7} {:>9}",
        "model", "E", "mode", "found", "median", "ratio", "wall ms"
    );
    let mut timing = Vec::new();
    for model in &models {
        let mut base = None;
        for mode in Mode::ALL {
            let samples: Vec<Sample> =
                seeds.clone().map(|s| run(model, mode, s, 1)).collect::<Result<_, _>>()?;
            let found = samples.iter().filter(|s| s.spent.is_some()).count();
            let (median, missed_most) = median_energy(&samples, model.energy);
            let base = *base.get_or_insert(median);
            println!(
                "{:<10} {:>6}  {:<14} {:>7} {:>9} {:>6.1}x {:>9.1}",
                model.name,
                model.energy,
                mode.name(),
                format!("{found}/{n}"),
                energy_cell(median, missed_most),
                median / base,
                median_millis(&samples)
            );
            if mode == Mode::Multiverse {
                timing.push((model, samples));
            }
        }
    }
    println!();
    println!(
        "The multiverse with 1 and 2 jobs, same seeds: median energy to the first bug and median \
         wall time per run (speed-up = 1 job / 2 jobs). With 2 jobs, which timeline claims the \
         bug first depends on timing, so the energy spent differs too."
    );
    println!();
    println!(
        "{:<10} {:>12} {:>10} {:>10} {:>12} {:>12} {:>9}",
        "model", "found 2 jobs", "energy 1", "energy 2", "1 job ms", "2 jobs ms", "speed-up"
    );
    for (model, one) in timing {
        let two: Vec<Sample> =
            seeds.clone().map(|s| run(model, Mode::Multiverse, s, 2)).collect::<Result<_, _>>()?;
        let found = two.iter().filter(|s| s.spent.is_some()).count();
        let (t1, t2) = (median_millis(&one), median_millis(&two));
        let (e1, m1) = median_energy(&one, model.energy);
        let (e2, m2) = median_energy(&two, model.energy);
        println!(
            "{:<10} {:>12} {:>10} {:>10} {:>12.1} {:>12.1} {:>8.2}x",
            model.name,
            format!("{found}/{n}"),
            energy_cell(e1, m1),
            energy_cell(e2, m2),
            t1,
            t2,
            t1 / t2
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    stats::main("multiverse", USAGE, parse_args, bench)
}
