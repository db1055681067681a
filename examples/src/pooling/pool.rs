//! A connection pool, small enough to read in one sitting, used for real: the real-server test
//! of this chapter (`examples/tests/real_servers/pooling.rs`) runs its pooled requests through
//! it with PostgreSQL connections, and `pooling::pool_threads` drives it with real threads.
//!
//! What it does is what `pg.Pool`, HikariCP and Prisma's pool do at heart:
//!
//! * at most `max` connections, opened on demand by a factory (`connect`), kept open after use;
//! * the idle connection handed out first is the one returned last (LIFO), so a quiet period
//!   uses few connections and the rest stay warm in the database's caches;
//! * a caller that finds every connection checked out waits in line (first come, first served),
//!   for at most its acquire timeout, and then gets an error instead of a connection;
//! * a [`Lease`] gives its connection back when it is dropped, also when the code using it
//!   returns early with `?`, which is how a leak-free `finally { client.release() }` looks in
//!   Rust; a lease dropped by a panic closes its connection instead, since the code may have
//!   stopped mid-transaction, and an optional check ([`Pool::with_check`], say a `ROLLBACK`)
//!   decides whether a returned connection is fit to keep, like `release(err)` in node-postgres.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Why [`Pool::acquire`] gave no connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcquireError {
    /// Every connection stayed checked out for the whole acquire timeout.
    Timeout,
    /// Opening a new connection failed (the database refused it, or was unreachable).
    Connect(String),
}

/// What the pool has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections the factory opened.
    pub opened: u64,
    /// Acquires that got a connection.
    pub acquired: u64,
    /// Acquires that found every connection checked out and had to wait in line.
    pub waited: u64,
    /// Acquires that gave up after their timeout.
    pub timed_out: u64,
}

/// A test a returned connection must pass to be kept.
type Check<C> = dyn Fn(&mut C) -> bool + Send + Sync;

// ANCHOR: pool
/// A pool of at most `max` connections of type `C`.
pub struct Pool<C> {
    max: usize,
    connect: Box<dyn Fn() -> Result<C, String> + Send + Sync>,
    /// Run on a connection coming back: `false` closes it instead of keeping it.
    check: Option<Box<Check<C>>>,
    state: Mutex<State<C>>,
    /// Signalled whenever a connection comes back, a slot frees up, or a waiter leaves the line.
    changed: Condvar,
}

struct State<C> {
    /// Idle connections; the last one pushed is the next one handed out (LIFO).
    idle: Vec<C>,
    /// Connections that exist: idle, checked out, or being opened.
    open: usize,
    /// Tickets of the callers waiting, oldest first: only the oldest may take a connection.
    line: VecDeque<u64>,
    next_ticket: u64,
    stats: Stats,
}

impl<C> Pool<C> {
    pub fn new(max: usize, connect: impl Fn() -> Result<C, String> + Send + Sync + 'static) -> Self {
        assert!(max > 0, "a pool needs room for one connection");
        let state = State {
            idle: Vec::new(),
            open: 0,
            line: VecDeque::new(),
            next_ticket: 0,
            stats: Stats::default(),
        };
        Pool {
            max,
            connect: Box::new(connect),
            check: None,
            state: Mutex::new(state),
            changed: Condvar::new(),
        }
    }

    /// Checks every connection given back (reset it, roll back what it left open); one that
    /// fails the check is closed, and its slot freed.
    pub fn with_check(mut self, check: impl Fn(&mut C) -> bool + Send + Sync + 'static) -> Self {
        self.check = Some(Box::new(check));
        self
    }

    /// A connection: an idle one if there is one, else a new one while fewer than `max` exist,
    /// else the first one returned after every earlier waiter has been served. Gives up with
    /// [`AcquireError::Timeout`] after `timeout`.
    pub fn acquire(&self, timeout: Duration) -> Result<Lease<'_, C>, AcquireError> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.line.push_back(ticket);
        let mut waited = false;
        loop {
            let first_in_line = state.line.front() == Some(&ticket);
            if first_in_line && let Some(conn) = state.idle.pop() {
                return Ok(self.hand_out(state, conn, waited));
            }
            if first_in_line && state.open < self.max {
                // Reserve the slot, then open the connection without holding the lock: a
                // connection takes milliseconds to open, and other callers must not wait on it.
                state.open += 1;
                state.line.pop_front();
                drop(state);
                let opened = (self.connect)();
                let mut state = self.lock();
                self.changed.notify_all(); // the next in line may go on
                return match opened {
                    Ok(conn) => {
                        state.stats.opened += 1;
                        state.stats.acquired += 1;
                        state.stats.waited += u64::from(waited);
                        Ok(Lease { pool: self, conn: Some(conn) })
                    }
                    Err(error) => {
                        state.open -= 1;
                        Err(AcquireError::Connect(error))
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                state.line.retain(|t| *t != ticket);
                state.stats.timed_out += 1;
                self.changed.notify_all(); // someone behind us may now be first in line
                return Err(AcquireError::Timeout);
            }
            waited = true;
            state = self.changed.wait_timeout(state, deadline - now).expect("pool lock").0;
        }
    }

    fn hand_out(&self, mut state: MutexGuard<'_, State<C>>, conn: C, waited: bool) -> Lease<'_, C> {
        state.line.pop_front();
        state.stats.acquired += 1;
        state.stats.waited += u64::from(waited);
        self.changed.notify_all();
        Lease { pool: self, conn: Some(conn) }
    }

    fn give_back(&self, mut conn: C) {
        // A panic may have left the connection mid-transaction: close it (the server then rolls
        // back) rather than hand an open transaction to the next caller.
        let keep = !std::thread::panicking() && self.check.as_ref().is_none_or(|check| check(&mut conn));
        let mut state = self.lock();
        if keep {
            state.idle.push(conn);
        } else {
            drop(conn);
            state.open -= 1;
        }
        self.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, State<C>> {
        self.state.lock().expect("pool lock")
    }
}

/// A checked-out connection; dropping it returns the connection to the pool (or closes it, after
/// a panic or a failed check).
pub struct Lease<'a, C> {
    pool: &'a Pool<C>,
    conn: Option<C>,
}

impl<C> Drop for Lease<'_, C> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn);
        }
    }
}
// ANCHOR_END: pool

impl<C> Deref for Lease<'_, C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.conn.as_ref().expect("a lease holds its connection until dropped")
    }
}

impl<C> DerefMut for Lease<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn.as_mut().expect("a lease holds its connection until dropped")
    }
}

impl<C> Pool<C> {
    /// How many callers are waiting in line now.
    pub fn waiting(&self) -> usize {
        self.lock().line.len()
    }

    /// How many connections exist (idle, checked out or being opened).
    pub fn open(&self) -> usize {
        self.lock().open
    }

    pub fn stats(&self) -> Stats {
        self.lock().stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;

    fn counting_pool(max: usize) -> Arc<Pool<usize>> {
        let next = AtomicUsize::new(1);
        Arc::new(Pool::new(max, move || Ok(next.fetch_add(1, Ordering::SeqCst))))
    }

    fn wait_for(what: impl Fn() -> bool) {
        let started = Instant::now();
        while !what() {
            assert!(started.elapsed() < Duration::from_secs(10), "condition never held");
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn connections_are_opened_on_demand_up_to_max_and_reused_last_in_first_out() {
        let pool = counting_pool(3);
        let (a, b) = (pool.acquire(Duration::ZERO).unwrap(), pool.acquire(Duration::ZERO).unwrap());
        assert_eq!((*a, *b, pool.open()), (1, 2, 2));
        drop(a);
        drop(b);
        // Connection 2 came back last, so it goes out first; no third connection is opened.
        assert_eq!(*pool.acquire(Duration::ZERO).unwrap(), 2);
        assert_eq!(pool.stats(), Stats { opened: 2, acquired: 3, waited: 0, timed_out: 0 });
    }

    #[test]
    fn an_exhausted_pool_times_out_and_waiters_are_served_in_arrival_order() {
        let pool = counting_pool(1);
        let held = pool.acquire(Duration::ZERO).unwrap();
        let started = Instant::now();
        assert_eq!(pool.acquire(Duration::from_millis(30)).err(), Some(AcquireError::Timeout));
        assert!(started.elapsed() >= Duration::from_millis(30));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for name in ["first", "second", "third"] {
            let (waiter, order) = (pool.clone(), order.clone());
            let before = pool.waiting();
            waiters.push(thread::spawn(move || {
                let lease = waiter.acquire(Duration::from_secs(10)).unwrap();
                order.lock().unwrap().push(name);
                drop(lease);
            }));
            wait_for(|| pool.waiting() == before + 1);
        }
        drop(held);
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["first", "second", "third"]);
        let stats = pool.stats();
        assert_eq!((stats.opened, stats.waited, stats.timed_out), (1, 3, 1));
    }

    #[test]
    fn a_lease_dropped_by_a_panic_or_failing_the_check_is_closed_not_reused() {
        let pool = counting_pool(2);
        let worker = pool.clone();
        let panicked = thread::spawn(move || {
            let _lease = worker.acquire(Duration::ZERO).unwrap();
            panic!("the handler failed mid-transaction");
        })
        .join();
        assert!(panicked.is_err());
        assert_eq!(pool.open(), 0, "the panicking lease's connection was closed");
        assert_eq!(*pool.acquire(Duration::ZERO).unwrap(), 2, "a new connection, not connection 1");
        // A check that rejects odd connections: 3 is closed on return, 4 is kept.
        let pool = Pool::new(1, {
            let next = AtomicUsize::new(3);
            move || Ok(next.fetch_add(1, Ordering::SeqCst))
        })
        .with_check(|c: &mut usize| c.is_multiple_of(2));
        drop(pool.acquire(Duration::ZERO).unwrap());
        assert_eq!(pool.open(), 0);
        drop(pool.acquire(Duration::ZERO).unwrap());
        assert_eq!((*pool.acquire(Duration::ZERO).unwrap(), pool.stats().opened), (4, 2));
    }

    #[test]
    fn a_failed_connect_frees_its_slot() {
        let tries = Arc::new(AtomicUsize::new(0));
        let counter = tries.clone();
        let pool = Pool::new(1, move || {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 { Err("refused".to_string()) } else { Ok(()) }
        });
        assert_eq!(pool.acquire(Duration::ZERO).err(), Some(AcquireError::Connect("refused".into())));
        assert_eq!(pool.open(), 0);
        assert!(pool.acquire(Duration::ZERO).is_ok());
        assert_eq!(tries.load(Ordering::SeqCst), 2);
    }
}
