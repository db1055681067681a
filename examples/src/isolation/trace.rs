//! What running a script produced, step by step, in a form that the engine and the test against
//! real servers share: the same types, the same text. Two runs behaved the same exactly when
//! their rendered traces are equal.

use std::fmt::Write as _;

use super::script::{Script, Statement};

/// What a statement returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Begin,
    /// `set transaction isolation level …`
    Set,
    Commit,
    Rollback,
    /// `commit` of a transaction that an error had already aborted: nothing was committed.
    RolledBack,
    /// A `select`: the rows, sorted by id.
    Rows(Vec<(i64, i64)>),
    /// An `insert`, `update` or `delete`: the number of rows it changed.
    Count(u64),
}

/// Why a serialization failure (SQLSTATE 40001) happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// First updater wins: the row changed after this transaction's snapshot
    /// (PostgreSQL: "could not serialize access due to concurrent update").
    ConcurrentUpdate,
    /// Serializable snapshot isolation found a dangerous structure
    /// ("… due to read/write dependencies among transactions").
    RwDependencies,
}

/// An error a statement ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Serialization(Cause),
    Deadlock,
    LockTimeout,
    Duplicate,
    /// The transaction had already failed; the statement did not run (PostgreSQL's 25P02).
    Ignored,
    Other(String),
}

/// How a statement started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// It ran at once.
    Ran,
    /// It had to wait for a row lock held by another transaction.
    Blocked,
    /// Its session was still waiting for an earlier statement, so it queued behind it.
    Queued,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    pub start: Start,
    /// The step (0-based) during which it finished: its own for a statement that ran at once,
    /// a later one for a statement that was blocked. `None`: still waiting when the script ended.
    pub finished_at: Option<usize>,
    pub result: Option<Result<Response, Failure>>,
}

/// A run of a script: one record per step, in script order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trace {
    pub steps: Vec<StepRecord>,
}

impl Trace {
    /// The result of step `index` if it finished.
    pub fn result(&self, index: usize) -> Option<&Result<Response, Failure>> {
        self.steps.get(index).and_then(|s| s.result.as_ref())
    }
}

/// The result of a statement in words: PostgreSQL's command tags for successes, a
/// vendor-neutral name for errors (the servers' codes differ).
pub fn describe(statement: &Statement, result: &Result<Response, Failure>) -> String {
    match result {
        Ok(Response::Begin) => "BEGIN".to_string(),
        Ok(Response::Set) => "SET".to_string(),
        Ok(Response::Commit) => "COMMIT".to_string(),
        Ok(Response::Rollback) => "ROLLBACK".to_string(),
        Ok(Response::RolledBack) => "ROLLBACK (the transaction had failed)".to_string(),
        Ok(Response::Rows(rows)) => rows_text(rows),
        Ok(Response::Count(n)) => {
            let tag = match statement {
                Statement::Insert { .. } => "INSERT",
                Statement::Update { .. } => "UPDATE",
                Statement::Delete { .. } => "DELETE",
                _ => "OK",
            };
            format!("{tag} {n}")
        }
        Err(failure) => failure_text(failure),
    }
}

pub fn failure_text(failure: &Failure) -> String {
    match failure {
        Failure::Serialization(Cause::ConcurrentUpdate) => {
            "ERROR serialization failure: concurrent update".to_string()
        }
        Failure::Serialization(Cause::RwDependencies) => {
            "ERROR serialization failure: read/write dependencies".to_string()
        }
        Failure::Deadlock => "ERROR deadlock detected".to_string(),
        Failure::LockTimeout => "ERROR lock wait timeout".to_string(),
        Failure::Duplicate => "ERROR duplicate key".to_string(),
        Failure::Ignored => "ERROR ignored: the transaction has already failed".to_string(),
        Failure::Other(message) => format!("ERROR {message}"),
    }
}

/// Rows as Hermitage writes them: `1 => 10, 2 => 20`.
pub fn rows_text(rows: &[(i64, i64)]) -> String {
    if rows.is_empty() {
        "(no rows)".to_string()
    } else {
        rows.iter().map(|(id, value)| format!("{id} => {value}")).collect::<Vec<_>>().join(", ")
    }
}

/// Width of the statement column in rendered traces.
const SQL_WIDTH: usize = 46;

/// The trace as text: one line per step, and under a step the statements that finished during
/// it after waiting. `indent` goes before every line.
pub fn render(script: &Script, trace: &Trace, indent: &str) -> String {
    render_with_notes(script, trace, indent, &|_| Vec::new())
}

/// Like [`render`], with `notes(step)` (explanations of what happened during that step)
/// printed under each step, before the statements that finished during it.
pub fn render_with_notes(
    script: &Script,
    trace: &Trace,
    indent: &str,
    notes: &dyn Fn(usize) -> Vec<String>,
) -> String {
    let mut out = String::new();
    for (i, (step, record)) in script.steps.iter().zip(&trace.steps).enumerate() {
        let status = match (record.start, record.finished_at) {
            (_, Some(at)) if at == i => describe(&step.statement, record.result.as_ref().expect("finished")),
            (Start::Queued, _) => "queued behind its blocked statement".to_string(),
            _ => "blocked".to_string(),
        };
        let _ = writeln!(out, "{indent}{:>2} T{} {:<SQL_WIDTH$} {status}", i + 1, step.session, step.text());
        for note in notes(i) {
            let _ = writeln!(out, "{indent}      · {note}");
        }
        for (j, (earlier, other)) in script.steps.iter().zip(&trace.steps).enumerate() {
            if j < i && other.finished_at == Some(i) {
                let text = format!("↳ step {}: {}", j + 1, earlier.text());
                let _ = writeln!(
                    out,
                    "{indent}   T{} {:<SQL_WIDTH$} {}",
                    earlier.session,
                    text,
                    describe(&earlier.statement, other.result.as_ref().expect("finished"))
                );
            }
        }
    }
    for (j, (step, record)) in script.steps.iter().zip(&trace.steps).enumerate() {
        if record.finished_at.is_none() {
            let _ = writeln!(
                out,
                "{indent}   T{} step {} never finished: still waiting at the end",
                step.session,
                j + 1
            );
        }
    }
    out
}
