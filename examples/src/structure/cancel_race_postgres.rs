//! Two requests cancel the same order at once, each on its own connection to a real PostgreSQL
//! 15: the read-check-write `cancel` at read committed (both succeed), the conditional `UPDATE …
//! WHERE cancelled = 0` (one row, then zero), the read-check-write at repeatable read (a
//! serialization failure) and with `SELECT … FOR UPDATE` (the second reader waits and sees the
//! cancellation). The steps are interleaved explicitly; a statement that blocks is seen waiting
//! by the server's own word (`pg_blocking_pids`) before the script goes on.
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and compares what the server did with
//! `examples/data/structure-cancel-race.txt` (`cargo xtask bless` rewrites it); this example
//! prints that file.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "structure::cancel_race_postgres",
    title: "Two cancels of one order on two connections, on a real PostgreSQL 15",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real PostgreSQL did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a PostgreSQL server; the page shows what the server did when the test last ran",
        simulation: None,
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/structure-cancel-race.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
const ORDERS: &str = "CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, cents int NOT NULL,
    cancelled int NOT NULL DEFAULT 0);
INSERT INTO orders (id, customer, cents) VALUES (1, 'acme', 1999);";

/// Each request reads the order, sees it placed (0), and writes: the check is in the application.
const READ_CHECK_WRITE: &str = "
A: BEGIN ISOLATION LEVEL READ COMMITTED
A: SELECT cancelled FROM orders WHERE id = 1
B: BEGIN ISOLATION LEVEL READ COMMITTED
B: SELECT cancelled FROM orders WHERE id = 1
A: UPDATE orders SET cancelled = 1 WHERE id = 1
B: UPDATE orders SET cancelled = 1 WHERE id = 1
A: COMMIT
B: COMMIT";

/// The same two requests with the check inside the write (`cancel_if_placed`).
const CONDITIONAL: &str = "
A: BEGIN ISOLATION LEVEL READ COMMITTED
A: SELECT cancelled FROM orders WHERE id = 1
B: BEGIN ISOLATION LEVEL READ COMMITTED
B: SELECT cancelled FROM orders WHERE id = 1
A: UPDATE orders SET cancelled = 1 WHERE id = 1 AND cancelled = 0
B: UPDATE orders SET cancelled = 1 WHERE id = 1 AND cancelled = 0
A: COMMIT
B: COMMIT";
// ANCHOR_END: example

/// Read-check-write at repeatable read: B's write waits for A, then fails.
const REPEATABLE_READ: &str = "
A: BEGIN ISOLATION LEVEL REPEATABLE READ
A: SELECT cancelled FROM orders WHERE id = 1
B: BEGIN ISOLATION LEVEL REPEATABLE READ
B: SELECT cancelled FROM orders WHERE id = 1
A: UPDATE orders SET cancelled = 1 WHERE id = 1
B: UPDATE orders SET cancelled = 1 WHERE id = 1
A: COMMIT
B: ROLLBACK";

/// Read-check-write with the row locked by the read: B's read waits, then sees A's write.
const FOR_UPDATE: &str = "
A: BEGIN ISOLATION LEVEL READ COMMITTED
A: SELECT cancelled FROM orders WHERE id = 1 FOR UPDATE
B: BEGIN ISOLATION LEVEL READ COMMITTED
B: SELECT cancelled FROM orders WHERE id = 1 FOR UPDATE
A: UPDATE orders SET cancelled = 1 WHERE id = 1
A: COMMIT
B: ROLLBACK";

/// What the test runs, in the order the file shows them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        server: Server::Postgres,
        title: "read committed: read, check in the application, write",
        setup: ORDERS,
        script: READ_CHECK_WRITE,
    },
    Scenario {
        server: Server::Postgres,
        title: "read committed: the conditional UPDATE",
        setup: ORDERS,
        script: CONDITIONAL,
    },
    Scenario {
        server: Server::Postgres,
        title: "repeatable read: read, check in the application, write",
        setup: ORDERS,
        script: REPEATABLE_READ,
    },
    Scenario {
        server: Server::Postgres,
        title: "read committed: the read with FOR UPDATE",
        setup: ORDERS,
        script: FOR_UPDATE,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_server_did_and_its_scenarios_parse() {
        assert_eq!(run("").unwrap(), OBSERVED);
        for scenario in SCENARIOS {
            scenario.lines().unwrap();
        }
    }
}
