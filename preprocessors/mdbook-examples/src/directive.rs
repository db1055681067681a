//! The `{{#example ID [options]}}` directive.
//!
//! | option | effect |
//! | --- | --- |
//! | `region=NAME` | show anchor region NAME of the example's file instead of `example` |
//! | `lines=A-B` | show only lines A to B of the region (1-based; `A-` to the end) |
//! | `collapse=NAME` | hide the nested region NAME behind the "show hidden lines" button |
//! | `no-output` | do not show the verified output |
//! | `no-input` | do not show the default input |
//! | `caption="text"` | a caption under the example's title |

use crate::diagnostic::Problem;

pub const OPEN: &str = "{{#example";

/// `{{#runnable-examples}}`: the playground page's index of every browser-capable example,
/// grouped by the chapter that shows it.
pub const RUNNABLE_INDEX: &str = "{{#runnable-examples}}";

/// `{{#quiz quizzes/<chapter>.toml}}`: a chapter's self-check quiz.
pub const QUIZ: &str = "{{#quiz ";

/// `{{#quiz-review}}`: every question of the book, for the review page.
pub const QUIZ_REVIEW: &str = "{{#quiz-review}}";

/// How each directive this preprocessor handles begins.
pub const OPENINGS: [&str; 3] = [OPEN, "{{#runnable-examples", "{{#quiz"];

/// The quiz file a `{{#quiz …}}` directive names, relative to the book's `src/`.
pub fn quiz_path(text: &str) -> Result<&str, Problem> {
    let path = text.strip_prefix(QUIZ).and_then(|rest| rest.strip_suffix("}}")).map(str::trim).unwrap_or("");
    if path.is_empty() || path.contains(char::is_whitespace) || !path.ends_with(".toml") {
        return Err(Problem::new("a quiz directive names one `.toml` file")
            .hint("write `{{#quiz quizzes/<chapter>.toml}}`, with the path relative to src/"));
    }
    Ok(path)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub id: String,
    pub region: String,
    pub lines: Option<(usize, Option<usize>)>,
    pub collapse: Option<String>,
    pub output: bool,
    pub input: bool,
    pub caption: Option<String>,
}

const OPTIONS: &str = "region=NAME, lines=A-B, collapse=NAME, no-output, no-input, caption=\"…\"";

/// Parses the text of one directive, `{{#example …}}` included.
pub fn parse(text: &str) -> Result<Directive, Problem> {
    let inner = text
        .strip_prefix(OPEN)
        .ok_or_else(|| Problem::new("a directive starts with `{{#example`"))?
        .strip_suffix("}}")
        .ok_or_else(|| Problem::new("unterminated directive").hint("close it with `}}` on the same line"))?;
    if inner.trim().is_empty() {
        return Err(Problem::new("the directive names no example").hint("write `{{#example chapter::name}}`"));
    }
    if !inner.starts_with(char::is_whitespace) {
        return Err(
            Problem::new("expected a space after `{{#example`").hint("write `{{#example chapter::name}}`")
        );
    }
    let words = split_words(inner)?;
    let mut words = words.into_iter();
    let id = words.next().ok_or_else(|| {
        Problem::new("the directive names no example").hint("write `{{#example chapter::name}}`")
    })?;
    if id.contains('=')
        || !id.contains("::")
        || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    {
        return Err(Problem::new(format!("`{id}` is not an example id"))
            .hint("ids look like `chapter::name` (letters, digits, `_`, `::`), and come first"));
    }
    let mut directive = Directive {
        id,
        region: "example".into(),
        lines: None,
        collapse: None,
        output: true,
        input: true,
        caption: None,
    };
    for word in words {
        let (key, value) = match word.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (word.as_str(), None),
        };
        let need_value =
            |value: Option<&str>| -> Result<String, Problem> {
                match value {
                    Some(v) if !v.is_empty() => Ok(v.to_string()),
                    _ => Err(Problem::new(format!("option `{key}` needs a value"))
                        .hint(format!("write `{key}=…`"))),
                }
            };
        match (key, value) {
            ("region", v) => directive.region = need_value(v)?,
            ("collapse", v) => directive.collapse = Some(need_value(v)?),
            ("caption", v) => directive.caption = Some(need_value(v)?),
            ("lines", v) => directive.lines = Some(parse_lines(&need_value(v)?)?),
            ("no-output", None) => directive.output = false,
            ("no-input", None) => directive.input = false,
            ("no-output" | "no-input", Some(_)) => {
                return Err(Problem::new(format!("option `{key}` takes no value")));
            }
            _ => {
                return Err(
                    Problem::new(format!("unknown option `{key}`")).hint(format!("options: {OPTIONS}"))
                );
            }
        }
    }
    Ok(directive)
}

/// Splits on spaces, keeping `key="quoted value"` (with `\"` and `\\` escapes) as one word.
fn split_words(text: &str) -> Result<Vec<String>, Problem> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(words);
        }
        let mut word = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
            if c == '"' {
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(escaped @ ('"' | '\\')) => word.push(escaped),
                            _ => {
                                return Err(Problem::new(
                                    "only `\\\"` and `\\\\` may follow `\\` in a quoted value",
                                ));
                            }
                        },
                        Some(other) => word.push(other),
                        None => {
                            return Err(
                                Problem::new("unterminated quoted value").hint("close the quote with `\"`")
                            );
                        }
                    }
                }
            } else {
                word.push(c);
            }
        }
        words.push(word);
    }
}

fn parse_lines(value: &str) -> Result<(usize, Option<usize>), Problem> {
    let bad = || {
        Problem::new(format!("`lines={value}` is not a line range"))
            .hint("write `lines=3-10` or `lines=3-` (1-based)")
    };
    let (from, to) = value.split_once('-').unwrap_or((value, value));
    let from: usize = from.parse().map_err(|_| bad())?;
    let to: Option<usize> = if to.is_empty() { None } else { Some(to.parse().map_err(|_| bad())?) };
    if from == 0 || to.is_some_and(|to| to < from) {
        return Err(bad());
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_option() {
        let d = parse(r#"{{#example tcp::echo region=server lines=2-5 collapse=setup no-output no-input caption="A \"quoted\" caption"}}"#).unwrap();
        assert_eq!(
            d,
            Directive {
                id: "tcp::echo".into(),
                region: "server".into(),
                lines: Some((2, Some(5))),
                collapse: Some("setup".into()),
                output: false,
                input: false,
                caption: Some("A \"quoted\" caption".into()),
            }
        );
        assert_eq!(parse("{{#example a::b lines=3-}}").unwrap().lines, Some((3, None)));
    }

    #[test]
    fn rejects_malformed_directives() {
        for (text, wanted) in [
            ("{{#example}}", "names no example"),
            ("{{#example a::b", "unterminated directive"),
            ("{{#examplea::b}}", "expected a space"),
            ("{{#example nocolons}}", "not an example id"),
            ("{{#example a::b colour=red}}", "unknown option `colour`"),
            ("{{#example a::b lines=5-2}}", "not a line range"),
            ("{{#example a::b caption=\"open}}", "unterminated quoted value"),
            ("{{#example a::b region=}}", "needs a value"),
            ("{{#example a::b no-output=yes}}", "takes no value"),
        ] {
            let problem = parse(text).unwrap_err();
            assert!(problem.message.contains(wanted), "{text}: {}", problem.message);
        }
    }
}
