//! A two-phase-commit coordinator over PostgreSQL's `PREPARE TRANSACTION`, one connection per
//! participant database. The real-server test (`examples/tests/real_servers/disttx.rs`) runs
//! it across two databases, kills it between the phases, and resolves what it left behind.

use super::outbox::Sql;
use crate::registry::{Example, Run, Runs};

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
    run: Run::Text(super::observed::postgres_2pc),
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
    run: Run::Text(super::observed::mariadb_xa),
};

/// One participant: a name for the report, its connection, and its local work.
pub struct Participant<'a> {
    pub name: &'a str,
    pub db: &'a mut dyn Sql,
    pub work: &'a str,
}

// ANCHOR: phases
/// Phase 1: each participant does its work and `PREPARE TRANSACTION`: from then on its changes
/// survive a crash, its locks are held, and only `COMMIT PREPARED` or `ROLLBACK PREPARED` with
/// the same id ends it. Each branch's id is the global id plus the participant's name (XA's
/// gtrid and bqual): PostgreSQL wants a prepared transaction's id unique on its server, and
/// two participants may share one. An error anywhere is a "no" vote (PostgreSQL has then
/// rolled that participant back). Returns each vote.
pub fn prepare(participants: &mut [Participant], gid: &str) -> Vec<Result<(), String>> {
    participants
        .iter_mut()
        .map(|p| {
            p.db.run("BEGIN")?;
            let done =
                p.db.run(p.work).and_then(|_| p.db.run(&format!("PREPARE TRANSACTION '{gid}_{}'", p.name)));
            if done.is_err() {
                p.db.run("ROLLBACK")?; // ends the failed transaction block
            }
            done.map(|_| ())
        })
        .collect()
}

/// The decision: commit only if every participant voted yes.
pub fn decide(votes: &[Result<(), String>]) -> bool {
    votes.iter().all(Result::is_ok)
}

/// The coordinator's log, a table in a database of its own (`synchronous_commit` on, the
/// default: a committed row is on disk).
pub const LOG_TABLE: &str = "CREATE TABLE coordinator_log (gid text PRIMARY KEY, \
                             decision text NOT NULL CHECK (decision IN ('commit', 'abort')))";

/// The decision is forced to the coordinator's log before phase 2 starts, so that after a
/// crash it (or an operator) can finish the job: no row means nothing was decided, and presumed
/// abort says roll back.
pub fn log_decision(log: &mut dyn Sql, gid: &str, commit: bool) -> Result<(), String> {
    let decision = if commit { "commit" } else { "abort" };
    log.run(&format!("INSERT INTO coordinator_log VALUES ('{gid}', '{decision}')")).map(|_| ())
}

/// What the log says about `gid`: `Some(true)` commit, `Some(false)` abort, `None` no record.
pub fn logged_decision(log: &mut dyn Sql, gid: &str) -> Result<Option<bool>, String> {
    let rows = log.run(&format!("SELECT decision FROM coordinator_log WHERE gid = '{gid}'"))?;
    Ok(rows.first().map(|row| row[0] == "commit"))
}

/// Phase 2: the decision to every participant that prepared. Retried until it succeeds in a
/// real coordinator: a prepared transaction cannot decide by itself.
pub fn finish(
    participants: &mut [Participant],
    votes: &[Result<(), String>],
    gid: &str,
    commit: bool,
) -> Vec<Result<(), String>> {
    let verb = if commit { "COMMIT PREPARED" } else { "ROLLBACK PREPARED" };
    participants
        .iter_mut()
        .zip(votes)
        .filter(|(_, vote)| vote.is_ok())
        .map(|(p, _)| p.db.run(&format!("{verb} '{gid}_{}'", p.name)).map(|_| ()))
        .collect()
}
// ANCHOR_END: phases

// ANCHOR: xa
/// The XA branch the MariaDB check prepares (`{xid}` is the transaction's id), one statement
/// at a time; the session then disconnects, and another one finishes the branch.
pub const XA_BRANCH: [&str; 4] = [
    "XA START '{xid}'",
    "UPDATE accounts SET balance = balance - 30 WHERE id = 1",
    "XA END '{xid}'",
    "XA PREPARE '{xid}'",
];
/// What the new session runs to find and finish it.
pub const XA_RESOLVE: [&str; 2] = ["XA RECOVER", "XA COMMIT '{xid}'"];
// ANCHOR_END: xa
