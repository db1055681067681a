// Backend Fundamentals: runs the examples' WebAssembly off the page's main thread.
//
// theme/playground.js starts one worker per module, naming it in the URL:
// `playground-worker.js?module=<name>` loads src/generated/playground_<name>/, built by xtask
// from the chapter list (one module per chapter; `sql` has SQLite and the SQL examples of every
// chapter). Messages:
//   → {seq, op: "run", id, input}      ← {seq, ok: true, output, figure, ms} or {seq, ok: false, error}
//   → {seq, op: "panic", message}       (tests only: panics inside the module)
// A panic traps the module (the wasm profile aborts on panic). The Rust panic hook hands the
// message over first; the worker reports it with `crashed: true` and closes, and the page starts
// a fresh worker for the next run. A run that never ends is stopped by the page's timeout.

let panicMessage = null;
globalThis.bfPlaygroundPanic = (message) => {
    panicMessage = message;
};

const moduleName = new URL(import.meta.url).searchParams.get("module") ?? "";
const loadStarted = performance.now();

async function load() {
    if (!/^[a-z][a-z0-9_]*$/.test(moduleName)) throw new Error(`no playground module is called "${moduleName}"`);
    const artifact = `playground_${moduleName}`;
    const base = new URL(`../generated/${artifact}/`, import.meta.url);
    const bindings = await import(new URL(`${artifact}.js`, base).href);
    await bindings.default({ module_or_path: new URL(`${artifact}_bg.wasm`, base) });
    self.postMessage({ op: "ready", module: moduleName, instantiateMs: performance.now() - loadStarted });
    return bindings;
}
const ready = load();

function describe(error) {
    if (typeof error === "string") return error;
    if (error && typeof error.message === "string") return error.message;
    return String(error);
}

self.onmessage = async (event) => {
    const { seq, op } = event.data;
    let wasm;
    try {
        wasm = await ready;
    } catch (error) {
        self.postMessage({ seq, ok: false, error: `Could not load the WebAssembly module (${moduleName}): ${describe(error)}` });
        return;
    }
    const started = performance.now();
    try {
        if (op === "panic") {
            wasm.panic_for_tests(event.data.message);
            self.postMessage({ seq, ok: false, error: "panic_for_tests returned without panicking" });
            return;
        }
        // One call: the text and the drawing come from one run of the example.
        const { output, figure } = JSON.parse(wasm.run(event.data.id, event.data.input));
        self.postMessage({ seq, ok: true, output, figure, ms: performance.now() - started });
    } catch (error) {
        if (error instanceof WebAssembly.RuntimeError) {
            const message = panicMessage ?? describe(error);
            self.postMessage({ seq, ok: false, crashed: true, error: `The example panicked: ${message}` });
            self.close();
            return;
        }
        self.postMessage({ seq, ok: false, error: describe(error), ms: performance.now() - started });
    }
};
