//! The chapter's anomaly table, generated: Hermitage's cases on this chapter's engine and, as
//! recorded by the real-server test, on PostgreSQL and MariaDB. And one case's three traces side
//! by side.

use std::fmt::Write as _;

use super::engine::run;
use super::hermitage::{CASES, Case, Verdict};
use super::observed::{Observations, Server};
use super::script::Level;
use super::setup;
use super::trace::render;
use crate::registry::{Example, InputError, Runs};

pub const TABLE: Example = Example {
    id: "isolation::anomaly_table",
    title: "Hermitage's anomalies at each level: the engine, PostgreSQL 15 and MariaDB 10.11",
    file: file!(),
    default_input: "",
    input_help: "no input: the engine runs every case now; the servers' columns come from what the test recorded",
    runs: Runs::Everywhere,
    run: table,
    figure: None,
};

pub const OBSERVED: Example = Example {
    id: "isolation::observed",
    title: "One case, three runs: the engine, PostgreSQL and MariaDB",
    file: file!(),
    default_input: "case = P4\nlevel = repeatable read\n",
    input_help: "`case = NAME` (one of Hermitage's) and `level = LEVEL`",
    runs: Runs::Everywhere,
    run: observed,
    figure: None,
};

// ANCHOR: table
fn table(input: &str) -> Result<String, InputError> {
    if let Some((line, _)) =
        input.lines().enumerate().find(|(_, l)| !l.trim().is_empty() && !l.trim().starts_with('#'))
    {
        return Err(InputError::at_line(line + 1, "this example takes no input"));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_every_case_and_takes_no_input() {
        let text = table("").unwrap();
        for case in CASES {
            assert!(text.lines().any(|l| l.starts_with(case.name)), "{}", case.name);
        }
        assert_eq!(table("case = P4").unwrap_err().to_string(), "input line 1: this example takes no input");
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
