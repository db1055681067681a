//! Consistent hashing against Maglev when one backend leaves: how many keys (flows) move, and
//! how many of those moved between two backends that both stayed (needless disruption). The
//! ring is the sharding chapter's (`sharding::ring::Ring`); the Maglev table is
//! `algorithms::maglev_table`, built as in the paper.

use super::algorithms::{maglev_table, permutation_of};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::sharding::hash::{key_hash, ring_position};
use crate::sharding::ring::Ring;

pub const EXAMPLE: Example = Example {
    id: "balancing::maglev",
    title: "Keys moved when a backend leaves: hash mod N, a hash ring, and Maglev's table",
    file: file!(),
    default_input: "backends = 10\nremove = 3\nkeys = 50000\ntable = 65537\nvnodes = 100\n",
    input_help: "`backends = N` (2 to 100), `remove = I` (which one leaves, 0-based), `keys = K` (flows, up to \
                 200000), `table = M` (Maglev table size, a prime from 7 to 655373, well above 100 × N), \
                 `vnodes = V` (ring tokens per backend, 1 to 1000)",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

/// Where one method puts a key before and after the backend leaves.
type Placement<'a> = Box<dyn Fn(&str) -> (usize, usize) + 'a>;

fn is_prime(m: usize) -> bool {
    m >= 2 && (2..).take_while(|d| d * d <= m).all(|d| !m.is_multiple_of(d))
}

/// Spread: the largest share over the smallest, over backends that hold anything.
fn spread(counts: &[u32]) -> f64 {
    let held: Vec<u32> = counts.iter().copied().filter(|&c| c > 0).collect();
    let max = held.iter().max().copied().unwrap_or(0);
    let min = held.iter().min().copied().unwrap_or(1).max(1);
    f64::from(max) / f64::from(min)
}

fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["backends", "remove", "keys", "table", "vnodes"])?;
    let n: usize = p.number_or("backends", 2, 100, 10)?;
    let gone: usize = p.number_or("remove", 0, n - 1, 3)?;
    let keys: u32 = p.number_or("keys", 1, 200_000, 50_000)?;
    let m: usize = p.number_or("table", 7, 655_373, 65_537)?;
    let vnodes: u32 = p.number_or("vnodes", 1, 1000, 100)?;
    if !is_prime(m) {
        return Err(InputError::new(format!(
            "`table = {m}` must be a prime (every skip must reach every slot)"
        )));
    }
    let names: Vec<String> = (0..n).map(|i| format!("backend-{i}")).collect();
    let after: Vec<usize> = (0..n).filter(|&i| i != gone).collect();

    // ANCHOR: compare
    let mut ring_before = Ring::default();
    for name in &names {
        ring_before.add_node(name, vnodes);
    }
    let mut ring_after = ring_before.clone();
    ring_after.remove_node(&names[gone]);
    let perms: Vec<_> = names.iter().map(|name| permutation_of(name, m)).collect();
    let table_before = maglev_table(&perms, m);
    let perms_after: Vec<_> = after.iter().map(|&i| perms[i]).collect();
    // The table after names survivors by their index in `after`; map back to backend numbers.
    let table_after: Vec<usize> = maglev_table(&perms_after, m).into_iter().map(|i| after[i]).collect();

    let index = |name: &str| names.iter().position(|n| n == name).unwrap_or(0);
    // (name, before, after) for each method, per key
    let methods: [(&str, Placement<'_>); 3] = [
        (
            "hash mod N",
            Box::new(|k: &str| {
                let h = key_hash(k);
                ((h % n as u64) as usize, after[(h % (n as u64 - 1)) as usize])
            }),
        ),
        (
            "hash ring",
            Box::new(|k: &str| {
                let pos = ring_position(k);
                (index(ring_before.preference_list(pos, 1)[0]), index(ring_after.preference_list(pos, 1)[0]))
            }),
        ),
        (
            "Maglev",
            Box::new(|k: &str| {
                let slot = (key_hash(k) % m as u64) as usize;
                (table_before[slot], table_after[slot])
            }),
        ),
    ];
    // ANCHOR_END: compare

    let mut text = format!(
        "{n} backends, backend-{gone} leaves; {keys} keys (flows); ring: {vnodes} tokens each; Maglev table: {m} slots\n\
         unavoidable: the keys that were on backend-{gone} (about 1/{n} = {:.1}%)\n\n\
         {:<11} {:>8} {:>10} {:>12} {:>12}\n",
        100.0 / n as f64,
        "method",
        "moved",
        "moved %",
        "needlessly",
        "spread max/min"
    );
    let mut needless_of = Vec::new();
    for (name, place) in &methods {
        let (mut moved, mut needless) = (0u32, 0u32);
        let mut counts = vec![0u32; n];
        for k in 0..keys {
            let key = format!("flow:{k}");
            let (before, after) = place(&key);
            counts[before] += 1;
            if before != after {
                moved += 1;
                if before != gone {
                    needless += 1;
                }
            }
        }
        text.push_str(&format!(
            "{name:<11} {moved:>8} {:>9.1}% {needless:>12} {:>12.2}\n",
            100.0 * f64::from(moved) / f64::from(keys),
            spread(&counts)
        ));
        needless_of.push(needless);
    }
    let (modn, ring, maglev) = (needless_of[0], needless_of[1], needless_of[2]);
    let verdict = |ok: bool| if ok { "holds" } else { "does NOT hold on this input" };
    text.push_str(&format!(
        "\nclaim: the ring moves no key between survivors: {}\n\
         claim: Maglev's needless moves are under 2% of keys (minimal disruption, not zero): {}\n\
         claim: hash mod N moves most keys needlessly: {}\n",
        verdict(ring == 0),
        verdict(f64::from(maglev) < 0.02 * f64::from(keys)),
        verdict(f64::from(modn) > 0.5 * f64::from(keys)),
    ));
    Ok(text)
}
