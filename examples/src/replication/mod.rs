//! Chapter "Replication".
//!
//! * `multileader`: several leaders that accept writes, partitions and skewed clocks, with each
//!   key resolved by last-write-wins, by version vectors (siblings) and by CRDTs (a PN-counter
//!   and an OR-set), checked against the ground-truth causal order over many seeds;
//!   `predict` asks first;
//! * `streaming` (native only): what a private PostgreSQL 15 primary and its streaming replica
//!   did, as `examples/tests/real_servers/replica.rs` observed it.
//!
//! The leader-follower lag simulation is the sharding chapter's `sharding::replication`, and the
//! leaderless quorum simulation is its `sharding::quorum`; this page shows and links them.

pub mod multileader;
pub mod predict;
#[cfg(not(target_family = "wasm"))]
pub mod streaming;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    streaming::EXAMPLE,
    multileader::EXAMPLE,
    predict::EXAMPLE,
];
