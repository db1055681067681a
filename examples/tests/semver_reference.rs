//! The package.json/semver chapter's matchers held to the real implementations, on every case
//! of `examples/src/semver/corpus.txt`:
//!
//! * npm: `examples/semver-reference.mjs` runs npm's `semver` package (the exact version pinned
//!   by `examples/package-lock.json`) on Node and prints its reading of each range
//!   (`validRange`) and its verdict on each (range, version); the book's `semver::npm` must
//!   agree on every one. Without `node` or the installed packages it is skipped loudly (a
//!   failure in CI).
//! * Cargo: the `semver` crate (Cargo's own parser, pinned with `=` in examples/Cargo.toml)
//!   parses and matches every case; the book's `semver::cargo` must agree.

use std::process::Command;

use examples::semver::corpus::{self, Verdict};
use test_support::typescript::{examples_dir, missing, workspace_root};

#[test]
fn npm_matcher_agrees_with_npm_semver_on_the_corpus() {
    if let Some(why) = missing() {
        test_support::skip_or_fail(
            "the npm semver reference check (tests/semver_reference.rs)",
            &why,
            "run `npm ci` in examples/ (cargo xtask test does) and make sure `node` is on PATH",
        );
        return;
    }
    let corpus = workspace_root().join("examples/src/semver/corpus.txt");
    let out = Command::new("node")
        .arg(examples_dir().join("semver-reference.mjs"))
        .arg(&corpus)
        .output()
        .expect("run node");
    assert!(out.status.success(), "semver-reference.mjs failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["semver"], "7.8.6", "the pinned npm semver changed: review the corpus and the matcher");

    let mut failures = Vec::new();
    let (mut readings, mut cases) = (0, 0);
    for line in lines {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let range = row["range"].as_str().unwrap();
        if let Some(version) = row["version"].as_str() {
            cases += 1;
            let theirs = Verdict::parse(row["verdict"].as_str().unwrap()).unwrap();
            let ours = corpus::npm_verdict(range, version);
            if ours != theirs {
                failures.push(format!(
                    "range {range:?}, version {version:?}: npm says {theirs}, the book says {ours}"
                ));
            }
        } else {
            readings += 1;
            let theirs = row["reading"].as_str();
            let ours = examples::semver::npm::parse(range).ok().map(|r| r.to_string());
            if ours.as_deref() != theirs {
                failures.push(format!("range {range:?}: npm reads {theirs:?}, the book reads {ours:?}"));
            }
        }
    }
    let lines = corpus::lines();
    assert_eq!(readings, lines.len(), "node and the book read a different number of corpus lines");
    assert_eq!(cases, lines.iter().map(|l| l.versions.len()).sum::<usize>());
    assert!(cases >= 300, "the corpus has only {cases} cases");
    assert!(
        failures.is_empty(),
        "{} disagreements with npm's semver:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn crate_verdict(range: &str, version: &str) -> Verdict {
    let Ok(req) = semver::VersionReq::parse(range) else { return Verdict::BadRange };
    let Ok(v) = semver::Version::parse(version) else { return Verdict::BadVersion };
    if req.matches(&v) { Verdict::Yes } else { Verdict::No }
}

#[test]
fn cargo_matcher_agrees_with_the_semver_crate_on_the_corpus() {
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut npm_differs = 0;
    for line in corpus::lines() {
        for v in &line.versions {
            cases += 1;
            let theirs = crate_verdict(&line.range, v);
            let ours = corpus::cargo_verdict(&line.range, v);
            if ours != theirs {
                failures.push(format!(
                    "range {:?}, version {v:?}: the crate says {theirs}, the book says {ours}",
                    line.range
                ));
            }
            if corpus::npm_verdict(&line.range, v) != ours {
                npm_differs += 1;
            }
        }
    }
    assert!(cases >= 300, "the corpus has only {cases} cases");
    // The corpus is there to show the two dialects apart: many cases must differ.
    assert!(npm_differs >= 50, "npm and Cargo differ on only {npm_differs} cases");
    assert!(
        failures.is_empty(),
        "{} disagreements with the semver crate:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
