//! `corpus.txt`: ranges and the versions to try against each, the cases on which
//! `tests/semver_reference.rs` holds the book's two matchers to npm's `semver` package and to
//! the `semver` crate, and which `semver::differ` sorts by where npm and Cargo part ways.

use std::fmt;

use super::{cargo, npm};

pub const CORPUS: &str = include_str!("corpus.txt");

/// One line of the corpus: `RANGE ; VERSION VERSION ...` (the range may be empty or hold any
/// character but `;`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub range: String,
    pub versions: Vec<String>,
}

pub fn lines() -> Vec<Line> {
    CORPUS
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (range, versions) = l.split_once(';').expect("corpus line without `;`");
            Line {
                range: range.trim().to_string(),
                versions: versions.split_whitespace().map(str::to_string).collect(),
            }
        })
        .collect()
}

/// What a matcher says about one (range, version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Yes,
    No,
    BadRange,
    BadVersion,
}

impl Verdict {
    pub fn parse(word: &str) -> Option<Verdict> {
        Some(match word {
            "yes" => Verdict::Yes,
            "no" => Verdict::No,
            "bad range" => Verdict::BadRange,
            "bad version" => Verdict::BadVersion,
            _ => return None,
        })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Yes => "yes",
            Verdict::No => "no",
            Verdict::BadRange => "bad range",
            Verdict::BadVersion => "bad version",
        })
    }
}

fn verdict(result: Result<bool, String>) -> Verdict {
    match result {
        Ok(true) => Verdict::Yes,
        Ok(false) => Verdict::No,
        Err(e) if e.starts_with("invalid version") => Verdict::BadVersion,
        Err(_) => Verdict::BadRange,
    }
}

/// npm's `semver` with its default options (strict).
pub fn npm_verdict(range: &str, version: &str) -> Verdict {
    npm_verdict_in(npm::Mode::Strict, range, version)
}

/// npm's `semver` in either mode; `Mode::Loose` is how `npm install` reads a dependency.
pub fn npm_verdict_in(mode: npm::Mode, range: &str, version: &str) -> Verdict {
    verdict(npm::satisfies_in(mode, range, version))
}

pub fn cargo_verdict(range: &str, version: &str) -> Verdict {
    verdict(cargo::satisfies(range, version))
}
