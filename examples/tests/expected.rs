//! One test per registered example: it runs on its default input, its output equals
//! `examples/expected/<id>.out`, and its figure (if any) can be drawn. Plus the checks on the
//! registry as a whole: `examples/manifest.json` (what the preprocessor and xtask know of the
//! registry) matches it, no expected file is orphaned, ids are unique, native-only examples are
//! kept out of wasm builds and link to a simulation.
//!
//! The harness is libtest-mimic, so the examples run in parallel and `cargo test -p examples
//! --test expected -- <id>` runs one. `cargo xtask bless` sets `EXAMPLES_BLESS=1` to rewrite
//! the expected files and the manifest; nothing else writes them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use examples::registry::{Language, Run, TYPESCRIPT_MODULE, verified_part};
use examples::{CANNOT_RUN_HERE, Example, Runs};
use libtest_mimic::{Arguments, Failed, Trial};
use test_support::typescript::{self, NodeRun, Report};
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
        Trial::test(
            "registry::typescript_examples_are_where_their_ids_say",
            typescript_examples_are_where_their_ids_say,
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
    if example.language() == Language::TypeScript {
        return verified_typescript_output(example);
    }
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
    // Figures measured on this machine, after `MEASURED_MARKER`, are never compared or kept.
    compare_or_bless(example, verified_part(&output.text))
}

/// `verified` against `examples/expected/<id>.out`, or written there when blessing.
fn compare_or_bless(example: &Example, verified: &str) -> Result<(), Failed> {
    let path = expected_dir().join(example.expected_file_name());
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

/// The TypeScript examples, type-checked and compiled once per test run by the pinned `tsc`
/// into `<target>/typescript-examples/`: where the JavaScript is, or what `tsc` reported.
fn compiled_typescript() -> &'static Result<PathBuf, Report> {
    static COMPILED: OnceLock<Result<PathBuf, Report>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let out = typescript::test_out_dir();
        typescript::compile_for_node(&out).map(|()| out)
    })
}

/// What `tsc` reports for the `*.type-error.ts` files, once per test run.
fn type_error_report() -> &'static Result<Report, String> {
    static REPORT: OnceLock<Result<Report, String>> = OnceLock::new();
    REPORT.get_or_init(typescript::type_error_report)
}

/// A TypeScript example: type-checked with the others, then run on Node on its default input;
/// or, for one that shows a type error, `tsc`'s report on it, which must carry its declared code.
fn verified_typescript_output(example: &Example) -> Result<(), Failed> {
    // Asked once per test run, not once per example (it starts `node --version`).
    static MISSING: OnceLock<Option<String>> = OnceLock::new();
    if let Some(why) = MISSING.get_or_init(typescript::missing) {
        skip_or_fail(
            &format!("the TypeScript example {}", example.id),
            why,
            "Run `cargo xtask test`, which installs the pinned TypeScript.",
        );
        return Ok(());
    }
    match example.run {
        Run::TypeError { code } => {
            let report = type_error_report().as_ref().map_err(|err| format!("running tsc: {err}"))?;
            if !report.other.is_empty() {
                return Err(format!(
                    "tsc could not check the type-error examples:\n{}",
                    report.other.join("\n")
                )
                .into());
            }
            let Some(diagnostics) = report.by_file.get(example.file) else {
                return Err(format!(
                    "{}: tsc reports no error, and the example is declared to show {code}",
                    example.file
                )
                .into());
            };
            let others: Vec<String> =
                diagnostics.iter().filter(|d| d.code != code).map(ToString::to_string).collect();
            if !others.is_empty() {
                return Err(format!(
                    "the example is declared to show {code}, and tsc also reports:\n{}",
                    others.join("\n")
                )
                .into());
            }
            let printed: String = diagnostics.iter().map(|d| format!("{}\n", d.as_printed)).collect();
            compare_or_bless(example, &printed)
        }
        _ => {
            let out =
                compiled_typescript().as_ref().map_err(|report| match report.by_file.get(example.file) {
                    Some(own) => format!(
                        "it does not type-check:\n{}",
                        own.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
                    ),
                    None => format!("the TypeScript examples do not type-check:\n{}", report.describe()),
                })?;
            let js = typescript::compiled_path(out, example.file);
            match typescript::run_on_node(&js, example.default_input)? {
                NodeRun::Output(text) => compare_or_bless(example, verified_part(&text)),
                NodeRun::InputError(err) => Err(format!("its default input is rejected: {err}").into()),
            }
        }
    }
}

/// A TypeScript example's id is `<chapter>::<stem>` and its file
/// `examples/src/<chapter>/<stem>.ts` (`.type-error.ts` for one that shows a type error): the
/// page's worker finds the compiled file from the id's path alone.
fn typescript_examples_are_where_their_ids_say() -> Result<(), Failed> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for example in examples::registry::every().filter(|e| e.language() == Language::TypeScript) {
        let (chapter, stem) = example
            .id
            .split_once("::")
            .ok_or_else(|| format!("{}: an id is `<chapter>::<name>`", example.id))?;
        let suffix = if matches!(example.run, Run::TypeError { .. }) { "type-error.ts" } else { "ts" };
        let wanted = format!("examples/src/{chapter}/{stem}.{suffix}");
        if example.file != wanted {
            return Err(
                format!("{}: its file is {}, and its id says {wanted}", example.id, example.file).into()
            );
        }
        let on_disk = root.join("..").join(&wanted);
        if !Path::new(&on_disk).is_file() {
            return Err(format!("{}: {wanted} does not exist", example.id).into());
        }
        if let Run::TypeError { code } = example.run
            && (!code.starts_with("TS") || code.len() < 3 || !code[2..].bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!("{}: `{code}` is not a tsc code such as TS2322", example.id).into());
        }
    }
    // A file that shows a type error but no example registers would be checked by nothing.
    let registered: Vec<&str> = examples::registry::every().map(|e| e.file).collect();
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("listing {}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "node_modules" {
                    stack.push(path);
                }
            } else if name.ends_with(".type-error.ts") {
                let relative = format!("examples/{}", path.strip_prefix(&root).unwrap_or(&path).display());
                if !registered.contains(&relative.as_str()) {
                    return Err(format!(
                        "{relative} shows a type error, and no example registers it (Example::type_error)"
                    )
                    .into());
                }
            }
        }
    }
    Ok(())
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
        language: &'static str,
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
                language: match example.language() {
                    Language::Rust => "rust",
                    Language::TypeScript => "typescript",
                },
                module: match example.language() {
                    Language::Rust => chapter.wasm_module,
                    Language::TypeScript => TYPESCRIPT_MODULE,
                },
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
        comment: "Written by `cargo xtask bless` from the chapter list (examples::CHAPTERS); checked by `cargo test -p examples`. Read by the mdbook-examples preprocessor, and by xtask, which builds a WebAssembly module for each `module` of a Rust example named here (a TypeScript example's is `ts`: its JavaScript, compiled at build time).",
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
    // A TypeScript example has no Rust code to leave out.
    for example in examples::registry::every()
        .filter(|example| !example.runs_in_browser() && example.language() == Language::Rust)
    {
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
