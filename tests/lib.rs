//! Helpers shared by the integration suite (`suite/`).

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use checker::model::{Builder, Outcome};

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

/// Collects outcomes across the executions of one model run. It is a std
/// type on purpose: it is the test's bookkeeping, not part of the model.
pub struct Recorder<T>(Arc<Mutex<BTreeSet<T>>>);

impl<T> Clone for Recorder<T> {
    fn clone(&self) -> Self {
        Recorder(Arc::clone(&self.0))
    }
}

impl<T: Ord> Recorder<T> {
    /// Records one outcome of the current execution.
    pub fn record(&self, value: T) {
        self.0.lock().unwrap().insert(value);
    }
}

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
