-- ANCHOR: example
-- Friends of friends: the friend table joined to itself, then to person for the names.
SELECT DISTINCT c.name
FROM person a
JOIN friend f1 ON f1.person_id = a.id
JOIN friend f2 ON f2.person_id = f1.friend_id
JOIN person c ON c.id = f2.friend_id
WHERE a.name = 'Ann' AND c.id <> a.id
ORDER BY c.name;
-- Those who are not Ann's friends already (an anti-join), and what they write.
SELECT DISTINCT c.name, p.title
FROM person a
JOIN friend f1 ON f1.person_id = a.id
JOIN friend f2 ON f2.person_id = f1.friend_id
JOIN person c ON c.id = f2.friend_id
JOIN post p ON p.author_id = c.id
WHERE a.name = 'Ann' AND c.id <> a.id
  AND NOT EXISTS (SELECT 1 FROM friend d WHERE d.person_id = a.id AND d.friend_id = c.id);
-- Within 3 hops: a recursive CTE takes one hop per round. The depth stops it at 3 (change
-- it); the path stops it going round the cycle Ann -> Cat -> Ann.
WITH RECURSIVE walk (id, depth, path) AS (
    SELECT id, 0, '/' || id || '/' FROM person WHERE name = 'Ann'
    UNION ALL
    SELECT f.friend_id, w.depth + 1, w.path || f.friend_id || '/'
    FROM walk w JOIN friend f ON f.person_id = w.id
    WHERE w.depth < 3 AND w.path NOT LIKE '%/' || f.friend_id || '/%'
)
SELECT p.name, min(w.depth) AS hops, count(*) AS paths
FROM walk w JOIN person p ON p.id = w.id
WHERE w.depth > 0
GROUP BY p.name
ORDER BY hops, p.name;
-- ANCHOR_END: example
