//! Checks the page's claims about Node.js memory on a real `node`, with the script the page
//! shows (`memory_usage.cjs`): a Buffer's bytes show in `external` and `arrayBuffers` as soon
//! as it is allocated, in `rss` only once its pages are written, and never in `heapUsed`; `--max-old-space-size` stops a process whose JavaScript objects
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
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = |stage: &str| {
        stdout
            .lines()
            .find(|l| l.contains(&format!("\"{stage}\":")))
            .unwrap_or_else(|| panic!("no {stage} line: {stdout}"))
    };
    // Allocated, not yet written: counted as external memory at once, resident only later.
    let allocated = line("allocated");
    for key in ["external", "arrayBuffers"] {
        assert!(field(allocated, key) >= 60, "{key} should grow by about 64 MiB at once: {allocated}");
    }
    assert!(field(allocated, "rss") < 8, "an unwritten Buffer.alloc should cost almost no RSS: {allocated}");
    assert!(field(allocated, "heapUsed").abs() <= 2, "heapUsed should barely move: {allocated}");
    let written = line("written");
    assert!(field(written, "rss") >= 56, "once written, the Buffer's pages should be resident: {written}");
    assert!(field(written, "heapUsed").abs() <= 2, "heapUsed should barely move: {written}");
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
    let samples: Vec<i64> = String::from_utf8_lossy(&heap.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("heapUsed ")?.strip_suffix(" MiB")?.parse().ok())
        .collect();
    assert!(samples.len() >= 10, "a heapUsed line every 10,000 objects: {samples:?}");
    let most = *samples.iter().max().expect("samples");
    // heap_size_limit is the old-space cap plus the young generation (48 MiB in Node 20:
    // --max-old-space-size=32 reports 80 MiB), so that is the bound V8 enforces.
    assert!(most <= 32 + 48, "the heap grew to {most} MiB under a 32 MiB old-space limit");
    let buffers = node("buffers", &["--max-old-space-size=32"]);
    assert!(buffers.status.success(), "{buffers:?}");
    assert!(String::from_utf8_lossy(&buffers.stdout).starts_with("kept 128 MiB of Buffers"), "{buffers:?}");
}
