//! The echo handler as an `async fn`, one task per connection, run by a one-thread executor
//! over epoll: what Tokio does for a `TcpStream`, cut down to its parts (a reactor that maps
//! ready sockets to wakers, an executor that polls the woken tasks). The point is the size of a
//! task: the future the compiler builds for the handler, measured with `size_of_val`.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::future::{Future, poll_fn};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use super::epoll::{Epoll, TIMEOUT};

/// The reactor: one epoll set, and for each socket a task waits on, the waker to call.
pub struct Reactor {
    epoll: Epoll,
    waiting: RefCell<HashMap<RawFd, Waker>>,
    registered: RefCell<HashSet<RawFd>>,
}

impl Reactor {
    fn new() -> io::Result<Reactor> {
        Ok(Reactor { epoll: Epoll::new()?, waiting: RefCell::default(), registered: RefCell::default() })
    }

    /// A task's socket said "would block": wake that task once `fd` is ready for `events`.
    /// `EPOLLONESHOT`: one report, then the socket is quiet until a task asks again.
    fn wake_when_ready(&self, fd: RawFd, events: u32, waker: &Waker) -> io::Result<()> {
        let events = events | libc::EPOLLONESHOT as u32;
        if self.registered.borrow_mut().insert(fd) {
            self.epoll.add(fd, fd as u64, events)?;
        } else {
            self.epoll.modify(fd, fd as u64, events)?;
        }
        self.waiting.borrow_mut().insert(fd, waker.clone());
        Ok(())
    }

    /// Sleeps in `epoll_wait` and wakes the tasks whose sockets became ready.
    fn wake_ready_tasks(&self, timeout: Duration) -> io::Result<()> {
        let mut ready = Vec::new();
        self.epoll.wait(&mut ready, timeout)?;
        for (token, _) in ready {
            if let Some(waker) = self.waiting.borrow_mut().remove(&(token as RawFd)) {
                waker.wake();
            }
        }
        Ok(())
    }
}

// ANCHOR: future
/// A non-blocking socket that tasks await on, as Tokio's `TcpStream` is.
pub struct Async<'r, S: AsRawFd> {
    socket: S,
    reactor: &'r Reactor,
}

impl<'r, S: AsRawFd> Async<'r, S> {
    /// Tries `operation`; if the socket would block, asks the reactor to wake this task when it
    /// is ready and returns `Pending`; the executor polls the task again after the wake-up.
    fn retry<T>(
        &self,
        events: u32,
        mut operation: impl FnMut(&S) -> io::Result<T>,
    ) -> impl Future<Output = io::Result<T>> {
        poll_fn(move |context| match operation(&self.socket) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                match self.reactor.wake_when_ready(self.socket.as_raw_fd(), events, context.waker()) {
                    Ok(()) => Poll::Pending,
                    Err(error) => Poll::Ready(Err(error)),
                }
            }
            result => Poll::Ready(result),
        })
    }
}

impl Async<'_, TcpStream> {
    /// Waits until the socket is readable and appends what it holds to `unread`; 0 means the
    /// client closed. The 4 KiB read buffer is a local of the poll, on the executor's stack: the
    /// future holds no buffer while it waits.
    async fn read_some(&self, unread: &mut Vec<u8>) -> io::Result<usize> {
        self.retry(libc::EPOLLIN as u32, |mut socket| {
            let mut chunk = [0u8; 4096];
            let n = socket.read(&mut chunk)?;
            unread.extend_from_slice(&chunk[..n]);
            Ok(n)
        })
        .await
    }

    async fn write_all(&self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let n = self.retry(libc::EPOLLOUT as u32, move |mut socket| socket.write(bytes)).await?;
            bytes = &bytes[n..];
        }
        Ok(())
    }
}

impl<S: AsRawFd> Drop for Async<'_, S> {
    /// The socket closes with it, and epoll forgets a closed descriptor by itself; the reactor
    /// must forget it too, since the kernel will hand the same number to the next socket.
    fn drop(&mut self) {
        let fd = self.socket.as_raw_fd();
        self.reactor.registered.borrow_mut().remove(&fd);
        self.reactor.waiting.borrow_mut().remove(&fd);
    }
}

/// The thread-per-connection handler's loop, as an `async fn`: the compiler turns it into a
/// state machine that holds what lives across an `.await` (the socket, the reactor's address,
/// the partial line, the counters, the line being written), not a stack.
async fn echo_connection(connection: Async<'_, TcpStream>, stats: &TaskStats) -> io::Result<()> {
    let mut unread = Vec::new(); // bytes of a line that is not complete yet
    while connection.read_some(&mut unread).await? > 0 {
        while let Some(end) = unread.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = unread.drain(..=end).collect();
            stats.polled_on(thread::current().id());
            connection.write_all(&line).await?;
        }
        stats.buffer_held(unread.capacity());
    }
    Ok(())
}
// ANCHOR_END: future

/// What the tasks saw, shared by all of them (one thread: a `RefCell` is enough).
#[derive(Default)]
struct TaskStats {
    threads: RefCell<HashSet<ThreadId>>,
    largest_buffer: RefCell<usize>,
}

impl TaskStats {
    fn polled_on(&self, thread: ThreadId) {
        self.threads.borrow_mut().insert(thread);
    }

    fn buffer_held(&self, capacity: usize) {
        let mut largest = self.largest_buffer.borrow_mut();
        *largest = (*largest).max(capacity);
    }
}

/// What the executor did.
#[derive(Debug)]
pub struct TasksServed {
    pub tasks: usize,
    /// The threads on which the handler ran.
    pub threads: usize,
    /// `size_of_val` of one handler's future: all a waiting task holds in user space, besides
    /// heap buffers.
    pub future_bytes: usize,
    /// The largest partial-line buffer a task kept between reads.
    pub largest_buffer: usize,
}

/// A task's waker puts the task's number on the executor's queue.
struct TaskWaker {
    task: usize,
    queue: Arc<Mutex<VecDeque<usize>>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.queue.lock().expect("never poisoned").push_back(self.task);
    }
}

type Task<'r> = Pin<Box<dyn Future<Output = io::Result<()>> + 'r>>;

/// Accepts `expected` connections and serves each with an `echo_connection` task, all on the
/// calling thread, until every client has closed.
pub fn serve(listener: TcpListener, expected: usize) -> io::Result<TasksServed> {
    listener.set_nonblocking(true)?;
    let reactor = Reactor::new()?;
    let stats = TaskStats::default();
    let listener = Async { socket: listener, reactor: &reactor };
    let queue = Arc::new(Mutex::new(VecDeque::new()));
    let mut tasks: Vec<Option<Task<'_>>> = Vec::new();
    let mut future_bytes = 0;
    let deadline = Instant::now() + TIMEOUT;
    let next_connection = || listener.retry(libc::EPOLLIN as u32, |socket| socket.accept());
    let mut accept = Box::pin(next_connection());
    let accept_waker = Waker::from(Arc::new(TaskWaker { task: usize::MAX, queue: Arc::clone(&queue) }));
    let mut accepting = true;
    queue.lock().expect("never poisoned").push_back(usize::MAX);
    while accepting || tasks.iter().any(Option::is_some) {
        if Instant::now() > deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "clients did not finish in time"));
        }
        let woken: Vec<usize> = queue.lock().expect("never poisoned").drain(..).collect();
        for task in woken {
            if task == usize::MAX {
                // The accepting task: every connection it gets becomes a new task.
                while accepting {
                    let Poll::Ready(accepted) = accept.as_mut().poll(&mut Context::from_waker(&accept_waker))
                    else {
                        break;
                    };
                    let (stream, _) = accepted?;
                    stream.set_nonblocking(true)?;
                    let future = echo_connection(Async { socket: stream, reactor: &reactor }, &stats);
                    future_bytes = size_of_val(&future);
                    queue.lock().expect("never poisoned").push_back(tasks.len());
                    tasks.push(Some(Box::pin(future)));
                    accepting = tasks.len() < expected;
                    accept = Box::pin(next_connection());
                }
                continue;
            }
            let Some(future) = &mut tasks[task] else { continue };
            let waker = Waker::from(Arc::new(TaskWaker { task, queue: Arc::clone(&queue) }));
            if let Poll::Ready(result) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                tasks[task] = None; // the task is done: its future, and its socket, are dropped
                result?;
            }
        }
        if queue.lock().expect("never poisoned").is_empty() {
            reactor.wake_ready_tasks(Duration::from_millis(100))?; // the loop sleeps here
        }
    }
    let threads = stats.threads.borrow().len();
    let largest_buffer = *stats.largest_buffer.borrow();
    Ok(TasksServed { tasks: tasks.len(), threads, future_bytes, largest_buffer })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_loop::epoll;

    #[test]
    fn tasks_on_one_thread_echo_every_line() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = thread::spawn(move || serve(listener, 30));
        let load = epoll::load(address, 30, 3, || {}).unwrap();
        let served = server.join().unwrap().unwrap();
        assert_eq!((load.echoes, load.wrong), (90, 0));
        assert_eq!((served.tasks, served.threads), (30, 1));
        // The socket, the reactor's address, the partial line and the line being written.
        assert!(served.future_bytes >= size_of::<TcpStream>() + 2 * size_of::<Vec<u8>>(), "{served:?}");
        assert!(served.future_bytes < 1024, "{served:?}");
    }
}
