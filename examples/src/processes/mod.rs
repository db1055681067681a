//! Chapter "Processes, threads and cores".

pub mod affinity;
pub mod amdahl;
pub mod context_switch;
pub mod crash;
pub mod litmus;
pub mod message_passing;
pub mod orderings_compiled;
pub mod race_refused;
pub mod store_buffering;
pub mod threads_share;
pub mod wordcount;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    threads_share::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    race_refused::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    store_buffering::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    message_passing::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    orderings_compiled::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    wordcount::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    crash::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    context_switch::EXAMPLE,
    litmus::EXAMPLE,
    litmus::PREDICT,
    amdahl::EXAMPLE,
];
