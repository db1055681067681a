//! The word count's map and reduce functions and its partitioner: plain functions over text and
//! records, shared by the worker processes (`batch-child`), the in-process run they are
//! checked against, and the simulation (which partitions its keys with the same hash).

use std::collections::BTreeMap;

// ANCHOR: partition
/// FNV-1a, 64 bits: a fixed hash, so every map task on every machine, in every run, sends a
/// word to the same reducer. (Rust's `HashMap` hasher is seeded at random per process, which
/// is exactly wrong here: two mappers would disagree about where "the" goes.)
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The reduce task (0..reduces) that owns `word`: Hadoop's `HashPartitioner` rule,
/// hash(key) mod R, with a hash of our own.
pub fn partition(word: &str, reduces: usize) -> usize {
    (fnv1a(word.as_bytes()) % reduces as u64) as usize
}
// ANCHOR_END: partition

/// One intermediate record: a word and a count (1 straight from `map`, more after a combiner).
pub type Record = (String, u64);

// ANCHOR: map_reduce
/// The map function over one input split: a `(word, 1)` record per word, already cut into
/// `reduces` partitions. With `combine`, each partition is summed per word before it leaves
/// the mapper (a combiner is the reduce function run early, on one mapper's output: legal
/// because addition is associative and commutative).
pub fn map_split(text: &str, reduces: usize, combine: bool) -> Vec<Vec<Record>> {
    let mut partitions: Vec<Vec<Record>> = vec![Vec::new(); reduces];
    for word in text.split_whitespace() {
        partitions[partition(word, reduces)].push((word.to_string(), 1));
    }
    if combine {
        for records in &mut partitions {
            *records = reduce(std::mem::take(records)).into_iter().collect();
        }
    }
    partitions
}

/// The reduce side: sort the records by key (what the framework does between map and reduce,
/// so that each key's values arrive together), then sum each run of equal keys.
pub fn reduce(mut records: Vec<Record>) -> BTreeMap<String, u64> {
    records.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out = BTreeMap::new();
    let mut records = records.into_iter().peekable();
    while let Some((word, mut sum)) = records.next() {
        while let Some((_, n)) = records.next_if(|(next, _)| *next == word) {
            sum += n;
        }
        out.insert(word, sum);
    }
    out
}
// ANCHOR_END: map_reduce

/// A record as a line of an intermediate or output file: `word<TAB>count`.
pub fn record_line(word: &str, count: u64) -> String {
    format!("{word}\t{count}\n")
}

/// Reads the lines [`record_line`] writes; an error names the bad line.
pub fn parse_records(text: &str) -> Result<Vec<Record>, String> {
    text.lines()
        .map(|line| {
            let (word, n) = line.split_once('\t').ok_or_else(|| format!("bad record `{line}`"))?;
            let n = n.parse().map_err(|_| format!("bad count in `{line}`"))?;
            Ok((word.to_string(), n))
        })
        .collect()
}

/// The whole job in one process, no files: every split mapped, every partition reduced. What
/// the distributed run must reproduce exactly.
pub fn in_process(splits: &[&str], reduces: usize) -> BTreeMap<String, u64> {
    let mut inputs: Vec<Vec<Record>> = vec![Vec::new(); reduces];
    for split in splits {
        for (r, records) in map_split(split, reduces, false).into_iter().enumerate() {
            inputs[r].extend(records);
        }
    }
    inputs.into_iter().flat_map(reduce).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // From the FNV reference (draft-eastlake-fnv): "" and "a" and "foobar".
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_combiner_changes_records_not_results() {
        let text = "b a b c a b\nd a";
        let plain = map_split(text, 3, false);
        let combined = map_split(text, 3, true);
        assert_eq!(plain.iter().map(Vec::len).sum::<usize>(), 8);
        assert_eq!(combined.iter().map(Vec::len).sum::<usize>(), 4);
        for (p, c) in plain.into_iter().zip(combined) {
            assert_eq!(reduce(p), reduce(c));
        }
    }

    #[test]
    fn records_round_trip() {
        let line = record_line("kernel", 12) + &record_line("the", 1);
        assert_eq!(parse_records(&line).unwrap(), [("kernel".to_string(), 12), ("the".to_string(), 1)]);
        assert!(parse_records("x 1\n").unwrap_err().contains("`x 1`"));
    }
}
