// The wasm fuzz run: nothing panics on bad input in the build readers run.
//
// On wasm32 `usize` is 32 bits and the wasm profile has no overflow checks, so some bugs exist
// only in the browser: a length that fits natively overflows there, or an `unwrap` on a number
// parse fails there. This script loads every playground module of a built site in Node (the
// `--target web` bindings in `<BOOK_DIR>/generated/playground_<name>/`, the same files the
// page's worker loads) and runs every browser-capable example on its default input mutated in
// many ways (and every TypeScript example in the JavaScript the site ships for it,
// `<BOOK_DIR>/generated/ts/`): characters flipped, lines deleted, duplicated and swapped, truncation, numbers
// replaced by edge values (0, -1, 1e309, NaN, 4294967296, 18446744073709551616, FFFFFFFF, …),
// multi-byte characters, very long lines (every input stays under 20 KB), keys repeated,
// separators removed, lines built from the example's input help; plus fixed inputs (empty,
// CRLF, the known HTTP crashers). The mutations come from a seeded PRNG: each input depends only
// on the seed, the example and its mutation number, so any one can be run again alone.
//
// A trap (`WebAssembly.RuntimeError`: a panic under `panic = "abort"`, or an allocation
// failure), any other JavaScript exception (a wasm stack overflow is a `RangeError`), a reply
// that is not what the page expects, a figure that fails Figure::validate (the module checks
// every figure before replying, see BROKEN_FIGURE), or an input that runs longer than FUZZ_TIMEOUT_MS is a
// failure: the script prints the example, seed, mutation number, panic message and the exact
// input as JSON, and exits 1 once every example has run. Errors the example returns (bad
// input) are fine; they are counted, with how many of them name an input line. The report also
// gives the time of each example, the slowest inputs and the wall time. Examples run on a pool
// of worker threads, one per core; most mutations start from a cheaper variant of the default
// input (cheaperStart below).
//
// Usage (from the repository root, with the site built into book/):
//   BOOK_DIR=$PWD/book node browser-tests/fuzz/wasm-fuzz.mjs [--seed N] [--runs N]
// Environment: FUZZ_SEED (default: random, printed), FUZZ_RUNS (mutations per example, default
// 1000), FUZZ_ONLY (comma-separated example ids), FUZZ_CASE (one mutation number, with
// FUZZ_ONLY: repeats a single reported input), FUZZ_WORKERS (default: one per core),
// FUZZ_TIMEOUT_MS (default 30000). Examples come from examples/manifest.json next to BOOK_DIR.

import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Every input stays below this many UTF-8 bytes. */
const MAX_INPUT_BYTES = 20000;
/** The page stops a run after 10 s (theme/playground.js, RUN_TIMEOUT_MS); slower inputs are flagged. */
const PAGE_TIMEOUT_MS = 10000;
/** How playground::run's error for a figure that fails Figure::validate starts (playground::BROKEN_FIGURE): a bug, not bad input. */
const BROKEN_FIGURE = 'internal error: the simulation drew a figure the page cannot replay';
/** How many of the slowest inputs the report lists. */
const SLOWEST_LISTED = 8;
/** Mutations a worker runs per task; small, so both cores stay busy until the end. */
const TASK_SIZE = 50;
/** A worker starts afresh after making this many instances (its module map keeps the dead ones alive). */
const MAX_INSTANCES_PER_WORKER = 20;

// ---- Deterministic randomness -------------------------------------------------------------------

/** 32-bit FNV-1a of a string, to derive one seed per (run seed, example, mutation number). */
function fnv1a(text) {
    let hash = 0x811c9dc5;
    for (const byte of Buffer.from(text, 'utf8')) {
        hash ^= byte;
        hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash;
}

/** mulberry32: small, fast and good enough to pick mutations. */
class Rng {
    constructor(seed) {
        this.state = seed >>> 0;
    }

    next() {
        this.state = (this.state + 0x6d2b79f5) >>> 0;
        let t = this.state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }

    /** An integer in [0, n). */
    below(n) {
        return Math.floor(this.next() * n);
    }

    pick(items) {
        return items[this.below(items.length)];
    }

    chance(probability) {
        return this.next() < probability;
    }
}

// ---- Mutations ----------------------------------------------------------------------------------

const EDGE_NUMBERS = [
    '0', '-1', '1', '-0', '2', '1e309', '-1e309', 'NaN', 'nan', 'inf', '-inf', 'infinity',
    '0.5', '1e-400', '4294967295', '4294967296', '2147483647', '2147483648', '-2147483649',
    '65535', '65536', '18446744073709551615', '18446744073709551616', '9223372036854775807',
    '-9223372036854775808', '99999999999', '1000000000', '9'.repeat(40), '1'.repeat(400),
    'FFFFFFFF', 'ffffffffffffffff', '0xFFFFFFFF', '+1', '1_000', '1,5', '٣',
];
const MULTIBYTE = ['\u00a0', '\u3000', '😀', '\u0301', 'e\u0301', '\u200b', '\ufeff', 'é', '€', '𝟙', '\u2028', 'Ⅻ'];
const SPECIAL_CHARS = ['\0', '\t', '\r', '\n', ' ', '=', ':', ',', ';', '#', '-', '"', "'", '\\', '(', ')', '*', '/', '%', '|', '>'];
const NUMBER = /-?\d+(?:\.\d+)?/g;

const lines = (text) => text.split('\n');
const unlines = (list) => list.join('\n');
const at = (text, rng) => rng.below(text.length + 1);

/** Replaces one match of `pattern` in `text` (a random one) through `replace`, or returns null. */
function replaceOneMatch(text, pattern, rng, replace) {
    const matches = [...text.matchAll(pattern)];
    if (!matches.length) return null;
    const match = rng.pick(matches);
    return text.slice(0, match.index) + replace(match[0]) + text.slice(match.index + match[0].length);
}

/** A line made from the example's input help (`key = N`, `policy = fifo | rr`, …) with values filled in. */
function hintLine(hints, rng) {
    if (!hints.length) return `${rng.pick(['key', 'x', 'T1'])} = ${rng.pick(EDGE_NUMBERS)}`;
    return rng.pick(hints)
        .replace(/\b([a-z]+)(?: \| [a-z]+)+\b/g, (alternatives) => rng.pick(alternatives.split(' | ')))
        .replace(/\b[A-Z]+\b/g, () => (rng.chance(0.5) ? rng.pick(EDGE_NUMBERS) : String(rng.below(12))))
        .replace(/…/g, () => rng.pick(EDGE_NUMBERS));
}

/** Each takes (text, rng, context) and returns the mutated text; `context.hints` come from the input help. */
const MUTATORS = {
    flipChar(text, rng) {
        if (!text.length) return rng.pick(SPECIAL_CHARS);
        const i = rng.below(text.length);
        const code = text.charCodeAt(i);
        const flipped = code < 128 ? String.fromCharCode(code ^ (1 << rng.below(7))) : rng.pick(SPECIAL_CHARS);
        return text.slice(0, i) + flipped + text.slice(i + 1);
    },
    deleteChars(text, rng) {
        const i = at(text, rng);
        return text.slice(0, i) + text.slice(i + 1 + rng.below(8));
    },
    insertSpecialChar(text, rng) {
        const i = at(text, rng);
        return text.slice(0, i) + rng.pick(SPECIAL_CHARS) + text.slice(i);
    },
    insertMultibyte(text, rng) {
        const char = rng.pick(MULTIBYTE);
        const replaced = rng.chance(0.5) && replaceOneMatch(text, / |\d/g, rng, () => char);
        if (replaced) return replaced;
        const i = at(text, rng);
        return text.slice(0, i) + char + text.slice(i);
    },
    deleteLine(text, rng) {
        const list = lines(text);
        list.splice(rng.below(list.length), 1);
        return unlines(list);
    },
    duplicateLine(text, rng) {
        const list = lines(text);
        const i = rng.below(list.length);
        list.splice(i, 0, ...Array(1 + (rng.chance(0.2) ? rng.below(50) : 0)).fill(list[i]));
        return unlines(list);
    },
    swapLines(text, rng) {
        const list = lines(text);
        const [i, j] = [rng.below(list.length), rng.below(list.length)];
        [list[i], list[j]] = [list[j], list[i]];
        return unlines(list);
    },
    truncate(text, rng) {
        return text.slice(0, rng.below(text.length + 1));
    },
    edgeNumber(text, rng) {
        const edge = rng.pick(EDGE_NUMBERS);
        const replaced = replaceOneMatch(text, NUMBER, rng, () => edge);
        if (replaced !== null) return replaced;
        const i = at(text, rng);
        return text.slice(0, i) + edge + text.slice(i);
    },
    nudgeNumber(text, rng) {
        return replaceOneMatch(text, /\d+/g, rng, (digits) => {
            const n = BigInt(digits);
            return String(rng.pick([n + 1n, n - 1n, n * 2n, n * 1000n, -n, n / 2n, n ** 3n]));
        }) ?? text;
    },
    longLine(text, rng) {
        const words = text.match(/\S+/g) ?? ['x'];
        const unit = rng.chance(0.5) ? rng.pick(words) : rng.pick([...SPECIAL_CHARS, ...MULTIBYTE, '9', 'a']);
        const target = 1000 + rng.below(MAX_INPUT_BYTES - Buffer.byteLength(text) - 1000);
        const long = unit.repeat(Math.max(1, Math.floor(target / Math.max(1, Buffer.byteLength(unit)))));
        const list = lines(text);
        if (rng.chance(0.5)) list.splice(rng.below(list.length + 1), 0, long);
        else list[rng.below(list.length)] += long;
        return unlines(list);
    },
    repeatKey(text, rng, { hints }) {
        const list = lines(text);
        const keyed = list.map((line, i) => [line, i]).filter(([line]) => /[=:]/.test(line));
        if (!keyed.length) return unlines([...list, ...Array(2 + rng.below(20)).fill(hintLine(hints, rng))]);
        const [line, i] = rng.pick(keyed);
        const copies = Array.from({ length: 1 + rng.below(20) }, () => line.replace(NUMBER, () => rng.pick(EDGE_NUMBERS)));
        list.splice(i + 1, 0, ...copies);
        return unlines(list);
    },
    removeSeparator(text, rng) {
        const separator = rng.pick(['=', ':', ',', ';', ' ']);
        const list = lines(text);
        const candidates = list.map((line, i) => i).filter((i) => list[i].includes(separator));
        if (!candidates.length) return text;
        const i = rng.pick(candidates);
        list[i] = rng.chance(0.5) ? list[i].replace(separator, '') : list[i].split(separator).join('');
        return unlines(list);
    },
    whitespace(text, rng) {
        switch (rng.below(5)) {
            case 0: return text.replace(/\n/g, '\r\n');
            case 1: return text.replace(/\n/g, rng.pick([' ', '', ';']));
            case 2: return text.replace(/ /g, rng.pick(['\t', '  ', '\u00a0', '']));
            case 3: return unlines(lines(text).map((line) => (rng.chance(0.3) ? `  ${line}  ` : line)));
            default: return `\n\n${text}\n\n\n`;
        }
    },
    changeCase(text, rng) {
        const list = lines(text);
        const i = rng.below(list.length);
        list[i] = rng.chance(0.5) ? list[i].toUpperCase() : list[i].toLowerCase();
        return unlines(list);
    },
    insertHintLine(text, rng, { hints }) {
        const list = lines(text);
        list.splice(rng.below(list.length + 1), 0, hintLine(hints, rng));
        return unlines(list);
    },
    spliceWord(text, rng) {
        const words = text.match(/\S+/g);
        if (!words) return text;
        const i = at(text, rng);
        return `${text.slice(0, i)}${rng.pick(words)}${rng.chance(0.5) ? ' ' : ''}${text.slice(i)}`;
    },
};
const MUTATOR_NAMES = Object.keys(MUTATORS);

/** Cuts `text` to fewer than MAX_INPUT_BYTES UTF-8 bytes, never inside a surrogate pair. */
function withinSizeLimit(text) {
    let cut = text;
    while (Buffer.byteLength(cut, 'utf8') >= MAX_INPUT_BYTES) {
        cut = cut.slice(0, Math.floor(cut.length * 0.9));
    }
    // As the bindings pass it: a lone surrogate becomes U+FFFD, so the reported input is exact.
    return cut.toWellFormed();
}

/** Every integer of 1000 or more divided by 100: the same input on a smaller scale. */
const scaledDown = (text) => text.replace(/\d{4,}/g, (digits) => String(BigInt(digits) / 100n));

/**
 * Most mutations start from a cheaper variant of the default input, so that a thousand of them
 * stay quick even where the default input does a lot of work on purpose (moved_keys and
 * vnode_spread place 100000 keys on many rings, ~0.2 s and ~0.05 s): every integer of 1000 or
 * more is divided by 100. The rule depends only on the input, never on timing, so a run is the
 * same on every machine. An example slow for another reason names its cheaper variant here
 * (sql::runaway runs until SQLite's budget of 20 million instructions stops it, ~0.5 s: its
 * recursion gets a bound). One in SLOW_FULL_EVERY of the random mutations, and every fixed
 * input, start from the default input itself, so the expensive path is fuzzed too.
 */
const CHEAPER_START = {
    'sql::runaway': (text) => text.replace('SELECT x + 1 FROM n)', 'SELECT x + 1 FROM n WHERE x < 100)'),
};

/** The cheaper variant of an example's default input, or undefined when there is none. */
function cheaperStart(example) {
    const cheaper = CHEAPER_START[example.id] ?? scaledDown;
    const text = cheaper(example.default_input);
    return text === example.default_input ? undefined : text;
}
const SLOW_FULL_EVERY = 50;

/** Backtick snippets of the input help, the example's own grammar: `cores = N`, `T1: statement`. */
function inputHints(example) {
    return [...example.input_help.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
}

/** Inputs every example gets besides its random mutations. */
function fixedInputs(example) {
    const text = example.default_input;
    const inputs = [
        { name: 'the default input', input: text },
        { name: 'empty input', input: '' },
        { name: 'only whitespace', input: ' \n\t\n' },
        { name: 'CRLF line ends', input: text.replace(/\n/g, '\r\n') },
        { name: 'no final newline', input: text.replace(/\n+$/, '') },
        { name: 'every number 4294967296', input: text.replace(NUMBER, '4294967296') },
        { name: 'every number -1', input: text.replace(NUMBER, '-1') },
        { name: 'every number 0', input: text.replace(NUMBER, '0') },
    ];
    if (example.id.includes('http')) {
        // The known crashers: a length past 32 bits, and a chunk size that wraps `usize`.
        inputs.push(
            { name: 'Content-Length: 99999999999', input: 'POST /api/items HTTP/1.1\nHost: example.com\nContent-Length: 99999999999\n\n{"name":"widget"}\n' },
            { name: 'chunk size FFFFFFFF after a 1-byte chunk', input: 'POST /upload HTTP/1.1\nHost: example.com\nTransfer-Encoding: chunked\n\n1\na\nFFFFFFFF\nhello\n0\n\n' },
        );
    }
    return inputs;
}

/**
 * Input number `number` of `example` for run seed `seed`: the fixed inputs first, then random
 * mutations of the default input. Returns { input, how } (`how` names the mutations).
 */
function fuzzInput(example, seed, number) {
    const fixed = fixedInputs(example);
    if (number < fixed.length) return { input: withinSizeLimit(fixed[number].input), how: fixed[number].name };
    const rng = new Rng(fnv1a(`${seed}/${example.id}/${number}`));
    const context = { hints: inputHints(example) };
    const cheaper = cheaperStart(example);
    const fromCheaper = cheaper !== undefined && !rng.chance(1 / SLOW_FULL_EVERY);
    let text = fromCheaper ? cheaper : example.default_input;
    const applied = [];
    // One to three mutations (sometimes up to eight); try again while the text has not changed.
    const steps = rng.chance(0.1) ? 4 + rng.below(5) : 1 + rng.below(3);
    for (let attempt = 0; applied.length < steps || (text === example.default_input && attempt < 20); attempt++) {
        const name = rng.pick(MUTATOR_NAMES);
        text = withinSizeLimit(MUTATORS[name](text, rng, context));
        applied.push(name);
    }
    return { input: text, how: `${fromCheaper ? 'the cheaper start, then ' : ''}${applied.join(', ')}` };
}

const inputCount = (example, runs) => fixedInputs(example).length + runs;

// ---- Calling an example -------------------------------------------------------------------------

/**
 * Runs example `id` on `input` in the bindings `wasm` as the page's worker does: one call, whose
 * reply is `{"output": "...", "figure": {...} | null}` as JSON. Throws a string for bad input.
 * Returns { output, figure }.
 */
function callExample(wasm, id, input) {
    const reply = JSON.parse(wasm.run(id, input));
    return { output: reply.output, figure: reply.figure ?? null };
}

// ---- The worker: runs tasks (an example and a range of mutation numbers) ------------------------

async function workerMain() {
    const { bookDir, seed } = workerData;
    let panicMessage = null;
    globalThis.bfPlaygroundPanic = (message) => {
        panicMessage = message;
    };
    const compiled = new Map();
    const instances = new Map();
    let instancesMade = 0;

    /**
     * A TypeScript example (module `ts`): its JavaScript as the site ships it
     * (`generated/ts/<chapter>/<name>.js`), behind the wasm modules' `run(id, input)`, with its
     * `InputError` thrown as the error text the page's worker shows (src/assets/playground-worker.js).
     * Anything else it throws is a bug in the example, and a failure here.
     */
    async function typescriptExample(id) {
        const [chapter, name] = id.split('::');
        instancesMade += 1;
        const example = await import(`${pathToFileURL(join(bookDir, 'generated', 'ts', chapter, `${name}.js`)).href}?instance=${instancesMade}`);
        return {
            run(_id, input) {
                let output;
                try {
                    output = example.run(input);
                } catch (error) {
                    if (error?.name === 'InputError') throw error.report();
                    throw error;
                }
                return JSON.stringify({ output, figure: null });
            },
        };
    }

    /** Fresh bindings for `module`: a new copy of its JS (they keep their instance in a module variable). */
    async function instantiate(module, id) {
        if (module === 'ts') return typescriptExample(id);
        const artifact = `playground_${module}`;
        const dir = join(bookDir, 'generated', artifact);
        if (!compiled.has(module)) {
            compiled.set(module, await WebAssembly.compile(await readFile(join(dir, `${artifact}_bg.wasm`))));
        }
        instancesMade += 1;
        const bindings = await import(`${pathToFileURL(join(dir, `${artifact}.js`)).href}?instance=${instancesMade}`);
        bindings.initSync({ module: compiled.get(module) });
        instances.set(module, bindings);
        return bindings;
    }

    parentPort.on('message', async ({ example, from, to }) => {
        // Each TypeScript example is its own file; the WebAssembly examples of a module share one instance.
        const instanceKey = example.module === 'ts' ? example.id : example.module;
        let wasm = instances.get(instanceKey) ?? (await instantiate(example.module, example.id));
        instances.set(instanceKey, wasm);
        for (let number = from; number < to; number++) {
            const { input } = fuzzInput(example, seed, number);
            panicMessage = null;
            const started = performance.now();
            let outcome;
            try {
                const reply = callExample(wasm, example.id, input);
                outcome = typeof reply.output === 'string'
                    ? { kind: 'ok' }
                    : { kind: 'failure', problem: `a reply without output text: ${JSON.stringify(reply).slice(0, 200)}` };
            } catch (error) {
                if (typeof error === 'string' && error.startsWith(BROKEN_FIGURE)) {
                    outcome = { kind: 'failure', problem: error.slice(0, 400) };
                } else if (typeof error === 'string') {
                    outcome = { kind: 'error', namesLine: /input line \d+:/.test(error) };
                } else if (error instanceof WebAssembly.RuntimeError) {
                    outcome = { kind: 'failure', problem: `trap (${error.message})`, panic: panicMessage ?? null };
                } else {
                    outcome = { kind: 'failure', problem: `${error?.name ?? 'exception'}: ${error?.message ?? String(error)}`, panic: panicMessage ?? null };
                }
            }
            const ms = performance.now() - started;
            const replaceInstance = outcome.kind === 'failure';
            parentPort.postMessage({ type: 'input', number, ms, ...outcome });
            if (replaceInstance) {
                // The instance is dead (or its stack pointer is wherever the exception left it).
                if (instancesMade >= MAX_INSTANCES_PER_WORKER) {
                    parentPort.postMessage({ type: 'retire', next: number + 1 });
                    return;
                }
                wasm = await instantiate(example.module, example.id);
                instances.set(instanceKey, wasm);
            }
        }
        parentPort.postMessage({ type: 'done' });
    });
}

// ---- The main thread: a pool of workers over tasks ----------------------------------------------

function parseArguments(argv) {
    const options = {};
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split('=', 2);
        const value = inline ?? argv[++i];
        if (flag === '--seed') options.seed = value;
        else if (flag === '--runs') options.runs = value;
        else throw new Error(`unknown argument ${argv[i]} (usage: wasm-fuzz.mjs [--seed N] [--runs N])`);
    }
    return options;
}

function positiveInteger(text, name) {
    if (!/^\d+$/.test(String(text))) throw new Error(`${name} must be a non-negative integer, not ${text}`);
    return Number(text);
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function main() {
    const bookDir = process.env.BOOK_DIR;
    if (!bookDir) throw new Error('BOOK_DIR is not set: point it at the built site (book/)');
    const options = parseArguments(process.argv.slice(2));
    const seed = positiveInteger(options.seed ?? process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32), 'the seed') >>> 0;
    const runs = positiveInteger(options.runs ?? process.env.FUZZ_RUNS ?? 1000, 'FUZZ_RUNS');
    const timeoutMs = positiveInteger(process.env.FUZZ_TIMEOUT_MS ?? 30000, 'FUZZ_TIMEOUT_MS');
    const only = process.env.FUZZ_ONLY ? process.env.FUZZ_ONLY.split(',') : null;
    const onlyCase = process.env.FUZZ_CASE === undefined ? null : positiveInteger(process.env.FUZZ_CASE, 'FUZZ_CASE');

    const manifest = JSON.parse(await readFile(join(bookDir, '..', 'examples/manifest.json'), 'utf8'));
    const examples = manifest.examples
        .filter((example) => example.native_only === null)
        .filter((example) => !only || only.includes(example.id));
    if (!examples.length) throw new Error(`no browser-capable example${only ? ` among ${only.join(', ')}` : ''}`);
    for (const example of examples) {
        const cheaper = CHEAPER_START[example.id];
        if (cheaper && cheaper(example.default_input) === example.default_input) {
            throw new Error(`the cheaper start of ${example.id} is its default input: update CHEAPER_START in ${process.argv[1]}`);
        }
    }

    const stats = new Map(examples.map((example) => [example.id, { inputs: 0, ok: 0, errors: 0, namesLine: 0, failures: 0, ms: 0 }]));
    const failures = [];
    const slowInputs = [];
    const tasks = [];
    for (const example of examples) {
        const end = onlyCase === null ? inputCount(example, runs) : onlyCase + 1;
        for (let from = onlyCase ?? 0; from < end; from += TASK_SIZE) {
            tasks.push({ example, from, to: Math.min(end, from + TASK_SIZE) });
        }
    }
    const workerCount = Math.max(1, Math.min(
        positiveInteger(process.env.FUZZ_WORKERS ?? availableParallelism(), 'FUZZ_WORKERS'), tasks.length));

    console.log(`wasm fuzz: seed ${seed} (FUZZ_SEED=${seed} repeats this run), ${runs} mutations plus the fixed inputs per example, `
        + `${examples.length} examples, ${workerCount} workers, book ${bookDir}`);
    const started = performance.now();

    function record(task, message) {
        const stat = stats.get(task.example.id);
        stat.inputs += 1;
        stat.ms += message.ms;
        if (message.kind === 'ok') stat.ok += 1;
        else if (message.kind === 'error') {
            stat.errors += 1;
            if (message.namesLine) stat.namesLine += 1;
        } else {
            stat.failures += 1;
            failures.push({ example: task.example, number: message.number, problem: message.problem, panic: message.panic });
        }
        slowInputs.push({ example: task.example, number: message.number, ms: message.ms });
        slowInputs.sort((a, b) => b.ms - a.ms);
        slowInputs.length = Math.min(slowInputs.length, SLOWEST_LISTED);
    }

    /** One worker: takes tasks until none is left; replaced when it retires or hangs. */
    function runWorker() {
        return new Promise((resolve, reject) => {
            const worker = new Worker(new URL(import.meta.url), { workerData: { bookDir, seed } });
            let task = null;
            let next = 0;
            let watchdog = null;
            const armWatchdog = () => {
                clearTimeout(watchdog);
                watchdog = setTimeout(() => {
                    // The input never finished: record it, put the rest of the task back, start afresh.
                    record(task, { number: next, ms: timeoutMs, kind: 'failure', problem: `did not finish in ${seconds(timeoutMs)} (the page stops a run after ${seconds(PAGE_TIMEOUT_MS)})` });
                    if (next + 1 < task.to) tasks.unshift({ ...task, from: next + 1 });
                    task = null;
                    worker.terminate().then(() => runWorker().then(resolve, reject));
                }, timeoutMs);
            };
            const takeTask = () => {
                task = tasks.shift() ?? null;
                if (!task) {
                    clearTimeout(watchdog);
                    worker.terminate().then(resolve, reject);
                    return;
                }
                next = task.from;
                armWatchdog();
                worker.postMessage(task);
            };
            worker.on('message', (message) => {
                if (!task) return;
                if (message.type === 'input') {
                    record(task, message);
                    next = message.number + 1;
                    armWatchdog();
                } else if (message.type === 'retire') {
                    if (message.next < task.to) tasks.unshift({ ...task, from: message.next });
                    task = null;
                    clearTimeout(watchdog);
                    worker.terminate().then(() => runWorker().then(resolve, reject));
                } else if (message.type === 'done') {
                    takeTask();
                }
            });
            worker.on('error', (error) => {
                clearTimeout(watchdog);
                reject(error);
            });
            worker.on('online', takeTask);
        });
    }
    await Promise.all(Array.from({ length: workerCount }, runWorker));
    const wallMs = performance.now() - started;

    // The report: per example, then the slowest, then every failure with its input.
    const idWidth = Math.max(...examples.map((example) => example.id.length));
    console.log(`\n${'example'.padEnd(idWidth)}  inputs      ok  errors  (input line N)  failures     time`);
    for (const example of examples) {
        const s = stats.get(example.id);
        console.log(`${example.id.padEnd(idWidth)}  ${String(s.inputs).padStart(6)}  ${String(s.ok).padStart(6)}  ${String(s.errors).padStart(6)}  `
            + `${String(s.namesLine).padStart(14)}  ${String(s.failures).padStart(8)}  ${seconds(s.ms).padStart(7)}`);
    }
    const total = [...stats.values()].reduce((sum, s) => ({ inputs: sum.inputs + s.inputs, ms: sum.ms + s.ms }), { inputs: 0, ms: 0 });
    const slowest = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 5);
    console.log(`\n${total.inputs} inputs in ${seconds(wallMs)} (${seconds(total.ms)} of example time on ${workerCount} workers).`);
    console.log(`Slowest examples: ${slowest.map(([id, s]) => `${id} ${seconds(s.ms)} (${(s.ms / s.inputs).toFixed(1)} ms an input)`).join(', ')}.`);
    console.log('Slowest inputs:');
    for (const slow of slowInputs) {
        const { input, how } = fuzzInput(slow.example, seed, slow.number);
        const flag = slow.ms > PAGE_TIMEOUT_MS ? ' SLOWER THAN THE PAGE ALLOWS' : '';
        console.log(`  ${slow.ms.toFixed(0).padStart(6)} ms${flag}  ${slow.example.id} mutation ${slow.number} (${how}): ${JSON.stringify(input).slice(0, 160)}`);
    }
    if (!failures.length) {
        console.log('No traps.');
        return 0;
    }
    failures.sort((a, b) => a.example.id.localeCompare(b.example.id) || a.number - b.number);
    console.log(`\n${failures.length} failures:`);
    for (const failure of failures) {
        const { input, how } = fuzzInput(failure.example, seed, failure.number);
        console.log(`\nFAIL ${failure.example.id}, seed ${seed}, mutation ${failure.number} (${how}): ${failure.problem}`);
        if (failure.panic !== undefined) console.log(`  panic: ${failure.panic ?? '(the panic hook was not called)'}`);
        console.log(`  input: ${JSON.stringify(input)}`);
        console.log(`  again: FUZZ_SEED=${seed} FUZZ_ONLY=${failure.example.id} FUZZ_CASE=${failure.number} node browser-tests/fuzz/wasm-fuzz.mjs`);
    }
    return 1;
}

if (isMainThread) {
    process.exitCode = await main();
} else {
    await workerMain();
}
