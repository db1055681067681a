//! What the real ESLint (10.15.0, with typescript-eslint 8.74.0 and typed linting) reported on
//! the chapter's snippets (`examples/src/linters/snippets/*.ts`) with the chapter's
//! `eslint.config.js`. `examples/tests/eslint_findings.rs` runs `examples/lint-snippets.mjs` on
//! Node and compares its output with `examples/data/eslint-findings.txt` (`EXAMPLES_BLESS=1`
//! rewrites it); this example prints that file.

use crate::real_servers::print_observation;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "linters::eslint_findings",
    title: "ESLint with typed linting on two TypeScript files",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what ESLint reported when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it runs ESLint on Node; the page shows what ESLint reported when the test last ran",
        simulation: Some("linters::mini_lint"),
    },
    run: Run::Text(run),
};

// ANCHOR: example
/// ESLint's findings, `file:line:col rule-id [rule type, severity] message`, as checked in.
pub const FINDINGS: &str = include_str!("../../data/eslint-findings.txt");
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    print_observation(FINDINGS, input)
}
