//! Arbitrary Markdown and half-written directives: the preprocessor reports errors, it never
//! panics, and every error points inside the chapter.

mod common;

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
        Just("```rust\n".to_string()),
        Just("```\n".to_string()),
        Just("```cobol\n".to_string()),
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
