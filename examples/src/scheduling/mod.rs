//! Chapter "CPU scheduling". The scheduler simulation itself (`scheduler.rs`) is also shown by
//! the chapter "Processes, threads and cores": one engine for both chapters.

pub mod compare;
pub mod nice;
pub mod predict;
pub mod scheduler;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    compare::EXAMPLE,
    scheduler::MLFQ,
    scheduler::SHARE,
    scheduler::FAIR,
    scheduler::THROTTLE,
    #[cfg(not(target_family = "wasm"))]
    nice::EXAMPLE,
    scheduler::EXAMPLE,
    scheduler::PREDICT,
    predict::EXAMPLE,
];
