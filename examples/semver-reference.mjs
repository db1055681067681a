// npm's own verdicts on the book's semver corpus, for examples/tests/semver_reference.rs.
//
//   node examples/semver-reference.mjs examples/src/semver/corpus.txt
//
// Reads each `RANGE ; VERSION VERSION ...` line of the corpus (as examples/src/semver/corpus.rs
// does) and prints one JSON object per line: for each range, how the package reads it
// (`semver.validRange`, null when it cannot), then for each version its verdict: "bad range",
// "bad version", or whether `semver.satisfies(version, range)` holds. Each is given twice:
// `reading`/`verdict` with the package's defaults (strict), `loose_reading`/`loose_verdict`
// with `{ loose: true }`, the options npm install itself passes (npm-package-arg,
// npm-pick-manifest).
// The package is the one examples/package-lock.json pins (`npm ci` in examples/).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const semver = require('semver');
const { version } = require('semver/package.json');

const path = process.argv[2];
if (!path) {
  console.error('usage: node semver-reference.mjs CORPUS');
  process.exit(2);
}

console.log(JSON.stringify({ semver: version }));
for (const line of readFileSync(path, 'utf8').split('\n')) {
  if (line.trim() === '' || line.startsWith('#')) continue;
  const at = line.indexOf(';');
  if (at < 0) throw new Error(`corpus line without ';': ${line}`);
  const range = line.slice(0, at).trim();
  const versions = line.slice(at + 1).split(/\s+/).filter((v) => v !== '');
  const reading = semver.validRange(range);
  const loose_reading = semver.validRange(range, { loose: true });
  console.log(JSON.stringify({ range, reading, loose_reading }));
  const verdictOf = (v, r, options) => {
    if (r === null) return 'bad range';
    if (semver.valid(v, options) === null) return 'bad version';
    return semver.satisfies(v, range, options) ? 'yes' : 'no';
  };
  for (const v of versions) {
    const verdict = verdictOf(v, reading, {});
    const loose_verdict = verdictOf(v, loose_reading, { loose: true });
    console.log(JSON.stringify({ range, version: v, verdict, loose_verdict }));
  }
}
