// The drawings of simulations in Chromium: no two texts of a sequence diagram overlap (on each
// example's default input and on inputs that send bursts), and every drawn example gets a step
// control that replays its run: a labelled range slider from 1 to the number of steps, ← and →
// on the figure and on the slider, the step's text from the simulation, its pieces highlighted,
// and the step kept in "Open in playground" (every drawn example, on its chapter page) and in
// the permalink (the playground page, one example per kind of figure). A ring (a cluster, as
// RaftScope draws Raft) shows each step's snapshot, and its actions add input lines: chosen by
// keyboard, pressed, run again, kept in the permalink and in "Open in playground".

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, openRecorded, pressRun, runnableExamples, runsByPage, useBookAndBrowser, waitForNewRun } from '../lib/harness.mjs';

const env = useBookAndBrowser();
const examples = await runnableExamples();
const pageRuns = await runsByPage();

/** Inputs that send many messages at one instant, per sequence example (on top of its default input). */
const BURSTS = {
    // A window of 60 segments leaves at once and a third are lost; then 100 segments on a link
    // whose round trip is shorter than the burst, so segments and ACKs cross all the time.
    'networking::tcp_link': [
        'loss = 0.3\nrtt = 100\nseed = 2\nsegments = 60\ncwnd = 60\nrwnd = 100\nmsl = 40\n',
        'loss = 0.05\nrtt = 2\nseed = 1\nsegments = 100\ncwnd = 100\nrwnd = 1000\nmsl = 5\n',
    ],
    // Seven replicas, four clients, three spares, some with the longest names allowed: every
    // request fans out to everyone at one instant.
    'sharding::quorum': [
        'replicas = replica-A-01 replica-B-02 C D E F G\nspares = H I J\nclients = client-one-1 c2 c3 c4\nw = 4\nr = 4\nsloppy = on\nread_repair = on\nseed = 3\n'
            + 'op = client-one-1 write x 1\nop = c2 write x 2\nop = partition client-one-1 replica-A-01 replica-B-02 H | c2 c3 c4 C D E F G I J\n'
            + 'op = c3 read x\nop = client-one-1 write y 3\nop = heal\nop = c4 read x\nop = client-one-1 read y\n',
    ],
    // Five followers, writes and reads at the same millisecond, a failover in the middle.
    'sharding::replication': [
        'mode = semisync\nread_from = follower\nfollowers = 5\nnet = 1\nlag = 0 3\nseed = 1\n'
            + 'op = 0 write x 1\nop = 0 write y 2\nop = 0 read x\nop = 1 write x 3\nop = 1 read y\nop = 1 failover\nop = 2 read x\nop = 2 write z 4\n',
    ],
};

/** Every text of the drawn sequence diagrams under `root` (a selector): their boxes, in the SVG's units. */
async function sequenceTextBoxes(page, root) {
    return page.evaluate((selector) => [...document.querySelectorAll(`${selector} figure.bf-drawing-sequence svg`)].map((svg) =>
        [...svg.querySelectorAll('text')].map((text) => {
            const box = text.getBBox();
            return { text: text.textContent, x: box.x, y: box.y, width: box.width, height: box.height };
        })), root);
}

/** Pairs of boxes that intersect (by more than a hair). */
function overlapping(boxes) {
    const pairs = [];
    const eps = 0.5;
    for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i], b = boxes[j];
            if (a.width === 0 || b.width === 0) continue;
            if (a.x < b.x + b.width - eps && b.x < a.x + a.width - eps && a.y < b.y + b.height - eps && b.y < a.y + a.height - eps) {
                pairs.push(`"${a.text}" and "${b.text}" at (${a.x.toFixed(0)}, ${a.y.toFixed(0)})`);
            }
        }
    }
    return pairs;
}

/** Opens the playground on `example` with `input` (default when undefined) and `step`; waits for the run. */
async function openPlayground(example, { input, step } = {}) {
    const params = new URLSearchParams({ example: example.id });
    if (input !== undefined) params.set('input', input);
    if (step !== undefined) params.set('step', String(step));
    const opened = await openRecorded(env.browser, `${env.server.origin}/playground.html#${params}`);
    await opened.page.waitForFunction(() => document.querySelector('.bf-pg-main .bf-result')?.dataset.runs);
    // A predict-then-reveal example draws its run only once the reader asks for the answer.
    const reveal = opened.page.locator('.bf-pg-main button.bf-reveal-button');
    if (await reveal.isVisible()) await reveal.click();
    return opened;
}

// Which examples draw, and their figures on the default input, straight from the wasm.
const figures = new Map();
{
    const { launchChromium, serveBook } = await import('../lib/harness.mjs');
    const server = await serveBook();
    const browser = await launchChromium();
    try {
        const page = await browser.newPage();
        await page.goto(`${server.origin}/playground.html`, { waitUntil: 'networkidle' });
        for (const example of examples) {
            const reply = await page.evaluate(({ id, input, module }) => window.bfPlayground.run(id, input, module), { id: example.id, input: example.default_input, module: example.module });
            assert.equal(reply.ok, true, `${example.id}: ${reply.error}`);
            if (reply.figure) figures.set(example.id, reply.figure);
        }
    } finally {
        await browser.close();
        await server.close();
    }
}
const drawn = examples.filter((example) => figures.has(example.id));

test('the simulations that draw are found, and each has steps', () => {
    assert.ok(drawn.length >= 2, `only ${drawn.length} drawn examples`);
    assert.ok(drawn.some((e) => figures.get(e.id).kind === 'sequence'), 'no sequence diagram');
    for (const example of drawn) assert.ok(figures.get(example.id).steps?.length > 0, `${example.id} has no steps`);
});

// Two pages at a time: each waits on the network going idle more than it computes.
describe('no two texts of a sequence diagram overlap', { concurrency: 2 }, () => {
    for (const example of drawn.filter((e) => figures.get(e.id).kind === 'sequence')) {
        for (const input of [undefined, ...(BURSTS[example.id] ?? [])]) {
            test(`${example.id} on ${input === undefined ? 'its default input' : JSON.stringify(input.slice(0, 60))}`, async () => {
                const { page, errors, context } = await openPlayground(example, { input });
                try {
                    const state = await page.locator('.bf-pg-main .bf-result').getAttribute('data-state');
                    assert.equal(state, 'ok', await page.locator('.bf-pg-main .bf-status').textContent());
                    const [boxes] = await sequenceTextBoxes(page, '.bf-pg-main');
                    assert.ok(boxes.length > 5, `${example.id}: only ${boxes?.length} texts drawn`);
                    assert.deepEqual(overlapping(boxes), [], `${example.id}: texts that overlap`);
                    assert.deepEqual(errors, []);
                } finally {
                    await context.close();
                }
            });
        }
    }
    test('every burst input is a sequence example', () => {
        for (const id of Object.keys(BURSTS)) assert.equal(figures.get(id)?.kind, 'sequence', id);
    });
});

/** The step control of the figure `figure` (a Locator): slider, its label, text, highlighted pieces and cursor. */
async function stepState(figure) {
    return figure.evaluate((wrap) => {
        const slider = wrap.querySelector('input[type=range]');
        const label = slider && wrap.querySelector(`label[for="${slider.id}"]`);
        const svg = wrap.querySelector('svg');
        const all = [...svg.querySelectorAll('*')];
        const cursor = svg.querySelector('.bf-cursor');
        // A ring redraws its servers, messages and logs at every step.
        const ring = wrap.classList.contains('bf-drawing-ring') ? wrap.querySelector('.bf-figure-view').innerHTML.replaceAll(' bf-current', '') : null;
        return {
            ring,
            min: slider?.min, max: slider?.max, value: slider?.value,
            label: label?.textContent ?? null,
            live: wrap.querySelector('.bf-step-text')?.getAttribute('aria-live'),
            text: wrap.querySelector('.bf-step-text')?.textContent,
            current: all.filter((node) => node.classList.contains('bf-current')).map((node) => all.indexOf(node)),
            future: svg.querySelectorAll('.bf-future').length,
            inFlight: all.filter((node) => node.classList.contains('bf-in-flight')).map((node) => all.indexOf(node)),
            cursor: cursor && `${cursor.getAttribute('x1')},${cursor.getAttribute('y1')}`,
        };
    });
}

/** The pieces step `k` (1-based) of `figure` marks, sorted: a message's send and its arrival mark one piece, its arrow. */
function markedKeys(figure, k) {
    const key = (mark) => ({ span: `s${mark.lane}/${mark.span}`, note: `n${mark.note}`, server: `r${mark.server}` })[mark.kind] ?? `m${mark.message}`;
    const keys = new Set(figure.steps[k - 1].marks.map(key));
    return [...keys].sort();
}

/** How many pieces step `k` (1-based) of `figure` marks: what the page must highlight. */
function markedPieces(figure, k) {
    return markedKeys(figure, k).length;
}

/** Checks a step control against the figure's steps and steps it with the keys. Returns the step set. */
async function checkStepControl(page, figureLocator, figure, label) {
    const n = figure.steps.length;
    const expectText = (k) => `step ${k} of ${n}: ${figure.steps[k - 1].text}`;
    let state = await stepState(figureLocator);
    assert.equal(state.min, '1', label);
    assert.equal(state.max, String(n), `${label}: the slider's maximum is the number of steps`);
    assert.equal(state.value, String(n), `${label}: starts at the last step`);
    assert.match(state.label ?? '', /step/i, `${label}: the slider has a label`);
    assert.equal(state.live, 'polite', label);
    assert.equal(state.text, expectText(n), label);
    assert.equal(state.future, 0, `${label}: nothing is dimmed at the last step`);
    assert.equal(state.current.length, markedPieces(figure, n), `${label}: highlighted pieces at step ${n}`);
    if (n < 2) return;

    // ← on the figure (its drawing is one focus stop) goes back one step: new text, the
    // highlight and the cursor move.
    const view = figureLocator.locator('.bf-figure-view');
    assert.equal(await view.getAttribute('tabindex'), '0', `${label}: the drawing can be focused`);
    assert.match(await view.getAttribute('aria-label'), new RegExp(`${n} steps`), label);
    await view.focus();
    await page.keyboard.press('ArrowLeft');
    const back = await stepState(figureLocator);
    assert.equal(back.value, String(n - 1), label);
    assert.equal(back.text, expectText(n - 1), label);
    assert.equal(back.current.length, markedPieces(figure, n - 1), `${label}: highlighted pieces at step ${n - 1}`);
    assert.ok(back.cursor !== state.cursor || back.current.join() !== state.current.join() || back.ring !== state.ring || figure.steps[n - 1].at === figure.steps[n - 2].at,
        `${label}: neither the highlight nor the cursor moved, nor the ring changed`);
    if (back.current.length && state.current.length) {
        if (markedKeys(figure, n - 1).join() === markedKeys(figure, n).join()) {
            // A message's send then its arrival: the same arrow stays highlighted, and it is in
            // flight (dashed) at the send only, unless it takes no time.
            assert.deepEqual(back.current, state.current, `${label}: steps ${n - 1} and ${n} mark the same pieces`);
            assert.ok(back.inFlight.join() !== state.inFlight.join() || back.cursor !== state.cursor || back.ring !== state.ring || figure.steps[n - 1].at === figure.steps[n - 2].at,
                `${label}: steps ${n - 1} and ${n} mark the same arrow, but neither its flight nor the cursor changed`);
        } else {
            assert.notDeepEqual(back.current, state.current, `${label}: the highlight did not move`);
        }
    }
    await page.keyboard.press('ArrowRight');
    assert.equal((await stepState(figureLocator)).text, expectText(n), `${label}: → comes back`);

    // Home shows the first step with the rest dimmed (a ring: its first snapshot); → on the
    // slider (a real range input) steps on.
    const last = state;
    await page.keyboard.press('Home');
    state = await stepState(figureLocator);
    assert.equal(state.text, expectText(1), label);
    if (figure.kind === 'ring') assert.notEqual(state.ring, last.ring, `${label}: the ring at step 1 is drawn as at step ${n}`);
    else assert.ok(state.future > 0 || n === 1, `${label}: nothing is dimmed at step 1`);
    const slider = figureLocator.locator('input[type=range]');
    await slider.focus();
    await page.keyboard.press('ArrowRight');
    assert.equal((await stepState(figureLocator)).text, expectText(2), `${label}: → on the slider`);

    // Set the slider, as a drag does.
    const k = Math.max(1, Math.ceil(n / 2));
    await slider.fill(String(k));
    state = await stepState(figureLocator);
    assert.equal(state.text, expectText(k), `${label}: the slider set to ${k}`);
    assert.equal(state.current.length, markedPieces(figure, k), label);
    return k;
}

// Two pages at a time: each waits on the network going idle more than it computes.
// Filled by the pages below, checked after them.
const perKind = new Map();
const followedKinds = new Set();
describe('every drawn example has a step control that replays its run', { concurrency: 2 }, () => {
    // Every drawn example's step control is checked under its Run on a chapter page (below),
    // "Open in playground" included. The playground page draws with the same code, so there
    // one example of each kind of figure is checked, with its permalink reloaded: opening the
    // playground twice for every example cost more than all the chapter pages together.
    for (const example of drawn) if (!perKind.has(figures.get(example.id).kind)) perKind.set(figures.get(example.id).kind, example);
    test('the drawn examples come in more than one kind of figure', () => assert.ok(perKind.size >= 2, [...perKind.keys()].join()));
    for (const example of perKind.values()) {
        test(`${example.id} on the playground page, and its permalink keeps the step`, async () => {
            const figure = figures.get(example.id);
            const { page, errors, context } = await openPlayground(example);
            try {
                const figureLocator = page.locator('.bf-pg-main figure.bf-drawing');
                const k = await checkStepControl(page, figureLocator, figure, example.id);
                if (k === undefined) return;
                const url = page.url();
                assert.match(url, new RegExp(`[#&]step=${k}(&|$)`), `${example.id}: the address keeps the step`);
                assert.equal(await page.locator('.bf-pg-main a.bf-permalink').getAttribute('href'), new URL(url).hash);
                // A fresh page from the permalink shows the same run at the same step.
                const again = await openRecorded(env.browser, url);
                try {
                    await again.page.waitForFunction(() => document.querySelector('.bf-pg-main .bf-result')?.dataset.runs);
                    const state = await stepState(again.page.locator('.bf-pg-main figure.bf-drawing'));
                    assert.equal(state.value, String(k), `${example.id}: the permalink restores the step`);
                    assert.equal(state.text, `step ${k} of ${figure.steps.length}: ${figure.steps[k - 1].text}`);
                    assert.deepEqual(again.errors, []);
                } finally {
                    await again.context.close();
                }
                assert.deepEqual(errors, []);
            } finally {
                await context.close();
            }
        });
    }

    // On chapter pages: the first Run of every drawn example (one page load per page).
    const firstPage = new Map();
    for (const [path, ids] of pageRuns) {
        for (const [index, id] of ids.entries()) if (figures.has(id) && !firstPage.has(id)) firstPage.set(id, { path, index });
    }
    test('every drawn example is run from a chapter page', () => {
        assert.deepEqual(drawn.map((e) => e.id).filter((id) => !firstPage.has(id)), []);
    });
    const byPage = new Map();
    for (const [id, { path, index }] of firstPage) byPage.set(path, [...(byPage.get(path) ?? []), { id, index }]);
    // Every drawn example's "Open in playground" link is checked to carry its step; following
    // the link (a playground load and a way back) is the same code for every example, so it is
    // followed for the first example of each kind of figure that has a step to carry.
    for (const [path, runs] of byPage) {
        test(`${path}: under each drawn example, and "Open in playground" carries the step`, async () => {
            const { page, errors, context } = await openRecorded(env.browser, `${env.server.origin}/${path}`);
            try {
                for (const { id, index } of runs) {
                    const run = page.locator('div.bf-run[data-example-id]').nth(index);
                    assert.equal(await run.getAttribute('data-example-id'), id);
                    const result = await pressRun(page, run);
                    assert.equal(result.state, 'ok', `${id}: ${result.status}`);
                    const reveal = run.locator('button.bf-reveal-button');
                    if (await reveal.isVisible()) await reveal.click();
                    const k = await checkStepControl(page, run.locator('figure.bf-drawing'), figures.get(id), `${id} on ${path}`);
                    if (k === undefined) continue;
                    const href = await run.locator('a.bf-open-playground').getAttribute('href');
                    assert.match(href, new RegExp(`[#&]step=${k}(&|$)`), `${id}: "Open in playground" keeps the step`);
                    if (followedKinds.has(figures.get(id).kind)) continue;
                    followedKinds.add(figures.get(id).kind);
                    await run.locator('a.bf-open-playground').click();
                    await page.waitForURL(/playground\.html#/);
                    await page.waitForFunction(() => document.querySelector('.bf-pg-main .bf-result')?.dataset.runs);
                    const state = await stepState(page.locator('.bf-pg-main figure.bf-drawing'));
                    assert.equal(state.value, String(k), `${id}: the playground opens at the chapter's step`);
                    await page.goBack();
                    await page.waitForSelector('div.bf-run[data-example-id]');
                }
                assert.deepEqual(errors, []);
            } finally {
                await context.close();
            }
        });
    }
});

// After every page above has run (they run two at a time, so not inside their describe).
test('"Open in playground" was followed for every kind of figure', () => {
    assert.deepEqual([...followedKinds].sort(), [...perKind.keys()].sort());
});

test('a new Run starts at the last step again, and editing the input drops the step from the link', async () => {
    const example = drawn.find((e) => figures.get(e.id).steps.length > 2);
    const { page, errors, context } = await openPlayground(example, { step: 2 });
    try {
        const figureLocator = page.locator('.bf-pg-main figure.bf-drawing');
        assert.equal((await stepState(figureLocator)).value, '2');
        const before = await page.locator('.bf-pg-main .bf-result').getAttribute('data-runs');
        await page.locator('.bf-pg-main button.bf-run-button').click();
        await waitForNewRun(page, '.bf-pg-main .bf-result', before);
        assert.equal((await stepState(figureLocator)).value, String(figures.get(example.id).steps.length));
        assert.doesNotMatch(page.url(), /step=/);
        await figureLocator.locator('input[type=range]').fill('2');
        assert.match(page.url(), /step=2/);
        await page.locator('.bf-pg-main textarea.bf-input').fill(`${example.default_input}\n`);
        assert.doesNotMatch(await page.locator('.bf-pg-main a.bf-permalink').getAttribute('href'), /step=/);
        assert.deepEqual(errors, []);
    } finally {
        await context.close();
    }
});

// ---- A ring: the snapshots, choosing a server, the actions ------------------------------------

/** What a ring server's button says at a snapshot, as theme/playground.js words it. */
function serverLabel(figure, i, s) {
    const vote = s.voted_for === null || s.voted_for === undefined ? '' : `, voted for ${figure.servers[s.voted_for]}`;
    return `${figure.servers[i]}, ${s.role}, term ${s.term}, log ${s.log.length} ${s.log.length === 1 ? 'entry' : 'entries'}, ${s.commit} committed${vote}`;
}

/** The names of a ring's server buttons under `root` (a Locator), in ring order. */
const serverLabels = (root) => root.locator('.bf-ring-button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')));

/** The serious and critical axe violations on `page`, in a few words each. */
async function seriousViolations(page) {
    const { violations } = await axeViolations(page);
    return violations.flatMap((v) => v.nodes.filter((node) => ['serious', 'critical'].includes(node.impact ?? v.impact)).map((node) => `${v.rule}: ${v.help} at ${node.target}`));
}

const ringExample = drawn.find((e) => figures.get(e.id).kind === 'ring');

test('a ring figure: its servers and logs follow the snapshots; Crash on a server chosen by keyboard adds a line, runs again, and the permalink restores it', async () => {
    assert.ok(ringExample, 'no example draws a ring');
    const figure = figures.get(ringExample.id);
    const n = figure.steps.length;
    const crash = figure.actions.find((action) => action.label === 'Crash');
    assert.ok(crash?.per_server, `${ringExample.id}: no per-server Crash action`);
    const { page, errors, context } = await openPlayground(ringExample);
    try {
        const wrap = page.locator('.bf-pg-main figure.bf-drawing-ring');
        const expected = (k) => figure.snapshots[k - 1].servers.map((s, i) => serverLabel(figure, i, s));
        // The last step first: one button per server, named with its role, term and log.
        assert.equal(await wrap.locator('.bf-ring-server').count(), figure.servers.length);
        assert.deepEqual(await serverLabels(wrap), expected(n));
        assert.equal(await wrap.locator('table.bf-ring-log tbody tr').count(), figure.servers.length);
        // Back and forth: a step whose roles or terms differ from the last step's.
        const roles = (k) => figure.snapshots[k - 1].servers.map((s) => `${s.role}/${s.term}`).join();
        const k = [...Array(n).keys()].map((i) => i + 1).reverse().find((i) => roles(i) !== roles(n));
        assert.ok(k, `${ringExample.id}: no step differs from the last in roles or terms`);
        await wrap.locator('input[type=range]').fill(String(k));
        assert.deepEqual(await serverLabels(wrap), expected(k), `step ${k}`);
        await wrap.locator('.bf-figure-view').focus();
        await page.keyboard.press('ArrowRight');
        assert.deepEqual(await serverLabels(wrap), expected(k + 1), `step ${k + 1}`);
        await page.keyboard.press('ArrowLeft');
        assert.deepEqual(await serverLabels(wrap), expected(k), `back at step ${k}`);
        // The marked servers are highlighted.
        const marked = figure.steps[k - 1].marks.filter((m) => m.kind === 'server').map((m) => m.server).sort();
        const highlighted = await wrap.locator('.bf-ring-server').evaluateAll((groups) => groups.flatMap((g, i) => (g.classList.contains('bf-current') ? [i] : [])));
        assert.deepEqual(highlighted, [...new Set(marked)]);

        // Choose the second server from the keyboard: Tab to the first, → to the next, Enter.
        const perServer = wrap.locator('button.bf-ring-action').nth(figure.actions.indexOf(crash));
        assert.equal(await perServer.isDisabled(), true, 'a per-server action is enabled before a server is chosen');
        await wrap.locator('.bf-ring-button').first().focus();
        await page.keyboard.press('ArrowRight');
        assert.equal(await page.evaluate(() => document.activeElement?.dataset.server), '1', '→ moves to the next server');
        assert.equal(await wrap.locator('input[type=range]').inputValue(), String(k), '→ on a server does not step');
        await page.keyboard.press('Enter');
        assert.equal(await wrap.locator('.bf-ring-button').nth(1).getAttribute('aria-pressed'), 'true');
        assert.equal(await perServer.isDisabled(), false);

        // Crash: the line goes into the input, the example runs again, the next step shows.
        const at = String(Math.round(figure.steps[k - 1].at * 1000) / 1000);
        const line = crash.line.replaceAll('{at}', at).replaceAll('{server}', figure.servers[1]);
        const before = await page.locator('.bf-pg-main .bf-result').getAttribute('data-runs');
        await perServer.focus();
        await page.keyboard.press('Enter');
        await waitForNewRun(page, '.bf-pg-main .bf-result', before);
        const input = await page.locator('.bf-pg-main textarea.bf-input').inputValue();
        const defaultInput = ringExample.default_input;
        assert.equal(input, `${defaultInput}${defaultInput === '' || defaultInput.endsWith('\n') ? '' : '\n'}${line}\n`);
        assert.equal(await page.locator('.bf-pg-main .bf-result').getAttribute('data-state'), 'ok', await page.locator('.bf-pg-main .bf-status').textContent());
        const after = await page.evaluate(({ id, input, module }) => window.bfPlayground.run(id, input, module), { id: ringExample.id, input, module: ringExample.module });
        const shown = Math.min(k + 1, after.figure.steps.length);
        const again = page.locator('.bf-pg-main figure.bf-drawing-ring');
        assert.equal(await again.locator('input[type=range]').inputValue(), String(shown), 'the step after the one that was current');
        assert.equal(await again.locator('.bf-step-text').textContent(), `step ${shown} of ${after.figure.steps.length}: ${after.figure.steps[shown - 1].text}`);
        assert.ok(after.figure.snapshots.slice(k - 1).some((snapshot) => snapshot.servers[1].role === 'down'), `${line}: the server is never down after it`);
        assert.equal(await page.evaluate(() => document.activeElement?.textContent), `${crash.label} ${figure.servers[1]}`, 'the focus stays on the action');
        assert.equal(await again.locator('.bf-ring-button').nth(1).getAttribute('aria-pressed'), 'true', 'the chosen server stays chosen');
        // The address and the permalink carry the input and the step.
        const params = new URLSearchParams(new URL(page.url()).hash.slice(1));
        assert.equal(params.get('input'), input);
        assert.equal(params.get('step'), shown === after.figure.steps.length ? null : String(shown));
        assert.equal(await page.locator('.bf-pg-main a.bf-permalink').getAttribute('href'), new URL(page.url()).hash);
        // axe on this state, in every theme (picked with mdBook's picker, which also swaps the code colours).
        for (const theme of ['light', 'rust', 'coal', 'navy', 'ayu']) {
            if (!(await page.locator('#mdbook-theme-list').isVisible())) await page.click('#mdbook-theme-toggle');
            await page.click(`#mdbook-theme-${theme}`);
            await page.waitForFunction((t) => document.documentElement.classList.contains(t), theme);
            await page.evaluate(() => document.activeElement?.blur());
            assert.deepEqual(await seriousViolations(page), [], `axe on the ring after an action (${theme})`);
        }
        const reloaded = await openRecorded(env.browser, page.url());
        try {
            await reloaded.page.waitForFunction(() => document.querySelector('.bf-pg-main .bf-result')?.dataset.runs);
            const restored = reloaded.page.locator('.bf-pg-main figure.bf-drawing-ring');
            assert.equal(await restored.locator('input[type=range]').inputValue(), String(shown));
            assert.deepEqual(await serverLabels(restored), await serverLabels(again));
            assert.deepEqual(reloaded.errors, []);
        } finally {
            await reloaded.context.close();
        }
        assert.deepEqual(errors, []);
    } finally {
        await context.close();
    }
});

test('a ring figure under its chapter\'s Run: an action opens the editor with the line, and "Open in playground" carries input and step', async () => {
    assert.ok(ringExample, 'no example draws a ring');
    const figure = figures.get(ringExample.id);
    const [path, ids] = [...pageRuns].find(([, ids]) => ids.includes(ringExample.id));
    const { page, errors, context } = await openRecorded(env.browser, `${env.server.origin}/${path}`, { viewport: { width: 360, height: 800 } });
    try {
        const run = page.locator('div.bf-run[data-example-id]').nth(ids.indexOf(ringExample.id));
        const result = await pressRun(page, run);
        assert.equal(result.state, 'ok', result.status);
        const reveal = run.locator('button.bf-reveal-button');
        if (await reveal.isVisible()) await reveal.click();
        const wrap = run.locator('figure.bf-drawing-ring');
        // A phone's width: the ring scales down inside its view.
        const widths = await wrap.evaluate((w) => [w.querySelector('svg.bf-ring').getBoundingClientRect().width, w.querySelector('.bf-figure-view').clientWidth]);
        assert.ok(widths[0] <= widths[1] + 0.5, `the ring (${widths[0]} px) is wider than its view (${widths[1]} px)`);
        assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360, 'the page scrolls sideways');
        const action = figure.actions.findIndex((a) => !a.per_server);
        const chosen = action >= 0 ? figure.actions[action] : figure.actions[0];
        if (action < 0) await wrap.locator('.bf-ring-button').first().click();
        const k = Math.max(1, Math.floor(figure.steps.length / 2));
        await wrap.locator('input[type=range]').fill(String(k));
        const before = await run.locator('.bf-result').getAttribute('data-runs');
        await wrap.locator('button.bf-ring-action').nth(Math.max(0, action)).click();
        await waitForNewRun(page, run.locator('.bf-result'), before);
        const at = String(Math.round(figure.steps[k - 1].at * 1000) / 1000);
        const line = chosen.line.replaceAll('{at}', at).replaceAll('{server}', figure.servers[0]);
        const textarea = run.locator('textarea.bf-input');
        assert.equal(await textarea.isVisible(), true, 'the editor is open');
        assert.ok((await textarea.inputValue()).endsWith(`${line}\n`), await textarea.inputValue());
        const href = await run.locator('a.bf-open-playground').getAttribute('href');
        const params = new URLSearchParams(href.split('#')[1]);
        assert.equal(params.get('input'), await textarea.inputValue());
        const value = await run.locator('figure.bf-drawing-ring input[type=range]').inputValue();
        const max = await run.locator('figure.bf-drawing-ring input[type=range]').getAttribute('max');
        assert.equal(params.get('step') ?? max, value, '"Open in playground" carries the step shown');
        assert.deepEqual(errors, []);
    } finally {
        await context.close();
    }
});
