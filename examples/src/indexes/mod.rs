//! Chapter "Indexes: B-tree vs LSM, reading a query plan".
//!
//! * `btree`: a B+tree that splits pages as PostgreSQL's does, drawn operation by operation,
//!   with a predict-then-reveal mode;
//! * `insert_order`: sequential, UUIDv7 and UUIDv4 keys into that tree: splits, leaf fill, buffer
//!   cache misses and WAL full-page images;
//! * `bloom`: a Bloom filter's false positives against the formula;
//! * `lsm`: an LSM tree with leveled and tiered compaction, reporting write, space and read
//!   amplification;
//! * `plans` (native only): the same queries before and after an index on a real PostgreSQL 15,
//!   as observed by `examples/tests/real_servers/indexes.rs`.
//!
//! The SQLite `EXPLAIN QUERY PLAN` examples the reader edits are SQL, so they live in the
//! chapter module `indexes_sql` and ship in the shared `sql` wasm module; these simulations ship
//! in a module of their own.

pub mod bloom;
pub mod btree;
pub mod insert_order;
pub mod lsm;
#[cfg(not(target_family = "wasm"))]
pub mod plans;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    btree::EXAMPLE,
    btree::PREDICT,
    insert_order::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    plans::EXAMPLE,
    bloom::EXAMPLE,
    lsm::EXAMPLE,
];
