// SQLite in the page: the SQL module loads only where SQL is run, a reader's own SQL runs on
// the real engine (results as tables, SQLite's errors, two sessions), and the version the
// browser runs is the one the native tests verified.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOK_DIR, htmlPages, openRecorded, runInline as run, useBookAndBrowser } from '../lib/harness.mjs';

const SQL_WASM = /\/generated\/playground_sql\/playground_sql_bg\.wasm$/;
const ANY_WASM = /\/generated\/playground_[a-z0-9_]+\/playground_[a-z0-9_]+_bg\.wasm$/;
const PAGE = 'how-this-book-works.html';

const env = useBookAndBrowser();

test('only pages with SQL fetch the SQL module, and only on Run', async () => {
    for (const page of await htmlPages()) {
        const html = await readFile(join(BOOK_DIR, page), 'utf8');
        const hasSql = /class="bf-run"[^>]*data-module="sql"/.test(html);
        if (hasSql || page === 'print.html') continue;
        assert.ok(!html.includes('playground_sql'), `${page} mentions the SQL module without any SQL example`);
    }
    const { page, requests, context } = await openRecorded(env.browser, `${env.server.origin}/${PAGE}`);
    try {
        assert.ok(!requests.some((url) => ANY_WASM.test(url)), 'wasm fetched before any Run');
        const result = await run(page, 'processes::amdahl');
        assert.equal(result.state, 'ok');
        assert.ok(!requests.some((url) => SQL_WASM.test(url)), 'a simulation fetched the SQL module');
        await run(page, 'sql::join');
        assert.ok(requests.some((url) => SQL_WASM.test(url)), 'the SQL example did not load the SQL module');
    } finally {
        await context.close();
    }
});

test("a reader's own SQL: JOIN, rollback, a failing statement, two sessions", async () => {
    const { page, requests, errors, context } = await openRecorded(env.browser, `${env.server.origin}/${PAGE}`);
    try {
        const joined = await run(page, 'sql::join', 'SELECT c.name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.total > 5000 ORDER BY o.total;');
        assert.equal(joined.state, 'ok');
        assert.equal(
            joined.output,
            'sqlite> SELECT c.name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.total > 5000 ORDER BY o.total;\n name  | total\n-------+-------\n Ada   |  7500\n Grace | 12000\n(2 rows)',
        );

        const rollback = await run(page, 'sql::transfer', "BEGIN;\nDELETE FROM orders;\nSELECT count(*) AS n FROM orders;\nROLLBACK;\nSELECT count(*) AS n FROM orders;");
        assert.match(rollback.output, /DELETE FROM orders;\n6 rows changed\n/);
        assert.match(rollback.output, /ROLLBACK;\nok\nsqlite> SELECT count\(\*\) AS n FROM orders;\n n\n---\n 6\n\(1 row\)$/);

        // A failing statement shows SQLite's message under it and the script goes on; a
        // statement SQLite cannot compile stops the script where it is.
        const failing = await run(page, 'sql::transfer', "INSERT INTO customers (id, name, city) VALUES (1, 'Again', 'Paris');\nSELECT count(*) AS n FROM customers;\nSELECT nope FROM customers;\nSELECT 1;");
        assert.match(failing.output, /VALUES \(1, 'Again', 'Paris'\);\nError: UNIQUE constraint failed: customers\.id\n/);
        assert.match(failing.output, / n\n---\n 4\n\(1 row\)\n/);
        assert.match(failing.output, /sqlite> SELECT nope FROM customers;\nError: no such column: nope \(input line 3\)\n\(the rest of the script did not run\)$/);
        const syntax = await run(page, 'sql::transfer', 'SELEC 1;');
        assert.equal(syntax.output, 'sqlite> SELEC 1;\nError: near "SELEC": syntax error (input line 1)\n(the rest of the script did not run)');

        const locking = await run(page, 'sql::locking', 'A: BEGIN;\nA: DELETE FROM orders WHERE id = 1;\nB: INSERT INTO orders VALUES (7, 3, 100, \'2026-04-01\');\nA: COMMIT;\nB: INSERT INTO orders VALUES (7, 3, 100, \'2026-04-01\');');
        assert.match(locking.output, /B> INSERT INTO orders VALUES \(7, 3, 100, '2026-04-01'\);\nError: database is locked\nA> COMMIT;\nok\nB> INSERT INTO orders VALUES \(7, 3, 100, '2026-04-01'\);\n1 row changed$/);

        const version = await run(page, 'sql::join', 'SELECT sqlite_version() AS v;');
        const verified = await readFile(join(BOOK_DIR, '..', 'examples/expected/sql.join.out'), 'utf8');
        const native = verified.match(/ sqlite\n-+\n (\S+)\n/)[1];
        assert.match(version.output, new RegExp(` ${native.replace(/\./g, '\\.')}\\n`), 'the browser runs another SQLite than the tests');

        const bad = await run(page, 'sql::locking', 'SELECT 1;\nA: SELECT 2;');
        assert.equal(bad.state, 'error');
        assert.match(bad.status, /input line 1: this script uses sessions/);

        assert.ok(!requests.some((url) => !url.startsWith(env.server.origin)), 'a request left the site');
        assert.deepEqual(errors, []);
    } finally {
        await context.close();
    }
});
