//! One shard's write path, drawn: documents arrive into an in-memory buffer and the translog;
//! every `refresh_interval` the buffer becomes a new immutable segment and the searcher reopens
//! (only then are its documents searchable); a delete marks the document in its segment's
//! live-docs (a tombstone) and shows at the next refresh; a simplified tiered merge policy merges
//! `segments_per_tier` segments of one size tier into one, dropping deleted documents; a flush (a
//! Lucene commit) writes the buffer as a segment, makes the segments durable and starts a new
//! translog, but does not reopen the searcher (Elasticsearch's flush refreshes only its internal
//! reader), so what it wrote stays hidden from searches until the next refresh; a crash loses
//! the buffer and every segment since the last commit, and recovery replays the translog.
//!
//! Simplified against Lucene and Elasticsearch: time in whole milliseconds and instant merges;
//! tiers by document count, not bytes, and no floor segment size or 5 GB cap; no search-idle
//! shards; one shard, no replicas.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "search::segments",
    title: "Segments, refresh, merges, translog and flush on one shard",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`duration = ms`, `rate = docs per second`, `refresh_interval = ms` (or -1: off), \
                 `flush_interval = ms` (or -1), `segments_per_tier = 2..10`, then any of \
                 `delete = doc-N at T`, `crash = T`, `refresh = T` (an explicit refresh), `check = doc-N at T`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
duration = 6000
rate = 5
refresh_interval = 1000
flush_interval = 2500
segments_per_tier = 3
delete = doc-3 at 1500
crash = 4200
check = doc-21 at 4300
check = doc-3 at 1800
";

pub const PREDICT: Example = Example {
    id: "search::segments_predict",
    title: "Predict, then reveal: segments and searchability",
    file: file!(),
    default_input: "seed = 7\n",
    input_help: "`seed = N`: a new seeded scenario; predict the number of segments and whether the document is searchable",
    runs: Runs::Everywhere,
    run: Run::Drawn(run_predict),
};

pub const MAX_DURATION: u64 = 60_000;
pub const MAX_DOCS: u64 = 400;
pub const MAX_SEGMENT_LANES: usize = 100;

// ANCHOR: script
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub duration: u64,
    pub rate: u64,
    /// `None`: no scheduled refresh (`refresh_interval: -1`).
    pub refresh_interval: Option<u64>,
    pub flush_interval: Option<u64>,
    pub segments_per_tier: usize,
    pub deletes: Vec<(u32, u64)>,
    pub crashes: Vec<u64>,
    pub refreshes: Vec<u64>,
    pub checks: Vec<(u32, u64)>,
}

/// What happens at one instant, in this order when several fall on the same millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    Index(u32),
    Delete(u32),
    Refresh,
    Flush,
    Crash,
    Check(u32),
    /// A delete of a document not indexed yet (recorded in the trace only).
    Ignored,
}
// ANCHOR_END: script

// ANCHOR: shard
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: u32,
    pub docs: Vec<u32>,
    /// The live-docs bitmap, inverted: documents deleted since the segment was written.
    pub deleted: BTreeSet<u32>,
    pub committed: bool,
    /// Opened by a refresh; a segment written by a flush is hidden until the next one.
    pub searchable: bool,
}

impl Segment {
    pub fn live(&self) -> usize {
        self.docs.len() - self.deleted.len()
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Index(u32),
    Delete(u32),
}

#[derive(Debug, Clone, Default)]
pub struct Shard {
    /// Indexed but not yet in a segment: acknowledged (in the translog), not searchable.
    pub buffer: Vec<u32>,
    /// Deletes not yet visible (applied at the next refresh).
    pub pending_deletes: Vec<u32>,
    pub segments: Vec<Segment>,
    /// What searches see: the live documents as of the last refresh (the searcher's snapshot).
    view: BTreeSet<u32>,
    /// Operations since the last flush, replayed after a crash.
    translog: Vec<Op>,
    /// The segments as of the last commit (what survives a crash).
    commit: Vec<Segment>,
    next_name: u32,
}

impl Shard {
    /// What a search sees: the live documents as of the last refresh.
    pub fn searchable(&self) -> BTreeSet<u32> {
        self.view.clone()
    }

    pub fn index(&mut self, doc: u32) {
        self.buffer.push(doc);
        self.translog.push(Op::Index(doc));
    }

    pub fn delete(&mut self, doc: u32) {
        self.pending_deletes.push(doc);
        self.translog.push(Op::Delete(doc));
    }

    /// Refresh: write the buffer and the pending deletes, then reopen the searcher, so that
    /// every segment and tombstone so far is visible. Returns the new segment's name.
    pub fn refresh(&mut self) -> Option<u32> {
        let created = self.write();
        for segment in &mut self.segments {
            segment.searchable = true;
        }
        self.view = self
            .segments
            .iter()
            .flat_map(|s| s.docs.iter().filter(|d| !s.deleted.contains(d)).copied())
            .collect();
        created
    }

    /// The buffer becomes a segment (if it has documents), not yet searchable, and pending
    /// deletes become tombstones in the segments that hold the documents.
    fn write(&mut self) -> Option<u32> {
        let mut created = None;
        let mut deletes = std::mem::take(&mut self.pending_deletes);
        // A document deleted before it ever reached a segment is simply not written.
        self.buffer.retain(|doc| match deletes.iter().position(|d| d == doc) {
            Some(i) => {
                deletes.remove(i);
                false
            }
            None => true,
        });
        for doc in deletes {
            for segment in &mut self.segments {
                if segment.docs.contains(&doc) {
                    segment.deleted.insert(doc);
                }
            }
        }
        if !self.buffer.is_empty() {
            let name = self.next_name;
            self.next_name += 1;
            self.segments.push(Segment {
                name,
                docs: std::mem::take(&mut self.buffer),
                deleted: BTreeSet::new(),
                committed: false,
                searchable: false,
            });
            created = Some(name);
        }
        created
    }

    /// Flush: the buffer written as a segment, a Lucene commit (every segment fsynced) and a
    /// fresh translog. The searcher is not reopened: Elasticsearch's flush refreshes only its
    /// internal reader, so searches see the new segment at the next scheduled refresh.
    /// Returns the new segment's name.
    pub fn flush(&mut self) -> Option<u32> {
        let created = self.write();
        for segment in &mut self.segments {
            segment.committed = true;
        }
        self.commit = self.segments.clone();
        self.translog.clear();
        created
    }

    /// A crash and recovery: back to the last commit, then the translog replayed and refreshed.
    pub fn crash_and_recover(&mut self) -> usize {
        self.segments = self.commit.clone();
        self.buffer.clear();
        self.pending_deletes.clear();
        let ops = std::mem::take(&mut self.translog);
        let replayed = ops.len();
        for op in ops {
            match op {
                Op::Index(doc) => self.index(doc),
                Op::Delete(doc) => self.delete(doc),
            }
        }
        replayed
    }
}
// ANCHOR_END: shard

// ANCHOR: merge
/// The tier of a segment: ⌊log_m(live docs)⌋ with m = segments per tier (so with m = 3 a tier
/// holds 1–2, 3–8, 9–26 … live documents). A tier holding m or more segments merges its m
/// smallest into one, dropping deleted documents; repeated until no tier is over budget.
pub fn pick_merge(segments: &[Segment], per_tier: usize) -> Option<Vec<u32>> {
    let tier = |s: &Segment| {
        let (mut live, mut t) = (s.live().max(1), 0u32);
        while live >= per_tier {
            live /= per_tier;
            t += 1;
        }
        t
    };
    let mut tiers: BTreeMap<u32, Vec<&Segment>> = BTreeMap::new();
    for segment in segments {
        tiers.entry(tier(segment)).or_default().push(segment);
    }
    let (_, mut members) = tiers.into_iter().find(|(_, members)| members.len() >= per_tier)?;
    members.sort_by_key(|s| (s.live(), s.name));
    Some(members[..per_tier].iter().map(|s| s.name).collect())
}
// ANCHOR_END: merge

impl Shard {
    fn merge(&mut self, names: &[u32]) -> u32 {
        let name = self.next_name;
        self.next_name += 1;
        let mut docs = Vec::new();
        let searchable = self.segments.iter().filter(|s| names.contains(&s.name)).all(|s| s.searchable);
        for segment in self.segments.iter().filter(|s| names.contains(&s.name)) {
            docs.extend(segment.docs.iter().filter(|d| !segment.deleted.contains(d)));
        }
        docs.sort_unstable();
        self.segments.retain(|s| !names.contains(&s.name));
        self.segments.push(Segment { name, docs, deleted: BTreeSet::new(), committed: false, searchable });
        name
    }
}

pub fn parse(input: &str) -> Result<Script, InputError> {
    let params = Params::parse(
        input,
        &[
            "duration",
            "rate",
            "refresh_interval",
            "flush_interval",
            "segments_per_tier",
            "delete",
            "crash",
            "refresh",
            "check",
        ],
    )?;
    let duration = params.number_or("duration", 100u64, MAX_DURATION, 6000)?;
    let rate = params.number_or("rate", 1u64, 100, 5)?;
    if rate * duration / 1000 > MAX_DOCS {
        return Err(InputError::new(format!("rate × duration gives more than {MAX_DOCS} documents")));
    }
    let interval = |key: &str, default: i64| -> Result<Option<u64>, InputError> {
        let value = params.number_or(key, -1i64, MAX_DURATION as i64, default)?;
        match value {
            -1 => Ok(None),
            v if v >= 100 => Ok(Some(v as u64)),
            _ => Err(InputError::at_line(
                params.one(key)?.map_or(0, |e| e.line),
                format!("`{key}` is -1 (off) or at least 100 ms"),
            )),
        }
    };
    let doc_at = |entry: &crate::input::Entry<'_>| -> Result<(u32, u64), InputError> {
        let bad = || InputError::at_line(entry.line, format!("expected `{} = doc-N at T`", entry.key));
        let (doc, at) = entry.value.split_once(" at ").ok_or_else(bad)?;
        let doc = doc.trim().strip_prefix("doc-").ok_or_else(bad)?;
        let doc = crate::input::parse_number(doc, entry.line, 1u32, MAX_DOCS as u32)?;
        let at = crate::input::parse_number(at.trim(), entry.line, 0u64, duration)?;
        Ok((doc, at))
    };
    let times = |key: &str| -> Result<Vec<u64>, InputError> {
        params.all(key).map(|entry| entry.number(0u64, duration)).collect()
    };
    let script = Script {
        duration,
        rate,
        refresh_interval: interval("refresh_interval", 1000)?,
        flush_interval: interval("flush_interval", -1)?,
        segments_per_tier: params.number_or("segments_per_tier", 2usize, 10, 10)?,
        deletes: params.all("delete").map(doc_at).collect::<Result<_, _>>()?,
        crashes: times("crash")?,
        refreshes: times("refresh")?,
        checks: params.all("check").map(doc_at).collect::<Result<_, _>>()?,
    };
    if script.deletes.len() + script.crashes.len() + script.refreshes.len() + script.checks.len() > 40 {
        return Err(InputError::new("at most 40 deletes, crashes, refreshes and checks in all"));
    }
    Ok(script)
}

/// The run, as data: what the property test and the drawing both read.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub log: Vec<(u64, String)>,
    /// When each document was acknowledged and when it first became searchable.
    pub acked: BTreeMap<u32, u64>,
    pub visible: BTreeMap<u32, u64>,
    pub checks: Vec<(u32, u64, bool)>,
    /// (time, event, searchable set) after every event, in order.
    pub snapshots: Vec<(u64, Event, BTreeSet<u32>)>,
    /// Segment lifetimes, one per lane: (name, born, died, label, opened). `opened` is when a
    /// refresh made it searchable (a flush writes segments hidden). A segment merged away and
    /// then restored from the commit by a crash recovery gets a second lifetime.
    pub segments: Lives,
    pub refreshes: Vec<u64>,
    pub flushes: Vec<u64>,
    pub merges: Vec<(u64, String)>,
    pub crashes: Vec<u64>,
    /// (start, end, docs) of non-empty buffer periods, and the translog's growth.
    pub buffer: Vec<(u64, u64, usize)>,
    pub translog: Vec<(u64, u64, usize)>,
    pub final_segments: Vec<Segment>,
    pub deleted_visible: BTreeMap<u32, u64>,
}

/// Segment lifetimes in the order they began.
#[derive(Debug, Clone, Default)]
pub struct Lives(pub Vec<Life>);

/// One segment's lifetime: (name, born, died, label, opened by a refresh).
pub type Life = (u32, u64, Option<u64>, String, Option<u64>);

impl Lives {
    fn insert(&mut self, name: u32, (born, died, label): (u64, Option<u64>, String), opened: Option<u64>) {
        self.0.push((name, born, died, label, opened));
    }

    /// A refresh at `at` opens every segment alive and not yet searchable.
    fn open_all(&mut self, at: u64) {
        for life in self.0.iter_mut().filter(|life| life.2.is_none() && life.4.is_none()) {
            life.4 = Some(at);
        }
    }

    /// The current lifetime of segment `name`: its `(born, died, label)`.
    fn get_mut(&mut self, name: &u32) -> Option<(&mut u64, &mut Option<u64>)> {
        self.0
            .iter_mut()
            .rev()
            .find(|life| life.0 == *name && life.2.is_none())
            .map(|life| (&mut life.1, &mut life.2))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// ANCHOR: simulate
pub fn simulate(script: &Script) -> Trace {
    let mut events: Vec<(u64, Event)> = Vec::new();
    let gap = 1000 / script.rate;
    let mut doc = 1;
    let mut t = gap;
    while t <= script.duration {
        events.push((t, Event::Index(doc)));
        doc += 1;
        t += gap;
    }
    for every in [script.refresh_interval, script.flush_interval].into_iter().enumerate() {
        if let (kind, Some(every)) = every {
            let mut t = every;
            while t <= script.duration {
                events.push((t, if kind == 0 { Event::Refresh } else { Event::Flush }));
                t += every;
            }
        }
    }
    events.extend(script.refreshes.iter().map(|&t| (t, Event::Refresh)));
    events.extend(script.deletes.iter().map(|&(d, t)| (t, Event::Delete(d))));
    events.extend(script.crashes.iter().map(|&t| (t, Event::Crash)));
    events.extend(script.checks.iter().map(|&(d, t)| (t, Event::Check(d))));
    events.sort();

    let mut shard = Shard::default();
    let mut trace = Trace::default();
    let (mut buffer_since, mut translog_since) = (None::<u64>, None::<u64>);
    let mut pending_visible_deletes: Vec<u32> = Vec::new();
    for (at, mut event) in events {
        let before = (shard.buffer.len(), shard.translog.len());
        match event {
            Event::Index(doc) => {
                shard.index(doc);
                trace.acked.insert(doc, at);
            }
            Event::Delete(doc) => {
                if trace.acked.contains_key(&doc) {
                    shard.delete(doc);
                    pending_visible_deletes.push(doc);
                    trace.log.push((at, format!("delete doc-{doc}: tombstone waits for the next refresh")));
                } else {
                    trace.log.push((at, format!("delete doc-{doc}: not indexed yet, a no-op")));
                    event = Event::Ignored;
                }
            }
            Event::Refresh | Event::Flush => {
                let buffered = shard.buffer.len();
                let written = if event == Event::Refresh { shard.refresh() } else { shard.flush() };
                let what = if event == Event::Refresh { "refresh" } else { "flush" };
                match written {
                    Some(name) => {
                        let seg = shard.segments.last().expect("just made");
                        let opened = seg.searchable.then_some(at);
                        trace.segments.insert(
                            name,
                            (at, None, format!("_{name}: {} docs", seg.docs.len())),
                            opened,
                        );
                        let hidden =
                            if seg.searchable { "" } else { ", hidden from searches until the next refresh" };
                        trace.log.push((
                            at,
                            format!("{what}: buffer ({}) → segment _{name}{hidden}", docs(buffered)),
                        ));
                    }
                    None if event == Event::Refresh => {
                        trace.log.push((at, "refresh: buffer empty, no segment".into()))
                    }
                    None => {}
                }
                if event == Event::Refresh {
                    trace.segments.open_all(at);
                    for doc in shard.searchable() {
                        trace.visible.entry(doc).or_insert(at);
                    }
                    for doc in pending_visible_deletes.drain(..) {
                        trace.deleted_visible.insert(doc, at);
                    }
                }
                while let Some(names) = pick_merge(&shard.segments, script.segments_per_tier) {
                    let merged = shard.merge(&names);
                    let list = names.iter().map(|n| format!("_{n}")).collect::<Vec<_>>().join(" + ");
                    let seg = shard.segments.last().expect("just merged");
                    let (docs, opened) = (seg.docs.len(), seg.searchable.then_some(at));
                    for name in &names {
                        if let Some((_, died)) = trace.segments.get_mut(name) {
                            *died = Some(at);
                        }
                    }
                    trace.segments.insert(merged, (at, None, format!("_{merged}: {docs} docs")), opened);
                    trace.merges.push((at, format!("{list} → _{merged}")));
                    trace.log.push((at, format!("merge {list} → _{merged} ({docs} live docs)")));
                }
                if event == Event::Refresh {
                    trace.refreshes.push(at);
                } else {
                    trace.flushes.push(at);
                    trace.log.push((
                        at,
                        format!("flush: commit {} segments, translog trimmed", shard.segments.len()),
                    ));
                }
            }
            Event::Crash => {
                let alive: BTreeSet<u32> = shard.segments.iter().map(|s| s.name).collect();
                let replayed = shard.crash_and_recover();
                let kept: BTreeSet<u32> = shard.segments.iter().map(|s| s.name).collect();
                for name in alive.difference(&kept) {
                    if let Some((_, died)) = trace.segments.get_mut(name) {
                        *died = Some(at);
                    }
                }
                // Segments of the commit that had been merged away come back from disk.
                for segment in &shard.segments {
                    if !alive.contains(&segment.name) {
                        trace.segments.insert(
                            segment.name,
                            (
                                at,
                                None,
                                format!("_{}: {} docs (from commit)", segment.name, segment.docs.len()),
                            ),
                            None,
                        );
                    }
                }
                trace.crashes.push(at);
                trace.log.push((at, format!(
                    "crash: back to the last commit ({} segments); replay {replayed} translog ops into the buffer",
                    shard.segments.len()
                )));
                // Recovery ends with a refresh.
                if let Some(name) = shard.refresh() {
                    let seg = shard.segments.last().expect("just made");
                    trace.segments.insert(
                        name,
                        (at, None, format!("_{name}: {} docs (replayed)", seg.docs.len())),
                        Some(at),
                    );
                    trace.log.push((at, format!("recovery refresh: replayed docs → segment _{name}")));
                }
                trace.segments.open_all(at);
                for doc in shard.searchable() {
                    trace.visible.entry(doc).or_insert(at);
                }
                for doc in pending_visible_deletes.drain(..) {
                    trace.deleted_visible.insert(doc, at);
                }
            }
            Event::Ignored => {}
            Event::Check(doc) => {
                let found = shard.searchable().contains(&doc);
                trace.checks.push((doc, at, found));
                trace.log.push((
                    at,
                    format!("search for doc-{doc}: {}", if found { "found" } else { "not found" }),
                ));
            }
        }
        // Buffer and translog occupancy, as spans that close when they change.
        let after = (shard.buffer.len(), shard.translog.len());
        for (since, (was, now), spans) in [
            (&mut buffer_since, (before.0, after.0), &mut trace.buffer),
            (&mut translog_since, (before.1, after.1), &mut trace.translog),
        ] {
            if was != now {
                if let Some(start) = since.take()
                    && was > 0
                {
                    spans.push((start, at, was));
                }
                if now > 0 {
                    *since = Some(at);
                }
            }
        }
        trace.snapshots.push((at, event, shard.searchable()));
    }
    for (since, spans, n) in [
        (buffer_since, &mut trace.buffer, shard.buffer.len()),
        (translog_since, &mut trace.translog, shard.translog.len()),
    ] {
        if let (Some(start), true) = (since, n > 0) {
            spans.push((start, script.duration, n));
        }
    }
    trace.final_segments = shard.segments;
    trace
}
// ANCHOR_END: simulate

fn figure(script: &Script, trace: &Trace) -> Result<Figure, InputError> {
    let end = script.duration as f64;
    let mut lanes = vec![
        Lane {
            name: "buffer".into(),
            spans: trace
                .buffer
                .iter()
                .map(|&(s, e, n)| Span {
                    start: s as f64,
                    end: e as f64,
                    label: format!("{n}"),
                    kind: SpanKind::Wait,
                })
                .collect(),
        },
        Lane {
            name: "translog".into(),
            spans: trace
                .translog
                .iter()
                .map(|&(s, e, n)| Span {
                    start: s as f64,
                    end: e as f64,
                    label: format!("{n}"),
                    kind: SpanKind::Wait,
                })
                .collect(),
        },
    ];
    let mut marks = Lane { name: "refresh/flush".into(), spans: vec![] };
    let moments = [
        (&trace.refreshes, "refresh", SpanKind::Overhead),
        (&trace.flushes, "flush", SpanKind::Busy),
        (&trace.crashes, "crash", SpanKind::Lost),
    ];
    for (times, label, kind) in moments {
        marks.spans.extend(times.iter().map(|&at| Span {
            start: at as f64,
            end: at as f64,
            label: label.into(),
            kind,
        }));
    }
    marks.spans.sort_by(|a, b| a.start.total_cmp(&b.start));
    lanes.push(marks);
    if trace.segments.len() > MAX_SEGMENT_LANES {
        return Err(InputError::new(format!(
            "{} segments are too many to draw (at most {MAX_SEGMENT_LANES}): raise refresh_interval or lower the rate",
            trace.segments.len()
        )));
    }
    for (name, born, died, label, opened) in &trace.segments.0 {
        let kind = if died.is_some() { SpanKind::Idle } else { SpanKind::Busy };
        let died = died.map_or(end, |d| d as f64);
        // A segment a flush wrote is hidden from searches until a refresh opens it.
        let shown = opened.map_or(died, |o| (o as f64).min(died));
        let mut spans = Vec::new();
        if shown > *born as f64 {
            spans.push(Span {
                start: *born as f64,
                end: shown,
                label: format!("{label}, hidden"),
                kind: SpanKind::Wait,
            });
        }
        if shown < died || spans.is_empty() {
            spans.push(Span { start: shown, end: died, label: label.clone(), kind });
        }
        lanes.push(Lane { name: format!("segment _{name}"), spans });
    }
    let steps = Step::at_span_starts(&lanes, "ms");
    Ok(Figure::Timeline { title: "One shard's segments over time".into(), unit: "ms".into(), lanes, steps })
}

fn report(trace: &Trace, out: &mut String) {
    for (at, line) in &trace.log {
        let _ = writeln!(out, "t={at:>5} ms  {line}");
    }
    let docs = trace.acked.len();
    let _ =
        writeln!(out, "\n{docs} documents acknowledged; {} segments at the end:", trace.final_segments.len());
    for s in &trace.final_segments {
        let _ = writeln!(
            out,
            "  _{}: {} docs, {} deleted, {}{}",
            s.name,
            s.docs.len(),
            s.deleted.len(),
            if s.committed {
                "committed"
            } else {
                "not yet committed (would be lost by a crash; recoverable from the translog)"
            },
            if s.searchable { "" } else { ", hidden from searches until the next refresh" }
        );
    }
    let lags: Vec<u64> =
        trace.visible.iter().filter_map(|(d, v)| trace.acked.get(d).map(|a| v - a)).collect();
    if let Some(max) = lags.iter().max() {
        let mean = lags.iter().sum::<u64>() as f64 / lags.len() as f64;
        let _ = writeln!(out, "acknowledged → searchable: mean {mean:.0} ms, max {max} ms");
    }
    let never = docs - trace.visible.len();
    if never > 0 {
        let _ = writeln!(
            out,
            "{never} acknowledged docs never became searchable in this run (no refresh after them)"
        );
    }
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let script = parse(input)?;
    let trace = simulate(&script);
    let mut text = String::new();
    report(&trace, &mut text);
    Ok(Drawn { figure: figure(&script, &trace)?, text })
}

// ANCHOR: predict
fn run_predict(input: &str) -> Result<Drawn, InputError> {
    let params = Params::parse(input, &["seed"])?;
    let seed = params.number_or("seed", 0u64, u64::MAX, 7)?;
    let mut rng = Rng::new(seed);
    let refresh = [500, 1000, 2000][rng.range(0, 2) as usize];
    let per_tier = rng.range(2, 4) as usize;
    let rate = rng.range(2, 8);
    let duration = 5000;
    let flush = [None, Some(3000)][rng.range(0, 1) as usize];
    let at = rng.range(1500, 4900);
    let doc = (rate * at / 1000).saturating_sub(rng.range(0, 2)).max(1) as u32;
    let delete_at = rng.range(1000, 2500);
    // A document that has arrived by then (doc-N arrives at N × 1000/rate ms).
    let delete_doc = rng.range(1, (delete_at / (1000 / rate)).max(1)) as u32;
    let script = Script {
        duration,
        rate,
        refresh_interval: Some(refresh),
        flush_interval: flush,
        segments_per_tier: per_tier,
        deletes: vec![(delete_doc, delete_at)],
        crashes: vec![],
        refreshes: vec![],
        checks: vec![(doc, at), (delete_doc, at)],
    };
    let trace = simulate(&script);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "rate = {rate} docs/s (doc-N arrives at N × {} ms), refresh_interval = {refresh} ms, flush_interval = {}, \
         segments_per_tier = {per_tier}\ndelete = doc-{delete_doc} at {delete_at}",
        1000 / rate,
        flush.map_or("off".to_string(), |f| format!("{f} ms"))
    );
    let _ = writeln!(
        text,
        "\nPredict: at t={at} ms, (1) how many segments does the shard have, (2) is doc-{doc} searchable, (3) is doc-{delete_doc}?"
    );
    let _ = writeln!(text, "{REVEAL_MARKER}");
    let segments_then = trace
        .segments
        .0
        .iter()
        .filter(|(_, born, died, _, _)| *born <= at && died.is_none_or(|d| d > at))
        .count();
    let found = |d: u32| trace.checks.iter().find(|c| c.0 == d).is_some_and(|c| c.2);
    let _ = writeln!(
        text,
        "(1) {segments_then} segment{}  (2) doc-{doc}: {}  (3) doc-{delete_doc}: {}\n",
        if segments_then == 1 { "" } else { "s" },
        yes_no(found(doc)),
        yes_no(found(delete_doc))
    );
    report(&trace, &mut text);
    Ok(Drawn { figure: figure(&script, &trace)?, text })
}
// ANCHOR_END: predict

/// `1 doc`, `5 docs`.
fn docs(n: usize) -> String {
    if n == 1 { "1 doc".to_string() } else { format!("{n} docs") }
}

fn yes_no(found: bool) -> &'static str {
    if found { "searchable" } else { "not searchable" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_run_loses_nothing_and_draws() {
        let out = run(DEFAULT_INPUT).unwrap();
        out.figure.validate().unwrap();
        assert!(out.text.contains("search for doc-21"));
    }

    #[test]
    fn predictions_run_for_many_seeds() {
        for seed in 0..200 {
            let out = run_predict(&format!("seed = {seed}")).unwrap();
            out.figure.validate().unwrap();
        }
    }

    /// A flush commits the buffer as a segment but does not open it for search: with refreshes
    /// off, a flushed document stays unsearchable; an explicit refresh shows it.
    #[test]
    fn flush_writes_a_hidden_segment() {
        let input = "duration = 3000\nrate = 2\nrefresh_interval = -1\nflush_interval = 1000\n\
                     check = doc-1 at 1500\nrefresh = 2200\ncheck = doc-1 at 2300\n";
        let trace = simulate(&parse(input).unwrap());
        assert_eq!(trace.checks, vec![(1, 1500, false), (1, 2300, true)]);
        assert_eq!(trace.visible.get(&1), Some(&2200));
        assert!(
            trace.final_segments.iter().any(|s| !s.searchable),
            "the flush at 3000 ms wrote a hidden segment"
        );
    }

    /// For random scripts: every acknowledged document is searchable from the first refresh at
    /// or after its acknowledgement (crashes included, thanks to the translog) until it is
    /// deleted; a deleted document is never returned once its delete has been refreshed; and
    /// nothing is searchable before a refresh (not a flush) has opened it.
    #[test]
    fn property_no_acknowledged_document_is_lost_and_no_deleted_one_returns() {
        for seed in 0..400u64 {
            let mut rng = Rng::new(seed);
            let duration = rng.range(1000, 8000);
            let mut script = Script {
                duration,
                rate: rng.range(1, 20),
                refresh_interval: [None, Some(rng.range(100, 2000))][rng.range(0, 1) as usize],
                flush_interval: [None, Some(rng.range(300, 4000))][rng.range(0, 1) as usize],
                segments_per_tier: rng.range(2, 6) as usize,
                deletes: vec![],
                crashes: vec![],
                refreshes: (0..rng.range(0, 3)).map(|_| rng.range(0, duration)).collect(),
                checks: vec![],
            };
            let docs = (script.rate * duration / 1000) as u32;
            script.deletes = (0..rng.range(0, 4))
                .map(|_| (rng.range(1, u64::from(docs.max(1))) as u32, rng.range(0, duration)))
                .collect();
            script.crashes = (0..rng.range(0, 2)).map(|_| rng.range(0, duration)).collect();
            let trace = simulate(&script);
            // An independent statement of the rules, walked event by event.
            let (mut pending, mut must_see, mut pending_deletes, mut gone) =
                (BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
            for (t, event, visible) in &trace.snapshots {
                match *event {
                    Event::Index(doc) => {
                        pending.insert(doc);
                    }
                    Event::Delete(doc) => {
                        pending_deletes.insert(doc);
                    }
                    // A flush writes and commits but does not reopen the searcher.
                    Event::Refresh | Event::Crash => {
                        must_see.append(&mut pending);
                        for doc in std::mem::take(&mut pending_deletes) {
                            must_see.remove(&doc);
                            gone.insert(doc);
                        }
                    }
                    Event::Flush | Event::Check(_) | Event::Ignored => {}
                }
                assert!(
                    must_see.is_subset(visible),
                    "seed {seed}: lost {:?} at {t}",
                    must_see.difference(visible)
                );
                assert!(
                    gone.is_disjoint(visible),
                    "seed {seed}: deleted {:?} returned at {t}",
                    gone.intersection(visible)
                );
                assert!(
                    visible.is_subset(&must_see),
                    "seed {seed}: {:?} searchable at {t} before any refresh showed them",
                    visible.difference(&must_see)
                );
            }
        }
    }
}
