// Accessibility: axe-core (pinned in package-lock.json, injected from node_modules, never from a
// CDN) on every page of the built book, in the light theme and a dark one (navy: its colour rules,
// after the theme picker switched the page; print.html: the whole-document rules). A page fails on
// any serious or critical violation, and on any skipped heading level (axe's heading-order,
// "moderate" for axe, is a promise of the book), unless the violating element is one of
// mdBook's own template listed in TEMPLATE_EXCEPTIONS (rule + selector, each with its reason).
// Then the states that appear only after reading (a Run's verdict, an error, a checked quiz
// answer) are checked in all five themes.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOK_DIR, axeViolations, htmlPages, openQuestion, openRecorded, pressRun, useBookAndBrowser } from '../lib/harness.mjs';

const THEMES = ['light', 'navy'];
const ALL_THEMES = ['light', 'rust', 'coal', 'navy', 'ayu'];
const FAILING_IMPACTS = new Set(['serious', 'critical']);
/** Rules that fail at any impact. */
const ALWAYS_FAILING = new Set(['heading-order']);

/**
 * Violations in mdBook 0.5.4's own template (index.hbs, toc.html, book.js, its stylesheets) that
 * the book's theme files cannot fix without replacing the template. (Diagrams are drawn at build
 * time, so they are our markup and checked like the rest.) A node is excused only when the rule matches and its
 * element matches the selector, so the same rule on our markup fails. What the theme could fix
 * is fixed: theme/book-extras.css (colours of mdBook's themes, link underlines) and theme/dom.js
 * (the sidebar toggle as a button, focusable tables).
 */
export const TEMPLATE_EXCEPTIONS = [
    {
        rule: 'document-title',
        selector: 'html:has(> body.sidebar-iframe-inner)',
        reason: 'toc.html, the sidebar mdBook shows in an <iframe> to readers without JavaScript, has no <title> in its template and loads none of our scripts',
        source: 'mdBook template',
    },
];

const env = useBookAndBrowser();

const pages = await htmlPages();
assert.ok(pages.includes('print.html') && pages.includes('playground.html') && pages.includes('review.html'),
    `the book in ${BOOK_DIR} lacks print.html, playground.html or review.html`);

/**
 * Every node axe reported, for the summary: group (the pages in light and navy, or the states
 * in five themes) → `rule (impact)` → { nodes, excused, pages }.
 */
const tallies = new Map();
/** How often each exception excused a node. */
const excusedBy = new Map(TEMPLATE_EXCEPTIONS.map((e) => [`${e.rule} ${e.selector}`, 0]));

/** The failures among what `axeViolations` found on one page (and tallies all of it). */
function record(group, where, { violations, tokenColours, tokensChecked, incomplete }) {
    const tally = tallies.get(group) ?? new Map();
    tallies.set(group, tally);
    const failures = [];
    if (tokensChecked !== tokenColours) failures.push(`axe checked ${tokensChecked} of ${tokenColours} code colours`);
    for (const colour of incomplete) failures.push(`a code colour axe could not measure: ${colour}`);
    for (const violation of violations) {
        const key = `${violation.rule} (${violation.impact})`;
        const entry = tally.get(key) ?? { nodes: 0, excused: 0, pages: new Set() };
        tally.set(key, entry);
        entry.pages.add(where);
        for (const node of violation.nodes) {
            entry.nodes += 1;
            if (node.exception) {
                entry.excused += 1;
                const id = `${violation.rule} ${node.exception}`;
                excusedBy.set(id, (excusedBy.get(id) ?? 0) + 1);
            } else if (FAILING_IMPACTS.has(node.impact ?? violation.impact) || ALWAYS_FAILING.has(violation.rule)) {
                failures.push(`${violation.rule} (${node.impact ?? violation.impact}) ${violation.help}\n    at ${node.target}\n    ${node.html}\n    ${node.summary?.split('\n').join('\n    ')}`);
            }
        }
    }
    return failures;
}

/** Waits for what a reader sees once the page has settled: diagrams drawn, the playground's first run. */
async function settle(page, path) {
    const html = await readFile(join(BOOK_DIR, path), 'utf8');
    // print.html calls window.print() on load, which in headless Chromium stalls its scripts.
    if (html.includes('<pre class="mermaid">') && path !== 'print.html') {
        await page.waitForFunction(() => [...document.querySelectorAll('pre.mermaid')].every((pre) => pre.querySelector('svg')),
            null, { timeout: 15000 });
    }
    if (path === 'playground.html') {
        await page.waitForSelector('.bf-pg-main .bf-result[data-runs]', { timeout: 15000 });
    }
}

/**
 * The axe rules whose outcome depends on the theme's colours: a page's other rules are run once,
 * in light, and these again in navy on the same page after the reader's theme picker switched it.
 */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/**
 * The rules run on print.html: those about the document as a whole (its landmarks, headings, ids
 * and the references between them, which mdBook rewrites when it joins the chapters). Every
 * element of print.html is a chapter's element, checked with every rule, in both themes, on the
 * chapter's own page; running all of axe again on the joined book cost more than every other
 * page together (67,000 elements, five minutes per theme with 23 chapters) and grows with it.
 */
const WHOLE_DOCUMENT_RULES = ['document-title', 'html-has-lang', 'html-lang-valid', 'landmark-one-main',
    'landmark-no-duplicate-main', 'landmark-unique', 'page-has-heading-one', 'heading-order', 'empty-heading',
    'duplicate-id-aria', 'aria-valid-attr-value', 'label', 'svg-img-alt', 'role-img-alt', 'bypass'];

// Two pages at a time: axe keeps one core busy, and the machine has two.
describe('axe-core on every page', { concurrency: 2 }, () => {
    for (const path of pages) {
        // toc.html (the sidebar for readers without JavaScript) has no theme picker: mdBook draws
        // it in the default theme only.
        const themes = path === 'toc.html' || path === 'print.html' ? THEMES.slice(0, 1) : THEMES;
        test(`${path} (${themes.join(', ')})`, async () => {
            const { page, context } = await openRecorded(env.browser, `${env.server.origin}/${path}`, { theme: THEMES[0] });
            try {
                assert.ok(await page.evaluate((t) => document.documentElement.classList.contains(t), THEMES[0]), `not in the ${THEMES[0]} theme`);
                await settle(page, path);
                const failures = [];
                for (const [i, theme] of themes.entries()) {
                    if (i > 0) await pickTheme(page, theme);
                    const only = path === 'print.html' ? WHOLE_DOCUMENT_RULES : i > 0 ? COLOUR_RULES : undefined;
                    failures.push(...record('every page, light and navy', `${path} (${theme})`, await axeViolations(page, TEMPLATE_EXCEPTIONS, { only })));
                }
                assert.deepEqual(failures, [], `${path}:\n${failures.join('\n')}`);
            } finally {
                await context.close();
            }
        });
    }
});

test('heading levels do not skip on any page, before any script runs', async () => {
    // axe's heading-order above sees the pages after their scripts ran; this reads the HTML the
    // build wrote, which is what readers without JavaScript and search engines get.
    const skips = [];
    for (const path of pages) {
        const html = await readFile(join(BOOK_DIR, path), 'utf8');
        const main = /<main>([\s\S]*)<\/main>/.exec(html)?.[1];
        if (main === undefined) continue; // toc.html: a list of links, no content
        let previous = 1; // mdBook's menu bar holds the book's title as an h1
        for (const [tag, level] of main.matchAll(/<h([1-6])\b[^>]*>/g)) {
            if (Number(level) > previous + 1) skips.push(`${path}: h${previous} then ${tag}`);
            previous = Number(level);
        }
    }
    assert.deepEqual(skips, []);
});

test('keyboard: Tab reaches a wide code block, which shows a focus ring and scrolls with the arrow keys', async () => {
    const { page, context } = await openRecorded(env.browser, `${env.server.origin}/processes-threads-cores.html`);
    try {
        await page.setViewportSize({ width: 700, height: 900 });
        const wide = await page.evaluateHandle(() => [...document.querySelectorAll('figure.bf-example pre > code[tabindex]')]
            .find((code) => code.scrollWidth > code.clientWidth + 20));
        assert.ok(await wide.evaluate((code) => code !== undefined), 'no code block wider than a 700 px window');
        // From the link just before it in its figure's head, one Tab.
        await wide.evaluate((code) => code.closest('figure').querySelector('a.bf-example-source').focus());
        await page.keyboard.press('Tab');
        assert.ok(await wide.evaluate((code) => document.activeElement === code), 'Tab did not reach the code block');
        assert.match(await wide.evaluate((code) => code.getAttribute('aria-label')), /^Code: /);
        const ring = await wide.evaluate((code) => { const { outlineStyle, outlineWidth } = getComputedStyle(code); return `${outlineStyle} ${outlineWidth}`; });
        assert.equal(ring, 'solid 2px', 'no focus ring');
        await page.keyboard.press('ArrowRight');
        await page.waitForFunction((code) => code.scrollLeft > 0, wide);
    } finally {
        await context.close();
    }
});

test('keyboard: mdBook\'s sidebar toggle is a button that Enter presses', async () => {
    const { page, context } = await openRecorded(env.browser, `${env.server.origin}/introduction.html`);
    try {
        const toggle = page.locator('#mdbook-sidebar-toggle');
        assert.equal(await toggle.getAttribute('role'), 'button');
        const before = await toggle.getAttribute('aria-expanded');
        await toggle.focus();
        await page.keyboard.press('Enter');
        await page.waitForFunction((was) => document.getElementById('mdbook-sidebar-toggle').getAttribute('aria-expanded') !== was, before);
    } finally {
        await context.close();
    }
});

test('screen readers: a Run\'s verdict and errors land in a live region that exists before the run', async () => {
    const { page, context } = await openRecorded(env.browser, `${env.server.origin}/processes-threads-cores.html`);
    try {
        const run = page.locator('div.bf-run').first();
        const live = run.locator('.bf-result .bf-status[role="status"][aria-live="polite"]');
        assert.equal(await live.count(), 1, 'no live status line before the first run');
        assert.notEqual(await live.evaluate((p) => getComputedStyle(p).display), 'none', 'an empty live region is display: none');
        const ok = await pressRun(page, run);
        assert.match(await live.textContent(), /Same as the verified output/, ok.status);
        const error = await pressRun(page, run, 'no such parameter = 1\n');
        assert.equal(error.state, 'error', error.status);
        assert.equal((await live.textContent()).trim(), error.status);
        // The quiz's feedback is a live region too, there once the question's form is (its form
        // is built as the question nears the viewport, before the reader can answer).
        await openQuestion(page.locator('.bf-question').first());
        assert.ok(await page.locator('.bf-question .bf-feedback[role="status"][aria-live="polite"]').count() > 0);
    } finally {
        await context.close();
    }
});

/** Switches the theme with mdBook's own picker, which also swaps its code stylesheet. */
async function pickTheme(page, theme) {
    if (!(await page.locator('#mdbook-theme-list').isVisible())) await page.click('#mdbook-theme-toggle');
    await page.click(`#mdbook-theme-${theme}`);
    await page.waitForFunction((t) => document.documentElement.classList.contains(t), theme);
    // The picker keeps focus in the menu bar; put it back so no focus ring is measured.
    await page.evaluate(() => document.activeElement?.blur());
}

/** Runs axe in every theme on the page as it is now and fails on what `record` counts as failing. */
async function everyTheme(page, label) {
    const failures = [];
    for (const theme of ALL_THEMES) {
        await pickTheme(page, theme);
        failures.push(...record('after a Run or a quiz answer, five themes', `${label} (${theme})`, await axeViolations(page, TEMPLATE_EXCEPTIONS)));
    }
    return failures;
}

test('run verdicts, errors and quiz feedback are readable in all five themes', async () => {
    // A chapter with runnable examples and a quiz.
    const chapter = 'processes-threads-cores.html';
    const { page, context } = await openRecorded(env.browser, `${env.server.origin}/${chapter}`);
    try {
        const runs = page.locator('div.bf-run');
        assert.ok(await runs.count() >= 2, `${chapter} has fewer than two Runs`);
        const verified = await pressRun(page, runs.nth(0));
        assert.match(verified.status, /Same as the verified output/);
        const edited = await pressRun(page, runs.nth(1), 'this is = not valid input\n');
        assert.ok(edited.state === 'error' || /your input/.test(edited.status), edited.status);
        // One question answered wrong, another right.
        const questions = page.locator('.bf-question[data-kind="choice"]');
        assert.ok(await questions.count() >= 2, `${chapter} has fewer than two multiple-choice questions`);
        await openQuestion(questions.nth(0));
        await openQuestion(questions.nth(1));
        await questions.nth(0).locator('input[data-correct="false"]').first().check();
        await questions.nth(0).locator('button.bf-check-button').click();
        for (const input of await questions.nth(1).locator('input[data-correct="true"]').all()) await input.check();
        await questions.nth(1).locator('button.bf-check-button').click();
        assert.equal(await questions.nth(0).locator('.bf-feedback.bf-wrong').count(), 1);
        assert.equal(await questions.nth(1).locator('.bf-feedback.bf-right').count(), 1);
        const failures = await everyTheme(page, chapter);
        assert.deepEqual(failures, [], failures.join('\n'));
    } finally {
        await context.close();
    }
});

test('the playground\'s mismatch and error states are readable in all five themes', async () => {
    // No service worker: it would answer the data file from its cache, where no route sees it.
    const { page, context } = await openRecorded(env.browser, `${env.server.origin}/playground.html`, { serviceWorkers: 'block' });
    try {
        // A verified output that no run can match, as if the browser and cargo test disagreed.
        await page.route('**/generated/playground-data/*.json', async (route) => {
            const response = await route.fetch();
            const body = (await response.text()).replaceAll('"verified":"', '"verified":"(tampered) ');
            await route.fulfill({ response, body });
        });
        await page.reload({ waitUntil: 'networkidle' });
        await page.waitForSelector('.bf-pg-main .bf-status.bf-mismatch', { timeout: 15000 });
        let failures = await everyTheme(page, 'playground.html, a mismatch');
        assert.deepEqual(failures, [], failures.join('\n'));
        await page.unroute('**/generated/playground-data/*.json');
        await page.goto(`${env.server.origin}/playground.html#example=no::such`, { waitUntil: 'networkidle' });
        await page.waitForSelector('.bf-pg-main .bf-status.bf-error');
        failures = await everyTheme(page, 'playground.html, an error');
        assert.deepEqual(failures, [], failures.join('\n'));
    } finally {
        await context.close();
    }
});

test('summary: what axe found, and every template exception still needed', (t) => {
    for (const [group, tally] of tallies) {
        t.diagnostic(`${group}:`);
        for (const [key, { nodes, excused, pages: where }] of [...tally].sort()) {
            t.diagnostic(`  ${key}: ${nodes} node(s) on ${where.size} page/theme(s), ${excused} excused (TEMPLATE_EXCEPTIONS)`);
        }
    }
    const unused = [...excusedBy].filter(([, count]) => count === 0).map(([id]) => id);
    assert.deepEqual(unused, [], 'exceptions that no longer match anything: remove them');
});
