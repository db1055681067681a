//! One test per registered example: it runs on its default input, its output equals
//! `examples/expected/<id>.out`, and its figure (if any) can be drawn. Plus the checks on the
//! registry as a whole: `examples/manifest.json` (what the preprocessor and xtask know of the
//! registry) matches it, no expected file is orphaned, ids are unique, native-only examples are
//! kept out of wasm builds and link to a simulation.
//!
//! The harness is libtest-mimic, so the examples run in parallel and `cargo test -p examples
//! --test expected -- <id>` runs one. `cargo xtask bless` sets `EXAMPLES_BLESS=1` to rewrite
//! the expected files and the manifest; nothing else writes them.

use std::path::PathBuf;

use examples::registry::verified_part;
use examples::{CANNOT_RUN_HERE, Example, Runs};
use libtest_mimic::{Arguments, Failed, Trial};
use test_support::{blessing, line_diff, skip_or_fail};

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = examples::registry::every()
        .map(|example| Trial::test(example.id, move || verified_output(example)))
        .collect();
    trials.extend([
        Trial::test("registry::manifest_matches_the_registry", manifest_matches_the_registry),
        Trial::test("registry::no_expected_file_is_orphaned", no_expected_file_is_orphaned),
        Trial::test("registry::ids_are_unique", ids_are_unique),
        Trial::test(
            "registry::native_only_examples_link_to_a_browser_simulation",
            native_only_examples_link_to_a_browser_simulation,
        ),
        Trial::test(
            "registry::native_only_examples_are_left_out_of_wasm_builds",
            native_only_examples_are_left_out_of_wasm_builds,
        ),
        Trial::test("search::book_corpus_is_current", book_corpus_is_current),
    ]);
    libtest_mimic::run(&args, trials).exit();
}

/// `examples/data/book-corpus.txt`, which the search chapter's browser example reads, is derived
/// from the chapters' Markdown; blessing rewrites it (`cargo xtask bless` does that first, since
/// the examples that print it include the file when they are compiled).
fn book_corpus_is_current() -> Result<(), Failed> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    examples::search::corpus::check_or_bless(&root, blessing()).map_err(Failed::from)
}

fn expected_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("expected")
}

/// The example on its default input: the output the page shows, and a drawable figure.
fn verified_output(example: &Example) -> Result<(), Failed> {
    let output = match example.output(example.default_input) {
        Ok(output) => output,
        // A native example whose claim this machine's kernel settings cannot show: skipped
        // loudly here, a failure in CI (see `examples::CANNOT_RUN_HERE`).
        Err(err) if err.message.contains(CANNOT_RUN_HERE) => {
            let why = &err.message[err.message.find(CANNOT_RUN_HERE).unwrap_or(0) + CANNOT_RUN_HERE.len()..];
            skip_or_fail(
                &format!("the example {}", example.id),
                why,
                "Change the setting it names and run it again.",
            );
            return Ok(());
        }
        Err(err) => return Err(format!("its default input is rejected: {err}").into()),
    };
    if let Some(figure) = &output.figure {
        figure.validate().map_err(|problem| format!("its figure cannot be drawn: {problem}"))?;
    }
    let path = expected_dir().join(example.expected_file_name());
    // Figures measured on this machine, after `MEASURED_MARKER`, are never compared or kept.
    let verified = verified_part(&output.text);
    if blessing() {
        return std::fs::write(&path, verified)
            .map_err(|e| format!("writing {}: {e}", path.display()).into());
    }
    match std::fs::read_to_string(&path) {
        Ok(expected) if expected == verified => Ok(()),
        Ok(expected) => Err(format!(
            "the output differs from {}:\n{}\nIf the new output is right, run `cargo xtask bless` and review the diff.",
            path.display(),
            line_diff(&expected, verified)
        )
        .into()),
        Err(err) => Err(format!("no verified output at {} ({err}); run `cargo xtask bless`", path.display()).into()),
    }
}

/// The registry as the preprocessor and xtask read it: `examples/manifest.json`. Structs, not
/// `json!` maps: a map's key order depends on serde_json's `preserve_order` feature, which
/// another crate of the workspace may turn on (merman, in the preprocessor), and the file must
/// be the same in every build. Fields are in alphabetical order, as the file has always had them.
fn manifest() -> String {
    #[derive(serde::Serialize)]
    struct Manifest {
        comment: &'static str,
        examples: Vec<Entry>,
    }
    #[derive(serde::Serialize)]
    struct Entry {
        default_input: &'static str,
        expected: String,
        figure: bool,
        file: &'static str,
        id: &'static str,
        input_help: &'static str,
        module: &'static str,
        native_only: Option<&'static str>,
        simulation: Option<&'static str>,
        title: &'static str,
    }
    let examples = examples::registry::every()
        .map(|example| {
            let chapter = examples::registry::chapter_of(example.id).expect("every example is in a chapter");
            Entry {
                default_input: example.default_input,
                expected: format!("examples/expected/{}", example.expected_file_name()),
                figure: example.has_figure(),
                file: example.file,
                id: example.id,
                input_help: example.input_help,
                module: chapter.wasm_module,
                native_only: match example.runs {
                    Runs::Everywhere => None,
                    Runs::NativeOnly { reason, .. } => Some(reason),
                },
                simulation: match example.runs {
                    Runs::Everywhere => None,
                    Runs::NativeOnly { simulation, .. } => simulation,
                },
                title: example.title,
            }
        })
        .collect();
    let doc = Manifest {
        comment: "Written by `cargo xtask bless` from the chapter list (examples::CHAPTERS); checked by `cargo test -p examples`. Read by the mdbook-examples preprocessor, and by xtask, which builds a WebAssembly module for each `module` named here.",
        examples,
    };
    serde_json::to_string_pretty(&doc).expect("the manifest serialises") + "\n"
}

fn manifest_matches_the_registry() -> Result<(), Failed> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("manifest.json");
    let current = manifest();
    if blessing() {
        return std::fs::write(&path, current).map_err(|e| format!("writing {}: {e}", path.display()).into());
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if on_disk == current {
        return Ok(());
    }
    Err(format!(
        "examples/manifest.json is out of date with the chapter list (examples::CHAPTERS):\n{}\nRun `cargo xtask bless`.",
        line_diff(&on_disk, &current)
    )
    .into())
}

fn no_expected_file_is_orphaned() -> Result<(), Failed> {
    let known: Vec<String> = examples::registry::every().map(Example::expected_file_name).collect();
    let dir = expected_dir();
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| format!("listing {}: {e}", dir.display()))? {
        let name = entry.map_err(|e| e.to_string())?.file_name().to_string_lossy().into_owned();
        if !known.contains(&name) {
            orphans.push(format!("examples/expected/{name}"));
        }
    }
    if orphans.is_empty() {
        return Ok(());
    }
    Err(format!("belong to no registered example: {}", orphans.join(", ")).into())
}

fn ids_are_unique() -> Result<(), Failed> {
    let mut ids: Vec<&str> = examples::registry::every().map(|e| e.id).collect();
    ids.sort_unstable();
    match ids.windows(2).find(|pair| pair[0] == pair[1]) {
        Some(pair) => Err(format!("two examples share the id `{}`", pair[0]).into()),
        None => Ok(()),
    }
}

fn native_only_examples_link_to_a_browser_simulation() -> Result<(), Failed> {
    for example in examples::registry::every() {
        let Runs::NativeOnly { reason, simulation } = example.runs else { continue };
        if reason.trim().is_empty() {
            return Err(format!("{}: give the reason it runs only natively", example.id).into());
        }
        if reason.contains('\n') {
            return Err(format!("{}: the reason is shown in one line", example.id).into());
        }
        if let Some(target) = simulation {
            let found = examples::registry::find(target)
                .ok_or_else(|| format!("{}: simulation `{target}` is not registered", example.id))?;
            if !found.runs_in_browser() {
                return Err(format!("{}: simulation `{target}` cannot run in a browser", example.id).into());
            }
        }
    }
    Ok(())
}

fn native_only_examples_are_left_out_of_wasm_builds() -> Result<(), Failed> {
    for example in examples::registry::every().filter(|example| !example.runs_in_browser()) {
        // examples/src/processes/crash.rs: the entry `crash::…` in examples/src/processes/mod.rs
        let path = example.file.trim_start_matches("examples/");
        let (chapter, file) =
            path.rsplit_once('/').ok_or_else(|| format!("{}: odd file {path}", example.id))?;
        let list_file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(chapter).join("mod.rs");
        let list = std::fs::read_to_string(&list_file)
            .map_err(|e| format!("reading {}: {e}", list_file.display()))?;
        let module = file.trim_end_matches(".rs");
        let lines: Vec<&str> = list.lines().map(str::trim).collect();
        let entry = lines
            .iter()
            .position(|line| line.starts_with(&format!("{module}::")))
            .ok_or_else(|| format!("{}: no entry `{module}::…` in {}", example.id, list_file.display()))?;
        let attribute = if entry == 0 { "" } else { lines[entry - 1] };
        if attribute != "#[cfg(not(target_family = \"wasm\"))]" {
            return Err(format!(
                "{}: runs only natively, so its entry in EXAMPLES needs #[cfg(not(target_family = \"wasm\"))] to keep it out of the wasm module",
                example.id
            )
            .into());
        }
    }
    Ok(())
}
