//! Predict, then reveal: "will this pool time out?" A seeded burst against a pool whose
//! database has a core for every connection, so the question is the pool's alone. The problem
//! comes first; after the marker, Little's law worked out and the simulated run.

use super::load::sim_text;
use super::sim::{self, Config, Dist, requests, simulate, summarize};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "pooling::predict",
    title: "Predict, then reveal: will this pool size time out?",
    file: file!(),
    default_input: "seed = 13\n",
    input_help: "`seed = N`: any number gives a new burst, pool and timeout",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// Offered load as a multiple of the pool size: never close to 1, where the answer would
/// depend on luck more than on arithmetic.
const LOADS: [f64; 5] = [0.4, 0.6, 1.3, 1.6, 2.2];

/// How long (ms) an overloaded pool takes to build a line whose newest request waits
/// `timeout`: the line grows by `rate − served` per second and drains at `served` per second.
fn time_to_timeout(rate: f64, served: f64, timeout: f64) -> f64 {
    timeout * served / (rate - served)
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["seed"])?;
    let seed: u64 = p.number_or("seed", 0, u64::MAX, 13)?;
    // ANCHOR: predict
    let mut rng = Rng::new(seed);
    let pool = [5u32, 8, 10, 16, 20, 30][rng.range(0, 5) as usize];
    let cpu_ms = [1.0, 2.0, 4.0][rng.range(0, 2) as usize];
    let io_ms = [0.0, 3.0, 6.0, 10.0][rng.range(0, 3) as usize];
    let hold_ms = [0.0, 0.0, 10.0, 25.0][rng.range(0, 3) as usize];
    let timeout = [100.0, 250.0, 1000.0][rng.range(0, 2) as usize];
    let held = cpu_ms + io_ms + hold_ms;
    let served_rate = f64::from(pool) / held * 1000.0; // the most the pool can serve, per second
    // The burst's rate, rounded to 10 requests per second, for an offered load of factor × pool;
    // an overload whose line would reach the timeout only near the burst's end is drawn again.
    let mut rate = 0.0;
    for _ in 0..20 {
        let factor = LOADS[rng.range(0, LOADS.len() as u64 - 1) as usize];
        rate = (factor * served_rate / 10.0).round().max(1.0) * 10.0;
        let t = if rate > served_rate { time_to_timeout(rate, served_rate, timeout) } else { 0.0 };
        if !(1000.0..=2600.0).contains(&t) {
            break;
        }
    }
    let config = Config {
        seed,
        cores: pool, // a core for every connection: no CPU contention
        pool,
        instances: 1,
        max_connections: 1000,
        acquire_timeout_ms: Some(timeout),
        cpu_ms,
        io_ms,
        hold_ms,
        connect_ms: 0.0,
        dist: Dist::Exponential,
        contention: 0.0,
        load: vec![(0.0, rate / 10.0), (500.0, rate), (2500.0, rate / 10.0)],
        duration_ms: 3000.0,
    };
    let mut text = format!(
        "A pool of {pool} connections, acquire timeout {timeout} ms. Each request holds its connection \
         for {cpu_ms} ms of CPU + {io_ms} ms of I/O + {hold_ms} ms while the app does other work \
         (means; exponential). The database has a core for every connection.\n\
         From 500 to 2500 ms, requests arrive at {rate} per second (a tenth of that before and after).\n\
         Predict: how many connections would the burst need on average (λ × W, the offered load), and will more than \
         1 % of the burst's requests time out?\n"
    );
    // ANCHOR_END: predict
    text.push_str(REVEAL_MARKER);
    text.push('\n');
    let offered = rate / 1000.0 * held;
    let stream = requests(&config);
    let run = simulate(&config, &stream);
    let burst: Vec<usize> =
        (0..stream.len()).filter(|&i| (500.0..2500.0).contains(&stream[i].arrival)).collect();
    let lost = burst.iter().filter(|&&i| run.fates[i].timed_out.is_some()).count();
    let share = 100.0 * lost as f64 / burst.len().max(1) as f64;
    text.push_str(&format!(
        "Offered load: λ × W = {rate}/s × {held} ms = {offered:.1}: the burst would need {offered:.1} connections on average, against a pool of {pool}.\n"
    ));
    if offered < f64::from(pool) {
        text.push_str(&format!(
            "That is {:.0} % of the pool: the line forms only when a few long holds bunch together, and it \
             drains at once, so waits stay far below {timeout} ms.\n",
            100.0 * offered / f64::from(pool)
        ));
    } else {
        let t = time_to_timeout(rate, served_rate, timeout);
        text.push_str(&format!(
            "More than the pool can hold: {pool} connections / {held} ms serve at most {served_rate:.0} requests/s, \
             so the line grows by about {:.0} requests each second, and a request that finds n ahead of it \
             waits about n / {served_rate:.0} s. ",
            rate - served_rate,
        ));
        if t < 2000.0 {
            text.push_str(&format!(
                "Waits reach the {timeout} ms timeout after about {t:.0} ms of the burst; from then on, \
                 about {:.0} % of the arrivals time out (the rest keep the pool exactly full).\n",
                100.0 * (1.0 - served_rate / rate)
            ));
        } else {
            text.push_str(&format!(
                "Waits would reach the {timeout} ms timeout only after about {t:.0} ms, but the burst lasts \
                 2000 ms: the line grows the whole time, waits climb towards the timeout, and the quiet \
                 period drains it.\n"
            ));
        }
    }
    text.push_str(&format!(
        "Simulated: {lost} of the burst's {} requests timed out ({share:.1} %): {}.\n\n",
        burst.len(),
        if share > 1.0 { "yes, more than 1 %" } else { "no, 1 % or fewer" }
    ));
    text.push_str(&sim_text(&config, &stream, &run, false));
    let s = summarize(&config, &stream, &run);
    text.push_str(&format!("(p99 over the whole run: {:.1} ms)\n", s.p99));
    let figure = sim::draw(&config, &stream, &run, 500.0, 40.0);
    Ok(Drawn { text, figure })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Little's law's verdict and the simulation's agree for every seed the page is likely to
    /// meet: under the pool, (almost) nothing times out; over it, many do.
    #[test]
    fn the_arithmetic_predicts_the_simulation() {
        for seed in 0..60 {
            let drawn = run(&format!("seed = {seed}")).unwrap();
            drawn.figure.validate().unwrap();
            let text = drawn.text;
            let predicted = text.contains("Waits reach the");
            let timed_out = text.contains("yes, more than 1 %");
            assert_eq!(predicted, timed_out, "seed {seed}:\n{text}");
        }
    }
}
