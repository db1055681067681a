//! A consistent-hash ring with virtual nodes and a replication factor, and an interactive run
//! of it: add and remove nodes and see which keys move where.
//!
//! Positions are 32-bit (0 to 2^32 − 1, read clockwise and wrapping round). Each node puts
//! `vnodes` tokens on the ring at `ring_position("NODE#i")`. A key belongs to the first token at
//! or after its own position; its replicas are the first `replication` *distinct* nodes met
//! walking clockwise from there (the "preference list" of Dynamo).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::hash::{ring_percent, ring_position};
use crate::figure::{Figure, Lane, Mark, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "sharding::ring",
    title: "A hash ring: add and remove nodes, see which keys move",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`nodes = A B C`, `vnodes = N` (tokens per node), `replication = N` (copies of each key), \
                 `keys = N` (user:1 … user:N) or `keys = alice bob …`, then one `op = add NAME [VNODES]` or \
                 `op = remove NAME` per change",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
# Three nodes with eight virtual nodes each; every key is stored on two nodes.
nodes = A B C
vnodes = 8
replication = 2
keys = 20
# A fourth node joins, then B leaves.
op = add D
op = remove B
";

pub const MAX_NODES: usize = 16;
pub const MAX_VNODES: u32 = 64;
pub const MAX_KEYS: usize = 100;
pub const MAX_OPS: usize = 20;
pub const MAX_REPLICATION: usize = 5;
/// The token table is printed only up to this many tokens.
const LIST_TOKENS: usize = 48;
/// The whole ring, 2^32 positions.
const RING: u64 = 1 << 32;

// ANCHOR: ring
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub position: u32,
    pub node: String,
    pub vnode: u32,
}

/// Tokens sorted by position: the ring.
#[derive(Debug, Clone, Default)]
pub struct Ring {
    tokens: Vec<Token>,
}

impl Ring {
    pub fn add_node(&mut self, node: &str, vnodes: u32) {
        for vnode in 0..vnodes {
            let position = ring_position(&format!("{node}#{vnode}"));
            self.tokens.push(Token { position, node: node.to_string(), vnode });
        }
        // Ties (two tokens on one position) are broken by name, so every machine agrees.
        self.tokens.sort_by(|a, b| (a.position, &a.node, a.vnode).cmp(&(b.position, &b.node, b.vnode)));
    }

    pub fn remove_node(&mut self, node: &str) {
        self.tokens.retain(|token| token.node != node);
    }

    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// The token that owns `position`: the first one at or after it, wrapping past 2^32 − 1.
    fn owner_index(&self, position: u32) -> usize {
        self.tokens.partition_point(|token| token.position < position) % self.tokens.len()
    }

    /// The first `replication` distinct nodes clockwise from `position`. The first is the
    /// key's primary; the others hold its copies.
    pub fn preference_list(&self, position: u32, replication: usize) -> Vec<&str> {
        let mut nodes: Vec<&str> = Vec::new();
        if self.tokens.is_empty() {
            return nodes;
        }
        let start = self.owner_index(position);
        for step in 0..self.tokens.len() {
            let node = self.tokens[(start + step) % self.tokens.len()].node.as_str();
            if !nodes.contains(&node) {
                nodes.push(node);
                if nodes.len() == replication {
                    break;
                }
            }
        }
        nodes
    }

    /// The arc each token owns, `(previous token, this token]`, as a number of positions.
    pub fn arc_lengths(&self) -> Vec<u64> {
        let n = self.tokens.len();
        (0..n)
            .map(|i| {
                let previous = u64::from(self.tokens[(i + n - 1) % n].position);
                let here = u64::from(self.tokens[i].position);
                if n == 1 { RING } else { (here + RING - previous) % RING }
            })
            .collect()
    }

    /// The share of the ring for which each node is the primary.
    pub fn shares(&self) -> BTreeMap<&str, f64> {
        let mut shares = BTreeMap::new();
        for (token, length) in self.tokens.iter().zip(self.arc_lengths()) {
            *shares.entry(token.node.as_str()).or_insert(0.0) += length as f64 / RING as f64;
        }
        shares
    }
}
// ANCHOR_END: ring

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Add { node: String, vnodes: u32 },
    Remove { node: String },
}

#[derive(Debug, Clone)]
pub struct Setup {
    pub nodes: Vec<String>,
    pub vnodes: u32,
    pub replication: usize,
    pub keys: Vec<String>,
    pub ops: Vec<Op>,
}

fn parse(input: &str) -> Result<Setup, InputError> {
    let params = Params::parse(input, &["nodes", "vnodes", "replication", "keys", "op"])?;
    let nodes = match params.one("nodes")? {
        Some(entry) => super::names(entry, MAX_NODES, "node")?,
        None => return Err(InputError::new("missing `nodes = A B C`")),
    };
    let vnodes = params.number_or("vnodes", 1, MAX_VNODES, 4)?;
    let replication = params.number_or("replication", 1, MAX_REPLICATION, 1)?;
    let keys = match params.one("keys")? {
        None => (1..=12).map(|i| format!("user:{i}")).collect(),
        Some(entry) => match entry.value.parse::<usize>() {
            Ok(_) => {
                let n: usize = entry.number(1, MAX_KEYS)?;
                (1..=n).map(|i| format!("user:{i}")).collect()
            }
            Err(_) => {
                let keys: Vec<String> = entry.value.split_whitespace().map(str::to_string).collect();
                if keys.len() > MAX_KEYS {
                    return Err(InputError::at_line(entry.line, format!("at most {MAX_KEYS} keys")));
                }
                keys
            }
        },
    };
    let mut present = nodes.clone();
    let mut ops = Vec::new();
    for entry in params.all("op") {
        if ops.len() == MAX_OPS {
            return Err(InputError::at_line(entry.line, format!("at most {MAX_OPS} `op` lines")));
        }
        let words: Vec<&str> = entry.value.split_whitespace().collect();
        let op = match words.as_slice() {
            ["add", name, rest @ ..] if rest.len() <= 1 => {
                let check = crate::input::Entry { line: entry.line, key: "op", value: name };
                let name = super::names(&check, 1, "node")?.remove(0);
                if present.contains(&name) {
                    return Err(InputError::at_line(
                        entry.line,
                        format!("node `{name}` is already on the ring"),
                    ));
                }
                if present.len() == MAX_NODES {
                    return Err(InputError::at_line(entry.line, format!("at most {MAX_NODES} nodes")));
                }
                let vnodes = match rest.first() {
                    Some(word) => crate::input::parse_number(word, entry.line, 1, MAX_VNODES)?,
                    None => vnodes,
                };
                present.push(name.clone());
                Op::Add { node: name, vnodes }
            }
            ["remove", name] => {
                let Some(at) = present.iter().position(|n| n == name) else {
                    return Err(InputError::at_line(entry.line, format!("node `{name}` is not on the ring")));
                };
                if present.len() == 1 {
                    return Err(InputError::at_line(entry.line, "cannot remove the last node"));
                }
                present.remove(at);
                Op::Remove { node: name.to_string() }
            }
            _ => {
                return Err(InputError::at_line(
                    entry.line,
                    "expected `op = add NAME`, `op = add NAME VNODES` or `op = remove NAME`",
                ));
            }
        };
        ops.push(op);
    }
    Ok(Setup { nodes, vnodes, replication, keys, ops })
}

/// The ring after the setup and after each op, with a label for each state.
fn states(setup: &Setup) -> Vec<(String, Ring)> {
    let mut ring = Ring::default();
    for node in &setup.nodes {
        ring.add_node(node, setup.vnodes);
    }
    let mut out = vec![("start".to_string(), ring.clone())];
    for op in &setup.ops {
        let label = match op {
            Op::Add { node, vnodes } => {
                ring.add_node(node, *vnodes);
                format!("add {node} ({vnodes} virtual nodes)")
            }
            Op::Remove { node } => {
                ring.remove_node(node);
                format!("remove {node}")
            }
        };
        out.push((label, ring.clone()));
    }
    out
}

fn shares_line(ring: &Ring) -> String {
    let shares: Vec<String> =
        ring.shares().iter().map(|(node, share)| format!("{node} {:.1}%", 100.0 * share)).collect();
    format!("share of the ring as primary: {}\n", shares.join(", "))
}

/// Builds the rings of the script once: the report of every state and the drawing of them.
fn run(input: &str) -> Result<Drawn, InputError> {
    let setup = parse(input)?;
    let states = states(&setup);
    Ok(Drawn { text: report(&setup, &states), figure: draw(&setup, &states) })
}

/// The first ring with its tokens and where each key lives, then what each op moved.
fn report(setup: &Setup, states: &[(String, Ring)]) -> String {
    let rf = setup.replication;
    let mut out = String::new();
    let (_, first) = &states[0];
    let _ = writeln!(
        out,
        "{} nodes x {} virtual nodes = {} tokens on a ring of 2^32 positions; each key on {rf} node{}",
        setup.nodes.len(),
        setup.vnodes,
        first.tokens().len(),
        if rf == 1 { "" } else { "s" }
    );
    write_tokens(&mut out, first, None);
    out.push_str(&shares_line(first));
    out.push_str("\nkey            position          replicas (first = primary)\n");
    for key in &setup.keys {
        let position = ring_position(key);
        let _ = writeln!(
            out,
            "{key:<14} {position:08x} {:>5.1}%   {}",
            ring_percent(position),
            first.preference_list(position, rf).join(", ")
        );
    }
    for pair in states.windows(2) {
        let ((_, before), (label, after)) = (&pair[0], &pair[1]);
        let _ = writeln!(out, "\n== {label} ==");
        write_tokens(&mut out, after, Some(before));
        write_moves(&mut out, &setup.keys, before, after, rf);
        out.push_str(&shares_line(after));
    }
    out
}

/// The token table (new tokens marked), or a count when there are too many to list.
fn write_tokens(out: &mut String, ring: &Ring, before: Option<&Ring>) {
    let is_new = |t: &Token| before.is_some_and(|b| !b.tokens().contains(t));
    if ring.tokens().len() > LIST_TOKENS {
        let added: Vec<String> =
            ring.tokens().iter().filter(|t| is_new(t)).map(|t| format!("{}#{}", t.node, t.vnode)).collect();
        let _ = writeln!(
            out,
            "{} tokens (too many to list){}",
            ring.tokens().len(),
            if added.is_empty() { String::new() } else { format!("; {} new", added.len()) }
        );
        return;
    }
    out.push_str("token      position         owns the arc up to here\n");
    for (token, length) in ring.tokens().iter().zip(ring.arc_lengths()) {
        let _ = writeln!(
            out,
            "{:<10} {:08x} {:>5.1}%   {:>5.1}% of the ring{}",
            format!("{}#{}", token.node, token.vnode),
            token.position,
            ring_percent(token.position),
            100.0 * length as f64 / RING as f64,
            if is_new(token) { "   <- new" } else { "" }
        );
    }
}

/// Which keys changed primary or replica set between two rings, and how many copies move.
fn write_moves(out: &mut String, keys: &[String], before: &Ring, after: &Ring, rf: usize) {
    let (mut primaries, mut sets, mut copies) = (0usize, 0usize, 0usize);
    let mut destinations: BTreeMap<&str, usize> = BTreeMap::new();
    let mut lines = String::new();
    for key in keys {
        let position = ring_position(key);
        let old = before.preference_list(position, rf);
        let new = after.preference_list(position, rf);
        if old == new {
            continue;
        }
        let gained: Vec<&str> = new.iter().copied().filter(|n| !old.contains(n)).collect();
        copies += gained.len();
        let mut note = String::new();
        if old[0] != new[0] {
            primaries += 1;
            *destinations.entry(new[0]).or_insert(0) += 1;
            let _ = write!(note, "primary {} -> {}", old[0], new[0]);
        }
        if !gained.is_empty() {
            if !note.is_empty() {
                note.push_str("; ");
            }
            let _ = write!(note, "copy to {}", gained.join(", "));
        } else if note.is_empty() {
            note.push_str("same nodes, new order");
        }
        sets += 1;
        let _ = writeln!(lines, "{key:<14} {:<12} -> {:<12} {note}", old.join(", "), new.join(", "));
    }
    let n = keys.len();
    if sets == 0 {
        out.push_str("no key changed its replicas\n");
    } else {
        out.push_str("key            before          after\n");
        out.push_str(&lines);
    }
    let to: Vec<String> = destinations.iter().map(|(node, count)| format!("{count} to {node}")).collect();
    let _ = writeln!(
        out,
        "{primaries} of {n} keys changed primary ({}){}; {sets} changed some replica; {copies} key cop{} to transfer",
        super::percent(primaries as f64, n as f64),
        if to.is_empty() { String::new() } else { format!(": {}", to.join(", ")) },
        if copies == 1 { "y" } else { "ies" }
    );
}

/// The drawing: one lane per node and state (`A · start`, `A · +D`, …; only the first and the
/// last state when there are more than three), its primary arcs (busy) and the arcs it holds a
/// copy of (wait), on an axis of 0–100% of the ring; a first lane shows where the keys sit,
/// those that ever change primary in the "lost" colour.
fn draw(setup: &Setup, states: &[(String, Ring)]) -> Figure {
    // Short labels for the lanes: "start", then "+D" or "-B" for each op.
    let short: Vec<String> = std::iter::once("start".to_string())
        .chain(setup.ops.iter().map(|op| match op {
            Op::Add { node, .. } => format!("+{node}"),
            Op::Remove { node } => format!("-{node}"),
        }))
        .collect();
    let mut shown: Vec<(String, &Ring)> =
        states.iter().zip(short).map(|((_, ring), label)| (label, ring)).collect();
    if shown.len() > 3 {
        let last = shown.pop().expect("more than three states");
        shown.truncate(1);
        shown.push(last);
    }
    let rf = setup.replication;
    let pct = |position: u64| 100.0 * position as f64 / RING as f64;
    let mut keys = Vec::new();
    for key in &setup.keys {
        let position = ring_position(key);
        let primaries: Vec<&str> =
            shown.iter().map(|(_, ring)| ring.preference_list(position, 1)[0]).collect();
        let moved = primaries.iter().any(|p| *p != primaries[0]);
        let start = pct(u64::from(position)).min(99.4);
        let kind = if moved { SpanKind::Lost } else { SpanKind::Busy };
        let label = if moved { format!("{key} (moves)") } else { key.clone() };
        keys.push(Span { start, end: start + 0.6, label, kind });
    }
    let mut lanes = vec![Lane { name: "keys".to_string(), spans: keys }];
    for (label, ring) in &shown {
        let mut by_node: BTreeMap<&str, Vec<Span>> = BTreeMap::new();
        let tokens = ring.tokens();
        let n = tokens.len();
        for (i, token) in tokens.iter().enumerate() {
            let end = u64::from(token.position);
            let start = if n == 1 { end } else { u64::from(tokens[(i + n - 1) % n].position) };
            // The arc (start, end], split in two where it wraps past 2^32.
            let pieces: Vec<(u64, u64)> =
                if n == 1 || start >= end { vec![(start, RING), (0, end)] } else { vec![(start, end)] };
            for (rank, node) in ring.preference_list(token.position, rf).into_iter().enumerate() {
                let (kind, text) = if rank == 0 {
                    (SpanKind::Busy, format!("{}#{}", token.node, token.vnode))
                } else {
                    (SpanKind::Wait, format!("copy of {}#{}", token.node, token.vnode))
                };
                for &(a, b) in pieces.iter().filter(|(a, b)| b > a) {
                    by_node.entry(node).or_default().push(Span {
                        start: pct(a),
                        end: pct(b),
                        label: text.clone(),
                        kind,
                    });
                }
            }
        }
        for (node, mut spans) in by_node {
            spans.sort_by(|a, b| a.start.total_cmp(&b.start));
            let name = if shown.len() == 1 { node.to_string() } else { format!("{node} · {label}") };
            lanes.push(Lane { name, spans });
        }
    }
    // The replay walks round the ring key by key: where it sits, and its nodes in each state.
    let mut walk: Vec<(f64, usize, String)> = setup
        .keys
        .iter()
        .enumerate()
        .map(|(k, key)| {
            let position = ring_position(key);
            let owners: Vec<String> = shown
                .iter()
                .map(|(label, ring)| format!("{label}: {}", ring.preference_list(position, rf).join(", ")))
                .collect();
            let at = pct(u64::from(position));
            (at, k, format!("{key} at {at:.1}% of the ring; {}", owners.join("; ")))
        })
        .collect();
    walk.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let steps = if walk.is_empty() {
        Step::at_span_starts(&lanes, "% of ring")
    } else {
        walk.into_iter()
            .map(|(at, key, text)| {
                let mut marks = vec![Mark::Span { lane: 0, span: key }];
                for (l, lane) in lanes.iter().enumerate().skip(1) {
                    let covering = lane.spans.iter().position(|s| s.start < at && at <= s.end);
                    marks.extend(covering.map(|span| Mark::Span { lane: l, span }));
                }
                Step { at, text, marks }
            })
            .collect()
    };
    let title = format!(
        "Hash ring, {} virtual nodes per node, replication {rf}: primary arcs and copies per node",
        setup.vnodes
    );
    Figure::Timeline { title, unit: "% of ring".to_string(), lanes, steps }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(nodes: &[&str], vnodes: u32) -> Ring {
        let mut ring = Ring::default();
        for node in nodes {
            ring.add_node(node, vnodes);
        }
        ring
    }

    #[test]
    fn a_key_belongs_to_the_next_token_clockwise_and_wraps() {
        let r = ring(&["A", "B", "C"], 2);
        let tokens = r.tokens();
        for (i, token) in tokens.iter().enumerate() {
            // Exactly at a token: that token. Just after it: the next one.
            assert_eq!(r.preference_list(token.position, 1), vec![token.node.as_str()]);
            if token.position < u32::MAX {
                let next = &tokens[(i + 1) % tokens.len()];
                assert_eq!(r.preference_list(token.position + 1, 1), vec![next.node.as_str()]);
            }
        }
        // Past the last token the ring wraps to the first.
        let last = tokens.last().unwrap().position;
        if last < u32::MAX {
            assert_eq!(r.preference_list(last + 1, 1), vec![tokens[0].node.as_str()]);
        }
    }

    #[test]
    fn preference_lists_hold_distinct_nodes_and_shares_add_up() {
        let r = ring(&["A", "B", "C", "D"], 8);
        for i in 0..200 {
            let list = r.preference_list(ring_position(&format!("k{i}")), 3);
            assert_eq!(list.len(), 3);
            assert!(list[0] != list[1] && list[1] != list[2] && list[0] != list[2]);
        }
        // More copies than nodes: every node once.
        assert_eq!(r.preference_list(0, 5).len(), 4);
        let total: f64 = r.shares().values().sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert_eq!(r.arc_lengths().iter().sum::<u64>(), RING);
        assert_eq!(ring(&["solo"], 1).arc_lengths(), vec![RING]);
    }

    #[test]
    fn adding_a_node_moves_keys_only_to_it_and_removing_it_moves_them_back() {
        let before = ring(&["A", "B", "C"], 64);
        let mut after = before.clone();
        after.add_node("D", 64);
        let mut moved = 0;
        for i in 0..5000 {
            let p = ring_position(&format!("user:{i}"));
            let (old, new) = (before.preference_list(p, 1)[0], after.preference_list(p, 1)[0]);
            if old != new {
                assert_eq!(new, "D");
                moved += 1;
            }
        }
        let fraction = f64::from(moved) / 5000.0;
        assert!((0.15..0.35).contains(&fraction), "{fraction}");
        after.remove_node("D");
        assert_eq!(after.tokens(), before.tokens());
    }

    #[test]
    fn the_default_run_reports_moves_to_the_new_node() {
        let out = run(DEFAULT_INPUT).unwrap().text;
        assert!(out.contains("== add D (8 virtual nodes) =="), "{out}");
        assert!(out.contains("== remove B =="), "{out}");
        // Adding D moves primaries only to D; removing B moves them only away from B.
        let add = out.split("== add D").nth(1).unwrap().split("== remove B").next().unwrap();
        for line in add.lines().filter(|l| l.contains("primary ") && l.contains(" -> ")) {
            assert!(line.contains("-> D"), "{line}");
        }
        let remove = out.split("== remove B ==").nth(1).unwrap();
        for line in remove.lines().filter(|l| l.contains("primary ") && l.contains(" -> ")) {
            assert!(line.contains("primary B ->"), "{line}");
        }
    }

    #[test]
    fn the_figure_covers_the_ring_once_per_state_for_primaries() {
        let figure = run(DEFAULT_INPUT).unwrap().figure;
        figure.validate().unwrap();
        let Figure::Timeline { lanes, unit, .. } = figure else { panic!("not a timeline") };
        assert_eq!(unit, "% of ring");
        assert_eq!(lanes[0].name, "keys");
        // Primary arcs of every state add up to 100% of the ring.
        for state in ["start", "-B"] {
            let total: f64 = lanes
                .iter()
                .filter(|lane| lane.name.ends_with(state))
                .flat_map(|lane| &lane.spans)
                .filter(|span| span.kind == SpanKind::Busy)
                .map(|span| span.end - span.start)
                .sum();
            assert!((total - 100.0).abs() < 1e-6, "{state}: {total}");
        }
    }

    #[test]
    fn bad_input_names_its_line() {
        let cases = [
            ("nodes = A B\nop = add A", "input line 2: node `A` is already on the ring"),
            ("nodes = A B\nop = remove C", "input line 2: node `C` is not on the ring"),
            ("nodes = A\nop = remove A", "input line 2: cannot remove the last node"),
            (
                "nodes = A\nop = grow A",
                "input line 2: expected `op = add NAME`, `op = add NAME VNODES` or `op = remove NAME`",
            ),
            ("nodes = A\nvnodes = 65", "input line 2: 65 is out of range (from 1 to 64)"),
            ("nodes = A\nkeys = 101", "input line 2: 101 is out of range (from 1 to 100)"),
            ("nodes = A\nop = add B 0", "input line 2: 0 is out of range (from 1 to 64)"),
            ("vnodes = 2", "missing `nodes = A B C`"),
        ];
        for (input, expected) in cases {
            assert_eq!(run(input).unwrap_err().to_string(), expected, "input: {input:?}");
        }
    }
}
