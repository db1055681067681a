//! Chapter "Schema migrations: up/down, expand/contract".
//!
//! * `runner`: a versioned migration runner on real SQLite (history table, checksums, one
//!   transaction per migration, refusals), and the interactive example built on it;
//! * `sqlite_alter.sql`: what SQLite's `ALTER TABLE` can do, and the table rebuild for the rest;
//! * `expand_contract`: a column rename done in steps, checked against four application
//!   versions at every step, and the one-step rename that breaks the old version;
//! * `lock_trap`: what a real PostgreSQL 15 did when an `ALTER TABLE` queued behind a reader
//!   (recorded by `examples/tests/migrations_real.rs`, shown natively only).

pub mod expand_contract;
#[cfg(not(target_family = "wasm"))]
pub mod lock_trap;
pub mod runner;

use crate::registry::{Example, Run, Runs};

/// SQLite's `ALTER TABLE`: what it can do in place, and the rebuild for everything else.
pub const SQLITE_ALTER: Example = Example {
    id: "migrations::sqlite_alter",
    title: "What SQLite can ALTER, and the table rebuild for the rest",
    file: "examples/src/migrations/sqlite_alter.sql",
    default_input: crate::sql::statements(include_str!("sqlite_alter.sql")),
    input_help: "SQL statements separated by `;` (SQLite dialect), run on the shop database of the SQL examples.",
    runs: Runs::Everywhere,
    run: Run::Text(|input| crate::sql::engine::run(crate::sql::SHOP, input)),
};

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    runner::EXAMPLE,
    SQLITE_ALTER,
    expand_contract::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    lock_trap::EXAMPLE,
];
