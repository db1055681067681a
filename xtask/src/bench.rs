//! `cargo xtask bench`: measurements, printed as a table. Not a timed test: nothing here fails
//! on a slow machine; the figures are for the budgets in the issues.

use std::time::{Duration, Instant};

use crate::book;
use crate::step::{format_duration, step};

pub fn run(runs: u32) -> anyhow::Result<()> {
    let prepared = book::prepare()?;
    let scratch = std::env::temp_dir().join(format!("bf-bench-{}", std::process::id()));
    let mut samples = Vec::new();
    for run in 1..=runs {
        let dest = scratch.join(format!("run-{run}"));
        let started = Instant::now();
        step(&format!("full book build {run}/{runs}"), || book::build(&prepared, &dest))?;
        samples.push(started.elapsed());
    }
    let _ = std::fs::remove_dir_all(&scratch);

    println!("\nbenchmark                               median      min      max   runs");
    print_row("full book build (mdbook build)", &samples);
    Ok(())
}

fn print_row(name: &str, samples: &[Duration]) {
    let mut sorted = samples.to_vec();
    sorted.sort();
    println!(
        "{name:<36} {:>9} {:>8} {:>8} {:>6}",
        format_duration(median(&sorted)),
        format_duration(sorted[0]),
        format_duration(sorted[sorted.len() - 1]),
        sorted.len()
    );
}

/// Median of sorted samples (mean of the middle two for an even count).
fn median(sorted: &[Duration]) -> Duration {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
        assert_eq!(median(&ms(&[1, 2, 9])), Duration::from_millis(2));
        assert_eq!(median(&ms(&[1, 2, 4, 9])), Duration::from_millis(3));
    }
}
