// Runtime validation at the boundary: a small schema library (the idea behind zod, valibot and
// ArkType) in which one value is both the run-time check and, through `Infer`, the static type.
// `run` handles each input line as the JSON body of `POST /payments`, twice: once trusting a cast
// (`as CreatePayment`, which compiles and checks nothing) and once through the schema.
import { meaningfulLines } from "../ts_shared/input.js";

// ANCHOR: schema
export type Issue = { readonly path: string; readonly message: string };

/** A schema checks an `unknown` value and returns it as a `T`, or records issues. */
export interface Schema<T> {
    readonly expected: string;
    readonly optional: boolean;
    check(value: unknown, path: string, issues: Issue[]): T | typeof INVALID;
}
const INVALID: unique symbol = Symbol("invalid");

/** The static type a schema checks for: `Infer<typeof CreatePayment>`. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

export function parse<T>(schema: Schema<T>, value: unknown): Parsed<T> {
    const issues: Issue[] = [];
    const checked = schema.check(value, "", issues);
    if (checked === INVALID || issues.length > 0) return { ok: false, issues };
    return { ok: true, value: checked };
}

/** What a JSON value is, in the words an error message needs (`typeof null` is "object"). */
export function kindOf(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    return typeof value;
}

function fail(issues: Issue[], path: string, message: string): typeof INVALID {
    issues.push({ path: path === "" ? "(body)" : path, message });
    return INVALID;
}

export function string(rules: { maxLength?: number; pattern?: RegExp } = {}): Schema<string> {
    return {
        expected: "string",
        optional: false,
        check(value, path, issues) {
            if (typeof value !== "string") return fail(issues, path, `expected string, got ${kindOf(value)}`);
            if (rules.maxLength !== undefined && value.length > rules.maxLength) {
                return fail(issues, path, `longer than ${rules.maxLength} characters`);
            }
            if (rules.pattern !== undefined && !rules.pattern.test(value)) {
                return fail(issues, path, `does not match ${rules.pattern.source}`);
            }
            return value;
        },
    };
}

export function integer(rules: { min?: number; max?: number } = {}): Schema<number> {
    return {
        expected: "integer",
        optional: false,
        check(value, path, issues) {
            if (typeof value !== "number") return fail(issues, path, `expected integer, got ${kindOf(value)}`);
            if (!Number.isSafeInteger(value)) return fail(issues, path, `expected integer, got ${value}`);
            if (rules.min !== undefined && value < rules.min) return fail(issues, path, `below the minimum ${rules.min}`);
            if (rules.max !== undefined && value > rules.max) return fail(issues, path, `above the maximum ${rules.max}`);
            return value;
        },
    };
}

/** One of a few string literals; `const` keeps `"EUR" | "USD"` instead of widening to `string`. */
export function oneOf<const V extends readonly string[]>(...values: V): Schema<V[number]> {
    return {
        expected: values.join(" | "),
        optional: false,
        check(value, path, issues) {
            const found = values.find((v) => v === value);
            if (found === undefined) return fail(issues, path, `expected ${values.join(" | ")}, got ${JSON.stringify(value)}`);
            return found;
        },
    };
}

/** A property that may be absent (never `undefined`: JSON has no undefined). */
export function optional<T>(inner: Schema<T>): Schema<T> & { readonly optional: true } {
    return { ...inner, check: (v, p, i) => inner.check(v, p, i), optional: true };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** A mapped type: required keys for plain schemas, `key?:` for optional ones. */
export type ObjectOf<S extends Shape> = Simplify<
    { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

/** An object with exactly these keys checked; unknown keys are dropped (zod's default, "strip"). */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
    return {
        expected: "object",
        optional: false,
        check(value, path, issues) {
            if (typeof value !== "object" || value === null || Array.isArray(value)) {
                return fail(issues, path, `expected object, got ${kindOf(value)}`);
            }
            // The first cast: a non-null, non-array object, read as a record of unknown values.
            const input = value as Record<string, unknown>;
            const out: Record<string, unknown> = {};
            let valid = true;
            for (const [key, schema] of Object.entries(shape)) {
                const at = path === "" ? key : `${path}.${key}`;
                if (!Object.hasOwn(input, key)) {
                    if (!schema.optional) {
                        fail(issues, at, "required");
                        valid = false;
                    }
                    continue;
                }
                const checked = schema.check(input[key], at, issues);
                if (checked === INVALID) valid = false;
                else out[key] = checked;
            }
            // The library's second cast: every key of the shape was checked just above.
            return valid ? (out as ObjectOf<S>) : INVALID;
        },
    };
}
// ANCHOR_END: schema

// ANCHOR: example
export const CreatePayment = object({
    account: string({ pattern: /^acc_[a-z0-9]+$/ }),
    amountCents: integer({ min: 1, max: 1_000_000_00 }),
    currency: oneOf("EUR", "USD", "GBP"),
    note: optional(string({ maxLength: 140 })),
});
// The type comes from the schema, so the two cannot drift apart:
// { account: string; amountCents: number; currency: "EUR" | "USD" | "GBP"; note?: string }
export type CreatePayment = Infer<typeof CreatePayment>;

const FEE_CENTS = 30;

function charge(body: CreatePayment): string {
    const total = body.amountCents + FEE_CENTS; // a number, says the type
    return `charge ${total} ${body.currency} to ${body.account}`;
}

/** What most handlers do: parse, cast, go. The cast compiles and checks nothing. */
export function handleWithCast(text: string): string {
    const body = JSON.parse(text) as CreatePayment;
    return charge(body);
}

/** The boundary done right: unknown in, checked value or a 400 out. */
export function handleWithSchema(text: string): string {
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        return "400 body is not JSON";
    }
    const result = parse(CreatePayment, json);
    if (!result.ok) return `400 ${result.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`;
    return `201 ${charge(result.value)}`;
}
// ANCHOR_END: example

export function run(input: string): string {
    let out = "";
    for (const { line, text } of meaningfulLines(input)) {
        let cast: string;
        try {
            cast = handleWithCast(text);
        } catch (err) {
            cast = `threw ${err instanceof Error ? err.name : kindOf(err)}`;
        }
        out += `line ${line}: ${text}\n`;
        out += `  cast:   ${cast}\n`;
        out += `  schema: ${handleWithSchema(text)}\n`;
    }
    return out;
}
