// Backend Fundamentals: runs the examples' WebAssembly off the page's main thread.
//
// theme/playground.js starts this worker on the first Run (or when the playground page opens)
// and talks to it with messages:
//   → {seq, op: "run", id, input}      ← {seq, ok: true, output, figure, ms} or {seq, ok: false, error}
//   → {seq, op: "panic", message}       (tests only: panics inside the module)
// A panic traps the module (the wasm profile aborts on panic). The Rust panic hook hands the
// message over first; the worker reports it with `crashed: true` and closes, and the page starts
// a fresh worker for the next run. A run that never ends is stopped by the page's timeout.

import init, { run, figure, panic_for_tests } from "../generated/playground/playground.js";

let panicMessage = null;
globalThis.bfPlaygroundPanic = (message) => {
    panicMessage = message;
};

const loadStarted = performance.now();
const ready = init({ module_or_path: new URL("../generated/playground/playground_bg.wasm", import.meta.url) }).then(
    () => {
        const instantiateMs = performance.now() - loadStarted;
        self.postMessage({ op: "ready", instantiateMs });
    },
);

function describe(error) {
    if (typeof error === "string") return error;
    if (error && typeof error.message === "string") return error.message;
    return String(error);
}

self.onmessage = async (event) => {
    const { seq, op } = event.data;
    try {
        await ready;
    } catch (error) {
        self.postMessage({ seq, ok: false, error: `Could not load the WebAssembly module: ${describe(error)}` });
        return;
    }
    const started = performance.now();
    try {
        if (op === "panic") {
            panic_for_tests(event.data.message);
            self.postMessage({ seq, ok: false, error: "panic_for_tests returned without panicking" });
            return;
        }
        const output = run(event.data.id, event.data.input);
        const drawing = figure(event.data.id, event.data.input);
        self.postMessage({
            seq,
            ok: true,
            output,
            figure: drawing === undefined || drawing === null ? null : JSON.parse(drawing),
            ms: performance.now() - started,
        });
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
