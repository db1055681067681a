//! The `{{#example ID [options]}}` and `{{#source PATH region=NAME [options]}}` directives.
//!
//! | option | effect |
//! | --- | --- |
//! | `region=NAME` | show anchor region NAME (for `{{#example}}`, instead of `example`) |
//! | `lines=A-B` | show only lines A to B of the region (1-based; `A-` to the end) |
//! | `collapse=NAME` | hide the nested region NAME behind the "show hidden lines" button |
//! | `no-output` | `{{#example}}` only: do not show the verified output |
//! | `no-input` | `{{#example}}` only: do not show the default input |
//! | `caption="text"` | a caption |
//!
//! `{{#source}}` shows a region of any file under [`SOURCE_ROOT`], with no example around it;
//! its `region=` is required.

use crate::diagnostic::Problem;

pub const OPEN: &str = "{{#example";

/// `{{#source examples/src/<file> region=NAME [options]}}`: a region of a source file of the
/// examples crate that no example is registered from.
pub const SOURCE: &str = "{{#source";

/// The folder `{{#source}}` may show files of, relative to the workspace root: the examples
/// crate's sources, which the book copies next to its pages (so the "source" link works).
pub const SOURCE_ROOT: &str = "examples/src/";

/// `{{#runnable-examples}}`: the playground page's index of every browser-capable example,
/// grouped by the chapter that shows it.
pub const RUNNABLE_INDEX: &str = "{{#runnable-examples}}";

/// `{{#quiz quizzes/<chapter>.toml}}`: a chapter's self-check quiz.
pub const QUIZ: &str = "{{#quiz ";

/// `{{#quiz-review}}`: a Part's quizzes for review, or (before the first Part) the index of them.
pub const QUIZ_REVIEW: &str = "{{#quiz-review}}";
/// How a `{{#quiz-review …}}` directive starts, well formed or not.
pub const QUIZ_REVIEW_OPEN: &str = "{{#quiz-review";

/// `{{#cheat-sheet}}`: the page's Part on one printable page.
pub const CHEAT_SHEET: &str = "{{#cheat-sheet}}";
pub const CHEAT_SHEET_OPEN: &str = "{{#cheat-sheet";

/// How each directive this preprocessor handles begins.
pub const OPENINGS: [&str; 5] = [OPEN, SOURCE, "{{#runnable-examples", "{{#quiz", CHEAT_SHEET_OPEN];

/// The quiz file a `{{#quiz …}}` directive names, relative to the book's `src/`.
pub fn quiz_path(text: &str) -> Result<&str, Problem> {
    let path = text.strip_prefix(QUIZ).and_then(|rest| rest.strip_suffix("}}")).map(str::trim).unwrap_or("");
    if path.is_empty() || path.contains(char::is_whitespace) || !path.ends_with(".toml") {
        return Err(Problem::new("a quiz directive names one `.toml` file")
            .hint("write `{{#quiz quizzes/<chapter>.toml}}`, with the path relative to src/"));
    }
    Ok(path)
}

/// Which part of a source file a directive shows, and its caption: the options `{{#example}}`
/// and `{{#source}}` share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// The anchor region.
    pub region: String,
    /// `lines=A-B`: lines A to B of the region (1-based), or A to its end.
    pub lines: Option<(usize, Option<usize>)>,
    /// A nested region whose lines are hidden behind the "show hidden lines" button.
    pub collapse: Option<String>,
    pub caption: Option<String>,
}

impl Excerpt {
    fn of_region(region: &str) -> Self {
        Excerpt { region: region.to_string(), lines: None, collapse: None, caption: None }
    }

    /// Takes `option` if it is one of the shared options; `Ok(false)` if it is not.
    fn take(&mut self, option: &OptionWord) -> Result<bool, Problem> {
        match option.key {
            "region" => self.region = option.value()?,
            "collapse" => self.collapse = Some(option.value()?),
            "caption" => self.caption = Some(option.value()?),
            "lines" => self.lines = Some(parse_lines(&option.value()?)?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// `{{#example ID [options]}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub id: String,
    pub excerpt: Excerpt,
    pub output: bool,
    pub input: bool,
}

/// `{{#source PATH region=NAME [options]}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDirective {
    /// Relative to the workspace root, under [`SOURCE_ROOT`].
    pub path: String,
    pub excerpt: Excerpt,
}

/// What differs between the directives in how they are written, for parsing and its errors.
struct Syntax {
    open: &'static str,
    /// What the first word names: "example", "file".
    subject: &'static str,
    /// The directive as it is usually written.
    usage: &'static str,
    options: &'static str,
}

const EXAMPLE_SYNTAX: Syntax = Syntax {
    open: OPEN,
    subject: "example",
    usage: "{{#example chapter::name}}",
    options: "region=NAME, lines=A-B, collapse=NAME, no-output, no-input, caption=\"…\"",
};

const SOURCE_SYNTAX: Syntax = Syntax {
    open: SOURCE,
    subject: "file",
    usage: "{{#source examples/src/<chapter>/<file> region=NAME}}",
    options: "region=NAME (required), lines=A-B, collapse=NAME, caption=\"…\"",
};

impl Syntax {
    /// The directive's first word and its option words, from its whole text.
    fn words(&self, text: &str) -> Result<(String, Vec<String>), Problem> {
        let open = self.open;
        let usage = || format!("write `{}`", self.usage);
        let inner = text
            .strip_prefix(open)
            .ok_or_else(|| Problem::new(format!("a directive starts with `{open}`")))?
            .strip_suffix("}}")
            .ok_or_else(|| {
                Problem::new("unterminated directive").hint("close it with `}}` on the same line")
            })?;
        if inner.trim().is_empty() {
            return Err(Problem::new(format!("the directive names no {}", self.subject)).hint(usage()));
        }
        if !inner.starts_with(char::is_whitespace) {
            return Err(Problem::new(format!("expected a space after `{open}`")).hint(usage()));
        }
        let mut words = split_words(inner)?.into_iter();
        let first = words
            .next()
            .ok_or_else(|| Problem::new(format!("the directive names no {}", self.subject)).hint(usage()))?;
        Ok((first, words.collect()))
    }

    fn unknown(&self, option: &OptionWord) -> Problem {
        Problem::new(format!("unknown option `{}` for `{}}}}}`", option.key, self.open))
            .hint(format!("options: {}", self.options))
    }
}

/// One option word: `key` or `key=value`.
struct OptionWord<'a> {
    key: &'a str,
    value: Option<&'a str>,
}

impl<'a> OptionWord<'a> {
    fn new(word: &'a str) -> Self {
        match word.split_once('=') {
            Some((key, value)) => OptionWord { key, value: Some(value) },
            None => OptionWord { key: word, value: None },
        }
    }

    /// The value of a `key=value` option, which must not be empty.
    fn value(&self) -> Result<String, Problem> {
        match self.value {
            Some(value) if !value.is_empty() => Ok(value.to_string()),
            _ => Err(Problem::new(format!("option `{}` needs a value", self.key))
                .hint(format!("write `{}=…`", self.key))),
        }
    }

    /// Checks that a flag option came without a value.
    fn flag(&self) -> Result<(), Problem> {
        match self.value {
            None => Ok(()),
            Some(_) => Err(Problem::new(format!("option `{}` takes no value", self.key))),
        }
    }
}

/// Parses the text of one `{{#example …}}` directive, braces included.
pub fn parse(text: &str) -> Result<Directive, Problem> {
    let (id, options) = EXAMPLE_SYNTAX.words(text)?;
    if id.contains('=')
        || !id.contains("::")
        || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    {
        return Err(Problem::new(format!("`{id}` is not an example id"))
            .hint("ids look like `chapter::name` (letters, digits, `_`, `::`), and come first"));
    }
    let mut directive = Directive { id, excerpt: Excerpt::of_region("example"), output: true, input: true };
    for word in &options {
        let option = OptionWord::new(word);
        if directive.excerpt.take(&option)? {
            continue;
        }
        match option.key {
            "no-output" => {
                option.flag()?;
                directive.output = false;
            }
            "no-input" => {
                option.flag()?;
                directive.input = false;
            }
            _ => return Err(EXAMPLE_SYNTAX.unknown(&option)),
        }
    }
    Ok(directive)
}

/// Parses the text of one `{{#source …}}` directive, braces included.
pub fn parse_source(text: &str) -> Result<SourceDirective, Problem> {
    let (path, options) = SOURCE_SYNTAX.words(text)?;
    check_source_path(&path)?;
    // No default region: a source file is not an example, whose region is `example`.
    let mut excerpt = Excerpt::of_region("");
    for word in &options {
        let option = OptionWord::new(word);
        if !excerpt.take(&option)? {
            let problem = SOURCE_SYNTAX.unknown(&option);
            return Err(if matches!(option.key, "no-output" | "no-input") {
                problem.hint(format!(
                    "`{{{{#source}}}}` shows code only, never an input or an output; options: {}",
                    SOURCE_SYNTAX.options
                ))
            } else {
                problem
            });
        }
    }
    // `region=` with an empty value is refused above, so an empty region was never given.
    if excerpt.region.is_empty() {
        return Err(Problem::new(format!("`{{{{#source {path}}}}}` names no region")).hint(format!(
            "add `region=NAME`: the lines between `// ANCHOR: NAME` and `// ANCHOR_END: NAME` in {path}"
        )));
    }
    Ok(SourceDirective { path, excerpt })
}

/// A `{{#source}}` path must be a file under [`SOURCE_ROOT`], written from the workspace root
/// with `/` and without `.` or `..` steps.
fn check_source_path(path: &str) -> Result<(), Problem> {
    let rule = format!(
        "`{{{{#source}}}}` shows files of the examples crate: write the path from the workspace root, as `{SOURCE_ROOT}<chapter>/<file>`"
    );
    let refuse = |why: String| Err(Problem::new(why).hint(rule.clone()));
    if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        return refuse(format!("`{path}` is an absolute path"));
    }
    if path.contains('\\') {
        return refuse(format!("`{path}` uses `\\`; separate folders with `/`"));
    }
    if path.split('/').any(|step| step == "..") {
        return refuse(format!("`{path}` steps out of its folder with `..`"));
    }
    let Some(inside) = path.strip_prefix(SOURCE_ROOT) else {
        return refuse(format!("`{path}` is not under {SOURCE_ROOT}"));
    };
    if inside.is_empty() || inside.split('/').any(|step| step.is_empty() || step == ".") {
        return refuse(format!("`{path}` does not name a file under {SOURCE_ROOT}"));
    }
    Ok(())
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
                excerpt: Excerpt {
                    region: "server".into(),
                    lines: Some((2, Some(5))),
                    collapse: Some("setup".into()),
                    caption: Some("A \"quoted\" caption".into()),
                },
                output: false,
                input: false,
            }
        );
        assert_eq!(parse("{{#example a::b lines=3-}}").unwrap().excerpt.lines, Some((3, None)));
        assert_eq!(parse("{{#example a::b}}").unwrap().excerpt.region, "example");
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

    #[test]
    fn parses_a_source_directive_with_the_shared_options() {
        let d = parse_source(
            r#"{{#source examples/src/isolation/engine.rs region=write lines=2- collapse=retry caption="The \"write\" path"}}"#,
        )
        .unwrap();
        assert_eq!(
            d,
            SourceDirective {
                path: "examples/src/isolation/engine.rs".into(),
                excerpt: Excerpt {
                    region: "write".into(),
                    lines: Some((2, None)),
                    collapse: Some("retry".into()),
                    caption: Some("The \"write\" path".into()),
                },
            }
        );
    }

    #[test]
    fn rejects_malformed_source_directives() {
        for (text, wanted) in [
            ("{{#source}}", "names no file"),
            ("{{#source examples/src/a.rs region=x", "unterminated directive"),
            ("{{#sourceexamples/src/a.rs region=x}}", "expected a space"),
            ("{{#source examples/src/a.rs}}", "names no region"),
            ("{{#source examples/src/a.rs region=}}", "needs a value"),
            ("{{#source examples/src/a.rs region=x no-output}}", "unknown option `no-output`"),
            ("{{#source examples/src/a.rs region=x lines=0-2}}", "not a line range"),
        ] {
            let problem = parse_source(text).unwrap_err();
            assert!(problem.message.contains(wanted), "{text}: {}", problem.message);
        }
    }

    #[test]
    fn a_source_path_is_a_file_under_examples_src() {
        for (path, wanted) in [
            ("/etc/passwd", "is an absolute path"),
            ("/work/examples/src/a.rs", "is an absolute path"),
            ("C:/examples/src/a.rs", "is an absolute path"),
            ("examples\\src\\a.rs", "uses `\\`"),
            ("examples/src/../Cargo.toml", "steps out of its folder with `..`"),
            ("examples/src/isolation/../../../secret", "steps out of its folder with `..`"),
            ("src/isolation-levels.md", "is not under examples/src/"),
            ("examples/srcs/a.rs", "is not under examples/src/"),
            ("examples/src/", "does not name a file"),
            ("examples/src//a.rs", "does not name a file"),
            ("examples/src/./a.rs", "does not name a file"),
        ] {
            let problem = check_source_path(path).unwrap_err();
            assert!(problem.message.contains(wanted), "{path}: {}", problem.message);
            assert!(problem.hint.as_deref().is_some_and(|hint| hint.contains("examples/src/")), "{path}");
        }
        assert!(check_source_path("examples/src/isolation/engine.rs").is_ok());
        assert!(check_source_path("examples/src/sql/shop.sql").is_ok());
    }
}
