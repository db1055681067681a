//! Will this program deadlock? Threads that take and release mutexes in the order a script
//! gives, and a search over every interleaving of their steps.
//!
//! Each step (`lock A`, `unlock A`) is atomic, and a `lock` can run only while no other thread
//! holds that lock. The state of the whole program is how far each thread has got (which locks
//! each holds follows from that), so the search visits each reachable state once, breadth
//! first: the first deadlocked state it meets is reached by a shortest schedule. A state is
//! deadlocked when some thread has steps left and none can take one: every unfinished thread
//! waits for a lock another thread holds. With every reachable state visited and none
//! deadlocked, the program cannot deadlock in any interleaving: a proof, for this model,
//! rather than a test that happened to pass. A `bound` on the number of states keeps large
//! programs from running away; a search stopped by it proves nothing and says so.
//!
//! The same input with `mode = banker` runs Dijkstra's banker's algorithm instead
//! ([`super::banker`]).

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::{Entry, Params};
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "locks::deadlock_search",
    title: "Will it deadlock? Every interleaving of a lock-ordering script, searched",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "one `thread = NAME: lock A, lock B, unlock B, …` per thread (locks still held at the end \
                 are released in reverse order), `bound = N` states at most; or `mode = banker` with \
                 `resources = …`, `process = NAME max … holds …` and an optional `request = NAME …`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// The same search on a generated program, with its answer hidden behind the marker.
pub const PREDICT: Example = Example {
    id: "locks::deadlock_predict",
    title: "Predict, then reveal: will this program deadlock?",
    file: file!(),
    default_input: "seed = 3\n",
    input_help: "`seed = N`: every seed generates another program",
    runs: Runs::Everywhere,
    run: Run::Text(run_predict),
};

const DEFAULT_INPUT: &str = "\
# Five dining philosophers, five forks between them: each picks up
# the fork on the left, then the one on the right, eats, and puts both down.
thread = P1: lock F1, lock F2, unlock F2, unlock F1
thread = P2: lock F2, lock F3, unlock F3, unlock F2
thread = P3: lock F3, lock F4, unlock F4, unlock F3
thread = P4: lock F4, lock F5, unlock F5, unlock F4
thread = P5: lock F5, lock F1, unlock F1, unlock F5
";

pub const MAX_THREADS: usize = 8;
pub const MAX_LOCKS: usize = 16;
/// Steps a thread may write; the releases added at its end come on top.
pub const MAX_STEPS: usize = 16;
pub const DEFAULT_BOUND: usize = 200_000;
pub const MAX_BOUND: usize = 1_000_000;

// ANCHOR: example
// ANCHOR: types
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Lock(usize),
    Unlock(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    pub name: String,
    pub steps: Vec<Action>,
    /// `held[k]`: the locks (a bit each) this thread holds after its first `k` steps.
    pub held: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub threads: Vec<Thread>,
    pub locks: Vec<String>,
}

/// How far each thread has got: a step count per thread, packed [`PC_BITS`] bits each.
type State = u64;

/// Bits per thread in a [`State`]: a thread has at most [`MAX_STEPS`] written steps plus one
/// release for each lock it still holds, so its step count runs up to 32 and needs 6 bits.
const PC_BITS: usize = 6;
const _: () = assert!(MAX_STEPS + MAX_LOCKS < 1 << PC_BITS && MAX_THREADS * PC_BITS <= 64);

/// A thread that cannot move: it waits for `lock`, which `owner` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocked {
    pub thread: usize,
    pub lock: usize,
    pub owner: usize,
}

/// One step of a schedule: which thread did what.
pub type Move = (usize, Action);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadlock {
    /// The steps, in order, that lead into it.
    pub schedule: Vec<Move>,
    /// Who waits for whom once it is reached.
    pub blocked: Vec<Blocked>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// Distinct states visited.
    pub states: usize,
    /// Whether every reachable state was visited (false: the bound stopped the search).
    pub exhaustive: bool,
    /// The shortest schedule that ends in a deadlock; `None` if no visited state is deadlocked.
    pub deadlock: Option<Deadlock>,
    /// After an exhaustive search: how many interleavings (orders of all steps that can
    /// happen) end with every thread done, and how many end in a deadlock. Saturates.
    pub interleavings: Option<(u128, u128)>,
}
// ANCHOR_END: types

/// An edge of the lock-order graph: lock `.0` was held while lock `.1` was taken, first by
/// thread `.2`.
pub type Edge = (usize, usize, usize);

fn pc(state: State, thread: usize) -> usize {
    ((state >> (PC_BITS * thread)) & ((1 << PC_BITS) - 1)) as usize
}

fn advanced(state: State, thread: usize) -> State {
    state + (1 << (PC_BITS * thread))
}

/// The locks held by anyone in `state`, and who holds each.
fn owners(program: &Program, state: State) -> Vec<Option<usize>> {
    let mut owner = vec![None; program.locks.len()];
    for (t, thread) in program.threads.iter().enumerate() {
        let held = thread.held[pc(state, t)];
        for (lock, slot) in owner.iter_mut().enumerate() {
            if held & (1 << lock) != 0 {
                *slot = Some(t);
            }
        }
    }
    owner
}

/// The threads that can take their next step in `state`, and those blocked on a lock.
fn moves(program: &Program, state: State) -> (Vec<usize>, Vec<Blocked>) {
    let owner = owners(program, state);
    let (mut can, mut blocked) = (Vec::new(), Vec::new());
    for (t, thread) in program.threads.iter().enumerate() {
        match thread.steps.get(pc(state, t)) {
            None => {}
            Some(Action::Lock(lock)) => match owner[*lock] {
                Some(other) => blocked.push(Blocked { thread: t, lock: *lock, owner: other }),
                None => can.push(t),
            },
            Some(Action::Unlock(_)) => can.push(t),
        }
    }
    (can, blocked)
}

/// Breadth-first search over every interleaving, visiting at most `bound` states.
pub fn search(program: &Program, bound: usize) -> Search {
    let mut states: Vec<State> = vec![0];
    let mut parent: Vec<Option<(usize, usize)>> = vec![None]; // (parent index, thread that moved)
    let mut index: HashMap<State, usize> = HashMap::from([(0, 0)]);
    let mut first_deadlock: Option<(usize, Vec<Blocked>)> = None;
    let mut exhaustive = true;
    let mut next = 0;
    while next < states.len() {
        let state = states[next];
        let (can, blocked) = moves(program, state);
        if can.is_empty() && !blocked.is_empty() && first_deadlock.is_none() {
            first_deadlock = Some((next, blocked));
        }
        for t in can {
            let successor = advanced(state, t);
            if index.contains_key(&successor) {
                continue;
            }
            if states.len() == bound {
                exhaustive = false;
                break;
            }
            index.insert(successor, states.len());
            states.push(successor);
            parent.push(Some((next, t)));
        }
        if !exhaustive {
            break;
        }
        next += 1;
    }
    let deadlock = first_deadlock.map(|(mut at, blocked)| {
        let mut schedule = Vec::new();
        while let Some((before, t)) = parent[at] {
            schedule.push((t, program.threads[t].steps[pc(states[before], t)]));
            at = before;
        }
        schedule.reverse();
        Deadlock { schedule, blocked }
    });
    // Every step adds one to the sum of the step counts, so the breadth-first order is a
    // topological order of the state graph: count paths from the end backwards.
    let interleavings = exhaustive.then(|| {
        let mut ends = vec![(0u128, 0u128); states.len()];
        for i in (0..states.len()).rev() {
            let (can, blocked) = moves(program, states[i]);
            ends[i] = match (can.is_empty(), blocked.is_empty()) {
                (true, true) => (1, 0),
                (true, false) => (0, 1),
                _ => can.iter().fold((0, 0), |(done, stuck), &t| {
                    let (d, s) = ends[index[&advanced(states[i], t)]];
                    (done.saturating_add(d), stuck.saturating_add(s))
                }),
            };
        }
        ends[0]
    });
    Search { states: states.len(), exhaustive, deadlock, interleavings }
}
// ANCHOR_END: example

// ANCHOR: lock_order
/// The lock-order graph (what Linux's lockdep builds): an edge A → B whenever a thread takes B
/// while it holds A. A cycle means the threads do not agree on one order, so a deadlock may be
/// possible; it is a warning, not a proof, since a lock that every thread takes first (a gate)
/// can keep the cycle from ever closing. Returns the edges and the first cycle found.
pub fn lock_order(program: &Program) -> (Vec<Edge>, Option<Vec<usize>>) {
    let mut edges: Vec<Edge> = Vec::new();
    for (t, thread) in program.threads.iter().enumerate() {
        for (k, step) in thread.steps.iter().enumerate() {
            if let Action::Lock(to) = step {
                for from in (0..program.locks.len()).filter(|l| thread.held[k] & (1 << l) != 0) {
                    if !edges.iter().any(|&(f, g, _)| (f, g) == (from, *to)) {
                        edges.push((from, *to, t));
                    }
                }
            }
        }
    }
    // Depth-first search for a cycle, from each lock in turn.
    fn visit(lock: usize, edges: &[Edge], path: &mut Vec<usize>, done: &mut [bool]) -> Option<Vec<usize>> {
        if let Some(start) = path.iter().position(|&l| l == lock) {
            let mut cycle = path[start..].to_vec();
            cycle.push(lock);
            return Some(cycle);
        }
        if done[lock] {
            return None;
        }
        path.push(lock);
        for &(_, to, _) in edges.iter().filter(|e| e.0 == lock) {
            if let Some(cycle) = visit(to, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done[lock] = true;
        None
    }
    let mut done = vec![false; program.locks.len()];
    let cycle = (0..program.locks.len()).find_map(|l| visit(l, &edges, &mut Vec::new(), &mut done));
    (edges, cycle)
}
// ANCHOR_END: lock_order

const KEYS: &[&str] = &["mode", "thread", "bound", "resources", "process", "request"];

/// Runs the search, or the banker's algorithm with `mode = banker` (the one entry point of both
/// examples).
pub(crate) fn run(input: &str) -> Result<Drawn, InputError> {
    let params = Params::parse(input, KEYS)?;
    if params.choice_or("mode", &["search", "banker"], "search")? == "banker" {
        if let Some(entry) = ["thread", "bound"].iter().flat_map(|k| params.all(k)).min_by_key(|e| e.line) {
            return Err(InputError::at_line(
                entry.line,
                format!(
                    "`{}` belongs to the search; `mode = banker` reads `resources`, `process` and `request`",
                    entry.key
                ),
            ));
        }
        return super::banker::run(&params);
    }
    if let Some(entry) =
        ["resources", "process", "request"].iter().flat_map(|k| params.all(k)).min_by_key(|e| e.line)
    {
        return Err(InputError::at_line(
            entry.line,
            format!(
                "`{}` belongs to `mode = banker`; add that line, or describe threads with `thread = …`",
                entry.key
            ),
        ));
    }
    let program = parse_program(&params)?;
    let bound = params.number_or("bound", 1, MAX_BOUND, DEFAULT_BOUND)?;
    let result = search(&program, bound);
    Ok(Drawn { text: report(&program, &result, bound), figure: draw(&program, &result) })
}

/// Reads the threads; every error names its line.
pub fn parse_program(params: &Params<'_>) -> Result<Program, InputError> {
    let mut program = Program { threads: Vec::new(), locks: Vec::new() };
    for entry in params.all("thread") {
        if program.threads.len() == MAX_THREADS {
            return Err(InputError::at_line(entry.line, format!("at most {MAX_THREADS} threads")));
        }
        let thread = parse_thread(entry, &mut program.locks)?;
        if program.threads.iter().any(|other| other.name == thread.name) {
            return Err(InputError::at_line(
                entry.line,
                format!("thread `{}` is defined twice", thread.name),
            ));
        }
        program.threads.push(thread);
    }
    if program.threads.is_empty() {
        return Err(InputError::new("no threads: add a line such as `thread = T1: lock A, lock B`"));
    }
    Ok(program)
}

fn valid_name(word: &str) -> bool {
    (1..=8).contains(&word.len())
        && word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_thread(entry: &Entry<'_>, locks: &mut Vec<String>) -> Result<Thread, InputError> {
    let line = entry.line;
    let (name, body) = entry
        .value
        .split_once(':')
        .ok_or_else(|| InputError::at_line(line, "expected `thread = NAME: lock A, lock B, …`"))?;
    let name = name.trim();
    if !valid_name(name) {
        return Err(InputError::at_line(
            line,
            format!("thread name `{name}`: use 1 to 8 letters, digits or `_`, starting with a letter"),
        ));
    }
    let mut steps = Vec::new();
    let mut held: Vec<u32> = vec![0];
    let mut order: Vec<usize> = Vec::new(); // locks held, in the order taken
    for raw in body.split(',') {
        let words: Vec<&str> = raw.split_whitespace().collect();
        let fail = |message: String| Err(InputError::at_line(line, format!("thread {name}: {message}")));
        let (verb, lock_name) = match words.as_slice() {
            [verb, lock] if *verb == "lock" || *verb == "unlock" => (*verb, *lock),
            [] => return fail("an empty step; separate steps with single commas".into()),
            _ => return fail(format!("`{}` is not `lock X` or `unlock X`", raw.trim())),
        };
        if !valid_name(lock_name) {
            return fail(format!(
                "lock name `{lock_name}`: use 1 to 8 letters, digits or `_`, starting with a letter"
            ));
        }
        let lock = match locks.iter().position(|l| l == lock_name) {
            Some(lock) => lock,
            None if locks.len() == MAX_LOCKS => return fail(format!("at most {MAX_LOCKS} different locks")),
            None => {
                locks.push(lock_name.to_string());
                locks.len() - 1
            }
        };
        if steps.len() == MAX_STEPS {
            return fail(format!("at most {MAX_STEPS} steps per thread"));
        }
        let now = *held.last().expect("starts with one entry");
        let holds = now & (1 << lock) != 0;
        let step = if verb == "lock" {
            if holds {
                return fail(format!(
                    "locks {lock_name} again while it holds it: a std Mutex would wait for itself forever (or panic)"
                ));
            }
            order.push(lock);
            Action::Lock(lock)
        } else {
            if !holds {
                return fail(format!("unlocks {lock_name}, which it does not hold"));
            }
            order.retain(|&l| l != lock);
            Action::Unlock(lock)
        };
        steps.push(step);
        held.push(if verb == "lock" { now | (1 << lock) } else { now & !(1 << lock) });
    }
    // Like guards dropped at the end of a scope: what is still held is released, last taken first.
    while let Some(lock) = order.pop() {
        steps.push(Action::Unlock(lock));
        held.push(held.last().expect("not empty") & !(1 << lock));
    }
    Ok(Thread { name: name.to_string(), steps, held })
}

fn action_text(program: &Program, action: Action) -> String {
    match action {
        Action::Lock(l) => format!("lock {}", program.locks[l]),
        Action::Unlock(l) => format!("unlock {}", program.locks[l]),
    }
}

/// The program written back as input (what predict mode prints, and what `parse_program` reads).
pub fn to_input(program: &Program) -> String {
    program
        .threads
        .iter()
        .map(|t| {
            let steps: Vec<String> = t.steps.iter().map(|&a| action_text(program, a)).collect();
            format!("thread = {}: {}\n", t.name, steps.join(", "))
        })
        .collect()
}

fn count(n: u128) -> String {
    if n == u128::MAX { "more than 10^38".to_string() } else { n.to_string() }
}

/// The text report: the verdict, the schedule that deadlocks (or proof that none does), and
/// the lock-order graph.
pub fn report(program: &Program, result: &Search, bound: usize) -> String {
    let name = |t: usize| program.threads[t].name.as_str();
    let lock = |l: usize| program.locks[l].as_str();
    let mut out = format!(
        "{} threads, {} locks. States visited: {}{}.\n",
        program.threads.len(),
        program.locks.len(),
        result.states,
        if result.exhaustive {
            " (every reachable one)".to_string()
        } else {
            format!(", the bound of {bound}")
        }
    );
    if let Some((done, stuck)) = result.interleavings {
        let _ = writeln!(
            out,
            "Interleavings: {} in all; {} end with every thread done, {} in a deadlock.",
            count(done.saturating_add(stuck)),
            count(done),
            count(stuck)
        );
    }
    out.push('\n');
    match &result.deadlock {
        Some(Deadlock { schedule, blocked }) => {
            let _ =
                writeln!(out, "DEADLOCK. A shortest schedule that reaches it ({} steps):", schedule.len());
            for (k, &(t, action)) in schedule.iter().enumerate() {
                let _ = writeln!(out, "  {:>2}. {:<8} {}", k + 1, name(t), action_text(program, action));
            }
            out.push_str("Then no thread can move:\n");
            for b in blocked {
                let _ = writeln!(
                    out,
                    "      {:<8} lock {:<8} waits: {} holds it",
                    name(b.thread),
                    lock(b.lock),
                    name(b.owner)
                );
            }
            // Follow "waits for" from the first blocked thread until a thread repeats.
            let mut cycle = vec![blocked[0].thread];
            while let Some(b) = blocked.iter().find(|b| b.thread == *cycle.last().expect("not empty")) {
                if let Some(start) = cycle.iter().position(|&t| t == b.owner) {
                    cycle.drain(..start);
                    cycle.push(b.owner);
                    break;
                }
                cycle.push(b.owner);
            }
            let names: Vec<&str> = cycle.iter().map(|&t| name(t)).collect();
            let _ = writeln!(out, "Wait-for cycle: {}", names.join(" -> "));
        }
        None if result.exhaustive => {
            out.push_str("NO DEADLOCK: every reachable state was visited, and in each one some thread\n");
            out.push_str("could move or every thread had finished. No interleaving deadlocks.\n");
        }
        None => {
            let _ = writeln!(
                out,
                "No deadlock among the {} states visited, but the bound stopped the search:",
                result.states
            );
            out.push_str(
                "this proves nothing about the states beyond it. Raise `bound` (or shrink the program).\n",
            );
        }
    }
    let (edges, cycle) = lock_order(program);
    out.push('\n');
    if edges.is_empty() {
        out.push_str("Lock-order graph: no thread ever holds two locks at once.\n");
    } else {
        let shown: Vec<String> = edges
            .iter()
            .map(|&(from, to, t)| format!("{} -> {} ({})", lock(from), lock(to), name(t)))
            .collect();
        let _ = writeln!(out, "Lock-order graph (held -> taken, first thread): {}", shown.join(", "));
        match cycle {
            Some(cycle) => {
                let names: Vec<&str> = cycle.iter().map(|&l| lock(l)).collect();
                let _ = writeln!(
                    out,
                    "It has a cycle, {}: the threads disagree on the order.",
                    names.join(" -> ")
                );
                if result.deadlock.is_none() && result.exhaustive {
                    out.push_str(
                        "The cycle never closes here (a lock taken first by all of them keeps it open),\n",
                    );
                    out.push_str("so a lock-order checker such as lockdep warns about a deadlock that cannot happen.\n");
                }
            }
            None => out.push_str("It has no cycle: all threads take their locks in one global order.\n"),
        }
    }
    out
}

/// The schedule as a timeline, a lane per thread and a column per step: the one that deadlocks,
/// ending with each stuck thread's wait; without a deadlock, a round-robin run to the end.
pub fn draw(program: &Program, result: &Search) -> Figure {
    let mut lanes: Vec<Lane> =
        program.threads.iter().map(|t| Lane { name: t.name.clone(), spans: Vec::new() }).collect();
    let (schedule, stuck, title) = match &result.deadlock {
        Some(Deadlock { schedule, blocked }) => {
            (schedule.clone(), blocked.clone(), "A schedule that deadlocks".to_string())
        }
        None => (round_robin(program), Vec::new(), "One schedule, taking turns: no deadlock".to_string()),
    };
    for (k, &(t, action)) in schedule.iter().enumerate() {
        let kind = if matches!(action, Action::Lock(_)) { SpanKind::Busy } else { SpanKind::Idle };
        lanes[t].spans.push(Span {
            start: k as f64,
            end: k as f64 + 1.0,
            label: action_text(program, action),
            kind,
        });
    }
    let end = schedule.len() as f64;
    for b in &stuck {
        lanes[b.thread].spans.push(Span {
            start: end,
            end: end + 1.0,
            label: format!(
                "waits for {} ({} holds it)",
                program.locks[b.lock], program.threads[b.owner].name
            ),
            kind: SpanKind::Lost,
        });
    }
    let steps = Step::at_span_starts(&lanes, "steps");
    Figure::Timeline { title, unit: "steps".to_string(), lanes, steps }
}

/// Threads take turns, each taking one step when it can: a run that ends with all done (used
/// only when no deadlock is reachable, so one always can move).
fn round_robin(program: &Program) -> Vec<Move> {
    let mut state: State = 0;
    let mut schedule = Vec::new();
    let mut turn = 0;
    loop {
        let (can, _) = moves(program, state);
        let Some(&t) = can.iter().find(|&&t| t >= turn).or(can.first()) else { break };
        schedule.push((t, program.threads[t].steps[pc(state, t)]));
        state = advanced(state, t);
        turn = (t + 1) % program.threads.len();
    }
    schedule
}

// ANCHOR: predict
/// A small program for "predict, then reveal": two or three threads, each taking two or three
/// of three locks in a random order, sometimes all behind a gate lock taken first.
pub fn generate(seed: u64) -> Program {
    let mut rng = Rng::new(seed);
    let threads = rng.range(2, 3) as usize;
    let gate = rng.chance(0.2);
    let mut lines = String::new();
    for t in 0..threads {
        let mut locks = vec!["A", "B", "C"];
        // Fisher-Yates, then keep two or three.
        for i in (1..locks.len()).rev() {
            locks.swap(i, rng.range(0, i as u64) as usize);
        }
        locks.truncate(rng.range(2, 3) as usize);
        if gate {
            locks.insert(0, "G");
        }
        let steps: Vec<String> = locks.iter().map(|l| format!("lock {l}")).collect();
        let _ = writeln!(lines, "thread = T{}: {}", t + 1, steps.join(", "));
    }
    let params = Params::parse(&lines, KEYS).expect("generated input parses");
    parse_program(&params).expect("generated program is valid")
}
// ANCHOR_END: predict

fn run_predict(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["seed"])?;
    let seed = params.number_or("seed", 0, u64::MAX, 1)?;
    let program = generate(seed);
    let result = search(&program, DEFAULT_BOUND);
    let mut out =
        format!("Predict, then reveal (seed {seed}). The program, as input for the search above:\n\n");
    out.push_str(&to_input(&program));
    out.push_str(
        "\nWill it deadlock? If so, in which schedule, and which threads end up waiting for whom?\n",
    );
    out.push_str(REVEAL_MARKER);
    out.push('\n');
    out.push_str(&report(&program, &result, DEFAULT_BOUND));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(input: &str) -> Program {
        parse_program(&Params::parse(input, KEYS).unwrap()).unwrap()
    }

    fn verdict(input: &str) -> Search {
        let result = search(&program(input), DEFAULT_BOUND);
        assert!(result.exhaustive);
        result
    }

    #[test]
    fn opposite_orders_deadlock_after_two_steps() {
        let result = verdict("thread = T1: lock A, lock B\nthread = T2: lock B, lock A");
        let Deadlock { schedule, blocked } = result.deadlock.clone().unwrap();
        assert_eq!(schedule.len(), 2, "{schedule:?}");
        assert_eq!(blocked.len(), 2);
        // T1 is lock A, lock B, unlock B, unlock A; T2 the same with B and A. Stuck: both first
        // locks before either second lock, T1 first or T2 first: 2 runs. Finished: T1 whole
        // then T2 whole, or the other way round (2), or T1 has released B but not yet A when
        // T2 takes B, then T2 waits for A (1), or the mirror image (1): 4 runs.
        let (done, stuck) = result.interleavings.unwrap();
        assert_eq!((done, stuck), (4, 2));
        let text = report(&program("thread = T1: lock A, lock B\nthread = T2: lock B, lock A"), &result, 10);
        assert!(text.contains("Wait-for cycle: T1 -> T2 -> T1"), "{text}");
        assert!(text.contains("It has a cycle, A -> B -> A"), "{text}");
    }

    #[test]
    fn one_global_order_never_deadlocks_and_the_search_proves_it() {
        let result = verdict("thread = T1: lock A, lock B\nthread = T2: lock A, lock B");
        assert_eq!(result.deadlock, None);
        let (done, stuck) = result.interleavings.unwrap();
        assert_eq!(stuck, 0);
        // Both critical sections are whole under A: T1 first or T2 first, and within each the
        // other's steps cannot interleave. 2 interleavings.
        assert_eq!(done, 2);
    }

    #[test]
    fn independent_threads_interleave_freely() {
        // Two threads with 2 steps each and no shared lock: C(4, 2) = 6 interleavings.
        let result = verdict("thread = T1: lock A\nthread = T2: lock B");
        assert_eq!(result.interleavings, Some((6, 0)));
        assert_eq!(result.states, 9);
    }

    #[test]
    fn dining_philosophers_deadlock_and_one_left_hander_fixes_it() {
        let result = verdict(DEFAULT_INPUT);
        let Deadlock { schedule, blocked } = result.deadlock.unwrap();
        assert_eq!(schedule.len(), 5);
        assert!(schedule.iter().all(|(_, a)| matches!(a, Action::Lock(_))));
        assert_eq!(blocked.len(), 5);
        let fixed =
            DEFAULT_INPUT.replace("P5: lock F5, lock F1, unlock F1, unlock F5", "P5: lock F1, lock F5");
        let result = verdict(&fixed);
        assert_eq!(result.deadlock, None);
        assert_eq!(result.interleavings, Some((49_719_072, 0)));
        assert!(report(&program(&fixed), &result, DEFAULT_BOUND).contains("one global order"));
    }

    #[test]
    fn a_thread_at_the_step_limit_counts_its_releases_without_spilling_into_the_next() {
        // T1 writes MAX_STEPS locks and holds them all at its end, so 16 releases follow: 32
        // steps, one more than 5 bits can count. T2 needs L1, which T1 takes first and releases
        // last: T2 runs wholly before T1 or wholly after it. States: T1 at 0..=32 with T2 not
        // started (33) or done (33), and T2 holding L1 with T1 at 0 or at 32 (2). With 5 bits,
        // T1's 32nd step would carry into T2's count and merge states that differ.
        let all: Vec<String> = (1..=MAX_STEPS).map(|l| format!("lock L{l}")).collect();
        let input = format!("thread = T1: {}\nthread = T2: lock L1", all.join(", "));
        let p = program(&input);
        assert_eq!(p.threads[0].steps.len(), 2 * MAX_STEPS);
        let result = verdict(&input);
        assert_eq!(result.deadlock, None);
        assert_eq!(result.states, 68);
        assert_eq!(result.interleavings, Some((2, 0)));
    }

    #[test]
    fn a_gate_lock_prevents_the_deadlock_that_the_lock_order_graph_warns_about() {
        let input = "thread = T1: lock G, lock A, lock B\nthread = T2: lock G, lock B, lock A";
        let result = verdict(input);
        assert_eq!(result.deadlock, None);
        let (_, cycle) = lock_order(&program(input));
        assert!(cycle.is_some());
        assert!(report(&program(input), &result, DEFAULT_BOUND).contains("lockdep warns"));
    }

    #[test]
    fn three_threads_in_a_ring_and_a_cycle_that_needs_all_three() {
        let ring = "thread = T1: lock A, lock B\nthread = T2: lock B, lock C\nthread = T3: lock C, lock A";
        let blocked = verdict(ring).deadlock.unwrap().blocked;
        assert_eq!(blocked.len(), 3);
        // Any two of them alone are fine.
        assert_eq!(verdict("thread = T1: lock A, lock B\nthread = T2: lock B, lock C").deadlock, None);
        // A thread that releases A before taking B holds only one lock at a time: no hold and wait.
        let released = "thread = T1: lock A, unlock A, lock B\nthread = T2: lock B, lock A";
        assert_eq!(verdict(released).deadlock, None);
    }

    #[test]
    fn the_bound_stops_the_search_and_says_it_proves_nothing() {
        let big: String = (1..=8)
            .map(|t| format!("thread = T{t}: lock L{t}, unlock L{t}, lock M{t}, unlock M{t}\n"))
            .collect();
        let p = program(&big);
        let result = search(&p, 1000);
        assert!(!result.exhaustive && result.states == 1000 && result.interleavings.is_none());
        assert!(report(&p, &result, 1000).contains("proves nothing"));
    }

    #[test]
    fn bad_input_names_its_line() {
        for (input, expected) in [
            ("thread = T1 lock A", "input line 1: expected `thread = NAME: lock A, lock B, …`"),
            (
                "thread = T1: lock A, grab B",
                "input line 1: thread T1: `grab B` is not `lock X` or `unlock X`",
            ),
            ("# x\nthread = T1: lock A, lock A", "input line 2: thread T1: locks A again while it holds it"),
            ("thread = T1: unlock A", "input line 1: thread T1: unlocks A, which it does not hold"),
            ("thread = T1: lock A,, lock B", "input line 1: thread T1: an empty step"),
            ("thread = 1T: lock A", "input line 1: thread name `1T`"),
            ("thread = T1: lock A-1", "input line 1: thread T1: lock name `A-1`"),
            ("thread = T1: lock A\nthread = T1: lock B", "input line 2: thread `T1` is defined twice"),
            ("bound = 5", "no threads"),
            ("thread = T1: lock A\nbound = 0", "input line 2: 0 is out of range"),
            (
                "thread = T1: lock A\nprocess = P max 1 holds 0",
                "input line 2: `process` belongs to `mode = banker`",
            ),
            ("mode = banker\nthread = T1: lock A", "input line 2: `thread` belongs to the search"),
        ] {
            let got = run(input).unwrap_err().to_string();
            assert!(got.starts_with(expected), "{input:?}: {got}");
        }
        let many: String = (0..9).map(|t| format!("thread = T{t}: lock A\n")).collect();
        assert_eq!(run(&many).unwrap_err().to_string(), "input line 9: at most 8 threads");
    }

    #[test]
    fn the_figure_replays_the_schedule_and_can_be_drawn() {
        let Drawn { text, figure } = run(DEFAULT_INPUT).unwrap();
        assert!(text.contains("DEADLOCK"));
        figure.validate().unwrap();
        let Figure::Timeline { lanes, .. } = &figure else { panic!("a timeline") };
        assert_eq!(lanes.len(), 5);
        assert!(lanes.iter().all(|l| l.spans.last().unwrap().kind == SpanKind::Lost));
        let Drawn { figure, .. } = run("thread = T1: lock A, lock B\nthread = T2: lock A, lock B").unwrap();
        figure.validate().unwrap();
        let Figure::Timeline { lanes, .. } = figure else { panic!("a timeline") };
        assert_eq!(lanes.iter().map(|l| l.spans.len()).sum::<usize>(), 8);
    }

    #[test]
    fn predict_mode_is_deterministic_and_both_answers_occur() {
        let first = run_predict("seed = 3").unwrap();
        assert_eq!(first, run_predict("seed = 3").unwrap());
        assert_eq!(first.lines().filter(|l| *l == REVEAL_MARKER).count(), 1);
        let (question, answer) = first.split_once(REVEAL_MARKER).unwrap();
        assert!(!question.contains("DEADLOCK") && answer.contains("States visited"));
        let (mut yes, mut no) = (0, 0);
        for seed in 0..60 {
            let generated = generate(seed);
            assert_eq!(program(&to_input(&generated)), generated, "seed {seed}");
            let result = search(&generated, DEFAULT_BOUND);
            assert!(result.exhaustive);
            if result.deadlock.is_some() { yes += 1 } else { no += 1 }
        }
        assert!(yes >= 10 && no >= 10, "{yes} deadlock, {no} safe of 60");
    }
}
