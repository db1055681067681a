//! Exact percentiles of a large seeded sample against the streaming log-linear histogram at 1,
//! 2 and 3 significant digits, and against the fixed buckets of a Prometheus client
//! (prom-client's defaults) read with `histogram_quantile`'s linear interpolation.

use std::fmt::Write as _;

use super::hist::{Histogram, nearest_rank};
use super::{Tail, thousands_f, trim};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::Rng;
use crate::thousands;

pub const EXAMPLE: Example = Example {
    id: "reliability::histogram",
    title: "Exact percentiles against a log-linear histogram and fixed Prometheus buckets",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`samples` (1–200,000), `tail` (exponential, pareto, bimodal; `slow` %, `hiccup` ms), \
                 `digits` (any of 1 2 3 4), `seed`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
samples = 100000
# bimodal: 2% of the calls hit a ~300 ms hiccup
tail = bimodal
slow = 2
hiccup = 300
digits = 1 2 3
seed = 1
";

const PS: [f64; 5] = [50.0, 90.0, 99.0, 99.9, 100.0];

/// prom-client's default `buckets` for a Histogram, in seconds (the upper bounds, `le`).
pub const PROM_DEFAULT_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

// ANCHOR: prometheus
/// What Prometheus's `histogram_quantile(q, …)` answers from cumulative bucket counts: find
/// the bucket holding rank q · count, then interpolate linearly inside it (assuming its values
/// are spread evenly). A rank in the `+Inf` bucket gets the largest finite bound.
pub fn prometheus_quantile(q: f64, bounds: &[f64], cumulative: &[u64], count: u64) -> f64 {
    let rank = q * count as f64;
    let mut below = 0u64;
    for (i, (&bound, &cum)) in bounds.iter().zip(cumulative).enumerate() {
        if cum as f64 >= rank {
            let start = if i == 0 { 0.0 } else { bounds[i - 1] };
            let inside = (cum - below) as f64;
            return start + (bound - start) * (rank - below as f64) / inside.max(1.0);
        }
        below = cum;
    }
    *bounds.last().unwrap_or(&0.0)
}
// ANCHOR_END: prometheus

fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["samples", "tail", "slow", "hiccup", "digits", "seed"])?;
    let n = p.number_or("samples", 1usize, 200_000, 100_000)?;
    let tail = Tail::parse(&p, "bimodal")?;
    let digits: Vec<u32> = match p.one("digits")? {
        Some(e) => e.numbers(1u32, 4)?,
        None => vec![1, 2, 3],
    };
    let seed = p.number_or("seed", 0u64, u64::MAX, 1)?;

    // ANCHOR: stream
    let mut rng = Rng::new(seed);
    let mut exact: Vec<u64> = Vec::with_capacity(n); // every sample: 8 bytes each
    let mut hists: Vec<Histogram> = digits.iter().map(|&d| Histogram::new(d)).collect();
    let mut prom = [0u64; PROM_DEFAULT_BUCKETS.len()]; // cumulative, as exported
    for _ in 0..n {
        let us = ((tail.sample(&mut rng) * 1000.0).round() as u64).max(1);
        exact.push(us);
        for h in &mut hists {
            h.record(us);
        }
        for (count, &le) in prom.iter_mut().zip(&PROM_DEFAULT_BUCKETS) {
            if us as f64 / 1e6 <= le {
                *count += 1;
            }
        }
    }
    exact.sort_unstable();
    // ANCHOR_END: stream

    let mut out = format!("{} samples, {}, seed {seed}\n\n", thousands(n as u64), tail.describe());
    let head: String = PS
        .iter()
        .map(|p| format!("{:>10}", if *p == 100.0 { "max".into() } else { format!("p{}", trim(*p)) }))
        .collect();
    let _ = writeln!(out, "{:<22}{head}   memory", "");
    let truth: Vec<f64> = PS.iter().map(|&q| exact[nearest_rank(n, q) - 1] as f64 / 1000.0).collect();
    let row = |values: &[f64]| -> String { values.iter().map(|v| format!("{v:>10.2}")).collect() };
    let _ = writeln!(
        out,
        "{:<22}{}   {} bytes (every sample)",
        "exact (ms)",
        row(&truth),
        thousands_f(8.0 * n as f64)
    );
    for h in &hists {
        let got: Vec<f64> = PS.iter().map(|&q| h.percentile(q) / 1000.0).collect();
        let (allocated, used) = h.buckets();
        let _ = writeln!(
            out,
            "{:<22}{}   {} bytes ({allocated} buckets, {used} used)",
            format!("{} digit{} (ms)", h.digits(), if h.digits() == 1 { "" } else { "s" }),
            row(&got),
            thousands_f(8.0 * allocated as f64)
        );
        let worst = got.iter().zip(&truth).map(|(g, t)| (g - t).abs() / t).fold(0.0, f64::max);
        let _ = writeln!(
            out,
            "{:<22}worst relative error {:.3}%, bound {:.3}%",
            "",
            100.0 * worst,
            100.0 * h.error_bound()
        );
    }
    let prom_values: Vec<f64> = PS
        .iter()
        .map(|&q| 1000.0 * prometheus_quantile(q / 100.0, &PROM_DEFAULT_BUCKETS, &prom, n as u64))
        .collect();
    let _ = writeln!(
        out,
        "{:<22}{}   {} bytes ({} buckets + sum + count)",
        "prom-client defaults",
        row(&prom_values),
        8 * (PROM_DEFAULT_BUCKETS.len() + 3),
        PROM_DEFAULT_BUCKETS.len() + 1
    );
    let worst = prom_values.iter().zip(&truth).map(|(g, t)| (g - t).abs() / t).fold(0.0, f64::max);
    let _ = writeln!(
        out,
        "{:<22}worst relative error {:.1}%: buckets 5, 10, 25, 50, 100, 250, 500 ms … 10 s, no bound",
        "",
        100.0 * worst
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_interpolates_inside_the_bucket() {
        // 10 values ≤ 5 ms, 10 in (5, 10]: the median is the top of the first bucket, p75 the
        // middle of the second, whatever the values really were.
        let bounds = [0.005, 0.01];
        assert!((prometheus_quantile(0.5, &bounds, &[10, 20], 20) - 0.005).abs() < 1e-12);
        assert!((prometheus_quantile(0.75, &bounds, &[10, 20], 20) - 0.0075).abs() < 1e-12);
        // ranks in +Inf get the largest finite bound
        assert_eq!(prometheus_quantile(0.99, &bounds, &[10, 10], 20), 0.01);
    }

    #[test]
    fn the_default_run_keeps_every_histogram_within_its_bound() {
        let out = run(EXAMPLE.default_input).unwrap();
        assert!(out.contains("bound 0.391%"), "{out}");
        assert_eq!(run("samples = 0\n").unwrap_err().line, Some(1));
        assert_eq!(run("\ndigits = 1 5\n").unwrap_err().line, Some(2));
    }
}
