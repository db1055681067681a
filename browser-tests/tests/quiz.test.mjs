// Quizzes in Chromium: answer one question right and one wrong, reload and find both kept;
// the review index counts it and the Part's review page puts the wrong one first; without JavaScript the
// questions and their answers are still readable.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openQuestion, openRecorded, useBookAndBrowser } from '../lib/harness.mjs';

const PAGE = 'tcp-udp-http.html';

const env = useBookAndBrowser();

/** Answers a multiple-choice question right or wrong by its data-correct options. */
async function answerChoice(question, right) {
    await openQuestion(question);
    const options = question.locator('ul.bf-choices input');
    const count = await options.count();
    for (let i = 0; i < count; i++) {
        const option = options.nth(i);
        const correct = (await option.getAttribute('data-correct')) === 'true';
        if (correct === right) {
            await option.check();
            if (!right) break;
        }
    }
    await question.locator('button.bf-check-button').click();
}

test('answers are checked, explained, kept across a reload, and reviewed wrong-first', async () => {
    const { page, errors, context } = await openRecorded(env.browser, `${env.server.origin}/${PAGE}`);
    try {
        const choices = page.locator('.bf-question[data-kind="choice"]');
        const first = choices.nth(0);
        const second = choices.nth(1);
        const firstId = await first.getAttribute('data-question-id');
        const secondId = await second.getAttribute('data-question-id');
        assert.equal(await first.locator('details.bf-quiz-answer').isVisible(), false, 'answer visible before answering');

        await answerChoice(first, true);
        assert.match(await first.locator('.bf-feedback').textContent(), /^Right\./);
        assert.equal(await first.locator('details.bf-quiz-answer').getAttribute('open'), '');
        await answerChoice(second, false);
        assert.match(await second.locator('.bf-feedback').textContent(), /Not quite/);
        assert.ok(await second.locator('.bf-context').isVisible(), 'the explanation is not shown after a wrong answer');

        // Try again clears the form; keyboard: the button is focusable and Enter submits.
        await second.locator('button.bf-retry-button').click();
        assert.equal(await second.locator('details.bf-quiz-answer').isVisible(), false);

        // A short answer, compared leniently.
        const short = page.locator('.bf-question[data-kind="short"]').first();
        const accepted = JSON.parse(await short.getAttribute('data-accepted'));
        await openQuestion(short);
        await short.locator('input.bf-short-input').fill(`  ${accepted[0].toUpperCase()}  `);
        await short.locator('input.bf-short-input').press('Enter');
        assert.match(await short.locator('.bf-feedback').textContent(), /^Right\./);

        await page.reload({ waitUntil: 'networkidle' });
        assert.equal(await page.locator(`.bf-question[data-question-id="${firstId}"]`).getAttribute('data-state'), 'right');
        assert.equal(await page.locator(`.bf-question[data-question-id="${secondId}"]`).getAttribute('data-state'), 'wrong');
        assert.match(await page.locator(`.bf-question[data-question-id="${secondId}"] .bf-previous`).textContent(), /Last answer: wrong/);

        // The review index counts the wrong answer in its chapter's row and for the whole book,
        // without loading any question; its Part's title leads to the Part's review page.
        await page.goto(`${env.server.origin}/review.html`, { waitUntil: 'networkidle' });
        assert.equal(await page.locator('.bf-review-index .bf-question').count(), 0, 'the index holds questions');
        const row = page.locator(`.bf-review-index tr:has(a[href="${PAGE}"])`);
        assert.equal(await row.locator('td.bf-review-wrong').textContent(), '1');
        assert.match(await row.locator('td.bf-review-mastered').textContent(), /^0 of \d+$/);
        assert.match(await page.locator('.bf-review-total').textContent(), /1 answered wrong last time/);
        const partLink = row.locator('xpath=ancestor::section[1]').locator('h2 a');
        await partLink.click();
        await page.waitForLoadState('networkidle');
        assert.match(page.url(), /\/review\/networking\.html$/, 'the Part title does not lead to its review page');

        // The Part's review page: the wrong question comes first; the right one is not at the top.
        const ids = await page.locator('.bf-review-list .bf-question').evaluateAll((nodes) => nodes.map((n) => n.dataset.questionId));
        assert.equal(ids[0], secondId, 'the wrong answer is not first on the review page');
        assert.ok(ids.indexOf(firstId) > ids.indexOf(secondId));
        const chapters = await page.locator('#bf-review-filter option').count();
        assert.ok(chapters >= 3, 'the filter lists the chapters');
        await page.locator('#bf-review-filter').selectOption({ index: 1 });
        const chapter = await page.locator('#bf-review-filter').inputValue();
        const shown = await page.locator('.bf-review-list .bf-question:not([hidden])').evaluateAll((nodes) => nodes.map((n) => n.querySelector('.bf-question-chapter a').textContent));
        assert.ok(shown.length > 0 && shown.every((name) => name === chapter), 'the chapter filter shows other chapters');
        const tsv = await page.request.get(new URL(await page.locator('.bf-review-export a').getAttribute('href'), page.url()).href);
        assert.equal(tsv.status(), 200);
        assert.match(await tsv.text(), /^#separator:tab\n/);

        // Forgetting a chapter's answers.
        await page.goto(`${env.server.origin}/${PAGE}`, { waitUntil: 'networkidle' });
        // From the keyboard: a pointer click at the end of the quiz could land elsewhere when
        // the questions near it are built as it scrolls into view and the page shifts (seen
        // once under load: the state stayed "wrong").
        await page.locator('button.bf-quiz-reset').focus();
        await page.keyboard.press('Enter');
        await page.waitForFunction((id) => document.querySelector(`.bf-question[data-question-id="${id}"]`)?.dataset.state === 'new', secondId, { timeout: 5000 })
            .catch(() => {});
        assert.equal(await page.locator(`.bf-question[data-question-id="${secondId}"]`).getAttribute('data-state'), 'new');
        assert.deepEqual(errors, []);
    } finally {
        await context.close();
    }
});

test('without JavaScript, questions and answers are readable', async () => {
    const { page, context } = await openRecorded(env.browser, `${env.server.origin}/${PAGE}`, { javaScript: false });
    try {
        const questions = page.locator('.bf-question');
        assert.ok((await questions.count()) >= 6);
        assert.equal(await page.locator('.bf-question details.bf-quiz-answer').count(), await questions.count());
        assert.ok((await page.locator('.bf-question ul.bf-options li').count()) > 0, 'options are listed');
        const answer = page.locator('.bf-question details.bf-quiz-answer').first();
        await answer.locator('summary').click();
        assert.ok((await answer.locator('.bf-right-answer').textContent()).trim().length > 0);
    } finally {
        await context.close();
    }
});
