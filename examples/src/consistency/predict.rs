//! Predict, then reveal: a seed picks a configuration of the replicated register and a fault;
//! the page shows the history the clients saw and asks whether it is linearizable before the
//! checker says.

use super::replicated::{self, Config, Fault, ReadFrom, WriteAck};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "consistency::predict",
    title: "Predict, then reveal: is this history linearizable?",
    file: file!(),
    default_input: "seed = 29\n",
    input_help: "`seed = N`: any number gives a new configuration, fault and history",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

// ANCHOR: pick
/// The configurations a seed picks from: (writes acknowledged by, reads served by).
pub const CHOICES: [(WriteAck, ReadFrom); 5] = [
    (WriteAck::Leader, ReadFrom::Leader),
    (WriteAck::Leader, ReadFrom::Any),
    (WriteAck::Majority, ReadFrom::Leader),
    (WriteAck::Majority, ReadFrom::Majority),
    (WriteAck::All, ReadFrom::Any),
];

pub fn pick(seed: u64) -> Config {
    let mut rng = Rng::new(seed);
    let (write_ack, read_from) = CHOICES[rng.range(0, CHOICES.len() as u64 - 1) as usize];
    let fault = match rng.range(0, 3) {
        0 => Vec::new(),
        1 => vec![Fault::Partition { from: rng.range(15, 40), to: rng.range(90, 140), members: vec![0, 3] }],
        2 => vec![Fault::Crash { at: rng.range(15, 50), node: 0 }],
        _ => {
            let from = rng.range(0, 30);
            vec![Fault::Delay {
                from,
                to: from + 60,
                node: rng.range(1, 2) as usize,
                extra: rng.range(10, 40),
            }]
        }
    };
    Config {
        nodes: 3,
        clients: 3,
        ops: 4,
        write_ack,
        read_from,
        net: (1, 5),
        lag: 5,
        timeout: 40,
        failover: Some(30),
        skew: Vec::new(),
        seed: rng.next_u64(),
        faults: fault,
    }
}
// ANCHOR_END: pick

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["seed"])?;
    let seed: u64 = p.number_or("seed", 0, u64::MAX, 29)?;
    let cfg = pick(seed);
    let outcome = replicated::simulate(&cfg);
    let mut drawn = replicated::render(&cfg, &outcome, true);
    let fault = match cfg.faults.first() {
        None => "Fault: none.\n".to_string(),
        Some(Fault::Partition { from, to, .. }) => {
            format!("Fault: n1 (the first leader) and c1 are cut off from {from} to {to} ms.\n")
        }
        Some(Fault::Crash { at, .. }) => format!("Fault: n1 (the first leader) crashes at {at} ms.\n"),
        Some(Fault::Delay { from, to, node, extra }) => {
            format!(
                "Fault: messages to and from n{} take {extra} ms longer from {from} to {to} ms.\n",
                node + 1
            )
        }
    };
    drawn.text = format!("{fault}{}", drawn.text);
    Ok(drawn)
}

#[cfg(test)]
mod tests {
    use crate::REVEAL_MARKER;

    #[test]
    fn the_question_comes_before_the_answer_and_seeds_vary() {
        let mut verdicts = std::collections::BTreeSet::new();
        for seed in 0..60 {
            let drawn = super::run(&format!("seed = {seed}")).unwrap();
            drawn.figure.validate().unwrap();
            assert_eq!(drawn.text.lines().filter(|l| *l == REVEAL_MARKER).count(), 1);
            let (question, answer) = drawn.text.split_once(REVEAL_MARKER).unwrap();
            assert!(!question.contains("Linearizable:"));
            verdicts.insert(answer.contains("Linearizable: yes"));
        }
        assert_eq!(verdicts.len(), 2, "some seeds give linearizable histories and some do not");
    }
}
