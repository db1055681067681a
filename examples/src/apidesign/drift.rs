//! The drift tool: change a copy of the document, or swap in a drifted implementation, and see
//! what the contract test says. The unit tests of `contract` use the same edits.

use super::contract::{self, Report};
use super::json::{Json, string};
use super::service::Service;
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "apidesign::drift",
    title: "Contract drift: edit the document or the implementation, run the contract test",
    file: file!(),
    default_input: "# Edits to a copy of openapi.yaml, one per line (any number):\n\
                     drop-property = Order.paid_cents\n\
                     add-status = GET /orders/{orderId} 410\n\
                     # and which implementation answers: as-written | renames-total | forgets-etag | extra-route | caps-quantity\n\
                     implementation = as-written\n",
    input_help: "`drop-property = Schema.member`, `rename-property = Schema.member new`, `retype-property = Schema.member type`, \
                 `add-status = METHOD /path CODE`, `remove-status = METHOD /path CODE`, `remove-operation = METHOD /path`, \
                 `require-header = METHOD /path CODE Name`, `set-limit = Schema.member keyword N` (minimum, maximum, minLength, maxLength); \
                 `implementation = as-written | renames-total | forgets-etag | extra-route | caps-quantity`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const EDITS: &[&str] = &[
    "drop-property",
    "rename-property",
    "retype-property",
    "add-status",
    "remove-status",
    "remove-operation",
    "require-header",
    "set-limit",
];

fn run(input: &str) -> Result<String, InputError> {
    let mut known = EDITS.to_vec();
    known.push("implementation");
    let params = Params::parse(input, &known)?;
    let implementation = params.choice_or(
        "implementation",
        &["as-written", "renames-total", "forgets-etag", "extra-route", "caps-quantity"],
        "as-written",
    )?;
    let mut doc = super::document();
    let mut out = String::new();
    let mut edits = 0;
    for edit in EDITS {
        for entry in params.all(edit) {
            apply(&mut doc, edit, entry.value, entry.line)?;
            out.push_str(&format!("edit: {edit} {}\n", entry.value));
            edits += 1;
        }
    }
    if edits == 0 {
        out.push_str("edit: none (the document as checked in)\n");
    }
    out.push_str(&format!("implementation: {implementation}\n\n"));
    let report = check_with(&doc, implementation);
    out.push_str(&render(&report));
    Ok(out)
}

// ANCHOR: example
/// Runs the contract test against one of the implementations the tool offers: the service as
/// written, or the service with a typical drift wrapped around it.
pub fn check_with(doc: &Json, implementation: &str) -> Report {
    let mut service = Service::new();
    let mut routes = contract::service_routes();
    if implementation == "extra-route" {
        // Someone added an endpoint to the router and not to the document.
        routes.push(("DELETE".into(), "/orders/{orderId}".into()));
    }
    contract::check(doc, &routes, &mut |request| {
        // A hand-written rule that drifted: the handler refuses quantities above 50.
        let over_50 = super::json::parse(&request.body)
            .ok()
            .and_then(|b| b.get("quantity").and_then(Json::as_i64))
            .is_some_and(|q| q > 50);
        if implementation == "caps-quantity" && over_50 {
            return too_many();
        }
        let mut response = service.handle(request);
        match implementation {
            // A refactoring renamed a field in the serializer.
            "renames-total" => response.body = response.body.replace("\"total_cents\":", "\"total\":"),
            // A rewrite of the handler stopped sending ETag.
            "forgets-etag" => response.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("etag")),
            _ => {}
        }
        response
    })
}
// ANCHOR_END: example

/// The 422 a handler that caps quantity at 50 answers.
pub fn too_many() -> super::service::Response {
    super::service::Response {
        status: 422,
        headers: vec![("Content-Type".into(), "application/problem+json".into())],
        body: r#"{"type":"https://example.com/problems/validation","title":"Invalid body","status":422,"detail":"quantity must be at most 50"}"#.into(),
    }
}

/// The report as the page prints it: counts, then each finding.
pub fn render(report: &Report) -> String {
    let mut out = format!(
        "contract test: {} requests, {} of {} documented responses produced\n",
        report.exchanges, report.produced, report.documented
    );
    if report.findings.is_empty() {
        out.push_str("no drift: the implementation and the document agree\n");
    } else {
        out.push_str(&format!("{} finding(s):\n", report.findings.len()));
        for finding in &report.findings {
            out.push_str(&format!("  - {finding}\n"));
        }
    }
    out
}

/// Applies one edit to `doc`; an error names `line` of the input.
pub fn apply(doc: &mut Json, edit: &str, value: &str, line: usize) -> Result<(), InputError> {
    let words: Vec<&str> = value.split_whitespace().collect();
    let fail = |message: String| InputError::at_line(line, message);
    match edit {
        "drop-property" | "rename-property" | "retype-property" => {
            let (schema_name, member) = words
                .first()
                .and_then(|w| w.split_once('.'))
                .ok_or_else(|| fail("expected `Schema.member`, such as `Order.paid_cents`".into()))?;
            let schema = doc.pointer_mut(&format!("/components/schemas/{schema_name}")).ok_or_else(|| {
                fail(format!(
                    "no schema `{schema_name}` (Order, NewOrder, OrderPatch, Payment, NewPayment, Problem)"
                ))
            })?;
            let Some(Json::Object(properties)) = schema.get_mut("properties") else {
                return Err(fail(format!("schema `{schema_name}` has no properties")));
            };
            let index = properties
                .iter()
                .position(|(n, _)| n == member)
                .ok_or_else(|| fail(format!("`{schema_name}` has no member `{member}`")))?;
            match edit {
                "drop-property" => {
                    properties.remove(index);
                }
                "rename-property" => {
                    let new = words
                        .get(1)
                        .ok_or_else(|| fail("expected the new name after `Schema.member`".into()))?;
                    properties[index].0 = new.to_string();
                }
                _ => {
                    let new =
                        words.get(1).ok_or_else(|| fail("expected a type after `Schema.member`".into()))?;
                    if !["string", "integer", "number", "boolean", "object", "array", "null"].contains(new) {
                        return Err(fail(format!("`{new}` is not a JSON Schema type")));
                    }
                    properties[index].1 = super::json::object([("type", string(*new))]);
                }
            }
            if let Some(Json::Array(required)) = schema.get_mut("required") {
                match (edit, words.get(1)) {
                    ("drop-property", _) => required.retain(|r| r.as_str() != Some(member)),
                    ("rename-property", Some(new)) => {
                        for r in required.iter_mut().filter(|r| r.as_str() == Some(member)) {
                            *r = string(*new);
                        }
                    }
                    _ => {}
                }
            }
        }
        "add-status" | "remove-status" | "require-header" => {
            let [method, path, code, rest @ ..] = words.as_slice() else {
                return Err(fail("expected `METHOD /path CODE`, such as `GET /orders/{orderId} 410`".into()));
            };
            if !(code.len() == 3 && code.parse::<u16>().is_ok_and(|c| (100..600).contains(&c))) {
                return Err(fail(format!("`{code}` is not an HTTP status code")));
            }
            let responses = operation(doc, method, path)
                .map_err(fail)?
                .get_mut("responses")
                .ok_or_else(|| fail("the operation has no responses".into()))?;
            let Json::Object(codes) = responses else {
                return Err(fail("responses is not an object".into()));
            };
            let index = codes.iter().position(|(c, _)| c == code);
            match (edit, index) {
                ("add-status", None) => codes.push((
                    code.to_string(),
                    super::json::object([("$ref", string("#/components/responses/NotFound"))]),
                )),
                ("add-status", Some(_)) => {
                    return Err(fail(format!("{method} {path} already documents {code}")));
                }
                ("remove-status", Some(i)) => {
                    codes.remove(i);
                }
                ("require-header", Some(i)) => {
                    let name =
                        rest.first().ok_or_else(|| fail("expected a header name after the code".into()))?;
                    // Inline a copy of a shared response first, so the edit touches this one only.
                    let shared = super::contract::resolve(&super::document(), &codes[i].1).cloned();
                    let mut response = shared.ok_or_else(|| fail("cannot resolve the response".into()))?;
                    if let Json::Object(members) = &mut response
                        && !members.iter().any(|(n, _)| n == "headers")
                    {
                        members.push(("headers".into(), Json::Object(Vec::new())));
                    }
                    if let Some(Json::Object(headers)) = response.get_mut("headers") {
                        headers.push((
                            name.to_string(),
                            super::json::object([
                                ("required", Json::Bool(true)),
                                ("schema", super::json::object([("type", string("string"))])),
                            ]),
                        ));
                    }
                    codes[i].1 = response;
                }
                (_, None) => return Err(fail(format!("{method} {path} does not document {code}"))),
                _ => unreachable!("three edits"),
            }
        }
        "set-limit" => {
            let [target, keyword, n] = words.as_slice() else {
                return Err(fail(
                    "expected `Schema.member keyword N`, such as `NewOrder.item maxLength 30`".into(),
                ));
            };
            if !["minimum", "maximum", "minLength", "maxLength"].contains(keyword) {
                return Err(fail(format!("`{keyword}` is not minimum, maximum, minLength or maxLength")));
            }
            let n: i64 = n.parse().map_err(|_| fail(format!("`{n}` is not a whole number")))?;
            let (schema_name, member) = target
                .split_once('.')
                .ok_or_else(|| fail("expected `Schema.member`, such as `NewOrder.item`".into()))?;
            let property = doc
                .pointer_mut(&format!("/components/schemas/{schema_name}/properties/{member}"))
                .ok_or_else(|| fail(format!("no member `{member}` in schema `{schema_name}`")))?;
            let Json::Object(members) = property else {
                return Err(fail(format!("`{target}` is not a schema object")));
            };
            match members.iter_mut().find(|(k, _)| k == keyword) {
                Some(slot) => slot.1 = Json::Number(n as f64),
                None => members.push((keyword.to_string(), Json::Number(n as f64))),
            }
        }
        "remove-operation" => {
            let [method, path] = words.as_slice() else {
                return Err(fail("expected `METHOD /path`, such as `GET /payments/{paymentId}`".into()));
            };
            operation(doc, method, path).map_err(fail)?;
            let Some(Json::Object(item)) =
                doc.pointer_mut(&format!("/paths/{}", super::schema::escape(path)))
            else {
                unreachable!("operation() found it");
            };
            item.retain(|(m, _)| !m.eq_ignore_ascii_case(method));
        }
        _ => return Err(fail(format!("unknown edit `{edit}`"))),
    }
    Ok(())
}

fn operation<'a>(doc: &'a mut Json, method: &str, path: &str) -> Result<&'a mut Json, String> {
    let pointer = format!("/paths/{}/{}", super::schema::escape(path), method.to_ascii_lowercase());
    let paths: Vec<String> = super::contract::operations(doc).iter().map(|op| op.name()).collect();
    doc.pointer_mut(&pointer)
        .ok_or_else(|| format!("the document has no operation {method} {path} (it has {})", paths.join(", ")))
}
