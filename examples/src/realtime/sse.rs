//! Server-sent events: the `text/event-stream` format and how `EventSource` reads it (the
//! "event stream interpretation" of the WHATWG HTML standard, §9.2.6), as a parser that takes
//! bytes in any chunks. The browser example parses a stream as text; `sse_live` serves one on a
//! real socket and reconnects with `Last-Event-ID`.

use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "realtime::sse",
    title: "Reading a text/event-stream as EventSource does: events, ids, retry, comments",
    file: file!(),
    default_input: DEFAULT,
    input_help: "the body of an event stream, line by line (a blank line ends an event)",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT: &str = "\
retry: 3000
: a comment line, what servers send every 15-30 s to keep proxies from closing an idle stream

id: 41
data: first line
data: second line

event: join
id: 42
data: {\"user\": \"carol\", \"room\": \"lobby\"}

data:no space after the colon is fine
data

id
data: an empty id resets the last event id

id: 43
data: the stream ended before a blank line, so this event and its id are dropped";

/// One dispatched event, as `EventSource`'s `onmessage` (or `addEventListener(type)`) sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: String,
    pub data: String,
    pub last_event_id: String,
}

// ANCHOR: parser
/// The reader's state: partial line, the event being built, and what outlives events.
#[derive(Debug, Default)]
pub struct Parser {
    pending: Vec<u8>,
    data: String,
    kind: String,
    /// The last `id` field read; it becomes the last event id only when an event is dispatched.
    id_buffer: String,
    /// The id a reconnect sends as `Last-Event-ID` (it persists across events).
    pub last_event_id: String,
    /// Reconnection delay asked for by the server, in milliseconds.
    pub retry: Option<u64>,
    pub comments: usize,
}

impl Parser {
    /// Feeds bytes as they arrive; returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        // A line ends at CRLF, LF or CR; a CR at the end of the buffer may be half a CRLF.
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n' || b == b'\r') {
            let skip = match (self.pending[end], self.pending.get(end + 1)) {
                (b'\r', Some(b'\n')) => 2,
                (b'\r', None) => break,
                _ => 1,
            };
            let line = String::from_utf8_lossy(&self.pending[..end]).into_owned();
            self.pending.drain(..end + skip);
            if let Some(event) = self.line(&line) {
                events.push(event);
            }
        }
        events
    }

    fn line(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            // A blank line commits the id buffer, then dispatches unless no data came.
            self.last_event_id = self.id_buffer.clone();
            let kind = std::mem::take(&mut self.kind);
            if self.data.is_empty() {
                return None;
            }
            let mut data = std::mem::take(&mut self.data);
            data.pop(); // the last LF
            let kind = if kind.is_empty() { "message".to_string() } else { kind };
            return Some(Event { kind, data, last_event_id: self.last_event_id.clone() });
        }
        if line.starts_with(':') {
            self.comments += 1;
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.kind = value.to_string(),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => self.id_buffer = value.to_string(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry = value.parse().ok();
            }
            _ => {} // unknown fields are ignored
        }
        None
    }

    /// A new connection: what the old one left half-read is dropped. The id buffer starts from
    /// the last committed id, as browsers do, so an event without `id` keeps it.
    pub fn reconnect(&mut self) {
        self.pending.clear();
        self.data.clear();
        self.kind.clear();
        self.id_buffer = self.last_event_id.clone();
    }

    /// Whether the stream ended in the middle of an event (which is then dropped).
    pub fn unfinished(&self) -> bool {
        !self.pending.is_empty() || !self.data.is_empty()
    }
}
// ANCHOR_END: parser

fn run(input: &str) -> Result<String, InputError> {
    if input.len() > 20_000 {
        return Err(InputError::new("at most 20,000 characters"));
    }
    if input.trim().is_empty() {
        return Err(InputError::new("no stream: write lines such as `data: hello` and a blank line"));
    }
    let mut parser = Parser::default();
    let mut out = String::new();
    for (i, line) in input.split('\n').enumerate() {
        let mut bytes = line.as_bytes().to_vec();
        if i + 1 < input.split('\n').count() {
            bytes.push(b'\n');
        }
        for e in parser.feed(&bytes) {
            out.push_str(&format!(
                "line {}: dispatch `{}` event, data {:?}, lastEventId {:?}\n",
                i + 1,
                e.kind,
                e.data,
                e.last_event_id
            ));
        }
    }
    out.push_str(&format!("comments ignored: {}\n", parser.comments));
    match parser.retry {
        Some(ms) => out.push_str(&format!("reconnect delay set by the server: {ms} ms\n")),
        None => out.push_str("reconnect delay: the browser's default (a few seconds)\n"),
    }
    if parser.unfinished() {
        out.push_str("the stream ended inside an event: it is dropped, never dispatched\n");
    }
    match parser.last_event_id.as_str() {
        "" => out.push_str("on reconnect: no Last-Event-ID header (the id is empty)\n"),
        id => out.push_str(&format!("on reconnect: Last-Event-ID: {id}\n")),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_stream_dispatches_as_the_standard_says() {
        let out = run(DEFAULT).unwrap();
        assert!(
            out.contains("dispatch `message` event, data \"first line\\nsecond line\", lastEventId \"41\""),
            "{out}"
        );
        assert!(out.contains("dispatch `join` event"), "{out}");
        assert!(out.contains("data \"no space after the colon is fine\\n\", lastEventId \"42\""), "{out}");
        assert!(out.contains("lastEventId \"\""), "{out}");
        assert!(out.contains("reconnect delay set by the server: 3000 ms"), "{out}");
        assert!(out.contains("it is dropped"), "{out}");
        assert!(out.contains("no Last-Event-ID header"), "{out}");
    }

    /// An `id` whose event never ended is not the last event id, and a reconnect forgets the
    /// half-read event (WHATWG HTML §9.2.6: the buffer is committed on dispatch).
    #[test]
    fn an_id_counts_only_once_its_event_is_dispatched() {
        let mut p = Parser::default();
        assert_eq!(p.feed(b"id: 3\ndata: c\n\nid: 4\ndata: half").len(), 1);
        assert_eq!(p.last_event_id, "3");
        p.reconnect();
        let got = p.feed(b"id: 4\ndata: d\n\n");
        assert_eq!((got[0].data.as_str(), p.last_event_id.as_str()), ("d", "4"));
        p.feed(b"data: no id\n\n");
        assert_eq!(p.last_event_id, "4");
    }

    /// The same events whatever the chunking, CRLF and CR included.
    #[test]
    fn chunks_and_line_endings_do_not_matter() {
        let stream = "id: 1\r\ndata: a\r\n\r\nid: 2\rdata: b\r\rdata: c\n\n";
        let whole = Parser::default().feed(stream.as_bytes());
        assert_eq!(whole.len(), 3);
        for size in 1..stream.len() {
            let mut p = Parser::default();
            let got: Vec<Event> = stream.as_bytes().chunks(size).flat_map(|c| p.feed(c)).collect();
            assert_eq!(got, whole, "chunks of {size}");
        }
    }
}
