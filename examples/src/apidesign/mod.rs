//! Chapter "API design and documentation: OpenAPI/Swagger and Postman".
//!
//! `openapi.yaml` is the contract (OpenAPI 3.1), read by `yaml` into `json` values. `service`
//! is the implementation, a function from request to response; `contract` checks one against
//! the other (routes, statuses, headers, bodies through `schema`, coverage) with the probes of
//! `probes.http`, a request script (`script`). The examples: `console` (the reader's requests),
//! `drift` (edits to the document or the implementation, and what the contract test says),
//! `retry` (a retried POST with and without an Idempotency-Key, drawn), `postman` (the
//! document as a Postman collection) and, natively, `server` (the service on 127.0.0.1 and a
//! real HTTP/1.1 client running the contract test).

pub mod console;
pub mod contract;
pub mod drift;
pub mod json;
pub mod postman;
pub mod retry;
pub mod schema;
pub mod script;
#[cfg(not(target_family = "wasm"))]
pub mod server;
pub mod service;
pub mod yaml;

/// The document as checked in.
pub const DOCUMENT: &str = include_str!("openapi.yaml");

/// The document, parsed. It is part of the crate, so a failure is a bug the tests catch.
pub fn document() -> json::Json {
    yaml::parse(DOCUMENT).expect("openapi.yaml is in the subset yaml.rs reads")
}

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    console::EXAMPLE,
    retry::EXAMPLE,
    retry::PREDICT,
    drift::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    server::EXAMPLE,
    postman::EXAMPLE,
];

#[cfg(test)]
mod tests {
    use super::json::tests::to_serde;
    use super::*;

    /// The official OpenAPI 3.1 schemas as published at spec.openapis.org (iteration 2025-09-15;
    /// Apache-2.0, see the README and LICENSE beside them), through the `jsonschema` crate, a
    /// full JSON Schema 2020-12 validator. The entry point is `schema-base`: the document schema
    /// plus the OAS dialect, so every Schema Object inside the document is validated as a JSON
    /// Schema 2020-12 schema too, not only as "an object or a boolean". No network: the four
    /// files are registered by their `$id`s.
    fn oas_validator() -> jsonschema::Validator {
        let load = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
        let resources = [
            load(include_str!("../../tests/fixtures/openapi-3.1/schema.json")),
            load(include_str!("../../tests/fixtures/openapi-3.1/dialect.json")),
            load(include_str!("../../tests/fixtures/openapi-3.1/meta.json")),
        ];
        let mut registry = jsonschema::Registry::new();
        for resource in &resources {
            let id = resource["$id"].as_str().unwrap();
            registry = registry.add(id, resource).unwrap();
        }
        let registry = registry.prepare().unwrap();
        let base = load(include_str!("../../tests/fixtures/openapi-3.1/schema-base.json"));
        jsonschema::options().with_registry(&registry).build(&base).expect("the OAS 3.1 schema compiles")
    }

    #[test]
    fn the_document_is_a_valid_openapi_3_1_document() {
        let validator = oas_validator();
        let doc = to_serde(&document());
        let errors: Vec<String> =
            validator.iter_errors(&doc).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert_eq!(errors, Vec::<String>::new());
    }

    #[test]
    fn the_official_schema_rejects_a_broken_document() {
        let validator = oas_validator();
        let mut doc = to_serde(&document());
        doc["info"].as_object_mut().unwrap().remove("version");
        doc["paths"]["/orders"]["post"]["responses"]["201"].as_object_mut().unwrap().remove("description");
        let errors: Vec<String> =
            validator.iter_errors(&doc).map(|e| e.instance_path().to_string()).collect();
        assert!(errors.iter().any(|p| p == "/info"), "{errors:?}");
        assert!(errors.iter().any(|p| p.starts_with("/paths/~1orders/post/responses")), "{errors:?}");
    }

    /// With the dialect, Schema Objects are checked too: a `minimum` that is not a number and a
    /// `type` that is no JSON Schema type are errors, where the document schema alone accepts
    /// any object.
    #[test]
    fn the_dialect_checks_schema_objects() {
        let validator = oas_validator();
        let mut doc = to_serde(&document());
        doc["components"]["schemas"]["NewOrder"]["properties"]["quantity"]["minimum"] = "one".into();
        doc["components"]["schemas"]["Order"]["properties"]["id"]["type"] = "text".into();
        let errors: Vec<String> =
            validator.iter_errors(&doc).map(|e| e.instance_path().to_string()).collect();
        assert!(errors.iter().any(|p| p.ends_with("/NewOrder/properties/quantity/minimum")), "{errors:?}");
        assert!(errors.iter().any(|p| p.ends_with("/Order/properties/id/type")), "{errors:?}");
    }

    /// Every response of the contract test, in-process and over a real socket, validated by
    /// the full `jsonschema` validator against the schema the document gives for it: the
    /// book's own validator (`schema`) is a subset, and this keeps it honest.
    #[test]
    fn real_responses_validate_against_the_document_with_a_full_validator() {
        let doc = document();
        let (report, responses, _) = server::check_over_socket(&doc).unwrap();
        assert_eq!(report.findings, Vec::<String>::new());
        let mut service = service::Service::new();
        let mut in_process = Vec::new();
        contract::check(&doc, &contract::service_routes(), &mut |r| {
            let response = service.handle(r);
            in_process.push((r.clone(), response.clone()));
            response
        });
        assert_eq!(responses.len(), in_process.len());
        let root = to_serde(&doc);
        let ops = contract::operations(&doc);
        for ((request, response), over_socket) in in_process.iter().zip(&responses) {
            assert_eq!(server::without_transport_fields(over_socket), *response);
            let op = ops
                .iter()
                .find(|o| o.method == request.method && service::match_path(&o.path, &request.path).is_some())
                .unwrap();
            // The pointer of the schema: the response (resolved from its $ref), its media type.
            let code = response.status.to_string();
            let mut pointer = format!("{}/responses/{code}", op.pointer);
            if let Some(reference) =
                doc.pointer(&pointer).and_then(|r| r.get("$ref")).and_then(json::Json::as_str)
            {
                pointer = reference.trim_start_matches('#').to_string();
            }
            let media = response.media_type().unwrap();
            pointer = format!("{pointer}/content/{}/schema", schema::escape(&media));
            assert!(doc.pointer(&pointer).is_some(), "{pointer}");
            let mut wrapper = root.clone();
            // In a URI fragment `{` and `}` must be percent-encoded (RFC 6901 §6).
            let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
            wrapper["$ref"] = serde_json::Value::String(format!("#{fragment}"));
            wrapper["$schema"] =
                serde_json::Value::String("https://json-schema.org/draft/2020-12/schema".into());
            let validator = jsonschema::validator_for(&wrapper).unwrap();
            let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
            let errors: Vec<String> = validator.iter_errors(&body).map(|e| e.to_string()).collect();
            assert_eq!(errors, Vec::<String>::new(), "{} {} {code}", request.method, request.path);
        }
    }

    /// The full validator and the book's subset agree on a drifted body: both reject it.
    #[test]
    fn both_validators_reject_a_drifted_order() {
        let doc = document();
        let order = json::parse(
            r#"{"id":"ord_1","item":"w","quantity":1,"total":250,"paid_cents":0,"status":"open","paid_by":null}"#,
        )
        .unwrap();
        let schema = doc.pointer("/components/schemas/Order").unwrap();
        let ours = schema::validate(&doc, schema, &order);
        assert_eq!(ours.len(), 2, "{ours:?}");
        let mut wrapper = to_serde(&doc);
        wrapper["$ref"] = serde_json::Value::String("#/components/schemas/Order".into());
        let validator = jsonschema::validator_for(&wrapper).unwrap();
        assert_eq!(validator.iter_errors(&to_serde(&order)).count(), 2);
    }
}
