//! The engine behind the chapter's simulations: application instances, each with a pool of
//! database connections, in front of a database with a few CPU cores.
//!
//! Requests arrive as a Poisson stream whose rate follows a load curve (piecewise constant).
//! Each request needs one connection from its instance's pool: an idle one (the most recently
//! returned first), else a new one while the pool is below its size and the database below its
//! `max_connections`, else it waits in line (first come, first served) for at most the acquire
//! timeout. A new connection first costs the database `connect_ms` of CPU (the backend process
//! being forked and the session set up).
//!
//! A checked-out connection runs its query: `cpu_ms` of CPU work, then `io_ms` of waiting that
//! needs no CPU (reads from disk, a lock, the network), then the application keeps the
//! connection for `hold_ms` more (an open transaction around other work) before it returns it.
//!
//! The database is `cores` cores shared equally by the queries in their CPU phase (processor
//! sharing). Every query in its CPU phase beyond the number of cores slows all CPU work down by
//! `contention` (0.03 = 3 % more CPU per unit of work for each one): an illustrative stand-in for
//! the lock and latch traffic, context switches and cache misses of backends competing for the
//! cores. A query waiting on I/O competes for no core and adds nothing. That term is what makes
//! throughput fall again when a pool is too big; with `contention = 0` throughput only flattens
//! past saturation while latency grows (the linear, "contention" term of Gunther's Universal
//! Scalability Law has the same effect).
//!
//! The run is exact event by event (arrivals, CPU completions, the ends of waits and holds,
//! acquire timeouts), so two runs with the same seed agree on every number, natively and in
//! WebAssembly (the random numbers go through [`crate::rng::ln`], not the platform's `ln`).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::Figure;
use crate::figure::{Lane, Span, SpanKind, Step};
use crate::registry::InputError;
use crate::rng::Rng;

/// How service times vary around their means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dist {
    /// Memoryless (exponential): many short ones, some several times the mean.
    Exponential,
    /// Every request exactly the mean.
    Fixed,
    /// 95 % of requests at 0.526 × the mean, 5 % at 10 × the mean (a few slow queries).
    Bimodal,
}

impl Dist {
    pub const NAMES: [&'static str; 3] = ["exponential", "fixed", "bimodal"];

    pub fn parse(name: &str) -> Dist {
        match name {
            "fixed" => Dist::Fixed,
            "bimodal" => Dist::Bimodal,
            _ => Dist::Exponential,
        }
    }

    /// A factor with mean 1.
    fn draw(self, rng: &mut Rng) -> f64 {
        match self {
            Dist::Exponential => rng.exponential(1.0),
            Dist::Fixed => 1.0,
            Dist::Bimodal => {
                if rng.chance(0.05) {
                    10.0
                } else {
                    0.5 / 0.95
                }
            }
        }
    }
}

/// Everything a run depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub seed: u64,
    /// Database CPU cores.
    pub cores: u32,
    /// Connections per pool (per application instance).
    pub pool: u32,
    /// Application instances, each with its own pool; requests are spread evenly at random.
    pub instances: u32,
    /// The database's connection limit; a connection beyond it is refused.
    pub max_connections: u32,
    /// How long a request waits for a connection before it fails; `None`: forever.
    pub acquire_timeout_ms: Option<f64>,
    pub cpu_ms: f64,
    pub io_ms: f64,
    pub hold_ms: f64,
    /// CPU the database spends opening a connection.
    pub connect_ms: f64,
    pub dist: Dist,
    pub contention: f64,
    /// The load curve: from each start time (ms), this many requests per second.
    pub load: Vec<(f64, f64)>,
    pub duration_ms: f64,
}

/// One request of the stream, and what its run did with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    pub arrival: f64,
    pub instance: usize,
    /// CPU work of its query (core-ms), I/O wait (ms), and hold time after the query (ms).
    pub cpu: f64,
    pub io: f64,
    pub hold: f64,
}

/// What happened to one request.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Fate {
    /// When it got a connection, and which (an index into [`Run::conn_instance`]).
    pub acquired: Option<(f64, usize)>,
    /// Whether it had to open that connection (and so paid `connect_ms`).
    pub opened: bool,
    pub cpu_end: f64,
    pub io_end: f64,
    /// When it gave its connection back.
    pub done: Option<f64>,
    pub timed_out: Option<f64>,
    pub refused: Option<f64>,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Run {
    pub fates: Vec<Fate>,
    /// The instance of each connection opened, in the order they were opened.
    pub conn_instance: Vec<usize>,
    /// When the last event happened.
    pub end: f64,
    /// Per segment of the load curve (and one more after its end, while the queues drain):
    /// time-weighted areas.
    pub segments: Vec<Areas>,
}

/// Integrals over time (value × ms) within one segment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Areas {
    pub from: f64,
    pub to: f64,
    /// Connections checked out.
    pub in_use: f64,
    /// Requests waiting for a connection.
    pub waiting: f64,
    /// Cores busy (with useful work or with contention overhead).
    pub cores_busy: f64,
    /// Useful CPU work done (core-ms of the requests' own work).
    pub useful: f64,
    pub max_waiting: usize,
}

/// The request stream for `config` (the same for every pool size, so a sweep compares like
/// with like).
pub fn requests(config: &Config) -> Vec<Request> {
    let mut rng = Rng::new(config.seed);
    let mut out = Vec::new();
    for (i, &(start, rate)) in config.load.iter().enumerate() {
        let end = config.load.get(i + 1).map_or(config.duration_ms, |next| next.0);
        if rate <= 0.0 {
            continue;
        }
        let mut t = start;
        loop {
            t += rng.exponential(1000.0 / rate);
            if t >= end {
                break;
            }
            let instance = rng.range(0, u64::from(config.instances) - 1) as usize;
            let f = config.dist.draw(&mut rng);
            let g = config.dist.draw(&mut rng);
            out.push(Request {
                arrival: t,
                instance,
                cpu: config.cpu_ms * f,
                io: config.io_ms * f,
                hold: config.hold_ms * g,
            });
        }
    }
    out
}

/// The expected number of requests of `config`'s load curve.
pub fn expected_requests(config: &Config) -> f64 {
    config
        .load
        .iter()
        .enumerate()
        .map(|(i, &(start, rate))| {
            let end = config.load.get(i + 1).map_or(config.duration_ms, |next| next.0);
            rate * (end - start) / 1000.0
        })
        .sum()
}

/// A time (or virtual time) ≥ 0 as a key that sorts like the number.
fn key(t: f64) -> u64 {
    debug_assert!(t >= 0.0);
    t.max(0.0).to_bits()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    /// The end of a connection's I/O phase (rank 0: ends of work come first at one instant).
    IoEnd(usize),
    HoldEnd(usize),
    /// A waiting request's acquire deadline.
    Deadline(usize),
    /// A boundary of the load curve, where the areas switch segment.
    Boundary,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Idle,
    Cpu,
    Io,
    Hold,
}

// ANCHOR: engine
/// Runs the stream `requests` against pools of `config.pool` connections.
pub fn simulate(config: &Config, requests: &[Request]) -> Run {
    let n = requests.len();
    let instances = config.instances as usize;
    let mut fates = vec![Fate::default(); n];
    let mut conn_instance: Vec<usize> = Vec::new();
    let mut conn_phase: Vec<Phase> = Vec::new();
    let mut conn_request: Vec<usize> = Vec::new();
    let mut idle: Vec<Vec<usize>> = vec![Vec::new(); instances]; // LIFO per instance
    let mut line: Vec<VecDeque<usize>> = vec![VecDeque::new(); instances];
    let mut waiting = vec![false; n];
    let (mut waiting_now, mut in_use) = (0usize, 0usize);
    // Processor sharing on a virtual clock: every query in its CPU phase gets the same amount
    // of work done per ms, so each finishes when the clock reaches its start value plus its work.
    let mut virtual_now = 0.0f64;
    let mut cpu_jobs: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
    let mut timers: BinaryHeap<Reverse<(u64, Timer)>> = BinaryHeap::new();
    let mut in_cpu = 0usize;
    let cores = f64::from(config.cores);
    // The work each CPU-phase query gets done per ms: an equal share of the cores, slowed down
    // by the contention of the queries in their CPU phase beyond the number of cores.
    let speed = |in_cpu: usize| -> f64 {
        if in_cpu == 0 {
            return 0.0;
        }
        let share = (cores / in_cpu as f64).min(1.0);
        let crowd = (in_cpu as f64 - cores).max(0.0);
        share / (1.0 + config.contention * crowd)
    };

    let mut boundaries: Vec<f64> = config.load.iter().map(|l| l.0).filter(|&t| t > 0.0).collect();
    boundaries.push(config.duration_ms);
    for &b in &boundaries {
        timers.push(Reverse((key(b), Timer::Boundary)));
    }
    let mut segments: Vec<Areas> = Vec::new();
    let mut from = 0.0;
    for &b in &boundaries {
        segments.push(Areas { from, to: b, ..Areas::default() });
        from = b;
    }
    segments.push(Areas { from, to: from, ..Areas::default() }); // draining, after the curve
    let mut segment = 0usize;

    let mut pool_sizes = vec![0usize; instances];
    let (mut now, mut next_arrival, mut last_event) = (0.0f64, 0usize, 0.0f64);
    let budget = 12 * n + 4 * boundaries.len() + 16;
    for _ in 0..budget {
        let speed_now = speed(in_cpu);
        // The next event of each kind; ties go to CPU completions, then timers, then arrivals.
        let cpu_at =
            cpu_jobs.peek().map(|Reverse((v, _))| now + (f64::from_bits(*v) - virtual_now) / speed_now);
        let timer_at = timers.peek().map(|Reverse((t, _))| f64::from_bits(*t));
        let arrival_at = requests.get(next_arrival).map(|r| r.arrival);
        let next = [cpu_at, timer_at, arrival_at].into_iter().flatten().fold(f64::INFINITY, f64::min);
        if next == f64::INFINITY {
            break;
        }
        // Time passes: integrate, and let the CPU work advance.
        let dt = (next - now).max(0.0);
        let area = &mut segments[segment];
        area.in_use += in_use as f64 * dt;
        area.waiting += waiting_now as f64 * dt;
        area.cores_busy += (in_cpu as f64).min(cores) * dt;
        area.useful += in_cpu as f64 * speed_now * dt;
        virtual_now += speed_now * dt;
        now = next;

        if cpu_at == Some(next) {
            // A query's CPU work is done: on to its I/O phase (possibly of length 0).
            let Reverse((v, c)) = cpu_jobs.pop().expect("peeked");
            virtual_now = virtual_now.max(f64::from_bits(v));
            let r = conn_request[c];
            fates[r].cpu_end = now;
            in_cpu -= 1;
            conn_phase[c] = Phase::Io;
            timers.push(Reverse((key(now + requests[r].io), Timer::IoEnd(c))));
            last_event = now;
            continue;
        }
        if timer_at == Some(next) {
            let Reverse((_, timer)) = timers.pop().expect("peeked");
            match timer {
                Timer::IoEnd(c) => {
                    last_event = now;
                    let r = conn_request[c];
                    fates[r].io_end = now;
                    conn_phase[c] = Phase::Hold;
                    timers.push(Reverse((key(now + requests[r].hold), Timer::HoldEnd(c))));
                }
                Timer::HoldEnd(c) => {
                    // The request is done; the connection goes to the first in line, or back.
                    last_event = now;
                    let r = conn_request[c];
                    fates[r].done = Some(now);
                    in_use -= 1;
                    conn_phase[c] = Phase::Idle;
                    let i = conn_instance[c];
                    while let Some(q) = line[i].pop_front() {
                        if waiting[q] {
                            waiting[q] = false;
                            waiting_now -= 1;
                            start(q, c, false, now, &mut fates, &mut conn_request, &mut conn_phase);
                            in_use += 1;
                            in_cpu += 1;
                            cpu_jobs.push(Reverse((key(virtual_now + requests[q].cpu), c)));
                            break;
                        }
                    }
                    if conn_phase[c] == Phase::Idle {
                        idle[i].push(c);
                    }
                }
                Timer::Deadline(q) => {
                    if waiting[q] {
                        waiting[q] = false;
                        waiting_now -= 1;
                        fates[q].timed_out = Some(now);
                        last_event = now;
                    }
                }
                Timer::Boundary => segment = (segment + 1).min(segments.len() - 1),
            }
            continue;
        }
        // An arrival.
        let q = next_arrival;
        next_arrival += 1;
        last_event = now;
        let i = requests[q].instance;
        let opened = conn_instance.len();
        // Nobody waits while the pool can still grow: a request waits only when it is full.
        let (conn, fresh) = if let Some(c) = idle[i].pop() {
            (Some(c), false)
        } else if pool_sizes[i] < config.pool as usize {
            if opened < config.max_connections as usize {
                pool_sizes[i] += 1;
                conn_instance.push(i);
                conn_phase.push(Phase::Idle);
                conn_request.push(q);
                (Some(opened), true)
            } else {
                fates[q].refused = Some(now); // at the limit: SQLSTATE 53300
                continue;
            }
        } else {
            (None, false)
        };
        match conn {
            Some(c) => {
                start(q, c, fresh, now, &mut fates, &mut conn_request, &mut conn_phase);
                in_use += 1;
                in_cpu += 1;
                let work = requests[q].cpu + if fresh { config.connect_ms } else { 0.0 };
                cpu_jobs.push(Reverse((key(virtual_now + work), c)));
            }
            None => {
                waiting[q] = true;
                waiting_now += 1;
                line[i].push_back(q);
                let area = &mut segments[segment];
                area.max_waiting = area.max_waiting.max(waiting_now);
                if let Some(timeout) = config.acquire_timeout_ms {
                    timers.push(Reverse((key(now + timeout), Timer::Deadline(q))));
                }
            }
        }
    }
    // Deadlines of requests served in time still fire afterwards, as no-ops: the run ends at
    // its last real event.
    let last = segments.len() - 1;
    segments[last].to = segments[last].to.max(last_event);
    Run { fates, conn_instance, end: last_event.max(config.duration_ms), segments }
}
// ANCHOR_END: engine

fn start(
    q: usize,
    c: usize,
    fresh: bool,
    now: f64,
    fates: &mut [Fate],
    conn_request: &mut [usize],
    conn_phase: &mut [Phase],
) {
    fates[q].acquired = Some((now, c));
    fates[q].opened = fresh;
    conn_request[c] = q;
    conn_phase[c] = Phase::Cpu;
}

/// The headline numbers of a run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    pub arrived: usize,
    pub served: usize,
    pub timed_out: usize,
    pub refused: usize,
    /// Latency of the served requests (arrival to connection returned), nearest rank.
    pub p50: f64,
    pub p99: f64,
    /// Requests served per second during the busiest segment of the load curve.
    pub peak_served_per_s: f64,
    /// Connections opened against the database.
    pub opened: usize,
    /// Of the cores' time during the busiest segment: busy, and busy with useful work.
    pub busy: f64,
    pub useful: f64,
}

/// The value at nearest rank `p` (0 < p ≤ 1) of sorted `values`; 0 when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Latencies of the served requests among `which`, sorted.
fn latencies(requests: &[Request], run: &Run, which: impl Fn(usize) -> bool) -> Vec<f64> {
    let mut out: Vec<f64> = (0..requests.len())
        .filter(|&i| which(i))
        .filter_map(|i| run.fates[i].done.map(|d| d - requests[i].arrival))
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

pub fn summarize(config: &Config, requests: &[Request], run: &Run) -> Summary {
    let count = |f: &dyn Fn(&Fate) -> bool| run.fates.iter().filter(|x| f(x)).count();
    let all = latencies(requests, run, |_| true);
    // The busiest segment of the load curve (the highest rate; the first of equals).
    let busiest = (0..config.load.len())
        .fold(0, |best, i| if config.load[i].1 > config.load[best].1 { i } else { best });
    let peak = run.segments[busiest];
    let len = peak.to - peak.from;
    let served = run.fates.iter().filter(|f| f.done.is_some_and(|d| d >= peak.from && d < peak.to)).count();
    let cores_time = f64::from(config.cores) * len;
    Summary {
        arrived: requests.len(),
        served: count(&|f| f.done.is_some()),
        timed_out: count(&|f| f.timed_out.is_some()),
        refused: count(&|f| f.refused.is_some()),
        p50: percentile(&all, 0.5),
        p99: percentile(&all, 0.99),
        peak_served_per_s: served as f64 * 1000.0 / len,
        opened: run.conn_instance.len(),
        busy: peak.cores_busy / cores_time,
        useful: peak.useful / cores_time,
    }
}

/// The run segment by segment of the load curve: what arrived, what became of it, and what
/// the pool and the database were doing.
pub fn segment_table(config: &Config, requests: &[Request], run: &Run) -> String {
    let mut out = format!(
        "{:<16} {:>7} {:>7} {:>8} {:>7} {:>7} {:>8} {:>8} {:>10} {:>9}\n",
        "load (from ms)",
        "arrived",
        "served",
        "timeout",
        "refused",
        "p50 ms",
        "p99 ms",
        "in use",
        "waiting",
        "CPU busy"
    );
    let cores = f64::from(config.cores);
    for (k, s) in run.segments.iter().enumerate() {
        let len = s.to - s.from;
        let last = k + 1 == run.segments.len();
        // After the curve nothing arrives; show that time only if requests were still waiting.
        if last && s.waiting <= 0.0 {
            continue;
        }
        let label = match config.load.iter().find(|l| l.0 == s.from) {
            Some(&(from, rate)) if !last => format!("{from:.0}: {rate:.0}/s"),
            _ if last => "after (drain)".to_string(),
            _ => format!("{:.0}", s.from),
        };
        let mine = |i: usize| requests[i].arrival >= s.from && (requests[i].arrival < s.to || last);
        let ids: Vec<usize> = (0..requests.len()).filter(|&i| mine(i)).collect();
        let fate = |f: fn(&Fate) -> bool| ids.iter().filter(|&&i| f(&run.fates[i])).count();
        let lat = latencies(requests, run, mine);
        let ms =
            |p: f64| if lat.is_empty() { "–".to_string() } else { format!("{:.1}", percentile(&lat, p)) };
        out.push_str(&format!(
            "{label:<16} {:>7} {:>7} {:>8} {:>7} {:>7} {:>8} {:>8.1} {:>5.1} ≤{:<4} {:>8.0}%\n",
            ids.len(),
            fate(|f| f.done.is_some()),
            fate(|f| f.timed_out.is_some()),
            fate(|f| f.refused.is_some()),
            ms(0.5),
            ms(0.99),
            if len > 0.0 { s.in_use / len } else { 0.0 },
            if len > 0.0 { s.waiting / len } else { 0.0 },
            s.max_waiting,
            if len > 0.0 { 100.0 * s.cores_busy / (cores * len) } else { 0.0 },
        ));
    }
    out
}

/// Little's law over the whole run, which starts and ends with nothing in flight, so it holds
/// exactly: the mean number of connections in use is the rate of served requests times how
/// long each held its connection, and the mean number waiting is the rate of requests that
/// waited times how long they waited.
pub fn littles_law(requests: &[Request], run: &Run) -> String {
    let t = run.end;
    let in_use: f64 = run.segments.iter().map(|s| s.in_use).sum::<f64>() / t;
    let waiting: f64 = run.segments.iter().map(|s| s.waiting).sum::<f64>() / t;
    let held: Vec<f64> = run.fates.iter().filter_map(|f| Some(f.done? - f.acquired?.0)).collect();
    let waits: Vec<f64> = run
        .fates
        .iter()
        .zip(requests)
        .filter_map(|(f, r)| {
            let left = f.acquired.map(|a| a.0).or(f.timed_out)?;
            (left > r.arrival).then_some(left - r.arrival)
        })
        .collect();
    let mean = |v: &[f64]| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
    format!(
        "Little's law, L = λ × W, over the whole run ({t:.0} ms):\n  \
         connections in use: L = {in_use:.2}; λ = {:.1} served/s × W = {:.2} ms held = {:.2}\n  \
         requests waiting:   L = {waiting:.2}; λ = {:.1} waited/s × W = {:.2} ms waited = {:.2}\n",
        held.len() as f64 * 1000.0 / t,
        mean(&held),
        held.len() as f64 / t * mean(&held),
        waits.len() as f64 * 1000.0 / t,
        mean(&waits),
        waits.len() as f64 / t * mean(&waits),
    )
}

/// Lanes drawn for waiting requests, at most.
const WAIT_LANES: usize = 10;
/// Connection lanes drawn, at most.
const CONN_LANES: usize = 16;
/// Requests drawn, at most.
const DRAWN: usize = 160;

/// The first instance's connections and its line of waiting requests between `from` and
/// `from + len` ms, as a timeline.
pub fn draw(config: &Config, requests: &[Request], run: &Run, from: f64, len: f64) -> Figure {
    let to = from + len;
    let conns: Vec<usize> = (0..run.conn_instance.len()).filter(|&c| run.conn_instance[c] == 0).collect();
    let shown_conns = conns.len().min(CONN_LANES);
    let mut lanes: Vec<Lane> =
        (0..shown_conns).map(|k| Lane { name: format!("connection {}", k + 1), spans: Vec::new() }).collect();
    let mut wait_lanes: Vec<Lane> = Vec::new();
    let mut wait_free: Vec<f64> = Vec::new();
    let mut hidden_waits = 0;
    let clip = |lane: &mut Lane, start: f64, end: f64, label: String, kind: SpanKind| {
        let (s, e) = (start.max(from), end.min(to));
        if e > s || (e == s && kind == SpanKind::Lost) {
            lane.spans.push(Span { start: s, end: e, label, kind });
        }
    };
    let mut drawn = 0;
    for (i, (r, f)) in requests.iter().zip(&run.fates).enumerate() {
        if r.instance != 0 || drawn >= DRAWN {
            continue;
        }
        let left = f.acquired.map(|a| a.0).or(f.timed_out).or(f.refused).unwrap_or(r.arrival);
        let gone = f.done.unwrap_or(left);
        if gone < from || r.arrival > to {
            continue;
        }
        drawn += 1;
        let n = i + 1;
        // Its wait in line (or its refusal), in the first waiting lane free at its arrival.
        let (what, kind) = if f.timed_out.is_some() {
            (format!("#{n} timed out"), SpanKind::Lost)
        } else if f.refused.is_some() {
            (format!("#{n} refused"), SpanKind::Lost)
        } else {
            (format!("#{n} waits"), SpanKind::Wait)
        };
        if left > r.arrival || f.refused.is_some() {
            let end = if f.refused.is_some() { left + len / 200.0 } else { left };
            match wait_free.iter().position(|&free| free <= r.arrival) {
                Some(k) => {
                    wait_free[k] = end;
                    clip(&mut wait_lanes[k], r.arrival, end, what, kind);
                }
                None if wait_lanes.len() < WAIT_LANES => {
                    wait_free.push(end);
                    wait_lanes
                        .push(Lane { name: format!("waiting {}", wait_lanes.len() + 1), spans: Vec::new() });
                    let k = wait_lanes.len() - 1;
                    clip(&mut wait_lanes[k], r.arrival, end, what, kind);
                }
                None => hidden_waits += 1,
            }
        }
        // Its time on a connection: the query's CPU and I/O phases, then the hold.
        if let (Some((at, c)), Some(done)) = (f.acquired, f.done)
            && let Some(k) = conns.iter().position(|&x| x == c).filter(|&k| k < shown_conns)
        {
            let cpu = if f.opened { format!("#{n} connect+query") } else { format!("#{n} query") };
            clip(&mut lanes[k], at, f.cpu_end, cpu, SpanKind::Busy);
            clip(&mut lanes[k], f.cpu_end, f.io_end, format!("#{n} I/O"), SpanKind::Wait);
            clip(&mut lanes[k], f.io_end, done, format!("#{n} held by app"), SpanKind::Idle);
        }
    }
    lanes.extend(wait_lanes);
    for lane in &mut lanes {
        lane.spans.sort_by(|a, b| a.start.total_cmp(&b.start));
    }
    let steps = Step::at_span_starts(&lanes, "ms");
    let mut title = format!(
        "Pool of {} on {} cores, {from:.0}–{to:.0} ms{}",
        config.pool,
        config.cores,
        if config.instances > 1 { format!(", instance 1 of {}", config.instances) } else { String::new() }
    );
    if hidden_waits > 0 {
        title.push_str(&format!(" ({hidden_waits} more waiting requests not drawn)"));
    }
    if conns.len() > shown_conns {
        title.push_str(&format!(" (first {shown_conns} of {} connections drawn)", conns.len()));
    }
    Figure::Timeline { title, unit: "ms".into(), lanes, steps }
}

/// Reads a load curve, `0:500 2000:2500 4000:500` (from ms : requests per second).
pub fn parse_load(value: &str, line: usize, duration_ms: f64) -> Result<Vec<(f64, f64)>, InputError> {
    let mut load: Vec<(f64, f64)> = Vec::new();
    for word in value.split_whitespace() {
        let (at, rate) = word.split_once(':').ok_or_else(|| {
            InputError::at_line(line, format!("`{word}`: expected `from_ms:rate`, as in `2000:800`"))
        })?;
        let at: f64 = crate::input::parse_number(at, line, 0.0, duration_ms)?;
        let rate: f64 = crate::input::parse_number(rate, line, 0.0, 100_000.0)?;
        if load.is_empty() && at != 0.0 {
            return Err(InputError::at_line(line, "the load curve starts at 0, as in `0:500`"));
        }
        if load.last().is_some_and(|l| at <= l.0) {
            return Err(InputError::at_line(line, format!("`{word}`: times must increase")));
        }
        if at >= duration_ms {
            return Err(InputError::at_line(line, format!("`{word}`: starts at or after duration_ms")));
        }
        load.push((at, rate));
    }
    if load.is_empty() {
        return Err(InputError::at_line(line, "give at least one `from_ms:rate`"));
    }
    Ok(load)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            seed: 1,
            cores: 1,
            pool: 1,
            instances: 1,
            max_connections: 100,
            acquire_timeout_ms: None,
            cpu_ms: 1.0,
            io_ms: 0.0,
            hold_ms: 0.0,
            connect_ms: 0.0,
            dist: Dist::Fixed,
            contention: 0.0,
            load: vec![(0.0, 10.0)],
            duration_ms: 100.0,
        }
    }

    fn request(arrival: f64, cpu: f64, io: f64, hold: f64) -> Request {
        Request { arrival, instance: 0, cpu, io, hold }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn one_request_pays_connect_cpu_io_and_hold_in_turn() {
        let c = Config { connect_ms: 1.0, ..config() };
        let run = simulate(&c, &[request(5.0, 2.0, 3.0, 4.0)]);
        let f = run.fates[0];
        assert_eq!(f.acquired, Some((5.0, 0)));
        assert!(f.opened);
        assert!(close(f.cpu_end, 8.0) && close(f.io_end, 11.0) && close(f.done.unwrap(), 15.0), "{f:?}");
    }

    #[test]
    fn queries_share_the_cores_and_contention_slows_them_all() {
        // Two 2 ms queries on one core at once: each gets half of it and both end at 4 ms.
        let c = Config { pool: 2, ..config() };
        let both = [request(0.0, 2.0, 0.0, 0.0), request(0.0, 2.0, 0.0, 0.0)];
        let run = simulate(&c, &both);
        assert!(run.fates.iter().all(|f| close(f.done.unwrap(), 4.0)), "{:?}", run.fates);
        // With contention 0.5, the second active query beyond the one core makes every unit of
        // work cost 1.5 times as much: both end at 6 ms.
        let run = simulate(&Config { contention: 0.5, ..c.clone() }, &both);
        assert!(run.fates.iter().all(|f| close(f.done.unwrap(), 6.0)), "{:?}", run.fates);
        // A query waiting on I/O needs no core and adds no contention: a 2 ms query next to one
        // in its I/O phase has the core to itself and ends at 2 ms.
        let run = simulate(
            &Config { contention: 0.5, ..c.clone() },
            &[request(0.0, 0.0, 10.0, 0.0), request(0.0, 2.0, 0.0, 0.0)],
        );
        assert!(close(run.fates[1].done.unwrap(), 2.0), "{:?}", run.fates);
        // Three 2 ms queries on one core with contention 0.5: two beyond the core, so each unit
        // of work costs 2 times as much and each query gets a third of the core: 2 × 3 × 2 = 12 ms.
        let three = [request(0.0, 2.0, 0.0, 0.0); 3];
        let run = simulate(&Config { pool: 3, contention: 0.5, ..c }, &three);
        assert!(run.fates.iter().all(|f| close(f.done.unwrap(), 12.0)), "{:?}", run.fates);
    }

    #[test]
    fn an_exhausted_pool_queues_in_order_and_times_out() {
        let c = Config { acquire_timeout_ms: Some(5.0), ..config() };
        // A holds the only connection until 10 ms. B waits from 1 ms and gives up at 6 ms;
        // C arrives at 7 ms and gets the connection when A returns it; D behind C gets it next.
        let stream = [
            request(0.0, 1.0, 0.0, 9.0),
            request(1.0, 1.0, 0.0, 0.0),
            request(7.0, 1.0, 0.0, 0.0),
            request(8.0, 1.0, 0.0, 0.0),
        ];
        let run = simulate(&c, &stream);
        assert_eq!(run.fates[1].timed_out, Some(6.0));
        assert_eq!(run.fates[2].acquired, Some((10.0, 0)));
        assert!(close(run.fates[3].acquired.unwrap().0, 11.0), "{:?}", run.fates[3]);
        assert_eq!(run.conn_instance.len(), 1);
    }

    #[test]
    fn connections_beyond_max_connections_are_refused_and_idle_ones_are_reused_lifo() {
        let c = Config { instances: 3, max_connections: 2, ..config() };
        let stream: Vec<Request> =
            (0..3).map(|i| Request { instance: i, ..request(f64::from(i as u32), 5.0, 0.0, 0.0) }).collect();
        let run = simulate(&c, &stream);
        assert!(run.fates[0].done.is_some() && run.fates[1].done.is_some());
        assert_eq!(run.fates[2].refused, Some(2.0));
        // One instance, pool of 2: the connection returned last is handed out first.
        let c = Config { pool: 2, ..config() };
        let stream = [request(0.0, 1.0, 0.0, 0.0), request(0.0, 3.0, 0.0, 0.0), request(10.0, 1.0, 0.0, 0.0)];
        let run = simulate(&c, &stream);
        assert_eq!(run.fates[2].acquired.map(|a| a.1), Some(1));
        assert_eq!(run.conn_instance.len(), 2);
    }

    #[test]
    fn littles_law_holds_exactly_over_a_run() {
        let c = Config {
            seed: 3,
            cores: 2,
            pool: 4,
            acquire_timeout_ms: Some(20.0),
            cpu_ms: 3.0,
            io_ms: 2.0,
            hold_ms: 1.0,
            dist: Dist::Exponential,
            contention: 0.02,
            load: vec![(0.0, 500.0), (500.0, 1500.0)],
            duration_ms: 1000.0,
            ..config()
        };
        let stream = requests(&c);
        let run = simulate(&c, &stream);
        let t = run.end;
        let l: f64 = run.segments.iter().map(|s| s.in_use).sum::<f64>() / t;
        let held: f64 = run.fates.iter().filter_map(|f| Some(f.done? - f.acquired?.0)).sum();
        assert!((l - held / t).abs() < 1e-6, "L {l} vs λW {}", held / t);
        let s = summarize(&c, &stream, &run);
        assert_eq!(s.served + s.timed_out + s.refused, s.arrived);
        assert!(s.timed_out > 0, "the surge should time some requests out");
    }
}
