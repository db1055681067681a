// The WebAssembly playground in Chromium: every browser-capable example runs from its page and
// from the playground page with its verified output; bad input and panics show messages and
// leave the playground working; permalinks round-trip; the wasm loads only when needed; and
// nothing is requested from another origin. Each chapter page is loaded once for all of its
// Runs, and the playground page once for every example (through its URL hash).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
    openRecorded, pressRun, runInline, runnableExamples, runsByPage, splitAnswer, useBookAndBrowser, verifiedPart, waitForNewRun,
} from '../lib/harness.mjs';

const WASM = /\/generated\/playground_([a-z0-9_]+)\/playground_\1_bg\.wasm$/;
/** The modules whose wasm files were fetched, by name (`processes`, `sql`, …). */
const modulesFetched = (requests) => [...new Set(requests.map((url) => WASM.exec(url)?.[1]).filter(Boolean))];

const env = useBookAndBrowser();

const examples = await runnableExamples();
const exampleById = new Map(examples.map((example) => [example.id, example]));
const pageRuns = await runsByPage();

/** Which page shows each example's Run button (the first page in file order; print.html skipped). */
const pageOf = new Map();
for (const [page, ids] of pageRuns) {
    for (const id of ids) if (!pageOf.has(id)) pageOf.set(id, page);
}

const trimEnd = (text) => text.replace(/\n+$/, '');

function assertSameOrigin(requests, origin) {
    const foreign = requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:'));
    assert.deepEqual(foreign, [], 'requests to another origin');
}

// Two pages at a time: each waits on the network going idle more than it computes.
describe('every browser-capable example runs from its page with its verified output', { concurrency: 2 }, () => {
    test('every browser-capable example is shown by a chapter', () => {
        const missing = examples.filter((example) => !pageOf.has(example.id)).map((example) => example.id);
        assert.deepEqual(missing, [], 'runnable examples that no chapter shows');
    });

    // One page load per page: every Run on it, in page order.
    for (const [path, ids] of pageRuns) {
        test(path, async () => {
            const { page, requests, errors, context } = await openRecorded(env.browser, `${env.server.origin}/${path}`);
            try {
                assert.ok(!requests.some((url) => WASM.test(url)), `${path} fetched the wasm before any Run`);
                const modulesRun = [];
                for (const [index, id] of ids.entries()) {
                    const example = exampleById.get(id);
                    assert.ok(example, `${path} has a Run for ${id}, which is not a browser-capable example`);
                    const label = `${id} (Run ${index + 1} on ${path})`;
                    const run = page.locator('div.bf-run[data-example-id]').nth(index);
                    assert.equal(await run.getAttribute('data-example-id'), id);
                    const fetchedBefore = requests.length;
                    const result = await pressRun(page, run);
                    assert.equal(result.state, 'ok', `${label}: ${result.status}`);
                    const verified = await splitAnswer(page, example.verified);
                    const output = run.locator('xpath=ancestor::figure[contains(@class, "bf-example")][1]').locator('.bf-example-output');
                    if (await output.count()) {
                        assert.match(result.status, /Same as the verified output/, label);
                        assert.equal(trimEnd(await output.locator('> pre code').textContent()), trimEnd(verified.shown), `${label}: the page shows a stale output`);
                        if (verified.answer !== undefined) {
                            assert.equal(trimEnd(await output.locator('details.bf-answer code').textContent()), trimEnd(verified.answer), label);
                        }
                    } else {
                        // This figure shows the code only (`no-output`): compare with the file directly.
                        assert.equal(trimEnd(await verifiedPart(page, result.output)), trimEnd(verified.shown), `${label}: the browser's output differs`);
                    }
                    const fetchedNow = modulesFetched(requests.slice(fetchedBefore));
                    if (example.language === 'typescript') {
                        // A TypeScript example runs its own compiled JavaScript, and no WebAssembly.
                        assert.deepEqual(fetchedNow, [], `${label}: a TypeScript example loaded wasm modules`);
                        const [chapter, name] = id.split('::');
                        assert.ok(requests.some((url) => url.endsWith(`/generated/ts/${chapter}/${name}.js`)), `${label}: its JavaScript was not fetched`);
                    } else {
                        // One module per chapter: Run loads the example's own module and no other.
                        if (!modulesRun.includes(example.module)) modulesRun.push(example.module);
                        assert.ok(fetchedNow.every((module) => module === example.module), `${label}: Run loaded the wrong wasm modules: ${fetchedNow}`);
                    }
                    assert.deepEqual(modulesFetched(requests), modulesRun, `${label}: the page loaded other wasm modules than its Runs need`);
                    assertSameOrigin(requests, env.server.origin);
                    assert.deepEqual(errors, [], `errors on ${path} after ${label}`);
                }
            } finally {
                await context.close();
            }
        });
    }
});

test('bad input shows a readable error, a panic shows its message, and the next run still works', async () => {
    const [example] = examples;
    const { page, requests, errors, context } = await openRecorded(env.browser, `${env.server.origin}/${pageOf.get(example.id)}`);
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
        assert.equal(trimEnd(await verifiedPart(page, result.output)), trimEnd((await splitAnswer(page, example.verified)).shown));
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

/** Loads example `example` on the open playground page through the hash, as its index links do, and waits for its run. */
async function showInPlayground(page, example) {
    const before = await page.locator('.bf-pg-main .bf-result').getAttribute('data-runs');
    await page.evaluate((hash) => {
        location.hash = hash;
    }, `example=${encodeURIComponent(example.id)}`);
    await waitForNewRun(page, '.bf-pg-main .bf-result', before);
    return playgroundResult(page);
}

/** Checks that the playground shows `example` run on its default input, with its verified output. */
function assertDefaultRun(result, example) {
    assert.equal(result.title, example.title, example.id);
    assert.equal(result.state, 'ok', `${example.id}: ${result.status}`);
    assert.match(result.status, /Same as the verified output/, example.id);
    assert.equal(result.input, example.default_input, example.id);
}

test('the playground page runs every browser-capable example from its link', async () => {
    // One page load: the first example from the link, every other one through a hash change.
    const [first] = examples;
    const url = `${env.server.origin}/playground.html#example=${encodeURIComponent(first.id)}`;
    const { page, requests, errors, context } = await openRecorded(env.browser, url);
    try {
        for (const example of examples) {
            const result = example === first ? await playgroundResult(page) : await showInPlayground(page, example);
            assertDefaultRun(result, example);
            assertSameOrigin(requests, env.server.origin);
            assert.deepEqual(errors, [], `errors after ${example.id}`);
        }
    } finally {
        await context.close();
    }
});

test('a playground permalink reproduces a run with edited input', async () => {
    const [example] = examples;
    const { page, requests, context } = await openRecorded(env.browser, `${env.server.origin}/${pageOf.get(example.id)}`);
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
        const before = await page.locator('.bf-pg-main .bf-result').getAttribute('data-runs');
        await other.click();
        await page.waitForFunction((id) => location.hash.includes(encodeURIComponent(id)) || location.hash.includes(id), otherId);
        await waitForNewRun(page, '.bf-pg-main .bf-result', before);
        assertDefaultRun(await playgroundResult(page), exampleById.get(otherId));
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
