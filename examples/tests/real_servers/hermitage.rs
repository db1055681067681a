//! Hermitage's cases on the real servers: PostgreSQL 15 and MariaDB 10.11.
//!
//! Every case runs at every level on two or three real connections, driven step by step by
//! [`Driver`] (a statement counts as blocked when the server itself says its session waits for
//! a lock), on a table of its own.
//!
//! * PostgreSQL must do exactly what the engine does (the rendered traces are compared line by
//!   line; its read uncommitted is compared with the engine's read committed, which is what
//!   PostgreSQL runs it as), and its outcomes must be Hermitage's published ones.
//! * MariaDB is compared with Hermitage's MySQL/InnoDB results; differences are recorded, not
//!   failures.
//! * Everything observed is compared with `examples/data/hermitage-observed.txt`, which the
//!   chapter's anomaly table is generated from; `cargo xtask bless` rewrites it.

use std::collections::BTreeMap;
use std::thread::{self, JoinHandle};

use examples::isolation::engine;
use examples::isolation::hermitage::{CASES, Case, Verdict};
use examples::isolation::observed::{Observations, Recording};
use examples::isolation::script::{Level, Script, Statement};
use examples::isolation::trace::{Cause, Failure, Response, StepRecord, Trace, render};
use examples::real_servers::Server;

use super::harness::{
    Conn, Driver, Handler, Outcome, checked_in, compare_or_bless, connect, unique_name, unreachable,
};

/// The data file the chapter's anomaly table is generated from.
const FILE: &str = "hermitage-observed.txt";

/// Runs one statement of a script as a session, on `table`.
fn run(conn: &mut Conn, statement: &Statement, table: &str) -> Result<Response, Failure> {
    let mut sql = statement.sql(table);
    if let Conn::Mariadb(_) = conn {
        // MariaDB takes the level before `start transaction`, not after `begin`.
        match statement {
            Statement::Begin { level: Some(level) } => {
                if let Outcome::Error { code, message, .. } =
                    conn.outcome(&format!("set transaction isolation level {level}"))
                {
                    return Err(failure(&code, &message));
                }
                sql = "start transaction".to_string();
            }
            Statement::SetIsolation(_) => {
                return Err(Failure::Other("MariaDB cannot change the level inside a transaction".into()));
            }
            _ => {}
        }
    }
    let (rows, count) = match conn.outcome(&sql) {
        Outcome::Rows { rows, .. } => {
            let number = |v: &String| v.parse::<i64>().unwrap_or_else(|_| panic!("{sql}: {v} is not an int"));
            (rows.iter().map(|row| (number(&row[0]), number(&row[1]))).collect(), 0)
        }
        Outcome::Count { rows, .. } => (Vec::new(), rows),
        Outcome::Done => (Vec::new(), 0),
        Outcome::Error { code, message, .. } => return Err(failure(&code, &message)),
    };
    Ok(response(statement, rows, count))
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

/// A server's error as the engine names it: PostgreSQL's SQLSTATE, or MariaDB's error number
/// (followed by its SQLSTATE in parentheses).
fn failure(code: &str, message: &str) -> Failure {
    match code.split_whitespace().next().unwrap_or(code) {
        "40001" if message.contains("read/write dependencies") => {
            Failure::Serialization(Cause::RwDependencies)
        }
        "40001" => Failure::Serialization(Cause::ConcurrentUpdate),
        "40P01" | "1213" => Failure::Deadlock,
        "55P03" | "1205" => Failure::LockTimeout,
        "23505" | "1062" => Failure::Duplicate,
        "25P02" => Failure::Ignored,
        _ => Failure::Other(format!("{code} {message}")),
    }
}

// ---- One session -------------------------------------------------------------------------------

/// A session at `level`: runs each statement and keeps track of whether its transaction failed,
/// so that a later `commit` is reported as what it was, a rollback.
fn session(
    server: Server,
    level: Level,
    table: String,
) -> (Conn, Handler<Statement, Result<Response, Failure>>) {
    let mut conn = connect(server).expect("connected before");
    match server {
        Server::Postgres => conn.must(&format!("set default_transaction_isolation = '{level}'")),
        Server::Mariadb => conn.must(&format!("set session transaction isolation level {level}")),
    };
    conn.bound_lock_waits();
    let (mut in_transaction, mut failed) = (false, false);
    let handler = move |conn: &mut Conn, statement: Statement| {
        let mut result = run(conn, &statement, &table);
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
        result
    };
    (conn, Box::new(handler))
}

// ---- One case at one level -------------------------------------------------------------------

fn run_case(server: Server, monitor: &mut Conn, case: &Case, level: Level) -> Trace {
    let script = case.parse();
    let table = unique_name("hermitage");
    let mut setup = connect(server).expect("connected before");
    let engine_clause = if server == Server::Mariadb { " engine=InnoDB" } else { "" };
    setup.must(&format!("create table {table} (id int primary key, value int){engine_clause}"));
    let values: Vec<String> = script.rows.iter().map(|(id, v)| format!("({id}, {v})")).collect();
    setup.must(&format!("insert into {table} (id, value) values {}", values.join(", ")));

    // The script's sessions that send anything, and their places in the driver.
    let used: Vec<usize> =
        (1..=script.sessions()).filter(|s| script.steps.iter().any(|step| step.session == *s)).collect();
    let mut driver =
        Driver::new(server, used.iter().map(|_| session(server, level, table.clone())).collect());
    for (i, step) in script.steps.iter().enumerate() {
        let index = used.iter().position(|s| *s == step.session).expect("a used session");
        let what = format!("{} at {level}, step {}", case.name, i + 1);
        driver.send(monitor, index, step.statement.clone(), &what);
    }
    let steps = driver
        .finish()
        .into_iter()
        .map(|r| StepRecord { start: r.start, finished_at: r.finished_at, result: r.result })
        .collect();
    setup.must(&format!("drop table {table}"));
    Trace { steps }
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

/// Runs every case on both servers, checks PostgreSQL against the engine and Hermitage, and
/// compares everything with the checked-in file.
pub fn check() {
    let handles: Vec<(Server, JoinHandle<Result<ServerRun, String>>)> =
        Server::ALL.into_iter().map(|s| (s, thread::spawn(move || run_server(s)))).collect();
    let mut runs: BTreeMap<Server, ServerRun> = BTreeMap::new();
    for (server, handle) in handles {
        match handle.join().expect("a server run panicked") {
            Ok(run) => {
                runs.insert(server, run);
            }
            Err(error) => unreachable("real_servers: Hermitage's cases", server, &error),
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
    let checked_in = Observations::parse(&checked_in(FILE)).unwrap_or_default();
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
    if let Err(difference) = compare_or_bless(FILE, &observed.render()) {
        failures.push_str(&difference);
    }
    assert!(failures.is_empty(), "\n{failures}");
}
