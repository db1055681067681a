//! The same queries before and after an index, planned by a real PostgreSQL 15.
//!
//! The SQL is here, as constants; `examples/tests/real_servers/indexes.rs` runs it (a schema of
//! its own per run), records each plan as `EXPLAIN (COSTS OFF)` prints it (node types, the index
//! used, the conditions; no costs, row estimates or timings, which vary), and compares the
//! result with `examples/data/index-plans.txt` (`EXAMPLES_BLESS=1` rewrites it). The test also
//! checks each claim the page makes about these plans, so a blessed file cannot contradict the
//! page. This example prints that file: the page shows what the server chose.
//!
//! Two settings keep the plans stable and about one thing: `default_statistics_target = 1000`
//! makes `ANALYZE` read all 200,000 rows (it samples 300 × the target), so the statistics, and
//! with them the plans, are the same on every run; and `max_parallel_workers_per_gather = 0`
//! turns parallel query off (with it, each sequential scan of this 19 MB table would be a
//! `Gather` over a `Parallel Seq Scan`, which is the same choice drawn differently). Autovacuum
//! is off for the tables so that no background `ANALYZE` replaces those statistics mid-run.

use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "indexes::plans",
    title: "Plans before and after an index, on a real PostgreSQL 15",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real PostgreSQL planned when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a PostgreSQL server; the page shows what the server planned when the test last ran",
        simulation: Some("indexes_sql::plans"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/indexes.rs` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/index-plans.txt");

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    Ok(OBSERVED.to_string())
}

// ANCHOR: setup
/// Settings of the session that plans (see the module's documentation).
pub const SESSION: [&str; 2] =
    ["SET max_parallel_workers_per_gather = 0", "SET default_statistics_target = 1000"];

/// 200,000 orders: 2,000 customers with 100 orders each, spread over the whole table; 95% of
/// orders shipped, 4% cancelled, 1% pending; 1,000 orders a day, in date order on disk. And
/// 100,000 documents with three tags each, one of them on every document.
pub const SETUP: &str = "CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    customer_id int    NOT NULL,
    status      text   NOT NULL,
    created_at  date   NOT NULL,
    total       int    NOT NULL,
    note        text
) WITH (autovacuum_enabled = false);
INSERT INTO orders
SELECT g,
       (g * 7919) % 2000 + 1,
       CASE WHEN g % 100 = 0 THEN 'pending' WHEN g % 20 = 0 THEN 'cancelled' ELSE 'shipped' END,
       date '2024-01-01' + g / 1000,
       (g * 37) % 50000,
       repeat('x', 40)
FROM generate_series(1, 200000) AS g;
CREATE TABLE docs (id int PRIMARY KEY, tags text[] NOT NULL) WITH (autovacuum_enabled = false);
INSERT INTO docs
SELECT g, ARRAY['t' || g % 500, 't' || (500 + g % 37), 'common'] FROM generate_series(1, 100000) AS g;
VACUUM ANALYZE orders;
VACUUM ANALYZE docs";

/// Run after every change of indexes: fresh statistics and a visibility map that lets an
/// index-only scan skip the table.
pub const REFRESH: [&str; 2] = ["VACUUM ANALYZE orders", "VACUUM ANALYZE docs"];

/// The statements of [`SETUP`], one by one (`VACUUM` cannot run in a multi-statement string).
pub fn setup_statements() -> impl Iterator<Item = &'static str> {
    SETUP.split(";\n").map(str::trim).filter(|s| !s.is_empty())
}
// ANCHOR_END: setup

/// One comparison: the queries planned with the indexes of `setup`, then again after `change`.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub title: &'static str,
    /// The indexes the "before" plans may use (besides the primary keys).
    pub setup: &'static [&'static str],
    pub change: &'static [&'static str],
    pub queries: &'static [&'static str],
}

// ANCHOR: cases
pub const LOOKUP: Case = Case {
    title: "1. Equality on a column with no index, then with one",
    setup: &[],
    change: &["CREATE INDEX orders_customer ON orders (customer_id)"],
    queries: &[
        "SELECT * FROM orders WHERE customer_id = 42",
        "SELECT count(*) FROM orders WHERE customer_id = 42",
        "SELECT * FROM orders WHERE id = 42",
    ],
};

pub const COLUMN_ORDER: Case = Case {
    title: "2. Composite index: the same two columns in the other order",
    setup: &["CREATE INDEX orders_created_customer ON orders (created_at, customer_id)"],
    change: &[
        "DROP INDEX orders_created_customer",
        "CREATE INDEX orders_customer_created ON orders (customer_id, created_at)",
    ],
    queries: &[
        "SELECT count(*) FROM orders WHERE customer_id = 42 AND created_at >= '2024-03-01'",
        "SELECT * FROM orders WHERE created_at = '2024-03-01'",
    ],
};

/// The first query of [`COLUMN_ORDER`], run with `EXPLAIN (ANALYZE, BUFFERS)`: how many pages
/// each column order makes the scan touch. Recorded as a class, not a count.
pub const COLUMN_ORDER_MEASURED: &str =
    "SELECT count(*) FROM orders WHERE customer_id = 42 AND created_at >= '2024-03-01'";

pub const COVERING: Case = Case {
    title: "3. Covering index: INCLUDE the columns the query reads",
    setup: &["CREATE INDEX orders_customer ON orders (customer_id)"],
    change: &["CREATE INDEX orders_customer_covering ON orders (customer_id) INCLUDE (created_at, total)"],
    queries: &["SELECT created_at, total FROM orders WHERE customer_id = 42"],
};

pub const PARTIAL: Case = Case {
    title: "4. Partial index: only the rows a hot query asks for",
    setup: &[],
    change: &["CREATE INDEX orders_pending ON orders (created_at) WHERE status = 'pending'"],
    queries: &[
        "SELECT id, total FROM orders WHERE status = 'pending' AND created_at >= '2024-06-01'",
        "SELECT id, total FROM orders WHERE status = 'cancelled' AND created_at >= '2024-06-01'",
    ],
};

/// The partial index against a full index on the same column: pages of each (as a ratio class).
pub const PARTIAL_SIZE: [&str; 2] = ["orders_pending", "CREATE INDEX orders_created ON orders (created_at)"];

pub const SELECTIVITY: Case = Case {
    title: "5. Selectivity: the same index, a rare value and a common one",
    setup: &[],
    change: &["CREATE INDEX orders_status ON orders (status)"],
    queries: &[
        "SELECT * FROM orders WHERE status = 'pending'",
        "SELECT * FROM orders WHERE status = 'shipped'",
    ],
};

pub const ORDER_BY: Case = Case {
    title: "6. ORDER BY ... LIMIT: an index hands rows over already sorted",
    setup: &[],
    change: &["CREATE INDEX orders_created ON orders (created_at)"],
    queries: &["SELECT * FROM orders ORDER BY created_at DESC LIMIT 10"],
};

pub const HASH_AND_GIN: Case = Case {
    title: "7. Hash and GIN indexes: what each can answer",
    setup: &[],
    change: &[
        "CREATE INDEX orders_customer_hash ON orders USING hash (customer_id)",
        "CREATE INDEX docs_tags ON docs USING gin (tags)",
    ],
    queries: &[
        "SELECT * FROM orders WHERE customer_id = 42",
        "SELECT count(*) FROM orders WHERE customer_id = 42",
        "SELECT * FROM orders WHERE customer_id < 3",
        "SELECT id FROM docs WHERE tags @> ARRAY['t42']",
        "SELECT id FROM docs WHERE tags @> ARRAY['common']",
    ],
};

pub const CASES: [Case; 7] = [LOOKUP, COLUMN_ORDER, COVERING, PARTIAL, SELECTIVITY, ORDER_BY, HASH_AND_GIN];
// ANCHOR_END: cases

/// A count of pages as the data file records it: a class, since exact counts may move with a
/// server's version.
pub fn page_class(pages: u64) -> &'static str {
    match pages {
        0..10 => "fewer than 10",
        10..100 => "10 to 99",
        100..1000 => "100 to 999",
        _ => "1,000 or more",
    }
}

/// A ratio `a / b` as a class.
pub fn ratio_class(a: u64, b: u64) -> &'static str {
    let b = b.max(1);
    if a >= 50 * b {
        "over 50 times"
    } else if a >= 10 * b {
        "10 to 50 times"
    } else if a >= 2 * b {
        "2 to 10 times"
    } else {
        "under 2 times"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_server_did_and_takes_no_input() {
        assert_eq!(run("").unwrap(), OBSERVED);
        assert_eq!(run("x").unwrap_err().line, Some(1));
    }

    #[test]
    fn classes() {
        assert_eq!(page_class(4), "fewer than 10");
        assert_eq!(page_class(387), "100 to 999");
        assert_eq!(ratio_class(387, 4), "over 50 times");
        assert_eq!(ratio_class(180, 5), "10 to 50 times");
        assert_eq!(ratio_class(5, 180), "under 2 times");
    }
}
