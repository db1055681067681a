//! Leader-follower replication, simulated event by event: a leader that appends every write to
//! its log and ships it to followers, who apply it some milliseconds later; one client that
//! writes and reads; a failover that promotes a follower.
//!
//! * `mode = async`: the leader acknowledges as soon as the write is in its own log (the default
//!   of PostgreSQL streaming replication and of MySQL/MariaDB replication).
//! * `mode = semisync`: it waits until one follower has *received* the write (MySQL's
//!   semi-synchronous replication: the replica acknowledges once the event is in its relay
//!   log, before applying it).
//! * `mode = sync`: it waits until every follower has applied it (PostgreSQL's
//!   `synchronous_commit = remote_apply` with every standby listed as synchronous).
//!
//! Reads go to the leader, to the followers in turn, or to the followers in turn with the
//! session's last acknowledged log position (LSN) as a token: a follower that has not applied
//! that far waits until it has. A read is *stale* when it misses a write whose acknowledgement
//! the client had received before it sent the read: read-your-writes is violated.
//!
//! Simplifications: the network never loses or reorders messages, one-way delay is the same
//! everywhere, followers never crash, and the client learns of a failover at once. A failover
//! promotes the follower that has received the most of the log. A record the dead leader had
//! not shipped yet is lost with it: the model drops the leader's WAL shipments that have not
//! arrived by the crash, standing for a WAL sender that had not sent them, while a confirmation
//! the leader had already sent to the client still arrives.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt::Write as _;

use crate::figure::{Figure, Message, Note, Step};
use crate::input::Params;
use crate::registry::{self, Drawn, Example, InputError, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "sharding::replication",
    title: "A leader with followers: replication lag, stale reads and failover",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`mode = async | semisync | sync`, `read_from = leader | follower | follower_lsn`, \
                 `followers = N`, `net = MS` (one-way delay), `lag = MIN MAX` (ms from receiving a record \
                 to applying it), `seed = N`, then one `op = TIME write KEY VALUE`, `op = TIME read KEY` or \
                 `op = TIME failover` per line, times in ms, in order",
    runs: Runs::Everywhere,
    run: registry::Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
mode = async
read_from = follower
followers = 2
net = 1
lag = 5 60
seed = 3
op = 0 write x 1
op = 10 write x 2
op = 12 read x
op = 14 read x
op = 90 read x
op = 100 write cart book
op = 102 read cart
op = 150 write x 3
op = 151 failover
op = 160 read x
";

pub const MAX_FOLLOWERS: usize = 5;
pub const MAX_OPS: usize = 60;
pub const MAX_TIME: u64 = 1_000_000;
pub const MAX_DELAY: u64 = 10_000;
/// Events the simulation may process (a valid input needs far fewer, about 5 per write and
/// follower); it stops with an error rather than run on.
pub const EVENT_BUDGET: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Async,
    SemiSync,
    Sync,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    Leader,
    Follower,
    FollowerLsn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Write { key: String, value: String },
    Read { key: String },
    Failover,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub read_from: ReadFrom,
    pub followers: usize,
    pub net: u64,
    pub lag: (u64, u64),
    pub seed: u64,
    pub ops: Vec<(u64, Op)>,
}

/// What became of each operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Writes: the LSN the leader gave it (None if it never reached a live leader).
    pub lsn: Option<usize>,
    /// Writes: when the acknowledgement reached the client. Reads: when the answer did.
    pub done: Option<u64>,
    /// Writes: lost in a failover (after reaching the leader).
    pub lost: bool,
    /// Writes: the leader waits for a follower that does not exist (sync modes, no follower).
    pub blocked: bool,
    /// Writes: the leader that took it, and when each other server applied it.
    pub committed_on: Option<usize>,
    pub applied: BTreeMap<usize, u64>,
    /// Reads: the server asked, and the value returned (None: key not found).
    pub server: Option<usize>,
    pub value: Option<String>,
    /// Reads: the acknowledged write this read missed (read-your-writes violated).
    pub missed: Option<usize>,
    /// Failovers: the follower promoted and the writes lost.
    pub promoted: Option<usize>,
    pub lost_writes: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Run {
    pub outcomes: Vec<Outcome>,
    pub messages: Vec<Message>,
    pub notes: Vec<Note>,
}

// ANCHOR: example
// ANCHOR: types
/// One record of the leader's log.
#[derive(Debug, Clone)]
struct Record {
    op: usize,
    key: String,
    value: String,
    /// Followers that confirmed it: received (semisync) or applied (sync).
    acks: Vec<usize>,
    /// The client has been, or will never be, answered for it.
    settled: bool,
}

#[derive(Debug, Clone, Default)]
struct Server {
    alive: bool,
    /// Records received and applied: prefixes of the log, since followers apply in order.
    received: usize,
    applied: usize,
    last_apply: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// A write reaches the leader of `epoch` (`msg` is its arrow in the figure).
    WriteArrives {
        op: usize,
        epoch: u32,
        msg: usize,
    },
    /// Record `lsn` reaches follower `to`.
    Replicate {
        to: usize,
        lsn: usize,
        epoch: u32,
        sent: u64,
    },
    Applied {
        at: usize,
        lsn: usize,
    },
    /// A follower tells the leader it received (semisync) or applied (sync) `lsn`.
    FollowerAck {
        from: usize,
        lsn: usize,
        epoch: u32,
    },
    AckArrives {
        op: usize,
    },
    /// A read reaches `server`; `token` is the LSN it must have applied (0: none).
    ReadArrives {
        op: usize,
        server: usize,
        token: usize,
        msg: usize,
    },
    /// Client operations run after the deliveries of the same millisecond.
    Client {
        op: usize,
    },
}

struct Sim<'a> {
    config: &'a Config,
    servers: Vec<Server>,
    /// The leader of each epoch: the first, then every promoted follower.
    leaders: Vec<usize>,
    followers: Vec<usize>,
    log: Vec<Record>,
    /// LSN of the last write acknowledged to the client (its session token).
    token: usize,
    /// Reads waiting at a follower for their token: (op, server, token).
    parked: Vec<(usize, usize, usize)>,
    queue: BinaryHeap<Reverse<(u64, u8, usize, Event)>>,
    seq: usize,
    rng: Rng,
    run: Run,
}

// ANCHOR_END: types
impl Sim<'_> {
    fn leader(&self) -> usize {
        *self.leaders.last().expect("there is always a leader")
    }

    fn epoch(&self) -> u32 {
        (self.leaders.len() - 1) as u32
    }

    /// Events ordered by time, then kind (deliveries before client operations), then insertion.
    fn push(&mut self, time: u64, event: Event) {
        self.seq += 1;
        let class = u8::from(matches!(event, Event::Client { .. }));
        self.queue.push(Reverse((time, class, self.seq, event)));
    }

    /// An arrow in the figure; parties are the client (0) and the servers (1 + index).
    fn arrow(&mut self, from: usize, to: usize, sent: u64, arrived: Option<u64>, label: String) -> usize {
        let arrived = arrived.map(|t| t as f64);
        self.run.messages.push(Message { from, to, sent: sent as f64, arrived, label });
        self.run.messages.len() - 1
    }

    fn step(&mut self, now: u64, event: Event) -> Result<(), InputError> {
        let net = self.config.net;
        match event {
            Event::Client { op } => match self.config.ops[op].1.clone() {
                Op::Write { key, value } => {
                    let leader = self.leader();
                    let msg = self.arrow(0, leader + 1, now, Some(now + net), format!("write {key}={value}"));
                    let epoch = self.epoch();
                    self.push(now + net, Event::WriteArrives { op, epoch, msg });
                }
                Op::Read { key } => {
                    let server = if self.config.read_from == ReadFrom::Leader || self.followers.is_empty() {
                        self.leader()
                    } else {
                        let reads_so_far =
                            self.run.outcomes[..op].iter().filter(|o| o.server.is_some()).count();
                        self.followers[reads_so_far % self.followers.len()]
                    };
                    self.run.outcomes[op].server = Some(server);
                    let token = if self.config.read_from == ReadFrom::FollowerLsn { self.token } else { 0 };
                    let label =
                        if token > 0 { format!("read {key}, LSN >= {token}") } else { format!("read {key}") };
                    let msg = self.arrow(0, server + 1, now, Some(now + net), label);
                    self.push(now + net, Event::ReadArrives { op, server, token, msg });
                }
                Op::Failover => self.failover(op, now)?,
            },
            Event::WriteArrives { op, epoch, msg } => {
                if epoch != self.epoch() {
                    // The leader it was sent to is dead: no reply, ever.
                    self.run.messages[msg].arrived = None;
                    return Ok(());
                }
                let Op::Write { key, value } = self.config.ops[op].1.clone() else { unreachable!("a write") };
                self.log.push(Record { op, key, value, acks: vec![], settled: false });
                let (lsn, leader) = (self.log.len(), self.leader());
                self.servers[leader].received = lsn;
                self.servers[leader].applied = lsn;
                self.run.outcomes[op].lsn = Some(lsn);
                self.run.outcomes[op].committed_on = Some(leader);
                for f in self.followers.clone() {
                    self.push(now + net, Event::Replicate { to: f, lsn, epoch, sent: now });
                }
                if self.config.mode == Mode::Async {
                    self.acknowledge(lsn, now);
                } else if self.followers.is_empty() {
                    self.run.outcomes[op].blocked = true;
                }
            }
            Event::Replicate { to, lsn, epoch, sent } => {
                let label = match self.log.get(lsn - 1) {
                    Some(r) => format!("LSN {lsn} {}={}", r.key, r.value),
                    None => format!("LSN {lsn}"),
                };
                if epoch != self.epoch() {
                    // Sent by a leader that has died since: lost with it.
                    self.arrow(self.leaders[epoch as usize] + 1, to + 1, sent, None, label);
                    return Ok(());
                }
                let lag = self.rng.range(self.config.lag.0, self.config.lag.1);
                let server = &mut self.servers[to];
                server.received = lsn;
                let apply_at = server.last_apply.max(now + lag);
                server.last_apply = apply_at;
                self.arrow(self.leader() + 1, to + 1, sent, Some(apply_at), label);
                self.push(apply_at, Event::Applied { at: to, lsn });
                if self.config.mode == Mode::SemiSync {
                    self.push(now + net, Event::FollowerAck { from: to, lsn, epoch });
                }
            }
            Event::Applied { at, lsn } => {
                if self.servers[at].applied >= lsn || lsn > self.log.len() {
                    return Ok(());
                }
                self.servers[at].applied = lsn;
                let op = self.log[lsn - 1].op;
                self.run.outcomes[op].applied.insert(at, now);
                if self.config.mode == Mode::Sync {
                    let epoch = self.epoch();
                    self.push(now + net, Event::FollowerAck { from: at, lsn, epoch });
                }
                self.release(at, now);
            }
            Event::FollowerAck { from, lsn, epoch } => {
                if epoch != self.epoch() || lsn > self.log.len() {
                    return Ok(());
                }
                let leader = self.leader();
                let what = if self.config.mode == Mode::SemiSync { "received" } else { "applied" };
                self.arrow(from + 1, leader + 1, now - net, Some(now), format!("{what} {lsn}"));
                self.log[lsn - 1].acks.push(from);
                let needed = if self.config.mode == Mode::SemiSync { 1 } else { self.followers.len() };
                let record = &self.log[lsn - 1];
                let confirmed = record.acks.iter().filter(|f| self.followers.contains(f)).count();
                if !record.settled && confirmed >= needed {
                    self.acknowledge(lsn, now);
                }
            }
            Event::AckArrives { op } => {
                self.run.outcomes[op].done = Some(now);
                if let Some(lsn) = self.run.outcomes[op].lsn.filter(|_| !self.run.outcomes[op].lost) {
                    self.token = self.token.max(lsn);
                }
            }
            Event::ReadArrives { op, server, token, msg } => {
                if !self.servers[server].alive {
                    self.run.messages[msg].arrived = None;
                } else if self.servers[server].applied >= token.min(self.log.len()) {
                    self.answer(op, server, now);
                } else {
                    self.parked.push((op, server, token));
                }
            }
        }
        Ok(())
    }

    /// The leader answers the client for record `lsn`.
    fn acknowledge(&mut self, lsn: usize, now: u64) {
        let net = self.config.net;
        let record = &mut self.log[lsn - 1];
        record.settled = true;
        let op = record.op;
        self.push(now + net, Event::AckArrives { op });
        self.arrow(self.leader() + 1, 0, now, Some(now + net), format!("ok, LSN {lsn}"));
    }

    /// The leader dies; the follower that received the most of the log takes over. Records it
    /// never received are gone, whether or not the client was told they were committed.
    fn failover(&mut self, op: usize, now: u64) -> Result<(), InputError> {
        let Some(&promoted) = self.followers.iter().max_by_key(|&&f| (self.servers[f].received, Reverse(f)))
        else {
            return Err(InputError::new("no follower left to promote"));
        };
        let old = self.leader();
        self.servers[old].alive = false;
        self.run.notes.push(Note { party: old + 1, at: now as f64, text: "crashes".into() });
        let keep = self.servers[promoted].received;
        for record in self.log.drain(keep..) {
            self.run.outcomes[record.op].lost = true;
            self.run.outcomes[op].lost_writes.push(record.op);
        }
        // Writes still waiting for confirmations will never be answered: the client's
        // connection died with the old leader.
        for record in &mut self.log {
            record.settled = true;
        }
        self.servers[promoted].applied = keep;
        for record in &self.log {
            self.run.outcomes[record.op].applied.entry(promoted).or_insert(now);
        }
        self.leaders.push(promoted);
        self.followers.retain(|&f| f != promoted);
        self.run.outcomes[op].promoted = Some(promoted);
        self.run.outcomes[op].done = Some(now);
        self.run.notes.push(Note { party: promoted + 1, at: now as f64, text: "promoted to leader".into() });
        self.token = self.token.min(keep);
        for entry in &mut self.parked {
            entry.2 = entry.2.min(keep);
        }
        let epoch = self.epoch();
        for f in self.followers.clone() {
            for lsn in self.servers[f].received + 1..=keep {
                self.push(now + self.config.net, Event::Replicate { to: f, lsn, epoch, sent: now });
            }
        }
        for server in 0..self.servers.len() {
            self.release(server, now);
        }
        Ok(())
    }

    /// Answers the reads parked at `server` whose token it has now applied.
    fn release(&mut self, server: usize, now: u64) {
        let applied = self.servers[server].applied;
        let (ready, waiting): (Vec<_>, Vec<_>) =
            self.parked.drain(..).partition(|&(_, at, token)| at == server && applied >= token);
        self.parked = waiting;
        for (op, at, _) in ready {
            self.answer(op, at, now);
        }
    }

    /// `server` answers read `op` with the newest value of the key among the records it applied.
    fn answer(&mut self, op: usize, server: usize, now: u64) {
        let Op::Read { key } = &self.config.ops[op].1 else { unreachable!("a read") };
        let applied = self.servers[server].applied.min(self.log.len());
        let found = self.log[..applied].iter().enumerate().rev().find(|(_, r)| &r.key == key);
        let value = found.map(|(_, r)| r.value.clone());
        let label = match &value {
            Some(v) => format!("{key}={v}"),
            None => format!("{key} not found"),
        };
        let outcome = &mut self.run.outcomes[op];
        outcome.lsn = found.map(|(i, _)| i + 1); // for a read: the LSN of the record returned
        outcome.value = value;
        outcome.done = Some(now + self.config.net);
        self.arrow(server + 1, 0, now, Some(now + self.config.net), label);
    }
}

pub fn simulate(config: &Config) -> Result<Run, InputError> {
    let mut sim = Sim {
        config,
        servers: vec![Server { alive: true, ..Server::default() }; config.followers + 1],
        leaders: vec![0],
        followers: (1..=config.followers).collect(),
        log: Vec::new(),
        token: 0,
        parked: Vec::new(),
        queue: BinaryHeap::new(),
        seq: 0,
        rng: Rng::new(config.seed),
        run: Run { outcomes: vec![Outcome::default(); config.ops.len()], messages: vec![], notes: vec![] },
    };
    for (op, (time, _)) in config.ops.iter().enumerate() {
        sim.push(*time, Event::Client { op });
    }
    let mut processed = 0;
    while let Some(Reverse((now, _, _, event))) = sim.queue.pop() {
        processed += 1;
        if processed > EVENT_BUDGET {
            return Err(InputError::new(format!(
                "the simulation exceeded its budget of {EVENT_BUDGET} events"
            )));
        }
        sim.step(now, event)?;
    }
    let mut run = sim.run;
    mark_stale_reads(config, &mut run);
    Ok(run)
}

/// A read is stale when it misses the newest write to its key whose acknowledgement reached the
/// client before the read was sent (or when that write was lost in a failover).
fn mark_stale_reads(config: &Config, run: &mut Run) {
    for (op, (sent, kind)) in config.ops.iter().enumerate() {
        let Op::Read { key } = kind else { continue };
        if run.outcomes[op].done.is_none() {
            continue;
        }
        let acknowledged = (0..op).rev().find(|&w| {
            matches!(&config.ops[w].1, Op::Write { key: k, .. } if k == key)
                && run.outcomes[w].done.is_some_and(|done| done <= *sent)
        });
        if let Some(w) = acknowledged
            && (run.outcomes[w].lost || run.outcomes[op].lsn < run.outcomes[w].lsn)
        {
            run.outcomes[op].missed = Some(w);
        }
    }
}
// ANCHOR_END: example

fn parse(input: &str) -> Result<Config, InputError> {
    let params = Params::parse(input, &["mode", "read_from", "followers", "net", "lag", "seed", "op"])?;
    let mode = match params.choice_or("mode", &["async", "semisync", "sync"], "async")? {
        "semisync" => Mode::SemiSync,
        "sync" => Mode::Sync,
        _ => Mode::Async,
    };
    let read_from =
        match params.choice_or("read_from", &["leader", "follower", "follower_lsn"], "follower")? {
            "leader" => ReadFrom::Leader,
            "follower_lsn" => ReadFrom::FollowerLsn,
            _ => ReadFrom::Follower,
        };
    let followers = params.number_or("followers", 0, MAX_FOLLOWERS, 2)?;
    let net = params.number_or("net", 1, MAX_DELAY, 1)?;
    let lag = match params.one("lag")? {
        None => (5, 60),
        Some(entry) => match entry.numbers::<u64>(0, MAX_DELAY)?.as_slice() {
            [low, high] if low <= high => (*low, *high),
            [one] => (*one, *one),
            _ => return Err(InputError::at_line(entry.line, "expected `lag = MIN MAX` in ms, MIN <= MAX")),
        },
    };
    let seed = params.number_or("seed", 0, u64::MAX, 1)?;
    let mut ops: Vec<(u64, Op)> = Vec::new();
    let mut failovers = 0;
    let word_ok =
        |w: &str| w.len() <= 16 && w.chars().all(|c| c.is_ascii_alphanumeric() || "_-:.".contains(c));
    for entry in params.all("op") {
        let line = entry.line;
        if ops.len() == MAX_OPS {
            return Err(InputError::at_line(line, format!("at most {MAX_OPS} `op` lines")));
        }
        let words: Vec<&str> = entry.value.split_whitespace().collect();
        let Some(first) = words.first() else {
            return Err(InputError::at_line(
                line,
                "expected `op = TIME write KEY VALUE`, `op = TIME read KEY` or `op = TIME failover`",
            ));
        };
        let time = crate::input::parse_number(first, line, 0, MAX_TIME)?;
        if ops.last().is_some_and(|(last, _)| *last > time) {
            return Err(InputError::at_line(
                line,
                format!("time {time} is before the previous operation's; keep them in order"),
            ));
        }
        let op = match &words[1..] {
            ["write", key, value] if word_ok(key) && word_ok(value) => {
                Op::Write { key: key.to_string(), value: value.to_string() }
            }
            ["read", key] if word_ok(key) => Op::Read { key: key.to_string() },
            ["failover"] => {
                failovers += 1;
                if failovers > followers {
                    return Err(InputError::at_line(line, "no follower left to promote"));
                }
                Op::Failover
            }
            _ => {
                return Err(InputError::at_line(
                    line,
                    "expected `op = TIME write KEY VALUE`, `op = TIME read KEY` or `op = TIME failover` \
                     (keys and values: up to 16 letters, digits or `_-:.`)",
                ));
            }
        };
        ops.push((time, op));
    }
    if ops.is_empty() {
        return Err(InputError::new(
            "no operations: add lines such as `op = 0 write x 1` and `op = 5 read x`",
        ));
    }
    Ok(Config { mode, read_from, followers, net, lag, seed, ops })
}

fn server_name(index: usize) -> String {
    format!("db{}", index + 1)
}

fn describe(config: &Config) -> String {
    let mode = match config.mode {
        Mode::Async => "asynchronous: the leader confirms a write as soon as it is in its own log",
        Mode::SemiSync => {
            "semi-synchronous: the leader confirms a write once one follower has received it (not yet applied)"
        }
        Mode::Sync => "synchronous: the leader confirms a write once every follower has applied it",
    };
    let reads = match config.read_from {
        ReadFrom::Leader => "reads go to the leader",
        ReadFrom::Follower => "reads go to the followers in turn",
        ReadFrom::FollowerLsn => {
            "reads go to the followers in turn, carrying the session's last acknowledged LSN"
        }
    };
    let followers = (1..=config.followers).map(server_name).collect::<Vec<_>>().join(", ");
    format!(
        "db1 leads, followers: {}\n{mode}\n{reads}\none-way delay {} ms; a follower applies a record {}-{} ms after receiving it (seed {})\n",
        if followers.is_empty() { "none".to_string() } else { followers },
        config.net,
        config.lag.0,
        config.lag.1,
        config.seed
    )
}

/// The text report: one row per operation, then a summary.
pub fn report(config: &Config, run: &Run) -> String {
    let mut out = describe(config);
    out.push_str("\n  time  operation          server  result\n");
    for (op, ((time, kind), outcome)) in config.ops.iter().zip(&run.outcomes).enumerate() {
        let (what, server, result) = match kind {
            Op::Write { key, value } => {
                let mut result = match (outcome.lsn, outcome.done) {
                    (None, _) => "no reply: the leader it was sent to had died".to_string(),
                    (Some(lsn), Some(done)) => format!("ok at {done} ms, LSN {lsn}"),
                    (Some(lsn), None) if outcome.blocked => {
                        format!("LSN {lsn}, never confirmed: no follower left to wait for")
                    }
                    (Some(lsn), None) => format!("LSN {lsn}, no reply: the leader died before confirming"),
                };
                if outcome.lost {
                    result.push_str("; LOST in the failover");
                } else if outcome.lsn.is_some() {
                    let applied: Vec<String> = outcome
                        .applied
                        .iter()
                        .map(|(s, t)| format!("{} at {t} ms", server_name(*s)))
                        .collect();
                    if !applied.is_empty() {
                        let _ = write!(result, "; applied by {}", applied.join(", "));
                    }
                }
                (format!("write {key}={value}"), String::new(), result)
            }
            Op::Read { key } => {
                let server = outcome.server.map(server_name).unwrap_or_default();
                let mut result = match (&outcome.value, outcome.done) {
                    (_, None) => "no reply: the server had died".to_string(),
                    (Some(v), Some(done)) => format!("{key}={v} at {done} ms"),
                    (None, Some(done)) => format!("{key} not found at {done} ms"),
                };
                if let Some(w) = outcome.missed {
                    let Op::Write { key, value } = &config.ops[w].1 else { unreachable!("a write") };
                    let done = run.outcomes[w].done.unwrap_or_default();
                    if run.outcomes[w].lost {
                        let _ = write!(result, "  STALE: {key}={value} (confirmed at {done} ms) was lost");
                    } else {
                        let _ = write!(result, "  STALE: misses {key}={value}, confirmed at {done} ms");
                    }
                }
                (format!("read {key}"), server, result)
            }
            Op::Failover => {
                let promoted = outcome.promoted.map(server_name).unwrap_or_default();
                let mut result = format!("leader crashes; {promoted} becomes leader");
                let lost: Vec<String> = outcome
                    .lost_writes
                    .iter()
                    .map(|&w| {
                        let Op::Write { key, value } = &config.ops[w].1 else { unreachable!("a write") };
                        let confirmed =
                            if run.outcomes[w].done.is_some() { " (confirmed to the client!)" } else { "" };
                        format!("{key}={value}{confirmed}")
                    })
                    .collect();
                if lost.is_empty() {
                    result.push_str("; no write lost");
                } else {
                    let _ = write!(result, "; lost: {}", lost.join(", "));
                }
                ("failover".to_string(), String::new(), result)
            }
        };
        let _ = op;
        let _ = writeln!(out, "{time:>6}  {what:<18} {server:<7} {result}");
    }
    let writes: Vec<&Outcome> = config
        .ops
        .iter()
        .zip(&run.outcomes)
        .filter(|((_, k), _)| matches!(k, Op::Write { .. }))
        .map(|(_, o)| o)
        .collect();
    let reads: Vec<(u64, &Outcome)> = config
        .ops
        .iter()
        .zip(&run.outcomes)
        .filter(|((_, k), _)| matches!(k, Op::Read { .. }))
        .map(|((t, _), o)| (*t, o))
        .collect();
    let write_times: Vec<u64> = config
        .ops
        .iter()
        .zip(&run.outcomes)
        .filter(|((_, k), o)| matches!(k, Op::Write { .. }) && o.done.is_some())
        .map(|((t, _), o)| o.done.unwrap_or_default() - t)
        .collect();
    let confirmed = writes.iter().filter(|o| o.done.is_some()).count();
    let confirmed_lost = writes.iter().filter(|o| o.done.is_some() && o.lost).count();
    let mean = |xs: &[u64]| if xs.is_empty() { 0.0 } else { xs.iter().sum::<u64>() as f64 / xs.len() as f64 };
    let _ = writeln!(
        out,
        "\nwrites: {} sent, {confirmed} confirmed, {confirmed_lost} of those lost; mean time to confirm {:.1} ms",
        writes.len(),
        mean(&write_times)
    );
    let read_times: Vec<u64> = reads.iter().filter_map(|(t, o)| o.done.map(|d| d - t)).collect();
    let stale = reads.iter().filter(|(_, o)| o.missed.is_some()).count();
    let _ = writeln!(
        out,
        "reads: {} sent, {} answered, {stale} stale (read-your-writes violated); mean latency {:.1} ms",
        reads.len(),
        read_times.len(),
        mean(&read_times)
    );
    out
}

/// One simulation of the script: the report and its messages as a sequence diagram.
fn run(input: &str) -> Result<Drawn, InputError> {
    let config = parse(input)?;
    let run = simulate(&config)?;
    Ok(Drawn { text: report(&config, &run), figure: draw(&config, run) })
}

/// The client's requests and the leader's records to its followers, crashes, promotions and
/// stale reads as notes.
fn draw(config: &Config, run: Run) -> Figure {
    let mut parties = vec!["client".to_string()];
    parties.extend((0..=config.followers).map(server_name));
    let mut notes = run.notes;
    for ((_, kind), outcome) in config.ops.iter().zip(&run.outcomes) {
        if let (Op::Read { .. }, Some(_), Some(done)) = (kind, outcome.missed, outcome.done) {
            notes.push(Note { party: 0, at: done as f64, text: "stale!".into() });
        }
    }
    let mode = match config.mode {
        Mode::Async => "asynchronous",
        Mode::SemiSync => "semi-synchronous",
        Mode::Sync => "synchronous",
    };
    Figure::Sequence {
        title: format!("{mode} replication, db1 leads; follower arrows end when the record is applied"),
        unit: "ms".into(),
        steps: Step::per_event(&parties, &run.messages, &notes, "ms"),
        parties,
        messages: run.messages,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(input: &str) -> Config {
        parse(input).unwrap()
    }

    fn stale_reads(run: &Run) -> usize {
        run.outcomes.iter().filter(|o| o.missed.is_some()).count()
    }

    fn with(setting: &str, value: &str) -> String {
        DEFAULT_INPUT
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{setting} =")) {
                    format!("{setting} = {value}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn asynchronous_followers_serve_a_stale_read_and_failover_loses_a_confirmed_write() {
        let c = config(DEFAULT_INPUT);
        let run = simulate(&c).unwrap();
        assert!(stale_reads(&run) >= 1, "{}", report(&c, &run));
        // x=3 was confirmed at once, then lost when the leader crashed two ms later.
        let x3 =
            c.ops.iter().position(|(_, op)| matches!(op, Op::Write { value, .. } if value == "3")).unwrap();
        assert!(run.outcomes[x3].done.is_some() && run.outcomes[x3].lost, "{}", report(&c, &run));
        let text = report(&c, &run);
        assert!(text.contains("STALE"), "{text}");
        assert!(text.contains("(confirmed to the client!)"), "{text}");
    }

    #[test]
    fn reading_from_the_leader_or_with_a_token_or_sync_replication_is_never_stale() {
        // Reading from the leader or with a token misses nothing that still exists; only the
        // write lost in the failover is missing. Sync replication loses nothing at all.
        for (setting, value) in [("read_from", "leader"), ("read_from", "follower_lsn")] {
            let c = config(&with(setting, value));
            let run = simulate(&c).unwrap();
            let misses: Vec<usize> = run.outcomes.iter().filter_map(|o| o.missed).collect();
            assert!(
                misses.iter().all(|&w| run.outcomes[w].lost),
                "{setting} = {value}\n{}",
                report(&c, &run)
            );
            assert_eq!(misses.len(), 1, "{setting} = {value}\n{}", report(&c, &run));
        }
        let c = config(&with("mode", "sync"));
        let run = simulate(&c).unwrap();
        assert_eq!(stale_reads(&run), 0, "{}", report(&c, &run));
        assert!(run.outcomes.iter().all(|o| !o.lost || o.done.is_none()), "{}", report(&c, &run));
    }

    /// The numbers the chapter quotes for its "Things to try".
    #[test]
    fn the_chapter_numbers_hold() {
        let text = |setting: &str, value: &str| run(&with(setting, value)).unwrap().text;
        let default = run(DEFAULT_INPUT).unwrap().text;
        assert!(default.contains("mean time to confirm 2.0 ms"));
        let semisync = text("mode", "semisync");
        assert!(semisync.contains("mean time to confirm 4.0 ms"), "{semisync}");
        assert!(semisync.contains("3 confirmed, 0 of those lost"), "{semisync}");
        assert!(semisync.contains("2 stale (read-your-writes violated)"), "{semisync}");
        assert!(text("mode", "sync").contains("mean time to confirm 47.7 ms"));
        assert!(default.contains("mean latency 2.0 ms"));
        assert!(
            text("read_from", "follower_lsn")
                .contains("1 stale (read-your-writes violated); mean latency 16.6 ms")
        );
    }

    #[test]
    fn synchronous_writes_wait_for_the_slowest_follower() {
        let timing = |mode: &str| {
            let c = config(&with("mode", mode));
            let run = simulate(&c).unwrap();
            let (t, o) = (c.ops[0].0, &run.outcomes[0]);
            o.done.unwrap() - t
        };
        let (a, semi, sync) = (timing("async"), timing("semisync"), timing("sync"));
        assert_eq!(a, 2, "one round trip of 1 ms each way");
        assert!(a < semi && semi <= sync, "{a} {semi} {sync}");
    }

    /// Property: over many random scripts and seeds, (1) synchronous replication never loses a
    /// confirmed write in a failover and never serves a stale read, (2) semi-synchronous never
    /// loses a confirmed write either, and (3) reads that carry the session's LSN are never
    /// stale, whatever the mode.
    #[test]
    fn property_sync_never_loses_confirmed_writes_and_tokens_prevent_stale_reads() {
        let mut rng = Rng::new(2024);
        let mut async_stale = 0;
        for case in 0..2_000 {
            let followers = rng.range(1, 4) as usize;
            let mut ops = Vec::new();
            let mut time = 0;
            let mut failovers = 0;
            for _ in 0..rng.range(3, 25) {
                time += rng.range(0, 30);
                let key = ["x", "y"][rng.range(0, 1) as usize].to_string();
                let op = match rng.range(0, 9) {
                    0 if failovers < followers => {
                        failovers += 1;
                        Op::Failover
                    }
                    1..=4 => Op::Write { key, value: rng.range(0, 99).to_string() },
                    _ => Op::Read { key },
                };
                ops.push((time, op));
            }
            let base = Config {
                mode: Mode::Sync,
                read_from: ReadFrom::Follower,
                followers,
                net: rng.range(1, 5),
                lag: (rng.range(0, 10), rng.range(10, 80)),
                seed: rng.next_u64(),
                ops,
            };
            let sync = simulate(&base).unwrap();
            for (i, o) in sync.outcomes.iter().enumerate() {
                assert!(!(o.lost && o.done.is_some()), "case {case}: sync lost confirmed write {i}");
            }
            assert_eq!(stale_reads(&sync), 0, "case {case}: sync served a stale read");
            // Semi-sync: the promoted follower has received the most, so it holds every write a
            // follower acknowledged; reads can still be stale (received is not applied).
            let semi = simulate(&Config { mode: Mode::SemiSync, ..base.clone() }).unwrap();
            for (i, o) in semi.outcomes.iter().enumerate() {
                assert!(!(o.lost && o.done.is_some()), "case {case}: semisync lost confirmed write {i}");
            }
            for mode in [Mode::Async, Mode::SemiSync] {
                let token =
                    simulate(&Config { mode, read_from: ReadFrom::FollowerLsn, ..base.clone() }).unwrap();
                // A write lost in a failover cannot be read by anyone; only count real misses.
                let misses = token
                    .outcomes
                    .iter()
                    .filter(|o| o.missed.is_some_and(|w| !token.outcomes[w].lost))
                    .count();
                assert_eq!(misses, 0, "case {case}: {mode:?} with a token served a stale read");
            }
            let plain = simulate(&Config { mode: Mode::Async, ..base.clone() }).unwrap();
            async_stale += stale_reads(&plain);
        }
        // And the property is not vacuous: plain asynchronous follower reads do go stale.
        assert!(async_stale > 100, "{async_stale}");
    }

    #[test]
    fn the_figure_draws_lost_messages_and_stale_notes() {
        let figure = run(DEFAULT_INPUT).unwrap().figure;
        figure.validate().unwrap();
        let Figure::Sequence { parties, messages, notes, .. } = figure else { panic!("not a sequence") };
        assert_eq!(parties, ["client", "db1", "db2", "db3"]);
        assert!(notes.iter().any(|n| n.text == "stale!"));
        assert!(notes.iter().any(|n| n.text == "promoted to leader"));
        assert!(messages.iter().any(|m| m.arrived.is_none()) || !messages.is_empty());
    }

    #[test]
    fn bad_input_names_its_line() {
        let cases = [
            (
                "op = 5 write x 1\nop = 3 read x",
                "input line 2: time 3 is before the previous operation's; keep them in order",
            ),
            ("followers = 1\nop = 1 failover\nop = 2 failover", "input line 3: no follower left to promote"),
            ("lag = 9 3\nop = 1 read x", "input line 1: expected `lag = MIN MAX` in ms, MIN <= MAX"),
            ("mode = quorum", "input line 1: `quorum` is not one of `async`, `semisync`, `sync`"),
            ("mode = sync", "no operations: add lines such as `op = 0 write x 1` and `op = 5 read x`"),
        ];
        for (input, expected) in cases {
            assert_eq!(run(input).unwrap_err().to_string(), expected, "input: {input:?}");
        }
        assert!(
            run("op = 1 write x")
                .unwrap_err()
                .to_string()
                .starts_with("input line 1: expected `op = TIME write")
        );
    }
}
