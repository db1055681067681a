//! The child process of the chapter "System calls and file systems": a writer that rewrites a
//! file in place or atomically and is killed part-way
//! (`files-child in-place|atomic <path> stop=K|loop`), an appender for the O_APPEND race
//! (`files-child append append|seek TAG N PATH`), and a helper that writes to an
//! inherited descriptor or says which descriptors it has (`files-child say TEXT`,
//! `files-child open-fds N …`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    examples::files::descriptors::child_main(&args)
        .unwrap_or_else(|| examples::files::atomic::child_main(&args))
}
