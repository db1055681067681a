//! Building and serving the book.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::offline;
use crate::project;
use crate::step::{self, step};
use crate::tools;
use crate::wasm;

/// Everything `mdbook` needs before it runs: pinned tools on PATH, our preprocessor built in
/// release, the wasm playground in `src/generated/` (and the mermaid script, if a diagram needs
/// it).
pub struct Prepared {
    path: OsString,
    preprocessor: PathBuf,
}

impl Prepared {
    /// `mdbook <args>` from the repository root, with our PATH and preprocessor binary.
    pub fn mdbook(&self) -> anyhow::Result<Command> {
        let mut cmd = Command::new(tools::MDBOOK.binary()?);
        cmd.current_dir(project::root())
            .env("PATH", &self.path)
            // book.toml runs the preprocessor through `cargo run`, which works for plain
            // `mdbook serve`; here we point mdBook at the binary we just built and skip
            // cargo's start-up on each of mdBook's two calls.
            .env("MDBOOK_PREPROCESSOR__EXAMPLES__COMMAND", &self.preprocessor);
        Ok(cmd)
    }
}

/// Which build of our preprocessor mdBook runs.
pub enum Preprocessor<'a> {
    /// `cargo build --release`: reading, serving and benchmarks.
    Release,
    /// The dev-profile binary that `cargo xtask test` built with the tests; `build` is that
    /// very build (same command, same environment), so it only checks the binary is fresh: a
    /// `cargo build -p mdbook-examples` would resolve features for that package alone and
    /// compile some dependencies again. On a clean checkout this skips a release build of every
    /// dependency (about 220 s on two cores) for a slower first highlighting of every page
    /// (about 45 s instead of 6 s; the highlight and diagram caches make later builds as fast).
    Dev { build: &'a dyn Fn() -> anyhow::Result<()> },
}

pub fn prepare() -> anyhow::Result<Prepared> {
    prepare_with(&Preprocessor::Release)
}

pub fn prepare_with(which: &Preprocessor) -> anyhow::Result<Prepared> {
    let path = step("pinned tools (mdbook)", tools::ensure_book_tools)?;
    let preprocessor = match which {
        Preprocessor::Release => step("cargo build --release -p mdbook-examples", build_preprocessor)?,
        Preprocessor::Dev { build } => step("the tests' build of mdbook-examples (checked fresh)", || {
            build()?;
            let binary = project::target_dir()
                .join("debug")
                .join(format!("mdbook-examples{}", std::env::consts::EXE_SUFFIX));
            anyhow::ensure!(binary.is_file(), "the tests' build made no {}", binary.display());
            Ok(binary)
        })?,
    };
    wasm::build()?;
    step("TypeScript examples: tsc (pinned) into src/generated/ts/", crate::typescript::build)?;
    step("mermaid.min.js into src/generated/, only if a diagram is drawn in the browser", || {
        mermaid_if_needed(&preprocessor)
    })?;
    step("copy example sources into src/generated/source/", copy_example_sources)?;
    Ok(Prepared { path, preprocessor })
}

/// Each example source file as `src/generated/source/<path>.txt`, which pages link to (a
/// static host serves `.txt` as text; `.rs` would download).
fn copy_example_sources() -> anyhow::Result<()> {
    let dest_root = project::generated_dir().join("source");
    if dest_root.exists() {
        std::fs::remove_dir_all(&dest_root).with_context(|| format!("removing {}", dest_root.display()))?;
    }
    for path in project::files_under(&project::root().join("examples").join("src"))? {
        let relative = path.strip_prefix(project::root()).expect("under the root");
        let dest = dest_root.join(format!("{}.txt", relative.display()));
        std::fs::create_dir_all(dest.parent().expect("has a parent"))?;
        std::fs::copy(&path, &dest).with_context(|| format!("copying {}", path.display()))?;
    }
    Ok(())
}

fn build_preprocessor() -> anyhow::Result<PathBuf> {
    step::run(project::cargo().args(["build", "--quiet", "--release", "--package", "mdbook-examples"]))?;
    Ok(project::target_dir().join("release").join("mdbook-examples"))
}

/// The preprocessor draws every diagram it can at build time (into its cache, which the build
/// then reads). A type it cannot draw is left to mermaid.js in the browser: only then does the
/// site carry mermaid.min.js (2.6 MB), from the pinned mdbook-mermaid.
fn mermaid_if_needed(preprocessor: &Path) -> anyhow::Result<()> {
    let dest = project::generated_dir().join("mermaid.min.js");
    let listed = step::output(
        Command::new(preprocessor)
            .arg("browser-diagrams")
            .arg(project::root().join("src"))
            .arg(project::target_dir().join("mdbook-examples")),
    )?;
    if listed.trim().is_empty() {
        eprintln!("    every diagram is drawn at build time: the site carries no mermaid.min.js");
        if dest.exists() {
            std::fs::remove_file(&dest).with_context(|| format!("removing {}", dest.display()))?;
        }
        return Ok(());
    }
    for line in listed.lines() {
        eprintln!("    drawn in the browser: {line}");
    }
    let source = tools::mermaid_js()?;
    if file_len(&dest) != file_len(&source) {
        std::fs::create_dir_all(project::generated_dir())?;
        std::fs::copy(&source, &dest)
            .with_context(|| format!("copying {} to {}", source.display(), dest.display()))?;
    }
    Ok(())
}

fn file_len(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|meta| meta.len())
}

/// `cargo xtask build`: the site into `book/`.
pub fn build_all() -> anyhow::Result<PathBuf> {
    build_all_with(&Preprocessor::Release)
}

/// The site into `book/`, with the preprocessor `which`.
pub fn build_all_with(which: &Preprocessor) -> anyhow::Result<PathBuf> {
    let prepared = prepare_with(which)?;
    build(&prepared, &project::book_dir())?;
    eprintln!("\nThe site is in {}", project::book_dir().display());
    Ok(project::book_dir())
}

/// One `mdbook build` into `dest`, then the service worker that precaches what it built.
pub fn build(prepared: &Prepared, dest: &Path) -> anyhow::Result<()> {
    step("mdbook build", || step::run(prepared.mdbook()?.arg("build").arg("--dest-dir").arg(dest)))?;
    step("service worker: precache every file of the site (offline)", || {
        offline::write_service_worker(dest)
    })?;
    Ok(())
}

/// `cargo xtask serve`: prepare, then `mdbook serve` on 127.0.0.1 with live reload. No service
/// worker: mdBook serves the stub `src/service-worker.js`, which retires one left on this origin
/// by a static serve of the built book, and `theme/offline.js` registers none under live reload.
pub fn serve(port: u16) -> anyhow::Result<()> {
    let prepared = prepare()?;
    eprintln!("==> mdbook serve on http://127.0.0.1:{port}/ (live reload; Ctrl+C stops)");
    step::run(prepared.mdbook()?.args(["serve", "--hostname", "127.0.0.1", "--port"]).arg(port.to_string()))
}

/// `cargo xtask bless`: rewrites `examples/data/` from the real servers, then
/// `examples/expected/*.out` and the manifest, and shows what changed.
pub fn bless() -> anyhow::Result<()> {
    // What the real PostgreSQL and MariaDB do (Hermitage's cases, the migration lock queue, and
    // the other chapters' scenarios) into examples/data/. First, because examples print those
    // files: their expected outputs are rewritten from the new data below. A server that is
    // not running is reported loudly, and what the files say about it is kept as it was.
    step("run the real-server observations and rewrite examples/data/", || {
        step::run(
            project::cargo()
                .args(["test", "--quiet", "--package", "examples", "--test", "real_servers"])
                .env("EXAMPLES_BLESS", "1"),
        )
    })?;
    // The search chapter indexes the book's own sections (examples/data/book-corpus.txt, derived
    // from src/*.md); its example includes that file, so it is rewritten before the examples run.
    step("rewrite the search chapter's corpus of the book (examples/data/book-corpus.txt)", || {
        step::run(
            project::cargo()
                .args(["test", "--quiet", "--package", "examples", "--test", "expected", "--", "--exact"])
                .arg("search::book_corpus_is_current")
                .env("EXAMPLES_BLESS", "1"),
        )
    })?;
    step(
        "the TypeScript examples' toolchain (npm ci in examples/ if needed)",
        crate::typescript::ensure_toolchain,
    )?;
    step("run every example and rewrite examples/expected/", || {
        step::run(
            project::cargo()
                .args(["test", "--quiet", "--package", "examples", "--test", "expected"])
                .env("EXAMPLES_BLESS", "1"),
        )
    })?;
    // Show the reviewer what blessing changed; git may be absent in an exported tree.
    let _ = Command::new("git")
        .current_dir(project::root())
        .args(["status", "--short", "examples/expected", "examples/data", "examples/manifest.json"])
        .status();
    Ok(())
}
