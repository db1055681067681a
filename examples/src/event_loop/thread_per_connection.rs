//! The same echo service with a thread per connection, then with a task per connection on one
//! thread (the `async fn` of [`super::tasks`]), and what each costs in memory: a thread's stack
//! (measured in /proc/self/smaps) and buffer against the task's future (`size_of_val`).

use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, ThreadId};

use super::echo_loop::{io_error, size_class};
use super::epoll::{self, TIMEOUT};
use super::tasks;
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "event_loop::thread_per_connection",
    title: "A thread per connection, and what a thread costs next to a task",
    file: file!(),
    default_input: "clients = 100\nrounds = 5\n",
    input_help: "`clients = N` (1 to 400) connections, served first by a thread each, then by a task each on one thread; `rounds = N` (1 to 50) lines each",
    runs: Runs::NativeOnly {
        reason: "a web page cannot open TCP sockets or start threads",
        simulation: Some("event_loop::loop_sim"),
    },
    run: Run::Text(run),
};

/// What a connection thread reports about itself once it is running.
struct ThreadFacts {
    /// The address of one of its local variables: it lies in this thread's stack.
    stack_address: usize,
    thread: ThreadId,
    /// The capacity of its `BufReader`'s buffer, in bytes.
    buffer: usize,
}

// ANCHOR: example
/// Blocking I/O, one thread each: the code reads top to bottom, and the kernel parks the
/// thread in `read` until its client sends something.
fn serve_one(stream: TcpStream, facts: mpsc::Sender<ThreadFacts>) -> io::Result<()> {
    stream.set_read_timeout(Some(TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut line = String::new();
    let marker = 0u8;
    let _ = facts.send(ThreadFacts {
        stack_address: &marker as *const u8 as usize,
        thread: thread::current().id(),
        buffer: reader.capacity(),
    });
    while reader.read_line(&mut line)? > 0 {
        writer.write_all(line.as_bytes())?;
        line.clear();
    }
    Ok(())
}

fn serve(listener: TcpListener, clients: usize, facts: mpsc::Sender<ThreadFacts>) -> io::Result<usize> {
    let mut threads = Vec::new();
    for _ in 0..clients {
        let (stream, _) = crate::networking::tcp_echo::accept(&listener)?;
        let facts = facts.clone();
        threads.push(thread::spawn(move || serve_one(stream, facts)));
    }
    let started = threads.len();
    for thread in threads {
        thread.join().map_err(|_| io::Error::other("a connection thread panicked"))??;
    }
    Ok(started)
}
// ANCHOR_END: example

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

    // A thread per connection. While every connection (and so every thread) is still open,
    // find each thread's stack in /proc/self/smaps.
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| io_error("bind", e))?;
    let address = listener.local_addr().map_err(|e| io_error("local_addr", e))?;
    let (facts, reported) = mpsc::channel();
    let server = thread::spawn(move || serve(listener, clients, facts));
    let mut threads = Vec::new();
    let mut stacks = Vec::new();
    let load = epoll::load(address, clients, rounds, || {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        threads = reported.try_iter().collect();
        stacks =
            threads.iter().filter_map(|t: &ThreadFacts| stack_mapping(&smaps, t.stack_address)).collect();
    });
    let started = server.join().map_err(|_| InputError::new("the server thread panicked"))?;
    let started = started.map_err(|e| io_error("server", e))?;
    let load = load.map_err(|e| io_error("clients", e))?;
    if stacks.len() != clients {
        return Err(InputError::new(format!(
            "found {} of {clients} thread stacks in /proc/self/smaps",
            stacks.len()
        )));
    }
    let distinct: HashSet<ThreadId> = threads.iter().map(|t| t.thread).collect();
    let buffer = threads.iter().map(|t| t.buffer).max().unwrap_or(0);

    // A task per connection, all on one thread.
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| io_error("bind", e))?;
    let address = listener.local_addr().map_err(|e| io_error("local_addr", e))?;
    let executor = thread::spawn(move || tasks::serve(listener, clients));
    let task_load = epoll::load(address, clients, rounds, || {});
    let served = executor.join().map_err(|_| InputError::new("the executor thread panicked"))?;
    let served = served.map_err(|e| io_error("executor", e))?;
    let task_load = task_load.map_err(|e| io_error("clients", e))?;

    let mut out = format!("{clients} clients on 127.0.0.1, all connected at once, {rounds} lines each\n\n");
    out.push_str(&format!(
        "a thread per connection: {started} threads started, {} distinct threads ran the handler, each blocked in read() between lines\n",
        distinct.len()
    ));
    out.push_str(&format!("  echoes the clients received: {}, wrong: {}\n", load.echoes, load.wrong));
    out.push_str(&format!(
        "a task per connection (the handler as an async fn): {} tasks, run by {} thread over epoll\n",
        served.tasks, served.threads
    ));
    out.push_str(&format!(
        "  echoes the clients received: {}, wrong: {}\n\n",
        task_load.echoes, task_load.wrong
    ));
    let reserved = stacks.iter().map(|s| s.0).max().unwrap_or(0);
    // The median, not the largest: glibc keeps the stacks of exited threads and hands them to
    // new ones, so a thread may start with pages an earlier thread (of another test in the
    // same process) touched.
    let mut residents: Vec<usize> = stacks.iter().map(|s| s.1).collect();
    residents.sort_unstable();
    let resident = residents.get(residents.len() / 2).copied().unwrap_or(0);
    out.push_str("memory per connection in user space, measured while all were open:\n");
    let mib = (reserved + (1 << 19)) >> 20;
    out.push_str(&format!(
        "  a thread: a stack of {mib} MiB of address space, {} of it resident (touched; the median thread); a BufReader of {} KiB\n",
        size_class(resident),
        buffer >> 10
    ));
    out.push_str(&format!(
        "  a task: its future, {} (the socket, two addresses, the state, the partial line, the line being\n    written); the partial line's buffer, {}\n",
        size_class(served.future_bytes),
        size_class(served.largest_buffer)
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_per_client_then_a_task_per_client_on_one_thread() {
        let out = run("clients = 20\nrounds = 2").unwrap();
        assert!(
            out.contains("a thread per connection: 20 threads started, 20 distinct threads ran the handler"),
            "{out}"
        );
        assert!(out.contains("20 tasks, run by 1 thread over epoll"), "{out}");
        assert_eq!(out.matches("echoes the clients received: 40, wrong: 0").count(), 2, "{out}");
        assert!(out.contains("a BufReader of 8 KiB"), "{out}");
    }

    #[test]
    fn smaps_lookup() {
        let smaps =
            "7f00-8f00 rw-p 00000000 00:00 0\nSize: 4 kB\nRss:  8 kB\n9000-a000 r--p 0 00:00 0\nRss: 4 kB\n";
        assert_eq!(stack_mapping(smaps, 0x7f10), Some((0x1000, 8192)));
        assert_eq!(stack_mapping(smaps, 0x5000), None);
    }
}
