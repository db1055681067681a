//! Four hosts each report a p99. Averaging those numbers is not the p99 of the service;
//! merging the hosts' histograms (adding their counters) is, to within the histogram's bound.

use std::fmt::Write as _;

use super::hist::{Histogram, nearest_rank};
use super::{Tail, trim};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::Rng;
use crate::thousands;

pub const EXAMPLE: Example = Example {
    id: "reliability::merge",
    title: "The p99 of four hosts: averaging their p99s against merging their histograms",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`host = name requests slow%` (1–8 hosts, up to 100,000 requests each; bimodal latencies with a \
                 `hiccup` ms mean), `seed`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
# host = name, requests in the last minute, % of its calls that hit a hiccup
host = a 30000 0.5
host = b 30000 0.5
host = c 30000 0.5
# d has a failing disk: few requests reach it, and a fifth of them are slow
host = d 1000 20
hiccup = 300
seed = 1
";

struct Host {
    name: String,
    requests: usize,
    slow: f64,
}

fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["host", "hiccup", "seed"])?;
    let hiccup = p.number_or("hiccup", 1.0, 10_000.0, 300.0)?;
    let seed = p.number_or("seed", 0u64, u64::MAX, 1)?;
    let mut hosts = Vec::new();
    for e in p.all("host") {
        let words: Vec<&str> = e.value.split_whitespace().collect();
        let [name, requests, slow] = words[..] else {
            return Err(InputError::at_line(e.line, "expected `host = name requests slow%`"));
        };
        let requests: usize =
            requests.parse().ok().filter(|r| (1..=100_000).contains(r)).ok_or_else(|| {
                InputError::at_line(e.line, format!("`{requests}`: requests must be 1 to 100,000"))
            })?;
        let slow: f64 =
            slow.trim_end_matches('%').parse().ok().filter(|s| (0.0..=100.0).contains(s)).ok_or_else(
                || InputError::at_line(e.line, format!("`{slow}`: slow must be a percentage, 0 to 100")),
            )?;
        if hosts.len() == 8 {
            return Err(InputError::at_line(e.line, "at most 8 hosts"));
        }
        hosts.push(Host { name: name.to_string(), requests, slow: slow / 100.0 });
    }
    if hosts.is_empty() {
        return Err(InputError::new("name at least one `host = name requests slow%`"));
    }

    // ANCHOR: merge
    let mut rng = Rng::new(seed);
    let mut merged = Histogram::new(2);
    let mut everything: Vec<u64> = Vec::new();
    let mut p99s = Vec::new();
    let mut out = String::new();
    for host in &hosts {
        let tail = Tail::Bimodal { slow: host.slow, hiccup };
        let mut h = Histogram::new(2); // what the host exports: counters, not samples
        for _ in 0..host.requests {
            let us = ((tail.sample(&mut rng) * 1000.0).round() as u64).max(1);
            h.record(us);
            everything.push(us);
        }
        let p99 = h.percentile(99.0) / 1000.0;
        let _ = writeln!(
            out,
            "host {:<4} {:>7} requests, p99 {p99:>7.1} ms",
            host.name,
            thousands(host.requests as u64)
        );
        p99s.push(p99);
        merged.merge(&h); // adding counters: exact, and associative
    }
    let average = p99s.iter().sum::<f64>() / p99s.len() as f64;
    // ANCHOR_END: merge
    everything.sort_unstable();
    let n = everything.len();
    let exact = everything[nearest_rank(n, 99.0) - 1] as f64 / 1000.0;
    let max = p99s.iter().copied().fold(0.0, f64::max);
    let _ = writeln!(out, "\nexact p99 of all {} requests   {exact:>7.1} ms", thousands(n as u64));
    let _ = writeln!(out, "p99 of the merged histograms     {:>7.1} ms", merged.percentile(99.0) / 1000.0);
    let _ = writeln!(out, "average of the hosts' p99s       {average:>7.1} ms");
    let _ = writeln!(out, "largest host p99                 {max:>7.1} ms");
    let above = |x: f64| everything.iter().filter(|&&v| v as f64 / 1000.0 > x).count() as f64 / n as f64;
    let _ = writeln!(
        out,
        "\n{}% of all requests were slower than the averaged \"p99\" (a true p99 leaves 1%);",
        trim((above(average) * 1000.0).round() / 10.0)
    );
    let _ = writeln!(
        out,
        "{}% were slower than the largest host p99.",
        trim((above(max) * 1000.0).round() / 10.0)
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averaging_p99s_misses_and_merging_does_not() {
        let out = run(EXAMPLE.default_input).unwrap();
        let value = |label: &str| -> f64 {
            let line = out.lines().find(|l| l.starts_with(label)).unwrap();
            line.split_whitespace().rev().nth(1).unwrap().parse().unwrap()
        };
        let exact = value("exact p99");
        let merged = value("p99 of the merged");
        let average = value("average of");
        assert!((merged - exact).abs() / exact < 0.005, "{out}");
        assert!(average > 2.0 * exact, "{out}");
        assert_eq!(run("host = a 10\n").unwrap_err().line, Some(1));
        assert_eq!(run("\nhost = a 10 x\n").unwrap_err().line, Some(2));
    }
}
