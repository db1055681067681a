// `unknown` is the honest type of parsed JSON: nothing can be done with it until it is narrowed.
// With `any` (what JSON.parse returns) the same line compiles and fails at run time. Expected: TS18046.

// ANCHOR: example
export function amountOf(text: string): number {
    const body: unknown = JSON.parse(text);
    return body.amountCents; // with `const body = JSON.parse(text)` (any) this compiles
}
// ANCHOR_END: example
