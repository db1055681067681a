-- ANCHOR: example
-- The small bank every example of the chapter "ACID and transactions" starts from.
-- Amounts are integers in cents, so no rounding can create or destroy money.
CREATE TABLE accounts (
    id      INTEGER PRIMARY KEY,
    owner   TEXT    NOT NULL UNIQUE,
    balance INTEGER NOT NULL CHECK (balance >= 0)
);
CREATE TABLE transfers (
    id         INTEGER PRIMARY KEY,
    request_id TEXT    NOT NULL UNIQUE,  -- the client's idempotency key
    from_id    INTEGER NOT NULL REFERENCES accounts (id),
    to_id      INTEGER NOT NULL REFERENCES accounts (id),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    CHECK (from_id <> to_id)
);
INSERT INTO accounts (id, owner, balance) VALUES
    (1, 'alice', 10000), (2, 'bob', 5000), (3, 'carol', 0);
-- ANCHOR_END: example
