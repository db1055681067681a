//! What the next statement and the `COMMIT` do after an error inside a transaction, on the real
//! PostgreSQL 15 and MariaDB 10.11: the chapter's failing transfer (Bob sends more than he has).
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and compares what the servers did with
//! `examples/data/statement-failure.txt` (`cargo xtask bless` rewrites it); this example prints
//! that file.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "acid::statement_failure",
    title: "An error inside a transfer, on a real PostgreSQL 15 and MariaDB 10.11",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real servers did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs PostgreSQL and MariaDB servers; the page shows what they did when the test last ran",
        simulation: Some("acid::ignored_error"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/statement-failure.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
/// The chapter's bank, in SQL that PostgreSQL and MariaDB both accept (amounts in cents).
pub const BANK_TABLES: &str = "CREATE TABLE accounts (
    id      INT PRIMARY KEY,
    owner   VARCHAR(20) NOT NULL UNIQUE,
    balance INT NOT NULL CHECK (balance >= 0)
);
INSERT INTO accounts (id, owner, balance) VALUES (1, 'alice', 10000), (2, 'bob', 5000), (3, 'carol', 0);";
// ANCHOR_END: example

/// Bob (50.00) sends 80.00 to Alice: the credit succeeds, the debit breaks the CHECK. The
/// application ignores the error, reads, and commits.
const IGNORED_ERROR: &str = "
A: BEGIN
A: UPDATE accounts SET balance = balance + 8000 WHERE id = 1
A: UPDATE accounts SET balance = balance - 8000 WHERE id = 2
A: SELECT owner, balance FROM accounts ORDER BY id
A: COMMIT
A: SELECT owner, balance FROM accounts ORDER BY id";

/// The same on PostgreSQL, with the session's state as the server reports it after the error.
const IGNORED_ERROR_POSTGRES: &str = "
A: BEGIN
A: UPDATE accounts SET balance = balance + 8000 WHERE id = 1
A: UPDATE accounts SET balance = balance - 8000 WHERE id = 2
monitor: SELECT state FROM pg_stat_activity WHERE pid = {A}
A: SELECT owner, balance FROM accounts ORDER BY id
A: COMMIT
A: SELECT owner, balance FROM accounts ORDER BY id";

/// Two transfers in one transaction, the second behind a savepoint: it fails, and
/// `ROLLBACK TO SAVEPOINT` takes the transaction out of the aborted state with the first
/// transfer still in it.
const SAVEPOINT_POSTGRES: &str = "
A: BEGIN
A: UPDATE accounts SET balance = balance + 3000 WHERE id = 1
A: UPDATE accounts SET balance = balance - 3000 WHERE id = 2
A: SAVEPOINT transfer
A: UPDATE accounts SET balance = balance + 8000 WHERE id = 1
A: UPDATE accounts SET balance = balance - 8000 WHERE id = 2
monitor: SELECT state FROM pg_stat_activity WHERE pid = {A}
A: ROLLBACK TO SAVEPOINT transfer
monitor: SELECT state FROM pg_stat_activity WHERE pid = {A}
A: COMMIT
A: SELECT owner, balance FROM accounts ORDER BY id";

/// What the test runs, in the order the file shows them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        server: Server::Postgres,
        title: "the debit fails; the application reads on and commits",
        setup: BANK_TABLES,
        script: IGNORED_ERROR_POSTGRES,
    },
    Scenario {
        server: Server::Mariadb,
        title: "the debit fails; the application reads on and commits",
        setup: BANK_TABLES,
        script: IGNORED_ERROR,
    },
    Scenario {
        server: Server::Postgres,
        title: "a savepoint before the second transfer, rolled back to when it fails",
        setup: BANK_TABLES,
        script: SAVEPOINT_POSTGRES,
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
    }
}
