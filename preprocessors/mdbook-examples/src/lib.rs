//! `mdbook-examples`: an mdBook 0.5 preprocessor that puts tested code and its verified output
//! into a book, and highlights every fenced code block at build time.
//!
//! * `{{#example chapter::name [options]}}` becomes the example's source region, highlighted,
//!   with the output `cargo test` verified (see [`directive`] for the options).
//! * Every fenced block is highlighted with syntect into `bf-`-prefixed classes; an unknown
//!   language is an error.
//! * Every problem fails the build with `src/<chapter>.md:LINE:COL` (see [`diagnostic`]).
//!
//! It speaks mdBook's protocol: `supports <renderer>` answers whether it handles a renderer;
//! otherwise it reads `[context, book]` as JSON on stdin and writes the book back.

pub mod config;
pub mod diagnostic;
pub mod directive;
pub mod highlight;
pub mod manifest;
pub mod markdown;
pub mod quiz;
pub mod render;

use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Diagnostics, Problem, SourceMap};
use crate::highlight::{Highlighter, Language};
use crate::manifest::Manifest;
use crate::markdown::Found;
use crate::quiz::Quiz;
use crate::render::ExampleView;

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

/// Where the book shows an example: the first chapter whose page has its directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub id: String,
    pub chapter: String,
    /// The chapter's page, relative to the site root (`processes.html`).
    pub href: String,
}

/// The state of one build: configuration, the examples manifest (loaded on first use) and the
/// highlighter.
pub struct Session {
    config: Config,
    html: bool,
    src_dir: PathBuf,
    manifest: OnceLock<Result<Manifest, String>>,
    highlighter: Highlighter,
    /// Which chapter shows which example, for `{{#runnable-examples}}`; set by `process_book`.
    usages: OnceLock<Vec<Usage>>,
    /// Every `{{#quiz …}}` of the book in order, for `{{#quiz-review}}`; set by `process_book`.
    quizzes: OnceLock<Vec<QuizUsage>>,
    /// Quiz files read so far, by path relative to `src/`.
    quiz_files: std::sync::Mutex<std::collections::HashMap<String, LoadedQuiz>>,
}

/// A quiz file as read: the quiz, or every problem in it. Shared by the chapters that use it.
type LoadedQuiz = Arc<Result<Quiz, Vec<Diagnostic>>>;

/// A chapter's quiz: which chapter, its page, and the file.
#[derive(Debug, Clone)]
pub struct QuizUsage {
    pub chapter: String,
    pub href: String,
    /// Relative to `src/`.
    pub path: String,
}

impl Session {
    pub fn new(config: Config, html: bool, src_dir: PathBuf) -> Self {
        let highlighter = Highlighter::new(if html { config.cache_dir.clone() } else { None });
        Session {
            config,
            html,
            src_dir,
            manifest: OnceLock::new(),
            highlighter,
            usages: OnceLock::new(),
            quizzes: OnceLock::new(),
            quiz_files: std::sync::Mutex::default(),
        }
    }

    /// A session configured from `[preprocessor.examples]` for this run's renderer.
    pub fn from_context(ctx: &PreprocessorContext) -> anyhow::Result<Self> {
        let config: Config = ctx
            .config
            .get("preprocessor.examples")
            .context("reading [preprocessor.examples] in book.toml")?
            .unwrap_or_default();
        Ok(Session::new(
            config.resolve(&ctx.root),
            ctx.renderer == "html",
            ctx.root.join(&ctx.config.book.src),
        ))
    }

    /// Records which chapter shows which example (the first wins), for the playground index.
    /// `process_book` calls it; a second call is ignored.
    pub fn set_usages(&self, usages: Vec<Usage>) {
        let _ = self.usages.set(usages);
    }

    /// Rewrites every chapter (in parallel); all problems of all chapters are reported together.
    pub fn process_book(&self, mut book: Book) -> Result<Book, Diagnostics> {
        let mut usages: Vec<Usage> = Vec::new();
        let mut quizzes: Vec<QuizUsage> = Vec::new();
        book.for_each_chapter_mut(|chapter| {
            let Some(path) = &chapter.path else { return };
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
                } else if text.starts_with(directive::QUIZ)
                    && let Ok(quiz_path) = directive::quiz_path(&text)
                {
                    quizzes.push(QuizUsage {
                        chapter: chapter.name.clone(),
                        href: href.clone(),
                        path: quiz_path.to_string(),
                    });
                }
            }
        });
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
        let mut problems = Vec::new();
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
        if !problems.is_empty() {
            return Err(Diagnostics(problems));
        }
        if self.html {
            self.write_anki_tsv().map_err(|message| {
                Diagnostics(vec![Diagnostic::whole_file("src/generated/quizzes.tsv", Problem::new(message))])
            })?;
        }
        let mut processed = processed.into_iter();
        book.for_each_chapter_mut(|chapter| {
            chapter.content = processed.next().expect("one result per chapter")
        });
        Ok(book)
    }

    /// With `MDBOOK_EXAMPLES_TIMINGS=<file>`, appends this run's figures to that file as one
    /// line of `key=value` pairs (read by `cargo xtask bench`).
    fn report_timings(&self, elapsed: Duration) {
        let Some(path) = std::env::var_os("MDBOOK_EXAMPLES_TIMINGS") else { return };
        let stats = &self.highlighter.stats;
        let line = format!(
            "elapsed_us={} cache_hits={} lines_highlighted={} highlight_us={}\n",
            elapsed.as_micros(),
            stats.cache_hits.load(Ordering::Relaxed),
            stats.lines_highlighted.load(Ordering::Relaxed),
            stats.nanos_highlighting.load(Ordering::Relaxed) / 1000,
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
        for found in markdown::scan(content) {
            let range = found.range().clone();
            match self.replacement(&found, chapter) {
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
    fn replacement(&self, found: &Found, chapter: &ChapterText) -> Result<Option<String>, Failure> {
        let content = &chapter.content;
        match found {
            Found::Stray { .. } => Err(Failure::Here(
                Problem::new("a directive must stand alone in its paragraph")
                    .hint("put `{{#example …}}` (or `{{#quiz …}}`) on a line of its own, with blank lines around it;\nto show the directive itself, escape it as `\\{{#example …}}` or put it in `code`"),
                None,
            )),
            Found::Fence { range, info, code } => {
                let info_range = range.start..range.start + content[range.start..].find('\n').unwrap_or(0);
                let language =
                    highlight::language(info).map_err(|p| Failure::Here(p, Some(info_range.clone())))?;
                if let Language::Syntax { name, .. } = language
                    && self.config.forbid_fences.iter().any(|forbidden| forbidden == name)
                {
                    return Err(Failure::Here(
                        Problem::new(format!("`{name}` code may not be pasted into a chapter"))
                            .hint("write it in the examples crate, register it, and show it with `{{#example …}}`,\nso `cargo test` compiles and runs what the page shows"),
                        Some(info_range),
                    ));
                }
                if language == Language::Untouched || !self.html {
                    return Ok(None);
                }
                let lines = self.highlighter.highlight_lines(language, code);
                let name = match language {
                    Language::Syntax { name, .. } | Language::Plain { name } => name,
                    Language::Untouched => unreachable!("handled above"),
                };
                let mut html = render::code_block(name, &lines);
                if content[range.clone()].ends_with('\n') {
                    html.push('\n');
                }
                Ok(Some(html))
            }
            Found::Directive { range, text } => {
                let prefix = markdown::continuation_prefix(content, range.start);
                let body = if text.starts_with(directive::OPEN) {
                    self.example(text, chapter, &prefix).map_err(Failure::here)?
                } else if text.starts_with("{{#quiz-review") {
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

    /// `{{#runnable-examples}}`: every browser-capable example, grouped by the chapter that
    /// shows it (in book order), then those no chapter shows yet.
    fn runnable_index(&self, text: &str, chapter: &ChapterText) -> Result<String, Problem> {
        if text != directive::RUNNABLE_INDEX {
            return Err(Problem::new("`{{#runnable-examples}}` takes no options")
                .hint("write exactly `{{#runnable-examples}}`"));
        }
        let manifest = self.manifest()?;
        let runnable: Vec<&manifest::Entry> =
            manifest.all().into_iter().filter(|entry| entry.native_only.is_none()).collect();
        let usages = self.usages.get().map(Vec::as_slice).unwrap_or_default();
        // A missing verified output is reported where a chapter shows the example; here the
        // playground just has nothing to compare with.
        let outputs: std::collections::HashMap<&str, Option<String>> = runnable
            .iter()
            .map(|entry| (entry.id.as_str(), manifest.read(&entry.expected).as_ref().as_ref().ok().cloned()))
            .collect();
        let mut groups: Vec<render::IndexGroup> = Vec::new();
        for usage in usages {
            let Some(entry) = runnable.iter().find(|entry| entry.id == usage.id) else { continue };
            let item = (*entry, outputs[entry.id.as_str()].as_deref());
            match groups.iter_mut().find(|group| group.chapter == Some(usage.chapter.as_str())) {
                Some(group) => group.examples.push(item),
                None => groups.push(render::IndexGroup {
                    chapter: Some(&usage.chapter),
                    href: Some(&usage.href),
                    examples: vec![item],
                }),
            }
        }
        let unshown: Vec<_> = runnable
            .iter()
            .filter(|entry| !usages.iter().any(|usage| usage.id == entry.id))
            .map(|entry| (*entry, outputs[entry.id.as_str()].as_deref()))
            .collect();
        if !unshown.is_empty() {
            groups.push(render::IndexGroup { chapter: None, href: None, examples: unshown });
        }
        Ok(render::runnable_index(&groups, &chapter.root))
    }

    /// A quiz file (path relative to `src/`), read and checked once per build.
    fn load_quiz(&self, path: &str) -> LoadedQuiz {
        let mut files = self.quiz_files.lock().expect("quiz cache lock");
        Arc::clone(files.entry(path.to_string()).or_insert_with(|| {
            let display = display_path(&self.src_dir, Some(Path::new(path)), path);
            Arc::new(match std::fs::read_to_string(self.src_dir.join(path)) {
                Ok(text) => Quiz::parse(&display, text),
                Err(err) => Err(vec![Diagnostic::whole_file(
                    display.clone(),
                    Problem::new(format!("cannot read the quiz file: {err}"))
                        .hint("the path in `{{#quiz …}}` is relative to the book's src/ folder"),
                )]),
            })
        }))
    }

    /// Question ids must be unique across the book (progress is stored by id).
    fn duplicate_question_ids(&self, quizzes: &[QuizUsage]) -> Vec<Diagnostic> {
        let mut seen: Vec<(String, LoadedQuiz)> = Vec::new();
        let mut problems = Vec::new();
        for usage in quizzes {
            if seen.iter().any(|(path, _)| *path == usage.path) {
                continue;
            }
            let loaded = self.load_quiz(&usage.path);
            if let Ok(quiz) = loaded.as_ref() {
                for question in &quiz.questions {
                    let earlier = seen.iter().find_map(|(_, other)| {
                        other
                            .as_ref()
                            .as_ref()
                            .ok()
                            .filter(|o| o.questions.iter().any(|q| q.id == question.id))
                    });
                    if let Some(other) = earlier {
                        problems.push(quiz.duplicate_across_files(question, other));
                    }
                }
            }
            seen.push((usage.path.clone(), loaded));
        }
        problems
    }

    /// `{{#quiz quizzes/<chapter>.toml}}`.
    fn quiz(&self, text: &str, chapter: &ChapterText) -> Result<String, Failure> {
        let path = directive::quiz_path(text).map_err(Failure::here)?;
        let loaded = self.load_quiz(path);
        let quiz = loaded.as_ref().as_ref().map_err(|found| Failure::Elsewhere(found.clone()))?;
        let questions = self.render_questions(quiz, None)?;
        Ok(render::quiz(path, &questions, &chapter.root))
    }

    /// `{{#quiz-review}}`: every quiz of the book, in book order, for the review page.
    fn quiz_review(&self, text: &str, chapter: &ChapterText) -> Result<String, Failure> {
        if text != directive::QUIZ_REVIEW {
            return Err(Failure::here(
                Problem::new("`{{#quiz-review}}` takes no options").hint("write exactly `{{#quiz-review}}`"),
            ));
        }
        let mut sections = Vec::new();
        for usage in self.quizzes.get().map(Vec::as_slice).unwrap_or_default() {
            let loaded = self.load_quiz(&usage.path);
            let quiz = loaded.as_ref().as_ref().map_err(|found| Failure::Elsewhere(found.clone()))?;
            sections.push((usage, self.render_questions(quiz, Some(usage))?));
        }
        Ok(render::quiz_review(&sections, &chapter.root))
    }

    /// Each question with its Markdown rendered to HTML (code highlighted).
    fn render_questions(
        &self,
        quiz: &Quiz,
        usage: Option<&QuizUsage>,
    ) -> Result<Vec<render::QuestionView>, Failure> {
        let html = |markdown: &str| self.markdown_to_html(markdown, &quiz.display_path);
        let mut views = Vec::new();
        for question in &quiz.questions {
            let (options, answer_html, accepted) = match &question.kind {
                quiz::Kind::MultipleChoice { answers, distractors } => {
                    let options = quiz::shuffled_options(&question.id, answers, distractors)
                        .into_iter()
                        .map(|(text, right)| Ok((render::strip_paragraph(&html(&text)?), right)))
                        .collect::<Result<Vec<_>, Failure>>()?;
                    let answer = answers.iter().map(|a| html(a)).collect::<Result<Vec<_>, _>>()?.join("");
                    (options, answer, Vec::new())
                }
                quiz::Kind::ShortAnswer { answer, alternatives } => {
                    let accepted =
                        std::iter::once(answer).chain(alternatives).map(|a| quiz::normalise(a)).collect();
                    (Vec::new(), html(answer)?, accepted)
                }
            };
            views.push(render::QuestionView {
                id: question.id.clone(),
                chapter: usage.map(|u| u.chapter.clone()),
                chapter_href: usage.map(|u| u.href.clone()),
                prompt_html: html(&question.prompt)?,
                options,
                accepted,
                answer_html,
                context_html: question.context.as_deref().map(html).transpose()?,
            });
        }
        Ok(views)
    }

    /// Markdown from a quiz file as HTML, its code fences highlighted like a chapter's.
    fn markdown_to_html(&self, markdown: &str, file: &str) -> Result<String, Failure> {
        let piece = ChapterText {
            display_path: file.to_string(),
            source_file: None,
            root: String::new(),
            content: markdown.to_string(),
        };
        let processed = self.process_chapter(&piece).map_err(Failure::Elsewhere)?;
        let mut html = String::new();
        pulldown_cmark::html::push_html(
            &mut html,
            pulldown_cmark::Parser::new_ext(&processed, markdown::options()),
        );
        Ok(html)
    }

    /// Writes every question of the book as Anki-importable TSV to `src/generated/quizzes.tsv`
    /// (mdBook then copies it into the site; the review page links it). The file is rewritten
    /// only when its content changes, so `mdbook serve` does not see a change on every build.
    fn write_anki_tsv(&self) -> Result<(), String> {
        let Some(quizzes) = self.quizzes.get() else { return Ok(()) };
        if quizzes.is_empty() {
            return Ok(());
        }
        let mut tsv = String::from("#separator:tab\n#html:true\n#tags column:3\n");
        for usage in quizzes {
            let loaded = self.load_quiz(&usage.path);
            let Ok(quiz) = loaded.as_ref() else { continue };
            let tag = Path::new(&usage.path)
                .file_stem()
                .map_or("quiz".into(), |s| s.to_string_lossy().into_owned());
            for question in &quiz.questions {
                tsv.push_str(&render::anki_row(question, &tag));
            }
        }
        let path = self.src_dir.join("generated").join("quizzes.tsv");
        if std::fs::read_to_string(&path).is_ok_and(|old| old == tsv) {
            return Ok(());
        }
        std::fs::create_dir_all(path.parent().expect("has a parent"))
            .and_then(|()| std::fs::write(&path, tsv))
            .map_err(|err| format!("cannot write {}: {err}", path.display()))
    }

    fn example(&self, text: &str, chapter: &ChapterText, prefix: &str) -> Result<String, Problem> {
        let directive = directive::parse(text)?;
        let manifest = self.manifest()?;
        let entry = manifest.entry(&directive.id)?;
        let source = manifest.read(&entry.file);
        let source = source.as_ref().as_ref().map_err(|err| {
            Problem::new(format!("cannot read {} (source of example `{}`): {err}", entry.file, entry.id))
                .hint("the manifest says the example lives there; if it moved, run `cargo xtask bless`")
        })?;
        let region = manifest::region(source, &entry.file, &directive.region, directive.collapse.as_deref())?;
        let (first_line, lines) = select_lines(&region, directive.lines, &directive.region)?;
        let expected = manifest.read(&entry.expected);
        let output = expected.as_ref().as_ref().map_err(|err| {
            Problem::new(format!("example `{}` has no verified output ({}: {err})", entry.id, entry.expected))
                .hint("run `cargo xtask bless`, review the new file, and commit it")
        })?;
        let extension = Path::new(&entry.file).extension().and_then(|e| e.to_str()).unwrap_or("");
        let language = highlight::language(extension).unwrap_or(Language::Plain { name: "text" });
        let code: String = lines.iter().map(|(line, _)| format!("{line}\n")).collect();
        let shown = if self.html {
            let highlighted = self.highlighter.highlight_lines(language, &code);
            highlighted.into_iter().zip(lines.iter().map(|(_, hidden)| *hidden)).collect()
        } else {
            lines.clone()
        };
        let fill = |template: &str| {
            template
                .replace("{root}", &chapter.root)
                .replace("{path}", &entry.file)
                .replace("{line}", &first_line.to_string())
        };
        let view = ExampleView {
            entry,
            directive: &directive,
            language,
            lines: shown,
            first_line,
            output,
            source_href: fill(&self.config.source_url),
            playground_href: fill(&self.config.playground_url),
            simulation: entry.simulation.as_deref().and_then(|id| manifest.get(id)),
        };
        Ok(if self.html { view.html() } else { view.markdown(prefix) })
    }
}

/// Highlights each file (language from its extension) without the cache: lines and time, for
/// `cargo xtask bench`'s syntect throughput figure.
pub fn bench_highlight(files: &[PathBuf]) -> anyhow::Result<(usize, Duration)> {
    let highlighter = Highlighter::new(None);
    let mut lines = 0;
    let mut spent = Duration::ZERO;
    for file in files {
        let code = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let language = highlight::language(extension)
            .map_err(|p| anyhow::anyhow!("{}: {}", file.display(), p.message))?;
        let started = Instant::now();
        lines += highlighter.highlight_lines(language, &code).len();
        spent += started.elapsed();
    }
    Ok((lines, spent))
}

/// Applies `lines=A-B` to a region; returns the first shown line's number in the file.
fn select_lines(
    region: &manifest::Region,
    range: Option<(usize, Option<usize>)>,
    name: &str,
) -> Result<(usize, Vec<(String, bool)>), Problem> {
    let Some((from, to)) = range else {
        return Ok((region.first_line, region.lines.clone()));
    };
    let count = region.lines.len();
    let to = to.unwrap_or(count);
    if from > count || to > count {
        return Err(Problem::new(format!(
            "`lines={from}-{to}` is outside region `{name}`, which has {count} lines"
        ))
        .hint(format!("pick lines between 1 and {count}, or drop `lines=` to show the whole region")));
    }
    Ok((region.first_line + from - 1, region.lines[from - 1..to].to_vec()))
}

fn display_path(src_dir: &Path, source: Option<&Path>, name: &str) -> String {
    let src_name = src_dir.file_name().map_or("src".into(), |n| n.to_string_lossy().into_owned());
    match source {
        Some(path) => format!("{src_name}/{}", path.display()),
        None => format!("{src_name}/<chapter {name}>"),
    }
}

/// Places a problem found at `range` of the chapter's (possibly `{{#include}}`-expanded)
/// content in the file on disk.
fn locate(chapter: &ChapterText, range: Range<usize>, problem: Problem) -> Diagnostic {
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
