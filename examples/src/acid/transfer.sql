-- ANCHOR: example
-- Bob (50.00) sends 80.00 to Alice. Credit first, then debit: the debit breaks the CHECK.
BEGIN;
INSERT INTO transfers (request_id, from_id, to_id, amount) VALUES ('req-1', 2, 1, 8000);
UPDATE accounts SET balance = balance + 8000 WHERE id = 1;
UPDATE accounts SET balance = balance - 8000 WHERE id = 2;
-- SQLite undid the failed statement only. The transaction is still open, half done:
SELECT owner, balance FROM accounts ORDER BY id;
-- The application saw the error, so it rolls the whole transaction back.
ROLLBACK;
SELECT owner, balance FROM accounts ORDER BY id;
SELECT count(*) AS transfers FROM transfers;
-- The same transfer for 30.00 succeeds: all three changes become visible at once.
BEGIN;
INSERT INTO transfers (request_id, from_id, to_id, amount) VALUES ('req-2', 2, 1, 3000);
UPDATE accounts SET balance = balance + 3000 WHERE id = 1;
UPDATE accounts SET balance = balance - 3000 WHERE id = 2;
COMMIT;
SELECT owner, balance FROM accounts ORDER BY id;
SELECT sum(balance) AS total FROM accounts;
-- ANCHOR_END: example
