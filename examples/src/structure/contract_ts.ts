// A contract test for OrderRepo, in TypeScript: one list of checks that every implementation
// must pass, run here against the in-memory repository and against two plausible "fast" fakes
// with a bug each. A fake that passes the contract can stand in for the database in service
// tests; one that fails it would make those tests lie. Each input line names a repository.
import { InputError, meaningfulLines } from "../ts_shared/input.js";
import { MemoryRepo } from "./ts/memory.js";
import type { Order, OrderRepo } from "./ts/service.js";

// ANCHOR: example
type Check = { name: string; run: (repo: OrderRepo) => boolean };

/** What every OrderRepo promises, whatever stores the rows. */
export const CONTRACT: Check[] = [
    { name: "ids are unique", run: (r) => r.insert("acme", 100).id !== r.insert("acme", 200).id },
    {
        name: "what was inserted comes back",
        run: (r) => {
            const o = r.insert("acme", 100);
            return JSON.stringify(r.get(o.id)) === JSON.stringify(o);
        },
    },
    { name: "a missing id is undefined, not an error", run: (r) => r.get("ord_missing") === undefined },
    {
        name: "a returned order is a copy",
        run: (r) => {
            const o = r.insert("acme", 100);
            o.status = "cancelled";
            return r.get(o.id)?.status === "placed";
        },
    },
    {
        name: "a look-alike id is not found",
        run: (r) => {
            r.insert("acme", 100); // ord_1 exists; these are other strings, not other spellings of it
            return ["ord_01", "ord_+1", "ord_1 ", "ORD_1"].every((id) => r.get(id) === undefined && r.cancelIfPlaced(id) === undefined);
        },
    },
    {
        name: "cancel changes that order only",
        run: (r) => {
            const [a, b] = [r.insert("acme", 1), r.insert("acme", 2)];
            return (
                r.cancelIfPlaced(a.id)?.status === "cancelled" &&
                r.get(a.id)?.status === "cancelled" &&
                r.get(b.id)?.status === "placed"
            );
        },
    },
    {
        name: "a second cancel, or a missing id, changes nothing",
        run: (r) => {
            const a = r.insert("acme", 1);
            r.cancelIfPlaced(a.id);
            return r.cancelIfPlaced(a.id) === undefined && r.cancelIfPlaced("ord_missing") === undefined;
        },
    },
];

export function runContract(make: () => OrderRepo): string[] {
    return CONTRACT.map((check) => {
        let verdict: string;
        try {
            verdict = check.run(make()) ? "ok" : "FAILED";
        } catch (e) {
            verdict = `FAILED (threw ${e instanceof Error ? e.name : "a non-Error"})`;
        }
        return `  ${check.name}: ${verdict}`;
    });
}
// ANCHOR_END: example

/** A fake written in a hurry: it hands out its stored objects, so callers can change them. */
class SharingRepo implements OrderRepo {
    private readonly orders = new Map<string, Order>();
    insert(customer: string, cents: number): Order {
        const order: Order = { id: `ord_${this.orders.size + 1}`, customer, cents, status: "placed" };
        this.orders.set(order.id, order);
        return order;
    }
    get(id: string): Order | undefined {
        return this.orders.get(id);
    }
    cancelIfPlaced(id: string): Order | undefined {
        const order = this.orders.get(id);
        if (order === undefined || order.status !== "placed") return undefined;
        order.status = "cancelled";
        return order;
    }
}

/** A fake that mimics an ORM's `findOrFail`: a missing row throws instead of returning undefined. */
class ThrowingRepo extends MemoryRepo {
    override get(id: string): Order | undefined {
        const order = super.get(id);
        if (order === undefined) throw new Error(`not found: ${id}`);
        return order;
    }
}

const REPOS: Record<string, () => OrderRepo> = {
    memory: () => new MemoryRepo(),
    sharing: () => new SharingRepo(),
    throwing: () => new ThrowingRepo(),
};

export function run(input: string): string {
    let out = "";
    for (const { line, text } of meaningfulLines(input)) {
        const make = REPOS[text];
        if (make === undefined) throw new InputError(`unknown repository "${text}" (memory, sharing, throwing)`, line);
        const results = runContract(make);
        const failed = results.filter((r) => r.includes("FAILED")).length;
        out += `${text}: ${failed === 0 ? "keeps the contract" : `breaks ${failed} of ${CONTRACT.length} checks`}\n`;
        out += `${results.join("\n")}\n`;
    }
    return out;
}
