// Narrowing a discriminated union: a ledger applies deposit, withdrawal and transfer events. The
// `kind` property tells TypeScript which member it holds in each `case`; the `never` in the
// default branch turns a forgotten member into a compile error (see exhaustive_never.type-error.ts).
import { InputError, meaningfulLines } from "../ts_shared/input.js";

// ANCHOR: example
type Deposit = { kind: "deposit"; account: string; cents: number };
type Withdrawal = { kind: "withdrawal"; account: string; cents: number };
type Transfer = { kind: "transfer"; from: string; to: string; cents: number };
export type LedgerEvent = Deposit | Withdrawal | Transfer;

/** The outcome is a discriminated union too: `reason` exists only when `ok` is false. */
type Outcome = { ok: true } | { ok: false; reason: string };

function apply(balances: Map<string, number>, event: LedgerEvent): Outcome {
    const balance = (account: string) => balances.get(account) ?? 0;
    switch (event.kind) {
        case "deposit": // here `event` is a Deposit
            balances.set(event.account, balance(event.account) + event.cents);
            return { ok: true };
        case "withdrawal": // a Withdrawal
            if (balance(event.account) < event.cents) return { ok: false, reason: `${event.account} has ${balance(event.account)}` };
            balances.set(event.account, balance(event.account) - event.cents);
            return { ok: true };
        case "transfer": // a Transfer, which has no `account` (see below)
            if (balance(event.from) < event.cents) return { ok: false, reason: `${event.from} has ${balance(event.from)}` };
            balances.set(event.from, balance(event.from) - event.cents);
            balances.set(event.to, balance(event.to) + event.cents);
            return { ok: true };
        default:
            return assertNever(event); // `event` is `never`: every kind was handled
    }
}

function assertNever(value: never): never {
    throw new Error(`unhandled event: ${JSON.stringify(value)}`);
}

/** Never called: each marked line must fail to compile, or the build fails (TS2578). */
function doesNotCompile(event: LedgerEvent, outcome: Outcome): void {
    if (event.kind === "transfer") {
        // @ts-expect-error Property 'account' does not exist on type 'Transfer'.
        void event.account;
    }
    if (event.kind === "deposit") {
        // @ts-expect-error Property 'from' does not exist on type 'Deposit'.
        void event.from;
    }
    // @ts-expect-error `reason` exists only after `outcome.ok` has been checked.
    void outcome.reason;
}
// ANCHOR_END: example

// ANCHOR: parse
const KINDS = ["deposit", "withdrawal", "transfer"] as const;

/** A type predicate: when it returns true, TypeScript narrows `word` to the union of kinds. */
function isKind(word: string): word is LedgerEvent["kind"] {
    return (KINDS as readonly string[]).includes(word);
}

function parseEvent(text: string, line: number): LedgerEvent {
    const [kind = "", ...rest] = text.split(/\s+/);
    if (!isKind(kind)) throw new InputError(`unknown event kind "${kind}" (expected ${KINDS.join(", ")})`, line);
    const cents = Number(rest[rest.length - 1]);
    if (!Number.isSafeInteger(cents) || cents <= 0) throw new InputError("the last field must be a positive whole number of cents", line);
    if (kind === "transfer") {
        const [from, to] = rest;
        if (rest.length !== 3 || from === undefined || to === undefined) throw new InputError("transfer FROM TO CENTS", line);
        return { kind, from, to, cents };
    }
    const [account] = rest;
    if (rest.length !== 2 || account === undefined) throw new InputError(`${kind} ACCOUNT CENTS`, line);
    return { kind, account, cents };
}
// ANCHOR_END: parse

export function run(input: string): string {
    const balances = new Map<string, number>();
    let out = "";
    for (const { line, text } of meaningfulLines(input)) {
        const outcome = apply(balances, parseEvent(text, line));
        out += outcome.ok ? `ok        ${text}\n` : `rejected  ${text}: ${outcome.reason}\n`;
    }
    out += "balances:";
    for (const [account, cents] of [...balances].sort(([a], [b]) => (a < b ? -1 : 1))) out += ` ${account}=${cents}`;
    return `${out}\n`;
}
