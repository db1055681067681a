// A data-access module: two queries built from values, one with parameters.
interface Db {
    query(sql: string, params?: unknown[]): Promise<unknown[]>;
}

export async function findOrders(db: Db, customer: string, status: string): Promise<unknown[]> {
    const byCustomer = await db.query("SELECT * FROM orders WHERE customer = '" + customer + "'");
    const byStatus = await db.query(`SELECT * FROM orders WHERE status = '${status}'`);
    const safe = await db.query("SELECT * FROM orders WHERE customer = $1 AND status = $2", [customer, status]);
    return [...byCustomer, ...byStatus, ...safe];
}
