//! One thread, one epoll instance, many clients: the event loop of [`super::epoll`] echoing
//! lines for clients on 127.0.0.1.

use std::net::TcpListener;
use std::thread;

use super::epoll::{self, Handled};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "event_loop::epoll_echo",
    title: "An epoll echo server: one thread serves every client",
    file: file!(),
    default_input: "clients = 100\nrounds = 5\n",
    input_help: "`clients = N` (1 to 400) connections, all open at once; `rounds = N` (1 to 50) lines each",
    runs: Runs::NativeOnly {
        reason: "a web page cannot open TCP sockets or call epoll",
        simulation: Some("event_loop::loop_sim"),
    },
    run: Run::Text(run),
};

pub(crate) fn io_error(what: &str, error: std::io::Error) -> InputError {
    InputError::new(format!("{what}: {error}"))
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["clients", "rounds"])?;
    let clients = params.number_or("clients", 1, 400, 100)?;
    let rounds = params.number_or("rounds", 1, 50, 5)?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| io_error("bind", e))?;
    let address = listener.local_addr().map_err(|e| io_error("local_addr", e))?;
    // ANCHOR: example
    // The whole server: one thread running the loop; the handler echoes each line on it.
    let server = thread::spawn(move || epoll::serve(listener, clients, |line| Handled::Reply(line.to_vec())));
    let load = epoll::load(address, clients, rounds, || {});
    // ANCHOR_END: example
    let served = server.join().map_err(|_| InputError::new("the server thread panicked"))?;
    let served = served.map_err(|e| io_error("server", e))?;
    let load = load.map_err(|e| io_error("clients", e))?;

    let mut out = format!("{clients} clients on 127.0.0.1, all connected at once, {rounds} lines each\n");
    out.push_str("server: 1 thread, 1 epoll instance, non-blocking sockets\n");
    out.push_str(&format!(
        "connections accepted: {}, open at the same time at the peak: {}\n",
        served.connections, served.peak_open
    ));
    out.push_str(&format!(
        "lines answered: {}, echoes the clients received: {}, wrong: {}\n",
        served.lines, load.echoes, load.wrong
    ));
    out.push_str(&format!("threads that ran the handler: {}\n", served.handler_threads.len()));
    out.push_str(&format!("connections closed on an error: {}\n", served.closed_on_error));
    out.push_str(&format!(
        "state per connection on the loop: a struct of {} bytes (a socket, two buffers and a flag), plus\n  its buffers, which held {} at most\n",
        epoll::connection_state_bytes(),
        size_class(served.largest_buffers)
    ));
    Ok(out)
}

/// A size as a class the output can show on any machine: "under 128 bytes", "under 4 KiB".
pub fn size_class(bytes: usize) -> String {
    let mut limit = 64usize;
    while bytes >= limit {
        limit *= 2;
    }
    if limit < 1024 {
        format!("under {limit} bytes")
    } else if limit < 1 << 20 {
        format!("under {} KiB", limit >> 10)
    } else {
        format!("under {} MiB", limit >> 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_is_echoed_by_one_loop() {
        let out = run("clients = 50\nrounds = 3").unwrap();
        assert!(out.contains("connections accepted: 50, open at the same time at the peak: 50"), "{out}");
        assert!(out.contains("lines answered: 150, echoes the clients received: 150, wrong: 0"), "{out}");
        assert!(out.contains("threads that ran the handler: 1\nconnections closed on an error: 0"), "{out}");
    }

    #[test]
    fn sizes_are_classes() {
        assert_eq!(size_class(0), "under 64 bytes");
        assert_eq!(size_class(64), "under 128 bytes");
        assert_eq!(size_class(4096), "under 8 KiB");
        assert_eq!(size_class(2 << 20), "under 4 MiB");
    }

    #[test]
    fn input_is_checked() {
        assert_eq!(
            run("clients = 0").unwrap_err().to_string(),
            "input line 1: 0 is out of range (from 1 to 400)"
        );
    }
}
