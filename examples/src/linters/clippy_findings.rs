//! What the real clippy reported on the chapter's demo library
//! (`examples/src/linters/clippy_demo/lib.rs`) run four ways (plain, `-W clippy::pedantic`,
//! `-D warnings`, `--fix`). `examples/tests/clippy_findings.rs` runs it in a crate of its own and
//! compares its rendering with `examples/data/clippy-findings.txt` (`EXAMPLES_BLESS=1` rewrites
//! it); this example prints that file.

use crate::real_servers::print_observation;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "linters::clippy_findings",
    title: "clippy on a tiny library: groups, -D warnings, --fix",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what clippy reported when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it runs cargo clippy on a crate in a temporary directory; the page shows what clippy reported when the test last ran",
        simulation: Some("linters::mini_lint"),
    },
    run: Run::Text(run),
};

// ANCHOR: example
/// clippy's findings, `file:line:col level lint [group] message`, as checked in.
pub const FINDINGS: &str = include_str!("../../data/clippy-findings.txt");
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    print_observation(FINDINGS, input)
}
