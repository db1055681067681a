//! `{{#runnable-examples}}`: the playground page's index of browser-capable examples.

use std::collections::HashMap;

use crate::diagnostic::Problem;
use crate::{ChapterText, Session, directive, manifest, render};

/// Where the book shows an example: the first chapter whose page has its directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub id: String,
    pub chapter: String,
    /// The chapter's page, relative to the site root (`processes.html`).
    pub href: String,
}

impl Session {
    /// Records which chapter shows which example (the first wins), for the playground index.
    /// `process_book` calls it; a second call is ignored.
    pub fn set_usages(&self, usages: Vec<Usage>) {
        let _ = self.usages.set(usages);
    }

    /// `{{#runnable-examples}}`: every browser-capable example, grouped by the chapter that
    /// shows it (in book order), then those no chapter shows yet.
    pub(crate) fn runnable_index(&self, text: &str, chapter: &ChapterText) -> Result<String, Problem> {
        if text != directive::RUNNABLE_INDEX {
            return Err(Problem::new("`{{#runnable-examples}}` takes no options")
                .hint("write exactly `{{#runnable-examples}}`"));
        }
        let manifest = self.manifest()?;
        let runnable: Vec<&manifest::Entry> =
            manifest.all().into_iter().filter(|entry| entry.native_only.is_none()).collect();
        let usages = self.usages.get().map(Vec::as_slice).unwrap_or_default();
        // A missing verified output is reported where a chapter shows the example; here the
        // playground just has nothing to compare with.
        let outputs: HashMap<&str, Option<String>> = runnable
            .iter()
            .map(|entry| (entry.id.as_str(), manifest.read(&entry.expected).as_ref().as_ref().ok().cloned()))
            .collect();
        let mut groups: Vec<render::IndexGroup> = Vec::new();
        for usage in usages {
            let Some(entry) = runnable.iter().find(|entry| entry.id == usage.id) else { continue };
            let item = (*entry, outputs[entry.id.as_str()].as_deref());
            match groups.iter_mut().find(|group| group.chapter == Some(usage.chapter.as_str())) {
                Some(group) => group.examples.push(item),
                None => groups.push(render::IndexGroup {
                    chapter: Some(&usage.chapter),
                    href: Some(&usage.href),
                    examples: vec![item],
                }),
            }
        }
        let unshown: Vec<_> = runnable
            .iter()
            .filter(|entry| !usages.iter().any(|usage| usage.id == entry.id))
            .map(|entry| (*entry, outputs[entry.id.as_str()].as_deref()))
            .collect();
        if !unshown.is_empty() {
            groups.push(render::IndexGroup { chapter: None, href: None, examples: unshown });
        }
        Ok(render::runnable_index(&groups, &chapter.root))
    }
}
