//! Self-check quizzes: `{{#quiz quizzes/<chapter>.toml}}` and the review page's
//! `{{#quiz-review}}`.
//!
//! A quiz file uses mdbook-quiz's TOML, so its quizzes move over unchanged:
//!
//! ```toml
//! [[questions]]
//! id = "tcp-time-wait-side"     # optional; stable across reordering (default: from the prompt)
//! type = "MultipleChoice"       # or "ShortAnswer"
//! prompt.prompt = "Markdown"
//! prompt.distractors = ["wrong", "also wrong"]    # MultipleChoice only
//! answer.answer = "right"       # a list for several right options
//! answer.alternatives = ["also accepted"]          # ShortAnswer only
//! context = "Markdown: why"
//! ```
//!
//! Unknown keys, a missing answer, an empty prompt, an unknown type and duplicate ids are
//! build errors with the quiz file's line and column.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Diagnostic, Problem, SourceMap};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Pick the right option(s); `answers` are the right ones, `distractors` the others.
    MultipleChoice { answers: Vec<String>, distractors: Vec<String> },
    /// Type the answer; compared ignoring case and surrounding whitespace.
    ShortAnswer { answer: String, alternatives: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: String,
    /// Where the id is (or, when derived, where the question starts) in the file.
    pub id_span: Range<usize>,
    pub prompt: String,
    pub kind: Kind,
    pub context: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    questions: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Option<Spanned<String>>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    prompt: RawPrompt,
    answer: RawAnswer,
    context: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrompt {
    prompt: Spanned<String>,
    distractors: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswer {
    answer: Spanned<OneOrMany>,
    alternatives: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Parses and checks one quiz file; problems carry byte ranges of `text`.
fn parse_questions(text: &str) -> Result<Vec<Question>, Vec<(Range<usize>, Problem)>> {
    let file: File = toml::from_str(text).map_err(|err| {
        let span = err.span().unwrap_or(0..0);
        let message = err.message().trim().to_string();
        vec![(span, Problem::new(message).hint(
            "a quiz is a list of `[[questions]]` with `type`, `prompt.prompt`, `answer.answer` and optional `id`, `prompt.distractors`, `answer.alternatives`, `context`",
        ))]
    })?;
    let mut problems = Vec::new();
    let mut questions: Vec<Question> = Vec::new();
    if file.questions.is_empty() {
        problems.push((0..0, Problem::new("the quiz has no questions")));
    }
    for raw in file.questions {
        let start = raw.span();
        let raw = raw.into_inner();
        if raw.prompt.prompt.get_ref().trim().is_empty() {
            problems.push((raw.prompt.prompt.span(), Problem::new("empty prompt")));
        }
        let (id, id_span) = match &raw.id {
            Some(id) if id.get_ref().trim().is_empty() => {
                problems.push((id.span(), Problem::new("empty id")));
                continue;
            }
            Some(id) => (id.get_ref().trim().to_string(), id.span()),
            None => (derived_id(raw.prompt.prompt.get_ref()), start.start..start.start + 1),
        };
        if let Some(first) = questions.iter().find(|q| q.id == id) {
            let (line, _) = SourceMap::new(text).position(first.id_span.start);
            problems.push((
                id_span.clone(),
                Problem::new(format!("duplicate question id `{id}`"))
                    .hint(format!("line {line} already uses it; ids must be unique across the book")),
            ));
        }
        let answers = match raw.answer.answer.get_ref() {
            OneOrMany::One(answer) => vec![answer.clone()],
            OneOrMany::Many(answers) => answers.clone(),
        };
        if answers.is_empty() || answers.iter().any(|a| a.trim().is_empty()) {
            problems.push((raw.answer.answer.span(), Problem::new("empty answer")));
        }
        let kind = match raw.kind.get_ref().as_str() {
            "MultipleChoice" => {
                if let Some(alternatives) = &raw.answer.alternatives {
                    problems.push((
                        alternatives.span(),
                        Problem::new("`answer.alternatives` is for ShortAnswer questions"),
                    ));
                }
                let distractors =
                    raw.prompt.distractors.as_ref().map(|d| d.get_ref().clone()).unwrap_or_default();
                if distractors.is_empty() {
                    let span = raw.prompt.distractors.as_ref().map_or(raw.kind.span(), |d| d.span());
                    problems.push((
                        span,
                        Problem::new(
                            "a MultipleChoice question needs `prompt.distractors` (the wrong options)",
                        ),
                    ));
                }
                Kind::MultipleChoice { answers, distractors }
            }
            "ShortAnswer" => {
                if let Some(distractors) = &raw.prompt.distractors {
                    problems.push((
                        distractors.span(),
                        Problem::new("`prompt.distractors` is for MultipleChoice questions"),
                    ));
                }
                if answers.len() != 1 {
                    problems.push((
                        raw.answer.answer.span(),
                        Problem::new("a ShortAnswer question has one answer")
                            .hint("list other accepted spellings in `answer.alternatives`"),
                    ));
                }
                let alternatives = raw.answer.alternatives.map(|a| a.into_inner()).unwrap_or_default();
                Kind::ShortAnswer { answer: answers.into_iter().next().unwrap_or_default(), alternatives }
            }
            other => {
                problems.push((
                    raw.kind.span(),
                    Problem::new(format!("unknown question type `{other}`"))
                        .hint("this book supports `MultipleChoice` and `ShortAnswer`"),
                ));
                continue;
            }
        };
        questions.push(Question {
            id,
            id_span,
            prompt: raw.prompt.prompt.into_inner(),
            kind,
            context: raw.context,
        });
    }
    if problems.is_empty() { Ok(questions) } else { Err(problems) }
}

/// A default id for a question without one: from its prompt, so reordering keeps it.
fn derived_id(prompt: &str) -> String {
    format!("q-{:016x}", crate::highlight::fnv1a64(prompt.trim().as_bytes()))
}

/// A quiz file, read and checked.
#[derive(Debug, Clone)]
pub struct Quiz {
    /// As errors name it, e.g. `src/quizzes/tcp.toml`.
    pub display_path: String,
    pub text: String,
    pub questions: Vec<Question>,
}

impl Quiz {
    /// Parses `text` (the file `display_path`), or returns every problem placed in it.
    pub fn parse(display_path: &str, text: String) -> Result<Quiz, Vec<Diagnostic>> {
        match parse_questions(&text) {
            Ok(questions) => Ok(Quiz { display_path: display_path.to_string(), text, questions }),
            Err(problems) => {
                let map = SourceMap::new(&text);
                Err(problems
                    .into_iter()
                    .map(|(range, problem)| map.diagnose(display_path, range, problem))
                    .collect())
            }
        }
    }

    /// The diagnostic for a question id that another quiz file already uses.
    pub fn duplicate_across_files(&self, question: &Question, other: &Quiz) -> Diagnostic {
        SourceMap::new(&self.text).diagnose(
            &self.display_path,
            question.id_span.clone(),
            Problem::new(format!("duplicate question id `{}`", question.id))
                .hint(format!("{} already uses it; ids must be unique across the book", other.display_path)),
        )
    }
}

/// The options of a multiple-choice question in a stable shuffled order (by a hash of the
/// question id and the option), each with whether it is right.
pub fn shuffled_options(id: &str, answers: &[String], distractors: &[String]) -> Vec<(String, bool)> {
    let mut options: Vec<(String, bool)> = answers
        .iter()
        .map(|a| (a.clone(), true))
        .chain(distractors.iter().map(|d| (d.clone(), false)))
        .collect();
    options.sort_by_key(|(text, _)| crate::highlight::fnv1a64(format!("{id}\u{0}{text}").as_bytes()));
    options
}

/// Lenient comparison for short answers: case, surrounding and repeated whitespace ignored.
pub fn normalise(answer: &str) -> String {
    answer.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[questions]]
id = "one"
type = "MultipleChoice"
prompt.prompt = "Pick"
prompt.distractors = ["b", "c"]
answer.answer = "a"
context = "Because."

[[questions]]
type = "ShortAnswer"
prompt.prompt = "Type"
answer.answer = "60"
answer.alternatives = ["60 s"]
"#;

    fn problems(text: &str) -> Vec<String> {
        Quiz::parse("src/quizzes/q.toml", text.to_string())
            .unwrap_err()
            .into_iter()
            .map(|d| format!("{}:{}:{} {}", d.file, d.line, d.column, d.message))
            .collect()
    }

    #[test]
    fn parses_mdbook_quiz_format() {
        let quiz = Quiz::parse("q.toml", GOOD.to_string()).unwrap();
        assert_eq!(quiz.questions.len(), 2);
        assert_eq!(
            quiz.questions[0].kind,
            Kind::MultipleChoice { answers: vec!["a".into()], distractors: vec!["b".into(), "c".into()] }
        );
        assert!(quiz.questions[1].id.starts_with("q-"));
        assert_eq!(
            quiz.questions[1].kind,
            Kind::ShortAnswer { answer: "60".into(), alternatives: vec!["60 s".into()] }
        );
    }

    #[test]
    fn every_problem_has_a_location() {
        let unknown = GOOD.replace("context = \"Because.\"", "contxt = \"Because.\"");
        let found = problems(&unknown);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("src/quizzes/q.toml:8:1 unknown field `contxt`"), "{found:?}");

        let missing = GOOD.replace("answer.answer = \"a\"\n", "");
        let found = problems(&missing);
        assert!(found[0].contains("missing field `answer`"), "{found:?}");

        let empty = GOOD.replace("prompt.prompt = \"Pick\"", "prompt.prompt = \"  \"");
        assert_eq!(problems(&empty), vec!["src/quizzes/q.toml:5:17 empty prompt"]);

        let duplicate = format!(
            "{GOOD}\n[[questions]]\nid = \"one\"\ntype = \"ShortAnswer\"\nprompt.prompt = \"x\"\nanswer.answer = \"y\"\n"
        );
        assert_eq!(problems(&duplicate), vec!["src/quizzes/q.toml:17:6 duplicate question id `one`"]);

        let tracing = GOOD.replace("type = \"ShortAnswer\"", "type = \"Tracing\"");
        assert_eq!(problems(&tracing), vec!["src/quizzes/q.toml:11:8 unknown question type `Tracing`"]);
    }

    #[test]
    fn options_shuffle_stably_and_answers_compare_leniently() {
        let a = shuffled_options("q1", &["right".into()], &["w1".into(), "w2".into(), "w3".into()]);
        let b = shuffled_options("q1", &["right".into()], &["w3".into(), "w1".into(), "w2".into()]);
        assert_eq!(a, b);
        assert_eq!(a.iter().filter(|(_, right)| *right).count(), 1);
        assert_eq!(normalise("  The   Active Closer "), "the active closer");
    }
}
