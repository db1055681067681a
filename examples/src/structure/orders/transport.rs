//! The transport layer: routes a request (method, path, body fields), calls the service, and
//! maps its result to an HTTP status and body: domain errors to RFC 9457 problem details, storage
//! failures to a 500 that says nothing about the inside. It knows HTTP; the service does not.

use super::service::{Order, OrderError, OrderRepo, OrderService, Status};

/// A response: what the client sees (a status, an `Allow` header on a 405, a JSON body) and what
/// only the server's log sees (the cause of a 500).
#[derive(Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: String,
    pub allow: Option<&'static str>,
    /// For the log, never sent: the whole error chain of a 500, under the request id.
    pub log: Option<String>,
}

impl Response {
    /// Errors are RFC 9457 problem documents, which have a media type of their own.
    pub fn content_type(&self) -> &'static str {
        if self.status >= 400 { "application/problem+json" } else { "application/json" }
    }
}

enum Route<'a> {
    Place,
    Get(&'a str),
    Cancel(&'a str),
}

// ANCHOR: transport
/// One request: its method, its path, its body's `key=value` fields, and the id the server gave it.
pub fn handle<R: OrderRepo>(
    service: &mut OrderService<R>,
    method: &str,
    path: &str,
    fields: &[&str],
    request_id: &str,
) -> Response {
    let segments: Vec<&str> = path.strip_prefix('/').map(|p| p.split('/').collect()).unwrap_or_default();
    // Route first, then method: a known path with the wrong method is 405 with `Allow`, not 404.
    // HEAD is answered wherever GET is (RFC 9110 §9.1): the same response, which the server
    // sends without its body.
    let (route, allow) = match segments.as_slice() {
        ["orders"] => (Route::Place, "POST"),
        ["orders", id] => (Route::Get(id), "GET, HEAD"),
        ["orders", id, "cancel"] => (Route::Cancel(id), "POST"),
        _ => return problem(404, "no-route", "No such route", &format!("no route for \"{path}\"")),
    };
    if !allow.split(", ").any(|m| m == method) {
        let detail = format!("{method} is not allowed on {path}; allowed: {allow}");
        return Response {
            allow: Some(allow),
            ..problem(405, "method-not-allowed", "Method not allowed", &detail)
        };
    }
    let result = match route {
        Route::Place => match parse_body(fields) {
            Ok((customer, cents)) => service.place(&customer, cents).map(|o| (201, o)),
            Err(detail) => return problem(400, "bad-request", "Malformed request", &detail),
        },
        Route::Get(id) => service.get(id).map(|o| (200, o)),
        Route::Cancel(id) => service.cancel(id).map(|o| (200, o)),
    };
    match result {
        Ok((status, order)) => Response { status, body: order_json(&order), allow: None, log: None },
        Err(error) => error_response(&error, request_id),
    }
}

/// The one place where domain errors become HTTP.
pub fn error_response(error: &OrderError, request_id: &str) -> Response {
    let (status, kind, title) = match error {
        OrderError::InvalidCustomer(_) | OrderError::Empty => (422, "invalid-order", "Invalid order"),
        OrderError::OverLimit { .. } => (422, "over-limit", "Order over the limit"),
        OrderError::NotFound(_) => (404, "not-found", "No such order"),
        OrderError::AlreadyCancelled(_) => (409, "already-cancelled", "Order already cancelled"),
        // The client learns that it was not its fault and which request it was; the log gets
        // the cause, under the same id, so a support ticket finds its log line.
        OrderError::Storage(_) => {
            let body = format!(
                "{{\"type\":\"/problems/internal\",\"title\":\"Internal error\",\"status\":500,\
                 \"detail\":\"try again later\",\"instance\":\"/requests/{request_id}\"}}"
            );
            let log = Some(format!("request {request_id}: {}", error_chain(error)));
            return Response { status: 500, body, allow: None, log };
        }
    };
    problem(status, kind, title, &error.to_string())
}
// ANCHOR_END: transport

/// An error and its `source()`s, joined by ": ", as a log line prints them.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(&format!(": {cause}"));
        next = cause.source();
    }
    text
}

/// `customer=acme cents=1999` into its two fields.
fn parse_body(fields: &[&str]) -> Result<(String, u32), String> {
    let (mut customer, mut cents) = (None, None);
    for field in fields {
        match field.split_once('=') {
            Some(("customer", v)) => customer = Some(v.to_string()),
            Some(("cents", v)) => {
                let n = v.parse::<u32>().ok().filter(|_| v.bytes().all(|b| b.is_ascii_digit()));
                cents = Some(n.ok_or_else(|| format!("cents must be a whole number, got \"{v}\""))?);
            }
            _ => return Err(format!("unexpected field \"{field}\"")),
        }
    }
    match (customer, cents) {
        (Some(c), Some(n)) => Ok((c, n)),
        (None, _) => Err("customer is missing".to_string()),
        (_, None) => Err("cents is missing".to_string()),
    }
}

fn problem(status: u16, kind: &str, title: &str, detail: &str) -> Response {
    let body = format!(
        "{{\"type\":\"/problems/{kind}\",\"title\":\"{title}\",\"status\":{status},\"detail\":{}}}",
        json_string(detail)
    );
    Response { status, body, allow: None, log: None }
}

fn order_json(o: &Order) -> String {
    let status = match o.status {
        Status::Placed => "placed",
        Status::Cancelled => "cancelled",
    };
    format!(
        "{{\"id\":{},\"customer\":{},\"cents\":{},\"status\":\"{status}\"}}",
        json_string(&o.id),
        json_string(&o.customer),
        o.cents
    )
}

/// A JSON string literal (the REST chapter's catalogue writes its strings the same way).
pub use crate::apis::catalogue::json_string;
