// Every page a reader lands on stays within the first-load weight budget (issue 14): what it
// fetches before the network goes idle, gzipped as a static host serves it. Main-thread time
// is measured by `cargo xtask bench`, not tested: it depends on the machine.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { htmlPages, useBookAndBrowser } from '../lib/harness.mjs';
import { firstLoadWeight, isReaderPage, PAGE_WEIGHT_BUDGET_BYTES } from '../lib/page-cost.mjs';

const env = useBookAndBrowser();
const pages = (await htmlPages()).filter(isReaderPage);
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

describe(`first load of every page <= ${kB(PAGE_WEIGHT_BUDGET_BYTES)} gzipped`, () => {
    for (const path of pages) {
        test(path, async () => {
            const { bytes, files } = await firstLoadWeight(env.browser, env.server.origin, path);
            assert.ok(files.some((file) => file.path === path), `${path}: the page itself was not among its requests`);
            assert.ok(bytes <= PAGE_WEIGHT_BUDGET_BYTES,
                `${path} transfers ${kB(bytes)} on first load, over the ${kB(PAGE_WEIGHT_BUDGET_BYTES)} budget; largest files:\n`
                + files.slice(0, 8).map((file) => `  ${kB(file.bytes).padStart(9)}  ${file.path}`).join('\n'));
        });
    }
});
