//! A mapping explosion: dynamic mapping adds a field for every new key it sees, so documents
//! whose keys come from users (session ids, product attributes, HTTP headers) grow the mapping
//! until `index.mapping.total_fields.limit` (1,000 by default) refuses the next document.
//!
//! Modelled after the Elasticsearch reference: with `dynamic: true` a new string becomes a
//! `text` field with a `keyword` multi-field, a number a `long` or `float`, a boolean a
//! `boolean`, an object an `object` whose members are mapped the same way; object fields and
//! multi-fields count toward the limit here. `dynamic: false` keeps unknown keys in `_source`
//! unindexed, `strict` rejects the document, and a `flattened` field maps a whole object as one
//! field (its leaves indexed as keywords). Not modelled: dates detected in strings, runtime
//! fields, `ignore_dynamic_beyond_limit`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::apidesign::json::{self, Json};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "search::mapping",
    title: "A mapping explosion: user-controlled keys against the 1,000-field limit",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`dynamic = true | false | strict`, `attributes = object | flattened`, `limit = 1000`, \
                 `generate = N` (documents with random user keys, seeded by `seed`), or `doc = {json}` lines",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
dynamic = true
attributes = object
limit = 1000
generate = 400
seed = 3
doc = {\"user\": \"ada\", \"attributes\": {\"color\": \"red\", \"size_42\": 1}}
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dynamic {
    True,
    False,
    Strict,
}

// ANCHOR: mapping
/// The mapping: full path → type. `attributes` is mapped up front as `object` or `flattened`.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub fields: BTreeMap<String, &'static str>,
    pub dynamic: Dynamic,
    pub limit: usize,
}

impl Mapping {
    /// The fields a document would add, or why it is refused. Nothing changes on refusal.
    pub fn index(&mut self, doc: &Json) -> Result<usize, String> {
        let mut new: Vec<(String, &'static str)> = Vec::new();
        self.walk("", doc, &mut new)?;
        if self.fields.len() + new.len() > self.limit {
            return Err(format!(
                "Limit of total fields [{}] has been exceeded while adding new fields [{}]",
                self.limit,
                new.len()
            ));
        }
        let added = new.len();
        self.fields.extend(new);
        Ok(added)
    }

    fn walk(&self, prefix: &str, value: &Json, new: &mut Vec<(String, &'static str)>) -> Result<(), String> {
        let Json::Object(members) = value else { return Ok(()) };
        for (key, value) in members {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            if self.fields.get(&path) == Some(&"flattened") {
                continue; // one field, whatever keys are inside
            }
            let known = self.fields.contains_key(&path) || new.iter().any(|(p, _)| *p == path);
            if !known {
                match self.dynamic {
                    Dynamic::False => continue, // kept in _source, not indexed, not mapped
                    Dynamic::Strict => {
                        return Err(format!(
                            "mapping set to strict, dynamic introduction of [{key}] is not allowed"
                        ));
                    }
                    Dynamic::True => {}
                }
                let kind = match value {
                    Json::String(_) => "text",
                    Json::Number(n) if n.fract() == 0.0 => "long",
                    Json::Number(_) => "float",
                    Json::Bool(_) => "boolean",
                    Json::Object(_) => "object",
                    Json::Array(_) | Json::Null => continue, // an empty array or null adds nothing yet
                };
                new.push((path.clone(), kind));
                if kind == "text" {
                    new.push((format!("{path}.keyword"), "keyword"));
                }
            }
            self.walk(&path, value, new)?;
        }
        Ok(())
    }
}
// ANCHOR_END: mapping

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["dynamic", "attributes", "limit", "generate", "seed", "doc"])?;
    let dynamic = match params.choice_or("dynamic", &["true", "false", "strict"], "true")? {
        "false" => Dynamic::False,
        "strict" => Dynamic::Strict,
        _ => Dynamic::True,
    };
    let attributes = params.choice_or("attributes", &["object", "flattened"], "object")?;
    let limit = params.number_or("limit", 10usize, 100_000, 1000)?;
    let generate = params.number_or("generate", 0usize, 5000, 0)?;
    let seed = params.number_or("seed", 0u64, u64::MAX, 3)?;
    let mut docs: Vec<(String, Json)> = Vec::new();
    for entry in params.all("doc") {
        let doc =
            json::parse(entry.value).map_err(|e| InputError::at_line(entry.line, format!("JSON: {e}")))?;
        docs.push((format!("line {}", entry.line), doc));
    }
    // Generated documents: a user, a timestamp-like number and three attributes whose keys the
    // users chose (a product's free-form properties).
    let mut rng = Rng::new(seed);
    for i in 0..generate {
        let mut attrs = Vec::new();
        for _ in 0..3 {
            let key = format!("attr_{:04x}", rng.range(0, 0xffff));
            if !attrs.iter().any(|(k, _)| *k == key) {
                attrs.push((key, json::string(format!("v{}", rng.range(0, 9)))));
            }
        }
        let doc = Json::Object(vec![
            ("user".into(), json::string(format!("user{}", i % 50))),
            ("ts".into(), Json::Number((1_700_000_000 + i) as f64)),
            ("attributes".into(), Json::Object(attrs)),
        ]);
        docs.push((format!("generated #{}", i + 1), doc));
    }
    let mut mapping = Mapping { fields: BTreeMap::new(), dynamic, limit };
    // The explicit part of the mapping: user, ts and attributes.
    mapping.fields.insert("user".into(), "keyword");
    mapping.fields.insert("ts".into(), "long");
    mapping
        .fields
        .insert("attributes".into(), if attributes == "flattened" { "flattened" } else { "object" });

    let mut out = String::new();
    let dyn_name = match dynamic {
        Dynamic::True => "true",
        Dynamic::False => "false",
        Dynamic::Strict => "strict",
    };
    let _ = writeln!(out, "dynamic: {dyn_name}, attributes: {attributes}, total_fields.limit: {limit}");
    let (mut accepted, mut refused, mut first_refusal) = (0, 0, None);
    let mut milestones = vec![100, 250, 500, 750, 1000, 2000, 5000];
    for (name, doc) in &docs {
        match mapping.index(doc) {
            Ok(_) => accepted += 1,
            Err(why) => {
                refused += 1;
                if first_refusal.is_none() {
                    first_refusal = Some(format!("{name} refused: {why}"));
                }
            }
        }
        let n = accepted + refused;
        if milestones.first() == Some(&n) {
            milestones.remove(0);
            let _ = writeln!(
                out,
                "after {n:>4} docs: {:>5} fields mapped, {refused} docs refused",
                mapping.fields.len()
            );
        }
    }
    let _ = writeln!(
        out,
        "end: {} docs accepted, {refused} refused; {} fields mapped",
        accepted,
        mapping.fields.len()
    );
    if let Some(first) = first_refusal {
        let _ = writeln!(out, "first refusal: {first}");
    }
    let by_type = mapping.fields.values().fold(BTreeMap::<&str, usize>::new(), |mut m, t| {
        *m.entry(t).or_default() += 1;
        m
    });
    let types = by_type.iter().map(|(t, n)| format!("{t} {n}")).collect::<Vec<_>>().join(", ");
    let _ = writeln!(out, "fields by type: {types}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_strict_and_flattened() {
        let out = run(DEFAULT_INPUT).unwrap();
        assert!(out.contains("Limit of total fields [1000]"), "{out}");
        let flat = run(&DEFAULT_INPUT.replace("attributes = object", "attributes = flattened")).unwrap();
        assert!(flat.contains("0 refused"), "{flat}");
        let strict = run(&DEFAULT_INPUT.replace("dynamic = true", "dynamic = strict")).unwrap();
        assert!(strict.contains("strict, dynamic introduction"), "{strict}");
        let off = run(&DEFAULT_INPUT.replace("dynamic = true", "dynamic = false")).unwrap();
        assert!(off.contains("0 refused; 3 fields"), "{off}");
    }
}
