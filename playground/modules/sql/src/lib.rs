//! Playground wasm module `sql`: the `playground` crate built with only the `sqlite` examples,
//! SQLite and the SQL examples of every chapter. A crate of its own so that it is a `.wasm` file of its own, which only pages with these
//! examples download. It defines nothing; the exports are the playground's.

pub use playground::*;
