//! The child process of the chapter "Processes, threads and cores": a separate program that the
//! examples start with `std::process::Command`.
//!
//! * `processes-child count`: reads text on stdin, writes `word count` lines on stdout;
//! * `processes-child abort`: prints what it inherited, then aborts (SIGABRT on Unix);
//! * `processes-child thread-fault`: a worker thread writes to an unmapped address (SIGSEGV),
//!   taking the whole process down, busy main thread included;
//! * `processes-child echo`: echoes stdin to stdout byte by byte, then reports its context
//!   switches (the measured context switch).

use std::process::ExitCode;

use examples::processes::{context_switch, crash, wordcount};

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("count") => wordcount::child_main(),
        Some("abort") => crash::child_abort(),
        Some("thread-fault") => crash::child_thread_fault(),
        Some("echo") => context_switch::child_echo(),
        _ => {
            eprintln!("usage: processes-child count | abort | thread-fault | echo");
            ExitCode::from(2)
        }
    }
}
