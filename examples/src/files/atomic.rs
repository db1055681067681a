//! Replacing a file, with a writer that is killed (SIGKILL) part-way.
//!
//! The writer is a child process (`files-child`, `src/bin/files_child.rs`) that rewrites a
//! file from one version to the next in one of two ways:
//!
//! * **in place**: `open(f, O_TRUNC)`, then the new contents in four `write`s;
//! * **atomically**: `open(f.tmp, O_CREAT|O_TRUNC)`, four `write`s, `fsync(f.tmp)`,
//!   `rename(f.tmp, f)`, `fsync` of the directory.
//!
//! First, deterministically: the child stops after step `k`, says so on stdout and waits;
//! the parent kills it there and looks at `f`, for every `k`. Then at random moments: the child
//! rewrites the file in a loop (versions 2, 3, 4, …) and the parent kills it after a seeded
//! random delay, 30 times per method. A version is recognisable from its contents, so the
//! parent can say whether `f` is empty, torn (not any complete version), or complete.
//!
//! What a SIGKILL proves: the file system's view after the *process* dies at that point. The
//! kernel's page cache survives, so everything the child had passed to `write` is in the file;
//! this says nothing about a power loss, where unflushed pages are lost and writes may reach
//! the disk out of order (the fsyncs matter only there: this test would pass without them).

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitCode, Stdio};

use super::TempDir;
use crate::input::Params;
use crate::programs::sibling_program;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "files::atomic_replace",
    title: "A writer killed while it replaces a file: in place, and write-temp-fsync-rename",
    file: file!(),
    default_input: "kills = 30\nmax_delay_us = 3000\nseed = 1\n",
    input_help: "`kills = N` (1 to 200) random kills per method, `max_delay_us = N` (100 to 100,000): \
                 each kill comes a random 0..N µs after the writer starts its loop, `seed = N`",
    runs: Runs::NativeOnly {
        reason: "it writes real files and kills a real child process, which the browser playground cannot do",
        simulation: Some("files::crash"),
    },
    run: Run::Text(run),
};

/// Chunks per version: each is one `write` call.
pub const CHUNKS: usize = 4;
const LINES: usize = 1024;

/// The contents of version `v`: 1,024 lines `version 00000007\n` (17 KiB).
pub fn contents(version: u64) -> Vec<u8> {
    format!("version {version:08}\n").repeat(LINES).into_bytes()
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["kills", "max_delay_us", "seed"])?;
    let kills = params.number_or("kills", 1u32, 200, 30)?;
    let max_delay = params.number_or("max_delay_us", 100u64, 100_000, 3000)?;
    let seed = params.number_or("seed", 0u64, u64::MAX, 1)?;
    replace_and_kill(kills, max_delay, seed).map_err(InputError::new)
}

/// What the parent finds in `f` after the kill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Missing,
    Empty,
    Complete(u64),
    Torn(usize),
}

pub fn look(path: &Path) -> Found {
    let Ok(bytes) = fs::read(path) else { return Found::Missing };
    if bytes.is_empty() {
        return Found::Empty;
    }
    let version = std::str::from_utf8(&bytes[..bytes.len().min(17)])
        .ok()
        .and_then(|line| line.strip_prefix("version ")?.trim_end().parse::<u64>().ok());
    match version {
        Some(v) if bytes == contents(v) => Found::Complete(v),
        _ => Found::Torn(bytes.len()),
    }
}

// ANCHOR: example
pub fn replace_and_kill(kills: u32, max_delay_us: u64, seed: u64) -> Result<String, String> {
    let dir = TempDir::new("atomic")?;
    let f = dir.path().join("f");
    let mut out = String::new();

    for (method, steps) in [("in-place", CHUNKS + 1), ("atomic", CHUNKS + 4)] {
        out.push_str(&format!("{method}: the writer stops after step k and is killed there\n"));
        for k in 0..=steps {
            let _ = fs::remove_file(dir.path().join("f.tmp"));
            fs::write(&f, contents(1)).map_err(|e| e.to_string())?; // the old version
            let mut child = start(method, &f, &format!("stop={k}"))?;
            let line = read_line(&mut child)?; // "stopped after: <step>"
            kill(child)?;
            let tmp = dir.path().join("f.tmp");
            let leftover = if tmp.exists() {
                format!("; f.tmp left behind: {}", describe(&look(&tmp)))
            } else {
                String::new()
            };
            out.push_str(&format!(
                "  {k}. {:<34} f is {}{leftover}\n",
                line.trim_start_matches("stopped after: "),
                describe(&look(&f))
            ));
        }
    }

    let mut rng = Rng::new(seed);
    out.push_str(&format!("killed at {kills} random moments per method while rewriting in a loop:\n"));
    for method in ["in-place", "atomic"] {
        let (mut complete, mut broken) = (0, 0);
        for _ in 0..kills {
            let _ = fs::remove_file(dir.path().join("f.tmp"));
            fs::write(&f, contents(1)).map_err(|e| e.to_string())?;
            let mut child = start(method, &f, "loop")?;
            read_line(&mut child)?; // "looping": the rewrites have started
            std::thread::sleep(std::time::Duration::from_micros(rng.range(0, max_delay_us)));
            kill(child)?;
            match look(&f) {
                Found::Complete(_) => complete += 1,
                _ => broken += 1,
            }
        }
        out.push_str(&match method {
            "in-place" => format!(
                "  in-place: empty or torn after at least one kill: {}\n",
                if broken > 0 { "yes" } else { "no (the kills all missed the window; try more kills)" }
            ),
            _ => format!(
                "  atomic:   a complete version after every kill: {} ({complete} of {kills})\n",
                if broken == 0 { "yes" } else { "NO" }
            ),
        });
    }
    Ok(out)
}
// ANCHOR_END: example

fn describe(found: &Found) -> String {
    match found {
        Found::Missing => "missing".into(),
        Found::Empty => "EMPTY".into(),
        Found::Complete(1) => "old (version 1)".into(),
        Found::Complete(2) => "new (version 2)".into(),
        Found::Complete(v) => format!("complete (version {v})"),
        Found::Torn(n) => format!("TORN ({n} of {} bytes)", contents(1).len()),
    }
}

fn start(method: &str, f: &Path, how: &str) -> Result<Child, String> {
    Command::new(sibling_program("files-child")?)
        .args([method.as_ref(), f.as_os_str(), how.as_ref()])
        .stdin(Stdio::piped()) // held open: the child waits on it after stopping
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting files-child: {e}"))
}

fn read_line(child: &mut Child) -> Result<String, String> {
    let stdout: &mut ChildStdout = child.stdout.as_mut().expect("stdout is piped");
    let mut line = String::new();
    // One line only; a BufReader over a borrowed pipe reads no further than the child wrote.
    BufReader::new(stdout).read_line(&mut line).map_err(|e| format!("reading the child: {e}"))?;
    if line.is_empty() {
        let status = child.wait().map_err(|e| e.to_string())?;
        return Err(format!("files-child ended early: {status}"));
    }
    Ok(line.trim_end().to_string())
}

fn kill(mut child: Child) -> Result<(), String> {
    child.kill().map_err(|e| format!("killing the child: {e}"))?; // SIGKILL
    let status = child.wait().map_err(|e| e.to_string())?;
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(9) => Ok(()),
        _ => Err(format!("the child was not killed by SIGKILL: {status}")),
    }
}

// ANCHOR: child
/// `files-child in-place|atomic <path> stop=K|loop`: rewrite `path`, stopping after step `K`
/// (then wait to be killed), or rewrite it forever with versions 2, 3, 4, …
pub fn child_main(args: &[String]) -> ExitCode {
    let [method, path, how] = args else {
        eprintln!("usage: files-child in-place|atomic <path> stop=K|loop");
        return ExitCode::from(2);
    };
    let stop = how.strip_prefix("stop=").and_then(|k| k.parse::<usize>().ok());
    let mut step = 0;
    let mut out = std::io::stdout();
    // Called after each step: in stop mode, report it and wait (forever) for the kill.
    let mut after = |what: &str| {
        if stop == Some(step) {
            let _ = writeln!(out, "stopped after: {what}");
            let _ = out.flush();
            let _ = std::io::stdin().read_line(&mut String::new());
            std::process::exit(1); // stdin closed: the parent is gone
        }
        step += 1;
    };
    after("nothing yet"); // step 0
    if how == "loop" {
        println!("looping");
    }
    let path = Path::new(path);
    let mut version = 2;
    loop {
        let result = match method.as_str() {
            "in-place" => rewrite_in_place(path, version, &mut after),
            "atomic" => rewrite_atomically(path, version, &mut after),
            _ => Err(std::io::Error::other("unknown method")),
        };
        if let Err(e) = result {
            eprintln!("files-child: {e}");
            return ExitCode::FAILURE;
        }
        if stop.is_some() {
            after("(done)");
            // Nothing more to do: wait for the kill.
            let _ = std::io::stdin().read_line(&mut String::new());
            return ExitCode::SUCCESS;
        }
        version += 1;
    }
}

fn rewrite_in_place(path: &Path, version: u64, after: &mut impl FnMut(&str)) -> std::io::Result<()> {
    let mut file = fs::File::create(path)?; // O_WRONLY|O_CREAT|O_TRUNC: the old contents are gone now
    after("open(f, O_TRUNC)");
    write_chunks(&mut file, version, after)
}

fn rewrite_atomically(path: &Path, version: u64, after: &mut impl FnMut(&str)) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = fs::File::create(&tmp)?;
    after("open(f.tmp, O_CREAT|O_TRUNC)");
    write_chunks(&mut file, version, after)?;
    file.sync_all()?; // the data is durable before any name points to it
    after("fsync(f.tmp)");
    drop(file);
    fs::rename(&tmp, path)?; // atomically replaces the name `f`
    after("rename(f.tmp, f)");
    fs::File::open(path.parent().unwrap_or(Path::new(".")))?.sync_all()?; // the rename is durable
    after("fsync(directory)");
    Ok(())
}

fn write_chunks(file: &mut fs::File, version: u64, after: &mut impl FnMut(&str)) -> std::io::Result<()> {
    let bytes = contents(version);
    for (i, chunk) in bytes.chunks(bytes.len() / CHUNKS).enumerate() {
        file.write_all(chunk)?;
        after(&format!("write chunk {} of {CHUNKS}", i + 1));
    }
    Ok(())
}
// ANCHOR_END: child

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_recognised() {
        let dir = TempDir::new("look").unwrap();
        let f = dir.path().join("f");
        assert_eq!(look(&f), Found::Missing);
        fs::write(&f, "").unwrap();
        assert_eq!(look(&f), Found::Empty);
        fs::write(&f, contents(7)).unwrap();
        assert_eq!(look(&f), Found::Complete(7));
        fs::write(&f, &contents(7)[..100]).unwrap();
        assert_eq!(look(&f), Found::Torn(100));
        let mut mixed = contents(2);
        mixed[..17].copy_from_slice(&contents(1)[..17]);
        assert_eq!(look(&f.with_extension("x")), Found::Missing);
        fs::write(&f, mixed).unwrap();
        assert!(matches!(look(&f), Found::Torn(_)));
    }

    #[test]
    fn in_place_tears_and_atomic_does_not() {
        let out = replace_and_kill(10, 2000, 5).unwrap();
        assert!(out.contains("open(f, O_TRUNC)                   f is EMPTY"), "{out}");
        assert!(out.contains("f is TORN"), "{out}");
        assert!(out.contains("rename(f.tmp, f)                   f is new (version 2)"), "{out}");
        assert!(out.contains("a complete version after every kill: yes (10 of 10)"), "{out}");
        // Before the rename, every kill point of the atomic method leaves the old version.
        let atomic = out.split("atomic: the writer").nth(1).unwrap().split("killed at").next().unwrap();
        let before_rename = atomic.lines().skip(1).take(CHUNKS + 3);
        assert!(before_rename.clone().all(|l| l.contains("f is old (version 1)")), "{atomic}");
    }
}
