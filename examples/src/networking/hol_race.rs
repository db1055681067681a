//! A head-of-line blocking race: one page load over HTTP/1.1 (several TCP connections),
//! HTTP/2 (one TCP connection, streams multiplexed) and HTTP/3 (QUIC: streams multiplexed,
//! loss recovered per stream), on the same lossy link.
//!
//! The model is deliberately small. The server sends response packets over one bottleneck
//! link at a fixed rate, round-robin among the responses that are ready; each packet is lost
//! with the same probability; a lost packet is noticed one RTT after it was sent and resent
//! ahead of new data. Requests, ACKs and handshakes are never lost, there is no congestion
//! control, and resources are requested only once the HTML has fully arrived. The protocols
//! then differ in exactly three ways: handshake cost, connections, and what a loss blocks.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "networking::hol_race",
    title: "Head-of-line blocking: one page over HTTP/1.1, HTTP/2 and HTTP/3",
    file: file!(),
    default_input: "loss = 0.02\nrtt = 80\nbandwidth = 20\nseed = 1\nconnections = 6\nhtml = 30\n\
resource = app.css 40\n\
resource = app.js 150\n\
resource = hero.jpg 200\n\
resource = font.woff2 45\n\
resource = photo-1.jpg 90\n\
resource = photo-2.jpg 90\n\
resource = photo-3.jpg 90\n\
resource = logo.svg 6\n\
resource = icons.svg 12\n\
resource = analytics.js 30\n",
    input_help: "`loss` (0 to 0.5 per packet), `rtt` (ms), `bandwidth` (Mbit/s), `seed`, `connections` \
                 (HTTP/1.1 connections per host), `html` (KB), then `resource = NAME KB` lines",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// Payload of one packet (QUIC's minimum datagram size, RFC 9000 §14.1; TCP would carry a bit more).
pub const PACKET: u64 = 1_200;
/// Most packet transmissions one race may take.
const BUDGET: usize = 2_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub loss: f64,
    pub rtt_ms: u64,
    pub mbps: u64,
    pub seed: u64,
    pub connections: usize,
    /// `(name, kilobytes)`; the first is the HTML page.
    pub requests: Vec<(String, u64)>,
}

impl Config {
    pub fn parse(input: &str) -> Result<Config, InputError> {
        let params =
            Params::parse(input, &["loss", "rtt", "bandwidth", "seed", "connections", "html", "resource"])?;
        let mut requests = vec![("index.html".to_string(), params.number_or("html", 1, 10_000, 30)?)];
        for entry in params.all("resource") {
            let (name, size) = entry.value.rsplit_once(char::is_whitespace).ok_or_else(|| {
                InputError::at_line(
                    entry.line,
                    "expected `resource = NAME KB`, such as `resource = app.js 120`",
                )
            })?;
            let name = name.trim();
            if name.is_empty() || name.len() > 24 {
                return Err(InputError::at_line(entry.line, "a resource name has 1 to 24 characters"));
            }
            let kb = crate::input::parse_number(size, entry.line, 1, 10_000)?;
            requests.push((name.to_string(), kb));
            if requests.len() > 41 {
                return Err(InputError::at_line(entry.line, "at most 40 resources"));
            }
        }
        let total: u64 = requests.iter().map(|r| r.1).sum();
        if total > 20_000 {
            return Err(InputError::new(format!("the page weighs {total} KB; keep it under 20000 KB")));
        }
        Ok(Config {
            loss: params.number_or("loss", 0.0, 0.5, 0.02)?,
            rtt_ms: params.number_or("rtt", 1, 1_000, 80)?,
            mbps: params.number_or("bandwidth", 1, 10_000, 20)?,
            seed: params.number_or("seed", 0, u64::MAX, 1)?,
            connections: params.number_or("connections", 1, 16, 6)?,
            requests,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http1,
    Http2,
    Http3,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Http1 => "HTTP/1.1",
            Protocol::Http2 => "HTTP/2",
            Protocol::Http3 => "HTTP/3",
        }
    }

    /// Round trips before the first request can leave: TCP (1) + TLS 1.3 (1), or QUIC's
    /// combined transport and TLS handshake (1).
    pub fn handshake_rtts(self) -> u64 {
        match self {
            Protocol::Http1 | Protocol::Http2 => 2,
            Protocol::Http3 => 1,
        }
    }
}

/// One packet of a response.
#[derive(Debug, Clone, Default)]
struct Packet {
    /// When its first transmission would have arrived had it not been lost.
    first_arrival: u64,
    /// When a copy finally arrived.
    arrival: Option<u64>,
    /// Its place in its connection's byte stream (what TCP delivers in order).
    conn_order: u64,
    sent: bool,
}

/// One request and its response.
#[derive(Debug, Clone)]
pub struct Timing {
    pub name: String,
    pub kb: u64,
    pub conn: usize,
    /// When the browser wanted it (page start, or when the HTML had arrived).
    pub wanted: u64,
    /// When the request left the browser.
    pub sent: u64,
    /// Whether the wait before `sent` was a handshake (else a queue for a free connection).
    pub waited_for_handshake: bool,
    /// First byte the application could use, and the last.
    pub first_byte: u64,
    pub done: u64,
    /// When it would have been done had each stream been delivered on its own (as QUIC does).
    pub done_per_stream: u64,
    /// Time the response sat complete-but-blocked behind a lost packet: its own, and others'.
    pub stalls: Vec<(u64, u64, bool)>,
    pub lost: u32,
}

pub struct RaceResult {
    pub protocol: Protocol,
    pub timings: Vec<Timing>,
    pub lost: u32,
    pub sent: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    RequestArrives(usize),
    LinkFree,
    Arrives(usize, usize),
    LossNoticed(usize, usize),
    ConnectionReady(usize),
}

struct Engine<'a> {
    config: &'a Config,
    protocol: Protocol,
    owd: u64,
    tx: u64,
    rng: Rng,
    queue: BinaryHeap<Reverse<(u64, u64, Event)>>,
    order: u64,
    packets: Vec<Vec<Packet>>,
    ready: Vec<bool>,
    next_new: Vec<usize>,
    arrived: Vec<usize>,
    retransmit: VecDeque<(usize, usize)>,
    link_busy: bool,
    round_robin: usize,
    conn_counter: Vec<u64>,
    /// HTTP/1.1: requests waiting for a free connection, and which connection is free.
    waiting: Vec<usize>,
    idle: Vec<bool>,
    timings: Vec<Timing>,
    lost: u32,
    sent: u32,
}

impl<'a> Engine<'a> {
    fn new(config: &'a Config, protocol: Protocol) -> Self {
        let n = config.requests.len();
        let packets = config
            .requests
            .iter()
            .map(|r| vec![Packet::default(); (r.1 * 1000).div_ceil(PACKET) as usize])
            .collect();
        Engine {
            config,
            protocol,
            owd: config.rtt_ms * 500,
            tx: (PACKET * 8).div_ceil(config.mbps).max(1),
            rng: Rng::new(config.seed),
            queue: BinaryHeap::new(),
            order: 0,
            packets,
            ready: vec![false; n],
            next_new: vec![0; n],
            arrived: vec![0; n],
            retransmit: VecDeque::new(),
            link_busy: false,
            round_robin: 0,
            conn_counter: vec![0; config.connections.max(1)],
            waiting: Vec::new(),
            idle: vec![false; config.connections.max(1)],
            timings: config
                .requests
                .iter()
                .map(|(name, kb)| Timing {
                    name: name.clone(),
                    kb: *kb,
                    conn: 0,
                    wanted: 0,
                    sent: 0,
                    waited_for_handshake: false,
                    first_byte: 0,
                    done: 0,
                    done_per_stream: 0,
                    stalls: Vec::new(),
                    lost: 0,
                })
                .collect(),
            lost: 0,
            sent: 0,
        }
    }

    fn at(&mut self, time: u64, event: Event) {
        self.order += 1;
        self.queue.push(Reverse((time, self.order, event)));
    }

    fn rtt(&self) -> u64 {
        self.config.rtt_ms * 1_000
    }

    /// The browser sends request `r` on connection `conn` at `now`.
    fn send_request(&mut self, now: u64, r: usize, conn: usize) {
        let timing = &mut self.timings[r];
        timing.conn = conn;
        timing.sent = now;
        self.at(now + self.owd, Event::RequestArrives(r));
    }

    /// Response `r` is complete in the browser at `now`.
    fn completed(&mut self, now: u64, r: usize) {
        let resources = 1..self.config.requests.len();
        match (self.protocol, r) {
            (Protocol::Http1, 0) => {
                // The HTML is in: reuse its connection and open more, up to the limit.
                for resource in resources.clone() {
                    self.timings[resource].wanted = now;
                }
                self.waiting = resources.collect();
                self.idle[0] = true;
                let extra = self.waiting.len().saturating_sub(1).min(self.config.connections - 1);
                for conn in 1..=extra {
                    self.at(now + self.protocol.handshake_rtts() * self.rtt(), Event::ConnectionReady(conn));
                }
                self.next_on(now, 0);
            }
            (Protocol::Http1, _) => {
                let conn = self.timings[r].conn;
                self.idle[conn] = true;
                self.next_on(now, conn);
            }
            (_, 0) => {
                // HTTP/2 and HTTP/3: every resource goes out at once on the one connection.
                for resource in resources {
                    self.timings[resource].wanted = now;
                    self.send_request(now, resource, 0);
                }
            }
            _ => {}
        }
    }

    /// HTTP/1.1: connection `conn` is free; it takes the oldest waiting request.
    fn next_on(&mut self, now: u64, conn: usize) {
        if !self.idle[conn] || self.waiting.is_empty() {
            return;
        }
        let r = self.waiting.remove(0);
        self.idle[conn] = false;
        self.timings[r].waited_for_handshake = conn != 0 && self.conn_counter[conn] == 0;
        self.send_request(now, r, conn);
    }

    /// Puts the next packet on the link: a retransmission first, else new data round-robin.
    fn send_next(&mut self, now: u64) {
        let choice = if !self.retransmit.is_empty() {
            self.retransmit.pop_front()
        } else {
            let n = self.config.requests.len();
            (1..=n)
                .map(|k| (self.round_robin + k) % n)
                .find(|&r| self.ready[r] && self.next_new[r] < self.packets[r].len())
                .map(|r| {
                    self.round_robin = r;
                    let p = self.next_new[r];
                    self.next_new[r] += 1;
                    (r, p)
                })
        };
        let Some((r, p)) = choice else {
            self.link_busy = false;
            return;
        };
        self.link_busy = true;
        let end = now + self.tx;
        let lost = self.rng.chance(self.config.loss);
        self.sent += 1;
        let conn = self.timings[r].conn;
        let packet = &mut self.packets[r][p];
        if !packet.sent {
            packet.sent = true;
            packet.first_arrival = end + self.owd;
            packet.conn_order = self.conn_counter[conn];
            self.conn_counter[conn] += 1;
        }
        if lost {
            self.lost += 1;
            self.timings[r].lost += 1;
            // Noticed when later packets' ACKs come back: about one RTT after sending.
            self.at(now + self.rtt(), Event::LossNoticed(r, p));
        } else {
            self.at(end + self.owd, Event::Arrives(r, p));
        }
        self.at(end, Event::LinkFree);
    }

    fn kick(&mut self, now: u64) {
        if !self.link_busy {
            self.send_next(now);
        }
    }

    fn run(mut self) -> Result<RaceResult, InputError> {
        let start = self.protocol.handshake_rtts() * self.rtt();
        self.send_request(start, 0, 0);
        self.timings[0].waited_for_handshake = true;
        let mut steps = 0;
        while let Some(Reverse((now, _, event))) = self.queue.pop() {
            steps += 1;
            if steps > BUDGET {
                return Err(InputError::new(format!(
                    "the race stopped after {BUDGET} events without finishing; try a smaller page or less loss"
                )));
            }
            match event {
                Event::RequestArrives(r) => {
                    self.ready[r] = true;
                    self.kick(now);
                }
                Event::LinkFree => {
                    self.link_busy = false;
                    self.send_next(now);
                }
                Event::LossNoticed(r, p) => {
                    self.retransmit.push_back((r, p));
                    self.kick(now);
                }
                Event::ConnectionReady(conn) => {
                    self.idle[conn] = true;
                    self.next_on(now, conn);
                }
                Event::Arrives(r, p) => {
                    self.packets[r][p].arrival = Some(now);
                    self.arrived[r] += 1;
                    if self.arrived[r] == self.packets[r].len() {
                        self.completed(now, r);
                    }
                }
            }
        }
        self.finish()
    }

    /// The race is over: work out when the application could use each packet, and what held it.
    fn finish(mut self) -> Result<RaceResult, InputError> {
        if self.packets.iter().flatten().any(|packet| packet.arrival.is_none()) {
            return Err(InputError::new("internal: a packet never arrived"));
        }
        let conns: Vec<usize> = self.timings.iter().map(|t| t.conn).collect();
        let by_stream = delivery_times(&self.packets, &conns, false);
        let delivered = delivery_times(&self.packets, &conns, self.protocol != Protocol::Http3);
        for (r, timing) in self.timings.iter_mut().enumerate() {
            let packets = &self.packets[r];
            timing.first_byte = delivered[r].iter().copied().min().unwrap_or(timing.sent);
            timing.done = delivered[r].iter().copied().max().unwrap_or(timing.sent);
            timing.done_per_stream = by_stream[r].iter().copied().max().unwrap_or(timing.sent);
            // A packet could have been used at `first_arrival`; it was held back until it or an
            // earlier packet of its own stream arrived ("own"), then by other streams' packets.
            let own: Vec<(u64, u64)> = packets
                .iter()
                .zip(&by_stream[r])
                .filter(|(packet, s)| **s > packet.first_arrival)
                .map(|(packet, &s)| (packet.first_arrival, s))
                .collect();
            let all: Vec<(u64, u64)> = packets
                .iter()
                .zip(&delivered[r])
                .filter(|(packet, d)| **d > packet.first_arrival)
                .map(|(packet, &d)| (packet.first_arrival, d))
                .collect();
            let own = union(own);
            let others = subtract(&union(all), &own);
            let mut stalls: Vec<(u64, u64, bool)> = own
                .iter()
                .map(|&(a, b)| (a, b, true))
                .chain(others.iter().map(|&(a, b)| (a, b, false)))
                .collect();
            stalls.sort_unstable();
            timing.stalls = stalls;
        }
        Ok(RaceResult { protocol: self.protocol, timings: self.timings, lost: self.lost, sent: self.sent })
    }
}

// ANCHOR: example
/// When the application can use each packet of each response. TCP hands over a connection's
/// bytes strictly in order, so a packet waits for every earlier packet *on its connection*,
/// whichever response those belong to. QUIC orders each stream on its own, so a packet waits
/// only for earlier packets *of its own stream*.
fn delivery_times(packets: &[Vec<Packet>], conns: &[usize], by_connection: bool) -> Vec<Vec<u64>> {
    // Every packet with its ordering domain and its rank there.
    let mut order: Vec<(usize, u64, usize, usize)> = Vec::new();
    for (r, response) in packets.iter().enumerate() {
        for (p, packet) in response.iter().enumerate() {
            let (domain, rank) = if by_connection { (conns[r], packet.conn_order) } else { (r, p as u64) };
            order.push((domain, rank, r, p));
        }
    }
    order.sort_unstable();
    let mut usable: Vec<Vec<u64>> = packets.iter().map(|response| vec![0; response.len()]).collect();
    let mut previous: Option<(usize, u64)> = None;
    for (domain, _, r, p) in order {
        let arrived = packets[r][p].arrival.expect("every packet arrives in the end");
        // Usable once it has arrived *and* everything before it in its domain is usable.
        let floor = previous.filter(|&(d, _)| d == domain).map_or(0, |(_, t)| t);
        usable[r][p] = arrived.max(floor);
        previous = Some((domain, usable[r][p]));
    }
    usable
}
// ANCHOR_END: example

/// The union of intervals, as sorted disjoint intervals.
fn union(mut intervals: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    intervals.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (start, end) in intervals {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// `a` minus `b`, both sorted and disjoint.
fn subtract(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for &(mut start, end) in a {
        for &(cut_start, cut_end) in b {
            if cut_end <= start || cut_start >= end {
                continue;
            }
            if cut_start > start {
                out.push((start, cut_start));
            }
            start = start.max(cut_end);
        }
        if start < end {
            out.push((start, end));
        }
    }
    out
}

/// Runs the same page load over the three protocols.
pub fn race(config: &Config) -> Result<Vec<RaceResult>, InputError> {
    [Protocol::Http1, Protocol::Http2, Protocol::Http3]
        .into_iter()
        .map(|protocol| Engine::new(config, protocol).run())
        .collect()
}

fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1_000.0)
}

/// The table: when each response was complete under each protocol.
pub fn report(config: &Config, results: &[RaceResult]) -> String {
    let total: u64 = config.requests.iter().map(|r| r.1).sum();
    let mut out = format!(
        "page: {} KB of HTML + {} resources, {total} KB in all, in {PACKET}-byte packets\n\
         link: RTT {} ms, {} Mbit/s, loss {}%, seed {}; HTTP/1.1 may open {} connections\n\
         handshake before the first request: TCP + TLS 1.3 = 2 RTT ({} ms), QUIC = 1 RTT ({} ms)\n\n",
        config.requests[0].1,
        config.requests.len() - 1,
        config.rtt_ms,
        config.mbps,
        config.loss * 100.0,
        config.seed,
        config.connections,
        2 * config.rtt_ms,
        config.rtt_ms,
    );
    out.push_str("times in ms from the start of the page load; conn = which HTTP/1.1 connection\n\n");
    let row = |name: &str, kb: &str, h1: &str, conn: &str, h2: &str, hol: &str, h3: &str| {
        format!("{name:<16} {kb:>6}   {h1:>9} {conn:>4}   {h2:>9} {hol:>10}   {h3:>9}\n")
    };
    out.push_str(&row("response", "KB", "HTTP/1.1", "conn", "HTTP/2", "(+HOL)", "HTTP/3"));
    let [h1, h2, h3] = results else { return out };
    for (r, (name, kb)) in config.requests.iter().enumerate() {
        let (a, b, c) = (&h1.timings[r], &h2.timings[r], &h3.timings[r]);
        let hol = b.done - b.done_per_stream;
        let hol = if hol > 0 { format!("(+{})", ms(hol)) } else { String::new() };
        let conn = (a.conn + 1).to_string();
        out.push_str(&row(name, &kb.to_string(), &ms(a.done), &conn, &ms(b.done), &hol, &ms(c.done)));
    }
    let page = |result: &RaceResult| ms(result.timings.iter().map(|t| t.done).max().unwrap_or(0));
    out.push_str(&row("page complete", &total.to_string(), &page(h1), "", &page(h2), "", &page(h3)));
    let lost = |result: &RaceResult| format!("{}/{}", result.lost, result.sent);
    out.push_str(&row("packets lost", "", &lost(h1), "", &lost(h2), "", &lost(h3)));
    let late = h2.timings.iter().filter(|t| t.done > t.done_per_stream).count();
    out.push_str(&format!(
        "\n(+x): how much later the HTTP/2 response completed because TCP held its bytes behind\n\
         another response's lost packet; {late} of {} responses were held up. HTTP/3 loses the same\n\
         packets, but a stream waits only for its own.\n",
        h2.timings.len()
    ));
    out
}

/// One race: the table and the timeline of every response under every protocol.
fn run(input: &str) -> Result<Drawn, InputError> {
    let config = Config::parse(input)?;
    let results = race(&config)?;
    Ok(Drawn { text: report(&config, &results), figure: draw(&config, &results) })
}

/// One lane per protocol and response: handshake or queueing, waiting for the first byte,
/// receiving, and stalls behind a lost packet.
fn draw(config: &Config, results: &[RaceResult]) -> Figure {
    let mut lanes = Vec::new();
    for result in results {
        for t in &result.timings {
            let mut spans = Vec::new();
            let span = |start: u64, end: u64, label: &str, kind| Span {
                start: start as f64 / 1_000.0,
                end: end as f64 / 1_000.0,
                label: label.to_string(),
                kind,
            };
            if t.sent > t.wanted {
                let (label, kind) = if t.waited_for_handshake {
                    (
                        if result.protocol == Protocol::Http3 {
                            "QUIC handshake"
                        } else {
                            "TCP + TLS handshake"
                        },
                        SpanKind::Overhead,
                    )
                } else {
                    ("queued: no free connection", SpanKind::Idle)
                };
                spans.push(span(t.wanted, t.sent, label, kind));
            }
            spans.push(span(t.sent, t.first_byte, "request, first byte", SpanKind::Wait));
            let mut cursor = t.first_byte;
            for &(start, end, own) in &t.stalls {
                let start = start.max(cursor);
                if end <= start {
                    continue;
                }
                if start > cursor {
                    spans.push(span(cursor, start, "receiving", SpanKind::Busy));
                }
                let label =
                    if own { "stalled: its packet was lost" } else { "stalled: another stream's loss" };
                spans.push(span(start, end, label, SpanKind::Lost));
                cursor = end;
            }
            if t.done > cursor {
                spans.push(span(cursor, t.done, "receiving", SpanKind::Busy));
            }
            let name = match result.protocol {
                Protocol::Http1 => format!("{} · {} (conn {})", result.protocol.name(), t.name, t.conn + 1),
                _ => format!("{} · {}", result.protocol.name(), t.name),
            };
            lanes.push(Lane { name, spans });
        }
    }
    Figure::Timeline {
        title: format!("One page, three protocols: RTT {} ms, loss {}%", config.rtt_ms, config.loss * 100.0),
        unit: "ms".into(),
        steps: Step::at_span_starts(&lanes, "ms"),
        lanes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(loss: f64, seed: u64) -> Config {
        let mut config = Config::parse(EXAMPLE.default_input).unwrap();
        config.loss = loss;
        config.seed = seed;
        config
    }

    #[test]
    fn without_loss_http2_and_http3_differ_only_by_the_handshake() {
        let results = race(&with(0.0, 1)).unwrap();
        let rtt = 80_000;
        for (h2, h3) in results[1].timings.iter().zip(&results[2].timings) {
            assert_eq!(h2.done, h3.done + rtt, "{}", h2.name);
            assert_eq!(h2.first_byte, h3.first_byte + rtt, "{}", h2.name);
            assert!(h2.stalls.is_empty() && h3.stalls.is_empty());
        }
    }

    #[test]
    fn with_loss_http3_streams_finish_no_later_than_http2s() {
        for seed in 0..40 {
            for loss in [0.01, 0.05, 0.2] {
                let results = race(&with(loss, seed)).unwrap();
                assert_eq!(results[1].lost, results[2].lost, "the same packets are lost");
                for (h2, h3) in results[1].timings.iter().zip(&results[2].timings) {
                    // One RTT of handshake saved, and never a wait for another stream's loss.
                    assert!(h3.done + 80_000 <= h2.done, "seed {seed}, loss {loss}: {}", h2.name);
                    assert!(h3.stalls.iter().all(|s| s.2), "HTTP/3 never waits for another stream");
                    if h3.lost == 0 {
                        // A stream that lost nothing finishes exactly as without loss, shifted.
                        let own: u64 = h2.stalls.iter().filter(|s| s.2).map(|s| s.1 - s.0).sum();
                        assert_eq!(own, 0, "seed {seed}: {}", h2.name);
                    }
                }
            }
        }
    }

    #[test]
    fn http1_pays_a_handshake_per_extra_connection_and_queues_beyond_six() {
        let results = race(&with(0.0, 1)).unwrap();
        let h1 = &results[0];
        let conns: std::collections::BTreeSet<usize> = h1.timings.iter().map(|t| t.conn).collect();
        assert_eq!(conns.len(), 6);
        let html_done = h1.timings[0].done;
        for t in &h1.timings[1..] {
            assert!(t.sent >= html_done);
            if t.waited_for_handshake {
                assert_eq!(t.sent, html_done + 160_000, "{}", t.name);
            }
        }
        // The HTML: 2 RTT handshake, request 0.5 RTT, 25 packets at 480 µs, 0.5 RTT back.
        assert_eq!(html_done, 160_000 + 40_000 + 25 * 480 + 40_000);
    }

    #[test]
    fn same_seed_same_race_and_the_figure_draws() {
        let Drawn { text, figure } = run(EXAMPLE.default_input).unwrap();
        assert_eq!(text, run(EXAMPLE.default_input).unwrap().text);
        figure.validate().unwrap();
        let Figure::Timeline { lanes, .. } = figure else { panic!() };
        assert_eq!(lanes.len(), 33);
        for lane in &lanes {
            for pair in lane.spans.windows(2) {
                assert!(pair[0].end <= pair[1].start + 1e-9, "{}: overlapping spans", lane.name);
            }
        }
    }

    #[test]
    fn bad_input_names_its_line() {
        let err = run("loss = 0.9").unwrap_err();
        assert_eq!(err.to_string(), "input line 1: 0.9 is out of range (from 0 to 0.5)");
        let err = run("resource = app.js").unwrap_err();
        assert_eq!(err.line, Some(1));
        let err = run("html = 10\nresource = big.bin 0").unwrap_err();
        assert_eq!(err.to_string(), "input line 2: 0 is out of range (from 1 to 10000)");
    }
}
