//! A Dynamo-style replicated key-value store with N home replicas, write quorum W and read
//! quorum R, driven by a script of writes, reads, crashes, partitions and clock changes.
//!
//! The client coordinates its own requests: a write goes to every home replica it can reach and
//! succeeds once W of them acknowledge; a read asks every home replica it can reach, takes the
//! first R answers (the order of answers is random, from `seed`) and returns the newest version
//! among them. Versions are ordered by (timestamp, client): last write wins. A timestamp is the
//! client's clock, 10 × the step number plus the client's offset (`op = c2 clock -15` puts c2's
//! clock 15 behind).
//!
//! With `sloppy = on` a write that cannot reach a home replica leaves the copy with a reachable
//! spare instead, as a hint for that replica; the spare counts toward W and hands the copy over
//! as soon as it can reach the home replica again (hinted handoff). Reads also fill up with
//! spares, which answer from their hints. With `read_repair = on` a read writes the newest
//! version back to the replicas among its R answers that returned an older one.
//!
//! A read is *stale* when it returns something older than the last write to its key that was
//! acknowledged to any client before the read began. With strict quorums and R + W > N that
//! never happens (a property test below checks thousands of random schedules); it does happen
//! with R + W ≤ N, with sloppy quorums, and with last-write-wins under clock skew.

use std::fmt::Write as _;

use crate::figure::{Figure, Message, Note, Step};
use crate::input::{Entry, Params};
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "sharding::quorum",
    title: "An N/R/W quorum store: crashes, partitions, sloppy quorums and last-write-wins",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`replicas = A B C` (N home replicas), `spares = D …`, `clients = c1 c2`, `w = W`, `r = R`, \
                 `sloppy = on | off`, `read_repair = on | off`, `seed = N`, then one `op = …` per step: \
                 `c1 write KEY VALUE`, `c1 read KEY`, `crash A`, `recover A`, `partition c1 A | c2 B C D`, \
                 `heal`, `c2 clock -15`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
replicas = A B C
spares = D
clients = c1 c2
w = 2
r = 2
sloppy = off
read_repair = on
seed = 1
op = c1 write x 1
op = crash C
op = c1 write x 2
op = recover C
op = c2 read x
op = partition c1 A D | c2 B C
op = c1 write x 3
op = c2 read x
op = heal
op = c2 read x
";

pub const MAX_REPLICAS: usize = 7;
pub const MAX_SPARES: usize = 3;
pub const MAX_CLIENTS: usize = 4;
pub const MAX_OPS: usize = 60;
/// Each step sends at most a few messages per node; the whole run is bounded by the number of
/// steps, so this only guards against a bug.
pub const MESSAGE_BUDGET: usize = 10_000;
/// Simulated time per step (ms): requests and answers take 1 to 3 ms each way.
const STEP_MS: f64 = 10.0;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Write {
        client: usize,
        key: String,
        value: String,
    },
    Read {
        client: usize,
        key: String,
    },
    Crash(usize),
    Recover(usize),
    /// Groups of parties (clients, then nodes, as in [`Config::party_names`]) that can talk.
    Partition(Vec<Vec<usize>>),
    Heal,
    Clock {
        client: usize,
        offset: i64,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub replicas: Vec<String>,
    pub spares: Vec<String>,
    pub clients: Vec<String>,
    pub w: usize,
    pub r: usize,
    pub sloppy: bool,
    pub read_repair: bool,
    pub seed: u64,
    pub ops: Vec<Op>,
}

impl Config {
    /// Clients first, then home replicas, then spares: the parties of the figure.
    pub fn party_names(&self) -> Vec<String> {
        self.clients.iter().chain(&self.replicas).chain(&self.spares).cloned().collect()
    }
    fn n(&self) -> usize {
        self.replicas.len()
    }
    fn nodes(&self) -> usize {
        self.replicas.len() + self.spares.len()
    }
}

// ANCHOR: example
// ANCHOR: types
/// A stored value. Last write wins: the larger `(timestamp, client)` replaces the smaller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub timestamp: i64,
    pub client: usize,
    /// The step that wrote it, for the report (not part of the ordering).
    pub step: usize,
    pub value: String,
}

impl Version {
    fn newer_than(&self, other: &Version) -> bool {
        (self.timestamp, self.client) > (other.timestamp, other.client)
    }
}

/// A copy a spare holds for a home replica it could not reach.
#[derive(Debug, Clone)]
struct Hint {
    home: usize,
    key: String,
    version: Version,
}

/// Everything that happened in one step, for the report and the figure.
#[derive(Debug, Clone, Default)]
pub struct StepResult {
    /// Nodes that answered, in the order their answers arrived, with what they answered.
    pub answers: Vec<(usize, Option<Version>)>,
    /// Nodes the client could not reach.
    pub unreachable: Vec<usize>,
    /// Writes: spares that took a hint instead of a home replica.
    pub stand_ins: Vec<(usize, usize)>,
    pub ok: bool,
    /// Reads: the version returned.
    pub result: Option<Version>,
    /// Reads: the acknowledged write (its step) that this read did not see.
    pub stale: Option<usize>,
    pub repaired: Vec<usize>,
    pub handoffs: Vec<(usize, usize, String)>,
}

pub struct Store<'a> {
    config: &'a Config,
    alive: Vec<bool>,
    /// Partition group of every party (clients, then nodes).
    group: Vec<usize>,
    offsets: Vec<i64>,
    data: Vec<Vec<(String, Version)>>,
    hints: Vec<Vec<Hint>>,
    /// Per key: the step of the newest write acknowledged so far, in real-time order.
    acknowledged: Vec<(String, usize)>,
    rng: Rng,
    pub steps: Vec<StepResult>,
    pub messages: Vec<Message>,
    pub notes: Vec<Note>,
}

// ANCHOR_END: types
impl<'a> Store<'a> {
    pub fn new(config: &'a Config) -> Self {
        let nodes = config.nodes();
        Store {
            config,
            alive: vec![true; nodes],
            group: vec![0; config.clients.len() + nodes],
            offsets: vec![0; config.clients.len()],
            data: vec![Vec::new(); nodes],
            hints: vec![Vec::new(); nodes],
            acknowledged: Vec::new(),
            rng: Rng::new(config.seed),
            steps: Vec::new(),
            messages: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn party(&self, node: usize) -> usize {
        self.config.clients.len() + node
    }

    fn reachable(&self, client: usize, node: usize) -> bool {
        self.alive[node] && self.group[client] == self.group[self.party(node)]
    }

    fn get(&self, node: usize, key: &str) -> Option<&Version> {
        if node < self.config.n() {
            self.data[node].iter().find(|(k, _)| k == key).map(|(_, v)| v)
        } else {
            // A spare answers from its hints.
            let hints = self.hints[node].iter().filter(|h| h.key == key).map(|h| &h.version);
            hints.fold(None, |best: Option<&Version>, v| match best {
                Some(b) if !v.newer_than(b) => Some(b),
                _ => Some(v),
            })
        }
    }

    /// Last write wins: keep `version` only if it is newer than what the node has.
    fn apply(&mut self, node: usize, key: &str, version: &Version) {
        match self.data[node].iter_mut().find(|(k, _)| k == key) {
            Some((_, current)) if !version.newer_than(current) => {}
            Some((_, current)) => *current = version.clone(),
            None => self.data[node].push((key.to_string(), version.clone())),
        }
    }

    /// Sends a request to every node in `targets` at the start of step `step` and returns the
    /// answers in arrival order with their arrival times; draws the arrows, including the
    /// requests to the `unreachable` nodes, which are lost.
    fn round_trip(
        &mut self,
        step: usize,
        client: usize,
        targets: &[usize],
        unreachable: &[usize],
        label: &str,
    ) -> Vec<(usize, f64)> {
        let start = step as f64 * STEP_MS;
        for &node in unreachable {
            let to = self.party(node);
            self.messages.push(Message {
                from: client,
                to,
                sent: start,
                arrived: None,
                label: label.to_string(),
            });
        }
        let mut answers = Vec::new();
        for &node in targets {
            let there = start + self.rng.range(1, 3) as f64;
            let back = there + self.rng.range(1, 3) as f64;
            self.messages.push(Message {
                from: client,
                to: self.party(node),
                sent: start,
                arrived: Some(there),
                label: label.to_string(),
            });
            answers.push((node, back, there));
        }
        answers.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        answers
            .into_iter()
            .map(|(node, back, there)| {
                self.messages.push(Message {
                    from: self.party(node),
                    to: client,
                    sent: there,
                    arrived: Some(back),
                    label: String::new(),
                });
                (node, back)
            })
            .collect()
    }

    pub fn write(&mut self, step: usize, client: usize, key: &str, value: &str) -> StepResult {
        let (n, cfg) = (self.config.n(), self.config);
        let version = Version {
            timestamp: 10 * step as i64 + self.offsets[client],
            client,
            step,
            value: value.to_string(),
        };
        let mut out = StepResult::default();
        let mut targets: Vec<usize> = (0..n).filter(|&h| self.reachable(client, h)).collect();
        out.unreachable = (0..n).filter(|&h| !self.reachable(client, h)).collect();
        if cfg.sloppy {
            let mut spares = (n..cfg.nodes()).filter(|&s| self.reachable(client, s));
            for &home in &out.unreachable {
                if let Some(spare) = spares.next() {
                    out.stand_ins.push((spare, home));
                    targets.push(spare);
                }
            }
        }
        let label = format!("put {key}={value} t{}", version.timestamp);
        let answers = self.round_trip(step, client, &targets, &out.unreachable, &label);
        for &(node, _) in &answers {
            if node < n {
                self.apply(node, key, &version);
            } else {
                let home =
                    out.stand_ins.iter().find(|(s, _)| *s == node).map(|(_, h)| *h).expect("a stand-in");
                self.hints[node].push(Hint { home, key: key.to_string(), version: version.clone() });
            }
            out.answers.push((node, None));
        }
        out.ok = answers.len() >= cfg.w;
        let done = answers.get(cfg.w.saturating_sub(1)).map_or(step as f64 * STEP_MS + 7.0, |a| a.1);
        let text = if out.ok {
            format!("ok ({} acks)", answers.len())
        } else {
            format!("FAILED ({} of {} acks)", answers.len(), cfg.w)
        };
        self.notes.push(Note { party: client, at: done, text });
        if out.ok {
            self.acknowledged.retain(|(k, _)| k != key);
            self.acknowledged.push((key.to_string(), step));
        }
        out
    }

    pub fn read(&mut self, step: usize, client: usize, key: &str) -> StepResult {
        let (n, cfg) = (self.config.n(), self.config);
        let mut out = StepResult::default();
        let mut targets: Vec<usize> = (0..n).filter(|&h| self.reachable(client, h)).collect();
        out.unreachable = (0..n).filter(|&h| !self.reachable(client, h)).collect();
        if cfg.sloppy {
            let spares: Vec<usize> = (n..cfg.nodes()).filter(|&s| self.reachable(client, s)).collect();
            targets.extend(spares.into_iter().take(n - targets.len().min(n)));
        }
        let answers = self.round_trip(step, client, &targets, &out.unreachable, &format!("get {key}"));
        out.answers = answers.iter().map(|&(node, _)| (node, self.get(node, key).cloned())).collect();
        out.ok = answers.len() >= cfg.r;
        if !out.ok {
            let at = step as f64 * STEP_MS + 7.0;
            self.notes.push(Note {
                party: client,
                at,
                text: format!("FAILED ({} of {} answers)", answers.len(), cfg.r),
            });
            return out;
        }
        // The newest of the first R answers; the later ones are ignored.
        let used = &out.answers[..cfg.r];
        let mut newest: Option<Version> = None;
        for (_, version) in used {
            if let Some(v) = version
                && newest.as_ref().is_none_or(|b| v.newer_than(b))
            {
                newest = Some(v.clone());
            }
        }
        let done = answers[cfg.r - 1].1;
        if let Some(latest) = &newest
            && cfg.read_repair
        {
            let behind: Vec<usize> = used
                .iter()
                .filter(|(node, v)| *node < n && v.as_ref().is_none_or(|v| latest.newer_than(v)))
                .map(|(node, _)| *node)
                .collect();
            for node in behind {
                self.apply(node, key, latest);
                out.repaired.push(node);
                let label = format!("repair {key}={}", latest.value);
                self.messages.push(Message {
                    from: client,
                    to: self.party(node),
                    sent: done,
                    arrived: Some(done + 1.0),
                    label,
                });
            }
        }
        // Stale: older than the newest write acknowledged before this read began.
        if let Some((_, acked)) = self.acknowledged.iter().find(|(k, _)| k == key) {
            let acked = *acked;
            let saw = newest.as_ref().map(|v| v.step);
            if saw.is_none_or(|s| s < acked) {
                out.stale = Some(acked);
            }
        }
        let text = match &newest {
            Some(v) => format!("{key}={}{}", v.value, if out.stale.is_some() { " STALE" } else { "" }),
            None => format!("{key} not found{}", if out.stale.is_some() { " STALE" } else { "" }),
        };
        self.notes.push(Note { party: client, at: done, text });
        out.result = newest;
        out
    }

    /// Spares hand their hints to home replicas they can reach again.
    fn hand_off(&mut self, step: usize, out: &mut StepResult) {
        for spare in self.config.n()..self.config.nodes() {
            if !self.alive[spare] {
                continue;
            }
            let hints = std::mem::take(&mut self.hints[spare]);
            for hint in hints {
                let home = hint.home;
                let connected =
                    self.alive[home] && self.group[self.party(spare)] == self.group[self.party(home)];
                if connected {
                    self.apply(home, &hint.key, &hint.version);
                    let at = step as f64 * STEP_MS + 8.0;
                    let label = format!("handoff {}={}", hint.key, hint.version.value);
                    self.messages.push(Message {
                        from: self.party(spare),
                        to: self.party(home),
                        sent: at,
                        arrived: Some(at + 1.0),
                        label,
                    });
                    out.handoffs.push((spare, home, hint.key.clone()));
                } else {
                    self.hints[spare].push(hint);
                }
            }
        }
    }

    pub fn step(&mut self, step: usize, op: &Op) {
        let at = step as f64 * STEP_MS;
        let mut out = match op {
            Op::Write { client, key, value } => self.write(step, *client, key, value),
            Op::Read { client, key } => self.read(step, *client, key),
            Op::Crash(node) => {
                self.alive[*node] = false;
                self.notes.push(Note { party: self.party(*node), at, text: "crashes".into() });
                StepResult::default()
            }
            Op::Recover(node) => {
                self.alive[*node] = true;
                self.notes.push(Note { party: self.party(*node), at, text: "recovers".into() });
                StepResult::default()
            }
            Op::Partition(groups) => {
                for (g, members) in groups.iter().enumerate() {
                    for &party in members {
                        self.group[party] = g;
                        self.notes.push(Note { party, at, text: format!("side {}", g + 1) });
                    }
                }
                StepResult::default()
            }
            Op::Heal => {
                self.group.iter_mut().for_each(|g| *g = 0);
                self.notes.push(Note { party: 0, at, text: "partition heals".into() });
                StepResult::default()
            }
            Op::Clock { client, offset } => {
                self.offsets[*client] = *offset;
                StepResult::default()
            }
        };
        self.hand_off(step, &mut out);
        self.steps.push(out);
    }
}
// ANCHOR_END: example

pub fn simulate(config: &Config) -> Result<Store<'_>, InputError> {
    let mut store = Store::new(config);
    for (i, op) in config.ops.iter().enumerate() {
        store.step(i + 1, op);
        if store.messages.len() > MESSAGE_BUDGET {
            return Err(InputError::new(format!("more than {MESSAGE_BUDGET} messages; use fewer steps")));
        }
    }
    Ok(store)
}

fn parse(input: &str) -> Result<Config, InputError> {
    let params = Params::parse(
        input,
        &["replicas", "spares", "clients", "w", "r", "sloppy", "read_repair", "seed", "op"],
    )?;
    let replicas = match params.one("replicas")? {
        Some(entry) => super::names(entry, MAX_REPLICAS, "replica")?,
        None => vec!["A".into(), "B".into(), "C".into()],
    };
    let spares = match params.one("spares")? {
        Some(entry) => super::names(entry, MAX_SPARES, "spare")?,
        None => Vec::new(),
    };
    let clients = match params.one("clients")? {
        Some(entry) => super::names(entry, MAX_CLIENTS, "client")?,
        None => vec!["c1".into()],
    };
    let config_names: Vec<&String> = clients.iter().chain(&replicas).chain(&spares).collect();
    for (i, name) in config_names.iter().enumerate() {
        if config_names[..i].contains(name) {
            let line = params.one("spares")?.or(params.one("clients")?).map_or(0, |e| e.line);
            return Err(InputError::at_line(line, format!("`{name}` is used for two parties")));
        }
    }
    let n = replicas.len();
    let w = params.number_or("w", 1, n, n / 2 + 1)?;
    let r = params.number_or("r", 1, n, n / 2 + 1)?;
    let sloppy = params.choice_or("sloppy", &["on", "off"], "off")? == "on";
    let read_repair = params.choice_or("read_repair", &["on", "off"], "on")? == "on";
    let seed = params.number_or("seed", 0, u64::MAX, 1)?;
    let mut config = Config { replicas, spares, clients, w, r, sloppy, read_repair, seed, ops: Vec::new() };
    for entry in params.all("op") {
        if config.ops.len() == MAX_OPS {
            return Err(InputError::at_line(entry.line, format!("at most {MAX_OPS} `op` lines")));
        }
        let op = parse_op(&config, entry)?;
        config.ops.push(op);
    }
    Ok(config)
}

fn parse_op(config: &Config, entry: &Entry<'_>) -> Result<Op, InputError> {
    let line = entry.line;
    let parties = config.party_names();
    let client = |name: &str| {
        config.clients.iter().position(|c| c == name).ok_or_else(|| {
            InputError::at_line(
                line,
                format!("`{name}` is not a client (clients = {})", config.clients.join(" ")),
            )
        })
    };
    let node = |name: &str| {
        config
            .replicas
            .iter()
            .chain(&config.spares)
            .position(|c| c == name)
            .ok_or_else(|| InputError::at_line(line, format!("`{name}` is not a replica or a spare")))
    };
    let word_ok =
        |w: &str| w.len() <= 16 && w.chars().all(|c| c.is_ascii_alphanumeric() || "_-:.".contains(c));
    let words: Vec<&str> = entry.value.split_whitespace().collect();
    Ok(match words.as_slice() {
        [c, "write", key, value] if word_ok(key) && word_ok(value) => {
            Op::Write { client: client(c)?, key: key.to_string(), value: value.to_string() }
        }
        [c, "read", key] if word_ok(key) => Op::Read { client: client(c)?, key: key.to_string() },
        [c, "clock", offset] => {
            Op::Clock { client: client(c)?, offset: crate::input::parse_number(offset, line, -1000, 1000)? }
        }
        ["crash", name] => Op::Crash(node(name)?),
        ["recover", name] => Op::Recover(node(name)?),
        ["heal"] => Op::Heal,
        ["partition", rest @ ..] => {
            let mut groups: Vec<Vec<usize>> = vec![Vec::new()];
            for word in rest {
                if *word == "|" {
                    groups.push(Vec::new());
                    continue;
                }
                let Some(p) = parties.iter().position(|name| name == word) else {
                    return Err(InputError::at_line(
                        line,
                        format!("`{word}` is not a client, replica or spare"),
                    ));
                };
                if groups.iter().flatten().any(|&q| q == p) {
                    return Err(InputError::at_line(line, format!("`{word}` is on two sides")));
                }
                groups.last_mut().expect("at least one group").push(p);
            }
            let missing: Vec<&str> = parties
                .iter()
                .enumerate()
                .filter(|(p, _)| !groups.iter().flatten().any(|q| q == p))
                .map(|(_, name)| name.as_str())
                .collect();
            if !missing.is_empty() || groups.len() < 2 || groups.iter().any(Vec::is_empty) {
                return Err(InputError::at_line(
                    line,
                    format!(
                        "a partition lists every party on some side, sides separated by `|`{}",
                        if missing.is_empty() {
                            String::new()
                        } else {
                            format!(" (missing: {})", missing.join(" "))
                        }
                    ),
                ));
            }
            Op::Partition(groups)
        }
        _ => {
            return Err(InputError::at_line(
                line,
                "expected `c1 write KEY VALUE`, `c1 read KEY`, `crash NODE`, `recover NODE`, \
                 `partition c1 A | c2 B C`, `heal` or `c1 clock OFFSET`",
            ));
        }
    })
}

fn describe(config: &Config) -> String {
    let (n, r, w) = (config.n(), config.r, config.w);
    let overlap = if r + w > n {
        format!("R + W = {} > N: every read quorum overlaps every write quorum", r + w)
    } else {
        format!("R + W = {} <= N: a read quorum can miss every replica a write reached", r + w)
    };
    let mut out = format!("N = {n} ({}), W = {w}, R = {r}: {overlap}\n", config.replicas.join(" "));
    let spares = if config.spares.is_empty() { "none".to_string() } else { config.spares.join(" ") };
    let _ = writeln!(
        out,
        "spares: {spares}; sloppy quorum {}; read repair {}; clients: {}; answer order from seed {}",
        if config.sloppy { "on" } else { "off" },
        if config.read_repair { "on" } else { "off" },
        config.clients.join(" "),
        config.seed
    );
    out
}

fn describe_op(config: &Config, step: usize, op: &Op, offset: i64) -> String {
    let node = |i: usize| config.replicas.iter().chain(&config.spares).nth(i).cloned().unwrap_or_default();
    let parties = config.party_names();
    match op {
        Op::Write { client, key, value } => {
            format!("{} write {key}={value} (t{})", config.clients[*client], 10 * step as i64 + offset)
        }
        Op::Read { client, key } => format!("{} read {key}", config.clients[*client]),
        Op::Crash(i) => format!("crash {}", node(*i)),
        Op::Recover(i) => format!("recover {}", node(*i)),
        Op::Partition(groups) => {
            let sides: Vec<String> = groups
                .iter()
                .map(|g| g.iter().map(|&p| parties[p].as_str()).collect::<Vec<_>>().join(" "))
                .collect();
            format!("partition {}", sides.join(" | "))
        }
        Op::Heal => "heal".to_string(),
        Op::Clock { client, offset } => format!("{} clock {offset:+}", config.clients[*client]),
    }
}

pub fn report(config: &Config, store: &Store<'_>) -> String {
    let node = |i: usize| config.replicas.iter().chain(&config.spares).nth(i).cloned().unwrap_or_default();
    let show = |v: &Option<Version>| match v {
        Some(v) => format!("{}@t{}", v.value, v.timestamp),
        None => "-".to_string(),
    };
    let mut out = describe(config);
    out.push_str("\nstep  operation               answers in arrival order          result\n");
    let mut offsets = vec![0i64; config.clients.len()];
    let (mut stale, mut failed_reads, mut failed_writes, mut reads, mut writes) = (0, 0, 0, 0, 0);
    for (i, (op, result)) in config.ops.iter().zip(&store.steps).enumerate() {
        let step = i + 1;
        if let Op::Clock { client, offset } = op {
            offsets[*client] = *offset;
        }
        let offset = match op {
            Op::Write { client, .. } => offsets[*client],
            _ => 0,
        };
        let what = describe_op(config, step, op, offset);
        let mut answers: Vec<String> = Vec::new();
        let mut outcome = String::new();
        match op {
            Op::Write { .. } => {
                writes += 1;
                for (node_index, _) in &result.answers {
                    let stand_in = result.stand_ins.iter().find(|(s, _)| s == node_index);
                    answers.push(match stand_in {
                        Some((_, home)) => format!("{} (for {})", node(*node_index), node(*home)),
                        None => node(*node_index),
                    });
                }
                outcome = if result.ok {
                    format!("ok: {} acks, W = {}", result.answers.len(), config.w)
                } else {
                    failed_writes += 1;
                    let kept: Vec<String> = result.answers.iter().map(|(n, _)| node(*n)).collect();
                    let kept = if kept.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; {} keep{} it anyway",
                            kept.join(", "),
                            if kept.len() == 1 { "s" } else { "" }
                        )
                    };
                    format!("FAILED: {} of W = {} acks{kept}", result.answers.len(), config.w)
                };
            }
            Op::Read { key, .. } => {
                reads += 1;
                for (k, (node_index, version)) in result.answers.iter().enumerate() {
                    if k == config.r && result.ok {
                        answers.push("|".to_string());
                    }
                    answers.push(format!("{}:{}", node(*node_index), show(version)));
                }
                if !result.ok {
                    failed_reads += 1;
                    outcome = format!("FAILED: {} of R = {} answers", result.answers.len(), config.r);
                } else {
                    outcome = match &result.result {
                        Some(v) => format!("{key}={}", v.value),
                        None => format!("{key} not found"),
                    };
                    if let Some(acked) = result.stale {
                        stale += 1;
                        let Op::Write { value, .. } = &config.ops[acked - 1] else { unreachable!("a write") };
                        let _ =
                            write!(outcome, "  STALE: misses {key}={value} (acknowledged at step {acked})");
                    }
                    if let Some(v) = &result.result
                        && !store.steps[v.step - 1].ok
                    {
                        outcome.push_str("  (value of a FAILED write)");
                    }
                    if !result.repaired.is_empty() {
                        let nodes: Vec<String> = result.repaired.iter().map(|&n| node(n)).collect();
                        let _ = write!(outcome, "; repaired {}", nodes.join(", "));
                    }
                }
            }
            _ => {}
        }
        for (spare, home, key) in &result.handoffs {
            if !outcome.is_empty() {
                outcome.push_str("; ");
            }
            let _ = write!(outcome, "{} hands {key} to {}", node(*spare), node(*home));
        }
        if !result.unreachable.is_empty() && matches!(op, Op::Write { .. } | Op::Read { .. }) {
            let missing: Vec<String> = result.unreachable.iter().map(|&n| node(n)).collect();
            answers.push(format!("(no answer: {})", missing.join(" ")));
        }
        let row = format!("{step:>4}  {what:<23} {:<33} {outcome}", answers.join(" "));
        let _ = writeln!(out, "{}", row.trim_end());
    }
    let _ = writeln!(
        out,
        "\nwrites: {writes}, {failed_writes} failed; reads: {reads}, {failed_reads} failed, {stale} stale"
    );
    out.push_str("final state: ");
    let states: Vec<String> = (0..config.nodes())
        .map(|i| {
            let values: Vec<String> = if i < config.n() {
                store.data[i].iter().map(|(k, v)| format!("{k}={}@t{}", v.value, v.timestamp)).collect()
            } else {
                store.hints[i]
                    .iter()
                    .map(|h| format!("hint {}={} for {}", h.key, h.version.value, node(h.home)))
                    .collect()
            };
            format!("{} [{}]", node(i), values.join(" "))
        })
        .collect();
    out.push_str(&states.join(", "));
    out.push('\n');
    out
}

/// One simulation of the script: the step-by-step report and its messages as a sequence diagram.
fn run(input: &str) -> Result<Drawn, InputError> {
    let config = parse(input)?;
    let store = simulate(&config)?;
    Ok(Drawn { text: report(&config, &store), figure: draw(&config, store) })
}

/// Requests, answers, repairs and hand-offs between clients and nodes, lost ones included.
fn draw(config: &Config, store: Store<'_>) -> Figure {
    Figure::Sequence {
        title: format!(
            "N = {}, W = {}, R = {}{}: requests, answers and repairs",
            config.n(),
            config.w,
            config.r,
            if config.sloppy { ", sloppy" } else { "" }
        ),
        unit: "ms".into(),
        steps: Step::per_event(&config.party_names(), &store.messages, &store.notes, "ms"),
        parties: config.party_names(),
        messages: store.messages,
        notes: store.notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(line: &str, replacement: &str) -> String {
        DEFAULT_INPUT.replace(line, replacement)
    }

    fn stale(config: &Config) -> usize {
        simulate(config).unwrap().steps.iter().filter(|s| s.stale.is_some()).count()
    }

    /// A random schedule of writes, reads, crashes, recoveries, partitions and heals.
    fn random_config(rng: &mut Rng, n: usize, w: usize, r: usize, sloppy: bool, skew: bool) -> Config {
        let replicas: Vec<String> = (0..n).map(|i| ((b'A' + i as u8) as char).to_string()).collect();
        let spares: Vec<String> = (0..rng.range(0, 2)).map(|i| format!("S{i}")).collect();
        let clients = vec!["c1".to_string(), "c2".to_string()];
        let nodes = replicas.len() + spares.len();
        let parties = clients.len() + nodes;
        let mut ops = Vec::new();
        for _ in 0..rng.range(5, 40) {
            let client = rng.range(0, 1) as usize;
            let key = ["x", "y"][rng.range(0, 1) as usize].to_string();
            ops.push(match rng.range(0, 11) {
                0 => Op::Crash(rng.range(0, nodes as u64 - 1) as usize),
                1 => Op::Recover(rng.range(0, nodes as u64 - 1) as usize),
                2 => {
                    let mut groups = vec![Vec::new(), Vec::new()];
                    for p in 0..parties {
                        groups[rng.range(0, 1) as usize].push(p);
                    }
                    if groups.iter().any(Vec::is_empty) { Op::Heal } else { Op::Partition(groups) }
                }
                3 => Op::Heal,
                4 if skew => Op::Clock { client, offset: rng.range(0, 40) as i64 - 20 },
                5..=7 => Op::Write { client, key, value: rng.range(0, 999).to_string() },
                _ => Op::Read { client, key },
            });
        }
        Config {
            replicas,
            spares,
            clients,
            w,
            r,
            sloppy,
            read_repair: rng.chance(0.5),
            seed: rng.next_u64(),
            ops,
        }
    }

    /// The chapter's claim: with strict quorums and R + W > N, no read ever returns data older
    /// than a write acknowledged before it began, whatever crashes and partitions happen.
    #[test]
    fn property_strict_quorums_with_r_plus_w_over_n_are_never_stale() {
        let mut rng = Rng::new(7);
        let mut reads = 0;
        for case in 0..5_000 {
            let n = rng.range(1, 5) as usize;
            let w = rng.range(1, n as u64) as usize;
            let r = rng.range((n + 1 - w) as u64, n as u64) as usize;
            assert!(r + w > n);
            let config = random_config(&mut rng, n, w, r, false, false);
            let store = simulate(&config).unwrap();
            for (step, result) in store.steps.iter().enumerate() {
                if let Op::Read { .. } = config.ops[step] {
                    reads += usize::from(result.ok);
                    assert!(
                        result.stale.is_none(),
                        "case {case}, step {}:\n{}",
                        step + 1,
                        report(&config, &store)
                    );
                }
            }
        }
        assert!(reads > 10_000, "only {reads} successful reads: the property was hardly tested");
    }

    /// And each way around the rule is found by the same random search.
    #[test]
    fn stale_reads_appear_with_small_quorums_sloppy_quorums_or_clock_skew() {
        let mut rng = Rng::new(11);
        let (mut small, mut sloppy, mut skew) = (0, 0, 0);
        for _ in 0..2_000 {
            small += stale(&random_config(&mut rng, 3, 1, 1, false, false));
            sloppy += stale(&random_config(&mut rng, 3, 2, 2, true, false));
            skew += stale(&random_config(&mut rng, 3, 2, 2, false, true));
        }
        assert!(small > 0 && sloppy > 0 && skew > 0, "{small} {sloppy} {skew}");
    }

    #[test]
    fn the_default_script_keeps_its_promises() {
        let config = parse(DEFAULT_INPUT).unwrap();
        let store = simulate(&config).unwrap();
        let text = report(&config, &store);
        // No stale read; the write in the minority partition fails but stays on A.
        assert_eq!(stale(&config), 0, "{text}");
        assert!(!store.steps[6].ok, "{text}");
        assert!(text.contains("FAILED: 1 of W = 2 acks; A keeps it anyway"), "{text}");
    }

    /// "Things to try" in the chapter: each one-line change does what the text says.
    #[test]
    fn the_chapter_suggestions_do_what_the_chapter_says() {
        // r = 1: a read that asks only one replica can miss the last write.
        let r1 = parse(&with("r = 2", "r = 1")).unwrap();
        assert!(stale(&r1) > 0, "{}", report(&r1, &simulate(&r1).unwrap()));
        // sloppy = on: the write in the minority side succeeds through D and a read on the other
        // side does not see it, although R + W > N.
        let sloppy = parse(&with("sloppy = off", "sloppy = on")).unwrap();
        let store = simulate(&sloppy).unwrap();
        assert!(store.steps[6].ok && store.steps[7].stale.is_some(), "{}", report(&sloppy, &store));
        assert!(store.steps[8].handoffs.iter().any(|(_, _, k)| k == "x"), "{}", report(&sloppy, &store));
        // A clock that runs behind: c2's later write loses to c1's earlier one.
        let skewed = parse(
            "replicas = A B C\nclients = c1 c2\nop = c2 clock -15\nop = c1 write x 1\nop = c2 write x 2\nop = c1 read x\n",
        )
        .unwrap();
        let store = simulate(&skewed).unwrap();
        assert!(store.steps[2].ok && store.steps[3].stale == Some(3), "{}", report(&skewed, &store));
    }

    #[test]
    fn the_figure_can_be_drawn_and_shows_unreachable_nodes() {
        let figure = run(DEFAULT_INPUT).unwrap().figure;
        figure.validate().unwrap();
        let Figure::Sequence { parties, messages, .. } = figure else { panic!("not a sequence") };
        assert_eq!(parties, ["c1", "c2", "A", "B", "C", "D"]);
        assert!(messages.iter().any(|m| m.arrived.is_none()));
    }

    #[test]
    fn bad_input_names_its_line() {
        let cases = [
            ("replicas = A B\nw = 3", "input line 2: 3 is out of range (from 1 to 2)"),
            ("clients = c1\nop = c9 read x", "input line 2: `c9` is not a client (clients = c1)"),
            ("op = crash Z", "input line 1: `Z` is not a replica or a spare"),
            (
                "op = partition c1 A | B",
                "input line 1: a partition lists every party on some side, sides separated by `|` (missing: C)",
            ),
            (
                "op = partition c1 A B C",
                "input line 1: a partition lists every party on some side, sides separated by `|`",
            ),
            ("op = partition c1 A | B C A", "input line 1: `A` is on two sides"),
            (
                "op = c1 jump",
                "input line 1: expected `c1 write KEY VALUE`, `c1 read KEY`, `crash NODE`, `recover NODE`, `partition c1 A | c2 B C`, `heal` or `c1 clock OFFSET`",
            ),
            ("spares = A", "input line 1: `A` is used for two parties"),
        ];
        for (input, expected) in cases {
            assert_eq!(run(input).unwrap_err().to_string(), expected, "input: {input:?}");
        }
    }
}
