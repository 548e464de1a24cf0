//! The crates whose loom suites the benchmark runs: each pinned to one
//! published version, with the flags, cfgs, features and environment its
//! project's CI runs the loom tests with.
//!
//! Only crates that ship their loom tests in the published `.crate` and
//! require `loom = "0.7"` can be in the table: the facade is loom 0.7.99, so
//! `[patch.crates-io]` replaces no other major version. papers/realworld.md
//! lists the crates considered and why the others are left out.

/// One crate's loom suite as its CI runs it.
pub struct Suite {
    /// The crate's name on crates.io.
    pub name: &'static str,
    /// The exact version fetched (`=version`), so that runs are comparable.
    pub version: &'static str,
    /// The arguments of `cargo test` that select the profile, the test
    /// targets and the features (never `--no-run`: the runner adds it).
    pub cargo_args: &'static [&'static str],
    /// `RUSTFLAGS` of the CI job (the cfg that switches the crate to loom).
    pub rustflags: &'static str,
    /// The other variables the CI job sets (`LOOM_MAX_PREEMPTIONS`, ...).
    pub env: &'static [(&'static str, &'static str)],
    /// The test-name filters the CI job passes to the harness (a test runs
    /// when its name contains one of them); empty: every test.
    pub filters: &'static [&'static str],
    /// Where the CI command comes from, for the record.
    pub ci: &'static str,
}

/// Every suite, cheapest build first.
pub const SUITES: &[Suite] = &[
    Suite {
        name: "concurrent-queue",
        version: "2.5.0",
        cargo_args: &["--release", "--test", "loom", "--features", "loom"],
        rustflags: "--cfg loom",
        env: &[("LOOM_MAX_PREEMPTIONS", "4")],
        filters: &[],
        ci: "ci.yml, job `loom`",
    },
    Suite {
        name: "event-listener",
        version: "5.4.2",
        cargo_args: &["--release", "--test", "loom", "--features", "loom"],
        rustflags: "--cfg loom",
        env: &[],
        filters: &[],
        ci: "ci.yml, job `loom` (no preemption bound)",
    },
    Suite {
        name: "parking",
        version: "2.2.1",
        cargo_args: &["--test", "loom", "--features", "loom"],
        rustflags: "--cfg loom",
        env: &[("LOOM_MAX_PREEMPTIONS", "2")],
        filters: &[],
        ci: "ci.yml, job `test` (debug build)",
    },
    Suite {
        name: "left-right",
        version: "0.11.8",
        cargo_args: &["--release", "--test", "loom"],
        rustflags: "--cfg loom",
        env: &[("LOOM_MAX_PREEMPTIONS", "3")],
        filters: &[],
        ci: "safety.yml, job `loom`",
    },
    Suite {
        name: "haphazard",
        version: "0.1.8",
        cargo_args: &["--release", "--test", "loom"],
        rustflags: "--cfg loom",
        env: &[("LOOM_MAX_PREEMPTIONS", "2")],
        filters: &[],
        ci: "safety.yml, job `loom`",
    },
    Suite {
        name: "crossbeam-epoch",
        version: "0.9.21",
        cargo_args: &["--release", "--test", "loom", "--features", "loom"],
        rustflags: "--cfg crossbeam_loom --cfg crossbeam_sanitize",
        env: &[("LOOM_MAX_PREEMPTIONS", "2")],
        filters: &[],
        ci: "ci/crossbeam-epoch-loom.sh",
    },
    Suite {
        name: "bytes",
        version: "1.12.2",
        cargo_args: &["--lib"],
        rustflags: "--cfg loom -Dwarnings",
        env: &[],
        filters: &[],
        ci: "ci.yml, job `loom` (debug build)",
    },
    Suite {
        name: "oneshot",
        version: "0.2.1",
        // CI runs every feature combination that includes `loom`
        // (cargo hack --feature-powerset); the full one compiles every test.
        cargo_args: &["--features", "loom,std,async"],
        rustflags: "--cfg oneshot_loom",
        env: &[("LOOM_MAX_BRANCHES", "100000")],
        filters: &[],
        ci: "build-and-test.yml, step `Test with loom` (debug build)",
    },
    Suite {
        name: "tokio",
        version: "1.54.1",
        // `test-util` too: in tokio's workspace, tokio-test's path dependency
        // on tokio turns it on (feature unification), and the loom tests
        // use it (`start_paused`); the published crate's dev-dependencies
        // come from crates.io and unify nothing.
        cargo_args: &["--lib", "--release", "--features", "full,test-util"],
        rustflags: "-Dwarnings --cfg loom --cfg tokio_unstable -C debug_assertions",
        env: &[
            ("LOOM_MAX_PREEMPTIONS", "2"),
            ("LOOM_MAX_BRANCHES", "10000"),
            ("RUST_BACKTRACE", "1"),
        ],
        // The scopes of loom.yml's jobs; the lib's other loom tests
        // (loom_join_set, loom_local, loom_multi_thread::queue, ...) are not
        // run by it.
        filters: &[
            "loom_blocking",
            "sync::tests",
            "runtime::time",
            "loom_current_thread",
            "loom_multi_thread::group_a",
            "loom_multi_thread::group_b",
            "loom_multi_thread::group_c",
            "loom_multi_thread::group_d",
        ],
        ci: "loom.yml, jobs loom-blocking, loom-sync, loom-time-driver, loom-current-thread, \
             loom-multi-thread",
    },
    Suite {
        name: "tokio-util",
        version: "0.7.20",
        cargo_args: &["--lib", "--release", "--features", "full"],
        rustflags: "-Dwarnings --cfg loom --cfg tokio_unstable -C debug_assertions",
        env: &[
            ("LOOM_MAX_PREEMPTIONS", "2"),
            ("LOOM_MAX_BRANCHES", "10000"),
            ("RUST_BACKTRACE", "1"),
        ],
        filters: &[],
        ci: "tokio's loom.yml, job loom-util",
    },
];
