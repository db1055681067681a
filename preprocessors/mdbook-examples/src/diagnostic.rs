//! Build errors that point at the chapter: `src/<chapter>.md:LINE:COL`, the offending line, a
//! caret under the problem and a hint, in the style of rustc.

use std::fmt;

/// One problem found in a chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Path as the author knows it, e.g. `src/machine/processes.md`.
    pub file: String,
    /// 1-based line and column (in characters).
    pub line: usize,
    pub column: usize,
    /// The whole source line the problem is on.
    pub source_line: String,
    /// How many characters the caret underlines (at least 1).
    pub width: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A problem with a whole file (one that cannot be read or written), placed at its start.
    pub fn whole_file(file: impl Into<String>, problem: Problem) -> Self {
        Diagnostic {
            file: file.into(),
            line: 1,
            column: 1,
            source_line: String::new(),
            width: 1,
            message: problem.message,
            hint: problem.hint,
        }
    }
}

/// The short form of a problem before it is placed in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Self {
        Problem { message: message.into(), hint: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Maps byte offsets of a text to lines and columns.
pub struct SourceMap<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> SourceMap<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceMap { text, line_starts }
    }

    /// 1-based (line, column) of a byte offset; the column counts characters.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line_index = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line_index];
        let column = self.text[start..offset].chars().count() + 1;
        (line_index + 1, column)
    }

    /// The text of 1-based line `line`, without its newline.
    pub fn line(&self, line: usize) -> &'a str {
        let start = self.line_starts[line - 1];
        let end = self.line_starts.get(line).map_or(self.text.len(), |&next| next - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    /// Places `problem`, found at `range` of this text, in `file`.
    pub fn diagnose(&self, file: &str, range: std::ops::Range<usize>, problem: Problem) -> Diagnostic {
        let (line, column) = self.position(range.start);
        let source_line = self.line(line).to_string();
        // Underline up to the end of the first line of the range.
        let end_on_line = self.text[range.start.min(self.text.len())..]
            .find('\n')
            .map_or(self.text.len(), |i| range.start + i)
            .min(range.end.max(range.start + 1));
        let width = self.text.get(range.start..end_on_line).map_or(1, |s| s.chars().count()).max(1);
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            source_line,
            width,
            message: problem.message,
            hint: problem.hint,
        }
    }
}

impl Diagnostic {
    /// The same report, as a warning: the build goes on.
    pub fn as_warning(&self) -> String {
        let mut out = String::new();
        let _ = self.write("warning", &mut out);
        out
    }

    fn write(&self, severity: &str, f: &mut impl fmt::Write) -> fmt::Result {
        let gutter = " ".repeat(self.line.to_string().len());
        writeln!(f, "{severity}: {}", self.message)?;
        writeln!(f, "{gutter}--> {}:{}:{}", self.file, self.line, self.column)?;
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{} | {}", self.line, self.source_line)?;
        let pad: String = self
            .source_line
            .chars()
            .take(self.column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(f, "{gutter} | {pad}{}", "^".repeat(self.width))?;
        if let Some(hint) = &self.hint {
            for (i, line) in hint.lines().enumerate() {
                if i == 0 {
                    writeln!(f, "{gutter} = help: {line}")?;
                } else {
                    writeln!(f, "{gutter}         {line}")?;
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write("error", f)
    }
}

/// All the problems of one build, printed together.
#[derive(Debug)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        let n = self.0.len();
        write!(f, "mdbook-examples: {n} error{} in the book", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let map = SourceMap::new("ab\ncé{{x}}\n");
        assert_eq!(map.position(0), (1, 1));
        assert_eq!(map.position(3), (2, 1));
        assert_eq!(map.position(6), (2, 3)); // after "cé" (é is two bytes)
        assert_eq!(map.line(2), "cé{{x}}");
    }

    #[test]
    fn renders_like_rustc() {
        let map = SourceMap::new("intro\n\n{{#example nope}}\n");
        let d = map.diagnose(
            "src/ch.md",
            7..24,
            Problem::new("unknown example `nope`").hint("did you mean `nop`?"),
        );
        assert_eq!(
            d.to_string(),
            "error: unknown example `nope`\n --> src/ch.md:3:1\n  |\n3 | {{#example nope}}\n  | ^^^^^^^^^^^^^^^^^\n  = help: did you mean `nop`?\n"
        );
    }
}
