// Where `strict` TypeScript is knowingly unsound about variance. Arrays are covariant (a
// `Deposit[]` is accepted as a `LedgerEvent[]`, and pushing a refund into it compiles), and
// methods keep bivariant parameters even under `strictFunctionTypes`, so an object literal, a
// class that implements an interface and a subclass override may all accept less than the type
// promises. Each hole below compiles; the run shows what it does with a refund. The lines marked
// `@ts-expect-error` are the same code written with function-typed properties: those are checked.
import { InputError, meaningfulLines } from "../ts_shared/input.js";

type Deposit = { kind: "deposit"; account: string; cents: number };
type Refund = { kind: "refund"; paymentId: string; cents: number };
type LedgerEvent = Deposit | Refund;

// ANCHOR: example
const onDeposit = (event: Deposit): string => event.account.toUpperCase();

// 1. Arrays are covariant: reading is safe, writing through the wider view is not.
function arrayHole(events: readonly LedgerEvent[]): string[] {
    const deposits: Deposit[] = [];
    const all: LedgerEvent[] = deposits; // compiles: Deposit[] is a LedgerEvent[]
    for (const event of events) all.push(event); // a Refund now sits in `deposits`
    return deposits.map(onDeposit);
}

// 2. Method syntax: parameters stay bivariant, so the narrow handler is accepted.
interface MethodBus {
    handle(event: LedgerEvent): string;
}
function methodHole(events: readonly LedgerEvent[]): string[] {
    const bus: MethodBus = { handle: onDeposit }; // compiles
    return events.map((event) => bus.handle(event));
}

// 3. A class may implement or override a method with a narrower parameter.
class AuditLog {
    record(event: LedgerEvent): string {
        return `${event.kind} ${event.cents}`;
    }
}
class DepositLog extends AuditLog {
    override record(event: Deposit): string {
        return onDeposit(event); // compiles: the override's parameter is narrower
    }
}
function overrideHole(events: readonly LedgerEvent[]): string[] {
    const log: AuditLog = new DepositLog();
    return events.map((event) => log.record(event));
}

/** Never called: with a function-typed property the same code is rejected, or the build fails (TS2578). */
function checkedVersion(): void {
    interface PropertyBus {
        handle: (event: LedgerEvent) => string;
    }
    // @ts-expect-error Type '(event: Deposit) => string' is not assignable to type '(event: LedgerEvent) => string'.
    const bus: PropertyBus = { handle: onDeposit };
    const deposits: Deposit[] = [];
    const view: readonly LedgerEvent[] = deposits; // the safe wider view: it cannot be written through
    // @ts-expect-error Property 'push' does not exist on type 'readonly LedgerEvent[]'.
    view.push({ kind: "refund", paymentId: "pay_1", cents: 1 });
    void bus;
}
// ANCHOR_END: example

function parse(text: string, line: number): LedgerEvent {
    const [kind, id, cents, ...extra] = text.split(/\s+/);
    const amount = Number(cents);
    if (id === undefined || extra.length > 0 || !Number.isSafeInteger(amount) || amount <= 0) {
        throw new InputError("expected deposit ACCOUNT CENTS or refund PAYMENT CENTS", line);
    }
    if (kind === "deposit") return { kind, account: id, cents: amount };
    if (kind === "refund") return { kind, paymentId: id, cents: amount };
    throw new InputError(`unknown kind ${kind ?? ""}: deposit or refund`, line);
}

/** Runs one hole; a TypeError's message differs between JavaScript engines, so only its name is shown. */
function attempt(name: string, hole: () => string[]): string {
    try {
        return `${name}: compiles, and returned ${JSON.stringify(hole())}\n`;
    } catch (err) {
        const what = err instanceof Error ? err.name : typeof err;
        return `${name}: compiles, and threw ${what} at run time\n`;
    }
}

export function run(input: string): string {
    const events = meaningfulLines(input).map(({ line, text }) => parse(text, line));
    const refunds = events.filter((e) => e.kind === "refund").length;
    return (
        `${events.length} events, ${refunds} of them refunds\n` +
        attempt("1. covariant array", () => arrayHole(events)) +
        attempt("2. method-syntax bus", () => methodHole(events)) +
        attempt("3. narrower override", () => overrideHole(events))
    );
}
