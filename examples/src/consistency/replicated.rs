//! A replicated register, simulated message by message, whose histories the checker judges.
//!
//! Nodes `n1..nN` keep a log of writes; `n1` leads at first. Clients `c1..cM` each run a few
//! reads and writes (values 1, 2, 3, … so every write is distinct), one at a time, and give up
//! on an operation after `timeout` ms (it is then recorded as never answered, `?`).
//!
//! * `write_ack = leader`: the leader answers a write as soon as it is in its own log
//!   (asynchronous replication, PostgreSQL's and MySQL's default); `majority`: once a majority of
//!   nodes hold it (Raft, etcd, ZooKeeper, MongoDB `w: "majority"`); `all`: once every node
//!   does (fully synchronous).
//! * `read_from = leader`: the node the client believes leads answers from what it has
//!   committed; `any`: a random node answers from what it has committed as far as it knows (a
//!   read replica; with `write_ack = all`, from everything it has applied); `majority`: the
//!   leader first confirms with a majority that it still leads and that its own term's first
//!   entry is committed, then answers (Raft's ReadIndex, etcd's default linearizable read).
//!
//! Replication follows Raft's log rules in small: the leader sends each follower the suffix of
//! its log from where it believes the follower is, with the term of the entry before it; a
//! follower accepts only if its log matches there, and says how far it got. Each heartbeat
//! (every 10 ms) does the same with whatever is missing. Elections are decided by an oracle,
//! not by votes: when a majority of the nodes, on one side, have each heard nothing from a
//! leader for `failover` ms (as timed by their own clocks), the most up-to-date of them (last
//! entry's term, then length) becomes leader of a new term at once, appends an empty entry of
//! its term, and the clients on its side learn of it. A leader cut off from the others does not
//! know it has been replaced until a message with a higher term reaches it: the split brain every real system
//! has to design around.
//!
//! `read_from = lease`: the leader answers alone while a majority has answered appends it sent
//! within the last `failover` ms by its own clock, else as `majority`.
//!
//! Faults: `crash = T NODE` (for good), `partition = FROM TO MEMBER...` (the nodes and clients
//! listed are cut off from the rest until `TO`), `delay = FROM TO NODE MS` (messages to and from
//! the node take that much longer), `skew = NODE MS` (the node's `failover`-long intervals last
//! MS ms longer in real time). Messages are never reordered on a link.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;

use super::check::{self, Judgement};
use super::history::{History, Kind, Op};
use crate::figure::{Lane, Mark, Span, SpanKind, Step, time_text};
use crate::input::{Entry as Line, Params};
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "consistency::replicated",
    title: "A replicated register under faults, judged by the checker",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`nodes = N` (1–5), `clients = N` (1–4), `ops = N` per client (1–8), `write_ack = leader | majority | all`, \
                 `read_from = leader | any | majority | lease`, `net = MIN MAX` (one-way ms), `lag = MS` (followers' replay lag), `timeout = MS`, `failover = MS | off`, \
                 `skew = NODE MS` (that node's `failover`-long intervals last MS ms longer, or shorter if negative), `seed = N`; faults: `crash = T NODE`, `partition = FROM TO MEMBER...` (nodes and clients cut off), \
                 `delay = FROM TO NODE MS`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
nodes = 3
clients = 3
ops = 5
write_ack = leader
read_from = leader
net = 1 5
timeout = 40
failover = 30
seed = 4
# n1 (the leader) and client c1 are cut off from n2, n3, c2 and c3
partition = 30 130 n1 c1
";

pub const HEARTBEAT: u64 = 10;
pub const EVENT_BUDGET: usize = 200_000;
const MAX_TIME: u64 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteAck {
    Leader,
    Majority,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    Leader,
    Any,
    Majority,
    /// The leader answers locally while it holds a lease (Raft thesis §6.4.1), else as `Majority`.
    Lease,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    Crash {
        at: u64,
        node: usize,
    },
    /// Parties `0..nodes` are nodes, `nodes..` clients.
    Partition {
        from: u64,
        to: u64,
        members: Vec<usize>,
    },
    Delay {
        from: u64,
        to: u64,
        node: usize,
        extra: u64,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub nodes: usize,
    pub clients: usize,
    pub ops: usize,
    pub write_ack: WriteAck,
    pub read_from: ReadFrom,
    pub net: (u64, u64),
    /// Extra ms on every leader→follower append: a follower's replay lag.
    pub lag: u64,
    pub timeout: u64,
    /// `None`: no elections.
    pub failover: Option<u64>,
    /// Per node (missing: 0): how many ms longer (negative: shorter) than `failover` an
    /// interval of `failover` ms that the node times on its own clock lasts in real time.
    pub skew: Vec<i64>,
    pub seed: u64,
    pub faults: Vec<Fault>,
}

impl Record {
    fn kind_label(&self) -> String {
        match self.kind {
            Kind::Write(v) => format!("write {v}"),
            _ => "the operation".to_string(),
        }
    }
}

impl Config {
    /// The single-copy configuration: every operation goes to one leader, no faults.
    pub fn describe(&self) -> String {
        let ack = match self.write_ack {
            WriteAck::Leader => "the leader alone (asynchronous replication)",
            WriteAck::Majority => "a majority of nodes",
            WriteAck::All => "every node (synchronous replication)",
        };
        let read = match self.read_from {
            ReadFrom::Leader => "the leader, from what it has committed",
            ReadFrom::Any if self.write_ack == WriteAck::All => "any node, from everything it has applied",
            ReadFrom::Any => "any node, from what it has committed as far as it knows",
            ReadFrom::Majority => "the leader, after a majority confirms it still leads (ReadIndex)",
            ReadFrom::Lease => "the leader, locally while its lease lasts, else after a majority confirms",
        };
        let failover = self
            .failover
            .map_or("never".to_string(), |ms| format!("once a majority has heard nothing for {ms} ms"));
        format!(
            "{} nodes (n1 leads at first), {} clients with {} operations each.\nWrites are acknowledged by {ack}; reads go to {read}.\n\
             One-way delay {}–{} ms, followers {} ms behind; clients give up after {} ms; failover {failover}; seed {}.\n{}",
            self.nodes,
            self.clients,
            self.ops,
            self.net.0,
            self.net.1,
            self.lag,
            self.timeout,
            self.seed,
            self.skew_text()
        )
    }

    /// Real ms that an interval of `ms` timed by node `n`'s clock lasts.
    pub fn timed(&self, n: usize, ms: u64) -> u64 {
        (ms as i64 + self.skew.get(n).copied().unwrap_or(0)).max(1) as u64
    }

    fn skew_text(&self) -> String {
        let skewed: Vec<String> = (0..self.skew.len())
            .filter(|&n| self.skew[n] != 0)
            .map(|n| {
                let ms = self.skew[n];
                let speed = if ms > 0 { "slow" } else { "fast" };
                format!(
                    "n{}'s clock runs {speed}: its {} ms intervals last {} ms\n",
                    n + 1,
                    self.failover.unwrap_or(30),
                    self.timed(n, self.failover.unwrap_or(30))
                )
            })
            .collect();
        skewed.concat()
    }
}

// ANCHOR: types
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LogEntry {
    term: u32,
    /// `None`: the empty entry a new leader appends.
    value: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Msg {
    Write {
        op: usize,
        value: i64,
    },
    Read {
        op: usize,
    },
    WriteOk {
        op: usize,
    },
    ReadOk {
        op: usize,
        value: i64,
    },
    NotLeader {
        op: usize,
        leader: Option<usize>,
    },
    /// The leader's log from `from` on; `prev_term` is the term of the entry before it.
    Append {
        term: u32,
        from: usize,
        prev_term: u32,
        entries: Vec<LogEntry>,
        commit: usize,
        /// When the leader sent it (for its lease).
        sent: u64,
    },
    AppendAck {
        term: u32,
        ok: bool,
        len: usize,
        /// The `sent` of the append it answers.
        sent: u64,
    },
    Confirm {
        term: u32,
        id: usize,
    },
    ConfirmAck {
        term: u32,
        id: usize,
    },
}

#[derive(Debug, Clone)]
struct Node {
    term: u32,
    leading: bool,
    leader: Option<usize>,
    log: Vec<LogEntry>,
    /// Entries known committed (a follower: as far as the leader has said).
    commit: usize,
    last_heard: u64,
    /// Leader only: where each follower's log is believed to end, and is known to match.
    next: Vec<usize>,
    matched: Vec<usize>,
    /// Leader only: the index of its term's first entry, writes waiting for their commit,
    /// reads waiting for confirmation (op, client, confirmations, index needed).
    term_start: usize,
    waiting_writes: Vec<(usize, usize, usize)>,
    waiting_reads: Vec<(usize, usize, Vec<usize>, usize)>,
    /// Leader only: per follower, when the newest append it answered was sent.
    acked_sent: Vec<u64>,
}
// ANCHOR_END: types

#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Deliver {
        from: usize,
        to: usize,
        msg: Msg,
    },
    Tick,
    ClientNext {
        client: usize,
    },
    Timeout {
        op: usize,
    },
    Crash {
        node: usize,
    },
    /// A partition starts or ends (only the drawing needs it).
    Mark,
}

/// One operation as the simulation recorded it.
#[derive(Debug, Clone)]
pub struct Record {
    pub client: usize,
    pub invoke: u64,
    pub complete: Option<u64>,
    pub kind: Kind,
    /// A node answered "not the leader": it certainly did not happen.
    pub refused: bool,
    pub open: bool,
}

/// The run: the history the clients saw, what the nodes went through, and a log of events.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub records: Vec<Record>,
    pub history: History,
    pub events: Vec<(u64, String)>,
    /// (time, node, state label, kind) whenever a node's state changes.
    pub states: Vec<(u64, usize, String, SpanKind)>,
    /// (time, node, what): messages that carry a write to a follower or an answer to a client,
    /// as they arrive (the node is the receiver, or the sender of an answer).
    pub messages: Vec<(u64, usize, String)>,
    pub end: u64,
    /// The simulation hit its event budget.
    pub cut_short: bool,
}

struct Sim<'a> {
    cfg: &'a Config,
    rng: Rng,
    now: u64,
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    events: Vec<Option<Event>>,
    nodes: Vec<Node>,
    crashed: Vec<bool>,
    /// Per link (from, to): when its last message arrives, to keep each link in order.
    link_last: Vec<u64>,
    believed: Vec<usize>,
    plans: Vec<Vec<Option<i64>>>,
    done_ops: Vec<usize>,
    records: Vec<Record>,
    log: Vec<(u64, String)>,
    states: Vec<(u64, usize, String, SpanKind)>,
    messages: Vec<(u64, usize, String)>,
    next_value: i64,
}

impl Sim<'_> {
    fn parties(&self) -> usize {
        self.cfg.nodes + self.cfg.clients
    }

    fn schedule(&mut self, at: u64, event: Event) {
        let seq = self.events.len() as u64;
        self.events.push(Some(event));
        self.queue.push(Reverse((at, seq)));
    }

    /// Which side of a partition party `p` is on at time `t` (0 when none is under way).
    fn side(&self, p: usize, t: u64) -> u8 {
        for fault in &self.cfg.faults {
            if let Fault::Partition { from, to, members } = fault
                && *from <= t
                && t < *to
            {
                return u8::from(members.contains(&p));
            }
        }
        0
    }

    fn cut_off(&self, p: usize, t: u64) -> bool {
        self.side(p, t) == 1
    }

    fn reachable(&self, a: usize, b: usize, t: u64) -> bool {
        let alive = |p: usize| p >= self.cfg.nodes || !self.crashed[p];
        alive(a) && alive(b) && self.side(a, t) == self.side(b, t)
    }

    fn extra_delay(&self, p: usize, t: u64) -> u64 {
        self.cfg
            .faults
            .iter()
            .map(|fault| match fault {
                Fault::Delay { from, to, node, extra } if *node == p && *from <= t && t < *to => *extra,
                _ => 0,
            })
            .sum()
    }

    // ANCHOR: send
    /// Sends `msg`; it is lost if the link is cut when it leaves or when it would arrive.
    fn send(&mut self, from: usize, to: usize, msg: Msg) {
        if !self.reachable(from, to, self.now) {
            return;
        }
        let lag = if matches!(msg, Msg::Append { .. }) { self.cfg.lag } else { 0 };
        let delay = self.rng.range(self.cfg.net.0, self.cfg.net.1)
            + lag
            + self.extra_delay(from, self.now)
            + self.extra_delay(to, self.now);
        let link = from * self.parties() + to;
        let at = (self.now + delay).max(self.link_last[link]);
        self.link_last[link] = at;
        if self.reachable(from, to, at) {
            self.schedule(at, Event::Deliver { from, to, msg });
        }
    }
    // ANCHOR_END: send

    fn value_at(&self, node: usize, upto: usize) -> i64 {
        self.nodes[node].log[..upto.min(self.nodes[node].log.len())]
            .iter()
            .rev()
            .find_map(|e| e.value)
            .unwrap_or(0)
    }

    fn majority(&self) -> usize {
        self.cfg.nodes / 2 + 1
    }

    // ANCHOR: lease
    /// When leader `n`'s lease runs out, in real time. A majority (itself included) has answered
    /// appends sent at or after `start`, and none of them will help elect another leader until
    /// `failover` ms after hearing one, so no other leader can exist before `start + failover`.
    /// But `n` measures those `failover` ms on its own clock: with skew, the lease it believes
    /// in outlasts the promise.
    fn lease_end(&self, n: usize) -> u64 {
        let Some(failover) = self.cfg.failover else { return u64::MAX };
        let node = &self.nodes[n];
        let mut acked: Vec<u64> =
            (0..self.cfg.nodes).map(|f| if f == n { self.now } else { node.acked_sent[f] }).collect();
        acked.sort_unstable_by(|a, b| b.cmp(a));
        let start = acked[self.majority() - 1];
        if start == 0 { 0 } else { start + self.cfg.timed(n, failover) }
    }
    // ANCHOR_END: lease

    fn note_states(&mut self) {
        for n in 0..self.cfg.nodes {
            let node = &self.nodes[n];
            let (mut label, mut kind) = if self.crashed[n] {
                ("crashed".to_string(), SpanKind::Lost)
            } else if node.leading {
                (format!("leader, term {}", node.term), SpanKind::Busy)
            } else {
                (format!("follower, term {}", node.term), SpanKind::Idle)
            };
            if !self.crashed[n] && self.cut_off(n, self.now) {
                label.push_str(", cut off");
                kind = SpanKind::Wait;
            }
            let last = self.states.iter().rev().find(|s| s.1 == n);
            if last.is_none_or(|s| s.2 != label) {
                self.states.push((self.now, n, label, kind));
            }
        }
    }

    /// A leader sends each follower what it is missing (an empty append is a heartbeat).
    fn replicate(&mut self, leader: usize) {
        for f in 0..self.cfg.nodes {
            if f == leader {
                continue;
            }
            let node = &self.nodes[leader];
            let from = node.next[f].min(node.log.len());
            let msg = Msg::Append {
                term: node.term,
                from,
                prev_term: if from == 0 { 0 } else { node.log[from - 1].term },
                entries: node.log[from..].to_vec(),
                commit: node.commit,
                sent: self.now,
            };
            self.nodes[leader].next[f] = self.nodes[leader].log.len();
            self.send(leader, f, msg);
        }
    }

    // ANCHOR: commit
    /// A leader commits the newest entry of its own term that enough nodes hold (Raft's rule:
    /// an older term's entry is committed only under one of the current term), then answers
    /// the writes and reads that waited for it.
    fn advance(&mut self, n: usize) {
        let need = match self.cfg.write_ack {
            WriteAck::Leader => 0,
            WriteAck::Majority => self.majority(),
            WriteAck::All => self.cfg.nodes,
        };
        let node = &mut self.nodes[n];
        if need == 0 {
            node.commit = node.log.len();
        } else {
            for idx in (node.commit + 1..=node.log.len()).rev() {
                let holders = (0..node.matched.len()).filter(|&f| f == n || node.matched[f] >= idx).count();
                if node.log[idx - 1].term == node.term && holders >= need {
                    node.commit = idx;
                    break;
                }
            }
        }
        let commit = node.commit;
        let (ready, waiting): (Vec<_>, Vec<_>) = node.waiting_writes.drain(..).partition(|w| w.2 <= commit);
        node.waiting_writes = waiting;
        for (op, client, _) in ready {
            self.send(n, self.cfg.nodes + client, Msg::WriteOk { op });
        }
        let majority = self.majority();
        let node = &mut self.nodes[n];
        let (ready, waiting): (Vec<_>, Vec<_>) =
            node.waiting_reads.drain(..).partition(|r| r.2.len() >= majority && r.3 <= commit);
        node.waiting_reads = waiting;
        for (op, client, _, _) in ready {
            let value = self.value_at(n, commit);
            self.send(n, self.cfg.nodes + client, Msg::ReadOk { op, value });
        }
    }
    // ANCHOR_END: commit

    fn step_down(&mut self, n: usize, term: u32, leader: Option<usize>) {
        let was = self.nodes[n].leading;
        let node = &mut self.nodes[n];
        node.term = term;
        node.leading = false;
        node.leader = leader;
        node.last_heard = self.now;
        node.waiting_writes.clear();
        node.waiting_reads.clear();
        if was {
            self.log.push((self.now, format!("n{} steps down: it hears of term {term}", n + 1)));
        }
    }

    /// Notes the messages a reader follows: writes shipped to followers, answers to clients.
    fn note_message(&mut self, from: usize, to: usize, msg: &Msg) {
        let nodes = self.cfg.nodes;
        let (node, text) = match msg {
            Msg::Append { entries, .. } => {
                let values: Vec<String> =
                    entries.iter().filter_map(|e| e.value.map(|v| format!("write {v}"))).collect();
                if values.is_empty() {
                    return;
                }
                (to, format!("n{} receives {} from n{}", to + 1, values.join(", "), from + 1))
            }
            Msg::WriteOk { op } => (
                from,
                format!(
                    "c{} hears from n{}: {} acknowledged",
                    to - nodes + 1,
                    from + 1,
                    self.records[*op].kind_label()
                ),
            ),
            Msg::ReadOk { value, .. } => {
                (from, format!("c{} hears from n{}: read returns {value}", to - nodes + 1, from + 1))
            }
            Msg::NotLeader { .. } => {
                (from, format!("c{} hears from n{}: not the leader", to - nodes + 1, from + 1))
            }
            _ => return,
        };
        self.messages.push((self.now, node, text));
    }

    fn deliver(&mut self, from: usize, to: usize, msg: Msg) {
        let nodes = self.cfg.nodes;
        self.note_message(from, to, &msg);
        if to >= nodes {
            self.client_reply(to - nodes, msg);
            return;
        }
        match msg {
            Msg::Write { op, value } => {
                if !self.nodes[to].leading {
                    let leader = self.nodes[to].leader;
                    self.send(to, from, Msg::NotLeader { op, leader });
                    return;
                }
                let node = &mut self.nodes[to];
                node.log.push(LogEntry { term: node.term, value: Some(value) });
                let index = node.log.len();
                if self.cfg.write_ack == WriteAck::Leader {
                    node.commit = index;
                    self.send(to, from, Msg::WriteOk { op });
                } else {
                    node.waiting_writes.push((op, from - nodes, index));
                    self.advance(to);
                }
                self.replicate(to);
            }
            Msg::Read { op } => {
                let node = &self.nodes[to];
                match self.cfg.read_from {
                    ReadFrom::Any => {
                        // With `write_ack = all` a follower has applied what it received before
                        // the leader answers (PostgreSQL's `remote_apply`); otherwise it serves
                        // what it knows to be committed (Raft).
                        let upto =
                            if self.cfg.write_ack == WriteAck::All { node.log.len() } else { node.commit };
                        let value = self.value_at(to, upto);
                        self.send(to, from, Msg::ReadOk { op, value });
                    }
                    _ if !node.leading => {
                        let leader = node.leader;
                        self.send(to, from, Msg::NotLeader { op, leader });
                    }
                    ReadFrom::Leader => {
                        let value = self.value_at(to, node.commit);
                        self.send(to, from, Msg::ReadOk { op, value });
                    }
                    ReadFrom::Lease if node.commit >= node.term_start && self.now < self.lease_end(to) => {
                        let value = self.value_at(to, node.commit);
                        self.send(to, from, Msg::ReadOk { op, value });
                    }
                    ReadFrom::Majority | ReadFrom::Lease => {
                        let needed = node.commit.max(node.term_start);
                        let term = node.term;
                        self.nodes[to].waiting_reads.push((op, from - nodes, vec![to], needed));
                        for f in 0..nodes {
                            if f != to {
                                self.send(to, f, Msg::Confirm { term, id: op });
                            }
                        }
                        self.advance(to);
                    }
                }
            }
            Msg::Append { term, from: start, prev_term, entries, commit, sent } => {
                if term < self.nodes[to].term {
                    let mine = self.nodes[to].term;
                    self.send(to, from, Msg::AppendAck { term: mine, ok: false, len: 0, sent });
                    return;
                }
                if term > self.nodes[to].term || self.nodes[to].leading {
                    self.step_down(to, term, Some(from));
                }
                let node = &mut self.nodes[to];
                node.leader = Some(from);
                node.last_heard = self.now;
                let matches =
                    start <= node.log.len() && (start == 0 || node.log[start - 1].term == prev_term);
                let reply = if matches {
                    let dropped: Vec<String> = (start..node.log.len())
                        .filter(|&i| entries.get(i - start) != Some(&node.log[i]))
                        .filter_map(|i| node.log[i].value.map(|v| format!("write {v}")))
                        .collect();
                    if !dropped.is_empty() {
                        let line = format!(
                            "n{} drops {} from its log: n{}'s log of term {term} overwrites it",
                            to + 1,
                            dropped.join(", "),
                            from + 1
                        );
                        self.log.push((self.now, line));
                    }
                    let node = &mut self.nodes[to];
                    node.log.truncate(start);
                    node.log.extend(entries);
                    node.commit = commit.min(node.log.len());
                    Msg::AppendAck { term, ok: true, len: node.log.len(), sent }
                } else {
                    let back = if start > node.log.len() { node.log.len() } else { start - 1 };
                    node.commit = node.commit.min(back);
                    Msg::AppendAck { term, ok: false, len: back, sent }
                };
                self.send(to, from, reply);
            }
            Msg::AppendAck { term, ok, len, sent } => {
                if term > self.nodes[to].term {
                    self.step_down(to, term, None);
                    return;
                }
                if !self.nodes[to].leading || term < self.nodes[to].term {
                    return;
                }
                let node = &mut self.nodes[to];
                node.acked_sent[from] = node.acked_sent[from].max(sent);
                if ok {
                    node.matched[from] = node.matched[from].max(len);
                    node.next[from] = node.next[from].max(len);
                    self.advance(to);
                } else {
                    node.next[from] = len;
                    self.replicate(to);
                }
            }
            Msg::Confirm { term, id } => {
                if term < self.nodes[to].term {
                    let mine = self.nodes[to].term;
                    self.send(to, from, Msg::AppendAck { term: mine, ok: false, len: 0, sent: 0 });
                    return;
                }
                if term > self.nodes[to].term || self.nodes[to].leading {
                    self.step_down(to, term, Some(from));
                }
                self.nodes[to].leader = Some(from);
                self.nodes[to].last_heard = self.now;
                self.send(to, from, Msg::ConfirmAck { term, id });
            }
            Msg::ConfirmAck { term, id } => {
                let node = &mut self.nodes[to];
                if node.leading && term == node.term {
                    for read in &mut node.waiting_reads {
                        if read.0 == id && !read.2.contains(&from) {
                            read.2.push(from);
                        }
                    }
                    self.advance(to);
                }
            }
            Msg::WriteOk { .. } | Msg::ReadOk { .. } | Msg::NotLeader { .. } => {}
        }
    }

    fn client_reply(&mut self, client: usize, msg: Msg) {
        let (op, answer) = match msg {
            Msg::WriteOk { op } => (op, None),
            Msg::ReadOk { op, value } => (op, Some(value)),
            Msg::NotLeader { op, leader } => {
                if let Some(leader) = leader {
                    self.believed[client] = leader;
                }
                if self.records[op].open {
                    self.records[op].open = false;
                    self.records[op].refused = true;
                    self.records[op].complete = Some(self.now);
                    self.next_op(client);
                }
                return;
            }
            _ => return,
        };
        let record = &mut self.records[op];
        if !record.open {
            return; // The client had given up.
        }
        record.open = false;
        record.complete = Some(self.now);
        if let Some(value) = answer {
            record.kind = Kind::Read(Some(value));
        }
        self.next_op(client);
    }

    fn next_op(&mut self, client: usize) {
        let think = self.rng.range(1, 8);
        self.schedule(self.now + think, Event::ClientNext { client });
    }

    fn client_start(&mut self, client: usize) {
        let Some(plan) = self.plans[client].get(self.done_ops[client]).copied() else { return };
        self.done_ops[client] += 1;
        let op = self.records.len();
        let (kind, msg) = match plan {
            Some(_) => {
                self.next_value += 1;
                (Kind::Write(self.next_value), Msg::Write { op, value: self.next_value })
            }
            None => (Kind::Read(None), Msg::Read { op }),
        };
        self.records.push(Record {
            client,
            invoke: self.now,
            complete: None,
            kind,
            refused: false,
            open: true,
        });
        let target = match (&msg, self.cfg.read_from) {
            (Msg::Read { .. }, ReadFrom::Any) => self.rng.range(0, self.cfg.nodes as u64 - 1) as usize,
            _ => self.believed[client],
        };
        self.send(self.cfg.nodes + client, target, msg);
        self.schedule(self.now + self.cfg.timeout, Event::Timeout { op });
    }

    // ANCHOR: election
    /// The election oracle: when a majority of the nodes, all on one side, have each heard
    /// nothing from a leader for `failover` ms, the most up-to-date node on that side becomes
    /// leader. One slow follower alone cannot depose a healthy leader: the others still hear
    /// from it and would refuse their votes (Raft's PreVote and CheckQuorum, thesis §9.6).
    fn elections(&mut self) {
        let Some(failover) = self.cfg.failover else { return };
        let lost = |sim: &Self, n: usize| {
            !sim.crashed[n]
                && !sim.nodes[n].leading
                && sim.now >= sim.nodes[n].last_heard + sim.cfg.timed(n, failover)
        };
        for f in 0..self.cfg.nodes {
            if !lost(self, f) {
                continue;
            }
            let side: Vec<usize> = (0..self.cfg.nodes).filter(|&n| self.reachable(f, n, self.now)).collect();
            if side.iter().filter(|&&n| lost(self, n)).count() < self.majority() {
                continue;
            }
            let key = |n: usize| {
                let log = &self.nodes[n].log;
                (log.last().map_or(0, |e| e.term), log.len(), Reverse(n))
            };
            let winner = side.iter().copied().max_by_key(|&n| key(n)).unwrap_or(f);
            let term = side.iter().map(|&n| self.nodes[n].term).max().unwrap_or(0) + 1;
            for &n in &side {
                self.step_down(n, term, Some(winner));
            }
            let nodes = self.cfg.nodes;
            let leader = &mut self.nodes[winner];
            leader.leading = true;
            leader.log.push(LogEntry { term, value: None });
            leader.term_start = leader.log.len();
            leader.next = vec![leader.log.len() - 1; nodes];
            leader.matched = vec![0; nodes];
            leader.acked_sent = vec![0; nodes];
            let names: Vec<String> = side.iter().map(|n| format!("n{}", n + 1)).collect();
            self.log.push((
                self.now,
                format!("n{} becomes leader of term {term} (side: {})", winner + 1, names.join(" ")),
            ));
            for c in 0..self.cfg.clients {
                if self.reachable(nodes + c, winner, self.now) {
                    self.believed[c] = winner;
                }
            }
            self.advance(winner);
            self.replicate(winner);
        }
    }
    // ANCHOR_END: election
}

// ANCHOR: simulate
pub fn simulate(cfg: &Config) -> Outcome {
    let mut rng = Rng::new(cfg.seed);
    // Each client's plan: `Some(())` a write, `None` a read, chosen up front from the seed.
    let plans: Vec<Vec<Option<i64>>> =
        (0..cfg.clients).map(|_| (0..cfg.ops).map(|_| rng.chance(0.5).then_some(0)).collect()).collect();
    let parties = cfg.nodes + cfg.clients;
    let node = Node {
        term: 1,
        leading: false,
        leader: Some(0),
        log: Vec::new(),
        commit: 0,
        last_heard: 0,
        next: vec![0; cfg.nodes],
        matched: vec![0; cfg.nodes],
        term_start: 0,
        waiting_writes: Vec::new(),
        waiting_reads: Vec::new(),
        acked_sent: vec![0; cfg.nodes],
    };
    let mut sim = Sim {
        cfg,
        rng,
        now: 0,
        queue: BinaryHeap::new(),
        events: Vec::new(),
        nodes: vec![node; cfg.nodes],
        crashed: vec![false; cfg.nodes],
        link_last: vec![0; parties * parties],
        believed: vec![0; cfg.clients],
        plans,
        done_ops: vec![0; cfg.clients],
        records: Vec::new(),
        log: Vec::new(),
        states: Vec::new(),
        messages: Vec::new(),
        next_value: 0,
    };
    sim.nodes[0].leading = true;
    for c in 0..cfg.clients {
        let start = sim.rng.range(0, 5);
        sim.schedule(start, Event::ClientNext { client: c });
    }
    sim.schedule(HEARTBEAT, Event::Tick);
    for fault in &cfg.faults {
        match fault {
            Fault::Crash { at, node } => sim.schedule(*at, Event::Crash { node: *node }),
            Fault::Partition { from, to, .. } => {
                sim.schedule(*from, Event::Mark);
                sim.schedule(*to, Event::Mark);
            }
            Fault::Delay { .. } => {}
        }
    }
    // After the clients finish, the nodes run on until the last fault is over and a failover
    // and a few heartbeats have passed, so a healed partition is seen to resolve.
    let last_fault = cfg
        .faults
        .iter()
        .map(|f| match f {
            Fault::Crash { at, .. } => *at,
            Fault::Partition { to, .. } | Fault::Delay { to, .. } => *to,
        })
        .max();
    let settle = last_fault.map_or(0, |t| t + cfg.failover.unwrap_or(0) + 3 * HEARTBEAT);
    sim.note_states();
    let mut processed = 0;
    let mut cut_short = false;
    while let Some(Reverse((at, seq))) = sim.queue.pop() {
        processed += 1;
        if processed > EVENT_BUDGET {
            cut_short = true;
            break;
        }
        sim.now = at;
        let Some(event) = sim.events[seq as usize].take() else { continue };
        match event {
            Event::Deliver { from, to, msg } => {
                if sim.reachable(from, to, at) {
                    sim.deliver(from, to, msg);
                }
            }
            Event::Tick => {
                sim.elections();
                for n in 0..cfg.nodes {
                    if sim.nodes[n].leading && !sim.crashed[n] {
                        sim.replicate(n);
                    }
                }
                let busy =
                    (0..cfg.clients).any(|c| sim.done_ops[c] < cfg.ops) || sim.records.iter().any(|r| r.open);
                if (busy || at < settle) && at < MAX_TIME {
                    sim.schedule(at + HEARTBEAT, Event::Tick);
                }
            }
            Event::ClientNext { client } => sim.client_start(client),
            Event::Timeout { op } => {
                if sim.records[op].open {
                    sim.records[op].open = false;
                    let client = sim.records[op].client;
                    sim.next_op(client);
                }
            }
            Event::Crash { node } => {
                sim.crashed[node] = true;
                sim.log.push((at, format!("n{} crashes", node + 1)));
            }
            Event::Mark => {
                for fault in &cfg.faults {
                    if let Fault::Partition { from, to, members } = fault {
                        let names: Vec<String> = members.iter().map(|&p| party_name(cfg, p)).collect();
                        if *from == at {
                            sim.log
                                .push((at, format!("partition: {} cut off from the rest", names.join(" "))));
                        } else if *to == at {
                            sim.log.push((at, "the partition heals".to_string()));
                        }
                    }
                }
            }
        }
        sim.note_states();
    }
    sim.log.dedup();
    let end = sim.now;
    let history = History {
        init: 0,
        ops: sim
            .records
            .iter()
            .filter(|r| !r.refused)
            .map(|r| Op {
                line: 0,
                client: format!("c{}", r.client + 1),
                invoke: r.invoke,
                complete: r.complete,
                kind: if r.complete.is_none() && matches!(r.kind, Kind::Read(_)) {
                    Kind::Read(None)
                } else {
                    r.kind
                },
            })
            .collect(),
    };
    Outcome {
        records: sim.records,
        history,
        events: sim.log,
        states: sim.states,
        messages: sim.messages,
        end,
        cut_short,
    }
}
// ANCHOR_END: simulate

fn party_name(cfg: &Config, p: usize) -> String {
    if p < cfg.nodes { format!("n{}", p + 1) } else { format!("c{}", p - cfg.nodes + 1) }
}

/// The nodes' states as lanes under the clients' (one per node), and a step per change.
pub fn node_lanes(cfg: &Config, outcome: &Outcome, axis_end: u64) -> (Vec<Lane>, Vec<Step>) {
    let mut lanes: Vec<Lane> =
        (0..cfg.nodes).map(|n| Lane { name: format!("n{}", n + 1), spans: Vec::new() }).collect();
    for (i, (at, n, label, kind)) in outcome.states.iter().enumerate() {
        let end = outcome.states[i + 1..].iter().find(|s| s.1 == *n).map_or(axis_end, |s| s.0);
        if end > *at || end == axis_end {
            lanes[*n].spans.push(Span {
                start: *at as f64,
                end: end.max(*at) as f64,
                label: label.clone(),
                kind: *kind,
            });
        }
    }
    let mut steps = Step::at_span_starts(&lanes, "ms");
    for (at, n, text) in &outcome.messages {
        let t = *at as f64;
        let marks = lanes[*n]
            .spans
            .iter()
            .position(|s| s.start <= t && t <= s.end)
            .map(|span| vec![Mark::Span { lane: *n, span }])
            .unwrap_or_default();
        steps.push(Step { at: t, text: format!("{}: {text}", time_text(t, "ms")), marks });
    }
    steps.sort_by(|a, b| a.at.total_cmp(&b.at));
    (lanes, steps)
}

/// Answered, timed out, refused; mean time to an answer (ms).
pub fn tally(outcome: &Outcome) -> (usize, usize, usize, f64) {
    let answered: Vec<&Record> =
        outcome.records.iter().filter(|r| !r.refused && r.complete.is_some()).collect();
    let timed_out = outcome.records.iter().filter(|r| r.complete.is_none()).count();
    let refused = outcome.records.iter().filter(|r| r.refused).count();
    let total: u64 = answered.iter().map(|r| r.complete.unwrap_or(r.invoke) - r.invoke).sum();
    let mean = if answered.is_empty() { 0.0 } else { total as f64 / answered.len() as f64 };
    (answered.len(), timed_out, refused, mean)
}

pub fn parse_config(input: &str) -> Result<Config, InputError> {
    let p = Params::parse(
        input,
        &[
            "nodes",
            "clients",
            "ops",
            "write_ack",
            "read_from",
            "net",
            "lag",
            "timeout",
            "failover",
            "skew",
            "seed",
            "crash",
            "partition",
            "delay",
        ],
    )?;
    let nodes: usize = p.number_or("nodes", 1, 5, 3)?;
    let clients: usize = p.number_or("clients", 1, 4, 3)?;
    let ops: usize = p.number_or("ops", 1, 8, 4)?;
    let write_ack = match p.choice_or("write_ack", &["leader", "majority", "all"], "leader")? {
        "majority" => WriteAck::Majority,
        "all" => WriteAck::All,
        _ => WriteAck::Leader,
    };
    let read_from = match p.choice_or("read_from", &["leader", "any", "majority", "lease"], "leader")? {
        "any" => ReadFrom::Any,
        "majority" => ReadFrom::Majority,
        "lease" => ReadFrom::Lease,
        _ => ReadFrom::Leader,
    };
    let net = match p.one("net")? {
        None => (1, 5),
        Some(e) => {
            let v: Vec<u64> = e.numbers(0, 1000)?;
            if v.len() != 2 || v[0] > v[1] {
                return Err(InputError::at_line(e.line, "`net = MIN MAX`: two numbers of ms, MIN ≤ MAX"));
            }
            (v[0], v[1])
        }
    };
    let lag: u64 = p.number_or("lag", 0, 1000, 0)?;
    let timeout: u64 = p.number_or("timeout", 1, 10_000, 40)?;
    let failover = match p.one("failover")? {
        Some(e) if e.value == "off" => None,
        Some(e) => Some(e.number(1, 10_000)?),
        None => Some(30),
    };
    let seed: u64 = p.number_or("seed", 0, u64::MAX, 1)?;
    let node_of = |e: &Line, word: &str| -> Result<usize, InputError> {
        word.strip_prefix('n')
            .and_then(|d| d.parse::<usize>().ok())
            .filter(|&k| (1..=nodes).contains(&k))
            .map(|k| k - 1)
            .ok_or_else(|| InputError::at_line(e.line, format!("`{word}`: nodes are n1 to n{nodes}")))
    };
    let time = |e: &Line, word: &str| crate::input::parse_number::<u64>(word, e.line, 0, MAX_TIME);
    let mut faults = Vec::new();
    for e in p.all("crash") {
        let w: Vec<&str> = e.value.split_whitespace().collect();
        if w.len() != 2 {
            return Err(InputError::at_line(e.line, "`crash = TIME NODE`, e.g. `crash = 50 n1`"));
        }
        faults.push(Fault::Crash { at: time(e, w[0])?, node: node_of(e, w[1])? });
    }
    let mut windows: Vec<(u64, u64, usize)> = Vec::new();
    for e in p.all("partition") {
        let w: Vec<&str> = e.value.split_whitespace().collect();
        if w.len() < 3 {
            return Err(InputError::at_line(
                e.line,
                "`partition = FROM TO MEMBER...`, e.g. `partition = 30 130 n1 c1`",
            ));
        }
        let (from, to) = (time(e, w[0])?, time(e, w[1])?);
        if to <= from {
            return Err(InputError::at_line(e.line, "a partition must end after it starts"));
        }
        if let Some(clash) = windows.iter().find(|(f, t, _)| from < *t && *f < to) {
            return Err(InputError::at_line(
                e.line,
                format!("overlaps the partition on line {}: one at a time", clash.2),
            ));
        }
        windows.push((from, to, e.line));
        let mut members = Vec::new();
        for word in &w[2..] {
            let p = if let Some(c) = word.strip_prefix('c') {
                c.parse::<usize>()
                    .ok()
                    .filter(|&k| (1..=clients).contains(&k))
                    .map(|k| nodes + k - 1)
                    .ok_or_else(|| {
                        InputError::at_line(e.line, format!("`{word}`: clients are c1 to c{clients}"))
                    })?
            } else {
                node_of(e, word)?
            };
            if !members.contains(&p) {
                members.push(p);
            }
        }
        faults.push(Fault::Partition { from, to, members });
    }
    let mut skew = vec![0i64; nodes];
    for e in p.all("skew") {
        let w: Vec<&str> = e.value.split_whitespace().collect();
        if w.len() != 2 {
            return Err(InputError::at_line(e.line, "`skew = NODE MS`, e.g. `skew = n1 40`"));
        }
        skew[node_of(e, w[0])?] = crate::input::parse_number::<i64>(w[1], e.line, -1000, 1000)?;
    }
    for e in p.all("delay") {
        let w: Vec<&str> = e.value.split_whitespace().collect();
        if w.len() != 4 {
            return Err(InputError::at_line(e.line, "`delay = FROM TO NODE MS`, e.g. `delay = 20 80 n2 30`"));
        }
        let (from, to) = (time(e, w[0])?, time(e, w[1])?);
        let extra = crate::input::parse_number::<u64>(w[3], e.line, 0, 10_000)?;
        faults.push(Fault::Delay { from, to, node: node_of(e, w[2])?, extra });
    }
    Ok(Config { nodes, clients, ops, write_ack, read_from, net, lag, timeout, failover, skew, seed, faults })
}

/// The run in words and as a drawing: configuration, events, counts, the history in the
/// checker's format, and the checker's verdict. `reveal`: put the verdict after the marker.
pub fn render(cfg: &Config, outcome: &Outcome, reveal: bool) -> Drawn {
    let judgement: Judgement = check::judge(&outcome.history, check::DEFAULT_BUDGET);
    let mut text = cfg.describe();
    let (answered, timed_out, refused, mean) = tally(outcome);
    text.push_str("Events:\n");
    if outcome.events.is_empty() {
        text.push_str("  none: no faults, no elections\n");
    }
    for (at, what) in &outcome.events {
        let _ = writeln!(text, "  {}: {what}", time_text(*at as f64, "ms"));
    }
    let _ = writeln!(
        text,
        "Operations: {answered} answered (mean {mean:.1} ms), {timed_out} never answered, {refused} refused by a node that is not the leader."
    );
    if outcome.cut_short {
        let _ = writeln!(text, "The simulation stopped at its budget of {EVENT_BUDGET} events.");
    }
    text.push_str("History (paste it into the checker):\n");
    text.push_str(&outcome.history.to_text());
    if reveal {
        text.push_str("\nIs this history linearizable? Sequentially consistent? Decide, then reveal.\n");
        text.push_str(crate::REVEAL_MARKER);
        text.push('\n');
    } else {
        text.push('\n');
    }
    text.push_str(&check::report(&outcome.history, &judgement, check::DEFAULT_BUDGET));
    let axis_end = outcome.end.max(outcome.history.end() + 5);
    let (lanes, steps) = node_lanes(cfg, outcome, axis_end);
    let figure = check::figure(&outcome.history, &judgement, "Replicated register", lanes, steps);
    Drawn { text, figure }
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let cfg = parse_config(input)?;
    let outcome = simulate(&cfg);
    Ok(render(&cfg, &outcome, false))
}

#[cfg(test)]
mod tests {
    use super::super::checker::{self, Model, Verdict};
    use super::*;

    fn random_faults(rng: &mut Rng, cfg: &Config) -> Vec<Fault> {
        let mut faults = Vec::new();
        if rng.chance(0.5) {
            let from = rng.range(0, 60);
            let mut members: Vec<usize> = (0..cfg.nodes + cfg.clients).filter(|_| rng.chance(0.4)).collect();
            if members.is_empty() {
                members.push(0);
            }
            faults.push(Fault::Partition { from, to: from + rng.range(10, 100), members });
        }
        if rng.chance(0.3) {
            faults.push(Fault::Crash {
                at: rng.range(0, 100),
                node: rng.range(0, cfg.nodes as u64 - 1) as usize,
            });
        }
        if rng.chance(0.3) {
            let from = rng.range(0, 60);
            let node = rng.range(0, cfg.nodes as u64 - 1) as usize;
            faults.push(Fault::Delay { from, to: from + rng.range(10, 80), node, extra: rng.range(5, 50) });
        }
        faults
    }

    fn random_config(rng: &mut Rng, write_ack: WriteAck, read_from: ReadFrom) -> Config {
        let nodes = rng.range(1, 5) as usize;
        Config {
            nodes,
            clients: rng.range(1, 4) as usize,
            ops: rng.range(1, 6) as usize,
            write_ack,
            read_from,
            net: (rng.range(0, 3), rng.range(3, 12)),
            lag: rng.range(0, 8),
            timeout: rng.range(15, 60),
            failover: Some(rng.range(15, 50)),
            skew: Vec::new(),
            seed: rng.next_u64(),
            faults: Vec::new(),
        }
    }

    fn linearizable(h: &History) -> Verdict {
        checker::check(h, Model::Linearizable, 2_000_000).verdict
    }

    #[test]
    fn the_single_copy_configuration_is_always_linearizable() {
        let mut rng = Rng::new(1);
        for _ in 0..3000 {
            let ack = [WriteAck::Leader, WriteAck::Majority, WriteAck::All][rng.range(0, 2) as usize];
            let read = [ReadFrom::Leader, ReadFrom::Majority][rng.range(0, 1) as usize];
            let mut cfg = random_config(&mut rng, ack, read);
            cfg.failover = None; // no faults of any kind: not even a slow heartbeat's failover
            let out = simulate(&cfg);
            assert!(!out.cut_short);
            assert!(
                matches!(linearizable(&out.history), Verdict::Ok(_)),
                "{cfg:?}\n{}",
                out.history.to_text()
            );
        }
    }

    #[test]
    fn majority_writes_with_majority_reads_stay_linearizable_under_faults() {
        let mut rng = Rng::new(2);
        let mut unavailable = 0;
        for _ in 0..3000 {
            let mut cfg = random_config(&mut rng, WriteAck::Majority, ReadFrom::Majority);
            cfg.faults = random_faults(&mut rng, &cfg);
            let out = simulate(&cfg);
            assert!(!out.cut_short);
            unavailable += tally(&out).1;
            assert!(
                matches!(linearizable(&out.history), Verdict::Ok(_)),
                "{cfg:?}\n{}",
                out.history.to_text()
            );
        }
        assert!(unavailable > 100, "faults make some operations time out: {unavailable}");
    }

    /// Lease reads are as safe as ReadIndex while clocks agree, and break when the leader's
    /// clock runs slow (its lease outlasts the followers' promise).
    #[test]
    fn lease_reads_are_safe_without_skew_and_break_with_it() {
        let mut rng = Rng::new(5);
        for _ in 0..1000 {
            let mut cfg = random_config(&mut rng, WriteAck::Majority, ReadFrom::Lease);
            cfg.faults = random_faults(&mut rng, &cfg);
            assert!(matches!(linearizable(&simulate(&cfg).history), Verdict::Ok(_)), "{cfg:?}");
        }
        // The page's run: n1 and c1 cut off; with n1's clock slow, c1 reads from its lease
        // after the other side has moved on.
        let page = DEFAULT_INPUT
            .replace("write_ack = leader", "write_ack = majority")
            .replace("read_from = leader", "read_from = lease")
            .replace("seed = 4", "seed = 16");
        assert!(run(&page).unwrap().text.contains("Linearizable: yes"));
        let skewed = run(&format!("{page}skew = n1 40\n")).unwrap().text;
        assert!(skewed.contains("Linearizable: no") && skewed.contains("n1's clock runs slow"), "{skewed}");
        assert!(
            skewed.contains("c2     69   78  read 4") && skewed.contains("c1     79   85  read 3"),
            "{skewed}"
        );
        let broken = (0..40)
            .filter(|seed| {
                let input = format!("{}skew = n1 40\n", page.replace("seed = 16", &format!("seed = {seed}")));
                run(&input).unwrap().text.contains("Linearizable: no")
            })
            .count();
        assert!(broken >= 3, "{broken}");
        assert_eq!(parse_config("skew = n2 -10").unwrap().skew, vec![0, -10, 0]);
        assert_eq!(parse_config("skew = n1").unwrap_err().line, Some(1));
    }

    #[test]
    fn weaker_configurations_break_linearizability_under_faults() {
        for (ack, read) in [
            (WriteAck::Leader, ReadFrom::Leader),
            (WriteAck::Leader, ReadFrom::Any),
            (WriteAck::Majority, ReadFrom::Leader),
            (WriteAck::All, ReadFrom::Any),
        ] {
            let mut rng = Rng::new(3);
            let found = (0..2000).any(|_| {
                let mut cfg = random_config(&mut rng, ack, read);
                cfg.faults = random_faults(&mut rng, &cfg);
                linearizable(&simulate(&cfg).history) == Verdict::Violation
            });
            assert!(found, "{ack:?} {read:?}: no violation in 2000 runs");
        }
    }

    #[test]
    fn the_default_run_shows_a_split_brain_and_is_drawn() {
        let drawn = run(DEFAULT_INPUT).unwrap();
        drawn.figure.validate().unwrap();
        assert!(drawn.text.contains("becomes leader of term 2"), "{}", drawn.text);
        assert!(drawn.text.contains("Linearizable: no"), "{}", drawn.text);
        assert!(drawn.text.contains("n1 drops write 4, write 5 from its log"), "{}", drawn.text);
        // The steps follow the messages: write 4 acknowledged by n1, never shipped to n2 or n3.
        let crate::figure::Figure::Timeline { steps, .. } = &drawn.figure else { panic!() };
        let said = |text: &str| steps.iter().any(|s| s.text.contains(text));
        assert!(said("c1 hears from n1: write 4 acknowledged"));
        assert!(said("n2 receives write 1") && !said("n2 receives write 4") && !said("n3 receives write 4"));
        assert_eq!(
            parse_config("partition = 10 5 n1").unwrap_err().to_string(),
            "input line 1: a partition must end after it starts"
        );
        assert_eq!(parse_config("lag = 5").unwrap().lag, 5);
        assert_eq!(parse_config("seed = 1\nlag = 5000").unwrap_err().line, Some(2));
        assert_eq!(
            parse_config("nodes = 2\ncrash = 5 n3").unwrap_err().to_string(),
            "input line 2: `n3`: nodes are n1 to n2"
        );
    }
}
