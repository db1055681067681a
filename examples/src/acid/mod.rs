//! Chapter "ACID and transactions".
//!
//! * the SQL examples (`*.sql` in this folder) run on a real SQLite, after the chapter's small
//!   bank in `bank.sql`, natively and in the browser;
//! * `durability`: commits that survive closing the file, and a writer killed with SIGKILL in
//!   the middle of a transaction, in both of SQLite's journal modes (native only: files and a
//!   child process);
//! * `wal`: a write-ahead log with a modelled page cache and disk, crashed where the reader
//!   says, under the fsync policies of real databases (runs in the browser).

#[cfg(not(target_family = "wasm"))]
pub mod durability;
pub mod wal;

use crate::registry::{Example, Run, Runs};
use crate::sql::{engine, sql_example, statements};

/// The schema and data every SQL example of the chapter starts from.
pub const BANK: &str = statements(include_str!("bank.sql"));

const SQL_INPUT_HELP: &str = "SQL statements separated by `;` (SQLite dialect), run on the bank of `bank.sql`; `--` starts a comment. In a two-session script, start each line with `A:` or `B:`.";

/// The schema itself: the page shows `bank.sql`; the input lists what is in it.
pub const SCHEMA: Example = Example {
    id: "acid::bank",
    title: "The bank every example of this chapter starts from",
    file: "examples/src/acid/bank.sql",
    default_input: "SELECT * FROM accounts;\nSELECT count(*) AS transfers FROM transfers;\n",
    input_help: SQL_INPUT_HELP,
    runs: Runs::Everywhere,
    run: Run::Text(|input| engine::run(BANK, input)),
};

sql_example!(
    TRANSFER,
    "acid::transfer",
    "acid",
    "transfer.sql",
    "An atomic transfer: rolled back on error, committed whole",
    setup: BANK,
    help: SQL_INPUT_HELP
);
sql_example!(
    IGNORED_ERROR,
    "acid::ignored_error",
    "acid",
    "ignored_error.sql",
    "Commit after an ignored error: half a transfer",
    setup: BANK,
    help: SQL_INPUT_HELP
);
sql_example!(
    SAVEPOINT,
    "acid::savepoint",
    "acid",
    "savepoint.sql",
    "Savepoints: undo one step, keep the transaction",
    setup: BANK,
    help: SQL_INPUT_HELP
);
sql_example!(
    INVARIANTS,
    "acid::invariants",
    "acid",
    "invariants.sql",
    "What constraints enforce, and what they cannot",
    setup: BANK,
    help: SQL_INPUT_HELP
);
sql_example!(
    ONE_WRITER,
    "acid::one_writer",
    "acid",
    "one_writer.sql",
    "Two writers on SQLite: one write lock, \"database is locked\"",
    setup: BANK,
    help: SQL_INPUT_HELP
);

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[Example] = &[
    SCHEMA,
    TRANSFER,
    IGNORED_ERROR,
    SAVEPOINT,
    INVARIANTS,
    ONE_WRITER,
    #[cfg(not(target_family = "wasm"))]
    durability::EXAMPLE,
    wal::EXAMPLE,
];
