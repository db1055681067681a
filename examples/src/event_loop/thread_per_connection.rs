//! The same echo service with a thread per connection, and what each costs in memory: a
//! thread's stack (measured in /proc/self/smaps) against a connection's state on the loop and a
//! Rust future for the same handler.

use std::future::Future;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::pin::pin;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::thread;

use super::echo_loop::{io_error, size_class};
use super::epoll::{self, TIMEOUT};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "event_loop::thread_per_connection",
    title: "A thread per connection, and what a thread costs next to a task",
    file: file!(),
    default_input: "clients = 100\nrounds = 5\n",
    input_help: "`clients = N` (1 to 400) connections, each served by its own thread; `rounds = N` (1 to 50) lines each",
    runs: Runs::NativeOnly {
        reason: "a web page cannot open TCP sockets or start threads",
        simulation: Some("event_loop::loop_sim"),
    },
    run: Run::Text(run),
};

// ANCHOR: example
/// Blocking I/O, one thread each: the code reads top to bottom, and the kernel parks the
/// thread in `read` until its client sends something.
fn serve_one(stream: TcpStream, stack_marker: mpsc::Sender<usize>) -> io::Result<()> {
    let marker = 0u8; // a local variable: its address lies in this thread's stack
    let _ = stack_marker.send(&marker as *const u8 as usize);
    stream.set_read_timeout(Some(TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 {
        writer.write_all(line.as_bytes())?;
        line.clear();
    }
    Ok(())
}

fn serve(listener: TcpListener, clients: usize, markers: mpsc::Sender<usize>) -> io::Result<usize> {
    let mut threads = Vec::new();
    for _ in 0..clients {
        let (stream, _) = crate::networking::tcp_echo::accept(&listener)?;
        let markers = markers.clone();
        threads.push(thread::spawn(move || serve_one(stream, markers)));
    }
    let started = threads.len();
    for thread in threads {
        thread.join().map_err(|_| io::Error::other("a connection thread panicked"))??;
    }
    Ok(started)
}
// ANCHOR_END: example

// ANCHOR: future
/// The same handler as an `async fn`: the compiler turns it into a state machine, a value
/// that holds only what lives across an `.await`.
async fn echo_task(mut line: Vec<u8>) -> Vec<u8> {
    let mut replies = 0u32;
    loop {
        ReadyOnSecondPoll::default().await; // stands for "wait until the socket is readable"
        replies += 1;
        line.push(b'!');
        if replies == 2 {
            return line;
        }
    }
}

/// A future that is not ready the first time it is polled: where a real one would register
/// the socket with epoll and return `Pending`.
#[derive(Default)]
struct ReadyOnSecondPoll {
    polled: bool,
}

impl Future for ReadyOnSecondPoll {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if self.polled {
            return Poll::Ready(());
        }
        self.polled = true;
        context.waker().wake_by_ref(); // "poll me again": an executor would requeue the task
        Poll::Pending
    }
}
// ANCHOR_END: future

/// Polls `echo_task` by hand, as an executor would, and says what each poll returned.
fn poll_by_hand() -> (usize, Vec<&'static str>) {
    let task = echo_task(b"hi".to_vec());
    let size = size_of_val(&task);
    let mut task = pin!(task);
    let mut context = Context::from_waker(Waker::noop());
    let mut polls = Vec::new();
    loop {
        match task.as_mut().poll(&mut context) {
            Poll::Pending => polls.push("Pending"),
            Poll::Ready(reply) => {
                polls.push(if reply == b"hi!!" { "Ready(\"hi!!\")" } else { "Ready(something else)" });
                return (size, polls);
            }
        }
    }
}

/// The stack mapping that contains `address`: (its size, its resident size), in bytes, from
/// /proc/self/smaps.
fn stack_mapping(smaps: &str, address: usize) -> Option<(usize, usize)> {
    let mut found: Option<usize> = None;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16))
        {
            found = (start <= address && address < end).then_some(end - start);
            continue;
        }
        if let (Some(size), Some(kb)) = (found, line.strip_prefix("Rss:")) {
            let kb: usize = kb.trim().trim_end_matches("kB").trim().parse().ok()?;
            return Some((size, kb * 1024));
        }
    }
    None
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["clients", "rounds"])?;
    let clients = params.number_or("clients", 1, 400, 100)?;
    let rounds = params.number_or("rounds", 1, 50, 5)?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| io_error("bind", e))?;
    let address = listener.local_addr().map_err(|e| io_error("local_addr", e))?;
    let (markers, marked) = mpsc::channel();
    let server = thread::spawn(move || serve(listener, clients, markers));
    // While every connection (and so every thread) is still open, find each thread's stack.
    let mut stacks = Vec::new();
    let load = epoll::load(address, clients, rounds, || {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        stacks = marked.try_iter().filter_map(|address| stack_mapping(&smaps, address)).collect();
    });
    let started = server.join().map_err(|_| InputError::new("the server thread panicked"))?;
    let started = started.map_err(|e| io_error("server", e))?;
    let load = load.map_err(|e| io_error("clients", e))?;
    if stacks.len() != clients {
        return Err(InputError::new(format!("found {} of {clients} thread stacks in /proc/self/smaps", stacks.len())));
    }

    let mut out = format!("{clients} clients on 127.0.0.1, all connected at once, {rounds} lines each\n");
    out.push_str(&format!("server threads started: {started}, one per connection, each blocked in read() between lines\n"));
    out.push_str(&format!("echoes the clients received: {}, wrong: {}\n\n", load.echoes, load.wrong));
    let reserved = stacks.iter().map(|s| s.0).max().unwrap_or(0);
    let resident = stacks.iter().map(|s| s.1).max().unwrap_or(0);
    let (future_size, polls) = poll_by_hand();
    out.push_str("memory per connection (measured in /proc/self/smaps while all were open):\n");
    let mib = (reserved + (1 << 19)) >> 20;
    out.push_str(&format!("  a thread's stack: {mib} MiB of address space reserved, {} of it resident (touched)\n", size_class(resident)));
    out.push_str(&format!("  an epoll connection's state: {} plus its buffers\n", size_class(super::epoll::connection_state_bytes())));
    out.push_str(&format!("  a Rust future for the same handler: {}\n", size_class(future_size)));
    let ratio = reserved / super::epoll::connection_state_bytes().max(1);
    out.push_str(&format!("  reserved stack / loop connection state: {}\n", ratio_class(ratio)));
    out.push_str(&format!("  resident stack / future: {}\n\n", ratio_class(resident / future_size.max(1))));
    out.push_str(&format!("polling the future by hand: {}\n", polls.join(", then ")));
    Ok(out)
}

/// "over 1,000×": the largest power of ten at most `ratio`.
fn ratio_class(ratio: usize) -> String {
    let mut power = 1usize;
    while power * 10 <= ratio {
        power *= 10;
    }
    let digits = power.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("at least {grouped}×")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_thread_per_client_and_a_stack_each() {
        let out = run("clients = 20\nrounds = 2").unwrap();
        assert!(out.contains("server threads started: 20"), "{out}");
        assert!(out.contains("echoes the clients received: 40, wrong: 0"), "{out}");
    }

    #[test]
    fn the_future_is_pending_once_then_ready() {
        let (size, polls) = poll_by_hand();
        assert_eq!(polls, ["Pending", "Pending", "Ready(\"hi!!\")"]);
        assert!(size < 128, "{size}");
    }

    #[test]
    fn ratio_classes() {
        assert_eq!(ratio_class(9), "at least 1×");
        assert_eq!(ratio_class(12_345), "at least 10,000×");
    }

    #[test]
    fn smaps_lookup() {
        let smaps = "7f00-8f00 rw-p 00000000 00:00 0\nSize: 4 kB\nRss:  8 kB\n9000-a000 r--p 0 00:00 0\nRss: 4 kB\n";
        assert_eq!(stack_mapping(smaps, 0x7f10), Some((0x1000, 8192)));
        assert_eq!(stack_mapping(smaps, 0x5000), None);
    }
}
