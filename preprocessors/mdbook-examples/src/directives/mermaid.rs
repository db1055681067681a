//! A ```` ```mermaid ```` fence: drawn at build time into an inline SVG ([`crate::diagram`]).
//! A diagram that does not parse fails the build at its line; a type the build-time renderer
//! does not draw is left to mermaid.js in the browser, and the build says so.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::diagnostic::Problem;
use crate::diagram::{Diagrams, MERMAN_VERSION, Outcome};
use crate::highlight::{self, Language};
use crate::markdown::{self, Found};
use crate::{ChapterText, Failure, Session, locate, render};

impl Session {
    /// The figure that replaces the mermaid fence at `range` of the chapter, the `ordinal`-th
    /// diagram of the chapter (from 1); `None` to leave it (a renderer other than HTML).
    pub(crate) fn mermaid(
        &self,
        chapter: &ChapterText,
        range: &Range<usize>,
        code: &str,
        ordinal: usize,
    ) -> Result<Option<String>, Failure> {
        if !self.html {
            return Ok(None);
        }
        let content = &chapter.content;
        let opening = range.start..range.start + content[range.start..].find('\n').unwrap_or(0);
        let id = diagram_id(&chapter.display_path, ordinal);
        let mut html = match self.diagrams.render(code, &id) {
            Ok(Outcome::Drawn { svg, kind }) => render::diagram(&svg, &kind),
            Ok(Outcome::InBrowser { kind, why }) => {
                self.warn(locate(
                    chapter,
                    opening,
                    Problem::new(format!(
                        "this `{kind}` diagram is drawn in the reader's browser by mermaid.js (2.6 MB), \
                         not at build time"
                    ))
                    .hint(format!(
                        "{why};\nthe page fetches mermaid.min.js, which `cargo xtask build` puts in src/generated/"
                    )),
                ));
                render::browser_diagram(code)
            }
            Err(failed) => {
                let at = failed.span.map(|span| in_chapter(content, range, code, span)).unwrap_or(opening);
                return Err(Failure::Here(
                    Problem::new(failed.message.clone()).hint(hint(&failed.message)),
                    Some(at),
                ));
            }
        };
        if content[range.clone()].ends_with('\n') {
            html.push('\n');
        }
        Ok(Some(html))
    }
}

/// Every diagram under `src_dir` that the build cannot draw, as `src/<file>.md:LINE <kind>`, so
/// that `cargo xtask` ships mermaid.min.js only when a page needs it. Draws the others into
/// `cache_dir` on the way, with the ids the book build gives them, so the build finds them
/// there. A diagram that does not parse is the build's to report; it is skipped here.
pub fn browser_diagrams(src_dir: &Path, cache_dir: Option<PathBuf>) -> anyhow::Result<Vec<String>> {
    if let Some(dir) = &cache_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let diagrams = Diagrams::new(cache_dir);
    let mut files = Vec::new();
    collect_markdown(src_dir, &mut files)?;
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let content =
            std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let relative = file.strip_prefix(src_dir).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        let display_path = format!("src/{relative}");
        let mut ordinal = 0;
        for item in markdown::scan(&content) {
            let Found::Fence { range, info, code } = item else { continue };
            if highlight::language(&info) != Ok(Language::Diagram) {
                continue;
            }
            ordinal += 1;
            if let Ok(Outcome::InBrowser { kind, .. }) =
                diagrams.render(&code, &diagram_id(&display_path, ordinal))
            {
                let line = content[..range.start].matches('\n').count() + 1;
                found.push(format!("{display_path}:{line} {kind}"));
            }
        }
    }
    Ok(found)
}

/// Every `.md` file below `dir`, except the generated ones.
fn collect_markdown(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "generated") {
                collect_markdown(&path, files)?;
            }
        } else if path.extension().is_some_and(|ext| ext == "md") {
            files.push(path);
        }
    }
    Ok(())
}

/// `diagram-<chapter>-<n>`: unique in the book, since print.html puts every chapter on one page.
pub fn diagram_id(display_path: &str, ordinal: usize) -> String {
    let chapter = display_path.strip_prefix("src/").unwrap_or(display_path).trim_end_matches(".md");
    let mut id = String::from("diagram-");
    for c in chapter.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    format!("{}-{ordinal}", id.trim_end_matches('-'))
}

fn hint(message: &str) -> String {
    if message.contains("statement separator") {
        "mermaid reads `;` as the end of a statement: write `,` instead, or `#59;` for a semicolon".into()
    } else if message.contains("No Mermaid diagram type") {
        "a diagram's first line names its type: `flowchart LR`, `sequenceDiagram`, `stateDiagram-v2`, …"
            .into()
    } else {
        format!(
            "the build draws diagrams with merman {MERMAN_VERSION}, which follows Mermaid's syntax:\nhttps://mermaid.js.org/intro/syntax-reference.html"
        )
    }
}

/// The chapter's byte range for `span` of the fence's code. The code is the fence's lines
/// without their container prefixes (`> `, list indentation), so each code line is the end of
/// its chapter line: count lines, then columns back from the line's end.
fn in_chapter(content: &str, fence: &Range<usize>, code: &str, span: Range<usize>) -> Range<usize> {
    // "Unexpected end of input" points past the last newline: show the end of the last line.
    let start = span.start.min(code.trim_end_matches('\n').len());
    let code_line = code[..start].matches('\n').count();
    let code_line_start = code[..start].rfind('\n').map_or(0, |at| at + 1);
    let code_line_len = code[code_line_start..].find('\n').unwrap_or(code.len() - code_line_start);
    // The code's first line is the chapter line after the opening fence.
    let mut line_start = fence.start;
    for _ in 0..=code_line {
        match content[line_start..].find('\n') {
            Some(at) => line_start += at + 1,
            None => return fence.start..fence.start + 1,
        }
    }
    let line_end = content[line_start..].find('\n').map_or(content.len(), |at| line_start + at);
    let line_end = if content[..line_end].ends_with('\r') { line_end - 1 } else { line_end };
    let at = line_end.saturating_sub(code_line_len - (start - code_line_start)).max(line_start);
    let width = span.end.saturating_sub(span.start).max(1);
    at..(at + width).min(line_end.max(at + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_per_chapter_and_diagram() {
        assert_eq!(diagram_id("src/acid-transactions.md", 2), "diagram-acid-transactions-2");
        assert_eq!(diagram_id("src/Part One/ch_1.md", 1), "diagram-part-one-ch-1-1");
    }

    #[test]
    fn spans_map_back_through_container_prefixes() {
        let content = "Intro\n\n> ```mermaid\n> sequenceDiagram\n>     A->>B: x; y\n> ```\n";
        let fence = content.find("```").unwrap()..content.len();
        let code = "sequenceDiagram\n    A->>B: x; y\n";
        let semicolon = code.find(';').unwrap();
        let at = in_chapter(content, &fence, code, semicolon..semicolon + 1);
        assert_eq!(&content[at.clone()], ";");
        assert_eq!(content[..at.start].matches('\n').count() + 1, 5);
        // Past the end: the end of the last line.
        let at = in_chapter(content, &fence, code, code.len()..code.len());
        assert_eq!(&content[at.start - 1..at.start], "y");
    }
}
