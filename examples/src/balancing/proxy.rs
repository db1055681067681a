//! A real L7 reverse proxy on 127.0.0.1 in front of four real backends (also on loopback), with
//! active health checks. Backend `b` is slowed; backend `d` is killed while clients are sending.
//! The output is counts and classes: how round robin and least outstanding requests spread the
//! requests, when `d` was ejected, and how many client requests failed before and after.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::input::no_input;
use crate::networking::http_parser::{Parsed, parse_request};
use crate::networking::tcp_echo::TIMEOUT;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "balancing::proxy",
    title: "An L7 proxy on 127.0.0.1 with health checks: a slow backend, a killed backend",
    file: file!(),
    default_input: "",
    input_help: "no input: four backends, eight clients, the scenario is fixed",
    runs: Runs::NativeOnly {
        reason: "a web page cannot listen on a TCP port",
        simulation: Some("balancing::race"),
    },
    run: Run::Text(run),
};

const NAMES: [&str; 4] = ["a", "b", "c", "d"];
const SLOW: Duration = Duration::from_millis(40);
/// What every other backend takes per request. Not zero: a live backend holds each request for
/// a few milliseconds, which is what lets least outstanding tell it from a dead one that refuses
/// at once (with instant backends the two differ only by scheduling noise).
const SERVICE: Duration = Duration::from_millis(5);
const CLIENTS: usize = 8;
const PER_CLIENT: usize = 40;
const CHECK_EVERY: Duration = Duration::from_millis(20);
const CHECK_TIMEOUT: Duration = Duration::from_millis(300);
/// Consecutive failed checks before a backend is ejected, as HAProxy's default `fall 3`. (Envoy's
/// `unhealthy_threshold` has no default and must be set; nginx's `max_fails`, 1 by default,
/// counts failed real requests, a passive check.)
const UNHEALTHY_THRESHOLD: u32 = 3;

/// Reads one request head (every request here is a bodiless GET).
fn read_request(stream: &mut TcpStream) -> io::Result<String> {
    let (mut data, mut chunk) = (Vec::new(), [0u8; 2048]);
    loop {
        if let Ok(Parsed::Complete { request, .. }) = parse_request(&data) {
            return Ok(request.target);
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed mid-request"));
        }
        data.extend_from_slice(&chunk[..n]);
    }
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) -> io::Result<()> {
    let text =
        format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    stream.write_all(text.as_bytes())
}

/// One exchange, one connection: send a GET, read the answer until the server closes.
fn get(addr: SocketAddr, path: &str, timeout: Duration) -> io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    Ok((status, body))
}

/// A backend: answers every request with its name, after `SLOW` if it is slow and `SERVICE`
/// otherwise; stops listening (connections are then refused) when `alive` turns false.
fn spawn_backend(name: &'static str, slow: bool, alive: Arc<AtomicBool>) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        while alive.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    thread::spawn(move || {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(TIMEOUT));
                        if read_request(&mut stream).is_ok() {
                            thread::sleep(if slow { SLOW } else { SERVICE });
                            let _ = respond(&mut stream, "200 OK", name);
                        }
                    });
                }
                Err(_) => thread::sleep(Duration::from_millis(1)),
            }
        }
        // the listener is dropped here: the port closes and connects are refused
    });
    Ok(addr)
}

// ANCHOR: pool
struct Backend {
    addr: SocketAddr,
    healthy: AtomicBool,
    outstanding: AtomicU32,
    failed_checks: AtomicU32,
}

struct Pool {
    backends: Vec<Backend>,
    algorithm: Mutex<&'static str>,
    next: AtomicUsize,
    /// Requests that got a 502, by whether `d` was still in the healthy set when the proxy chose.
    failed_before: AtomicU32,
    failed_after: AtomicU32,
    /// Set when `d` is killed; from then on, picks made while `d` is still in the healthy set
    /// are counted per backend in `window_picks`.
    killed: AtomicBool,
    window_picks: [AtomicU32; 4],
}

impl Pool {
    /// Chooses among healthy backends and counts the request as outstanding there. Also returns
    /// whether `d` was in the healthy set this choice was made from (the same snapshot).
    fn pick(&self) -> Option<(usize, bool)> {
        let algorithm = self.algorithm.lock().unwrap(); // one choice at a time
        let healthy: Vec<usize> =
            (0..self.backends.len()).filter(|&i| self.backends[i].healthy.load(Ordering::SeqCst)).collect();
        if healthy.is_empty() {
            return None;
        }
        let turn = self.next.fetch_add(1, Ordering::SeqCst);
        let chosen = match *algorithm {
            "round robin" => healthy[turn % healthy.len()],
            // least outstanding requests; ties are broken round robin
            _ => (0..healthy.len())
                .map(|k| healthy[(turn + k) % healthy.len()])
                .min_by_key(|&i| self.backends[i].outstanding.load(Ordering::SeqCst))?,
        };
        self.backends[chosen].outstanding.fetch_add(1, Ordering::SeqCst);
        let d_in_set = healthy.contains(&3);
        if d_in_set && self.killed.load(Ordering::SeqCst) {
            self.window_picks[chosen].fetch_add(1, Ordering::SeqCst);
        }
        Some((chosen, d_in_set))
    }
}

/// The proxy's work for one client connection: read the request, choose, forward, relay.
fn proxy_one(pool: &Pool, mut client: TcpStream) -> io::Result<()> {
    client.set_read_timeout(Some(TIMEOUT))?;
    let path = read_request(&mut client)?;
    let Some((i, d_in_set)) = pool.pick() else {
        return respond(&mut client, "503 Service Unavailable", "no healthy backend");
    };
    let answer = get(pool.backends[i].addr, &path, TIMEOUT);
    pool.backends[i].outstanding.fetch_sub(1, Ordering::SeqCst);
    match answer {
        Ok((200, body)) => respond(&mut client, "200 OK", &body),
        _ => {
            let counter = if d_in_set { &pool.failed_before } else { &pool.failed_after };
            counter.fetch_add(1, Ordering::SeqCst);
            respond(&mut client, "502 Bad Gateway", "upstream failed")
        }
    }
}

/// Active health checks: GET /health on every backend every `CHECK_EVERY`; eject after
/// `UNHEALTHY_THRESHOLD` failures in a row, readmit after two passes in a row.
fn health_checker(pool: Arc<Pool>, stop: Arc<AtomicBool>, log: Arc<Mutex<Vec<String>>>) {
    let mut passes = [0u32; 4];
    while !stop.load(Ordering::SeqCst) {
        for (i, b) in pool.backends.iter().enumerate() {
            let ok = matches!(get(b.addr, "/health", CHECK_TIMEOUT), Ok((200, _)));
            if ok {
                b.failed_checks.store(0, Ordering::SeqCst);
                passes[i] += 1;
                if passes[i] >= 2 && !b.healthy.swap(true, Ordering::SeqCst) {
                    log.lock().unwrap().push(format!("backend {} readmitted", NAMES[i]));
                }
            } else {
                passes[i] = 0;
                let failed = b.failed_checks.fetch_add(1, Ordering::SeqCst) + 1;
                if failed >= UNHEALTHY_THRESHOLD && b.healthy.swap(false, Ordering::SeqCst) {
                    log.lock()
                        .unwrap()
                        .push(format!("backend {} ejected after {failed} failed checks in a row", NAMES[i]));
                }
            }
        }
        thread::sleep(CHECK_EVERY);
    }
}
// ANCHOR_END: pool

/// Clients: each sends requests one after another through the proxy until it has sent
/// `per_client` or `stop` is set; returns every (status, backend name).
fn clients(
    proxy: SocketAddr,
    per_client: usize,
    stop: &Arc<AtomicBool>,
    done: &Arc<AtomicU32>,
) -> Vec<(u16, String)> {
    let handles: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (stop, done) = (Arc::clone(stop), Arc::clone(done));
            thread::spawn(move || {
                let mut seen = Vec::new();
                while seen.len() < per_client && !stop.load(Ordering::SeqCst) {
                    seen.push(get(proxy, "/", TIMEOUT).unwrap_or((0, String::new())));
                    done.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(1));
                }
                seen
            })
        })
        .collect();
    handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
}

fn count(results: &[(u16, String)], name: &str) -> usize {
    results.iter().filter(|(s, b)| *s == 200 && b == name).count()
}

fn wait_until(what: impl Fn() -> bool) -> bool {
    for _ in 0..2000 {
        if what() {
            return true;
        }
        thread::sleep(Duration::from_millis(5));
    }
    false
}

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    scenario().map_err(|e| InputError::new(format!("loopback scenario failed: {e}")))
}

fn scenario() -> io::Result<String> {
    let alive: Vec<Arc<AtomicBool>> = (0..4).map(|_| Arc::new(AtomicBool::new(true))).collect();
    let mut backends = Vec::new();
    for (i, name) in NAMES.iter().enumerate() {
        let addr = spawn_backend(name, *name == "b", Arc::clone(&alive[i]))?;
        backends.push(Backend {
            addr,
            healthy: AtomicBool::new(true),
            outstanding: AtomicU32::new(0),
            failed_checks: AtomicU32::new(0),
        });
    }
    let pool = Arc::new(Pool {
        backends,
        algorithm: Mutex::new("round robin"),
        next: AtomicUsize::new(0),
        failed_before: AtomicU32::new(0),
        failed_after: AtomicU32::new(0),
        killed: AtomicBool::new(false),
        window_picks: Default::default(),
    });
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let proxy = listener.local_addr()?;
    {
        let pool = Arc::clone(&pool);
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let pool = Arc::clone(&pool);
                thread::spawn(move || proxy_one(&pool, client));
            }
        });
    }
    let (stop_checks, log) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Vec::new())));
    {
        let (pool, stop, log) = (Arc::clone(&pool), Arc::clone(&stop_checks), Arc::clone(&log));
        thread::spawn(move || health_checker(pool, stop, log));
    }
    let never = Arc::new(AtomicBool::new(false));
    let total = CLIENTS * PER_CLIENT;
    let mut out = format!(
        "4 backends on 127.0.0.1 (a, b, c, d); b answers after {} ms, the others after {} ms.\n\
         {CLIENTS} clients, {PER_CLIENT} requests each, one connection per request, through the proxy.\n\n",
        SLOW.as_millis(),
        SERVICE.as_millis()
    );
    let verdict = |ok: bool| if ok { "holds" } else { "does NOT hold" };

    // Phase 1 and 2: the same load under round robin, then least outstanding requests.
    let mut b_counts = Vec::new();
    for algorithm in ["round robin", "least outstanding"] {
        *pool.algorithm.lock().unwrap() = algorithm;
        let results = clients(proxy, PER_CLIENT, &never, &Arc::new(AtomicU32::new(0)));
        let ok = results.iter().filter(|r| r.0 == 200).count();
        let b = count(&results, "b");
        b_counts.push(b);
        out.push_str(&format!("{algorithm}: {ok} of {total} answered 200\n"));
        if algorithm == "round robin" {
            let counts: Vec<String> = NAMES.iter().map(|n| format!("{n}={}", count(&results, n))).collect();
            out.push_str(&format!(
                "  per backend: {} (exact: the turn counter is shared)\n",
                counts.join(" ")
            ));
        } else {
            let fast = ok - b;
            out.push_str(&format!(
                "  slow b: {} of RR's {}; fast a+c+d: {}\n",
                if 2 * b < b_counts[0] { "fewer than half" } else { "NOT fewer than half" },
                b_counts[0],
                if fast > ok * 3 / 4 {
                    "more than 3/4 of all requests"
                } else {
                    "3/4 of all requests or fewer"
                }
            ));
        }
    }
    out.push_str(&format!(
        "claim: least outstanding sends fewer than half as many requests to the slow backend: {}\n\n",
        verdict(2 * b_counts[1] < b_counts[0])
    ));

    // Phase 3: under least outstanding, kill d while the clients keep sending.
    let (stop, done) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU32::new(0)));
    let runner = {
        let (stop, done) = (Arc::clone(&stop), Arc::clone(&done));
        thread::spawn(move || clients(proxy, usize::MAX, &stop, &done))
    };
    let started = wait_until(|| done.load(Ordering::SeqCst) >= 100);
    pool.killed.store(true, Ordering::SeqCst);
    alive[3].store(false, Ordering::SeqCst);
    let ejected = wait_until(|| !pool.backends[3].healthy.load(Ordering::SeqCst));
    let at_ejection = done.load(Ordering::SeqCst);
    let after = wait_until(|| done.load(Ordering::SeqCst) >= at_ejection + 300);
    stop.store(true, Ordering::SeqCst);
    let results = runner.join().unwrap_or_default();
    stop_checks.store(true, Ordering::SeqCst);
    for flag in &alive {
        flag.store(false, Ordering::SeqCst); // the backends' accept loops end
    }
    let (before, after_ej) =
        (pool.failed_before.load(Ordering::SeqCst), pool.failed_after.load(Ordering::SeqCst));
    let client_failed = results.iter().filter(|r| r.0 != 200).count();
    let window: Vec<u32> = pool.window_picks.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    let most_live = window[..3].iter().copied().max().unwrap_or(0);
    out.push_str("killed d after the first 100 requests of a third run (least outstanding):\n");
    for line in log.lock().unwrap().iter() {
        out.push_str(&format!("  health checker: {line}\n"));
    }
    out.push_str(&format!(
        "  clients kept going past the ejection: {}\n\
         \x20 requests that failed (502) while d was still in the set the proxy chose from: {}\n\
         \x20 requests that failed once d was out of that set: {after_ej}\n\
         \x20 every failure the clients saw is one of those: {}\n",
        if started && ejected && after { "yes, 300 more requests" } else { "NO (timed out)" },
        if before > 0 { "some (how many depends on timing)" } else { "none" },
        if client_failed as u32 == before + after_ej { "yes" } else { "no" },
    ));
    out.push_str(&format!(
        "claim: the dead backend got more requests than any live one during the window: {}\n",
        verdict(ejected && window[3] > most_live)
    ));
    out.push_str(&format!(
        "claim: d was ejected and no request failed after the ejection: {}\n",
        verdict(ejected && after && after_ej == 0)
    ));
    Ok(out)
}
