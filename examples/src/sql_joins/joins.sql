-- ANCHOR: example
-- Two tiny tables: a NULL on each side, and a row on each side without a partner.
CREATE TABLE l (k INTEGER, a TEXT);
CREATE TABLE r (k INTEGER, b TEXT);
INSERT INTO l VALUES (1, 'l1'), (2, 'l2'), (NULL, 'l-null');
INSERT INTO r VALUES (1, 'r1'), (1, 'r1bis'), (3, 'r3'), (NULL, 'r-null');

-- INNER: only pairs whose keys are equal. NULL = NULL is not true, so no NULL rows.
SELECT a, b FROM l JOIN r ON l.k = r.k ORDER BY a, b;
-- LEFT: every l row; r's columns NULL where nothing matched.
SELECT a, b FROM l LEFT JOIN r ON l.k = r.k ORDER BY a, b;
-- RIGHT: every r row (SQLite 3.39 and later).
SELECT a, b FROM l RIGHT JOIN r ON l.k = r.k ORDER BY b, a;
-- FULL: both sides' leftovers, padded with NULL.
SELECT a, b FROM l FULL JOIN r ON l.k = r.k ORDER BY a, b;
-- CROSS: every pair, 3 × 4 = 12 rows; no condition at all.
SELECT count(*) AS pairs FROM l CROSS JOIN r;
-- Self-join: staff twice, as employee and as manager; LEFT keeps Mia, who has no manager.
SELECT s.name, m.name AS manager FROM staff s LEFT JOIN staff m ON m.id = s.manager_id ORDER BY s.id;
-- A filter on the right side in WHERE drops the NULL-padded rows: an inner join in disguise ...
SELECT c.name, o.total FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
WHERE o.total > 5000 ORDER BY c.name;
-- ... in ON, it keeps every customer, with NULL where no order is that large.
SELECT c.name, o.total FROM customers c LEFT JOIN orders o ON o.customer_id = c.id AND o.total > 5000
ORDER BY c.name;
-- Semi-join: l rows that have a partner, each once (the JOIN above gave l1 twice).
SELECT a FROM l WHERE EXISTS (SELECT 1 FROM r WHERE r.k = l.k) ORDER BY a;
-- Anti-join: l rows without a partner. NOT EXISTS keeps l2 and l-null ...
SELECT a FROM l WHERE NOT EXISTS (SELECT 1 FROM r WHERE r.k = l.k) ORDER BY a;
-- ... NOT IN returns nothing at all, because r.k holds a NULL.
SELECT a FROM l WHERE k NOT IN (SELECT k FROM r) ORDER BY a;
-- ANCHOR_END: example
