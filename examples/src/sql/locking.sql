-- ANCHOR: example
-- Session A starts a transaction and reads: it now holds a shared lock.
A: BEGIN;
A: SELECT balance FROM accounts WHERE customer_id = 1;
-- B's write needs the whole database to itself at commit, and A is still reading.
B: UPDATE accounts SET balance = balance + 100 WHERE customer_id = 4;
-- Once A's transaction ends, B's write goes through.
A: COMMIT;
B: UPDATE accounts SET balance = balance + 100 WHERE customer_id = 4;
-- Now A writes; until A commits, B cannot even read (memdb locks the whole database).
A: BEGIN;
A: UPDATE accounts SET balance = balance - 1000 WHERE customer_id = 1;
B: SELECT balance FROM accounts WHERE customer_id = 1;
A: COMMIT;
B: SELECT balance FROM accounts WHERE customer_id = 1;
-- ANCHOR_END: example
