//! Checkpoints: an exploration's state saved to a file, and resumed from it.
//!
//! A run with a checkpoint file saves every `checkpoint_interval`
//! executions and when it ends; a run that finds the file resumes where it
//! stopped. What is saved is what crosses execution boundaries: the run's
//! counters and the strategy's state ([`Strategy::save`]); everything an
//! execution computes for itself (DPOR's race analysis) is computed again.
//!
//! The format is line-oriented text, written by hand (no serialisation
//! crate), and versioned: a file of another [`VERSION`] is refused, with no
//! promise of compatibility across versions. Each line is a tag and its
//! tokens, separated by spaces:
//!
//! ```text
//! checker-checkpoint 1
//! strategy dpor
//! bound none
//! config spurious_wakeups=0 spin_assume=1 explicit_explore=0 count_traces=0 stale_cas=1 eager_timeouts=1
//! model tests::it_works checker_tests::models::lost_update
//! executions 1200
//! longest 31
//! status running                          (or verified, failed)
//! traces [ 3f09... ]                      (with count_traces)
//! graphs [ 7a11... ]                      (with count_traces)
//! failure-kind leak                       (failed: the report,
//! failure-execution 17                     text escaped with \n, \\)
//! failure-message ...
//! failure-trace ...
//! failure-path ...
//! failure-command ...
//! state
//! ...                                     (the strategy's lines)
//! end
//! ```
//!
//! A strategy's lines are records of values that implement [`Encode`] and
//! [`Decode`]: numbers, `-` for `None`, sequences in `[ ]`, ids as `t3`
//! (thread) and `o5` (object). [`fields!`] implements both for a struct
//! from its field list, so a strategy names what it saves and this module
//! does the rest. The trailing `end` line tells a complete file from a cut
//! one; files are written to a temporary name and renamed, so a run killed
//! while saving leaves the previous checkpoint.

use std::collections::BTreeSet;
use std::fmt::{self, Display};
use std::path::Path;

use smallvec::SmallVec;

use super::Strategy;
use crate::config::{Config, StrategyKind};
use crate::dependence::{Access, AccessKind, Source, Target};
use crate::ids::{ObjectId, ThreadId};
use crate::report::{FailureKind, Report};

/// The format version this checker writes and reads. 3: yield turns and
/// spawns in the dependence relation (what a version-2 file's DPOR state
/// assumed no longer holds). 5: the `eager_timeouts` setting. 6: the
/// options a DPOR data decision skips.
pub const VERSION: u32 = 6;

const MAGIC: &str = "checker-checkpoint";

/// A checkpoint that could not be read: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// The 1-based line, or 0 for the file as a whole.
    pub line: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl FormatError {
    /// Saved state that parses but cannot be: `what` says why.
    pub fn inconsistent(what: impl Display) -> FormatError {
        FormatError { line: 0, message: format!("the saved state is inconsistent: {what}") }
    }
}

impl Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => f.write_str(&self.message),
            n => write!(f, "line {n}: {}", self.message),
        }
    }
}

/// Builds the text of a checkpoint.
#[derive(Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    /// Writes one line: `tag`, then `value`'s tokens.
    pub fn record<T: Encode + ?Sized>(&mut self, tag: &str, value: &T) {
        self.out.push_str(tag);
        value.encode(self);
        self.out.push('\n');
    }

    /// Writes one token of the current line.
    pub fn token(&mut self, token: impl Display) {
        use fmt::Write as _;
        let _ = write!(self.out, " {token}");
    }

    /// Writes one line: `tag`, then `text` with newlines escaped.
    fn text(&mut self, tag: &str, text: &str) {
        self.out.push_str(tag);
        self.out.push(' ');
        for c in text.chars() {
            match c {
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                c => self.out.push(c),
            }
        }
        self.out.push('\n');
    }
}

/// Reads the text of a checkpoint, line by line.
pub struct Reader<'a> {
    lines: std::iter::Peekable<std::iter::Enumerate<std::str::Lines<'a>>>,
    /// The tokens left on the current line.
    tokens: std::iter::Peekable<std::str::SplitWhitespace<'a>>,
    /// The current line, and its number from 1.
    current: &'a str,
    line: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Reader {
            lines: text.lines().enumerate().peekable(),
            tokens: "".split_whitespace().peekable(),
            current: "",
            line: 0,
        }
    }

    /// An error at the current line.
    pub fn error(&self, message: impl Into<String>) -> FormatError {
        FormatError { line: self.line, message: message.into() }
    }

    /// Does the next line carry `tag`?
    fn next_is(&mut self, tag: &str) -> bool {
        self.lines.peek().is_some_and(|(_, l)| l.split_whitespace().next() == Some(tag))
    }

    /// Moves to the next line, which must carry `tag`.
    fn start(&mut self, tag: &str) -> Result<(), FormatError> {
        let Some((i, line)) = self.lines.next() else {
            self.line += 1;
            return Err(self.error(format!("the file ends where a `{tag}` line was expected")));
        };
        self.line = i + 1;
        self.current = line;
        self.tokens = line.split_whitespace().peekable();
        match self.tokens.next() {
            Some(t) if t == tag => Ok(()),
            other => {
                Err(self.error(format!("expected a `{tag}` line, found `{}`", other.unwrap_or(""))))
            }
        }
    }

    /// Reads one line: `tag`, then a `T` that takes the whole line.
    pub fn record<T: Decode>(&mut self, tag: &str) -> Result<T, FormatError> {
        self.start(tag)?;
        let value = T::decode(self)?;
        match self.tokens.next() {
            None => Ok(value),
            Some(t) => Err(self.error(format!("unexpected `{t}` at the end of the line"))),
        }
    }

    /// Reads every consecutive `tag` line.
    pub fn records<T: Decode>(&mut self, tag: &str) -> Result<Vec<T>, FormatError> {
        let mut all = Vec::new();
        while self.next_is(tag) {
            all.push(self.record(tag)?);
        }
        Ok(all)
    }

    /// The next token of the current line.
    pub fn token(&mut self) -> Result<&'a str, FormatError> {
        self.tokens.next().ok_or_else(|| self.error("the line ends too early"))
    }

    fn peek(&mut self) -> Option<&'a str> {
        self.tokens.peek().copied()
    }

    /// A number token.
    fn number<N: std::str::FromStr>(&mut self) -> Result<N, FormatError> {
        let t = self.token()?;
        t.parse().map_err(|_| self.error(format!("expected a number, found `{t}`")))
    }

    /// A number token after a one-letter prefix (`t3`, `o5`).
    fn prefixed(&mut self, prefix: char, what: &str) -> Result<u32, FormatError> {
        let t = self.token()?;
        t.strip_prefix(prefix)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| self.error(format!("expected {what} (`{prefix}<n>`), found `{t}`")))
    }

    /// Reads a text line written by [`Writer::text`].
    fn text(&mut self, tag: &str) -> Result<String, FormatError> {
        self.start(tag)?;
        let raw = self.current.strip_prefix(tag).and_then(|r| r.strip_prefix(' ')).unwrap_or("");
        self.tokens = "".split_whitespace().peekable();
        let mut text = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                text.push(c);
                continue;
            }
            match chars.next() {
                Some('\\') => text.push('\\'),
                Some('n') => text.push('\n'),
                Some('r') => text.push('\r'),
                _ => return Err(self.error("a bad escape in a text line")),
            }
        }
        Ok(text)
    }
}

/// A value a strategy saves: written as tokens of one line.
pub trait Encode {
    /// Writes the value's tokens.
    fn encode(&self, w: &mut Writer);
}

/// A value a strategy restores: read from the tokens [`Encode`] wrote.
pub trait Decode: Sized {
    /// Reads the value's tokens.
    fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError>;
}

/// Implements [`Encode`] and [`Decode`] for a struct from its field list:
/// the fields' tokens, in that order. Every field must be listed (the
/// struct literal of `decode` says so if one is missing).
macro_rules! fields {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl $crate::strategy::checkpoint::Encode for $ty {
            fn encode(&self, w: &mut $crate::strategy::checkpoint::Writer) {
                $( $crate::strategy::checkpoint::Encode::encode(&self.$field, w); )*
            }
        }
        impl $crate::strategy::checkpoint::Decode for $ty {
            fn decode(
                r: &mut $crate::strategy::checkpoint::Reader<'_>,
            ) -> Result<Self, $crate::strategy::checkpoint::FormatError> {
                // Fields of a struct literal are evaluated in the order written.
                Ok($ty { $( $field: $crate::strategy::checkpoint::Decode::decode(r)?, )* })
            }
        }
    };
}
pub(crate) use fields;

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self, w: &mut Writer) {
                w.token(self);
            }
        }
        impl Decode for $t {
            fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError> {
                r.number()
            }
        }
    )*};
}
numbers!(u32, u64, usize);

impl Encode for bool {
    fn encode(&self, w: &mut Writer) {
        w.token(u8::from(*self));
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError> {
        match r.token()? {
            "0" => Ok(false),
            "1" => Ok(true),
            t => Err(r.error(format!("expected 0 or 1, found `{t}`"))),
        }
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, w: &mut Writer) {
        match self {
            None => w.token("-"),
            Some(v) => v.encode(w),
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError> {
        if r.peek() == Some("-") {
            r.token()?;
            return Ok(None);
        }
        T::decode(r).map(Some)
    }
}

impl<T: Encode> Encode for [T] {
    fn encode(&self, w: &mut Writer) {
        w.token("[");
        for v in self {
            v.encode(w);
        }
        w.token("]");
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, w: &mut Writer) {
        self.as_slice().encode(w);
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError> {
        match r.token()? {
            "[" => {}
            t => return Err(r.error(format!("expected `[`, found `{t}`"))),
        }
        let mut all = Vec::new();
        loop {
            match r.peek() {
                Some("]") => {
                    r.token()?;
                    return Ok(all);
                }
                Some(_) => all.push(T::decode(r)?),
                None => return Err(r.error("a sequence without its `]`")),
            }
        }
    }
}

impl<T: Encode, const N: usize> Encode for SmallVec<[T; N]> {
    fn encode(&self, w: &mut Writer) {
        self.as_slice().encode(w);
    }
}

impl<T: Decode, const N: usize> Decode for SmallVec<[T; N]> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError> {
        Vec::<T>::decode(r).map(SmallVec::from_vec)
    }
}

macro_rules! tuples {
    ($(($($name:ident),+)),*) => {$(
        impl<$($name: Encode),+> Encode for ($($name,)+) {
            #[allow(non_snake_case)]
            fn encode(&self, w: &mut Writer) {
                let ($($name,)+) = self;
                $($name.encode(w);)+
            }
        }
        impl<$($name: Decode),+> Decode for ($($name,)+) {
            fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError> {
                Ok(($($name::decode(r)?,)+))
            }
        }
    )*};
}
tuples!((A, B), (A, B, C), (A, B, C, D));

impl Encode for ThreadId {
    fn encode(&self, w: &mut Writer) {
        w.token(format_args!("t{}", self.0));
    }
}

impl Decode for ThreadId {
    fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError> {
        r.prefixed('t', "a thread").map(ThreadId)
    }
}

impl Encode for ObjectId {
    fn encode(&self, w: &mut Writer) {
        w.token(format_args!("o{}", self.0));
    }
}

impl Decode for ObjectId {
    fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError> {
        r.prefixed('o', "an object").map(ObjectId)
    }
}

impl Encode for Target {
    fn encode(&self, w: &mut Writer) {
        match *self {
            Target::Object(o) => o.encode(w),
            // A thread's park token.
            Target::Token(t) => w.token(format_args!("p{}", t.0)),
            Target::ScOrder => w.token(format_args!("sc")),
            Target::Turns => w.token(format_args!("turns")),
            Target::Spawns => w.token(format_args!("spawns")),
            Target::Statics => w.token(format_args!("statics")),
        }
    }
}

impl Decode for Target {
    fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError> {
        match r.peek() {
            Some("sc") => {
                r.token()?;
                Ok(Target::ScOrder)
            }
            Some("turns") => {
                r.token()?;
                Ok(Target::Turns)
            }
            Some("spawns") => {
                r.token()?;
                Ok(Target::Spawns)
            }
            Some("statics") => {
                r.token()?;
                Ok(Target::Statics)
            }
            Some(t) if t.starts_with('p') => {
                r.prefixed('p', "a park token").map(|t| Target::Token(ThreadId(t)))
            }
            _ => ObjectId::decode(r).map(Target::Object),
        }
    }
}

impl Encode for AccessKind {
    fn encode(&self, w: &mut Writer) {
        let name = match *self {
            AccessKind::Read => "read",
            AccessKind::Write => "write",
            AccessKind::Shared => "shared",
            AccessKind::Enqueue => "enqueue",
            AccessKind::Dequeue => "dequeue",
            AccessKind::Signal => "signal",
            AccessKind::Unpark => "unpark",
            AccessKind::Park => "park",
            AccessKind::Drop { remaining } => {
                w.token("drop");
                remaining.encode(w);
                return;
            }
            AccessKind::Count => "count",
            AccessKind::Upgrade => "upgrade",
            AccessKind::TurnWait => "turn-wait",
            AccessKind::TurnTake => "turn-take",
            AccessKind::Load { from, sc } => {
                w.token("load");
                from.encode(w);
                sc.encode(w);
                return;
            }
            AccessKind::Store { me, reads, from, sc } => {
                w.token("store");
                me.encode(w);
                reads.encode(w);
                from.encode(w);
                sc.encode(w);
                return;
            }
        };
        w.token(name);
    }
}

impl Encode for Source {
    fn encode(&self, w: &mut Writer) {
        match *self {
            Source::Initial => w.token("initial"),
            Source::Step { thread, position } => {
                thread.encode(w);
                position.encode(w);
            }
        }
    }
}

impl Decode for Source {
    fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError> {
        if r.peek() == Some("initial") {
            r.token()?;
            return Ok(Source::Initial);
        }
        Ok(Source::Step { thread: Decode::decode(r)?, position: Decode::decode(r)? })
    }
}

impl Decode for AccessKind {
    fn decode(r: &mut Reader<'_>) -> Result<Self, FormatError> {
        Ok(match r.token()? {
            "read" => AccessKind::Read,
            "write" => AccessKind::Write,
            "shared" => AccessKind::Shared,
            "enqueue" => AccessKind::Enqueue,
            "dequeue" => AccessKind::Dequeue,
            "signal" => AccessKind::Signal,
            "unpark" => AccessKind::Unpark,
            "park" => AccessKind::Park,
            "drop" => AccessKind::Drop { remaining: Decode::decode(r)? },
            "count" => AccessKind::Count,
            "upgrade" => AccessKind::Upgrade,
            "turn-wait" => AccessKind::TurnWait,
            "turn-take" => AccessKind::TurnTake,
            "load" => AccessKind::Load { from: Decode::decode(r)?, sc: Decode::decode(r)? },
            "store" => AccessKind::Store {
                me: Decode::decode(r)?,
                reads: Decode::decode(r)?,
                from: Decode::decode(r)?,
                sc: Decode::decode(r)?,
            },
            t => return Err(r.error(format!("expected an access kind, found `{t}`"))),
        })
    }
}

fields!(Access { target, kind });

/// How the saved run stood.
pub(crate) enum Status {
    /// Not finished: a resumed run goes on exploring.
    Running,
    /// Explored everything its strategy covers.
    Verified,
    /// Stopped at this failure.
    Failed(Box<Report>),
}

/// The run's counters, over every run of the exploration so far.
pub(crate) struct Progress {
    /// Executions run.
    pub(crate) executions: u64,
    /// Steps of the longest.
    pub(crate) longest: usize,
    /// With `count_traces`: the traces seen.
    pub(crate) traces: Option<BTreeSet<u64>>,
    /// With `count_traces`: the graphs seen.
    pub(crate) graphs: Option<BTreeSet<u64>>,
}

fn strategy_name(kind: StrategyKind) -> &'static str {
    match kind {
        StrategyKind::Dpor => "dpor",
        StrategyKind::Dfs => "dfs",
        // Never saved: explore refuses checkpoints for sampling strategies.
        StrategyKind::Random => "random",
        StrategyKind::Pct => "pct",
        StrategyKind::Pos => "pos",
        StrategyKind::Rff => "rff",
        StrategyKind::Auto => "auto",
    }
}

fn bound_text(bound: Option<usize>) -> String {
    bound.map_or_else(|| "none".to_string(), |b| b.to_string())
}

/// The settings, besides strategy and bound, that shape what a run
/// explores or counts: a checkpoint resumes only under the same ones.
fn settings(config: &Config) -> [(&'static str, bool); 6] {
    [
        ("spurious_wakeups", config.spurious_wakeups),
        ("spin_assume", config.spin_assume),
        ("explicit_explore", config.expect_explicit_explore),
        ("count_traces", config.count_traces),
        ("stale_cas", config.reads_stale_cas()),
        ("eager_timeouts", config.times_out_eagerly()),
    ]
}

/// What tells this model from others: its name (or the test, the thread,
/// that runs it) and the type of its body.
pub(crate) fn model_identity(config: &Config, caller: Option<&str>) -> String {
    let name = config.name.as_deref().or(caller).unwrap_or("(unnamed)");
    format!("{name} {}", config.body_type)
}

/// The text of a checkpoint of the run of `model` (see [`model_identity`]).
pub(crate) fn encode(
    model: &str,
    config: &Config,
    progress: &Progress,
    status: &Status,
    strategy: &dyn Strategy,
) -> String {
    let mut w = Writer::default();
    w.record(MAGIC, &VERSION);
    w.record("strategy", &Word(strategy_name(config.strategy)));
    w.record("bound", &Word(&bound_text(config.preemption_bound)));
    let settings = settings(config).map(|(name, on)| format!("{name}={}", u8::from(on)));
    w.record("config", &Words(&settings));
    w.text("model", model);
    w.record("executions", &progress.executions);
    w.record("longest", &progress.longest);
    let status_word = match status {
        Status::Running => "running",
        Status::Verified => "verified",
        Status::Failed(_) => "failed",
    };
    w.record("status", &Word(status_word));
    if let Some(traces) = &progress.traces {
        w.record("traces", &traces.iter().copied().collect::<Vec<u64>>());
    }
    if let Some(graphs) = &progress.graphs {
        w.record("graphs", &graphs.iter().copied().collect::<Vec<u64>>());
    }
    if let Status::Failed(report) = status {
        w.text("failure-kind", report.kind.name());
        w.record("failure-execution", &report.execution);
        w.text("failure-message", &report.message);
        w.text("failure-trace", &report.trace);
        w.text("failure-path", &report.path);
        w.text("failure-command", &report.command);
    }
    w.record("state", &Words(&[]));
    let saved = strategy.save(&mut w);
    debug_assert!(saved, "checkpoints are only taken with a strategy that saves");
    w.record("end", &Words(&[]));
    w.out
}

/// One word as a token.
struct Word<'a>(&'a str);

impl Encode for Word<'_> {
    fn encode(&self, w: &mut Writer) {
        w.token(self.0);
    }
}

/// Words as tokens, without brackets.
struct Words<'a>(&'a [String]);

impl Encode for Words<'_> {
    fn encode(&self, w: &mut Writer) {
        for word in self.0 {
            w.token(word);
        }
    }
}

/// Reads a checkpoint's text into `strategy`: the counters and how the run
/// stood. Refuses a file of another version, strategy, bound, settings or
/// model.
pub(crate) fn decode(
    text: &str,
    model: &str,
    config: &Config,
    strategy: &mut dyn Strategy,
) -> Result<(Progress, Status), FormatError> {
    let mut r = Reader::new(text);
    let first = text.lines().next().unwrap_or("");
    if first.split_whitespace().next() != Some(MAGIC) {
        return Err(FormatError {
            line: 1,
            message: format!("not a checker checkpoint (it does not start with `{MAGIC}`)"),
        });
    }
    r.start(MAGIC)?;
    let version: u32 = r.number()?;
    if version != VERSION {
        return Err(FormatError {
            line: 1,
            message: format!(
                "made by checkpoint format version {version}, and this checker reads version \
                 {VERSION} only (checkpoints do not carry over between versions)"
            ),
        });
    }
    let mismatch = |r: &Reader<'_>, what: &str, saved: &str, now: &str| {
        r.error(format!("made with {what} {saved}, but this run uses {now}"))
    };
    r.start("strategy")?;
    let saved = r.token()?;
    let now = strategy_name(config.strategy);
    if saved != now {
        return Err(mismatch(&r, "strategy", saved, now));
    }
    r.start("bound")?;
    let saved = r.token()?;
    let now = bound_text(config.preemption_bound);
    if saved != now {
        return Err(mismatch(&r, "preemption bound", saved, &now));
    }
    r.start("config")?;
    for (name, on) in settings(config) {
        let t = r.token()?;
        let Some(saved) = t.strip_prefix(name).and_then(|v| v.strip_prefix('=')) else {
            return Err(r.error(format!("expected `{name}=0` or `{name}=1`, found `{t}`")));
        };
        let now = u8::from(on).to_string();
        if saved != now {
            return Err(mismatch(&r, name, saved, &now));
        }
    }
    let saved = r.text("model")?;
    if saved != model {
        return Err(r.error(format!(
            "saved by another model (`{saved}`), not this one (`{model}`); give each model a \
             checkpoint file of its own"
        )));
    }
    let executions = r.record("executions")?;
    let longest = r.record("longest")?;
    r.start("status")?;
    let status = r.token()?;
    let traces = if r.next_is("traces") {
        Some(r.record::<Vec<u64>>("traces")?.into_iter().collect())
    } else {
        None
    };
    if config.count_traces && traces.is_none() {
        return Err(r.error("count_traces is on but the traces seen were not saved"));
    }
    // A file written before graphs were counted: the run counts none
    // rather than only those after the resumption.
    let graphs = if r.next_is("graphs") {
        Some(r.record::<Vec<u64>>("graphs")?.into_iter().collect())
    } else {
        None
    };
    let status = match status {
        "running" => Status::Running,
        "verified" => Status::Verified,
        "failed" => {
            let name = r.text("failure-kind")?;
            let Some(kind) = FailureKind::ALL.into_iter().find(|k| k.name() == name) else {
                return Err(r.error(format!("unknown failure kind `{name}`")));
            };
            let execution = r.record("failure-execution")?;
            let message = r.text("failure-message")?;
            let trace = r.text("failure-trace")?;
            let path = r.text("failure-path")?;
            let command = r.text("failure-command")?;
            Status::Failed(Box::new(Report { kind, message, trace, path, command, execution }))
        }
        other => return Err(r.error(format!("unknown status `{other}`"))),
    };
    r.start("state")?;
    strategy.load(&mut r)?;
    r.start("end")?;
    if let Some((i, line)) = r.lines.next() {
        return Err(FormatError { line: i + 1, message: format!("`{line}` after the end") });
    }
    Ok((Progress { executions, longest, traces, graphs }, status))
}

/// Writes `text` to `file` through a temporary file in the same directory,
/// renamed over it: a run killed meanwhile leaves the previous checkpoint.
pub(crate) fn write_file(file: &Path, text: &str) -> std::io::Result<()> {
    // Unique to this write: runs on other threads may save meanwhile.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut temporary = file.as_os_str().to_owned();
    temporary.push(format!(".{}-{n}.tmp", std::process::id()));
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_kind_reads_back_by_name() {
        for kind in FailureKind::ALL {
            assert_eq!(FailureKind::ALL.iter().filter(|k| k.name() == kind.name()).count(), 1);
        }
    }

    type Sample = (Option<ThreadId>, SmallVec<[Access; 2]>, (Option<u64>, bool), Vec<Vec<usize>>);

    #[test]
    fn values_and_text_round_trip() {
        let accesses: SmallVec<[Access; 2]> = SmallVec::from_vec(vec![
            Access {
                target: Target::Object(ObjectId(3)),
                kind: AccessKind::Drop { remaining: None },
            },
            Access {
                target: Target::Token(ThreadId(2)),
                kind: AccessKind::Drop { remaining: Some(4) },
            },
            Access { target: Target::Object(ObjectId(0)), kind: AccessKind::Write },
        ]);
        let value = (Some(ThreadId(1)), accesses, (None::<u64>, true), vec![vec![1usize], vec![]]);
        let mut w = Writer::default();
        w.record("x", &value);
        w.text("t", "two\nlines \\ and a backslash");
        let mut r = Reader::new(&w.out);
        let back: Sample = r.record("x").unwrap();
        assert_eq!(back.0, value.0);
        assert_eq!(back.1, value.1);
        assert_eq!(back.2, value.2);
        assert_eq!(back.3, value.3);
        assert_eq!(r.text("t").unwrap(), "two\nlines \\ and a backslash");
    }

    #[test]
    fn bad_tokens_name_their_line() {
        let mut r = Reader::new("x 1\nx [ 1 2\n");
        assert_eq!(r.record::<u64>("x").unwrap(), 1);
        let err = r.record::<Vec<u64>>("x").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(err.to_string().contains("without its `]`"), "{err}");
        let err = Reader::new("y 1").record::<u64>("x").unwrap_err();
        assert!(err.to_string().contains("expected a `x` line, found `y`"), "{err}");
    }
}
