// Tests of the TypeScript twin that its examples' outputs do not show: the 500 path (a failing
// repository gives a 500 that reveals nothing and logs the cause; anything but a RepoError is
// rethrown), the service's rules, every status and header the transport sets, that a password
// never reaches the configuration's error output, and the async try/catch pitfall.
// tests/structure.rs runs `runChecks()` on Node and expects no "FAILED" line.
import { loadConfig, mask, run as runConfig } from "../config_ts.js";
import { placeAwaited, placeReturned } from "./async_pitfall.js";
import { MemoryRepo } from "./memory.js";
import { type Order, type OrderRepo, OrderService, RepoError } from "./service.js";
import { contentType, handle } from "./transport.js";

type Check = [name: string, body: () => void | Promise<void>];

function expect(condition: boolean, what: string): void {
    if (!condition) throw new Error(what);
}

/** A repository whose store is down: every call throws a RepoError with the driver's error as its cause. */
class DownRepo implements OrderRepo {
    private fail(operation: string): never {
        throw new RepoError(operation, new Error("connection refused (db.internal:5432)"));
    }
    insert(): Order {
        return this.fail("insert");
    }
    get(id: string): Order | undefined {
        return this.fail(`get ${id}`);
    }
    cancelIfPlaced(id: string): Order | undefined {
        return this.fail(`cancel ${id}`);
    }
}

/** A repository with a bug: it throws a TypeError, which is not a storage failure. */
class BuggyRepo extends MemoryRepo {
    override get(): Order | undefined {
        throw new TypeError("cannot read properties of undefined (reading 'status')");
    }
}

const request = (s: OrderService, line: string, id = "r1") => {
    const [method = "", path = "", ...fields] = line.split(" ");
    return handle(s, method, path, fields, id);
};

const CHECKS: Check[] = [
    [
        "a storage failure is a 500 that hides the cause and logs it",
        () => {
            const r = request(new OrderService(new DownRepo(), 1000), "POST /orders customer=acme cents=5", "r7");
            expect(r.status === 500 && contentType(r) === "application/problem+json", `status ${r.status}`);
            expect(!r.body.includes("db.internal") && !r.body.includes("refused"), `body leaks: ${r.body}`);
            expect(r.body.includes('"instance":"/requests/r7"'), `no instance: ${r.body}`);
            const log = "request r7: storage failed: insert: connection refused (db.internal:5432)";
            expect(r.log === log, `log: ${r.log}`);
            for (const line of ["GET /orders/ord_1", "POST /orders/ord_1/cancel"]) {
                expect(request(new OrderService(new DownRepo(), 1000), line).status === 500, line);
            }
        },
    ],
    [
        "an error that is not a RepoError is rethrown, not turned into a 500",
        () => {
            let thrown: unknown;
            try {
                request(new OrderService(new BuggyRepo(), 1000), "GET /orders/ord_1");
            } catch (e) {
                thrown = e;
            }
            expect(thrown instanceof TypeError, `threw ${String(thrown)}`);
        },
    ],
    [
        "the service's rules, without any HTTP",
        () => {
            const s = new OrderService(new MemoryRepo(), 1000);
            const kind = (r: ReturnType<OrderService["place"]>) => (r.ok ? "ok" : r.error.kind);
            expect(kind(s.place("acme", 1001)) === "over-limit", "over the limit");
            expect(kind(s.place("acme", 0)) === "empty", "empty");
            expect(kind(s.place("a b", 5)) === "invalid-customer", "a space in a name");
            expect(kind(s.place("x".repeat(41), 5)) === "invalid-customer", "41 letters");
            const placed = s.place("acme", 1000);
            expect(placed.ok, "the limit itself is allowed");
            expect(kind(s.cancel("ord_1")) === "ok", "the first cancel");
            expect(kind(s.cancel("ord_1")) === "already-cancelled", "the second cancel");
            expect(kind(s.cancel("ord_404")) === "not-found", "a missing order");
            expect(kind(s.get("ord_01")) === "not-found", "a look-alike id");
        },
    ],
    [
        "each outcome maps to its status, HEAD is answered like GET, and a 405 says what is allowed",
        () => {
            const s = new OrderService(new MemoryRepo(), 1000);
            const cases: [string, number, string | undefined][] = [
                ["POST /orders customer=acme cents=5", 201, undefined],
                ["POST /orders customer=acme cents=5000", 422, undefined],
                ["POST /orders customer=acme", 400, undefined],
                ["GET /orders/ord_7", 404, undefined],
                ["POST /orders/ord_1/cancel", 200, undefined],
                ["POST /orders/ord_1/cancel", 409, undefined],
                ["HEAD /orders/ord_1", 200, undefined],
                ["DELETE /orders/ord_1", 405, "GET, HEAD"],
                ["GET /orders", 405, "POST"],
                ["HEAD /orders", 405, "POST"],
                ["GET /orders/ord_1/cancel", 405, "POST"],
                ["PUT /customers", 404, undefined],
            ];
            for (const [line, status, allow] of cases) {
                const r = request(s, line);
                expect(r.status === status && r.allow === allow && r.log === undefined, `${line}: ${r.status} ${r.allow}`);
                expect(contentType(r) === (status < 400 ? "application/json" : "application/problem+json"), line);
            }
        },
    ],
    [
        "a password never reaches the configuration's output",
        () => {
            const urls = [
                "mysql://orders:s3cret@db.internal/orders",
                "orders:s3cret@db.internal/orders",
                "//orders:s3cret@db.internal/orders",
                "s3cret",
                "postgres//orders:s3cret@db",
                "postgres://orders:s3cret@db.internal:5432/orders",
                // libpq takes the password from the query string too.
                "postgresql://db/orders?password=s3cret",
                "postgresql://orders@db/orders?sslmode=require&sslpassword=s3cret&password=s3cret#x",
                // An `@` inside the password: the userinfo ends at the last `@`.
                "postgres://orders:s3@cret@db.internal/orders",
                "postgres://orders:s3cret@@db.internal/orders",
            ];
            let input = "";
            for (const url of urls) {
                input += `PORT=8080\nDATABASE_URL=${url}\n---\nPORT=x\nLOG_LEVEL=loud\nDATABASE_URL=${url}\n---\n`;
                const loaded = loadConfig(new Map([["PORT", "x"], ["DATABASE_URL", url]]));
                expect(!loaded.ok && loaded.problems.every((p) => !p.includes("s3cret")), url);
            }
            const out = runConfig(input);
            expect(!out.includes("s3cret") && !out.includes("cret"), out);
            expect(out.includes('got "mysql:…"') && out.includes("got a value with no scheme"), out);
            expect(out.includes("DATABASE_URL=postgres://orders:*****@db.internal:5432/orders"), out);
            const masked: [string, string][] = [
                ["postgres://u:pw@h/db", "postgres://u:*****@h/db"],
                ["postgres://u@h/db", "postgres://u@h/db"],
                ["sqlite:orders.db", "sqlite:orders.db"],
                ["postgres://u:p@ss@db", "postgres://u:*****@db"],
                ["postgresql://db/orders?password=s3cret", "postgresql://db/orders?password=*****"],
                [
                    "postgresql://u@db:5432/o?sslmode=require&sslpassword=x&application_name=a#f",
                    "postgresql://u@db:5432/o?sslmode=require&sslpassword=*****&application_name=a#f",
                ],
                ["postgres://db/o?passwords=x&password", "postgres://db/o?passwords=x&password"],
            ];
            for (const [url, want] of masked) expect(mask(url) === want, `mask(${url}) = ${mask(url)}`);
        },
    ],
    [
        "a returned promise escapes the try/catch; an awaited one does not",
        async () => {
            const down = { insert: () => Promise.reject(new RepoError("insert", new Error("connection refused"))) };
            let escaped: unknown;
            await placeReturned(down, "acme", 5).catch((e: unknown) => {
                escaped = e;
            });
            expect(escaped instanceof RepoError, "the rejection reached the caller");
            const caught = await placeAwaited(down, "acme", 5);
            expect(caught.status === 500, `awaited: ${caught.status}`);
        },
    ],
];

/** Every check: `ok NAME` or `FAILED NAME: why`, one line each. */
export async function runChecks(): Promise<string> {
    let out = "";
    for (const [name, body] of CHECKS) {
        try {
            await body();
            out += `ok ${name}\n`;
        } catch (e) {
            out += `FAILED ${name}: ${e instanceof Error ? e.message : String(e)}\n`;
        }
    }
    return out;
}
