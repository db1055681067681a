//! Chapter "Data models: relational, document, graph; SQL vs NoSQL".
//!
//! * `social`: the chapter's one dataset (people, friendships, posts) as Rust data, and each
//!   model's form derived from it: tables, `jsonb` documents, a Cypher `CREATE`, Turtle;
//! * `cypher` and `graph`: a small property-graph engine that parses and runs a subset of
//!   Cypher (path patterns, variable-length relationships, pattern predicates), with errors
//!   that name line and column; `query` is its editable example, drawn; `predict` a seeded
//!   puzzle on a random graph;
//! * `sparql`: a tiny SPARQL evaluator over the dataset's Turtle, property paths included;
//! * `jsonb`: the document model on the real PostgreSQL 15 (native only; the observation is
//!   `examples/data/jsonb-documents.txt`).
//!
//! The relational answer runs on SQLite in the chapter's SQL module, `datamodels_sql`. The
//! tests below check that the three models give the same friends of friends.

pub mod cypher;
pub mod graph;
#[cfg(not(target_family = "wasm"))]
pub mod jsonb;
pub mod predict;
pub mod query;
pub mod social;
pub mod sparql;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    social::EXAMPLE,
    query::EXAMPLE,
    predict::EXAMPLE,
    sparql::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    jsonb::DOCUMENTS_EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    jsonb::INDEXES_EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    jsonb::UPDATES_EXAMPLE,
];

#[cfg(test)]
mod tests {
    use super::cypher::{StatementKind, parse};
    use super::graph::{Graph, Value, run_query};
    use super::social::{FRIENDS_OF_FRIENDS_OF_ANN, WITHIN_THREE_HOPS_OF_ANN, cypher};

    /// The names the last query of `script` returns (one string column).
    fn graph_names(script: &str) -> Vec<String> {
        let mut g = Graph::default();
        let mut names = Vec::new();
        for s in parse(script).unwrap() {
            match &s.kind {
                StatementKind::Create(p) => {
                    g.create(p).unwrap();
                }
                StatementKind::Query(q) => {
                    let a = run_query(&g, q, s.pos).unwrap();
                    names = a
                        .rows
                        .iter()
                        .map(|r| match &r[0] {
                            Value::Str(s) => s.clone(),
                            other => panic!("{other:?}"),
                        })
                        .collect();
                }
            }
        }
        names
    }

    #[test]
    fn the_graph_answers_friends_of_friends_and_three_hops() {
        let fof = "MATCH (a:Person {name: 'Ann'})-[:FRIEND]->(b)-[:FRIEND]->(c) WHERE c <> a \
                   RETURN DISTINCT c.name ORDER BY c.name";
        assert_eq!(graph_names(&format!("{}{fof}", cypher())), FRIENDS_OF_FRIENDS_OF_ANN);
        let reach = "MATCH (a:Person {name: 'Ann'})-[:FRIEND*1..3]->(c) WHERE c <> a \
                     RETURN DISTINCT c.name ORDER BY c.name";
        assert_eq!(graph_names(&format!("{}{reach}", cypher())), WITHIN_THREE_HOPS_OF_ANN);
    }

    // ANCHOR: three_models
    /// Every model, one question: the graph engine here, SQLite running the chapter's SQL (as
    /// the browser does), the real PostgreSQL's answer on the documents, as recorded, and the
    /// SPARQL evaluator on the triples.
    #[cfg(feature = "sqlite")]
    #[test]
    fn every_model_gives_the_same_friends_of_friends() {
        let graph = graph_names(&format!(
            "{}MATCH (a:Person {{name: 'Ann'}})-[:FRIEND]->(b)-[:FRIEND]->(c) WHERE c <> a \
             RETURN DISTINCT c.name ORDER BY c.name",
            cypher()
        ));
        let relational = crate::datamodels_sql::friends_of_friends_on_sqlite();
        let document: Vec<String> =
            super::jsonb::rows_after(super::jsonb::OBSERVED, "SELECT DISTINCT c.doc->>'name'")
                .expect("the documents' answer is recorded")
                .into_iter()
                .map(|r| r[0].clone())
                .collect();
        let sparql = super::sparql::first_answer(super::sparql::EXAMPLE.default_input).unwrap();
        assert_eq!(graph, FRIENDS_OF_FRIENDS_OF_ANN);
        assert_eq!(relational, graph);
        assert_eq!(document, graph);
        assert_eq!(sparql, graph);
    }
    // ANCHOR_END: three_models
}
