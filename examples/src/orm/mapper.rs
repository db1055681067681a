//! A small data mapper over SQLite: entity structs, hand-written row-to-entity mapping, one
//! function through which every query goes (it logs the SQL and counts queries, rows and
//! values), and three ways to load "each author with their posts": lazy (1 + N queries), an
//! eager JOIN (1 query) and a batched `IN` (1 + ⌈N / 500⌉ queries).
//!
//! The database is SQLite in memory through the `memdb` VFS, as in [`crate::sql::engine`], so
//! the same code runs natively and in the browser. Nothing here touches a file.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rusqlite::{Connection, Row};

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

/// The chapter's schema: authors, posts, and the index on `posts.author_id`.
pub const SCHEMA: &str = include_str!("schema.sql");

/// The largest `authors` the printed example accepts (it prints every query).
const MAX_PRINTED_AUTHORS: u32 = 20;

pub const EXAMPLE: Example = Example {
    id: "orm::strategies",
    title: "A data mapper with a query log: lazy, JOIN and IN loading of authors and their posts",
    file: file!(),
    default_input: "authors = 4\n",
    input_help: "`authors = N` (0 to 20): author i gets i mod 3 posts, so every third author has none",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: entities
/// A row of `authors`, as the application sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub id: i64,
    pub name: String,
}

/// A row of `posts`. The foreign key stays a plain id: the association lives in
/// [`AuthorWithPosts`], filled by whichever loading strategy ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: i64,
    pub author_id: i64,
    pub title: String,
    pub likes: i64,
}

/// The object graph a page wants: an author and the posts that point at them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorWithPosts {
    pub author: Author,
    pub posts: Vec<Post>,
}

/// Maps a row of `SELECT id, name FROM authors …` to an [`Author`], by column name.
fn author_from_row(row: &Row) -> rusqlite::Result<Author> {
    Ok(Author { id: row.get("id")?, name: row.get("name")? })
}

/// Maps a row of `SELECT id, author_id, title, likes FROM posts …` to a [`Post`].
fn post_from_row(row: &Row) -> rusqlite::Result<Post> {
    Ok(Post {
        id: row.get("id")?,
        author_id: row.get("author_id")?,
        title: row.get("title")?,
        likes: row.get("likes")?,
    })
}

/// Maps a row of the LEFT JOIN: the author's columns, and the post's columns, which are all
/// NULL for an author without posts.
fn joined_from_row(row: &Row) -> rusqlite::Result<(Author, Option<Post>)> {
    let author = Author { id: row.get("author_id")?, name: row.get("author_name")? };
    let post = match row.get::<_, Option<i64>>("post_id")? {
        None => None,
        Some(id) => Some(Post {
            id,
            author_id: author.id,
            title: row.get("post_title")?,
            likes: row.get("post_likes")?,
        }),
    };
    Ok((author, post))
}
// ANCHOR_END: entities

// ANCHOR: queries
/// Every author, in id order.
pub const SELECT_AUTHORS: &str = "SELECT id, name FROM authors ORDER BY id";
/// The posts of one author: the query the lazy strategy sends once per author.
pub const SELECT_POSTS_OF_AUTHOR: &str =
    "SELECT id, author_id, title, likes FROM posts WHERE author_id = ? ORDER BY id";
/// Authors and posts in one statement. LEFT, so that an author without posts still gets a row.
pub const SELECT_AUTHORS_WITH_POSTS: &str = "SELECT a.id AS author_id, a.name AS author_name, \
     p.id AS post_id, p.title AS post_title, p.likes AS post_likes \
     FROM authors AS a LEFT JOIN posts AS p ON p.author_id = a.id ORDER BY a.id, p.id";
/// The start of the batched strategy's query; `IN (?, ?, …)` and the order follow.
pub const SELECT_POSTS_OF_AUTHORS: &str = "SELECT id, author_id, title, likes FROM posts WHERE author_id IN";
/// At most this many ids per `IN` list, as ORMs and DataLoader's `maxBatchSize` cap a batch
/// (SQLite allows 32,766 bound parameters per statement, PostgreSQL's protocol 65,535).
pub const MAX_IDS_PER_QUERY: usize = 500;
// ANCHOR_END: queries

/// Turns a SQLite error into the example's error, saying what was being done.
fn sql_error(doing: &str) -> impl Fn(rusqlite::Error) -> InputError + '_ {
    move |err| InputError::new(format!("{doing}: {err}"))
}

// ANCHOR: db
/// A connection plus what an ORM's query logger would show: every statement as sent (with its
/// parameters filled in), and counters a test can assert on.
pub struct Db {
    conn: Connection,
    /// The SQL of every query, in order, with bound values inlined.
    pub log: Vec<String>,
    /// Statements sent: each one a round trip to a database server.
    pub queries: usize,
    /// Rows that came back, over all queries.
    pub rows: usize,
    /// Values (rows × columns) that came back: a JOIN repeats the parent's columns.
    pub values: usize,
}

impl Db {
    /// The one door to the database: binds `params`, logs the statement, maps every row with
    /// `map`, and counts. No strategy below can query without being counted.
    pub fn query<T>(
        &mut self,
        sql: &str,
        params: &[i64],
        map: impl Fn(&Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, InputError> {
        let mut statement = self.conn.prepare(sql).map_err(sql_error("preparing a query"))?;
        for (index, value) in params.iter().enumerate() {
            statement.raw_bind_parameter(index + 1, value).map_err(sql_error("binding a parameter"))?;
        }
        self.log.push(statement.expanded_sql().unwrap_or_else(|| sql.to_string()));
        self.queries += 1;
        let columns = statement.column_count();
        let mut rows = statement.raw_query();
        let mut mapped = Vec::new();
        while let Some(row) = rows.next().map_err(sql_error("reading a row"))? {
            mapped.push(map(row).map_err(sql_error("mapping a row"))?);
        }
        self.rows += mapped.len();
        self.values += mapped.len() * columns;
        Ok(mapped)
    }
}
// ANCHOR_END: db

impl Db {
    /// An empty database with the chapter's schema.
    pub fn open() -> Result<Self, InputError> {
        let conn = crate::sql::engine::connect(&crate::sql::engine::new_database_uri("orm"))?;
        conn.execute_batch(SCHEMA).map_err(sql_error("creating the schema"))?;
        Ok(Db { conn, log: Vec::new(), queries: 0, rows: 0, values: 0 })
    }

    /// A database seeded with `authors` authors, author `i` (from 1) having `posts_of(i)` posts.
    /// Seeding is setup, not the workload: it is neither logged nor counted.
    pub fn seeded(authors: u32, posts_of: impl Fn(u32) -> u32) -> Result<Self, InputError> {
        let mut db = Db::open()?;
        let tx = db.conn.transaction().map_err(sql_error("starting the seed transaction"))?;
        {
            let mut insert_author =
                tx.prepare("INSERT INTO authors (id, name) VALUES (?1, ?2)").map_err(sql_error("seeding"))?;
            let mut insert_post = tx
                .prepare("INSERT INTO posts (author_id, title, likes) VALUES (?1, ?2, ?3)")
                .map_err(sql_error("seeding"))?;
            for i in 1..=authors {
                let name = author_name(i);
                insert_author.execute((i, &name)).map_err(sql_error("seeding an author"))?;
                for j in 1..=posts_of(i) {
                    insert_post
                        .execute((i, post_title(&name, j), likes(i, j)))
                        .map_err(sql_error("seeding a post"))?;
                }
            }
        }
        tx.commit().map_err(sql_error("committing the seed"))?;
        Ok(db)
    }

    /// `queries, rows, values received` as the examples print it.
    pub fn traffic(&self) -> String {
        format!(
            "{}, {}, {} received",
            super::count(self.queries, "query", "queries"),
            super::count(self.rows, "row", "rows"),
            super::count(self.values, "value", "values")
        )
    }

    /// Forgets the log and the counters (after a warm-up, say).
    pub fn reset_counters(&mut self) {
        self.log.clear();
        self.queries = 0;
        self.rows = 0;
        self.values = 0;
    }

    /// Runs a statement that returns no rows (an UPDATE), logged and counted like a query;
    /// returns the number of rows it changed.
    pub fn execute(&mut self, sql: &str, params: &[i64]) -> Result<usize, InputError> {
        let mut statement = self.conn.prepare(sql).map_err(sql_error("preparing a statement"))?;
        for (index, value) in params.iter().enumerate() {
            statement.raw_bind_parameter(index + 1, value).map_err(sql_error("binding a parameter"))?;
        }
        self.log.push(statement.expanded_sql().unwrap_or_else(|| sql.to_string()));
        self.queries += 1;
        statement.raw_execute().map_err(sql_error("running a statement"))
    }
}

const FIRST_NAMES: [&str; 8] = ["Ada", "Grace", "Linus", "Barbara", "Edsger", "Frances", "Ken", "Radia"];

/// Author `i`'s name: a first name, numbered once the list runs out.
pub fn author_name(i: u32) -> String {
    let first = FIRST_NAMES[(i as usize - 1) % FIRST_NAMES.len()];
    if (i as usize) <= FIRST_NAMES.len() { first.to_string() } else { format!("{first} {i}") }
}

/// Post `j` (from 1) of the author called `name`.
pub fn post_title(name: &str, j: u32) -> String {
    format!("{name}'s post {j}")
}

/// A deterministic like count for post `j` of author `i`.
pub fn likes(i: u32, j: u32) -> i64 {
    i64::from((i * 7 + j * 3) % 20)
}

/// The printed example's data: author `i` has `i mod 3` posts (so authors 3, 6, … have none).
pub fn posts_mod_3(i: u32) -> u32 {
    i % 3
}

// ANCHOR: strategies
/// Lazy loading: one query for the authors, then one per author when its posts are touched.
/// This is what `await author.getPosts()` in a loop does: 1 + N round trips.
pub fn load_lazy(db: &mut Db) -> Result<Vec<AuthorWithPosts>, InputError> {
    let authors = db.query(SELECT_AUTHORS, &[], author_from_row)?;
    let mut result = Vec::with_capacity(authors.len());
    for author in authors {
        let posts = db.query(SELECT_POSTS_OF_AUTHOR, &[author.id], post_from_row)?;
        result.push(AuthorWithPosts { author, posts });
    }
    Ok(result)
}

/// Eager loading with a JOIN: one query; the author's columns repeat on each of their posts'
/// rows, so the mapper folds consecutive rows of one author into one object.
pub fn load_joined(db: &mut Db) -> Result<Vec<AuthorWithPosts>, InputError> {
    let rows = db.query(SELECT_AUTHORS_WITH_POSTS, &[], joined_from_row)?;
    let mut result: Vec<AuthorWithPosts> = Vec::new();
    for (author, post) in rows {
        let same_author = result.last().is_some_and(|last| last.author.id == author.id);
        if !same_author {
            result.push(AuthorWithPosts { author, posts: Vec::new() });
        }
        if let (Some(post), Some(current)) = (post, result.last_mut()) {
            current.posts.push(post);
        }
    }
    Ok(result)
}

/// Batched loading: the authors, then the posts of all of them with `author_id IN (…)`, at
/// most [`MAX_IDS_PER_QUERY`] ids per query, stitched together by `author_id` in memory.
pub fn load_batched(db: &mut Db) -> Result<Vec<AuthorWithPosts>, InputError> {
    let authors = db.query(SELECT_AUTHORS, &[], author_from_row)?;
    let ids: Vec<i64> = authors.iter().map(|author| author.id).collect();
    let mut posts_by_author: BTreeMap<i64, Vec<Post>> = BTreeMap::new();
    for chunk in ids.chunks(MAX_IDS_PER_QUERY) {
        let placeholders = vec!["?"; chunk.len()].join(", ");
        let sql = format!("{SELECT_POSTS_OF_AUTHORS} ({placeholders}) ORDER BY author_id, id");
        for post in db.query(&sql, chunk, post_from_row)? {
            posts_by_author.entry(post.author_id).or_default().push(post);
        }
    }
    Ok(authors
        .into_iter()
        .map(|author| {
            let posts = posts_by_author.remove(&author.id).unwrap_or_default();
            AuthorWithPosts { author, posts }
        })
        .collect())
}
// ANCHOR_END: strategies

/// The three strategies by name, in the order the chapter introduces them.
pub type Loader = fn(&mut Db) -> Result<Vec<AuthorWithPosts>, InputError>;
pub const STRATEGIES: [(&str, Loader); 3] =
    [("lazy", load_lazy), ("join", load_joined), ("batched", load_batched)];

/// Queries each strategy sends for `authors` authors: the design's own formula, which the
/// tests compare with what the query log counted.
pub fn expected_queries(strategy: &str, authors: usize) -> usize {
    match strategy {
        "lazy" => 1 + authors,
        "join" => 1,
        _ => 1 + authors.div_ceil(MAX_IDS_PER_QUERY),
    }
}

/// Rows each strategy receives, given the number of posts of every author.
pub fn expected_rows(strategy: &str, posts_per_author: &[u32]) -> usize {
    let authors = posts_per_author.len();
    let posts: usize = posts_per_author.iter().map(|&n| n as usize).sum();
    match strategy {
        // One row per post, and one for each author without posts (the NULL row).
        "join" => posts_per_author.iter().map(|&n| (n as usize).max(1)).sum(),
        _ => authors + posts,
    }
}

/// Prints the object graph as an indented list.
pub fn print_graph(out: &mut String, graph: &[AuthorWithPosts]) {
    for entry in graph {
        let posts = super::count(entry.posts.len(), "post", "posts");
        let _ = writeln!(out, "  Author {} {:?}: {posts}", entry.author.id, entry.author.name);
        for post in &entry.posts {
            let _ = writeln!(out, "    Post {} {:?}, {} likes", post.id, post.title, post.likes);
        }
    }
    if graph.is_empty() {
        out.push_str("  (no authors)\n");
    }
}

// ANCHOR: example
fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["authors"])?;
    let authors: u32 = params.number_or("authors", 0, MAX_PRINTED_AUTHORS, 4)?;
    let mut out = String::new();
    let mut results = Vec::new();
    for (name, load) in STRATEGIES {
        let mut db = Db::seeded(authors, posts_mod_3)?;
        let graph = load(&mut db)?;
        let _ = writeln!(out, "{name}: {}", db.traffic());
        for sql in &db.log {
            let _ = writeln!(out, "  {sql}");
        }
        out.push('\n');
        results.push(graph);
    }
    let identical = results.windows(2).all(|pair| pair[0] == pair[1]);
    let _ = writeln!(out, "The three object graphs are identical: {}", if identical { "yes" } else { "NO" });
    print_graph(&mut out, &results[0]);
    Ok(out)
}
// ANCHOR_END: example

#[cfg(test)]
mod tests {
    use super::*;

    /// The graph the seed data describes, built without any SQL: the oracle.
    fn expected_graph(authors: u32, posts_of: impl Fn(u32) -> u32) -> Vec<AuthorWithPosts> {
        let mut next_post_id = 1;
        (1..=authors)
            .map(|i| {
                let name = author_name(i);
                let posts = (1..=posts_of(i))
                    .map(|j| {
                        let post = Post {
                            id: next_post_id,
                            author_id: i64::from(i),
                            title: post_title(&name, j),
                            likes: likes(i, j),
                        };
                        next_post_id += 1;
                        post
                    })
                    .collect();
                AuthorWithPosts { author: Author { id: i64::from(i), name }, posts }
            })
            .collect()
    }

    #[test]
    fn all_strategies_return_the_seeded_graph_with_the_predicted_query_counts() {
        type PostsOf = fn(u32) -> u32;
        let shapes: [(&str, PostsOf); 4] =
            [("i mod 3", posts_mod_3), ("none", |_| 0), ("five each", |_| 5), ("uneven", |i| (i * i) % 7)];
        for authors in [0, 1, 2, 3, 7, 20, 499, 500, 501, 1200] {
            for (shape, posts_of) in shapes {
                let expected = expected_graph(authors, posts_of);
                let counts: Vec<u32> = (1..=authors).map(posts_of).collect();
                for (strategy, load) in STRATEGIES {
                    let mut db = Db::seeded(authors, posts_of).unwrap();
                    let graph = load(&mut db).unwrap();
                    let case = format!("{strategy}, {authors} authors, posts {shape}");
                    assert_eq!(graph, expected, "{case}");
                    assert_eq!(db.queries, expected_queries(strategy, authors as usize), "{case}");
                    assert_eq!(db.log.len(), db.queries, "{case}: every query is logged");
                    assert_eq!(db.rows, expected_rows(strategy, &counts), "{case}");
                }
            }
        }
    }

    #[test]
    fn the_log_shows_the_statements_with_their_values() {
        let mut db = Db::seeded(3, posts_mod_3).unwrap();
        load_lazy(&mut db).unwrap();
        assert_eq!(db.log[0], SELECT_AUTHORS);
        assert_eq!(db.log[2], SELECT_POSTS_OF_AUTHOR.replace('?', "2"));
        let mut db = Db::seeded(3, posts_mod_3).unwrap();
        load_batched(&mut db).unwrap();
        assert_eq!(db.log[1], format!("{SELECT_POSTS_OF_AUTHORS} (1, 2, 3) ORDER BY author_id, id"));
    }

    #[test]
    fn a_join_repeats_the_parent_columns() {
        // 2 authors with 3 posts each: the JOIN brings 6 rows of 5 values; the batched
        // strategy 2 rows of 2 values plus 6 rows of 4 values.
        let mut joined = Db::seeded(2, |_| 3).unwrap();
        load_joined(&mut joined).unwrap();
        assert_eq!((joined.rows, joined.values), (6, 30));
        let mut batched = Db::seeded(2, |_| 3).unwrap();
        load_batched(&mut batched).unwrap();
        assert_eq!((batched.rows, batched.values), (8, 28));
    }

    #[test]
    fn the_example_refuses_too_many_authors() {
        assert_eq!(run("authors = 21").unwrap_err().line, Some(1));
        assert!(run("authors = 0").unwrap().contains("identical: yes\n  (no authors)\n"));
    }
}
