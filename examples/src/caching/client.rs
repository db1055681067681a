//! A small synchronous Redis client on `std::net`, speaking the book's RESP2 codec
//! ([`super::resp`]), and a private `redis-server` started as a child process.
//!
//! The shared server is `BF_REDIS` (default `127.0.0.1:6379`); the observations that must
//! change a server's configuration (`maxmemory`, `maxmemory-policy`, active expiry) start
//! their own `redis-server` on a free loopback port instead, with persistence off, and kill it
//! when they are done: the shared server's configuration is never touched.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::resp::{Value, decode, encode};

/// How long any one reply may take before the client gives up.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Commands per write in [`Client::pipeline`]: replies are read after each batch, so a long
/// pipeline never piles up in the server's output buffer (which counts towards `maxmemory`).
const BATCH: usize = 50;

/// The shared Redis the tests use: `BF_REDIS` or `127.0.0.1:6379`.
pub fn shared_address() -> String {
    std::env::var("BF_REDIS").unwrap_or_else(|_| "127.0.0.1:6379".to_string())
}

// ANCHOR: client
/// One connection. `call` sends one command and waits for its reply; `pipeline` sends many
/// before reading their replies, as ioredis's `pipeline()` does. An error reply (`-ERR …`) is
/// a [`Value::Error`], not a failure: the examples print what the server said.
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(address: &str) -> Result<Client, String> {
        let stream = TcpStream::connect(address).map_err(|e| format!("connecting to {address}: {e}"))?;
        stream.set_read_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Client { stream, buf: Vec::new() })
    }

    pub fn call(&mut self, args: &[&str]) -> Result<Value, String> {
        let bytes: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.stream.write_all(&encode(&bytes)).map_err(|e| format!("sending {}: {e}", args[0]))?;
        self.reply()
    }

    pub fn pipeline(&mut self, commands: &[Vec<String>]) -> Result<Vec<Value>, String> {
        let mut replies = Vec::with_capacity(commands.len());
        for batch in commands.chunks(BATCH) {
            let mut out = Vec::new();
            for command in batch {
                let bytes: Vec<&[u8]> = command.iter().map(|a| a.as_bytes()).collect();
                out.extend_from_slice(&encode(&bytes));
            }
            self.stream.write_all(&out).map_err(|e| format!("sending a pipeline: {e}"))?;
            for _ in batch {
                replies.push(self.reply()?);
            }
        }
        Ok(replies)
    }

    /// Reads until one whole reply is buffered, decodes it and keeps what follows it.
    fn reply(&mut self) -> Result<Value, String> {
        loop {
            if let Some((value, used)) = decode(&self.buf).map_err(|e| format!("bad reply: {e}"))? {
                self.buf.drain(..used);
                return Ok(value);
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = self.stream.read(&mut chunk).map_err(|e| format!("reading a reply: {e}"))?;
            if n == 0 {
                return Err("the server closed the connection".to_string());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}
// ANCHOR_END: client

impl Client {
    /// The integer a command returns (`DBSIZE`, `EXISTS`, `DEL`); an error otherwise.
    pub fn integer(&mut self, args: &[&str]) -> Result<i64, String> {
        let reply = self.call(args)?;
        reply
            .integer()
            .ok_or_else(|| format!("{}: expected an integer, got {}", args.join(" "), reply.show()))
    }

    /// One field of `INFO <section>` (`evicted_keys`, `used_memory`) as a number.
    pub fn info_number(&mut self, section: &str, field: &str) -> Result<u64, String> {
        let reply = self.call(&["INFO", section])?;
        let text = reply.text().ok_or_else(|| format!("INFO {section}: {}", reply.show()))?;
        text.lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':')?.trim().parse().ok())
            .ok_or_else(|| format!("INFO {section} has no `{field}`"))
    }
}

// ANCHOR: pubsub
/// Pub/sub (the WebSockets chapter's bus). A connection that has sent `SUBSCRIBE` receives
/// pushes, each an array: `["subscribe", channel, count]` confirms a subscription and
/// `["message", channel, payload]` carries a `PUBLISH`ed message. RESP2 allows only
/// (P)(UN)SUBSCRIBE, PING and QUIT on such a connection, so a server keeps a second one to
/// publish. Messages are delivered to the subscribers Redis knows at that instant and to no
/// one else: nothing is stored, nothing is redelivered.
impl Client {
    /// The next reply or push, waiting as long as the read timeout allows.
    pub fn next_push(&mut self) -> Result<Value, String> {
        self.reply()
    }

    /// `None` waits forever: what a subscriber's reading thread wants.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<(), String> {
        self.stream.set_read_timeout(timeout).map_err(|e| e.to_string())
    }

    /// A second handle on the same socket, for sending SUBSCRIBE and UNSUBSCRIBE from another
    /// thread while one thread reads the pushes.
    pub fn writer(&self) -> Result<TcpStream, String> {
        self.stream.try_clone().map_err(|e| e.to_string())
    }

    /// A push as (kind, channel, payload): `("message", "room:lobby", b"hi")`; the count of a
    /// (un)subscribe confirmation comes back as its decimal text.
    pub fn push(value: &Value) -> Option<(String, String, Vec<u8>)> {
        let Value::Array(Some(items)) = value else { return None };
        let [kind, channel, last] = items.as_slice() else { return None };
        let payload = match last {
            Value::Integer(n) => n.to_string().into_bytes(),
            Value::Bulk(Some(bytes)) => bytes.clone(),
            _ => return None,
        };
        Some((kind.text()?, channel.text()?, payload))
    }
}
// ANCHOR_END: pubsub

/// A `redis-server` of our own on a free port of 127.0.0.1, killed when dropped.
pub struct PrivateServer {
    child: Child,
    pub address: String,
}

/// The program started for a [`PrivateServer`]: `BF_REDIS_SERVER` or `redis-server`.
pub fn server_program() -> String {
    std::env::var("BF_REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_string())
}

impl PrivateServer {
    /// Starts `redis-server` with persistence off and `settings` (pairs such as
    /// `["--maxmemory-policy", "allkeys-lru"]`), and waits until it answers PING.
    pub fn start(settings: &[&str]) -> Result<PrivateServer, String> {
        let mut last_error = String::new();
        // A port found free may be taken before the server binds it: try a few.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("finding a free port: {e}"))?
                .port();
            let child = Command::new(server_program())
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .args(["--daemonize", "no", "--logfile", ""])
                .args(settings)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("starting {}: {e}", server_program()))?;
            let mut server = PrivateServer { child, address: format!("127.0.0.1:{port}") };
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(status)) = server.child.try_wait() {
                    last_error = format!("{} exited at once ({status})", server_program());
                    break;
                }
                if let Ok(mut client) = Client::connect(&server.address)
                    && client.call(&["PING"]).is_ok_and(|r| r == Value::Simple("PONG".into()))
                {
                    return Ok(server);
                }
                thread::sleep(Duration::from_millis(20));
            }
            if last_error.is_empty() {
                last_error = format!("{} did not answer PING within 5 s", server_program());
            }
        }
        Err(last_error)
    }

    pub fn connect(&self) -> Result<Client, String> {
        Client::connect(&self.address)
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
