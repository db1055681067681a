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

/// In the forked child, before `execve`: copies the `Umask:`, `Pid:`, `SigPnd:` and `Threads:`
/// lines of `/proc/self/status` into `report`. Only async-signal-safe calls and no allocation:
/// another thread of the parent may have held the allocator's lock at the moment of `fork`.
fn report_from_fork(report: RawFd) {
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
        for name in [&b"\nUmask:"[..], b"\nPid:", b"\nSigPnd:", b"\nThreads:"] {
            if let Some(start) = text.windows(name.len()).position(|w| w == name).map(|i| i + 1) {
                let end =
                    text[start..].iter().position(|&b| b == b'\n').map_or(text.len(), |i| start + i + 1);
                libc::write(report, text[start..end].as_ptr().cast(), end - start);
            }
        }
    }
}

/// The value of `name` (such as `"Threads:"`) in a `/proc/.../status` text.
fn status_field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status.lines().find_map(|line| line.strip_prefix(name)).map(str::trim)
}

/// Whether `signal`'s bit is set in a hexadecimal signal set of `/proc/.../status`.
fn has_signal(set: Option<&str>, signal: libc::c_int) -> bool {
    set.and_then(|hex| u64::from_str_radix(hex, 16).ok()).is_some_and(|m| m & (1 << (signal - 1)) != 0)
}

/// Makes SIGUSR2 pending on the calling thread, blocked so that it is not delivered, and on
/// drop takes it back (`sigtimedwait`) and restores the thread's mask. Thread-directed
/// (`pthread_kill`), so no other thread of this process can receive it.
struct PendingSigusr2 {
    old_mask: libc::sigset_t,
}

impl PendingSigusr2 {
    fn new() -> Result<Self, String> {
        // SAFETY: sigset_t is plain data; the calls change only this thread's mask and send a
        // signal that the mask keeps pending.
        unsafe {
            let mut block: libc::sigset_t = std::mem::zeroed();
            let mut old_mask: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut block);
            libc::sigaddset(&mut block, libc::SIGUSR2);
            libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old_mask);
            let pending = PendingSigusr2 { old_mask };
            if libc::pthread_kill(libc::pthread_self(), libc::SIGUSR2) != 0 {
                return Err("pthread_kill failed".into());
            }
            Ok(pending)
        }
    }
}

impl Drop for PendingSigusr2 {
    fn drop(&mut self) {
        // SAFETY: as in `new`; a zero timeout only collects a signal that is already pending.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR2);
            let now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            libc::sigtimedwait(&set, std::ptr::null_mut(), &now);
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old_mask, std::ptr::null_mut());
        }
    }
}

// ANCHOR: example
/// The umask and the soft open-file limit that the child sets between `fork` and `exec`.
const CHILD_UMASK: libc::mode_t = 0o027;
const CHILD_NOFILE: libc::rlim_t = 256;

pub fn what_is_inherited() -> Result<String, String> {
    let mut out = String::new();
    let parent_status = || std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string());
    // SAFETY: getrlimit writes one struct, which we own.
    let mut nofile: libc::rlimit = unsafe { std::mem::zeroed() };
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut nofile) };
    let child_nofile = CHILD_NOFILE.min(nofile.rlim_max);
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
                report_from_fork(fds[2]);
                // Like Python's `close_fds=True`: everything above stderr closes at exec, except
                // the one pipe passed on purpose (this process's own inherited descriptors too).
                for fd in 3..4096 {
                    let flags = if fd == fds[1] { 0 } else { libc::FD_CLOEXEC };
                    libc::fcntl(fd, libc::F_SETFD, flags);
                }
                libc::umask(CHILD_UMASK);
                let limit = libc::rlimit { rlim_cur: child_nofile, rlim_max: nofile.rlim_max };
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
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
        // Just before the fork: this thread has SIGUSR2 pending, and the process at least the
        // two threads started above besides this one.
        let pending = PendingSigusr2::new()?;
        let thread_status = std::fs::read_to_string("/proc/thread-self/status").map_err(|e| e.to_string())?;
        let status = parent_status()?;
        let child = command.spawn().map_err(|e| format!("starting the child: {e}"));
        drop(pending);
        let child = child?;
        drop(report_writer); // the child's copy closed at exec: now the pipe can end
        let mut forked = String::new();
        std::fs::File::from(report_reader).read_to_string(&mut forked).map_err(|e| e.to_string())?;
        let child_pid = child.id().to_string();
        let output = child.wait_with_output().map_err(|e| e.to_string())?;
        let after_exec = String::from_utf8_lossy(&output.stdout).into_owned();

        let parent_threads: u32 = status_field(&status, "Threads:").and_then(|n| n.parse().ok()).unwrap_or(0);
        out.push_str(&format!(
            "threads: the parent has {}; the forked child, before exec: {}\n",
            if parent_threads >= 3 { "3 or more" } else { "fewer than 3" },
            status_field(&forked, "Threads:").unwrap_or("?")
        ));
        let pid_after_exec = status_field(&after_exec, "pid");
        out.push_str(&format!(
            "PID: the forked child's is new: {}; after exec, the same as before exec: {}\n",
            status_field(&forked, "Pid:").is_some_and(|pid| pid != std::process::id().to_string()),
            pid_after_exec.is_some() && pid_after_exec == status_field(&forked, "Pid:")
        ));
        out.push_str(&format!(
            "pending SIGUSR2: in the parent's thread {}, in the forked child {}\n",
            has_signal(status_field(&thread_status, "SigPnd:"), libc::SIGUSR2),
            has_signal(status_field(&forked, "SigPnd:"), libc::SIGUSR2)
        ));
        out.push_str(&format!(
            "umask: the forked child's is the parent's: {}; after exec, the {:04o} set before exec: {}\n",
            status_field(&forked, "Umask:").is_some()
                && status_field(&forked, "Umask:") == status_field(&status, "Umask:"),
            CHILD_UMASK,
            status_field(&after_exec, "umask") == Some(format!("{CHILD_UMASK:04o}").as_str())
        ));
        out.push_str(&format!(
            "after exec, the PID the parent's spawn returned: {}\n",
            pid_after_exec == Some(child_pid.as_str())
        ));
        let inode = |fd: &std::os::fd::OwnedFd| -> Result<String, String> {
            let file = std::fs::File::from(fd.try_clone().map_err(|e| e.to_string())?);
            Ok(format!("pipe:[{}]", file.metadata().map_err(|e| e.to_string())?.ino()))
        };
        let (inheritable_target, closed_target) = (inode(&inheritable)?, inode(&closed_on_exec)?);
        // SAFETY: getuid and getgid cannot fail.
        let ids = unsafe { format!("{} {}", libc::getuid(), libc::getgid()) };
        for line in after_exec.lines() {
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
            } else if let Some(child_ids) = line.strip_prefix("uid gid ") {
                out.push_str(&format!("after exec, user and group are the parent's: {}\n", child_ids == ids));
            } else if let Some(limit) = line.strip_prefix("open-file limit ") {
                out.push_str(&format!(
                    "after exec, the open-file limit set before exec: {}\n",
                    limit == child_nofile.to_string()
                ));
            } else if !line.starts_with("pid ") && !line.starts_with("umask ") {
                out.push_str(&format!("after exec, {line}\n"));
            }
        }
        out.push_str(&format!("the close-on-exec pipe is not among them: {}\n", !out.contains("LEAKED")));
        out.push_str(
            "not checked here: memory (copied on write; see \"Processes, threads and cores\"), \
             and the offset a forked child shares with its parent (ipc::fd_passing shows one shared \
             across processes)\n",
        );
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
    println!("pid {}", std::process::id());
    println!("umask {}", status_field(&status, "Umask:").unwrap_or("?"));
    // SAFETY: getuid, getgid and getrlimit cannot fail here; getrlimit writes one struct.
    let (uid, gid, nofile) = unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        (libc::getuid(), libc::getgid(), limit.rlim_cur)
    };
    println!("uid gid {uid} {gid}");
    println!("open-file limit {nofile}");
    let mask = |name: &str| status_field(&status, name);
    let (ignored, caught, blocked) = (mask("SigIgn:"), mask("SigCgt:"), mask("SigBlk:"));
    println!("SIGHUP (ignored before exec): ignored {}", has_signal(ignored, libc::SIGHUP));
    println!(
        "SIGUSR1 (caught before exec): caught {}, back to the default action {}",
        has_signal(caught, libc::SIGUSR1),
        !has_signal(caught, libc::SIGUSR1) && !has_signal(ignored, libc::SIGUSR1)
    );
    println!("SIGUSR2 (blocked before exec): blocked {}", has_signal(blocked, libc::SIGUSR2));
    println!("threads: {}", status_field(&status, "Threads:").unwrap_or("?"));
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
        for expected in [
            "the parent has 3 or more; the forked child, before exec: 1\n",
            "the forked child's is new: true; after exec, the same as before exec: true\n",
            "pending SIGUSR2: in the parent's thread true, in the forked child false\n",
            "umask: the forked child's is the parent's: true; after exec, the 0027 set before exec: true\n",
            "the PID the parent's spawn returned: true\n",
            "at the same number as in the parent: true",
            "the close-on-exec pipe is not among them: true",
            "BF_NOTE = \"set by the parent\"",
            "the one the parent chose: true",
            "user and group are the parent's: true",
            "the open-file limit set before exec: true",
            "ignored true",
            "caught false, back to the default action true",
            "blocked true",
            "after exec, threads: 1",
        ] {
            assert!(out.contains(expected), "missing {expected:?} in\n{out}");
        }
        assert!(!out.contains("something else"), "{out}");
    }
}
