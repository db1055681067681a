//! What the real servers did when `examples/tests/real_servers/disttx.rs` last ran, as checked
//! in under `examples/data/` (`cargo xtask bless` rewrites the files; the test fails when a
//! server disagrees): two-phase commit across two PostgreSQL databases, an XA branch on
//! MariaDB, and the outbox relay with NATS JetStream.

use crate::real_servers::print_observation;
use crate::registry::{Example, InputError, Run, Runs};

pub const POSTGRES_2PC: Example = Example {
    id: "disttx::postgres_2pc",
    title: "PREPARE TRANSACTION across two PostgreSQL databases, an in-doubt transaction, and its resolution",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real server did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a PostgreSQL server with max_prepared_transactions > 0; the page shows what it did",
        simulation: Some("disttx::two_pc"),
    },
    run: Run::Text(postgres_2pc),
};

pub const OUTBOX_NATS: Example = Example {
    id: "disttx::outbox_nats",
    title: "An outbox relay crashes between publish and mark: NATS JetStream and a deduplicating consumer",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real servers did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs PostgreSQL and a NATS server with JetStream; the page shows what they did",
        simulation: Some("disttx::saga"),
    },
    run: Run::Text(outbox_nats),
};

pub const MARIADB_XA: Example = Example {
    id: "disttx::mariadb_xa",
    title: "An XA branch on MariaDB outlives its session: XA RECOVER, a waiting writer, XA COMMIT from elsewhere",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real server did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a MariaDB server; the page shows what it did when the test last ran",
        simulation: Some("disttx::two_pc"),
    },
    run: Run::Text(mariadb_xa),
};

/// The XA observation, as checked in.
pub const MARIADB_XA_OBSERVED: &str = include_str!("../../data/disttx-xa-mariadb.txt");

fn mariadb_xa(input: &str) -> Result<String, InputError> {
    print_observation(MARIADB_XA_OBSERVED, input)
}

/// The 2PC observation, as checked in.
pub const POSTGRES_2PC_OBSERVED: &str = include_str!("../../data/disttx-2pc-postgres.txt");
/// The outbox observation, as checked in.
pub const OUTBOX_NATS_OBSERVED: &str = include_str!("../../data/disttx-outbox-nats.txt");

fn postgres_2pc(input: &str) -> Result<String, InputError> {
    print_observation(POSTGRES_2PC_OBSERVED, input)
}

fn outbox_nats(input: &str) -> Result<String, InputError> {
    print_observation(OUTBOX_NATS_OBSERVED, input)
}
