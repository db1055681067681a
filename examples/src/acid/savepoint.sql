-- ANCHOR: example
-- A batch of three payouts from Alice in one transaction; a bad one must not sink the others.
BEGIN;
SAVEPOINT payout;
UPDATE accounts SET balance = balance - 2000 WHERE id = 1;
UPDATE accounts SET balance = balance + 2000 WHERE id = 3;
RELEASE payout;
SAVEPOINT payout;
UPDATE accounts SET balance = balance + 9000 WHERE id = 3;
UPDATE accounts SET balance = balance - 9000 WHERE id = 1;  -- Alice has only 80.00 left
ROLLBACK TO payout;  -- undoes this payout's credit, keeps the first payout
RELEASE payout;
SAVEPOINT payout;
UPDATE accounts SET balance = balance - 1000 WHERE id = 1;
UPDATE accounts SET balance = balance + 1000 WHERE id = 2;
RELEASE payout;
COMMIT;
SELECT owner, balance FROM accounts ORDER BY id;
-- ANCHOR_END: example
