// The type-level tools behind typed routers and schema libraries, each pinned by a compile-time
// assertion (`Expect<Equal<…>>` fails to compile if the type differs) or by a `@ts-expect-error`
// line (the build fails, TS2578, if that line ever compiles). At run time, a router matches paths
// against patterns whose parameter names the types derived from the pattern strings.
import { InputError, meaningfulLines } from "../ts_shared/input.js";

// Exact type equality, as the type-testing libraries define it.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

// ANCHOR: example
// Template literal types with `infer`: the parameter names of a route pattern.
type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
    ? Name | ParamNames<`/${Rest}`>
    : P extends `${string}:${infer Name}`
      ? Name
      : never;
type Params<P extends string> = { [K in ParamNames<P>]: string };
type _routes = Expect<Equal<Params<"/accounts/:accountId/payments/:id">, { accountId: string; id: string }>>;

// Conditional types distribute over a union when the checked type is a bare type parameter…
type Boxed<T> = T extends unknown ? { value: T } : never;
type _distributes = Expect<Equal<Boxed<"a" | "b">, { value: "a" } | { value: "b" }>>;
// …and not when it is wrapped in a tuple.
type BoxedWhole<T> = [T] extends [unknown] ? { value: T } : never;
type _whole = Expect<Equal<BoxedWhole<"a" | "b">, { value: "a" | "b" }>>;
// Distribution is how Exclude and NonNullable drop members.
type _exclude = Expect<Equal<Exclude<"pending" | "paid" | "refunded", "refunded">, "pending" | "paid">>;

// ReturnType and Awaited read a function's result; keyof, indexed access and Omit reshape it.
async function loadUser(id: string) {
    return { id, email: `${id}@example.com`, passwordHash: "$argon2id$…" };
}
type LoadedUser = Awaited<ReturnType<typeof loadUser>>;
type PublicUser = Omit<LoadedUser, "passwordHash">;
type _public = Expect<Equal<keyof PublicUser, "id" | "email">>;
type _email = Expect<Equal<LoadedUser["email"], string>>;

// TypeScript 5.5 infers a type predicate from `x !== undefined`, so filter narrows the array.
const present = ["pay_1", undefined, "pay_2"].filter((x) => x !== undefined);
type _filtered = Expect<Equal<typeof present, string[]>>;

// NoInfer (5.4): the fallback must be one of the allowed values, not widen them.
function oneOfOr<T extends string>(allowed: readonly T[], value: string, fallback: NoInfer<T>): T {
    return allowed.find((a) => a === value) ?? fallback;
}

/** Never called: each marked line must fail to compile, or the build fails (TS2578). */
function doesNotCompile(): void {
    // @ts-expect-error "archived" is not "pending" | "paid"; without NoInfer, T would widen to include it.
    oneOfOr(["pending", "paid"], "x", "archived");
    // @ts-expect-error `object` excludes primitives…
    const o: object = 42;
    const anything: {} = 42; // …while `{}` accepts every value except null and undefined,
    // @ts-expect-error …which it rejects.
    const nothing: {} = null;
    void [o, anything, nothing];
}
// ANCHOR_END: example

// ANCHOR: router
/** The object is built by the loop from the pattern itself; the cast states what the loop ensures. */
function match<P extends string>(pattern: P, path: string): Params<P> | null {
    const want = pattern.split("/");
    const got = path.split("/");
    if (want.length !== got.length) return null;
    const params: Record<string, string> = {};
    for (const [i, part] of want.entries()) {
        const actual = got[i] ?? "";
        if (part.startsWith(":")) {
            if (actual === "") return null;
            params[part.slice(1)] = decodeURIComponent(actual);
        } else if (part !== actual) return null;
    }
    return params as Params<P>;
}

function route(path: string): string {
    const payment = match("/accounts/:accountId/payments/:id", path);
    if (payment !== null) return `payment ${payment.id} of account ${payment.accountId}`; // both typed
    const account = match("/accounts/:accountId", path);
    if (account !== null) return `account ${account.accountId}`; // it has no `id`: see below
    return "no route";
}

/** Never called: a parameter the pattern does not name must not compile, or the build fails (TS2578). */
function noSuchParam(path: string): string | undefined {
    // @ts-expect-error Property 'id' does not exist on type 'Params<"/accounts/:accountId">'.
    return match("/accounts/:accountId", path)?.id;
}
// ANCHOR_END: router

export function run(input: string): string {
    let out = `oneOfOr(["pending","paid"], "paid", "pending") = ${oneOfOr(["pending", "paid"], "paid", "pending")}\n`;
    out += `filtered without undefined: ${JSON.stringify(present)}\n`;
    for (const { line, text } of meaningfulLines(input)) {
        let routed: string;
        try {
            routed = route(text);
        } catch (error) {
            // decodeURIComponent refuses a `%` that starts no escape (found by the fuzz run).
            if (error instanceof URIError) throw new InputError(`${text}: a % must start an escape such as %2F`, line);
            throw error;
        }
        out += `${text} -> ${routed}\n`;
    }
    return out;
}
