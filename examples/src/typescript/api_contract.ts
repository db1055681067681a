// Typing an API end to end: one contract object, imported by client and server alike, names each
// route's method, path and the schemas of its request and response. The server's handlers and
// the client's `call` take their types from it (mapped and indexed access types), and both sides
// check at run time what crosses the wire with the same schemas (./validate.ts).
import { InputError, meaningfulLines } from "../ts_shared/input.js";
import { CreatePayment, type Infer, type Schema, integer, object, oneOf, optional, parse, string } from "./validate.js";

// ANCHOR: contract
// contract.ts: a module that the server and the client both import.
export const Payment = object({
    id: string(),
    account: string(),
    amountCents: integer(),
    currency: oneOf("EUR", "USD", "GBP"),
    status: oneOf("pending", "settled"),
    note: optional(string()),
});
export type Payment = Infer<typeof Payment>;

type Route = { method: "GET" | "POST"; path: string; request: Schema<unknown>; response: Schema<unknown> };

export const api = {
    createPayment: { method: "POST", path: "/payments", request: CreatePayment, response: Payment },
    getPayment: { method: "GET", path: "/payments/:id", request: object({ id: string() }), response: Payment },
} as const satisfies Record<string, Route>;

type Api = typeof api;
export type RequestOf<K extends keyof Api> = Infer<Api[K]["request"]>;
export type ResponseOf<K extends keyof Api> = Infer<Api[K]["response"]>;
export type Reply<T> = { status: 200 | 201; body: T } | { status: 400 | 404; error: string };
// ANCHOR_END: contract

// ANCHOR: example
/** Declaration merging: the core declares the context… */
interface RequestContext {
    requestId: string;
}
/** …and an auth middleware adds to it (Express users do this to `Request` with `declare global`). */
interface RequestContext {
    caller: string;
}

/** A mapped type: one handler per route, typed from the contract. Forget one and it fails to compile. */
type Handlers = { [K in keyof Api]: (request: RequestOf<K>, ctx: RequestContext) => Reply<ResponseOf<K>> };

function paymentHandlers(store: Map<string, Payment>): Handlers {
    return {
        createPayment(request, ctx) {
            const payment: Payment = { ...request, id: `pay_${store.size + 1}`, status: "pending" };
            store.set(payment.id, payment);
            return { status: 201, body: { ...payment, note: payment.note ?? `created by ${ctx.caller}` } };
        },
        getPayment({ id }) {
            const payment = store.get(id);
            return payment === undefined ? { status: 404, error: `no payment ${id}` } : { status: 200, body: payment };
        },
    };
}

/** Never called: a server that forgets a route must not compile, or the build fails (TS2578). */
function missingRoute(store: Map<string, Payment>): Handlers {
    // @ts-expect-error Property 'getPayment' is missing.
    return { createPayment: paymentHandlers(store).createPayment };
}

type Wire = { method: string; path: string; body: string };
type WireReply = { status: number; body: string };

function dispatch<K extends keyof Api>(name: K, raw: unknown, handlers: Handlers, ctx: RequestContext): WireReply {
    const schema: Schema<unknown> = api[name].request;
    const checked = parse(schema, raw);
    if (!checked.ok) return { status: 400, body: JSON.stringify({ error: checked.issues.map((i) => `${i.path}: ${i.message}`).join("; ") }) };
    // The schema has just checked the value; TypeScript cannot follow `name` through the lookup.
    const reply = handlers[name](checked.value as RequestOf<K>, ctx);
    return { status: reply.status, body: JSON.stringify("body" in reply ? reply.body : { error: reply.error }) };
}

function serve(handlers: Handlers): (request: Wire) => WireReply {
    let served = 0;
    return ({ method, path, body }) => {
        served += 1;
        const ctx: RequestContext = { requestId: `req_${served}`, caller: "svc_checkout" };
        const byId = /^\/payments\/([^/]+)$/.exec(path);
        if (method === "GET" && byId?.[1] !== undefined) return dispatch("getPayment", { id: byId[1] }, handlers, ctx);
        if (method === "POST" && path === "/payments") {
            let json: unknown;
            try {
                json = JSON.parse(body);
            } catch {
                return { status: 400, body: JSON.stringify({ error: "body is not JSON" }) };
            }
            return dispatch("createPayment", json, handlers, ctx);
        }
        return { status: 404, body: JSON.stringify({ error: `no route ${method} ${path}` }) };
    };
}
// ANCHOR_END: example

// ANCHOR: client
/** The client: `call("getPayment", { id })` is checked against the contract at compile time,
 * and the reply is checked against the response schema at run time (the server may be older). */
function client(send: (request: Wire) => WireReply) {
    return {
        call<K extends keyof Api>(name: K, request: RequestOf<K>): Reply<ResponseOf<K>> {
            const route: Route = api[name];
            const path = route.path.replace(":id", "id" in request ? request.id : "");
            const reply = send({ method: route.method, path, body: route.method === "POST" ? JSON.stringify(request) : "" });
            const json: unknown = JSON.parse(reply.body);
            if (reply.status === 400 || reply.status === 404) return { status: reply.status, error: String((json as { error?: unknown }).error) };
            const checked = parse(route.response, json);
            if (!checked.ok) throw new Error(`contract broken by the server: ${checked.issues[0]?.path ?? ""}`);
            return { status: reply.status === 201 ? 201 : 200, body: checked.value as ResponseOf<K> };
        },
    };
}
// ANCHOR_END: client

export function run(input: string): string {
    const send = serve(paymentHandlers(new Map()));
    let out = "";
    for (const { line, text } of meaningfulLines(input)) {
        const match = /^([A-Z]+)\s+(\S+)\s*(.*)$/.exec(text);
        if (match === null) throw new InputError("expected METHOD PATH [JSON body], e.g. GET /payments/pay_1", line);
        const [, method = "", path = "", body = ""] = match;
        const reply = send({ method, path, body });
        out += `${method} ${path} -> ${reply.status} ${reply.body}\n`;
    }
    // ANCHOR: client_use
    const payments = client(send);
    const created = payments.call("createPayment", { account: "acc_9", amountCents: 500, currency: "GBP" });
    if (created.status === 201) {
        const fetched = payments.call("getPayment", { id: created.body.id });
        out += `client: created ${created.body.id}, fetched status ${"error" in fetched ? fetched.error : fetched.body.status}\n`;
    }
    // Never called: a request that is not the contract's must not compile, or the build fails (TS2578).
    const doesNotCompile = () => {
        // @ts-expect-error the contract's getPayment takes `id`, not `paymentId`.
        payments.call("getPayment", { paymentId: "pay_1" });
        // @ts-expect-error amountCents is a number in the contract.
        payments.call("createPayment", { account: "acc_9", amountCents: "500", currency: "GBP" });
    };
    // ANCHOR_END: client_use
    return out;
}
