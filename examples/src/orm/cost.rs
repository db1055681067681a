//! The N+1 problem at a size the reader picks: the three loading strategies of
//! [`super::mapper`] run on a real SQLite, their query logs are counted, and the time a page
//! would wait is *estimated* with a stated model (queries × round trip + rows × per-row cost).
//! The output never contains a measured time, so it is the same on every machine.

use std::fmt::Write as _;

use super::mapper::{Db, STRATEGIES, expected_queries};
use crate::input::{Params, parse_number};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "orm::n_plus_one",
    title: "N+1 in numbers: queries, rows and an estimated wait for each loading strategy",
    file: file!(),
    default_input: "authors = 200\nposts per author = 5\nstrategy = all\nround trip = 0.5 ms\nper row = 0.002 ms\n",
    input_help: "`authors = N` (0–1000), `posts per author = K` (0–100, N×K ≤ 50,000), `strategy = lazy|join|batched|all`, \
                 `round trip = T ms` (per query), `per row = T ms` (decoding and mapping one row)",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const MAX_AUTHORS: u32 = 1_000;
const MAX_POSTS_PER_AUTHOR: u32 = 100;
const MAX_POSTS: u32 = 50_000;
/// Statements printed per strategy; the rest are counted.
const SHOWN_STATEMENTS: usize = 3;
/// Characters printed per statement (an `IN` list of 500 ids is long).
const SHOWN_CHARS: usize = 100;

/// A duration in milliseconds, written `0.5` or `0.5 ms`.
fn millis(params: &Params, key: &str, default: f64) -> Result<f64, InputError> {
    match params.one(key)? {
        None => Ok(default),
        Some(entry) => {
            let number = entry.value.strip_suffix("ms").unwrap_or(entry.value).trim();
            parse_number(number, entry.line, 0.0, 1_000.0)
        }
    }
}

// ANCHOR: example
/// What one strategy cost: counted from its query log, and the model's estimate.
struct Cost {
    queries: usize,
    rows: usize,
    values: usize,
}

impl Cost {
    /// The model: statements run one after another (each `await` waits for the previous one),
    /// each costs one round trip, and each row received costs `per_row` to decode and map.
    /// It ignores server work, bandwidth and everything else: an estimate, not a measurement.
    fn estimate_ms(&self, round_trip_ms: f64, per_row_ms: f64) -> f64 {
        self.queries as f64 * round_trip_ms + self.rows as f64 * per_row_ms
    }
}
// ANCHOR_END: example

fn shorten(sql: &str) -> String {
    if sql.chars().count() <= SHOWN_CHARS {
        return sql.to_string();
    }
    let cut: String = sql.chars().take(SHOWN_CHARS - 1).collect();
    format!("{cut}…")
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["authors", "posts per author", "strategy", "round trip", "per row"])?;
    let authors: u32 = params.number_or("authors", 0, MAX_AUTHORS, 200)?;
    let per_author: u32 = params.number_or("posts per author", 0, MAX_POSTS_PER_AUTHOR, 5)?;
    if authors * per_author > MAX_POSTS {
        let line = params.one("posts per author")?.map_or(0, |entry| entry.line);
        return Err(InputError::at_line(
            line,
            format!(
                "{authors} authors × {per_author} posts is more than {MAX_POSTS} posts; make one of them smaller"
            ),
        ));
    }
    let chosen = params.choice_or("strategy", &["lazy", "join", "batched", "all"], "all")?;
    let round_trip = millis(&params, "round trip", 0.5)?;
    let per_row = millis(&params, "per row", 0.002)?;

    let mut out = format!(
        "{authors} authors × {per_author} posts = {} posts; round trip {round_trip} ms per query, {per_row} ms per row.\n\
         Estimate = queries × round trip + rows × per-row cost. It is a model, not a measurement:\n\
         statements run one after another, and server work and bandwidth are left out.\n\n",
        authors * per_author
    );
    let mut summary = Vec::new();
    let mut graphs = Vec::new();
    for (name, load) in STRATEGIES.iter().filter(|(name, _)| chosen == "all" || chosen == *name) {
        let mut db = Db::seeded(authors, |_| per_author)?;
        graphs.push(load(&mut db)?);
        debug_assert_eq!(db.queries, expected_queries(name, authors as usize));
        let cost = Cost { queries: db.queries, rows: db.rows, values: db.values };
        let _ = writeln!(out, "{name}: {}", db.traffic());
        for sql in db.log.iter().take(SHOWN_STATEMENTS) {
            let _ = writeln!(out, "  {}", shorten(sql));
        }
        if db.log.len() > SHOWN_STATEMENTS {
            let _ = writeln!(out, "  … and {} more statements", db.log.len() - SHOWN_STATEMENTS);
        }
        let _ = writeln!(
            out,
            "  estimate: {} × {round_trip} ms + {} × {per_row} ms = {:.1} ms\n",
            cost.queries,
            cost.rows,
            cost.estimate_ms(round_trip, per_row)
        );
        summary.push((*name, cost));
    }
    if summary.len() > 1 {
        let identical = graphs.windows(2).all(|pair| pair[0] == pair[1]);
        let _ = writeln!(
            out,
            "Same authors and posts from every strategy: {}",
            if identical { "yes" } else { "NO" }
        );
        out.push_str("strategy   queries     rows   values   estimate\n");
        for (name, cost) in &summary {
            let _ = writeln!(
                out,
                "{name:<8} {:>9} {:>8} {:>8} {:>9.1} ms",
                cost.queries,
                cost.rows,
                cost.values,
                cost.estimate_ms(round_trip, per_row)
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_follows_the_stated_model() {
        let out =
            run("authors = 10\nposts per author = 2\nstrategy = lazy\nround trip = 1 ms\nper row = 0.5")
                .unwrap();
        // 11 queries × 1 ms + (10 authors + 20 posts) rows × 0.5 ms = 26 ms; values: 10 × 2 + 20 × 4.
        assert!(out.contains("lazy: 11 queries, 30 rows, 100 values received\n"), "{out}");
        assert!(out.contains("  … and 8 more statements\n"), "{out}");
        assert!(out.contains("estimate: 11 × 1 ms + 30 × 0.5 ms = 26.0 ms\n"), "{out}");
        assert!(!out.contains("join:"), "{out}");
    }

    #[test]
    fn long_in_lists_are_shortened_and_batches_split() {
        let out = run("authors = 1000\nposts per author = 1\nstrategy = batched").unwrap();
        assert!(out.contains("batched: 3 queries, 2000 rows"), "{out}");
        assert!(out.lines().all(|line| line.chars().count() <= SHOWN_CHARS + 2), "{out}");
    }

    #[test]
    fn bad_input_names_its_line() {
        assert_eq!(run("authors = 1000\nposts per author = 100").unwrap_err().line, Some(2));
        assert_eq!(run("strategy = eager").unwrap_err().line, Some(1));
        assert_eq!(run("\nround trip = fast").unwrap_err().line, Some(2));
    }
}
