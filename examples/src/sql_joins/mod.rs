//! Chapter "SQL, joins and normalization".
//!
//! * `SETUP`: the shop of `sql/shop.sql` plus `more.sql` (staff with managers, support tickets
//!   with NULLs), the database of the chapter's SQL examples and exercises;
//! * `joins.sql`, `nulls.sql`, `windows.sql`: every JOIN kind on two tiny tables with NULLs,
//!   three-valued logic, and window functions with a recursive CTE, as editable SQL;
//! * `exercise`: exercises in the pgexercises style, checked against the model answer's rows;
//! * `quirks.sql` and `dialects`: the same statements on SQLite (here) and on the real
//!   PostgreSQL 15 and MariaDB 10.11 (as observed by `examples/tests/real_servers/`).

#[cfg(not(target_family = "wasm"))]
pub mod dialects;
pub mod exercise;

use crate::registry::Example;
use crate::sql::sql_example;

/// The shop and the chapter's additions: what every example and exercise of the chapter starts from.
pub const SETUP: &str = concat!(include_str!("../sql/shop.sql"), include_str!("more.sql"));

const HELP: &str = "SQL statements separated by `;` (SQLite dialect), run on the shop (customers, accounts, orders) plus staff (id, name, manager_id), tickets (id, customer_id, staff_id, subject) and payments (id, paid_on, amount); `--` starts a comment.";

sql_example!(
    SCHEMA,
    "sql_joins::schema",
    "sql_joins",
    "more.sql",
    "The chapter's additions to the shop: staff and tickets, with NULLs",
    setup: SHOP_ONLY,
    help: HELP
);
sql_example!(
    JOINS,
    "sql_joins::joins",
    "sql_joins",
    "joins.sql",
    "Every JOIN kind on two tiny tables with NULLs, on real SQLite",
    setup: SETUP,
    help: HELP
);
sql_example!(
    NULLS,
    "sql_joins::nulls",
    "sql_joins",
    "nulls.sql",
    "NULL's three-valued logic, COUNT(*) against COUNT(col), IS DISTINCT FROM",
    setup: SETUP,
    help: HELP
);
sql_example!(
    WINDOWS,
    "sql_joins::windows",
    "sql_joins",
    "windows.sql",
    "GROUP BY against window functions, and a recursive CTE with cycle protection",
    setup: SETUP,
    help: HELP
);
sql_example!(
    QUIRKS,
    "sql_joins::quirks",
    "sql_joins",
    "quirks.sql",
    "Type affinity, bare GROUP BY columns, NULL ordering and division on SQLite",
    setup: SETUP,
    help: HELP
);

/// The shop alone (the schema example shows the additions running on it).
const SHOP_ONLY: &str = crate::sql::SHOP;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[Example] = &[
    SCHEMA,
    JOINS,
    NULLS,
    WINDOWS,
    exercise::EXAMPLE,
    QUIRKS,
    #[cfg(not(target_family = "wasm"))]
    dialects::EXAMPLE,
];

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

    #[test]
    fn the_path_check_ends_the_walk_of_a_cycle_and_without_it_the_walk_runs_away() {
        let out = crate::sql::engine::run(SETUP, WINDOWS.default_input).unwrap();
        assert_eq!(out.matches("(5 rows)").count(), 2, "{out}");
        assert!(!out.contains("interrupted"), "{out}");
        // The same walk after the UPDATE, without the path check: it goes round the cycle
        // (stopped here after 100 rows; unbounded, it runs until SQLite gives up).
        let cycle = &WINDOWS.default_input[WINDOWS.default_input.find("UPDATE staff").unwrap()..];
        let unprotected: String = cycle
            .lines()
            .filter(|l| !l.contains("NOT LIKE"))
            .map(|l| {
                if l.starts_with("SELECT depth") {
                    "SELECT count(*) FROM (SELECT 1 FROM team LIMIT 100);"
                } else {
                    l
                }
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let out = crate::sql::engine::run(SETUP, &unprotected).unwrap();
        assert!(out.contains("\n      100\n(1 row)\n"), "{out}");
    }

    #[test]
    fn not_in_with_a_null_returns_nothing_and_not_exists_does_not() {
        let out = crate::sql::engine::run(SETUP, JOINS.default_input).unwrap();
        let tail = out.rsplit("sqlite>").next().unwrap();
        assert!(tail.contains("NOT IN") && tail.contains("(0 rows)"), "{out}");
    }
}
