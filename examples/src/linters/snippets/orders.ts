// A request handler as it might look before review. It compiles under `strict` with tsc 7:
// every finding ESLint reports here is something the type checker accepts.
interface Order {
    id: string;
    customer: string;
    cents: number;
}

declare function send(status: number, body: unknown): void;
declare function insertRow(table: string, row: Order): Promise<void>;
declare function onMessage(topic: string, listener: (order: Order) => void): void;

async function saveOrder(order: Order): Promise<void> {
    await insertRow("orders", order);
}

export async function createOrder(body: any): Promise<void> {
    let order: Order = { id: body.id, customer: body.customer, cents: body.cents };
    if (order.cents == 0) {
        send(422, { error: "empty order" });
        return;
    }
    saveOrder(order);
    send(201, order);
}

export function retryAll(orders: Order[]): void {
    orders.forEach(async (order) => {
        await saveOrder(order);
    });
    onMessage("orders.retry", async (order) => {
        await saveOrder(order);
    });
}

export async function importBatch(orders: Order[]): Promise<number> {
    let saved = 0;
    for (const order of orders) {
        await saveOrder(order);
        saved++;
    }
    void saveOrder(orders[0]!);
    return saved;
}
