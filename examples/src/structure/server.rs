//! The chapter's orders service as a real process (`structure-server`, `src/bin/structure_server.rs`):
//! configuration from the real environment, validated before anything else, and the orders
//! transport served over HTTP/1.1 on 127.0.0.1 with std's `TcpListener`, a thread per connection.
//! `tests/structure.rs` starts it with bad variables (exit status 78 and one stderr line per
//! problem) and with good ones (real requests over a socket). The TypeScript twin is
//! `structure/server.ts`, on `node:http`.
//!
//! Usage: `PORT=8080 DATABASE_URL=memory: structure-server [--ephemeral-port]`. `DATABASE_URL`
//! is `memory:` or `sqlite:PATH` (this example has no PostgreSQL adapter). `--ephemeral-port`
//! binds port 0 instead of `PORT` (which is still required and checked), so tests can run many
//! servers at once; the port is printed on stdout either way: `listening on 127.0.0.1:PORT`.

use super::config::{Config, LogLevel, mask};
use super::orders::memory::MemoryRepo;
use super::orders::service::{OrderRepo, OrderService};
use super::orders::sqlite::SqliteRepo;
use super::orders::transport::{Response, handle};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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
    // The composition root: the only place that knows which repository is in use.
    let url = config.database_url.clone();
    if url == "memory:" {
        serve(MemoryRepo::default(), &config, ephemeral)
    } else if let Some(path) = url.strip_prefix("sqlite:") {
        match SqliteRepo::open(path) {
            Ok(repo) => serve(repo, &config, ephemeral),
            Err(err) => {
                eprintln!("cannot open the database: {}", super::orders::transport::error_chain(&err));
                ExitCode::FAILURE
            }
        }
    } else {
        eprintln!("DATABASE_URL: this example has adapters for memory: and sqlite:PATH only");
        ExitCode::from(EXIT_CONFIG)
    }
}
// ANCHOR_END: main

fn serve<R: OrderRepo + Send + 'static>(repo: R, config: &Config, ephemeral: bool) -> ExitCode {
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
    // One repository for every connection's thread. A pool would need no lock; see the page.
    let service = Arc::new(Mutex::new(OrderService::new(repo, config.max_order_cents)));
    let next_id = Arc::new(AtomicU64::new(1));
    let timeout = Duration::from_millis(u64::from(config.request_timeout_ms));
    let access_log = matches!(config.log_level, LogLevel::Info | LogLevel::Debug);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let (service, next_id) = (Arc::clone(&service), Arc::clone(&next_id));
        std::thread::spawn(move || {
            let id = format!("r{}", next_id.fetch_add(1, Ordering::Relaxed));
            let _ = stream.set_read_timeout(Some(timeout));
            let _ = connection(stream, &service, &id, access_log);
        });
    }
    ExitCode::SUCCESS
}

/// One request on one connection (`Connection: close`): read it, handle it, answer, log.
fn connection<R: OrderRepo>(
    stream: TcpStream,
    service: &Mutex<OrderService<R>>,
    id: &str,
    access_log: bool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let (line, response) = match read_request(&mut reader) {
        Ok((method, path, body)) => {
            let fields: Vec<&str> = body.split('&').filter(|f| !f.is_empty()).collect();
            let mut service = service.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            (format!("{method} {path}"), handle(&mut service, &method, &path, &fields, id))
        }
        Err(detail) => {
            let body = format!(
                "{{\"type\":\"/problems/bad-request\",\"title\":\"Malformed request\",\"status\":400,\"detail\":{}}}",
                super::orders::transport::json_string(&detail)
            );
            ("-".to_string(), Response { status: 400, body, allow: None, log: None })
        }
    };
    if let Some(cause) = &response.log {
        eprintln!("error {cause}");
    }
    if access_log {
        eprintln!("{id} {line} -> {}", response.status);
    }
    write_response(stream, &response)
}

/// The request line, headers and a `Content-Length` body (at most 4 KiB), or why not.
fn read_request(reader: &mut impl BufRead) -> Result<(String, String, String), String> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).map_err(|e| format!("reading the request: {e}"))?;
        if n == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if head.len() > 100 {
            return Err("too many header lines".to_string());
        }
        head.push(line.trim_end().to_string());
    }
    let request_line = head.first().ok_or("empty request")?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("bad request line {request_line:?}"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(format!("unsupported version {version:?}"));
    }
    let mut length = 0;
    for header in &head[1..] {
        let (name, value) = header.split_once(':').ok_or_else(|| format!("bad header {header:?}"))?;
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse::<usize>().map_err(|_| format!("bad Content-Length {value:?}"))?;
        }
    }
    if length > 4096 {
        return Err(format!("a body of {length} bytes is over 4096"));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|e| format!("reading the body: {e}"))?;
    let body = String::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    Ok((method.to_string(), target.to_string(), body))
}

fn write_response(mut stream: TcpStream, r: &Response) -> std::io::Result<()> {
    let reason = crate::apidesign::console::reason(r.status);
    let allow = r.allow.map(|a| format!("Allow: {a}\r\n")).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n",
        r.status,
        r.content_type(),
        r.body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(r.body.as_bytes())?;
    stream.flush()
}
