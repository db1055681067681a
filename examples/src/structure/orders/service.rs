//! The service layer: business rules, and the repository trait the rules need. It imports
//! nothing from the transport or from any database: dependencies point inward, to here.

use std::error::Error as StdError;
use thiserror::Error;

// ANCHOR: domain
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: String,
    pub customer: String,
    pub cents: u32,
    pub status: Status,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status {
    Placed,
    Cancelled,
}

/// What the service needs from storage, declared here, by the layer that uses it.
pub trait OrderRepo {
    /// Stores a new order and returns it with the id the store assigned.
    fn insert(&mut self, customer: &str, cents: u32) -> Result<Order, RepoError>;
    fn get(&self, id: &str) -> Result<Option<Order>, RepoError>;
    /// Cancels a placed order in one conditional write (`UPDATE … WHERE cancelled = 0`): the
    /// order if this call cancelled it, `None` if it was already cancelled or does not exist.
    fn cancel_if_placed(&mut self, id: &str) -> Result<Option<Order>, RepoError>;
}

/// The store failed (connection lost, disk full): not the caller's fault, and not a rule. The
/// driver's error is kept as the `source()`, not flattened into a string, so a log can print the
/// whole chain ("storage failed: insert: no such table: orders: Error code 1: SQL logic error",
/// where the last link is the `source()` of rusqlite's own error).
#[derive(Debug, Error)]
#[error("storage failed: {operation}")]
pub struct RepoError {
    pub operation: String,
    #[source]
    pub source: Box<dyn StdError + Send + Sync>,
}

impl RepoError {
    pub fn new(operation: impl Into<String>, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        RepoError { operation: operation.into(), source: source.into() }
    }
}

/// Domain errors: what went wrong in the business's words. No HTTP status in sight.
#[derive(Debug, Error)]
pub enum OrderError {
    #[error("customer must be 1 to 40 letters, digits or -, got \"{0}\"")]
    InvalidCustomer(String),
    #[error("an order must be at least 1 cent")]
    Empty,
    #[error("{cents} cents is over the limit of {limit}")]
    OverLimit { cents: u32, limit: u32 },
    #[error("no order {0}")]
    NotFound(String),
    #[error("order {0} is already cancelled")]
    AlreadyCancelled(String),
    #[error(transparent)]
    Storage(#[from] RepoError),
}
// ANCHOR_END: domain

// ANCHOR: service
pub struct OrderService<R: OrderRepo> {
    repo: R,
    max_order_cents: u32,
}

impl<R: OrderRepo> OrderService<R> {
    pub fn new(repo: R, max_order_cents: u32) -> Self {
        OrderService { repo, max_order_cents }
    }

    pub fn place(&mut self, customer: &str, cents: u32) -> Result<Order, OrderError> {
        let valid = (1..=40).contains(&customer.len())
            && customer.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid {
            return Err(OrderError::InvalidCustomer(customer.to_string()));
        }
        if cents == 0 {
            return Err(OrderError::Empty);
        }
        if cents > self.max_order_cents {
            return Err(OrderError::OverLimit { cents, limit: self.max_order_cents });
        }
        Ok(self.repo.insert(customer, cents)?)
    }

    pub fn get(&self, id: &str) -> Result<Order, OrderError> {
        self.repo.get(id)?.ok_or_else(|| OrderError::NotFound(id.to_string()))
    }

    pub fn cancel(&mut self, id: &str) -> Result<Order, OrderError> {
        // One conditional write, not read-check-write: of two cancels racing on two pooled
        // connections, exactly one changes the row, and the other lands below.
        if let Some(order) = self.repo.cancel_if_placed(id)? {
            return Ok(order);
        }
        // Nothing changed. Orders are never deleted, so a row that exists now was cancelled.
        match self.repo.get(id)? {
            Some(_) => Err(OrderError::AlreadyCancelled(id.to_string())),
            None => Err(OrderError::NotFound(id.to_string())),
        }
    }
}
// ANCHOR_END: service
