//! The child process of the chapter "System calls and file systems": a writer that rewrites a
//! file in place or atomically and is killed part-way
//! (`files-child in-place|atomic <path> stop=K|loop`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    examples::files::atomic::child_main(&args)
}
