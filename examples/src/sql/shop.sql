-- Schema and data shared by the SQL examples of the database chapters: a small shop.
-- ANCHOR: example
CREATE TABLE customers (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE,
    city  TEXT NOT NULL
);
CREATE TABLE accounts (
    customer_id INTEGER PRIMARY KEY REFERENCES customers (id),
    balance     INTEGER NOT NULL CHECK (balance >= 0)  -- in cents
);
CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    total       INTEGER NOT NULL,                       -- in cents
    placed_on   TEXT NOT NULL                           -- ISO 8601 date
);
CREATE INDEX orders_by_customer ON orders (customer_id);

INSERT INTO customers (id, name, city) VALUES
    (1, 'Ada', 'London'), (2, 'Grace', 'New York'), (3, 'Linus', 'Helsinki'), (4, 'Barbara', 'Boston');
INSERT INTO accounts (customer_id, balance) VALUES (1, 10000), (2, 2500), (3, 0), (4, 7000);
INSERT INTO orders (id, customer_id, total, placed_on) VALUES
    (1, 1, 4200, '2026-01-05'), (2, 1, 1999, '2026-02-11'), (3, 2, 12000, '2026-02-12'),
    (4, 4, 350, '2026-03-01'), (5, 2, 800, '2026-03-02'), (6, 1, 7500, '2026-03-15');
-- ANCHOR_END: example
