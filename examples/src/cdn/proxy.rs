//! A real check on 127.0.0.1: a small origin, a caching proxy whose every decision is the
//! calculator's (`rfc9111::analyse`), and clients. It shows a hit, a 304 revalidation (the
//! origin sees `If-None-Match`), `Vary` splitting the cache, and request collapsing: N
//! concurrent misses become one origin request. Output is counts and header values, never times.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::rfc9111::{
    Action, Analysis, Exchange, Field, Headers, Origin, analyse, format_http_date, parse_http_date,
};
use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "cdn::proxy",
    title: "A caching proxy on 127.0.0.1: hit, 304, Vary and request collapsing",
    file: file!(),
    default_input: "",
    input_help: "no input: the origin's resources are fixed",
    runs: Runs::NativeOnly {
        reason: "a web page cannot listen on a TCP port",
        simulation: Some("cdn::calculator"),
    },
    run: Run::Text(run),
};

const TIMEOUT: Duration = Duration::from_secs(5);
/// How long the origin takes for `/slow`: long enough that concurrent clients all miss.
const SLOW: Duration = Duration::from_millis(400);
const CLIENTS: usize = 8;

/// A parsed HTTP/1.1 message: start line, fields, body.
#[derive(Debug, Clone, Default)]
struct Message {
    start: String,
    fields: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn headers(&self) -> Headers {
        Headers(
            self.fields.iter().map(|(n, v)| Field { name: n.clone(), value: v.clone(), line: 0 }).collect(),
        )
    }

    fn status(&self) -> u16 {
        self.start.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    fn write(&self, stream: &mut TcpStream) -> io::Result<()> {
        let mut out = format!("{}\r\n", self.start);
        for (n, v) in &self.fields {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", self.body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        stream.write_all(&bytes)
    }
}

/// Reads one message whose connection closes after it (every exchange here is one per
/// connection), or whose head ends a bodiless request.
fn read_message(stream: &mut TcpStream, request: bool) -> io::Result<Message> {
    stream.set_read_timeout(Some(TIMEOUT))?;
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed before the end of the head"));
        }
        data.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&data[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap_or("").to_string();
    let fields: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .filter(|(n, _)| !n.eq_ignore_ascii_case("content-length") && !n.eq_ignore_ascii_case("connection"))
        .collect();
    let mut body = data[end + 4..].to_vec();
    if !request {
        stream.read_to_end(&mut body)?;
    }
    Ok(Message { start, fields, body })
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

// ANCHOR: origin
/// What the origin saw: each request's path and whether it was conditional.
type Log = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// The origin's resources. `/page` is cacheable for an hour; `/doc` must be revalidated on every
/// use (`no-cache`) and has an ETag; `/lang` varies on `Accept-Language`; `/slow` takes 400 ms.
fn origin_answer(request: &Message, log: &Log) -> Message {
    let path = request.start.split_whitespace().nth(1).unwrap_or("/").to_string();
    let inm = request.get("if-none-match").map(str::to_string);
    log.lock().unwrap().push((path.clone(), inm.clone()));
    let date = ("Date".to_string(), format_http_date(now_secs()));
    let ok = |fields: &[(&str, &str)], body: &str| Message {
        start: "HTTP/1.1 200 OK".into(),
        fields: std::iter::once(date.clone())
            .chain(fields.iter().map(|(n, v)| (n.to_string(), v.to_string())))
            .collect(),
        body: body.as_bytes().to_vec(),
    };
    match path.as_str() {
        "/page" => ok(&[("Cache-Control", "max-age=3600")], "the page\n"),
        "/doc" if inm.as_deref() == Some("\"v7\"") => Message {
            start: "HTTP/1.1 304 Not Modified".into(),
            fields: vec![date, ("ETag".into(), "\"v7\"".into()), ("Cache-Control".into(), "no-cache".into())],
            body: Vec::new(),
        },
        "/doc" => ok(&[("Cache-Control", "no-cache"), ("ETag", "\"v7\"")], "version 7 of the doc\n"),
        "/lang" => {
            let body = match request.get("accept-language") {
                Some(l) if l.starts_with("fr") => "bonjour\n",
                _ => "hello\n",
            };
            ok(&[("Cache-Control", "max-age=3600"), ("Vary", "Accept-Language")], body)
        }
        "/slow" => {
            thread::sleep(SLOW);
            ok(&[("Cache-Control", "max-age=3600")], "expensive\n")
        }
        _ => Message { start: "HTTP/1.1 404 Not Found".into(), fields: vec![date], body: b"none\n".to_vec() },
    }
}
// ANCHOR_END: origin

/// Accepts connections until `stop`, one thread per connection.
fn serve(listener: TcpListener, stop: Arc<AtomicBool>, handle: Arc<dyn Fn(TcpStream) + Send + Sync>) {
    let mut workers = Vec::new();
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if let Ok(stream) = stream {
            let handle = Arc::clone(&handle);
            workers.push(thread::spawn(move || handle(stream)));
        }
    }
    for worker in workers {
        let _ = worker.join();
    }
}

/// One request on a fresh connection.
fn fetch(address: SocketAddr, request: &Message) -> io::Result<Message> {
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)?;
    let mut out = format!("{}\r\n", request.start);
    for (n, v) in &request.fields {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    stream.write_all(out.as_bytes())?;
    read_message(&mut stream, false)
}

// ANCHOR: proxy
/// One stored response and what the calculator needs to judge it.
#[derive(Debug, Clone)]
struct Stored {
    request: Message,
    response: Message,
    request_time: i64,
    response_time: i64,
}

/// A fetch under way, which later requests for the same key wait on (request collapsing).
type Flight = Arc<(Mutex<Option<Message>>, Condvar)>;

struct Proxy {
    origin: SocketAddr,
    collapse: bool,
    /// The cache key is the path; each key holds its variants (Vary, RFC 9111 §4.1).
    store: Mutex<HashMap<String, Vec<Stored>>>,
    flights: Mutex<HashMap<String, Flight>>,
}

impl Proxy {
    /// The calculator's view of a stored response and a new request.
    fn judge(&self, stored: &Stored, request: &Message) -> Option<Analysis> {
        let date = stored.response.get("date").and_then(parse_http_date).unwrap_or(stored.response_time);
        let exchange = Exchange {
            shared: true,
            method: "GET".into(),
            status: stored.response.status(),
            request: request.headers(),
            stored_request: Some(stored.request.headers()),
            response: stored.response.headers(),
            request_time: stored.request_time - date,
            response_time: stored.response_time - date,
            now: now_secs() - date,
            base: date,
            origin: Origin::Up,
        };
        analyse(&exchange).ok()
    }

    /// A stored variant the calculator lets us send as it is, with its Age (RFC 9111 §5.1:
    /// §4.2.3's current_age), or `None`.
    fn hit(&self, key: &str, request: &Message) -> Option<Message> {
        let variants = self.store.lock().unwrap().get(key).cloned().unwrap_or_default();
        variants.iter().find_map(|stored| {
            let a = self.judge(stored, request)?;
            matches!(a.action, Action::ServeFresh | Action::ServeStale | Action::StaleWhileRevalidate { .. })
                .then(|| {
                    let mut response = stored.response.clone();
                    response.fields.retain(|(n, _)| !n.eq_ignore_ascii_case("age"));
                    response.fields.push(("Age".into(), a.age.current_age.to_string()));
                    tagged(response, "hit")
                })
        })
    }

    fn handle(&self, request: Message) -> io::Result<Message> {
        let key = request.start.split_whitespace().nth(1).unwrap_or("/").to_string();
        if let Some(response) = self.hit(&key, &request) {
            return Ok(response);
        }
        // Nothing to send as it is: a variant to revalidate, or a miss.
        let variants = self.store.lock().unwrap().get(&key).cloned().unwrap_or_default();
        for stored in &variants {
            // Revalidate a variant that needs it; skip other variants and unusable ones.
            if let Some(Action::Revalidate { conditional }) = self.judge(stored, &request).map(|a| a.action) {
                let mut ask = request.clone();
                ask.fields.extend(conditional);
                let request_time = now_secs();
                let answer = fetch(self.origin, &ask)?;
                if answer.status() == 304 {
                    // RFC 9111 §4.3.4: freshen the stored response with the 304's fields.
                    let mut fresh = stored.clone();
                    for (n, v) in answer.fields {
                        fresh.response.fields.retain(|(m, _)| !m.eq_ignore_ascii_case(&n));
                        fresh.response.fields.push((n, v));
                    }
                    (fresh.request_time, fresh.response_time) = (request_time, now_secs());
                    self.put(&key, fresh.clone());
                    return Ok(tagged(fresh.response, "fwd=stale; fwd-status=304"));
                }
                let status = answer.status();
                let response = self.keep(&key, request, answer, request_time);
                return Ok(tagged(response, &format!("fwd=stale; fwd-status={status}")));
            }
        }
        let fwd = if variants.is_empty() { "fwd=uri-miss" } else { "fwd=vary-miss" };
        self.miss(&key, request, fwd)
    }

    /// A miss: fetch from the origin, unless an identical fetch is under way and we collapse.
    fn miss(&self, key: &str, request: Message, fwd: &str) -> io::Result<Message> {
        let flight_key = format!("{key} {}", request.get("accept-language").unwrap_or(""));
        let (flight, leader) = {
            let mut flights = self.flights.lock().unwrap();
            match flights.get(&flight_key) {
                Some(f) if self.collapse => (Arc::clone(f), false),
                _ => {
                    // A leader stores its response before it removes its flight (both in
                    // `keep`, then under this lock), so a request that missed the store just
                    // before that finds the new copy here instead of fetching it again.
                    if self.collapse
                        && let Some(response) = self.hit(key, &request)
                    {
                        return Ok(response);
                    }
                    let f: Flight = Arc::new((Mutex::new(None), Condvar::new()));
                    flights.insert(flight_key.clone(), Arc::clone(&f));
                    (f, true)
                }
            }
        };
        if !leader {
            let (slot, ready) = &*flight;
            let guard = ready.wait_while(slot.lock().unwrap(), |r| r.is_none()).unwrap();
            return Ok(tagged(guard.clone().unwrap_or_default(), &format!("{fwd}; collapsed")));
        }
        let request_time = now_secs();
        let answer = fetch(self.origin, &request);
        let response = match &answer {
            Ok(a) => self.keep(key, request, a.clone(), request_time),
            Err(_) => Message { start: "HTTP/1.1 502 Bad Gateway".into(), ..Message::default() },
        };
        let (slot, ready) = &*flight;
        *slot.lock().unwrap() = Some(response.clone());
        ready.notify_all();
        self.flights.lock().unwrap().remove(&flight_key);
        answer.map(|_| tagged(response, fwd))
    }

    /// Stores a response from the origin if RFC 9111 §3 allows it; returns it.
    fn keep(&self, key: &str, request: Message, response: Message, request_time: i64) -> Message {
        let stored = Stored { request, response: response.clone(), request_time, response_time: now_secs() };
        let exchange_ok = {
            let probe = self.judge(&stored, &stored.request);
            probe.is_some_and(|a| a.storable && !matches!(a.action, Action::Forward))
        };
        if exchange_ok {
            self.put(key, stored);
        }
        response
    }

    /// Replaces the variant with the same Vary'd request headers, or adds one.
    fn put(&self, key: &str, stored: Stored) {
        let mut store = self.store.lock().unwrap();
        let variants = store.entry(key.to_string()).or_default();
        let lang = |m: &Message| m.get("accept-language").map(str::to_string);
        variants.retain(|v| lang(&v.request) != lang(&stored.request));
        variants.push(stored);
    }
}
// ANCHOR_END: proxy

/// Says what the cache did, in the `Cache-Status` field of RFC 9211 (`hit`, or `fwd=` and why).
fn tagged(mut response: Message, how: &str) -> Message {
    response.fields.push(("Cache-Status".into(), format!("demo-proxy; {how}")));
    response
}

/// Starts a server on 127.0.0.1; returns its address and a function that stops it.
fn start(handle: Arc<dyn Fn(TcpStream) + Send + Sync>) -> io::Result<(SocketAddr, impl FnOnce())> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || serve(listener, stop, handle))
    };
    Ok((address, move || {
        stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&address, TIMEOUT); // wakes the accept loop
        let _ = thread.join();
    }))
}

fn get(proxy: SocketAddr, path: &str, extra: &[(&str, &str)]) -> io::Result<Message> {
    let mut fields = vec![("Host".to_string(), "example.test".to_string())];
    fields.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    fetch(proxy, &Message { start: format!("GET {path} HTTP/1.1"), fields, body: Vec::new() })
}

fn line(m: &Message) -> String {
    format!(
        "{} [Cache-Status: {}] body {:?}",
        m.status(),
        m.get("cache-status").unwrap_or("-"),
        String::from_utf8_lossy(&m.body).trim_end()
    )
}

/// The demonstration against one origin and one proxy (collapsing on or off).
fn demo(collapse: bool, out: &mut String) -> io::Result<()> {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let origin_log = Arc::clone(&log);
    let (origin, stop_origin) = start(Arc::new(move |mut s: TcpStream| {
        if let Ok(request) = read_message(&mut s, true) {
            let _ = origin_answer(&request, &origin_log).write(&mut s);
        }
    }))?;
    let proxy = Arc::new(Proxy {
        origin,
        collapse,
        store: Mutex::new(HashMap::new()),
        flights: Mutex::new(HashMap::new()),
    });
    let handler = Arc::clone(&proxy);
    let (address, stop_proxy) = start(Arc::new(move |mut s: TcpStream| {
        if let Ok(request) = read_message(&mut s, true) {
            let response = handler.handle(request).unwrap_or_else(|e| Message {
                start: "HTTP/1.1 502 Bad Gateway".into(),
                fields: Vec::new(),
                body: format!("{e}\n").into_bytes(),
            });
            let _ = response.write(&mut s);
        }
    }))?;
    let seen = |path: &str| log.lock().unwrap().iter().filter(|(p, _)| p == path).count();

    if collapse {
        out.push_str("1. /page (max-age=3600), twice\n");
        for _ in 0..2 {
            out.push_str(&format!("   client <- {}\n", line(&get(address, "/page", &[])?)));
        }
        out.push_str(&format!("   origin saw {} request(s) for /page\n\n", seen("/page")));

        out.push_str("2. /doc (no-cache, ETag \"v7\"), twice: stored, but validated before each use\n");
        for _ in 0..2 {
            out.push_str(&format!("   client <- {}\n", line(&get(address, "/doc", &[])?)));
        }
        let conditional: Vec<String> = log
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == "/doc")
            .map(|(_, inm)| inm.clone().map_or("a plain GET".to_string(), |v| format!("If-None-Match: {v}")))
            .collect();
        out.push_str(&format!(
            "   origin saw {} request(s) for /doc: {}\n\n",
            conditional.len(),
            conditional.join(", then ")
        ));

        out.push_str("3. /lang (Vary: Accept-Language): en, fr, en\n");
        for lang in ["en", "fr", "en"] {
            let m = get(address, "/lang", &[("Accept-Language", lang)])?;
            out.push_str(&format!("   Accept-Language: {lang} -> {}\n", line(&m)));
        }
        out.push_str(&format!("   origin saw {} request(s) for /lang: one per variant\n\n", seen("/lang")));
    }

    out.push_str(&format!(
        "{}. {CLIENTS} clients ask for /slow at once (the origin takes {} ms), collapsing {}\n",
        if collapse { 4 } else { 5 },
        SLOW.as_millis(),
        if collapse { "on" } else { "off" }
    ));
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                get(address, "/slow", &[])
            })
        })
        .collect();
    let mut bodies = Vec::new();
    for c in clients {
        let m = c.join().map_err(|_| io::Error::other("a client panicked"))??;
        bodies.push(String::from_utf8_lossy(&m.body).into_owned());
    }
    let same = bodies.iter().all(|b| b == "expensive\n");
    let n = seen("/slow");
    let verdict = match (collapse, n) {
        (true, 1) => "1: the other misses waited for that fetch".to_string(),
        (false, n) if n > 1 => {
            "more than one: every concurrent miss went to the origin (a thundering herd)".to_string()
        }
        (_, n) => format!("{n}, which this example did not expect"),
    };
    out.push_str(&format!(
        "   {CLIENTS} clients got {}; origin saw {verdict}\n",
        if same { "the same body" } else { "different bodies" }
    ));
    stop_proxy();
    stop_origin();
    Ok(())
}

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    let mut out = String::new();
    demo(true, &mut out).map_err(|e| InputError::new(format!("with collapsing: {e}")))?;
    out.push('\n');
    demo(false, &mut out).map_err(|e| InputError::new(format!("without collapsing: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_shows_hit_304_vary_and_collapsing() {
        let out = run("").unwrap();
        assert!(out.contains("200 [Cache-Status: demo-proxy; hit] body \"the page\""), "{out}");
        assert!(
            out.contains("origin saw 2 request(s) for /doc: a plain GET, then If-None-Match: \"v7\""),
            "{out}"
        );
        assert!(out.contains("200 [Cache-Status: demo-proxy; fwd=stale; fwd-status=304]"), "{out}");
        assert!(
            out.contains(
                "Accept-Language: fr -> 200 [Cache-Status: demo-proxy; fwd=vary-miss] body \"bonjour\""
            ),
            "{out}"
        );
        assert!(out.contains("origin saw 2 request(s) for /lang"), "{out}");
        assert!(out.contains("origin saw 1: the other misses"), "{out}");
        assert!(out.contains("origin saw more than one"), "{out}");
    }
}
