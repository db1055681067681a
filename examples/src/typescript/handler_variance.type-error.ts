// strictFunctionTypes: a handler for one kind of event cannot be registered where a handler of
// every event is expected, because the bus will call it with the other kinds too. Expected: TS2322.
type Deposit = { kind: "deposit"; account: string; cents: number };
type Refund = { kind: "refund"; paymentId: string; cents: number };
type LedgerEvent = Deposit | Refund;

// ANCHOR: example
type Handler = (event: LedgerEvent) => void;
const audit: string[] = [];

const onDeposit = (event: Deposit): void => {
    audit.push(event.account.toUpperCase()); // a Refund has no account: this would throw
};

export const handlers: Handler[] = [onDeposit];
// ANCHOR_END: example
