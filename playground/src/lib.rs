//! The WebAssembly face of the `examples` crate.
//!
//! It writes no example logic of its own. Each WebAssembly module of the site is a cdylib crate
//! that `cargo xtask` generates with one line, `playground::wasm_module!("<name>");`, whose
//! exported `run` looks an id up among the examples of that module's chapters and calls the
//! very function that `cargo test` ran.
//!
//! A module carries only its own chapters' code. The chapters it serves are chosen at compile
//! time ([`select`]), so the module refers to no other chapter's examples and the linker drops
//! their code; no chapter needs a cargo feature of its own.

use examples::registry::{Language, TYPESCRIPT_MODULE};
use examples::{Example, Figure, Runs};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// For [`wasm_module!`], which expands in the generated module crates.
#[doc(hidden)]
pub use wasm_bindgen;

/// The examples a module can run: for each chapter of [`examples::CHAPTERS`], its examples if
/// the chapter belongs to the module, else none.
pub type Selection = [&'static [Example]; examples::CHAPTERS.len()];

/// The chapters of WebAssembly module `module`, chosen at compile time. A module name that no
/// chapter uses fails the build.
pub const fn select(module: &str) -> Selection {
    let mut selection: Selection = [&[]; examples::CHAPTERS.len()];
    let mut found = false;
    let mut i = 0;
    while i < examples::CHAPTERS.len() {
        if same_str(examples::CHAPTERS[i].wasm_module, module) {
            selection[i] = examples::CHAPTERS[i].examples;
            found = true;
        }
        i += 1;
    }
    assert!(found, "no chapter in examples::CHAPTERS runs in this WebAssembly module");
    selection
}

const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The exports of one WebAssembly module: `run(id, input)` for the browser-capable examples
/// of the chapters whose `wasm_module` is `$module`.
#[macro_export]
macro_rules! wasm_module {
    ($module:literal) => {
        static SELECTION: $crate::Selection = $crate::select($module);

        /// Runs example `id` on `input`: JSON `{"output": text, "figure": drawing or null}`,
        /// from one computation, or a readable error (unknown id, native-only example, bad input).
        #[$crate::wasm_bindgen::prelude::wasm_bindgen(wasm_bindgen = $crate::wasm_bindgen)]
        pub fn run(id: &str, input: &str) -> Result<String, String> {
            $crate::run(&SELECTION, id, input)
        }
    };
}

/// What one run sends to the page.
#[derive(Serialize)]
struct Reply<'a> {
    output: &'a str,
    figure: Option<&'a Figure>,
}

/// The start of the error `run` returns for a figure that fails `Figure::validate` (a bug in
/// the simulation, never the reader's input); the wasm fuzz run counts it as a failure.
pub const BROKEN_FIGURE: &str = "internal error: the simulation drew a figure the page cannot replay";

/// Runs example `id` of `selection` on `input`; the module's `run` export. Its figure is
/// checked before it goes to the page, so every input the reader (or the fuzz run) tries gets a
/// drawing the page can draw and step through, or an error that says which check failed.
pub fn run(selection: &Selection, id: &str, input: &str) -> Result<String, String> {
    let example = browser_example(selection, id)?;
    let output = example.output(input).map_err(|err| err.to_string())?;
    if let Some(figure) = &output.figure {
        figure.validate().map_err(|problem| format!("{BROKEN_FIGURE} (`{id}`): {problem}"))?;
    }
    let reply = Reply { output: &output.text, figure: output.figure.as_ref() };
    serde_json::to_string(&reply)
        .map_err(|err| format!("`{id}`: its output cannot be sent to the page: {err}"))
}

fn browser_example(selection: &Selection, id: &str) -> Result<&'static Example, String> {
    let example = selection
        .iter()
        .flat_map(|examples| examples.iter())
        .find(|example| example.id == id)
        .ok_or_else(|| format!("no example `{id}` in this module"))?;
    if let Runs::NativeOnly { reason, .. } = example.runs {
        return Err(format!("`{id}` runs only natively: {reason}"));
    }
    if example.language() != Language::Rust {
        return Err(format!(
            "`{id}` is a TypeScript example: the page runs its JavaScript (module `{TYPESCRIPT_MODULE}`), not WebAssembly"
        ));
    }
    Ok(example)
}

#[wasm_bindgen]
extern "C" {
    /// Defined by the worker (`src/assets/playground-worker.js`) before it loads the module.
    #[wasm_bindgen(js_namespace = globalThis, js_name = bfPlaygroundPanic)]
    fn report_panic(message: &str);
}

/// Runs when the module is instantiated. The wasm profile aborts on panic, which traps and
/// leaves the instance unusable; the hook first hands the message to the worker, which shows
/// it and starts a fresh instance for the next run.
#[wasm_bindgen(start)]
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| report_panic(&info.to_string())));
}

/// Panics on purpose, so the browser tests can check that a panic shows its message and that
/// the next run still works.
#[wasm_bindgen]
pub fn panic_for_tests(message: &str) {
    panic!("{message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every wasm module the chapter list names.
    fn modules() -> Vec<&'static str> {
        let mut modules: Vec<&str> = examples::CHAPTERS.iter().map(|chapter| chapter.wasm_module).collect();
        modules.sort_unstable();
        modules.dedup();
        modules
    }

    #[test]
    fn a_module_selects_exactly_its_own_chapters() {
        for module in modules() {
            let selection = select(module);
            for (chapter, selected) in examples::CHAPTERS.iter().zip(selection) {
                let expected: &[Example] = if chapter.wasm_module == module { chapter.examples } else { &[] };
                assert_eq!(
                    selected.iter().map(|e| e.id).collect::<Vec<_>>(),
                    expected.iter().map(|e| e.id).collect::<Vec<_>>(),
                    "module `{module}`, chapter `{}`",
                    chapter.name
                );
            }
        }
    }

    /// What `cargo test -p examples` verified and the page shows.
    fn verified_output(example: &Example) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/expected")
            .join(example.expected_file_name());
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
    }

    #[test]
    fn run_replies_with_the_verified_output_and_a_drawable_figure() {
        let mut ran = 0;
        for module in modules() {
            let selection = select(module);
            for example in selection.iter().flat_map(|examples| examples.iter()) {
                if !example.runs_in_browser() {
                    let refused = run(&selection, example.id, example.default_input).unwrap_err();
                    assert!(refused.contains("runs only natively"), "{}: {refused}", example.id);
                    continue;
                }
                if !example.runs_in_wasm() {
                    let refused = run(&selection, example.id, example.default_input).unwrap_err();
                    assert!(refused.contains("is a TypeScript example"), "{}: {refused}", example.id);
                    continue;
                }
                let reply: serde_json::Value =
                    serde_json::from_str(&run(&selection, example.id, example.default_input).unwrap())
                        .unwrap();
                // Only the verified part: figures after `MEASURED_MARKER` differ on every run.
                let output = reply["output"].as_str().unwrap_or_default();
                assert_eq!(
                    examples::registry::verified_part(output),
                    verified_output(example),
                    "{}",
                    example.id
                );
                // The figure is the example's own drawing of that run (both sides through JSON
                // text, so that floats compare digit for digit), and it can be drawn.
                let direct = example.output(example.default_input).unwrap().figure;
                let figure: serde_json::Value =
                    serde_json::from_str(&serde_json::to_string(&direct).unwrap()).unwrap();
                assert_eq!(reply["figure"], figure, "{}", example.id);
                assert_eq!(reply["figure"].is_null(), !example.has_figure(), "{}", example.id);
                if let Some(direct) = direct {
                    direct.validate().unwrap_or_else(|problem| panic!("{}: {problem}", example.id));
                }
                ran += 1;
            }
        }
        assert!(ran > 0, "no browser-capable example ran");
    }

    #[test]
    fn a_figure_that_fails_validation_is_an_internal_error_not_a_reply() {
        fn broken(_: &str) -> Result<examples::registry::Drawn, examples::InputError> {
            let figure =
                Figure::Timeline { title: "t".into(), unit: "ms".into(), lanes: vec![], steps: vec![] };
            let mut drawn = examples::registry::Drawn { text: "ok".into(), figure };
            if let Figure::Timeline { steps, .. } = &mut drawn.figure {
                steps.push(examples::figure::Step { at: -1.0, text: "back in time".into(), marks: vec![] });
            }
            Ok(drawn)
        }
        static BROKEN: [Example; 1] = [Example {
            id: "test::broken",
            title: "a simulation with a bug",
            file: file!(),
            default_input: "",
            input_help: "",
            runs: Runs::Everywhere,
            run: examples::registry::Run::Drawn(broken),
        }];
        let mut selection: Selection = [&[]; examples::CHAPTERS.len()];
        selection[0] = &BROKEN;
        let refused = run(&selection, "test::broken", "").unwrap_err();
        assert!(refused.starts_with(BROKEN_FIGURE), "{refused}");
        assert!(refused.contains("step 1 (`back in time`)"), "{refused}");
    }

    #[test]
    fn a_module_does_not_run_another_modules_examples() {
        let other = examples::CHAPTERS.iter().find(|chapter| chapter.wasm_module != "processes").unwrap();
        let id = other.examples[0].id;
        let refused = run(&select("processes"), id, "").unwrap_err();
        assert_eq!(refused, format!("no example `{id}` in this module"));
        assert!(run(&select("processes"), "no::such", "").unwrap_err().contains("no example `no::such`"));
    }

    #[test]
    fn bad_input_is_a_readable_error() {
        let selection = select("scheduling");
        let error = run(&selection, "scheduling::scheduler", "cores = many\n").unwrap_err();
        assert!(error.starts_with("input line 1:"), "{error}");
    }

    // The macro expands natively too (the generated crates expand it for wasm32).
    mod expanded {
        crate::wasm_module!("networking");

        #[test]
        fn the_macro_exports_run_for_its_module() {
            assert!(run("networking::http_parser", "GET / HTTP/1.1\nHost: h\n\n").is_ok());
            assert!(run("scheduling::scheduler", "").unwrap_err().contains("no example"));
        }
    }
}
