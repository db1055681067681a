//! The child process of the chapter "Virtual memory and memory management". Each mode runs one
//! measurement in a process of its own, single-threaded, so that nothing else in the process
//! maps memory or forks while it counts page faults: a `fork` by another thread (the test
//! harness runs examples on many threads, and some fork) would make every page of this one
//! copy-on-write, and the count would include those faults.
//!
//! `memory-child faults | cow | overcommit | huge-pages`: prints the example's report.

use std::process::ExitCode;

use examples::memory::{cow, faults, huge_pages, overcommit};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["faults"] => faults::report(),
        ["cow"] => cow::copy_on_write(),
        ["overcommit"] => overcommit::overcommit(),
        ["huge-pages"] => huge_pages::huge_pages(),
        _ => {
            eprintln!("usage: memory-child faults | cow | overcommit | huge-pages");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
