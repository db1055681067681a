//! What the real servers did when `examples/tests/real_servers/disttx.rs` last ran, as checked
//! in under `examples/data/` (`cargo xtask bless` rewrites the files; the test fails when a
//! server disagrees): two-phase commit across two PostgreSQL databases, an XA branch on
//! MariaDB, and the outbox relay with NATS JetStream. The examples that print them are defined
//! next to the code the page shows with them (`coordinator`, `outbox`).

use crate::real_servers::print_observation;
use crate::registry::InputError;

/// The XA observation, as checked in.
pub const MARIADB_XA_OBSERVED: &str = include_str!("../../data/disttx-xa-mariadb.txt");

pub fn mariadb_xa(input: &str) -> Result<String, InputError> {
    print_observation(MARIADB_XA_OBSERVED, input)
}

/// The 2PC observation, as checked in.
pub const POSTGRES_2PC_OBSERVED: &str = include_str!("../../data/disttx-2pc-postgres.txt");
/// The outbox observation, as checked in.
pub const OUTBOX_NATS_OBSERVED: &str = include_str!("../../data/disttx-outbox-nats.txt");

/// The crash observation (a private server of the test's own), as checked in.
pub const RESTART_OBSERVED: &str = include_str!("../../data/disttx-2pc-restart.txt");

pub fn postgres_2pc(input: &str) -> Result<String, InputError> {
    Ok(format!("{}\n{}", print_observation(POSTGRES_2PC_OBSERVED, input)?, RESTART_OBSERVED))
}

pub fn outbox_nats(input: &str) -> Result<String, InputError> {
    print_observation(OUTBOX_NATS_OBSERVED, input)
}
