//! `{{#quiz-review}}`: a Part's page shows that Part's quizzes only; the page before the first
//! Part is the index (each Part's review page, each chapter's question ids, no questions); a
//! Part with quizzes but no review page fails at its line in SUMMARY.md, and a second review
//! page of a Part fails at its directive.

mod common;

use common::{fixture_workspace, session};
use mdbook_examples::Session;
use mdbook_examples::config::Config;
use mdbook_examples::diagnostic::Diagnostic;
use mdbook_preprocessor::book::{Book, BookItem, Chapter};

const REVIEW: &str = "# Review\n\n{{#quiz-review}}\n";

fn chapter(name: &str, path: &str, content: &str) -> BookItem {
    BookItem::Chapter(Chapter::new(name, content.to_string(), path, Vec::new()))
}

fn part(title: &str) -> BookItem {
    BookItem::PartTitle(title.to_string())
}

/// A chapter of a Part: just enough for its cheat sheet, and its quiz.
fn quizzed(name: &str, path: &str, quiz: &str) -> BookItem {
    let numbers = "- 1 s (a).\n- 2 s (b).\n- 3 s (c).\n- 4 s (d).\n";
    chapter(
        name,
        path,
        &format!(
            "# {name}\n\n## In one minute\n\nShort.\n\n### Key numbers\n\n{numbers}\n## Self-check\n\n{{{{#quiz quizzes/{quiz}.toml}}}}\n"
        ),
    )
}

fn sheet(path: &str) -> BookItem {
    chapter("Cheat sheet", path, "# Sheet\n\n{{#cheat-sheet}}\n")
}

fn process(items: Vec<BookItem>) -> Result<Vec<(String, String)>, Vec<Diagnostic>> {
    let processed = session(true).process_book(Book::new_with_items(items)).map_err(|found| found.0)?;
    Ok(processed
        .chapters()
        .map(|chapter| (chapter.path.as_ref().unwrap().display().to_string(), chapter.content.clone()))
        .collect())
}

fn content<'a>(chapters: &'a [(String, String)], path: &str) -> &'a str {
    &chapters.iter().find(|(p, _)| p == path).unwrap_or_else(|| panic!("no page {path}")).1
}

fn two_parts() -> Vec<BookItem> {
    vec![
        chapter("Review", "review.md", REVIEW),
        part("I. The machine"),
        quizzed("Alpha", "alpha.md", "good"),
        sheet("sheets/one.md"),
        chapter("Part I review", "review/one.md", REVIEW),
        part("II. Networking"),
        quizzed("Beta", "beta.md", "other"),
        sheet("sheets/two.md"),
        chapter("Part II review", "review/two.md", REVIEW),
    ]
}

#[test]
fn a_part_page_shows_its_own_quizzes_only() {
    let chapters = process(two_parts()).unwrap_or_else(|found| panic!("{found:#?}"));
    let one = content(&chapters, "review/one.md");
    assert!(one.contains("data-part=\"I. The machine\""), "{one}");
    assert!(
        one.contains("data-question-id=\"demo-crash\"") && one.contains("data-question-id=\"demo-short\""),
        "{one}"
    );
    assert!(!one.contains("other-udp"), "Part II's question on Part I's page: {one}");
    // Links are relative to the page, one folder down.
    assert!(one.contains("<h2><a href=\"../alpha.html\">Alpha</a></h2>"), "{one}");
    assert!(one.contains("<a href=\"../review.html\">the review index</a>"), "{one}");
    assert!(one.contains("href=\"../generated/quizzes.tsv\""), "{one}");
    let two = content(&chapters, "review/two.md");
    assert!(two.contains("data-question-id=\"other-udp\"") && !two.contains("demo-crash"), "{two}");
}

#[test]
fn the_index_links_each_part_and_lists_question_ids_without_questions() {
    let chapters = process(two_parts()).unwrap();
    let index = content(&chapters, "review.md");
    assert!(index.contains("<div class=\"bf-review-index\""), "{index}");
    assert!(!index.contains("bf-question"), "the index holds no question: {index}");
    assert!(index.contains("<h2><a href=\"review/one.html\">I. The machine</a></h2>"), "{index}");
    assert!(index.contains("<h2><a href=\"review/two.html\">II. Networking</a></h2>"), "{index}");
    assert!(
        index.contains("<tr data-question-ids=\"[&quot;demo-crash&quot;,&quot;demo-short&quot;]\"><td><a href=\"alpha.html\">Alpha</a></td><td>2</td></tr>"),
        "{index}"
    );
    assert!(index.find("I. The machine").unwrap() < index.find("II. Networking").unwrap(), "book order");
}

#[test]
fn review_pages_are_not_chapters_of_the_cheat_sheet() {
    let chapters = process(two_parts()).unwrap();
    let sheet = content(&chapters, "sheets/one.md");
    assert!(sheet.contains("Alpha") && !sheet.contains("Part I review"), "{sheet}");
}

#[test]
fn a_part_with_quizzes_and_no_review_page_fails_at_its_summary_line() {
    let mut items = two_parts();
    items.retain(|item| !matches!(item, BookItem::Chapter(c) if c.name == "Part II review"));
    let found = process(items).unwrap_err();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].message, "Part II. Networking has quizzes but no review page");
    // The fixture's src/ has no SUMMARY.md: the whole file is named.
    assert_eq!(found[0].file, "src/SUMMARY.md");
    assert!(found[0].hint.as_deref().unwrap().contains("review/<part>.md"), "{found:#?}");
}

#[test]
fn the_missing_page_is_placed_at_the_parts_heading() {
    // A book whose src/ has a SUMMARY.md (and the fixture's quizzes).
    let src = std::env::temp_dir().join(format!("bf-review-summary-{}", std::process::id()));
    std::fs::create_dir_all(src.join("quizzes")).unwrap();
    for quiz in ["good.toml", "other.toml"] {
        std::fs::copy(fixture_workspace().join("src/quizzes").join(quiz), src.join("quizzes").join(quiz))
            .unwrap();
    }
    let summary = "# Summary\n\n[Review](review.md)\n\n# I. The machine\n\n- [Alpha](alpha.md)\n\n# II. Networking\n\n- [Beta](beta.md)\n";
    std::fs::write(src.join("SUMMARY.md"), summary).unwrap();
    let config = Config { cache_dir: None, ..Config::default() }.resolve(&fixture_workspace());
    let mut items = two_parts();
    items.retain(|item| !matches!(item, BookItem::Chapter(c) if c.name == "Part II review"));
    let found =
        Session::new(config, true, src.clone()).process_book(Book::new_with_items(items)).unwrap_err().0;
    std::fs::remove_dir_all(&src).ok();
    assert_eq!(found.len(), 1, "{found:#?}");
    let name = src.file_name().unwrap().to_string_lossy();
    assert_eq!(found[0].file, format!("{name}/SUMMARY.md"));
    assert_eq!(
        (found[0].line, found[0].column, found[0].width),
        (9, 1, "# II. Networking".len()),
        "{found:#?}"
    );
    assert_eq!(found[0].source_line, "# II. Networking");
}

#[test]
fn a_second_review_page_of_a_part_fails_at_its_directive() {
    let mut items = two_parts();
    items.push(chapter("Again", "review/again.md", REVIEW));
    let found = process(items).unwrap_err();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].message, "Part II. Networking already has a review page, src/review/two.md");
    assert_eq!((found[0].file.as_str(), found[0].line), ("src/review/again.md", 3));
}

#[test]
fn options_are_refused() {
    let found = process(vec![chapter("Review", "review.md", "{{#quiz-review all}}\n")]).unwrap_err();
    assert!(found[0].message.contains("takes no options"), "{found:#?}");
}

#[test]
fn the_fixture_has_no_summary() {
    // The tests above rely on it: a SUMMARY.md here would move the error to a line.
    assert!(!fixture_workspace().join("src/SUMMARY.md").exists());
}
