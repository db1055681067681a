-- ANCHOR: example
-- SQLite 3.25 and later: rename a column. Indexes, triggers and views that use it follow.
ALTER TABLE customers RENAME COLUMN city TO town;
SELECT name, type, "notnull" FROM pragma_table_info('customers');

-- SQLite 3.35 and later: drop a column, unless an index, a key or a constraint uses it.
ALTER TABLE orders DROP COLUMN customer_id;
ALTER TABLE customers DROP COLUMN town;

-- Anything else (a new CHECK, a changed type, NOT NULL on a column) is a rebuild: a new
-- table, a copy, a drop and a rename, all in one transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE orders_new (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    total       INTEGER NOT NULL CHECK (total > 0),
    placed_on   TEXT NOT NULL
);
INSERT INTO orders_new (id, customer_id, total, placed_on)
    SELECT id, customer_id, total, placed_on FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_by_customer ON orders (customer_id);
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;

-- The new rule holds for every later write.
INSERT INTO orders (customer_id, total, placed_on) VALUES (1, 0, '2026-04-01');
SELECT count(*) AS orders FROM orders;
-- ANCHOR_END: example
