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
/// is cut in the middle of the fourth event, as a restarting server or a dropped network would
/// cut it: after its `id` line, before the blank line that would dispatch it.
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
    for (i, text) in LOG.iter().enumerate().skip(start) {
        body.push_str(&format!("id: {}\nevent: chat\ndata: {text}\n\n", i + 1));
    }
    if first {
        let cut = body.find("id: 4\n").map_or(body.len(), |at| at + "id: 4\nevent: chat\nda".len());
        body.truncate(cut);
    }
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes())?;
    // Small writes, as events are produced, so the client reads them in pieces.
    for piece in body.as_bytes().chunks(7) {
        stream.write_all(piece)?;
    }
    Ok(())
}
// ANCHOR_END: server

// ANCHOR: client
/// Connects, sends `Last-Event-ID` when it has one, and feeds the body to the parser as it
/// arrives (7 bytes a read) until the server closes; reconnects until the answer is not 200
/// (what `EventSource` does, without waiting the `retry` delay).
fn read_events(address: &str, out: &mut String) -> Result<Vec<Event>, String> {
    let mut parser = Parser::default();
    let mut events = Vec::new();
    for attempt in 1..=5 {
        let stream = TcpStream::connect(address).map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
        let mut request = format!("GET /events HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n");
        if !parser.last_event_id.is_empty() {
            request.push_str(&format!("Last-Event-ID: {}\r\n", parser.last_event_id));
        }
        request.push_str("\r\n");
        (&stream).write_all(request.as_bytes()).map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).map_err(|e| e.to_string())?;
        let status = status.trim_end().to_string();
        let mut line = String::new();
        while reader.read_line(&mut line).map_err(|e| e.to_string())? > 0 && !line.trim_end().is_empty() {
            line.clear();
        }
        out.push_str(&format!("client: connection {attempt}: {status}\n"));
        if !status.contains(" 200 ") {
            out.push_str("client: not 200, so EventSource stops reconnecting (readyState CLOSED)\n");
            return Ok(events);
        }
        parser.reconnect();
        let mut chunk = [0u8; 7];
        loop {
            let n = reader.read(&mut chunk).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            for e in parser.feed(&chunk[..n]) {
                out.push_str(&format!("client: event `{}` id {}: {}\n", e.kind, e.last_event_id, e.data));
                events.push(e);
            }
        }
        if parser.unfinished() {
            out.push_str("client: the stream ended inside an event: dropped, and its id not kept\n");
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
    let want: Vec<String> = (1..=LOG.len()).map(|i| i.to_string()).collect();
    let verdict = if ids == want { "each once, none missing" } else { "NOT each event once" };
    out.push_str(&format!("ids received: {} ({verdict})\n", ids.join(" ")));
    Ok(out)
}
