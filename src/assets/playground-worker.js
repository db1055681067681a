// Backend Fundamentals: runs the examples' WebAssembly off the page's main thread.
//
// theme/playground.js starts one worker per module, naming it in the URL:
// `playground-worker.js?module=<name>` loads src/generated/playground_<name>/, built by xtask
// from the chapter list (one module per chapter; `sql` has SQLite and the SQL examples of every
// chapter). `?module=ts` is not WebAssembly: it runs the TypeScript examples, which xtask
// compiled to JavaScript in src/generated/ts/<chapter>/<name>.js (the example `<chapter>::<name>`;
// examples/tests/expected.rs checks the naming), by importing the file and calling its
// `run(input)`. An `InputError` it throws is reported as the Rust examples' errors are. Messages:
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
const TYPESCRIPT_MODULE = "ts"; // examples::registry::TYPESCRIPT_MODULE

// The TypeScript examples' "module": each run imports the example's compiled file (once; the
// browser keeps it) and calls its run(input). Same reply as the WebAssembly `run`.
const typescriptExamples = {
    async run(id, input) {
        const match = /^([a-z][a-z0-9_]*)::([a-z][a-z0-9_]*)$/.exec(id);
        if (!match) throw new Error(`no TypeScript example is called "${id}"`);
        const example = await import(new URL(`../generated/ts/${match[1]}/${match[2]}.js`, import.meta.url).href);
        if (typeof example.run !== "function") throw new Error(`${id} exports no run(input)`);
        let output;
        try {
            output = example.run(input);
        } catch (error) {
            // examples/src/ts_shared/input.ts; worded as examples::InputError's Display.
            if (error?.name === "InputError") {
                throw new Error(error.report());
            }
            throw error;
        }
        if (typeof output !== "string") throw new Error(`${id}: run returned ${typeof output}, not text`);
        return JSON.stringify({ output, figure: null });
    },
};

async function load() {
    if (moduleName === TYPESCRIPT_MODULE) {
        self.postMessage({ op: "ready", module: moduleName, instantiateMs: performance.now() - loadStarted });
        return typescriptExamples;
    }
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
        const { output, figure } = JSON.parse(await wasm.run(event.data.id, event.data.input));
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
