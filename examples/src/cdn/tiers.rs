//! A tiered CDN, simulated: edge PoPs, an optional shield, the origin. Requests follow a
//! seeded Zipf popularity with an optional flash crowd; each cache keeps every object for
//! `ttl` seconds after the origin made it (copies from the shield carry their age, as `Age`
//! does, RFC 9111 §4.2.3), may serve it stale while revalidating (RFC 5861), and may collapse
//! concurrent misses for one object into one upstream request. The same request stream runs
//! with and without the shield and collapsing, so the four are compared on equal terms.

use std::fmt::Write as _;

use crate::Figure;
use crate::figure::{Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::{Rng, exp, ln};

pub const EXAMPLE: Example = Example {
    id: "cdn::tiers",
    title: "Edge PoPs, a shield and the origin: hit ratio and origin load",
    file: file!(),
    default_input: "\
pops = 6
objects = 5000
zipf = 1.0
rate = 200
seconds = 300
ttl = 60
swr = 0
hop_ms = 30
origin_ms = 200
# at flash_at seconds, flash_share of requests go to one new object (0 = no flash crowd)
flash_at = 150
flash_share = 0.3
# which of the four runs to draw
shield = on
collapse = on
seed = 1
",
    input_help: "`pops`, `objects`, `zipf` (popularity skew s), `rate` (requests/s), `seconds`, `ttl`, `swr` \
(stale-while-revalidate, s), `hop_ms` (edge to shield), `origin_ms` (a fetch from the origin), `flash_at` and \
`flash_share` (a flash crowd on one new object), `shield = on | off`, `collapse = on | off` (the run to draw), `seed`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// At most this many requests per run (four runs share one stream): the step budget.
const MAX_REQUESTS: u64 = 200_000;
const WINDOWS: usize = 12;

#[derive(Debug, Clone)]
struct Config {
    pops: usize,
    objects: u32,
    zipf: f64,
    rate: f64,
    seconds: f64,
    ttl: f64,
    swr: f64,
    hop: f64,
    origin: f64,
    flash_at: f64,
    flash_share: f64,
    shield: bool,
    collapse: bool,
    seed: u64,
}

/// One client request: when (ms), at which PoP, for which object.
#[derive(Debug, Clone, Copy)]
struct Request {
    at: f64,
    pop: usize,
    object: u32,
}

/// The request stream, shared by the four runs: Poisson arrivals, Zipf popularity.
fn requests(c: &Config) -> Vec<Request> {
    let mut rng = Rng::new(c.seed);
    let mut cdf = Vec::with_capacity(c.objects as usize);
    let mut total = 0.0;
    for rank in 1..=c.objects {
        // rank^-s, as e^(-s·ln rank), with the portable functions above.
        total += exp(-c.zipf * ln(f64::from(rank)));
        cdf.push(total);
    }
    let (mut t, end, mut out) = (0.0, c.seconds * 1000.0, Vec::new());
    loop {
        t += -ln(1.0 - rng.next_f64()) / c.rate * 1000.0;
        if t >= end {
            return out;
        }
        let pop = rng.range(0, c.pops as u64 - 1) as usize;
        let object = if c.flash_at > 0.0 && t >= c.flash_at * 1000.0 && rng.chance(c.flash_share) {
            c.objects // the new object everybody wants
        } else {
            let u = rng.next_f64() * total;
            cdf.partition_point(|&x| x < u) as u32
        };
        out.push(Request { at: t, pop, object });
    }
}

// ANCHOR: sim
/// What one cache knows about one object.
#[derive(Debug, Clone, Default)]
struct Slot {
    /// When the origin made the copy this cache serves (`None`: nothing stored).
    born: Option<f64>,
    /// Fetches under way: (when the copy arrives here, when the origin made it).
    pending: Vec<(f64, f64)>,
}

#[derive(Debug, Default, Clone)]
struct Counts {
    hit: u64,
    stale: u64,
    collapsed: u64,
    miss: u64,
}

struct Sim<'a> {
    c: &'a Config,
    /// One slot per object per cache: the PoPs, then the shield.
    caches: Vec<Vec<Slot>>,
    counts: Vec<Counts>,
    origin_requests: Vec<f64>,
    /// Origin fetches under way per object, to measure the largest herd.
    origin_pending: Vec<Vec<f64>>,
    largest_herd: usize,
}

impl Sim<'_> {
    /// Cache `node` gets a request for `object` at `t` ms; returns when it can answer and the
    /// origin time of the copy it answers with.
    fn get(&mut self, node: usize, object: u32, t: f64) -> (f64, f64) {
        let (ttl, swr, collapse) = (self.c.ttl * 1000.0, self.c.swr * 1000.0, self.c.collapse);
        let slot = &mut self.caches[node][object as usize];
        // Copies that have arrived by now replace the stored one (the newest wins).
        let mut arrived = None::<f64>;
        slot.pending.retain(|&(ready, born)| {
            if ready <= t {
                arrived = Some(arrived.map_or(born, |b: f64| b.max(born)));
                false
            } else {
                true
            }
        });
        if let Some(born) = arrived {
            slot.born = Some(slot.born.map_or(born, |b| b.max(born)));
        }
        let in_flight = slot.pending.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some(born) = slot.born {
            if t < born + ttl {
                self.counts[node].hit += 1;
                return (t, born);
            }
            if t < born + ttl + swr {
                // Stale-while-revalidate: answer now; one background refresh at a time.
                self.counts[node].stale += 1;
                if in_flight.is_none() {
                    let (ready, new_born) = self.upstream(node, object, t);
                    self.caches[node][object as usize].pending.push((ready, new_born));
                }
                return (t, born);
            }
        }
        if collapse && let Some((ready, born)) = in_flight {
            self.counts[node].collapsed += 1; // wait for the fetch already under way
            return (ready, born);
        }
        self.counts[node].miss += 1;
        let (ready, born) = self.upstream(node, object, t);
        self.caches[node][object as usize].pending.push((ready, born));
        (ready, born)
    }

    /// The next tier: the shield for a PoP when there is one, else the origin.
    fn upstream(&mut self, node: usize, object: u32, t: f64) -> (f64, f64) {
        let shield = self.c.pops;
        if node < shield && self.c.shield {
            let (ready, born) = self.get(shield, object, t + self.c.hop);
            (ready + self.c.hop, born)
        } else {
            self.origin_requests.push(t);
            let done = t + self.c.origin;
            let pending = &mut self.origin_pending[object as usize];
            pending.retain(|&end| end > t);
            pending.push(done);
            self.largest_herd = self.largest_herd.max(pending.len());
            (done, done)
        }
    }
}
// ANCHOR_END: sim

/// One run's results.
struct Outcome {
    edge: Counts,
    shield: Counts,
    origin_requests: Vec<f64>,
    largest_herd: usize,
    mean_wait_ms: f64,
    /// Per window: (edge requests, edge hits incl. stale, shield requests, shield hits).
    windows: Vec<(u64, u64, u64, u64)>,
}

fn simulate(c: &Config, stream: &[Request]) -> Outcome {
    let nodes = c.pops + 1;
    let mut sim = Sim {
        c,
        caches: vec![vec![Slot::default(); c.objects as usize + 1]; nodes],
        counts: vec![Counts::default(); nodes],
        origin_requests: Vec::new(),
        origin_pending: vec![Vec::new(); c.objects as usize + 1],
        largest_herd: 0,
    };
    let mut windows = vec![(0, 0, 0, 0); WINDOWS];
    let window_ms = c.seconds * 1000.0 / WINDOWS as f64;
    let mut waited = 0.0;
    for r in stream {
        let w = ((r.at / window_ms) as usize).min(WINDOWS - 1);
        let before = (sim.counts[r.pop].clone(), sim.counts[c.pops].clone());
        let (ready, _) = sim.get(r.pop, r.object, r.at);
        waited += ready - r.at;
        let (edge, shield) = (&sim.counts[r.pop], &sim.counts[c.pops]);
        windows[w].0 += 1;
        windows[w].1 += (edge.hit + edge.stale) - (before.0.hit + before.0.stale);
        let shield_seen = shield.hit + shield.stale + shield.collapsed + shield.miss;
        let shield_before = before.1.hit + before.1.stale + before.1.collapsed + before.1.miss;
        windows[w].2 += shield_seen - shield_before;
        windows[w].3 += (shield.hit + shield.stale) - (before.1.hit + before.1.stale);
    }
    let mut edge = Counts::default();
    for counts in &sim.counts[..c.pops] {
        edge.hit += counts.hit;
        edge.stale += counts.stale;
        edge.collapsed += counts.collapsed;
        edge.miss += counts.miss;
    }
    Outcome {
        edge,
        shield: sim.counts[c.pops].clone(),
        origin_requests: sim.origin_requests,
        largest_herd: sim.largest_herd,
        mean_wait_ms: if stream.is_empty() { 0.0 } else { waited / stream.len() as f64 },
        windows,
    }
}

fn config(input: &str) -> Result<Config, InputError> {
    let p = Params::parse(
        input,
        &[
            "pops",
            "objects",
            "zipf",
            "rate",
            "seconds",
            "ttl",
            "swr",
            "hop_ms",
            "origin_ms",
            "flash_at",
            "flash_share",
            "shield",
            "collapse",
            "seed",
        ],
    )?;
    let on = |key: &str| -> Result<bool, InputError> { Ok(p.choice_or(key, &["on", "off"], "on")? == "on") };
    let c = Config {
        pops: p.number_or("pops", 1usize, 16, 6)?,
        objects: p.number_or("objects", 1u32, 20_000, 5000)?,
        zipf: p.number_or("zipf", 0.0, 3.0, 1.0)?,
        rate: p.number_or("rate", 1.0, 5_000.0, 300.0)?,
        seconds: p.number_or("seconds", 10.0, 3_600.0, 600.0)?,
        ttl: p.number_or("ttl", 1.0, 86_400.0, 60.0)?,
        swr: p.number_or("swr", 0.0, 86_400.0, 0.0)?,
        hop: p.number_or("hop_ms", 0.0, 1_000.0, 30.0)?,
        origin: p.number_or("origin_ms", 1.0, 10_000.0, 200.0)?,
        flash_at: p.number_or("flash_at", 0.0, 3_600.0, 300.0)?,
        flash_share: p.number_or("flash_share", 0.0, 1.0, 0.3)?,
        shield: on("shield")?,
        collapse: on("collapse")?,
        seed: p.number_or("seed", 0u64, u64::MAX, 1)?,
    };
    if c.rate * c.seconds > MAX_REQUESTS as f64 {
        let line = p.one("rate")?.or(p.one("seconds")?).map_or(1, |e| e.line);
        return Err(InputError::at_line(
            line,
            format!("rate × seconds is {:.0} requests; keep it at most {MAX_REQUESTS}", c.rate * c.seconds),
        ));
    }
    Ok(c)
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 { "-".to_string() } else { format!("{:.1}%", 100.0 * part as f64 / whole as f64) }
}

fn peak_per_second(times: &[f64], seconds: f64) -> f64 {
    let window_ms = seconds * 1000.0 / WINDOWS as f64;
    let mut per = [0u64; WINDOWS];
    for t in times {
        per[((t / window_ms) as usize).min(WINDOWS - 1)] += 1;
    }
    per.iter().copied().max().unwrap_or(0) as f64 / (window_ms / 1000.0)
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let chosen = config(input)?;
    let stream = requests(&chosen);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} requests over {} s to {} PoPs; {} objects, Zipf s={}; ttl {} s, stale-while-revalidate {} s",
        stream.len(),
        chosen.seconds,
        chosen.pops,
        chosen.objects,
        chosen.zipf,
        chosen.ttl,
        chosen.swr
    );
    if chosen.flash_at > 0.0 && chosen.flash_share > 0.0 {
        let _ = writeln!(
            text,
            "flash crowd: from t={} s, {:.0}% of requests want one new object",
            chosen.flash_at,
            chosen.flash_share * 100.0
        );
    }
    let _ = writeln!(
        text,
        "edge to shield {} ms, an origin fetch {} ms; seed {}\n",
        chosen.hop, chosen.origin, chosen.seed
    );
    let _ = writeln!(
        text,
        "shield  collapse  edge hits  shield hits  origin requests  peak origin/s  largest herd  mean wait"
    );
    let mut drawn = None;
    for shield in [false, true] {
        for collapse in [false, true] {
            let c = Config { shield, collapse, ..chosen.clone() };
            let o = simulate(&c, &stream);
            let edge_seen = o.edge.hit + o.edge.stale + o.edge.collapsed + o.edge.miss;
            let shield_seen = o.shield.hit + o.shield.stale + o.shield.collapsed + o.shield.miss;
            let _ = writeln!(
                text,
                "{:<7} {:<9} {:>9}  {:>11}  {:>15}  {:>13.1}  {:>12}  {:>6.0} ms",
                if shield { "on" } else { "off" },
                if collapse { "on" } else { "off" },
                percent(o.edge.hit + o.edge.stale, edge_seen),
                if shield { percent(o.shield.hit + o.shield.stale, shield_seen) } else { "-".to_string() },
                o.origin_requests.len(),
                peak_per_second(&o.origin_requests, c.seconds),
                o.largest_herd,
                o.mean_wait_ms
            );
            if shield == chosen.shield && collapse == chosen.collapse {
                drawn = Some(o);
            }
        }
    }
    let o = drawn.expect("the chosen run is one of the four");
    let _ = writeln!(
        text,
        "\ndrawn: shield {}, collapsing {}; edge hits include {} stale-while-revalidate answers, {} requests waited on a collapsed fetch",
        if chosen.shield { "on" } else { "off" },
        if chosen.collapse { "on" } else { "off" },
        o.edge.stale,
        o.edge.collapsed + o.shield.collapsed
    );
    Ok(Drawn { text, figure: draw(&chosen, &o) })
}

fn draw(c: &Config, o: &Outcome) -> Figure {
    let window = c.seconds / WINDOWS as f64;
    let kind_for = |ratio: f64| match ratio {
        r if r >= 0.9 => SpanKind::Busy,
        r if r >= 0.6 => SpanKind::Wait,
        _ => SpanKind::Lost,
    };
    let mut per_origin = [0u64; WINDOWS];
    for t in &o.origin_requests {
        per_origin[((t / (window * 1000.0)) as usize).min(WINDOWS - 1)] += 1;
    }
    let mut edge = Lane { name: "edge PoPs: hit ratio".into(), spans: Vec::new() };
    let mut shield = Lane { name: "shield: hit ratio".into(), spans: Vec::new() };
    let mut origin = Lane { name: "origin: requests/s".into(), spans: Vec::new() };
    for (w, &(seen, hits, s_seen, s_hits)) in o.windows.iter().enumerate() {
        let (start, end) = (w as f64 * window, (w + 1) as f64 * window);
        let ratio = if seen == 0 { 1.0 } else { hits as f64 / seen as f64 };
        edge.spans.push(Span { start, end, label: format!("{:.0}%", ratio * 100.0), kind: kind_for(ratio) });
        if c.shield {
            let ratio = if s_seen == 0 { 1.0 } else { s_hits as f64 / s_seen as f64 };
            let label = if s_seen == 0 { "idle".to_string() } else { format!("{:.0}%", ratio * 100.0) };
            shield.spans.push(Span { start, end, label, kind: kind_for(ratio) });
        }
        let rate = per_origin[w] as f64 / window;
        origin.spans.push(Span { start, end, label: format!("{rate:.1}/s"), kind: SpanKind::Overhead });
    }
    let mut lanes = vec![edge];
    if c.shield {
        lanes.push(shield);
    }
    lanes.push(origin);
    if c.flash_at > 0.0 && c.flash_at < c.seconds && c.flash_share > 0.0 {
        lanes.push(Lane {
            name: "traffic".into(),
            spans: vec![Span {
                start: c.flash_at,
                end: c.seconds,
                label: "flash crowd".into(),
                kind: SpanKind::Wait,
            }],
        });
    }
    let steps = Step::at_span_starts(&lanes, "s");
    let title = format!(
        "shield {}, collapsing {}: hit ratio per window and origin load",
        if c.shield { "on" } else { "off" },
        if c.collapse { "on" } else { "off" }
    );
    Figure::Timeline { title, unit: "s".into(), lanes, steps }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_ln_and_exp_agree_with_the_platform() {
        for x in [1e-16, 0.001, 0.5, 1.0, 1.5, 2.0, 7.0, 1000.0, 20_000.0] {
            assert!((ln(x) - x.ln()).abs() <= 1e-14 * x.ln().abs().max(1.0), "ln {x}");
        }
        for y in [-30.0, -9.9, -1.0, -0.3, 0.0, 0.7, 5.0] {
            assert!((exp(y) - f64::exp(y)).abs() <= 1e-14 * f64::exp(y), "exp {y}");
        }
    }

    fn outcome(input: &str, shield: bool, collapse: bool) -> Outcome {
        let c = Config { shield, collapse, ..config(input).unwrap() };
        simulate(&c, &requests(&c))
    }

    #[test]
    fn the_shield_and_collapsing_each_cut_origin_load() {
        let input = EXAMPLE.default_input;
        let plain = outcome(input, false, false).origin_requests.len();
        let shielded = outcome(input, true, false).origin_requests.len();
        let collapsed = outcome(input, false, true).origin_requests.len();
        let both = outcome(input, true, true);
        assert!(shielded < plain && collapsed < plain, "{plain} {shielded} {collapsed}");
        assert!(both.origin_requests.len() <= shielded.min(collapsed));
        // With a shield and collapsing, one object is never fetched twice at once.
        assert_eq!(both.largest_herd, 1);
        assert!(outcome(input, false, false).largest_herd > 1);
    }

    #[test]
    fn one_object_one_pop_no_collapse_is_a_herd() {
        // 100 requests/s for one object, a 1 s origin: without collapsing every request in the
        // first second goes to the origin; with it, one does.
        let input = "pops = 1\nobjects = 1\nrate = 100\nseconds = 10\nttl = 100\norigin_ms = 1000\nflash_at = 0\nseed = 3\n";
        let herd = outcome(input, false, false);
        let calm = outcome(input, false, true);
        assert_eq!(calm.origin_requests.len(), 1);
        assert!(herd.origin_requests.len() > 50, "{}", herd.origin_requests.len());
        assert_eq!(calm.edge.collapsed as usize, herd.origin_requests.len() - 1);
    }

    #[test]
    fn stale_while_revalidate_hides_expiry_from_clients() {
        let input = "pops = 1\nobjects = 1\nrate = 50\nseconds = 100\nttl = 5\nswr = 60\norigin_ms = 500\nflash_at = 0\n";
        let o = outcome(input, false, true);
        // Only the very first request waits for the origin; every expiry afterwards is refreshed
        // in the background.
        assert_eq!(o.edge.miss, 1);
        assert!(o.edge.stale > 0);
        assert!(o.origin_requests.len() >= 15, "{}", o.origin_requests.len());
    }

    #[test]
    fn the_default_run_draws_and_the_budget_holds() {
        let drawn = run(EXAMPLE.default_input).unwrap();
        drawn.figure.validate().unwrap();
        let error = run("rate = 5000\nseconds = 3600\n").unwrap_err();
        assert_eq!(error.line, Some(1));
    }
}
