//! Chapter "Caching strategies".
//!
//! Browser simulations: `hit_ratio` (hit ratio against cache size for a Zipf workload under
//! LRU, LFU, FIFO and Redis-style sampled LRU), `stampede` (a hot key's expiry on a timeline,
//! with no protection, a lock, XFetch early expiration and serve-stale) and `race` (the
//! cache-aside race that caches a stale value, and leases).
//!
//! On a real Redis 7 (native only): `resp` is the book's RESP2 encoder and decoder, `client` a
//! small client on `std::net` and a private `redis-server` child process, and `observe` the
//! observations that `examples/tests/real_servers/redis.rs` records in `examples/data/`, with
//! the examples that print those files.

pub mod hit_ratio;
pub mod race;
pub mod resp;
pub mod stampede;

#[cfg(not(target_family = "wasm"))]
pub mod client;
#[cfg(not(target_family = "wasm"))]
pub mod observe;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    race::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    observe::EXPIRY,
    #[cfg(not(target_family = "wasm"))]
    observe::EVICTION,
    hit_ratio::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    observe::STAMPEDE,
    stampede::EXAMPLE,
];
