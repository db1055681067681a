//! Runs the [`Scenario`]s of `examples::real_servers` on a real server and renders what
//! happened: every statement with its result, a wait for a lock with the sessions the server
//! named, and a waiting statement's result under the step during which it arrived.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use examples::isolation::trace::Start;
use examples::real_servers::{Line, Scenario, Server, fill_read, fill_sessions};

use super::harness::{
    Conn, Driver, Handler, Hider, Outcome, Record, Scratch, checked_in, compare_or_bless, unreachable,
};

/// A statement as the session sent it (placeholders filled in) and what it returned.
type Sent = (String, Outcome);

/// One line of a transcript.
#[derive(Debug, Clone)]
enum Entry {
    Comment(String),
    /// A session's statement (as the script writes it): step `step` of the driver.
    Statement {
        step: usize,
        sql: &'static str,
    },
    Monitor {
        sql: &'static str,
        outcome: Outcome,
    },
}

/// What one scenario did on one server.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub server: Server,
    pub version: String,
    pub title: &'static str,
    /// Session labels, in order of first appearance.
    sessions: Vec<&'static str>,
    entries: Vec<Entry>,
    records: Vec<Record<Sent>>,
    /// Each session's id on the server (to read the server's own reports, which name them).
    ids: BTreeMap<&'static str, u64>,
}

impl Transcript {
    fn index(&self, session: &str) -> usize {
        self.sessions.iter().position(|s| *s == session).unwrap_or_else(|| panic!("no session {session}"))
    }

    /// The result of the script's last statement that returned rows, as the page shows it.
    pub fn last_rows(&self) -> String {
        let mut outcomes = self.records.iter().rev().filter_map(|r| r.result.as_ref().map(|(_, o)| o));
        outcomes.find(|o| matches!(o, Outcome::Rows { .. })).map_or_else(String::new, |o| o.render(false))
    }

    /// Whether some statement of `session` had to wait for a lock that the server said
    /// `blocker` held.
    pub fn waited_for(&self, session: &str, blocker: &str) -> bool {
        let (s, b) = (self.index(session), self.index(blocker));
        self.records.iter().any(|r| r.session == s && r.start == Start::Blocked && r.blockers.contains(&b))
    }

    /// Whether any statement waited for a lock.
    pub fn any_wait(&self) -> bool {
        self.records.iter().any(|r| r.start == Start::Blocked)
    }

    /// The error codes `session`'s statements ended with, in order.
    /// What each of `session`'s statements returned, as the file shows it, in order (a
    /// statement still waiting at the end has no entry).
    pub fn results(&self, session: &str) -> Vec<String> {
        let s = self.index(session);
        self.records
            .iter()
            .filter(|r| r.session == s)
            .filter_map(|r| Some(r.result.as_ref()?.1.render(false)))
            .collect()
    }

    pub fn errors(&self, session: &str) -> Vec<String> {
        let s = self.index(session);
        self.records
            .iter()
            .filter(|r| r.session == s)
            .filter_map(|r| r.result.as_ref()?.1.error_code().map(str::to_string))
            .collect()
    }

    /// The cycles the driver saw in the server's wait-for graph while it held the script (as
    /// `A waits for B`), in the order of the steps. Whether one is seen depends on timing (the
    /// server may break it first); for a check that a server never lets a cycle stand.
    pub fn cycles_seen(&self) -> Vec<Vec<String>> {
        self.records.iter().filter_map(|r| r.deadlock.as_ref()).map(|graph| self.describe(graph)).collect()
    }

    /// The deadlocks the server reported in its errors (PostgreSQL's DETAIL of 40P01), as
    /// `A waits for B`, in the order of the steps.
    pub fn deadlock_reports(&self) -> Vec<Vec<String>> {
        self.records
            .iter()
            .filter_map(|r| r.result.as_ref())
            .filter_map(|(_, outcome)| self.reported_cycle(outcome))
            .collect()
    }

    /// "Process 12 waits for ShareLock on transaction 7; blocked by process 13." lines, as
    /// `A waits for B` with the script's labels.
    fn reported_cycle(&self, outcome: &Outcome) -> Option<Vec<String>> {
        let Outcome::Error { code, detail: Some(detail), .. } = outcome else { return None };
        if code != "40P01" {
            return None;
        }
        let label = |pid: &str| {
            let pid: u64 = pid.trim_end_matches('.').parse().ok()?;
            self.ids.iter().find(|(_, id)| **id == pid).map(|(label, _)| label.to_string())
        };
        let edges: Vec<String> = detail
            .lines()
            .filter_map(|line| {
                let waiter = line.strip_prefix("Process ")?.split_whitespace().next()?;
                let blocker = line.rsplit("blocked by process ").next()?;
                Some(format!(
                    "{} waits for {}",
                    label(waiter).unwrap_or_else(|| "another session".into()),
                    label(blocker).unwrap_or_else(|| "another session".into())
                ))
            })
            .collect();
        (!edges.is_empty()).then_some(edges)
    }

    fn describe(&self, graph: &[(usize, Vec<usize>)]) -> Vec<String> {
        graph
            .iter()
            .map(|(s, blockers)| {
                let names: Vec<&str> = blockers.iter().map(|&b| self.sessions[b]).collect();
                format!("{} waits for {}", self.sessions[*s], names.join(" and "))
            })
            .collect()
    }

    /// How long the statement of `session` that ended with error `code` took, from being sent
    /// to the error.
    pub fn error_after(&self, session: &str, code: &str) -> Option<std::time::Duration> {
        let s = self.index(session);
        self.records
            .iter()
            .filter(|r| r.session == s)
            .find(|r| r.result.as_ref().and_then(|(_, o)| o.error_code()) == Some(code))
            .and_then(|r| Some(r.done?.duration_since(r.sent)))
    }

    /// What the monitor's queries returned, in order, as the page shows it.
    pub fn monitor_results(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Monitor { outcome, .. } => Some(outcome.render(true)),
                _ => None,
            })
            .collect()
    }
}

/// Runs `scenario` on its server; `Err` when the server cannot be reached.
fn run(scenario: &Scenario, deadlocks: Deadlocks) -> Result<Transcript, String> {
    let lines = scenario.lines().unwrap_or_else(|e| panic!("{e}"));
    let server = scenario.server;
    let scratch = Scratch::create(server)?;
    // The monitor sees the scenario's tables (and functions) too.
    let mut monitor = scratch.connect();
    let version = monitor.major_version();
    let hider = scratch.hider();
    let mut setup = scratch.connect();
    for statement in scenario.setup_statements() {
        setup.must(statement);
    }

    let mut sessions: Vec<&'static str> = Vec::new();
    for line in &lines {
        if let Line::Session { session, .. } = line
            && !sessions.contains(session)
        {
            sessions.push(session);
        }
    }
    let connections: Vec<(Conn, Handler<&'static str, Sent>)> = sessions
        .iter()
        .map(|_| {
            let mut conn = scratch.connect();
            conn.bound_lock_waits();
            (conn, session_handler(hider.clone()))
        })
        .collect();
    let mut driver = Driver::new(server, connections);
    if deadlocks == Deadlocks::AwaitTheServer {
        driver = driver.awaiting_deadlocks();
    }
    let ids: BTreeMap<&str, u64> = sessions.iter().enumerate().map(|(i, s)| (*s, driver.id(i))).collect();

    let mut entries = Vec::new();
    for line in lines {
        match line {
            Line::Comment(text) => entries.push(Entry::Comment(text.to_string())),
            Line::Session { session, sql } => {
                let index = sessions.iter().position(|s| *s == session).expect("listed above");
                let step = entries.iter().filter(|e| matches!(e, Entry::Statement { .. })).count();
                driver.send(&mut monitor, index, sql, &format!("\"{}\", {session}: {sql}", scenario.title));
                entries.push(Entry::Statement { step, sql });
            }
            Line::Monitor { sql } => {
                monitor.quiesce(&driver.ids());
                let filled =
                    fill_sessions(sql, |name| ids.get(name).copied()).unwrap_or_else(|e| panic!("{e}"));
                let outcome = hider.outcome(monitor.outcome(&filled));
                entries.push(Entry::Monitor { sql, outcome });
            }
        }
    }
    let records = driver.finish();
    Ok(Transcript { server, version, title: scenario.title, sessions, entries, records, ids })
}

/// A session: fills `{read + N}` in from what its last `SELECT` returned, runs the statement.
fn session_handler(hider: Hider) -> Handler<&'static str, Sent> {
    let mut read: Option<String> = None;
    Box::new(move |conn: &mut Conn, template: &'static str| {
        let sql = fill_read(template, read.as_deref()).unwrap_or_else(|e| panic!("{template}: {e}"));
        let outcome = hider.outcome(conn.outcome(&sql));
        if let Outcome::Rows { .. } = &outcome {
            read = outcome.single_value().map(str::to_string);
        }
        (sql, outcome)
    })
}

// ---- Rendering ------------------------------------------------------------------------------

/// A statement's line longer than this gets its result on the next line.
const MAX_LINE_WIDTH: usize = 70;

/// What a page shows of a line without scrolling (a code block in the book's column).
const PAGE_WIDTH: usize = 88;

/// `left`, then `status` in the column after `width`: on the same line when `left` fits,
/// else on the next line; a status too long for that column starts on a line of its own,
/// indented under the statement. A status's further lines are aligned under its first.
fn row(out: &mut String, left: &str, width: usize, status: &str) {
    let column = width + 2;
    let longest = status.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let indent = if column + longest <= PAGE_WIDTH { column } else { 6 };
    let mut lines = status.lines();
    let first = lines.next().unwrap_or("");
    if indent == column && left.chars().count() <= width {
        let _ = writeln!(out, "{left:<width$}  {first}");
    } else {
        let _ = writeln!(out, "{left}\n{:indent$}{first}", "");
    }
    for line in lines {
        let _ = writeln!(out, "{:indent$}{line}", "");
    }
}

impl Transcript {
    /// The header line of this scenario's section.
    fn heading(server: Server, version: &str, title: &str) -> String {
        format!("== {} {version}: {title} ==", server.name())
    }

    /// `" 6 B: UPDATE …"`: a statement's number, session and SQL as sent (as written, for one
    /// that never finished).
    fn statement_line(&self, step: usize, template: &str) -> String {
        let record = &self.records[step];
        let sql = record.result.as_ref().map_or(template, |(sql, _)| sql.as_str());
        format!("{:>2} {}: {sql}", step + 1, self.sessions[record.session])
    }

    /// For a statement that finished during its own step after the driver saw its session
    /// wait in a deadlock: whom it waited for.
    fn held_in_deadlock(&self, step: usize) -> Option<String> {
        let record = &self.records[step];
        let (_, blockers) = record.deadlock.as_ref()?.iter().find(|(s, _)| *s == record.session)?;
        let names: Vec<&str> = blockers.iter().map(|&b| self.sessions[b]).collect();
        Some(names.join(" and "))
    }

    /// Under a deadlock error, the cycle as the server reported it.
    fn report_line(&self, out: &mut String, outcome: &Outcome) {
        if let Some(edges) = self.reported_cycle(outcome) {
            let _ = writeln!(out, "      the server's report: {}", edges.join(", "));
        }
    }

    pub fn render(&self) -> String {
        // Results line up after the longest statement that is not too long.
        let width = self
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Statement { step, sql } => Some(self.statement_line(*step, sql).chars().count()),
                _ => None,
            })
            .filter(|&n| n <= MAX_LINE_WIDTH)
            .max()
            .unwrap_or(0);
        let mut out = Self::heading(self.server, &self.version, self.title);
        out.push('\n');
        for entry in &self.entries {
            match entry {
                Entry::Comment(text) => {
                    let _ = writeln!(out, "   {text}");
                }
                Entry::Monitor { sql, outcome } => {
                    row(&mut out, &format!("   monitor: {sql}"), width, &outcome.render(true))
                }
                &Entry::Statement { step: i, sql } => {
                    let left = self.statement_line(i, sql);
                    let record = &self.records[i];
                    let status = match (record.start, record.finished_at, &record.result) {
                        (_, Some(at), Some((_, outcome))) if at == i => match self.held_in_deadlock(i) {
                            // It sat in a cycle the server broke, and came through.
                            Some(whom) => {
                                format!("waited for {whom} (deadlock), then {}", outcome.render(false))
                            }
                            None => outcome.render(false),
                        },
                        (Start::Queued, ..) => "queued behind its waiting statement".to_string(),
                        _ => {
                            let names: Vec<&str> =
                                record.blockers.iter().map(|&b| self.sessions[b]).collect();
                            let whom =
                                if names.is_empty() { "a lock".to_string() } else { names.join(" and ") };
                            format!("waits for {whom}")
                        }
                    };
                    row(&mut out, &left, width, &status);
                    if let Some((at, (_, outcome))) = record.finished_at.zip(record.result.as_ref())
                        && at == i
                    {
                        self.report_line(&mut out, outcome);
                    }
                    for (j, earlier) in self.records.iter().enumerate() {
                        if j < i && earlier.finished_at == Some(i) {
                            let (_, outcome) = earlier.result.as_ref().expect("finished");
                            let label = self.sessions[earlier.session];
                            row(
                                &mut out,
                                &format!("     ↳ step {} ({label}) returns", j + 1),
                                width,
                                &outcome.render(false),
                            );
                            self.report_line(&mut out, outcome);
                        }
                    }
                }
            }
        }
        for (j, record) in self.records.iter().enumerate() {
            if record.finished_at.is_none() {
                let label = self.sessions[record.session];
                let _ =
                    writeln!(out, "     step {} ({label}) never finished: still waiting at the end", j + 1);
            }
        }
        out
    }
}

// ---- A file of observations -----------------------------------------------------------------

const HEADER: &str = "\
# Observed on the real servers by examples/tests/real_servers/ (no process ids or
# times; `cargo xtask bless` rewrites this file). \"waits for A\": the server said
# the statement waited for a lock that session A held (pg_blocking_pids on
# PostgreSQL, information_schema.innodb_lock_waits on MariaDB); \"↳ step N
# returns\": that waiting statement's result, under the step during which it came.
";

/// The checked-in section of `file` with this heading's server and title (any version).
fn checked_in_section(file: &str, server: Server, title: &str) -> Option<String> {
    let on_disk = checked_in(file);
    let prefix = format!("== {} ", server.name());
    let suffix = format!(": {title} ==");
    let start = on_disk.lines().position(|l| l.starts_with(&prefix) && l.ends_with(&suffix))?;
    let section: Vec<&str> = on_disk
        .lines()
        .skip(start)
        .enumerate()
        .take_while(|(n, l)| *n == 0 || !l.starts_with("== "))
        .map(|(_, l)| l)
        .collect();
    Some(format!("{}\n", section.join("\n").trim_end()))
}

/// What the driver does when the waiting sessions wait for each other in a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadlocks {
    /// Go on with the script, as for any wait.
    GoOn,
    /// Hold the script until the server breaks the cycle, and show it (see
    /// [`super::harness::Driver::awaiting_deadlocks`]).
    AwaitTheServer,
}

/// Runs `scenarios` and compares the rendered file with `examples/data/<file>` (under
/// `cargo xtask bless`, rewrites it). A server that cannot be reached is reported by
/// `skip_or_fail` (a failure in CI) and its sections are taken from the checked-in file, also
/// when blessing. Returns
/// the transcripts of the scenarios that ran, for the caller's own checks, or the difference.
pub fn observe(
    check: &str,
    file: &str,
    scenarios: &[Scenario],
    deadlocks: Deadlocks,
) -> Result<Vec<Transcript>, String> {
    let mut missing: BTreeSet<Server> = BTreeSet::new();
    let mut transcripts = Vec::new();
    let mut sections = Vec::new();
    for scenario in scenarios {
        if !missing.contains(&scenario.server) {
            match run(scenario, deadlocks) {
                Ok(transcript) => {
                    sections.push(transcript.render());
                    transcripts.push(transcript);
                    continue;
                }
                Err(error) => {
                    unreachable(check, scenario.server, &error);
                    missing.insert(scenario.server);
                }
            }
        }
        sections.push(checked_in_section(file, scenario.server, scenario.title).unwrap_or_default());
    }
    if transcripts.is_empty() {
        return Ok(transcripts);
    }
    let text = format!("{HEADER}\n{}", sections.join("\n"));
    compare_or_bless(file, &text)?;
    Ok(transcripts)
}
