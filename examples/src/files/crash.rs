//! A crash-consistency explorer: which on-disk states can a crash leave behind, and what do
//! `fsck` or journal replay make of them?
//!
//! An update (appending a block to a file, or replacing a file with write-temp-then-rename)
//! is a handful of block writes. The file system issues them in an order that depends on its
//! journaling mode; the disk may make issued writes durable in any order, except that a
//! **flush** (what `fsync` and a journal commit ask for) returns only when everything issued
//! before it is durable. So a crash after the first `c` items leaves for sure every write
//! issued before the last completed flush, and any subset of the writes issued after it. The
//! explorer enumerates those subsets, recovers each (replaying every journal transaction whose
//! commit block survived, then the repairs `fsck` would make), and says what the file looks
//! like: old, new, or something else. An update is crash-atomic at a crash point when every
//! possible state recovers to old or new.
//!
//! The model is in the spirit of OSTEP chapter 42 (the data block, inode and bitmap of an
//! append) and is deliberately small: one block per structure, a journal that writes its
//! contents, flushes, then writes its commit block (no checksummed asynchronous commit), and
//! delayed allocation as "the allocation goes to a later transaction".

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;
use crate::yes;

pub const EXAMPLE: Example = Example {
    id: "files::crash",
    title: "Crash consistency: every disk state a crash can leave, and what recovery makes of it",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`scenario = append | replace`, `journal = none | ordered | writeback | data`, \
                 `fsync = yes | no` (append: fsync the file; replace: fsync the temporary file before \
                 the rename and the directory after it), `delalloc = yes | no` (delayed allocation; \
                 not with `journal = data`), `auto_da_alloc = yes | no` (ext4's heuristic: a rename over \
                 an existing file puts the allocation in the rename's transaction), \
                 `crash = N` (after the first N issued items) or `crash = every`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// A generated setup and crash point, with its answer hidden behind the marker.
pub const PREDICT: Example = Example {
    id: "files::crash_predict",
    title: "Predict, then reveal: what can this crash leave on disk?",
    file: file!(),
    default_input: "seed = 5\n",
    input_help: "`seed = N`: every seed generates another update, journal mode and crash point",
    runs: Runs::Everywhere,
    run: Run::Text(run_predict),
};

const DEFAULT_INPUT: &str = "\
# Replace a file by writing a temporary file and renaming it over the old one,
# without fsync, on ext4 as of 2.6.28-29 (data=ordered, delayed allocation), or
# today's ext4 mounted with noauto_da_alloc: the 2009 zero-length-file story.
# Try fsync = yes, delalloc = no, or auto_da_alloc = yes.
scenario = replace
journal = ordered
delalloc = yes
auto_da_alloc = no
fsync = no
crash = every
";

// ANCHOR: model
/// What the update changes, one block each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// Append: the new data block.
    D,
    /// Append: the inode, with the new size and a pointer to D.
    I,
    /// Append: the free-space bitmap, with D marked in use.
    B,
    /// Replace: the temporary file's data block.
    N,
    /// Replace: the temporary file's inode, created empty (and its name in the directory).
    T0,
    /// Replace: the temporary file's inode with its size and a pointer to N (the allocation).
    T,
    /// Replace: the directory block after the rename: the name `f` now means the new inode.
    R,
}

impl Part {
    /// Metadata that delayed allocation postpones until the data is written back.
    fn is_allocation(self) -> bool {
        matches!(self, Part::I | Part::B | Part::T)
    }
    fn describe(self) -> &'static str {
        match self {
            Part::D => "data block (the appended bytes)",
            Part::I => "inode: new size, pointer to D",
            Part::B => "bitmap: D marked in use",
            Part::N => "data block of the temporary file",
            Part::T0 => "temporary file's inode, created empty",
            Part::T => "temporary file's inode: size, pointer to N",
            Part::R => "directory block: `f` renamed to the new inode",
        }
    }
}

/// Where a block write goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Block {
    /// The block's home on disk.
    Place(Part),
    /// A copy in the journal, in transaction `k` (1-based).
    Journal(usize, Part),
    /// Transaction `k`'s commit block: once it is durable, recovery replays the transaction.
    Commit(usize),
}

/// What the file system issues to the disk, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Write(Block),
    /// Returns only when every write issued before it is durable.
    Flush(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    Append,
    Replace,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Journal {
    None,
    Ordered,
    Writeback,
    Data,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    pub scenario: Scenario,
    pub journal: Journal,
    pub fsync: bool,
    pub delalloc: bool,
    /// ext4's `auto_da_alloc` (on by default since 2.6.30): a rename over an existing file
    /// allocates the new file's blocks before the rename's transaction. In this model `f`
    /// always exists, so the heuristic applies to every replace.
    pub auto_da_alloc: bool,
}

/// A group of writes the application makes before it calls fsync (or does not).
struct Group {
    data: Vec<Part>,
    meta: Vec<Part>,
    fsync: Option<&'static str>,
}

fn groups(setup: Setup) -> Vec<Group> {
    let logical = match (setup.scenario, setup.fsync) {
        (Scenario::Append, fsync) => {
            vec![Group {
                data: vec![Part::D],
                meta: vec![Part::I, Part::B],
                fsync: fsync.then_some("fsync(f)"),
            }]
        }
        (Scenario::Replace, true) => vec![
            Group { data: vec![Part::N], meta: vec![Part::T0, Part::T], fsync: Some("fsync(tmp)") },
            Group { data: vec![], meta: vec![Part::R], fsync: Some("fsync(dir)") },
        ],
        (Scenario::Replace, false) => {
            vec![Group { data: vec![Part::N], meta: vec![Part::T0, Part::T, Part::R], fsync: None }]
        }
    };
    // auto_da_alloc: renaming over an existing name starts write-back of the new file first
    // (it does not wait for it), so the allocation joins the rename's transaction, or an
    // earlier one, and data=ordered writes the data before that commit.
    let replace_heuristic = setup.auto_da_alloc && setup.scenario == Scenario::Replace;
    if !setup.delalloc || replace_heuristic {
        return logical;
    }
    // Delayed allocation: without an fsync, the blocks are allocated (and the data written)
    // only at write-back, long after the names were committed.
    let mut split = Vec::new();
    for group in logical {
        if group.fsync.is_some() {
            split.push(group);
            continue;
        }
        let (alloc, names): (Vec<Part>, Vec<Part>) = group.meta.iter().partition(|p| p.is_allocation());
        if !names.is_empty() {
            split.push(Group { data: vec![], meta: names, fsync: None });
        }
        split.push(Group { data: group.data, meta: alloc, fsync: None });
    }
    split
}

/// The writes and flushes the file system issues for `setup`, in order.
pub fn issue(setup: Setup) -> Vec<Item> {
    let mut items = Vec::new();
    let mut txn = 0;
    let place = |parts: &[Part], items: &mut Vec<Item>| {
        items.extend(parts.iter().map(|&p| Item::Write(Block::Place(p))));
    };
    for group in groups(setup) {
        let commit_flush =
            if group.fsync.is_some() { "commit durable (fsync returns)" } else { "commit durable" };
        match setup.journal {
            Journal::None => {
                place(&group.data, &mut items);
                place(&group.meta, &mut items);
                if let Some(why) = group.fsync {
                    items.push(Item::Flush(why));
                }
            }
            Journal::Ordered | Journal::Writeback | Journal::Data => {
                txn += 1;
                // ordered: data in place before the commit; writeback: only if fsync asks;
                // data: the data goes through the journal too.
                let data_first = match setup.journal {
                    Journal::Ordered => true,
                    Journal::Writeback => group.fsync.is_some(),
                    _ => false,
                };
                if data_first {
                    place(&group.data, &mut items);
                }
                let journaled: Vec<Part> = if setup.journal == Journal::Data {
                    group.data.iter().chain(&group.meta).copied().collect()
                } else {
                    group.meta.clone()
                };
                if journaled.is_empty() {
                    if !data_first {
                        place(&group.data, &mut items); // nothing to commit: plain write-back
                    }
                    continue;
                }
                items.extend(journaled.iter().map(|&p| Item::Write(Block::Journal(txn, p))));
                items.push(Item::Flush("journal blocks durable before the commit block"));
                items.push(Item::Write(Block::Commit(txn)));
                items.push(Item::Flush(commit_flush));
                // Checkpoint: the journaled blocks go to their homes, whenever.
                place(&journaled, &mut items);
                if !data_first && setup.journal == Journal::Writeback {
                    place(&group.data, &mut items);
                }
            }
        }
    }
    items
}

/// What the reader of `f` finds after recovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// As before the update.
    Old,
    /// The whole update.
    New,
    /// The new size and block pointer, but the block was never written: old disk contents.
    Garbage,
    /// `f` names the new, empty inode: a zero-length file.
    ZeroLength,
    /// `f` named an inode that was never written; fsck removed the name: the file is gone.
    Lost,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Old => "old",
            Outcome::New => "new",
            Outcome::Garbage => "garbage",
            Outcome::ZeroLength => "zero-length",
            Outcome::Lost => "lost",
        }
    }
}

/// One possible disk state after the crash and what recovery does with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub durable: BTreeSet<Block>,
    /// Transactions whose commit block survived, replayed in order.
    pub replayed: Vec<usize>,
    /// What fsck finds inconsistent and repairs, if anything.
    pub fsck: Option<&'static str>,
    pub outcome: Outcome,
}

/// Every state a crash after the first `crash` items can leave, in a fixed order.
pub fn states(setup: Setup, items: &[Item], crash: usize) -> Vec<State> {
    let issued = &items[..crash.min(items.len())];
    let last_flush = issued.iter().rposition(|item| matches!(item, Item::Flush(_)));
    let writes = |range: &[Item]| -> Vec<Block> {
        range.iter().filter_map(|item| if let Item::Write(b) = item { Some(*b) } else { None }).collect()
    };
    let (sure, maybe) = match last_flush {
        Some(f) => (writes(&issued[..f]), writes(&issued[f + 1..])),
        None => (vec![], writes(issued)),
    };
    (0u32..1 << maybe.len())
        .map(|mask| {
            let mut durable: BTreeSet<Block> = sure.iter().copied().collect();
            durable.extend(maybe.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, b)| *b));
            recover(setup, durable)
        })
        .collect()
}

/// Journal replay, then fsck's repairs, then a look at the file.
fn recover(setup: Setup, durable: BTreeSet<Block>) -> State {
    let mut home: BTreeSet<Part> =
        durable.iter().filter_map(|b| if let Block::Place(p) = b { Some(*p) } else { None }).collect();
    let mut replayed = Vec::new();
    for block in &durable {
        if let Block::Commit(k) = block {
            replayed.push(*k);
            // The flush before the commit block guarantees its contents are durable too.
            home.extend(durable.iter().filter_map(|b| match b {
                Block::Journal(t, p) if t == k => Some(*p),
                _ => None,
            }));
        }
    }
    let has = |p: Part| home.contains(&p);
    let (fsck, outcome) = match setup.scenario {
        Scenario::Append => {
            let fsck = match (has(Part::I), has(Part::B)) {
                (true, false) => Some("the inode points to a block the bitmap calls free: mark it used"),
                (false, true) => Some("a block is marked used but no inode points to it (a leak): free it"),
                _ => None,
            };
            let outcome = match (has(Part::I), has(Part::D)) {
                (false, _) => Outcome::Old,
                (true, true) => Outcome::New,
                (true, false) => Outcome::Garbage,
            };
            (fsck, outcome)
        }
        Scenario::Replace => {
            if !has(Part::R) {
                (None, Outcome::Old)
            } else if has(Part::T) {
                (None, if has(Part::N) { Outcome::New } else { Outcome::Garbage })
            } else if has(Part::T0) {
                (None, Outcome::ZeroLength)
            } else {
                (Some("`f` names an inode that was never initialised: remove the name"), Outcome::Lost)
            }
        }
    };
    State { durable, replayed, fsck, outcome }
}
// ANCHOR_END: model

pub fn block_name(block: Block) -> String {
    match block {
        Block::Place(p) => format!("{p:?}"),
        Block::Journal(k, p) => format!("J{k}:{p:?}"),
        Block::Commit(k) => format!("J{k}:commit"),
    }
}

fn item_text(item: &Item) -> String {
    match item {
        Item::Write(b @ Block::Place(p)) => {
            format!("write {:<10} {}, in place", block_name(*b), p.describe())
        }
        Item::Write(b @ Block::Journal(_, p)) => {
            format!("write {:<10} journal copy of {p:?}", block_name(*b))
        }
        Item::Write(b @ Block::Commit(k)) => {
            format!("write {:<10} commit block of transaction {k}", block_name(*b))
        }
        Item::Flush(why) => format!("flush            {why}"),
    }
}

fn parse_setup(params: &Params) -> Result<Setup, InputError> {
    let scenario = match params.choice_or("scenario", &["append", "replace"], "append")? {
        "append" => Scenario::Append,
        _ => Scenario::Replace,
    };
    let journal = match params.choice_or("journal", &["none", "ordered", "writeback", "data"], "none")? {
        "none" => Journal::None,
        "ordered" => Journal::Ordered,
        "writeback" => Journal::Writeback,
        _ => Journal::Data,
    };
    let fsync = params.choice_or("fsync", &["yes", "no"], "no")? == "yes";
    let delalloc = params.choice_or("delalloc", &["yes", "no"], "no")? == "yes";
    if delalloc && journal == Journal::Data {
        let message = "ext4 disables delayed allocation in data=journal: use delalloc = no";
        return Err(match params.one("delalloc")? {
            Some(entry) => InputError::at_line(entry.line, message),
            None => InputError::new(message),
        });
    }
    let auto_da_alloc = params.choice_or("auto_da_alloc", &["yes", "no"], "no")? == "yes";
    Ok(Setup { scenario, journal, fsync, delalloc, auto_da_alloc })
}

fn describe_setup(setup: Setup) -> String {
    let what = match setup.scenario {
        Scenario::Append => "append one block to file f",
        Scenario::Replace => "replace file f: write f.tmp, then rename f.tmp over f",
    };
    let journal = match setup.journal {
        Journal::None => "no journal (fsck after a crash)",
        Journal::Ordered => "metadata journal, data=ordered",
        Journal::Writeback => "metadata journal, data=writeback",
        Journal::Data => "full journal, data=journal",
    };
    let heuristic = if setup.delalloc && setup.scenario == Scenario::Replace {
        format!("; auto_da_alloc: {}", yes(setup.auto_da_alloc))
    } else {
        String::new()
    };
    format!(
        "update: {what}\nfile system: {journal}; delayed allocation: {}{heuristic}; application calls fsync: {}\n",
        yes(setup.delalloc),
        yes(setup.fsync)
    )
}

fn outcome_counts(states: &[State]) -> String {
    let mut outcomes: Vec<Outcome> = states.iter().map(|s| s.outcome).collect();
    outcomes.sort();
    outcomes.dedup();
    outcomes
        .iter()
        .map(|o| format!("{} {}", o.name(), states.iter().filter(|s| s.outcome == *o).count()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn atomic(states: &[State]) -> bool {
    states.iter().all(|s| matches!(s.outcome, Outcome::Old | Outcome::New))
}

fn detail(setup: Setup, items: &[Item], crash: usize, out: &mut String) {
    let states = states(setup, items, crash);
    let issued = &items[..crash];
    let last_flush = issued.iter().rposition(|item| matches!(item, Item::Flush(_)));
    let _ = writeln!(
        out,
        "crash after item {crash}: {}",
        match last_flush {
            Some(f) => format!("items 1–{} are fenced by the flush at item {}", f, f + 1),
            None => "no flush has completed".to_string(),
        }
    );
    let _ = writeln!(
        out,
        "{} possible disk {}:",
        states.len(),
        if states.len() == 1 { "state" } else { "states" }
    );
    for state in &states {
        let durable: Vec<String> = state.durable.iter().map(|b| block_name(*b)).collect();
        let mut line = format!("  {{{}}}", durable.join(", "));
        if setup.journal != Journal::None {
            line.push_str(&if state.replayed.is_empty() {
                " → no commit block: nothing replayed".to_string()
            } else {
                format!(
                    " → replay {}",
                    state.replayed.iter().map(|k| format!("J{k}")).collect::<Vec<_>>().join(", ")
                )
            });
        }
        if let Some(fix) = state.fsck {
            let _ = write!(line, " → fsck: {fix}");
        }
        let _ = writeln!(out, "{line} → {}", state.outcome.name());
    }
    let _ = writeln!(out, "outcomes: {}", outcome_counts(&states));
    let _ = writeln!(
        out,
        "{}",
        if atomic(&states) {
            "verdict: old or new in every state: atomic at this crash point".to_string()
        } else {
            "verdict: NOT atomic at this crash point".to_string()
        }
    );
}

fn report(setup: Setup, items: &[Item], crash: Option<usize>) -> String {
    let mut out = describe_setup(setup);
    out.push_str("issued to the disk, in order (a flush returns when all writes before it are durable):\n");
    for (i, item) in items.iter().enumerate() {
        let _ = writeln!(out, "{:>3}. {}", i + 1, item_text(item));
    }
    match crash {
        Some(c) => detail(setup, items, c, &mut out),
        None => {
            out.push_str("a crash after each item (0 = before anything is issued):\n");
            let mut bad = Vec::new();
            for c in 0..=items.len() {
                let states = states(setup, items, c);
                let _ = writeln!(
                    out,
                    "  after {c:>2}: {:>3} {}: {}",
                    states.len(),
                    if states.len() == 1 { "state " } else { "states" },
                    outcome_counts(&states)
                );
                if !atomic(&states) {
                    bad.push(c.to_string());
                }
            }
            if bad.is_empty() {
                out.push_str("verdict: atomic at every crash point: the reader sees old or new\n");
            } else {
                let _ = writeln!(
                    out,
                    "verdict: NOT atomic; crash points that can leave something else: {}",
                    bad.join(", ")
                );
            }
        }
    }
    out
}

fn draw(items: &[Item], crash: Option<usize>) -> Figure {
    let end = crash.unwrap_or(items.len());
    let mut lanes: Vec<Lane> = Vec::new();
    let mut flushes = Lane { name: "flushes".into(), spans: vec![] };
    for (i, item) in items[..end].iter().enumerate() {
        let t = i as f64;
        match item {
            Item::Flush(why) => flushes.spans.push(Span {
                start: t,
                end: t + 1.0,
                label: format!("flush: {why}"),
                kind: SpanKind::Overhead,
            }),
            Item::Write(block) => {
                let fence = items[i..end].iter().position(|it| matches!(it, Item::Flush(_))).map(|p| i + p);
                let mut spans =
                    vec![Span { start: t, end: t + 1.0, label: "issued".into(), kind: SpanKind::Busy }];
                match fence {
                    Some(f) => {
                        spans.push(Span {
                            start: t + 1.0,
                            end: f as f64 + 1.0,
                            label: "in the disk's volatile cache".into(),
                            kind: SpanKind::Wait,
                        });
                        spans.push(Span {
                            start: f as f64 + 1.0,
                            end: end as f64 + 1.0,
                            label: "durable".into(),
                            kind: SpanKind::Idle,
                        });
                    }
                    None => {
                        spans.push(Span {
                            start: t + 1.0,
                            end: end as f64,
                            label: "volatile: may or may not survive".into(),
                            kind: SpanKind::Wait,
                        });
                        if crash.is_some() {
                            spans.push(Span {
                                start: end as f64,
                                end: end as f64 + 1.0,
                                label: "survives or is lost".into(),
                                kind: SpanKind::Lost,
                            });
                        }
                    }
                }
                lanes.push(Lane { name: block_name(*block), spans });
            }
        }
    }
    lanes.push(flushes);
    if let Some(c) = crash {
        lanes.push(Lane {
            name: "power".into(),
            spans: vec![Span {
                start: c as f64,
                end: c as f64 + 1.0,
                label: "crash".into(),
                kind: SpanKind::Lost,
            }],
        });
    }
    let steps = Step::at_span_starts(&lanes, "items");
    Figure::Timeline {
        title: "Writes issued, in the disk's cache, and durable".into(),
        unit: "items".into(),
        lanes,
        steps,
    }
}

// ANCHOR: example
fn run(input: &str) -> Result<Drawn, InputError> {
    let params =
        Params::parse(input, &["scenario", "journal", "fsync", "delalloc", "auto_da_alloc", "crash"])?;
    let setup = parse_setup(&params)?;
    let items = issue(setup);
    let crash = match params.one("crash")? {
        None => None,
        Some(entry) if entry.value == "every" => None,
        Some(entry) => Some(entry.number(0, items.len())?),
    };
    Ok(Drawn { text: report(setup, &items, crash), figure: draw(&items, crash) })
}
// ANCHOR_END: example

// ANCHOR: predict
fn run_predict(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["seed"])?;
    let seed = params.number_or("seed", 0u64, u64::MAX, 7)?;
    let mut rng = Rng::new(seed);
    let scenario = if rng.chance(0.5) { Scenario::Append } else { Scenario::Replace };
    let journal =
        [Journal::None, Journal::Ordered, Journal::Writeback, Journal::Data][rng.range(0, 3) as usize];
    let fsync = rng.chance(0.5);
    // ext4 has delayed allocation only with a metadata journal: not in data=journal.
    let delalloc = matches!(journal, Journal::Ordered | Journal::Writeback) && rng.chance(0.5);
    let setup = Setup { scenario, journal, fsync, delalloc, auto_da_alloc: false };
    let items = issue(setup);
    let crash = rng.range(1, items.len() as u64) as usize;
    let mut out = describe_setup(setup);
    out.push_str("issued to the disk, in order (a flush returns when all writes before it are durable):\n");
    for (i, item) in items.iter().enumerate() {
        let _ = writeln!(out, "{:>3}. {}", i + 1, item_text(item));
    }
    let _ = writeln!(
        out,
        "The power fails after item {crash}. Which outcomes can a reader of f find after recovery \
         (old, new, garbage, zero-length, lost)? Is the update atomic at this point?"
    );
    out.push_str(REVEAL_MARKER);
    out.push('\n');
    detail(setup, &items, crash, &mut out);
    Ok(out)
}
// ANCHOR_END: predict

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(scenario: Scenario, journal: Journal, fsync: bool, delalloc: bool) -> Setup {
        Setup { scenario, journal, fsync, delalloc, auto_da_alloc: false }
    }

    fn outcomes(setup: Setup, crash: usize) -> Vec<Outcome> {
        states(setup, &issue(setup), crash).iter().map(|s| s.outcome).collect()
    }

    fn count(list: &[Outcome], which: Outcome) -> usize {
        list.iter().filter(|o| **o == which).count()
    }

    #[test]
    fn append_without_journal_all_eight_states() {
        // Items: D, I, B, no flush. A crash after all three leaves any subset of {D, I, B}.
        // Enumerated by hand (bit 0 = D, bit 1 = I, bit 2 = B):
        //   {}      old                {B}     old, fsck frees the leaked block
        //   {D}     old (D unreferenced) {D,B}  old, fsck frees the leaked block
        //   {I}     garbage, fsck marks D used   {I,B}  garbage: consistent metadata, nothing notices
        //   {D,I}   new, fsck marks D used       {D,I,B} new
        // So: old 4, new 2, garbage 2; fsck repairs 4 of the 8, and the 2 garbage files are
        // garbage it cannot detect (it repairs the metadata of {I}, not the contents).
        let s = setup(Scenario::Append, Journal::None, false, false);
        let items = issue(s);
        assert_eq!(
            items,
            vec![
                Item::Write(Block::Place(Part::D)),
                Item::Write(Block::Place(Part::I)),
                Item::Write(Block::Place(Part::B))
            ]
        );
        let all = states(s, &items, 3);
        let got: Vec<Outcome> = all.iter().map(|s| s.outcome).collect();
        use Outcome::*;
        assert_eq!(got, vec![Old, Old, Garbage, New, Old, Old, Garbage, New]);
        assert_eq!(all.iter().filter(|s| s.fsck.is_some()).count(), 4);
        assert!(all[6].fsck.is_none(), "{{I, B}} is consistent, so fsck cannot see the garbage");
    }

    #[test]
    fn data_journal_commits_at_the_commit_block() {
        // Items: 1 J1:D, 2 J1:I, 3 J1:B, 4 flush, 5 J1:commit, 6 flush, 7 D, 8 I, 9 B.
        // Crash after 4: the journal copies are durable, no commit: nothing replayed: old.
        // After 5: the commit may or may not be durable: old or new. After 6: replayed: new.
        // After 9: 8 subsets of the checkpoint writes, all replayed to new.
        let s = setup(Scenario::Append, Journal::Data, false, false);
        assert_eq!(issue(s).len(), 9);
        assert_eq!(outcomes(s, 4), vec![Outcome::Old]);
        assert_eq!(outcomes(s, 5), vec![Outcome::Old, Outcome::New]);
        assert_eq!(outcomes(s, 6), vec![Outcome::New]);
        assert_eq!(outcomes(s, 9), vec![Outcome::New; 8]);
    }

    #[test]
    fn ordered_is_atomic_and_writeback_can_expose_garbage() {
        // ordered: 1 D, 2 J1:I, 3 J1:B, 4 flush, 5 J1:commit, 6 flush, 7 I, 8 B.
        // After 3: no commit can be durable: 8 states, all old. After 5: old or new.
        let ordered = setup(Scenario::Append, Journal::Ordered, false, false);
        assert_eq!(outcomes(ordered, 3), vec![Outcome::Old; 8]);
        assert_eq!(outcomes(ordered, 5), vec![Outcome::Old, Outcome::New]);
        // writeback: 1 J1:I, 2 J1:B, 3 flush, 4 J1:commit, 5 flush, 6 I, 7 B, 8 D.
        // After 5 the transaction is committed but D was never issued: garbage, and only that.
        // After 8: D is in 4 of the 8 subsets of {I, B, D}: new 4, garbage 4.
        let writeback = setup(Scenario::Append, Journal::Writeback, false, false);
        assert_eq!(outcomes(writeback, 5), vec![Outcome::Garbage]);
        let after8 = outcomes(writeback, 8);
        assert_eq!((count(&after8, Outcome::New), count(&after8, Outcome::Garbage)), (4, 4));
        // With fsync, writeback writes the data before the commit, like ordered.
        let synced = setup(Scenario::Append, Journal::Writeback, true, false);
        for crash in 0..=issue(synced).len() {
            assert!(atomic(&states(synced, &issue(synced), crash)), "crash {crash}");
        }
    }

    #[test]
    fn rename_without_fsync_or_journal_can_lose_the_file() {
        // Items: N, T0, T, R, no flush; after 4, any subset of 4 writes (16 states):
        //   without R (8): old; with R and T (4): new if N (2) else garbage (2);
        //   with R, no T, T0 (2): zero-length; with R alone or R+N (2): lost after fsck.
        let s = setup(Scenario::Replace, Journal::None, false, false);
        let got = outcomes(s, 4);
        assert_eq!(got.len(), 16);
        assert_eq!(
            [Outcome::Old, Outcome::New, Outcome::Garbage, Outcome::ZeroLength, Outcome::Lost]
                .map(|o| count(&got, o)),
            [8, 2, 2, 2, 2]
        );
    }

    #[test]
    fn delayed_allocation_gives_the_2009_zero_length_file() {
        // Items: 1 J1:T0, 2 J1:R, 3 flush, 4 J1:commit, 5 flush, 6 T0, 7 R,
        //        8 N, 9 J2:T, 10 flush, 11 J2:commit, 12 flush, 13 T.
        // After 5: the rename is committed, the allocation is not: zero-length, only that.
        // After 9: {T0, R, N, J2:T} in any subset (16), T still only in the uncommitted J2:
        // all zero-length. After 11: zero-length or new. After 12: new.
        let s = setup(Scenario::Replace, Journal::Ordered, false, true);
        assert_eq!(issue(s).len(), 13);
        assert_eq!(outcomes(s, 4), vec![Outcome::Old, Outcome::ZeroLength]);
        assert_eq!(outcomes(s, 5), vec![Outcome::ZeroLength]);
        assert_eq!(outcomes(s, 9), vec![Outcome::ZeroLength; 16]);
        assert_eq!(outcomes(s, 11), vec![Outcome::ZeroLength, Outcome::New]);
        assert_eq!(outcomes(s, 12), vec![Outcome::New]);
        // Without delayed allocation (ext3's data=ordered), one transaction carries T and R,
        // and N is written before its commit: atomic.
        let ext3 = setup(Scenario::Replace, Journal::Ordered, false, false);
        for crash in 0..=issue(ext3).len() {
            assert!(atomic(&states(ext3, &issue(ext3), crash)), "crash {crash}");
        }
    }

    #[test]
    fn auto_da_alloc_puts_the_allocation_in_the_renames_transaction() {
        // Items: 1 N, 2 J1:T0, 3 J1:T, 4 J1:R, 5 flush, 6 J1:commit, 7 flush, 8 T0, 9 T, 10 R:
        // the ext3 order. After 4: no commit: 16 states, all old. After 6: sure {N, J1:*},
        // the commit may be durable: old or new. After 7: new. Atomic everywhere.
        let s = Setup { auto_da_alloc: true, ..setup(Scenario::Replace, Journal::Ordered, false, true) };
        let items = issue(s);
        assert_eq!(items.len(), 10);
        assert_eq!(items[0], Item::Write(Block::Place(Part::N)));
        assert_eq!(items[5], Item::Write(Block::Commit(1)));
        assert_eq!(outcomes(s, 4), vec![Outcome::Old; 16]);
        assert_eq!(outcomes(s, 6), vec![Outcome::Old, Outcome::New]);
        assert_eq!(outcomes(s, 7), vec![Outcome::New]);
        for crash in 0..=items.len() {
            assert!(atomic(&states(s, &items, crash)), "crash {crash}");
        }
        // The heuristic is about replacing: an append still splits its allocation off.
        let append = Setup { auto_da_alloc: true, ..setup(Scenario::Append, Journal::Ordered, false, true) };
        assert_eq!(issue(append), issue(setup(Scenario::Append, Journal::Ordered, false, true)));
    }

    #[test]
    fn fsync_then_rename_is_atomic_in_every_mode() {
        for journal in [Journal::None, Journal::Ordered, Journal::Writeback, Journal::Data] {
            for delalloc in [false, true] {
                if delalloc && journal == Journal::Data {
                    continue; // not a combination ext4 allows
                }
                let s = setup(Scenario::Replace, journal, true, delalloc);
                let items = issue(s);
                for crash in 0..=items.len() {
                    assert!(atomic(&states(s, &items, crash)), "{s:?}, crash {crash}");
                }
            }
        }
    }

    #[test]
    fn a_crash_before_anything_is_issued_leaves_the_old_file() {
        for scenario in [Scenario::Append, Scenario::Replace] {
            for journal in [Journal::None, Journal::Ordered, Journal::Writeback, Journal::Data] {
                let s = setup(scenario, journal, false, false);
                assert_eq!(outcomes(s, 0), vec![Outcome::Old]);
            }
        }
    }

    #[test]
    fn the_figure_is_valid_and_input_errors_name_their_line() {
        for input in [
            DEFAULT_INPUT,
            "crash = 3",
            "scenario = replace\njournal = data\ncrash = 7",
            "journal = writeback",
        ] {
            let drawn = run(input).unwrap();
            drawn.figure.validate().unwrap();
        }
        assert_eq!(run("journal = zfs").unwrap_err().line, Some(1));
        assert_eq!(run("scenario = append\ncrash = 99").unwrap_err().line, Some(2));
        let err = run("journal = data\ndelalloc = yes").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("data=journal"), "{}", err.message);
    }

    #[test]
    fn predict_hides_its_answer_and_is_seeded() {
        for seed in 0..40 {
            let input = format!("seed = {seed}");
            let out = run_predict(&input).unwrap();
            assert_eq!(out.lines().filter(|l| *l == REVEAL_MARKER).count(), 1, "{out}");
            assert!(out.split(REVEAL_MARKER).nth(1).unwrap().contains("verdict:"));
            assert_eq!(out, run_predict(&input).unwrap());
            assert!(!out.contains("full journal, data=journal; delayed allocation: yes"), "{out}");
        }
    }
}
