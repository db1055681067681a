//! Chapter "Anatomy of a search cluster: Elasticsearch nodes, indices, documents".
//!
//! * `bm25`: the analyser, an inverted index with positions, and BM25 with Lucene's and FTS5's
//!   idf (hand-computed unit tests, a property test against a brute-force scan);
//! * `corpus`: the book's own sections as a corpus (`data/book-corpus.txt`, derived from
//!   `src/*.md`) and the example that searches them in the browser;
//! * `segments`: one shard's buffer, translog, refreshes, segments, merges and flushes, drawn,
//!   with a seeded predict-then-reveal mode and a property test that nothing acknowledged is lost;
//! * `scatter`: query-then-fetch across shards, deep pages against `search_after`;
//! * `mapping`: dynamic mapping against `index.mapping.total_fields.limit`;
//! * native only: `fts5`, the scorer checked against SQLite FTS5's `bm25()`.
//!
//! Elasticsearch itself does not run here: its behaviour is modelled from its reference.

pub mod bm25;
pub mod corpus;
pub mod fts5;
pub mod mapping;
pub mod scatter;
pub mod segments;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    bm25::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    fts5::EXAMPLE,
    corpus::EXAMPLE,
    segments::EXAMPLE,
    segments::PREDICT,
    scatter::EXAMPLE,
    mapping::EXAMPLE,
];
