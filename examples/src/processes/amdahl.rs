//! Amdahl's law: how much faster N cores make a job whose serial part stays serial.

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "processes::amdahl",
    title: "Amdahl's law: speed-up for a given parallel fraction",
    file: file!(),
    default_input: "parallel = 0.95\ncores = 1 2 4 8 16 64 1024\n",
    input_help: "`parallel = P` (fraction of the work that parallelises, 0 to 1) and `cores = N N …`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: example
/// Speed-up of a job on `cores` cores when a fraction `parallel` of it runs in parallel
/// and the rest stays serial: S(n) = 1 / ((1 - p) + p / n).
pub fn speedup(parallel: f64, cores: u32) -> f64 {
    1.0 / ((1.0 - parallel) + parallel / f64::from(cores))
}

pub fn report(parallel: f64, core_counts: &[u32]) -> String {
    let mut out = format!("parallel fraction p = {parallel} (serial part {:.2})\n", 1.0 - parallel);
    out.push_str("cores   speed-up  efficiency\n");
    for &n in core_counts {
        let s = speedup(parallel, n);
        let efficiency = 100.0 * s / f64::from(n);
        out.push_str(&format!("{n:>5}  {s:>8.2}x  {efficiency:>9.1}%\n"));
    }
    if parallel < 1.0 {
        let limit = 1.0 / (1.0 - parallel);
        out.push_str(&format!("ceiling with unlimited cores: {limit:.2}x\n"));
    }
    out
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["parallel", "cores"])?;
    let parallel = params.number::<f64>("parallel", 0.0, 1.0)?;
    let cores = params
        .one("cores")?
        .ok_or_else(|| InputError::new("missing `cores = …`"))?
        .numbers::<u32>(1, 1_000_000)?;
    Ok(report(parallel, &cores))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_core_is_no_speedup_and_full_parallelism_is_linear() {
        assert!((speedup(0.5, 1) - 1.0).abs() < 1e-12);
        assert!((speedup(1.0, 8) - 8.0).abs() < 1e-12);
        // Half serial: never better than 2x.
        assert!(speedup(0.5, 1_000_000) < 2.0);
    }

    #[test]
    fn bad_input_names_its_line() {
        let err = run("parallel = 1.5\ncores = 2").unwrap_err();
        assert_eq!(err.line, Some(1));
        let err = run("parallel = 0.5\ncores = 2 zero").unwrap_err();
        assert_eq!(err.to_string(), "input line 2: `zero` is not a number");
        let err = run("parallel = 0.5\ncores = 0").unwrap_err();
        assert_eq!(err.to_string(), "input line 2: 0 is out of range (from 1 to 1000000)");
    }
}
