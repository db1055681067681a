//! A readiness event loop on Linux's epoll(7), written out in full: the one the chapter's native
//! examples serve their clients with, and the clients that load it.
//!
//! The protocol is a line echo: each line a client sends comes back, answered by a handler that
//! either replies at once or hands the work to a worker thread, which wakes the loop through an
//! `eventfd` when the answer is ready (libuv's thread pool wakes Node's loop the same way).

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// No socket operation of these examples may block longer than this: a test can never hang.
pub const TIMEOUT: Duration = Duration::from_secs(10);

// ANCHOR: epoll
/// An epoll instance: the kernel's set of watched descriptors, each with a token we choose.
pub struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: plain system call; a negative result is an error, else a new descriptor we own.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor that nothing else owns.
        Ok(Epoll { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Watch `fd` for `events` (`EPOLLIN`: readable, `EPOLLOUT`: writable), reported as `token`.
    pub fn add(&self, fd: RawFd, token: u64, events: u32) -> io::Result<()> {
        self.control(libc::EPOLL_CTL_ADD, fd, token, events)
    }

    pub fn modify(&self, fd: RawFd, token: u64, events: u32) -> io::Result<()> {
        self.control(libc::EPOLL_CTL_MOD, fd, token, events)
    }

    fn control(&self, op: i32, fd: RawFd, token: u64, events: u32) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: token };
        // SAFETY: `event` is a valid epoll_event for the duration of the call.
        if unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut event) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sleeps until at least one watched descriptor is ready (or `timeout` passes), then fills
    /// `ready` with the (token, events) of every ready one: one system call for all of them.
    pub fn wait(&self, ready: &mut Vec<(u64, u32)>, timeout: Duration) -> io::Result<()> {
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 256];
        let millis = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: the buffer holds 256 events, and we pass that length.
        let n = unsafe { libc::epoll_wait(self.fd.as_raw_fd(), events.as_mut_ptr(), 256, millis) };
        ready.clear();
        if n < 0 {
            let error = io::Error::last_os_error();
            return if error.kind() == io::ErrorKind::Interrupted { Ok(()) } else { Err(error) };
        }
        ready.extend(events[..n as usize].iter().map(|e| (e.u64, e.events)));
        Ok(())
    }
}
// ANCHOR_END: epoll

/// Work a handler hands to the worker thread: it returns the reply.
pub type Job = Box<dyn FnOnce() -> Vec<u8> + Send>;

/// What a handler does with one request line.
pub enum Handled {
    /// The reply, computed on the loop thread.
    Reply(Vec<u8>),
    /// Work for the worker thread; the loop goes on serving the others meanwhile.
    Offload(Job),
}

/// What one loop did.
#[derive(Debug, Default)]
pub struct Served {
    pub connections: usize,
    pub peak_open: usize,
    pub lines: usize,
    /// Connections closed because their socket failed (a client reset, say); the others go on.
    pub closed_on_error: usize,
    /// The threads that ran the handler (the loop's own, if nothing else ever does).
    pub handler_threads: HashSet<thread::ThreadId>,
    /// When each connection's replies were written, by connection number (accept order).
    pub replies_written: Vec<Vec<Instant>>,
    /// The largest buffer capacity a connection needed.
    pub largest_buffers: usize,
}

const LISTENER: u64 = u64::MAX;
const WAKER: u64 = u64::MAX - 1;

// ANCHOR: example
/// One connection as the loop sees it: no thread, no stack, just its socket and bytes.
struct Connection {
    stream: TcpStream,
    number: usize,
    unread: Vec<u8>, // received, not yet a whole line
    unsent: Vec<u8>, // replies the socket could not take yet
    writable_wanted: bool,
}

/// Bytes of state the loop keeps per open connection, buffers not counted.
pub fn connection_state_bytes() -> usize {
    size_of::<Connection>()
}

/// Serves `expected` connections from one thread: accept, read what is there, answer every
/// whole line, write what the socket takes, and never block on any one client.
pub fn serve(
    listener: TcpListener,
    expected: usize,
    mut handle: impl FnMut(&[u8]) -> Handled,
) -> io::Result<Served> {
    listener.set_nonblocking(true)?;
    let epoll = Epoll::new()?;
    epoll.add(listener.as_raw_fd(), LISTENER, libc::EPOLLIN as u32)?;
    let mut worker: Option<Worker> = None; // started on the first offload
    let mut connections: HashMap<u64, Connection> = HashMap::new();
    let mut served = Served::default();
    let (mut ready, mut buffer) = (Vec::new(), [0u8; 4096]);
    let deadline = Instant::now() + TIMEOUT;
    // Until every expected client has come and gone.
    while served.connections < expected || !connections.is_empty() {
        if Instant::now() > deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "clients did not finish in time"));
        }
        epoll.wait(&mut ready, Duration::from_millis(100))?; // the loop sleeps here
        for &(token, events) in &ready {
            match token {
                LISTENER => loop {
                    let stream = match listener.accept() {
                        Ok((stream, _)) => stream,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        // A client that gave up before we accepted it: nothing to serve.
                        Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                        Err(e) => return Err(e),
                    };
                    stream.set_nonblocking(true)?;
                    let token = served.connections as u64;
                    epoll.add(stream.as_raw_fd(), token, libc::EPOLLIN as u32)?;
                    let number = served.connections;
                    connections.insert(
                        token,
                        Connection {
                            stream,
                            number,
                            unread: Vec::new(),
                            unsent: Vec::new(),
                            writable_wanted: false,
                        },
                    );
                    served.replies_written.push(Vec::new());
                    served.connections += 1;
                    served.peak_open = served.peak_open.max(connections.len());
                },
                WAKER => {
                    let Some(worker) = &worker else { continue };
                    for (token, reply) in worker.finished()? {
                        let Some(connection) = connections.get_mut(&token) else { continue };
                        if send(&epoll, token, connection, &reply, &mut served).is_err() {
                            close_on_error(&mut connections, token, &mut served);
                        }
                    }
                }
                token => {
                    let Some(connection) = connections.get_mut(&token) else { continue };
                    if events & libc::EPOLLOUT as u32 != 0
                        && send(&epoll, token, connection, &[], &mut served).is_err()
                    {
                        close_on_error(&mut connections, token, &mut served);
                        continue;
                    }
                    let open = match read_available(connection, &mut buffer) {
                        Ok(open) => open,
                        Err(_) => {
                            close_on_error(&mut connections, token, &mut served);
                            continue;
                        }
                    };
                    let mut failed = false;
                    while let Some(end) = connection.unread.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = connection.unread.drain(..=end).collect();
                        served.lines += 1;
                        served.handler_threads.insert(thread::current().id());
                        match handle(&line) {
                            Handled::Reply(reply) => {
                                if send(&epoll, token, connection, &reply, &mut served).is_err() {
                                    failed = true;
                                    break;
                                }
                            }
                            Handled::Offload(job) => {
                                let worker = match &worker {
                                    Some(worker) => worker,
                                    None => worker.insert(Worker::start(&epoll)?),
                                };
                                worker.submit(token, job);
                            }
                        }
                    }
                    served.largest_buffers = served
                        .largest_buffers
                        .max(connection.unread.capacity() + connection.unsent.capacity());
                    if failed {
                        close_on_error(&mut connections, token, &mut served);
                    } else if !open {
                        connections.remove(&token); // dropping the stream closes the socket
                    }
                }
            }
        }
    }
    Ok(served)
}

/// Reads until the socket is empty (it never blocks: it is non-blocking); false once the client
/// has closed its side. An error belongs to this connection alone: a reset from one client must
/// not end the server.
fn read_available(connection: &mut Connection, buffer: &mut [u8]) -> io::Result<bool> {
    loop {
        match connection.stream.read(buffer) {
            Ok(0) => return Ok(false),
            Ok(n) => connection.unread.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Drops a connection whose socket failed (`ECONNRESET`, `EPIPE`): closing it is the whole
/// handling; every other connection goes on being served.
fn close_on_error(connections: &mut HashMap<u64, Connection>, token: u64, served: &mut Served) {
    connections.remove(&token);
    served.closed_on_error += 1;
}

/// Writes what the socket takes now; keeps the rest and asks epoll to say when it is writable.
fn send(
    epoll: &Epoll,
    token: u64,
    connection: &mut Connection,
    reply: &[u8],
    served: &mut Served,
) -> io::Result<()> {
    connection.unsent.extend_from_slice(reply);
    while !connection.unsent.is_empty() {
        match connection.stream.write(&connection.unsent) {
            Ok(n) => drop(connection.unsent.drain(..n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    if !reply.is_empty() {
        served.replies_written[connection.number].push(Instant::now());
    }
    let want = !connection.unsent.is_empty();
    if want != connection.writable_wanted {
        let events = if want { libc::EPOLLIN | libc::EPOLLOUT } else { libc::EPOLLIN };
        epoll.modify(connection.stream.as_raw_fd(), token, events as u32)?;
        connection.writable_wanted = want;
    }
    Ok(())
}
// ANCHOR_END: example

/// Replies the worker has finished, each with its connection's token.
type Replies = Vec<(u64, Vec<u8>)>;

// ANCHOR: worker
/// A worker thread for handlers that must not run on the loop. It wakes the loop through an
/// eventfd, a kernel counter that epoll watches like a socket (libuv's `uv_async_send`).
struct Worker {
    jobs: Option<mpsc::Sender<(u64, Job)>>,
    done: Arc<Mutex<Replies>>,
    wake: Arc<OwnedFd>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Worker {
    fn start(epoll: &Epoll) -> io::Result<Worker> {
        // SAFETY: plain system call; a negative result is an error, else a descriptor we own.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is fresh and owned by nothing else.
        let wake = Arc::new(unsafe { OwnedFd::from_raw_fd(fd) });
        epoll.add(wake.as_raw_fd(), WAKER, libc::EPOLLIN as u32)?;
        let (jobs, queue) = mpsc::channel::<(u64, Job)>();
        let done = Arc::new(Mutex::new(Vec::new()));
        let (finished, waker) = (Arc::clone(&done), Arc::clone(&wake));
        let thread = thread::Builder::new().name("worker".into()).spawn(move || {
            for (token, job) in queue {
                let reply = job();
                finished.lock().expect("no panics while holding it").push((token, reply));
                let one: u64 = 1;
                // SAFETY: writes 8 bytes from a valid u64 to the eventfd.
                unsafe { libc::write(waker.as_raw_fd(), (&one as *const u64).cast(), 8) };
            }
        })?;
        Ok(Worker { jobs: Some(jobs), done, wake, thread: Some(thread) })
    }

    fn submit(&self, token: u64, job: Job) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send((token, job));
        }
    }

    /// Called when epoll says the eventfd is readable: reset the counter, take the answers.
    fn finished(&self) -> io::Result<Replies> {
        let mut counter = [0u8; 8];
        // SAFETY: reads at most 8 bytes into an 8-byte buffer.
        let n = unsafe { libc::read(self.wake.as_raw_fd(), counter.as_mut_ptr().cast(), 8) };
        if n < 0 {
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::WouldBlock {
                return Err(error);
            }
        }
        Ok(std::mem::take(&mut *self.done.lock().expect("no panics while holding it")))
    }
}
// ANCHOR_END: worker

impl Drop for Worker {
    fn drop(&mut self) {
        self.jobs.take(); // closes the queue: the worker's loop ends
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A client connection with a reader for its replies.
pub struct Client {
    pub stream: TcpStream,
    pub reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(address: SocketAddr) -> io::Result<Client> {
        let stream = TcpStream::connect_timeout(&address, TIMEOUT)?;
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Client { reader: BufReader::new(stream.try_clone()?), stream })
    }

    pub fn send(&mut self, line: &str) -> io::Result<()> {
        self.stream.write_all(format!("{line}\n").as_bytes())
    }

    pub fn receive(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
        }
        Ok(line.trim_end().to_string())
    }
}

/// What the clients saw.
#[derive(Debug, Default)]
pub struct Load {
    pub echoes: usize,
    pub wrong: usize,
}

/// `clients` connections from one thread, all open at once; `rounds` times each sends a line
/// and reads its echo. `while_open` runs once every round is done, before any client closes.
pub fn load(
    address: SocketAddr,
    clients: usize,
    rounds: usize,
    while_open: impl FnOnce(),
) -> io::Result<Load> {
    let mut connected = Vec::with_capacity(clients);
    for _ in 0..clients {
        connected.push(Client::connect(address)?);
    }
    let mut load = Load::default();
    for round in 0..rounds {
        for (i, client) in connected.iter_mut().enumerate() {
            client.send(&format!("client {i} round {round}"))?;
        }
        for (i, client) in connected.iter_mut().enumerate() {
            let reply = client.receive()?;
            load.echoes += 1;
            if reply != format!("client {i} round {round}") {
                load.wrong += 1;
            }
        }
    }
    while_open();
    Ok(load)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Closes `client`'s socket with a reset (RST) instead of an orderly FIN: `SO_LINGER` on
    /// with a zero timeout makes `close` abort the connection.
    fn reset(client: Client) {
        let linger = libc::linger { l_onoff: 1, l_linger: 0 };
        // SAFETY: passes a valid `linger` and its size for a socket we own.
        let result = unsafe {
            libc::setsockopt(
                client.stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(result, 0, "setsockopt: {}", io::Error::last_os_error());
        drop(client); // both descriptors (the stream and its reader's clone) close: RST
    }

    #[test]
    fn a_client_that_resets_is_closed_and_the_others_are_served() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = thread::spawn(move || serve(listener, 3, |line| Handled::Reply(line.to_vec())));
        let mut rude = Client::connect(address).unwrap();
        rude.send("hello").unwrap();
        assert_eq!(rude.receive().unwrap(), "hello"); // accepted and served once
        rude.stream.write_all(b"half a li").unwrap();
        reset(rude);
        for i in 0..2 {
            let mut polite = Client::connect(address).unwrap();
            polite.send(&format!("polite {i}")).unwrap();
            assert_eq!(polite.receive().unwrap(), format!("polite {i}"));
        }
        let served = server.join().unwrap().expect("one client's reset does not end the server");
        assert_eq!((served.connections, served.lines, served.closed_on_error), (3, 3, 1));
    }
}
