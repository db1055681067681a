//! A small orders service in three layers: `transport` (a request line → a handler → a status and
//! JSON), `service` (the business rules and the `OrderRepo` trait they need) and `memory` (an
//! in-memory repository); `sqlite` (native, feature `sqlite`) is the same trait on a real SQLite
//! file, held to the same contract test. `run` is the composition root: the one place that picks
//! the implementations and wires them. The TypeScript twin (`orders_ts.ts` and `ts/`) prints the
//! same output for the same input; a test compares the two verified outputs.

pub mod memory;
pub mod service;
#[cfg(all(feature = "sqlite", not(target_family = "wasm")))]
pub mod sqlite;
pub mod transport;

use crate::registry::{Example, InputError, Run, Runs};
use memory::MemoryRepo;
use service::OrderService;

pub const EXAMPLE: Example = Example {
    id: "structure::orders",
    title: "A layered orders service: transport → service → repository (Rust)",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "one request per line: POST /orders customer=NAME cents=N | GET /orders/ID | POST /orders/ID/cancel; \
                 `max_order_cents = N` first sets the limit",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

pub const DEFAULT_INPUT: &str = "max_order_cents = 100000\nPOST /orders customer=acme cents=1999\n\
     POST /orders customer=acme cents=250000\nPOST /orders customer=globex cents=12.50\nGET /orders/ord_1\n\
     POST /orders/ord_1/cancel\nPOST /orders/ord_1/cancel\nGET /orders/ord_9\nDELETE /orders/ord_1\n";

// ANCHOR: example
fn run(input: &str) -> Result<String, InputError> {
    let mut limit = 100_000;
    let mut lines = Vec::new();
    for (index, raw) in input.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=').filter(|(k, _)| k.trim() == "max_order_cents") {
            Some((_, v)) => {
                let v = v.trim();
                let digits = (1..=9).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit());
                limit = v.parse().ok().filter(|n| digits && *n > 0).ok_or_else(|| {
                    InputError::at_line(index + 1, "max_order_cents must be a whole number above 0")
                })?
            }
            None => lines.push(line),
        }
    }
    // The composition root: the only code that knows which repository is in use.
    let mut service = OrderService::new(MemoryRepo::default(), limit);
    let mut out = String::new();
    for line in lines {
        let response = transport::handle(&mut service, line);
        out.push_str(&format!("{line}\n  → {} {}\n", response.status, response.body));
    }
    Ok(out)
}
// ANCHOR_END: example

#[cfg(test)]
mod tests {
    use super::memory::MemoryRepo;
    use super::service::{Order, OrderError, OrderRepo, OrderService, RepoError, Status};
    use super::transport::handle;

    /// The contract every `OrderRepo` must keep, run against each implementation.
    pub fn repo_contract<R: OrderRepo>(mut repo: R) {
        let a = repo.insert("acme", 100).unwrap();
        let b = repo.insert("acme", 200).unwrap();
        assert_ne!(a.id, b.id, "ids are unique");
        assert_eq!(a.status, Status::Placed);
        assert_eq!(repo.get(&a.id).unwrap(), Some(a.clone()), "what was inserted comes back");
        assert_eq!(repo.get("ord_missing").unwrap(), None, "a missing id is None, not an error");
        repo.set_status(&a.id, Status::Cancelled).unwrap();
        assert_eq!(repo.get(&a.id).unwrap().unwrap().status, Status::Cancelled);
        assert_eq!(repo.get(&b.id).unwrap().unwrap().status, Status::Placed, "only that row changed");
        assert!(repo.set_status("ord_missing", Status::Cancelled).is_err());
    }

    #[test]
    fn memory_repo_keeps_the_contract() {
        repo_contract(MemoryRepo::default());
    }

    #[cfg(all(feature = "sqlite", not(target_family = "wasm")))]
    #[test]
    fn sqlite_repo_keeps_the_contract() {
        repo_contract(super::sqlite::SqliteRepo::open_in_memory().unwrap());
    }

    /// A fake behind the trait: a store that is down.
    struct DownRepo;
    impl OrderRepo for DownRepo {
        fn insert(&mut self, _: &str, _: u32) -> Result<Order, RepoError> {
            Err(RepoError("connection refused (db.internal:5432)".into()))
        }
        fn get(&self, _: &str) -> Result<Option<Order>, RepoError> {
            Err(RepoError("connection refused (db.internal:5432)".into()))
        }
        fn set_status(&mut self, _: &str, _: Status) -> Result<(), RepoError> {
            Err(RepoError("connection refused (db.internal:5432)".into()))
        }
    }

    #[test]
    fn service_rules_without_any_http() {
        let mut s = OrderService::new(MemoryRepo::default(), 1000);
        assert!(matches!(s.place("acme", 1001), Err(OrderError::OverLimit { cents: 1001, limit: 1000 })));
        assert!(matches!(s.place("acme", 0), Err(OrderError::Empty)));
        assert!(matches!(s.place("a b", 5), Err(OrderError::InvalidCustomer(_))));
        let o = s.place("acme", 1000).unwrap();
        s.cancel(&o.id).unwrap();
        assert!(matches!(s.cancel(&o.id), Err(OrderError::AlreadyCancelled(_))));
    }

    #[test]
    fn a_storage_failure_is_a_500_that_hides_the_cause() {
        let mut s = OrderService::new(DownRepo, 1000);
        let r = handle(&mut s, "POST /orders customer=acme cents=5");
        assert_eq!(r.status, 500);
        assert!(!r.body.contains("db.internal"), "{}", r.body);
        // The service keeps the cause for the log.
        let err = s.get("ord_1").unwrap_err();
        assert_eq!(err.to_string(), "storage failed: connection refused (db.internal:5432)");
    }

    #[test]
    fn each_domain_error_maps_to_its_status() {
        let mut s = OrderService::new(MemoryRepo::default(), 1000);
        let status = |s: &mut OrderService<MemoryRepo>, r: &str| handle(s, r).status;
        assert_eq!(status(&mut s, "POST /orders customer=acme cents=5"), 201);
        assert_eq!(status(&mut s, "POST /orders customer=acme cents=5000"), 422);
        assert_eq!(status(&mut s, "POST /orders customer=acme"), 400);
        assert_eq!(status(&mut s, "GET /orders/ord_7"), 404);
        assert_eq!(status(&mut s, "POST /orders/ord_1/cancel"), 200);
        assert_eq!(status(&mut s, "POST /orders/ord_1/cancel"), 409);
        assert_eq!(status(&mut s, "PUT /orders"), 404);
    }
}
