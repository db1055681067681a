//! The algorithms race: one seeded stream of requests with heavy-tailed service times, sent to
//! the same servers by each algorithm in turn; p50 and p99 of the time a request spends in the
//! system (queueing plus service). Each server works on one request at a time, first come first
//! served, like one busy Node process. The drawing is one algorithm's run, server by server.

use super::algorithms::{SmoothWrr, p2c_pick, two_distinct};
use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "balancing::race",
    title: "Round robin, random, least connections, P2C, least outstanding and weighted, on heavy-tailed latency",
    file: file!(),
    default_input: "seed = 7\nspeeds = 1 1 1 1 2 2\nrate = 170\nrequests = 4000\n\
                    dist = lognormal\nmedian_ms = 20\nsigma = 1.0\nclients_per_server = 4\nshow = p2c\n",
    input_help: "`speeds = …` one relative speed (1 to 8) per server, 2 to 12 servers; `rate = R` arrivals \
                 per second (Poisson); `requests = N` (100 to 20000); `dist = lognormal | pareto`; \
                 `median_ms` and `sigma` (lognormal spread; Pareto uses alpha = 1 + 1/sigma); \
                 `clients_per_server` (L4 least-connections: long-lived connections); `show = ALGO` \
                 (which run to draw: rr, random, leastconn, p2c, lor, wrr)",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const ALGOS: [(&str, &str); 6] = [
    ("rr", "round robin"),
    ("random", "random"),
    ("leastconn", "least connections (L4)"),
    ("p2c", "power of two choices"),
    ("lor", "least outstanding requests"),
    ("wrr", "smooth weighted RR"),
];
/// Requests drawn in the figure (the first ones of the chosen run).
const DRAWN: usize = 60;

#[derive(Debug, Clone, Copy)]
struct Request {
    arrival: f64,
    /// Service time on a server of speed 1, in ms.
    work: f64,
    /// The client (one long-lived connection each) that sends it; only L4 least-conn uses it.
    client: usize,
    /// A uniform number for the random choices, so every algorithm sees the same stream.
    coin: u64,
}

// ANCHOR: race
/// Sends every request to the server `algo` chooses; returns each request's (server, start,
/// finish). Outstanding counts are exact: a server's in-flight requests are those whose finish
/// lies after the arrival being placed.
fn simulate(algo: &str, requests: &[Request], speeds: &[u32], clients: usize) -> Vec<(usize, f64, f64)> {
    let n = speeds.len();
    let mut free_at = vec![0.0f64; n]; // when each server has finished its queue
    let mut finishes: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut wrr = SmoothWrr::new(speeds);
    // L4 least connections: each client's one connection went to the server with the fewest
    // connections when it opened, i.e. client c lives on server c mod n, and every request
    // on that connection goes there, however busy the server is.
    let connection_of = |client: usize| client % n;
    let mut out = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        let outstanding: Vec<u32> =
            finishes.iter().map(|f| f.iter().filter(|&&t| t > r.arrival).count() as u32).collect();
        let server = match algo {
            "rr" => i % n,
            "random" => (r.coin % n as u64) as usize,
            "leastconn" => connection_of(r.client % clients.max(1)),
            "p2c" => p2c_pick(&outstanding, two_distinct(&mut Rng::new(r.coin), n)),
            "lor" => {
                // fewest in flight; ties go round robin so no server is everyone's favourite
                (0..n).map(|k| (i + k) % n).min_by_key(|&s| outstanding[s]).unwrap_or(0)
            }
            _ => wrr.pick(),
        };
        let start = free_at[server].max(r.arrival);
        let finish = start + r.work / f64::from(speeds[server]);
        free_at[server] = finish;
        finishes[server].retain(|&t| t > r.arrival);
        finishes[server].push(finish);
        out.push((server, start, finish));
    }
    out
}
// ANCHOR_END: race

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(
        input,
        &["seed", "speeds", "rate", "requests", "dist", "median_ms", "sigma", "clients_per_server", "show"],
    )?;
    let seed: u64 = p.number_or("seed", 0, u64::MAX, 7)?;
    let speeds: Vec<u32> = match p.one("speeds")? {
        Some(e) => {
            let s = e.numbers(1u32, 8)?;
            if s.len() < 2 || s.len() > 12 {
                return Err(InputError::at_line(e.line, "give 2 to 12 server speeds"));
            }
            s
        }
        None => vec![1, 1, 1, 1, 2, 2],
    };
    let rate: f64 = p.number_or("rate", 1.0, 100_000.0, 170.0)?;
    let count: usize = p.number_or("requests", 100, 20_000, 4000)?;
    let dist = p.choice_or("dist", &["lognormal", "pareto"], "lognormal")?;
    let median: f64 = p.number_or("median_ms", 0.1, 10_000.0, 20.0)?;
    let sigma: f64 = p.number_or("sigma", 0.1, 3.0, 1.0)?;
    let per_server: usize = p.number_or("clients_per_server", 1, 100, 4)?;
    let show = p.choice_or("show", &["rr", "random", "leastconn", "p2c", "lor", "wrr"], "p2c")?;
    let clients = per_server * speeds.len();

    // One stream of requests for every algorithm: Poisson arrivals, heavy-tailed work.
    let mut rng = Rng::new(seed);
    let alpha = 1.0 + 1.0 / sigma;
    let mut t = 0.0;
    let requests: Vec<Request> = (0..count)
        .map(|_| {
            t += -(1.0 - rng.next_f64()).ln() / rate * 1000.0;
            let u = 1.0 - rng.next_f64(); // (0, 1]
            let work = if dist == "lognormal" {
                let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * rng.next_f64()).cos();
                median * (sigma * z).exp()
            } else {
                // Pareto with the given median: x_m = median / 2^(1/alpha)
                median / 2f64.powf(1.0 / alpha) / u.powf(1.0 / alpha)
            };
            let client = rng.range(0, clients as u64 - 1) as usize;
            Request { arrival: t, work, client, coin: rng.next_u64() }
        })
        .collect();
    let mean_work = requests.iter().map(|r| r.work).sum::<f64>() / count as f64;
    let capacity = speeds.iter().map(|&s| f64::from(s)).sum::<f64>() * 1000.0 / mean_work;

    let mut text = format!(
        "{} servers, speeds {:?}; {count} requests at {rate} per second; {dist} work, median {median} ms, \
         mean {:.1} ms\noffered load: {:.0}% of total capacity ({:.0} requests/s)\n\n",
        speeds.len(),
        speeds,
        mean_work,
        100.0 * rate / capacity,
        capacity
    );
    text.push_str(&format!(
        "{:<28} {:>8} {:>8} {:>9} {:>13}\n",
        "algorithm", "p50 ms", "p99 ms", "max ms", "share slowest"
    ));
    let slowest = *speeds.iter().min().unwrap_or(&1);
    let slow_servers: Vec<usize> = (0..speeds.len()).filter(|&s| speeds[s] == slowest).collect();
    let fair = slow_servers.iter().map(|&s| f64::from(speeds[s])).sum::<f64>()
        / speeds.iter().map(|&s| f64::from(s)).sum::<f64>();
    let mut p99s = Vec::new();
    let mut shown = Vec::new();
    for (key, name) in ALGOS {
        let placed = simulate(key, &requests, &speeds, clients);
        let mut latency: Vec<f64> =
            placed.iter().zip(&requests).map(|((_, _, f), r)| f - r.arrival).collect();
        latency.sort_by(f64::total_cmp);
        let to_slow = placed.iter().filter(|(s, _, _)| slow_servers.contains(s)).count();
        let (p50, p99) = (percentile(&latency, 0.5), percentile(&latency, 0.99));
        text.push_str(&format!(
            "{name:<28} {p50:>8.0} {p99:>8.0} {:>9.0} {:>12.0}%\n",
            latency[latency.len() - 1],
            100.0 * to_slow as f64 / count as f64
        ));
        p99s.push((key, p99));
        if key == show {
            shown = placed;
        }
    }
    let best = p99s.iter().min_by(|a, b| a.1.total_cmp(&b.1)).map_or("", |b| b.0);
    let get = |k: &str| p99s.iter().find(|(key, _)| *key == k).map_or(0.0, |x| x.1);
    text.push_str(&format!(
        "\n(a fair share for the slowest servers, by speed, is {:.0}%)\nlowest p99: {}\n",
        100.0 * fair,
        ALGOS.iter().find(|(k, _)| *k == best).map_or("", |a| a.1)
    ));
    let verdict = |ok: bool| if ok { "holds" } else { "does NOT hold on this input" };
    text.push_str(&format!(
        "claim: P2C's p99 is below random's and round robin's: {}\n",
        verdict(get("p2c") < get("random") && get("p2c") < get("rr"))
    ));
    text.push_str(&format!(
        "claim: P2C's p99 is within 2× of least outstanding's (two samples of load come close to all): {}\n",
        verdict(get("p2c") <= 2.0 * get("lor"))
    ));

    // The drawing: the first requests of the chosen run, one lane per server.
    let mut lanes: Vec<Lane> = speeds
        .iter()
        .enumerate()
        .map(|(i, s)| Lane { name: format!("server {i} (speed {s})"), spans: Vec::new() })
        .collect();
    for (i, (server, start, finish)) in shown.iter().enumerate().take(DRAWN) {
        // A request that had to queue is drawn in the "wait" colour: the server was busy.
        let queued = *start > requests[i].arrival;
        lanes[*server].spans.push(Span {
            start: *start,
            end: *finish,
            label: if queued { format!("#{i} queued") } else { format!("#{i}") },
            kind: if queued { SpanKind::Wait } else { SpanKind::Busy },
        });
    }
    let steps = Step::at_span_starts(&lanes, "ms");
    let name = ALGOS.iter().find(|(k, _)| *k == show).map_or("", |a| a.1);
    text.push_str(&format!("\ndrawn: the first {DRAWN} requests under {name} (`show =` picks another)\n"));
    Ok(Drawn {
        text,
        figure: Figure::Timeline {
            title: format!("{name}: the first {DRAWN} requests"),
            unit: "ms".into(),
            lanes,
            steps,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Identical servers: load-aware choice still beats round robin on the tail.
    fn identical_servers_claims_hold() {
        let input = "seed = 7\nspeeds = 1 1 1 1 1 1\nrate = 128\nrequests = 4000\n\
                     dist = lognormal\nmedian_ms = 20\nsigma = 1.0\nclients_per_server = 4\nshow = p2c\n";
        let text = run(input).unwrap().text;
        assert_eq!(text.matches(": holds").count(), 2, "{text}");
    }
}
