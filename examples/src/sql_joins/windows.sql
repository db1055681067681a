-- ANCHOR: example
-- GROUP BY folds each customer's orders into one row ...
SELECT customer_id, count(*) AS orders, sum(total) AS spent
FROM orders GROUP BY customer_id ORDER BY customer_id;
-- ... a window keeps every row and adds a value computed over its partition.
SELECT customer_id, id, total,
       row_number() OVER w AS nth,
       rank() OVER (PARTITION BY customer_id ORDER BY total DESC) AS by_size,
       sum(total) OVER w AS running,
       lag(total) OVER w AS previous
FROM orders
WINDOW w AS (PARTITION BY customer_id ORDER BY placed_on)
ORDER BY customer_id, placed_on;
-- Ties: two payments on 2026-03-02. The default frame (RANGE ... CURRENT ROW) includes the
-- current row's peers, so both get the day's total; ROWS counts row by row (ties broken by id).
-- rank() gives peers one number and skips the next; row_number() numbers them apart.
SELECT id, paid_on, amount,
       sum(amount) OVER (ORDER BY paid_on) AS range_sum,
       sum(amount) OVER (ORDER BY paid_on, id ROWS UNBOUNDED PRECEDING) AS rows_sum,
       rank() OVER (ORDER BY paid_on) AS rank,
       row_number() OVER (ORDER BY paid_on, id) AS row_number
FROM payments ORDER BY paid_on, id;
-- A recursive CTE: everyone under Mia, with the path walked so far, which also stops a cycle.
WITH RECURSIVE team (id, name, depth, path) AS (
    SELECT id, name, 0, '/' || id || '/' FROM staff WHERE name = 'Mia'
    UNION ALL
    SELECT s.id, s.name, t.depth + 1, t.path || s.id || '/'
    FROM staff s JOIN team t ON s.manager_id = t.id
    WHERE t.path NOT LIKE '%/' || s.id || '/%'
)
SELECT depth, name, path FROM team ORDER BY path;
-- Make a cycle (Mia now reports to Quinn) and walk again: the path check still ends it.
UPDATE staff SET manager_id = 5 WHERE name = 'Mia';
WITH RECURSIVE team (id, name, depth, path) AS (
    SELECT id, name, 0, '/' || id || '/' FROM staff WHERE name = 'Mia'
    UNION ALL
    SELECT s.id, s.name, t.depth + 1, t.path || s.id || '/'
    FROM staff s JOIN team t ON s.manager_id = t.id
    WHERE t.path NOT LIKE '%/' || s.id || '/%'
)
SELECT depth, name, path FROM team ORDER BY path;
-- ANCHOR_END: example
