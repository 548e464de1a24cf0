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
