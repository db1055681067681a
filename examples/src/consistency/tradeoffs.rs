//! CAP and PACELC in numbers: every configuration of the replicated register, run over many
//! seeds in each fault scenario. For each: the share of histories the checker finds
//! linearizable, the share of operations never answered (unavailable), and the mean time to an
//! answer (latency, in simulated ms).

use std::fmt::Write as _;

use super::checker::{self, Model, Verdict};
use super::replicated::{self, Config, Fault, ReadFrom, WriteAck};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "consistency::tradeoffs",
    title: "Consistency, availability and latency of each configuration, over many seeds",
    file: file!(),
    default_input: "runs = 30\nseed = 1\n",
    input_help: "`runs = N` histories per cell (1–400), `seed = N`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: example
const CONFIGS: [(WriteAck, ReadFrom, &str); 6] = [
    (WriteAck::Leader, ReadFrom::Leader, "async, leader reads"),
    (WriteAck::Leader, ReadFrom::Any, "async, replica reads"),
    (WriteAck::All, ReadFrom::Any, "sync all, replica reads"),
    (WriteAck::Majority, ReadFrom::Leader, "majority, leader reads"),
    (WriteAck::Majority, ReadFrom::Majority, "majority, ReadIndex"),
    (WriteAck::All, ReadFrom::Majority, "sync all, ReadIndex"),
];

const SCENARIOS: [&str; 4] = ["no fault", "leader cut off", "leader crash", "slow follower"];

fn scenario(which: usize, rng: &mut Rng) -> Vec<Fault> {
    match which {
        0 => Vec::new(),
        // n1 and client c1 on one side, from 20–40 ms for 100 ms.
        1 => {
            let from = rng.range(20, 40);
            vec![Fault::Partition { from, to: from + 100, members: vec![0, 3] }]
        }
        2 => vec![Fault::Crash { at: rng.range(20, 40), node: 0 }],
        _ => vec![Fault::Delay { from: 0, to: 1000, node: 2, extra: 25 }],
    }
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["runs", "seed"])?;
    let runs: u64 = p.number_or("runs", 1, 400, 30)?;
    let seed: u64 = p.number_or("seed", 0, u64::MAX, 1)?;
    let mut out = format!(
        "n = 3 nodes, 3 clients × 4 operations, one-way delay 1–5 ms plus 5 ms replay lag on every append to a follower,\n\
         timeout 40 ms, failover once a majority has heard nothing from the leader for 30 ms; {runs} seeds per cell\n\
         (at 30 seeds a share is good to about ±15 percentage points).\n\
         Each cell: linearizable histories / operations never answered (timed out, or refused by a node that is not\n\
         the leader) / mean answer time.\n\n{:<24}",
        "configuration"
    );
    for s in SCENARIOS {
        let _ = write!(out, " {s:<21}");
    }
    out.push('\n');
    for (write_ack, read_from, name) in CONFIGS {
        let _ = write!(out, "{name:<24}");
        for which in 0..SCENARIOS.len() {
            let mut rng = Rng::new(seed ^ (which as u64) << 32);
            let (mut linearizable, mut ops, mut never, mut total_ms, mut answered) =
                (0u64, 0usize, 0usize, 0.0, 0usize);
            for _ in 0..runs {
                let faults = scenario(which, &mut rng);
                let cfg = Config {
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
                    faults,
                };
                let outcome = replicated::simulate(&cfg);
                if matches!(
                    checker::check(&outcome.history, Model::Linearizable, 1_000_000).verdict,
                    Verdict::Ok(_)
                ) {
                    linearizable += 1;
                }
                let (ok, timed_out, refused, mean) = replicated::tally(&outcome);
                ops += ok + timed_out + refused;
                never += timed_out + refused;
                total_ms += mean * ok as f64;
                answered += ok;
            }
            let cell = format!(
                "{:>3}% {:>3}% {:>4.1}ms",
                (100 * linearizable + runs / 2) / runs,
                (100 * never + ops / 2) / ops.max(1),
                total_ms / answered.max(1) as f64
            );
            let _ = write!(out, " {cell:<21}");
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_majority_configurations_with_readindex_stay_at_100_percent() {
        let out = super::run("runs = 40").unwrap();
        for line in out.lines().filter(|l| l.contains("ReadIndex")) {
            assert_eq!(line.matches("100%").count(), 4, "{line}");
        }
        let async_replica = out.lines().find(|l| l.starts_with("async, replica reads")).unwrap();
        assert!(async_replica.matches("100%").count() < 4, "{async_replica}");
    }
}
