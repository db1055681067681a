// `cargo xtask bench`'s page figures: for every page a reader lands on, the bytes of its first
// load (gzipped) and its main-thread blocking under a 4x-throttled CPU, the median of
// PAGE_RUNS loads. Prints one JSON object on stdout.

import { htmlPages, launchChromium, serveBook } from '../lib/harness.mjs';
import { firstLoadWeight, isReaderPage, mainThreadBlocking, MAIN_THREAD_BUDGET_MS, PAGE_WEIGHT_BUDGET_BYTES } from '../lib/page-cost.mjs';

const RUNS = Number(process.env.PAGE_RUNS ?? 3);
const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const server = await serveBook();
const browser = await launchChromium();
const report = { runs: RUNS, weight_budget_bytes: PAGE_WEIGHT_BUDGET_BYTES, blocking_budget_ms: MAIN_THREAD_BUDGET_MS, pages: {} };
try {
    for (const path of (await htmlPages()).filter(isReaderPage)) {
        const weight = await firstLoadWeight(browser, server.origin, path);
        const runs = [];
        for (let i = 0; i < RUNS; i++) runs.push(await mainThreadBlocking(browser, server.origin, path));
        report.pages[path] = {
            bytes: weight.bytes,
            largest: weight.files.slice(0, 3),
            blocking_ms: median(runs.map((r) => r.blockingMs)),
            longest_task_ms: median(runs.map((r) => r.longestTaskMs)),
            busy_ms: median(runs.map((r) => r.busyMs)),
            clock: runs[0].clock,
        };
    }
} finally {
    await browser.close();
    await server.close();
}
process.stdout.write(`${JSON.stringify(report)}\n`);
