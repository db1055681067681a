// The WebAssembly playground in Chromium: every browser-capable example runs from its page and
// from the playground page with its verified output; bad input and panics show messages and
// leave the playground working; permalinks round-trip; the wasm loads only when needed; and
// nothing is requested from another origin.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOK_DIR, htmlPages, openRecorded, runInline, useBookAndBrowser, waitForNewRun } from '../lib/harness.mjs';

const WORKSPACE = join(BOOK_DIR, '..');
const WASM = /\/generated\/playground_([a-z0-9_]+)\/playground_\1_bg\.wasm$/;
/** The modules whose wasm files were fetched, by name (`processes`, `sql`, …). */
const modulesFetched = (requests) => [...new Set(requests.map((url) => WASM.exec(url)?.[1]).filter(Boolean))];

const env = useBookAndBrowser();

/** The registry as the preprocessor reads it, with each example's verified output. */
async function runnableExamples() {
    const manifest = JSON.parse(await readFile(join(WORKSPACE, 'examples/manifest.json'), 'utf8'));
    const runnable = manifest.examples.filter((example) => example.native_only === null);
    for (const example of runnable) {
        example.verified = await readFile(join(WORKSPACE, example.expected), 'utf8');
    }
    return runnable;
}

/** Which page shows each example's Run button (the first page in file order; print.html skipped). */
async function pagesByExample() {
    const found = new Map();
    for (const page of await htmlPages()) {
        if (page === 'print.html') continue;
        const html = await readFile(join(BOOK_DIR, page), 'utf8');
        for (const match of html.matchAll(/<div class="bf-run"[^>]*? data-example-id="([^"]+)"/g)) {
            if (!found.has(match[1])) found.set(match[1], page);
        }
    }
    return found;
}

const trimEnd = (text) => text.replace(/\n+$/, '');

function assertSameOrigin(requests, origin) {
    const foreign = requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:'));
    assert.deepEqual(foreign, [], 'requests to another origin');
}

test('every browser-capable example runs from its page with its verified output', async () => {
    const examples = await runnableExamples();
    const pages = await pagesByExample();
    const missing = examples.filter((example) => !pages.has(example.id)).map((example) => example.id);
    assert.deepEqual(missing, [], 'runnable examples that no chapter shows');
    for (const example of examples) {
        const { page, requests, errors, context } = await openRecorded(env.browser, `${env.server.origin}/${pages.get(example.id)}`);
        try {
            assert.ok(!requests.some((url) => WASM.test(url)), `${pages.get(example.id)} fetched the wasm before any Run`);
            const result = await runInline(page, example.id);
            assert.equal(result.state, 'ok', `${example.id}: ${result.status}`);
            const [beforeAnswer] = example.verified.split('\n--- answer ---\n');
            if (await page.locator(`figure.bf-example[data-example-id="${example.id}"]`).first().locator('.bf-example-output').count()) {
                assert.match(result.status, /Same as the verified output/, example.id);
            } else {
                // This figure shows the code only (`no-output`): compare with the file directly.
                assert.equal(trimEnd(result.output), trimEnd(beforeAnswer), `${example.id}: the browser's output differs`);
            }
            const output = page.locator(`figure.bf-example[data-example-id="${example.id}"] .bf-example-output`).first();
            if (await output.count()) {
                const [before, answer] = example.verified.split('\n--- answer ---\n');
                assert.equal(trimEnd(await output.locator('> pre code').textContent()), trimEnd(before), `${example.id}: the page shows a stale output`);
                if (answer !== undefined) {
                    assert.equal(trimEnd(await output.locator('details.bf-answer code').textContent()), trimEnd(answer));
                }
            }
            // One module per chapter: Run loads the example's own module and no other.
            assert.deepEqual(modulesFetched(requests), [example.module], `${example.id}: Run loaded the wrong wasm modules`);
            assertSameOrigin(requests, env.server.origin);
            assert.deepEqual(errors, [], `errors on ${pages.get(example.id)}`);
        } finally {
            await context.close();
        }
    }
});

test('bad input shows a readable error, a panic shows its message, and the next run still works', async () => {
    const [example] = await runnableExamples();
    const pages = await pagesByExample();
    const { page, requests, errors, context } = await openRecorded(env.browser, `${env.server.origin}/${pages.get(example.id)}`);
    try {
        const run = page.locator(`div.bf-run[data-example-id="${example.id}"]`).first();
        await run.locator('button.bf-edit-button').click();
        const textarea = run.locator('textarea.bf-input');
        assert.equal(await textarea.inputValue(), example.default_input);
        await textarea.fill('this is not = = valid input\n');
        let result = await runInline(page, example.id);
        assert.equal(result.state, 'error');
        assert.match(result.status, /input line 1|unknown key|expected/i, `not a readable error: ${result.status}`);

        // A panic traps the module; the page reports it and starts a fresh worker.
        const reply = await page.evaluate((module) => window.bfPlayground.panic('deliberate test panic', module), example.module);
        assert.equal(reply.ok, false);
        assert.equal(reply.crashed, true);
        assert.match(reply.error, /deliberate test panic/);

        await run.locator('button.bf-reset-button').click();
        assert.equal(await textarea.inputValue(), example.default_input);
        // Ctrl+Enter in the input runs it.
        const before = await run.locator('.bf-result').getAttribute('data-runs');
        await textarea.press('Control+Enter');
        await waitForNewRun(page, `div.bf-run[data-example-id="${example.id}"] .bf-result`, before);
        result = {
            state: await run.locator('.bf-result').getAttribute('data-state'),
            output: await run.locator('.bf-run-output code').textContent(),
        };
        assert.equal(result.state, 'ok');
        assert.equal(trimEnd(result.output), trimEnd(example.verified).split('\n--- answer ---\n')[0]);
        assertSameOrigin(requests, env.server.origin);
        assert.deepEqual(errors, []);
    } finally {
        await context.close();
    }
});

async function playgroundResult(page) {
    await page.waitForFunction(() => document.querySelector('.bf-pg-main .bf-result')?.dataset.runs);
    const main = page.locator('.bf-pg-main');
    return {
        title: await main.locator('.bf-pg-title').textContent(),
        state: await main.locator('.bf-result').getAttribute('data-state'),
        status: (await main.locator('.bf-status').textContent()).trim(),
        output: await main.locator('.bf-run-output code').textContent(),
        input: (await main.locator('textarea.bf-input').count()) ? await main.locator('textarea.bf-input').inputValue() : null,
    };
}

test('the playground page runs every browser-capable example from its link', async () => {
    const examples = await runnableExamples();
    for (const example of examples) {
        const url = `${env.server.origin}/playground.html#example=${encodeURIComponent(example.id)}`;
        const { page, requests, errors, context } = await openRecorded(env.browser, url);
        try {
            const result = await playgroundResult(page);
            assert.equal(result.title, example.title);
            assert.equal(result.state, 'ok', `${example.id}: ${result.status}`);
            assert.match(result.status, /Same as the verified output/, example.id);
            assert.equal(result.input, example.default_input);
            assertSameOrigin(requests, env.server.origin);
            assert.deepEqual(errors, []);
        } finally {
            await context.close();
        }
    }
});

test('a playground permalink reproduces a run with edited input', async () => {
    const [example] = await runnableExamples();
    const pages = await pagesByExample();
    const { page, requests, context } = await openRecorded(env.browser, `${env.server.origin}/${pages.get(example.id)}`);
    try {
        // Edit inline, then follow "Open in playground": it carries the edited input.
        const run = page.locator(`div.bf-run[data-example-id="${example.id}"]`).first();
        await run.locator('button.bf-edit-button').click();
        const edited = `${example.default_input}# edited by the permalink test\n`;
        await run.locator('textarea.bf-input').fill(edited);
        await run.locator('a.bf-open-playground').click();
        await page.waitForURL(/playground\.html#/);
        const first = await playgroundResult(page);
        assert.equal(first.input, edited);
        assert.equal(first.state, 'ok', first.status);
        assert.match(first.status, /your input/);

        // The address now names the example and the input; a fresh page reproduces the run.
        const permalink = page.url();
        assert.match(permalink, /#example=.+&input=/);
        const second = await openRecorded(env.browser, permalink);
        try {
            const again = await playgroundResult(second.page);
            assert.equal(again.input, edited);
            assert.equal(again.output, first.output);
            assertSameOrigin(second.requests, env.server.origin);
        } finally {
            await second.context.close();
        }

        // Clicking another example in the index loads it with its default input.
        const other = page.locator('.bf-pg-link').last();
        const otherId = await other.getAttribute('data-example-id');
        await other.click();
        await page.waitForFunction((id) => location.hash.includes(encodeURIComponent(id)) || location.hash.includes(id), otherId);
        assertSameOrigin(requests, env.server.origin);
    } finally {
        await context.close();
    }
});

test('an unknown example in the link is a readable message, not a blank', async () => {
    const { page, errors, context } = await openRecorded(env.browser, `${env.server.origin}/playground.html#example=no::such`);
    try {
        const result = await playgroundResult(page);
        assert.equal(result.state, 'error');
        assert.match(result.status, /no runnable example `no::such`/);
        assert.deepEqual(errors, []);
    } finally {
        await context.close();
    }
});
