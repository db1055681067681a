// Backend Fundamentals: runs the book's examples in the browser.
//
// Loaded on every page (book.toml, additional-js) and small; it does nothing until needed:
// * under each runnable example (`div.bf-run`, written by the mdbook-examples preprocessor) it
//   shows Run, an input editor (Reset, Ctrl+Enter) and the result next to the verified output;
// * on the playground page (`#bf-playground-data`, from `{{#runnable-examples}}`) it builds the
//   editor for the example named in the URL hash (`#example=<id>&input=<text>`).
// The WebAssembly module runs in a worker (src/assets/playground-worker.js), started on the first
// Run or when the playground page opens, so pages without a Run never fetch it and a runaway run
// can be stopped without freezing the tab.

(() => {
    "use strict";

    // mdBook defines `path_to_root` in every page.
    const ROOT = typeof path_to_root === "string" ? path_to_root : "";
    const REVEAL_MARKER = "--- answer ---"; // examples::REVEAL_MARKER
    const RUN_TIMEOUT_MS = 10000;
    const SVG = "http://www.w3.org/2000/svg";

    // ---- The workers: one per WebAssembly module ---------------------------------------------

    // One per chapter (`processes`, `networking`, …) and `sql`: src/generated/playground_<name>/.
    const timings = { instantiateMs: {}, runs: [] };
    const workers = new Map();
    let nextSeq = 1;

    class ModuleWorker {
        constructor(module) {
            this.module = module;
            this.pending = new Map();
            this.start();
        }

        start() {
            this.worker = new Worker(`${ROOT}assets/playground-worker.js?module=${encodeURIComponent(this.module)}`, { type: "module" });
            this.worker.onmessage = (event) => {
                const reply = event.data;
                if (reply.op === "ready") {
                    timings.instantiateMs[this.module] = reply.instantiateMs;
                    return;
                }
                const waiting = this.pending.get(reply.seq);
                if (!waiting) return;
                this.pending.delete(reply.seq);
                clearTimeout(waiting.timer);
                if (reply.crashed) this.worker = null; // it closed itself; the next run starts a new one
                waiting.resolve(reply);
            };
            this.worker.onerror = (event) => {
                event.preventDefault();
                this.worker = null;
                this.failPending(`Could not start the playground (${this.module}): ${event.message || "the worker script or its WebAssembly failed to load"}`);
            };
        }

        failPending(message) {
            for (const { resolve, timer } of this.pending.values()) {
                clearTimeout(timer);
                resolve({ ok: false, error: message });
            }
            this.pending.clear();
        }

        request(message) {
            if (!this.worker) this.start();
            const seq = nextSeq++;
            return new Promise((resolve) => {
                const timer = setTimeout(() => {
                    this.pending.delete(seq);
                    this.worker?.terminate();
                    this.worker = null;
                    this.failPending("Stopped: another run was cancelled with it.");
                    resolve({ ok: false, error: `Stopped after ${RUN_TIMEOUT_MS / 1000} s without an answer. Try a smaller input.` });
                }, RUN_TIMEOUT_MS);
                this.pending.set(seq, { resolve, timer });
                this.worker.postMessage({ seq, ...message });
            });
        }
    }

    function workerFor(module) {
        if (!workers.has(module)) workers.set(module, new ModuleWorker(module));
        return workers.get(module);
    }

    const runExample = (id, input, module) => workerFor(module).request({ op: "run", id, input });

    /** Runs an example, hands the reply to `show`, and records click → shown for the bench. */
    async function runAndShow(id, input, module, show) {
        const clicked = performance.now();
        const reply = await runExample(id, input, module);
        show(reply);
        timings.runs.push({ id, ms: performance.now() - clicked, wasmMs: reply.ms ?? null });
    }

    // For the browser tests and `cargo xtask bench`.
    window.bfPlayground = {
        timings,
        run: runExample,
        panic: (message, module) => workerFor(module).request({ op: "panic", message }),
        splitAnswer,
    };

    // ---- Small helpers -------------------------------------------------------------------------

    const { el } = window.bfDom;

    // Input help is one line with `code` spans.
    function helpLine(text) {
        const p = el("p", { class: "bf-input-help" });
        text.split("`").forEach((part, i) => p.append(i % 2 ? el("code", { text: part }) : part));
        return p;
    }

    const withoutTrailingNewlines = (text) => text.replace(/\n+$/, "");

    // The output's lines (ending at "\n") before its first line that is exactly REVEAL_MARKER,
    // and the lines after that line (the answer), or [text, null] when no line is the marker.
    // The preprocessor's render::split_answer follows the same rule for the verified output.
    function splitAnswer(text) {
        const lines = text.split("\n");
        const marker = lines.indexOf(REVEAL_MARKER);
        if (marker < 0) return [text, null];
        return [lines.slice(0, marker).join("\n"), lines.slice(marker + 1).join("\n")];
    }

    function hashFor(id, input, defaultInput) {
        const params = new URLSearchParams();
        params.set("example", id);
        if (input !== defaultInput) params.set("input", input);
        return `#${params.toString()}`;
    }

    // ---- The result: status, output, answer, figure ---------------------------------------------

    function resultView() {
        const status = el("p", { class: "bf-status" });
        const output = el("code", { class: "language-text" });
        const outputPre = el("pre", { class: "bf-io bf-run-output", hidden: true }, output);
        const answer = el("code", { class: "language-text" });
        const answerPre = el("pre", { class: "bf-io bf-answer", hidden: true }, answer);
        const reveal = el("button", { type: "button", class: "bf-reveal-button", hidden: true, text: "Reveal the answer" });
        const figure = el("div", { class: "bf-figure" });
        reveal.addEventListener("click", () => {
            answerPre.hidden = false;
            figure.hidden = false;
            reveal.hidden = true;
        });
        const root = el("div", { class: "bf-result", role: "status", "aria-live": "polite" }, status, outputPre, reveal, answerPre, figure);

        function show(reply, { verified, edited }) {
            root.dataset.state = reply.ok ? "ok" : "error";
            root.dataset.runs = String(Number(root.dataset.runs ?? 0) + 1); // lets tests wait for a result
            figure.replaceChildren();
            figure.hidden = false;
            if (!reply.ok) {
                status.className = "bf-status bf-error";
                status.textContent = reply.error;
                outputPre.hidden = true;
                reveal.hidden = true;
                answerPre.hidden = true;
                return;
            }
            const text = reply.output;
            const [shown, hidden] = splitAnswer(text);
            output.textContent = withoutTrailingNewlines(shown);
            outputPre.hidden = false;
            answer.textContent = hidden === null ? "" : withoutTrailingNewlines(hidden);
            reveal.hidden = hidden === null;
            answerPre.hidden = true;
            figure.hidden = hidden !== null; // a drawing would give the answer away
            const ms = `ran in ${reply.ms < 1 ? "<1" : Math.round(reply.ms)} ms`;
            if (edited) {
                status.className = "bf-status";
                status.textContent = `Output for your input (${ms}). The verified output is for the default input.`;
            } else if (verified === null || verified === undefined) {
                status.className = "bf-status";
                status.textContent = `Output (${ms}).`;
            } else if (withoutTrailingNewlines(text) === withoutTrailingNewlines(verified)) {
                status.className = "bf-status bf-match";
                status.textContent = `✓ Same as the verified output (${ms} in your browser).`;
            } else {
                status.className = "bf-status bf-mismatch";
                status.textContent = `✗ Differs from the verified output (${ms}). Please report this: the browser and cargo test disagree.`;
            }
            if (reply.figure) figure.append(drawFigure(reply.figure));
        }
        return { root, show };
    }

    // ---- Figures --------------------------------------------------------------------------------

    function svgEl(tag, attributes = {}, text) {
        const node = document.createElementNS(SVG, tag);
        for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
        if (text !== undefined) node.textContent = text;
        return node;
    }

    function niceStep(max, wanted) {
        const raw = max / wanted;
        const power = 10 ** Math.floor(Math.log10(raw || 1));
        return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) || power * 10;
    }

    const fmt = (t) => (Number.isInteger(t) ? String(t) : t.toFixed(1));

    function drawFigure(figure) {
        const wrap = el("figure", { class: `bf-drawing bf-drawing-${figure.kind}` });
        wrap.append(el("figcaption", { text: figure.title }));
        if (figure.kind === "timeline") wrap.append(drawTimeline(figure), legend(figure));
        else if (figure.kind === "sequence") wrap.append(drawSequence(figure));
        else wrap.append(el("p", { class: "bf-error", text: `Cannot draw a figure of kind ${figure.kind}.` }));
        return wrap;
    }

    const SPAN_NAMES = { busy: "running / sending", wait: "waiting (I/O, network)", overhead: "overhead (switch, handshake)", idle: "idle", lost: "lost / retransmitted" };

    function legend({ lanes }) {
        const kinds = new Set(lanes.flatMap((lane) => lane.spans.map((span) => span.kind)));
        const list = el("ul", { class: "bf-legend" });
        for (const kind of Object.keys(SPAN_NAMES)) {
            if (kinds.has(kind)) list.append(el("li", { class: `bf-span-${kind}`, text: SPAN_NAMES[kind] }));
        }
        return list;
    }

    function drawTimeline({ unit, lanes }) {
        const width = 760, labelWidth = 120, laneHeight = 22, gap = 6, top = 6, axis = 26;
        const end = Math.max(1, ...lanes.flatMap((lane) => lane.spans.map((span) => span.end)));
        const plot = width - labelWidth - 12;
        const x = (t) => labelWidth + (t / end) * plot;
        const height = top + lanes.length * (laneHeight + gap) + axis;
        const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, class: "bf-svg", role: "img" });
        svg.append(svgEl("title", {}, `Timeline in ${unit}`));
        lanes.forEach((lane, i) => {
            const y = top + i * (laneHeight + gap);
            svg.append(svgEl("text", { x: labelWidth - 8, y: y + laneHeight / 2, class: "bf-lane-label", "text-anchor": "end", "dominant-baseline": "middle" }, lane.name));
            svg.append(svgEl("rect", { x: labelWidth, y, width: plot, height: laneHeight, class: "bf-lane" }));
            for (const span of lane.spans) {
                const w = Math.max(1, x(span.end) - x(span.start));
                const group = svgEl("g", { class: `bf-span bf-span-${span.kind}` });
                group.append(svgEl("title", {}, `${lane.name}: ${span.label}, ${fmt(span.start)}–${fmt(span.end)} ${unit}`));
                group.append(svgEl("rect", { x: x(span.start), y, width: w, height: laneHeight, rx: 2 }));
                if (w > 8 * span.label.length + 6) {
                    group.append(svgEl("text", { x: x(span.start) + w / 2, y: y + laneHeight / 2, "text-anchor": "middle", "dominant-baseline": "middle" }, span.label));
                }
                svg.append(group);
            }
        });
        const axisY = top + lanes.length * (laneHeight + gap) + 4;
        svg.append(svgEl("line", { x1: labelWidth, x2: labelWidth + plot, y1: axisY, y2: axisY, class: "bf-axis" }));
        const step = niceStep(end, 8);
        for (let t = 0; t <= end + 1e-9; t += step) {
            svg.append(svgEl("line", { x1: x(t), x2: x(t), y1: axisY, y2: axisY + 4, class: "bf-axis" }));
            svg.append(svgEl("text", { x: x(t), y: axisY + 15, "text-anchor": "middle", class: "bf-tick" }, fmt(t)));
        }
        svg.append(svgEl("text", { x: labelWidth - 8, y: axisY + 15, "text-anchor": "end", class: "bf-tick" }, unit));
        return svg;
    }

    function drawSequence({ unit, parties, messages, notes }) {
        const width = 760, top = 34, left = 60, rowHeight = 26;
        const times = [...messages.flatMap((m) => [m.sent, m.arrived ?? m.sent]), ...notes.map((n) => n.at)];
        const end = Math.max(1, ...times);
        const height = Math.min(2400, Math.max(240, (messages.length + notes.length) * rowHeight)) + top + 20;
        const y = (t) => top + (t / end) * (height - top - 20);
        const column = (i) => left + 90 + (i * (width - left - 180)) / Math.max(1, parties.length - 1);
        const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, class: "bf-svg", role: "img" });
        svg.append(svgEl("title", {}, `Sequence diagram, time in ${unit}`));
        const defs = svgEl("defs");
        const marker = svgEl("marker", { id: "bf-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
        marker.append(svgEl("path", { d: "M0,0 L10,5 L0,10 z", class: "bf-arrowhead" }));
        defs.append(marker);
        svg.append(defs);
        parties.forEach((party, i) => {
            svg.append(svgEl("text", { x: column(i), y: 18, "text-anchor": "middle", class: "bf-party" }, party));
            svg.append(svgEl("line", { x1: column(i), x2: column(i), y1: 26, y2: height - 10, class: "bf-lifeline" }));
        });
        const step = niceStep(end, 10);
        for (let t = 0; t <= end + 1e-9; t += step) {
            svg.append(svgEl("text", { x: 4, y: y(t), "dominant-baseline": "middle", class: "bf-tick" }, `${fmt(t)} ${unit}`));
        }
        for (const message of messages) {
            const x1 = column(message.from), x2 = column(message.to), y1 = y(message.sent);
            const lost = message.arrived === null || message.arrived === undefined;
            const group = svgEl("g", { class: lost ? "bf-message bf-message-lost" : "bf-message" });
            const tooltip = lost ? `${message.label}: sent at ${fmt(message.sent)} ${unit}, lost` : `${message.label}: ${fmt(message.sent)} → ${fmt(message.arrived)} ${unit}`;
            group.append(svgEl("title", {}, tooltip));
            if (lost) {
                const xm = (x1 + x2) / 2, ym = y1 + 14;
                group.append(svgEl("line", { x1, y1, x2: xm, y2: ym }));
                group.append(svgEl("text", { x: xm, y: ym, "text-anchor": "middle", "dominant-baseline": "middle", class: "bf-lost-mark" }, "✕"));
                group.append(svgEl("text", { x: (x1 + xm) / 2, y: (y1 + ym) / 2 - 5, "text-anchor": "middle", class: "bf-message-label" }, message.label));
            } else {
                const y2 = y(message.arrived);
                group.append(svgEl("line", { x1, y1, x2, y2, "marker-end": "url(#bf-arrow)" }));
                group.append(svgEl("text", { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 5, "text-anchor": "middle", class: "bf-message-label" }, message.label));
            }
            svg.append(group);
        }
        for (const note of notes) {
            const x = column(note.party);
            const right = note.party === parties.length - 1;
            svg.append(svgEl("text", { x: right ? x + 8 : x - 8, y: y(note.at), "text-anchor": right ? "start" : "end", "dominant-baseline": "middle", class: "bf-note" }, note.text));
        }
        return svg;
    }

    // ---- An editor: input, Reset, Run; used inline and on the playground page --------------------

    function editorView({ defaultInput, help, onRun, onInput }) {
        const textarea = el("textarea", { class: "bf-input", spellcheck: "false", "aria-label": "Input", rows: Math.min(16, Math.max(3, defaultInput.split("\n").length + 1)) });
        textarea.value = defaultInput;
        const reset = el("button", { type: "button", class: "bf-reset-button", text: "Reset" });
        reset.addEventListener("click", () => {
            textarea.value = defaultInput;
            onInput?.();
            textarea.focus();
        });
        textarea.addEventListener("input", () => onInput?.());
        textarea.addEventListener("keydown", (event) => {
            if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                onRun();
            }
        });
        const root = el("div", { class: "bf-editor" }, help ? helpLine(help) : "", textarea, el("div", { class: "bf-editor-actions" }, reset, el("span", { class: "bf-shortcut", text: "Ctrl+Enter runs" })));
        return { root, textarea };
    }

    // ---- Inline: under each runnable example ----------------------------------------------------

    let editorCount = 0;

    function attachInline(runDiv) {
        const id = runDiv.dataset.exampleId;
        const module = runDiv.dataset.module;
        const defaultInput = runDiv.dataset.defaultInput ?? "";
        const figure = runDiv.closest("figure.bf-example");
        // The verified output, with its answer part (in <details>) put back after the marker.
        const verifiedCode = figure?.querySelector(".bf-example-output > pre code");
        const answerCode = figure?.querySelector(".bf-example-output details.bf-answer code");
        let verified = verifiedCode ? verifiedCode.textContent : null;
        if (verified !== null && answerCode) verified = `${verified}\n${REVEAL_MARKER}\n${answerCode.textContent}`;
        const runButton = runDiv.querySelector(".bf-run-button");
        const openLink = runDiv.querySelector(".bf-open-playground");
        const playgroundBase = openLink.getAttribute("href").split("#")[0];
        const editToggle = el("button", { type: "button", class: "bf-edit-button", "aria-expanded": "false", text: "Edit input" });
        const result = resultView();
        let busy = false;
        const editor = editorView({
            defaultInput,
            help: runDiv.dataset.inputHelp,
            onRun: () => go(),
            onInput: () => openLink.setAttribute("href", playgroundBase + hashFor(id, editor.textarea.value, defaultInput)),
        });
        editor.root.hidden = true;
        editor.root.id = `bf-editor-${++editorCount}`; // an example may appear more than once
        editToggle.setAttribute("aria-controls", editor.root.id);
        editToggle.addEventListener("click", () => {
            const open = editor.root.hidden;
            editor.root.hidden = !open;
            editToggle.setAttribute("aria-expanded", String(open));
            if (open) editor.textarea.focus();
        });
        runButton.after(" ", editToggle);
        runDiv.append(editor.root, result.root);

        async function go() {
            if (busy) return;
            busy = true;
            runButton.disabled = true;
            runButton.textContent = "Running…";
            const input = editor.textarea.value;
            await runAndShow(id, input, module, (reply) => result.show(reply, { verified, edited: input !== defaultInput }));
            runButton.disabled = false;
            runButton.textContent = "Run";
            busy = false;
        }
        runButton.addEventListener("click", go);
        runDiv.hidden = false;
    }

    // ---- The playground page ----------------------------------------------------------------------

    function attachPlayground(dataScript) {
        const examples = JSON.parse(dataScript.textContent);
        const container = dataScript.closest(".bf-playground");
        const heading = el("h2", { class: "bf-pg-title", tabindex: "-1" });
        const chapterLine = el("p", { class: "bf-pg-chapter-line" });
        const editorSlot = el("div");
        const runButton = el("button", { type: "button", class: "bf-run-button", text: "Run" });
        const permalink = el("a", { class: "bf-permalink", text: "Link to this run" });
        const result = resultView();
        const main = el("section", { class: "bf-pg-main", "aria-label": "Playground" }, heading, chapterLine, editorSlot, el("div", { class: "bf-run" }, runButton, " ", permalink), result.root);
        container.prepend(main);
        let current = null;
        let editor = null;
        let busy = false;

        function currentHash() {
            return hashFor(current.id, editor.textarea.value, current.default_input);
        }

        function load(id, input, { focus } = {}) {
            current = examples.find((example) => example.id === id) ?? null;
            for (const link of container.querySelectorAll(".bf-pg-link")) {
                if (link.dataset.exampleId === id) link.setAttribute("aria-current", "true");
                else link.removeAttribute("aria-current");
            }
            if (!current) {
                heading.textContent = "Unknown example";
                chapterLine.textContent = "";
                editorSlot.replaceChildren();
                editor = null;
                runButton.disabled = true;
                result.show({ ok: false, error: `There is no runnable example \`${id}\`. Pick one from the list below.` }, {});
                return;
            }
            heading.textContent = current.title;
            chapterLine.replaceChildren();
            if (current.chapter_href) {
                chapterLine.append("From the chapter ", el("a", { href: ROOT + current.chapter_href, text: current.chapter }), ` (example ${current.id}).`);
            } else {
                chapterLine.append(`Example ${current.id}.`);
            }
            editor = editorView({ defaultInput: current.default_input, help: current.input_help, onRun: () => go(), onInput: () => permalink.setAttribute("href", currentHash()) });
            editor.textarea.value = input ?? current.default_input;
            editorSlot.replaceChildren(editor.root);
            permalink.setAttribute("href", currentHash());
            runButton.disabled = false;
            if (focus) heading.focus();
            go();
        }

        async function go() {
            if (busy || !current) return;
            busy = true;
            runButton.disabled = true;
            const example = current;
            const input = editor.textarea.value;
            history.replaceState(null, "", currentHash());
            permalink.setAttribute("href", currentHash());
            await runAndShow(example.id, input, example.module, (reply) => {
                if (example === current) result.show(reply, { verified: example.verified, edited: input !== example.default_input });
            });
            runButton.disabled = false;
            busy = false;
        }
        runButton.addEventListener("click", go);

        function fromHash({ focus } = {}) {
            const params = new URLSearchParams(location.hash.slice(1));
            const id = params.get("example") ?? examples[0]?.id;
            if (id) load(id, params.get("input"), { focus });
        }
        window.addEventListener("hashchange", () => fromHash({ focus: true }));
        fromHash();
    }

    function start() {
        document.querySelectorAll("div.bf-run[data-example-id]").forEach(attachInline);
        const data = document.getElementById("bf-playground-data");
        if (data) attachPlayground(data);
    }

    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
})();
