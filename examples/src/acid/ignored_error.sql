-- ANCHOR: example
-- The same failing transfer, but the application ignores the error and commits.
BEGIN;
UPDATE accounts SET balance = balance + 8000 WHERE id = 1;
UPDATE accounts SET balance = balance - 8000 WHERE id = 2;
COMMIT;
-- SQLite committed what succeeded: Alice was credited, Bob was not debited.
SELECT owner, balance FROM accounts ORDER BY id;
SELECT sum(balance) AS total FROM accounts;  -- was 15000: 80.00 was created from nothing
-- ANCHOR_END: example
