//! `stream::windows`: event-time windows over out-of-order events, as the Dataflow model and
//! Flink run them. Events arrive in processing-time order; a watermark (the largest event time
//! seen so far minus a fixed delay) says "no event older than this is expected any more". A
//! window fires when the watermark passes its end, stays around for the allowed lateness (a
//! late event then updates it and the result is emitted again), and is dropped after that: an
//! event that arrives later still is dropped and counted as such. The run is compared with a
//! batch computation over the same events by event time.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "stream::windows",
    title: "Windows, a watermark and late events (editable)",
    file: file!(),
    default_input: "window = tumbling\nsize = 10\n# slide = 5      (sliding windows)\n# gap = 4        (session windows)\n\
                    delay = 3\nlateness = 5\n# event = <event time> <arrival time> <value>; delete them all to\n\
                    # generate `count` events with `seed`, arriving up to `disorder` late.\n\
                    event = 1 2 5\nevent = 4 5 3\nevent = 12 13 2\nevent = 7 14 4\nevent = 15 16 1\n\
                    event = 9 18 6\nevent = 23 24 2\nevent = 8 25 7\nevent = 27 28 3\n",
    input_help: "`window = tumbling | sliding | session`; `size = N` (tumbling, sliding), `slide = N` (sliding), \
                 `gap = N` (session); `delay = N`: the watermark trails the largest event time seen by N; \
                 `lateness = N`: a fired window is kept N more units of watermark for late events; \
                 `event = T A V` (event time, arrival time, value), repeated; without events: `seed`, \
                 `count` (1–40), `disorder` (how late an event may arrive)",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

// ANCHOR: model
/// One event: when it happened (event time), when the job saw it (processing time), a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    pub id: usize,
    pub time: i64,
    pub arrival: i64,
    pub value: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Windows {
    Tumbling { size: i64 },
    Sliding { size: i64, slide: i64 },
    Session { gap: i64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub windows: Windows,
    /// The watermark is the largest event time seen minus `delay`.
    pub delay: i64,
    /// How long (in watermark time) a fired window is kept for late events.
    pub lateness: i64,
    pub events: Vec<Event>,
}

/// What happened to an event in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// The window had not fired: counted in its first result.
    OnTime,
    /// Behind the watermark, but its window had not fired yet: still counted on time.
    BehindButOpen,
    /// The window had fired and was within its allowed lateness: counted, the result re-emitted.
    LateUpdate,
    /// The window was gone (watermark past end + lateness): not counted anywhere.
    Dropped,
}

/// A window's life: where it is, which events it counted, when it fired and was dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
    pub events: Vec<usize>,
    pub sum: i64,
    /// Processing time of the first event.
    pub opened: i64,
    /// Processing time and sum of the on-time firing.
    pub fired: Option<(i64, i64)>,
    /// Late firings: processing time, event, new sum.
    pub updates: Vec<(i64, usize, i64)>,
    pub purged: Option<i64>,
}

/// One line of the run's log, in processing-time order.
#[derive(Debug, Clone, PartialEq)]
pub enum Happening {
    /// `reemits`: the windows this late event updated, with their new results.
    Arrived {
        at: i64,
        event: usize,
        fates: Vec<((i64, i64), Fate)>,
        reemits: Vec<((i64, i64), i64)>,
        watermark: Option<i64>,
    },
    /// A window fires: its bounds and result then (a session may still grow later).
    Fired {
        at: i64,
        window: usize,
        bounds: (i64, i64),
        sum: i64,
    },
    Purged {
        at: i64,
        window: usize,
        bounds: (i64, i64),
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub windows: Vec<Window>,
    pub log: Vec<Happening>,
    /// Events that no window counted.
    pub dropped: Vec<usize>,
    /// Processing time at which the input ended (the watermark then jumps to +∞).
    pub end: i64,
}
// ANCHOR_END: model

/// The windows an event at `t` belongs to (sessions: its own `[t, t + gap)`, merged later).
fn assign(windows: Windows, t: i64) -> Vec<(i64, i64)> {
    match windows {
        Windows::Tumbling { size } => {
            let start = t.div_euclid(size) * size;
            vec![(start, start + size)]
        }
        Windows::Sliding { size, slide } => {
            // Every start k·slide with start <= t < start + size, earliest first.
            let last = t.div_euclid(slide) * slide;
            let mut starts = Vec::new();
            let mut s = last;
            while s > t - size {
                starts.push(s);
                s -= slide;
            }
            starts.reverse();
            starts.into_iter().map(|s| (s, s + size)).collect()
        }
        Windows::Session { gap } => vec![(t, t + gap)],
    }
}

// ANCHOR: run
/// Runs the events in arrival order (ties in input order) through the windows.
pub fn simulate(c: &Config) -> Outcome {
    let mut order: Vec<usize> = (0..c.events.len()).collect();
    order.sort_by_key(|&i| (c.events[i].arrival, i));
    let mut windows: Vec<Window> = Vec::new();
    let mut log = Vec::new();
    let mut dropped = Vec::new();
    let mut max_seen: Option<i64> = None;
    let live = |w: &Window| w.purged.is_none();
    for &i in &order {
        let e = c.events[i];
        // The watermark before this event: nothing older than it was expected any more.
        let wm = max_seen.map(|m| m - c.delay);
        let gone = |end: i64| wm.is_some_and(|w| w >= end + c.lateness);
        let mut fates = Vec::new();
        let targets: Vec<usize> = match c.windows {
            Windows::Session { gap } => {
                let (mut start, mut end) = (e.time, e.time + gap);
                let overlapping: Vec<usize> = (0..windows.len())
                    .filter(|&k| live(&windows[k]) && windows[k].start < end && start < windows[k].end)
                    .collect();
                if overlapping.is_empty() && gone(end) {
                    fates.push(((start, end), Fate::Dropped));
                    Vec::new()
                } else {
                    // Merge every live session it touches into the first one.
                    let keep = match overlapping.first() {
                        Some(&k) => k,
                        None => {
                            windows.push(Window {
                                start,
                                end,
                                events: Vec::new(),
                                sum: 0,
                                opened: e.arrival,
                                fired: None,
                                updates: Vec::new(),
                                purged: None,
                            });
                            windows.len() - 1
                        }
                    };
                    for &k in overlapping.iter().skip(1) {
                        let other = std::mem::take(&mut windows[k].events);
                        let sum = std::mem::take(&mut windows[k].sum);
                        windows[k].purged = Some(e.arrival); // merged away
                        windows[keep].events.extend(other);
                        windows[keep].sum += sum;
                        windows[keep].opened = windows[keep].opened.min(windows[k].opened);
                        if windows[keep].fired.is_none() {
                            windows[keep].fired = windows[k].fired;
                        }
                        start = start.min(windows[k].start);
                        end = end.max(windows[k].end);
                    }
                    windows[keep].start = windows[keep].start.min(start);
                    windows[keep].end = windows[keep].end.max(end);
                    vec![keep]
                }
            }
            _ => {
                let mut targets = Vec::new();
                for (start, end) in assign(c.windows, e.time) {
                    if let Some(k) = windows.iter().position(|w| w.start == start && w.end == end) {
                        if live(&windows[k]) {
                            targets.push(k);
                        } else {
                            fates.push(((start, end), Fate::Dropped));
                        }
                    } else if gone(end) {
                        fates.push(((start, end), Fate::Dropped));
                    } else {
                        windows.push(Window {
                            start,
                            end,
                            events: Vec::new(),
                            sum: 0,
                            opened: e.arrival,
                            fired: None,
                            updates: Vec::new(),
                            purged: None,
                        });
                        targets.push(windows.len() - 1);
                    }
                }
                targets
            }
        };
        // ANCHOR: fate
        let mut reemits = Vec::new();
        for k in targets {
            let w = &mut windows[k];
            w.events.push(e.id);
            w.sum += e.value;
            let fate = if w.fired.is_some() {
                w.updates.push((e.arrival, e.id, w.sum));
                reemits.push(((w.start, w.end), w.sum));
                Fate::LateUpdate
            } else if wm.is_some_and(|wm| e.time < wm) {
                Fate::BehindButOpen
            } else {
                Fate::OnTime
            };
            fates.push(((w.start, w.end), fate));
        }
        fates.sort_by_key(|(w, _)| *w);
        if fates.iter().all(|(_, f)| *f == Fate::Dropped) {
            dropped.push(e.id);
        }
        // The watermark advances (never backwards); windows it passes fire, then expire.
        max_seen = Some(max_seen.map_or(e.time, |m| m.max(e.time)));
        let new_wm = max_seen.map(|m| m - c.delay);
        log.push(Happening::Arrived {
            at: e.arrival,
            event: e.id,
            fates,
            reemits,
            watermark: (new_wm != wm).then_some(new_wm.unwrap_or(0)),
        });
        advance(&mut windows, &mut log, new_wm.unwrap_or(i64::MIN), c.lateness, e.arrival);
        // ANCHOR_END: fate
    }
    let end = order.last().map_or(0, |&i| c.events[i].arrival) + 2;
    advance(&mut windows, &mut log, i64::MAX, 0, end);
    Outcome { windows, log, dropped, end }
}

// ANCHOR: advance
/// Fires every live window whose end the watermark `wm` has reached and drops those past
/// their lateness.
fn advance(windows: &mut [Window], log: &mut Vec<Happening>, wm: i64, lateness: i64, at: i64) {
    let mut due: Vec<usize> = (0..windows.len())
        .filter(|&k| windows[k].purged.is_none() && windows[k].fired.is_none() && wm >= windows[k].end)
        .collect();
    due.sort_by_key(|&k| (windows[k].end, windows[k].start));
    for k in due {
        windows[k].fired = Some((at, windows[k].sum));
        log.push(Happening::Fired {
            at,
            window: k,
            bounds: (windows[k].start, windows[k].end),
            sum: windows[k].sum,
        });
    }
    let mut expired: Vec<usize> = (0..windows.len())
        .filter(|&k| windows[k].purged.is_none() && wm.saturating_sub(lateness) >= windows[k].end)
        .collect();
    expired.sort_by_key(|&k| (windows[k].end, windows[k].start));
    for k in expired {
        windows[k].purged = Some(at);
        log.push(Happening::Purged { at, window: k, bounds: (windows[k].start, windows[k].end) });
    }
}
// ANCHOR_END: advance
// ANCHOR_END: run

/// The same windows computed in one batch over all events by event time: what a perfect
/// watermark gives. Sessions: sort by time, cut where the gap to the next is >= `gap`.
pub fn batch(c: &Config) -> BTreeMap<(i64, i64), i64> {
    let mut sums = BTreeMap::new();
    match c.windows {
        Windows::Session { gap } => {
            let mut times: Vec<&Event> = c.events.iter().collect();
            times.sort_by_key(|e| e.time);
            let mut current: Option<(i64, i64, i64)> = None;
            for e in times {
                current = match current {
                    Some((s, end, sum)) if e.time < end => Some((s, end.max(e.time + gap), sum + e.value)),
                    Some((s, end, sum)) => {
                        sums.insert((s, end), sum);
                        Some((e.time, e.time + gap, e.value))
                    }
                    None => Some((e.time, e.time + gap, e.value)),
                };
            }
            if let Some((s, end, sum)) = current {
                sums.insert((s, end), sum);
            }
        }
        w => {
            for e in &c.events {
                for key in assign(w, e.time) {
                    *sums.entry(key).or_insert(0) += e.value;
                }
            }
        }
    }
    sums
}

/// The final result of every window that survived (sessions merged away are not results).
pub fn results(o: &Outcome) -> BTreeMap<(i64, i64), i64> {
    o.windows
        .iter()
        .filter(|w| w.fired.is_some() && !w.events.is_empty())
        .map(|w| ((w.start, w.end), w.sum))
        .collect()
}

/// `count` events with event times spread over about 3 per event, arriving `0..=disorder` late;
/// arrivals are made distinct so the drawing never stacks two.
pub fn generate(seed: u64, count: usize, disorder: i64) -> Vec<Event> {
    let mut rng = Rng::new(seed.wrapping_mul(0x2545_F491).wrapping_add(11));
    let mut t = 0i64;
    let mut events: Vec<Event> = (0..count)
        .map(|id| {
            t += rng.range(0, 5) as i64;
            let late =
                if rng.chance(0.3) { rng.range(0, disorder as u64) as i64 } else { rng.range(0, 1) as i64 };
            Event { id: id + 1, time: t, arrival: t + late.min(disorder), value: rng.range(1, 9) as i64 }
        })
        .collect();
    // Distinct arrival times, keeping the order: bump ties forward.
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| (events[i].arrival, i));
    let mut last = i64::MIN;
    let mut bumped = false;
    for i in order {
        if events[i].arrival <= last {
            events[i].arrival = last + 1;
            bumped = true;
        }
        last = events[i].arrival;
    }
    let _ = bumped;
    events
}

/// The disorder of a list of events: how far behind the largest event time seen so far an event
/// arrives, at most. A watermark delay at least this large is perfect: no event is ever late.
pub fn disorder(events: &[Event]) -> i64 {
    let mut order: Vec<&Event> = events.iter().collect();
    order.sort_by_key(|e| (e.arrival, e.id));
    let mut max_seen = i64::MIN;
    let mut worst = 0;
    for e in order {
        max_seen = max_seen.max(e.time);
        worst = worst.max(max_seen - e.time);
    }
    worst
}

pub fn parse(input: &str) -> Result<Config, InputError> {
    let p = Params::parse(
        input,
        &["window", "size", "slide", "gap", "delay", "lateness", "event", "seed", "count", "disorder"],
    )?;
    let kind = p.choice_or("window", &["tumbling", "sliding", "session"], "tumbling")?;
    let windows = match kind {
        "tumbling" => Windows::Tumbling { size: p.number_or("size", 1, 1_000, 10)? },
        "sliding" => {
            let size = p.number_or("size", 1, 1_000, 10)?;
            let slide = p.number_or("slide", 1, 1_000, 5)?;
            if slide > size {
                return Err(InputError::at_line(
                    p.one("slide")?.map_or(0, |e| e.line),
                    format!(
                        "`slide` ({slide}) is larger than `size` ({size}): some events would be in no window"
                    ),
                ));
            }
            if size / slide > 10 {
                return Err(InputError::new("at most 10 sliding windows per event (size / slide <= 10)"));
            }
            Windows::Sliding { size, slide }
        }
        _ => Windows::Session { gap: p.number_or("gap", 1, 1_000, 4)? },
    };
    let delay = p.number_or("delay", 0, 1_000, 3)?;
    let lateness = p.number_or("lateness", 0, 1_000, 0)?;
    let mut events = Vec::new();
    for entry in p.all("event") {
        let n: Vec<i64> = entry.numbers(0, 10_000)?;
        let [time, arrival, value] = n[..] else {
            return Err(InputError::at_line(entry.line, "`event = <event time> <arrival time> <value>`"));
        };
        if arrival < time {
            return Err(InputError::at_line(
                entry.line,
                format!(
                    "arrives at {arrival}, before it happened ({time}): processing time cannot precede event time here"
                ),
            ));
        }
        if events.len() == 60 {
            return Err(InputError::at_line(entry.line, "at most 60 events"));
        }
        events.push(Event { id: events.len() + 1, time, arrival, value });
    }
    if events.is_empty() {
        let seed = p.number_or("seed", 0, u64::MAX, 1)?;
        let count = p.number_or("count", 1, 40, 12)?;
        let disorder = p.number_or("disorder", 0, 100, 8)?;
        events = generate(seed, count, disorder);
    } else {
        for key in ["seed", "count", "disorder"] {
            if let Some(entry) = p.one(key)? {
                return Err(InputError::at_line(
                    entry.line,
                    format!("`{key}` is for generated events; there are `event` lines"),
                ));
            }
        }
    }
    Ok(Config { windows, delay, lateness, events })
}

pub fn describe(w: Windows) -> String {
    match w {
        Windows::Tumbling { size } => format!("tumbling windows of {size}"),
        Windows::Sliding { size, slide } => format!("sliding windows of {size} every {slide}"),
        Windows::Session { gap } => format!("session windows, gap {gap}"),
    }
}

fn fate_text(f: Fate) -> &'static str {
    match f {
        Fate::OnTime => "on time",
        Fate::BehindButOpen => "behind the watermark, window not fired yet: counted",
        Fate::LateUpdate => "LATE, within lateness: updates the fired window",
        Fate::Dropped => "LATE, past lateness: DROPPED",
    }
}

pub fn span((start, end): (i64, i64)) -> String {
    format!("[{start},{end})")
}

/// The run as text: the log, then each window against the batch answer.
pub fn report(c: &Config, o: &Outcome) -> String {
    let mut out = String::new();
    let ev = |id: usize| c.events[id - 1];
    writeln!(
        out,
        "{}; watermark = max event time seen − {}; allowed lateness {}; {} events (disorder {}).",
        describe(c.windows),
        c.delay,
        c.lateness,
        c.events.len(),
        disorder(&c.events)
    )
    .unwrap();
    for h in &o.log {
        match h {
            Happening::Arrived { at, event, fates, watermark, .. } => {
                let e = ev(*event);
                let what = fates
                    .iter()
                    .map(|(w, f)| format!("{} {}", span(*w), fate_text(*f)))
                    .collect::<Vec<_>>()
                    .join("; ");
                write!(out, "p={at:>3}  e{} (event time {}, value {}): {what}", e.id, e.time, e.value)
                    .unwrap();
                if let Some(w) = watermark {
                    write!(out, "; watermark → {w}").unwrap();
                }
                out.push('\n');
            }
            Happening::Fired { at, bounds, sum, .. } => {
                let at_end = if *at == o.end { " (end of input: watermark → ∞)" } else { "" };
                writeln!(out, "p={at:>3}    fires {} = {sum}{at_end}", span(*bounds)).unwrap();
            }
            Happening::Purged { at, bounds, .. } => {
                if *at != o.end {
                    writeln!(out, "p={at:>3}    {} expires (watermark ≥ end + lateness)", span(*bounds))
                        .unwrap();
                }
            }
        }
        if let Happening::Arrived { reemits, .. } = h {
            for (w, sum) in reemits {
                {
                    writeln!(
                        out,
                        "          re-emits {} = {sum} (an update: the sink must overwrite, not add)",
                        span(*w)
                    )
                    .unwrap();
                }
            }
        }
    }
    let streamed = results(o);
    let batch = batch(c);
    out.push_str("\nwindow      streamed  batch (all events by event time)\n");
    let keys: std::collections::BTreeSet<(i64, i64)> = streamed.keys().chain(batch.keys()).copied().collect();
    for key in keys {
        let s = streamed.get(&key).map_or("—".to_string(), |v| v.to_string());
        let b = batch.get(&key).map_or("—".to_string(), |v| v.to_string());
        let mark = if streamed.get(&key) == batch.get(&key) { "" } else { "   ≠" };
        writeln!(out, "{:<11} {s:>8}  {b:>5}{mark}", span(key)).unwrap();
    }
    if o.dropped.is_empty() {
        out.push_str("No event was dropped: the streamed results equal the batch ones.\n");
    } else {
        let list = o.dropped.iter().map(|id| format!("e{id}")).collect::<Vec<_>>().join(", ");
        writeln!(
            out,
            "Dropped: {list}. A delay of {} (the disorder) would have made no event late; more lateness would have kept them.",
            disorder(&c.events)
        )
        .unwrap();
    }
    out
}

/// The drawing: processing time across; a lane of arrivals, the watermark, one lane per window.
pub fn figure(c: &Config, o: &Outcome) -> Figure {
    let ev = |id: usize| c.events[id - 1];
    let mut arrivals = Lane { name: "arrivals".into(), spans: Vec::new() };
    let mut watermark = Lane { name: "watermark".into(), spans: Vec::new() };
    let mut wm_changes: Vec<(i64, i64)> = Vec::new();
    for h in &o.log {
        if let Happening::Arrived { at, event, fates, watermark, .. } = h {
            let e = ev(*event);
            let kind = if fates.iter().all(|(_, f)| *f == Fate::Dropped) {
                SpanKind::Lost
            } else if fates.iter().any(|(_, f)| *f == Fate::LateUpdate || *f == Fate::Dropped) {
                SpanKind::Overhead
            } else {
                SpanKind::Busy
            };
            arrivals.spans.push(Span {
                start: *at as f64,
                end: *at as f64 + 0.8,
                label: format!("e{} t={}", e.id, e.time),
                kind,
            });
            if let Some(w) = watermark {
                wm_changes.push((*at, *w));
            }
        }
    }
    for (k, (at, w)) in wm_changes.iter().enumerate() {
        let until = wm_changes.get(k + 1).map_or(o.end, |(next, _)| *next);
        watermark.spans.push(Span {
            start: *at as f64,
            end: until as f64,
            label: format!("W={w}"),
            kind: SpanKind::Idle,
        });
    }
    let mut lanes = vec![arrivals, watermark];
    let mut shown: Vec<&Window> =
        o.windows.iter().filter(|w| w.fired.is_some() && !w.events.is_empty()).collect();
    shown.sort_by_key(|w| (w.start, w.end));
    let hidden = shown.len().saturating_sub(12);
    for w in shown.into_iter().take(12) {
        let mut lane = Lane { name: span((w.start, w.end)), spans: Vec::new() };
        let (fired, first) = w.fired.unwrap();
        let purged = w.purged.unwrap_or(o.end);
        lane.spans.push(Span {
            start: w.opened as f64,
            end: fired as f64,
            label: "collecting".into(),
            kind: SpanKind::Wait,
        });
        let mut from = fired;
        let mut label = format!("= {first}");
        let mut kind = SpanKind::Busy;
        for (at, _, sum) in &w.updates {
            lane.spans.push(Span { start: from as f64, end: *at as f64, label, kind });
            from = *at;
            label = format!("late → {sum}");
            kind = SpanKind::Overhead;
        }
        let until = if purged == from { purged as f64 + 0.8 } else { purged as f64 };
        lane.spans.push(Span { start: from as f64, end: until, label, kind });
        lanes.push(lane);
    }
    let steps = Step::at_span_starts(&lanes, "s");
    let mut title = format!(
        "{}, watermark delay {}, lateness {} (processing time →)",
        describe(c.windows),
        c.delay,
        c.lateness
    );
    if hidden > 0 {
        title.push_str(&format!(" (first 12 windows drawn, {hidden} more)"));
    }
    Figure::Timeline { title, unit: "s".into(), lanes, steps }
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let c = parse(input)?;
    let o = simulate(&c);
    Ok(Drawn { text: report(&c, &o), figure: figure(&c, &o) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(seed: u64) -> (Config, i64) {
        let mut rng = Rng::new(seed);
        let disorder_bound = rng.range(0, 12) as i64;
        let events = generate(seed, rng.range(1, 30) as usize, disorder_bound);
        let windows = match rng.range(0, 2) {
            0 => Windows::Tumbling { size: rng.range(1, 12) as i64 },
            1 => {
                let slide = rng.range(1, 6) as i64;
                Windows::Sliding { size: slide * rng.range(1, 4) as i64, slide }
            }
            _ => Windows::Session { gap: rng.range(1, 8) as i64 },
        };
        let real = disorder(&events);
        (Config { windows, delay: 0, lateness: rng.range(0, 6) as i64, events }, real)
    }

    #[test]
    fn a_perfect_watermark_makes_no_event_late_and_matches_the_batch() {
        for seed in 0..3_000 {
            let (mut c, real) = config(seed);
            c.delay = real + (seed % 3) as i64;
            let o = simulate(&c);
            assert!(o.dropped.is_empty(), "seed {seed}: {}", report(&c, &o));
            for h in &o.log {
                if let Happening::Arrived { fates, .. } = h {
                    assert!(fates.iter().all(|(_, f)| *f == Fate::OnTime), "seed {seed}: {}", report(&c, &o));
                }
            }
            assert_eq!(results(&o), batch(&c), "seed {seed}: {}", report(&c, &o));
        }
    }

    #[test]
    fn every_event_counts_at_most_once_per_window_and_drops_only_lose() {
        for seed in 0..3_000 {
            let (mut c, real) = config(seed);
            c.delay = (seed % 4) as i64;
            let o = simulate(&c);
            for w in &o.windows {
                let mut ids = w.events.clone();
                ids.sort();
                ids.dedup();
                assert_eq!(
                    ids.len(),
                    w.events.len(),
                    "seed {seed}: an event twice in {}",
                    span((w.start, w.end))
                );
                let sum: i64 = w.events.iter().map(|&id| c.events[id - 1].value).sum();
                assert_eq!(sum, w.sum, "seed {seed}");
            }
            let streamed: i64 = results(&o).values().sum();
            let whole: i64 = batch(&c).values().sum();
            assert!(streamed <= whole, "seed {seed}");
            if o.dropped.is_empty() && !matches!(c.windows, Windows::Session { .. }) {
                // Tumbling and sliding windows: without a drop, late updates make the results whole.
                let partial = o.log.iter().any(|h| matches!(h, Happening::Arrived { fates, .. } if fates.iter().any(|(_, f)| *f == Fate::Dropped)));
                if !partial {
                    assert_eq!(results(&o), batch(&c), "seed {seed}: {}", report(&c, &o));
                }
            }
            if c.delay >= real {
                assert!(o.dropped.is_empty(), "seed {seed}");
            }
        }
    }

    #[test]
    fn the_default_story() {
        let c = parse(EXAMPLE.default_input).unwrap();
        let text = report(&c, &simulate(&c));
        for claim in [
            "e4 (event time 7, value 4): [0,10) behind the watermark, window not fired yet: counted",
            "fires [0,10) = 12",
            "e6 (event time 9, value 6): [0,10) LATE, within lateness: updates the fired window",
            "re-emits [0,10) = 18",
            "e8 (event time 8, value 7): [0,10) LATE, past lateness: DROPPED",
            "Dropped: e8.",
        ] {
            assert!(text.contains(claim), "expected `{claim}` in:\n{text}");
        }
    }

    #[test]
    fn bad_input_names_the_line() {
        let e = parse("window = sliding\nsize = 4\nslide = 5\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = parse("event = 5 3 1\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = parse("event = 5 3\n").unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
