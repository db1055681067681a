//! `{{#cheat-sheet}}`: a Part of the book on one printable page, generated from its chapters.
//!
//! The page with the directive belongs to the Part it is listed under in `SUMMARY.md` (a
//! `# Part` heading). For each written chapter of that Part, in book order, the sheet shows the
//! chapter's "In one minute" section and its "Key numbers" list (a heading of that name, by
//! convention a `### Key numbers` under "Trade-offs and numbers"); the Part's draft chapters
//! are named in one line at the end. Every written chapter of the Part gets a link to the sheet
//! at the end of its "In one minute" section.
//!
//! The book fails to build, at the chapter's `file:line`, when a written chapter of a Part has
//! no "In one minute" section or no "Key numbers" list, or when its Part has no cheat sheet; and
//! at the directive when the page is in no Part or its Part already has a sheet.

use std::ops::Range;
use std::path::{Path, PathBuf};

use mdbook_preprocessor::book::{Book, BookItem};
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};

use crate::diagnostic::{Diagnostic, Problem};
use crate::html::{escape, one_line};
use crate::markdown::{self, Found};
use crate::{ChapterText, Session, directive, locate};

/// The heading of the section a sheet shows first for each chapter.
pub const IN_ONE_MINUTE: &str = "In one minute";
/// The heading of the list of figures a sheet shows after it.
pub const KEY_NUMBERS: &str = "Key numbers";

/// The Parts of the book and their sheets, gathered from the whole book before any chapter is
/// rewritten.
#[derive(Debug, Default)]
pub struct CheatSheets {
    parts: Vec<Part>,
    /// Every page with a `{{#cheat-sheet}}` directive in a Part: its display path and Part.
    sheet_pages: Vec<(String, usize)>,
}

#[derive(Debug)]
struct Part {
    /// As `SUMMARY.md` writes it (`I. The machine`).
    title: String,
    /// The first page with `{{#cheat-sheet}}` in the Part, if any: its path relative to `src/`
    /// and its display path (`src/cheat-sheets/the-machine.md`).
    sheet: Option<(PathBuf, String)>,
    chapters: Vec<PartChapter>,
    /// Draft chapters (no page yet), by name.
    drafts: Vec<String>,
}

#[derive(Debug)]
struct PartChapter {
    name: String,
    /// Relative to `src/` (`isolation-levels.md`).
    path: PathBuf,
    /// `src/isolation-levels.md`, for errors.
    display_path: String,
    /// The chapter as mdBook handed it over (before this preprocessor rewrote it).
    content: String,
    minute: Range<usize>,
    numbers: Range<usize>,
}

impl CheatSheets {
    /// Reads every Part's chapters from `book`; the problems are the chapters that lack what
    /// a sheet shows and the Parts that have written chapters but no sheet.
    pub fn gather(book: &Book, src_dir: &Path) -> (CheatSheets, Vec<Diagnostic>) {
        let mut parts: Vec<Part> = Vec::new();
        let mut problems = Vec::new();
        // Each Part's first written chapter, where a missing sheet is reported once the whole
        // Part is known.
        let mut first_written: Vec<Option<ChapterText>> = Vec::new();
        let mut sheet_pages = Vec::new();
        for item in book.iter() {
            let chapter = match item {
                BookItem::PartTitle(title) => {
                    parts.push(Part {
                        title: title.clone(),
                        sheet: None,
                        chapters: Vec::new(),
                        drafts: Vec::new(),
                    });
                    first_written.push(None);
                    continue;
                }
                BookItem::Chapter(chapter) => chapter,
                BookItem::Separator => continue,
            };
            let Some(part_index) = parts.len().checked_sub(1) else { continue };
            let part = &mut parts[part_index];
            let Some(path) = &chapter.path else {
                part.drafts.push(chapter.name.clone());
                continue;
            };
            let text = ChapterText {
                display_path: crate::display_path(src_dir, chapter.source_path.as_deref(), &chapter.name),
                source_file: chapter.source_path.as_ref().map(|p| src_dir.join(p)),
                root: root_of(path),
                content: chapter.content.clone(),
            };
            let found = markdown::scan(&chapter.content);
            if has_directive(&found, directive::QUIZ_REVIEW_OPEN) {
                // A Part's review page holds its quizzes, not a chapter of it.
                continue;
            }
            if has_directive(&found, directive::CHEAT_SHEET_OPEN) {
                // A second sheet in one Part is reported at its directive.
                part.sheet.get_or_insert_with(|| (path.clone(), text.display_path.clone()));
                sheet_pages.push((text.display_path, part_index));
                continue;
            }
            match PartChapter::read(&chapter.name, path, &part.title, &text) {
                Ok(written) => part.chapters.push(written),
                Err(found) => problems.extend(found),
            }
            first_written[part_index].get_or_insert(text);
        }
        for (part, first) in parts.iter().zip(first_written) {
            if let (None, Some(text)) = (&part.sheet, first) {
                problems.push(locate(
                    &text,
                    first_line(&text.content),
                    Problem::new(format!("Part {} has written chapters but no cheat sheet", part.title)).hint(
                        "add a page whose text is `{{#cheat-sheet}}` (under a `# ` title) and list it under the Part in src/SUMMARY.md,\ne.g. `- [Part … cheat sheet](cheat-sheets/<part>.md)`; draft chapters (`- [Title]()`) need none",
                    ),
                ));
            }
        }
        (CheatSheets { parts, sheet_pages }, problems)
    }

    /// The Part whose written chapter is the page at `path`.
    fn part_of_chapter(&self, path: &Path) -> Option<&Part> {
        self.parts.iter().find(|part| part.chapters.iter().any(|chapter| chapter.path == path))
    }
}

impl PartChapter {
    /// What a sheet shows of the written chapter `text`, or the problems that keep it off the sheet.
    fn read(name: &str, path: &Path, part: &str, text: &ChapterText) -> Result<PartChapter, Vec<Diagnostic>> {
        let content = &text.content;
        let mut problems = Vec::new();
        let minute = markdown::section(content, IN_ONE_MINUTE);
        if minute.is_none() {
            problems.push(locate(
                text,
                first_line(content),
                Problem::new(format!(
                    "chapter \"{name}\" of Part {part} has no \"## {IN_ONE_MINUTE}\" section, which the Part's cheat sheet shows"
                ))
                .hint("start the chapter with `## In one minute`: the answer you would give an interviewer in 60 seconds"),
            ));
        }
        let numbers = markdown::section(content, KEY_NUMBERS);
        match &numbers {
            None => {
                let at = markdown::section(content, "Trade-offs and numbers")
                    .map_or_else(|| first_line(content), |section| section.heading);
                problems.push(locate(
                    text,
                    at,
                    Problem::new(format!(
                        "chapter \"{name}\" of Part {part} has no \"### {KEY_NUMBERS}\" list, which the Part's cheat sheet shows"
                    ))
                    .hint("under `## Trade-offs and numbers`, add `### Key numbers` with 4 to 8 bullets: each a figure with its unit and source"),
                ));
            }
            Some(numbers) if content[numbers.body.clone()].trim().is_empty() => {
                problems.push(locate(
                    text,
                    numbers.heading.clone(),
                    Problem::new(format!("the \"{KEY_NUMBERS}\" list of chapter \"{name}\" is empty"))
                        .hint("add 4 to 8 bullets: each a figure with its unit and source"),
                ));
            }
            Some(numbers) => {
                if let Err(problem) = key_number_bullets(&content[numbers.body.clone()]) {
                    problems.push(locate(
                        text,
                        numbers.heading.clone(),
                        Problem::new(format!("the \"{KEY_NUMBERS}\" list of chapter \"{name}\" {problem}"))
                            .hint("keep 4 to 8 bullets, each a figure with its unit and source; a longer table belongs above the heading, under `## Trade-offs and numbers`"),
                    ));
                }
            }
        }
        match (minute, numbers) {
            (Some(minute), Some(numbers)) if problems.is_empty() => Ok(PartChapter {
                name: name.to_string(),
                path: path.to_path_buf(),
                display_path: text.display_path.clone(),
                content: content.clone(),
                minute: minute.body,
                numbers: numbers.body,
            }),
            _ => Err(problems),
        }
    }
}

/// How many bullets a chapter's "Key numbers" section holds, when it is what a sheet can show: one
/// bulleted list of 4 to 8 items and nothing else but text (a table or a second list would not
/// reach the sheet's page the way the browser tests and the printed sheet expect).
fn key_number_bullets(body: &str) -> Result<usize, String> {
    let (mut depth, mut lists, mut items) = (0usize, 0usize, 0usize);
    for event in Parser::new_ext(body, Options::all()) {
        match event {
            Event::Start(Tag::Table(_)) if depth == 0 => {
                return Err("is a table: the cheat sheet shows a bulleted list".to_string());
            }
            Event::Start(Tag::List(first)) => {
                if depth == 0 {
                    if first.is_some() {
                        return Err("is a numbered list: the cheat sheet shows bullets".to_string());
                    }
                    lists += 1;
                }
                depth += 1;
            }
            Event::End(pulldown_cmark::TagEnd::List(_)) => depth = depth.saturating_sub(1),
            Event::Start(Tag::Item) if depth == 1 => items += 1,
            _ => {}
        }
    }
    match (lists, items) {
        (0, _) => Err("has no bulleted list".to_string()),
        (1, 4..=8) => Ok(items),
        (1, n) => Err(format!("has {n} bullets, not 4 to 8")),
        (n, _) => Err(format!("has {n} lists, not one")),
    }
}

/// Whether a chapter's scanned text has a directive starting with `opening` (well formed or not).
fn has_directive(found: &[Found], opening: &str) -> bool {
    found.iter().any(|found| matches!(found, Found::Directive { text, .. } if text.starts_with(opening)))
}

/// The relative path from the page at `path` (relative to `src/`) to the site's root.
pub fn root_of(path: &Path) -> String {
    "../".repeat(path.components().count().saturating_sub(1))
}

fn first_line(content: &str) -> Range<usize> {
    0..content.find('\n').unwrap_or(content.len())
}

/// `page.md` (relative to `src/`) as the page mdBook writes, `page.html`, with `/` separators.
fn html_path(path: &Path) -> String {
    path.with_extension("html").to_string_lossy().replace('\\', "/")
}

impl Session {
    /// `{{#cheat-sheet}}` on the page `chapter`: its Part's chapters, each its "In one minute"
    /// and "Key numbers".
    pub(crate) fn cheat_sheet(&self, text: &str, chapter: &ChapterText) -> Result<String, Problem> {
        if text != directive::CHEAT_SHEET {
            return Err(Problem::new("`{{#cheat-sheet}}` takes no options").hint(
                "write exactly `{{#cheat-sheet}}`: the page's Part (in src/SUMMARY.md) says what it shows",
            ));
        }
        let sheets = self.cheat_sheets.get();
        let Some(&(_, part_index)) = sheets
            .and_then(|sheets| sheets.sheet_pages.iter().find(|(page, _)| *page == chapter.display_path))
        else {
            return Err(Problem::new("a cheat sheet must be a page of a Part").hint(
                "list this page under a `# Part` heading in src/SUMMARY.md, e.g. `- [Cheat sheet](cheat-sheets/<part>.md)`",
            ));
        };
        let part = &sheets.expect("found a page in it").parts[part_index];
        let first = &part.sheet.as_ref().expect("a Part with a sheet page has a sheet").1;
        if *first != chapter.display_path {
            return Err(Problem::new(format!("Part {} already has a cheat sheet, {first}", part.title))
                .hint("a Part has one cheat sheet: remove this page or that one from src/SUMMARY.md"));
        }
        let mut sections = Vec::new();
        for written in &part.chapters {
            sections.push(SheetSection {
                name: &written.name,
                href: format!("{}{}", chapter.root, html_path(&written.path)),
                id: format!("cheat-{}", slug(&written.path)),
                minute: self.section_html(written, written.minute.clone(), &chapter.root)?,
                numbers: self.section_html(written, written.numbers.clone(), &chapter.root)?,
                minute_markdown: &written.content[written.minute.clone()],
                numbers_markdown: &written.content[written.numbers.clone()],
            });
        }
        Ok(if self.html {
            sheet_html(&part.title, &sections, &part.drafts)
        } else {
            sheet_markdown(&part.title, &sections, &part.drafts)
        })
    }

    /// A section of `written` as one line of HTML, for a page whose root is `root`: fences
    /// highlighted like anywhere in the book, links rebased from the chapter to that page, and
    /// reference links resolved against the whole chapter.
    fn section_html(&self, written: &PartChapter, body: Range<usize>, root: &str) -> Result<String, Problem> {
        let piece = ChapterText {
            display_path: written.display_path.clone(),
            source_file: None,
            root: root.to_string(),
            content: written.content[body].to_string(),
        };
        // Problems in the chapter's own text are reported where the chapter is processed.
        let processed = self.process_chapter(&piece).map_err(|found| {
            Problem::new(format!(
                "{} cannot be shown on the cheat sheet: {}",
                written.display_path, found[0].message
            ))
        })?;
        let mut options = markdown::options();
        if self.smart_punctuation {
            options |= Options::ENABLE_SMART_PUNCTUATION;
        }
        let whole = Parser::new_ext(&written.content, options);
        let definitions = whole.reference_definitions();
        let mut resolve = |broken: pulldown_cmark::BrokenLink<'_>| {
            definitions.get(broken.reference.as_ref()).map(|def| {
                (
                    CowStr::from(def.dest.to_string()),
                    CowStr::from(def.title.as_deref().unwrap_or("").to_string()),
                )
            })
        };
        let events =
            Parser::new_with_broken_link_callback(&processed, options, Some(&mut resolve)).map(|event| {
                match event {
                    Event::Start(Tag::Link { link_type, dest_url, title, id }) => Event::Start(Tag::Link {
                        link_type,
                        dest_url: rebase(&dest_url, &written.path, root).into(),
                        title,
                        id,
                    }),
                    Event::Start(Tag::Image { link_type, dest_url, title, id }) => Event::Start(Tag::Image {
                        link_type,
                        dest_url: rebase(&dest_url, &written.path, root).into(),
                        title,
                        id,
                    }),
                    other => other,
                }
            });
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, events);
        Ok(one_line(html.trim_end()))
    }

    /// `content` (a chapter already rewritten) with a link to its Part's cheat sheet at the end of
    /// its "In one minute" section, if it is a written chapter of a Part.
    pub(crate) fn with_cheat_sheet_link(&self, path: &Path, content: String) -> String {
        let Some(part) = self.cheat_sheets.get().and_then(|sheets| sheets.part_of_chapter(path)) else {
            return content;
        };
        let (Some(sheet), Some(minute)) = (&part.sheet, markdown::section(&content, IN_ONE_MINUTE)) else {
            return content;
        };
        let (sheet, _) = sheet;
        let href = format!("{}{}", root_of(path), html_path(sheet));
        let link = if self.html {
            format!(
                "<p class=\"bf-cheat-sheet-link\"><a href=\"{}\">Part {} on one sheet</a>: the cheat sheet with every chapter’s “In one minute” and key numbers, ready to print.</p>",
                escape(&href),
                escape(&part.title)
            )
        } else {
            format!(
                "*[Part {} on one sheet]({}{}): the cheat sheet, ready to print.*",
                part.title,
                root_of(path),
                sheet.display()
            )
        };
        let at = minute.body.end;
        format!("{}\n{link}\n\n{}", &content[..at], &content[at..])
    }
}

struct SheetSection<'a> {
    name: &'a str,
    href: String,
    id: String,
    minute: String,
    numbers: String,
    minute_markdown: &'a str,
    numbers_markdown: &'a str,
}

fn sheet_html(part: &str, sections: &[SheetSection<'_>], drafts: &[String]) -> String {
    let mut out = String::from("<div class=\"bf-cheat-sheet\">");
    out.push_str(&format!(
        "<p class=\"bf-cheat-sheet-about\">Part {}: each written chapter’s “In one minute” and key numbers, generated from the chapters. Printed, this page is laid out to fit one sheet.</p>",
        escape(part)
    ));
    for section in sections {
        out.push_str(&format!(
            "<section class=\"bf-cheat-chapter\" aria-labelledby=\"{id}\"><h2 id=\"{id}\"><a href=\"{href}\">{name}</a></h2>{minute}<h3 class=\"bf-cheat-numbers\" id=\"{id}-numbers\">Key numbers</h3>{numbers}</section>",
            id = escape(&section.id),
            href = escape(&section.href),
            name = escape(section.name),
            minute = section.minute,
            numbers = section.numbers,
        ));
    }
    if !drafts.is_empty() {
        out.push_str(&format!(
            "<p class=\"bf-cheat-sheet-drafts\">Not written yet, so not on this sheet: {}.</p>",
            drafts.iter().map(|name| escape(name)).collect::<Vec<_>>().join("; ")
        ));
    }
    out.push_str("</div>");
    out
}

fn sheet_markdown(part: &str, sections: &[SheetSection<'_>], drafts: &[String]) -> String {
    let mut out = format!("Part {part}: each written chapter's \"In one minute\" and key numbers.\n\n");
    for section in sections {
        out.push_str(&format!(
            "## {}\n\n{}\n\n### Key numbers\n\n{}\n\n",
            section.name,
            section.minute_markdown.trim(),
            section.numbers_markdown.trim()
        ));
    }
    if !drafts.is_empty() {
        out.push_str(&format!("Not written yet, so not on this sheet: {}.\n", drafts.join("; ")));
    }
    out
}

/// `page.md` → `page`, `a/b.md` → `a-b`: a chapter's part of an id.
fn slug(path: &Path) -> String {
    path.with_extension("")
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_lowercase() } else { '-' })
        .collect()
}

/// A link written in the chapter at `chapter` (relative to `src/`), as seen from a page whose
/// root is `root`: relative paths are resolved against the chapter's folder and a `.md` page
/// becomes its `.html`; a fragment alone points into the chapter; absolute links are kept.
fn rebase(dest: &str, chapter: &Path, root: &str) -> String {
    let scheme = dest.find(':').is_some_and(|colon| !dest[..colon].contains(['/', '?', '#']));
    if scheme || dest.starts_with('/') || dest.is_empty() {
        return dest.to_string();
    }
    if dest.starts_with('#') {
        return format!("{root}{}{dest}", html_path(chapter));
    }
    let split = dest.find(['?', '#']).unwrap_or(dest.len());
    let (path, rest) = dest.split_at(split);
    let mut segments: Vec<String> = chapter
        .parent()
        .map(|dir| dir.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other.to_string()),
        }
    }
    let mut joined = segments.join("/");
    if let Some(stem) = joined.strip_suffix(".md") {
        joined = format!("{stem}.html");
    }
    format!("{root}{joined}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_rebased_from_the_chapter_to_the_sheet() {
        let chapter = Path::new("part/ch.md");
        assert_eq!(rebase("other.md#x", chapter, "../"), "../part/other.html#x");
        assert_eq!(rebase("../top.md", chapter, "../"), "../top.html");
        assert_eq!(rebase("#local", chapter, "../"), "../part/ch.html#local");
        assert_eq!(rebase("img/a.svg", Path::new("ch.md"), "../"), "../img/a.svg");
        assert_eq!(
            rebase("https://www.rfc-editor.org/rfc/rfc9293", chapter, "../"),
            "https://www.rfc-editor.org/rfc/rfc9293"
        );
        assert_eq!(rebase("mailto:a@b", chapter, "../"), "mailto:a@b");
        assert_eq!(rebase("/abs.html", chapter, "../"), "/abs.html");
    }

    #[test]
    fn key_numbers_are_one_list_of_four_to_eight_bullets() {
        assert_eq!(key_number_bullets("\n- a\n- b\n- c\n- d\n"), Ok(4));
        assert_eq!(key_number_bullets("Intro.\n\n- a\n  - nested\n- b\n- c\n- d\n- e\n"), Ok(5));
        assert_eq!(key_number_bullets("- a\n- b\n- c\n"), Err("has 3 bullets, not 4 to 8".to_string()));
        let nine = "- x\n".repeat(9);
        assert_eq!(key_number_bullets(&nine), Err("has 9 bullets, not 4 to 8".to_string()));
        let table = "| a | b |\n| --- | --- |\n| 1 | 2 |\n";
        assert!(key_number_bullets(table).unwrap_err().contains("table"));
        assert!(key_number_bullets("1. a\n2. b\n3. c\n4. d\n").unwrap_err().contains("numbered"));
        assert!(key_number_bullets("- a\n- b\n\ntext\n\n- c\n- d\n").unwrap_err().contains("2 lists"));
        assert_eq!(key_number_bullets("Only text."), Err("has no bulleted list".to_string()));
    }

    #[test]
    fn slugs_and_roots() {
        assert_eq!(slug(Path::new("Part/TCP udp.md")), "part-tcp-udp");
        assert_eq!(root_of(Path::new("cheat-sheets/the-machine.md")), "../");
        assert_eq!(root_of(Path::new("intro.md")), "");
    }
}
