//! Runs every registered example on its default input and compares the result with
//! `examples/expected/<id>.out`, and checks `examples/manifest.json` (what the preprocessor
//! knows of the registry) against the registry. `cargo xtask bless` sets `EXAMPLES_BLESS=1` to
//! rewrite them; nothing else writes those files.

use std::fmt::Write as _;
use std::path::PathBuf;

fn expected_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("expected")
}

fn blessing() -> bool {
    std::env::var_os("EXAMPLES_BLESS").is_some_and(|v| v == "1")
}

/// The registry as the preprocessor reads it: `examples/manifest.json`.
fn manifest() -> String {
    let examples: Vec<serde_json::Value> = examples::registry::every()
        .map(|example| {
            serde_json::json!({
                "id": example.id,
                "title": example.title,
                "file": example.file,
                "expected": format!("examples/expected/{}", example.expected_file_name()),
                "default_input": example.default_input,
                "input_help": example.input_help,
                "native_only": match example.runs {
                    examples::Runs::Everywhere => None,
                    examples::Runs::NativeOnly { reason, .. } => Some(reason),
                },
                "simulation": match example.runs {
                    examples::Runs::Everywhere => None,
                    examples::Runs::NativeOnly { simulation, .. } => simulation,
                },
                "figure": example.has_figure(),
                "module": examples::registry::module_of(example.id),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "comment": "Written by `cargo xtask bless` from examples::registry::GROUPS; checked by `cargo test -p examples`. Read by the mdbook-examples preprocessor.",
        "examples": examples,
    });
    serde_json::to_string_pretty(&doc).unwrap() + "\n"
}

#[test]
fn manifest_matches_the_registry() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("manifest.json");
    let current = manifest();
    if blessing() {
        std::fs::write(&path, current).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == current,
        "examples/manifest.json is out of date with examples::registry::GROUPS:\n{}\nRun `cargo xtask bless`.",
        line_diff(&on_disk, &current)
    );
}

#[test]
fn every_example_matches_its_verified_output() {
    let bless = blessing();
    let mut failures = String::new();
    for example in examples::registry::every() {
        let path = expected_dir().join(example.expected_file_name());
        let actual = match example.output(example.default_input) {
            Ok(output) => output.text,
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
    let known: Vec<String> = examples::registry::every().map(|e| e.expected_file_name()).collect();
    for entry in std::fs::read_dir(expected_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(known.contains(&name), "examples/expected/{name} belongs to no registered example");
    }
}

#[test]
fn ids_are_unique() {
    let mut ids: Vec<&str> = examples::registry::every().map(|e| e.id).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "two examples share an id");
}

#[test]
fn every_figure_can_be_drawn() {
    for example in examples::registry::every().filter(|example| example.has_figure()) {
        let output = example
            .output(example.default_input)
            .unwrap_or_else(|err| panic!("{}: its default input is rejected: {err}", example.id));
        if let Some(figure) = output.figure
            && let Err(problem) = figure.validate()
        {
            panic!("{}: its figure cannot be drawn: {problem}", example.id);
        }
    }
}

#[test]
fn native_only_examples_link_to_a_browser_simulation() {
    for example in examples::registry::every() {
        if let examples::Runs::NativeOnly { reason, simulation } = example.runs {
            assert!(!reason.trim().is_empty(), "{}: give the reason it runs only natively", example.id);
            assert!(!reason.contains('\n'), "{}: the reason is shown in one line", example.id);
            if let Some(target) = simulation {
                let found = examples::registry::find(target)
                    .unwrap_or_else(|| panic!("{}: simulation `{target}` is not registered", example.id));
                assert!(
                    found.runs_in_browser(),
                    "{}: simulation `{target}` cannot run in a browser",
                    example.id
                );
            }
        }
    }
}

#[test]
fn native_only_examples_are_left_out_of_wasm_builds() {
    for example in examples::registry::every() {
        if example.runs_in_browser() {
            continue;
        }
        // examples/src/processes/crash.rs: the entry `crash::…` in examples/src/processes/mod.rs
        let path = example.file.trim_start_matches("examples/");
        let (chapter, file) = path.rsplit_once('/').unwrap();
        let list_file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(chapter).join("mod.rs");
        let list = std::fs::read_to_string(&list_file).unwrap();
        let module = file.trim_end_matches(".rs");
        let entry = list
            .lines()
            .position(|line| line.trim().starts_with(&format!("{module}::")))
            .unwrap_or_else(|| panic!("{}: no entry `{module}::…` in {}", example.id, list_file.display()));
        let attribute = list.lines().nth(entry.wrapping_sub(1)).unwrap_or_default().trim();
        assert_eq!(
            attribute, "#[cfg(not(target_family = \"wasm\"))]",
            "{}: runs only natively, so its entry in EXAMPLES needs this attribute to keep it out of the wasm module",
            example.id
        );
    }
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
