//! What an idle transaction holds back on PostgreSQL 15, as `pg_stat_activity` reports it: the
//! chapter's table "What an open transaction holds back", checked on the real server.
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and compares what the server did with
//! `examples/data/idle-transactions.txt` (`cargo xtask bless` rewrites it); this example
//! prints that file.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "acid::idle_transactions",
    title: "Three idle transactions in pg_stat_activity, on a real PostgreSQL 15",
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
pub const OBSERVED: &str = include_str!("../../data/idle-transactions.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
/// `held(pid)`: what session `pid` holds back, as `pg_stat_activity` reports it: a transaction
/// id (`backend_xid`) and a snapshot's horizon (`backend_xmin`), either of which keeps VACUUM
/// from removing the row versions it may need.
const SETUP: &str = "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
INSERT INTO accounts (id, balance) VALUES (1, 10000), (2, 5000), (3, 0);
CREATE FUNCTION held(session int) RETURNS TABLE (xid boolean, xmin boolean) LANGUAGE sql
    AS 'SELECT backend_xid IS NOT NULL, backend_xmin IS NOT NULL FROM pg_stat_activity WHERE pid = session';";
// ANCHOR_END: example

/// Each session opens a transaction, runs one statement and sits idle; a fourth connection
/// asks what it holds.
const IDLE: &str = "
A: BEGIN ISOLATION LEVEL READ COMMITTED
A: SELECT count(*) FROM accounts
monitor: SELECT * FROM held({A})
B: BEGIN ISOLATION LEVEL READ COMMITTED
B: UPDATE accounts SET balance = balance - 1000 WHERE id = 1
monitor: SELECT * FROM held({B})
C: BEGIN ISOLATION LEVEL REPEATABLE READ
C: SELECT count(*) FROM accounts
monitor: SELECT * FROM held({C})";

/// What the test runs.
pub const SCENARIOS: &[Scenario] =
    &[Scenario { server: Server::Postgres, title: "three idle transactions", setup: SETUP, script: IDLE }];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_server_did_and_its_scenario_parses() {
        assert_eq!(run("").unwrap(), OBSERVED);
        SCENARIOS[0].lines().unwrap();
    }
}
