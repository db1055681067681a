//! The stable hash that places keys on shards and on the ring in this chapter.
//!
//! Placement must not change between program versions or machines: a key stored on shard 3
//! today must be looked for on shard 3 tomorrow, by a server built with another compiler. Rust's
//! `DefaultHasher` promises nothing of the kind (its algorithm "may change at any moment"), so
//! the chapter implements its own: FNV-1a 64 (Fowler, Noll and Vo; the parameters are in the
//! FNV reference and in draft-eastlake-fnv), followed by the 64-bit finaliser of MurmurHash3
//! (Austin Appleby, public domain). The finaliser matters: FNV-1a alone puts keys that differ only
//! in their last character close together in the high bits, which is exactly where a ring
//! position comes from (the example shows it).

use std::fmt::Write as _;

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "sharding::hash",
    title: "A stable hash: FNV-1a 64, a finaliser, and which shard a key lands on",
    file: file!(),
    default_input: "shards = 4\nkey = user:1\nkey = user:2\nkey = user:3\nkey = order:2024-06-01:17\n\
                    nodes = A B C\nvnodes = 4\n",
    input_help: "`shards = N` (for hash mod N), one `key = TEXT` per key (up to 20), `nodes = A B …` and \
                 `vnodes = N` (virtual-node names to place on the ring)",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: example
const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3; // 2^40 + 2^8 + 0xb3

/// FNV-1a, 64 bits: for each byte, XOR it in, then multiply by the FNV prime.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash = FNV_OFFSET_BASIS;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// MurmurHash3's 64-bit finaliser: every input bit flips each output bit with probability
/// close to one half, so nearby FNV values end up far apart.
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// The hash of a key everywhere in this chapter.
pub fn key_hash(key: &str) -> u64 {
    fmix64(fnv1a64(key.as_bytes()))
}

/// Hash-mod-N placement: shard `hash % shards`.
pub fn shard_of(key: &str, shards: u64) -> u64 {
    key_hash(key) % shards
}

/// Position on a ring of 2^32 points: the top 32 bits of the hash.
pub fn ring_position(key: &str) -> u32 {
    (key_hash(key) >> 32) as u32
}
// ANCHOR_END: example

/// A ring position as a percentage of the way round the ring.
pub fn ring_percent(position: u32) -> f64 {
    100.0 * f64::from(position) / 4_294_967_296.0
}

/// Keys `user:0` … `user:{n-1}`, counted into `arcs` equal arcs of the ring by the top bits of
/// `hash`. Returns (smallest count, largest count).
fn arc_counts(n: u32, arcs: u64, hash: impl Fn(&str) -> u64) -> (u32, u32) {
    let mut counts = vec![0u32; arcs as usize];
    for i in 0..n {
        let top = hash(&format!("user:{i}")) >> 32;
        counts[((top * arcs) >> 32) as usize] += 1;
    }
    (*counts.iter().min().unwrap_or(&0), *counts.iter().max().unwrap_or(&0))
}

pub const SPREAD_KEYS: u32 = 100_000;
pub const SPREAD_ARCS: u64 = 16;

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["shards", "key", "nodes", "vnodes"])?;
    let shards: u64 = params.number_or("shards", 1, 1_000_000, 4)?;
    let keys: Vec<&str> = params.all("key").map(|entry| entry.value).collect();
    if let Some(extra) = params.all("key").nth(20) {
        return Err(InputError::at_line(extra.line, "at most 20 `key` lines"));
    }
    let nodes = match params.one("nodes")? {
        Some(entry) => super::names(entry, 10, "node")?,
        None => vec!["A".to_string(), "B".to_string(), "C".to_string()],
    };
    let vnodes: u32 = params.number_or("vnodes", 1, 16, 4)?;

    let mut out = String::from("FNV-1a 64 reference values (from the FNV test suite):\n");
    for text in ["", "a", "foobar"] {
        let _ = writeln!(out, "  fnv1a64({:<9}) = {:016x}", format!("{text:?}"), fnv1a64(text.as_bytes()));
    }

    out.push_str("\nkey                        FNV-1a 64         after fmix64      ring position   ");
    let _ = writeln!(out, "hash mod {shards}");
    for key in &keys {
        let raw = fnv1a64(key.as_bytes());
        let position = ring_position(key);
        let _ = writeln!(
            out,
            "{key:<26} {raw:016x}  {:016x}  {position:08x} {:>5.1}%  {:>6}",
            fmix64(raw),
            ring_percent(position),
            shard_of(key, shards)
        );
    }
    if keys.is_empty() {
        out.push_str("(no `key` lines)\n");
    }

    out.push_str("\nVirtual nodes on a ring of 2^32 positions (top 32 bits of the hash):\n");
    out.push_str("token       FNV-1a only          with fmix64\n");
    for node in &nodes {
        for v in 0..vnodes {
            let name = format!("{node}#{v}");
            let raw = (fnv1a64(name.as_bytes()) >> 32) as u32;
            let mixed = ring_position(&name);
            let _ = writeln!(
                out,
                "{name:<10}  {raw:08x} {:>6.2}%    {mixed:08x} {:>6.2}%",
                ring_percent(raw),
                ring_percent(mixed)
            );
        }
    }

    let _ = writeln!(
        out,
        "\n{SPREAD_KEYS} keys user:0 … user:{} counted on {SPREAD_ARCS} equal arcs of the ring (mean {}):",
        SPREAD_KEYS - 1,
        SPREAD_KEYS as u64 / SPREAD_ARCS
    );
    let mean = f64::from(SPREAD_KEYS) / SPREAD_ARCS as f64;
    for (label, (min, max)) in [
        ("FNV-1a only ", arc_counts(SPREAD_KEYS, SPREAD_ARCS, |k| fnv1a64(k.as_bytes()))),
        ("with fmix64 ", arc_counts(SPREAD_KEYS, SPREAD_ARCS, key_hash)),
    ] {
        let _ =
            writeln!(out, "  {label} fewest {min:>5}, most {max:>5}: max/mean {:.3}", f64::from(max) / mean);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_hash_is_stable() {
        // Frozen values: if these change, every key in every example moves.
        assert_eq!(key_hash("user:1"), fmix64(fnv1a64(b"user:1")));
        assert_eq!(fmix64(0), 0);
        assert_eq!(ring_position("A#0"), 0x8edf_770e);
    }

    #[test]
    fn without_the_finaliser_virtual_nodes_of_one_node_collide() {
        // The four tokens of node A share their top 20 bits under plain FNV-1a...
        let raw: Vec<u64> = (0..4).map(|v| fnv1a64(format!("A#{v}").as_bytes()) >> 44).collect();
        assert!(raw.iter().all(|top| *top == raw[0]), "{raw:x?}");
        // ...and are spread around the ring with the finaliser.
        let mixed: Vec<u32> = (0..4).map(|v| ring_position(&format!("A#{v}"))).collect();
        let spread = mixed.iter().max().unwrap() - mixed.iter().min().unwrap();
        assert!(spread > u32::MAX / 4, "{mixed:x?}");
    }

    #[test]
    fn the_finaliser_evens_out_the_arcs() {
        let mean = f64::from(SPREAD_KEYS) / SPREAD_ARCS as f64;
        let (_, raw_max) = arc_counts(SPREAD_KEYS, SPREAD_ARCS, |k| fnv1a64(k.as_bytes()));
        let (mixed_min, mixed_max) = arc_counts(SPREAD_KEYS, SPREAD_ARCS, key_hash);
        assert!(f64::from(raw_max) / mean > 1.15);
        assert!(f64::from(mixed_max) / mean < 1.05 && f64::from(mixed_min) / mean > 0.95);
    }

    #[test]
    fn bad_input_names_its_line() {
        assert_eq!(
            run("shards = 0").unwrap_err().to_string(),
            "input line 1: 0 is out of range (from 1 to 1000000)"
        );
        assert_eq!(run("nodes = A A").unwrap_err().to_string(), "input line 1: node `A` is listed twice");
        let many: String = (0..21).map(|i| format!("key = k{i}\n")).collect();
        assert_eq!(run(&many).unwrap_err().to_string(), "input line 21: at most 20 `key` lines");
    }
}
