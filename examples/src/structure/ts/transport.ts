// The transport layer: parses a request line, calls the service, and maps its result to an HTTP
// status and body: domain errors to RFC 9457 problem details, storage failures to a 500 that says
// nothing about the inside. It knows HTTP; the service does not.
import { describe, type Order, type OrderError, OrderService, RepoError, type Result } from "./service.js";

export type Response = { status: number; body: string };

// ANCHOR: transport
export function handle(service: OrderService, request: string): Response {
    const parts = request.split(/\s+/).filter((p) => p !== "");
    const path = parts[1]?.split("/").slice(1) ?? [];
    const route = `${parts[0] ?? ""} ${path.map((p, i) => (i === 1 && path[0] === "orders" ? ":id" : p)).join("/")}`;
    const id = path[1] ?? "";
    let result: Result<Order>;
    let created = false;
    try {
        if (route === "POST orders") {
            const body = parseBody(parts.slice(2));
            if (typeof body === "string") return problem(400, "bad-request", "Malformed request", body);
            result = service.place(body.customer, body.cents);
            created = true;
        } else if (route === "GET orders/:id") {
            result = service.get(id);
        } else if (route === "POST orders/:id/cancel") {
            result = service.cancel(id);
        } else {
            return problem(404, "no-route", "No such route", `no route for "${request}"`);
        }
    } catch (e) {
        // Logged with its cause on the server; the client learns only that it was not its fault.
        if (e instanceof RepoError) return problem(500, "internal", "Internal error", "try again later");
        throw e;
    }
    if (!result.ok) return errorResponse(result.error);
    return { status: created ? 201 : 200, body: orderJson(result.value) };
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
