//! `{{#quiz quizzes/<chapter>.toml}}`: a chapter's self-check questions. The quiz files are read
//! once per build and shared by the review page and the Anki file.

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Problem};
use crate::quiz::{self, Quiz};
use crate::{ChapterText, Failure, Session, directive, display_path, markdown, render};

/// A quiz file as read: the quiz, or every problem in it. Shared by the chapters that use it.
pub(crate) type LoadedQuiz = Arc<Result<Quiz, Vec<Diagnostic>>>;

/// A chapter's quiz: which chapter, its page, and the file.
#[derive(Debug, Clone)]
pub struct QuizUsage {
    pub chapter: String,
    pub href: String,
    /// Relative to `src/`.
    pub path: String,
    /// The Part the chapter is listed under in `SUMMARY.md`, if any.
    pub part: Option<String>,
}

impl Session {
    /// A quiz file (path relative to `src/`), read and checked once per build.
    pub(crate) fn load_quiz(&self, path: &str) -> LoadedQuiz {
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
    pub(crate) fn duplicate_question_ids(&self, quizzes: &[QuizUsage]) -> Vec<Diagnostic> {
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
    pub(crate) fn quiz(&self, text: &str, chapter: &ChapterText) -> Result<String, Failure> {
        let path = directive::quiz_path(text).map_err(Failure::here)?;
        let loaded = self.load_quiz(path);
        let quiz = loaded.as_ref().as_ref().map_err(|found| Failure::Elsewhere(found.clone()))?;
        let questions = self.render_questions(quiz, None)?;
        Ok(render::quiz(path, &questions, &chapter.root))
    }

    /// Each question with its Markdown rendered to HTML (code highlighted).
    pub(crate) fn render_questions(
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
}
