//! A zombie, seen in `/proc`: a child that has exited but whose parent has not yet collected its
//! exit status with `waitpid`. It holds no memory any more, only its process-table entry and
//! its PID; `waitpid` removes it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::ipc::sys;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "ipc::zombie",
    title: "A zombie appears in /proc and is reaped by waitpid",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it starts a child process and reads /proc, which a browser does not have",
        simulation: Some("ipc::pipe"),
    },
    run: Run::Text(run),
};

/// How long a state change may take to show on a loaded machine before the example gives up.
const PATIENCE: Duration = Duration::from_secs(20);

fn state_name(state: Option<char>) -> &'static str {
    match state {
        Some('R') => "R (running)",
        Some('S') => "S (sleeping)",
        Some('Z') => "Z (zombie)",
        Some(_) => "another state",
        None => "no such process",
    }
}

// ANCHOR: example
pub fn zombie_then_reaped() -> Result<String, String> {
    let mut out = String::new();
    let mut child = Command::new(crate::ipc::child_program()?)
        .arg("wait") // says "ready", then blocks reading stdin until it is closed
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the child: {e}"))?;
    let pid = child.id();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut String::new())
        .map_err(|e| e.to_string())?;
    let state = |wanted: char| -> Result<Option<char>, String> {
        let mut seen = None;
        sys::wait_until(PATIENCE, || {
            seen = sys::process_state(pid)?;
            Ok(seen == Some(wanted))
        })
        .map_err(|e| format!("reading /proc/{pid}/stat: {e}"))?;
        Ok(seen)
    };
    out.push_str(&format!("1. the child runs, blocked in read(): state {}\n", state_name(state('S')?)));

    drop(child.stdin.take()); // end of file: the child's main returns, it calls exit(0)
    // No waitpid yet (Child::try_wait would call it): the exited child stays a zombie.
    out.push_str(&format!("2. it has exited, nobody has waited: state {}\n", state_name(state('Z')?)));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    let has_memory = status.lines().any(|line| line.starts_with("VmRSS:"));
    out.push_str(&format!(
        "   its memory is already released (no VmRSS line in /proc/<pid>/status): {}\n",
        !has_memory
    ));

    let ended = sys::ended(child.wait().map_err(|e| format!("waitpid: {e}"))?)?; // reaps it
    out.push_str(&format!("3. waitpid returns: {}\n", ended.describe()));
    let gone = sys::process_state(pid).map_err(|e| e.to_string())?;
    out.push_str(&format!("   after waitpid, /proc/<pid>: {}\n", state_name(gone)));
    Ok(out)
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    zombie_then_reaped().map_err(InputError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zombie_appears_and_waitpid_removes_it() {
        let out = zombie_then_reaped().unwrap();
        assert!(out.contains("state S (sleeping)\n"), "{out}");
        assert!(out.contains("state Z (zombie)\n"), "{out}");
        assert!(out.contains("(no VmRSS line in /proc/<pid>/status): true"), "{out}");
        assert!(out.contains("waitpid returns: exited with status 0"), "{out}");
        assert!(out.ends_with("/proc/<pid>: no such process\n"), "{out}");
    }
}
