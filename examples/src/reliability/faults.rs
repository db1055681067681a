//! Faults and failures on a real TCP server on 127.0.0.1. The server injects a fault into every
//! `every`-th connection it accepts: it drops the connection without answering (its handler
//! died), or answers for the wrong request (a corrupted reply). A fault is a component going
//! wrong; a failure is the service not giving the user what it promised. The client checks each
//! reply and, with `retries`, sends the request again on a new connection (the request is an
//! idempotent read), so the same faults stop being failures.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "reliability::faults",
    title: "A real server with injected faults: retries keep faults from becoming failures",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`requests` (1–200), `every` (a fault in every n-th connection, 1–100), `retries` (any of 0–3)",
    runs: Runs::NativeOnly { reason: "a web page cannot listen on a TCP port", simulation: None },
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
requests = 20
# the server breaks every 4th connection it accepts
every = 4
# run the same client with no retry, then with one
retries = 0 1
";

const TIMEOUT: Duration = Duration::from_secs(5);

// ANCHOR: server
/// Serves `GET <id>` lines with `OK <id>`, one request per connection, until `STOP`. Returns
/// the faults it injected.
fn serve(listener: TcpListener, every: usize) -> std::io::Result<Vec<&'static str>> {
    let mut faults = Vec::new();
    for (n, stream) in listener.incoming().enumerate() {
        let mut stream = stream?;
        stream.set_read_timeout(Some(TIMEOUT))?;
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line)?;
        let Some(id) = line.trim().strip_prefix("GET ") else {
            break; // STOP
        };
        if (n + 1) % every == 0 {
            // A fault: alternately the handler dies before answering (the connection closes)
            // or the reply belongs to another request.
            if faults.len() % 2 == 0 {
                faults.push("drop");
                drop(stream);
            } else {
                faults.push("corrupt");
                writeln!(stream, "OK 999999")?;
            }
            continue;
        }
        writeln!(stream, "OK {id}")?;
    }
    Ok(faults)
}
// ANCHOR_END: server

// ANCHOR: client
/// One request, with up to `retries` more attempts on new connections. `Err` is a failure the
/// user sees; the attempts that went wrong before are faults the client masked.
fn get(addr: std::net::SocketAddr, id: usize, retries: usize) -> (Result<(), String>, usize) {
    let mut masked = 0;
    let mut last = String::new();
    for attempt in 0..=retries {
        let result = (|| -> std::io::Result<Result<(), String>> {
            let mut stream = TcpStream::connect(addr)?;
            stream.set_read_timeout(Some(TIMEOUT))?;
            writeln!(stream, "GET {id}")?;
            let mut reply = String::new();
            BufReader::new(&stream).read_line(&mut reply)?;
            Ok(match reply.trim() {
                "" => Err("connection closed without a reply".to_string()),
                r if r == format!("OK {id}") => Ok(()),
                r => Err(format!("wrong reply `{r}`")),
            })
        })();
        match result {
            Ok(Ok(())) => return (Ok(()), masked),
            Ok(Err(why)) => last = why,
            Err(e) => last = e.to_string(),
        }
        if attempt < retries {
            masked += 1;
        }
    }
    (Err(last), masked)
}
// ANCHOR_END: client

fn round(
    requests: usize,
    every: usize,
    retries: usize,
) -> std::io::Result<(Vec<&'static str>, usize, usize, Vec<String>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || serve(listener, every));
    let (mut failures, mut masked, mut seen) = (0, 0, Vec::new());
    for id in 1..=requests {
        let (result, m) = get(addr, id, retries);
        masked += m;
        if let Err(why) = result {
            failures += 1;
            if seen.len() < 2 {
                seen.push(format!("request {id}: {why}"));
            }
        }
    }
    writeln!(TcpStream::connect(addr)?, "STOP")?;
    let faults = server.join().map_err(|_| std::io::Error::other("server thread panicked"))??;
    Ok((faults, failures, masked, seen))
}

fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["requests", "every", "retries"])?;
    let requests = p.number_or("requests", 1usize, 200, 20)?;
    let every = p.number_or("every", 1usize, 100, 4)?;
    let retries = match p.one("retries")? {
        Some(e) => e.numbers(0usize, 3)?,
        None => vec![0, 1],
    };
    let mut out = format!(
        "a TCP server on 127.0.0.1 breaks one connection in {every} (numbers {every}, {}, …), alternately dropping it and answering for the wrong request\n\n",
        2 * every
    );
    let _ = writeln!(
        out,
        "{:<8} {:>8} {:>16} {:>16} {:>18}",
        "retries", "requests", "faults (server)", "masked (client)", "failures (user)"
    );
    let mut notes = String::new();
    for r in retries {
        let (faults, failures, masked, seen) =
            round(requests, every, r).map_err(|e| InputError::new(format!("loopback I/O failed: {e}")))?;
        let drops = faults.iter().filter(|f| **f == "drop").count();
        let _ = writeln!(
            out,
            "{r:<8} {requests:>8} {:>16} {masked:>16} {failures:>18}",
            format!("{} ({drops} drop)", faults.len())
        );
        for s in seen {
            let _ = writeln!(notes, "  retries {r}, {s}");
        }
    }
    if !notes.is_empty() {
        let _ = write!(out, "\nwhat the user saw (first two per row):\n{notes}");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_retry_masks_every_fault_when_faults_are_spaced() {
        let (faults, failures, masked, _) = round(20, 4, 0).unwrap();
        assert_eq!((faults.len(), failures, masked), (5, 5, 0));
        let (faults, failures, masked, _) = round(20, 4, 1).unwrap();
        assert_eq!(failures, 0);
        assert_eq!(masked, faults.len());
        // every connection broken: no number of retries helps
        let (_, failures, _, _) = round(5, 1, 3).unwrap();
        assert_eq!(failures, 5);
    }
}
