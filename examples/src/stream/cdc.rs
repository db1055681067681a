//! Change data capture from PostgreSQL's write-ahead log: the script that
//! `examples/tests/real_servers/cdc.rs` runs against a table in a schema of its own, with a
//! logical replication slot that decodes the WAL through the `test_decoding` output plugin
//! (a contrib module shipped with PostgreSQL; only `pgoutput` is in core), and the normalisation of what the slot returns (transaction ids become names, LSNs
//! are compared, never printed). The test needs the library's script and normaliser; the
//! example prints what it observed.

use std::collections::BTreeMap;

use crate::registry::{Example, Run, Runs};

pub const CDC: Example = Example {
    id: "stream::cdc_postgres",
    title: "Change data capture from PostgreSQL's WAL: a logical slot and test_decoding",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real server did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a PostgreSQL server with wal_level = logical; the page shows what it did",
        simulation: None,
    },
    run: Run::Text(super::observed::cdc),
};

/// One step of the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Do {
    /// A statement in a session (`A` runs in autocommit; `X`, `Y`, `Z` run explicit
    /// transactions, named after the session once they have a transaction id).
    Sql(&'static str, &'static str),
    /// `pg_logical_slot_peek_changes`: read without consuming.
    Peek(&'static str),
    /// `pg_logical_slot_get_changes`: read and move the slot's confirmed position past it.
    Get(&'static str),
}

// ANCHOR: script
/// The slot is created first (`pg_create_logical_replication_slot(<slot>, 'test_decoding')`),
/// right after `CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance int)`.
pub const SCRIPT: &[Do] = &[
    Do::Sql("A", "INSERT INTO accounts VALUES (1, 'alice', 100), (2, 'bob', 50), (3, 'carol', 70)"),
    Do::Sql("A", "UPDATE accounts SET balance = 120 WHERE id = 1"),
    Do::Sql("A", "DELETE FROM accounts WHERE id = 3"),
    Do::Peek("peek: three transactions, each between BEGIN and COMMIT"),
    Do::Peek("peek again: the same changes (peek does not consume)"),
    Do::Get("get: the same changes, now consumed"),
    Do::Get("get again"),
    Do::Sql("A", "ALTER TABLE accounts REPLICA IDENTITY FULL"),
    Do::Sql("A", "UPDATE accounts SET balance = 60 WHERE id = 2"),
    Do::Sql("A", "DELETE FROM accounts WHERE id = 2"),
    Do::Get("get, after REPLICA IDENTITY FULL"),
    Do::Sql("X", "BEGIN"),
    Do::Sql("X", "INSERT INTO accounts VALUES (10, 'dave', 5)"),
    Do::Sql("Y", "BEGIN"),
    Do::Sql("Y", "INSERT INTO accounts VALUES (20, 'erin', 7)"),
    Do::Sql("Y", "COMMIT"),
    Do::Sql("X", "INSERT INTO accounts VALUES (11, 'frank', 9)"),
    Do::Sql("X", "COMMIT"),
    Do::Sql("Z", "BEGIN"),
    Do::Sql("Z", "INSERT INTO accounts VALUES (99, 'mallory', 1000000)"),
    Do::Sql("Z", "ROLLBACK"),
    Do::Get("get: X began first and commits last; Z rolled back"),
];
// ANCHOR_END: script

// ANCHOR: normalise
/// Turns a slot's rows `(xid, data)` into the lines the book shows: only the transactions that
/// touch `schema` (the slot sees the whole database), whole, in the order the slot returned
/// them; `schema` printed as `shop`; each transaction id replaced by its session's name from
/// `known`, or by `T1`, `T2`… in order of appearance (`next` numbers them across calls).
pub fn normalise(
    rows: &[(String, String)],
    schema: &str,
    known: &BTreeMap<String, String>,
    names: &mut BTreeMap<String, String>,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let xid = &rows[i].0;
        let mut j = i;
        while j < rows.len() && &rows[j].0 == xid {
            j += 1;
        }
        let ours = rows[i..j].iter().any(|(_, d)| d.starts_with(&format!("table {schema}.")));
        if ours {
            let next = names.len() + 1;
            let name = known
                .get(xid)
                .cloned()
                .unwrap_or_else(|| names.entry(xid.clone()).or_insert_with(|| format!("T{next}")).clone());
            for (_, data) in &rows[i..j] {
                let line = data.replace(&format!("table {schema}."), "table shop.");
                let line = match line.split_once(' ') {
                    Some((word @ ("BEGIN" | "COMMIT"), id)) if id == xid.as_str() => format!("{word} {name}"),
                    _ => line,
                };
                lines.push(line);
            }
        }
        i = j;
    }
    lines
}
// ANCHOR_END: normalise

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactions_are_named_and_others_left_out() {
        let row = |x: &str, d: &str| (x.to_string(), d.to_string());
        let rows = vec![
            row("700", "BEGIN 700"),
            row("700", "table cdc_1.accounts: INSERT: id[integer]:1"),
            row("700", "COMMIT 700"),
            row("701", "BEGIN 701"),
            row("701", "table other.t: INSERT: id[integer]:1"),
            row("701", "COMMIT 701"),
            row("702", "BEGIN 702"),
            row("702", "table cdc_1.accounts: DELETE: id[integer]:1"),
            row("702", "COMMIT 702"),
        ];
        let known = BTreeMap::from([("702".to_string(), "X".to_string())]);
        let mut names = BTreeMap::new();
        assert_eq!(
            normalise(&rows, "cdc_1", &known, &mut names),
            [
                "BEGIN T1",
                "table shop.accounts: INSERT: id[integer]:1",
                "COMMIT T1",
                "BEGIN X",
                "table shop.accounts: DELETE: id[integer]:1",
                "COMMIT X"
            ]
        );
    }
}
