//! `{{#runnable-examples}}`: the playground page's index of browser-capable examples.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

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
        let mut groups: Vec<render::IndexGroup> = Vec::new();
        for usage in usages {
            let Some(entry) = runnable.iter().find(|entry| entry.id == usage.id) else { continue };
            match groups.iter_mut().find(|group| group.chapter == Some(usage.chapter.as_str())) {
                Some(group) => group.examples.push(entry),
                None => groups.push(render::IndexGroup {
                    chapter: Some(&usage.chapter),
                    href: Some(&usage.href),
                    examples: vec![entry],
                }),
            }
        }
        let unshown: Vec<_> = runnable
            .iter()
            .copied()
            .filter(|entry| !usages.iter().any(|usage| usage.id == entry.id))
            .collect();
        if !unshown.is_empty() {
            groups.push(render::IndexGroup { chapter: None, href: None, examples: unshown });
        }
        self.playground_used.store(true, Ordering::Relaxed);
        Ok(render::runnable_index(&groups, &chapter.root))
    }
}

/// Where the playground page finds a module's examples' inputs and verified outputs, relative
/// to `src/` (and to the site's root): one file per WebAssembly module, fetched when the reader
/// opens one of its examples, so the page itself carries only the index.
pub const PLAYGROUND_DATA_DIR: &str = "generated/playground-data";

impl Session {
    /// The playground's data, one JSON object per WebAssembly module: for each browser-capable
    /// example its default input, input help and verified output (`null` when its expected file
    /// is missing: that is reported where a chapter shows the example, and the playground then
    /// has nothing to compare with).
    pub fn playground_data(&self) -> Result<BTreeMap<String, String>, Problem> {
        let manifest = self.manifest()?;
        let mut modules: BTreeMap<String, serde_json::Map<String, serde_json::Value>> = BTreeMap::new();
        for entry in manifest.all().into_iter().filter(|entry| entry.native_only.is_none()) {
            let verified = manifest.read(&entry.expected).as_ref().as_ref().ok().cloned();
            modules.entry(entry.module.clone()).or_default().insert(
                entry.id.clone(),
                serde_json::json!({
                    "default_input": entry.default_input,
                    "input_help": entry.input_help,
                    "verified": verified,
                }),
            );
        }
        Ok(modules
            .into_iter()
            .map(|(module, examples)| {
                let json = serde_json::to_string(&examples).expect("playground data serialises");
                (module, json)
            })
            .collect())
    }

    /// Writes [`Session::playground_data`] to `src/generated/playground-data/<module>.json` when
    /// a page has `{{#runnable-examples}}` (mdBook then copies the files into the site). A file
    /// is rewritten only when its content changes, so `mdbook serve` does not see a change on
    /// every build; files of modules that are gone are removed.
    pub(crate) fn write_playground_data(&self) -> Result<(), String> {
        if !self.playground_used.load(Ordering::Relaxed) {
            return Ok(());
        }
        let data = self.playground_data().map_err(|problem| problem.message)?;
        let dir = self.src_dir.join(PLAYGROUND_DATA_DIR);
        std::fs::create_dir_all(&dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
        for (module, json) in &data {
            let path = dir.join(format!("{module}.json"));
            if std::fs::read_to_string(&path).is_ok_and(|old| &old == json) {
                continue;
            }
            std::fs::write(&path, json).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
        }
        let listing =
            std::fs::read_dir(&dir).map_err(|err| format!("cannot list {}: {err}", dir.display()))?;
        for file in listing.flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            let stale = name.strip_suffix(".json").is_some_and(|module| !data.contains_key(module));
            if stale {
                std::fs::remove_file(file.path())
                    .map_err(|err| format!("cannot remove {}: {err}", file.path().display()))?;
            }
        }
        Ok(())
    }
}
