-- ANCHOR: example
-- No index on customer_id: SQLite reads the whole table (SCAN).
EXPLAIN QUERY PLAN SELECT * FROM orders WHERE customer_id = 42;

CREATE INDEX by_customer ON orders (customer_id);
-- SEARCH: one descent of the index's B-tree to the first 42, then along its leaves.
EXPLAIN QUERY PLAN SELECT * FROM orders WHERE customer_id = 42;
-- count(*) needs no column of the table: the index alone answers (COVERING INDEX).
EXPLAIN QUERY PLAN SELECT count(*) FROM orders WHERE customer_id = 42;

-- A composite index serves a prefix of its columns: both, or the first alone...
CREATE INDEX by_customer_created ON orders (customer_id, created_at);
EXPLAIN QUERY PLAN SELECT total FROM orders WHERE customer_id = 42 AND created_at >= '2024-03-01';
-- ...not the second column alone.
EXPLAIN QUERY PLAN SELECT total FROM orders WHERE created_at >= '2024-03-01';

-- A partial index holds only the rows its WHERE admits, and serves queries that imply it.
CREATE INDEX pending_by_total ON orders (total) WHERE status = 'pending';
EXPLAIN QUERY PLAN SELECT id FROM orders WHERE status = 'pending' AND total > 40000;
EXPLAIN QUERY PLAN SELECT id FROM orders WHERE status = 'cancelled' AND total > 40000;

-- A function of the column hides it from an index on the column: at best SQLite reads the
-- whole index (SCAN), never a part of it (SEARCH)...
CREATE INDEX by_status ON orders (status);
EXPLAIN QUERY PLAN SELECT id FROM orders WHERE lower(status) = 'pending';
-- ...unless the index is on that expression.
CREATE INDEX by_lower_status ON orders (lower(status));
EXPLAIN QUERY PLAN SELECT id FROM orders WHERE lower(status) = 'pending';

-- ORDER BY ... LIMIT with no index that starts with the sort column: SQLite reads by_customer_created
-- whole (it holds created_at) and every row goes through a temporary B-tree.
EXPLAIN QUERY PLAN SELECT id FROM orders ORDER BY created_at DESC LIMIT 5;
-- With one, SQLite walks the index backwards and stops after 5 entries: no sort.
CREATE INDEX by_created ON orders (created_at);
EXPLAIN QUERY PLAN SELECT id FROM orders ORDER BY created_at DESC LIMIT 5;
-- ANCHOR_END: example
