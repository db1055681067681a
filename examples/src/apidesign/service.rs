//! The chapter's service: orders and payments over HTTP and JSON, written by hand (code that
//! implements the contract in `openapi.yaml`, not code generated from it). It is a plain
//! function from a request to a response over an in-memory state, so the very same code
//! answers the reader's requests in the browser and real sockets in `server`.
//!
//! Errors are RFC 9457 problem details (`application/problem+json`). `POST` honours an
//! `Idempotency-Key` as the IETF httpapi draft describes it: the first success is stored with a
//! fingerprint of the request, a retry with the same key and request gets the stored response,
//! and the same key with a different request gets 422.

use super::json::{Json, object, string};

/// A request as the handler sees it: the transport (a socket, the browser) has already framed it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Request {
    pub method: String,
    /// The path, without query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    /// Field names as the handler writes them (`Content-Type`, `ETag`, `Location`, `Allow`).
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    /// The first value of header `name`, ignoring case (RFC 9110 §5.1).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The media type without parameters, lower-cased: `application/problem+json`.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(media_type)
    }

    fn json(status: u16, body: &Json) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.compact(),
        }
    }

    fn with(mut self, name: &str, value: String) -> Response {
        self.headers.push((name.to_string(), value));
        self
    }
}

/// `application/json; charset=utf-8` → `application/json`.
pub fn media_type(value: &str) -> String {
    value.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

// ANCHOR: routes
/// A handler: the service, the path parameter (empty when the template has none), the request.
pub type Handler = fn(&mut Service, &str, &Request) -> Response;

/// Every route the handler serves, with the function that serves it: the one table the router
/// dispatches from (so a route cannot exist without its handler), and the one the contract
/// test compares with the document's paths.
pub const ROUTES: &[(&str, &str, Handler)] = &[
    ("POST", "/orders", |s, _, r| s.create_order(r)),
    ("GET", "/orders/{orderId}", |s, id, _| s.get_order(id)),
    ("PATCH", "/orders/{orderId}", |s, id, r| s.update_order(id, r)),
    ("POST", "/payments", |s, _, r| s.create_payment(r)),
    ("GET", "/payments/{paymentId}", |s, id, _| s.get_payment(id)),
];
// ANCHOR_END: routes

/// Unit price of every item, in cents.
pub const UNIT_PRICE_CENTS: i64 = 250;

#[derive(Debug, Clone)]
struct Order {
    id: String,
    item: String,
    quantity: i64,
    paid_cents: i64,
    /// The payment that completed it; `null` in JSON while it is open.
    paid_by: Option<String>,
    /// Bumped by every change; the ETag is `"v<version>"`.
    version: u32,
}

#[derive(Debug, Clone)]
struct Payment {
    id: String,
    order_id: String,
    amount_cents: i64,
}

/// A stored outcome of a request that carried an `Idempotency-Key`.
#[derive(Debug, Clone)]
struct Stored {
    key: String,
    fingerprint: String,
    response: Response,
}

/// The service's state: what a database would hold.
#[derive(Debug, Clone, Default)]
pub struct Service {
    orders: Vec<Order>,
    payments: Vec<Payment>,
    keys: Vec<Stored>,
    /// Keys of requests that arrived and have not been handled yet (a concurrent server only).
    in_flight: Vec<String>,
}

/// What a request did besides its response, for the page to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The handler ran the operation.
    Ran,
    /// The response is a stored one, replayed for a retry with the same key.
    Replayed,
}

impl Service {
    pub fn new() -> Self {
        Service::default()
    }

    /// How many payments were recorded (the double-charge count of the retry timeline).
    pub fn payment_count(&self) -> usize {
        self.payments.len()
    }

    /// Bytes the key store holds: every key, fingerprint and stored response (status as 2
    /// bytes, header names and values, body), without the allocator's overhead.
    pub fn key_store_bytes(&self) -> usize {
        self.keys
            .iter()
            .map(|s| {
                let headers: usize = s.response.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
                s.key.len() + s.fingerprint.len() + 2 + headers + s.response.body.len()
            })
            .sum()
    }

    /// For a server that runs requests concurrently, called as a request arrives: 409 when a
    /// request with the same key is still being processed (the draft's rule), else the key is
    /// marked in flight until [`Service::handle_traced`] runs the request.
    pub fn arrive(&mut self, request: &Request) -> Option<Response> {
        let key = request.header("idempotency-key").and_then(sf_string)?;
        if self.in_flight.contains(&key) {
            let detail = format!("a request with key \"{key}\" is still being processed; retry later");
            return Some(problem(
                409,
                "https://example.com/problems/idempotency-key-in-use",
                "Idempotency-Key in use",
                &detail,
            ));
        }
        self.in_flight.push(key);
        None
    }

    /// Is a response stored under this request's key (so handling it is a lookup)?
    pub fn knows_key(&self, request: &Request) -> bool {
        let key = request.header("idempotency-key").and_then(sf_string);
        key.is_some_and(|key| self.keys.iter().any(|s| s.key == key))
    }

    pub fn handle(&mut self, request: &Request) -> Response {
        self.handle_traced(request).0
    }

    // ANCHOR: idempotency
    /// Handles one request; says whether its response was replayed from the key store.
    pub fn handle_traced(&mut self, request: &Request) -> (Response, Effect) {
        if request.method != "POST" {
            return (self.dispatch(request), Effect::Ran);
        }
        let Some(raw) = request.header("idempotency-key") else {
            return (self.dispatch(request), Effect::Ran); // no key: every POST is a new operation
        };
        // The draft defines the field as a Structured Field string (RFC 8941): "…" in quotes.
        let Some(key) = sf_string(raw) else {
            let detail = format!("Idempotency-Key must be a quoted string such as \"k-42\", not {raw}");
            return (
                problem(
                    400,
                    "https://example.com/problems/invalid-idempotency-key",
                    "Idempotency-Key is not a string",
                    &detail,
                ),
                Effect::Ran,
            );
        };
        self.in_flight.retain(|k| *k != key); // handled now, so no longer in flight
        let fingerprint = format!("{} {} {}", request.method, request.path, canonical(&request.body));
        if let Some(stored) = self.keys.iter().find(|s| s.key == key) {
            if stored.fingerprint == fingerprint {
                return (stored.response.clone(), Effect::Replayed); // a retry: same answer, no new effect
            }
            let detail = format!("key \"{key}\" was first used for a different request");
            let reused = problem(
                422,
                "https://example.com/problems/idempotency-key-reused",
                "Idempotency-Key reused",
                &detail,
            );
            return (reused, Effect::Ran);
        }
        let response = self.dispatch(request);
        // Only a success is stored: a rejected request changed nothing and may be corrected and
        // sent again under the same key.
        if (200..300).contains(&response.status) {
            self.keys.push(Stored { key, fingerprint, response: response.clone() });
        }
        (response, Effect::Ran)
    }
    // ANCHOR_END: idempotency

    fn dispatch(&mut self, request: &Request) -> Response {
        // HEAD is GET without the body (RFC 9110 §9.3.2); a server must support both (§9.1).
        let head = request.method == "HEAD";
        let mut allowed = Vec::new();
        for &(method, template, handler) in ROUTES {
            let Some(id) = match_path(template, &request.path) else { continue };
            if method != request.method && !(head && method == "GET") {
                allowed.push(method);
                if method == "GET" {
                    allowed.push("HEAD");
                }
                continue;
            }
            let mut response = handler(self, &id, request);
            if head {
                // The length the GET body would have; the transport sends no body.
                response.headers.push(("Content-Length".into(), response.body.len().to_string()));
                response.body.clear();
            }
            return response;
        }
        if allowed.is_empty() {
            let detail = format!("no resource at {}", request.path);
            return problem(404, "about:blank", "Not Found", &detail);
        }
        let detail = format!("{} is not allowed here", request.method);
        problem(405, "about:blank", "Method Not Allowed", &detail).with("Allow", allowed.join(", "))
    }

    fn create_order(&mut self, request: &Request) -> Response {
        let body = match json_body(request, "application/json") {
            Ok(body) => body,
            Err(response) => return response,
        };
        let mut errors = Vec::new();
        only_members(&body, &["item", "quantity"], &mut errors);
        let item = match body.get("item").and_then(Json::as_str) {
            Some(s) if !s.is_empty() && s.chars().count() <= 40 => s.to_string(),
            _ => {
                errors.push(("/item".into(), "must be a string of 1 to 40 characters".to_string()));
                String::new()
            }
        };
        let quantity = quantity(&body, true, &mut errors).unwrap_or(0);
        if !errors.is_empty() {
            return invalid(errors);
        }
        let id = format!("ord_{}", self.orders.len() + 1);
        self.orders.push(Order { id: id.clone(), item, quantity, paid_cents: 0, paid_by: None, version: 1 });
        let order = &self.orders[self.orders.len() - 1];
        Response::json(201, &order_json(order))
            .with("Location", format!("/orders/{id}"))
            .with("ETag", etag(order))
    }

    fn get_order(&self, id: &str) -> Response {
        match self.orders.iter().find(|o| o.id == id) {
            Some(order) => Response::json(200, &order_json(order)).with("ETag", etag(order)),
            None => not_found("order", id),
        }
    }

    // ANCHOR: update
    fn update_order(&mut self, id: &str, request: &Request) -> Response {
        let Some(index) = self.orders.iter().position(|o| o.id == id) else {
            return not_found("order", id);
        };
        // A failure found before any processing (no such order, a media type the operation does
        // not take) wins over the preconditions; then the preconditions, before the content is
        // parsed (RFC 9110 §13.2.1).
        let sent = request.header("content-type").map(media_type).unwrap_or_default();
        if sent != MERGE_PATCH {
            return unsupported(MERGE_PATCH, &sent).with("Accept-Patch", MERGE_PATCH.to_string());
        }
        let current = etag(&self.orders[index]);
        match request.header("if-match") {
            None => {
                let detail = "send If-Match with the ETag you read, so a concurrent change is not lost";
                return problem(428, "about:blank", "Precondition Required", detail);
            }
            Some(tags) if tags.trim() != "*" && !tags.split(',').any(|t| t.trim() == current) => {
                let detail = format!("the order is now at {current}; read it again");
                return problem(412, "about:blank", "Precondition Failed", &detail);
            }
            Some(_) => {}
        }
        let patch = match json_body(request, MERGE_PATCH) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let mut errors = Vec::new();
        only_members(&patch, &["quantity"], &mut errors);
        let quantity = quantity(&patch, false, &mut errors);
        if !errors.is_empty() {
            return invalid(errors);
        }
        let order = &mut self.orders[index];
        if order.paid_cents >= order.quantity * UNIT_PRICE_CENTS {
            let detail = format!("{id} is paid; its quantity can no longer change");
            return problem(409, "https://example.com/problems/order-paid", "Order already paid", &detail);
        }
        if let Some(quantity) = quantity {
            order.quantity = quantity;
            order.version += 1;
        }
        Response::json(200, &order_json(order)).with("ETag", etag(order))
    }
    // ANCHOR_END: update

    fn create_payment(&mut self, request: &Request) -> Response {
        let body = match json_body(request, "application/json") {
            Ok(body) => body,
            Err(response) => return response,
        };
        let mut errors = Vec::new();
        only_members(&body, &["order_id", "amount_cents"], &mut errors);
        let order = match body.get("order_id").and_then(Json::as_str) {
            Some(id) => match self.orders.iter().position(|o| o.id == id) {
                Some(index) => Some(index),
                None => {
                    errors.push(("/order_id".into(), format!("there is no order {id}")));
                    None
                }
            },
            None => {
                errors.push(("/order_id".into(), "is required and must be a string".to_string()));
                None
            }
        };
        let amount = match body.get("amount_cents").and_then(Json::as_i64) {
            Some(n) if n >= 1 => n,
            _ => {
                errors.push((
                    "/amount_cents".into(),
                    "must be a whole number of cents, at least 1".to_string(),
                ));
                0
            }
        };
        let Some(index) = order.filter(|_| errors.is_empty()) else {
            return invalid(errors);
        };
        let id = format!("pay_{}", self.payments.len() + 1);
        let order = &mut self.orders[index];
        order.paid_cents += amount;
        order.version += 1;
        if order.paid_by.is_none() && order.paid_cents >= order.quantity * UNIT_PRICE_CENTS {
            order.paid_by = Some(id.clone());
        }
        let payment = Payment { id: id.clone(), order_id: order.id.clone(), amount_cents: amount };
        let response =
            Response::json(201, &payment_json(&payment)).with("Location", format!("/payments/{id}"));
        self.payments.push(payment);
        response
    }

    fn get_payment(&self, id: &str) -> Response {
        match self.payments.iter().find(|p| p.id == id) {
            Some(payment) => Response::json(200, &payment_json(payment)),
            None => not_found("payment", id),
        }
    }
}

/// The value of `/orders/ord_1` for template `/orders/{orderId}` (`Some("")` for a template
/// without a parameter that matches exactly).
pub fn match_path(template: &str, path: &str) -> Option<String> {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    if t.len() != p.len() {
        return None;
    }
    let mut value = String::new();
    for (ts, ps) in t.iter().zip(&p) {
        if ts.starts_with('{') && ts.ends_with('}') {
            if ps.is_empty() {
                return None;
            }
            value = ps.to_string();
        } else if ts != ps {
            return None;
        }
    }
    Some(value)
}

/// The content of an sf-string (RFC 8941 §3.3.3): `"k-1"` → `k-1`; `None` when it is not one.
fn sf_string(raw: &str) -> Option<String> {
    let inner = raw.trim().strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('"' | '\\')) => out.push(e),
                _ => return None,
            },
            '"' => return None,
            ' '..='~' => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

/// The body as the fingerprint sees it: JSON with every object's members sorted by name, in
/// compact form (so neither whitespace nor member order makes two retries differ), anything
/// else as sent.
fn canonical(body: &str) -> String {
    fn sorted(value: Json) -> Json {
        match value {
            Json::Object(mut members) => {
                members.sort_by(|a, b| a.0.cmp(&b.0));
                Json::Object(members.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            Json::Array(items) => Json::Array(items.into_iter().map(sorted).collect()),
            other => other,
        }
    }
    super::json::parse(body).map_or_else(|_| body.to_string(), |v| sorted(v).compact())
}

/// The media type of a JSON Merge Patch (RFC 7396).
const MERGE_PATCH: &str = "application/merge-patch+json";

fn unsupported(expected: &str, sent: &str) -> Response {
    let detail =
        format!("send the body as {expected}, not {}", if sent.is_empty() { "(none)" } else { sent });
    problem(415, "about:blank", "Unsupported Media Type", &detail)
}

fn json_body(request: &Request, expected: &str) -> Result<Json, Response> {
    let sent = request.header("content-type").map(media_type).unwrap_or_default();
    if sent != expected {
        return Err(unsupported(expected, &sent));
    }
    super::json::parse(&request.body)
        .map_err(|e| problem(400, "about:blank", "Bad Request", &format!("the body is not JSON: {e}")))
}

fn only_members(body: &Json, allowed: &[&str], errors: &mut Vec<(String, String)>) {
    match body.as_object() {
        Some(members) => {
            for (name, _) in members.iter().filter(|(n, _)| !allowed.contains(&n.as_str())) {
                errors
                    .push((format!("/{}", super::schema::escape(name)), format!("unknown member `{name}`")));
            }
        }
        None => errors.push((String::new(), "the body must be a JSON object".to_string())),
    }
}

fn quantity(body: &Json, required: bool, errors: &mut Vec<(String, String)>) -> Option<i64> {
    match body.get("quantity") {
        None if !required => None,
        Some(q) if q.as_i64().is_some_and(|n| (1..=100).contains(&n)) => q.as_i64(),
        _ => {
            errors.push(("/quantity".into(), "must be a whole number from 1 to 100".to_string()));
            None
        }
    }
}

fn order_json(order: &Order) -> Json {
    let total = order.quantity * UNIT_PRICE_CENTS;
    object([
        ("id", string(&order.id)),
        ("item", string(&order.item)),
        ("quantity", Json::Number(order.quantity as f64)),
        ("total_cents", Json::Number(total as f64)),
        ("paid_cents", Json::Number(order.paid_cents as f64)),
        ("status", string(if order.paid_cents >= total { "paid" } else { "open" })),
        ("paid_by", order.paid_by.as_ref().map_or(Json::Null, string)),
    ])
}

fn payment_json(payment: &Payment) -> Json {
    object([
        ("id", string(&payment.id)),
        ("order_id", string(&payment.order_id)),
        ("amount_cents", Json::Number(payment.amount_cents as f64)),
    ])
}

fn etag(order: &Order) -> String {
    format!("\"v{}\"", order.version)
}

// ANCHOR: problem
/// An RFC 9457 problem: `type` identifies the kind of problem (`about:blank` when the status
/// says it all, and then `title` is the status phrase), `detail` explains this occurrence.
fn problem(status: u16, kind: &str, title: &str, detail: &str) -> Response {
    let body = object([
        ("type", string(kind)),
        ("title", string(title)),
        ("status", Json::Number(f64::from(status))),
        ("detail", string(detail)),
    ]);
    Response {
        status,
        headers: vec![("Content-Type".into(), "application/problem+json".into())],
        body: body.compact(),
    }
}

/// 422 with one entry per broken rule, each naming the member by JSON Pointer (the shape of
/// RFC 9457's own validation example).
fn invalid(errors: Vec<(String, String)>) -> Response {
    let mut response =
        problem(422, "https://example.com/problems/validation", "Invalid body", "the body breaks the schema");
    let list = errors
        .into_iter()
        .map(|(pointer, detail)| {
            object([("pointer", string(format!("#{pointer}"))), ("detail", string(detail))])
        })
        .collect();
    let mut body = super::json::parse(&response.body).expect("the handler's own JSON");
    if let Json::Object(members) = &mut body {
        members.push(("errors".into(), Json::Array(list)));
    }
    response.body = body.compact();
    response
}
// ANCHOR_END: problem

fn not_found(what: &str, id: &str) -> Response {
    problem(404, "about:blank", "Not Found", &format!("there is no {what} {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(path: &str, key: Option<&str>, body: &str) -> Request {
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        if let Some(key) = key {
            headers.push(("Idempotency-Key".to_string(), key.to_string()));
        }
        Request { method: "POST".into(), path: path.into(), headers, body: body.into() }
    }

    #[test]
    fn a_retry_with_the_same_key_replays_and_another_body_is_422() {
        let mut service = Service::new();
        let order = post("/orders", None, r#"{"item":"widget","quantity":2}"#);
        assert_eq!(service.handle(&order).status, 201);
        let pay = post("/payments", Some("\"k-1\""), r#"{"order_id":"ord_1","amount_cents":500}"#);
        let (first, effect) = service.handle_traced(&pay);
        assert_eq!((first.status, effect), (201, Effect::Ran));
        // Same key and same JSON (other whitespace): the stored response, no second payment.
        let retry = post("/payments", Some("\"k-1\""), r#"{ "order_id": "ord_1", "amount_cents": 500 }"#);
        let (second, effect) = service.handle_traced(&retry);
        assert_eq!((second, effect), (first, Effect::Replayed));
        assert_eq!(service.payment_count(), 1);
        let other = post("/payments", Some("\"k-1\""), r#"{"order_id":"ord_1","amount_cents":1}"#);
        assert_eq!(service.handle(&other).status, 422);
        // Without a key the same retry is a second charge.
        let bare = post("/payments", None, r#"{"order_id":"ord_1","amount_cents":500}"#);
        service.handle(&bare);
        service.handle(&bare);
        assert_eq!(service.payment_count(), 3);
        assert_eq!(service.handle(&post("/payments", Some("k-1"), "{}")).status, 400);
        // Members in another order are the same request: replayed, not a reuse.
        let reordered = post("/payments", Some("\"k-1\""), r#"{"amount_cents":500,"order_id":"ord_1"}"#);
        assert_eq!(service.handle_traced(&reordered).1, Effect::Replayed);
        // The page's key-store figure: one payment stored under a 36-character UUID key.
        let mut fresh = Service::new();
        fresh.handle(&order);
        let uuid = "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"";
        fresh.handle(&post("/payments", Some(uuid), r#"{"order_id":"ord_1","amount_cents":500}"#));
        assert_eq!(fresh.key_store_bytes(), 195);
    }

    #[test]
    fn head_is_get_without_a_body_and_415_wins_over_428() {
        let mut service = Service::new();
        service.handle(&post("/orders", None, r#"{"item":"widget","quantity":2}"#));
        let get = Request { method: "GET".into(), path: "/orders/ord_1".into(), ..Request::default() };
        let full = service.handle(&get);
        let head = service.handle(&Request { method: "HEAD".into(), ..get.clone() });
        assert_eq!((head.status, head.body.as_str()), (200, ""));
        assert_eq!(head.header("content-length"), Some(full.body.len().to_string().as_str()));
        assert_eq!(head.header("etag"), full.header("etag"));
        let delete = service.handle(&Request { method: "DELETE".into(), ..get.clone() });
        assert_eq!(delete.header("allow"), Some("GET, HEAD, PATCH"));
        // A PATCH with the wrong media type and no If-Match: 415 (with Accept-Patch), not 428.
        let patch = Request {
            method: "PATCH".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: r#"{"quantity":3}"#.into(),
            ..get
        };
        let response = service.handle(&patch);
        assert_eq!(response.status, 415);
        assert_eq!(response.header("accept-patch"), Some("application/merge-patch+json"));
    }
}
