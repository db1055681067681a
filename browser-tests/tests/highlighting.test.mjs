// Build-time highlighting in the browser: the example figure renders with its verified output
// and a Copy button, highlight.js does not re-highlight anything (and no longer ships), and
// colours follow the theme picker live.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openRecorded, useBookAndBrowser } from '../lib/harness.mjs';

const PAGE = 'how-this-book-works.html';

const env = useBookAndBrowser();

test('an example shows highlighted code, its verified output and a Copy button', async () => {
    const { page, context } = await openRecorded(env.browser, `${env.server.origin}/${PAGE}`);
    try {
        const figure = page.locator('figure.bf-example[data-example-id="processes::amdahl"]');
        assert.equal(await figure.count(), 1);
        // One flat span per run of text a theme colours (highlight.rs): classes per theme, bf-l<n> for light.
        assert.ok(await figure.locator('pre.bf-code code span[class*="bf-l"]').count() > 0, 'no syntect spans');
        assert.match(await figure.locator('.bf-example-output').textContent(), /verified by cargo test/);
        assert.match(await figure.locator('.bf-example-output pre').textContent(), /ceiling with unlimited cores: 20\.00x/);
        assert.equal(await figure.locator('pre.bf-code .clip-button').count(), 1, 'no Copy button on the code');
        const href = await figure.locator('a.bf-example-source').getAttribute('href');
        const source = await page.request.get(new URL(href, page.url()).href);
        assert.equal(source.status(), 200, `source link ${href} is broken`);
        assert.match(await source.text(), /pub fn speedup/);
    } finally {
        await context.close();
    }
});

test('highlight.js neither ships nor touches the blocks', async () => {
    const { page, requests, context } = await openRecorded(env.browser, `${env.server.origin}/${PAGE}`);
    try {
        assert.equal(await page.locator('[class*="hljs-"]').count(), 0, 'highlight.js added hljs-* spans');
        const script = requests.find((url) => /\/highlight-[0-9a-f]+\.js$/.test(url));
        assert.ok(script, 'the page loads no highlight script at all');
        const body = await (await page.request.get(script)).text();
        assert.ok(body.length < 1024, `highlight.js is ${body.length} bytes: the real one still ships`);
    } finally {
        await context.close();
    }
});

test('code colours switch live with the theme picker', async () => {
    const { page, context } = await openRecorded(env.browser, `${env.server.origin}/${PAGE}`);
    try {
        // A keyword's one span: a colour class for each of the five themes.
        const keyword = page.locator('figure.bf-example pre.bf-code span', { hasText: /^(let|fn)$/ }).first();
        const colour = () => keyword.evaluate((el) => getComputedStyle(el).color);
        // The page opens in the default theme, light.
        const seen = new Set([await colour()]);
        for (const theme of ['rust', 'coal', 'navy', 'ayu']) {
            if (!(await page.locator('#mdbook-theme-list').isVisible())) {
                await page.click('#mdbook-theme-toggle');
            }
            await page.click(`#mdbook-theme-${theme}`);
            await page.waitForFunction((t) => document.documentElement.classList.contains(t), theme);
            seen.add(await colour());
        }
        assert.equal(seen.size, 5, `expected a distinct keyword colour per theme, saw ${[...seen].join(', ')}`);
    } finally {
        await context.close();
    }
});
