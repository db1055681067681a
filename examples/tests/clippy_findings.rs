//! The linters chapter's clippy findings, checked on the real clippy: the demo library
//! `examples/src/linters/clippy_demo/lib.rs` (not a module of this crate) is copied into a crate
//! of its own in a temporary directory, and `cargo clippy` runs there four ways: as is, with
//! `-W clippy::pedantic`, with `-D warnings` (what CI runs), and with `--fix`. Each lint's group
//! is not typed in by hand: it is the group whose run, with every other default group allowed
//! (`-A clippy::all -W clippy::<group>`), reports it. The rendering must equal
//! `examples/data/clippy-findings.txt` (`EXAMPLES_BLESS=1` rewrites it), which the page shows
//! through the `linters::clippy_findings` example. No `cargo clippy`: skipped loudly (a failure
//! in CI).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use test_support::{blessing, line_diff, skip_or_fail};

const GROUPS: &[&str] = &["correctness", "suspicious", "style", "complexity", "perf", "pedantic"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    line: u64,
    column: u64,
    level: String,
    lint: String,
    message: String,
    /// A suggestion `cargo clippy --fix` may apply (rustc's `MachineApplicable`).
    fixable: bool,
}

struct Demo {
    dir: PathBuf,
    runs: usize,
}

impl Demo {
    fn new() -> Demo {
        let dir = std::env::temp_dir().join(format!("bf-clippy-demo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).expect("creating the demo crate");
        let demo = Demo { dir, runs: 0 };
        demo.set_lints("");
        demo.reset();
        demo
    }

    fn source() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/linters/clippy_demo/lib.rs")
    }

    fn lib(&self) -> PathBuf {
        self.dir.join("src/lib.rs")
    }

    /// Writes the demo's Cargo.toml with `lints` (a `[lints.clippy]` table, or nothing).
    fn set_lints(&self, lints: &str) {
        std::fs::write(
            self.dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"clippy-demo\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n\n{lints}"
            ),
        )
        .expect("writing Cargo.toml");
    }

    fn reset(&self) {
        std::fs::copy(Demo::source(), self.lib()).expect("copying the demo library");
    }

    /// `cargo clippy <args>` in a fresh target directory (so no cached result hides a lint):
    /// its exit status and findings.
    fn clippy(&mut self, args: &[&str]) -> (i32, Vec<Finding>) {
        self.runs += 1;
        let output = Command::new("cargo")
            .arg("clippy")
            .args(["--quiet", "--message-format", "json"])
            .args(args)
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", self.dir.join(format!("target-{}", self.runs)))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CLIPPY_CONF_DIR")
            .output()
            .expect("starting cargo clippy");
        let mut findings = Vec::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            if value["reason"] != "compiler-message" {
                continue;
            }
            let message = &value["message"];
            let Some(lint) = message["code"]["code"].as_str() else { continue };
            let Some(span) =
                message["spans"].as_array().and_then(|s| s.iter().find(|s| s["is_primary"] == true))
            else {
                continue;
            };
            let fixable = message["children"].as_array().is_some_and(|children| {
                children.iter().any(|child| {
                    child["spans"].as_array().is_some_and(|spans| {
                        spans.iter().any(|s| s["suggestion_applicability"] == "MachineApplicable")
                    })
                })
            }) || message["spans"].as_array().is_some_and(|spans| {
                spans.iter().any(|s| s["suggestion_applicability"] == "MachineApplicable")
            });
            findings.push(Finding {
                line: span["line_start"].as_u64().unwrap_or(0),
                column: span["column_start"].as_u64().unwrap_or(0),
                level: message["level"].as_str().unwrap_or("?").to_string(),
                lint: lint.to_string(),
                message: message["message"].as_str().unwrap_or("").to_string(),
                fixable,
            });
        }
        findings.sort();
        (output.status.code().unwrap_or(-1), findings)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn render(findings: &[Finding], groups: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for f in findings {
        let group = groups.get(&f.lint).map_or("rustc", String::as_str);
        let fix = if f.fixable { " (--fix applies)" } else { "" };
        let _ = writeln!(
            out,
            "src/lib.rs:{}:{} {} {} [{group}] {}{fix}",
            f.line, f.column, f.level, f.lint, f.message
        );
    }
    out
}

#[test]
fn clippy_reports_what_the_page_shows() {
    if let Err(why) =
        Command::new("cargo").args(["clippy", "--version"]).output().map_err(|e| e.to_string()).and_then(
            |o| {
                if o.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&o.stderr).into_owned()) }
            },
        )
    {
        skip_or_fail("the clippy findings check", &why, "Install clippy: `rustup component add clippy`.");
        return;
    }
    let mut demo = Demo::new();

    // Each lint's group: the run with only that group on.
    let mut groups = BTreeMap::new();
    for group in GROUPS {
        let flag = format!("clippy::{group}");
        let (_, found) = demo.clippy(&["--", "-A", "clippy::all", "-W", &flag]);
        for f in found.into_iter().filter(|f| f.lint.starts_with("clippy::")) {
            groups.entry(f.lint).or_insert_with(|| (*group).to_string());
        }
    }

    let mut out = String::new();
    let (status, plain) = demo.clippy(&[]);
    let _ = writeln!(out, "$ cargo clippy");
    out.push_str(&render(&plain, &groups));
    let _ = writeln!(out, "exit status {status}");

    let (_, pedantic) = demo.clippy(&["--", "-W", "clippy::pedantic"]);
    let added: Vec<Finding> = pedantic.into_iter().filter(|f| !plain.contains(f)).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &added {
        *counts.entry(f.lint.as_str()).or_default() += 1;
    }
    let _ = writeln!(out, "\n$ cargo clippy -- -W clippy::pedantic    (what it adds)");
    for (lint, count) in &counts {
        let group = groups.get(*lint).map_or("rustc", String::as_str);
        let _ = writeln!(out, "{lint} [{group}] x{count}");
    }

    // The [lints] priority trap: a group and one of its lints at the same priority.
    let _ = writeln!(out, "\n[lints.clippy] in Cargo.toml, with must_use_candidate = \"allow\":");
    for pedantic in ["\"warn\"", "{ level = \"warn\", priority = -1 }"] {
        demo.set_lints(&format!("[lints.clippy]\npedantic = {pedantic}\nmust_use_candidate = \"allow\"\n"));
        let (status, found) = demo.clippy(&[]);
        let count = |lint: &str| found.iter().filter(|f| f.lint == lint).count();
        let _ = writeln!(
            out,
            "pedantic = {pedantic}: lint_groups_priority x{}, must_use_candidate x{}, exit status {status}",
            count("clippy::lint_groups_priority"),
            count("clippy::must_use_candidate"),
        );
    }
    demo.set_lints("");

    let (status, denied) = demo.clippy(&["--", "-D", "warnings"]);
    let errors = denied.iter().filter(|f| f.level == "error").count();
    let _ = writeln!(
        out,
        "\n$ cargo clippy -- -D warnings    (what CI runs)\n{errors} errors, exit status {status}"
    );

    let before = std::fs::read_to_string(demo.lib()).expect("reading the demo");
    let (status, _) = demo.clippy(&["--fix", "--allow-no-vcs"]);
    let after = std::fs::read_to_string(demo.lib()).expect("reading the demo");
    let _ = writeln!(out, "\n$ cargo clippy --fix --allow-no-vcs    (exit status {status}) changed:");
    let (old, new): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    if old.len() == new.len() {
        for (number, (a, b)) in old.iter().zip(&new).enumerate() {
            if a != b {
                let _ = writeln!(out, "{}: {} -> {}", number + 1, a.trim(), b.trim());
            }
        }
    } else {
        let _ = writeln!(out, "(the line count changed: {} -> {})", old.len(), new.len());
    }
    let (_, left) = demo.clippy(&[]);
    let _ = writeln!(out, "left for a person:");
    let left: Vec<&str> = left.iter().map(|f| f.lint.as_str()).collect();
    let _ = writeln!(out, "{}", left.join(", "));
    let version =
        Command::new("cargo").args(["clippy", "--version"]).output().expect("cargo clippy --version");
    let version = String::from_utf8_lossy(&version.stdout);
    let _ = writeln!(out, "\n{}", version.split(" (").next().unwrap_or("").trim());

    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/clippy-findings.txt");
    if blessing() {
        std::fs::write(&file, &out).expect("writing examples/data/clippy-findings.txt");
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        expected == out,
        "clippy's findings differ from examples/data/clippy-findings.txt (EXAMPLES_BLESS=1 rewrites it):\n{}",
        line_diff(&expected, &out)
    );
}
