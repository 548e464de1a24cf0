//! A tour of checker: checks a few example models and prints what it found.
//!
//! ```text
//! cargo run --release --example tour            # every model
//! cargo run --release --example tour -- NAME    # one model (replay commands use this)
//! ```

use checker::model::{Builder, Outcome, StrategyKind};
use checker::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use checker::sync::{Arc, Condvar, Mutex};
use checker::thread;

/// Two threads increment a counter with `fetch_add`: correct.
fn fetch_add_counter() {
    let n = Arc::new(AtomicUsize::new(0));
    let h = {
        let n = n.clone();
        thread::spawn(move || n.fetch_add(1, Ordering::AcqRel))
    };
    n.fetch_add(1, Ordering::AcqRel);
    h.join().unwrap();
    assert_eq!(n.load(Ordering::Acquire), 2);
}

/// Three threads increment a counter under a mutex: correct.
fn mutex_counter() {
    let n = Arc::new(Mutex::new(0));
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let n = n.clone();
            thread::spawn(move || *n.lock().unwrap() += 1)
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(*n.lock().unwrap(), 3);
}

/// A producer hands a value to a consumer through a mutex and a condvar: correct.
fn condvar_handoff() {
    let slot = Arc::new((Mutex::new(None), Condvar::new()));
    let consumer = {
        let slot = slot.clone();
        thread::spawn(move || {
            let (value, ready) = &*slot;
            let mut value = value.lock().unwrap();
            while value.is_none() {
                value = ready.wait(value).unwrap();
            }
            value.take().unwrap()
        })
    };
    let (value, ready) = &*slot;
    *value.lock().unwrap() = Some(42);
    ready.notify_one();
    assert_eq!(consumer.join().unwrap(), 42);
}

/// Two threads increment a counter with a load and a separate store: an
/// update can be lost.
fn lost_update() {
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
    assert_eq!(n.load(Ordering::SeqCst), 2, "an increment was lost");
}

/// Two threads take two locks in opposite orders: they can deadlock.
fn lock_order_inversion() {
    let a = Arc::new(Mutex::new(()));
    let b = Arc::new(Mutex::new(()));
    let h = {
        let (a, b) = (a.clone(), b.clone());
        thread::spawn(move || {
            let _a = a.lock().unwrap();
            let _b = b.lock().unwrap();
        })
    };
    let _b = b.lock().unwrap();
    let _a = a.lock().unwrap();
    drop((_a, _b));
    h.join().unwrap();
}

/// A flag set with a check-then-act race: both threads can claim it.
fn double_claim() {
    let claimed = Arc::new(AtomicBool::new(false));
    let winners = Arc::new(AtomicUsize::new(0));
    let claim = {
        let (claimed, winners) = (claimed.clone(), winners.clone());
        move || {
            if !claimed.load(Ordering::Acquire) {
                claimed.store(true, Ordering::Release);
                winners.fetch_add(1, Ordering::AcqRel);
            }
        }
    };
    let h = thread::spawn(claim.clone());
    claim();
    h.join().unwrap();
    assert_eq!(winners.load(Ordering::Acquire), 1, "two threads claimed the flag");
}

/// A bug behind a rare interleaving and a rare random value: the main
/// thread reads the counter half way (about one schedule in nine), then
/// draws three secret digits (one in a thousand). Exhaustive search cannot
/// enumerate `rand` values; random restarts must be lucky twice. The
/// discovery assertions give the multiverse its footholds: each first
/// half-way read and each new digit matched forks timelines from there.
fn secret_after_race() {
    let count = Arc::new(AtomicUsize::new(0));
    let t = {
        let count = count.clone();
        thread::spawn(move || {
            for _ in 0..8 {
                count.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let seen = count.load(Ordering::SeqCst);
    checker::assert_sometimes!(seen == 4, "read the counter half way");
    if seen == 4 {
        let mut matched = 0u64;
        for digit in [7u64, 2, 9] {
            if checker::rand::range(0..10u64) != digit {
                break;
            }
            matched += 1;
            checker::assert_sometimes_gt!(matched, 0, "digits of the secret matched");
        }
        assert!(matched < 3, "the secret was found after a half-way read");
    }
    t.join().unwrap();
}

/// Random sampling with the multiverse: 600 units of energy for executions
/// and forked timelines together.
fn multiverse(b: &mut Builder) {
    b.strategy(StrategyKind::Random).seed(3).energy(600).split(true);
    b.split_children = 16;
}

fn systematic(_: &mut Builder) {}

type Model = (&'static str, &'static str, fn(), fn(&mut Builder));

const MODELS: &[Model] = &[
    ("fetch_add_counter", "two threads fetch_add one counter", fetch_add_counter, systematic),
    ("mutex_counter", "three threads increment under a Mutex", mutex_counter, systematic),
    (
        "condvar_handoff",
        "a value handed over with a Mutex and a Condvar",
        condvar_handoff,
        systematic,
    ),
    ("lost_update", "load-then-store increments from two threads", lost_update, systematic),
    (
        "lock_order_inversion",
        "two Mutexes locked in opposite orders",
        lock_order_inversion,
        systematic,
    ),
    ("double_claim", "a check-then-act race on a flag", double_claim, systematic),
    (
        "secret_after_race",
        "a rare interleaving then a rare random value, found by splitting timelines",
        secret_after_race,
        multiverse,
    ),
];

fn main() {
    let only = std::env::args().nth(1);
    let chosen: Vec<&Model> =
        MODELS.iter().filter(|(name, ..)| only.as_deref().is_none_or(|o| o == *name)).collect();
    if chosen.is_empty() {
        let names: Vec<&str> = MODELS.iter().map(|m| m.0).collect();
        eprintln!(
            "no model named {:?}; the models are: {}",
            only.unwrap_or_default(),
            names.join(", ")
        );
        std::process::exit(2);
    }
    println!("checker tour: {} model(s)\n", chosen.len());
    let (mut verified, mut bugs) = (0, 0);
    for (name, what, body, configure) in chosen {
        println!("== {name}: {what}");
        let mut builder = Builder::new();
        builder.name = Some(name.to_string());
        configure(&mut builder);
        let outcome: Outcome = match builder.run(*body) {
            Ok(outcome) => outcome,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        println!("{}", outcome.summary());
        match &outcome.failure {
            Some(report) => {
                bugs += 1;
                println!("{report}");
            }
            None => verified += 1,
        }
        println!();
    }
    println!("{verified} model(s) verified, {bugs} bug(s) found");
}
