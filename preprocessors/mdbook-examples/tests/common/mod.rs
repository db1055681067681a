//! A session over the fixture workspace in `tests/fixtures/ws`.

#![allow(dead_code)]

use std::path::PathBuf;

use mdbook_examples::config::Config;
use mdbook_examples::diagnostic::Diagnostic;
use mdbook_examples::{ChapterText, Session};

pub fn fixture_workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ws")
}

pub fn session(html: bool) -> Session {
    let config = Config { cache_dir: None, ..Config::default() }.resolve(&fixture_workspace());
    Session::new(config, html, fixture_workspace().join("src"))
}

pub fn chapter(content: &str) -> ChapterText {
    ChapterText {
        display_path: "src/chapter.md".into(),
        source_file: None,
        root: "../".into(),
        content: content.into(),
    }
}

pub fn render(content: &str) -> String {
    session(true)
        .process_chapter(&chapter(content))
        .unwrap_or_else(|errors| panic!("{}", errors.iter().map(ToString::to_string).collect::<String>()))
}

pub fn errors(content: &str) -> Vec<Diagnostic> {
    match session(true).process_chapter(&chapter(content)) {
        Ok(out) => panic!("expected an error, got:\n{out}"),
        Err(errors) => errors,
    }
}

/// One-line HTML split before block tags, so snapshots read (and diff) line by line.
pub fn readable(html: &str) -> String {
    let mut out = html.to_string();
    for tag in ["<figure", "<figcaption", "<pre", "<div", "<p ", "</figure>", "<span class=\"boring\">"] {
        out = out.replace(tag, &format!("\n{tag}"));
    }
    out.replace("&#10;", "&#10;\n")
}
