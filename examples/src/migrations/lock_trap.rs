//! The lock trap of `ALTER TABLE`, as a real PostgreSQL 15 showed it.
//!
//! The SQL of every scenario is here, as constants; `examples/tests/real_servers/migrations.rs` runs
//! them on PostgreSQL (one connection per session, a thread for each session that blocks),
//! watches `pg_locks` and `pg_blocking_pids()` from a fourth connection, and compares what it
//! saw with `examples/data/migrations-lock-trap.txt` (`EXAMPLES_BLESS=1` rewrites it). This
//! example prints that file, so the page shows what the server did, not what we expect of it.

use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "migrations::lock_trap",
    title: "An ALTER TABLE in the lock queue, on a real PostgreSQL 15",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real PostgreSQL did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a PostgreSQL server; the page shows what the server did when the test last ran",
        simulation: Some("migrations::runner"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/migrations.rs` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/migrations-lock-trap.txt");

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    Ok(OBSERVED.to_string())
}

/// The name the rendering uses for the table; the test runs on a unique name per run and
/// writes this one in its place.
pub const TABLE: &str = "bf_mig_accounts";

/// `template` with `{table}` replaced.
pub fn sql(template: &str, table: &str) -> String {
    template.replace("{table}", table)
}

// ANCHOR: queue
/// A table with some rows.
pub const SETUP: &str = "CREATE TABLE {table} (id int PRIMARY KEY, balance int NOT NULL);
INSERT INTO {table} SELECT g, 100 FROM generate_series(1, 1000) AS g";

/// Session 1: a transaction that has read the table and is still open (a report, a request
/// that does slow work between statements, an idle-in-transaction connection). Its read holds
/// ACCESS SHARE on the table until the transaction ends.
pub const READER: [&str; 2] = ["BEGIN", "SELECT count(*) FROM {table}"];

/// Session 2: the migration. ADD COLUMN needs ACCESS EXCLUSIVE, which conflicts with ACCESS SHARE.
pub const MIGRATION: &str = "ALTER TABLE {table} ADD COLUMN note text";

/// Session 3: any later query on the table; its ACCESS SHARE conflicts with the ALTER's
/// queued ACCESS EXCLUSIVE request, so it waits behind it.
pub const LATE_READER: &str = "SELECT count(*) FROM {table}";

/// Session 4 watches: every lock on the table, and who blocks whom.
pub const LOCKS: &str = "SELECT pid, mode, granted FROM pg_locks
WHERE locktype = 'relation' AND relation = '{table}'::regclass";
pub const BLOCKERS: &str = "SELECT pg_blocking_pids($1)";

/// The remedy: the migration gives up quickly instead of stalling the table, and retries.
pub const LOCK_TIMEOUT: &str = "SET lock_timeout = '100ms'";
// ANCHOR_END: queue

// ANCHOR: extras
/// `CREATE INDEX CONCURRENTLY` cannot run inside a transaction block (SQLSTATE 25001).
pub const CONCURRENTLY_IN_TRANSACTION: [&str; 2] =
    ["BEGIN", "CREATE INDEX CONCURRENTLY {table}_balance ON {table} (balance)"];

/// A failed `CREATE UNIQUE INDEX CONCURRENTLY` leaves an INVALID index behind.
pub const CONCURRENTLY_FAILS: &str =
    "CREATE UNIQUE INDEX CONCURRENTLY {table}_balance_unique ON {table} (balance)";
pub const INDEX_VALID: &str =
    "SELECT indisvalid FROM pg_index WHERE indexrelid = '{table}_balance_unique'::regclass";
pub const DROP_INVALID: &str = "DROP INDEX CONCURRENTLY {table}_balance_unique";

/// Which lock each statement takes, read inside its own transaction from `pg_locks`.
pub const LOCK_MODES: [&str; 4] = [
    "CREATE INDEX {table}_by_balance ON {table} (balance)",
    "ALTER TABLE {table} ADD CONSTRAINT {table}_balance_positive CHECK (balance > 0) NOT VALID",
    "ALTER TABLE {table} VALIDATE CONSTRAINT {table}_balance_positive",
    "ALTER TABLE {table} ADD COLUMN flags int NOT NULL DEFAULT 0",
];
pub const OWN_LOCKS: &str = "SELECT DISTINCT mode FROM pg_locks
WHERE locktype = 'relation' AND relation = '{table}'::regclass AND pid = pg_backend_pid()";

/// A constant default is stored once in the catalog (no rewrite since PostgreSQL 11); a
/// volatile one must be computed per row, so the table is rewritten into a new file.
pub const ADD_COLUMN_DEFAULTS: [&str; 2] = [
    "ALTER TABLE {table} ADD COLUMN region int NOT NULL DEFAULT 0",
    "ALTER TABLE {table} ADD COLUMN jitter double precision DEFAULT random()",
];
pub const FILENODE: &str = "SELECT pg_relation_filenode('{table}')";
// ANCHOR_END: extras

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_server_did_and_takes_no_input() {
        assert_eq!(run("\n# nothing to say\n").unwrap(), OBSERVED);
        assert_eq!(
            run("# comment\nx = 1").unwrap_err().to_string(),
            "input line 2: this example takes no input"
        );
    }
}
