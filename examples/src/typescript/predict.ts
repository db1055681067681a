// Predict, then reveal: a seeded POST /payments body, drawn from the mistakes real clients make
// (an amount as a string or in euros, a lowercase currency, a missing field, an extra one). The
// reader predicts what the cast path charges and whether the schema accepts it; the answer runs
// both handlers of `typescript::validate` on the body.
import { InputError, meaningfulLines } from "../ts_shared/input.js";
import { handleWithCast, handleWithSchema, kindOf } from "./validate.js";

// ANCHOR: example
/** mulberry32: a small seeded PRNG with the same sequence in Node and in every browser. */
function rng(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
}

const MISSING = Symbol("missing");
type Choice = readonly (unknown | typeof MISSING)[];

const CHOICES: Record<string, Choice> = {
    account: ["acc_7f3k", "acc_7f3k", "ACC-7F3K", MISSING],
    amountCents: [1999, "1999", 19.99, 0, MISSING],
    currency: ["EUR", "GBP", "usd", MISSING],
    isAdmin: [MISSING, MISSING, true],
};

export function draw(seed: number): string {
    const next = rng(seed);
    const body: Record<string, unknown> = {};
    for (const [key, choice] of Object.entries(CHOICES)) {
        const value = choice[Math.floor(next() * choice.length)];
        if (value !== MISSING) body[key] = value;
    }
    return JSON.stringify(body);
}
// ANCHOR_END: example

export function run(input: string): string {
    let seed = 7;
    for (const { line, text } of meaningfulLines(input)) {
        const m = /^seed\s*=\s*(\d{1,9})$/.exec(text);
        if (m === null || m[1] === undefined) throw new InputError("expected `seed = N` (0 to 999999999)", line);
        seed = Number(m[1]);
    }
    const body = draw(seed);
    let cast: string;
    try {
        cast = handleWithCast(body);
    } catch (err) {
        cast = `threw ${err instanceof Error ? err.name : kindOf(err)}`;
    }
    return (
        `POST /payments ${body}\n` +
        "The cast handler charges body.amountCents + 30 in body.currency. What does it charge?\n" +
        "Does the schema (account acc_…, integer amountCents ≥ 1, currency EUR/USD/GBP) accept the body?\n" +
        "--- answer ---\n" +
        `cast:   ${cast}\n` +
        `schema: ${handleWithSchema(body)}\n`
    );
}
