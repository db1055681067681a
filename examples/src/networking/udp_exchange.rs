//! UDP on 127.0.0.1: datagrams keep their boundaries, and nothing tells the sender when one
//! is truncated, queued for a socket that never reads, dropped, or sent to a closed port.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "networking::udp_exchange",
    title: "UDP datagrams on 127.0.0.1, and the ones nobody reads",
    file: file!(),
    default_input: "datagram = ping\ndatagram = a longer datagram of 42 bytes, sent as one\ndatagram = x\n",
    input_help: "`datagram = TEXT` lines: what the client sends, one datagram each",
    runs: Runs::NativeOnly {
        reason: "a web page cannot open raw UDP sockets",
        simulation: Some("networking::tcp_link"),
    },
    run: Run::Text(run),
};

/// How long a read waits for a datagram that should come.
const WAIT: Duration = Duration::from_secs(5);
/// How long a read waits for a datagram that should not come.
const SILENCE: Duration = Duration::from_millis(100);

fn socket(read_timeout: Duration) -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(read_timeout))?;
    socket.set_write_timeout(Some(WAIT))?;
    Ok(socket)
}

/// What a read that should find nothing found.
fn nothing(result: io::Result<usize>) -> String {
    match result {
        Ok(n) => format!("unexpectedly {n} bytes"),
        Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
            "nothing (the read timed out)".to_string()
        }
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            "ECONNREFUSED (connection refused)".to_string()
        }
        Err(e) => format!("error: {e}"),
    }
}

// ANCHOR: example
/// Each `recv_from` returns exactly one datagram, whole, with the sender's address.
fn exchange(datagrams: &[&str], out: &mut String) -> io::Result<()> {
    let (client, server) = (socket(WAIT)?, socket(WAIT)?);
    for datagram in datagrams {
        client.send_to(datagram.as_bytes(), server.local_addr()?)?; // no handshake
    }
    let mut buf = [0u8; 2048];
    for _ in datagrams {
        let (n, from) = server.recv_from(&mut buf)?;
        let text = String::from_utf8_lossy(&buf[..n]);
        out.push_str(&format!("server got one datagram, {n} B: {text:?}\n"));
        server.send_to(format!("got {n} B").as_bytes(), from)?; // reply to whoever sent it
    }
    for _ in datagrams {
        let n = client.recv(&mut buf)?;
        out.push_str(&format!("client got the reply {:?}\n", String::from_utf8_lossy(&buf[..n])));
    }
    Ok(())
}

/// A datagram longer than the buffer handed to `recv` loses its tail, silently.
fn truncated(out: &mut String) -> io::Result<()> {
    let (client, server) = (socket(WAIT)?, socket(SILENCE)?);
    client.send_to(b"twenty bytes of data", server.local_addr()?)?;
    let mut small = [0u8; 8];
    let n = server.recv(&mut small)?;
    out.push_str(&format!(
        "20-byte datagram read into an 8-byte buffer: got {n} bytes {:?}; ",
        String::from_utf8_lossy(&small[..n])
    ));
    out.push_str(&format!("the next read finds {}\n", nothing(server.recv(&mut small))));
    Ok(())
}

/// A socket that never reads: datagrams wait in its receive buffer until it is full, then the
/// kernel drops new ones and counts them. The sender hears nothing either way.
#[cfg(target_os = "linux")]
fn unread(out: &mut String) -> io::Result<()> {
    let sender = socket(WAIT)?;
    let sleeper = socket(WAIT)?; // bound, never read
    let inode = inode_of(&sleeper)?;
    for _ in 0..3 {
        sender.send_to(b"nobody reads me", sleeper.local_addr()?)?;
    }
    // Delivery on loopback may lag a moment behind `send_to` on a busy machine.
    let deadline = std::time::Instant::now() + WAIT;
    while udp_queue(inode).is_some_and(|(queued, _)| queued == 0) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let (queued, drops) = udp_queue(inode).unwrap_or((0, 0));
    out.push_str(&format!(
        "3 datagrams to a socket that never reads: queued in its receive buffer: {}, dropped: {drops}\n",
        if queued > 0 { "yes" } else { "no" }
    ));
    let mut sends = 3;
    while udp_queue(inode).is_some_and(|(_, drops)| drops == 0) && sends < 100_000 {
        for _ in 0..64 {
            sender.send_to(b"x", sleeper.local_addr()?)?; // every one returns Ok
            sends += 1;
        }
    }
    let (_, drops) = udp_queue(inode).unwrap_or((0, 0));
    out.push_str(&format!(
        "kept sending: the buffer filled, the kernel dropped {}, and every send returned Ok\n",
        if drops > 0 { "the rest" } else { "nothing (unexpected)" }
    ));
    drop(sleeper);
    wait_until_freed(inode);
    out.push_str(&format!(
        "closed the socket: its queue is freed unread; /proc/net/udp lists it: {}\n",
        if udp_queue(inode).is_some() { "yes" } else { "no" }
    ));
    Ok(())
}

/// A port with no socket: the kernel answers with ICMP "port unreachable". Only a *connected*
/// UDP socket hears about it, as an error on a later call; `send_to` never does.
fn closed_port(out: &mut String) -> io::Result<()> {
    let gone = socket(SILENCE)?;
    let address: SocketAddr = gone.local_addr()?;
    #[cfg(target_os = "linux")]
    let inode = inode_of(&gone)?;
    drop(gone); // now nothing listens on that port
    #[cfg(target_os = "linux")]
    wait_until_freed(inode);
    let unconnected = socket(SILENCE)?;
    let sent = unconnected.send_to(b"hello?", address)?;
    let mut buf = [0u8; 64];
    out.push_str(&format!(
        "send_to a closed port: Ok({sent}); then recv finds {}\n",
        nothing(unconnected.recv(&mut buf))
    ));
    let connected = socket(WAIT)?; // the error comes back as soon as the ICMP message does
    connected.connect(address)?; // no packet: it only fixes the peer address
    let sent = connected.send(b"hello?")?;
    out.push_str(&format!(
        "send on a connected socket: Ok({sent}); then recv finds {}\n",
        nothing(connected.recv(&mut buf))
    ));
    Ok(())
}
// ANCHOR: proc
/// `(rx_queue bytes, drops)` of the UDP socket with inode `inode`, from /proc/net/udp. The inode,
/// not the port, names the socket: once it is closed, another socket may get the same port.
#[cfg(target_os = "linux")]
fn udp_queue(inode: u64) -> Option<(u64, u64)> {
    let table = std::fs::read_to_string("/proc/net/udp").ok()?;
    let inode = inode.to_string();
    let row = table.lines().skip(1).find(|row| row.split_whitespace().nth(9) == Some(inode.as_str()))?;
    let fields: Vec<&str> = row.split_whitespace().collect();
    let rx = fields.get(4)?.split_once(':').and_then(|(_, rx)| u64::from_str_radix(rx, 16).ok())?;
    Some((rx, fields.last()?.parse().ok()?))
}

/// Waits (up to `WAIT`) until /proc/net/udp no longer lists the closed socket `inode`. The kernel
/// frees a socket when the last copy of its descriptor closes, and a child process that another
/// thread forks at that moment holds a copy until it execs.
#[cfg(target_os = "linux")]
fn wait_until_freed(inode: u64) {
    let deadline = std::time::Instant::now() + WAIT;
    while udp_queue(inode).is_some() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The inode of a socket: what `/proc/self/fd/N` points at, `socket:[inode]`.
#[cfg(target_os = "linux")]
fn inode_of(socket: &UdpSocket) -> io::Result<u64> {
    use std::os::fd::AsRawFd as _;
    use std::os::unix::fs::MetadataExt as _;
    Ok(std::fs::metadata(format!("/proc/self/fd/{}", socket.as_raw_fd()))?.ino())
}
// ANCHOR_END: proc
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["datagram"])?;
    let datagrams: Vec<&str> = params.all("datagram").map(|entry| entry.value).collect();
    if datagrams.is_empty() || datagrams.len() > 50 {
        return Err(InputError::new("give 1 to 50 `datagram = TEXT` lines"));
    }
    if let Some(long) = params.all("datagram").find(|entry| entry.value.len() > 1_000) {
        return Err(InputError::at_line(long.line, "keep a datagram under 1000 bytes"));
    }
    let mut out = String::new();
    let fail = |what: &str, e: io::Error| InputError::new(format!("{what}: {e}"));
    exchange(&datagrams, &mut out).map_err(|e| fail("exchange", e))?;
    truncated(&mut out).map_err(|e| fail("truncation", e))?;
    #[cfg(target_os = "linux")]
    unread(&mut out).map_err(|e| fail("unread", e))?;
    closed_port(&mut out).map_err(|e| fail("closed port", e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_kept_and_errors_are_as_linux_reports_them() {
        let out = run(EXAMPLE.default_input).unwrap();
        assert!(out.contains("server got one datagram, 4 B: \"ping\""), "{out}");
        assert!(out.contains("server got one datagram, 42 B"), "{out}");
        assert!(out.contains("got 8 bytes \"twenty b\"; the next read finds nothing"), "{out}");
        assert!(out.contains("send_to a closed port: Ok(6); then recv finds nothing"), "{out}");
        #[cfg(target_os = "linux")]
        {
            assert!(out.contains("connected socket: Ok(6); then recv finds ECONNREFUSED"), "{out}");
            assert!(out.contains("queued in its receive buffer: yes, dropped: 0"), "{out}");
            assert!(out.contains("the kernel dropped the rest, and every send returned Ok"), "{out}");
            assert!(out.contains("lists it: no"), "{out}");
        }
    }

    #[test]
    fn input_is_checked() {
        assert!(run("").is_err());
        let long = format!("datagram = ok\ndatagram = {}", "x".repeat(1_001));
        assert_eq!(run(&long).unwrap_err().line, Some(2));
    }
}
