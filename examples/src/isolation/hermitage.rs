//! Hermitage's test cases as data.
//!
//! Hermitage (Martin Kleppmann, <https://github.com/ept/hermitage>, licensed CC BY 4.0) is a
//! suite of hand-run tests that probe what real databases mean by each isolation level. Its
//! cases are encoded here in this book's own script format; the structure of each case (who
//! does what, in which order, on the two-row table) follows Hermitage, the wording is ours.
//! Where Hermitage's PostgreSQL and MySQL scripts differ slightly (MySQL's adds a read before a
//! write in two cases), the script here contains both, so that one script runs everywhere.
//!
//! For every case and level we record Hermitage's published outcome for PostgreSQL (9.3 in
//! Hermitage's runs) and for MySQL/InnoDB (5.6). A cell comes from Hermitage's script for that
//! case and level where it has one (`scripted` lists them), otherwise from its summary table,
//! by anomaly class (✓ prevented, — not prevented; MySQL's "R/O" is resolved by the scripts).
//! PostgreSQL has no read uncommitted of its own (it runs it as read committed), so its first
//! cell is empty.
//!
//! Whether an anomaly happened is decided from what the transactions observed (`check`), so the
//! same function judges the engine's runs and the runs on the real servers.

use std::fmt::Write as _;

use super::dsg::Phenomenon;
use super::engine::run;
use super::observed::Observations;
use super::script::{DEFAULT_ROWS, Level, Script, Statement, parse_steps};
use super::trace::{Response, Start, Trace};
use crate::real_servers::Server;
use crate::registry::{Example, InputError, Run, Runs};

pub const TABLE: Example = Example {
    id: "isolation::anomaly_table",
    title: "Hermitage's anomalies at each level: the engine, PostgreSQL 15 and MariaDB 10.11",
    file: file!(),
    default_input: "",
    input_help: "no input: the engine runs every case now; the servers' columns come from what the test recorded",
    runs: Runs::Everywhere,
    run: Run::Text(table),
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Prevented,
    Anomaly,
}

impl Verdict {
    /// Hermitage's notation: ✓ the level prevents it, — it does not.
    pub fn mark(self) -> &'static str {
        match self {
            Verdict::Prevented => "✓",
            Verdict::Anomaly => "—",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Verdict::Prevented => "prevented",
            Verdict::Anomaly => "anomaly",
        }
    }

    pub fn parse(word: &str) -> Option<Verdict> {
        match word {
            "prevented" => Some(Verdict::Prevented),
            "anomaly" => Some(Verdict::Anomaly),
            _ => None,
        }
    }
}

const P: Option<Verdict> = Some(Verdict::Prevented);
const A: Option<Verdict> = Some(Verdict::Anomaly);
const NONE: Option<Verdict> = None;

/// One Hermitage case.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// Hermitage's name for the anomaly, with a suffix for its variants.
    pub name: &'static str,
    /// The column of Hermitage's summary table it belongs to.
    pub class: &'static str,
    pub title: &'static str,
    /// What would show that the anomaly happened.
    pub looks_like: &'static str,
    /// The statements, one `Tn: …` per line, on the table `1 => 10, 2 => 20`.
    pub script: &'static str,
    /// The phenomena of the serialization graph that this case probes for.
    pub probes: &'static [Phenomenon],
    /// Hermitage's published results by level (read uncommitted, read committed, repeatable
    /// read, serializable).
    pub postgres: [Option<Verdict>; 4],
    pub mysql: [Option<Verdict>; 4],
    /// The levels at which Hermitage has a script for this case: PostgreSQL's, MySQL's.
    pub scripted: (&'static str, &'static str),
    /// From what the transactions observed: did the anomaly happen?
    pub check: fn(&Observed) -> bool,
}

impl Case {
    pub fn parse(&self) -> Script {
        let steps = parse_steps(self.script, 0).unwrap_or_else(|e| panic!("case {}: {e}", self.name));
        Script { rows: DEFAULT_ROWS.to_vec(), steps }
    }

    pub fn verdict(&self, script: &Script, trace: &Trace) -> Verdict {
        if (self.check)(&Observed { script, trace }) { Verdict::Anomaly } else { Verdict::Prevented }
    }

    /// Hermitage's published PostgreSQL result at `level`.
    pub fn published_postgres(&self, level: Level) -> Option<Verdict> {
        self.postgres[level as usize]
    }

    pub fn published_mysql(&self, level: Level) -> Option<Verdict> {
        self.mysql[level as usize]
    }
}

/// A case by name, ignoring case.
pub fn find(name: &str) -> Option<&'static Case> {
    CASES.iter().find(|c| c.name.eq_ignore_ascii_case(name.trim()))
}

pub fn names() -> String {
    CASES.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

// ANCHOR: cases
pub const CASES: &[Case] = &[
    Case {
        name: "G0",
        class: "G0",
        title: "write cycle (dirty write)",
        looks_like: "T2 overwrites row 1 while T1, which wrote it, is still open, or the table ends with one row from each",
        script: "\
T1: begin
T2: begin
T1: update test set value = 11 where id = 1
T2: update test set value = 12 where id = 1
T1: update test set value = 21 where id = 2
T1: commit
T1: select * from test
T2: update test set value = 22 where id = 2
T2: commit
T1: select * from test",
        probes: &[Phenomenon::G0],
        postgres: [NONE, P, P, P],
        mysql: [P, P, P, P],
        scripted: ("RC", "RU"),
        check: |o| {
            let first = o.first(2, |s| matches!(s, Statement::Update { .. }));
            let dirty = o.trace.steps[first].start == Start::Ran && o.ok(first);
            let last = o.rows(o.script.steps.len() - 1).unwrap_or_default();
            let mixed =
                matches!((value(&last, 1), value(&last, 2)), (Some(11), Some(22)) | (Some(12), Some(21)));
            dirty || mixed
        },
    },
    Case {
        name: "G1a",
        class: "G1a",
        title: "aborted read (dirty read)",
        looks_like: "T2 sees 101, a value T1 wrote and then rolled back",
        script: "\
T1: begin
T2: begin
T1: update test set value = 101 where id = 1
T2: select * from test
T1: rollback
T2: select * from test
T2: commit",
        probes: &[Phenomenon::G1a],
        postgres: [NONE, P, P, P],
        mysql: [A, P, P, P],
        scripted: ("RC", "RU RC"),
        check: |o| o.reads(2).iter().any(|rows| rows.iter().any(|&(_, v)| v == 101)),
    },
    Case {
        name: "G1b",
        class: "G1b",
        title: "intermediate read (dirty read)",
        looks_like: "T2 sees 101, a value T1 replaced by 11 before committing",
        script: "\
T1: begin
T2: begin
T1: update test set value = 101 where id = 1
T2: select * from test
T1: update test set value = 11 where id = 1
T1: commit
T2: select * from test
T2: commit",
        probes: &[Phenomenon::G1b],
        postgres: [NONE, P, P, P],
        mysql: [A, P, P, P],
        scripted: ("RC", "RU RC"),
        check: |o| o.reads(2).iter().any(|rows| rows.iter().any(|&(_, v)| v == 101)),
    },
    Case {
        name: "G1c",
        class: "G1c",
        title: "circular information flow (dirty reads both ways)",
        looks_like: "each transaction sees the other's uncommitted write: T1 reads 22, T2 reads 11",
        script: "\
T1: begin
T2: begin
T1: update test set value = 11 where id = 1
T2: update test set value = 22 where id = 2
T1: select * from test where id = 2
T2: select * from test where id = 1
T1: commit
T2: commit",
        probes: &[Phenomenon::G1c],
        postgres: [NONE, P, P, P],
        mysql: [A, P, P, P],
        scripted: ("RC", "RU RC"),
        check: |o| {
            let saw =
                |session: usize, wanted: i64| o.reads(session).iter().flatten().any(|&(_, v)| v == wanted);
            saw(1, 22) && saw(2, 11)
        },
    },
    Case {
        name: "OTV",
        class: "OTV",
        title: "observed transaction vanishes",
        looks_like: "T3 sees T2's write to one row (12 or 18) and, then or later, an older value of the other row T2 wrote",
        script: "\
T1: begin
T2: begin
T3: begin
T1: update test set value = 11 where id = 1
T1: update test set value = 19 where id = 2
T2: update test set value = 12 where id = 1
T1: commit
T3: select * from test
T2: update test set value = 18 where id = 2
T3: select * from test
T2: commit
T3: select * from test
T3: commit",
        probes: &[Phenomenon::Otv],
        postgres: [NONE, P, P, P],
        mysql: [A, P, P, P],
        scripted: ("RC", "RU RC"),
        check: |o| {
            let reads = o.reads(3);
            let saw_t2 = |rows: &Vec<(i64, i64)>| value(rows, 1) == Some(12) || value(rows, 2) == Some(18);
            let before_t2 = |rows: &Vec<(i64, i64)>| {
                matches!(value(rows, 1), Some(10 | 11)) || matches!(value(rows, 2), Some(19 | 20))
            };
            match reads.iter().position(saw_t2) {
                Some(first) => reads[first..].iter().any(before_t2),
                None => false,
            }
        },
    },
    Case {
        name: "PMP",
        class: "PMP",
        title: "predicate-many-preceders (a phantom row appears)",
        looks_like: "T1's second query, whose condition covers value 30, returns the row T2 inserted",
        script: "\
T1: begin
T2: begin
T1: select * from test where value = 30
T2: insert into test (id, value) values (3, 30)
T2: commit
T1: select * from test where value % 3 = 0
T1: commit",
        probes: &[Phenomenon::Pmp],
        postgres: [NONE, A, P, P],
        mysql: [A, A, P, P],
        scripted: ("RC RR", "RC RR"),
        check: |o| o.last_select(1).is_some_and(|rows| value(&rows, 3).is_some()),
    },
    Case {
        name: "PMP-write",
        class: "PMP",
        title: "predicate-many-preceders with a write predicate",
        looks_like: "what T2 reads and deletes fits neither order of T1 and T2, e.g. it deletes the rows with value 20 and still sees one",
        script: "\
T1: begin
T2: begin
T1: update test set value = value + 10
T2: select * from test
T2: delete from test where value = 20
T1: commit
T2: select * from test
T2: commit",
        // T2's delete sees T1's change to row 2 but not to row 1: at read committed that
        // makes its reads disagree on T1 (PMP); when T2's first read was already dirty, the
        // delete alone is a cycle through T1 (G-single).
        probes: &[Phenomenon::Pmp, Phenomenon::GSingle],
        postgres: [NONE, A, P, P],
        mysql: [A, A, A, P],
        scripted: ("RC RR", "RC RR"),
        check: |o| {
            // Run one after the other, T2 would read (10, 20), delete row 2 and keep row 1 = 10
            // (T2 first), or read (20, 30), delete row 1 and keep row 2 = 30 (T1 first).
            let first = o.rows(o.first(2, |s| matches!(s, Statement::Select { .. })));
            let deleted = o.trace.result(o.first(2, |s| matches!(s, Statement::Delete { .. })));
            let last = o.last_select(2);
            let serial = |a: &[(i64, i64)], b: &[(i64, i64)]| {
                first.as_deref() == Some(a)
                    && deleted == Some(&Ok(Response::Count(1)))
                    && last.as_deref() == Some(b)
            };
            o.committed(2)
                && !serial(&[(1, 10), (2, 20)], &[(1, 10)])
                && !serial(&[(1, 20), (2, 30)], &[(2, 30)])
        },
    },
    Case {
        name: "P4",
        class: "P4",
        title: "lost update",
        looks_like: "both transactions read 10, both write 11 and both commit: one increment is lost",
        script: "\
T1: begin
T2: begin
T1: select * from test where id = 1
T2: select * from test where id = 1
T1: update test set value = 11 where id = 1
T2: update test set value = 11 where id = 1
T1: commit
T2: commit",
        probes: &[Phenomenon::LostUpdate],
        postgres: [NONE, A, P, P],
        mysql: [A, A, A, P],
        scripted: ("RC RR", "RR SER"),
        check: |o| o.committed(1) && o.committed(2),
    },
    Case {
        name: "G-single",
        class: "G-single",
        title: "read skew",
        looks_like: "T1 sees row 1 before T2 (10) and row 2 after T2 (18): a total of 28 that never existed",
        script: "\
T1: begin
T2: begin
T1: select * from test where id = 1
T2: select * from test where id = 1
T2: select * from test where id = 2
T2: update test set value = 12 where id = 1
T2: update test set value = 18 where id = 2
T2: commit
T1: select * from test where id = 2
T1: commit",
        probes: &[Phenomenon::GSingle],
        postgres: [NONE, A, P, P],
        mysql: [A, A, P, P],
        scripted: ("RC RR", "RC RR"),
        check: |o| {
            let seen: Vec<(i64, i64)> = o.reads(1).into_iter().flatten().collect();
            seen.contains(&(1, 10)) && seen.contains(&(2, 18))
        },
    },
    Case {
        name: "G-single-dependencies",
        class: "G-single",
        title: "read skew through predicate dependencies",
        looks_like: "T1's second query returns row 1 with T2's value 12, after its first query saw 10",
        script: "\
T1: begin
T2: begin
T1: select * from test where value % 5 = 0
T2: update test set value = 12 where value = 10
T2: commit
T1: select * from test where value % 3 = 0
T1: commit",
        probes: &[Phenomenon::GSingle],
        postgres: [NONE, A, P, P],
        mysql: [A, A, P, P],
        scripted: ("RR", "RR"),
        check: |o| o.last_select(1).is_some_and(|rows| !rows.is_empty()),
    },
    Case {
        name: "G-single-write",
        class: "G-single",
        title: "read skew on a write predicate",
        looks_like: "T1 read row 1 before T2 (10), then its delete acts on the data after T2, and both commit",
        script: "\
T1: begin
T2: begin
T1: select * from test where id = 1
T2: select * from test
T2: update test set value = 12 where id = 1
T2: update test set value = 18 where id = 2
T2: commit
T1: delete from test where value = 20
T1: select * from test where id = 2
T1: commit",
        probes: &[Phenomenon::GSingle],
        postgres: [NONE, A, P, P],
        mysql: [A, A, A, P],
        scripted: ("RR", "RR SER"),
        check: |o| {
            let first = o.first(1, |s| matches!(s, Statement::Select { .. }));
            o.committed(1) && o.committed(2) && o.rows(first).is_some_and(|rows| value(&rows, 1) == Some(10))
        },
    },
    Case {
        name: "G2-item",
        class: "G2-item",
        title: "write skew",
        looks_like: "both read both rows, each updates a different one, and both commit",
        script: "\
T1: begin
T2: begin
T1: select * from test where id in (1, 2)
T2: select * from test where id in (1, 2)
T1: update test set value = 11 where id = 1
T2: update test set value = 21 where id = 2
T1: commit
T2: commit",
        probes: &[Phenomenon::G2Item, Phenomenon::G2],
        postgres: [NONE, A, A, P],
        mysql: [A, A, A, P],
        scripted: ("RR SER", "RR SER"),
        check: |o| o.committed(1) && o.committed(2),
    },
    Case {
        name: "G2",
        class: "G2",
        title: "anti-dependency cycle over a predicate (write skew with phantoms)",
        looks_like: "both find no row with value % 3 = 0, each inserts one, and both commit",
        script: "\
T1: begin
T2: begin
T1: select * from test where value % 3 = 0
T2: select * from test where value % 3 = 0
T1: insert into test (id, value) values (3, 30)
T2: insert into test (id, value) values (4, 42)
T1: commit
T2: commit
T1: select * from test where value % 3 = 0",
        probes: &[Phenomenon::G2],
        postgres: [NONE, A, A, P],
        mysql: [A, A, A, P],
        scripted: ("RR SER", "RR SER"),
        check: |o| o.committed(1) && o.committed(2),
    },
    Case {
        name: "G2-two-edges",
        class: "G2",
        title: "two anti-dependencies and a read-only transaction (Fekete, O'Neil and O'Neil)",
        looks_like: "T3 sees T2's change but not T1's, T1 did not see T2's, and all three commit",
        script: "\
T1: begin
T1: select * from test
T2: begin
T2: update test set value = value + 5 where id = 2
T2: commit
T3: begin
T3: select * from test
T3: commit
T1: update test set value = 0 where id = 1
T1: commit",
        probes: &[Phenomenon::G2Item, Phenomenon::G2],
        postgres: [NONE, A, A, P],
        mysql: [A, A, A, P],
        scripted: ("SER", "SER"),
        check: |o| o.committed(1) && o.committed(2) && o.committed(3),
    },
];
// ANCHOR_END: cases

fn value(rows: &[(i64, i64)], id: i64) -> Option<i64> {
    rows.iter().find(|(i, _)| *i == id).map(|(_, v)| *v)
}

// ANCHOR: table
fn table(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    let observed = Observations::checked_in();
    let version = |s: Server| observed.version(s).unwrap_or("?").to_string();
    let (pg, maria) = (version(Server::Postgres), version(Server::Mariadb));
    let recorded = |server: Server, case: &Case, level: Level| -> Option<Verdict> {
        observed.get(server, case.name, level).map(|r| r.verdict)
    };

    let mut out = String::from("✓ prevented, — anomaly. eng: this chapter's engine; ");
    let _ = writeln!(out, "PG: PostgreSQL {pg}; Ma: MariaDB {maria} (both as recorded).");
    out.push_str("* MariaDB differs from Hermitage's published MySQL/InnoDB result.\n\n");
    let _ = write!(out, "{:<22}", "");
    for level in Level::ALL {
        let _ = write!(out, "{:<18}", level.sql());
    }
    out.truncate(out.trim_end().len());
    let _ = write!(out, "\n{:<22}", "case");
    for _ in Level::ALL {
        let _ = write!(out, "{:<18}", "eng PG  Ma");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    let mark = |v: Option<Verdict>| v.map_or("?", Verdict::mark);
    let (mut engine_ok, mut engine_ru_ok, mut pg_ok, mut pg_ru_ok, mut maria_same) = (0, 0, 0, 0, 0);
    let mut differences = Vec::new();
    for case in CASES {
        let script = case.parse();
        let _ = write!(out, "{:<22}", case.name);
        for level in Level::ALL {
            let engine = case.verdict(&script, &run(&script, level)?.trace);
            let (p, m) = (recorded(Server::Postgres, case, level), recorded(Server::Mariadb, case, level));
            let star = if m.is_some() && m != case.published_mysql(level) { "*" } else { " " };
            let _ = write!(out, "{:<4}{:<4}{}{star}        ", engine.mark(), mark(p), mark(m));
            match level {
                Level::ReadUncommitted => {
                    engine_ru_ok += usize::from(Some(engine) == case.published_mysql(level));
                    pg_ru_ok += usize::from(
                        p.is_some() && p == recorded(Server::Postgres, case, Level::ReadCommitted),
                    );
                }
                _ => {
                    engine_ok += usize::from(Some(engine) == case.published_postgres(level));
                    pg_ok += usize::from(p == Some(engine));
                }
            }
            if star == "*" {
                differences.push(format!(
                    "{} at {level}: Hermitage's MySQL {}, MariaDB {}",
                    case.name,
                    mark(case.published_mysql(level)),
                    mark(m)
                ));
            } else if m.is_some() {
                maria_same += 1;
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    let n = CASES.len();
    let _ = writeln!(out, "\ncomputed now, from the same data (cells that agree):");
    let lines = [
        ("the engine and Hermitage's PostgreSQL results, RC to SER".to_string(), engine_ok, 3 * n),
        ("the engine's RU (dirty reads) and Hermitage's MySQL RU".to_string(), engine_ru_ok, n),
        (format!("PostgreSQL {pg} and the engine, RC to SER"), pg_ok, 3 * n),
        (format!("PostgreSQL {pg}'s RU and its RC"), pg_ru_ok, n),
        (format!("MariaDB {maria} and Hermitage's MySQL 5.6 results"), maria_same, 4 * n),
    ];
    for (what, agree, of) in lines {
        let _ = writeln!(out, "  {what:<58}{agree:>2} of {of}");
    }
    for difference in differences {
        let _ = writeln!(out, "  * {difference}");
    }
    Ok(out)
}
// ANCHOR_END: table

/// A script and what happened when it ran, with the questions the checks ask.
pub struct Observed<'a> {
    pub script: &'a Script,
    pub trace: &'a Trace,
}

impl Observed<'_> {
    /// The steps of the first explicit transaction of `session`, from `begin` to its end.
    fn transaction(&self, session: usize) -> Vec<usize> {
        let steps = &self.script.steps;
        let Some(begin) =
            steps.iter().position(|s| s.session == session && matches!(s.statement, Statement::Begin { .. }))
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, step) in steps.iter().enumerate().skip(begin).filter(|(_, s)| s.session == session) {
            out.push(i);
            if matches!(step.statement, Statement::Commit | Statement::Rollback) {
                break;
            }
        }
        out
    }

    /// The first step of `session` whose statement satisfies `what`.
    fn first(&self, session: usize, what: fn(&Statement) -> bool) -> usize {
        self.script
            .steps
            .iter()
            .position(|s| s.session == session && what(&s.statement))
            .expect("the case has such a step")
    }

    fn ok(&self, step: usize) -> bool {
        matches!(self.trace.result(step), Some(Ok(_)))
    }

    /// The rows step `step` returned, if it was a `select` that succeeded.
    fn rows(&self, step: usize) -> Option<Vec<(i64, i64)>> {
        match self.trace.result(step) {
            Some(Ok(Response::Rows(rows))) => Some(rows.clone()),
            _ => None,
        }
    }

    /// What the successful `select`s of `session`'s transaction returned, in order.
    fn reads(&self, session: usize) -> Vec<Vec<(i64, i64)>> {
        self.transaction(session).into_iter().filter_map(|i| self.rows(i)).collect()
    }

    /// What the last `select` of `session`'s transaction returned (`None` if it failed).
    fn last_select(&self, session: usize) -> Option<Vec<(i64, i64)>> {
        let last = self
            .transaction(session)
            .into_iter()
            .rfind(|&i| matches!(self.script.steps[i].statement, Statement::Select { .. }))?;
        self.rows(last)
    }

    /// Whether `session`'s transaction committed: no statement of it failed and its `commit`
    /// answered COMMIT.
    pub fn committed(&self, session: usize) -> bool {
        let steps = self.transaction(session);
        let failed = steps.iter().any(|&i| matches!(self.trace.result(i), Some(Err(_)) | None));
        let last = steps.last().copied();
        !failed
            && last.is_some_and(|i| {
                matches!(self.script.steps[i].statement, Statement::Commit)
                    && matches!(self.trace.result(i), Some(Ok(Response::Commit)))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isolation::dsg::analyse;
    use crate::isolation::engine::run;

    #[test]
    fn every_case_parses_and_names_are_unique() {
        for (i, case) in CASES.iter().enumerate() {
            let script = case.parse();
            assert!(script.steps.len() >= 5, "{}", case.name);
            assert!(CASES[..i].iter().all(|other| other.name != case.name));
            assert_eq!(find(&case.name.to_lowercase()).map(|c| c.name), Some(case.name));
        }
        assert_eq!(CASES.len(), 14);
    }

    // ANCHOR: agree
    /// The engine's outcome for every case and level equals Hermitage's published PostgreSQL
    /// result (read committed, repeatable read, serializable). PostgreSQL has no read
    /// uncommitted of its own; there the engine (dirty reads allowed) must match Hermitage's
    /// MySQL/InnoDB results.
    #[test]
    fn the_engine_matches_hermitages_published_results() {
        let mut cells = 0;
        for case in CASES {
            let script = case.parse();
            for level in Level::ALL {
                let run = run(&script, level).unwrap();
                let verdict = case.verdict(&script, &run.trace);
                let published = match level {
                    Level::ReadUncommitted => case.published_mysql(level),
                    _ => case.published_postgres(level),
                }
                .expect("published");
                assert_eq!(verdict, published, "{} at {level}", case.name);
                cells += 1;
            }
        }
        assert_eq!(cells, 56);
    }
    // ANCHOR_END: agree

    /// The observable check and the serialization graph agree: the anomaly a case probes is in
    /// the graph exactly when the check says it happened.
    #[test]
    fn the_checks_agree_with_the_serialization_graph() {
        for case in CASES {
            let script = case.parse();
            for level in Level::ALL {
                let run = run(&script, level).unwrap();
                let analysis = analyse(&run.history);
                let in_graph = case.probes.iter().any(|&p| analysis.has(p));
                let checked = case.verdict(&script, &run.trace) == Verdict::Anomaly;
                assert_eq!(in_graph, checked, "{} at {level}: graph says\n{}", case.name, analysis.summary());
            }
        }
    }

    #[test]
    fn every_published_postgres_cell_except_read_uncommitted_is_filled() {
        for case in CASES {
            assert_eq!(case.postgres[0], None);
            assert!(case.postgres[1..].iter().all(Option::is_some) && case.mysql.iter().all(Option::is_some));
            // Stronger levels never allow what weaker ones prevent, in either database.
            for row in [case.postgres, case.mysql] {
                let marks: Vec<Verdict> = row.iter().flatten().copied().collect();
                assert!(marks.windows(2).all(|w| !(w[0] == Verdict::Prevented && w[1] == Verdict::Anomaly)));
            }
        }
    }

    #[test]
    fn the_table_has_every_case_and_takes_no_input() {
        let text = table("").unwrap();
        for case in CASES {
            assert!(text.lines().any(|l| l.starts_with(case.name)), "{}", case.name);
        }
        assert_eq!(table("case = P4").unwrap_err().to_string(), "input line 1: this example takes no input");
    }
}
