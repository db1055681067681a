// The TypeScript examples' side of the examples contract (see ARCHITECTURE.md): an example is a
// module whose `run(input: string): string` returns the text the book shows, and throws an
// `InputError` for input it cannot use, naming the input line when there is one, as the Rust
// examples' `InputError` does. Its `report()` is the one wording of it ("input line N: message",
// as the Rust `InputError`'s Display), used by the tests' Node runner (examples/run-typescript.mjs),
// the page's worker (src/assets/playground-worker.js) and the fuzz run.

export class InputError extends Error {
    override readonly name = "InputError";
    readonly line: number | undefined;

    constructor(message: string, line?: number) {
        super(message);
        this.line = line;
    }

    /** What the reader sees: "input line N: message", or the message alone. */
    report(): string {
        return this.line === undefined ? this.message : `input line ${this.line}: ${this.message}`;
    }
}

/** The input's lines that carry something: 1-based line numbers, `#` comments and blanks skipped. */
export function meaningfulLines(input: string): { line: number; text: string }[] {
    const out: { line: number; text: string }[] = [];
    input.split("\n").forEach((raw, index) => {
        const text = raw.replace(/#.*$/, "").trim();
        if (text !== "") out.push({ line: index + 1, text });
    });
    return out;
}
