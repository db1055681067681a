// A new event kind joins the union, and the switch that forgot it stops compiling: in the default
// branch `event` is a Refund, not `never`. Expected: TS2345.
type Deposit = { kind: "deposit"; account: string; cents: number };
type Withdrawal = { kind: "withdrawal"; account: string; cents: number };
type Refund = { kind: "refund"; paymentId: string; cents: number }; // added this sprint
type LedgerEvent = Deposit | Withdrawal | Refund;

function assertNever(value: never): never {
    throw new Error(`unhandled event: ${JSON.stringify(value)}`);
}

// ANCHOR: example
export function delta(event: LedgerEvent): number {
    switch (event.kind) {
        case "deposit":
            return event.cents;
        case "withdrawal":
            return -event.cents;
        default:
            return assertNever(event);
    }
}
// ANCHOR_END: example
