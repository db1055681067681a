//! Playground wasm module `sharding`: the `playground` crate built with only the `sharding` examples,
//! the hash ring, quorums, replication and cluster health ("Sharding, partitioning and replicas"). A crate of its own so that it is a `.wasm` file of its own, which only pages with these
//! examples download. It defines nothing; the exports are the playground's.

pub use playground::*;
