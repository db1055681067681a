//! The lost update through an entity: every request loads the post, adds one like in memory and
//! saves it. No ORM prevents this by itself; the fixes are an atomic `UPDATE … SET likes =
//! likes + 1` or optimistic locking with a version column (`… WHERE version = ?`).
//!
//! The requests are interleaved by the program on one SQLite connection, each statement in
//! its own autocommit transaction: the order of statements is exactly what two connections at
//! PostgreSQL's read committed would run (with row locks, which SQLite does not have, the
//! second UPDATE would wait for the first one's commit and then do the same thing).

use std::fmt::Write as _;

use super::mapper::{Db, posts_mod_3};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "orm::lost_update",
    title: "Read-modify-write of an entity loses updates; an atomic UPDATE or a version column does not",
    file: file!(),
    default_input: "requests = 2\n",
    input_help: "`requests = R` (1–10): R requests each add one like to post 1; all read before any writes",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: example
/// The part of a post this example needs, with its version for optimistic locking.
#[derive(Debug, Clone, Copy)]
struct PostLikes {
    id: i64,
    likes: i64,
    version: i64,
}

fn find_post(db: &mut Db, id: i64) -> Result<PostLikes, InputError> {
    let found = db.query("SELECT id, likes, version FROM posts WHERE id = ?", &[id], |row| {
        Ok(PostLikes { id: row.get("id")?, likes: row.get("likes")?, version: row.get("version")? })
    })?;
    found.into_iter().next().ok_or_else(|| InputError::new(format!("post {id} does not exist")))
}

/// What `post.likes += 1; await post.save()` sends: the value computed in the application.
fn save_likes(db: &mut Db, post: PostLikes) -> Result<usize, InputError> {
    db.execute("UPDATE posts SET likes = ? WHERE id = ?", &[post.likes, post.id])
}

/// The increment done by the database on the newest row: nothing to lose.
fn add_like_atomically(db: &mut Db, id: i64) -> Result<usize, InputError> {
    db.execute("UPDATE posts SET likes = likes + 1 WHERE id = ?", &[id])
}

/// Optimistic locking: the write only applies if nobody saved since we read. Zero rows
/// changed means "someone else won": reload and try again.
fn save_if_unchanged(db: &mut Db, post: PostLikes) -> Result<usize, InputError> {
    db.execute(
        "UPDATE posts SET likes = ?, version = version + 1 WHERE id = ? AND version = ?",
        &[post.likes, post.id, post.version],
    )
}
// ANCHOR_END: example

/// Retries per request before optimistic locking gives up.
const MAX_ATTEMPTS: usize = 10;

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["requests"])?;
    let requests: usize = params.number_or("requests", 1, 10, 2)?;
    let names: Vec<char> = ('A'..='J').take(requests).collect();
    let mut out = String::new();

    // 1. Entity read-modify-write: all requests read, then all write.
    let mut db = Db::seeded(1, posts_mod_3)?;
    let start = find_post(&mut db, 1)?.likes;
    db.reset_counters();
    let _ = writeln!(out, "Post 1 starts with {start} likes; {requests} requests each add one.\n");
    out.push_str("1. Load the entity, add one in memory, save it:\n");
    let mut loaded = Vec::new();
    for name in &names {
        let post = find_post(&mut db, 1)?;
        let _ =
            writeln!(out, "  {name}: {}  -> likes {}", db.log.last().unwrap_or(&String::new()), post.likes);
        loaded.push(post);
    }
    for (name, mut post) in names.iter().zip(loaded) {
        post.likes += 1;
        let changed = save_likes(&mut db, post)?;
        let _ = writeln!(
            out,
            "  {name}: {}  -> {}",
            db.log.last().unwrap_or(&String::new()),
            changed_rows(changed)
        );
    }
    report(&mut out, find_post(&mut db, 1)?.likes, start, requests);

    // 2. Atomic increment.
    let mut db = Db::seeded(1, posts_mod_3)?;
    out.push_str("\n2. Let the database add one:\n");
    for name in &names {
        add_like_atomically(&mut db, 1)?;
        let _ = writeln!(out, "  {name}: {}", db.log.last().unwrap_or(&String::new()));
    }
    report(&mut out, find_post(&mut db, 1)?.likes, start, requests);

    // 3. Optimistic locking: all requests read, then each writes if the version is unchanged,
    // and reloads and retries when it is not.
    let mut db = Db::seeded(1, posts_mod_3)?;
    out.push_str("\n3. A version column: save only if nobody saved since the read, else reload and retry:\n");
    let mut loaded = Vec::new();
    for _ in &names {
        loaded.push(find_post(&mut db, 1)?);
    }
    let mut conflicts = 0;
    for (name, mut post) in names.iter().zip(loaded) {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let wanted = PostLikes { likes: post.likes + 1, ..post };
            let changed = save_if_unchanged(&mut db, wanted)?;
            let _ = writeln!(
                out,
                "  {name}: {}  -> {}",
                db.log.last().unwrap_or(&String::new()),
                changed_rows(changed)
            );
            if changed == 1 {
                break;
            }
            conflicts += 1;
            if attempts == MAX_ATTEMPTS {
                return Err(InputError::new(format!("request {name} gave up after {MAX_ATTEMPTS} attempts")));
            }
            post = find_post(&mut db, 1)?;
            let _ =
                writeln!(out, "  {name}: conflict, reloaded: likes {}, version {}", post.likes, post.version);
        }
    }
    let _ = writeln!(out, "  {} detected and retried", super::count(conflicts, "conflict", "conflicts"));
    report(&mut out, find_post(&mut db, 1)?.likes, start, requests);
    Ok(out)
}

fn changed_rows(n: usize) -> String {
    format!("{} changed", super::count(n, "row", "rows"))
}

fn report(out: &mut String, likes: i64, start: i64, requests: usize) {
    let expected = start + requests as i64;
    let lost = expected - likes;
    let verdict = if lost == 0 { "nothing lost".to_string() } else { format!("{lost} lost") };
    let _ = writeln!(out, "  final likes: {likes} (expected {expected}): {verdict}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_modify_write_loses_all_but_one_and_the_fixes_lose_none() {
        for requests in 1..=10 {
            let out = run(&format!("requests = {requests}")).unwrap();
            let verdicts: Vec<&str> = out.lines().filter(|line| line.contains("final likes")).collect();
            assert_eq!(verdicts.len(), 3, "{out}");
            let lost = requests - 1;
            let first = if lost == 0 { "nothing lost".to_string() } else { format!("{lost} lost") };
            assert!(verdicts[0].ends_with(&first), "{out}");
            assert!(verdicts[1].ends_with("nothing lost") && verdicts[2].ends_with("nothing lost"), "{out}");
            assert!(
                out.contains(&format!(
                    "  {} detected and retried",
                    super::super::count(lost, "conflict", "conflicts")
                )),
                "{out}"
            );
        }
    }
}
