//! One workload under every policy of the scheduler simulation, side by side: which policy
//! gives the best average turnaround, which the best average response time.

use std::fmt::Write as _;

use super::scheduler::{
    Accounting, MAX_CORES, MAX_QUANTUM, MAX_TASKS, Mlfq, OnIo, Policy, Problem, STEP_BUDGET, Schedule,
    simulate,
};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "scheduling::compare",
    title: "Every policy on one workload: turnaround against response time",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`cores = N`, `quantum = N` (for rr, lottery, stride, fair; MLFQ uses N, 2N, 4N), \
                 one `task = A [at T] [tickets N] [nice N] cpu N io N …` per task",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
# OSTEP's convoy: one long job arrives a moment before two short ones. One core, free switches.
cores = 1
quantum = 2
task = A cpu 100
task = B cpu 10
task = C cpu 10
";

// ANCHOR: compare
/// The averages a policy achieves on the workload: turnaround, response, waiting, switches.
pub struct Averages {
    pub turnaround: f64,
    pub response: f64,
    pub waiting: f64,
    pub switches: u32,
}

pub fn averages(problem: &Problem, schedule: &Schedule) -> Averages {
    let n = problem.tasks.len() as f64;
    let (mut turnaround, mut response, mut waiting) = (0.0, 0.0, 0.0);
    for (task, stats) in problem.tasks.iter().zip(&schedule.stats) {
        let t = f64::from(stats.finish - task.arrival);
        turnaround += t;
        response += f64::from(stats.first_run.unwrap_or(task.arrival) - task.arrival);
        waiting += t - f64::from(stats.cpu + stats.io);
    }
    // Dispatches of a task other than the one the core ran last: what a real switch would cost.
    let switches = schedule.thread_switches + schedule.process_switches;
    Averages { turnaround: turnaround / n, response: response / n, waiting: waiting / n, switches }
}

/// The policies the table compares, with the workload's quantum.
pub fn policies(quantum: u32) -> Vec<(&'static str, Policy)> {
    let mlfq = Mlfq {
        quanta: vec![quantum, 2 * quantum, 4 * quantum],
        allotment: 1,
        boost: Some(50 * quantum),
        accounting: Accounting::Strict,
    };
    vec![
        ("fifo", Policy::Fifo),
        ("sjf", Policy::Sjf),
        ("stcf", Policy::Stcf),
        ("rr", Policy::RoundRobin { quantum }),
        ("mlfq", Policy::Mlfq(mlfq)),
        ("lottery", Policy::Lottery { quantum, seed: 1 }),
        ("stride", Policy::Stride { quantum }),
        ("fair", Policy::Fair { quantum }),
    ]
}
// ANCHOR_END: compare

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["cores", "quantum", "task"])?;
    let cores = params.number_or("cores", 1, MAX_CORES, 1)?;
    let quantum = params.number_or("quantum", 1, MAX_QUANTUM / 4, 2)?;
    let mut tasks = Vec::new();
    for entry in params.all("task") {
        if tasks.len() == MAX_TASKS {
            return Err(InputError::at_line(entry.line, format!("at most {MAX_TASKS} tasks (A to Z)")));
        }
        let task = super::scheduler::parse_task(entry)?;
        if tasks.iter().any(|other: &super::scheduler::Task| other.name == task.name) {
            return Err(InputError::at_line(entry.line, format!("task `{}` is defined twice", task.name)));
        }
        tasks.push(task);
    }
    if tasks.is_empty() {
        return Err(InputError::new("no tasks: add a line such as `task = A cpu 10`"));
    }
    let mut problem = Problem {
        cores,
        policy: Policy::Fifo,
        on_io: OnIo::Switch,
        switch_thread: 0,
        switch_process: 0,
        cpu_max: None,
        tasks,
    };
    // Every task switches on I/O and no switch costs anything: only the order differs.
    let mut out = format!(
        "{} on {}, quantum {quantum} ticks (MLFQ: queues of {quantum}, {} and {} ticks, boost every {} ticks)\n\n",
        problem.tasks.iter().map(|t| t.name.to_string()).collect::<Vec<_>>().join(", "),
        if cores == 1 { "1 core".to_string() } else { format!("{cores} cores") },
        2 * quantum,
        4 * quantum,
        50 * quantum
    );
    out.push_str("policy    turnaround  response  waiting  switches   (averages over the tasks, in ticks)\n");
    let mut rows = Vec::new();
    for (name, policy) in policies(quantum) {
        problem.policy = policy;
        // The budget bounds the work however long the tasks are: at most 26 tasks of 1000 ticks.
        let schedule = simulate(&problem, STEP_BUDGET)?;
        let a = averages(&problem, &schedule);
        let _ = writeln!(
            out,
            "{name:<9} {:>10.2} {:>9.2} {:>8.2} {:>9}",
            a.turnaround, a.response, a.waiting, a.switches
        );
        rows.push((name, a));
    }
    let best = |key: fn(&Averages) -> f64| {
        let low = rows.iter().map(|(_, a)| key(a)).fold(f64::INFINITY, f64::min);
        rows.iter()
            .filter(|(_, a)| (key(a) - low).abs() < 1e-9)
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(out, "\nlowest average turnaround: {}", best(|a| a.turnaround));
    let _ = writeln!(out, "lowest average response:   {}", best(|a| a.response));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_convoy_favours_sjf_for_turnaround_and_rr_for_response() {
        // A 100, B 10, C 10, all at 0, one core.
        // FIFO: A 0-100, B 100-110, C 110-120: turnaround (100+110+120)/3 = 110, response
        //       (0+100+110)/3 = 70.
        // SJF and STCF: B 0-10, C 10-20, A 20-120: turnaround (10+20+120)/3 = 50, response
        //       (20+0+10)/3 = 10.
        // RR, quantum 2: A B C take turns: responses 0, 2, 4, average 2.
        let out = run(DEFAULT_INPUT).unwrap();
        assert!(out.contains("fifo          110.00     70.00"), "{out}");
        assert!(out.contains("sjf            50.00     10.00"), "{out}");
        assert!(out.contains("stcf           50.00     10.00"), "{out}");
        assert!(out.contains("lowest average turnaround: sjf, stcf"), "{out}");
        assert!(out.contains("rr             "), "{out}");
        let rr = out.lines().find(|l| l.starts_with("rr ")).unwrap();
        assert!(rr.split_whitespace().nth(2) == Some("2.00"), "{rr}");
        assert!(out.contains("lowest average response:   rr"), "{out}");
        // The chapter's suggestion: B and C arrive at 5. SJF cannot preempt A:
        // (100 + 105 + 115) / 3 = 106.67; STCF runs them at once: (120 + 10 + 20) / 3 = 50.
        let late = run(&DEFAULT_INPUT.replace("B cpu", "B at 5 cpu").replace("C cpu", "C at 5 cpu")).unwrap();
        assert!(late.contains("sjf           106.67"), "{late}");
        assert!(late.contains("stcf           50.00"), "{late}");
        assert!(late.contains("lowest average turnaround: stcf\n"), "{late}");
    }
}
