//! The linters chapter's ESLint findings, checked on the real ESLint: `node
//! examples/lint-snippets.mjs` runs ESLint 10 with typescript-eslint's typed linting
//! (`examples/src/linters/eslint.config.js`) on `examples/src/linters/snippets/*.ts`, and its
//! output must equal `examples/data/eslint-findings.txt`, which the page shows through the
//! `linters::eslint_findings` example (`EXAMPLES_BLESS=1` rewrites the file). The page also says
//! that the snippets compile cleanly under the book's pinned tsc 7: every finding is one the type
//! checker lets through; that is checked here too.
//!
//! ESLint lives in a package of its own (`examples/src/linters/package.json`, its own lock
//! file): typescript-eslint 8.74 needs the TypeScript 6 compiler API and refuses TypeScript 7.0,
//! which `examples/package.json` pins for the examples. Without `node` or either installed
//! toolchain the test is skipped loudly (a failure in CI).

use std::path::PathBuf;
use std::process::Command;

use test_support::typescript::{self, examples_dir, npm_installed_from_lock};
use test_support::{blessing, line_diff, skip_or_fail};

fn eslint_dir() -> PathBuf {
    examples_dir().join("src/linters")
}

fn toolchains_ready(check: &str) -> bool {
    let why = typescript::missing().or_else(|| {
        (!npm_installed_from_lock(&eslint_dir())).then(|| {
            "examples/src/linters/node_modules is missing or was installed from another package-lock.json"
                .to_string()
        })
    });
    match why {
        None => true,
        Some(why) => {
            skip_or_fail(
                check,
                &why,
                "Run `cargo xtask test`, which runs `npm ci` in examples/ and examples/src/linters/.",
            );
            false
        }
    }
}

#[test]
fn eslint_reports_what_the_page_shows() {
    if !toolchains_ready("the ESLint findings check") {
        return;
    }
    let output = Command::new("node")
        .arg(examples_dir().join("lint-snippets.mjs"))
        .output()
        .expect("starting node lint-snippets.mjs");
    assert!(
        output.status.success(),
        "node lint-snippets.mjs failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let actual = String::from_utf8(output.stdout).expect("ESLint's findings are UTF-8");
    let file = examples_dir().join("data/eslint-findings.txt");
    if blessing() {
        std::fs::write(&file, &actual).expect("writing examples/data/eslint-findings.txt");
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        expected == actual,
        "ESLint's findings differ from examples/data/eslint-findings.txt (EXAMPLES_BLESS=1 rewrites it):\n{}",
        line_diff(&expected, &actual)
    );
}

#[test]
fn the_snippets_type_check_under_the_pinned_tsc() {
    if !toolchains_ready("the snippets' type check") {
        return;
    }
    let snippets = eslint_dir().join("snippets");
    let (succeeded, printed) = typescript::tsc_in(&snippets, &["-p", "tsconfig.json"]).expect("tsc runs");
    assert!(succeeded && printed.trim().is_empty(), "tsc 7 rejects the ESLint snippets:\n{printed}");
    let (_, version) = typescript::tsc_in(&snippets, &["--version"]).expect("tsc runs");
    assert!(version.contains("7.0.2"), "the pinned tsc is not 7.0.2: {version}");
}
