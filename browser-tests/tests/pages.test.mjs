// Every page of the built site: loads without script errors, requests nothing outside its own
// origin, stays within the first-load weight budget (issue 14: what a reader's page fetches
// before the network goes idle, gzipped as a static host serves it; main-thread time is
// measured by `cargo xtask bench`, not tested: it depends on the machine), and fetches mermaid.min.js if and only if it has a diagram left to the browser (which
// then renders). Diagrams drawn at build time are checked in diagrams.test.mjs.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOK_DIR, htmlPages, openRecorded, useBookAndBrowser } from '../lib/harness.mjs';
import { isReaderPage, PAGE_WEIGHT_BUDGET_BYTES, weightOf } from '../lib/page-cost.mjs';

const MERMAID_SCRIPT = 'generated/mermaid.min.js';

const env = useBookAndBrowser();
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

// toc.html is the sidebar, loaded as an iframe by every other page (whose recorded requests
// include the frame's); as a top-level page Chromium would also ask for a /favicon.ico it lacks.
const pages = (await htmlPages()).filter((path) => path !== 'toc.html');
assert.ok(pages.includes('index.html'), `no index.html in ${BOOK_DIR}`);

// Two pages at a time: each waits on the network going idle more than it computes.
describe(`every page (a reader's first load <= ${kB(PAGE_WEIGHT_BUDGET_BYTES)} gzipped)`, { concurrency: 2 }, () => {
    for (const path of pages) {
        test(path, async () => {
            const html = await readFile(join(BOOK_DIR, path), 'utf8');
            // A diagram the build could not draw; the book has none (diagrams.test.mjs).
            const hasDiagram = html.includes('<pre class="mermaid">');
            const { page, requests, errors, context } = await openRecorded(env.browser, `${env.server.origin}/${path}`);
            try {
                // mdBook's print.html calls window.print() on load, which in headless Chromium
                // stalls the page's further loading; the chapters' own pages cover its diagrams.
                if (hasDiagram && path !== 'print.html') {
                    // Wait for the drawing first: on a loaded machine the loader's request can
                    // come after the page looked idle.
                    await page.waitForSelector('pre.mermaid svg', { timeout: 15000 });
                    const drawn = await page.locator('pre.mermaid svg').count();
                    const diagrams = await page.locator('pre.mermaid').count();
                    assert.equal(drawn, diagrams, `${path}: ${drawn} of ${diagrams} diagrams rendered`);
                }
                const offOrigin = requests.filter((url) => !url.startsWith(`${env.server.origin}/`) && !url.startsWith('data:'));
                assert.deepEqual(offOrigin, [], `${path} requested other origins`);
                assert.deepEqual(errors, [], `${path} raised script errors`);
                if (isReaderPage(path)) {
                    // The context is fresh, so this is a first load; the service worker's
                    // precache runs in the worker, whose requests are not the page's.
                    const { bytes, files } = await weightOf(env.server.origin, requests);
                    assert.ok(files.some((file) => file.path === path), `${path}: the page itself was not among its requests`);
                    assert.ok(bytes <= PAGE_WEIGHT_BUDGET_BYTES,
                        `${path} transfers ${kB(bytes)} on first load, over the ${kB(PAGE_WEIGHT_BUDGET_BYTES)} budget; largest files:\n`
                        + files.slice(0, 8).map((file) => `  ${kB(file.bytes).padStart(9)}  ${file.path}`).join('\n'));
                }
                if (path === 'print.html') return;
                const fetchedMermaid = requests.some((url) => url.endsWith(MERMAID_SCRIPT));
                assert.equal(fetchedMermaid, hasDiagram,
                    hasDiagram ? `${path} has a diagram but did not fetch mermaid` : `${path} has no diagram but fetched mermaid`);
            } finally {
                await context.close();
            }
        });
    }
});

test('no page fetches mermaid.min.js: every diagram is drawn at build time', async () => {
    // Guards the loop above against passing vacuously: pages with diagrams exist, and none of
    // them leaves a diagram to mermaid.js, so the rule above means none fetches it.
    let drawn = 0;
    for (const path of pages) {
        const html = await readFile(join(BOOK_DIR, path), 'utf8');
        if (html.includes('<figure class="bf-diagram"')) drawn += 1;
        assert.ok(!html.includes('<pre class="mermaid">'), `${path} leaves a diagram to mermaid.js`);
    }
    assert.ok(drawn >= 2, `only ${drawn} pages have a diagram`);
});
