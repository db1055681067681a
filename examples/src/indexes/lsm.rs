//! A log-structured merge tree (O'Neil, Cheng, Gawlick and O'Neil, "The Log-Structured
//! Merge-Tree (LSM-Tree)", Acta Informatica 1996), as LevelDB, RocksDB and Cassandra build it:
//! writes go to an in-memory *memtable* (every write an entry, updates included, as in
//! RocksDB); a full memtable is written out, sorted and with the newest version of each key, as
//! an immutable sorted run (an SSTable); background *compaction* merges runs, keeping the newest version of
//! each key; a point read looks in the memtable, then in the runs from newest to oldest, and a
//! Bloom filter per run lets it skip the runs that cannot hold the key.
//!
//! Two compaction policies:
//!
//! * **leveled** (LevelDB, RocksDB's default): L0 collects flushed runs; when it has `l0` of
//!   them they are merged into the first level in use below it. Each level below L0 is one
//!   sorted run, and a level over its target size is merged into the next. Targets are worked
//!   out from the last level up (RocksDB's `level_compaction_dynamic_level_bytes`): the last
//!   level (L6, as RocksDB's seven levels) may be as large as it is and each level above is a
//!   `ratio`-th of the one below, so most data sits in the last level, once. Few runs to read
//!   and little garbage, but each entry is rewritten several times per level: here about
//!   (`ratio` + 1) / 2, since a whole level is merged into a level that fills from empty to
//!   `ratio` times its size; in RocksDB, which merges a file at a time into the overlapping part
//!   of the level below, about `ratio`.
//! * **tiered** (size-tiered, Cassandra's default, RocksDB's "universal"): each level collects
//!   runs; when it has `ratio` of them they are merged into one run of the next level. Each entry
//!   is rewritten about once per level, but a read may have to look in `ratio` runs per level,
//!   and old versions linger until their runs are merged.
//!
//! Simplifications, so the counts stay readable: a "run" is one SSTable here (real stores cut a run
//! into files of tens of megabytes and merge them a file at a time, which keeps each compaction
//! small and makes leveled write amplification per level about `ratio`, not the (`ratio` + 1) / 2
//! of whole-level merges here; the largest compaction's size is an artefact of this simplification,
//! so the output does not read free space from it); sizes are counted in entries, not bytes;
//! reading a run costs one I/O (really an index block and a data block, often cached); the
//! write-ahead log, which every write also goes to once, is left out of write amplification; the reads
//! come after all the writes, so Bloom filters are built only for the runs that are left then.

use std::fmt::Write as _;

use super::bloom::Bloom;
use crate::figure::{Figure, Lane, Mark, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "indexes::lsm",
    title: "An LSM tree: memtable, flushes, compaction (leveled vs tiered), Bloom filters, and the three amplifications",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`writes = N` (at most 200,000) to `keys = N` distinct keys, `memtable = N` writes per flush (at most 500 \
                 flushes), `policy = leveled tiered` (the first is drawn), `ratio = N` (2–10), `l0 = N` runs (1–10), \
                 `bloom_bits = N` per key (0–20, 0 = no filters), `reads = N` lookups, `seed = N`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
# 60,000 writes spread over 20,000 keys: most keys are written about three times.
writes = 60000
keys = 20000
# The memtable is flushed every 350 writes.
memtable = 350
policy = leveled tiered
# Leveled: each level 4 times the one above; L0 is merged into L1 at 4 runs.
# Tiered: a level's 4 runs are merged into one run of the next level.
ratio = 4
l0 = 4
bloom_bits = 10
# Point lookups after the load: half of them for keys that exist, half for keys that do not.
reads = 2000
seed = 7
";

pub const MAX_WRITES: u64 = 200_000;
pub const MAX_FLUSHES: u64 = 500;
/// Leveled: L0 to L6, as RocksDB's default `num_levels = 7`.
pub const LAST_LEVEL: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Leveled,
    Tiered,
}

impl Policy {
    fn name(self) -> &'static str {
        match self {
            Policy::Leveled => "leveled",
            Policy::Tiered => "tiered",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub writes: u64,
    pub keys: u64,
    pub memtable: usize,
    pub policies: Vec<Policy>,
    pub ratio: usize,
    pub l0: usize,
    pub bloom_bits: u32,
    pub reads: u64,
    pub seed: u64,
}

// ANCHOR: store
/// An immutable sorted run: (key, sequence number) pairs, its key range and its Bloom filter.
#[derive(Debug, Clone)]
pub struct SortedRun {
    pub entries: Vec<(u64, u64)>,
    pub bloom: Option<Bloom>,
}

impl SortedRun {
    /// A run of `entries` (sorted by key). Its Bloom filter is built by [`Store::seal`]: only
    /// the runs left when reads start are ever asked, so runs merged away never need one.
    fn new(entries: Vec<(u64, u64)>) -> SortedRun {
        SortedRun { entries, bloom: None }
    }

    fn build_filter(&mut self, bloom_bits: u32) {
        let mut filter = Bloom::new(self.entries.len(), bloom_bits);
        for &(key, _) in &self.entries {
            filter.insert(key);
        }
        self.bloom = Some(filter);
    }

    fn covers(&self, key: u64) -> bool {
        matches!((self.entries.first(), self.entries.last()), (Some(&(lo, _)), Some(&(hi, _))) if lo <= key && key <= hi)
    }

    fn contains(&self, key: u64) -> bool {
        self.entries.binary_search_by_key(&key, |&(k, _)| k).is_ok()
    }
}

/// Merges sorted runs into one, keeping the newest version (highest sequence number) of each
/// key: pairwise, like a merge sort's merge step, smallest runs first so that the largest is
/// copied once.
pub fn merge(runs: &[SortedRun]) -> Vec<(u64, u64)> {
    let mut order: Vec<&SortedRun> = runs.iter().collect();
    order.sort_by_key(|run| run.entries.len());
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for run in order {
        let (a, b) = (std::mem::take(&mut merged), &run.entries);
        merged = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let next = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    i += 1;
                    j += 1;
                    if x.1 > y.1 { *x } else { *y }
                }
                (Some(x), Some(y)) if x.0 < y.0 => {
                    i += 1;
                    *x
                }
                (Some(x), None) => {
                    i += 1;
                    *x
                }
                (_, Some(y)) => {
                    j += 1;
                    *y
                }
                (None, None) => unreachable!("the loop runs while one side has entries"),
            };
            merged.push(next);
        }
    }
    merged
}

/// Something that happened to the store, for the drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// User writes so far.
    pub at: u64,
    pub text: String,
    /// The levels whose runs changed: (level, runs, entries) right after it.
    pub levels: Vec<(usize, usize, u64)>,
}

pub struct Store {
    pub policy: Policy,
    /// Every write since the last flush, in arrival order (an update is a second entry, as in
    /// RocksDB's memtable); sorted, with only the newest version of each key, when flushed.
    pub memtable: Vec<(u64, u64)>,
    pub memtable_limit: usize,
    /// `levels[0]` is L0; within a level, runs are oldest first.
    pub levels: Vec<Vec<SortedRun>>,
    pub ratio: usize,
    pub l0: usize,
    pub bloom_bits: u32,
    pub seq: u64,
    pub flushes: u64,
    pub compactions: u64,
    /// Entries written to SSTables: by flushes and by compactions.
    pub flushed: u64,
    pub compacted: u64,
    /// The largest compaction's output (whole-level merges make it larger than a real store's).
    pub largest_compaction: u64,
    pub events: Vec<Event>,
}

impl Store {
    pub fn put(&mut self, key: u64) {
        self.seq += 1;
        self.memtable.push((key, self.seq));
        if self.memtable.len() >= self.memtable_limit {
            self.flush();
        }
    }

    /// The memtable's entries sorted by key, the newest version of each.
    fn sorted_memtable(&mut self) -> Vec<(u64, u64)> {
        let mut entries = std::mem::take(&mut self.memtable);
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        entries.dedup_by_key(|entry| entry.0);
        entries
    }

    fn flush(&mut self) {
        let entries = self.sorted_memtable();
        self.flushed += entries.len() as u64;
        self.flushes += 1;
        let n = entries.len();
        let run = SortedRun::new(entries);
        self.level(0).push(run);
        self.event(format!("flush: the memtable's {n} keys become a run in L0"), vec![0]);
        self.compact();
    }

    /// Ends the writes: sorts the memtable and builds each run's Bloom filter, for [`Store::get`].
    pub fn seal(&mut self) {
        self.memtable = self.sorted_memtable();
        if self.bloom_bits > 0 {
            let bits = self.bloom_bits;
            self.levels.iter_mut().flatten().for_each(|run| run.build_filter(bits));
        }
    }

    fn size(&self, level: usize) -> u64 {
        self.levels.get(level).map_or(0, |runs| runs.iter().map(|r| r.entries.len() as u64).sum())
    }

    /// Leveled: the size each level from L1 down may reach, worked out from the last level up
    /// (RocksDB's `level_compaction_dynamic_level_bytes`, its default since 8.4): the last level
    /// may be as large as it is, each level above a `ratio`-th of the one below.
    fn target(&self, level: usize) -> u64 {
        let last = self.size(LAST_LEVEL).max(self.base_size());
        last / (self.ratio as u64).pow((LAST_LEVEL - level) as u32)
    }

    /// What L0 holds when it is merged down: `l0` flushes, at most `l0 × memtable` entries.
    fn base_size(&self) -> u64 {
        (self.memtable_limit * self.l0) as u64
    }

    /// Leveled: the level L0 is merged into, the highest one whose target can take L0 whole.
    /// While the data is small that is the last level; levels above it appear as it grows.
    pub fn base_level(&self) -> usize {
        (1..=LAST_LEVEL).find(|&level| self.target(level) >= self.base_size()).unwrap_or(LAST_LEVEL)
    }

    fn compact(&mut self) {
        match self.policy {
            Policy::Leveled => {
                if self.levels[0].len() >= self.l0 {
                    let base = self.base_level();
                    self.merge_into(0, base);
                }
                for level in self.base_level()..LAST_LEVEL {
                    if self.size(level) > self.target(level) {
                        self.merge_into(level, level + 1);
                    }
                }
            }
            Policy::Tiered => {
                let mut level = 0;
                while level < self.levels.len() {
                    if self.levels[level].len() >= self.ratio {
                        self.merge_into(level, level + 1);
                    }
                    level += 1;
                }
            }
        }
    }

    /// Merges every run of `from` into one run of `to`: leveled, together with the run already
    /// in `to` (a level holds one run); tiered, as a new run beside the ones there.
    fn merge_into(&mut self, from: usize, to: usize) {
        let mut inputs = std::mem::take(&mut self.levels[from]);
        let from_here = inputs.len();
        let policy = self.policy;
        let target = self.level(to);
        let from_below = if policy == Policy::Leveled { target.len() } else { 0 };
        if policy == Policy::Leveled {
            // Oldest first: the run below is older than anything above it.
            let mut older = std::mem::take(target);
            older.append(&mut inputs);
            inputs = older;
        }
        let read: u64 = inputs.iter().map(|r| r.entries.len() as u64).sum();
        let merged = merge(&inputs);
        let written = merged.len() as u64;
        self.compacted += written;
        self.compactions += 1;
        self.largest_compaction = self.largest_compaction.max(written);
        let run = SortedRun::new(merged);
        self.level(to).push(run);
        let s = if from_here == 1 { "" } else { "s" };
        let below = if from_below > 0 { format!(" and the run of L{to}") } else { String::new() };
        self.event(
            format!("compaction: {from_here} run{s} of L{from}{below} merged into L{to}: read {read} entries, wrote {written}"),
            vec![from, to],
        );
    }

    fn level(&mut self, level: usize) -> &mut Vec<SortedRun> {
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, Vec::new);
        }
        &mut self.levels[level]
    }

    fn event(&mut self, text: String, levels: Vec<usize>) {
        let levels = levels
            .into_iter()
            .map(|level| {
                let runs = &self.levels[level];
                (level, runs.len(), runs.iter().map(|r| r.entries.len() as u64).sum())
            })
            .collect();
        self.events.push(Event { at: self.seq, text, levels });
    }

    /// A point lookup on a [sealed](Store::seal) store: the memtable, then every run from the
    /// newest down. Returns the runs read (an I/O each) with the Bloom filters, and without them.
    pub fn get(&self, key: u64) -> (u64, u64) {
        if self.memtable.binary_search_by_key(&key, |&(k, _)| k).is_ok() {
            return (0, 0);
        }
        let (mut with, mut without) = (0, 0);
        let mut found_with = false;
        for level in &self.levels {
            for run in level.iter().rev() {
                if !run.covers(key) {
                    continue; // its key range (kept in memory) rules it out: no I/O
                }
                let here = run.contains(key);
                without += 1;
                if !found_with && run.bloom.as_ref().is_none_or(|filter| filter.may_contain(key)) {
                    with += 1;
                    found_with = here;
                }
                if here {
                    return (with, without);
                }
            }
        }
        (with, without)
    }
}
// ANCHOR_END: store

/// What one policy cost over the whole run.
pub struct Outcome {
    pub store: Store,
    pub live: u64,
    pub on_disk: u64,
    /// Average runs read per lookup, in hundredths: (present with filters, present without,
    /// absent with, absent without).
    pub reads: [u64; 4],
    pub runs: usize,
}

pub fn simulate(config: &Config, policy: Policy) -> Outcome {
    let mut store = Store {
        policy,
        memtable: Vec::new(),
        memtable_limit: config.memtable,
        levels: vec![Vec::new(); if policy == Policy::Leveled { LAST_LEVEL + 1 } else { 1 }],
        ratio: config.ratio,
        l0: config.l0,
        bloom_bits: config.bloom_bits,
        seq: 0,
        flushes: 0,
        compactions: 0,
        flushed: 0,
        compacted: 0,
        largest_compaction: 0,
        events: Vec::new(),
    };
    let mut rng = Rng::new(config.seed);
    let mut written = Vec::with_capacity(config.writes as usize);
    for _ in 0..config.writes {
        // Keys are even, so the odd numbers between them are keys that never exist.
        let key = rng.range(0, config.keys - 1) * 2;
        written.push(key);
        store.put(key);
    }
    written.sort_unstable();
    written.dedup();
    store.seal();
    let live = written.len() as u64;
    let on_disk: u64 = store.levels.iter().flatten().map(|r| r.entries.len() as u64).sum();
    let mut sums = [0u64; 4];
    let half = config.reads / 2;
    for i in 0..config.reads {
        if i < half {
            let key = written[rng.range(0, written.len() as u64 - 1) as usize];
            let (with, without) = store.get(key);
            sums[0] += with;
            sums[1] += without;
        } else {
            let key = rng.range(0, config.keys - 1) * 2 + 1;
            let (with, without) = store.get(key);
            sums[2] += with;
            sums[3] += without;
        }
    }
    let per = |sum: u64, n: u64| (sum * 100 + n / 2) / n.max(1);
    let reads = [
        per(sums[0], half),
        per(sums[1], half),
        per(sums[2], config.reads - half),
        per(sums[3], config.reads - half),
    ];
    let runs = store.levels.iter().map(Vec::len).sum();
    Outcome { store, live, on_disk, reads, runs }
}

/// Hundredths as `1.25`.
fn hundredths(n: u64) -> String {
    format!("{}.{:02}", n / 100, n % 100)
}

fn ratio_text(a: u64, b: u64) -> String {
    hundredths((a * 100 + b / 2) / b.max(1))
}

fn levels_text(store: &Store) -> String {
    let used: Vec<String> = store
        .levels
        .iter()
        .enumerate()
        .filter(|(_, runs)| !runs.is_empty())
        .map(|(i, runs)| {
            let entries: u64 = runs.iter().map(|r| r.entries.len() as u64).sum();
            let s = if runs.len() == 1 { "" } else { "s" };
            format!("L{i} {} run{s} ({entries})", runs.len())
        })
        .collect();
    if used.is_empty() { "no runs".to_string() } else { used.join(", ") }
}

pub fn report(config: &Config, outcomes: &[Outcome]) -> String {
    let filters = if config.bloom_bits == 0 {
        "no Bloom filters".to_string()
    } else {
        format!("Bloom filters of {} bits per key", config.bloom_bits)
    };
    let mut out = format!(
        "{} writes to {} keys, a memtable flushed every {} writes, size ratio {}, L0 merged at {} runs (leveled), {filters}.\n",
        config.writes, config.keys, config.memtable, config.ratio, config.l0
    );
    let live = outcomes.first().map_or(0, |o| o.live);
    let _ = writeln!(
        out,
        "{live} distinct keys were written; each was written {} times on average.\n",
        ratio_text(config.writes, live)
    );
    let _ = writeln!(
        out,
        "                   write amp   space amp   runs   runs read per lookup (with filters / without)"
    );
    let _ = writeln!(out, "policy   flushes   (SSTables)  (at end)           key present     key absent");
    for o in outcomes {
        let s = &o.store;
        let line = format!(
            "{:<8} {:>7}   {:>9}   {:>9}   {:>4}   {:>5} / {:<5}   {:>5} / {:<5}",
            s.policy.name(),
            s.flushes,
            ratio_text(s.flushed + s.compacted, config.writes),
            ratio_text(o.on_disk, o.live),
            o.runs,
            hundredths(o.reads[0]),
            hundredths(o.reads[1]),
            hundredths(o.reads[2]),
            hundredths(o.reads[3])
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out.push('\n');
    for o in outcomes {
        let s = &o.store;
        let _ = writeln!(
            out,
            "{}: {} flushes wrote {} entries, {} compactions {}; the largest compaction wrote {} entries ({}× the live data).\n  \
             At the end: {}; memtable {} entries.",
            s.policy.name(),
            s.flushes,
            s.flushed,
            s.compactions,
            s.compacted,
            s.largest_compaction,
            ratio_text(s.largest_compaction, o.live),
            levels_text(s),
            s.memtable.len()
        );
    }
    out.push_str(
        "\nwrite amp = entries written to SSTables (flushes + compactions) per user write, WAL not counted;\n\
         space amp = entries on disk per live key; runs read = runs whose key range and Bloom filter\n\
         do not rule the key out (one I/O each, the memtable is free).\n",
    );
    out
}

/// The drawing: a lane per level, a span for each stretch of time its runs stayed the same;
/// one step per flush or compaction.
pub fn draw(outcome: &Outcome, end: u64) -> Figure {
    let store = &outcome.store;
    let mut lanes: Vec<Lane> =
        (0..store.levels.len()).map(|i| Lane { name: format!("L{i}"), spans: Vec::new() }).collect();
    let mut steps = Vec::new();
    for event in &store.events {
        let at = event.at as f64;
        let mut marks = Vec::new();
        for &(level, runs, entries) in &event.levels {
            let lane = &mut lanes[level];
            if let Some(last) = lane.spans.last_mut() {
                last.end = at;
            }
            let (label, kind) = if runs == 0 {
                ("empty".to_string(), SpanKind::Idle)
            } else {
                let s = if runs == 1 { "" } else { "s" };
                (format!("{runs} run{s}, {entries}"), SpanKind::Busy)
            };
            lane.spans.push(Span { start: at, end: end as f64, label, kind });
            marks.push(Mark::Span { lane: level, span: lane.spans.len() - 1 });
        }
        steps.push(Step { at, text: format!("after {} writes: {}", event.at, event.text), marks });
    }
    // Levels never used (leveled, while the data is small) get no lane; marks follow the lanes.
    let kept: Vec<usize> = (0..lanes.len()).filter(|&i| !lanes[i].spans.is_empty()).collect();
    for step in &mut steps {
        for mark in &mut step.marks {
            if let Mark::Span { lane, .. } = mark {
                *lane = kept.iter().position(|&k| k == *lane).expect("a marked lane has spans");
            }
        }
    }
    let lanes: Vec<Lane> = lanes.into_iter().filter(|lane| !lane.spans.is_empty()).collect();
    Figure::Timeline {
        title: format!("{} compaction: the runs in each level", store.policy.name()),
        unit: "writes".to_string(),
        lanes,
        steps,
    }
}

const KEYS: &[&str] = &["writes", "keys", "memtable", "policy", "ratio", "l0", "bloom_bits", "reads", "seed"];

pub fn parse(input: &str) -> Result<Config, InputError> {
    let params = Params::parse(input, KEYS)?;
    let writes = params.number_or("writes", 1, MAX_WRITES, 60_000)?;
    let memtable: usize = params.number_or("memtable", 10, 100_000, 350)?;
    if writes.div_ceil(memtable as u64) > MAX_FLUSHES {
        let line = params.one("memtable")?.or(params.one("writes")?).map(|e| e.line);
        let message = format!(
            "{writes} writes with a flush every {memtable} writes make over {MAX_FLUSHES} flushes: raise `memtable`"
        );
        return Err(match line {
            Some(line) => InputError::at_line(line, message),
            None => InputError::new(message),
        });
    }
    let mut policies = Vec::new();
    match params.one("policy")? {
        None => policies = vec![Policy::Leveled, Policy::Tiered],
        Some(entry) => {
            for word in entry.value.split_whitespace() {
                let policy = [Policy::Leveled, Policy::Tiered]
                    .into_iter()
                    .find(|p| p.name() == word)
                    .ok_or_else(|| {
                        InputError::at_line(
                            entry.line,
                            format!("`{word}` is not a policy (expected `leveled` or `tiered`)"),
                        )
                    })?;
                if !policies.contains(&policy) {
                    policies.push(policy);
                }
            }
            if policies.is_empty() {
                return Err(InputError::at_line(entry.line, "name at least one policy"));
            }
        }
    }
    Ok(Config {
        writes,
        keys: params.number_or("keys", 1, 1_000_000, 20_000)?,
        memtable,
        policies,
        ratio: params.number_or("ratio", 2, 10, 4)?,
        l0: params.number_or("l0", 1, 10, 4)?,
        bloom_bits: params.number_or("bloom_bits", 0, 20, 10)?,
        reads: params.number_or("reads", 0, 20_000, 2_000)?,
        seed: params.number_or("seed", 0, u64::MAX, 7)?,
    })
}

// ANCHOR: example
fn run(input: &str) -> Result<Drawn, InputError> {
    let config = parse(input)?;
    let outcomes: Vec<Outcome> = config.policies.iter().map(|&policy| simulate(&config, policy)).collect();
    let text = report(&config, &outcomes);
    Ok(Drawn { text, figure: draw(&outcomes[0], config.writes) })
}
// ANCHOR_END: example

#[cfg(test)]
mod tests {
    use super::*;

    fn config(writes: u64, keys: u64, memtable: usize, policy: Policy, ratio: usize) -> Config {
        Config {
            writes,
            keys,
            memtable,
            policies: vec![policy],
            ratio,
            l0: 4,
            bloom_bits: 10,
            reads: 1_000,
            seed: 1,
        }
    }

    /// The hand counts below assume every write is a new key: 200 keys drawn from a million
    /// rarely repeat, and this checks that they did not.
    fn distinct(outcome: &Outcome, writes: u64) {
        assert_eq!(outcome.live, writes, "the hand count assumes no key repeats");
    }

    #[test]
    fn merge_keeps_the_newest_version() {
        let old = SortedRun::new(vec![(1, 1), (2, 2), (5, 3)]);
        let new = SortedRun::new(vec![(2, 7), (3, 8)]);
        assert_eq!(merge(&[old, new]), [(1, 1), (2, 7), (3, 8), (5, 3)]);
    }

    #[test]
    fn leveled_write_amplification_by_hand() {
        // 4 flushes of 50 entries (200 written), then L0's 4 runs merge into L1: 200 more.
        let outcome = simulate(&config(200, 1_000_000, 50, Policy::Leveled, 4), Policy::Leveled);
        distinct(&outcome, 200);
        assert_eq!((outcome.store.flushed, outcome.store.compacted), (200, 200));
        assert_eq!(outcome.runs, 1);
    }

    #[test]
    fn tiered_write_amplification_by_hand() {
        // Ratio 2, 4 flushes of 50: after flush 2, L0's two runs → one L1 run (100); after flush
        // 4, again (100), and L1's two runs → one L2 run (200). Flushed 200, compacted 400.
        let outcome = simulate(&config(200, 1_000_000, 50, Policy::Tiered, 2), Policy::Tiered);
        distinct(&outcome, 200);
        assert_eq!((outcome.store.flushed, outcome.store.compacted), (200, 400));
        assert_eq!(outcome.store.levels.iter().map(Vec::len).collect::<Vec<_>>(), [0, 0, 1]);
    }

    #[test]
    fn leveled_writes_more_and_tiered_reads_and_keeps_more() {
        let config = parse(DEFAULT_INPUT).unwrap();
        let leveled = simulate(&config, Policy::Leveled);
        let tiered = simulate(&config, Policy::Tiered);
        let wa = |o: &Outcome| (o.store.flushed + o.store.compacted) * 100 / config.writes;
        assert!(wa(&leveled) > wa(&tiered), "{} vs {}", wa(&leveled), wa(&tiered));
        assert!(leveled.on_disk * tiered.live < tiered.on_disk * leveled.live, "space amp");
        assert!(leveled.runs < tiered.runs);
        // Without filters an absent key costs a read per run whose range covers it; with 10-bit
        // filters about 1% of those.
        for o in [&leveled, &tiered] {
            assert!(o.reads[3] >= 100 && o.reads[2] * 20 < o.reads[3], "{:?}", o.reads);
            // A present key costs about one read with filters (less when the memtable has it),
            // more without them: every newer run that covers it is read first.
            assert!((90..=110).contains(&o.reads[0]) && o.reads[0] < o.reads[1], "{:?}", o.reads);
        }
    }

    #[test]
    fn every_written_key_is_found_and_absent_ones_are_not() {
        let config = config(20_000, 3_000, 300, Policy::Tiered, 3);
        for policy in [Policy::Leveled, Policy::Tiered] {
            let outcome = simulate(&config, policy);
            let store = &outcome.store;
            let find = |key: u64| {
                store.memtable.binary_search_by_key(&key, |&(k, _)| k).is_ok()
                    || store.levels.iter().flatten().any(|run| run.contains(key))
            };
            let mut rng = Rng::new(config.seed);
            for _ in 0..config.writes {
                let key = rng.range(0, config.keys - 1) * 2;
                assert!(find(key));
                assert!(!find(key + 1));
            }
        }
    }

    #[test]
    fn the_default_run_draws() {
        let drawn = run(DEFAULT_INPUT).unwrap();
        drawn.figure.validate().unwrap();
        assert!(drawn.text.contains("leveled") && drawn.text.contains("tiered"), "{}", drawn.text);
    }

    #[test]
    fn too_many_flushes_is_refused_at_the_memtable_line() {
        let error = parse("writes = 200000\nmemtable = 10").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert_eq!(parse("policy = btree").unwrap_err().line, Some(1));
    }
}
