//! The package.json/semver chapter's matchers held to the real implementations, on every case
//! of `examples/src/semver/corpus.txt`:
//!
//! * npm: `examples/semver-reference.mjs` runs npm's `semver` package (the exact version pinned
//!   by `examples/package-lock.json`) on Node and prints its reading of each range
//!   (`validRange`) and its verdict on each (range, version); the book's `semver::npm` must
//!   agree on every one; then the same on 2,500 seeded random ranges (12,500 cases) written to
//!   a temporary file. Each twice: with the package's defaults (strict, what its API does) and
//!   with `{ loose: true }` (how `npm install` reads a dependency's range). Without `node` or
//!   the installed packages both are skipped loudly (a failure in CI).
//! * Cargo: the `semver` crate (Cargo's own parser, pinned with `=` in examples/Cargo.toml)
//!   parses and matches every case, and the 12,500 random ones; the book's `semver::cargo` must
//!   agree.

use std::path::Path;
use std::process::Command;

use examples::rng::Rng;
use examples::semver::corpus::{self, Verdict};
use examples::semver::npm::{self, Mode};
use test_support::typescript::{examples_dir, missing, workspace_root};

/// Runs `semver-reference.mjs` on the corpus file at `path` and compares npm's readings and
/// verdicts with the book's `npm` module; returns (readings, cases, failures), or `None` when
/// Node or the pinned packages are missing (after saying so loudly).
fn compare_with_npm(path: &Path, check: &str) -> Option<(usize, usize, Vec<String>)> {
    if let Some(why) = missing() {
        test_support::skip_or_fail(
            check,
            &why,
            "run `npm ci` in examples/ (cargo xtask test does) and make sure `node` is on PATH",
        );
        return None;
    }
    let out = Command::new("node")
        .arg(examples_dir().join("semver-reference.mjs"))
        .arg(path)
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
            for (mode, key) in [(Mode::Strict, "verdict"), (Mode::Loose, "loose_verdict")] {
                let theirs = Verdict::parse(row[key].as_str().unwrap()).unwrap();
                let ours = corpus::npm_verdict_in(mode, range, version);
                if ours != theirs {
                    failures.push(format!(
                        "{mode:?}: range {range:?}, version {version:?}: npm says {theirs}, the book says {ours}"
                    ));
                }
            }
        } else {
            readings += 1;
            for (mode, key) in [(Mode::Strict, "reading"), (Mode::Loose, "loose_reading")] {
                let theirs = row[key].as_str();
                let ours = npm::parse_in(mode, range).ok().map(|r| r.to_string());
                if ours.as_deref() != theirs {
                    failures.push(format!(
                        "{mode:?}: range {range:?}: npm reads {theirs:?}, the book reads {ours:?}"
                    ));
                }
            }
        }
    }
    Some((readings, cases, failures))
}

#[test]
fn npm_matcher_agrees_with_npm_semver_on_the_corpus() {
    let path = workspace_root().join("examples/src/semver/corpus.txt");
    let Some((readings, cases, failures)) =
        compare_with_npm(&path, "the npm semver corpus check (tests/semver_reference.rs)")
    else {
        return;
    };
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

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.range(0, items.len() as u64 - 1) as usize]
}

/// A version as a range might write it: 1 to 4 parts (wildcards, leading zeros, empty parts),
/// sometimes a prerelease (some malformed) and build metadata.
fn random_version(rng: &mut Rng) -> String {
    let parts = ["0", "1", "2", "x", "*", "10", "X", "01", ""];
    let n = [1, 2, 3, 3, 3, 4][rng.range(0, 5) as usize];
    let mut v = (0..n).map(|_| pick(rng, &parts)).collect::<Vec<_>>().join(".");
    if rng.chance(0.3) {
        v.push_str(pick(rng, &["-0", "-beta", "-beta.1", "rc.2", "-alpha.0.a", "-01", "-", "-a-b"]));
    }
    if rng.chance(0.1) {
        v.push_str(pick(rng, &["+b.1", "+", "+x..y"]));
    }
    v
}

/// Seeded random ranges: operators with and without spaces, wildcards anywhere, leading zeros,
/// prereleases and build metadata, `||` and hyphens in odd places, each against 5 versions.
fn random_corpus(seed: u64, ranges: usize) -> String {
    let mut rng = Rng::new(seed);
    let ops = [
        "", "^", "~", "~>", ">", ">=", "<", "<=", "=", "v", "= ", "> ", ">= ", "^ ", "~ ", "~> ", "=v", "<v",
        "> =", "< = ", "==", "^=", "~v",
    ];
    let versions = [
        "0.0.0",
        "0.0.1",
        "0.1.0",
        "0.2.5",
        "1.0.0",
        "1.0.0-beta",
        "1.2.3",
        "1.2.3-rc.1",
        "1.9.9",
        "2.0.0",
        "2.0.0-0",
        "2.1.0",
        "10.0.0",
        "1.0.0-0",
        "0.0.1-beta.1",
        "2.2.2-rc.2",
        "v1.0.0",
        "1.10.0",
        "0.10.1-beta",
    ];
    let mut out = String::new();
    for _ in 0..ranges {
        let sets = [1, 1, 1, 2, 3][rng.range(0, 4) as usize];
        let mut range = Vec::new();
        for _ in 0..sets {
            if rng.chance(0.2) {
                let from = random_version(&mut rng);
                let hyphen = pick(&mut rng, &[" - ", " -  ", "  - ", " - - "]);
                let to = random_version(&mut rng);
                range.push(format!("{from}{hyphen}{to}"));
            } else {
                let k = [1, 1, 2, 2, 3][rng.range(0, 4) as usize];
                let sep = pick(&mut rng, &[" ", " ", ", ", "  ", ","]);
                let comps: Vec<String> = (0..k)
                    .map(|_| {
                        let op = pick(&mut rng, &ops);
                        format!("{op}{}", random_version(&mut rng))
                    })
                    .collect();
                range.push(comps.join(sep));
            }
        }
        let or = pick(&mut rng, &[" || ", "||", " ||", "|| "]);
        let mut vs = versions.to_vec();
        for i in (1..vs.len()).rev() {
            vs.swap(i, rng.range(0, i as u64) as usize);
        }
        out.push_str(&format!("{} ; {}\n", range.join(or).replace(';', ""), vs[..5].join(" ")));
    }
    out
}

#[test]
fn npm_matcher_agrees_with_npm_semver_on_random_ranges() {
    let dir = std::env::temp_dir().join(format!("bf-semver-random-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("random-corpus.txt");
    let text = random_corpus(2026, 2_500);
    std::fs::write(&path, &text).unwrap();
    let result = compare_with_npm(&path, "the npm semver random-range check (tests/semver_reference.rs)");
    let _ = std::fs::remove_dir_all(&dir);
    // The same 12,500 cases against Cargo's parser, which needs no Node.
    let mut cargo_failures = Vec::new();
    for line in text.lines() {
        let (range, versions) = line.split_once(';').unwrap();
        let range = range.trim();
        for v in versions.split_whitespace() {
            let (theirs, ours) = (crate_verdict(range, v), corpus::cargo_verdict(range, v));
            if theirs != ours {
                cargo_failures.push(format!(
                    "range {range:?}, version {v:?}: the crate says {theirs}, the book says {ours}"
                ));
            }
        }
    }
    assert!(
        cargo_failures.is_empty(),
        "{} disagreements with the semver crate:\n{}",
        cargo_failures.len(),
        cargo_failures.join("\n")
    );
    let Some((readings, cases, failures)) = result else { return };
    assert_eq!((readings, cases), (2_500, 12_500));
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
