//! Chapter "Reliability, scalability, maintainability".
//!
//! * `percentiles`: exact percentiles of a small sample, nearest-rank against interpolated, and
//!   the mean beside them;
//! * `hist`: a streaming log-linear histogram (the idea of HdrHistogram's significant digits,
//!   written for this book), which `histogram` compares with the exact percentiles and with
//!   Prometheus-style fixed buckets, and `merge` merges across hosts (against averaging p99s);
//! * `fanout`: one request fanned out to N backends, its p99 as N grows, hedged requests;
//! * `budget`: an error budget burned by an incident script, with multiwindow burn-rate alerts;
//! * `timelines`: load parameters, fan-out on write against fan-out on read;
//! * `faults` (native: a real server on 127.0.0.1): faults that a retry keeps from becoming
//!   failures.
//!
//! Latencies come from [`Tail`], drawn with the seeded [`crate::rng::Rng`] and the portable
//! `ln`/`exp`, so the browser and the tests print the same numbers.

pub mod budget;
pub mod fanout;
#[cfg(not(target_family = "wasm"))]
pub mod faults;
pub mod hist;
pub mod histogram;
pub mod merge;
pub mod percentiles;
pub mod timelines;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    percentiles::EXAMPLE,
    histogram::EXAMPLE,
    merge::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    faults::EXAMPLE,
    timelines::EXAMPLE,
    fanout::EXAMPLE,
    budget::EXAMPLE,
];

use crate::input::Params;
use crate::registry::InputError;
use crate::rng::{Rng, exp, ln};

// ANCHOR: tail
/// The latency of one backend call, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tail {
    /// 5 ms of work plus an exponential wait (mean 5 ms): a light tail.
    Exponential,
    /// Pareto with minimum 5 ms and shape 2.5: a heavy tail, no typical "slow" value.
    Pareto,
    /// Mostly like `Exponential`, but a share `slow` of the calls also hit a hiccup (a GC
    /// pause, a queue behind a compaction) of `hiccup` ms on average, exponentially spread.
    Bimodal { slow: f64, hiccup: f64 },
}

impl Tail {
    pub fn sample(self, rng: &mut Rng) -> f64 {
        let body = 5.0 + rng.exponential(5.0);
        match self {
            Tail::Exponential => body,
            // x_min · U^(-1/α) = x_min · e^(-ln U / α)
            Tail::Pareto => 5.0 * exp(-ln(1.0 - rng.next_f64()) / 2.5),
            Tail::Bimodal { slow, hiccup } => {
                if rng.chance(slow) {
                    body + hiccup / 2.0 + rng.exponential(hiccup / 2.0)
                } else {
                    body
                }
            }
        }
    }
    // ANCHOR_END: tail

    /// P(a call takes longer than `x` ms), in closed form, so that quantiles of the slowest of N
    /// calls can be computed exactly instead of read off a sample.
    pub fn survival(self, x: f64) -> f64 {
        // 5 ms + Exp(mean 5 ms)
        let body = |x: f64| if x <= 5.0 { 1.0 } else { exp(-(x - 5.0) / 5.0) };
        match self {
            Tail::Exponential => body(x),
            Tail::Pareto => {
                if x <= 5.0 {
                    1.0
                } else {
                    exp(-2.5 * ln(x / 5.0))
                }
            }
            Tail::Bimodal { slow, hiccup } => {
                // A slow call is 5 ms + hiccup/2 + the sum of two exponentials, means a and b.
                let (a, b) = (5.0, hiccup / 2.0);
                let y = x - 5.0 - b;
                let slow_survival = if y <= 0.0 {
                    1.0
                } else if (a - b).abs() < 1e-6 {
                    exp(-y / a) * (1.0 + y / a)
                } else {
                    (a * exp(-y / a) - b * exp(-y / b)) / (a - b)
                };
                (1.0 - slow) * body(x) + slow * slow_survival
            }
        }
    }

    pub fn describe(self) -> String {
        match self {
            Tail::Exponential => "exponential (5 ms + Exp(mean 5 ms))".to_string(),
            Tail::Pareto => "pareto (minimum 5 ms, shape 2.5)".to_string(),
            Tail::Bimodal { slow, hiccup } => {
                format!(
                    "bimodal (5 ms + Exp(5 ms); {}% of calls add a ~{hiccup} ms hiccup)",
                    trim(slow * 100.0)
                )
            }
        }
    }

    /// `tail = exponential | pareto | bimodal`, with `slow` (%) and `hiccup` (ms) for bimodal.
    pub fn parse(p: &Params, default: &str) -> Result<Tail, InputError> {
        let slow = p.number_or("slow", 0.0, 50.0, 1.0)? / 100.0;
        let hiccup = p.number_or("hiccup", 1.0, 10_000.0, 200.0)?;
        Ok(match p.choice_or("tail", &["exponential", "pareto", "bimodal"], tail_name(default))? {
            "exponential" => Tail::Exponential,
            "pareto" => Tail::Pareto,
            _ => Tail::Bimodal { slow, hiccup },
        })
    }
}

fn tail_name(name: &str) -> &'static str {
    match name {
        "exponential" => "exponential",
        "pareto" => "pareto",
        _ => "bimodal",
    }
}

/// A number without trailing zeros: `1`, `0.5`, `99.9`.
pub fn trim(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A whole number with its digits grouped in threes (see [`crate::thousands`]).
pub fn thousands_f(x: f64) -> String {
    crate::thousands(x.round().max(0.0) as u64)
}

/// Milliseconds with one decimal.
pub fn ms(x: f64) -> String {
    format!("{x:.1} ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_have_the_shapes_they_claim() {
        let mut rng = Rng::new(7);
        let draw = |tail: Tail, rng: &mut Rng| {
            let mut v: Vec<f64> = (0..100_000).map(|_| tail.sample(rng)).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let e = draw(Tail::Exponential, &mut rng);
        assert!(e[0] >= 5.0 && (8.0..9.5).contains(&e[50_000]), "{}", e[50_000]);
        let p = draw(Tail::Pareto, &mut rng);
        assert!(p[0] >= 5.0);
        // Pareto(α = 2.5): p99 = 5 · 100^(1/2.5) ≈ 31.5 ms
        assert!((29.0..34.0).contains(&p[99_000]), "{}", p[99_000]);
        let b = draw(Tail::Bimodal { slow: 0.01, hiccup: 200.0 }, &mut rng);
        assert!(b[99_500] > 100.0 && b[98_000] < 40.0);
        // The closed-form survival agrees with the samples at every tenth of a percent.
        for (tail, sorted) in
            [(Tail::Exponential, &e), (Tail::Pareto, &p), (Tail::Bimodal { slow: 0.01, hiccup: 200.0 }, &b)]
        {
            for i in (100..100_000).step_by(100) {
                let share_above = 1.0 - i as f64 / 100_000.0;
                let s = tail.survival(sorted[i]);
                let se = (share_above * (1.0 - share_above) / 100_000.0).sqrt();
                assert!(
                    (s - share_above).abs() < 5.0 * se + 1e-5,
                    "{tail:?} at {}: {s} vs {share_above}",
                    sorted[i]
                );
            }
        }
        // hiccup = 10 makes both exponentials' means 5 ms: the limit formula
        let t = Tail::Bimodal { slow: 1.0, hiccup: 10.0 };
        assert!(
            (t.survival(30.0) - Tail::Bimodal { slow: 1.0, hiccup: 10.000_01 }.survival(30.0)).abs() < 1e-5
        );
    }
}
