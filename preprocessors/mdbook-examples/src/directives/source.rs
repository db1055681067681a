//! `{{#source examples/src/<file> region=NAME [options]}}`: an anchor region of any source file
//! of the examples crate, highlighted, with no example around it (see [`crate::directive`]).
//!
//! Also the code part both directives share: [`Session::code_view`] cuts a region out of a
//! file, applies `lines=` and `collapse=`, highlights it and links to the file; an example's
//! figure is that code plus its title, input, output and Run button.

use std::path::Path;

use crate::diagnostic::Problem;
use crate::directive::{self, Excerpt};
use crate::highlight::{self, Language};
use crate::render::{CodeView, SourceView};
use crate::{ChapterText, Session, manifest};

impl Session {
    pub(crate) fn source(&self, text: &str, chapter: &ChapterText, prefix: &str) -> Result<String, Problem> {
        let directive = directive::parse_source(text)?;
        // The manifest's cache holds every workspace file a build reads, examples' sources too.
        let source = self.manifest()?.read(&directive.path);
        let source = source.as_ref().as_ref().map_err(|err| {
            Problem::new(format!("cannot read {}: {err}", directive.path)).hint(format!(
                "the path is relative to the workspace root ({}); every file under {} can be shown",
                self.config.workspace.display(),
                directive::SOURCE_ROOT
            ))
        })?;
        let view = SourceView {
            code: self.code_view(&directive.path, source, &directive.excerpt, chapter)?,
            region: &directive.excerpt.region,
            caption: directive.excerpt.caption.as_deref(),
        };
        Ok(if self.html { view.html() } else { view.markdown(prefix) })
    }

    /// The excerpt of `file` (whose text is `source`) that a directive shows: the region cut
    /// out, `lines=` applied, collapsed lines marked, highlighted for HTML, with the link to
    /// the file made from `source-url`.
    pub(crate) fn code_view<'a>(
        &self,
        file: &'a str,
        source: &str,
        excerpt: &Excerpt,
        chapter: &ChapterText,
    ) -> Result<CodeView<'a>, Problem> {
        let region = manifest::region(source, file, &excerpt.region, excerpt.collapse.as_deref())?;
        let shown = select_lines(&region, excerpt.lines, &excerpt.region)?;
        let first_line = shown[0].number;
        let last_line = shown[shown.len() - 1].number;
        let lines: Vec<(String, bool)> = shown.iter().map(|line| (line.text.clone(), line.hidden)).collect();
        let extension = Path::new(file).extension().and_then(|e| e.to_str()).unwrap_or("");
        let language = highlight::language(extension).unwrap_or(Language::Plain { name: "text" });
        let lines = if self.html {
            let code: String = lines.iter().map(|(line, _)| format!("{line}\n")).collect();
            let highlighted = self.highlighter.highlight_lines(language, &code);
            highlighted.into_iter().zip(lines.iter().map(|(_, hidden)| *hidden)).collect()
        } else {
            lines
        };
        Ok(CodeView {
            file,
            language,
            lines,
            first_line,
            last_line,
            source_href: link(&self.config.source_url, chapter, file, first_line),
        })
    }
}

/// A link from the chapter's page made from a configured template: `{root}` (the site's root
/// relative to the page), `{path}` (a workspace file) and `{line}` filled in.
pub(crate) fn link(template: &str, chapter: &ChapterText, path: &str, line: usize) -> String {
    template.replace("{root}", &chapter.root).replace("{path}", path).replace("{line}", &line.to_string())
}

/// Applies `lines=A-B` to a region: the lines shown, never none (a region has at least one).
fn select_lines<'a>(
    region: &'a manifest::Region,
    range: Option<(usize, Option<usize>)>,
    name: &str,
) -> Result<&'a [manifest::RegionLine], Problem> {
    let Some((from, to)) = range else {
        return Ok(&region.lines);
    };
    let count = region.lines.len();
    let to = to.unwrap_or(count);
    if from > count || to > count {
        return Err(Problem::new(format!(
            "`lines={from}-{to}` is outside region `{name}`, which has {count} lines"
        ))
        .hint(format!("pick lines between 1 and {count}, or drop `lines=` to show the whole region")));
    }
    Ok(&region.lines[from - 1..to])
}
