//! A real PostgreSQL 15 primary and streaming replica: lag in `pg_stat_replication`, a read on
//! the replica that misses a committed write, what `synchronous_commit` levels wait for, and a
//! commit that hangs while the synchronous standby is down.
//!
//! `examples/tests/real_servers/replica.rs` builds the pair from these settings (a private
//! cluster: `initdb`, then `pg_basebackup -R`, on free loopback ports), runs the chapter's
//! steps, and compares what happened with `examples/data/pg-streaming-replica.txt`
//! (`cargo xtask bless` rewrites it); this example prints that file.

use crate::real_servers::print_observation;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "replication::streaming",
    title: "A PostgreSQL 15 streaming replica: lag, a stale read, synchronous_commit",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real PostgreSQL did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs two PostgreSQL servers; the page shows what they did when the test last ran",
        simulation: Some("sharding::replication"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/replica.rs` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/pg-streaming-replica.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: setup
/// Appended to the primary's `postgresql.conf` after `initdb --auth=trust` (whose `pg_hba.conf`
/// already lets `replication` connections in from 127.0.0.1).
pub const PRIMARY_CONF: &str = "
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
wal_level = replica              # the default: enough WAL for a physical replica
max_wal_senders = 4
max_replication_slots = 4
shared_buffers = 16MB
max_connections = 20
";

/// The physical replication slot `pg_basebackup -C -S` creates on the primary: the primary keeps
/// WAL until this replica has received it, even while the replica is down.
pub const SLOT: &str = "bf_replica";

/// The name the replica gives itself; `synchronous_standby_names` refers to it.
pub const APPLICATION_NAME: &str = "bf_replica";

/// Appended to the replica's `postgresql.auto.conf` after `pg_basebackup -R` (later lines win).
pub const REPLICA_CONF: &str = "
port = {port}
primary_conninfo = 'host=127.0.0.1 port={primary_port} user=postgres application_name={application_name}'
hot_standby = on                 # the default: read-only queries during recovery
";

/// On the primary, before the clone.
pub const TABLE: [&str; 2] = [
    "CREATE TABLE profile (id int PRIMARY KEY, name text NOT NULL)",
    "INSERT INTO profile VALUES (1, 'old')",
];

/// The primary's view of its standby, with positions compared to a token (an LSN the session
/// read right after its commit) and `replay_lag` as a class (its value is a timing). `write_lag`
/// and `flush_lag` are left out: how small they are, and whether they are back to null, depends
/// on when the standby last reported, which a loaded machine can shift.
pub const STAT_REPLICATION: &str = "SELECT application_name, state, sync_state,
       sent_lsn >= '{token}' AS sent, write_lsn >= '{token}' AS written,
       flush_lsn >= '{token}' AS flushed, replay_lsn >= '{token}' AS replayed,
       CASE WHEN replay_lag IS NULL THEN 'null' WHEN replay_lag < interval '1 second' THEN 'under 1 s' ELSE '1 s or more' END AS replay_lag
  FROM pg_stat_replication";
// ANCHOR_END: setup
