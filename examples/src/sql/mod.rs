//! SQL on a real SQLite, for the database chapters.
//!
//! Each SQL example is a `.sql` file in this folder: the statements between
//! `-- ANCHOR: example` and `-- ANCHOR_END: example` are what the page shows and what the
//! reader edits, and they run after the shared schema and data in `shop.sql`. `cargo test`
//! runs them natively; the SQL wasm module (`playground-sql`) runs the same `engine` code on
//! SQLite compiled to WebAssembly from the same source.

pub mod engine;

use crate::registry::{Example, Run, Runs};

/// The schema and data every SQL example starts from.
pub const SHOP: &str = include_str!("shop.sql");

const INPUT_HELP: &str = "SQL statements separated by `;` (SQLite dialect); `--` starts a comment. In a two-session script, start each line with `A:` or `B:`.";

/// The statements of a `.sql` example: the text between its first line, `-- ANCHOR: example`,
/// and its last, `-- ANCHOR_END: example` (checked at compile time).
pub const fn statements(file: &'static str) -> &'static str {
    const START: &str = "-- ANCHOR: example\n";
    const END: &str = "-- ANCHOR_END: example\n";
    let bytes = file.as_bytes();
    assert!(bytes.len() >= START.len() + END.len(), "a SQL example is wrapped in ANCHOR lines");
    let mut i = 0;
    while i < START.len() {
        assert!(bytes[i] == START.as_bytes()[i], "a SQL example starts with `-- ANCHOR: example`");
        i += 1;
    }
    let mut j = 0;
    while j < END.len() {
        assert!(
            bytes[bytes.len() - END.len() + j] == END.as_bytes()[j],
            "a SQL example ends with `-- ANCHOR_END: example`"
        );
        j += 1;
    }
    let (_, rest) = file.split_at(START.len());
    let (body, _) = rest.split_at(rest.len() - END.len());
    body
}

/// A SQL example: `$file`, a `.sql` file in `examples/src/$dir/` wrapped in ANCHOR lines, is its
/// default input, which runs after the setup SQL `$setup`. Invoke it from a module in that
/// folder: `include_str!` finds the file next to the invoking source file.
macro_rules! sql_example {
    ($name:ident, $id:literal, $dir:literal, $file:literal, $title:literal, setup: $setup:path, help: $help:path) => {
        pub const $name: $crate::registry::Example = $crate::registry::Example {
            id: $id,
            title: $title,
            file: concat!("examples/src/", $dir, "/", $file),
            default_input: $crate::sql::statements(include_str!($file)),
            input_help: $help,
            runs: $crate::registry::Runs::Everywhere,
            run: $crate::registry::Run::Text(|input| $crate::sql::engine::run($setup, input)),
        };
    };
}
pub(crate) use sql_example;

/// The shared schema itself: the page shows `shop.sql`; the input lists what is in it.
pub const SCHEMA: Example = Example {
    id: "sql::shop",
    title: "The shop database every SQL example starts from",
    file: "examples/src/sql/shop.sql",
    default_input: "SELECT * FROM customers;\nSELECT * FROM accounts;\nSELECT * FROM orders;\n",
    input_help: INPUT_HELP,
    runs: Runs::Everywhere,
    run: Run::Text(|input| engine::run(SHOP, input)),
};

sql_example!(
    JOIN,
    "sql::join",
    "sql",
    "join.sql",
    "A JOIN, GROUP BY and a query plan on real SQLite",
    setup: SHOP,
    help: INPUT_HELP
);
sql_example!(
    TRANSFER,
    "sql::transfer",
    "sql",
    "transfer.sql",
    "A transfer that fails half-way and is rolled back",
    setup: SHOP,
    help: INPUT_HELP
);
sql_example!(
    LOCKING,
    "sql::locking",
    "sql",
    "locking.sql",
    "Two sessions, one database: SQLite's single writer",
    setup: SHOP,
    help: INPUT_HELP
);
sql_example!(
    RUNAWAY,
    "sql::runaway",
    "sql",
    "runaway.sql",
    "A query without an end, stopped by a progress handler",
    setup: SHOP,
    help: INPUT_HELP
);

/// Every SQL example, in reading order.
pub const EXAMPLES: &[Example] = &[SCHEMA, JOIN, TRANSFER, LOCKING, RUNAWAY];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_drop_the_anchor_lines() {
        assert_eq!(statements("-- ANCHOR: example\nSELECT 1;\n-- ANCHOR_END: example\n"), "SELECT 1;\n");
    }

    #[test]
    fn every_file_named_by_an_example_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        for example in EXAMPLES {
            assert!(root.join(example.file).is_file(), "{} names {}", example.id, example.file);
        }
    }
}
