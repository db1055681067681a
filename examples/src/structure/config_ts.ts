// Configuration from the environment, validated once at start-up: the TypeScript twin of
// config.rs. The input is an environment as KEY=VALUE lines (`---` starts another one); in a
// service the map would be `process.env`. Every problem is reported at once, each naming its
// variable, in the same words as the Rust version (a test compares the two outputs).
import { InputError } from "../ts_shared/input.js";

// ANCHOR: example
export type LogLevel = "error" | "warn" | "info" | "debug";
const LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

/** The validated configuration: after `loadConfig` succeeds, nothing else reads the environment. */
export type Config = {
    readonly port: number;
    readonly databaseUrl: string;
    readonly logLevel: LogLevel;
    readonly requestTimeoutMs: number;
    readonly maxOrderCents: number;
};

export type Env = ReadonlyMap<string, string>;
export type Loaded = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Reads every variable, collects every problem, and fails with all of them at once. */
export function loadConfig(env: Env): Loaded {
    const problems: string[] = [];
    const port = int(env, "PORT", undefined, 1, 65_535, problems);
    let databaseUrl = env.get("DATABASE_URL");
    if (databaseUrl === undefined) {
        problems.push("DATABASE_URL is required but not set");
    } else if (!["postgres://", "postgresql://", "sqlite:", "memory:"].some((s) => databaseUrl?.startsWith(s))) {
        // Never the value: it may hold a password. The scheme says enough.
        const s = scheme(databaseUrl);
        const got = s === undefined ? "a value with no scheme" : `"${s}:…"`;
        problems.push(`DATABASE_URL must start with postgres://, postgresql://, sqlite: or memory:, got ${got}`);
        databaseUrl = undefined;
    }
    const level = env.get("LOG_LEVEL") ?? "info";
    const logLevel = LEVELS.find((l) => l === level);
    if (logLevel === undefined) problems.push(`LOG_LEVEL must be one of error, warn, info, debug, got "${level}"`);
    const requestTimeoutMs = int(env, "REQUEST_TIMEOUT_MS", 5_000, 1, 60_000, problems);
    const maxOrderCents = int(env, "MAX_ORDER_CENTS", 100_000, 1, 100_000_000, problems);
    problems.push(...typos(env, problems));
    if (problems.length > 0 || databaseUrl === undefined || logLevel === undefined) return { ok: false, problems };
    return { ok: true, config: { port, databaseUrl, logLevel, requestTimeoutMs, maxOrderCents } };
}

/** A URL's scheme (RFC 3986: a letter, then letters, digits, +, - or ., before the colon). */
function scheme(url: string): string | undefined {
    const colon = url.indexOf(":");
    const s = url.slice(0, Math.max(colon, 0));
    return colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(s) ? s : undefined;
}

/** An integer variable in min..max; a default makes it optional. */
function int(env: Env, key: string, fallback: number | undefined, min: number, max: number, problems: string[]): number {
    const value = env.get(key);
    if (value === undefined) {
        if (fallback === undefined) problems.push(`${key} is required but not set`);
        return fallback ?? 0;
    }
    // Number(" 8080") is 8080 and Number("") is 0: check the text, not only the number.
    const n = /^[0-9]{1,9}$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) {
        problems.push(`${key} must be an integer from ${min} to ${max}, got "${value}"`);
        return 0;
    }
    return n;
}
// ANCHOR_END: example

const KNOWN = ["PORT", "DATABASE_URL", "LOG_LEVEL", "REQUEST_TIMEOUT_MS", "MAX_ORDER_CENTS"];
const REQUIRED = ["PORT", "DATABASE_URL"];

/** A set variable one edit away from a known one that is not set is almost surely a typo: a
 *  required one gets a hint on its "not set" line, an optional one (which would silently keep
 *  its default) becomes a problem of its own. */
function typos(env: Env, problems: string[]): string[] {
    const extra: string[] = [];
    const keys = [...env.keys()].filter((k) => k.length >= 5 && !KNOWN.includes(k)).sort();
    for (const key of keys) {
        const known = KNOWN.find((k) => !env.has(k) && editDistance(key, k) === 1);
        if (known === undefined) continue;
        if (REQUIRED.includes(known)) {
            const i = problems.indexOf(`${known} is required but not set`);
            if (i >= 0) problems[i] += ` (${key} is set: a typo?)`;
        } else {
            extra.push(`${key} is not a known variable: did you mean ${known}?`);
        }
    }
    return extra;
}

/** Levenshtein distance (the names are ASCII). */
function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 0; i < a.length; i++) {
        let prev = row[0] ?? 0;
        row[0] = i + 1;
        for (let j = 0; j < b.length; j++) {
            const next = Math.min(prev + (a[i] === b[j] ? 0 : 1), (row[j] ?? 0) + 1, (row[j + 1] ?? 0) + 1);
            prev = row[j + 1] ?? 0;
            row[j + 1] = next;
        }
    }
    return row[b.length] ?? 0;
}

/** A URL with its secrets blanked, so that a config dump never prints one: the password of the
 *  userinfo (`user:*****@`; the userinfo ends at the authority's *last* `@`, as WHATWG URL
 *  parsers split it, so `u:p@ss@db` hides all of `p@ss`) and the values of the `password` and
 *  `sslpassword` query parameters, which libpq also accepts (`?password=*****`). */
export function mask(url: string): string {
    const schemeEnd = url.indexOf("://") + 3;
    if (schemeEnd < 3) return url;
    // The authority ends at the first `/`, `?` or `#` after `scheme://`.
    const found = url.slice(schemeEnd).search(/[/?#]/);
    const authorityEnd = found < 0 ? url.length : schemeEnd + found;
    const authority = url.slice(schemeEnd, authorityEnd);
    const at = authority.lastIndexOf("@");
    const colon = at < 0 ? -1 : authority.slice(0, at).indexOf(":");
    let out = url.slice(0, schemeEnd);
    out += colon < 0 ? authority : `${authority.slice(0, colon)}:*****${authority.slice(at)}`;
    const rest = url.slice(authorityEnd);
    const question = rest.indexOf("?");
    if (question < 0) return out + rest;
    out += rest.slice(0, question + 1);
    const afterQuestion = rest.slice(question + 1);
    const hash = afterQuestion.indexOf("#");
    const query = hash < 0 ? afterQuestion : afterQuestion.slice(0, hash);
    const pairs = query.split("&").map((pair) => {
        const eq = pair.indexOf("=");
        const key = eq < 0 ? undefined : pair.slice(0, eq);
        return key === "password" || key === "sslpassword" ? `${key}=*****` : pair;
    });
    return out + pairs.join("&") + (hash < 0 ? "" : afterQuestion.slice(hash));
}

/** Splits the input into environments: maps of KEY to VALUE. */
export function environments(input: string): Map<string, string>[] {
    const envs = [new Map<string, string>()];
    input.split("\n").forEach((raw, index) => {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) return;
        if (line === "---") {
            envs.push(new Map());
            return;
        }
        const eq = line.indexOf("=");
        if (eq < 0) throw new InputError(`expected KEY=VALUE, got "${line}"`, index + 1);
        const key = line.slice(0, eq);
        if (!/^[A-Z0-9_]+$/.test(key)) throw new InputError(`a variable name is A-Z, 0-9 and _, got "${key}"`, index + 1);
        envs[envs.length - 1]?.set(key, line.slice(eq + 1));
    });
    return envs;
}

export function run(input: string): string {
    let out = "";
    environments(input).forEach((env, i) => {
        const loaded = loadConfig(env);
        if (loaded.ok) {
            const c = loaded.config;
            const note = (key: string) => (env.has(key) ? "" : " (default)");
            out +=
                `environment ${i + 1}: config ok, starting\n  PORT=${c.port}\n  DATABASE_URL=${mask(c.databaseUrl)}\n` +
                `  LOG_LEVEL=${c.logLevel}${note("LOG_LEVEL")}\n  REQUEST_TIMEOUT_MS=${c.requestTimeoutMs}${note("REQUEST_TIMEOUT_MS")}\n` +
                `  MAX_ORDER_CENTS=${c.maxOrderCents}${note("MAX_ORDER_CENTS")}\n`;
        } else {
            const s = loaded.problems.length === 1 ? "" : "s";
            out += `environment ${i + 1}: refusing to start, ${loaded.problems.length} configuration problem${s}:\n`;
            for (const p of loaded.problems) out += `  ${p}\n`;
        }
    });
    return out;
}
