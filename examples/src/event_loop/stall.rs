//! One blocking call inside a callback stalls every client of the loop; the same work on a
//! worker thread does not.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::echo_loop::io_error;
use super::epoll::{self, Client, Handled};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "event_loop::blocking_stall",
    title: "One blocking callback stalls every client of the loop",
    file: file!(),
    default_input: "clients = 8\nblock_ms = 500\n",
    input_help: "`clients = N` (2 to 100): client 0 asks for slow work, the others for an instant echo; \
                 `block_ms = N` (50 to 2000): how long the slow work takes",
    runs: Runs::NativeOnly {
        reason: "a web page cannot open TCP sockets or start threads",
        simulation: Some("event_loop::loop_sim"),
    },
    run: Run::Text(run),
};

/// When the slow work started and ended, as the handler saw it.
#[derive(Default)]
struct SlowWork {
    started: AtomicBool,
    span: Mutex<Option<(Instant, Instant)>>,
}

// ANCHOR: example
/// The slow request: 500 ms of work that holds its thread (a synchronous file read, a
/// `bcrypt` hash, a big `JSON.parse` in Node), here a sleep.
fn slow_work(block: Duration, slow: &SlowWork) -> Vec<u8> {
    slow.started.store(true, Ordering::SeqCst);
    let start = Instant::now();
    thread::sleep(block);
    *slow.span.lock().expect("not poisoned") = Some((start, Instant::now()));
    b"slow done\n".to_vec()
}

/// The handler: quick requests are echoed at once; the slow one runs either on the loop
/// thread itself or on the worker thread.
fn handler(on_loop: bool, block: Duration, slow: Arc<SlowWork>) -> impl FnMut(&[u8]) -> Handled {
    move |line| match (line, on_loop) {
        (b"slow\n", true) => Handled::Reply(slow_work(block, &slow)), // blocks the loop
        (b"slow\n", false) => {
            let slow = Arc::clone(&slow);
            Handled::Offload(Box::new(move || slow_work(block, &slow)))
        }
        _ => Handled::Reply(line.to_vec()),
    }
}
// ANCHOR_END: example

/// How the quick clients fared in one run.
struct Outcome {
    answered_during_the_slow_work: usize,
    /// Each quick client's latency, from sending its line to reading the reply.
    latencies: Vec<Duration>,
    /// Whether every quick client had read its reply before the slow work ended.
    all_replied_before_the_end: bool,
}

fn one_run(clients: usize, block: Duration, on_loop: bool) -> Result<Outcome, InputError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| io_error("bind", e))?;
    let address = listener.local_addr().map_err(|e| io_error("local_addr", e))?;
    let slow = Arc::new(SlowWork::default());
    let serve = handler(on_loop, block, Arc::clone(&slow));
    let server = thread::spawn(move || epoll::serve(listener, clients, serve));
    let mut connected = Vec::new();
    for _ in 0..clients {
        connected.push(Client::connect(address).map_err(|e| io_error("connect", e))?);
    }
    connected[0].send("slow").map_err(|e| io_error("send", e))?;
    // Send the quick requests only once the slow work is under way.
    let deadline = Instant::now() + epoll::TIMEOUT;
    while !slow.started.load(Ordering::SeqCst) {
        if Instant::now() > deadline {
            return Err(InputError::new("the slow work never started"));
        }
        thread::sleep(Duration::from_millis(1));
    }
    let mut sent = Vec::new();
    for (i, client) in connected.iter_mut().enumerate().skip(1) {
        sent.push(Instant::now());
        client.send(&format!("ping {i}")).map_err(|e| io_error("send", e))?;
    }
    let mut latencies = Vec::new();
    let mut received = Vec::new();
    for (client, sent) in connected.iter_mut().skip(1).zip(sent) {
        client.receive().map_err(|e| io_error("receive", e))?;
        received.push(Instant::now());
        latencies.push(sent.elapsed());
    }
    let slow_reply = connected[0].receive().map_err(|e| io_error("receive", e))?;
    if slow_reply != "slow done" {
        return Err(InputError::new(format!("the slow client got {slow_reply:?}")));
    }
    drop(connected);
    let served = server.join().map_err(|_| InputError::new("the server thread panicked"))?;
    let served = served.map_err(|e| io_error("server", e))?;
    let (_, slow_end) =
        slow.span.lock().expect("not poisoned").ok_or_else(|| InputError::new("no slow work"))?;
    // Connections are numbered in accept order, which is the clients' connect order.
    let answered_during_the_slow_work =
        served.replies_written[1..].iter().filter(|written| written.iter().all(|&at| at < slow_end)).count();
    let all_replied_before_the_end = received.iter().all(|&at| at < slow_end);
    Ok(Outcome { answered_during_the_slow_work, latencies, all_replied_before_the_end })
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["clients", "block_ms"])?;
    let clients = params.number_or("clients", 2, 100, 8)?;
    let block_ms = params.number_or("block_ms", 50u64, 2000, 500)?;
    let block = Duration::from_millis(block_ms);
    let quick = clients - 1;
    let mut out = format!(
        "{clients} clients of one epoll loop: client 0 asks for {block_ms} ms of slow work, then the other {quick} send a line each\n"
    );
    for (on_loop, title) in [
        (true, "the slow work runs inside the loop's callback (a blocking call):"),
        (false, "the slow work runs on a worker thread, which wakes the loop through an eventfd when done:"),
    ] {
        let outcome = one_run(clients, block, on_loop)?;
        // Wide margins, so that a loaded machine cannot flip the verdict: a client would have
        // to be held up for four fifths of the slow work to seem not to have waited.
        let fifth = block / 5;
        let all_waited = outcome.latencies.iter().all(|&l| l >= fifth);
        out.push_str(&format!("\n{title}\n"));
        out.push_str(&format!(
            "  quick requests answered while the slow work ran: {} of {quick}\n",
            outcome.answered_during_the_slow_work
        ));
        let latency = match (all_waited, outcome.all_replied_before_the_end) {
            (true, false) => {
                format!("every quick request waited at least a fifth of the slow work ({} ms)", block_ms / 5)
            }
            (_, true) => "every quick client had its reply before the slow work ended".to_string(),
            (false, false) => "some quick requests waited, some did not".to_string(),
        };
        out.push_str(&format!("  {latency}\n"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_the_loop_delays_everyone_offloading_does_not() {
        let blocked = one_run(4, Duration::from_millis(300), true).unwrap();
        assert_eq!(blocked.answered_during_the_slow_work, 0);
        assert!(!blocked.all_replied_before_the_end);
        assert!(blocked.latencies.iter().all(|&l| l >= Duration::from_millis(60)), "{:?}", blocked.latencies);
        let offloaded = one_run(4, Duration::from_millis(300), false).unwrap();
        assert_eq!(offloaded.answered_during_the_slow_work, 3);
        assert!(offloaded.all_replied_before_the_end);
    }

    #[test]
    fn input_is_checked() {
        assert_eq!(
            run("clients = 1").unwrap_err().to_string(),
            "input line 1: 1 is out of range (from 2 to 100)"
        );
    }
}
