//! Row-lock modes and which of them conflict, as the manuals state them (a model) and as the
//! real PostgreSQL 15 and MariaDB 10.11 behave: session A takes a lock on one row (explicitly, or
//! as a side effect of an `UPDATE`, a `DELETE` or a foreign-key check), session B asks for each
//! mode with `NOWAIT`, which fails at once instead of waiting.
//!
//! `examples/tests/real_servers/mvcc.rs` runs [`POSTGRES_HELD`] × [`POSTGRES_ASKED`] and
//! [`MARIADB_HELD`] × [`MARIADB_ASKED`] and compares the tables with
//! `examples/data/row-lock-modes.txt` (`cargo xtask bless` rewrites it); this example prints
//! that file, and a unit test checks it against [`conflicts`].

use crate::real_servers::print_observation;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "mvcc::lock_modes",
    title: "Row-lock conflicts, asked with NOWAIT, on a real PostgreSQL 15 and MariaDB 10.11",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real servers did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs PostgreSQL and MariaDB servers; the page shows what they did when the test last ran",
        simulation: Some("mvcc::lock_queue"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/row-lock-modes.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: model
/// PostgreSQL's four row-lock modes, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowLock {
    /// `FOR KEY SHARE`: "the key must not change or vanish" (foreign-key checks).
    KeyShare,
    /// `FOR SHARE`: "the row must not change".
    Share,
    /// `FOR NO KEY UPDATE`: taken by an `UPDATE` that changes no key column.
    NoKeyUpdate,
    /// `FOR UPDATE`: taken by `DELETE` and by an `UPDATE` of a key column.
    Update,
}

/// Whether a lock `held` by one transaction makes another's request for `asked` wait
/// (PostgreSQL's manual, "Conflicting Row-Level Locks"). Symmetric; only `KeyShare` with
/// `NoKeyUpdate` and below, and `Share` with `Share` and below, get along.
pub fn conflicts(held: RowLock, asked: RowLock) -> bool {
    use RowLock::*;
    match (held, asked) {
        (Update, _) | (_, Update) => true,
        (NoKeyUpdate, KeyShare) | (KeyShare, NoKeyUpdate) => false,
        (NoKeyUpdate, _) | (_, NoKeyUpdate) => true,
        _ => false,
    }
}

/// InnoDB has two record-lock modes: shared (S, `LOCK IN SHARE MODE` and foreign-key checks)
/// and exclusive (X, `FOR UPDATE`, `UPDATE`, `DELETE`); only S with S gets along.
pub fn innodb_conflicts(held_exclusive: bool, asked_exclusive: bool) -> bool {
    held_exclusive || asked_exclusive
}
// ANCHOR_END: model

// ANCHOR: sql
/// `parents` row 1 is the row everyone locks; `children` references it.
pub const POSTGRES_SETUP: [&str; 3] = [
    "CREATE TABLE parents (id int PRIMARY KEY, note text NOT NULL)",
    "CREATE TABLE children (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parents (id))",
    "INSERT INTO parents (id, note) VALUES (1, 'one')",
];

/// What A does (inside a transaction), and the mode the manual says it takes.
pub const POSTGRES_HELD: [(&str, RowLock); 8] = [
    ("SELECT * FROM parents WHERE id = 1 FOR KEY SHARE", RowLock::KeyShare),
    ("SELECT * FROM parents WHERE id = 1 FOR SHARE", RowLock::Share),
    ("SELECT * FROM parents WHERE id = 1 FOR NO KEY UPDATE", RowLock::NoKeyUpdate),
    ("SELECT * FROM parents WHERE id = 1 FOR UPDATE", RowLock::Update),
    ("UPDATE parents SET note = 'uno' WHERE id = 1", RowLock::NoKeyUpdate),
    ("UPDATE parents SET id = 10 WHERE id = 1", RowLock::Update),
    ("DELETE FROM parents WHERE id = 1", RowLock::Update),
    ("INSERT INTO children (id, parent_id) VALUES (1, 1)", RowLock::KeyShare),
];

/// What B asks for, without waiting.
pub const POSTGRES_ASKED: [(&str, RowLock); 4] = [
    ("SELECT id FROM parents WHERE id = 1 FOR KEY SHARE NOWAIT", RowLock::KeyShare),
    ("SELECT id FROM parents WHERE id = 1 FOR SHARE NOWAIT", RowLock::Share),
    ("SELECT id FROM parents WHERE id = 1 FOR NO KEY UPDATE NOWAIT", RowLock::NoKeyUpdate),
    ("SELECT id FROM parents WHERE id = 1 FOR UPDATE NOWAIT", RowLock::Update),
];

/// What the server says A holds (`pgrowlocks`).
pub const POSTGRES_ROW_LOCKS: &str = "SELECT array_to_string(modes, ', ') FROM pgrowlocks('parents')";

pub const MARIADB_SETUP: [&str; 3] = [
    "CREATE TABLE parents (id INT PRIMARY KEY, note VARCHAR(10) NOT NULL)",
    "CREATE TABLE children (id INT PRIMARY KEY, parent_id INT NOT NULL, \
     FOREIGN KEY (parent_id) REFERENCES parents (id))",
    "INSERT INTO parents (id, note) VALUES (1, 'one')",
];

/// What A does; whether the manual says it takes an exclusive lock on the parent row.
pub const MARIADB_HELD: [(&str, bool); 5] = [
    ("SELECT * FROM parents WHERE id = 1 LOCK IN SHARE MODE", false),
    ("SELECT * FROM parents WHERE id = 1 FOR UPDATE", true),
    ("UPDATE parents SET note = 'uno' WHERE id = 1", true),
    ("DELETE FROM parents WHERE id = 1", true),
    ("INSERT INTO children (id, parent_id) VALUES (1, 1)", false),
];

pub const MARIADB_ASKED: [(&str, bool); 2] = [
    ("SELECT id FROM parents WHERE id = 1 LOCK IN SHARE MODE NOWAIT", false),
    ("SELECT id FROM parents WHERE id = 1 FOR UPDATE NOWAIT", true),
];
// ANCHOR_END: sql

/// The column headings of the tables, in the order of the `ASKED` lists.
pub const POSTGRES_COLUMNS: [&str; 4] = ["KEY SHARE", "SHARE", "NO KEY UPD", "UPDATE"];
pub const MARIADB_COLUMNS: [&str; 2] = ["SHARE MODE", "FOR UPDATE"];

/// A table cell: the request went through, or failed at once because the row was locked.
pub const GRANTED: &str = "ok";
pub const REFUSED: &str = "busy";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_servers_did() {
        assert_eq!(run("").unwrap(), OBSERVED);
    }

    #[test]
    fn the_model_is_the_manuals_table() {
        use RowLock::*;
        let all = [KeyShare, Share, NoKeyUpdate, Update];
        // The manual's table, row by row: an X where the two conflict.
        let manual = ["   X", "  XX", " XXX", "XXXX"];
        for (i, held) in all.iter().enumerate() {
            let row: String =
                all.iter().map(|asked| if conflicts(*held, *asked) { 'X' } else { ' ' }).collect();
            assert_eq!(row, manual[i], "{held:?}");
            for asked in all {
                assert_eq!(conflicts(*held, asked), conflicts(asked, *held));
            }
        }
    }

    /// The cells of the observed table whose row starts with `statement`.
    fn observed_row(statement: &str) -> Vec<String> {
        let line = OBSERVED
            .lines()
            .skip_while(|l| !l.starts_with(statement))
            .nth(1)
            .unwrap_or_else(|| panic!("no row for {statement} in the data file"));
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn the_servers_agree_with_the_model() {
        let cell = |conflict: bool| if conflict { REFUSED } else { GRANTED };
        for (statement, held) in POSTGRES_HELD {
            let row = observed_row(&format!("  {statement}"));
            let expected: Vec<&str> =
                POSTGRES_ASKED.iter().map(|(_, asked)| cell(conflicts(held, *asked))).collect();
            assert_eq!(row[row.len() - 4..], expected, "{statement}");
        }
        for (statement, held) in MARIADB_HELD {
            let row = observed_row(&format!("  {statement}"));
            let expected: Vec<&str> =
                MARIADB_ASKED.iter().map(|(_, asked)| cell(innodb_conflicts(held, *asked))).collect();
            assert_eq!(row[row.len() - 2..], expected, "{statement}");
        }
    }
}
