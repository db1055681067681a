//! Chapter "CDNs and the edge".
//!
//! `rfc9111` is the RFC 9111 freshness and validation calculator the examples share: the
//! browser tool (`calculator`), the predict-then-reveal puzzles (`predict`) and the loopback
//! proxy (`proxy`, native: real sockets on 127.0.0.1). `tiers` simulates edge PoPs, a shield
//! and an origin.

pub mod calculator;
pub mod predict;
#[cfg(not(target_family = "wasm"))]
pub mod proxy;
pub mod rfc9111;
pub mod tiers;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    calculator::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    proxy::EXAMPLE,
    tiers::EXAMPLE,
    predict::EXAMPLE,
];
