// The TypeScript twin of server.rs: the orders service as a real Node process. Configuration
// comes from process.env and is validated before anything else (exit status 78, one stderr line
// per problem); then the transport of ts/transport.ts is served over HTTP on 127.0.0.1 by
// node:http. Run by tests/structure.rs from the compiled JavaScript:
//   PORT=8080 DATABASE_URL=memory: node target/typescript-examples/structure/server.js [--ephemeral-port]
// This twin has the in-memory repository only (DATABASE_URL=memory:). Not an example: no page
// runs it in a browser.
import { Buffer } from "node:buffer";
import { createServer } from "node:http";
import process from "node:process";
import { loadConfig, mask } from "./config_ts.js";
import { MemoryRepo } from "./ts/memory.js";
import { OrderService } from "./ts/service.js";
import { contentType, errorChain, handle, type Response } from "./ts/transport.js";

/** EX_CONFIG from sysexits.h: the configuration is wrong, so restarting will not help. */
const EXIT_CONFIG = 78;

// ANCHOR: main
const env = new Map<string, string>();
for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env.set(key, value);
const loaded = loadConfig(env);
if (!loaded.ok) {
    const s = loaded.problems.length === 1 ? "" : "s";
    process.stderr.write(`refusing to start, ${loaded.problems.length} configuration problem${s}:\n`);
    for (const p of loaded.problems) process.stderr.write(`  ${p}\n`);
    process.exit(EXIT_CONFIG);
}
const config = loaded.config;
process.stderr.write(
    `config ok: PORT=${config.port} DATABASE_URL=${mask(config.databaseUrl)} LOG_LEVEL=${config.logLevel} ` +
        `REQUEST_TIMEOUT_MS=${config.requestTimeoutMs} MAX_ORDER_CENTS=${config.maxOrderCents}\n`,
);
if (config.databaseUrl !== "memory:") {
    process.stderr.write("DATABASE_URL: this example's TypeScript server has an adapter for memory: only\n");
    process.exit(EXIT_CONFIG);
}
// The composition root: the only place that knows which repository is in use.
const service = new OrderService(new MemoryRepo(), config.maxOrderCents);
// ANCHOR_END: main

const accessLog = config.logLevel === "info" || config.logLevel === "debug";
let nextId = 1;
const server = createServer((request, response) => {
    const id = `r${nextId++}`;
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => {
        body += chunk;
    });
    request.on("end", () => {
        const method = request.method ?? "";
        const path = request.url ?? "";
        let r: Response;
        try {
            r = handle(service, method, path, body.split("&").filter((f) => f !== ""), id);
        } catch (e) {
            // Not a RepoError (the transport rethrows those it does not own): a bug. Still a
            // 500 that reveals nothing, and the cause to the log.
            r = {
                status: 500,
                body: `{"type":"/problems/internal","title":"Internal error","status":500,"detail":"try again later","instance":"/requests/${id}"}`,
                log: `request ${id}: ${errorChain(e)}`,
            };
        }
        if (r.log !== undefined) process.stderr.write(`error ${r.log}\n`);
        if (accessLog) process.stderr.write(`${id} ${method} ${path} -> ${r.status}\n`);
        response.statusCode = r.status;
        response.setHeader("Content-Type", contentType(r));
        // Set here, not left to Node, which adds it only when it sends a body: a HEAD's answer
        // has the headers a GET's would have (RFC 9110 §9.3.2), and Node drops a HEAD's body.
        response.setHeader("Content-Length", String(Buffer.byteLength(r.body, "utf8")));
        if (r.allow !== undefined) response.setHeader("Allow", r.allow);
        response.end(r.body);
    });
});
server.requestTimeout = config.requestTimeoutMs;
server.on("error", (error) => {
    process.stderr.write(`cannot listen on 127.0.0.1:${config.port}: ${error.message}\n`);
    process.exit(1);
});
const ephemeral = process.argv.slice(2).includes("--ephemeral-port");
server.listen(ephemeral ? 0 : config.port, "127.0.0.1", () => {
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : config.port;
    process.stdout.write(`listening on 127.0.0.1:${port}\n`);
});
