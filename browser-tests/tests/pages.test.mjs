// Every page of the built site: loads without script errors, requests nothing outside its own
// origin, and fetches mermaid.min.js if and only if it has a diagram (which then renders).

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

test('the pages that prove the mermaid rule exist', async () => {
    // Guard against the loop above passing vacuously: at least one page with a diagram and one
    // without must be in the book.
    let withDiagram = 0;
    for (const path of pages) {
        if ((await readFile(join(BOOK_DIR, path), 'utf8')).includes('<pre class="mermaid">')) {
            withDiagram += 1;
        }
    }
    assert.ok(withDiagram >= 1, 'no page has a mermaid diagram');
    assert.ok(withDiagram < pages.length, 'every page has a diagram');
});

test('a diagram re-renders when the reader switches to a dark theme', async () => {
    const { page, context } = await openRecorded(env.browser, `${env.server.origin}/how-this-book-works.html`);
    // Mermaid writes its palette into the SVG's <style>: text fill #333 in `default`, #ccc in `dark`.
    const textFill = () => page.locator('pre.mermaid svg style').first().textContent()
        .then((css) => /^#[\w-]+\{[^}]*fill:(#[0-9a-f]+);/i.exec(css)?.[1]);
    try {
        await page.waitForSelector('pre.mermaid svg');
        assert.equal(await textFill(), '#333', 'light theme should draw with mermaid\'s default palette');
        await page.click('#mdbook-theme-toggle');
        await page.click('#mdbook-theme-navy');
        await page.waitForFunction(() => document.documentElement.classList.contains('navy'));
        await page.waitForFunction(() => /fill:#ccc;/.test(document.querySelector('pre.mermaid svg style')?.textContent ?? ''),
            null, { timeout: 10000 });
        assert.equal(await textFill(), '#ccc', 'navy theme should draw with mermaid\'s dark palette');
    } finally {
        await context.close();
    }
});
