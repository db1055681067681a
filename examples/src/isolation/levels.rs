//! The chapter's first example: one script of interleaved statements run by the MVCC engine
//! (`engine`) at all four isolation levels, the results side by side, then the anomalies the
//! serialization graph (`dsg`) finds in each run.

use std::fmt::Write as _;

use super::engine::{Run, run};
use super::script::{Level, Statement};
use super::trace::{Failure, Response, Start, rows_text};
use crate::registry::{self, Example, InputError, Runs};

pub const EXAMPLE: Example = Example {
    id: "isolation::levels",
    title: "One script at all four isolation levels",
    file: file!(),
    default_input: ON_CALL,
    input_help: "your own lines `T1: statement` (or `case = NAME` for one of Hermitage's cases) and \
                 optional `rows = 1:10 2:20`; the example runs every level",
    runs: Runs::Everywhere,
    run: registry::Run::Text(levels),
};

const ON_CALL: &str = "\
# Two doctors on call (value 1). Each checks that the other one is on call, then leaves.
rows = 1:1 2:1
T1: begin
T2: begin
T1: select * from test where value = 1
T2: select * from test where value = 1
T1: update test set value = 0 where id = 1
T2: update test set value = 0 where id = 2
T1: commit
T2: commit
T3: select * from test where value = 1
";

// ANCHOR: levels
/// Runs the script at every level and puts the results side by side.
fn levels(input: &str) -> Result<String, InputError> {
    let setup = super::setup::read(input, false)?;
    let script = &setup.script;
    let runs: Vec<Run> = Level::ALL.iter().map(|&level| run(script, level)).collect::<Result<_, _>>()?;
    let mut out = format!("table before: {}\n\n", rows_text(&script.rows));
    for (i, step) in script.steps.iter().enumerate() {
        let _ = writeln!(out, "{:>2} T{} {}", i + 1, step.session, step.text());
    }
    let _ = write!(out, "\nstep  ");
    for level in Level::ALL {
        let _ = write!(out, "{:<19}", level.sql());
    }
    out.truncate(out.trim_end_matches(' ').len());
    out.push('\n');
    for (i, step) in script.steps.iter().enumerate() {
        let _ = write!(out, "{:>4}  ", i + 1);
        for run in &runs {
            let record = &run.trace.steps[i];
            let waited = if record.start == Start::Ran { "" } else { "⧗ " };
            let cell = match &record.result {
                Some(result) => compact(&step.statement, result),
                None => "never finished".to_string(),
            };
            let _ = write!(out, "{:<19}", format!("{waited}{cell}"));
        }
        out.truncate(out.trim_end_matches(' ').len());
        out.push('\n');
    }
    out.push_str("(⧗: waited for a row lock, or behind a statement that did)\n\ntable after:\n");
    for (level, run) in Level::ALL.iter().zip(&runs) {
        let _ = writeln!(out, "  {:<18}{}", level.sql(), rows_text(&run.final_rows));
    }
    out.push_str("\nanomalies (from the serialization graph):\n");
    for (level, run) in Level::ALL.iter().zip(&runs) {
        let analysis = super::dsg::analyse(&run.history);
        let found: Vec<String> = analysis
            .findings
            .iter()
            .map(|f| format!("{} ({})", f.phenomenon.name(), f.phenomenon.plain()))
            .collect();
        let text = if found.is_empty() { "none".to_string() } else { found.join(", ") };
        let _ = writeln!(out, "  {:<18}{text}", level.sql());
    }
    Ok(out)
}
// ANCHOR_END: levels

/// A result in at most 17 characters.
fn compact(statement: &Statement, result: &Result<Response, Failure>) -> String {
    let text = match result {
        Ok(Response::Rows(rows)) if rows.is_empty() => "(none)".to_string(),
        Ok(Response::Rows(rows)) => {
            rows.iter().map(|(id, v)| format!("{id}={v}")).collect::<Vec<_>>().join(" ")
        }
        Err(Failure::Serialization(_)) => "ERROR 40001".to_string(),
        Err(Failure::Deadlock) => "ERROR deadlock".to_string(),
        Err(Failure::Ignored) => "ignored".to_string(),
        Ok(Response::RolledBack) => "ROLLBACK".to_string(),
        other => super::trace::describe(statement, other),
    };
    if text.chars().count() > 17 { format!("{}…", text.chars().take(16).collect::<String>()) } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_levels_example_shows_write_skew_until_serializable() {
        let text = levels(EXAMPLE.default_input).unwrap();
        let after: Vec<&str> = text.lines().skip_while(|l| *l != "table after:").skip(1).take(4).collect();
        assert_eq!(after[2], "  repeatable read   1 => 0, 2 => 0", "{text}");
        assert_eq!(after[3], "  serializable      1 => 0, 2 => 1", "{text}");
        assert!(text.contains("repeatable read   G2-item"), "{text}");
        assert!(text.lines().last().unwrap().ends_with("serializable      none"), "{text}");
    }
}
