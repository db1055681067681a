//! What a child inherits. `fork` copies the descriptor table, signal dispositions and mask,
//! environment and current directory, but only the thread that called it; `execve` then closes
//! the descriptors marked close-on-exec, resets caught signals to their default action, and
//! keeps ignored signals ignored and the mask as it was (`fork(2)`, `execve(2)`, `signal(7)`).

use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode, Stdio};

use crate::ipc::sys;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "ipc::inherit",
    title: "What a child inherits across fork and exec, and what it does not",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it forks and execs a child process, which a browser cannot",
        simulation: Some("ipc::pipe"),
    },
    run: Run::Text(run),
};

/// A handler that never runs: installing it makes SIGUSR1 "caught" in the forked child.
extern "C" fn never_called(_signal: libc::c_int) {}

/// In the forked child, before `execve`: copies the `Threads:` line of `/proc/self/status` into
/// `report`. Only async-signal-safe calls and no allocation: another thread of the parent may
/// have held the allocator's lock at the moment of `fork`.
fn report_threads(report: RawFd) {
    let mut buffer = [0u8; 8192];
    // SAFETY: open/read/write/close on a stack buffer, each given its true length.
    unsafe {
        let fd = libc::open(c"/proc/self/status".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return;
        }
        let n = libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len());
        libc::close(fd);
        let text = &buffer[..n.max(0) as usize];
        if let Some(start) = text.windows(8).position(|w| w == b"Threads:") {
            let end = text[start..].iter().position(|&b| b == b'\n').map_or(text.len(), |i| start + i + 1);
            libc::write(report, text[start..end].as_ptr().cast(), end - start);
        }
    }
}

// ANCHOR: example
pub fn what_is_inherited() -> Result<String, String> {
    let mut out = String::new();
    let parent_threads = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| e.to_string())?
        .lines()
        .find_map(|line| line.strip_prefix("Threads:").map(|n| n.trim().parse::<u32>().unwrap_or(0)))
        .unwrap_or(0);
    // Keep two more threads of this process alive while it forks, whatever else is running.
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let stopped = std::sync::Mutex::new(stopped);
    std::thread::scope(|scope| -> Result<(), String> {
        // However this closure returns, `stop` is dropped first, which ends the threads' recv.
        let _release_threads = stop;
        for _ in 0..2 {
            scope.spawn(|| stopped.lock().map(|rx| rx.recv().ok()).ok());
        }
        let (closed_on_exec, _keep1) = sys::pipe(false).map_err(|e| e.to_string())?;
        let (inheritable, _keep2) = sys::pipe(false).map_err(|e| e.to_string())?;
        let (report_reader, report_writer) = sys::pipe(false).map_err(|e| e.to_string())?;
        let fds = [closed_on_exec.as_raw_fd(), inheritable.as_raw_fd(), report_writer.as_raw_fd()];
        let workdir = std::env::temp_dir();
        let mut command = Command::new(crate::ipc::child_program()?);
        command.arg("inherited").env("BF_NOTE", "set by the parent").current_dir(&workdir);
        command.stdin(Stdio::null()).stdout(Stdio::piped());
        // SAFETY: the closure runs in the forked child and makes only async-signal-safe calls.
        unsafe {
            command.pre_exec(move || {
                report_threads(fds[2]);
                // Like Python's `close_fds=True`: everything above stderr closes at exec, except
                // the one pipe passed on purpose (this process's own inherited descriptors too).
                for fd in 3..4096 {
                    let flags = if fd == fds[1] { 0 } else { libc::FD_CLOEXEC };
                    libc::fcntl(fd, libc::F_SETFD, flags);
                }
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = libc::SIG_IGN; // what `nohup` does for SIGHUP
                libc::sigaction(libc::SIGHUP, &action, std::ptr::null_mut());
                action.sa_sigaction = never_called as *const () as libc::sighandler_t;
                libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut());
                let mut block: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut block);
                libc::sigaddset(&mut block, libc::SIGUSR2);
                libc::sigprocmask(libc::SIG_BLOCK, &block, std::ptr::null_mut());
                Ok(())
            });
        }
        let child = command.spawn().map_err(|e| format!("starting the child: {e}"))?;
        drop(report_writer); // the child's copy closed at exec: now the pipe can end
        let mut forked = String::new();
        std::fs::File::from(report_reader).read_to_string(&mut forked).map_err(|e| e.to_string())?;
        let output = child.wait_with_output().map_err(|e| e.to_string())?;

        let child_threads = forked.trim().strip_prefix("Threads:").map(str::trim).unwrap_or("?").to_string();
        out.push_str(&format!(
            "threads: the parent has {}; the forked child, before exec: {child_threads}\n",
            if parent_threads >= 3 { "3 or more" } else { "fewer than 3" }
        ));
        let inode = |fd: &std::os::fd::OwnedFd| -> Result<String, String> {
            let file = std::fs::File::from(fd.try_clone().map_err(|e| e.to_string())?);
            Ok(format!("pipe:[{}]", file.metadata().map_err(|e| e.to_string())?.ino()))
        };
        let (inheritable_target, closed_target) = (inode(&inheritable)?, inode(&closed_on_exec)?);
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            if let Some(rest) = line.strip_prefix("fd ") {
                let (number, target) = rest.split_once(" -> ").unwrap_or((rest, ""));
                let described = match number {
                    "0" | "1" | "2" => format!("fd {number}: a standard stream"),
                    _ if target == inheritable_target => format!(
                        "a pipe without FD_CLOEXEC, at the same number as in the parent: {}",
                        number == fds[1].to_string()
                    ),
                    _ if target == closed_target => "the close-on-exec pipe: LEAKED".to_string(),
                    _ => format!("something else ({target})"),
                };
                out.push_str(&format!("after exec, open: {described}\n"));
            } else if let Some(cwd) = line.strip_prefix("cwd ") {
                let same = std::fs::canonicalize(&workdir).is_ok_and(|dir| dir.to_string_lossy() == cwd);
                out.push_str(&format!("after exec, current directory is the one the parent chose: {same}\n"));
            } else {
                out.push_str(&format!("after exec, {line}\n"));
            }
        }
        out.push_str(&format!("the close-on-exec pipe is not among them: {}\n", !out.contains("LEAKED")));
        Ok(())
    })?;
    Ok(out)
}
// ANCHOR_END: example

// ANCHOR: child
/// `ipc-child inherited`: what this freshly exec'd program finds.
pub fn child_inherited() -> ExitCode {
    let mut fds: Vec<(u32, String)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        for entry in entries.flatten() {
            let Ok(number) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let target = std::fs::read_link(entry.path())
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !target.starts_with("/proc/") {
                fds.push((number, target)); // skip the directory read_dir itself opened
            }
        }
    }
    fds.sort();
    for (number, target) in fds {
        println!("fd {number} -> {target}");
    }
    println!("environment: BF_NOTE = {:?}", std::env::var("BF_NOTE").unwrap_or_default());
    println!("cwd {}", std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default());
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mask = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
    };
    let bit = |mask: Option<u64>, signal: i32| mask.is_some_and(|m| m & (1 << (signal - 1)) != 0);
    let (ignored, caught, blocked) = (mask("SigIgn:"), mask("SigCgt:"), mask("SigBlk:"));
    println!("SIGHUP (ignored before exec): ignored {}", bit(ignored, libc::SIGHUP));
    println!(
        "SIGUSR1 (caught before exec): caught {}, back to the default action {}",
        bit(caught, libc::SIGUSR1),
        !bit(caught, libc::SIGUSR1) && !bit(ignored, libc::SIGUSR1)
    );
    println!("SIGUSR2 (blocked before exec): blocked {}", bit(blocked, libc::SIGUSR2));
    let threads = status.lines().find_map(|l| l.strip_prefix("Threads:")).map(str::trim).unwrap_or("?");
    println!("threads: {threads}");
    ExitCode::SUCCESS
}
// ANCHOR_END: child

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    what_is_inherited().map_err(InputError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inheritance_follows_fork_and_execve() {
        let out = what_is_inherited().unwrap();
        assert!(out.contains("the parent has 3 or more; the forked child, before exec: 1\n"), "{out}");
        assert!(out.contains("at the same number as in the parent: true"), "{out}");
        assert!(out.contains("the close-on-exec pipe is not among them: true"), "{out}");
        assert!(!out.contains("something else"), "{out}");
        assert!(out.contains("BF_NOTE = \"set by the parent\""), "{out}");
        assert!(out.contains("the one the parent chose: true"), "{out}");
        assert!(out.contains("ignored true"), "{out}");
        assert!(out.contains("caught false, back to the default action true"), "{out}");
        assert!(out.contains("blocked true"), "{out}");
        assert!(out.contains("after exec, threads: 1"), "{out}");
    }
}
