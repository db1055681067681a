//! Chapter "WebSockets (ping/pong, rooms) and server-sent events".
//!
//! Browser-capable: `accept` (SHA-1, base64 and the opening handshake, RFC 6455 §4), `frame`
//! (the frame codec with exact errors) and its byte view `bytes`, the simulations `rooms`
//! (fan-out on one or two servers and a bus) and `heartbeat` (when a dead peer is detected),
//! and `sse` (the event-stream parser and reconnection).
//!
//! Native only: `chat` is a tokio-tungstenite chat server with rooms, ping/pong and a bounded
//! queue per client, optionally sharing rooms through Redis pub/sub; `live` drives it with real
//! clients, `capture` decodes what the tungstenite client really sent with the book's decoder,
//! `sse_live` serves and reads an event stream over a real socket, and `cluster` prints what two
//! servers sharing rooms through a real Redis did (`examples/tests/real_servers/realtime.rs`).

pub mod accept;
pub mod bytes;
pub mod frame;
pub mod heartbeat;
pub mod rooms;
pub mod sse;

#[cfg(not(target_family = "wasm"))]
pub mod capture;
#[cfg(not(target_family = "wasm"))]
pub mod chat;
#[cfg(not(target_family = "wasm"))]
pub mod cluster;
#[cfg(not(target_family = "wasm"))]
pub mod live;
#[cfg(not(target_family = "wasm"))]
pub mod sse_live;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    accept::EXAMPLE,
    bytes::ENCODE,
    bytes::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    capture::EXAMPLE,
    rooms::EXAMPLE,
    heartbeat::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    live::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    cluster::EXAMPLE,
    sse::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    sse_live::EXAMPLE,
];
