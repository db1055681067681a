//! The in-memory repository: a real implementation of the trait (not a mock), used by the
//! example, by the tests, and by a developer running the service without a database.

use super::service::{Order, OrderRepo, RepoError, Status};
use std::collections::BTreeMap;

// ANCHOR: memory
#[derive(Default)]
pub struct MemoryRepo {
    orders: BTreeMap<String, Order>,
    next_id: u64,
}

impl OrderRepo for MemoryRepo {
    fn insert(&mut self, customer: &str, cents: u32) -> Result<Order, RepoError> {
        self.next_id += 1;
        let order = Order {
            id: format!("ord_{}", self.next_id),
            customer: customer.to_string(),
            cents,
            status: Status::Placed,
        };
        self.orders.insert(order.id.clone(), order.clone());
        Ok(order)
    }

    fn get(&self, id: &str) -> Result<Option<Order>, RepoError> {
        Ok(self.orders.get(id).cloned())
    }

    fn cancel_if_placed(&mut self, id: &str) -> Result<Option<Order>, RepoError> {
        match self.orders.get_mut(id) {
            Some(order) if order.status == Status::Placed => {
                order.status = Status::Cancelled;
                Ok(Some(order.clone()))
            }
            _ => Ok(None),
        }
    }
}
// ANCHOR_END: memory
