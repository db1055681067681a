//! Chapter "package.json, lockfiles and semver".
//!
//! * `version`: a SemVer 2.0.0 version and its order, as both npm and Cargo read it;
//! * `npm`: npm's range grammar (`^`, `~`, x-ranges, hyphen ranges, `||`), rewritten into
//!   primitive comparators the way npm's `semver` package does;
//! * `cargo`: Cargo's requirements (comma-separated comparators, a bare version is a caret), as
//!   the `semver` crate reads them;
//! * `corpus`: the cases `tests/semver_reference.rs` checks against npm's package (run on Node)
//!   and against the crate;
//! * the examples: `matcher` (ranges × versions, npm beside Cargo), `predict` (a seeded puzzle),
//!   `differ` (where the two part ways on the corpus) and `lockfile` (what `npm install` picks
//!   over time with and without a lockfile).

pub mod cargo;
pub mod corpus;
pub mod npm;
pub mod version;

mod examples;

pub use examples::{grid, resolve};

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] =
    &[examples::MATCHER, examples::PREDICT, examples::DIFFER, examples::LOCKFILE];
