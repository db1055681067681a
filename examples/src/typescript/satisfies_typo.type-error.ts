// Three ways to give a literal a type. `as` asserts and checks almost nothing, so a misspelt
// optional key compiles and the setting is silently ignored. An annotation and `satisfies` both
// report the unknown key (TS2561 when the name is close to a known one, TS2353 otherwise);
// `satisfies` also keeps the literal's own, narrower type. Expected: TS2561.

// ANCHOR: example
type ServerConfig = { port: number; host?: string; requestTimeoutMs?: number };

// Compiles: the cast hides the typo, and the timeout falls back to its default.
export const viaCast = { port: 8080, requestTimeoutMS: 5_000 } as ServerConfig;

// Reported: 'requestTimeoutMS' does not exist in type 'ServerConfig'.
export const checked = { port: 8080, requestTimeoutMS: 5_000 } satisfies ServerConfig;
// ANCHOR_END: example
