//! Chapter "Distributed transactions: two-phase commit and sagas".
//!
//! * `twopc`: two-phase commit between a coordinator and participants, with the coordinator's
//!   crash at each point that matters, cooperative termination and heuristic decisions; a
//!   property test over 2,000 seeds checks atomicity;
//! * `saga`: an orchestrated saga (order → payment → stock → shipping) with a failing step,
//!   lost and duplicated messages and an orchestrator crash; compensations in reverse order,
//!   idempotent participants; a property test over 1,000 seeds × every failure point, and a
//!   seeded puzzle;
//! * native only: `nats`, the book's own minimal NATS client (text protocol, JetStream API over
//!   request–reply); `outbox`, the transactional outbox, its relay and an idempotent consumer;
//!   `coordinator`, 2PC over PostgreSQL's `PREPARE TRANSACTION`; `observed`, what the real
//!   servers did (`examples/tests/real_servers/disttx.rs`).

#[cfg(not(target_family = "wasm"))]
pub mod coordinator;
#[cfg(not(target_family = "wasm"))]
pub mod nats;
#[cfg(not(target_family = "wasm"))]
pub mod observed;
#[cfg(not(target_family = "wasm"))]
pub mod outbox;
pub mod saga;
pub mod twopc;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    twopc::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    coordinator::POSTGRES_2PC,
    #[cfg(not(target_family = "wasm"))]
    coordinator::MARIADB_XA,
    saga::EXAMPLE,
    saga::PREDICT,
    #[cfg(not(target_family = "wasm"))]
    outbox::OUTBOX_NATS,
];
