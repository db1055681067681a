//! The SQL WebAssembly module: the `playground` crate built with the `sqlite` feature, so
//! `run(id, input)` also knows the SQL examples, which run on SQLite compiled to wasm.
//!
//! It is a crate of its own so that it is a separate `.wasm` file: SQLite adds hundreds of
//! kilobytes that only pages with SQL should download. It defines nothing: the exports are the
//! playground's (`examples`, `run`, `figure`, `panic_for_tests` and the panic hook).

pub use playground::*;
