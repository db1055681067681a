-- ANCHOR: example
-- Counts to infinity: the recursive part never stops producing rows.
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)
SELECT count(*) FROM n;
-- The database is fine afterwards.
SELECT count(*) AS customers FROM customers;
-- ANCHOR_END: example
