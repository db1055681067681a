//! `[preprocessor.examples]` in book.toml.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The preprocessor's settings; every key is optional.
///
/// ```toml
/// [preprocessor.examples]
/// manifest = "examples/manifest.json"     # the registry as `cargo xtask bless` wrote it
/// workspace = "."                          # paths in the manifest are relative to this
/// cache-dir = "target/mdbook-examples"     # highlighted blocks, keyed by content hash
/// source-url = "{root}generated/source/{path}.txt"
/// playground-url = "{root}playground.html"
/// forbid-fences = ["rust"]                 # such code must come through {{#example}}
/// ```
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_manifest")]
    pub manifest: PathBuf,
    #[serde(default = "default_workspace")]
    pub workspace: PathBuf,
    /// `None` turns the highlight cache off.
    #[serde(default = "default_cache_dir")]
    pub cache_dir: Option<PathBuf>,
    /// Link to an example's source file. `{root}` is the relative path to the site's root,
    /// `{path}` the file relative to the workspace, `{line}` the first line shown.
    #[serde(default = "default_source_url")]
    pub source_url: String,
    /// The playground page; the example id and input go in its `#` fragment.
    #[serde(default = "default_playground_url")]
    pub playground_url: String,
    /// Fence languages a chapter may not use, because that code must come from the examples
    /// crate through the directive (e.g. `["rust"]`). Checked after alias resolution.
    #[serde(default)]
    pub forbid_fences: Vec<String>,
    // Keys mdBook itself reads from every preprocessor table.
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub before: Vec<String>,
    #[serde(default)]
    pub after: Vec<String>,
    #[serde(default)]
    pub renderers: Option<Vec<String>>,
    #[serde(default)]
    pub optional: bool,
}

fn default_manifest() -> PathBuf {
    "examples/manifest.json".into()
}
fn default_workspace() -> PathBuf {
    ".".into()
}
fn default_cache_dir() -> Option<PathBuf> {
    Some("target/mdbook-examples".into())
}
fn default_source_url() -> String {
    "{root}generated/source/{path}.txt".into()
}
fn default_playground_url() -> String {
    "{root}playground.html".into()
}

impl Default for Config {
    fn default() -> Self {
        serde_json::from_str("{}").expect("every key has a default")
    }
}

impl Config {
    /// Paths made absolute against the book's root.
    pub fn resolve(mut self, book_root: &Path) -> Self {
        self.manifest = book_root.join(&self.manifest);
        self.workspace = book_root.join(&self.workspace);
        self.cache_dir = self.cache_dir.map(|dir| book_root.join(dir));
        self
    }
}
