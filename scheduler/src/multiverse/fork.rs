//! Splitting a timeline: fork children, bound how many processes run,
//! reap every child, and turn every way a child can end into a verdict.
//!
//! [`split`] forks up to `children` copies of the calling process. Each
//! child learns its index, seed and recipe ([`Timeline`]), runs the
//! caller's continuation, and leaves with `_exit` and a code of its own
//! ([`EXIT_PASS`], [`EXIT_BUG`], [`EXIT_ENERGY`]): it never returns into the
//! caller's frames above the split, so no destructor, test harness or
//! buffered output of the parent runs twice. The parent waits for every
//! child, classifies how it ended ([`Ending`]), and returns when all are
//! reaped and it has its running token back.
//!
//! **The running bound.** The region holds `jobs` tokens; a process runs
//! model code only while it holds one (the root holds one from the start).
//! A parent gives its token up while it waits for its children, forks a
//! child only with a token taken for it (and returns that token when it
//! reaps the child), and takes a token back before it returns. So at most
//! `jobs` processes run at any moment, whatever the depth of nesting; a
//! parent keeps at most `jobs` children alive at once (its window).
//!
//! **Energy.** Each child costs one unit, taken before the fork: no energy,
//! no fork. In adaptive mode ([`Shared::set_mark_allowance`]) the unit must
//! also come from the splitting mark's allowance or the shared pool; a
//! split whose children set no new coverage bit gives the rest of its
//! mark's allowance to the pool, for the marks that do.
//!
//! **Nothing is lost.** A child that exits with a code no timeline uses
//! (a test harness returning, `process::exit`), is killed by a signal
//! (abort, segfault, the OOM killer), or stays silent longer than the
//! watchdog's limit is a bug with its recipe, never a pass. A parent that
//! unwinds (a panic in `on_reaped`) kills and reaps its live children.
//! On Linux a child also dies with the thread that forked it
//! (`PR_SET_PDEATHSIG`), so a parent killed outright leaves no orphans.

use std::any::Any;
use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::recipe::{Recipe, child_seed};
use super::shm::{BugInfo, BugKind, Shared};

/// Exit code of a child whose timeline passed.
pub const EXIT_PASS: i32 = 83;
/// Exit code of a child whose timeline found a bug (and claimed the slot,
/// unless another bug was first).
pub const EXIT_BUG: i32 = 84;
/// Exit code of a child that stopped because the energy ran out.
pub const EXIT_ENERGY: i32 = 85;

/// How a child's continuation ended, as it tells the parent.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The timeline ran to its end without a bug.
    Pass,
    /// The timeline found a bug; it has tried [`Shared::claim_bug`].
    Bug,
    /// The timeline stopped early: no energy left.
    EnergySpent,
}

impl Exit {
    fn code(self) -> i32 {
        match self {
            Exit::Pass => EXIT_PASS,
            Exit::Bug => EXIT_BUG,
            Exit::EnergySpent => EXIT_ENERGY,
        }
    }
}

/// Where a timeline splits.
#[derive(Copy, Clone, Debug)]
pub struct SplitPoint<'a> {
    /// The splitting timeline's recipe (empty for the root).
    pub recipe: &'a Recipe,
    /// Decisions it made since its own split (since its start, for the root).
    pub decisions: u64,
    /// Its seed (the run's root seed, for the root).
    pub seed: u64,
    /// The mark that split it (the key of the discovery assertion).
    pub mark: u64,
    /// The decision path that, with a child's recipe, replays it (the
    /// root's decisions before its first split); written with the bug of
    /// a child that died.
    pub path: &'a str,
    /// The walk the children draw their decisions with (a recipe's walk
    /// tag; `None`: uniform).
    pub walk: Option<&'a str>,
}

/// How to split.
#[derive(Clone, Debug)]
pub struct Options {
    /// How many children to fork (fewer if energy runs out).
    pub children: u32,
    /// Kill a child silent (no heartbeat) for this long, and report a hang.
    /// `None`: no watchdog.
    pub timeout: Option<Duration>,
    /// Fork no more children once some process has claimed the bug slot.
    pub stop_on_bug: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { children: 4, timeout: None, stop_on_bug: true }
    }
}

/// What a child knows about itself.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// Its index among its siblings, from 0.
    pub index: u32,
    /// The seed of all its remaining decisions.
    pub seed: u64,
    /// Its recipe: its parent's plus this split.
    pub recipe: Recipe,
}

impl Timeline {
    /// Its depth: 1 for a child of the root.
    pub fn depth(&self) -> usize {
        self.recipe.depth()
    }
}

/// How a reaped child ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It exited with [`EXIT_PASS`].
    Passed,
    /// It exited with [`EXIT_BUG`].
    Bug,
    /// It exited with [`EXIT_ENERGY`].
    EnergySpent,
    /// A signal killed it (the number).
    Signal(i32),
    /// It exited with another code.
    UnexpectedExit(i32),
    /// The watchdog killed it after this long without a heartbeat.
    Hang(Duration),
    /// Something else reaped it first; how it ended is unknown.
    Lost,
}

impl Ending {
    /// Whether this ending is a bug: everything but a pass or spent energy.
    pub fn is_bug(self) -> bool {
        !matches!(self, Ending::Passed | Ending::EnergySpent)
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Passed => f.write_str("passed"),
            Ending::Bug => f.write_str("found a bug"),
            Ending::EnergySpent => f.write_str("stopped: energy spent"),
            Ending::Signal(s) => write!(f, "killed by signal {} ({})", s, signal_name(*s)),
            Ending::UnexpectedExit(c) => {
                write!(
                    f,
                    "exited with code {c}, which no timeline uses (did it return into the test harness?)"
                )
            }
            Ending::Hang(d) => {
                write!(f, "hung: no heartbeat for {:.1} s; killed by the watchdog", d.as_secs_f64())
            }
            Ending::Lost => f.write_str("was reaped by someone else; its ending is unknown"),
        }
    }
}

/// A child the parent has reaped.
#[derive(Clone, Debug)]
pub struct Reaped {
    /// Its index among its siblings.
    pub index: u32,
    /// Its process id.
    pub pid: u32,
    /// Its seed.
    pub seed: u64,
    /// Its recipe.
    pub recipe: Recipe,
    /// How it ended.
    pub ending: Ending,
}

/// Why forking stopped before `children` children.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// No energy was left for the next child.
    Energy,
    /// A bug had been found (with [`Options::stop_on_bug`]).
    Bug,
    /// Adaptive mode: the mark's allowance and the pool were spent.
    Allowance,
}

/// What a split did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Children forked (each cost one unit of energy).
    pub forked: u32,
    /// Children that passed.
    pub passed: u32,
    /// Children that ended in a bug of any kind.
    pub bugs: u32,
    /// Children that stopped for lack of energy.
    pub energy_spent: u32,
    /// Why fewer than `children` were forked, if they were.
    pub stopped: Option<Stop>,
    /// Adaptive mode: units of the mark's allowance given back to the pool
    /// because the batch set no new coverage bit.
    pub given_back: u64,
    /// OS threads of the process when it forked (Linux; `None` elsewhere):
    /// more than one means the fork-safety rule of the module applies.
    pub threads: Option<usize>,
}

/// Why a split could not run.
#[derive(Debug)]
pub enum SplitError {
    /// This platform has no `fork`: run on without splitting.
    Unsupported,
    /// `fork` failed; the children already forked were reaped (and are in
    /// the summary).
    Fork(io::Error, Summary),
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitError::Unsupported => {
                f.write_str("splitting timelines needs fork(), which this platform lacks")
            }
            SplitError::Fork(e, s) => write!(f, "fork failed after {} children: {e}", s.forked),
        }
    }
}

impl std::error::Error for SplitError {}

/// This process's heartbeat cell, in a forked child that has one.
static OWN_BEAT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Tells the parent's watchdog this process is alive. Call it now and then
/// (the engine: at every execution) in a timeline that may run long; a
/// parent waiting in [`split`] beats by itself. Does nothing in the root.
pub fn heartbeat(shared: &Shared) {
    let i = OWN_BEAT.load(Ordering::Relaxed);
    if i != usize::MAX {
        shared.beat(i);
    }
}

/// The first line of a panic payload.
fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}

/// Writes the bug a child's ending means into the slot (if it is a bug and
/// the child has not written one itself).
fn claim_for(shared: &Shared, reaped: &Reaped, path: &str) {
    let (kind, code) = match reaped.ending {
        Ending::Signal(s) => (BugKind::Signal, i64::from(s)),
        Ending::UnexpectedExit(c) => (BugKind::UnexpectedExit, i64::from(c)),
        Ending::Hang(d) => (BugKind::Hang, d.as_millis() as i64),
        Ending::Lost => (BugKind::UnexpectedExit, -1),
        // The child claims the slot itself; if it did not, say so.
        Ending::Bug => (BugKind::Reported, 0),
        Ending::Passed | Ending::EnergySpent => return,
    };
    if reaped.ending == Ending::Bug && shared.bug_claimed() {
        return;
    }
    let report = if reaped.ending == Ending::Bug {
        format!("timeline {} reported a bug but wrote no report", reaped.recipe)
    } else {
        format!("timeline {} (pid {}) {}", reaped.recipe, reaped.pid, reaped.ending)
    };
    let recipe = reaped.recipe.to_string();
    shared.claim_bug(&BugInfo { kind, code, recipe: &recipe, path, report: &report });
}

/// A short name for the common signals.
pub fn signal_name(sig: i32) -> &'static str {
    sys::signal_name(sig)
}

/// Forks up to `opts.children` children at `at`. Each runs `child` with its
/// [`Timeline`] and leaves the process with the code of the [`Exit`] it
/// returns (a panic escaping `child` is a bug, claimed in the slot with its
/// message). The parent calls `on_reaped` for each child as it reaps it,
/// and returns once every child is reaped and it holds its running token
/// again. The calling process must hold a token: the root, or a timeline
/// inside its continuation.
pub fn split<C, P>(
    shared: &Shared,
    at: &SplitPoint<'_>,
    opts: &Options,
    child: C,
    on_reaped: P,
) -> Result<Summary, SplitError>
where
    C: FnMut(&Timeline) -> Exit,
    P: FnMut(&Reaped),
{
    sys::split(shared, at, opts, child, on_reaped)
}

/// Where [`trace_out`] writes, in a process forked by [`traced`]; -1
/// elsewhere.
static TRACE_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// In a process forked by [`traced`]: sends `text` to the parent. Does
/// nothing in any other process.
pub fn trace_out(text: &str) {
    sys::trace_out(TRACE_FD.load(Ordering::Relaxed), text.as_bytes());
}

/// Runs `run` in a forked child and collects what it sends with
/// [`trace_out`] until it ends, however it ends: for following a timeline
/// that kills its process (an abort, a segfault) up to its last step. The
/// child leaves with `_exit` once `run` returns, and is killed by the
/// watchdog after `timeout` without output.
pub fn traced<F: FnOnce()>(run: F, timeout: Duration) -> io::Result<(String, Ending)> {
    sys::traced(run, timeout)
}

#[cfg(unix)]
mod sys {
    use super::*;

    pub(super) fn signal_name(sig: i32) -> &'static str {
        match sig {
            libc::SIGABRT => "SIGABRT: abort",
            libc::SIGSEGV => "SIGSEGV: segmentation fault",
            libc::SIGBUS => "SIGBUS: bus error",
            libc::SIGILL => "SIGILL: illegal instruction",
            libc::SIGFPE => "SIGFPE: arithmetic fault",
            libc::SIGKILL => "SIGKILL: killed",
            libc::SIGTERM => "SIGTERM: terminated",
            libc::SIGINT => "SIGINT: interrupted",
            libc::SIGPIPE => "SIGPIPE: broken pipe",
            libc::SIGTRAP => "SIGTRAP: trap",
            _ => "another signal",
        }
    }

    pub(super) fn trace_out(fd: i32, mut bytes: &[u8]) {
        while fd >= 0 && !bytes.is_empty() {
            // SAFETY: `bytes` is a valid buffer of its length; `fd` is the
            // write end of the pipe `traced` made for this process.
            let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
            if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            if n <= 0 {
                return;
            }
            bytes = &bytes[n as usize..];
        }
    }

    pub(super) fn traced<F: FnOnce()>(run: F, timeout: Duration) -> io::Result<(String, Ending)> {
        let mut fds = [0i32; 2];
        // SAFETY: `fds` is a valid out-array of two descriptors.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let (read, write) = (fds[0], fds[1]);
        // SAFETY: as in `split`: the child only runs `run` under the
        // module's fork-safety rule and leaves with `_exit`.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            let e = io::Error::last_os_error();
            // SAFETY: both descriptors are ours and open.
            unsafe {
                libc::close(read);
                libc::close(write);
            }
            return Err(e);
        }
        if pid == 0 {
            #[cfg(target_os = "linux")]
            // SAFETY: changes only this process's death signal.
            unsafe {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL)
            };
            // SAFETY: the read end is this process's copy, unused here.
            unsafe { libc::close(read) };
            TRACE_FD.store(write, Ordering::Relaxed);
            let code = match catch_unwind(AssertUnwindSafe(run)) {
                Ok(()) => EXIT_PASS,
                Err(payload) => {
                    std::mem::forget(payload);
                    EXIT_BUG
                }
            };
            // SAFETY: ends the process at once, running nothing of the
            // parent's copied state.
            unsafe { libc::_exit(code) }
        }
        // SAFETY: the write end is the child's; closing ours lets a read
        // see end-of-file when the child is gone.
        unsafe { libc::close(write) };
        // SAFETY: `read` is open; non-blocking reads let the watchdog run.
        unsafe { libc::fcntl(read, libc::F_SETFL, libc::O_NONBLOCK) };
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let mut last = Instant::now();
        let mut killed = None;
        loop {
            // SAFETY: `buf` is a valid buffer of its length; `read` is open.
            let n = unsafe { libc::read(read, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                out.extend_from_slice(&buf[..n as usize]);
                last = Instant::now();
                continue;
            }
            if n == 0 {
                break;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::WouldBlock && e.kind() != io::ErrorKind::Interrupted {
                break;
            }
            if killed.is_none() && last.elapsed() > timeout {
                // SAFETY: `pid` is our child, not yet reaped.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                killed = Some(last.elapsed());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        // SAFETY: `read` is open and ours.
        unsafe { libc::close(read) };
        let ending = match (killed, ending_of(wait_blocking(pid))) {
            (Some(d), _) => Ending::Hang(d),
            (None, ending) => ending,
        };
        Ok((String::from_utf8_lossy(&out).into_owned(), ending))
    }

    /// A live child of this process.
    struct Live {
        pid: libc::pid_t,
        index: u32,
        seed: u64,
        recipe: Recipe,
        beat: Option<usize>,
        last_beats: u64,
        last_change: Instant,
    }

    /// The live children of one split. Dropped while unwinding, it kills
    /// and reaps them all.
    struct Brood<'s> {
        shared: &'s Shared,
        live: Vec<Live>,
        /// This process has given its own token up and not taken it back.
        gave_own: bool,
    }

    impl Brood<'_> {
        /// Forgets a child that is gone: its token and heartbeat cell.
        fn release(&self, c: &Live) {
            self.shared.give_token();
            if let Some(b) = c.beat {
                self.shared.release_beat(b);
            }
        }
    }

    impl Drop for Brood<'_> {
        fn drop(&mut self) {
            for c in std::mem::take(&mut self.live) {
                // SAFETY: `c.pid` is a child of this process not yet reaped,
                // so the pid still names it (a zombie at worst).
                unsafe { libc::kill(c.pid, libc::SIGKILL) };
                wait_blocking(c.pid);
                self.release(&c);
            }
            // Take our own token back if one is free; if not, this process
            // unwinds without one (the run is failing anyway).
            if self.gave_own {
                self.shared.try_take_token();
            }
        }
    }

    /// waitpid(pid, WNOHANG) on EINTR repeats: `Some(status)` if it ended,
    /// `Some(None)` if something else reaped it, `None` if still running.
    fn try_wait(pid: libc::pid_t) -> Option<Option<i32>> {
        loop {
            let mut status = 0;
            // SAFETY: `status` is a valid out-pointer for the call.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            match r {
                0 => return None,
                r if r == pid => return Some(Some(status)),
                _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
                _ => return Some(None),
            }
        }
    }

    fn wait_blocking(pid: libc::pid_t) -> Option<i32> {
        loop {
            let mut status = 0;
            // SAFETY: `status` is a valid out-pointer for the call.
            let r = unsafe { libc::waitpid(pid, &mut status, 0) };
            if r == pid {
                return Some(status);
            }
            if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                return None;
            }
        }
    }

    fn ending_of(status: Option<i32>) -> Ending {
        let Some(status) = status else { return Ending::Lost };
        if libc::WIFEXITED(status) {
            match libc::WEXITSTATUS(status) {
                EXIT_PASS => Ending::Passed,
                EXIT_BUG => Ending::Bug,
                EXIT_ENERGY => Ending::EnergySpent,
                c => Ending::UnexpectedExit(c),
            }
        } else if libc::WIFSIGNALED(status) {
            Ending::Signal(libc::WTERMSIG(status))
        } else {
            Ending::UnexpectedExit(-1)
        }
    }

    #[cfg(target_os = "linux")]
    fn thread_count() -> Option<usize> {
        std::fs::read_dir("/proc/self/task").ok().map(|d| d.count())
    }

    #[cfg(not(target_os = "linux"))]
    fn thread_count() -> Option<usize> {
        None
    }

    /// Sleeps a little longer each time nothing happened, up to 100 µs: a
    /// timeline often lasts less than that, and its parent should not wait
    /// for it much longer than it ran (a 2 ms cap cost 3 ms per empty
    /// timeline in a test process; 100 µs, 0.25 ms, mostly the fork).
    struct Backoff(Duration);

    impl Backoff {
        fn new() -> Backoff {
            Backoff(Duration::from_micros(20))
        }
        fn reset(&mut self) {
            self.0 = Duration::from_micros(20);
        }
        fn wait(&mut self, shared: &Shared) {
            heartbeat(shared);
            std::thread::sleep(self.0);
            self.0 = (self.0 * 2).min(Duration::from_micros(100));
        }
    }

    /// In the child, right after the fork: run the continuation, leave.
    fn child_main<C: FnMut(&Timeline) -> Exit>(
        shared: &Shared,
        parent: libc::pid_t,
        timeline: &Timeline,
        beat: Option<usize>,
        child: &mut C,
    ) -> ! {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and
            // changes only this process's death signal.
            unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
        }
        // SAFETY: getppid has no preconditions.
        if unsafe { libc::getppid() } != parent {
            // The parent died before the death signal was armed.
            // SAFETY: _exit ends the process without running anything.
            unsafe { libc::_exit(1) };
        }
        OWN_BEAT.store(beat.unwrap_or(usize::MAX), Ordering::Relaxed);
        let code = match catch_unwind(AssertUnwindSafe(|| child(timeline))) {
            Ok(exit) => exit.code(),
            Err(payload) => {
                let report =
                    format!("timeline {} panicked: {}", timeline.recipe, panic_text(&*payload));
                let recipe = timeline.recipe.to_string();
                shared.claim_bug(&BugInfo {
                    kind: BugKind::Panicked,
                    code: 0,
                    recipe: &recipe,
                    path: "",
                    report: &report,
                });
                // Dropping the payload could panic again.
                std::mem::forget(payload);
                EXIT_BUG
            }
        };
        // SAFETY: _exit ends the process at once: no destructor, atexit
        // handler or stdio flush of the parent's copied state runs here.
        unsafe { libc::_exit(code) }
    }

    pub(super) fn split<C, P>(
        shared: &Shared,
        at: &SplitPoint<'_>,
        opts: &Options,
        mut child: C,
        mut on_reaped: P,
    ) -> Result<Summary, SplitError>
    where
        C: FnMut(&Timeline) -> Exit,
        P: FnMut(&Reaped),
    {
        let depth = at.recipe.depth() as u32;
        let window = shared.jobs().max(1) as usize;
        let mut summary = Summary { threads: thread_count(), ..Summary::default() };
        let mut brood = Brood { shared, live: Vec::new(), gave_own: true };
        // Energy is paid through the mark (its allowance, in adaptive
        // mode); a mark the table has no room for pays from the energy.
        let mark = shared.mark(at.mark);
        let coverage_before = shared.coverage_count();
        let mut next = 0u32;
        let mut fork_error = None;
        let mut backoff = Backoff::new();
        // SAFETY: getpid has no preconditions.
        let me = unsafe { libc::getpid() };

        shared.give_token();
        loop {
            let mut progress = false;

            // Reap what ended; watch the rest.
            let mut i = 0;
            while i < brood.live.len() {
                let c = &mut brood.live[i];
                let ending = match try_wait(c.pid) {
                    Some(status) => Some(ending_of(status)),
                    None => {
                        if let Some(b) = c.beat {
                            let now = shared.beats(b);
                            if now != c.last_beats {
                                c.last_beats = now;
                                c.last_change = Instant::now();
                            }
                        }
                        let silent = c.last_change.elapsed();
                        match opts.timeout {
                            Some(limit) if silent > limit => {
                                // SAFETY: `c.pid` is our unreaped child.
                                unsafe { libc::kill(c.pid, libc::SIGKILL) };
                                wait_blocking(c.pid);
                                Some(Ending::Hang(silent))
                            }
                            _ => None,
                        }
                    }
                };
                let Some(ending) = ending else {
                    i += 1;
                    continue;
                };
                let c = brood.live.swap_remove(i);
                brood.release(&c);
                progress = true;
                let reaped = Reaped {
                    index: c.index,
                    pid: c.pid as u32,
                    seed: c.seed,
                    recipe: c.recipe,
                    ending,
                };
                match ending {
                    Ending::Passed => summary.passed += 1,
                    Ending::EnergySpent => summary.energy_spent += 1,
                    _ => summary.bugs += 1,
                }
                shared.count_timeline(ending.is_bug());
                claim_for(shared, &reaped, at.path);
                on_reaped(&reaped);
            }

            // Fork the next child if there is room, a token and energy.
            let more = next < opts.children && summary.stopped.is_none() && fork_error.is_none();
            if more && brood.live.len() < window {
                if opts.stop_on_bug && shared.bug_claimed() {
                    summary.stopped = Some(Stop::Bug);
                } else if shared.energy_left() == 0 {
                    summary.stopped = Some(Stop::Energy);
                } else if shared.try_take_token() {
                    let paid = match mark {
                        Some(m) => m.take_energy(),
                        None => shared.take_energy(),
                    };
                    if !paid {
                        shared.give_token();
                        let out = shared.energy_left() == 0;
                        summary.stopped = Some(if out { Stop::Energy } else { Stop::Allowance });
                    } else {
                        let seed = child_seed(at.seed, at.mark, depth, next);
                        let timeline = Timeline {
                            index: next,
                            seed,
                            recipe: at.recipe.child_walk(at.decisions, seed, at.walk),
                        };
                        let beat = if opts.timeout.is_some() { shared.claim_beat() } else { None };
                        // SAFETY: fork has no memory-safety preconditions of
                        // its own; the child side only runs `child_main`,
                        // which follows the module's fork-safety rule and
                        // never returns.
                        let pid = unsafe { libc::fork() };
                        if pid == 0 {
                            child_main(shared, me, &timeline, beat, &mut child);
                        }
                        if pid < 0 {
                            fork_error = Some(io::Error::last_os_error());
                            shared.give_token();
                            shared.refund_energy();
                            if let Some(b) = beat {
                                shared.release_beat(b);
                            }
                        } else {
                            summary.forked += 1;
                            next += 1;
                            brood.live.push(Live {
                                pid,
                                index: timeline.index,
                                seed,
                                recipe: timeline.recipe,
                                beat,
                                last_beats: 0,
                                last_change: Instant::now(),
                            });
                        }
                    }
                    progress = true;
                }
            }

            let done = !(next < opts.children && summary.stopped.is_none() && fork_error.is_none());
            if done && brood.live.is_empty() {
                break;
            }
            if progress {
                backoff.reset();
            } else {
                backoff.wait(shared);
            }
        }

        backoff.reset();
        while !shared.try_take_token() {
            backoff.wait(shared);
        }
        brood.gave_own = false;
        if let Some(m) = mark
            && shared.mark_allowance() > 0
            && summary.forked > 0
            && shared.coverage_count() == coverage_before
        {
            summary.given_back = m.give_back();
        }
        match fork_error {
            Some(e) => Err(SplitError::Fork(e, summary)),
            None => Ok(summary),
        }
    }
}

#[cfg(not(unix))]
mod sys {
    use super::*;

    pub(super) fn signal_name(_sig: i32) -> &'static str {
        "a signal"
    }

    pub(super) fn trace_out(_: i32, _: &[u8]) {}

    pub(super) fn traced<F: FnOnce()>(_: F, _: Duration) -> io::Result<(String, Ending)> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "no fork() on this platform"))
    }

    pub(super) fn split<C, P>(
        _: &Shared,
        _: &SplitPoint<'_>,
        _: &Options,
        _: C,
        _: P,
    ) -> Result<Summary, SplitError>
    where
        C: FnMut(&Timeline) -> Exit,
        P: FnMut(&Reaped),
    {
        Err(SplitError::Unsupported)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_child_that_segfaults_is_a_bug_with_its_recipe() {
        let shared = Shared::new(4, 1).unwrap();
        let root = Recipe::root().child(3, 0xabc);
        let at =
            SplitPoint { recipe: &root, decisions: 17, seed: 0xabc, mark: 9, path: "", walk: None };
        let opts = Options { children: 2, timeout: None, stop_on_bug: false };
        let mut reaped = Vec::new();
        let summary = split(
            &shared,
            &at,
            &opts,
            |t| {
                if t.index == 1 {
                    // A real invalid access (a raised signal can be
                    // handled and return): the crash under test.
                    let bad = std::ptr::without_provenance_mut::<u8>(16);
                    // SAFETY: not safe at all, on purpose: the write faults
                    // and kills this forked child, which is the test.
                    unsafe { bad.write_volatile(1) };
                }
                Exit::Pass
            },
            |r| reaped.push(r.clone()),
        )
        .unwrap();
        assert_eq!((summary.forked, summary.passed, summary.bugs), (2, 1, 1));
        let crashed = reaped.iter().find(|r| r.index == 1).unwrap();
        assert_eq!(crashed.ending, Ending::Signal(libc::SIGSEGV));
        assert!(crashed.ending.is_bug());
        assert_eq!(crashed.recipe, root.child(17, child_seed(0xabc, 9, 1, 1)));
        let bug = shared.bug().expect("the crash is in the bug slot");
        assert_eq!((bug.kind, bug.code), (BugKind::Signal, i64::from(libc::SIGSEGV)));
        assert_eq!(bug.recipe, crashed.recipe.to_string());
        assert!(bug.report.contains("SIGSEGV"), "{}", bug.report);
        assert_eq!(shared.bugs(), 1);
    }
}
