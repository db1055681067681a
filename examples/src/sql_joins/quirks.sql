-- ANCHOR: example
-- The statements the real-server check sends to PostgreSQL and MariaDB, on SQLite.
CREATE TABLE t (id INT PRIMARY KEY, n INTEGER, grp VARCHAR(10));
INSERT INTO t VALUES (1, 3, 'a'), (2, NULL, 'a'), (3, 1, 'b');
INSERT INTO t (id, n, grp) VALUES (4, '12abc', 'b');
SELECT id, n, typeof(n) FROM t WHERE id = 4;
SELECT grp, count(*), id FROM t WHERE id < 4 GROUP BY grp ORDER BY grp;
SELECT id, n FROM t WHERE id < 4 ORDER BY n;
SELECT 7 / 2, 7 % 2;
SELECT 'a' || 'b', 'a' || NULL;
SELECT concat('a', NULL);
SELECT count(*), count(n) FROM t WHERE id < 4;
SELECT id FROM t WHERE 5 NOT IN (SELECT n FROM t WHERE id < 4);
SELECT 'a' = 'A', 'a' = 'a ';
-- ANCHOR_END: example
