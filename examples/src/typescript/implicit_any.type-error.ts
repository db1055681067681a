// noImplicitAny: a parameter without a type and without a context to infer one from would be
// `any`, silently switching checking off. Expected: TS7006.

// ANCHOR: example
export function totalCents(items) {
    return items.reduce((sum: number, item: { cents: number }) => sum + item.cents, 0);
}
// ANCHOR_END: example
