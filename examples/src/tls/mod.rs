//! Chapter "TLS".
//!
//! `crypto` is SHA-256, HMAC, HKDF and the TLS 1.3 key schedule, checked against RFC 5869 and
//! RFC 8448 (`rfc8448` holds the trace). `wire` decodes records and hellos field by field with
//! exact errors; `bytes` is its byte view, in the browser too. `schedule` prints the key schedule.
//! `handshake` steps through TLS 1.2 and 1.3 handshakes with round-trip counts. `live` (native
//! only) runs rustls on 127.0.0.1 with an rcgen chain and decodes what went over the socket.

pub mod bytes;
pub mod crypto;
pub mod handshake;
#[cfg(not(target_family = "wasm"))]
pub mod live;
pub mod rfc8448;
pub mod schedule;
pub mod wire;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    handshake::EXAMPLE,
    bytes::EXAMPLE,
    schedule::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    live::EXAMPLE,
];
