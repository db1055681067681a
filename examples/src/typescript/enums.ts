// Enums are one of the few TypeScript constructs that produce JavaScript. A numeric enum compiles
// to an object mapped both ways (name → number and number → name), so `Object.keys` lists twice
// as many keys as it has members, and `value in Priority` accepts a number written as a string.
// A string enum maps one way and is nominal: the string "settled" is not a `Status.Settled`.
// The erasable alternative, an `as const` array with a union derived by `typeof KINDS[number]`,
// exists at run time as a plain array and at compile time as a union of literals.
import { meaningfulLines } from "../ts_shared/input.js";

// ANCHOR: example
enum Priority {
    Low,
    Normal,
    High,
}
// Emitted: Priority[Priority["Low"] = 0] = "Low"; … (a reverse mapping for each member)

enum Status {
    Pending = "pending",
    Settled = "settled",
}

const KINDS = ["deposit", "withdrawal", "transfer"] as const;
type Kind = (typeof KINDS)[number]; // "deposit" | "withdrawal" | "transfer"

const isKind = (s: string): s is Kind => (KINDS as readonly string[]).includes(s);
const isStatus = (s: string): s is Status => (Object.values(Status) as string[]).includes(s);

/** Never called: a string enum is nominal, or the build fails (TS2578). */
function stringEnumsAreNominal(): void {
    // @ts-expect-error Type '"settled"' is not assignable to type 'Status'.
    const s: Status = "settled";
    const k: Kind = "deposit"; // a literal union accepts the plain string
    void s;
    void k;
}
// ANCHOR_END: example

export function run(input: string): string {
    let out = `Object.keys(Priority): ${JSON.stringify(Object.keys(Priority))}\n`;
    out += `Priority[1] = ${JSON.stringify(Priority[1])}, Priority.High = ${Priority.High}\n`;
    out += `Object.keys(Status): ${JSON.stringify(Object.keys(Status))}\n`;
    out += "value        | `in Priority` | isStatus | isKind\n";
    for (const { text } of meaningfulLines(input)) {
        for (const value of text.split(/\s+/)) {
            const yes = (b: boolean) => (b ? "yes" : "no");
            out += `${value.padEnd(12)} | ${yes(value in Priority).padEnd(13)} | ${yes(isStatus(value)).padEnd(8)} | ${yes(isKind(value))}\n`;
        }
    }
    return out;
}
