// Structural typing: a type is a set of required properties, and any value that has them fits,
// whatever else it carries. A database row with a password hash is a valid `PublicUser`, so a
// response serialiser typed with `PublicUser` sends the hash. A mapper that copies named fields
// does not. A brand makes two string ids incompatible although both are strings at run time.
import { InputError, meaningfulLines } from "../ts_shared/input.js";

// ANCHOR: example
type PublicUser = { id: string; email: string };
type UserRow = { id: string; email: string; passwordHash: string; isAdmin: boolean };

/** Typed with PublicUser, yet it serialises whatever object it is given. */
function respondLeaky(user: PublicUser): string {
    return JSON.stringify(user);
}

/** Builds the response from the fields it names: extra properties cannot leak. */
function respond(user: PublicUser): string {
    const body: PublicUser = { id: user.id, email: user.email };
    return JSON.stringify(body);
}

function show(row: UserRow): string {
    // Both calls compile: UserRow has every property PublicUser requires.
    return `leaky: ${respondLeaky(row)}\nsafe:  ${respond(row)}\n`;
}
// ANCHOR_END: example

// ANCHOR: brand
/** Branded ids: the same string at run time, different types at compile time. */
type UserId = string & { readonly __brand: "UserId" };
type OrderId = string & { readonly __brand: "OrderId" };
const userId = (raw: string) => raw as UserId;
const orderId = (raw: string) => raw as OrderId;

function cancelOrder(id: OrderId): string {
    return `cancel ${id}`;
}

const brandDemo = (): string => {
    const order = orderId("ord_81");
    const user = userId("usr_17");
    return `${cancelOrder(order)} (typeof id at run time: ${typeof user})\n`;
};

/** Never called: each line below must fail to compile, or the build fails (TS2578). */
function doesNotCompile(user: UserId): void {
    // @ts-expect-error 'UserId' is not assignable to 'OrderId'.
    cancelOrder(user);
    // @ts-expect-error a plain string is not an OrderId either: only orderId() makes one.
    cancelOrder("ord_81");
}
// ANCHOR_END: brand

function parseRow(text: string, line: number): UserRow {
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        throw new InputError("not a JSON object", line);
    }
    if (typeof json !== "object" || json === null) throw new InputError("not a JSON object", line);
    const row = json as Record<string, unknown>;
    const { id, email, passwordHash, isAdmin } = row;
    if (typeof id !== "string" || typeof email !== "string" || typeof passwordHash !== "string" || typeof isAdmin !== "boolean") {
        throw new InputError("a row needs id, email, passwordHash (strings) and isAdmin (boolean)", line);
    }
    // Extra columns stay on the object, as they would on a row from a database driver.
    return { ...row, id, email, passwordHash, isAdmin };
}

export function run(input: string): string {
    let out = "";
    for (const { line, text } of meaningfulLines(input)) out += show(parseRow(text, line));
    return out + brandDemo();
}
