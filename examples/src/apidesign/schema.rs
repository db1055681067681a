//! A JSON Schema (2020-12) validator for the keywords the chapter's document uses: what a
//! contract test runs on every response body. Each error names the JSON Pointer (RFC 6901) of
//! the value that breaks the schema. A keyword outside this subset is reported as an error,
//! never skipped, so a schema it cannot judge fails loudly; the unit tests run the same bodies
//! through the full `jsonschema` crate as well.

use super::json::Json;

/// Keywords that describe and never constrain.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "format",
    "examples",
    "example",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Validates `value` against `schema`; `root` is the document that `$ref`s point into.
/// Returns the errors, each `<pointer>: <what is wrong>` (empty when the value is valid).
pub fn validate(root: &Json, schema: &Json, value: &Json) -> Vec<String> {
    let mut errors = Vec::new();
    check(root, schema, value, "", &mut errors, 0);
    errors
}

fn check(root: &Json, schema: &Json, value: &Json, at: &str, errors: &mut Vec<String>, depth: usize) {
    let place = if at.is_empty() { "(the body)" } else { at };
    if depth > 32 {
        errors.push(format!("{place}: `$ref`s nest deeper than 32 levels"));
        return;
    }
    let members = match schema {
        Json::Bool(true) => return,
        Json::Bool(false) => return errors.push(format!("{place}: the schema allows nothing here")),
        Json::Object(members) => members,
        _ => return errors.push(format!("{place}: the schema is not an object")),
    };
    for (keyword, rule) in members {
        match keyword.as_str() {
            "$ref" => match rule.as_str().and_then(|r| r.strip_prefix('#')).and_then(|p| root.pointer(p)) {
                Some(target) => check(root, target, value, at, errors, depth + 1),
                None => errors.push(format!("{place}: cannot resolve `$ref` {}", rule.compact())),
            },
            "type" => {
                let allowed: Vec<&str> = match rule {
                    Json::String(t) => vec![t.as_str()],
                    Json::Array(ts) => ts.iter().filter_map(Json::as_str).collect(),
                    _ => vec![],
                };
                let actual = value.type_name();
                let fits = allowed.iter().any(|t| *t == actual || (*t == "number" && actual == "integer"));
                if !fits {
                    errors.push(format!("{place}: expected {}, got {actual}", allowed.join(" or ")));
                }
            }
            "enum" => {
                if !rule.as_array().is_some_and(|options| options.contains(value)) {
                    errors.push(format!("{place}: {} is not one of {}", value.compact(), rule.compact()));
                }
            }
            "const" => {
                if rule != value {
                    errors.push(format!("{place}: expected {}, got {}", rule.compact(), value.compact()));
                }
            }
            "required" => {
                if let (Some(names), Json::Object(_)) = (rule.as_array(), value) {
                    for name in names.iter().filter_map(Json::as_str) {
                        if value.get(name).is_none() {
                            errors.push(format!("{place}: missing required member `{name}`"));
                        }
                    }
                }
            }
            "properties" => {
                if let (Some(properties), Some(actual)) = (rule.as_object(), value.as_object()) {
                    for (name, sub) in properties {
                        if let Some((_, v)) = actual.iter().find(|(k, _)| k == name) {
                            check(root, sub, v, &format!("{at}/{}", escape(name)), errors, depth);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(actual) = value.as_object() {
                    let declared = schema.get("properties").and_then(Json::as_object).unwrap_or(&[]);
                    for (name, v) in actual {
                        if declared.iter().any(|(k, _)| k == name) {
                            continue;
                        }
                        let here = format!("{at}/{}", escape(name));
                        match rule {
                            Json::Bool(false) => errors.push(format!(
                                "{here}: member not in the schema (additionalProperties: false)"
                            )),
                            other => check(root, other, v, &here, errors, depth),
                        }
                    }
                }
            }
            "items" => {
                if let Some(items) = value.as_array() {
                    for (i, item) in items.iter().enumerate() {
                        check(root, rule, item, &format!("{at}/{i}"), errors, depth);
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Some(limit), Some(n)) = (rule.as_f64(), value.as_f64()) {
                    let (breaks, word) =
                        if keyword == "minimum" { (n < limit, "below") } else { (n > limit, "above") };
                    if breaks {
                        errors.push(format!(
                            "{place}: {} is {word} the {keyword} {}",
                            value.compact(),
                            rule.compact()
                        ));
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let (Some(limit), Some(s)) = (rule.as_i64(), value.as_str()) {
                    let length = s.chars().count() as i64;
                    let breaks = if keyword == "minLength" { length < limit } else { length > limit };
                    if breaks {
                        errors.push(format!("{place}: {length} characters breaks {keyword} {limit}"));
                    }
                }
            }
            k if ANNOTATIONS.contains(&k) => {}
            other => errors.push(format!("{place}: keyword `{other}` is outside this validator's subset")),
        }
    }
}

/// A member name as a JSON Pointer token (RFC 6901 §3).
pub fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::super::json::parse;
    use super::*;

    #[test]
    fn names_the_pointer_of_each_error() {
        let root = parse(r##"{"defs":{"N":{"type":"integer","minimum":1}}}"##).unwrap();
        let schema = parse(
            r##"{"type":"object","required":["a","b"],"additionalProperties":false,
                "properties":{"a":{"$ref":"#/defs/N"},"b":{},"c":{"type":"array","items":{"enum":["x"]}}}}"##,
        )
        .unwrap();
        let value = parse(r#"{"a":0,"c":["x","y"],"d/e":1}"#).unwrap();
        assert_eq!(
            validate(&root, &schema, &value),
            [
                "(the body): missing required member `b`",
                "/d~1e: member not in the schema (additionalProperties: false)",
                "/a: 0 is below the minimum 1",
                "/c/1: \"y\" is not one of [\"x\"]",
            ]
        );
        assert!(validate(&root, &schema, &parse(r#"{"a":2,"b":null}"#).unwrap()).is_empty());
        let unknown = parse(r#"{"pattern":"^a"}"#).unwrap();
        assert!(validate(&root, &unknown, &Json::Null)[0].contains("`pattern`"));
    }
}
