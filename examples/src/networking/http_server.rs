//! A minimal HTTP/1.1 server on 127.0.0.1 that parses with `http_parser`, keeps connections
//! alive, frames bodies with `Content-Length`, and a client that talks to it over real sockets.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

use super::http_parser::{Parsed, Request, parse_request};
use super::tcp_echo::{TIMEOUT, accept};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "networking::http_server",
    title: "A minimal HTTP/1.1 server with keep-alive, and a client over real sockets",
    file: file!(),
    default_input: "body = {\"name\":\"widget\"}\n",
    input_help: "`body = TEXT`: what the client POSTs to /echo",
    runs: Runs::NativeOnly {
        reason: "a web page cannot listen on a TCP port",
        simulation: Some("networking::http_parser"),
    },
    run: Run::Text(run),
};

// ANCHOR: example
/// Serves one connection: parse what has arrived, answer, and repeat while the client keeps
/// the connection alive. Returns how many requests it answered.
fn serve_connection(mut stream: TcpStream) -> io::Result<usize> {
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let (mut received, mut chunk, mut answered) = (Vec::new(), [0u8; 4096], 0);
    loop {
        match parse_request(&received) {
            Ok(Parsed::Complete { request, consumed }) => {
                received.drain(..consumed); // what is left is the next (pipelined) request
                let (status, extra, body) = route(&request);
                let close = !request.keep_alive;
                respond(&mut stream, status, extra, &body, close)?;
                answered += 1;
                if close {
                    return Ok(answered);
                }
            }
            Ok(Parsed::Incomplete { .. }) => {
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    return Ok(answered); // the client closed; a half-sent request is dropped
                }
                received.extend_from_slice(&chunk[..n]);
            }
            Err(error) => {
                // After a framing error we cannot know where the next request starts: close.
                let body = format!("line {}, column {}: {}\n", error.line, error.column, error.message);
                respond(&mut stream, error.status_text(), "", body.as_bytes(), true)?;
                return Ok(answered);
            }
        }
    }
}

fn route(request: &Request) -> (&'static str, &'static str, Vec<u8>) {
    match (request.method.as_str(), request.target.as_str()) {
        ("GET", "/hello") => ("200 OK", "", b"hello, world\n".to_vec()),
        ("POST", "/echo") => ("200 OK", "", request.body.clone()),
        (_, "/hello") => ("405 Method Not Allowed", "Allow: GET\r\n", b"use GET\n".to_vec()),
        (_, "/echo") => ("405 Method Not Allowed", "Allow: POST\r\n", b"use POST\n".to_vec()),
        _ => ("404 Not Found", "", b"no such resource\n".to_vec()),
    }
}

/// Status line, fields, empty line, body; `Content-Length` tells the client where it ends.
fn respond(stream: &mut TcpStream, status: &str, extra: &str, body: &[u8], close: bool) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nDate: {}\r\n", http_date(SystemTime::now()));
    head.push_str(extra);
    head.push_str(&format!("Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n", body.len()));
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    // One write for the whole response: written as head, then body, the body would wait for the
    // ACK of the head (Nagle), which the client delays (delayed ACK): about 40 ms per request.
    let mut response = head.into_bytes();
    response.extend_from_slice(body);
    stream.write_all(&response)
}
// ANCHOR_END: example

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The IMF-fixdate of RFC 9110 §5.6.7, such as `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    http_date_from_secs(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// The IMF-fixdate of `secs` seconds since 1970 (before 1970 too); the CDN chapter's calculator
/// uses it as well.
pub fn http_date_from_secs(secs: i64) -> String {
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize]; // 1970-01-01 was a Thursday
    // Days since 1970 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        MONTHS[(month - 1) as usize],
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// Accepts `connections` connections one after another and serves each.
fn serve(listener: TcpListener, connections: usize) -> io::Result<(usize, usize)> {
    let mut answered = 0;
    for _ in 0..connections {
        let (stream, _) = accept(&listener)?;
        answered += serve_connection(stream)?;
    }
    Ok((connections, answered))
}

/// The client side: one response, framed by its `Content-Length`. `None` when the server has
/// closed the connection instead.
fn read_response(stream: &mut TcpStream, pending: &mut Vec<u8>) -> io::Result<Option<String>> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            let length: usize = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse().ok())
                .unwrap_or(0);
            if pending.len() >= end + 4 + length {
                let text = String::from_utf8_lossy(&pending[..end + 4 + length]).into_owned();
                pending.drain(..end + 4 + length);
                return Ok(Some(text));
            }
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        pending.extend_from_slice(&chunk[..n]);
    }
}

/// A message as the page shows it: one line per line, the Date value hidden (it varies).
fn show(prefix: &str, message: &str) -> String {
    let (head, body) = message.split_once("\r\n\r\n").unwrap_or((message, ""));
    let mut out = String::new();
    for line in head.split("\r\n") {
        let line = if line.starts_with("Date: ") { "Date: (the time of the run)" } else { line };
        out.push_str(&format!("{prefix} {line}\n"));
    }
    out.push_str(&format!("{prefix}\n"));
    for line in body.lines() {
        out.push_str(&format!("{prefix} {line}\n"));
    }
    out
}

fn client(address: SocketAddr, body: &str, out: &mut String) -> io::Result<()> {
    let requests = [
        "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bf-client\r\n\r\n".to_string(),
        format!(
            "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
        "GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".to_string(),
    ];
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    let mut pending = Vec::new();
    out.push_str("connection 1: three requests, one after another, on one TCP connection\n");
    for request in &requests {
        stream.write_all(request.as_bytes())?;
        out.push_str(&show(">", request));
        match read_response(&mut stream, &mut pending)? {
            Some(response) => out.push_str(&show("<", &response)),
            None => out.push_str("(the server closed the connection)\n"),
        }
        out.push('\n');
    }
    let end = read_response(&mut stream, &mut pending)?;
    out.push_str(if end.is_none() {
        "client read end-of-file: the server closed after `Connection: close`\n\n"
    } else {
        "unexpected: more data after the last response\n\n"
    });

    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    let bad = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trace : 42\r\n\r\n";
    out.push_str("connection 2: a malformed request\n");
    stream.write_all(bad.as_bytes())?;
    out.push_str(&show(">", bad));
    let mut pending = Vec::new();
    if let Some(response) = read_response(&mut stream, &mut pending)? {
        out.push_str(&show("<", &response));
    }
    if read_response(&mut stream, &mut pending)?.is_none() {
        out.push_str("client read end-of-file: a server cannot find the next request after a bad one\n");
    }
    Ok(())
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["body"])?;
    let body = params.one("body")?.map_or("", |entry| entry.value);
    if body.len() > 10_000 {
        return Err(InputError::at_line(
            params.one("body")?.unwrap().line,
            "keep the body under 10000 bytes",
        ));
    }
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| InputError::new(format!("bind: {e}")))?;
    let address = listener.local_addr().map_err(|e| InputError::new(format!("local_addr: {e}")))?;
    let server = thread::spawn(move || serve(listener, 2));
    let mut out = String::new();
    let client_result = client(address, body, &mut out);
    let served = server.join().map_err(|_| InputError::new("the server thread panicked"))?;
    client_result.map_err(|e| InputError::new(format!("client: {e}")))?;
    let (connections, answered) = served.map_err(|e| InputError::new(format!("server: {e}")))?;
    out.push_str(&format!(
        "\nserver: accepted {connections} connections, answered {answered} well-formed requests\n"
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts a server for `connections` connections and returns its address.
    fn start(connections: usize) -> (SocketAddr, thread::JoinHandle<io::Result<(usize, usize)>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        (address, thread::spawn(move || serve(listener, connections)))
    }

    fn connect(address: SocketAddr) -> TcpStream {
        let stream = TcpStream::connect_timeout(&address, TIMEOUT).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream
    }

    #[test]
    fn keep_alive_serves_two_requests_on_one_connection() {
        let (address, server) = start(1);
        let mut stream = connect(address);
        let mut pending = Vec::new();
        stream.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let first = read_response(&mut stream, &mut pending).unwrap().unwrap();
        assert!(
            first.starts_with("HTTP/1.1 200 OK\r\n") && first.ends_with("\r\n\r\nhello, world\n"),
            "{first}"
        );
        assert!(!first.contains("Connection: close"));
        stream
            .write_all(
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcde",
            )
            .unwrap();
        let second = read_response(&mut stream, &mut pending).unwrap().unwrap();
        assert!(second.contains("Content-Length: 5\r\n") && second.ends_with("\r\n\r\nabcde"), "{second}");
        assert!(second.contains("Connection: close\r\n"));
        assert!(read_response(&mut stream, &mut pending).unwrap().is_none());
        assert_eq!(server.join().unwrap().unwrap(), (1, 2));
    }

    #[test]
    fn pipelined_and_byte_by_byte_requests_are_answered_in_order() {
        let (address, server) = start(1);
        let mut stream = connect(address);
        stream.set_nodelay(true).unwrap();
        let both = b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi";
        for byte in both.iter() {
            stream.write_all(&[*byte]).unwrap();
        }
        let mut pending = Vec::new();
        let first = read_response(&mut stream, &mut pending).unwrap().unwrap();
        let second = read_response(&mut stream, &mut pending).unwrap().unwrap();
        assert!(first.starts_with("HTTP/1.1 404 Not Found"), "{first}");
        assert!(second.starts_with("HTTP/1.1 200 OK") && second.ends_with("hi"), "{second}");
        assert_eq!(server.join().unwrap().unwrap(), (1, 2));
    }

    #[test]
    fn a_malformed_request_gets_its_error_and_the_connection_closes() {
        let (address, server) = start(1);
        let mut stream = connect(address);
        stream
            .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc")
            .unwrap();
        let mut pending = Vec::new();
        let response = read_response(&mut stream, &mut pending).unwrap().unwrap();
        assert!(response.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{response}");
        assert!(
            response.contains("line 4, column 17: Content-Length 4 contradicts an earlier 3"),
            "{response}"
        );
        assert!(read_response(&mut stream, &mut pending).unwrap().is_none());
        assert_eq!(server.join().unwrap().unwrap(), (1, 0));
    }

    #[test]
    fn the_example_run_shows_keep_alive_and_the_error() {
        let out = run(EXAMPLE.default_input).unwrap();
        assert!(out.contains("< {\"name\":\"widget\"}"), "{out}");
        assert!(out.contains("< HTTP/1.1 404 Not Found"), "{out}");
        assert!(out.contains("< HTTP/1.1 400 Bad Request"), "{out}");
        assert!(out.ends_with("server: accepted 2 connections, answered 3 well-formed requests\n"), "{out}");
        assert!(!out.contains("GMT"), "the date must not leak into the verified output");
    }

    #[test]
    fn dates_follow_rfc_9110() {
        let example = UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        assert_eq!(http_date(example), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(http_date(leap), "Tue, 29 Feb 2000 00:00:00 GMT");
    }
}
