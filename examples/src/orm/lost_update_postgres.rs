//! The lost update through an entity with two real connections on PostgreSQL 15: each request
//! reads the post, adds one like in the application and writes the number back, as
//! `post.likes += 1; await post.save()` does; then the three fixes.
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and compares what the server did with
//! `examples/data/orm-lost-update.txt` (`cargo xtask bless` rewrites it); this example prints
//! that file. `{read + 1}` in a script is the value that session's last `SELECT` returned, plus
//! one, computed by the test as an application would and sent as a literal.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "orm::lost_update_postgres",
    title: "Two requests add a like through an entity, on a real PostgreSQL 15",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real PostgreSQL did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a PostgreSQL server; the page shows what the server did when the test last ran",
        simulation: Some("orm::lost_update"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/orm-lost-update.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
const POSTS: &str = "CREATE TABLE posts (id int PRIMARY KEY, likes int NOT NULL);
INSERT INTO posts (id, likes) VALUES (1, 10);";

/// Request A and request B each load post 1 and save `likes + 1` computed in the application.
const READ_COMMITTED: &str = "
A: BEGIN ISOLATION LEVEL READ COMMITTED
A: SELECT likes FROM posts WHERE id = 1
B: BEGIN ISOLATION LEVEL READ COMMITTED
B: SELECT likes FROM posts WHERE id = 1
A: UPDATE posts SET likes = {read + 1} WHERE id = 1
B: UPDATE posts SET likes = {read + 1} WHERE id = 1
A: COMMIT
B: COMMIT
A: SELECT likes FROM posts WHERE id = 1";
// ANCHOR_END: example

/// The same at repeatable read, where B retries after its serialization failure.
const REPEATABLE_READ: &str = "
A: BEGIN ISOLATION LEVEL REPEATABLE READ
A: SELECT likes FROM posts WHERE id = 1
B: BEGIN ISOLATION LEVEL REPEATABLE READ
B: SELECT likes FROM posts WHERE id = 1
A: UPDATE posts SET likes = {read + 1} WHERE id = 1
B: UPDATE posts SET likes = {read + 1} WHERE id = 1
A: COMMIT
B: ROLLBACK
B: BEGIN ISOLATION LEVEL REPEATABLE READ
B: SELECT likes FROM posts WHERE id = 1
B: UPDATE posts SET likes = {read + 1} WHERE id = 1
B: COMMIT
A: SELECT likes FROM posts WHERE id = 1";

/// The same with the row locked when it is read (Sequelize: `lock: true` in a transaction).
const FOR_UPDATE: &str = "
A: BEGIN
A: SELECT likes FROM posts WHERE id = 1 FOR UPDATE
B: BEGIN
B: SELECT likes FROM posts WHERE id = 1 FOR UPDATE
A: UPDATE posts SET likes = {read + 1} WHERE id = 1
A: COMMIT
B: UPDATE posts SET likes = {read + 1} WHERE id = 1
B: COMMIT
A: SELECT likes FROM posts WHERE id = 1";

/// The database adds one to the row as it finds it (Sequelize's `increment`, Prisma's
/// `{ increment: 1 }`).
const ATOMIC: &str = "
A: BEGIN
A: UPDATE posts SET likes = likes + 1 WHERE id = 1
B: BEGIN
B: UPDATE posts SET likes = likes + 1 WHERE id = 1
A: COMMIT
B: COMMIT
A: SELECT likes FROM posts WHERE id = 1";

/// What the test runs, in the order the file shows them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        server: Server::Postgres,
        title: "read committed: read, add one in the application, save",
        setup: POSTS,
        script: READ_COMMITTED,
    },
    Scenario {
        server: Server::Postgres,
        title: "repeatable read: the same, and B retries",
        setup: POSTS,
        script: REPEATABLE_READ,
    },
    Scenario {
        server: Server::Postgres,
        title: "read committed with SELECT ... FOR UPDATE",
        setup: POSTS,
        script: FOR_UPDATE,
    },
    Scenario {
        server: Server::Postgres,
        title: "read committed, the database adds one",
        setup: POSTS,
        script: ATOMIC,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_server_did_and_its_scenarios_parse() {
        assert_eq!(run("").unwrap(), OBSERVED);
        for scenario in SCENARIOS {
            scenario.lines().unwrap();
        }
    }
}
