//! The balancing algorithms and the rate limiter the chapter's examples share: smooth weighted
//! round robin (as nginx does it), power of two choices, the Maglev lookup table and a token
//! bucket. Pure computation, so the simulations, the predict mode and the loopback proxy all
//! call the same code.

use crate::rng::Rng;
use crate::sharding::hash::{fmix64, key_hash};

// ANCHOR: swrr
/// Smooth weighted round robin (nginx's `ngx_http_upstream_get_peer`): every pick adds each
/// peer's weight to its `current`, picks the largest `current` (the first on a tie), and takes
/// the total weight off the winner. Over `sum(weights)` picks each peer is chosen exactly
/// `weight` times, and a heavy peer's turns are spread out instead of bunched.
#[derive(Debug, Clone)]
pub struct SmoothWrr {
    weights: Vec<i64>,
    current: Vec<i64>,
}

impl SmoothWrr {
    pub fn new(weights: &[u32]) -> Self {
        SmoothWrr {
            weights: weights.iter().map(|&w| i64::from(w)).collect(),
            current: vec![0; weights.len()],
        }
    }

    pub fn current(&self) -> &[i64] {
        &self.current
    }

    pub fn pick(&mut self) -> usize {
        let total: i64 = self.weights.iter().sum();
        let mut best = 0;
        for i in 0..self.weights.len() {
            self.current[i] += self.weights[i];
            if self.current[i] > self.current[best] {
                best = i;
            }
        }
        self.current[best] -= total;
        best
    }
}
// ANCHOR_END: swrr

// ANCHOR: p2c
/// Two different servers chosen uniformly at random (needs `n >= 2`).
pub fn two_distinct(rng: &mut Rng, n: usize) -> (usize, usize) {
    let first = rng.range(0, n as u64 - 1) as usize;
    let mut second = rng.range(0, n as u64 - 2) as usize;
    if second >= first {
        second += 1; // skip `first`, so both are uniform and never equal
    }
    (first, second)
}

/// Power of two choices (Mitzenmacher): of the two sampled servers, the less loaded; on a tie
/// the first sampled.
pub fn p2c_pick(load: &[u32], (a, b): (usize, usize)) -> usize {
    if load[b] < load[a] { b } else { a }
}
// ANCHOR_END: p2c

// ANCHOR: maglev
/// Maglev's permutation for one backend (Eisenbud et al., NSDI 2016, §3.4): it fills the table
/// at `offset`, `offset + skip`, `offset + 2·skip`, … (mod `m`, a prime, so every slot comes up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permutation {
    pub offset: usize,
    pub skip: usize,
}

/// The offsets and skips from a backend's name, with two different hashes as the paper asks.
pub fn permutation_of(name: &str, m: usize) -> Permutation {
    let h1 = key_hash(name);
    let h2 = fmix64(h1 ^ 0x9E37_79B9_7F4A_7C15);
    Permutation { offset: (h1 % m as u64) as usize, skip: (h2 % (m as u64 - 1)) as usize + 1 }
}

/// The lookup table: backends take turns, each claiming the next slot of its own permutation
/// that nobody holds yet, until all `m` slots are taken. Each backend gets `m / n` slots give or
/// take one, and removing a backend mostly frees only its own slots.
pub fn maglev_table(perms: &[Permutation], m: usize) -> Vec<usize> {
    let mut entry = vec![usize::MAX; m];
    let mut next = vec![0usize; perms.len()];
    let mut filled = 0;
    if perms.is_empty() {
        return entry;
    }
    loop {
        for (i, p) in perms.iter().enumerate() {
            let mut slot = (p.offset + next[i] * p.skip) % m;
            while entry[slot] != usize::MAX {
                next[i] += 1;
                slot = (p.offset + next[i] * p.skip) % m;
            }
            entry[slot] = i;
            next[i] += 1;
            filled += 1;
            if filled == m {
                return entry;
            }
        }
    }
}
// ANCHOR_END: maglev

// ANCHOR: bucket
/// A token bucket in whole milli-tokens, so that every admission is exact: `rate` tokens a
/// second flow in, up to `burst` tokens; a request spends one token or is refused. It starts full.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: u64,
    capacity: u64,
    milli_tokens: u64,
    last_ms: u64,
}

impl TokenBucket {
    pub fn new(rate: u64, burst: u64) -> Self {
        TokenBucket { rate, capacity: burst * 1000, milli_tokens: burst * 1000, last_ms: 0 }
    }

    /// Tokens in the bucket now, in thousandths.
    pub fn milli_tokens(&self) -> u64 {
        self.milli_tokens
    }

    /// A request at `now_ms` (never earlier than the previous one): admitted or not.
    pub fn admit(&mut self, now_ms: u64) -> bool {
        // rate tokens/s × elapsed ms = rate × elapsed milli-tokens
        let refill = self.rate * now_ms.saturating_sub(self.last_ms);
        self.milli_tokens = (self.milli_tokens + refill).min(self.capacity);
        self.last_ms = self.last_ms.max(now_ms);
        if self.milli_tokens >= 1000 {
            self.milli_tokens -= 1000;
            true
        } else {
            false
        }
    }
}
// ANCHOR_END: bucket

/// A sliding-window log: admit while fewer than `limit` admitted requests lie in the last
/// `window_ms` (`(now − window, now]`).
pub fn sliding_window_admits(times: &[u64], limit: usize, window_ms: u64) -> Vec<bool> {
    let mut admitted: Vec<u64> = Vec::new();
    times
        .iter()
        .map(|&t| {
            let recent = admitted.iter().filter(|&&a| a + window_ms > t).count();
            let ok = recent < limit;
            if ok {
                admitted.push(t);
            }
            ok
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_wrr_5_1_1() {
        // weights a=5 b=1 c=1, total 7. current before → after adding weights → pick → after −7:
        // (0,0,0)  → (5,1,1)   → a → (-2,1,1)
        // (-2,1,1) → (3,2,2)   → a → (-4,2,2)
        // (-4,2,2) → (1,3,3)   → b (first of the tie) → (1,-4,3)
        // (1,-4,3) → (6,-3,4)  → a → (-1,-3,4)
        // (-1,-3,4)→ (4,-2,5)  → c → (4,-2,-2)
        // (4,-2,-2)→ (9,-1,-1) → a → (2,-1,-1)
        // (2,-1,-1)→ (7,0,0)   → a → (0,0,0): back to the start, so the cycle repeats.
        let mut wrr = SmoothWrr::new(&[5, 1, 1]);
        let picks: String = (0..14).map(|_| ['a', 'b', 'c'][wrr.pick()]).collect();
        assert_eq!(picks, "aabacaaaabacaa");
        assert_eq!(wrr.current(), &[0, 0, 0]);
    }

    #[test]
    fn token_bucket_by_hand() {
        // rate 2 tokens/s, burst 3, starts with 3 tokens (3000 milli).
        // t=0: 3000 → admit → 2000; t=0: → 1000; t=0: → 0; t=0: 0 → refuse.
        // t=400: +2×400 = 800 → 800 < 1000 → refuse. t=500: +200 → 1000 → admit → 0.
        // t=2000: +3000 → capped at 3000 → admit → 2000. t=2000 → 1000. t=2000 → 0. t=2000 → refuse.
        let mut b = TokenBucket::new(2, 3);
        let got: Vec<bool> =
            [0, 0, 0, 0, 400, 500, 2000, 2000, 2000, 2000].iter().map(|&t| b.admit(t)).collect();
        assert_eq!(got, [true, true, true, false, false, true, true, true, true, false]);
    }

    #[test]
    fn sliding_window_by_hand() {
        // limit 2 per 1000 ms. t=0 ok, 10 ok, 20 refused (2 in (−980, 20]), 999 refused (0 and 10
        // still inside), 1000: 0 has left (0 + 1000 > 1000 is false) → ok, 1005 refused (10, 1000).
        // 1010: 10 has left → ok.
        let got = sliding_window_admits(&[0, 10, 20, 999, 1000, 1005, 1010], 2, 1000);
        assert_eq!(got, [true, true, false, false, true, false, true]);
    }

    #[test]
    fn p2c_picks_the_less_loaded_of_two() {
        // loads: s0=3 s1=0 s2=5 s3=1. Sample (0,2): 3 < 5 → s0. (2,3): 1 < 5 → s3.
        // (1,3): 0 < 1 → s1. (0,0) cannot be drawn; a tie (load 2, 2) keeps the first sampled.
        let load = [3, 0, 5, 1];
        assert_eq!(p2c_pick(&load, (0, 2)), 0);
        assert_eq!(p2c_pick(&load, (2, 3)), 3);
        assert_eq!(p2c_pick(&load, (3, 1)), 1);
        assert_eq!(p2c_pick(&[2, 2], (1, 0)), 1);
        let mut rng = Rng::new(7);
        for _ in 0..1000 {
            let (a, b) = two_distinct(&mut rng, 3);
            assert!(a != b && a < 3 && b < 3);
        }
    }

    #[test]
    fn maglev_table_from_the_paper() {
        // Maglev paper, Table 1 (M = 7): B0 offset 3 skip 4 → 3 0 4 1 5 2 6;
        // B1 offset 0 skip 2 → 0 2 4 6 1 3 5; B2 offset 3 skip 1 → 3 4 5 6 0 1 2.
        // Round 1: B0 takes 3, B1 takes 0, B2 wants 3 (taken) → 4.
        // Round 2: B0 wants 0, 4 (taken) → 1; B1 → 2; B2 wants 5 → 5.
        // Round 3: B0 wants 5, 2 (taken) → 6; table full: B1 B0 B1 B0 B2 B2 B0.
        let p = |offset, skip| Permutation { offset, skip };
        assert_eq!(maglev_table(&[p(3, 4), p(0, 2), p(3, 1)], 7), [1, 0, 1, 0, 2, 2, 0]);
        // B1 removed. Round 1: B0 → 3, B2 → 4. Round 2: B0 → 0, B2 → 5. Round 3: B0 wants 4
        // (taken) → 1, B2 → 6. Round 4: B0 wants 5 (taken) → 2. Table: B0 B0 B0 B0 B2 B2 B2,
        // as in the paper: B1's slots 0 and 2 went to B0, and only slot 6 moved between survivors.
        assert_eq!(maglev_table(&[p(3, 4), p(3, 1)], 7), [0, 0, 0, 0, 1, 1, 1]);
    }
}
