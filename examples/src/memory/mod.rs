//! Chapter "Virtual memory and memory management".
//!
//! * `faults`: demand paging counted with `getrusage`: one minor fault per page on first touch,
//!   none after, and a read that maps the zero page (native);
//! * `cow`: copy-on-write after a real `fork`, seen in the child's fault count and in
//!   `/proc/self/smaps` (native);
//! * `overcommit`: a terabyte of address space, a megabyte of memory: VSZ against RSS (native);
//! * `huge_pages`: transparent huge pages, one fault per 2 MiB (native);
//! * `translate`: the browser simulation of an x86-64 address translation, TLB and four-level
//!   walk, with a predict mode;
//! * `replacement`: FIFO, LRU, clock and OPT on a reference string, Belady's anomaly, with a
//!   predict mode;
//! * `node_memory` (a test): the page's claims about `process.memoryUsage()` and
//!   `--max-old-space-size`, checked on a real `node`.
//!
//! The calls `std` does not wrap are in `sys`.

#[cfg(not(target_family = "wasm"))]
pub mod cow;
#[cfg(not(target_family = "wasm"))]
pub mod faults;
#[cfg(not(target_family = "wasm"))]
pub mod huge_pages;
#[cfg(all(test, not(target_family = "wasm")))]
mod node_memory;
#[cfg(not(target_family = "wasm"))]
pub mod overcommit;
pub mod replacement;
#[cfg(not(target_family = "wasm"))]
pub mod sys;
pub mod translate;

/// Runs `memory-child MODE` and returns what it printed: the measurements run in a process of
/// their own (see `src/bin/memory_child.rs`).
#[cfg(not(target_family = "wasm"))]
pub fn run_in_child(mode: &str) -> Result<String, String> {
    let program = crate::programs::sibling_program("memory-child")?;
    let output = std::process::Command::new(program)
        .arg(mode)
        .output()
        .map_err(|e| format!("starting memory-child: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "memory-child {mode} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("memory-child {mode}: {e}"))
}

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    faults::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    cow::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    overcommit::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    huge_pages::EXAMPLE,
    translate::EXAMPLE,
    translate::PREDICT,
    replacement::EXAMPLE,
    replacement::PREDICT,
];
