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

/// What an example computes from its input.
#[derive(Debug, Clone, Copy)]
pub enum Run {
    /// Text only: the output the book shows.
    Text(fn(&str) -> Result<String, InputError>),
    /// A simulation: its text and its drawing, from one computation.
    Drawn(fn(&str) -> Result<Drawn, InputError>),
    /// A TypeScript module, the example's `file`, that exports `run(input: string): string` and
    /// throws an `InputError` (`examples/src/ts_shared/input.ts`) for input it cannot use. No
    /// Rust function: `cargo test` type-checks it with the pinned `tsc` and runs it on Node
    /// (`test_support::typescript`); the page's worker runs the same file compiled to
    /// JavaScript at build time ([`TYPESCRIPT_MODULE`]).
    TypeScript,
    /// A TypeScript file that shows a type error on purpose (`<stem>.type-error.ts`): its output
    /// is what `tsc` reports for it, and every diagnostic must carry `code` (`"TS2322"`). It is
    /// never run, and no compiler ships to the browser, so it runs only natively.
    TypeError { code: &'static str },
}

/// The language an example is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Rust,
    TypeScript,
}

/// The playground "module" of every TypeScript example: not WebAssembly, but the examples
/// compiled to JavaScript in `src/generated/ts/`, which the worker imports
/// (`src/assets/playground-worker.js`).
pub const TYPESCRIPT_MODULE: &str = "ts";

/// Why a type-error example runs only natively, as its page says.
pub const TYPE_ERROR_REASON: &str =
    "the type checker reports this error at build time, and no TypeScript compiler ships to the browser";

/// What a simulation returns: the text the book shows and the same run as a [`Figure`] (a
/// timeline, a sequence diagram), which the playground draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    pub text: String,
    pub figure: Figure,
}

/// One run of an example: its text, and its drawing when it is a simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub text: String,
    pub figure: Option<Figure>,
}

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
    /// The example itself: input text in, the output the book shows out (and, for a
    /// simulation, its drawing).
    pub run: Run,
}

impl Example {
    /// A TypeScript example ([`Run::TypeScript`]): `file` is `examples/src/<chapter>/<stem>.ts`
    /// and `id` is `<chapter>::<stem>` (a test checks both).
    pub const fn typescript(
        id: &'static str,
        title: &'static str,
        file: &'static str,
        default_input: &'static str,
        input_help: &'static str,
    ) -> Example {
        Example { id, title, file, default_input, input_help, runs: Runs::Everywhere, run: Run::TypeScript }
    }

    /// A TypeScript file that shows a type error on purpose ([`Run::TypeError`]): `file` is
    /// `examples/src/<chapter>/<stem>.type-error.ts`, `id` is `<chapter>::<stem>`, and `code`
    /// is the diagnostic `tsc` must report (`"TS2322"`).
    pub const fn type_error(
        id: &'static str,
        title: &'static str,
        file: &'static str,
        code: &'static str,
    ) -> Example {
        Example {
            id,
            title,
            file,
            default_input: "",
            input_help: "",
            runs: Runs::NativeOnly { reason: TYPE_ERROR_REASON, simulation: None },
            run: Run::TypeError { code },
        }
    }

    pub fn language(&self) -> Language {
        match self.run {
            Run::Text(_) | Run::Drawn(_) => Language::Rust,
            Run::TypeScript | Run::TypeError { .. } => Language::TypeScript,
        }
    }

    /// Whether a WebAssembly module runs it: a Rust example that can run in a browser.
    pub fn runs_in_wasm(&self) -> bool {
        self.runs_in_browser() && self.language() == Language::Rust
    }

    /// File name of the verified output under `examples/expected/`.
    pub fn expected_file_name(&self) -> String {
        format!("{}.out", self.id.replace("::", "."))
    }

    pub fn runs_in_browser(&self) -> bool {
        matches!(self.runs, Runs::Everywhere)
    }

    /// Runs a Rust example once on `input`: its text and, for a simulation, its drawing. A
    /// TypeScript example has no Rust function: it runs on Node in the tests
    /// (`test_support::typescript`) and in the page's worker, and here it is an error.
    pub fn output(&self, input: &str) -> Result<Output, InputError> {
        match self.run {
            Run::Text(run) => Ok(Output { text: run(input)?, figure: None }),
            Run::Drawn(run) => {
                let Drawn { text, figure } = run(input)?;
                Ok(Output { text, figure: Some(figure) })
            }
            Run::TypeScript | Run::TypeError { .. } => Err(InputError::new(format!(
                "{} is a TypeScript example: Node runs it in the tests and the page's worker in the browser",
                self.id
            ))),
        }
    }

    /// Whether its output comes with a drawing.
    pub fn has_figure(&self) -> bool {
        matches!(self.run, Run::Drawn(_))
    }
}

/// A line of output that hides what follows in the browser until the reader asks for it
/// ("predict, then reveal"). Natively and in the verified output the whole text is shown.
pub const REVEAL_MARKER: &str = "--- answer ---";

/// A line of output after which come figures measured on the machine that ran the example
/// (latencies, in the reader's browser or on their computer), which differ on every run. Only
/// the text before it is verified: `cargo test` compares and blesses that part alone, so the
/// expected file and the page never show the line or what follows, and the playground compares
/// that part with the verified output and shows the rest as measured in the reader's browser.
pub const MEASURED_MARKER: &str = "--- measured here ---";

/// The part of an example's output that `cargo test` verifies: all of it, or the lines before
/// the first line that is exactly [`MEASURED_MARKER`] (without the newline that ends the last
/// of them, so the verified text ends as an output without measurements would).
pub fn verified_part(output: &str) -> &str {
    let mut line_start = 0;
    for line in output.split('\n') {
        if line == MEASURED_MARKER {
            return &output[..line_start];
        }
        line_start += line.len() + 1;
    }
    output
}

/// Starts the error of a native example whose claim this machine cannot show (a kernel setting
/// turns the feature off). The verified-output test then skips it loudly, as the tests of real
/// servers and of `node` do when those are missing, and fails in CI; it never passes silently.
pub const CANNOT_RUN_HERE: &str = "cannot run on this machine: ";

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

/// One chapter: its examples and where they are shown and run. Written once, as a line of the
/// list in `examples/src/lib.rs` ([`crate::CHAPTERS`]).
#[derive(Debug, Clone, Copy)]
pub struct Chapter {
    /// The examples module, `examples/src/<name>/`; every example id starts with `<name>::`.
    pub name: &'static str,
    /// The page that teaches the chapter, relative to the book's `src/`.
    pub page: &'static str,
    /// The WebAssembly module that runs its browser-capable examples: the chapter's own
    /// (`name`), or [`SQL_MODULE`] for a chapter whose examples run SQL.
    pub wasm_module: &'static str,
    /// The chapter's examples, in reading order. Native-only ones carry
    /// `#[cfg(not(target_family = "wasm"))]`, so no wasm module links code the browser can
    /// never run (a test checks the attribute is there).
    pub examples: &'static [Example],
}

/// The WebAssembly module that carries SQLite and the SQL examples of every chapter: one
/// download serves all database chapters.
pub const SQL_MODULE: &str = "sql";

/// Every example of this build, in the order of the chapter list.
pub fn every() -> impl Iterator<Item = &'static Example> {
    crate::CHAPTERS.iter().flat_map(|chapter| chapter.examples)
}

/// The chapter that lists example `id`, if it is in this build.
pub fn chapter_of(id: &str) -> Option<&'static Chapter> {
    crate::CHAPTERS.iter().find(|chapter| chapter.examples.iter().any(|example| example.id == id))
}

/// Looks an example up by id.
pub fn find(id: &str) -> Option<&'static Example> {
    every().find(|example| example.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verified_part_ends_before_the_measured_marker() {
        assert_eq!(verified_part("a: holds\n--- measured here ---\n1.2 ns\n"), "a: holds\n");
        assert_eq!(verified_part("--- measured here ---\nonly figures\n"), "");
        // Only a whole line is the marker, and the first one counts.
        assert_eq!(verified_part("x --- measured here ---\n"), "x --- measured here ---\n");
        assert_eq!(verified_part("a\n--- measured here ---\nb\n--- measured here ---\n"), "a\n");
        assert_eq!(verified_part("no figures\n"), "no figures\n");
    }
}
