//! The SQL the loading strategies send, as an editable SQL example on the chapter's schema,
//! with SQLite's query plans with and without the index on `posts.author_id`.

use super::mapper::{self, SCHEMA};
use crate::registry::{Example, Run, Runs};
use crate::sql::{engine, statements};

/// Authors in the SQL example's database (with [`mapper::posts_mod_3`] posts each).
pub const AUTHORS: u32 = 4;

pub const EXAMPLE: Example = Example {
    id: "orm::plans",
    title: "The JOIN and the IN query, and their query plans with and without the index",
    file: "examples/src/orm/queries.sql",
    default_input: statements(include_str!("queries.sql")),
    input_help: "SQL statements separated by `;` (SQLite dialect) on the tables `authors (id, name)` and \
                 `posts (id, author_id, title, likes, version)`; `--` starts a comment.",
    runs: Runs::Everywhere,
    run: Run::Text(|input| engine::run(&setup(), input)),
};

/// The schema plus the same seed data as the mapper's example, as SQL.
pub fn setup() -> String {
    let mut sql = String::from(SCHEMA);
    let mut post_id = 1;
    for i in 1..=AUTHORS {
        let name = mapper::author_name(i);
        sql.push_str(&format!("INSERT INTO authors (id, name) VALUES ({i}, {});\n", quote(&name)));
        for j in 1..=mapper::posts_mod_3(i) {
            sql.push_str(&format!(
                "INSERT INTO posts (id, author_id, title, likes) VALUES ({post_id}, {i}, {}, {});\n",
                quote(&mapper::post_title(&name, j)),
                mapper::likes(i, j)
            ));
            post_id += 1;
        }
    }
    sql
}

/// A SQL string literal.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn the_page_shows_the_queries_the_mapper_sends() {
        let page = words(EXAMPLE.default_input);
        assert!(page.contains(&words(mapper::SELECT_AUTHORS_WITH_POSTS)), "the JOIN drifted");
        assert!(page.contains(&words(mapper::SELECT_AUTHORS)), "the authors query drifted");
        let batched = format!("{} (1, 2, 3, 4) ORDER BY author_id, id", mapper::SELECT_POSTS_OF_AUTHORS);
        assert!(page.contains(&words(&batched)), "the IN query drifted");
    }

    #[test]
    fn the_plans_use_the_index_and_scan_without_it() {
        let out = EXAMPLE.output(EXAMPLE.default_input).unwrap().text;
        let before_drop = out.split("DROP INDEX").next().unwrap();
        let after_drop = out.split("DROP INDEX").nth(1).unwrap();
        assert!(before_drop.contains("SEARCH posts USING INDEX posts_by_author (author_id=?)"), "{out}");
        assert!(before_drop.contains("SEARCH p USING INDEX posts_by_author (author_id=?)"), "{out}");
        assert!(after_drop.contains("SCAN posts"), "{out}");
        assert!(!after_drop.contains("posts_by_author (author_id=?)"), "{out}");
    }

    #[test]
    fn the_sql_data_equals_the_mappers_seed() {
        let mut db = mapper::Db::seeded(AUTHORS, mapper::posts_mod_3).unwrap();
        let graph = mapper::load_joined(&mut db).unwrap();
        let out = engine::run(&setup(), "SELECT count(*) AS posts FROM posts;").unwrap();
        let posts: usize = graph.iter().map(|entry| entry.posts.len()).sum();
        assert!(out.contains(&format!("\n {posts:>5}\n")), "{out}");
    }
}
