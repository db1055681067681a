//! Chapter "Processes, threads and cores".

pub mod amdahl;
pub mod crash;
pub mod race_refused;
pub mod scheduler;
pub mod threads_share;
pub mod wordcount;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    threads_share::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    race_refused::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    wordcount::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    crash::EXAMPLE,
    scheduler::EXAMPLE,
    scheduler::PREDICT,
    amdahl::EXAMPLE,
];
