//! A small Elasticsearch-style cluster: one index with P primary shards and R replicas of each,
//! documents routed to shards by a hash of their routing value, nodes that stop and start, and
//! the cluster health that follows.
//!
//! What it models, after the Elasticsearch reference documentation:
//!
//! * routing: `shard = (hash(_routing) % routing_shards) / (routing_shards / primaries)`, the
//!   formula of indices created before Elasticsearch 9.4 (newer indices use
//!   `hash(_routing) % primaries`); `routing_shards` defaults to primaries × 2^k, the largest such
//!   number up to 1024 (at least one doubling), which is what lets `_split` multiply the
//!   primaries without moving a document to an unrelated shard. Elasticsearch hashes `_routing`
//!   (the `_id` unless you give one) with Murmur3; this model uses the chapter's FNV-1a +
//!   finaliser, so the shard numbers differ from a real cluster's, the arithmetic does not;
//! * allocation: no two copies of a shard on one node (so never a replica beside its primary);
//!   a primary is assigned only from an *in-sync* copy (or anywhere for a new index); a replica
//!   only when its primary is active; otherwise to the live node with the fewest copies;
//! * failure: when a primary's node leaves, an in-sync replica is promoted at once; copies on a
//!   node that left while their primary stayed active drop out of the in-sync set;
//! * health: green when every copy is assigned, yellow when every primary is but some replica is
//!   not, red when some primary is not.
//!
//! Simplified: no disk watermarks, awareness attributes or throttling; reallocation after a node
//! leaves happens at once (Elasticsearch first waits `index.unassigned.node_left.delayed_timeout`,
//! 1 minute by default); the rebalancer only evens out the number of copies per node.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::hash::key_hash;
use crate::figure::{self, Figure, Lane, Mark, Span, SpanKind};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "sharding::elastic",
    title: "An Elasticsearch-style cluster: routing, replicas, promotion and health",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`nodes = n1 n2 n3`, `primaries = P`, `replicas = R`, `docs = N` (doc-1 … doc-N), then one \
                 `op = …` per step: `stop n2 [n3 …]`, `start n2`, `add n4`, `replicas R`, `split P`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
nodes = n1 n2 n3
primaries = 3
replicas = 1
docs = 9
op = stop n3
op = start n3
op = stop n1 n2
op = start n2
op = start n1
op = add n4
op = split 6
";

pub const MAX_NODES: usize = 12;
pub const MAX_PRIMARIES: usize = 64;
pub const MAX_REPLICAS: usize = 5;
pub const MAX_DOCS: usize = 100;
pub const MAX_OPS: usize = 30;
/// Shard moves the rebalancer may make after one step.
pub const MOVE_BUDGET: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Stop(Vec<usize>),
    Start(usize),
    Add(String),
    Replicas(usize),
    Split(usize),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub nodes: Vec<String>,
    pub primaries: usize,
    pub replicas: usize,
    pub docs: usize,
    /// Each op with its input line (a split can be refused at run time).
    pub ops: Vec<(usize, Op)>,
}

// ANCHOR: routing
/// Elasticsearch's default `index.number_of_routing_shards`: primaries × 2^k, the largest such
/// number up to 1024, but at least one doubling.
pub fn routing_shards(primaries: usize) -> usize {
    let log2_primaries = usize::BITS - (primaries - 1).leading_zeros(); // ceil(log2(primaries))
    let splits = 10u32.saturating_sub(log2_primaries).max(1);
    primaries << splits
}

/// The shard a document goes to. With `routing_shards = primaries` this is plain
/// `hash % primaries`; with more routing shards, each primary owns a contiguous block of them.
pub fn shard_for(routing: &str, primaries: usize, routing_shards: usize) -> usize {
    let factor = routing_shards / primaries;
    (key_hash(routing) % routing_shards as u64) as usize / factor
}
// ANCHOR_END: routing

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Green,
    Yellow,
    Red,
}

impl Health {
    fn name(self) -> &'static str {
        match self {
            Health::Green => "GREEN",
            Health::Yellow => "YELLOW",
            Health::Red => "RED",
        }
    }
}

// ANCHOR: example
// ANCHOR: types
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copy {
    pub node: usize,
    pub primary: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Shard {
    /// Assigned copies, on live nodes.
    pub copies: Vec<Copy>,
    /// Nodes whose copy has every acknowledged write: only these may become primary.
    pub in_sync: BTreeSet<usize>,
    /// Nodes that hold some copy of the shard's files, up to date or not.
    pub on_disk: BTreeSet<usize>,
}

impl Shard {
    fn primary(&self) -> Option<usize> {
        self.copies.iter().find(|c| c.primary).map(|c| c.node)
    }
    fn has_copy_on(&self, node: usize) -> bool {
        self.copies.iter().any(|c| c.node == node)
    }
}

#[derive(Debug, Clone)]
pub struct Cluster {
    pub names: Vec<String>,
    pub up: Vec<bool>,
    pub shards: Vec<Shard>,
    pub replicas: usize,
    pub routing_shards: usize,
}

// ANCHOR_END: types
impl Cluster {
    /// A new index: primaries go anywhere (there is no data yet), then replicas.
    pub fn create(names: &[String], primaries: usize, replicas: usize, log: &mut Vec<String>) -> Cluster {
        let mut cluster = Cluster {
            names: names.to_vec(),
            up: vec![true; names.len()],
            shards: vec![Shard::default(); primaries],
            replicas,
            routing_shards: routing_shards(primaries),
        };
        for s in 0..primaries {
            if let Some(node) = cluster.least_loaded(s) {
                cluster.assign(s, node, true);
                log.push(format!("shard {s} primary -> {}", cluster.names[node]));
            }
        }
        cluster.allocate(log);
        cluster.rebalance(log);
        cluster
    }

    fn copies_on(&self, node: usize) -> usize {
        self.shards.iter().filter(|s| s.has_copy_on(node)).count()
    }

    /// The live node without a copy of shard `s` that holds its files already, else the one
    /// with the fewest copies (ties: the first in name order).
    fn least_loaded(&self, s: usize) -> Option<usize> {
        let shard = &self.shards[s];
        (0..self.names.len())
            .filter(|&n| self.up[n] && !shard.has_copy_on(n))
            .min_by_key(|&n| (!shard.on_disk.contains(&n), self.copies_on(n), n))
    }

    fn assign(&mut self, s: usize, node: usize, primary: bool) {
        let shard = &mut self.shards[s];
        shard.copies.push(Copy { node, primary });
        shard.in_sync.insert(node);
        shard.on_disk.insert(node);
    }

    /// Nodes leave. Their copies disappear; a shard that lost its primary promotes an in-sync
    /// replica. Copies lost while a primary carries on are out of sync from now on.
    pub fn stop(&mut self, nodes: &[usize], log: &mut Vec<String>) {
        for &n in nodes {
            self.up[n] = false;
        }
        for (s, shard) in self.shards.iter_mut().enumerate() {
            let lost: Vec<Copy> = shard.copies.iter().copied().filter(|c| !self.up[c.node]).collect();
            if lost.is_empty() {
                continue;
            }
            shard.copies.retain(|c| self.up[c.node]);
            let lost_primary = lost.iter().find(|c| c.primary);
            if let Some(old) = lost_primary {
                let candidate = shard
                    .copies
                    .iter_mut()
                    .filter(|c| shard.in_sync.contains(&c.node))
                    .min_by_key(|c| c.node);
                match candidate {
                    Some(replica) => {
                        replica.primary = true;
                        log.push(format!(
                            "shard {s}: primary on {} lost; replica on {} promoted to primary",
                            self.names[old.node], self.names[replica.node]
                        ));
                    }
                    None => log.push(format!(
                        "shard {s}: primary on {} lost and no replica left",
                        self.names[old.node]
                    )),
                }
            }
            if shard.primary().is_some() {
                // The primary goes on taking writes: the lost copies fall behind.
                shard.in_sync = shard.copies.iter().map(|c| c.node).collect();
            }
        }
    }

    /// Assigns what can be assigned: primaries from in-sync copies, then replicas.
    pub fn allocate(&mut self, log: &mut Vec<String>) {
        for s in 0..self.shards.len() {
            if self.shards[s].primary().is_some() {
                continue;
            }
            let shard = &self.shards[s];
            let from_disk = shard.in_sync.iter().copied().find(|&n| self.up[n] && shard.on_disk.contains(&n));
            if let Some(node) = from_disk {
                // The node's copy was in sync when the shard lost its last active copy.
                self.shards[s].copies.push(Copy { node, primary: true });
                log.push(format!(
                    "shard {s}: primary recovered from the in-sync copy on {}",
                    self.names[node]
                ));
            }
        }
        for s in 0..self.shards.len() {
            if self.shards[s].primary().is_none() {
                continue;
            }
            while self.shards[s].copies.len() < 1 + self.replicas {
                let Some(node) = self.least_loaded(s) else { break };
                let reused = self.shards[s].on_disk.contains(&node);
                self.assign(s, node, false);
                log.push(format!(
                    "shard {s} replica -> {}{}",
                    self.names[node],
                    if reused {
                        " (reuses the files on its disk, copies what it missed)"
                    } else {
                        " (copied from the primary)"
                    }
                ));
            }
            // Fewer replicas wanted: drop the extra ones from the busiest nodes.
            while self.shards[s].copies.len() > 1 + self.replicas {
                let shard = &self.shards[s];
                let busiest = shard
                    .copies
                    .iter()
                    .filter(|c| !c.primary)
                    .max_by_key(|c| (self.copies_on(c.node), c.node))
                    .map(|c| c.node)
                    .expect("a shard with extra copies has a replica");
                self.shards[s].copies.retain(|c| c.node != busiest);
                self.shards[s].in_sync.remove(&busiest);
                self.shards[s].on_disk.remove(&busiest);
                log.push(format!("shard {s} replica on {} removed", self.names[busiest]));
            }
            // Every copy is assigned: a live node without one deletes its stale files of the
            // shard (Elasticsearch's IndicesStore does this once all copies are active).
            let shard = &mut self.shards[s];
            if shard.copies.len() == 1 + self.replicas {
                let copies = shard.copies.clone();
                let up = &self.up;
                shard.on_disk.retain(|&n| !up[n] || copies.iter().any(|c| c.node == n));
            }
        }
    }

    /// Moves copies from the busiest live node to the emptiest until they differ by at most one.
    pub fn rebalance(&mut self, log: &mut Vec<String>) {
        for _ in 0..MOVE_BUDGET {
            let live: Vec<usize> = (0..self.names.len()).filter(|&n| self.up[n]).collect();
            let Some(&busiest) = live.iter().max_by_key(|&&n| (self.copies_on(n), std::cmp::Reverse(n)))
            else {
                return;
            };
            let Some(&emptiest) = live.iter().min_by_key(|&&n| (self.copies_on(n), n)) else { return };
            if self.copies_on(busiest) < self.copies_on(emptiest) + 2 {
                return;
            }
            // A replica if possible (cheaper to move), else a primary; never next to another copy.
            let movable = |primary: bool| {
                self.shards.iter().position(|shard| {
                    shard.copies.iter().any(|c| c.node == busiest && c.primary == primary)
                        && !shard.has_copy_on(emptiest)
                })
            };
            let Some((s, primary)) = movable(false).map(|s| (s, false)).or(movable(true).map(|s| (s, true)))
            else {
                return;
            };
            let shard = &mut self.shards[s];
            for copy in shard.copies.iter_mut().filter(|c| c.node == busiest) {
                copy.node = emptiest;
            }
            shard.in_sync.remove(&busiest);
            shard.in_sync.insert(emptiest);
            shard.on_disk.remove(&busiest);
            shard.on_disk.insert(emptiest);
            log.push(format!(
                "rebalance: shard {s} {} {} -> {}",
                if primary { "primary" } else { "replica" },
                self.names[busiest],
                self.names[emptiest]
            ));
        }
    }

    /// Green, yellow or red, with the reason for every unassigned copy.
    pub fn health(&self) -> (Health, Vec<String>) {
        let mut reasons = Vec::new();
        let mut health = Health::Green;
        for (s, shard) in self.shards.iter().enumerate() {
            if shard.primary().is_none() {
                health = Health::Red;
                let where_: Vec<&str> = shard.in_sync.iter().map(|&n| self.names[n].as_str()).collect();
                reasons.push(format!(
                    "shard {s} primary unassigned: no in-sync copy on a live node (in-sync copies: {})",
                    if where_.is_empty() { "none".to_string() } else { where_.join(", ") }
                ));
            }
            // Without a primary a shard has no copy at all (any in-sync replica would have been
            // promoted), so all its replicas are missing too.
            let missing = (1 + self.replicas).saturating_sub(shard.copies.len().max(1));
            for _ in 0..missing {
                if health == Health::Green {
                    health = Health::Yellow;
                }
                let why = if shard.primary().is_none() {
                    "its primary is not active, and replicas are copied from the primary".to_string()
                } else if (0..self.names.len()).any(|n| self.up[n] && !shard.has_copy_on(n)) {
                    "waiting to be allocated to a live node without a copy".to_string()
                } else {
                    match self.up.iter().filter(|u| **u).count() {
                        1 => format!("the only live node already holds a copy of shard {s}"),
                        live => format!("each of the {live} live nodes already holds a copy of shard {s}"),
                    }
                };
                reasons.push(format!("shard {s} replica unassigned: {why}"));
            }
        }
        (health, reasons)
    }

    /// `n1 [P0 R2]`: the copies on each node.
    pub fn table(&self) -> String {
        (0..self.names.len())
            .map(|n| {
                if !self.up[n] {
                    return format!("{} (stopped)", self.names[n]);
                }
                format!("{} [{}]", self.names[n], self.copies_label(n))
            })
            .collect::<Vec<_>>()
            .join("  ")
    }

    fn copies_label(&self, node: usize) -> String {
        let mut labels: Vec<(bool, usize)> = Vec::new();
        for (s, shard) in self.shards.iter().enumerate() {
            for copy in shard.copies.iter().filter(|c| c.node == node) {
                labels.push((!copy.primary, s));
            }
        }
        labels.sort();
        labels
            .iter()
            .map(|(replica, s)| format!("{}{s}", if *replica { 'R' } else { 'P' }))
            .collect::<Vec<_>>()
            .join(" ")
    }
}
// ANCHOR_END: example

/// A step of the script for the figure: its label, the state right after it, the state after
/// allocation.
type Step = (String, Snapshot, Snapshot);

/// One state for the report and the figure: after the failure, or after allocation.
#[derive(Debug, Clone)]
struct Snapshot {
    health: Health,
    labels: Vec<Option<String>>,
}

fn snapshot(cluster: &Cluster) -> Snapshot {
    Snapshot {
        health: cluster.health().0,
        labels: (0..cluster.names.len()).map(|n| cluster.up[n].then(|| cluster.copies_label(n))).collect(),
    }
}

fn parse(input: &str) -> Result<Config, InputError> {
    let params = Params::parse(input, &["nodes", "primaries", "replicas", "docs", "op"])?;
    let nodes = match params.one("nodes")? {
        Some(entry) => super::names(entry, MAX_NODES, "node")?,
        None => vec!["n1".into(), "n2".into(), "n3".into()],
    };
    let primaries = params.number_or("primaries", 1, MAX_PRIMARIES, 3)?;
    let replicas = params.number_or("replicas", 0, MAX_REPLICAS, 1)?;
    let docs = params.number_or("docs", 0, MAX_DOCS, 9)?;
    let mut names = nodes.clone();
    let mut up = vec![true; nodes.len()];
    let mut ops = Vec::new();
    for entry in params.all("op") {
        let line = entry.line;
        if ops.len() == MAX_OPS {
            return Err(InputError::at_line(line, format!("at most {MAX_OPS} `op` lines")));
        }
        let words: Vec<&str> = entry.value.split_whitespace().collect();
        let find = |name: &str| {
            names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| InputError::at_line(line, format!("no node `{name}`")))
        };
        let op = match words.as_slice() {
            ["stop", rest @ ..] if !rest.is_empty() => {
                let mut stopped = Vec::new();
                for name in rest {
                    let n = find(name)?;
                    if !up[n] || stopped.contains(&n) {
                        return Err(InputError::at_line(line, format!("node `{name}` is already stopped")));
                    }
                    stopped.push(n);
                }
                stopped.iter().for_each(|&n| up[n] = false);
                Op::Stop(stopped)
            }
            ["start", name] => {
                let n = find(name)?;
                if up[n] {
                    return Err(InputError::at_line(line, format!("node `{name}` is already running")));
                }
                up[n] = true;
                Op::Start(n)
            }
            ["add", name] => {
                let check = crate::input::Entry { line, key: "op", value: name };
                let name = super::names(&check, 1, "node")?.remove(0);
                if names.contains(&name) {
                    return Err(InputError::at_line(line, format!("node `{name}` already exists")));
                }
                if names.len() == MAX_NODES {
                    return Err(InputError::at_line(line, format!("at most {MAX_NODES} nodes")));
                }
                names.push(name.clone());
                up.push(true);
                Op::Add(name)
            }
            ["replicas", count] => Op::Replicas(crate::input::parse_number(count, line, 0, MAX_REPLICAS)?),
            ["split", count] => Op::Split(crate::input::parse_number(count, line, 2, MAX_PRIMARIES * 16)?),
            _ => {
                return Err(InputError::at_line(
                    line,
                    "expected `op = stop NODE …`, `op = start NODE`, `op = add NODE`, `op = replicas R` or `op = split P`",
                ));
            }
        };
        ops.push((line, op));
    }
    Ok(Config { nodes, primaries, replicas, docs, ops })
}

/// Runs the script: the report, and for the figure two snapshots per step (after the event,
/// after allocation), the first step being the index's creation.
fn simulate(config: &Config) -> Result<(String, Vec<Step>), InputError> {
    let mut out = String::new();
    let mut log = Vec::new();
    let mut cluster = Cluster::create(&config.nodes, config.primaries, config.replicas, &mut log);
    let docs: Vec<String> = (1..=config.docs).map(|i| format!("doc-{i}")).collect();
    let _ = writeln!(
        out,
        "index with {} primaries x {} replica{} on {} nodes; number_of_routing_shards = {} (factor {})",
        config.primaries,
        config.replicas,
        if config.replicas == 1 { "" } else { "s" },
        config.nodes.len(),
        cluster.routing_shards,
        cluster.routing_shards / config.primaries
    );
    write_routing(&mut out, &docs, config.primaries, cluster.routing_shards);
    let _ = writeln!(out, "\n== 0. create the index ==");
    for line in &log {
        let _ = writeln!(out, "  {line}");
    }
    write_health(&mut out, &cluster, "health");
    let mut states = vec![("create".to_string(), snapshot(&cluster), snapshot(&cluster))];
    for (step, (line, op)) in config.ops.iter().enumerate() {
        let mut log = Vec::new();
        let label = match op {
            Op::Stop(nodes) => {
                let names: Vec<String> = nodes.iter().map(|&n| cluster.names[n].clone()).collect();
                for &n in nodes {
                    log.push(format!("{} leaves with [{}]", cluster.names[n], cluster.copies_label(n)));
                }
                cluster.stop(nodes, &mut log);
                format!("stop {}", names.join(" "))
            }
            Op::Start(n) => {
                cluster.up[*n] = true;
                format!("start {}", cluster.names[*n])
            }
            Op::Add(name) => {
                cluster.names.push(name.clone());
                cluster.up.push(true);
                format!("add {name}")
            }
            Op::Replicas(r) => {
                log.push(format!("number_of_replicas {} -> {r} (a dynamic setting)", cluster.replicas));
                cluster.replicas = *r;
                format!("replicas {r}")
            }
            Op::Split(target) => {
                split(&mut cluster, *target, *line, &docs, &mut log)?;
                format!("split {target}")
            }
        };
        let _ = writeln!(out, "\n== {}. {label} ==", step + 1);
        for line in log.drain(..) {
            let _ = writeln!(out, "  {line}");
        }
        let before = snapshot(&cluster);
        if matches!(op, Op::Stop(_)) {
            write_health(&mut out, &cluster, "health at once");
        }
        cluster.allocate(&mut log);
        cluster.rebalance(&mut log);
        if matches!(op, Op::Stop(_)) && !log.is_empty() {
            out.push_str(
                "  then (Elasticsearch waits delayed_timeout, 1m by default, before reallocating):\n",
            );
        }
        for line in &log {
            let _ = writeln!(out, "  {line}");
        }
        if matches!(op, Op::Stop(_)) && log.is_empty() {
            out.push_str("  nothing can be reassigned: the health stays as it is\n");
        } else {
            write_health(&mut out, &cluster, "health");
        }
        let (health, _) = cluster.health();
        if health == Health::Red {
            let lost: Vec<&str> = docs
                .iter()
                .filter(|d| {
                    let s = shard_for(d, cluster.shards.len(), cluster.routing_shards);
                    cluster.shards[s].primary().is_none()
                })
                .map(String::as_str)
                .collect();
            if !lost.is_empty() {
                let _ = writeln!(out, "  cannot read or write: {}", lost.join(" "));
            }
        }
        states.push((label, before, snapshot(&cluster)));
    }
    Ok((out, states))
}

/// `_split`: each primary becomes `target / primaries` primaries; documents stay within the
/// family of their old shard because routing shards are divided, not rehashed.
fn split(
    cluster: &mut Cluster,
    target: usize,
    line: usize,
    docs: &[String],
    log: &mut Vec<String>,
) -> Result<(), InputError> {
    let primaries = cluster.shards.len();
    if target <= primaries
        || !target.is_multiple_of(primaries)
        || !cluster.routing_shards.is_multiple_of(target)
    {
        return Err(InputError::at_line(
            line,
            format!(
                "cannot split {primaries} primaries into {target}: the target must be a multiple of {primaries} \
                 that divides number_of_routing_shards = {}",
                cluster.routing_shards
            ),
        ));
    }
    let (health, _) = cluster.health();
    if health != Health::Green {
        log.push(format!("split refused: the cluster is {}, and _split needs green", health.name()));
        return Ok(());
    }
    log.push(
        "index made read-only (index.blocks.write); each new shard hard-links its source's files, \
         then deletes the documents it does not own:"
            .to_string(),
    );
    let factor = target / primaries;
    let old = std::mem::take(&mut cluster.shards);
    for j in 0..target {
        let source = &old[j / factor];
        let node = source.primary().expect("green: every primary is active");
        let mut shard = Shard::default();
        shard.copies.push(Copy { node, primary: true });
        shard.in_sync.insert(node);
        shard.on_disk.insert(node);
        cluster.shards.push(shard);
    }
    for (s, source) in old.iter().enumerate() {
        let children: Vec<String> = (s * factor..(s + 1) * factor).map(|j| j.to_string()).collect();
        log.push(format!(
            "shard {s} -> shards {} on {}",
            children.join(", "),
            cluster.names[source.primary().expect("green")]
        ));
    }
    let mut moved_far = 0;
    let mut naive = 0;
    for doc in docs {
        let before = shard_for(doc, primaries, cluster.routing_shards);
        let after = shard_for(doc, target, cluster.routing_shards);
        moved_far += usize::from(after / factor != before);
        naive += usize::from((key_hash(doc) % target as u64) as usize / factor != before);
    }
    log.push(format!(
        "documents that left their shard's family: {moved_far} of {}; with plain hash % {target} it would be {naive}",
        docs.len()
    ));
    Ok(())
}

fn write_routing(out: &mut String, docs: &[String], primaries: usize, routing_shards: usize) {
    if docs.is_empty() {
        return;
    }
    for s in 0..primaries {
        let on: Vec<&str> = docs
            .iter()
            .filter(|d| shard_for(d, primaries, routing_shards) == s)
            .map(String::as_str)
            .collect();
        let _ = writeln!(out, "  shard {s}: {}", if on.is_empty() { "-".to_string() } else { on.join(" ") });
    }
}

fn write_health(out: &mut String, cluster: &Cluster, label: &str) {
    let (health, reasons) = cluster.health();
    let _ = writeln!(out, "  {label}: {}   {}", health.name(), cluster.table());
    for reason in reasons {
        let _ = writeln!(out, "    {reason}");
    }
}

/// One simulation of the script: its report and its timeline.
fn run(input: &str) -> Result<Drawn, InputError> {
    let config = parse(input)?;
    let (text, states) = simulate(&config)?;
    Ok(Drawn { text, figure: draw(&config, &states) })
}

/// A lane for the health and one per node; each step takes one unit: the first half shows the
/// state right after the event, the second half after allocation and rebalancing.
fn draw(config: &Config, states: &[Step]) -> Figure {
    let kind_of = |h: Health| match h {
        Health::Green => SpanKind::Busy,
        Health::Yellow => SpanKind::Wait,
        Health::Red => SpanKind::Lost,
    };
    let nodes = states.last().map_or(0, |(_, _, s)| s.labels.len());
    let mut health = Lane { name: "health".to_string(), spans: Vec::new() };
    let mut lanes: Vec<Lane> = (0..nodes)
        .map(|n| {
            let name = config.nodes.get(n).cloned().unwrap_or_else(|| {
                config
                    .ops
                    .iter()
                    .filter_map(|(_, op)| if let Op::Add(name) = op { Some(name.clone()) } else { None })
                    .nth(n - config.nodes.len())
                    .unwrap_or_default()
            });
            Lane { name, spans: Vec::new() }
        })
        .collect();
    let mut steps = Vec::new();
    for (step, (label, before, after)) in states.iter().enumerate() {
        let t = step as f64;
        for (start, end, snap, when) in
            [(t, t + 0.5, before, "at once"), (t + 0.5, t + 1.0, after, "after allocation")]
        {
            // The replay: one step per half, marking the health and every node's copies.
            let mut text = format!("{}. {label}, {when}: {}", step, snap.health.name());
            let mut marks = vec![Mark::Span { lane: 0, span: health.spans.len() }];
            health.spans.push(Span {
                start,
                end,
                label: format!("{} {}", snap.health.name().to_lowercase(), label),
                kind: kind_of(snap.health),
            });
            for (n, lane) in lanes.iter_mut().enumerate() {
                let span = match snap.labels.get(n) {
                    None => continue, // not added yet
                    Some(None) => Span { start, end, label: "stopped".into(), kind: SpanKind::Lost },
                    Some(Some(copies)) if copies.is_empty() => {
                        Span { start, end, label: "empty".into(), kind: SpanKind::Idle }
                    }
                    Some(Some(copies)) => Span { start, end, label: copies.clone(), kind: SpanKind::Busy },
                };
                text.push_str(&format!("; {} {}", lane.name, span.label));
                marks.push(Mark::Span { lane: n + 1, span: lane.spans.len() });
                lane.spans.push(span);
            }
            steps.push(figure::Step { at: start, text, marks });
        }
    }
    let mut all = vec![health];
    all.append(&mut lanes);
    Figure::Timeline {
        title: format!(
            "{} primaries x {} replicas: health (green, yellow = waiting, red = lost) and copies per node, each step before and after allocation",
            config.primaries, config.replicas
        ),
        unit: "step".into(),
        lanes: all,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(nodes: &[&str], primaries: usize, replicas: usize) -> Cluster {
        let names: Vec<String> = nodes.iter().map(|s| s.to_string()).collect();
        Cluster::create(&names, primaries, replicas, &mut Vec::new())
    }

    fn no_two_copies_share_a_node(c: &Cluster) {
        for (s, shard) in c.shards.iter().enumerate() {
            let nodes: BTreeSet<usize> = shard.copies.iter().map(|c| c.node).collect();
            assert_eq!(nodes.len(), shard.copies.len(), "shard {s}: two copies on one node");
            assert!(shard.copies.iter().filter(|c| c.primary).count() <= 1, "shard {s}: two primaries");
            assert!(shard.copies.iter().all(|copy| c.up[copy.node]), "shard {s}: a copy on a stopped node");
        }
    }

    #[test]
    fn routing_shards_match_elasticsearch_defaults() {
        // From the split index documentation: 5 primaries split up to 640 shards.
        assert_eq!(routing_shards(5), 640);
        assert_eq!(routing_shards(1), 1024);
        assert_eq!(routing_shards(3), 768);
        assert_eq!(routing_shards(1024), 2048); // at least one split
        // With routing_shards == primaries the formula is plain hash % primaries.
        for d in 0..50 {
            let id = format!("doc-{d}");
            assert_eq!(shard_for(&id, 7, 7), (key_hash(&id) % 7) as usize);
        }
    }

    #[test]
    fn splitting_keeps_documents_in_their_family() {
        let rs = routing_shards(3);
        for d in 0..1000 {
            let id = format!("doc-{d}");
            let before = shard_for(&id, 3, rs);
            for target in [6, 12, 24, 768] {
                assert_eq!(shard_for(&id, target, rs) / (target / 3), before, "{id} into {target}");
            }
        }
    }

    #[test]
    fn one_node_is_yellow_and_losing_every_copy_is_red() {
        let mut c = cluster(&["a"], 2, 1);
        assert_eq!(c.health().0, Health::Yellow);
        no_two_copies_share_a_node(&c);
        c = cluster(&["a", "b"], 2, 1);
        assert_eq!(c.health().0, Health::Green);
        let mut log = Vec::new();
        c.stop(&[0], &mut log);
        // Every shard still has one copy on b: promoted where needed, yellow.
        assert_eq!(c.health().0, Health::Yellow);
        assert!(c.shards.iter().all(|s| s.primary() == Some(1)));
        c.stop(&[1], &mut log);
        assert_eq!(c.health().0, Health::Red);
        // a comes back: its copies fell out of sync while b carried on, so they cannot become
        // primaries; the cluster stays red until b returns.
        c.up[0] = true;
        c.allocate(&mut log);
        assert_eq!(c.health().0, Health::Red);
        c.up[1] = true;
        c.allocate(&mut log);
        assert_eq!(c.health().0, Health::Green);
        assert!(c.shards.iter().all(|s| s.primary() == Some(1)));
        no_two_copies_share_a_node(&c);
    }

    /// Property: whatever nodes stop and start, no shard ever has two copies on one node or a
    /// copy on a stopped node, and health is red exactly when some primary is missing.
    #[test]
    fn property_allocation_rules_hold_under_random_failures() {
        let mut rng = crate::rng::Rng::new(5);
        for case in 0..500 {
            let nodes = rng.range(1, 6) as usize;
            let names: Vec<String> = (0..nodes).map(|i| format!("n{i}")).collect();
            let mut c =
                Cluster::create(&names, rng.range(1, 6) as usize, rng.range(0, 2) as usize, &mut Vec::new());
            for _ in 0..20 {
                let n = rng.range(0, nodes as u64 - 1) as usize;
                let mut log = Vec::new();
                if c.up[n] {
                    c.stop(&[n], &mut log);
                } else {
                    c.up[n] = true;
                }
                c.allocate(&mut log);
                c.rebalance(&mut log);
                no_two_copies_share_a_node(&c);
                let red = c.shards.iter().any(|s| s.primary().is_none());
                assert_eq!(c.health().0 == Health::Red, red, "case {case}");
                // A primary exists whenever some live node holds an in-sync copy.
                for shard in &c.shards {
                    if shard.in_sync.iter().any(|&n| c.up[n]) {
                        assert!(shard.primary().is_some(), "case {case}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_default_script_goes_green_yellow_red_and_back() {
        let out = run(DEFAULT_INPUT).unwrap().text;
        for needle in [
            "promoted to primary",
            "health at once: YELLOW",
            "health at once: RED",
            "primary recovered from the in-sync copy",
            "cannot read or write:",
            "documents that left their shard's family: 0 of 9",
        ] {
            assert!(out.contains(needle), "missing `{needle}` in\n{out}");
        }
        assert!(
            out.trim_end().lines().rev().find(|l| l.contains("health:")).unwrap().contains("GREEN"),
            "{out}"
        );
    }

    /// "Things to try" in the chapter.
    #[test]
    fn the_chapter_suggestions_do_what_the_chapter_says() {
        // Without replicas, losing one node is red at once and stays red.
        let out = run("nodes = n1 n2 n3\nprimaries = 3\nreplicas = 0\nop = stop n3\n").unwrap().text;
        assert!(out.contains("health at once: RED") && out.contains("nothing can be reassigned"), "{out}");
        // One node with replicas: yellow from the start.
        let out = run("nodes = n1\nprimaries = 2\nreplicas = 1\n").unwrap().text;
        assert!(out.contains("health: YELLOW"), "{out}");
        // Two replicas on three nodes survive two nodes stopping at once: never red.
        let out = run("nodes = n1 n2 n3\nprimaries = 3\nreplicas = 2\nop = stop n1 n2\n").unwrap().text;
        assert!(!out.contains("RED") && out.contains("health at once: YELLOW"), "{out}");
        // A split is refused unless the target divides the routing shards.
        assert!(
            run("primaries = 3\nop = split 9")
                .unwrap_err()
                .to_string()
                .contains("cannot split 3 primaries into 9")
        );
    }

    #[test]
    fn the_figure_can_be_drawn() {
        let figure = run(DEFAULT_INPUT).unwrap().figure;
        figure.validate().unwrap();
        let Figure::Timeline { lanes, .. } = figure else { panic!("not a timeline") };
        assert_eq!(lanes[0].name, "health");
        assert_eq!(lanes.last().unwrap().name, "n4");
        assert!(lanes[0].spans.iter().any(|s| s.kind == SpanKind::Lost));
    }

    #[test]
    fn bad_input_names_its_line() {
        let cases = [
            ("op = stop n9", "input line 1: no node `n9`"),
            ("op = stop n1\nop = stop n1", "input line 2: node `n1` is already stopped"),
            ("op = start n1", "input line 1: node `n1` is already running"),
            ("op = add n1", "input line 1: node `n1` already exists"),
            (
                "primaries = 3\nop = split 4",
                "input line 2: cannot split 3 primaries into 4: the target must be a multiple of 3 that divides number_of_routing_shards = 768",
            ),
            (
                "op = explode",
                "input line 1: expected `op = stop NODE …`, `op = start NODE`, `op = add NODE`, `op = replicas R` or `op = split P`",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(run(input).unwrap_err().to_string(), expected, "input: {input:?}");
        }
        // A split while yellow is refused, as Elasticsearch refuses it.
        let out = run("nodes = n1\nprimaries = 2\nop = split 4").unwrap().text;
        assert!(out.contains("split refused: the cluster is YELLOW"), "{out}");
    }
}
