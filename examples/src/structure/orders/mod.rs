//! A small orders service in three layers: `transport` (a request line → a handler → a status and
//! JSON), `service` (the business rules and the `OrderRepo` trait they need) and `memory` (an
//! in-memory repository); `sqlite` (native, feature `sqlite`) is the same trait on a real SQLite
//! file, held to the same contract test. `run` is the composition root: the one place that picks
//! the implementations and wires them. The TypeScript twin (`orders_ts.ts` and `ts/`) prints the
//! same output for the same input; a test compares the two verified outputs.

pub mod async_seam;
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
     POST /orders/ord_1/cancel\nPOST /orders/ord_1/cancel\nGET /orders/ord_9\nDELETE /orders/ord_1\nGET /customers\n";

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
    for (n, line) in lines.iter().enumerate() {
        // A request line: METHOD /path key=value ... (the body's fields).
        let parts: Vec<&str> = line.split_whitespace().collect();
        let (method, path) = (parts[0], parts.get(1).copied().unwrap_or(""));
        let fields = parts.get(2..).unwrap_or_default();
        let r = transport::handle(&mut service, method, path, fields, &format!("r{}", n + 1));
        let allow = r.allow.map(|a| format!("(Allow: {a}) ")).unwrap_or_default();
        // A server sends a HEAD's status and headers, never its body.
        let body = if method == "HEAD" { "(no body: HEAD)" } else { &r.body };
        out.push_str(&format!("{line}\n  → {} {allow}{body}\n", r.status));
    }
    Ok(out)
}
// ANCHOR_END: example

#[cfg(test)]
mod tests {
    use super::memory::MemoryRepo;
    use super::service::{Order, OrderError, OrderRepo, OrderService, RepoError, Status};
    use super::transport::{Response, error_chain, handle};

    /// The contract every `OrderRepo` must keep, run against each implementation.
    pub fn repo_contract<R: OrderRepo>(mut repo: R) {
        let a = repo.insert("acme", 100).unwrap();
        let b = repo.insert("acme", 200).unwrap();
        assert_ne!(a.id, b.id, "ids are unique");
        assert_eq!(a.status, Status::Placed);
        assert_eq!(repo.get(&a.id).unwrap(), Some(a.clone()), "what was inserted comes back");
        assert_eq!(repo.get("ord_missing").unwrap(), None, "a missing id is None, not an error");
        for look_alike in ["ord_01", "ord_+1", "ord_1 ", "ORD_1"] {
            assert_eq!(repo.get(look_alike).unwrap(), None, "{look_alike:?} is not ord_1");
            assert_eq!(repo.cancel_if_placed(look_alike).unwrap(), None, "{look_alike:?} cancels nothing");
        }
        let cancelled = repo.cancel_if_placed(&a.id).unwrap().expect("a placed order is cancelled");
        assert_eq!((cancelled.id.as_str(), cancelled.status), (a.id.as_str(), Status::Cancelled));
        assert_eq!(repo.get(&a.id).unwrap().unwrap().status, Status::Cancelled);
        assert_eq!(repo.get(&b.id).unwrap().unwrap().status, Status::Placed, "only that row changed");
        assert_eq!(repo.cancel_if_placed(&a.id).unwrap(), None, "the second cancel changes nothing");
        assert_eq!(repo.cancel_if_placed("ord_missing").unwrap(), None, "a missing id cancels nothing");
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

    /// Two requests on two pooled connections both read the order as placed, then both cancel:
    /// read-check-write would answer 200 twice; the conditional update has one winner.
    #[cfg(all(feature = "sqlite", not(target_family = "wasm")))]
    #[test]
    fn two_connections_cancelling_at_once_have_one_winner() {
        use super::sqlite::SqliteRepo;
        let path = std::env::temp_dir().join(format!("bf-structure-race-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let path_text = path.to_str().unwrap();
        let (mut a, mut b) = (SqliteRepo::open(path_text).unwrap(), SqliteRepo::open(path_text).unwrap());
        let order = a.insert("acme", 100).unwrap();
        // Both "requests" check first: each sees a placed order, as both would on a real pool.
        assert_eq!(a.get(&order.id).unwrap().unwrap().status, Status::Placed);
        assert_eq!(b.get(&order.id).unwrap().unwrap().status, Status::Placed);
        let won = [a.cancel_if_placed(&order.id).unwrap(), b.cancel_if_placed(&order.id).unwrap()];
        assert_eq!(won.iter().filter(|w| w.is_some()).count(), 1, "{won:?}");
        // And through the service, each on its own connection: 200 then 409.
        let second = a.insert("acme", 100).unwrap();
        let mut s1 = OrderService::new(a, 1000);
        let mut s2 = OrderService::new(b, 1000);
        assert!(s1.cancel(&second.id).is_ok());
        assert!(matches!(s2.cancel(&second.id), Err(OrderError::AlreadyCancelled(_))));
        drop((s1, s2));
        let _ = std::fs::remove_file(&path);
    }

    /// A fake behind the trait: a store that is down.
    struct DownRepo;
    fn refused() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused (db.internal:5432)")
    }
    impl OrderRepo for DownRepo {
        fn insert(&mut self, _: &str, _: u32) -> Result<Order, RepoError> {
            Err(RepoError::new("insert", refused()))
        }
        fn get(&self, id: &str) -> Result<Option<Order>, RepoError> {
            Err(RepoError::new(format!("get {id}"), refused()))
        }
        fn cancel_if_placed(&mut self, id: &str) -> Result<Option<Order>, RepoError> {
            Err(RepoError::new(format!("cancel {id}"), refused()))
        }
    }

    fn request<R: OrderRepo>(s: &mut OrderService<R>, line: &str) -> Response {
        let parts: Vec<&str> = line.split_whitespace().collect();
        handle(s, parts[0], parts[1], &parts[2..], "r1")
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
        assert!(matches!(s.cancel("ord_404"), Err(OrderError::NotFound(_))));
    }

    #[test]
    fn a_storage_failure_is_a_500_that_hides_the_cause_and_logs_it() {
        let mut s = OrderService::new(DownRepo, 1000);
        let r = request(&mut s, "POST /orders customer=acme cents=5");
        assert_eq!((r.status, r.content_type()), (500, "application/problem+json"));
        assert!(!r.body.contains("db.internal") && !r.body.contains("refused"), "{}", r.body);
        assert!(r.body.contains("\"instance\":\"/requests/r1\""), "{}", r.body);
        // The log keeps the whole chain: the repository's words, then the driver's.
        assert_eq!(
            r.log.as_deref(),
            Some("request r1: storage failed: insert: connection refused (db.internal:5432)")
        );
        let err = s.get("ord_1").unwrap_err();
        assert_eq!(err.to_string(), "storage failed: get ord_1", "Display is this layer's words only");
        assert_eq!(error_chain(&err), "storage failed: get ord_1: connection refused (db.internal:5432)");
    }

    #[test]
    fn each_outcome_maps_to_its_status() {
        let mut s = OrderService::new(MemoryRepo::default(), 1000);
        let mut status = |r: &str| {
            let r = request(&mut s, r);
            (r.status, r.allow, r.log.is_some())
        };
        assert_eq!(status("POST /orders customer=acme cents=5"), (201, None, false));
        assert_eq!(status("POST /orders customer=acme cents=5000"), (422, None, false));
        assert_eq!(status("POST /orders customer=acme"), (400, None, false));
        assert_eq!(status("GET /orders/ord_7"), (404, None, false));
        assert_eq!(status("GET /orders/ord_01"), (404, None, false));
        assert_eq!(status("POST /orders/ord_1/cancel"), (200, None, false));
        assert_eq!(status("POST /orders/ord_1/cancel"), (409, None, false));
        assert_eq!(status("HEAD /orders/ord_1"), (200, None, false));
        assert_eq!(status("DELETE /orders/ord_1"), (405, Some("GET, HEAD"), false));
        assert_eq!(status("GET /orders"), (405, Some("POST"), false));
        assert_eq!(status("HEAD /orders"), (405, Some("POST"), false));
        assert_eq!(status("GET /orders/ord_1/cancel"), (405, Some("POST"), false));
        assert_eq!(status("PUT /customers"), (404, None, false));
    }
}
