//! The wiring of every chapter, checked without a browser: the one line in the chapter list
//! (`examples/src/lib.rs`), its examples module, its page and its entry in `src/SUMMARY.md`,
//! its quiz, and what `examples/manifest.json` tells the preprocessor and xtask (which builds a
//! WebAssembly module for each module named there). A missing piece fails with its name.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use examples::registry::{Chapter, SQL_MODULE};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("examples/ is in the workspace").to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}

/// Every Markdown file under `src/`, as (path relative to `src/`, text).
fn pages() -> Vec<(String, String)> {
    let src = root().join("src");
    let mut found = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|name| name != "generated") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|ext| ext == "md") {
                let relative = path.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
                found.push((relative, read(&path)));
            }
        }
    }
    found.sort();
    found
}

/// The pages `src/SUMMARY.md` links, and whether each is in a Part (after the first `# ` heading),
/// where a chapter ends with a quiz.
fn summary() -> Vec<(String, bool)> {
    let mut in_part = false;
    let mut links = Vec::new();
    for line in read(&root().join("src/SUMMARY.md")).lines() {
        if line.starts_with("# ") && !line.starts_with("# Summary") {
            in_part = true;
        }
        if let Some(start) = line.find("](") {
            let target = &line[start + 2..];
            if let Some(end) = target.find(')')
                && end > 0
            {
                links.push((target[..end].to_string(), in_part));
            }
        }
    }
    links
}

/// Ids shown by `{{#example <id> …}}` directives on all pages.
fn shown_ids() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for (_, text) in pages() {
        for piece in text.split("{{#example ").skip(1) {
            if let Some(id) = piece.split(|c: char| c.is_whitespace() || c == '}').next() {
                ids.insert(id.to_string());
            }
        }
    }
    ids
}

fn quiz_of(chapter: &Chapter) -> String {
    let stem = chapter.page.trim_end_matches(".md").rsplit('/').next().unwrap();
    format!("quizzes/{stem}.toml")
}

#[test]
fn every_examples_folder_is_a_line_of_the_chapter_list() {
    let listed: Vec<&str> = examples::CHAPTERS.iter().map(|chapter| chapter.name).collect();
    let src = root().join("examples/src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if !path.join("mod.rs").is_file() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            listed.contains(&name.as_str()),
            "examples/src/{name}/ is not in the chapter list: add a line `{name} \"<page>.md\",` to `chapters!` in examples/src/lib.rs"
        );
    }
}

#[test]
fn every_chapter_has_its_page_in_the_summary() {
    let linked = summary();
    for chapter in examples::CHAPTERS {
        let page = root().join("src").join(chapter.page);
        assert!(
            page.is_file(),
            "chapter `{}`: its page src/{} is missing (the chapter list in examples/src/lib.rs names it)",
            chapter.name,
            chapter.page
        );
        assert!(
            linked.iter().any(|(target, _)| target == chapter.page),
            "chapter `{}`: its page {} is not linked from src/SUMMARY.md (point its entry at it: `- [Title]({})`)",
            chapter.name,
            chapter.page,
            chapter.page
        );
    }
}

#[test]
fn every_chapter_in_a_part_ends_with_its_quiz() {
    let linked = summary();
    for chapter in examples::CHAPTERS {
        let in_part = linked.iter().any(|(target, in_part)| target == chapter.page && *in_part);
        if !in_part {
            continue; // "How this book works" and the other pages before Part I have no quiz
        }
        let quiz = quiz_of(chapter);
        assert!(
            root().join("src").join(&quiz).is_file(),
            "chapter `{}`: its quiz src/{quiz} is missing",
            chapter.name
        );
        let page = read(&root().join("src").join(chapter.page));
        assert!(
            page.contains(&format!("{{{{#quiz {quiz}}}}}")),
            "chapter `{}`: its page src/{} does not show its quiz: add `{{{{#quiz {quiz}}}}}` at the end",
            chapter.name,
            chapter.page
        );
    }
}

/// The chapter standard (`../shared/DESIGN.md`): "In one minute" is an answer you could say
/// aloud in a minute, at most this many words.
const ONE_MINUTE_WORDS: usize = 150;

/// The text of a page's `## In one minute` section and the line its heading is on.
fn in_one_minute(page: &str) -> Option<(usize, String)> {
    let mut lines = page.lines().enumerate();
    let (heading, _) = lines.find(|(_, line)| line.trim_end() == "## In one minute")?;
    let body: Vec<&str> = lines.map(|(_, line)| line).take_while(|line| !line.starts_with("## ")).collect();
    Some((heading + 1, body.join("\n")))
}

#[test]
fn every_chapter_in_a_part_answers_in_one_minute() {
    let linked = summary();
    for chapter in examples::CHAPTERS {
        if !linked.iter().any(|(target, in_part)| target == chapter.page && *in_part) {
            continue;
        }
        let page = read(&root().join("src").join(chapter.page));
        let (line, text) = in_one_minute(&page)
            .unwrap_or_else(|| panic!("src/{}: no `## In one minute` section", chapter.page));
        let words = text.split_whitespace().count();
        assert!(
            words <= ONE_MINUTE_WORDS,
            "src/{}:{line}: \"In one minute\" has {words} words; the chapter standard allows {ONE_MINUTE_WORDS}",
            chapter.page
        );
    }
}

#[test]
fn in_one_minute_ends_at_the_next_section() {
    let page = "# T\n\n## In one minute\n\none two\nthree\n\n## How it works\n\nfour\n";
    assert_eq!(in_one_minute(page), Some((3, "\none two\nthree\n".to_string())));
    assert_eq!(in_one_minute("# T\n"), None);
}

#[test]
fn every_example_belongs_to_its_chapter_and_is_shown_on_a_page() {
    let shown = shown_ids();
    for chapter in examples::CHAPTERS {
        assert!(!chapter.examples.is_empty(), "chapter `{}`: its EXAMPLES list is empty", chapter.name);
        for example in chapter.examples {
            assert!(
                example.id.starts_with(&format!("{}::", chapter.name)),
                "`{}` is listed in chapter `{}`, so its id must start with `{}::`",
                example.id,
                chapter.name,
                chapter.name
            );
            assert!(
                shown.contains(example.id),
                "`{}` is shown on no page: put `{{{{#example {}}}}}` in src/{}",
                example.id,
                example.id,
                chapter.page
            );
        }
    }
    for id in &shown {
        assert!(
            examples::registry::find(id).is_some(),
            "a page shows `{{{{#example {id}}}}}`, but no chapter in examples/src/lib.rs lists `{id}`"
        );
    }
}

#[test]
fn every_quiz_file_is_shown_by_a_page() {
    let pages = pages();
    for entry in std::fs::read_dir(root().join("src/quizzes")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let directive = format!("{{{{#quiz quizzes/{name}}}}}");
        assert!(
            pages.iter().any(|(_, text)| text.contains(&directive)),
            "src/quizzes/{name} is shown by no page: put `{directive}` at the end of its chapter"
        );
    }
}

#[test]
fn wasm_modules_in_the_manifest_are_those_of_the_chapter_list() {
    for chapter in examples::CHAPTERS {
        assert!(
            chapter.wasm_module == chapter.name || chapter.wasm_module == SQL_MODULE,
            "chapter `{}` runs in module `{}`: a chapter has its own module, or `{SQL_MODULE}`",
            chapter.name,
            chapter.wasm_module
        );
    }
    let expected: BTreeSet<&str> = examples::CHAPTERS
        .iter()
        .filter(|chapter| chapter.examples.iter().any(|example| example.runs_in_wasm()))
        .map(|chapter| chapter.wasm_module)
        .collect();
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&root().join("examples/manifest.json"))).unwrap();
    let named: BTreeSet<&str> = manifest["examples"]
        .as_array()
        .expect("the manifest lists examples")
        .iter()
        .filter(|example| example["native_only"].is_null())
        // TypeScript examples run as JavaScript (module `ts`), not WebAssembly.
        .filter(|example| example["language"] != "typescript")
        .filter_map(|example| example["module"].as_str())
        .collect();
    if let Some(module) = expected.difference(&named).next() {
        panic!(
            "examples/manifest.json names no example of WebAssembly module `{module}`, so xtask would not build it: run `cargo xtask bless`"
        );
    }
    if let Some(module) = named.difference(&expected).next() {
        panic!(
            "examples/manifest.json names WebAssembly module `{module}`, which no chapter in examples/src/lib.rs runs in: run `cargo xtask bless`"
        );
    }
}
