//! Hermitage's cases on the real servers: PostgreSQL 15 and MariaDB 10.11.
//!
//! Every case runs at every level on two or three real connections (one thread each, so a
//! statement that waits for a lock does not stop the script), on a table of its own. A
//! statement counts as blocked when the server itself says its session waits for a lock
//! (`pg_blocking_pids` on PostgreSQL, `information_schema.innodb_trx` on MariaDB); the script
//! then goes on, and the statement's result is attributed to the step during which it arrives.
//! A statement sent by a session that is still waiting queues behind it, as it would in a
//! client that pipelines.
//!
//! * PostgreSQL must do exactly what the engine does (the rendered traces are compared line by
//!   line; its read uncommitted is compared with the engine's read committed, which is what
//!   PostgreSQL runs it as), and its outcomes must be Hermitage's published ones.
//! * MariaDB is compared with Hermitage's MySQL/InnoDB results; differences are recorded, not
//!   failures.
//! * Everything observed is compared with `examples/data/hermitage-observed.txt`, which the
//!   chapter's anomaly table is generated from; `EXAMPLES_BLESS=1` rewrites it.
//!
//! Servers: `BF_POSTGRES` (a libpq-style connection string, default
//! `host=127.0.0.1 port=5432 user=postgres dbname=test`) and `BF_MARIADB` (a URL, default
//! `mysql://root@127.0.0.1:3306/test`). A server that cannot be reached fails the test in
//! CI (`test_support::in_ci`: `CI=true` or `CI=1`); otherwise it says loudly on stderr that
//! it did not run, and passes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use examples::isolation::engine;
use examples::isolation::hermitage::{CASES, Case, Verdict};
use examples::isolation::observed::{Observations, Recording, Server};
use examples::isolation::script::{Level, Script, Statement};
use examples::isolation::trace::{Cause, Failure, Response, Start, StepRecord, Trace, render};

/// Longest a statement may take to finish or to be seen waiting before the test gives up.
const DEADLINE: Duration = Duration::from_secs(10);
/// How long to let a server settle before trusting that a session is waiting for a lock.
/// PostgreSQL's `pg_blocking_pids` is live; InnoDB's `innodb_trx` is a cache refreshed at most
/// every 100 ms.
fn settle(server: Server) -> Duration {
    match server {
        Server::Postgres => Duration::from_millis(20),
        Server::Mariadb => Duration::from_millis(250),
    }
}

static TABLES: AtomicUsize = AtomicUsize::new(0);

fn postgres_params() -> String {
    std::env::var("BF_POSTGRES")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".to_string())
}

fn mariadb_url() -> String {
    std::env::var("BF_MARIADB").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_string())
}

// ---- Connections ---------------------------------------------------------------------------

enum Conn {
    Postgres(Box<postgres::Client>),
    Mariadb(mysql::Conn),
}

fn connect(server: Server) -> Result<Conn, String> {
    match server {
        Server::Postgres => {
            let mut config: postgres::Config = postgres_params().parse().map_err(|e| format!("{e}"))?;
            config.connect_timeout(Duration::from_secs(3));
            match config.connect(postgres::NoTls) {
                Ok(client) => Ok(Conn::Postgres(Box::new(client))),
                // The user may be called `root` rather than `postgres` on some machines.
                Err(first) if std::env::var("BF_POSTGRES").is_err() => {
                    config.user("root");
                    config
                        .connect(postgres::NoTls)
                        .map(|c| Conn::Postgres(Box::new(c)))
                        .map_err(|_| format!("{first}"))
                }
                Err(e) => Err(format!("{e}")),
            }
        }
        Server::Mariadb => {
            use mysql::consts::CapabilityFlags;
            let opts = mysql::Opts::from_url(&mariadb_url()).map_err(|e| format!("{e}"))?;
            let opts = mysql::OptsBuilder::from_opts(opts)
                .tcp_connect_timeout(Some(Duration::from_secs(3)))
                // Count matched rows, as PostgreSQL does, not only the rows whose value changed.
                .additional_capabilities(CapabilityFlags::CLIENT_FOUND_ROWS);
            mysql::Conn::new(opts).map(Conn::Mariadb).map_err(|e| format!("{e}"))
        }
    }
}

impl Conn {
    /// Runs SQL that must succeed (setup, monitoring); returns the first column of each row.
    fn must(&mut self, sql: &str) -> Vec<String> {
        match self {
            Conn::Postgres(client) => client
                .simple_query(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or("").to_string()),
                    _ => None,
                })
                .collect(),
            Conn::Mariadb(conn) => {
                use mysql::prelude::Queryable;
                let rows: Vec<mysql::Row> = conn.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                rows.into_iter()
                    .map(|row| row.get_opt::<String, usize>(0).and_then(Result::ok).unwrap_or_default())
                    .collect()
            }
        }
    }

    /// The server's id for this session.
    fn id(&mut self) -> u64 {
        match self {
            Conn::Postgres(_) => self.must("select pg_backend_pid()")[0].parse().expect("a pid"),
            Conn::Mariadb(conn) => u64::from(conn.connection_id()),
        }
    }

    /// Whether session `id` is waiting for a lock.
    fn waiting(&mut self, id: u64) -> bool {
        match self {
            Conn::Postgres(_) => {
                self.must(&format!("select cardinality(pg_blocking_pids({id})) > 0"))[0] == "t"
            }
            Conn::Mariadb(_) => {
                self.must(&format!(
                    "select count(*) from information_schema.innodb_trx \
                     where trx_mysql_thread_id = {id} and trx_state = 'LOCK WAIT'"
                ))[0]
                    != "0"
            }
        }
    }

    fn major_version(&mut self) -> String {
        match self {
            Conn::Postgres(_) => {
                let num: u64 = self.must("show server_version_num")[0].parse().expect("a number");
                (num / 10_000).to_string()
            }
            Conn::Mariadb(_) => {
                let full = self.must("select version()")[0].clone();
                full.split('.').take(2).collect::<Vec<_>>().join(".")
            }
        }
    }

    /// Runs one statement of a script as this session.
    fn run(&mut self, statement: &Statement, table: &str) -> Result<Response, Failure> {
        let sql = statement.sql(table);
        match self {
            Conn::Postgres(client) => match client.simple_query(&sql) {
                Ok(messages) => {
                    let mut rows = Vec::new();
                    let mut count = 0;
                    for message in messages {
                        match message {
                            postgres::SimpleQueryMessage::Row(row) => {
                                let number = |i: usize| {
                                    row.get(i).and_then(|v| v.parse::<i64>().ok()).expect("an int")
                                };
                                rows.push((number(0), number(1)));
                            }
                            postgres::SimpleQueryMessage::CommandComplete(n) => count = n,
                            _ => {}
                        }
                    }
                    Ok(response(statement, rows, count))
                }
                Err(e) => Err(postgres_failure(&e)),
            },
            Conn::Mariadb(conn) => {
                use mysql::prelude::Queryable;
                // MariaDB takes the level before `start transaction`, not after `begin`.
                let sql = match statement {
                    Statement::Begin { level: Some(level) } => {
                        if let Err(e) = conn.query_drop(format!("set transaction isolation level {level}")) {
                            return Err(mariadb_failure(&e));
                        }
                        "start transaction".to_string()
                    }
                    Statement::SetIsolation(_) => {
                        return Err(Failure::Other(
                            "MariaDB cannot change the level inside a transaction".into(),
                        ));
                    }
                    _ => sql,
                };
                match conn.query_iter(&sql) {
                    Ok(mut result) => {
                        let mut rows = Vec::new();
                        let mut count = 0;
                        while let Some(set) = result.iter() {
                            count = set.affected_rows();
                            for row in set {
                                let row = row.map_err(|e| mariadb_failure(&e))?;
                                let (id, value): (i64, i64) = mysql::from_row(row);
                                rows.push((id, value));
                            }
                        }
                        Ok(response(statement, rows, count))
                    }
                    Err(e) => Err(mariadb_failure(&e)),
                }
            }
        }
    }
}

fn response(statement: &Statement, mut rows: Vec<(i64, i64)>, count: u64) -> Response {
    rows.sort_unstable();
    match statement {
        Statement::Begin { .. } => Response::Begin,
        Statement::SetIsolation(_) => Response::Set,
        Statement::Commit => Response::Commit,
        Statement::Rollback => Response::Rollback,
        Statement::Select { .. } => Response::Rows(rows),
        Statement::Insert { .. } | Statement::Update { .. } | Statement::Delete { .. } => {
            Response::Count(count)
        }
    }
}

fn postgres_failure(e: &postgres::Error) -> Failure {
    use postgres::error::SqlState;
    let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
    match e.code() {
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE => {
            if message.contains("read/write dependencies") {
                Failure::Serialization(Cause::RwDependencies)
            } else {
                Failure::Serialization(Cause::ConcurrentUpdate)
            }
        }
        Some(code) if *code == SqlState::T_R_DEADLOCK_DETECTED => Failure::Deadlock,
        Some(code) if *code == SqlState::LOCK_NOT_AVAILABLE => Failure::LockTimeout,
        Some(code) if *code == SqlState::UNIQUE_VIOLATION => Failure::Duplicate,
        Some(code) if *code == SqlState::IN_FAILED_SQL_TRANSACTION => Failure::Ignored,
        Some(code) => Failure::Other(format!("{} {message}", code.code())),
        None => Failure::Other(message),
    }
}

fn mariadb_failure(e: &mysql::Error) -> Failure {
    match e {
        mysql::Error::MySqlError(error) => match error.code {
            1213 => Failure::Deadlock,
            1205 => Failure::LockTimeout,
            1062 => Failure::Duplicate,
            code => Failure::Other(format!("{code} {}", error.message)),
        },
        other => Failure::Other(other.to_string()),
    }
}

// ---- One session: a thread with a connection ------------------------------------------------

struct Session {
    send: Option<Sender<(usize, Statement)>>,
    id: u64,
    thread: JoinHandle<()>,
}

fn start_session(
    server: Server,
    level: Level,
    table: String,
    results: Sender<(usize, Result<Response, Failure>)>,
    abandon: Arc<AtomicBool>,
) -> Session {
    let (send, receive) = mpsc::channel::<(usize, Statement)>();
    let (ready, id) = mpsc::channel();
    let thread = thread::spawn(move || {
        let mut conn = connect(server).expect("connected before");
        match server {
            Server::Postgres => {
                conn.must(&format!("set default_transaction_isolation = '{level}'"));
                conn.must("set lock_timeout = '10s'");
            }
            Server::Mariadb => {
                conn.must(&format!("set session transaction isolation level {level}"));
                conn.must("set session innodb_lock_wait_timeout = 10");
            }
        }
        ready.send(conn.id()).expect("the coordinator waits");
        session_loop(server, &mut conn, &table, &receive, &results, &abandon);
    });
    let id = id.recv_timeout(DEADLINE).expect("the session connected");
    Session { send: Some(send), id, thread }
}

fn session_loop(
    server: Server,
    conn: &mut Conn,
    table: &str,
    receive: &Receiver<(usize, Statement)>,
    results: &Sender<(usize, Result<Response, Failure>)>,
    abandon: &AtomicBool,
) {
    let (mut in_transaction, mut failed) = (false, false);
    while let Ok((step, statement)) = receive.recv() {
        if abandon.load(Ordering::SeqCst) {
            continue;
        }
        let mut result = conn.run(&statement, table);
        match &statement {
            Statement::Begin { .. } => (in_transaction, failed) = (true, false),
            Statement::Commit | Statement::Rollback => {
                if failed && matches!(result, Ok(Response::Commit)) {
                    // PostgreSQL answers ROLLBACK; MariaDB has already rolled back.
                    result = Ok(Response::RolledBack);
                }
                (in_transaction, failed) = (false, false);
            }
            _ => {
                if let Err(failure) = &result {
                    // Every error aborts a PostgreSQL transaction; InnoDB rolls a transaction
                    // back on a deadlock, and only the statement on other errors.
                    let ends = match server {
                        Server::Postgres => true,
                        Server::Mariadb => *failure == Failure::Deadlock,
                    };
                    failed |= in_transaction && ends;
                }
            }
        }
        if results.send((step, result)).is_err() {
            return;
        }
    }
}

// ---- One case at one level -------------------------------------------------------------------

fn run_case(server: Server, monitor: &mut Conn, case: &Case, level: Level) -> Trace {
    let script = case.parse();
    let table = format!("hermitage_{}_{}", std::process::id(), TABLES.fetch_add(1, Ordering::SeqCst));
    let mut setup = connect(server).expect("connected before");
    let engine_clause = if server == Server::Mariadb { " engine=InnoDB" } else { "" };
    setup.must(&format!("create table {table} (id int primary key, value int){engine_clause}"));
    let values: Vec<String> = script.rows.iter().map(|(id, v)| format!("({id}, {v})")).collect();
    setup.must(&format!("insert into {table} (id, value) values {}", values.join(", ")));

    let (results_send, results) = mpsc::channel();
    let abandon = Arc::new(AtomicBool::new(false));
    let mut sessions: BTreeMap<usize, Session> = BTreeMap::new();
    for s in 1..=script.sessions() {
        if script.steps.iter().any(|step| step.session == s) {
            sessions.insert(
                s,
                start_session(server, level, table.clone(), results_send.clone(), abandon.clone()),
            );
        }
    }
    drop(results_send);

    let n = script.steps.len();
    let mut records: Vec<StepRecord> =
        vec![StepRecord { start: Start::Ran, finished_at: None, result: None }; n];
    let mut sent: Vec<bool> = vec![false; n];
    let collect = |records: &mut Vec<StepRecord>, now: usize, wait: Duration| -> bool {
        match results.recv_timeout(wait) {
            Ok((step, result)) => {
                records[step].finished_at = Some(now);
                records[step].result = Some(result);
                true
            }
            Err(_) => false,
        }
    };
    let unfinished = |records: &Vec<StepRecord>, sent: &Vec<bool>| -> Vec<usize> {
        (0..n).filter(|&i| sent[i] && records[i].result.is_none()).collect()
    };
    for i in 0..n {
        let session = script.steps[i].session;
        let busy = unfinished(&records, &sent).iter().any(|&j| script.steps[j].session == session);
        if busy {
            records[i].start = Start::Queued;
        }
        sessions[&session]
            .send
            .as_ref()
            .expect("open")
            .send((i, script.steps[i].statement.clone()))
            .expect("the session thread runs");
        sent[i] = true;
        // Wait until every sent statement has finished or its session is seen waiting.
        let started = Instant::now();
        loop {
            while collect(&mut records, i, Duration::from_millis(2)) {}
            let open = unfinished(&records, &sent);
            if open.is_empty() {
                break;
            }
            let waiting_sessions: Vec<usize> = {
                let mut list: Vec<usize> = open.iter().map(|&j| script.steps[j].session).collect();
                list.dedup();
                list
            };
            if started.elapsed() >= settle(server)
                && waiting_sessions.iter().all(|s| monitor.waiting(sessions[s].id))
            {
                if records[i].result.is_none() && records[i].start == Start::Ran {
                    records[i].start = Start::Blocked;
                }
                break;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "{} {} at {level}, step {}: no answer and no lock wait after {DEADLINE:?}",
                server.name(),
                case.name,
                i + 1
            );
        }
    }
    // End: let go of every session; a statement still waiting is released when the others
    // disconnect (their transactions roll back).
    abandon.store(true, Ordering::SeqCst);
    for session in sessions.values_mut() {
        session.send.take();
    }
    for (_, session) in sessions {
        session.thread.join().expect("a session thread panicked");
    }
    setup.must(&format!("drop table {table}"));
    Trace { steps: records }
}

// ---- The test --------------------------------------------------------------------------------

struct ServerRun {
    version: String,
    recordings: Vec<Recording>,
    traces: BTreeMap<(&'static str, Level), (Script, Trace)>,
}

fn run_server(server: Server) -> Result<ServerRun, String> {
    let mut monitor = connect(server)?;
    let version = monitor.major_version();
    let mut recordings = Vec::new();
    let mut traces = BTreeMap::new();
    for case in CASES {
        for level in Level::ALL {
            let trace = run_case(server, &mut monitor, case, level);
            let script = case.parse();
            recordings.push(Recording {
                server,
                case: case.name.to_string(),
                level,
                verdict: case.verdict(&script, &trace),
                trace: render(&script, &trace, "    "),
            });
            traces.insert((case.name, level), (script, trace));
        }
    }
    Ok(ServerRun { version, recordings, traces })
}

fn data_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data").join("hermitage-observed.txt")
}

fn skipped(server: Server, error: &str) {
    let variable = if server == Server::Postgres { "BF_POSTGRES" } else { "BF_MARIADB" };
    test_support::skip_or_fail(
        &format!("hermitage_real: Hermitage's cases on the real {}", server.name()),
        &format!("{} is not reachable: {error}", server.name()),
        &format!("Start the server, or point {variable} at one."),
    );
}
#[test]
fn hermitage_cases_on_real_servers() {
    let bless = test_support::blessing();
    let handles: Vec<(Server, JoinHandle<Result<ServerRun, String>>)> =
        Server::ALL.into_iter().map(|s| (s, thread::spawn(move || run_server(s)))).collect();
    let mut runs: BTreeMap<Server, ServerRun> = BTreeMap::new();
    for (server, handle) in handles {
        match handle.join().expect("a server run panicked") {
            Ok(run) => {
                runs.insert(server, run);
            }
            Err(error) => skipped(server, &error),
        }
    }
    if runs.is_empty() {
        return;
    }
    let mut failures = String::new();

    // PostgreSQL does what the engine does, statement by statement, and what Hermitage says.
    if let Some(pg) = runs.get(&Server::Postgres) {
        for case in CASES {
            for level in Level::ALL {
                let (script, trace) = &pg.traces[&(case.name, level)];
                let as_level = if level == Level::ReadUncommitted { Level::ReadCommitted } else { level };
                let engine_run = engine::run(script, as_level).expect("the engine runs every case");
                let (real, model) =
                    (render(script, trace, "    "), render(script, &engine_run.trace, "    "));
                if real != model {
                    failures.push_str(&format!(
                        "PostgreSQL differs from the engine on {} at {level}:\n{}\n",
                        case.name,
                        test_support::line_diff(&model, &real)
                    ));
                }
                let verdict = case.verdict(script, trace);
                let published = case.published_postgres(as_level).expect("published");
                if verdict != published {
                    failures.push_str(&format!(
                        "PostgreSQL: {} at {level} is {}, Hermitage published {}\n",
                        case.name,
                        verdict.word(),
                        published.word()
                    ));
                }
            }
        }
    }
    // MariaDB against Hermitage's MySQL results: reported, not failed.
    if let Some(maria) = runs.get(&Server::Mariadb) {
        for r in &maria.recordings {
            let case = CASES.iter().find(|c| c.name == r.case).expect("a case");
            if case.published_mysql(r.level) != Some(r.verdict) {
                eprintln!(
                    "MariaDB {}: {} at {} is {}; Hermitage's MySQL 5.6 result is {}",
                    maria.version,
                    r.case,
                    r.level,
                    r.verdict.word(),
                    case.published_mysql(r.level).map_or("not published", Verdict::word)
                );
            }
        }
    }

    // What was observed against what is checked in.
    let path = data_file();
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    let checked_in = Observations::parse(&on_disk).unwrap_or_default();
    let mut observed = Observations::default();
    for server in Server::ALL {
        match runs.get(&server) {
            Some(run) => {
                observed.versions.push((server, run.version.clone()));
                observed.recordings.extend(run.recordings.iter().cloned());
            }
            None => {
                // Keep what the file says for a server that did not run.
                if let Some(version) = checked_in.version(server) {
                    observed.versions.push((server, version.to_string()));
                }
                observed
                    .recordings
                    .extend(checked_in.recordings.iter().filter(|r| r.server == server).cloned());
            }
        }
    }
    let text = observed.render();
    if bless {
        assert!(
            runs.len() == Server::ALL.len(),
            "refusing to rewrite {} without both servers",
            path.display()
        );
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    } else if text != on_disk {
        failures.push_str(&format!(
            "{} differs from what the servers did:\n{}\nIf the servers are right (a new version?), run \
             `EXAMPLES_BLESS=1 cargo test -p examples --test hermitage_real` and review the diff.\n",
            path.display(),
            test_support::line_diff(&on_disk, &text)
        ));
    }
    assert!(failures.is_empty(), "\n{failures}");
}
