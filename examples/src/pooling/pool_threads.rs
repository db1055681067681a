//! The pool of [`super::pool`] under real threads: two connections, five request handlers.
//! Two handlers hold both connections (a slow query, a transaction that waits on an HTTP call),
//! a third gives up after its acquire timeout, two more wait in line and get the connections
//! in the order they asked as the first two finish. Each step is forced with a channel or by
//! waiting until the pool says a handler is in line, so the run is the same every time.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::pool::{AcquireError, Pool};
use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "pooling::pool_threads",
    title: "Pool exhaustion with real threads: an acquire timeout, then waiters served in order",
    file: file!(),
    default_input: "",
    input_help: "No input: the scenario is fixed so that every run tells the same story.",
    runs: Runs::NativeOnly {
        reason: "it runs real threads that block on a real pool, which the browser playground does not have",
        simulation: Some("pooling::load"),
    },
    run: Run::Text(run),
};

/// A stand-in for a database connection: its number.
struct Conn {
    id: usize,
}

fn wait_until(what: impl Fn() -> bool) {
    let started = Instant::now();
    while !what() {
        assert!(started.elapsed() < Duration::from_secs(10), "the scenario stalled");
        thread::sleep(Duration::from_millis(1));
    }
}

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let say = {
        let log = log.clone();
        move |line: String| log.lock().unwrap().push(line)
    };
    // ANCHOR: example
    let opened = Arc::new(Mutex::new(0));
    let counter = opened.clone();
    let pool = Arc::new(Pool::new(2, move || {
        let mut n = counter.lock().unwrap();
        *n += 1;
        Ok(Conn { id: *n })
    }));

    // Handlers 1 and 2 take both connections and keep them until told to finish.
    let mut finish = Vec::new();
    let mut handlers = Vec::new();
    for name in ["handler 1 (slow report query)", "handler 2 (transaction open across an HTTP call)"] {
        let (done, wait) = mpsc::channel::<()>();
        let (got, has) = mpsc::channel::<()>();
        let (pool, say) = (pool.clone(), say.clone());
        handlers.push(thread::spawn(move || {
            let conn = pool.acquire(Duration::from_secs(5)).expect("a free connection");
            say(format!("{name}: got connection {}", conn.id));
            got.send(()).unwrap();
            wait.recv().unwrap(); // holds the connection until the test lets it go
            say(format!("{name}: done, connection {} goes back", conn.id));
        }));
        has.recv().unwrap();
        finish.push(done);
    }

    // Handler 3 asks with a 100 ms acquire timeout while both are checked out.
    match pool.acquire(Duration::from_millis(100)) {
        Ok(_) => say("handler 3: got a connection (unexpected)".into()),
        Err(AcquireError::Timeout) => {
            say("handler 3: no connection within 100 ms: timeout error (HTTP 503)".into())
        }
        Err(AcquireError::Connect(e)) => say(format!("handler 3: connect failed: {e}")),
    }

    // Handlers 4 and 5 wait in line, 4 first, each with a generous timeout.
    let (served, was_served) = mpsc::channel::<()>();
    let mut end = Vec::new();
    for name in ["handler 4", "handler 5"] {
        let (handler_pool, handler_say, served) = (pool.clone(), say.clone(), served.clone());
        let (done, wait) = mpsc::channel::<()>();
        end.push(done);
        let in_line = pool.waiting();
        handlers.push(thread::spawn(move || {
            let conn = handler_pool.acquire(Duration::from_secs(5)).expect("served in time");
            handler_say(format!("{name}: got connection {} after waiting in line", conn.id));
            served.send(()).unwrap();
            wait.recv().unwrap();
        }));
        wait_until(|| pool.waiting() == in_line + 1);
        say(format!("{name}: waiting in line (position {})", in_line + 1));
    }

    // Handler 1 finishes: its connection goes to handler 4, the first in line. Then handler 2
    // finishes, and its connection goes to handler 5.
    for done in finish {
        done.send(()).unwrap();
        was_served.recv().unwrap();
    }
    for done in end {
        done.send(()).unwrap();
    }
    for handler in handlers {
        handler.join().expect("a handler panicked");
    }
    // ANCHOR_END: example
    let stats = pool.stats();
    let mut out = log.lock().unwrap().join("\n");
    out.push_str(&format!(
        "\n\nconnections opened: {} (the pool's maximum is 2; nobody opened a third)\n\
         acquires: {} served, {} of them after waiting, {} timed out\n",
        stats.opened, stats.acquired, stats.waited, stats.timed_out
    ));
    Ok(out)
}
