//! End to end through the real mdBook: each error kind fails `mdbook build` with the chapter's
//! path, line and column; a good chapter builds; `mdbook test` accepts examples.
//!
//! Needs the pinned mdbook, which `cargo xtask test` passes in `MDBOOK`. Without it the test
//! says loudly that it did not run; in CI (`test_support::in_ci`) that is a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mdbook() -> Option<PathBuf> {
    let path = std::env::var_os("MDBOOK").map(PathBuf::from);
    if path.is_none() {
        test_support::skip_or_fail(
            "mdbook_build: the preprocessor end to end through the real mdBook",
            "MDBOOK is not set",
            "Run the tests through `cargo xtask test`, which sets it to the pinned mdbook.",
        );
    }
    path
}

/// A one-chapter book using our preprocessor over the fixture workspace.
fn book_with_chapter(name: &str, chapter: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bf-mdbook-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let ws = common::fixture_workspace();
    let toml = format!(
        "[book]\ntitle = \"e2e\"\n\n[preprocessor.examples]\ncommand = \"{bin}\"\nmanifest = \"{manifest}\"\nworkspace = \"{ws}\"\ncache-dir = \"{cache}\"\n\n[output.html]\n",
        bin = env!("CARGO_BIN_EXE_mdbook-examples"),
        manifest = ws.join("examples/manifest.json").display(),
        ws = ws.display(),
        cache = dir.join("cache").display(),
    );
    std::fs::write(dir.join("book.toml"), toml).unwrap();
    std::fs::write(dir.join("src/SUMMARY.md"), "# Summary\n\n- [Chapter](chapter.md)\n").unwrap();
    std::fs::write(dir.join("src/chapter.md"), chapter).unwrap();
    dir
}

fn run(mdbook: &Path, command: &str, dir: &Path) -> Output {
    Command::new(mdbook).arg(command).arg(dir).output().expect("mdbook runs")
}

#[test]
fn every_error_kind_fails_mdbook_build_with_its_location() {
    let Some(mdbook) = mdbook() else { return };
    let cases = [
        ("unknown-id", "# C\n\n{{#example demo::nope}}\n", "src/chapter.md:3:1", "unknown example"),
        (
            "missing-anchor",
            "# C\n\n{{#example demo::hello region=x}}\n",
            "src/chapter.md:3:1",
            "no anchor `x`",
        ),
        ("unterminated-anchor", "# C\n\n\n{{#example demo::broken}}\n", "src/chapter.md:4:1", "never closed"),
        ("no-expected", "# C\n\n{{#example demo::unblessed}}\n", "src/chapter.md:3:1", "no verified output"),
        (
            "not-covered",
            "# C\n\n{{#example demo::orphan}}\n",
            "src/chapter.md:3:1",
            "not covered by any test",
        ),
        ("malformed", "# C\n\n- {{#example demo::hello lines=}}\n", "src/chapter.md:3:3", "needs a value"),
        ("unreadable", "# C\n\n{{#example demo::moved}}\n", "src/chapter.md:3:1", "cannot read"),
        ("fence", "# C\n\n> ```cobol\n> X\n> ```\n", "src/chapter.md:3:3", "unknown language `cobol`"),
        (
            "source-outside",
            "# C\n\nText.\n\n> {{#source examples/src/../manifest.json region=a}}\n",
            "src/chapter.md:5:3",
            "steps out of its folder",
        ),
        (
            "source-unknown-file",
            "# C\n\n{{#source examples/src/nope.rs region=a}}\n",
            "src/chapter.md:3:1",
            "cannot read examples/src/nope.rs",
        ),
        (
            "source-missing-region",
            "# C\n\n{{#source examples/src/store.rs region=x}}\n",
            "src/chapter.md:3:1",
            "no anchor `x`",
        ),
    ];
    for (name, chapter, location, message) in cases {
        let dir = book_with_chapter(name, chapter);
        let out = run(&mdbook, "build", &dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: mdbook build succeeded\n{stderr}");
        assert!(stderr.contains(location), "{name}: no `{location}` in\n{stderr}");
        assert!(stderr.contains(message), "{name}: no `{message}` in\n{stderr}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn a_good_chapter_builds_and_mdbook_test_accepts_it() {
    let Some(mdbook) = mdbook() else { return };
    let dir = book_with_chapter(
        "good",
        "# C\n\n{{#example demo::hello collapse=setup}}\n\n```sql\nSELECT 1;\n```\n\n{{#source examples/src/store.rs region=types collapse=fields}}\n",
    );
    let out = run(&mdbook, "build", &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(dir.join("book/chapter.html")).unwrap();
    assert!(html.contains("data-example-id=\"demo::hello\""));
    assert!(html.contains("Hello, Ada!"), "the verified output is on the page");
    assert!(html.contains("class=\"boring\""), "collapsed lines are marked for mdBook's toggle");
    assert!(html.contains("language-sql bf-code"));
    assert!(html.contains("<figure class=\"bf-example bf-source-excerpt\" id=\"source-store-rs-types\">"));
    assert!(html.contains("examples/src/store.rs, lines 4–10</a>"), "the source region is on the page");
    let out = run(&mdbook, "test", &dir);
    assert!(out.status.success(), "mdbook test: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(dir).unwrap();
}
