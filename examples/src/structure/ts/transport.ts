// The transport layer: routes a request (method, path, body fields), calls the service, and
// maps its result to an HTTP status and body: domain errors to RFC 9457 problem details, storage
// failures to a 500 that says nothing about the inside. It knows HTTP; the service does not.
import { describe, type Order, type OrderError, OrderService, RepoError, type Result } from "./service.js";

/** What the client sees (a status, an `Allow` header on a 405, a JSON body) and what only the
 *  server's log sees (the cause of a 500). */
export type Response = { status: number; body: string; allow?: string; log?: string };

/** Errors are RFC 9457 problem documents, which have a media type of their own. */
export function contentType(r: Response): string {
    return r.status >= 400 ? "application/problem+json" : "application/json";
}

// ANCHOR: transport
/** One request: its method, its path, its body's `key=value` fields, and the id the server gave it. */
export function handle(service: OrderService, method: string, path: string, fields: string[], requestId: string): Response {
    const segments = path.startsWith("/") ? path.slice(1).split("/") : [];
    const [first, id, last] = segments;
    // Route first, then method: a known path with the wrong method is 405 with `Allow`, not 404.
    let route: "place" | "get" | "cancel";
    if (first === "orders" && segments.length === 1) route = "place";
    else if (first === "orders" && id !== undefined && segments.length === 2) route = "get";
    else if (first === "orders" && id !== undefined && last === "cancel" && segments.length === 3) route = "cancel";
    else return problem(404, "no-route", "No such route", `no route for "${path}"`);
    // HEAD is answered wherever GET is (RFC 9110 §9.1): the same response, which the server
    // sends without its body.
    const allow = route === "get" ? "GET, HEAD" : "POST";
    if (!allow.split(", ").includes(method)) {
        const detail = `${method} is not allowed on ${path}; allowed: ${allow}`;
        return { ...problem(405, "method-not-allowed", "Method not allowed", detail), allow };
    }
    let result: Result<Order>;
    try {
        if (route === "place") {
            const body = parseBody(fields);
            if (typeof body === "string") return problem(400, "bad-request", "Malformed request", body);
            result = service.place(body.customer, body.cents);
        } else if (route === "get") {
            result = service.get(id ?? "");
        } else {
            result = service.cancel(id ?? "");
        }
    } catch (e) {
        // The client learns that it was not its fault and which request it was; the log gets
        // the cause, under the same id. Anything but a RepoError is a bug: rethrown, not disguised.
        if (!(e instanceof RepoError)) throw e;
        const body =
            `{"type":"/problems/internal","title":"Internal error","status":500,` +
            `"detail":"try again later","instance":"/requests/${requestId}"}`;
        return { status: 500, body, log: `request ${requestId}: ${errorChain(e)}` };
    }
    if (!result.ok) return errorResponse(result.error);
    return { status: route === "place" ? 201 : 200, body: orderJson(result.value) };
}

/** The one place where domain errors become HTTP; a new `kind` left unmapped fails to compile. */
function errorResponse(error: OrderError): Response {
    switch (error.kind) {
        case "invalid-customer":
        case "empty":
            return problem(422, "invalid-order", "Invalid order", describe(error));
        case "over-limit":
            return problem(422, "over-limit", "Order over the limit", describe(error));
        case "not-found":
            return problem(404, "not-found", "No such order", describe(error));
        case "already-cancelled":
            return problem(409, "already-cancelled", "Order already cancelled", describe(error));
        default:
            return assertNever(error);
    }
}

function assertNever(value: never): never {
    throw new Error(`unmapped error ${JSON.stringify(value)}`);
}
// ANCHOR_END: transport

/** An error and its `cause`s, joined by ": ", as a log line prints them. */
export function errorChain(error: unknown): string {
    let text = error instanceof Error ? error.message : String(error);
    let next = error instanceof Error ? error.cause : undefined;
    while (next !== undefined) {
        text += `: ${next instanceof Error ? next.message : String(next)}`;
        next = next instanceof Error ? next.cause : undefined;
    }
    return text;
}

/** `customer=acme cents=1999` into its two fields, or what is wrong with it. */
function parseBody(fields: string[]): { customer: string; cents: number } | string {
    let customer: string | undefined;
    let cents: number | undefined;
    for (const field of fields) {
        const eq = field.indexOf("=");
        const [key, value] = eq < 0 ? [field, ""] : [field.slice(0, eq), field.slice(eq + 1)];
        if (eq >= 0 && key === "customer") customer = value;
        else if (eq >= 0 && key === "cents") {
            if (!/^[0-9]+$/.test(value) || Number(value) > 4_294_967_295) {
                return `cents must be a whole number, got "${value}"`;
            }
            cents = Number(value);
        } else return `unexpected field "${field}"`;
    }
    if (customer === undefined) return "customer is missing";
    if (cents === undefined) return "cents is missing";
    return { customer, cents };
}

function problem(status: number, kind: string, title: string, detail: string): Response {
    const body = `{"type":"/problems/${kind}","title":"${title}","status":${status},"detail":${jsonString(detail)}}`;
    return { status, body };
}

function orderJson(o: Order): string {
    return `{"id":${jsonString(o.id)},"customer":${jsonString(o.customer)},"cents":${o.cents},"status":"${o.status}"}`;
}

/** A JSON string literal: quotes, backslashes and control characters escaped, as in the Rust twin. */
export function jsonString(s: string): string {
    let out = '"';
    for (const c of s) {
        const code = c.codePointAt(0) ?? 0;
        if (c === '"') out += '\\"';
        else if (c === "\\") out += "\\\\";
        else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, "0")}`;
        else out += c;
    }
    return `${out}"`;
}
