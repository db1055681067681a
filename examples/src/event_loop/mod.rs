//! Chapter "Concurrency vs parallelism; event loops and async".
//!
//! Natively: a real epoll loop on Linux serving many clients from one thread (`epoll_echo`),
//! the same service with a thread per connection and with a task (an `async fn` on a small
//! executor over epoll, `tasks`) per connection, and what each costs in memory
//! (`thread_per_connection`), and one blocking callback stalling the loop (`blocking_stall`).
//! Everywhere, in the browser too: a simulation of Node's event loop (`loop_sim`) and its
//! predict-the-order mode (`order_predict`), whose order a test checks against real Node.
//! The native ones call epoll and eventfd, so they build on Linux only.

#[cfg(not(target_family = "wasm"))]
pub mod echo_loop;
#[cfg(not(target_family = "wasm"))]
pub mod epoll;
pub mod sim;
#[cfg(not(target_family = "wasm"))]
pub mod stall;
#[cfg(not(target_family = "wasm"))]
pub mod tasks;
#[cfg(not(target_family = "wasm"))]
pub mod thread_per_connection;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    echo_loop::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    thread_per_connection::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    stall::EXAMPLE,
    sim::EXAMPLE,
    sim::PREDICT,
];
