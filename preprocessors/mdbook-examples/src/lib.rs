//! `mdbook-examples`: an mdBook 0.5 preprocessor that puts tested code and its verified output
//! into a book, and highlights every fenced code block at build time.
//!
//! * `{{#example chapter::name [options]}}` becomes the example's source region, highlighted,
//!   with the output `cargo test` verified (see [`directive`] for the options).
//! * `{{#source examples/src/<file> region=NAME [options]}}` becomes a region of any source file
//!   of the examples crate, highlighted like an example's code, with no example around it.
//! * `{{#cheat-sheet}}` on a page of a Part becomes the Part's chapters on one printable page
//!   (each one's "In one minute" and "Key numbers"), and each of those chapters links to it.
//! * `{{#quiz …}}` becomes a chapter's self-check quiz; `{{#quiz-review}}` on a page of a Part
//!   becomes the Part's quizzes for review, and before the first Part the index of those pages.
//! * Every fenced block is highlighted with syntect into `bf-`-prefixed classes; an unknown
//!   language is an error.
//! * Every ```` ```mermaid ```` block is drawn at build time into an inline SVG (see [`diagram`]).
//! * Every problem fails the build with `src/<chapter>.md:LINE:COL` (see [`diagnostic`]).
//!
//! It speaks mdBook's protocol: `supports <renderer>` answers whether it handles a renderer;
//! otherwise it reads `[context, book]` as JSON on stdin and writes the book back.
//!
//! This file finds what a chapter contains and dispatches each piece to its module in
//! `directives/`, running chapters in parallel and placing every problem in its file.

pub mod config;
pub mod contrast;
pub mod diagnostic;
pub mod diagram;
pub mod directive;
mod directives;
pub mod highlight;
pub mod html;
pub mod manifest;
pub mod markdown;
pub mod quiz;
pub mod render;

use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use mdbook_preprocessor::book::{Book, BookItem};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Diagnostics, Problem, SourceMap};
use crate::diagram::Diagrams;
use crate::directives::cheat_sheet::CheatSheets;
pub use crate::directives::mermaid::browser_diagrams;
use crate::directives::quiz::LoadedQuiz;
pub use crate::directives::quiz::QuizUsage;
use crate::directives::review::{ReviewPage, ReviewPages};
pub use crate::directives::runnable_index::Usage;
use crate::highlight::{Highlighter, Language};
use crate::manifest::Manifest;
use crate::markdown::Found;

pub struct Examples;

impl Preprocessor for Examples {
    fn name(&self) -> &str {
        "examples"
    }

    fn run(&self, ctx: &PreprocessorContext, book: Book) -> mdbook_preprocessor::errors::Result<Book> {
        Ok(Session::from_context(ctx)?.process_book(book)?)
    }

    fn supports_renderer(&self, renderer: &str) -> mdbook_preprocessor::errors::Result<bool> {
        Ok(supports_renderer(renderer))
    }
}

/// Every renderer: HTML gets highlighted HTML; others (`markdown`, mdBook's `test`) get plain
/// Markdown with Rust fences marked `ignore` (cargo test runs the examples, not rustdoc).
pub fn supports_renderer(_renderer: &str) -> bool {
    true
}

/// One preprocessor run: context and book in, book out.
pub fn run_preprocessor(input: impl Read, mut output: impl Write) -> anyhow::Result<()> {
    let started = Instant::now();
    let (ctx, book) = mdbook_preprocessor::parse_input(input).context("reading the book from mdBook")?;
    let session = Session::from_context(&ctx)?;
    let book = session.process_book(book)?;
    serde_json::to_writer(&mut output, &book).context("writing the book back to mdBook")?;
    output.flush()?;
    session.report_timings(started.elapsed());
    Ok(())
}

/// A chapter as the preprocessor sees it.
pub struct ChapterText {
    /// `src/…/chapter.md`, as errors name it.
    pub display_path: String,
    /// The file on disk, to map positions back when `{{#include}}` changed the content.
    pub source_file: Option<PathBuf>,
    /// Relative path from this chapter's page to the site root (`""`, `"../"`, …).
    pub root: String,
    pub content: String,
}

/// Why a directive could not be replaced: a problem in the chapter (at the directive, or at a
/// narrower range of it), or problems placed in another file (a quiz's TOML).
enum Failure {
    Here(Problem, Option<Range<usize>>),
    Elsewhere(Vec<Diagnostic>),
}

impl Failure {
    fn here(problem: Problem) -> Self {
        Failure::Here(problem, None)
    }
}

/// The state of one build: configuration, the examples manifest (loaded on first use), the
/// highlighter and the diagram renderer.
pub struct Session {
    config: Config,
    html: bool,
    src_dir: PathBuf,
    manifest: OnceLock<Result<Manifest, String>>,
    highlighter: Highlighter,
    diagrams: Diagrams,
    /// What the build should know but that does not fail it (a diagram left to the browser).
    warnings: std::sync::Mutex<Vec<Diagnostic>>,
    /// Which chapter shows which example, for `{{#runnable-examples}}`; set by `process_book`.
    usages: OnceLock<Vec<Usage>>,
    /// Whether a page has `{{#runnable-examples}}`, so the playground's data files are written.
    playground_used: std::sync::atomic::AtomicBool,
    /// Every `{{#quiz …}}` of the book in order, for `{{#quiz-review}}`; set by `process_book`.
    quizzes: OnceLock<Vec<QuizUsage>>,
    /// Quiz files read so far, by path relative to `src/`.
    quiz_files: std::sync::Mutex<std::collections::HashMap<String, LoadedQuiz>>,
    /// The Parts and their chapters, for `{{#cheat-sheet}}`; set by `process_book`.
    cheat_sheets: OnceLock<CheatSheets>,
    /// The Parts and the pages with `{{#quiz-review}}`; set by `process_book`.
    review_pages: OnceLock<ReviewPages>,
    /// Whether mdBook renders Markdown with smart punctuation (`output.html.smart-punctuation`),
    /// so the HTML written from a chapter's Markdown reads like the chapter.
    smart_punctuation: bool,
}

impl Session {
    pub fn new(config: Config, html: bool, src_dir: PathBuf) -> Self {
        let cache_dir = if html { config.cache_dir.clone() } else { None };
        let highlighter = Highlighter::new(cache_dir);
        // The highlighter created the cache folder (or turned its cache off when it could not).
        let diagrams = Diagrams::new(highlighter.cache_dir().map(Path::to_path_buf));
        Session {
            config,
            html,
            src_dir,
            manifest: OnceLock::new(),
            highlighter,
            diagrams,
            warnings: std::sync::Mutex::default(),
            usages: OnceLock::new(),
            playground_used: std::sync::atomic::AtomicBool::new(false),
            quizzes: OnceLock::new(),
            quiz_files: std::sync::Mutex::default(),
            cheat_sheets: OnceLock::new(),
            review_pages: OnceLock::new(),
            smart_punctuation: true,
        }
    }

    /// A session configured from `[preprocessor.examples]` for this run's renderer.
    pub fn from_context(ctx: &PreprocessorContext) -> anyhow::Result<Self> {
        let config: Config = ctx
            .config
            .get("preprocessor.examples")
            .context("reading [preprocessor.examples] in book.toml")?
            .unwrap_or_default();
        let mut session = Session::new(
            config.resolve(&ctx.root),
            ctx.renderer == "html",
            ctx.root.join(&ctx.config.book.src),
        );
        session.smart_punctuation = ctx
            .config
            .get::<bool>("output.html.smart-punctuation")
            .context("reading output.html.smart-punctuation in book.toml")?
            .unwrap_or(true);
        Ok(session)
    }

    /// Rewrites every chapter (in parallel); all problems of all chapters are reported together.
    pub fn process_book(&self, mut book: Book) -> Result<Book, Diagnostics> {
        let (cheat_sheets, mut problems) = CheatSheets::gather(&book, &self.src_dir);
        let _ = self.cheat_sheets.set(cheat_sheets);
        let mut usages: Vec<Usage> = Vec::new();
        let mut quizzes: Vec<QuizUsage> = Vec::new();
        let mut review_pages = ReviewPages::default();
        let mut part: Option<&str> = None;
        for item in book.iter() {
            let chapter = match item {
                BookItem::PartTitle(title) => {
                    part = Some(title);
                    review_pages.parts.push(title.clone());
                    continue;
                }
                BookItem::Chapter(chapter) => chapter,
                BookItem::Separator => continue,
            };
            let Some(path) = &chapter.path else { continue };
            let href = path.with_extension("html").to_string_lossy().replace('\\', "/");
            for found in markdown::scan(&chapter.content) {
                let Found::Directive { text, .. } = found else { continue };
                if let Ok(directive) = directive::parse(&text) {
                    if !usages.iter().any(|usage| usage.id == directive.id) {
                        usages.push(Usage {
                            id: directive.id,
                            chapter: chapter.name.clone(),
                            href: href.clone(),
                        });
                    }
                } else if text.starts_with(directive::QUIZ_REVIEW_OPEN) {
                    review_pages.pages.push(ReviewPage {
                        display_path: display_path(
                            &self.src_dir,
                            chapter.source_path.as_deref(),
                            &chapter.name,
                        ),
                        href: href.clone(),
                        part: part.map(str::to_string),
                    });
                } else if text.starts_with(directive::QUIZ)
                    && let Ok(quiz_path) = directive::quiz_path(&text)
                {
                    quizzes.push(QuizUsage {
                        chapter: chapter.name.clone(),
                        href: href.clone(),
                        path: quiz_path.to_string(),
                        part: part.map(str::to_string),
                    });
                }
            }
        }
        let summary_path = display_path(&self.src_dir, Some(Path::new("SUMMARY.md")), "SUMMARY");
        let summary = std::fs::read_to_string(self.src_dir.join("SUMMARY.md")).ok();
        problems.extend(review_pages.missing(&quizzes, &summary_path, summary.as_deref()));
        let _ = self.review_pages.set(review_pages);
        self.set_usages(usages);
        let duplicates = self.duplicate_question_ids(&quizzes);
        let _ = self.quizzes.set(quizzes);
        let mut chapters = Vec::new();
        book.for_each_chapter_mut(|chapter| {
            let source = chapter.source_path.as_ref().map(|p| self.src_dir.join(p));
            let depth = chapter.path.as_ref().map_or(0, |p| p.components().count().saturating_sub(1));
            chapters.push(ChapterText {
                display_path: display_path(&self.src_dir, chapter.source_path.as_deref(), &chapter.name),
                source_file: source,
                root: "../".repeat(depth),
                content: std::mem::take(&mut chapter.content),
            });
        });
        let results = self.process_all(&chapters);
        let mut processed = Vec::with_capacity(results.len());
        for result in results {
            match result {
                Ok(content) => processed.push(content),
                Err(found) => {
                    problems.extend(found);
                    processed.push(String::new());
                }
            }
        }
        problems.extend(duplicates);
        for warning in self.warnings() {
            eprint!("{}", warning.as_warning());
        }
        if !problems.is_empty() {
            return Err(Diagnostics(problems));
        }
        if self.html {
            self.write_anki_tsv().map_err(|message| {
                Diagnostics(vec![Diagnostic::whole_file("src/generated/quizzes.tsv", Problem::new(message))])
            })?;
            self.write_playground_data().map_err(|message| {
                let file = format!("src/{}/", directives::runnable_index::PLAYGROUND_DATA_DIR);
                Diagnostics(vec![Diagnostic::whole_file(&file, Problem::new(message))])
            })?;
        }
        let mut processed = processed.into_iter();
        book.for_each_chapter_mut(|chapter| {
            let content = processed.next().expect("one result per chapter");
            chapter.content = match &chapter.path {
                Some(path) => self.with_cheat_sheet_link(path, content),
                None => content,
            };
        });
        Ok(book)
    }

    /// What this session noted without failing, so far, in the order found.
    pub fn warnings(&self) -> Vec<Diagnostic> {
        self.warnings.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn warn(&self, warning: Diagnostic) {
        self.warnings.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(warning);
    }

    /// With `MDBOOK_EXAMPLES_TIMINGS=<file>`, appends this run's figures to that file as one
    /// line of `key=value` pairs (read by `cargo xtask bench`).
    fn report_timings(&self, elapsed: Duration) {
        let Some(path) = std::env::var_os("MDBOOK_EXAMPLES_TIMINGS") else { return };
        let stats = &self.highlighter.stats;
        let diagrams = &self.diagrams.stats;
        let line = format!(
            "elapsed_us={} cache_hits={} lines_highlighted={} highlight_us={} diagrams_drawn={} diagram_cache_hits={} diagram_us={}\n",
            elapsed.as_micros(),
            stats.cache_hits.load(Ordering::Relaxed),
            stats.lines_highlighted.load(Ordering::Relaxed),
            stats.nanos_highlighting.load(Ordering::Relaxed) / 1000,
            diagrams.drawn.load(Ordering::Relaxed),
            diagrams.cache_hits.load(Ordering::Relaxed),
            diagrams.nanos_drawing.load(Ordering::Relaxed) / 1000,
        );
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(err) = written {
            eprintln!(
                "mdbook-examples: warning: cannot write timings to {}: {err}",
                Path::new(&path).display()
            );
        }
    }

    fn process_all(&self, chapters: &[ChapterText]) -> Vec<Result<String, Vec<Diagnostic>>> {
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(chapters.len().max(1));
        if workers <= 1 {
            return chapters.iter().map(|chapter| self.process_chapter(chapter)).collect();
        }
        let chunk = chapters.len().div_ceil(workers);
        std::thread::scope(|scope| {
            let handles: Vec<_> = chapters
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || part.iter().map(|c| self.process_chapter(c)).collect::<Vec<_>>())
                })
                .collect();
            handles.into_iter().flat_map(|handle| handle.join().expect("a chapter worker panicked")).collect()
        })
    }

    /// Rewrites one chapter, or returns every problem in it.
    pub fn process_chapter(&self, chapter: &ChapterText) -> Result<String, Vec<Diagnostic>> {
        let content = &chapter.content;
        let mut out = String::with_capacity(content.len() * 2);
        let mut copied_up_to = 0;
        let mut problems = Vec::new();
        let mut diagrams = 0;
        for found in markdown::scan(content) {
            let range = found.range().clone();
            match self.replacement(&found, chapter, &mut diagrams) {
                Ok(Some(replacement)) => {
                    out.push_str(&content[copied_up_to..range.start]);
                    out.push_str(&replacement);
                    copied_up_to = range.end;
                }
                Ok(None) => {}
                Err(Failure::Here(problem, at)) => {
                    problems.push(locate(chapter, at.unwrap_or(range), problem))
                }
                Err(Failure::Elsewhere(found)) => problems.extend(found),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        out.push_str(&content[copied_up_to..]);
        Ok(out)
    }

    /// The text that replaces `found`, `None` to leave it, or a problem with a narrower range.
    /// `diagrams` counts the chapter's mermaid fences so far.
    fn replacement(
        &self,
        found: &Found,
        chapter: &ChapterText,
        diagrams: &mut usize,
    ) -> Result<Option<String>, Failure> {
        let content = &chapter.content;
        match found {
            Found::Stray { .. } => Err(Failure::Here(
                Problem::new("a directive must stand alone in its paragraph")
                    .hint("put `{{#example …}}` (or `{{#quiz …}}`) on a line of its own, with blank lines around it;\nto show the directive itself, escape it as `\\{{#example …}}` or put it in `code`"),
                None,
            )),
            Found::Fence { range, info, code } if highlight::language(info) == Ok(Language::Diagram) => {
                *diagrams += 1;
                self.mermaid(chapter, range, code, *diagrams)
            }
            Found::Fence { range, info, code } => self.fence(content, range, info, code),
            Found::Directive { range, text } => {
                let prefix = markdown::continuation_prefix(content, range.start);
                let body = if text.starts_with(directive::OPEN) {
                    self.example(text, chapter, &prefix).map_err(Failure::here)?
                } else if text.starts_with(directive::SOURCE) {
                    self.source(text, chapter, &prefix).map_err(Failure::here)?
                } else if text.starts_with(directive::CHEAT_SHEET_OPEN) {
                    self.cheat_sheet(text, chapter).map_err(Failure::here)?
                } else if text.starts_with(directive::QUIZ_REVIEW_OPEN) {
                    self.quiz_review(text, chapter)?
                } else if text.starts_with("{{#quiz") {
                    self.quiz(text, chapter)?
                } else {
                    self.runnable_index(text, chapter).map_err(Failure::here)?
                };
                // End the HTML block with a blank line inside the same container.
                let ends_line = content[range.clone()].ends_with('\n');
                Ok(Some(if ends_line { format!("{body}\n{}\n", prefix.trim_end()) } else { body }))
            }
        }
    }

    fn manifest(&self) -> Result<&Manifest, Problem> {
        self.manifest
            .get_or_init(|| {
                Manifest::load(&self.config.manifest, &self.config.workspace).map_err(|e| format!("{e:#}"))
            })
            .as_ref()
            .map_err(|message| Problem::new(message.clone()))
    }
}

pub(crate) fn display_path(src_dir: &Path, source: Option<&Path>, name: &str) -> String {
    let src_name = src_dir.file_name().map_or("src".into(), |n| n.to_string_lossy().into_owned());
    match source {
        Some(path) => format!("{src_name}/{}", path.display()),
        None => format!("{src_name}/<chapter {name}>"),
    }
}

/// Places a problem found at `range` of the chapter's (possibly `{{#include}}`-expanded)
/// content in the file on disk.
pub(crate) fn locate(chapter: &ChapterText, range: Range<usize>, problem: Problem) -> Diagnostic {
    let expanded = SourceMap::new(&chapter.content);
    let mut diagnostic = expanded.diagnose(&chapter.display_path, range, problem);
    let Some(original) = chapter.source_file.as_ref().and_then(|f| std::fs::read_to_string(f).ok()) else {
        return diagnostic;
    };
    if original == chapter.content {
        return diagnostic;
    }
    // The content was changed before us (e.g. by {{#include}}): find the same line on disk.
    let on_disk = SourceMap::new(&original);
    let matches: Vec<usize> = original
        .lines()
        .enumerate()
        .filter(|(_, line)| *line == diagnostic.source_line)
        .map(|(i, _)| i + 1)
        .collect();
    if let [line] = matches.as_slice() {
        diagnostic.line = *line;
        diagnostic.source_line = on_disk.line(*line).to_string();
    } else {
        diagnostic.file = format!("{} (after {{{{#include}}}} expansion)", diagnostic.file);
    }
    diagnostic
}
