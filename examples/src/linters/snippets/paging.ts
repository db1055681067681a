// Small helpers with the mistakes the core rules were written for.
export function lastPages(total: number, pageSize: number): number[] {
    const pages: number[] = [];
    for (let page = Math.ceil(total / pageSize); page > 0; page++) {
        pages.push(page);
    }
    return pages;
}

export function parseLimit(raw: string | undefined): number {
    const fallback = 50;
    let limit;
    if (limit = Number(raw)) {
        return limit;
    }
    return fallback;
}

export async function firstEnabled(flags: Promise<boolean>[]): Promise<number> {
    const unused = flags.length;
    for (let i = 0; i < flags.length; i++) {
        // eslint-disable-next-line no-await-in-loop -- flags are checked in order and the first true wins
        if (await flags[i]) return i;
    }
    // eslint-disable-next-line eqeqeq
    return -1;
}
