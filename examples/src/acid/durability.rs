//! Durability on a real file: a commit survives closing and reopening the database, and a
//! writer killed with SIGKILL in the middle of a transaction leaves nothing of it behind, in
//! both of SQLite's journal modes.
//!
//! The killed writer is a child process (`acid-child`, `src/bin/acid_child.rs`). It commits
//! some rows, says so on stdout and waits for a line on stdin; the parent looks at the files
//! and answers. The child then writes many more rows in an open transaction, with a page cache
//! so small that SQLite must spill the uncommitted pages to the files (the rollback journal and
//! the database file in DELETE mode, the WAL in WAL mode), says so, and waits again; the parent
//! reads that line, looks at the files, and kills it. No sleeping: each step waits for the
//! other side's line, so the kill always comes after the writes.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitCode, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::Connection;

use crate::input::Params;
use crate::programs::sibling_program;
use crate::registry::{Example, InputError, Run, Runs};
use crate::yes;

pub const EXAMPLE: Example = Example {
    id: "acid::durability",
    title: "Commit, close, reopen; a writer killed in the middle of a transaction",
    file: file!(),
    default_input: "rows = 5000\n",
    input_help: "`rows = N` (500 to 50,000): how many rows the killed transaction writes before the kill",
    runs: Runs::NativeOnly {
        reason: "it writes database files and kills a child process, which the browser playground cannot do",
        simulation: Some("acid::wal_crash"),
    },
    run: Run::Text(run),
};

/// Rows the child commits before it starts the transaction that will be killed.
const COMMITTED_ROWS: i64 = 100;

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["rows"])?;
    let rows = params.number_or("rows", 500, 50_000, 5_000)?;
    survive_and_crash(rows).map_err(InputError::new)
}

// ANCHOR: example
pub fn survive_and_crash(rows: u32) -> Result<String, String> {
    let dir = TempDir::new()?;
    let mut out = String::new();

    out.push_str("1. commit, close, reopen\n");
    let path = dir.path().join("committed.db");
    {
        let conn = Connection::open(&path).map_err(|e| format!("opening: {e}"))?;
        conn.execute_batch(
            "PRAGMA journal_mode = DELETE;
             PRAGMA synchronous = FULL;
             CREATE TABLE entries (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
             BEGIN;
             INSERT INTO entries (note) VALUES ('one'), ('two'), ('three');
             COMMIT;",
        )
        .map_err(|e| format!("writing: {e}"))?;
    } // the connection is closed here
    let conn = Connection::open(&path).map_err(|e| format!("reopening: {e}"))?;
    out.push_str(&format!("   reopened: {} rows\n", count(&conn)?));
    drop(conn);

    for (number, mode) in [(2, "delete"), (3, "wal")] {
        out.push_str(&format!(
            "{number}. journal_mode = {mode}: a writer is killed in the middle of a transaction\n"
        ));
        kill_a_writer(&dir.path().join(format!("{mode}.db")), mode, rows, &mut out)?;
    }
    Ok(out)
}

fn kill_a_writer(db: &Path, mode: &str, rows: u32, out: &mut String) -> Result<(), String> {
    let journal = side_file(db, "-journal");
    let wal = side_file(db, "-wal");
    let mut child = Command::new(sibling_program("acid-child")?)
        .args([db.as_os_str(), mode.as_ref(), rows.to_string().as_ref()])
        .stdin(Stdio::piped()) // "go on" after the first commit; then kept open until the kill
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting acid-child: {e}"))?;
    let mut lines = BufReader::new(child.stdout.take().expect("stdout is piped"));

    let committed_line = read_line(&mut lines, &mut child)?; // after its first COMMIT
    out.push_str(&format!("   child: {committed_line}\n"));
    let (db_at_commit, wal_at_commit) = (read(db), read(&wal));
    let mut go = child.stdin.take().expect("stdin is piped"); // kept open until the kill
    go.write_all(b"go\n").map_err(|e| format!("telling the child to go on: {e}"))?;
    let open_line = read_line(&mut lines, &mut child)?; // its second transaction is still open
    out.push_str(&format!("   child: {open_line}\n"));
    match mode {
        "delete" => out.push_str(&format!(
            "   before the kill: rollback journal on disk: {}; database file already changed: {}\n",
            yes(journal.exists()),
            yes(read(db) != db_at_commit)
        )),
        _ => out.push_str(&format!(
            "   before the kill: WAL grew with uncommitted frames: {}; database file changed: {}\n",
            yes(read(&wal).len() > wal_at_commit.len()),
            yes(read(db) != db_at_commit)
        )),
    }

    child.kill().map_err(|e| format!("killing the child: {e}"))?; // SIGKILL on Unix
    let status = child.wait().map_err(|e| format!("waiting for the child: {e}"))?;
    out.push_str(&format!("   the child was {}\n", how_it_ended(status)));
    let left_behind = if mode == "delete" { ("hot journal", &journal) } else { ("WAL", &wal) };
    out.push_str(&format!("   left behind: {}: {}\n", left_behind.0, yes(left_behind.1.exists())));

    let conn = Connection::open(db).map_err(|e| format!("reopening: {e}"))?;
    let rows_now = count(&conn)?; // the first read rolls back a hot journal or recovers the WAL
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|e| format!("integrity_check: {e}"))?;
    out.push_str(&format!("   reopened: {rows_now} rows; integrity_check: {check}\n"));
    if mode == "delete" {
        out.push_str(&format!(
            "   hot journal rolled back and deleted: {}; database file back to its last commit, byte for byte: {}\n",
            yes(!journal.exists()),
            yes(read(db) == db_at_commit)
        ));
    }
    drop(conn); // the last connection checkpoints the WAL into the database file
    if mode == "wal" {
        out.push_str(&format!("   after closing, WAL checkpointed and deleted: {}\n", yes(!wal.exists())));
    }
    Ok(())
}
// ANCHOR_END: example

// ANCHOR: child
/// `acid-child <database> <journal mode> <rows>`: commit some rows, then write `rows` more in a
/// transaction that never commits, say so, and wait to be killed.
pub fn child_main(args: &[String]) -> ExitCode {
    let [db, mode, rows] = args else {
        eprintln!("usage: acid-child <database> delete|wal <rows>");
        return ExitCode::from(2);
    };
    match child_work(Path::new(db), mode, rows) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("acid-child: {e}");
            ExitCode::FAILURE
        }
    }
}

fn child_work(db: &Path, mode: &str, rows: &str) -> Result<(), String> {
    let rows: u32 = rows.parse().map_err(|_| format!("`{rows}` is not a number"))?;
    let conn = Connection::open(db).map_err(|e| format!("opening: {e}"))?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = {mode};
         PRAGMA synchronous = FULL;
         PRAGMA cache_size = 20; -- pages: a big transaction must spill to the files
         CREATE TABLE entries (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
         BEGIN;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {COMMITTED_ROWS})
         INSERT INTO entries (note) SELECT 'committed ' || i FROM n;
         COMMIT;"
    ))
    .map_err(|e| format!("the committed transaction: {e}"))?;
    println!("committed {COMMITTED_ROWS} rows");
    // Wait for the parent to look at the files before going on.
    let mut stdin = std::io::stdin().lock();
    let mut go = String::new();
    stdin.read_line(&mut go).map_err(|e| format!("reading stdin: {e}"))?;
    conn.execute_batch(&format!(
        "BEGIN;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
         INSERT INTO entries (note) SELECT printf('uncommitted %d %s', i, hex(zeroblob(100))) FROM n;"
    ))
    .map_err(|e| format!("the open transaction: {e}"))?;
    println!("wrote {rows} more rows in an open transaction, no COMMIT");
    // Wait for the kill. If the parent goes away instead, stdin ends and so does this process,
    // still without COMMIT.
    let _ = stdin.read(&mut [0u8; 1]);
    Err("stdin closed before the kill".to_string())
}
// ANCHOR_END: child

fn count(conn: &Connection) -> Result<i64, String> {
    conn.query_row("SELECT count(*) FROM entries", [], |row| row.get(0))
        .map_err(|e| format!("counting rows: {e}"))
}

/// `database` with `suffix` appended to its file name: where SQLite keeps its journal or WAL.
fn side_file(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The file's bytes, or nothing if it does not exist.
fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_default()
}

/// The child's next line on stdout; if it ended instead, how it ended.
fn read_line(lines: &mut BufReader<ChildStdout>, child: &mut Child) -> Result<String, String> {
    let mut line = String::new();
    let n = lines.read_line(&mut line).map_err(|e| format!("reading the child's output: {e}"))?;
    if n == 0 {
        let status = child.wait().map_err(|e| format!("waiting for the child: {e}"))?;
        return Err(format!("the child ended early: it {}", how_it_ended(status)));
    }
    Ok(line.trim_end().to_string())
}

fn how_it_ended(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = if signal == 9 { " (SIGKILL)" } else { "" };
            return format!("killed by signal {signal}{name}");
        }
    }
    match status.code() {
        Some(code) => format!("exited with code {code}"),
        None => "ended without an exit code".to_string(),
    }
}

/// A directory of its own under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!("bf-acid-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(name);
        fs::create_dir(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_rows_survive_and_the_killed_transaction_leaves_nothing() {
        let out = survive_and_crash(2_000).unwrap();
        assert!(out.contains("   reopened: 3 rows\n"), "{out}");
        assert_eq!(out.matches("killed by signal 9 (SIGKILL)").count(), 2, "{out}");
        assert_eq!(
            out.matches(&format!("reopened: {COMMITTED_ROWS} rows; integrity_check: ok")).count(),
            2,
            "{out}"
        );
        // The uncommitted transaction really reached the files before the kill.
        assert!(out.contains("rollback journal on disk: yes; database file already changed: yes"), "{out}");
        assert!(out.contains("WAL grew with uncommitted frames: yes; database file changed: no"), "{out}");
        assert!(out.contains("byte for byte: yes"), "{out}");
        assert!(out.contains("after closing, WAL checkpointed and deleted: yes"), "{out}");
    }

    #[test]
    fn the_temporary_directory_is_removed() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().to_path_buf();
        fs::write(path.join("x"), b"x").unwrap();
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn rows_are_bounded() {
        assert_eq!(run("rows = 10").unwrap_err().line, Some(1));
    }
}
