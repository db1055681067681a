//! Offset against cursor (keyset) pagination over a feed that changes while a client pages
//! through it: newest first, as most feeds are, so a new post lands on page 1 and pushes every
//! other post one place down.

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "apis::pagination",
    title: "Offset vs cursor pagination while rows are inserted and deleted between pages",
    file: file!(),
    default_input: DEFAULT,
    input_help: "`posts` (1–200), `page_size` (1–50), and any number of `between = <page> insert` or \
                 `between = <page> delete <id>`: a change after that page is read",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT: &str = "\
# posts 1..10, shown newest first (10, 9, 8, ...)
posts = 10
page_size = 3
# after page 1 someone publishes post 11; after page 2 post 9, already read, is deleted
between = 1 insert
between = 2 delete 9
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Insert,
    Delete(u64),
}

// ANCHOR: example
/// `LIMIT size OFFSET (page − 1) × size` over the feed as it is now.
fn offset_page(feed: &[u64], page: usize, size: usize) -> Vec<u64> {
    feed.iter().skip((page - 1) * size).take(size).copied().collect()
}

/// `WHERE id < :last ORDER BY id DESC LIMIT size`: the next page starts after the last row the
/// client saw, wherever that row now sits.
fn cursor_page(feed: &[u64], last_seen: Option<u64>, size: usize) -> Vec<u64> {
    feed.iter().filter(|&&id| last_seen.is_none_or(|last| id < last)).take(size).copied().collect()
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["posts", "page_size", "between"])?;
    let posts: u64 = p.number_or("posts", 1, 200, 10)?;
    let size: usize = p.number_or("page_size", 1, 50, 3)?;
    let mut changes: Vec<(usize, Change, usize)> = Vec::new();
    for e in p.all("between") {
        let words: Vec<&str> = e.value.split_whitespace().collect();
        let page = crate::input::parse_number(words.first().copied().unwrap_or(""), e.line, 1, 100)?;
        let change = match words.get(1..) {
            Some(["insert"]) => Change::Insert,
            Some(["delete", id]) => Change::Delete(crate::input::parse_number(id, e.line, 1, 10_000)?),
            _ => return Err(InputError::at_line(e.line, "expected `<page> insert` or `<page> delete <id>`")),
        };
        changes.push((page, change, e.line));
    }
    let mut out = String::new();
    let mut report = |name: &str, pages: &[Vec<u64>], original: &[u64], deleted: &[u64]| {
        out.push_str(&format!("{name}\n"));
        for (i, page) in pages.iter().enumerate() {
            let ids: Vec<String> = page.iter().map(u64::to_string).collect();
            out.push_str(&format!("  page {}: {}\n", i + 1, ids.join(", ")));
        }
        let seen: Vec<u64> = pages.concat();
        let twice: Vec<String> = original
            .iter()
            .filter(|id| seen.iter().filter(|s| s == id).count() > 1)
            .map(u64::to_string)
            .collect();
        let missed: Vec<String> = original
            .iter()
            .filter(|id| !deleted.contains(id) && !seen.contains(id))
            .map(u64::to_string)
            .collect();
        let none = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
        out.push_str(&format!("  shown twice: {}\n", none(&twice)));
        out.push_str(&format!("  never shown (and never deleted): {}\n", none(&missed)));
    };
    let original: Vec<u64> = (1..=posts).rev().collect();
    for cursor in [false, true] {
        let mut feed = original.clone();
        let mut next_id = posts + 1;
        let mut deleted = Vec::new();
        let mut pages: Vec<Vec<u64>> = Vec::new();
        for page in 1..=(posts as usize + changes.len()).div_ceil(size) + 1 {
            let rows = if cursor {
                cursor_page(&feed, pages.last().and_then(|p| p.last().copied()), size)
            } else {
                offset_page(&feed, page, size)
            };
            if rows.is_empty() {
                break;
            }
            pages.push(rows);
            for &(_, change, line) in changes.iter().filter(|c| c.0 == page) {
                match change {
                    Change::Insert => {
                        feed.insert(0, next_id);
                        next_id += 1;
                    }
                    Change::Delete(id) => {
                        let at = feed.iter().position(|&x| x == id).ok_or_else(|| {
                            InputError::at_line(line, format!("post {id} is not in the feed at that point"))
                        })?;
                        feed.remove(at);
                        deleted.push(id);
                    }
                }
            }
        }
        let name = if cursor {
            "cursor (WHERE id < last seen ORDER BY id DESC LIMIT n)"
        } else {
            "offset (ORDER BY id DESC LIMIT n OFFSET k)"
        };
        report(name, &pages, &original, &deleted);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_repeats_and_skips_cursor_does_neither() {
        let out = run(DEFAULT).unwrap();
        let (offset, cursor) = out.split_once("cursor (").unwrap();
        // After the insert, page 2 by offset starts one row earlier in the data: 8, the last
        // row read, again. After the delete of 9, page 3 starts one row later: 5 is skipped.
        assert!(offset.contains("shown twice: 8"), "{out}");
        assert!(offset.contains("never shown (and never deleted): 5"), "{out}");
        assert!(cursor.contains("shown twice: none") && cursor.contains("never deleted): none"), "{out}");
        assert_eq!(run("between = 1 delete 99").unwrap_err().line, Some(1));
        assert_eq!(run("posts = 4\nbetween = 1 jump").unwrap_err().line, Some(2));
    }
}
