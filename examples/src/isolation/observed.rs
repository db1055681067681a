//! What the real servers did with Hermitage's cases: `examples/data/hermitage-observed.txt`.
//!
//! The test `examples/tests/real_servers/hermitage.rs` runs every case at every level on PostgreSQL 15
//! and MariaDB 10.11, renders what happened with the same code that renders the engine's runs,
//! and compares the result with this file (a difference fails, with a diff; `EXAMPLES_BLESS=1`
//! rewrites it). The chapter's examples read the file at compile time, so the real-database
//! columns of the anomaly table are what the servers really did.

use std::fmt::Write as _;

use super::engine::run;
use super::hermitage::Verdict;
use super::script::Level;
use super::setup;
use super::trace::render;
use crate::real_servers::Server;
use crate::registry::{Example, InputError, Run, Runs};

pub const OBSERVED: Example = Example {
    id: "isolation::observed",
    title: "One case, three runs: the engine, PostgreSQL and MariaDB",
    file: file!(),
    default_input: "case = P4\nlevel = repeatable read\n",
    input_help: "`case = NAME` (one of Hermitage's) and `level = LEVEL`",
    runs: Runs::Everywhere,
    run: Run::Text(observed),
};

/// The recorded observations, as checked in.
pub const FILE: &str = include_str!("../../data/hermitage-observed.txt");

/// One case at one level on one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub server: Server,
    pub case: String,
    pub level: Level,
    pub verdict: Verdict,
    /// The rendered trace (`trace::render` with a four-space indent).
    pub trace: String,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observations {
    /// Each server's major version, as it was when the file was written.
    pub versions: Vec<(Server, String)>,
    pub recordings: Vec<Recording>,
}

const HEADER: &str = "\
# Hermitage's cases (Martin Kleppmann, https://github.com/ept/hermitage, CC BY 4.0) run on real
# servers by examples/tests/real_servers/hermitage.rs, which compares what it observes with this
# file. `cargo xtask bless` rewrites it; read by the isolation chapter's examples. Do not edit
# by hand.
";

impl Observations {
    pub fn parse(text: &str) -> Result<Observations, String> {
        let mut out = Observations::default();
        for (n, line) in text.lines().enumerate() {
            let fail = |what: &str| format!("hermitage-observed.txt line {}: {what}", n + 1);
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some(trace_line) = line.strip_prefix("    ") {
                let last = out.recordings.last_mut().ok_or_else(|| fail("a trace line before any `run`"))?;
                last.trace.push_str("    ");
                last.trace.push_str(trace_line);
                last.trace.push('\n');
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["server", server, version] => {
                    let server = Server::parse(server).ok_or_else(|| fail("unknown server"))?;
                    out.versions.push((server, version.to_string()));
                }
                ["run", server, case, level, verdict] => out.recordings.push(Recording {
                    server: Server::parse(server).ok_or_else(|| fail("unknown server"))?,
                    case: case.to_string(),
                    level: Level::parse(level).ok_or_else(|| fail("unknown level"))?,
                    verdict: Verdict::parse(verdict).ok_or_else(|| fail("unknown verdict"))?,
                    trace: String::new(),
                }),
                _ => return Err(fail("expected `server …`, `run …` or an indented trace line")),
            }
        }
        Ok(out)
    }

    pub fn render(&self) -> String {
        let mut out = HEADER.to_string();
        out.push('\n');
        for (server, version) in &self.versions {
            let _ = writeln!(out, "server {} {version}", server.key());
        }
        for r in &self.recordings {
            let _ = write!(
                out,
                "\nrun {} {} {} {}\n{}",
                r.server.key(),
                r.case,
                r.level.key(),
                r.verdict.word(),
                r.trace
            );
        }
        out
    }

    pub fn version(&self, server: Server) -> Option<&str> {
        self.versions.iter().find(|(s, _)| *s == server).map(|(_, v)| v.as_str())
    }

    pub fn get(&self, server: Server, case: &str, level: Level) -> Option<&Recording> {
        self.recordings.iter().find(|r| r.server == server && r.case == case && r.level == level)
    }

    /// The checked-in file, parsed.
    pub fn checked_in() -> Observations {
        Observations::parse(FILE).unwrap_or_else(|e| panic!("{e}"))
    }
}

// ANCHOR: observed
fn observed(input: &str) -> Result<String, InputError> {
    let setup = setup::read(input, true)?;
    let Some(case) = setup.case else {
        return Err(InputError::new(
            "name one of Hermitage's cases with `case = …`: the servers ran only those",
        ));
    };
    let level = setup.level;
    let script = case.parse();
    let engine = run(&script, level)?;
    let observations = Observations::checked_in();
    let mut out = format!("Hermitage case {} ({}) at {level}\n", case.name, case.title);
    let _ = writeln!(out, "the anomaly would look like this: {}\n", case.looks_like);
    let _ = writeln!(out, "this chapter's engine: {}", case.verdict(&script, &engine.trace).word());
    out.push_str(&render(&script, &engine.trace, "    "));
    for server in Server::ALL {
        let version = observations.version(server).unwrap_or("?");
        match observations.get(server, case.name, level) {
            Some(r) => {
                let _ = writeln!(out, "\n{} {version}, as recorded: {}", server.name(), r.verdict.word());
                out.push_str(&r.trace);
            }
            None => {
                let _ = writeln!(out, "\n{} {version}: not recorded", server.name());
            }
        }
    }
    let published = |v: Option<Verdict>| v.map_or("no result", Verdict::word);
    let _ = writeln!(
        out,
        "\nHermitage published: PostgreSQL {}, MySQL/InnoDB {}.",
        published(case.published_postgres(level)),
        published(case.published_mysql(level))
    );
    Ok(out)
}
// ANCHOR_END: observed

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_and_parse_round_trip() {
        let obs = Observations {
            versions: vec![(Server::Postgres, "15".to_string())],
            recordings: vec![Recording {
                server: Server::Postgres,
                case: "P4".to_string(),
                level: Level::RepeatableRead,
                verdict: Verdict::Prevented,
                trace: "     1 T1 begin  BEGIN\n".to_string(),
            }],
        };
        assert_eq!(Observations::parse(&obs.render()).unwrap(), obs);
        assert!(Observations::parse("bogus line").unwrap_err().contains("line 1"));
    }

    #[test]
    fn the_checked_in_file_parses() {
        let _ = Observations::checked_in();
    }

    #[test]
    fn observed_needs_a_case() {
        assert!(
            observed("T1: begin\nT1: commit")
                .unwrap_err()
                .to_string()
                .contains("name one of Hermitage's cases")
        );
        let text = observed(OBSERVED.default_input).unwrap();
        assert!(text.contains("PostgreSQL") && text.contains("MariaDB"), "{text}");
    }
}
