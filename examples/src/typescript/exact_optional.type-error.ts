// exactOptionalPropertyTypes: `nickname?: string` means "absent or a string", not "undefined
// allowed". A patch built from a form whose field was missing would carry `nickname: undefined`,
// and spreading it over the user would erase the nickname. Expected: TS2375.
type UserPatch = { email?: string; nickname?: string };

// ANCHOR: example
export function patchFrom(form: Map<string, string>): UserPatch {
    const patch: UserPatch = { email: form.get("email"), nickname: form.get("nickname") };
    return patch;
}
// ANCHOR_END: example
