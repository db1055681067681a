//! The chapter's BM25 against a real implementation: SQLite's FTS5 `bm25()` on the same corpus.
//! FTS5 is compiled into the bundled SQLite that rusqlite links (`SQLITE_ENABLE_FTS5`, which
//! the example also asks `PRAGMA compile_options` for). Its tokenizer (`unicode61`: split on
//! anything but letters and digits, fold case) makes the same terms as the chapter's plain
//! analyser on ASCII text, so the two can be compared to 1e-9.

use std::fmt::Write as _;

use super::bm25::{Analyser, Bm25, Index};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "search::fts5",
    title: "The BM25 scorer against SQLite FTS5's bm25()",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "one `doc = text` line per document, then `query = words` (matched as term OR term)",
    runs: Runs::NativeOnly {
        reason: "runs SQLite's FTS5, which the browser module of this chapter does not carry",
        simulation: Some("search::bm25"),
    },
    run: Run::Text(run),
};

pub(crate) const DEFAULT_INPUT: &str = "\
doc = cache cache cache invalidation
doc = redis cache
doc = notes on running redis as a queue for background jobs at scale
doc = write through cache
doc = consistent hashing ring
query = cache redis
";

/// The same corpus for the browser example, with its query.
pub(crate) const DEFAULT_INPUT_BM25: &str = DEFAULT_INPUT;

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["doc", "query"])?;
    let docs = super::bm25::corpus_from_input(&params)?;
    let query = params.one("query")?.map_or("", |e| e.value).to_string();
    let terms = Analyser::PLAIN.analyse(&query);
    if terms.is_empty() {
        return Err(InputError::new("give a `query = …` with at least one word"));
    }
    let sqlite = sqlite_scores(&docs, &terms)?;
    let mut index = Index::new(Analyser::PLAIN);
    for doc in &docs {
        index.add(doc);
    }
    let lucene = index.search(&query, Bm25::LUCENE);
    let fts5 = index.search(&query, Bm25::FTS5);
    let mut out = String::new();
    let _ =
        writeln!(out, "SQLite {}, FTS5 compiled in: {}", sqlite.version, crate::yes(sqlite.fts5_compiled));
    let _ = writeln!(out, "FTS5 query: {}\n", sqlite.query);
    let _ = writeln!(
        out,
        "{:<4} {:>8} {:>10} {:>13}  agree  text",
        "doc", "Lucene", "ours FTS5", "SQLite bm25()"
    );
    let mut agree_all = true;
    for (doc, text) in docs.iter().enumerate() {
        let ours_lucene = lucene.iter().find(|h| h.doc == doc).map(|h| h.score);
        let ours_fts5 = fts5.iter().find(|h| h.doc == doc).map(|h| h.score);
        let theirs = sqlite.scores.iter().find(|(d, _)| *d == doc).map(|(_, s)| *s);
        let agree = match (ours_fts5, theirs) {
            (Some(a), Some(b)) => (a + b).abs() < 1e-9, // SQLite negates the score
            (None, None) => true,
            _ => false,
        };
        agree_all &= agree;
        let show = |s: Option<f64>| s.map_or("-".to_string(), |s| format!("{s:.6}"));
        let _ = writeln!(
            out,
            "d{doc:<3} {:>8} {:>10} {:>13}  {:<5}  {text}",
            show(ours_lucene),
            show(ours_fts5),
            show(theirs),
            crate::yes(agree)
        );
    }
    let _ = writeln!(
        out,
        "\nours (FTS5 variant) = −bm25() within 1e-9 for every document: {}",
        crate::yes(agree_all)
    );
    let rank = |hits: &[super::bm25::Hit]| {
        hits.iter().map(|h| format!("d{}", h.doc)).collect::<Vec<_>>().join(" > ")
    };
    let sqlite_rank = sqlite.scores.iter().map(|(d, _)| format!("d{d}")).collect::<Vec<_>>().join(" > ");
    let _ = writeln!(out, "ranking, Lucene idf:            {}", rank(&lucene));
    let _ = writeln!(out, "ranking, FTS5 idf:              {}", rank(&fts5));
    let _ = writeln!(out, "ranking, SQLite ORDER BY bm25(): {sqlite_rank}");
    for term in &terms {
        if let Some(list) = index.postings.get(term) {
            let (n, big_n) = (list.len(), index.docs());
            let _ = writeln!(
                out,
                "idf({term}): n = {n} of N = {big_n}: Lucene {:.4}, FTS5 {}",
                Bm25::LUCENE.idf(big_n, n),
                match Bm25::FTS5.idf(big_n, n) {
                    1e-6 => "1e-6 (floored: the term is in half the documents or more)".to_string(),
                    idf => format!("{idf:.4}"),
                }
            );
        }
    }
    Ok(out)
}

pub struct Fts5Scores {
    pub version: String,
    pub fts5_compiled: bool,
    pub query: String,
    /// (document, bm25()) best first, as `ORDER BY bm25(docs)` returns them.
    pub scores: Vec<(usize, f64)>,
}

// ANCHOR: sqlite
#[cfg(feature = "sqlite")]
pub fn sqlite_scores(docs: &[String], terms: &[String]) -> Result<Fts5Scores, InputError> {
    let fail = |e: rusqlite::Error| InputError::new(format!("SQLite: {e}"));
    let db = rusqlite::Connection::open_in_memory().map_err(fail)?;
    let version: String = db.query_row("SELECT sqlite_version()", [], |r| r.get(0)).map_err(fail)?;
    let mut options = db.prepare("PRAGMA compile_options").map_err(fail)?;
    let fts5_compiled = options
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(fail)?
        .filter_map(Result::ok)
        .any(|option| option == "ENABLE_FTS5");
    db.execute_batch("CREATE VIRTUAL TABLE docs USING fts5(body)").map_err(fail)?;
    for (i, doc) in docs.iter().enumerate() {
        db.execute("INSERT INTO docs(rowid, body) VALUES (?1, ?2)", rusqlite::params![i as i64, doc])
            .map_err(fail)?;
    }
    // Each term a quoted phrase, joined by OR: FTS5's implicit operator between terms is AND.
    let query = terms.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(" OR ");
    let mut statement = db
        .prepare("SELECT rowid, bm25(docs) FROM docs WHERE docs MATCH ?1 ORDER BY bm25(docs), rowid")
        .map_err(fail)?;
    let scores = statement
        .query_map([&query], |r| Ok((r.get::<_, i64>(0)? as usize, r.get::<_, f64>(1)?)))
        .map_err(fail)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    Ok(Fts5Scores { version, fts5_compiled, query, scores })
}
// ANCHOR_END: sqlite

#[cfg(not(feature = "sqlite"))]
pub fn sqlite_scores(_: &[String], _: &[String]) -> Result<Fts5Scores, InputError> {
    Err(InputError::new("this build has no SQLite (the `sqlite` feature is off)"))
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Random corpora: our FTS5 variant equals −bm25() for every matching row, to a relative 1e-9.
    #[test]
    fn property_the_fts5_variant_matches_sqlite() {
        let words = ["shard", "replica", "segment", "merge", "refresh", "flush"];
        for seed in 0..60u64 {
            let mut rng = Rng::new(seed);
            let docs: Vec<String> = (0..rng.range(1, 9))
                .map(|_| {
                    (0..rng.range(1, 8))
                        .map(|_| words[rng.range(0, 5) as usize])
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            let terms: Vec<String> =
                (0..rng.range(1, 3)).map(|_| words[rng.range(0, 5) as usize].to_string()).collect();
            let mut index = Index::new(Analyser::PLAIN);
            for doc in &docs {
                index.add(doc);
            }
            let ours = index.search(&terms.join(" "), Bm25::FTS5);
            let theirs = sqlite_scores(&docs, &terms).unwrap();
            assert!(theirs.fts5_compiled);
            assert_eq!(ours.len(), theirs.scores.len(), "seed {seed}");
            for (doc, score) in &theirs.scores {
                let mine = ours.iter().find(|h| h.doc == *doc).expect("same matches").score;
                // Relative: with floored idf (1e-6) an absolute 1e-9 would allow 0.1% error.
                assert!((mine + score).abs() <= 1e-9 * mine.abs(), "seed {seed} d{doc}: {mine} vs {score}");
            }
        }
    }
}
