//! Chapter "Data models: relational, document, graph; SQL vs NoSQL", its SQL on SQLite: the
//! dataset as tables (`social.sql`, derived from `datamodels::social` and checked by a test
//! there) and the relational answers to the chapter's questions, with a recursive CTE.
//!
//! This module is SQL text only: its examples ship in the shared `sql` WebAssembly module.

use crate::registry::Example;
use crate::sql::sql_example;

/// The dataset as tables: what the chapter's SQL starts from.
pub const SOCIAL: &str = include_str!("social.sql");

const HELP: &str = "SQL statements separated by `;` (SQLite dialect), run on person (id, name, city), \
friend (person_id, friend_id, since) and post (id, author_id, title, topic); `--` starts a comment.";

sql_example!(
    REACH,
    "datamodels_sql::reach",
    "datamodels_sql",
    "reach.sql",
    "Friends of friends as self-joins, and reachability within k hops as a recursive CTE",
    setup: SOCIAL,
    help: HELP
);

/// The chapter's SQL examples (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[Example] = &[REACH];

/// The first statement of `reach.sql` (friends of friends) run on SQLite over the tables: the
/// relational answer the chapter's three-model test compares.
#[cfg(test)]
pub fn friends_of_friends_on_sqlite() -> Vec<String> {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(SOCIAL).unwrap();
    let first = REACH.default_input.split(';').next().unwrap();
    assert!(first.contains("SELECT DISTINCT c.name"), "{first}");
    let mut statement = conn.prepare(first).unwrap();
    statement.query_map([], |row| row.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_finds_who_the_graph_finds_and_counts_simple_paths() {
        let out = crate::sql::engine::run(SOCIAL, REACH.default_input).unwrap();
        // By hand: Bob 1 hop (1 path); Cat 1 (ann→cat, ann→bob→cat); Dan 2 (3 paths); Eve 3
        // (2 paths); Fay is 4 hops away. Paths repeat no person, so none returns to Ann.
        let tail = out.rsplit("sqlite>").next().unwrap();
        for row in
            ["Bob  |    1 |     1", "Cat  |    1 |     2", "Dan  |    2 |     3", "Eve  |    3 |     2"]
        {
            assert!(tail.contains(row), "{row}\n{tail}");
        }
        assert!(!tail.contains("Fay") && tail.contains("(4 rows)"), "{tail}");
        assert_eq!(friends_of_friends_on_sqlite(), ["Cat", "Dan"]);
    }
}
