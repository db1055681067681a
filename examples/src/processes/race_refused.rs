//! Data races the compiler refuses. Each program below shares a counter between threads in a
//! way that could race; the example hands each one to `rustc` and reports the error it gets,
//! then compiles the fixed version.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "processes::race_refused",
    title: "The data races rustc refuses to compile",
    file: file!(),
    default_input: "",
    input_help: "no input: the programs are in the source",
    runs: Runs::NativeOnly {
        reason: "it runs the Rust compiler, which the browser does not have",
        simulation: None,
    },
    run: Run::Text(run),
};

// ANCHOR: example
/// A spawned thread may outlive the function whose local it borrows, and both write `hits`.
pub const SPAWN_BORROWS_A_LOCAL: &str = "\
use std::thread;

pub fn count() -> u32 {
    let mut hits = 0;
    let worker = thread::spawn(|| hits += 1);
    hits += 1;
    worker.join().unwrap();
    hits
}
";

/// Scoped threads cannot outlive `hits`, but two of them still want `&mut hits` at once.
pub const TWO_WRITERS: &str = "\
use std::thread;

pub fn count() -> u32 {
    let mut hits = 0;
    thread::scope(|s| {
        s.spawn(|| hits += 1);
        s.spawn(|| hits += 1);
    });
    hits
}
";

/// `Rc` counts its owners without atomics, so it must not be sent to another thread (not `Send`).
pub const RC_TO_A_THREAD: &str = "\
use std::cell::Cell;
use std::rc::Rc;
use std::thread;

pub fn count() -> u32 {
    let hits = Rc::new(Cell::new(0));
    let theirs = Rc::clone(&hits);
    thread::spawn(move || theirs.set(theirs.get() + 1)).join().unwrap();
    hits.get()
}
";

/// `Cell` allows writes through a shared `&`, so `&Cell` must not be shared by threads (not `Sync`).
pub const CELL_SHARED: &str = "\
use std::cell::Cell;
use std::thread;

pub fn count() -> u32 {
    let hits = Cell::new(0);
    thread::scope(|s| {
        s.spawn(|| hits.set(hits.get() + 1));
        s.spawn(|| hits.set(hits.get() + 1));
    });
    hits.get()
}
";

/// The fix: scoped threads share `&AtomicU32`, whose `fetch_add` is one indivisible step.
pub fn count() -> u32 {
    let hits = AtomicU32::new(0);
    std::thread::scope(|s| {
        s.spawn(|| hits.fetch_add(1, Ordering::Relaxed));
        s.spawn(|| hits.fetch_add(1, Ordering::Relaxed));
    });
    hits.into_inner()
}
// ANCHOR_END: example

/// The fixed `count` as a program, so that it goes through the same compiler check.
const FIXED: &str = "\
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;

pub fn count() -> u32 {
    let hits = AtomicU32::new(0);
    thread::scope(|s| {
        s.spawn(|| hits.fetch_add(1, Ordering::Relaxed));
        s.spawn(|| hits.fetch_add(1, Ordering::Relaxed));
    });
    hits.into_inner()
}
";

/// What rustc said about a program: `None` if it compiled, else the first error's code and
/// its message line (the rest of a diagnostic changes between compiler versions).
pub fn first_error(source: &str, name: &str) -> Result<Option<(String, String)>, String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let dir = scratch_dir(name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let file = dir.join(format!("{name}.rs"));
    std::fs::write(&file, source).map_err(|e| format!("writing {}: {e}", file.display()))?;
    let output = Command::new(&rustc)
        .args(["--edition", "2024", "--crate-type", "lib", "--emit=metadata", "--color", "never"])
        .arg("--crate-name")
        .arg(name)
        .arg("--out-dir")
        .arg(&dir)
        .arg(&file)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let output = output.map_err(|e| {
        format!("could not run `{}` ({e}); put rustc on PATH or set RUSTC", rustc.to_string_lossy())
    })?;
    if output.status.success() {
        return Ok(None);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix("error[")?;
            let (code, message) = rest.split_once("]: ")?;
            Some(Some((code.to_string(), message.to_string())))
        })
        .ok_or_else(|| format!("rustc failed without an error code:\n{stderr}"))
}

fn scratch_dir(name: &str) -> PathBuf {
    // Tests run in parallel: one directory per process and program.
    std::env::temp_dir().join(format!("bf-race-{}-{name}", std::process::id()))
}

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    let programs = [
        (
            "spawn_borrows_a_local",
            "a thread borrows a local of the function that spawns it",
            SPAWN_BORROWS_A_LOCAL,
        ),
        ("two_writers", "two scoped threads both write the same counter", TWO_WRITERS),
        ("rc_to_a_thread", "an Rc is moved into another thread", RC_TO_A_THREAD),
        ("cell_shared", "two threads share a Cell", CELL_SHARED),
        ("fixed", "the fix: scoped threads and an AtomicU32", FIXED),
    ];
    let mut out = String::from("rustc --edition 2024 on each program:\n\n");
    for (number, (name, what, source)) in programs.iter().enumerate() {
        out.push_str(&format!("{}. {what}\n", number + 1));
        match first_error(source, name).map_err(InputError::new)? {
            Some((code, message)) => out.push_str(&format!("   error[{code}]: {message}\n")),
            None => out.push_str("   compiles\n"),
        }
    }
    out.push_str(&format!("\nand the fixed count(), run here: {}\n", count()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refused_program_fails_with_its_code_and_the_fix_compiles() {
        let code = |source, name| first_error(source, name).unwrap().map(|(code, _)| code);
        assert_eq!(code(SPAWN_BORROWS_A_LOCAL, "t_spawn").as_deref(), Some("E0373"));
        assert_eq!(code(TWO_WRITERS, "t_two").as_deref(), Some("E0499"));
        assert_eq!(code(RC_TO_A_THREAD, "t_rc").as_deref(), Some("E0277"));
        assert_eq!(code(CELL_SHARED, "t_cell").as_deref(), Some("E0277"));
        assert_eq!(code(FIXED, "t_fixed"), None);
        assert_eq!(count(), 2);
    }

    #[test]
    fn the_fixed_program_is_the_fixed_function() {
        let source =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/processes/race_refused.rs"))
                .unwrap();
        let body = FIXED.split_once("pub fn count").unwrap().1.replace("thread::scope", "std::thread::scope");
        assert!(source.contains(&format!("pub fn count{body}")), "FIXED and count() differ");
    }

    #[test]
    fn it_takes_no_input() {
        assert_eq!(run("x = 1").unwrap_err().line, Some(1));
    }
}
