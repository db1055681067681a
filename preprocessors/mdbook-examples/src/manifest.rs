//! What the preprocessor knows about the examples: `examples/manifest.json` (written by
//! `cargo xtask bless` from the registry and checked by `cargo test -p examples`), the source
//! files and the verified outputs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Deserialize;

use crate::diagnostic::Problem;

#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub id: String,
    pub title: String,
    /// Source file, relative to the workspace.
    pub file: String,
    /// Verified output file, relative to the workspace.
    pub expected: String,
    pub default_input: String,
    pub input_help: String,
    /// Why the example cannot run in a browser; `None` when it can.
    pub native_only: Option<String>,
    /// For a native-only example: a browser-capable example of the same idea to link to.
    #[serde(default)]
    pub simulation: Option<String>,
    /// Which WebAssembly module runs it in the browser: its chapter's (`playground/modules/`),
    /// `"sql"` for SQLite examples.
    pub module: String,
}

#[derive(Deserialize)]
struct ManifestFile {
    examples: Vec<Entry>,
}

/// The registry plus a cache of the files read from it (chapters are processed in parallel).
pub struct Manifest {
    entries: HashMap<String, Entry>,
    workspace: PathBuf,
    files: Mutex<HashMap<PathBuf, Arc<Result<String, String>>>>,
}

impl Manifest {
    pub fn load(path: &Path, workspace: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            anyhow::anyhow!(
                "cannot read the examples manifest {}: {err}\n  = help: `cargo xtask bless` writes it from the chapter list (examples::CHAPTERS)",
                path.display()
            )
        })?;
        let file: ManifestFile = serde_json::from_str(&text)
            .map_err(|err| anyhow::anyhow!("{}:{}:{}: {err}", path.display(), err.line(), err.column()))?;
        let entries = file.examples.into_iter().map(|entry| (entry.id.clone(), entry)).collect();
        Ok(Manifest { entries, workspace: workspace.to_path_buf(), files: Mutex::default() })
    }

    #[cfg(test)]
    pub fn from_entries(entries: Vec<Entry>, workspace: &Path) -> Self {
        let entries = entries.into_iter().map(|entry| (entry.id.clone(), entry)).collect();
        Manifest { entries, workspace: workspace.to_path_buf(), files: Mutex::default() }
    }

    /// The entry for `id`, if it is registered.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// Every entry, ordered by id.
    pub fn all(&self) -> Vec<&Entry> {
        let mut entries: Vec<&Entry> = self.entries.values().collect();
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        entries
    }

    /// The entry for `id`, or the problem to report: unknown id (with a suggestion), or an
    /// example that exists in the source but is not registered, so no test runs it.
    pub fn entry(&self, id: &str) -> Result<&Entry, Problem> {
        if let Some(entry) = self.entries.get(id) {
            return Ok(entry);
        }
        if let Some(place) = self.find_unregistered(id) {
            return Err(Problem::new(format!("example `{id}` is not covered by any test"))
                .hint(format!(
                    "it is defined at {place} but is not listed in its chapter's EXAMPLES (each chapter is a line of examples::CHAPTERS), so `cargo test` never runs it;\nadd it there, then run `cargo xtask bless`"
                )));
        }
        let mut known: Vec<&str> = self.entries.keys().map(String::as_str).collect();
        known.sort_unstable();
        let hint = match closest(id, &known) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("known examples: {}", known.join(", ")),
        };
        Err(Problem::new(format!("unknown example `{id}`")).hint(hint))
    }

    /// Reads a workspace file once per build.
    pub fn read(&self, relative: &str) -> Arc<Result<String, String>> {
        let path = self.workspace.join(relative);
        let mut files = self.files.lock().expect("no panic while holding the lock");
        files
            .entry(path.clone())
            .or_insert_with(|| Arc::new(std::fs::read_to_string(&path).map_err(|err| err.to_string())))
            .clone()
    }

    /// Looks for `id: "<id>"` in the examples' sources: an `Example` that was written but
    /// never registered.
    fn find_unregistered(&self, id: &str) -> Option<String> {
        let needle = format!("id: \"{id}\"");
        let root = self.workspace.join("examples").join("src");
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|ext| ext == "rs") {
                    let Ok(text) = std::fs::read_to_string(&path) else { continue };
                    if let Some(offset) = text.find(&needle) {
                        let line = text[..offset].lines().count().max(1);
                        let shown = path.strip_prefix(&self.workspace).unwrap_or(&path);
                        return Some(format!("{}:{line}", shown.display()));
                    }
                }
            }
        }
        None
    }
}

/// The known name closest to `wanted` by edit distance, if it is close enough to be a typo.
fn closest<'a>(wanted: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|name| (edit_distance(wanted, name), *name))
        .filter(|(distance, name)| *distance <= (name.len().max(wanted.len()) / 3).max(1))
        .min()
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            previous = current;
        }
    }
    row[b.len()]
}

/// The lines of a named region, as a page shows them: at least one, and not all blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub lines: Vec<RegionLine>,
}

/// One shown line of a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionLine {
    /// 1-based line in the file. Anchor lines are not shown, so the numbers of a region with
    /// nested anchors skip them.
    pub number: usize,
    /// The line, dedented with the rest of the region.
    pub text: String,
    /// Whether it is hidden behind the "show hidden lines" button (`collapse=`).
    pub hidden: bool,
}

/// Cuts region `name` (between `ANCHOR: name` and `ANCHOR_END: name`) out of `text`. Lines of
/// nested region `collapse` are marked hidden. Every anchor line is dropped.
pub fn region(text: &str, file: &str, name: &str, collapse: Option<&str>) -> Result<Region, Problem> {
    let all: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> =
        all.iter().enumerate().filter(|(_, l)| anchor(l, "ANCHOR:") == Some(name)).map(|(i, _)| i).collect();
    let ends: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, l)| anchor(l, "ANCHOR_END:") == Some(name))
        .map(|(i, _)| i)
        .collect();
    let available = || {
        let mut names: Vec<&str> = all.iter().filter_map(|l| anchor(l, "ANCHOR:")).collect();
        names.dedup();
        if names.is_empty() {
            format!("{file} has no anchors")
        } else {
            format!("anchors in {file}: {}", names.join(", "))
        }
    };
    let start = match starts.as_slice() {
        [] => {
            return Err(Problem::new(format!("no anchor `{name}` in {file}")).hint(format!(
                "mark the region with `// ANCHOR: {name}` and `// ANCHOR_END: {name}`; {}",
                available()
            )));
        }
        [one] => *one,
        [first, second, ..] => {
            return Err(Problem::new(format!(
                "anchor `{name}` appears twice in {file} (lines {} and {})",
                first + 1,
                second + 1
            ))
            .hint("give each region its own name"));
        }
    };
    let Some(&end) = ends.iter().find(|&&end| end > start) else {
        return Err(Problem::new(format!("anchor `{name}` in {file}:{} is never closed", start + 1))
            .hint(format!("add `// ANCHOR_END: {name}` after the region")));
    };
    if let Some(inner) = collapse {
        let inner_start = all[start + 1..end].iter().any(|l| anchor(l, "ANCHOR:") == Some(inner));
        if !inner_start {
            return Err(Problem::new(format!("no anchor `{inner}` inside region `{name}` of {file}"))
                .hint(format!("`collapse={inner}` hides the lines between `ANCHOR: {inner}` and `ANCHOR_END: {inner}` inside the region")));
        }
    }
    let mut lines = Vec::new();
    let mut hidden = false;
    for (index, line) in all.iter().enumerate().take(end).skip(start + 1) {
        if let Some(marker) = anchor(line, "ANCHOR:") {
            hidden |= Some(marker) == collapse;
            continue;
        }
        if let Some(marker) = anchor(line, "ANCHOR_END:") {
            if Some(marker) == collapse {
                hidden = false;
            }
            continue;
        }
        lines.push(RegionLine { number: index + 1, text: line.to_string(), hidden });
    }
    if lines.iter().all(|line| line.text.trim().is_empty()) {
        return Err(Problem::new(format!("region `{name}` of {file} is empty")));
    }
    let indent = lines
        .iter()
        .filter(|line| !line.text.trim().is_empty())
        .map(|line| line.text.chars().take_while(|c| c.is_whitespace()).count())
        .min()
        .unwrap_or(0);
    for line in &mut lines {
        line.text = dedent(&line.text, indent).to_string();
    }
    Ok(Region { lines })
}

/// `line` without its first `indent` whitespace characters (fewer if it has fewer). Counted in
/// characters, not bytes, so a multi-byte space (U+00A0, U+3000) is never cut in half.
fn dedent(line: &str, indent: usize) -> &str {
    let cut = line
        .char_indices()
        .take_while(|(_, c)| c.is_whitespace())
        .nth(indent)
        .map_or_else(|| line.len() - line.trim_start().len(), |(at, _)| at);
    &line[cut..]
}

/// The anchor name after `marker` on a comment line (`// ANCHOR: name`, `-- ANCHOR: name`).
fn anchor<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let at = line.find(marker)?;
    // `ANCHOR:` must not be the tail of `ANCHOR_END:`; the marker is its own word.
    if marker == "ANCHOR:" && line[..at].ends_with('_') {
        return None;
    }
    let name = line[at + marker.len()..].split_whitespace().next()?;
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "fn setup() {}\n// ANCHOR: example\n    // ANCHOR: setup\n    let a = 1;\n    // ANCHOR_END: setup\n    let b = a + 1;\n\n    println!(\"{b}\");\n// ANCHOR_END: example\n";

    #[test]
    fn cuts_and_dedents_a_region_and_hides_the_collapsed_part() {
        let region = region(FILE, "f.rs", "example", Some("setup")).unwrap();
        let shown: Vec<(usize, &str, bool)> =
            region.lines.iter().map(|line| (line.number, line.text.as_str(), line.hidden)).collect();
        // Numbered as in the file: the anchor lines 3 and 5 are not shown, but they count.
        assert_eq!(
            shown,
            vec![
                (4, "let a = 1;", true),
                (6, "let b = a + 1;", false),
                (7, "", false),
                (8, "println!(\"{b}\");", false)
            ]
        );
    }

    #[test]
    fn missing_unterminated_and_duplicate_anchors_are_problems() {
        assert!(region(FILE, "f.rs", "nope", None).unwrap_err().message.contains("no anchor `nope`"));
        let open = "// ANCHOR: a\nx\n";
        assert!(region(open, "f.rs", "a", None).unwrap_err().message.contains("never closed"));
        let twice = "// ANCHOR: a\n// ANCHOR_END: a\n// ANCHOR: a\n// ANCHOR_END: a\n";
        assert!(region(twice, "f.rs", "a", None).unwrap_err().message.contains("twice"));
    }

    #[test]
    fn dedents_by_characters_so_multi_byte_spaces_are_never_split() {
        // A no-break space (2 bytes) and an ideographic space (3 bytes) count as one character
        // of indentation each, like a space or a tab.
        let text = "// ANCHOR: a\n\u{a0}\u{a0}x\n\ty\n \u{3000}\n\u{3000}\u{3000}z\n// ANCHOR_END: a\n";
        let lines: Vec<String> =
            region(text, "f.rs", "a", None).unwrap().lines.into_iter().map(|line| line.text).collect();
        assert_eq!(lines, ["\u{a0}x", "y", "\u{3000}", "\u{3000}z"]);
        assert_eq!(dedent("\u{a0}\u{a0}x", 1), "\u{a0}x");
        assert_eq!(dedent("  ", 5), "");
        assert_eq!(dedent("x", 0), "x");
    }

    #[test]
    fn suggests_the_closest_id() {
        assert_eq!(closest("tcp::ecoh", &["tcp::echo", "udp::drop"]), Some("tcp::echo"));
        assert_eq!(closest("zzz", &["tcp::echo"]), None);
    }
}
