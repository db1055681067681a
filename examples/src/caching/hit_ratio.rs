//! Hit ratio against cache size for a Zipf-like workload, under LRU, LFU, FIFO and Redis-style
//! sampled LRU, next to the best any cache of that size can do when popularity never changes.
//!
//! The workload is the independent reference model that Breslau et al. (1999) fitted to web
//! proxy traces: each request names key `i` (ranked by popularity, 1 the most popular) with
//! probability proportional to `1 / i^s`. They measured `s` between 0.64 and 0.83. Under this
//! model the best a cache of `c` entries can do is to hold the `c` most popular keys, whose
//! share of requests is `H(c, s) / H(n, s)` (`H` the generalised harmonic number): the "ideal"
//! column, which perfect-knowledge LFU reaches.
//!
//! Every policy keeps its state in arrays indexed by key, so each request costs O(1) (LFU too:
//! one list per frequency, after Shah, Mitra and Matani's O(1) LFU), and the page stays fast.

use std::collections::VecDeque;
use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Mark, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "caching::hit_ratio",
    title: "Hit ratio against cache size for a Zipf workload: LRU, LFU, FIFO, sampled LRU",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`keys` (10–200,000), `zipf` (exponent s, 0–2), `requests` (1,000–400,000), `sizes` (up to 6 cache \
                 sizes, each below `keys`), `policies` (any of lru lfu fifo sampled), `samples` (1–16, for sampled; \
                 1 is random eviction), `warmup` (% of requests not counted), `seed`; or `mode = predict` with `seed`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
# 10,000 keys whose popularity follows Zipf's law with exponent s
# (Breslau et al. 1999 measured s = 0.64 to 0.83 on web proxy traces).
keys = 10000
zipf = 0.8
requests = 40000
# cache sizes, in entries
sizes = 50 200 800 3200
policies = lru lfu fifo sampled
# sampled: evict the least recently used of this many random entries (Redis's
# maxmemory-samples, default 5, without its pool of 16 candidates); 1 = random
samples = 5
# the first 10% of requests fill the cache and are not counted
warmup = 10
seed = 1
";

/// The most requests × sizes × policies one run may simulate (a bound on the work per run).
const MAX_WORK: u64 = 2_000_000;

// ANCHOR: policies
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Lru,
    Lfu,
    Fifo,
    /// Redis's approximation: evict the least recently used of `samples` random entries.
    Sampled(usize),
}

impl Policy {
    pub fn name(self) -> String {
        match self {
            Policy::Lru => "LRU".into(),
            Policy::Lfu => "LFU".into(),
            Policy::Fifo => "FIFO".into(),
            Policy::Sampled(1) => "random".into(),
            Policy::Sampled(k) => format!("sampled LRU ({k})"),
        }
    }
}

const NONE: u32 = u32::MAX;

/// A doubly linked list threaded through arrays indexed by key: O(1) to unlink, push, pop.
struct Lists {
    prev: Vec<u32>,
    next: Vec<u32>,
}

impl Lists {
    fn new(keys: usize) -> Lists {
        Lists { prev: vec![NONE; keys], next: vec![NONE; keys] }
    }
    /// Puts `key` at the front of the list whose (head, tail) is `ends`.
    fn push_front(&mut self, ends: &mut (u32, u32), key: u32) {
        self.prev[key as usize] = NONE;
        self.next[key as usize] = ends.0;
        if ends.0 != NONE {
            self.prev[ends.0 as usize] = key;
        } else {
            ends.1 = key;
        }
        ends.0 = key;
    }
    fn unlink(&mut self, ends: &mut (u32, u32), key: u32) {
        let (p, n) = (self.prev[key as usize], self.next[key as usize]);
        if p != NONE {
            self.next[p as usize] = n
        } else {
            ends.0 = n
        }
        if n != NONE { self.prev[n as usize] = p } else { ends.1 = p }
    }
}

/// Simulates one policy with room for `size` entries on `trace`; counts hits from request
/// `warmup` on.
pub fn simulate(policy: Policy, size: usize, keys: usize, trace: &[u32], warmup: usize, seed: u64) -> u64 {
    let mut hits = 0;
    let mut cached = vec![false; keys];
    let mut len = 0usize;
    let mut lists = Lists::new(keys);
    // LRU: one list, most recent at the front. LFU: one list per use count, most recent at
    // the front of each; `min` is the smallest count with a non-empty list.
    let mut lru = (NONE, NONE);
    let mut by_count: Vec<(u32, u32)> = Vec::new();
    let mut count = vec![0u32; if policy == Policy::Lfu { keys } else { 0 }];
    let mut min = 0usize;
    let mut fifo: VecDeque<u32> = VecDeque::new();
    // Sampled: the cached keys in a vector (so a random one is one index away), and when each
    // was last used.
    let (mut slots, mut slot_of, mut last_used) = (Vec::new(), Vec::new(), Vec::new());
    if let Policy::Sampled(_) = policy {
        slot_of = vec![0u32; keys];
        last_used = vec![0u64; keys];
    }
    let mut rng = Rng::new(seed ^ 0x5EED_CAC8E);
    for (t, &key) in trace.iter().enumerate() {
        let k = key as usize;
        if cached[k] {
            if t >= warmup {
                hits += 1;
            }
            match policy {
                Policy::Lru => {
                    lists.unlink(&mut lru, key);
                    lists.push_front(&mut lru, key);
                }
                Policy::Lfu => {
                    let c = count[k] as usize;
                    lists.unlink(&mut by_count[c], key);
                    if by_count.len() <= c + 1 {
                        by_count.push((NONE, NONE));
                    }
                    lists.push_front(&mut by_count[c + 1], key);
                    count[k] += 1;
                    if min == c && by_count[c].0 == NONE {
                        min = c + 1;
                    }
                }
                Policy::Fifo => {}
                Policy::Sampled(_) => last_used[k] = t as u64,
            }
            continue;
        }
        // A miss: make room if the cache is full, then insert.
        if size == 0 {
            continue;
        }
        if len == size {
            let victim = match policy {
                Policy::Lru => {
                    let v = lru.1;
                    lists.unlink(&mut lru, v);
                    v
                }
                Policy::Lfu => {
                    let v = by_count[min].1;
                    lists.unlink(&mut by_count[min], v);
                    v
                }
                Policy::Fifo => fifo.pop_front().expect("a full cache has a first entry"),
                Policy::Sampled(samples) => {
                    let mut best = slots[rng.range(0, len as u64 - 1) as usize];
                    for _ in 1..samples {
                        let candidate = slots[rng.range(0, len as u64 - 1) as usize];
                        if last_used[candidate as usize] < last_used[best as usize] {
                            best = candidate;
                        }
                    }
                    let at = slot_of[best as usize] as usize;
                    slots.swap_remove(at);
                    if at < slots.len() {
                        slot_of[slots[at] as usize] = at as u32;
                    }
                    best
                }
            };
            cached[victim as usize] = false;
            len -= 1;
        }
        cached[k] = true;
        len += 1;
        match policy {
            Policy::Lru => lists.push_front(&mut lru, key),
            Policy::Lfu => {
                // A new entry starts at one use, so it is the first candidate to go.
                count[k] = 1;
                if by_count.len() < 2 {
                    by_count.resize(2, (NONE, NONE));
                }
                lists.push_front(&mut by_count[1], key);
                min = 1;
            }
            Policy::Fifo => fifo.push_back(key),
            Policy::Sampled(_) => {
                slot_of[k] = slots.len() as u32;
                slots.push(key);
                last_used[k] = t as u64;
            }
        }
    }
    hits
}
// ANCHOR_END: policies

// ANCHOR: zipf
/// The running sums of the Zipf(`s`) weights `1 / rank^s` over `keys` keys: entry `i` is the
/// weight of the `i + 1` most popular keys.
pub fn cumulative(keys: usize, s: f64) -> Vec<f64> {
    let mut total = 0.0;
    (1..=keys)
        .map(|rank| {
            total += 1.0 / (rank as f64).powf(s);
            total
        })
        .collect()
}

/// `requests` keys drawn from Zipf(`s`) over `keys` keys (key 0 is the most popular), by
/// inverting the cumulative distribution with a binary search.
pub fn zipf_trace(cumulative: &[f64], requests: usize, seed: u64) -> Vec<u32> {
    let keys = cumulative.len();
    let total = cumulative[keys - 1];
    let mut rng = Rng::new(seed);
    (0..requests)
        .map(|_| {
            let u = rng.next_f64() * total;
            cumulative.partition_point(|&c| c <= u).min(keys - 1) as u32
        })
        .collect()
}

/// The share of requests that go to the `size` most popular keys: the best hit ratio any
/// cache of `size` entries can have when popularity does not change.
pub fn ideal(cumulative: &[f64], size: usize) -> f64 {
    cumulative[size.clamp(1, cumulative.len()) - 1] / cumulative[cumulative.len() - 1]
}
// ANCHOR_END: zipf

/// One run's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub keys: usize,
    pub zipf: f64,
    pub requests: usize,
    pub sizes: Vec<usize>,
    pub policies: Vec<Policy>,
    pub warmup_percent: usize,
    pub seed: u64,
}

/// Hit ratios in percent: `[size][policy]`, then the ideal per size.
pub struct Results {
    pub ratios: Vec<Vec<f64>>,
    pub ideal: Vec<f64>,
}

pub fn measure(setup: &Setup) -> Results {
    let weights = cumulative(setup.keys, setup.zipf);
    let trace = zipf_trace(&weights, setup.requests, setup.seed);
    let warmup = setup.requests * setup.warmup_percent / 100;
    let counted = (setup.requests - warmup).max(1) as f64;
    let ratios = setup
        .sizes
        .iter()
        .map(|&size| {
            setup
                .policies
                .iter()
                .map(|&p| 100.0 * simulate(p, size, setup.keys, &trace, warmup, setup.seed) as f64 / counted)
                .collect()
        })
        .collect();
    let ideal = setup.sizes.iter().map(|&size| 100.0 * ideal(&weights, size)).collect();
    Results { ratios, ideal }
}

fn report(setup: &Setup, results: &Results) -> String {
    let mut out = format!(
        "{} keys, Zipf s = {}, {} requests (seed {}), the first {}% not counted.\nHit ratio by cache size:\n\n",
        setup.keys, setup.zipf, setup.requests, setup.seed, setup.warmup_percent
    );
    let names: Vec<String> = setup.policies.iter().map(|p| p.name()).collect();
    let _ = write!(out, "{:>8}", "size");
    for name in names.iter().chain(std::iter::once(&"ideal (top-N)".to_string())) {
        let _ = write!(out, "  {:>w$}", name, w = name.len().max(6));
    }
    out.push('\n');
    for (row, &size) in setup.sizes.iter().enumerate() {
        let pct = 100.0 * size as f64 / setup.keys as f64;
        let _ = write!(out, "{:>8}", format!("{size}"));
        for (col, name) in names.iter().enumerate() {
            let _ =
                write!(out, "  {:>w$}", format!("{:.1}%", results.ratios[row][col]), w = name.len().max(6));
        }
        let _ = writeln!(out, "  {:>13}   ({pct:.1}% of the keys)", format!("{:.1}%", results.ideal[row]));
    }
    // What the numbers say, computed rather than asserted.
    if let (Some(first), Some(last)) = (setup.sizes.first(), setup.sizes.last())
        && setup.sizes.len() > 1
        && let Some(lru) = setup.policies.iter().position(|p| *p == Policy::Lru)
    {
        let n = setup.sizes.len() - 1;
        let _ = writeln!(
            out,
            "\nLRU: {}× the cache ({first} → {last} entries) gives {:.1} → {:.1}% hits.",
            last / first.max(&1),
            results.ratios[0][lru],
            results.ratios[n][lru]
        );
    }
    for (row, &size) in setup.sizes.iter().enumerate() {
        let best = (0..setup.policies.len())
            .max_by(|&a, &b| results.ratios[row][a].total_cmp(&results.ratios[row][b]))
            .map(|i| names[i].clone())
            .unwrap_or_default();
        let _ = writeln!(out, "size {size}: best policy here is {best}");
    }
    out
}

fn figure(setup: &Setup, results: &Results) -> Figure {
    let mut lanes = Vec::new();
    let mut steps = Vec::new();
    let kinds = [SpanKind::Busy, SpanKind::Wait, SpanKind::Overhead, SpanKind::Idle];
    for (row, &size) in setup.sizes.iter().enumerate() {
        let mut marks = Vec::new();
        let mut texts = Vec::new();
        for (col, policy) in setup.policies.iter().enumerate() {
            let ratio = results.ratios[row][col];
            let label = format!("{} {ratio:.1}%", policy.name());
            marks.push(Mark::Span { lane: lanes.len(), span: 0 });
            texts.push(label.clone());
            lanes.push(Lane {
                name: format!("{size} entries · {}", policy.name()),
                spans: vec![Span { start: 0.0, end: ratio, label, kind: kinds[col % kinds.len()] }],
            });
        }
        let ideal = results.ideal[row];
        marks.push(Mark::Span { lane: lanes.len(), span: 0 });
        lanes.push(Lane {
            name: format!("{size} entries · ideal"),
            spans: vec![Span {
                start: 0.0,
                end: ideal,
                label: format!("ideal {ideal:.1}%"),
                kind: SpanKind::Lost,
            }],
        });
        steps.push(Step {
            at: 0.0,
            text: format!("{size} entries: {}; ideal {ideal:.1}%", texts.join(", ")),
            marks,
        });
    }
    Figure::Timeline {
        title: format!("Hit ratio by cache size, {} keys, Zipf s = {}", setup.keys, setup.zipf),
        unit: "% hits".into(),
        lanes,
        steps,
    }
}

const KEYS: &[&str] = &["keys", "zipf", "requests", "sizes", "policies", "samples", "warmup", "seed", "mode"];

fn parse(p: &Params) -> Result<Setup, InputError> {
    let keys = p.number_or("keys", 10usize, 200_000, 10_000)?;
    let zipf = p.number_or("zipf", 0.0, 2.0, 0.8)?;
    let requests = p.number_or("requests", 1_000usize, 400_000, 40_000)?;
    let sizes = match p.one("sizes")? {
        Some(e) => {
            let sizes = e.numbers(1usize, keys.saturating_sub(1).max(1))?;
            if sizes.len() > 6 {
                return Err(InputError::at_line(e.line, "at most 6 sizes"));
            }
            sizes
        }
        None => vec![keys / 100, keys / 20, keys / 10, keys / 4].into_iter().map(|s| s.max(1)).collect(),
    };
    let samples = p.number_or("samples", 1usize, 16, 5)?;
    let policies = match p.one("policies")? {
        Some(e) => {
            let mut policies = Vec::new();
            for word in e.value.split_whitespace() {
                let policy = match word {
                    "lru" => Policy::Lru,
                    "lfu" => Policy::Lfu,
                    "fifo" => Policy::Fifo,
                    "sampled" => Policy::Sampled(samples),
                    "random" => Policy::Sampled(1),
                    other => {
                        return Err(InputError::at_line(
                            e.line,
                            format!("unknown policy `{other}` (expected lru, lfu, fifo, sampled, random)"),
                        ));
                    }
                };
                if !policies.contains(&policy) {
                    policies.push(policy);
                }
            }
            if policies.is_empty() {
                return Err(InputError::at_line(e.line, "name at least one policy"));
            }
            policies
        }
        None => vec![Policy::Lru, Policy::Lfu, Policy::Fifo, Policy::Sampled(samples)],
    };
    let warmup_percent = p.number_or("warmup", 0usize, 90, 10)?;
    let seed = p.number_or("seed", 0u64, u64::MAX, 1)?;
    let work = requests as u64 * sizes.len() as u64 * policies.len() as u64;
    if work > MAX_WORK {
        return Err(InputError::new(format!(
            "requests × sizes × policies = {work}, over the limit of {MAX_WORK}: fewer requests, sizes or policies"
        )));
    }
    Ok(Setup { keys, zipf, requests, sizes, policies, warmup_percent, seed })
}

/// A generated question: parameters, a prediction to make, then (after the marker) the run.
fn predict(seed: u64) -> Setup {
    let mut rng = Rng::new(seed);
    let keys = [1_000, 5_000, 20_000][rng.range(0, 2) as usize];
    let zipf = [0.6, 0.8, 1.0, 1.2][rng.range(0, 3) as usize];
    let size = keys * [1, 2, 5, 10][rng.range(0, 3) as usize] / 100;
    Setup {
        keys,
        zipf,
        requests: 40_000,
        sizes: vec![size],
        policies: vec![Policy::Lru, Policy::Lfu, Policy::Fifo],
        warmup_percent: 10,
        seed,
    }
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, KEYS)?;
    if p.choice_or("mode", &["run", "predict"], "run")? == "predict" {
        let seed = p.number_or("seed", 0u64, u64::MAX, 1)?;
        let setup = predict(seed);
        let results = measure(&setup);
        let question = format!(
            "Predict, then reveal (seed {seed}): {} keys, Zipf s = {}, a cache of {} entries ({}% of the keys).\n\
             Order LRU, LFU and FIFO by hit ratio, and guess LRU's hit ratio to within 10 points.\n",
            setup.keys,
            setup.zipf,
            setup.sizes[0],
            100 * setup.sizes[0] / setup.keys
        );
        let text = format!("{question}{REVEAL_MARKER}\n{}", report(&setup, &results));
        return Ok(Drawn { text, figure: figure(&setup, &results) });
    }
    let setup = parse(&p)?;
    let results = measure(&setup);
    Ok(Drawn { text: report(&setup, &results), figure: figure(&setup, &results) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-checked traces: keys 0..=3, cache of 2.
    #[test]
    fn policies_evict_what_they_say() {
        // 0 1 0 2 0 1: LRU evicts 1 at "2" (0 was used after it), so the last "1" misses; hits:
        // the 0 at t=2 and t=4.
        let trace = [0, 1, 0, 2, 0, 1];
        assert_eq!(simulate(Policy::Lru, 2, 4, &trace, 0, 1), 2);
        // FIFO evicts 0 (first in) at "2": the 0 at t=4 misses and evicts 1, so the last 1 misses too.
        assert_eq!(simulate(Policy::Fifo, 2, 4, &trace, 0, 1), 1);
        // LFU: at "2", 0 has 2 uses, 1 has 1: evicts 1. 0 hits at t=4; the last 1 misses.
        assert_eq!(simulate(Policy::Lfu, 2, 4, &trace, 0, 1), 2);
        // 0 0 0 1 2 1 2 1 2: LRU keeps 1 and 2 once they alternate (hits at t=5..8 after the
        // first miss of each... 1 at t=3 miss, 2 at t=4 miss evicts 0; then 1,2,1,2 hit): 2 + 4.
        let trace = [0, 0, 0, 1, 2, 1, 2, 1, 2];
        assert_eq!(simulate(Policy::Lru, 2, 4, &trace, 0, 1), 6);
        // LFU keeps 0 (3 uses) and thrashes the newcomers: 2 evicts 1, 1 evicts 2, …: only the two
        // repeats of 0 hit.
        assert_eq!(simulate(Policy::Lfu, 2, 4, &trace, 0, 1), 2);
        // Sampled with 1 sample is random eviction; with size 0 nothing is ever cached.
        assert_eq!(simulate(Policy::Sampled(3), 0, 4, &trace, 0, 1), 0);
        // Warm-up: requests before it are not counted.
        assert_eq!(simulate(Policy::Lru, 2, 4, &trace, 5, 1), 4);
    }

    #[test]
    fn sampled_lru_with_every_entry_sampled_is_close_to_lru_and_ideal_bounds_lfu() {
        let weights = cumulative(2000, 0.9);
        let trace = zipf_trace(&weights, 40_000, 3);
        let lru = simulate(Policy::Lru, 100, 2000, &trace, 4000, 3) as f64;
        let sampled = simulate(Policy::Sampled(16), 100, 2000, &trace, 4000, 3) as f64;
        let random = simulate(Policy::Sampled(1), 100, 2000, &trace, 4000, 3) as f64;
        assert!((sampled - lru).abs() / lru < 0.05, "{sampled} vs {lru}");
        assert!(random < lru, "random {random} vs LRU {lru}");
        let lfu = simulate(Policy::Lfu, 100, 2000, &trace, 4000, 3) as f64 / 36_000.0;
        let best = ideal(&weights, 100);
        assert!(lfu < best + 0.01 && lfu > best - 0.05, "LFU {lfu} vs ideal {best}");
    }

    #[test]
    fn zipf_with_exponent_one_matches_the_harmonic_numbers() {
        // s = 1, n = 4: weights 1, 1/2, 1/3, 1/4 (sum 25/12): key 0 gets 12/25 = 48%.
        let trace = zipf_trace(&cumulative(4, 1.0), 100_000, 9);
        let share = trace.iter().filter(|&&k| k == 0).count() as f64 / 100_000.0;
        assert!((share - 0.48).abs() < 0.01, "{share}");
        assert!((ideal(&cumulative(4, 1.0), 1) - 0.48).abs() < 1e-12);
        assert!((ideal(&cumulative(10, 0.0), 3) - 0.3).abs() < 1e-12, "s = 0 is uniform");
    }

    #[test]
    fn the_default_run_orders_the_policies_and_errors_name_lines() {
        let drawn = run(EXAMPLE.default_input).unwrap();
        drawn.figure.validate().unwrap();
        assert!(drawn.text.contains("size 50: best policy here is LFU"), "{}", drawn.text);
        let predict = run("mode = predict\nseed = 4\n").unwrap();
        assert!(predict.text.contains(REVEAL_MARKER));
        assert_eq!(run("keys = 100\nsizes = 10 500\n").unwrap_err().line, Some(2));
        assert_eq!(run("policies = lru mru\n").unwrap_err().line, Some(1));
        assert!(run("requests = 400000\nsizes = 1 2 3 4 5 6\n").unwrap_err().message.contains("limit"));
    }
}
