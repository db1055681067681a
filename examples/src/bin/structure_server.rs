//! The orders service of the chapter "Structuring a backend project" as a real process: config
//! from the environment, validated at start-up, then HTTP on 127.0.0.1. See
//! `examples::structure::server` for its usage.

fn main() -> std::process::ExitCode {
    examples::structure::server::main()
}
