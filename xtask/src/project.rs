//! Where things are in the repository.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (the workspace that holds `xtask/`).
pub fn root() -> PathBuf {
    xtask_dir(std::env::var_os("CARGO_MANIFEST_DIR"), env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the root")
        .to_path_buf()
}

/// The `xtask/` folder: the one `cargo run` names in `CARGO_MANIFEST_DIR` when it starts us,
/// else the one compiled in. The compiled-in path can be stale: a `target/` shared with, or
/// copied from, a checkout at another path holds a binary built there, which cargo reuses.
fn xtask_dir(at_run_time: Option<OsString>, at_compile_time: &str) -> PathBuf {
    match at_run_time {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(at_compile_time),
    }
}

/// Build output the book copies: `src/generated/` (git-ignored).
pub fn generated_dir() -> PathBuf {
    root().join("src").join("generated")
}

/// The built site.
pub fn book_dir() -> PathBuf {
    root().join("book")
}

/// The workspace's target directory (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// `cargo` as the one running us, started in the repository root.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Every file below `dir`, recursively, in no particular order; `node_modules` folders (an npm
/// toolchain beside the examples) are skipped.
pub fn files_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    use anyhow::Context as _;
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                // An npm toolchain installed beside the examples (examples/src/linters/) is no
                // source of the book's.
                if path.file_name().is_some_and(|name| name == "node_modules") {
                    continue;
                }
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_cargo_names_at_run_time_wins_over_the_compiled_in_one() {
        let compiled_in = "/old/checkout/xtask";
        assert_eq!(
            xtask_dir(Some("/new/checkout/xtask".into()), compiled_in),
            Path::new("/new/checkout/xtask")
        );
        assert_eq!(xtask_dir(None, compiled_in), Path::new(compiled_in));
        assert_eq!(xtask_dir(Some(OsString::new()), compiled_in), Path::new(compiled_in));
    }

    #[test]
    fn under_cargo_the_root_is_this_checkout() {
        // `cargo test` sets CARGO_MANIFEST_DIR like `cargo run` does.
        assert!(root().join("xtask").join("src").join("project.rs").is_file(), "{}", root().display());
    }
}
