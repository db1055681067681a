// noUncheckedIndexedAccess: reading by index or by key may find nothing, so the result's type
// includes `undefined` (strictNullChecks then forbids using it unchecked). Expected: TS18048.
type Row = { id: string; email: string };

// ANCHOR: example
export function firstEmail(rows: Row[]): string {
    const first = rows[0]; // Row | undefined: the query may have returned no rows
    return first.email;
}
// ANCHOR_END: example
