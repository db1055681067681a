//! A Postman Collection (format v2.1) derived from the OpenAPI document: a folder per first path
//! segment, a request per operation with the example body its schema documents, and a test
//! script per request for the happy path run in order: the exact success status, the body
//! against the document's schema (`pm.response.to.have.jsonSchema`), and the new resource's id
//! and ETag stored in collection variables for the requests after it. Postman's own importer
//! (and the `openapi-to-postmanv2` package underneath it) does the same job with more options.

use super::contract::{self, Operation};
use super::json::{Json, object, string};
use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "apidesign::postman",
    title: "The document as a Postman Collection v2.1 (import it into Postman, or run it with Newman)",
    file: file!(),
    default_input: "",
    input_help: "no input: the collection is derived from openapi.yaml",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

/// The `info.schema` every v2.1 collection names.
pub const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    Ok(collection(&super::document()).pretty() + "\n")
}

// ANCHOR: example
pub fn collection(doc: &Json) -> Json {
    let info = doc.get("info");
    let text = |name: &str| string(info.and_then(|i| i.get(name)).and_then(Json::as_str).unwrap_or(""));
    let base = doc.pointer("/servers/0/url").and_then(Json::as_str).unwrap_or("http://localhost");
    let variable = |key: &str, value: &str| object([("key", string(key)), ("value", string(value))]);
    // One folder per first path segment: /orders and /orders/{orderId} share "orders".
    let mut folders: Vec<(String, Vec<Json>)> = Vec::new();
    for op in contract::operations(doc) {
        let folder = op.path.split('/').nth(1).unwrap_or("").to_string();
        let item = request_item(doc, &op);
        match folders.iter_mut().find(|(name, _)| *name == folder) {
            Some((_, items)) => items.push(item),
            None => folders.push((folder, vec![item])),
        }
    }
    object([
        (
            "info",
            object([
                ("name", text("title")),
                ("description", text("description")),
                ("schema", string(SCHEMA)),
            ]),
        ),
        (
            "variable",
            Json::Array(vec![
                // Empty until a request of the run sets them from a response.
                variable("baseUrl", base),
                variable("orderId", ""),
                variable("paymentId", ""),
                variable("etag", ""),
            ]),
        ),
        (
            "item",
            Json::Array(
                folders
                    .into_iter()
                    .map(|(name, items)| object([("name", string(name)), ("item", Json::Array(items))]))
                    .collect(),
            ),
        ),
    ])
}

fn request_item(doc: &Json, op: &Operation) -> Json {
    let operation = doc.pointer(&op.pointer).expect("operations() found it");
    // `{orderId}` (OpenAPI) becomes `{{orderId}}` (a Postman variable).
    let segments: Vec<String> = op
        .path
        .split('/')
        .skip(1)
        .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => format!("{{{{{name}}}}}"),
            None => s.to_string(),
        })
        .collect();
    let raw = format!("{{{{baseUrl}}}}/{}", segments.join("/"));
    let mut headers = Vec::new();
    let header = |key: &str, value: &str| object([("key", string(key)), ("value", string(value))]);
    let body = operation.pointer("/requestBody/content").and_then(Json::as_object).and_then(|c| c.first());
    if let Some((media, _)) = body {
        headers.push(header("Content-Type", media));
    }
    for parameter in operation.get("parameters").and_then(Json::as_array).unwrap_or(&[]) {
        let Some(parameter) = contract::resolve(doc, parameter) else { continue };
        if parameter.get("in").and_then(Json::as_str) != Some("header") {
            continue;
        }
        match parameter.get("name").and_then(Json::as_str) {
            // Postman's dynamic variable: a fresh UUID per send, quoted as the draft wants.
            Some("Idempotency-Key") => headers.push(header("Idempotency-Key", "\"{{$guid}}\"")),
            Some("If-Match") => headers.push(header("If-Match", "{{etag}}")),
            Some(name) => headers.push(header(name, "")),
            None => {}
        }
    }
    let mut request = vec![
        ("method".to_string(), string(&op.method)),
        ("header".to_string(), Json::Array(headers)),
        (
            "url".to_string(),
            object([
                ("raw", string(&raw)),
                ("host", Json::Array(vec![string("{{baseUrl}}")])),
                ("path", Json::Array(segments.into_iter().map(string).collect())),
            ]),
        ),
    ];
    if let Some((_, media)) = body {
        let example = media.get("schema").map_or(Json::Null, |s| example_of(doc, s, 0));
        request.push((
            "body".to_string(),
            object([
                ("mode", string("raw")),
                ("raw", string(example.pretty())),
                ("options", object([("raw", object([("language", string("json"))]))])),
            ]),
        ));
    }
    let check = tests(doc, op);
    let name = operation.get("summary").and_then(Json::as_str).unwrap_or(&op.name()).to_string();
    object([
        ("name", string(name)),
        ("request", Json::Object(request)),
        (
            "event",
            Json::Array(vec![object([
                ("listen", string("test")),
                (
                    "script",
                    object([
                        ("type", string("text/javascript")),
                        ("exec", Json::Array(check.into_iter().map(string).collect())),
                    ]),
                ),
            ])]),
        ),
    ])
}

/// The test script of the happy path: the documented success status exactly, the body against
/// its schema, and the variables later requests need.
fn tests(doc: &Json, op: &Operation) -> Vec<String> {
    let Some((code, response)) = contract::responses(doc, op).into_iter().find(|(c, _)| c.starts_with('2'))
    else {
        return Vec::new();
    };
    let mut lines = vec![format!("pm.test(\"status is {code}\", () => pm.response.to.have.status({code}));")];
    if let Some(schema) = response.pointer("/content/application~1json/schema") {
        lines.push(format!("const schema = {};", inline(doc, schema, 0).compact()));
        lines.push(
            "pm.test(\"the body matches the document's schema\", () => pm.response.to.have.jsonSchema(schema));"
                .into(),
        );
    }
    // A create (POST on a collection) stores the new id under the item path's parameter name.
    if op.method == "POST" && !op.path.contains('{') {
        let item = contract::operations(doc).into_iter().find_map(|o| {
            let rest = o.path.strip_prefix(&format!("{}/{{", op.path))?;
            rest.strip_suffix('}').filter(|p| !p.contains('/')).map(str::to_string)
        });
        if let Some(variable) = item {
            lines.push(format!("pm.collectionVariables.set(\"{variable}\", pm.response.json().id);"));
        }
    }
    if response.pointer("/headers/ETag").is_some() {
        lines.push("pm.collectionVariables.set(\"etag\", pm.response.headers.get(\"ETag\"));".into());
    }
    lines
}

/// `schema` with every `$ref` replaced by what it points to, so it stands alone in a script.
fn inline(doc: &Json, schema: &Json, depth: usize) -> Json {
    let resolved = if depth < 16 { contract::resolve(doc, schema).unwrap_or(schema) } else { schema };
    match resolved {
        Json::Object(members) => Json::Object(
            members
                .iter()
                .filter(|(k, _)| k != "examples" && k != "description")
                .map(|(k, v)| (k.clone(), inline(doc, v, depth + 1)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(|v| inline(doc, v, depth + 1)).collect()),
        other => other.clone(),
    }
}

// ANCHOR_END: example

/// The schema's first documented example, with every `…_id` member turned into the collection
/// variable of that name (`order_id` → `{{orderId}}`); for a schema without `examples`, a value
/// that fits it: the smallest numbers, a placeholder string, the first enum value.
fn example_of(doc: &Json, schema: &Json, depth: usize) -> Json {
    let Some(schema) = contract::resolve(doc, schema) else { return Json::Null };
    if depth > 8 {
        return Json::Null;
    }
    if let Some(Json::Object(members)) = schema.pointer("/examples/0") {
        let variable = |name: &str| {
            let stem = name.strip_suffix("_id")?;
            let camel: String = stem
                .split('_')
                .enumerate()
                .map(|(i, w)| if i == 0 { w.to_string() } else { w[..1].to_uppercase() + &w[1..] })
                .collect();
            Some(string(format!("{{{{{camel}Id}}}}")))
        };
        return Json::Object(
            members.iter().map(|(k, v)| (k.clone(), variable(k).unwrap_or_else(|| v.clone()))).collect(),
        );
    }
    if let Some(first) = schema.get("enum").and_then(Json::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    match schema.get("type").and_then(Json::as_str) {
        Some("object") => Json::Object(
            schema
                .get("properties")
                .and_then(Json::as_object)
                .unwrap_or(&[])
                .iter()
                .map(|(name, sub)| (name.clone(), example_of(doc, sub, depth + 1)))
                .collect(),
        ),
        Some("integer" | "number") => {
            Json::Number(schema.get("minimum").and_then(Json::as_f64).unwrap_or(0.0))
        }
        Some("string") => string("text"),
        Some("boolean") => Json::Bool(false),
        Some("array") => Json::Array(Vec::new()),
        _ => Json::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The members the Postman Collection v2.1 schema requires (postmanlabs/schemas,
    /// `schemas/draft-07/v2.1.0/`: the collection needs `info` and `item`, `info` needs `name`
    /// and `schema`, an item needs `request`, a folder `item`, a header `key` and `value`, a
    /// variable `key` or `id`), checked on every level of the collection.
    #[test]
    fn the_collection_has_the_members_the_v2_1_schema_requires() {
        let c = collection(&super::super::document());
        assert!(c.get("info").is_some() && c.get("item").is_some());
        let info = c.get("info").unwrap();
        assert!(info.get("name").and_then(Json::as_str).is_some_and(|n| !n.is_empty()));
        assert_eq!(info.get("schema").and_then(Json::as_str), Some(SCHEMA));
        for variable in c.get("variable").and_then(Json::as_array).unwrap() {
            assert!(variable.get("key").is_some());
        }
        let mut requests = 0;
        for folder in c.get("item").and_then(Json::as_array).unwrap() {
            for item in folder.get("item").and_then(Json::as_array).expect("a folder has `item`") {
                let request = item.get("request").expect("an item has `request`");
                for header in request.get("header").and_then(Json::as_array).unwrap() {
                    assert!(header.get("key").is_some() && header.get("value").is_some());
                }
                let method = request.get("method").and_then(Json::as_str).unwrap();
                assert!(["GET", "POST", "PATCH"].contains(&method));
                requests += 1;
            }
        }
        assert_eq!(requests, contract::operations(&super::super::document()).len());
        // The happy path chains: the create stores the id and the ETag the next requests use.
        let text = c.compact();
        assert!(text.contains(r#"pm.collectionVariables.set(\"orderId\", pm.response.json().id);"#));
        assert!(text.contains(r#"pm.collectionVariables.set(\"paymentId\", pm.response.json().id);"#));
        assert!(text.contains(r#"pm.response.to.have.status(201)"#));
        assert!(text.contains("pm.response.to.have.jsonSchema(schema)"));
        assert!(!text.contains("ord_1") && !text.contains("$ref"));
    }
}
