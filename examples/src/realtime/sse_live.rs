//! Server-sent events on a real socket: a hand-written HTTP/1.1 endpoint on 127.0.0.1 serves
//! `text/event-stream` from a log of six events; the first connection drops after the third.
//! The client (a TCP socket and the book's `sse::Parser`, doing what `EventSource` does)
//! reconnects with `Last-Event-ID` and resumes; a `204 No Content` tells it to stop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::sse::{Event, Parser};
use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "realtime::sse_live",
    title: "SSE on 127.0.0.1: a dropped stream resumed with Last-Event-ID, then 204 to stop",
    file: file!(),
    default_input: "",
    input_help: "no input: the server's log of events is fixed",
    runs: Runs::NativeOnly {
        reason: "a web page cannot listen on a TCP port",
        simulation: Some("realtime::sse"),
    },
    run: Run::Text(run),
};

const LOG: &[&str] = &["alice: hi", "bob: hello", "carol joined", "carol: hey", "alice: bye", "alice left"];

// ANCHOR: server
/// One request: events after `Last-Event-ID` (all of them without it). The first connection
/// is cut after three events, as a restarting server or a dropped network would cut it.
fn serve(mut stream: TcpStream, first: bool, seen: &mpsc::Sender<String>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut last_id: Option<usize> = None;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let request_line = line.trim_end().to_string();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("last-event-id")
        {
            last_id = value.trim().parse().ok();
        }
    }
    let _ = seen.send(format!(
        "server: {request_line}, Last-Event-ID: {}",
        last_id.map_or("(none)".to_string(), |id| id.to_string())
    ));
    let start = last_id.unwrap_or(0);
    if start >= LOG.len() {
        return stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    }
    let mut body = String::from("retry: 10\n\n");
    let end = if first { 3 } else { LOG.len() };
    for (i, text) in LOG.iter().enumerate().take(end).skip(start) {
        body.push_str(&format!("id: {}\nevent: chat\ndata: {text}\n\n", i + 1));
    }
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())
}
// ANCHOR_END: server

// ANCHOR: client
/// Connects, sends `Last-Event-ID` when it has one, and feeds the body to the parser until the
/// server closes; reconnects until the answer is not 200 (what `EventSource` does, without
/// waiting the `retry` delay).
fn read_events(address: &str, out: &mut String) -> Result<Vec<Event>, String> {
    let mut parser = Parser::default();
    let mut events = Vec::new();
    for attempt in 1..=5 {
        let mut stream = TcpStream::connect(address).map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
        let mut request = format!("GET /events HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n");
        if !parser.last_event_id.is_empty() {
            request.push_str(&format!("Last-Event-ID: {}\r\n", parser.last_event_id));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).map_err(|e| e.to_string())?;
        let split = response.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no response head")?;
        let head = String::from_utf8_lossy(&response[..split]).to_string();
        let status = head.lines().next().unwrap_or("").to_string();
        out.push_str(&format!("client: connection {attempt}: {status}\n"));
        if !status.contains(" 200 ") {
            out.push_str("client: not 200, so EventSource stops reconnecting (readyState CLOSED)\n");
            return Ok(events);
        }
        // The body in small chunks, as a network delivers it.
        for chunk in response[split + 4..].chunks(7) {
            for e in parser.feed(chunk) {
                out.push_str(&format!("client: event `{}` id {}: {}\n", e.kind, e.last_event_id, e.data));
                events.push(e);
            }
        }
        out.push_str(&format!(
            "client: stream ended; reconnecting after {} ms with Last-Event-ID: {}\n",
            parser.retry.unwrap_or(3000),
            parser.last_event_id
        ));
    }
    Err("still connected after 5 attempts".into())
}
// ANCHOR_END: client

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| InputError::new(e.to_string()))?;
    let address = listener.local_addr().map_err(|e| InputError::new(e.to_string()))?.to_string();
    let (seen, server_log) = mpsc::channel();
    let server = thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate().take(3) {
            if let Ok(stream) = stream {
                let _ = serve(stream, n == 0, &seen);
            }
        }
    });
    let mut client_log = String::new();
    let events = read_events(&address, &mut client_log).map_err(InputError::new)?;
    server.join().map_err(|_| InputError::new("the server thread panicked"))?;
    let mut out = String::new();
    for line in server_log.try_iter() {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&client_log);
    let ids: Vec<&str> = events.iter().map(|e| e.last_event_id.as_str()).collect();
    out.push_str(&format!("ids received: {} (each once, none missing)\n", ids.join(" ")));
    Ok(out)
}
