//! Graceful shutdown: what an orchestrator does to stop a worker (Kubernetes, `docker stop`,
//! systemd): send `SIGTERM`, wait a grace period, then send `SIGKILL`, which cannot be caught.
//! Three workers, each in the middle of a work item when `SIGTERM` arrives: one with the default
//! action, one that finishes the item in hand and exits 0, one that ignores `SIGTERM`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::ipc::sys;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "ipc::shutdown",
    title: "SIGTERM, a grace period, then SIGKILL: three workers asked to stop",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it starts child processes and signals them, which a browser cannot",
        simulation: Some("ipc::pipe"),
    },
    run: Run::Text(run),
};

/// The grace period of this example; Kubernetes' default `terminationGracePeriodSeconds` is 30 s,
/// `docker stop`'s 10 s.
pub const GRACE: Duration = Duration::from_millis(500);

// ANCHOR: example
/// Starts worker `kind`, gives it item 1 whole and half of item 2, sends SIGTERM, then the rest
/// of item 2 and item 3. Waits up to `GRACE` for it to exit, then sends SIGKILL.
pub fn stop_worker(kind: &str) -> Result<String, String> {
    let mut child = Command::new(crate::ipc::child_program()?)
        .args(["worker", kind])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the worker: {e}"))?;
    let mut to_worker = child.stdin.take().expect("piped");
    let mut from_worker = BufReader::new(child.stdout.take().expect("piped"));
    let mut said: Vec<String> = Vec::new();
    to_worker.write_all(b"alpha beta gamma\ndelta epsilon").map_err(|e| e.to_string())?;
    // "ready", "item 1: 3 words", "started item 2": it is in the middle of item 2.
    for _ in 0..3 {
        let mut line = String::new();
        from_worker.read_line(&mut line).map_err(|e| e.to_string())?;
        said.push(line.trim_end().to_string());
    }
    sys::kill(child.id(), libc::SIGTERM).map_err(|e| format!("kill: {e}"))?;
    // The rest of item 2, and item 3. A worker killed by SIGTERM is gone: ignore EPIPE.
    let _ = to_worker.write_all(b" zeta\neta theta\n");
    // What it does about it: its lines until it exits (end of file) or has done item 3.
    while !said.last().is_some_and(|line| line.starts_with("item 3")) {
        let mut line = String::new();
        if from_worker.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            break;
        }
        said.push(line.trim_end().to_string());
    }
    let started = Instant::now();
    let how = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break sys::ended(status)?.describe();
        }
        if started.elapsed() > GRACE {
            child.kill().map_err(|e| format!("kill: {e}"))?; // SIGKILL
            let ended = sys::ended(child.wait().map_err(|e| e.to_string())?)?;
            break format!("still running after the grace period; SIGKILL: {}", ended.describe());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Ok(format!("  worker said: {}\n  parent sees: {how}\n", said.join(" | ")))
}
// ANCHOR_END: example

pub fn report() -> Result<String, String> {
    let mut out = String::new();
    for (kind, what) in [
        ("default", "no handler: SIGTERM's default action ends the process"),
        ("graceful", "a handler sets a flag; the worker finishes the item in hand, then exits 0"),
        ("ignore", "SIGTERM ignored (SIG_IGN)"),
    ] {
        out.push_str(&format!("{kind}: {what}\n{}", stop_worker(kind)?));
    }
    Ok(out)
}

// ANCHOR: child
/// Set by the SIGTERM handler, read by the work loop.
static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

/// The handler does one async-signal-safe thing: an atomic store.
extern "C" fn on_sigterm(_signal: libc::c_int) {
    STOP_REQUESTED.store(true, Ordering::SeqCst);
}

/// `ipc-child worker default|graceful|ignore`: one work item per line of stdin (it counts the
/// words); says when it starts an item and when it finishes one.
pub fn child_worker(kind: &str) -> ExitCode {
    match kind {
        "graceful" => {
            // SAFETY: the handler only stores to an atomic; SA_RESTART makes an interrupted
            // read() resume instead of failing with EINTR.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_sigterm as *const () as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
            }
        }
        "ignore" => {
            let _ = sys::set_disposition(libc::SIGTERM, true);
        }
        _ => {
            let _ = sys::set_disposition(libc::SIGTERM, false);
        }
    }
    let mut stdout = std::io::stdout();
    let mut say = |line: String| {
        let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
    };
    say("ready".into());
    let (mut item, mut current, mut buffer) = (1, Vec::new(), [0u8; 4096]);
    loop {
        let n = match std::io::stdin().read(&mut buffer) {
            Ok(0) | Err(_) => return ExitCode::SUCCESS,
            Ok(n) => n,
        };
        for &byte in &buffer[..n] {
            if byte != b'\n' {
                if current.is_empty() && item > 1 {
                    say(format!("started item {item}"));
                }
                current.push(byte);
                continue;
            }
            let words = String::from_utf8_lossy(&current).split_whitespace().count();
            say(format!("item {item}: {words} words"));
            current.clear();
            item += 1;
            if STOP_REQUESTED.load(Ordering::SeqCst) {
                say(format!(
                    "SIGTERM: finished the item in hand, leaving item {item} to someone else, exit 0"
                ));
                return ExitCode::SUCCESS;
            }
        }
    }
}
// ANCHOR_END: child

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    report().map_err(InputError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_worker_stops_the_way_its_disposition_says() {
        let out = stop_worker("default").unwrap();
        assert!(out.ends_with("parent sees: killed by signal 15 (SIGTERM)\n"), "{out}");
        assert!(!out.contains("item 2: "), "{out}");
        let out = stop_worker("graceful").unwrap();
        assert!(out.contains("item 2: 3 words | SIGTERM: finished the item in hand"), "{out}");
        assert!(out.ends_with("parent sees: exited with status 0\n"), "{out}");
        let out = stop_worker("ignore").unwrap();
        assert!(out.contains("item 3: 2 words"), "{out}");
        assert!(out.ends_with("SIGKILL: killed by signal 9 (SIGKILL)\n"), "{out}");
    }
}
