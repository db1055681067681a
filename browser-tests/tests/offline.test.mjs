// Offline after the first visit: one page loads, the service worker (book/service-worker.js,
// written by `cargo xtask build`) caches every file of the build, the network goes away, and
// every chapter with a Run still opens and runs its first example with the verified output.
// A new deploy replaces the cache whole: an incomplete one never installs, a complete one waits
// while pages of the old build are open (and they keep running the old build), then takes over
// on "Reload". The worker's scope is the site's root, also under a sub-path; `mdbook serve`
// registers none, and its stub retires one a static serve left on the same address.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
    BOOK_DIR, WORKSPACE, pressRun, runInline, runnableExamples, runsByPage, serveBook, splitAnswer, useBookAndBrowser, verifiedPart,
} from '../lib/harness.mjs';

const env = useBookAndBrowser();

/** The precache manifest xtask wrote in front of the worker's code (`const BUILD = {...};`), and that code. */
async function manifest(root = BOOK_DIR) {
    const script = await readFile(join(root, 'service-worker.js'), 'utf8');
    const first = script.slice(0, script.indexOf('\n'));
    const match = /^const BUILD = (\{.*\});$/.exec(first);
    assert.ok(match, `service-worker.js does not start with the precache manifest: ${first.slice(0, 80)}`);
    return Object.assign(JSON.parse(match[1]), { code: script.slice(first.length) });
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/**
 * A new deploy of the site in `root`, as `cargo xtask build` would write it after `changes`
 * (path → new content): the manifest (format of xtask/src/offline.rs) lists each changed file's
 * new SHA-256 prefix under a new build id. With `stale`, the server keeps the old files, as a CDN
 * that has not caught up would.
 */
async function deploy(root, changes, { stale = false } = {}) {
    const { code, ...build } = await manifest(root);
    for (const [path, content] of Object.entries(changes)) {
        build.files[path] = sha256(content).slice(0, build.files[path].length);
        if (!stale) await writeFile(join(root, path), content);
    }
    build.id = sha256(JSON.stringify(build.files)).slice(0, build.id.length);
    await writeFile(join(root, 'service-worker.js'), `const BUILD = ${JSON.stringify(build)};${code}`);
    return build.id;
}

const trimEnd = (text) => text.replace(/\n+$/, '');

/** Waits until the page's service worker is active; returns the names and sizes of the book's caches. */
async function activeWorkerAndCaches(page) {
    return page.evaluate(async () => {
        const registration = await Promise.race([
            navigator.serviceWorker.ready,
            new Promise((_, reject) => {
                setTimeout(() => reject(new Error('no active service worker 60 s after the first visit')), 60000);
            }),
        ]);
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
                const run = page.locator('div.bf-run[data-example-id]').first();
                const result = await pressRun(page, run);
                assert.equal(result.state, 'ok', `${path}, offline: ${result.status}`);
                // The page compares with the verified output where it shows one (not `no-output`).
                const shown = run.locator('xpath=ancestor::figure[contains(@class, "bf-example")][1]').locator('.bf-example-output');
                if (await shown.count()) assert.match(result.status, /Same as the verified output/, `${path}, offline`);
                assert.equal(trimEnd(await verifiedPart(page, result.output)), trimEnd((await splitAnswer(page, example.verified)).shown), `${path}, offline: ${example.id}`);
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
        // mdBook's searcher listens for keyup.
        await page.locator('#mdbook-searchbar').pressSequentially('fsync');
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

test('a new deploy replaces the cache whole, and open pages keep their build until the reader reloads', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bf-offline-deploy-'));
    await cp(BOOK_DIR, root, { recursive: true });
    const server = await serveBook(root);
    const context = await env.browser.newContext();
    const errors = [];
    context.on('weberror', (error) => errors.push(error.error().message));
    const url = (path) => `${server.origin}/${path}`;
    const cacheNames = (page) => page.evaluate(async () => (await caches.keys()).filter((name) => name.startsWith('bf-offline:')).sort());
    /** Asks the browser to check for a new worker, and waits until that check and any install are over. */
    const checkForUpdate = (page) => page.evaluate(async () => {
        const registration = await navigator.serviceWorker.ready;
        await registration.update().catch(() => {});
        while (registration.installing) await new Promise((resolve) => setTimeout(resolve, 50));
        return { waiting: Boolean(registration.waiting), active: registration.active.scriptURL };
    });
    try {
        const buildA = (await manifest(root)).id;
        const first = await context.newPage();
        await first.goto(url('introduction.html'));
        await activeWorkerAndCaches(first);
        const [chapter, ids] = [...(await runsByPage()).entries()].find(([, found]) => found.length);
        const example = (await runnableExamples()).find((candidate) => candidate.id === ids[0]);
        const glue = `generated/playground_${example.module}/playground_${example.module}.js`;
        const open = await context.newPage();
        const glueSeen = [];
        open.on('response', async (response) => {
            if (response.url().endsWith(glue)) glueSeen.push(await response.text());
        });
        await open.goto(url(chapter));
        assert.ok(await open.evaluate(() => Boolean(navigator.serviceWorker.controller)), `${chapter} is controlled by build A`);

        const originalIntro = await readFile(join(root, 'introduction.html'), 'utf8');
        const originalGlue = await readFile(join(root, glue), 'utf8');
        const introB = originalIntro.replace('</main>', '<p id="deployed-b">Deployed B</p></main>');
        const glueB = `${originalGlue}\n// deploy B\n`;

        // A deploy whose files the server does not serve yet: the install fails, nothing changes.
        await deploy(root, { 'introduction.html': introB }, { stale: true });
        assert.deepEqual(await checkForUpdate(open), { waiting: false, active: url('service-worker.js') });
        assert.deepEqual(await cacheNames(open), [`bf-offline:/:${buildA}`], 'a failed install leaves no cache behind');

        // The real deploy: installed beside build A, waiting while a page of A is open.
        const buildB = await deploy(root, { 'introduction.html': introB, [glue]: glueB });
        assert.equal((await checkForUpdate(open)).waiting, true, 'build B waits');
        assert.deepEqual(await cacheNames(open), [`bf-offline:/:${buildA}`, `bf-offline:/:${buildB}`].sort());
        // The open page of build A runs its example with build A's files; new pages get A too.
        const result = await runInline(open, example.id);
        assert.equal(result.state, 'ok', result.status);
        assert.ok(glueSeen.length > 0 && glueSeen.every((text) => !text.includes('// deploy B')), 'a page of build A loaded build B\'s wasm glue');
        const another = await context.newPage();
        await another.goto(url('introduction.html'));
        assert.equal(await another.locator('#deployed-b').count(), 0, 'build A serves build A\'s pages while B waits');

        // The notice on the controlled page; "Reload" hands every open page to build B.
        const notice = open.locator('#bf-update-notice');
        await notice.waitFor({ timeout: 10000 });
        const reloaded = Promise.all([open.waitForEvent('load'), another.waitForEvent('load')]);
        await notice.getByRole('button', { name: 'Reload' }).click();
        await reloaded;
        assert.equal(await another.locator('#deployed-b').count(), 1, 'after Reload, build B\'s page');
        assert.deepEqual(await cacheNames(open), [`bf-offline:/:${buildB}`], 'build A\'s cache is gone');
        glueSeen.length = 0;
        const again = await runInline(open, example.id);
        assert.equal(again.state, 'ok', again.status);
        assert.ok(glueSeen.length > 0 && glueSeen.every((text) => text.includes('// deploy B')), 'after Reload, build B\'s glue');
        assert.deepEqual(errors, [], 'page errors');
    } finally {
        await context.close();
        await server.close();
        await rm(root, { recursive: true, force: true });
    }
});

test('under a sub-path (GitHub Pages: /<repo>/) the worker covers that path, from any page', async () => {
    // The book at /repo/ of the server: a folder holding a link to book/.
    const root = await mkdtemp(join(tmpdir(), 'bf-offline-subpath-'));
    await symlink(BOOK_DIR, join(root, 'repo'));
    const server = await serveBook(root);
    const context = await env.browser.newContext();
    try {
        const build = await manifest();
        const page = await context.newPage();
        // A page one folder down: its path_to_root is "../".
        await page.goto(`${server.origin}/repo/cheat-sheets/the-machine.html`);
        const state = await activeWorkerAndCaches(page);
        assert.equal(state.scope, `${server.origin}/repo/`);
        const ours = state.caches.filter((cache) => cache.name.startsWith('bf-offline:'));
        assert.deepEqual(ours.map((cache) => cache.name), [`bf-offline:/repo/:${build.id}`]);
        assert.ok(ours[0].urls.includes(`${server.origin}/repo/index.html`), 'cache keys are under /repo/');
        assert.equal(ours[0].urls.length, Object.keys(build.files).length);
        await context.setOffline(true);
        const response = await page.goto(`${server.origin}/repo/tcp-udp-http.html`);
        assert.ok(response.fromServiceWorker() && response.ok(), 'a chapter under /repo/, offline');
    } finally {
        await context.close();
        await server.close();
        await rm(root, { recursive: true, force: true });
    }
});

test('the stub that mdbook serve ships retires a worker a static serve left on the same address', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bf-offline-stub-'));
    await cp(BOOK_DIR, root, { recursive: true });
    const server = await serveBook(root);
    const context = await env.browser.newContext();
    try {
        const page = await context.newPage();
        await page.goto(`${server.origin}/introduction.html`);
        await activeWorkerAndCaches(page);
        await page.goto(`${server.origin}/tcp-udp-http.html`);
        assert.ok(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), 'served by the worker');
        // Now `mdbook serve` on the same address: src/service-worker.js, and pages that changed.
        await cp(join(WORKSPACE, 'src/service-worker.js'), join(root, 'service-worker.js'));
        const chapter = await readFile(join(root, 'tcp-udp-http.html'), 'utf8');
        await writeFile(join(root, 'tcp-udp-http.html'), chapter.replace('</main>', '<p id="live">edited</p></main>'));
        const reloaded = page.waitForEvent('load');
        await page.evaluate(async () => (await navigator.serviceWorker.ready).update());
        await reloaded;
        assert.equal(await page.locator('#live').count(), 1, 'the page reloaded from the server, not the stale cache');
        assert.deepEqual(await page.evaluate(async () => (await caches.keys()).filter((name) => name.startsWith('bf-offline:'))), []);
    } finally {
        await context.close();
        await server.close();
        await rm(root, { recursive: true, force: true });
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
