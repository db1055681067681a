//! A fenced code block: its language checked (unknown or forbidden languages are problems) and,
//! for HTML, its code highlighted at build time.

use std::ops::Range;

use crate::diagnostic::Problem;
use crate::highlight::{self, Language};
use crate::{Failure, Session, render};

impl Session {
    /// The highlighted block that replaces the fence at `range` of `content`, `None` to leave it
    /// (a renderer other than HTML). Mermaid fences go to [`Session::mermaid`] instead.
    pub(crate) fn fence(
        &self,
        content: &str,
        range: &Range<usize>,
        info: &str,
        code: &str,
    ) -> Result<Option<String>, Failure> {
        let info_range = range.start..range.start + content[range.start..].find('\n').unwrap_or(0);
        let language = highlight::language(info).map_err(|p| Failure::Here(p, Some(info_range.clone())))?;
        if let Language::Syntax { name, .. } = language
            && self.config.forbid_fences.iter().any(|forbidden| forbidden == name)
        {
            return Err(Failure::Here(
                Problem::new(format!("`{name}` code may not be pasted into a chapter"))
                    .hint("write it in the examples crate, register it, and show it with `{{#example …}}`,\nso `cargo test` compiles and runs what the page shows"),
                Some(info_range),
            ));
        }
        if !self.html {
            return Ok(None);
        }
        let lines = self.highlighter.highlight_lines(language, code);
        let name = match language {
            Language::Syntax { name, .. } | Language::Plain { name } => name,
            Language::Diagram => "text",
        };
        let mut html = render::code_block(name, &lines);
        if content[range.clone()].ends_with('\n') {
            html.push('\n');
        }
        Ok(Some(html))
    }
}
