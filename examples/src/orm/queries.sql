-- ANCHOR: example
-- The eager strategy: one LEFT JOIN. Linus (author 3) has no posts and still gets a row.
SELECT a.id AS author_id, a.name AS author_name,
       p.id AS post_id, p.title AS post_title, p.likes AS post_likes
FROM authors AS a LEFT JOIN posts AS p ON p.author_id = a.id
ORDER BY a.id, p.id;

-- The batched strategy: the authors, then the posts of all of them at once.
SELECT id, name FROM authors ORDER BY id;
SELECT id, author_id, title, likes FROM posts WHERE author_id IN (1, 2, 3, 4)
ORDER BY author_id, id;

-- How SQLite runs them: the IN list and the join both look posts up by the index.
EXPLAIN QUERY PLAN
SELECT id, author_id, title, likes FROM posts WHERE author_id IN (1, 2, 3, 4)
ORDER BY author_id, id;
EXPLAIN QUERY PLAN
SELECT a.id AS author_id, a.name AS author_name,
       p.id AS post_id, p.title AS post_title, p.likes AS post_likes
FROM authors AS a LEFT JOIN posts AS p ON p.author_id = a.id
ORDER BY a.id, p.id;

-- Without the index: the IN query reads the whole table, and the lazy strategy's
-- `WHERE author_id = ?` would do so once per author. For the join, SQLite builds a
-- temporary index of its own for the duration of the statement.
DROP INDEX posts_by_author;
EXPLAIN QUERY PLAN
SELECT id, author_id, title, likes FROM posts WHERE author_id IN (1, 2, 3, 4)
ORDER BY author_id, id;
EXPLAIN QUERY PLAN
SELECT a.id AS author_id, a.name AS author_name,
       p.id AS post_id, p.title AS post_title, p.likes AS post_likes
FROM authors AS a LEFT JOIN posts AS p ON p.author_id = a.id
ORDER BY a.id, p.id;
-- ANCHOR_END: example
