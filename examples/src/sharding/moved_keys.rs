//! How many keys move when one node joins: hash mod N against a consistent-hash ring.
//!
//! Under hash mod N a key stays only if `h % N == h % (N + 1)`, which holds for about one key in
//! N + 1, so about N/(N + 1) of all keys move, most of them between nodes that were there
//! before. On a ring the only keys that move are those on the arcs the new node's tokens take
//! over, about 1/(N + 1) of them, and every one moves to the new node.

use std::fmt::Write as _;

use super::hash::{key_hash, ring_position};
use super::ring::Ring;
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "sharding::moved_keys",
    title: "Keys moved when a node joins: hash mod N against consistent hashing",
    file: file!(),
    default_input: "keys = 100000\nnodes = 3 4 5 10 20\nvnodes = 100\n",
    input_help: "`keys = K` (user:0 … user:K-1), `nodes = N N …` (cluster sizes before the new node joins), \
                 `vnodes = V` (tokens per node on the ring)",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

pub const MAX_KEYS: u32 = 200_000;
pub const MAX_SIZES: usize = 8;
pub const MAX_NODES: u32 = 200;
pub const MAX_VNODES: u32 = 1_000;
/// Tokens on one ring at most, so that building it stays cheap in the browser.
pub const MAX_TOKENS: u32 = 50_000;

// ANCHOR: example
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moves {
    /// Keys whose node changed.
    pub moved: u32,
    /// Of those, keys that went to the node that joined.
    pub to_new_node: u32,
}

/// Node `n` joins nodes `0..n`: which keys does hash mod N send elsewhere?
pub fn moves_mod_n(hashes: &[u64], n: u64) -> Moves {
    let mut moves = Moves { moved: 0, to_new_node: 0 };
    for &h in hashes {
        let (before, after) = (h % n, h % (n + 1));
        if before != after {
            moves.moved += 1;
            moves.to_new_node += u32::from(after == n);
        }
    }
    moves
}

/// The same on a ring where every node has `vnodes` tokens.
pub fn moves_ring(positions: &[u32], n: u32, vnodes: u32) -> Moves {
    let mut ring = Ring::default();
    for i in 0..n {
        ring.add_node(&format!("node-{i}"), vnodes);
    }
    let before = ring.clone();
    let new_node = format!("node-{n}");
    ring.add_node(&new_node, vnodes);
    let mut moves = Moves { moved: 0, to_new_node: 0 };
    for &p in positions {
        let (old, new) = (before.preference_list(p, 1)[0], ring.preference_list(p, 1)[0]);
        if old != new {
            moves.moved += 1;
            moves.to_new_node += u32::from(new == new_node);
        }
    }
    moves
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["keys", "nodes", "vnodes"])?;
    let keys: u32 = params.number_or("keys", 1, MAX_KEYS, 100_000)?;
    let sizes = match params.one("nodes")? {
        Some(entry) => {
            let sizes: Vec<u32> = entry.numbers(1, MAX_NODES)?;
            if sizes.len() > MAX_SIZES {
                return Err(InputError::at_line(entry.line, format!("at most {MAX_SIZES} cluster sizes")));
            }
            sizes
        }
        None => vec![3, 4, 5, 10],
    };
    let vnodes: u32 = params.number_or("vnodes", 1, MAX_VNODES, 100)?;
    if let Some(&n) = sizes.iter().find(|&&n| (n + 1) * vnodes > MAX_TOKENS) {
        let line = params.one("vnodes")?.or(params.one("nodes")?).map_or(0, |e| e.line);
        return Err(InputError::at_line(
            line,
            format!("{} nodes x {vnodes} virtual nodes is more than {MAX_TOKENS} tokens; use fewer", n + 1),
        ));
    }

    let names: Vec<String> = (0..keys).map(|i| format!("user:{i}")).collect();
    let hashes: Vec<u64> = names.iter().map(|k| key_hash(k)).collect();
    let positions: Vec<u32> = names.iter().map(|k| ring_position(k)).collect();
    let share = |count: u32| super::percent(f64::from(count), f64::from(keys));

    let mut out = format!("{keys} keys user:0 … user:{}; one node joins a cluster of N nodes.\n\n", keys - 1);
    let _ = writeln!(
        out,
        "           hash mod N                              consistent hashing (moved, all to the new node)"
    );
    let v = if vnodes == 1 { "1 vnode".to_string() } else { format!("{vnodes} vnodes") };
    let _ =
        writeln!(out, "N -> N+1   moved   to new node  between old  N/(N+1)   1 vnode  {v:>11}   1/(N+1)");
    for &n in &sizes {
        let m = moves_mod_n(&hashes, u64::from(n));
        let one = moves_ring(&positions, n, 1);
        let many = moves_ring(&positions, n, vnodes);
        debug_assert!(one.moved == one.to_new_node && many.moved == many.to_new_node);
        let _ = writeln!(
            out,
            "{:<9} {:>6}  {:>11}  {:>11}  {:>7}   {:>7}  {:>11}   {:>7}",
            format!("{n} -> {}", n + 1),
            share(m.moved),
            share(m.to_new_node),
            share(m.moved - m.to_new_node),
            super::percent(f64::from(n), f64::from(n + 1)),
            share(one.moved),
            share(many.moved),
            super::percent(1.0, f64::from(n + 1)),
        );
    }
    out.push_str(
        "\nUnder hash mod N most moved keys go between nodes that were already there: pure churn.\n\
         On the ring every moved key goes to the new node; with 1 token per node how many is luck\n\
         (the size of one random arc), with many tokens it is close to 1/(N+1).\n",
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: u32) -> (Vec<u64>, Vec<u32>) {
        let names: Vec<String> = (0..n).map(|i| format!("user:{i}")).collect();
        (names.iter().map(|k| key_hash(k)).collect(), names.iter().map(|k| ring_position(k)).collect())
    }

    #[test]
    fn hash_mod_n_moves_about_n_over_n_plus_one() {
        let (hashes, _) = keys(100_000);
        for n in [2u64, 3, 4, 5, 10, 20] {
            let m = moves_mod_n(&hashes, n);
            let fraction = f64::from(m.moved) / 1e5;
            let expected = n as f64 / (n + 1) as f64;
            assert!((fraction - expected).abs() < 0.01, "N = {n}: {fraction} vs {expected}");
            // The new node gets its fair 1/(N+1); the rest is churn among the old nodes.
            let to_new = f64::from(m.to_new_node) / 1e5;
            assert!((to_new - 1.0 / (n + 1) as f64).abs() < 0.01, "N = {n}: {to_new}");
        }
    }

    #[test]
    fn the_ring_moves_about_one_over_n_plus_one_and_only_to_the_new_node() {
        let (_, positions) = keys(100_000);
        for n in [3u32, 4, 5, 10, 20] {
            let m = moves_ring(&positions, n, 100);
            assert_eq!(m.moved, m.to_new_node, "N = {n}");
            let fraction = f64::from(m.moved) / 1e5;
            let expected = 1.0 / f64::from(n + 1);
            // 100 tokens: the new node's share varies by about 1/sqrt(100) = 10% of itself.
            assert!((fraction / expected - 1.0).abs() < 0.3, "N = {n}: {fraction} vs {expected}");
        }
    }

    #[test]
    fn limits_are_enforced_with_the_line() {
        assert_eq!(
            run("keys = 10\nnodes = 100\nvnodes = 1000").unwrap_err().to_string(),
            "input line 3: 101 nodes x 1000 virtual nodes is more than 50000 tokens; use fewer"
        );
        assert_eq!(
            run("nodes = 1 2 3 4 5 6 7 8 9").unwrap_err().to_string(),
            "input line 1: at most 8 cluster sizes"
        );
        assert_eq!(
            run("keys = 0").unwrap_err().to_string(),
            "input line 1: 0 is out of range (from 1 to 200000)"
        );
    }
}
