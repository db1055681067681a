//! The input of the isolation examples: a Hermitage case or your own script, and a level.
//!
//! ```text
//! case = P4                    one of Hermitage's cases (then no statements and no rows), or
//! rows = 1:10 2:20             the table to start from (default: Hermitage's two rows)
//! T1: begin                    …and your statements, one per line
//! level = repeatable read      the level of every transaction that does not set its own
//!                              (default: read committed, PostgreSQL's default)
//! ```

use super::hermitage::{self, Case};
use super::script::{DEFAULT_ROWS, Level, Script, is_statement_line, parse_rows, parse_steps};
use crate::input::Params;
use crate::registry::InputError;

/// What to run.
#[derive(Debug, Clone)]
pub struct Setup {
    pub script: Script,
    pub level: Level,
    /// Whether the input named the level (otherwise read committed).
    pub level_given: bool,
    pub case: Option<&'static Case>,
}

/// Reads `input`. With `with_level` false the example runs every level itself and a `level`
/// line is an error.
pub fn read(input: &str, with_level: bool) -> Result<Setup, InputError> {
    // Statement lines go to the script parser; every other line must be a setting.
    let mut settings = String::new();
    for (index, raw) in input.lines().enumerate() {
        let text = raw.trim();
        if is_statement_line(text) {
            settings.push('\n');
            continue;
        }
        if !text.is_empty() && !text.starts_with('#') && !text.contains('=') {
            return Err(InputError::at_line(
                index + 1,
                "expected a statement such as `T1: begin` or a setting such as `level = serializable`",
            ));
        }
        settings.push_str(raw);
        settings.push('\n');
    }
    let keys: &[&str] = if with_level { &["case", "level", "rows"] } else { &["case", "rows"] };
    let params = Params::parse(&settings, keys).map_err(|e| {
        if !with_level && e.message.contains("unknown key `level`") {
            InputError { line: e.line, message: "this example runs every level: remove `level`".to_string() }
        } else {
            e
        }
    })?;
    let steps = parse_steps(input, 0)?;
    let case = match params.one("case")? {
        None => None,
        Some(entry) => Some(hermitage::find(entry.value).ok_or_else(|| {
            InputError::at_line(
                entry.line,
                format!("`{}` is not one of Hermitage's cases ({})", entry.value, hermitage::names()),
            )
        })?),
    };
    let rows_entry = params.one("rows")?;
    let script = match case {
        Some(case) => {
            if let Some(first) = steps.first() {
                return Err(InputError::at_line(
                    first.line,
                    "use either `case = …` or your own statements, not both",
                ));
            }
            if let Some(rows) = rows_entry {
                return Err(InputError::at_line(
                    rows.line,
                    "a Hermitage case starts from its own table: remove `rows`",
                ));
            }
            case.parse()
        }
        None => {
            if steps.is_empty() {
                return Err(InputError::new(format!(
                    "no statements: write lines such as `T1: begin`, or pick one of Hermitage's cases \
                     with `case = P4` ({})",
                    hermitage::names()
                )));
            }
            let rows = match rows_entry {
                Some(entry) => parse_rows(entry.value, entry.line)?,
                None => DEFAULT_ROWS.to_vec(),
            };
            Script { rows, steps }
        }
    };
    let (level, level_given) = match params.one("level")? {
        None => (Level::ReadCommitted, false),
        Some(entry) => (
            Level::parse(entry.value).ok_or_else(|| {
                InputError::at_line(
                    entry.line,
                    format!(
                        "`{}` is not an isolation level (read uncommitted, read committed, repeatable read, serializable)",
                        entry.value
                    ),
                )
            })?,
            true,
        ),
    };
    Ok(Setup { script, level, level_given, case })
}

/// Help text for the playground's editor.
pub const HELP: &str = "`case = NAME` (one of Hermitage's: G0, G1a, G1b, G1c, OTV, PMP, PMP-write, P4, \
    G-single, G-single-dependencies, G-single-write, G2-item, G2, G2-two-edges) or your own lines \
    `T1: statement` (begin, select * from test [where …] [for update], insert, update test set value = …, \
    delete, commit, rollback; sessions T1 to T9), optional `rows = 1:10 2:20`, and \
    `level = read uncommitted | read committed | repeatable read | serializable`";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_or_a_script() {
        let setup = read("case = p4\nlevel = RR", true).unwrap();
        assert_eq!(setup.case.map(|c| c.name), Some("P4"));
        assert_eq!(setup.level, Level::RepeatableRead);
        let setup = read("rows = 1:5\nT1: begin\nT1: select * from test\nT1: commit", true).unwrap();
        assert_eq!(setup.script.rows, vec![(1, 5)]);
        assert_eq!((setup.level, setup.level_given), (Level::ReadCommitted, false));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                "case = P5",
                "input line 1: `P5` is not one of Hermitage's cases (G0, G1a, G1b, G1c, OTV, PMP, PMP-write, P4, G-single, G-single-dependencies, G-single-write, G2-item, G2, G2-two-edges)",
            ),
            ("case = P4\nT1: begin", "input line 2: use either `case = …` or your own statements, not both"),
            (
                "case = P4\nrows = 1:1",
                "input line 2: a Hermitage case starts from its own table: remove `rows`",
            ),
            (
                "level = snapshot\nT1: begin",
                "input line 1: `snapshot` is not an isolation level (read uncommitted, read committed, repeatable read, serializable)",
            ),
            (
                "T1 begin",
                "input line 1: expected a statement such as `T1: begin` or a setting such as `level = serializable`",
            ),
            (
                "speed = 3\nT1: begin",
                "input line 1: unknown key `speed` (expected one of `case`, `level`, `rows`)",
            ),
            ("T1: begin\nT1: update test set value = x", "input line 2: expected a number, found `x`"),
        ];
        for (input, expected) in cases {
            assert_eq!(read(input, true).unwrap_err().to_string(), expected, "{input}");
        }
        assert!(read("", true).unwrap_err().to_string().starts_with("no statements"));
        assert_eq!(
            read("level = rc\nT1: begin", false).unwrap_err().to_string(),
            "input line 1: this example runs every level: remove `level`"
        );
    }
}
