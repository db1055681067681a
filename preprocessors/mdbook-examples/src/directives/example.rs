//! `{{#example chapter::name [options]}}`: the example's source region, highlighted, with the
//! output `cargo test` verified (see [`crate::directive`] for the options). The code part is
//! the one `{{#source}}` shows too ([`Session::code_view`]).

use crate::diagnostic::Problem;
use crate::directives::source::link;
use crate::render::ExampleView;
use crate::{ChapterText, Session, directive};

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
        let code = self.code_view(&entry.file, source, &directive.excerpt, chapter)?;
        let expected = manifest.read(&entry.expected);
        let output = expected.as_ref().as_ref().map_err(|err| {
            Problem::new(format!("example `{}` has no verified output ({}: {err})", entry.id, entry.expected))
                .hint("run `cargo xtask bless`, review the new file, and commit it")
        })?;
        let view = ExampleView {
            entry,
            directive: &directive,
            playground_href: link(&self.config.playground_url, chapter, &entry.file, code.first_line),
            code,
            output,
            simulation: entry.simulation.as_deref().and_then(|id| manifest.get(id)),
        };
        Ok(if self.html { view.html() } else { view.markdown(prefix) })
    }
}
