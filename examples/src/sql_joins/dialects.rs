//! Where SQL dialects differ, on the real PostgreSQL 15 and MariaDB 10.11: type checking of an
//! INTEGER column, bare columns next to GROUP BY, where NULLs sort, integer division, `||` and
//! `concat` with NULL, and the NOT IN trap (which every engine shares). SQLite's side is the
//! editable example `sql_joins::quirks`, which runs the same statements in the examples' engine.
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and compares what the servers did with
//! `examples/data/sql-dialects.txt` (`cargo xtask bless` rewrites it); this example prints it.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "sql_joins::dialects",
    title: "The same statements on a real PostgreSQL 15 and MariaDB 10.11",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real servers did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs PostgreSQL and MariaDB servers; the page shows what they did when the test last ran",
        simulation: Some("sql_joins::quirks"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/sql-dialects.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
/// The table, in SQL both servers accept (and SQLite, in `quirks.sql`).
pub const TABLE: &str = "CREATE TABLE t (id INT PRIMARY KEY, n INTEGER, grp VARCHAR(10));
INSERT INTO t VALUES (1, 3, 'a'), (2, NULL, 'a'), (3, 1, 'b');";

/// The statements, one per line; the same lines as `quirks.sql`, less SQLite's `typeof`.
pub const SCRIPT: &str = "
A: INSERT INTO t (id, n, grp) VALUES (4, '12abc', 'b')
A: SELECT grp, count(*), id FROM t WHERE id < 4 GROUP BY grp ORDER BY grp
A: SELECT id, n FROM t WHERE id < 4 ORDER BY n
A: SELECT 7 / 2, 7 % 2
A: SELECT 'a' || 'b', 'a' || NULL
A: SELECT concat('a', NULL)
A: SELECT count(*), count(n) FROM t WHERE id < 4
A: SELECT id FROM t WHERE 5 NOT IN (SELECT n FROM t WHERE id < 4)
A: SELECT 'a' = 'A', 'a' = 'a '";

/// PostgreSQL only: how the planner takes NOT EXISTS and NOT IN over the joins example's tables.
pub const PLAN_TABLES: &str = "CREATE TABLE l (k INTEGER, a TEXT);
CREATE TABLE r (k INTEGER, b TEXT);
INSERT INTO l VALUES (1, 'l1'), (2, 'l2'), (NULL, 'l-null');
INSERT INTO r VALUES (1, 'r1'), (1, 'r1bis'), (3, 'r3'), (NULL, 'r-null');";

/// The two anti-join forms, explained without costs (which vary).
pub const PLAN_SCRIPT: &str = "
A: EXPLAIN (COSTS OFF) SELECT a FROM l WHERE NOT EXISTS (SELECT 1 FROM r WHERE r.k = l.k)
A: EXPLAIN (COSTS OFF) SELECT a FROM l WHERE k NOT IN (SELECT k FROM r)";
// ANCHOR_END: example

/// What the test runs, in the order the file shows them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        server: Server::Postgres,
        title: "the chapter's dialect differences",
        setup: TABLE,
        script: SCRIPT,
    },
    Scenario {
        server: Server::Mariadb,
        title: "the chapter's dialect differences",
        setup: TABLE,
        script: SCRIPT,
    },
    Scenario {
        server: Server::Postgres,
        title: "NOT EXISTS against NOT IN, planned",
        setup: PLAN_TABLES,
        script: PLAN_SCRIPT,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_run_the_statements_sqlite_runs() {
        let sqlite = crate::sql::statements(include_str!("quirks.sql"));
        for line in SCRIPT.lines().filter_map(|l| l.strip_prefix("A: ")) {
            assert!(sqlite.contains(&format!("{line};")), "quirks.sql lacks {line}");
        }
        for scenario in SCENARIOS {
            scenario.lines().unwrap();
        }
    }
}
