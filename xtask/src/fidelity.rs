//! `cargo xtask fidelity`: every diagram of the book as the build draws it (merman) beside
//! mermaid.js's drawing of the same source, as PNGs and an index.html in
//! `target/diagram-fidelity/`, for a person to compare (`browser-tests/fidelity/diagrams.mjs`).

use anyhow::bail;

use crate::book;
use crate::browser;
use crate::project;
use crate::step::{self, step};
use crate::tools;

pub fn run() -> anyhow::Result<()> {
    let site = book::build_all()?;
    let mermaid = step("mermaid.min.js from the pinned mdbook-mermaid", tools::mermaid_js)?;
    let out = project::target_dir().join("diagram-fidelity");
    let Some(mut node) = browser::node_with_chromium(&site, "FIDELITY CHECK SKIPPED: nothing was compared.")?
    else {
        bail!("the fidelity check needs Chromium and node");
    };
    step("draw every diagram both ways and take screenshots (Chromium)", || {
        step::run(node.arg("fidelity/diagrams.mjs").env("MERMAID_JS", &mermaid).env("OUT_DIR", &out))
    })?;
    eprintln!("\nSide by side: {}", out.join("index.html").display());
    Ok(())
}
