//! Chapter "Structuring a backend project": one small orders service laid out twice, in Rust
//! (`orders/`: transport, service, memory, sqlite) and in TypeScript (`orders_ts.ts` and `ts/`),
//! and configuration read from the environment and validated at start-up, in both languages
//! (`config.rs`, `config_ts.ts`). The twins print byte-identical output for the same input, which
//! a test checks on their verified outputs and `tests/structure.rs` on more inputs. `server.rs`
//! (binary `structure-server`) and `server.ts` run the same layers as real HTTP services.
//! `cancel_race_postgres` prints what two concurrent cancels did on a real PostgreSQL 15.

use crate::Example;

#[cfg(not(target_family = "wasm"))]
pub mod cancel_race_postgres;
pub mod config;
pub mod orders;
#[cfg(all(feature = "sqlite", not(target_family = "wasm")))]
pub mod server;

/// The chapter's examples, in reading order.
pub const EXAMPLES: &[Example] = &[
    config::EXAMPLE,
    Example::typescript(
        "structure::config_ts",
        "Config from the environment, validated at start-up (TypeScript)",
        "examples/src/structure/config_ts.ts",
        config::DEFAULT_INPUT,
        "KEY=VALUE lines (an environment); `---` starts another one. PORT and DATABASE_URL are required; \
         LOG_LEVEL, REQUEST_TIMEOUT_MS, MAX_ORDER_CENTS are optional",
    ),
    orders::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    cancel_race_postgres::EXAMPLE,
    Example::typescript(
        "structure::orders_ts",
        "A layered orders service: transport → service → repository (TypeScript)",
        "examples/src/structure/orders_ts.ts",
        orders::DEFAULT_INPUT,
        "one request per line: POST /orders customer=NAME cents=N | GET /orders/ID | POST /orders/ID/cancel; \
         `max_order_cents = N` first sets the limit",
    ),
    Example::typescript(
        "structure::contract_ts",
        "One contract, three repositories: the test that keeps a fake honest (TypeScript)",
        "examples/src/structure/contract_ts.ts",
        "# one repository per line: memory, sharing, throwing\nmemory\nsharing\nthrowing\n",
        "one repository per line: memory (the chapter's), sharing (hands out its stored objects), \
         throwing (a missing id throws)",
    ),
];

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    /// The twins say the same thing in the same words: their verified outputs are identical.
    #[test]
    fn rust_and_typescript_twins_print_the_same() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/expected/");
        for (rust, ts) in [
            ("structure.config.out", "structure.config_ts.out"),
            ("structure.orders.out", "structure.orders_ts.out"),
        ] {
            let a = std::fs::read_to_string(format!("{root}{rust}")).expect(rust);
            let b = std::fs::read_to_string(format!("{root}{ts}")).expect(ts);
            assert_eq!(a, b, "{rust} and {ts} differ");
        }
    }
}
