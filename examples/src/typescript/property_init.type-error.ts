// strictPropertyInitialization (in `strict`): a class property declared without `undefined` must
// be assigned by the constructor. ORM entities and framework DTOs, filled in after construction,
// declare such fields with `!` (a definite assignment assertion: unchecked, like a cast).
// Expected: TS2564.

// ANCHOR: example
export class PaymentDto {
    id!: string; // the `!` says "someone else assigns it": the checker believes it
    amountCents: number; // neither assigned nor marked: reported
    note?: string; // optional: may stay undefined
}
// ANCHOR_END: example
