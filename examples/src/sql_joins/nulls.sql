-- ANCHOR: example
-- Three-valued logic: a comparison with NULL is NULL ("unknown"), and WHERE keeps only true.
SELECT NULL = NULL AS eq, NULL <> 1 AS ne, NULL IS NULL AS is_null,
       NULL IS NOT DISTINCT FROM NULL AS same, 1 IS DISTINCT FROM NULL AS differ;
SELECT (NULL AND 0) AS and_false, (NULL OR 1) AS or_true, NOT NULL AS not_null;
-- COUNT(*) counts rows; COUNT(col) counts non-NULL values; AVG skips NULLs too.
SELECT count(*) AS tickets, count(customer_id) AS from_customers,
       count(DISTINCT customer_id) AS customers, count(staff_id) AS assigned
FROM tickets;
-- Tickets not assigned to Noor (id 2): the unassigned one (staff_id NULL) is missing ...
SELECT id, staff_id FROM tickets WHERE staff_id <> 2 ORDER BY id;
-- ... unless the query says what NULL should mean.
SELECT id, staff_id FROM tickets WHERE staff_id IS DISTINCT FROM 2 ORDER BY id;
-- ANCHOR_END: example
