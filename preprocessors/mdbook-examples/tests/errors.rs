//! One test per error kind: each fails with `src/chapter.md:LINE:COL`, the line and a hint.

mod common;

use common::errors;

/// Asserts exactly one error, at `line:col`, whose message contains `message`, with a hint.
fn assert_error(chapter: &str, line: usize, column: usize, message: &str) -> String {
    let found = errors(chapter);
    assert_eq!(found.len(), 1, "{found:#?}");
    let rendered = found[0].to_string();
    assert!(rendered.contains(&format!("--> src/chapter.md:{line}:{column}")), "{rendered}");
    assert!(found[0].message.contains(message), "{rendered}");
    assert!(found[0].hint.is_some() || message.contains("empty"), "no hint:\n{rendered}");
    rendered
}

#[test]
fn unknown_example_id_suggests_the_closest() {
    let out =
        assert_error("# Ch\n\nText.\n\n{{#example demo::helo}}\n", 5, 1, "unknown example `demo::helo`");
    assert!(out.contains("did you mean `demo::hello`?"), "{out}");
    assert!(out.contains("5 | {{#example demo::helo}}"), "{out}");
}

#[test]
fn missing_anchor_lists_the_anchors_that_exist() {
    let out = assert_error("{{#example demo::hello region=client}}\n", 1, 1, "no anchor `client`");
    assert!(out.contains("anchors in examples/src/demo.rs: example, setup, server"), "{out}");
}

#[test]
fn unterminated_anchor() {
    assert_error("\n{{#example demo::broken}}\n", 2, 1, "is never closed");
}

#[test]
fn example_without_expected_output() {
    let out = assert_error("{{#example demo::unblessed}}\n", 1, 1, "has no verified output");
    assert!(out.contains("cargo xtask bless"), "{out}");
}

#[test]
fn example_that_no_test_covers() {
    let out = assert_error("- item\n\n  {{#example demo::orphan}}\n", 3, 3, "not covered by any test");
    assert!(out.contains("examples/src/orphan.rs:2"), "{out}");
    assert!(out.contains("examples::CHAPTERS"), "{out}");
}

#[test]
fn malformed_directives() {
    assert_error("{{#example demo::hello colour=red}}\n", 1, 1, "unknown option `colour`");
    assert_error("> {{#example demo::hello lines=9-1}}\n", 1, 3, "not a line range");
    assert_error("{{#example demo::hello lines=2-40}}\n", 1, 1, "outside region `example`");
    assert_error("See {{#example demo::hello}} here.\n", 1, 5, "must stand alone");
}

#[test]
fn unreadable_source_file() {
    assert_error("{{#example demo::moved}}\n", 1, 1, "cannot read examples/src/moved.rs");
}

#[test]
fn source_of_an_unknown_file() {
    let out = assert_error(
        "# Ch\n\n> {{#source examples/src/nope.rs region=types}}\n",
        3,
        3,
        "cannot read examples/src/nope.rs",
    );
    assert!(out.contains("relative to the workspace root"), "{out}");
}

#[test]
fn source_region_that_the_file_lacks_lists_its_anchors() {
    let out = assert_error("{{#source examples/src/store.rs region=client}}\n", 1, 1, "no anchor `client`");
    assert!(out.contains("anchors in examples/src/store.rs: types, fields, visible"), "{out}");
    assert_error(
        "{{#source examples/src/store.rs region=visible collapse=fields}}\n",
        1,
        1,
        "no anchor `fields` inside region `visible`",
    );
    assert_error("{{#source examples/src/broken.rs region=example}}\n", 1, 1, "is never closed");
}

#[test]
fn malformed_source_directives() {
    let out = assert_error("- {{#source examples/src/store.rs}}\n", 1, 3, "names no region");
    assert!(out.contains("add `region=NAME`"), "{out}");
    let out = assert_error(
        "{{#source examples/src/store.rs region=types no-output}}\n",
        1,
        1,
        "unknown option `no-output`",
    );
    assert!(out.contains("shows code only"), "{out}");
    assert_error(
        "{{#source examples/src/store.rs region=types lines=2-40}}\n",
        1,
        1,
        "outside region `types`",
    );
    assert_error("{{#source}}\n", 1, 1, "names no file");
    assert_error("Text {{#source examples/src/store.rs region=types}} inline.\n", 1, 6, "must stand alone");
}

#[test]
fn a_source_path_outside_examples_src_is_refused() {
    for (path, message) in [
        ("src/SUMMARY.md", "is not under examples/src/"),
        ("examples/src/../../Cargo.toml", "steps out of its folder with `..`"),
        ("/etc/passwd", "is an absolute path"),
    ] {
        let out = assert_error(&format!("Text.\n\n{{{{#source {path} region=a}}}}\n"), 3, 1, message);
        assert!(out.contains("write the path from the workspace root"), "{out}");
    }
}

#[test]
fn unknown_fence_language_lists_the_known_ones() {
    let out = assert_error("Intro\n\n> ```cobol\n> MOVE 1 TO X.\n> ```\n", 3, 3, "unknown language `cobol`");
    assert!(out.contains("known languages: rust"), "{out}");
}

#[test]
fn every_problem_in_a_chapter_is_reported() {
    let found = errors("{{#example a::b}}\n\n```cobol\nx\n```\n\n{{#example demo::hello nope}}\n");
    let places: Vec<(usize, usize)> = found.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(places, vec![(1, 1), (3, 1), (7, 1)]);
}

#[test]
fn an_unreadable_manifest_is_an_error_not_a_panic() {
    use mdbook_examples::config::Config;
    let config = Config { manifest: "missing/manifest.json".into(), cache_dir: None, ..Config::default() }
        .resolve(&common::fixture_workspace());
    let session = mdbook_examples::Session::new(config, true, common::fixture_workspace().join("src"));
    let found = session.process_chapter(&common::chapter("{{#example demo::hello}}\n")).unwrap_err();
    assert!(found[0].message.contains("cannot read the examples manifest"), "{}", found[0]);
    assert!(found[0].to_string().contains("src/chapter.md:1:1"));
}

#[test]
fn forbidden_fence_language() {
    use mdbook_examples::config::Config;
    let config = Config { cache_dir: None, forbid_fences: vec!["rust".into()], ..Config::default() }
        .resolve(&common::fixture_workspace());
    let session = mdbook_examples::Session::new(config, true, common::fixture_workspace().join("src"));
    // `rs` is an alias of `rust`: the rule applies to it too.
    let found = session.process_chapter(&common::chapter("Text\n\n```rs\nfn main() {}\n```\n")).unwrap_err();
    assert_eq!((found[0].line, found[0].column), (3, 1));
    assert!(found[0].message.contains("`rust` code may not be pasted"), "{}", found[0]);
}

#[test]
fn a_diagram_that_does_not_parse_fails_at_its_line() {
    // (chapter, line, column, message). The first two are the semicolons that broke diagrams
    // twice in this book's history (commits bcc2c69 and dc15901): Mermaid ends a statement at
    // `;`, and the build now says so instead of the reader's browser.
    let cases = [
        (
            "# ORM\n\n```mermaid\nsequenceDiagram\n    participant App\n    participant DB\n    DB-->>App: all their posts; the app groups them by author_id\n```\n",
            7,
            31,
            "statement separator",
        ),
        (
            "Locks:\n\n> ```mermaid\n> sequenceDiagram\n>     participant T as table accounts\n>     participant S2 as session 2\n>     T-->>S2: ACCESS EXCLUSIVE granted; ALTER runs and commits\n> ```\n",
            7,
            40,
            "statement separator",
        ),
        (
            "```mermaid\nflowchart LR\n    A[\"unclosed --> B\n    C --> D\n```\n",
            3,
            6,
            "Unterminated node label",
        ),
        (
            "- item\n\n  ```mermaid\n  sequenceDiagram\n      A->>B: hi\n      alt sometimes\n      B->>A: yes\n  ```\n",
            7,
            17,
            "unexpected end of input",
        ),
        ("Text.\n\n```mermaid\nflowchar LR\n    A --> B\n```\n", 3, 1, "No Mermaid diagram type"),
    ];
    for (chapter, line, column, message) in cases {
        let out = assert_error(chapter, line, column, message);
        assert!(out.contains("Diagram parse error") || message.contains("No Mermaid"), "{out}");
    }
    let out = assert_error(cases[0].0, 7, 31, "statement separator");
    assert!(out.contains("write `,` instead"), "{out}");
}
