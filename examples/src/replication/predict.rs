//! Predict, then reveal: a seed picks a random multi-leader script (replicas, clock skew,
//! partitions, concurrent writes); the page shows it and asks what each way of resolving
//! conflicts ends with before the simulation says.

use super::multileader::{self, random_config, script};
use crate::REVEAL_MARKER;
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "replication::predict",
    title: "Predict, then reveal: what does each replica end with?",
    file: file!(),
    default_input: "seed = 112\n",
    input_help: "`seed = N`: any number gives a new script of writes, partitions and clock skew",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

// ANCHOR: example
fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["seed"])?;
    let seed: u64 = p.number_or("seed", 0, u64::MAX, 112)?;
    let config = random_config(seed, 9);
    let outcome = multileader::simulate(&config);
    let text = format!(
        "The script (seed {seed}):\n\n{}\nPredict, after the final anti-entropy round:\n  \
         1. which value last-write-wins keeps for each register, and whether version vectors keep \
         more than one;\n  2. `likes` as a last-write-wins number and as a PN-counter;\n  \
         3. `cart` as a last-write-wins set and as an OR-set.\n{REVEAL_MARKER}\n{}",
        script(&config),
        multileader::report(&config, &outcome)
    );
    Ok(Drawn { text, figure: multileader::draw(&config, outcome) })
}
// ANCHOR_END: example

#[cfg(test)]
mod tests {
    use crate::REVEAL_MARKER;

    #[test]
    fn the_question_comes_before_the_answer_and_seeds_vary() {
        let mut lww_lost = std::collections::BTreeSet::new();
        for seed in 0..80 {
            let drawn = super::run(&format!("seed = {seed}")).unwrap();
            drawn.figure.validate().unwrap();
            assert_eq!(drawn.text.lines().filter(|l| *l == REVEAL_MARKER).count(), 1);
            let (question, answer) = drawn.text.split_once(REVEAL_MARKER).unwrap();
            assert!(!question.contains("After the last anti-entropy round"), "{question}");
            lww_lost.insert(answer.contains("silently dropped"));
        }
        assert_eq!(lww_lost.len(), 2, "some seeds lose a write to LWW and some do not");
    }
}
