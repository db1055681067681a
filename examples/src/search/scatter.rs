//! Query-then-fetch across shards: each shard scores its own documents and returns its top
//! `from + size` (id and sort key only); the coordinating node merges them and keeps
//! `[from, from + size)`; the fetch phase asks the owning shards for just those documents.
//! Page 500 therefore moves 500 times more entries than page 1, and Elasticsearch refuses
//! `from + size` above `index.max_result_window` (10,000 by default). `search_after` with a
//! point in time sends each shard the last sort key of the previous page instead, so every
//! page costs `shards × size`.

use std::fmt::Write as _;

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "search::scatter_gather",
    title: "Query-then-fetch: the cost of deep pages, and search_after",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`shards = 1..20`, `docs_per_shard = N`, `size = page size`, `pages = 1 2 500 …`, \
                 `max_result_window = 10000`, `seed = N`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
shards = 5
docs_per_shard = 6000
size = 10
pages = 1 2 100 500 1001
max_result_window = 10000
seed = 1
";

/// A hit's sort key: score descending, then shard and document ascending (the tiebreaker a
/// point in time gives, `_shard_doc`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub score: f64,
    pub shard: usize,
    pub doc: usize,
}

fn before(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    b.score.total_cmp(&a.score).then(a.shard.cmp(&b.shard)).then(a.doc.cmp(&b.doc))
}

/// Each shard's documents, already scored (scores in steps of 0.001, so ties happen).
pub fn shards(count: usize, per_shard: usize, seed: u64) -> Vec<Vec<Hit>> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|shard| {
            let mut hits: Vec<Hit> = (0..per_shard)
                .map(|doc| Hit { score: rng.range(0, 10_000) as f64 / 1000.0, shard, doc })
                .collect();
            hits.sort_by(before);
            hits
        })
        .collect()
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// (id, sort key) entries the shards send the coordinator in the query phase.
    pub query_entries: usize,
    /// Full documents fetched in the fetch phase.
    pub fetched: usize,
}

// ANCHOR: from_size
/// `from`/`size` paging: every shard returns its top `from + size`.
pub fn page_from_size(shards: &[Vec<Hit>], from: usize, size: usize) -> (Vec<Hit>, Cost) {
    let mut merged: Vec<Hit> = Vec::new();
    let mut cost = Cost::default();
    for shard in shards {
        let top = &shard[..(from + size).min(shard.len())]; // the shard's own priority queue
        cost.query_entries += top.len();
        merged.extend_from_slice(top);
    }
    merged.sort_by(before); // the coordinator's merge
    let page: Vec<Hit> = merged.into_iter().skip(from).take(size).collect();
    cost.fetched = page.len();
    (page, cost)
}
// ANCHOR_END: from_size

// ANCHOR: search_after
/// `search_after`: every shard returns its top `size` strictly after the last key seen.
pub fn page_after(shards: &[Vec<Hit>], after: Option<Hit>, size: usize) -> (Vec<Hit>, Cost) {
    let mut merged: Vec<Hit> = Vec::new();
    let mut cost = Cost::default();
    for shard in shards {
        let start = match after {
            None => 0,
            Some(key) => shard.partition_point(|hit| before(hit, &key) != std::cmp::Ordering::Greater),
        };
        let top = &shard[start..(start + size).min(shard.len())];
        cost.query_entries += top.len();
        merged.extend_from_slice(top);
    }
    merged.sort_by(before);
    merged.truncate(size);
    cost.fetched = merged.len();
    (merged, cost)
}
// ANCHOR_END: search_after

fn run(input: &str) -> Result<String, InputError> {
    let params =
        Params::parse(input, &["shards", "docs_per_shard", "size", "pages", "max_result_window", "seed"])?;
    let count = params.number_or("shards", 1usize, 20, 5)?;
    let per_shard = params.number_or("docs_per_shard", 1usize, 20_000, 3000)?;
    let size = params.number_or("size", 1usize, 100, 10)?;
    let window = params.number_or("max_result_window", 1usize, 1_000_000, 10_000)?;
    let seed = params.number_or("seed", 0u64, u64::MAX, 1)?;
    let pages = match params.one("pages")? {
        Some(entry) => entry.numbers(1usize, 10_000)?,
        None => vec![1, 500],
    };
    if count * per_shard > 100_000 {
        return Err(InputError::new("shards × docs_per_shard is at most 100,000"));
    }
    let shards = shards(count, per_shard, seed);
    let total = count * per_shard;
    let mut out = String::new();
    let _ = writeln!(out, "{count} shards × {per_shard} docs = {total} hits, pages of {size}\n");
    let _ = writeln!(out, "from/size:");
    let _ = writeln!(
        out,
        "{:>6} {:>7}  {:>22}  {:>7}  first hit",
        "page", "from", "query phase (entries)", "fetched"
    );
    for &page in &pages {
        let from = (page - 1) * size;
        if from + size > window {
            let _ = writeln!(
                out,
                "{page:>6} {from:>7}  refused: from + size = {} > index.max_result_window ({window})",
                from + size
            );
            continue;
        }
        let (hits, cost) = page_from_size(&shards, from, size);
        let first = hits
            .first()
            .map_or("-".to_string(), |h| format!("{:.3} (shard {}, doc {})", h.score, h.shard, h.doc));
        let _ = writeln!(
            out,
            "{page:>6} {from:>7}  {:>22}  {:>7}  {first}",
            crate::thousands(cost.query_entries as u64),
            cost.fetched
        );
    }
    // search_after, page by page up to the deepest page asked for (a point in time keeps the
    // shards' view fixed meanwhile).
    let deepest = *pages.iter().max().unwrap_or(&1);
    let _ = writeln!(out, "\nsearch_after (with a point in time), walking pages 1..={deepest}:");
    let (mut after, mut moved, mut same) = (None, 0usize, true);
    for page in 1..=deepest {
        let (hits, cost) = page_after(&shards, after, size);
        moved += cost.query_entries;
        if pages.contains(&page) {
            let from = (page - 1) * size;
            if from < total {
                let (expected, _) = page_from_size(&shards, from, size);
                same &= expected == hits;
            }
            let _ = writeln!(out, "  page {page:>5}: {} entries for this page", cost.query_entries);
        }
        match hits.last() {
            Some(last) => after = Some(*last),
            None => break,
        }
    }
    let _ = writeln!(out, "  all {deepest} pages: {} entries in all", crate::thousands(moved as u64));
    let _ = writeln!(out, "  same hits as from/size on every page shown: {}", crate::yes(same));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_search_after_walks_the_same_order_as_from_size() {
        for seed in 0..100 {
            let mut rng = Rng::new(seed);
            let shards = shards(rng.range(1, 6) as usize, rng.range(0, 60) as usize, seed);
            let size = rng.range(1, 7) as usize;
            let mut after = None;
            for page in 0.. {
                let (expected, cost) = page_from_size(&shards, page * size, size);
                let (hits, after_cost) = page_after(&shards, after, size);
                assert_eq!(hits, expected, "seed {seed} page {page}");
                assert!(after_cost.query_entries <= shards.len() * size);
                assert!(cost.query_entries <= shards.len() * (page + 1) * size);
                match hits.last() {
                    Some(last) => after = Some(*last),
                    None => break,
                }
            }
        }
    }
}
