//! Builds the playground to WebAssembly and runs the bindgen step in-process.
//!
//! The bindgen step is the `wasm-bindgen-cli-support` library pinned to exactly the version of
//! the `wasm-bindgen` crate (both are `=` pins in the workspace manifest, and a test checks the
//! lock file agrees), so no separate `wasm-bindgen-cli` install is needed.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::project;
use crate::step::{self, step};
use crate::tools;

/// Cargo profile for the wasm build (see the workspace Cargo.toml).
const PROFILE: &str = "wasm";

/// One WebAssembly module of the site: the cdylib crate `playground/modules/<name>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// As the examples manifest and the page name it (`data-module`): `processes`, `sql`, …
    pub name: String,
}

/// Modules that are not a chapter's simulations. Only `sql`, which carries SQLite, is exempt
/// from the simulation size budget.
pub const SQL: &str = "sql";

impl Module {
    /// The cdylib crate it is built from.
    pub fn package(&self) -> String {
        format!("playground-{}", self.name)
    }

    /// File stem of the crate's `.wasm` and of its bindings.
    pub fn artifact(&self) -> String {
        format!("playground_{}", self.name)
    }

    /// Where its web-ready files land: `src/generated/<artifact>/` (copied into the site by
    /// mdBook): `<artifact>.js` and `<artifact>_bg.wasm`. `src/assets/playground-worker.js`
    /// loads them by the same rule.
    pub fn out_dir(&self) -> PathBuf {
        project::generated_dir().join(self.artifact())
    }

    pub fn wasm_file(&self) -> PathBuf {
        self.out_dir().join(format!("{}_bg.wasm", self.artifact()))
    }
}

/// Every module: one per folder of `playground/modules/`, in name order.
pub fn modules() -> anyhow::Result<Vec<Module>> {
    let dir = project::root().join("playground/modules");
    let mut modules = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        if entry.path().join("Cargo.toml").is_file() {
            let name =
                entry.file_name().into_string().map_err(|name| anyhow::anyhow!("{name:?} is not UTF-8"))?;
            modules.push(Module { name });
        }
    }
    modules.sort_by(|a, b| a.name.cmp(&b.name));
    anyhow::ensure!(!modules.is_empty(), "no module crates in {}", dir.display());
    Ok(modules)
}

/// Builds every module. Each is built by a cargo run of its own: one run would unify the
/// features of `examples`, and every module would carry every chapter (and SQLite).
pub fn build() -> anyhow::Result<()> {
    tools::ensure_wasm_target()?;
    let sqlite_source =
        step("find the SQLite source (libsqlite3-sys's bundled sqlite3/)", sqlite_source_dir)?;
    step("check clang and llvm-ar (they compile SQLite to wasm32)", check_c_toolchain)?;
    for module in modules()? {
        build_module(&module, &sqlite_source)?;
    }
    Ok(())
}

fn build_module(module: &Module, sqlite_source: &std::path::Path) -> anyhow::Result<()> {
    let package = module.package();
    let artifact = module.artifact();
    step(&format!("cargo build -p {package} (wasm32, profile `{PROFILE}`)"), || {
        step::run(
            project::cargo()
                .args(["build", "--quiet", "--package", &package, "--lib", "--target", tools::WASM_TARGET])
                .args(["--profile", PROFILE])
                // One SQLite for both targets: sqlite-wasm-rs compiles the very source that
                // libsqlite3-sys bundles for the native tests.
                .env("SQLITE_WASM_RS_SOURCE_DIR", sqlite_source),
        )
    })?;
    let input = project::target_dir().join(tools::WASM_TARGET).join(PROFILE).join(format!("{artifact}.wasm"));
    let out = module.out_dir();
    step(&format!("wasm-bindgen {artifact} (library, --target web)"), || {
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(&input)
            .web(true)?
            .typescript(false)
            .generate(&out)
            .with_context(|| format!("generating bindings for {}", input.display()))
    })
}

/// `<libsqlite3-sys>/sqlite3`, from `cargo metadata`: the amalgamation the native build uses.
fn sqlite_source_dir() -> anyhow::Result<PathBuf> {
    let metadata = step::output(project::cargo().args(["metadata", "--format-version", "1", "--locked"]))?;
    let metadata: serde_json::Value = serde_json::from_str(&metadata).context("reading `cargo metadata`")?;
    let manifest = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "libsqlite3-sys"))
        .and_then(|package| package["manifest_path"].as_str())
        .context("libsqlite3-sys is not in `cargo metadata` (is rusqlite still a dependency of examples?)")?;
    let dir = std::path::Path::new(manifest).parent().context("manifest path has a parent")?.join("sqlite3");
    anyhow::ensure!(
        dir.join("sqlite3.c").is_file() && dir.join("sqlite3.h").is_file(),
        "no sqlite3.c and sqlite3.h in {}",
        dir.display()
    );
    Ok(dir)
}

/// sqlite-wasm-rs compiles SQLite's C with clang for wasm32 and archives it with llvm-ar.
fn check_c_toolchain() -> anyhow::Result<()> {
    let mut missing = Vec::new();
    for (tool, package) in [("clang", "clang"), ("llvm-ar", "llvm")] {
        let found =
            std::process::Command::new(tool).arg("--version").output().is_ok_and(|out| out.status.success());
        if !found {
            missing.push(format!("`{tool}` is not on PATH (Debian: apt-get install {package})"));
        }
    }
    anyhow::ensure!(
        missing.is_empty(),
        "the SQL playground compiles SQLite's C source to WebAssembly, which needs clang and llvm-ar:\n  {}",
        missing.join("\n  ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The bindgen step only works when the CLI library and the runtime crate are one version.
    #[test]
    fn bindgen_library_matches_the_wasm_bindgen_crate_in_cargo_lock() {
        let lock = std::fs::read_to_string(crate::project::root().join("Cargo.lock")).unwrap();
        let version_of = |name: &str| {
            let header = format!("name = \"{name}\"\nversion = \"");
            let start =
                lock.find(&header).unwrap_or_else(|| panic!("{name} is not in Cargo.lock")) + header.len();
            lock[start..].split('"').next().unwrap().to_string()
        };
        assert_eq!(version_of("wasm-bindgen"), version_of("wasm-bindgen-cli-support"));
    }
}
