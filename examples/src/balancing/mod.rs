//! Chapter "Load balancers (L4/L7), reverse proxies, API gateways".
//!
//! `algorithms` holds the pieces every example shares (smooth weighted round robin, power of two
//! choices, the Maglev table, a token bucket). `race` races the algorithms on heavy-tailed
//! latency, `limiter` draws a token bucket's admissions, `maglev` counts the keys that move when
//! a backend leaves (Maglev against the sharding chapter's hash ring), `predict` asks the reader
//! first, and `proxy` (native: real sockets on 127.0.0.1) is an L7 proxy with health checks.

pub mod algorithms;
pub mod limiter;
pub mod maglev;
pub mod predict;
#[cfg(not(target_family = "wasm"))]
pub mod proxy;
pub mod race;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    proxy::EXAMPLE,
    race::EXAMPLE,
    limiter::EXAMPLE,
    maglev::EXAMPLE,
    predict::EXAMPLE,
];
