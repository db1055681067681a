//! Chapter "Locking and MVCC".
//!
//! * `heap`: PostgreSQL's heap as the isolation chapter's engine leaves it after each step:
//!   tuples with `xmin` and `xmax`, transaction ids, the horizon, and `VACUUM`;
//! * `versions`: the row-version simulator (drawn), and its "predict, then reveal" variant;
//! * `lock_queue`: PostgreSQL's table-lock modes and their wait queue (drawn);
//! * `lock_modes`: the row-lock conflict tables, as a model and as the servers behave;
//! * `pg_heap`, `innodb_purge`, `job_queue`, `deadlock_victims`, `advisory`, `optimistic`:
//!   what the real PostgreSQL 15 and MariaDB 10.11 did, as recorded by
//!   `examples/tests/real_servers/`.

#[cfg(not(target_family = "wasm"))]
pub mod advisory;
#[cfg(not(target_family = "wasm"))]
pub mod deadlock_victims;
pub mod heap;
#[cfg(not(target_family = "wasm"))]
pub mod job_queue;
pub mod lock_modes;
pub mod lock_queue;
#[cfg(not(target_family = "wasm"))]
pub mod optimistic;
#[cfg(not(target_family = "wasm"))]
pub mod pg_heap;
#[cfg(not(target_family = "wasm"))]
pub mod purge;
pub mod versions;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    pg_heap::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    purge::EXAMPLE,
    versions::EXAMPLE,
    versions::PREDICT,
    #[cfg(not(target_family = "wasm"))]
    lock_modes::EXAMPLE,
    lock_queue::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    job_queue::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    job_queue::DRAIN,
    #[cfg(not(target_family = "wasm"))]
    advisory::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    deadlock_victims::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    optimistic::EXAMPLE,
];
