//! A CPU scheduler simulation: tasks made of CPU and I/O bursts on N cores, first-in first-out
//! or round robin, switching on I/O or holding the core, with a context-switch cost that is
//! lower between two threads of one process than between two processes.
//!
//! Time is counted in ticks. Every tick each core does one thing: runs a task, pays for a
//! context switch, sits held by a task that waits for I/O, or idles. The rules, in the order
//! they are applied at the start of tick `t`:
//!
//! 1. I/O that ends at `t` completes (tasks in name order); the task becomes ready, or finishes
//!    if that I/O was its last burst. A task that held its core keeps it and runs on.
//! 2. Tasks that arrive at `t` become ready (in name order), so they queue ahead of (3).
//! 3. A core whose task used up its quantum at `t` preempts it if another task is ready (the
//!    task goes to the back of the queue); otherwise the task runs on with a fresh quantum.
//! 4. Each free core (lowest number first) takes the task at the head of the queue. It pays no
//!    switch if that task is the last one it ran (or it has run nothing yet), `switch_thread`
//!    ticks if the last task belongs to the same process, and `switch_process` ticks otherwise.

use std::collections::VecDeque;
use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::{Entry, Params};
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "processes::scheduler",
    title: "A CPU scheduler: bursts, cores, policies and the price of a context switch",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`cores = N`, `policy = fifo | rr`, `quantum = N` (rr only), `on_io = switch | hold`, \
                 `switch_thread = N`, `switch_process = N`, one `task = A [in PROCESS] [at T] cpu N io N cpu N …` \
                 per task; or `mode = predict` with `seed = N` for a generated problem",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// The same simulation with a generated problem: the page runs it without its output, so the
/// answer stays hidden until the reader asks; no figure, which would give the answer away.
pub const PREDICT: Example = Example {
    id: "processes::scheduler_predict",
    title: "Predict, then reveal: a generated scheduling problem",
    file: file!(),
    default_input: "mode = predict\nseed = 5\n",
    input_help: "`mode = predict` and `seed = N`: every seed generates another problem",
    runs: Runs::Everywhere,
    run: Run::Text(run_without_figure),
};

const DEFAULT_INPUT: &str = "\
# Three threads of a web server that mostly wait on the network, and a CPU-bound batch
# job, on two cores. Costs are in ticks and exaggerated so that switches show up.
cores = 2
policy = rr
quantum = 4
on_io = switch
switch_thread = 1
switch_process = 2
task = A in web cpu 2 io 6 cpu 2 io 6 cpu 1
task = B in web cpu 3 io 6 cpu 2
task = C in web at 2 cpu 2 io 5 cpu 2
task = D in batch cpu 14
";

/// At most this many cores, tasks, and time units in all bursts and arrivals together.
pub const MAX_CORES: usize = 16;
pub const MAX_TASKS: usize = 26;
pub const MAX_TIME_UNITS: u32 = 1000;
pub const MAX_QUANTUM: u32 = 100;
pub const MAX_SWITCH_COST: u32 = 100;
/// No valid input needs this many ticks (the worst is about 102,000: 1000 ticks of CPU, each
/// after a 100-tick switch); the loop stops with an error rather than run on.
pub const STEP_BUDGET: u32 = 200_000;

// ANCHOR: example
// ANCHOR: types
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// First in, first out: a task keeps its core until it finishes or starts I/O.
    Fifo,
    /// Round robin: a task is preempted after `quantum` ticks if another one is ready.
    RoundRobin { quantum: u32 },
}

/// What a core does while its task waits for I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnIo {
    /// Give the core to another task (a blocking system call puts the thread to sleep).
    Switch,
    /// Keep the core, doing nothing useful (busy-waiting on a device, or a scheduler that
    /// switches only when a task ends).
    Hold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Burst {
    Cpu(u32),
    Io(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub name: char,
    /// Tasks with the same process are threads of one process: a switch between them is cheaper.
    pub process: String,
    pub arrival: u32,
    pub bursts: Vec<Burst>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub cores: usize,
    pub policy: Policy,
    pub on_io: OnIo,
    pub switch_thread: u32,
    pub switch_process: u32,
    pub tasks: Vec<Task>,
}

/// What one core did during one tick (the `usize` is a task index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreTick {
    Idle,
    Switch(usize),
    Run(usize),
    /// Held by a task that waits for I/O (`OnIo::Hold`).
    Held(usize),
}

/// What one task did during one tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskTick {
    Absent,
    Ready,
    SwitchingIn,
    Running,
    Io,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskStats {
    pub first_run: Option<u32>,
    pub finish: u32,
    pub cpu: u32,
    pub io: u32,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub cores: Vec<Vec<CoreTick>>,
    pub tasks: Vec<Vec<TaskTick>>,
    pub stats: Vec<TaskStats>,
    /// Dispatches that paid the thread price and the process price.
    pub thread_switches: u32,
    pub process_switches: u32,
    pub makespan: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotArrived,
    Ready,
    OnCore,
    InIo { until: u32 },
    Done,
}

#[derive(Debug, Clone, Default)]
struct Core {
    task: Option<usize>,
    last: Option<usize>,
    switch_left: u32,
    quantum_left: u32,
    quantum_expired: bool,
    held_until: Option<u32>,
}
// ANCHOR_END: types

/// Runs `problem` tick by tick; gives up with an error after `budget` ticks.
pub fn simulate(problem: &Problem, budget: u32) -> Result<Schedule, InputError> {
    let n = problem.tasks.len();
    let quantum = match problem.policy {
        Policy::Fifo => u32::MAX,
        Policy::RoundRobin { quantum } => quantum,
    };
    let mut state = vec![State::NotArrived; n];
    let mut next_burst = vec![0usize; n]; // index of the burst after the current one
    let mut left = vec![0u32; n]; // ticks left in the current burst
    let mut stats = vec![TaskStats::default(); n];
    let mut queue: VecDeque<usize> = VecDeque::new();
    let mut cores = vec![Core::default(); problem.cores];
    let mut out = Schedule {
        cores: vec![Vec::new(); problem.cores],
        tasks: vec![Vec::new(); n],
        stats: Vec::new(),
        thread_switches: 0,
        process_switches: 0,
        makespan: 0,
    };
    // Moves task `i` past the burst it just finished, at time `t`. Returns the next burst.
    let advance = |i: usize, t: u32, next_burst: &mut [usize], left: &mut [u32], stats: &mut [TaskStats]| {
        let burst = problem.tasks[i].bursts.get(next_burst[i]).copied();
        next_burst[i] += 1;
        match burst {
            Some(Burst::Cpu(len)) | Some(Burst::Io(len)) => left[i] = len,
            None => stats[i].finish = t,
        }
        burst
    };
    let mut t = 0;
    while state.iter().any(|s| *s != State::Done) {
        if t >= budget {
            return Err(InputError::new(format!(
                "the simulation did not finish within its budget of {budget} ticks"
            )));
        }
        // 1. I/O that ends now: the task is ready (or done); a held core runs it on.
        for (i, s) in state.iter_mut().enumerate() {
            if *s == (State::InIo { until: t }) {
                *s = match advance(i, t, &mut next_burst, &mut left, &mut stats) {
                    None => State::Done,
                    Some(_) => {
                        queue.push_back(i);
                        State::Ready
                    }
                };
            }
        }
        for core in cores.iter_mut().filter(|c| c.held_until == Some(t)) {
            let i = core.task.expect("a held core has a task");
            core.held_until = None;
            core.quantum_left = quantum;
            if advance(i, t, &mut next_burst, &mut left, &mut stats).is_none() {
                state[i] = State::Done;
                core.task = None;
            }
        }
        // 2. Arrivals.
        for (i, task) in problem.tasks.iter().enumerate() {
            if state[i] == State::NotArrived && task.arrival == t {
                advance(i, t, &mut next_burst, &mut left, &mut stats);
                state[i] = State::Ready;
                queue.push_back(i);
            }
        }
        // 3. Quantum expiry: preempt only if someone else is waiting.
        for core in cores.iter_mut().filter(|c| c.quantum_expired) {
            core.quantum_expired = false;
            if queue.is_empty() {
                core.quantum_left = quantum;
            } else if let Some(i) = core.task.take() {
                state[i] = State::Ready;
                queue.push_back(i);
            }
        }
        // 4. Dispatch: a free core takes the head of the queue and pays for the switch.
        for core in cores.iter_mut().filter(|c| c.task.is_none()) {
            let Some(i) = queue.pop_front() else { break };
            core.switch_left = match core.last {
                None => 0,
                Some(last) if last == i => 0,
                Some(last) if problem.tasks[last].process == problem.tasks[i].process => {
                    out.thread_switches += 1;
                    problem.switch_thread
                }
                Some(_) => {
                    out.process_switches += 1;
                    problem.switch_process
                }
            };
            core.task = Some(i);
            core.last = Some(i);
            core.quantum_left = quantum;
            state[i] = State::OnCore;
        }
        // The tick itself: every core does one thing, every task is in one state.
        let mut doing = vec![TaskTick::Absent; n];
        for (i, s) in state.iter().enumerate() {
            doing[i] = match s {
                State::Ready => TaskTick::Ready,
                State::InIo { .. } => TaskTick::Io,
                _ => TaskTick::Absent,
            };
        }
        for (c, core) in cores.iter_mut().enumerate() {
            let tick = match core.task {
                None => CoreTick::Idle,
                Some(i) if core.held_until.is_some() => {
                    doing[i] = TaskTick::Io;
                    CoreTick::Held(i)
                }
                Some(i) if core.switch_left > 0 => {
                    core.switch_left -= 1;
                    doing[i] = TaskTick::SwitchingIn;
                    CoreTick::Switch(i)
                }
                Some(i) => {
                    doing[i] = TaskTick::Running;
                    stats[i].first_run.get_or_insert(t);
                    stats[i].cpu += 1;
                    left[i] -= 1;
                    core.quantum_left = core.quantum_left.saturating_sub(1);
                    if left[i] == 0 {
                        match advance(i, t + 1, &mut next_burst, &mut left, &mut stats) {
                            None => {
                                state[i] = State::Done;
                                core.task = None;
                            }
                            Some(Burst::Io(len)) if problem.on_io == OnIo::Switch => {
                                state[i] = State::InIo { until: t + 1 + len };
                                core.task = None;
                            }
                            Some(Burst::Io(len)) => core.held_until = Some(t + 1 + len),
                            Some(Burst::Cpu(_)) => core.quantum_expired = core.quantum_left == 0,
                        }
                    } else if core.quantum_left == 0 {
                        core.quantum_expired = true;
                    }
                    CoreTick::Run(i)
                }
            };
            out.cores[c].push(tick);
        }
        for (i, tick) in doing.into_iter().enumerate() {
            stats[i].io += u32::from(tick == TaskTick::Io);
            out.tasks[i].push(tick);
        }
        t += 1;
    }
    // A run that ends with I/O has one idle tick too many; cut every lane at the makespan.
    out.makespan = stats.iter().map(|s| s.finish).max().unwrap_or(0);
    let end = out.makespan as usize;
    out.cores.iter_mut().for_each(|lane| lane.truncate(end));
    out.tasks.iter_mut().for_each(|lane| lane.truncate(end));
    out.stats = stats;
    Ok(out)
}
// ANCHOR_END: example

const KEYS: &[&str] =
    &["mode", "seed", "cores", "policy", "quantum", "on_io", "switch_thread", "switch_process", "task"];

/// The scheduler: its report (in predict mode, the problem, then the report as the answer) and
/// the same schedule as a timeline.
fn run(input: &str) -> Result<Drawn, InputError> {
    let Scheduled { problem, schedule, text } = schedule_input(input)?;
    Ok(Drawn { text, figure: draw(&problem, &schedule) })
}

/// The report alone: a drawing would give a predicted answer away.
fn run_without_figure(input: &str) -> Result<String, InputError> {
    Ok(schedule_input(input)?.text)
}

/// The problem an input gives (written out, or generated from a seed), scheduled once, and the
/// text the page shows for it.
struct Scheduled {
    problem: Problem,
    schedule: Schedule,
    text: String,
}

fn schedule_input(input: &str) -> Result<Scheduled, InputError> {
    let (problem, seed) = match read(input)? {
        Mode::Run(problem) => (problem, None),
        Mode::Predict(seed) => (generate(seed), Some(seed)),
    };
    let schedule = simulate(&problem, STEP_BUDGET)?;
    let text = match seed {
        None => report(&problem, &schedule),
        Some(seed) => predict_then_reveal(seed, &problem, &schedule),
    };
    Ok(Scheduled { problem, schedule, text })
}

enum Mode {
    Run(Problem),
    Predict(u64),
}

fn read(input: &str) -> Result<Mode, InputError> {
    let params = Params::parse(input, KEYS)?;
    if params.choice_or("mode", &["run", "predict"], "run")? == "predict" {
        if let Some(extra) = KEYS
            .iter()
            .filter(|key| !matches!(**key, "mode" | "seed"))
            .flat_map(|key| params.all(key))
            .min_by_key(|entry| entry.line)
        {
            return Err(InputError::at_line(
                extra.line,
                format!(
                    "in predict mode the seed makes the problem: remove `{}` or set `mode = run`",
                    extra.key
                ),
            ));
        }
        return Ok(Mode::Predict(params.number_or("seed", 0, u64::MAX, 1)?));
    }
    if let Some(seed) = params.one("seed")? {
        return Err(InputError::at_line(seed.line, "`seed` is used only with `mode = predict`"));
    }
    Ok(Mode::Run(parse_problem(&params)?))
}

/// Reads and checks a problem; every error names its input line.
pub fn parse_problem(params: &Params<'_>) -> Result<Problem, InputError> {
    let cores = params.number_or("cores", 1, MAX_CORES, 1)?;
    let policy = match params.choice_or("policy", &["fifo", "rr"], "fifo")? {
        "rr" => Policy::RoundRobin { quantum: params.number_or("quantum", 1, MAX_QUANTUM, 4)? },
        _ => {
            if let Some(quantum) = params.one("quantum")? {
                return Err(InputError::at_line(quantum.line, "`quantum` applies only to `policy = rr`"));
            }
            Policy::Fifo
        }
    };
    let on_io = match params.choice_or("on_io", &["switch", "hold"], "switch")? {
        "hold" => OnIo::Hold,
        _ => OnIo::Switch,
    };
    let switch_thread = params.number_or("switch_thread", 0, MAX_SWITCH_COST, 1)?;
    let switch_process = params.number_or("switch_process", 0, MAX_SWITCH_COST, 2)?;
    let mut tasks: Vec<Task> = Vec::new();
    let mut total = 0u32;
    for entry in params.all("task") {
        if tasks.len() == MAX_TASKS {
            return Err(InputError::at_line(entry.line, format!("at most {MAX_TASKS} tasks (A to Z)")));
        }
        let task = parse_task(entry)?;
        if tasks.iter().any(|other| other.name == task.name) {
            return Err(InputError::at_line(entry.line, format!("task `{}` is defined twice", task.name)));
        }
        total += task.arrival
            + task
                .bursts
                .iter()
                .map(|b| match b {
                    Burst::Cpu(n) | Burst::Io(n) => n,
                })
                .sum::<u32>();
        if total > MAX_TIME_UNITS {
            return Err(InputError::at_line(
                entry.line,
                format!(
                    "arrivals and bursts add up to more than {MAX_TIME_UNITS} ticks; make the tasks shorter"
                ),
            ));
        }
        tasks.push(task);
    }
    if tasks.is_empty() {
        return Err(InputError::new("no tasks: add a line such as `task = A cpu 3 io 2 cpu 1`"));
    }
    Ok(Problem { cores, policy, on_io, switch_thread, switch_process, tasks })
}

fn parse_task(entry: &Entry<'_>) -> Result<Task, InputError> {
    let line = entry.line;
    let mut words = entry.value.split_whitespace();
    let name = match words.next().map(|w| (w, w.chars().collect::<Vec<_>>())) {
        Some((_, chars)) if chars.len() == 1 && chars[0].is_ascii_uppercase() => chars[0],
        Some((word, _)) => {
            return Err(InputError::at_line(
                line,
                format!("task name `{word}`: use one capital letter, A to Z"),
            ));
        }
        None => return Err(InputError::at_line(line, "expected `task = A cpu N …`")),
    };
    let mut task = Task { name, process: name.to_string(), arrival: 0, bursts: Vec::new() };
    let (mut seen_in, mut seen_at) = (false, false);
    while let Some(word) = words.next() {
        let mut value = |what: &str| {
            words
                .next()
                .ok_or_else(|| InputError::at_line(line, format!("task {name}: `{word}` needs {what}")))
        };
        match word {
            "in" if !seen_in && task.bursts.is_empty() => {
                let process = value("a process name")?;
                let valid = process.len() <= 16
                    && process.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !valid {
                    return Err(InputError::at_line(
                        line,
                        format!(
                            "task {name}: process name `{process}`: up to 16 letters, digits, `-` or `_`"
                        ),
                    ));
                }
                task.process = process.to_string();
                seen_in = true;
            }
            "at" if !seen_at && task.bursts.is_empty() => {
                task.arrival = crate::input::parse_number(value("a time")?, line, 0, MAX_TIME_UNITS)?;
                seen_at = true;
            }
            "cpu" | "io" => {
                let len = crate::input::parse_number(value("a length")?, line, 1, MAX_TIME_UNITS)?;
                let burst = if word == "cpu" { Burst::Cpu(len) } else { Burst::Io(len) };
                match (task.bursts.last(), burst) {
                    (None, Burst::Io(_)) => {
                        return Err(InputError::at_line(
                            line,
                            format!("task {name}: start with a `cpu` burst"),
                        ));
                    }
                    (Some(Burst::Cpu(_)), Burst::Cpu(_)) | (Some(Burst::Io(_)), Burst::Io(_)) => {
                        return Err(InputError::at_line(
                            line,
                            format!("task {name}: two `{word}` bursts in a row; add them up into one"),
                        ));
                    }
                    _ => task.bursts.push(burst),
                }
            }
            "in" | "at" => {
                return Err(InputError::at_line(
                    line,
                    format!("task {name}: `{word}` goes once, before the bursts"),
                ));
            }
            other => {
                return Err(InputError::at_line(
                    line,
                    format!("task {name}: `{other}` is not `in`, `at`, `cpu` or `io`"),
                ));
            }
        }
    }
    if task.bursts.is_empty() {
        return Err(InputError::at_line(line, format!("task {name} has no bursts: add `cpu N`")));
    }
    Ok(task)
}

/// The problem written back as input (what predict mode prints, and what `read` accepts).
pub fn to_input(problem: &Problem) -> String {
    let mut out = format!("cores = {}\n", problem.cores);
    match problem.policy {
        Policy::Fifo => out.push_str("policy = fifo\n"),
        Policy::RoundRobin { quantum } => {
            let _ = write!(out, "policy = rr\nquantum = {quantum}\n");
        }
    }
    let on_io = if problem.on_io == OnIo::Switch { "switch" } else { "hold" };
    let _ = writeln!(out, "on_io = {on_io}");
    let _ = writeln!(
        out,
        "switch_thread = {}\nswitch_process = {}",
        problem.switch_thread, problem.switch_process
    );
    for task in &problem.tasks {
        let _ = write!(out, "task = {} in {}", task.name, task.process);
        if task.arrival > 0 {
            let _ = write!(out, " at {}", task.arrival);
        }
        for burst in &task.bursts {
            let _ = match burst {
                Burst::Cpu(n) => write!(out, " cpu {n}"),
                Burst::Io(n) => write!(out, " io {n}"),
            };
        }
        out.push('\n');
    }
    out
}

fn ticks(n: u32) -> String {
    if n == 1 { "1 tick".to_string() } else { format!("{n} ticks") }
}

fn describe(problem: &Problem) -> String {
    let cores = if problem.cores == 1 { "1 core".to_string() } else { format!("{} cores", problem.cores) };
    let policy = match problem.policy {
        Policy::Fifo => "first in, first out".to_string(),
        Policy::RoundRobin { quantum } => format!("round robin, quantum {quantum} ticks"),
    };
    let on_io = match problem.on_io {
        OnIo::Switch => "a task that starts I/O gives up its core",
        OnIo::Hold => "a task that starts I/O keeps its core",
    };
    format!(
        "{cores}, {policy}; {on_io}\ncontext switch: {} between threads of one process, {} between processes\n",
        ticks(problem.switch_thread),
        ticks(problem.switch_process)
    )
}

/// The text report: timelines, per-task times and where the core-ticks went.
pub fn report(problem: &Problem, schedule: &Schedule) -> String {
    let mut out = describe(problem);
    out.push('\n');
    let names: Vec<char> = problem.tasks.iter().map(|t| t.name).collect();
    let width = 60;
    let end = schedule.makespan as usize;
    for start in (0..end.max(1)).step_by(width) {
        let stop = (start + width).min(end);
        let mut ruler = String::new();
        let mut position = start;
        while position < stop {
            let label = position.to_string();
            ruler.push_str(&label);
            let pad =
                10usize.saturating_sub(label.len()).min(stop - position - label.len().min(stop - position));
            ruler.push_str(&" ".repeat(pad));
            position += label.len() + pad;
        }
        let _ = writeln!(out, "tick     {}", ruler.trim_end());
        for (c, lane) in schedule.cores.iter().enumerate() {
            let row: String = lane[start..stop]
                .iter()
                .map(|tick| match *tick {
                    CoreTick::Idle => '.',
                    CoreTick::Switch(_) => '~',
                    CoreTick::Run(i) => names[i],
                    CoreTick::Held(i) => names[i].to_ascii_lowercase(),
                })
                .collect();
            let _ = writeln!(out, "core {c:<3} {row}");
        }
        for (i, lane) in schedule.tasks.iter().enumerate() {
            let row: String = lane[start..stop]
                .iter()
                .map(|tick| match tick {
                    TaskTick::Absent => ' ',
                    TaskTick::Ready => '-',
                    TaskTick::SwitchingIn => '~',
                    TaskTick::Running => '=',
                    TaskTick::Io => 'i',
                })
                .collect();
            let _ = writeln!(out, "task {}   {}", names[i], row.trim_end());
        }
        out.push('\n');
    }
    out.push_str(
        "cores: A-Z runs that task, ~ context switch, a-z held while that task waits for I/O, . idle\n",
    );
    out.push_str("tasks: = running, ~ being switched in, - ready but waiting for a core, i in I/O\n\n");

    out.push_str("task  process   arrives  cpu   io  finishes  turnaround  waiting  response\n");
    let (mut sum_turnaround, mut sum_waiting, mut sum_response) = (0u32, 0u32, 0u32);
    for (task, stats) in problem.tasks.iter().zip(&schedule.stats) {
        let turnaround = stats.finish - task.arrival;
        let waiting = turnaround - stats.cpu - stats.io;
        let response = stats.first_run.unwrap_or(task.arrival) - task.arrival;
        sum_turnaround += turnaround;
        sum_waiting += waiting;
        sum_response += response;
        let _ = writeln!(
            out,
            "{:<5} {:<9} {:>7} {:>4} {:>4} {:>9} {:>11} {:>8} {:>9}",
            task.name,
            task.process,
            task.arrival,
            stats.cpu,
            stats.io,
            stats.finish,
            turnaround,
            waiting,
            response
        );
    }
    let n = problem.tasks.len() as f64;
    let _ = writeln!(
        out,
        "{:<46} {:>11.2} {:>8.2} {:>9.2}",
        "average",
        f64::from(sum_turnaround) / n,
        f64::from(sum_waiting) / n,
        f64::from(sum_response) / n
    );
    out.push_str(
        "(turnaround = finish - arrival; waiting = turnaround - cpu - io: time ready or being switched in;\n",
    );
    out.push_str(" response = first tick on a core - arrival)\n\n");

    let mut counts = [0u32; 4];
    for tick in schedule.cores.iter().flatten() {
        counts[match tick {
            CoreTick::Run(_) => 0,
            CoreTick::Switch(_) => 1,
            CoreTick::Held(_) => 2,
            CoreTick::Idle => 3,
        }] += 1;
    }
    let capacity = schedule.makespan * problem.cores as u32;
    let share = |n: u32| if capacity == 0 { 0.0 } else { 100.0 * f64::from(n) / f64::from(capacity) };
    let cores = if problem.cores == 1 { "1 core".to_string() } else { format!("{} cores", problem.cores) };
    let _ = writeln!(out, "makespan {} ticks x {cores} = {capacity} core-ticks", schedule.makespan);
    let _ =
        writeln!(out, "  running tasks  {:>5}  {:>5.1}%  <- CPU utilisation", counts[0], share(counts[0]));
    let _ = writeln!(
        out,
        "  switching      {:>5}  {:>5.1}%  (switches: {} between threads, {} between processes)",
        counts[1],
        share(counts[1]),
        schedule.thread_switches,
        schedule.process_switches
    );
    let _ = writeln!(out, "  held for I/O   {:>5}  {:>5.1}%", counts[2], share(counts[2]));
    let _ = writeln!(out, "  idle           {:>5}  {:>5.1}%", counts[3], share(counts[3]));
    out
}

/// The same run as a drawing: one lane per core, then one lane per task for its I/O.
pub fn draw(problem: &Problem, schedule: &Schedule) -> Figure {
    let name = |i: usize| problem.tasks[i].name.to_string();
    let mut lanes = Vec::new();
    for (c, ticks) in schedule.cores.iter().enumerate() {
        let spans = merge(ticks, |tick| match *tick {
            CoreTick::Idle => (SpanKind::Idle, "idle".to_string()),
            CoreTick::Switch(i) => (SpanKind::Overhead, format!("switch to {}", name(i))),
            CoreTick::Run(i) => (SpanKind::Busy, name(i)),
            CoreTick::Held(i) => (SpanKind::Wait, format!("{} waits for I/O (core held)", name(i))),
        });
        lanes.push(Lane { name: format!("core {c}"), spans });
    }
    for (i, ticks) in schedule.tasks.iter().enumerate() {
        let spans: Vec<Span> = merge(ticks, |tick| match tick {
            TaskTick::Io => (SpanKind::Wait, format!("{} I/O", name(i))),
            _ => (SpanKind::Idle, String::new()),
        })
        .into_iter()
        .filter(|span| span.kind == SpanKind::Wait)
        .collect();
        if !spans.is_empty() {
            lanes.push(Lane { name: format!("{} I/O", name(i)), spans });
        }
    }
    let title = describe(problem).lines().next().unwrap_or_default().to_string();
    let steps = Step::at_span_starts(&lanes, "ticks");
    Figure::Timeline { title, unit: "ticks".to_string(), lanes, steps }
}

/// Consecutive ticks with the same kind and label become one span.
fn merge<T>(ticks: &[T], label: impl Fn(&T) -> (SpanKind, String)) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    for (t, tick) in ticks.iter().enumerate() {
        let (kind, text) = label(tick);
        match spans.last_mut() {
            Some(last) if last.kind == kind && last.label == text && last.end == t as f64 => last.end += 1.0,
            _ => spans.push(Span { start: t as f64, end: t as f64 + 1.0, label: text, kind }),
        }
    }
    spans
}

// ANCHOR: predict
/// A small random problem for "predict, then reveal": same seed, same problem, everywhere.
pub fn generate(seed: u64) -> Problem {
    let mut rng = Rng::new(seed);
    let cores = if rng.chance(0.3) { 2 } else { 1 };
    let policy =
        if rng.chance(0.5) { Policy::Fifo } else { Policy::RoundRobin { quantum: rng.range(2, 4) as u32 } };
    let on_io = if rng.chance(0.75) { OnIo::Switch } else { OnIo::Hold };
    let count = if cores == 1 { 3 } else { rng.range(3, 4) as usize };
    let processes = ["web", "batch"];
    let tasks = (0..count)
        .map(|i| {
            let mut bursts = vec![Burst::Cpu(rng.range(1, 4) as u32)];
            if rng.chance(0.6) {
                bursts.push(Burst::Io(rng.range(1, 3) as u32));
                bursts.push(Burst::Cpu(rng.range(1, 3) as u32));
            }
            Task {
                name: (b'A' + i as u8) as char,
                process: processes[rng.range(0, 1) as usize].to_string(),
                arrival: if i == 0 { 0 } else { rng.range(0, 2) as u32 },
                bursts,
            }
        })
        .collect();
    Problem { cores, policy, on_io, switch_thread: 1, switch_process: 2, tasks }
}
// ANCHOR_END: predict

fn predict_then_reveal(seed: u64, problem: &Problem, schedule: &Schedule) -> String {
    let mut out =
        format!("Predict, then reveal (seed {seed}). The problem, as input for the scheduler example:\n\n");
    out.push_str(&to_input(problem));
    out.push_str("\nBefore you look: sketch what each core does tick by tick. When does each task finish?\n");
    out.push_str("How many ticks go to context switches, and what is the CPU utilisation?\n");
    out.push_str(REVEAL_MARKER);
    out.push('\n');
    out.push_str(&report(problem, schedule));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(input: &str) -> Problem {
        parse_problem(&Params::parse(input, KEYS).unwrap()).unwrap()
    }

    fn schedule(input: &str) -> (Problem, Schedule) {
        let problem = problem(input);
        let schedule = simulate(&problem, STEP_BUDGET).unwrap();
        (problem, schedule)
    }

    fn finishes(schedule: &Schedule) -> Vec<u32> {
        schedule.stats.iter().map(|s| s.finish).collect()
    }

    fn core_row(problem: &Problem, schedule: &Schedule, core: usize) -> String {
        let report = report(problem, schedule);
        let prefix = format!("core {core:<3} ");
        report.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap().to_string()
    }

    #[test]
    fn fifo_versus_round_robin_by_hand() {
        // One core, free switches, A and B both need 3 ticks of CPU and arrive at 0.
        // FIFO: A runs 0-3, B runs 3-6. Turnaround A 3, B 6 (average 4.5); B waits 3.
        // RR, quantum 1: A B A B A B. A ends at 5, B at 6 (average 5.5), but B first runs at
        // tick 1 instead of 3: round robin trades turnaround for response time.
        let tasks = "switch_thread = 0\nswitch_process = 0\ntask = A cpu 3\ntask = B cpu 3\n";
        let (p, fifo) = schedule(&format!("policy = fifo\n{tasks}"));
        assert_eq!(finishes(&fifo), [3, 6]);
        assert_eq!(core_row(&p, &fifo, 0), "AAABBB");
        assert_eq!(fifo.stats[1].first_run, Some(3));
        let (p, rr) = schedule(&format!("policy = rr\nquantum = 1\n{tasks}"));
        assert_eq!(finishes(&rr), [5, 6]);
        assert_eq!(core_row(&p, &rr, 0), "ABABAB");
        assert_eq!(rr.stats[1].first_run, Some(1));
        let text = report(&p, &rr);
        assert!(
            text.contains("average                                               5.50     2.50      0.50"),
            "{text}"
        );
    }

    #[test]
    fn switching_on_io_overlaps_it_with_other_work() {
        // One core, FIFO, free switches. A: cpu 2, io 3, cpu 1. B: cpu 4.
        // switch: A 0-2, then B 2-6 while A's I/O runs 2-5; A is ready at 5 but FIFO lets B
        //         finish, so A runs 6-7. Makespan 7, the core never idles: 7/7 = 100%.
        // hold:   A 0-2, holds the core 2-5, runs 5-6 and ends; B runs 6-10.
        //         Makespan 10, busy 7 of 10 = 70%.
        let tasks = "switch_process = 0\ntask = A cpu 2 io 3 cpu 1\ntask = B cpu 4\n";
        let (p, switch) = schedule(&format!("on_io = switch\n{tasks}"));
        assert_eq!(core_row(&p, &switch, 0), "AABBBBA");
        assert_eq!(finishes(&switch), [7, 6]);
        assert!(report(&p, &switch).contains("running tasks      7  100.0%"));
        let (p, hold) = schedule(&format!("on_io = hold\n{tasks}"));
        assert_eq!(core_row(&p, &hold, 0), "AAaaaABBBB");
        assert_eq!(finishes(&hold), [6, 10]);
        assert!(report(&p, &hold).contains("running tasks      7   70.0%"));
        assert!(report(&p, &hold).contains("held for I/O       3   30.0%"));
    }

    #[test]
    fn a_process_switch_costs_more_than_a_thread_switch() {
        // One core, RR quantum 2, A and B each need 4 ticks; thread switch 1, process switch 3.
        // Same process:  AA ~ BB ~ AA ~ BB  -> A ends at 8, B at 11; 3 switches cost 3 ticks.
        // Two processes: AA ~~~ BB ~~~ AA ~~~ BB -> A ends at 12, B at 17; 9 ticks of switching.
        let costs = "policy = rr\nquantum = 2\nswitch_thread = 1\nswitch_process = 3\n";
        let (p, threads) = schedule(&format!("{costs}task = A in app cpu 4\ntask = B in app cpu 4\n"));
        assert_eq!(core_row(&p, &threads, 0), "AA~BB~AA~BB");
        assert_eq!(finishes(&threads), [8, 11]);
        assert_eq!((threads.thread_switches, threads.process_switches), (3, 0));
        let (p, processes) = schedule(&format!("{costs}task = A in one cpu 4\ntask = B in two cpu 4\n"));
        assert_eq!(core_row(&p, &processes, 0), "AA~~~BB~~~AA~~~BB");
        assert_eq!(finishes(&processes), [12, 17]);
        assert_eq!((processes.thread_switches, processes.process_switches), (0, 3));
        assert!(report(&p, &processes).contains("running tasks      8   47.1%"));
    }

    #[test]
    fn no_preemption_when_nobody_waits_and_arrivals_queue_before_the_preempted() {
        // Quantum 2. A is alone for ticks 0-3: its quantum ends at 2 with nobody waiting, so it
        // runs on without a switch. B arrives at 4, the instant A's second quantum ends: B is
        // queued before the preempted A, so B runs 4-5 and A finishes at 7.
        let (p, s) =
            schedule("policy = rr\nquantum = 2\nswitch_process = 0\ntask = A cpu 5\ntask = B at 4 cpu 2\n");
        assert_eq!(core_row(&p, &s, 0), "AAAABBA");
        assert_eq!((s.thread_switches, s.process_switches), (0, 2));
    }

    #[test]
    fn two_cores_run_in_parallel_and_io_can_end_a_task() {
        let (p, s) = schedule("cores = 2\ntask = A cpu 3\ntask = B cpu 2 io 2\n");
        assert_eq!(core_row(&p, &s, 0), "AAA.");
        assert_eq!(core_row(&p, &s, 1), "BB..");
        assert_eq!(finishes(&s), [3, 4]);
        assert_eq!(s.makespan, 4);
        for (task, stats) in p.tasks.iter().zip(&s.stats) {
            let io: u32 = task.bursts.iter().map(|b| if let Burst::Io(n) = b { *n } else { 0 }).sum();
            assert_eq!(stats.io, io);
        }
    }

    #[test]
    fn the_step_budget_stops_the_loop_with_an_error() {
        let p = problem("task = A cpu 50");
        let err = simulate(&p, 10).unwrap_err();
        assert!(err.message.contains("budget of 10 ticks"), "{err}");
        // The worst valid input stays far inside the real budget.
        let worst = format!(
            "policy = rr\nquantum = 1\nswitch_process = 100\n{}",
            (0..2).map(|i| format!("task = {} cpu 500\n", (b'A' + i) as char)).collect::<String>()
        );
        // A runs 1 tick, then every one of the other 999 CPU ticks follows a 100-tick switch.
        let s = simulate(&problem(&worst), STEP_BUDGET).unwrap();
        assert_eq!(s.makespan, 1000 + 999 * 100);
        assert!(s.makespan < STEP_BUDGET);
    }

    #[test]
    fn bad_input_names_its_line() {
        let cases = [
            ("cores = 17\ntask = A cpu 1", "input line 1: 17 is out of range (from 1 to 16)"),
            (
                "policy = fifo\nquantum = 2\ntask = A cpu 1",
                "input line 2: `quantum` applies only to `policy = rr`",
            ),
            ("task = A cpu 1\ntask = A cpu 2", "input line 2: task `A` is defined twice"),
            ("task = a cpu 1", "input line 1: task name `a`: use one capital letter, A to Z"),
            ("task = A io 1", "input line 1: task A: start with a `cpu` burst"),
            ("task = A cpu 1 cpu 2", "input line 1: task A: two `cpu` bursts in a row; add them up into one"),
            ("task = A cpu", "input line 1: task A: `cpu` needs a length"),
            ("task = A cpu 2 fly 3", "input line 1: task A: `fly` is not `in`, `at`, `cpu` or `io`"),
            ("task = A cpu 0", "input line 1: 0 is out of range (from 1 to 1000)"),
            (
                "task = A cpu 600\ntask = B cpu 600",
                "input line 2: arrivals and bursts add up to more than 1000 ticks; make the tasks shorter",
            ),
            ("cores = 2", "no tasks: add a line such as `task = A cpu 3 io 2 cpu 1`"),
            ("seed = 4\ntask = A cpu 1", "input line 1: `seed` is used only with `mode = predict`"),
            (
                "mode = predict\ncores = 2",
                "input line 2: in predict mode the seed makes the problem: remove `cores` or set `mode = run`",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(run(input).unwrap_err().to_string(), expected, "input: {input:?}");
        }
        let many: String =
            (0..27).map(|i| format!("task = {} cpu 1\n", (b'A' + (i % 26) as u8) as char)).collect();
        assert_eq!(run(&many).unwrap_err().to_string(), "input line 27: at most 26 tasks (A to Z)");
    }

    #[test]
    fn predict_mode_is_deterministic_and_hides_its_answer_behind_the_marker() {
        let first = run_without_figure("mode = predict\nseed = 5").unwrap();
        assert_eq!(first, run_without_figure("mode = predict\nseed = 5").unwrap());
        assert_eq!(first.lines().filter(|line| *line == REVEAL_MARKER).count(), 1);
        let (question, answer) = first.split_once(REVEAL_MARKER).unwrap();
        assert!(!question.contains("turnaround") && answer.contains("turnaround"));
        let mut problems = std::collections::BTreeSet::new();
        for seed in 0..50 {
            let generated = generate(seed);
            // What predict mode prints is valid input for the same problem.
            assert_eq!(problem(&to_input(&generated)), generated, "seed {seed}");
            let s = simulate(&generated, STEP_BUDGET).unwrap();
            for (task, stats) in generated.tasks.iter().zip(&s.stats) {
                let (cpu, io) = task.bursts.iter().fold((0, 0), |(c, i), b| match b {
                    Burst::Cpu(n) => (c + n, i),
                    Burst::Io(n) => (c, i + n),
                });
                assert_eq!((stats.cpu, stats.io), (cpu, io), "seed {seed}, task {}", task.name);
                assert!(stats.finish >= task.arrival + cpu + io);
            }
            assert!(s.cores.iter().chain(&[]).all(|lane| lane.len() == s.makespan as usize));
            problems.insert(to_input(&generated));
        }
        assert!(problems.len() > 40, "only {} different problems in 50 seeds", problems.len());
    }

    /// The chapter's "Things to try" make claims about these one-line changes; they must hold.
    #[test]
    fn the_chapter_suggestions_do_what_the_chapter_says() {
        let ticks =
            |s: &Schedule, kind: fn(&CoreTick) -> bool| s.cores.iter().flatten().filter(|t| kind(t)).count();
        let switching = |s: &Schedule| ticks(s, |t| matches!(t, CoreTick::Switch(_)));
        let running = |s: &Schedule| ticks(s, |t| matches!(t, CoreTick::Run(_)));
        let utilisation =
            |s: &Schedule, cores: usize| running(s) as f64 / (s.makespan as usize * cores) as f64;
        let (_, rr) = schedule(DEFAULT_INPUT);
        assert_eq!((rr.makespan, switching(&rr), running(&rr)), (23, 13, 28));

        // fifo: fewer switch ticks, higher utilisation, and the web threads finish no later.
        let (_, fifo) = schedule(&DEFAULT_INPUT.replace("policy = rr\nquantum = 4", "policy = fifo"));
        assert!(switching(&fifo) < switching(&rr) && utilisation(&fifo, 2) > utilisation(&rr, 2));
        assert!((0..3).all(|web| fifo.stats[web].finish <= rr.stats[web].finish));

        // hold: cores sit held during I/O and the makespan grows.
        let (_, hold) = schedule(&DEFAULT_INPUT.replace("on_io = switch", "on_io = hold"));
        assert!(ticks(&hold, |t| matches!(t, CoreTick::Held(_))) > 0 && hold.makespan > rr.makespan);

        // D in web: every switch is a thread switch, less time goes to switching.
        let (_, web) = schedule(&DEFAULT_INPUT.replace("task = D in batch", "task = D in web"));
        assert_eq!(web.process_switches, 0);
        assert!(switching(&web) < switching(&rr));

        // One core: under fifo the web threads wait behind D; round robin gives them the core back.
        let one = DEFAULT_INPUT.replace("cores = 2", "cores = 1");
        let (_, one_rr) = schedule(&one);
        let (_, one_fifo) = schedule(&one.replace("policy = rr\nquantum = 4", "policy = fifo"));
        let web_turnaround = |s: &Schedule| s.stats[..3].iter().map(|t| t.finish).sum::<u32>();
        assert!(web_turnaround(&one_fifo) > web_turnaround(&one_rr));
        assert!(one_fifo.stats[2].first_run > one_rr.stats[2].first_run);
        assert!(one_rr.makespan > rr.makespan);
    }

    #[test]
    fn the_figure_has_a_lane_per_core_and_can_be_drawn() {
        let Drawn { text, figure } = run(DEFAULT_INPUT).unwrap();
        assert_eq!(text, run_without_figure(DEFAULT_INPUT).unwrap());
        figure.validate().unwrap();
        let Figure::Timeline { lanes, unit, .. } = figure else { panic!("not a timeline") };
        assert_eq!(unit, "ticks");
        assert_eq!(lanes[0].name, "core 0");
        assert_eq!(lanes[1].name, "core 1");
        assert!(lanes.iter().any(|lane| lane.spans.iter().any(|s| s.kind == SpanKind::Overhead)));
        assert!(lanes.iter().any(|lane| lane.name == "A I/O"));
    }
}
