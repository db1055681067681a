//! The child process of the chapter "Processes, threads and cores": a separate program that the
//! examples start with `std::process::Command`.
//!
//! * `processes-child count`: reads text on stdin, writes `word count` lines on stdout;
//! * `processes-child abort`: prints what it inherited, then aborts (SIGABRT on Unix);
//! * `processes-child thread-abort`: a worker thread aborts, taking the whole process down.

use std::process::ExitCode;

use examples::processes::{crash, wordcount};

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("count") => wordcount::child_main(),
        Some("abort") => crash::child_abort(),
        Some("thread-abort") => crash::child_thread_abort(),
        _ => {
            eprintln!("usage: processes-child count | abort | thread-abort");
            ExitCode::from(2)
        }
    }
}
