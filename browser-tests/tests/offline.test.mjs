// Offline after the first visit: one page loads, the service worker (book/service-worker.js,
// written by `cargo xtask build`) caches every file of the build, the network goes away, and
// every chapter with a Run still opens and runs its first example with the verified output.
// Also: the worker is registered for the site's root, not under `mdbook serve`'s live reload.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOK_DIR, pressRun, runnableExamples, runsByPage, splitAnswer, useBookAndBrowser } from '../lib/harness.mjs';

const env = useBookAndBrowser();

/** The precache manifest xtask wrote in front of the worker's code: `const BUILD = {...};`. */
async function manifest() {
    const script = await readFile(join(BOOK_DIR, 'service-worker.js'), 'utf8');
    const first = script.slice(0, script.indexOf('\n'));
    const match = /^const BUILD = (\{.*\});$/.exec(first);
    assert.ok(match, `book/service-worker.js does not start with the precache manifest: ${first.slice(0, 80)}`);
    return JSON.parse(match[1]);
}

const trimEnd = (text) => text.replace(/\n+$/, '');

/** Waits until the page's service worker is active; returns the names and sizes of the book's caches. */
async function activeWorkerAndCaches(page) {
    return page.evaluate(async () => {
        const registration = await navigator.serviceWorker.ready;
        const caches_ = [];
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            caches_.push({ name, urls: (await cache.keys()).map((request) => request.url) });
        }
        return { scope: registration.scope, state: registration.active.state, script: registration.active.scriptURL, caches: caches_ };
    });
}

test('after one visit, every chapter opens and runs its example without a network', async () => {
    const build = await manifest();
    const files = Object.keys(build.files);
    // The manifest is the whole build: pages, mdBook's fingerprinted assets, fonts, search index, wasm.
    for (const pattern of [/^index\.html$/, /^print\.html$/, /^book-[0-9a-f]{8}\.js$/, /^searchindex-[0-9a-f]{8}\.js$/,
        /^fonts\/.*\.woff2$/, /^generated\/playground_sql\/playground_sql_bg\.wasm$/, /^assets\/playground-worker\.js$/]) {
        assert.ok(files.some((file) => pattern.test(file)), `the precache manifest lists no file like ${pattern}`);
    }
    assert.ok(!files.includes('service-worker.js'), 'the worker does not precache itself');

    const examples = new Map((await runnableExamples()).map((example) => [example.id, example]));
    const chapters = [...(await runsByPage()).entries()];
    assert.ok(chapters.length >= 2, 'need chapters with Runs');

    const context = await env.browser.newContext();
    const errors = [];
    context.on('weberror', (error) => errors.push(error.error().message));
    try {
        // The first visit: a page without a Run.
        const first = await context.newPage();
        await first.goto(`${env.server.origin}/introduction.html`);
        const state = await activeWorkerAndCaches(first);
        assert.equal(state.scope, `${env.server.origin}/`);
        assert.equal(state.script, `${env.server.origin}/service-worker.js`);
        assert.equal(state.state, 'activated');
        const ours = state.caches.filter((cache) => cache.name.startsWith('bf-offline:'));
        assert.deepEqual(ours.map((cache) => cache.name), [`bf-offline:/:${build.id}`], 'one cache, named for this build');
        const expected = files.map((file) => `${env.server.origin}/${file.split('/').map(encodeURIComponent).join('/')}`).sort();
        assert.deepEqual([...ours[0].urls].sort(), expected, 'the cache holds every file of the build');

        await context.setOffline(true);
        const served = [];
        for (const [path, ids] of chapters) {
            const page = await context.newPage();
            const failed = [];
            page.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
            page.on('response', (response) => served.push({ url: response.url(), fromWorker: response.fromServiceWorker() }));
            try {
                const response = await page.goto(`${env.server.origin}/${path}`);
                assert.ok(response.fromServiceWorker(), `${path} did not come from the service worker`);
                const example = examples.get(ids[0]);
                const result = await pressRun(page, page.locator('div.bf-run[data-example-id]').first());
                assert.equal(result.state, 'ok', `${path}, offline: ${result.status}`);
                assert.match(result.status, /Same as the verified output/, `${path}, offline`);
                assert.equal(trimEnd(result.output), trimEnd((await splitAnswer(page, example.verified)).shown), `${path}, offline: ${example.id}`);
                assert.deepEqual(failed, [], `${path}: requests failed offline`);
            } finally {
                await page.close();
            }
        }
        // The site's root (a folder) is its index.html, and search works from the cache too.
        const page = await context.newPage();
        const response = await page.goto(`${env.server.origin}/`);
        assert.ok(response.fromServiceWorker() && response.ok(), 'the site root offline');
        await page.keyboard.press('s');
        await page.locator('#mdbook-searchbar').fill('fsync');
        await page.waitForSelector('#mdbook-searchresults li', { timeout: 10000 });
        await page.close();

        const fromNetwork = served.filter((response) => !response.fromWorker).map((response) => response.url);
        assert.deepEqual(fromNetwork, [], 'offline, every response came from the service worker');
        assert.ok(served.some((response) => /_bg\.wasm$/.test(response.url)), 'the wasm modules came from the cache');
        assert.deepEqual(errors, [], 'page errors');
    } finally {
        await context.close();
    }
});

test('under mdbook serve (live reload) no worker is registered', async () => {
    const context = await env.browser.newContext();
    try {
        const page = await context.newPage();
        // mdBook's index.hbs declares `wsAddress` for live reload only when `mdbook serve` renders the page.
        await page.addInitScript(() => {
            window.wsAddress = `ws://${location.host}/__livereload`;
        });
        await page.goto(`${env.server.origin}/introduction.html`, { waitUntil: 'load' });
        // offline.js registers on `load`; give it the time it would need.
        await page.waitForTimeout(500);
        assert.deepEqual(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length), 0);
    } finally {
        await context.close();
    }
});
