//! Exact percentiles of a small sample under the two common definitions, beside the mean.
//!
//! * nearest rank: the smallest sample with at least p% of the samples at or below it (always
//!   a value that was observed; a histogram finds the bucket of that rank and reports a value
//!   of the bucket instead: HdrHistogram its highest equivalent value, this book its middle);
//! * linear interpolation between the two closest ranks (NumPy's default, Excel's
//!   `PERCENTILE.INC`, Hyndman and Fan's type 7): may report a value nobody observed.

use std::fmt::Write as _;

use super::hist::nearest_rank;
use super::trim;
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "reliability::percentiles",
    title: "Percentiles of 20 latencies: nearest rank, interpolated, and the mean",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`latencies` (ms, 1 to 10,000 numbers), `p` (percentiles, each above 0 and at most 100)",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
# 20 requests to one endpoint, in milliseconds: mostly ~12 ms, two stuck behind something
latencies = 12 9 14 11 10 13 15 11 12 10 9 16 14 11 13 12 10 480 15 1250
p = 50 90 95 99
";

// ANCHOR: definitions
/// Nearest rank: the value at rank ceil(p/100 · n) of the sorted sample.
pub fn nearest(sorted: &[f64], p: f64) -> f64 {
    sorted[nearest_rank(sorted.len(), p) - 1]
}

/// Linear interpolation between closest ranks: position h = (n − 1) · p/100 (0-based).
pub fn interpolated(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p / 100.0;
    let below = h.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}
// ANCHOR_END: definitions

fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["latencies", "p"])?;
    let entry = p.one("latencies")?.ok_or_else(|| InputError::new("missing `latencies = …`"))?;
    let mut sample: Vec<f64> = entry.numbers(0.0, 1e9)?;
    if sample.len() > 10_000 {
        return Err(InputError::at_line(entry.line, "at most 10,000 latencies"));
    }
    let ps: Vec<f64> = match p.one("p")? {
        Some(e) => {
            let ps = e.numbers(0.0, 100.0)?;
            if ps.contains(&0.0) {
                return Err(InputError::at_line(e.line, "a percentile must be above 0"));
            }
            ps
        }
        None => vec![50.0, 90.0, 99.0],
    };
    sample.sort_by(f64::total_cmp);
    let n = sample.len();
    let mean = sample.iter().sum::<f64>() / n as f64;
    let mut out = String::new();
    let shown: Vec<String> = sample.iter().take(30).map(|x| trim(*x)).collect();
    let more = if n > 30 { format!(" … ({n} in all)") } else { String::new() };
    let _ = writeln!(out, "sorted ({n}): {}{more}\n", shown.join(" "));
    let _ = writeln!(out, "{:<6} {:>14} {:>14}", "", "nearest rank", "interpolated");
    for &q in &ps {
        let rank = nearest_rank(n, q);
        let _ = writeln!(
            out,
            "{:<6} {:>14} {:>14}   (rank {rank} of {n})",
            format!("p{}", trim(q)),
            format!("{} ms", trim(nearest(&sample, q))),
            format!("{:.1} ms", interpolated(&sample, q)),
        );
    }
    let slower = sample.iter().filter(|&&x| x > mean).count();
    let at_or_below = n - slower;
    let _ = writeln!(out, "\nmean {mean:.1} ms, median {} ms (nearest rank)", trim(nearest(&sample, 50.0)));
    let _ = writeln!(
        out,
        "{slower} of {n} requests were slower than the mean; the mean sits at the {}th percentile.",
        (100 * at_or_below).div_ceil(n)
    );
    let typical = sample.iter().filter(|&&x| x <= 2.0 * nearest(&sample, 50.0)).count();
    let _ = writeln!(
        out,
        "{typical} of {n} took at most twice the median: the mean describes none of the requests."
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definitions_agree_on_the_median_of_an_odd_sample_and_differ_in_the_tail() {
        let s = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert_eq!(nearest(&s, 50.0), 3.0);
        assert_eq!(interpolated(&s, 50.0), 3.0);
        assert_eq!(nearest(&s, 90.0), 100.0);
        assert!((interpolated(&s, 90.0) - 61.6).abs() < 1e-9);
        assert_eq!(nearest(&s, 100.0), 100.0);
        assert_eq!(interpolated(&s, 100.0), 100.0);
        // an even sample: nearest rank picks an observed value, interpolation the midpoint
        assert_eq!(nearest(&[10.0, 20.0], 50.0), 10.0);
        assert_eq!(interpolated(&[10.0, 20.0], 50.0), 15.0);
    }

    #[test]
    fn input_errors_name_their_line() {
        assert_eq!(run("\nlatencies = 1 x 3\n").unwrap_err().line, Some(2));
        assert_eq!(run("latencies = 1 2\np = 0 50\n").unwrap_err().line, Some(2));
        assert!(run("p = 50\n").unwrap_err().message.contains("latencies"));
    }
}
