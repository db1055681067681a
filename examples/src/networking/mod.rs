//! Chapter "TCP, UDP and HTTP (1.1, 2, 3)".
//!
//! Real sockets on 127.0.0.1 (`tcp_echo`, `udp_exchange`, `http_server`) run natively; the
//! parser (`http_parser`, `http_errors`) and the two simulations (`tcp_link`, `hol_race`) also
//! run in the browser.

pub mod hol_race;
pub mod http_errors;
pub mod http_parser;
pub mod http_server;
pub mod tcp_echo;
pub mod tcp_link;
pub mod udp_exchange;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    tcp_echo::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    udp_exchange::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    http_server::EXAMPLE,
    http_parser::EXAMPLE,
    http_errors::EXAMPLE,
    tcp_link::EXAMPLE,
    hol_race::EXAMPLE,
];
