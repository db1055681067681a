//! Chapter "Stream processing, logs and change data capture".
//!
//! * `windows`: event-time windows (tumbling, sliding, session) over out-of-order events, a
//!   watermark that trails the largest event time seen, allowed lateness and what happens to
//!   late data (an update of a fired window, or a drop), compared with a batch computation;
//!   property tests over 3,000 seeds;
//! * `predict`: a seeded puzzle on the same simulator (on time, late update or dropped?);
//! * native only: `observed`, what the real servers did: PostgreSQL's logical decoding through a
//!   replication slot and `test_decoding` (`examples/tests/real_servers/cdc.rs`), and a NATS
//!   JetStream consumer group with redelivery, an idempotent sink and a replay
//!   (`examples/tests/real_servers/stream.rs`).

#[cfg(not(target_family = "wasm"))]
pub mod cdc;
#[cfg(not(target_family = "wasm"))]
pub mod group;
#[cfg(not(target_family = "wasm"))]
pub mod observed;
pub mod predict;
pub mod windows;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    group::CONSUMER_GROUP,
    windows::EXAMPLE,
    predict::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    cdc::CDC,
];
