// The little of Node's API that the chapter's TypeScript server (server.ts) uses. The examples
// compile without @types/node (tsconfig.json: `"types": []`, every other example is a pure
// function that also runs in the browser), so the one program that Node runs as a process
// declares what it calls. The shapes follow Node's documentation of node:http, node:process and
// node:buffer.

declare module "node:http" {
    export interface IncomingMessage {
        readonly method?: string;
        readonly url?: string;
        setEncoding(encoding: "utf8"): this;
        on(event: "data", listener: (chunk: string) => void): this;
        on(event: "end", listener: () => void): this;
        on(event: "error", listener: (error: Error) => void): this;
    }
    export interface ServerResponse {
        statusCode: number;
        setHeader(name: string, value: string): this;
        /** Sends the body, unless the request was a HEAD (Node then drops it). */
        end(body: string): this;
    }
    export interface AddressInfo {
        readonly address: string;
        readonly port: number;
    }
    export interface Server {
        /** Milliseconds to receive a whole request (Node's default is 300000). */
        requestTimeout: number;
        listen(port: number, host: string, callback: () => void): this;
        address(): AddressInfo | string | null;
        on(event: "error", listener: (error: Error) => void): this;
    }
    export function createServer(handler: (request: IncomingMessage, response: ServerResponse) => void): Server;
}

declare module "node:process" {
    interface Process {
        readonly env: Record<string, string | undefined>;
        readonly argv: string[];
        readonly stdout: { write(text: string): boolean };
        readonly stderr: { write(text: string): boolean };
        exit(code?: number): never;
    }
    const process: Process;
    export default process;
}

declare module "node:buffer" {
    export const Buffer: {
        byteLength(text: string, encoding: "utf8"): number;
    };
}
