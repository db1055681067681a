//! Playground wasm module `processes`: the `playground` crate built with only the `processes` examples,
//! the CPU scheduler and Amdahl's law ("Processes, threads and cores", "How this book works"). A crate of its own so that it is a `.wasm` file of its own, which only pages with these
//! examples download. It defines nothing; the exports are the playground's.

pub use playground::*;
