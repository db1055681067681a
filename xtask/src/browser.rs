//! `cargo xtask test`: everything CI checks, ending with the browser tests.
//!
//! Browser tests are Node scripts in `browser-tests/` that drive Debian's Chromium through
//! `playwright-core` (pinned in `browser-tests/package-lock.json`; it never downloads a browser).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::book;
use crate::project;
use crate::step::{self, in_ci, loud_warning, step};
use crate::tools;
use crate::typescript;
use crate::wasm;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The fuzz run's seed unless `FUZZ_SEED` is set.
const FUZZ_SEED: &str = "13";

pub fn test_all() -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // Tests that cannot run here (no server, no tool) append a line to this file; they are
    // repeated at the end, where they cannot be missed.
    let skipped_log = project::target_dir().join("skipped-checks.txt");
    let _ = std::fs::remove_file(&skipped_log);
    step("cargo fmt --check", || step::run(project::cargo().args(["fmt", "--all", "--check"])))?;
    step("rustfmt --check on the chapter modules (cargo fmt cannot see them)", || {
        let files = chapter_module_files()?;
        let mut rustfmt = Command::new("rustfmt");
        rustfmt.current_dir(project::root()).args(["--check", "--edition", "2024"]).args(&files);
        step::run(&mut rustfmt).context(
            "format them with `rustfmt --edition 2024 <file>`: `cargo fmt` skips modules declared inside a macro",
        )
    })?;
    // One build serves clippy and the tests: clippy's driver compiles the workspace's crates
    // (linting them with -D warnings) and the dependencies are compiled once, for the tests,
    // instead of once more in check mode for a separate `cargo clippy` (the cold dependency
    // build was the larger part of that step).
    let clippy = clippy_wrapper()?;
    let build_tests = || {
        step::run(clippy.apply(project::cargo().args([
            "test",
            "--workspace",
            "--all-targets",
            "--no-run",
            "--quiet",
        ])))
    };
    step("cargo test --workspace --all-targets --no-run, linted by clippy (-D warnings)", build_tests)?;
    // The preprocessor's end-to-end tests drive the pinned mdbook, so install it first.
    step("pinned tools (mdbook)", tools::ensure_book_tools)?;
    // The TypeScript examples' tests run the pinned tsc from examples/node_modules.
    step("the TypeScript examples' toolchain (npm ci in examples/ if needed)", typescript::ensure_toolchain)?;
    step("cargo test --workspace", || {
        step::run(
            clippy
                .apply(project::cargo().args(["test", "--workspace"]))
                .env("MDBOOK", tools::MDBOOK.binary()?)
                .env(test_support::SKIPPED_LOG, &skipped_log),
        )
    })?;
    let site = book::build_all_with(&book::Preprocessor::Dev { build: &build_tests })?;
    step("WebAssembly module sizes against their budgets", || {
        for size in wasm::check_sizes(&wasm::modules()?)? {
            eprintln!("    {}", size.describe());
        }
        Ok(())
    })?;
    let fuzzed = step("fuzz every browser-capable example in its WebAssembly module (Node)", || fuzz(&site))?;
    let ran_browser_tests = step("browser tests (Playwright + Debian Chromium)", || browser_tests(&site))?;
    eprintln!("\nall checks passed in {}", step::format_duration(started.elapsed()));
    let mut reminders = Vec::new();
    if let Ok(skipped) = std::fs::read_to_string(&skipped_log) {
        reminders.extend(skipped.lines().map(|line| format!("SKIPPED: {line}")));
    }
    if !fuzzed {
        reminders.push("SKIPPED: the wasm fuzz run (no node; see above).".to_string());
    }
    if !ran_browser_tests {
        reminders.push("SKIPPED: the browser tests (see above).".to_string());
    }
    if !reminders.is_empty() {
        let mut lines = vec!["REMINDER: these checks did NOT run; this run proves less than CI's."];
        lines.extend(reminders.iter().map(String::as_str));
        loud_warning(&lines);
    }
    Ok(())
}

/// What `cargo clippy` sets for cargo: clippy's driver (beside the toolchain's rustc) wraps
/// the compiler for the workspace's own crates, with its arguments in `CLIPPY_ARGS`.
struct ClippyWrapper {
    driver: PathBuf,
}

impl ClippyWrapper {
    fn apply<'a>(&self, cargo: &'a mut Command) -> &'a mut Command {
        cargo
            .env("RUSTC_WORKSPACE_WRAPPER", &self.driver)
            .env("CLIPPY_ARGS", "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__")
    }
}

fn clippy_wrapper() -> anyhow::Result<ClippyWrapper> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .with_context(|| format!("running `{} --print sysroot`", rustc.to_string_lossy()))?;
    if !output.status.success() {
        bail!(
            "`{} --print sysroot` failed: {}",
            rustc.to_string_lossy(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let driver = sysroot.join("bin").join(format!("clippy-driver{}", std::env::consts::EXE_SUFFIX));
    if !driver.is_file() {
        bail!(
            "clippy is not installed in {} (no {}): run `rustup component add clippy`",
            sysroot.display(),
            driver.display()
        );
    }
    Ok(ClippyWrapper { driver })
}

/// Throws mutated inputs at every browser-capable example in the very modules the site ships
/// (`browser-tests/fuzz/wasm-fuzz.mjs`); a trap fails. Returns false when node is missing
/// outside CI.
fn fuzz(site: &Path) -> anyhow::Result<bool> {
    let mut missing = Vec::new();
    if !node_found() {
        missing.push("node is not on PATH (install: apt-get install nodejs)".to_string());
    }
    if !present_or_skipped(&missing, "WASM FUZZ SKIPPED: it did not run on this machine.")? {
        return Ok(false);
    }
    let mut node = Command::new("node");
    node.arg(browser_tests_dir().join("fuzz").join("wasm-fuzz.mjs"))
        .current_dir(project::root())
        .env("BOOK_DIR", site);
    // The same inputs on every run, so that a red run is reproducible; set FUZZ_SEED to explore.
    if std::env::var_os("FUZZ_SEED").is_none() {
        node.env("FUZZ_SEED", FUZZ_SEED);
    }
    step::run(&mut node)?;
    Ok(true)
}

/// Runs the browser tests; returns false when they were skipped outside CI.
fn browser_tests(site: &Path) -> anyhow::Result<bool> {
    let Some(mut node) =
        node_with_chromium(site, "BROWSER TESTS SKIPPED: they did not run on this machine.")?
    else {
        return Ok(false);
    };
    let mut tests: Vec<PathBuf> = std::fs::read_dir(browser_tests_dir().join("tests"))
        .context("listing browser-tests/tests")?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    tests.retain(|path| path.to_string_lossy().ends_with(".test.mjs"));
    tests.sort();
    anyhow::ensure!(!tests.is_empty(), "no browser tests found in browser-tests/tests/*.test.mjs");
    // Node's runner gives each file a process of its own, but by default runs only
    // `availableParallelism() - 1` of them at once: one on a 2-core machine. Two measured
    // fastest here (61-86 s against 97 s for one, 74-80 s for three).
    step::run(node.args(["--test", "--test-concurrency=2"]).args(&tests))?;
    Ok(true)
}

fn browser_tests_dir() -> PathBuf {
    project::root().join("browser-tests")
}

/// `node` in `browser-tests/` with its packages installed, `BOOK_DIR=site` and `CHROMIUM` set;
/// `None` (after a loud warning headed `skipped`) when Chromium or node is missing outside CI.
pub fn node_with_chromium(site: &Path, skipped: &str) -> anyhow::Result<Option<Command>> {
    let chromium = std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| CHROMIUM.into());
    let mut missing = Vec::new();
    if !chromium.is_file() {
        missing
            .push(format!("Chromium is not at {} (install: apt-get install chromium)", chromium.display()));
    }
    if !node_found() {
        missing.push("node is not on PATH (install: apt-get install nodejs npm)".to_string());
    }
    if !present_or_skipped(&missing, skipped)? {
        return Ok(None);
    }
    let dir = browser_tests_dir();
    typescript::npm_ci_if_needed(&dir, "browser-tests")?;
    let mut node = Command::new("node");
    node.current_dir(&dir).env("BOOK_DIR", site).env("CHROMIUM", &chromium);
    Ok(Some(node))
}

fn node_found() -> bool {
    step::output(Command::new("node").arg("--version")).is_ok()
}

/// True when nothing is `missing`. Otherwise an error in CI, and elsewhere a loud warning headed
/// `skipped` (then false): a check that cannot run is never silent.
fn present_or_skipped(missing: &[String], skipped: &str) -> anyhow::Result<bool> {
    if missing.is_empty() {
        return Ok(true);
    }
    if in_ci() {
        bail!("this is CI, and a check cannot run:\n  {}", missing.join("\n  "));
    }
    let mut lines = vec![skipped];
    lines.extend(missing.iter().map(String::as_str));
    lines.push("In CI (CI=true or CI=1) this is a failure.");
    loud_warning(&lines);
    Ok(false)
}

/// Every `.rs` file under `examples/src/`. The chapters' modules are declared inside the
/// `chapters!` macro (examples/src/lib.rs), where `cargo fmt` does not follow them.
fn chapter_module_files() -> anyhow::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|name| name != "node_modules") {
                    walk(&path, files)?;
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
        Ok(())
    }
    let root = project::root();
    let mut files = Vec::new();
    walk(&root.join("examples").join("src"), &mut files)?;
    for kept in UNFORMATTED_ON_PURPOSE {
        anyhow::ensure!(
            root.join(kept).is_file(),
            "{kept} is listed as unformatted on purpose but does not exist"
        );
    }
    files.retain(|file| !UNFORMATTED_ON_PURPOSE.iter().any(|kept| *file == root.join(kept)));
    files.sort();
    Ok(files)
}

/// Rust files under `examples/src/` that are no module of the crate and keep a formatting
/// mistake on purpose: the linters chapter's clippy demo (`*stock =- 1`, which clippy's
/// `suspicious_assignment_formatting` reports and rustfmt would rewrite).
const UNFORMATTED_ON_PURPOSE: &[&str] = &["examples/src/linters/clippy_demo/lib.rs"];
