// strictNullChecks (in `strict`): `find` returns `User | undefined`, and using the result as a
// `User` is an error. With the option off, `undefined` belongs to every type and this compiles
// (examples/tests/typescript_options.rs checks that). Expected: TS18048.

// ANCHOR: example
type User = { id: string; email: string };

export function emailOf(users: readonly User[], id: string): string {
    const user = users.find((u) => u.id === id);
    return user.email; // no such user: TypeError at run time
}
// ANCHOR_END: example
