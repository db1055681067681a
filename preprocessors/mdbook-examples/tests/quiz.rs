//! The quiz directive: a quiz file renders to readable HTML (answers folded in <details>), and
//! a malformed one fails the build at its own line and column.

mod common;

use common::{errors, readable, render};
use expect_test::expect_file;

#[test]
fn a_quiz_renders_prompts_options_and_folded_answers() {
    let html = render("## Self-check\n\n{{#quiz quizzes/good.toml}}\n");
    expect_file!["snapshots/quiz.html"].assert_eq(&readable(&html));
    // Readable without JavaScript: every answer sits in a <details>.
    assert_eq!(html.matches("<details class=\"bf-quiz-answer\">").count(), 2);
    // Code in a prompt is highlighted at build time like any fence.
    assert!(html.contains("bf-code"), "{html}");
    // Short answers carry their normalised accepted forms.
    assert!(html.contains("data-accepted=\"[&quot;60&quot;,&quot;60 s&quot;,&quot;sixty&quot;]\""), "{html}");
}

#[test]
fn a_malformed_quiz_fails_at_its_own_line_and_column() {
    let found = errors("{{#quiz quizzes/bad.toml}}\n");
    assert_eq!(found.len(), 1, "{found:#?}");
    let rendered = found[0].to_string();
    assert!(rendered.contains("--> src/quizzes/bad.toml:5:8"), "{rendered}");
    assert!(found[0].message.contains("unknown field `distractor`"), "{rendered}");
}

#[test]
fn a_missing_quiz_file_and_a_bad_directive_are_errors() {
    let found = errors("{{#quiz quizzes/none.toml}}\n");
    assert!(found[0].message.contains("cannot read the quiz file"), "{found:#?}");
    assert!(found[0].file.ends_with("quizzes/none.toml"), "{found:#?}");
    let found = errors("{{#quiz}}\n");
    assert!(!found.is_empty());
    let found = errors("{{#quiz a.toml b.toml}}\n");
    assert!(found[0].message.contains("names one `.toml` file"), "{found:#?}");
}
