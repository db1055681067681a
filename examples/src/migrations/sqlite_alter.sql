-- ANCHOR: example
PRAGMA foreign_keys = ON;  -- as the application's connections run

-- SQLite 3.25 and later: rename a column. Indexes, triggers and views that use it follow.
ALTER TABLE customers RENAME COLUMN city TO town;

-- SQLite 3.53 and later: drop and set NOT NULL in place. SET NOT NULL first looks for a
-- NULL in every row, and refuses while one is left.
ALTER TABLE customers ALTER COLUMN town DROP NOT NULL;
INSERT INTO customers (id, name, town) VALUES (5, 'Edsger', NULL);
ALTER TABLE customers ALTER COLUMN town SET NOT NULL;
UPDATE customers SET town = 'Austin' WHERE id = 5;
ALTER TABLE customers ALTER COLUMN town SET NOT NULL;
SELECT name, type, "notnull" FROM pragma_table_info('customers');

-- SQLite 3.53 and later: add a CHECK in place. Every existing row is checked first (there is
-- no NOT VALID), and SQLite writes the constraint into the table's CREATE TABLE text.
ALTER TABLE orders ADD CONSTRAINT under_100 CHECK (total < 10000);
ALTER TABLE orders ADD CONSTRAINT positive_total CHECK (total > 0);
INSERT INTO orders (customer_id, total, placed_on) VALUES (1, 0, '2026-04-01');
SELECT substr(sql, instr(sql, 'CONSTRAINT')) AS end_of_create_table
    FROM sqlite_schema WHERE name = 'orders';

-- SQLite 3.35 and later: drop a column, unless an index, a key or a constraint uses it.
ALTER TABLE orders DROP COLUMN customer_id;
ALTER TABLE customers DROP COLUMN town;

-- Still a rebuild: a column's type, a foreign key, UNIQUE or PRIMARY KEY on an existing
-- column, a default, the column order. A declared type is only an affinity, so today the
-- INTEGER column total keeps '12.50' as the REAL 12.5:
INSERT INTO orders (id, customer_id, total, placed_on) VALUES (7, 1, '12.50', '2026-04-01');
SELECT id, total, typeof(total) FROM orders WHERE id = 7;
DELETE FROM orders WHERE id = 7;

-- Making the types binding (a STRICT table) takes SQLite's twelve steps.
-- 1. Foreign keys off (the pragma does nothing inside a transaction). 2. One transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
-- 3. Note the indexes, triggers and views that belong to the table.
SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = 'orders' AND type <> 'table';
-- 4. The new table, restating every constraint, the one ALTER added included.
CREATE TABLE orders_new (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    total       INTEGER NOT NULL CONSTRAINT positive_total CHECK (total > 0),
    placed_on   TEXT NOT NULL
) STRICT;
-- 5. Copy. 6. Drop the old table. 7. Rename the new one into its place.
INSERT INTO orders_new (id, customer_id, total, placed_on)
    SELECT id, customer_id, total, placed_on FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
-- 8. Recreate the indexes (and triggers; 9. views, none here). 10. Check the foreign keys.
CREATE INDEX orders_by_customer ON orders (customer_id);
PRAGMA foreign_key_check;
-- 11. Commit. 12. Foreign keys back on.
COMMIT;
PRAGMA foreign_keys = ON;

-- Now the type is enforced, and the CHECK came along.
INSERT INTO orders (customer_id, total, placed_on) VALUES (1, '12.50', '2026-04-01');
INSERT INTO orders (customer_id, total, placed_on) VALUES (1, 0, '2026-04-01');
SELECT count(*) AS orders FROM orders;
-- ANCHOR_END: example
