//! Chapter "ACID and transactions".
//!
//! * the SQL examples (`*.sql` in this folder) run on a real SQLite, after the chapter's small
//!   bank in `bank.sql`, natively and in the browser;
//! * `durability`: commits that survive closing the file, and a writer killed with SIGKILL in
//!   the middle of a transaction, in both of SQLite's journal modes (native only: files and a
//!   child process);
//! * `statement_failure` and `idle_transactions`: what the real PostgreSQL and MariaDB did
//!   (an error inside a transfer; what an idle transaction holds), as observed by
//!   `examples/tests/real_servers/`;
//! * `wal`: a write-ahead log with a modelled page cache and disk, crashed where the reader
//!   says, under the fsync policies of real databases (runs in the browser).

#[cfg(not(target_family = "wasm"))]
pub mod durability;
#[cfg(not(target_family = "wasm"))]
pub mod idle_transactions;
#[cfg(not(target_family = "wasm"))]
pub mod statement_failure;
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
    #[cfg(not(target_family = "wasm"))]
    statement_failure::EXAMPLE,
    SAVEPOINT,
    INVARIANTS,
    ONE_WRITER,
    #[cfg(not(target_family = "wasm"))]
    idle_transactions::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    durability::EXAMPLE,
    wal::EXAMPLE,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's note under "Two writers on SQLite": move B's first `SELECT` after A's `UPDATE`
    /// in the two-writer script, and memdb turns that `SELECT` away.
    #[test]
    fn a_new_reader_after_the_writers_update_is_turned_away() {
        let b_read = "B: SELECT balance FROM accounts WHERE id = 2;\n";
        let a_update = "A: UPDATE accounts SET balance = balance - 1000 WHERE id = 2;\n";
        let script = ONE_WRITER.default_input;
        assert!(script.contains(b_read) && script.contains(a_update), "the page's script changed:\n{script}");
        let moved = script.replacen(b_read, "", 1).replacen(a_update, &format!("{a_update}{b_read}"), 1);
        // What B's SELECT answered: the output from its prompt to the next one.
        let answer_to_b_read = |out: &str| -> String {
            let at = out.find("B> SELECT balance FROM accounts WHERE id = 2;").expect("B's read ran");
            let rest = &out[at + 3..];
            let end = ["\nA> ", "\nB> "]
                .iter()
                .filter_map(|p| rest.find(p))
                .min()
                .map_or(out.len(), |i| at + 3 + i);
            out[at..end].to_string()
        };
        let out = engine::run(BANK, &moved).unwrap();
        assert!(
            out.contains(
                "A> UPDATE accounts SET balance = balance - 1000 WHERE id = 2;\n1 row changed\nB> SELECT"
            ),
            "{out}"
        );
        assert!(answer_to_b_read(&out).ends_with("\nError: database is locked"), "{out}");
        // In the script as the page shows it, B reads before A writes, and its read succeeds.
        let out = engine::run(BANK, script).unwrap();
        assert!(answer_to_b_read(&out).ends_with("\n    5000\n(1 row)"), "{out}");
    }
}
