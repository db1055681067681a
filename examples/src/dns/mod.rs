//! Chapter "DNS".
//!
//! `wire` is the book's own encoder and decoder of RFC 1035 messages (name compression, exact
//! errors). `bytes` shows a message byte by byte, in the browser too. `server` is a small
//! authoritative server on 127.0.0.1 (UDP and TCP, native only), queried with `wire`; its
//! tests have a real resolver library (hickory) query it. `propagation` simulates caches at
//! every level while a record changes.

pub mod bytes;
pub mod propagation;
#[cfg(not(target_family = "wasm"))]
pub mod server;
pub mod wire;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    bytes::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    server::EXAMPLE,
    propagation::EXAMPLE,
];
