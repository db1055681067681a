//! A pipe as a bounded buffer, simulated tick by tick: writers that produce at a rate, a reader
//! that drains at another, and the kernel's rules for when each blocks (`pipe(7)`):
//!
//! * a `read` takes what is there, up to its size; on an empty pipe it blocks, and once every
//!   writer has closed its end it returns 0 (end of file);
//! * a `write` of at most `PIPE_BUF` bytes is atomic: it waits until all of it fits, then goes
//!   in whole, so no other writer's bytes land in the middle of it;
//! * a larger write puts in what fits and blocks for the rest, so another writer's bytes may
//!   land between its pieces (a *torn* write).
//!
//! Rules, in order, at each tick: the reader acts (if a read is due, or it is blocked); then
//! blocked writers retry in queue order; then writers due to start a write, in input order. A
//! writer that waited and still gets no room keeps its place in the queue; one that got some
//! room and must wait for more goes to the back, behind the others (as a writer that sleeps
//! again joins the back of the kernel's wait queue), and so do writers that start waiting.
//! A writer starts a write every `every` ticks; if one blocks past that, the next starts at the
//! first tick after it completes. Each party makes at most one call per tick, and a writer
//! closes its end as its last write completes.

use std::collections::VecDeque;
use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::{Entry, Params};
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "ipc::pipe",
    title: "A pipe's bounded buffer: when writers and the reader block, and torn writes",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`capacity = BYTES`, `pipe_buf = BYTES`, `ticks = N`, one `writer = X BYTES every N [from T] \
                 [times K]` per writer (X a letter), `reader = BYTES every N [from T]`; or `mode = predict` \
                 with `seed = N` for a generated problem",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// The same simulation on a generated problem, without the drawing (which would give the
/// answer away).
pub const PREDICT: Example = Example {
    id: "ipc::pipe_predict",
    title: "Predict, then reveal: who blocks on this pipe?",
    file: file!(),
    default_input: "mode = predict\nseed = 12\n",
    input_help: "`mode = predict` and `seed = N`: every seed generates another problem",
    runs: Runs::Everywhere,
    run: Run::Text(run_without_figure),
};

const DEFAULT_INPUT: &str = "\
# A 16 KiB pipe (Linux's default is 64 KiB; smaller numbers are easier to follow).
capacity = 16384
pipe_buf = 4096
ticks = 24
# A writes 4 KiB at a time (atomic); B writes 6,000 bytes at a time (more than PIPE_BUF).
writer = A 4096 every 1 times 8
writer = B 6000 every 4 from 1 times 3
# The reader falls behind: it takes at most 4 KiB every 2 ticks, starting at tick 3.
reader = 4096 every 2 from 3
";

pub const MAX_CAPACITY: u64 = 1 << 20;
pub const MAX_TICKS: u32 = 200;
pub const MAX_WRITERS: usize = 4;
/// The most bytes one call may ask for (a write larger than the pipe goes in piece by piece).
pub const MAX_CALL: u64 = 4 * MAX_CAPACITY;

// ANCHOR: types
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    pub name: char,
    /// Bytes per write call.
    pub size: u64,
    pub every: u32,
    pub from: u32,
    /// How many writes; after the last one the writer closes its end. `None`: until the end.
    pub times: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub size: u64,
    pub every: u32,
    pub from: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub capacity: u64,
    pub pipe_buf: u64,
    pub ticks: u32,
    pub writers: Vec<Writer>,
    pub reader: Reader,
}

/// What one party did in one tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    Idle,
    /// Put `bytes` of write number `write` (from 1) into the pipe; `done` when the write
    /// completed, `closes` when that was the writer's last and it closed its end.
    Wrote {
        write: u32,
        bytes: u64,
        done: bool,
        closes: bool,
    },
    /// In a write that cannot go on: `left` bytes of write `write` still to go in.
    WriteBlocked {
        write: u32,
        left: u64,
    },
    Read {
        bytes: u64,
    },
    ReadBlocked,
    EndOfFile,
}

/// Bytes of one write, in the pipe or read: writer index, write number, how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub writer: usize,
    pub write: u32,
    pub bytes: u64,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    /// `acts[party][tick]`: writers first, the reader last.
    pub acts: Vec<Vec<Act>>,
    /// Bytes in the pipe at the end of each tick.
    pub fill: Vec<u64>,
    /// What the reader got, in order (adjacent pieces of one write merged).
    pub stream: Vec<Piece>,
    /// The writes whose bytes reached the reader in more than one piece with another
    /// writer's bytes between them: (writer, write number).
    pub torn: Vec<(usize, u32)>,
}
// ANCHOR_END: types

#[derive(Debug, Clone)]
struct WriterState {
    started: u32,
    /// The write under way: its number and the bytes still to go in.
    current: Option<(u32, u64)>,
    next_due: u32,
    closed: bool,
}

// ANCHOR: example
pub fn simulate(problem: &Problem) -> Outcome {
    let n = problem.writers.len();
    let ticks = problem.ticks as usize;
    let mut acts = vec![vec![Act::Idle; ticks]; n + 1];
    let mut fill = Vec::with_capacity(ticks);
    let mut pipe: VecDeque<Piece> = VecDeque::new();
    let mut buffered = 0u64;
    let mut stream: Vec<Piece> = Vec::new();
    let mut state: Vec<WriterState> = problem
        .writers
        .iter()
        .map(|w| WriterState { started: 0, current: None, next_due: w.from, closed: false })
        .collect();
    let mut blocked_order: VecDeque<usize> = VecDeque::new();
    let mut reader_blocked = false;
    let mut reader_done = false;
    for t in 0..problem.ticks {
        let tick = t as usize;
        // 1. The reader.
        let reader = &problem.reader;
        let due = t >= reader.from && (t - reader.from).is_multiple_of(reader.every);
        if !reader_done && (due || reader_blocked) {
            if buffered > 0 {
                let mut want = reader.size.min(buffered);
                acts[n][tick] = Act::Read { bytes: want };
                buffered -= want;
                while want > 0 {
                    let front = pipe.front_mut().expect("buffered bytes are in pieces");
                    let take = front.bytes.min(want);
                    match stream.last_mut() {
                        Some(last) if last.writer == front.writer && last.write == front.write => {
                            last.bytes += take
                        }
                        _ => stream.push(Piece { bytes: take, ..*front }),
                    }
                    front.bytes -= take;
                    want -= take;
                    if front.bytes == 0 {
                        pipe.pop_front();
                    }
                }
                reader_blocked = false;
            } else if state.iter().all(|s| s.closed) {
                acts[n][tick] = Act::EndOfFile;
                reader_done = true;
            } else {
                acts[n][tick] = Act::ReadBlocked;
                reader_blocked = true;
            }
        }
        // 2. Blocked writers in the order they blocked, then writers starting a write.
        let waiting = blocked_order.len();
        let mut order: Vec<usize> = blocked_order.drain(..).collect();
        let mut moved_back: Vec<usize> = Vec::new();
        for (i, w) in problem.writers.iter().enumerate() {
            let s = &mut state[i];
            if s.current.is_none() && !s.closed && t >= s.next_due {
                s.started += 1;
                s.current = Some((s.started, w.size));
                s.next_due = s.next_due.max(t) + w.every;
                order.push(i);
            }
        }
        for (position, i) in order.into_iter().enumerate() {
            let (write, left) = state[i].current.expect("a writer in the order has a write under way");
            let room = problem.capacity - buffered;
            let atomic = problem.writers[i].size <= problem.pipe_buf;
            let put = if atomic { if room >= left { left } else { 0 } } else { room.min(left) };
            if put > 0 {
                buffered += put;
                match pipe.back_mut() {
                    Some(last) if last.writer == i && last.write == write => last.bytes += put,
                    _ => pipe.push_back(Piece { writer: i, write, bytes: put }),
                }
            }
            if put == left {
                let closes = problem.writers[i].times == Some(write);
                acts[i][tick] = Act::Wrote { write, bytes: put, done: true, closes };
                state[i].current = None;
                state[i].closed = closes;
            } else {
                acts[i][tick] = if put > 0 {
                    Act::Wrote { write, bytes: put, done: false, closes: false }
                } else {
                    Act::WriteBlocked { write, left }
                };
                state[i].current = Some((write, left - put));
                // A writer that waited and got nothing keeps its place in the queue; one that
                // got some room, or has just started waiting, goes to the back.
                if put == 0 && position < waiting {
                    blocked_order.push_back(i);
                } else {
                    moved_back.push(i);
                }
            }
        }
        blocked_order.extend(moved_back);
        fill.push(buffered);
    }
    // A write is torn when its bytes reached the reader as two or more separate pieces.
    let mut torn: Vec<(usize, u32)> = Vec::new();
    let mut seen: Vec<(usize, u32)> = Vec::new();
    for piece in &stream {
        let key = (piece.writer, piece.write);
        if seen.contains(&key) && !torn.contains(&key) {
            torn.push(key);
        }
        seen.push(key);
    }
    torn.sort();
    Outcome { acts, fill, stream, torn }
}
// ANCHOR_END: example

fn run(input: &str) -> Result<Drawn, InputError> {
    let (text, problem, result) = text_for(input)?;
    Ok(Drawn { text, figure: draw(&problem, &result) })
}

fn run_without_figure(input: &str) -> Result<String, InputError> {
    Ok(text_for(input)?.0)
}

fn text_for(input: &str) -> Result<(String, Problem, Outcome), InputError> {
    let params =
        Params::parse(input, &["mode", "seed", "capacity", "pipe_buf", "ticks", "writer", "reader"])?;
    if params.choice_or("mode", &["run", "predict"], "run")? == "predict" {
        for key in ["capacity", "pipe_buf", "ticks", "writer", "reader"] {
            if let Some(entry) = params.all(key).next() {
                return Err(InputError::at_line(
                    entry.line,
                    format!("in predict mode the seed makes the problem: remove `{key}` or set `mode = run`"),
                ));
            }
        }
        let seed = params.number_or("seed", 0, u64::MAX, 1)?;
        let problem = generate(seed);
        let result = simulate(&problem);
        let mut text =
            format!("Predict, then reveal (seed {seed}). The problem, as input for the pipe example:\n\n");
        text.push_str(&to_input(&problem));
        text.push_str(
            "\nBefore you look: at which ticks does each writer block, and for how long? Is any write\n\
             torn? When does the reader first block, and how many bytes does it read in all?\n",
        );
        text.push_str(REVEAL_MARKER);
        text.push('\n');
        text.push_str(&report(&problem, &result));
        return Ok((text, problem, result));
    }
    if let Some(seed) = params.one("seed")? {
        return Err(InputError::at_line(seed.line, "`seed` is used only with `mode = predict`"));
    }
    let problem = parse(&params)?;
    let result = simulate(&problem);
    Ok((report(&problem, &result), problem, result))
}

pub fn parse(params: &Params<'_>) -> Result<Problem, InputError> {
    let capacity = params.number("capacity", 1, MAX_CAPACITY)?;
    let pipe_buf = params.number_or("pipe_buf", 1, MAX_CAPACITY, 4096.min(capacity))?;
    if pipe_buf > capacity {
        let line = params.one("pipe_buf")?.map_or(0, |e| e.line);
        return Err(InputError::at_line(
            line,
            format!(
                "pipe_buf ({pipe_buf}) cannot exceed capacity ({capacity}): an atomic write that never fits would wait forever"
            ),
        ));
    }
    let ticks = params.number_or("ticks", 1, MAX_TICKS, 30)?;
    let mut writers = Vec::new();
    for entry in params.all("writer") {
        if writers.len() == MAX_WRITERS {
            return Err(InputError::at_line(entry.line, format!("at most {MAX_WRITERS} writers")));
        }
        let writer = parse_writer(entry)?;
        if writers.iter().any(|w: &Writer| w.name == writer.name) {
            return Err(InputError::at_line(entry.line, format!("writer {} is given twice", writer.name)));
        }
        writers.push(writer);
    }
    if writers.is_empty() {
        return Err(InputError::new(
            "missing `writer = X BYTES every N …`: a pipe needs at least one writer",
        ));
    }
    let entry = params.one("reader")?.ok_or_else(|| InputError::new("missing `reader = BYTES every N …`"))?;
    let (size, every, from, times) = parse_rate(entry, entry.value)?;
    if times.is_some() {
        return Err(InputError::at_line(
            entry.line,
            "the reader reads until end of file: `times` is for writers",
        ));
    }
    Ok(Problem { capacity, pipe_buf, ticks, writers, reader: Reader { size, every, from } })
}

fn parse_writer(entry: &Entry<'_>) -> Result<Writer, InputError> {
    let (name, rest) = entry.value.split_once(char::is_whitespace).unwrap_or((entry.value, ""));
    let mut letters = name.chars();
    let name = match (letters.next(), letters.next()) {
        (Some(c), None) if c.is_ascii_uppercase() => c,
        _ => {
            return Err(InputError::at_line(
                entry.line,
                format!("a writer's name is one capital letter (`writer = A 4096 every 1`), not `{name}`"),
            ));
        }
    };
    let (size, every, from, times) = parse_rate(entry, rest)?;
    Ok(Writer { name, size, every, from, times })
}

/// `BYTES every N [from T] [times K]`.
fn parse_rate(entry: &Entry<'_>, text: &str) -> Result<(u64, u32, u32, Option<u32>), InputError> {
    let bad = |message: String| InputError::at_line(entry.line, message);
    let words: Vec<&str> = text.split_whitespace().collect();
    let number = |at: usize, what: &str, min: u64, max: u64| -> Result<u64, InputError> {
        let word = words.get(at).ok_or_else(|| bad(format!("missing {what}")))?;
        let n: u64 = word.parse().map_err(|_| bad(format!("`{word}` is not a number ({what})")))?;
        if n < min || n > max {
            return Err(bad(format!("{what} must be {min} to {max}, not {n}")));
        }
        Ok(n)
    };
    let size = number(0, "the bytes per call", 1, MAX_CALL)?;
    if words.get(1) != Some(&"every") {
        return Err(bad(format!("expected `{size} every N`, N the ticks from one call to the next")));
    }
    let every = number(2, "the ticks between calls", 1, MAX_TICKS as u64)? as u32;
    let (mut from, mut times) = (0, None);
    let mut i = 3;
    while i < words.len() {
        match words[i] {
            "from" => from = number(i + 1, "the first tick", 0, MAX_TICKS as u64)? as u32,
            "times" => times = Some(number(i + 1, "the number of writes", 1, 1000)? as u32),
            other => return Err(bad(format!("unexpected `{other}` (expected `from T` or `times K`)"))),
        }
        i += 2;
    }
    Ok((size, every, from, times))
}

/// The problem written back as input (what predict mode prints, and what `parse` accepts).
pub fn to_input(problem: &Problem) -> String {
    let mut out = format!(
        "capacity = {}\npipe_buf = {}\nticks = {}\n",
        problem.capacity, problem.pipe_buf, problem.ticks
    );
    for w in &problem.writers {
        let _ = write!(out, "writer = {} {} every {}", w.name, w.size, w.every);
        if w.from > 0 {
            let _ = write!(out, " from {}", w.from);
        }
        if let Some(k) = w.times {
            let _ = write!(out, " times {k}");
        }
        out.push('\n');
    }
    let r = &problem.reader;
    let _ = write!(out, "reader = {} every {}", r.size, r.every);
    if r.from > 0 {
        let _ = write!(out, " from {}", r.from);
    }
    out.push('\n');
    out
}

fn write_name(problem: &Problem, writer: usize, write: u32) -> String {
    format!("{}{write}", problem.writers[writer].name)
}

/// The tick-by-tick log and the summary.
pub fn report(problem: &Problem, outcome: &Outcome) -> String {
    let n = problem.writers.len();
    let mut out = format!(
        "pipe of {} bytes, PIPE_BUF {}: writes of at most {} bytes are atomic\n\n",
        problem.capacity, problem.pipe_buf, problem.pipe_buf
    );
    out.push_str("tick  pipe after   what happened\n");
    for t in 0..problem.ticks as usize {
        let mut events = Vec::new();
        for (party, acts) in outcome.acts.iter().enumerate() {
            let who = if party == n { "reader".to_string() } else { problem.writers[party].name.to_string() };
            let event = match &acts[t] {
                Act::Idle => continue,
                Act::Wrote { write, bytes, done: true, closes } => {
                    let name = write_name(problem, party, *write);
                    let what = if *bytes == problem.writers[party].size {
                        format!("{who} writes {bytes} ({name})")
                    } else {
                        format!("{who} puts the last {bytes} of {name} in")
                    };
                    if *closes { format!("{what}, closes its end") } else { what }
                }
                Act::Wrote { write, bytes, done: false, .. } => {
                    format!("{who} puts {bytes} of {} in, blocks", write_name(problem, party, *write))
                }
                Act::WriteBlocked { write, left } => {
                    let atomic = problem.writers[party].size <= problem.pipe_buf;
                    let waits = if atomic { "(atomic: waits for room for all of it)" } else { "" };
                    format!("{who} blocked, {left} of {} to go {waits}", write_name(problem, party, *write))
                }
                Act::Read { bytes } => format!("reader reads {bytes}"),
                Act::ReadBlocked => "reader blocked: pipe empty".to_string(),
                Act::EndOfFile => "reader: end of file (every writer closed)".to_string(),
            };
            events.push(event.trim_end().to_string());
        }
        if events.is_empty() {
            continue;
        }
        let fill = outcome.fill[t];
        let state = if fill == problem.capacity {
            " full"
        } else if fill == 0 {
            " empty"
        } else {
            ""
        };
        let after = format!("{fill}{state}");
        for (k, event) in events.iter().enumerate() {
            if k == 0 {
                let _ = writeln!(out, "{t:>4}  {after:<11}  {event}");
            } else {
                let _ = writeln!(out, "{:19}{event}", "");
            }
        }
    }
    out.push_str("\nsummary\n");
    for (i, w) in problem.writers.iter().enumerate() {
        let acts = &outcome.acts[i];
        let done = acts.iter().filter(|a| matches!(a, Act::Wrote { done: true, .. })).count();
        let bytes: u64 = acts.iter().map(|a| if let Act::Wrote { bytes, .. } = a { *bytes } else { 0 }).sum();
        let blocked = acts
            .iter()
            .filter(|a| matches!(a, Act::WriteBlocked { .. } | Act::Wrote { done: false, .. }))
            .count();
        let kind = if w.size <= problem.pipe_buf { "atomic" } else { "larger than PIPE_BUF" };
        let torn: Vec<String> = outcome
            .torn
            .iter()
            .filter(|(wr, _)| *wr == i)
            .map(|(wr, k)| write_name(problem, *wr, *k))
            .collect();
        let torn = if torn.is_empty() { "none".to_string() } else { torn.join(" ") };
        let _ = writeln!(
            out,
            "  writer {} ({} bytes a call, {kind}): {done} writes done, {bytes} bytes in, blocked in {blocked} ticks, torn: {torn}",
            w.name, w.size
        );
    }
    let reader = &outcome.acts[n];
    let read: u64 = reader.iter().map(|a| if let Act::Read { bytes } = a { *bytes } else { 0 }).sum();
    let blocked = reader.iter().filter(|a| matches!(a, Act::ReadBlocked)).count();
    let eof = reader.iter().position(|a| matches!(a, Act::EndOfFile));
    let _ = writeln!(
        out,
        "  reader ({} bytes a call): {read} bytes read, blocked in {blocked} ticks, {}",
        problem.reader.size,
        eof.map_or("no end of file yet".to_string(), |t| format!("end of file at tick {t}"))
    );
    let full = outcome.fill.iter().filter(|&&f| f == problem.capacity).count();
    let _ = writeln!(
        out,
        "  pipe: at most {} bytes, full at the end of {full} ticks, {} bytes left unread",
        outcome.fill.iter().max().unwrap_or(&0),
        outcome.fill.last().unwrap_or(&0)
    );
    let stream: Vec<String> = outcome
        .stream
        .iter()
        .map(|p| {
            let whole = p.bytes == problem.writers[p.writer].size;
            if whole {
                write_name(problem, p.writer, p.write)
            } else {
                format!("{}({})", write_name(problem, p.writer, p.write), p.bytes)
            }
        })
        .collect();
    out.push_str("\nwhat the reader got, in order (A2 = the 2nd write of A; A2(1000) = 1000 bytes of it):\n");
    for line in stream.chunks(12) {
        let _ = writeln!(out, "  {}", line.join(" "));
    }
    out
}

/// One lane per writer and the reader, and one for how full the pipe is.
pub fn draw(problem: &Problem, outcome: &Outcome) -> Figure {
    let n = problem.writers.len();
    let mut lanes = Vec::new();
    for (party, acts) in outcome.acts.iter().enumerate() {
        let name =
            if party == n { "reader".to_string() } else { format!("writer {}", problem.writers[party].name) };
        let spans = merge(acts, |act| match act {
            Act::Idle => None,
            Act::Wrote { write, done: true, .. } => {
                Some((SpanKind::Busy, format!("{} in", write_name(problem, party, *write))))
            }
            Act::Wrote { write, done: false, .. } | Act::WriteBlocked { write, .. } => {
                Some((SpanKind::Wait, format!("{} blocked", write_name(problem, party, *write))))
            }
            Act::Read { .. } => Some((SpanKind::Busy, "read".to_string())),
            Act::ReadBlocked => Some((SpanKind::Wait, "blocked: empty".to_string())),
            Act::EndOfFile => Some((SpanKind::Idle, "end of file".to_string())),
        });
        lanes.push(Lane { name, spans });
    }
    let fill_spans = merge(&outcome.fill, |&fill| {
        let kind = if fill == problem.capacity {
            SpanKind::Wait // full: a writer that needs room waits
        } else if fill == 0 {
            SpanKind::Idle
        } else {
            SpanKind::Busy
        };
        let label = if fill == problem.capacity { format!("{fill} full") } else { fill.to_string() };
        Some((kind, label))
    });
    lanes.push(Lane { name: "bytes in pipe".to_string(), spans: fill_spans });
    let steps = Step::at_span_starts(&lanes, "ticks");
    Figure::Timeline {
        title: "A pipe: writers, reader and the bytes in between".to_string(),
        unit: "ticks".to_string(),
        lanes,
        steps,
    }
}

/// Consecutive ticks with the same label become one span; `None` ticks are left empty.
fn merge<T>(ticks: &[T], label: impl Fn(&T) -> Option<(SpanKind, String)>) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    for (t, tick) in ticks.iter().enumerate() {
        let Some((kind, label)) = label(tick) else { continue };
        match spans.last_mut() {
            Some(last) if last.end == t as f64 && last.kind == kind && last.label == label => last.end += 1.0,
            _ => spans.push(Span { start: t as f64, end: t as f64 + 1.0, label, kind }),
        }
    }
    spans
}

// ANCHOR: predict
/// A small random problem for "predict, then reveal": same seed, same problem, everywhere.
pub fn generate(seed: u64) -> Problem {
    let mut rng = Rng::new(seed);
    let page = 1024;
    let pipe_buf = 2 * page;
    let capacity = page * rng.range(3, 6);
    let writers = (0..2)
        .map(|i| Writer {
            name: (b'A' + i as u8) as char,
            size: page * rng.range(1, 4),
            every: rng.range(1, 3) as u32,
            from: rng.range(0, 2) as u32,
            times: Some(rng.range(2, 4) as u32),
        })
        .collect();
    let reader =
        Reader { size: page * rng.range(1, 2), every: rng.range(1, 2) as u32, from: rng.range(2, 5) as u32 };
    Problem { capacity, pipe_buf, ticks: 20, writers, reader }
}
// ANCHOR_END: predict

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(input: &str) -> (Problem, Outcome) {
        let params = Params::parse(input, &["capacity", "pipe_buf", "ticks", "writer", "reader"]).unwrap();
        let problem = parse(&params).unwrap();
        let outcome = simulate(&problem);
        (problem, outcome)
    }

    #[test]
    fn an_atomic_write_waits_for_room_for_all_of_it() {
        // 3000 fit, then 1000 bytes of room: the second 3000-byte write waits whole.
        let (_, o) = outcome(
            "capacity = 4000\npipe_buf = 4000\nticks = 4\nwriter = A 3000 every 1 times 2\nreader = 1000 every 1 from 2",
        );
        assert_eq!(o.acts[0][0], Act::Wrote { write: 1, bytes: 3000, done: true, closes: false });
        assert_eq!(o.acts[0][1], Act::WriteBlocked { write: 2, left: 3000 });
        // Tick 2: the reader frees 1000, room is 2000 < 3000: still blocked. Tick 3: 3000 fit.
        assert_eq!(o.acts[0][2], Act::WriteBlocked { write: 2, left: 3000 });
        assert_eq!(o.acts[0][3], Act::Wrote { write: 2, bytes: 3000, done: true, closes: true });
        assert!(o.torn.is_empty());
    }

    #[test]
    fn a_large_write_goes_in_piece_by_piece_and_can_be_torn() {
        let (p, o) = outcome(
            "capacity = 4000\npipe_buf = 1000\nticks = 12\nwriter = A 6000 every 20 times 1\nwriter = B 500 every 1 times 3\nreader = 1000 every 1 from 1",
        );
        assert_eq!(o.acts[0][0], Act::Wrote { write: 1, bytes: 4000, done: false, closes: false });
        assert!(o.torn.contains(&(0, 1)), "{}", report(&p, &o));
        let total: u64 = o.stream.iter().map(|piece| piece.bytes).sum();
        assert_eq!(total, 6000 + 1500);
        assert!(report(&p, &o).contains("torn: A1"));
    }

    #[test]
    fn the_reader_blocks_on_empty_and_sees_end_of_file_when_all_writers_close() {
        let (_, o) =
            outcome("capacity = 100\nticks = 6\nwriter = A 10 every 2 from 1 times 1\nreader = 50 every 1");
        assert_eq!(o.acts[1][0], Act::ReadBlocked);
        assert_eq!(o.acts[1][1], Act::ReadBlocked);
        assert_eq!(o.acts[0][1], Act::Wrote { write: 1, bytes: 10, done: true, closes: true });
        assert_eq!(o.acts[1][2], Act::Read { bytes: 10 });
        assert_eq!(o.acts[1][3], Act::EndOfFile);
    }

    #[test]
    fn bad_input_names_its_line() {
        for (input, error) in [
            (
                "capacity = 100\npipe_buf = 200\nwriter = A 1 every 1\nreader = 1 every 1",
                "input line 2: pipe_buf (200) cannot exceed capacity (100)",
            ),
            (
                "capacity = 100\nwriter = a 1 every 1\nreader = 1 every 1",
                "input line 2: a writer's name is one capital letter",
            ),
            ("capacity = 100\nwriter = A 1 each 1\nreader = 1 every 1", "input line 2: expected `1 every N`"),
            (
                "capacity = 100\nwriter = A 5000000 every 1\nreader = 1 every 1",
                "input line 2: the bytes per call must be 1 to 4194304, not 5000000",
            ),
            (
                "capacity = 100\nwriter = A 1 every 1\nwriter = A 2 every 1\nreader = 1 every 1",
                "input line 3: writer A is given twice",
            ),
            (
                "capacity = 100\nwriter = A 1 every 1 times\nreader = 1 every 1",
                "input line 2: missing the number of writes",
            ),
            (
                "capacity = 100\nwriter = A 1 every 1\nreader = 1 every 1 times 2",
                "input line 3: the reader reads until end of file",
            ),
            ("capacity = 100\nreader = 1 every 1", "missing `writer = X BYTES every N …`"),
            ("seed = 3", "input line 1: `seed` is used only with `mode = predict`"),
            ("mode = predict\ncapacity = 100", "input line 2: in predict mode the seed makes the problem"),
        ] {
            let message = run(input).unwrap_err().to_string();
            assert!(message.starts_with(error), "{input:?}: {message}");
        }
    }

    #[test]
    fn predict_mode_is_deterministic_hides_its_answer_and_prints_valid_input() {
        for seed in 0..40 {
            let input = format!("mode = predict\nseed = {seed}");
            let text = run_without_figure(&input).unwrap();
            assert_eq!(text, run_without_figure(&input).unwrap());
            assert_eq!(text.lines().filter(|line| *line == REVEAL_MARKER).count(), 1);
            let problem = generate(seed);
            let input = to_input(&problem);
            let params =
                Params::parse(&input, &["capacity", "pipe_buf", "ticks", "writer", "reader"]).unwrap();
            assert_eq!(parse(&params).unwrap(), problem);
        }
    }

    /// The default input with the line that starts like `change` (for a writer: with its name)
    /// replaced by `change`, as the chapter's "Things to try" suggest.
    fn default_with(change: &str) -> String {
        let (key, value) = change.split_once(" = ").unwrap();
        let writer = value.split_whitespace().next().unwrap();
        DEFAULT_INPUT
            .lines()
            .map(|line| {
                let same_key = line.starts_with(&format!("{key} ="));
                let same_writer = key != "writer" || line.starts_with(&format!("writer = {writer} "));
                if same_key && same_writer { change.to_string() } else { line.to_string() }
            })
            .map(|line| line + "\n")
            .collect()
    }

    #[test]
    fn the_chapter_suggestions_do_what_the_chapter_says() {
        let summary = |input: &str| run_without_figure(input).unwrap();
        let default = summary(DEFAULT_INPUT);
        assert!(
            default.contains(
                "larger than PIPE_BUF): 3 writes done, 18000 bytes in, blocked in 8 ticks, torn: B3"
            ),
            "{default}"
        );
        assert!(default.contains("A1 A2 B1 A3 A4 B2 A5 B3(4384) A6 B3(1616)"), "{default}");
        assert!(default.contains("45056 bytes read"), "{default}");
        // B's writes within PIPE_BUF: nothing torn.
        let atomic_b = summary(&default_with("writer = B 4000 every 4 from 1 times 3"));
        assert_eq!(atomic_b.matches("torn: none").count(), 2, "{atomic_b}");
        // A fast reader: the writers never wait, the reader sometimes does, end of file.
        let fast = summary(&default_with("reader = 8192 every 1"));
        assert_eq!(fast.matches("blocked in 0 ticks, torn: none").count(), 2, "{fast}");
        assert!(fast.contains("blocked in 2 ticks, end of file at tick 11"), "{fast}");
        // Linux's 64 KiB: nothing blocks, and the reader still reads what it read before.
        let big = summary(&default_with("capacity = 65536"));
        assert_eq!(big.matches("blocked in 0 ticks").count(), 3, "{big}");
        assert!(big.contains("45056 bytes read") && big.contains("5712 bytes left unread"), "{big}");
        // A larger PIPE_BUF: B's writes wait whole, longer, and are never torn.
        let larger = summary(&default_with("pipe_buf = 8192"));
        assert!(
            larger.contains(
                "(6000 bytes a call, atomic): 3 writes done, 18000 bytes in, blocked in 12 ticks, torn: none"
            ),
            "{larger}"
        );
    }

    #[test]
    fn every_byte_written_is_read_once_in_order_and_figures_validate() {
        let mut rng = Rng::new(11);
        for seed in 0..200 {
            let problem = generate(seed + rng.range(0, 1000));
            let o = simulate(&problem);
            let written: u64 = o.acts[..problem.writers.len()]
                .iter()
                .flatten()
                .map(|a| if let Act::Wrote { bytes, .. } = a { *bytes } else { 0 })
                .sum();
            let read: u64 = o.stream.iter().map(|p| p.bytes).sum();
            assert_eq!(written, read + o.fill.last().unwrap());
            assert!(o.fill.iter().all(|&f| f <= problem.capacity));
            draw(&problem, &o).validate().unwrap();
        }
        let drawn = run(DEFAULT_INPUT).unwrap();
        drawn.figure.validate().unwrap();
    }
}
