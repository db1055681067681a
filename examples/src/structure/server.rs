//! The chapter's orders service as a real process (`structure-server`, `src/bin/structure_server.rs`):
//! configuration from the real environment, validated before anything else, and the orders
//! transport served over HTTP/1.1 on 127.0.0.1 with std's `TcpListener`, a thread per connection,
//! each request framed by the networking chapter's parser (`networking::http_parser`).
//! `tests/structure.rs` starts it with bad variables (exit status 78 and one stderr line per
//! problem) and with good ones (real requests over a socket). The TypeScript twin is
//! `structure/server.ts`, on `node:http`.
//!
//! Usage: `PORT=8080 DATABASE_URL=memory: structure-server [--ephemeral-port]`. `DATABASE_URL`
//! is `memory:` or `sqlite:PATH` (this example has no PostgreSQL adapter); on SQLite each request
//! gets a connection of its own, with no lock around the request. `--ephemeral-port` binds port
//! 0 instead of `PORT` (which is still required and checked), so tests can run many servers at
//! once; the port is printed on stdout either way: `listening on 127.0.0.1:PORT`.
//! `--test-cancel-race=MODE` is for the tests only (see `RaceProbe`).

use super::config::{Config, LogLevel, mask};
use super::orders::memory::MemoryRepo;
use super::orders::service::{Order, OrderError, OrderRepo, OrderService, RepoError, Status};
use super::orders::sqlite::SqliteRepo;
use super::orders::transport::{Response, error_chain, error_response, handle, json_string};
use crate::networking::http_parser::{MAX_HEADER_SECTION, MAX_REQUEST_LINE, Parsed, parse_request};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// `EX_CONFIG` from sysexits.h: the configuration is wrong, so restarting will not help.
pub const EXIT_CONFIG: u8 = 78;

// ANCHOR: main
pub fn main() -> ExitCode {
    let ephemeral = std::env::args().skip(1).any(|a| a == "--ephemeral-port");
    // Every variable as text; a value that is not UTF-8 becomes U+FFFD and fails its check,
    // where `std::env::vars()` would panic on it.
    let vars = std::env::vars_os()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned()));
    let config = match Config::from_env(vars) {
        Ok(config) => config,
        Err(problems) => {
            let s = if problems.len() == 1 { "" } else { "s" };
            eprintln!("refusing to start, {} configuration problem{s}:", problems.len());
            for problem in &problems {
                eprintln!("  {problem}");
            }
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    eprintln!(
        "config ok: PORT={} DATABASE_URL={} LOG_LEVEL={} REQUEST_TIMEOUT_MS={} MAX_ORDER_CENTS={}",
        config.port,
        mask(&config.database_url),
        config.log_level.name(),
        config.request_timeout_ms,
        config.max_order_cents
    );
    // The composition root: the only place that knows which repository is in use. `serve`
    // gets a function that gives each request a repository of its own.
    let url = config.database_url.clone();
    if url == "memory:" {
        let store = SharedMemory::default();
        serve(move || Ok(store.clone()), &config, ephemeral)
    } else if let Some(path) = url.strip_prefix("sqlite:") {
        // The table once, at start-up; then one connection per request, as a pool hands out.
        if let Err(err) = SqliteRepo::open(path) {
            eprintln!("cannot open the database: {}", error_chain(&err));
            return ExitCode::FAILURE;
        }
        let path = path.to_string();
        match race_test_mode() {
            None => serve(move || SqliteRepo::connect(&path), &config, ephemeral),
            Some(probe) => serve(move || Ok(probe.wrap(SqliteRepo::connect(&path)?)), &config, ephemeral),
        }
    } else {
        eprintln!("DATABASE_URL: this example has adapters for memory: and sqlite:PATH only");
        ExitCode::from(EXIT_CONFIG)
    }
}
// ANCHOR_END: main

/// `connect` gives each request its repository: a new SQLite connection, or a handle on the
/// shared in-memory store. No lock is held around a request: two requests run at once, each on
/// its own connection, and only the repository's own statements are atomic.
fn serve<R, F>(connect: F, config: &Config, ephemeral: bool) -> ExitCode
where
    R: OrderRepo,
    F: Fn() -> Result<R, RepoError> + Send + Sync + 'static,
{
    let port = if ephemeral { 0 } else { config.port };
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
    println!("listening on 127.0.0.1:{port}");
    let _ = std::io::stdout().flush();
    let connect = Arc::new(connect);
    let next_id = Arc::new(AtomicU64::new(1));
    let timeout = Duration::from_millis(u64::from(config.request_timeout_ms));
    let access_log = matches!(config.log_level, LogLevel::Info | LogLevel::Debug);
    let limit = config.max_order_cents;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let (connect, next_id) = (Arc::clone(&connect), Arc::clone(&next_id));
        std::thread::spawn(move || {
            let id = format!("r{}", next_id.fetch_add(1, Ordering::Relaxed));
            let _ = stream.set_read_timeout(Some(timeout));
            let _ = connection(stream, &*connect, limit, &id, access_log);
        });
    }
    ExitCode::SUCCESS
}

/// One request on one connection (`Connection: close`): read it, handle it on a repository of
/// its own, answer, log.
fn connection<R: OrderRepo>(
    stream: TcpStream,
    connect: &dyn Fn() -> Result<R, RepoError>,
    limit: u32,
    id: &str,
    access_log: bool,
) -> std::io::Result<()> {
    let (method, line, response) = match read_request(&mut &stream) {
        Ok((method, path, body)) => {
            let fields: Vec<&str> = body.split('&').filter(|f| !f.is_empty()).collect();
            let response = match connect() {
                Ok(repo) => handle(&mut OrderService::new(repo, limit), &method, &path, &fields, id),
                // No connection: the same 500 as a failed statement, the cause in the log.
                Err(err) => error_response(&OrderError::Storage(err), id),
            };
            let line = format!("{method} {path}");
            (method, line, response)
        }
        Err(detail) => {
            let body = format!(
                "{{\"type\":\"/problems/bad-request\",\"title\":\"Malformed request\",\"status\":400,\"detail\":{}}}",
                json_string(&detail)
            );
            (String::new(), "-".to_string(), Response { status: 400, body, allow: None, log: None })
        }
    };
    if let Some(cause) = &response.log {
        eprintln!("error {cause}");
    }
    if access_log {
        eprintln!("{id} {line} -> {}", response.status);
    }
    write_response(stream, &response, method == "HEAD")
}

/// The in-memory store shared by every request's thread. Each repository call takes the lock
/// for that call only, as each statement on a database is atomic by itself: nothing holds it
/// across a whole request.
#[derive(Clone, Default)]
struct SharedMemory(Arc<Mutex<MemoryRepo>>);

impl SharedMemory {
    fn store(&self) -> MutexGuard<'_, MemoryRepo> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl OrderRepo for SharedMemory {
    fn insert(&mut self, customer: &str, cents: u32) -> Result<Order, RepoError> {
        self.store().insert(customer, cents)
    }
    fn get(&self, id: &str) -> Result<Option<Order>, RepoError> {
        self.store().get(id)
    }
    fn cancel_if_placed(&mut self, id: &str) -> Result<Option<Order>, RepoError> {
        self.store().cancel_if_placed(id)
    }
}

/// For `tests/structure.rs` only: `--test-cancel-race=read-check-write` or `=conditional`
/// (with `DATABASE_URL=sqlite:PATH`). Every cancel then waits, just before its write, until a
/// second cancel has got that far too, so that two concurrent cancels are both past their reads
/// (read-check-write) or both at their `UPDATE` (conditional) before either writes, each on
/// its own connection: the race, made certain without a sleep.
#[derive(Clone)]
struct RaceProbe {
    read_check_write: bool,
    gate: Arc<Gate>,
}

fn race_test_mode() -> Option<RaceProbe> {
    let mode = std::env::args().find_map(|a| a.strip_prefix("--test-cancel-race=").map(str::to_string))?;
    let read_check_write = match mode.as_str() {
        "read-check-write" => true,
        "conditional" => false,
        other => {
            eprintln!("--test-cancel-race: expected read-check-write or conditional, got {other:?}");
            std::process::exit(2);
        }
    };
    Some(RaceProbe { read_check_write, gate: Arc::new(Gate::default()) })
}

impl RaceProbe {
    fn wrap(&self, repo: SqliteRepo) -> Probed {
        Probed { repo, probe: self.clone() }
    }
}

struct Probed {
    repo: SqliteRepo,
    probe: RaceProbe,
}

impl OrderRepo for Probed {
    fn insert(&mut self, customer: &str, cents: u32) -> Result<Order, RepoError> {
        self.repo.insert(customer, cents)
    }
    fn get(&self, id: &str) -> Result<Option<Order>, RepoError> {
        self.repo.get(id)
    }
    fn cancel_if_placed(&mut self, id: &str) -> Result<Option<Order>, RepoError> {
        if !self.probe.read_check_write {
            self.probe.gate.wait();
            return self.repo.cancel_if_placed(id);
        }
        // The shape the chapter replaced: read, check, then an unconditional write.
        let Some(mut order) = self.repo.get(id)? else { return Ok(None) };
        if order.status == Status::Cancelled {
            return Ok(None);
        }
        self.probe.gate.wait();
        self.repo.set_cancelled(id)?;
        order.status = Status::Cancelled;
        Ok(Some(order))
    }
}

/// A rendezvous of two threads, used again for each pair; a thread left alone goes on after
/// 10 s, so a test that sends one cancel still gets an answer.
#[derive(Default)]
struct Gate {
    /// (pairs completed, threads waiting for the current pair)
    state: Mutex<(u64, usize)>,
    both: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let pair = state.0;
        state.1 += 1;
        if state.1 == 2 {
            *state = (pair + 1, 0);
            self.both.notify_all();
            return;
        }
        let _ = self.both.wait_timeout_while(state, Duration::from_secs(10), |s| s.0 == pair);
    }
}

/// The largest body this server reads.
const MAX_BODY: usize = 4096;

/// One request, framed by the networking chapter's parser (`networking::http_parser`): its
/// method, target and body (at most 4 KiB, UTF-8), or why not.
fn read_request(stream: &mut impl Read) -> Result<(String, String, String), String> {
    // The most a request of this server can take: the parser's bounds on the head, and the body's.
    const MOST: usize = MAX_REQUEST_LINE + MAX_HEADER_SECTION + MAX_BODY;
    let (mut received, mut chunk) = (Vec::new(), [0u8; 4096]);
    let request = loop {
        match parse_request(&received) {
            Ok(Parsed::Complete { request, .. }) => break request,
            Ok(Parsed::Incomplete { missing }) => {
                if received.len() > MOST {
                    return Err(format!("a request over {MOST} bytes"));
                }
                let n = stream.read(&mut chunk).map_err(|e| format!("reading the request: {e}"))?;
                if n == 0 {
                    return Err(format!("the connection closed before {missing}"));
                }
                received.extend_from_slice(&chunk[..n]);
            }
            Err(error) => return Err(format!("line {}: {}", error.line, error.message)),
        }
    };
    if request.body.len() > MAX_BODY {
        return Err(format!("a body of {} bytes is over {MAX_BODY}", request.body.len()));
    }
    let body = String::from_utf8(request.body).map_err(|_| "the body is not UTF-8".to_string())?;
    Ok((request.method, request.target, body))
}

/// The status line, the headers and, unless the request was a HEAD, the body. A HEAD's answer
/// has the headers a GET's would have, `Content-Length` included (RFC 9110 §9.3.2).
fn write_response(mut stream: TcpStream, r: &Response, head_only: bool) -> std::io::Result<()> {
    let reason = crate::apidesign::console::reason(r.status);
    let allow = r.allow.map(|a| format!("Allow: {a}\r\n")).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n",
        r.status,
        r.content_type(),
        r.body.len()
    );
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(r.body.as_bytes())?;
    }
    stream.flush()
}
