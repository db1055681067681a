//! The WebAssembly face of the `examples` crate.
//!
//! It writes no example logic of its own: [`run`] looks the id up in
//! [`examples::registry::GROUPS`] and calls the very function that `cargo test` ran.

use serde::Serialize;
use wasm_bindgen::prelude::*;

#[derive(Serialize)]
struct ExampleInfo {
    id: &'static str,
    title: &'static str,
    default_input: &'static str,
    input_help: &'static str,
}

/// The examples that can run here, as JSON: `[{id, title, default_input, input_help}]`.
#[wasm_bindgen]
pub fn examples() -> String {
    let list: Vec<ExampleInfo> = examples::registry::every()
        .filter(|example| example.runs_in_browser())
        .map(|example| ExampleInfo {
            id: example.id,
            title: example.title,
            default_input: example.default_input,
            input_help: example.input_help,
        })
        .collect();
    serde_json::to_string(&list).expect("example metadata serialises")
}

/// Runs example `id` on `input`. Errors (unknown id, native-only example, bad input) come
/// back as a readable message.
#[wasm_bindgen]
pub fn run(id: &str, input: &str) -> Result<String, String> {
    (browser_example(id)?.run)(input).map_err(|err| err.to_string())
}

/// The run of example `id` on `input` as a drawing (JSON of [`examples::Figure`]), or `None`
/// for examples that only print text.
#[wasm_bindgen]
pub fn figure(id: &str, input: &str) -> Result<Option<String>, String> {
    let Some(figure) = browser_example(id)?.figure else { return Ok(None) };
    let figure = figure(input).map_err(|err| err.to_string())?;
    Ok(Some(serde_json::to_string(&figure).expect("figures serialise")))
}

fn browser_example(id: &str) -> Result<&'static examples::Example, String> {
    let example = examples::registry::find(id).ok_or_else(|| format!("no example `{id}`"))?;
    if let examples::Runs::NativeOnly { reason, .. } = example.runs {
        return Err(format!("`{id}` runs only natively: {reason}"));
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

    #[test]
    fn lists_only_browser_examples_and_runs_them() {
        let list: Vec<serde_json::Value> = serde_json::from_str(&examples()).unwrap();
        assert!(!list.is_empty());
        for entry in list {
            let id = entry["id"].as_str().unwrap();
            let example = examples::registry::find(id).unwrap();
            assert!(example.runs_in_browser());
            assert_eq!(
                run(id, example.default_input),
                (example.run)(example.default_input).map_err(|e| e.to_string())
            );
        }
        assert!(run("no::such", "").unwrap_err().contains("no example"));
        assert!(figure("no::such", "").unwrap_err().contains("no example"));
    }
}
