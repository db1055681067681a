//! The Anki import file: every question of the book as TSV in `src/generated/quizzes.tsv`, which
//! the review page links.

use std::path::Path;

use crate::html::escape;
use crate::{Session, quiz};

impl Session {
    /// Writes every question of the book as Anki-importable TSV to `src/generated/quizzes.tsv`
    /// (mdBook then copies it into the site; the review page links it). The file is rewritten
    /// only when its content changes, so `mdbook serve` does not see a change on every build.
    pub(crate) fn write_anki_tsv(&self) -> Result<(), String> {
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
                tsv.push_str(&anki_row(question, &tag));
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
}

/// One Anki row: front (prompt and options), back (answer and context), tag.
fn anki_row(question: &quiz::Question, tag: &str) -> String {
    let field = |text: &str| escape(text.trim()).replace('\t', " ").replace('\n', "<br>");
    let mut front = field(&question.prompt);
    let mut back = String::new();
    match &question.kind {
        quiz::Kind::MultipleChoice { answers, distractors } => {
            for (option, _) in quiz::shuffled_options(&question.id, answers, distractors) {
                front.push_str(&format!("<br>• {}", field(&option)));
            }
            back.push_str(&answers.iter().map(|a| field(a)).collect::<Vec<_>>().join("<br>"));
        }
        quiz::Kind::ShortAnswer { answer, .. } => back.push_str(&field(answer)),
    }
    if let Some(context) = &question.context {
        back.push_str(&format!("<br><br>{}", field(context)));
    }
    format!("{front}\t{back}\t{tag}\n")
}
