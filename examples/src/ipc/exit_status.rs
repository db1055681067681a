//! How a child ended, as its parent and a shell see it: exit statuses (only 8 bits survive),
//! signals sent by the parent, and `SIGPIPE`, the signal a writer gets when nobody reads.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitCode, Stdio};

use crate::ipc::sys::{self, Ended};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "ipc::exit_status",
    title: "Exit statuses and signals: what waitpid reports, and the shell's 128 + n",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it starts child processes and signals them, which a browser cannot",
        simulation: Some("ipc::pipe"),
    },
    run: Run::Text(run),
};

/// One way for a child to end, and the arguments that make `ipc-child` end that way on its
/// own (what the shell runs).
struct Case {
    what: &'static str,
    by_itself: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case { what: "exit(0)", by_itself: &["exit", "0"] },
    Case { what: "exit(3)", by_itself: &["exit", "3"] },
    Case { what: "exit(300): only 8 bits survive", by_itself: &["exit", "300"] },
    Case { what: "the parent sends SIGTERM", by_itself: &["raise", "15"] },
    Case { what: "the parent sends SIGINT (Ctrl-C)", by_itself: &["raise", "2"] },
    Case { what: "the parent sends SIGKILL", by_itself: &["raise", "9"] },
    Case { what: "writes to a pipe nobody reads", by_itself: &["raise", "13"] },
];

// ANCHOR: example
/// Starts `ipc-child` with `args`, piped.
fn start(args: &[&str]) -> Result<Child, String> {
    Command::new(crate::ipc::child_program()?)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting ipc-child {args:?}: {e}"))
}

/// Ends a child the way `case` says and returns the raw status word that `waitpid` gave.
fn end_child(case: usize) -> Result<i32, String> {
    let mut child = match case {
        0..=2 => start(CASES[case].by_itself)?, // it exits by itself
        3..=5 => {
            let mut child = start(&["wait"])?;
            // Wait for "ready": the child has reset the signal to its default action.
            let mut line = String::new();
            BufReader::new(child.stdout.as_mut().expect("piped"))
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            let signal = [libc::SIGTERM, libc::SIGINT, libc::SIGKILL][case - 3];
            sys::kill(child.id(), signal).map_err(|e| format!("kill: {e}"))?;
            child
        }
        _ => {
            let mut child = start(&["flood"])?;
            let mut first = [0u8; 1];
            child.stdout.as_mut().expect("piped").read_exact(&mut first).map_err(|e| e.to_string())?;
            drop(child.stdout.take()); // close the only read end: the next write raises SIGPIPE
            child
        }
    };
    drop(child.stdin.take());
    let status = child.wait().map_err(|e| format!("waitpid: {e}"))?;
    Ok(std::os::unix::process::ExitStatusExt::into_raw(status))
}

/// What `sh` prints as `$?` after running the child, which ends the same way on its own.
fn shell_says(case: &Case) -> Result<String, String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#""$0" "$@"; echo "$?""#)
        .arg(crate::ipc::child_program()?)
        .args(case.by_itself)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("running sh: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
// ANCHOR_END: example

pub fn report() -> Result<String, String> {
    let mut out = format!(
        "{:<34} {:>10}  {:<34} {:>7}  {}\n",
        "how the child ended", "raw status", "decoded (WIFEXITED / WIFSIGNALED)", "128 + n", "sh's $?"
    );
    for (i, case) in CASES.iter().enumerate() {
        let raw = end_child(i)?;
        let ended = Ended::from_raw(raw).ok_or_else(|| format!("odd status {raw:#x}"))?;
        out.push_str(&format!(
            "{:<34} {:>10}  {:<34} {:>7}  {}\n",
            case.what,
            format!("{raw:#06x}"),
            ended.describe(),
            ended.shell_status(),
            shell_says(case)?
        ));
    }
    Ok(out)
}

// ANCHOR: child
/// `ipc-child exit N`: `exit(N)`; the kernel keeps `N & 0xff`.
pub fn child_exit(code: &str) -> ExitCode {
    let code: i32 = code.parse().unwrap_or(1);
    std::process::exit(code)
}

/// `ipc-child raise N`: default action for signal N, then send it to itself.
pub fn child_raise(signal: &str) -> ExitCode {
    let signal: i32 = signal.parse().unwrap_or(libc::SIGTERM);
    let _ = sys::set_disposition(signal, false);
    let _ = sys::kill(std::process::id(), signal);
    std::thread::sleep(std::time::Duration::from_secs(10)); // the signal arrives before this ends
    ExitCode::FAILURE
}

/// `ipc-child wait`: default actions for the signals a parent may send, say so, then block
/// reading stdin until it ends.
pub fn child_wait() -> ExitCode {
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let _ = sys::set_disposition(signal, false);
    }
    println!("ready");
    let _ = std::io::stdout().flush();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    ExitCode::SUCCESS
}

/// `ipc-child flood`: what a C program does by default (Rust ignores `SIGPIPE` in its own
/// process), then write to stdout until something stops it.
pub fn child_flood() -> ExitCode {
    let _ = sys::set_disposition(libc::SIGPIPE, false);
    let mut stdout = std::io::stdout().lock();
    loop {
        if stdout.write_all(b"y\n").and_then(|()| stdout.flush()).is_err() {
            return ExitCode::from(4); // EPIPE: only if SIGPIPE were ignored
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
    fn each_child_ends_the_way_its_case_says() {
        let expected = [
            Ended::Exited(0),
            Ended::Exited(3),
            Ended::Exited(44),
            Ended::Killed(15),
            Ended::Killed(2),
            Ended::Killed(9),
            Ended::Killed(13),
        ];
        for (i, want) in expected.iter().enumerate() {
            let raw = end_child(i).unwrap();
            assert_eq!(Ended::from_raw(raw), Some(*want), "{}", CASES[i].what);
            assert_eq!(shell_says(&CASES[i]).unwrap(), want.shell_status().to_string(), "{}", CASES[i].what);
        }
    }
}
