//! Every code example of *Backend Fundamentals*.
//!
//! An example is a plain function `fn(&str) -> Result<String, InputError>`: it takes its input
//! (a scenario, parameters, SQL) as text and returns the output the book shows. Each one is
//! listed once, in its chapter's `EXAMPLES` (gathered in [`registry::GROUPS`]); from there
//!
//! * `cargo test -p examples` runs it on its default input and compares the result with
//!   `examples/expected/<id>.out`,
//! * the `mdbook-examples` preprocessor shows its source and that verified output in the page,
//! * the `playground` crate compiles the very same function to WebAssembly when it can run in a
//!   browser.
//!
//! Modules follow the book's chapters.

#[cfg(feature = "sqlite")]
pub mod acid;
pub mod figure;
pub mod input;
#[cfg(feature = "isolation")]
pub mod isolation;
#[cfg(feature = "sqlite")]
pub mod migrations;
#[cfg(feature = "networking")]
pub mod networking;
#[cfg(feature = "sqlite")]
pub mod orm;
#[cfg(feature = "processes")]
pub mod processes;
pub mod programs;
pub mod registry;
pub mod rng;
#[cfg(feature = "sharding")]
pub mod sharding;
#[cfg(feature = "sqlite")]
pub mod sql;

pub use figure::Figure;
pub use registry::{Example, InputError, REVEAL_MARKER, Runs};
