//! Chapter "Indexes: B-tree vs LSM, reading a query plan", its SQL part: SQLite's
//! `EXPLAIN QUERY PLAN` on a table of orders, before and after each kind of index, as SQL the
//! reader edits and runs in the page. These ship in the shared `sql` wasm module (with SQLite);
//! the chapter's simulations are in `indexes`, a module of their own.

use crate::registry::Example;
use crate::sql::sql_example;

/// 5,000 orders: 500 customers with 10 orders each, spread over the table; 95% shipped, 4%
/// cancelled, 1% pending; 50 orders a day from 2024-01-01. No index but the primary key.
pub const SETUP: &str = include_str!("orders.sql");

const HELP: &str = "SQL statements separated by `;` (SQLite dialect), run on orders (id, customer_id, status, created_at, total); `--` starts a comment. `EXPLAIN QUERY PLAN` before a query shows how SQLite would run it.";

sql_example!(
    PLANS,
    "indexes_sql::plans",
    "indexes_sql",
    "plans.sql",
    "EXPLAIN QUERY PLAN before and after each kind of index, on real SQLite",
    setup: SETUP,
    help: HELP
);
/// The chapter's SQL examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[Example] = &[PLANS];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_named_by_an_example_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        for example in EXAMPLES {
            assert!(root.join(example.file).is_file(), "{} names {}", example.id, example.file);
        }
    }
}
