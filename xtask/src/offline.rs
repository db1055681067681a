//! The service worker that keeps the built book working offline: after `mdbook build`, the
//! whole of `book/` becomes its precache manifest (every file with the SHA-256 of its content)
//! and a build id that changes whenever any file's name or content does.
//!
//! The worker's code is `xtask/src/service-worker.js`; this module puts the manifest in front of
//! it and writes the result to `book/service-worker.js`, replacing the stub that mdBook copied
//! from `src/service-worker.js` (which only retires workers; `mdbook serve` serves that one).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use sha2::{Digest, Sha256};

use crate::project;

/// The worker's file, at the site's root (so its scope is the whole site).
pub const WORKER_FILE: &str = "service-worker.js";

/// The worker's code, after the manifest.
const WORKER_CODE: &str = include_str!("service-worker.js");

/// Hex digits of a file's SHA-256 kept in the manifest (128 bits).
const FILE_HASH_HEX: usize = 32;

/// What the worker precaches: every file of the site but the worker itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precache {
    /// SHA-256 over every file's path and content hash, in path order (hex, 32 digits).
    pub build_id: String,
    /// `(path relative to the site root with / separators, SHA-256 hex prefix)`, sorted by path.
    pub files: Vec<(String, String)>,
    /// Their total size.
    pub bytes: u64,
}

impl Precache {
    /// Walks `site` and hashes every file.
    pub fn of_site(site: &Path) -> anyhow::Result<Precache> {
        let mut files = Vec::new();
        let mut bytes = 0;
        for path in project::files_under(site)? {
            let relative = path.strip_prefix(site).expect("under the site");
            let name = relative
                .components()
                .map(|part| part.as_os_str().to_str())
                .collect::<Option<Vec<_>>>()
                .with_context(|| {
                    format!("{}: a file name that is not UTF-8 cannot be a URL", path.display())
                })?
                .join("/");
            if name == WORKER_FILE {
                continue;
            }
            let content = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            bytes += content.len() as u64;
            files.push((name, hex(&Sha256::digest(&content))[..FILE_HASH_HEX].to_string()));
        }
        anyhow::ensure!(!files.is_empty(), "{} has no files: build the book first", site.display());
        files.sort();
        let mut all = Sha256::new();
        for (name, hash) in &files {
            all.update(name.as_bytes());
            all.update([0]);
            all.update(hash.as_bytes());
            all.update([b'\n']);
        }
        Ok(Precache { build_id: hex(&all.finalize())[..FILE_HASH_HEX].to_string(), files, bytes })
    }

    /// The worker script: the manifest as `const BUILD = {...};`, then the worker's code.
    pub fn worker_script(&self) -> String {
        let files: serde_json::Map<String, serde_json::Value> =
            self.files.iter().map(|(name, hash)| (name.clone(), hash.clone().into())).collect();
        let manifest = serde_json::json!({ "id": self.build_id, "files": files });
        format!("const BUILD = {manifest};\n{WORKER_CODE}")
    }
}

/// Writes `site/service-worker.js` for the site as it is now; returns what it precaches.
pub fn write_service_worker(site: &Path) -> anyhow::Result<Precache> {
    let precache = Precache::of_site(site)?;
    let dest = site.join(WORKER_FILE);
    std::fs::write(&dest, precache.worker_script()).with_context(|| format!("writing {}", dest.display()))?;
    eprintln!(
        "    {} files, {:.1} MB, build {}",
        precache.files.len(),
        precache.bytes as f64 / 1e6,
        precache.build_id
    );
    Ok(precache)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small site in a fresh temporary folder.
    fn site(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("bf-offline-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("generated/playground_demo")).unwrap();
        std::fs::write(dir.join("index.html"), "<h1>Hi</h1>").unwrap();
        std::fs::write(dir.join("book-0a1b2c3d.js"), "// mdBook's fingerprinted script").unwrap();
        std::fs::write(dir.join("generated/playground_demo/playground_demo_bg.wasm"), b"\0asm\x01\0\0\0")
            .unwrap();
        dir
    }

    #[test]
    fn every_file_but_the_worker_is_listed_with_its_hash() {
        let dir = site("listed");
        std::fs::write(dir.join(WORKER_FILE), "a stub, or the worker of the last build").unwrap();
        let precache = write_service_worker(&dir).unwrap();
        let names: Vec<&str> = precache.files.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            ["book-0a1b2c3d.js", "generated/playground_demo/playground_demo_bg.wasm", "index.html"]
        );
        // SHA-256 of "<h1>Hi</h1>".
        let index = &precache.files[2].1;
        assert_eq!(index, &hex(&Sha256::digest(b"<h1>Hi</h1>"))[..FILE_HASH_HEX]);
        assert_eq!(precache.bytes, 11 + 32 + 8);
        let script = std::fs::read_to_string(dir.join(WORKER_FILE)).unwrap();
        assert!(script.starts_with("const BUILD = {"), "{script}");
        assert!(script.contains("\"book-0a1b2c3d.js\":\""), "{script}");
        assert!(script.contains(&format!("\"id\":\"{}\"", precache.build_id)));
        assert!(script.contains("self.addEventListener(\"fetch\""));
        // Writing the worker again does not list (or hash) the worker itself.
        assert_eq!(write_service_worker(&dir).unwrap(), precache);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_changed_file_or_a_renamed_one_gives_a_new_build_id_and_the_same_site_the_same() {
        let dir = site("rebuilt");
        let first = Precache::of_site(&dir).unwrap();
        assert_eq!(
            Precache::of_site(&dir).unwrap().build_id,
            first.build_id,
            "the id depends on content only"
        );

        std::fs::write(dir.join("generated/playground_demo/playground_demo_bg.wasm"), b"\0asm\x01\0\0\x01")
            .unwrap();
        let changed = Precache::of_site(&dir).unwrap();
        assert_ne!(changed.build_id, first.build_id, "a changed wasm module");
        assert_ne!(changed.files[1].1, first.files[1].1);
        assert_eq!(changed.files[0], first.files[0]);

        std::fs::rename(dir.join("book-0a1b2c3d.js"), dir.join("book-ffffffff.js")).unwrap();
        let renamed = Precache::of_site(&dir).unwrap();
        assert_ne!(renamed.build_id, changed.build_id, "a renamed (re-fingerprinted) file");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_empty_site_is_an_error() {
        let dir = std::env::temp_dir().join(format!("bf-offline-{}-empty", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let err = Precache::of_site(&dir).unwrap_err();
        assert!(err.to_string().contains("build the book first"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
