//! What the benchmark asks of cargo: fetching a suite's crate into cargo's
//! registry, making two working copies of it under `target/realworld/`
//! (one per side), building its tests on each side, and listing them.
//!
//! Nothing fetched ever lands in the repository: the crate's sources stay
//! in cargo's registry, the working copies and every build under the
//! workspace's `target/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::suites::Suite;

/// Which loom a build or a run uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Side {
    /// loom 0.7 from crates.io, as the crate is published.
    Loom,
    /// checker, through `[patch.crates-io] loom = { path = <loom-facade> }`.
    Checker,
}

impl Side {
    /// Both sides, in the order they run.
    pub const BOTH: [Side; 2] = [Side::Loom, Side::Checker];

    /// The side's name in paths and tables.
    pub fn name(self) -> &'static str {
        match self {
            Side::Loom => "loom",
            Side::Checker => "checker",
        }
    }
}

/// Where everything of a run lives: `<workspace>/target/realworld/`.
pub struct Dirs {
    /// The workspace root (its `loom-facade/` is the patch).
    pub workspace: PathBuf,
    /// `target/realworld/`.
    pub work: PathBuf,
}

impl Dirs {
    /// The directories of the workspace this benchmark was built in.
    pub fn new() -> Dirs {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("benches/ lies inside the workspace")
            .to_path_buf();
        let work = workspace.join("target").join("realworld");
        Dirs { workspace, work }
    }

    /// The target directory of one side, shared by all crates of that side
    /// (their common dependencies build once) and never by the two sides,
    /// so the patch cannot leak into loom's builds.
    fn target_dir(&self, side: Side) -> PathBuf {
        self.work.join("target").join(side.name())
    }

    /// The working copy of `suite` for `side`.
    fn copy_dir(&self, suite: &Suite, side: Side) -> PathBuf {
        self.work.join("src").join(side.name()).join(format!("{}-{}", suite.name, suite.version))
    }

    /// Where the logs of builds and failing tests go.
    pub fn log_dir(&self, side: Side) -> PathBuf {
        self.work.join("logs").join(side.name())
    }
}

/// Runs `command`, returning its stdout, or an error with its stderr.
fn output(command: &mut Command, what: &str) -> Result<String, String> {
    let out = command.output().map_err(|e| format!("{what}: cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("{what} failed:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The string value that follows `key` (as `"key":"`) in a line of cargo's
/// JSON, unescaped only for what paths and names contain (none of cargo's
/// escapes are expected in them; a value with a backslash is refused).
fn json_string<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let value = &line[start..start + line[start..].find('"')?];
    (!value.contains('\\')).then_some(value)
}

/// Fetches `suite`'s crate at its pinned version into cargo's registry
/// through a throw-away package that depends on it, and returns the
/// directory of its unpacked sources.
pub fn fetch(dirs: &Dirs, suite: &Suite) -> Result<PathBuf, String> {
    let package = dirs.work.join("fetch").join(format!("{}-{}", suite.name, suite.version));
    fs::create_dir_all(package.join("src")).map_err(|e| format!("{}: {e}", package.display()))?;
    let manifest = format!(
        "[package]\nname = \"realworld-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         publish = false\n\n[workspace]\n\n[dependencies]\n{} = \"={}\"\n",
        suite.name, suite.version
    );
    let write = |path: PathBuf, text: &str| {
        fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write(package.join("Cargo.toml"), &manifest)?;
    write(package.join("src").join("lib.rs"), "")?;
    let metadata = output(
        Command::new("cargo")
            .args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(package.join("Cargo.toml")),
        &format!("fetching {} {}", suite.name, suite.version),
    )?;
    let wanted = format!("/{}-{}/Cargo.toml", suite.name, suite.version);
    metadata
        .split("\"manifest_path\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|path| path.ends_with(&wanted) && !path.starts_with(&*package.to_string_lossy()))
        .map(|path| Path::new(path).parent().expect("a manifest has a folder").to_path_buf())
        .ok_or(format!(
            "cargo metadata did not list {} {} among the fetched packages",
            suite.name, suite.version
        ))
}

/// Copies the directory `from` to `to` recursively (files and folders only:
/// a published crate has no symbolic links).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Makes a fresh working copy of the sources at `sources` for `side`. Its
/// manifest gets an empty `[workspace]` table: the copy lies inside this
/// workspace's folder, and must be a workspace of its own.
pub fn working_copy(
    dirs: &Dirs,
    suite: &Suite,
    side: Side,
    sources: &Path,
) -> Result<PathBuf, String> {
    let copy = dirs.copy_dir(suite, side);
    let fail = |e: std::io::Error| format!("working copy {}: {e}", copy.display());
    if copy.exists() {
        fs::remove_dir_all(&copy).map_err(fail)?;
    }
    copy_tree(sources, &copy).map_err(fail)?;
    let manifest = copy.join("Cargo.toml");
    let text = fs::read_to_string(&manifest).map_err(fail)?;
    if !text.lines().any(|line| line.trim() == "[workspace]") {
        fs::write(&manifest, format!("{text}\n[workspace]\n")).map_err(fail)?;
    }
    Ok(copy)
}

/// The `--config` argument that patches crates-io's `loom` with the facade.
fn patch_config(dirs: &Dirs) -> String {
    let facade = dirs.workspace.join("loom-facade");
    format!("patch.crates-io.loom.path={:?}", facade.display())
}

/// The loom 0.7 versions a crate's shipped `Cargo.lock` pins.
fn locked_loom_versions(lock: &str) -> Vec<&str> {
    let lines: Vec<&str> = lock.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|pair| pair[0] == "name = \"loom\"")
        .filter_map(|pair| pair[1].strip_prefix("version = \"")?.strip_suffix('"'))
        .filter(|version| version.starts_with("0.7."))
        .collect()
}

/// Moves the `Cargo.lock` of checker's working copy from the loom it pins
/// to the facade. cargo keeps a locked version over a patch of another
/// version (it warns that the patch "was not used in the crate graph"), so
/// a crate that ships its lock file would otherwise build with loom.
pub fn lock_to_facade(dirs: &Dirs, copy: &Path) -> Result<(), String> {
    let Ok(lock) = fs::read_to_string(copy.join("Cargo.lock")) else { return Ok(()) };
    for version in locked_loom_versions(&lock) {
        output(
            Command::new("cargo")
                .current_dir(copy)
                .args(["update", "--config", &patch_config(dirs), "-p"])
                .arg(format!("loom@{version}")),
            &format!("moving {}'s Cargo.lock from loom {version} to the facade", copy.display()),
        )?;
    }
    Ok(())
}

/// One test executable a build produced.
pub struct TestBinary {
    /// The cargo target's name (`loom`, or the crate's name for `--lib`).
    pub target: String,
    /// The executable.
    pub path: PathBuf,
}

/// Why a side could not build a suite: the first error lines of cargo's
/// output (the whole output is in `log`).
pub struct BuildFailure {
    /// The first lines of the first errors.
    pub summary: String,
    /// The file holding cargo's whole output.
    pub log: PathBuf,
}

/// How many lines of a build failure [`BuildFailure::summary`] keeps.
const ERROR_LINES: usize = 12;

/// The `cargo test` command that builds `suite` in `copy` for `side`:
/// the CI's arguments and `RUSTFLAGS`, the side's target directory, and on
/// checker's side the patch. `--no-run` builds without running.
fn cargo_test(dirs: &Dirs, suite: &Suite, side: Side, copy: &Path) -> Command {
    let mut command = Command::new("cargo");
    command
        .current_dir(copy)
        .args(["test", "--no-run", "--message-format=json-render-diagnostics"])
        .args(suite.cargo_args)
        .env("RUSTFLAGS", suite.rustflags)
        .env("CARGO_TARGET_DIR", dirs.target_dir(side))
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS");
    if side == Side::Checker {
        command.arg("--config").arg(patch_config(dirs));
    }
    command
}

/// Builds `suite`'s tests in `copy` for `side` and returns its test
/// executables, or why it does not build.
pub fn build(
    dirs: &Dirs,
    suite: &Suite,
    side: Side,
    copy: &Path,
) -> Result<Result<Vec<TestBinary>, BuildFailure>, String> {
    let log_dir = dirs.log_dir(side);
    fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    let log = log_dir.join(format!("{}-{}.build.txt", suite.name, suite.version));
    let out = cargo_test(dirs, suite, side, copy).output().map_err(|e| {
        format!("building {} on {}: cannot run cargo: {e}", suite.name, side.name())
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    fs::write(&log, stderr.as_bytes()).map_err(|e| format!("{}: {e}", log.display()))?;
    if !out.status.success() {
        return Ok(Err(BuildFailure { summary: first_errors(&stderr), log }));
    }
    if stderr.contains("was not used in the crate graph") {
        return Err(format!(
            "building {} on {}: cargo did not use the loom patch (see {})",
            suite.name,
            side.name(),
            log.display()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let binaries: Vec<TestBinary> = stdout
        .lines()
        .filter(|line| line.contains("\"reason\":\"compiler-artifact\""))
        .filter(|line| line.contains("\"test\":true"))
        .filter_map(|line| {
            let path = json_string(line, "executable")?;
            let target = json_string(&line[line.find("\"target\":{")?..], "name")?;
            Some(TestBinary { target: target.to_string(), path: PathBuf::from(path) })
        })
        .collect();
    if binaries.is_empty() {
        return Err(format!(
            "building {} on {}: cargo built no test executable (arguments {:?})",
            suite.name,
            side.name(),
            suite.cargo_args
        ));
    }
    Ok(Ok(binaries))
}

/// The first [`ERROR_LINES`] lines of `stderr` from its first `error`.
fn first_errors(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("error")).unwrap_or(0);
    lines[start..].iter().take(ERROR_LINES).copied().collect::<Vec<_>>().join("\n")
}

/// The tests of `binary` that the harness runs by default (not the
/// `#[ignore]`d ones), as listed by `--list`.
pub fn list_tests(binary: &TestBinary, copy: &Path) -> Result<Vec<String>, String> {
    let list = |ignored: bool| {
        let mut command = Command::new(&binary.path);
        command.current_dir(copy).args(["--list", "--format", "terse"]);
        if ignored {
            command.arg("--ignored");
        }
        output(&mut command, &format!("listing the tests of {}", binary.path.display())).map(
            |text| {
                text.lines()
                    .filter_map(|line| line.strip_suffix(": test"))
                    .map(str::to_string)
                    .collect::<Vec<String>>()
            },
        )
    };
    let ignored = list(true)?;
    Ok(list(false)?.into_iter().filter(|t| !ignored.contains(t)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locked_loom_0_7_versions_are_found() {
        let lock = "[[package]]\nname = \"loom\"\nversion = \"0.5.6\"\n\n[[package]]\n\
                    name = \"loom\"\nversion = \"0.7.2\"\nsource = \"registry\"\n\n\
                    [[package]]\nname = \"loomish\"\nversion = \"0.7.1\"\n";
        assert_eq!(locked_loom_versions(lock), ["0.7.2"]);
    }

    #[test]
    fn json_strings_are_read_from_cargo_messages() {
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["test"],"name":"loom"},"profile":{"test":true},"executable":"/t/deps/loom-1"}"#;
        assert_eq!(json_string(line, "executable"), Some("/t/deps/loom-1"));
        assert_eq!(json_string(&line[line.find("\"target\":{").unwrap()..], "name"), Some("loom"));
        assert_eq!(json_string(r#"{"executable":null}"#, "executable"), None);
    }
}
