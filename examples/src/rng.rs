//! A small seeded random number generator (SplitMix64) for simulations.
//!
//! Simulations must give the same output for the same seed on every machine and in the
//! browser, so they use this instead of an OS-seeded generator.

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): one 64-bit state, full period 2^64, good enough for simulations.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)` (53 random bits).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// A uniform integer in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        assert!(low <= high, "empty range {low}..={high}");
        let span = high - low;
        if span == u64::MAX {
            return self.next_u64();
        }
        low + self.next_u64() % (span + 1)
    }

    /// An exponentially distributed number with mean `mean` (inverse transform, with [`ln`]):
    /// the gaps between Poisson arrivals, memoryless service times.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -ln(1.0 - self.next_f64()) * mean
    }
}

/// The natural logarithm from `+ - * /` only, so that native and WebAssembly builds (whose
/// `f64::ln` and `powf` come from different math libraries and may differ in the last bit)
/// produce the same random streams, and the same numbers the chapters quote. `x > 0`, normal.
pub fn ln(x: f64) -> f64 {
    // x = m · 2^e with m in [√½, √2); ln m = 2·atanh(z), z = (m − 1)/(m + 1), |z| < 0.172.
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    let z = (m - 1.0) / (m + 1.0);
    let (z2, mut term, mut sum) = (z * z, z, 0.0);
    for k in 0..20 {
        sum += term / f64::from(2 * k + 1);
        term *= z2;
    }
    2.0 * sum + e as f64 * std::f64::consts::LN_2
}

/// e^y from `+ - * /` only, for the reason [`ln`] gives: range reduction by ln 2 (y = k·ln 2 + r,
/// |r| ≤ ½ ln 2), a Taylor series for e^r, then k doublings or halvings.
pub fn exp(y: f64) -> f64 {
    let k = (y / std::f64::consts::LN_2).round();
    let r = y - k * std::f64::consts::LN_2;
    let (mut term, mut sum) = (1.0, 1.0);
    for n in 1..25 {
        term *= r / f64::from(n);
        sum += term;
    }
    let k = k.clamp(-1000.0, 1000.0) as i32;
    let mut scale = 1.0;
    for _ in 0..k.unsigned_abs() {
        scale = if k > 0 { scale * 2.0 } else { scale / 2.0 };
    }
    sum * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_known_first_value() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        // Reference value of SplitMix64 seeded with 0 (first output).
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn ranges_and_chances_stay_in_bounds() {
        let mut rng = Rng::new(7);
        let mut hits = 0;
        for _ in 0..10_000 {
            let x = rng.range(3, 9);
            assert!((3..=9).contains(&x));
            let f = rng.next_f64();
            assert!((0.0..1.0).contains(&f));
            hits += usize::from(rng.chance(0.25));
        }
        assert!((2_200..2_800).contains(&hits), "{hits} hits of 10,000 at p = 0.25");
    }

    #[test]
    fn portable_ln_and_exp_match_the_library_and_exponentials_have_their_mean() {
        for x in [1e-300, 0.001, 0.5, 1.0, 1.5, 2.0, 10.0, 12345.678, 1e300] {
            assert!((ln(x) - x.ln()).abs() <= 1e-14 * x.ln().abs().max(1.0), "ln {x}");
        }
        for y in [-30.0, -20.0, -3.3, -0.5, 0.0, 0.7, 4.2, 30.0] {
            assert!((exp(y) - y.exp()).abs() <= 1e-13 * y.exp(), "exp {y}");
        }
        let mut rng = Rng::new(11);
        let mean = (0..100_000).map(|_| rng.exponential(4.0)).sum::<f64>() / 100_000.0;
        assert!((mean - 4.0).abs() < 0.05, "mean {mean}");
    }
}
