//! Hedged requests, simulated (Dean and Barroso, "The Tail at Scale", CACM 2013): each read
//! goes to one replica; if it has not answered after `hedge_after` (by default the p95 of an
//! unhedged run), a copy goes to a second replica and the first answer wins, the loser being
//! cancelled. A replica's latency is a mixture: usually a few milliseconds, and with a small
//! probability a hiccup (a GC pause, a compaction, a queue) of tens to hundreds of
//! milliseconds, drawn independently for each copy. The run prints p50, p99 and p99.9 with and
//! without hedging, the extra requests sent and the extra server time, with and without
//! cancellation. Seeded and deterministic.

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "resilience::hedge",
    title: "Hedged requests: a second copy after the p95 cuts the tail for a few % more load",
    file: file!(),
    default_input: "# reads, and a replica's latency: 2 ms + exponential(mean 3 ms), and with probability\n\
                    # slow_percent a hiccup of slow_min..slow_max ms on top\n\
                    requests = 20000\nslow_percent = 3\nslow_min = 50\nslow_max = 1000\n\
                    # send the second copy after this many ms, or after the unhedged p95\n\
                    hedge_after = p95\nseed = 11\n",
    input_help: "`requests` (100–100000); `slow_percent` (0–50); `slow_min`, `slow_max` (ms); \
                 `hedge_after` = p95 | MS; `seed`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: hedge
/// One replica's answer time (ms) for one copy of a request.
fn latency(rng: &mut Rng, slow_percent: u64, slow: (u64, u64)) -> f64 {
    let body = 2.0 + rng.exponential(3.0);
    if rng.chance(slow_percent as f64 / 100.0) { body + rng.range(slow.0, slow.1) as f64 } else { body }
}

/// A hedged read: the first copy answers at `first`; if that is later than `after`, a second
/// copy sent at `after` answers at `after + second`. Returns when the client has its answer,
/// and the server time spent with the loser cancelled at that moment, and without.
pub fn hedged(first: f64, second: f64, after: f64) -> (f64, f64, f64) {
    if first <= after {
        return (first, first, first);
    }
    let done = first.min(after + second);
    // Cancelled: each copy stops when the answer arrives. Not cancelled: both run to the end.
    (done, done + (done - after), first + second)
}
// ANCHOR_END: hedge

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn run(input: &str) -> Result<String, InputError> {
    let params =
        Params::parse(input, &["requests", "slow_percent", "slow_min", "slow_max", "hedge_after", "seed"])?;
    let requests: usize = params.number_or("requests", 100, 100_000, 20_000)?;
    let slow_percent = params.number_or("slow_percent", 0, 50, 3)?;
    let slow_min = params.number_or("slow_min", 0, 100_000, 50)?;
    let slow_max = params.number_or("slow_max", slow_min, 100_000, 1000.max(slow_min))?;
    let seed = params.number_or("seed", 0, u64::MAX, 11)?;
    let mut rng = Rng::new(seed);
    let pairs: Vec<(f64, f64)> = (0..requests)
        .map(|_| {
            let first = latency(&mut rng, slow_percent, (slow_min, slow_max));
            (first, latency(&mut rng, slow_percent, (slow_min, slow_max)))
        })
        .collect();
    let mut plain: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    plain.sort_by(f64::total_cmp);
    let after = match params.one("hedge_after")? {
        Some(entry) if entry.value != "p95" => entry.number(0.0, 100_000.0)?,
        _ => percentile(&plain, 0.95),
    };
    let (mut times, mut cancelled, mut uncancelled, mut copies) = (Vec::new(), 0.0, 0.0, 0);
    for &(first, second) in &pairs {
        let (done, with_cancel, without) = hedged(first, second, after);
        times.push(done);
        cancelled += with_cancel;
        uncancelled += without;
        copies += usize::from(first > after);
    }
    times.sort_by(f64::total_cmp);
    let work: f64 = plain.iter().sum();
    let mut out = format!(
        "{requests} reads; a replica answers in 2 ms + exp(3 ms), and {slow_percent}% of copies hit a hiccup of \
         {slow_min}–{slow_max} ms; second copy after {after:.1} ms\n\n"
    );
    out.push_str("             p50       p99     p99.9\n");
    for (name, sorted) in [("one copy", &plain), ("hedged", &times)] {
        out.push_str(&format!(
            "{name:<9}{:>7.1} ms{:>7.1} ms{:>7.1} ms\n",
            percentile(sorted, 0.5),
            percentile(sorted, 0.99),
            percentile(sorted, 0.999)
        ));
    }
    out.push_str(&format!(
        "\nextra requests sent: {:.1}%\nextra server time if the losing copies are not cancelled: {:.1}%\n\
         with cancellation (a copy stops when the answer arrives): {:.1}% less than one copy each, as hiccups are cut short\n",
        copies as f64 * 100.0 / requests as f64,
        (uncancelled / work - 1.0) * 100.0,
        (1.0 - cancelled / work) * 100.0
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hedging_cuts_the_tail_for_about_five_percent_more_requests() {
        let out = run(EXAMPLE.default_input).unwrap();
        let row = |name: &str| -> Vec<f64> {
            let line = out.lines().find(|l| l.starts_with(name)).unwrap();
            line.split_whitespace().filter_map(|w| w.parse().ok()).collect()
        };
        let (plain, hedged) = (row("one copy"), row("hedged"));
        assert!(hedged[2] * 5.0 < plain[2] && hedged[1] * 5.0 < plain[1], "{out}");
        assert!((hedged[0] - plain[0]).abs() < 0.5, "{out}");
        assert!(out.contains("extra requests sent: 5.0%"), "{out}");
    }

    #[test]
    fn a_hedge_never_answers_later_and_cancel_never_costs_more() {
        let mut rng = Rng::new(5);
        for _ in 0..10_000 {
            let (a, b, after) =
                (rng.range(0, 500) as f64, rng.range(0, 500) as f64, rng.range(0, 500) as f64);
            let (done, cancelled, uncancelled) = hedged(a, b, after);
            assert!(done <= a && cancelled <= uncancelled + 1e-9 && cancelled >= done);
        }
    }

    #[test]
    fn bad_input_names_its_line() {
        assert_eq!(run("seed = 1\nhedge_after = soon\n").unwrap_err().line, Some(2));
    }
}
