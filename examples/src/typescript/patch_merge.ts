// Optional properties and `undefined` at run time: a PATCH handler merges a patch into a user with
// a spread. `{ nickname: undefined }` and `{}` look alike to a loose type, but the spread copies
// the undefined over the stored value, and JSON.stringify then drops the key. With
// exactOptionalPropertyTypes the loose patch does not compile (exact_optional.type-error.ts);
// building it from the fields that are present does.
import { InputError, meaningfulLines } from "../ts_shared/input.js";

type User = { id: string; email: string; nickname?: string };

// ANCHOR: example
/** `Partial<Pick<…>>`: a mapped type that makes the editable fields optional. */
type UserPatch = Partial<Pick<User, "email" | "nickname">>;
/** What UserPatch would be without exactOptionalPropertyTypes: undefined allowed. */
type LoosePatch = { email?: string | undefined; nickname?: string | undefined };

function loosePatch(form: Map<string, string>): LoosePatch {
    return { email: form.get("email"), nickname: form.get("nickname") };
}

function exactPatch(form: Map<string, string>): UserPatch {
    const patch: UserPatch = {};
    const email = form.get("email");
    const nickname = form.get("nickname");
    if (email !== undefined) patch.email = email;
    if (nickname !== undefined) patch.nickname = nickname;
    return patch;
}

const merge = (user: User, patch: LoosePatch | UserPatch) => ({ ...user, ...patch });
// ANCHOR_END: example

function parseForm(text: string, line: number): Map<string, string> {
    const form = new Map<string, string>();
    for (const pair of text.split("&")) {
        const [key, value] = pair.split("=");
        if (key !== "email" && key !== "nickname") throw new InputError(`unknown field "${key ?? ""}" (email, nickname)`, line);
        if (value === undefined || value === "") throw new InputError(`${key} needs a value: ${key}=...`, line);
        form.set(key, value);
    }
    return form;
}

export function run(input: string): string {
    const user: User = { id: "usr_17", email: "ada@example.com", nickname: "ada" };
    let out = `stored:   ${JSON.stringify(user)}\n`;
    for (const { line, text } of meaningfulLines(input)) {
        const form = parseForm(text, line);
        const loose = loosePatch(form);
        out += `PATCH ${text}\n`;
        out += `  loose patch ${JSON.stringify(loose)} has keys [${Object.keys(loose).join(", ")}]\n`;
        out += `  loose: ${JSON.stringify(merge(user, loose))}\n`;
        out += `  exact: ${JSON.stringify(merge(user, exactPatch(form)))}\n`;
    }
    return out;
}
