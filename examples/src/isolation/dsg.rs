//! Naming the anomaly: Adya's direct serialization graph (DSG) of a run.
//!
//! Nodes are the committed transactions. Edges say which one must come before which in any
//! equivalent serial order:
//!
//! * `Ti -ww-> Tj`: Tj installed the next version of a row after Ti's (write-write);
//! * `Ti -wr-> Tj`: Tj read a version Ti installed, or a predicate read of Tj saw a change Ti
//!   made to which rows match (write-read);
//! * `Ti -rw-> Tj`: Ti read a version and Tj installed the next one, or Tj changed which rows
//!   match a predicate Ti had read (read-write, an anti-dependency).
//!
//! A cycle means no serial order exists. Adya (1999) classifies cycles by their edges: only ww
//! is G0; ww and wr is G1c; exactly one rw is G-single; two or more rw are G2-item, or G2 when a
//! predicate anti-dependency is needed. G1a and G1b are reads of aborted and intermediate
//! versions. On top of these the module names three patterns Hermitage tests separately: P4
//! (lost update, Berenson et al. 1995), OTV (observed transaction vanishes) and PMP
//! (predicate-many-preceders, Adya's definition: two overlapping predicate reads of one
//! transaction see different sets of preceding transactions).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::engine::{History, INITIAL, ReadEvent, Status, TxId, run};
use super::script::Predicate;
use super::trace::render;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "isolation::dsg",
    title: "Naming the anomaly: the serialization graph of a run",
    file: file!(),
    default_input: "case = G2-two-edges\nlevel = repeatable read\n",
    input_help: super::setup::HELP,
    runs: Runs::Everywhere,
    run: Run::Text(graph),
};

fn graph(input: &str) -> Result<String, InputError> {
    let setup = super::setup::read(input, true)?;
    let run = run(&setup.script, setup.level)?;
    let analysis = analyse(&run.history);
    let mut out = format!("at {}:\n", setup.level);
    out.push_str(&render(&run.script, &run.trace, ""));
    out.push_str("\nedges between committed transactions:\n");
    for line in analysis.edge_lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push('\n');
    out.push_str(&analysis.summary());
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phenomenon {
    G0,
    G1a,
    G1b,
    G1c,
    Otv,
    Pmp,
    LostUpdate,
    GSingle,
    G2Item,
    G2,
}

impl Phenomenon {
    pub const ALL: [Phenomenon; 10] = [
        Phenomenon::G0,
        Phenomenon::G1a,
        Phenomenon::G1b,
        Phenomenon::G1c,
        Phenomenon::Otv,
        Phenomenon::Pmp,
        Phenomenon::LostUpdate,
        Phenomenon::GSingle,
        Phenomenon::G2Item,
        Phenomenon::G2,
    ];

    /// The short name used by Adya and Hermitage.
    pub fn name(self) -> &'static str {
        match self {
            Phenomenon::G0 => "G0",
            Phenomenon::G1a => "G1a",
            Phenomenon::G1b => "G1b",
            Phenomenon::G1c => "G1c",
            Phenomenon::Otv => "OTV",
            Phenomenon::Pmp => "PMP",
            Phenomenon::LostUpdate => "P4",
            Phenomenon::GSingle => "G-single",
            Phenomenon::G2Item => "G2-item",
            Phenomenon::G2 => "G2",
        }
    }

    /// What it is called in everyday terms.
    pub fn plain(self) -> &'static str {
        match self {
            Phenomenon::G0 => "dirty write",
            Phenomenon::G1a => "aborted read",
            Phenomenon::G1b => "intermediate read",
            Phenomenon::G1c => "circular information flow",
            Phenomenon::Otv => "observed transaction vanishes",
            Phenomenon::Pmp => "predicate-many-preceders",
            Phenomenon::LostUpdate => "lost update",
            Phenomenon::GSingle => "single anti-dependency cycle",
            Phenomenon::G2Item => "write skew",
            Phenomenon::G2 => "write skew on a predicate",
        }
    }
}

/// One phenomenon found in a run, with the transactions that show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub phenomenon: Phenomenon,
    pub witness: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    Ww,
    Wr,
    RwItem,
    RwPredicate,
}

impl EdgeKind {
    fn arrow(self) -> &'static str {
        match self {
            EdgeKind::Ww => "-ww->",
            EdgeKind::Wr => "-wr->",
            EdgeKind::RwItem | EdgeKind::RwPredicate => "-rw->",
        }
    }
}

/// The graph and everything found in it.
#[derive(Debug, Clone)]
pub struct Analysis {
    labels: Vec<String>,
    /// Edges with the first reason found for each kind.
    pub edges: BTreeMap<(TxId, TxId), BTreeMap<EdgeKind, String>>,
    pub findings: Vec<Finding>,
    /// A serial order of the committed transactions when the graph has no cycle.
    pub serial_order: Option<Vec<String>>,
}

impl Analysis {
    pub fn has(&self, phenomenon: Phenomenon) -> bool {
        self.findings.iter().any(|f| f.phenomenon == phenomenon)
    }

    pub fn label(&self, tx: TxId) -> &str {
        &self.labels[tx]
    }

    /// The edges, one line each, with why they exist.
    pub fn edge_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (&(from, to), kinds) in &self.edges {
            for (kind, why) in kinds {
                lines.push(format!("{} {} {}: {why}", self.labels[from], kind.arrow(), self.labels[to]));
            }
        }
        lines
    }

    /// A short summary: the phenomena found, or the serial order.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        if self.findings.is_empty() {
            let order = self.serial_order.as_ref().map(|o| o.join(", ")).unwrap_or_default();
            if order.is_empty() {
                out.push_str(
                    "no anomaly: no transaction committed after reading or writing anything shared\n",
                );
            } else {
                let _ = writeln!(
                    out,
                    "no anomaly: the committed transactions are equivalent to running {order} one after another"
                );
            }
        }
        for finding in &self.findings {
            let _ = writeln!(
                out,
                "{} ({}): {}",
                finding.phenomenon.name(),
                finding.phenomenon.plain(),
                finding.witness
            );
        }
        out
    }
}

/// A committed version: the last one a committed transaction wrote to a row.
#[derive(Debug, Clone, Copy)]
struct Installed {
    index: usize,
    creator: TxId,
    value: Option<i64>,
}

fn committed(history: &History, tx: TxId) -> bool {
    tx != INITIAL && matches!(history.txs[tx].status, Status::Committed(_))
}

/// The installed versions of each row, in version order (the initial load included).
fn installed(history: &History) -> BTreeMap<i64, Vec<Installed>> {
    let mut out = BTreeMap::new();
    for (&id, chain) in &history.rows {
        let list: Vec<Installed> = chain
            .iter()
            .enumerate()
            .filter(|(i, v)| {
                matches!(history.txs[v.creator].status, Status::Committed(_))
                    && !chain[i + 1..].iter().any(|later| later.creator == v.creator)
            })
            .map(|(index, v)| Installed { index, creator: v.creator, value: v.value })
            .collect();
        out.insert(id, list);
    }
    out
}

/// Each installed version with the value before it (`None` before the row's first version:
/// an insert changes which rows match just as an update or a delete does).
fn with_previous(list: &[Installed]) -> impl Iterator<Item = (Option<i64>, Installed)> + '_ {
    list.iter().enumerate().map(|(i, v)| (if i == 0 { None } else { list[i - 1].value }, *v))
}

fn value_text(value: Option<i64>) -> String {
    value.map_or("deleted".to_string(), |v| v.to_string())
}

// ANCHOR: analyse
/// Builds the direct serialization graph of a run and looks for Adya's phenomena in it.
pub fn analyse(history: &History) -> Analysis {
    let labels: Vec<String> = history.txs.iter().map(|t| t.label.clone()).collect();
    let installed = installed(history);
    let mut edges: BTreeMap<(TxId, TxId), BTreeMap<EdgeKind, String>> = BTreeMap::new();
    let mut add = |from: TxId, to: TxId, kind: EdgeKind, why: String| {
        if from != to && committed(history, from) && committed(history, to) {
            edges.entry((from, to)).or_default().entry(kind).or_insert(why);
        }
    };
    let mut findings = Vec::new();

    // ww: consecutive installed versions of a row.
    for (id, list) in &installed {
        for pair in list.windows(2) {
            let why = format!(
                "row {id}: {} wrote {}, then {} wrote {}",
                labels[pair[0].creator],
                value_text(pair[0].value),
                labels[pair[1].creator],
                value_text(pair[1].value)
            );
            add(pair[0].creator, pair[1].creator, EdgeKind::Ww, why);
        }
    }
    for read in &history.reads {
        let reader = read.tx;
        let reader_committed = committed(history, reader);
        // Item reads: the rows the read returned (or a write based itself on).
        for &id in &read.returned {
            let index = read.seen[&id];
            let version = &history.rows[&id][index];
            let writer = version.creator;
            if writer == reader {
                continue;
            }
            let who = &labels[writer];
            let shown = value_text(version.value);
            if reader_committed && history.txs[writer].status == Status::Aborted {
                findings.push(Finding {
                    phenomenon: Phenomenon::G1a,
                    witness: format!(
                        "{} read row {id} = {shown} (step {}), written by {who}, which aborted",
                        labels[reader],
                        read.step + 1
                    ),
                });
            }
            let list = &installed[&id];
            if reader_committed && committed(history, writer) && !list.iter().any(|v| v.index == index) {
                findings.push(Finding {
                    phenomenon: Phenomenon::G1b,
                    witness: format!(
                        "{} read row {id} = {shown} (step {}), a value {who} later overwrote before committing",
                        labels[reader],
                        read.step + 1
                    ),
                });
            }
            add(
                writer,
                reader,
                EdgeKind::Wr,
                format!("{} read row {id} = {shown} (step {})", labels[reader], read.step + 1),
            );
            if let Some(next) = list.iter().find(|v| v.index > index && v.creator != writer) {
                let why = format!(
                    "{} read row {id} = {shown} (step {}), {} wrote {} over it",
                    labels[reader],
                    read.step + 1,
                    labels[next.creator],
                    value_text(next.value)
                );
                add(reader, next.creator, EdgeKind::RwItem, why);
            }
        }
        // Predicate reads: a committed change to which rows match, seen or not seen.
        if read.predicate {
            for (id, list) in &installed {
                let seen = read.seen.get(id).copied();
                for (before, after) in with_previous(list) {
                    let matches = |v: Option<i64>| v.is_some_and(|v| read.filter.matches(*id, v));
                    if after.creator == reader
                        || after.creator == INITIAL
                        || matches(before) == matches(after.value)
                    {
                        continue;
                    }
                    let change = match before {
                        None => format!("row {id} inserted as {}", value_text(after.value)),
                        Some(_) => format!("row {id} {} -> {}", value_text(before), value_text(after.value)),
                    };
                    let condition = read.filter.sql().unwrap_or_else(|| "true".to_string());
                    if seen.is_some_and(|s| after.index <= s) {
                        let why = format!(
                            "{}'s `{condition}` (step {}) saw {change}",
                            labels[reader],
                            read.step + 1
                        );
                        add(after.creator, reader, EdgeKind::Wr, why);
                    } else {
                        let why = format!(
                            "{}'s `{condition}` (step {}) missed {}'s {change}",
                            labels[reader],
                            read.step + 1,
                            labels[after.creator]
                        );
                        add(reader, after.creator, EdgeKind::RwPredicate, why);
                    }
                }
            }
        }
    }
    let nodes: Vec<TxId> = (0..history.txs.len()).filter(|&t| committed(history, t)).collect();
    findings.extend(cycles(&nodes, &edges, &labels));
    findings.extend(lost_updates(history, &installed, &labels));
    findings.extend(vanished(history, &installed, &labels));
    findings.extend(many_preceders(history, &installed, &labels));
    findings.sort_by_key(|f| f.phenomenon);
    findings.dedup_by_key(|f| f.phenomenon);
    let serial_order = topological(&nodes, &edges, &labels);
    Analysis { labels, edges, findings, serial_order }
}
// ANCHOR_END: analyse

/// Every elementary cycle, classified; the shortest one of each class is the witness.
fn cycles(
    nodes: &[TxId],
    edges: &BTreeMap<(TxId, TxId), BTreeMap<EdgeKind, String>>,
    labels: &[String],
) -> Vec<Finding> {
    let mut found: Vec<Vec<TxId>> = Vec::new();
    fn walk(
        start: TxId,
        path: &mut Vec<TxId>,
        nodes: &[TxId],
        edges: &BTreeMap<(TxId, TxId), BTreeMap<EdgeKind, String>>,
        found: &mut Vec<Vec<TxId>>,
    ) {
        let last = *path.last().expect("non-empty");
        for &next in nodes {
            if !edges.contains_key(&(last, next)) {
                continue;
            }
            if next == start {
                found.push(path.clone());
            } else if next > start && !path.contains(&next) && found.len() < 10_000 {
                path.push(next);
                walk(start, path, nodes, edges, found);
                path.pop();
            }
        }
    }
    for &start in nodes {
        walk(start, &mut vec![start], nodes, edges, &mut found);
    }
    found.sort_by_key(|c| c.len());
    let mut out = Vec::new();
    for cycle in found {
        let hops: Vec<(TxId, TxId)> =
            cycle.iter().zip(cycle.iter().cycle().skip(1)).map(|(&a, &b)| (a, b)).collect();
        let kinds = |hop: &(TxId, TxId)| &edges[hop];
        let phenomenon = if hops.iter().all(|h| kinds(h).contains_key(&EdgeKind::Ww)) {
            Phenomenon::G0
        } else {
            let anti: Vec<&(TxId, TxId)> = hops
                .iter()
                .filter(|h| !kinds(h).contains_key(&EdgeKind::Ww) && !kinds(h).contains_key(&EdgeKind::Wr))
                .collect();
            match anti.len() {
                0 => Phenomenon::G1c,
                1 => Phenomenon::GSingle,
                _ if anti.iter().all(|h| kinds(h).contains_key(&EdgeKind::RwItem)) => Phenomenon::G2Item,
                _ => Phenomenon::G2,
            }
        };
        if out.iter().any(|f: &Finding| f.phenomenon == phenomenon) {
            continue;
        }
        let mut text = labels[cycle[0]].clone();
        let mut reasons = Vec::new();
        for hop in &hops {
            let (kind, why) = kinds(hop).iter().next().expect("an edge has a kind");
            let _ = write!(text, " {} {}", kind.arrow(), labels[hop.1]);
            reasons.push(why.clone());
        }
        out.push(Finding { phenomenon, witness: format!("{text} ({})", reasons.join("; ")) });
    }
    out
}

/// P4: Ti read a version of a row, Tj installed a newer one, then Ti installed one over Tj's,
/// never having seen Tj's value.
fn lost_updates(
    history: &History,
    installed: &BTreeMap<i64, Vec<Installed>>,
    labels: &[String],
) -> Vec<Finding> {
    let mut out = Vec::new();
    for read in &history.reads {
        let reader = read.tx;
        if !committed(history, reader) {
            continue;
        }
        for &id in &read.returned {
            let index = read.seen[&id];
            let list = &installed[&id];
            let Some(mine) = list.iter().find(|v| v.creator == reader) else { continue };
            if let Some(lost) =
                list.iter().find(|v| v.index > index && v.index < mine.index && v.creator != reader)
            {
                out.push(Finding {
                    phenomenon: Phenomenon::LostUpdate,
                    witness: format!(
                        "{} read row {id} = {} (step {}), {} wrote {}, then {} wrote {} over it: {}'s update is lost",
                        labels[reader],
                        value_text(history.rows[&id][index].value),
                        read.step + 1,
                        labels[lost.creator],
                        value_text(lost.value),
                        labels[reader],
                        value_text(mine.value),
                        labels[lost.creator]
                    ),
                });
            }
        }
    }
    out
}

/// OTV: a transaction read a row written by Tj, then (in the same read or a later one) a
/// version of another row older than the one Tj installed there.
fn vanished(history: &History, installed: &BTreeMap<i64, Vec<Installed>>, labels: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    let reads: Vec<&ReadEvent> = history.reads.iter().filter(|r| committed(history, r.tx)).collect();
    for (a, first) in reads.iter().enumerate() {
        for &x in &first.returned {
            let writer = history.rows[&x][first.seen[&x]].creator;
            if writer == first.tx || !committed(history, writer) {
                continue;
            }
            for later in reads[a..].iter().filter(|r| r.tx == first.tx) {
                for &y in later.returned.iter().filter(|&&y| y != x) {
                    let index = later.seen[&y];
                    if let Some(theirs) =
                        installed[&y].iter().find(|v| v.creator == writer && v.index > index)
                    {
                        out.push(Finding {
                            phenomenon: Phenomenon::Otv,
                            witness: format!(
                                "{} saw {}'s row {x} = {} (step {}) but then row {y} = {} (step {}), older than {}'s {}",
                                labels[first.tx],
                                labels[writer],
                                value_text(history.rows[&x][first.seen[&x]].value),
                                first.step + 1,
                                value_text(history.rows[&y][index].value),
                                later.step + 1,
                                labels[writer],
                                value_text(theirs.value)
                            ),
                        });
                        return out;
                    }
                }
            }
        }
    }
    out
}

/// PMP: two predicate reads of one transaction whose conditions overlap see different sets of
/// transactions that changed which rows match the overlap.
fn many_preceders(
    history: &History,
    installed: &BTreeMap<i64, Vec<Installed>>,
    labels: &[String],
) -> Vec<Finding> {
    let preceders = |read: &ReadEvent, both: &dyn Fn(i64, Option<i64>) -> bool| -> BTreeSet<TxId> {
        let mut set = BTreeSet::new();
        for (id, list) in installed {
            let Some(&seen) = read.seen.get(id) else { continue };
            // (A row the read did not see at all had no version before it: nothing precedes.)
            for (before, after) in with_previous(list) {
                if after.index <= seen
                    && after.creator != read.tx
                    && after.creator != INITIAL
                    && both(*id, before) != both(*id, after.value)
                {
                    set.insert(after.creator);
                }
            }
        }
        set
    };
    let reads: Vec<&ReadEvent> =
        history.reads.iter().filter(|r| r.predicate && committed(history, r.tx)).collect();
    for (a, first) in reads.iter().enumerate() {
        for second in reads[a + 1..].iter().filter(|r| r.tx == first.tx) {
            let (p, q): (&Predicate, &Predicate) = (&first.filter, &second.filter);
            let both = |id: i64, v: Option<i64>| v.is_some_and(|v| p.matches(id, v) && q.matches(id, v));
            let (one, two) = (preceders(first, &both), preceders(second, &both));
            if one != two {
                let names = |set: &BTreeSet<TxId>| {
                    let diff: Vec<&str> = set.iter().map(|&t| labels[t].as_str()).collect();
                    diff.join(", ")
                };
                let extra: BTreeSet<TxId> = two.symmetric_difference(&one).copied().collect();
                return vec![Finding {
                    phenomenon: Phenomenon::Pmp,
                    witness: format!(
                        "{}'s reads at steps {} and {} overlap, but only one of them sees the changes of {}",
                        labels[first.tx],
                        first.step + 1,
                        second.step + 1,
                        names(&extra)
                    ),
                }];
            }
        }
    }
    Vec::new()
}

/// Kahn's algorithm, smallest transaction first; `None` when there is a cycle.
fn topological(
    nodes: &[TxId],
    edges: &BTreeMap<(TxId, TxId), BTreeMap<EdgeKind, String>>,
    labels: &[String],
) -> Option<Vec<String>> {
    let mut left: BTreeSet<TxId> = nodes.iter().copied().collect();
    let mut order = Vec::new();
    while !left.is_empty() {
        let next = *left.iter().find(|&&n| !left.iter().any(|&m| m != n && edges.contains_key(&(m, n))))?;
        left.remove(&next);
        order.push(labels[next].clone());
    }
    Some(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isolation::engine::run;
    use crate::isolation::script::{DEFAULT_ROWS, Level, Script, parse_steps};

    fn analysis(text: &str, level: Level) -> Analysis {
        let script = Script { rows: DEFAULT_ROWS.to_vec(), steps: parse_steps(text, 0).unwrap() };
        analyse(&run(&script, level).unwrap().history)
    }

    const WRITE_SKEW: &str = "T1: begin\nT2: begin\nT1: select * from test\nT2: select * from test\n\
        T1: update test set value = 11 where id = 1\nT2: update test set value = 21 where id = 2\nT1: commit\nT2: commit";

    #[test]
    fn write_skew_is_a_two_anti_dependency_cycle() {
        let a = analysis(WRITE_SKEW, Level::RepeatableRead);
        assert!(a.has(Phenomenon::G2Item), "{}", a.summary());
        assert!(!a.has(Phenomenon::GSingle) && !a.has(Phenomenon::LostUpdate));
        assert!(a.summary().contains("T1 -rw-> T2 -rw-> T1"), "{}", a.summary());
        let ser = analysis(WRITE_SKEW, Level::Serializable);
        assert!(ser.findings.is_empty());
        assert_eq!(ser.serial_order, Some(vec!["T1".to_string()]));
    }

    #[test]
    fn a_lost_update_is_p4_and_g_single() {
        let text = "T1: begin\nT2: begin\nT1: select * from test where id = 1\nT2: select * from test where id = 1\n\
            T1: update test set value = 11 where id = 1\nT2: update test set value = 11 where id = 1\nT1: commit\nT2: commit";
        let a = analysis(text, Level::ReadCommitted);
        assert!(a.has(Phenomenon::LostUpdate) && a.has(Phenomenon::GSingle), "{}", a.summary());
        // The same increments without a prior read: read committed re-reads, nothing is lost.
        let text = "T1: begin\nT2: begin\nT1: update test set value = value + 1 where id = 1\n\
            T2: update test set value = value + 1 where id = 1\nT1: commit\nT2: commit";
        let a = analysis(text, Level::ReadCommitted);
        assert!(a.findings.is_empty(), "{}", a.summary());
        assert_eq!(a.serial_order, Some(vec!["T1".to_string(), "T2".to_string()]));
    }

    #[test]
    fn dirty_reads_are_g1a_and_g1b() {
        let aborted = "T1: begin\nT1: update test set value = 101 where id = 1\nT2: begin\nT2: select * from test\n\
            T1: rollback\nT2: commit";
        assert!(analysis(aborted, Level::ReadUncommitted).has(Phenomenon::G1a));
        assert!(analysis(aborted, Level::ReadCommitted).findings.is_empty());
        let intermediate = "T1: begin\nT1: update test set value = 101 where id = 1\nT2: begin\nT2: select * from test\n\
            T1: update test set value = 11 where id = 1\nT1: commit\nT2: commit";
        assert!(analysis(intermediate, Level::ReadUncommitted).has(Phenomenon::G1b));
    }

    #[test]
    fn phantoms_are_predicate_anti_dependencies() {
        let text = "T1: begin\nT2: begin\nT1: select * from test where value % 3 = 0\nT2: select * from test where value % 3 = 0\n\
            T1: insert into test values (3, 30)\nT2: insert into test values (4, 42)\nT1: commit\nT2: commit";
        let a = analysis(text, Level::RepeatableRead);
        assert!(a.has(Phenomenon::G2) && !a.has(Phenomenon::G2Item), "{}", a.summary());
        let reread = "T1: begin\nT1: select * from test where value = 30\nT2: insert into test values (3, 30)\n\
            T1: select * from test where value % 3 = 0\nT1: commit";
        let rc = analysis(reread, Level::ReadCommitted);
        assert!(rc.has(Phenomenon::Pmp) && rc.has(Phenomenon::GSingle), "{}", rc.summary());
        assert!(analysis(reread, Level::RepeatableRead).findings.is_empty());
    }
}
