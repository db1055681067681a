//! A streaming latency histogram with log-linear buckets: the idea behind HdrHistogram's
//! "significant digits", written for this book (not a port).
//!
//! Values are positive integers (microseconds here). Below `2^bits` every value has a bucket of
//! its own. Above, each power-of-two range `[2^k, 2^(k+1))` is cut into `2^(bits-1)` equal
//! buckets, so a bucket is never wider than `2^-(bits-1)` of the values in it. With
//! `bits = ceil(log2(2 · 10^digits))` that is at most `10^-digits`, and reporting a bucket's
//! middle is within `2^-bits` (at most half of `10^-digits`) of any value in it.
//!
//! Recording is an index computation and an increment; memory is one counter per bucket up to
//! the largest value seen, whatever the number of samples; two histograms with the same
//! `digits` merge by adding their counters.

/// A log-linear histogram of positive integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    digits: u32,
    bits: u32,
    counts: Vec<u64>,
    total: u64,
}

// ANCHOR: index
/// The bucket of `value` (≥ 1) when each power of two holds `2^(bits-1)` buckets.
pub fn bucket_of(value: u64, bits: u32) -> usize {
    let value = value.max(1);
    let top = 63 - value.leading_zeros(); // floor(log2 value)
    if top < bits {
        return value as usize; // small values: one bucket each, exact
    }
    let shift = top - bits + 1; // drop this many low bits: the bucket is 2^shift wide
    let half = 1usize << (bits - 1);
    shift as usize * half + (value >> shift) as usize
}

/// The values `[low, high]` that land in bucket `index`.
pub fn bucket_range(index: usize, bits: u32) -> (u64, u64) {
    let full = 1usize << bits;
    if index < full {
        return (index as u64, index as u64);
    }
    let half = 1usize << (bits - 1);
    // index = shift · half + mantissa, with mantissa in [half, 2 · half)
    let shift = (index - half) / half;
    let mantissa = index - shift * half;
    let low = (mantissa as u64) << shift;
    (low, low + (1u64 << shift) - 1)
}
// ANCHOR_END: index

impl Histogram {
    /// A histogram good to `digits` significant decimal digits (1 to 4).
    pub fn new(digits: u32) -> Histogram {
        assert!((1..=4).contains(&digits), "digits {digits}");
        let target = 2 * 10u64.pow(digits);
        let bits = 64 - (target - 1).leading_zeros(); // ceil(log2(2 · 10^digits))
        Histogram { digits, bits, counts: Vec::new(), total: 0 }
    }

    pub fn digits(&self) -> u32 {
        self.digits
    }

    /// The largest relative error of a reported value: half a bucket, `2^-bits`.
    pub fn error_bound(&self) -> f64 {
        1.0 / (1u64 << self.bits) as f64
    }

    // ANCHOR: record
    pub fn record(&mut self, value: u64) {
        let index = bucket_of(value, self.bits);
        if index >= self.counts.len() {
            self.counts.resize(index + 1, 0);
        }
        self.counts[index] += 1;
        self.total += 1;
    }

    /// The nearest-rank `p`-th percentile (0 < p ≤ 100), reported as its bucket's middle.
    pub fn percentile(&self, p: f64) -> f64 {
        let rank = nearest_rank(self.total as usize, p) as u64;
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank && count > 0 {
                let (low, high) = bucket_range(index, self.bits);
                return (low + high) as f64 / 2.0;
            }
        }
        0.0
    }

    /// Adds another histogram's counts (same `digits`): the merge of two hosts' data.
    pub fn merge(&mut self, other: &Histogram) {
        assert_eq!(self.bits, other.bits, "merging histograms of different precision");
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
    }
    // ANCHOR_END: record

    pub fn total(&self) -> u64 {
        self.total
    }

    /// Counters allocated (up to the largest value seen) and those holding a sample.
    pub fn buckets(&self) -> (usize, usize) {
        (self.counts.len(), self.counts.iter().filter(|&&c| c > 0).count())
    }
}

/// The nearest-rank definition's rank: the smallest `r` with `r / n ≥ p / 100`, at least 1.
pub fn nearest_rank(n: usize, p: f64) -> usize {
    let r = (p / 100.0 * n as f64 - 1e-9).ceil() as usize;
    r.clamp(1, n.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reliability::Tail;
    use crate::rng::Rng;

    #[test]
    fn buckets_tile_the_integers_in_order() {
        for bits in [4, 8, 11] {
            let mut expect_low = 1u64;
            for index in 1..((60 - bits as usize) << (bits - 1)).min(200_000) {
                let (low, high) = bucket_range(index, bits);
                assert_eq!(low, expect_low, "bits {bits} index {index}");
                assert_eq!(bucket_of(low, bits), index);
                assert_eq!(bucket_of(high, bits), index);
                // never wider than 2^-(bits-1) of its values
                assert!(((high - low + 1) as f64) <= low as f64 / (1u64 << (bits - 1)) as f64 + 1.0);
                expect_low = high + 1;
            }
        }
    }

    #[test]
    fn digits_choose_the_hdr_sub_bucket_counts() {
        // HdrHistogram: subBucketCount = 2^ceil(log2(2 · 10^d)): 32, 256, 2048 for d = 1, 2, 3;
        // the upper half of them (16, 128, 1024) are the new buckets of each further power of two
        assert_eq!(Histogram::new(1).bits, 5);
        assert_eq!(Histogram::new(2).bits, 8);
        assert_eq!(Histogram::new(3).bits, 11);
        assert!(Histogram::new(2).error_bound() <= 0.005);
    }

    // ANCHOR: property
    /// Across thousands of seeds, tails and sizes, every percentile the histogram reports is
    /// within its stated relative error of the exact nearest-rank percentile.
    #[test]
    fn histogram_percentiles_are_within_the_bound_for_thousands_of_seeds() {
        let tails = [Tail::Exponential, Tail::Pareto, Tail::Bimodal { slow: 0.02, hiccup: 300.0 }];
        for seed in 0..3000u64 {
            let mut rng = Rng::new(seed);
            let tail = tails[(seed % 3) as usize];
            let n = 1 + rng.range(0, 400) as usize;
            let digits = 1 + (seed / 3 % 3) as u32;
            let mut h = Histogram::new(digits);
            let mut exact: Vec<u64> = Vec::with_capacity(n);
            for _ in 0..n {
                let us = (tail.sample(&mut rng) * 1000.0).round() as u64;
                h.record(us);
                exact.push(us);
            }
            exact.sort_unstable();
            for p in [1.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
                let truth = exact[nearest_rank(n, p) - 1] as f64;
                let got = h.percentile(p);
                let error = (got - truth).abs() / truth;
                assert!(error <= h.error_bound(), "seed {seed} p{p}: {got} vs {truth} ({error})");
            }
        }
    }
    // ANCHOR_END: property

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let mut rng = Rng::new(9);
        let (mut a, mut b, mut all) = (Histogram::new(2), Histogram::new(2), Histogram::new(2));
        for i in 0..10_000 {
            let v = (Tail::Pareto.sample(&mut rng) * 1000.0) as u64;
            if i % 3 == 0 {
                a.record(v)
            } else {
                b.record(v)
            }
            all.record(v);
        }
        a.merge(&b);
        assert_eq!(a, all);
    }
}
