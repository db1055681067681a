//! How evenly a ring spreads keys, by the number of virtual nodes per node.
//!
//! With one token per node, each node owns one arc between random points, and arcs between
//! random points vary wildly (the largest of N is about ln N times the mean). A node with V
//! tokens owns the sum of V such arcs, and sums even out: the spread (standard deviation over
//! mean) of a node's share falls roughly as 1/sqrt(V). Hash mod N is the even baseline.

use std::fmt::Write as _;

use super::hash::{key_hash, ring_position};
use super::ring::Ring;
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "sharding::vnode_spread",
    title: "Load spread by number of virtual nodes",
    file: file!(),
    default_input: "nodes = 10\nkeys = 100000\nvnodes = 1 4 16 64 256\n",
    input_help: "`nodes = N`, `keys = K` (user:0 … user:K-1), `vnodes = V V …` (tokens per node, one row each)",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

pub const MAX_NODES: u32 = 100;
pub const MAX_KEYS: u32 = 200_000;
pub const MAX_ROWS: usize = 8;
pub const MAX_TOKENS: u32 = 50_000;

// ANCHOR: example
/// Fewest and most keys on a node, and the spread: max/mean and standard deviation/mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub fewest: u32,
    pub most: u32,
    pub max_over_mean: f64,
    pub sd_over_mean: f64,
}

pub fn spread(counts: &[u32]) -> Spread {
    let n = counts.len() as f64;
    let mean = counts.iter().map(|&c| f64::from(c)).sum::<f64>() / n;
    let variance = counts.iter().map(|&c| (f64::from(c) - mean).powi(2)).sum::<f64>() / n;
    Spread {
        fewest: *counts.iter().min().unwrap_or(&0),
        most: *counts.iter().max().unwrap_or(&0),
        max_over_mean: f64::from(*counts.iter().max().unwrap_or(&0)) / mean,
        sd_over_mean: variance.sqrt() / mean,
    }
}

/// Keys per node on a ring of `nodes` nodes with `vnodes` tokens each.
pub fn ring_counts(positions: &[u32], nodes: u32, vnodes: u32) -> Vec<u32> {
    let mut ring = Ring::default();
    for i in 0..nodes {
        ring.add_node(&format!("node-{i}"), vnodes);
    }
    let mut counts = vec![0u32; nodes as usize];
    for &p in positions {
        let owner = ring.preference_list(p, 1)[0];
        let index: usize = owner["node-".len()..].parse().expect("names are node-<i>");
        counts[index] += 1;
    }
    counts
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["nodes", "keys", "vnodes"])?;
    let nodes: u32 = params.number_or("nodes", 2, MAX_NODES, 10)?;
    let keys: u32 = params.number_or("keys", 1, MAX_KEYS, 100_000)?;
    let rows = match params.one("vnodes")? {
        Some(entry) => {
            let rows: Vec<u32> = entry.numbers(1, MAX_TOKENS)?;
            if rows.len() > MAX_ROWS {
                return Err(InputError::at_line(entry.line, format!("at most {MAX_ROWS} rows")));
            }
            if let Some(v) = rows.iter().find(|&&v| v * nodes > MAX_TOKENS) {
                return Err(InputError::at_line(
                    entry.line,
                    format!("{nodes} nodes x {v} virtual nodes is more than {MAX_TOKENS} tokens; use fewer"),
                ));
            }
            rows
        }
        None => vec![1, 4, 16, 64, 256],
    };
    let names: Vec<String> = (0..keys).map(|i| format!("user:{i}")).collect();
    let positions: Vec<u32> = names.iter().map(|k| ring_position(k)).collect();
    let mean = f64::from(keys) / f64::from(nodes);

    let mut out = format!(
        "{keys} keys on {nodes} nodes: {mean:.0} keys per node on average.\n\n\
         placement           fewest    most  max/mean  std dev/mean  1/sqrt(V)\n"
    );
    let mut modulo = vec![0u32; nodes as usize];
    for name in &names {
        modulo[(key_hash(name) % u64::from(nodes)) as usize] += 1;
    }
    let line = |out: &mut String, label: &str, s: Spread, expected: &str| {
        let row = format!(
            "{label:<18} {:>7} {:>7}  {:>8.3}  {:>11.1}%  {expected:>9}",
            s.fewest,
            s.most,
            s.max_over_mean,
            100.0 * s.sd_over_mean
        );
        let _ = writeln!(out, "{}", row.trim_end());
    };
    line(&mut out, &format!("hash mod {nodes}"), spread(&modulo), "");
    for &v in &rows {
        let label = if v == 1 { "ring, 1 vnode".to_string() } else { format!("ring, {v} vnodes") };
        let expected = format!("{:.1}%", 100.0 / f64::from(v).sqrt());
        line(&mut out, &label, spread(&ring_counts(&positions, nodes, v)), &expected);
    }
    let sampling = 100.0 / mean.sqrt();
    let _ = writeln!(
        out,
        "\nEven a perfect split varies by about 1/sqrt(keys per node) = {sampling:.1}% from sampling alone,\n\
         which is what hash mod {nodes} shows. The ring adds the unevenness of its arcs on top."
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_of_a_known_list() {
        let s = spread(&[5, 5, 10, 20]);
        assert_eq!((s.fewest, s.most), (5, 20));
        assert!((s.max_over_mean - 2.0).abs() < 1e-12);
        // mean 10, deviations -5 -5 0 10: variance 150/4, sd = 6.12
        assert!((s.sd_over_mean - (37.5f64).sqrt() / 10.0).abs() < 1e-12);
    }

    #[test]
    fn more_virtual_nodes_spread_the_load_more_evenly() {
        let positions: Vec<u32> = (0..100_000).map(|i| ring_position(&format!("user:{i}"))).collect();
        let sd = |v| spread(&ring_counts(&positions, 10, v)).sd_over_mean;
        let (one, sixteen, many) = (sd(1), sd(16), sd(256));
        assert!(one > sixteen && sixteen > many, "{one} {sixteen} {many}");
        // Roughly 1/sqrt(V): within a factor of two at 16 and 256 tokens.
        assert!((0.125..0.5).contains(&sixteen), "{sixteen}");
        assert!((0.03..0.125).contains(&many), "{many}");
        assert!(spread(&ring_counts(&positions, 10, 256)).max_over_mean < 1.2);
    }

    #[test]
    fn limits_are_enforced_with_the_line() {
        assert_eq!(
            run("nodes = 100\nvnodes = 1 1000").unwrap_err().to_string(),
            "input line 2: 100 nodes x 1000 virtual nodes is more than 50000 tokens; use fewer"
        );
        assert_eq!(
            run("nodes = 1").unwrap_err().to_string(),
            "input line 1: 1 is out of range (from 2 to 100)"
        );
    }
}
