//! Chapter "Locks and deadlock".
//!
//! * `deadlock`: two real threads deadlock on two `std::sync::Mutex`es in a child process
//!   (`locks-child`), a watchdog finds the cycle in their wait-for graph, and the same workload
//!   with one lock order finishes;
//! * `lost_wakeup`: a real `Condvar` sleeps through a notification, and the predicate loop
//!   that fixes it;
//! * `db_deadlock`: the same deadlock between two transactions on the real PostgreSQL and
//!   MariaDB (observed by `examples/tests/real_servers/`);
//! * `search`: the browser simulation: every interleaving of a lock-ordering script, searched
//!   for a deadlock, with the banker's algorithm (`banker`) as a second mode;
//! * `node_atomics` (a test): the page's Node.js script `atomics_wait.cjs` hangs on a real
//!   `node` when the main thread blocks in `Atomics.wait`, and finishes once fixed.

pub mod banker;
#[cfg(not(target_family = "wasm"))]
pub mod db_deadlock;
#[cfg(not(target_family = "wasm"))]
pub mod deadlock;
#[cfg(not(target_family = "wasm"))]
pub mod lost_wakeup;
#[cfg(all(test, not(target_family = "wasm")))]
mod node_atomics;
pub mod search;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    deadlock::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    lost_wakeup::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    db_deadlock::EXAMPLE,
    search::EXAMPLE,
    search::PREDICT,
    banker::EXAMPLE,
];
