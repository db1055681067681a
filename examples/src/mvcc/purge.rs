//! InnoDB's undo log and purge, observed on the real MariaDB 10.11: an `UPDATE` changes the row
//! in place and keeps the old value in an undo log; a read view (a repeatable-read snapshot)
//! that is older than the change rebuilds the old value from it; and purge cannot discard undo
//! logs that an open read view may need, so the history list grows until the reader commits.
//!
//! `examples/tests/real_servers/mvcc.rs` runs the SQL below and compares what it saw (as
//! properties: the history list length is server-wide, so other sessions move it too) with
//! `examples/data/innodb-purge.txt` (`cargo xtask bless` rewrites it); this example prints
//! that file.

use crate::real_servers::print_observation;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "mvcc::innodb_purge",
    title: "Undo logs, a read view and the purge lag, on a real MariaDB 10.11",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real MariaDB did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a MariaDB server; the page shows what it did when the test last ran",
        simulation: Some("mvcc::versions"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/innodb-purge.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: sql
pub const SETUP: &str = "CREATE TABLE counters (id INT PRIMARY KEY, n INT NOT NULL)";
pub const FILL: &str = "INSERT INTO counters (id, n) VALUES (1, 0)";
/// The reader: its first consistent read opens its read view.
pub const READER: [&str; 2] =
    ["START TRANSACTION WITH CONSISTENT SNAPSHOT", "SELECT n FROM counters WHERE id = 1"];
pub const READ: &str = "SELECT n FROM counters WHERE id = 1";
/// The writer, autocommitted: each one a transaction with an undo log of its own.
pub const WRITE: &str = "UPDATE counters SET n = n + 1 WHERE id = 1";
pub const WRITES: usize = 500;
/// The length of the history list: committed transactions whose undo logs purge has not
/// yet processed (also the "History list length" of `SHOW ENGINE INNODB STATUS`).
pub const HISTORY: &str =
    "SELECT count FROM information_schema.innodb_metrics WHERE name = 'trx_rseg_history_len'";
// ANCHOR_END: sql

/// Transactions open on the server other than the asking session's: any of them may hold a
/// read view that keeps purge from the test's undo logs.
pub const OTHER_TRANSACTIONS: &str =
    "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_mysql_thread_id <> CONNECTION_ID()";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_server_did() {
        assert_eq!(run("").unwrap(), OBSERVED);
    }
}
