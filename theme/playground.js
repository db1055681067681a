// Backend Fundamentals: runs the book's examples in the browser.
//
// Loaded on every page (book.toml, additional-js) and small; it does nothing until needed:
// * under each runnable example (`div.bf-run`, written by the mdbook-examples preprocessor) it
//   shows Run, an input editor (Reset, Ctrl+Enter) and the result next to the verified output;
// * on the playground page (`#bf-playground-data`, from `{{#runnable-examples}}`) it builds the
//   editor for the example named in the URL hash (`#example=<id>&input=<text>&step=<k>`), with
//   that example's input and verified output fetched from its module's data file;
// * a simulation's figure is drawn as SVG with a step control that replays its run.
// The WebAssembly module runs in a worker (src/assets/playground-worker.js), started on the first
// Run or when the playground page opens, so pages without a Run never fetch it and a runaway run
// can be stopped without freezing the tab.

(() => {
    "use strict";

    // mdBook defines `path_to_root` in every page.
    const ROOT = typeof path_to_root === "string" ? path_to_root : "";
    const REVEAL_MARKER = "--- answer ---"; // examples::REVEAL_MARKER
    const MEASURED_MARKER = "--- measured here ---"; // examples::MEASURED_MARKER
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
        verifiedPart,
        drawFigure: (figure, options) => drawFigure(figure, options),
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

    /** `input` with `line` added as its last line. */
    const withLine = (input, line) => `${input === "" || input.endsWith("\n") ? input : `${input}\n`}${line}\n`;

    // The output's lines (ending at "\n") before its first line that is exactly REVEAL_MARKER,
    // and the lines after that line (the answer), or [text, null] when no line is the marker.
    // The preprocessor's render::split_answer follows the same rule for the verified output.
    function splitAnswer(text) {
        const lines = text.split("\n");
        const marker = lines.indexOf(REVEAL_MARKER);
        if (marker < 0) return [text, null];
        return [lines.slice(0, marker).join("\n"), lines.slice(marker + 1).join("\n")];
    }

    // The part of an output that cargo test verifies: the lines before its first line that is
    // exactly MEASURED_MARKER (figures measured in this browser follow it), or all of it.
    // examples::registry::verified_part follows the same rule.
    function verifiedPart(text) {
        const lines = text.split("\n");
        const marker = lines.indexOf(MEASURED_MARKER);
        return marker < 0 ? text : lines.slice(0, marker).join("\n");
    }

    /** `#example=<id>[&input=<text>][&step=<k>]`: the input when it is not the default, the figure's step when it is not the last. */
    function hashFor(id, input, defaultInput, step) {
        const params = new URLSearchParams();
        params.set("example", id);
        if (input !== defaultInput) params.set("input", input);
        if (step) params.set("step", String(step));
        return `#${params.toString()}`;
    }

    /** The step named by a hash's `step` parameter, or null. */
    function stepFromHash(params) {
        const step = Number(params.get("step"));
        return Number.isInteger(step) && step >= 1 ? step : null;
    }

    // ---- The result: status, output, answer, figure ---------------------------------------------

    function resultView() {
        // The status line is the live region: screen readers announce each run's verdict or
        // error (not the whole output, which is one Tab away).
        const status = el("p", { class: "bf-status", role: "status", "aria-live": "polite" });
        // Focusable and named, like the preprocessor's blocks: a long line scrolls them sideways.
        const block = (label) => ({ class: "language-text", tabindex: "0", role: "group", "aria-label": label });
        const output = el("code", block("Output of your run"));
        const outputPre = el("pre", { class: "bf-io bf-run-output", hidden: true }, output);
        const answer = el("code", block("Answer of your run"));
        const answerPre = el("pre", { class: "bf-io bf-answer", hidden: true }, answer);
        const reveal = el("button", { type: "button", class: "bf-reveal-button", hidden: true, text: "Reveal the answer" });
        const figure = el("div", { class: "bf-figure" });
        reveal.addEventListener("click", () => {
            answerPre.hidden = false;
            figure.hidden = false;
            reveal.hidden = true;
        });
        const root = el("div", { class: "bf-result" }, status, outputPre, reveal, answerPre, figure);
        // A ring figure's chosen server, kept across runs, and the action whose run is awaited
        // (its button, in the new drawing, gets the focus back).
        let ringChosen = null;
        let actionPressed = null;

        function show(reply, { verified, edited, step, onStep, onAction }) {
            const refocus = actionPressed;
            actionPressed = null;
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
            // A drawing would give the answer away, unless the reader is already acting on it.
            figure.hidden = hidden !== null && refocus === null;
            const ms = `ran in ${reply.ms < 1 ? "<1" : Math.round(reply.ms)} ms`;
            if (edited) {
                status.className = "bf-status";
                status.textContent = `Output for your input (${ms}). The verified output is for the default input.`;
            } else if (verified === null || verified === undefined) {
                status.className = "bf-status";
                status.textContent = `Output (${ms}).`;
            } else if (withoutTrailingNewlines(verifiedPart(text)) === withoutTrailingNewlines(verified)) {
                status.className = "bf-status bf-match";
                status.textContent = verifiedPart(text) === text
                    ? `✓ Same as the verified output (${ms} in your browser).`
                    : `✓ Same as the verified output (${ms} in your browser); the figures after the “measured here” line were measured in your browser just now and differ on every machine.`;
            } else {
                status.className = "bf-status bf-mismatch";
                status.textContent = `✗ Differs from the verified output (${ms}). Please report this: the browser and cargo test disagree.`;
            }
            if (reply.figure) {
                const ring = {
                    chosen: ringChosen,
                    onChoose: (index) => {
                        ringChosen = index;
                    },
                    onAction: onAction && ((line, next, index) => {
                        actionPressed = index;
                        onAction(line, next);
                    }),
                };
                figure.append(drawFigure(reply.figure, { step, onStep, ring }));
                if (refocus !== null) figure.querySelector(`[data-bf-action="${refocus}"]`)?.focus({ preventScroll: true });
            }
        }
        return { root, show };
    }

    // ---- Figures --------------------------------------------------------------------------------
    //
    // A figure (examples::Figure, as JSON) is a timeline or a sequence diagram plus its steps:
    // the run event by event, each with a text and the pieces it marks. drawFigure draws it and,
    // when it has steps, adds the step control (stepControl), which replays them.

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

    /**
     * The figure, with a step control when it has steps. `step` (1-based) is the step to show
     * first (default: the last, the whole run); `onStep(step)` hears every change, with `null`
     * for the last step. `ring` is what drawRing takes (the chosen server, onChoose, onAction).
     */
    function drawFigure(figure, { step, onStep, ring } = {}) {
        const wrap = el("figure", { class: `bf-drawing bf-drawing-${figure.kind}` });
        wrap.append(el("figcaption", { text: figure.title }));
        let drawn = null;
        if (figure.kind === "timeline") drawn = drawTimeline(figure);
        else if (figure.kind === "sequence") drawn = drawSequence(figure);
        else if (figure.kind === "ring") drawn = drawRing(figure, ring);
        else wrap.append(el("p", { class: "bf-error", text: `Cannot draw a figure of kind ${figure.kind}.` }));
        if (drawn) {
            // A tall drawing scrolls inside its own box, so the step control below it stays in view.
            const view = el("div", { class: "bf-figure-view", tabindex: "0", role: "group", "aria-label": `${figure.title} (scrollable)` }, drawn.svg);
            wrap.append(view);
            if (figure.kind === "timeline") wrap.append(legend(figure));
            if (figure.steps?.length) stepControl(wrap, view, figure.steps, drawn.replay, { step, onStep });
            if (drawn.after) wrap.append(drawn.after);
        }
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

    /**
     * A replay: what the step control needs from a drawing. `pieces` are the drawn nodes with
     * the step from which each is shown (`from`) and, for a message, the step at which it has
     * arrived (`until`; in flight in between); `marked[k]` the nodes step k highlights;
     * `cursor(k)` moves the drawing's cursor line to step k.
     */
    function replayOf(steps, cursor) {
        return { pieces: [], marked: steps.map(() => []), cursor };
    }

    function drawTimeline({ unit, lanes, steps = [] }) {
        const width = 760, labelWidth = 120, laneHeight = 22, gap = 6, top = 6, axis = 26;
        const end = Math.max(1, ...lanes.flatMap((lane) => lane.spans.map((span) => span.end)));
        const plot = width - labelWidth - 12;
        const x = (t) => labelWidth + (t / end) * plot;
        const height = top + lanes.length * (laneHeight + gap) + axis;
        const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, class: "bf-svg", role: "img" });
        svg.append(svgEl("title", {}, `Timeline in ${unit}`));
        const axisY = top + lanes.length * (laneHeight + gap) + 4;
        const cursorLine = svgEl("line", { x1: 0, x2: 0, y1: top - 3, y2: axisY, class: "bf-cursor" });
        const replay = replayOf(steps, (k) => {
            cursorLine.setAttribute("x1", x(steps[k].at));
            cursorLine.setAttribute("x2", x(steps[k].at));
        });
        const groups = lanes.map(() => []);
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
                groups[i].push(group);
            }
        });
        // A span is shown from the first step that marks it, or else from the first step at or after its start.
        const shownFrom = lanes.map((lane) => lane.spans.map(() => null));
        steps.forEach((step, k) => {
            for (const mark of step.marks) {
                if (mark.kind !== "span" || !groups[mark.lane]?.[mark.span]) continue;
                replay.marked[k].push(groups[mark.lane][mark.span]);
                shownFrom[mark.lane][mark.span] ??= k;
            }
        });
        lanes.forEach((lane, i) => lane.spans.forEach((span, j) => {
            let from = shownFrom[i][j];
            if (from === null) {
                from = steps.findIndex((step) => step.at >= span.start);
                if (from < 0) from = steps.length - 1;
            }
            replay.pieces.push({ node: groups[i][j], from, until: from });
        }));
        svg.append(svgEl("line", { x1: labelWidth, x2: labelWidth + plot, y1: axisY, y2: axisY, class: "bf-axis" }));
        const step = niceStep(end, 8);
        for (let t = 0; t <= end + 1e-9; t += step) {
            svg.append(svgEl("line", { x1: x(t), x2: x(t), y1: axisY, y2: axisY + 4, class: "bf-axis" }));
            svg.append(svgEl("text", { x: x(t), y: axisY + 15, "text-anchor": "middle", class: "bf-tick" }, fmt(t)));
        }
        svg.append(svgEl("text", { x: labelWidth - 8, y: axisY + 15, "text-anchor": "end", class: "bf-tick" }, unit));
        svg.append(cursorLine);
        return { svg, replay };
    }

    // Sequence diagrams are laid out in the order of their steps, not on a linear time axis:
    // every event (a send, an arrival, a note, a step that marks nothing) goes below the one
    // before it, further down the more time has passed (up to SEQ.maxGap). Every text (a message
    // label, a note) sits on a row of its own, at least SEQ.labelRow below the one before, so no
    // two labels can meet however many messages leave at one instant; time ticks go in the left
    // gutter only where they meet no label (their widths estimated from the monospace font).
    const SEQ = { gutter: 64, top: 34, labelRow: 17, quietRow: 5, maxGap: 32, timeScale: 640, charWidth: 6.4, minWidth: 760 };

    /** Estimated width of `text` in the figures' 10px monospace font (generous; wide characters count double). */
    const textWidth = (text) => [...text].reduce((w, ch) => w + (ch.codePointAt(0) < 0x2000 ? SEQ.charWidth : 2 * SEQ.charWidth), 0);

    /**
     * Where everything of a sequence diagram goes: `events` in replay order (`kind` sent,
     * arrived, note or quiet; `y`), each message's send and arrival event, each note's event,
     * each step's first event, the column of each party and the label boxes.
     */
    function sequenceLayout({ parties, messages, notes, steps }) {
        const events = [];
        const sentAt = messages.map(() => null), arrivedAt = messages.map(() => null), noteAt = notes.map(() => null);
        const stepAt = [];
        steps.forEach((step, k) => {
            stepAt.push(events.length);
            if (!step.marks.length) events.push({ kind: "quiet", step: k, t: step.at });
            for (const mark of step.marks) {
                const index = events.length;
                if (mark.kind === "sent" && sentAt[mark.message] === null) sentAt[mark.message] = index;
                else if (mark.kind === "arrived" && arrivedAt[mark.message] === null) arrivedAt[mark.message] = index;
                else if (mark.kind === "note" && noteAt[mark.note] === null) noteAt[mark.note] = index;
                else continue;
                events.push({ kind: mark.kind, step: k, t: step.at, index: mark.message ?? mark.note });
            }
        });
        // Columns: far enough apart, and from the edges, for the longest party name (11px bold).
        const nameWidth = Math.max(0, ...parties.map((p) => textWidth(p) * 1.15));
        const spacing = Math.max(nameWidth + 12, (SEQ.minWidth - SEQ.gutter - 150) / Math.max(1, parties.length - 1));
        const first = Math.max(SEQ.gutter + 70, nameWidth / 2 + 30);
        const column = (i) => first + i * spacing;
        // Rows.
        const end = events.reduce((max, e) => Math.max(max, e.t), 1);
        let y = SEQ.top, lastLabel = -Infinity, lastT = 0;
        const labels = [];
        for (const event of events) {
            const gap = Math.min(SEQ.maxGap, ((event.t - lastT) / end) * SEQ.timeScale);
            lastT = event.t;
            let text = null, x = 0;
            if (event.kind === "sent" && messages[event.index].label) {
                const m = messages[event.index];
                text = m.label;
                x = m.to >= m.from ? column(m.from) + 6 : column(m.from) - 6 - textWidth(text);
            } else if (event.kind === "note") {
                const note = notes[event.index];
                text = note.text;
                const right = note.party === parties.length - 1 && parties.length > 1;
                x = right ? column(note.party) + 8 : column(note.party) - 8 - textWidth(text);
            }
            y += SEQ.quietRow + gap;
            if (text !== null) {
                y = Math.max(y, lastLabel + SEQ.labelRow);
                lastLabel = y;
                const left = Math.max(2, x);
                event.label = { text, x: left, y: y - 4, box: [left, y - SEQ.labelRow + 2, left + textWidth(text), y] };
                labels.push(event.label);
            }
            event.y = y;
        }
        const width = labels.reduce((max, l) => Math.max(max, l.box[2] + 4), Math.max(SEQ.minWidth, column(parties.length - 1) + Math.max(70, nameWidth / 2 + 4)));
        // Ticks: the time where it changes, in the gutter, where no label and no other tick is.
        const ticks = [];
        const meets = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
        let lastTick = null;
        let near = 0; // labels and events go down together: the first label not above this event's row
        for (const event of events) {
            if (lastTick && lastTick.t === event.t) continue;
            const text = `${fmt(event.t)}`;
            const box = [2, event.y - SEQ.labelRow + 2, 2 + textWidth(text), event.y];
            if (lastTick && meets(box, lastTick.box)) continue;
            while (near < labels.length && labels[near].box[3] <= box[1]) near++;
            let free = true;
            for (let i = near; free && i < labels.length && labels[i].box[1] < box[3]; i++) free = !meets(box, labels[i].box);
            if (!free) continue;
            lastTick = { t: event.t, text, x: 2, y: event.y - 4, box };
            ticks.push(lastTick);
        }
        return { events, sentAt, arrivedAt, noteAt, stepAt, column, width, height: y + 24, ticks };
    }

    function drawSequence(figure) {
        const { unit, parties, messages, notes, steps = [] } = figure;
        const layout = sequenceLayout({ parties, messages, notes, steps });
        const { events, column, width, height } = layout;
        const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, class: "bf-svg", role: "img" });
        svg.append(svgEl("title", {}, `Sequence diagram, time (${unit}) going down, one event per row`));
        const arrowId = `bf-arrow-${++figureCount}`;
        const defs = svgEl("defs");
        const marker = svgEl("marker", { id: arrowId, viewBox: "0 0 10 10", refX: 9, refY: 5, markerUnits: "userSpaceOnUse", markerWidth: 10, markerHeight: 10, orient: "auto-start-reverse" });
        marker.append(svgEl("path", { d: "M0,0 L10,5 L0,10 z", class: "bf-arrowhead" }));
        defs.append(marker);
        svg.append(defs);
        parties.forEach((party, i) => {
            svg.append(svgEl("text", { x: column(i), y: 16, "text-anchor": "middle", class: "bf-party" }, party));
            svg.append(svgEl("line", { x1: column(i), x2: column(i), y1: 22, y2: height - 8, class: "bf-lifeline" }));
        });
        svg.append(svgEl("text", { x: 2, y: 16, class: "bf-tick" }, unit));
        for (const tick of layout.ticks) svg.append(svgEl("text", { x: tick.x, y: tick.y, class: "bf-tick" }, tick.text));
        const cursorLine = svgEl("line", { x1: SEQ.gutter, x2: width - 4, y1: 0, y2: 0, class: "bf-cursor" });
        const replay = replayOf(steps, (k) => {
            const y = events[layout.stepAt[k]]?.y ?? 0;
            cursorLine.setAttribute("y1", y);
            cursorLine.setAttribute("y2", y);
        });
        const noEvent = { y: height - 8, step: steps.length - 1 };
        messages.forEach((message, i) => {
            const sent = events[layout.sentAt[i]] ?? noEvent;
            const arrived = layout.arrivedAt[i] === null ? null : events[layout.arrivedAt[i]];
            const x1 = column(message.from), x2 = column(message.to), y1 = sent.y;
            const lost = message.arrived === null || message.arrived === undefined;
            const group = svgEl("g", { class: lost ? "bf-message bf-message-lost" : "bf-message" });
            const tooltip = lost ? `${message.label}: sent at ${fmt(message.sent)} ${unit}, lost` : `${message.label}: ${fmt(message.sent)} → ${fmt(message.arrived)} ${unit}`;
            group.append(svgEl("title", {}, tooltip));
            if (lost) {
                // Half way towards the receiver, ending in a cross.
                const xm = (x1 + x2) / 2, ym = y1 + 4;
                group.append(svgEl("line", { x1, y1, x2: xm, y2: ym }));
                group.append(svgEl("path", { d: `M${xm - 4},${ym - 4} L${xm + 4},${ym + 4} M${xm - 4},${ym + 4} L${xm + 4},${ym - 4}`, class: "bf-lost-mark" }));
            } else {
                const y2 = (arrived ?? noEvent).y;
                group.append(svgEl("line", { x1, y1, x2, y2, "marker-end": `url(#${arrowId})` }));
            }
            if (sent.label) group.append(svgEl("text", { x: sent.label.x, y: sent.label.y, class: "bf-message-label" }, sent.label.text));
            svg.append(group);
            const from = sent.step;
            replay.pieces.push({ node: group, from, until: lost ? from : (arrived ?? noEvent).step });
        });
        notes.forEach((note, i) => {
            const event = events[layout.noteAt[i]];
            const label = event?.label ?? { x: column(note.party) + 8, y: height - 12, text: note.text };
            const node = svgEl("text", { x: label.x, y: label.y, class: "bf-note" }, label.text);
            svg.append(node);
            replay.pieces.push({ node, from: event?.step ?? steps.length - 1, until: event?.step ?? steps.length - 1 });
        });
        steps.forEach((step, k) => {
            for (const mark of step.marks) {
                const piece = mark.kind === "note" ? replay.pieces[messages.length + mark.note] : replay.pieces[mark.message];
                if (piece) replay.marked[k].push(piece.node);
            }
        });
        svg.append(cursorLine);
        return { svg, replay };
    }

    // ---- A cluster on a ring (Figure::Ring), the way RaftScope draws Raft -------------------------
    //
    // The servers sit on a circle, clockwise from the top. Step k shows snapshot k: each server's
    // role (its outline, its fill and a word under it; a down server greyed and crossed out), term,
    // vote and election timer (the arc around it: the share still to run), the messages in flight
    // as dots along the chord between two servers (requests filled, replies hollow), cut links
    // dashed and crossed, and below the ring each server's log (committed entries framed solid,
    // the rest dashed). The servers are buttons: the reader chooses one (Tab or the arrow keys,
    // then Enter or Space), and the figure's actions (buttons under it) add an input line at the
    // current step's time, for that server, and run the example again (`onAction`).

    const RING = { width: 370, cx: 185, cy: 178, radius: 132, body: 32, timer: 37 };
    const ROLE_NAMES = { follower: "follower", candidate: "candidate", leader: "leader", down: "down" };

    /** The SVG path of an arc of `share` (0..1) of the circle of radius `r` around (0, 0), clockwise from the top. */
    function arcPath(r, share) {
        if (share >= 0.999) return `M0,${-r} A${r},${r} 0 1 1 0,${r} A${r},${r} 0 1 1 0,${-r}`;
        const angle = 2 * Math.PI * share;
        const x = r * Math.sin(angle), y = -r * Math.cos(angle);
        return `M0,${-r} A${r},${r} 0 ${share > 0.5 ? 1 : 0} 1 ${x.toFixed(2)},${y.toFixed(2)}`;
    }

    /** An action's `{at}`: the step's time as a plain number (`150`, `12.5`). */
    const atText = (at) => String(Math.round(at * 1000) / 1000);

    /**
     * `ring`: { chosen (a server index or null), onChoose(index), onAction(line, step, index) };
     * without `onAction` the actions are not offered.
     */
    function drawRing(figure, { chosen = null, onChoose, onAction } = {}) {
        const { unit, servers, snapshots = [], steps = [], actions = [] } = figure;
        const n = servers.length;
        const position = (i) => {
            const angle = (2 * Math.PI * i) / Math.max(1, n);
            return { x: RING.cx + RING.radius * Math.sin(angle), y: RING.cy - RING.radius * Math.cos(angle) };
        };
        const points = servers.map((_, i) => position(i));
        const height = Math.max(...points.map((p) => p.y), RING.cy) + RING.timer + 30;
        const svg = svgEl("svg", { viewBox: `0 0 ${RING.width} ${height}`, class: "bf-svg bf-ring", role: "group", "aria-label": `${n} servers on a ring; each is a button that chooses it for the actions below` });
        svg.append(svgEl("title", {}, `${n} servers on a ring, clockwise from the top`));
        svg.append(svgEl("circle", { cx: RING.cx, cy: RING.cy, r: RING.radius, class: "bf-ring-track" }));
        const cuts = svgEl("g", { class: "bf-ring-cuts" });
        const clock = svgEl("text", { x: 4, y: 14, class: "bf-ring-clock" });
        svg.append(cuts, clock);
        let current = 0;
        let chosenIndex = Number.isInteger(chosen) && chosen < n ? chosen : null;

        // One group per server, kept from step to step (the step control highlights them).
        const nodes = servers.map((name, i) => {
            const { x, y } = points[i];
            const group = svgEl("g", { class: "bf-ring-server", transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
            // The button is a transparent disc on top, without the texts drawn under it (its
            // name says all of them, in words).
            const button = svgEl("circle", { r: RING.timer + 9, class: "bf-ring-button", tabindex: "0", role: "button", "aria-pressed": "false", "data-server": String(i) });
            const title = svgEl("title");
            const halo = svgEl("circle", { r: RING.timer + 6, class: "bf-ring-halo" });
            const choice = svgEl("rect", { x: -RING.timer - 9, y: -RING.timer - 9, width: 2 * RING.timer + 18, height: 2 * RING.timer + 18, rx: 8, class: "bf-ring-choice" });
            const track = svgEl("circle", { r: RING.timer, class: "bf-ring-timer-track" });
            const timer = svgEl("path", { class: "bf-ring-timer" });
            const body = svgEl("circle", { r: RING.body, class: "bf-ring-body" });
            const crown = svgEl("circle", { r: RING.body - 5, class: "bf-ring-crown" }); // a leader's second outline
            const cross = svgEl("path", { d: `M-20,-20 L20,20 M-20,20 L20,-20`, class: "bf-ring-cross" });
            const nameText = svgEl("text", { y: -12, "text-anchor": "middle", class: "bf-ring-name" }, name);
            const term = svgEl("text", { y: 5, "text-anchor": "middle", class: "bf-ring-term" });
            const vote = svgEl("text", { y: 20, "text-anchor": "middle", class: "bf-ring-vote" });
            const role = svgEl("text", { y: RING.timer + 20, "text-anchor": "middle", class: "bf-ring-role" });
            button.append(title);
            group.append(halo, choice, track, timer, body, crown, nameText, term, vote, cross, role, button);
            svg.append(group);
            return { group, button, title, timer, track, term, vote, role };
        });
        const messages = svgEl("g", { class: "bf-ring-messages" });
        svg.append(messages);

        // The logs, one row per server, below the ring.
        const logCaption = `bf-ring-log-${++figureCount}`;
        const logTable = el("table", { class: "bf-ring-log", "aria-labelledby": logCaption });
        const logs = el("div", { class: "bf-ring-logs" }, el("p", { id: logCaption, class: "bf-ring-log-caption", text: "Each server's log: the term of each entry; framed solid: committed, dashed: not yet" }), logTable);
        const key = el("p", { class: "bf-ring-key", text: "● request, ○ reply, on their way; the arc around a server: its election timeout still to run; a dashed, crossed line: a cut link; a dashed outline: candidate, a double one: leader, crossed out: down." });
        const view = el("div", { class: "bf-ring-view" }, svg, key, logs);

        function label(i, s) {
            const vote = s.voted_for === null || s.voted_for === undefined ? "" : `, voted for ${servers[s.voted_for]}`;
            return `${servers[i]}, ${ROLE_NAMES[s.role] ?? s.role}, term ${s.term}, log ${s.log.length} ${s.log.length === 1 ? "entry" : "entries"}, ${s.commit} committed${vote}`;
        }

        function showChoice() {
            nodes.forEach(({ group, button }, i) => {
                group.classList.toggle("bf-ring-chosen", i === chosenIndex);
                button.setAttribute("aria-pressed", String(i === chosenIndex));
            });
            updateActions();
        }

        function render(k) {
            current = k;
            const snapshot = snapshots[k];
            if (!snapshot) return;
            clock.textContent = `${fmt(steps[k]?.at ?? 0)} ${unit}`;
            snapshot.servers.forEach((s, i) => {
                const node = nodes[i];
                if (!node) return;
                for (const role of Object.keys(ROLE_NAMES)) node.group.classList.toggle(`bf-ring-${role}`, s.role === role);
                node.term.textContent = `term ${s.term}`;
                node.vote.textContent = s.voted_for === null || s.voted_for === undefined ? "" : `vote ${servers[s.voted_for]}`;
                node.role.textContent = ROLE_NAMES[s.role] ?? s.role;
                const timer = s.timer === null || s.timer === undefined ? null : s.timer;
                node.timer.setAttribute("d", timer === null || timer <= 0 ? "" : arcPath(RING.timer, timer));
                node.track.classList.toggle("bf-ring-no-timer", timer === null);
                const text = label(i, s);
                node.button.setAttribute("aria-label", text);
                node.title.textContent = timer === null ? text : `${text}; ${Math.round(timer * 100)}% of its election timeout to run`;
            });
            // Cut links: a dashed line, crossed in the middle.
            cuts.replaceChildren();
            for (const [a, b] of snapshot.cut) {
                const p = points[a], q = points[b];
                if (!p || !q) continue;
                const group = svgEl("g", { class: "bf-ring-cut" });
                group.append(svgEl("title", {}, `${servers[a]} and ${servers[b]} cannot reach each other`));
                group.append(svgEl("line", { x1: p.x, y1: p.y, x2: q.x, y2: q.y }));
                const mx = (p.x + q.x) / 2, my = (p.y + q.y) / 2;
                group.append(svgEl("path", { d: `M${mx - 6},${my - 6} L${mx + 6},${my + 6} M${mx - 6},${my + 6} L${mx + 6},${my - 6}`, class: "bf-ring-cut-mark" }));
                cuts.append(group);
            }
            // Messages: from the sender's edge to the receiver's, on the right of their way (so
            // the two directions of one link do not meet), labelled beside the dot.
            messages.replaceChildren();
            // A label goes on the side of its dot away from the ring's centre, or the other,
            // where it meets no server and no label drawn before it; else the dot goes without
            // (its tooltip still says it all).
            const taken = points.map(({ x, y }) => [x - RING.timer - 2, y - RING.timer - 2, x + RING.timer + 2, y + RING.timer + 2]);
            const meets = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
            const gap = RING.timer + 8; // the dots start and end clear of the servers' timers
            for (const m of snapshot.messages) {
                const p = points[m.from], q = points[m.to];
                if (!p || !q) continue;
                const dx = q.x - p.x, dy = q.y - p.y, length = Math.hypot(dx, dy) || 1;
                const ux = dx / length, uy = dy / length, nx = -uy, ny = ux;
                const along = gap + Math.max(0, length - 2 * gap) * Math.max(0, Math.min(1, m.progress));
                const x = p.x + ux * along + nx * 7, y = p.y + uy * along + ny * 7;
                const group = svgEl("g", { class: m.reply ? "bf-ring-message bf-ring-reply" : "bf-ring-message" });
                group.append(svgEl("title", {}, `${m.label}: ${m.reply ? "reply" : "request"} from ${servers[m.from]} to ${servers[m.to]}, ${Math.round(m.progress * 100)}% of the way`));
                group.append(svgEl("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 5 }));
                taken.push([x - 6, y - 6, x + 6, y + 6]);
                const width = textWidth(m.label) * 0.9;
                const outward = x >= RING.cx;
                for (const right of [outward, !outward]) {
                    const left = right ? x + 8 : x - 8 - width;
                    const box = [left, y - 8, left + width, y + 5];
                    if (box[0] < 0 || box[2] > RING.width || taken.some((t) => meets(box, t))) continue;
                    taken.push(box);
                    group.append(svgEl("text", { x: left.toFixed(1), y: (y + 3).toFixed(1) }, m.label));
                    break;
                }
                messages.append(group);
            }
            renderLogs(snapshot);
        }

        function renderLogs(snapshot) {
            const longest = Math.max(0, ...snapshot.servers.map((s) => s.log.length));
            const head = el("tr", {}, el("th", { scope: "col", text: "Log" }));
            for (let e = 1; e <= longest; e++) head.append(el("th", { scope: "col", text: String(e) }));
            const rows = snapshot.servers.map((s, i) => {
                const leader = s.role === "leader";
                const row = el("tr", { class: `bf-ring-log-${s.role}` }, el("th", { scope: "row", text: leader ? `${servers[i]} ★ leader` : servers[i] }));
                for (let e = 0; e < longest; e++) {
                    if (e >= s.log.length) {
                        row.append(el("td", { class: "bf-ring-empty" }));
                        continue;
                    }
                    const committed = e < s.commit;
                    row.append(el("td", { class: committed ? "bf-ring-committed" : "bf-ring-uncommitted", title: `entry ${e + 1}: term ${s.log[e]}, ${committed ? "committed" : "not known committed"}` }, el("span", { text: String(s.log[e]) })));
                }
                return row;
            });
            logTable.replaceChildren(
                el("thead", {}, head),
                el("tbody", {}, ...rows),
            );
        }

        // Choosing a server: click, or Enter / Space on it; the arrow keys go round the ring.
        nodes.forEach(({ button }, i) => {
            const choose = () => {
                chosenIndex = chosenIndex === i ? null : i;
                onChoose?.(chosenIndex);
                showChoice();
            };
            button.addEventListener("click", choose);
            button.addEventListener("keydown", (event) => {
                if (event.altKey || event.ctrlKey || event.metaKey) return;
                const move = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
                if (event.key === "Enter" || event.key === " ") choose();
                else if (move !== undefined) nodes[(i + move + n) % n].button.focus();
                else return;
                event.preventDefault();
                event.stopPropagation(); // not the figure's step keys, nor mdBook's page turn
            });
        });

        // The actions, under the figure.
        let actionsView = null;
        const buttons = [];
        const chosenLine = el("p", { class: "bf-ring-chosen-line", "aria-live": "polite" });
        function updateActions() {
            const name = chosenIndex === null ? null : servers[chosenIndex];
            chosenLine.textContent = name === null ? "Choose a server on the ring (click it, or Tab to it and press Enter) for the per-server actions." : `Chosen: ${name}. Each action adds a line at this step's time and runs again.`;
            buttons.forEach(({ button, action }) => {
                if (!action.per_server) return;
                button.disabled = name === null;
                button.textContent = name === null ? action.label : `${action.label} ${name}`;
            });
        }
        if (onAction && actions.length) {
            const list = el("div", { class: "bf-ring-actions", role: "group", "aria-label": "Add an event at this step" });
            actions.forEach((action, index) => {
                const button = el("button", { type: "button", class: "bf-ring-action", "data-bf-action": String(index), text: action.label });
                button.addEventListener("click", () => {
                    if (action.per_server && chosenIndex === null) return;
                    let line = action.line.replaceAll("{at}", atText(steps[current]?.at ?? 0));
                    if (action.per_server) line = line.replaceAll("{server}", servers[chosenIndex]);
                    onAction(line, current + 2, index);
                });
                buttons.push({ button, action });
                list.append(button);
            });
            actionsView = el("div", { class: "bf-ring-controls" }, chosenLine, list);
        }
        showChoice();

        const replay = replayOf(steps, render);
        steps.forEach((step, k) => {
            for (const mark of step.marks) if (mark.kind === "server" && nodes[mark.server]) replay.marked[k].push(nodes[mark.server].group);
        });
        if (!steps.length) render(0);
        return { svg: view, replay, after: actionsView };
    }

    // ---- Stepping through a figure ---------------------------------------------------------------
    //
    // A range slider (with ← and → buttons) and the ← / → keys on the figure replay its steps: the
    // pieces of later steps are dimmed, a message sent but not yet arrived is dashed, the current
    // step's pieces are highlighted, and a live line reads "step k of n: …" (the step's text,
    // from the simulation). The last step, the whole run, is shown first.

    let figureCount = 0;

    function stepControl(wrap, view, steps, replay, { step, onStep }) {
        const n = steps.length;
        const id = `bf-step-${++figureCount}`;
        const slider = el("input", { type: "range", id, class: "bf-step-slider", min: 1, max: n, step: 1, value: n });
        const back = el("button", { type: "button", class: "bf-step-button", "aria-label": "Previous step", text: "←" });
        const forward = el("button", { type: "button", class: "bf-step-button", "aria-label": "Next step", text: "→" });
        const text = el("p", { class: "bf-step-text", id: `${id}-text`, "aria-live": "polite", "aria-atomic": "true" });
        slider.setAttribute("aria-describedby", text.id);
        const controls = el("div", { class: "bf-steps" }, el("label", { for: id, text: "Step" }), back, slider, forward, text);
        wrap.append(controls);
        view.setAttribute("aria-label", `${view.getAttribute("aria-label")}: ${n} steps; use ← and → to step through the run`);
        let current = null;

        function show(k, { scroll = false } = {}) {
            k = Math.max(0, Math.min(n - 1, k));
            if (k === current) return;
            if (current !== null) for (const node of replay.marked[current]) node.classList.remove("bf-current");
            current = k;
            for (const { node, from, until } of replay.pieces) {
                node.classList.toggle("bf-future", from > k);
                node.classList.toggle("bf-in-flight", from <= k && k < until);
            }
            for (const node of replay.marked[k]) node.classList.add("bf-current");
            replay.cursor(k);
            slider.value = String(k + 1);
            text.textContent = `step ${k + 1} of ${n}: ${steps[k].text}`;
            back.disabled = k === 0;
            forward.disabled = k === n - 1;
            if (scroll) replay.marked[k][0]?.scrollIntoView?.({ block: "nearest" });
            onStep?.(k === n - 1 ? null : k + 1);
        }

        slider.addEventListener("input", () => show(Number(slider.value) - 1));
        back.addEventListener("click", () => show(current - 1, { scroll: true }));
        forward.addEventListener("click", () => show(current + 1, { scroll: true }));
        wrap.addEventListener("keydown", (event) => {
            if (event.target === slider || event.altKey || event.ctrlKey || event.metaKey) return; // the slider has its own keys
            const to = { ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0, End: n - 1 }[event.key];
            if (to === undefined) return;
            event.preventDefault();
            event.stopPropagation(); // mdBook's ← / → would turn the page
            show(to, { scroll: true });
        });
        const first = Number.isInteger(step) && step >= 1 && step <= n ? step - 1 : n - 1;
        show(first);
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
        let step = null; // the figure's step, which "Open in playground" carries along
        // The editor (a <textarea>) enters the page only when the reader first asks for it. A
        // form control in the page costs every reader: on DOMContentLoaded Chromium looks at each
        // one (autofill), which lays out the block around it, even one far down the page that
        // `content-visibility: auto` would otherwise skip; a long chapter paid 200 ms or more.
        let editor = null;
        const currentInput = () => editor?.textarea.value ?? defaultInput;
        const updateOpenLink = () => openLink.setAttribute("href", playgroundBase + hashFor(id, currentInput(), defaultInput, step));
        const editorId = `bf-editor-${++editorCount}`; // an example may appear more than once
        function openEditor() {
            editor = editorView({
                defaultInput,
                help: runDiv.dataset.inputHelp,
                onRun: () => go(),
                onInput: () => {
                    step = null;
                    updateOpenLink();
                },
            });
            editor.root.hidden = true;
            editor.root.id = editorId;
            editToggle.setAttribute("aria-controls", editorId);
            result.root.before(editor.root);
        }
        editToggle.addEventListener("click", () => {
            if (!editor) openEditor();
            const open = editor.root.hidden;
            editor.root.hidden = !open;
            editToggle.setAttribute("aria-expanded", String(open));
            if (open) editor.textarea.focus();
        });
        runButton.after(" ", editToggle);
        runDiv.append(result.root);

        // A ring figure's action: its line goes into the editor (opened, so the reader sees it),
        // and the run shows the step after the one that was current.
        function onAction(line, next) {
            if (busy) return;
            if (!editor) openEditor();
            editor.root.hidden = false;
            editToggle.setAttribute("aria-expanded", "true");
            editor.textarea.value = withLine(editor.textarea.value, line);
            go(next);
        }

        async function go(restore = null) {
            if (busy) return;
            busy = true;
            runButton.disabled = true;
            runButton.textContent = "Running…";
            const input = currentInput();
            step = restore;
            updateOpenLink();
            const onStep = (shown) => {
                step = shown;
                updateOpenLink();
            };
            await runAndShow(id, input, module, (reply) => result.show(reply, { verified, edited: input !== defaultInput, step: restore, onStep, onAction }));
            runButton.disabled = false;
            runButton.textContent = "Run";
            busy = false;
        }
        runButton.addEventListener("click", () => go());
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
        let step = null; // the figure's step (null: the last), kept in the address
        let stepToRestore = null; // from the address, for the next run

        function currentHash() {
            return hashFor(current.id, editor.textarea.value, current.default_input, step);
        }

        // Each module's examples' inputs and verified outputs, fetched when the reader first opens
        // one of them (generated/playground-data/<module>.json): the page carries only the index.
        const moduleData = new Map();
        function dataFor(module) {
            if (!moduleData.has(module)) {
                const request = fetch(`${ROOT}generated/playground-data/${encodeURIComponent(module)}.json`).then((response) => {
                    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`.trim());
                    return response.json();
                });
                request.catch(() => moduleData.delete(module)); // the next load asks again
                moduleData.set(module, request);
            }
            return moduleData.get(module);
        }

        let loads = 0;
        async function load(id, input, { focus, step: fromAddress = null } = {}) {
            const thisLoad = ++loads;
            step = null;
            stepToRestore = fromAddress;
            current = null;
            const entry = examples.find((example) => example.id === id) ?? null;
            for (const link of container.querySelectorAll(".bf-pg-link")) {
                if (link.dataset.exampleId === id) link.setAttribute("aria-current", "true");
                else link.removeAttribute("aria-current");
            }
            runButton.disabled = true;
            const fail = (error) => {
                editorSlot.replaceChildren();
                editor = null;
                result.show({ ok: false, error }, {});
            };
            if (!entry) {
                heading.textContent = "Unknown example";
                chapterLine.textContent = "";
                fail(`There is no runnable example \`${id}\`. Pick one from the list below.`);
                return;
            }
            heading.textContent = entry.title;
            chapterLine.replaceChildren();
            if (entry.chapter_href) {
                chapterLine.append("From the chapter ", el("a", { href: ROOT + entry.chapter_href, text: entry.chapter }), ` (example ${entry.id}).`);
            } else {
                chapterLine.append(`Example ${entry.id}.`);
            }
            if (focus) heading.focus();
            let details;
            try {
                details = (await dataFor(entry.module))[entry.id];
            } catch (error) {
                if (thisLoad === loads) fail(`Could not load the example's input and verified output: ${error.message}`);
                return;
            }
            if (thisLoad !== loads) return; // the reader opened another example meanwhile
            if (!details) {
                fail(`The playground's data for \`${entry.module}\` has no \`${entry.id}\`: the site was built from mismatched files.`);
                return;
            }
            current = { ...entry, ...details };
            const onInput = () => {
                step = null;
                permalink.setAttribute("href", currentHash());
            };
            editor = editorView({ defaultInput: current.default_input, help: current.input_help, onRun: () => go(), onInput });
            editor.textarea.value = input ?? current.default_input;
            editorSlot.replaceChildren(editor.root);
            permalink.setAttribute("href", currentHash());
            runButton.disabled = false;
            go();
        }

        async function go() {
            if (busy || !current) return;
            busy = true;
            runButton.disabled = true;
            const example = current;
            const input = editor.textarea.value;
            const restore = stepToRestore;
            step = restore;
            stepToRestore = null;
            history.replaceState(null, "", currentHash());
            permalink.setAttribute("href", currentHash());
            const onStep = (shown) => {
                if (example !== current) return;
                step = shown;
                history.replaceState(null, "", currentHash());
                permalink.setAttribute("href", currentHash());
            };
            const onAction = (line, next) => {
                if (busy || example !== current) return;
                editor.textarea.value = withLine(editor.textarea.value, line);
                stepToRestore = next;
                go();
            };
            await runAndShow(example.id, input, example.module, (reply) => {
                if (example === current) result.show(reply, { verified: example.verified, edited: input !== example.default_input, step: restore, onStep, onAction });
            });
            runButton.disabled = false;
            busy = false;
        }
        runButton.addEventListener("click", () => go());

        function fromHash({ focus } = {}) {
            const params = new URLSearchParams(location.hash.slice(1));
            const id = params.get("example") ?? examples[0]?.id;
            if (id) load(id, params.get("input"), { focus, step: stepFromHash(params) });
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
