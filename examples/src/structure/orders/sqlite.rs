//! The same `OrderRepo` on a real SQLite database (rusqlite): the adapter the service never sees.
//! Native only; the contract test in `mod.rs` holds it to what `MemoryRepo` promises.

use super::service::{Order, OrderRepo, RepoError, Status};
use rusqlite::{Connection, OptionalExtension, params};

// ANCHOR: sqlite
pub struct SqliteRepo {
    conn: Connection,
}

fn db(e: rusqlite::Error) -> RepoError {
    RepoError(e.to_string())
}

impl SqliteRepo {
    pub fn open_in_memory() -> Result<Self, RepoError> {
        let conn = Connection::open_in_memory().map_err(db)?;
        conn.execute_batch(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer TEXT NOT NULL,
                                  cents INTEGER NOT NULL, cancelled INTEGER NOT NULL DEFAULT 0)",
        )
        .map_err(db)?;
        Ok(SqliteRepo { conn })
    }
}

impl OrderRepo for SqliteRepo {
    fn insert(&mut self, customer: &str, cents: u32) -> Result<Order, RepoError> {
        self.conn
            .execute("INSERT INTO orders (customer, cents) VALUES (?1, ?2)", params![customer, cents])
            .map_err(db)?;
        let id = format!("ord_{}", self.conn.last_insert_rowid());
        Ok(Order { id, customer: customer.to_string(), cents, status: Status::Placed })
    }

    fn get(&self, id: &str) -> Result<Option<Order>, RepoError> {
        let Some(rowid) = id.strip_prefix("ord_").and_then(|n| n.parse::<i64>().ok()) else {
            return Ok(None);
        };
        self.conn
            .query_row("SELECT customer, cents, cancelled FROM orders WHERE id = ?1", [rowid], |row| {
                let cancelled: bool = row.get(2)?;
                Ok(Order {
                    id: id.to_string(),
                    customer: row.get(0)?,
                    cents: row.get(1)?,
                    status: if cancelled { Status::Cancelled } else { Status::Placed },
                })
            })
            .optional()
            .map_err(db)
    }

    fn set_status(&mut self, id: &str, status: Status) -> Result<(), RepoError> {
        let rowid = id.strip_prefix("ord_").and_then(|n| n.parse::<i64>().ok()).unwrap_or(-1);
        let changed = self
            .conn
            .execute(
                "UPDATE orders SET cancelled = ?1 WHERE id = ?2",
                params![status == Status::Cancelled, rowid],
            )
            .map_err(db)?;
        if changed == 1 { Ok(()) } else { Err(RepoError(format!("set_status: no row {id}"))) }
    }
}
// ANCHOR_END: sqlite
