//! A multi-version (MVCC) transaction engine with the four SQL isolation levels, modelled on
//! PostgreSQL. Pure Rust, no I/O: it runs a script of interleaved statements and reports, step
//! by step, what each statement returned, which ones waited for a lock, and which failed.
//!
//! * **Versions.** Every row is a chain of versions, each stamped with the transaction that
//!   created it; an update appends a version, a delete appends a tombstone. Nothing is
//!   overwritten in place, so readers never wait for writers.
//! * **Snapshots.** A snapshot is the commit counter at the moment it is taken: it sees the
//!   versions of transactions that had committed by then, plus its own. Read committed takes a
//!   new one for every statement; repeatable read and serializable take one at the transaction's
//!   first query and keep it (snapshot isolation). Read uncommitted lets a plain `select` see the
//!   newest version of each row, committed or not (a dirty read); its writes and locking reads
//!   use committed data, as InnoDB's do. (PostgreSQL itself runs read uncommitted as read
//!   committed.)
//! * **Row locks.** A transaction that writes a row (or reads it `for update`) holds its lock
//!   until it ends; another writer of that row blocks. When the holder ends, the waiter goes on:
//!   at read committed it re-reads the newest version and re-checks its `where` (PostgreSQL's
//!   "EvalPlanQual"); at repeatable read and serializable a row changed since the snapshot is a
//!   serialization failure, SQLSTATE 40001 (first updater wins).
//! * **Serializable** is serializable snapshot isolation (SSI) as PostgreSQL does it (Cahill,
//!   Röhm and Fekete 2008; Ports and Grittner 2012): snapshot isolation plus tracking of
//!   read-write anti-dependencies between serializable transactions, and the same rules as
//!   PostgreSQL's `predicate.c` for when a "dangerous structure" T1 -rw-> T2 -rw-> T3 (T3
//!   committed first) makes a transaction fail. Reads are tracked as the predicates they used,
//!   which is more precise than PostgreSQL's tuple, page and relation locks (a sequential scan
//!   there locks the whole table), so the engine can abort less often than PostgreSQL; on
//!   Hermitage's cases the two agree statement by statement.
//! * **Deadlocks** are found when a lock request would close a cycle of waits; the requester
//!   fails (what PostgreSQL does when the other transaction has already waited longer than its
//!   `deadlock_timeout`, 1 s by default).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::script::{Expr, Level, Predicate, Script, Statement, Step};
use super::trace::{Cause, Failure, Response, Start, StepRecord, Trace};
use crate::registry::InputError;

/// A transaction, by index; 0 is the transaction that loaded the initial rows.
pub type TxId = usize;
pub const INITIAL: TxId = 0;

/// No valid script comes near this many engine steps (statements run, resumed or queued);
/// the run stops with an error rather than loop.
pub const STEP_BUDGET: usize = 20_000;

// ANCHOR: types
/// One version of a row: its value (`None` for a delete) and the transaction that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub value: Option<i64>,
    pub creator: TxId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    /// Committed; the number is its place in commit order (the initial load is 0).
    Committed(u64),
    Aborted,
}

/// The one rule of visibility: a reader sees its own writes, and what was committed by the
/// time of its snapshot (a commit count).
fn sees(own: bool, creator: Status, snapshot: u64) -> bool {
    own || matches!(creator, Status::Committed(at) if at <= snapshot)
}

/// What a serializable transaction carries for SSI (the fields of PostgreSQL's
/// `SERIALIZABLEXACT` that the rules below read).
#[derive(Debug, Clone, Default)]
struct Ssi {
    /// The `where` clauses it read with: its predicate ("SIREAD") locks. Kept after commit
    /// while overlapping transactions may still write.
    predicates: Vec<Predicate>,
    /// Chosen to fail: its next statement or its commit is a serialization failure.
    doomed: bool,
    prepare: Option<u64>,
    commit: Option<u64>,
    /// Committed without writing anything.
    read_only: bool,
    /// Committed with an rw-conflict out to a transaction that committed before it.
    conflict_out: bool,
    earliest_out_conflict: u64,
    /// The SSI commit counter when it took its snapshot.
    last_commit_before_snapshot: u64,
}

#[derive(Debug, Clone)]
struct Tx {
    label: String,
    session: usize,
    level: Level,
    /// Started with `begin`; otherwise a single autocommitted statement.
    explicit: bool,
    status: Status,
    /// An error aborted it; its session has not yet said `commit` or `rollback`.
    failed: bool,
    /// Commit counter at its snapshot (repeatable read and serializable).
    snapshot: Option<u64>,
    wrote: bool,
    ssi: Ssi,
}
// ANCHOR_END: types

/// A read, kept for the serialization graph: which version of each row the reader saw (an
/// index into the row's chain; in a predicate read, rows missing from `seen` did not exist
/// for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadEvent {
    pub tx: TxId,
    pub step: usize,
    pub filter: Predicate,
    /// A predicate read saw the whole table (`seen` has every row that existed for it); an
    /// item read is one row a write based itself on.
    pub predicate: bool,
    pub seen: BTreeMap<i64, usize>,
    /// The rows it returned: the item reads.
    pub returned: Vec<i64>,
}

/// A transaction as the serialization graph sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxInfo {
    pub label: String,
    pub session: usize,
    pub status: Status,
}

/// Everything that happened to the data: for the serialization graph.
#[derive(Debug, Clone)]
pub struct History {
    pub rows: BTreeMap<i64, Vec<Version>>,
    pub txs: Vec<TxInfo>,
    pub reads: Vec<ReadEvent>,
}

/// The result of running a script at one level.
#[derive(Debug, Clone)]
pub struct Run {
    pub script: Script,
    pub level: Level,
    pub trace: Trace,
    pub history: History,
    /// Explanations, each with the step (0-based) during which it happened.
    pub notes: Vec<(usize, String)>,
    /// The rows at the end, as a new transaction would see them.
    pub final_rows: Vec<(i64, i64)>,
}

#[derive(Debug, Clone)]
enum RowWork {
    Update(Expr),
    Delete,
    /// `select … for update`: lock the rows, return them.
    Lock,
}

#[derive(Debug, Clone)]
enum Work {
    Rows {
        kind: RowWork,
        filter: Predicate,
        /// Snapshot of the statement: which rows it chose, and which version it saw.
        snapshot: u64,
        /// Its predicate read in `Engine::reads` (a re-check updates the version it saw).
        scan: usize,
        candidates: Vec<i64>,
        next: usize,
        count: u64,
        locked: Vec<(i64, i64)>,
    },
    Insert {
        rows: Vec<(i64, i64)>,
        next: usize,
    },
}

/// A statement waiting for a row lock.
#[derive(Debug, Clone)]
struct Pending {
    step: usize,
    waiting_for: TxId,
    work: Work,
}

#[derive(Debug, Clone, Default)]
struct Session {
    tx: Option<TxId>,
    pending: Option<Pending>,
    queue: VecDeque<usize>,
    transactions: usize,
}

enum Outcome {
    Done(Result<Response, Failure>),
    Blocked(Pending),
}

struct Engine<'a> {
    level: Level,
    steps: &'a [Step],
    rows: BTreeMap<i64, Vec<Version>>,
    txs: Vec<Tx>,
    sessions: Vec<Session>,
    commit_seq: u64,
    ssi_seq: u64,
    locks: BTreeMap<i64, TxId>,
    /// SSI rw-conflicts, `(reader, writer)`: the reader read something the writer changed.
    conflicts: BTreeSet<(TxId, TxId)>,
    reads: Vec<ReadEvent>,
    trace: Vec<StepRecord>,
    notes: Vec<(usize, String)>,
    now: usize,
    work: usize,
}

/// Runs `script` with every transaction at `level` (unless a statement sets another).
pub fn run(script: &Script, level: Level) -> Result<Run, InputError> {
    run_inner(script, level, None)
}

// ANCHOR: moment
/// The engine between two steps, for a caller that shows its state as a run goes on (the
/// chapter "Locking and MVCC" draws every row version and who sees it). See [`run_observed`].
pub struct Moment<'a> {
    /// The step (0-based) that has just run, with everything it unblocked.
    pub step: usize,
    /// Every row's versions, oldest first; a delete is a version without a value.
    pub rows: &'a BTreeMap<i64, Vec<Version>>,
    /// The row locks: for each locked row, the transaction that holds it.
    pub locks: &'a BTreeMap<i64, TxId>,
    /// Transactions committed so far: the snapshot a statement starting now would take.
    pub commit_seq: u64,
    /// Every transaction so far, by [`TxId`] (0 loaded the initial rows).
    pub txs: Vec<TxView>,
}

/// A transaction as a [`Moment`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxView {
    pub label: String,
    pub session: usize,
    pub level: Level,
    pub status: Status,
    /// Its transaction snapshot (repeatable read and serializable, from the first query on).
    pub snapshot: Option<u64>,
    /// It has written a row.
    pub wrote: bool,
    /// Its statement that waits for a row lock: the step that statement started at.
    pub waiting: Option<usize>,
}

impl Moment<'_> {
    /// Whether a statement of `reader` that started now would see what `creator` wrote;
    /// `reader` `None` is a new transaction.
    pub fn sees(&self, reader: Option<TxId>, creator: TxId) -> bool {
        let snapshot = reader.and_then(|tx| self.txs[tx].snapshot).unwrap_or(self.commit_seq);
        sees(reader == Some(creator), self.txs[creator].status, snapshot)
    }

    /// The version of `chain` that such a statement reads (a row it does not see at all, or
    /// whose visible version is a delete, is `None` or a version without a value).
    pub fn visible(&self, reader: Option<TxId>, chain: &[Version]) -> Option<usize> {
        (0..chain.len()).rev().find(|&i| self.sees(reader, chain[i].creator))
    }
}

/// Runs `script` like [`run`], and calls `observe` after every step.
pub fn run_observed(
    script: &Script,
    level: Level,
    observe: &mut dyn FnMut(&Moment<'_>),
) -> Result<Run, InputError> {
    run_inner(script, level, Some(observe))
}
// ANCHOR_END: moment

fn run_inner(
    script: &Script,
    level: Level,
    mut observe: Option<&mut dyn FnMut(&Moment<'_>)>,
) -> Result<Run, InputError> {
    let mut rows = BTreeMap::new();
    for &(id, value) in &script.rows {
        rows.insert(id, vec![Version { value: Some(value), creator: INITIAL }]);
    }
    let initial = Tx {
        label: "T0".to_string(),
        session: 0,
        level,
        explicit: true,
        status: Status::Committed(0),
        failed: false,
        snapshot: Some(0),
        wrote: true,
        ssi: Ssi::default(),
    };
    let mut engine = Engine {
        level,
        steps: &script.steps,
        rows,
        txs: vec![initial],
        sessions: vec![Session::default(); super::script::MAX_SESSIONS + 1],
        commit_seq: 0,
        ssi_seq: 0,
        locks: BTreeMap::new(),
        conflicts: BTreeSet::new(),
        reads: Vec::new(),
        trace: vec![StepRecord { start: Start::Ran, finished_at: None, result: None }; script.steps.len()],
        notes: Vec::new(),
        now: 0,
        work: 0,
    };
    for i in 0..script.steps.len() {
        engine.now = i;
        engine.run_step(i);
        if engine.work > STEP_BUDGET {
            return Err(InputError::new(format!(
                "the run did not finish within its budget of {STEP_BUDGET} engine steps"
            )));
        }
        if let Some(observe) = observe.as_mut() {
            observe(&engine.moment(i));
        }
    }
    let final_rows = engine
        .rows
        .iter()
        .filter_map(|(&id, chain)| {
            let newest =
                chain.iter().rev().find(|v| matches!(engine.txs[v.creator].status, Status::Committed(_)))?;
            newest.value.map(|value| (id, value))
        })
        .collect();
    Ok(Run {
        script: script.clone(),
        level,
        trace: Trace { steps: engine.trace },
        history: History {
            rows: engine.rows,
            txs: engine
                .txs
                .iter()
                .map(|tx| TxInfo { label: tx.label.clone(), session: tx.session, status: tx.status })
                .collect(),
            reads: engine.reads,
        },
        notes: engine.notes,
        final_rows,
    })
}

impl Engine<'_> {
    fn moment(&self, step: usize) -> Moment<'_> {
        let waiting = |session: usize| self.sessions[session].pending.as_ref().map(|p| p.step);
        Moment {
            step,
            rows: &self.rows,
            locks: &self.locks,
            commit_seq: self.commit_seq,
            txs: self
                .txs
                .iter()
                .enumerate()
                .map(|(id, tx)| TxView {
                    label: tx.label.clone(),
                    session: tx.session,
                    level: tx.level,
                    status: tx.status,
                    snapshot: tx.snapshot,
                    wrote: tx.wrote,
                    waiting: if self.sessions[tx.session].tx == Some(id) && id != INITIAL {
                        waiting(tx.session)
                    } else {
                        None
                    },
                })
                .collect(),
        }
    }

    fn label(&self, tx: TxId) -> &str {
        &self.txs[tx].label
    }

    fn note(&mut self, text: String) {
        self.notes.push((self.now, text));
    }

    fn serializable(&self, tx: TxId) -> bool {
        tx != INITIAL && self.txs[tx].level == Level::Serializable
    }

    fn run_step(&mut self, i: usize) {
        let session = self.steps[i].session;
        if self.sessions[session].pending.is_some() {
            self.trace[i].start = Start::Queued;
            self.sessions[session].queue.push_back(i);
            return;
        }
        self.execute(i);
    }

    fn execute(&mut self, i: usize) {
        self.work += 1;
        let session = self.steps[i].session;
        let outcome = self.dispatch(i);
        self.settle(i, session, outcome);
    }

    fn settle(&mut self, i: usize, session: usize, outcome: Outcome) {
        match outcome {
            Outcome::Done(result) => self.finish(i, result),
            Outcome::Blocked(pending) => {
                if self.trace[i].start == Start::Ran {
                    self.trace[i].start = Start::Blocked;
                }
                self.sessions[session].pending = Some(pending);
            }
        }
    }

    /// Records the result of step `i`; a query's error aborts its transaction, and an
    /// autocommitted statement commits.
    fn finish(&mut self, i: usize, mut result: Result<Response, Failure>) {
        let session = self.steps[i].session;
        if self.steps[i].statement.is_query()
            && let Some(tx) = self.sessions[session].tx
        {
            let auto = !self.txs[tx].explicit;
            match &result {
                Err(Failure::Ignored) => {}
                Err(_) => {
                    if auto {
                        self.sessions[session].tx = None;
                    } else {
                        self.txs[tx].failed = true;
                    }
                    self.abort(tx);
                }
                Ok(_) if auto => {
                    self.sessions[session].tx = None;
                    if let Err(failure) = self.commit(tx) {
                        result = Err(failure);
                    }
                }
                Ok(_) => {}
            }
        }
        self.trace[i].finished_at = Some(self.now);
        self.trace[i].result = Some(result);
    }

    fn new_tx(&mut self, session: usize, level: Level, explicit: bool) -> TxId {
        self.sessions[session].transactions += 1;
        let n = self.sessions[session].transactions;
        let label = if n == 1 { format!("T{session}") } else { format!("T{session}.{n}") };
        self.txs.push(Tx {
            label,
            session,
            level,
            explicit,
            status: Status::Active,
            failed: false,
            snapshot: None,
            wrote: false,
            ssi: Ssi::default(),
        });
        self.txs.len() - 1
    }

    fn dispatch(&mut self, i: usize) -> Outcome {
        let step = &self.steps[i];
        let session = step.session;
        match &step.statement {
            Statement::Begin { level } => {
                let level = level.unwrap_or(self.level);
                let tx = self.new_tx(session, level, true);
                self.sessions[session].tx = Some(tx);
                Outcome::Done(Ok(Response::Begin))
            }
            Statement::SetIsolation(level) => {
                let tx = self.sessions[session].tx.expect("checked when parsing");
                self.txs[tx].level = *level;
                Outcome::Done(Ok(Response::Set))
            }
            Statement::Commit => {
                let tx = self.sessions[session].tx.take().expect("checked when parsing");
                if self.txs[tx].failed {
                    return Outcome::Done(Ok(Response::RolledBack));
                }
                Outcome::Done(self.commit(tx).map(|()| Response::Commit))
            }
            Statement::Rollback => {
                let tx = self.sessions[session].tx.take().expect("checked when parsing");
                if self.txs[tx].status == Status::Active {
                    self.abort(tx);
                }
                Outcome::Done(Ok(Response::Rollback))
            }
            statement => {
                let statement = statement.clone();
                let tx = match self.sessions[session].tx {
                    Some(tx) => tx,
                    None => {
                        let tx = self.new_tx(session, self.level, false);
                        self.sessions[session].tx = Some(tx);
                        tx
                    }
                };
                if self.txs[tx].failed {
                    return Outcome::Done(Err(Failure::Ignored));
                }
                self.take_snapshot(tx);
                if self.serializable(tx) && self.txs[tx].ssi.doomed {
                    self.note(format!(
                        "{} was chosen earlier to break a dangerous structure: it fails now",
                        self.label(tx)
                    ));
                    return Outcome::Done(Err(Failure::Serialization(Cause::RwDependencies)));
                }
                self.query(tx, i, statement)
            }
        }
    }

    // ANCHOR: visibility
    /// Repeatable read and serializable: one snapshot, taken at the first query.
    fn take_snapshot(&mut self, tx: TxId) {
        let level = self.txs[tx].level;
        if level >= Level::RepeatableRead && self.txs[tx].snapshot.is_none() {
            self.txs[tx].snapshot = Some(self.commit_seq);
            self.txs[tx].ssi.last_commit_before_snapshot = self.ssi_seq;
            self.note(format!(
                "{} takes its snapshot: it will see what had committed by now",
                self.label(tx)
            ));
        }
    }

    /// The snapshot a statement of `tx` reads with: the transaction's, or (read committed and
    /// read uncommitted) a fresh one for every statement.
    fn statement_snapshot(&self, tx: TxId) -> u64 {
        self.txs[tx].snapshot.unwrap_or(self.commit_seq)
    }

    /// Whether `reader`, reading with `snapshot`, sees what `creator` wrote.
    fn sees(&self, reader: TxId, snapshot: u64, creator: TxId) -> bool {
        sees(creator == reader, self.txs[creator].status, snapshot)
    }

    /// The version of `chain` that `reader` sees: the newest one it may see.
    fn visible(&self, reader: TxId, snapshot: u64, chain: &[Version]) -> Option<usize> {
        (0..chain.len()).rev().find(|&i| self.sees(reader, snapshot, chain[i].creator))
    }

    /// The newest version whose writer has not aborted: what a dirty read sees, and what a
    /// writer finds once it holds the row's lock.
    fn newest(&self, chain: &[Version]) -> Option<usize> {
        (0..chain.len()).rev().find(|&i| self.txs[chain[i].creator].status != Status::Aborted)
    }
    // ANCHOR_END: visibility

    fn query(&mut self, tx: TxId, i: usize, statement: Statement) -> Outcome {
        let snapshot = self.statement_snapshot(tx);
        match statement {
            Statement::Select { filter, for_update: false } => self.select(tx, i, filter, snapshot),
            Statement::Select { filter, for_update: true } => {
                self.start_rows(tx, i, RowWork::Lock, filter, snapshot)
            }
            Statement::Update { set, filter } => {
                self.start_rows(tx, i, RowWork::Update(set), filter, snapshot)
            }
            Statement::Delete { filter } => self.start_rows(tx, i, RowWork::Delete, filter, snapshot),
            Statement::Insert { rows } => self.continue_insert(tx, i, rows, 0),
            _ => unreachable!("not a query"),
        }
    }

    /// Scans the table as `tx` sees it with `snapshot` (dirty for a read-uncommitted `select`),
    /// records the read for the serialization graph (a `select` also reads the rows it returns;
    /// a write reads each row when it writes it) and, for a serializable transaction, checks
    /// for rw-conflicts with writes it cannot see and registers its predicate.
    fn scan(
        &mut self,
        tx: TxId,
        i: usize,
        filter: &Predicate,
        snapshot: u64,
        dirty: bool,
        select: bool,
    ) -> Result<Vec<(i64, i64)>, Failure> {
        let mut seen = BTreeMap::new();
        let mut matched = Vec::new();
        for (&id, chain) in &self.rows {
            let version = if dirty { self.newest(chain) } else { self.visible(tx, snapshot, chain) };
            if let Some(v) = version {
                seen.insert(id, v);
                if let Some(value) = chain[v].value.filter(|&value| filter.matches(id, value)) {
                    matched.push((id, value));
                }
            }
        }
        self.reads.push(ReadEvent {
            tx,
            step: i,
            filter: filter.clone(),
            predicate: true,
            seen: seen.clone(),
            returned: if select { matched.iter().map(|(id, _)| *id).collect() } else { Vec::new() },
        });
        if self.serializable(tx) {
            self.ssi_read(tx, filter, &seen)?;
        }
        Ok(matched)
    }

    fn select(&mut self, tx: TxId, i: usize, filter: Predicate, snapshot: u64) -> Outcome {
        let dirty = self.txs[tx].level == Level::ReadUncommitted;
        Outcome::Done(self.scan(tx, i, &filter, snapshot, dirty, true).map(Response::Rows))
    }

    fn start_rows(&mut self, tx: TxId, i: usize, kind: RowWork, filter: Predicate, snapshot: u64) -> Outcome {
        let candidates = match self.scan(tx, i, &filter, snapshot, false, false) {
            Ok(rows) => rows.into_iter().map(|(id, _)| id).collect(),
            Err(failure) => return Outcome::Done(Err(failure)),
        };
        let scan = self.reads.len() - 1;
        let work =
            Work::Rows { kind, filter, snapshot, scan, candidates, next: 0, count: 0, locked: Vec::new() };
        self.continue_work(tx, i, work)
    }

    fn continue_work(&mut self, tx: TxId, i: usize, work: Work) -> Outcome {
        match work {
            Work::Rows { kind, filter, snapshot, scan, candidates, next, count, locked } => {
                self.continue_rows(tx, i, kind, filter, snapshot, scan, candidates, next, count, locked)
            }
            Work::Insert { rows, next } => self.continue_insert(tx, i, rows, next),
        }
    }

    /// Whether `tx` waiting for `holder` would close a cycle of waits.
    fn would_deadlock(&self, tx: TxId, holder: TxId) -> bool {
        let mut current = holder;
        for _ in 0..=self.txs.len() {
            if current == tx {
                return true;
            }
            let session = &self.sessions[self.txs[current].session];
            match &session.pending {
                Some(pending) if session.tx == Some(current) => current = pending.waiting_for,
                _ => return false,
            }
        }
        false
    }

    /// The row is locked by another transaction: wait for it, unless that is a deadlock.
    fn wait(&mut self, tx: TxId, holder: TxId, row: i64, i: usize, work: Work) -> Outcome {
        if self.would_deadlock(tx, holder) {
            self.note(format!(
                "{} would wait for {}, which already waits for {}: a deadlock, so {} fails",
                self.label(tx),
                self.label(holder),
                self.label(tx),
                self.label(tx)
            ));
            return Outcome::Done(Err(Failure::Deadlock));
        }
        self.note(format!("{} waits: {} holds the lock on row {row}", self.label(tx), self.label(holder)));
        Outcome::Blocked(Pending { step: i, waiting_for: holder, work })
    }

    // ANCHOR: write
    /// Updates, deletes or locks the chosen rows one by one, in id order.
    #[allow(clippy::too_many_arguments)]
    fn continue_rows(
        &mut self,
        tx: TxId,
        i: usize,
        kind: RowWork,
        filter: Predicate,
        snapshot: u64,
        scan: usize,
        candidates: Vec<i64>,
        mut next: usize,
        mut count: u64,
        mut locked: Vec<(i64, i64)>,
    ) -> Outcome {
        while next < candidates.len() {
            let row = candidates[next];
            if let Some(&holder) = self.locks.get(&row).filter(|&&holder| holder != tx) {
                let work = Work::Rows { kind, filter, snapshot, scan, candidates, next, count, locked };
                return self.wait(tx, holder, row, i, work);
            }
            let chain = &self.rows[&row];
            let newest = self.newest(chain).expect("a chosen row has a version");
            let seen = self.visible(tx, snapshot, chain).expect("a chosen row is visible");
            let mut current = chain[seen].value.expect("a chosen row is live");
            let mut base = seen;
            if newest != seen {
                // Another transaction changed the row and committed after our snapshot.
                let writer = chain[newest].creator;
                if self.txs[tx].level >= Level::RepeatableRead {
                    self.note(format!(
                        "row {row} changed after {}'s snapshot ({} committed it): first updater wins, {} fails",
                        self.label(tx),
                        self.label(writer),
                        self.label(tx)
                    ));
                    return Outcome::Done(Err(Failure::Serialization(Cause::ConcurrentUpdate)));
                }
                // Read committed: re-read the newest version and re-check the condition.
                let value = chain[newest].value;
                let still = value.is_some_and(|v| filter.matches(row, v));
                // The statement's predicate read now saw the newest version of this row.
                self.reads[scan].seen.insert(row, newest);
                self.note(format!(
                    "{} re-checks row {row} on {}'s committed version ({}): {}",
                    self.label(tx),
                    self.label(writer),
                    value.map_or("deleted".to_string(), |v| format!("value {v}")),
                    if still { "still matches" } else { "no longer matches, skipped" }
                ));
                if !still {
                    next += 1;
                    continue;
                }
                current = value.expect("checked");
                base = newest;
            }
            self.reads.push(ReadEvent {
                tx,
                step: i,
                filter: filter.clone(),
                predicate: false,
                seen: BTreeMap::from([(row, base)]),
                returned: vec![row],
            });
            let new = match kind {
                RowWork::Update(set) => Some(set.apply(current)),
                RowWork::Delete => None,
                RowWork::Lock => {
                    self.locks.insert(row, tx);
                    locked.push((row, current));
                    next += 1;
                    continue;
                }
            };
            if self.serializable(tx)
                && let Err(failure) = self.ssi_write(tx, row, Some(current), new)
            {
                return Outcome::Done(Err(failure));
            }
            self.rows.get_mut(&row).expect("exists").push(Version { value: new, creator: tx });
            self.locks.insert(row, tx);
            self.txs[tx].wrote = true;
            count += 1;
            next += 1;
        }
        match kind {
            RowWork::Lock => Outcome::Done(Ok(Response::Rows(locked))),
            _ => Outcome::Done(Ok(Response::Count(count))),
        }
    }
    // ANCHOR_END: write

    fn continue_insert(&mut self, tx: TxId, i: usize, rows: Vec<(i64, i64)>, mut next: usize) -> Outcome {
        while next < rows.len() {
            let (id, value) = rows[next];
            if let Some(&holder) = self.locks.get(&id).filter(|&&holder| holder != tx) {
                return self.wait(tx, holder, id, i, Work::Insert { rows, next });
            }
            let live = self.rows.get(&id).and_then(|chain| self.newest(chain).and_then(|v| chain[v].value));
            if live.is_some() {
                self.note(format!("a row with id {id} already exists"));
                return Outcome::Done(Err(Failure::Duplicate));
            }
            if self.serializable(tx)
                && let Err(failure) = self.ssi_write(tx, id, None, Some(value))
            {
                return Outcome::Done(Err(failure));
            }
            self.rows.entry(id).or_default().push(Version { value: Some(value), creator: tx });
            self.locks.insert(id, tx);
            self.txs[tx].wrote = true;
            next += 1;
        }
        Outcome::Done(Ok(Response::Count(rows.len() as u64)))
    }

    fn commit(&mut self, tx: TxId) -> Result<(), Failure> {
        if self.serializable(tx)
            && let Err(failure) = self.ssi_pre_commit(tx)
        {
            self.abort(tx);
            return Err(failure);
        }
        self.commit_seq += 1;
        self.txs[tx].status = Status::Committed(self.commit_seq);
        if self.serializable(tx) {
            self.ssi_committed(tx);
        }
        self.release(tx);
        Ok(())
    }

    fn abort(&mut self, tx: TxId) {
        self.txs[tx].status = Status::Aborted;
        self.conflicts.retain(|&(reader, writer)| reader != tx && writer != tx);
        self.txs[tx].ssi.predicates.clear();
        self.release(tx);
    }

    /// Releases the row locks of `tx` and lets the statements that waited for it go on, in the
    /// order they started waiting.
    fn release(&mut self, tx: TxId) {
        self.locks.retain(|_, holder| *holder != tx);
        let mut waiters: Vec<(usize, usize)> = self
            .sessions
            .iter()
            .enumerate()
            .filter_map(|(s, session)| {
                session.pending.as_ref().filter(|p| p.waiting_for == tx).map(|p| (p.step, s))
            })
            .collect();
        waiters.sort_unstable();
        for (_, session) in waiters {
            self.resume(session);
        }
    }

    fn resume(&mut self, session: usize) {
        let Some(pending) = self.sessions[session].pending.take() else { return };
        self.work += 1;
        let tx = self.sessions[session].tx.expect("a waiting statement has a transaction");
        self.note(format!("{} resumes: {} has ended", self.label(tx), self.label(pending.waiting_for)));
        let outcome = self.continue_work(tx, pending.step, pending.work);
        self.settle(pending.step, session, outcome);
        while self.sessions[session].pending.is_none() && self.work <= STEP_BUDGET {
            let Some(next) = self.sessions[session].queue.pop_front() else { break };
            self.execute(next);
        }
    }

    // ANCHOR: ssi
    /// A serializable transaction `tx` read with `filter` and saw version `seen[row]` of each
    /// row: every newer version written by a concurrent serializable transaction, that the
    /// predicate cares about, is an rw-conflict `tx -rw-> writer`.
    fn ssi_read(&mut self, tx: TxId, filter: &Predicate, seen: &BTreeMap<i64, usize>) -> Result<(), Failure> {
        let mut writers = Vec::new();
        for (&id, chain) in &self.rows {
            let from = seen.get(&id).map_or(0, |&v| v + 1);
            let saw = seen.get(&id).and_then(|&v| chain[v].value).is_some_and(|v| filter.matches(id, v));
            for version in &chain[from..] {
                let writer = version.creator;
                let cares = saw || version.value.is_some_and(|v| filter.matches(id, v));
                let concurrent = self.txs[writer].status != Status::Aborted && writer != tx;
                if cares && concurrent && self.serializable(writer) && !self.txs[writer].ssi.doomed {
                    writers.push(writer);
                }
            }
        }
        if !self.txs[tx].ssi.predicates.contains(filter) {
            self.txs[tx].ssi.predicates.push(filter.clone());
        }
        for writer in writers {
            if !self.conflicts.contains(&(tx, writer)) {
                self.flag_conflict(tx, writer, tx)?;
            }
        }
        Ok(())
    }

    /// A serializable transaction `tx` writes `row` (from `old` to `new`): every overlapping
    /// serializable transaction whose predicate covers the old or the new value had read what
    /// this write changes, an rw-conflict `reader -rw-> tx`.
    fn ssi_write(&mut self, tx: TxId, row: i64, old: Option<i64>, new: Option<i64>) -> Result<(), Failure> {
        let snapshot = self.txs[tx].snapshot.expect("taken at the first query");
        for reader in 1..self.txs.len() {
            let r = &self.txs[reader];
            let overlaps = match r.status {
                Status::Active => true,
                Status::Committed(at) => at > snapshot,
                Status::Aborted => false,
            };
            let covers = |p: &Predicate| {
                old.is_some_and(|v| p.matches(row, v)) || new.is_some_and(|v| p.matches(row, v))
            };
            if reader != tx
                && self.serializable(reader)
                && overlaps
                && !r.ssi.doomed
                && !self.conflicts.contains(&(reader, tx))
                && r.ssi.predicates.iter().any(covers)
            {
                self.flag_conflict(reader, tx, tx)?;
            }
        }
        Ok(())
    }

    /// Records `reader -rw-> writer` after checking, with PostgreSQL's three rules, whether it
    /// completes a dangerous structure whose last transaction already committed (or prepared).
    /// `me` is the transaction whose statement found the conflict.
    fn flag_conflict(&mut self, reader: TxId, writer: TxId, me: TxId) -> Result<(), Failure> {
        let (r, w) = (&self.txs[reader].ssi, &self.txs[writer].ssi);
        let committed = |t: TxId| matches!(self.txs[t].status, Status::Committed(_));
        // 1. reader -> writer -> T2, and the writer already committed with a conflict out to a
        //    transaction that committed before it.
        let mut pattern = None;
        if committed(writer) && w.conflict_out {
            pattern = Some(format!(
                "{} -rw-> {} -rw-> (committed earlier)",
                self.label(reader),
                self.label(writer)
            ));
        }
        // 2. reader -> writer -> T2 where T2 prepared before the others could.
        if pattern.is_none() {
            for &(_, t2) in self.conflicts.range((writer, 0)..=(writer, TxId::MAX)) {
                let t = &self.txs[t2].ssi;
                let Some(p2) = t.prepare else { continue };
                if r.prepare.is_none_or(|p| p2 <= p)
                    && w.prepare.is_none_or(|p| p2 <= p)
                    && (!r.read_only || p2 <= r.last_commit_before_snapshot)
                {
                    pattern = Some(format!(
                        "{} -rw-> {} -rw-> {}, and {} committed first",
                        self.label(reader),
                        self.label(writer),
                        self.label(t2),
                        self.label(t2)
                    ));
                    break;
                }
            }
        }
        // 3. T0 -> reader -> writer where the writer already prepared.
        if pattern.is_none()
            && let Some(pw) = w.prepare
            && !r.read_only
        {
            for &(t0, _) in self.conflicts.iter().filter(|&&(_, y)| y == reader) {
                let t = &self.txs[t0];
                if !t.ssi.doomed
                    && t.ssi.commit.is_none_or(|c| c >= pw)
                    && (!t.ssi.read_only || t.ssi.last_commit_before_snapshot >= pw)
                {
                    pattern = Some(format!(
                        "{} -rw-> {} -rw-> {}, and {} committed first",
                        self.label(t0),
                        self.label(reader),
                        self.label(writer),
                        self.label(writer)
                    ));
                    break;
                }
            }
        }
        if let Some(pattern) = pattern {
            if me == writer || w.prepare.is_some() {
                self.note(format!("dangerous structure {pattern}: {} fails", self.label(me)));
                return Err(Failure::Serialization(Cause::RwDependencies));
            }
            self.note(format!(
                "dangerous structure {pattern}: {} will fail at its next statement",
                self.label(writer)
            ));
            self.txs[writer].ssi.doomed = true;
        }
        self.conflicts.insert((reader, writer));
        Ok(())
    }

    // ANCHOR: ssi_commit
    /// At commit: if `tx` is the last transaction of T1 -rw-> T2 -rw-> tx (T1 may be tx
    /// itself) with T1 and T2 still running, T2, the pivot, must not commit after it.
    fn ssi_pre_commit(&mut self, tx: TxId) -> Result<(), Failure> {
        if self.txs[tx].ssi.doomed {
            self.note(format!(
                "{} was chosen to break a dangerous structure: its commit fails",
                self.label(tx)
            ));
            return Err(Failure::Serialization(Cause::RwDependencies));
        }
        let near: Vec<TxId> = self.conflicts.iter().filter(|&&(_, w)| w == tx).map(|&(r, _)| r).collect();
        for pivot in near {
            let p = &self.txs[pivot];
            if p.status != Status::Active || p.ssi.doomed {
                continue;
            }
            let far = self.conflicts.iter().filter(|&&(_, w)| w == pivot).map(|&(r, _)| r).find(|&t1| {
                let t = &self.txs[t1];
                t1 == tx || (t.status == Status::Active && !t.ssi.doomed)
            });
            if let Some(t1) = far {
                self.note(format!(
                    "{} commits first in {} -rw-> {} -rw-> {}: {} will fail",
                    self.label(tx),
                    self.label(t1),
                    self.label(pivot),
                    self.label(tx),
                    self.label(pivot)
                ));
                self.txs[pivot].ssi.doomed = true;
            }
        }
        self.ssi_seq += 1;
        self.txs[tx].ssi.prepare = Some(self.ssi_seq);
        Ok(())
    }
    // ANCHOR_END: ssi_commit

    /// After commit: PostgreSQL's bookkeeping (remember a conflict out to an earlier-committed
    /// transaction as a flag, drop conflicts that can no longer matter).
    fn ssi_committed(&mut self, tx: TxId) {
        self.ssi_seq += 1;
        let read_only = !self.txs[tx].wrote;
        self.txs[tx].ssi.commit = Some(self.ssi_seq);
        self.txs[tx].ssi.read_only = read_only;
        let outs: Vec<TxId> = self.conflicts.range((tx, 0)..=(tx, TxId::MAX)).map(|&(_, w)| w).collect();
        for writer in outs {
            let w = self.txs[writer].ssi.clone();
            let done = matches!(self.txs[writer].status, Status::Committed(_));
            if !read_only && done {
                let p = w.prepare.unwrap_or(0);
                let s = &mut self.txs[tx].ssi;
                if !s.conflict_out || p < s.earliest_out_conflict {
                    s.earliest_out_conflict = p;
                }
                s.conflict_out = true;
            }
            if done || w.last_commit_before_snapshot >= self.ssi_seq {
                self.conflicts.remove(&(tx, writer));
            }
        }
        let ins: Vec<TxId> = self.conflicts.iter().filter(|&&(_, w)| w == tx).map(|&(r, _)| r).collect();
        for reader in ins {
            let r = &self.txs[reader];
            if matches!(r.status, Status::Committed(_)) || r.ssi.read_only {
                self.conflicts.remove(&(reader, tx));
            }
        }
    }
    // ANCHOR_END: ssi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isolation::script::{DEFAULT_ROWS, parse_steps};
    use crate::isolation::trace::render;

    fn run_text(text: &str, level: Level) -> Run {
        let script = Script { rows: DEFAULT_ROWS.to_vec(), steps: parse_steps(text, 0).unwrap() };
        run(&script, level).unwrap()
    }

    fn results(run: &Run) -> Vec<String> {
        run.script
            .steps
            .iter()
            .zip(&run.trace.steps)
            .map(|(step, record)| match &record.result {
                Some(result) => super::super::trace::describe(&step.statement, result),
                None => "never finished".to_string(),
            })
            .collect()
    }

    #[test]
    fn snapshot_isolation_repeats_reads_and_read_committed_does_not() {
        let script = "T1: begin\nT1: select * from test where id = 1\nT2: update test set value = 11 where id = 1\n\
                      T1: select * from test where id = 1\nT1: commit";
        let rc = run_text(script, Level::ReadCommitted);
        assert_eq!(results(&rc)[3], "1 => 11");
        let rr = run_text(script, Level::RepeatableRead);
        assert_eq!(results(&rr)[3], "1 => 10");
        let ru = run_text(
            "T2: begin\nT2: update test set value = 99 where id = 1\nT1: select * from test where id = 1\nT2: rollback",
            Level::ReadUncommitted,
        );
        assert_eq!(results(&ru)[2], "1 => 99");
        assert_eq!(ru.final_rows, vec![(1, 10), (2, 20)]);
    }

    #[test]
    fn a_writer_waits_for_the_lock_and_then_re_checks_or_fails() {
        let script = "T1: begin\nT2: begin\nT1: update test set value = value + 1 where id = 1\n\
                      T2: update test set value = value + 1 where id = 1\nT1: commit\nT2: commit";
        let rc = run_text(script, Level::ReadCommitted);
        assert_eq!(rc.trace.steps[3].start, Start::Blocked);
        assert_eq!(rc.trace.steps[3].finished_at, Some(4));
        assert_eq!(results(&rc)[3], "UPDATE 1");
        assert_eq!(rc.final_rows[0], (1, 12), "the second increment applies to the first one's result");
        let rr = run_text(script, Level::RepeatableRead);
        assert_eq!(results(&rr)[3], "ERROR serialization failure: concurrent update");
        assert_eq!(results(&rr)[5], "ROLLBACK (the transaction had failed)");
        assert_eq!(rr.final_rows[0], (1, 11));
    }

    #[test]
    fn statements_of_a_blocked_session_queue_behind_it() {
        let script = "T1: begin\nT1: update test set value = 0 where id = 1\n\
                      T2: update test set value = 5 where id = 1\nT2: select * from test\nT1: commit";
        let run = run_text(script, Level::ReadCommitted);
        assert_eq!(run.trace.steps[3].start, Start::Queued);
        assert_eq!(run.trace.steps[3].finished_at, Some(4));
        assert_eq!(results(&run)[3], "1 => 5, 2 => 20");
        let text = render(&run.script, &run.trace, "");
        assert!(text.contains("queued behind its blocked statement"), "{text}");
        assert!(text.contains("↳ step 3: update test set value = 5 where id = 1"), "{text}");
    }

    #[test]
    fn a_cycle_of_waits_is_a_deadlock_and_the_requester_fails() {
        let script = "T1: begin\nT2: begin\nT1: update test set value = 1 where id = 1\n\
                      T2: update test set value = 2 where id = 2\nT1: update test set value = 1 where id = 2\n\
                      T2: update test set value = 2 where id = 1\nT2: rollback\nT1: commit";
        let run = run_text(script, Level::ReadCommitted);
        assert_eq!(results(&run)[5], "ERROR deadlock detected");
        assert_eq!(run.trace.steps[4].finished_at, Some(5), "T2's failure releases T1");
        assert_eq!(run.final_rows, vec![(1, 1), (2, 1)]);
    }

    #[test]
    fn ssi_aborts_write_skew_at_the_second_commit() {
        let script = "T1: begin\nT2: begin\nT1: select * from test\nT2: select * from test\n\
                      T1: update test set value = 11 where id = 1\nT2: update test set value = 21 where id = 2\n\
                      T1: commit\nT2: commit";
        let rr = run_text(script, Level::RepeatableRead);
        assert_eq!(results(&rr)[7], "COMMIT");
        let ser = run_text(script, Level::Serializable);
        assert_eq!(results(&ser)[6], "COMMIT");
        assert_eq!(results(&ser)[7], "ERROR serialization failure: read/write dependencies");
        assert_eq!(ser.final_rows, vec![(1, 11), (2, 20)]);
    }

    #[test]
    fn ssi_leaves_disjoint_predicates_alone() {
        // PostgreSQL's relation lock after a sequential scan would abort one of these; predicate
        // tracking sees that neither read what the other wrote.
        let script = "T1: begin\nT2: begin\nT1: select * from test where id = 1\nT2: select * from test where id = 2\n\
                      T1: update test set value = 11 where id = 1\nT2: update test set value = 21 where id = 2\n\
                      T1: commit\nT2: commit";
        let ser = run_text(script, Level::Serializable);
        assert_eq!(results(&ser)[7], "COMMIT");
    }

    #[test]
    fn inserts_see_duplicates_and_wait_for_uncommitted_ones() {
        let script = "T1: begin\nT1: insert into test values (3, 30)\nT2: insert into test values (3, 31)\nT1: commit\n\
                      T1: insert into test values (1, 1)";
        let run = run_text(script, Level::ReadCommitted);
        assert_eq!(run.trace.steps[2].start, Start::Blocked);
        assert_eq!(results(&run)[2], "ERROR duplicate key");
        assert_eq!(results(&run)[4], "ERROR duplicate key");
        assert_eq!(run.final_rows, vec![(1, 10), (2, 20), (3, 30)]);
    }

    #[test]
    fn for_update_locks_rows_and_prevents_the_lost_update() {
        let script = "T1: begin\nT2: begin\nT1: select * from test where id = 1 for update\n\
                      T2: select * from test where id = 1 for update\nT1: update test set value = 11 where id = 1\n\
                      T1: commit\nT2: update test set value = 12 where id = 1\nT2: commit";
        let rc = run_text(script, Level::ReadCommitted);
        assert_eq!(rc.trace.steps[3].start, Start::Blocked);
        assert_eq!(results(&rc)[3], "1 => 11", "after the wait it reads the committed value");
    }

    #[test]
    fn autocommit_statements_commit_on_their_own() {
        let run = run_text(
            "T1: update test set value = 7 where id = 2\nT2: select * from test",
            Level::Serializable,
        );
        assert_eq!(results(&run)[1], "1 => 10, 2 => 7");
        assert_eq!(run.history.txs[1].label, "T1");
        assert!(matches!(run.history.txs[1].status, Status::Committed(1)));
    }
}
