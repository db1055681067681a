//! A Bloom filter (Bloom, "Space/Time Trade-offs in Hash Coding with Allowable Errors",
//! CACM 1970): `m` bits and `k` hash functions answer "maybe here" or "certainly not here".
//! Inserting a key sets its `k` bits; a lookup that finds any of them clear knows the key was
//! never inserted. A lookup that finds all set may be wrong (another key set them): a false
//! positive, with probability about `(1 - e^(-kn/m))^k` after `n` keys, smallest when
//! `k = (m/n) ln 2`. LSM stores keep one per SSTable so that a point lookup skips the tables
//! that cannot hold its key; RocksDB builds none unless configured, and its wiki calls 10 bits per key (about 1% false
//! positives) a good setting.
//!
//! The `k` positions come from two hashes (Kirsch and Mitzenmacher, "Less Hashing, Same
//! Performance", 2006): position `i` is `h1 + i·h2`, mapped onto the `m` bits.

use std::fmt::Write as _;

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "indexes::bloom",
    title: "A Bloom filter's false positives, measured against the formula",
    file: file!(),
    default_input: "keys = 10000\nabsent = 100000\nbits = 2 4 6 8 10 12 16\n",
    input_help: "`keys = N` inserted (at most 100,000), `absent = N` keys looked up that were never inserted \
                 (at most 1,000,000), `bits = 10 …` bits per key (1–32)",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: filter
#[derive(Debug, Clone)]
pub struct Bloom {
    words: Vec<u64>,
    /// Bits in the filter.
    m: u64,
    /// Bits set (and tested) per key.
    pub k: u32,
}

/// A 64-bit mix (the finaliser of SplitMix64): nearby keys get unrelated hashes.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Bloom {
    /// A filter for `n` keys at `bits_per_key` bits each, with the best `k`: round(bits × ln 2).
    pub fn new(n: usize, bits_per_key: u32) -> Bloom {
        let m = (n as u64 * u64::from(bits_per_key)).max(64);
        let k = ((bits_per_key * 693 + 500) / 1000).max(1);
        Bloom { words: vec![0; m.div_ceil(64) as usize], m, k }
    }

    fn positions(&self, key: u64) -> impl Iterator<Item = u64> + use<> {
        let h1 = mix(key.wrapping_add(0x9E37_79B9_7F4A_7C15));
        let h2 = mix(h1) | 1;
        let m = self.m;
        // A 64-bit hash mapped onto 0..m by a multiply and a shift (Lemire's reduction), not
        // a division.
        (0..u64::from(self.k))
            .map(move |i| ((u128::from(h1.wrapping_add(i.wrapping_mul(h2))) * u128::from(m)) >> 64) as u64)
    }

    pub fn insert(&mut self, key: u64) {
        for bit in self.positions(key) {
            self.words[(bit / 64) as usize] |= 1 << (bit % 64);
        }
    }

    /// False: `key` was certainly never inserted. True: maybe it was.
    pub fn may_contain(&self, key: u64) -> bool {
        self.positions(key).all(|bit| self.words[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }
}
// ANCHOR_END: filter

/// The expected false-positive rate after `n` keys: (1 − e^(−kn/m))^k.
pub fn expected_rate(n: usize, bits_per_key: u32) -> f64 {
    let filter = Bloom::new(n, bits_per_key);
    let k = f64::from(filter.k);
    (1.0 - (-k * n as f64 / filter.m as f64).exp()).powf(k)
}

/// A rate as a percentage with two decimals, without float formatting.
pub fn percent_2(rate: f64) -> String {
    let hundredths = (rate * 10_000.0).round() as u64;
    format!("{}.{:02}%", hundredths / 100, hundredths % 100)
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["keys", "absent", "bits"])?;
    let keys: usize = params.number_or("keys", 1, 100_000, 10_000)?;
    let absent: u64 = params.number_or("absent", 1, 1_000_000, 100_000)?;
    let bits: Vec<u32> = match params.one("bits")? {
        Some(entry) => entry.numbers(1, 32)?,
        None => vec![10],
    };
    if bits.len() > 12 {
        return Err(InputError::new("at most 12 values of `bits`"));
    }
    let mut out = format!(
        "{keys} keys inserted, {absent} keys looked up that were never inserted.\n\n\
         bits/key  hashes k  filter size  false positives  measured  expected (1 - e^(-kn/m))^k\n"
    );
    let mut false_negatives = 0;
    for &b in &bits {
        let mut filter = Bloom::new(keys, b);
        // Inserted keys are even, absent ones odd: the filter sees unrelated hashes for both.
        for key in 0..keys as u64 {
            filter.insert(key * 2);
        }
        let false_positives = (0..absent).filter(|&key| filter.may_contain(key * 2 + 1)).count();
        false_negatives += (0..keys as u64).filter(|&key| !filter.may_contain(key * 2)).count();
        let measured = false_positives as f64 / absent as f64;
        let _ = writeln!(
            out,
            "{b:>8}  {:>8}  {:>8} kB  {false_positives:>15}  {:>8}  {:>8}",
            filter.k,
            (filter.m / 8).div_ceil(1000),
            percent_2(measured),
            percent_2(expected_rate(keys, b))
        );
    }
    let _ = writeln!(
        out,
        "\nInserted keys reported absent, over every filter above: {false_negatives} (a Bloom filter has no false negatives)."
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_false_negatives_and_about_one_percent_at_ten_bits() {
        let mut filter = Bloom::new(50_000, 10);
        assert_eq!(filter.k, 7);
        for key in 0..50_000u64 {
            filter.insert(key * 3);
        }
        assert!((0..50_000u64).all(|key| filter.may_contain(key * 3)));
        let fp = (0..500_000u64).filter(|&key| filter.may_contain(key * 3 + 1)).count();
        // Expected: (1 - e^(-0.7))^7 = 0.82%.
        let expected = expected_rate(50_000, 10);
        assert!((0.0080..0.0084).contains(&expected), "{expected}");
        let measured = fp as f64 / 500_000.0;
        assert!((measured - expected).abs() < 0.0015, "{measured} vs {expected}");
    }

    #[test]
    fn each_bit_per_key_lowers_the_rate() {
        let rates: Vec<f64> = (1..=16).map(|b| expected_rate(10_000, b)).collect();
        assert!(rates.windows(2).all(|w| w[1] < w[0]), "{rates:?}");
        // About 4.8 bits per key per tenfold drop at the best k: 4.8 → 10%, 9.6 → 1%.
        assert!(expected_rate(10_000, 5) < 0.10 && expected_rate(10_000, 10) < 0.01);
    }

    #[test]
    fn the_report_and_bad_input() {
        let out = run("keys = 1000\nabsent = 10000\nbits = 10").unwrap();
        assert!(out.contains("      10         7"), "{out}");
        assert_eq!(run("bits = 0").unwrap_err().line, Some(1));
        assert_eq!(percent_2(0.00824), "0.82%");
    }
}
