//! A versioned migration runner over SQLite: a history table, up and down, checksums, and the
//! refusals that keep a schema's history honest.
//!
//! The input is a sequence of migration files and commands, in the order they happen: a file
//! block (`-- migrate: VERSION NAME`, then `-- up` and `-- down` SQL) puts a file on "disk" (or
//! changes it, when the version already has a file); a `>` line runs a command against the
//! database. So a reader can apply migrations, edit one that already ran, merge a teammate's
//! older migration late, and watch the runner refuse.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::Ordering;

use crate::registry::{Example, InputError, Run, Runs};
use crate::sql::engine::{Session, message, new_database_uri, run_statement};

pub const EXAMPLE: Example = Example {
    id: "migrations::runner",
    title: "A migration runner on real SQLite: apply, revert, refuse",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "Files: `-- migrate: VERSION NAME`, `-- up`, `-- down` and their SQL. Commands: `> up [N]`, `> down [N]`, `> status`, `> sql STATEMENTS`, `> delete VERSION`.",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
-- migrate: 1 create_users
-- up
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
-- down
DROP TABLE users;

-- migrate: 2 add_email
-- up
ALTER TABLE users ADD COLUMN email TEXT;
CREATE UNIQUE INDEX users_email ON users (email);
-- down
DROP INDEX users_email;
ALTER TABLE users DROP COLUMN email;

-- migrate: 4 create_orders
-- up
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id));
CREATE INDEX orders_by_user ON orders (user_id, placed_at);
-- down
DROP TABLE orders;

> status
> up 2
> sql INSERT INTO users (name, email) VALUES ('ada', 'ada@example.com'), ('grace', NULL);
> up

-- The fix: migration 4 never ran anywhere, so its file may still change.
-- migrate: 4 create_orders
-- up
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id),
                     placed_at TEXT NOT NULL);
CREATE INDEX orders_by_user ON orders (user_id, placed_at);
-- down
DROP TABLE orders;

> up
> sql INSERT INTO orders (user_id, placed_at) VALUES (1, '2026-05-01');

-- A teammate's branch, merged after 4 was applied here.
-- migrate: 3 add_nickname
-- up
ALTER TABLE users ADD COLUMN nickname TEXT;
-- down
ALTER TABLE users DROP COLUMN nickname;

> up
> down
> up
> sql SELECT count(*) AS orders_left FROM orders;
> down 5

-- Someone edits a migration that has already run.
-- migrate: 2 add_email
-- up
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_email ON users (email);
-- down
DROP INDEX users_email;
ALTER TABLE users DROP COLUMN email;

> up
> status
";

/// Limits that keep a run bounded: a browser runs it on its worker.
const MAX_FILES: usize = 50;
const MAX_COMMANDS: usize = 100;
const MAX_STATEMENTS: usize = 500;

/// The history table: one row per applied migration.
pub const HISTORY_TABLE: &str = "schema_migrations";

// ANCHOR: types
/// One migration file: a version (its place in the order), a name, and the SQL that applies
/// it and the SQL that reverts it (empty when it cannot be reverted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: u32,
    pub name: String,
    pub up: String,
    pub down: String,
}

/// A row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: u32,
    pub name: String,
    pub checksum: String,
    /// The runner's command counter when it was applied: a stand-in for the timestamp real
    /// tools record, so that verified output never depends on the clock.
    pub applied_at: u32,
}

/// Why the runner stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrateError {
    /// An applied migration's file changed: the database ran different SQL than the file says.
    Edited { version: u32, name: String, recorded: String, now: String },
    /// An applied migration has no file any more: nobody can rebuild this schema from files.
    Missing { version: u32, name: String },
    /// A pending migration is older than one already applied: running it now would give this
    /// database a history that no other database has.
    OutOfOrder { version: u32, name: String, latest: u32 },
    /// `down` asked for more migrations than are applied.
    NothingToRevert { asked: usize, applied: usize },
    /// The migration has no down SQL.
    NoDown { version: u32, name: String },
    /// A statement of the migration failed; its transaction was rolled back.
    Failed { version: u32, name: String, statement: String, error: String },
}
// ANCHOR_END: types

impl fmt::Display for MigrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrateError::Edited { version, name, recorded, now } => write!(
                f,
                "migration {version} {name} was edited after it was applied (checksum {recorded} recorded, {now} in the file): restore the file and write a new migration instead"
            ),
            MigrateError::Missing { version, name } => {
                write!(f, "migration {version} {name} is applied but its file is gone")
            }
            MigrateError::OutOfOrder { version, name, latest } => write!(
                f,
                "migration {version} {name} is pending but {latest} is already applied: it would run out of order (give it a version after {latest})"
            ),
            MigrateError::NothingToRevert { asked, applied } => {
                write!(f, "cannot revert {asked}: only {applied} applied")
            }
            MigrateError::NoDown { version, name } => {
                write!(f, "migration {version} {name} has no down SQL: it can only be rolled forward")
            }
            MigrateError::Failed { version, name, statement, error } => write!(
                f,
                "migration {version} {name} failed at `{statement}`: {error}; rolled back, nothing of it remains"
            ),
        }
    }
}

// ANCHOR: checksum
/// The text a checksum covers: line endings and trailing spaces normalised, blank lines at the
/// start and end dropped. Reformatting whitespace is not an edit; anything else is.
pub fn normalise(sql: &str) -> String {
    let lines: Vec<&str> = sql.lines().map(str::trim_end).collect();
    let first = lines.iter().position(|line| !line.is_empty()).unwrap_or(lines.len());
    let last = lines.iter().rposition(|line| !line.is_empty()).map_or(first, |i| i + 1);
    lines[first..last].join("\n")
}

/// FNV-1a, 64 bits, of the normalised up SQL, as 16 hex digits. A checksum here detects
/// accidents (an edited file), not attacks, so a fast non-cryptographic hash is enough.
pub fn checksum(up_sql: &str) -> String {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = normalise(up_sql)
        .bytes()
        .fold(OFFSET_BASIS, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME));
    format!("{hash:016x}")
}
// ANCHOR_END: checksum

/// What a migration's transaction does to the history table besides running its SQL.
enum Bookkeeping {
    /// `up`: insert the history row, stamped with the command counter.
    Record { at: u32 },
    /// `down`: delete it.
    Forget,
}

/// A database, its history table, and a command counter.
pub struct Runner {
    session: Session,
    clock: u32,
    statements: usize,
}

impl Runner {
    /// A fresh, empty database with the history table.
    pub fn new() -> Result<Self, InputError> {
        let session = Session::open('A', &new_database_uri("migrations"))?;
        session
            .conn
            .execute_batch(&format!(
                "CREATE TABLE {HISTORY_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
                 checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)"
            ))
            .map_err(|err| InputError::new(format!("cannot create the history table: {err}")))?;
        Ok(Runner { session, clock: 0, statements: 0 })
    }

    pub fn conn(&self) -> &rusqlite::Connection {
        &self.session.conn
    }

    /// The engine session, for printing results the way the SQL examples do.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Advances the command counter that `applied_at` records (once per command).
    pub fn tick(&mut self) -> u32 {
        self.clock += 1;
        self.clock
    }

    /// The history table, oldest first.
    pub fn applied(&self) -> Result<Vec<Applied>, InputError> {
        let storage = |err: rusqlite::Error| InputError::new(format!("reading {HISTORY_TABLE}: {err}"));
        let mut statement = self
            .session
            .conn
            .prepare(&format!(
                "SELECT version, name, checksum, applied_at FROM {HISTORY_TABLE} ORDER BY version"
            ))
            .map_err(storage)?;
        let rows = statement
            .query_map([], |row| {
                Ok(Applied {
                    version: row.get(0)?,
                    name: row.get(1)?,
                    checksum: row.get(2)?,
                    applied_at: row.get(3)?,
                })
            })
            .map_err(storage)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(storage)
    }

    // ANCHOR: validate
    /// The checks every command makes before it touches the schema: each applied migration
    /// still has its file, unchanged, and no pending file is older than the newest applied one.
    pub fn validate(&self, files: &BTreeMap<u32, Migration>) -> Result<Result<(), MigrateError>, InputError> {
        let applied = self.applied()?;
        for row in &applied {
            let Some(file) = files.get(&row.version) else {
                return Ok(Err(MigrateError::Missing { version: row.version, name: row.name.clone() }));
            };
            let now = checksum(&file.up);
            if now != row.checksum {
                return Ok(Err(MigrateError::Edited {
                    version: row.version,
                    name: row.name.clone(),
                    recorded: row.checksum.clone(),
                    now,
                }));
            }
        }
        let latest = applied.last().map_or(0, |row| row.version);
        let is_applied = |version: u32| applied.iter().any(|row| row.version == version);
        if let Some(late) = files.values().find(|file| file.version < latest && !is_applied(file.version)) {
            return Ok(Err(MigrateError::OutOfOrder {
                version: late.version,
                name: late.name.clone(),
                latest,
            }));
        }
        Ok(Ok(()))
    }
    // ANCHOR_END: validate

    // ANCHOR: up
    /// Applies the pending migrations in version order (at most `limit` of them), each in its
    /// own transaction together with its history row. Returns the versions applied.
    pub fn up(
        &mut self,
        files: &BTreeMap<u32, Migration>,
        limit: Option<usize>,
        out: &mut String,
    ) -> Result<Result<Vec<u32>, MigrateError>, InputError> {
        if let Err(refused) = self.validate(files)? {
            return Ok(Err(refused));
        }
        let at = self.clock;
        let applied: Vec<u32> = self.applied()?.iter().map(|row| row.version).collect();
        let pending = files.values().filter(|file| !applied.contains(&file.version));
        let mut done = Vec::new();
        for file in pending.take(limit.unwrap_or(usize::MAX)) {
            if let Err(failed) = self.in_transaction(file, &file.up, Bookkeeping::Record { at })? {
                return Ok(Err(failed));
            }
            writeln!(out, "applied {} {}", file.version, file.name).unwrap();
            done.push(file.version);
        }
        Ok(Ok(done))
    }

    /// Reverts the newest `count` applied migrations, newest first, each in its own transaction
    /// together with the removal of its history row.
    pub fn down(
        &mut self,
        files: &BTreeMap<u32, Migration>,
        count: usize,
        out: &mut String,
    ) -> Result<Result<Vec<u32>, MigrateError>, InputError> {
        let applied = self.applied()?;
        if count > applied.len() || applied.is_empty() {
            return Ok(Err(MigrateError::NothingToRevert { asked: count, applied: applied.len() }));
        }
        let mut done = Vec::new();
        for row in applied.iter().rev().take(count) {
            let Some(file) = files.get(&row.version) else {
                return Ok(Err(MigrateError::Missing { version: row.version, name: row.name.clone() }));
            };
            let now = checksum(&file.up);
            if now != row.checksum {
                let (version, name, recorded) = (row.version, row.name.clone(), row.checksum.clone());
                return Ok(Err(MigrateError::Edited { version, name, recorded, now }));
            }
            if normalise(&file.down).is_empty() {
                return Ok(Err(MigrateError::NoDown { version: row.version, name: row.name.clone() }));
            }
            if let Err(failed) = self.in_transaction(file, &file.down, Bookkeeping::Forget)? {
                return Ok(Err(failed));
            }
            writeln!(out, "reverted {} {}", file.version, file.name).unwrap();
            done.push(file.version);
        }
        Ok(Ok(done))
    }

    /// Runs `sql` and then the history change in one transaction: both happen, or neither does.
    fn in_transaction(
        &mut self,
        file: &Migration,
        sql: &str,
        bookkeeping: Bookkeeping,
    ) -> Result<Result<(), MigrateError>, InputError> {
        let storage = |err: rusqlite::Error| InputError::new(format!("the runner's own SQL failed: {err}"));
        self.session.conn.execute_batch("BEGIN").map_err(storage)?;
        let fail = |statement: &str, error: String| MigrateError::Failed {
            version: file.version,
            name: file.name.clone(),
            statement: one_line(statement),
            error,
        };
        let outcome = match self.run_statements(sql, &fail)? {
            Err(failed) => Err(failed),
            Ok(()) => {
                let conn = &self.session.conn;
                let (history_sql, result) = match bookkeeping {
                    Bookkeeping::Record { at } => {
                        let sql = format!(
                            "INSERT INTO {HISTORY_TABLE} (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)"
                        );
                        let result = conn.execute(
                            &sql,
                            rusqlite::params![file.version, file.name, checksum(&file.up), at],
                        );
                        (sql, result)
                    }
                    Bookkeeping::Forget => {
                        let sql = format!("DELETE FROM {HISTORY_TABLE} WHERE version = ?1");
                        let result = conn.execute(&sql, [file.version]);
                        (sql, result)
                    }
                };
                result.map(drop).map_err(|err| fail(&history_sql, message(&err)))
            }
        };
        match outcome {
            Ok(()) => self.session.conn.execute_batch("COMMIT").map_err(storage)?,
            Err(_) => self.session.conn.execute_batch("ROLLBACK").map_err(storage)?,
        }
        Ok(outcome)
    }
    // ANCHOR_END: up

    /// Runs a migration's statements one by one, so a failure names its statement.
    fn run_statements(
        &mut self,
        sql: &str,
        fail: &dyn Fn(&str, String) -> MigrateError,
    ) -> Result<Result<(), MigrateError>, InputError> {
        let mut batch = rusqlite::Batch::new(&self.session.conn, sql);
        loop {
            self.session.progress.store(0, Ordering::Relaxed);
            let mut statement = match rusqlite::fallible_iterator::FallibleIterator::next(&mut batch) {
                Ok(Some(statement)) => statement,
                Ok(None) => return Ok(Ok(())),
                Err(err) => return Ok(Err(fail(first_line(sql_of_error(&err, sql)), message(&err)))),
            };
            self.statements += 1;
            if self.statements > MAX_STATEMENTS {
                return Err(InputError::new(format!(
                    "a run may execute at most {MAX_STATEMENTS} statements"
                )));
            }
            let text = statement.expanded_sql().unwrap_or_default();
            if is_transaction_control(&text) {
                return Ok(Err(fail(
                    &text,
                    "a migration runs inside the runner's transaction and may not begin or end one".into(),
                )));
            }
            let result = if statement.column_count() == 0 {
                statement.raw_execute().map(drop)
            } else {
                let mut rows = statement.raw_query();
                loop {
                    match rows.next() {
                        Ok(Some(_)) => {}
                        Ok(None) => break Ok(()),
                        Err(err) => break Err(err),
                    }
                }
            };
            if let Err(err) = result {
                return Ok(Err(fail(&text, message(&err))));
            }
        }
    }
}

/// The SQL text a parse error points into, or the whole script.
fn sql_of_error<'a>(err: &'a rusqlite::Error, whole: &'a str) -> &'a str {
    match err {
        rusqlite::Error::SqlInputError { sql, .. } => sql,
        _ => whole,
    }
}

fn first_line(sql: &str) -> &str {
    sql.trim().lines().next().unwrap_or("")
}

/// A statement on one line, whitespace collapsed, for messages and the schema listing.
pub fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT and RELEASE would break the runner's transaction.
fn is_transaction_control(sql: &str) -> bool {
    let word = sql.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
    ["begin", "commit", "end", "rollback", "savepoint", "release"]
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w))
}

/// The schema as SQLite stores it (`sqlite_schema`), without the history table.
pub fn schema(conn: &rusqlite::Connection) -> Result<Vec<String>, InputError> {
    let storage = |err: rusqlite::Error| InputError::new(format!("reading sqlite_schema: {err}"));
    let mut statement = conn
        .prepare(&format!(
            "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND tbl_name <> '{HISTORY_TABLE}' \
             ORDER BY tbl_name, type DESC, name"
        ))
        .map_err(storage)?;
    let rows = statement.query_map([], |row| row.get::<_, String>(0)).map_err(storage)?;
    rows.map(|sql| sql.map(|sql| one_line(&sql))).collect::<Result<Vec<_>, _>>().map_err(storage)
}

// ---- The example: files and commands -------------------------------------------------------

/// One thing that happens, in input order.
enum Event {
    File(Migration),
    /// The command as typed (for the echo) and as parsed.
    Command(String, Command),
}

enum Command {
    Up(Option<usize>),
    Down(usize),
    Status,
    Sql(String),
    Delete(u32),
}

/// Which section of a file block the next SQL lines belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Up,
    Down,
}

fn parse(input: &str) -> Result<Vec<Event>, InputError> {
    let mut events = Vec::new();
    // The file being read: its first line, the migration, and which section is open.
    let mut open: Option<(usize, Migration, Section)> = None;
    let finish = |open: &mut Option<(usize, Migration, Section)>, events: &mut Vec<Event>| {
        if let Some((line, migration, _)) = open.take() {
            if normalise(&migration.up).is_empty() {
                return Err(InputError::at_line(line, "a migration needs `-- up` SQL"));
            }
            events.push(Event::File(migration));
        }
        Ok(())
    };
    for (index, raw) in input.lines().enumerate() {
        let line = index + 1;
        let text = raw.trim();
        if let Some(header) = text.strip_prefix("-- migrate:") {
            finish(&mut open, &mut events)?;
            let mut words = header.split_whitespace();
            let version =
                words.next().and_then(|v| v.parse::<u32>().ok()).filter(|&v| v >= 1).ok_or_else(|| {
                    InputError::at_line(line, "expected `-- migrate: VERSION NAME`, VERSION a number from 1")
                })?;
            let name = words.next().unwrap_or("");
            let valid = !name.is_empty()
                && name.len() <= 40
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid || words.next().is_some() {
                return Err(InputError::at_line(line, "a migration name is 1 to 40 of a-z, 0-9 and _"));
            }
            let migration =
                Migration { version, name: name.to_string(), up: String::new(), down: String::new() };
            open = Some((line, migration, Section::None));
        } else if let Some(command) = text.strip_prefix('>') {
            finish(&mut open, &mut events)?;
            events.push(Event::Command(command.trim().to_string(), parse_command(line, command.trim())?));
        } else if let Some((_, migration, section)) = open.as_mut() {
            match text {
                "-- up" => *section = Section::Up,
                "-- down" => *section = Section::Down,
                _ => match section {
                    Section::Up => writeln!(migration.up, "{raw}").unwrap(),
                    Section::Down => writeln!(migration.down, "{raw}").unwrap(),
                    Section::None if text.is_empty() || text.starts_with("--") => {}
                    Section::None => {
                        return Err(InputError::at_line(line, "SQL before `-- up` or `-- down`"));
                    }
                },
            }
        } else if !(text.is_empty() || text.starts_with("--")) {
            return Err(InputError::at_line(
                line,
                "expected a `-- migrate: VERSION NAME` file or a `>` command",
            ));
        }
    }
    finish(&mut open, &mut events)?;
    let files = events.iter().filter(|e| matches!(e, Event::File(_))).count();
    let commands = events.len() - files;
    if files > MAX_FILES || commands > MAX_COMMANDS {
        return Err(InputError::new(format!("at most {MAX_FILES} file blocks and {MAX_COMMANDS} commands")));
    }
    Ok(events)
}

fn parse_command(line: usize, text: &str) -> Result<Command, InputError> {
    let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let rest = rest.trim();
    let count = |what: &str| -> Result<usize, InputError> {
        rest.parse::<usize>().ok().filter(|n| (1..=1_000).contains(n)).ok_or_else(|| {
            InputError::at_line(line, format!("`{word}` takes {what}, a number from 1 to 1000"))
        })
    };
    match word {
        "up" if rest.is_empty() => Ok(Command::Up(None)),
        "up" => Ok(Command::Up(Some(count("how many to apply")?))),
        "down" if rest.is_empty() => Ok(Command::Down(1)),
        "down" => Ok(Command::Down(count("how many to revert")?)),
        "status" if rest.is_empty() => Ok(Command::Status),
        "sql" if !rest.is_empty() => Ok(Command::Sql(rest.to_string())),
        "delete" => rest
            .parse()
            .map(Command::Delete)
            .map_err(|_| InputError::at_line(line, "`delete` takes the version of a file")),
        _ => Err(InputError::at_line(
            line,
            format!("unknown command `{text}` (up [N], down [N], status, sql STATEMENTS, delete VERSION)"),
        )),
    }
}

// ANCHOR: run
fn run(input: &str) -> Result<String, InputError> {
    let events = parse(input)?;
    let mut runner = Runner::new()?;
    let mut files: BTreeMap<u32, Migration> = BTreeMap::new();
    let mut out = String::new();
    let mut after_command = false;
    for event in events {
        match event {
            Event::File(migration) => {
                if after_command {
                    out.push('\n');
                    after_command = false;
                }
                let verb = match files.get(&migration.version) {
                    None => "added",
                    Some(old) if old == &migration => "unchanged",
                    Some(_) => "changed",
                };
                writeln!(out, "file {} {} {verb}", migration.version, migration.name).unwrap();
                files.insert(migration.version, migration);
            }
            Event::Command(typed, command) => {
                runner.tick();
                after_command = true;
                writeln!(out, "\n> {typed}").unwrap();
                match command {
                    Command::Up(limit) => {
                        let result = runner.up(&files, limit, &mut out)?;
                        report(&runner, result.map(|_| ()), &mut out)?;
                    }
                    Command::Down(count) => {
                        let result = runner.down(&files, count, &mut out)?;
                        report(&runner, result.map(|_| ()), &mut out)?;
                    }
                    Command::Status => status(&runner, &files, &mut out)?,
                    Command::Sql(sql) => application_sql(&mut runner, &sql, &mut out)?,
                    Command::Delete(version) => match files.remove(&version) {
                        Some(file) => writeln!(out, "file {version} {} deleted", file.name).unwrap(),
                        None => writeln!(out, "no file {version}").unwrap(),
                    },
                }
            }
        }
    }
    Ok(out)
}
// ANCHOR_END: run

/// After `up` or `down`: a refusal changes nothing, so only the reason is shown; otherwise the
/// schema and the history table, even after a failed migration (to show it left no trace).
fn report(runner: &Runner, result: Result<(), MigrateError>, out: &mut String) -> Result<(), InputError> {
    match result {
        Ok(()) => {}
        Err(failed @ MigrateError::Failed { .. }) => writeln!(out, "FAILED: {failed}").unwrap(),
        Err(refused) => {
            writeln!(out, "REFUSED: {refused}").unwrap();
            return Ok(());
        }
    }
    out.push_str("schema:\n");
    let schema = schema(runner.conn())?;
    if schema.is_empty() {
        out.push_str("  (empty)\n");
    }
    for object in schema {
        writeln!(out, "  {object}").unwrap();
    }
    out.push_str("history:\n");
    let history = format!("SELECT version, name, checksum, applied_at FROM {HISTORY_TABLE} ORDER BY version");
    let statement = runner
        .conn()
        .prepare(&history)
        .map_err(|err| InputError::new(format!("reading {HISTORY_TABLE}: {err}")))?;
    run_statement(runner.session(), statement, out);
    Ok(())
}

/// One line per version that has a file or a history row.
fn status(runner: &Runner, files: &BTreeMap<u32, Migration>, out: &mut String) -> Result<(), InputError> {
    let applied = runner.applied()?;
    let latest = applied.last().map_or(0, |row| row.version);
    let mut versions: Vec<u32> = files.keys().copied().chain(applied.iter().map(|row| row.version)).collect();
    versions.sort_unstable();
    versions.dedup();
    for version in versions {
        let row = applied.iter().find(|row| row.version == version);
        let file = files.get(&version);
        let name = file.map(|f| f.name.as_str()).or(row.map(|r| r.name.as_str())).unwrap_or("");
        let state = match (row, file) {
            (Some(row), Some(file)) if checksum(&file.up) == row.checksum => {
                format!("applied by command {}", row.applied_at)
            }
            (Some(_), Some(_)) => "EDITED after it was applied".to_string(),
            (Some(_), None) => "MISSING: applied, no file".to_string(),
            (None, Some(_)) if version < latest => format!("OUT OF ORDER: pending, older than {latest}"),
            (None, _) => "pending".to_string(),
        };
        writeln!(out, "  {version:>4} {name:<20} {state}").unwrap();
    }
    Ok(())
}

/// `> sql`: what the application does between migrations, printed as the SQL examples print.
fn application_sql(runner: &mut Runner, sql: &str, out: &mut String) -> Result<(), InputError> {
    let conn = &runner.session.conn;
    let mut batch = rusqlite::Batch::new(conn, sql);
    loop {
        runner.session.progress.store(0, Ordering::Relaxed);
        match rusqlite::fallible_iterator::FallibleIterator::next(&mut batch) {
            Ok(Some(statement)) => {
                runner.statements += 1;
                if runner.statements > MAX_STATEMENTS {
                    return Err(InputError::new(format!(
                        "a run may execute at most {MAX_STATEMENTS} statements"
                    )));
                }
                run_statement(&runner.session, statement, out);
            }
            Ok(None) => return Ok(()),
            Err(err) => {
                writeln!(out, "Error: {}", message(&err)).unwrap();
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(version: u32, up: &str, down: &str) -> Migration {
        Migration { version, name: format!("m{version}"), up: up.into(), down: down.into() }
    }

    fn files(list: &[Migration]) -> BTreeMap<u32, Migration> {
        list.iter().map(|m| (m.version, m.clone())).collect()
    }

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // From the FNV reference test suite: "" and "a" and "foobar" under FNV-1a 64.
        assert_eq!(checksum(""), "cbf29ce484222325");
        assert_eq!(checksum("a"), "af63dc4c8601ec8c");
        assert_eq!(checksum("foobar"), "85944171f73967e8");
    }

    #[test]
    fn whitespace_at_line_ends_is_not_an_edit_but_anything_else_is() {
        let base = checksum("CREATE TABLE t (x);\nCREATE INDEX i ON t (x);");
        assert_eq!(checksum("\nCREATE TABLE t (x);   \r\nCREATE INDEX i ON t (x);\n\n"), base);
        assert_ne!(checksum("CREATE TABLE t (x );\nCREATE INDEX i ON t (x);"), base);
        assert_ne!(checksum("CREATE TABLE t (x);\n-- note\nCREATE INDEX i ON t (x);"), base);
    }

    #[test]
    fn up_and_down_round_trip_and_record_history() {
        let mut runner = Runner::new().unwrap();
        let all = files(&[
            file(1, "CREATE TABLE a (x);", "DROP TABLE a;"),
            file(2, "CREATE TABLE b (y);", "DROP TABLE b;"),
        ]);
        let mut out = String::new();
        runner.tick();
        assert_eq!(runner.up(&all, Some(1), &mut out).unwrap(), Ok(vec![1]));
        runner.tick();
        assert_eq!(runner.up(&all, None, &mut out).unwrap(), Ok(vec![2]));
        let history = runner.applied().unwrap();
        assert_eq!(
            history.iter().map(|r| (r.version, r.applied_at)).collect::<Vec<_>>(),
            vec![(1, 1), (2, 2)]
        );
        assert_eq!(history[0].checksum, checksum("CREATE TABLE a (x);"));
        assert_eq!(schema(runner.conn()).unwrap(), vec!["CREATE TABLE a (x)", "CREATE TABLE b (y)"]);
        assert_eq!(runner.down(&all, 2, &mut out).unwrap(), Ok(vec![2, 1]));
        assert!(schema(runner.conn()).unwrap().is_empty());
        assert!(runner.applied().unwrap().is_empty());
    }

    #[test]
    fn a_failing_migration_leaves_no_trace() {
        let mut runner = Runner::new().unwrap();
        let all = files(&[file(
            1,
            "CREATE TABLE a (x);\nINSERT INTO a VALUES (1);\nINSERT INTO nowhere VALUES (2);",
            "",
        )]);
        let result = runner.up(&all, None, &mut String::new()).unwrap();
        assert!(
            matches!(&result, Err(MigrateError::Failed { version: 1, error, .. }) if error.contains("no such table: nowhere")),
            "{result:?}"
        );
        assert!(schema(runner.conn()).unwrap().is_empty(), "the CREATE TABLE was rolled back");
        assert!(runner.applied().unwrap().is_empty());
    }

    #[test]
    fn edited_missing_and_out_of_order_are_refused_before_anything_runs() {
        let mut runner = Runner::new().unwrap();
        let mut all = files(&[
            file(1, "CREATE TABLE a (x);", "DROP TABLE a;"),
            file(3, "CREATE TABLE c (z);", "DROP TABLE c;"),
        ]);
        runner.up(&all, None, &mut String::new()).unwrap().unwrap();

        all.insert(2, file(2, "CREATE TABLE b (y);", "DROP TABLE b;"));
        let refused = runner.up(&all, None, &mut String::new()).unwrap();
        assert_eq!(refused, Err(MigrateError::OutOfOrder { version: 2, name: "m2".into(), latest: 3 }));
        assert!(!schema(runner.conn()).unwrap().iter().any(|s| s.contains("TABLE b")));
        all.remove(&2);

        all.insert(1, file(1, "CREATE TABLE a (x, extra);", "DROP TABLE a;"));
        assert!(matches!(
            runner.up(&all, None, &mut String::new()).unwrap(),
            Err(MigrateError::Edited { version: 1, .. })
        ));
        assert!(matches!(
            runner.down(&all, 2, &mut String::new()).unwrap(),
            Err(MigrateError::Edited { version: 1, .. })
        ));
        all.remove(&1);
        assert!(matches!(
            runner.up(&all, None, &mut String::new()).unwrap(),
            Err(MigrateError::Missing { version: 1, .. })
        ));
    }

    #[test]
    fn down_past_zero_and_a_missing_down_are_refused() {
        let mut runner = Runner::new().unwrap();
        let all = files(&[file(1, "CREATE TABLE a (x);", "")]);
        assert_eq!(
            runner.down(&all, 1, &mut String::new()).unwrap(),
            Err(MigrateError::NothingToRevert { asked: 1, applied: 0 })
        );
        runner.up(&all, None, &mut String::new()).unwrap().unwrap();
        assert_eq!(
            runner.down(&all, 1, &mut String::new()).unwrap(),
            Err(MigrateError::NoDown { version: 1, name: "m1".into() })
        );
        assert_eq!(
            runner.down(&all, 2, &mut String::new()).unwrap(),
            Err(MigrateError::NothingToRevert { asked: 2, applied: 1 })
        );
    }

    #[test]
    fn a_migration_may_not_manage_its_own_transaction() {
        let mut runner = Runner::new().unwrap();
        let all = files(&[file(1, "CREATE TABLE a (x);\nCOMMIT;\nCREATE TABLE b (y);", "")]);
        let result = runner.up(&all, None, &mut String::new()).unwrap();
        assert!(
            matches!(result, Err(MigrateError::Failed { ref statement, .. }) if statement == "COMMIT;"),
            "{result:?}"
        );
        assert!(schema(runner.conn()).unwrap().is_empty());
    }

    #[test]
    fn bad_input_names_its_line() {
        assert_eq!(run("-- migrate: x y").unwrap_err().line, Some(1));
        assert_eq!(run("-- migrate: 1 a\nSELECT 1;").unwrap_err().line, Some(2));
        assert_eq!(run("-- migrate: 1 a\n-- down\nDROP TABLE a;").unwrap_err().line, Some(1));
        assert_eq!(run("> fly").unwrap_err().line, Some(1));
        assert_eq!(run("SELECT 1;").unwrap_err().line, Some(1));
        assert_eq!(run("> up 0").unwrap_err().line, Some(1));
    }

    #[test]
    fn a_runaway_migration_is_stopped_and_rolled_back() {
        let input = "-- migrate: 1 forever\n-- up\nCREATE TABLE a (x);\nWITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n;\n> up\n";
        let out = run(input).unwrap();
        assert!(out.contains("FAILED: migration 1 forever failed at `WITH RECURSIVE"), "{out}");
        assert!(out.contains("interrupted"), "{out}");
        assert!(out.contains("schema:\n  (empty)\n"), "{out}");
    }
}
