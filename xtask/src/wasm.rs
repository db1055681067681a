//! Builds the playground's WebAssembly modules, one per name in the examples manifest.
//!
//! A module is not a crate anyone writes: for each module named in `examples/manifest.json`
//! (the `module` of its browser-capable examples, which comes from the chapter list in
//! `examples/src/lib.rs`), xtask generates a one-line cdylib crate,
//! `playground::wasm_module!("<name>");`, in a workspace of its own under
//! `target/playground-modules/`, and builds them all with one cargo run (the `sql` module, which
//! turns on SQLite, in a second run so that the others do not link it). Then, per module:
//! bindgen (the `wasm-bindgen-cli-support` library pinned to exactly the `wasm-bindgen` crate's
//! version, so no CLI install), and `wasm-opt` from npm `binaryen` (pinned), which shrinks the
//! module and strips what the browser does not need. A module whose cargo output did not change
//! keeps its web files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::project;
use crate::step::{self, step};
use crate::tools;

/// The generated workspace's profile: small modules (readers download them), LTO so each module
/// keeps only the code its chapters reach, abort on panic (the panic hook reports first). No
/// `strip`: wasm-opt strips, and needs the target-features section that `strip` would drop.
const PROFILE: &str = "wasm";
const PROFILE_TOML: &str = "\
[profile.wasm]
inherits = \"release\"
opt-level = \"z\"
lto = true
codegen-units = 1
panic = \"abort\"
debug = false
";

/// The module that carries SQLite (built with the `sqlite` feature, and its own size budget).
pub const SQL: &str = "sql";

/// SQLite extensions the browser's build leaves out (sqlite-wasm-rs turns them on): no example
/// uses them, and together they are about an eighth of the `sql` module. Full-text search
/// (FTS5), R-Tree, sessions and the pre-update hook, and the introspection virtual tables
/// (`sqlite_dbpage`, `bytecode`, `sqlite_stmt`, `dbstat`). The SQL page of the book says so.
const SQLITE_WASM_FLAGS: &str = "-USQLITE_ENABLE_FTS5 -USQLITE_ENABLE_RTREE -USQLITE_ENABLE_SESSION \
     -USQLITE_ENABLE_PREUPDATE_HOOK -USQLITE_ENABLE_DBPAGE_VTAB -USQLITE_ENABLE_BYTECODE_VTAB \
     -USQLITE_ENABLE_STMTVTAB -USQLITE_ENABLE_DBSTAT_VTAB";

/// Gzipped size budgets in bytes (150 kB and 500 kB, decimal), checked by `cargo xtask test` and
/// printed by the bench: a chapter's module, and the `sql` module, which is mostly SQLite and is
/// shared by every SQL chapter (five of them made it 451 kB; the budget was 450 kB until the
/// fifth, and leaves room for Part III's).
pub const CHAPTER_BUDGET: u64 = 150_000;
pub const SQL_BUDGET: u64 = 500_000;

/// One WebAssembly module of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// As the examples manifest and the page name it (`data-module`): `processes`, `sql`, …
    pub name: String,
}

impl Module {
    /// The generated cdylib crate it is built from.
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

    pub fn gzip_budget(&self) -> u64 {
        if self.name == SQL { SQL_BUDGET } else { CHAPTER_BUDGET }
    }

    fn needs_sqlite(&self) -> bool {
        self.name == SQL
    }
}

/// Every module the manifest names for a browser-capable example, in name order.
pub fn modules() -> anyhow::Result<Vec<Module>> {
    let path = project::root().join("examples/manifest.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    modules_in_manifest(&text).with_context(|| format!("reading {}", path.display()))
}

fn modules_in_manifest(manifest: &str) -> anyhow::Result<Vec<Module>> {
    let manifest: serde_json::Value = serde_json::from_str(manifest)?;
    let mut names = Vec::new();
    for example in manifest["examples"].as_array().context("no `examples` list")? {
        // TypeScript examples run as JavaScript (module `ts`), not in a WebAssembly module.
        if !example["native_only"].is_null() || example["language"] == "typescript" {
            continue;
        }
        let id = example["id"].as_str().context("an example without an `id`")?;
        let name = example["module"].as_str().with_context(|| format!("`{id}` has no `module`"))?;
        anyhow::ensure!(
            !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "`{id}`: module name `{name}` is not lowercase ASCII letters, digits and `_`"
        );
        names.push(name.to_string());
    }
    names.sort();
    names.dedup();
    anyhow::ensure!(!names.is_empty(), "no browser-capable example, so no module to build");
    Ok(names.into_iter().map(|name| Module { name }).collect())
}

/// Builds every module into `src/generated/playground_<name>/`.
pub fn build() -> anyhow::Result<Vec<Module>> {
    tools::ensure_wasm_target()?;
    let modules = modules()?;
    let workspace = step("generate the module crates (target/playground-modules/)", || generate(&modules))?;
    let sqlite_source =
        step("find the SQLite source (libsqlite3-sys's bundled sqlite3/)", sqlite_source_dir)?;
    step("check clang and llvm-ar (they compile SQLite to wasm32)", check_c_toolchain)?;
    let wasm_opt = step("pinned wasm-opt (npm binaryen)", || tools::WASM_OPT.ensure())?;
    let (with_sqlite, without): (Vec<&Module>, Vec<&Module>) = modules.iter().partition(|m| m.needs_sqlite());
    for group in [without, with_sqlite] {
        if group.is_empty() {
            continue;
        }
        let names: Vec<&str> = group.iter().map(|m| m.name.as_str()).collect();
        step(&format!("cargo build, wasm32, profile `{PROFILE}`: {}", names.join(", ")), || {
            let mut cargo = project::cargo();
            cargo
                .args(["build", "--quiet", "--lib", "--target", tools::WASM_TARGET, "--profile", PROFILE])
                .arg("--manifest-path")
                .arg(workspace.join("Cargo.toml"))
                .arg("--target-dir")
                .arg(target_dir())
                // One SQLite for both targets: sqlite-wasm-rs compiles the very source that
                // libsqlite3-sys bundles for the native tests.
                .env("SQLITE_WASM_RS_SOURCE_DIR", &sqlite_source)
                .env("SQLITE_WASM_RS_FLAGS", SQLITE_WASM_FLAGS);
            for module in &group {
                cargo.args(["--package", &module.package()]);
            }
            step::run(&mut cargo)
        })?;
    }
    finish(&modules, &wasm_opt)?;
    step("remove the web files of modules no longer named", || remove_stale(&modules))?;
    Ok(modules)
}

fn target_dir() -> PathBuf {
    project::target_dir().join("playground-modules").join("target")
}

/// Writes the generated workspace (only files whose text changed, so cargo sees no edit) and
/// returns its folder.
fn generate(modules: &[Module]) -> anyhow::Result<PathBuf> {
    let dir = project::target_dir().join("playground-modules");
    let playground = project::root().join("playground");
    let mut members = String::new();
    for module in modules {
        let _ = write!(members, "{:?}, ", module.name);
        let features = if module.needs_sqlite() { r#", features = ["sqlite"]"# } else { "" };
        write_if_changed(
            &dir.join(&module.name).join("Cargo.toml"),
            &format!(
                "# Generated by `cargo xtask` (xtask/src/wasm.rs): the WebAssembly module `{name}`.\n\
                 [package]\nname = \"{package}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [lib]\ncrate-type = [\"cdylib\"]\npath = \"lib.rs\"\n\n\
                 [dependencies]\nplayground = {{ path = {playground:?}{features} }}\n",
                name = module.name,
                package = module.package(),
                playground = playground.display().to_string(),
            ),
        )?;
        write_if_changed(
            &dir.join(&module.name).join("lib.rs"),
            &format!(
                "//! Generated by `cargo xtask`: the WebAssembly module `{0}`.\nplayground::wasm_module!({0:?});\n",
                module.name
            ),
        )?;
    }
    write_if_changed(
        &dir.join("Cargo.toml"),
        &format!(
            "# Generated by `cargo xtask` (xtask/src/wasm.rs) from examples/manifest.json.\n\
             [workspace]\nresolver = \"3\"\nmembers = [{}]\n\n{PROFILE_TOML}",
            members.trim_end_matches(", ")
        ),
    )?;
    // The repository's lock file pins every dependency; cargo adds the generated crates to
    // this copy.
    let lock = std::fs::read_to_string(project::root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let copy = dir.join("Cargo.lock");
    let pinned = dir.join("Cargo.lock.from-repository");
    if std::fs::read_to_string(&pinned).ok().as_deref() != Some(lock.as_str()) {
        write_if_changed(&copy, &lock)?;
        write_if_changed(&pinned, &lock)?;
    }
    Ok(dir)
}

fn write_if_changed(path: &Path, text: &str) -> anyhow::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    std::fs::create_dir_all(path.parent().expect("a file has a folder"))
        .with_context(|| format!("creating the folder of {}", path.display()))?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The arguments of every wasm-opt run. `-Os` gives the same size as `-Oz` to within 0.1% here
/// (measured on the networking and sql modules) in about 60% of the time on a chapter module
/// (7 s instead of 12 s on one core); modules are optimised in parallel, and only when their
/// cargo output changed.
const WASM_OPT_ARGS: &[&str] = &["-Os", "--strip-debug", "--strip-producers", "--strip-target-features"];

/// A module whose web files are out of date, and what they will be stamped with when done.
struct Pending<'a> {
    module: &'a Module,
    stamp: String,
}

impl Module {
    /// cargo's output for this module.
    fn compiled(&self) -> PathBuf {
        target_dir().join(tools::WASM_TARGET).join(PROFILE).join(format!("{}.wasm", self.artifact()))
    }

    /// Records which cargo output (and wasm-opt) made the web files.
    fn stamp_file(&self) -> PathBuf {
        self.out_dir().join(".built-from")
    }
}

/// Bindgen and wasm-opt for every module whose cargo output is not the one they last ran on.
fn finish(modules: &[Module], wasm_opt: &Path) -> anyhow::Result<()> {
    let mut pending = Vec::new();
    for module in modules {
        let input = module.compiled();
        let compiled = std::fs::read(&input).with_context(|| format!("reading {}", input.display()))?;
        let stamp = format!(
            "{:016x} binaryen {} {}\n",
            fnv1a(&compiled),
            tools::WASM_OPT.version,
            WASM_OPT_ARGS.join(" ")
        );
        if std::fs::read_to_string(module.stamp_file()).ok().as_deref() == Some(stamp.as_str())
            && module.wasm_file().is_file()
        {
            eprintln!("    {}: unchanged since its last build", module.name);
            continue;
        }
        let artifact = module.artifact();
        let out = module.out_dir();
        step(&format!("wasm-bindgen {artifact} (library, --target web)"), || {
            let _ = std::fs::remove_file(module.stamp_file());
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            wasm_bindgen_cli_support::Bindgen::new()
                .input_path(&input)
                .web(true)?
                .typescript(false)
                .generate(&out)
                .with_context(|| format!("generating bindings for {}", input.display()))
        })?;
        pending.push(Pending { module, stamp });
    }
    if pending.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = pending.iter().map(|p| p.module.name.as_str()).collect();
    step(&format!("wasm-opt {} (in parallel): {}", WASM_OPT_ARGS.join(" "), names.join(", ")), || {
        let parallel = std::thread::available_parallelism().map_or(2, usize::from);
        for batch in pending.chunks(parallel) {
            let mut running = Vec::new();
            for job in batch {
                let wasm = job.module.wasm_file();
                let mut command = std::process::Command::new(wasm_opt);
                command.arg(&wasm).args(WASM_OPT_ARGS).arg("-o").arg(&wasm);
                let shown = step::describe(&command);
                let child = command.spawn().with_context(|| format!("could not start `{shown}`"))?;
                running.push((job, shown, child, std::time::Instant::now()));
            }
            for (job, shown, mut child, started) in running {
                let status = child.wait().with_context(|| format!("waiting for `{shown}`"))?;
                anyhow::ensure!(status.success(), "`{shown}` exited with {status}");
                eprintln!(
                    "    {}: wasm-opt took {}",
                    job.module.name,
                    step::format_duration(started.elapsed())
                );
                let stamp_file = job.module.stamp_file();
                std::fs::write(&stamp_file, &job.stamp)
                    .with_context(|| format!("writing {}", stamp_file.display()))?;
            }
        }
        Ok(())
    })
}

/// Removes `src/generated/playground_<name>/` folders of modules the manifest no longer names.
fn remove_stale(modules: &[Module]) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(project::generated_dir()) else { return Ok(()) };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(module) = name.strip_prefix("playground_")
            && !modules.iter().any(|m| m.name == module)
        {
            std::fs::remove_dir_all(entry.path())
                .with_context(|| format!("removing {}", entry.path().display()))?;
            eprintln!("    removed {name}/ (no example uses module `{module}` any more)");
        }
    }
    Ok(())
}

/// Each built module's size, raw and gzipped.
pub fn sizes(modules: &[Module]) -> anyhow::Result<Vec<ModuleSize>> {
    let mut sizes = Vec::new();
    for module in modules {
        let wasm = module.wasm_file();
        let raw = std::fs::metadata(&wasm).with_context(|| format!("reading {}", wasm.display()))?.len();
        let gzipped = gzip_size(&wasm)?;
        sizes.push(ModuleSize { module: module.clone(), raw, gzipped });
    }
    Ok(sizes)
}

/// Each module's gzipped size against its budget; an error names every module over budget.
pub fn check_sizes(modules: &[Module]) -> anyhow::Result<Vec<ModuleSize>> {
    let sizes = sizes(modules)?;
    let over: Vec<String> = sizes
        .iter()
        .filter(|size| size.gzipped > size.module.gzip_budget())
        .map(|size| size.describe())
        .collect();
    anyhow::ensure!(over.is_empty(), "WebAssembly modules over their size budget:\n  {}", over.join("\n  "));
    Ok(sizes)
}

pub struct ModuleSize {
    pub module: Module,
    pub raw: u64,
    pub gzipped: u64,
}

impl ModuleSize {
    pub fn describe(&self) -> String {
        let budget = self.module.gzip_budget();
        format!(
            "{}: {} raw, {} gzipped ({} the budget of {})",
            self.module.name,
            kb(self.raw),
            kb(self.gzipped),
            if self.gzipped <= budget { "within" } else { "OVER" },
            kb(budget)
        )
    }
}

/// Size of `file` after `gzip -9`, as a static host would serve it compressed.
pub fn gzip_size(file: &Path) -> anyhow::Result<u64> {
    let out = std::process::Command::new("gzip")
        .args(["-9", "--stdout"])
        .arg(file)
        .output()
        .context("running gzip (Debian package `gzip`)")?;
    anyhow::ensure!(out.status.success(), "gzip failed on {}", file.display());
    Ok(out.stdout.len() as u64)
}

/// Bytes as decimal kilobytes, the unit of the budgets.
pub fn kb(bytes: u64) -> String {
    format!("{:.1} kB", bytes as f64 / 1000.0)
}

/// 64-bit FNV-1a: enough to tell whether cargo wrote a different module.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
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
    use super::*;

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

    #[test]
    fn modules_come_from_the_browser_capable_examples_of_the_manifest() {
        let manifest = r#"{"examples": [
            {"id": "b::one", "native_only": null, "module": "b"},
            {"id": "a::one", "native_only": null, "module": "a"},
            {"id": "a::two", "native_only": null, "module": "a"},
            {"id": "c::native", "native_only": "threads", "module": "c"},
            {"id": "d::script", "native_only": null, "module": "ts", "language": "typescript"}
        ]}"#;
        let names: Vec<String> = modules_in_manifest(manifest).unwrap().into_iter().map(|m| m.name).collect();
        assert_eq!(names, ["a", "b"]);
        let bad = r#"{"examples": [{"id": "x::y", "native_only": null, "module": "../etc"}]}"#;
        assert!(modules_in_manifest(bad).unwrap_err().to_string().contains("`x::y`: module name `../etc`"));
        let missing = r#"{"examples": [{"id": "x::y", "native_only": null}]}"#;
        assert!(modules_in_manifest(missing).unwrap_err().to_string().contains("`x::y` has no `module`"));
    }
}
