//! The book's one CPU scheduler simulation: tasks made of CPU and I/O bursts on N cores, under
//! a choice of policies (FIFO, SJF, STCF, round robin, MLFQ, lottery, stride, and a simplified
//! CFS-style fair share), switching on I/O or holding the core, with a context-switch cost that
//! is lower between two threads of one process than between two processes. The chapters
//! "Processes, threads and cores" and "CPU scheduling" both show it.
//!
//! Time is counted in ticks. Every tick each core does one thing: runs a task, pays for a
//! context switch, sits held by a task that waits for I/O, or idles. The rules, in the order
//! they are applied at the start of tick `t`:
//!
//! 1. I/O that ends at `t` completes (tasks in name order); the task becomes ready, or finishes
//!    if that I/O was its last burst. A task that held its core keeps it and runs on.
//! 2. Tasks that arrive at `t` become ready (in name order), so they queue ahead of (3). Under
//!    MLFQ, if `t` is a multiple of the boost period, every task moves to the top queue.
//!    With a `cpu_max` quota, a period that starts at `t` refills the quota; while the quota is
//!    spent, every task leaves its core and none is dispatched (it is *throttled*), and a core
//!    that would run a task once the quota is spent within a tick idles instead.
//! 3. A core whose task used up its quantum at `t` preempts it if another task is ready (the
//!    task goes to the back of the ready list); otherwise the task runs on with a fresh quantum.
//!    Under STCF a ready task with a shorter remaining burst, and under MLFQ a ready task in a
//!    higher queue, also preempts a running one (the worst running one first).
//! 4. Each free core (lowest number first) takes the task the policy picks from the ready list.
//!    It pays no switch if that task is the last one it ran (or it has run nothing yet),
//!    `switch_thread` ticks if the last task belongs to the same process, and
//!    `switch_process` ticks otherwise.
//!
//! What "the task the policy picks" means: FIFO and round robin take the head of the list;
//! SJF and STCF the task whose current CPU burst has the fewest ticks left; MLFQ the first task
//! of the highest non-empty queue; lottery draws a ticket at random (seeded) among the ready
//! tasks; stride and fair take the lowest pass (virtual runtime), ties to the lower name.

use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::{Entry, Params};
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "scheduling::scheduler",
    title: "A CPU scheduler: bursts, cores, policies and the price of a context switch",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`cores = N`, `policy = fifo | sjf | stcf | rr | mlfq | lottery | stride | fair`, \
                 `quantum = N` (rr, lottery, stride, fair), `quanta = N N …`, `allotment = N`, `boost = N`, \
                 `accounting = strict | reset` (mlfq), `lottery_seed = N`, `on_io = switch | hold`, \
                 `switch_thread = N`, `switch_process = N`, one \
                 `task = A [in PROCESS] [at T] [tickets N] [nice N] cpu N io N cpu N …` per task; \
                 or `mode = predict` with `seed = N` for a generated problem",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// The same simulation with a generated problem: the page runs it without its output, so the
/// answer stays hidden until the reader asks; no figure, which would give the answer away.
pub const PREDICT: Example = Example {
    id: "scheduling::scheduler_predict",
    title: "Predict, then reveal: a generated scheduling problem",
    file: file!(),
    default_input: "mode = predict\nseed = 5\n",
    input_help: "`mode = predict` and `seed = N`: every seed generates another problem",
    runs: Runs::Everywhere,
    run: Run::Text(run_without_figure),
};

/// The same engine with an MLFQ workload: a long CPU-bound job, an interactive one and a late
/// short one.
pub const MLFQ: Example = Example {
    id: "scheduling::mlfq",
    title: "MLFQ: a CPU hog sinks, an interactive job stays on top",
    file: file!(),
    default_input: MLFQ_INPUT,
    input_help: EXAMPLE.input_help,
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const MLFQ_INPUT: &str = "\
# One core, three queues with quanta of 2, 4 and 8 ticks, free switches.
# A is CPU-bound, B is interactive (short bursts, then I/O), C arrives late and is short.
policy = mlfq
quanta = 2 4 8
allotment = 1
accounting = strict
switch_thread = 0
switch_process = 0
task = A cpu 30
task = B cpu 1 io 3 cpu 1 io 3 cpu 1 io 3 cpu 1
task = C at 12 cpu 5
";

/// Proportional share: two CPU-bound tasks with 3:1 tickets.
pub const SHARE: Example = Example {
    id: "scheduling::share",
    title: "Lottery and stride: the CPU shared 3:1 by tickets",
    file: file!(),
    default_input: SHARE_INPUT,
    input_help: EXAMPLE.input_help,
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const SHARE_INPUT: &str = "\
# Two CPU-bound tasks on one core; A holds three times B's tickets.
# Change `policy = lottery` to `stride` (and delete `lottery_seed`) and compare the shares.
policy = lottery
quantum = 1
lottery_seed = 7
switch_thread = 0
switch_process = 0
task = A tickets 75 cpu 40
task = B tickets 25 cpu 40
";

/// A simplified CFS: nice values become weights, virtual runtime picks the next task.
pub const FAIR: Example = Example {
    id: "scheduling::fair",
    title: "Fair share by virtual runtime: nice 0, nice 5 and a sleeper",
    file: file!(),
    default_input: FAIR_INPUT,
    input_help: EXAMPLE.input_help,
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const FAIR_INPUT: &str = "\
# One core, a 3-tick slice. A and B are CPU-bound, B at nice 5; C sleeps and wakes.
policy = fair
quantum = 3
switch_thread = 0
switch_process = 0
task = A cpu 40
task = B nice 5 cpu 40
task = C at 4 cpu 1 io 12 cpu 1 io 12 cpu 1
";

/// A cgroup CPU limit: an event loop and three busy pool threads in a container of 1 CPU.
pub const THROTTLE: Example = Example {
    id: "scheduling::throttle",
    title: "A container's CPU quota: four threads burn it in a quarter of the period",
    file: file!(),
    default_input: THROTTLE_INPUT,
    input_help: EXAMPLE.input_help,
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const THROTTLE_INPUT: &str = "\
# A container limited to 1 CPU: 20 ticks of CPU per 20-tick period (cpu.max \"20 20\"), on 4 cores.
# W is the event loop: a request every 10 ticks needs 1 tick of CPU. P, Q and R are busy
# pool threads of the same process. Switches are free.
cores = 4
policy = rr
quantum = 5
switch_thread = 0
switch_process = 0
cpu_max = 20 20
task = W in node cpu 1 io 9 cpu 1 io 9 cpu 1 io 9 cpu 1 io 9 cpu 1
task = P in node cpu 30
task = Q in node cpu 30
task = R in node cpu 30
";

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// First in, first out: a task keeps its core until it finishes or starts I/O.
    Fifo,
    /// Shortest job first: like FIFO, but a free core takes the task whose current CPU burst is
    /// shortest. Never preempts.
    Sjf,
    /// Shortest time to completion first: SJF that preempts a running task when a ready one has
    /// fewer ticks left in its burst.
    Stcf,
    /// Round robin: a task is preempted after `quantum` ticks if another one is ready.
    RoundRobin { quantum: u32 },
    /// Multi-level feedback queue (OSTEP's five rules).
    Mlfq(Mlfq),
    /// Lottery: every `quantum` ticks a core draws a ticket among the ready tasks.
    Lottery { quantum: u32, seed: u64 },
    /// Stride: the ready task with the lowest pass runs; each tick adds 10,000 / tickets.
    Stride { quantum: u32 },
    /// A simplified CFS: stride with Linux's nice-to-weight table, in which a task that wakes
    /// from I/O is placed no lower than the lowest virtual runtime of the runnable tasks.
    Fair { quantum: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mlfq {
    /// The quantum of each queue, highest priority first.
    pub quanta: Vec<u32>,
    /// How many of its level's quanta a task may use at that level before it moves down.
    pub allotment: u32,
    /// Every this many ticks every task moves back to the top queue (rule 5).
    pub boost: Option<u32>,
    pub accounting: Accounting,
}

/// How MLFQ counts a task's use of its allotment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accounting {
    /// Rule 4 as OSTEP states it: CPU time adds up at a level however often the task blocks.
    Strict,
    /// The older rule 4b: a task that starts I/O starts its allotment again, so a task that
    /// blocks just before its quantum ends can stay at the top for ever.
    Reset,
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
    /// Lottery and stride share the CPU in proportion to tickets.
    pub tickets: u32,
    /// Fair shares it by the weight Linux gives this nice value (-20 to 19).
    pub nice: i32,
    pub bursts: Vec<Burst>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub cores: usize,
    pub policy: Policy,
    pub on_io: OnIo,
    pub switch_thread: u32,
    pub switch_process: u32,
    /// A cgroup's `cpu.max` for all the tasks together: at most `quota` ticks of CPU, summed over
    /// the cores, in every `period` ticks; then every task is throttled until the period ends.
    pub cpu_max: Option<CpuMax>,
    pub tasks: Vec<Task>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuMax {
    pub quota: u32,
    pub period: u32,
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
    /// Ready, but its group has used up its CPU quota for this period.
    Throttled,
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
    /// Under `cpu_max`: periods, and periods in which the quota ran out (`nr_periods` and
    /// `nr_throttled` in a cgroup's `cpu.stat`); wall-clock ticks in which some task was ready
    /// but throttled; and those ticks summed over the cores that had a throttled task to run
    /// (at most one per core), which is how `throttled_usec` counts: the kernel adds each CPU's
    /// throttled time (`unthrottle_cfs_rq`), so 4 CPUs throttled for 75 ms report 300 ms.
    pub periods: u32,
    pub throttled_periods: u32,
    pub throttled_ticks: u32,
    pub throttled_core_ticks: u32,
    /// Under MLFQ, each task's queue at every tick (0 is the top); empty otherwise.
    pub levels: Vec<Vec<usize>>,
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

// ANCHOR: weights
/// Linux's weight for each nice value, -20 to 19 (`sched_prio_to_weight` in
/// `kernel/sched/core.c`): each step is about 1.25 times the next, nice 0 is 1024.
pub const NICE_TO_WEIGHT: [u32; 40] = [
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904, 3906, 3121,
    2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29,
    23, 18, 15,
];

pub fn weight(nice: i32) -> u32 {
    NICE_TO_WEIGHT[(nice.clamp(-20, 19) + 20) as usize]
}

/// Stride scheduling's big number (OSTEP uses 10,000): a task's stride is this over its tickets.
pub const STRIDE_ONE: u64 = 10_000;
/// Fair's unit of virtual time: a tick at nice 0 adds this much; at weight w, 1024 * this / w.
pub const VTIME_PER_TICK: u64 = 1_000;

/// What the policy adds to a task's pass (virtual runtime) for each tick it runs.
fn stride(policy: &Policy, task: &Task) -> u64 {
    match policy {
        Policy::Stride { .. } => STRIDE_ONE / u64::from(task.tickets),
        Policy::Fair { .. } => 1024 * VTIME_PER_TICK / u64::from(weight(task.nice)),
        _ => 0,
    }
}
// ANCHOR_END: weights

/// The mutable state of one run, apart from the cores.
struct Sim<'a> {
    problem: &'a Problem,
    state: Vec<State>,
    /// Index of the burst after the current one, and ticks left in the current one.
    next_burst: Vec<usize>,
    left: Vec<u32>,
    stats: Vec<TaskStats>,
    /// Ready tasks, in the order they became ready.
    ready: Vec<usize>,
    /// MLFQ: queue and ticks used at that queue; stride and fair: pass.
    level: Vec<usize>,
    used: Vec<u32>,
    pass: Vec<u64>,
    /// The lowest pass of the runnable tasks, never decreasing (CFS's `min_vruntime`).
    floor: u64,
    rng: Rng,
}

impl Sim<'_> {
    /// Moves task `i` past the burst it just finished, at time `t`. Returns the next burst.
    fn advance(&mut self, i: usize, t: u32) -> Option<Burst> {
        let burst = self.problem.tasks[i].bursts.get(self.next_burst[i]).copied();
        self.next_burst[i] += 1;
        match burst {
            Some(Burst::Cpu(len)) | Some(Burst::Io(len)) => self.left[i] = len,
            None => self.stats[i].finish = t,
        }
        burst
    }

    fn quantum(&self, i: usize) -> u32 {
        match &self.problem.policy {
            Policy::Fifo | Policy::Sjf | Policy::Stcf => u32::MAX,
            Policy::RoundRobin { quantum }
            | Policy::Lottery { quantum, .. }
            | Policy::Stride { quantum }
            | Policy::Fair { quantum } => *quantum,
            Policy::Mlfq(m) => m.quanta[self.level[i]],
        }
    }

    /// How urgent a task is under SJF, STCF and MLFQ (lower runs first).
    fn rank(&self, i: usize) -> u64 {
        match self.problem.policy {
            Policy::Mlfq(_) => self.level[i] as u64,
            _ => u64::from(self.left[i]),
        }
    }

    // ANCHOR: pick
    /// Takes the task the policy runs next out of the ready list.
    fn pick(&mut self) -> Option<usize> {
        if self.ready.is_empty() {
            return None;
        }
        let position = match &self.problem.policy {
            Policy::Fifo | Policy::RoundRobin { .. } => 0,
            Policy::Sjf | Policy::Stcf | Policy::Mlfq(_) => {
                (0..self.ready.len()).min_by_key(|&p| self.rank(self.ready[p])).unwrap_or(0)
            }
            Policy::Lottery { .. } => {
                let tickets = |i: usize| u64::from(self.problem.tasks[i].tickets);
                let total: u64 = self.ready.iter().map(|&i| tickets(i)).sum();
                let mut winner = self.rng.range(0, total - 1);
                let mut position = 0;
                while winner >= tickets(self.ready[position]) {
                    winner -= tickets(self.ready[position]);
                    position += 1;
                }
                position
            }
            Policy::Stride { .. } | Policy::Fair { .. } => {
                (0..self.ready.len()).min_by_key(|&p| (self.pass[self.ready[p]], self.ready[p])).unwrap_or(0)
            }
        };
        Some(self.ready.remove(position))
    }
    // ANCHOR_END: pick

    /// Task `i` becomes ready; `woke` is true when it comes back from I/O.
    fn make_ready(&mut self, i: usize, woke: bool) {
        self.state[i] = State::Ready;
        self.ready.push(i);
        if woke && matches!(self.problem.policy, Policy::Fair { .. }) {
            self.pass[i] = self.pass[i].max(self.floor);
        }
    }
}

/// Runs `problem` tick by tick; gives up with an error after `budget` ticks.
pub fn simulate(problem: &Problem, budget: u32) -> Result<Schedule, InputError> {
    let n = problem.tasks.len();
    let seed = if let Policy::Lottery { seed, .. } = problem.policy { seed } else { 0 };
    let mut run = Sim {
        problem,
        state: vec![State::NotArrived; n],
        next_burst: vec![0; n],
        left: vec![0; n],
        stats: vec![TaskStats::default(); n],
        ready: Vec::new(),
        level: vec![0; n],
        used: vec![0; n],
        pass: vec![0; n],
        floor: 0,
        rng: Rng::new(seed),
    };
    let mlfq = if let Policy::Mlfq(m) = &problem.policy { Some(m) } else { None };
    let mut cores = vec![Core::default(); problem.cores];
    let mut out = Schedule {
        cores: vec![Vec::new(); problem.cores],
        tasks: vec![Vec::new(); n],
        stats: Vec::new(),
        thread_switches: 0,
        process_switches: 0,
        makespan: 0,
        periods: 0,
        throttled_periods: 0,
        throttled_ticks: 0,
        throttled_core_ticks: 0,
        levels: vec![Vec::new(); if mlfq.is_some() { n } else { 0 }],
    };
    // CPU used in the current period, and whether the quota has run out.
    let (mut used, mut throttled) = (0u32, false);
    let mut t = 0;
    while run.state.iter().any(|s| *s != State::Done) {
        if t >= budget {
            return Err(InputError::new(format!(
                "the simulation did not finish within its budget of {budget} ticks"
            )));
        }
        // 1. I/O that ends now: the task is ready (or done); a held core runs it on.
        for i in 0..n {
            if run.state[i] == (State::InIo { until: t }) {
                match run.advance(i, t) {
                    None => run.state[i] = State::Done,
                    Some(_) => run.make_ready(i, true),
                }
            }
        }
        for core in cores.iter_mut().filter(|c| c.held_until == Some(t)) {
            let i = core.task.expect("a held core has a task");
            core.held_until = None;
            core.quantum_left = run.quantum(i);
            if run.advance(i, t).is_none() {
                run.state[i] = State::Done;
                core.task = None;
            }
        }
        // 2. Arrivals, placed at the lowest pass of the runnable tasks; then MLFQ's boost.
        for i in 0..n {
            if run.state[i] == State::NotArrived && problem.tasks[i].arrival == t {
                run.advance(i, t);
                run.pass[i] = run.floor;
                run.make_ready(i, false);
            }
        }
        if let Some(period) = mlfq.and_then(|m| m.boost)
            && t > 0
            && t % period == 0
        {
            run.level.iter_mut().for_each(|l| *l = 0);
            run.used.iter_mut().for_each(|u| *u = 0);
            for core in cores.iter_mut() {
                if let Some(i) = core.task {
                    core.quantum_left = run.quantum(i);
                    core.quantum_expired = false;
                }
            }
        }
        // ANCHOR: throttle
        // A new period refills the quota; a group out of quota leaves every core.
        if let Some(CpuMax { period, .. }) = problem.cpu_max {
            if t % period == 0 {
                (used, throttled) = (0, false);
                out.periods += 1;
            }
            if throttled {
                for core in cores.iter_mut().filter(|c| c.held_until.is_none()) {
                    if let Some(i) = core.task.take() {
                        core.quantum_expired = false;
                        run.make_ready(i, false);
                    }
                }
            }
        }
        // ANCHOR_END: throttle
        // 3. Quantum expiry: preempt only if someone else is waiting.
        for core in cores.iter_mut().filter(|c| c.quantum_expired) {
            core.quantum_expired = false;
            if run.ready.is_empty() {
                core.quantum_left = core.task.map_or(0, |i| run.quantum(i));
            } else if let Some(i) = core.task.take() {
                run.make_ready(i, false);
            }
        }
        // STCF and MLFQ: the most urgent ready tasks preempt the least urgent running ones.
        if matches!(problem.policy, Policy::Stcf | Policy::Mlfq(_)) {
            let mut waiting: Vec<u64> = run.ready.iter().map(|&i| run.rank(i)).collect();
            waiting.sort_unstable();
            let mut running: Vec<(u64, usize)> = cores
                .iter()
                .enumerate()
                .filter(|(_, c)| c.held_until.is_none())
                .filter_map(|(c, core)| core.task.map(|i| (run.rank(i), c)))
                .collect();
            running.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for (urgent, (rank, c)) in waiting.into_iter().zip(running) {
                if urgent >= rank {
                    break;
                }
                let i = cores[c].task.take().expect("a running core has a task");
                run.make_ready(i, false);
            }
        }
        // 4. Dispatch: a free core takes the task the policy picks and pays for the switch.
        for core in cores.iter_mut().filter(|c| c.task.is_none() && !throttled) {
            let Some(i) = run.pick() else { break };
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
            core.quantum_left = run.quantum(i);
            run.state[i] = State::OnCore;
        }
        // The tick itself: every core does one thing, every task is in one state.
        let mut doing: Vec<TaskTick> = run
            .state
            .iter()
            .map(|s| match s {
                State::Ready if throttled => TaskTick::Throttled,
                State::Ready => TaskTick::Ready,
                State::InIo { .. } => TaskTick::Io,
                _ => TaskTick::Absent,
            })
            .collect();
        let levels_now = run.level.clone(); // the queue each task is in during this tick
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
                // The quota ran out on an earlier core this tick: this one stops too.
                Some(i) if problem.cpu_max.is_some_and(|m| used >= m.quota) => {
                    core.task = None;
                    core.quantum_expired = false;
                    run.make_ready(i, false);
                    doing[i] = TaskTick::Throttled;
                    CoreTick::Idle
                }
                Some(i) => {
                    used += 1;
                    doing[i] = TaskTick::Running;
                    run.stats[i].first_run.get_or_insert(t);
                    run.stats[i].cpu += 1;
                    run.left[i] -= 1;
                    run.pass[i] += stride(&problem.policy, &problem.tasks[i]);
                    core.quantum_left = core.quantum_left.saturating_sub(1);
                    // ANCHOR: mlfq
                    // MLFQ rule 4: a task that has used its allotment at a level moves down.
                    if let Some(m) = mlfq {
                        run.used[i] += 1;
                        if run.used[i] >= m.allotment * m.quanta[run.level[i]] {
                            run.level[i] = (run.level[i] + 1).min(m.quanta.len() - 1);
                            run.used[i] = 0;
                            core.quantum_left = 0;
                        }
                    }
                    // ANCHOR_END: mlfq
                    if run.left[i] == 0 {
                        match run.advance(i, t + 1) {
                            None => {
                                run.state[i] = State::Done;
                                core.task = None;
                            }
                            Some(burst) => {
                                if mlfq.is_some_and(|m| m.accounting == Accounting::Reset) {
                                    run.used[i] = 0; // the old rule 4b: blocking forgives
                                }
                                match burst {
                                    Burst::Io(len) if problem.on_io == OnIo::Switch => {
                                        run.state[i] = State::InIo { until: t + 1 + len };
                                        core.task = None;
                                    }
                                    Burst::Io(len) => core.held_until = Some(t + 1 + len),
                                    Burst::Cpu(_) => core.quantum_expired = core.quantum_left == 0,
                                }
                            }
                        }
                    } else if core.quantum_left == 0 {
                        core.quantum_expired = true;
                    }
                    CoreTick::Run(i)
                }
            };
            out.cores[c].push(tick);
        }
        if problem.cpu_max.is_some_and(|m| used >= m.quota) && !throttled {
            throttled = true;
            out.throttled_periods += 1;
        }
        // Throttled time, wall-clock and per core (a core holds at most one throttled task).
        let waiting = doing.iter().filter(|tick| **tick == TaskTick::Throttled).count();
        out.throttled_ticks += u32::from(waiting > 0);
        out.throttled_core_ticks += waiting.min(problem.cores) as u32;
        for (i, tick) in doing.into_iter().enumerate() {
            run.stats[i].io += u32::from(tick == TaskTick::Io);
            out.tasks[i].push(tick);
            if let Some(levels) = out.levels.get_mut(i) {
                levels.push(levels_now[i]);
            }
        }
        // The floor follows the lowest pass of the runnable tasks and never goes back.
        let runnable = (0..n).filter(|&i| matches!(run.state[i], State::Ready | State::OnCore));
        if let Some(lowest) = runnable.map(|i| run.pass[i]).min() {
            run.floor = run.floor.max(lowest);
        }
        t += 1;
    }
    // A run that ends with I/O has one idle tick too many; cut every lane at the makespan.
    out.makespan = run.stats.iter().map(|s| s.finish).max().unwrap_or(0);
    let end = out.makespan as usize;
    out.cores.iter_mut().for_each(|lane| lane.truncate(end));
    out.tasks.iter_mut().for_each(|lane| lane.truncate(end));
    out.levels.iter_mut().for_each(|lane| lane.truncate(end));
    out.stats = run.stats;
    Ok(out)
}
// ANCHOR_END: example

const KEYS: &[&str] = &[
    "mode",
    "seed",
    "cores",
    "policy",
    "quantum",
    "quanta",
    "allotment",
    "boost",
    "accounting",
    "lottery_seed",
    "on_io",
    "switch_thread",
    "switch_process",
    "cpu_max",
    "task",
];
pub const MAX_QUEUES: usize = 8;
pub const MAX_TICKETS: u32 = 1000;

/// The scheduler: its report (in predict mode, the problem, then the report as the answer) and
/// the same schedule as a timeline.
pub fn run(input: &str) -> Result<Drawn, InputError> {
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
    let policy = read_policy(params)?;
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
    let cpu_max = match params.one("cpu_max")? {
        None => None,
        Some(entry) => match entry.numbers(1, MAX_QUANTUM * MAX_CORES as u32)?[..] {
            [quota, period] if period <= MAX_QUANTUM => Some(CpuMax { quota, period }),
            _ => {
                return Err(InputError::at_line(
                    entry.line,
                    format!(
                        "`cpu_max` is a quota and a period in ticks, such as `cpu_max = 5 10`, period at most {MAX_QUANTUM}"
                    ),
                ));
            }
        },
    };
    Ok(Problem { cores, policy, on_io, switch_thread, switch_process, cpu_max, tasks })
}

/// The keys that belong to one policy only, and the policies they belong to.
const POLICY_KEYS: &[(&str, &[&str], &str)] = &[
    ("quantum", &["rr", "lottery", "stride", "fair"], "`policy = rr`, `lottery`, `stride` or `fair`"),
    ("quanta", &["mlfq"], "`policy = mlfq`"),
    ("allotment", &["mlfq"], "`policy = mlfq`"),
    ("boost", &["mlfq"], "`policy = mlfq`"),
    ("accounting", &["mlfq"], "`policy = mlfq`"),
    ("lottery_seed", &["lottery"], "`policy = lottery`"),
];

fn read_policy(params: &Params<'_>) -> Result<Policy, InputError> {
    let name = params.choice_or(
        "policy",
        &["fifo", "sjf", "stcf", "rr", "mlfq", "lottery", "stride", "fair"],
        "fifo",
    )?;
    for (key, policies, which) in POLICY_KEYS {
        if let Some(entry) = params.one(key)?.filter(|_| !policies.contains(&name)) {
            return Err(InputError::at_line(entry.line, format!("`{key}` applies only to {which}")));
        }
    }
    let quantum = || params.number_or("quantum", 1, MAX_QUANTUM, 4);
    Ok(match name {
        "sjf" => Policy::Sjf,
        "stcf" => Policy::Stcf,
        "rr" => Policy::RoundRobin { quantum: quantum()? },
        "lottery" => {
            Policy::Lottery { quantum: quantum()?, seed: params.number_or("lottery_seed", 0, u64::MAX, 1)? }
        }
        "stride" => Policy::Stride { quantum: quantum()? },
        "fair" => Policy::Fair { quantum: quantum()? },
        "mlfq" => {
            let quanta = match params.one("quanta")? {
                None => vec![2, 4, 8],
                Some(entry) => {
                    let quanta: Vec<u32> = entry.numbers(1, MAX_QUANTUM)?;
                    if quanta.is_empty() || quanta.len() > MAX_QUEUES {
                        return Err(InputError::at_line(
                            entry.line,
                            format!("`quanta` lists one quantum per queue, 1 to {MAX_QUEUES} queues"),
                        ));
                    }
                    quanta
                }
            };
            let boost = params.number_or("boost", 0, MAX_TIME_UNITS, 0)?;
            Policy::Mlfq(Mlfq {
                quanta,
                allotment: params.number_or("allotment", 1, 10, 1)?,
                boost: (boost > 0).then_some(boost),
                accounting: match params.choice_or("accounting", &["strict", "reset"], "strict")? {
                    "reset" => Accounting::Reset,
                    _ => Accounting::Strict,
                },
            })
        }
        _ => Policy::Fifo,
    })
}

pub fn parse_task(entry: &Entry<'_>) -> Result<Task, InputError> {
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
    let mut task =
        Task { name, process: name.to_string(), arrival: 0, tickets: 100, nice: 0, bursts: Vec::new() };
    let (mut seen_in, mut seen_at, mut seen_tickets, mut seen_nice) = (false, false, false, false);
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
            "tickets" if !seen_tickets && task.bursts.is_empty() => {
                task.tickets = crate::input::parse_number(value("a number")?, line, 1, MAX_TICKETS)?;
                seen_tickets = true;
            }
            "nice" if !seen_nice && task.bursts.is_empty() => {
                task.nice = crate::input::parse_number(value("a number")?, line, -20, 19)?;
                seen_nice = true;
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
            "in" | "at" | "tickets" | "nice" => {
                return Err(InputError::at_line(
                    line,
                    format!("task {name}: `{word}` goes once, before the bursts"),
                ));
            }
            other => {
                return Err(InputError::at_line(
                    line,
                    format!("task {name}: `{other}` is not `in`, `at`, `tickets`, `nice`, `cpu` or `io`"),
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
    let _ = match &problem.policy {
        Policy::Fifo => writeln!(out, "policy = fifo"),
        Policy::Sjf => writeln!(out, "policy = sjf"),
        Policy::Stcf => writeln!(out, "policy = stcf"),
        Policy::RoundRobin { quantum } => writeln!(out, "policy = rr\nquantum = {quantum}"),
        Policy::Lottery { quantum, seed } => {
            writeln!(out, "policy = lottery\nquantum = {quantum}\nlottery_seed = {seed}")
        }
        Policy::Stride { quantum } => writeln!(out, "policy = stride\nquantum = {quantum}"),
        Policy::Fair { quantum } => writeln!(out, "policy = fair\nquantum = {quantum}"),
        Policy::Mlfq(m) => {
            let quanta: Vec<String> = m.quanta.iter().map(u32::to_string).collect();
            let _ =
                writeln!(out, "policy = mlfq\nquanta = {}\nallotment = {}", quanta.join(" "), m.allotment);
            if let Some(boost) = m.boost {
                let _ = writeln!(out, "boost = {boost}");
            }
            let accounting = if m.accounting == Accounting::Strict { "strict" } else { "reset" };
            writeln!(out, "accounting = {accounting}")
        }
    };
    let on_io = if problem.on_io == OnIo::Switch { "switch" } else { "hold" };
    let _ = writeln!(out, "on_io = {on_io}");
    let _ = writeln!(
        out,
        "switch_thread = {}\nswitch_process = {}",
        problem.switch_thread, problem.switch_process
    );
    if let Some(CpuMax { quota, period }) = problem.cpu_max {
        let _ = writeln!(out, "cpu_max = {quota} {period}");
    }
    for task in &problem.tasks {
        let _ = write!(out, "task = {} in {}", task.name, task.process);
        if task.arrival > 0 {
            let _ = write!(out, " at {}", task.arrival);
        }
        if task.tickets != 100 {
            let _ = write!(out, " tickets {}", task.tickets);
        }
        if task.nice != 0 {
            let _ = write!(out, " nice {}", task.nice);
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
    let policy = policy_name(&problem.policy);
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

/// The policy in words, with its parameters.
pub fn policy_name(policy: &Policy) -> String {
    match policy {
        Policy::Fifo => "first in, first out".to_string(),
        Policy::Sjf => "shortest job first".to_string(),
        Policy::Stcf => "shortest time to completion first".to_string(),
        Policy::RoundRobin { quantum } => format!("round robin, quantum {}", ticks(*quantum)),
        Policy::Lottery { quantum, seed } => format!("lottery, quantum {}, seed {seed}", ticks(*quantum)),
        Policy::Stride { quantum } => format!("stride, quantum {}", ticks(*quantum)),
        Policy::Fair { quantum } => format!("fair (CFS-style vruntime), slice {}", ticks(*quantum)),
        Policy::Mlfq(m) => {
            let quanta: Vec<String> = m.quanta.iter().map(u32::to_string).collect();
            let boost = m.boost.map_or("no boost".to_string(), |b| format!("boost every {}", ticks(b)));
            let accounting = match m.accounting {
                Accounting::Strict => "strict accounting",
                Accounting::Reset => "allotment reset on I/O",
            };
            format!(
                "MLFQ, {} queues with quanta {}, allotment {}, {boost}, {accounting}",
                m.quanta.len(),
                quanta.join("/"),
                if m.allotment == 1 { "1 quantum".to_string() } else { format!("{} quanta", m.allotment) },
            )
        }
    }
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
                    TaskTick::Throttled => 'x',
                })
                .collect();
            let _ = writeln!(out, "task {}   {}", names[i], row.trim_end());
        }
        for (i, lane) in schedule.levels.iter().enumerate() {
            let row: String = lane[start..stop]
                .iter()
                .zip(&schedule.tasks[i][start..stop])
                .map(|(level, tick)| match tick {
                    TaskTick::Absent => ' ',
                    _ => char::from_digit(*level as u32, 10).unwrap_or('?'),
                })
                .collect();
            let _ = writeln!(out, "queue {}  {}", names[i], row.trim_end());
        }
        out.push('\n');
    }
    out.push_str(
        "cores: A-Z runs that task, ~ context switch, a-z held while that task waits for I/O, . idle\n",
    );
    out.push_str("tasks: = running, ~ being switched in, - ready but waiting for a core, i in I/O\n");
    if problem.cpu_max.is_some() {
        out.push_str("       x ready, but throttled: the group has used its CPU quota for this period\n");
    }
    if !schedule.levels.is_empty() {
        out.push_str("queue: the MLFQ queue each task is in (0 is the top) while it is in the system\n");
    }
    out.push('\n');

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

    out.push_str(&shares(problem, schedule));
    if let Some(CpuMax { quota, period }) = problem.cpu_max {
        let _ = writeln!(
            out,
            "cpu_max {quota} {period}: up to {} of CPU in every {period}-tick period, across all cores",
            ticks(quota)
        );
        let _ = writeln!(
            out,
            "periods {}, throttled in {} of them  (cpu.stat: nr_periods, nr_throttled)",
            schedule.periods, schedule.throttled_periods
        );
        let _ = writeln!(
            out,
            "throttled for {} of wall-clock time, {} summed over cores (throttled_usec sums over CPUs)\n",
            ticks(schedule.throttled_ticks),
            ticks(schedule.throttled_core_ticks)
        );
    }
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

/// Under lottery, stride and fair: how the CPU was shared while every task was still there (up
/// to the first finish), against the share its tickets or weight ask for. Empty otherwise.
pub fn shares(problem: &Problem, schedule: &Schedule) -> String {
    let by: fn(&Task) -> u32 = match problem.policy {
        Policy::Lottery { .. } | Policy::Stride { .. } => |task| task.tickets,
        Policy::Fair { .. } => |task| weight(task.nice),
        _ => return String::new(),
    };
    let until = schedule.stats.iter().map(|s| s.finish).min().unwrap_or(0) as usize;
    let got: Vec<u32> = (0..problem.tasks.len())
        .map(|i| schedule.tasks[i][..until].iter().filter(|t| **t == TaskTick::Running).count() as u32)
        .collect();
    let total_got: u32 = got.iter().sum();
    let total_asked: u32 = problem.tasks.iter().map(by).sum();
    let what = if matches!(problem.policy, Policy::Fair { .. }) { "nice  weight" } else { "tickets" };
    let mut out = format!("CPU ticks each task got before the first one finished (ticks 0 to {until}):\n");
    let _ = writeln!(out, "task  {what:>12}  asks for  got");
    for (task, got) in problem.tasks.iter().zip(&got) {
        let asked = if matches!(problem.policy, Policy::Fair { .. }) {
            format!("{:>4} {:>7}", task.nice, weight(task.nice))
        } else {
            format!("{:>12}", task.tickets)
        };
        let percent =
            |part: u32, whole: u32| if whole == 0 { 0.0 } else { 100.0 * f64::from(part) / f64::from(whole) };
        let _ = writeln!(
            out,
            "{:<5} {asked}  {:>7.1}%  {:>3} ({:.1}%)",
            task.name,
            percent(by(task), total_asked),
            got,
            percent(*got, total_got)
        );
    }
    out.push('\n');
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
            TaskTick::Throttled => (SpanKind::Lost, format!("{} throttled", name(i))),
            _ => (SpanKind::Idle, String::new()),
        })
        .into_iter()
        .filter(|span| span.kind != SpanKind::Idle)
        .collect();
        if !spans.is_empty() {
            let throttled = spans.iter().any(|span| span.kind == SpanKind::Lost);
            let lane =
                if throttled { format!("{} I/O, throttled", name(i)) } else { format!("{} I/O", name(i)) };
            lanes.push(Lane { name: lane, spans });
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
                tickets: 100,
                nice: 0,
                bursts,
            }
        })
        .collect();
    Problem { cores, policy, on_io, switch_thread: 1, switch_process: 2, cpu_max: None, tasks }
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
                "input line 2: `quantum` applies only to `policy = rr`, `lottery`, `stride` or `fair`",
            ),
            ("task = A cpu 1\ntask = A cpu 2", "input line 2: task `A` is defined twice"),
            ("task = a cpu 1", "input line 1: task name `a`: use one capital letter, A to Z"),
            ("task = A io 1", "input line 1: task A: start with a `cpu` burst"),
            ("task = A cpu 1 cpu 2", "input line 1: task A: two `cpu` bursts in a row; add them up into one"),
            ("task = A cpu", "input line 1: task A: `cpu` needs a length"),
            (
                "task = A cpu 2 fly 3",
                "input line 1: task A: `fly` is not `in`, `at`, `tickets`, `nice`, `cpu` or `io`",
            ),
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

    // ---- The policies of the chapter "CPU scheduling", each against a hand computation. ----

    /// Average turnaround and response time, in ticks.
    fn averages(problem: &Problem, s: &Schedule) -> (f64, f64) {
        let n = problem.tasks.len() as f64;
        let turnaround: u32 = problem.tasks.iter().zip(&s.stats).map(|(t, st)| st.finish - t.arrival).sum();
        let response: u32 =
            problem.tasks.iter().zip(&s.stats).map(|(t, st)| st.first_run.unwrap() - t.arrival).sum();
        (f64::from(turnaround) / n, f64::from(response) / n)
    }

    const FREE: &str = "switch_thread = 0\nswitch_process = 0\n";

    #[test]
    fn three_equal_jobs_under_fifo() {
        // OSTEP 7.3: A, B, C each 10 ticks, all at 0. FIFO runs A 0-10, B 10-20, C 20-30.
        // Turnaround (10 + 20 + 30) / 3 = 20; response (0 + 10 + 20) / 3 = 10.
        let (p, s) =
            schedule(&format!("policy = fifo\n{FREE}task = A cpu 10\ntask = B cpu 10\ntask = C cpu 10\n"));
        assert_eq!(finishes(&s), [10, 20, 30]);
        assert_eq!(averages(&p, &s), (20.0, 10.0));
    }

    #[test]
    fn the_convoy_effect_and_sjf() {
        // OSTEP 7.4: A 100, B 10, C 10, all at 0 (A first in line).
        // FIFO: A 0-100, B 100-110, C 110-120: turnaround (100 + 110 + 120) / 3 = 110.
        // SJF:  B 0-10, C 10-20, A 20-120:     turnaround (10 + 20 + 120) / 3 = 50.
        let tasks = format!("{FREE}task = A cpu 100\ntask = B cpu 10\ntask = C cpu 10\n");
        let (p, fifo) = schedule(&format!("policy = fifo\n{tasks}"));
        assert_eq!(finishes(&fifo), [100, 110, 120]);
        assert_eq!(averages(&p, &fifo).0, 110.0);
        let (p, sjf) = schedule(&format!("policy = sjf\n{tasks}"));
        assert_eq!(finishes(&sjf), [120, 10, 20]);
        assert_eq!(averages(&p, &sjf), (50.0, 10.0));
    }

    #[test]
    fn stcf_preempts_for_late_short_jobs_and_sjf_cannot() {
        // OSTEP 7.5: A 100 at 0, B and C 10 each at 10.
        // SJF (no preemption): A 0-100, B 100-110, C 110-120.
        //   Turnaround A 100, B 100, C 110: average 310 / 3 = 103.33.
        // STCF: A 0-10, B 10-20, C 20-30, A 30-120.
        //   Turnaround A 120, B 10, C 20: average 50; response A 0, B 0, C 10: average 3.33.
        let tasks = format!("{FREE}task = A cpu 100\ntask = B at 10 cpu 10\ntask = C at 10 cpu 10\n");
        let (p, sjf) = schedule(&format!("policy = sjf\n{tasks}"));
        assert_eq!(finishes(&sjf), [100, 110, 120]);
        assert!((averages(&p, &sjf).0 - 310.0 / 3.0).abs() < 1e-9);
        let (p, stcf) = schedule(&format!("policy = stcf\n{tasks}"));
        assert_eq!(finishes(&stcf), [120, 20, 30]);
        assert_eq!(averages(&p, &stcf).0, 50.0);
        assert!((averages(&p, &stcf).1 - 10.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn round_robin_buys_response_time_with_turnaround() {
        // OSTEP 7.6: A, B, C each 5 ticks at 0.
        // SJF: A 0-5, B 5-10, C 10-15: response (0 + 5 + 10) / 3 = 5, turnaround (5 + 10 + 15) / 3 = 10.
        // RR, quantum 1: ABCABCABCABCABC: response (0 + 1 + 2) / 3 = 1; A ends at 13, B at 14,
        //   C at 15: turnaround 14, the worst possible for these jobs.
        let tasks = format!("{FREE}task = A cpu 5\ntask = B cpu 5\ntask = C cpu 5\n");
        let (p, sjf) = schedule(&format!("policy = sjf\n{tasks}"));
        assert_eq!(averages(&p, &sjf), (10.0, 5.0));
        let (p, rr) = schedule(&format!("policy = rr\nquantum = 1\n{tasks}"));
        assert_eq!(core_row(&p, &rr, 0), "ABCABCABCABCABC");
        assert_eq!(averages(&p, &rr), (14.0, 1.0));
    }

    #[test]
    fn mlfq_moves_a_long_job_down_and_lets_a_short_one_through() {
        // OSTEP 8.2, one core, quanta 2/4/8, allotment one quantum. A (cpu 20) at 0: queue 0 for
        // ticks 0-2, queue 1 for 2-6, then queue 2. B (cpu 3) arrives at 8 in queue 0 and
        // preempts A at once: B runs 8-10, drops to queue 1 where A is not (A is in 2), runs 10,
        // ends at 11. A runs on 11-23: it needed 20 ticks, 8 done before B came.
        let (p, s) =
            schedule(&format!("policy = mlfq\nquanta = 2 4 8\n{FREE}task = A cpu 20\ntask = B at 8 cpu 3\n"));
        assert_eq!(core_row(&p, &s, 0), "AAAAAAAABBBAAAAAAAAAAAA");
        assert_eq!(finishes(&s), [23, 11]);
        assert_eq!(s.levels[0][..8], [0, 0, 1, 1, 1, 1, 2, 2]);
        assert_eq!(s.stats[1].first_run, Some(8));
    }

    /// Two interactive jobs that each run 1 tick and wait 1 tick, offset by a tick, keep queue 0
    /// busy on every tick while both are alive.
    const INTERACTIVE: &str = "task = A cpu 10\n\
        task = B cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1\n\
        task = C at 1 cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1\n";

    #[test]
    fn interactive_jobs_starve_a_long_one_until_the_priority_boost() {
        // Quanta 2/4, allotment one quantum, the old rule 4b (blocking resets the allotment), so
        // B and C, which never use a whole quantum, stay in queue 0 for ever.
        // No boost: A runs 0-2 and drops to queue 1 (C arrives at 1 but does not outrank A, both
        // in queue 0). From tick 2, B and C alternate, one running while the other is in I/O:
        // 9 bursts each, 18 ticks, B's last at 18 and C's at 19. A gets nothing in ticks 2-20
        // and runs its other 8 ticks 20-28.
        let base = format!("policy = mlfq\nquanta = 2 4\naccounting = reset\n{FREE}{INTERACTIVE}");
        let (p, starved) = schedule(&base);
        assert_eq!(&core_row(&p, &starved, 0)[..20], "AABCBCBCBCBCBCBCBCBC");
        assert_eq!(starved.stats[0].finish, 28);
        // Boost every 5 ticks (rule 5): at 5, 10 and 15 A is back in queue 0 with a fresh
        // allotment, and gets a turn among B and C; it finishes well before 28.
        let (p, boosted) = schedule(&base.replace("accounting = reset\n", "accounting = reset\nboost = 5\n"));
        let row = core_row(&p, &boosted, 0);
        for window in [5..10, 10..15, 15..20] {
            assert!(row[window.clone()].contains('A'), "A starved in {window:?}: {row}");
        }
        assert!(boosted.stats[0].finish < 28, "{row}");
    }

    #[test]
    fn strict_accounting_stops_a_job_from_gaming_the_scheduler() {
        // G runs 3 ticks, does 1 tick of I/O, five times: it gives up the CPU just before its
        // quantum of 4 ends. A is CPU-bound. Quanta 4/8, allotment one quantum.
        // Reset (old rule 4b): G runs 0-3, sleeps; A runs 3-7 and drops to queue 1; from then on
        // G, still in queue 0, preempts A each time it wakes: G 7-10, A 10, G 11-14, A 14, ...
        // G keeps 3 ticks in 4 and A gets 1 until G ends at 22; A finishes at 35.
        // Strict (rule 4): G's fourth tick in queue 0 (tick 7) uses up its allotment, so it drops
        // to queue 1 next to A, which then runs its full quantum of 8 (8-16); A ends at 26.
        let tasks = "task = G cpu 3 io 1 cpu 3 io 1 cpu 3 io 1 cpu 3 io 1 cpu 3\ntask = A cpu 20\n";
        let base = format!("policy = mlfq\nquanta = 4 8\n{FREE}{tasks}");
        let (p, gamed) = schedule(&base.replace("quanta = 4 8\n", "quanta = 4 8\naccounting = reset\n"));
        let (_, strict) = schedule(&base);
        assert_eq!(&core_row(&p, &gamed, 0)[..15], "GGGAAAAGGGAGGGA");
        assert_eq!((gamed.stats[0].finish, gamed.stats[1].finish), (22, 35));
        assert_eq!(strict.stats[1].finish, 26);
        assert!(gamed.levels[0].iter().all(|&level| level == 0));
        assert!(strict.levels[0].contains(&1));
        assert!(strict.stats[1].finish < gamed.stats[1].finish);
    }

    #[test]
    fn lottery_shares_by_tickets_within_a_tolerance() {
        // A holds 75 tickets, B 25, quantum 1: each tick A wins with probability 3/4. Over the
        // first 400 ticks A's expected share is 300; with a fixed seed the count is fixed, and
        // for every seed tried it is within 300 +- 30 (the standard deviation is
        // sqrt(400 * 3/4 * 1/4), about 8.7, so +-30 is about 3.5 deviations).
        for seed in 1..=10 {
            let (_, s) = schedule(&format!(
                "policy = lottery\nquantum = 1\nlottery_seed = {seed}\n{FREE}task = A tickets 75 cpu 500\ntask = B tickets 25 cpu 500\n"
            ));
            let a = s.tasks[0][..400].iter().filter(|t| **t == TaskTick::Running).count();
            assert!((270..=330).contains(&a), "seed {seed}: A ran {a} of 400 ticks");
        }
    }

    #[test]
    fn stride_shares_exactly_by_tickets() {
        // OSTEP 9.6: tickets 100, 50, 250 give strides 100, 200, 40. From passes 0, 0, 0 (ties go
        // to the lower name): A, B, C, C, C, A, C, C; after these 8 ticks every pass is 200 and
        // the pattern repeats. So every 8 ticks A gets 2, B 1, C 5: by tick 800, when C's 500
        // ticks are done, A has had exactly 200 and B 100.
        let (p, s) = schedule(&format!(
            "policy = stride\nquantum = 1\n{FREE}task = A tickets 100 cpu 300\ntask = B tickets 50 cpu 200\ntask = C tickets 250 cpu 500\n"
        ));
        assert_eq!(&core_row(&p, &s, 0)[..16], "ABCCCACCABCCCACC");
        assert_eq!(s.stats[2].finish, 800);
        let ran = |i: usize| s.tasks[i][..800].iter().filter(|t| **t == TaskTick::Running).count();
        assert_eq!((ran(0), ran(1), ran(2)), (200, 100, 500));
        assert!(shares(&p, &s).contains("(ticks 0 to 800)"));
    }

    #[test]
    fn fair_shares_by_nice_weight_and_places_a_sleeper_at_the_floor() {
        // Nice 0 weighs 1024, nice 5 weighs 335: per tick A's vruntime grows by 1000, B's by
        // 1024000 / 335 = 3056. Keeping the two level, A runs about 3.06 ticks per tick of B:
        // by the time A's 300 ticks are done, B has had about 98.
        let (_, s) = schedule(&format!(
            "policy = fair\nquantum = 3\n{FREE}task = A cpu 300\ntask = B nice 5 cpu 300\n"
        ));
        let b = s.tasks[1][..s.stats[0].finish as usize].iter().filter(|t| **t == TaskTick::Running).count();
        assert!((93..=103).contains(&b), "B ran {b} ticks");
        // C sleeps 50 ticks while A runs alone. Stride keeps C's old, low pass, so on waking C
        // runs until it catches up (all its 20 ticks at once); fair puts it at A's vruntime, so
        // it gets one slice of 2 (after A's, which wins the tie) and A runs again.
        let tasks = format!("{FREE}task = A cpu 100\ntask = C cpu 1 io 50 cpu 20\n");
        let (p, stride) = schedule(&format!("policy = stride\nquantum = 2\n{tasks}"));
        let (_, fair) = schedule(&format!("policy = fair\nquantum = 2\n{tasks}"));
        // C's I/O ends at 53 (A's quantum ends then too). Its first run after that, counted:
        let burst_after_wake = |s: &Schedule| {
            let woken = s.cores[0][53..].iter().skip_while(|tick| **tick != CoreTick::Run(1));
            woken.take_while(|tick| **tick == CoreTick::Run(1)).count()
        };
        assert_eq!(burst_after_wake(&stride), 20, "{}", report(&p, &stride));
        assert_eq!(burst_after_wake(&fair), 2, "{}", report(&p, &fair));
    }

    /// The chapter "CPU scheduling" makes claims about its three default inputs and about
    /// one-line changes to them; they must hold.
    #[test]
    fn the_cpu_scheduling_chapter_claims_hold() {
        let ran = |s: &Schedule, i: usize, until: usize| {
            s.tasks[i][..until].iter().filter(|t| **t == TaskTick::Running).count() as f64
        };
        // MLFQ: A reaches queue 2 at tick 8 and stays; B, interactive, never gets below queue 1;
        // C runs at once when it arrives at 12.
        let (_, m) = schedule(MLFQ_INPUT);
        assert_eq!(m.levels[0].iter().position(|&l| l == 2), Some(8));
        assert!(m.levels[0][8..].iter().all(|&l| l == 2));
        assert!(m.levels[1].iter().all(|&l| l <= 1));
        assert_eq!(m.stats[2].first_run, Some(12));
        // A gamer under the old rule keeps queue 0; under strict accounting it does not.
        let gamer = "task = B cpu 1 io 1 cpu 1 io 1 cpu 1 io 1 cpu 1";
        let gaming = MLFQ_INPUT.replace("task = B cpu 1 io 3 cpu 1 io 3 cpu 1 io 3 cpu 1", gamer);
        let (_, reset) = schedule(&gaming.replace("accounting = strict", "accounting = reset"));
        assert!(reset.levels[1].iter().all(|&l| l == 0));
        let (_, strict) = schedule(&gaming);
        assert!(strict.levels[1].iter().any(|&l| l > 0));
        // One queue of quantum 1 is round robin with quantum 1.
        let (p, one) = schedule(&MLFQ_INPUT.replace("quanta = 2 4 8", "quanta = 1"));
        let rr = MLFQ_INPUT.replace(
            "policy = mlfq\nquanta = 2 4 8\nallotment = 1\naccounting = strict",
            "policy = rr\nquantum = 1",
        );
        let (_, rr) = schedule(&rr);
        assert_eq!(report(&p, &one).lines().nth(4), report(&p, &rr).lines().nth(4));
        // A boost every 10 ticks puts A back in queue 0 at 10, 20 and 30.
        let (_, boosted) = schedule(&MLFQ_INPUT.replace("allotment = 1", "allotment = 1\nboost = 10"));
        assert!([10, 20, 30].iter().all(|&t| boosted.levels[0][t] == 0));

        // Lottery near 3:1, stride 3:1 to within a tick, while both run.
        let (_, lottery) = schedule(SHARE_INPUT);
        let until = lottery.stats[0].finish.min(lottery.stats[1].finish) as usize;
        let share = ran(&lottery, 0, until) / until as f64;
        assert!((0.65..=0.85).contains(&share), "lottery gave A {share}");
        let (_, stride) = schedule(
            &SHARE_INPUT.replace("policy = lottery", "policy = stride").replace("lottery_seed = 7\n", ""),
        );
        let until = stride.stats[0].finish as usize;
        assert!((ran(&stride, 0, until) - 3.0 * ran(&stride, 1, until)).abs() <= 3.0);

        // Fair: A and B about 3:1 while C comes and goes; C runs within one slice of waking.
        let (p, fair) = schedule(FAIR_INPUT);
        let until = fair.stats[2].finish as usize;
        let ratio = ran(&fair, 0, until) / ran(&fair, 1, until);
        assert!((2.5..=4.0).contains(&ratio), "A:B = {ratio}");
        let c = &fair.tasks[2];
        for t in 1..until {
            if c[t] == TaskTick::Ready && c[t - 1] == TaskTick::Io {
                let waited = c[t..].iter().take_while(|tick| **tick == TaskTick::Ready).count();
                assert!(waited <= 3, "C waited {waited} ticks at {t}: {}", report(&p, &fair));
            }
        }
        // nice 10 instead of 5 (weights 1024 : 110, 9.3 : 1): about 7 : 1 until A ends (40 : 6,
        // the 3-tick slices are coarse), and about 9 : 1 when A and B need 300 ticks each.
        let (_, ten) = schedule(&FAIR_INPUT.replace("task = B nice 5", "task = B nice 10"));
        let until = ten.stats[0].finish as usize;
        let ratio = ran(&ten, 0, until) / ran(&ten, 1, until);
        assert!((6.0..=7.5).contains(&ratio), "A:B = {ratio}");
        let long = FAIR_INPUT.replace("task = A cpu 40", "task = A cpu 300");
        let (_, long) = schedule(&long.replace("task = B nice 5 cpu 40", "task = B nice 10 cpu 300"));
        let until = long.stats[0].finish as usize;
        let ratio = ran(&long, 0, until) / ran(&long, 1, until);
        assert!((8.5..=10.0).contains(&ratio), "A:B = {ratio}");
    }

    #[test]
    fn a_cpu_quota_is_burnt_by_parallel_threads_and_then_everything_stalls() {
        // cpu_max 20 20 (one CPU's worth) and 4 busy threads of 20 ticks on 4 cores: together they
        // use 4 ticks of quota per tick, so it is gone after 5 ticks (a quarter of the period) and
        // all four are throttled for the other 15. Each period gives each thread 5 ticks: they end
        // at 60 + 5 = 65. Throttled ticks: 5-20, 25-40, 45-60 = 45; every period ran out. Summed
        // over the 4 cores, as cpu.stat's throttled_usec sums over CPUs: 4 x 45 = 180.
        let tasks = "task = A cpu 20\ntask = B cpu 20\ntask = C cpu 20\ntask = D cpu 20\n";
        let (p, s) =
            schedule(&format!("cores = 4\npolicy = rr\nquantum = 5\n{FREE}cpu_max = 20 20\n{tasks}"));
        assert_eq!(finishes(&s), [65, 65, 65, 65]);
        assert_eq!(&core_row(&p, &s, 0)[..25], "AAAAA...............AAAAA");
        assert_eq!(
            (s.periods, s.throttled_periods, s.throttled_ticks, s.throttled_core_ticks),
            (4, 4, 45, 180)
        );
        // Without the limit they take 20 ticks.
        let (_, free) = schedule(&format!("cores = 4\n{FREE}{tasks}"));
        assert_eq!(finishes(&free), [20, 20, 20, 20]);
        // Three threads (3 a tick) never take more than the quota: 18 after 6 ticks, then only
        // two of them run in tick 6 and the third is throttled there.
        let (_, three) = schedule(&format!(
            "cores = 4\npolicy = rr\nquantum = 5\n{FREE}cpu_max = 20 20\ntask = A cpu 20\ntask = B cpu 20\ntask = C cpu 20\n"
        ));
        for period in three.cores[0].chunks(20).enumerate().map(|(k, _)| k * 20) {
            let end = (period + 20).min(three.makespan as usize);
            let used: usize = three
                .cores
                .iter()
                .map(|lane| lane[period..end].iter().filter(|t| matches!(t, CoreTick::Run(_))).count())
                .sum();
            assert!(used <= 20, "period at {period} used {used}");
        }
        assert_eq!(three.tasks[2][6], TaskTick::Throttled);
    }

    #[test]
    fn the_throttle_example_delays_the_event_loop() {
        // The default: W (the event loop) needs 1 tick every 10; P, Q, R burn the quota by tick 7
        // (4 + 3 * 5 = 19 after tick 5, the 20th in tick 6), so W's request at 10 waits for the
        // period at 20, and so on. Without the limit W never waits.
        let (_, s) = schedule(THROTTLE_INPUT);
        assert_eq!(s.tasks[0][10], TaskTick::Throttled);
        assert_eq!(s.tasks[0][20], TaskTick::Running);
        let waiting = |s: &Schedule| s.stats[0].finish - s.stats[0].cpu - s.stats[0].io;
        assert!(waiting(&s) >= 20, "W waited {}", waiting(&s));
        let (_, free) = schedule(&THROTTLE_INPUT.replace("cpu_max = 20 20\n", ""));
        assert_eq!(waiting(&free), 0);
        // Twice the quota (2 CPUs): W still waits, less; a quota of 4 CPUs never throttles.
        let (_, two) = schedule(&THROTTLE_INPUT.replace("cpu_max = 20 20", "cpu_max = 40 20"));
        assert!(waiting(&two) < waiting(&s));
        let (_, four) = schedule(&THROTTLE_INPUT.replace("cpu_max = 20 20", "cpu_max = 80 20"));
        assert_eq!((waiting(&four), four.throttled_periods), (0, 0));
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
