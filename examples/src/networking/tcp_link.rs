//! A TCP connection over a lossy link, simulated segment by segment: the three-way handshake,
//! data with sequence numbers and cumulative ACKs, retransmission on timeout, the close, and
//! TIME_WAIT on the side that closed first.
//!
//! It is a model, not a TCP stack: one direction of data, an ACK for every segment, no fast
//! retransmit or SACK (only the retransmission timer recovers losses), a link that loses each
//! segment independently with the same probability.

use std::collections::BTreeMap;

use crate::figure::{Figure, Mark, Message, Note, Step, time_text};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "networking::tcp_link",
    title: "TCP over a lossy link: handshake, retransmission, close and TIME_WAIT",
    file: file!(),
    default_input: "loss = 0.15\nrtt = 100\nseed = 4\nsegments = 12\ncwnd = 10\nrwnd = 64\nmsl = 250\n",
    input_help: "`loss` (0 to 1, per segment), `rtt` (ms), `seed`, `segments` (1000-byte data segments, \
                 client to server), `cwnd` (initial window, segments), `rwnd` (receive window, segments), \
                 `msl` (ms; TIME_WAIT lasts 2 × msl)",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// Bytes of data in a full segment (a typical Ethernet MSS is 1460; round numbers read better).
pub const MSS: u32 = 1000;
/// Time to put one data segment on the wire: 1000 bytes at 8 Mbit/s.
const TX_US: u64 = 1_000;
/// RFC 6298 §2.1: the first RTO, before any round trip has been measured.
const INITIAL_RTO_US: u64 = 1_000_000;
/// Linux's floor for the RTO (TCP_RTO_MIN); RFC 6298 §2.4 asks for 1 s.
const MIN_RTO_US: u64 = 200_000;
/// RFC 6298 §2.5 allows a ceiling of at least 60 s.
const MAX_RTO_US: u64 = 60_000_000;
/// Events the simulation may process before it gives up.
pub const EVENT_BUDGET: usize = 20_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub loss: f64,
    pub rtt_ms: u64,
    pub seed: u64,
    pub segments: u32,
    pub cwnd: u32,
    pub rwnd: u32,
    pub msl_ms: u64,
}

impl Config {
    pub fn parse(input: &str) -> Result<Config, InputError> {
        let params = Params::parse(input, &["loss", "rtt", "seed", "segments", "cwnd", "rwnd", "msl"])?;
        Ok(Config {
            loss: params.number_or("loss", 0.0, 1.0, 0.1)?,
            rtt_ms: params.number_or("rtt", 1, 2_000, 100)?,
            seed: params.number_or("seed", 0, u64::MAX, 1)?,
            segments: params.number_or("segments", 1, 200, 12)?,
            cwnd: params.number_or("cwnd", 1, 100, 10)?,
            rwnd: params.number_or("rwnd", 1, 1_000, 64)?,
            msl_ms: params.number_or("msl", 1, 120_000, 250)?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    fn index(self) -> usize {
        self as usize
    }
    fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// The states of RFC 9293 §3.3.2 that this connection passes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    LastAck,
    TimeWait,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN_SENT",
            State::SynReceived => "SYN_RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN_WAIT_1",
            State::FinWait2 => "FIN_WAIT_2",
            State::CloseWait => "CLOSE_WAIT",
            State::LastAck => "LAST_ACK",
            State::TimeWait => "TIME_WAIT",
        }
    }
}

/// What travels on the link. Sequence numbers are relative (each side's SYN is 0), as
/// Wireshark shows them; SYN and FIN each take one sequence number, data takes its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub from: Side,
    pub seq: u32,
    pub len: u32,
    /// Cumulative: "I have every byte before this one".
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
}

impl Segment {
    fn label(&self) -> String {
        let ack = self.ack.map(|a| format!(" ack={a}")).unwrap_or_default();
        if self.rst {
            "RST".into()
        } else if self.syn {
            let name = if self.ack.is_some() { "SYN-ACK" } else { "SYN" };
            format!("{name} seq={}{ack}", self.seq)
        } else if self.fin {
            format!("FIN seq={}{ack}", self.seq)
        } else if self.len > 0 {
            format!("seq={} len={}", self.seq, self.len)
        } else {
            format!("ACK{ack}")
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitKind {
    Syn,
    Data,
    Fin,
}

/// Something a side sends reliably: it stays queued until the peer acknowledges it.
#[derive(Debug, Clone)]
struct Unit {
    kind: UnitKind,
    seq: u32,
    len: u32,
    sent_at: u64,
    transmissions: u32,
}

impl Unit {
    fn end(&self) -> u32 {
        self.seq + self.len
    }
}

#[derive(Debug)]
struct Endpoint {
    state: State,
    /// What this side sends, in sequence order; `next` is the first one not (re)sent yet.
    units: Vec<Unit>,
    next: usize,
    /// Oldest unacknowledged sequence number.
    una: u32,
    /// Next sequence number expected from the peer.
    rcv_nxt: u32,
    /// Segments that arrived ahead of a gap: seq → (len, fin).
    out_of_order: BTreeMap<u32, (u32, bool)>,
    cwnd: u32,
    ssthresh: u32,
    acks_in_avoidance: u32,
    srtt: Option<f64>,
    rttvar: f64,
    rto: u64,
    /// The retransmission timer: its deadline and a generation that cancels stale expiries.
    timer: Option<u64>,
    timer_generation: u64,
    link_free: u64,
    handshake_retransmitted: bool,
}

impl Endpoint {
    fn new(state: State, cwnd: u32) -> Self {
        Endpoint {
            state,
            units: Vec::new(),
            next: 0,
            una: 0,
            rcv_nxt: 0,
            out_of_order: BTreeMap::new(),
            cwnd,
            ssthresh: u32::MAX,
            acks_in_avoidance: 0,
            srtt: None,
            rttvar: 0.0,
            rto: INITIAL_RTO_US,
            timer: None,
            timer_generation: 0,
            link_free: 0,
            handshake_retransmitted: false,
        }
    }

    /// Units sent and not yet acknowledged.
    fn in_flight(&self) -> u32 {
        self.units[..self.next].iter().filter(|u| u.end() > self.una).count() as u32
    }

    fn first_unacked(&self) -> Option<usize> {
        self.units.iter().position(|u| u.end() > self.una)
    }

    /// RFC 6298 §2.2–2.3 with a measured round trip `r` (µs).
    fn sample_rtt(&mut self, r: f64) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2.0;
            }
            Some(srtt) => {
                self.rttvar = 0.75 * self.rttvar + 0.25 * (srtt - r).abs();
                self.srtt = Some(0.875 * srtt + 0.125 * r);
            }
        }
        let rto = self.srtt.unwrap() + (4.0 * self.rttvar).max(1_000.0);
        self.rto = (rto.round() as u64).clamp(MIN_RTO_US, MAX_RTO_US);
    }
}

#[derive(Debug, Clone)]
enum Event {
    /// A segment arrives; it is message `.1` of the figure.
    Arrive(Segment, usize),
    Rto(Side, u64),
    TimeWaitEnds(u64),
    ServerAppCloses,
}

/// What happened, for the text log (sorted by time at the end) and the figure's steps.
struct LogLine {
    at: u64,
    order: usize,
    side: Side,
    what: String,
    note: String,
    /// The message sent or received, or the state note, that the line is about.
    mark: Option<Mark>,
}

/// The outcome of a run: the log, the drawing, and facts the tests check.
pub struct Outcome {
    pub config: Config,
    log: Vec<LogLine>,
    pub messages: Vec<Message>,
    pub notes: Vec<Note>,
    /// Byte ranges `(first, len)` the server's application read, in the order it read them.
    pub delivered: Vec<(u32, u32)>,
    pub established_at: Option<u64>,
    pub first_data_sent_at: Option<u64>,
    pub all_acked_at: Option<u64>,
    pub time_wait: Vec<(Side, u64)>,
    pub closed_at: [Option<u64>; 2],
    pub sent: [u32; 2],
    pub retransmitted: [u32; 2],
    pub lost: [u32; 2],
    pub reset: bool,
    pub end: u64,
    /// Segments that arrive after both sides closed (time, message), which no one reads.
    pub late_arrivals: Vec<(u64, usize)>,
}

struct Sim {
    config: Config,
    ends: [Endpoint; 2],
    queue: Vec<(u64, usize, Event)>,
    order: usize,
    rng: Rng,
    time_wait_generation: u64,
    out: Outcome,
}

// ANCHOR: example
impl Sim {
    /// A segment arrives at `side`: the receiving half of RFC 9293 §3.10.7, cut down to what
    /// this connection needs.
    fn arrive(&mut self, now: u64, side: Side, seg: Segment) {
        let slot = self.log(now, side, format!("← {}", seg.label()), "");
        let mut notes = Vec::new();
        match self.ends[side.index()].state {
            State::Closed => {
                // TIME_WAIT is over and the socket is gone: a reset tells the peer.
                notes.push("no such connection any more: answer RST".to_string());
                let rst =
                    Segment { from: side, seq: 0, len: 0, ack: None, syn: false, fin: false, rst: true };
                self.transmit(now, rst, false);
            }
            _ if seg.rst => {
                notes.push("connection reset".to_string());
                self.out.reset = true;
                self.set_state(now, side, State::Closed);
            }
            State::Listen if seg.syn => {
                let me = &mut self.ends[side.index()];
                me.rcv_nxt = seg.seq + 1;
                me.units.push(Unit { kind: UnitKind::Syn, seq: 0, len: 1, sent_at: 0, transmissions: 0 });
                self.set_state(now, side, State::SynReceived);
                self.pump(now, side);
            }
            State::SynReceived if seg.syn => {
                notes.push("the SYN again: our SYN-ACK was lost; resend it".to_string());
                self.retransmit_first(now, side);
            }
            State::SynSent if seg.syn => {
                self.ends[side.index()].rcv_nxt = seg.seq + 1;
                self.send_ack(now, side);
                self.on_ack(now, side, seg.ack.unwrap_or(0), false, &mut notes);
            }
            _ if seg.syn => {
                notes.push("the SYN-ACK again: our ACK was lost; ACK again".to_string());
                self.send_ack(now, side);
            }
            _ => {
                if let Some(ack) = seg.ack {
                    let pure = seg.len == 0 && !seg.fin;
                    self.on_ack(now, side, ack, pure, &mut notes);
                }
                if seg.len > 0 || seg.fin {
                    self.on_data(now, side, seg, &mut notes);
                }
            }
        }
        self.out.log[slot].note = notes.join("; ");
    }

    /// Data or a FIN: deliver in order, buffer what is ahead of a gap, drop what we have.
    /// Every such segment is answered with a cumulative ACK.
    fn on_data(&mut self, now: u64, side: Side, seg: Segment, notes: &mut Vec<String>) {
        let me = &mut self.ends[side.index()];
        if seg.seq == me.rcv_nxt {
            let (mut read, mut fin) = (seg.len, seg.fin);
            if seg.len > 0 {
                self.out.delivered.push((seg.seq, seg.len));
            }
            me.rcv_nxt += seg.len + u32::from(seg.fin);
            while let Some((len, buffered_fin)) = me.out_of_order.remove(&me.rcv_nxt) {
                if len > 0 {
                    self.out.delivered.push((me.rcv_nxt, len));
                }
                read += len;
                fin |= buffered_fin;
                me.rcv_nxt += len + u32::from(buffered_fin);
            }
            let total: u32 = self.out.delivered.iter().map(|d| d.1).sum();
            notes.push(match (read, fin) {
                (0, _) => "in order; the app reads end-of-file".to_string(),
                (n, false) if n == seg.len => format!("in order; the app has read {total} B"),
                (_, false) => format!("fills the gap; the app has read {total} B"),
                (_, true) => format!("fills the gap; the app has read {total} B, then end-of-file"),
            });
            self.send_ack(now, side);
            if fin {
                self.on_fin(now, side);
            }
        } else if seg.seq > me.rcv_nxt {
            me.out_of_order.insert(seg.seq, (seg.len, seg.fin));
            notes.push(format!("out of order (seq={} is missing): buffered", me.rcv_nxt));
            self.send_ack(now, side);
        } else if seg.fin && me.state == State::TimeWait {
            // RFC 9293 §3.10.7.4: the peer did not get our last ACK. ACK again, restart 2×MSL.
            notes.push("the FIN again: our ACK was lost; ACK again, restart 2×MSL".to_string());
            self.send_ack(now, side);
            self.start_time_wait(now);
        } else {
            notes.push("a duplicate: already delivered, dropped".to_string());
            self.send_ack(now, side);
        }
    }

    // ANCHOR: ack
    /// A cumulative ACK arrived at `side`: forget what it covers, measure the round trip,
    /// grow the congestion window, restart or stop the retransmission timer.
    fn on_ack(&mut self, now: u64, side: Side, ack: u32, pure: bool, notes: &mut Vec<String>) {
        let me = &mut self.ends[side.index()];
        if ack <= me.una {
            if pure && side == Side::Client && me.in_flight() > 0 {
                notes.push(format!("a duplicate ACK: seq={ack} is still missing"));
            }
            return;
        }
        let newly: Vec<Unit> =
            me.units.iter().filter(|u| u.end() > me.una && u.end() <= ack).cloned().collect();
        me.una = ack;
        me.next = me.first_unacked().map_or(me.units.len(), |first| me.next.max(first));
        // Karn's rule: only a unit sent exactly once gives an unambiguous round-trip sample.
        let sample = newly.last().filter(|u| u.transmissions == 1).map(|u| now - u.sent_at);
        if let Some(r) = sample {
            me.sample_rtt(r as f64);
        }
        let handshake = newly.iter().any(|u| u.kind == UnitKind::Syn);
        if newly.iter().any(|u| u.kind == UnitKind::Data) {
            if me.cwnd < me.ssthresh {
                me.cwnd += 1; // slow start: one segment more per ACK (RFC 5681 §3.1)
            } else {
                me.acks_in_avoidance += 1; // congestion avoidance: one more per window
                if me.acks_in_avoidance >= me.cwnd {
                    me.cwnd += 1;
                    me.acks_in_avoidance = 0;
                }
            }
            notes.push(format!("cwnd {}", me.cwnd));
        }
        if let (true, Some(r)) = (handshake, sample) {
            notes.push(format!("RTT {} ms, so RTO {} ms", fmt_ms(r), fmt_ms(me.rto)));
        }
        let all_data_acked = me.units.iter().filter(|u| u.kind == UnitKind::Data).all(|u| u.end() <= me.una);
        if side == Side::Client
            && all_data_acked
            && self.out.all_acked_at.is_none()
            && self.config.segments > 0
        {
            self.out.all_acked_at = Some(now);
        }
        // RFC 6298 §5.2–5.3: stop the timer when everything is acknowledged, else restart it.
        if me.first_unacked().is_none() {
            me.timer = None;
            me.timer_generation += 1;
        } else {
            self.arm_timer(now, side);
        }
        let state = self.ends[side.index()].state;
        if handshake && matches!(state, State::SynSent | State::SynReceived) {
            self.set_state(now, side, State::Established);
            if side == Side::Client && self.ends[side.index()].handshake_retransmitted {
                // RFC 5681 §3.1 and RFC 6298 §5.7: after a lost SYN or SYN-ACK, start carefully.
                let me = &mut self.ends[side.index()];
                me.cwnd = 1;
                me.rto = me.rto.max(3_000_000);
                notes.push("the handshake needed a retransmission: cwnd 1, RTO 3 s".to_string());
            }
        }
        if newly.iter().any(|u| u.kind == UnitKind::Fin) {
            match state {
                State::FinWait1 => self.set_state(now, side, State::FinWait2),
                State::LastAck => self.set_state(now, side, State::Closed),
                _ => {}
            }
        }
        self.pump(now, side);
    }
    // ANCHOR_END: ack
}
// ANCHOR_END: example

impl Sim {
    fn new(config: Config) -> Sim {
        let mut client = Endpoint::new(State::Closed, config.cwnd);
        // The client's stream: SYN, the data, FIN (its application closes after writing).
        client.units.push(Unit { kind: UnitKind::Syn, seq: 0, len: 1, sent_at: 0, transmissions: 0 });
        for i in 0..config.segments {
            let seq = 1 + i * MSS;
            client.units.push(Unit { kind: UnitKind::Data, seq, len: MSS, sent_at: 0, transmissions: 0 });
        }
        let fin_seq = 1 + config.segments * MSS;
        client.units.push(Unit { kind: UnitKind::Fin, seq: fin_seq, len: 1, sent_at: 0, transmissions: 0 });
        let server = Endpoint::new(State::Listen, config.cwnd);
        Sim {
            rng: Rng::new(config.seed),
            ends: [client, server],
            queue: Vec::new(),
            order: 0,
            time_wait_generation: 0,
            out: Outcome {
                config: config.clone(),
                log: Vec::new(),
                messages: Vec::new(),
                notes: Vec::new(),
                delivered: Vec::new(),
                established_at: None,
                first_data_sent_at: None,
                all_acked_at: None,
                time_wait: Vec::new(),
                closed_at: [None, None],
                sent: [0; 2],
                retransmitted: [0; 2],
                lost: [0; 2],
                reset: false,
                end: 0,
                late_arrivals: Vec::new(),
            },
            config,
        }
    }

    fn schedule(&mut self, at: u64, event: Event) {
        self.order += 1;
        self.queue.push((at, self.order, event));
    }

    fn log(&mut self, at: u64, side: Side, what: String, note: &str) -> usize {
        self.order += 1;
        self.out.log.push(LogLine { at, order: self.order, side, what, note: note.to_string(), mark: None });
        self.out.log.len() - 1
    }

    fn set_state(&mut self, now: u64, side: Side, state: State) {
        let me = &mut self.ends[side.index()];
        if me.state == state {
            return;
        }
        let text = format!("{} → {}", me.state.name(), state.name());
        me.state = state;
        let line = self.log(now, side, String::new(), &text);
        self.out.log[line].mark = Some(Mark::Note { note: self.out.notes.len() });
        self.out.notes.push(Note { party: side.index(), at: ms(now), text: state.name().to_string() });
        match state {
            State::Established if side == Side::Client => self.out.established_at = Some(now),
            State::Closed => self.out.closed_at[side.index()] = Some(now),
            _ => {}
        }
    }

    /// Puts a segment on the link; it arrives half an RTT after it is fully sent, unless lost.
    fn transmit(&mut self, now: u64, seg: Segment, retransmission: bool) -> u64 {
        let side = seg.from;
        let me = &mut self.ends[side.index()];
        let depart = now.max(me.link_free);
        let tx = if seg.len > 0 { TX_US } else { 0 };
        me.link_free = depart + tx;
        let arrival = depart + tx + self.config.rtt_ms * 500;
        let lost = self.rng.chance(self.config.loss);
        let i = side.index();
        self.out.sent[i] += 1;
        self.out.retransmitted[i] += u32::from(retransmission);
        self.out.lost[i] += u32::from(lost);
        let mut label = seg.label();
        if retransmission {
            label.push_str(" (again)");
        }
        let note = if lost { "✗ lost" } else { "" };
        let line = self.log(depart, side, format!("→ {label}"), note);
        let message = self.out.messages.len();
        self.out.log[line].mark = Some(Mark::Sent { message });
        self.out.messages.push(Message {
            from: i,
            to: side.peer().index(),
            sent: ms(depart),
            arrived: (!lost).then(|| ms(arrival)),
            label,
        });
        if !lost {
            self.schedule(arrival, Event::Arrive(seg, message));
        }
        depart
    }

    fn segment_for(&self, side: Side, unit: &Unit) -> Segment {
        let me = &self.ends[side.index()];
        let ack = match (side, unit.kind) {
            (Side::Client, UnitKind::Syn) => None,
            _ => Some(me.rcv_nxt),
        };
        Segment {
            from: side,
            seq: unit.seq,
            len: if unit.kind == UnitKind::Data { unit.len } else { 0 },
            ack,
            syn: unit.kind == UnitKind::Syn,
            fin: unit.kind == UnitKind::Fin,
            rst: false,
        }
    }

    fn send_ack(&mut self, now: u64, side: Side) {
        let me = &self.ends[side.index()];
        let seq = me.units.iter().filter(|u| u.transmissions > 0).map(Unit::end).max().unwrap_or(0);
        let ack =
            Segment { from: side, seq, len: 0, ack: Some(me.rcv_nxt), syn: false, fin: false, rst: false };
        self.transmit(now, ack, false);
    }

    /// Whether `side` may send unit `index` now (its state and its windows allow it).
    fn may_send(&self, side: Side, index: usize) -> bool {
        let me = &self.ends[side.index()];
        let unit = &me.units[index];
        match unit.kind {
            UnitKind::Syn => true,
            UnitKind::Data | UnitKind::Fin => {
                let open = matches!(
                    me.state,
                    State::Established | State::CloseWait | State::FinWait1 | State::LastAck
                );
                open && me.in_flight() < me.cwnd.min(self.config.rwnd)
            }
        }
    }

    /// Sends what the windows allow.
    fn pump(&mut self, now: u64, side: Side) {
        loop {
            let me = &self.ends[side.index()];
            if me.next >= me.units.len() || !self.may_send(side, me.next) {
                break;
            }
            let index = me.next;
            let unit = me.units[index].clone();
            let seg = self.segment_for(side, &unit);
            let retransmission = unit.transmissions > 0;
            let depart = self.transmit(now, seg, retransmission);
            let me = &mut self.ends[side.index()];
            me.units[index].transmissions += 1;
            me.units[index].sent_at = depart;
            me.next += 1;
            if unit.kind == UnitKind::Fin {
                let next = if side == Side::Client { State::FinWait1 } else { State::LastAck };
                self.set_state(depart, side, next);
            }
            if unit.kind == UnitKind::Data && self.out.first_data_sent_at.is_none() {
                self.out.first_data_sent_at = Some(depart);
            }
            if self.ends[side.index()].timer.is_none() {
                self.arm_timer(depart, side);
            }
        }
    }

    fn arm_timer(&mut self, now: u64, side: Side) {
        let me = &mut self.ends[side.index()];
        me.timer_generation += 1;
        me.timer = Some(now + me.rto);
        let (at, generation) = (now + me.rto, me.timer_generation);
        self.schedule(at, Event::Rto(side, generation));
    }

    /// The peer's FIN has been delivered in order.
    fn on_fin(&mut self, now: u64, side: Side) {
        match (side, self.ends[side.index()].state) {
            (Side::Server, State::Established) => {
                self.set_state(now, side, State::CloseWait);
                // The server's application closes its end a tenth of an RTT after reading EOF.
                let delay = (self.config.rtt_ms * 100).max(1_000);
                self.schedule(now + delay, Event::ServerAppCloses);
            }
            (Side::Client, State::FinWait2) | (Side::Client, State::FinWait1) => {
                let me = &self.ends[side.index()];
                if me.first_unacked().is_none() {
                    self.start_time_wait(now);
                }
            }
            _ => {}
        }
    }

    fn start_time_wait(&mut self, now: u64) {
        self.set_state(now, Side::Client, State::TimeWait);
        self.out.time_wait.push((Side::Client, now));
        self.time_wait_generation += 1;
        let generation = self.time_wait_generation;
        self.schedule(now + 2 * self.config.msl_ms * 1_000, Event::TimeWaitEnds(generation));
    }

    /// RFC 6298 §5.4: resend the oldest unacknowledged unit.
    fn retransmit_first(&mut self, now: u64, side: Side) {
        let me = &self.ends[side.index()];
        let Some(index) = me.first_unacked() else { return };
        if index >= me.next && me.units[index].transmissions == 0 {
            return;
        }
        let unit = me.units[index].clone();
        let seg = self.segment_for(side, &unit);
        let depart = self.transmit(now, seg, true);
        let me = &mut self.ends[side.index()];
        me.units[index].transmissions += 1;
        me.units[index].sent_at = depart;
        me.next = index + 1;
        if unit.kind == UnitKind::Syn {
            me.handshake_retransmitted = true;
        }
    }

    fn on_timeout(&mut self, now: u64, side: Side) {
        let me = &mut self.ends[side.index()];
        let Some(index) = me.first_unacked() else { return };
        if index >= me.next {
            return;
        }
        let flight = me.in_flight();
        let old_rto = me.rto;
        let old_cwnd = me.cwnd;
        let data = me.units[index].kind != UnitKind::Syn;
        if data {
            // RFC 5681 §3.1: after a timeout, ssthresh = max(FlightSize / 2, 2), cwnd = 1.
            me.ssthresh = (flight / 2).max(2);
            me.cwnd = 1;
            me.acks_in_avoidance = 0;
        }
        me.rto = (me.rto * 2).min(MAX_RTO_US); // RFC 6298 §5.5: back off
        let what = format!("timer fired after {} ms", fmt_ms(old_rto));
        let note = if data && side == Side::Client {
            format!("cwnd {old_cwnd} → 1; next RTO {} ms", fmt_ms(me.rto))
        } else {
            format!("next RTO {} ms", fmt_ms(me.rto))
        };
        self.log(now, side, what, &note);
        let me = &mut self.ends[side.index()];
        me.timer = None;
        me.timer_generation += 1;
        self.retransmit_first(now, side);
        self.arm_timer(self.ends[side.index()].link_free.max(now), side);
        self.pump(now, side);
    }

    fn step(&mut self) -> Option<()> {
        let index = (0..self.queue.len()).min_by_key(|&i| (self.queue[i].0, self.queue[i].1))?;
        let (now, _, event) = self.queue.swap_remove(index);
        self.out.end = self.out.end.max(now);
        match event {
            Event::Arrive(seg, message) => {
                let to = seg.from.peer();
                let line = self.out.log.len();
                self.arrive(now, to, seg);
                self.out.log[line].mark = Some(Mark::Arrived { message });
            }
            Event::Rto(side, generation) => {
                if self.ends[side.index()].timer_generation == generation
                    && self.ends[side.index()].state != State::Closed
                {
                    self.on_timeout(now, side);
                }
            }
            Event::TimeWaitEnds(generation) => {
                if generation == self.time_wait_generation && self.ends[0].state == State::TimeWait {
                    self.set_state(now, Side::Client, State::Closed);
                }
            }
            Event::ServerAppCloses => {
                let server = &mut self.ends[Side::Server.index()];
                let seq = server.units.last().map_or(1, Unit::end);
                server.units.push(Unit { kind: UnitKind::Fin, seq, len: 1, sent_at: 0, transmissions: 0 });
                self.log(now, Side::Server, String::new(), "the application closes its end");
                self.pump(now, Side::Server);
            }
        }
        Some(())
    }

    fn finished(&self) -> bool {
        self.ends.iter().all(|e| e.state == State::Closed)
    }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1_000.0
}

fn fmt_ms(us: u64) -> String {
    if us.is_multiple_of(1_000) { format!("{}", us / 1_000) } else { format!("{:.1}", ms(us)) }
}

/// Runs the simulation to its end: both sides CLOSED.
pub fn simulate(config: &Config) -> Result<Outcome, InputError> {
    let mut sim = Sim::new(config.clone());
    sim.set_state(0, Side::Client, State::SynSent);
    sim.pump(0, Side::Client);
    let mut events = 0;
    while !sim.finished() {
        if sim.step().is_none() {
            return Err(InputError::new("internal: the simulation stalled with nothing left to do"));
        }
        events += 1;
        if events > EVENT_BUDGET {
            let why = if config.loss >= 1.0 {
                "with loss = 1 every segment is lost, so not even the handshake can finish. A real \
                 Linux client stops after net.ipv4.tcp_syn_retries (default 6) retransmitted SYNs, \
                 about two minutes, and connect() fails with ETIMEDOUT"
                    .to_string()
            } else {
                format!(
                    "the link loses too much for {} segments to get through; try a lower `loss` or fewer `segments`",
                    config.segments
                )
            };
            return Err(InputError::new(format!(
                "the simulation stopped after {EVENT_BUDGET} events ({} s of simulated time) without finishing: {why}",
                sim.out.end / 1_000_000
            )));
        }
    }
    sim.out.log.sort_by_key(|line| (line.at, line.order));
    // Segments still on the link when both sides closed: drawn as arriving, but nobody reads them.
    let mut late: Vec<(u64, usize, usize)> = sim
        .queue
        .iter()
        .filter_map(|(at, order, event)| match event {
            Event::Arrive(_, message) => Some((*at, *order, *message)),
            _ => None,
        })
        .collect();
    late.sort_unstable();
    sim.out.late_arrivals = late.into_iter().map(|(at, _, message)| (at, message)).collect();
    Ok(sim.out)
}

impl Outcome {
    pub fn report(&self) -> String {
        let c = &self.config;
        let mut out = format!(
            "RTT {} ms, loss {}%, seed {}; {} data segments of {MSS} B, initial cwnd {}, rwnd {}, MSL {} ms\n",
            c.rtt_ms,
            c.loss * 100.0,
            c.seed,
            c.segments,
            c.cwnd,
            c.rwnd,
            c.msl_ms
        );
        out.push_str("(relative sequence numbers: each side's SYN is seq=0)\n\n");
        out.push_str("  time ms  side    segment                          what happens\n");
        for line in &self.log {
            if line.what.is_empty() {
                out.push_str(&format!(
                    "{:>9}  {:<6}  {:<32} {}\n",
                    fmt_ms(line.at),
                    line.side.name(),
                    "",
                    line.note
                ));
            } else {
                out.push_str(&format!(
                    "{:>9}  {:<6}  {:<32} {}\n",
                    fmt_ms(line.at),
                    line.side.name(),
                    line.what,
                    line.note
                ));
            }
        }
        let lines: Vec<String> = out.lines().map(|l| l.trim_end().to_string()).collect();
        let mut out = lines.join("\n");
        out.push_str("\n\nsummary\n");
        if let (Some(est), Some(data)) = (self.established_at, self.first_data_sent_at) {
            out.push_str(&format!(
                "  client ESTABLISHED at {} ms = {:.2} RTT; first data segment sent at {} ms\n",
                fmt_ms(est),
                est as f64 / (c.rtt_ms * 1_000) as f64,
                fmt_ms(data)
            ));
        }
        let bytes: u32 = self.delivered.iter().map(|d| d.1).sum();
        let in_order = self.delivered.windows(2).all(|w| w[0].0 + w[0].1 == w[1].0);
        out.push_str(&format!(
            "  server application read {bytes} of {} B, {}\n",
            c.segments * MSS,
            if in_order { "in order, no gaps, no duplicates" } else { "OUT OF ORDER (a bug)" }
        ));
        if let Some(at) = self.all_acked_at {
            out.push_str(&format!("  all data acknowledged at {} ms\n", fmt_ms(at)));
        }
        for side in [Side::Client, Side::Server] {
            let i = side.index();
            out.push_str(&format!(
                "  {} sent {} segments: {} retransmitted, {} lost on the link\n",
                side.name(),
                self.sent[i],
                self.retransmitted[i],
                self.lost[i]
            ));
        }
        if let (Some(&(_, first)), Some(closed)) = (self.time_wait.first(), self.closed_at[0]) {
            out.push_str(&format!(
                "  client (closed first) held TIME_WAIT from {} to {} ms (2 × MSL = {} ms after the last FIN)\n",
                fmt_ms(first),
                fmt_ms(closed),
                2 * c.msl_ms
            ));
        }
        if let Some(closed) = self.closed_at[1] {
            let how = if self.reset { "by a reset" } else { "straight from LAST_ACK, no TIME_WAIT" };
            out.push_str(&format!("  server (closed second) CLOSED at {} ms, {how}\n", fmt_ms(closed)));
        }
        out
    }
}

/// One simulation: its log and summary, and its segments as a sequence diagram.
fn run(input: &str) -> Result<Drawn, InputError> {
    let outcome = simulate(&Config::parse(input)?)?;
    Ok(Drawn { text: outcome.report(), figure: draw(outcome) })
}

/// The segments between client and server, lost ones included, and the state changes; its
/// steps are the lines of the log.
fn draw(outcome: Outcome) -> Figure {
    let config = &outcome.config;
    let mut steps: Vec<Step> = outcome
        .log
        .iter()
        .map(|line| {
            let time = time_text(ms(line.at), "ms");
            let text = match (line.what.as_str(), line.note.as_str()) {
                ("", note) => format!("{time}: {}: {note}", line.side.name()),
                (what, "") => format!("{time}: {} {what}", line.side.name()),
                (what, note) => format!("{time}: {} {what}: {note}", line.side.name()),
            };
            Step { at: ms(line.at), text, marks: line.mark.into_iter().collect() }
        })
        .collect();
    steps.extend(outcome.late_arrivals.iter().map(|&(at, message)| {
        let m = &outcome.messages[message];
        let side = if m.to == Side::Client.index() { Side::Client } else { Side::Server };
        Step {
            at: ms(at),
            text: format!(
                "{}: {} ← {}: arrives after both sides closed; no one reads it",
                time_text(ms(at), "ms"),
                side.name(),
                m.label
            ),
            marks: vec![Mark::Arrived { message }],
        }
    }));
    Figure::Sequence {
        title: format!("TCP, RTT {} ms, loss {}%, seed {}", config.rtt_ms, config.loss * 100.0, config.seed),
        unit: "ms".into(),
        parties: vec!["client".into(), "server".into()],
        messages: outcome.messages,
        notes: outcome.notes,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(loss: f64, seed: u64, segments: u32) -> Config {
        Config { loss, rtt_ms: 100, seed, segments, cwnd: 10, rwnd: 64, msl_ms: 250 }
    }

    #[test]
    fn the_application_never_sees_a_gap_a_duplicate_or_a_reordering() {
        for seed in 0..300 {
            for loss in [0.0, 0.05, 0.2, 0.4] {
                let outcome = simulate(&config(loss, seed, 20)).unwrap();
                let mut expected = 1;
                for &(first, len) in &outcome.delivered {
                    assert_eq!(
                        first, expected,
                        "seed {seed}, loss {loss}: delivered {:?}",
                        outcome.delivered
                    );
                    expected += len;
                }
                assert_eq!(expected, 1 + 20 * MSS, "seed {seed}, loss {loss}: not everything arrived");
            }
        }
    }

    #[test]
    fn the_handshake_costs_one_round_trip_before_data() {
        let outcome = simulate(&config(0.0, 1, 5)).unwrap();
        assert_eq!(outcome.established_at, Some(100_000));
        assert_eq!(outcome.first_data_sent_at, Some(100_000));
        // With IW10 and 5 segments there is nothing to retransmit and one flight suffices:
        // the last ACK comes back one round trip (plus 5 ms of sending) later.
        assert_eq!(outcome.all_acked_at, Some(205_000));
        assert_eq!(outcome.retransmitted, [0, 0]);
    }

    #[test]
    fn slow_start_doubles_the_window_each_round_trip() {
        // 1 + 2 + 4 + 8 = 15 segments: four flights with an initial window of 1.
        let outcome = simulate(&Config { cwnd: 1, ..config(0.0, 1, 15) }).unwrap();
        let done = outcome.all_acked_at.unwrap();
        assert!(done > 500_000 && done < 520_000, "{done}");
        // With IW10: 10 + 5, two flights.
        let iw10 = simulate(&config(0.0, 1, 15)).unwrap();
        assert!(iw10.all_acked_at.unwrap() < 330_000, "{:?}", iw10.all_acked_at);
    }

    #[test]
    fn only_the_side_that_closes_first_holds_time_wait() {
        for seed in 0..200 {
            let outcome = simulate(&config(0.2, seed, 4)).unwrap();
            assert!(outcome.time_wait.iter().all(|(side, _)| *side == Side::Client));
            if !outcome.reset {
                assert!(!outcome.time_wait.is_empty(), "seed {seed}");
                let last = outcome.time_wait.last().unwrap().1;
                assert_eq!(outcome.closed_at[0], Some(last + 500_000), "seed {seed}");
            }
        }
    }

    #[test]
    fn same_seed_same_run_and_lossless_runs_retransmit_nothing() {
        let input = EXAMPLE.default_input;
        let text = |input: &str| run(input).unwrap().text;
        assert_eq!(text(input), text(input));
        assert_ne!(text(input), text(&input.replace("seed = 4", "seed = 5")));
        let clean = simulate(&config(0.0, 9, 30)).unwrap();
        assert_eq!((clean.lost, clean.retransmitted), ([0, 0], [0, 0]));
    }

    #[test]
    fn a_lost_segment_is_resent_after_the_rto_and_the_rto_doubles() {
        let outcome = simulate(&config(0.3, 2, 10)).unwrap();
        assert!(outcome.retransmitted[0] > 0);
        let text = outcome.report();
        assert!(text.contains("timer fired after"), "{text}");
    }

    #[test]
    fn total_loss_runs_out_of_budget_with_a_readable_error() {
        let err = run("loss = 1").unwrap_err();
        assert!(err.message.contains("every segment is lost"), "{}", err.message);
        assert!(run("loss = 1.5").unwrap_err().message.contains("out of range"));
    }

    #[test]
    fn every_run_replays_each_segment_and_state_change_once_in_order() {
        for seed in 0..60 {
            for (loss, msl) in [(0.0, 250), (0.3, 250), (0.3, 1), (0.6, 20)] {
                let input = format!("loss = {loss}\nseed = {seed}\nsegments = 8\nmsl = {msl}\nrtt = 300\n");
                if let Ok(drawn) = run(&input) {
                    drawn.figure.validate().unwrap_or_else(|problem| panic!("{input}: {problem}"));
                }
            }
        }
    }

    #[test]
    fn the_figure_is_drawable_and_marks_losses() {
        let figure = run(EXAMPLE.default_input).unwrap().figure;
        figure.validate().unwrap();
        let Figure::Sequence { messages, notes, .. } = figure else { panic!() };
        assert!(messages.iter().any(|m| m.arrived.is_none()));
        assert!(notes.iter().any(|n| n.text == "TIME_WAIT" && n.party == 0));
        assert!(notes.iter().all(|n| !(n.text == "TIME_WAIT" && n.party == 1)));
    }
}
