//! Arbitrary Markdown and half-written directives: the preprocessor reports errors, it never
//! panics, and every error points inside the chapter. Arbitrary source files: cutting an anchor
//! region out of them never panics either.

mod common;

use mdbook_examples::manifest::region;
use proptest::prelude::*;

/// Pieces that make interesting Markdown: directive fragments, fences, containers, quotes.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{#example demo::hello}}".to_string()),
        Just("{{#example demo::hello collapse=setup lines=1-3}}".to_string()),
        Just("{{#example ".to_string()),
        Just("{{#example demo::".to_string()),
        Just("}}".to_string()),
        Just("caption=\"".to_string()),
        Just("\\{{#example demo::hello}}".to_string()),
        Just("{{#source examples/src/store.rs region=types}}".to_string()),
        Just("{{#source examples/src/store.rs region=types collapse=fields lines=2-4}}".to_string()),
        Just("{{#source ".to_string()),
        Just("examples/src/".to_string()),
        Just("../".to_string()),
        Just(" region=".to_string()),
        Just("```rust\n".to_string()),
        Just("```\n".to_string()),
        Just("```cobol\n".to_string()),
        // Diagrams: drawn by merman, whose errors (and panics) must stay inside the chapter.
        Just("```mermaid\n".to_string()),
        Just("flowchart LR\n".to_string()),
        Just("sequenceDiagram\n".to_string()),
        Just("stateDiagram-v2\n".to_string()),
        Just("    A->>B: x; y\n".to_string()),
        Just("    A[\"a\"] -- \"l\" --> B\n".to_string()),
        Just("    [*] --> A: go\n".to_string()),
        Just("~~~sql\n".to_string()),
        Just("`".to_string()),
        Just("> ".to_string()),
        Just("> [!NOTE]\n".to_string()),
        Just("- ".to_string()),
        Just("1. ".to_string()),
        Just("    ".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("<div>".to_string()),
        Just("| a | b |\n|---|---|\n".to_string()),
        Just("é✓\u{200b}".to_string()),
        "[a-z =:\"{}#-]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn never_panics_and_errors_point_into_the_chapter(pieces in prop::collection::vec(piece(), 0..24)) {
        let content: String = pieces.concat();
        let session = common::session(true);
        match session.process_chapter(&common::chapter(&content)) {
            Ok(_) => {}
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                let lines = content.lines().count().max(1);
                for error in errors {
                    prop_assert!(error.line >= 1 && error.line <= lines, "line {} of {}", error.line, lines);
                    prop_assert!(error.column >= 1);
                    let _ = error.to_string();
                }
            }
        }
        // The other renderers' path, too.
        let _ = common::session(false).process_chapter(&common::chapter(&content));
    }
}

/// Indentation as source files have it, multi-byte spaces included (U+00A0 is 2 bytes in
/// UTF-8, U+3000 is 3), which a byte count would cut in half.
fn indentation() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![Just(" "), Just("\t"), Just("\u{a0}"), Just("\u{3000}")], 0..6)
        .prop_map(|pieces| pieces.concat())
}

/// Region and collapse names, a few of which the generated anchors use.
fn anchor_name() -> impl Strategy<Value = String> {
    prop_oneof![Just("example"), Just("setup"), Just("a"), Just("é"), Just("")].prop_map(str::to_string)
}

/// One line of a source file: an anchor comment in one of the forms the books use, or text.
fn source_line() -> impl Strategy<Value = String> {
    let body = prop_oneof![
        anchor_name().prop_map(|name| format!("// ANCHOR: {name}")),
        anchor_name().prop_map(|name| format!("// ANCHOR_END: {name}")),
        anchor_name().prop_map(|name| format!("-- ANCHOR: {name}")),
        anchor_name().prop_map(|name| format!("-- ANCHOR_END: {name}")),
        anchor_name().prop_map(|name| format!("x_ANCHOR:{name} ANCHOR_END:{name}")),
        Just(String::new()),
        Just("let x = 1; // é✓\u{200b}".to_string()),
        "[a-z ;{}()\t\u{a0}\u{3000}é]{0,16}",
    ];
    (indentation(), body, indentation()).prop_map(|(before, body, after)| format!("{before}{body}{after}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    #[test]
    fn regions_of_arbitrary_sources_never_panic(
        lines in prop::collection::vec(source_line(), 0..16),
        name in anchor_name(),
        collapse in prop::option::of(anchor_name()),
        crlf in any::<bool>(),
    ) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        match region(&text, "src/file.rs", &name, collapse.as_deref()) {
            Ok(cut) => {
                prop_assert!(cut.lines.iter().any(|line| !line.text.trim().is_empty()));
                let file: Vec<&str> = text.lines().collect();
                for pair in cut.lines.windows(2) {
                    prop_assert!(pair[0].number < pair[1].number, "line numbers go up");
                }
                // Each shown line is its numbered line of the file, less only leading whitespace.
                for shown in &cut.lines {
                    prop_assert!(shown.number >= 1 && shown.number <= file.len());
                    let source = file[shown.number - 1];
                    prop_assert!(
                        source
                            .strip_suffix(shown.text.as_str())
                            .is_some_and(|cut_off| cut_off.chars().all(char::is_whitespace)),
                        "{:?} is not line {} of the file ({source:?}) without some leading whitespace",
                        shown.text,
                        shown.number
                    );
                }
            }
            Err(problem) => prop_assert!(!problem.message.is_empty()),
        }
    }
}
