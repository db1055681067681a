// The service layer: business rules, and the repository interface the rules need. It imports
// nothing from the transport or from any database: dependencies point inward, to here.

// ANCHOR: domain
export type Status = "placed" | "cancelled";
export type Order = { readonly id: string; readonly customer: string; readonly cents: number; status: Status };

/** What the service needs from storage, declared here, by the layer that uses it. */
export interface OrderRepo {
    /** Stores a new order and returns it with the id the store assigned. */
    insert(customer: string, cents: number): Order;
    get(id: string): Order | undefined;
    /** Cancels a placed order in one conditional write (`UPDATE … WHERE cancelled = 0`): the
     *  order if this call cancelled it, undefined if it was already cancelled or does not exist. */
    cancelIfPlaced(id: string): Order | undefined;
}

/** The store failed (connection lost, disk full): thrown, since no caller can handle it locally.
 *  The driver's error rides along as the standard `cause`, for the log. */
export class RepoError extends Error {
    override readonly name = "RepoError";
    constructor(operation: string, cause: unknown) {
        super(`storage failed: ${operation}`, { cause });
    }
}

/** Domain errors: a discriminated union in the business's words. No HTTP status in sight. */
export type OrderError =
    | { kind: "invalid-customer"; customer: string }
    | { kind: "empty" }
    | { kind: "over-limit"; cents: number; limit: number }
    | { kind: "not-found"; id: string }
    | { kind: "already-cancelled"; id: string };

export type Result<T> = { ok: true; value: T } | { ok: false; error: OrderError };

export function describe(e: OrderError): string {
    switch (e.kind) {
        case "invalid-customer":
            return `customer must be 1 to 40 letters, digits or -, got "${e.customer}"`;
        case "empty":
            return "an order must be at least 1 cent";
        case "over-limit":
            return `${e.cents} cents is over the limit of ${e.limit}`;
        case "not-found":
            return `no order ${e.id}`;
        case "already-cancelled":
            return `order ${e.id} is already cancelled`;
    }
}
// ANCHOR_END: domain

// ANCHOR: service
const fail = (error: OrderError): { ok: false; error: OrderError } => ({ ok: false, error });

export class OrderService {
    constructor(
        private readonly repo: OrderRepo,
        private readonly maxOrderCents: number,
    ) {}

    place(customer: string, cents: number): Result<Order> {
        if (!/^[A-Za-z0-9-]{1,40}$/.test(customer)) return fail({ kind: "invalid-customer", customer });
        if (cents === 0) return fail({ kind: "empty" });
        if (cents > this.maxOrderCents) return fail({ kind: "over-limit", cents, limit: this.maxOrderCents });
        return { ok: true, value: this.repo.insert(customer, cents) };
    }

    get(id: string): Result<Order> {
        const order = this.repo.get(id);
        return order === undefined ? fail({ kind: "not-found", id }) : { ok: true, value: order };
    }

    cancel(id: string): Result<Order> {
        // One conditional write, not read-check-write: of two cancels racing on two pooled
        // connections, exactly one changes the row, and the other lands below.
        const cancelled = this.repo.cancelIfPlaced(id);
        if (cancelled !== undefined) return { ok: true, value: cancelled };
        // Nothing changed. Orders are never deleted, so a row that exists now was cancelled.
        return this.repo.get(id) === undefined ? fail({ kind: "not-found", id }) : fail({ kind: "already-cancelled", id });
    }
}
// ANCHOR_END: service
