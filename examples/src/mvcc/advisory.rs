//! Advisory locks on the real PostgreSQL 15 and MariaDB 10.11: locks on a number (or a name)
//! that the application chooses and the database only keeps, for mutual exclusion between
//! processes that share no table row: one cron job at a time, one migration runner.
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and compares what the servers did with
//! `examples/data/advisory-locks.txt` (`cargo xtask bless` rewrites it); this example prints
//! that file.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "mvcc::advisory_locks",
    title: "Advisory locks: session and transaction scope, on a real PostgreSQL 15 and MariaDB 10.11",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real servers did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs PostgreSQL and MariaDB servers; the page shows what they did when the test last ran",
        simulation: None,
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/advisory-locks.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
/// PostgreSQL: key 42 at session level (held until unlocked or disconnect, whatever the
/// transaction does), key 7 at transaction level (released by COMMIT or ROLLBACK).
const POSTGRES: &str = "
A: SELECT pg_try_advisory_lock(42) AS got
B: SELECT pg_try_advisory_lock(42) AS got
B: SELECT 'locked' AS state FROM pg_advisory_lock(42)
A: SELECT pg_advisory_unlock(42) AS released
monitor: SELECT count(*) AS advisory_locks FROM pg_locks WHERE locktype = 'advisory' AND pid = {B}
B: SELECT pg_advisory_unlock(42) AS released
A: BEGIN
A: SELECT 'locked' AS state FROM pg_advisory_lock(8)
A: ROLLBACK
B: SELECT pg_try_advisory_lock(8) AS got
A: BEGIN
A: SELECT 'locked' AS state FROM pg_advisory_xact_lock(7)
B: SELECT pg_try_advisory_xact_lock(7) AS got
A: COMMIT
B: SELECT pg_try_advisory_xact_lock(7) AS got";

/// MariaDB: named locks, held by the connection until released, not by the transaction.
const MARIADB: &str = "
A: SELECT GET_LOCK('nightly-report', 0) AS got
B: SELECT GET_LOCK('nightly-report', 0) AS got
monitor: SELECT IS_USED_LOCK('nightly-report') = {A} AS held_by_a
A: BEGIN
A: ROLLBACK
B: SELECT GET_LOCK('nightly-report', 0) AS got
A: SELECT RELEASE_LOCK('nightly-report') AS released
B: SELECT GET_LOCK('nightly-report', 0) AS got";
// ANCHOR_END: example

/// What the test runs.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        server: Server::Postgres,
        title: "advisory locks by number, for a session or a transaction",
        setup: "",
        script: POSTGRES,
    },
    Scenario { server: Server::Mariadb, title: "named locks with GET_LOCK", setup: "", script: MARIADB },
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
