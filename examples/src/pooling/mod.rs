//! Chapter "Connection pooling".
//!
//! * `pool`: a small connection pool (at most N connections, LIFO reuse, a FIFO line of
//!   waiters with an acquire timeout), used by the real-server test for its pooled requests;
//! * `pool_threads`: that pool under real threads: exhaustion, a timeout, waiters in order;
//! * `observed`: what a real PostgreSQL 15 and a real PgBouncer did (observed by
//!   `examples/tests/real_servers/pooling.rs`): connect-per-request against a pool as ratio
//!   classes, a backend process per connection, session state under session and transaction
//!   pooling, pool exhaustion; `bouncer` holds the configuration and scripts that test runs;
//! * `sim`: the engine of the browser simulations (instances with pools in front of a
//!   database with a few cores, processor sharing with contention), and `load` and `predict`,
//!   the simulations themselves.

#[cfg(not(target_family = "wasm"))]
pub mod bouncer;
pub mod load;
#[cfg(not(target_family = "wasm"))]
pub mod observed;
#[cfg(not(target_family = "wasm"))]
pub mod pool;
#[cfg(not(target_family = "wasm"))]
pub mod pool_threads;
pub mod predict;
pub mod sim;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    observed::CONNECT_COST,
    #[cfg(not(target_family = "wasm"))]
    pool_threads::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    bouncer::POOL_MODES,
    load::EXAMPLE,
    predict::EXAMPLE,
];
