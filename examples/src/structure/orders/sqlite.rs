//! The same `OrderRepo` on a real SQLite database (rusqlite): the adapter the service never sees.
//! Native only; the contract test in `mod.rs` holds it to what `MemoryRepo` promises, and the
//! chapter's HTTP server (`structure::server`) uses it for `DATABASE_URL=sqlite:PATH`, with a
//! connection of its own for each request.

use super::service::{Order, OrderRepo, RepoError, Status};
use rusqlite::{Connection, OptionalExtension, params};

// ANCHOR: sqlite
pub struct SqliteRepo {
    conn: Connection,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer TEXT NOT NULL, cents INTEGER NOT NULL, cancelled INTEGER NOT NULL DEFAULT 0)";

impl SqliteRepo {
    /// A database file (created if missing) with the table; run once, at start-up.
    pub fn open(path: &str) -> Result<Self, RepoError> {
        let repo = Self::connect(path)?;
        repo.conn.execute_batch(SCHEMA).map_err(|e| RepoError::new("create table", e))?;
        Ok(repo)
    }

    /// One more connection to the file, as a pool hands each request its own. A writer that
    /// finds the file locked by another connection waits up to 5 s rather than failing at once.
    pub fn connect(path: &str) -> Result<Self, RepoError> {
        let conn = Connection::open(path).map_err(|e| RepoError::new(format!("open {path}"), e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| RepoError::new("busy_timeout", e))?;
        Ok(SqliteRepo { conn })
    }

    pub fn open_in_memory() -> Result<Self, RepoError> {
        Self::open(":memory:")
    }
}

/// `ord_7` → 7. Strict: the id must be exactly what `insert` made, so `ord_07` and `ord_+7`
/// (which `"07".parse::<i64>()` would accept) are not found, as in `MemoryRepo`.
fn rowid(id: &str) -> Option<i64> {
    let n = id.strip_prefix("ord_")?.parse::<i64>().ok()?;
    (format!("ord_{n}") == id).then_some(n)
}

fn order(id: &str, row: &rusqlite::Row) -> rusqlite::Result<Order> {
    let cancelled: bool = row.get(2)?;
    Ok(Order {
        id: id.to_string(),
        customer: row.get(0)?,
        cents: row.get(1)?,
        status: if cancelled { Status::Cancelled } else { Status::Placed },
    })
}

impl OrderRepo for SqliteRepo {
    fn insert(&mut self, customer: &str, cents: u32) -> Result<Order, RepoError> {
        self.conn
            .execute("INSERT INTO orders (customer, cents) VALUES (?1, ?2)", params![customer, cents])
            .map_err(|e| RepoError::new("insert", e))?;
        let id = format!("ord_{}", self.conn.last_insert_rowid());
        Ok(Order { id, customer: customer.to_string(), cents, status: Status::Placed })
    }

    fn get(&self, id: &str) -> Result<Option<Order>, RepoError> {
        let Some(rowid) = rowid(id) else { return Ok(None) };
        self.conn
            .query_row("SELECT customer, cents, cancelled FROM orders WHERE id = ?1", [rowid], |row| {
                order(id, row)
            })
            .optional()
            .map_err(|e| RepoError::new(format!("get {id}"), e))
    }

    fn cancel_if_placed(&mut self, id: &str) -> Result<Option<Order>, RepoError> {
        let Some(rowid) = rowid(id) else { return Ok(None) };
        // The check is inside the write: a second connection's identical UPDATE finds
        // `cancelled = 1` and changes no row, whatever either of them read before.
        self.conn
            .query_row(
                "UPDATE orders SET cancelled = 1 WHERE id = ?1 AND cancelled = 0 \
                 RETURNING customer, cents, cancelled",
                [rowid],
                |row| order(id, row),
            )
            .optional()
            .map_err(|e| RepoError::new(format!("cancel {id}"), e))
    }
}
// ANCHOR_END: sqlite

impl SqliteRepo {
    /// The unconditional write of the read-check-write `cancel` this chapter replaced; only the
    /// server's race test (`--test-cancel-race=read-check-write`) calls it.
    pub fn set_cancelled(&mut self, id: &str) -> Result<(), RepoError> {
        let Some(rowid) = rowid(id) else { return Ok(()) };
        self.conn
            .execute("UPDATE orders SET cancelled = 1 WHERE id = ?1", [rowid])
            .map(drop)
            .map_err(|e| RepoError::new(format!("cancel {id}"), e))
    }
}
