//! Chapter "Timeouts, retries, idempotency and backpressure".
//!
//! * `sim`: a retry storm through client → A → B → C while C fails, with retries per hop,
//!   exponential backoff and full jitter, per-try timeouts, an end-to-end deadline passed
//!   downstream and a circuit breaker; property tests over many seeds check that load on C
//!   never exceeds the offered load without retries, that amplification stays under the
//!   product of the tries per hop, and that no call reaches C while the breaker is open; and a
//!   seeded puzzle (predict the peak load on C);
//! * native only: `backpressure`, a real bounded tokio channel pacing a fast producer, an
//!   unbounded one that does not, and `try_send` shedding; `idempotency`, a retried payment
//!   with an idempotency key on the shared PostgreSQL (a primary key claimed in the payment's
//!   transaction) and Redis (`SET NX` with a "processing" marker), as
//!   `examples/tests/real_servers/resilience.rs` checks and `examples/data/idempotency-keys.txt`
//!   records.

#[cfg(not(target_family = "wasm"))]
pub mod backpressure;
#[cfg(not(target_family = "wasm"))]
pub mod idempotency;
pub mod sim;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    sim::EXAMPLE,
    sim::PREDICT,
    #[cfg(not(target_family = "wasm"))]
    idempotency::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    backpressure::EXAMPLE,
];
