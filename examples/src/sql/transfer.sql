-- ANCHOR: example
-- Move 30.00 from Grace (balance 25.00) to Ada, as one transaction.
BEGIN;
UPDATE accounts SET balance = balance + 3000 WHERE customer_id = 1;
UPDATE accounts SET balance = balance - 3000 WHERE customer_id = 2;  -- violates CHECK (balance >= 0)
-- The second update failed, so undo the first one too: all or nothing.
ROLLBACK;
SELECT customer_id, balance FROM accounts WHERE customer_id IN (1, 2);
-- ANCHOR_END: example
