//! A cache stampede on one hot key, on a timeline: requests arrive as a Poisson process, the
//! cached value expires after its TTL, and a load from the database takes a while. How many
//! loads reach the database, and who waits, under each protection:
//!
//! * `none`: every request that finds the value expired loads it (and waits for its load);
//! * `lock`: the first miss takes a lock (`SET lock token NX PX lock_ttl`) and loads; the others
//!   poll every `poll` seconds until the value is back, or until the lock has expired, when the
//!   next poller takes it;
//! * `xfetch`: probabilistic early expiration (Vattani, Chierichetti and Lowenstein, VLDB 2015):
//!   a request that finds the value fresh still recomputes it when
//!   `now − delta · beta · ln(rand()) ≥ expiry`, `delta` being how long the last load took;
//! * `stale`: serve the expired value while one request refreshes it in the background
//!   (stale-while-revalidate, refresh-ahead after the fact).
//!
//! Times are whole microseconds, so the browser and the tests agree.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "caching::stampede",
    title: "A stampede at expiry: no protection, a lock, XFetch early expiration, serve-stale",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`rate` (requests/s, 1–2,000), `ttl`, `load`, `duration`, `poll`, `lock_ttl` (seconds), `beta` \
                 (XFetch, 0–10), `protection` (any of none lock xfetch stale), `seed`; or `mode = predict` with `seed`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
# One hot key: 200 requests per second, arriving at random (Poisson).
rate = 200
# The value is cached at t=0 for ttl seconds; a load from the database takes load seconds.
ttl = 10
load = 0.5
duration = 30
# lock: the losers poll the cache every poll seconds; the lock expires after lock_ttl
poll = 0.05
lock_ttl = 5
# xfetch: Vattani et al.'s early recomputation; beta > 1 refreshes earlier
beta = 1
protection = none lock xfetch stale
seed = 1
";

/// The most requests one run simulates.
const MAX_REQUESTS: f64 = 60_000.0;
const SECOND: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    None,
    Lock,
    XFetch,
    Stale,
}

impl Protection {
    fn name(self) -> &'static str {
        match self {
            Protection::None => "none",
            Protection::Lock => "lock",
            Protection::XFetch => "xfetch",
            Protection::Stale => "stale",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub rate: f64,
    pub ttl: u64,
    pub load: u64,
    pub duration: u64,
    pub poll: u64,
    pub lock_ttl: u64,
    pub beta: f64,
    pub protections: Vec<Protection>,
    pub seed: u64,
}

/// What one protection did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub requests: usize,
    /// Every load's (start, end), in start order.
    pub loads: Vec<(u64, u64)>,
    /// Loads started while the value was still fresh (XFetch's early recomputations).
    pub early: usize,
    pub hits: usize,
    pub stale: usize,
    /// Requests that waited for a value (their own load, or the lock holder's), and the
    /// longest wait.
    pub waited: usize,
    pub longest_wait: u64,
    /// When the value was fresh: (from, until).
    pub fresh: Vec<(u64, u64)>,
}

impl Outcome {
    /// The most loads running at one instant.
    pub fn peak(&self) -> usize {
        let mut edges: Vec<(u64, i32)> = self.loads.iter().flat_map(|&(s, e)| [(s, 1), (e, -1)]).collect();
        edges.sort_by_key(|&(t, d)| (t, d));
        let (mut now, mut peak) = (0i32, 0i32);
        for (_, d) in edges {
            now += d;
            peak = peak.max(now);
        }
        peak as usize
    }

    /// Loads grouped into bursts of overlapping loads: (start, end, count).
    pub fn bursts(&self) -> Vec<(u64, u64, usize)> {
        let mut bursts: Vec<(u64, u64, usize)> = Vec::new();
        for &(s, e) in &self.loads {
            match bursts.last_mut() {
                Some(b) if s < b.1 => {
                    b.1 = b.1.max(e);
                    b.2 += 1;
                }
                _ => bursts.push((s, e, 1)),
            }
        }
        bursts
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// A load finishes (first at one instant, so a request then sees the new value).
    LoadDone(usize),
    /// A waiting request looks at the cache again: (request, when it arrived).
    Poll(usize, u64),
    Arrival(usize),
}

type Events = BinaryHeap<Reverse<(u64, Event)>>;

// ANCHOR: simulate
pub fn simulate(setup: &Setup, protection: Protection) -> Outcome {
    let mut rng = Rng::new(setup.seed);
    // The same arrivals for every protection: a Poisson process of the given rate.
    let mut arrivals = Vec::new();
    let mut t = 0u64;
    loop {
        let gap = -(1.0 - rng.next_f64()).ln() / setup.rate * SECOND as f64;
        t += gap.round() as u64;
        if t >= setup.duration {
            break;
        }
        arrivals.push(t);
    }
    // XFetch's coin flips come from a stream of their own, so every protection sees the same
    // arrivals.
    let mut coins = Rng::new(setup.seed ^ 0xC0FF_EE00);
    let mut out = Outcome { requests: arrivals.len(), ..Outcome::default() };
    let mut events: Events =
        arrivals.iter().enumerate().map(|(i, &t)| Reverse((t, Event::Arrival(i)))).collect();
    // The cache: the value's expiry (it was loaded at t=0), and the load that refreshes it.
    let mut expires = setup.ttl;
    let mut fresh_from = 0;
    let mut lock_until = 0u64; // the lock is free once `now >= lock_until`
    let mut lock_owner: Option<usize> = None; // the load whose request holds it
    let mut refreshing = false; // `stale`: a background refresh is under way
    let mut waiting_for: Vec<Vec<(usize, u64)>> = Vec::new(); // per load: requests it answers
    let start_load = |now: u64, out: &mut Outcome, events: &mut Events| {
        out.loads.push((now, now + setup.load));
        events.push(Reverse((now + setup.load, Event::LoadDone(out.loads.len() - 1))));
        out.loads.len() - 1
    };
    while let Some(Reverse((now, event))) = events.pop() {
        let fresh = now < expires;
        match event {
            // ANCHOR: load_done
            Event::LoadDone(load) => {
                // The loaded value is written with a new TTL (a later load overwrites it).
                if now >= expires {
                    out.fresh.push((fresh_from, expires));
                    fresh_from = now;
                }
                expires = now + setup.ttl;
                refreshing = false;
                // Compare-and-delete: a holder releases the lock only if it is still its own
                // (it may have expired and gone to a poller).
                if lock_owner == Some(load) && lock_until > now {
                    lock_until = now;
                }
                for (_, arrived) in waiting_for.get(load).cloned().unwrap_or_default() {
                    out.waited += 1;
                    out.longest_wait = out.longest_wait.max(now - arrived);
                }
            }
            // ANCHOR_END: load_done
            Event::Arrival(request) | Event::Poll(request, _) => {
                let arrived = match event {
                    Event::Poll(_, arrived) => arrived,
                    _ => now,
                };
                let own_load =
                    |out: &mut Outcome, events: &mut Events, waiting_for: &mut Vec<Vec<(usize, u64)>>| {
                        let load = start_load(now, out, events);
                        waiting_for.resize(out.loads.len(), Vec::new());
                        waiting_for[load].push((request, arrived));
                        load
                    };
                match protection {
                    _ if fresh && protection != Protection::XFetch => {
                        if matches!(event, Event::Poll(..)) {
                            out.waited += 1;
                            out.longest_wait = out.longest_wait.max(now - arrived);
                        } else {
                            out.hits += 1;
                        }
                    }
                    Protection::None => {
                        own_load(&mut out, &mut events, &mut waiting_for);
                    }
                    Protection::Lock => {
                        if now >= lock_until {
                            lock_until = now + setup.lock_ttl;
                            lock_owner = Some(own_load(&mut out, &mut events, &mut waiting_for));
                        } else {
                            events.push(Reverse((now + setup.poll, Event::Poll(request, arrived))));
                        }
                    }
                    Protection::XFetch => {
                        // delta: how long the last load took; the gap is exponential with mean
                        // delta · beta, so early recomputation grows likelier near expiry.
                        let u = 1.0 - coins.next_f64();
                        let gap = -(setup.load as f64) * setup.beta * u.ln();
                        if fresh && (now as f64 + gap) < expires as f64 {
                            out.hits += 1;
                        } else {
                            if fresh {
                                out.early += 1;
                            }
                            own_load(&mut out, &mut events, &mut waiting_for);
                        }
                    }
                    Protection::Stale => {
                        out.stale += 1;
                        if !refreshing {
                            refreshing = true;
                            start_load(now, &mut out, &mut events);
                        }
                    }
                }
            }
        }
    }
    let end = expires.min(setup.duration);
    if end > fresh_from {
        out.fresh.push((fresh_from, end));
    }
    out
}
// ANCHOR_END: simulate

fn seconds(us: u64) -> String {
    format!("{:.2}", us as f64 / SECOND as f64)
}

fn report(setup: &Setup, outcomes: &[(Protection, Outcome)]) -> String {
    let requests = outcomes.first().map_or(0, |(_, o)| o.requests);
    let mut out = format!(
        "{} requests/s for {} s ({requests} requests, seed {}); TTL {} s; a load takes {} s.\n\n",
        setup.rate,
        seconds(setup.duration),
        setup.seed,
        seconds(setup.ttl),
        seconds(setup.load)
    );
    let _ = writeln!(
        out,
        "{:<10} {:>6} {:>6} {:>5} {:>6} {:>6} {:>7}  longest wait",
        "protection", "loads", "early", "peak", "hits", "stale", "waited"
    );
    for (p, o) in outcomes {
        let _ = writeln!(
            out,
            "{:<10} {:>6} {:>6} {:>5} {:>6} {:>6} {:>7}  {} s",
            p.name(),
            o.loads.len(),
            o.early,
            o.peak(),
            o.hits,
            o.stale,
            o.waited,
            seconds(o.longest_wait)
        );
    }
    out.push_str("\nloads per burst (overlapping loads), at the time the burst began:\n");
    for (p, o) in outcomes {
        let bursts: Vec<String> =
            o.bursts().iter().map(|&(s, _, n)| format!("{n} at {} s", seconds(s))).collect();
        let _ = writeln!(
            out,
            "  {:<8} {}",
            p.name(),
            if bursts.is_empty() { "none".into() } else { bursts.join(", ") }
        );
    }
    out
}

fn figure(setup: &Setup, outcomes: &[(Protection, Outcome)]) -> Figure {
    let s = |us: u64| us as f64 / SECOND as f64;
    let mut lanes = Vec::new();
    for (p, o) in outcomes {
        let mut cache = Vec::new();
        let mut last = 0;
        for &(from, until) in &o.fresh {
            if from > last {
                let (label, kind) = if *p == Protection::Stale {
                    ("stale, refreshing", SpanKind::Overhead)
                } else {
                    ("expired: misses", SpanKind::Lost)
                };
                cache.push(Span { start: s(last), end: s(from), label: label.into(), kind });
            }
            cache.push(Span { start: s(from), end: s(until), label: "fresh".into(), kind: SpanKind::Busy });
            last = until;
        }
        lanes.push(Lane { name: format!("{} · cache", p.name()), spans: cache });
        let db = o
            .bursts()
            .into_iter()
            .map(|(from, until, n)| Span {
                start: s(from),
                end: s(until),
                label: if n == 1 { "1 load".into() } else { format!("{n} loads") },
                kind: SpanKind::Wait,
            })
            .collect();
        lanes.push(Lane { name: format!("{} · database", p.name()), spans: db });
    }
    let steps = Step::at_span_starts(&lanes, "s");
    Figure::Timeline {
        title: format!(
            "{} requests/s, TTL {} s, load {} s: database loads",
            setup.rate,
            s(setup.ttl),
            s(setup.load)
        ),
        unit: "s".into(),
        lanes,
        steps,
    }
}

const KEYS: &[&str] =
    &["rate", "ttl", "load", "duration", "poll", "lock_ttl", "beta", "protection", "seed", "mode"];

fn micros(p: &Params, key: &str, min: f64, max: f64, default: f64) -> Result<u64, InputError> {
    Ok((p.number_or(key, min, max, default)? * SECOND as f64).round() as u64)
}

fn parse(p: &Params) -> Result<Setup, InputError> {
    let rate = p.number_or("rate", 1.0, 2000.0, 200.0)?;
    let setup = Setup {
        rate,
        ttl: micros(p, "ttl", 0.1, 3600.0, 10.0)?,
        load: micros(p, "load", 0.001, 60.0, 0.5)?,
        duration: micros(p, "duration", 1.0, 3600.0, 30.0)?,
        poll: micros(p, "poll", 0.001, 10.0, 0.05)?,
        lock_ttl: micros(p, "lock_ttl", 0.01, 600.0, 5.0)?,
        beta: p.number_or("beta", 0.0, 10.0, 1.0)?,
        protections: match p.one("protection")? {
            None => vec![Protection::None, Protection::Lock, Protection::XFetch, Protection::Stale],
            Some(e) => {
                let mut list = Vec::new();
                for word in e.value.split_whitespace() {
                    let protection = match word {
                        "none" => Protection::None,
                        "lock" => Protection::Lock,
                        "xfetch" => Protection::XFetch,
                        "stale" => Protection::Stale,
                        other => {
                            return Err(InputError::at_line(
                                e.line,
                                format!("unknown protection `{other}` (expected none, lock, xfetch, stale)"),
                            ));
                        }
                    };
                    if !list.contains(&protection) {
                        list.push(protection);
                    }
                }
                if list.is_empty() {
                    return Err(InputError::at_line(e.line, "name at least one protection"));
                }
                list
            }
        },
        seed: p.number_or("seed", 0u64, u64::MAX, 1)?,
    };
    let expected = rate * setup.duration as f64 / SECOND as f64;
    if expected > MAX_REQUESTS {
        return Err(InputError::new(format!(
            "rate × duration = {expected:.0} requests, over the limit of {MAX_REQUESTS}: lower one of them"
        )));
    }
    // Each waiting request polls until the value is back: bound the polls too.
    let polls = expected * (setup.load.max(setup.lock_ttl) as f64 / setup.poll as f64).min(1e9);
    if setup.protections.contains(&Protection::Lock) && polls > 2_000_000.0 {
        return Err(InputError::new("too many polls: raise `poll` or lower `rate`"));
    }
    Ok(setup)
}

fn run_setup(setup: &Setup) -> Drawn {
    let outcomes: Vec<(Protection, Outcome)> =
        setup.protections.iter().map(|&p| (p, simulate(setup, p))).collect();
    Drawn { text: report(setup, &outcomes), figure: figure(setup, &outcomes) }
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, KEYS)?;
    if p.choice_or("mode", &["run", "predict"], "run")? == "predict" {
        let seed = p.number_or("seed", 0u64, u64::MAX, 1)?;
        let mut rng = Rng::new(seed);
        let rate = [50.0, 100.0, 400.0, 1000.0][rng.range(0, 3) as usize];
        let load = [100_000, 250_000, 1_000_000][rng.range(0, 2) as usize];
        let setup = Setup {
            rate,
            ttl: 5 * SECOND,
            load,
            duration: 8 * SECOND,
            poll: 50_000,
            lock_ttl: 5 * SECOND,
            beta: 1.0,
            protections: vec![Protection::None, Protection::Lock],
            seed,
        };
        let mut drawn = run_setup(&setup);
        drawn.text = format!(
            "Predict, then reveal (seed {seed}): {rate} requests/s on one key, cached for 5 s; a load takes {} s.\n\
             When the value expires at t=5 s, how many loads reach the database without protection?\n\
             With a lock, how many, and how long does the unluckiest request wait?\n{REVEAL_MARKER}\n{}",
            seconds(load),
            drawn.text
        );
        return Ok(drawn);
    }
    Ok(run_setup(&parse(&p)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(rate: f64, protections: Vec<Protection>) -> Setup {
        Setup {
            rate,
            ttl: 10 * SECOND,
            load: SECOND / 2,
            duration: 30 * SECOND,
            poll: 50_000,
            lock_ttl: 5 * SECOND,
            beta: 1.0,
            protections,
            seed: 1,
        }
    }

    #[test]
    fn without_protection_every_miss_during_the_load_loads() {
        let s = setup(200.0, vec![Protection::None]);
        let o = simulate(&s, Protection::None);
        let bursts = o.bursts();
        // About rate × load = 100 requests arrive while the first load runs; each loads.
        assert!(bursts.len() >= 2, "{bursts:?}");
        for &(_, _, n) in &bursts {
            assert!((70..=130).contains(&n), "{n} loads in a burst");
        }
        assert_eq!(o.hits + o.waited, o.requests);
        assert_eq!(o.loads.len(), o.waited);
    }

    #[test]
    fn a_lock_makes_each_expiry_one_load_and_the_waiters_wait_about_the_load_time() {
        let s = setup(200.0, vec![Protection::Lock]);
        let o = simulate(&s, Protection::Lock);
        assert!(o.bursts().iter().all(|&(_, _, n)| n == 1), "{:?}", o.bursts());
        assert_eq!(o.peak(), 1);
        assert_eq!(o.hits + o.waited, o.requests);
        // Nobody waits longer than a load plus one poll interval.
        assert!(o.longest_wait <= s.load + s.poll, "{}", o.longest_wait);
        // A lock that expires before the load ends lets a second loader in.
        let short = Setup { lock_ttl: SECOND / 10, ..s.clone() };
        assert!(simulate(&short, Protection::Lock).peak() > 1);
    }

    #[test]
    fn xfetch_refreshes_before_expiry_and_stale_serves_everyone_at_once() {
        let s = setup(200.0, vec![]);
        let x = simulate(&s, Protection::XFetch);
        // Every load is early (nobody finds the value expired): a few per refresh at this
        // rate, a tenth of what expiry without protection costs.
        assert_eq!(x.early, x.loads.len());
        assert!(x.loads.len() * 10 < simulate(&s, Protection::None).loads.len(), "{:?}", x.bursts());
        // Nobody waits except the few who recompute.
        assert_eq!(x.waited, x.loads.len());
        let stale = simulate(&s, Protection::Stale);
        assert_eq!(stale.waited, 0);
        assert!(stale.bursts().iter().all(|&(_, _, n)| n == 1));
        // With beta = 0 XFetch never refreshes early: it is plain expiry.
        let none = simulate(&Setup { beta: 0.0, ..s.clone() }, Protection::XFetch);
        assert_eq!(none.early, 0);
        assert_eq!(none.loads.len(), simulate(&s, Protection::None).loads.len());
    }

    #[test]
    fn the_default_run_draws_and_predict_mode_reveals() {
        let d = run(EXAMPLE.default_input).unwrap();
        d.figure.validate().unwrap();
        let p = run("mode = predict\nseed = 3\n").unwrap();
        p.figure.validate().unwrap();
        assert!(p.text.contains(REVEAL_MARKER));
        assert_eq!(run("rate = 5000\n").unwrap_err().line, Some(1));
        assert_eq!(run("\nprotection = none magic\n").unwrap_err().line, Some(2));
        assert!(run("rate = 2000\nduration = 3600\n").unwrap_err().message.contains("limit"));
    }
}
