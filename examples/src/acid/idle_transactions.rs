//! What an idle transaction holds back on PostgreSQL 15, as `pg_stat_activity` reports it: the
//! chapter's table "What an open transaction holds back", checked on the real server.
//!
//! `examples/tests/real_servers.rs` runs [`SCENARIOS`] and compares what the server did with
//! `examples/data/idle-transactions.txt` (`cargo xtask bless` rewrites it); this example
//! prints that file.

use super::statement_failure::BANK_TABLES;
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

/// What `examples/tests/real_servers.rs` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/idle-transactions.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
/// Each session opens a transaction, runs one statement and sits idle; a fourth connection
/// asks the server what it holds: a transaction id (`backend_xid`) and a snapshot's horizon
/// (`backend_xmin`), either of which keeps VACUUM from removing row versions.
const IDLE: &str = "
A: BEGIN ISOLATION LEVEL READ COMMITTED
A: SELECT count(*) FROM accounts
monitor: SELECT backend_xid IS NOT NULL AS xid, backend_xmin IS NOT NULL AS xmin FROM pg_stat_activity WHERE pid = {A}
B: BEGIN ISOLATION LEVEL READ COMMITTED
B: UPDATE accounts SET balance = balance - 1000 WHERE id = 1
monitor: SELECT backend_xid IS NOT NULL AS xid, backend_xmin IS NOT NULL AS xmin FROM pg_stat_activity WHERE pid = {B}
C: BEGIN ISOLATION LEVEL REPEATABLE READ
C: SELECT count(*) FROM accounts
monitor: SELECT backend_xid IS NOT NULL AS xid, backend_xmin IS NOT NULL AS xmin FROM pg_stat_activity WHERE pid = {C}";
// ANCHOR_END: example

/// What the test runs.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    server: Server::Postgres,
    title: "read committed after a read, read committed after a write, repeatable read after a read",
    setup: BANK_TABLES,
    script: IDLE,
}];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_server_did_and_its_scenario_parses() {
        assert_eq!(run("").unwrap(), OBSERVED);
        SCENARIOS[0].lines().unwrap();
    }
}
