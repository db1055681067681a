//! Runs every registered example on its default input and compares the result with
//! `examples/expected/<id>.out`. `cargo xtask bless` sets `EXAMPLES_BLESS=1` to rewrite them;
//! nothing else writes those files.

use std::fmt::Write as _;
use std::path::PathBuf;

fn expected_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("expected")
}

#[test]
fn every_example_matches_its_verified_output() {
    let bless = std::env::var_os("EXAMPLES_BLESS").is_some_and(|v| v == "1");
    let mut failures = String::new();
    for example in examples::registry::ALL {
        let path = expected_dir().join(example.expected_file_name());
        let actual = match (example.run)(example.default_input) {
            Ok(output) => output,
            Err(err) => {
                writeln!(failures, "{}: its default input is rejected: {err}", example.id).unwrap();
                continue;
            }
        };
        if bless {
            std::fs::write(&path, &actual).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => {
                writeln!(
                    failures,
                    "{} differs from {}:\n{}",
                    example.id,
                    path.display(),
                    line_diff(&expected, &actual)
                )
                .unwrap();
            }
            Err(err) => {
                writeln!(
                    failures,
                    "{}: no verified output at {} ({err}); run `cargo xtask bless`",
                    example.id,
                    path.display()
                )
                .unwrap();
            }
        }
    }
    assert!(
        failures.is_empty(),
        "\n{failures}\nIf the new output is right, run `cargo xtask bless` and review the diff."
    );
}

#[test]
fn no_expected_file_is_orphaned() {
    let known: Vec<String> = examples::registry::ALL.iter().map(|e| e.expected_file_name()).collect();
    for entry in std::fs::read_dir(expected_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(known.contains(&name), "examples/expected/{name} belongs to no registered example");
    }
}

#[test]
fn ids_are_unique() {
    let mut ids: Vec<&str> = examples::registry::ALL.iter().map(|e| e.id).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "two examples share an id");
}

/// A small line diff: `-` lines only in the expected file, `+` lines only in the new output.
fn line_diff(expected: &str, actual: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    // Longest common subsequence table; outputs are short.
    let mut lcs = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i][j] =
                if old[i] == new[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            writeln!(out, "   {}", old[i]).unwrap();
            i += 1;
            j += 1;
        } else if j < new.len() && (i == old.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            writeln!(out, "  +{}", new[j]).unwrap();
            j += 1;
        } else {
            writeln!(out, "  -{}", old[i]).unwrap();
            i += 1;
        }
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str("  (the final newline differs)\n");
    }
    out
}
