//! The TypeScript examples for the browser: the pinned `tsc` (`examples/package-lock.json`)
//! type-checks them and writes their JavaScript to `src/generated/ts/`, which the page's worker
//! imports (`src/assets/playground-worker.js`). The checking and compiling is
//! `test_support::typescript`, which the tests use too; a type error fails the build at its
//! `file:line:col`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::project;
use crate::step::{self, step};

/// `examples/node_modules` from `examples/package-lock.json` (and `examples/src/linters/node_modules`,
/// the linters chapter's ESLint), installed when missing or stale.
pub fn ensure_toolchain() -> anyhow::Result<()> {
    anyhow::ensure!(
        step::output(Command::new("node").arg("--version")).is_ok(),
        "node is not on PATH, and the TypeScript examples need it (Debian: apt-get install nodejs npm)"
    );
    npm_ci_if_needed(&project::root().join("examples"), "examples: the pinned TypeScript")?;
    // The linters chapter's ESLint, a package of its own: typescript-eslint needs the
    // TypeScript 6 compiler API and refuses the TypeScript 7 pinned above.
    npm_ci_if_needed(&project::root().join("examples/src/linters"), "examples/src/linters: ESLint")
}

/// `npm ci` in `dir` when its node_modules is missing or was installed from another lock file;
/// `what` names it in the step's line.
pub fn npm_ci_if_needed(dir: &Path, what: &str) -> anyhow::Result<()> {
    if test_support::typescript::npm_installed_from_lock(dir) {
        eprintln!("    {what}: node_modules is up to date with package-lock.json");
        return Ok(());
    }
    let lock_path = dir.join("package-lock.json");
    let lock = std::fs::read(&lock_path).with_context(|| format!("reading {}", lock_path.display()))?;
    step(&format!("npm ci ({what}, from package-lock.json)"), || {
        step::run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(dir))?;
        let stamp = dir.join("node_modules").join(test_support::typescript::NPM_STAMP);
        std::fs::write(&stamp, &lock).with_context(|| format!("writing {}", stamp.display()))
    })
}

/// Type-checks the examples and writes their JavaScript to `src/generated/ts/` (emptied first,
/// so a removed example leaves nothing behind).
pub fn build() -> anyhow::Result<()> {
    ensure_toolchain()?;
    let out = project::generated_dir().join("ts");
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
    }
    if let Err(report) = test_support::typescript::compile(&out) {
        bail!("the TypeScript examples do not type-check:\n{}", report.describe());
    }
    Ok(())
}
