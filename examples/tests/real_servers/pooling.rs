//! The connection-pooling chapter's claims, on the real PostgreSQL 15 and a real PgBouncer.
//!
//! `connect_cost`: every connection is a backend process of its own (`pg_stat_activity`, and
//! `/proc` when the server runs on this machine); connect-per-request against a pool
//! (`examples::pooling::pool`), as the ratio of their fastest request times, in classes, never
//! raw times. Compared with `examples/data/pooling-connect-cost.txt`.
//!
//! `pool_modes`: a `pgbouncer` process of the test's own, on a free loopback port, configured
//! from `examples::pooling::bouncer::INI` in a temporary directory, runs the chapter's scripts
//! once per pool mode: session state (`SET`, `PREPARE`, a temporary table, an advisory lock)
//! seen or not seen by the next transaction of the same client and by other clients; a
//! protocol-level prepared statement; `max_prepared_statements` on this version; pool
//! exhaustion and `query_wait_timeout`; `max_client_conn`; connect-per-request through
//! PgBouncer. Compared with `examples/data/pgbouncer-pool-modes.txt`.
//!
//! PgBouncer refuses to run as root ("PgBouncer should not run as root"); started by root (as in
//! CI), the test passes `-u postgres` (or `-u nobody` when there is no such user), PgBouncer's
//! documented way to drop privileges, and makes the temporary directory readable to that user.
//! Without a `pgbouncer` on the PATH, that part is skipped loudly (a failure in CI).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use examples::pooling::bouncer::{EXHAUSTION, INI, PREPARED, SESSION_STATE};
use examples::pooling::observed::{fastest, ratio_class};
use examples::pooling::pool::Pool;
use examples::real_servers::Server;

use super::harness::{
    Conn, DEADLINE, compare_or_bless, connect_postgres, free_port, unique_name, unprivileged_user,
    unreachable,
};

const COST_FILE: &str = "pooling-connect-cost.txt";
const MODES_FILE: &str = "pgbouncer-pool-modes.txt";
/// Requests per way of connecting.
const REQUESTS: usize = 200;

/// The first column of the first row of a simple query's answer.
fn first_value(messages: &[postgres::SimpleQueryMessage]) -> String {
    messages
        .iter()
        .find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or_default().to_string()),
            _ => None,
        })
        .expect("a row")
}

fn backend_pid(client: &mut postgres::Client) -> i32 {
    client.query_one("SELECT pg_backend_pid()", &[]).expect("pg_backend_pid").get(0)
}

/// A process's memory from `/proc/<pid>/smaps_rollup` (kB): Rss, Pss, Private_Dirty.
fn memory_kb(pid: i32) -> Option<(u64, u64, u64)> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| -> Option<u64> {
        rollup.lines().find_map(|l| l.strip_prefix(name))?.trim().trim_end_matches("kB").trim().parse().ok()
    };
    Some((field("Rss:")?, field("Pss:")?, field("Private_Dirty:")?))
}

/// A process's parent and name, from `/proc`, when it is a process of this machine.
fn os_process(pid: i32) -> Option<(i32, String)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| status.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_string());
    Some((field("PPid:")?.parse().ok()?, field("Name:")?))
}

// ---- 1. What a connection costs ---------------------------------------------------------

fn connect_cost() -> Result<String, String> {
    let mut monitor = connect_postgres()?;
    let mut out = String::new();
    let version: u32 = monitor
        .query_one("SHOW server_version_num", &[])
        .map_err(|e| e.to_string())?
        .get::<_, String>(0)
        .parse()
        .expect("a number");
    writeln!(
        out,
        "# What PostgreSQL {} did (examples/tests/real_servers/pooling.rs): counts and ratio classes, no pids or times.\n",
        version / 10_000
    )
    .unwrap();

    writeln!(out, "== 1. Every connection is a backend process ==").unwrap();
    let mut clients: Vec<postgres::Client> =
        (0..5).map(|_| connect_postgres().expect("connected before")).collect();
    let pids: Vec<i32> = clients.iter_mut().map(backend_pid).collect();
    let distinct: BTreeSet<i32> = pids.iter().copied().collect();
    writeln!(out, "opened 5 connections: {} distinct backend process ids", distinct.len()).unwrap();
    let listed: i64 = monitor
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1) AND backend_type = 'client backend'",
            &[&pids],
        )
        .expect("pg_stat_activity")
        .get(0);
    writeln!(out, "pg_stat_activity lists {listed} of them, each with backend_type = 'client backend'")
        .unwrap();
    // Where the server runs on this machine, each pid is an OS process named postgres, and all
    // have one parent, the postmaster, which forked them.
    let processes: Vec<Option<(i32, String)>> = pids.iter().map(|&p| os_process(p)).collect();
    if processes.iter().all(Option::is_some) {
        let parents: BTreeSet<i32> = processes.iter().flatten().map(|p| p.0).collect();
        assert_eq!(parents.len(), 1, "one parent (the postmaster) for every backend: {processes:?}");
        assert!(processes.iter().flatten().all(|p| p.1 == "postgres"), "{processes:?}");
    }
    // Their memory, idle after one query, as classes: what each one adds of its own
    // (Private_Dirty), against what `ps` shows (Rss, which counts shared pages in full).
    let memory: Vec<Option<(u64, u64, u64)>> = pids.iter().map(|&p| memory_kb(p)).collect();
    if memory.iter().all(Option::is_some) {
        let memory: Vec<(u64, u64, u64)> = memory.into_iter().flatten().collect();
        eprintln!("pooling: idle backends' (Rss, Pss, Private_Dirty) in kB: {memory:?}");
        let count = |f: &dyn Fn(&(u64, u64, u64)) -> bool| memory.iter().filter(|m| f(m)).count();
        writeln!(
            out,
            "their memory (/proc/<pid>/smaps_rollup), idle: Private_Dirty under 5 MB: {} of 5; \
             Pss under 10 MB: {} of 5; Rss at least 2× Pss: {} of 5",
            count(&|m| m.2 < 5 * 1024),
            count(&|m| m.1 < 10 * 1024),
            count(&|m| m.0 >= 2 * m.1),
        )
        .unwrap();
    } else {
        writeln!(out, "their memory: not measured (the server is not on this machine)").unwrap();
    }
    drop(clients);
    let started = Instant::now();
    let remaining = loop {
        let n: i64 = monitor
            .query_one("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)", &[&pids])
            .expect("pg_stat_activity")
            .get(0);
        if n == 0 || started.elapsed() > DEADLINE {
            break n;
        }
        thread::sleep(Duration::from_millis(5));
    };
    writeln!(out, "closed them: {remaining} of 5 still listed (each backend process exited)").unwrap();
    for setting in ["max_connections", "superuser_reserved_connections"] {
        let value: String = monitor.query_one(&format!("SHOW {setting}"), &[]).expect("SHOW").get(0);
        writeln!(out, "{setting} = {value}").unwrap();
    }

    writeln!(out, "\n== 2. {REQUESTS} requests (SELECT pg_backend_pid()), one at a time ==").unwrap();
    // Connect per request: connect, one query, disconnect.
    let (mut per_request, mut pids) = (Vec::new(), BTreeSet::new());
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let mut client = connect_postgres()?;
        let rows = client.simple_query("SELECT pg_backend_pid()").map_err(|e| e.to_string())?;
        drop(client);
        per_request.push(started.elapsed());
        pids.insert(first_value(&rows));
    }
    writeln!(
        out,
        "connect per request: {} distinct backend processes, one forked for each request",
        pids.len()
    )
    .unwrap();
    // A pool: the connection stays open between requests.
    let pool = Pool::new(4, connect_postgres);
    let (mut pooled, mut pids) = (Vec::new(), BTreeSet::new());
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let mut conn = pool.acquire(DEADLINE).map_err(|e| format!("{e:?}"))?;
        let rows = conn.simple_query("SELECT pg_backend_pid()").map_err(|e| e.to_string())?;
        drop(conn);
        pooled.push(started.elapsed());
        pids.insert(first_value(&rows));
    }
    writeln!(
        out,
        "pool of 4 (examples::pooling::pool): {} backend process(es); one request at a time never needs a second connection",
        pids.len()
    )
    .unwrap();
    let ratio = fastest(&per_request).as_secs_f64() / fastest(&pooled).as_secs_f64();
    writeln!(out, "fastest request, connect per request / pooled: {}", ratio_class(ratio)).unwrap();
    eprintln!("pooling: connect-per-request / pooled, fastest of {REQUESTS}: {ratio:.1}");

    writeln!(out, "\n== 3. The same pool, 4 threads × {} requests at once ==", REQUESTS / 4).unwrap();
    let pool = Arc::new(Pool::new(4, connect_postgres));
    let all_hold = Arc::new(Barrier::new(4));
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (pool, all_hold, seen) = (pool.clone(), all_hold.clone(), seen.clone());
            thread::spawn(move || {
                for i in 0..REQUESTS / 4 {
                    let mut conn = pool.acquire(DEADLINE).expect("a connection");
                    if i == 0 {
                        all_hold.wait(); // the first requests overlap: four connections are opened
                    }
                    let pid = backend_pid(&mut conn);
                    seen.lock().unwrap().insert(pid);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a worker panicked");
    }
    let stats = pool.stats();
    writeln!(
        out,
        "connections opened: {}, distinct backend processes: {}, requests served: {}",
        stats.opened,
        seen.lock().unwrap().len(),
        stats.acquired
    )
    .unwrap();
    Ok(out)
}

#[test]
fn connection_cost_on_a_real_postgresql() {
    match connect_cost() {
        Ok(observed) => {
            // The page's words: a process per connection, and a pool that reuses them.
            assert!(observed.contains("opened 5 connections: 5 distinct"), "{observed}");
            assert!(observed.contains("closed them: 0 of 5"), "{observed}");
            assert!(observed.contains(&format!("connect per request: {REQUESTS} distinct")), "{observed}");
            assert!(observed.contains("connections opened: 4, distinct backend processes: 4"), "{observed}");
            compare_or_bless(COST_FILE, &observed).unwrap_or_else(|difference| panic!("{difference}"));
        }
        Err(error) => unreachable("real_servers: what a connection costs", Server::Postgres, &error),
    }
}

// ---- 2. PgBouncer ---------------------------------------------------------------------------

/// A `pgbouncer` process of the test's own, killed (with its directory removed) on drop.
struct Bouncer {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where PgBouncer's server connections go: the PostgreSQL the other checks use.
struct Target {
    host: String,
    port: u16,
    db: String,
    user: String,
}

fn target() -> Result<Target, String> {
    let mut client = connect_postgres()?;
    let row = client
        .query_one("SELECT current_database()::text, current_user::text", &[])
        .map_err(|e| e.to_string())?;
    let params = std::env::var("BF_POSTGRES")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".to_string());
    let config: postgres::Config = params.parse().map_err(|e| format!("{e}"))?;
    let host = config
        .get_hosts()
        .iter()
        .find_map(|h| match h {
            postgres::config::Host::Tcp(name) => Some(name.clone()),
            #[allow(unreachable_patterns)]
            _ => None,
        })
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    Ok(Target { host, port, db: row.get(0), user: row.get(1) })
}

/// The `pgbouncer` program: on the PATH, or where Debian puts it (`/usr/sbin`, which an
/// unprivileged user's PATH may lack).
fn pgbouncer_program() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("pgbouncer")).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path.into_iter().chain([PathBuf::from("/usr/sbin/pgbouncer")]).find(|p| p.is_file())
}

/// `1.18.0`, from `pgbouncer --version`.
fn pgbouncer_version(program: &Path) -> Option<String> {
    let output = Command::new(program).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let first = text.lines().next()?.trim().to_string();
    first.strip_prefix("PgBouncer ").map(str::to_string)
}

/// Starts PgBouncer with `INI` (`extra` appended to its `[pgbouncer]` section). `Err` carries
/// what PgBouncer logged if it exits instead of listening.
fn start(program: &Path, target: &Target, extra: &str) -> Result<Bouncer, String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(unique_name("bf_pgbouncer"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    let port = free_port();
    let ini = INI
        .replace("{pg_host}", &target.host)
        .replace("{pg_port}", &target.port.to_string())
        .replace("{pg_db}", &target.db)
        .replace("{pg_user}", &target.user)
        .replace("{port}", &port.to_string())
        .replace("{extra}", extra);
    let config = dir.join("pgbouncer.ini");
    std::fs::write(&config, ini).map_err(|e| e.to_string())?;
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).map_err(|e| e.to_string())?;
    let log = dir.join("pgbouncer.log");
    let stderr = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let mut command = Command::new(program);
    if let Some(user) = unprivileged_user() {
        command.args(["-u", &user.name]);
    }
    let child = command
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("starting pgbouncer: {e}"))?;
    let mut bouncer = Bouncer { child, dir, port };
    let started = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(bouncer);
        }
        if let Ok(Some(_)) = bouncer.child.try_wait() {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            // Log lines start with a time and a pid: keep what PgBouncer said.
            let said: Vec<String> = text
                .lines()
                .map(|l| l.split_once("] ").map_or(l, |(_, rest)| rest))
                .map(|l| l.replace(&config.display().to_string(), "pgbouncer.ini"))
                .collect();
            return Err(said.join("\n"));
        }
        assert!(started.elapsed() < DEADLINE, "pgbouncer did not listen within {DEADLINE:?}");
        thread::sleep(Duration::from_millis(10));
    }
}

/// A client of PgBouncer: the connection and the notices the server sent it.
struct Client {
    conn: Conn,
    notices: Arc<Mutex<Vec<(String, String)>>>,
}

fn client(port: u16, db: &str) -> Result<Client, postgres::Error> {
    let notices = Arc::new(Mutex::new(Vec::new()));
    let sink = notices.clone();
    let conn = postgres::Config::new()
        .host("127.0.0.1")
        .port(port)
        .user("bf_client") // ignored: auth_type = any logs every client in as the database's user
        .dbname(db)
        .connect_timeout(Duration::from_secs(3))
        .notice_callback(move |notice| {
            sink.lock().unwrap().push((notice.severity().to_string(), notice.message().to_string()))
        })
        .connect(postgres::NoTls)?;
    Ok(Client { conn: Conn::Postgres(Box::new(conn)), notices })
}

/// Numbers server connections (backend pids) in the order they first show up.
#[derive(Default)]
struct Servers(BTreeMap<i32, usize>);

impl Servers {
    fn label(&mut self, pid: i32) -> String {
        let next = self.0.len() + 1;
        format!("server {}", self.0.entry(pid).or_insert(next))
    }
}

/// What the page shows instead of values that differ between machines or runs.
struct Shown {
    key: String,
    default_timezone: String,
}

impl Shown {
    fn sql(&self, sql: &str) -> String {
        sql.replace("{key}", "7")
    }

    fn result(&self, text: &str) -> String {
        match text {
            t if t == self.default_timezone => "(the server's default)".to_string(),
            // A function that returns void, such as pg_advisory_lock.
            "" => "ok".to_string(),
            t => t.to_string(),
        }
    }

    /// The name a client library gives its prepared statement differs from run to run.
    fn library_statement(&self, text: &str) -> String {
        match text.split_once("prepared statement \"") {
            Some((before, rest)) if rest.contains("\" does not exist") => {
                format!("{before}prepared statement \"…\" does not exist")
            }
            _ => text.to_string(),
        }
    }
}

/// Runs one statement on a PgBouncer client and renders it: its result, the server connection
/// it ran on (from `pg_backend_pid()`, sent in the same message, as a notice so that it arrives
/// even when the statement fails) and any warning.
fn step(
    who: &str,
    client: &mut Client,
    sql: &str,
    real_sql: &str,
    servers: &mut Servers,
    shown: &Shown,
) -> String {
    client.notices.lock().unwrap().clear();
    let text = format!("DO $$BEGIN RAISE NOTICE 'bf-server %', pg_backend_pid(); END$$; {real_sql}");
    let outcome = client.conn.outcome(&text).render(false);
    let mut line = format!("{who}: {sql} -> {}", shown.result(&outcome));
    let notices = client.notices.lock().unwrap().clone();
    let mut rest = String::new();
    for (severity, message) in notices {
        match message.strip_prefix("bf-server ") {
            Some(pid) => line.push_str(&format!("  [{}]", servers.label(pid.parse().expect("a pid")))),
            None => rest.push_str(&format!("\n     {severity}: {message}")),
        }
    }
    line + &rest
}

/// Runs `SESSION_STATE` against the logical database `db`.
fn session_state(bouncer: &Bouncer, db: &str, shown: &Shown, out: &mut String) -> Result<(), String> {
    let mut clients: BTreeMap<&str, Client> = BTreeMap::new();
    let mut servers = Servers::default();
    for raw in SESSION_STATE.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if raw.starts_with("--") {
            writeln!(out, "{raw}").unwrap();
            continue;
        }
        let (who, sql) = raw.split_once(": ").expect("`WHO: statement`");
        if sql == "disconnect" {
            clients.remove(who);
            writeln!(out, "{who}: (disconnects)").unwrap();
            continue;
        }
        if !clients.contains_key(who) {
            let new = client(bouncer.port, db).map_err(|e| e.to_string())?;
            clients.insert(who, new);
        }
        let real = sql.replace("{key}", &shown.key);
        let line =
            step(who, clients.get_mut(who).expect("connected"), &shown.sql(sql), &real, &mut servers, shown);
        writeln!(out, "{line}").unwrap();
    }
    Ok(())
}

/// The client library's own prepared statement: prepared by A, then executed by A while B
/// holds the server connection A prepared it on.
fn protocol_prepared(bouncer: &Bouncer, db: &str, shown: &Shown, out: &mut String) -> Result<(), String> {
    let mut a = client(bouncer.port, db).map_err(|e| e.to_string())?;
    let mut b = client(bouncer.port, db).map_err(|e| e.to_string())?;
    let mut servers = Servers::default();
    let statement = a.conn.postgres().prepare(PREPARED).map_err(|e| e.to_string())?;
    writeln!(out, "A: prepare \"{PREPARED}\" (Parse, a statement named by the library) -> ok").unwrap();
    writeln!(out, "{}", step("B", &mut b, "BEGIN", "BEGIN", &mut servers, shown)).unwrap();
    let result = match a.conn.postgres().query_one(&statement, &[&21i32]) {
        Ok(row) => row.get::<_, i32>(0).to_string(),
        Err(e) => match e.as_db_error() {
            Some(db) => format!("ERROR {}: {}", db.code().code(), db.message()),
            None => format!("ERROR: {e}"),
        },
    };
    writeln!(out, "A: execute it with $1 = 21 (Bind, Execute) -> {}", shown.library_statement(&result))
        .unwrap();
    // The same query on the unnamed statement: Parse, Bind, Execute and Sync sent together, as
    // node-postgres does for a query without a `name`; nothing outlives the one round trip.
    let unnamed = match a.conn.postgres().query_typed(PREPARED, &[(&21i32, postgres::types::Type::INT4)]) {
        Ok(rows) => rows[0].get::<_, i32>(0).to_string(),
        Err(e) => format!("ERROR: {e}"),
    };
    writeln!(
        out,
        "A: the same query on the unnamed statement (Parse, Bind, Execute, Sync at once) -> {unnamed}"
    )
    .unwrap();
    writeln!(out, "{}", step("B", &mut b, "COMMIT", "COMMIT", &mut servers, shown)).unwrap();
    Ok(())
}

/// The value of `column` in the admin console's `SHOW POOLS` row for `db`.
fn pool_row(admin: &mut postgres::Client, db: &str) -> BTreeMap<String, String> {
    let messages = admin.simple_query("SHOW POOLS").expect("SHOW POOLS");
    let mut columns: Vec<String> = Vec::new();
    for message in messages {
        match message {
            postgres::SimpleQueryMessage::RowDescription(d) => {
                columns = d.iter().map(|c| c.name().to_string()).collect();
            }
            postgres::SimpleQueryMessage::Row(row) if row.get("database") == Some(db) => {
                return columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.clone(), row.get(i).unwrap_or("").to_string()))
                    .collect();
            }
            _ => {}
        }
    }
    BTreeMap::new()
}

fn admin(bouncer: &Bouncer) -> Result<postgres::Client, String> {
    postgres::Config::new()
        .host("127.0.0.1")
        .port(bouncer.port)
        .user("bf_admin")
        .dbname("pgbouncer")
        .connect_timeout(Duration::from_secs(3))
        .connect(postgres::NoTls)
        .map_err(|e| e.to_string())
}

fn exhaustion(bouncer: &Bouncer, shown: &Shown, out: &mut String) -> Result<(), String> {
    let db = "bf_transaction";
    let mut servers = Servers::default();
    let mut a = client(bouncer.port, db).map_err(|e| e.to_string())?;
    let mut b = client(bouncer.port, db).map_err(|e| e.to_string())?;
    let lines: Vec<&str> = EXHAUSTION.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    for (who, client) in [("A", &mut a), ("B", &mut b)] {
        let sql = lines.iter().find_map(|l| l.strip_prefix(&format!("{who}: "))).expect("a line");
        writeln!(out, "{}", step(who, client, sql, sql, &mut servers, shown)).unwrap();
    }
    let c_sql = lines.iter().find_map(|l| l.strip_prefix("C: ")).expect("C's line").to_string();
    let mut c = client(bouncer.port, db).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let waiting = thread::spawn(move || {
        let result = c.conn.outcome(&c_sql).render(false);
        (result, started.elapsed())
    });
    let mut admin = admin(bouncer)?;
    let row = loop {
        let row = pool_row(&mut admin, db);
        if row.get("cl_waiting").map(String::as_str) == Some("1") || started.elapsed() > DEADLINE {
            break row;
        }
        thread::sleep(Duration::from_millis(5));
    };
    let pick = |k: &str| format!("{k}={}", row.get(k).map_or("?", String::as_str));
    writeln!(
        out,
        "C: SELECT 1 -> waits; SHOW POOLS: {}",
        ["cl_active", "cl_waiting", "sv_active", "sv_idle"].map(pick).join(" ")
    )
    .unwrap();
    let (result, waited) = waiting.join().expect("C's thread");
    assert!(waited >= Duration::from_millis(900), "query_wait_timeout is 1 s, C gave up after {waited:?}");
    // PgBouncer sends the client a FATAL error and closes the connection. Which of the two the
    // Rust client library reports is a race (the closed socket on one machine, 08P01
    // `query_wait_timeout` on another, PgBouncer 1.18 both), so the file records the one fact
    // both say: the connection was ended. PgBouncer's log says why.
    let log = std::fs::read_to_string(bouncer.dir.join("pgbouncer.log")).unwrap_or_default();
    let why = log
        .lines()
        .filter_map(|l| l.split_once("closing because: ").map(|(_, why)| why))
        .find(|why| why.starts_with("query_wait_timeout"))
        .map_or("(nothing in PgBouncer's log)", |why| why.split(" (age").next().unwrap_or(why));
    writeln!(
        out,
        "C: ... after query_wait_timeout (1 s) -> {}; PgBouncer's log: closing because: {why}",
        connection_ended(&shown.result(&result))
    )
    .unwrap();
    for (who, client) in [("A", &mut a), ("B", &mut b)] {
        writeln!(out, "{}", step(who, client, "COMMIT", "COMMIT", &mut servers, shown)).unwrap();
    }
    drop((a, b, admin));
    // max_client_conn = 8: the ninth client is turned away at the door.
    let started = Instant::now();
    let mut held = Vec::new();
    let refused = loop {
        match client(bouncer.port, db) {
            Ok(c) => held.push(c),
            Err(e) => {
                // Closed clients are counted until PgBouncer has seen them go: try again.
                if held.len() < 8 && started.elapsed() < DEADLINE {
                    thread::sleep(Duration::from_millis(20));
                    continue;
                }
                break e
                    .as_db_error()
                    .map_or(e.to_string(), |db| format!("ERROR {}: {}", db.code().code(), db.message()));
            }
        }
        assert!(held.len() <= 8, "PgBouncer accepted more than max_client_conn clients");
    };
    writeln!(out, "clients 1 to {} connect; client {} -> {refused}", held.len(), held.len() + 1).unwrap();
    Ok(())
}

/// Connect per request through PgBouncer: no new backend for the database, and a cheaper
/// connection for the client than one to PostgreSQL, though dearer than a pooled request. The
/// three ways take turns, request by request, so that a busy moment of the machine hits all
/// three alike.
/// Section 5. The ordering of the three costs is a property of the uncontended case; the other
/// real-server tests share the machine's two cores, and a CI run under that load once failed on
/// this section, so a try whose ordering does not hold is measured again, up to three tries in
/// all. Each try's ratios go to stderr.
fn through_bouncer(bouncer: &Bouncer, out: &mut String) -> Result<(), String> {
    let mut last = None;
    for _ in 0..3 {
        let measured = measure_through_bouncer(bouncer)?;
        let ordered = measured.1;
        last = Some(measured);
        if ordered {
            break;
        }
    }
    let (backends, ordered) = last.expect("measured at least once");
    writeln!(
        out,
        "{REQUESTS} client connections to PgBouncer, one SELECT each: {backends} server backend(s) did all the work"
    )
    .unwrap();
    writeln!(
        out,
        "fastest request: pooled < connect to PgBouncer < connect to PostgreSQL, each at least 2× the one before: {}",
        if ordered { "yes" } else { "no" }
    )
    .unwrap();
    Ok(())
}

/// One try of section 5: how many server backends served the clients through PgBouncer, and
/// whether the fastest request of each kind is at least twice the one before.
fn measure_through_bouncer(bouncer: &Bouncer) -> Result<(usize, bool), String> {
    let pool = Pool::new(1, connect_postgres);
    let (mut pooled, mut to_bouncer, mut to_postgres) = (Vec::new(), Vec::new(), Vec::new());
    let mut server_pids = BTreeSet::new();
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let mut conn = pool.acquire(DEADLINE).map_err(|e| format!("{e:?}"))?;
        conn.simple_query("SELECT pg_backend_pid()").map_err(|e| e.to_string())?;
        drop(conn);
        pooled.push(started.elapsed());

        let started = Instant::now();
        let mut c = client(bouncer.port, "bf_transaction").map_err(|e| e.to_string())?;
        let rows = c.conn.must("SELECT pg_backend_pid()");
        drop(c);
        to_bouncer.push(started.elapsed());
        server_pids.insert(rows[0].clone());

        let started = Instant::now();
        let mut direct = connect_postgres()?;
        direct.simple_query("SELECT pg_backend_pid()").map_err(|e| e.to_string())?;
        drop(direct);
        to_postgres.push(started.elapsed());
    }
    let [pooled, to_bouncer, to_postgres] =
        [pooled, to_bouncer, to_postgres].map(|t| fastest(&t).as_secs_f64());
    eprintln!(
        "pooling: fastest, relative to pooled: PgBouncer connect {:.1}, PostgreSQL connect {:.1}",
        to_bouncer / pooled,
        to_postgres / pooled
    );
    let ordered = to_bouncer / pooled >= 2.0 && to_postgres / to_bouncer >= 2.0;
    Ok((server_pids.len(), ordered))
}

fn pool_modes(program: &Path, version: &str) -> Result<String, String> {
    let target = target()?;
    let mut direct = connect_postgres()?;
    let default_timezone: String = direct.query_one("SHOW TimeZone", &[]).map_err(|e| e.to_string())?.get(0);
    let shown = Shown { key: (700_000 + std::process::id() % 100_000).to_string(), default_timezone };
    let mut out = String::new();
    let minor = version.split('.').take(2).collect::<Vec<_>>().join(".");
    writeln!(
        out,
        "# What PgBouncer {minor} and PostgreSQL 15 did (examples/tests/real_servers/pooling.rs); server \
         connections numbered in the order they appear, no pids or times.\n"
    )
    .unwrap();
    let bouncer = start(program, &target, "")?;
    for (n, mode) in [(1, "session"), (2, "transaction")] {
        writeln!(out, "== {n}. Session state, pool_mode = {mode} (a pool of 2 server connections) ==")
            .unwrap();
        session_state(&bouncer, &format!("bf_{mode}"), &shown, &mut out)?;
        writeln!(out).unwrap();
    }
    writeln!(out, "== 3. A protocol-level prepared statement ==").unwrap();
    for mode in ["session", "transaction"] {
        writeln!(out, "-- pool_mode = {mode}").unwrap();
        protocol_prepared(&bouncer, &format!("bf_{mode}"), &shown, &mut out)?;
    }
    writeln!(
        out,
        "-- max_prepared_statements = 100 (PgBouncer 1.21 and later track such statements per server)"
    )
    .unwrap();
    match start(program, &target, "max_prepared_statements = 100\n") {
        Err(said) => {
            writeln!(out, "PgBouncer {minor} does not start; it says:").unwrap();
            for line in said.lines().filter(|l| l.contains("ERROR") || l.contains("FATAL")) {
                writeln!(out, "  {line}").unwrap();
            }
        }
        Ok(tracking) => {
            writeln!(out, "PgBouncer {minor} starts; the same steps, pool_mode = transaction:").unwrap();
            protocol_prepared(&tracking, "bf_transaction", &shown, &mut out)?;
        }
    }
    writeln!(out, "\n== 4. Pool exhaustion, pool_mode = transaction ==").unwrap();
    exhaustion(&bouncer, &shown, &mut out)?;
    writeln!(out, "\n== 5. Connect per request, through PgBouncer ==").unwrap();
    through_bouncer(&bouncer, &mut out)?;
    Ok(out)
}

#[test]
fn pgbouncer_pool_modes_on_real_servers() {
    let check = "real_servers: PgBouncer's pool modes";
    let Some((program, version)) =
        pgbouncer_program().and_then(|p| Some((p.clone(), pgbouncer_version(&p)?)))
    else {
        test_support::skip_or_fail(
            check,
            "`pgbouncer` is not installed (not on the PATH, nor in /usr/sbin)",
            "Install it: `apt-get install pgbouncer` (.ci/run does).",
        );
        return;
    };
    if let Err(error) = connect_postgres() {
        unreachable(check, Server::Postgres, &error);
        return;
    }
    let observed = pool_modes(&program, &version).unwrap_or_else(|e| panic!("{check}: {e}"));
    // The page's words, checked on what happened.
    let [session, transaction] = ["== 1.", "== 2."].map(|start| {
        let from = observed.find(start).expect("a section");
        let to = observed[from + 1..].find("== ").map_or(observed.len(), |i| from + 1 + i);
        observed[from..to].to_string()
    });
    let line = |section: &str, prefix: &str| -> String {
        section
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}`:\n{section}"))
            .to_string()
    };
    // Session pooling: A keeps its state; B and C see none of it.
    assert!(line(&session, "A: SHOW statement_timeout").contains("-> 7s"), "{session}");
    assert!(line(&session, "A: EXECUTE q").contains("-> 42"), "{session}");
    assert!(line(&session, "B: SHOW statement_timeout").contains("-> 0"), "{session}");
    assert!(line(&session, "C: SHOW statement_timeout").contains("-> 0"), "{session}");
    // Transaction pooling: A loses its state (its next statement runs on another server
    // connection), and B, then C, a client that arrived after A left, get it instead.
    assert!(line(&transaction, "A: SHOW statement_timeout").contains("-> 0"), "{transaction}");
    assert!(line(&transaction, "A: EXECUTE q").contains("ERROR 26000"), "{transaction}");
    assert!(line(&transaction, "A: SELECT count(*) FROM scratch").contains("ERROR 42P01"), "{transaction}");
    assert!(line(&transaction, "B: SHOW statement_timeout").contains("-> 7s"), "{transaction}");
    assert!(line(&transaction, "C: SHOW statement_timeout").contains("-> 7s"), "{transaction}");
    assert!(line(&session, "C: SELECT count(*) AS advisory_locks_held").contains("-> 0"), "{session}");
    assert!(
        line(&transaction, "C: SELECT count(*) AS advisory_locks_held").contains("-> 1"),
        "{transaction}"
    );
    // Parameters PgBouncer tracks (TimeZone) follow their client in both modes.
    for section in [&session, &transaction] {
        assert!(line(section, "A: SHOW TimeZone").contains("Asia/Tokyo"), "{section}");
        assert!(line(section, "C: SHOW TimeZone").contains("server's default"), "{section}");
    }
    assert!(observed.contains("closing because: query_wait_timeout"), "{observed}");
    compare_or_bless(MODES_FILE, &observed).unwrap_or_else(|difference| panic!("{difference}"));
}

/// C's outcome once PgBouncer gave up on it: the FATAL error or the closed socket, whichever the
/// client library read first, as one class; anything else as it was.
fn connection_ended(result: &str) -> String {
    if result.contains("connection closed") || result.contains("08P01: query_wait_timeout") {
        "ERROR, connection ended (08P01 query_wait_timeout, or the closed socket first)".to_string()
    } else {
        result.to_string()
    }
}
