//! Playground wasm module `isolation`: the `playground` crate built with only the `isolation` examples,
//! the MVCC engine, the isolation stepper and the Hermitage table ("Isolation levels and their anomalies"). A crate of its own so that it is a `.wasm` file of its own, which only pages with these
//! examples download. It defines nothing; the exports are the playground's.

pub use playground::*;
