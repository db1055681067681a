// erasableSyntaxOnly (TypeScript 5.8, not in `strict`; examples/tsconfig.type-errors.json turns it
// on): syntax that a type stripper cannot delete, because it produces JavaScript, is an error.
// `node status.ts` cannot run this file; tsc, tsx or a bundler can. Expected: TS1294.

// ANCHOR: example
export enum PaymentStatus {
    Pending,
    Settled,
}

// The erasable equivalent: an object that exists at run time, and a union type derived from it.
export const PAYMENT_STATUS = { Pending: "pending", Settled: "settled" } as const;
export type PaymentStatusName = (typeof PAYMENT_STATUS)[keyof typeof PAYMENT_STATUS];
// ANCHOR_END: example
