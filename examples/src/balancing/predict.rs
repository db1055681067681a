//! Predict, then reveal: a seeded puzzle about smooth weighted round robin (which backends come
//! next) or a token bucket (which requests it admits). The problem comes first, then the marker
//! line, then the answer with the working.

use super::algorithms::{SmoothWrr, TokenBucket};
use crate::input::Params;
use crate::registry::{Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "balancing::predict",
    title: "Predict, then reveal: smooth weighted round robin and a token bucket",
    file: file!(),
    default_input: "seed = 3\nkind = wrr\n",
    input_help: "`seed = N` (any number gives a new puzzle), `kind = wrr | bucket`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["seed", "kind"])?;
    let seed: u64 = p.number_or("seed", 0, u64::MAX, 3)?;
    let kind = p.choice_or("kind", &["wrr", "bucket"], "wrr")?;
    // ANCHOR: predict
    let mut rng = Rng::new(seed);
    let mut text = String::new();
    if kind == "wrr" {
        let n = rng.range(2, 4) as usize;
        let weights: Vec<u32> = (0..n).map(|_| rng.range(1, 5) as u32).collect();
        let picks: usize = weights.iter().sum::<u32>() as usize;
        let list: Vec<String> = (0..n).map(|i| format!("{}={}", NAMES[i], weights[i])).collect();
        text.push_str(&format!(
            "Smooth weighted round robin (nginx) with weights {}. Every `current` starts at 0.\n\
             Each pick: add each weight to its current, choose the largest current (the first on a tie),\n\
             subtract the total weight ({picks}) from the chosen one.\n\
             Which backends do the first {picks} picks choose, in order?\n",
            list.join(" ")
        ));
        // ANCHOR_END: predict
        text.push_str(REVEAL_MARKER);
        text.push('\n');
        let mut wrr = SmoothWrr::new(&weights);
        let mut seq = String::new();
        for k in 1..=picks {
            let before: Vec<i64> =
                wrr.current().iter().zip(&weights).map(|(c, w)| c + i64::from(*w)).collect();
            let chosen = wrr.pick();
            seq.push_str(NAMES[chosen]);
            text.push_str(&format!(
                "pick {k:>2}: after adding weights {before:?} → {} → {:?}\n",
                NAMES[chosen],
                wrr.current()
            ));
        }
        text.push_str(&format!(
            "sequence: {}\nEach backend was chosen exactly its weight times, and currents are back to 0.\n",
            seq.chars().map(String::from).collect::<Vec<_>>().join(" ")
        ));
    } else {
        let rate = rng.range(1, 10);
        let burst = rng.range(1, 5);
        let mut t = 0;
        let times: Vec<u64> = (0..10)
            .map(|_| {
                t += [0, 0, 50, 100, 200, 400][rng.range(0, 5) as usize];
                t
            })
            .collect();
        text.push_str(&format!(
            "A token bucket: {rate} tokens per second, capacity {burst}, full at t=0 ms.\n\
             Requests arrive at (ms): {}\nEach admitted request spends one token. Which are admitted?\n",
            times.iter().map(u64::to_string).collect::<Vec<_>>().join(" ")
        ));
        text.push_str(REVEAL_MARKER);
        text.push('\n');
        let mut bucket = TokenBucket::new(rate, burst);
        for (i, &t) in times.iter().enumerate() {
            let ok = bucket.admit(t);
            text.push_str(&format!(
                "#{i} t={t:>4} ms: {} (tokens after: {:.3})\n",
                if ok { "admitted" } else { "refused" },
                bucket.milli_tokens() as f64 / 1000.0
            ));
        }
        text.push_str(&format!(
            "Refill is {rate} tokens per 1000 ms, i.e. one token every {:.0} ms, never above {burst}.\n",
            1000.0 / rate as f64
        ));
    }
    Ok(text)
}
