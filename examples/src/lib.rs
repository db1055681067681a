//! Every code example of *Backend Fundamentals*.
//!
//! An example is a plain function `fn(&str) -> Result<String, InputError>`: it takes its input
//! (a scenario, parameters, SQL) as text and returns the output the book shows (a simulation
//! returns its drawing with it, from the same run: [`registry::Run`]). Each one is
//! listed once, in its chapter's `EXAMPLES`, and each chapter once, in the list below
//! ([`registry::CHAPTERS`]); from there
//!
//! * `cargo test -p examples` runs it on its default input and compares the result with
//!   `examples/expected/<id>.out`,
//! * the `mdbook-examples` preprocessor shows its source and that verified output in the page,
//! * the `playground` crate compiles the very same function to WebAssembly when it can run in a
//!   browser, in one module per chapter that `cargo xtask` derives from this list.
//!
//! Modules follow the book's chapters.

pub mod byteview;
pub mod clock;
pub mod figure;
pub mod input;
pub mod programs;
pub mod real_servers;
pub mod registry;
pub mod rng;
pub mod schedule;

pub use figure::Figure;
pub use registry::{CANNOT_RUN_HERE, Example, InputError, MEASURED_MARKER, REVEAL_MARKER, Runs};

/// "yes" or "no", as the examples print a check.
pub fn yes(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// `n` with its digits grouped in threes, as the pages write numbers: `80086` → `80,086`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The one list of chapters: `module "page.md"` declares the examples module
/// `examples/src/<module>/` (which ends with its `EXAMPLES`) and the page under `src/` that
/// teaches them. Its browser-capable examples get a WebAssembly module of their own, named
/// after the examples module. A chapter marked `(sqlite)` runs SQL: it is compiled only with
/// the `sqlite` feature and its examples share the `sql` WebAssembly module, which carries
/// SQLite.
///
/// Adding a chapter adds one line here; the native test `tests/wiring.rs` checks that its page,
/// its quiz and its examples agree with this line.
macro_rules! chapters {
    ($($module:ident $page:literal $(($sqlite:ident))?,)*) => {
        $( chapters!(@module $module $(, $sqlite)?); )*
        chapters!(@list [] $($module $page $(($sqlite))?,)*);
    };
    (@module $module:ident) => { pub mod $module; };
    (@module $module:ident, sqlite) => { #[cfg(feature = "sqlite")] pub mod $module; };
    // The list is built one chapter at a time, so that a SQL chapter's entry carries its `cfg`.
    (@list [$($done:tt)*] $module:ident $page:literal, $($rest:tt)*) => {
        chapters!(@list [$($done)*
            registry::Chapter {
                name: stringify!($module),
                page: $page,
                wasm_module: stringify!($module),
                examples: $module::EXAMPLES,
            },
        ] $($rest)*);
    };
    (@list [$($done:tt)*] $module:ident $page:literal (sqlite), $($rest:tt)*) => {
        chapters!(@list [$($done)*
            #[cfg(feature = "sqlite")]
            registry::Chapter {
                name: stringify!($module),
                page: $page,
                wasm_module: registry::SQL_MODULE,
                examples: $module::EXAMPLES,
            },
        ] $($rest)*);
    };
    (@list [$($done:tt)*]) => {
        /// Every chapter with examples in this build, in the order of the list.
        pub const CHAPTERS: &[registry::Chapter] = &[$($done)*];
    };
}

chapters! {
    processes "processes-threads-cores.md",
    event_loop "concurrency-event-loops.md",
    ipc "child-processes-ipc.md",
    scheduling "cpu-scheduling.md",
    memory "virtual-memory.md",
    networking "tcp-udp-http.md",
    balancing "load-balancers.md",
    dns "dns.md",
    tls "tls.md",
    cdn "cdns-edge.md",
    realtime "websockets-sse.md",
    apis "rest-grpc-graphql.md",
    apidesign "api-design-openapi.md",
    isolation "isolation-levels.md",
    replication "replication.md",
    sharding "sharding-replicas.md",
    search "search-cluster.md",
    reliability "reliability-scalability.md",
    consistency "cap-consistency.md",
    raft "raft.md",
    disttx "distributed-transactions.md",
    batch "batch-mapreduce.md",
    stream "stream-processing-cdc.md",
    estimates "back-of-envelope.md",
    resilience "timeouts-retries.md",
    locks "locks-deadlock.md",
    mvcc "locking-mvcc.md",
    files "syscalls-file-systems.md",
    caching "caching-strategies.md",
    pooling "connection-pooling.md",
    datamodels "data-models.md",
    indexes "indexes-query-plans.md",
    sql "how-this-book-works.md" (sqlite),
    sql_joins "sql-joins-normalization.md" (sqlite),
    datamodels_sql "data-models.md" (sqlite),
    acid "acid-transactions.md" (sqlite),
    orm "orm-odm.md" (sqlite),
    migrations "schema-migrations.md" (sqlite),
    indexes_sql "indexes-query-plans.md" (sqlite),
    typescript "typescript-backend.md",
    semver "package-lockfiles-semver.md",
    linters "linters-eslint-clippy.md",
    structure "backend-project-structure.md",
}
