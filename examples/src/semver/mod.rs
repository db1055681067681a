//! Chapter "package.json, lockfiles and semver".
//!
//! * `version`: a SemVer 2.0.0 version and its order, as both npm and Cargo read it;
//! * `npm`: npm's range grammar (`^`, `~`, x-ranges, hyphen ranges, `||`), rewritten into
//!   primitive comparators the way npm's `semver` package does, strict (its default) or loose
//!   (how `npm install` reads a dependency);
//! * `cargo`: Cargo's requirements (comma-separated comparators, a bare version is a caret), as
//!   the `semver` crate reads them;
//! * `corpus`: the cases `tests/semver_reference.rs` checks against npm's package (run on Node)
//!   and against the crate;
//! * the examples: `matcher` (ranges × versions, npm beside Cargo), `predict` (a seeded puzzle),
//!   `differ` (where the two part ways on the corpus), `lockfile` (a model of what a fresh
//!   resolution picks over time, against a lock replayed) and `npm_lockfile` (what the real npm
//!   did, recorded by `tests/npm_lockfile.rs`).

pub mod cargo;
pub mod corpus;
pub mod npm;
#[cfg(not(target_family = "wasm"))]
pub mod observed;
pub mod version;

mod examples;

pub use examples::{grid, resolve};

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    examples::MATCHER,
    examples::PREDICT,
    examples::DIFFER,
    examples::LOCKFILE,
    #[cfg(not(target_family = "wasm"))]
    observed::NPM_LOCKFILE,
];
