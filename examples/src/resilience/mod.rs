//! Chapter "Timeouts, retries, idempotency and backpressure".
//!
//! * `sim`: a retry storm through client → A → B → C while C fails, with retries per hop,
//!   exponential backoff and full jitter, per-try timeouts, an end-to-end deadline passed
//!   downstream and a circuit breaker; property tests over many seeds check that load on C
//!   never exceeds the offered load without retries, that amplification stays under the
//!   product of the tries per hop (or the budget's bound), and that no call reaches C while the
//!   breaker is open (checked from a log of sends against the logged open intervals); and a
//!   seeded puzzle (predict the peak load on C); it also has a synchronised herd, a retry
//!   budget per hop, retries at the edge only, and a cost for rejections (metastable failure);
//! * `hedge`: hedged reads against a latency mixture with a tail, with and without hedging;
//! * native only: `backpressure`, a real tokio channel fed twice as fast as its consumer:
//!   each item's wait, bounded vs unbounded (Little's law), and `try_send` shedding; `idempotency`, a retried payment
//!   with an idempotency key on the shared PostgreSQL (a primary key claimed in the payment's
//!   transaction) and Redis (`SET NX` with a "processing" marker), as
//!   `examples/tests/real_servers/resilience.rs` checks and `examples/data/idempotency-keys.txt`
//!   records.

#[cfg(not(target_family = "wasm"))]
pub mod backpressure;
pub mod hedge;
#[cfg(not(target_family = "wasm"))]
pub mod idempotency;
pub mod sim;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    sim::EXAMPLE,
    sim::PREDICT,
    hedge::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    idempotency::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    backpressure::EXAMPLE,
];
