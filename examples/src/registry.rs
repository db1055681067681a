//! The one list of examples, and the types that describe them.

use std::fmt;

pub use crate::figure::Figure;

/// Where an example can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// Natively and in the browser's WebAssembly playground.
    Everywhere,
    /// Natively only (threads, sockets, child processes, files). The page shows `reason` in
    /// one line and, when `simulation` names a browser-capable example of the same idea, links
    /// to it in the playground.
    NativeOnly { reason: &'static str, simulation: Option<&'static str> },
}

/// Draws a simulation's run: the same input as `run`, the result as a [`Figure`].
pub type FigureFn = fn(&str) -> Result<Figure, InputError>;

/// One registered example.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// Stable id used by pages (`{{#example processes::amdahl}}`) and expected files.
    pub id: &'static str,
    /// Human title, shown above the snippet.
    pub title: &'static str,
    /// Source file, relative to the workspace root (from `file!()`).
    pub file: &'static str,
    /// The input the tests run and the page shows.
    pub default_input: &'static str,
    /// One line on what the input means, shown next to the playground's editor.
    pub input_help: &'static str,
    pub runs: Runs,
    /// The example itself: input text in, the output the book shows out.
    pub run: fn(&str) -> Result<String, InputError>,
    /// For simulations: the same run as data the playground draws (a timeline, a sequence
    /// diagram). `None` for examples whose text output says it all.
    pub figure: Option<FigureFn>,
}

impl Example {
    /// File name of the verified output under `examples/expected/`.
    pub fn expected_file_name(&self) -> String {
        format!("{}.out", self.id.replace("::", "."))
    }

    pub fn runs_in_browser(&self) -> bool {
        matches!(self.runs, Runs::Everywhere)
    }
}

/// A line of output that hides what follows in the browser until the reader asks for it
/// ("predict, then reveal"). Natively and in the verified output the whole text is shown.
pub const REVEAL_MARKER: &str = "--- answer ---";

/// A reader's input that an example cannot use, with the line it is on when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub line: Option<usize>,
    pub message: String,
}

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        InputError { line: None, message: message.into() }
    }

    pub fn at_line(line: usize, message: impl Into<String>) -> Self {
        InputError { line: Some(line), message: message.into() }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "input line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for InputError {}

/// Every example of the book, in reading order.
///
/// Native-only examples carry `#[cfg(not(target_family = "wasm"))]`, so the WebAssembly
/// module does not link code the browser can never run (a test checks the attribute is there).
pub const ALL: &[Example] = &[
    #[cfg(not(target_family = "wasm"))]
    crate::processes::threads_share::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    crate::processes::race_refused::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    crate::processes::wordcount::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    crate::processes::crash::EXAMPLE,
    crate::processes::scheduler::EXAMPLE,
    crate::processes::scheduler::PREDICT,
    crate::processes::amdahl::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    crate::networking::tcp_echo::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    crate::networking::udp_exchange::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    crate::networking::http_server::EXAMPLE,
    crate::networking::http_parser::EXAMPLE,
    crate::networking::http_errors::EXAMPLE,
    crate::networking::tcp_link::EXAMPLE,
    crate::networking::hol_race::EXAMPLE,
    crate::isolation::engine::EXAMPLE,
    crate::isolation::dsg::EXAMPLE,
    crate::isolation::hermitage::TABLE,
    crate::isolation::observed::OBSERVED,
    crate::isolation::stepper::EXAMPLE,
    crate::isolation::stepper::PREDICT,
    crate::sharding::hash::EXAMPLE,
    crate::sharding::moved_keys::EXAMPLE,
    crate::sharding::vnode_spread::EXAMPLE,
    crate::sharding::partitioning::EXAMPLE,
    crate::sharding::ring::EXAMPLE,
    crate::sharding::replication::EXAMPLE,
    crate::sharding::quorum::EXAMPLE,
    crate::sharding::elastic::EXAMPLE,
];

/// The SQL examples, on a real SQLite: only in builds with the `sqlite` feature (the native
/// tests and the SQL wasm module), so the simulation module stays small.
#[cfg(feature = "sqlite")]
pub const SQLITE: &[Example] = crate::sql::ALL;
#[cfg(not(feature = "sqlite"))]
pub const SQLITE: &[Example] = &[];

/// Every example of this build: [`ALL`], then [`SQLITE`].
pub fn every() -> impl Iterator<Item = &'static Example> {
    ALL.iter().chain(SQLITE)
}

/// Whether the example needs the SQL wasm module (SQLite) rather than the simulation module.
pub fn needs_sqlite(id: &str) -> bool {
    SQLITE.iter().any(|example| example.id == id)
}

/// Looks an example up by id.
pub fn find(id: &str) -> Option<&'static Example> {
    every().find(|example| example.id == id)
}
