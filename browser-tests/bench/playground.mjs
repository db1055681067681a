// `cargo xtask bench`'s browser figures: how long each of the playground's WebAssembly modules
// takes to instantiate, the first Run on a chapter page (worker start, fetch, instantiate, run), and the
// Run -> output latency of every browser-capable example once the module is loaded, measured
// inside the page (theme/playground.js records each run from click to rendered result).
// Prints one JSON object on stdout.

import { launchChromium, runnableExamples, serveBook, waitForNewRun } from '../lib/harness.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const runnable = (await runnableExamples()).map((example) => example.id);

const server = await serveBook();
const browser = await launchChromium();
const report = { runs_per_example: RUNS, first_run_ms: null, instantiate_ms: null, examples: {} };

try {
    // First Run on the page that shows the first example: everything a reader waits for.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.origin}/how-this-book-works.html`, { waitUntil: 'networkidle' });
    const firstId = 'processes::amdahl';
    const run = page.locator(`div.bf-run[data-example-id="${firstId}"]`);
    await run.locator('button.bf-run-button').click();
    await waitForNewRun(page, `div.bf-run[data-example-id="${firstId}"] .bf-result`, undefined);
    report.first_run_ms = await page.evaluate(() => window.bfPlayground.timings.runs.at(-1).ms);

    // Warm runs of every example on the playground page.
    await page.goto(`${server.origin}/playground.html#example=${encodeURIComponent(runnable[0])}`, { waitUntil: 'networkidle' });
    await waitForNewRun(page, '.bf-pg-main .bf-result', undefined);
    for (const id of runnable) {
        // Changing the hash loads the example and runs it once; wait for that run.
        const loaded = await page.evaluate(() => document.querySelector('.bf-pg-main .bf-result').dataset.runs);
        await page.evaluate((hash) => {
            location.hash = hash;
        }, `example=${encodeURIComponent(id)}`);
        if (id !== runnable[0]) await waitForNewRun(page, '.bf-pg-main .bf-result', loaded);
        const times = [];
        for (let i = 0; i < RUNS; i++) {
            const before = await page.evaluate(() => document.querySelector('.bf-pg-main .bf-result').dataset.runs);
            await page.locator('.bf-pg-main button.bf-run-button').click();
            await waitForNewRun(page, '.bf-pg-main .bf-result', before);
            times.push(await page.evaluate(() => window.bfPlayground.timings.runs.at(-1)));
        }
        report.examples[id] = {
            state: await page.evaluate(() => document.querySelector('.bf-pg-main .bf-result').dataset.state),
            total_ms: times.map((t) => t.ms),
            wasm_ms: times.map((t) => t.wasmMs),
        };
    }
    // Each module was started once on this page (a fresh page, so none is cached in memory).
    report.instantiate_ms = await page.evaluate(() => window.bfPlayground.timings.instantiateMs);
    await context.close();
} finally {
    await browser.close();
    await server.close();
}
process.stdout.write(`${JSON.stringify(report)}\n`);
