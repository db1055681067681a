//! Who is rolled back when transactions deadlock, on the real PostgreSQL 15 and MariaDB 10.11:
//! PostgreSQL's victim is the transaction whose own check runs first and finds the cycle
//! (each waiting backend checks once, `deadlock_timeout` after it began to wait); InnoDB rolls
//! back the "lighter" transaction, the one that changed and locked fewer rows, even when the
//! other one closed the cycle. Neither depends on a race here: on PostgreSQL the sessions'
//! `deadlock_timeout`s are 1 s and 20 s, and InnoDB decides as the cycle forms.
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and compares what the servers did with
//! `examples/data/deadlock-victims.txt` (`cargo xtask bless` rewrites it); this example
//! prints that file.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "mvcc::deadlock_victims",
    title: "Which transaction a deadlock rolls back, on a real PostgreSQL 15 and MariaDB 10.11",
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
pub const OBSERVED: &str = include_str!("../../data/deadlock-victims.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
const ACCOUNTS: &str = "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL);
INSERT INTO accounts (id, balance) VALUES (1, 1000), (2, 1000);";

/// The two transfers of the locks chapter, opposite orders, but A checks for deadlocks only
/// after 20 s of waiting and B after the default 1 s: B's check finds the cycle first.
const POSTGRES: &str = "
A: SET deadlock_timeout = '20s'
B: SET deadlock_timeout = '1s'
A: BEGIN
A: UPDATE accounts SET balance = balance - 100 WHERE id = 1
B: BEGIN
B: UPDATE accounts SET balance = balance - 100 WHERE id = 2
A: UPDATE accounts SET balance = balance + 100 WHERE id = 2
B: UPDATE accounts SET balance = balance + 100 WHERE id = 1
A: COMMIT
B: COMMIT
A: SELECT id, balance FROM accounts ORDER BY id";

/// B first changes 50 other rows (a heavy transaction), then the same opposite-order
/// transfers; B's last statement closes the cycle.
const HEAVY: &str = "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL);
INSERT INTO accounts (id, balance) VALUES (1, 1000), (2, 1000);
CREATE TABLE audit (id INT PRIMARY KEY, n INT NOT NULL);
INSERT INTO audit (id, n) SELECT seq, 0 FROM seq_1_to_50;";

const MARIADB: &str = "
A: BEGIN
A: UPDATE accounts SET balance = balance - 100 WHERE id = 1
B: BEGIN
B: UPDATE audit SET n = n + 1
B: UPDATE accounts SET balance = balance - 100 WHERE id = 2
A: UPDATE accounts SET balance = balance + 100 WHERE id = 2
B: UPDATE accounts SET balance = balance + 100 WHERE id = 1
A: COMMIT
B: COMMIT
A: SELECT id, balance FROM accounts ORDER BY id";
// ANCHOR_END: example

/// What the test runs (holding the script while the server breaks a cycle).
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        server: Server::Postgres,
        title: "the first backend whose check finds the cycle aborts itself",
        setup: ACCOUNTS,
        script: POSTGRES,
    },
    Scenario {
        server: Server::Mariadb,
        title: "InnoDB rolls back the lighter transaction",
        setup: HEAVY,
        script: MARIADB,
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
