//! PostgreSQL's table-level locks and their queue, simulated: sessions send statements on one
//! table, each statement takes the lock mode the manual gives it and keeps it until its
//! transaction ends, and a request that conflicts with a granted lock, or with a request
//! already waiting, waits in line. That line is why an `ALTER TABLE` waiting behind one long
//! `SELECT` stops every query that comes after it.

use std::collections::VecDeque;
use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Mark, Span, SpanKind, Step};
use crate::registry::{self, Drawn, Example, InputError, Runs};

pub const EXAMPLE: Example = Example {
    id: "mvcc::lock_queue",
    title: "The table-lock queue: an ALTER TABLE behind a long SELECT",
    file: file!(),
    default_input: "S1: begin
S1: select            -- a long report: ACCESS SHARE until it commits
S2: alter table       -- the migration needs ACCESS EXCLUSIVE
S3: select            -- every later query queues behind the ALTER
S4: update
S1: commit
",
    input_help: HELP,
    runs: Runs::Everywhere,
    run: registry::Run::Drawn(lock_queue),
};

const HELP: &str = "Lines `S1: statement` (sessions S1 to S9) on one table: begin, commit, rollback, select, \
    select for update | for share, insert, update, delete, vacuum, analyze, create index [concurrently], \
    create trigger, refresh materialized view concurrently, alter table, drop table, truncate, vacuum full, \
    lock table [in MODE mode], set lock_timeout (a wait then fails at the next line). `-- comments`.";

/// At most this many lines, so a run is always small.
pub const MAX_LINES: usize = 60;
const MAX_SESSIONS: usize = 9;

// ANCHOR: modes
/// PostgreSQL's eight table-lock modes, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl Mode {
    pub const ALL: [Mode; 8] = [
        Mode::AccessShare,
        Mode::RowShare,
        Mode::RowExclusive,
        Mode::ShareUpdateExclusive,
        Mode::Share,
        Mode::ShareRowExclusive,
        Mode::Exclusive,
        Mode::AccessExclusive,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::AccessShare => "ACCESS SHARE",
            Mode::RowShare => "ROW SHARE",
            Mode::RowExclusive => "ROW EXCLUSIVE",
            Mode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            Mode::Share => "SHARE",
            Mode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            Mode::Exclusive => "EXCLUSIVE",
            Mode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// `pg_locks.mode`: `AccessShareLock` and so on.
    pub fn pg_locks_name(self) -> String {
        let camel: String =
            self.name().split(' ').map(|w| w[..1].to_string() + &w[1..].to_ascii_lowercase()).collect();
        camel + "Lock"
    }

    /// Whether a lock in `self` held by one transaction makes a request for `other` by
    /// another wait (the manual's "Conflicting Lock Modes"; the relation is symmetric).
    pub fn conflicts(self, other: Mode) -> bool {
        use Mode::*;
        let (a, b) = if self <= other { (self, other) } else { (other, self) };
        match (a, b) {
            (_, AccessExclusive) => true,
            (AccessShare, _) => false,
            (RowShare, b) => b >= Exclusive,
            (RowExclusive, b) => b >= Share,
            (ShareUpdateExclusive, b) => b >= ShareUpdateExclusive,
            (Share, b) => b != Share,
            (ShareRowExclusive | Exclusive, _) => true,
            (AccessExclusive, _) => true,
        }
    }
}
// ANCHOR_END: modes

#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Begin,
    Commit,
    Rollback,
    SetTimeout,
    /// A statement that takes `mode`; `word` is how the output names it.
    Lock {
        mode: Mode,
        text: String,
        in_transaction_ok: bool,
    },
}

#[derive(Debug, Clone)]
struct Line {
    session: usize,
    command: Command,
    text: String,
}

fn parse_command(text: &str) -> Result<Command, String> {
    let words: Vec<String> = text.split_whitespace().map(|w| w.to_ascii_lowercase()).collect();
    let joined = words.join(" ");
    let lock = |mode: Mode| Ok(Command::Lock { mode, text: joined.clone(), in_transaction_ok: true });
    let outside = |mode: Mode| Ok(Command::Lock { mode, text: joined.clone(), in_transaction_ok: false });
    match joined.as_str() {
        "begin" | "start transaction" => Ok(Command::Begin),
        "commit" | "end" => Ok(Command::Commit),
        "rollback" | "abort" => Ok(Command::Rollback),
        "select" => lock(Mode::AccessShare),
        "select for update" | "select for no key update" | "select for share" | "select for key share" => {
            lock(Mode::RowShare)
        }
        "insert" | "update" | "delete" | "merge" => lock(Mode::RowExclusive),
        "vacuum" | "create index concurrently" => outside(Mode::ShareUpdateExclusive),
        "analyze" => lock(Mode::ShareUpdateExclusive),
        "create index" => lock(Mode::Share),
        "create trigger" => lock(Mode::ShareRowExclusive),
        "refresh materialized view concurrently" => lock(Mode::Exclusive),
        "alter table"
        | "drop table"
        | "truncate"
        | "lock table"
        | "refresh materialized view"
        | "cluster" => lock(Mode::AccessExclusive),
        "vacuum full" => outside(Mode::AccessExclusive),
        _ if joined.starts_with("set lock_timeout") => Ok(Command::SetTimeout),
        _ if let Some(name) =
            joined.strip_prefix("lock table in ").and_then(|rest| rest.strip_suffix(" mode")) =>
        {
            let name = name.to_ascii_uppercase();
            Mode::ALL
                .into_iter()
                .find(|m| m.name() == name)
                .map(|mode| Command::Lock { mode, text: joined.clone(), in_transaction_ok: true })
                .ok_or_else(|| format!("`{name}` is not a lock mode (ACCESS SHARE … ACCESS EXCLUSIVE)"))
        }
        _ => Err(format!("`{}` is not a statement this simulation knows ({HELP_SHORT})", text.trim())),
    }
}

const HELP_SHORT: &str = "begin, commit, select, update, alter table, create index, vacuum, …";

fn read(input: &str) -> Result<Vec<Line>, InputError> {
    let mut lines = Vec::new();
    let mut in_tx = [false; MAX_SESSIONS + 1];
    for (index, raw) in input.lines().enumerate() {
        let line = index + 1;
        let text = raw.split("--").next().unwrap_or("").trim().trim_end_matches(';').trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (name, body) = text
            .split_once(':')
            .ok_or_else(|| InputError::at_line(line, "expected `S1: statement` (sessions S1 to S9)"))?;
        let name = name.trim();
        let session = name
            .strip_prefix(['S', 's'])
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=MAX_SESSIONS).contains(n))
            .ok_or_else(|| InputError::at_line(line, format!("session `{name}`: use S1 to S9")))?;
        let command = parse_command(body).map_err(|e| InputError::at_line(line, e))?;
        let open = &mut in_tx[session];
        match &command {
            Command::Begin if *open => {
                return Err(InputError::at_line(line, format!("S{session} is already in a transaction")));
            }
            Command::Begin => *open = true,
            Command::Commit | Command::Rollback if !*open => {
                return Err(InputError::at_line(line, format!("S{session} has no transaction to end")));
            }
            Command::Commit | Command::Rollback => *open = false,
            Command::Lock { in_transaction_ok: false, text, .. } if *open => {
                return Err(InputError::at_line(
                    line,
                    format!("`{text}` cannot run inside a transaction block (PostgreSQL's error 25001)"),
                ));
            }
            _ => {}
        }
        if lines.len() == MAX_LINES {
            return Err(InputError::at_line(line, format!("at most {MAX_LINES} lines")));
        }
        lines.push(Line { session, command, text: body.trim().to_string() });
    }
    if lines.is_empty() {
        return Err(InputError::new("no statements: write lines such as `S1: begin` and `S2: alter table`"));
    }
    Ok(lines)
}

#[derive(Debug, Clone, Default)]
struct Session {
    in_tx: bool,
    /// The transaction hit an error: everything until `rollback` fails.
    failed: bool,
    timeout: bool,
    held: Vec<Mode>,
    /// The statement (line index) that waits, and the line at which it began to wait.
    waiting: Option<(usize, usize)>,
    queued: VecDeque<usize>,
}

/// What happened to one line, in words, and when it finished.
#[derive(Debug, Clone, Default)]
struct Outcome {
    /// The line (index) during which it finished; `None` while it waits.
    finished: Option<usize>,
    result: String,
    failed: bool,
    /// Why it had to wait, when it did.
    waited: Option<String>,
}

struct Sim {
    lines: Vec<Line>,
    sessions: Vec<Session>,
    /// Waiting requests, in order: (session, mode).
    queue: Vec<(usize, Mode)>,
    outcomes: Vec<Outcome>,
    /// The lock table after each line.
    states: Vec<String>,
    /// Per line, per session: what the drawing shows.
    cells: Vec<Vec<Option<(String, SpanKind)>>>,
    now: usize,
}

impl Sim {
    fn holders_in_conflict(&self, session: usize, mode: Mode) -> Vec<(usize, Mode)> {
        let mut found = Vec::new();
        for (s, other) in self.sessions.iter().enumerate() {
            if s != session {
                for &held in &other.held {
                    if held.conflicts(mode) {
                        found.push((s, held));
                    }
                }
            }
        }
        found
    }

    // ANCHOR: request
    /// Session `session` asks for `mode` for line `i`: granted at once, or queued.
    fn request(&mut self, session: usize, mode: Mode, i: usize) -> bool {
        if self.sessions[session].held.contains(&mode) {
            return true;
        }
        // Already holding a lock on the table, it goes ahead of the first waiter its locks
        // would block (so that waiter and it cannot deadlock); otherwise to the back.
        let held = self.sessions[session].held.clone();
        let position = self
            .queue
            .iter()
            .position(|&(_, m)| held.iter().any(|h| h.conflicts(m)))
            .unwrap_or(self.queue.len());
        let granted = self.holders_in_conflict(session, mode);
        let ahead: Vec<(usize, Mode)> =
            self.queue[..position].iter().copied().filter(|&(_, m)| m.conflicts(mode)).collect();
        if granted.is_empty() && ahead.is_empty() {
            self.sessions[session].held.push(mode);
            return true;
        }
        let why = match (granted.first(), ahead.first()) {
            (Some(&(s, m)), _) => format!("conflicts with S{s}'s {} (granted)", m.name()),
            (None, Some(&(s, m))) => format!("queued behind S{s}'s {} (waiting)", m.name()),
            (None, None) => unreachable!("checked above"),
        };
        self.outcomes[i].waited = Some(format!("waits for {}: {why}", mode.name()));
        self.queue.insert(position, (session, mode));
        self.sessions[session].waiting = Some((i, self.now));
        false
    }
    // ANCHOR_END: request

    /// Whom `session`'s waiting request waits for: the holders it conflicts with and the
    /// conflicting waiters ahead of it.
    fn waits_for(&self, session: usize) -> Vec<usize> {
        let Some(at) = self.queue.iter().position(|&(s, _)| s == session) else { return Vec::new() };
        let mode = self.queue[at].1;
        let mut found: Vec<usize> =
            self.holders_in_conflict(session, mode).into_iter().map(|(s, _)| s).collect();
        found.extend(self.queue[..at].iter().filter(|&&(_, m)| m.conflicts(mode)).map(|&(s, _)| s));
        found.sort_unstable();
        found.dedup();
        found
    }

    fn in_cycle(&self, start: usize) -> bool {
        let mut seen = vec![false; self.sessions.len()];
        let mut stack = self.waits_for(start);
        while let Some(s) = stack.pop() {
            if s == start {
                return true;
            }
            if !std::mem::replace(&mut seen[s], true) {
                stack.extend(self.waits_for(s));
            }
        }
        false
    }

    /// Ends `session`'s transaction (or its single statement): its locks go, and the queue
    /// moves.
    fn release(&mut self, session: usize) {
        self.sessions[session].held.clear();
        self.wake();
    }

    // ANCHOR: wake
    /// Grants, in queue order, every waiting request that conflicts neither with a granted
    /// lock nor with a request still waiting ahead of it.
    fn wake(&mut self) {
        loop {
            let mut ahead: Vec<Mode> = Vec::new();
            let mut grant = None;
            for (k, &(s, mode)) in self.queue.iter().enumerate() {
                if self.holders_in_conflict(s, mode).is_empty() && !ahead.iter().any(|m| m.conflicts(mode)) {
                    grant = Some(k);
                    break;
                }
                ahead.push(mode);
            }
            let Some(k) = grant else { return };
            let (session, mode) = self.queue.remove(k);
            self.sessions[session].held.push(mode);
            let (i, _) = self.sessions[session].waiting.take().expect("a queued session waits");
            self.complete(i, format!("granted {}", mode.name()));
            self.drain(session);
        }
    }
    // ANCHOR_END: wake

    /// Line `i` got its lock: it is done; an autocommitted statement lets go at once.
    fn complete(&mut self, i: usize, result: String) {
        let session = self.lines[i].session;
        self.outcomes[i].finished = Some(self.now);
        self.outcomes[i].result = result;
        if !self.sessions[session].in_tx {
            self.sessions[session].held.clear();
        }
    }

    fn fail(&mut self, i: usize, result: String) {
        let session = self.lines[i].session;
        self.outcomes[i].finished = Some(self.now);
        self.outcomes[i].result = result;
        self.outcomes[i].failed = true;
        self.queue.retain(|&(s, _)| s != session);
        self.sessions[session].waiting = None;
        if self.sessions[session].in_tx {
            // An error aborts the transaction; its locks stay until it ends.
            self.sessions[session].failed = true;
        } else {
            self.sessions[session].held.clear();
        }
        self.wake();
    }

    /// Runs the statements a session queued while it waited.
    fn drain(&mut self, session: usize) {
        while self.sessions[session].waiting.is_none() {
            let Some(i) = self.sessions[session].queued.pop_front() else { return };
            self.execute(i);
        }
    }

    fn execute(&mut self, i: usize) {
        let session = self.lines[i].session;
        if self.sessions[session].waiting.is_some() {
            self.outcomes[i].waited = Some("queued behind its session's waiting statement".to_string());
            self.sessions[session].queued.push_back(i);
            return;
        }
        match self.lines[i].command.clone() {
            Command::Begin => {
                self.sessions[session].in_tx = true;
                self.complete(i, "BEGIN".to_string());
            }
            Command::Commit | Command::Rollback => {
                let failed = std::mem::take(&mut self.sessions[session].failed);
                let word =
                    if failed || self.lines[i].command == Command::Rollback { "ROLLBACK" } else { "COMMIT" };
                self.sessions[session].in_tx = false;
                self.complete(i, format!("{word}: its locks are released"));
                self.release(session);
            }
            Command::SetTimeout => {
                self.sessions[session].timeout = true;
                self.complete(i, "SET: a wait now fails at the next line".to_string());
            }
            Command::Lock { .. } if self.sessions[session].failed => {
                self.fail(i, "ERROR 25P02: current transaction is aborted".to_string());
            }
            Command::Lock { mode, .. } => {
                if self.request(session, mode, i) {
                    self.complete(i, format!("granted {}", mode.name()));
                } else if self.in_cycle(session) {
                    self.fail(i, "ERROR 40P01: deadlock detected".to_string());
                }
            }
        }
    }

    fn state_line(&self) -> String {
        let granted: Vec<String> = self
            .sessions
            .iter()
            .enumerate()
            .flat_map(|(s, session)| session.held.iter().map(move |m| format!("S{s} {}", m.name())))
            .collect();
        let queue: Vec<String> = self.queue.iter().map(|&(s, m)| format!("S{s} {}", m.name())).collect();
        let none = |v: Vec<String>| if v.is_empty() { "none".to_string() } else { v.join(", ") };
        format!("granted: {}; waiting: {}", none(granted), none(queue))
    }

    fn cell(&self, session: usize, i: usize) -> Option<(String, SpanKind)> {
        let s = &self.sessions[session];
        if let Some((_, _)) = s.waiting {
            let mode = self.queue.iter().find(|&&(q, _)| q == session).map(|&(_, m)| m)?;
            return Some((format!("waits: {}", mode.name()), SpanKind::Wait));
        }
        if let Some(strongest) = s.held.iter().max() {
            let kind = if s.failed { SpanKind::Lost } else { SpanKind::Busy };
            return Some((strongest.name().to_string(), kind));
        }
        // A statement of this session that ended during this line.
        let ended = (0..=i)
            .rev()
            .find(|&j| self.lines[j].session == session && self.outcomes[j].finished == Some(i))?;
        let kind = if self.outcomes[ended].failed { SpanKind::Lost } else { SpanKind::Busy };
        Some((self.lines[ended].text.clone(), kind))
    }
}

fn simulate(input: &str) -> Result<Sim, InputError> {
    let lines = read(input)?;
    let n = lines.len();
    let mut sim = Sim {
        lines,
        sessions: vec![Session::default(); MAX_SESSIONS + 1],
        queue: Vec::new(),
        outcomes: vec![Outcome::default(); n],
        states: Vec::new(),
        cells: Vec::new(),
        now: 0,
    };
    for i in 0..n {
        sim.now = i;
        // lock_timeout: a wait that began at an earlier line has run out.
        for s in 1..=MAX_SESSIONS {
            if let Some((j, since)) = sim.sessions[s].waiting
                && sim.sessions[s].timeout
                && since < i
            {
                sim.fail(j, "ERROR 55P03: canceling statement due to lock timeout".to_string());
                sim.drain(s);
            }
        }
        sim.execute(i);
        sim.states.push(sim.state_line());
        let cells = (1..=MAX_SESSIONS).map(|s| sim.cell(s, i)).collect();
        sim.cells.push(cells);
    }
    Ok(sim)
}

fn report(sim: &Sim) -> String {
    let mut out = format!("Table locks on one table, PostgreSQL's rules: {} lines\n\n", sim.lines.len());
    for (i, line) in sim.lines.iter().enumerate() {
        let outcome = &sim.outcomes[i];
        let status = match (outcome.finished, &outcome.waited) {
            (Some(at), None) if at == i => outcome.result.clone(),
            (Some(at), Some(why)) if at == i => format!("{why}; {}", outcome.result),
            (_, Some(why)) => why.clone(),
            (_, None) => "waits".to_string(),
        };
        let _ = writeln!(out, "{:>2} S{} {:<28} {status}", i + 1, line.session, line.text);
        for (j, earlier) in sim.lines.iter().enumerate() {
            if j < i && sim.outcomes[j].finished == Some(i) {
                let text = format!("↳ {}", earlier.text);
                let _ = writeln!(out, "   S{} {text:<28} {}", earlier.session, sim.outcomes[j].result);
            }
        }
        let _ = writeln!(out, "      {}", sim.states[i]);
    }
    let waiting: Vec<String> = sim
        .outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.finished.is_none())
        .map(|(j, _)| format!("line {} (S{})", j + 1, sim.lines[j].session))
        .collect();
    if !waiting.is_empty() {
        let _ = writeln!(out, "\nstill waiting at the end: {}", waiting.join(", "));
    }
    out
}

fn draw(sim: &Sim) -> Figure {
    let used: Vec<usize> = (1..=MAX_SESSIONS).filter(|&s| sim.lines.iter().any(|l| l.session == s)).collect();
    let mut lanes = Vec::new();
    for &s in &used {
        let mut spans: Vec<Span> = Vec::new();
        for (p, cells) in sim.cells.iter().enumerate() {
            let Some((label, kind)) = &cells[s - 1] else { continue };
            match spans.last_mut() {
                Some(last) if last.end == p as f64 && &last.label == label && last.kind == *kind => {
                    last.end = p as f64 + 1.0;
                }
                _ => spans.push(Span {
                    start: p as f64,
                    end: p as f64 + 1.0,
                    label: label.clone(),
                    kind: *kind,
                }),
            }
        }
        lanes.push(Lane { name: format!("S{s}"), spans });
    }
    let steps = sim
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let outcome = &sim.outcomes[i];
            let mut text = format!("{}. S{} {}: ", i + 1, line.session, line.text);
            match (outcome.finished, &outcome.waited) {
                (Some(at), _) if at == i => text.push_str(&outcome.result),
                (_, Some(why)) => text.push_str(why),
                _ => text.push_str("waits"),
            }
            for (j, earlier) in sim.lines.iter().enumerate() {
                if j < i && sim.outcomes[j].finished == Some(i) {
                    let _ = write!(
                        text,
                        "; S{}'s {} now: {}",
                        earlier.session, earlier.text, sim.outcomes[j].result
                    );
                }
            }
            let marks = Mark::spans_starting_at(&lanes, i as f64);
            Step { at: i as f64, text, marks }
        })
        .collect();
    Figure::Timeline {
        title: "Table locks and their queue".to_string(),
        unit: "lines".to_string(),
        lanes,
        steps,
    }
}

// ANCHOR: example
/// Runs the sessions' lines through the lock manager's rules; the text and the drawing.
fn lock_queue(input: &str) -> Result<Drawn, InputError> {
    let sim = simulate(input)?;
    Ok(Drawn { text: report(&sim), figure: draw(&sim) })
}
// ANCHOR_END: example

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conflict_table_is_the_manuals() {
        // PostgreSQL's manual, table "Conflicting Lock Modes", row by row (X: conflict).
        let manual =
            ["       X", "      XX", "    XXXX", "   XXXXX", "  XX XXX", "  XXXXXX", " XXXXXXX", "XXXXXXXX"];
        for (i, held) in Mode::ALL.iter().enumerate() {
            let row: String = Mode::ALL.iter().map(|m| if held.conflicts(*m) { 'X' } else { ' ' }).collect();
            assert_eq!(row, manual[i], "{}", held.name());
        }
        assert_eq!(Mode::AccessExclusive.pg_locks_name(), "AccessExclusiveLock");
    }

    #[test]
    fn the_default_is_the_lock_trap_the_real_postgresql_showed() {
        // The migrations chapter's observation: session 1 holds AccessShareLock, session 2's
        // AccessExclusiveLock waits for it, session 3's AccessShareLock waits for session 2.
        let observed = include_str!("../../data/migrations-lock-trap.txt");
        let sim = simulate(EXAMPLE.default_input).unwrap();
        let at_alter = &sim.states[3];
        assert_eq!(at_alter, "granted: S1 ACCESS SHARE; waiting: S2 ACCESS EXCLUSIVE, S3 ACCESS SHARE");
        for (session, mode, granted) in [
            ("session 1", Mode::AccessShare, "granted"),
            ("session 2", Mode::AccessExclusive, "WAITING"),
            ("session 3", Mode::AccessShare, "WAITING"),
        ] {
            let line = format!("{session}  {:<20} {granted}", mode.pg_locks_name());
            assert!(observed.contains(&line), "{line}");
        }
        assert!(observed.contains("session 3  is blocked by session 2"));
        // And after the commit, all of them go through.
        let text = report(&sim);
        assert!(text.contains("S2 ↳ alter table                granted ACCESS EXCLUSIVE"), "{text}");
        assert_eq!(sim.states.last().unwrap(), "granted: none; waiting: none");
    }

    #[test]
    fn lock_timeout_lets_the_queue_move_and_upgrades_can_deadlock() {
        let sim =
            simulate("S1: begin\nS1: select\nS2: set lock_timeout\nS2: alter table\nS3: select\nS1: commit")
                .unwrap();
        let text = report(&sim);
        assert!(text.contains("ERROR 55P03"), "{text}");
        assert!(sim.outcomes[4].finished == Some(4), "{text}");
        let deadlock =
            simulate("S1: begin\nS2: begin\nS1: select\nS2: select\nS1: alter table\nS2: alter table")
                .unwrap();
        assert!(report(&deadlock).contains("ERROR 40P01"));
        let figure = lock_queue(EXAMPLE.default_input).unwrap().figure;
        figure.validate().unwrap();
    }

    #[test]
    fn bad_lines_are_named() {
        for (input, expected) in [
            ("S1: explode", "input line 1: `explode` is not a statement"),
            ("S0: select", "input line 1: session `S0`: use S1 to S9"),
            ("S1: begin\nS1: vacuum", "input line 2: `vacuum` cannot run inside a transaction block"),
            ("S1: commit", "input line 1: S1 has no transaction to end"),
            ("S1: lock table in share mode mode", "input line 1: `SHARE MODE` is not a lock mode"),
            ("S1: lock table in mode", "input line 1: `lock table in mode` is not a statement"),
        ] {
            let got = lock_queue(input).unwrap_err().to_string();
            assert!(got.starts_with(expected), "{input}: {got}");
        }
    }

    #[test]
    fn mutated_inputs_never_panic() {
        for text in super::super::mutated_scripts(EXAMPLE.default_input, 3000) {
            if let Ok(drawn) = lock_queue(&text) {
                drawn.figure.validate().unwrap_or_else(|e| panic!("{text}: {e}"));
            }
        }
    }
}
