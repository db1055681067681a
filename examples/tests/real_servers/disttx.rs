//! The distributed-transactions chapter's claims on the real PostgreSQL 15 and NATS JetStream.
//!
//! `two_phase_commit`: the chapter's coordinator (`examples::disttx::coordinator`) across two
//! databases the test creates on the shared server (unique names, dropped at the end): both
//! vote yes and commit; one votes no and the other is rolled back; the coordinator dies
//! between the phases after forcing its decision to its log (a table in a schema of the run's
//! own), and the in-doubt transactions hold their locks (`lock_timeout` makes
//! the wait observable, `pg_blocking_pids` names process 0, `pg_locks` shows locks with no
//! backend) until an operator reads that log and resolves them with `COMMIT PREPARED` from a
//! fresh session in the right database. Needs `max_prepared_transactions > 0` (`.ci/run` sets it); with 0 it is
//! skipped loudly, a failure in CI. Compared with `examples/data/disttx-2pc-postgres.txt`.
//!
//! `a_prepared_transaction_survives_a_crash…`: the same on a PostgreSQL of the test's own
//! (`initdb` in a temporary directory, a free port; as `postgres` when run by root), killed with
//! `pg_ctl stop -m immediate` and started again: the prepared transaction and its locks are
//! back. The shared server is never restarted. Compared with `data/disttx-2pc-restart.txt`.
//!
//! `xa_on_a_real_mariadb`: an XA branch prepared by a session that disconnects, found with `XA
//! RECOVER` and committed by another (`data/disttx-xa-mariadb.txt`).
//!
//! `outbox_relay`: the outbox relay (`examples::disttx::outbox`) with the book's own NATS client,
//! on streams of the test's own on the shared NATS server (`BF_NATS`, default
//! 127.0.0.1:4222), deleted at the end. Compared with `examples/data/disttx-outbox-nats.txt`.

use std::fmt::Write as _;
use std::thread;
use std::time::{Duration, Instant};

use examples::disttx::coordinator::{self, Participant};
use examples::disttx::nats::{Msg, Nats, shared_address};
use examples::disttx::outbox::{self, Sql};
use examples::real_servers::Server;

use super::harness::{
    Conn, DEADLINE, Scratch, compare_or_bless, connect_postgres, connect_postgres_with, jetstream_or_skip,
    postgres_config, unique_name, unreachable,
};

const TWO_PC_FILE: &str = "disttx-2pc-postgres.txt";
const OUTBOX_FILE: &str = "disttx-outbox-nats.txt";
const XA_FILE: &str = "disttx-xa-mariadb.txt";

/// A PostgreSQL connection as the chapter's code wants it.
struct Pg(postgres::Client);

impl Sql for Pg {
    fn run(&mut self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        let messages = self.0.simple_query(sql).map_err(|e| match e.as_db_error() {
            Some(db) => match db.detail() {
                Some(detail) => format!("ERROR {}: {} (DETAIL: {detail})", db.code().code(), db.message()),
                None => format!("ERROR {}: {}", db.code().code(), db.message()),
            },
            None => e.to_string(),
        })?;
        let mut rows = Vec::new();
        for message in messages {
            match message {
                postgres::SimpleQueryMessage::RowDescription(_) => rows.clear(),
                postgres::SimpleQueryMessage::Row(row) => {
                    rows.push((0..row.len()).map(|i| row.get(i).unwrap_or("NULL").to_string()).collect())
                }
                _ => {}
            }
        }
        Ok(rows)
    }
}

impl Pg {
    /// The rows of `sql`, each as `a, b`, rows joined by `; ` (or the error).
    fn show(&mut self, sql: &str) -> String {
        match self.run(sql) {
            Ok(rows) if rows.is_empty() => "(no rows)".to_string(),
            Ok(rows) => rows.iter().map(|r| r.join(", ")).collect::<Vec<_>>().join("; "),
            Err(e) => e,
        }
    }
}

fn connect_to(database: &str) -> Result<Pg, String> {
    let mut config = postgres_config()?;
    config.dbname(database);
    connect_postgres_with(config).map(Pg)
}

// ---- Two-phase commit ------------------------------------------------------------------

/// The two databases of one run; on drop, whatever they still have prepared is rolled back and
/// both are dropped (a prepared transaction would keep `DROP DATABASE` from working).
struct Banks {
    names: [String; 2],
}

impl Drop for Banks {
    fn drop(&mut self) {
        for name in &self.names {
            if let Ok(mut db) = connect_to(name)
                && let Ok(rows) =
                    db.run("SELECT gid FROM pg_prepared_xacts WHERE database = current_database()")
            {
                for row in rows {
                    let _ = db.run(&format!("ROLLBACK PREPARED '{}'", row[0]));
                }
            }
            if let Ok(mut admin) = connect_postgres() {
                // Sessions of this run may still be closing.
                let _ = admin.simple_query(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                ));
                if let Err(e) = admin.simple_query(&format!("DROP DATABASE IF EXISTS {name}")) {
                    eprintln!("could not drop {name}: {e}");
                }
            }
        }
    }
}

/// Replaces this run's unique names with the ones the page shows.
struct Names(Vec<(String, String)>);

impl Names {
    fn hide(&self, text: &str) -> String {
        self.0.iter().fold(text.to_string(), |text, (unique, shown)| text.replace(unique, shown))
    }
}

fn two_phase_commit() -> Result<String, String> {
    let mut admin = Pg(connect_postgres()?);
    let version =
        admin.run("SHOW server_version_num")?[0][0].parse::<u32>().map_err(|e| e.to_string())? / 10_000;
    let run = unique_name("bf_2pc");
    let banks = Banks { names: [format!("{run}_bank_a"), format!("{run}_bank_b")] };
    let names = Names(vec![
        (banks.names[0].clone(), "bank_a".into()),
        (banks.names[1].clone(), "bank_b".into()),
        (format!("{run}_"), String::new()),
    ]);
    for (name, (owner, balance)) in banks.names.iter().zip([("alice", 100), ("bob", 20)]) {
        admin.run(&format!("CREATE DATABASE {name}"))?;
        connect_to(name)?.run(&format!(
            "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance int NOT NULL CHECK (balance >= 0));
             INSERT INTO accounts VALUES (1, '{owner}', {balance});"
        ))?;
    }
    let [a, b] = [&banks.names[0], &banks.names[1]];
    // The coordinator's own log: a table in a schema of this run on the shared server.
    let (coordinator_db, mut log) = scratch_pg()?;
    log.run(coordinator::LOG_TABLE)?;
    let mut out = String::new();
    let w = &mut out;
    writeln!(
        w,
        "# What PostgreSQL {version} did (examples/tests/real_servers/disttx.rs): two databases on one server, \
         bank_a (alice: 100) and bank_b (bob: 20), each with accounts(id, owner, balance CHECK (balance >= 0)).\n\
         # A global id is unique per server, so each branch's gid is the transfer's id plus the database (XA: gtrid + bqual).\n"
    )
    .unwrap();
    let balances = |out: &mut String| -> Result<(), String> {
        let alice = connect_to(a)?.show("SELECT balance FROM accounts WHERE id = 1");
        let bob = connect_to(b)?.show("SELECT balance FROM accounts WHERE id = 1");
        writeln!(out, "balances: alice {alice}, bob {bob}").unwrap();
        Ok(())
    };
    let prepared = |admin: &mut Pg| admin.show("SELECT gid, database FROM pg_prepared_xacts ORDER BY gid");
    let vote = |v: &Result<(), String>| match v {
        Ok(()) => "prepared (yes)".to_string(),
        Err(e) => format!("{e} (no)"),
    };

    // 1. Both vote yes.
    writeln!(w, "== 1. Transfer 30 from alice to bob: both prepare, the coordinator commits ==").unwrap();
    let (mut da, mut db) = (connect_to(a)?, connect_to(b)?);
    let gid = format!("{run}_transfer1");
    let mut parts = [
        Participant {
            name: "bank_a",
            db: &mut da,
            work: "UPDATE accounts SET balance = balance - 30 WHERE id = 1",
        },
        Participant {
            name: "bank_b",
            db: &mut db,
            work: "UPDATE accounts SET balance = balance + 30 WHERE id = 1",
        },
    ];
    let votes = coordinator::prepare(&mut parts, &gid);
    for (p, v) in parts.iter().zip(&votes) {
        writeln!(w, "phase 1, {}: {}", p.name, vote(v)).unwrap();
    }
    writeln!(w, "pg_prepared_xacts: {}", names.hide(&prepared(&mut admin))).unwrap();
    writeln!(
        w,
        "another session of bank_b reads bob's balance before phase 2: {}",
        connect_to(b)?.show("SELECT balance FROM accounts WHERE id = 1")
    )
    .unwrap();
    let commit = coordinator::decide(&votes);
    coordinator::log_decision(&mut log, &gid, commit)?;
    let done = coordinator::finish(&mut parts, &votes, &gid, commit);
    writeln!(
        w,
        "decision: {}, forced to the coordinator's log; phase 2: {}",
        if commit { "commit" } else { "abort" },
        done.iter().map(|r| if r.is_ok() { "ok" } else { "failed" }).collect::<Vec<_>>().join(", ")
    )
    .unwrap();
    writeln!(w, "pg_prepared_xacts: {}", prepared(&mut admin)).unwrap();
    balances(w)?;
    // Why each branch has an id of its own: a prepared transaction's id is unique per server.
    let (mut x, mut y) = (connect_to(a)?, connect_to(b)?);
    x.run(&format!("BEGIN; SELECT 1; PREPARE TRANSACTION '{run}_same'"))?;
    y.run("BEGIN")?;
    let clash = y
        .run(&format!("SELECT 1; PREPARE TRANSACTION '{run}_same'"))
        .err()
        .unwrap_or_else(|| "no error".into());
    x.run(&format!("ROLLBACK PREPARED '{run}_same'"))?;
    writeln!(w, "one gid prepared in bank_a, then the same gid in bank_b: {}", names.hide(&clash)).unwrap();

    // 2. One votes no.
    writeln!(w, "\n== 2. Transfer 500 from alice to bob: bank_a votes no, bank_b is rolled back ==").unwrap();
    let gid = format!("{run}_transfer2");
    let mut parts = [
        Participant {
            name: "bank_a",
            db: &mut da,
            work: "UPDATE accounts SET balance = balance - 500 WHERE id = 1",
        },
        Participant {
            name: "bank_b",
            db: &mut db,
            work: "UPDATE accounts SET balance = balance + 500 WHERE id = 1",
        },
    ];
    let votes = coordinator::prepare(&mut parts, &gid);
    for (p, v) in parts.iter().zip(&votes) {
        writeln!(w, "phase 1, {}: {}", p.name, vote(v)).unwrap();
    }
    writeln!(w, "pg_prepared_xacts: {}", names.hide(&prepared(&mut admin))).unwrap();
    let commit = coordinator::decide(&votes);
    coordinator::log_decision(&mut log, &gid, commit)?;
    let done = coordinator::finish(&mut parts, &votes, &gid, commit);
    writeln!(
        w,
        "decision: {}, forced to the coordinator's log; phase 2 (ROLLBACK PREPARED where prepared): {} ok",
        if commit { "commit" } else { "abort" },
        done.iter().filter(|r| r.is_ok()).count()
    )
    .unwrap();
    writeln!(w, "pg_prepared_xacts: {}", prepared(&mut admin)).unwrap();
    balances(w)?;
    // PREPARE TRANSACTION inside a failed transaction block is no error: it rolls back.
    let mut s = connect_to(a)?;
    s.run("BEGIN")?;
    let failed = s.run("UPDATE accounts SET balance = -1 WHERE id = 1").err().unwrap_or_default();
    let answer = match s.run(&format!("PREPARE TRANSACTION '{run}_after_error'")) {
        Ok(_) => "no error".to_string(),
        Err(e) => e,
    };
    writeln!(
        w,
        "PREPARE TRANSACTION after a failed statement ({}): {answer}; transactions prepared: {}",
        failed.split(':').next().unwrap_or(""),
        admin.show(&format!("SELECT count(*) FROM pg_prepared_xacts WHERE gid = '{run}_after_error'"))
    )
    .unwrap();

    // 3. The coordinator dies between the phases.
    writeln!(w, "\n== 3. Transfer 10: both prepare, the coordinator logs COMMIT and dies before phase 2 ==")
        .unwrap();
    let gid = format!("{run}_transfer3");
    {
        let mut parts = [
            Participant {
                name: "bank_a",
                db: &mut da,
                work: "UPDATE accounts SET balance = balance - 10 WHERE id = 1",
            },
            Participant {
                name: "bank_b",
                db: &mut db,
                work: "UPDATE accounts SET balance = balance + 10 WHERE id = 1",
            },
        ];
        let votes = coordinator::prepare(&mut parts, &gid);
        for (p, v) in parts.iter().zip(&votes) {
            writeln!(w, "phase 1, {}: {}", p.name, vote(v)).unwrap();
        }
        assert!(coordinator::decide(&votes));
        coordinator::log_decision(&mut log, &gid, true)?;
        writeln!(w, "decision: commit, forced to the coordinator's log; the coordinator dies").unwrap();
    }
    drop(da);
    drop(db);
    drop(log); // the coordinator's connections are gone: nobody will send phase 2
    writeln!(w, "the coordinator's connections are closed; pg_prepared_xacts still lists:").unwrap();
    writeln!(
        w,
        "  {}",
        names.hide(&admin.show("SELECT gid, database, owner FROM pg_prepared_xacts ORDER BY gid"))
    )
    .unwrap();
    let mut monitor = connect_to(a)?;
    let locks = monitor.show(&format!(
        "SELECT locktype, mode, granted, pid IS NULL AS no_backend FROM pg_locks
         WHERE virtualtransaction = (SELECT virtualtransaction FROM pg_locks WHERE locktype = 'transactionid'
             AND transactionid = (SELECT transaction FROM pg_prepared_xacts WHERE gid = '{gid}_bank_a'))
         AND (locktype = 'transactionid' OR relation = 'accounts'::regclass)
         ORDER BY locktype"
    ));
    writeln!(
        w,
        "pg_locks held by bank_a's prepared transaction (locktype, mode, granted, no backend): {locks}"
    )
    .unwrap();
    let mut other = connect_to(a)?;
    let read = other.show("SELECT balance FROM accounts WHERE id = 1");
    writeln!(w, "another session reads alice's balance: {read} (readers do not wait: the old version)")
        .unwrap();
    other.run("SET lock_timeout = '200ms'")?;
    let started = Instant::now();
    let blocked = other.show("UPDATE accounts SET balance = balance + 1 WHERE id = 1");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(190), "the update failed after {waited:?}, before lock_timeout");
    writeln!(w, "another session, lock_timeout = 200ms, UPDATE alice's row: {blocked}").unwrap();
    let dropped = admin.run(&format!("DROP DATABASE {a}")).err().unwrap_or_else(|| "dropped?!".into());
    // The DETAIL counts the other sessions too, which vary with the run; keep the prepared one.
    let dropped = match (dropped.find("There are "), dropped.find("other session(s) and ")) {
        (Some(from), Some(to)) => {
            format!("{}…{}", &dropped[..from], &dropped[to + "other session(s) and ".len()..])
        }
        _ => dropped,
    };
    writeln!(w, "DROP DATABASE bank_a: {}", names.hide(&dropped)).unwrap();
    // A session that waits without a timeout: the server names process 0 as its blocker.
    let waiter_db = a.clone();
    let waiter = thread::spawn(move || -> Result<String, String> {
        let mut s = connect_to(&waiter_db)?;
        s.run("SET lock_timeout = '10s'")?;
        Ok(match s.run("UPDATE accounts SET balance = balance + 1 WHERE id = 1") {
            Ok(_) => "UPDATE 1".to_string(),
            Err(e) => e,
        })
    });
    let started = Instant::now();
    let blockers = loop {
        let rows = monitor.run(
            "SELECT pg_blocking_pids(pid)::text, wait_event_type || '/' || wait_event FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'UPDATE accounts%' AND wait_event_type = 'Lock'",
        )?;
        if let Some(row) = rows.first() {
            break row.join(", ");
        }
        assert!(started.elapsed() < DEADLINE, "the waiting UPDATE was never seen waiting");
        thread::sleep(Duration::from_millis(5));
    };
    writeln!(w, "a session waiting without a timeout: pg_blocking_pids, wait event: {blockers}").unwrap();
    // The operator: the coordinator's log first, for the evidence (no record: presumed abort),
    // then the decision, in the wrong database first, then in each participant's own.
    let evidence = coordinator::logged_decision(&mut pg_of(&coordinator_db), &gid)?;
    let verb = if evidence == Some(true) { "COMMIT PREPARED" } else { "ROLLBACK PREPARED" };
    writeln!(
        w,
        "operator reads the coordinator's log for transfer3: {}",
        match evidence {
            Some(true) => "commit",
            Some(false) => "abort",
            None => "no record (presumed abort)",
        }
    )
    .unwrap();
    let wrong = admin.run(&format!("{verb} '{gid}_bank_a'")).err().unwrap_or_default();
    writeln!(w, "operator, connected to database test: {verb} 'transfer3_bank_a': {wrong}").unwrap();
    for (name, shown) in [(a, "bank_a"), (b, "bank_b")] {
        let result = match connect_to(name)?.run(&format!("{verb} '{gid}_{shown}'")) {
            Ok(_) => "ok".to_string(),
            Err(e) => e,
        };
        writeln!(w, "operator, connected to {shown}: {verb} 'transfer3_{shown}': {result}").unwrap();
    }
    let waited = waiter.join().expect("the waiter thread")?;
    writeln!(w, "the waiting session's UPDATE, once the lock is released: {waited}").unwrap();
    writeln!(w, "pg_prepared_xacts: {}", prepared(&mut admin)).unwrap();
    balances(w)?;
    Ok(names.hide(&out))
}

#[test]
fn two_phase_commit_on_a_real_postgresql() {
    let check = "real_servers: two-phase commit across two PostgreSQL databases";
    let mut admin = match connect_postgres() {
        Ok(client) => Pg(client),
        Err(error) => return unreachable(check, Server::Postgres, &error),
    };
    let max = admin.run("SHOW max_prepared_transactions").map(|rows| rows[0][0].clone()).unwrap_or_default();
    if max == "0" {
        test_support::skip_or_fail(
            check,
            "max_prepared_transactions = 0 on this server: PREPARE TRANSACTION is disabled",
            "Set it and restart: ALTER SYSTEM SET max_prepared_transactions = 20; then restart the server \
             (.ci/run does this with pg_ctlcluster).",
        );
        return;
    }
    let observed = two_phase_commit().unwrap_or_else(|e| panic!("{check}: {e}"));
    // The page's words, checked on what happened.
    for claim in [
        "phase 1, bank_a: prepared (yes)",
        "pg_prepared_xacts: transfer1_bank_a, bank_a; transfer1_bank_b, bank_b",
        "reads bob's balance before phase 2: 20",
        "decision: commit, forced to the coordinator's log; phase 2: ok, ok",
        "balances: alice 70, bob 50",
        "phase 1, bank_a: ERROR 23514",
        "balances: alice 70, bob 50\nPREPARE TRANSACTION after a failed statement (ERROR 23514): no error; transactions prepared: 0",
        "transfer3_bank_a, bank_a, postgres; transfer3_bank_b, bank_b, postgres",
        "reads alice's balance: 70",
        "ERROR 55P03: canceling statement due to lock timeout",
        "DROP DATABASE bank_a: ERROR 55006: database \"bank_a\" is being accessed by other users (DETAIL: …1 prepared transaction(s) using the database.)",
        "pg_blocking_pids, wait event: {0}, Lock/transactionid",
        "decision: commit, forced to the coordinator's log; the coordinator dies",
        "operator reads the coordinator's log for transfer3: commit",
        "ERROR 0A000: prepared transaction belongs to another database",
        "the waiting session's UPDATE, once the lock is released: UPDATE 1",
        "balances: alice 61, bob 60",
    ] {
        assert!(observed.contains(claim), "{check}: expected `{claim}` in:\n{observed}");
    }
    assert!(
        observed.contains("relation, RowExclusiveLock, t, t")
            && observed.contains("transactionid, ExclusiveLock, t, t"),
        "{observed}"
    );
    compare_or_bless(TWO_PC_FILE, &observed).unwrap_or_else(|d| panic!("{d}"));
}

// ---- The outbox relay on NATS JetStream ---------------------------------------------------

/// A stream of the test's own, deleted on drop.
struct Stream {
    name: String,
    subject: String,
}

impl Stream {
    fn create(nats: &mut Nats) -> Result<Stream, String> {
        let name = unique_name("BF_OUTBOX");
        let subject = format!("bf.{}.orders.placed", name.to_lowercase());
        nats.js(
            &format!("STREAM.CREATE.{name}"),
            &format!(
                "{{\"name\":\"{name}\",\"subjects\":[\"{subject}\"],\"storage\":\"memory\",\
                 \"duplicate_window\":120000000000,\"max_msgs\":1000}}"
            ),
        )?;
        Ok(Stream { name, subject })
    }

    fn messages(&self, nats: &mut Nats) -> Result<i64, String> {
        let info = nats.js(&format!("STREAM.INFO.{}", self.name), "")?;
        info.pointer("/state/messages").and_then(|v| v.as_i64()).ok_or("no state.messages".into())
    }

    /// A durable pull consumer with explicit acks.
    fn consumer(&self, nats: &mut Nats, durable: &str, ack_wait_ms: u64) -> Result<(), String> {
        nats.js(
            &format!("CONSUMER.DURABLE.CREATE.{}.{durable}", self.name),
            &format!(
                "{{\"stream_name\":\"{}\",\"config\":{{\"durable_name\":\"{durable}\",\"ack_policy\":\"explicit\",\
                 \"deliver_policy\":\"all\",\"ack_wait\":{}}}}}",
                self.name,
                ack_wait_ms * 1_000_000
            ),
        )
        .map(|_| ())
    }

    /// Pulls what the consumer has (up to 10), waiting at most 300 ms for more.
    fn fetch(&self, nats: &mut Nats, durable: &str) -> Result<Vec<Msg>, String> {
        let inbox = nats.new_inbox();
        let sid = nats.subscribe(&inbox)?;
        nats.publish(
            &format!("$JS.API.CONSUMER.MSG.NEXT.{}.{durable}", self.name),
            Some(&inbox),
            &[],
            b"{\"batch\":10,\"expires\":300000000}",
        )?;
        let mut got = Vec::new();
        loop {
            let msg = nats.next_for(sid, Duration::from_secs(5))?;
            if msg.status.is_some() {
                break; // 408 Request Timeout (expired) or 404 No Messages: the batch is over
            }
            got.push(msg);
            if got.len() == 10 {
                break;
            }
        }
        nats.unsubscribe(sid)?;
        Ok(got)
    }
}

fn ack(nats: &mut Nats, msg: &Msg) -> Result<(), String> {
    nats.publish(
        msg.reply.as_deref().ok_or("a JetStream message without an ack subject")?,
        None,
        &[],
        b"+ACK",
    )
}

fn delete(nats: &mut Nats, stream: &Stream) {
    if let Err(e) = nats.js(&format!("STREAM.DELETE.{}", stream.name), "") {
        eprintln!("could not delete stream {}: {e}", stream.name);
    }
}

fn scratch_pg() -> Result<(Scratch, Pg), String> {
    let scratch = Scratch::create(Server::Postgres)?;
    let pg = match scratch.connect() {
        Conn::Postgres(client) => Pg(*client),
        Conn::Mariadb(_) => unreachable!(),
    };
    Ok((scratch, pg))
}

fn pg_of(scratch: &Scratch) -> Pg {
    match scratch.connect() {
        Conn::Postgres(client) => Pg(*client),
        Conn::Mariadb(_) => unreachable!(),
    }
}

/// The relay crashes after publishing outbox row 2 and before marking it; a second run
/// republishes it. `msg_id`: with `Nats-Msg-Id`.
fn relay_crash(address: &str, msg_id: bool, w: &mut String) -> Result<(), String> {
    let mut nats = Nats::connect(address)?;
    let stream = Stream::create(&mut nats)?;
    let result = (|| -> Result<(), String> {
        let (scratch, mut db) = scratch_pg()?;
        db.run(outbox::SCHEMA)?;
        for order in 1..=3 {
            outbox::place_order(&mut db, order, &stream.subject)?;
        }
        writeln!(
            w,
            "orders placed: {}; outbox rows: {} (each order and its event in one transaction)",
            db.show("SELECT count(*) FROM orders"),
            db.show("SELECT count(*) FROM outbox")
        )
        .unwrap();
        let report = |run: u32, list: &[outbox::Published], crashed: bool, w: &mut String| {
            for (i, p) in list.iter().enumerate() {
                let end = if p.marked {
                    "marked sent".to_string()
                } else if crashed && i + 1 == list.len() {
                    "CRASH before marking it sent".to_string()
                } else {
                    "not marked".to_string()
                };
                writeln!(
                    w,
                    "relay run {run}: outbox {} published, PubAck seq {}{}; {end}",
                    p.outbox_id,
                    p.stream_seq,
                    if p.duplicate { ", duplicate: true" } else { "" }
                )
                .unwrap();
            }
        };
        {
            // The relay is a process of its own: its own connections, gone with it.
            let (mut relay_db, mut relay_nats) = (pg_of(&scratch), Nats::connect(address)?);
            let (list, crashed) = outbox::relay(&mut relay_db, &mut relay_nats, msg_id, Some(2))?;
            report(1, &list, crashed, w);
        }
        writeln!(
            w,
            "outbox after the crash (id, sent): {}",
            db.show("SELECT id, sent_at IS NOT NULL FROM outbox ORDER BY id")
        )
        .unwrap();
        {
            let (mut relay_db, mut relay_nats) = (pg_of(&scratch), Nats::connect(address)?);
            let (list, crashed) = outbox::relay(&mut relay_db, &mut relay_nats, msg_id, None)?;
            report(2, &list, crashed, w);
        }
        writeln!(w, "the stream holds {} messages for 3 orders", stream.messages(&mut nats)?).unwrap();
        // Two consumers of the same stream: one with a dedup table, one without.
        stream.consumer(&mut nats, "dedup", 30_000)?;
        stream.consumer(&mut nats, "naive", 30_000)?;
        let mut decisions = Vec::new();
        for msg in stream.fetch(&mut nats, "dedup")? {
            let id = outbox::message_id(&msg)?;
            let applied = outbox::handle(&mut db, &id)?;
            ack(&mut nats, &msg)?;
            decisions.push(format!("{id} {}", if applied { "applied" } else { "duplicate, acked only" }));
        }
        writeln!(w, "consumer with a dedup table: {}", decisions.join("; ")).unwrap();
        let naive = stream.fetch(&mut nats, "naive")?;
        for msg in &naive {
            outbox::handle_naively(&mut db)?;
            ack(&mut nats, msg)?;
        }
        writeln!(w, "consumer without one: {} deliveries, {} effects", naive.len(), naive.len()).unwrap();
        writeln!(
            w,
            "stock reserved: {} with the dedup table, {} without",
            db.show("SELECT reserved FROM stock WHERE item = 'widget'"),
            db.show("SELECT reserved FROM stock WHERE item = 'widget-naive'")
        )
        .unwrap();
        Ok(())
    })();
    delete(&mut nats, &stream);
    result
}

/// The consumer applies its effect and dies before acknowledging: JetStream redelivers after
/// `ack_wait`, and the dedup table turns the second delivery into an ack.
fn consumer_crash(address: &str, w: &mut String) -> Result<(), String> {
    let mut nats = Nats::connect(address)?;
    let stream = Stream::create(&mut nats)?;
    let result = (|| -> Result<(), String> {
        let (scratch, mut db) = scratch_pg()?;
        db.run(outbox::SCHEMA)?;
        outbox::place_order(&mut db, 1, &stream.subject)?;
        outbox::relay(&mut pg_of(&scratch), &mut nats, true, None)?;
        stream.consumer(&mut nats, "shipping", 1_000)?;
        {
            let mut consumer = Nats::connect(address)?;
            let got = stream.fetch(&mut consumer, "shipping")?;
            let msg = got.first().ok_or("nothing delivered")?;
            let id = outbox::message_id(msg)?;
            let applied = outbox::handle(&mut db, &id)?;
            writeln!(
                w,
                "delivery {} of {id}: {}; the consumer dies before +ACK",
                msg.reply.as_deref().and_then(outbox::delivery_count).unwrap_or(0),
                if applied { "applied" } else { "duplicate" }
            )
            .unwrap();
        }
        thread::sleep(Duration::from_millis(1_300));
        let mut consumer = Nats::connect(address)?;
        for msg in stream.fetch(&mut consumer, "shipping")? {
            let id = outbox::message_id(&msg)?;
            let applied = outbox::handle(&mut db, &id)?;
            ack(&mut consumer, &msg)?;
            writeln!(
                w,
                "after ack_wait, delivery {} of {id}: {}",
                msg.reply.as_deref().and_then(outbox::delivery_count).unwrap_or(0),
                if applied { "applied" } else { "duplicate, acked only" }
            )
            .unwrap();
        }
        writeln!(w, "then: {} more deliveries", stream.fetch(&mut consumer, "shipping")?.len()).unwrap();
        writeln!(w, "stock reserved: {}", db.show("SELECT reserved FROM stock WHERE item = 'widget'"))
            .unwrap();
        Ok(())
    })();
    delete(&mut nats, &stream);
    result
}

#[test]
fn outbox_relay_on_nats_jetstream() {
    let check = "real_servers: the outbox relay on NATS JetStream";
    let Some(nats) = jetstream_or_skip(check) else {
        return;
    };
    let address = shared_address();
    if let Err(error) = connect_postgres() {
        return unreachable(check, Server::Postgres, &error);
    }
    let version = nats.info.get("version").and_then(|v| v.as_str()).unwrap_or("?").to_string();
    let minor = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let mut out = format!(
        "# What NATS {minor} (JetStream) and PostgreSQL 15 did (examples/tests/real_servers/disttx.rs): outbox ids, \
         stream sequence numbers and counts; stream names and times left out. Each part has a stream and a schema of its own.\n\n"
    );
    out.push_str(
        "== 1. The relay crashes after publishing outbox 2, before marking it sent; no Nats-Msg-Id ==\n",
    );
    relay_crash(&address, false, &mut out).unwrap_or_else(|e| panic!("{check}: {e}"));
    out.push_str(
        "\n== 2. The same crash, with the header Nats-Msg-Id: outbox-<id> (duplicate window 2 min) ==\n",
    );
    relay_crash(&address, true, &mut out).unwrap_or_else(|e| panic!("{check}: {e}"));
    out.push_str("\n== 3. The consumer applies its effect and dies before its ack (ack_wait 1 s) ==\n");
    consumer_crash(&address, &mut out).unwrap_or_else(|e| panic!("{check}: {e}"));
    let [first, second, third] = ["== 1.", "== 2.", "== 3."].map(|start| {
        let from = out.find(start).expect("a section");
        let to = out[from + 1..].find("== ").map_or(out.len(), |i| from + 1 + i);
        out[from..to].to_string()
    });
    for (section, claim) in [
        (&first, "relay run 1: outbox 2 published, PubAck seq 2; CRASH before marking it sent"),
        (&first, "outbox after the crash (id, sent): 1, t; 2, f; 3, f"),
        (&first, "relay run 2: outbox 2 published, PubAck seq 3; marked sent"),
        (&first, "the stream holds 4 messages for 3 orders"),
        (&first, "order-2-placed applied; order-2-placed duplicate, acked only"),
        (&first, "stock reserved: 3 with the dedup table, 4 without"),
        (&second, "relay run 2: outbox 2 published, PubAck seq 2, duplicate: true; marked sent"),
        (&second, "the stream holds 3 messages for 3 orders"),
        (&second, "stock reserved: 3 with the dedup table, 3 without"),
        (&third, "delivery 1 of order-1-placed: applied"),
        (&third, "after ack_wait, delivery 2 of order-1-placed: duplicate, acked only"),
        (&third, "then: 0 more deliveries"),
        (&third, "stock reserved: 1"),
    ] {
        assert!(section.contains(claim), "{check}: expected `{claim}` in:\n{section}");
    }
    compare_or_bless(OUTBOX_FILE, &out).unwrap_or_else(|d| panic!("{d}"));
}

// ---- XA on MariaDB ---------------------------------------------------------------------

/// Rolls back the run's XA branch if a check failed before committing it (a prepared branch
/// would keep its locks, and the scratch database, forever).
struct XaGuard(String);

impl Drop for XaGuard {
    fn drop(&mut self) {
        if let Ok(mut conn) = super::harness::connect(Server::Mariadb) {
            let _ = conn.outcome(&format!("XA ROLLBACK '{}'", self.0));
        }
    }
}

fn mariadb_xa() -> Result<String, String> {
    let scratch = Scratch::create(Server::Mariadb)?;
    // Unique to this process and as long as the name shown, so XA RECOVER's lengths stay true.
    let xid = format!("bf{:05}-x42", std::process::id() % 100_000);
    let _guard = XaGuard(xid.clone());
    let hide = |text: String| text.replace(&xid, "transfer-42");
    let mut setup = scratch.connect();
    setup.must("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL) ENGINE=InnoDB");
    setup.must("INSERT INTO accounts VALUES (1, 100)");
    let version = setup.major_version();
    let mut out = format!(
        "# What MariaDB {version} did (examples/tests/real_servers/disttx.rs): one XA branch, prepared by a session \
         that then disconnects.\n\n"
    );
    let step = |conn: &mut Conn, who: &str, sql: &str, out: &mut String| {
        let shown = hide(sql.to_string());
        let result = hide(conn.outcome(sql).render(false));
        writeln!(out, "{who}: {shown} -> {result}").unwrap();
    };
    let mut a = scratch.connect();
    for sql in coordinator::XA_BRANCH.map(|sql| sql.replace("{xid}", &xid)) {
        step(&mut a, "A", &sql, &mut out);
    }
    drop(a);
    writeln!(out, "A disconnects (the transaction manager is gone)").unwrap();
    let mut b = scratch.connect();
    let recover = b.outcome(coordinator::XA_RESOLVE[0]);
    let listed = match &recover {
        super::harness::Outcome::Rows { rows, .. } => {
            rows.iter().filter(|r| r.last().is_some_and(|d| d == &xid)).map(|r| hide(r.join(", "))).collect()
        }
        _ => Vec::new(),
    };
    writeln!(out, "B: XA RECOVER (formatID, gtrid_length, bqual_length, data) -> {}", listed.join("; "))
        .unwrap();
    step(&mut b, "B", "SELECT balance FROM accounts WHERE id = 1", &mut out);
    b.must("SET SESSION innodb_lock_wait_timeout = 1");
    step(
        &mut b,
        "B (innodb_lock_wait_timeout = 1)",
        "UPDATE accounts SET balance = 0 WHERE id = 1",
        &mut out,
    );
    let mut c = scratch.connect();
    step(&mut c, "C, a new session", &coordinator::XA_RESOLVE[1].replace("{xid}", &xid), &mut out);
    step(&mut c, "C", "SELECT balance FROM accounts WHERE id = 1", &mut out);
    Ok(out)
}

#[test]
fn xa_on_a_real_mariadb() {
    let _beside = super::beside_the_purge();
    let check = "real_servers: an XA branch on MariaDB";
    if let Err(error) = super::harness::connect(Server::Mariadb) {
        return unreachable(check, Server::Mariadb, &error);
    }
    let observed = mariadb_xa().unwrap_or_else(|e| panic!("{check}: {e}"));
    for claim in [
        "A: XA PREPARE 'transfer-42' -> ok",
        "B: XA RECOVER (formatID, gtrid_length, bqual_length, data) -> 1, 11, 0, transfer-42",
        "B: SELECT balance FROM accounts WHERE id = 1 -> 100",
        "-> ERROR 1205 (HY000)",
        "C, a new session: XA COMMIT 'transfer-42' -> ok",
        "C: SELECT balance FROM accounts WHERE id = 1 -> 70",
    ] {
        assert!(observed.contains(claim), "{check}: expected `{claim}` in:\n{observed}");
    }
    compare_or_bless(XA_FILE, &observed).unwrap_or_else(|d| panic!("{d}"));
}

// ---- A prepared transaction across a crash of a private server ----------------------------

const RESTART_FILE: &str = "disttx-2pc-restart.txt";

/// The newest `initdb` of Debian's layout (`/usr/lib/postgresql/<major>/bin`), or `BF_PG_BIN`.
fn postgres_bin() -> Option<std::path::PathBuf> {
    if let Some(dir) = std::env::var_os("BF_PG_BIN") {
        return Some(dir.into());
    }
    let mut dirs: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|d| d.1)
}

/// A PostgreSQL server of the test's own: `initdb` in a temporary directory, a free loopback
/// port, `max_prepared_transactions = 5`. Run by root, its programs run as `postgres` (initdb
/// and postgres refuse root). Stopped and removed on drop.
struct Private {
    bin: std::path::PathBuf,
    dir: std::path::PathBuf,
    port: u16,
}

impl Private {
    fn command(&self, program: &str) -> std::process::Command {
        let path = self.bin.join(program);
        if unsafe { libc::geteuid() } == 0 {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            std::process::Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let out = self.command(program).args(args).output().map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} {args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn create(bin: std::path::PathBuf) -> Result<Private, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let dir = std::env::temp_dir().join(unique_name("bf_pg_private"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let private = Private { bin, dir, port };
        if unsafe { libc::geteuid() } == 0 {
            let status = std::process::Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&private.dir)
                .status();
            if !status.is_ok_and(|s| s.success()) {
                return Err("chown of the data directory to postgres failed".into());
            }
        }
        let data = private.dir.join("data");
        private.run(
            "initdb",
            &["-D", data.to_str().unwrap(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        )?;
        private.start()?;
        Ok(private)
    }

    fn start(&self) -> Result<(), String> {
        let data = self.dir.join("data");
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c max_prepared_transactions=5",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "30",
                "start",
            ],
        )
    }

    /// `pg_ctl stop -m immediate`: every server process is killed without a checkpoint, as in
    /// a crash; the next start replays the WAL.
    fn crash(&self) -> Result<(), String> {
        let data = self.dir.join("data");
        self.run("pg_ctl", &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"])
    }

    fn connect(&self) -> Result<Pg, String> {
        let mut config = postgres::Config::new();
        config.host("127.0.0.1").port(self.port).user("postgres").dbname("postgres");
        config.connect_timeout(Duration::from_secs(5));
        config.connect(postgres::NoTls).map(Pg).map_err(|e| e.to_string())
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self.run("pg_ctl", &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn restart_survival(bin: std::path::PathBuf) -> Result<String, String> {
    let server = Private::create(bin)?;
    let mut w = String::from(
        "# A prepared transaction across a crash, on a PostgreSQL server of the test's own (initdb in a temporary \
         directory, max_prepared_transactions = 5; the shared server is never restarted).\n\n",
    );
    let mut s = server.connect()?;
    s.run("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL); INSERT INTO accounts VALUES (1, 100)")?;
    s.run(
        "BEGIN; UPDATE accounts SET balance = balance - 30 WHERE id = 1; PREPARE TRANSACTION 'transfer-7'",
    )?;
    writeln!(w, "prepared: {}", s.show("SELECT gid FROM pg_prepared_xacts")).unwrap();
    drop(s);
    server.crash()?;
    writeln!(w, "pg_ctl stop -m immediate (no shutdown checkpoint, as in a crash), then start").unwrap();
    server.start()?;
    let mut s = server.connect()?;
    writeln!(
        w,
        "after the restart, pg_prepared_xacts: {}",
        s.show("SELECT gid, database FROM pg_prepared_xacts")
    )
    .unwrap();
    writeln!(
        w,
        "its locks are back (locktype, mode, no backend): {}",
        s.show(
            "SELECT locktype, mode, pid IS NULL FROM pg_locks WHERE virtualtransaction = (SELECT virtualtransaction \
             FROM pg_locks WHERE locktype = 'transactionid' AND transactionid = (SELECT transaction FROM pg_prepared_xacts)) \
             AND (locktype = 'transactionid' OR relation = 'accounts'::regclass) ORDER BY locktype"
        )
    )
    .unwrap();
    writeln!(w, "a reader sees: {}", s.show("SELECT balance FROM accounts WHERE id = 1")).unwrap();
    s.run("SET lock_timeout = '200ms'")?;
    writeln!(w, "a writer: {}", s.show("UPDATE accounts SET balance = 0 WHERE id = 1")).unwrap();
    let commit = match s.run("COMMIT PREPARED 'transfer-7'") {
        Ok(_) => "ok".to_string(),
        Err(e) => e,
    };
    writeln!(w, "COMMIT PREPARED 'transfer-7': {commit}").unwrap();
    writeln!(w, "balance: {}", s.show("SELECT balance FROM accounts WHERE id = 1")).unwrap();
    Ok(w)
}

#[test]
fn a_prepared_transaction_survives_a_crash_of_a_private_postgresql() {
    let check = "real_servers: a prepared transaction across a crash of a private PostgreSQL";
    let Some(bin) = postgres_bin() else {
        return test_support::skip_or_fail(
            check,
            "no initdb (looked in /usr/lib/postgresql/<major>/bin)",
            "Install Debian's postgresql package (.ci/run does), or point BF_PG_BIN at its bin directory.",
        );
    };
    let observed = restart_survival(bin).unwrap_or_else(|e| panic!("{check}: {e}"));
    for claim in [
        "after the restart, pg_prepared_xacts: transfer-7, postgres",
        "relation, RowExclusiveLock, t; transactionid, ExclusiveLock, t",
        "a reader sees: 100",
        "a writer: ERROR 55P03: canceling statement due to lock timeout",
        "COMMIT PREPARED 'transfer-7': ok",
        "balance: 70",
    ] {
        assert!(observed.contains(claim), "{check}: expected `{claim}` in:\n{observed}");
    }
    compare_or_bless(RESTART_FILE, &observed).unwrap_or_else(|d| panic!("{d}"));
}
