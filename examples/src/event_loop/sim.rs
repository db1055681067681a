//! A simulation of Node's event loop: timers, the thread pool, I/O completions, `setImmediate`,
//! `process.nextTick` and promise jobs, with CPU-heavy callbacks that hold the one thread.
//!
//! A program is a set of named callbacks (`main` runs first, as the script). Time is counted in
//! ticks of 0.1 ms; every callback costs one tick plus the `cpu` it asks for. The loop follows
//! libuv's `uv_run` and Node's `lib/internal/timers.js`:
//!
//! 1. the script runs; then the `process.nextTick` queue drains, then the promise-job
//!    (microtask) queue, again and again until both are empty. The same drain follows every
//!    callback below;
//! 2. **timers**: Node keeps one list per duration; lists whose expiry has come run in order of
//!    expiry, each list's timers in the order they were set, while `now − start ≥ duration`
//!    (`setTimeout(f, 0)` is a 1 ms timer). A timer set during this phase never runs in it;
//! 3. **poll**: waits in `epoll_wait` (no wait if an immediate is queued) until the next timer
//!    expires or I/O completes, then runs the callbacks of the I/O that has completed;
//! 4. **check**: runs the immediates queued before the phase began (ones they queue wait for the
//!    next iteration);
//! 5. close callbacks (none in this language), then timers (2) again, and round to poll while
//!    anything is pending. Since libuv 1.45 (Node 20) `uv_run` runs timers once before its first
//!    iteration and then at the end of each, after the close callbacks, as here.
//!
//! `fs` work runs on the thread pool (`threadpool` threads, FIFO queue); `net` I/O needs no
//! thread. The simulation also says where real Node's order depends on timing: a 1 ms timer
//! that may or may not have expired when an immediate competes with it (the simulated clock is
//! only a model of real time), and I/O whose duration decides the order: any I/O still in flight
//! while another callback runs, and two operations that complete in the same poll (two `fs`
//! calls on two pool threads finish in whichever order the machine decides).

use std::collections::VecDeque;
use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "event_loop::loop_sim",
    title: "Node's event loop: timers, the thread pool, I/O, immediates, nextTick and promises",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "optional `threadpool = N` first; then callbacks: a line `name:` and under it one statement a line: \
                 `cpu MS`, `timeout MS cb`, `immediate cb`, `nexttick cb`, `promise cb`, `fs MS cb` (thread pool), \
                 `net MS cb` (socket). `main:` runs first",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// Predict, then reveal: a generated program whose order Node defines, as JavaScript.
pub const PREDICT: Example = Example {
    id: "event_loop::order_predict",
    title: "Predict, then reveal: in what order does Node print?",
    file: file!(),
    default_input: "mode = predict\nseed = 3\n",
    input_help: "`mode = predict` and `seed = N`: every seed generates another program",
    runs: Runs::Everywhere,
    run: Run::Text(predict),
};

const DEFAULT_INPUT: &str = "\
# One Node process. `main` is the script; every other block is a callback.
threadpool = 4
main:
  timeout 10 heartbeat
  net 5 request
  fs 3 read_config
  immediate after_main
  promise then_main
  nexttick tick_main
request:
  # a CPU-heavy handler: 30 ms of work on the one JavaScript thread
  cpu 30
  promise respond
read_config:
  timeout 0 retry
  immediate parse
heartbeat:
after_main:
tick_main:
then_main:
respond:
retry:
parse:
";

/// One tick of simulated time is 0.1 ms.
pub const TICKS_PER_MS: u64 = 10;
/// What every callback costs besides its `cpu`.
pub const CALLBACK_COST: u64 = 1;
pub const MAX_MS: u32 = 10_000;
pub const MAX_BLOCKS: usize = 40;
pub const MAX_STATEMENTS: usize = 20;
pub const MAX_THREADPOOL: usize = 16;
/// Runs stop after this many callbacks (a callback that schedules itself keeps a loop alive
/// for ever) or this much simulated time.
pub const MAX_CALLBACKS: usize = 300;
pub const MAX_TICKS: u64 = 600_000;
/// A timer that is this close to expiring (or this close past it, on the model's clock) when an
/// immediate or an I/O callback competes with it is a race in real Node.
const RACE_WINDOW: u64 = 2 * TICKS_PER_MS;

// ANCHOR: types
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub threadpool: usize,
    /// `blocks[0]` is `main`.
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub name: String,
    pub statements: Vec<Statement>,
}

/// What a callback does; `usize` is the index of the callback it schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statement {
    Cpu(u32),
    Timeout(u32, usize),
    Immediate(usize),
    NextTick(usize),
    Promise(usize),
    Fs(u32, usize),
    Net(u32, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Main,
    Timers,
    Poll,
    Check,
    NextTick,
    Microtask,
}
// ANCHOR_END: types

impl Phase {
    fn lane(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Phase::Main => "main",
            Phase::Timers => "timers",
            Phase::Poll => "poll",
            Phase::Check => "check",
            Phase::NextTick => "nextTick",
            Phase::Microtask => "microtasks",
        }
    }
}

/// One callback that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub callback: usize,
    pub phase: Phase,
    pub start: u64,
    pub end: u64,
    /// For a timer: when it was due.
    pub due: Option<u64>,
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct Trace {
    pub ran: Vec<Ran>,
    /// Pool jobs: (thread, start, end, callback).
    pub pool: Vec<(usize, u64, u64, usize)>,
    /// Waits in poll: (start, end).
    pub waits: Vec<(u64, u64)>,
    pub iterations: usize,
    /// Where real Node's order depends on how fast the machine is.
    pub races: Vec<String>,
    /// Whether the order depends on how long some I/O takes (the model knows, Node does not).
    pub depends_on_io_time: bool,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
}

#[derive(Debug, Clone)]
struct Timer {
    callback: usize,
    start: u64,
    /// The model's lower bound on real time when it was set (CPU work and waits only).
    start_floor: u64,
    msecs: u64,
    /// The timers phase during which it was set, if it was.
    set_in_phase: Option<usize>,
}

#[derive(Debug, Clone)]
struct TimerList {
    msecs: u64,
    expiry: u64,
    id: u64,
    timers: VecDeque<Timer>,
}

#[derive(Debug, Clone, Copy)]
struct Io {
    callback: usize,
    done: u64,
    seq: u64,
}

// ANCHOR: example
struct Loop<'p> {
    program: &'p Program,
    now: u64,
    /// A lower bound on the real time that has passed: `cpu` work and waits, not the model's
    /// cost per callback.
    floor: u64,
    lists: Vec<TimerList>,
    next_list_id: u64,
    immediates: VecDeque<usize>,
    ticks: VecDeque<usize>,
    microtasks: VecDeque<usize>,
    io: Vec<Io>,
    io_seq: u64,
    pool_free_at: Vec<u64>,
    timers_phase: Option<usize>,
    phases_run: usize,
    trace: Trace,
}

impl Loop<'_> {
    /// Runs one callback to completion: nothing else can run on this thread meanwhile.
    fn run(&mut self, callback: usize, phase: Phase, due: Option<u64>) {
        if self.trace.stopped.is_some() {
            return;
        }
        if self.trace.ran.len() == MAX_CALLBACKS || self.now > MAX_TICKS {
            self.trace.stopped = Some(format!(
                "stopped after {} callbacks and {} ms: something keeps scheduling work",
                self.trace.ran.len(),
                ms(self.now)
            ));
            return;
        }
        let start = self.now;
        self.now += CALLBACK_COST;
        for statement in &self.program.blocks[callback].statements {
            match *statement {
                Statement::Cpu(ms) => {
                    self.now += u64::from(ms) * TICKS_PER_MS;
                    self.floor += u64::from(ms) * TICKS_PER_MS;
                }
                Statement::Timeout(ms, cb) => self.set_timeout(cb, ms),
                Statement::Immediate(cb) => self.immediates.push_back(cb),
                Statement::NextTick(cb) => self.ticks.push_back(cb),
                Statement::Promise(cb) => self.microtasks.push_back(cb),
                Statement::Fs(ms, cb) => {
                    // libuv's pool: a FIFO queue, the first free thread takes the next job.
                    let (thread, free_at) = (self.pool_free_at.iter().copied().enumerate())
                        .min_by_key(|&(thread, free_at)| (free_at, thread))
                        .expect("the pool has a thread");
                    let begin = free_at.max(self.now);
                    let done = begin + u64::from(ms) * TICKS_PER_MS;
                    self.pool_free_at[thread] = done;
                    self.trace.pool.push((thread, begin, done, cb));
                    self.add_io(cb, done);
                }
                Statement::Net(ms, cb) => self.add_io(cb, self.now + u64::from(ms) * TICKS_PER_MS),
            }
        }
        self.trace.ran.push(Ran { callback, phase, start, end: self.now, due });
    }

    /// After every callback: the nextTick queue drains, then the promise jobs, until both are
    /// empty (Node's `processTicksAndRejections`).
    fn drain_ticks_and_microtasks(&mut self) {
        while !self.ticks.is_empty() || !self.microtasks.is_empty() {
            while let Some(cb) = self.ticks.pop_front() {
                self.run(cb, Phase::NextTick, None);
            }
            while let Some(cb) = self.microtasks.pop_front() {
                self.run(cb, Phase::Microtask, None);
            }
            if self.trace.stopped.is_some() {
                return;
            }
        }
    }

    /// `setTimeout(cb, ms)`: Node files the timer in the list for its duration (0 means 1 ms).
    fn set_timeout(&mut self, callback: usize, ms: u32) {
        let msecs = u64::from(ms.max(1)) * TICKS_PER_MS;
        let timer = Timer {
            callback,
            start: self.now,
            start_floor: self.floor,
            msecs,
            set_in_phase: self.timers_phase,
        };
        match self.lists.iter_mut().find(|list| list.msecs == msecs) {
            Some(list) => list.timers.push_back(timer),
            None => {
                let id = self.next_id();
                self.lists.push(TimerList { msecs, expiry: self.now + msecs, id, timers: [timer].into() });
            }
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_list_id += 1;
        self.next_list_id
    }

    fn add_io(&mut self, callback: usize, done: u64) {
        self.io_seq += 1;
        self.io.push(Io { callback, done, seq: self.io_seq });
    }

    fn alive(&self) -> bool {
        self.trace.stopped.is_none()
            && (!self.lists.is_empty() || !self.immediates.is_empty() || !self.io.is_empty())
    }

    /// The timers phase: Node's `processTimers(now)` and `listOnTimeout`.
    fn timers(&mut self) {
        self.phases_run += 1;
        self.timers_phase = Some(self.phases_run);
        let now = self.now;
        // The list that expires first (the older on a tie), while one has expired.
        while let Some(index) = (0..self.lists.len())
            .min_by_key(|&i| (self.lists[i].expiry, self.lists[i].id))
            .filter(|&i| self.lists[i].expiry <= now)
        {
            // Run this list's timers while they are due; a later one ends the list for now.
            loop {
                let Some(timer) = self.lists[index].timers.front().cloned() else {
                    self.lists.remove(index);
                    break;
                };
                if now < timer.start + timer.msecs {
                    let id = self.next_id();
                    let list = &mut self.lists[index];
                    list.expiry = (timer.start + timer.msecs).max(now + TICKS_PER_MS);
                    list.id = id;
                    break;
                }
                self.lists[index].timers.pop_front();
                self.check_timer_race(&timer, now, true);
                self.note_io_race();
                self.run(timer.callback, Phase::Timers, Some(timer.start + timer.msecs));
                self.drain_ticks_and_microtasks();
                if self.trace.stopped.is_some() {
                    return;
                }
            }
        }
        // Timers that stay pending: a faster or slower machine might have run them now.
        let pending: Vec<Timer> = self.lists.iter().flat_map(|list| list.timers.iter().cloned()).collect();
        for timer in &pending {
            self.check_timer_race(timer, now, false);
        }
        self.timers_phase = None;
    }

    /// The poll phase: wait for I/O or the next timer, then run the I/O callbacks.
    fn poll(&mut self) {
        let next_timer = self.lists.iter().map(|list| list.expiry).min();
        let next_io = self.io.iter().map(|io| io.done).min();
        let wake = match (self.immediates.is_empty(), next_timer, next_io) {
            (false, _, _) => self.now, // an immediate is queued: poll does not block
            (true, Some(t), Some(i)) => t.min(i),
            (true, Some(t), None) => t,
            (true, None, Some(i)) => i,
            (true, None, None) => self.now,
        };
        if wake > self.now {
            self.trace.waits.push((self.now, wake));
            self.floor += wake - self.now;
            self.now = wake;
        }
        let mut ready: Vec<Io> = self.io.iter().copied().filter(|io| io.done <= self.now).collect();
        ready.sort_by_key(|io| (io.done, io.seq));
        self.io.retain(|io| io.done > self.now);
        // Two operations in flight at once (two `fs.stat` calls on two pool threads) finish in
        // whichever order the machine decides: the model's durations are not real ones.
        if ready.len() > 1 {
            self.trace.depends_on_io_time = true;
        }
        for io in ready {
            if !self.lists.is_empty() || !self.immediates.is_empty() || !self.io.is_empty() {
                self.trace.depends_on_io_time = true;
            }
            self.run(io.callback, Phase::Poll, None);
            self.drain_ticks_and_microtasks();
        }
    }

    /// The check phase: the immediates queued before it began.
    fn check(&mut self) {
        let queued = std::mem::take(&mut self.immediates);
        for callback in queued {
            self.note_io_race();
            self.run(callback, Phase::Check, None);
            self.drain_ticks_and_microtasks();
        }
    }

    fn note_io_race(&mut self) {
        if !self.io.is_empty() {
            self.trace.depends_on_io_time = true;
        }
    }
}

/// Runs `program` to the end (or its budget).
pub fn simulate(program: &Program) -> Trace {
    let mut event_loop = Loop {
        program,
        now: 0,
        floor: 0,
        lists: Vec::new(),
        next_list_id: 0,
        immediates: VecDeque::new(),
        ticks: VecDeque::new(),
        microtasks: VecDeque::new(),
        io: Vec::new(),
        io_seq: 0,
        pool_free_at: vec![0; program.threadpool],
        timers_phase: None,
        phases_run: 0,
        trace: Trace {
            ran: Vec::new(),
            pool: Vec::new(),
            waits: Vec::new(),
            iterations: 0,
            races: Vec::new(),
            depends_on_io_time: false,
            stopped: None,
        },
    };
    event_loop.run(0, Phase::Main, None);
    event_loop.drain_ticks_and_microtasks();
    // libuv's uv_run: timers once, then poll, check, close and timers while anything is pending.
    if event_loop.alive() {
        event_loop.timers();
    }
    while event_loop.alive() {
        event_loop.trace.iterations += 1;
        event_loop.poll();
        event_loop.check();
        event_loop.timers();
    }
    event_loop.trace
}
// ANCHOR_END: example

impl Loop<'_> {
    /// Whether the model's clock, not Node, decides when `timer` runs relative to a rival: an
    /// immediate that is queued, or I/O that has completed. `runs` says the timer runs now (the
    /// model found it expired); otherwise it stays pending. It is certainly expired only when at
    /// least its duration + 1 ms of real time has passed (`cpu` work and waits; Node's clock
    /// counts whole milliseconds), and certainly not when it was set in this very timers phase
    /// (Node never runs those in it). Between the two, within [`RACE_WINDOW`], it is a race.
    fn check_timer_race(&mut self, timer: &Timer, now: u64, runs: bool) {
        let ready_io = self.io.iter().any(|io| io.done <= now);
        if self.immediates.is_empty() && !ready_io {
            return;
        }
        let uncertain = if runs {
            self.floor - timer.start_floor < timer.msecs + TICKS_PER_MS
        } else {
            let set_now = timer.set_in_phase.is_some() && timer.set_in_phase == self.timers_phase;
            !set_now && timer.start + timer.msecs <= now + RACE_WINDOW
        };
        if !uncertain {
            return;
        }
        let rival = match self.immediates.front() {
            Some(&cb) => format!("setImmediate `{}`", self.program.blocks[cb].name),
            None => "an I/O callback".to_string(),
        };
        let race = format!(
            "setTimeout `{}` ({} ms) and {rival}: whether the timer has expired when the loop reaches \
             it depends on how fast the process got there",
            self.program.blocks[timer.callback].name,
            timer.msecs / TICKS_PER_MS
        );
        if !self.trace.races.contains(&race) {
            self.trace.races.push(race);
        }
    }
}

fn ms(ticks: u64) -> String {
    format!("{}.{}", ticks / TICKS_PER_MS, ticks % TICKS_PER_MS)
}

// ANCHOR: parse
/// Reads a program: `key = value` settings, then blocks (`name:` and one statement a line).
/// Every error names its line.
pub fn parse(input: &str) -> Result<Program, InputError> {
    let mut threadpool = None;
    // Each block: its name, its line, and its statements as (line, words).
    type Lines<'a> = Vec<(usize, Vec<&'a str>)>;
    let mut blocks: Vec<(String, usize, Lines<'_>)> = Vec::new();
    for (index, raw) in input.lines().enumerate() {
        let line = index + 1;
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if text.contains('=') {
            if !blocks.is_empty() {
                return Err(InputError::at_line(line, "settings (`key = value`) go before the first block"));
            }
            let params =
                Params::parse(text, &["threadpool"]).map_err(|e| InputError::at_line(line, e.message))?;
            if threadpool.is_some() {
                return Err(InputError::at_line(line, "`threadpool` is given twice"));
            }
            let size = params
                .number("threadpool", 1, MAX_THREADPOOL)
                .map_err(|e| InputError::at_line(line, e.message))?;
            threadpool = Some(size);
        } else if let Some(name) = text.strip_suffix(':') {
            let name = name.trim();
            check_name(name, line)?;
            if blocks.iter().any(|(other, _, _)| other == name) {
                return Err(InputError::at_line(line, format!("callback `{name}` is defined twice")));
            }
            if blocks.len() == MAX_BLOCKS {
                return Err(InputError::at_line(line, format!("at most {MAX_BLOCKS} callbacks")));
            }
            blocks.push((name.to_string(), line, Vec::new()));
        } else {
            let Some((name, _, statements)) = blocks.last_mut() else {
                return Err(InputError::at_line(
                    line,
                    "a statement outside a callback: start with a line `main:`",
                ));
            };
            if statements.len() == MAX_STATEMENTS {
                return Err(InputError::at_line(
                    line,
                    format!("`{name}`: at most {MAX_STATEMENTS} statements"),
                ));
            }
            statements.push((line, text.split_whitespace().collect()));
        }
    }
    let Some(main) = blocks.iter().position(|(name, _, _)| name == "main") else {
        return Err(InputError::new("no `main:` block: the script that runs first"));
    };
    blocks.swap(0, main);
    let index_of = |name: &str, line: usize| -> Result<usize, InputError> {
        match blocks.iter().position(|(other, _, _)| other == name) {
            Some(0) => Err(InputError::at_line(
                line,
                "`main` is the script and runs once: schedule another callback",
            )),
            Some(index) => Ok(index),
            None => {
                check_name(name, line)?;
                Err(InputError::at_line(line, format!("no callback named `{name}`: add a block `{name}:`")))
            }
        }
    };
    let mut program = Program { threadpool: threadpool.unwrap_or(4), blocks: Vec::new() };
    for (name, _, statements) in &blocks {
        let mut parsed = Vec::new();
        for (line, words) in statements {
            let line = *line;
            let number = |word: &str| crate::input::parse_number(word, line, 0, MAX_MS);
            let statement = match words.as_slice() {
                ["cpu", ms] => Statement::Cpu(number(ms)?),
                ["timeout", ms, cb] => Statement::Timeout(number(ms)?, index_of(cb, line)?),
                ["immediate", cb] => Statement::Immediate(index_of(cb, line)?),
                ["nexttick", cb] => Statement::NextTick(index_of(cb, line)?),
                ["promise", cb] => Statement::Promise(index_of(cb, line)?),
                ["fs", ms, cb] => Statement::Fs(number(ms)?, index_of(cb, line)?),
                ["net", ms, cb] => Statement::Net(number(ms)?, index_of(cb, line)?),
                [word, ..] => {
                    let usage = match *word {
                        "cpu" => "`cpu MS`".to_string(),
                        "timeout" | "fs" | "net" => format!("`{word} MS CALLBACK`"),
                        "immediate" | "nexttick" | "promise" => format!("`{word} CALLBACK`"),
                        _ => {
                            return Err(InputError::at_line(
                                line,
                                format!(
                                    "`{word}` is not a statement: use cpu, timeout, immediate, nexttick, promise, fs or net"
                                ),
                            ));
                        }
                    };
                    return Err(InputError::at_line(line, format!("expected {usage}")));
                }
                [] => unreachable!("blank lines are skipped"),
            };
            parsed.push(statement);
        }
        program.blocks.push(Block { name: name.clone(), statements: parsed });
    }
    Ok(program)
}
// ANCHOR_END: parse

fn check_name(name: &str, line: usize) -> Result<(), InputError> {
    let valid = !name.is_empty()
        && name.len() <= 24
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(InputError::at_line(
            line,
            format!(
                "callback name `{name}`: up to 24 lower-case letters, digits or `_`, not starting with a digit"
            ),
        ))
    }
}

/// The callbacks' names in the order they ran: what the JavaScript version prints.
pub fn order(program: &Program, trace: &Trace) -> Vec<String> {
    trace.ran.iter().map(|ran| program.blocks[ran.callback].name.clone()).collect()
}

// ANCHOR: js
/// The same program as a Node.js script (CommonJS) whose output is the order in which the
/// callbacks run. `net` has no one-line equivalent, so a program with it has none.
pub fn to_js(program: &Program) -> Result<String, String> {
    let mut out = String::from("'use strict';\n");
    let uses = |wanted: fn(&Statement) -> bool| {
        program.blocks.iter().any(|block| block.statements.iter().any(wanted))
    };
    if uses(|s| matches!(s, Statement::Fs(..))) {
        out.push_str("const fs = require('node:fs');\n");
    }
    if uses(|s| matches!(s, Statement::Cpu(_))) {
        out.push_str("// Holds the one JavaScript thread for `ms` milliseconds, as a heavy callback does.\n");
        out.push_str("function busy(ms) {\n  const end = performance.now() + ms;\n  while (performance.now() < end);\n}\n");
    }
    let statement = |s: &Statement| -> Result<String, String> {
        let name = |cb: usize| &program.blocks[cb].name;
        Ok(match *s {
            Statement::Cpu(ms) => format!("busy({ms});"),
            Statement::Timeout(ms, cb) => format!("setTimeout({}, {ms});", name(cb)),
            Statement::Immediate(cb) => format!("setImmediate({});", name(cb)),
            Statement::NextTick(cb) => format!("process.nextTick({});", name(cb)),
            Statement::Promise(cb) => format!("Promise.resolve().then({});", name(cb)),
            Statement::Fs(_, cb) => format!("fs.stat(__filename, {});", name(cb)),
            Statement::Net(..) => return Err("`net` has no one-line Node equivalent".to_string()),
        })
    };
    for block in &program.blocks[1..] {
        let _ = writeln!(out, "\nfunction {}() {{\n  console.log('{}');", block.name, block.name);
        for s in &block.statements {
            let _ = writeln!(out, "  {}", statement(s)?);
        }
        out.push_str("}\n");
    }
    out.push_str("\n// The script itself (`main`):\nconsole.log('main');\n");
    for s in &program.blocks[0].statements {
        let _ = writeln!(out, "{}", statement(s)?);
    }
    Ok(out)
}
// ANCHOR_END: js

fn run(input: &str) -> Result<Drawn, InputError> {
    if input.lines().any(|line| line.trim().starts_with("mode") && line.contains('=')) {
        return Err(InputError::new(
            "`mode = predict` belongs to the predict example below; here, write a program",
        ));
    }
    let program = parse(input)?;
    let trace = simulate(&program);
    Ok(Drawn { text: report(&program, &trace), figure: draw(&program, &trace) })
}

/// The report: what ran when, in which phase, which timers ran late and why.
pub fn report(program: &Program, trace: &Trace) -> String {
    let name = |cb: usize| program.blocks[cb].name.as_str();
    let mut out = format!(
        "One Node event loop, simulated: a thread pool of {}; every callback costs 0.1 ms plus its `cpu`.\n\n",
        program.threadpool
    );
    out.push_str("start ms  end ms  phase       callback\n");
    for ran in &trace.ran {
        let late = match ran.due {
            Some(due) if ran.start >= due + TICKS_PER_MS => {
                format!(" (due at {}: {} ms late)", ms(due), ms(ran.start - due))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{:>8}  {:>6}  {:<10}  {}{late}",
            ms(ran.start),
            ms(ran.end),
            ran.phase.name(),
            name(ran.callback)
        );
    }
    let _ = writeln!(out, "\norder: {}", order(program, trace).join(", "));
    let busy: u64 = trace.ran.iter().map(|r| r.end - r.start).sum();
    let waited: u64 = trace.waits.iter().map(|(a, b)| b - a).sum();
    let _ = writeln!(
        out,
        "the loop: {} iterations after the script; ran callbacks for {} ms, waited in poll for {} ms",
        trace.iterations,
        ms(busy),
        ms(waited)
    );
    for &(thread, start, end, cb) in &trace.pool {
        let _ = writeln!(
            out,
            "thread pool: `{}`'s fs work ran on pool thread {} from {} to {} ms",
            name(cb),
            thread + 1,
            ms(start),
            ms(end)
        );
    }
    for ran in trace.ran.iter().filter(|r| r.due.is_some_and(|due| r.start >= due + TICKS_PER_MS)) {
        let due = ran.due.unwrap_or_default();
        let blocker = trace.ran.iter().find(|other| other.start <= due && due < other.end);
        let why = match blocker {
            Some(b) => {
                format!("`{}` held the thread from {} to {} ms", name(b.callback), ms(b.start), ms(b.end))
            }
            None => "other callbacks ran first".to_string(),
        };
        let _ = writeln!(
            out,
            "late timer: `{}` was due at {} ms and ran at {} ms: {why}",
            name(ran.callback),
            ms(due),
            ms(ran.start)
        );
    }
    for race in &trace.races {
        let _ = writeln!(out, "timing-dependent in real Node: {race}");
    }
    if let Some(stopped) = &trace.stopped {
        let _ = writeln!(out, "{stopped}");
    }
    out
}

fn draw(program: &Program, trace: &Trace) -> Figure {
    let name = |cb: usize| program.blocks[cb].name.clone();
    let phases = [Phase::Main, Phase::Timers, Phase::Poll, Phase::Check, Phase::NextTick, Phase::Microtask];
    let mut lanes: Vec<Lane> =
        phases.iter().map(|phase| Lane { name: phase.name().to_string(), spans: Vec::new() }).collect();
    let time = |ticks: u64| ticks as f64 / TICKS_PER_MS as f64;
    for &(start, end) in &trace.waits {
        lanes[Phase::Poll.lane()].spans.push(Span {
            start: time(start),
            end: time(end),
            label: "waiting in epoll_wait".to_string(),
            kind: SpanKind::Idle,
        });
    }
    for ran in &trace.ran {
        lanes[ran.phase.lane()].spans.push(Span {
            start: time(ran.start),
            end: time(ran.end),
            label: name(ran.callback),
            kind: SpanKind::Busy,
        });
    }
    let threads = trace.pool.iter().map(|&(thread, ..)| thread + 1).max().unwrap_or(0);
    for thread in 0..threads {
        let spans = (trace.pool.iter().filter(|job| job.0 == thread))
            .map(|&(_, start, end, cb)| Span {
                start: time(start),
                end: time(end),
                label: format!("fs for {}", name(cb)),
                kind: SpanKind::Wait,
            })
            .collect();
        lanes.push(Lane { name: format!("pool thread {}", thread + 1), spans });
    }
    for lane in &mut lanes {
        lane.spans.sort_by(|a, b| a.start.total_cmp(&b.start));
    }
    let steps = Step::at_span_starts(&lanes, "ms");
    Figure::Timeline {
        title: "One event loop: what runs when".to_string(),
        unit: "ms".to_string(),
        lanes,
        steps,
    }
}

// ANCHOR: generate
/// A small program for "predict, then reveal" whose order real Node defines: the generator
/// draws programs from `seed` until the simulation finds no race and no dependence on I/O time.
pub fn generate(seed: u64) -> Program {
    let mut rng = Rng::new(seed);
    for _ in 0..1000 {
        let program = draw_program(&mut rng);
        let trace = simulate(&program);
        if trace.races.is_empty() && !trace.depends_on_io_time && trace.stopped.is_none() {
            return program;
        }
    }
    // Never reached in practice; a program of ticks and promise jobs alone is always defined.
    let mut program = draw_program(&mut rng);
    for block in &mut program.blocks {
        for statement in &mut block.statements {
            if let Statement::Timeout(_, cb) | Statement::Immediate(cb) | Statement::Fs(_, cb) = *statement {
                *statement = Statement::NextTick(cb);
            }
        }
    }
    program
}

fn draw_program(rng: &mut Rng) -> Program {
    let mut blocks = vec![Block { name: "main".to_string(), statements: Vec::new() }];
    let mut frontier = vec![(0usize, 0u32)]; // (block, depth)
    let target = rng.range(5, 8) as usize;
    while let Some((parent, depth)) = frontier.pop() {
        let children = if parent == 0 { rng.range(3, 4) } else { rng.range(0, 2) };
        for _ in 0..children {
            if blocks.len() > target || depth >= 3 {
                break;
            }
            let letter = (b'a' + blocks.len() as u8 - 1) as char;
            let callback = blocks.len();
            let (statement, prefix) = match rng.range(0, 9) {
                0 | 1 => (Statement::NextTick(callback), "tick"),
                2 | 3 => (Statement::Promise(callback), "then"),
                4 | 5 => (Statement::Timeout(0, callback), "timeout"),
                6 | 7 => (Statement::Immediate(callback), "immediate"),
                _ => (Statement::Fs(1, callback), "stat"),
            };
            blocks[parent].statements.push(statement);
            blocks.push(Block { name: format!("{prefix}_{letter}"), statements: Vec::new() });
            frontier.insert(0, (callback, depth + 1));
        }
        if parent == 0 && rng.chance(0.2) {
            blocks[0].statements.push(Statement::Cpu(3));
        }
    }
    Program { threadpool: 4, blocks }
}
// ANCHOR_END: generate

fn predict(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["mode", "seed"])?;
    params.choice_or("mode", &["predict"], "predict")?;
    let seed = params.number_or("seed", 0, u64::MAX, 1)?;
    let program = generate(seed);
    let trace = simulate(&program);
    let js = to_js(&program).map_err(InputError::new)?;
    let mut out =
        format!("Predict, then reveal (seed {seed}). What does this program print, line by line?\n\n");
    out.push_str(&js);
    out.push_str("\nWrite your answer down, then reveal it. (Save the program as order.cjs and run `node order.cjs`:\nthe book's tests do exactly that and compare.)\n");
    out.push_str(REVEAL_MARKER);
    out.push('\n');
    for (i, ran) in trace.ran.iter().enumerate() {
        let why = match ran.phase {
            Phase::Main => "the script runs to completion before anything else",
            Phase::NextTick => "nextTick queue: drained after each callback, before promise jobs",
            Phase::Microtask => "promise job: runs once the nextTick queue is empty",
            Phase::Timers => "timers phase: the timeout has expired",
            Phase::Poll => "poll phase: the fs.stat result came back from the thread pool",
            Phase::Check => "check phase: setImmediate, right after poll",
        };
        let _ = writeln!(out, "{:>2}. {:<12} {why}", i + 1, program.blocks[ran.callback].name);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_of(input: &str) -> Vec<String> {
        let program = parse(input).unwrap();
        order(&program, &simulate(&program))
    }

    #[test]
    fn ticks_before_promises_and_both_before_the_loop() {
        let input = "main:\n timeout 0 t\n promise p\n nexttick n\nt:\np:\n promise p2\n nexttick n2\nn:\n promise p3\np2:\nn2:\np3:\n";
        // The script, then all ticks, then all promise jobs (p3, queued by a tick, is among
        // them; n2, queued by a promise job, waits until the microtasks are empty).
        assert_eq!(order_of(input), ["main", "n", "p", "p3", "p2", "n2", "t"]);
    }

    #[test]
    fn inside_an_io_callback_the_immediate_comes_first() {
        let input = "main:\n fs 2 read\nread:\n timeout 0 t\n immediate i\nt:\ni:\n";
        let program = parse(input).unwrap();
        let trace = simulate(&program);
        assert_eq!(order(&program, &trace), ["main", "read", "i", "t"]);
        assert!(trace.races.is_empty() && !trace.depends_on_io_time, "{:?}", trace.races);
    }

    #[test]
    fn two_io_operations_in_flight_at_once_have_no_defined_order() {
        // Two `fs.stat` calls run on two pool threads at the same time: real Node prints `a b`
        // or `b a`, whatever the model's durations say.
        let trace = simulate(&parse("main:\n fs 1 a\n fs 1 b\na:\nb:\n").unwrap());
        assert!(trace.depends_on_io_time);
        let trace = simulate(&parse("main:\n fs 1 a\n fs 5 b\na:\nb:\n").unwrap());
        assert!(trace.depends_on_io_time);
        // One after the other (the second started by the first's callback) is defined.
        let trace = simulate(&parse("main:\n fs 1 a\na:\n fs 1 b\nb:\n").unwrap());
        assert!(!trace.depends_on_io_time && trace.races.is_empty());
    }

    #[test]
    fn timeout_against_immediate_from_the_script_is_a_race_unless_cpu_settles_it() {
        let program = parse("main:\n timeout 0 t\n immediate i\nt:\ni:\n").unwrap();
        let trace = simulate(&program);
        assert_eq!(trace.races.len(), 1, "{:?}", trace.races);
        let settled = parse("main:\n timeout 0 t\n immediate i\n cpu 3\nt:\ni:\n").unwrap();
        let trace = simulate(&settled);
        assert!(trace.races.is_empty(), "{:?}", trace.races);
        assert_eq!(order(&settled, &trace), ["main", "t", "i"]);
    }

    #[test]
    fn a_heavy_callback_makes_a_timer_late_and_the_report_says_why() {
        let text = run(DEFAULT_INPUT).unwrap().text;
        assert!(text.contains("late timer: `heartbeat` was due at 10.1 ms"), "{text}");
        assert!(text.contains("`request` held the thread"), "{text}");
    }

    #[test]
    fn the_pool_queues_work_beyond_its_threads() {
        let input = "threadpool = 2\nmain:\n fs 10 a\n fs 10 b\n fs 10 c\na:\nb:\nc:\n";
        let program = parse(input).unwrap();
        let trace = simulate(&program);
        let ends: Vec<u64> = trace.pool.iter().map(|job| job.2).collect();
        assert_eq!(ends, [101, 101, 201]);
    }

    #[test]
    fn node_timer_lists_run_by_duration_not_by_due_time() {
        // A 1 ms list holds t1 (due 1) and t3 (due 9, set at 8); the 5 ms list holds t2 (due 5).
        // At 12 ms Node runs the whole 1 ms list first: t1, t3, then t2.
        let input = "main:\n timeout 1 t1\n timeout 5 t2\n cpu 8\n timeout 1 t3\n cpu 4\nt1:\nt2:\nt3:\n";
        assert_eq!(order_of(input), ["main", "t1", "t3", "t2"]);
    }

    #[test]
    fn self_scheduling_stops_at_the_budget() {
        let trace = simulate(&parse("main:\n nexttick again\nagain:\n nexttick again\n").unwrap());
        assert!(trace.stopped.is_some());
        assert_eq!(trace.ran.len(), MAX_CALLBACKS);
    }

    #[test]
    fn bad_input_names_its_line() {
        let cases = [
            (
                "main:\n wait 3\n",
                "input line 2: `wait` is not a statement: use cpu, timeout, immediate, nexttick, promise, fs or net",
            ),
            ("main:\n timeout x a\na:\n", "input line 2: `x` is not a number"),
            ("main:\n immediate b\n", "input line 2: no callback named `b`: add a block `b:`"),
            ("cpu 3\n", "input line 1: a statement outside a callback: start with a line `main:`"),
            ("a:\n", "no `main:` block: the script that runs first"),
            ("main:\nmain:\n", "input line 2: callback `main` is defined twice"),
            (
                "main:\n immediate main\n",
                "input line 2: `main` is the script and runs once: schedule another callback",
            ),
            ("threadpool = 99\nmain:\n", "input line 1: 99 is out of range (from 1 to 16)"),
            ("main:\nthreadpool = 2\n", "input line 2: settings (`key = value`) go before the first block"),
            ("main:\n timeout 5\n", "input line 2: expected `timeout MS CALLBACK`"),
            (
                "Main:\n",
                "input line 1: callback name `Main`: up to 24 lower-case letters, digits or `_`, not starting with a digit",
            ),
        ];
        for (input, expected) in cases {
            let got = run(input).map(|d| d.text).unwrap_err().to_string();
            assert!(got.starts_with(expected), "input {input:?}: got {got:?}, expected {expected:?}");
        }
    }

    #[test]
    fn generated_programs_are_deterministic_and_defined() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..100 {
            let program = generate(seed);
            assert_eq!(program, generate(seed));
            let trace = simulate(&program);
            assert!(trace.races.is_empty() && !trace.depends_on_io_time);
            seen.insert(to_js(&program).unwrap());
        }
        assert!(seen.len() > 90, "only {} different programs", seen.len());
        let text = predict("mode = predict\nseed = 3").unwrap();
        assert_eq!(text.lines().filter(|l| *l == REVEAL_MARKER).count(), 1);
    }

    /// The chapter's "Things to try" make claims about these changes; they must hold.
    #[test]
    fn the_chapter_suggestions_do_what_the_chapter_says() {
        let trace_of = |input: &str| {
            let program = parse(input).unwrap();
            let trace = simulate(&program);
            (program, trace)
        };
        let late = |program: &Program, trace: &Trace, name: &str| {
            let ran = trace.ran.iter().find(|r| program.blocks[r.callback].name == name).unwrap();
            ran.start - ran.due.unwrap()
        };
        let (program, trace) = trace_of(DEFAULT_INPUT);
        assert_eq!(late(&program, &trace, "heartbeat"), 252);
        // cpu 3: the heartbeat runs on time.
        let (program, trace) = trace_of(&DEFAULT_INPUT.replace("cpu 30", "cpu 3"));
        assert!(late(&program, &trace, "heartbeat") < TICKS_PER_MS);
        // One pool thread and two 20 ms jobs first: read_config's job waits for both.
        let queued = DEFAULT_INPUT
            .replace("threadpool = 4", "threadpool = 1")
            .replace("main:\n", "main:\n  fs 20 a\n  fs 20 b\n")
            + "a:\nb:\n";
        let (program, trace) = trace_of(&queued);
        let job = |name: &str| *trace.pool.iter().find(|job| program.blocks[job.3].name == name).unwrap();
        assert!(job("b").1 >= job("a").2 && job("read_config").1 >= job("b").2);
        // A self-scheduling nextTick never lets the loop run: no timer, no I/O callback.
        let ticking = DEFAULT_INPUT.replace("  cpu 30\n  promise respond\n", "  nexttick request\n");
        let (program, trace) = trace_of(&ticking);
        assert!(trace.stopped.is_some());
        let first = trace
            .ran
            .iter()
            .position(|r| r.phase == Phase::Poll && program.blocks[r.callback].name == "request");
        assert!(trace.ran[first.unwrap() + 1..].iter().all(|r| r.phase == Phase::NextTick));
        // The same with setImmediate: the budget stops it too, but timers run in between.
        let immediate = DEFAULT_INPUT.replace("  cpu 30\n  promise respond\n", "  immediate request\n");
        let (program, trace) = trace_of(&immediate);
        assert!(trace.stopped.is_some());
        assert!(trace.ran.iter().any(|r| program.blocks[r.callback].name == "heartbeat"));
        // The race from the script is reported.
        let (_, trace) = trace_of("main:\n timeout 0 t\n immediate i\nt:\ni:\n");
        assert_eq!(trace.races.len(), 1);
    }

    #[test]
    fn the_figure_can_be_drawn() {
        let drawn = run(DEFAULT_INPUT).unwrap();
        drawn.figure.validate().unwrap();
    }
}
