//! Checks the page's claims about Node.js memory on a real `node`, with the script the page
//! shows (`memory_usage.cjs`): a Buffer's bytes show in `rss`, `external` and `arrayBuffers`
//! but not in `heapUsed`; `--max-old-space-size` stops a process whose JavaScript objects
//! outgrow it ("JavaScript heap out of memory", an abort), and does not limit Buffers.

use std::process::{Command, Output};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/memory/memory_usage.cjs");

fn node(mode: &str, args: &[&str]) -> Output {
    Command::new("node")
        .args(args)
        .arg(SCRIPT)
        .env("MODE", mode)
        .output()
        .expect("node runs (checked before)")
}

fn node_available() -> bool {
    if Command::new("node").arg("--version").output().is_ok() {
        return true;
    }
    test_support::skip_or_fail(
        "the Node.js memory claims (examples/src/memory/node_memory.rs)",
        "`node` is not on PATH",
        "Install Node.js 20 or later.",
    );
    false
}

/// The number after `"key":` in the script's one JSON line.
fn field(json: &str, key: &str) -> i64 {
    let at =
        json.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("no {key} in {json}")) + key.len() + 3;
    let digits: String = json[at..].chars().take_while(|c| *c == '-' || c.is_ascii_digit()).collect();
    digits.parse().unwrap_or_else(|_| panic!("{key} in {json}"))
}

#[test]
fn a_buffer_lives_outside_the_v8_heap() {
    if !node_available() {
        return;
    }
    let out = node("buffer", &[]);
    assert!(out.status.success(), "{out:?}");
    let json = String::from_utf8_lossy(&out.stdout);
    for key in ["external", "arrayBuffers", "rss"] {
        assert!(field(&json, key) >= 60, "{key} should grow by about 64 MiB: {json}");
    }
    assert!(field(&json, "heapUsed").abs() <= 2, "heapUsed should barely move: {json}");
}

#[test]
fn max_old_space_size_bounds_the_heap_but_not_buffers() {
    if !node_available() {
        return;
    }
    let heap = node("heap", &["--max-old-space-size=32"]);
    let stderr = String::from_utf8_lossy(&heap.stderr);
    assert!(!heap.status.success(), "a heap past 32 MiB should end the process");
    assert!(stderr.contains("JavaScript heap out of memory"), "{stderr}");
    let most: i64 = String::from_utf8_lossy(&heap.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("heapUsed ")?.strip_suffix(" MiB")?.parse().ok())
        .max()
        .expect("a heapUsed line");
    assert!(most <= 48, "the heap grew to {most} MiB under a 32 MiB old-space limit");
    let buffers = node("buffers", &["--max-old-space-size=32"]);
    assert!(buffers.status.success(), "{buffers:?}");
    assert!(String::from_utf8_lossy(&buffers.stdout).starts_with("kept 128 MiB of Buffers"), "{buffers:?}");
}
