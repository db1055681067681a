//! The few POSIX calls this chapter makes that `std` does not wrap, each a thin checked wrapper
//! over `libc` that returns an `io::Result` (so `EAGAIN` arrives as `ErrorKind::WouldBlock`).
//! Also: signal names, how a wait status is read, and a process's state from `/proc`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// `-1` from a call becomes the `errno` it set.
fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 { Err(io::Error::last_os_error()) } else { Ok(ret) }
}

/// `pipe2(2)`: the read end and the write end, both close-on-exec (so no child inherits them
/// by accident), and non-blocking if asked.
pub fn pipe(nonblocking: bool) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    let flags = libc::O_CLOEXEC | if nonblocking { libc::O_NONBLOCK } else { 0 };
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), flags) })?;
    // SAFETY: pipe2 succeeded, so both are open descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// One `write(2)` call, not a loop: how many bytes the kernel took, or `WouldBlock` (`EAGAIN`).
pub fn write_once(fd: &impl AsRawFd, bytes: &[u8]) -> io::Result<usize> {
    // SAFETY: the pointer and length describe `bytes`, which outlives the call.
    let n = unsafe { libc::write(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
    if n < 0 { Err(io::Error::last_os_error()) } else { Ok(n as usize) }
}

/// One `read(2)` call into `buffer`: how many bytes arrived (0 at end of file).
pub fn read_once(fd: &impl AsRawFd, buffer: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the pointer and length describe `buffer`, which outlives the call.
    let n = unsafe { libc::read(fd.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
    if n < 0 { Err(io::Error::last_os_error()) } else { Ok(n as usize) }
}

/// `fcntl(F_GETPIPE_SZ)`: the pipe's capacity in bytes (Linux).
pub fn pipe_capacity(fd: &impl AsRawFd) -> io::Result<usize> {
    // SAFETY: F_GETPIPE_SZ takes no argument and only reads the descriptor's pipe.
    Ok(check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) })? as usize)
}

/// `fcntl(F_SETPIPE_SZ)`: asks for a capacity; the kernel answers with the one it set.
pub fn set_pipe_capacity(fd: &impl AsRawFd, bytes: usize) -> io::Result<usize> {
    let bytes = libc::c_int::try_from(bytes).map_err(|_| io::Error::other("capacity too large"))?;
    // SAFETY: F_SETPIPE_SZ takes an int and only changes the descriptor's pipe.
    Ok(check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, bytes) })? as usize)
}

/// `ioctl(FIONREAD)`: how many bytes are waiting in the pipe to be read.
pub fn bytes_waiting(fd: &impl AsRawFd) -> io::Result<usize> {
    let mut waiting: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int, to `waiting`.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut waiting) })?;
    Ok(waiting as usize)
}

/// `kill(2)`: sends `signal` to process `pid`.
pub fn kill(pid: u32, signal: libc::c_int) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::other("pid out of range"))?;
    // SAFETY: kill has no memory arguments.
    check(unsafe { libc::kill(pid, signal) }).map(|_| ())
}

/// Sets `signal`'s disposition to the default action or to "ignore" (`sigaction(2)`, no
/// flags). Async-signal-safe: a child may call it between `fork` and `execve`.
pub fn set_disposition(signal: libc::c_int, ignore: bool) -> io::Result<()> {
    // SAFETY: a zeroed sigaction is valid (empty mask, no flags); the handler is SIG_DFL or
    // SIG_IGN, never a function, so nothing runs in signal context.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = if ignore { libc::SIG_IGN } else { libc::SIG_DFL };
        check(libc::sigaction(signal, &action, std::ptr::null_mut())).map(|_| ())
    }
}

/// The names of the signals this chapter meets (`signal(7)`, x86-64 and arm64 numbering).
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGCHLD => "SIGCHLD",
        _ => "another signal",
    }
}

// ANCHOR: wait_status
/// What a parent learns from `waitpid(2)`: the raw status word, decoded with the POSIX macros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `WIFEXITED`: the child called `exit` (or returned from `main`); `WEXITSTATUS` is the low
    /// 8 bits of the value it passed.
    Exited(i32),
    /// `WIFSIGNALED`: a signal's default action ended it; `WTERMSIG` says which.
    Killed(i32),
}

impl Ended {
    pub fn from_raw(status: i32) -> Option<Ended> {
        if libc::WIFEXITED(status) {
            Some(Ended::Exited(libc::WEXITSTATUS(status)))
        } else if libc::WIFSIGNALED(status) {
            Some(Ended::Killed(libc::WTERMSIG(status)))
        } else {
            None // stopped or continued: only with WUNTRACED / WCONTINUED
        }
    }

    /// The number a POSIX shell puts in `$?`: the exit status, or 128 + the signal's number.
    pub fn shell_status(self) -> i32 {
        match self {
            Ended::Exited(code) => code,
            Ended::Killed(signal) => 128 + signal,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Ended::Exited(code) => format!("exited with status {code}"),
            Ended::Killed(signal) => format!("killed by signal {signal} ({})", signal_name(signal)),
        }
    }
}
// ANCHOR_END: wait_status

/// How a `std::process::Child` ended, from its raw wait status.
pub fn ended(status: std::process::ExitStatus) -> Result<Ended, String> {
    use std::os::unix::process::ExitStatusExt;
    Ended::from_raw(status.into_raw())
        .ok_or_else(|| format!("the child neither exited nor was killed: {status}"))
}

/// The state letter of process `pid` (`R` running, `S` sleeping, `Z` zombie, …): the field after
/// the command name in `/proc/<pid>/stat` (`proc(5)`). `None` when there is no such process.
pub fn process_state(pid: u32) -> io::Result<Option<char>> {
    let stat = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // The command name is in parentheses and may itself contain `)`: the state follows the last.
    let after_name =
        stat.rfind(')').map(|i| &stat[i + 1..]).ok_or_else(|| io::Error::other("odd /proc stat"))?;
    Ok(after_name.split_whitespace().next().and_then(|field| field.chars().next()))
}

/// Polls `condition` every millisecond until it holds, for at most `limit`: a process's state
/// changes a moment after the event that causes it, and a loaded machine may take a while.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> io::Result<bool>) -> io::Result<bool> {
    let started = Instant::now();
    loop {
        if condition()? {
            return Ok(true);
        }
        if started.elapsed() > limit {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses_decode_like_the_posix_macros() {
        assert_eq!(Ended::from_raw(0x0300), Some(Ended::Exited(3)));
        assert_eq!(Ended::from_raw(0x000f), Some(Ended::Killed(15)));
        assert_eq!(Ended::from_raw(0x000f).unwrap().shell_status(), 143);
        assert_eq!(Ended::from_raw(0x137f), None); // stopped by SIGSTOP (19)
    }

    #[test]
    fn a_missing_process_has_no_state() {
        // PIDs never reach u32::MAX (pid_max is at most 2^22).
        assert_eq!(process_state(u32::MAX).unwrap(), None);
        assert_eq!(process_state(std::process::id()).unwrap().map(|s| "RS".contains(s)), Some(true));
    }
}
