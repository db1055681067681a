//! Timed, named steps and commands that say what failed.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// Runs `work` as a named step: prints its name, then how long it took; a failure names the step.
pub fn step<T>(name: &str, work: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    eprintln!("==> {name}");
    let started = Instant::now();
    let result = work();
    let took = format_duration(started.elapsed());
    match result {
        Ok(value) => {
            eprintln!("    ok: {name} ({took})");
            Ok(value)
        }
        Err(err) => Err(err.context(format!("step `{name}` failed after {took}"))),
    }
}

pub fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 1.0 { format!("{:.0} ms", secs * 1000.0) } else { format!("{secs:.1} s") }
}

/// Runs a command with inherited output; a non-zero exit is an error naming the command.
pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = describe(cmd);
    let status = cmd.status().with_context(|| format!("could not start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` exited with {status}");
    }
    Ok(())
}

/// Runs a command and returns its stdout; on failure the error carries its stderr.
pub fn output(cmd: &mut Command) -> anyhow::Result<String> {
    let shown = describe(cmd);
    let out = cmd.output().with_context(|| format!("could not start `{shown}`"))?;
    if !out.status.success() {
        bail!("`{shown}` exited with {}:\n{}", out.status, String::from_utf8_lossy(&out.stderr).trim_end());
    }
    String::from_utf8(out.stdout).with_context(|| format!("`{shown}` printed something that is not UTF-8"))
}

pub fn describe(cmd: &Command) -> String {
    let mut words = vec![cmd.get_program().to_string_lossy().into_owned()];
    words.extend(cmd.get_args().map(|arg| arg.to_string_lossy().into_owned()));
    words.join(" ")
}

pub use test_support::in_ci;

/// Prints a hard-to-miss warning block.
pub fn loud_warning(lines: &[&str]) {
    let bar = "!".repeat(78);
    eprintln!("\n{bar}");
    for line in lines {
        eprintln!("!! {line}");
    }
    eprintln!("{bar}\n");
}
