//! Claims the book checks on real servers (PostgreSQL 15 and MariaDB 10.11), as data.
//!
//! The test binary `examples/tests/real_servers/` runs what is described here on the servers,
//! renders what they did without process ids or timings, and compares it with a checked-in file
//! under `examples/data/` (`cargo xtask bless` rewrites the files). The examples that show an
//! observation print that file, so a page shows what a server did, not what we expect of it.
//!
//! A [`Scenario`] is the tables it starts from and a script with one statement per line,
//! prefixed by the session that sends it; each session is a connection of its own:
//!
//! ```text
//! -- a comment, printed with the transcript
//! A: BEGIN
//! A: SELECT likes FROM posts WHERE id = 1
//! B: UPDATE posts SET likes = {read + 1} WHERE id = 1
//! monitor: SELECT state FROM pg_stat_activity WHERE pid = {A}
//! ```
//!
//! * A session is a capital letter followed by letters or digits (`A`, `B`, `T1`).
//! * `{read}` and `{read + N}` in a session's statement stand for the value that session's most
//!   recent `SELECT` returned (one row, one column), plus N: the value an application computed
//!   from what it read, sent back as a literal (what `post.likes += 1; post.save()` sends).
//! * `monitor:` lines run on a connection of their own that belongs to no transaction of the
//!   script; `{A}` in them stands for session A's id on the server (its process id on
//!   PostgreSQL, its thread id on MariaDB).
//!
//! A statement that waits for a lock does not stop the script: the test sees it waiting (the
//! server says so: `pg_blocking_pids` on PostgreSQL, `information_schema.innodb_trx` and
//! `innodb_lock_waits` on MariaDB), goes on, and shows its result under the step during which
//! it arrived.

use crate::input::no_input;
use crate::registry::InputError;

/// A real database server the book checks claims on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Server {
    Postgres,
    Mariadb,
}

impl Server {
    pub const ALL: [Server; 2] = [Server::Postgres, Server::Mariadb];

    /// The word for the server in the data files.
    pub fn key(self) -> &'static str {
        match self {
            Server::Postgres => "postgres",
            Server::Mariadb => "mariadb",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Server::Postgres => "PostgreSQL",
            Server::Mariadb => "MariaDB",
        }
    }

    pub fn parse(word: &str) -> Option<Server> {
        Server::ALL.into_iter().find(|s| s.key() == word)
    }
}

/// Tables, a script, and the server it runs on.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub server: Server,
    /// One line; the transcript's heading.
    pub title: &'static str,
    /// Statements separated by `;` at the end of a line, run before the sessions connect, in a
    /// schema (PostgreSQL) or database (MariaDB) of the scenario's own.
    pub setup: &'static str,
    /// The script (see the module's documentation).
    pub script: &'static str,
}

/// One line of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    Comment(&'a str),
    /// A statement sent by a session.
    Session {
        session: &'a str,
        sql: &'a str,
    },
    /// A statement run on the monitoring connection.
    Monitor {
        sql: &'a str,
    },
}

/// The label of monitoring lines.
pub const MONITOR: &str = "monitor";

impl Scenario {
    /// The script's lines (blank lines dropped); an error names the line.
    pub fn lines(&self) -> Result<Vec<Line<'static>>, String> {
        let mut lines = Vec::new();
        for (n, raw) in self.script.lines().enumerate() {
            let line = raw.trim();
            let fail =
                |what: &str| format!("scenario \"{}\", script line {}: {what}: {line}", self.title, n + 1);
            if line.is_empty() {
                continue;
            }
            if line.starts_with("--") {
                lines.push(Line::Comment(line));
                continue;
            }
            let Some((label, sql)) = line.split_once(": ") else {
                return Err(fail("expected `SESSION: statement`, `monitor: statement` or a `--` comment"));
            };
            let sql = sql.trim();
            if sql.is_empty() {
                return Err(fail("no statement after the session"));
            }
            if label == MONITOR {
                lines.push(Line::Monitor { sql });
            } else if is_session_label(label) {
                placeholders(sql, false).map_err(|e| fail(&e))?;
                lines.push(Line::Session { session: label, sql });
            } else {
                return Err(fail("a session is a capital letter followed by letters or digits"));
            }
        }
        for line in &lines {
            if let Line::Monitor { sql } = line {
                for name in
                    placeholders(sql, true).map_err(|e| format!("scenario \"{}\": {e}", self.title))?
                {
                    if !lines.iter().any(|l| matches!(l, Line::Session { session, .. } if *session == name)) {
                        return Err(format!(
                            "scenario \"{}\": `{{{name}}}` names a session that sends nothing",
                            self.title
                        ));
                    }
                }
            }
        }
        Ok(lines)
    }

    /// The setup's statements.
    pub fn setup_statements(&self) -> Vec<&'static str> {
        self.setup
            .split(";\n")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.trim_end_matches(';'))
            .collect()
    }
}

fn is_session_label(label: &str) -> bool {
    let mut chars = label.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// The `{…}` placeholders of `sql`: session names on a monitor line, `read` or `read + N` on a
/// session's line.
fn placeholders(sql: &str, monitor: bool) -> Result<Vec<&str>, String> {
    let mut found = Vec::new();
    let mut rest = sql;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            return Err("a `{` without its `}`".to_string());
        };
        let inside = &rest[start + 1..start + end];
        let valid = if monitor { is_session_label(inside) } else { parse_read(inside).is_some() };
        if !valid {
            let wanted = if monitor { "a session, such as `{A}`" } else { "`{read}` or `{read + N}`" };
            return Err(format!("`{{{inside}}}`: expected {wanted}"));
        }
        found.push(inside);
        rest = &rest[start + end + 1..];
    }
    Ok(found)
}

/// `read` → 0, `read + N` → N.
fn parse_read(inside: &str) -> Option<i64> {
    let rest = inside.trim().strip_prefix("read")?.trim();
    if rest.is_empty() {
        return Some(0);
    }
    rest.strip_prefix('+')?.trim().parse().ok()
}

/// A session's statement with `{read}` / `{read + N}` filled in from `read`, the value its
/// last `SELECT` returned; an error when the statement needs a value and there is none.
pub fn fill_read(sql: &str, read: Option<&str>) -> Result<String, String> {
    fill(sql, |inside| {
        let add = parse_read(inside).ok_or_else(|| format!("`{{{inside}}}` is not `{{read + N}}`"))?;
        let value = read.ok_or("`{read}` before the session read a value")?;
        let number: i64 = value.parse().map_err(|_| format!("`{{read}}`: `{value}` is not a number"))?;
        Ok((number + add).to_string())
    })
}

/// A monitor statement with `{A}` replaced by `id(A)`.
pub fn fill_sessions(sql: &str, id: impl Fn(&str) -> Option<u64>) -> Result<String, String> {
    fill(sql, |name| id(name).map(|id| id.to_string()).ok_or_else(|| format!("no session {name}")))
}

fn fill(sql: &str, mut value: impl FnMut(&str) -> Result<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = sql;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').ok_or("a `{` without its `}`")? + start;
        out.push_str(&rest[..start]);
        out.push_str(&value(&rest[start + 1..end])?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The run function of an example that shows an observation: it prints the checked-in file.
pub fn print_observation(observed: &'static str, input: &str) -> Result<String, InputError> {
    no_input(input)?;
    Ok(observed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(script: &'static str) -> Scenario {
        Scenario { server: Server::Postgres, title: "t", setup: "", script }
    }

    #[test]
    fn a_script_parses_into_sessions_monitor_lines_and_comments() {
        let lines =
            scenario("-- hello\nA: BEGIN\n\nT2: UPDATE t SET x = {read + 1}\nmonitor: SELECT {A}, {T2}\n")
                .lines()
                .unwrap();
        assert_eq!(
            lines,
            vec![
                Line::Comment("-- hello"),
                Line::Session { session: "A", sql: "BEGIN" },
                Line::Session { session: "T2", sql: "UPDATE t SET x = {read + 1}" },
                Line::Monitor { sql: "SELECT {A}, {T2}" },
            ]
        );
    }

    #[test]
    fn bad_scripts_are_refused_with_their_line() {
        for (script, error) in [
            ("A: BEGIN\nnonsense", "script line 2: expected `SESSION: statement`"),
            ("a: BEGIN", "a session is a capital letter"),
            ("A: ", "expected `SESSION: statement`"),
            ("A: SELECT {read - 1}", "expected `{read}` or `{read + N}`"),
            ("A: SELECT {read", "a `{` without its `}`"),
            ("A: BEGIN\nmonitor: SELECT {B}", "`{B}` names a session that sends nothing"),
            ("A: BEGIN\nmonitor: SELECT {read}", "expected a session"),
        ] {
            let got = scenario(script).lines().unwrap_err();
            assert!(got.contains(error), "{script:?}: {got}");
        }
    }

    #[test]
    fn placeholders_are_filled_from_what_was_read_and_the_session_ids() {
        assert_eq!(fill_read("SET likes = {read + 1}", Some("10")).unwrap(), "SET likes = 11");
        assert_eq!(fill_read("SET likes = {read}", Some("10")).unwrap(), "SET likes = 10");
        assert_eq!(fill_read("SET likes = 1", None).unwrap(), "SET likes = 1");
        assert!(fill_read("SET likes = {read}", None).unwrap_err().contains("before the session read"));
        assert!(fill_read("SET likes = {read}", Some("x")).unwrap_err().contains("not a number"));
        let ids = |name: &str| (name == "A").then_some(42);
        assert_eq!(fill_sessions("WHERE pid = {A}", ids).unwrap(), "WHERE pid = 42");
        assert!(fill_sessions("WHERE pid = {B}", ids).is_err());
    }

    #[test]
    fn setup_statements_split_at_line_ends() {
        let s = Scenario { setup: "CREATE TABLE t (x int);\nINSERT INTO t VALUES (1);\n", ..scenario("") };
        assert_eq!(s.setup_statements(), vec!["CREATE TABLE t (x int)", "INSERT INTO t VALUES (1)"]);
    }
}
