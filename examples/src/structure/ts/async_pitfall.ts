// The same seam, async: with a real database every repository call returns a Promise, and a
// try/catch around it catches the rejection only if the promise is awaited inside the `try`.
// ts/checks.ts runs both functions below on a repository that rejects.
import { type Order, RepoError } from "./service.js";

export interface AsyncOrderRepo {
    insert(customer: string, cents: number): Promise<Order>;
}

export type Outcome = { status: number; body: string };

const created = (order: Order): Outcome => ({ status: 201, body: JSON.stringify(order) });
const internal = (): Outcome => ({ status: 500, body: '{"type":"/problems/internal","status":500}' });

// ANCHOR: async
/** Wrong: the promise is returned, not awaited. The function leaves the `try` before the
 *  promise rejects, so the `catch` never runs and the caller gets the raw RepoError. */
export async function placeReturned(repo: AsyncOrderRepo, customer: string, cents: number): Promise<Outcome> {
    try {
        return repo.insert(customer, cents).then(created);
    } catch (e) {
        if (e instanceof RepoError) return internal();
        throw e;
    }
}

/** Right: `await` settles the promise inside the `try`, so its rejection lands in the `catch`. */
export async function placeAwaited(repo: AsyncOrderRepo, customer: string, cents: number): Promise<Outcome> {
    try {
        return created(await repo.insert(customer, cents));
    } catch (e) {
        if (e instanceof RepoError) return internal();
        throw e;
    }
}
// ANCHOR_END: async
