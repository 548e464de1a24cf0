//! Assertion macros: safety properties that fail an execution, and
//! discovery properties that must hold at least once in the exploration.
//!
//! See the guide's "Assertions" section. None of these is a step or a
//! scheduling point: they run inline in the calling thread, so adding them
//! to a model does not change its executions. Each call site is a mark
//! whose id is a hash of its kind, message literal and location.
//!
//! Outside a model, `assert_always!`, `assert_always_or_unreachable!` and
//! `assert_unreachable!` panic as `assert!` does, and the discovery macros
//! only evaluate their arguments.

/// A value a numeric assertion can track: its watermark as an `i64`
/// (saturating for wider unsigned and 128-bit types; `bool` as 0 or 1).
pub trait Numeric: Copy {
    /// The value as a watermark.
    fn watermark(self) -> i64;
}

macro_rules! numeric_lossless {
    ($($t:ty),*) => {$(
        impl Numeric for $t {
            fn watermark(self) -> i64 {
                i64::from(self)
            }
        }
    )*};
}
numeric_lossless!(i8, i16, i32, i64, u8, u16, u32, bool);

macro_rules! numeric_saturating {
    ($($t:ty),*) => {$(
        impl Numeric for $t {
            fn watermark(self) -> i64 {
                i64::try_from(self).unwrap_or(if self > 0 as $t { i64::MAX } else { i64::MIN })
            }
        }
    )*};
}
numeric_saturating!(u64, u128, i128, usize, isize);

/// Defines the static site of one assertion call: its kind, message,
/// location, id, and the path of the item it lies in.
#[doc(hidden)]
#[macro_export]
macro_rules! __checker_site {
    ($name:ident, $kind:ident, $msg:literal) => {
        #[$crate::__private::linkme::distributed_slice($crate::__private::SITES)]
        #[linkme(crate = $crate::__private::linkme)]
        static $name: $crate::__private::Site = $crate::__private::Site::new(
            $crate::__private::MarkKind::$kind,
            $msg,
            ::core::file!(),
            ::core::line!(),
            ::core::column!(),
            {
                fn scope() -> &'static str {
                    fn here() {}
                    $crate::__private::type_name_of_val(&here)
                }
                scope
            },
        );
    };
}

/// Asserts that `cond` holds every time this line runs, and that it runs in
/// some execution.
///
/// In a model, a false `cond` fails the execution (kind "assertion
/// failed") with the formatted message, the trace and the replay command;
/// the thread stops there. A mark never reached is listed at the end of
/// the run like an unsatisfied `assert_sometimes!`. Outside a model: as
/// `assert!`. The message may take format arguments.
#[macro_export]
macro_rules! assert_always {
    ($cond:expr, $msg:literal $(, $($arg:tt)+)?) => {{
        $crate::__checker_site!(SITE, Always, $msg);
        let holds: bool = $cond;
        if !$crate::__private::boolean(&SITE, holds) {
            $crate::__private::failed(&SITE, ::core::format_args!($msg $(, $($arg)+)?));
        }
    }};
}

/// Asserts that `cond` holds every time this line runs; never running it is
/// fine. Fails like [`assert_always!`].
#[macro_export]
macro_rules! assert_always_or_unreachable {
    ($cond:expr, $msg:literal $(, $($arg:tt)+)?) => {{
        $crate::__checker_site!(SITE, AlwaysOrUnreachable, $msg);
        let holds: bool = $cond;
        if !$crate::__private::boolean(&SITE, holds) {
            $crate::__private::failed(&SITE, ::core::format_args!($msg $(, $($arg)+)?));
        }
    }};
}

/// Asserts that this line never runs: reaching it fails the execution like
/// a false [`assert_always!`].
#[macro_export]
macro_rules! assert_unreachable {
    ($msg:literal $(, $($arg:tt)+)?) => {{
        $crate::__checker_site!(SITE, Unreachable, $msg);
        $crate::__private::failed(&SITE, ::core::format_args!($msg $(, $($arg)+)?));
    }};
}

/// Asserts that `cond` holds in at least one evaluation of the whole
/// exploration. Never fails an execution; the first time it holds is a
/// discovery. Never satisfied: listed at the end of the run.
#[macro_export]
macro_rules! assert_sometimes {
    ($cond:expr, $msg:literal $(,)?) => {{
        $crate::__checker_site!(SITE, Sometimes, $msg);
        let holds: bool = $cond;
        $crate::__private::boolean(&SITE, holds);
    }};
}

/// Asserts that this line runs in some execution. The first time is a
/// discovery; never reached: listed at the end of the run.
#[macro_export]
macro_rules! assert_reachable {
    ($msg:literal $(,)?) => {{
        $crate::__checker_site!(SITE, Reachable, $msg);
        $crate::__private::boolean(&SITE, true);
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __checker_numeric {
    ($kind:ident, $op:tt, $a:expr, $b:expr, $msg:literal) => {{
        $crate::__checker_site!(SITE, $kind, $msg);
        match (&$a, &$b) {
            (a, b) => $crate::__private::numeric(
                &SITE,
                *a $op *b,
                $crate::__private::Numeric::watermark(*a),
            ),
        }
    }};
}

/// Asserts that `a > b` in some evaluation. Its watermark is the greatest
/// `a` seen: each improvement is a discovery (guidance towards `a > b`).
#[macro_export]
macro_rules! assert_sometimes_gt {
    ($a:expr, $b:expr, $msg:literal $(,)?) => {
        $crate::__checker_numeric!(SometimesGt, >, $a, $b, $msg)
    };
}

/// Asserts that `a >= b` in some evaluation; watermark: the greatest `a`.
#[macro_export]
macro_rules! assert_sometimes_ge {
    ($a:expr, $b:expr, $msg:literal $(,)?) => {
        $crate::__checker_numeric!(SometimesGe, >=, $a, $b, $msg)
    };
}

/// Asserts that `a < b` in some evaluation; watermark: the least `a`.
#[macro_export]
macro_rules! assert_sometimes_lt {
    ($a:expr, $b:expr, $msg:literal $(,)?) => {
        $crate::__checker_numeric!(SometimesLt, <, $a, $b, $msg)
    };
}

/// Asserts that `a <= b` in some evaluation; watermark: the least `a`.
#[macro_export]
macro_rules! assert_sometimes_le {
    ($a:expr, $b:expr, $msg:literal $(,)?) => {
        $crate::__checker_numeric!(SometimesLe, <=, $a, $b, $msg)
    };
}

/// Asserts that all named conditions hold together in some evaluation:
/// `assert_sometimes_all!("msg", [("a", a), ("b", b)])`. More conditions
/// holding together than ever before is a discovery (the frontier).
#[macro_export]
macro_rules! assert_sometimes_all {
    ($msg:literal, [$(($name:expr, $cond:expr)),+ $(,)?] $(,)?) => {{
        $crate::__checker_site!(SITE, SometimesAll, $msg);
        let conditions: &[bool] = &[$({
            let _: &str = $name;
            $cond
        }),+];
        $crate::__private::all(&SITE, conditions);
    }};
}

/// Every combination of the key values is a discovery the first time it
/// is seen, and so is a better quality for it:
/// `assert_sometimes_each!("msg", [k1, k2], [q1, q2])` (the quality list is
/// optional). Qualities compare lexicographically, greater is better.
/// Keys and qualities are integers (or `bool`).
#[macro_export]
macro_rules! assert_sometimes_each {
    ($msg:literal, [$($key:expr),+ $(,)?] $(,)?) => {
        $crate::assert_sometimes_each!($msg, [$($key),+], [])
    };
    ($msg:literal, [$($key:expr),+ $(,)?], [$($quality:expr),* $(,)?] $(,)?) => {{
        $crate::__checker_site!(SITE, SometimesEach, $msg);
        let keys: &[i64] = &[$($crate::__private::Numeric::watermark($key)),+];
        let quality: &[i64] = &[$($crate::__private::Numeric::watermark($quality)),*];
        $crate::__private::each(&SITE, keys, quality);
    }};
}
