//! The service on a real socket: a small HTTP/1.1 server on 127.0.0.1 (requests framed by the
//! networking chapter's parser, `networking::http_parser`), a client that speaks HTTP/1.1 over
//! one keep-alive connection, and the contract test run through them.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};

use super::console::reason;
use super::contract;
use super::service::{Request, Response, Service};
use crate::input::no_input;
use crate::networking::http_parser::{Parsed, parse_request};
use crate::networking::http_server::http_date;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "apidesign::live",
    title: "The contract test over real sockets: the service on 127.0.0.1, probed by an HTTP/1.1 client",
    file: file!(),
    default_input: "",
    input_help: "no input: the probes are the contract test's own",
    runs: Runs::NativeOnly {
        reason: "a web page cannot listen on a TCP port",
        simulation: Some("apidesign::console"),
    },
    run: Run::Text(run),
};

const TIMEOUT: Duration = Duration::from_secs(5);

/// A server running on a thread until [`Running::stop`].
pub struct Running {
    pub address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<io::Result<usize>>,
}

// ANCHOR: server
/// Starts the service on a free loopback port; each connection gets a thread, and all of them
/// share the one state behind a mutex (a request is handled whole, one at a time).
pub fn start(service: Service) -> io::Result<Running> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let state = Arc::new(Mutex::new(service));
    let thread = thread::spawn(move || {
        let mut connections = Vec::new();
        while !flag.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false)?;
                    let state = Arc::clone(&state);
                    connections.push(thread::spawn(move || serve(stream, &state)));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(1)),
                Err(e) => return Err(e),
            }
        }
        let mut answered = 0;
        for connection in connections {
            answered += connection.join().map_err(|_| io::Error::other("a connection thread panicked"))??;
        }
        Ok(answered)
    });
    Ok(Running { address, stop, thread })
}

/// One connection: parse, hand the request to the service, write the response; repeat while
/// the client keeps the connection open.
fn serve(mut stream: TcpStream, state: &Mutex<Service>) -> io::Result<usize> {
    stream.set_read_timeout(Some(TIMEOUT))?;
    let (mut received, mut chunk, mut answered) = (Vec::new(), [0u8; 4096], 0);
    loop {
        match parse_request(&received) {
            Ok(Parsed::Complete { request, consumed }) => {
                received.drain(..consumed);
                let request = Request {
                    method: request.method.clone(),
                    path: request.target.split('?').next().unwrap_or("").to_string(),
                    headers: request.fields.iter().map(|f| (f.name.clone(), f.value.clone())).collect(),
                    body: String::from_utf8_lossy(&request.body).into_owned(),
                };
                let response = state.lock().map_err(|_| io::Error::other("poisoned"))?.handle(&request);
                stream.write_all(&encode(&response))?;
                answered += 1;
            }
            Ok(Parsed::Incomplete { .. }) => {
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    return Ok(answered);
                }
                received.extend_from_slice(&chunk[..n]);
            }
            Err(error) => {
                // about:blank: the title is the status's own phrase (RFC 9457 §4.2.1).
                let body = format!(
                    "{{\"type\":\"about:blank\",\"title\":\"{}\",\"status\":{},\"detail\":\"line {}: {}\"}}",
                    reason(error.status),
                    error.status,
                    error.line,
                    error.message.replace('"', "'")
                );
                let headers = vec![("Content-Type".into(), "application/problem+json".into())];
                stream.write_all(&encode(&Response { status: error.status, headers, body }))?;
                return Ok(answered); // after a framing error the next request cannot be found
            }
        }
    }
}

/// Status line, the handler's fields, Date and Content-Length, the body: one write.
fn encode(response: &Response) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nDate: {}\r\n",
        response.status,
        reason(response.status),
        http_date(SystemTime::now())
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    // A HEAD response carries the GET body's length itself, and no body.
    if response.header("content-length").is_none() {
        head.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(response.body.as_bytes());
    bytes
}
// ANCHOR_END: server

impl Running {
    pub fn stop(self) -> io::Result<usize> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().map_err(|_| io::Error::other("the server thread panicked"))?
    }
}

/// An HTTP/1.1 client on one keep-alive connection.
pub struct Client {
    stream: TcpStream,
    pending: Vec<u8>,
    /// Every request and response as sent and received, for the page.
    pub wire: Vec<(String, String)>,
}

impl Client {
    pub fn connect(address: SocketAddr) -> io::Result<Client> {
        let stream = TcpStream::connect_timeout(&address, TIMEOUT)?;
        stream.set_read_timeout(Some(TIMEOUT))?;
        Ok(Client { stream, pending: Vec::new(), wire: Vec::new() })
    }

    pub fn send(&mut self, request: &Request) -> io::Result<Response> {
        let mut text = format!("{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\n", request.method, request.path);
        for (name, value) in &request.headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        if !request.body.is_empty() {
            text.push_str(&format!("Content-Length: {}\r\n", request.body.len()));
        }
        text.push_str("\r\n");
        text.push_str(&request.body);
        self.stream.write_all(text.as_bytes())?;
        let (raw, response) = self.read()?;
        self.wire.push((text, raw));
        Ok(response)
    }

    fn read(&mut self) -> io::Result<(String, Response)> {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.pending[..end]).into_owned();
                let mut lines = head.split("\r\n");
                let status = lines
                    .next()
                    .and_then(|l| l.split(' ').nth(1))
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| io::Error::other("no status line"))?;
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(n, v)| (n.to_string(), v.trim().to_string()))
                    .collect();
                let length: usize = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                if self.pending.len() >= end + 4 + length {
                    let body = String::from_utf8_lossy(&self.pending[end + 4..end + 4 + length]).into_owned();
                    let raw = String::from_utf8_lossy(&self.pending[..end + 4 + length]).into_owned();
                    self.pending.drain(..end + 4 + length);
                    return Ok((raw, Response { status, headers, body }));
                }
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::other("the server closed the connection"));
            }
            self.pending.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The report, every response, and every exchange as text on the wire.
pub type SocketCheck = (contract::Report, Vec<Response>, Vec<(String, String)>);

/// Runs the contract test through a fresh server on a loopback port; returns the report and
/// every response (status, the handler's own headers, body) for comparison.
pub fn check_over_socket(doc: &super::json::Json) -> io::Result<SocketCheck> {
    let running = start(Service::new())?;
    let mut client = Client::connect(running.address)?;
    let mut responses = Vec::new();
    let mut failure = None;
    let report =
        contract::check(doc, &contract::service_routes(), &mut |request| match client.send(request) {
            Ok(response) => {
                responses.push(response.clone());
                response
            }
            Err(error) => {
                failure.get_or_insert(error);
                Response { status: 599, headers: Vec::new(), body: String::new() }
            }
        });
    let wire = std::mem::take(&mut client.wire);
    drop(client);
    running.stop()?;
    if let Some(error) = failure {
        return Err(error);
    }
    Ok((report, responses, wire))
}

/// A response without the fields the transport adds (Date varies, Content-Length frames).
pub fn without_transport_fields(response: &Response) -> Response {
    let mut response = response.clone();
    response
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("date") && !n.eq_ignore_ascii_case("content-length"));
    response
}

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    let doc = super::document();
    let (report, over_socket, wire) =
        check_over_socket(&doc).map_err(|e| InputError::new(format!("socket error: {e}")))?;
    let mut service = Service::new();
    let mut in_process = Vec::new();
    contract::check(&doc, &contract::service_routes(), &mut |request| {
        let response = service.handle(request);
        in_process.push(response.clone());
        response
    });
    let same = over_socket.len() == in_process.len()
        && over_socket.iter().zip(&in_process).all(|(a, b)| without_transport_fields(a) == *b);
    let mut out =
        String::from("server: 127.0.0.1:<a free port>, one thread per connection, one shared state\n");
    out.push_str(&format!(
        "client: the contract test's probes, {} requests on one keep-alive connection\n\n",
        wire.len()
    ));
    out.push_str(&super::drift::render(&report));
    out.push_str(&format!(
        "\nsame responses as the handler called in-process (Date and Content-Length aside): {}\n",
        crate::yes(same)
    ));
    out.push_str("\nthe first and the sixth exchange as they crossed the socket:\n");
    for index in [0, 5] {
        let (request, response) = &wire[index];
        for (prefix, message) in [(">", request), ("<", response)] {
            for line in message.split("\r\n") {
                let line = if line.starts_with("Date: ") { "Date: (the time of the run)" } else { line };
                out.push_str(&format!("{prefix} {line}\n"));
            }
        }
        out.push('\n');
    }
    Ok(out)
}
