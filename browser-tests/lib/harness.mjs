// Shared helpers for the browser tests: a static server for book/, Debian's Chromium through
// playwright-core, and pages that record every request they make.

import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join, normalize, relative, sep } from 'node:path';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const BOOK_DIR = process.env.BOOK_DIR;
if (!BOOK_DIR) {
    throw new Error('BOOK_DIR is not set: run the browser tests through `cargo xtask test`');
}

const CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.json': 'application/json',
    '.wasm': 'application/wasm',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.woff2': 'font/woff2',
    '.txt': 'text/plain; charset=utf-8',
    '.tsv': 'text/tab-separated-values; charset=utf-8',
};

/** Serves `root` on 127.0.0.1 (a free port), like any static host would. */
export async function serveBook(root = BOOK_DIR) {
    const server = createServer(async (req, res) => {
        const url = new URL(req.url, 'http://localhost');
        let path = normalize(join(root, decodeURIComponent(url.pathname)));
        if (!path.startsWith(normalize(root))) {
            res.writeHead(403).end();
            return;
        }
        try {
            if ((await stat(path)).isDirectory()) {
                path = join(path, 'index.html');
            }
            const body = await readFile(path);
            res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' });
            res.end(body);
        } catch {
            res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        }
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${server.address().port}`;
    return { origin, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Debian's Chromium, never a downloaded browser. */
export function launchChromium() {
    return chromium.launch({
        executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
        args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
        ],
    });
}

/**
 * Opens `url` in a fresh context and records every request and every uncaught page error;
 * `theme` opens it in that mdBook theme (`light`, `rust`, `coal`, `navy`, `ayu`);
 * `serviceWorkers: 'block'` keeps the site's worker out (it answers from its cache, where no route sees a request);
 * `viewport` ({ width, height }) sizes the window, e.g. as a phone's.
 * Returns { page, requests, errors, context }.
 */
export async function openRecorded(browser, url, { javaScript = true, theme, serviceWorkers = 'allow', viewport } = {}) {
    const context = await browser.newContext({ javaScriptEnabled: javaScript, serviceWorkers, ...(viewport ? { viewport } : {}) });
    if (theme !== undefined) {
        // What mdBook's theme picker stores; the page reads it before its first paint.
        await context.addInitScript((name) => localStorage.setItem('mdbook-theme', name), theme);
    }
    const page = await context.newPage();
    const requests = [];
    const errors = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('response', (response) => {
        if (response.status() >= 400) {
            errors.push(`HTTP ${response.status()} for ${response.url()}`);
        }
    });
    page.on('console', (message) => {
        if (message.type() === 'error') {
            errors.push(`console: ${message.text()}`);
        }
    });
    await page.goto(url, { waitUntil: 'networkidle' });
    return { page, requests, errors, context };
}

/** Every .html file of the built site, as paths relative to its root with / separators. */
export async function htmlPages(root = BOOK_DIR) {
    const pages = [];
    async function walk(dir) {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
            const full = join(dir, entry.name);
            if (entry.isDirectory()) {
                await walk(full);
            } else if (entry.name.endsWith('.html')) {
                pages.push(relative(root, full).split(sep).join('/'));
            }
        }
    }
    await walk(root);
    return pages.sort();
}

/**
 * Registers before/after hooks that serve the book and launch Chromium once for a test file.
 * Returns an object whose `server` and `browser` are set once the hooks have run.
 */
export function useBookAndBrowser() {
    const env = { server: undefined, browser: undefined };
    before(async () => {
        env.server = await serveBook();
        env.browser = await launchChromium();
    });
    after(async () => {
        await env.browser?.close();
        await env.server?.close();
    });
    return env;
}

/** The repository the book was built from: examples/manifest.json and examples/expected/ are there. */
export const WORKSPACE = join(BOOK_DIR, '..');

/** The registry as the preprocessor reads it: every browser-capable example, with its verified output. */
export async function runnableExamples() {
    const manifest = JSON.parse(await readFile(join(WORKSPACE, 'examples/manifest.json'), 'utf8'));
    const runnable = manifest.examples.filter((example) => example.native_only === null);
    for (const example of runnable) {
        example.verified = await readFile(join(WORKSPACE, example.expected), 'utf8');
    }
    return runnable;
}

/**
 * The Runs of every page (print.html skipped): a map from page to the example ids of its
 * `div.bf-run`s, in page order (an example may appear more than once).
 */
export async function runsByPage() {
    const found = new Map();
    for (const page of await htmlPages()) {
        if (page === 'print.html') continue;
        const html = await readFile(join(BOOK_DIR, page), 'utf8');
        const ids = [...html.matchAll(/<div class="bf-run"[^>]*? data-example-id="([^"]+)"/g)].map((match) => match[1]);
        if (ids.length) found.set(page, ids);
    }
    return found;
}

/**
 * The part of a run's output that cargo test verifies, by the page's own
 * `window.bfPlayground.verifiedPart`: without the figures after `--- measured here ---`
 * (examples::MEASURED_MARKER), which differ on every run.
 */
export async function verifiedPart(page, text) {
    return page.evaluate((output) => window.bfPlayground.verifiedPart(output), text);
}

/**
 * Splits an output at the reveal marker as the page does: `{ shown, answer }`, `answer`
 * undefined when there is none. Uses the page's own `window.bfPlayground.splitAnswer`
 * (returning `[shown, answer]` or `{ shown, answer }`).
 */
export async function splitAnswer(page, text) {
    const parts = await page.evaluate((output) => {
        const split = window.bfPlayground.splitAnswer;
        if (typeof split === 'function') return split(output);
        // Only for a theme/playground.js without splitAnswer: the rule of the preprocessor's
        // split_answer, at the first line `--- answer ---` (examples::REVEAL_MARKER).
        const marker = '\n--- answer ---\n';
        const at = output.indexOf(marker);
        return at < 0 ? [output] : [output.slice(0, at), output.slice(at + marker.length)];
    }, text);
    const [shown, answer] = Array.isArray(parts) ? parts : [parts?.shown, parts?.answer];
    assert.equal(typeof shown, 'string', `bfPlayground.splitAnswer returned ${JSON.stringify(parts)}`);
    return { shown, answer: answer ?? undefined };
}

/**
 * Waits until the playground result `target` (a selector, or a Locator of one element) shows a
 * run newer than `previous` (the `data-runs` counter theme/playground.js increments on every
 * result).
 */
export async function waitForNewRun(page, target, previous) {
    if (typeof target === 'string') {
        await page.waitForFunction(
            ([sel, prev]) => {
                const runs = document.querySelector(sel)?.dataset.runs;
                return runs !== undefined && runs !== prev;
            },
            [target, previous],
        );
        return;
    }
    const element = await target.elementHandle();
    try {
        await page.waitForFunction(
            ([node, prev]) => node.dataset.runs !== undefined && node.dataset.runs !== prev,
            [element, previous],
        );
    } finally {
        await element.dispose();
    }
}

/**
 * Presses Run in the `div.bf-run` at `run` (a Locator), after typing `input` into its editor
 * when given, and returns the result: state (`ok`/`error`), status line and output.
 */
export async function pressRun(page, run, input) {
    if (input !== undefined) {
        if (!(await run.locator('textarea.bf-input').isVisible())) await run.locator('button.bf-edit-button').click();
        await run.locator('textarea.bf-input').fill(input);
    }
    const result = run.locator('.bf-result');
    const before = await result.getAttribute('data-runs');
    await run.locator('button.bf-run-button').click();
    await waitForNewRun(page, result, before);
    return {
        state: await result.getAttribute('data-state'),
        status: (await result.locator('.bf-status').textContent()).trim(),
        output: await result.locator('.bf-run-output code').textContent(),
    };
}

/** Presses Run under the first figure of example `id` on `page`; see pressRun. */
export function runInline(page, id, input) {
    return pressRun(page, page.locator(`div.bf-run[data-example-id="${id}"]`).first(), input);
}

/** axe-core's script, from our pinned node_modules: the page gets it from here, never from a CDN. */
const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * Brings a quiz question (a `.bf-question` locator) into view, as a reader scrolling to it does,
 * and waits for theme/quiz.js to build its form, which it does only near the viewport.
 */
export async function openQuestion(question) {
    await question.scrollIntoViewIfNeeded();
    await question.locator('form.bf-quiz-form').waitFor();
}

/**
 * Runs axe-core (injected from node_modules) on `page` as it is now and returns its violations,
 * each node with the selector of the exception in `exceptions` ({ rule, selector }) it matches,
 * if any: the violation is of `rule` and the node's element matches `selector`.
 *
 * The syntect token spans of highlighted code (`pre > code.bf-code span`) are most of a page's
 * elements (tens of thousands on print.html) and carry nothing but a colour, yet they would
 * make axe many times slower. So for the run one visible span is kept for each distinct
 * colour, weight and size on each distinct code background (with the spans around it, whose
 * classes its colour depends on), the other spans are unwrapped, keeping their text and
 * mdBook's hidden `.boring` lines, and put back after the run.
 * Returns { violations, tokenColours, tokensChecked, incomplete }: how many distinct token
 * colours the page draws, how many of them axe measured, and what it could not measure (which
 * the caller should treat as failures).
 *
 * `only`, when given, is the list of axe rules to run (e.g. the colour rules alone, for a second
 * theme of a page whose other rules were checked in the first); the token colours are measured
 * only when `color-contrast` is among them.
 */
export async function axeViolations(page, exceptions = [], { only } = {}) {
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
        await page.addScriptTag({ path: AXE_SCRIPT });
    }
    return page.evaluate(async ({ known, only }) => {
        // Blocks far from the viewport are not rendered (content-visibility: auto, book-extras.css),
        // and axe measures colours only where the page is drawn: render them all while it runs.
        const blocks = [...document.querySelectorAll('.content main > *, .bf-review .bf-question')];
        for (const block of blocks) block.style.contentVisibility = 'visible';
        // Quiz forms are built near the viewport (theme/quiz.js): build them all for the check.
        window.bfQuiz?.buildAll();
        const representatives = new Map();
        // Text in a closed <details> is not drawn (Chromium may still report its boxes), so axe
        // does not measure it: only count what the reader sees.
        const folded = (node) => {
            for (let details = node.closest('details'); details; details = details.parentElement?.closest('details')) {
                if (!details.open && !details.querySelector(':scope > summary')?.contains(node)) return true;
            }
            return false;
        };
        const codes = [...document.querySelectorAll('pre > code.bf-code')].filter((code) => !folded(code));
        for (const code of codes) {
            const box = code.getBoundingClientRect();
            const background = getComputedStyle(code).backgroundColor;
            for (const span of code.querySelectorAll('span')) {
                // Text axe measures: it skips text of punctuation alone.
                if (![...span.childNodes].some((child) => child.nodeType === Node.TEXT_NODE && /[\p{L}\p{N}]/u.test(child.data))) continue;
                const rect = span.getBoundingClientRect();
                // Drawn, and not scrolled out of its block.
                if (rect.width === 0 || rect.left < box.left || rect.right > box.right) continue;
                const style = getComputedStyle(span);
                const key = [style.color, background, style.fontSize, style.fontWeight, style.opacity].join(' ');
                if (!representatives.has(key)) representatives.set(key, span);
            }
        }
        const kept = new Set();
        for (const span of representatives.values()) {
            for (let node = span; node.localName === 'span'; node = node.parentElement) kept.add(node);
        }
        const highlighted = codes.map((code) => [code, code.innerHTML]);
        for (const span of document.querySelectorAll('pre > code.bf-code span:not(.boring)')) {
            if (!kept.has(span)) span.replaceWith(...span.childNodes);
        }
        const describe = (violation) => ({
            rule: violation.id,
            impact: violation.impact,
            help: violation.help,
            nodes: violation.nodes.map((node) => {
                const element = document.querySelector(node.target.at(-1));
                const exception = known.find((e) => e.rule === violation.id && element?.matches(e.selector));
                return {
                    target: node.target.join(' >>> '),
                    html: node.html.slice(0, 200),
                    impact: node.impact,
                    summary: node.failureSummary,
                    exception: exception?.selector,
                };
            }),
        });
        try {
            const { violations } = await window.axe.run(document, only ? { resultTypes: ['violations'], runOnly: only } : { resultTypes: ['violations'] });
            // Again on the kept tokens alone, for the complete list of what axe measured.
            const measureTokens = !only || only.includes('color-contrast');
            const tokens = measureTokens && representatives.size
                ? await window.axe.run({ include: [...representatives.values()] }, { runOnly: ['color-contrast'] })
                : { passes: [], violations: [], incomplete: [] };
            const count = (kind) => tokens[kind].reduce((n, rule) => n + rule.nodes.length, 0);
            return {
                violations: violations.map(describe),
                tokenColours: measureTokens ? representatives.size : 0,
                tokensChecked: count('passes') + count('violations'),
                incomplete: tokens.incomplete.flatMap((rule) => rule.nodes.map((node) => `${node.target.join(' ')}: ${node.any.map((check) => check.message).join('; ')}`)),
            };
        } finally {
            for (const [code, html] of highlighted) code.innerHTML = html;
            for (const block of blocks) block.style.contentVisibility = '';
        }
    }, { known: exceptions.map(({ rule, selector }) => ({ rule, selector })), only });
}
