//! What the real npm did with a lockfile, recorded by `tests/npm_lockfile.rs` in
//! `data/npm-lockfile.txt` (native only: the page shows the recorded file).

use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};

pub const NPM_LOCKFILE: Example = Example {
    id: "semver::npm_lockfile",
    title: "What the real npm does when package.json and package-lock.json disagree",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what npm did when tests/npm_lockfile.rs last ran.",
    runs: Runs::NativeOnly {
        reason: "it runs npm on a temporary project; the page shows what npm did when the test last ran",
        simulation: Some("semver::lockfile"),
    },
    run: Run::Text(npm_lockfile),
};

// ANCHOR: example
/// What `tests/npm_lockfile.rs` saw the real npm do (offline, local tarballs), as checked in.
pub const NPM_LOCKFILE_OBSERVED: &str = include_str!("../../data/npm-lockfile.txt");

fn npm_lockfile(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    Ok(NPM_LOCKFILE_OBSERVED.to_string())
}
// ANCHOR_END: example
