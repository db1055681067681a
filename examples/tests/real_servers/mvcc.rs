//! The chapter "Locking and MVCC" on the real servers, in the checks that are not scripts of
//! statements: PostgreSQL's heap page through writes and `VACUUM` (`mvcc-heap.txt`), InnoDB's
//! history list under an old read view (`innodb-purge.txt`), the row-lock conflict tables
//! (`row-lock-modes.txt`) and four worker threads draining a queue (`queue-drain.txt`).
//!
//! The SQL lives in `examples::mvcc` (one place); what the servers did is rendered without
//! process ids, transaction ids or times and compared with the checked-in files.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use examples::mvcc::{job_queue::drain, lock_modes, pg_heap, purge};
use examples::real_servers::Server;

use super::harness::{
    Conn, Outcome, Scratch, compare_or_bless, connect, connect_postgres_with, postgres_config, unique_name,
    unreachable,
};

// ---- A PostgreSQL database of the check's own ------------------------------------------------

/// A database for one check, dropped with the value: the `VACUUM` horizon counts only the
/// sessions connected to the same database, so no other test's snapshot can hold it back, and
/// extensions can be created without touching the shared one.
struct Database {
    name: String,
    admin: Conn,
    /// What the server said with `INFO` or `NOTICE` on connections made with [`Database::notices`].
    notices: Arc<Mutex<Vec<String>>>,
}

impl Database {
    fn create() -> Result<Database, String> {
        let mut admin = connect(Server::Postgres)?;
        let name = unique_name("bf_mvcc");
        admin.must(&format!("CREATE DATABASE {name}"));
        Ok(Database { name, admin, notices: Arc::default() })
    }

    fn connect(&self) -> Conn {
        let mut config = postgres_config().expect("checked before");
        config.dbname(&self.name);
        let notices = self.notices.clone();
        config.notice_callback(move |notice| {
            notices.lock().expect("notices").push(notice.message().to_string())
        });
        let mut conn = Conn::Postgres(Box::new(connect_postgres_with(config).expect("connected before")));
        conn.bound_lock_waits();
        conn
    }

    fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.lock().expect("notices"))
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Outcome::Error { code, message, .. } =
            self.admin.outcome(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
        {
            eprintln!("could not drop {}: {code} {message}", self.name);
        }
    }
}

// ---- The heap page ----------------------------------------------------------------------------

/// Transaction ids as the file shows them: T1, T2, … in the order the test's transactions got
/// them.
#[derive(Default)]
struct Xids {
    names: BTreeMap<String, String>,
}

impl Xids {
    fn name(&mut self, xid: &str) -> String {
        let n = self.names.len() + 1;
        self.names.entry(xid.to_string()).or_insert_with(|| format!("T{n}")).clone()
    }

    fn show(&self, xid: &str) -> String {
        match xid {
            "0" => "-".to_string(),
            _ => self.names.get(xid).cloned().unwrap_or_else(|| "?".to_string()),
        }
    }

    fn xid_of(&self, name: &str) -> u64 {
        let (xid, _) = self.names.iter().find(|(_, n)| *n == name).expect("a named transaction");
        xid.parse().expect("a number")
    }
}

fn page(conn: &mut Conn, xids: &Xids, out: &mut String) {
    writeln!(out, "  page 0 (heap_page_items):").unwrap();
    writeln!(out, "    lp  pointer  xmin  xmax   t_ctid  flags                                 data")
        .unwrap();
    let rows = conn.postgres().query(pg_heap::PAGE, &[]).expect("heap_page_items");
    for row in rows {
        let lp: i16 = row.get(0);
        let flags: i16 = row.get(1);
        let off: i16 = row.get(2);
        let pointer = pg_heap::line_pointer(flags);
        if pointer != "normal" {
            let target = if pointer == "redirect" { format!(" to {off}") } else { String::new() };
            writeln!(out, "    {lp:>2}  {pointer}{target}").unwrap();
            continue;
        }
        let infomask = row.get::<_, i32>(6) as u16;
        let infomask2 = row.get::<_, i32>(7) as u16;
        let header = pg_heap::header_flags(infomask, infomask2);
        let xmax: String = row.get(4);
        let xmax = if header.contains(&"multi") { "multi".to_string() } else { xids.show(&xmax) };
        let data: Vec<u8> = row.get(8);
        let int = |at: usize| i32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes"));
        writeln!(
            out,
            "    {lp:>2}  {pointer:<8} {:<5} {xmax:<6} {:<7} {:<37} id={} qty={}",
            xids.show(&row.get::<_, String>(3)),
            row.get::<_, String>(5),
            header.join(" "),
            int(0),
            int(4)
        )
        .unwrap();
    }
}

fn stats(conn: &mut Conn, out: &mut String) {
    let row = conn.postgres().query_one(pg_heap::STATS, &[]).expect("pgstattuple");
    let (live, dead): (i64, i64) = (row.get(0), row.get(1));
    writeln!(out, "  pgstattuple: {live} live tuples, {dead} dead").unwrap();
}

/// What `conn` reads of the table, system columns included.
fn system_columns(conn: &mut Conn, xids: &Xids, who: &str, out: &mut String) {
    let rows = conn.postgres().query(pg_heap::SYSTEM_COLUMNS, &[]).expect("system columns");
    writeln!(out, "  {who} reads (ctid, xmin, xmax, id, qty):").unwrap();
    for row in rows {
        let ctid: String = row.get::<_, String>(0);
        writeln!(
            out,
            "    {ctid}  {:<3} {:<3} {} {}",
            xids.show(&row.get::<_, String>(1)),
            xids.show(&row.get::<_, String>(2)),
            row.get::<_, i32>(3),
            row.get::<_, i32>(4)
        )
        .unwrap();
    }
}

/// Runs `statements` on `conn` inside a transaction that stays open; names its id.
fn open_transaction(conn: &mut Conn, xids: &mut Xids, statements: &[&str], out: &mut String) -> String {
    conn.must("BEGIN");
    let mut shown = Vec::new();
    for statement in statements {
        let result = conn.outcome(statement).render(false);
        shown.push(format!("{statement} -> {result}"));
    }
    let name = xids.name(&conn.must(pg_heap::XID)[0]);
    for line in shown {
        writeln!(out, "{name}: {line}").unwrap();
    }
    name
}

fn commit(conn: &mut Conn, name: &str, out: &mut String) {
    writeln!(out, "{name}: COMMIT -> {}", conn.outcome("COMMIT").render(false)).unwrap();
}

/// `VACUUM VERBOSE`'s line about tuples, and its removable cutoff against a transaction's id.
fn vacuum(db: &Database, conn: &mut Conn, xids: &Xids, cutoff_against: Option<&str>, out: &mut String) {
    db.take_notices();
    writeln!(out, "VACUUM (VERBOSE) items -> {}", conn.outcome("VACUUM (VERBOSE) items").render(false))
        .unwrap();
    let notices = db.take_notices().join("\n");
    for line in notices.lines() {
        if line.starts_with("tuples:") {
            writeln!(out, "  the server: {line}").unwrap();
        }
        if let (Some(rest), Some(name)) = (line.strip_prefix("removable cutoff: "), cutoff_against) {
            let cutoff: u64 = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .expect("a cutoff");
            let relation = if cutoff <= xids.xid_of(name) { "not after" } else { "after" };
            writeln!(out, "  the server: removable cutoff {relation} {name}'s id").unwrap();
        }
    }
}

fn observe_heap() -> Result<String, String> {
    let db = Database::create()?;
    let mut setup = db.connect();
    for statement in pg_heap::SETUP {
        setup.must(statement);
    }
    setup.must("CREATE EXTENSION pgrowlocks");
    let (mut a, mut b, mut m) = (db.connect(), db.connect(), setup);
    let mut xids = Xids::default();
    let mut out = String::new();
    let version = m.major_version();
    writeln!(
        out,
        "# What PostgreSQL {version} did (examples/tests/real_servers/mvcc.rs). Transaction ids are\n\
         # named T1, T2, … in the order the test's transactions got them; \"-\" is 0, no xmax.\n"
    )
    .unwrap();

    writeln!(out, "== 1. INSERT, UPDATE and DELETE, seen on the page ==").unwrap();
    let t = open_transaction(&mut a, &mut xids, &[pg_heap::INSERT], &mut out);
    commit(&mut a, &t, &mut out);
    page(&mut m, &xids, &mut out);
    let t = open_transaction(&mut a, &mut xids, &[pg_heap::UPDATE], &mut out);
    writeln!(out, "  ({t} has not committed yet)").unwrap();
    system_columns(&mut a, &xids, &t, &mut out);
    system_columns(&mut m, &xids, "another session", &mut out);
    page(&mut m, &xids, &mut out);
    commit(&mut a, &t, &mut out);
    let t = open_transaction(&mut a, &mut xids, &[pg_heap::DELETE], &mut out);
    commit(&mut a, &t, &mut out);
    page(&mut m, &xids, &mut out);
    stats(&mut m, &mut out);
    vacuum(&db, &mut m, &xids, None, &mut out);
    stats(&mut m, &mut out);
    page(&mut m, &xids, &mut out);
    let t = open_transaction(&mut a, &mut xids, &[pg_heap::INSERT_AGAIN], &mut out);
    commit(&mut a, &t, &mut out);
    page(&mut m, &xids, &mut out);

    writeln!(out, "\n== 2. Row locks are written into xmax ==").unwrap();
    let t = open_transaction(&mut a, &mut xids, &[pg_heap::FOR_UPDATE], &mut out);
    page(&mut m, &xids, &mut out);
    commit(&mut a, &t, &mut out);
    let t1 = open_transaction(&mut a, &mut xids, &[pg_heap::FOR_SHARE], &mut out);
    let t2 = open_transaction(&mut b, &mut xids, &[pg_heap::FOR_SHARE], &mut out);
    page(&mut m, &xids, &mut out);
    let rows = m
        .postgres()
        .query("SELECT locked_row::text, multi, xids::text[], modes FROM pgrowlocks('items')", &[])
        .expect("pgrowlocks");
    for row in rows {
        let lockers: Vec<String> = row.get::<_, Vec<String>>(2).iter().map(|x| xids.show(x)).collect();
        let modes: Vec<String> = row.get(3);
        writeln!(
            out,
            "  pgrowlocks: row {} multi={} lockers {} modes {}",
            row.get::<_, String>(0),
            row.get::<_, bool>(1),
            lockers.join(", "),
            modes.join(", ")
        )
        .unwrap();
    }
    commit(&mut a, &t1, &mut out);
    commit(&mut b, &t2, &mut out);

    writeln!(out, "\n== 3. A snapshot that stays open keeps VACUUM from removing dead tuples ==").unwrap();
    writeln!(out, "R: {} -> {}", pg_heap::REPORT_BEGIN, a.outcome(pg_heap::REPORT_BEGIN).render(false))
        .unwrap();
    writeln!(out, "R: {} -> {}", pg_heap::REPORT, a.outcome(pg_heap::REPORT).render(false)).unwrap();
    let first = open_transaction(&mut b, &mut xids, &[pg_heap::BUMP], &mut out);
    commit(&mut b, &first, &mut out);
    let second = open_transaction(&mut b, &mut xids, &[pg_heap::BUMP], &mut out);
    commit(&mut b, &second, &mut out);
    stats(&mut m, &mut out);
    vacuum(&db, &mut m, &xids, Some(&first), &mut out);
    stats(&mut m, &mut out);
    writeln!(out, "R: {} -> {}", pg_heap::REPORT, a.outcome(pg_heap::REPORT).render(false)).unwrap();
    writeln!(out, "R: COMMIT -> {}", a.outcome("COMMIT").render(false)).unwrap();
    vacuum(&db, &mut m, &xids, Some(&second), &mut out);
    stats(&mut m, &mut out);
    drop((a, b, m));
    Ok(out)
}

pub fn check_heap() {
    match observe_heap() {
        Ok(observed) => {
            compare_or_bless("mvcc-heap.txt", &observed).unwrap_or_else(|difference| panic!("{difference}"));
            // The claims of the page, checked on what the server did (also when blessing).
            for claim in [
                "T2: UPDATE items SET qty = 11 WHERE id = 1 -> UPDATE 1",
                "     1  normal   T1    T2     (0,4)   hot-updated                           id=1 qty=10",
                "     1  redirect to 4",
                "     2  unused",
                "  pgstattuple: 2 live tuples, 2 dead",
                "  pgstattuple: 2 live tuples, 0 dead",
                "  pgstattuple: 3 live tuples, 6 dead",
                "  pgstattuple: 3 live tuples, 0 dead",
                "lock-only exclusive-lock",
                "multi",
                "  the server: removable cutoff not after T8's id",
                "  the server: removable cutoff after T9's id",
            ] {
                assert!(observed.contains(claim), "mvcc-heap.txt: no `{claim}`:\n{observed}");
            }
        }
        Err(error) => unreachable("real_servers: PostgreSQL's heap page", Server::Postgres, &error),
    }
}

// ---- InnoDB's history list -------------------------------------------------------------------

fn history(conn: &mut Conn) -> i64 {
    conn.must(purge::HISTORY)[0].parse().expect("a number")
}

fn observe_purge() -> Result<String, String> {
    let scratch = Scratch::create(Server::Mariadb)?;
    let (mut reader, mut writer, mut monitor) = (scratch.connect(), scratch.connect(), scratch.connect());
    writer.must(purge::SETUP);
    writer.must(purge::FILL);
    let version = monitor.major_version();
    let mut out = format!("== MariaDB {version}: an old read view and the history list ==\n");
    // The history list is server-wide: undo logs that other tests committed before the read
    // view below are still purgeable while it is open, and purging them would offset the
    // growth measured. Let purge catch up first (the list stops shrinking).
    let (mut last, started) = (history(&mut monitor), std::time::Instant::now());
    while started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let now = history(&mut monitor);
        if now >= last {
            break;
        }
        last = now;
    }
    for statement in purge::READER {
        writeln!(out, "R: {statement} -> {}", reader.outcome(statement).render(false)).unwrap();
    }
    let before = history(&mut monitor);
    for _ in 0..purge::WRITES {
        writer.must(purge::WRITE);
    }
    let during = history(&mut monitor);
    writeln!(out, "W: {} (autocommit) × {} -> ok", purge::WRITE, purge::WRITES).unwrap();
    let grew = during - before >= purge::WRITES as i64;
    writeln!(
        out,
        "  history list length grew by at least {}: {}",
        purge::WRITES,
        if grew { "yes (one undo log per committed transaction, none purged)" } else { "NO" }
    )
    .unwrap();
    writeln!(out, "W: {} -> {}", purge::READ, writer.outcome(purge::READ).render(false)).unwrap();
    writeln!(
        out,
        "R: {} -> {} (rebuilt from the undo logs)",
        purge::READ,
        reader.outcome(purge::READ).render(false)
    )
    .unwrap();
    writeln!(out, "R: COMMIT -> {}", reader.outcome("COMMIT").render(false)).unwrap();
    // Purge runs in the background: wait for it to catch up. The list is server-wide, so
    // another test's open transaction (a read view older than our writes) holds purge back
    // as well: time while any other transaction is open does not count against the 60 s,
    // and the wait gives up after 5 minutes in all.
    let target = during - purge::WRITES as i64;
    let (started, poll) = (Instant::now(), Duration::from_millis(50));
    let mut counted = Duration::ZERO;
    let mut now = history(&mut monitor);
    while now > target && counted < Duration::from_secs(60) && started.elapsed() < Duration::from_secs(300) {
        thread::sleep(poll);
        let others: i64 = monitor.must(purge::OTHER_TRANSACTIONS)[0].parse().expect("a number");
        if others == 0 {
            counted += poll;
        }
        now = history(&mut monitor);
    }
    writeln!(
        out,
        "  purge then shrank the history list by at least {} (within 60 s with no other transaction open): {}",
        purge::WRITES,
        if now <= target { "yes" } else { "NO" }
    )
    .unwrap();
    Ok(out)
}

pub fn check_purge() {
    // Other tests on the same MariaDB commit and purge at the same time; a try whose
    // measurement they disturbed (a NO) is taken again, up to three tries in all.
    let mut observed = observe_purge();
    for _ in 1..3 {
        match &observed {
            Ok(text) if text.contains(": NO") => {
                eprintln!("real_servers: InnoDB's history list: a try was disturbed, trying again:\n{text}");
                observed = observe_purge();
            }
            _ => break,
        }
    }
    match observed {
        Ok(observed) => {
            let text = format!(
                "# What MariaDB did (examples/tests/real_servers/mvcc.rs): the history list length\n# is server-wide, so the file records properties of it, not its values.\n\n{observed}"
            );
            compare_or_bless("innodb-purge.txt", &text).unwrap_or_else(|difference| panic!("{difference}"));
            assert!(!observed.contains("NO"), "{observed}");
            assert!(observed.contains(&format!("R: {} -> 0 (rebuilt", purge::READ)), "{observed}");
        }
        Err(error) => unreachable("real_servers: InnoDB's history list", Server::Mariadb, &error),
    }
}

// ---- Row-lock conflicts ----------------------------------------------------------------------

/// A's statement held while B asks for each mode with NOWAIT: one table row.
fn lock_row(
    a: &mut Conn,
    b: &mut Conn,
    held: &str,
    asked: &[&str],
    what_a_holds: impl FnOnce(&mut Conn) -> String,
    refusals: &mut BTreeSet<String>,
) -> (String, Vec<&'static str>) {
    a.must("BEGIN");
    let outcome = a.outcome(held);
    assert!(outcome.error_code().is_none(), "{held}: {}", outcome.render(false));
    let holds = what_a_holds(a);
    let mut cells = Vec::new();
    for question in asked {
        b.must("BEGIN");
        let answer = b.outcome(question);
        match answer.error_code() {
            None => cells.push(lock_modes::GRANTED),
            Some(_) => {
                refusals.insert(answer.render(false));
                cells.push(lock_modes::REFUSED);
            }
        }
        b.must("ROLLBACK");
    }
    a.must("ROLLBACK");
    (holds, cells)
}

fn table_row(out: &mut String, statement: &str, holds: &str, cells: &[&str]) {
    let cells: Vec<String> = cells.iter().map(|c| format!("{c:<11}")).collect();
    writeln!(out, "  {statement}\n    {holds:<26}{}", cells.join("").trim_end()).unwrap();
}

fn observe_lock_modes(server: Server) -> Result<String, String> {
    let mut out = String::new();
    let mut refusals = BTreeSet::new();
    match server {
        Server::Postgres => {
            let db = Database::create()?;
            let mut setup = db.connect();
            setup.must("CREATE EXTENSION pgrowlocks");
            for statement in lock_modes::POSTGRES_SETUP {
                setup.must(statement);
            }
            let (mut a, mut b) = (db.connect(), db.connect());
            let version = setup.major_version();
            writeln!(out, "== PostgreSQL {version}: A holds a lock on parents row 1, B asks with NOWAIT ==")
                .unwrap();
            writeln!(out, "  A runs (in a transaction)\n    pgrowlocks: A holds       B asks: FOR …")
                .unwrap();
            let headings: Vec<String> =
                lock_modes::POSTGRES_COLUMNS.iter().map(|c| format!("{c:<11}")).collect();
            writeln!(out, "    {:<26}{}", "", headings.join("").trim_end()).unwrap();
            let asked: Vec<&str> = lock_modes::POSTGRES_ASKED.iter().map(|(sql, _)| *sql).collect();
            for (held, _) in lock_modes::POSTGRES_HELD {
                let (holds, cells) = lock_row(
                    &mut a,
                    &mut b,
                    held,
                    &asked,
                    |_| {
                        let modes = setup.must(lock_modes::POSTGRES_ROW_LOCKS);
                        modes.join("; ")
                    },
                    &mut refusals,
                );
                table_row(&mut out, held, &holds, &cells);
            }
            drop((a, b, setup));
        }
        Server::Mariadb => {
            let scratch = Scratch::create(server)?;
            let mut setup = scratch.connect();
            for statement in lock_modes::MARIADB_SETUP {
                setup.must(statement);
            }
            let (mut a, mut b) = (scratch.connect(), scratch.connect());
            let version = setup.major_version();
            writeln!(out, "== MariaDB {version}: A holds a lock on parents row 1, B asks with NOWAIT ==")
                .unwrap();
            writeln!(out, "  A runs (in a transaction)    B asks:").unwrap();
            let headings: Vec<String> =
                lock_modes::MARIADB_COLUMNS.iter().map(|c| format!("{c:<11}")).collect();
            writeln!(out, "    {:<26}{}", "", headings.join("").trim_end()).unwrap();
            let asked: Vec<&str> = lock_modes::MARIADB_ASKED.iter().map(|(sql, _)| *sql).collect();
            for (held, _) in lock_modes::MARIADB_HELD {
                let (holds, cells) = lock_row(&mut a, &mut b, held, &asked, |_| String::new(), &mut refusals);
                table_row(&mut out, held, &holds, &cells);
            }
        }
    }
    for refusal in refusals {
        writeln!(out, "  {}: {refusal}", lock_modes::REFUSED).unwrap();
    }
    Ok(out)
}

fn observe_all(
    check: &str,
    file: &str,
    header: &str,
    observe: impl Fn(Server) -> Result<String, String>,
) -> Option<String> {
    let mut sections = Vec::new();
    let mut ran = false;
    for server in Server::ALL {
        match observe(server) {
            Ok(section) => {
                sections.push(section);
                ran = true;
            }
            Err(error) => {
                unreachable(check, server, &error);
                // Keep the checked-in section of the server that could not be reached.
                let on_disk = super::harness::checked_in(file);
                let prefix = format!("== {} ", server.name());
                let kept: Vec<&str> = on_disk
                    .lines()
                    .skip_while(|l| !l.starts_with(&prefix))
                    .enumerate()
                    .take_while(|(n, l)| *n == 0 || !l.starts_with("== "))
                    .map(|(_, l)| l)
                    .collect();
                sections.push(format!("{}\n", kept.join("\n").trim_end()));
            }
        }
    }
    if !ran {
        return None;
    }
    let text = format!("{header}\n{}", sections.join("\n"));
    compare_or_bless(file, &text).unwrap_or_else(|difference| panic!("{difference}"));
    Some(text)
}

pub fn check_lock_modes() {
    observe_all(
        "real_servers: row-lock conflicts",
        "row-lock-modes.txt",
        "# What the servers did (examples/tests/real_servers/mvcc.rs): A takes a lock on one row,\n\
         # B asks for it with NOWAIT; \"ok\": B got it at once, \"busy\": B's request failed at once.\n",
        observe_lock_modes,
    );
}

// ---- Draining a queue with threads -----------------------------------------------------------

fn observe_drain(server: Server) -> Result<String, String> {
    let scratch = Scratch::create(server)?;
    let mut setup = scratch.connect();
    setup.must(drain::SETUP);
    let values: Vec<String> =
        (1..=drain::JOBS).map(|id| drain::FILL.replace("{id}", &id.to_string())).collect();
    for statement in values {
        setup.must(&statement);
    }
    let workers: Vec<thread::JoinHandle<Vec<i64>>> = (0..drain::WORKERS)
        .map(|_| {
            let mut conn = scratch.connect();
            thread::spawn(move || {
                let mut done = Vec::new();
                loop {
                    conn.must("BEGIN");
                    let claimed = conn.must(drain::CLAIM);
                    let Some(id) = claimed.first() else {
                        conn.must("COMMIT");
                        return done;
                    };
                    let id: i64 = id.parse().expect("an id");
                    // The work: a millisecond, with the row locked.
                    thread::sleep(Duration::from_millis(1));
                    conn.must(&drain::DONE.replace("{id}", &id.to_string()));
                    conn.must("COMMIT");
                    done.push(id);
                }
            })
        })
        .collect();
    let per_worker: Vec<Vec<i64>> =
        workers.into_iter().map(|w| w.join().expect("a worker panicked")).collect();
    let claims: usize = per_worker.iter().map(Vec::len).sum();
    let distinct: BTreeSet<i64> = per_worker.iter().flatten().copied().collect();
    let counts = match &mut setup {
        Conn::Postgres(client) => {
            let row = client.query_one(drain::COUNT, &[]).expect("counts");
            [
                row.get::<_, i64>(0),
                row.get::<_, i64>(1),
                i64::from(row.get::<_, i32>(2)),
                row.get::<_, i64>(3),
            ]
        }
        Conn::Mariadb(_) => {
            let Outcome::Rows { rows, .. } = setup.outcome(drain::COUNT) else { panic!("counts") };
            let n = |i: usize| rows[0][i].parse::<i64>().expect("a number");
            [n(0), n(1), n(2), n(3)]
        }
    };
    let version = setup.major_version();
    let mut out = String::new();
    writeln!(
        out,
        "== {} {version}: {} worker threads drain {} jobs with FOR UPDATE SKIP LOCKED ==",
        server.name(),
        drain::WORKERS,
        drain::JOBS
    )
    .unwrap();
    writeln!(out, "jobs in the table: {}, still queued: {}", counts[0], counts[3]).unwrap();
    writeln!(out, "jobs the workers say they did: {claims}, of them different: {}", distinct.len()).unwrap();
    writeln!(out, "marks of done in the table: {}, most on one job: {}", counts[1], counts[2]).unwrap();
    Ok(out)
}

pub fn check_drain() {
    let text = observe_all(
        "real_servers: a queue drained by worker threads",
        "queue-drain.txt",
        "# What the servers did (examples/tests/real_servers/mvcc.rs): each worker is a thread with\n\
         # a connection of its own; how many jobs each one did varies from run to run and is not shown.\n",
        observe_drain,
    );
    if let Some(text) = text {
        for server in Server::ALL {
            let section = text.split("== ").find(|s| s.starts_with(server.name())).expect("a section");
            for claim in [
                format!("jobs in the table: {}, still queued: 0", drain::JOBS),
                format!("jobs the workers say they did: {0}, of them different: {0}", drain::JOBS),
                format!("marks of done in the table: {}, most on one job: 1", drain::JOBS),
            ] {
                assert!(section.contains(&claim), "{server:?}: no `{claim}`:\n{text}");
            }
        }
    }
}
