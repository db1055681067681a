//! `estimates::predict`: a seed generates three estimation problems (peak QPS, storage over
//! the years, and Little's law or bandwidth); the reader picks an order of magnitude for each,
//! and the answer shows the working, the quick way (a day is about 10^5 s) and the exact one.

use super::units::{Dim, Q, show};
use crate::input::Params;
use crate::registry::{Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "estimates::predict",
    title: "Estimate it: peak QPS, storage, connections (predict, then reveal)",
    file: file!(),
    default_input: "seed = 7\n",
    input_help: "`seed = N`: any number gives three other problems",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

fn pick<T: Copy>(rng: &mut Rng, xs: &[T]) -> T {
    xs[rng.range(0, xs.len() as u64 - 1) as usize]
}

/// The power of ten nearest to `x` on a log scale, found without a logarithm (so native and
/// wasm agree to the last bit).
fn magnitude(x: f64) -> i32 {
    let (mut k, mut p) = (0, 1.0);
    while x >= p * 3.162_277_66 && k < 30 {
        p *= 10.0;
        k += 1;
    }
    while x < p / 3.162_277_66 && k > -30 {
        p /= 10.0;
        k -= 1;
    }
    k
}

/// Four choices around the answer `k`, which is not always in the same place.
fn options(k: i32, unit: &str) -> String {
    let low = k - 1 - k.rem_euclid(2);
    (low..low + 4).map(|e| format!("~10^{e} {unit}").trim_end().to_string()).collect::<Vec<_>>().join("   ")
}

const TIME: Dim = Dim([0, 1, 0, 0]);
const BYTES: Dim = Dim([1, 0, 0, 0]);

// ANCHOR: problems
fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["seed"])?;
    let seed: u64 = p.number("seed", 0, u64::MAX)?;
    let mut rng = Rng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D).wrapping_add(3));
    let mut ask = String::new();
    let mut answer = String::new();

    // 1. Peak QPS from daily users.
    let dau = pick(&mut rng, &[2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 300.0, 500.0]) * 1e6;
    let per_user = pick(&mut rng, &[4.0, 10.0, 20.0, 50.0, 100.0, 200.0]);
    let peak = pick(&mut rng, &[2.0, 3.0, 5.0]);
    let qps = dau * per_user / 86_400.0 * peak;
    let k1 = magnitude(qps);
    let rough = dau * per_user / 1e5 * peak;
    ask.push_str(&format!(
        "1. {} daily users make {per_user} requests each a day; the peak is {peak}x the average.\n   \
         Peak QPS?   {}\n\n",
        show(Q::plain(dau)),
        options(k1, "/s")
    ));
    answer.push_str(&format!(
        "1. {} x {per_user} = {} requests a day. A day is 86,400 s, about 10^5:\n   \
         {} / 10^5 = {} /s on average (exactly {} /s), x{peak} at the peak = {} (exactly {} /s): ~10^{k1} /s.\n",
        show(Q::plain(dau)),
        show(Q::plain(dau * per_user)),
        show(Q::plain(dau * per_user)),
        show(Q::plain(dau * per_user / 1e5)),
        show(Q::plain(dau * per_user / 86_400.0)),
        show(Q::plain(rough)),
        show(Q::plain(qps)),
    ));
    if magnitude(rough) != k1 {
        answer.push_str(&format!(
            "   The quick estimate rounds to ~10^{} and the exact one to ~10^{k1}: on the boundary both\n   \
             are fair answers, and the quick one is the one you can do at a whiteboard.\n",
            magnitude(rough)
        ));
    }
    answer.push('\n');

    // 2. Storage over the years.
    let items = pick(&mut rng, &[1.0, 5.0, 10.0, 50.0, 200.0]) * 1e6;
    let (what, size) = pick(
        &mut rng,
        &[
            ("tweets", 300.0),
            ("orders", 2e3),
            ("thumbnails", 50e3),
            ("photos", 2e6),
            ("sensor readings", 100.0),
        ],
    );
    let years = pick(&mut rng, &[1.0, 3.0, 5.0, 10.0]);
    let replicas = 3.0;
    let total = items * 365.0 * years * size * replicas;
    let k2 = magnitude(total / 1e12);
    ask.push_str(&format!(
        "2. {} new {what} a day, {} each, kept {years} year{}, 3 replicas.\n   Storage?   {}\n\n",
        show(Q::plain(items)),
        show(Q { value: size, dim: BYTES }),
        if years == 1.0 { "" } else { "s" },
        options(k2, "TB")
    ));
    answer.push_str(&format!(
        "2. {}/day x 365 days/year x {years} year{} = {} {what}; x {} = {}; x 3 replicas = {}: ~10^{k2} TB.\n   \
         (Without replication it is a third of that; backups and indexes add more.)\n\n",
        show(Q::plain(items)),
        if years == 1.0 { "" } else { "s" },
        show(Q::plain(items * 365.0 * years)),
        show(Q { value: size, dim: BYTES }),
        show(Q { value: items * 365.0 * years * size, dim: BYTES }),
        show(Q { value: total, dim: BYTES }),
    ));

    // 3. Little's law: how many requests are in flight, so how many connections.
    let rate = pick(&mut rng, &[500.0, 2e3, 5e3, 20e3, 50e3]);
    let latency = pick(&mut rng, &[2e-3, 5e-3, 20e-3, 50e-3, 200e-3]);
    let in_flight = rate * latency;
    let k3 = magnitude(in_flight);
    ask.push_str(&format!(
        "3. A service takes {} requests/s; each holds a database connection for {}.\n   \
         Connections busy on average?   {}\n",
        show(Q::plain(rate)),
        show(Q { value: latency, dim: TIME }),
        options(k3, "")
    ));
    answer.push_str(&format!(
        "3. Little's law, L = λW: {} /s x {} = {} connections busy on average: ~10^{k3}.\n   \
         Size the pool above that for bursts (the tail, not the mean), and below what the database can run\n   \
         at once (see the connection-pooling chapter).\n",
        show(Q::plain(rate)),
        show(Q { value: latency, dim: TIME }),
        show(Q::plain(in_flight)),
    ));
    Ok(format!("{ask}{REVEAL_MARKER}\n{answer}"))
}
// ANCHOR_END: problems

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magnitude_rounds_on_a_log_scale() {
        assert_eq!(magnitude(1.0), 0);
        assert_eq!(magnitude(3.0), 0);
        assert_eq!(magnitude(3.2), 1);
        assert_eq!(magnitude(999.0), 3);
        assert_eq!(magnitude(3_100.0), 3);
        assert_eq!(magnitude(3_200.0), 4);
        assert_eq!(magnitude(0.05), -1);
    }

    #[test]
    fn every_seed_gives_an_answer_among_the_options() {
        for seed in 0..2_000 {
            let out = run(&format!("seed = {seed}\n")).unwrap();
            let (ask, answer) = out.split_once(REVEAL_MARKER).unwrap();
            for line in answer.lines().filter(|l| l.contains(": ~10^")) {
                let pick = line.rsplit(": ").next().unwrap().trim_end_matches('.');
                let pick = pick.split_whitespace().next().unwrap();
                assert!(ask.contains(pick), "seed {seed}: {pick} not offered");
            }
        }
    }
}
