-- ANCHOR: example
SELECT sqlite_version() AS sqlite;

-- Every customer with their number of orders and what they spent, biggest first.
SELECT c.name, count(o.id) AS orders, coalesce(sum(o.total), 0) / 100.0 AS spent
FROM customers AS c
LEFT JOIN orders AS o ON o.customer_id = c.id
GROUP BY c.id
ORDER BY spent DESC;

-- How SQLite runs a lookup by customer: through the index, not a full scan.
EXPLAIN QUERY PLAN SELECT total FROM orders WHERE customer_id = 2;
-- ANCHOR_END: example
