// Primitives and objects: a primitive is copied by value, an object is shared by reference, so a
// spread copy of a config shares its nested objects. `typeof` tells the seven primitive types and
// "object"/"function" apart (null says "object"), `instanceof` walks the prototype chain, and a
// primitive is boxed into a wrapper object only for the moment a method is called on it.
import { InputError } from "../ts_shared/input.js";

type Config = { retries: number; db: { host: string; pool: number }; tags: string[] };

// ANCHOR: example
function perRequestConfig(base: Config): Config {
    const copy = { ...base }; // a shallow copy: copy.db IS base.db
    copy.retries = 5; // a number is copied: base.retries unchanged
    copy.db.pool = 50; // writes through the shared reference: base.db.pool changes
    copy.tags.push("canary"); // the same array
    return copy;
}

function deepCopy(config: Config): Config {
    return { ...config, db: { ...config.db }, tags: [...config.tags] };
}
// ANCHOR_END: example

// ANCHOR: typeof
function describe(value: unknown): string {
    const kind = value === null ? "null" : typeof value;
    return `${JSON.stringify(value) ?? String(value)}: typeof ${typeof value}, ${kind === "object" ? `instanceof Object ${value instanceof Object}, Array.isArray ${Array.isArray(value)}` : kind === "null" ? "a primitive all the same" : "a primitive"}`;
}

function boxing(): string[] {
    const text = "ada"; // a primitive string
    const boxed = Object(text) as unknown; // a String wrapper object
    return [
        `"ada".toUpperCase() = ${text.toUpperCase()} (a temporary String wrapper supplies the method)`,
        `typeof "ada" = ${typeof text}, "ada" instanceof String = ${(text as unknown) instanceof String}`,
        `typeof Object("ada") = ${typeof boxed}, Object("ada") instanceof String = ${boxed instanceof String}`,
        `Object("ada") === "ada": ${boxed === text}`,
        `{ id: 1 } === { id: 1 }: ${isSame({ id: 1 }, { id: 1 })} (two objects, compared by reference)`,
    ];
}
// ANCHOR_END: typeof

function isSame(a: object, b: object): boolean {
    return a === b;
}

function parseConfig(input: string): Config {
    let json: unknown;
    try {
        json = JSON.parse(input);
    } catch {
        throw new InputError("the input must be one JSON object");
    }
    if (typeof json !== "object" || json === null) throw new InputError("the input must be one JSON object");
    const { retries, db, tags } = json as Record<string, unknown>;
    if (typeof retries !== "number") throw new InputError("retries must be a number");
    if (typeof db !== "object" || db === null) throw new InputError("db must be an object");
    const { host, pool } = db as Record<string, unknown>;
    if (typeof host !== "string" || typeof pool !== "number") throw new InputError("db needs host (string) and pool (number)");
    if (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === "string")) throw new InputError("tags must be an array of strings");
    return { retries, db: { host, pool }, tags };
}

const show = (c: Config) => `retries=${c.retries} db.pool=${c.db.pool} tags=${c.tags.join(",")}`;

export function run(input: string): string {
    const lines: string[] = [];
    const base = parseConfig(input);
    lines.push(`base before:          ${show(base)}`);
    perRequestConfig(base);
    lines.push(`base after a spread:  ${show(base)}`);
    const fresh = parseConfig(input);
    const copy = deepCopy(fresh);
    copy.retries = 5;
    copy.db.pool = 50;
    copy.tags.push("canary");
    lines.push(`base after deepCopy:  ${show(fresh)}`);
    lines.push("");
    for (const value of [base.retries, base.db.host, base.tags, base.db, null]) lines.push(describe(value));
    lines.push("");
    lines.push(...boxing());
    return lines.join("\n") + "\n";
}
