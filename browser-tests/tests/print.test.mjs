// Print: print.html shows every diagram and every folded answer (quiz answers, "Reveal the
// answer" outputs, depth folded in <details>); a chapter printed from its own page does too, with
// JavaScript (theme/print.js on `beforeprint`) and without it (theme/print.css); and each Part's
// cheat sheet prints on one A4 and one Letter page, and is linked from each of its chapters.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOK_DIR, WORKSPACE, htmlPages, useBookAndBrowser } from '../lib/harness.mjs';

const env = useBookAndBrowser();

/** Pages of a PDF that Chromium wrote: its page objects (`/Type /Page`, not `/Pages`). */
const pdfPages = (pdf) => pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g)?.length ?? 0;

/** How many ```mermaid fences the chapters have: each is a diagram print.html must show. */
async function diagramsInSources() {
    let count = 0;
    const walk = async (dir) => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
            if (entry.isDirectory()) {
                if (entry.name !== 'generated') await walk(join(dir, entry.name));
            } else if (entry.name.endsWith('.md')) {
                count += (await readFile(join(dir, entry.name), 'utf8')).match(/^\s*```mermaid\s*$/gm)?.length ?? 0;
            }
        }
    };
    await walk(join(WORKSPACE, 'src'));
    return count;
}

/** Every folded answer on the page, and whether its text shows when printed. */
/**
 * Switches the emulated media and lets the page render once for it: a block that
 * `content-visibility: auto` skipped on screen (book-extras.css) is drawn in print only after
 * the next rendering update, and a check made before it could find a printed answer still
 * skipped. (A screenshot is a rendering update, and works with JavaScript off.)
 */
async function switchMedia(page, media) {
    await page.emulateMedia({ media });
    await page.screenshot({ animations: 'disabled', scale: 'css', clip: { x: 0, y: 0, width: 1, height: 1 } });
}

function foldedAnswers(page) {
    return page.evaluate(() => {
        const shown = (node) => node.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true }) && node.getClientRects().length > 0;
        return [...document.querySelectorAll('details')].map((details) => {
            // The answer's text: what follows the summary.
            const body = [...details.children].filter((child) => child.tagName !== 'SUMMARY');
            return {
                kind: details.className || 'details',
                text: body.map((child) => child.textContent).join(' ').trim().slice(0, 60),
                shown: body.length > 0 && body.every(shown),
            };
        });
    });
}

async function printedPage(path, { javaScript = true } = {}) {
    const context = await env.browser.newContext({ javaScriptEnabled: javaScript, serviceWorkers: 'block' });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // mdBook's print.html opens the print dialog once loaded, which stalls a headless page.
    await page.addInitScript(() => {
        window.print = () => {};
    });
    // The scripts (theme/print.js among them) have run by DOMContentLoaded; print.html is the
    // whole book (4.5 MB), so give it time on a loaded machine.
    await page.goto(`${env.server.origin}/${path}`, { waitUntil: 'domcontentloaded', timeout: 120000 });
    // And the stylesheets (theme/print.css): without JavaScript nothing makes DOMContentLoaded
    // wait for them, and on a loaded machine the checks could run before print.css applied.
    await page.waitForLoadState('load', { timeout: 120000 });
    return { page, context, errors };
}

describe('print.html', () => {
    test('shows every folded answer open, and every diagram', async () => {
        const { page, context, errors } = await printedPage('print.html');
        try {
            await switchMedia(page, 'print');
            assert.ok(await page.evaluate(() => document.documentElement.classList.contains('bf-print-page')));
            const answers = await foldedAnswers(page);
            const kinds = new Set(answers.map((answer) => answer.kind));
            for (const kind of ['bf-quiz-answer', 'bf-answer']) {
                assert.ok(kinds.has(kind), `print.html has no details.${kind}: the check would prove nothing`);
            }
            assert.deepEqual(answers.filter((answer) => !answer.shown), [], 'folded answers hidden in print');
            assert.equal(await page.locator('details:not([open])').count(), 0, 'every <details> is open');
            // A diagram is an inline <svg> drawn at build time, or, for one the build left to
            // the browser, its <pre class="mermaid">; each counts once, and must be visible.
            const diagrams = await page.evaluate(() => [...document.querySelectorAll(
                'figure.bf-diagram > svg[role="img"], pre.mermaid')]
                .filter((diagram) => diagram.getBoundingClientRect().height > 0).length);
            assert.equal(diagrams, await diagramsInSources(), 'print.html shows every diagram of the chapters');
            assert.deepEqual(errors, []);
        } finally {
            await context.close();
        }
    });
});

describe('a chapter printed from its own page', () => {
    const chapter = 'acid-transactions.html';

    test('opens its folded answers before printing and folds them back after (theme/print.js)', async () => {
        const { page, context, errors } = await printedPage(chapter);
        try {
            const closedBefore = await page.locator('details:not([open])').count();
            assert.ok(closedBefore > 0, `${chapter} has no folded answer`);
            assert.ok(await page.locator('details.bf-quiz-answer[hidden]').count() > 0, 'quiz.js hides its answers on screen');
            await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
            await switchMedia(page, 'print');
            assert.equal(await page.locator('details:not([open])').count(), 0);
            assert.deepEqual((await foldedAnswers(page)).filter((answer) => !answer.shown), []);
            // Chromium's own print path fires the same events: printing to PDF works and leaves
            // the page as the reader had it.
            await page.pdf({ format: 'A4' });
            await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
            await switchMedia(page, 'screen');
            assert.equal(await page.locator('details:not([open])').count(), closedBefore, 'afterprint folds them back');
            assert.deepEqual(errors, []);
        } finally {
            await context.close();
        }
    });

    test('shows its folded answers in print without JavaScript (theme/print.css)', async () => {
        const { page, context } = await printedPage(chapter, { javaScript: false });
        try {
            await switchMedia(page, 'print');
            const answers = await foldedAnswers(page);
            assert.ok(answers.length > 0);
            assert.deepEqual(answers.filter((answer) => !answer.shown), [], 'folded answers hidden in print without JavaScript');
            await switchMedia(page, 'screen');
            assert.ok((await foldedAnswers(page)).some((answer) => !answer.shown), 'on screen, answers stay folded');
        } finally {
            await context.close();
        }
    });
});

/** How many chapters' "In one minute" and key numbers fit one printed page (print.css). */
const SHEET_CHAPTERS_PER_PAGE = 4;

describe('cheat sheets', async () => {
    const sheets = (await htmlPages()).filter((path) => path.startsWith('cheat-sheets/'));

    test('each Part with written chapters has one', () => {
        assert.ok(sheets.length >= 1, 'no cheat sheet in the book');
    });

    for (const sheet of sheets) {
        test(`${sheet}: one printed sheet on A4 and on Letter, linked from each of its chapters`, async () => {
            const { page, context, errors } = await printedPage(sheet);
            try {
                const chapters = await page.locator('.bf-cheat-chapter h2 a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
                assert.ok(chapters.length >= 1, `${sheet} shows no chapter`);
                const sections = await page.locator('.bf-cheat-chapter').evaluateAll((nodes) => nodes.map((node) => ({
                    minute: node.querySelector('p')?.textContent.length ?? 0,
                    numbers: node.querySelectorAll('h3.bf-cheat-numbers ~ ul > li').length,
                })));
                for (const [index, section] of sections.entries()) {
                    assert.ok(section.minute > 100, `${sheet}: ${chapters[index]} has no "In one minute" text`);
                    assert.ok(section.numbers >= 4 && section.numbers <= 8, `${sheet}: ${chapters[index]} has ${section.numbers} key numbers, not 4 to 8`);
                }
                // Measure with the book's own fonts, as a reader prints it.
                await page.evaluate(() => document.fonts.ready.then(() => undefined));
                const pages = {};
                for (const format of ['A4', 'Letter']) {
                    pages[format] = pdfPages(await page.pdf({ format }));
                }
                console.log(`# ${sheet}: ${chapters.length} chapter(s), printed on ${pages.A4} A4 page(s), ${pages.Letter} Letter page(s)`);
                // One sheet of paper: one page while a Part has up to four chapters (they fill it
                // at 6.7pt), both sides of it beyond that (Part I's seven need 1.8 pages).
                const sides = chapters.length <= SHEET_CHAPTERS_PER_PAGE ? 1 : 2;
                assert.ok(pages.A4 <= sides && pages.Letter <= sides, `${sheet} does not fit ${sides} page(s)`);
                for (const href of chapters) {
                    const html = await readFile(join(BOOK_DIR, href.replace(/^\.\.\//, '')), 'utf8');
                    const link = /<p class="bf-cheat-sheet-link"><a href="([^"]+)"/.exec(html)?.[1];
                    assert.equal(link, sheet, `${href} does not link to ${sheet}`);
                }
                assert.deepEqual(errors, []);
            } finally {
                await context.close();
            }
        });
    }
});
