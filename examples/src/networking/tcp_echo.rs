//! A TCP echo server and its client on 127.0.0.1, and what the kernel keeps after they close.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "networking::tcp_echo",
    title: "A TCP echo server and client on 127.0.0.1",
    file: file!(),
    default_input: "message = hello\nmessage = is anybody out there?\nmessage = bye\n",
    input_help: "`message = TEXT` lines: what the client sends, one line each",
    runs: Runs::NativeOnly {
        reason: "a web page cannot open raw TCP sockets",
        simulation: Some("networking::tcp_link"),
    },
    run: Run::Text(run),
};

/// No socket operation in this chapter may block longer than this: a test can never hang.
pub const TIMEOUT: Duration = Duration::from_secs(5);

// ANCHOR: example
/// The server: one connection, one reply per line, until the client closes its sending half.
fn serve(listener: TcpListener) -> io::Result<usize> {
    let (stream, _) = accept(&listener)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let (mut lines, mut line) = (0, String::new());
    // read_line returns 0 at end-of-file: the client's FIN has arrived.
    while reader.read_line(&mut line)? > 0 {
        writer.write_all(format!("echo: {line}").as_bytes())?;
        lines += 1;
        line.clear();
    }
    Ok(lines) // dropping `writer` closes the socket: the server's FIN
}

/// The client: send every message, half-close, read replies until the server closes too.
fn client(address: SocketAddr, messages: &[&str]) -> io::Result<(String, u16)> {
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)?; // the 3-way handshake
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    for message in messages {
        stream.write_all(format!("{message}\n").as_bytes())?;
    }
    stream.shutdown(Shutdown::Write)?; // FIN: "nothing more from me", but we still read
    let mut replies = String::new();
    stream.read_to_string(&mut replies)?; // returns at the server's FIN
    Ok((replies, stream.local_addr()?.port()))
}
// ANCHOR_END: example

/// `accept` with a deadline, so a client that never comes cannot hang the caller.
pub fn accept(listener: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                stream.set_nonblocking(false)?;
                return Ok((stream, peer));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
}

/// The state of the TCP socket from `local` to `remote` port on 127.0.0.1, as `/proc/net/tcp`
/// shows it: its state name and the seconds left on its timer. `None` when there is none.
#[cfg(target_os = "linux")]
pub fn socket_state(local: u16, remote: u16) -> Option<(&'static str, u64)> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    for row in table.lines().skip(1) {
        let fields: Vec<&str> = row.split_whitespace().collect();
        if fields.len() < 6
            || fields[1] != format!("0100007F:{local:04X}")
            || fields[2] != format!("0100007F:{remote:04X}")
        {
            continue;
        }
        // include/net/tcp_states.h numbers the states; the timer is in USER_HZ (100 per s).
        let state = match fields[3] {
            "01" => "ESTABLISHED",
            "04" => "FIN_WAIT_1",
            "05" => "FIN_WAIT_2",
            "06" => "TIME_WAIT",
            "07" => "CLOSE",
            "08" => "CLOSE_WAIT",
            "09" => "LAST_ACK",
            _ => "another state",
        };
        let ticks = fields[5].split_once(':').and_then(|(_, t)| u64::from_str_radix(t, 16).ok()).unwrap_or(0);
        return Some((state, ticks.div_ceil(100)));
    }
    None
}

/// Polls [`socket_state`] until `wanted` says yes (the last packets on loopback may still be in
/// flight for a moment); returns the last state seen.
#[cfg(target_os = "linux")]
fn settle(
    local: u16,
    remote: u16,
    wanted: impl Fn(Option<(&str, u64)>) -> bool,
) -> Option<(&'static str, u64)> {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let state = socket_state(local, remote);
        if wanted(state) || Instant::now() > deadline {
            return state;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn io_error(what: &str, e: io::Error) -> InputError {
    InputError::new(format!("{what}: {e}"))
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["message"])?;
    let messages: Vec<&str> = params.all("message").map(|entry| entry.value).collect();
    if messages.is_empty() || messages.len() > 100 {
        return Err(InputError::new("give 1 to 100 `message = TEXT` lines"));
    }
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| io_error("bind", e))?;
    let address = listener.local_addr().map_err(|e| io_error("local_addr", e))?;
    let server = thread::spawn(move || serve(listener));
    let client_result = client(address, &messages);
    let served = server.join().map_err(|_| InputError::new("the server thread panicked"))?;
    let (replies, client_port) = client_result.map_err(|e| io_error("client", e))?;
    let lines = served.map_err(|e| io_error("server", e))?;

    let mut out = String::from("server listening on 127.0.0.1 (port chosen by the kernel, not shown)\n");
    for message in &messages {
        out.push_str(&format!("client → {message:?}\n"));
    }
    out.push_str("client shutdown(Write): its FIN says it will send nothing more\n");
    out.push_str(&format!("server read {lines} lines, answered each, saw end-of-file, closed\n"));
    for reply in replies.lines() {
        out.push_str(&format!("client ← {reply:?}\n"));
    }
    out.push_str("client read end-of-file: the server's FIN\n");
    #[cfg(target_os = "linux")]
    {
        let server_port = address.port();
        out.push_str("then /proc/net/tcp shows:\n");
        let client_side =
            settle(client_port, server_port, |s| s.is_some_and(|(name, _)| name == "TIME_WAIT"));
        out.push_str(&match client_side {
            Some(("TIME_WAIT", secs)) if (50..=60).contains(&secs) => {
                "  client socket (closed first):  TIME_WAIT, timer at most 60 s (TCP_TIMEWAIT_LEN)\n"
                    .to_string()
            }
            Some((name, secs)) => format!("  client socket (closed first):  {name}, timer {secs} s\n"),
            None => "  client socket (closed first):  gone\n".to_string(),
        });
        let server_side = settle(server_port, client_port, |s| s.is_none());
        out.push_str(&match server_side {
            None => "  server socket (closed second): gone, no TIME_WAIT\n".to_string(),
            Some((name, _)) => format!("  server socket (closed second): {name}\n"),
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = client_port;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_every_line_in_order() {
        let out = run("message = one\nmessage = two words\nmessage = three").unwrap();
        assert!(out.contains("server read 3 lines"), "{out}");
        let replies: Vec<&str> = out.lines().filter(|l| l.starts_with("client ←")).collect();
        assert_eq!(
            replies,
            ["client ← \"echo: one\"", "client ← \"echo: two words\"", "client ← \"echo: three\""]
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_side_that_closes_first_holds_time_wait() {
        let out = run(EXAMPLE.default_input).unwrap();
        assert!(out.contains("client socket (closed first):  TIME_WAIT"), "{out}");
        assert!(out.contains("server socket (closed second): gone"), "{out}");
    }

    /// A connected pair on 127.0.0.1: (sending side, receiving side), both with [`TIMEOUT`].
    fn connected_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sender = TcpStream::connect_timeout(&listener.local_addr().unwrap(), TIMEOUT).unwrap();
        let (receiver, _) = accept(&listener).unwrap();
        for stream in [&sender, &receiver] {
            stream.set_read_timeout(Some(TIMEOUT)).unwrap();
            stream.set_write_timeout(Some(TIMEOUT)).unwrap();
        }
        (sender, receiver)
    }

    #[test]
    fn tcp_is_a_byte_stream_two_writes_arrive_in_one_read() {
        let (mut sender, mut receiver) = connected_pair();
        // No Nagle: each write leaves at once as its own segment, so any joining happens in
        // the receiver's socket, not in the sender's.
        sender.set_nodelay(true).unwrap();
        let (both_written, writes_done) = std::sync::mpsc::channel();
        let writer = thread::spawn(move || {
            sender.write_all(b"abc").unwrap();
            sender.write_all(b"def").unwrap();
            sender.flush().unwrap();
            both_written.send(()).unwrap();
            sender // kept open until the reads are done, so no FIN takes part
        });
        writes_done.recv_timeout(TIMEOUT).unwrap();
        // Wait until both segments sit in the receive queue: `peek` returns what is queued
        // (up to the buffer) without taking it.
        let mut buffer = [0u8; 64];
        let deadline = Instant::now() + TIMEOUT;
        while receiver.peek(&mut buffer).unwrap() < 6 {
            assert!(Instant::now() < deadline, "the 6 bytes never all arrived");
            thread::sleep(Duration::from_millis(1));
        }
        // Deterministic, not a matter of luck: a read copies every byte queued in the socket,
        // up to the size of its buffer, whatever writes or segments brought them (the queue
        // keeps no boundaries between them). Both writes are queued, the buffer holds 64: the
        // one read returns all 6 bytes, and nothing tells the receiver there were two writes.
        let first_read = receiver.read(&mut buffer).unwrap();
        assert_eq!(&buffer[..first_read], b"abcdef", "the first read returned {first_read} bytes");
        drop(writer.join().unwrap());
    }

    /// The largest receive buffer the kernel lets a socket grow to (`tcp_rmem`'s third field);
    /// a guess of 6 MiB, Linux's default, elsewhere.
    fn largest_receive_buffer() -> usize {
        std::fs::read_to_string("/proc/sys/net/ipv4/tcp_rmem")
            .ok()
            .and_then(|text| text.split_whitespace().nth(2)?.parse().ok())
            .unwrap_or(6 << 20)
    }

    #[test]
    fn tcp_is_a_byte_stream_one_write_arrives_in_several_reads() {
        // More than the receiving socket can ever hold. The receiver's window, which it
        // advertises to the sender, never exceeds its buffer, so the sender cannot have more
        // than that on its way: the message is never all queued at once, and no single read can
        // return it all, however big the reader's buffer is.
        let size = (2 * largest_receive_buffer()).max(8 << 20) + 1;
        // Bytes 0 to 250 over and over: a lost, repeated or reordered piece would show.
        let pattern: Vec<u8> = (0..=250).collect();
        let mut message = pattern.repeat(size.div_ceil(pattern.len()));
        message.truncate(size);
        let message = std::sync::Arc::new(message);
        let (mut sender, mut receiver) = connected_pair();
        let sent = std::sync::Arc::clone(&message);
        let writer = thread::spawn(move || {
            // One write call of the whole message (`write_all` only loops if the kernel takes
            // part of it, which a blocking socket does only on a timeout or a signal).
            sender.write_all(&sent).unwrap();
            sender.shutdown(Shutdown::Write).unwrap();
        });
        let mut buffer = vec![0u8; size]; // room for the whole message in every read
        let (mut reads, mut received) = (0, 0);
        loop {
            let n = receiver.read(&mut buffer).unwrap();
            if n == 0 {
                break; // the sender's FIN
            }
            assert!(received + n <= size, "more bytes arrived than were sent");
            assert!(buffer[..n] == message[received..received + n], "read {} changed bytes", reads + 1);
            reads += 1;
            received += n;
        }
        writer.join().unwrap();
        assert_eq!(received, size);
        assert!(reads > 1, "{size} bytes arrived in {reads} read");
    }

    #[test]
    fn input_is_checked() {
        assert!(run("").is_err());
        assert_eq!(run("msg = x").unwrap_err().line, Some(1));
    }
}
