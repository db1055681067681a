//! The lost update through an entity: every request loads the post, adds one like in memory and
//! saves it. No ORM prevents this by itself; the fixes are an atomic `UPDATE … SET likes =
//! likes + 1` or optimistic locking with a version column (`… WHERE version = ?`).
//!
//! The requests are not concurrent: one SQLite connection runs them through a fixed schedule,
//! each statement in its own autocommit transaction. Every pattern goes through the same
//! schedule, the worst one for a read-modify-write: each request loads the post, and only then
//! does each one save. So the atomic increment's "nothing lost" is a real check: a test puts a
//! read-modify-write in its place and sees it lose. What two real connections do on PostgreSQL
//! (row locks, waits, serialization failures) is `lost_update_postgres`.

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

/// What one request's save did: the lines to print, and how many times it found that someone
/// else had saved first.
struct Saved {
    lines: Vec<String>,
    conflicts: usize,
}

/// How a request adds its like to the post it loaded.
type Save = fn(&mut Db, PostLikes) -> Result<Saved, InputError>;

fn last_statement(db: &Db) -> String {
    db.log.last().cloned().unwrap_or_default()
}

/// `post.likes += 1; await post.save()`.
fn read_modify_write(db: &mut Db, post: PostLikes) -> Result<Saved, InputError> {
    let changed = save_likes(db, PostLikes { likes: post.likes + 1, ..post })?;
    Ok(Saved { lines: vec![format!("{}  -> {}", last_statement(db), changed_rows(changed))], conflicts: 0 })
}

/// `await post.increment("likes")`: the loaded entity only supplies the id.
fn increment(db: &mut Db, post: PostLikes) -> Result<Saved, InputError> {
    let changed = add_like_atomically(db, post.id)?;
    Ok(Saved { lines: vec![format!("{}  -> {}", last_statement(db), changed_rows(changed))], conflicts: 0 })
}

/// Save if the version is unchanged; else reload and try again.
fn optimistic(db: &mut Db, mut post: PostLikes) -> Result<Saved, InputError> {
    let mut saved = Saved { lines: Vec::new(), conflicts: 0 };
    for _ in 0..MAX_ATTEMPTS {
        let changed = save_if_unchanged(db, PostLikes { likes: post.likes + 1, ..post })?;
        saved.lines.push(format!("{}  -> {}", last_statement(db), changed_rows(changed)));
        if changed == 1 {
            return Ok(saved);
        }
        saved.conflicts += 1;
        post = find_post(db, post.id)?;
        saved.lines.push(format!("conflict, reloaded: likes {}, version {}", post.likes, post.version));
    }
    Err(InputError::new(format!("a request gave up after {MAX_ATTEMPTS} attempts")))
}

// ANCHOR: schedule
/// The schedule every pattern runs through, one statement at a time on one connection: each
/// request loads the post, and only then does each one save. Returns the final likes and
/// the conflicts the saves reported.
fn run_requests(names: &[char], save: Save, out: &mut String) -> Result<(i64, usize), InputError> {
    let mut db = Db::seeded(1, posts_mod_3)?;
    let mut loaded = Vec::new();
    for name in names {
        let post = find_post(&mut db, 1)?;
        let _ = writeln!(out, "  {name}: {}  -> likes {}", last_statement(&db), post.likes);
        loaded.push(post);
    }
    let mut conflicts = 0;
    for (name, post) in names.iter().zip(loaded) {
        let saved = save(&mut db, post)?;
        for line in saved.lines {
            let _ = writeln!(out, "  {name}: {line}");
        }
        conflicts += saved.conflicts;
    }
    Ok((find_post(&mut db, 1)?.likes, conflicts))
}
// ANCHOR_END: schedule

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["requests"])?;
    let requests: usize = params.number_or("requests", 1, 10, 2)?;
    let names: Vec<char> = ('A'..='J').take(requests).collect();
    let start = find_post(&mut Db::seeded(1, posts_mod_3)?, 1)?.likes;
    let mut out = format!("Post 1 starts with {start} likes; {requests} requests each add one.\n");
    // Each pattern, and whether it detects conflicts.
    let patterns: [(&str, Save, bool); 3] = [
        ("Load the entity, add one in memory, save it", read_modify_write, false),
        ("Load the entity, let the database add one", increment, false),
        (
            "A version column: save only if nobody saved since the load, else reload and retry",
            optimistic,
            true,
        ),
    ];
    for (n, (title, save, detects)) in patterns.into_iter().enumerate() {
        let _ = writeln!(out, "\n{}. {title}:", n + 1);
        let (likes, conflicts) = run_requests(&names, save, &mut out)?;
        if detects {
            let _ =
                writeln!(out, "  {} detected and retried", super::count(conflicts, "conflict", "conflicts"));
        }
        report(&mut out, likes, start, requests);
    }
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
            let retried =
                format!("  {} detected and retried", super::super::count(lost, "conflict", "conflicts"));
            assert!(out.contains(&retried), "{out}");
        }
    }

    /// The schedule is what makes "nothing lost" mean something: through it, an increment that
    /// is not atomic (the entity's value plus one, written back) loses every request but one.
    #[test]
    fn the_schedule_exposes_an_increment_that_is_not_atomic() {
        let not_atomic: Save = |db, post| {
            let changed =
                db.execute("UPDATE posts SET likes = ? WHERE id = ?", &[post.likes + 1, post.id])?;
            Ok(Saved { lines: vec![changed_rows(changed)], conflicts: 0 })
        };
        let start = find_post(&mut Db::seeded(1, posts_mod_3).unwrap(), 1).unwrap().likes;
        for requests in 1..=10 {
            let names: Vec<char> = ('A'..='J').take(requests).collect();
            let (atomic, _) = run_requests(&names, increment, &mut String::new()).unwrap();
            assert_eq!(atomic, start + requests as i64);
            let (broken, _) = run_requests(&names, not_atomic, &mut String::new()).unwrap();
            assert_eq!(broken, start + 1, "{requests} requests");
        }
    }
}
