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

/// Where the web-ready module lands: `src/generated/playground/` (copied into the site by mdBook).
pub fn out_dir() -> PathBuf {
    project::generated_dir().join("playground")
}

/// Compiles `playground` for wasm32 and writes `playground.js` + `playground_bg.wasm`.
pub fn build() -> anyhow::Result<PathBuf> {
    tools::ensure_wasm_target()?;
    step("cargo build -p playground (wasm32, profile `wasm`)", || {
        step::run(project::cargo().args([
            "build",
            "--quiet",
            "--package",
            "playground",
            "--lib",
            "--target",
            tools::WASM_TARGET,
            "--profile",
            PROFILE,
        ]))
    })?;
    let input = project::target_dir().join(tools::WASM_TARGET).join(PROFILE).join("playground.wasm");
    let out = out_dir();
    step("wasm-bindgen (library, --target web)", || {
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(&input)
            .web(true)?
            .typescript(false)
            .generate(&out)
            .with_context(|| format!("generating bindings for {}", input.display()))
    })?;
    Ok(out)
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
