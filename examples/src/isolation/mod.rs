//! Chapter "Isolation levels and their anomalies".
//!
//! * `script`: the statement language (interleaved SQL, one session per line);
//! * `engine`: an MVCC engine with read uncommitted, read committed, snapshot isolation
//!   (repeatable read) and serializable snapshot isolation, modelled on PostgreSQL;
//! * `levels`: the first example, one script run by the engine at all four levels side by side;
//! * `dsg`: Adya's direct serialization graph of a run, which names the anomaly;
//! * `hermitage`: Martin Kleppmann's Hermitage cases as data, with the published results;
//! * `trace`: what a run produced, shared with the test against the real PostgreSQL and MariaDB;
//! * `observed`: what those servers did, as recorded by that test;
//! * `ssi_mixed` and `gap_locks`: SSI with one transaction below serializable (PostgreSQL) and
//!   InnoDB's gap locks (MariaDB), as observed by `examples/tests/real_servers/`.

pub mod dsg;
pub mod engine;
#[cfg(not(target_family = "wasm"))]
pub mod gap_locks;
pub mod hermitage;
pub mod levels;
pub mod observed;
pub mod script;
pub mod setup;
#[cfg(not(target_family = "wasm"))]
pub mod ssi_mixed;
pub mod stepper;
pub mod trace;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    levels::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    ssi_mixed::EXAMPLE,
    dsg::EXAMPLE,
    hermitage::TABLE,
    observed::OBSERVED,
    #[cfg(not(target_family = "wasm"))]
    gap_locks::EXAMPLE,
    stepper::EXAMPLE,
    stepper::PREDICT,
];
