//! Probabilistic concurrency testing (PCT).
//!
//! Burckhardt, Kothari, Musuvathi, Nagarakatte. *A Randomized Scheduler with
//! Probabilistic Guarantees of Finding Bugs.* ASPLOS 2010.
//!
//! The claim: a bug of depth `d` (one that needs `d` ordering constraints
//! between steps to hold) in a program of `n` threads and `k` steps is found
//! by one execution with probability at least `1 / (n k^(d-1))`. Each
//! execution gives the threads random distinct priorities, always runs the
//! enabled thread of highest priority, and picks `d - 1` change points
//! uniformly among the first `k` steps: when the `i`-th change point's step
//! is taken, the thread that took it drops to priority `i`, below every
//! initial priority.
//!
//! How it runs here, and where it differs from the paper:
//! 1. `n` is not known in advance. A thread gets its priority when it first
//!    appears among the runnable threads: a random 63-bit number above
//!    2^63, so every thread, whenever spawned, is equally likely to be
//!    anywhere in the order (independent uniform keys make a uniform
//!    permutation), and every initial priority is above the change points'
//!    `1..d`. Ties, improbable, go to the lower thread id.
//! 2. `k` is estimated as the longest execution seen so far (steps, every
//!    step counted, also those where one thread could run). The first
//!    execution has no estimate: it runs with no change points (priorities
//!    alone), and its length is the first `k`. Change points are drawn
//!    uniformly in `1..=k`, independently (two may coincide, as in the
//!    paper's analysis).
//! 3. A thread that yields may not run while a thread that was enabled at
//!    its yield has not stepped (the engine's fair scheduler): it is then
//!    not runnable, and the highest-priority runnable thread runs instead.
//!    A spin loop of the highest-priority thread so lets the others run,
//!    where the paper assumes no spinning.
//! 4. Data decisions (which waiter wakes, which store a load reads,
//!    `nondet::choose`, `checker::rand` values) are uniform, as in the
//!    random walk; the paper has none.
//!
//! Each execution draws from its own xoshiro256** stream, seeded from the
//! run's seed and the execution's index: the same seed gives the same
//! executions. PCT samples; it never says the model is verified.

use smallvec::SmallVec;

use super::random::uniform_value;
use super::{Coverage, SchedulePoint, Strategy, StrategyError};
use crate::execution::{Execution, ValuePoint};
use crate::ids::ThreadId;
use crate::rng::{self, Rng};

/// Tells PCT's streams apart from other uses of the seed.
const STREAM: u64 = 0x0070_6374; // "pct"

/// The PCT scheduler of bug depth `d`.
pub struct Pct {
    seed: u64,
    depth: usize,
    executions: u64,
    rng: Rng,
    /// Steps of the longest execution seen: the estimate of `k`.
    longest: usize,
    /// Per thread, its priority in the current execution, once it has one.
    priorities: Vec<Option<u64>>,
    /// The change points of the current execution: (step index, the
    /// priority the thread taking that step drops to).
    changes: SmallVec<[(usize, u64); 4]>,
}

impl Pct {
    /// PCT for bugs of depth `depth` (at least 1; `depth - 1` change
    /// points), its executions drawn from `seed`.
    pub fn new(seed: u64, depth: usize) -> Self {
        Pct {
            seed,
            depth: depth.max(1),
            executions: 0,
            rng: Rng::new(seed),
            longest: 0,
            priorities: Vec::new(),
            changes: SmallVec::new(),
        }
    }

    fn priority(&mut self, thread: ThreadId) -> u64 {
        let i = thread.index();
        if self.priorities.len() <= i {
            self.priorities.resize(i + 1, None);
        }
        let rng = &mut self.rng;
        *self.priorities[i].get_or_insert_with(|| (1 << 63) | (rng.next_u64() >> 1))
    }
}

impl Strategy for Pct {
    fn next_execution(&mut self) -> bool {
        self.rng = Rng::new(rng::derive(self.seed, &[STREAM, self.executions]));
        self.executions += 1;
        self.priorities.clear();
        self.changes.clear();
        if self.longest > 0 {
            for i in 1..self.depth {
                let step = self.rng.index(self.longest);
                self.changes.push((step, i as u64));
            }
        }
        true
    }

    fn pick_thread(&mut self, point: &SchedulePoint<'_>) -> Result<ThreadId, StrategyError> {
        let mut best = point.eligible[0];
        let mut best_priority = self.priority(best);
        for &t in &point.eligible[1..] {
            let p = self.priority(t);
            if p > best_priority || (p == best_priority && t < best) {
                (best, best_priority) = (t, p);
            }
        }
        // The change points of this step lower the thread that takes it
        // (the last one listed wins when two coincide).
        let lowered = self.changes.iter().rev().find(|c| c.0 == point.step).map(|c| c.1);
        if let Some(priority) = lowered {
            self.priorities[best.index()] = Some(priority);
        }
        Ok(best)
    }

    fn pick_value(&mut self, point: &ValuePoint, _decision: usize) -> Result<u64, StrategyError> {
        Ok(uniform_value(&mut self.rng, point))
    }

    fn end_execution(&mut self, execution: &Execution) -> Result<(), StrategyError> {
        self.longest = self.longest.max(execution.step_count());
        Ok(())
    }

    /// Never asked: PCT always has another execution.
    fn coverage(&self) -> Coverage {
        Coverage::Pruned(0)
    }

    fn name(&self) -> &'static str {
        "pct"
    }

    fn samples(&self) -> bool {
        true
    }
}
