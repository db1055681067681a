// What a page costs a reader on first load: the bytes it transfers (gzipped, as a static host
// serves them) and how long its main thread is blocked under a throttled CPU. Shared by the
// page test (tests/pages.test.mjs, the weight budget) and `cargo xtask bench` (bench/pages.mjs).

import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BOOK_DIR } from './harness.mjs';

/** Budget for one page's first load, gzipped (issue 14): 350 KB. */
export const PAGE_WEIGHT_BUDGET_BYTES = 350_000;
/** Budget for main-thread blocking on first load under a 4x CPU throttle (issue 14). */
export const MAIN_THREAD_BUDGET_MS = 200;
/** A task longer than this blocks input; what it runs beyond this counts as blocking (TBT's rule). */
const LONG_TASK_MS = 50;

// A static host (GitHub Pages, nginx's defaults) gzips text and WebAssembly; fonts and images
// are already compressed and go as they are.
const GZIPPED = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.txt', '.tsv', '.wasm', '.map']);

/** The pages a reader lands on: every .html but toc.html (the sidebar frame) and print.html (the whole book). */
export function isReaderPage(path) {
    return path !== 'toc.html' && path !== 'print.html';
}

/**
 * Loads `path` in a fresh context with an empty cache and no service worker (its precache runs
 * after load and is not part of what the page needs) and records every same-origin file it
 * fetches until the network is idle. Returns { bytes, files: [{ path, bytes }] }, the files
 * largest first, each counted once, gzipped where a host would gzip it.
 */
export async function firstLoadWeight(browser, origin, path) {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    const urls = new Set();
    page.on('request', (request) => urls.add(request.url()));
    try {
        await page.goto(`${origin}/${path}`, { waitUntil: 'networkidle' });
    } finally {
        await context.close();
    }
    return weightOf(origin, urls);
}

/**
 * The first-load weight of the requests `urls` a page made: { bytes, files: [{ path, bytes }] },
 * the same-origin files largest first, each counted once, gzipped where a host would gzip it.
 */
export async function weightOf(origin, urls) {
    const files = [];
    for (const url of new Set(urls)) {
        if (!url.startsWith(`${origin}/`)) continue; // other origins fail pages.test.mjs
        files.push({ path: new URL(url).pathname.slice(1), bytes: await transferredBytes(new URL(url).pathname) });
    }
    files.sort((a, b) => b.bytes - a.bytes);
    return { bytes: files.reduce((sum, file) => sum + file.bytes, 0), files };
}

async function transferredBytes(pathname) {
    let file = normalize(join(BOOK_DIR, decodeURIComponent(pathname)));
    if (pathname.endsWith('/')) file = join(file, 'index.html');
    let body;
    try {
        body = await readFile(file);
    } catch {
        return 0; // a 404: pages.test.mjs fails on it; it weighs next to nothing
    }
    return GZIPPED.has(extname(file)) ? gzipSync(body, { level: 6 }).length : body.length;
}

/**
 * Loads `path` with the CPU throttled `rate` times (Chromium's DevTools protocol), traces the
 * page's renderer main thread until the page has been idle for a second, and returns
 * { blockingMs, longestTaskMs, busyMs }: blocking is the sum over tasks longer than 50 ms of
 * their time beyond 50 ms (Total Blocking Time's rule, counted from navigation).
 *
 * A task's time is the main thread's own time in it (the trace's `tdur`), not the wall clock:
 * CDP's throttle slows the thread by keeping it busy, so on a core of its own the two agree,
 * but on a shared machine (CI, 2 cores, a build beside it) the wall clock also counts the time
 * the thread waited for a core, and swung the same page's figure threefold between runs.
 */
export async function mainThreadBlocking(browser, origin, path, rate = 4) {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    try {
        const cdp = await context.newCDPSession(page);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate });
        await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline'] });
        await page.goto(`${origin}/${path}`, { waitUntil: 'networkidle' });
        await page.waitForTimeout(1000);
        const trace = JSON.parse((await browser.stopTracing()).toString('utf8'));
        return blockingFromTrace(trace.traceEvents ?? trace, `${origin}/${path}`);
    } finally {
        await context.close();
    }
}

/**
 * Main-thread figures from Chrome trace events: the main thread of the renderer that committed
 * `url` as the top-level frame (the browser may start other renderers, which are not the page's).
 */
export function blockingFromTrace(events, url) {
    const committed = events.filter((e) => e.name === 'FrameCommittedInBrowser'
        && e.args?.data?.isOutermostMainFrame && e.args.data.url === url);
    if (committed.length !== 1) {
        throw new Error(`the trace shows ${committed.length} top-level commits of ${url}, expected 1`);
    }
    const pid = committed[0].args.data.processId;
    const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === pid
        && e.args?.name === 'CrRendererMain');
    if (!main) throw new Error(`the trace has no main thread for renderer ${pid} (${url})`);
    const tasks = topLevel(events.filter((e) => e.ph === 'X' && e.name === 'RunTask'
        && e.pid === pid && e.tid === main.tid));
    // Thread time where the platform records it (Linux does); else the wall clock, and it says so.
    const threadTime = tasks.every((e) => e.tdur !== undefined);
    const durations = tasks.map((e) => (threadTime ? e.tdur : e.dur) / 1000);
    return {
        blockingMs: durations.reduce((sum, ms) => sum + Math.max(0, ms - LONG_TASK_MS), 0),
        longestTaskMs: durations.reduce((max, ms) => Math.max(max, ms), 0),
        busyMs: durations.reduce((sum, ms) => sum + ms, 0),
        clock: threadTime ? 'thread' : 'wall',
    };
}

/** Tasks not nested in another task of the same thread (a nested run loop would count twice). */
function topLevel(tasks) {
    const sorted = [...tasks].sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const kept = [];
    let end = -Infinity;
    for (const task of sorted) {
        if (task.ts >= end) {
            kept.push(task);
            end = task.ts + task.dur;
        }
    }
    return kept;
}
