//! What every check on the real servers shares: connections, the server's own word on who waits
//! for whom, sessions on threads driven step by step, a schema or database per run, and the
//! checked-in file each check compares with.
//!
//! Servers: `BF_POSTGRES` (a libpq-style connection string, default
//! `host=127.0.0.1 port=5432 user=postgres dbname=test`) and `BF_MARIADB` (a URL, default
//! `mysql://root@127.0.0.1:3306/test`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use examples::isolation::trace::Start;
use examples::real_servers::Server;

/// Longest a statement may take to finish or to be seen waiting before a check gives up.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// How long to let a server settle before trusting that a session waits for a lock: PostgreSQL's
/// `pg_blocking_pids` is live; InnoDB's `information_schema` lock tables are a cache refreshed
/// at most every 100 ms.
pub fn settle(server: Server) -> Duration {
    match server {
        Server::Postgres => Duration::from_millis(20),
        Server::Mariadb => Duration::from_millis(250),
    }
}

/// A name no other run uses (other test runs may share the servers): `prefix_<pid>_<n>`.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

/// The environment variable that points the tests at another server.
pub fn variable(server: Server) -> &'static str {
    match server {
        Server::Postgres => "BF_POSTGRES",
        Server::Mariadb => "BF_MARIADB",
    }
}

/// A check (its part on `server`) that could not reach the server: fails in CI, else says so
/// loudly.
pub fn unreachable(check: &str, server: Server, error: &str) {
    test_support::skip_or_fail(
        &format!("{check}, on {}", server.name()),
        &format!("{} is not reachable: {error}", server.name()),
        &format!("Start the server, or point {} at one.", variable(server)),
    );
}

// ---- Connections ---------------------------------------------------------------------------

/// A PostgreSQL client for `BF_POSTGRES` (or the default).
pub fn connect_postgres() -> Result<postgres::Client, String> {
    connect_postgres_with(postgres_config()?)
}

/// The connection settings of `BF_POSTGRES` (or the default), for a caller that changes some.
pub fn postgres_config() -> Result<postgres::Config, String> {
    let params = std::env::var("BF_POSTGRES")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".to_string());
    let mut config: postgres::Config = params.parse().map_err(|e| format!("{e}"))?;
    config.connect_timeout(Duration::from_secs(3));
    Ok(config)
}

/// Connects with `config` (from [`postgres_config`]).
pub fn connect_postgres_with(mut config: postgres::Config) -> Result<postgres::Client, String> {
    match config.connect(postgres::NoTls) {
        Ok(client) => Ok(client),
        // The user may be called `root` rather than `postgres` on some machines.
        Err(first) if std::env::var("BF_POSTGRES").is_err() => {
            config.user("root");
            config.connect(postgres::NoTls).map_err(|_| format!("{first}"))
        }
        Err(e) => Err(format!("{e}")),
    }
}

/// A MariaDB connection for `BF_MARIADB` (or the default), in `database` if given.
fn connect_mariadb(database: Option<&str>) -> Result<mysql::Conn, String> {
    use mysql::consts::CapabilityFlags;
    let url = std::env::var("BF_MARIADB").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_string());
    let opts = mysql::Opts::from_url(&url).map_err(|e| format!("{e}"))?;
    let mut opts = mysql::OptsBuilder::from_opts(opts)
        .tcp_connect_timeout(Some(Duration::from_secs(3)))
        // Count matched rows, as PostgreSQL does, not only the rows whose value changed.
        .additional_capabilities(CapabilityFlags::CLIENT_FOUND_ROWS);
    if let Some(database) = database {
        opts = opts.db_name(Some(database));
    }
    mysql::Conn::new(opts).map_err(|e| format!("{e}"))
}

pub enum Conn {
    Postgres(Box<postgres::Client>),
    Mariadb(mysql::Conn),
}

pub fn connect(server: Server) -> Result<Conn, String> {
    match server {
        Server::Postgres => connect_postgres().map(|c| Conn::Postgres(Box::new(c))),
        Server::Mariadb => connect_mariadb(None).map(Conn::Mariadb),
    }
}

/// What a statement returned, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A result set: column names and rows (NULL as `NULL`).
    Rows { columns: Vec<String>, rows: Vec<Vec<String>> },
    /// An `INSERT`, `UPDATE` or `DELETE` and the rows it changed (matched, on MariaDB).
    Count { verb: String, rows: u64 },
    /// Anything else that succeeded.
    Done,
    /// The server's error: SQLSTATE on PostgreSQL; error number and SQLSTATE on MariaDB.
    Error {
        code: String,
        message: String,
        /// PostgreSQL's DETAIL, when it sent one (for a deadlock: who waited for whom).
        detail: Option<String>,
    },
}

impl Outcome {
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Outcome::Error { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The result as a page shows it: rows (`, ` between columns, `; ` between rows), `UPDATE 1`,
    /// `ok`, or the error. `by_column`: each row on a line of its own, as `column=value`.
    pub fn render(&self, by_column: bool) -> String {
        match self {
            Outcome::Rows { rows, .. } if rows.is_empty() => "(no rows)".to_string(),
            Outcome::Rows { columns, rows } if by_column => rows
                .iter()
                .map(|row| {
                    columns.iter().zip(row).map(|(c, v)| format!("{c}={v}")).collect::<Vec<_>>().join(", ")
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Outcome::Rows { rows, .. } => {
                rows.iter().map(|row| row.join(", ")).collect::<Vec<_>>().join("; ")
            }
            Outcome::Count { verb, rows } => format!("{verb} {rows}"),
            Outcome::Done => "ok".to_string(),
            Outcome::Error { code, message, .. } => format!("ERROR {code}: {message}"),
        }
    }

    /// The one value of a one-row, one-column result.
    pub fn single_value(&self) -> Option<&str> {
        match self {
            Outcome::Rows { rows, .. } if rows.len() == 1 && rows[0].len() == 1 => Some(&rows[0][0]),
            _ => None,
        }
    }
}

/// `INSERT`, `UPDATE` or `DELETE` when `sql` starts with one of them.
fn changing_verb(sql: &str) -> Option<String> {
    let word = sql.split_whitespace().next()?.to_ascii_uppercase();
    ["INSERT", "UPDATE", "DELETE"].contains(&word.as_str()).then_some(word)
}

fn mariadb_value(value: &mysql::Value) -> String {
    match value {
        mysql::Value::NULL => "NULL".to_string(),
        mysql::Value::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        // The text protocol sends every value as bytes; the rest cannot occur here.
        other => other.as_sql(true),
    }
}

impl Conn {
    /// Runs SQL that must succeed (setup, monitoring); returns the first column of each row.
    pub fn must(&mut self, sql: &str) -> Vec<String> {
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

    /// Runs one statement and says what it returned, errors included.
    pub fn outcome(&mut self, sql: &str) -> Outcome {
        let verb = changing_verb(sql);
        match self {
            Conn::Postgres(client) => match client.simple_query(sql) {
                Ok(messages) => {
                    let (mut columns, mut rows, mut count) = (None, Vec::new(), 0);
                    for message in messages {
                        match message {
                            postgres::SimpleQueryMessage::RowDescription(description) => {
                                columns = Some(description.iter().map(|c| c.name().to_string()).collect());
                            }
                            postgres::SimpleQueryMessage::Row(row) => rows.push(
                                (0..row.len()).map(|i| row.get(i).unwrap_or("NULL").to_string()).collect(),
                            ),
                            postgres::SimpleQueryMessage::CommandComplete(n) => count = n,
                            _ => {}
                        }
                    }
                    match (columns, verb) {
                        (Some(columns), _) => Outcome::Rows { columns, rows },
                        (None, Some(verb)) => Outcome::Count { verb, rows: count },
                        (None, None) => Outcome::Done,
                    }
                }
                Err(e) => match e.as_db_error() {
                    Some(db) => Outcome::Error {
                        code: db.code().code().to_string(),
                        message: db.message().to_string(),
                        detail: db.detail().map(str::to_string),
                    },
                    None => {
                        Outcome::Error { code: "client".to_string(), message: e.to_string(), detail: None }
                    }
                },
            },
            Conn::Mariadb(conn) => {
                use mysql::prelude::Queryable;
                let error = |e: mysql::Error| match e {
                    mysql::Error::MySqlError(e) => Outcome::Error {
                        code: format!("{} ({})", e.code, e.state),
                        message: e.message,
                        detail: None,
                    },
                    other => Outcome::Error {
                        code: "client".to_string(),
                        message: other.to_string(),
                        detail: None,
                    },
                };
                let mut result = match conn.query_iter(sql) {
                    Ok(result) => result,
                    Err(e) => return error(e),
                };
                let mut outcome = Outcome::Done;
                while let Some(set) = result.iter() {
                    let columns: Vec<String> =
                        set.columns().as_ref().iter().map(|c| c.name_str().into_owned()).collect();
                    let affected = set.affected_rows();
                    let mut rows = Vec::new();
                    for row in set {
                        match row {
                            Ok(row) => rows.push(row.unwrap().iter().map(mariadb_value).collect()),
                            Err(e) => return error(e),
                        }
                    }
                    outcome = match (columns.is_empty(), &verb) {
                        (false, _) => Outcome::Rows { columns, rows },
                        (true, Some(verb)) => Outcome::Count { verb: verb.clone(), rows: affected },
                        (true, None) => Outcome::Done,
                    };
                }
                outcome
            }
        }
    }

    /// The server's id for this session: its process id on PostgreSQL, thread id on MariaDB.
    pub fn id(&mut self) -> u64 {
        match self {
            Conn::Postgres(_) => self.must("select pg_backend_pid()")[0].parse().expect("a pid"),
            Conn::Mariadb(conn) => u64::from(conn.connection_id()),
        }
    }

    /// The PostgreSQL client, for typed queries.
    pub fn postgres(&mut self) -> &mut postgres::Client {
        match self {
            Conn::Postgres(client) => client,
            Conn::Mariadb(_) => panic!("a PostgreSQL connection was expected"),
        }
    }

    /// Whether session `id` is waiting for a lock, as the server reports it.
    pub fn waiting(&mut self, id: u64) -> bool {
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

    /// The sessions that session `id` waits for, as the server reports them (sorted).
    pub fn blockers(&mut self, id: u64) -> Vec<u64> {
        let rows = match self {
            Conn::Postgres(_) => self.must(&format!("select unnest(pg_blocking_pids({id}))")),
            Conn::Mariadb(_) => self.must(&format!(
                "select distinct b.trx_mysql_thread_id \
                 from information_schema.innodb_lock_waits w \
                 join information_schema.innodb_trx r on r.trx_id = w.requesting_trx_id \
                 join information_schema.innodb_trx b on b.trx_id = w.blocking_trx_id \
                 where r.trx_mysql_thread_id = {id}"
            )),
        };
        let mut ids: Vec<u64> = rows.iter().map(|r| r.parse().expect("a session id")).collect();
        ids.sort_unstable();
        ids
    }

    /// Waits until none of `ids` is still running a statement, unless it waits for a lock, so
    /// that what the server reports about them is final. PostgreSQL's `pg_stat_activity` is
    /// live: poll it. InnoDB's `information_schema` tables are a cache that is at most 100 ms
    /// old when read, so a read after [`settle`] sees the latest statement.
    pub fn quiesce(&mut self, ids: &[u64]) {
        match self {
            Conn::Postgres(_) => {
                let started = Instant::now();
                for id in ids {
                    while self.must(&format!(
                        "select count(*) from pg_stat_activity where pid = {id} \
                         and state = 'active' and cardinality(pg_blocking_pids(pid)) = 0"
                    ))[0]
                        != "0"
                    {
                        assert!(started.elapsed() < DEADLINE, "session {id} stayed active for {DEADLINE:?}");
                        thread::sleep(Duration::from_millis(1));
                    }
                }
            }
            Conn::Mariadb(_) => thread::sleep(settle(Server::Mariadb)),
        }
    }

    pub fn major_version(&mut self) -> String {
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

    /// A guard against a broken run hanging: a lock wait gives up after [`DEADLINE`].
    pub fn bound_lock_waits(&mut self) {
        let seconds = DEADLINE.as_secs();
        match self {
            Conn::Postgres(_) => self.must(&format!("set lock_timeout = '{seconds}s'")),
            Conn::Mariadb(_) => self.must(&format!("set session innodb_lock_wait_timeout = {seconds}")),
        };
    }
}

/// Polls the server until session `id` waits for a lock (for a check that knows it must).
pub fn wait_until_waiting(monitor: &mut Conn, id: u64) {
    let started = Instant::now();
    while !monitor.waiting(id) {
        assert!(started.elapsed() < DEADLINE, "session {id} was never seen waiting for a lock");
        thread::sleep(Duration::from_millis(2));
    }
}

// ---- A schema (PostgreSQL) or database (MariaDB) for one run -------------------------------

/// A namespace of its own for one scenario, so runs that share a server do not collide; it is
/// dropped with the value. Table names stay as the scenario writes them.
pub struct Scratch {
    server: Server,
    name: String,
    admin: Conn,
}

/// The name error messages show instead of the scratch namespace's unique one.
pub const SHOWN_NAMESPACE: &str = "test";

impl Scratch {
    pub fn create(server: Server) -> Result<Scratch, String> {
        let mut admin = connect(server)?;
        let name = unique_name("bf_scratch");
        match server {
            Server::Postgres => admin.must(&format!("create schema {name}")),
            Server::Mariadb => admin.must(&format!("create database {name}")),
        };
        admin.bound_lock_waits();
        Ok(Scratch { server, name, admin })
    }

    /// A new connection whose unqualified table names are in this namespace.
    pub fn connect(&self) -> Conn {
        match self.server {
            Server::Postgres => {
                let mut conn = Conn::Postgres(Box::new(connect_postgres().expect("connected before")));
                conn.must(&format!("set search_path to {}", self.name));
                conn
            }
            Server::Mariadb => Conn::Mariadb(connect_mariadb(Some(&self.name)).expect("connected before")),
        }
    }

    /// What turns the namespace's unique name into [`SHOWN_NAMESPACE`] in what a server said
    /// (error messages name the database on MariaDB).
    pub fn hider(&self) -> Hider {
        Hider { name: self.name.clone() }
    }
}

/// See [`Scratch::hider`].
#[derive(Clone)]
pub struct Hider {
    name: String,
}

impl Hider {
    pub fn text(&self, text: &str) -> String {
        text.replace(&self.name, SHOWN_NAMESPACE)
    }

    pub fn outcome(&self, outcome: Outcome) -> Outcome {
        match outcome {
            Outcome::Rows { columns, rows } => Outcome::Rows {
                columns,
                rows: rows.into_iter().map(|row| row.iter().map(|v| self.text(v)).collect()).collect(),
            },
            Outcome::Error { code, message, detail } => {
                Outcome::Error { code, message: self.text(&message), detail }
            }
            other => other,
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let sql = match self.server {
            Server::Postgres => format!("drop schema if exists {} cascade", self.name),
            Server::Mariadb => format!("drop database if exists {}", self.name),
        };
        // A failed drop leaves a namespace behind; it must not hide the check's own result
        // (`outcome` reports an error instead of panicking, also while a panic unwinds).
        if let Outcome::Error { code, message, .. } = self.admin.outcome(&sql) {
            eprintln!("could not drop {}: {code} {message}", self.name);
        }
    }
}

// ---- Sessions on threads, driven step by step ------------------------------------------------

/// What a session does with each step it is sent (and whatever state it keeps between them).
pub type Handler<S, R> = Box<dyn FnMut(&mut Conn, S) -> R + Send>;

/// One step as it went.
#[derive(Debug, Clone)]
pub struct Record<R> {
    pub session: usize,
    pub start: Start,
    /// The step (0-based) during which it finished; `None`: still waiting at the end.
    pub finished_at: Option<usize>,
    pub result: Option<R>,
    /// The sessions the server said it waited for (indices), when it was blocked.
    pub blockers: Vec<usize>,
    /// A deadlock seen during this step: the server's wait-for graph among the sessions
    /// (each waiting session with the sessions it waits for) when it formed a cycle.
    pub deadlock: Option<Vec<(usize, Vec<usize>)>>,
    /// When the step was sent, and when its result came.
    pub sent: Instant,
    pub done: Option<Instant>,
}

struct SessionThread<S> {
    send: Option<Sender<(usize, S)>>,
    id: u64,
    thread: JoinHandle<()>,
}

/// Sessions, each a connection on a thread of its own, so a statement that waits for a lock
/// does not stop the script. Each step is sent to its session; [`Driver::send`] returns once
/// every statement sent so far has finished or its session is seen waiting for a lock (the
/// server says so, after [`settle`]). A statement sent to a session that is still waiting
/// queues behind it, as in a client that pipelines.
pub struct Driver<S, R> {
    server: Server,
    sessions: Vec<SessionThread<S>>,
    results: Receiver<(usize, R)>,
    abandon: Arc<AtomicBool>,
    records: Vec<Record<R>>,
    /// Whether a cycle among the waiting sessions holds the script until the server breaks it
    /// ([`Driver::awaiting_deadlocks`]).
    await_deadlocks: bool,
}

impl<S: Send + 'static, R: Send + 'static> Driver<S, R> {
    pub fn new(server: Server, sessions: Vec<(Conn, Handler<S, R>)>) -> Self {
        let (results_send, results) = mpsc::channel::<(usize, R)>();
        let abandon = Arc::new(AtomicBool::new(false));
        let sessions = sessions
            .into_iter()
            .map(|(mut conn, mut handler)| {
                let id = conn.id();
                let (send, receive) = mpsc::channel::<(usize, S)>();
                let (results, abandon) = (results_send.clone(), abandon.clone());
                let thread = thread::spawn(move || {
                    while let Ok((step, statement)) = receive.recv() {
                        if abandon.load(Ordering::SeqCst) {
                            continue;
                        }
                        let result = handler(&mut conn, statement);
                        if results.send((step, result)).is_err() {
                            return;
                        }
                    }
                });
                SessionThread { send: Some(send), id, thread }
            })
            .collect();
        Driver { server, sessions, results, abandon, records: Vec::new(), await_deadlocks: false }
    }

    /// When the sessions the server reports as waiting wait for each other in a cycle, hold
    /// the script until the server breaks it (PostgreSQL after `deadlock_timeout`, InnoDB as the
    /// cycle forms) instead of going on, and record the cycle on the step. For scenarios about
    /// deadlocks only: `pg_blocking_pids` also names sessions merely queued ahead for the same
    /// lock, so elsewhere a "cycle" may be a queue the server never breaks.
    pub fn awaiting_deadlocks(mut self) -> Self {
        self.await_deadlocks = true;
        self
    }

    /// Session `session`'s id on the server.
    pub fn id(&self, session: usize) -> u64 {
        self.sessions[session].id
    }

    pub fn ids(&self) -> Vec<u64> {
        self.sessions.iter().map(|s| s.id).collect()
    }

    fn open(&self) -> Vec<usize> {
        (0..self.records.len()).filter(|&i| self.records[i].result.is_none()).collect()
    }

    /// Sends `statement` to `session` as the next step; returns when everything sent has
    /// finished or waits for a lock. `what` names the step in a timeout's message.
    pub fn send(&mut self, monitor: &mut Conn, session: usize, statement: S, what: &str) {
        let i = self.records.len();
        let busy = self.open().iter().any(|&j| self.records[j].session == session);
        let start = if busy { Start::Queued } else { Start::Ran };
        self.records.push(Record {
            session,
            start,
            finished_at: None,
            result: None,
            blockers: Vec::new(),
            deadlock: None,
            sent: Instant::now(),
            done: None,
        });
        self.sessions[session]
            .send
            .as_ref()
            .expect("open")
            .send((i, statement))
            .expect("the session thread runs");
        let started = Instant::now();
        loop {
            while let Ok((step, result)) = self.results.recv_timeout(Duration::from_millis(2)) {
                self.records[step].finished_at = Some(i);
                self.records[step].result = Some(result);
                self.records[step].done = Some(Instant::now());
            }
            let open = self.open();
            if open.is_empty() {
                return;
            }
            let mut waiting: Vec<usize> = open.iter().map(|&j| self.records[j].session).collect();
            waiting.sort_unstable();
            waiting.dedup();
            // A deadlock seen during this step is over only when the server has failed one of
            // its sessions' statements: until then, a poll that catches the graph mid-change
            // (one wait already released, the other still reported) must not end the step.
            if let Some(graph) = &self.records[i].deadlock
                && graph.iter().all(|(s, _)| waiting.contains(s))
            {
                assert!(
                    started.elapsed() < DEADLINE,
                    "{}: {what}: a deadlock the server did not break within {DEADLINE:?}",
                    self.server.name()
                );
                continue;
            }
            if started.elapsed() >= settle(self.server)
                && waiting.iter().all(|&s| monitor.waiting(self.sessions[s].id))
            {
                // Sessions of the script waiting for each other in a cycle: a deadlock, which
                // the server itself must break. Wait for it rather than go on.
                let graph: Vec<(usize, Vec<usize>)> = if self.await_deadlocks {
                    waiting
                        .iter()
                        .map(|&s| {
                            let ids = monitor.blockers(self.sessions[s].id);
                            (
                                s,
                                ids.iter()
                                    .filter_map(|id| self.sessions.iter().position(|t| t.id == *id))
                                    .collect(),
                            )
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                if has_cycle(&graph) {
                    self.records[i].deadlock.get_or_insert(graph);
                    assert!(
                        started.elapsed() < DEADLINE,
                        "{}: {what}: a deadlock the server did not break within {DEADLINE:?}",
                        self.server.name()
                    );
                    continue;
                }
                if self.records[i].result.is_none() && self.records[i].start == Start::Ran {
                    let blockers = monitor.blockers(self.sessions[session].id);
                    let record = &mut self.records[i];
                    record.start = Start::Blocked;
                    record.blockers = blockers
                        .iter()
                        .filter_map(|id| self.sessions.iter().position(|s| s.id == *id))
                        .collect();
                }
                return;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "{}: {what}: no answer and no lock wait after {DEADLINE:?}",
                self.server.name()
            );
        }
    }

    /// Lets go of every session (a statement still waiting is released when the others
    /// disconnect and their transactions roll back) and returns what each step did.
    pub fn finish(mut self) -> Vec<Record<R>> {
        self.abandon.store(true, Ordering::SeqCst);
        for session in &mut self.sessions {
            session.send.take();
        }
        for session in self.sessions {
            session.thread.join().expect("a session thread panicked");
        }
        self.records
    }
}

/// Whether the wait-for graph (each waiting session with the sessions it waits for) has a cycle.
pub fn has_cycle(graph: &[(usize, Vec<usize>)]) -> bool {
    // From each session, follow waits-for edges depth first; coming back to a session on the
    // current path is a cycle.
    fn on_a_cycle(s: usize, graph: &[(usize, Vec<usize>)], path: &mut Vec<usize>) -> bool {
        if path.contains(&s) {
            return true;
        }
        let Some((_, waits_for)) = graph.iter().find(|(t, _)| *t == s) else { return false };
        path.push(s);
        let found = waits_for.iter().any(|&next| on_a_cycle(next, graph, path));
        path.pop();
        found
    }
    graph.iter().any(|(s, _)| on_a_cycle(*s, graph, &mut Vec::new()))
}

// ---- Processes of a test's own ------------------------------------------------------------

/// A free TCP port on 127.0.0.1 (free when asked; the caller's server binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// An account without privileges, for servers that refuse to run as root (PgBouncer,
/// PostgreSQL's `initdb` and `postgres`).
#[derive(Debug, Clone)]
pub struct Unprivileged {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// The user a server a test starts should run as: `None` when the test is not root; otherwise
/// `postgres`, or `nobody` when there is no such user.
pub fn unprivileged_user() -> Option<Unprivileged> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let entry = |name: &str| {
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            match fields.as_slice() {
                [n, _, uid, gid, ..] if *n == name => Some(Unprivileged {
                    name: name.to_string(),
                    uid: uid.parse().ok()?,
                    gid: gid.parse().ok()?,
                }),
                _ => None,
            }
        })
    };
    entry("postgres").or_else(|| entry("nobody"))
}

// ---- The checked-in observations ------------------------------------------------------------

pub fn data_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

/// The checked-in text of `name` (empty when there is none yet).
pub fn checked_in(name: &str) -> String {
    std::fs::read_to_string(data_file(name)).unwrap_or_default()
}

/// Under `cargo xtask bless`, writes `observed` to `examples/data/<name>`; otherwise an error
/// with a diff when they differ.
pub fn compare_or_bless(name: &str, observed: &str) -> Result<(), String> {
    let path = data_file(name);
    if test_support::blessing() {
        std::fs::write(&path, observed).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return Ok(());
    }
    let on_disk = checked_in(name);
    if on_disk == observed {
        return Ok(());
    }
    Err(format!(
        "{} differs from what the servers did:\n{}\nIf the servers are right (a new version?), run \
         `cargo xtask bless` (or `EXAMPLES_BLESS=1 cargo test -p examples --test real_servers`) and \
         review the diff.",
        path.display(),
        test_support::line_diff(&on_disk, observed)
    ))
}

/// A connection to the shared NATS server (`BF_NATS`, default 127.0.0.1:4222) with JetStream on,
/// or `None` after `check` was skipped loudly (a failure in CI) because there is none.
pub fn jetstream_or_skip(check: &str) -> Option<examples::disttx::nats::Nats> {
    let address = examples::disttx::nats::shared_address();
    let nats = match examples::disttx::nats::Nats::connect(&address) {
        Ok(nats) => nats,
        Err(e) => {
            test_support::skip_or_fail(
                check,
                &format!("NATS at {address} is not reachable: {e}"),
                "Start nats-server -js on 127.0.0.1:4222 (.ci/run does), or point BF_NATS at one.",
            );
            return None;
        }
    };
    if nats.info.get("jetstream") != Some(&examples::apidesign::json::Json::Bool(true)) {
        test_support::skip_or_fail(
            check,
            &format!("NATS at {address} runs without JetStream"),
            "Start it with -js (.ci/run does).",
        );
        return None;
    }
    Some(nats)
}
