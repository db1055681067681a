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
    book_with_pages(name, "# Summary\n\n- [Chapter](chapter.md)\n", &[("chapter.md", chapter)])
}

/// A book with this `SUMMARY.md` and these pages, using our preprocessor over the fixture workspace.
fn book_with_pages(name: &str, summary: &str, pages: &[(&str, &str)]) -> PathBuf {
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
    std::fs::write(dir.join("src/SUMMARY.md"), summary).unwrap();
    for (path, content) in pages {
        let path = dir.join("src").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
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
        (
            "diagram-semicolon",
            "# C\n\n```mermaid\nsequenceDiagram\n    A->>B: one; two\n```\n",
            "src/chapter.md:5:15",
            "unexpected statement separator",
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
        "# C\n\n{{#example demo::hello collapse=setup}}\n\n```sql\nSELECT 1;\n```\n\n{{#source examples/src/store.rs region=types collapse=fields}}\n\n```mermaid\nflowchart LR\n    A --> B\n```\n",
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
    assert!(html.contains(
        "<figure class=\"bf-diagram\" tabindex=\"0\" aria-label=\"Flowchart\"><svg id=\"diagram-chapter-1\""
    ));
    assert!(!html.contains("class=\"mermaid\""), "the diagram is drawn at build time");
    let out = run(&mdbook, "test", &dir);
    assert!(out.status.success(), "mdbook test: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_part_gets_a_cheat_sheet_and_a_chapter_without_in_one_minute_fails_the_build() {
    let Some(mdbook) = mdbook() else { return };
    let summary = "# Summary\n\n# I. The machine\n\n- [Chapter](chapter.md)\n- [Later]()\n- [Part I cheat sheet](sheets/machine.md)\n";
    let sheet = ("sheets/machine.md", "# Part I cheat sheet\n\n{{#cheat-sheet}}\n");
    let good = "# C\n\n## In one minute\n\nThe short answer.\n\n## Trade-offs and numbers\n\n### Key numbers\n\n- 8 bytes (RFC 768).\n- 20 bytes (RFC 9293).\n- 40 bytes (RFC 8200).\n- 65,535 bytes (RFC 768).\n";
    let dir = book_with_pages("cheat-sheet", summary, &[("chapter.md", good), sheet]);
    let out = run(&mdbook, "build", &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(dir.join("book/sheets/machine.html")).unwrap();
    assert!(html.contains("<h2 id=\"cheat-chapter\"><a href=\"../chapter.html\">Chapter</a></h2>"), "{html}");
    assert!(html.contains("<p>The short answer.</p>"), "{html}");
    assert!(html.contains("<li>8 bytes (RFC 768).</li>"), "{html}");
    assert!(html.contains("Not written yet, so not on this sheet: Later."), "{html}");
    let chapter = std::fs::read_to_string(dir.join("book/chapter.html")).unwrap();
    assert!(
        chapter.contains("<a href=\"sheets/machine.html\">Part I. The machine on one sheet</a>"),
        "{chapter}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let without = "# C\n\nIntro.\n\n## Trade-offs and numbers\n\n### Key numbers\n\n- 8 bytes.\n";
    let dir = book_with_pages("cheat-sheet-missing", summary, &[("chapter.md", without), sheet]);
    let out = run(&mdbook, "build", &dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "mdbook build succeeded\n{stderr}");
    assert!(stderr.contains("src/chapter.md:1:1"), "{stderr}");
    assert!(stderr.contains("has no \"## In one minute\" section"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}
