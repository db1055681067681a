//! `{{#quiz-review}}`: every quiz of the book on one page, in book order.

use crate::diagnostic::Problem;
use crate::{ChapterText, Failure, Session, directive, render};

impl Session {
    /// `{{#quiz-review}}`: every quiz of the book, in book order, for the review page.
    pub(crate) fn quiz_review(&self, text: &str, chapter: &ChapterText) -> Result<String, Failure> {
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
}
