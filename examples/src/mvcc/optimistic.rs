//! Optimistic concurrency with a version column, on the real PostgreSQL 15 and MariaDB 10.11:
//! read the row and its version, write back only `WHERE version = <what was read>`, and treat
//! "0 rows updated" as a conflict. No lock is held while the user thinks.
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and compares what the servers did with
//! `examples/data/optimistic-locking.txt` (`cargo xtask bless` rewrites it); this example
//! prints that file.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "mvcc::optimistic",
    title: "Two editors, one version column, on a real PostgreSQL 15 and MariaDB 10.11",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real servers did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs PostgreSQL and MariaDB servers; the page shows what they did when the test last ran",
        simulation: Some("mvcc::versions"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/optimistic-locking.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
const DOCS: &str = "CREATE TABLE docs (id INT PRIMARY KEY, body VARCHAR(100) NOT NULL, version INT NOT NULL);
INSERT INTO docs (id, body, version) VALUES (1, 'draft', 1);";

/// Two editors load the document (autocommit: nothing is held while they edit); each saves
/// with the version it loaded. The second save matches no row: reload, merge, retry.
const EDITORS: &str = "
A: SELECT version FROM docs WHERE id = 1
B: SELECT version FROM docs WHERE id = 1
A: UPDATE docs SET body = 'edited by A', version = {read + 1} WHERE id = 1 AND version = {read}
B: UPDATE docs SET body = 'edited by B', version = {read + 1} WHERE id = 1 AND version = {read}
B: SELECT version FROM docs WHERE id = 1
B: UPDATE docs SET body = 'edited by B', version = {read + 1} WHERE id = 1 AND version = {read}
A: SELECT body, version FROM docs WHERE id = 1";

/// The same two saves inside transactions that overlap: B's UPDATE waits for A's row lock,
/// then re-checks its WHERE on the row A committed, and matches nothing.
const OVERLAPPING: &str = "
A: BEGIN
A: SELECT version FROM docs WHERE id = 1
B: BEGIN
B: SELECT version FROM docs WHERE id = 1
A: UPDATE docs SET body = 'edited by A', version = {read + 1} WHERE id = 1 AND version = {read}
B: UPDATE docs SET body = 'edited by B', version = {read + 1} WHERE id = 1 AND version = {read}
A: COMMIT
B: ROLLBACK
A: SELECT body, version FROM docs WHERE id = 1";

/// The same overlap at PostgreSQL's repeatable read: B does not re-check its WHERE on the row
/// A committed, which its snapshot cannot see; it fails with 40001, a conflict to retry.
const OVERLAPPING_REPEATABLE_READ: &str = "
A: BEGIN ISOLATION LEVEL REPEATABLE READ
A: SELECT version FROM docs WHERE id = 1
B: BEGIN ISOLATION LEVEL REPEATABLE READ
B: SELECT version FROM docs WHERE id = 1
A: UPDATE docs SET body = 'edited by A', version = {read + 1} WHERE id = 1 AND version = {read}
B: UPDATE docs SET body = 'edited by B', version = {read + 1} WHERE id = 1 AND version = {read}
A: COMMIT
B: ROLLBACK
A: SELECT body, version FROM docs WHERE id = 1";

/// MariaDB's repeatable read with write-write conflict detection on (the default from 11.6.2):
/// B fails with error 1020 instead of re-checking.
const OVERLAPPING_SNAPSHOT_ISOLATION: &str = "
A: BEGIN
A: SELECT version FROM docs WHERE id = 1
B: SET SESSION innodb_snapshot_isolation = ON
B: BEGIN
B: SELECT version FROM docs WHERE id = 1
A: UPDATE docs SET body = 'edited by A', version = {read + 1} WHERE id = 1 AND version = {read}
B: UPDATE docs SET body = 'edited by B', version = {read + 1} WHERE id = 1 AND version = {read}
A: COMMIT
B: ROLLBACK
A: SELECT body, version FROM docs WHERE id = 1";
// ANCHOR_END: example

/// What the test runs, on both servers: at each one's default level, then the overlap with
/// write-write conflict detection (PostgreSQL's repeatable read, MariaDB's snapshot isolation).
pub const SCENARIOS: &[Scenario] = &[
    Scenario { server: Server::Postgres, title: "two editors save in turn", setup: DOCS, script: EDITORS },
    Scenario { server: Server::Mariadb, title: "two editors save in turn", setup: DOCS, script: EDITORS },
    Scenario {
        server: Server::Postgres,
        title: "two saves in overlapping transactions",
        setup: DOCS,
        script: OVERLAPPING,
    },
    Scenario {
        server: Server::Mariadb,
        title: "two saves in overlapping transactions",
        setup: DOCS,
        script: OVERLAPPING,
    },
    Scenario {
        server: Server::Postgres,
        title: "the same overlap at repeatable read",
        setup: DOCS,
        script: OVERLAPPING_REPEATABLE_READ,
    },
    Scenario {
        server: Server::Mariadb,
        title: "the same overlap with innodb_snapshot_isolation = ON",
        setup: DOCS,
        script: OVERLAPPING_SNAPSHOT_ISOLATION,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_servers_did_and_its_scenarios_parse() {
        assert_eq!(run("").unwrap(), OBSERVED);
        for scenario in SCENARIOS {
            scenario.lines().unwrap();
        }
    }
}
