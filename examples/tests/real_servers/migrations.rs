//! The lock trap of schema migrations, on the real PostgreSQL 15.
//!
//! Session 1 holds a transaction that has read a table; session 2's `ALTER TABLE` waits for
//! it; session 3's plain `SELECT` then waits for session 2. A fourth connection reads
//! `pg_locks` and `pg_blocking_pids()` to show the queue. Then the same with `lock_timeout` on
//! the migration, and a few more claims of the chapter (`CREATE INDEX CONCURRENTLY` rules, the
//! lock each DDL statement takes, which `ADD COLUMN` rewrites the table).
//!
//! The SQL lives in `examples::migrations::lock_trap` (one place for the scenario). What the
//! server did is rendered without pids or timings and compared with
//! `examples/data/migrations-lock-trap.txt`; `cargo xtask bless` rewrites the file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::mpsc;
use std::thread;

use examples::migrations::lock_trap::{
    ADD_COLUMN_DEFAULTS, BLOCKERS, CONCURRENTLY_FAILS, CONCURRENTLY_IN_TRANSACTION, DROP_INVALID, FILENODE,
    INDEX_VALID, LATE_READER, LOCK_MODES, LOCK_TIMEOUT, LOCKS, MIGRATION, OWN_LOCKS, READER, SETUP, TABLE,
    sql,
};
use examples::real_servers::Server;

use super::harness::{
    Conn, DEADLINE, compare_or_bless, connect, unique_name, unreachable, wait_until_waiting,
};

const FILE: &str = "migrations-lock-trap.txt";

/// A statement's outcome as the page shows it: its rows, "ok", or the SQLSTATE and message of
/// its error.
fn outcome(conn: &mut Conn, text: &str) -> String {
    conn.outcome(text).render(false)
}

/// Runs `text` on `conn` in a thread; the receiver gets the outcome and the connection back.
fn in_thread(mut conn: Conn, text: String) -> mpsc::Receiver<(String, Conn)> {
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        let result = outcome(&mut conn, &text);
        let _ = send.send((result, conn));
    });
    receive
}

fn pid(conn: &mut Conn) -> i32 {
    i32::try_from(conn.id()).expect("a pid")
}

/// Replaces the run's unique table name by the name the page uses.
struct Names {
    table: String,
}

impl Names {
    fn show(&self, text: &str) -> String {
        text.replace(&self.table, TABLE)
    }
}

/// Every lock on the table, as (session, mode, granted) rows sorted, and who blocks whom.
fn lock_picture(monitor: &mut Conn, table: &str, sessions: &BTreeMap<i32, &str>, out: &mut String) {
    let label = |pid: i32| sessions.get(&pid).copied().unwrap_or("another session").to_string();
    let monitor = monitor.postgres();
    let mut rows: Vec<(String, String, String)> = monitor
        .query(&sql(LOCKS, table), &[])
        .expect("pg_locks")
        .iter()
        .map(|r| {
            let granted: bool = r.get(2);
            (label(r.get(0)), r.get::<_, String>(1), if granted { "granted" } else { "WAITING" }.to_string())
        })
        .collect();
    rows.sort();
    writeln!(out, "  pg_locks on the table:").unwrap();
    for (session, mode, granted) in rows {
        writeln!(out, "    {session:<10} {mode:<20} {granted}").unwrap();
    }
    writeln!(out, "  pg_blocking_pids:").unwrap();
    for (&pid, name) in sessions {
        let blockers: Vec<i32> = monitor.query_one(BLOCKERS, &[&pid]).expect("pg_blocking_pids").get(0);
        let mut names: Vec<String> = blockers.into_iter().map(label).collect();
        names.sort();
        let by = if names.is_empty() { "nobody".to_string() } else { names.join(", ") };
        writeln!(out, "    {name:<10} is blocked by {by}").unwrap();
    }
}

/// Scenario 1: the queue. Scenario 2: the same with `lock_timeout`, and a retry.
fn lock_queue(table: &str, names: &Names, out: &mut String) {
    let mut monitor = connect(Server::Postgres).expect("connected before");
    let (mut s1, mut s2, mut s3) = (
        connect(Server::Postgres).expect("session 1"),
        connect(Server::Postgres).expect("session 2"),
        connect(Server::Postgres).expect("session 3"),
    );
    for session in [&mut s2, &mut s3] {
        // A guard, so that a broken run cannot hang: far longer than anything below needs.
        session.bound_lock_waits();
    }
    let sessions: BTreeMap<i32, &str> =
        [(pid(&mut s1), "session 1"), (pid(&mut s2), "session 2"), (pid(&mut s3), "session 3")].into();
    let pid_of = |name: &str| *sessions.iter().find(|(_, n)| **n == name).expect("a session").0;

    writeln!(out, "== 1. The ALTER waits for a reader, and every later query waits for the ALTER ==")
        .unwrap();
    for statement in READER {
        let result = outcome(&mut s1, &sql(statement, table));
        writeln!(out, "session 1: {} -> {result}", names.show(&sql(statement, table))).unwrap();
    }
    writeln!(out, "  (session 1 keeps its transaction open)").unwrap();
    let alter = in_thread(s2, sql(MIGRATION, table));
    wait_until_waiting(&mut monitor, pid_of("session 2").unsigned_abs().into());
    writeln!(out, "session 2: {} -> waits", names.show(&sql(MIGRATION, table))).unwrap();
    let late = in_thread(s3, sql(LATE_READER, table));
    wait_until_waiting(&mut monitor, pid_of("session 3").unsigned_abs().into());
    writeln!(out, "session 3: {} -> waits", names.show(&sql(LATE_READER, table))).unwrap();
    lock_picture(&mut monitor, table, &sessions, out);
    writeln!(out, "session 1: COMMIT -> {}", outcome(&mut s1, "COMMIT")).unwrap();
    let (alter_result, mut s2) = alter.recv_timeout(DEADLINE).expect("the ALTER finished");
    let (late_result, s3) = late.recv_timeout(DEADLINE).expect("the SELECT finished");
    writeln!(out, "  then session 2's ALTER -> {alter_result}").unwrap();
    writeln!(out, "  and session 3's SELECT -> {late_result}").unwrap();
    drop(s3);

    writeln!(out, "\n== 2. The same with lock_timeout on the migration, and a retry ==").unwrap();
    let retry = sql(&MIGRATION.replace("note", "note2"), table);
    for statement in READER {
        let result = outcome(&mut s1, &sql(statement, table));
        writeln!(out, "session 1: {} -> {result}", names.show(&sql(statement, table))).unwrap();
    }
    writeln!(out, "session 2: {LOCK_TIMEOUT} -> {}", outcome(&mut s2, LOCK_TIMEOUT)).unwrap();
    let attempt = in_thread(s2, retry.clone());
    let (first, mut s2) = attempt.recv_timeout(DEADLINE).expect("the ALTER gave up");
    writeln!(out, "session 2: {} -> {first}", names.show(&retry)).unwrap();
    // The queue is empty again while session 1's transaction is still open.
    let mut s3 = connect(Server::Postgres).expect("session 3 again");
    s3.must("SET statement_timeout = '5s'");
    let late = outcome(&mut s3, &sql(LATE_READER, table));
    writeln!(out, "session 3: {} -> {late} (session 1 still open)", names.show(&sql(LATE_READER, table)))
        .unwrap();
    let waiting = monitor
        .postgres()
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = ANY($1)",
            &[&sessions.keys().copied().collect::<Vec<i32>>()],
        )
        .expect("pg_locks")
        .get::<_, i64>(0);
    writeln!(out, "  sessions waiting for a lock now: {waiting}").unwrap();
    writeln!(out, "session 1: COMMIT -> {}", outcome(&mut s1, "COMMIT")).unwrap();
    writeln!(out, "session 2 retries: {} -> {}", names.show(&retry), outcome(&mut s2, &retry)).unwrap();
}

/// The single-session claims: CONCURRENTLY's rules, lock modes, rewrites.
fn extras(table: &str, names: &Names, out: &mut String) {
    let mut client = connect(Server::Postgres).expect("connected before");
    writeln!(out, "\n== 3. CREATE INDEX CONCURRENTLY ==").unwrap();
    for statement in CONCURRENTLY_IN_TRANSACTION {
        let text = sql(statement, table);
        writeln!(out, "{} -> {}", names.show(&text), outcome(&mut client, &text)).unwrap();
    }
    client.must("ROLLBACK");
    for statement in [CONCURRENTLY_FAILS, INDEX_VALID, DROP_INVALID] {
        let text = sql(statement, table);
        let result = outcome(&mut client, &text);
        writeln!(out, "{} -> {}", names.show(&text), names.show(&result)).unwrap();
    }

    writeln!(out, "\n== 4. The lock each statement takes (pg_locks, inside its transaction) ==").unwrap();
    for statement in LOCK_MODES {
        let text = sql(statement, table);
        client.must("BEGIN");
        let result = outcome(&mut client, &text);
        let mut modes: Vec<String> = client.must(&sql(OWN_LOCKS, table)).into_iter().collect();
        modes.sort();
        client.must("COMMIT");
        writeln!(out, "{} -> {result}\n  holds: {}", names.show(&text), modes.join(", ")).unwrap();
    }

    writeln!(out, "\n== 5. ADD COLUMN with a default: rewrite or not (the table's file before and after) ==")
        .unwrap();
    for statement in ADD_COLUMN_DEFAULTS {
        let text = sql(statement, table);
        let before = client.must(&sql(FILENODE, table))[0].clone();
        let result = outcome(&mut client, &text);
        let after = client.must(&sql(FILENODE, table))[0].clone();
        let verdict =
            if before == after { "same file: no rewrite" } else { "new file: the table was rewritten" };
        writeln!(out, "{} -> {result}\n  {verdict}", names.show(&text)).unwrap();
    }
}

fn observe() -> Result<String, String> {
    let mut setup = connect(Server::Postgres)?;
    let version: u32 = setup.must("SHOW server_version_num")[0].parse().expect("a number");
    let table = unique_name("bf_mig_accounts");
    let names = Names { table: table.clone() };
    setup.must(&format!("DROP TABLE IF EXISTS {table}"));
    setup.must(&sql(SETUP, &table));
    let mut out = String::new();
    writeln!(
        out,
        "# What PostgreSQL {} did (examples/tests/real_servers/migrations.rs; rows sorted, no pids or times).\n",
        version / 10_000
    )
    .unwrap();
    lock_queue(&table, &names, &mut out);
    extras(&table, &names, &mut out);
    setup.must(&format!("DROP TABLE {table}"));
    Ok(out)
}

/// Runs the scenarios and compares what the server did with the checked-in file.
pub fn check() {
    match observe() {
        Ok(observed) => compare_or_bless(FILE, &observed).unwrap_or_else(|difference| panic!("{difference}")),
        Err(error) => unreachable("real_servers: the migration lock trap", Server::Postgres, &error),
    }
}
