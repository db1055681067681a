//! A minimal NATS client over a `TcpStream`: the text protocol that the `nats` npm package and
//! every other client speak underneath (CONNECT, PING/PONG, PUB/HPUB, SUB/UNSUB, MSG/HMSG), and
//! JetStream's API, which is JSON over request–reply on `$JS.API.*` subjects. Enough for the
//! outbox relay and its consumer; no reconnects, no TLS, one thread.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::apidesign::json::{self, Json};

/// The shared server, or `BF_NATS` (`host:port`).
pub fn shared_address() -> String {
    std::env::var("BF_NATS").unwrap_or_else(|_| "127.0.0.1:4222".to_string())
}

/// A message as the server delivered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Msg {
    pub subject: String,
    pub sid: u64,
    pub reply: Option<String>,
    /// The header block's status line (`404 No Messages`), if any.
    pub status: Option<String>,
    pub headers: Vec<(String, String)>,
    pub payload: Vec<u8>,
}

pub struct Nats {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    next_sid: u64,
    inbox: String,
    /// Messages read while waiting for another subscription's.
    parked: Vec<Msg>,
    /// The server's INFO: its version and whether JetStream is on.
    pub info: Json,
}

// ANCHOR: connect
impl Nats {
    /// Connects: the server speaks first (INFO {json}), the client answers CONNECT {json}
    /// and a PING; the PONG says the CONNECT was accepted (an error would come first).
    pub fn connect(address: &str) -> Result<Nats, String> {
        let stream = TcpStream::connect(address).map_err(|e| format!("connect {address}: {e}"))?;
        // Longer than any pull's `expires` (the server answers an empty pull with a 408 only
        // when it expires): a shorter read timeout would fail such a pull with an I/O error.
        stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let info = line.strip_prefix("INFO ").ok_or(format!("expected INFO, got {line:?}"))?;
        let info = json::parse(info.trim()).map_err(|e| format!("INFO: {e:?}"))?;
        // An inbox prefix of this connection's own: two connections never share a reply subject.
        static CONNECTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = CONNECTIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let inbox = format!("_INBOX.bf{}x{n}", std::process::id());
        let mut nats = Nats { writer: stream, reader, next_sid: 1, inbox, parked: Vec::new(), info };
        nats.write(
            b"CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,\
              \"lang\":\"backend-fundamentals\",\"version\":\"0.1\",\"protocol\":1}\r\nPING\r\n",
        )?;
        match nats.read_line()?.as_str() {
            "PONG" => Ok(nats),
            other => Err(format!("CONNECT refused: {other}")),
        }
    }
    // ANCHOR_END: connect

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.writer.write_all(bytes).map_err(|e| e.to_string())
    }

    fn read_line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("the server closed the connection".into());
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }

    // ANCHOR: publish
    /// PUB, or HPUB when there are headers: `HPUB <subject> [reply] <header bytes> <total bytes>`,
    /// then the header block (`NATS/1.0`, `Name: value` lines, a blank line) and the payload.
    pub fn publish(
        &mut self,
        subject: &str,
        reply: Option<&str>,
        headers: &[(&str, &str)],
        payload: &[u8],
    ) -> Result<(), String> {
        let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
        let mut frame = Vec::new();
        if headers.is_empty() {
            frame.extend(format!("PUB {subject}{reply} {}\r\n", payload.len()).bytes());
        } else {
            let mut block = String::from("NATS/1.0\r\n");
            for (name, value) in headers {
                block.push_str(&format!("{name}: {value}\r\n"));
            }
            block.push_str("\r\n");
            frame.extend(
                format!("HPUB {subject}{reply} {} {}\r\n", block.len(), block.len() + payload.len()).bytes(),
            );
            frame.extend(block.bytes());
        }
        frame.extend(payload);
        frame.extend(b"\r\n");
        self.write(&frame)
    }
    // ANCHOR_END: publish

    pub fn subscribe(&mut self, subject: &str) -> Result<u64, String> {
        let sid = self.next_sid;
        self.next_sid += 1;
        self.write(format!("SUB {subject} {sid}\r\n").as_bytes())?;
        Ok(sid)
    }

    pub fn unsubscribe(&mut self, sid: u64) -> Result<(), String> {
        self.write(format!("UNSUB {sid}\r\n").as_bytes())
    }

    /// The next message for subscription `sid`, answering the server's PINGs meanwhile.
    pub fn next_for(&mut self, sid: u64, timeout: Duration) -> Result<Msg, String> {
        if let Some(i) = self.parked.iter().position(|m| m.sid == sid) {
            return Ok(self.parked.remove(i));
        }
        let deadline = Instant::now() + timeout;
        loop {
            if Instant::now() > deadline {
                return Err(format!("no message for subscription {sid} within {timeout:?}"));
            }
            let line = self.read_line()?;
            let words: Vec<&str> = line.split_whitespace().collect();
            let msg = match words.first().copied() {
                Some("PING") => {
                    self.write(b"PONG\r\n")?;
                    continue;
                }
                Some("PONG") | Some("+OK") => continue,
                Some("-ERR") => return Err(line),
                // MSG <subject> <sid> [reply] <bytes>
                Some("MSG") => {
                    let total: usize = words.last().and_then(|w| w.parse().ok()).ok_or(line.clone())?;
                    let body = self.read_exact(total)?;
                    Msg {
                        subject: words[1].to_string(),
                        sid: words[2].parse().map_err(|_| line.clone())?,
                        reply: (words.len() == 5).then(|| words[3].to_string()),
                        status: None,
                        headers: Vec::new(),
                        payload: body,
                    }
                }
                // HMSG <subject> <sid> [reply] <header bytes> <total bytes>
                Some("HMSG") => {
                    let n = words.len();
                    let header_len: usize = words[n - 2].parse().map_err(|_| line.clone())?;
                    let total: usize = words[n - 1].parse().map_err(|_| line.clone())?;
                    let body = self.read_exact(total)?;
                    let block = String::from_utf8_lossy(&body[..header_len]).into_owned();
                    let mut lines = block.split("\r\n");
                    let status = lines
                        .next()
                        .unwrap_or("")
                        .strip_prefix("NATS/1.0")
                        .map(str::trim)
                        .filter(|s| !s.is_empty());
                    let headers = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                        .collect();
                    Msg {
                        subject: words[1].to_string(),
                        sid: words[2].parse().map_err(|_| line.clone())?,
                        reply: (n == 6).then(|| words[3].to_string()),
                        status: status.map(str::to_string),
                        headers,
                        payload: body[header_len..].to_vec(),
                    }
                }
                _ => return Err(format!("unexpected line from the server: {line:?}")),
            };
            if msg.sid == sid {
                return Ok(msg);
            }
            self.parked.push(msg);
        }
    }

    fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, String> {
        let mut body = vec![0; n + 2]; // the payload and its CRLF
        self.reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        body.truncate(n);
        Ok(body)
    }

    // ANCHOR: request
    /// Request–reply: subscribe to a fresh inbox, publish with it as the reply subject, wait
    /// for one answer. JetStream's whole API works this way.
    pub fn request(
        &mut self,
        subject: &str,
        headers: &[(&str, &str)],
        payload: &[u8],
    ) -> Result<Msg, String> {
        let inbox = format!("{}.{}", self.inbox, self.next_sid);
        let sid = self.subscribe(&inbox)?;
        self.publish(subject, Some(&inbox), headers, payload)?;
        let answer = self.next_for(sid, Duration::from_secs(5));
        self.unsubscribe(sid)?;
        let answer = answer?;
        if answer.status.as_deref().is_some_and(|s| s.starts_with("503")) {
            return Err(format!("no responders on {subject} (is JetStream on?)"));
        }
        Ok(answer)
    }

    /// A JetStream API call: `$JS.API.<api>` with a JSON body; its JSON answer, or its error.
    pub fn js(&mut self, api: &str, body: &str) -> Result<Json, String> {
        let answer = self.request(&format!("$JS.API.{api}"), &[], body.as_bytes())?;
        let text = String::from_utf8_lossy(&answer.payload).into_owned();
        let value = json::parse(&text).map_err(|e| format!("{api}: {e:?} in {text}"))?;
        match value.get("error") {
            Some(error) => Err(format!("{api}: {}", error.compact())),
            None => Ok(value),
        }
    }
    // ANCHOR_END: request

    /// A fresh subject under this connection's inbox (for a pull consumer's deliveries).
    pub fn new_inbox(&mut self) -> String {
        self.next_sid += 1;
        format!("{}.pull{}", self.inbox, self.next_sid)
    }

    // ANCHOR: pull
    /// One pull from a JetStream pull consumer: `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>`
    /// with `{"batch": n, "expires": ns}` and a reply inbox; the server sends up to `batch`
    /// messages there, then (if it ran short) a status message: `408 Request Timeout` when the
    /// request expired, `404 No Messages` for `no_wait`. What `consumer.fetch()` in nats.js does.
    pub fn pull(
        &mut self,
        stream: &str,
        consumer: &str,
        batch: usize,
        expires: Duration,
    ) -> Result<Vec<Msg>, String> {
        let inbox = self.new_inbox();
        let sid = self.subscribe(&inbox)?;
        let body = format!("{{\"batch\":{batch},\"expires\":{}}}", expires.as_nanos());
        self.publish(
            &format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"),
            Some(&inbox),
            &[],
            body.as_bytes(),
        )?;
        let mut got = Vec::new();
        while got.len() < batch {
            let msg = self.next_for(sid, expires + Duration::from_secs(2))?;
            if msg.status.is_some() {
                break;
            }
            got.push(msg);
        }
        self.unsubscribe(sid)?;
        Ok(got)
    }

    /// Acknowledges a JetStream message: `+ACK` to its reply subject (the `$JS.ACK…` one).
    pub fn ack(&mut self, msg: &Msg) -> Result<(), String> {
        let reply = msg.reply.as_deref().ok_or("a JetStream message without an ack subject")?;
        self.publish(reply, None, &[], b"+ACK")
    }

    /// Acknowledges and waits for the server to confirm that it recorded the ack (the ack is
    /// a request; nats.js calls this `ackAck()`): after it, the consumer's state includes it.
    pub fn ack_sync(&mut self, msg: &Msg) -> Result<(), String> {
        let reply = msg.reply.as_deref().ok_or("a JetStream message without an ack subject")?;
        self.request(reply, &[], b"+ACK").map(|_| ())
    }
    // ANCHOR_END: pull
}

/// What a JetStream message's ack subject says about it. Two forms (NATS ADR-15):
/// `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`
/// (nine tokens, the older one) and
/// `$JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>.<random>`
/// (twelve). As nats.go and nats.py do, the nine-token form gets two empty tokens after
/// `$JS.ACK` and both are read by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckInfo {
    pub stream: String,
    pub consumer: String,
    /// How many times this message has been delivered to the consumer (1 the first time).
    pub delivered: u64,
    /// Its position in the stream: the offset a replay starts from.
    pub stream_seq: u64,
    pub consumer_seq: u64,
    /// Messages still pending for the consumer after this one.
    pub pending: u64,
}

pub fn ack_info(msg: &Msg) -> Option<AckInfo> {
    parse_ack_subject(msg.reply.as_deref()?)
}

fn parse_ack_subject(subject: &str) -> Option<AckInfo> {
    let mut t: Vec<&str> = subject.split('.').collect();
    if t.len() < 2 || t[0] != "$JS" || t[1] != "ACK" {
        return None;
    }
    match t.len() {
        9 => {
            t.splice(2..2, ["", ""]);
        }
        n if n >= 12 => {}
        _ => return None,
    }
    Some(AckInfo {
        stream: t[4].to_string(),
        consumer: t[5].to_string(),
        delivered: t[6].parse().ok()?,
        stream_seq: t[7].parse().ok()?,
        consumer_seq: t[8].parse().ok()?,
        pending: t[10].parse().ok()?,
    })
}

#[cfg(test)]
mod ack_subject_tests {
    use super::parse_ack_subject;

    #[test]
    fn the_nine_token_form() {
        let a = parse_ack_subject("$JS.ACK.ORDERS.workers.2.7.9.1700000000000000000.5").unwrap();
        assert_eq!((a.stream.as_str(), a.consumer.as_str()), ("ORDERS", "workers"));
        assert_eq!((a.delivered, a.stream_seq, a.consumer_seq, a.pending), (2, 7, 9, 5));
    }

    #[test]
    fn the_twelve_token_form_with_domain_and_account_hash() {
        let a = parse_ack_subject("$JS.ACK.hub.ACCHASH.ORDERS.workers.3.70.90.1700000000000000000.4.r4nd0m")
            .unwrap();
        assert_eq!((a.stream.as_str(), a.consumer.as_str()), ("ORDERS", "workers"));
        assert_eq!((a.delivered, a.stream_seq, a.consumer_seq, a.pending), (3, 70, 90, 4));
        // Counting from the end would have read the random token as `pending`.
        assert!(parse_ack_subject("$JS.ACK.ORDERS.workers.2.7").is_none());
        assert!(parse_ack_subject("$JS.NAK.ORDERS.workers.2.7.9.1.5").is_none());
    }
}
