//! The contract test: does the implementation do what the document says, and does the document
//! say everything the implementation does? One function, [`check`], run by the unit tests
//! (in-process and over real sockets), by the page's drift tool and by the live example.
//!
//! 1. Routes: every `(method, path)` the handler's router serves is an operation of the
//!    document, and every operation is served.
//! 2. Probes ([`PROBES`], a request script): each response's status must be documented for its
//!    operation, its media type documented for that status, its body valid against the
//!    documented schema, its required headers present.
//! 3. Request rules ([`boundaries`]): from each request body's schema, bodies at and just past
//!    every limit (`minimum`, `maximum`, `minLength`, `maxLength`), without each required member,
//!    with one extra member. The document's own validator says which of them are valid; the
//!    handler must accept exactly those (2xx) and reject the others with 422, so a limit the
//!    handler re-implements by hand cannot drift from the document unnoticed.
//! 4. Coverage: every status the document lists must have been produced by some probe, so a
//!    documented error the code can no longer produce is found too.

use super::json::Json;
use super::schema;
use super::script;
use super::service::{Request, Response, match_path};

/// The probes: one request script that produces every documented response.
pub const PROBES: &str = include_str!("probes.http");

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// One operation of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub method: String,
    pub path: String,
    /// JSON Pointer of the Operation Object in the document.
    pub pointer: String,
}

impl Operation {
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The operations of `doc`, in document order.
pub fn operations(doc: &Json) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc.get("paths").and_then(Json::as_object).unwrap_or(&[]) {
        for (method, _) in item.as_object().unwrap_or(&[]) {
            if METHODS.contains(&method.as_str()) {
                let pointer = format!("/paths/{}/{method}", schema::escape(path));
                out.push(Operation { method: method.to_ascii_uppercase(), path: path.clone(), pointer });
            }
        }
    }
    out
}

/// `value`, or what its `$ref` points to (references to references followed, at most 8).
pub fn resolve<'a>(doc: &'a Json, mut value: &'a Json) -> Option<&'a Json> {
    for _ in 0..8 {
        match value.get("$ref").and_then(Json::as_str) {
            Some(reference) => value = doc.pointer(reference.strip_prefix('#')?)?,
            None => return Some(value),
        }
    }
    None
}

/// The documented responses of an operation: `(status, Response Object)`, references resolved.
pub fn responses<'a>(doc: &'a Json, op: &Operation) -> Vec<(String, &'a Json)> {
    let Some(responses) = doc.pointer(&format!("{}/responses", op.pointer)).and_then(Json::as_object) else {
        return Vec::new();
    };
    responses.iter().filter_map(|(status, r)| Some((status.clone(), resolve(doc, r)?))).collect()
}

/// Is `status` listed by `codes` (exactly, as a range such as `4XX`, or as `default`)?
fn documented<'a>(codes: &'a [(String, &'a Json)], status: u16) -> Option<&'a (String, &'a Json)> {
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    codes
        .iter()
        .find(|(c, _)| *c == exact)
        .or_else(|| codes.iter().find(|(c, _)| c.eq_ignore_ascii_case(&range)))
        .or_else(|| codes.iter().find(|(c, _)| c == "default"))
}

/// What [`check`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Each disagreement, naming the operation and the status, header or field.
    pub findings: Vec<String>,
    /// Requests sent.
    pub exchanges: usize,
    /// Documented `(operation, status)` pairs, and how many some probe produced.
    pub documented: usize,
    pub produced: usize,
}

// ANCHOR: check
/// Checks the implementation behind `exchange` (whose router serves `routes`) against `doc`.
pub fn check(
    doc: &Json,
    routes: &[(String, String)],
    exchange: &mut dyn FnMut(&Request) -> Response,
) -> Report {
    let mut report = Report::default();
    let ops = operations(doc);
    // 1. Routes, compared with parameter names ignored: `{id}` and `{orderId}` are one route.
    let shape = |path: &str| {
        path.split('/').map(|s| if s.starts_with('{') { "{}" } else { s }).collect::<Vec<_>>().join("/")
    };
    for (method, path) in routes {
        if !ops.iter().any(|op| op.method == *method && shape(&op.path) == shape(path)) {
            report.findings.push(format!(
                "route {method} {path}: the handler serves it, the document has no such operation"
            ));
        }
    }
    for op in &ops {
        if !routes.iter().any(|(m, p)| *m == op.method && shape(p) == shape(&op.path)) {
            report
                .findings
                .push(format!("route {}: documented, but the handler does not serve it", op.name()));
        }
    }
    // 2. Every probe's response against the documented one.
    let steps = script::parse(PROBES).expect("the probes are a valid script");
    let exchanges = match script::run(&steps, exchange) {
        Ok(exchanges) => exchanges,
        Err(error) => {
            report.findings.push(format!("probes: {error} (a response lacked what later probes need)"));
            return report;
        }
    };
    let mut seen: Vec<(String, String)> = Vec::new();
    for (step, (request, response)) in steps.iter().zip(&exchanges) {
        if let Some(expect) = step.expect.filter(|e| *e != response.status) {
            report
                .findings
                .push(format!("probe `{}`: expected {expect}, got {}", step.name, response.status));
        }
        let Some(op) = ops
            .iter()
            .find(|op| op.method == request.method && match_path(&op.path, &request.path).is_some())
        else {
            continue; // an undocumented route, reported above
        };
        let codes = responses(doc, op);
        let Some((code, documented_response)) = documented(&codes, response.status) else {
            let listed: Vec<&str> = codes.iter().map(|(c, _)| c.as_str()).collect();
            report.findings.push(format!(
                "{} answered {}, which the document does not list (it lists {})",
                op.name(),
                response.status,
                listed.join(", ")
            ));
            continue;
        };
        seen.push((op.name(), code.clone()));
        let at = format!("{} {}", op.name(), response.status);
        conforms(doc, documented_response, response, &at, &mut report.findings);
    }
    // 3. Request rules: bodies at and past every limit of the request schemas.
    let mut all = exchanges;
    all.extend(request_rules(doc, &ops, exchange, &mut report.findings));
    report.exchanges = all.len();
    for (request, response) in &all[steps.len()..] {
        let Some(op) = ops
            .iter()
            .find(|op| op.method == request.method && match_path(&op.path, &request.path).is_some())
        else {
            continue;
        };
        let codes = responses(doc, op);
        match documented(&codes, response.status) {
            Some((code, documented_response)) => {
                seen.push((op.name(), code.clone()));
                let at = format!("{} {}", op.name(), response.status);
                conforms(doc, documented_response, response, &at, &mut report.findings);
            }
            None => report.findings.push(format!(
                "{} answered {}, which the document does not list",
                op.name(),
                response.status
            )),
        }
    }
    // 4. Coverage: a documented status no probe produced is a promise nobody checks.
    for op in &ops {
        for (code, _) in responses(doc, op) {
            report.documented += 1;
            if seen.iter().any(|(o, c)| *o == op.name() && *c == code) {
                report.produced += 1;
            } else {
                report.findings.push(format!("{} documents {code}, but no probe produced it", op.name()));
            }
        }
    }
    let mut unique: Vec<String> = Vec::new();
    for finding in report.findings.drain(..) {
        if !unique.contains(&finding) {
            unique.push(finding);
        }
    }
    report.findings = unique;
    report
}
// ANCHOR_END: check

/// One generated request body: what it tests, the body, and whether the schema accepts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    pub name: String,
    pub body: Json,
    pub valid: bool,
}

/// Bodies at and just past every limit of an object schema: from its first `examples` entry
/// (or a body built from the limits), each integer at `minimum`, `minimum - 1`, `maximum`,
/// `maximum + 1`; each string at `minLength - 1`, `maxLength`, `maxLength + 1` characters; each
/// required member left out; one member the schema does not declare. `valid` is the document's
/// own verdict ([`schema::validate`]), so the expectations come from the document alone.
pub fn boundaries(doc: &Json, body_schema: &Json) -> Vec<Boundary> {
    let Some(object_schema) = resolve(doc, body_schema) else { return Vec::new() };
    let properties = object_schema.get("properties").and_then(Json::as_object).unwrap_or(&[]);
    let base = match object_schema.pointer("/examples/0") {
        Some(example) => example.clone(),
        None => Json::Object(
            properties.iter().map(|(name, sub)| (name.clone(), smallest(resolve(doc, sub)))).collect(),
        ),
    };
    let mut out = Vec::new();
    let mut push = |name: String, body: Json| {
        let valid = schema::validate(doc, body_schema, &body).is_empty();
        out.push(Boundary { name, body, valid });
    };
    let with = |member: &str, value: Json| {
        let mut body = base.clone();
        if let Json::Object(members) = &mut body {
            match members.iter_mut().find(|(n, _)| n == member) {
                Some(slot) => slot.1 = value,
                None => members.push((member.to_string(), value)),
            }
        }
        body
    };
    for (name, sub) in properties {
        let Some(sub) = resolve(doc, sub) else { continue };
        let number = |key: &str| sub.get(key).and_then(Json::as_i64);
        if let Some(min) = number("minimum") {
            push(format!("/{name} = {min} (minimum)"), with(name, Json::Number(min as f64)));
            push(format!("/{name} = {} (minimum - 1)", min - 1), with(name, Json::Number((min - 1) as f64)));
        }
        if let Some(max) = number("maximum") {
            push(format!("/{name} = {max} (maximum)"), with(name, Json::Number(max as f64)));
            push(format!("/{name} = {} (maximum + 1)", max + 1), with(name, Json::Number((max + 1) as f64)));
        }
        let text = |n: i64| Json::String("x".repeat(n.max(0) as usize));
        if let Some(min) = number("minLength").filter(|m| *m > 0) {
            push(format!("/{name} of {} characters (minLength - 1)", min - 1), with(name, text(min - 1)));
        }
        if let Some(max) = number("maxLength") {
            push(format!("/{name} of {max} characters (maxLength)"), with(name, text(max)));
            push(format!("/{name} of {} characters (maxLength + 1)", max + 1), with(name, text(max + 1)));
        }
    }
    for required in object_schema.get("required").and_then(Json::as_array).unwrap_or(&[]) {
        let Some(required) = required.as_str() else { continue };
        let mut body = base.clone();
        if let Json::Object(members) = &mut body {
            members.retain(|(n, _)| n != required);
        }
        push(format!("without required /{required}"), body);
    }
    if object_schema.get("additionalProperties") == Some(&Json::Bool(false)) {
        push("with an undeclared member /unexpected".into(), with("unexpected", Json::Bool(true)));
    }
    out
}

/// The least value a schema allows, for a body built without `examples`.
fn smallest(schema: Option<&Json>) -> Json {
    let Some(schema) = schema else { return Json::Null };
    match schema.get("type").and_then(Json::as_str) {
        Some("integer" | "number") => {
            Json::Number(schema.get("minimum").and_then(Json::as_f64).unwrap_or(0.0))
        }
        Some("string") => {
            let n = schema.get("minLength").and_then(Json::as_i64).unwrap_or(1).max(1);
            Json::String("x".repeat(n as usize))
        }
        Some("boolean") => Json::Bool(false),
        _ => Json::Null,
    }
}

/// Sends every [`boundaries`] body to its operation and reports where the handler's verdict
/// differs from the document's. One order is created first (the example body of the first
/// `POST` without path parameters); its `id` fills every path parameter and every `…_id`
/// member, and its current `ETag` every `If-Match`.
fn request_rules(
    doc: &Json,
    ops: &[Operation],
    exchange: &mut dyn FnMut(&Request) -> Response,
    findings: &mut Vec<String>,
) -> Vec<(Request, Response)> {
    let mut out = Vec::new();
    let body_of = |op: &Operation| {
        let content = doc.pointer(&format!("{}/requestBody/content", op.pointer))?.as_object()?;
        let (media, object) = content.first()?;
        Some((media.clone(), object.get("schema")?))
    };
    let Some(creator) = ops.iter().find(|op| op.method == "POST" && !op.path.contains('{')) else {
        return out;
    };
    let Some((media, creator_schema)) = body_of(creator) else { return out };
    let setup = Request {
        method: "POST".into(),
        path: creator.path.clone(),
        headers: vec![("Content-Type".into(), media)],
        body: boundaries(doc, creator_schema)
            .into_iter()
            .find(|b| b.valid)
            .map_or_else(String::new, |b| b.body.compact()),
    };
    let created = exchange(&setup);
    let id = super::json::parse(&created.body)
        .ok()
        .and_then(|b| b.get("id").and_then(Json::as_str).map(str::to_string))
        .unwrap_or_default();
    let mut etag = created.header("etag").unwrap_or("").to_string();
    out.push((setup, created));
    for op in ops {
        let Some((media, body_schema)) = body_of(op) else { continue };
        let path: String = op
            .path
            .split('/')
            .map(|s| if s.starts_with('{') { id.as_str() } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let needs_if_match = doc
            .pointer(&format!("{}/parameters", op.pointer))
            .and_then(Json::as_array)
            .unwrap_or(&[])
            .iter()
            .filter_map(|p| resolve(doc, p))
            .any(|p| p.get("name").and_then(Json::as_str) == Some("If-Match"));
        for mut boundary in boundaries(doc, body_schema) {
            if let Json::Object(members) = &mut boundary.body {
                for (_, value) in members.iter_mut().filter(|(n, _)| n.ends_with("_id")) {
                    *value = Json::String(id.clone());
                }
            }
            let mut headers = vec![("Content-Type".to_string(), media.clone())];
            if needs_if_match {
                headers.push(("If-Match".into(), etag.clone()));
            }
            let request = Request {
                method: op.method.clone(),
                path: path.clone(),
                headers,
                body: boundary.body.compact(),
            };
            let response = exchange(&request);
            if let Some(tag) =
                response.header("etag").filter(|_| path.contains(id.as_str()) && !id.is_empty())
            {
                etag = tag.to_string();
            }
            let accepted = (200..300).contains(&response.status);
            if boundary.valid != accepted || (!accepted && response.status != 422) {
                let verdict = if boundary.valid { "accepts" } else { "rejects (422)" };
                findings.push(format!(
                    "{} request {}: the document {verdict} it, the handler answered {}",
                    op.name(),
                    boundary.name,
                    response.status
                ));
            }
            out.push((request, response));
        }
    }
    out
}

/// Checks one response against its documented Response Object: headers, media type, body.
pub fn conforms(doc: &Json, documented: &Json, response: &Response, at: &str, findings: &mut Vec<String>) {
    for (name, header) in documented.get("headers").and_then(Json::as_object).unwrap_or(&[]) {
        let required = resolve(doc, header).and_then(|h| h.get("required")) == Some(&Json::Bool(true));
        if required && response.header(name).is_none() {
            findings.push(format!("{at}: required header `{name}` is missing"));
        }
    }
    let Some(content) = documented.get("content").and_then(Json::as_object) else {
        if !response.body.is_empty() {
            findings.push(format!("{at}: the document promises no body, the response has one"));
        }
        return;
    };
    let media = response.media_type().unwrap_or_default();
    let Some((_, media_object)) = content.iter().find(|(m, _)| *m == media) else {
        let listed: Vec<&str> = content.iter().map(|(m, _)| m.as_str()).collect();
        findings.push(format!(
            "{at}: Content-Type {media} is not documented (the document has {})",
            listed.join(", ")
        ));
        return;
    };
    let Some(schema) = media_object.get("schema") else { return };
    match super::json::parse(&response.body) {
        Ok(body) => {
            for error in schema::validate(doc, schema, &body) {
                findings.push(format!("{at} body: {error}"));
            }
        }
        Err(error) => findings.push(format!("{at} body: not JSON ({error})")),
    }
}

/// The handler's own route table as the check takes it.
pub fn service_routes() -> Vec<(String, String)> {
    super::service::ROUTES.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::super::service::Service;
    use super::super::{document, drift};
    use super::*;

    fn in_process(doc: &Json) -> Report {
        let mut service = Service::new();
        check(doc, &service_routes(), &mut |r| service.handle(r))
    }

    #[test]
    fn the_service_and_its_document_agree() {
        let report = in_process(&document());
        assert_eq!(report.findings, Vec::<String>::new());
        assert_eq!(report.documented, report.produced);
        assert!(report.exchanges >= report.documented);
    }

    #[test]
    fn a_changed_document_is_caught_and_the_finding_names_the_field() {
        // The document drops `paid_cents` from Order: every real order body now has a member
        // the schema does not allow.
        let mut doc = document();
        drift::apply(&mut doc, "drop-property", "Order.paid_cents", 1).unwrap();
        let report = in_process(&doc);
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.contains("POST /orders 201 body: /paid_cents: member not in the schema")),
            "{:#?}",
            report.findings
        );
        // A status the code cannot produce.
        let mut doc = document();
        drift::apply(&mut doc, "add-status", "GET /orders/{orderId} 410", 1).unwrap();
        assert_eq!(
            in_process(&doc).findings,
            ["GET /orders/{orderId} documents 410, but no probe produced it"]
        );
    }

    #[test]
    fn a_changed_request_limit_is_caught_in_either_direction() {
        // The document tightens item to 30 characters; the handler still takes 40.
        let mut doc = document();
        drift::apply(&mut doc, "set-limit", "NewOrder.item maxLength 30", 1).unwrap();
        assert_eq!(
            in_process(&doc).findings,
            [
                "POST /orders request /item of 31 characters (maxLength + 1): the document rejects (422) it, the handler answered 201"
            ]
        );
        // The handler caps quantity at 50 (a hand-written rule that drifted); the document says 100.
        let mut service = Service::new();
        let report = check(&document(), &service_routes(), &mut |r| {
            let capped = r.body.contains("\"quantity\":100");
            let mut response = service.handle(r);
            if capped && response.status / 100 == 2 {
                response = drift::too_many();
            }
            response
        });
        assert!(
            report.findings.contains(
                &"PATCH /orders/{orderId} request /quantity = 100 (maximum): the document accepts it, the handler answered 422"
                    .to_string()
            ),
            "{:#?}",
            report.findings
        );
    }

    #[test]
    fn boundaries_come_from_the_schema() {
        let doc = document();
        let names: Vec<(String, bool)> =
            boundaries(&doc, doc.pointer("/components/schemas/NewOrder").unwrap())
                .into_iter()
                .map(|b| (b.name, b.valid))
                .collect();
        let expected = [
            ("/item of 0 characters (minLength - 1)", false),
            ("/item of 40 characters (maxLength)", true),
            ("/item of 41 characters (maxLength + 1)", false),
            ("/quantity = 1 (minimum)", true),
            ("/quantity = 0 (minimum - 1)", false),
            ("/quantity = 100 (maximum)", true),
            ("/quantity = 101 (maximum + 1)", false),
            ("without required /item", false),
            ("without required /quantity", false),
            ("with an undeclared member /unexpected", false),
        ];
        assert_eq!(names, expected.map(|(n, v)| (n.to_string(), v)));
    }

    #[test]
    fn a_drifted_implementation_is_caught_and_the_finding_names_the_field() {
        // A fake handler that renames `total_cents` in every body, as a refactoring might.
        let mut service = Service::new();
        let report = check(&document(), &service_routes(), &mut |r| {
            let mut response = service.handle(r);
            response.body = response.body.replace("\"total_cents\"", "\"total\"");
            response
        });
        assert!(report.findings.iter().any(
            |f| f == "GET /orders/{orderId} 200 body: (the body): missing required member `total_cents`"
        ));
        assert!(report.findings.iter().any(|f| f == "GET /orders/{orderId} 200 body: /total: member not in the schema (additionalProperties: false)"));
        // A route added to the router but not to the document.
        let mut routes = service_routes();
        routes.push(("DELETE".into(), "/orders/{id}".into()));
        let mut service = Service::new();
        let report = check(&document(), &routes, &mut |r| service.handle(r));
        assert_eq!(
            report.findings,
            ["route DELETE /orders/{id}: the handler serves it, the document has no such operation"]
        );
    }
}
