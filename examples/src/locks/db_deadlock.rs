//! A deadlock between two transactions on the real PostgreSQL 15 and MariaDB 10.11: two
//! transfers update the same two rows in opposite orders. Each server finds the cycle in its
//! own wait-for graph and rolls one transaction back; the other commits.
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and compares what the servers did with
//! `examples/data/db-deadlock.txt` (`cargo xtask bless` rewrites it); this example prints
//! that file.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "locks::db_deadlock",
    title: "Two transfers in opposite orders, on a real PostgreSQL 15 and MariaDB 10.11",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real servers did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs PostgreSQL and MariaDB servers; the page shows what they did when the test last ran",
        simulation: Some("locks::deadlock_search"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/db-deadlock.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
/// Two accounts, in SQL that PostgreSQL and MariaDB both accept.
pub const ACCOUNTS: &str = "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL);
INSERT INTO accounts (id, balance) VALUES (1, 1000), (2, 1000);";

/// A sends 100 from account 1 to account 2, B sends 100 from 2 to 1: each debits its source
/// first, so A locks row 1 then row 2 and B row 2 then row 1.
pub const OPPOSITE_ORDERS: &str = "
A: BEGIN
A: UPDATE accounts SET balance = balance - 100 WHERE id = 1
B: BEGIN
B: UPDATE accounts SET balance = balance - 100 WHERE id = 2
A: UPDATE accounts SET balance = balance + 100 WHERE id = 2
B: UPDATE accounts SET balance = balance + 100 WHERE id = 1
A: COMMIT
B: COMMIT
A: SELECT id, balance FROM accounts ORDER BY id";
// ANCHOR_END: example

/// The same transfers, each locking the lower id first (`ORDER BY id ... FOR UPDATE`): B waits
/// for A instead of deadlocking, and both commit.
const ORDERED: &str = "
A: BEGIN
A: SELECT id FROM accounts WHERE id IN (1, 2) ORDER BY id FOR UPDATE
B: BEGIN
B: SELECT id FROM accounts WHERE id IN (1, 2) ORDER BY id FOR UPDATE
A: UPDATE accounts SET balance = balance - 100 WHERE id = 1
A: UPDATE accounts SET balance = balance + 100 WHERE id = 2
A: COMMIT
B: UPDATE accounts SET balance = balance - 100 WHERE id = 2
B: UPDATE accounts SET balance = balance + 100 WHERE id = 1
B: COMMIT
A: SELECT id, balance FROM accounts ORDER BY id";

/// The PostgreSQL run also shows the setting that delays its check.
const OPPOSITE_ORDERS_POSTGRES: &str = "
monitor: SHOW deadlock_timeout
A: BEGIN
A: UPDATE accounts SET balance = balance - 100 WHERE id = 1
B: BEGIN
B: UPDATE accounts SET balance = balance - 100 WHERE id = 2
A: UPDATE accounts SET balance = balance + 100 WHERE id = 2
B: UPDATE accounts SET balance = balance + 100 WHERE id = 1
A: COMMIT
B: COMMIT
A: SELECT id, balance FROM accounts ORDER BY id";

const OPPOSITE_ORDERS_MARIADB: &str = "
monitor: SELECT @@innodb_deadlock_detect AS innodb_deadlock_detect
A: BEGIN
A: UPDATE accounts SET balance = balance - 100 WHERE id = 1
B: BEGIN
B: UPDATE accounts SET balance = balance - 100 WHERE id = 2
A: UPDATE accounts SET balance = balance + 100 WHERE id = 2
B: UPDATE accounts SET balance = balance + 100 WHERE id = 1
A: COMMIT
B: COMMIT
A: SELECT id, balance FROM accounts ORDER BY id";

/// What the test runs, in the order the file shows them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        server: Server::Postgres,
        title: "two transfers lock two rows in opposite orders",
        setup: ACCOUNTS,
        script: OPPOSITE_ORDERS_POSTGRES,
    },
    Scenario {
        server: Server::Mariadb,
        title: "two transfers lock two rows in opposite orders",
        setup: ACCOUNTS,
        script: OPPOSITE_ORDERS_MARIADB,
    },
    Scenario {
        server: Server::Postgres,
        title: "the same transfers, both locking the lower id first",
        setup: ACCOUNTS,
        script: ORDERED,
    },
    Scenario {
        server: Server::Mariadb,
        title: "the same transfers, both locking the lower id first",
        setup: ACCOUNTS,
        script: ORDERED,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_servers_did_and_its_scenarios_parse() {
        assert_eq!(run("").unwrap(), OBSERVED);
        assert!(run("x").is_err());
        for scenario in SCENARIOS {
            scenario.lines().unwrap();
        }
        // The page shows OPPOSITE_ORDERS; the servers run it with one monitor line more.
        for script in [OPPOSITE_ORDERS_POSTGRES, OPPOSITE_ORDERS_MARIADB] {
            let without_monitor: Vec<&str> = script.lines().filter(|l| !l.starts_with("monitor:")).collect();
            assert_eq!(without_monitor.join("\n"), OPPOSITE_ORDERS);
        }
    }
}
