//! `{{#quiz-review}}`: the review pages.
//!
//! On a page listed under a Part in `SUMMARY.md` the directive becomes that Part's quizzes, in
//! book order, for reviewing wrong answers first. On a page before the first Part it becomes
//! the book's index of them: each Part's review page and, per chapter, its question ids, so
//! `theme/quiz.js` can count what is wrong, due and mastered without loading any question.
//!
//! One page per Part keeps a page's weight bounded by a Part, not by the book: all the book's
//! questions on one page outgrew the per-page budget at 37 chapters.
//!
//! The book fails to build at the Part's line in `SUMMARY.md` when a Part has quizzes but no
//! review page, and at the directive when a Part (or the book) already has a review page.

use crate::diagnostic::{Diagnostic, Problem, SourceMap};
use crate::render::{self, ReviewChapter, ReviewPart};
use crate::{ChapterText, Failure, QuizUsage, Session, directive};

/// A page with `{{#quiz-review}}`.
#[derive(Debug, Clone)]
pub struct ReviewPage {
    /// `src/review/the-machine.md`, as errors name it.
    pub display_path: String,
    /// Relative to the site's root (`review/the-machine.html`).
    pub href: String,
    /// The Part it is listed under, as `SUMMARY.md` writes it; `None` for the book's index.
    pub part: Option<String>,
}

/// The Parts in book order and the review pages, gathered before any chapter is rewritten.
#[derive(Debug, Default)]
pub struct ReviewPages {
    pub parts: Vec<String>,
    pub pages: Vec<ReviewPage>,
}

impl ReviewPages {
    /// The first review page of `part` (`None`: the book's index).
    fn first_for(&self, part: Option<&str>) -> Option<&ReviewPage> {
        self.pages.iter().find(|page| page.part.as_deref() == part)
    }

    /// A problem at the Part's heading in `SUMMARY.md` for each Part that has quizzes but no
    /// review page.
    pub fn missing(
        &self,
        quizzes: &[QuizUsage],
        summary_path: &str,
        summary: Option<&str>,
    ) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        for part in &self.parts {
            let quizzed = quizzes.iter().any(|usage| usage.part.as_deref() == Some(part.as_str()));
            if !quizzed || self.first_for(Some(part)).is_some() {
                continue;
            }
            let problem = Problem::new(format!("Part {part} has quizzes but no review page")).hint(
                "add a page whose text is `{{#quiz-review}}` (under a `# ` title) and list it under the Part in src/SUMMARY.md,\ne.g. `- [Part … review](review/<part>.md)`",
            );
            let heading = format!("# {part}");
            let at = summary.and_then(|text| {
                let mut offset = 0;
                text.split_inclusive('\n').find_map(|line| {
                    let start = offset;
                    offset += line.len();
                    (line.trim_end() == heading).then(|| start..start + line.trim_end().len())
                })
            });
            problems.push(match (summary, at) {
                (Some(text), Some(range)) => SourceMap::new(text).diagnose(summary_path, range, problem),
                _ => Diagnostic::whole_file(summary_path, problem),
            });
        }
        problems
    }
}

impl Session {
    /// `{{#quiz-review}}` on the page `chapter`: its Part's quizzes, or the book's index of them.
    pub(crate) fn quiz_review(&self, text: &str, chapter: &ChapterText) -> Result<String, Failure> {
        if text != directive::QUIZ_REVIEW {
            return Err(Failure::here(Problem::new("`{{#quiz-review}}` takes no options").hint(
                "write exactly `{{#quiz-review}}`: the page's Part (in src/SUMMARY.md) says which quizzes it shows",
            )));
        }
        let pages = self.review_pages.get();
        let page =
            pages.and_then(|pages| pages.pages.iter().find(|page| page.display_path == chapter.display_path));
        let part = page.and_then(|page| page.part.as_deref());
        if let Some(first) = pages.and_then(|pages| pages.first_for(part))
            && first.display_path != chapter.display_path
        {
            let whose = part.map_or_else(|| "the book".to_string(), |part| format!("Part {part}"));
            return Err(Failure::here(
                Problem::new(format!("{whose} already has a review page, {}", first.display_path))
                    .hint("one review page per Part, and one index before the first Part: remove this page or that one from src/SUMMARY.md"),
            ));
        }
        let quizzes = self.quizzes.get().map(Vec::as_slice).unwrap_or_default();
        let index = pages.and_then(|pages| pages.first_for(None)).map(|page| page.href.as_str());
        match part {
            Some(part) => {
                let mut sections = Vec::new();
                for usage in quizzes.iter().filter(|usage| usage.part.as_deref() == Some(part)) {
                    let loaded = self.load_quiz(&usage.path);
                    let quiz = loaded.as_ref().as_ref().map_err(|found| Failure::Elsewhere(found.clone()))?;
                    sections.push((usage, self.render_questions(quiz, Some(usage))?));
                }
                Ok(render::quiz_review(part, &sections, index, &chapter.root))
            }
            None => {
                let mut parts: Vec<ReviewPart> = Vec::new();
                // A quiz on a page before the first Part has no Part review page; the index
                // still counts it, under its own heading.
                let titles = pages.map(|pages| pages.parts.as_slice()).unwrap_or_default();
                for title in std::iter::once(None).chain(titles.iter().map(|title| Some(title.as_str()))) {
                    let mut chapters = Vec::new();
                    for usage in quizzes.iter().filter(|usage| usage.part.as_deref() == title) {
                        let loaded = self.load_quiz(&usage.path);
                        let quiz =
                            loaded.as_ref().as_ref().map_err(|found| Failure::Elsewhere(found.clone()))?;
                        chapters.push(ReviewChapter {
                            name: usage.chapter.clone(),
                            href: usage.href.clone(),
                            question_ids: quiz.questions.iter().map(|question| question.id.clone()).collect(),
                        });
                    }
                    if chapters.is_empty() {
                        continue;
                    }
                    parts.push(ReviewPart {
                        title: title.unwrap_or("Before the Parts").to_string(),
                        review_href: title
                            .and_then(|title| pages.and_then(|pages| pages.first_for(Some(title))))
                            .map(|page| page.href.clone()),
                        chapters,
                    });
                }
                Ok(render::quiz_review_index(&parts, &chapter.root))
            }
        }
    }
}
