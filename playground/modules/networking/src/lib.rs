//! Playground wasm module `networking`: the `playground` crate built with only the `networking` examples,
//! the HTTP parser, the lossy TCP link and the head-of-line race ("TCP, UDP and HTTP"). A crate of its own so that it is a `.wasm` file of its own, which only pages with these
//! examples download. It defines nothing; the exports are the playground's.

pub use playground::*;
