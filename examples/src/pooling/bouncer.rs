//! What the chapter runs on a real PgBouncer in front of the real PostgreSQL 15: the
//! configuration the test writes, and the scripts its clients send. The test
//! (`examples/tests/real_servers/pooling.rs`) starts its own `pgbouncer` process on a free
//! loopback port with this configuration in a temporary directory, runs the scripts through it
//! once per pool mode, and compares what happened with `examples/data/pgbouncer-pool-modes.txt`,
//! which [`POOL_MODES`] prints.

use crate::real_servers::print_observation;
use crate::registry::{Example, InputError, Run, Runs};

pub const POOL_MODES: Example = Example {
    id: "pooling::pool_modes",
    title: "Session state under PgBouncer's session and transaction pooling, on real servers",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what PgBouncer and PostgreSQL did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs PgBouncer and PostgreSQL; the page shows what they did when the test last ran",
        simulation: Some("pooling::predict"),
    },
    run: Run::Text(pool_modes),
};

/// What the PgBouncer check observed, as checked in.
pub const POOL_MODES_OBSERVED: &str = include_str!("../../data/pgbouncer-pool-modes.txt");

fn pool_modes(input: &str) -> Result<String, InputError> {
    print_observation(POOL_MODES_OBSERVED, input)
}

// ANCHOR: ini
/// The configuration, with `{…}` filled in by the test. Two logical databases lead to the same
/// PostgreSQL database, one pooled per session and one per transaction, each with a pool of
/// two server connections.
pub const INI: &str = "\
[databases]
bf_session = host={pg_host} port={pg_port} dbname={pg_db} user={pg_user} pool_mode=session
bf_transaction = host={pg_host} port={pg_port} dbname={pg_db} user={pg_user} pool_mode=transaction

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
; no password: every client logs in as the database's user above (test only)
auth_type = any
default_pool_size = 2
; a client waits at most 1 s for a server connection, then gets an error
query_wait_timeout = 1
max_client_conn = 8
logfile =
pidfile =
{extra}";
// ANCHOR_END: ini

// ANCHOR: session_state
/// Session state set by client A, then looked at by A and by B, another client of the same
/// pool, while B keeps a transaction open; then A leaves and a new client C arrives. Every
/// statement of A is on its own (autocommit), as an application's usually are. `{key}` is an
/// advisory lock key of the run's own.
pub const SESSION_STATE: &str = "
-- A sets session state, one autocommit statement at a time.
A: SET statement_timeout = '7s'
A: SET TimeZone = 'Asia/Tokyo'
A: PREPARE q AS SELECT 42
A: CREATE TEMP TABLE scratch (x int)
A: SELECT pg_advisory_lock({key})
-- B, another client, opens a transaction and keeps it open.
B: BEGIN
-- A uses its state.
A: SHOW statement_timeout
A: SHOW TimeZone
A: EXECUTE q
A: SELECT count(*) FROM scratch
A: SELECT pg_advisory_unlock({key})
-- What B's session has, inside its transaction.
B: SHOW statement_timeout
B: SELECT name FROM pg_prepared_statements
B: SELECT to_regclass('pg_temp.scratch') IS NOT NULL AS has_scratch
B: SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
B: COMMIT
-- A disconnects; C, a new client, connects and looks.
A: disconnect
C: SHOW statement_timeout
C: SHOW TimeZone
C: SELECT name FROM pg_prepared_statements
C: SELECT to_regclass('pg_temp.scratch') IS NOT NULL AS has_scratch
C: SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
";
// ANCHOR_END: session_state

/// A protocol-level prepared statement: the client library's own `prepare` (Parse, then Bind
/// and Execute later), the kind drivers and ORMs send without being asked.
pub const PREPARED: &str = "SELECT $1::int * 2";

/// Pool exhaustion: two clients hold both server connections in open transactions, and a third
/// asks for one.
pub const EXHAUSTION: &str = "
A: BEGIN
B: BEGIN
C: SELECT 1
";
