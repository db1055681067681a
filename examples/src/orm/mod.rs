//! Chapter "ORM vs ODM (and the N+1 problem)".
//!
//! * `mapper`: a small data mapper over SQLite whose every query is logged and counted, and
//!   three loading strategies for "each author with their posts" (lazy, JOIN, batched IN);
//! * `cost`: the same strategies at a size the reader chooses, with a stated latency model;
//! * `plans`: the JOIN and IN queries as editable SQL, with SQLite's query plans;
//! * `lost_update`: read-modify-write of an entity, which no ORM protects by itself;
//! * `lost_update_postgres`: the same with two real connections on PostgreSQL, as observed by
//!   `examples/tests/real_servers/`;
//! * `documents`: the same data as embedded and as referenced documents (serde_json), with
//!   BSON sizes and what reads and updates cost in each.

pub mod cost;
pub mod documents;
pub mod lost_update;
#[cfg(not(target_family = "wasm"))]
pub mod lost_update_postgres;
pub mod mapper;
pub mod plans;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    mapper::EXAMPLE,
    plans::EXAMPLE,
    cost::EXAMPLE,
    documents::EXAMPLE,
    lost_update::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    lost_update_postgres::EXAMPLE,
];

/// `n` with the singular or the plural noun: "1 query", "2 queries".
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}
