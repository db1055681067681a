//! One user request fans out to N backends in parallel and waits for all of them, so it is as
//! slow as the slowest of N calls. Each backend is slower than its own p99 on 1% of calls; the
//! request meets at least one such call with probability 1 − 0.99^N. Hedged requests (Dean and
//! Barroso, "The Tail at Scale", CACM 2013): a call that has not answered by a backend's p95 is
//! sent again to another replica, and the first answer wins.

use std::fmt::Write as _;

use super::{Tail, ms, trim};
use crate::figure::{Figure, Lane, Mark, Span, SpanKind, Step, time_text};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "reliability::fanout",
    title: "Fan-out to N backends: the tail of one becomes the common case of all, and hedging",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`backends` (1–1,000), `requests` (1–5,000; requests × backends ≤ 500,000), `tail` (exponential, \
                 pareto, bimodal with `slow` % and `hiccup` ms), `hedge` (off or a percentile, 50–99.9), `show` (1–6 \
                 requests drawn), `seed`; or `mode = predict` with `seed`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
# One request calls every backend in parallel and waits for all the answers.
backends = 100
requests = 2000
# each call: ~10 ms, but 1% of calls hit a ~200 ms hiccup (a GC pause, a compaction)
tail = bimodal
slow = 1
hiccup = 200
# hedge = off, or resend a call to another replica once it is slower than this percentile
hedge = 95
show = 3
seed = 1
";

/// Single calls drawn to know one backend's distribution (its p50, p95, p99).
const REFERENCE: usize = 100_000;
const MAX_CALLS: usize = 500_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub backends: usize,
    pub requests: usize,
    pub tail: Tail,
    pub hedge: Option<f64>,
    pub show: usize,
    pub seed: u64,
}

/// One backend's latency distribution, as a sorted sample.
pub struct Single {
    sorted: Vec<f64>,
}

impl Single {
    pub fn new(tail: Tail, seed: u64) -> Single {
        let mut rng = Rng::new(seed ^ 0x5EED_0F0E);
        let mut sorted: Vec<f64> = (0..REFERENCE).map(|_| tail.sample(&mut rng)).collect();
        sorted.sort_by(f64::total_cmp);
        Single { sorted }
    }

    /// The value below which a share `q` (0–1) of single calls fall.
    pub fn quantile(&self, q: f64) -> f64 {
        let i = ((q * self.sorted.len() as f64).ceil() as usize).clamp(1, self.sorted.len());
        self.sorted[i - 1]
    }
}

/// One simulated request: every call's latency, and the hedge's where one was sent.
#[derive(Debug, Clone)]
pub struct Request {
    pub calls: Vec<f64>,
    pub hedges: Vec<Option<f64>>,
}

impl Request {
    /// The request's latency without hedging: the slowest call.
    pub fn plain(&self) -> f64 {
        self.calls.iter().copied().fold(0.0, f64::max)
    }

    /// With hedging after `delay`: each call ends at its own answer or its hedge's, whichever
    /// comes first, and the request at the last of those.
    pub fn hedged(&self, delay: f64) -> f64 {
        self.calls
            .iter()
            .zip(&self.hedges)
            .map(|(&c, h)| h.map_or(c, |h| c.min(delay + h)))
            .fold(0.0, f64::max)
    }
}

// ANCHOR: simulate
pub fn simulate(setup: &Setup, hedge_after: f64) -> Vec<Request> {
    let mut rng = Rng::new(setup.seed);
    let mut hedges_rng = Rng::new(setup.seed ^ 0x4ED6E);
    (0..setup.requests)
        .map(|_| {
            let calls: Vec<f64> = (0..setup.backends).map(|_| setup.tail.sample(&mut rng)).collect();
            // A call still unanswered at `hedge_after` is sent again to another replica, whose
            // latency is independent (the hiccup was that one machine's).
            let hedges = calls
                .iter()
                .map(|&c| {
                    (setup.hedge.is_some() && c > hedge_after).then(|| setup.tail.sample(&mut hedges_rng))
                })
                .collect();
            Request { calls, hedges }
        })
        .collect()
}
// ANCHOR_END: simulate

fn pct(x: f64) -> String {
    if x > 0.999 && x < 1.0 { format!("{:.3}%", 100.0 * x) } else { format!("{:.1}%", 100.0 * x) }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((p / 100.0 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[i - 1]
}

fn report(setup: &Setup, single: &Single, hedged_single: &Single, requests: &[Request]) -> String {
    let (p50, p99) = (single.quantile(0.5), single.quantile(0.99));
    let mut out = format!(
        "one backend call: {}\n  p50 {}, p99 {} (from {} single calls)\n",
        setup.tail.describe(),
        ms(p50),
        ms(p99),
        super::thousands_f(REFERENCE as f64)
    );
    let delay = setup.hedge.map(|h| single.quantile(h / 100.0));
    if let (Some(h), Some(d)) = (setup.hedge, delay) {
        let _ = writeln!(
            out,
            "  hedging: a call unanswered after {} (its p{}) is sent again to a replica",
            ms(d),
            trim(h)
        );
    }
    // ANCHOR: table
    // The request waits for the slowest of N independent calls: P(all N ≤ x) = F(x)^N, so its
    // q-quantile is one call's q^(1/N)-quantile.
    let _ = writeln!(out, "\nas N grows (the slowest of N calls; F(x)^N from the single-call sample):");
    let _ = write!(out, "{:>6} {:>17} {:>10} {:>10}", "N", "P(a call > p99)", "p50", "p99");
    if setup.hedge.is_some() {
        let _ = write!(out, " {:>12}", "p99 hedged");
    }
    out.push('\n');
    let mut ns: Vec<usize> = vec![1, 10, 100, 1000];
    if !ns.contains(&setup.backends) {
        ns.push(setup.backends);
        ns.sort_unstable();
    }
    for &n in &ns {
        let root = |q: f64| crate::reliability::exp(crate::rng::ln(q) / n as f64);
        let _ = write!(
            out,
            "{n:>6} {:>17} {:>10} {:>10}",
            pct(1.0 - crate::reliability::exp(n as f64 * crate::rng::ln(0.99))),
            ms(single.quantile(root(0.5))),
            ms(single.quantile(root(0.99))),
        );
        if setup.hedge.is_some() {
            let _ = write!(out, " {:>12}", ms(hedged_single.quantile(root(0.99))));
        }
        out.push('\n');
    }
    // ANCHOR_END: table
    let n = setup.backends;
    let hit = requests.iter().filter(|r| r.calls.iter().any(|&c| c > p99)).count();
    let mut plain: Vec<f64> = requests.iter().map(Request::plain).collect();
    plain.sort_by(f64::total_cmp);
    let _ = writeln!(
        out,
        "\nsimulated: {} requests × {n} backends (seed {})\n  requests that waited for a call slower than a backend's p99: {} (1 − 0.99^{n} = {})",
        requests.len(),
        setup.seed,
        pct(hit as f64 / requests.len() as f64),
        pct(1.0 - crate::reliability::exp(n as f64 * crate::rng::ln(0.99)))
    );
    let _ = writeln!(
        out,
        "  request latency: p50 {}, p99 {} (a backend's p99 is {})",
        ms(percentile(&plain, 50.0)),
        ms(percentile(&plain, 99.0)),
        ms(p99)
    );
    if let Some(d) = delay {
        let mut hedged: Vec<f64> = requests.iter().map(|r| r.hedged(d)).collect();
        hedged.sort_by(f64::total_cmp);
        let sent = requests.iter().flat_map(|r| &r.hedges).filter(|h| h.is_some()).count();
        let _ = writeln!(
            out,
            "  with hedging:    p50 {}, p99 {}, for {} extra calls",
            ms(percentile(&hedged, 50.0)),
            ms(percentile(&hedged, 99.0)),
            pct(sent as f64 / (requests.len() * n) as f64)
        );
    }
    out
}

/// Steps of one request, collected then sorted; events at one instant share a step.
struct Events(Vec<(f64, String, Vec<Mark>)>);

impl Events {
    fn add(&mut self, at: f64, text: String, marks: Vec<Mark>) {
        self.0.push((at, text, marks));
    }
}

fn figure(setup: &Setup, single: &Single, requests: &[Request]) -> Figure {
    let p99 = single.quantile(0.99);
    let delay = setup.hedge.map(|h| single.quantile(h / 100.0));
    let n = setup.backends;
    let mut lanes: Vec<Lane> = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut start = 0.0;
    let round = |x: f64| (x * 10.0).round() / 10.0;
    for (k, r) in requests.iter().take(setup.show).enumerate() {
        let name = format!("r{}", k + 1);
        let (slowest, &longest) =
            r.calls.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).expect("at least one backend");
        let second =
            r.calls.iter().enumerate().filter(|&(i, _)| i != slowest).map(|(_, &c)| c).fold(0.0, f64::max);
        let end = round(start + longest);
        let first = lanes.len();
        let mut events = Events(Vec::new());
        lanes.push(Lane {
            name: format!("{name} · without hedging"),
            spans: vec![Span { start, end, label: format!("waits {}", ms(longest)), kind: SpanKind::Wait }],
        });
        let request_lane = first;
        let slow = longest > p99;
        lanes.push(Lane {
            name: format!("{name} · slowest call b{slowest}"),
            spans: vec![Span {
                start,
                end,
                label: format!(
                    "b{slowest}: {}{}",
                    ms(longest),
                    if slow { ", over a backend's p99" } else { "" }
                ),
                kind: if slow { SpanKind::Lost } else { SpanKind::Busy },
            }],
        });
        let call_lane = first + 1;
        let mut answered = None;
        let mut at_start =
            vec![Mark::Span { lane: request_lane, span: 0 }, Mark::Span { lane: call_lane, span: 0 }];
        if n > 1 {
            lanes.push(Lane {
                name: format!("{name} · other {} calls", n - 1),
                spans: vec![Span {
                    start,
                    end: round(start + second),
                    label: format!("all answered by {}", ms(second)),
                    kind: SpanKind::Busy,
                }],
            });
            let others = lanes.len() - 1;
            at_start.push(Mark::Span { lane: others, span: 0 });
            answered = Some((
                round(start + second),
                format!("{name}: {} of {n} calls answered; still waiting for b{slowest}", n - 1),
                vec![
                    Mark::Span { lane: request_lane, span: 0 },
                    Mark::Span { lane: call_lane, span: 0 },
                    Mark::Span { lane: others, span: 0 },
                ],
            ));
        }
        events.add(
            start,
            format!("{name} sends {n} call{} in parallel", if n == 1 { "" } else { "s" }),
            at_start,
        );
        if let Some((at, text, marks)) = answered {
            events.add(at, text, marks);
        }
        if let Some(d) = delay {
            let done = r.hedged(d);
            let hedged_lane = lanes.len();
            lanes.push(Lane {
                name: format!("{name} · with hedging"),
                spans: vec![Span {
                    start,
                    end: round(start + done),
                    label: format!("done in {}", ms(done)),
                    kind: SpanKind::Busy,
                }],
            });
            events.0[0].2.push(Mark::Span { lane: hedged_lane, span: 0 });
            if let Some(h) = r.hedges[slowest] {
                let hedge_lane = lanes.len();
                let (from, to) = (round(start + d), round(start + d + h));
                lanes.push(Lane {
                    name: format!("{name} · hedge for b{slowest}"),
                    spans: vec![Span {
                        start: from,
                        end: to,
                        label: format!("replica: {}", ms(h)),
                        kind: SpanKind::Overhead,
                    }],
                });
                events.add(
                    from,
                    format!("{name}: b{slowest} silent after {} (a backend's p{}): the same call goes to a replica", ms(d), trim(setup.hedge.unwrap_or(95.0))),
                    vec![Mark::Span { lane: hedge_lane, span: 0 }, Mark::Span { lane: call_lane, span: 0 }],
                );
                events.add(
                    to,
                    format!("{name}: the replica answers for b{slowest}"),
                    vec![Mark::Span { lane: hedge_lane, span: 0 }],
                );
            }
            events.add(
                round(start + done),
                format!("{name} with hedging: every call answered, done in {}", ms(done)),
                vec![Mark::Span { lane: hedged_lane, span: 0 }],
            );
        }
        events.add(
            end,
            format!("{name} without hedging: b{slowest} answers, done in {}", ms(longest)),
            vec![Mark::Span { lane: request_lane, span: 0 }, Mark::Span { lane: call_lane, span: 0 }],
        );
        events.0.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (at, text, marks) in events.0 {
            match steps.last_mut() {
                Some(step) if step.at == at => {
                    step.text.push_str("; ");
                    step.text.push_str(&text);
                    step.marks.extend(marks);
                }
                _ => steps.push(Step { at, text: format!("{}: {text}", time_text(at, "ms")), marks }),
            }
        }
        let last = lanes[first..].iter().flat_map(|l| &l.spans).map(|s| s.end).fold(end, f64::max);
        start = round(last + 5.0);
    }
    Figure::Timeline {
        title: format!(
            "{} requests, each waiting for {n} backend call{}",
            setup.show.min(requests.len()),
            if n == 1 { "" } else { "s" }
        ),
        unit: "ms".into(),
        lanes,
        steps,
    }
}

fn run_setup(setup: &Setup) -> Drawn {
    let single = Single::new(setup.tail, setup.seed);
    let delay = setup.hedge.map_or(f64::INFINITY, |h| single.quantile(h / 100.0));
    // One call with hedging, as a distribution: the original or its hedge, whichever answers first.
    let mut rng = Rng::new(setup.seed ^ 0xD15C);
    let hedged_single = Single {
        sorted: {
            let mut v: Vec<f64> = single
                .sorted
                .iter()
                .map(|&c| if c > delay { c.min(delay + setup.tail.sample(&mut rng)) } else { c })
                .collect();
            v.sort_by(f64::total_cmp);
            v
        },
    };
    let requests = simulate(setup, delay);
    Drawn {
        text: report(setup, &single, &hedged_single, &requests),
        figure: figure(setup, &single, &requests),
    }
}

const KEYS: &[&str] = &["backends", "requests", "tail", "slow", "hiccup", "hedge", "show", "seed", "mode"];

fn parse(p: &Params) -> Result<Setup, InputError> {
    let backends = p.number_or("backends", 1usize, 1000, 100)?;
    let requests = p.number_or("requests", 1usize, 5000, 2000)?;
    if backends * requests > MAX_CALLS {
        return Err(InputError::new(format!(
            "requests × backends = {} calls, over the limit of {}: lower one of them",
            backends * requests,
            MAX_CALLS
        )));
    }
    let hedge = match p.one("hedge")? {
        None => None,
        Some(e) if e.value == "off" => None,
        Some(e) => Some(e.number(50.0, 99.9)?),
    };
    Ok(Setup {
        backends,
        requests,
        tail: Tail::parse(p, "bimodal")?,
        hedge,
        show: p.number_or("show", 1usize, 6, 3)?,
        seed: p.number_or("seed", 0u64, u64::MAX, 1)?,
    })
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, KEYS)?;
    if p.choice_or("mode", &["run", "predict"], "run")? == "predict" {
        let seed = p.number_or("seed", 0u64, u64::MAX, 1)?;
        let mut rng = Rng::new(seed);
        let backends = [5, 10, 20, 50, 100, 200][rng.range(0, 5) as usize];
        let setup = Setup {
            backends,
            requests: 2000,
            tail: Tail::Bimodal { slow: 0.01, hiccup: 200.0 },
            hedge: None,
            show: 3,
            seed,
        };
        let mut drawn = run_setup(&setup);
        drawn.text = format!(
            "Predict, then reveal (seed {seed}): a request calls {backends} backends in parallel and waits for all of them.\n\
             Each backend is slower than its own p99 on 1% of its calls, independently.\n\
             What share of requests waits for at least one such slow call?\n\
             Is the request's p99 close to a backend's p99, or far above it?\n{REVEAL_MARKER}\n{}",
            drawn.text
        );
        return Ok(drawn);
    }
    Ok(run_setup(&parse(&p)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(backends: usize, requests: usize) -> Setup {
        Setup {
            backends,
            requests,
            tail: Tail::Bimodal { slow: 0.01, hiccup: 200.0 },
            hedge: Some(95.0),
            show: 3,
            seed: 1,
        }
    }

    /// Across 1,000 seeds the simulated share of requests that meet a slow call stays close to
    /// 1 − 0.99^N (within 4.5 standard errors of a binomial proportion).
    #[test]
    fn the_share_of_requests_that_meet_a_slow_call_matches_one_minus_099_to_the_n() {
        // One backend's p99, from a reference sample of its own (the distribution is the same
        // for every seed).
        let p99 = Single::new(setup(1, 1).tail, u64::MAX).quantile(0.99);
        for seed in 0..1000u64 {
            let n = [1, 5, 20, 100][(seed % 4) as usize];
            let s = Setup { seed, ..setup(n, 400) };
            let requests = simulate(&s, f64::INFINITY);
            let hit = requests.iter().filter(|r| r.calls.iter().any(|&c| c > p99)).count() as f64 / 400.0;
            let expect = 1.0 - 0.99f64.powi(n as i32);
            let se = (expect * (1.0 - expect) / 400.0).sqrt().max(0.005);
            assert!((hit - expect).abs() < 4.5 * se, "seed {seed} N {n}: {hit} vs {expect}");
        }
    }

    #[test]
    fn hedging_cuts_the_p99_for_a_few_percent_more_calls() {
        let s = setup(100, 2000);
        let d = run_setup(&s);
        d.figure.validate().unwrap();
        let single = Single::new(s.tail, 1);
        let delay = single.quantile(0.95);
        let requests = simulate(&s, delay);
        let mut plain: Vec<f64> = requests.iter().map(Request::plain).collect();
        let mut hedged: Vec<f64> = requests.iter().map(|r| r.hedged(delay)).collect();
        plain.sort_by(f64::total_cmp);
        hedged.sort_by(f64::total_cmp);
        assert!(percentile(&hedged, 99.0) * 3.0 < percentile(&plain, 99.0));
        let sent = requests.iter().flat_map(|r| &r.hedges).filter(|h| h.is_some()).count() as f64;
        assert!((0.04..0.06).contains(&(sent / 200_000.0)), "{sent}");
    }

    /// The page's "things to try": hedging helps a heavy (Pareto) tail less than a hiccup,
    /// and hedging at the p50 sends about half the calls twice.
    #[test]
    fn the_things_to_try_hold() {
        let p99_ratio = |tail: Tail| {
            let s = Setup { tail, ..setup(100, 1000) };
            let single = Single::new(tail, 1);
            let delay = single.quantile(0.95);
            let requests = simulate(&s, delay);
            let mut plain: Vec<f64> = requests.iter().map(Request::plain).collect();
            let mut hedged: Vec<f64> = requests.iter().map(|r| r.hedged(delay)).collect();
            plain.sort_by(f64::total_cmp);
            hedged.sort_by(f64::total_cmp);
            percentile(&plain, 99.0) / percentile(&hedged, 99.0)
        };
        let (bimodal, pareto) =
            (p99_ratio(Tail::Bimodal { slow: 0.01, hiccup: 200.0 }), p99_ratio(Tail::Pareto));
        assert!(pareto < 0.6 * bimodal, "pareto {pareto}, bimodal {bimodal}");
        let s = Setup { hedge: Some(50.0), ..setup(100, 500) };
        let delay = Single::new(s.tail, 1).quantile(0.5);
        let sent = simulate(&s, delay).iter().flat_map(|r| &r.hedges).filter(|h| h.is_some()).count() as f64;
        assert!((0.47..0.53).contains(&(sent / 50_000.0)), "{sent}");
    }

    #[test]
    fn every_mode_draws_and_inputs_are_checked() {
        for input in
            ["backends = 1\nhedge = off\n", "backends = 7\ntail = pareto\nshow = 6\n", "tail = exponential\n"]
        {
            run(input).unwrap().figure.validate().unwrap();
        }
        for seed in 0..20 {
            let p = run(&format!("mode = predict\nseed = {seed}\n")).unwrap();
            p.figure.validate().unwrap();
            assert!(p.text.contains(REVEAL_MARKER));
        }
        assert_eq!(run("backends = 0\n").unwrap_err().line, Some(1));
        assert_eq!(run("\nhedge = 10\n").unwrap_err().line, Some(2));
        assert!(run("backends = 1000\nrequests = 5000\n").unwrap_err().message.contains("limit"));
    }
}
