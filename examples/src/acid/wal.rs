//! Durability as a simulation: a write-ahead log, the operating system's page cache, a disk,
//! and a crash where the reader puts it.
//!
//! Transactions append records to a log. A record lives in one of three places: the database
//! process's memory (its log buffer), the kernel's page cache (after `write()`), or the disk
//! (after `fsync()`, or when the kernel writes the page back on its own). A process crash loses
//! the memory only, since the kernel keeps the page cache and writes it out later; a power loss
//! loses memory and page cache. The policy decides when COMMIT is acknowledged to the client
//! and how far the log must have got by then. Recovery redoes, from the log that survived, the
//! writes of every transaction whose commit record survived, and nothing else.
//!
//! The policies are those of real databases: fsync before acknowledging (PostgreSQL's default,
//! SQLite with `synchronous = FULL`), write without fsync (SQLite in WAL mode with
//! `synchronous = NORMAL` between checkpoints; PostgreSQL with `fsync = off`, where nothing
//! ever fsyncs), acknowledge from memory and let a background writer flush (PostgreSQL's
//! `synchronous_commit = off`), and group commit (one fsync for several commits).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Mark, Span, SpanKind, Step};
use crate::registry::{Drawn, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "acid::wal_crash",
    title: "A write-ahead log, a page cache and a crash",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`policy = fsync-on-commit | no-fsync | async-commit | group-commit`, `group = K`; then one event a line: `T1 set key = 5`, `T1 commit`, `T1 rollback`, `walwriter`, `fsync`, `writeback`; last `crash process` or `crash power`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
# fsync-on-commit | no-fsync | async-commit | group-commit (with group = K)
policy = no-fsync
group = 2
T1 set alice = 70
T1 set bob = 130
T1 commit
writeback        # the kernel writes dirty pages to disk on its own (Linux: within about 30 s)
T2 set alice = 40
T3 set carol = 5
T2 set carol = 30
T2 commit
T3 commit
T4 set bob = 0
crash power      # or: crash process
";

/// Most events a script may have, and most transactions (`T1` to `T99`).
const MAX_EVENTS: usize = 200;
const MAX_TX: u32 = 99;
const MAX_KEY_CHARS: usize = 20;
const MAX_GROUP: usize = 16;

// ANCHOR: model
/// When COMMIT is acknowledged, and what has to happen to the log first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// `write()` the log and `fsync()` it, then acknowledge.
    FsyncOnCommit,
    /// `write()` the log, then acknowledge; it reaches the disk at the next `fsync` event (a
    /// checkpoint) or when the kernel writes the page back.
    NoFsync,
    /// Acknowledge at once; the background WAL writer (`walwriter` event) writes and fsyncs.
    AsyncCommit,
    /// `write()` the log, then wait until `size` commits are waiting: one `fsync()` returns
    /// them all.
    GroupCommit { size: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crash {
    /// The database process dies (SIGKILL, OOM killer, a bug): its memory is gone, the kernel
    /// and its page cache live on.
    Process,
    /// The machine loses power: memory and page cache are gone, only the disk remains.
    Power,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Set {
        tx: u32,
        key: String,
        value: i64,
    },
    Commit {
        tx: u32,
    },
    Rollback {
        tx: u32,
    },
    /// The background WAL writer writes the log buffer and fsyncs it.
    WalWriter,
    /// Something fsyncs the log file (SQLite's checkpoint does, in WAL mode).
    Fsync,
    /// The kernel writes its dirty pages to disk, without anyone asking.
    Writeback,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Record {
    Set { tx: u32, key: String, value: i64 },
    Commit { tx: u32 },
    Abort { tx: u32 },
}

/// One append-only log file. Records `..synced` are on disk, `synced..written` only in the
/// page cache, `written..` only in the process's log buffer: the log is written and synced
/// in order, so each place holds a contiguous stretch. `fsynced` is how far the last `fsync()`
/// reached: the kernel's own writeback makes records durable too, but nobody waiting for a
/// commit learns of it.
#[derive(Debug, Default)]
struct Log {
    records: Vec<Record>,
    written: usize,
    synced: usize,
    fsynced: usize,
    fsyncs: usize,
}

impl Log {
    /// `write()`: the buffer goes to the kernel's page cache.
    fn write(&mut self) {
        self.written = self.records.len();
    }

    /// `fsync()`: everything written so far is on disk when it returns.
    fn fsync(&mut self) {
        self.synced = self.written;
        self.fsynced = self.written;
        self.fsyncs += 1;
    }

    /// The kernel writes the dirty pages back on its own, without telling anyone.
    fn writeback(&mut self) {
        self.synced = self.written;
    }

    /// What survives the crash, as recovery will read it.
    fn surviving(&self, crash: Crash) -> &[Record] {
        match crash {
            // The kernel still holds the page cache and writes it out: nothing written is lost.
            Crash::Process => &self.records[..self.written],
            Crash::Power => &self.records[..self.synced],
        }
    }
}

/// Has the client been told "committed"? Each policy answers from where the commit record is.
fn acknowledged(policy: Policy, log: &Log, commit_record: usize) -> bool {
    match policy {
        Policy::FsyncOnCommit | Policy::GroupCommit { .. } => commit_record < log.fsynced,
        Policy::NoFsync => commit_record < log.written,
        Policy::AsyncCommit => true,
    }
}

/// What COMMIT does to the log, after appending its commit record.
fn on_commit(policy: Policy, log: &mut Log, waiting_commits: usize) {
    match policy {
        Policy::FsyncOnCommit => {
            log.write();
            log.fsync();
        }
        Policy::NoFsync => log.write(),
        Policy::AsyncCommit => {}
        Policy::GroupCommit { size } => {
            log.write();
            if waiting_commits >= size {
                log.fsync();
            }
        }
    }
}

/// Recovery: redo, in log order, the writes of the transactions whose commit record survived.
/// A transaction without one is ignored entirely, however many of its writes survived.
fn recover(records: &[Record]) -> (BTreeSet<u32>, BTreeMap<String, i64>) {
    let committed: BTreeSet<u32> = records
        .iter()
        .filter_map(|record| match record {
            Record::Commit { tx } => Some(*tx),
            _ => None,
        })
        .collect();
    let mut database = BTreeMap::new();
    for record in records {
        if let Record::Set { tx, key, value } = record
            && committed.contains(tx)
        {
            database.insert(key.clone(), *value);
        }
    }
    (committed, database)
}
// ANCHOR_END: model

/// The fate of one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transaction {
    /// Step (1-based) of its first event.
    pub started: usize,
    pub writes: usize,
    /// Step at which the client asked for COMMIT, and index of its commit record.
    pub commit_requested: Option<(usize, usize)>,
    /// Step at which the client was told "committed".
    pub acknowledged: Option<usize>,
    pub rolled_back: bool,
    /// Its commit record survived the crash, so recovery redid its writes.
    pub recovered: bool,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub transactions: BTreeMap<u32, Transaction>,
    pub database: BTreeMap<String, i64>,
    pub fsyncs: usize,
    /// Per step: the event, what happened, and the records in memory, page cache and on disk.
    pub steps: Vec<(String, String, [usize; 3])>,
    /// Records lost from memory and from the page cache at the crash, and records kept.
    pub lost_memory: usize,
    pub lost_cache: usize,
    pub surviving: usize,
}

impl Outcome {
    /// Transactions whose COMMIT was acknowledged and which recovery did not bring back.
    pub fn lost_acknowledged(&self) -> Vec<u32> {
        self.transactions
            .iter()
            .filter(|(_, t)| t.acknowledged.is_some() && !t.recovered)
            .map(|(&id, _)| id)
            .collect()
    }
}

// ANCHOR: example
/// Runs `events` under `policy`, then crashes and recovers. Errors name the event (0-based).
pub fn simulate(policy: Policy, events: &[Event], crash: Crash) -> Result<Outcome, (usize, String)> {
    let mut log = Log::default();
    let mut transactions: BTreeMap<u32, Transaction> = BTreeMap::new();
    let mut steps = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let step = index + 1;
        let (synced_before, fsyncs_before) = (log.synced, log.fsyncs);
        let mut what = Vec::new();
        match event {
            Event::Set { tx, key, value } => {
                let t = open_transaction(&mut transactions, *tx, step).map_err(|e| (index, e))?;
                t.writes += 1;
                log.records.push(Record::Set { tx: *tx, key: key.clone(), value: *value });
            }
            Event::Commit { tx } => {
                let t = open_transaction(&mut transactions, *tx, step).map_err(|e| (index, e))?;
                t.commit_requested = Some((step, log.records.len()));
                log.records.push(Record::Commit { tx: *tx });
                let waiting = transactions
                    .values()
                    .filter(|t| t.commit_requested.is_some() && t.acknowledged.is_none())
                    .count();
                let written_before = log.written;
                on_commit(policy, &mut log, waiting);
                if log.written > written_before {
                    what.push("write()".to_string());
                }
                if let Policy::GroupCommit { size } = policy
                    && log.fsyncs == fsyncs_before
                {
                    what.push(format!("waits for the group ({waiting} of {size})"));
                }
            }
            Event::Rollback { tx } => {
                let t = open_transaction(&mut transactions, *tx, step).map_err(|e| (index, e))?;
                t.rolled_back = true;
                log.records.push(Record::Abort { tx: *tx });
            }
            Event::WalWriter => {
                if log.written < log.records.len() {
                    what.push("write()".to_string());
                }
                log.write();
                log.fsync();
            }
            Event::Fsync => log.fsync(),
            Event::Writeback => {
                if log.written > log.synced {
                    what.push(format!("{} records reach the disk", log.written - log.synced));
                } else {
                    what.push("nothing dirty".to_string());
                }
                log.writeback();
            }
        }
        if log.fsyncs > fsyncs_before {
            what.push(format!("fsync() ({} records now on disk)", log.synced - synced_before));
        }
        let mut newly: Vec<u32> = Vec::new();
        for (id, t) in transactions.iter_mut() {
            if let Some((_, record)) = t.commit_requested
                && t.acknowledged.is_none()
                && acknowledged(policy, &log, record)
            {
                t.acknowledged = Some(step);
                newly.push(*id);
            }
        }
        if !newly.is_empty() {
            let names: Vec<String> = newly.iter().map(|id| format!("T{id}")).collect();
            what.push(format!("COMMIT returns to {}", names.join(", ")));
        }
        let place = [log.records.len() - log.written, log.written - log.synced, log.synced];
        steps.push((describe(event), what.join("; "), place));
    }
    let surviving = log.surviving(crash);
    let (committed, database) = recover(surviving);
    for (id, t) in transactions.iter_mut() {
        t.recovered = committed.contains(id);
    }
    Ok(Outcome {
        transactions,
        database,
        fsyncs: log.fsyncs,
        steps,
        lost_memory: log.records.len() - log.written,
        lost_cache: match crash {
            Crash::Process => 0,
            Crash::Power => log.written - log.synced,
        },
        surviving: surviving.len(),
    })
}

// ANCHOR_END: example

/// The transaction `tx`, created at its first event; an error once it has ended.
fn open_transaction(
    transactions: &mut BTreeMap<u32, Transaction>,
    tx: u32,
    step: usize,
) -> Result<&mut Transaction, String> {
    let t = transactions.entry(tx).or_insert_with(|| Transaction { started: step, ..Transaction::default() });
    if t.commit_requested.is_some() {
        return Err(format!("T{tx} has already asked to commit"));
    }
    if t.rolled_back {
        return Err(format!("T{tx} has already rolled back"));
    }
    Ok(t)
}

fn describe(event: &Event) -> String {
    match event {
        Event::Set { tx, key, value } => format!("T{tx} set {key} = {value}"),
        Event::Commit { tx } => format!("T{tx} commit"),
        Event::Rollback { tx } => format!("T{tx} rollback"),
        Event::WalWriter => "walwriter".to_string(),
        Event::Fsync => "fsync".to_string(),
        Event::Writeback => "writeback".to_string(),
    }
}

/// A parsed script.
#[derive(Debug, Clone)]
pub struct Script {
    pub policy: Policy,
    pub events: Vec<Event>,
    /// Input line of each event, for errors.
    pub lines: Vec<usize>,
    pub crash: Crash,
}

/// Reads `policy = …`, `group = K`, one event a line, and a final `crash process|power`.
pub fn parse(input: &str) -> Result<Script, InputError> {
    let mut policy_name: Option<(usize, String)> = None;
    let mut group: Option<usize> = None;
    let mut events = Vec::new();
    let mut lines = Vec::new();
    let mut crash: Option<Crash> = None;
    for (index, raw) in input.lines().enumerate() {
        let line = index + 1;
        let text = raw.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        if crash.is_some() {
            return Err(InputError::at_line(line, "the script ends at the crash: nothing may follow it"));
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["policy", "=", name] => {
                if policy_name.is_some() {
                    return Err(InputError::at_line(line, "`policy` is given twice"));
                }
                policy_name = Some((line, (*name).to_string()));
            }
            ["group", "=", k] => {
                let size: usize =
                    k.parse().map_err(|_| InputError::at_line(line, format!("`{k}` is not a number")))?;
                if !(1..=MAX_GROUP).contains(&size) {
                    return Err(InputError::at_line(line, format!("`group` must be 1 to {MAX_GROUP}")));
                }
                group = Some(size);
            }
            ["crash", kind] => {
                crash = Some(match *kind {
                    "process" => Crash::Process,
                    "power" => Crash::Power,
                    other => {
                        return Err(InputError::at_line(
                            line,
                            format!("`crash {other}`: say `crash process` or `crash power`"),
                        ));
                    }
                });
            }
            ["walwriter"] => events.push(Event::WalWriter),
            ["fsync"] => events.push(Event::Fsync),
            ["writeback"] => events.push(Event::Writeback),
            [tx, rest @ ..] if tx.starts_with(['T', 't']) => {
                let tx = parse_tx(tx, line)?;
                events.push(match rest {
                    ["commit"] => Event::Commit { tx },
                    ["rollback"] => Event::Rollback { tx },
                    ["set", key, "=", value] => {
                        let key_ok = !key.is_empty()
                            && key.chars().count() <= MAX_KEY_CHARS
                            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                        if !key_ok {
                            return Err(InputError::at_line(
                                line,
                                format!("`{key}`: a key is 1 to {MAX_KEY_CHARS} letters, digits or `_`"),
                            ));
                        }
                        let value: i64 = value.parse().map_err(|_| {
                            InputError::at_line(line, format!("`{value}` is not a whole number"))
                        })?;
                        Event::Set { tx, key: (*key).to_string(), value }
                    }
                    _ => {
                        return Err(InputError::at_line(
                            line,
                            "expected `Tn set key = value`, `Tn commit` or `Tn rollback`",
                        ));
                    }
                });
            }
            _ => {
                return Err(InputError::at_line(
                    line,
                    "expected `policy = …`, `group = K`, `Tn set key = value`, `Tn commit`, `Tn rollback`, `walwriter`, `fsync`, `writeback` or `crash process|power`",
                ));
            }
        }
        if events.len() > lines.len() {
            lines.push(line);
            if events.len() > MAX_EVENTS {
                return Err(InputError::at_line(
                    line,
                    format!("a script may have at most {MAX_EVENTS} events"),
                ));
            }
        }
    }
    let policy = match policy_name {
        None => {
            return Err(InputError::new(
                "missing `policy = …` (fsync-on-commit, no-fsync, async-commit or group-commit)",
            ));
        }
        Some((line, name)) => match name.as_str() {
            "fsync-on-commit" => Policy::FsyncOnCommit,
            "no-fsync" => Policy::NoFsync,
            "async-commit" => Policy::AsyncCommit,
            "group-commit" => Policy::GroupCommit { size: group.unwrap_or(2) },
            other => {
                return Err(InputError::at_line(
                    line,
                    format!(
                        "`{other}` is not one of `fsync-on-commit`, `no-fsync`, `async-commit`, `group-commit`"
                    ),
                ));
            }
        },
    };
    let crash =
        crash.ok_or_else(|| InputError::new("end the script with `crash process` or `crash power`"))?;
    Ok(Script { policy, events, lines, crash })
}

fn parse_tx(word: &str, line: usize) -> Result<u32, InputError> {
    word[1..]
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_TX).contains(n))
        .ok_or_else(|| InputError::at_line(line, format!("`{word}`: transactions are T1 to T{MAX_TX}")))
}

fn run_script(input: &str) -> Result<(Script, Outcome), InputError> {
    let script = parse(input)?;
    let outcome = simulate(script.policy, &script.events, script.crash)
        .map_err(|(index, message)| InputError::at_line(script.lines[index], message))?;
    Ok((script, outcome))
}

fn policy_text(policy: Policy) -> String {
    match policy {
        Policy::FsyncOnCommit => {
            "fsync-on-commit: COMMIT writes the log and fsyncs it before it returns".to_string()
        }
        Policy::NoFsync => {
            "no-fsync: COMMIT writes the log to the OS and returns; no fsync until an `fsync` event"
                .to_string()
        }
        Policy::AsyncCommit => {
            "async-commit: COMMIT returns at once; the WAL writer writes and fsyncs later".to_string()
        }
        Policy::GroupCommit { size } => {
            format!(
                "group-commit: COMMIT writes the log and waits until {size} commits wait; one fsync returns them all"
            )
        }
    }
}

/// One simulation of the script: its report and its timeline.
fn run(input: &str) -> Result<Drawn, InputError> {
    let (script, outcome) = run_script(input)?;
    Ok(Drawn { text: report(&script, &outcome), figure: draw(&script, &outcome) })
}

/// What happened at each step, after the crash, and to each transaction.
fn report(script: &Script, outcome: &Outcome) -> String {
    let mut out = String::new();
    writeln!(out, "policy = {}", policy_text(script.policy)).unwrap();
    writeln!(out).unwrap();
    writeln!(out, "log records in:            memory  cache  disk").unwrap();
    for (number, (event, what, place)) in outcome.steps.iter().enumerate() {
        let what = if what.is_empty() { String::new() } else { format!("  {what}") };
        writeln!(out, "{:>2}  {event:<20} {:>8} {:>6} {:>5}{what}", number + 1, place[0], place[1], place[2])
            .unwrap();
    }
    writeln!(out).unwrap();
    match script.crash {
        Crash::Process => writeln!(
            out,
            "crash process: the log buffer in memory is gone ({}); the kernel keeps the page cache and writes it out",
            records(outcome.lost_memory)
        ),
        Crash::Power => writeln!(
            out,
            "crash power: memory ({}) and page cache ({}) are gone; the disk keeps {}",
            records(outcome.lost_memory),
            records(outcome.lost_cache),
            records(outcome.surviving)
        ),
    }
    .unwrap();
    writeln!(
        out,
        "recovery reads the {} that survived and redoes the committed transactions only",
        records(outcome.surviving)
    )
    .unwrap();
    let database: Vec<String> = outcome.database.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    let database = if database.is_empty() { "(empty)".to_string() } else { database.join(", ") };
    writeln!(out, "database after recovery: {database}").unwrap();
    writeln!(out).unwrap();
    for (id, t) in &outcome.transactions {
        writeln!(out, "T{id}: {}", verdict(t)).unwrap();
    }
    let acknowledged = outcome.transactions.values().filter(|t| t.acknowledged.is_some()).count();
    let lost = outcome.lost_acknowledged();
    let lost_text = if lost.is_empty() {
        "none".to_string()
    } else {
        lost.iter().map(|id| format!("T{id}")).collect::<Vec<_>>().join(", ")
    };
    writeln!(
        out,
        "acknowledged commits: {acknowledged}; lost after acknowledgement: {lost_text}; fsyncs: {}",
        outcome.fsyncs
    )
    .unwrap();
    out
}

/// One line on what happened to a transaction, from its client's point of view.
fn verdict(t: &Transaction) -> String {
    match (t.commit_requested, t.acknowledged, t.recovered) {
        (_, Some(step), true) => format!("acknowledged at step {step}, recovered: durable"),
        (_, Some(step), false) => {
            format!("acknowledged at step {step}, NOT recovered: a committed transaction was lost")
        }
        (Some(_), None, true) => {
            "never acknowledged, yet recovered: the client cannot tell, so a retry must be idempotent"
                .to_string()
        }
        (Some(_), None, false) => {
            "never acknowledged, not recovered: the client saw no answer; retrying is safe".to_string()
        }
        (None, _, _) if t.rolled_back => "rolled back".to_string(),
        (None, _, _) => format!(
            "still running at the crash, no commit record: its writes are ignored ({})",
            records(t.writes)
        ),
    }
}

fn records(n: usize) -> String {
    if n == 1 { "1 record".to_string() } else { format!("{n} records") }
}

/// The run as a timeline: one lane per transaction (running, waiting for its commit to be
/// acknowledged, and acknowledged but lost), and one lane for the fsyncs. Its steps are the
/// script's events (each ends at its step number) and then the crash.
fn draw(script: &Script, outcome: &Outcome) -> Figure {
    let end = outcome.steps.len() as f64;
    let mut lanes = Vec::new();
    for (id, t) in &outcome.transactions {
        let start = (t.started - 1) as f64;
        let mut spans = Vec::new();
        let commit_at = t.commit_requested.map(|(step, _)| step as f64);
        let work_end = commit_at.unwrap_or(end);
        spans.push(Span { start, end: work_end.max(start), label: "writes".into(), kind: SpanKind::Busy });
        if let Some(commit_at) = commit_at {
            let ack = t.acknowledged.map(|step| step as f64);
            if ack.is_none_or(|ack| ack > commit_at) {
                spans.push(Span {
                    start: commit_at - 1.0,
                    end: ack.unwrap_or(end),
                    label: "COMMIT waits".into(),
                    kind: SpanKind::Wait,
                });
            }
            if let Some(ack) = ack {
                let (label, kind) = if t.recovered {
                    ("acknowledged, durable", SpanKind::Idle)
                } else {
                    ("acknowledged, then lost", SpanKind::Lost)
                };
                spans.push(Span { start: ack, end: end.max(ack), label: label.into(), kind });
            }
        }
        lanes.push(Lane { name: format!("T{id}"), spans });
    }
    let fsync_spans = outcome
        .steps
        .iter()
        .enumerate()
        .filter(|(_, (_, what, _))| what.contains("fsync()") || what.contains("reach the disk"))
        .map(|(i, (_, what, _))| Span {
            start: i as f64,
            end: i as f64 + 1.0,
            label: if what.contains("fsync()") { "fsync".into() } else { "writeback".into() },
            kind: SpanKind::Overhead,
        })
        .collect();
    lanes.push(Lane { name: "log to disk".into(), spans: fsync_spans });
    let lane_of = |tx: u32| outcome.transactions.keys().position(|&id| id == tx);
    // The spans of lanes `chosen` under way at `at`.
    let marks_at = |at: f64, chosen: &[usize]| -> Vec<Mark> {
        let mut marks = Vec::new();
        for &lane in chosen {
            for (span, s) in lanes[lane].spans.iter().enumerate() {
                if s.start <= at && at <= s.end {
                    marks.push(Mark::Span { lane, span });
                }
            }
        }
        marks
    };
    let mut steps = Vec::new();
    for (index, (event, (described, what, place))) in script.events.iter().zip(&outcome.steps).enumerate() {
        let step = index + 1;
        let at = step as f64;
        let tx = match event {
            Event::Set { tx, .. } | Event::Commit { tx } | Event::Rollback { tx } => Some(*tx),
            Event::WalWriter | Event::Fsync | Event::Writeback => None,
        };
        let mut chosen: Vec<usize> = tx.and_then(lane_of).into_iter().collect();
        chosen.extend(
            outcome
                .transactions
                .iter()
                .filter(|(_, t)| t.acknowledged == Some(step))
                .filter_map(|(&id, _)| lane_of(id)),
        );
        chosen.push(lanes.len() - 1);
        chosen.sort_unstable();
        chosen.dedup();
        let what = if what.is_empty() { String::new() } else { format!(": {what}") };
        let text = format!(
            "step {step}, {described}{what} (records in memory {}, cache {}, disk {})",
            place[0], place[1], place[2]
        );
        steps.push(Step { at, text, marks: marks_at(at, &chosen) });
    }
    let lost = outcome.lost_acknowledged();
    let lost = if lost.is_empty() {
        "no acknowledged commit is lost".to_string()
    } else {
        let names: Vec<String> = lost.iter().map(|id| format!("T{id}")).collect();
        format!("lost after acknowledgement: {}", names.join(", "))
    };
    steps.push(Step {
        at: end,
        text: format!("the crash: {} records survive on disk; {lost}", outcome.surviving),
        marks: marks_at(end, &(0..outcome.transactions.len()).collect::<Vec<_>>()),
    });
    Figure::Timeline {
        title: "Transactions, acknowledgements and the crash".into(),
        unit: "steps".into(),
        lanes,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// A random interleaving of `transactions` transactions (each a few writes, then commit or
    /// rollback, or left running), with background flushes sprinkled in.
    fn random_events(rng: &mut Rng, transactions: u32) -> Vec<Event> {
        let mut remaining: Vec<(u32, u64)> = (1..=transactions).map(|tx| (tx, rng.range(1, 4))).collect();
        let mut events = Vec::new();
        while !remaining.is_empty() {
            let pick = rng.range(0, remaining.len() as u64 - 1) as usize;
            let (tx, writes_left) = &mut remaining[pick];
            let tx = *tx;
            if *writes_left > 0 {
                *writes_left -= 1;
                let key = format!("k{}", rng.range(1, 5));
                events.push(Event::Set { tx, key, value: rng.range(0, 999) as i64 });
            } else {
                match rng.range(0, 9) {
                    0 => events.push(Event::Rollback { tx }),
                    1 => {} // left running: it never asks to commit
                    _ => events.push(Event::Commit { tx }),
                }
                remaining.swap_remove(pick);
            }
            match rng.range(0, 19) {
                0 => events.push(Event::WalWriter),
                1 => events.push(Event::Writeback),
                2 => events.push(Event::Fsync),
                _ => {}
            }
        }
        events
    }

    /// Runs `check` on many random scripts, each cut at a random crash point of each kind.
    fn for_random_crashes(policy: Policy, mut check: impl FnMut(Crash, &Outcome, &[Event])) {
        let mut rng = Rng::new(2018);
        for _ in 0..500 {
            let transactions = rng.range(1, 8) as u32;
            let events = random_events(&mut rng, transactions);
            let cut = rng.range(0, events.len() as u64) as usize;
            for crash in [Crash::Process, Crash::Power] {
                let outcome = simulate(policy, &events[..cut], crash).expect("random scripts are valid");
                check(crash, &outcome, &events[..cut]);
            }
        }
    }

    /// The database a serial replay of exactly the `recovered` transactions would give.
    fn replay(events: &[Event], recovered: &BTreeSet<u32>) -> BTreeMap<String, i64> {
        let mut database = BTreeMap::new();
        for event in events {
            if let Event::Set { tx, key, value } = event
                && recovered.contains(tx)
            {
                database.insert(key.clone(), *value);
            }
        }
        database
    }

    #[test]
    fn fsync_on_commit_and_group_commit_never_lose_an_acknowledged_commit() {
        for policy in [Policy::FsyncOnCommit, Policy::GroupCommit { size: 3 }] {
            for_random_crashes(policy, |crash, outcome, events| {
                assert_eq!(outcome.lost_acknowledged(), Vec::<u32>::new(), "{policy:?} {crash:?} {events:?}");
            });
        }
    }

    #[test]
    fn recovery_is_all_or_nothing_per_transaction() {
        for policy in
            [Policy::FsyncOnCommit, Policy::NoFsync, Policy::AsyncCommit, Policy::GroupCommit { size: 2 }]
        {
            for_random_crashes(policy, |_, outcome, events| {
                let recovered: BTreeSet<u32> =
                    outcome.transactions.iter().filter(|(_, t)| t.recovered).map(|(&id, _)| id).collect();
                // Only transactions that asked to commit come back, and each comes back whole.
                for id in &recovered {
                    let t = &outcome.transactions[id];
                    assert!(t.commit_requested.is_some() && !t.rolled_back);
                }
                assert_eq!(outcome.database, replay(events, &recovered));
            });
        }
    }

    #[test]
    fn without_fsync_a_process_crash_loses_nothing_acknowledged_but_a_power_loss_can() {
        let mut lost_at_power_loss = 0;
        for_random_crashes(Policy::NoFsync, |crash, outcome, _| match crash {
            Crash::Process => assert!(outcome.lost_acknowledged().is_empty()),
            Crash::Power => lost_at_power_loss += outcome.lost_acknowledged().len(),
        });
        assert!(lost_at_power_loss > 0, "no power loss lost an acknowledged commit");
    }

    #[test]
    fn async_commit_loses_acknowledged_commits_even_on_a_process_crash() {
        let mut lost = 0;
        for_random_crashes(Policy::AsyncCommit, |crash, outcome, _| {
            if crash == Crash::Process {
                lost += outcome.lost_acknowledged().len();
            }
        });
        assert!(lost > 0);
    }

    #[test]
    fn group_commit_needs_fewer_fsyncs() {
        let events: Vec<Event> = (1..=8)
            .flat_map(|tx| [Event::Set { tx, key: "k".into(), value: i64::from(tx) }, Event::Commit { tx }])
            .collect();
        let single = simulate(Policy::FsyncOnCommit, &events, Crash::Power).unwrap();
        let grouped = simulate(Policy::GroupCommit { size: 4 }, &events, Crash::Power).unwrap();
        assert_eq!((single.fsyncs, grouped.fsyncs), (8, 2));
        assert!(single.lost_acknowledged().is_empty() && grouped.lost_acknowledged().is_empty());
    }

    #[test]
    fn the_default_script_loses_acknowledged_commits_at_a_power_loss_only() {
        let out = run(DEFAULT_INPUT).unwrap().text;
        assert!(out.contains("lost after acknowledgement: T2, T3;"), "{out}");
        let out = run(&DEFAULT_INPUT.replace("crash power", "crash process")).unwrap().text;
        assert!(out.contains("lost after acknowledgement: none;"), "{out}");
        let out = run(&DEFAULT_INPUT.replace("no-fsync", "fsync-on-commit")).unwrap().text;
        assert!(out.contains("lost after acknowledgement: none;"), "{out}");
    }

    #[test]
    fn bad_scripts_name_their_line() {
        let cases = [
            ("policy = fast\ncrash power", 1, "not one of"),
            ("policy = no-fsync\nT1 commit\nT1 set a = 1\ncrash power", 3, "already asked to commit"),
            ("policy = no-fsync\nT1 set a = x\ncrash power", 2, "not a whole number"),
            ("policy = no-fsync\ncrash power\nT1 commit", 3, "nothing may follow"),
            ("policy = no-fsync\nT100 commit\ncrash power", 2, "T1 to T99"),
            ("policy = no-fsync\nflush\ncrash power", 2, "expected"),
            ("policy = group-commit\ngroup = 0\ncrash power", 2, "1 to 16"),
        ];
        for (input, line, text) in cases {
            let err = run(input).unwrap_err();
            assert_eq!(err.line, Some(line), "{input}: {err}");
            assert!(err.message.contains(text), "{input}: {err}");
        }
        assert!(run("policy = no-fsync\nT1 set a = 1").unwrap_err().message.contains("crash"));
        let long = format!("policy = no-fsync\n{}crash power", "fsync\n".repeat(MAX_EVENTS + 1));
        assert!(run(&long).unwrap_err().message.contains("at most"));
    }

    #[test]
    fn the_figure_can_be_drawn() {
        run(DEFAULT_INPUT).unwrap().figure.validate().unwrap();
    }
}
