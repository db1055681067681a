//! The contract test: does the implementation do what the document says, and does the document
//! say everything the implementation does? One function, [`check`], run by the unit tests
//! (in-process and over real sockets), by the page's drift tool and by the live example.
//!
//! 1. Routes: every `(method, path)` the handler's router serves is an operation of the
//!    document, and every operation is served.
//! 2. Probes ([`PROBES`], a request script): each response's status must be documented for its
//!    operation, its media type documented for that status, its body valid against the
//!    documented schema, its required headers present.
//! 3. Coverage: every status the document lists must have been produced by some probe, so a
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
    report.exchanges = exchanges.len();
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
    // 3. Coverage: a documented status no probe produced is a promise nobody checks.
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
