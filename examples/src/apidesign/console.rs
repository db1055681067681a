//! The page's API console: the reader's request script against the service, each response
//! checked against the document as it comes back, as a contract test does.

use super::contract;
use super::json::Json;
use super::script;
use super::service::{Effect, Service};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "apidesign::console",
    title: "Send requests to the service: problem details, Idempotency-Key and If-Match",
    file: file!(),
    default_input: "### place an order\n\
                    POST /orders\n\
                    Content-Type: application/json\n\n\
                    {\"item\": \"widget\", \"quantity\": 4}\n\n\
                    ### pay it, with a key\n\
                    POST /payments\n\
                    Content-Type: application/json\n\
                    Idempotency-Key: \"pay-7f3a\"\n\n\
                    {\"order_id\": \"{{orderId}}\", \"amount_cents\": 1000}\n\n\
                    ### the client timed out and retries: same key, same body\n\
                    POST /payments\n\
                    Content-Type: application/json\n\
                    Idempotency-Key: \"pay-7f3a\"\n\n\
                    {\"order_id\": \"{{orderId}}\", \"amount_cents\": 1000}\n\n\
                    ### a bug reuses the key for another amount\n\
                    POST /payments\n\
                    Content-Type: application/json\n\
                    Idempotency-Key: \"pay-7f3a\"\n\n\
                    {\"order_id\": \"{{orderId}}\", \"amount_cents\": 1}\n\n\
                    ### change the order with a stale ETag\n\
                    PATCH /orders/{{orderId}}\n\
                    If-Match: \"v1\"\n\
                    Content-Type: application/merge-patch+json\n\n\
                    {\"quantity\": 5}\n\n\
                    ### a body that is not JSON\n\
                    POST /orders\n\
                    Content-Type: application/json\n\n\
                    {\"item\": \"widget\", \"quantity\": }\n",
    input_help: "requests separated by `### name` lines: `METHOD /path`, header lines, an empty line, the body; \
                 `{{orderId}}`, `{{paymentId}}`, `{{etag}}` are the last ones the service answered",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: example
fn run(input: &str) -> Result<String, InputError> {
    let steps = script::parse(input)?;
    let doc = super::document();
    let ops = contract::operations(&doc);
    let mut service = Service::new();
    let mut effects = Vec::new();
    let exchanges = script::run(&steps, &mut |request| {
        let (response, effect) = service.handle_traced(request);
        effects.push(effect);
        response
    })?;
    let mut out = String::new();
    for ((step, (request, response)), effect) in steps.iter().zip(&exchanges).zip(effects) {
        let name = if step.name.is_empty() { String::new() } else { format!(" {}", step.name) };
        out.push_str(&format!("###{name}\n{} {}\n", request.method, request.path));
        for (header, value) in &request.headers {
            if header.eq_ignore_ascii_case("idempotency-key") || header.eq_ignore_ascii_case("if-match") {
                out.push_str(&format!("{header}: {value}\n"));
            }
        }
        out.push_str(&format!("→ {} {}\n", response.status, reason(response.status)));
        for (header, value) in &response.headers {
            out.push_str(&format!("  {header}: {value}\n"));
        }
        match super::json::parse(&response.body) {
            Ok(body) => out.push_str(&indent(&body)),
            Err(_) => out.push_str(&format!("  {}\n", response.body)),
        }
        if effect == Effect::Replayed {
            out.push_str("  (the stored response of the first request with this key: nothing ran again)\n");
        }
        // The contract test, one response at a time.
        let verdict = match ops.iter().find(|op| {
            op.method == request.method && super::service::match_path(&op.path, &request.path).is_some()
        }) {
            None => "not an operation of the document".to_string(),
            Some(op) => {
                let codes = contract::responses(&doc, op);
                match codes.iter().find(|(c, _)| *c == response.status.to_string()) {
                    None => format!("{} is not documented for {}", response.status, op.name()),
                    Some((code, documented)) => {
                        let mut findings = Vec::new();
                        contract::conforms(
                            &doc,
                            documented,
                            response,
                            &format!("{} {code}", op.name()),
                            &mut findings,
                        );
                        if findings.is_empty() {
                            format!("matches {} {code}", op.name())
                        } else {
                            findings.join("; ")
                        }
                    }
                }
            }
        };
        out.push_str(&format!("  contract: {verdict}\n\n"));
    }
    out.push_str(&format!("payments recorded: {}\n", service.payment_count()));
    Ok(out)
}
// ANCHOR_END: example

fn indent(body: &Json) -> String {
    body.pretty().lines().map(|l| format!("  {l}\n")).collect()
}

/// The reason phrase of the statuses the service uses (RFC 9110 §15, RFC 6585 for 428), and
/// those of the structure chapter's server.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        428 => "Precondition Required",
        // What the transport's framing errors answer with.
        413 => "Content Too Large",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}
