// `any` versus `unknown` on parsed JSON. JSON.parse returns `any`, which switches checking off:
// the sum below is typed `number` and becomes a string when one body sends "25". With `unknown`
// the compiler insists on a check first. A `catch` variable is `unknown` too (strict's
// useUnknownInCatchVariables), because JavaScript can throw anything, not only Errors.
import { meaningfulLines } from "../ts_shared/input.js";

// ANCHOR: example
function sumWithAny(bodies: string[]): number {
    let total = 0;
    for (const text of bodies) {
        const body = JSON.parse(text); // any
        total += body.amount; // compiles whatever body is
    }
    return total; // typed number; at run time it may be a string or NaN
}

function sumWithUnknown(bodies: string[]): { total: number; rejected: string[] } {
    let total = 0;
    const rejected: string[] = [];
    for (const text of bodies) {
        const body: unknown = JSON.parse(text);
        // Each check narrows: object, not null, has "amount", and that amount is a number.
        if (typeof body === "object" && body !== null && "amount" in body && typeof body.amount === "number") {
            total += body.amount;
        } else {
            rejected.push(text);
        }
    }
    return { total, rejected };
}
// ANCHOR_END: example

// ANCHOR: catch
/** What to log for a caught value: with useUnknownInCatchVariables `err` is unknown. */
function describeError(err: unknown): string {
    if (err instanceof Error) return `${err.name}`; // messages differ between engines
    if (typeof err === "string") return `a thrown string: ${err}`;
    return `a thrown ${err === null ? "null" : typeof err}: ${JSON.stringify(err)}`;
}

function attempt(step: () => unknown): string {
    try {
        step();
        return "ok";
    } catch (err) {
        return describeError(err);
    }
}
// ANCHOR_END: catch

export function run(input: string): string {
    const bodies: string[] = [];
    const notJson: string[] = [];
    for (const { text } of meaningfulLines(input)) {
        if (attempt(() => JSON.parse(text)) === "ok") bodies.push(text);
        else notJson.push(text);
    }
    const loose = sumWithAny(bodies);
    const checked = sumWithUnknown(bodies);
    let out = `any:     total = ${JSON.stringify(loose)} (typeof ${typeof loose})\n`;
    out += `unknown: total = ${checked.total} (typeof ${typeof checked.total}), rejected ${checked.rejected.length}: ${checked.rejected.join(" ")}\n`;
    for (const text of notJson) out += `not JSON: ${text} -> ${attempt(() => JSON.parse(text))}\n`;
    out += `throw "timeout" -> ${attempt(() => {
        throw "timeout";
    })}\n`;
    out += `throw { code: 503 } -> ${attempt(() => {
        throw { code: 503 };
    })}\n`;
    return out;
}
