-- ANCHOR: example
-- Two transfers at once, each in a deferred transaction: both read first.
A: BEGIN;
A: SELECT balance FROM accounts WHERE id = 2;
B: BEGIN;
B: SELECT balance FROM accounts WHERE id = 2;
-- A writes first and takes the database's one write lock.
A: UPDATE accounts SET balance = balance - 1000 WHERE id = 2;
-- B cannot write while A holds it: SQLite answers at once instead of queueing B.
B: UPDATE accounts SET balance = balance - 1000 WHERE id = 2;
-- A cannot commit either: B's open read transaction could still read the old pages.
A: COMMIT;
-- One of them has to give up. B rolls back (and would retry), then A's commit goes through.
B: ROLLBACK;
A: COMMIT;
-- BEGIN IMMEDIATE takes the write lock at BEGIN, so a second writer fails before it reads.
A: BEGIN IMMEDIATE;
B: BEGIN IMMEDIATE;
A: UPDATE accounts SET balance = balance - 1000 WHERE id = 2;
A: COMMIT;
B: BEGIN IMMEDIATE;
B: SELECT balance FROM accounts WHERE id = 2;
B: COMMIT;
-- ANCHOR_END: example
