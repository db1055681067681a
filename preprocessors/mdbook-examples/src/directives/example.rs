//! `{{#example chapter::name [options]}}`: the example's source region, highlighted, with the
//! output `cargo test` verified (see [`crate::directive`] for the options).

use std::path::Path;

use crate::diagnostic::Problem;
use crate::highlight::{self, Language};
use crate::render::ExampleView;
use crate::{ChapterText, Session, directive, manifest};

impl Session {
    pub(crate) fn example(&self, text: &str, chapter: &ChapterText, prefix: &str) -> Result<String, Problem> {
        let directive = directive::parse(text)?;
        let manifest = self.manifest()?;
        let entry = manifest.entry(&directive.id)?;
        let source = manifest.read(&entry.file);
        let source = source.as_ref().as_ref().map_err(|err| {
            Problem::new(format!("cannot read {} (source of example `{}`): {err}", entry.file, entry.id))
                .hint("the manifest says the example lives there; if it moved, run `cargo xtask bless`")
        })?;
        let region = manifest::region(source, &entry.file, &directive.region, directive.collapse.as_deref())?;
        let (first_line, lines) = select_lines(&region, directive.lines, &directive.region)?;
        let expected = manifest.read(&entry.expected);
        let output = expected.as_ref().as_ref().map_err(|err| {
            Problem::new(format!("example `{}` has no verified output ({}: {err})", entry.id, entry.expected))
                .hint("run `cargo xtask bless`, review the new file, and commit it")
        })?;
        let extension = Path::new(&entry.file).extension().and_then(|e| e.to_str()).unwrap_or("");
        let language = highlight::language(extension).unwrap_or(Language::Plain { name: "text" });
        let code: String = lines.iter().map(|(line, _)| format!("{line}\n")).collect();
        let shown = if self.html {
            let highlighted = self.highlighter.highlight_lines(language, &code);
            highlighted.into_iter().zip(lines.iter().map(|(_, hidden)| *hidden)).collect()
        } else {
            lines.clone()
        };
        let fill = |template: &str| {
            template
                .replace("{root}", &chapter.root)
                .replace("{path}", &entry.file)
                .replace("{line}", &first_line.to_string())
        };
        let view = ExampleView {
            entry,
            directive: &directive,
            language,
            lines: shown,
            first_line,
            output,
            source_href: fill(&self.config.source_url),
            playground_href: fill(&self.config.playground_url),
            simulation: entry.simulation.as_deref().and_then(|id| manifest.get(id)),
        };
        Ok(if self.html { view.html() } else { view.markdown(prefix) })
    }
}

/// Applies `lines=A-B` to a region; returns the first shown line's number in the file.
fn select_lines(
    region: &manifest::Region,
    range: Option<(usize, Option<usize>)>,
    name: &str,
) -> Result<(usize, Vec<(String, bool)>), Problem> {
    let Some((from, to)) = range else {
        return Ok((region.first_line, region.lines.clone()));
    };
    let count = region.lines.len();
    let to = to.unwrap_or(count);
    if from > count || to > count {
        return Err(Problem::new(format!(
            "`lines={from}-{to}` is outside region `{name}`, which has {count} lines"
        ))
        .hint(format!("pick lines between 1 and {count}, or drop `lines=` to show the whole region")));
    }
    Ok((region.first_line + from - 1, region.lines[from - 1..to].to_vec()))
}
