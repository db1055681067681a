//! An inverted index with BM25 scoring: the analyser, the postings lists (with positions), and
//! two scorers that differ only where Lucene and SQLite's FTS5 differ.
//!
//! * Lucene (`BM25Similarity`, the Elasticsearch default since 5.0):
//!   `score(d, q) = Σ_t idf(t) · tf / (tf + k1 · (1 − b + b · dl / avgdl))`, with
//!   `idf(t) = ln(1 + (N − n + 0.5) / (n + 0.5))`. Lucene 8 dropped the constant factor `(k1 + 1)`
//!   from the numerator: it scales every score alike and changes no ranking.
//! * FTS5 (`bm25()`): the same shape with the `(k1 + 1)` factor, `idf = ln((N − n + 0.5) / (n + 0.5))`,
//!   floored at 1e-6 when that is not positive (a term in half the rows or more), and the
//!   result negated so that `ORDER BY bm25(t)` puts the best match first.
//!
//! Simplified against Lucene: the field length is kept exactly (Lucene stores it in one byte,
//! exact only for short fields), one field per document, no boosts, no coordination.

use std::collections::BTreeMap;

use std::fmt::Write as _;

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::ln;

pub const EXAMPLE: Example = Example {
    id: "search::bm25",
    title: "An inverted index and BM25, Lucene's idf beside FTS5's",
    file: file!(),
    default_input: super::fts5::DEFAULT_INPUT_BM25,
    input_help: "one `doc = text` line per document, `query = words`, and optionally `k1 = 1.2`, `b = 0.75`, `stem = no | yes`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: analyser
/// The analysis chain: a character filter, a tokenizer, token filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Analyser {
    /// The last token filter: strip a few English suffixes (a crude stemmer, not Porter's).
    pub stem: bool,
}

impl Analyser {
    pub const PLAIN: Analyser = Analyser { stem: false };

    /// Text → terms, in order (the position of a term is its index).
    pub fn analyse(&self, text: &str) -> Vec<String> {
        // Character filter: drop Markdown's backticks and asterisks (they join nothing).
        let filtered: String = text.chars().filter(|c| !matches!(c, '`' | '*')).collect();
        // Tokenizer: runs of letters and digits (an apostrophe inside a word is kept out).
        filtered
            .split(|c: char| !c.is_alphanumeric())
            .filter(|token| !token.is_empty())
            // Token filters: lowercase, then (optionally) the stemmer.
            .map(|token| token.to_lowercase())
            .map(|token| if self.stem { stem(&token) } else { token })
            .collect()
    }
}

/// A deliberately small suffix stripper: `caches` → `cache`, `indexing` → `index`,
/// `replicas` → `replica`, `queries` → `query`. Words of 4 letters or fewer are kept.
pub fn stem(word: &str) -> String {
    if word.chars().count() <= 4 || !word.is_ascii() {
        return word.to_string();
    }
    for (suffix, replacement) in [("ies", "y"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")] {
        if let Some(stem) = word.strip_suffix(suffix)
            && stem.len() >= 3
            && !(suffix == "s" && stem.ends_with('s'))
        {
            return format!("{stem}{replacement}");
        }
    }
    word.to_string()
}
// ANCHOR_END: analyser

// ANCHOR: index
/// One document's entry in a term's postings list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub doc: usize,
    /// Where the term occurs (token positions), which phrase queries need; `tf` is their count.
    pub positions: Vec<u32>,
}

/// The inverted index: term → postings sorted by document, and each document's length.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub analyser: Option<Analyser>,
    pub postings: BTreeMap<String, Vec<Posting>>,
    /// Field length in terms (what the norm uses), per document.
    pub lengths: Vec<u32>,
    pub total_terms: u64,
}

impl Index {
    pub fn new(analyser: Analyser) -> Index {
        Index { analyser: Some(analyser), ..Index::default() }
    }

    /// Adds a document; its id is its number in the order of adding.
    pub fn add(&mut self, text: &str) -> usize {
        let doc = self.lengths.len();
        let terms = self.analyser.unwrap_or(Analyser::PLAIN).analyse(text);
        for (position, term) in terms.iter().enumerate() {
            let list = self.postings.entry(term.clone()).or_default();
            match list.last_mut() {
                Some(posting) if posting.doc == doc => posting.positions.push(position as u32),
                _ => list.push(Posting { doc, positions: vec![position as u32] }),
            }
        }
        self.lengths.push(terms.len() as u32);
        self.total_terms += terms.len() as u64;
        doc
    }

    pub fn docs(&self) -> usize {
        self.lengths.len()
    }

    pub fn avgdl(&self) -> f64 {
        if self.lengths.is_empty() { 0.0 } else { self.total_terms as f64 / self.lengths.len() as f64 }
    }
}
// ANCHOR_END: index

// ANCHOR: score
/// Which system's formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Lucene,
    Fts5,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25 {
    pub k1: f64,
    pub b: f64,
    pub flavour: Flavour,
}

impl Bm25 {
    /// Lucene's and Elasticsearch's defaults.
    pub const LUCENE: Bm25 = Bm25 { k1: 1.2, b: 0.75, flavour: Flavour::Lucene };
    /// FTS5's `bm25()` with no weights (its k1 and b are the same constants).
    pub const FTS5: Bm25 = Bm25 { k1: 1.2, b: 0.75, flavour: Flavour::Fts5 };

    /// `n` of the `docs` documents contain the term.
    pub fn idf(&self, docs: usize, n: usize) -> f64 {
        let (big_n, n) = (docs as f64, n as f64);
        match self.flavour {
            Flavour::Lucene => ln(1.0 + (big_n - n + 0.5) / (n + 0.5)),
            Flavour::Fts5 => {
                let idf = ln((big_n - n + 0.5) / (n + 0.5));
                if idf <= 0.0 { 1e-6 } else { idf }
            }
        }
    }

    /// The term-frequency part: saturates in `tf` (k1), normalised by length (b).
    pub fn tf_norm(&self, tf: u32, dl: u32, avgdl: f64) -> f64 {
        let tf = f64::from(tf);
        let norm = self.k1 * (1.0 - self.b + self.b * f64::from(dl) / avgdl);
        let top = match self.flavour {
            Flavour::Lucene => tf,
            Flavour::Fts5 => tf * (self.k1 + 1.0),
        };
        top / (tf + norm)
    }
}

/// Why a document scored what it did, term by term.
#[derive(Debug, Clone, PartialEq)]
pub struct TermScore {
    pub term: String,
    pub tf: u32,
    pub n: usize,
    pub idf: f64,
    pub tf_norm: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub doc: usize,
    pub score: f64,
    pub dl: u32,
    pub terms: Vec<TermScore>,
}

impl Index {
    /// Every document matching any query term (OR), best first; ties by document id. A term
    /// given twice counts twice, as in Lucene's and FTS5's queries.
    pub fn search(&self, query: &str, bm25: Bm25) -> Vec<Hit> {
        let terms = self.analyser.unwrap_or(Analyser::PLAIN).analyse(query);
        let avgdl = self.avgdl();
        let mut hits: BTreeMap<usize, Hit> = BTreeMap::new();
        for term in &terms {
            let Some(list) = self.postings.get(term) else { continue };
            let idf = bm25.idf(self.docs(), list.len());
            for posting in list {
                let tf = posting.positions.len() as u32;
                let dl = self.lengths[posting.doc];
                let tf_norm = bm25.tf_norm(tf, dl, avgdl);
                let hit = hits.entry(posting.doc).or_insert(Hit {
                    doc: posting.doc,
                    score: 0.0,
                    dl,
                    terms: vec![],
                });
                hit.score += idf * tf_norm;
                hit.terms.push(TermScore { term: term.clone(), tf, n: list.len(), idf, tf_norm });
            }
        }
        let mut hits: Vec<Hit> = hits.into_values().collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        hits
    }
}
// ANCHOR_END: score

// ANCHOR: example
fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["doc", "query", "k1", "b", "stem"])?;
    let docs = corpus_from_input(&params)?;
    let query = params.one("query")?.map_or("", |e| e.value);
    let stem = params.choice_or("stem", &["yes", "no"], "no")? == "yes";
    let (k1, b) = (params.number_or("k1", 0.0, 3.0, 1.2)?, params.number_or("b", 0.0, 1.0, 0.75)?);
    let mut index = Index::new(Analyser { stem });
    for doc in &docs {
        index.add(doc);
    }
    let mut out = String::new();
    let _ = writeln!(out, "N = {} documents, avgdl = {:.3} terms", index.docs(), index.avgdl());
    let _ = writeln!(out, "postings (term: doc@positions):");
    for term in (Analyser { stem }).analyse(query) {
        let list = index.postings.get(&term).map_or(String::from("(none)"), |list| {
            list.iter()
                .map(|p| {
                    format!(
                        "d{}@{}",
                        p.doc,
                        p.positions.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        });
        let _ = writeln!(out, "  {term}: {list}");
    }
    for (name, flavour) in
        [("Lucene / Elasticsearch", Flavour::Lucene), ("SQLite FTS5 (sign flipped)", Flavour::Fts5)]
    {
        let bm25 = Bm25 { k1, b, flavour };
        let hits = index.search(query, bm25);
        let ranking =
            hits.iter().map(|h| format!("d{} {:.4}", h.doc, h.score)).collect::<Vec<_>>().join(", ");
        let _ = writeln!(out, "\n{name}: {ranking}");
        if let Some(best) = hits.first() {
            for term in &best.terms {
                let _ = writeln!(
                    out,
                    "  d{} {:<10} tf {}  n {}  idf {:.4}  tf-norm {:.4} (dl {})",
                    best.doc, term.term, term.tf, term.n, term.idf, term.tf_norm, best.dl
                );
            }
        }
    }
    Ok(out)
}
// ANCHOR_END: example

/// A small scripted corpus for the examples: one `doc = text` line per document.
pub fn corpus_from_input(params: &crate::input::Params<'_>) -> Result<Vec<String>, crate::InputError> {
    let docs: Vec<String> = params.all("doc").map(|entry| entry.value.to_string()).collect();
    if docs.is_empty() {
        return Err(crate::InputError::new("give at least one `doc = …` line"));
    }
    if docs.len() > 200 {
        return Err(crate::InputError::new("at most 200 documents"));
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// A tiny corpus worked out by hand (see the test for the arithmetic).
    fn tiny() -> Index {
        let mut index = Index::new(Analyser::PLAIN);
        index.add("the cat sat"); // d0: 3 terms
        index.add("the cat and the dog"); // d1: 5 terms
        index.add("a dog barked"); // d2: 3 terms
        index
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn relatively_close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    }

    #[test]
    fn postings_have_positions() {
        let index = tiny();
        assert_eq!(
            index.postings["the"],
            vec![Posting { doc: 0, positions: vec![0] }, Posting { doc: 1, positions: vec![0, 3] }]
        );
        assert_eq!(index.lengths, vec![3, 5, 3]);
        assert_eq!(index.total_terms, 11);
    }

    #[test]
    fn lucene_scores_match_the_hand_computation() {
        // N = 3 documents, avgdl = 11/3. "cat" is in n = 2 of them:
        //   idf = ln(1 + (3 − 2 + 0.5)/(2 + 0.5)) = ln(1 + 1.5/2.5) = ln 1.6 = 0.470003629245736
        // d0 (dl = 3, tf = 1): K = k1 (1 − b + b·dl/avgdl) = 1.2 (0.25 + 0.75·9/11) = 1.2·19/22 = 57/55
        //   tf-norm = 1/(1 + 57/55) = 55/112 = 0.491071428571429; score = ln 1.6 · 55/112 = 0.230805353647459
        // d1 (dl = 5, tf = 1): K = 1.2 (0.25 + 0.75·15/11) = 1.2·56/44 = 1.527272…
        //   tf-norm = 1/(1 + 84/55) = 55/139 = 0.395683453237410; score = 0.185972659054068
        // "the" in d1 (tf = 2): tf-norm = 2/(2 + 84/55) = 110/194 = 0.567010309278351, n = 2,
        //   so the query "the cat" gives d1 ln 1.6 · (55/139 + 110/194) = 0.452469562234640 and
        //   d0 ln 1.6 · 2 · 55/112 = 0.461610707294919: the shorter d0 still wins.
        let index = tiny();
        let idf = 1.6f64.ln();
        assert!(close(Bm25::LUCENE.idf(3, 2), idf));
        assert!(close(idf, 0.470003629245736));
        let hits = index.search("cat", Bm25::LUCENE);
        assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), vec![0, 1]);
        assert!(close(hits[0].terms[0].tf_norm, 55.0 / 112.0));
        assert!(close(hits[0].score, 0.230805353647459));
        assert!(close(hits[1].terms[0].tf_norm, 55.0 / 139.0));
        assert!(close(hits[1].score, 0.185972659054068));
        let hits = index.search("the cat", Bm25::LUCENE);
        assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), vec![0, 1]);
        assert!(close(hits[0].score, 0.461610707294919));
        assert!(close(hits[1].score, 0.452469562234640));
        // "barked" is in one document: idf = ln(1 + 2.5/1.5) = ln(8/3).
        assert!(close(Bm25::LUCENE.idf(3, 1), (8.0f64 / 3.0).ln()));
    }

    #[test]
    fn fts5_scores_match_the_hand_computation() {
        // FTS5: idf(cat) = ln((3 − 2 + 0.5)/(2 + 0.5)) = ln 0.6 < 0, floored to 1e-6;
        // idf(barked) = ln(2.5/1.5) = ln(5/3) = 0.510825623765991.
        // d2 (dl = 3, tf = 1): tf part = 1·2.2/(1 + 57/55) = 2.2·55/112 = 1.080357142857143;
        //   score = 0.551903... and SQLite returns it negated.
        let index = tiny();
        assert_eq!(Bm25::FTS5.idf(3, 2), 1e-6);
        assert!(close(Bm25::FTS5.idf(3, 1), (5.0f64 / 3.0).ln()));
        let hits = index.search("barked", Bm25::FTS5);
        assert_eq!(hits.len(), 1);
        assert!(close(hits[0].terms[0].tf_norm, 2.2 * 55.0 / 112.0));
        assert!(close(hits[0].score, (5.0f64 / 3.0).ln() * 2.2 * 55.0 / 112.0));
        let hits = index.search("cat", Bm25::FTS5);
        assert!(close(hits[0].score, 1e-6 * 2.2 * 55.0 / 112.0));
    }

    #[test]
    fn the_analyser_stems_only_when_asked() {
        assert_eq!(
            Analyser::PLAIN.analyse("Caches, `indexing` & Queries!"),
            vec!["caches", "indexing", "queries"]
        );
        assert_eq!(
            Analyser { stem: true }.analyse("Caches indexing queries replicas class"),
            vec!["cache", "index", "query", "replica", "class"]
        );
    }

    /// Brute force: scan every document's terms for every query term, no postings.
    fn brute_force(docs: &[Vec<String>], query: &[String], bm25: Bm25) -> Vec<(usize, f64)> {
        let big_n = docs.len();
        let avgdl = docs.iter().map(Vec::len).sum::<usize>() as f64 / big_n as f64;
        let mut out = Vec::new();
        for (d, terms) in docs.iter().enumerate() {
            let mut score = 0.0;
            let mut matched = false;
            for q in query {
                let tf = terms.iter().filter(|t| *t == q).count();
                if tf == 0 {
                    continue;
                }
                matched = true;
                let n = docs.iter().filter(|doc| doc.contains(q)).count() as f64;
                let idf = match bm25.flavour {
                    Flavour::Lucene => (1.0 + (big_n as f64 - n + 0.5) / (n + 0.5)).ln(),
                    Flavour::Fts5 => ((big_n as f64 - n + 0.5) / (n + 0.5)).ln().max(0.0),
                };
                let idf = if idf == 0.0 { 1e-6 } else { idf };
                let tf = tf as f64;
                let k = bm25.k1 * (1.0 - bm25.b + bm25.b * terms.len() as f64 / avgdl);
                let top = if bm25.flavour == Flavour::Lucene { tf } else { tf * (bm25.k1 + 1.0) };
                score += idf * top / (tf + k);
            }
            if matched {
                out.push((d, score));
            }
        }
        out
    }

    #[test]
    fn property_postings_and_ranking_agree_with_a_brute_force_scan() {
        let words = ["shard", "replica", "segment", "merge", "refresh", "flush", "term", "score"];
        for seed in 0..500u64 {
            let mut rng = Rng::new(seed);
            let mut index = Index::new(Analyser::PLAIN);
            let mut docs: Vec<Vec<String>> = Vec::new();
            for _ in 0..rng.range(1, 12) {
                let len = rng.range(1, 10) as usize;
                let terms: Vec<String> = (0..len)
                    .map(|_| words[rng.range(0, words.len() as u64 - 1) as usize].to_string())
                    .collect();
                index.add(&terms.join(" "));
                docs.push(terms);
            }
            // Postings: each term's list is exactly the documents and positions a scan finds.
            for word in words {
                let scanned: Vec<Posting> = docs
                    .iter()
                    .enumerate()
                    .filter_map(|(doc, terms)| {
                        let positions: Vec<u32> = terms
                            .iter()
                            .enumerate()
                            .filter(|(_, t)| *t == word)
                            .map(|(p, _)| p as u32)
                            .collect();
                        (!positions.is_empty()).then_some(Posting { doc, positions })
                    })
                    .collect();
                assert_eq!(
                    index.postings.get(word).cloned().unwrap_or_default(),
                    scanned,
                    "seed {seed} {word}"
                );
            }
            let query: Vec<String> = (0..rng.range(1, 3))
                .map(|_| words[rng.range(0, words.len() as u64 - 1) as usize].to_string())
                .collect();
            for bm25 in [Bm25::LUCENE, Bm25::FTS5, Bm25 { k1: 2.0, b: 0.3, flavour: Flavour::Lucene }] {
                let hits = index.search(&query.join(" "), bm25);
                let mut expected = brute_force(&docs, &query, bm25);
                expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                assert_eq!(hits.len(), expected.len(), "seed {seed}");
                // Every hit is the right document with the right score (relative tolerance:
                // floored FTS5 idf makes scores of about 1e-6)...
                for (doc, score) in &expected {
                    let hit = hits.iter().find(|h| h.doc == *doc).expect("same matches");
                    assert!(
                        relatively_close(hit.score, *score),
                        "seed {seed} d{doc}: {} vs {score}",
                        hit.score
                    );
                }
                // ... in rank order: scores never rise, and equal scores (same tf and length,
                // computed alike) list the lower document id first.
                for pair in hits.windows(2) {
                    assert!(
                        pair[0].score > pair[1].score
                            || (pair[0].score == pair[1].score && pair[0].doc < pair[1].doc),
                        "seed {seed}: d{} ({}) before d{} ({})",
                        pair[0].doc,
                        pair[0].score,
                        pair[1].doc,
                        pair[1].score
                    );
                }
                let ranked: Vec<(usize, f64)> = hits.iter().map(|h| (h.doc, h.score)).collect();
                for ((doc, score), (want_doc, want_score)) in ranked.iter().zip(&expected) {
                    // Where the brute force's order is not a near-tie, the documents agree too.
                    if doc != want_doc {
                        assert!(
                            relatively_close(*score, *want_score),
                            "seed {seed}: d{doc} ranked where d{want_doc} belongs"
                        );
                    }
                }
            }
        }
    }
}
