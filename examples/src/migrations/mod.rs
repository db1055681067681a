//! Chapter "Schema migrations: up/down, expand/contract".
//!
//! * `runner`: a versioned migration runner on real SQLite (history table, checksums, one
//!   transaction per migration, refusals), and the interactive example built on it;
//! * `sqlite_alter.sql`: what SQLite's `ALTER TABLE` can do, and the table rebuild for the rest;
//! * `expand_contract`: a column rename done in steps, checked against four application
//!   versions at every step, and the one-step rename that breaks the old version;
//! * `lock_trap`: what a real PostgreSQL 15 did when an `ALTER TABLE` queued behind a reader
//!   (recorded by `examples/tests/real_servers/migrations.rs`, shown natively only).

pub mod expand_contract;
#[cfg(not(target_family = "wasm"))]
pub mod lock_trap;
pub mod runner;

use crate::registry::{Example, Run, Runs};

/// SQLite's `ALTER TABLE`: what it can do in place, and the rebuild for everything else.
pub const SQLITE_ALTER: Example = Example {
    id: "migrations::sqlite_alter",
    title: "What SQLite can ALTER, and the table rebuild for the rest",
    file: "examples/src/migrations/sqlite_alter.sql",
    default_input: crate::sql::statements(include_str!("sqlite_alter.sql")),
    input_help: "SQL statements separated by `;` (SQLite dialect), run on the shop database of the SQL examples.",
    runs: Runs::Everywhere,
    run: Run::Text(|input| crate::sql::engine::run(crate::sql::SHOP, input)),
};

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    runner::EXAMPLE,
    SQLITE_ALTER,
    expand_contract::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    lock_trap::EXAMPLE,
];

/// What the chapter says about SQLite's `ALTER TABLE`, checked on the SQLite the book links
/// (the page's SQL example shows the same forms running on the shop database).
#[cfg(test)]
mod sqlite_alter_tests {
    use rusqlite::Connection;

    fn shop() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::sql::SHOP).unwrap();
        conn
    }

    /// The error SQLite gives for `sql` on a fresh shop, or `None` if it succeeds.
    fn refusal(sql: &str) -> Option<String> {
        shop().execute_batch(sql).err().map(|err| crate::sql::engine::message(&err))
    }

    #[test]
    fn the_book_runs_sqlite_3_54_or_later() {
        // 3.53 added ADD CONSTRAINT CHECK and SET/DROP NOT NULL; DROP CONSTRAINT of a foreign key,
        // which a test below runs, came in 3.54.
        let version = rusqlite::version_number();
        assert!(version >= 3_054_000, "SQLite {} cannot drop a foreign key constraint", rusqlite::version());
    }

    #[test]
    fn constraints_added_in_place_are_checked_against_existing_rows() {
        // Order 3 is 12000 cents; nothing is 0 or less; no customer has a NULL city.
        assert_eq!(
            refusal("ALTER TABLE orders ADD CONSTRAINT c CHECK (total < 10000)").as_deref(),
            Some("constraint failed")
        );
        assert_eq!(refusal("ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0)"), None);
        assert_eq!(refusal("ALTER TABLE orders ADD CHECK (total > 0)"), None, "the name is optional");
        assert_eq!(
            refusal("ALTER TABLE customers ALTER COLUMN city DROP NOT NULL; UPDATE customers SET city = NULL WHERE id = 1; ALTER TABLE customers ALTER COLUMN city SET NOT NULL").as_deref(),
            Some("constraint failed")
        );
        // A CHECK that is NULL for a row passes, as CHECK constraints always do.
        assert_eq!(refusal("ALTER TABLE orders ADD CHECK (NULL)"), None);
        // There is no NOT VALID: the scan cannot be skipped.
        assert!(
            refusal("ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0) NOT VALID")
                .unwrap()
                .contains("syntax error")
        );
    }

    #[test]
    fn named_constraints_can_be_dropped_except_keys() {
        let conn = shop();
        conn.execute_batch(
            "CREATE TABLE t (a INTEGER CONSTRAINT pk PRIMARY KEY, b CONSTRAINT u UNIQUE,
                             c CONSTRAINT fk REFERENCES customers (id), d CONSTRAINT nn NOT NULL,
                             CONSTRAINT ck CHECK (a > 0))",
        )
        .unwrap();
        for dropped in ["fk", "nn", "ck"] {
            conn.execute_batch(&format!("ALTER TABLE t DROP CONSTRAINT {dropped}")).unwrap();
        }
        for kept in ["pk", "u"] {
            let err = conn.execute_batch(&format!("ALTER TABLE t DROP CONSTRAINT {kept}")).unwrap_err();
            assert_eq!(crate::sql::engine::message(&err), format!("constraint may not be dropped: {kept}"));
        }
    }

    /// A declared type is an affinity: the INTEGER column keeps '12.50' as a REAL, and the
    /// rebuild's copy into a STRICT table refuses that row, so the cleanup comes first.
    #[test]
    fn a_strict_rebuild_refuses_to_copy_a_row_of_the_wrong_type() {
        let conn = shop();
        conn.execute_batch(
            "INSERT INTO orders (id, customer_id, total, placed_on) VALUES (7, 1, '12.50', '2026-04-01')",
        )
        .unwrap();
        let kind: String =
            conn.query_row("SELECT typeof(total) FROM orders WHERE id = 7", [], |row| row.get(0)).unwrap();
        assert_eq!(kind, "real");
        let err = conn
            .execute_batch(
                "CREATE TABLE orders_new (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL,
                                          total INTEGER NOT NULL, placed_on TEXT NOT NULL) STRICT;
                 INSERT INTO orders_new SELECT id, customer_id, total, placed_on FROM orders;",
            )
            .unwrap_err();
        assert_eq!(
            crate::sql::engine::message(&err),
            "cannot store REAL value in INTEGER column orders_new.total"
        );
    }

    /// Why the rebuild turns foreign keys off before `BEGIN` (step 1): inside a transaction the
    /// pragma does nothing, without an error.
    #[test]
    fn foreign_keys_cannot_be_switched_inside_a_transaction() {
        let conn = shop();
        conn.execute_batch("PRAGMA foreign_keys = ON; BEGIN; PRAGMA foreign_keys = OFF;").unwrap();
        let on: i64 = conn.query_row("PRAGMA foreign_keys", [], |row| row.get(0)).unwrap();
        assert_eq!(on, 1);
    }

    /// The changes the page says still need the twelve-step rebuild: ALTER TABLE has no form
    /// for them at all.
    #[test]
    fn types_keys_and_defaults_still_need_the_rebuild() {
        for sql in [
            "ALTER TABLE orders ALTER COLUMN total TYPE TEXT",
            "ALTER TABLE orders ALTER COLUMN total SET DATA TYPE TEXT",
            "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id)",
            "ALTER TABLE orders ADD CONSTRAINT u UNIQUE (placed_on)",
            "ALTER TABLE orders ADD PRIMARY KEY (id)",
            "ALTER TABLE orders ALTER COLUMN total SET DEFAULT 0",
            "ALTER TABLE orders ALTER COLUMN total DROP DEFAULT",
        ] {
            let refused =
                refusal(sql).unwrap_or_else(|| panic!("SQLite now accepts {sql}: update the chapter"));
            assert!(refused.contains("syntax error"), "{sql}: {refused}");
        }
    }
}
