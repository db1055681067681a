-- ANCHOR: example
-- Rules the schema states are checked on every statement, in every transaction:
UPDATE accounts SET balance = -1 WHERE id = 3;                        -- CHECK
INSERT INTO accounts (owner, balance) VALUES ('alice', 100);           -- UNIQUE
INSERT INTO transfers (request_id, from_id, to_id, amount)
    VALUES ('req-9', 1, 1, 500);                                       -- table CHECK
-- SQLite checks foreign keys only on connections that turn them on:
PRAGMA foreign_keys = ON;
INSERT INTO transfers (request_id, from_id, to_id, amount)
    VALUES ('req-8', 1, 42, 500);                                      -- FOREIGN KEY
-- A retried request with the same idempotency key is refused, not applied twice:
INSERT INTO transfers (request_id, from_id, to_id, amount) VALUES ('req-7', 1, 2, 500);
INSERT INTO transfers (request_id, from_id, to_id, amount) VALUES ('req-7', 1, 2, 500);
-- A rule the schema does not state is not checked: "a transfer moves money, never makes it".
UPDATE accounts SET balance = balance + 500 WHERE id = 2;  -- a credit without its debit
SELECT sum(balance) AS total FROM accounts;                -- was 15000: nothing objected
-- ANCHOR_END: example
