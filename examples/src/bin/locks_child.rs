//! The child process of the chapter "Locks and deadlock": two threads that deadlock (or, with
//! their locks in one order, do not), watched by a watchdog that ends the process when it
//! finds a cycle in the wait-for graph.
//!
//! * `locks-child deadlock opposite`: T1 locks A then B, T2 locks B then A;
//! * `locks-child deadlock ordered`: both lock A before B.

use std::process::ExitCode;

use examples::locks::deadlock;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["deadlock", "opposite"] => deadlock::child_deadlock(false),
        ["deadlock", "ordered"] => deadlock::child_deadlock(true),
        _ => {
            eprintln!("usage: locks-child deadlock opposite | ordered");
            ExitCode::from(2)
        }
    }
}
