// Diagrams are drawn at build time: every ```mermaid fence of a chapter is an inline <svg> in
// the HTML the server sends, readable without JavaScript, named for screen readers, unique in
// its page (and in print.html), inside the page on a phone, and recoloured by the theme picker
// without a script of ours. No page fetches mermaid.min.js.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOK_DIR, WORKSPACE, openRecorded, useBookAndBrowser } from '../lib/harness.mjs';

// Diagrams left to mermaid.js in the browser on purpose, as `<chapter>.md:<line>`: none. A type
// the build cannot draw makes the build warn; name it here only with a reason.
const DRAWN_IN_BROWSER = [];

const env = useBookAndBrowser();

/** A phone's screen, in CSS pixels: the page with JavaScript is opened at this size. */
const PHONE = { width: 360, height: 740 };

/** Each chapter with diagrams: { page, fences: number of ```mermaid fences in its source }. */
async function chaptersWithDiagrams() {
    const found = [];
    for (const file of (await readdir(join(WORKSPACE, 'src'))).filter((name) => name.endsWith('.md')).sort()) {
        const source = await readFile(join(WORKSPACE, 'src', file), 'utf8');
        const fences = source.split('\n').filter((line) => line.trim() === '```mermaid').length;
        if (fences > 0) found.push({ file, page: file.replace(/\.md$/, '.html'), fences });
    }
    return found;
}

const chapters = await chaptersWithDiagrams();
const svgIds = (html) => [...html.matchAll(/<svg id="(diagram-[^"]+)"/g)].map((match) => match[1]);

test('the book has diagrams to check', () => {
    assert.ok(chapters.length >= 2, `only ${chapters.length} chapters have a diagram`);
});

// Two pages at a time: each waits on the network going idle more than it computes.
describe('every chapter with diagrams', { concurrency: 2 }, () => {
    for (const { file, page, fences } of chapters) {
        test(page, async () => {
            const html = await readFile(join(BOOK_DIR, page), 'utf8');
            // In the HTML as served, before any script runs.
            const drawn = svgIds(html);
            const inBrowser = (html.match(/<pre class="mermaid">/g) ?? []).length;
            const allowed = DRAWN_IN_BROWSER.filter((place) => place.startsWith(`${file}:`)).length;
            assert.equal(inBrowser, allowed, `${page}: ${inBrowser} diagram(s) left to mermaid.js (see the build's warnings)`);
            assert.equal(drawn.length + inBrowser, fences, `${page}: ${fences} mermaid fences in src/${file}, ${drawn.length} SVGs in the page`);
            assert.equal(new Set(drawn).size, drawn.length, `${page}: diagram ids repeat: ${drawn}`);

            // Without JavaScript: the diagrams are there, drawn, and named.
            const noJs = await openRecorded(env.browser, `${env.server.origin}/${page}`, { javaScript: false });
            try {
                const figures = await noJs.page.locator('figure.bf-diagram').evaluateAll((nodes) => nodes.map((figure) => {
                    const svg = figure.querySelector(':scope > svg');
                    const box = svg.getBoundingClientRect();
                    return {
                        id: svg.id,
                        role: svg.getAttribute('role'),
                        name: svg.getAttribute('aria-label') ?? svg.querySelector('title')?.textContent ?? '',
                        focusable: figure.tabIndex === 0 && Boolean(figure.getAttribute('aria-label')),
                        width: box.width,
                        height: box.height,
                        texts: svg.querySelectorAll('text, foreignObject').length,
                    };
                }));
                assert.equal(figures.length, drawn.length, `${page}: figures without JavaScript`);
                for (const figure of figures) {
                    assert.equal(figure.role, 'img', `${figure.id}: role`);
                    assert.ok(figure.name.length > 10, `${figure.id}: accessible name "${figure.name}"`);
                    assert.ok(figure.focusable, `${figure.id}: its scrolling figure has tabindex="0" and a label`);
                    assert.ok(figure.width > 100 && figure.height > 30, `${figure.id}: drawn ${figure.width}x${figure.height}`);
                    assert.ok(figure.texts > 0, `${figure.id}: no text`);
                }
                // Every id inside the SVGs is unique on the page, and each url(#…) finds its target.
                const { duplicates, dangling } = await noJs.page.evaluate(() => {
                    const ids = [...document.querySelectorAll('figure.bf-diagram [id]')].map((node) => node.id);
                    const seen = new Set();
                    const duplicates = ids.filter((id) => seen.has(id) || !seen.add(id));
                    const refs = [...document.querySelectorAll('figure.bf-diagram *')].flatMap((node) =>
                        [...node.attributes].flatMap((attribute) => [...attribute.value.matchAll(/url\(#([^)]+)\)/g)].map((m) => m[1])));
                    return { duplicates, dangling: refs.filter((id) => !document.getElementById(id)) };
                });
                assert.deepEqual(duplicates, [], `${page}: repeated ids`);
                assert.deepEqual(dangling, [], `${page}: url(#…) without a target`);
            } finally {
                await noJs.context.close();
            }

            // With JavaScript, on a phone: no mermaid.min.js; the diagrams stay inside the page (a
            // wide one scrolls in its focusable figure); the theme picker recolours the drawing.
            const { page: tab, requests, errors, context } = await openRecorded(env.browser, `${env.server.origin}/${page}`, { viewport: PHONE });
            try {
                assert.deepEqual(requests.filter((url) => /mermaid(\.min)?\.js$/.test(new URL(url).pathname)), [], `${page} fetched mermaid.js`);
                assert.deepEqual(errors, [], `${page} raised script errors`);
                const placed = await tab.locator('figure.bf-diagram').evaluateAll((nodes) => nodes.map((figure) => ({
                    id: figure.querySelector('svg').id,
                    right: figure.getBoundingClientRect().right,
                    scrolls: figure.scrollWidth > figure.clientWidth,
                    focusable: figure.tabIndex === 0,
                })));
                for (const figure of placed) {
                    assert.ok(figure.right <= PHONE.width + 0.5, `${figure.id} reaches ${figure.right}px on a ${PHONE.width}px screen`);
                    if (figure.scrolls) assert.ok(figure.focusable, `${figure.id} scrolls but cannot be focused`);
                }
                const colours = () => tab.evaluate(() => [...document.querySelectorAll('figure.bf-diagram > svg')].map((svg) => {
                    const shape = svg.querySelector('rect.actor, .node rect, .node path, .node polygon, .node circle');
                    const text = svg.querySelector('text, foreignObject span');
                    const style = getComputedStyle(shape);
                    const textStyle = getComputedStyle(text);
                    return { fill: style.fill, stroke: style.stroke, text: text.tagName === 'text' ? textStyle.fill : textStyle.color };
                }));
                const light = await colours();
                await tab.click('#mdbook-theme-toggle');
                await tab.click('#mdbook-theme-navy');
                await tab.waitForFunction(() => document.documentElement.classList.contains('navy'));
                const navy = await colours();
                for (const [i, before] of light.entries()) {
                    const after = navy[i];
                    assert.notEqual(after.fill, before.fill, `${page} diagram ${i + 1}: node fill stays ${before.fill} in navy`);
                    assert.notEqual(after.stroke, before.stroke, `${page} diagram ${i + 1}: node stroke stays ${before.stroke} in navy`);
                    assert.notEqual(after.text, before.text, `${page} diagram ${i + 1}: text stays ${before.text} in navy`);
                }
            } finally {
                await context.close();
            }
        });
    }
});

test('print.html holds every diagram, with ids unique across the chapters', async () => {
    const html = await readFile(join(BOOK_DIR, 'print.html'), 'utf8');
    const drawn = svgIds(html);
    const expected = chapters.reduce((sum, chapter) => sum + chapter.fences, 0) - DRAWN_IN_BROWSER.length;
    assert.equal(drawn.length, expected, 'diagrams in print.html');
    assert.equal(new Set(drawn).size, drawn.length, 'diagram ids repeat in print.html');
});
