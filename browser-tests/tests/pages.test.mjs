// Every page of the built site: loads without script errors, requests nothing outside its own
// origin, and fetches mermaid.min.js if and only if it has a diagram left to the browser (which
// then renders). Diagrams drawn at build time are checked in diagrams.test.mjs.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOK_DIR, htmlPages, openRecorded, useBookAndBrowser } from '../lib/harness.mjs';

const MERMAID_SCRIPT = 'generated/mermaid.min.js';

const env = useBookAndBrowser();

// toc.html is the sidebar, loaded as an iframe by every other page (whose recorded requests
// include the frame's); as a top-level page Chromium would also ask for a /favicon.ico it lacks.
const pages = (await htmlPages()).filter((path) => path !== 'toc.html');
assert.ok(pages.includes('index.html'), `no index.html in ${BOOK_DIR}`);

describe('every page', () => {
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
