// The in-memory repository: a real implementation of the interface (not a mock), used by the
// example and by a developer running the service without a database.
import type { Order, OrderRepo } from "./service.js";

// ANCHOR: memory
export class MemoryRepo implements OrderRepo {
    private readonly orders = new Map<string, Order>();
    private nextId = 0;

    insert(customer: string, cents: number): Order {
        this.nextId += 1;
        const order: Order = { id: `ord_${this.nextId}`, customer, cents, status: "placed" };
        this.orders.set(order.id, { ...order });
        return order;
    }

    get(id: string): Order | undefined {
        const order = this.orders.get(id);
        return order === undefined ? undefined : { ...order };
    }

    cancelIfPlaced(id: string): Order | undefined {
        const order = this.orders.get(id);
        if (order === undefined || order.status !== "placed") return undefined;
        order.status = "cancelled";
        return { ...order };
    }
}
// ANCHOR_END: memory
