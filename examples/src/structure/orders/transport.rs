//! The transport layer: parses a request line, calls the service, and maps its result to an HTTP
//! status and body: domain errors to RFC 9457 problem details, storage failures to a 500 that
//! says nothing about the inside. It knows HTTP; the service does not.

use super::service::{Order, OrderError, OrderRepo, OrderService, Status};

/// A response as the client sees it: a status and a JSON body.
#[derive(Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

// ANCHOR: transport
pub fn handle<R: OrderRepo>(service: &mut OrderService<R>, request: &str) -> Response {
    let parts: Vec<&str> = request.split_whitespace().collect();
    let path: Vec<&str> = parts.get(1).map(|p| p.split('/').skip(1).collect()).unwrap_or_default();
    let result = match (parts.first().copied(), path.as_slice()) {
        (Some("POST"), ["orders"]) => match parse_body(&parts[2..]) {
            Ok((customer, cents)) => service.place(&customer, cents).map(|o| (201, o)),
            Err(detail) => return problem(400, "bad-request", "Malformed request", &detail),
        },
        (Some("GET"), ["orders", id]) => service.get(id).map(|o| (200, o)),
        (Some("POST"), ["orders", id, "cancel"]) => service.cancel(id).map(|o| (200, o)),
        _ => return problem(404, "no-route", "No such route", &format!("no route for \"{request}\"")),
    };
    match result {
        Ok((status, order)) => Response { status, body: order_json(&order) },
        Err(error) => error_response(&error),
    }
}

/// The one place where domain errors become HTTP.
fn error_response(error: &OrderError) -> Response {
    let (status, kind, title) = match error {
        OrderError::InvalidCustomer(_) | OrderError::Empty => (422, "invalid-order", "Invalid order"),
        OrderError::OverLimit { .. } => (422, "over-limit", "Order over the limit"),
        OrderError::NotFound(_) => (404, "not-found", "No such order"),
        OrderError::AlreadyCancelled(_) => (409, "already-cancelled", "Order already cancelled"),
        // Logged with its cause on the server; the client learns only that it was not its fault.
        OrderError::Storage(_) => return problem(500, "internal", "Internal error", "try again later"),
    };
    problem(status, kind, title, &error.to_string())
}
// ANCHOR_END: transport

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
    Response { status, body }
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

/// A JSON string literal: quotes, backslashes and control characters escaped.
pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
