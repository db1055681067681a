//! `{{#cheat-sheet}}`: a Part's chapters on one page ("In one minute" and "Key numbers" of each
//! written chapter, drafts named), a link to it from each of those chapters, and a build error at
//! `file:line` for a chapter that lacks what the sheet shows.

mod common;

use common::{readable, session};
use expect_test::expect_file;
use mdbook_examples::diagnostic::Diagnostic;
use mdbook_preprocessor::book::{Book, BookItem, Chapter};

const CHAPTER_A: &str = "# Alpha\n\nIntro.\n\n## In one minute\n\nA *short* answer, see [beta](beta.md#why), [here](#how-it-works) and [the RFC][rfc].\n\n- one\n- two\n\n## How it works\n\nLong text.\n\n## Trade-offs and numbers\n\nA table.\n\n### Key numbers\n\n- 1 µs per `write()` (a source).\n- 63 µs per \"fdatasync\" (a source).\n- 4 KiB per page (a source).\n- 2 MiB per huge page (a source).\n\n## Interview questions\n\n[rfc]: https://www.rfc-editor.org/rfc/rfc9293\n";
const CHAPTER_B: &str = "# Beta\n\n## In one minute\n\nBeta's answer.\n\n## Trade-offs and numbers\n\n### Key numbers\n\n- 8 bytes (RFC 768).\n- 20 bytes (RFC 9293).\n- 40 bytes (RFC 8200).\n- 65,535 bytes (RFC 768).\n";
const SHEET: &str = "# Part I cheat sheet\n\n{{#cheat-sheet}}\n";

fn chapter(name: &str, path: &str, content: &str) -> BookItem {
    BookItem::Chapter(Chapter::new(name, content.to_string(), path, Vec::new()))
}

fn draft(name: &str) -> BookItem {
    BookItem::Chapter(Chapter::new_draft(name, Vec::new()))
}

fn part(title: &str) -> BookItem {
    BookItem::PartTitle(title.to_string())
}

fn book(items: Vec<BookItem>) -> Book {
    Book::new_with_items(items)
}

/// The book as the preprocessor writes it back (HTML or not), by chapter path.
fn process(html: bool, items: Vec<BookItem>) -> Result<Vec<(String, String)>, Vec<Diagnostic>> {
    let processed = session(html).process_book(book(items)).map_err(|found| found.0)?;
    Ok(processed
        .chapters()
        .map(|chapter| (chapter.path.as_ref().unwrap().display().to_string(), chapter.content.clone()))
        .collect())
}

fn content<'a>(chapters: &'a [(String, String)], path: &str) -> &'a str {
    &chapters.iter().find(|(p, _)| p == path).unwrap().1
}

fn the_book() -> Vec<BookItem> {
    vec![
        chapter("Introduction", "intro.md", "# Intro\n\nNo Part, no sheet, no minute.\n"),
        part("I. The machine"),
        chapter("Alpha", "alpha.md", CHAPTER_A),
        draft("Gamma, not written"),
        chapter("Beta", "beta.md", CHAPTER_B),
        chapter("Part I cheat sheet", "sheets/machine.md", SHEET),
        part("II. Only drafts"),
        draft("Delta"),
    ]
}

#[test]
fn a_sheet_shows_each_written_chapter_of_its_part() {
    let chapters = process(true, the_book()).unwrap_or_else(|found| panic!("{found:#?}"));
    let sheet = content(&chapters, "sheets/machine.md");
    expect_file!["snapshots/cheat-sheet.html"].assert_eq(&readable(sheet));
    assert!(sheet.starts_with("# Part I cheat sheet\n\n<div class=\"bf-cheat-sheet\">"), "{sheet}");
    // One physical line: Markdown would end the HTML block at a blank line.
    let html = sheet.lines().nth(2).unwrap();
    assert!(html.ends_with("</div>"), "{sheet}");
    // Links are rebased from the chapter to the sheet, references resolved, Markdown rendered
    // with smart punctuation like the chapter.
    assert!(html.contains("<a href=\"../beta.html#why\">beta</a>"), "{html}");
    assert!(html.contains("<a href=\"../alpha.html#how-it-works\">here</a>"), "{html}");
    assert!(html.contains("<a href=\"https://www.rfc-editor.org/rfc/rfc9293\">the RFC</a>"), "{html}");
    assert!(html.contains("“fdatasync”"), "{html}");
    assert!(!html.contains("Long text"), "only the two sections: {html}");
    assert!(html.contains("Not written yet, so not on this sheet: Gamma, not written.</p>"), "{html}");
    assert!(html.find("id=\"cheat-alpha\"").unwrap() < html.find("id=\"cheat-beta\"").unwrap(), "book order");
}

#[test]
fn each_chapter_of_the_part_links_to_its_sheet_after_in_one_minute() {
    let chapters = process(true, the_book()).unwrap();
    let alpha = content(&chapters, "alpha.md");
    let link = "<p class=\"bf-cheat-sheet-link\"><a href=\"sheets/machine.html\">Part I. The machine on one sheet</a>";
    let at = alpha.find(link).unwrap_or_else(|| panic!("{alpha}"));
    assert!(alpha.find("- two").unwrap() < at && at < alpha.find("## How it works").unwrap(), "{alpha}");
    assert_eq!(alpha.matches("bf-cheat-sheet-link").count(), 1);
    assert!(content(&chapters, "beta.md").contains("href=\"sheets/machine.html\""));
    assert!(!content(&chapters, "intro.md").contains("bf-cheat-sheet-link"), "a page in no Part");
}

#[test]
fn other_renderers_get_markdown() {
    let chapters = process(false, the_book()).unwrap();
    let sheet = content(&chapters, "sheets/machine.md");
    assert!(sheet.contains("## Alpha\n\nA *short* answer"), "{sheet}");
    assert!(sheet.contains("### Key numbers\n\n- 8 bytes (RFC 768)."), "{sheet}");
    assert!(
        content(&chapters, "alpha.md").contains("*[Part I. The machine on one sheet](sheets/machine.md)")
    );
}

/// The one problem of a book, rendered.
fn one_error(items: Vec<BookItem>) -> String {
    let found = process(true, items).expect_err("the build should fail");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].hint.is_some(), "{}", found[0]);
    found[0].to_string()
}

#[test]
fn a_written_chapter_without_in_one_minute_fails_at_its_first_line() {
    let out = one_error(vec![
        part("I. The machine"),
        chapter(
            "Alpha",
            "alpha.md",
            "# Alpha\n\n## Trade-offs and numbers\n\n### Key numbers\n\n- 1 µs.\n- 2 µs.\n- 3 µs.\n- 4 µs.\n",
        ),
        chapter("Sheet", "sheet.md", SHEET),
    ]);
    assert!(out.contains("--> src/alpha.md:1:1"), "{out}");
    assert!(
        out.contains("chapter \"Alpha\" of Part I. The machine has no \"## In one minute\" section"),
        "{out}"
    );
}

#[test]
fn a_written_chapter_without_key_numbers_fails_at_its_trade_offs() {
    let out = one_error(vec![
        part("I. The machine"),
        chapter(
            "Alpha",
            "alpha.md",
            "# Alpha\n\n## In one minute\n\nA.\n\n## Trade-offs and numbers\n\nText.\n",
        ),
        chapter("Sheet", "sheet.md", SHEET),
    ]);
    assert!(out.contains("--> src/alpha.md:7:1"), "{out}");
    assert!(out.contains("has no \"### Key numbers\" list"), "{out}");
    let out = one_error(vec![
        part("I. The machine"),
        chapter("Alpha", "alpha.md", "# Alpha\n\n## In one minute\n\nA.\n\n### Key numbers\n\n## Next\n"),
        chapter("Sheet", "sheet.md", SHEET),
    ]);
    assert!(out.contains("--> src/alpha.md:7:1"), "{out}");
    assert!(out.contains("list of chapter \"Alpha\" is empty"), "{out}");
    // A table shows no bullets on the sheet: the build says so at the heading.
    let out = one_error(vec![
        part("I. The machine"),
        chapter(
            "Alpha",
            "alpha.md",
            "# Alpha\n\n## In one minute\n\nA.\n\n### Key numbers\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n",
        ),
        chapter("Sheet", "sheet.md", SHEET),
    ]);
    assert!(out.contains("--> src/alpha.md:7:1"), "{out}");
    assert!(out.contains("list of chapter \"Alpha\" is a table"), "{out}");
}

#[test]
fn a_part_with_written_chapters_needs_a_sheet() {
    // Reported once, at the Part's first written chapter.
    let out = one_error(vec![
        part("VI. Derived data"),
        chapter("Alpha", "alpha.md", CHAPTER_A),
        chapter("Beta", "beta.md", CHAPTER_B),
        draft("Later"),
    ]);
    assert!(out.contains("--> src/alpha.md:1:1"), "{out}");
    assert!(out.contains("Part VI. Derived data has written chapters but no cheat sheet"), "{out}");
}

#[test]
fn a_sheet_must_be_one_per_part_and_in_a_part_and_take_no_options() {
    let out = one_error(vec![chapter("Sheet", "sheet.md", SHEET), part("I. The machine"), draft("Later")]);
    assert!(out.contains("--> src/sheet.md:3:1"), "{out}");
    assert!(out.contains("a cheat sheet must be a page of a Part"), "{out}");

    let out = one_error(vec![
        part("I. The machine"),
        chapter("Alpha", "alpha.md", CHAPTER_A),
        chapter("Sheet", "sheet.md", SHEET),
        chapter("Again", "again.md", SHEET),
    ]);
    assert!(out.contains("--> src/again.md:3:1"), "{out}");
    assert!(out.contains("Part I. The machine already has a cheat sheet, src/sheet.md"), "{out}");

    let out = one_error(vec![
        part("I. The machine"),
        chapter("Alpha", "alpha.md", CHAPTER_A),
        chapter("Sheet", "sheet.md", "# S\n\n{{#cheat-sheet part=I}}\n"),
    ]);
    assert!(out.contains("--> src/sheet.md:3:1"), "{out}");
    assert!(out.contains("takes no options"), "{out}");
}
