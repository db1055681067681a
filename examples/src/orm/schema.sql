-- The chapter's blog: authors and their posts. `posts.author_id` is the foreign key that an
-- ORM maps to the association `author.posts` (one-to-many) and `post.author` (many-to-one).
CREATE TABLE authors (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL
);
CREATE TABLE posts (
  id        INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES authors (id),
  title     TEXT NOT NULL,
  likes     INTEGER NOT NULL DEFAULT 0,
  version   INTEGER NOT NULL DEFAULT 1
);
-- SQLite and PostgreSQL do not index a foreign key by themselves (InnoDB does): without this
-- index every "posts of author ?" lookup reads the whole posts table.
CREATE INDEX posts_by_author ON posts (author_id);
