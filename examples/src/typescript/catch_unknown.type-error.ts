// useUnknownInCatchVariables (in `strict`): a `catch` variable is `unknown`, because JavaScript can
// throw any value, not only an Error. Reading `.message` without a check is an error. With the
// option off, `err` is `any` and this compiles (examples/tests/typescript_options.rs checks that).
// Expected: TS18046.

// ANCHOR: example
export function errorMessage(work: () => void): string {
    try {
        work();
        return "ok";
    } catch (err) {
        return err.message; // `throw "timeout"` would make this undefined
    }
}
// ANCHOR_END: example
