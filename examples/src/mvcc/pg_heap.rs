//! PostgreSQL's heap observed: the tuples of a table's first page through an `UPDATE` and a
//! `DELETE` (`pageinspect`), row locks stored in `xmax`, dead tuples before and after
//! `VACUUM` (`pgstattuple`), and an old snapshot that keeps `VACUUM` from removing them.
//!
//! `examples/tests/real_servers/mvcc.rs` runs the SQL below on the real PostgreSQL 15, in a
//! database of its own (so no other session's snapshot moves its horizon), names transaction
//! ids T1, T2, … in the order the test's transactions got them, and compares what it saw with
//! `examples/data/mvcc-heap.txt` (`cargo xtask bless` rewrites it); this example prints that
//! file.

use crate::real_servers::print_observation;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "mvcc::pg_heap",
    title: "xmin, xmax, ctid and VACUUM on a real PostgreSQL 15 page",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real PostgreSQL did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a PostgreSQL server; the page shows what it did when the test last ran",
        simulation: Some("mvcc::versions"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/mvcc-heap.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: sql
/// The table (autovacuum off, so that only the test's own VACUUMs run) and the extensions.
pub const SETUP: [&str; 3] = [
    "CREATE EXTENSION pageinspect",
    "CREATE EXTENSION pgstattuple",
    "CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL) WITH (autovacuum_enabled = off)",
];

/// Every line pointer of page 0 and the tuple header it points to.
pub const PAGE: &str = "SELECT lp, lp_flags, lp_off, t_xmin::text, t_xmax::text, t_ctid::text,
       t_infomask, t_infomask2, t_data
  FROM heap_page_items(get_raw_page('items', 0)) ORDER BY lp";

/// Exact counts of live and dead tuples (it reads the whole table).
pub const STATS: &str = "SELECT tuple_count, dead_tuple_count FROM pgstattuple('items')";

/// What a session sees of a row, system columns included.
pub const SYSTEM_COLUMNS: &str = "SELECT ctid::text, xmin::text, xmax::text, id, qty FROM items ORDER BY id";

/// The current transaction's id (assigning one if it has none yet).
pub const XID: &str = "SELECT pg_current_xact_id()::text";

/// Part 1: the writes, one transaction each (`begin`/`commit` are the test's).
pub const INSERT: &str = "INSERT INTO items (id, qty) VALUES (1, 10), (2, 20), (3, 30)";
pub const UPDATE: &str = "UPDATE items SET qty = 11 WHERE id = 1";
pub const DELETE: &str = "DELETE FROM items WHERE id = 2";
pub const VACUUM: &str = "VACUUM items";
pub const INSERT_AGAIN: &str = "INSERT INTO items (id, qty) VALUES (4, 40)";

/// Part 2: row locks.
pub const FOR_UPDATE: &str = "SELECT id FROM items WHERE id = 3 FOR UPDATE";
pub const FOR_SHARE: &str = "SELECT id FROM items WHERE id = 3 FOR SHARE";

/// Part 3: a report at repeatable read, and writes while it runs.
pub const REPORT_BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ";
pub const REPORT: &str = "SELECT sum(qty) FROM items";
pub const BUMP: &str = "UPDATE items SET qty = qty + 1";
// ANCHOR_END: sql

/// `t_infomask` and `t_infomask2` bits that say what happened to a tuple (hint bits, which only
/// cache a commit-log lookup, are left out): PostgreSQL's `htup_details.h`.
pub fn header_flags(infomask: u16, infomask2: u16) -> Vec<&'static str> {
    let mut flags = Vec::new();
    if infomask2 & 0x4000 != 0 {
        flags.push("hot-updated");
    }
    if infomask2 & 0x8000 != 0 {
        flags.push("heap-only");
    }
    if infomask2 & 0x2000 != 0 {
        flags.push("keys-updated");
    }
    if infomask & 0x1000 != 0 {
        flags.push("multi");
    }
    if infomask & 0x0080 != 0 {
        flags.push("lock-only");
    }
    match (infomask & 0x0040 != 0, infomask & 0x0010 != 0) {
        (true, true) => flags.push("share-lock"),
        (true, false) => flags.push("exclusive-lock"),
        (false, true) => flags.push("key-share-lock"),
        (false, false) => {}
    }
    flags
}

/// A line pointer's state (`lp_flags`): `itemid.h`.
pub fn line_pointer(flags: i16) -> &'static str {
    match flags {
        0 => "unused",
        1 => "normal",
        2 => "redirect",
        3 => "dead",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_server_did() {
        assert_eq!(run("").unwrap(), OBSERVED);
    }

    #[test]
    fn header_flags_decode_the_bits_that_matter() {
        // A HOT update's old and new tuple, as pageinspect showed them on PostgreSQL 15.
        assert_eq!(header_flags(256, 16386), ["hot-updated"]);
        assert_eq!(header_flags(10240, 32770), ["heap-only"]);
        // A delete sets keys-updated; FOR UPDATE is an exclusive lock-only xmax; FOR SHARE by
        // two sessions a multixact.
        assert_eq!(header_flags(256, 8194), ["keys-updated"]);
        assert_eq!(header_flags(0x00c0, 0x2002), ["keys-updated", "lock-only", "exclusive-lock"]);
        assert_eq!(header_flags(0x10d0, 2), ["multi", "lock-only", "share-lock"]);
    }
}
