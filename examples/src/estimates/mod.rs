//! Chapter "Trade-offs and back-of-the-envelope numbers".
//!
//! * `units`: quantities with dimensions (bytes, time, requests, users) and the estimator's
//!   small language: `name = expression [in UNIT]`, where a unit mismatch is an error naming
//!   the line (for the dimensions written: counts need `req`/`user` to be checked);
//! * `estimator`: the estimator on a generic service, on a URL shortener and on a chat system
//!   (numbers checked against hand-computed ones), and the latency ladder on a log scale;
//! * `memory` (everywhere): the memory rungs measured where the example runs, natively or in
//!   the reader's browser (timed with `performance.now()`), a pointer chase from L1 to main
//!   memory; the figures follow `MEASURED_MARKER`, only the ratio class is verified;
//! * `measured` (native): the ladder measured here: a pointer chase in L1 and in DRAM, a
//!   page-cache read against a device read, a loopback TCP round trip, printed as ratio classes;
//! * `predict`: seeded estimation problems to answer before the working is revealed.

pub mod estimator;
#[cfg(not(target_family = "wasm"))]
pub mod measured;
pub mod memory;
pub mod predict;
pub mod units;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    estimator::LADDER,
    memory::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    measured::EXAMPLE,
    estimator::EXAMPLE,
    estimator::URL_SHORTENER,
    estimator::CHAT,
    predict::EXAMPLE,
];
