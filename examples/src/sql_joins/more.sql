-- ANCHOR: example
-- The chapter's additions to the shop (after sql/shop.sql): staff with managers, and support
-- tickets, some opened by visitors who are not customers (customer_id NULL).
CREATE TABLE staff (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    manager_id INTEGER REFERENCES staff (id) ON DELETE SET NULL
);
CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customers (id) ON DELETE CASCADE,  -- NULL: a visitor
    staff_id    INTEGER REFERENCES staff (id),                      -- NULL: not assigned yet
    subject     TEXT NOT NULL
);
INSERT INTO staff (id, name, manager_id) VALUES
    (1, 'Mia', NULL), (2, 'Noor', 1), (3, 'Omar', 1), (4, 'Pia', 2), (5, 'Quinn', 4);
INSERT INTO tickets (id, customer_id, staff_id, subject) VALUES
    (1, 1, 2, 'late parcel'), (2, 1, NULL, 'wrong size'), (3, 2, 4, 'refund'),
    (4, NULL, 3, 'do you ship to Mars?');
-- Payments at the till, two on the same day: peers for a window ordered by date.
CREATE TABLE payments (
    id      INTEGER PRIMARY KEY,
    paid_on TEXT NOT NULL,
    amount  INTEGER NOT NULL                             -- in cents
);
INSERT INTO payments (id, paid_on, amount) VALUES
    (1, '2026-03-01', 500), (2, '2026-03-02', 300), (3, '2026-03-02', 200), (4, '2026-03-03', 1000);
-- ANCHOR_END: example
