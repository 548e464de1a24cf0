//! Failure reports: what went wrong, the numbered trace, and the command
//! that replays it.

use std::fmt::{self, Write as _};

use crate::config::Config;
use crate::execution::Execution;
use crate::ids::ThreadId;
use crate::objects::ObjectState;
use crate::op::{Op, Reply, SourceLocation, ValueType};
use crate::trace::EventKind;

/// The kinds of failure checker reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// A thread panicked (a failed assertion, an `unwrap` on `Err`...) and
    /// nothing observed it: the model body panicked, or a spawned thread's
    /// panic was never joined.
    Panic,
    /// A panic escaped a destructor while its thread was unwinding (std
    /// aborts the process on this; checker reports it).
    PanicWhileUnwinding,
    /// No thread can run and the model body has not returned.
    Deadlock,
    /// The model body returned but other threads stay blocked forever.
    LeftBlocked,
    /// An execution took more steps than `max_branches`.
    StepBound,
    /// An execution spawned more threads than `max_threads`.
    TooManyThreads,
    /// A thread locked a mutex it already held.
    MutexRelocked,
    /// A thread took an `RwLock`'s write lock while holding it (read or
    /// write), or its read lock while holding its write lock.
    RwLockRelocked,
    /// The model made different choices on the same decision path: it
    /// depends on something checker does not control.
    Nondeterminism,
    /// A model thread overflowed its stack.
    StackOverflow,
    /// Two accesses to the same non-atomic memory (`UnsafeCell`, `Cell`,
    /// `unsync_load`), at least one a write, not ordered by happens-before.
    DataRace,
    /// An allocation (`checker::alloc`, `Track`, an `Arc`) was still alive
    /// when the execution ended.
    Leak,
    /// An `assert_always!` or `assert_always_or_unreachable!` did not hold,
    /// or an `assert_unreachable!` was reached.
    AssertionFailed,
    /// A forked timeline's process died (a signal: abort, segfault...),
    /// exited in a way no timeline does, or hung past the watchdog. Its
    /// recipe replays it in one process.
    TimelineDied,
}

impl FailureKind {
    /// Every kind (checkpoints name kinds by [`FailureKind::name`]).
    pub const ALL: [FailureKind; 14] = [
        FailureKind::Panic,
        FailureKind::PanicWhileUnwinding,
        FailureKind::Deadlock,
        FailureKind::LeftBlocked,
        FailureKind::StepBound,
        FailureKind::TooManyThreads,
        FailureKind::MutexRelocked,
        FailureKind::RwLockRelocked,
        FailureKind::Nondeterminism,
        FailureKind::StackOverflow,
        FailureKind::DataRace,
        FailureKind::Leak,
        FailureKind::AssertionFailed,
        FailureKind::TimelineDied,
    ];

    /// A short name for summaries: `panic`, `deadlock`...
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Panic => "panic",
            FailureKind::PanicWhileUnwinding => "panic while unwinding",
            FailureKind::Deadlock => "deadlock",
            FailureKind::LeftBlocked => "threads left blocked",
            FailureKind::StepBound => "step bound exceeded",
            FailureKind::TooManyThreads => "too many threads",
            FailureKind::MutexRelocked => "mutex locked twice by one thread",
            FailureKind::RwLockRelocked => "rwlock locked again by its holder",
            FailureKind::Nondeterminism => "nondeterministic model",
            FailureKind::StackOverflow => "stack overflow",
            FailureKind::DataRace => "data race",
            FailureKind::Leak => "leak",
            FailureKind::AssertionFailed => "assertion failed",
            FailureKind::TimelineDied => "timeline died",
        }
    }
}

/// A panic raised by a model thread.
#[derive(Clone, Debug)]
pub(crate) struct PanicRecord {
    pub(crate) message: String,
    pub(crate) location: String,
}

/// Everything the user needs to understand and reproduce a failure.
#[derive(Clone, Debug)]
pub struct Report {
    pub(crate) kind: FailureKind,
    pub(crate) message: String,
    pub(crate) trace: String,
    pub(crate) path: String,
    pub(crate) command: String,
    pub(crate) execution: u64,
}

impl Report {
    /// What kind of failure this is.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// How deep in the multiverse the failing execution ran: 0 for the
    /// root's own executions, `d` for a timeline forked `d` splits down
    /// (its replay path ends with a recipe of `d` splits).
    pub fn timeline_depth(&self) -> usize {
        match self.path.split_once('+') {
            Some((_, recipe)) if !recipe.trim().is_empty() => recipe.split("->").count(),
            _ => 0,
        }
    }

    /// What went wrong, in words (a panic's message, the blocked threads).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The numbered events of the failing execution.
    pub fn trace(&self) -> &str {
        &self.trace
    }

    /// The decision path that replays the failing execution
    /// (`CHECKER_REPLAY=<path>`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The command that replays the failure.
    pub fn replay_command(&self) -> &str {
        &self.command
    }

    /// Which execution of the exploration failed, counting from 1.
    pub fn execution(&self) -> u64 {
        self.execution
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.timeline_depth() {
            0 => writeln!(
                f,
                "checker found a bug ({}) in execution {}:",
                self.kind.name(),
                self.execution
            )?,
            d => writeln!(
                f,
                "checker found a bug ({}) in a timeline forked from execution {} ({d} split(s) \
                 down; the replay path's `+` recipe names them):",
                self.kind.name(),
                self.execution
            )?,
        }
        writeln!(f, "{}", self.message)?;
        writeln!(f)?;
        writeln!(f, "trace of the failing execution:")?;
        write!(f, "{}", self.trace)?;
        writeln!(f)?;
        writeln!(f, "replay it with:")?;
        write!(f, "    {}", self.command)
    }
}

/// For a read that did not read the last store of its atomic (`aux` as
/// `Execution::atomic_step` returns it): which store it read.
fn stale(ex: &Execution, aux: u64) -> String {
    if aux & crate::execution::STALE == 0 {
        return String::new();
    }
    match crate::execution::read_source_step(aux) {
        0 => " (an older value: the initial one)".to_string(),
        k => {
            let event = ex.steps.get(k as usize - 1).map_or(0, |&e| e + 1);
            format!(" (an older value: the store of ({event}))")
        }
    }
}

/// `file:line:column`.
pub(crate) fn location(l: SourceLocation) -> String {
    let mut out = String::with_capacity(l.file().len() + 12);
    out.push_str(l.file());
    out.push(':');
    push_number(&mut out, l.line() as usize);
    out.push(':');
    push_number(&mut out, l.column() as usize);
    out
}

/// At most this many events are printed; the middle of a longer trace is
/// elided (a step-bound failure has thousands).
const MAX_PRINTED_EVENTS: usize = 400;
const PRINTED_HEAD: usize = 60;

/// The numbered trace of an execution, one event a line.
pub(crate) fn render_trace(ex: &Execution) -> String {
    let labels = thread_labels(ex);
    let lines: Vec<TraceLine> =
        (0..ex.trace.len()).map(|k| trace_line_with(ex, k, &labels)).collect();
    let objects: Vec<String> = (0..ex.objects.records.len()).map(|i| object_line(ex, i)).collect();
    format_trace(&lines, &objects)
}

/// One event of a trace: who, what, where.
pub(crate) type TraceLine = (String, String, String);

/// How a trace names each thread of the execution, by id.
fn thread_labels(ex: &Execution) -> Vec<String> {
    (0..ex.threads.len()).map(|i| ex.thread_label(ThreadId(i as u32))).collect()
}

/// Event `k` of the execution's trace, as a trace shows it.
pub(crate) fn trace_line(ex: &Execution, k: usize) -> TraceLine {
    trace_line_with(ex, k, &thread_labels(ex))
}

/// [`trace_line`], with the threads' labels made once for the whole trace.
fn trace_line_with(ex: &Execution, k: usize, labels: &[String]) -> TraceLine {
    let event = &ex.trace[k];
    let (what, at) = match event.kind {
        // The model body's end has no location in the user's code.
        EventKind::Step { op: Op::Exit, reply, aux } => {
            (describe(ex, &Op::Exit, reply, aux, labels), String::new())
        }
        EventKind::Step { op, reply, aux } => {
            let mut what = String::with_capacity(64);
            if !describe_common(&mut what, ex, &op, reply, aux, labels) {
                what = describe(ex, &op, reply, aux, labels);
            }
            (what, location(event.location))
        }
        EventKind::Panicked(i) => {
            let p = &ex.threads[event.thread.index()].panics[i as usize];
            let first_line = p.message.lines().next().unwrap_or("");
            (format!("panicked: {first_line}"), p.location.clone())
        }
        EventKind::AssertionFailed(mark) => {
            let what = match ex.assertions.site(mark) {
                Some(site) => format!("{} failed: {:?}", site.kind.macro_name(), site.message),
                None => "assertion failed".to_string(),
            };
            (what, location(event.location))
        }
    };
    (labels[event.thread.index()].clone(), what, at)
}

/// Object `i`'s line of a trace's `where:` section.
pub(crate) fn object_line(ex: &Execution, i: usize) -> String {
    let label = ex.objects.label(crate::ids::ObjectId(i as u32));
    format!("{label} was created at {}", location(ex.objects.records[i].created))
}

/// A trace from its event lines and object lines: numbered, aligned, long
/// ones elided in the middle.
pub(crate) fn format_trace(lines: &[TraceLine], objects: &[String]) -> String {
    let width = lines.iter().map(|l| l.0.len()).max().unwrap_or(4);
    let number_width = lines.len().to_string().len() + 2;
    let what_width = lines.iter().map(|l| l.1.len()).max().unwrap_or(0).min(64);
    let mut out = String::with_capacity(lines.len() * (width + what_width + 48) + 64);
    let elide = lines.len() > MAX_PRINTED_EVENTS;
    for (i, (who, what, at)) in lines.iter().enumerate() {
        if elide && i == PRINTED_HEAD {
            let skipped = lines.len() - MAX_PRINTED_EVENTS;
            let _ = writeln!(out, "  {:>number_width$} ... {skipped} events elided ...", "");
            continue;
        }
        if elide && i > PRINTED_HEAD && i < PRINTED_HEAD + (lines.len() - MAX_PRINTED_EVENTS) {
            continue;
        }
        // By hand rather than with `writeln!` and padded arguments: a bug
        // model's run spent more on formatting its trace than on its
        // executions. The same text: numbers right-aligned, the rest
        // padded by characters as `{:<w$}` pads.
        let number = i + 1;
        let digits = number.ilog10() as usize + 1;
        out.push_str("  ");
        pad(&mut out, number_width.saturating_sub(digits + 2));
        out.push('(');
        push_number(&mut out, number);
        out.push_str(") ");
        out.push_str(who);
        pad(&mut out, width.saturating_sub(who.chars().count()));
        out.push_str("  ");
        out.push_str(what);
        pad(&mut out, what_width.saturating_sub(what.chars().count()));
        out.push_str("  ");
        out.push_str(at);
        out.push('\n');
    }
    if lines.is_empty() {
        let _ = writeln!(out, "  (no events: it failed before any operation on shared state)");
    }
    if !objects.is_empty() {
        let _ = writeln!(out, "  where:");
        for o in objects {
            let _ = writeln!(out, "    {o}");
        }
    }
    out
}

/// Appends `n` spaces.
fn pad(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// Appends `n` in decimal.
fn push_number(out: &mut String, n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).expect("ASCII digits"));
}

/// Appends `v` as a value of type `ty` shows (as [`ValueType::render`]).
fn push_value(out: &mut String, ty: ValueType, v: u64) {
    match ty {
        ValueType::Bool => out.push_str(if v != 0 { "true" } else { "false" }),
        ValueType::Unsigned(_) => push_number(out, v as usize),
        ValueType::Signed(_) => {
            let s = ty.signed(v);
            if s < 0 {
                out.push('-');
            }
            push_number(out, s.unsigned_abs() as usize);
        }
        ValueType::Pointer => out.push_str(&ty.render(v)),
    }
}

/// Appends how a trace names `object`: `AtomicUsize#0`.
fn push_object(out: &mut String, ex: &Execution, object: crate::ids::ObjectId) {
    out.push_str(ex.objects.records[object.index()].type_name);
    out.push('#');
    push_number(out, object.index());
}

/// [`describe`] for the operations most traces are made of, written into
/// `out` without `format!` (the same text); false for the others.
fn describe_common(
    out: &mut String,
    ex: &Execution,
    op: &Op,
    reply: Reply,
    aux: u64,
    labels: &[String],
) -> bool {
    let ty = |id: crate::ids::ObjectId| match ex.objects.records[id.index()].state {
        ObjectState::Atomic { ty, .. } => ty,
        _ => ValueType::Unsigned(64),
    };
    match *op {
        Op::Load { object, ordering } => {
            push_object(out, ex, object);
            out.push_str(".load(");
            out.push_str(ordering.name());
            out.push_str(") -> ");
            push_value(out, ty(object), reply.value());
            out.push_str(&stale(ex, aux));
        }
        Op::Store { object, ordering, value } if aux == 0 => {
            push_object(out, ex, object);
            out.push_str(".store(");
            push_value(out, ty(object), value);
            out.push_str(", ");
            out.push_str(ordering.name());
            out.push(')');
        }
        Op::Rmw { object, ordering, kind, operand } => {
            let t = ty(object);
            let old = reply.value();
            push_object(out, ex, object);
            out.push('.');
            out.push_str(kind.method());
            out.push('(');
            push_value(out, t, operand);
            out.push_str(", ");
            out.push_str(ordering.name());
            out.push_str(") -> ");
            push_value(out, t, old);
            out.push_str(" (now ");
            push_value(out, t, t.apply(kind, old, operand));
            out.push(')');
            out.push_str(&stale(ex, aux));
        }
        Op::CompareExchange { object, success, failure, expected, new, weak } => {
            let Reply::Exchange { ok, previous } = reply else { return false };
            let t = ty(object);
            push_object(out, ex, object);
            out.push_str(if weak { ".compare_exchange_weak(" } else { ".compare_exchange(" });
            push_value(out, t, expected);
            out.push_str(", ");
            push_value(out, t, new);
            out.push_str(", ");
            out.push_str(success.name());
            out.push_str(", ");
            out.push_str(failure.name());
            out.push_str(if ok { ") -> Ok(" } else { ") -> Err(" });
            push_value(out, t, previous);
            out.push(')');
            out.push_str(&stale(ex, aux));
        }
        Op::Spawn => {
            let Reply::Spawned(t) = reply else { return false };
            out.push_str("spawns ");
            out.push_str(&labels[t.index()]);
        }
        Op::Join { thread } => {
            let panicked = !ex.threads[thread.index()].panics.is_empty();
            out.push_str("joins ");
            out.push_str(&labels[thread.index()]);
            out.push_str(if panicked { " -> Err(its panic)" } else { " -> Ok" });
        }
        Op::ArcDrop { object } => match reply {
            Reply::Value(0) => {
                out.push_str("drops the last handle of ");
                push_object(out, ex, object);
                out.push_str(": runs its destructor");
            }
            Reply::Value(left) => {
                out.push_str("drops a handle of ");
                push_object(out, ex, object);
                out.push_str(" (");
                push_number(out, left as usize);
                out.push_str(" left)");
            }
            _ => return false,
        },
        _ => return false,
    }
    true
}

fn describe(ex: &Execution, op: &Op, reply: Reply, aux: u64, labels: &[String]) -> String {
    let obj = |id: crate::ids::ObjectId| ex.objects.label(id);
    let ty = |id: crate::ids::ObjectId| match ex.objects.records[id.index()].state {
        ObjectState::Atomic { ty, .. } => ty,
        _ => ValueType::Unsigned(64),
    };
    let poisoned = |p: bool| if p { " (poisoned)" } else { "" };
    match *op {
        Op::Load { object, ordering } => {
            let t = ty(object);
            let v = t.render(reply.value());
            format!("{}.load({}) -> {v}{}", obj(object), ordering.name(), stale(ex, aux))
        }
        Op::Store { object, ordering, value } => {
            let placed = match aux {
                0 => String::new(),
                n => format!(" (before the {n} newest store(s) in modification order)"),
            };
            format!(
                "{}.store({}, {}){placed}",
                obj(object),
                ty(object).render(value),
                ordering.name()
            )
        }
        Op::Rmw { object, ordering, kind, operand } => {
            let t = ty(object);
            let old = reply.value();
            let new = t.apply(kind, old, operand);
            format!(
                "{}.{}({}, {}) -> {} (now {}){}",
                obj(object),
                kind.method(),
                t.render(operand),
                ordering.name(),
                t.render(old),
                t.render(new),
                stale(ex, aux)
            )
        }
        Op::CompareExchange { object, success, failure, expected, new, weak } => {
            let t = ty(object);
            let result = match reply {
                Reply::Exchange { ok: true, previous } => format!("Ok({})", t.render(previous)),
                Reply::Exchange { ok: false, previous } => format!("Err({})", t.render(previous)),
                other => format!("{other:?}"),
            };
            format!(
                "{}.compare_exchange{}({}, {}, {}, {}) -> {result}{}",
                obj(object),
                if weak { "_weak" } else { "" },
                t.render(expected),
                t.render(new),
                success.name(),
                failure.name(),
                stale(ex, aux)
            )
        }
        Op::Lock { object } => match reply {
            Reply::Locked { poisoned: p } => {
                format!("{}.lock() -> acquired{}", obj(object), poisoned(p))
            }
            _ => format!("{}.lock()", obj(object)),
        },
        Op::TryLock { object } => match reply {
            Reply::TryLocked { acquired: true, poisoned: p } => {
                format!("{}.try_lock() -> acquired{}", obj(object), poisoned(p))
            }
            _ => format!("{}.try_lock() -> WouldBlock", obj(object)),
        },
        Op::Unlock { object, poison } => {
            let how = if poison { ", poisoning it (the thread is panicking)" } else { "" };
            format!("{} unlocked (guard dropped){how}", obj(object))
        }
        Op::Wait { condvar, mutex, timed } => {
            let what = if timed { "wait_timeout" } else { "wait" };
            format!("{}.{what}(): unlocks {} and sleeps", obj(condvar), obj(mutex))
        }
        Op::Relock { condvar, mutex, timed, .. } => {
            let p = matches!(
                reply,
                Reply::Locked { poisoned: true } | Reply::TimedOut { poisoned: true }
            );
            let how = match reply {
                Reply::TimedOut { .. } if timed => " (timed out)",
                Reply::TimedOut { .. } => " (spurious wake-up: not notified)",
                _ => "",
            };
            format!(
                "wakes from {}.wait(){how}, relocks {}{}",
                obj(condvar),
                obj(mutex),
                poisoned(p)
            )
        }
        Op::ReadLock { object } | Op::WriteLock { object } => {
            let how = if matches!(op, Op::ReadLock { .. }) { "read" } else { "write" };
            let p = matches!(reply, Reply::Locked { poisoned: true });
            format!("{}.{how}() -> acquired{}", obj(object), poisoned(p))
        }
        Op::TryRead { object } | Op::TryWrite { object } => {
            let how = if matches!(op, Op::TryRead { .. }) { "try_read" } else { "try_write" };
            match reply {
                Reply::TryLocked { acquired: true, poisoned: p } => {
                    format!("{}.{how}() -> acquired{}", obj(object), poisoned(p))
                }
                _ => format!("{}.{how}() -> WouldBlock", obj(object)),
            }
        }
        Op::ReadUnlock { object } => format!("{} read-unlocked (guard dropped)", obj(object)),
        Op::WriteUnlock { object, poison } => {
            let how = if poison { ", poisoning it (the thread is panicking)" } else { "" };
            format!("{} write-unlocked (guard dropped){how}", obj(object))
        }
        Op::PoisonFlag { object, clear } => {
            let was = matches!(reply, Reply::Value(1));
            if clear {
                format!("{}.clear_poison() (was poisoned: {was})", obj(object))
            } else {
                format!("{}.is_poisoned() -> {was}", obj(object))
            }
        }
        Op::Notify { condvar, all: false } => match aux {
            0 => format!("{}.notify_one() -> nobody waits", obj(condvar)),
            t => format!("{}.notify_one() -> wakes {}", obj(condvar), labels[(t - 1) as usize]),
        },
        Op::Notify { condvar, all: true } => {
            format!("{}.notify_all() -> wakes {aux} thread(s)", obj(condvar))
        }
        Op::Spawn => match reply {
            Reply::Spawned(t) => format!("spawns {}", labels[t.index()]),
            _ => "spawn".to_string(),
        },
        Op::Join { thread } => {
            let panicked = ex.threads[thread.index()].died_of.is_some();
            let how = if panicked { "Err(its panic)" } else { "Ok" };
            format!("joins {} -> {how}", labels[thread.index()])
        }
        Op::Park => "park() -> token taken".to_string(),
        Op::TryPark { timed } => {
            let what = if timed { "park_timeout()" } else { "park()" };
            match reply {
                Reply::Value(1) => format!("{what} -> token taken"),
                _ if timed => format!("{what} -> timed out (no token)"),
                _ => format!("{what} -> spurious wake-up (no token)"),
            }
        }
        Op::Yield if aux & crate::execution::YIELD_IMPLICIT != 0 => {
            "spins: back where its last try started, the engine yields for it".to_string()
        }
        Op::Yield if aux & crate::execution::YIELD_SOFT != 0 => {
            "yield_now(): the wait's first, it goes on trying".to_string()
        }
        Op::Yield => "yield_now()".to_string(),
        Op::Fence => "fence(SeqCst)".to_string(),
        Op::Choose { max, random: false } => {
            format!("choose({}) = {}", u128::from(max) + 1, reply.value())
        }
        Op::Choose { max: u64::MAX, random: true } => format!("random u64 = {}", reply.value()),
        Op::Choose { max, random: true } => format!("random(0..={max}) = {}", reply.value()),
        Op::Unpark { thread } => format!("unparks {}", labels[thread.index()]),
        Op::ArcDrop { object } => match reply {
            Reply::Value(0) => {
                format!("drops the last handle of {}: runs its destructor", obj(object))
            }
            Reply::Value(left) => format!("drops a handle of {} ({left} left)", obj(object)),
            _ => format!("drops a handle of {}", obj(object)),
        },
        Op::ArcTryUnwrap { object } => match reply {
            Reply::Exchange { ok: true, .. } => {
                format!("{}: try_unwrap -> Ok (the last handle)", obj(object))
            }
            Reply::Exchange { previous, .. } => {
                format!("{}: try_unwrap -> Err ({previous} handles)", obj(object))
            }
            _ => format!("{}: try_unwrap", obj(object)),
        },
        Op::ArcCount { object, weak } => {
            let what = if weak { "weak_count" } else { "strong_count" };
            match reply {
                Reply::Value(n) => format!("{}: {what} -> {n}", obj(object)),
                _ => format!("{}: {what}", obj(object)),
            }
        }
        Op::WeakUpgrade { object } => match reply {
            Reply::Exchange { ok: true, previous } => {
                format!("{}: upgrade -> Some ({previous} strong handle(s) before)", obj(object))
            }
            _ => format!("{}: upgrade -> None (the last strong handle is gone)", obj(object)),
        },
        Op::StaticUse => match reply {
            Reply::Value(1) => "uses a lazy static after the model body returned".to_string(),
            _ => "uses a lazy static".to_string(),
        },
        Op::Exit => "returns from the model body: the program exits".to_string(),
    }
}

/// The command that replays `path` in the program running now.
///
/// `caller` is the name of the OS thread that called `model`: the test
/// harness names it after the test. The command also sets the settings
/// that change which alternatives a decision has, where a replay started
/// by hand could resolve them otherwise: whether compare-exchanges read
/// older stores follows the preemption bound, which a replay need not set.
pub(crate) fn replay_command(path: &str, caller: Option<&str>, config: &Config) -> String {
    let model_name = config.name.as_deref();
    let release = if cfg!(debug_assertions) { "" } else { " --release" };
    // How this process was started does not change while it runs: looked
    // up once (a failing run of a small model spent a tenth of its time here).
    let launch = LAUNCH.get_or_init(Launch::of_this_process);
    let Launch { rustflags, exe, stem, parent, package, args } = launch;
    let (stem, parent) = (stem.as_str(), parent.as_str());
    let package = package.clone();
    let settings = format!(
        "{}{}",
        if config.reads_stale_cas() { "" } else { "CHECKER_STALE_CAS=0 " },
        if config.times_out_eagerly() { "" } else { "CHECKER_EAGER_TIMEOUTS=0 " }
    );
    let env = format!("CHECKER_REPLAY={path} {settings}{rustflags}");
    match caller {
        Some(test) if test != "main" => {
            // A test binary: `<name>-<hash>` under deps/.
            let target = match stem.rsplit_once('-') {
                Some((name, hash)) if hash.len() == 16 && parent == "deps" => {
                    let is_lib =
                        package.as_deref().map(|p| p.replace('-', "_")) == Some(name.to_string());
                    if is_lib { " --lib".to_string() } else { format!(" --test {name}") }
                }
                _ => String::new(),
            };
            let pkg = package.map(|p| format!(" -p {p}")).unwrap_or_default();
            format!("{env}cargo test{release}{pkg}{target} -- --exact {test}")
        }
        _ if parent == "examples" => {
            let args = match model_name {
                Some(name) => format!(" -- {name}"),
                None => args.clone(),
            };
            format!("{env}cargo run{release} --example {stem}{args}")
        }
        _ => {
            let program =
                exe.as_ref().map(|e| e.display().to_string()).unwrap_or_else(|| stem.to_string());
            format!("{env}{program}{}", args.replacen(" --", "", 1))
        }
    }
}

/// What a replay command takes from how this process was started.
struct Launch {
    /// `RUSTFLAGS="..." ` when they are set, else empty.
    rustflags: String,
    exe: Option<std::path::PathBuf>,
    /// The executable's file stem, and the name of its directory.
    stem: String,
    parent: String,
    /// `CARGO_PKG_NAME`.
    package: Option<String>,
    /// ` -- arg1 arg2`, or empty without arguments.
    args: String,
}

static LAUNCH: std::sync::OnceLock<Launch> = std::sync::OnceLock::new();

impl Launch {
    fn of_this_process() -> Launch {
        let rustflags = match std::env::var("RUSTFLAGS") {
            Ok(flags) if !flags.trim().is_empty() => format!("RUSTFLAGS=\"{}\" ", flags.trim()),
            _ => String::new(),
        };
        let exe = std::env::current_exe().ok();
        let stem = exe
            .as_ref()
            .and_then(|e| e.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = exe
            .as_ref()
            .and_then(|e| e.parent())
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let package = std::env::var("CARGO_PKG_NAME").ok();
        let args: Vec<String> = std::env::args().skip(1).collect();
        let args = if args.is_empty() { String::new() } else { format!(" -- {}", args.join(" ")) };
        Launch { rustflags, exe, stem, parent, package, args }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written descriptions say what `describe`'s `format!`s say.
    #[test]
    fn common_operations_are_described_as_format_describes_them() {
        use crate::ids::ObjectId;
        use crate::objects::{ObjectRecord, ObjectState};
        use crate::op::{MemoryOrdering as O, RmwKind};
        let mut ex = Execution::new();
        ex.reset(1);
        let here = std::panic::Location::caller();
        for ty in
            [ValueType::Bool, ValueType::Unsigned(64), ValueType::Signed(32), ValueType::Pointer]
        {
            let state = ObjectState::Atomic { value: 0, ty };
            ex.objects.records.push(ObjectRecord { type_name: "AtomicX", created: here, state });
        }
        let state = ObjectState::Arc { count: 1, weak: 0 };
        ex.objects.records.push(ObjectRecord { type_name: "Arc", created: here, state });
        let labels = vec!["main".to_string(), "'worker'".to_string()];
        let mut ops: Vec<(Op, Reply, u64)> = Vec::new();
        for o in 0..4 {
            let object = ObjectId(o);
            let minus = (-5i64) as u64;
            for v in [0, 1, 42, minus] {
                ops.push((Op::Load { object, ordering: O::Acquire }, Reply::Value(v), 0));
                ops.push((Op::Store { object, ordering: O::SeqCst, value: v }, Reply::Done, 0));
                let rmw = Op::Rmw { object, ordering: O::AcqRel, kind: RmwKind::Sub, operand: 7 };
                ops.push((rmw, Reply::Value(v), 0));
                for ok in [true, false] {
                    let cas = Op::CompareExchange {
                        object,
                        success: O::SeqCst,
                        failure: O::Relaxed,
                        expected: v,
                        new: minus,
                        weak: ok,
                    };
                    ops.push((cas, Reply::Exchange { ok, previous: v }, 0));
                }
            }
        }
        let arc = ObjectId(4);
        ops.push((Op::ArcDrop { object: arc }, Reply::Value(0), 0));
        ops.push((Op::ArcDrop { object: arc }, Reply::Value(3), 0));
        ops.push((Op::Spawn, Reply::Spawned(crate::ids::ThreadId(1)), 0));
        ops.push((Op::Join { thread: crate::ids::ThreadId(0) }, Reply::Done, 0));
        for (op, reply, aux) in ops {
            let mut fast = String::new();
            assert!(describe_common(&mut fast, &ex, &op, reply, aux, &labels), "{op:?}");
            assert_eq!(fast, describe(&ex, &op, reply, aux, &labels), "{op:?}");
        }
    }

    #[test]
    fn every_failure_kind_is_listed_once_with_its_own_name() {
        // The match fails to compile when a kind is added: add it to ALL.
        let listed = |k: FailureKind| match k {
            FailureKind::Panic
            | FailureKind::PanicWhileUnwinding
            | FailureKind::Deadlock
            | FailureKind::LeftBlocked
            | FailureKind::StepBound
            | FailureKind::TooManyThreads
            | FailureKind::MutexRelocked
            | FailureKind::RwLockRelocked
            | FailureKind::Nondeterminism
            | FailureKind::StackOverflow
            | FailureKind::DataRace
            | FailureKind::Leak
            | FailureKind::AssertionFailed
            | FailureKind::TimelineDied => FailureKind::ALL.contains(&k),
        };
        assert!(FailureKind::ALL.into_iter().all(listed));
        let names: std::collections::BTreeSet<_> =
            FailureKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), FailureKind::ALL.len(), "names are distinct");
    }
}
