//! Checks the page's Node.js claim on a real `node`: `atomics_wait.cjs` (shown on the page)
//! hangs when the main thread blocks in `Atomics.wait` on a worker that waits for a message
//! the main thread would send from a timer callback, and finishes when the message is posted
//! before the main thread blocks.

use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/locks/atomics_wait.cjs");
/// Long enough for a worker to start and answer on a loaded machine (it takes tens of ms).
const HANG: Duration = Duration::from_secs(3);

/// Runs the script in `mode`; `None` if it was still running after [`HANG`] (then killed).
fn run(mode: &str) -> Option<String> {
    let mut child = Command::new("node")
        .arg(SCRIPT)
        .env("MODE", mode)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts (checked before)");
    let started = Instant::now();
    while started.elapsed() < HANG {
        if child.try_wait().expect("waiting for node").is_some() {
            let out = child.wait_with_output().expect("node's output");
            assert!(out.status.success(), "node {mode}: {}", out.status);
            return Some(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("killing node");
    child.wait().expect("reaping node");
    None
}

#[test]
fn atomics_wait_on_the_main_thread_deadlocks_with_a_worker_that_needs_a_callback() {
    if Command::new("node").arg("--version").output().is_err() {
        test_support::skip_or_fail(
            "the Node.js Atomics.wait deadlock",
            "`node` is not on PATH",
            "Install Node.js 20 or later.",
        );
        return;
    }
    assert_eq!(run("fixed").as_deref(), Some("main thread: Atomics.wait returned ok\n"));
    assert_eq!(run("deadlock"), None, "the main thread should still be blocked after {HANG:?}");
}
