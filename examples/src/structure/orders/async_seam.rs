//! The same seam, async: what the repository trait looks like when the storage behind it is an
//! async pool (sqlx, tokio-postgres) and the service runs under axum. Two shapes: a generic one
//! (`impl Future` in the trait, static dispatch) and a boxed one that can sit behind
//! `Arc<dyn …>`. The tests run two cancels of one order concurrently on a store that awaits
//! between calls, as a network round trip does: read-check-write lets both win, the conditional
//! update lets one.

use super::service::{Order, OrderError, RepoError, Status};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

// ANCHOR: async
/// `&self`, not `&mut self`: one repository (a pool inside) serves every request at once, so the
/// trait is `Send + Sync` and each future `Send`, which axum's `State` and `tokio::spawn` need.
/// Written as `fn … -> impl Future + Send` rather than `async fn`, which could not promise `Send`.
pub trait AsyncOrderRepo: Send + Sync {
    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Order>, RepoError>> + Send;
    fn cancel_if_placed(&self, id: &str) -> impl Future<Output = Result<Option<Order>, RepoError>> + Send;
}

/// Generic over the store: static dispatch, each call's future a concrete type. A trait with
/// `impl Future` (or `async fn`) methods is not dyn compatible: `Arc<dyn AsyncOrderRepo>` does
/// not compile.
pub async fn cancel<R: AsyncOrderRepo>(repo: &R, id: &str) -> Result<Order, OrderError> {
    if let Some(order) = repo.cancel_if_placed(id).await? {
        return Ok(order);
    }
    match repo.get(id).await? {
        Some(_) => Err(OrderError::AlreadyCancelled(id.to_string())),
        None => Err(OrderError::NotFound(id.to_string())),
    }
}

/// The object-safe shape: each method returns a boxed future (what the `async-trait` crate
/// writes for you), so one `Arc<dyn DynOrderRepo>` can be shared by every handler.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait DynOrderRepo: Send + Sync {
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Order>, RepoError>>;
    fn cancel_if_placed<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Order>, RepoError>>;
}

pub async fn cancel_dyn(repo: Arc<dyn DynOrderRepo>, id: &str) -> Result<Order, OrderError> {
    if let Some(order) = repo.cancel_if_placed(id).await? {
        return Ok(order);
    }
    match repo.get(id).await? {
        Some(_) => Err(OrderError::AlreadyCancelled(id.to_string())),
        None => Err(OrderError::NotFound(id.to_string())),
    }
}
// ANCHOR_END: async

/// An in-memory store whose every call awaits once before touching the data, as a query waits
/// for the database: other tasks run in between.
#[derive(Default)]
pub struct SlowMemory {
    orders: Mutex<BTreeMap<String, Order>>,
}

impl SlowMemory {
    pub fn with(order: Order) -> Self {
        let store = SlowMemory::default();
        store.orders.lock().expect("not poisoned").insert(order.id.clone(), order);
        store
    }

    /// The unconditional write that read-check-write needs.
    pub async fn set_cancelled(&self, id: &str) {
        RoundTrip::default().await;
        if let Some(o) = self.orders.lock().expect("not poisoned").get_mut(id) {
            o.status = Status::Cancelled;
        }
    }
}

impl AsyncOrderRepo for SlowMemory {
    async fn get(&self, id: &str) -> Result<Option<Order>, RepoError> {
        RoundTrip::default().await;
        Ok(self.orders.lock().expect("not poisoned").get(id).cloned())
    }

    async fn cancel_if_placed(&self, id: &str) -> Result<Option<Order>, RepoError> {
        RoundTrip::default().await;
        // Check and write under one lock: the store's own atomic step, like one UPDATE.
        let mut orders = self.orders.lock().expect("not poisoned");
        match orders.get_mut(id) {
            Some(o) if o.status == Status::Placed => {
                o.status = Status::Cancelled;
                Ok(Some(o.clone()))
            }
            _ => Ok(None),
        }
    }
}

impl DynOrderRepo for SlowMemory {
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Order>, RepoError>> {
        Box::pin(AsyncOrderRepo::get(self, id))
    }
    fn cancel_if_placed<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Order>, RepoError>> {
        Box::pin(AsyncOrderRepo::cancel_if_placed(self, id))
    }
}

/// The cancel this chapter replaced: read, check, then write, each a round trip.
pub async fn cancel_read_check_write(repo: &SlowMemory, id: &str) -> Result<Order, OrderError> {
    let Some(mut order) = AsyncOrderRepo::get(repo, id).await? else {
        return Err(OrderError::NotFound(id.to_string()));
    };
    if order.status == Status::Cancelled {
        return Err(OrderError::AlreadyCancelled(id.to_string()));
    }
    repo.set_cancelled(id).await;
    order.status = Status::Cancelled;
    Ok(order)
}

/// A future that is pending once (waking itself) and then ready: one trip through the
/// executor, so another task can run, as it would while a query is on the wire.
#[derive(Default)]
struct RoundTrip {
    done: bool,
}

impl Future for RoundTrip {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            Poll::Ready(())
        } else {
            self.done = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;

    fn placed() -> Order {
        Order { id: "ord_1".into(), customer: "acme".into(), cents: 100, status: Status::Placed }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().expect("a runtime").block_on(f)
    }

    #[test]
    fn read_check_write_lets_two_concurrent_cancels_both_win() {
        let store = SlowMemory::with(placed());
        let (a, b) = block_on(async {
            tokio::join!(cancel_read_check_write(&store, "ord_1"), cancel_read_check_write(&store, "ord_1"))
        });
        assert!(a.is_ok() && b.is_ok(), "both answered 200: {a:?} {b:?}");
    }

    #[test]
    fn the_conditional_update_lets_one_of_two_concurrent_cancels_win() {
        let store = SlowMemory::with(placed());
        let (a, b) = block_on(async { tokio::join!(cancel(&store, "ord_1"), cancel(&store, "ord_1")) });
        let (won, lost) = if a.is_ok() { (a, b) } else { (b, a) };
        assert!(won.is_ok(), "{won:?}");
        assert!(matches!(lost, Err(OrderError::AlreadyCancelled(_))), "{lost:?}");
    }

    #[test]
    fn the_boxed_trait_sits_behind_an_arc_dyn_on_spawned_tasks() {
        let store: Arc<dyn DynOrderRepo> = Arc::new(SlowMemory::with(placed()));
        let results = block_on(async {
            // `spawn` needs a `Send + 'static` future: the boxed trait gives one.
            let tasks: Vec<_> =
                (0..2).map(|_| tokio::spawn(cancel_dyn(Arc::clone(&store), "ord_1"))).collect();
            let mut results = Vec::new();
            for task in tasks {
                results.push(task.await.expect("the task ends"));
            }
            results
        });
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        let missing = block_on(cancel_dyn(store, "ord_9"));
        assert!(matches!(missing, Err(OrderError::NotFound(_))));
    }
}
