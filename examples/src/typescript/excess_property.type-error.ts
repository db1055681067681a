// Structural typing accepts an object with more properties than the type asks for, except when
// the object is a fresh literal: then an unknown property is probably a typo or a leak, and the
// excess property check reports it. Expected: TS2353.
type PublicUser = { id: string; email: string };

// ANCHOR: example
export function publicUser(id: string, email: string, passwordHash: string): PublicUser {
    return { id, email, passwordHash };
}
// ANCHOR_END: example
