//! A retry storm, simulated: client → A → B → C, where C fails (fast errors, or slowly) for a
//! window. Every hop may retry, with or without exponential backoff and full jitter, under a
//! per-try timeout and an end-to-end deadline whose remaining budget is passed downstream; B
//! may guard C with a circuit breaker. C serves at most `capacity` calls per 100 ms and rejects
//! the rest at once, as an overloaded server that sheds load does. The run counts the calls
//! that reach C per 100 ms bucket (the amplification), the client's success per bucket, and
//! how long after C comes back the client is whole again. Seeded and deterministic; property
//! tests over many seeds check the bounds the page states.

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;
use crate::schedule::Schedule;

pub const EXAMPLE: Example = Example {
    id: "resilience::storm",
    title: "A retry storm: client → A → B → C while C fails",
    file: file!(),
    default_input: "# C fails from 1000 ms to 1800 ms: `errors` (fast) or `slow` (answers after 1,000 ms)\n\
                    failure = errors\nfail_from = 1000\nfail_until = 1800\n\
                    # a herd: this many extra requests arrive together at fail_from (a failover, a cron job)\n\
                    herd = 0\n\
                    # retries per hop (client→A, A→B, B→C), backoff none | exponential, jitter none | full\n\
                    retries = 2\nbackoff = none\njitter = none\n\
                    # retry at every hop, or at the edge (client→A) only; retry budget per hop (% of first tries, or off)\n\
                    retry_at = all\nbudget = off\n\
                    # per-try timeout and end-to-end deadline (ms or off); pass the budget downstream?\n\
                    try_timeout = 200\ndeadline = 1000\npropagate = yes\n\
                    # circuit breaker at B: consecutive failures to open (or off), open for ms\n\
                    breaker = off\nbreaker_open = 500\n\
                    # offered load (requests per 100 ms), C's capacity (calls per 100 ms, spent 10 ms at a time)\n\
                    # and what a rejection costs C (% of a served call)\n\
                    rate = 20\ncapacity = 60\nreject_cost = 0\nseed = 7\n",
    input_help: "`failure` = errors | slow; `fail_from`, `fail_until` (ms); `herd` (0–2000); `retries` \
                 (0–5); `backoff` = none | exponential; `jitter` = none | full; `retry_at` = all | edge; \
                 `budget` = PERCENT | off; `try_timeout`, `deadline` = MS | off; `propagate` = yes | no; \
                 `breaker` = N | off; `breaker_open` (ms); `rate`, `capacity` (per 100 ms); `reject_cost` \
                 (0–100 %); `seed`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

pub const PREDICT: Example = Example {
    id: "resilience::storm_predict",
    title: "How hard is C hit? (predict, then reveal)",
    file: file!(),
    default_input: "seed = 3\n",
    input_help: "`seed = N`: any number gives a new configuration",
    runs: Runs::Everywhere,
    run: Run::Drawn(predict),
};

/// The run lasts this long (ms), in buckets of [`BUCKET`] ms.
pub const DURATION: u64 = 3_000;
pub const BUCKET: u64 = 100;
/// One network hop, and C's service time when healthy (ms).
const HOP: u64 = 1;
const SERVICE: u64 = 5;
/// How late a slow C answers (ms).
const SLOW: u64 = 1_000;
/// C's capacity is spent in slots of this many ms (a server cannot bank idle time).
const SLOT: u64 = 10;
/// A retry budget's bucket holds at most this many retries (per hop).
const BUDGET_CAP: f64 = 10.0;
/// First retry's backoff, and its cap (ms).
const BASE_BACKOFF: u64 = 10;
const MAX_BACKOFF: u64 = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Errors,
    Slow,
}

// ANCHOR: config
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub failure: Failure,
    pub fail_from: u64,
    pub fail_until: u64,
    /// Extra requests arriving together at `fail_from`.
    pub herd: u64,
    /// Retries at each of the three hops: up to `retries + 1` tries per hop.
    pub retries: u32,
    pub exponential: bool,
    pub full_jitter: bool,
    /// Only the client retries (A and B fail fast and report).
    pub edge_only: bool,
    /// A retry budget per hop: each first try earns `budget`% of a retry, each retry spends one.
    pub budget: Option<u64>,
    pub try_timeout: Option<u64>,
    pub deadline: Option<u64>,
    /// A callee gets the caller's remaining budget (the try's end) as its own deadline.
    pub propagate: bool,
    /// Consecutive failures that open B's breaker, and how long it stays open.
    pub breaker: Option<u32>,
    pub breaker_open: u64,
    /// Client requests per bucket (Poisson arrivals) and C's capacity per bucket.
    pub rate: u64,
    pub capacity: u64,
    /// What rejecting a call costs C, in % of serving one.
    pub reject_cost: u64,
    pub seed: u64,
}

/// The wait before try number `tries + 1`: none, or `base × 2^(tries-1)` capped, and with
/// full jitter a uniform draw in `0..=that` (Brooker, "Exponential Backoff And Jitter").
pub fn backoff(c: &Config, tries: u32, rng: &mut Rng) -> u64 {
    if !c.exponential {
        return 0;
    }
    let ceiling = (BASE_BACKOFF << (tries - 1).min(20)).min(MAX_BACKOFF);
    if c.full_jitter { rng.range(0, ceiling) } else { ceiling }
}
// ANCHOR_END: config

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breaker {
    Closed { failures: u32 },
    Open { until: u64 },
    HalfOpen,
}

#[derive(Debug, Clone)]
struct Call {
    layer: usize,
    parent: Option<(usize, u64)>,
    tries: u32,
    token: u64,
    deadline: u64,
    done: bool,
    arrived: u64,
    probe: bool,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Arrive,
    /// One of the herd's requests (arrives without scheduling the next arrival).
    Herd,
    Try(usize),
    Result {
        call: usize,
        token: u64,
        ok: bool,
    },
    Timeout {
        call: usize,
        token: u64,
    },
}

/// What one run measured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    pub requests: u64,
    pub succeeded: u64,
    /// Calls that reached C, per bucket (by arrival at C).
    pub load: Vec<u64>,
    /// Client requests per bucket (by arrival) and how many of them succeeded.
    pub offered: Vec<u64>,
    pub ok: Vec<u64>,
    /// When B sent each call to C (ms), and the breaker's open intervals `[from, until)`, for a
    /// check independent of the breaker's code: no call may arrive inside one.
    pub c_arrivals: Vec<u64>,
    pub open_intervals: Vec<(u64, u64)>,
    pub probes: u64,
    /// Retries refused by the budget.
    pub budget_refused: u64,
    /// Client arrivals up to each C call never fewer than C calls so far, with retries off.
    pub max_c_ahead_of_arrivals: i64,
    /// The breaker's open and half-open intervals, for the drawing.
    pub open_spans: Vec<(u64, u64)>,
}

impl Outcome {
    pub fn c_calls(&self) -> u64 {
        self.load.iter().sum()
    }
    /// Calls that reached C strictly inside an interval when the breaker was open.
    pub fn calls_while_open(&self) -> usize {
        self.c_arrivals
            .iter()
            .filter(|&&t| self.open_intervals.iter().any(|&(from, until)| from < t && t < until))
            .count()
    }
    pub fn amplification(&self) -> f64 {
        self.c_calls() as f64 / self.requests.max(1) as f64
    }
    /// Peak calls on C in a bucket, over the offered rate.
    pub fn peak_multiplier(&self, c: &Config) -> f64 {
        *self.load.iter().max().unwrap_or(&0) as f64 / c.rate.max(1) as f64
    }
    /// Buckets (ms) after C comes back until every later bucket succeeds ≥ 95%; None if never.
    pub fn recovery(&self, c: &Config) -> Option<u64> {
        let first = (c.fail_until / BUCKET) as usize;
        let healthy = |b: usize| self.offered[b] == 0 || self.ok[b] * 100 >= self.offered[b] * 95;
        // The last bucket's late requests may still be under way: judge up to the one before.
        let last = self.offered.len() - 1;
        let recovered = (first..last).find(|&b| (b..last).all(healthy))?;
        Some((recovered as u64 * BUCKET).saturating_sub(c.fail_until))
    }
}

// ANCHOR: simulate
pub fn simulate(c: &Config) -> Outcome {
    let buckets = (DURATION / BUCKET) as usize;
    let mut out = Outcome {
        load: vec![0; buckets + 40],
        offered: vec![0; buckets],
        ok: vec![0; buckets],
        ..Outcome::default()
    };
    // One random stream per concern, so that turning jitter on does not change the arrivals.
    let mut rng = Rng::new(c.seed);
    let mut jitter_rng = Rng::new(c.seed ^ 0x6a09_e667_f3bc_c908);
    let mut tokens = [0.0f64; 3];
    let mut calls: Vec<Call> = Vec::new();
    let mut schedule = Schedule::new();
    let mut breaker = Breaker::Closed { failures: 0 };
    let mut opened_at = None;
    // C's work per slot, in hundredths of a served call.
    let mut work = vec![0u64; (DURATION / SLOT) as usize + 400];
    let mean_gap = BUCKET as f64 / c.rate.max(1) as f64;
    schedule.at(rng.exponential(mean_gap) as u64, Event::Arrive);
    for _ in 0..c.herd {
        schedule.at(c.fail_from, Event::Herd);
    }
    let failing = |t: u64| t >= c.fail_from && t < c.fail_until;

    while let Some((now, event)) = schedule.pop() {
        match event {
            Event::Arrive | Event::Herd => {
                if now >= DURATION {
                    continue;
                }
                let deadline = c.deadline.map_or(u64::MAX, |d| now + d);
                out.requests += 1;
                out.offered[(now / BUCKET) as usize] += 1;
                calls.push(Call {
                    layer: 0,
                    parent: None,
                    tries: 0,
                    token: 0,
                    deadline,
                    done: false,
                    arrived: now,
                    probe: false,
                });
                schedule.at(now, Event::Try(calls.len() - 1));
                if matches!(event, Event::Arrive) {
                    schedule.at(now + rng.exponential(mean_gap).round() as u64, Event::Arrive);
                }
            }
            Event::Try(id) => {
                if calls[id].done {
                    continue;
                }
                if now >= calls[id].deadline {
                    finish(&mut calls, &mut schedule, &mut out, id, now, false);
                    continue;
                }
                let call = &mut calls[id];
                if call.tries == 0 {
                    tokens[call.layer] =
                        (tokens[call.layer] + c.budget.unwrap_or(0) as f64 / 100.0).min(BUDGET_CAP);
                }
                call.tries += 1;
                call.token += 1;
                let token = call.token;
                let try_end = call.deadline.min(c.try_timeout.map_or(u64::MAX, |t| now + t));
                if try_end != u64::MAX && (call.layer < 2 || !answers_before(c, now, try_end)) {
                    schedule.at(try_end, Event::Timeout { call: id, token });
                }
                if call.layer < 2 {
                    // Call the next service, passing it the remaining budget, or nothing.
                    let deadline = if c.propagate { try_end } else { u64::MAX };
                    let arrived = call.arrived;
                    let layer = call.layer + 1;
                    calls.push(Call {
                        layer,
                        parent: Some((id, token)),
                        tries: 0,
                        token: 0,
                        deadline,
                        done: false,
                        arrived,
                        probe: false,
                    });
                    schedule.at(now + HOP, Event::Try(calls.len() - 1));
                    continue;
                }
                // B calls C, through its breaker.
                call.probe = false;
                if c.breaker.is_some() {
                    match breaker {
                        Breaker::Open { until } if now < until => {
                            schedule.at(now, Event::Result { call: id, token, ok: false });
                            continue;
                        }
                        Breaker::Open { .. } => {
                            breaker = Breaker::HalfOpen;
                            call.probe = true;
                            out.probes += 1;
                        }
                        Breaker::HalfOpen => {
                            schedule.at(now, Event::Result { call: id, token, ok: false });
                            continue;
                        }
                        Breaker::Closed { .. } => {}
                    }
                }
                let at_c = now + HOP;
                out.c_arrivals.push(now); // when B sent it
                let bucket = ((at_c / BUCKET) as usize).min(out.load.len() - 1);
                out.load[bucket] += 1;
                if c.retries == 0 {
                    let arrivals = out.requests as i64;
                    out.max_c_ahead_of_arrivals =
                        out.max_c_ahead_of_arrivals.max(out.c_calls() as i64 - arrivals);
                }
                // C serves up to capacity/10 calls per 10 ms slot; a rejection costs it too.
                let slot = ((at_c / SLOT) as usize).min(work.len() - 1);
                let (ok, answered) = if work[slot] + 100 > c.capacity * 100 * SLOT / BUCKET {
                    // Rejecting is work too (parse, log, answer): it is taken from the next
                    // slot with room, so a flood of rejections eats capacity for later calls.
                    let limit = c.capacity * 100 * SLOT / BUCKET;
                    let free = (slot..work.len().min(slot + 100)).find(|&k| work[k] < limit).unwrap_or(slot);
                    work[free] += c.reject_cost;
                    (false, at_c) // shed at once
                } else if failing(at_c) {
                    work[slot] += 100;
                    match c.failure {
                        Failure::Errors => (false, at_c),
                        Failure::Slow => (true, at_c + SLOW),
                    }
                } else {
                    work[slot] += 100;
                    (true, at_c + SERVICE)
                };
                schedule.at(answered + HOP, Event::Result { call: id, token, ok });
            }
            // A try ended: its answer came back, or its timer fired first (a failure).
            Event::Result { call: id, token, .. } | Event::Timeout { call: id, token } => {
                if calls[id].done || calls[id].token != token {
                    continue; // a late answer to a try its caller gave up on, or a stale timer
                }
                calls[id].token += 1;
                let ok = matches!(event, Event::Result { ok: true, .. });
                settle(
                    c,
                    &mut calls,
                    &mut schedule,
                    &mut out,
                    (&mut jitter_rng, &mut tokens),
                    (&mut breaker, &mut opened_at),
                    id,
                    now,
                    ok,
                );
            }
        }
    }
    // Still open at the end of the window the figure shows. The last calls drain after it, and
    // a breaker that opens only then has no span in that window.
    if let Some(from) = opened_at.filter(|&from| from < DURATION) {
        out.open_spans.push((from, DURATION));
    }
    out
}

/// Whether a call to C made at `now` is surely answered before `try_end` (a fast error or a
/// healthy answer, or a fail-fast by the breaker): then its timer would find nothing to do, and
/// is not scheduled, which keeps the schedule short.
fn answers_before(c: &Config, now: u64, try_end: u64) -> bool {
    let slowest = if c.failure == Failure::Slow && now + HOP + SLOW >= c.fail_from { SLOW } else { SERVICE };
    now + 2 * HOP + slowest < try_end
}

/// A try of call `id` ended with `ok`: the breaker learns of it, and the call succeeds,
/// retries after its backoff, or fails upward.
#[allow(clippy::too_many_arguments)]
fn settle(
    c: &Config,
    calls: &mut [Call],
    schedule: &mut Schedule<Event>,
    out: &mut Outcome,
    (rng, tokens): (&mut Rng, &mut [f64; 3]),
    (breaker, opened_at): (&mut Breaker, &mut Option<u64>),
    id: usize,
    now: u64,
    ok: bool,
) {
    if let (2, Some(threshold)) = (calls[id].layer, c.breaker) {
        let next = match (*breaker, calls[id].probe, ok) {
            (Breaker::HalfOpen, true, true) => Breaker::Closed { failures: 0 },
            (Breaker::HalfOpen, true, false) => Breaker::Open { until: now + c.breaker_open },
            (Breaker::Closed { .. }, _, true) => Breaker::Closed { failures: 0 },
            (Breaker::Closed { failures }, _, false) if failures + 1 >= threshold => {
                Breaker::Open { until: now + c.breaker_open }
            }
            (Breaker::Closed { failures }, _, false) => Breaker::Closed { failures: failures + 1 },
            (state, _, _) => state,
        };
        if let (Breaker::Open { until }, false) = (next, matches!(*breaker, Breaker::Open { .. })) {
            out.open_intervals.push((now, until));
        }
        match (opened_at.is_some(), next) {
            (false, Breaker::Open { .. }) => *opened_at = Some(now),
            (true, Breaker::Closed { .. }) => out.open_spans.push((opened_at.take().unwrap(), now)),
            _ => {}
        }
        *breaker = next;
    }
    if ok {
        finish(calls, schedule, out, id, now, true);
    } else if calls[id].tries <= c.retries
        && now < calls[id].deadline
        && (!c.edge_only || calls[id].layer == 0)
        && (c.budget.is_none() || take_token(&mut tokens[calls[id].layer], out))
    {
        let wait = backoff(c, calls[id].tries, rng);
        schedule.at(now + wait, Event::Try(id));
    } else {
        finish(calls, schedule, out, id, now, false);
    }
}

/// A retry under a budget spends one token, if there is one.
fn take_token(tokens: &mut f64, out: &mut Outcome) -> bool {
    if *tokens >= 1.0 {
        *tokens -= 1.0;
        true
    } else {
        out.budget_refused += 1;
        false
    }
}

fn finish(
    calls: &mut [Call],
    schedule: &mut Schedule<Event>,
    out: &mut Outcome,
    id: usize,
    now: u64,
    ok: bool,
) {
    calls[id].done = true;
    match calls[id].parent {
        Some((parent, token)) => schedule.at(now + HOP, Event::Result { call: parent, token, ok }),
        None if ok => {
            out.succeeded += 1;
            out.ok[(calls[id].arrived / BUCKET) as usize] += 1;
        }
        None => {}
    }
}
// ANCHOR_END: simulate

fn off_or_number(params: &Params, key: &str, default: Option<u64>) -> Result<Option<u64>, InputError> {
    match params.one(key)? {
        None => Ok(default),
        Some(entry) if entry.value == "off" => Ok(None),
        Some(entry) => entry.number(1, 100_000).map(Some),
    }
}

pub fn parse(input: &str) -> Result<Config, InputError> {
    let params = Params::parse(
        input,
        &[
            "failure",
            "fail_from",
            "fail_until",
            "herd",
            "retries",
            "backoff",
            "jitter",
            "retry_at",
            "budget",
            "try_timeout",
            "deadline",
            "propagate",
            "breaker",
            "breaker_open",
            "rate",
            "capacity",
            "reject_cost",
            "seed",
        ],
    )?;
    let fail_from = params.number_or("fail_from", 0, DURATION, 1000)?;
    let fail_until = params.number_or("fail_until", fail_from, DURATION, 1800.max(fail_from))?;
    Ok(Config {
        failure: if params.choice_or("failure", &["errors", "slow"], "errors")? == "slow" {
            Failure::Slow
        } else {
            Failure::Errors
        },
        fail_from,
        fail_until,
        herd: params.number_or("herd", 0, 2000, 0)?,
        retries: params.number_or("retries", 0, 5, 2)?,
        exponential: params.choice_or("backoff", &["none", "exponential"], "none")? == "exponential",
        full_jitter: params.choice_or("jitter", &["none", "full"], "none")? == "full",
        edge_only: params.choice_or("retry_at", &["all", "edge"], "all")? == "edge",
        budget: match params.one("budget")? {
            None => None,
            Some(entry) if entry.value == "off" => None,
            Some(entry) => Some(crate::input::parse_number(
                entry.value.trim_end_matches('%').trim(),
                entry.line,
                0,
                100,
            )?),
        },
        try_timeout: off_or_number(&params, "try_timeout", Some(200))?,
        deadline: off_or_number(&params, "deadline", Some(1000))?,
        propagate: params.choice_or("propagate", &["yes", "no"], "yes")? == "yes",
        breaker: off_or_number(&params, "breaker", None)?.map(|n| n.min(1000) as u32),
        breaker_open: params.number_or("breaker_open", 1, 10_000, 500)?,
        rate: params.number_or("rate", 1, 100, 20)?,
        capacity: params.number_or("capacity", 1, 10_000, 60)?,
        reject_cost: params.number_or("reject_cost", 0, 100, 0)?,
        seed: params.number_or("seed", 0, u64::MAX, 7)?,
    })
}

fn describe(c: &Config) -> String {
    let ms = |t: Option<u64>| t.map_or("off".to_string(), |t| format!("{t} ms"));
    format!(
        "C fails ({}) from {} to {} ms{}; {} retries per hop{} (up to {} calls on C per request){}, backoff {}{}; \
         try timeout {}, deadline {}{}; breaker {}; {} requests and C's capacity {} calls per 100 ms \
         (a rejection costs {}% of a call).\n",
        if c.failure == Failure::Errors { "fast errors" } else { "slow answers" },
        c.fail_from,
        c.fail_until,
        if c.herd > 0 {
            format!(", and {} extra requests arrive together at {} ms", c.herd, c.fail_from)
        } else {
            String::new()
        },
        c.retries,
        if c.edge_only { " at the edge only" } else { "" },
        if c.edge_only { c.retries as u64 + 1 } else { (c.retries as u64 + 1).pow(3) },
        c.budget.map_or(String::new(), |b| format!(", retry budget {b}% per hop")),
        if c.exponential { "exponential" } else { "none" },
        if c.exponential && c.full_jitter { " with full jitter" } else { "" },
        ms(c.try_timeout),
        ms(c.deadline),
        if c.propagate { ", budget passed downstream" } else { ", budget not passed on" },
        c.breaker
            .map_or("off".to_string(), |n| format!("opens after {n} failures for {} ms", c.breaker_open)),
        c.rate,
        c.capacity,
        c.reject_cost,
    )
}

fn report(c: &Config, o: &Outcome) -> String {
    let baseline = o.load[..(c.fail_from / BUCKET) as usize].iter().max().copied().unwrap_or(0);
    let mut text = format!(
        "client requests: {}, succeeded: {} ({:.1}%)\ncalls on C: {} (amplification {:.2}x)\n\
         peak load on C: {} calls in 100 ms ({:.1}x the average offered {}; busiest before the failure: {})\n",
        o.requests,
        o.succeeded,
        o.succeeded as f64 * 100.0 / o.requests.max(1) as f64,
        o.c_calls(),
        o.amplification(),
        o.load.iter().max().unwrap_or(&0),
        o.peak_multiplier(c),
        c.rate,
        baseline,
    );
    text.push_str(&match o.recovery(c) {
        Some(0) => "recovery: the client is whole from the first bucket after C comes back\n".to_string(),
        Some(ms) => format!("recovery: {ms} ms after C comes back the client is whole (>= 95% per bucket)\n"),
        None => "recovery: not within the run\n".to_string(),
    });
    if c.breaker.is_some() {
        text.push_str(&format!(
            "breaker: opened {} times, {} half-open probes reached C, calls that reached C while it was open: {}\n",
            o.open_intervals.len(),
            o.probes,
            o.calls_while_open()
        ));
    }
    if c.budget.is_some() {
        text.push_str(&format!("retry budget: {} retries refused\n", o.budget_refused));
    }
    text
}

fn figure(c: &Config, o: &Outcome) -> Figure {
    let buckets = (DURATION / BUCKET) as usize;
    let span = |b: usize, label: String, kind| Span {
        start: (b as u64 * BUCKET) as f64,
        end: ((b as u64 + 1) * BUCKET) as f64,
        label,
        kind,
    };
    let mut lanes = vec![Lane {
        name: "C".into(),
        spans: vec![
            Span { start: 0.0, end: c.fail_from as f64, label: "healthy".into(), kind: SpanKind::Busy },
            Span {
                start: c.fail_from as f64,
                end: c.fail_until as f64,
                label: if c.failure == Failure::Errors { "failing".into() } else { "slow".into() },
                kind: SpanKind::Lost,
            },
            Span {
                start: c.fail_until as f64,
                end: DURATION as f64,
                label: "healthy".into(),
                kind: SpanKind::Busy,
            },
        ],
    }];
    lanes.push(Lane {
        name: "calls on C / 100 ms".into(),
        spans: (0..buckets)
            .map(|b| {
                let kind = if o.load[b] > c.capacity {
                    SpanKind::Lost
                } else if o.load[b] > c.rate * 3 / 2 {
                    SpanKind::Overhead
                } else {
                    SpanKind::Busy
                };
                span(b, o.load[b].to_string(), kind)
            })
            .collect(),
    });
    lanes.push(Lane {
        name: "client success".into(),
        spans: (0..buckets)
            .map(|b| {
                let pct = (o.ok[b] * 100).checked_div(o.offered[b]).unwrap_or(100);
                let kind = match pct {
                    95.. => SpanKind::Busy,
                    50..95 => SpanKind::Wait,
                    _ => SpanKind::Lost,
                };
                span(b, format!("{pct}%"), kind)
            })
            .collect(),
    });
    if c.breaker.is_some() {
        lanes.push(Lane {
            name: "breaker at B".into(),
            spans: o
                .open_spans
                .iter()
                .map(|&(from, to)| Span {
                    start: from as f64,
                    end: to as f64,
                    label: "open".into(),
                    kind: SpanKind::Wait,
                })
                .collect(),
        });
    }
    let steps = Step::at_span_starts(&lanes, "ms");
    Figure::Timeline {
        title: "Load on C and the client's success, per 100 ms".into(),
        unit: "ms".into(),
        lanes,
        steps,
    }
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let c = parse(input)?;
    let o = simulate(&c);
    Ok(Drawn { text: format!("{}{}", describe(&c), report(&c, &o)), figure: figure(&c, &o) })
}

// ANCHOR: predict
/// A configuration drawn from `seed`: which retries, backoff, timeouts and breaker.
pub fn generated(seed: u64) -> Config {
    let mut rng = Rng::new(seed);
    Config {
        failure: if rng.chance(0.5) { Failure::Errors } else { Failure::Slow },
        fail_from: 1000,
        fail_until: 1800,
        herd: 0,
        retries: rng.range(0, 3) as u32,
        exponential: rng.chance(0.5),
        full_jitter: rng.chance(0.5),
        edge_only: false,
        budget: None,
        try_timeout: Some([100, 200, 400][rng.range(0, 2) as usize]),
        deadline: if rng.chance(0.5) { Some(1000) } else { None },
        propagate: true,
        breaker: rng.chance(0.4).then_some(5),
        breaker_open: 500,
        rate: 20,
        capacity: 60,
        reject_cost: 10,
        seed: rng.next_u64(),
    }
}
// ANCHOR_END: predict

fn predict(input: &str) -> Result<Drawn, InputError> {
    let params = Params::parse(input, &["seed"])?;
    let c = generated(params.number_or("seed", 0, u64::MAX, 3)?);
    let o = simulate(&c);
    let mut text = describe(&c);
    text.push_str(
        "Predict: how many times the offered load does C see in its worst 100 ms (1x, about 3x, 10x or more)? \
         And does the client recover as soon as C does?\n",
    );
    text.push_str(REVEAL_MARKER);
    text.push('\n');
    text.push_str(&report(&c, &o));
    Ok(Drawn { text, figure: figure(&c, &o) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_config() -> Config {
        parse(EXAMPLE.default_input).unwrap()
    }

    #[test]
    fn the_default_storm_amplifies_and_backoff_with_a_breaker_calms_it() {
        let storm = simulate(&default_config());
        assert!(storm.peak_multiplier(&default_config()) >= 3.0, "{storm:?}");
        let calm = Config { exponential: true, full_jitter: true, breaker: Some(5), ..default_config() };
        let calmed = simulate(&calm);
        assert!(calmed.c_calls() < storm.c_calls() / 2);
        assert_eq!(calmed.calls_while_open(), 0);
        assert!(!calmed.open_intervals.is_empty() && !calmed.c_arrivals.is_empty());
    }

    fn random_config(seed: u64) -> Config {
        let mut rng = Rng::new(seed ^ 0x5eed);
        Config {
            failure: if rng.chance(0.5) { Failure::Errors } else { Failure::Slow },
            fail_from: rng.range(0, 1500),
            fail_until: rng.range(1500, 3000),
            herd: if rng.chance(0.1) { rng.range(0, 100) } else { 0 },
            retries: rng.range(0, 3) as u32,
            exponential: rng.chance(0.5),
            full_jitter: rng.chance(0.5),
            edge_only: rng.chance(0.2),
            budget: rng.chance(0.3).then(|| rng.range(0, 30)),
            try_timeout: rng.chance(0.7).then(|| rng.range(20, 500)),
            deadline: rng.chance(0.5).then(|| rng.range(50, 1500)),
            propagate: rng.chance(0.7),
            breaker: rng.chance(0.5).then(|| rng.range(1, 10) as u32),
            breaker_open: rng.range(50, 1000),
            rate: rng.range(1, 4),
            capacity: rng.range(1, 40),
            reject_cost: rng.range(0, 100),
            seed,
        }
    }

    #[test]
    fn bounds_hold_over_many_seeds() {
        for seed in 0..600 {
            let c = random_config(seed);
            let o = simulate(&c);
            let per_request = (c.retries as u64 + 1).pow(3);
            assert!(o.c_calls() <= o.requests * per_request, "seed {seed}: {c:?}");
            if c.retries == 0 {
                assert!(o.c_calls() <= o.requests, "seed {seed}");
                assert!(o.max_c_ahead_of_arrivals <= 0, "seed {seed}");
            }
            assert_eq!(o.calls_while_open(), 0, "seed {seed}: a call reached C while the breaker was open");
            if c.edge_only {
                assert!(o.c_calls() <= (o.requests) * (c.retries as u64 + 1), "seed {seed}");
            }
            if let Some(b) = c.budget {
                // Each hop's tries are at most its first tries × (1 + budget) plus the bucket's
                // cap: the bound multiplies per hop, as the page says.
                let per_hop = |calls: f64| calls * (1.0 + b as f64 / 100.0) + BUDGET_CAP;
                let bound = per_hop(per_hop(per_hop(o.requests as f64)));
                assert!(o.c_calls() as f64 <= bound, "seed {seed}: {} > {bound}", o.c_calls());
            }
            if c.breaker.is_none() {
                assert_eq!(o.probes, 0);
            }
            assert!(o.succeeded <= o.requests);
        }
    }

    #[test]
    fn jitter_does_not_change_the_arrivals_and_the_budget_multiplies_per_hop() {
        let plain = Config { exponential: true, ..default_config() };
        let jittered = Config { full_jitter: true, ..plain.clone() };
        assert_eq!(simulate(&plain).requests, simulate(&jittered).requests);
        let budget = simulate(&Config { budget: Some(10), ..default_config() });
        let edge = simulate(&Config { budget: Some(10), edge_only: true, ..default_config() });
        assert!(edge.amplification() < budget.amplification() && budget.amplification() < 1.5);
        // A herd with costly rejections tips C into a state it does not leave (metastable);
        // a retry budget keeps it out.
        let herd = Config {
            fail_until: 1000,
            herd: 200,
            exponential: true,
            full_jitter: true,
            reject_cost: 10,
            ..default_config()
        };
        assert_eq!(simulate(&herd).recovery(&herd), None);
        let budgeted = Config { budget: Some(10), ..herd };
        assert!(simulate(&budgeted).recovery(&budgeted).is_some());
    }

    #[test]
    fn the_same_seed_gives_the_same_run_and_figures_validate() {
        for seed in 0..6 {
            let c = generated(seed);
            let o = simulate(&c);
            assert_eq!(o, simulate(&c));
            figure(&c, &o).validate().unwrap();
        }
        let drawn = predict("seed = 3\n").unwrap();
        let (question, answer) = drawn.text.split_once(REVEAL_MARKER).unwrap();
        assert!(!question.contains("peak load") && answer.contains("peak load"));
        // Seed 33's breaker opens while the last calls drain, after the figure's window; the
        // wasm fuzz run found its span ending before it started.
        predict("seed = 33\n").unwrap().figure.validate().unwrap();
    }

    #[test]
    fn bad_input_names_its_line() {
        let error = parse("retries = 2\nbackoff = linear\n").unwrap_err();
        assert_eq!(error.line, Some(2));
    }
}
