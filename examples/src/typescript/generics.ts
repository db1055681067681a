// Generics: functions written once for any element type, with constraints (`extends`) that say
// what they need of it, and type arguments inferred from the call. The ledger's orders go through
// `groupBy`, `sumBy`, `pick` and a cursor page, and each result keeps its precise type.
import { InputError, meaningfulLines } from "../ts_shared/input.js";

type Order = { id: string; customer: string; cents: number; status: "pending" | "paid" | "refunded" };

// ANCHOR: example
/** K is inferred from the callback: grouping by status gives a Map keyed by the three literals. */
function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
    const groups = new Map<K, T[]>();
    for (const item of items) {
        const key = keyOf(item);
        const group = groups.get(key);
        if (group === undefined) groups.set(key, [item]);
        else group.push(item);
    }
    return groups;
}

function sumBy<T>(items: readonly T[], value: (item: T) => number): number {
    return items.reduce((sum, item) => sum + value(item), 0);
}

/** `K extends keyof T`: only real keys compile, and the result is exactly `Pick<T, K>`. */
function pick<T extends object, K extends keyof T>(item: T, ...keys: K[]): Pick<T, K> {
    const out = {} as Pick<T, K>;
    for (const key of keys) out[key] = item[key];
    return out;
}

/** The constraint is what the body uses: an `id` to continue after. */
function page<T extends { id: string }>(items: readonly T[], limit: number, after?: string): { items: T[]; next: string | null } {
    const start = after === undefined ? 0 : items.findIndex((item) => item.id === after) + 1;
    const slice = items.slice(start, start + limit);
    const last = slice[slice.length - 1];
    return { items: slice, next: start + limit < items.length && last !== undefined ? last.id : null };
}

/** Never called: each marked line must fail to compile, or the build fails (TS2578). */
function doesNotCompile(o: Order): void {
    // @ts-expect-error "total" is not a key of Order.
    pick(o, "total");
    // @ts-expect-error a Pick has only the keys asked for.
    pick(o, "id").cents;
}
// ANCHOR_END: example

const STATUSES = ["pending", "paid", "refunded"] as const;

function parseOrder(text: string, line: number): Order {
    const [id, customer, cents, status, ...extra] = text.split(/\s+/);
    const amount = Number(cents);
    const known = STATUSES.find((s) => s === status);
    if (id === undefined || customer === undefined || known === undefined || extra.length > 0 || !Number.isSafeInteger(amount)) {
        throw new InputError(`expected ID CUSTOMER CENTS STATUS (status: ${STATUSES.join(", ")})`, line);
    }
    return { id, customer, cents: amount, status: known };
}

export function run(input: string): string {
    const orders: Order[] = [];
    const seen = new Set<string>();
    for (const { line, text } of meaningfulLines(input)) {
        const order = parseOrder(text, line);
        // The cursor continues after an id, so ids must be unique or paging never ends.
        if (seen.has(order.id)) throw new InputError(`order id ${order.id} appears twice: a cursor needs unique ids`, line);
        seen.add(order.id);
        orders.push(order);
    }
    let out = "";
    // ANCHOR: use
    const byStatus = groupBy(orders, (o) => o.status); // Map<"pending" | "paid" | "refunded", Order[]>
    for (const [status, group] of byStatus) out += `${status}: count ${group.length}, total ${sumBy(group, (o) => o.cents)} cents\n`;
    const byCustomer = groupBy(orders, (o) => o.customer); // Map<string, Order[]>
    for (const [customer, group] of byCustomer) out += `${customer}: ${JSON.stringify(group.map((o) => pick(o, "id", "cents")))}\n`;
    let cursor: string | undefined;
    do {
        const p = page(orders, 2, cursor);
        out += `page after ${cursor ?? "start"}: ${p.items.map((o) => o.id).join(", ")} (next: ${p.next ?? "none"})\n`;
        cursor = p.next ?? undefined;
    } while (cursor !== undefined);
    // ANCHOR_END: use
    return out;
}
