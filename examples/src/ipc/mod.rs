//! Chapter "Child processes and IPC: a parallel word count".
//!
//! * `wordcount`: the word count of "Processes, threads and cores" in N child processes, with
//!   the text dealt out in framed chunks over pipes (native);
//! * `inherit`, `exit_status`, `zombie`, `shutdown`: what a child inherits, how it ends, what a
//!   parent must do when it has ended, and how it is asked to stop (native: real processes);
//! * `pipe_capacity` and `fd_passing`: a real pipe's buffer at its limits, and an open file
//!   handed to another process over a Unix socket (native);
//! * `pipe`: a pipe's bounded buffer simulated tick by tick, with a predict mode (runs in the
//!   browser).
//!
//! The children are the program `ipc-child` (`src/bin/ipc_child.rs`), whose every mode is a
//! function of the module that uses it; the calls `std` does not wrap are in `sys`.

#[cfg(not(target_family = "wasm"))]
pub mod exit_status;
#[cfg(not(target_family = "wasm"))]
pub mod fd_passing;
#[cfg(not(target_family = "wasm"))]
pub mod inherit;
pub mod pipe;
#[cfg(not(target_family = "wasm"))]
pub mod pipe_capacity;
#[cfg(not(target_family = "wasm"))]
pub mod shutdown;
#[cfg(not(target_family = "wasm"))]
pub mod sys;
#[cfg(not(target_family = "wasm"))]
pub mod wordcount;
#[cfg(not(target_family = "wasm"))]
pub mod zombie;

/// The `ipc-child` program, built by Cargo next to the running executable.
#[cfg(not(target_family = "wasm"))]
pub fn child_program() -> Result<std::path::PathBuf, String> {
    crate::programs::sibling_program("ipc-child")
}

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    wordcount::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    inherit::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    exit_status::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    zombie::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    pipe_capacity::EXAMPLE,
    pipe::EXAMPLE,
    pipe::PREDICT,
    #[cfg(not(target_family = "wasm"))]
    shutdown::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    fd_passing::EXAMPLE,
];
