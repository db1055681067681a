// The composition root of the TypeScript twin of orders/ (Rust): the one place that picks the
// repository and wires the layers. Same input, same output as `structure::orders`.
import { InputError } from "../ts_shared/input.js";
import { MemoryRepo } from "./ts/memory.js";
import { OrderService } from "./ts/service.js";
import { handle } from "./ts/transport.js";

// ANCHOR: example
export function run(input: string): string {
    let limit = 100_000;
    const lines: string[] = [];
    input.split("\n").forEach((raw, index) => {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) return;
        const eq = line.indexOf("=");
        if (eq >= 0 && line.slice(0, eq).trim() === "max_order_cents") {
            const v = line.slice(eq + 1).trim();
            if (!/^[0-9]{1,9}$/.test(v) || Number(v) === 0) {
                throw new InputError("max_order_cents must be a whole number above 0", index + 1);
            }
            limit = Number(v);
        } else lines.push(line);
    });
    // The composition root: the only code that knows which repository is in use.
    const service = new OrderService(new MemoryRepo(), limit);
    let out = "";
    lines.forEach((line, n) => {
        // A request line: METHOD /path key=value ... (the body's fields).
        const [method = "", path = "", ...fields] = line.split(/\s+/).filter((p) => p !== "");
        const r = handle(service, method, path, fields, `r${n + 1}`);
        const allow = r.allow === undefined ? "" : `(Allow: ${r.allow}) `;
        // A server sends a HEAD's status and headers, never its body.
        const body = method === "HEAD" ? "(no body: HEAD)" : r.body;
        out += `${line}\n  → ${r.status} ${allow}${body}\n`;
    });
    return out;
}
// ANCHOR_END: example
