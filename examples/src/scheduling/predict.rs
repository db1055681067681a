//! Predict, then reveal, in the style of OSTEP's `scheduler.py` and `mlfq.py` homework: a seeded
//! generator poses a small workload and a policy; the reader writes down the schedule and the
//! metrics; the answer is the scheduler simulation's own report and timeline.

use super::scheduler::{
    Accounting, Burst, Mlfq, OnIo, Policy, Problem, STEP_BUDGET, Task, draw, report, simulate, to_input,
};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "scheduling::predict",
    title: "Predict, then reveal: a generated workload under a generated policy",
    file: file!(),
    default_input: "seed = 3\npolicy = any\n",
    input_help: "`seed = N` (every seed another problem), `policy = any | fifo | sjf | stcf | rr | mlfq | stride`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const POLICIES: &[&str] = &["fifo", "sjf", "stcf", "rr", "mlfq", "stride"];

// ANCHOR: predict
/// Three jobs on one core with free switches, so that the schedule can be worked out by hand.
pub fn generate(seed: u64, policy: Option<&str>) -> Problem {
    let mut rng = Rng::new(seed);
    let name = policy.unwrap_or_else(|| POLICIES[rng.range(0, POLICIES.len() as u64 - 1) as usize]);
    let policy = match name {
        "sjf" => Policy::Sjf,
        "stcf" => Policy::Stcf,
        "rr" => Policy::RoundRobin { quantum: rng.range(1, 3) as u32 },
        "mlfq" => Policy::Mlfq(Mlfq {
            quanta: if rng.chance(0.5) { vec![1, 2, 4] } else { vec![2, 4] },
            allotment: 1,
            boost: rng.chance(0.5).then_some(10),
            accounting: Accounting::Strict,
        }),
        "stride" => Policy::Stride { quantum: 1 },
        _ => Policy::Fifo,
    };
    let late = matches!(policy, Policy::Stcf | Policy::Sjf | Policy::Mlfq(_)) || rng.chance(0.3);
    let tasks = (0..3u8)
        .map(|i| {
            let mut bursts = vec![Burst::Cpu(rng.range(2, 8) as u32)];
            // MLFQ: sometimes an interactive job, a short burst, some I/O, another burst.
            if matches!(policy, Policy::Mlfq(_)) && i == 2 && rng.chance(0.5) {
                bursts = vec![
                    Burst::Cpu(1),
                    Burst::Io(rng.range(2, 4) as u32),
                    Burst::Cpu(rng.range(1, 2) as u32),
                ];
            }
            Task {
                name: (b'A' + i) as char,
                process: ((b'a' + i) as char).to_string(),
                arrival: if i > 0 && late { rng.range(0, 4) as u32 } else { 0 },
                tickets: if name == "stride" { [50, 100, 200][rng.range(0, 2) as usize] } else { 100 },
                nice: 0,
                bursts,
            }
        })
        .collect();
    Problem {
        cores: 1,
        policy,
        on_io: OnIo::Switch,
        switch_thread: 0,
        switch_process: 0,
        cpu_max: None,
        tasks,
    }
}
// ANCHOR_END: predict

fn run(input: &str) -> Result<Drawn, InputError> {
    let params = Params::parse(input, &["seed", "policy"])?;
    let seed = params.number_or("seed", 0, u64::MAX, 3)?;
    let choices = ["any", "fifo", "sjf", "stcf", "rr", "mlfq", "stride"];
    let policy = Some(params.choice_or("policy", &choices, "any")?).filter(|p| *p != "any");
    let problem = generate(seed, policy);
    let schedule = simulate(&problem, STEP_BUDGET)?;
    let mut text =
        format!("Predict, then reveal (seed {seed}). Workload and policy, as input for the scheduler:\n\n");
    text.push_str(&to_input(&problem));
    text.push_str(
        "\nBefore you look: write down which job runs in each tick. Then give each job's response time\n\
         (first run - arrival), turnaround time (finish - arrival) and waiting time, and the averages.\n",
    );
    text.push_str(REVEAL_MARKER);
    text.push('\n');
    text.push_str(&report(&problem, &schedule));
    Ok(Drawn { text, figure: draw(&problem, &schedule) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_gives_a_valid_problem_with_its_answer_behind_the_marker() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..60 {
            let Drawn { text, figure } = run(&format!("seed = {seed}")).unwrap();
            figure.validate().unwrap();
            assert_eq!(text.lines().filter(|l| *l == REVEAL_MARKER).count(), 1);
            let (question, answer) = text.split_once(REVEAL_MARKER).unwrap();
            assert!(!question.contains("turnaround  waiting") && answer.contains("turnaround"));
            let problem = generate(seed, None);
            seen.insert(
                crate::scheduling::scheduler::policy_name(&problem.policy)
                    .split(',')
                    .next()
                    .unwrap()
                    .to_string(),
            );
        }
        assert_eq!(seen.len(), POLICIES.len(), "{seen:?}");
        assert_eq!(run("seed = 9").unwrap().text, run("seed = 9").unwrap().text);
        assert!(run("seed = 2\npolicy = mlfq").unwrap().text.contains("policy = mlfq"));
    }
}
