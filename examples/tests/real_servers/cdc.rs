//! The stream-processing chapter's change data capture on the shared PostgreSQL 15 (needs
//! `wal_level = logical`, which `.ci/run` sets): a table in a schema of the test's own, a
//! logical replication slot of its own with the `test_decoding` plugin (a contrib module shipped with PostgreSQL), and the
//! script of `examples::stream::cdc`, read with `pg_logical_slot_peek_changes` and
//! `pg_logical_slot_get_changes`. The slot is dropped at the end, also when a check fails: a
//! forgotten slot keeps every WAL segment from its restart point on, until the disk fills.

use std::collections::BTreeMap;
use std::fmt::Write;

use examples::real_servers::Server;
use examples::stream::cdc::{Do, SCRIPT, normalise};

use super::harness::{compare_or_bless, connect_postgres, unique_name, unreachable};

const FILE: &str = "cdc-test-decoding.txt";

/// Drops the slot and the schema on the way out, whatever happened.
struct Cleanup {
    slot: String,
    schema: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Ok(mut pg) = connect_postgres() {
            if let Err(e) = pg.execute(
                "SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1",
                &[&self.slot],
            ) {
                eprintln!("could not drop replication slot {}: {e}", self.slot);
            }
            let _ = pg.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

fn position(pg: &mut postgres::Client, slot: &str) -> Result<(String, String), String> {
    let row = pg
        .query_one("SELECT confirmed_flush_lsn::text, restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1", &[&slot])
        .map_err(|e| e.to_string())?;
    Ok((row.get(0), row.get(1)))
}

fn observe() -> Result<String, String> {
    let mut pg = connect_postgres()?;
    let wal_level: String = pg.query_one("SHOW wal_level", &[]).map_err(|e| e.to_string())?.get(0);
    if wal_level != "logical" {
        return Err(format!("wal_level is {wal_level}, not logical (.ci/run sets it; it takes a restart)"));
    }
    let schema = unique_name("cdc");
    let slot = unique_name("bf_cdc");
    let _cleanup = Cleanup { slot: slot.clone(), schema: schema.clone() };
    pg.batch_execute(&format!(
        "CREATE SCHEMA {schema}; CREATE TABLE {schema}.accounts (id int PRIMARY KEY, owner text, balance int)"
    ))
    .map_err(|e| e.to_string())?;
    // Creating a logical slot waits for the transactions running now to end (it needs a
    // consistent starting point); a bound keeps a stuck neighbour from hanging the test.
    pg.batch_execute("SET statement_timeout = '60s'").map_err(|e| e.to_string())?;
    pg.execute("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", &[&slot])
        .map_err(|e| e.to_string())?;
    let mut sessions: BTreeMap<&str, postgres::Client> = BTreeMap::new();
    for name in ["A", "X", "Y", "Z"] {
        let mut c = connect_postgres()?;
        c.batch_execute(&format!("SET search_path = {schema}")).map_err(|e| e.to_string())?;
        sessions.insert(name, c);
    }
    let mut known: BTreeMap<String, String> = BTreeMap::new();
    let mut names = BTreeMap::new();
    let mut out = String::from(
        "# What PostgreSQL 15 did (examples/tests/real_servers/cdc.rs): a logical replication slot with the\n\
         # test_decoding plugin (contrib, shipped with PostgreSQL), over tables `accounts` and `docs` in a schema of the test's own (shown as shop).\n\
         # Transaction ids are replaced by the session's name (X, Y, Z) or T1, T2… in order; LSNs are compared, not shown.\n\n",
    );
    let mut z_xid = None;
    for step in SCRIPT {
        match *step {
            Do::Sql(session, sql) => {
                let c = sessions.get_mut(session).unwrap();
                c.batch_execute(sql).map_err(|e| format!("{session}: {sql}: {e}"))?;
                writeln!(out, "{session}: {sql}").unwrap();
                if session != "A" && !matches!(sql, "BEGIN" | "COMMIT" | "ROLLBACK") {
                    let xid: Option<String> = c
                        .query_one("SELECT pg_current_xact_id_if_assigned()::text", &[])
                        .map_err(|e| e.to_string())?
                        .get(0);
                    if let Some(xid) = xid {
                        if session == "Z" {
                            z_xid = Some(xid.clone());
                        }
                        known.insert(xid, session.to_string());
                    }
                }
            }
            Do::Peek(caption) | Do::Get(caption) => {
                let consume = matches!(step, Do::Get(_));
                let before = position(&mut pg, &slot)?;
                let function =
                    if consume { "pg_logical_slot_get_changes" } else { "pg_logical_slot_peek_changes" };
                let rows: Vec<(String, String)> = pg
                    .query(
                        &format!(
                            "SELECT xid::text, data FROM {function}($1, NULL, NULL, 'skip-empty-xacts', '1')"
                        ),
                        &[&slot],
                    )
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect();
                if let Some(z) = &z_xid
                    && rows.iter().any(|(x, _)| x == z)
                {
                    return Err(format!("the rolled-back transaction {z} was decoded"));
                }
                let lines = normalise(&rows, &schema, &known, &mut names);
                let after = position(&mut pg, &slot)?;
                writeln!(out, "\n-- {function}: {caption}").unwrap();
                if lines.is_empty() {
                    out.push_str("   (no changes for this table)\n");
                }
                for line in &lines {
                    writeln!(out, "   {line}").unwrap();
                }
                // Other tests write to the same database, and a get consumes their changes
                // too, so only what cannot depend on them is shown: a peek never moves the
                // slot, a get that returned something always does.
                if !consume {
                    writeln!(out, "   the slot's confirmed_flush_lsn: unchanged").unwrap();
                } else if !lines.is_empty() {
                    if before.0 == after.0 {
                        return Err(format!("get returned changes but the slot stayed at {}", after.0));
                    }
                    writeln!(out, "   the slot's confirmed_flush_lsn: moved past them").unwrap();
                }
                out.push('\n');
                // A peek must not move the slot; a get of something must.
                if !consume && before.0 != after.0 {
                    return Err(format!("peek moved the slot: {before:?} → {after:?}"));
                }
            }
        }
    }
    if let Some(z) = &z_xid {
        writeln!(
            out,
            "\nZ had a transaction id ({}), and nothing of it was decoded.",
            if known.contains_key(z) { "Z" } else { "?" }
        )
        .unwrap();
    }
    // Unchanged TOASTed values: a value stored out of line (here 10,000 characters with
    // STORAGE EXTERNAL, which skips compression) is not logged again by an UPDATE that leaves it
    // alone, so under REPLICA IDENTITY DEFAULT the decoder has nothing to print for it.
    let body = "x".repeat(10_000);
    let a = sessions.get_mut("A").unwrap();
    out.push('\n');
    for sql in [
        "CREATE TABLE docs (id int PRIMARY KEY, version int, body text)",
        "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",
    ] {
        a.batch_execute(sql).map_err(|e| format!("A: {sql}: {e}"))?;
        writeln!(out, "A: {sql}").unwrap();
    }
    a.execute("INSERT INTO docs VALUES (1, 1, repeat('x', 10000))", &[]).map_err(|e| e.to_string())?;
    writeln!(out, "A: INSERT INTO docs VALUES (1, 1, repeat('x', 10000))").unwrap();
    a.batch_execute("UPDATE docs SET version = 2 WHERE id = 1").map_err(|e| e.to_string())?;
    writeln!(out, "A: UPDATE docs SET version = 2 WHERE id = 1").unwrap();
    let rows: Vec<(String, String)> = pg
        .query(
            "SELECT xid::text, data FROM pg_logical_slot_get_changes($1, NULL, NULL, 'skip-empty-xacts', '1')",
            &[&slot],
        )
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let lines = normalise(&rows, &schema, &known, &mut names);
    writeln!(
        out,
        "\n-- pg_logical_slot_get_changes: get: a 10,000-character value stored out of line (TOAST)"
    )
    .unwrap();
    for line in &lines {
        writeln!(out, "   {}", line.replace(&format!("'{body}'"), "'xxx…' (10,000 characters)")).unwrap();
    }
    if !out.contains("body[text]:unchanged-toast-datum") {
        return Err(format!(
            "the UPDATE did not show the unchanged TOASTed value as such:\n{}",
            lines.join("\n")
        ));
    }

    // The slot pins WAL: the segment holding its restart_lsn survives a segment switch and a
    // checkpoint, which would otherwise remove (or recycle under a new name) every segment
    // before the checkpoint's redo point (wal_keep_size is 0 by default).
    let file: String = pg
        .query_one(
            "SELECT pg_walfile_name(restart_lsn) FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .map_err(|e| e.to_string())?
        .get(0);
    pg.batch_execute("SELECT pg_switch_wal(); CHECKPOINT").map_err(|e| e.to_string())?;
    let row = pg
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_ls_waldir() WHERE name = $1),                     pg_walfile_name(pg_current_wal_lsn()) > $1,                     (SELECT wal_status FROM pg_replication_slots WHERE slot_name = $2)",
            &[&file, &slot],
        )
        .map_err(|e| e.to_string())?;
    let (kept, switched, status): (bool, bool, String) = (row.get(0), row.get(1), row.get(2));
    if !switched {
        return Err(format!("pg_switch_wal() did not move past {file}"));
    }
    if !kept {
        return Err(format!("the segment {file} holding the slot's restart_lsn was removed"));
    }
    writeln!(
        out,
        "\npg_replication_slots: the WAL segment holding the slot's restart_lsn, after pg_switch_wal() and \
         CHECKPOINT\n   moved to a newer segment: {switched}; the old segment still in pg_wal: {kept}; wal_status: {status}\n\
         the slot is dropped at the end"
    )
    .unwrap();
    Ok(out)
}

#[test]
fn logical_decoding_on_a_real_postgresql() {
    let _beside = super::beside_the_purge();
    let check = "real_servers: change data capture with test_decoding";
    if let Err(error) = connect_postgres() {
        return unreachable(check, Server::Postgres, &error);
    }
    let out = match observe() {
        Ok(out) => out,
        Err(e) if e.contains("wal_level") => {
            return test_support::skip_or_fail(
                check,
                &e,
                "Set wal_level = logical and restart PostgreSQL (.ci/run does).",
            );
        }
        Err(e) => panic!("{check}: {e}"),
    };
    for claim in [
        "BEGIN T1\n   table shop.accounts: INSERT: id[integer]:1 owner[text]:'alice' balance[integer]:100",
        "table shop.accounts: UPDATE: id[integer]:1 owner[text]:'alice' balance[integer]:120",
        "table shop.accounts: DELETE: id[integer]:3\n",
        "old-key: id[integer]:2 owner[text]:'bob' balance[integer]:50 new-tuple: id[integer]:2",
        "BEGIN Y\n   table shop.accounts: INSERT: id[integer]:20 owner[text]:'erin' balance[integer]:7\n   COMMIT Y\n   BEGIN X\n",
        "-- pg_logical_slot_get_changes: get again\n   (no changes for this table)",
        "body[text]:unchanged-toast-datum",
        "the old segment still in pg_wal: true",
    ] {
        assert!(out.contains(claim), "{check}: expected `{claim}` in:\n{out}");
    }
    assert!(!out.contains("id[integer]:99"), "{out}");
    compare_or_bless(FILE, &out).unwrap_or_else(|d| panic!("{d}"));
}
