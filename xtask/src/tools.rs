//! Pinned external tools, installed once into a cache outside the checkout, keyed by version.
//!
//! The cache is `$BF_TOOL_CACHE`, else `$XDG_CACHE_HOME/backend-fundamentals/tools`, else
//! `~/.cache/backend-fundamentals/tools`. Each tool lives in `<name>-<version>/`, so a version
//! bump installs beside the old one and CI reuses whatever is there.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::step::{self, step};

/// A crate installed with `cargo install --locked`.
pub struct Tool {
    pub krate: &'static str,
    pub version: &'static str,
}

pub const MDBOOK: Tool = Tool { krate: "mdbook", version: "0.5.4" };
/// Not a preprocessor of the book any more (ours draws diagrams at build time): only the pinned
/// source of `mermaid.min.js`, for a diagram type the build cannot draw and for `cargo xtask
/// fidelity`, which compares the two drawings. Installed only when one of them needs it.
pub const MDBOOK_MERMAID: Tool = Tool { krate: "mdbook-mermaid", version: "0.17.1" };

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// An npm package installed with `npm install --prefix` into the tool cache.
pub struct NpmTool {
    pub package: &'static str,
    pub version: &'static str,
    /// The command it provides, from its `node_modules/.bin/`.
    pub command: &'static str,
}

/// wasm-opt shrinks the playground's modules. Debian's binaryen 108 emits modules that
/// Chromium rejects; npm's build of 132 does not.
pub const WASM_OPT: NpmTool = NpmTool { package: "binaryen", version: "132.0.0", command: "wasm-opt" };

impl Tool {
    fn dir(&self) -> anyhow::Result<PathBuf> {
        Ok(cache_dir()?.join(format!("{}-{}", self.krate, self.version)))
    }

    pub fn bin_dir(&self) -> anyhow::Result<PathBuf> {
        Ok(self.dir()?.join("bin"))
    }

    pub fn binary(&self) -> anyhow::Result<PathBuf> {
        Ok(self.bin_dir()?.join(self.krate))
    }

    /// Installs the tool unless this exact version is already in the cache.
    pub fn ensure(&self) -> anyhow::Result<PathBuf> {
        let binary = self.binary()?;
        if binary.is_file() {
            eprintln!("    {} {} already installed at {}", self.krate, self.version, binary.display());
            return Ok(binary);
        }
        let label =
            format!("install {} {} (cargo install --locked; once per machine)", self.krate, self.version);
        step(&label, || {
            let final_dir = self.dir()?;
            // Install into a scratch folder and rename, so an interrupted install never
            // leaves a half-written tool that looks complete.
            let scratch = cache_dir()?.join(format!("{}-{}.partial", self.krate, self.version));
            if scratch.exists() {
                std::fs::remove_dir_all(&scratch)
                    .with_context(|| format!("removing {}", scratch.display()))?;
            }
            step::run(
                Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                    .args(["install", "--locked", "--quiet", self.krate, "--version"])
                    .arg(format!("={}", self.version))
                    .arg("--root")
                    .arg(&scratch)
                    // Build in the cache, not the workspace: the tool has its own lock file.
                    .env("CARGO_TARGET_DIR", cache_dir()?.join("build"))
                    // Keep a `cargo install` from picking up this workspace's config.
                    .current_dir(cache_dir()?),
            )?;
            if final_dir.exists() {
                std::fs::remove_dir_all(&final_dir)?;
            }
            std::fs::rename(&scratch, &final_dir)
                .with_context(|| format!("moving {} to {}", scratch.display(), final_dir.display()))?;
            Ok(())
        })?;
        if !binary.is_file() {
            bail!("{} was installed but {} is missing", self.krate, binary.display());
        }
        Ok(binary)
    }
}

pub fn cache_dir() -> anyhow::Result<PathBuf> {
    let dir = if let Some(dir) = std::env::var_os("BF_TOOL_CACHE") {
        PathBuf::from(dir)
    } else if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME") {
        PathBuf::from(xdg).join("backend-fundamentals/tools")
    } else if let Some(home) = std::env::var_os("HOME") {
        PathBuf::from(home).join(".cache/backend-fundamentals/tools")
    } else {
        bail!("no tool cache: set BF_TOOL_CACHE, XDG_CACHE_HOME or HOME");
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating the tool cache {}", dir.display()))?;
    Ok(dir)
}

/// mdBook, installed; returns a PATH with its folder in front.
pub fn ensure_book_tools() -> anyhow::Result<OsString> {
    MDBOOK.ensure()?;
    path_with_tools()
}

fn path_with_tools() -> anyhow::Result<OsString> {
    let mut dirs = vec![MDBOOK.bin_dir()?];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).context("building PATH")
}

/// mermaid.min.js as shipped inside the pinned mdbook-mermaid (installed if needed), extracted
/// once into its cache folder.
pub fn mermaid_js() -> anyhow::Result<PathBuf> {
    MDBOOK_MERMAID.ensure()?;
    let asset = MDBOOK_MERMAID.dir()?.join("assets").join("mermaid.min.js");
    if asset.is_file() {
        return Ok(asset);
    }
    let scratch = MDBOOK_MERMAID.dir()?.join("assets.partial");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)?;
    }
    std::fs::create_dir_all(&scratch)?;
    // `mdbook-mermaid install DIR` writes its assets next to DIR/book.toml.
    std::fs::write(scratch.join("book.toml"), "[book]\n")?;
    step::output(Command::new(MDBOOK_MERMAID.binary()?).arg("install").arg(&scratch))?;
    let extracted = scratch.join("mermaid.min.js");
    if !extracted.is_file() {
        bail!("`mdbook-mermaid install` did not write {}", extracted.display());
    }
    std::fs::rename(&scratch, asset.parent().expect("asset has a folder"))?;
    Ok(asset)
}

impl NpmTool {
    fn dir(&self) -> anyhow::Result<PathBuf> {
        Ok(cache_dir()?.join(format!("{}-{}", self.package, self.version)))
    }

    /// Installs the package unless this exact version is already in the cache; returns its command.
    pub fn ensure(&self) -> anyhow::Result<PathBuf> {
        let binary = self.dir()?.join("node_modules").join(".bin").join(self.command);
        if binary.is_file() {
            eprintln!("    {} {} already installed at {}", self.package, self.version, binary.display());
            return Ok(binary);
        }
        let label =
            format!("install npm {}@{} (for {}; once per machine)", self.package, self.version, self.command);
        step(&label, || {
            let scratch = cache_dir()?.join(format!("{}-{}.partial", self.package, self.version));
            if scratch.exists() {
                std::fs::remove_dir_all(&scratch)
                    .with_context(|| format!("removing {}", scratch.display()))?;
            }
            std::fs::create_dir_all(&scratch)?;
            step::run(
                Command::new("npm")
                    .args(["install", "--no-audit", "--no-fund", "--save-exact", "--prefix"])
                    .arg(&scratch)
                    .arg(format!("{}@{}", self.package, self.version)),
            )
            .context("npm is needed to install wasm-opt (Debian: apt-get install nodejs npm)")?;
            let final_dir = self.dir()?;
            if final_dir.exists() {
                std::fs::remove_dir_all(&final_dir)?;
            }
            std::fs::rename(&scratch, &final_dir)
                .with_context(|| format!("moving {} to {}", scratch.display(), final_dir.display()))
        })?;
        anyhow::ensure!(
            binary.is_file(),
            "npm installed {} but {} is missing",
            self.package,
            binary.display()
        );
        Ok(binary)
    }
}

/// Adds the wasm target through rustup when it is missing.
pub fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = step::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .context("asking rustup which targets are installed (is rustup on PATH?)")?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        eprintln!("    target {WASM_TARGET} already installed");
        return Ok(());
    }
    step(&format!("rustup target add {WASM_TARGET}"), || {
        step::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
    })
}

/// `cargo xtask tools`: installs the pinned tools and says how to run plain `mdbook serve`.
pub fn print_path() -> anyhow::Result<()> {
    ensure_book_tools()?;
    println!("export PATH=\"{}:$PATH\"", MDBOOK.bin_dir()?.display());
    Ok(())
}
