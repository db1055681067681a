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
//! `examples/data/migrations-lock-trap.txt`; `EXAMPLES_BLESS=1` rewrites the file.
//!
//! Server: `BF_POSTGRES` (a libpq-style connection string, default
//! `host=127.0.0.1 port=5432 user=postgres dbname=test`). An unreachable server fails the
//! test in CI (`test_support::in_ci`: `CI=true` or `CI=1`); otherwise the test says loudly on
//! stderr that it did not run, and passes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use examples::migrations::lock_trap::{
    ADD_COLUMN_DEFAULTS, BLOCKERS, CONCURRENTLY_FAILS, CONCURRENTLY_IN_TRANSACTION, DROP_INVALID, FILENODE,
    INDEX_VALID, LATE_READER, LOCK_MODES, LOCK_TIMEOUT, LOCKS, MIGRATION, OWN_LOCKS, READER, SETUP, TABLE,
    sql,
};
use postgres::{Client, NoTls, SimpleQueryMessage};

/// Longest the test waits for a session to be seen waiting, or for a statement to finish.
const DEADLINE: Duration = Duration::from_secs(10);

fn connect() -> Result<Client, String> {
    let params = std::env::var("BF_POSTGRES")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".to_string());
    let mut config: postgres::Config = params.parse().map_err(|e| format!("{e}"))?;
    config.connect_timeout(Duration::from_secs(3));
    match config.connect(NoTls) {
        Ok(client) => Ok(client),
        // The user may be called `root` rather than `postgres` on some machines.
        Err(first) if std::env::var("BF_POSTGRES").is_err() => {
            config.user("root");
            config.connect(NoTls).map_err(|_| format!("{first}"))
        }
        Err(e) => Err(format!("{e}")),
    }
}

/// Runs SQL that must succeed; returns the rows as text.
fn must(client: &mut Client, text: &str) -> Vec<Vec<String>> {
    client.simple_query(text).unwrap_or_else(|e| panic!("{text}: {e}")).into_iter().filter_map(row).collect()
}

fn row(message: SimpleQueryMessage) -> Option<Vec<String>> {
    match message {
        SimpleQueryMessage::Row(row) => {
            Some((0..row.len()).map(|i| row.get(i).unwrap_or("NULL").to_string()).collect())
        }
        _ => None,
    }
}

/// A statement's outcome as the page shows it: its rows (first column), "ok", or the SQLSTATE
/// and message of its error.
fn outcome(result: Result<Vec<SimpleQueryMessage>, postgres::Error>) -> String {
    match result {
        Ok(messages) => {
            let rows: Vec<String> = messages.into_iter().filter_map(row).map(|r| r.join(", ")).collect();
            if rows.is_empty() { "ok".to_string() } else { rows.join("; ") }
        }
        Err(e) => match e.as_db_error() {
            Some(db) => format!("ERROR {}: {}", db.code().code(), db.message()),
            None => format!("ERROR {e}"),
        },
    }
}

fn pid(client: &mut Client) -> i32 {
    must(client, "SELECT pg_backend_pid()")[0][0].parse().expect("a pid")
}

/// Polls the catalog until session `pid` waits for a lock (not a sleep: the server says so).
fn wait_until_waiting(monitor: &mut Client, pid: i32) {
    let started = Instant::now();
    loop {
        let waiting = monitor
            .query_one("SELECT count(*) FROM pg_locks WHERE pid = $1 AND NOT granted", &[&pid])
            .expect("pg_locks")
            .get::<_, i64>(0);
        if waiting > 0 {
            return;
        }
        assert!(started.elapsed() < DEADLINE, "session {pid} was never seen waiting for a lock");
        thread::sleep(Duration::from_millis(2));
    }
}

/// Runs `text` on `client` in a thread; the receiver gets the outcome and the client back.
fn in_thread(mut client: Client, text: String) -> mpsc::Receiver<(String, Client)> {
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        let result = outcome(client.simple_query(&text));
        let _ = send.send((result, client));
    });
    receive
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
fn lock_picture(monitor: &mut Client, table: &str, sessions: &BTreeMap<i32, &str>, out: &mut String) {
    let label = |pid: i32| sessions.get(&pid).copied().unwrap_or("another session").to_string();
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
    let mut monitor = connect().expect("connected before");
    let (mut s1, mut s2, mut s3) =
        (connect().expect("session 1"), connect().expect("session 2"), connect().expect("session 3"));
    for session in [&mut s2, &mut s3] {
        // A guard, so that a broken run cannot hang: far longer than anything below needs.
        must(session, "SET lock_timeout = '10s'");
    }
    let sessions: BTreeMap<i32, &str> =
        [(pid(&mut s1), "session 1"), (pid(&mut s2), "session 2"), (pid(&mut s3), "session 3")].into();
    let pid_of = |name: &str| *sessions.iter().find(|(_, n)| **n == name).expect("a session").0;

    writeln!(out, "== 1. The ALTER waits for a reader, and every later query waits for the ALTER ==")
        .unwrap();
    for statement in READER {
        let result = outcome(s1.simple_query(&sql(statement, table)));
        writeln!(out, "session 1: {} -> {result}", names.show(&sql(statement, table))).unwrap();
    }
    writeln!(out, "  (session 1 keeps its transaction open)").unwrap();
    let alter = in_thread(s2, sql(MIGRATION, table));
    wait_until_waiting(&mut monitor, pid_of("session 2"));
    writeln!(out, "session 2: {} -> waits", names.show(&sql(MIGRATION, table))).unwrap();
    let late = in_thread(s3, sql(LATE_READER, table));
    wait_until_waiting(&mut monitor, pid_of("session 3"));
    writeln!(out, "session 3: {} -> waits", names.show(&sql(LATE_READER, table))).unwrap();
    lock_picture(&mut monitor, table, &sessions, out);
    writeln!(out, "session 1: COMMIT -> {}", outcome(s1.simple_query("COMMIT"))).unwrap();
    let (alter_result, mut s2) = alter.recv_timeout(DEADLINE).expect("the ALTER finished");
    let (late_result, s3) = late.recv_timeout(DEADLINE).expect("the SELECT finished");
    writeln!(out, "  then session 2's ALTER -> {alter_result}").unwrap();
    writeln!(out, "  and session 3's SELECT -> {late_result}").unwrap();
    drop(s3);

    writeln!(out, "\n== 2. The same with lock_timeout on the migration, and a retry ==").unwrap();
    let retry = sql(&MIGRATION.replace("note", "note2"), table);
    for statement in READER {
        let result = outcome(s1.simple_query(&sql(statement, table)));
        writeln!(out, "session 1: {} -> {result}", names.show(&sql(statement, table))).unwrap();
    }
    writeln!(out, "session 2: {LOCK_TIMEOUT} -> {}", outcome(s2.simple_query(LOCK_TIMEOUT))).unwrap();
    let attempt = in_thread(s2, retry.clone());
    let (first, mut s2) = attempt.recv_timeout(DEADLINE).expect("the ALTER gave up");
    writeln!(out, "session 2: {} -> {first}", names.show(&retry)).unwrap();
    // The queue is empty again while session 1's transaction is still open.
    let mut s3 = connect().expect("session 3 again");
    must(&mut s3, "SET statement_timeout = '5s'");
    let late = outcome(s3.simple_query(&sql(LATE_READER, table)));
    writeln!(out, "session 3: {} -> {late} (session 1 still open)", names.show(&sql(LATE_READER, table)))
        .unwrap();
    let waiting = monitor
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = ANY($1)",
            &[&sessions.keys().copied().collect::<Vec<i32>>()],
        )
        .expect("pg_locks")
        .get::<_, i64>(0);
    writeln!(out, "  sessions waiting for a lock now: {waiting}").unwrap();
    writeln!(out, "session 1: COMMIT -> {}", outcome(s1.simple_query("COMMIT"))).unwrap();
    writeln!(out, "session 2 retries: {} -> {}", names.show(&retry), outcome(s2.simple_query(&retry)))
        .unwrap();
}

/// The single-session claims: CONCURRENTLY's rules, lock modes, rewrites.
fn extras(table: &str, names: &Names, out: &mut String) {
    let mut client = connect().expect("connected before");
    writeln!(out, "\n== 3. CREATE INDEX CONCURRENTLY ==").unwrap();
    for statement in CONCURRENTLY_IN_TRANSACTION {
        let text = sql(statement, table);
        writeln!(out, "{} -> {}", names.show(&text), outcome(client.simple_query(&text))).unwrap();
    }
    must(&mut client, "ROLLBACK");
    for statement in [CONCURRENTLY_FAILS, INDEX_VALID, DROP_INVALID] {
        let text = sql(statement, table);
        let result = outcome(client.simple_query(&text));
        writeln!(out, "{} -> {}", names.show(&text), names.show(&result)).unwrap();
    }

    writeln!(out, "\n== 4. The lock each statement takes (pg_locks, inside its transaction) ==").unwrap();
    for statement in LOCK_MODES {
        let text = sql(statement, table);
        must(&mut client, "BEGIN");
        let result = outcome(client.simple_query(&text));
        let mut modes: Vec<String> =
            must(&mut client, &sql(OWN_LOCKS, table)).into_iter().map(|r| r[0].clone()).collect();
        modes.sort();
        must(&mut client, "COMMIT");
        writeln!(out, "{} -> {result}\n  holds: {}", names.show(&text), modes.join(", ")).unwrap();
    }

    writeln!(out, "\n== 5. ADD COLUMN with a default: rewrite or not (the table's file before and after) ==")
        .unwrap();
    for statement in ADD_COLUMN_DEFAULTS {
        let text = sql(statement, table);
        let before = must(&mut client, &sql(FILENODE, table))[0][0].clone();
        let result = outcome(client.simple_query(&text));
        let after = must(&mut client, &sql(FILENODE, table))[0][0].clone();
        let verdict =
            if before == after { "same file: no rewrite" } else { "new file: the table was rewritten" };
        writeln!(out, "{} -> {result}\n  {verdict}", names.show(&text)).unwrap();
    }
}

fn observe() -> Result<String, String> {
    let mut setup = connect()?;
    let version: u32 = must(&mut setup, "SHOW server_version_num")[0][0].parse().expect("a number");
    let table = format!("bf_mig_accounts_{}", std::process::id());
    let names = Names { table: table.clone() };
    must(&mut setup, &format!("DROP TABLE IF EXISTS {table}"));
    must(&mut setup, &sql(SETUP, &table));
    let mut out = String::new();
    writeln!(
        out,
        "# What PostgreSQL {} did (examples/tests/migrations_real.rs; rows sorted, no pids or times).\n",
        version / 10_000
    )
    .unwrap();
    lock_queue(&table, &names, &mut out);
    extras(&table, &names, &mut out);
    must(&mut setup, &format!("DROP TABLE {table}"));
    Ok(out)
}

fn data_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data").join("migrations-lock-trap.txt")
}

#[test]
fn the_lock_trap_on_a_real_postgresql() {
    let bless = test_support::blessing();
    let observed = match observe() {
        Ok(text) => text,
        Err(error) => {
            test_support::skip_or_fail(
                "migrations_real: the migration lock trap on the real PostgreSQL",
                &format!("PostgreSQL is not reachable: {error}"),
                "Start the server, or point BF_POSTGRES at one.",
            );
            return;
        }
    };
    let path = data_file();
    if bless {
        std::fs::write(&path, &observed).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == observed,
        "{} differs from what PostgreSQL did.\n--- on disk\n{on_disk}\n--- observed\n{observed}\nIf the server is right \
         (a new version?), run `EXAMPLES_BLESS=1 cargo test -p examples --test migrations_real` and review the diff.",
        path.display()
    );
}
