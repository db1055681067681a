//! Multi-leader replication, simulated message by message: every replica accepts writes, sends
//! the new state of what it changed to the others, and merges what it receives. Each key is
//! kept four ways at once, so one run shows what each way of resolving conflicts keeps and what
//! it loses:
//!
//! * a register (`set KEY VALUE`) as a **last-write-wins** register (the highest timestamp from
//!   the writing replica's own clock wins; ties go to the replica listed later) and as a
//!   **multi-value register with version vectors** (concurrent versions are all kept, as
//!   siblings, for the application to merge);
//! * a counter (`incr KEY N`, `decr KEY N`) as a last-write-wins register holding the number
//!   (read, add, write back: what an application does with a plain column) and as a
//!   **PN-counter** CRDT (one increment total and one decrement total per replica);
//! * a set (`add KEY X`, `remove KEY X`) as a last-write-wins register holding the whole set
//!   and as an **OR-set** CRDT (every add has a unique tag; a remove removes the tags it has
//!   seen, so a concurrent add wins).
//!
//! Replication is state-based: after each local write the replica sends the key's whole state
//! to every other replica, which merges it (merges are commutative, associative and idempotent,
//! so order and duplicates do not matter). A message is lost when the link between the two
//! replicas is cut (`partition`) at the moment it is sent. `heal` restores every link and runs a
//! round of **anti-entropy**: every replica sends its whole state to every other. The script
//! always ends with one more round, so the run shows where the replicas end up.
//!
//! The simulation also keeps the ground truth a real system cannot see: for every write, the
//! set of writes to the same key its replica had seen (its causal past, Lamport's
//! happened-before). The report uses it to say whether a write that LWW dropped was concurrent
//! with the winner or was even written *after* seeing it; the tests use it to check the version
//! vectors and the OR-set against their definitions.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt::Write as _;

use crate::figure::{Figure, Message, Note, Step};
use crate::input::{Params, parse_number};
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "replication::multileader",
    title: "Three leaders, one partition: last-write-wins, version vectors and CRDTs",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`replicas = a b c` (2 to 4 names), `delay = MIN MAX` (one-way ms), `skew = NAME MS` \
                 (that replica's clock is off by MS, negative: slow), `seed = N`, then one `op = TIME …` \
                 per line, in time order: `op = T a set KEY VALUE`, `op = T a incr KEY N`, `op = T a decr \
                 KEY N`, `op = T a add KEY X`, `op = T a remove KEY X`, `op = T a get KEY`, `op = T \
                 partition a | b c`, `op = T heal`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
# Three leaders (say, three data centres). b's clock runs 80 ms slow.
replicas = a b c
delay = 5 20
skew = b -80
seed = 7
op = 0 a set title draft
op = 0 c add cart milk
op = 30 partition a | b c
op = 40 a set title v2-a
op = 45 b set title v2-b
op = 50 a incr likes 1
op = 52 b incr likes 1
op = 55 c incr likes 2
op = 58 a add cart eggs
op = 60 c remove cart milk
op = 62 b add cart milk
op = 64 c add cart tea
op = 80 heal
op = 105 b get title
op = 110 b set title v3
op = 112 b get title
";

pub const MAX_REPLICAS: usize = 4;
pub const MAX_OPS: usize = 60;
pub const MAX_TIME: u64 = 1_000_000;
pub const MAX_DELAY: u64 = 10_000;
pub const MAX_SKEW: i64 = 100_000;

// ANCHOR: types
/// What one line of the script does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Set {
        replica: usize,
        key: String,
        value: String,
    },
    /// `incr` (positive) and `decr` (negative).
    Add {
        replica: usize,
        key: String,
        by: i64,
    },
    Insert {
        replica: usize,
        key: String,
        element: String,
    },
    Remove {
        replica: usize,
        key: String,
        element: String,
    },
    Get {
        replica: usize,
        key: String,
    },
    /// The group of each replica; replicas in different groups cannot reach each other.
    Partition {
        groups: Vec<usize>,
    },
    Heal,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub replicas: Vec<String>,
    pub delay: (u64, u64),
    /// Each replica's clock minus true time, in ms.
    pub skew: Vec<i64>,
    pub seed: u64,
    pub ops: Vec<(u64, Action)>,
}

/// A last-write-wins register: the value with the highest (timestamp, replica, write) wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lww<T> {
    pub value: T,
    pub ts: i64,
    pub replica: usize,
    pub op: usize,
}

/// One version of a multi-value register: the value and the version vector of its write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sibling {
    pub value: String,
    pub vv: Vec<u32>,
    pub op: usize,
}

/// One key on one replica, kept the naive way and the careful way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Register {
        lww: Option<Lww<String>>,
        siblings: Vec<Sibling>,
    },
    /// `p[r]` and `n[r]`: replica r's total increments and decrements.
    Counter {
        lww: Option<Lww<i64>>,
        p: Vec<u64>,
        n: Vec<u64>,
    },
    /// `adds`: (element, tag); a tag is the id of the write that added it. `removed`: tags.
    Set {
        lww: Option<Lww<BTreeSet<String>>>,
        adds: BTreeSet<(String, usize)>,
        removed: BTreeSet<usize>,
    },
}

/// A key's copy on a replica, with the writes it reflects (ground truth, not replicated logic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCopy {
    pub value: Value,
    pub seen: BTreeSet<usize>,
}
// ANCHOR_END: types

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Register,
    Counter,
    Set,
}

impl Action {
    fn key(&self) -> Option<(&str, Kind)> {
        match self {
            Action::Set { key, .. } => Some((key, Kind::Register)),
            Action::Add { key, .. } => Some((key, Kind::Counter)),
            Action::Insert { key, .. } | Action::Remove { key, .. } => Some((key, Kind::Set)),
            _ => None,
        }
    }

    fn replica(&self) -> Option<usize> {
        match self {
            Action::Set { replica, .. }
            | Action::Add { replica, .. }
            | Action::Insert { replica, .. }
            | Action::Remove { replica, .. }
            | Action::Get { replica, .. } => Some(*replica),
            _ => None,
        }
    }
}

// ANCHOR: merge
/// The later of two LWW values: higher timestamp, then higher replica, then later write.
fn lww_merge<T: Clone>(mine: &mut Option<Lww<T>>, theirs: &Option<Lww<T>>) {
    if let Some(t) = theirs {
        let newer = match mine {
            None => true,
            Some(m) => (t.ts, t.replica, t.op) > (m.ts, m.replica, m.op),
        };
        if newer {
            *mine = Some(t.clone());
        }
    }
}

/// `a` ≤ `b` entry by entry: `b`'s writer had seen everything `a`'s had.
pub fn dominated(a: &[u32], b: &[u32]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y)
}

/// Neither version vector has seen everything the other has.
pub fn concurrent(a: &[u32], b: &[u32]) -> bool {
    !dominated(a, b) && !dominated(b, a)
}

/// The union of two sibling lists, without the versions another version has seen.
fn siblings_merge(mine: &mut Vec<Sibling>, theirs: &[Sibling]) {
    let mut all: Vec<Sibling> = mine.drain(..).chain(theirs.iter().cloned()).collect();
    all.sort_by_key(|s| s.op);
    all.dedup_by_key(|s| s.op);
    let keep: Vec<Sibling> = all
        .iter()
        .filter(|s| !all.iter().any(|t| t.op != s.op && dominated(&s.vv, &t.vv)))
        .cloned()
        .collect();
    *mine = keep;
}

fn max_each(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x = (*x).max(*y);
    }
}

/// Merges a received copy into this one. Every branch is a join: commutative, associative and
/// idempotent, which is what lets state-based replication converge in any delivery order.
pub fn merge(mine: &mut KeyCopy, theirs: &KeyCopy) {
    match (&mut mine.value, &theirs.value) {
        (Value::Register { lww, siblings }, Value::Register { lww: l, siblings: s }) => {
            lww_merge(lww, l);
            siblings_merge(siblings, s);
        }
        (Value::Counter { lww, p, n }, Value::Counter { lww: l, p: tp, n: tn }) => {
            lww_merge(lww, l);
            max_each(p, tp);
            max_each(n, tn);
        }
        (Value::Set { lww, adds, removed }, Value::Set { lww: l, adds: ta, removed: tr }) => {
            lww_merge(lww, l);
            adds.extend(ta.iter().cloned());
            removed.extend(tr.iter().copied());
        }
        _ => unreachable!("a key has one kind on every replica"),
    }
    mine.seen.extend(theirs.seen.iter().copied());
}
// ANCHOR_END: merge

impl Value {
    fn empty(kind: Kind, replicas: usize) -> Value {
        match kind {
            Kind::Register => Value::Register { lww: None, siblings: Vec::new() },
            Kind::Counter => Value::Counter { lww: None, p: vec![0; replicas], n: vec![0; replicas] },
            Kind::Set => Value::Set { lww: None, adds: BTreeSet::new(), removed: BTreeSet::new() },
        }
    }
}

/// The PN-counter's value: every replica's increments minus every replica's decrements.
pub fn pn_value(p: &[u64], n: &[u64]) -> i64 {
    p.iter().sum::<u64>() as i64 - n.iter().sum::<u64>() as i64
}

/// The OR-set's elements: those with a tag no remove has seen.
pub fn or_elements(adds: &BTreeSet<(String, usize)>, removed: &BTreeSet<usize>) -> BTreeSet<String> {
    adds.iter().filter(|(_, tag)| !removed.contains(tag)).map(|(e, _)| e.clone()).collect()
}

/// What the run did: every replica's keys at the end, each write's causal past and version
/// vector, and the drawing's pieces.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub replicas: Vec<BTreeMap<String, KeyCopy>>,
    /// For each write: the writes to the same key its replica had seen (ground truth).
    pub past: Vec<Option<BTreeSet<usize>>>,
    /// For each register write: its version vector.
    pub vv: Vec<Option<Vec<u32>>>,
    /// Lines of the op log.
    pub log: Vec<String>,
    pub messages: Vec<Message>,
    pub notes: Vec<Note>,
}

enum Payload {
    Key(String, KeyCopy),
    All(BTreeMap<String, KeyCopy>),
}

struct Sim<'a> {
    config: &'a Config,
    kinds: BTreeMap<String, Kind>,
    out: Outcome,
    groups: Vec<usize>,
    queue: BinaryHeap<Reverse<(u64, usize)>>,
    payloads: Vec<Option<(usize, Payload, usize)>>,
    rng: Rng,
}

impl Sim<'_> {
    fn clock(&self, replica: usize, now: u64) -> i64 {
        now as i64 + self.config.skew[replica]
    }

    fn copy(&mut self, replica: usize, key: &str) -> &mut KeyCopy {
        let kind = self.kinds[key];
        let n = self.config.replicas.len();
        self.out.replicas[replica]
            .entry(key.to_string())
            .or_insert_with(|| KeyCopy { value: Value::empty(kind, n), seen: BTreeSet::new() })
    }

    fn note(&mut self, party: usize, at: u64, text: String) {
        self.out.notes.push(Note { party, at: at as f64, text });
    }

    /// Sends `payload` from `from` to every other replica; lost where the link is cut.
    fn broadcast(&mut self, from: usize, now: u64, label: &str, payload: impl Fn() -> Payload) {
        for to in 0..self.config.replicas.len() {
            if to == from {
                continue;
            }
            let message = self.out.messages.len();
            if self.groups[from] != self.groups[to] {
                self.out.messages.push(Message {
                    from,
                    to,
                    sent: now as f64,
                    arrived: None,
                    label: label.to_string(),
                });
                continue;
            }
            let arrives = now + self.rng.range(self.config.delay.0, self.config.delay.1);
            self.out.messages.push(Message {
                from,
                to,
                sent: now as f64,
                arrived: Some(arrives as f64),
                label: label.to_string(),
            });
            self.queue.push(Reverse((arrives, self.payloads.len())));
            self.payloads.push(Some((to, payload(), message)));
        }
    }

    fn anti_entropy(&mut self, now: u64) {
        for from in 0..self.config.replicas.len() {
            let state = self.out.replicas[from].clone();
            self.broadcast(from, now, "anti-entropy: all keys", || Payload::All(state.clone()));
        }
    }

    // ANCHOR: write
    /// A write at `replica`: its ground-truth past, then each representation's local update.
    fn write(&mut self, op: usize, now: u64, action: &Action) -> String {
        let replica = action.replica().expect("a write has a replica");
        let (key, _) = action.key().expect("a write has a key");
        let key = key.to_string();
        let ts = self.clock(replica, now);
        let n = self.config.replicas.len();
        let past = self.copy(replica, &key).seen.clone();
        self.out.past[op] = Some(past);
        let copy = self.copy(replica, &key);
        copy.seen.insert(op);
        let mut new_vv = None;
        let (label, shown) = match (&mut copy.value, action) {
            (Value::Register { lww, siblings }, Action::Set { value, .. }) => {
                lww_merge(lww, &Some(Lww { value: value.clone(), ts, replica, op }));
                // The new version has seen every version this replica holds.
                let mut vv = vec![0u32; n];
                for s in siblings.iter() {
                    for (x, y) in vv.iter_mut().zip(&s.vv) {
                        *x = (*x).max(*y);
                    }
                }
                vv[replica] += 1;
                *siblings = vec![Sibling { value: value.clone(), vv: vv.clone(), op }];
                new_vv = Some(vv);
                (format!("{key}={value}"), format!("set {key} = {value} (ts {ts})"))
            }
            (Value::Counter { lww, p, n }, Action::Add { by, .. }) => {
                // The naive way: read the local number, add, write it back with a timestamp.
                let local = lww.as_ref().map_or(0, |l| l.value);
                lww_merge(lww, &Some(Lww { value: local + by, ts, replica, op }));
                if *by >= 0 {
                    p[replica] += by.unsigned_abs();
                } else {
                    n[replica] += by.unsigned_abs();
                }
                let verb = if *by >= 0 { "incr" } else { "decr" };
                (format!("{key} {by:+}"), format!("{verb} {key} {} (ts {ts})", by.abs()))
            }
            (Value::Set { lww, adds, .. }, Action::Insert { element, .. }) => {
                let mut whole = lww.as_ref().map(|l| l.value.clone()).unwrap_or_default();
                whole.insert(element.clone());
                lww_merge(lww, &Some(Lww { value: whole, ts, replica, op }));
                adds.insert((element.clone(), op));
                (format!("{key} +{element}"), format!("add {element} to {key} (ts {ts})"))
            }
            (Value::Set { lww, adds, removed }, Action::Remove { element, .. }) => {
                let mut whole = lww.as_ref().map(|l| l.value.clone()).unwrap_or_default();
                whole.remove(element);
                lww_merge(lww, &Some(Lww { value: whole, ts, replica, op }));
                // Remove the tags this replica has seen, and only those.
                for (e, tag) in adds.iter() {
                    if e == element {
                        removed.insert(*tag);
                    }
                }
                (format!("{key} -{element}"), format!("remove {element} from {key} (ts {ts})"))
            }
            _ => unreachable!("the parser checked each key's kind"),
        };
        self.out.vv[op] = new_vv;
        let snapshot = self.copy(replica, &key).clone();
        self.broadcast(replica, now, &label, || Payload::Key(key.clone(), snapshot.clone()));
        shown
    }
    // ANCHOR_END: write

    fn deliver(&mut self, now: u64, index: usize) {
        let (to, payload, _message) = self.payloads[index].take().expect("delivered once");
        let pairs: Vec<(String, KeyCopy)> = match payload {
            Payload::Key(key, copy) => vec![(key, copy)],
            Payload::All(all) => all.into_iter().collect(),
        };
        for (key, theirs) in pairs {
            let before = siblings_of(self.copy(to, &key));
            merge(self.copy(to, &key), &theirs);
            let after = siblings_of(self.copy(to, &key));
            if after.len() > 1 && after != before {
                let shown = after.join(" | ");
                self.note(to, now, format!("conflict on {key}: {shown}"));
                let name = &self.config.replicas[to];
                self.out
                    .log
                    .push(format!("{now:>6}  {name:<3} version vectors see a conflict on {key}: {shown}"));
            }
        }
    }

    fn run(&mut self) {
        let mut next_op = 0;
        let mut end = 0;
        loop {
            let op_time = self.config.ops.get(next_op).map(|(t, _)| *t);
            let arrival = self.queue.peek().map(|Reverse((t, _))| *t);
            match (op_time, arrival) {
                (_, Some(a)) if op_time.is_none_or(|t| a <= t) => {
                    let Reverse((now, index)) = self.queue.pop().expect("peeked");
                    end = end.max(now);
                    self.deliver(now, index);
                }
                (Some(now), _) => {
                    self.op(next_op, now);
                    end = end.max(now);
                    next_op += 1;
                }
                (None, None) => break,
                (None, Some(_)) => unreachable!("covered by the first arm"),
            }
        }
        // The final anti-entropy round: heal, exchange everything, deliver it all.
        let now = end + 1;
        self.groups = vec![0; self.config.replicas.len()];
        self.note(0, now, "script over: anti-entropy".to_string());
        self.anti_entropy(now);
        while let Some(Reverse((at, index))) = self.queue.pop() {
            self.deliver(at, index);
        }
    }

    fn op(&mut self, op: usize, now: u64) {
        let config = self.config;
        let action = config.ops[op].1.clone();
        let names = &config.replicas;
        match &action {
            Action::Partition { groups } => {
                self.groups = groups.clone();
                let text = partition_text(names, groups);
                self.out.log.push(format!("{now:>6}  --  partition {text}"));
                self.note(0, now, format!("partition {text}"));
            }
            Action::Heal => {
                self.groups = vec![0; names.len()];
                self.out.log.push(format!("{now:>6}  --  heal: links back, anti-entropy round"));
                self.note(0, now, "heal + anti-entropy".to_string());
                self.anti_entropy(now);
            }
            Action::Get { replica, key } => {
                let name = names[*replica].clone();
                let shown = match self.out.replicas[*replica].get(key) {
                    None => "nothing yet".to_string(),
                    Some(copy) => describe(&copy.value, names),
                };
                self.out.log.push(format!("{now:>6}  {name:<3} get {key}: {shown}"));
                self.note(*replica, now, format!("get {key}: {shown}"));
            }
            _ => {
                let replica = action.replica().expect("a write");
                let shown = self.write(op, now, &action);
                let name = names[replica].clone();
                self.out.log.push(format!("{now:>6}  {name:<3} {shown}"));
                let (key, _) = action.key().expect("a write");
                let note = match &action {
                    Action::Set { value, .. } => format!("set {key}={value}"),
                    Action::Add { by, .. } => format!("{key} {by:+}"),
                    Action::Insert { element, .. } => format!("{key} add {element}"),
                    Action::Remove { element, .. } => format!("{key} remove {element}"),
                    _ => unreachable!("a write"),
                };
                self.note(replica, now, note);
            }
        }
    }
}

fn siblings_of(copy: &KeyCopy) -> Vec<String> {
    match &copy.value {
        Value::Register { siblings, .. } => siblings.iter().map(|s| s.value.clone()).collect(),
        _ => Vec::new(),
    }
}

fn partition_text(names: &[String], groups: &[usize]) -> String {
    let mut by_group: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (r, g) in groups.iter().enumerate() {
        by_group.entry(*g).or_default().push(&names[r]);
    }
    by_group.values().map(|v| v.join(" ")).collect::<Vec<_>>().join(" | ")
}

/// `[a:2 b:1]`: a version vector without its zeros.
pub fn vv_text(vv: &[u32], names: &[String]) -> String {
    let parts: Vec<String> =
        vv.iter().enumerate().filter(|(_, n)| **n > 0).map(|(r, n)| format!("{}:{n}", names[r])).collect();
    format!("[{}]", parts.join(" "))
}

fn set_text(set: &BTreeSet<String>) -> String {
    format!("{{{}}}", set.iter().cloned().collect::<Vec<_>>().join(", "))
}

/// What a replica would answer for a key, each way.
fn describe(value: &Value, names: &[String]) -> String {
    match value {
        Value::Register { lww, siblings } => {
            let lww = lww.as_ref().map_or("-".to_string(), |l| l.value.clone());
            let vv: Vec<String> =
                siblings.iter().map(|s| format!("{} {}", s.value, vv_text(&s.vv, names))).collect();
            format!("LWW {lww}; version vectors {}", vv.join(" | "))
        }
        Value::Counter { lww, p, n } => {
            format!("LWW {}; PN-counter {}", lww.as_ref().map_or(0, |l| l.value), pn_value(p, n))
        }
        Value::Set { lww, adds, removed } => format!(
            "LWW {}; OR-set {}",
            lww.as_ref().map_or("{}".to_string(), |l| set_text(&l.value)),
            set_text(&or_elements(adds, removed))
        ),
    }
}

// ANCHOR: simulate
/// Runs the script, then one last anti-entropy round.
pub fn simulate(config: &Config) -> Outcome {
    let mut kinds = BTreeMap::new();
    for (_, action) in &config.ops {
        if let Some((key, kind)) = action.key() {
            kinds.entry(key.to_string()).or_insert(kind);
        }
    }
    let n = config.replicas.len();
    let mut sim = Sim {
        config,
        kinds,
        out: Outcome {
            replicas: vec![BTreeMap::new(); n],
            past: vec![None; config.ops.len()],
            vv: vec![None; config.ops.len()],
            log: Vec::new(),
            messages: Vec::new(),
            notes: Vec::new(),
        },
        groups: vec![0; n],
        queue: BinaryHeap::new(),
        payloads: Vec::new(),
        rng: Rng::new(config.seed),
    };
    sim.run();
    sim.out
}
// ANCHOR_END: simulate

/// What became of the writes to one key, judged against the ground truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub key: String,
    pub kind: Kind,
    /// The writes to the key, in script order.
    pub writes: Vec<usize>,
    /// Writes no other write to the key had seen: the versions a careful store must keep.
    pub maximal: BTreeSet<usize>,
}

/// Writes whose past contains `w`.
fn seen_by(outcome: &Outcome, w: usize) -> impl Iterator<Item = usize> + '_ {
    outcome
        .past
        .iter()
        .enumerate()
        .filter(move |(_, p)| p.as_ref().is_some_and(|p| p.contains(&w)))
        .map(|(i, _)| i)
}

pub fn verdicts(config: &Config, outcome: &Outcome) -> Vec<Verdict> {
    let mut keys: Vec<(String, Kind)> = Vec::new();
    for (_, action) in &config.ops {
        if let Some((key, kind)) = action.key()
            && !keys.iter().any(|(k, _)| k == key)
        {
            keys.push((key.to_string(), kind));
        }
    }
    keys.into_iter()
        .map(|(key, kind)| {
            let writes: Vec<usize> = config
                .ops
                .iter()
                .enumerate()
                .filter(|(_, (_, a))| a.key().is_some_and(|(k, _)| k == key))
                .map(|(i, _)| i)
                .collect();
            let maximal = writes.iter().copied().filter(|&w| seen_by(outcome, w).next().is_none()).collect();
            Verdict { key, kind, writes, maximal }
        })
        .collect()
}

/// Whether every replica ended with the same state for every key.
pub fn converged(outcome: &Outcome) -> bool {
    let values = |r: &BTreeMap<String, KeyCopy>| -> BTreeMap<String, Value> {
        r.iter().map(|(k, c)| (k.clone(), c.value.clone())).collect()
    };
    outcome.replicas.windows(2).all(|w| values(&w[0]) == values(&w[1]))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

fn op_text(config: &Config, op: usize) -> String {
    let (at, action) = &config.ops[op];
    let who = action.replica().map_or("?", |r| config.replicas[r].as_str());
    match action {
        Action::Set { value, .. } => format!("{value:?} ({who} at {at} ms)"),
        Action::Add { by, .. } => format!("{by:+} ({who} at {at} ms)"),
        Action::Insert { element, .. } => format!("add {element} ({who} at {at} ms)"),
        Action::Remove { element, .. } => format!("remove {element} ({who} at {at} ms)"),
        _ => String::new(),
    }
}

// ANCHOR: report
/// The final state of every key, each way, and what each way lost.
pub fn report(config: &Config, outcome: &Outcome) -> String {
    let names = &config.replicas;
    let mut out = String::new();
    let skews: Vec<String> = config
        .skew
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != 0)
        .map(|(r, s)| format!("{} {s:+} ms", names[r]))
        .collect();
    let _ = writeln!(
        out,
        "replicas {}; one-way delay {}–{} ms (seed {}); clock skew: {}",
        names.join(" "),
        config.delay.0,
        config.delay.1,
        config.seed,
        if skews.is_empty() { "none".to_string() } else { skews.join(", ") }
    );
    out.push_str("\n  time  at  what happened\n");
    for line in &outcome.log {
        let _ = writeln!(out, "{line}");
    }
    let agree = converged(outcome);
    let _ = writeln!(
        out,
        "\nAfter the last anti-entropy round all {} replicas agree: {}",
        names.len(),
        crate::yes(agree)
    );
    let state = &outcome.replicas[0];
    for verdict in verdicts(config, outcome) {
        let Some(copy) = state.get(&verdict.key) else { continue };
        let key = &verdict.key;
        match &copy.value {
            Value::Register { lww, siblings } => {
                let _ = writeln!(out, "\n{key} (a register, {})", plural(verdict.writes.len(), "write"));
                let winner = lww.as_ref().expect("written").op;
                let _ = writeln!(out, "  last-write-wins keeps {}", op_text(config, winner));
                let winner_past = outcome.past[winner].clone().unwrap_or_default();
                for &w in &verdict.writes {
                    if w == winner || winner_past.contains(&w) {
                        continue;
                    }
                    let after = outcome.past[w].as_ref().is_some_and(|p| p.contains(&winner));
                    let why = if after {
                        "written AFTER its writer had seen the winner (a slower clock)"
                    } else {
                        "concurrent with the winner"
                    };
                    let _ = writeln!(out, "    silently dropped: {}, {why}", op_text(config, w));
                }
                let kept: Vec<String> =
                    siblings.iter().map(|s| format!("{:?} {}", s.value, vv_text(&s.vv, names))).collect();
                let _ = writeln!(out, "  version vectors keep  {}", kept.join(", "));
                if siblings.len() > 1 {
                    let _ = writeln!(
                        out,
                        "    {} concurrent versions: the application must merge them",
                        siblings.len()
                    );
                }
            }
            Value::Counter { lww, p, n } => {
                let truth: i64 = verdict
                    .writes
                    .iter()
                    .map(|&w| match &config.ops[w].1 {
                        Action::Add { by, .. } => *by,
                        _ => 0,
                    })
                    .sum();
                let naive = lww.as_ref().map_or(0, |l| l.value);
                let _ = writeln!(
                    out,
                    "\n{key} (a counter, {} adding up to {truth:+})",
                    plural(verdict.writes.len(), "update")
                );
                let lost = truth - naive;
                let lost = if lost == 0 { "nothing lost".to_string() } else { format!("off by {lost:+}") };
                let _ = writeln!(out, "  last-write-wins number {naive}: {lost}");
                let per = |v: &[u64]| {
                    let parts: Vec<String> = v
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| **x > 0)
                        .map(|(r, x)| format!("{}:{x}", names[r]))
                        .collect();
                    format!("[{}]", parts.join(" "))
                };
                let _ =
                    writeln!(out, "  PN-counter            {} (P {} N {})", pn_value(p, n), per(p), per(n));
            }
            Value::Set { lww, adds, removed } => {
                let _ = writeln!(out, "\n{key} (a set, {})", plural(verdict.writes.len(), "update"));
                let whole = lww.as_ref().map(|l| l.value.clone()).unwrap_or_default();
                let or = or_elements(adds, removed);
                let by = lww.as_ref().map_or(String::new(), |l| {
                    let (at, action) = &config.ops[l.op];
                    let who = action.replica().map_or("?", |r| names[r].as_str());
                    format!(" (the whole set as {who} wrote it at {at} ms)")
                });
                let _ = writeln!(out, "  last-write-wins set   {}{by}", set_text(&whole));
                let _ = writeln!(out, "  OR-set (add wins)     {}", set_text(&or));
                let gone: Vec<String> = or.difference(&whole).cloned().collect();
                if !gone.is_empty() {
                    let _ = writeln!(
                        out,
                        "    added, never removed, yet missing from the LWW set: {}",
                        gone.join(", ")
                    );
                }
            }
        }
    }
    out
}
// ANCHOR_END: report

pub fn draw(config: &Config, outcome: Outcome) -> Figure {
    let parties = config.replicas.clone();
    let steps = Step::per_event(&parties, &outcome.messages, &outcome.notes, "ms");
    Figure::Sequence {
        title: "multi-leader replication: each write's state sent to the other leaders".to_string(),
        unit: "ms".to_string(),
        parties,
        messages: outcome.messages,
        notes: outcome.notes,
        steps,
    }
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let config = parse(input)?;
    let outcome = simulate(&config);
    Ok(Drawn { text: report(&config, &outcome), figure: draw(&config, outcome) })
}

fn is_name(word: &str) -> bool {
    !word.is_empty()
        && word.len() <= 12
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub fn parse(input: &str) -> Result<Config, InputError> {
    let p = Params::parse(input, &["replicas", "delay", "skew", "seed", "op"])?;
    let entry = p.one("replicas")?.ok_or_else(|| InputError::new("missing `replicas = a b c`"))?;
    let mut replicas: Vec<String> = Vec::new();
    for word in entry.value.split_whitespace() {
        if !is_name(word) {
            return Err(InputError::at_line(
                entry.line,
                format!("replica name `{word}`: use 1 to 12 letters, digits, `-` or `_`"),
            ));
        }
        if replicas.iter().any(|r| r == word) {
            return Err(InputError::at_line(entry.line, format!("replica `{word}` is listed twice")));
        }
        replicas.push(word.to_string());
    }
    if !(2..=MAX_REPLICAS).contains(&replicas.len()) {
        return Err(InputError::at_line(entry.line, format!("list 2 to {MAX_REPLICAS} replicas")));
    }
    let find = |word: &str, line: usize| -> Result<usize, InputError> {
        replicas.iter().position(|r| r == word).ok_or_else(|| {
            InputError::at_line(line, format!("`{word}` is not one of the replicas ({})", replicas.join(" ")))
        })
    };
    let delay = match p.one("delay")? {
        None => (5, 20),
        Some(entry) => match entry.numbers(0, MAX_DELAY)?.as_slice() {
            [min, max] if min <= max => (*min, *max),
            _ => return Err(InputError::at_line(entry.line, "`delay = MIN MAX`, with MIN ≤ MAX")),
        },
    };
    let mut skew = vec![0i64; replicas.len()];
    for entry in p.all("skew") {
        let words: Vec<&str> = entry.value.split_whitespace().collect();
        let [name, ms] = words.as_slice() else {
            return Err(InputError::at_line(entry.line, "`skew = NAME MS`"));
        };
        skew[find(name, entry.line)?] = parse_number(ms, entry.line, -MAX_SKEW, MAX_SKEW)?;
    }
    let seed = p.number_or("seed", 0, u64::MAX, 1)?;
    let mut ops: Vec<(u64, Action)> = Vec::new();
    let mut kinds: BTreeMap<String, Kind> = BTreeMap::new();
    for entry in p.all("op") {
        let line = entry.line;
        let words: Vec<&str> = entry.value.split_whitespace().collect();
        let Some((at, rest)) = words.split_first() else {
            return Err(InputError::at_line(line, "`op = TIME …`"));
        };
        let at: u64 = parse_number(at, line, 0, MAX_TIME)?;
        if ops.last().is_some_and(|(t, _)| *t > at) {
            return Err(InputError::at_line(line, "operations must be in time order"));
        }
        let action = match rest {
            ["heal"] => Action::Heal,
            ["partition", groups @ ..] => {
                let mut assigned: Vec<Option<usize>> = vec![None; replicas.len()];
                let mut group = 0;
                for word in groups {
                    if *word == "|" {
                        group += 1;
                        continue;
                    }
                    let r = find(word, line)?;
                    if assigned[r].replace(group).is_some() {
                        return Err(InputError::at_line(line, format!("`{word}` is in two groups")));
                    }
                }
                if group == 0 {
                    return Err(InputError::at_line(line, "`partition a | b c`: groups separated by `|`"));
                }
                // A replica left out is cut off from everyone.
                let groups = assigned.iter().enumerate().map(|(r, g)| g.unwrap_or(group + 1 + r)).collect();
                Action::Partition { groups }
            }
            [who, verb, key, args @ ..] => {
                let replica = find(who, line)?;
                if !is_name(key) {
                    return Err(InputError::at_line(
                        line,
                        format!("key `{key}`: use 1 to 12 letters, digits, `-` or `_`"),
                    ));
                }
                let key = key.to_string();
                let action = match (*verb, args) {
                    ("set", [value]) if is_name(value) => {
                        Action::Set { replica, key, value: value.to_string() }
                    }
                    ("incr", [n]) => Action::Add { replica, key, by: parse_number(n, line, 1, 1_000_000)? },
                    ("decr", [n]) => {
                        Action::Add { replica, key, by: -parse_number::<i64>(n, line, 1, 1_000_000)? }
                    }
                    ("add", [x]) if is_name(x) => Action::Insert { replica, key, element: x.to_string() },
                    ("remove", [x]) if is_name(x) => Action::Remove { replica, key, element: x.to_string() },
                    ("get", []) => Action::Get { replica, key },
                    _ => {
                        return Err(InputError::at_line(
                            line,
                            format!(
                                "`{}`: expected `set KEY VALUE`, `incr KEY N`, `decr KEY N`, `add KEY X`, `remove KEY X` or `get KEY` (values: 1 to 12 letters, digits, `-` or `_`)",
                                entry.value
                            ),
                        ));
                    }
                };
                if let Some((key, kind)) = action.key() {
                    let known = *kinds.entry(key.to_string()).or_insert(kind);
                    if known != kind {
                        return Err(InputError::at_line(
                            line,
                            format!("`{key}` is already a {}", kind_name(known)),
                        ));
                    }
                } else if let Action::Get { key, .. } = &action
                    && !kinds.contains_key(key)
                {
                    return Err(InputError::at_line(
                        line,
                        format!("`get {key}`: nothing has written `{key}` yet"),
                    ));
                }
                action
            }
            _ => return Err(InputError::at_line(line, format!("`{}`: not an operation", entry.value))),
        };
        ops.push((at, action));
        if ops.len() > MAX_OPS {
            return Err(InputError::at_line(line, format!("at most {MAX_OPS} operations")));
        }
    }
    Ok(Config { replicas, delay, skew, seed, ops })
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Register => "register (`set`)",
        Kind::Counter => "counter (`incr`/`decr`)",
        Kind::Set => "set (`add`/`remove`)",
    }
}

/// A random script: 2 to 4 replicas, skewed clocks, partitions, and writes to two registers, a
/// counter and a set. The property tests and the predict puzzle draw from it.
pub fn random_config(seed: u64, max_ops: usize) -> Config {
    let mut rng = Rng::new(seed);
    let n = rng.range(2, MAX_REPLICAS as u64) as usize;
    let replicas: Vec<String> = ["a", "b", "c", "d"][..n].iter().map(|s| s.to_string()).collect();
    let low = rng.range(1, 10);
    let delay = (low, low + rng.range(0, 30));
    let skew = (0..n).map(|_| if rng.chance(0.5) { rng.range(0, 120) as i64 - 60 } else { 0 }).collect();
    let mut ops = Vec::new();
    let mut at = 0;
    let mut version = 0;
    let count = rng.range(3, max_ops as u64) as usize;
    for _ in 0..count {
        at += rng.range(0, 25);
        let replica = rng.range(0, n as u64 - 1) as usize;
        let action = match rng.range(0, 9) {
            0..=2 => {
                version += 1;
                let key = if rng.chance(0.7) { "x" } else { "y" };
                Action::Set { replica, key: key.into(), value: format!("v{version}") }
            }
            3..=4 => {
                let by = rng.range(1, 3) as i64;
                Action::Add { replica, key: "likes".into(), by: if rng.chance(0.2) { -by } else { by } }
            }
            5..=6 => {
                let element = ["milk", "eggs", "tea"][rng.range(0, 2) as usize].to_string();
                if rng.chance(0.6) {
                    Action::Insert { replica, key: "cart".into(), element }
                } else {
                    Action::Remove { replica, key: "cart".into(), element }
                }
            }
            7 => {
                let mut groups: Vec<usize> = (0..n).map(|_| rng.range(0, 1) as usize).collect();
                if groups.iter().all(|g| *g == groups[0]) {
                    groups[0] = 1 - groups[0];
                }
                Action::Partition { groups }
            }
            _ => Action::Heal,
        };
        ops.push((at, action));
    }
    Config { replicas, delay, skew, seed: rng.next_u64() % 1000, ops }
}

/// The script of `config` as input text.
pub fn script(config: &Config) -> String {
    let names = &config.replicas;
    let mut out = format!("replicas = {}\ndelay = {} {}\n", names.join(" "), config.delay.0, config.delay.1);
    for (r, s) in config.skew.iter().enumerate() {
        if *s != 0 {
            let _ = writeln!(out, "skew = {} {s}", names[r]);
        }
    }
    let _ = writeln!(out, "seed = {}", config.seed);
    for (at, action) in &config.ops {
        let text = match action {
            Action::Set { replica, key, value } => format!("{} set {key} {value}", names[*replica]),
            Action::Add { replica, key, by } if *by >= 0 => format!("{} incr {key} {by}", names[*replica]),
            Action::Add { replica, key, by } => format!("{} decr {key} {}", names[*replica], -by),
            Action::Insert { replica, key, element } => format!("{} add {key} {element}", names[*replica]),
            Action::Remove { replica, key, element } => format!("{} remove {key} {element}", names[*replica]),
            Action::Get { replica, key } => format!("{} get {key}", names[*replica]),
            Action::Partition { groups } => format!("partition {}", partition_text(names, groups)),
            Action::Heal => "heal".to_string(),
        };
        let _ = writeln!(out, "op = {at} {text}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_run() -> (Config, Outcome) {
        let config = parse(DEFAULT_INPUT).unwrap();
        let outcome = simulate(&config);
        (config, outcome)
    }

    #[test]
    fn the_default_script_shows_each_loss() {
        let (config, outcome) = default_run();
        let text = report(&config, &outcome);
        assert!(converged(&outcome), "{text}");
        // LWW keeps a's v2-a; b's v3, written after b had seen v2-a, loses to b's slow clock.
        assert!(text.contains("last-write-wins keeps \"v2-a\""), "{text}");
        assert!(text.contains("\"v3\" (b at 110 ms), written AFTER"), "{text}");
        assert!(text.contains("\"v2-b\" (b at 45 ms), concurrent"), "{text}");
        // Version vectors keep v3 only: it was written with both conflicting versions seen.
        assert!(text.contains("version vectors keep  \"v3\" [a:2 b:2]"), "{text}");
        assert!(text.contains("get title: LWW v2-a; version vectors v2-a [a:2] | v2-b [a:1 b:1]"), "{text}");
        assert!(text.contains("last-write-wins number 2: off by +2"), "{text}");
        assert!(text.contains("PN-counter            4"), "{text}");
        assert!(text.contains("OR-set (add wins)     {eggs, milk, tea}"), "{text}");
    }

    #[test]
    fn bad_input_names_its_line() {
        let err = |input: &str| parse(input).unwrap_err().to_string();
        assert!(err("replicas = a\n").contains("2 to 4"));
        assert!(
            err("replicas = a b\nop = 5 a set x 1\nop = 4 b set x 2\n")
                .contains("line 3: operations must be in time order")
        );
        assert!(err("replicas = a b\nop = 5 a set x 1\nop = 6 b incr x 2\n").contains("already a register"));
        assert!(err("replicas = a b\nop = 5 z set x 1\n").contains("`z` is not one of"));
        assert!(err("replicas = a b\nop = 5 a get x\n").contains("nothing has written"));
        assert!(err("replicas = a b\nop = 5 partition a b\n").contains("groups separated"));
    }

    /// The properties, on one run: convergence, the counter, the version vectors against the
    /// ground truth, the OR-set against its definition, and what LWW drops.
    pub(crate) fn check(config: &Config, outcome: &Outcome) -> Result<(), String> {
        if !converged(outcome) {
            return Err("replicas differ after anti-entropy".into());
        }
        let is_concurrent = |a: usize, b: usize| {
            let (pa, pb) = (outcome.past[a].as_ref().unwrap(), outcome.past[b].as_ref().unwrap());
            !pa.contains(&b) && !pb.contains(&a)
        };
        for verdict in verdicts(config, outcome) {
            let copy = &outcome.replicas[0][&verdict.key];
            match &copy.value {
                Value::Counter { p, n, .. } => {
                    let truth: i64 = verdict
                        .writes
                        .iter()
                        .map(|&w| if let Action::Add { by, .. } = config.ops[w].1 { by } else { 0 })
                        .sum();
                    if pn_value(p, n) != truth {
                        return Err(format!(
                            "PN-counter {} but the updates add up to {truth}",
                            pn_value(p, n)
                        ));
                    }
                }
                Value::Register { lww, siblings } => {
                    let kept: BTreeSet<usize> = siblings.iter().map(|s| s.op).collect();
                    if kept != verdict.maximal {
                        return Err(format!(
                            "{}: siblings {kept:?}, maximal writes {:?}",
                            verdict.key, verdict.maximal
                        ));
                    }
                    for &a in &verdict.writes {
                        for &b in &verdict.writes {
                            let vv = |w: usize| outcome.vv[w].as_ref().unwrap();
                            if a < b && concurrent(vv(a), vv(b)) != is_concurrent(a, b) {
                                return Err(format!(
                                    "{}: writes {a} and {b}: version vectors wrong",
                                    verdict.key
                                ));
                            }
                        }
                    }
                    let winner = lww.as_ref().unwrap().op;
                    for &w in &verdict.writes {
                        let dropped = w != winner && !outcome.past[winner].as_ref().unwrap().contains(&w);
                        if dropped
                            && is_concurrent(w, winner)
                            && !concurrent(
                                outcome.vv[w].as_ref().unwrap(),
                                outcome.vv[winner].as_ref().unwrap(),
                            )
                        {
                            return Err(format!(
                                "{}: LWW dropped write {w}, version vectors missed it",
                                verdict.key
                            ));
                        }
                    }
                }
                Value::Set { adds, removed, .. } => {
                    // Add wins: x is in the set iff some add of x was seen by no remove of x.
                    let mut expected = BTreeSet::new();
                    for &a in &verdict.writes {
                        let Action::Insert { element, .. } = &config.ops[a].1 else { continue };
                        let removed_by_some = verdict.writes.iter().any(|&r| {
                            matches!(&config.ops[r].1, Action::Remove { element: e, .. } if e == element)
                                && outcome.past[r].as_ref().unwrap().contains(&a)
                        });
                        if !removed_by_some {
                            expected.insert(element.clone());
                        }
                    }
                    let got = or_elements(adds, removed);
                    if got != expected {
                        return Err(format!("OR-set {got:?}, expected {expected:?}"));
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn a_thousand_seeds_converge_and_keep_what_they_promise() {
        let (mut lww_drops, mut counter_losses, mut skew_losses, mut conflicts) = (0, 0, 0, 0);
        for seed in 0..1_500 {
            let config = random_config(seed, 16);
            let outcome = simulate(&config);
            if let Err(problem) = check(&config, &outcome) {
                panic!("seed {seed}: {problem}\n{}", script(&config));
            }
            for verdict in verdicts(&config, &outcome) {
                match &outcome.replicas[0][&verdict.key].value {
                    Value::Register { lww, siblings } => {
                        let winner = lww.as_ref().unwrap().op;
                        if verdict.maximal.len() > 1 {
                            conflicts += 1;
                        }
                        if verdict.maximal.iter().any(|&w| w != winner) {
                            lww_drops += 1;
                        }
                        if !verdict.maximal.contains(&winner) {
                            skew_losses += 1;
                        }
                        assert!(!siblings.is_empty());
                    }
                    Value::Counter { lww, p, n } => {
                        if lww.as_ref().map_or(0, |l| l.value) != pn_value(p, n) {
                            counter_losses += 1;
                        }
                    }
                    Value::Set { .. } => {}
                }
            }
        }
        // The runs must contain the trouble the properties are about, or they prove nothing.
        assert!(lww_drops > 100, "{lww_drops} registers where LWW dropped a concurrent write");
        assert!(conflicts > 100, "{conflicts} registers with concurrent versions");
        assert!(skew_losses > 10, "{skew_losses} registers where LWW kept a write another had seen");
        assert!(counter_losses > 100, "{counter_losses} counters where LWW lost an update");
    }

    #[test]
    fn the_check_catches_a_broken_merge() {
        // A "merge" that keeps only the received siblings (no union) must fail the properties on
        // some seed: the check can fail.
        let config = parse(DEFAULT_INPUT).unwrap();
        let mut outcome = simulate(&config);
        if let Value::Register { siblings, .. } = &mut outcome.replicas[0].get_mut("title").unwrap().value {
            siblings.clear();
        }
        assert!(check(&config, &outcome).is_err());
        let mut outcome = simulate(&config);
        for r in &mut outcome.replicas {
            if let Value::Counter { p, .. } = &mut r.get_mut("likes").unwrap().value {
                p[0] = 0;
            }
        }
        assert!(check(&config, &outcome).unwrap_err().contains("PN-counter"));
    }

    #[test]
    fn figure_is_valid_on_random_scripts() {
        for seed in 0..200 {
            let config = random_config(seed, 16);
            let outcome = simulate(&config);
            draw(&config, outcome).validate().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            // The script text reads back as the same script.
            let again = parse(&script(&config)).unwrap();
            assert_eq!(again.ops, config.ops, "seed {seed}");
        }
    }
}
