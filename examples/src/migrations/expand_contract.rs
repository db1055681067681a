//! Renaming `users.name` to `users.full_name` without downtime: expand, dual-write, backfill in
//! batches, switch reads, stop writing the old column, contract. At every step, four versions
//! of the application are tried against the schema, each writing and each reading, so the page
//! shows which versions can run side by side during each rolling deploy. Then the releases of
//! that deploy write for real (inserts and renames that stay in the table), so the next step
//! meets the rows a mixed fleet leaves behind. The one-step rename is tried the same way.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rusqlite::{Connection, OptionalExtension, params};

use super::runner::{Migration, Runner};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "migrations::expand_contract",
    title: "Renaming a column with expand/contract, checked at every step",
    file: file!(),
    default_input: "users = 7\nbatch = 3\nplan = both\n",
    input_help: "`users = N` rows to start with (1 to 200), `batch = N` rows per backfill batch (1 to 1000), `plan = expand-contract | naive | both`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: apps
/// Four releases of the application, in the order they are deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum App {
    /// Reads and writes `name`.
    V1,
    /// Writes both columns, still reads `name`.
    V2,
    /// Writes both columns, reads `full_name`.
    V3,
    /// Reads and writes `full_name` only.
    V4,
}

impl App {
    pub const ALL: [App; 4] = [App::V1, App::V2, App::V3, App::V4];

    fn insert(self, conn: &Connection, id: i64, name: &str) -> rusqlite::Result<usize> {
        match self {
            App::V1 => conn.execute("INSERT INTO users (id, name) VALUES (?1, ?2)", params![id, name]),
            App::V2 | App::V3 => {
                conn.execute("INSERT INTO users (id, name, full_name) VALUES (?1, ?2, ?2)", params![id, name])
            }
            App::V4 => conn.execute("INSERT INTO users (id, full_name) VALUES (?1, ?2)", params![id, name]),
        }
    }

    fn rename(self, conn: &Connection, id: i64, name: &str) -> rusqlite::Result<usize> {
        match self {
            App::V1 => conn.execute("UPDATE users SET name = ?2 WHERE id = ?1", params![id, name]),
            App::V2 | App::V3 => {
                conn.execute("UPDATE users SET name = ?2, full_name = ?2 WHERE id = ?1", params![id, name])
            }
            App::V4 => conn.execute("UPDATE users SET full_name = ?2 WHERE id = ?1", params![id, name]),
        }
    }

    fn read(self, conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
        let sql = match self {
            App::V1 | App::V2 => "SELECT name FROM users WHERE id = ?1",
            App::V3 | App::V4 => "SELECT full_name FROM users WHERE id = ?1",
        };
        conn.query_row(sql, [id], |row| row.get::<_, Option<String>>(0)).optional().map(Option::flatten)
    }
    // ANCHOR_END: apps

    fn label(self) -> &'static str {
        match self {
            App::V1 => "v1",
            App::V2 => "v2",
            App::V3 => "v3",
            App::V4 => "v4",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            App::V1 => "reads name, writes name",
            App::V2 => "reads name, writes both",
            App::V3 => "reads full_name, writes both",
            App::V4 => "reads full_name, writes full_name",
        }
    }
}

fn migration(version: u32, name: &str, up: &str, down: &str) -> Migration {
    Migration { version, name: name.into(), up: up.into(), down: down.into() }
}

// ANCHOR: plan
/// What happens at one step of a plan.
pub enum Action {
    Migrate(Migration),
    Backfill,
}

/// One step: what is done, and which releases run side by side afterwards (one rolling deploy
/// each: old and new serve traffic at the same time until the roll-out ends).
pub struct Step {
    pub action: Action,
    pub windows: &'static [&'static [App]],
}

pub fn expand_contract() -> Vec<Step> {
    vec![
        Step {
            action: Action::Migrate(migration(
                1,
                "create_users",
                "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
                "DROP TABLE users;",
            )),
            windows: &[&[App::V1]],
        },
        Step {
            action: Action::Migrate(migration(
                2,
                "expand_add_full_name",
                "ALTER TABLE users ADD COLUMN full_name TEXT;",
                "ALTER TABLE users DROP COLUMN full_name;",
            )),
            windows: &[&[App::V1, App::V2]],
        },
        Step { action: Action::Backfill, windows: &[&[App::V2, App::V3], &[App::V3, App::V4]] },
        Step {
            action: Action::Migrate(migration(
                3,
                "contract_drop_name",
                "ALTER TABLE users DROP COLUMN name;",
                "",
            )),
            windows: &[&[App::V4]],
        },
    ]
}

pub fn naive() -> Vec<Step> {
    let mut steps = expand_contract();
    steps.truncate(1);
    steps.push(Step {
        action: Action::Migrate(migration(
            2,
            "rename_name",
            "ALTER TABLE users RENAME COLUMN name TO full_name;",
            "ALTER TABLE users RENAME COLUMN full_name TO name;",
        )),
        windows: &[&[App::V1, App::V4]],
    });
    steps
}
// ANCHOR_END: plan

// ANCHOR: backfill
/// One batch of the backfill: the ids it covered, `after < id <= through`, and the rows it
/// changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub after: i64,
    pub through: i64,
    pub copied: usize,
}

/// Copies `name` into `full_name` wherever the two differ, `batch` ids at a time. Run it once
/// no v1 is left: from then on every write sets both columns.
///
/// "Differ" covers two kinds of row: `full_name` is NULL (v1 inserted the row) or stale (v2
/// inserted it, then a v1 still serving the old code renamed it). `IS DISTINCT FROM` compares
/// NULLs as values, in SQLite (3.39+, or its older `IS NOT`) and PostgreSQL alike.
///
/// The batches walk the primary key (`id > last ORDER BY id LIMIT n`), so each one reads only
/// its own rows instead of rescanning the table from the start, and the job can stop and
/// resume at `last`. It stops at the largest id it saw at the start: later rows were written
/// by v2 or v3, which write both columns, so it never chases the table's tail. Each `UPDATE`
/// is its own short transaction. Returns the batches.
pub fn backfill(conn: &Connection, batch: u32) -> rusqlite::Result<Vec<Batch>> {
    let end: Option<i64> = conn.query_row("SELECT max(id) FROM users", [], |row| row.get(0))?;
    let Some(end) = end else { return Ok(Vec::new()) };
    let mut batches = Vec::new();
    let mut last = i64::MIN;
    while last < end {
        let through: Option<i64> = conn.query_row(
            "SELECT max(id) FROM (SELECT id FROM users WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3)",
            params![last, end, batch],
            |row| row.get(0),
        )?;
        let Some(through) = through else { break }; // the rest was deleted meanwhile
        let copied = conn.execute(
            "UPDATE users SET full_name = name
              WHERE id > ?1 AND id <= ?2 AND full_name IS DISTINCT FROM name",
            params![last, through],
        )?;
        batches.push(Batch { after: last, through, copied });
        last = through;
        // In production, pause here: sleep a little so the backfill yields to traffic, and
        // wait while the replicas lag by more than a bound (on a PostgreSQL primary,
        // `replay_lag` in `pg_stat_replication`), so that a burst of batches cannot leave
        // the replicas minutes behind.
    }
    Ok(batches)
}
// ANCHOR_END: backfill

/// The name each user must read as now, and the release that wrote it.
pub type Names = BTreeMap<i64, (String, App)>;

/// What a reader saw after a writer's insert and rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    Ok,
    /// A read returned something other than the name last written (a NULL, an old value).
    Stale {
        id: i64,
        got: Option<String>,
        want: String,
        by: App,
    },
    WriteFailed(String),
    ReadFailed(String),
}

impl Probe {
    fn cell(&self) -> &'static str {
        match self {
            Probe::Ok => "ok",
            Probe::Stale { .. } => "stale",
            Probe::WriteFailed(_) => "write fails",
            Probe::ReadFailed(_) => "read fails",
        }
    }
}

// ANCHOR: probe
/// `writer` inserts a user and renames user 1; then `reader` must see every user's latest
/// name, old rows included. Runs in a savepoint that is rolled back, so probes leave no trace.
pub fn probe(conn: &Connection, names: &Names, writer: App, reader: App) -> Probe {
    let storage = |err: rusqlite::Error| Probe::WriteFailed(format!("savepoint: {err}"));
    if let Err(err) = conn.execute_batch("SAVEPOINT probe") {
        return storage(err);
    }
    let result = (|| {
        let mut expected = names.clone();
        let (new_id, new_name) = (1_000_000, format!("Written by {}", writer.label()));
        let written = writer
            .insert(conn, new_id, &new_name)
            .and_then(|_| writer.rename(conn, 1, "Ada King"))
            .map_err(|err| Probe::WriteFailed(crate::sql::engine::message(&err)))?;
        debug_assert_eq!(written, 1);
        expected.insert(new_id, (new_name, writer));
        expected.insert(1, ("Ada King".to_string(), writer));
        for (&id, (want, by)) in &expected {
            let got =
                reader.read(conn, id).map_err(|err| Probe::ReadFailed(crate::sql::engine::message(&err)))?;
            if got.as_deref() != Some(want.as_str()) {
                return Err(Probe::Stale { id, got, want: want.clone(), by: *by });
            }
        }
        Ok(())
    })();
    if let Err(err) = conn.execute_batch("ROLLBACK TO probe; RELEASE probe") {
        return storage(err);
    }
    result.err().unwrap_or(Probe::Ok)
}
// ANCHOR_END: probe

/// A write that a release made for real while it served (it stays in the table): `inserter`
/// added a user and `renamer`, another instance of the fleet, renamed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub inserter: App,
    pub renamer: App,
    pub id: i64,
    pub inserted: String,
    pub renamed: String,
    pub outcome: Outcome,
}

/// How a served insert and rename went; a failed insert skips the rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Kept,
    InsertFailed(String),
    RenameFailed(String),
}

// ANCHOR: serve
/// The traffic of one deploy window: for every two releases serving side by side, one inserts
/// a user and the other renames it (a release serving alone does both). Unlike the probes,
/// these writes are kept, so the next step (the backfill, say) meets the rows a mixed fleet
/// really leaves: a user inserted by v2 and renamed by v1 has a `full_name` that is not NULL
/// but stale.
pub fn serve(conn: &Connection, window: &[App], names: &mut Names, next_id: &mut i64) -> Vec<Served> {
    let pairs: Vec<(App, App)> = match window {
        [alone] => vec![(*alone, *alone)],
        _ => window
            .iter()
            .flat_map(|&a| window.iter().filter(move |&&b| b != a).map(move |&b| (a, b)))
            .collect(),
    };
    let mut served = Vec::new();
    for (inserter, renamer) in pairs {
        let id = *next_id;
        *next_id += 1;
        let (inserted, renamed) = traffic_names(id);
        let outcome = match inserter.insert(conn, id, &inserted) {
            Err(err) => Outcome::InsertFailed(crate::sql::engine::message(&err)),
            Ok(_) => {
                names.insert(id, (inserted.clone(), inserter));
                match renamer.rename(conn, id, &renamed) {
                    Err(err) => Outcome::RenameFailed(crate::sql::engine::message(&err)),
                    Ok(_) => {
                        names.insert(id, (renamed.clone(), renamer));
                        Outcome::Kept
                    }
                }
            }
        };
        served.push(Served { inserter, renamer, id, inserted, renamed, outcome });
    }
    served
}
// ANCHOR_END: serve

/// The probes of one step: `matrix[writer][reader]`.
pub type Matrix = BTreeMap<(App, App), Probe>;

/// The state after each step, with every writer/reader pair probed, and what the releases of
/// the deploy windows that follow it then wrote.
pub struct StepResult {
    pub title: String,
    pub detail: String,
    pub matrix: Matrix,
    pub windows: &'static [&'static [App]],
    pub served: Vec<Served>,
}

/// Runs a plan on a fresh database with `users` users.
pub fn execute(steps: Vec<Step>, users: usize, batch: u32) -> Result<Vec<StepResult>, InputError> {
    let mut runner = Runner::new()?;
    let mut files = BTreeMap::new();
    let mut names = Names::new();
    let mut results = Vec::new();
    let sqlite = |err: rusqlite::Error| InputError::new(format!("SQLite: {err}"));
    let mut next_id = i64::try_from(users).expect("at most 200 users") + 1;
    for step in steps {
        let (title, detail) = match step.action {
            Action::Migrate(file) => {
                let title = format!("migration {} {}", file.version, file.name);
                let detail = super::runner::one_line(&file.up);
                files.insert(file.version, file);
                runner.tick();
                let applied = runner.up(&files, None, &mut String::new())?;
                if let Err(failed) = applied {
                    return Err(InputError::new(format!("the plan's migration failed: {failed}")));
                }
                (title, detail)
            }
            Action::Backfill => {
                let count = |sql: &str| runner.conn().query_row(sql, [], |row| row.get::<_, i64>(0));
                let rows = count("SELECT count(*) FROM users").map_err(sqlite)?;
                let null = count("SELECT count(*) FROM users WHERE full_name IS NULL").map_err(sqlite)?;
                let stale = count(
                    "SELECT count(*) FROM users WHERE full_name IS NOT NULL AND full_name IS DISTINCT FROM name",
                )
                .map_err(sqlite)?;
                let batches = backfill(runner.conn(), batch).map_err(sqlite)?;
                let copied: usize = batches.iter().map(|b| b.copied).sum();
                let detail = format!(
                    "{copied} of {rows} rows copied in {} batches of at most {batch} ({null} were NULL, {stale} stale)",
                    batches.len()
                );
                ("backfill".to_string(), detail)
            }
        };
        if names.is_empty() {
            // The first step creates the table; the old application fills it.
            for id in 1..next_id {
                let name = seed_name(id);
                App::V1.insert(runner.conn(), id, &name).map_err(sqlite)?;
                names.insert(id, (name, App::V1));
            }
        }
        let mut matrix = Matrix::new();
        for writer in App::ALL {
            for reader in App::ALL {
                matrix.insert((writer, reader), probe(runner.conn(), &names, writer, reader));
            }
        }
        let served = step
            .windows
            .iter()
            .flat_map(|window| serve(runner.conn(), window, &mut names, &mut next_id))
            .collect();
        results.push(StepResult { title, detail, matrix, windows: step.windows, served });
    }
    Ok(results)
}

/// The name a user of the deploys' traffic is inserted with, and the one it is renamed to.
fn traffic_names(id: i64) -> (String, String) {
    const PAIRS: [(&str, &str); 8] = [
        ("Alan Turing", "Alan M. Turing"),
        ("Edgar Codd", "Edgar F. Codd"),
        ("Jim Gray", "James N. Gray"),
        ("Dennis Ritchie", "Dennis M. Ritchie"),
        ("John Backus", "John W. Backus"),
        ("Ken Thompson", "Kenneth Thompson"),
        ("Niklaus Wirth", "Niklaus E. Wirth"),
        ("Leslie Lamport", "Leslie B. Lamport"),
    ];
    let (inserted, renamed) = PAIRS[usize::try_from(id).unwrap_or(0) % PAIRS.len()];
    (inserted.to_string(), renamed.to_string())
}

fn seed_name(id: i64) -> String {
    const NAMES: [&str; 8] = [
        "Ada Lovelace",
        "Grace Hopper",
        "Edsger Dijkstra",
        "Barbara Liskov",
        "Donald Knuth",
        "Frances Allen",
        "Tony Hoare",
        "Margaret Hamilton",
    ];
    let index = usize::try_from(id - 1).unwrap_or(0);
    match index / NAMES.len() {
        0 => NAMES[index % NAMES.len()].to_string(),
        round => format!("{} {}", NAMES[index % NAMES.len()], round + 1),
    }
}

/// Whether every writer/reader pair inside a deploy window works.
pub fn window_works(matrix: &Matrix, window: &[App]) -> bool {
    window.iter().all(|&w| window.iter().all(|&r| matrix[&(w, r)] == Probe::Ok))
}

/// Prints the steps of a plan from step `from` (1-based) on.
fn render(plan: &str, results: &[StepResult], from: usize, out: &mut String) {
    writeln!(out, "=== {plan} ===").unwrap();
    if from == 2 {
        writeln!(out, "(step 1 as above: migration 1 create_users)").unwrap();
    }
    for (index, result) in results.iter().enumerate().skip(from - 1) {
        writeln!(out, "\nstep {}: {}", index + 1, result.title).unwrap();
        writeln!(out, "  {}", result.detail).unwrap();
        writeln!(out, "  writer \\ reader   v1           v2           v3           v4").unwrap();
        for writer in App::ALL {
            let cells: Vec<String> = App::ALL
                .iter()
                .map(|&reader| format!("{:<12}", result.matrix[&(writer, reader)].cell()))
                .collect();
            writeln!(out, "  {:<17} {}", writer.label(), cells.join(" ").trim_end()).unwrap();
        }
        // One reason per kind of failure, so the cells can stay short.
        let mut reasons: Vec<String> = Vec::new();
        for ((writer, reader), outcome) in &result.matrix {
            let reason = match outcome {
                Probe::Ok => continue,
                Probe::WriteFailed(error) => format!("{} writes: {error}", writer.label()),
                Probe::ReadFailed(error) => format!("{} reads: {error}", reader.label()),
                Probe::Stale { id, got, want, by } => format!(
                    "{} reads user {id} as {} after {} wrote \"{want}\"",
                    reader.label(),
                    got.as_deref().map_or("NULL".to_string(), |g| format!("\"{g}\"")),
                    by.label()
                ),
            };
            if !reasons.contains(&reason) && reasons.len() < 4 {
                reasons.push(reason);
            }
        }
        for reason in reasons {
            writeln!(out, "  - {reason}").unwrap();
        }
        for window in result.windows {
            let names: Vec<&str> = window.iter().map(|app| app.label()).collect();
            let verdict = if window_works(&result.matrix, window) { "safe" } else { "BROKEN" };
            let what = if window.len() == 1 { "runs alone" } else { "side by side" };
            writeln!(out, "  deploy: {} {what}: {verdict}", names.join(" and ")).unwrap();
        }
        if !result.served.is_empty() {
            writeln!(out, "  what the deployed releases then wrote (kept):").unwrap();
        }
        for served in &result.served {
            let (inserter, renamer, id) = (served.inserter.label(), served.renamer.label(), served.id);
            let inserts = format!("{inserter} inserts user {id} \"{}\"", served.inserted);
            let line = match &served.outcome {
                Outcome::Kept => format!("{inserts}, {renamer} renames it \"{}\"", served.renamed),
                Outcome::InsertFailed(error) => format!("{inserts}: fails, {error}"),
                Outcome::RenameFailed(error) => format!("{inserts}, {renamer} renames it: fails, {error}"),
            };
            writeln!(out, "    {line}").unwrap();
        }
    }
}

// ANCHOR: run
fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["users", "batch", "plan"])?;
    let users: usize = params.number_or("users", 1, 200, 7)?;
    let batch: u32 = params.number_or("batch", 1, 1000, 3)?;
    let plan = match params.one("plan")? {
        None => "both",
        Some(entry) => match entry.value {
            "expand-contract" | "naive" | "both" => entry.value,
            _ => return Err(InputError::at_line(entry.line, "`plan` is expand-contract, naive or both")),
        },
    };
    let mut out = String::new();
    for app in App::ALL {
        writeln!(out, "{}: {}", app.label(), app.describe()).unwrap();
    }
    out.push('\n');
    if plan != "naive" {
        render("expand/contract", &execute(expand_contract(), users, batch)?, 1, &mut out);
    }
    if plan == "both" {
        out.push('\n');
    }
    if plan != "expand-contract" {
        // Both plans start with the same step; show it once.
        let from = if plan == "both" { 2 } else { 1 };
        render("one-step rename", &execute(naive(), users, batch)?, from, &mut out);
    }
    Ok(out)
}
// ANCHOR_END: run

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_deploy_window_of_expand_contract_works_at_every_step() {
        for (users, batch) in [(1, 1), (7, 3), (50, 7), (200, 1000)] {
            let results = execute(expand_contract(), users, batch).unwrap();
            assert_eq!(results.len(), 4);
            for result in &results {
                for window in result.windows {
                    assert!(
                        window_works(&result.matrix, window),
                        "{} with {users} users: {window:?} do not work together: {:?}",
                        result.title,
                        result.matrix
                    );
                }
            }
        }
    }

    #[test]
    fn the_one_step_rename_breaks_the_old_version() {
        let results = execute(naive(), 7, 3).unwrap();
        let rename = &results[1];
        assert!(!window_works(&rename.matrix, &[App::V1, App::V4]));
        assert!(
            matches!(&rename.matrix[&(App::V1, App::V1)], Probe::WriteFailed(e) if e.contains("no column named name"))
        );
        assert!(
            matches!(&rename.matrix[&(App::V4, App::V1)], Probe::ReadFailed(e) if e.contains("no such column: name"))
        );
        assert_eq!(rename.matrix[&(App::V4, App::V4)], Probe::Ok, "the new version alone is fine");
    }

    #[test]
    fn without_the_backfill_the_new_reader_sees_nulls() {
        let results = execute(expand_contract(), 7, 3).unwrap();
        let expanded = &results[1];
        assert!(matches!(&expanded.matrix[&(App::V2, App::V3)], Probe::Stale { got: None, .. }));
        assert!(!window_works(&expanded.matrix, &[App::V2, App::V3]));
        // After the backfill the same pair works, and v2 must not run beside v4.
        let backfilled = &results[2];
        assert_eq!(backfilled.matrix[&(App::V2, App::V3)], Probe::Ok);
        assert!(matches!(&backfilled.matrix[&(App::V4, App::V2)], Probe::Stale { .. }));
    }

    #[test]
    fn the_backfill_counts_its_batches() {
        // Before the backfill: the seeded users, v1's own user of step 1, and the two users of
        // the v1/v2 deploy, one of which v2 inserted and v1 renamed (stale, not NULL).
        for (users, batch, batches) in [(7, 3, 4), (6, 3, 3), (1, 1000, 1), (200, 7, 29)] {
            let results = execute(expand_contract(), users, batch).unwrap();
            assert_eq!(
                results[2].detail,
                format!(
                    "{} of {} rows copied in {batches} batches of at most {batch} ({} were NULL, 1 stale)",
                    users + 2,
                    users + 3,
                    users + 1
                )
            );
        }
    }

    /// The rename that the old backfill (`WHERE full_name IS NULL`) missed: v2 inserts a user
    /// with both columns, a v1 still serving renames it (only `name`), and once v1 is gone the
    /// backfill must still bring `full_name` up to date, or v3 reads the old name.
    #[test]
    fn a_user_v2_inserted_and_v1_renamed_reaches_v3() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); ALTER TABLE users ADD COLUMN full_name TEXT;")
            .unwrap();
        App::V1.insert(&conn, 1, "Ada Lovelace").unwrap();
        App::V2.insert(&conn, 2, "Edgar Codd").unwrap();
        App::V1.rename(&conn, 2, "Edgar F. Codd").unwrap();
        assert_eq!(
            App::V3.read(&conn, 2).unwrap().as_deref(),
            Some("Edgar Codd"),
            "stale before the backfill"
        );
        let batches = backfill(&conn, 1).unwrap();
        assert_eq!(batches.iter().map(|b| b.copied).sum::<usize>(), 2);
        assert_eq!(App::V3.read(&conn, 1).unwrap().as_deref(), Some("Ada Lovelace"));
        assert_eq!(App::V3.read(&conn, 2).unwrap().as_deref(), Some("Edgar F. Codd"));
    }

    /// The same, inside the whole plan: the v1/v2 deploy's writes stay in the table, and after
    /// the backfill every reader of the next windows sees them.
    #[test]
    fn the_writes_of_a_mixed_fleet_stay_and_are_backfilled() {
        let results = execute(expand_contract(), 7, 3).unwrap();
        let v2_then_v1 = results[1]
            .served
            .iter()
            .find(|served| served.inserter == App::V2 && served.renamer == App::V1)
            .expect("the v1/v2 deploy has v2 insert a user that v1 renames");
        assert_eq!(v2_then_v1.outcome, Outcome::Kept);
        for (writer, reader) in [(App::V2, App::V3), (App::V3, App::V3), (App::V4, App::V3)] {
            assert_eq!(results[2].matrix[&(writer, reader)], Probe::Ok, "{writer:?} -> {reader:?}");
        }
        // Every served write of the expand/contract plan works: each release only ever serves
        // beside the ones it is compatible with.
        for result in &results {
            for served in &result.served {
                assert_eq!(served.outcome, Outcome::Kept, "{} in {}", served.id, result.title);
            }
        }
    }

    /// Keyset batches: each reads the ids after the previous one's last, none twice, so the
    /// job never rescans what it already did and can resume from `through`.
    #[test]
    fn backfill_batches_walk_the_key_without_rescanning() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, full_name TEXT);")
            .unwrap();
        for id in [2, 3, 5, 8, 13, 21, 34] {
            App::V1.insert(&conn, id, &format!("user {id}")).unwrap();
        }
        App::V2.insert(&conn, 40, "already both").unwrap();
        let batches = backfill(&conn, 3).unwrap();
        let ranges: Vec<(i64, i64, usize)> = batches.iter().map(|b| (b.after, b.through, b.copied)).collect();
        assert_eq!(ranges, [(i64::MIN, 5, 3), (5, 21, 3), (21, 40, 1)]);
        assert!(backfill(&conn, 3).unwrap().iter().all(|b| b.copied == 0), "a second run copies nothing");
        conn.execute_batch("DELETE FROM users").unwrap();
        assert_eq!(backfill(&conn, 3).unwrap(), [], "an empty table needs no batch");
    }

    #[test]
    fn after_the_contract_only_the_new_version_works() {
        let results = execute(expand_contract(), 7, 3).unwrap();
        let contracted = &results[3];
        for app in [App::V1, App::V2, App::V3] {
            assert!(matches!(contracted.matrix[&(app, App::V4)], Probe::WriteFailed(_)), "{app:?}");
        }
        assert_eq!(contracted.matrix[&(App::V4, App::V4)], Probe::Ok);
    }

    #[test]
    fn bad_parameters_are_refused_with_their_line() {
        assert_eq!(run("users = 0").unwrap_err().line, Some(1));
        assert_eq!(run("users = 3\nplan = sideways").unwrap_err().line, Some(2));
    }
}
