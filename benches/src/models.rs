//! The benchmark models and the list that `compare` runs.
//!
//! Every model body is written once, as a macro that takes the library's
//! crate name (`checker` or `loom`) and expands to a block using only that
//! library's `sync` and `thread` modules. Checker and loom therefore run the
//! same source code; only the paths differ.

use crate::tools::{self, Expect, Run};

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

/// `$threads` threads each lock one shared `Mutex<usize>` once and
/// increment it; the model body joins them all and asserts the count.
macro_rules! mutex_counter {
    ($lib:ident, $threads:expr) => {{
        use $lib::sync::{Arc, Mutex};

        let threads: usize = $threads;
        let counter = Arc::new(Mutex::new(0usize));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let counter = Arc::clone(&counter);
                $lib::thread::spawn(move || {
                    *counter.lock().unwrap() += 1;
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(*counter.lock().unwrap(), threads, "mutex_counter: wrong count");
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
/// the run is not a valid measurement.
pub type Runner = Box<dyn Fn() -> Result<Run, String>>;

/// One row of the table: a model at one size, runnable with both tools.
pub struct Model {
    /// The model's name, matched by the command-line filter.
    pub name: &'static str,
    /// The model's size parameter as printed in the `N` column.
    pub n: String,
    /// Whether the model is correct or has a bug to find.
    pub expect: Expect,
    /// One run with checker.
    pub checker: Runner,
    /// One run with loom.
    pub loom: Runner,
}

/// Builds a [`Model`] from a name, an `N` label, an expectation and a model
/// body macro invocation with `$lib` left for this macro to fill in.
macro_rules! model {
    ($name:expr, $n:expr, $expect:expr, $body:ident ( $($arg:expr),* )) => {
        Model {
            name: $name,
            n: $n.to_string(),
            expect: $expect,
            checker: Box::new(move || tools::checker($expect, move || $body!(checker $(, $arg)*))),
            loom: Box::new(move || tools::loom($expect, move || $body!(loom $(, $arg)*))),
        }
    };
}

/// What `--large` adds to the default run, for the note under the table.
pub const LARGE_ONLY: &str = "fetch_add N=4 and fetch_add_3xK at 3x3 (instead of 3x2)";

/// Every model of the benchmark, in table order.
///
/// The default run keeps loom under about 10 s per run of any model, so
/// two sizes are only in the `large` run: `fetch_add` with 4 threads (loom
/// explores about 5.9 million executions, minutes per run) and 3 threads
/// times 3 `fetch_add` (about 2.4 million); the default run has 3 threads
/// times 2 instead.
pub fn all(large: bool) -> Vec<Model> {
    let mut models = Vec::new();
    let threads: &[usize] = if large { &[2, 3, 4] } else { &[2, 3] };
    for &n in threads {
        models.push(model!("fetch_add", n, Expect::Verified, fetch_add_threads(n, 1)));
    }
    let adds = if large { 3 } else { 2 };
    models.push(model!(
        "fetch_add_3xK",
        format!("3x{adds}"),
        Expect::Verified,
        fetch_add_threads(3, adds)
    ));
    for n in [2usize, 3] {
        models.push(model!("mutex_counter", n, Expect::Verified, mutex_counter(n)));
    }
    models.push(model!("condvar_handoff", "2", Expect::Verified, condvar_handoff()));
    models.push(model!("racy_counter", "2", Expect::Bug(RACY_MESSAGE), racy_counter()));
    models
}
