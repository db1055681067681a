// Runs one compiled TypeScript example on Node for `cargo test -p examples`
// (test-support/src/typescript.rs): `node run-typescript.mjs <compiled example.js>`, the input on
// stdin. The output goes to stdout byte for byte. An `InputError` (examples/src/ts_shared/input.ts)
// exits with status 3 and "input line N: message" (or the message alone) on stderr, as the page's
// worker reports it; anything else thrown is a bug in the example and exits with Node's status 1.
import { pathToFileURL } from "node:url";

const [file] = process.argv.slice(2);
if (!file) {
    process.stderr.write("usage: node run-typescript.mjs <compiled example.js> < input\n");
    process.exit(64);
}
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = Buffer.concat(chunks).toString("utf8");

const example = await import(pathToFileURL(file).href);
if (typeof example.run !== "function") {
    process.stderr.write(`${file} exports no run(input: string): string\n`);
    process.exit(65);
}
let output;
try {
    output = example.run(input);
} catch (error) {
    if (error?.name === "InputError") {
        process.stderr.write(error.report());
        process.exit(3);
    }
    throw error;
}
if (typeof output !== "string") {
    process.stderr.write(`${file}: run returned ${typeof output}, not a string\n`);
    process.exit(65);
}
process.stdout.write(output);
