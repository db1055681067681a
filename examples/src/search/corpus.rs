//! The book's own chapters as a search corpus, and the example that searches them.
//!
//! The full chapters are far too big for a browser module (1.5 MB of Markdown), so the corpus
//! is derived: for each written chapter, in `src/SUMMARY.md` order, one document per `##` or
//! `###` section with its heading, the chapter's title and the section's first paragraph of
//! prose, cut to [`WORDS`] words ("In one minute" to [`ONE_MINUTE_WORDS`]). [`derive`] builds it natively from
//! `src/*.md`; `cargo xtask bless` writes it to `examples/data/book-corpus.txt` and
//! `tests/expected.rs` fails, naming the changed chapter, when it is stale. The browser reads
//! the file through `include_str!` and indexes it on each run.

use std::fmt::Write as _;

use super::bm25::{Analyser, Bm25, Flavour, Hit, Index};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const BOOK_CORPUS: &str = include_str!("../../data/book-corpus.txt");

/// Words kept from a section's first paragraph. The module's code is about 107 kB gzipped, so
/// the corpus can spend about 30 kB of the 150 kB budget and leave room for the chapters still
/// to be written: 60 words (and "In one minute" whole) made it 82 kB, 30 words 56 kB, 12 words
/// (and 50 of "In one minute") 29 kB, measured with 32 chapters written.
pub const WORDS: usize = 12;

/// Words kept of a chapter's "In one minute", its summary.
pub const ONE_MINUTE_WORDS: usize = 50;

/// Sections whose opening is the same in every chapter (a quiz's instructions, a list of
/// references, a question in `<details>`), left out.
pub const SKIPPED: &[&str] = &["Self-check quiz", "Further reading", "Interview questions"];

pub const EXAMPLE: Example = Example {
    id: "search::book",
    title: "Search this book: BM25 over every chapter's sections",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`query = words`, `stem = yes | no`, `k1 = 0..3` (1.2), `b = 0..1` (0.75), `idf = lucene | fts5`, `top = 1..20`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
query = replica lag stale reads
stem = yes
k1 = 1.2
b = 0.75
idf = lucene
top = 5
";

/// One document of the corpus: a section of a chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<'a> {
    pub chapter: &'a str,
    pub page: &'a str,
    pub heading: &'a str,
    pub text: &'a str,
}

/// The corpus file's documents: after `#` comments, a line `@page \t chapter title` starts
/// each chapter, and each of its sections is a line `heading \t text`.
pub fn sections(corpus: &str) -> Vec<Section<'_>> {
    let (mut chapter, mut page) = ("", "");
    let mut out = Vec::new();
    for line in corpus.lines().filter(|line| !line.starts_with('#') && !line.is_empty()) {
        let (first, rest) = line.split_once('\t').unwrap_or((line, ""));
        match first.strip_prefix('@') {
            Some(p) => (page, chapter) = (p, rest),
            None => out.push(Section { chapter, page, heading: first, text: rest }),
        }
    }
    out
}

// ANCHOR: search
fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["query", "stem", "k1", "b", "idf", "top"])?;
    let query = params.one("query")?.map_or("", |e| e.value);
    if query.trim().is_empty() {
        return Err(InputError::new("give a `query = …`"));
    }
    let stem = params.choice_or("stem", &["yes", "no"], "yes")? == "yes";
    let bm25 = Bm25 {
        k1: params.number_or("k1", 0.0, 3.0, 1.2)?,
        b: params.number_or("b", 0.0, 1.0, 0.75)?,
        flavour: match params.choice_or("idf", &["lucene", "fts5"], "lucene")? {
            "fts5" => Flavour::Fts5,
            _ => Flavour::Lucene,
        },
    };
    let top = params.number_or("top", 1usize, 20, 5)?;
    let docs = sections(BOOK_CORPUS);
    let mut index = Index::new(Analyser { stem });
    for doc in &docs {
        // The heading and the chapter title are indexed with the text, in one field.
        index.add(&format!("{} {} {}", doc.heading, doc.chapter, doc.text));
    }
    let hits = index.search(query, bm25);
    let mut out = String::new();
    let terms = Analyser { stem }.analyse(query);
    let _ = writeln!(
        out,
        "{} sections of {} chapters, {} distinct terms, avgdl {:.1}; query terms: {}",
        docs.len(),
        count_chapters(&docs),
        index.postings.len(),
        index.avgdl(),
        terms.join(" ")
    );
    let _ = writeln!(out, "{} sections match\n", hits.len());
    for (rank, hit) in hits.iter().take(top).enumerate() {
        let doc = &docs[hit.doc];
        let _ = writeln!(out, "{:>2}. {:>6.3}  {} › {}", rank + 1, hit.score, doc.chapter, doc.heading);
    }
    if let Some(best) = hits.first() {
        explain(&mut out, best, &index, bm25);
    }
    Ok(out)
}
// ANCHOR_END: search

fn count_chapters(docs: &[Section<'_>]) -> usize {
    let mut pages: Vec<&str> = docs.iter().map(|d| d.page).collect();
    pages.dedup();
    pages.len()
}

/// The top hit's score, term by term, as Elasticsearch's `explain` lays it out.
pub fn explain(out: &mut String, hit: &Hit, index: &Index, bm25: Bm25) {
    let _ = writeln!(
        out,
        "\nwhy #1 scores {:.4}: dl = {} terms, avgdl = {:.2}, N = {}, k1 = {}, b = {}",
        hit.score,
        hit.dl,
        index.avgdl(),
        index.docs(),
        bm25.k1,
        bm25.b
    );
    for term in &hit.terms {
        let _ = writeln!(
            out,
            "  {:<14} tf {:>2}  n {:>4}  idf {:>7.4}  tf-norm {:.4}  → {:.4}",
            term.term,
            term.tf,
            term.n,
            term.idf,
            term.tf_norm,
            term.idf * term.tf_norm
        );
    }
}

/// FNV-1a, 64 bits: the fingerprint of a chapter's part of the corpus, in its header.
pub fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The written chapters of `summary`, in order: `(title, page)` of each `- [Title](page.md)`
/// list entry (drafts have an empty link; cheat sheets and Part review pages are not chapters).
pub fn written_chapters(summary: &str) -> Vec<(&str, &str)> {
    summary
        .lines()
        .filter_map(|line| {
            let entry = line.trim_start().strip_prefix("- [")?;
            let (title, rest) = entry.split_once("](")?;
            let page = rest.strip_suffix(')')?;
            (!page.is_empty() && !page.starts_with("cheat-sheets/") && !page.starts_with("review/"))
                .then_some((title, page))
        })
        .collect()
}

// ANCHOR: derive
/// The corpus from the book's sources; `read` returns a file under `src/` by its path.
pub fn derive(read: &dyn Fn(&str) -> Result<String, String>) -> Result<String, String> {
    let summary = read("SUMMARY.md")?;
    let mut header = String::from(
        "# The book's sections, derived from src/*.md by examples::search::corpus::derive\n\
         # (`cargo xtask bless` rewrites this file): `@page \\t title`, then `heading \\t text` lines\n",
    );
    let mut body = String::new();
    for (title, page) in written_chapters(&summary) {
        let markdown = read(page)?;
        let mut chapter = format!("@{page}\t{title}\n");
        for (heading, text) in chapter_sections(&markdown) {
            if !SKIPPED.contains(&heading.as_str()) {
                let _ = writeln!(chapter, "{heading}\t{text}");
            }
        }
        // The fingerprint of what the corpus keeps of the chapter, not of its whole Markdown:
        // an edit the corpus does not see (deeper in a section, in a <details>) leaves it current.
        let _ = writeln!(header, "# source src/{page} {:016x}", fingerprint(&chapter));
        body.push_str(&chapter);
    }
    Ok(header + &body)
}

/// `(heading, text)` for each `##`/`###` section: the first paragraph of prose (at most
/// [`WORDS`] words), or every paragraph of "In one minute" (at most [`ONE_MINUTE_WORDS`]).
pub fn chapter_sections(markdown: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, Vec<String>, bool)> = Vec::new();
    let (mut fence, mut html, mut paragraph): (bool, bool, Vec<&str>) = (false, false, vec![]);
    let finish = |out: &mut Vec<(String, Vec<String>, bool)>, paragraph: &mut Vec<&str>| {
        if let Some((_, paragraphs, whole)) = out.last_mut()
            && !paragraph.is_empty()
            && (*whole || paragraphs.is_empty())
        {
            paragraphs.push(clean(&paragraph.join(" ")));
        }
        paragraph.clear();
    };
    for line in markdown.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            finish(&mut out, &mut paragraph);
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        if let Some(heading) = trimmed.strip_prefix("## ").or_else(|| trimmed.strip_prefix("### ")) {
            finish(&mut out, &mut paragraph);
            let heading = clean(heading);
            let whole = heading.eq_ignore_ascii_case("in one minute");
            out.push((heading, vec![], whole));
            continue;
        }
        // <details> blocks (model answers, asides) are depth, not a section's opening.
        if trimmed.starts_with("<details") {
            html = true;
        }
        if html {
            if trimmed.starts_with("</details") {
                html = false;
            }
            finish(&mut out, &mut paragraph);
            continue;
        }
        let skip = trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with("{{")
            || trimmed.starts_with('<')
            || trimmed.starts_with('|')
            || trimmed.starts_with("![");
        if skip {
            finish(&mut out, &mut paragraph);
        } else {
            paragraph.push(trimmed);
        }
    }
    finish(&mut out, &mut paragraph);
    out.into_iter()
        .map(|(heading, paragraphs, whole)| {
            let text = paragraphs.join(" ");
            let words = if whole { ONE_MINUTE_WORDS } else { WORDS };
            let text = text.split_whitespace().take(words).collect::<Vec<_>>().join(" ");
            (heading, text)
        })
        .collect()
}

/// Markdown to plain words: links keep their text, emphasis, code marks, list markers and
/// tags go, whitespace collapses.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_tag = false;
    while let Some(c) = chars.next() {
        match c {
            '<' if chars.peek().is_some_and(|n| n.is_ascii_alphabetic() || *n == '/') => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            '[' | '*' | '`' => {}
            ']' if chars.peek() == Some(&'(') => {
                // Skip the link's target.
                let mut depth = 0;
                for n in chars.by_ref() {
                    match n {
                        '(' => depth += 1,
                        ')' if depth == 1 => break,
                        ')' => depth -= 1,
                        _ => {}
                    }
                }
            }
            ']' => {}
            '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let words = match words.first() {
        Some(&"-") | Some(&"+") | Some(&">") => &words[1..],
        Some(w)
            if w.ends_with('.') && w[..w.len() - 1].chars().all(|c| c.is_ascii_digit()) && w.len() > 1 =>
        {
            &words[1..]
        }
        _ => &words[..],
    };
    words.join(" ")
}
// ANCHOR_END: derive

/// Native: the corpus from this checkout's `src/`, checked against (or, when blessing, written
/// to) `examples/data/book-corpus.txt`. The error names the first chapter whose part of the
/// corpus (headings, openings, "In one minute") changed.
#[cfg(not(target_family = "wasm"))]
pub fn check_or_bless(root: &std::path::Path, bless: bool) -> Result<(), String> {
    let src = root.join("src");
    let read =
        |path: &str| std::fs::read_to_string(src.join(path)).map_err(|e| format!("reading src/{path}: {e}"));
    let derived = derive(&read)?;
    let file = root.join("examples/data/book-corpus.txt");
    if bless {
        return std::fs::write(&file, &derived).map_err(|e| format!("writing {}: {e}", file.display()));
    }
    let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
    if on_disk == derived {
        return Ok(());
    }
    let sources = |text: &str| -> Vec<String> {
        text.lines().filter(|l| l.starts_with("# source ")).map(str::to_string).collect()
    };
    let (old, new) = (sources(&on_disk), sources(&derived));
    let old_pages: Vec<&str> = old.iter().filter_map(|l| l.split(' ').nth(2)).collect();
    for line in &new {
        let page = line.split(' ').nth(2).unwrap_or("?");
        if !old.contains(line) {
            let what = if old_pages.contains(&page) { "changed" } else { "was added to src/SUMMARY.md" };
            return Err(format!("{page} {what} since book-corpus.txt was blessed: run `cargo xtask bless`"));
        }
    }
    Err("src/SUMMARY.md or the derivation changed since book-corpus.txt was blessed: run `cargo xtask bless`"
        .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_take_the_first_paragraph_and_all_of_in_one_minute() {
        let md = "# T\n\n## In one minute\n\nOne **two** [three](x.md).\n\nFour.\n\n## How\n\n```rust\nfn x() {}\n```\n\n\
                  {{#example a::b}}\n\n- First `para`\n  goes on.\n\nSecond para.\n\n### Deep\n\n<details>\n<summary>x</summary>\n\nhidden\n\n</details>\n";
        assert_eq!(
            chapter_sections(md),
            vec![
                ("In one minute".to_string(), "One two three. Four.".to_string()),
                ("How".to_string(), "First para goes on.".to_string()),
                ("Deep".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn the_corpus_parses_and_is_small() {
        let docs = sections(BOOK_CORPUS);
        assert!(docs.len() > 100, "{} sections", docs.len());
        assert!(BOOK_CORPUS.len() < 250_000, "{} bytes", BOOK_CORPUS.len());
        assert!(docs.iter().all(|d| !d.chapter.is_empty() && d.page.ends_with(".md")));
    }
}
