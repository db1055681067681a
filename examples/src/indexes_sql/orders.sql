CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    total       INTEGER NOT NULL
);
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 5000)
INSERT INTO orders
SELECT n,
       (n * 7919) % 500 + 1,
       CASE WHEN n % 100 = 0 THEN 'pending' WHEN n % 20 = 0 THEN 'cancelled' ELSE 'shipped' END,
       date('2024-01-01', '+' || (n / 50) || ' days'),
       (n * 37) % 50000
FROM g;
