//! The child process of the chapter "Child processes and IPC": a separate program that the
//! chapter's examples start with `std::process::Command`. Each mode is a function of the
//! example that uses it.
//!
//! * `count-frames`: framed chunks of text in on stdin, framed word counts out on stdout;
//! * `inherited`: reports the descriptors, environment, directory and signal state it found;
//! * `exit N`, `raise N`, `wait`, `flood`: ways to end (an exit status, a signal to itself,
//!   blocking until a parent's signal or end of input, writing into a pipe nobody reads);
//! * `worker default|graceful|ignore|flag-restart`: counts the words of each line until told to stop;
//! * `receive-fd`: takes a descriptor from the Unix socket on its stdin and writes through it.

use std::process::ExitCode;

use examples::ipc::{exit_status, fd_passing, inherit, shutdown, wordcount};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["count-frames"] => wordcount::child_main(),
        ["inherited"] => inherit::child_inherited(),
        ["exit", code] => exit_status::child_exit(code),
        ["raise", signal] => exit_status::child_raise(signal),
        ["wait"] => exit_status::child_wait(),
        ["flood"] => exit_status::child_flood(),
        ["worker", kind] => shutdown::child_worker(kind),
        ["receive-fd"] => fd_passing::child_receive_fd(),
        _ => {
            eprintln!(
                "usage: ipc-child count-frames | inherited | exit N | raise N | wait | flood | \
                 worker default|graceful|ignore|flag-restart | receive-fd"
            );
            ExitCode::from(2)
        }
    }
}
