//! Graceful shutdown: what an orchestrator does to stop a worker (Kubernetes, `docker stop`,
//! systemd): send `SIGTERM`, wait a grace period, then send `SIGKILL`, which cannot be caught.
//! Three workers, each in the middle of a work item when `SIGTERM` arrives: one with the default
//! action, one that finishes the item in hand and exits 0, one that ignores `SIGTERM`. Then two
//! idle workers, blocked reading an empty pipe: the graceful one, and one whose handler only
//! sets a flag with `SA_RESTART`, so that its `read` resumes and never looks at the flag.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, IntoRawFd};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crate::ipc::sys;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "ipc::shutdown",
    title: "SIGTERM, a grace period, then SIGKILL: busy and idle workers asked to stop",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it starts child processes and signals them, which a browser cannot",
        simulation: Some("ipc::pipe"),
    },
    run: Run::Text(run),
};

/// The grace period of this example, long enough that a loaded machine cannot turn a worker
/// that exits into one that is killed; Kubernetes' default `terminationGracePeriodSeconds` is
/// 30 s, `docker stop`'s 10 s.
pub const GRACE: Duration = Duration::from_secs(2);

// ANCHOR: example
/// Starts worker `kind`. Busy: gives it item 1 whole and half of item 2, sends SIGTERM, then the
/// rest of item 2 and item 3. Idle: sends SIGTERM while it waits for its first item. Waits up
/// to `GRACE` for it to exit, then sends SIGKILL.
pub fn stop_worker(kind: &str, busy: bool) -> Result<String, String> {
    let mut child = Command::new(crate::ipc::child_program()?)
        .args(["worker", kind])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the worker: {e}"))?;
    let mut to_worker = child.stdin.take().expect("piped");
    let mut from_worker = BufReader::new(child.stdout.take().expect("piped"));
    let mut said: Vec<String> = Vec::new();
    let hear = |from_worker: &mut BufReader<_>, said: &mut Vec<String>| -> Result<bool, String> {
        let mut line = String::new();
        let n = from_worker.read_line(&mut line).map_err(|e| e.to_string())?;
        said.push(line.trim_end().to_string());
        Ok(n > 0)
    };
    if busy {
        to_worker.write_all(b"alpha beta gamma\ndelta epsilon").map_err(|e| e.to_string())?;
    }
    // "ready", and if busy "item 1: 3 words", "started item 2": it is in the middle of item 2.
    for _ in 0..if busy { 3 } else { 1 } {
        hear(&mut from_worker, &mut said)?;
    }
    sys::kill(child.id(), libc::SIGTERM).map_err(|e| format!("kill: {e}"))?;
    if busy {
        // The rest of item 2, and item 3. A worker killed by SIGTERM is gone: ignore EPIPE.
        let _ = to_worker.write_all(b" zeta\neta theta\n");
        // What it does about it: its lines until it exits (end of file) or has done item 3.
        while !said.last().is_some_and(|line| line.starts_with("item 3"))
            && hear(&mut from_worker, &mut said)?
        {}
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
    drop(to_worker);
    // Whatever else it said before it ended, up to the end of file its end brought.
    while hear(&mut from_worker, &mut said)? {}
    said.retain(|line| !line.is_empty());
    Ok(format!("  worker said: {}\n  parent sees: {how}\n", said.join(" | ")))
}
// ANCHOR_END: example

pub fn report() -> Result<String, String> {
    let mut out = String::new();
    for (kind, busy, what) in [
        ("default", true, "no handler: SIGTERM's default action ends the process"),
        ("graceful", true, "the handler wakes the work loop, which finishes the item in hand, then exits 0"),
        ("ignore", true, "SIGTERM ignored (SIG_IGN)"),
        ("graceful", false, "idle, blocked waiting for work: the handler wakes it through a self-pipe"),
        ("flag-restart", false, "idle; the handler only sets a flag, and SA_RESTART resumes the read"),
    ] {
        let state = if busy { "busy" } else { "idle" };
        out.push_str(&format!("{kind}, {state}: {what}\n{}", stop_worker(kind, busy)?));
    }
    Ok(out)
}

// ANCHOR: child
/// Set by the SIGTERM handler, read by the work loop.
static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);
/// The write end of the self-pipe, or -1: the handler writes a byte to it to wake `poll`.
static WAKE_WRITER: AtomicI32 = AtomicI32::new(-1);

/// The handler does only async-signal-safe things: an atomic store and a `write`. It saves and
/// restores `errno`, which `write` may change under the interrupted code's feet.
extern "C" fn on_sigterm(_signal: libc::c_int) {
    STOP_REQUESTED.store(true, Ordering::SeqCst);
    let fd = WAKE_WRITER.load(Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: errno is this thread's; write(2) takes one byte from a static.
        unsafe {
            let saved = *libc::__errno_location();
            libc::write(fd, b"x".as_ptr().cast(), 1);
            *libc::__errno_location() = saved;
        }
    }
}

/// Installs `on_sigterm` for SIGTERM, with or without `SA_RESTART`.
fn catch_sigterm(flags: libc::c_int) {
    // SAFETY: a zeroed sigaction has an empty mask; the handler is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigterm as *const () as libc::sighandler_t;
        action.sa_flags = flags;
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
    }
}

/// `ipc-child worker default|graceful|ignore|flag-restart`: one work item per line of stdin (it
/// counts the words); says when it starts an item and when it finishes one.
pub fn child_worker(kind: &str) -> ExitCode {
    // graceful: a self-pipe that the handler writes to, watched by `poll` beside stdin.
    let mut wake_reader = None;
    match kind {
        "graceful" => {
            let Ok((reader, writer)) = sys::pipe(true) else { return ExitCode::FAILURE };
            WAKE_WRITER.store(writer.into_raw_fd(), Ordering::SeqCst);
            wake_reader = Some(reader);
            catch_sigterm(0);
        }
        // The flag-only handler: SA_RESTART makes the kernel resume an interrupted read(),
        // so a worker blocked on an empty pipe goes back to sleep and never sees the flag.
        "flag-restart" => catch_sigterm(libc::SA_RESTART),
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
    let stdin = std::io::stdin();
    let (mut item, mut current, mut buffer) = (1, Vec::new(), [0u8; 4096]);
    loop {
        if let Some(wake) = &wake_reader {
            let mut fds = [
                libc::pollfd { fd: stdin.as_raw_fd(), events: libc::POLLIN, revents: 0 },
                libc::pollfd { fd: wake.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            ];
            // SAFETY: two pollfd structs, which we own; no timeout. EINTR just loops.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if fds[1].revents != 0 {
                let _ = sys::read_once(wake, &mut [0u8; 16]); // drained: poll can sleep again
            }
            if STOP_REQUESTED.load(Ordering::SeqCst) && current.is_empty() {
                say("SIGTERM while idle: no item in hand, exit 0".into());
                return ExitCode::SUCCESS;
            }
            if ready <= 0 || fds[0].revents == 0 {
                continue; // woken by the signal alone, in the middle of an item: wait for its rest
            }
        }
        let n = match sys::read_once(&stdin, &mut buffer) {
            Ok(0) => return ExitCode::SUCCESS,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return ExitCode::FAILURE,
        };
        for (at, &byte) in buffer[..n].iter().enumerate() {
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
                let dropped = n - at - 1;
                say(format!(
                    "SIGTERM: finished the item in hand, exit 0, dropping {dropped} bytes already read"
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
    fn each_busy_worker_stops_the_way_its_disposition_says() {
        let out = stop_worker("default", true).unwrap();
        assert!(out.ends_with("parent sees: killed by signal 15 (SIGTERM)\n"), "{out}");
        assert!(!out.contains("item 2: "), "{out}");
        let out = stop_worker("graceful", true).unwrap();
        assert!(
            out.contains("item 2: 3 words | SIGTERM: finished the item in hand, exit 0, dropping 10 bytes"),
            "{out}"
        );
        assert!(out.ends_with("parent sees: exited with status 0\n"), "{out}");
        let out = stop_worker("ignore", true).unwrap();
        assert!(out.contains("item 3: 2 words"), "{out}");
        assert!(out.ends_with("SIGKILL: killed by signal 9 (SIGKILL)\n"), "{out}");
    }

    /// The reviewer's reproduction: an idle worker must not need new input to notice SIGTERM.
    #[test]
    fn an_idle_graceful_worker_exits_at_once_and_a_restarted_read_never_does() {
        let started = Instant::now();
        let out = stop_worker("graceful", false).unwrap();
        assert_eq!(
            out,
            "  worker said: ready | SIGTERM while idle: no item in hand, exit 0\n  \
             parent sees: exited with status 0\n"
        );
        assert!(started.elapsed() < GRACE, "{:?}", started.elapsed());
        let out = stop_worker("flag-restart", false).unwrap();
        assert!(
            out.ends_with("still running after the grace period; SIGKILL: killed by signal 9 (SIGKILL)\n"),
            "{out}"
        );
        assert!(out.contains("worker said: ready\n"), "{out}");
    }
}
