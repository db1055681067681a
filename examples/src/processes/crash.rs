//! What a crash takes down. A child process that aborts dies alone: the parent only learns how
//! it ended. A thread that panics in this process is caught at `join`, but it shares this
//! process's memory, so what it was holding (a locked Mutex) is marked poisoned. A thread that
//! faults on a bad memory access, though, takes its whole process with it, busy main thread
//! included, which the example shows inside a child.

use std::io::Write;
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::processes::wordcount::child_program;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "processes::crash",
    title: "A crash in a child process, a panic in a thread",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it starts child processes and threads, which the browser playground does not have",
        simulation: Some("scheduling::scheduler"),
    },
    run: Run::Text(run),
};

// ANCHOR: example
pub fn crash_and_survive() -> Result<String, String> {
    let mut out = String::new();

    out.push_str("1. a child process calls abort()\n");
    let child = Command::new(child_program()?)
        .arg("abort")
        .env("BF_NOTE", "set by the parent") // the child inherits the environment, plus this
        .current_dir(std::env::temp_dir()) // and starts in this directory (where a core file may land)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("running the child: {e}"))?;
    for line in String::from_utf8_lossy(&child.stdout).lines() {
        out.push_str(&format!("   child wrote: {line}\n"));
    }
    out.push_str(&format!("   parent sees: {}\n", how_it_ended(child.status)));

    out.push_str("2. inside a child process, a worker thread writes to an unmapped address\n");
    let child = Command::new(child_program()?)
        .arg("thread-fault")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("running the child: {e}"))?;
    let lines: Vec<String> = String::from_utf8_lossy(&child.stdout).lines().map(String::from).collect();
    for line in &lines {
        out.push_str(&format!("   child wrote: {line}\n"));
    }
    out.push_str(&format!("   parent sees: {}\n", how_it_ended(child.status)));
    if lines.last().is_some_and(|line| line.contains("releasing the worker")) {
        out.push_str(
            "   the child's main thread was busy, and died with it: its next line was never written\n",
        );
    }

    out.push_str("3. in this process, a worker thread panics while it holds a lock\n");
    let shared = Arc::new(Mutex::new(vec![1, 2, 3]));
    let worker = {
        let shared = Arc::clone(&shared);
        thread::Builder::new().name("worker".into()).spawn(move || {
            let mut data = shared.lock().expect("not poisoned yet");
            data.push(4);
            panic!("worker gave up after pushing 4");
        })
    };
    let joined = worker.map_err(|e| format!("starting a thread: {e}"))?.join();
    match joined {
        Ok(()) => out.push_str("   join() returned Ok\n"),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(not a string)".into());
            out.push_str(&format!("   join() returned Err with the panic message: {message:?}\n"));
        }
    }
    let poisoned = shared.is_poisoned();
    let data = shared.lock().unwrap_or_else(|poison| poison.into_inner()).clone();
    out.push_str(&format!("   the Mutex is poisoned: {poisoned}; the data is still there: {data:?}\n"));

    out.push_str("this process survived all three\n");
    Ok(out)
}

/// How a process ended, as its parent learns it from `wait`.
pub fn how_it_ended(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                6 => "SIGABRT",
                9 => "SIGKILL",
                11 => "SIGSEGV",
                15 => "SIGTERM",
                _ => "a signal",
            };
            return format!("killed by signal {signal} ({name}), no exit code");
        }
    }
    match status.code() {
        Some(code) => format!("exited with code {code}"),
        None => "ended without an exit code".to_string(),
    }
}
// ANCHOR_END: example

// ANCHOR: child
/// `processes-child abort`: report what was inherited, then abort.
pub fn child_abort() -> ExitCode {
    let note = std::env::var("BF_NOTE").unwrap_or_else(|_| "(not set)".into());
    println!("BF_NOTE = {note:?}, from the environment it inherited");
    println!("calling abort()");
    let _ = std::io::stdout().flush();
    std::process::abort()
}

/// Nothing is mapped there, and an unprivileged process may not map anything below
/// `vm.mmap_min_addr` (4 to 64 KiB), so a write there faults.
const UNMAPPED: usize = 0x10;

/// `processes-child thread-fault`: the main thread keeps working while a worker writes to an
/// address no page is mapped at. The MMU refuses, the kernel sends SIGSEGV, and its default
/// action ends the process: every thread, not just the one that faulted.
pub fn child_thread_fault() -> ExitCode {
    let (go, wait_for_go) = std::sync::mpsc::channel::<()>();
    let _worker = thread::spawn(move || {
        let _ = wait_for_go.recv();
        let bad = UNMAPPED as *mut u8;
        // SAFETY: none, on purpose: this is the bug the example demonstrates. A volatile write
        // is always emitted, so the store really reaches the MMU, which faults.
        unsafe { bad.write_volatile(1) };
    });
    println!("main thread: working, and releasing the worker");
    let _ = std::io::stdout().flush();
    let _ = go.send(());
    // Busy work the fault interrupts: counting for up to ten seconds.
    let started = std::time::Instant::now();
    let mut counted = 0u64;
    while started.elapsed() < std::time::Duration::from_secs(10) {
        counted = std::hint::black_box(counted + 1);
    }
    println!("main thread: counted to {counted}, the worker's fault did not stop me"); // never reached
    ExitCode::SUCCESS
}
// ANCHOR_END: child

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    crash_and_survive().map_err(InputError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_survives_and_reports_how_each_ended() {
        let out = crash_and_survive().unwrap();
        assert!(out.contains("child wrote: BF_NOTE = \"set by the parent\""), "{out}");
        #[cfg(unix)]
        assert_eq!(out.matches("killed by signal 6 (SIGABRT), no exit code").count(), 1, "{out}");
        #[cfg(unix)]
        assert_eq!(out.matches("killed by signal 11 (SIGSEGV), no exit code").count(), 1, "{out}");
        assert!(out.contains("its next line was never written"), "{out}");
        assert!(!out.contains("did not stop me"), "{out}");
        assert!(out.contains("panic message: \"worker gave up after pushing 4\""), "{out}");
        assert!(out.contains("poisoned: true; the data is still there: [1, 2, 3, 4]"), "{out}");
        assert!(out.ends_with("this process survived all three\n"));
    }

    #[test]
    fn it_takes_no_input() {
        assert_eq!(
            run("\n# comment\nx = 1").unwrap_err().to_string(),
            "input line 3: this example takes no input"
        );
    }
}
