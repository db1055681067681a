//! Runs SQL scripts on a real SQLite and prints what a reader needs to see: each statement, its
//! rows as a table (or how many rows it changed), and SQLite's own error messages.
//!
//! The same code runs natively (rusqlite with bundled SQLite, in `cargo test`) and in the
//! browser (rusqlite over sqlite-wasm-rs, built from the same SQLite source), so the output a
//! page shows as verified is what the reader's browser prints.
//!
//! A script may use two sessions: a line starting with `A:` or `B:` sends the statements that
//! follow (up to the next such line) through connection A or B. Both connections open one
//! shared in-memory database through SQLite's `memdb` VFS (`file:/name?vfs=memdb`), which locks
//! like a file: a writer that meets another session's lock gets "database is locked" at once,
//! because the busy timeout is 0 (a browser's main thread cannot sleep and retry).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::registry::InputError;

/// Rows printed per result; the rest are counted.
pub const MAX_ROWS: usize = 50;
/// SQLite calls the progress handler every this many virtual-machine instructions.
const PROGRESS_EVERY: i32 = 1_000;
/// After this many calls (so 20 million instructions) a statement is interrupted.
const PROGRESS_BUDGET: u64 = 20_000;
/// The longest string or blob a statement may build, in bytes. The instruction budget alone does
/// not stop a recursive CTE that lengthens a string on every row (a path with no cycle check):
/// each step is a few instructions, but copies the whole string, so the work grows with the
/// square of the steps and ran for minutes. With this limit it fails within a few thousand rows.
const MAX_LENGTH: i32 = 10_000;
/// Statements per script, and characters per printed value (80: a line of `EXPLAIN QUERY PLAN`
/// that names a two-column index and both its conditions fits whole).
const MAX_STATEMENTS: usize = 200;
const MAX_VALUE_CHARS: usize = 80;

/// Gives each run its own database name: memdb databases with a `/` name are shared by every
/// connection of the process that opens the same name.
static NEXT_DATABASE: AtomicU64 = AtomicU64::new(1);

/// One connection with its runaway-statement guard (public so that other chapters' SQL
/// examples, such as the migration runner, open and print the same way).
pub struct Session {
    name: char,
    pub conn: Connection,
    /// Progress-handler calls since the last reset; store 0 before each statement.
    pub progress: Arc<AtomicU64>,
}

/// A new, empty database in memory, shared by every connection opened on the URI (SQLite's
/// `memdb` VFS, which locks between connections natively and in wasm alike). `name` only makes
/// the URI readable.
pub fn new_database_uri(name: &str) -> String {
    format!("file:/bf-{name}-{}?vfs=memdb", NEXT_DATABASE.fetch_add(1, Ordering::Relaxed))
}

/// A connection to `uri` as every SQL example opens one: URI file names, no waiting for locks
/// (a browser page cannot sleep), foreign keys as a stock SQLite has them.
pub fn connect(uri: &str) -> Result<Connection, InputError> {
    let flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(uri, flags)
        .map_err(|err| InputError::new(format!("cannot open the database: {err}")))?;
    conn.busy_timeout(std::time::Duration::ZERO)
        .map_err(|err| InputError::new(format!("cannot set the busy timeout: {err}")))?;
    // libsqlite3-sys builds the native SQLite with foreign keys on by default
    // (SQLITE_DEFAULT_FOREIGN_KEYS=1); sqlite-wasm-rs keeps SQLite's documented default, off.
    // Say it explicitly so both targets behave alike: scripts that want foreign keys enforced
    // run `PRAGMA foreign_keys = ON`, as they must on a stock SQLite.
    conn.pragma_update(None, "foreign_keys", false)
        .map_err(|err| InputError::new(format!("cannot set foreign_keys: {err}")))?;
    Ok(conn)
}

impl Session {
    /// A [`connect`]ion with the runaway-statement guard.
    pub fn open(name: char, uri: &str) -> Result<Self, InputError> {
        let mut conn = connect(uri)?;
        let progress = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&progress);
        conn.progress_handler(
            PROGRESS_EVERY,
            Some(move || counter.fetch_add(1, Ordering::Relaxed) + 1 > PROGRESS_BUDGET),
        )
        .map_err(|err| InputError::new(format!("cannot install the progress handler: {err}")))?;
        conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH, MAX_LENGTH)
            .map_err(|err| InputError::new(format!("cannot limit the length of values: {err}")))?;
        Ok(Session { name, conn, progress })
    }
}

/// A piece of the script and the session that runs it.
struct Chunk<'a> {
    session: Option<char>,
    /// Line of the script where `sql` starts (1-based).
    line: usize,
    sql: &'a str,
}

/// Splits `script` at `A:`/`B:` session markers. Without markers it is one chunk.
fn chunks(script: &str) -> Result<Vec<Chunk<'_>>, InputError> {
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut offset = 0;
    let mut current: Option<(Option<char>, usize, usize)> = None; // session, line, start offset
    for (index, line) in script.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        let marker = ['A', 'B', 'a', 'b']
            .into_iter()
            .find(|&c| trimmed.starts_with(c) && trimmed[1..].starts_with(':'))
            .map(|c| c.to_ascii_uppercase());
        if let Some(session) = marker {
            if let Some((name, line_no, start)) = current.take() {
                chunks.push(Chunk { session: name, line: line_no, sql: &script[start..offset] });
            }
            let skip = line.len() - trimmed.len() + 2;
            current = Some((Some(session), index + 1, offset + skip));
        } else if current.is_none() {
            current = Some((None, index + 1, offset));
        }
        offset += line.len();
    }
    if let Some((name, line_no, start)) = current {
        chunks.push(Chunk { session: name, line: line_no, sql: &script[start..] });
    }
    let sessions = chunks.iter().any(|chunk| chunk.session.is_some());
    if sessions && let Some(stray) = chunks.iter().find(|c| c.session.is_none() && !is_blank_sql(c.sql)) {
        return Err(InputError::at_line(
            stray.line,
            "this script uses sessions: start each statement's line with `A:` or `B:`",
        ));
    }
    Ok(chunks)
}

/// Whether `sql` holds nothing but whitespace and `--` comments.
fn is_blank_sql(sql: &str) -> bool {
    sql.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with("--")
    })
}

/// Runs `setup` (the chapter's schema and seed data, silently), then `script`, and returns the
/// transcript. SQL errors are part of the transcript; only a script the runner cannot use at
/// all (too many statements, a session marker in the wrong place) is an `InputError`.
pub fn run(setup: &str, script: &str) -> Result<String, InputError> {
    let chunks = chunks(script)?;
    let two_sessions = chunks.iter().any(|chunk| chunk.session.is_some());
    let uri = new_database_uri("sql");
    let first = Session::open('A', &uri)?;
    first
        .conn
        .execute_batch(setup)
        .map_err(|err| InputError::new(format!("the chapter's setup SQL failed: {err}")))?;
    let mut sessions = vec![first];
    if two_sessions {
        sessions.push(Session::open('B', &uri)?);
    }
    let mut out = String::new();
    let mut statements = 0;
    for chunk in &chunks {
        let session = match chunk.session {
            Some('B') => &sessions[1],
            _ => &sessions[0],
        };
        let prompt = if two_sessions { format!("{}>", session.name) } else { "sqlite>".to_string() };
        if let Stop::Script = run_chunk(session, chunk, &prompt, &mut statements, &mut out)? {
            out.push_str("(the rest of the script did not run)\n");
            break;
        }
    }
    Ok(out)
}

enum Stop {
    No,
    Script,
}

/// Runs the statements of one chunk, appending to `out`.
fn run_chunk(
    session: &Session,
    chunk: &Chunk,
    prompt: &str,
    statements: &mut usize,
    out: &mut String,
) -> Result<Stop, InputError> {
    let mut batch = rusqlite::Batch::new(&session.conn, chunk.sql);
    let mut searched_from = 0;
    loop {
        session.progress.store(0, Ordering::Relaxed);
        let statement = match rusqlite::fallible_iterator::FallibleIterator::next(&mut batch) {
            Ok(Some(statement)) => statement,
            Ok(None) => return Ok(Stop::No),
            Err(err @ rusqlite::Error::SqlInputError { .. }) => {
                // SQLite could not parse the next statement, so we cannot tell where it ends:
                // show the line it failed on, and stop. `sql` is the rest of the chunk from
                // the failed statement on; `offset` is the error's position in it.
                let rusqlite::Error::SqlInputError { sql, offset, .. } = &err else {
                    unreachable!("matched above")
                };
                let at = (chunk.sql.len().saturating_sub(sql.len()) + usize::try_from(*offset).unwrap_or(0))
                    .min(chunk.sql.len());
                let line_start = chunk.sql[..at].rfind('\n').map_or(0, |i| i + 1);
                let line_end = chunk.sql[at..].find('\n').map_or(chunk.sql.len(), |i| at + i);
                let line_no = chunk.line + chunk.sql[..at].matches('\n').count();
                writeln!(out, "{prompt} {}", chunk.sql[line_start..line_end].trim()).unwrap();
                writeln!(out, "Error: {} (input line {line_no})", message(&err)).unwrap();
                return Ok(Stop::Script);
            }
            Err(err) => {
                // Not a syntax error: typically "database is locked" while SQLite reads the
                // schema to compile the statement. The rest of this session's piece is skipped.
                echo(out, prompt, strip_comments(&chunk.sql[searched_from..]));
                writeln!(out, "Error: {}", message(&err)).unwrap();
                return Ok(Stop::No);
            }
        };
        *statements += 1;
        if *statements > MAX_STATEMENTS {
            return Err(InputError::new(format!("a script may have at most {MAX_STATEMENTS} statements")));
        }
        let text = statement.expanded_sql().unwrap_or_default();
        if let Some(at) = chunk.sql[searched_from..].find(text.as_str()) {
            searched_from += at + text.len();
        }
        echo(out, prompt, strip_comments(&text));
        run_statement(session, statement, out);
    }
}

/// `sql` without its leading blank and `--` comment lines.
fn strip_comments(sql: &str) -> &str {
    let mut rest = sql;
    loop {
        let trimmed = rest.trim_start();
        if let Some(comment) = trimmed.strip_prefix("--") {
            rest = comment.split_once('\n').map_or("", |(_, after)| after);
        } else {
            return trimmed;
        }
    }
}

/// Prints a statement as a shell would echo it; further lines get `...>`.
fn echo(out: &mut String, prompt: &str, text: &str) {
    let mut lines = text.trim().lines();
    let first = lines.next().unwrap_or("");
    let terminator = if text.trim_end().ends_with(';') { "" } else { ";" };
    let rest: Vec<&str> = lines.collect();
    if rest.is_empty() {
        writeln!(out, "{prompt} {first}{terminator}").unwrap();
        return;
    }
    writeln!(out, "{prompt} {first}").unwrap();
    let continuation = format!("{}...>", " ".repeat(prompt.len().saturating_sub(4)));
    for (i, line) in rest.iter().enumerate() {
        let end = if i + 1 == rest.len() { terminator } else { "" };
        writeln!(out, "{continuation} {}{end}", line.trim_end()).unwrap();
    }
}

pub fn run_statement(session: &Session, mut statement: rusqlite::Statement<'_>, out: &mut String) {
    let columns: Vec<String> = statement.column_names().map(str::to_string).collect();
    let text = statement.expanded_sql().unwrap_or_default();
    let verb = first_word(strip_comments(&text));
    // SQLite 3.53's `ALTER TABLE … ADD CONSTRAINT … CHECK` and `… SET NOT NULL` compile the
    // query that looks for a violating row into the ALTER itself, so SQLite reports that query's
    // column for a statement that never returns a row. An ALTER is run, not shown as a table.
    if columns.is_empty() || verb.eq_ignore_ascii_case("alter") {
        match statement.raw_execute() {
            Ok(_) => {
                let changed = session.conn.changes();
                if changes_rows(verb) {
                    let s = if changed == 1 { "" } else { "s" };
                    writeln!(out, "{changed} row{s} changed").unwrap();
                } else {
                    out.push_str("ok\n");
                }
            }
            Err(err) => writeln!(out, "Error: {}", message(&err)).unwrap(),
        }
        return;
    }
    let mut rows = statement.raw_query();
    let mut table: Vec<Vec<Cell>> = Vec::new();
    let mut total = 0usize;
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                total += 1;
                if table.len() < MAX_ROWS {
                    table.push((0..columns.len()).map(|i| Cell::from(row.get_ref(i).ok())).collect());
                }
            }
            Ok(None) => break,
            Err(err) => {
                if total > 0 {
                    print_table(out, &columns, &table, total);
                }
                writeln!(out, "Error: {}", message(&err)).unwrap();
                return;
            }
        }
    }
    print_table(out, &columns, &table, total);
}

/// The statement's first keyword (`sql` starts at the statement, comments stripped).
fn first_word(sql: &str) -> &str {
    sql.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("")
}

/// INSERT, UPDATE and DELETE report a row count; other statements ("BEGIN", DDL) say "ok".
fn changes_rows(verb: &str) -> bool {
    ["insert", "update", "delete", "replace"].iter().any(|known| verb.eq_ignore_ascii_case(known))
}

/// SQLite's message; for an interrupted statement, why it was interrupted.
pub fn message(err: &rusqlite::Error) -> String {
    if let rusqlite::Error::SqliteFailure(code, _) = err
        && code.code == rusqlite::ErrorCode::OperationInterrupted
    {
        return format!(
            "interrupted: the statement ran {} million SQLite instructions without finishing (a recursive query without an end?)",
            u64::from(PROGRESS_EVERY.unsigned_abs()) * PROGRESS_BUDGET / 1_000_000
        );
    }
    match err {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

/// A value as printed: text left-aligned, numbers right-aligned.
struct Cell {
    text: String,
    numeric: bool,
}

impl From<Option<ValueRef<'_>>> for Cell {
    fn from(value: Option<ValueRef<'_>>) -> Self {
        let (text, numeric) = match value {
            None | Some(ValueRef::Null) => ("NULL".to_string(), false),
            Some(ValueRef::Integer(i)) => (i.to_string(), true),
            Some(ValueRef::Real(f)) => (format_real(f), true),
            Some(ValueRef::Text(bytes)) => (String::from_utf8_lossy(bytes).into_owned(), false),
            Some(ValueRef::Blob(bytes)) => {
                let hex: String = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
                let more = if bytes.len() > 16 { "…" } else { "" };
                (format!("x'{hex}{more}'"), false)
            }
        };
        let text = text.replace('\n', "\\n");
        let text = if text.chars().count() > MAX_VALUE_CHARS {
            let cut: String = text.chars().take(MAX_VALUE_CHARS - 1).collect();
            format!("{cut}…")
        } else {
            text
        };
        Cell { text, numeric }
    }
}

/// Reals as SQLite's shell prints them: the shortest text that reads back as the same value,
/// with `.0` on whole numbers.
fn format_real(value: f64) -> String {
    let text = format!("{value}");
    if value.is_finite() && !text.contains(['.', 'e', 'E']) { format!("{text}.0") } else { text }
}

fn print_table(out: &mut String, columns: &[String], rows: &[Vec<Cell>], total: usize) {
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            rows.iter()
                .map(|row| row[i].text.chars().count())
                .chain([name.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let header: Vec<String> = columns.iter().zip(&widths).map(|(name, &w)| format!(" {name:<w$} ")).collect();
    writeln!(out, "{}", header.join("|").trim_end()).unwrap();
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w + 2)).collect();
    writeln!(out, "{}", rule.join("+")).unwrap();
    for row in rows {
        let cells: Vec<String> =
            row.iter()
                .zip(&widths)
                .map(|(cell, &w)| {
                    if cell.numeric { format!(" {:>w$} ", cell.text) } else { format!(" {:<w$} ", cell.text) }
                })
                .collect();
        writeln!(out, "{}", cells.join("|").trim_end()).unwrap();
    }
    let shown = rows.len();
    match total {
        1 => out.push_str("(1 row)\n"),
        _ if shown < total => {
            writeln!(out, "({total} rows; the first {shown} shown, {} left out)", total - shown).unwrap()
        }
        _ => writeln!(out, "({total} rows)").unwrap(),
    }
}

/// The SQLite library version this build runs (`sqlite_version()`).
pub fn sqlite_version() -> String {
    rusqlite::version().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETUP: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL);
        INSERT INTO t VALUES (1, 'ada', 9.5), (2, 'linus', NULL), (3, 'grace', 10);";

    /// Natively libsqlite3-sys turns foreign keys on by default, in wasm they are off: the
    /// engine must pick one so both targets print the same thing.
    #[test]
    fn foreign_keys_start_off_as_in_stock_sqlite() {
        let setup =
            "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p_id INTEGER REFERENCES p (id));";
        let out =
            run(setup, "INSERT INTO c VALUES (7);\nPRAGMA foreign_keys = ON;\nINSERT INTO c VALUES (8);\n")
                .unwrap();
        assert!(out.contains("INSERT INTO c VALUES (7);\n1 row changed"), "{out}");
        assert!(out.contains("FOREIGN KEY constraint failed"), "{out}");
    }

    #[test]
    fn prints_rows_as_a_table_and_counts_changes() {
        let out =
            run(SETUP, "SELECT id, name, score FROM t ORDER BY id;\nUPDATE t SET score = 1 WHERE id > 1;\n")
                .unwrap();
        assert_eq!(
            out,
            "sqlite> SELECT id, name, score FROM t ORDER BY id;\n id | name  | score\n----+-------+-------\n  1 | ada   |   9.5\n  2 | linus | NULL\n  3 | grace |  10.0\n(3 rows)\nsqlite> UPDATE t SET score = 1 WHERE id > 1;\n2 rows changed\n"
        );
    }

    #[test]
    fn runtime_errors_continue_and_syntax_errors_stop() {
        let out = run(
            SETUP,
            "INSERT INTO t VALUES (1, 'dup', 0);\nSELECT count(*) AS n FROM t;\nSELEC 1;\nSELECT 2;",
        )
        .unwrap();
        assert!(out.contains("Error: UNIQUE constraint failed: t.id\n"), "{out}");
        assert!(out.contains(" n\n---\n 3\n(1 row)\n"), "{out}");
        assert!(
            out.contains("sqlite> SELEC 1;\nError: near \"SELEC\": syntax error (input line 3)\n(the rest of the script did not run)\n"),
            "{out}"
        );
        assert!(!out.contains("SELECT 2"));
    }

    #[test]
    fn a_runaway_query_is_interrupted() {
        let out = run(
            "",
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n;",
        )
        .unwrap();
        assert!(
            out.contains("Error: interrupted: the statement ran 20 million SQLite instructions"),
            "{out}"
        );
        // The connection still works afterwards.
        let out = run("", "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n;\nSELECT 1 AS one;").unwrap();
        assert!(out.ends_with(" one\n-----\n   1\n(1 row)\n"), "{out}");
    }

    #[test]
    fn a_string_grown_on_every_row_stops_at_the_length_limit() {
        // A path walk round a cycle with no check: the instruction budget alone let it run for
        // minutes (each row copies the whole, ever longer, path); the length limit ends it.
        let out = run(
            "",
            "WITH RECURSIVE walk(path) AS (SELECT '/1/' UNION ALL SELECT path || '1/' FROM walk)\nSELECT count(*) FROM walk ORDER BY 1;",
        )
        .unwrap();
        assert!(out.contains("Error:") && out.contains("too big"), "{out}");
    }

    #[test]
    fn long_results_are_cut_with_a_count() {
        let out = run(
            "",
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 120) SELECT x FROM n;",
        )
        .unwrap();
        assert!(out.ends_with("(120 rows; the first 50 shown, 70 left out)\n"), "{out}");
    }

    #[test]
    fn two_sessions_share_one_database_and_lock_it() {
        // A reader's shared lock stops B from committing a write, until A ends its transaction.
        let script = "A: BEGIN;\nA: SELECT score FROM t WHERE id = 1;\nB: UPDATE t SET score = 0 WHERE id = 1;\nA: COMMIT;\nB: UPDATE t SET score = 0 WHERE id = 1;\nA: SELECT score FROM t WHERE id = 1;";
        let out = run(SETUP, script).unwrap();
        assert!(out.contains("B> UPDATE t SET score = 0 WHERE id = 1;\nError: database is locked\nA> COMMIT;\nok\nB> UPDATE t SET score = 0 WHERE id = 1;\n1 row changed\n"), "{out}");
        assert!(out.ends_with(" score\n-------\n   0.0\n(1 row)\n"), "{out}");
        // memdb is stricter than a database file in rollback-journal mode: while A holds the
        // write (RESERVED) lock, B cannot even start reading.
        let out = run(SETUP, "A: BEGIN;\nA: UPDATE t SET score = 0 WHERE id = 1;\nB: SELECT score FROM t WHERE id = 1;\nA: ROLLBACK;\nB: SELECT score FROM t WHERE id = 1;").unwrap();
        assert!(out.contains("B> SELECT score FROM t WHERE id = 1;\nError: database is locked\n"), "{out}");
        assert!(out.ends_with(" score\n-------\n   9.5\n(1 row)\n"), "{out}");
    }

    /// The reason the page says memdb "turns away a new reader": a database file in
    /// rollback-journal mode lets B start reading while A holds the write (RESERVED) lock; memdb,
    /// with the same two connections and statements, does not.
    #[test]
    fn memdb_turns_away_a_new_reader_that_a_database_file_admits() {
        let path = std::env::temp_dir().join(format!("bf-engine-{}.db", std::process::id()));
        let file_uri = format!("file:{}", path.display());
        let read_while_a_writes = |uri: &str| -> Result<f64, String> {
            let (a, b) = (connect(uri).unwrap(), connect(uri).unwrap());
            a.execute_batch(SETUP).unwrap();
            a.execute_batch("BEGIN; UPDATE t SET score = 0 WHERE id = 1;").unwrap();
            let read = b
                .query_row("SELECT score FROM t WHERE id = 1", [], |row| row.get(0))
                .map_err(|e| e.to_string());
            a.execute_batch("ROLLBACK").unwrap();
            read
        };
        let on_file = read_while_a_writes(&file_uri);
        let _ = std::fs::remove_file(&path);
        assert_eq!(on_file, Ok(9.5), "a file database admits a new reader and shows it the committed value");
        assert_eq!(
            read_while_a_writes(&new_database_uri("engine-test")),
            Err("database is locked".to_string())
        );
    }

    #[test]
    fn a_comment_before_a_write_does_not_hide_its_row_count() {
        let out = run(SETUP, "SELECT 1 AS one; -- a trailing comment\nUPDATE t SET score = 0 WHERE id > 1;")
            .unwrap();
        assert!(out.ends_with("sqlite> UPDATE t SET score = 0 WHERE id > 1;\n2 rows changed\n"), "{out}");
    }

    #[test]
    fn session_markers_are_all_or_nothing() {
        let err = run(SETUP, "SELECT 1;\nA: SELECT 2;").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(chunks("-- a comment\nA: SELECT 1;").is_ok());
    }

    /// SQLite reports a result column for these ALTERs (its check for violating rows); they
    /// still print as the DDL they are, and a violation prints SQLite's error.
    #[test]
    fn alter_table_constraints_print_ok_not_an_empty_table() {
        let out = run(
            SETUP,
            "ALTER TABLE t ADD CONSTRAINT positive CHECK (score > 0);\nALTER TABLE t ALTER COLUMN name SET NOT NULL;\nALTER TABLE t ALTER COLUMN score SET NOT NULL;",
        )
        .unwrap();
        assert_eq!(
            out,
            "sqlite> ALTER TABLE t ADD CONSTRAINT positive CHECK (score > 0);\nok\nsqlite> ALTER TABLE t ALTER COLUMN name SET NOT NULL;\nok\nsqlite> ALTER TABLE t ALTER COLUMN score SET NOT NULL;\nError: constraint failed\n"
        );
    }

    #[test]
    fn multi_line_statements_echo_with_continuation_prompts() {
        let out = run(SETUP, "SELECT name\nFROM t\nWHERE id = 3").unwrap();
        assert!(out.starts_with("sqlite> SELECT name\n   ...> FROM t\n   ...> WHERE id = 3;\n"), "{out}");
    }
}
