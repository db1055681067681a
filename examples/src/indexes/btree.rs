//! A B+tree of unique integer keys, small enough to watch: lookups, range scans along the leaf
//! chain, and inserts that split full pages.
//!
//! The shape is the one every relational engine uses for its default index (Comer, "The
//! Ubiquitous B-Tree", 1979, calls it the B+-tree): all keys live in the leaves, which are
//! linked left to right; inner pages hold only separators that steer a descent. A page holds at
//! most `capacity` keys (PostgreSQL fits a few hundred small keys in an 8 kB page; a handful
//! makes the splits visible). An insert into a full leaf splits it in two and pushes the first
//! key of the new right page up into the parent as a separator, which may split the parent in
//! turn; a split of the root makes a new root, and that is the only way the tree grows taller.
//!
//! Where a leaf is cut follows the main rule of PostgreSQL's nbtree (`nbtsplitloc.c`, 12+): a
//! split of the *rightmost* leaf leaves the left page `fillfactor`% full (90 by default), so keys
//! that only ever grow (a sequence, a timestamp) fill pages almost completely; here every other
//! split goes half and half. PostgreSQL's other splits divide the free space about evenly, except
//! "split after new item", which cuts just after an insert that continues a locally ascending run
//! (as in `(customer_id, created_at)`); the simulation leaves that rule out. `fillfactor = 50`
//! gives the textbook split everywhere. Inner pages here always
//! split in the middle (PostgreSQL leaves a rightmost inner page 70% full). There are no deletes:
//! PostgreSQL never merges half-empty pages either, it only recycles pages that became empty.

use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Mark, Span, SpanKind, Step};
use crate::input::{Params, parse_number};
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "indexes::btree",
    title: "A B+tree: lookups, range scans, and inserts that split pages, step by step",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`capacity = N` keys per page (3–16), `fillfactor = P` (50–100, for a split of the rightmost leaf), \
                 then lines in order: `insert = 10 20 30` or `insert = 1..20` (keys 0–9999), `lookup = K`, \
                 `range = LOW HIGH`; at most 120 operations",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// A generated problem with its answer hidden behind the marker.
pub const PREDICT: Example = Example {
    id: "indexes::btree_predict",
    title: "Predict, then reveal: where do the splits happen?",
    file: file!(),
    default_input: "seed = 4\n",
    input_help: "`seed = N`: every seed generates another capacity and insert order",
    runs: Runs::Everywhere,
    run: Run::Drawn(run_predict),
};

const DEFAULT_INPUT: &str = "\
# At most 4 keys per page (a real 8 kB page holds hundreds).
capacity = 4
# A split of the rightmost leaf keeps the left page 90% full (PostgreSQL's default).
fillfactor = 90
# Ascending keys: every split is of the rightmost leaf.
insert = 10 20 30 40 50 60 70 80
# Keys in the middle: half-and-half splits.
insert = 25 35 45 33 34
# Ascending again, until the root itself splits and the tree grows a level.
insert = 90 100 110 120 130
lookup = 34
range = 30 60
";

pub const MAX_CAPACITY: usize = 16;
pub const MIN_CAPACITY: usize = 3;
pub const MAX_KEY: u64 = 9_999;
pub const MAX_OPERATIONS: usize = 120;

pub type Key = u64;
pub type PageId = usize;

// ANCHOR: tree
/// A page: a leaf holds keys (in a real index, each with the address of its row) and a link to
/// its right neighbour; an inner page holds separators and one more child than separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Leaf { keys: Vec<Key>, next: Option<PageId> },
    Inner { keys: Vec<Key>, children: Vec<PageId> },
}

#[derive(Debug, Clone)]
pub struct BTree {
    pub pages: Vec<Node>,
    pub root: PageId,
    /// Most keys a page holds; one more makes it split.
    pub capacity: usize,
    /// How full (percent) a split of the rightmost leaf leaves the left page.
    pub fillfactor: usize,
    pub height: usize,
    pub leaf_splits: usize,
    pub inner_splits: usize,
}

/// One split: `left` keeps the first part, the new page `right` gets the rest, and `up` becomes
/// the separator between them in the parent (a new root when `new_root` is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub leaf: bool,
    pub left: PageId,
    pub right: PageId,
    pub up: Key,
    pub new_root: Option<PageId>,
}

/// What an insert did: the pages read on the way down (root first), whether the key was
/// already there, and the splits it caused, bottom up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inserted {
    pub path: Vec<PageId>,
    pub duplicate: bool,
    pub splits: Vec<Split>,
}

impl Inserted {
    /// The pages this insert wrote: the leaf, both halves of every split, the parent that got
    /// the last separator, and a new root.
    pub fn changed(&self) -> Vec<PageId> {
        if self.duplicate {
            return Vec::new();
        }
        let mut changed = vec![*self.path.last().expect("not empty")];
        for split in &self.splits {
            changed.extend([split.left, split.right]);
            changed.extend(split.new_root);
        }
        if let Some(last) = self.splits.last()
            && last.new_root.is_none()
        {
            changed.push(self.path[self.path.len() - 1 - self.splits.len()]);
        }
        changed.sort_unstable();
        changed.dedup();
        changed
    }
}

impl BTree {
    pub fn new(capacity: usize, fillfactor: usize) -> BTree {
        assert!(capacity >= 2, "a page must hold at least two keys to split");
        BTree {
            pages: vec![Node::Leaf { keys: Vec::new(), next: None }],
            root: 0,
            capacity,
            fillfactor,
            height: 1,
            leaf_splits: 0,
            inner_splits: 0,
        }
    }

    /// The pages from the root to the leaf where `key` belongs. In an inner page, child `i`
    /// holds the keys from separator `i - 1` (included) up to separator `i` (excluded).
    pub fn descend(&self, key: Key) -> Vec<PageId> {
        let mut path = vec![self.root];
        while let Node::Inner { keys, children } = &self.pages[*path.last().expect("not empty")] {
            let child = keys.partition_point(|&separator| separator <= key);
            path.push(children[child]);
        }
        path
    }

    /// Whether `key` is in the tree, and the pages read to find out.
    pub fn lookup(&self, key: Key) -> (bool, Vec<PageId>) {
        let path = self.descend(key);
        let Node::Leaf { keys, .. } = &self.pages[*path.last().expect("not empty")] else {
            unreachable!("a descent ends at a leaf")
        };
        (keys.binary_search(&key).is_ok(), path)
    }

    /// The keys in `low..=high`: one descent to the first leaf, then along the leaf chain, never
    /// back up the tree. Returns the keys and every page read.
    pub fn range(&self, low: Key, high: Key) -> (Vec<Key>, Vec<PageId>) {
        let mut pages = self.descend(low);
        let mut found = Vec::new();
        let mut page = *pages.last().expect("not empty");
        loop {
            let Node::Leaf { keys, next } = &self.pages[page] else { unreachable!("leaves link to leaves") };
            found.extend(keys.iter().copied().filter(|k| (low..=high).contains(k)));
            match next {
                Some(right) if keys.last().is_none_or(|&last| last < high) => {
                    page = *right;
                    pages.push(page);
                }
                _ => return (found, pages),
            }
        }
    }

    pub fn insert(&mut self, key: Key) -> Inserted {
        let path = self.descend(key);
        let leaf = *path.last().expect("not empty");
        let Node::Leaf { keys, .. } = &mut self.pages[leaf] else { unreachable!("a descent ends at a leaf") };
        let Err(at) = keys.binary_search(&key) else {
            return Inserted { path, duplicate: true, splits: Vec::new() };
        };
        keys.insert(at, key);
        let mut splits = Vec::new();
        // Walk back up while the page just changed is over capacity.
        let mut level = path.len() - 1;
        while self.len(path[level]) > self.capacity {
            let (right, up) = self.split(path[level]);
            let mut split =
                Split { leaf: level == path.len() - 1, left: path[level], right, up, new_root: None };
            if level == 0 {
                // The root split: a new root above the two halves. The tree is one level taller.
                let root = self.pages.len();
                self.pages.push(Node::Inner { keys: vec![up], children: vec![path[0], right] });
                self.root = root;
                self.height += 1;
                split.new_root = Some(root);
                splits.push(split);
                break;
            }
            splits.push(split);
            level -= 1;
            let Node::Inner { keys, children } = &mut self.pages[path[level]] else {
                unreachable!("a parent")
            };
            let at = keys.partition_point(|&separator| separator <= up);
            keys.insert(at, up);
            children.insert(at + 1, right);
        }
        Inserted { path, duplicate: false, splits }
    }

    /// Splits page `id` in two; returns the new right page and the separator for the parent.
    fn split(&mut self, id: PageId) -> (PageId, Key) {
        let right = self.pages.len();
        let (new_page, up) = match &mut self.pages[id] {
            Node::Leaf { keys, next } => {
                let n = keys.len();
                let half = n.div_ceil(2);
                // PostgreSQL: the rightmost leaf keeps `fillfactor`% on the left, so ascending
                // inserts leave full pages behind them instead of half-empty ones.
                let cut = if next.is_none() && self.fillfactor > 50 {
                    ((self.capacity * self.fillfactor + 50) / 100).clamp(half, n - 1)
                } else {
                    half
                };
                let moved = keys.split_off(cut);
                let up = moved[0]; // a leaf split copies the first key of the right page up
                let page = Node::Leaf { keys: moved, next: next.replace(right) };
                self.leaf_splits += 1;
                (page, up)
            }
            Node::Inner { keys, children } => {
                let middle = keys.len() / 2;
                let moved_keys = keys.split_off(middle + 1);
                let up = keys.pop().expect("the middle key"); // an inner split moves it up
                let moved_children = children.split_off(middle + 1);
                self.inner_splits += 1;
                (Node::Inner { keys: moved_keys, children: moved_children }, up)
            }
        };
        self.pages.push(new_page);
        (right, up)
    }
    // ANCHOR_END: tree

    pub fn len(&self, id: PageId) -> usize {
        match &self.pages[id] {
            Node::Leaf { keys, .. } | Node::Inner { keys, .. } => keys.len(),
        }
    }

    pub fn keys(&self, id: PageId) -> &[Key] {
        match &self.pages[id] {
            Node::Leaf { keys, .. } | Node::Inner { keys, .. } => keys,
        }
    }

    pub fn is_leaf(&self, id: PageId) -> bool {
        matches!(self.pages[id], Node::Leaf { .. })
    }

    /// The pages of each level, root level first, each level left to right.
    pub fn levels(&self) -> Vec<Vec<PageId>> {
        let mut levels = vec![vec![self.root]];
        loop {
            let next: Vec<PageId> = levels
                .last()
                .expect("not empty")
                .iter()
                .flat_map(|&id| match &self.pages[id] {
                    Node::Inner { children, .. } => children.clone(),
                    Node::Leaf { .. } => Vec::new(),
                })
                .collect();
            if next.is_empty() {
                return levels;
            }
            levels.push(next);
        }
    }

    /// The leaves left to right.
    pub fn leaves(&self) -> Vec<PageId> {
        self.levels().pop().expect("a tree has a leaf level")
    }

    /// How full the leaves are on average, in per mille of `capacity`.
    pub fn leaf_fill_per_mille(&self) -> usize {
        let leaves = self.leaves();
        let keys: usize = leaves.iter().map(|&id| self.len(id)).sum();
        (keys * 1000 + leaves.len() * self.capacity / 2) / (leaves.len() * self.capacity)
    }

    /// Every key, in order, read along the leaf chain from the leftmost leaf.
    pub fn scan_all(&self) -> Vec<Key> {
        let mut page = self.leaves()[0];
        let mut keys = Vec::new();
        loop {
            let Node::Leaf { keys: here, next } = &self.pages[page] else { unreachable!("leaves") };
            keys.extend_from_slice(here);
            match next {
                Some(right) => page = *right,
                None => return keys,
            }
        }
    }
}

/// `P3` for page 2: pages are numbered from 1 in the order they were created.
pub fn page_name(id: PageId) -> String {
    format!("P{}", id + 1)
}

fn page_text(tree: &BTree, id: PageId) -> String {
    let keys: Vec<String> = tree.keys(id).iter().map(Key::to_string).collect();
    format!("{}[{}]", page_name(id), keys.join(" "))
}

/// The tree, a line per level, root first; leaves joined by their links.
pub fn picture(tree: &BTree) -> String {
    let levels = tree.levels();
    let height = levels.len();
    let mut out = String::new();
    for (depth, level) in levels.iter().enumerate() {
        let joiner = if depth + 1 == height { " → " } else { "  " };
        let pages: Vec<String> = level.iter().map(|&id| page_text(tree, id)).collect();
        let _ = writeln!(out, "    level {}  {}", height - 1 - depth, pages.join(joiner));
    }
    out
}

fn path_text(path: &[PageId]) -> String {
    path.iter().map(|&id| page_name(id)).collect::<Vec<_>>().join(" → ")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Insert(Key),
    Lookup(Key),
    Range(Key, Key),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub capacity: usize,
    pub fillfactor: usize,
    pub ops: Vec<Op>,
}

const KEYS: &[&str] = &["capacity", "fillfactor", "insert", "lookup", "range"];

/// `10 20 30` or `1..20` (inclusive), or both mixed.
fn parse_keys(value: &str, line: usize) -> Result<Vec<Key>, InputError> {
    let mut keys = Vec::new();
    for word in value.split_whitespace() {
        if let Some((low, high)) = word.split_once("..") {
            let low: Key = parse_number(low, line, 0, MAX_KEY)?;
            let high: Key = parse_number(high, line, 0, MAX_KEY)?;
            if high < low {
                return Err(InputError::at_line(line, format!("`{word}`: the range goes down")));
            }
            if high - low >= MAX_OPERATIONS as u64 {
                return Err(InputError::at_line(line, format!("`{word}`: at most {MAX_OPERATIONS} keys")));
            }
            keys.extend(low..=high);
        } else {
            keys.push(parse_number(word, line, 0, MAX_KEY)?);
        }
    }
    if keys.is_empty() {
        return Err(InputError::at_line(line, "`insert` needs at least one key"));
    }
    Ok(keys)
}

pub fn parse(input: &str) -> Result<Problem, InputError> {
    let params = Params::parse(input, KEYS)?;
    let capacity = params.number_or("capacity", MIN_CAPACITY, MAX_CAPACITY, 4)?;
    let fillfactor = params.number_or("fillfactor", 50, 100, 90)?;
    let mut ops = Vec::new();
    // The operations in the order of their lines.
    let mut lines: Vec<_> = ["insert", "lookup", "range"].iter().flat_map(|key| params.all(key)).collect();
    lines.sort_by_key(|entry| entry.line);
    for entry in lines {
        match entry.key {
            "insert" => ops.extend(parse_keys(entry.value, entry.line)?.into_iter().map(Op::Insert)),
            "lookup" => ops.push(Op::Lookup(entry.number(0, MAX_KEY)?)),
            _ => {
                let bounds: Vec<Key> = entry.numbers(0, MAX_KEY)?;
                let [low, high] = bounds[..] else {
                    return Err(InputError::at_line(
                        entry.line,
                        "`range` takes two keys: `range = LOW HIGH`",
                    ));
                };
                if high < low {
                    return Err(InputError::at_line(entry.line, "`range`: LOW must not be above HIGH"));
                }
                ops.push(Op::Range(low, high));
            }
        }
        if ops.len() > MAX_OPERATIONS {
            return Err(InputError::at_line(entry.line, format!("at most {MAX_OPERATIONS} operations")));
        }
    }
    if ops.is_empty() {
        return Err(InputError::new("nothing to do: add `insert = 10 20 30`"));
    }
    Ok(Problem { capacity, fillfactor, ops })
}

/// What one operation did, for the text and the drawing.
struct Done {
    /// One line (plus the tree when its shape changed).
    text: String,
    /// For the step control: the same, in one line.
    summary: String,
    /// Pages read (lookups, scans, the descent of an insert).
    read: Vec<PageId>,
    /// Pages whose keys changed or that were created.
    changed: Vec<PageId>,
}

fn apply(tree: &mut BTree, op: &Op) -> Done {
    match *op {
        Op::Insert(key) => {
            let result = tree.insert(key);
            let leaf = *result.path.last().expect("not empty");
            if result.duplicate {
                let text = format!("insert {key}: already in {}: a unique index refuses it", page_name(leaf));
                return Done { summary: text.clone(), text, read: result.path, changed: Vec::new() };
            }
            let changed = result.changed();
            if result.splits.is_empty() {
                let text = format!("insert {key}: {}", page_text(tree, leaf));
                return Done { summary: text.clone(), text, read: result.path, changed };
            }
            let mut parts = Vec::new();
            for split in &result.splits {
                let kind = if split.leaf { "leaf" } else { "inner page" };
                let goes = match split.new_root {
                    Some(root) => format!("{} goes up into a new root {}", split.up, page_name(root)),
                    None => format!("{} goes up", split.up),
                };
                parts.push(format!(
                    "{kind} {} splits into {} | {}; {goes}",
                    page_name(split.left),
                    page_text(tree, split.left),
                    page_text(tree, split.right)
                ));
            }
            let summary = format!("insert {key}: {}", parts.join("; "));
            let text = format!("{summary}\n{}", picture(tree));
            Done { text: text.trim_end().to_string(), summary, read: result.path, changed }
        }
        Op::Lookup(key) => {
            let (found, path) = tree.lookup(key);
            let leaf = *path.last().expect("not empty");
            let verdict =
                if found { format!("found in {}", page_name(leaf)) } else { "not found".to_string() };
            let text = format!("lookup {key}: {}: {verdict} ({} pages read)", path_text(&path), path.len());
            Done { summary: text.clone(), text, read: path, changed: Vec::new() }
        }
        Op::Range(low, high) => {
            let (keys, pages) = tree.range(low, high);
            let depth = tree.height;
            let (down, along) = pages.split_at(depth);
            let chain = if along.is_empty() {
                String::new()
            } else {
                format!(", then along the leaf chain {}", path_text(along))
            };
            let found: Vec<String> = keys.iter().map(Key::to_string).collect();
            let text = format!(
                "range {low}..{high}: down {}{chain}: {} ({} keys, {} pages read)",
                path_text(down),
                if found.is_empty() { "nothing".to_string() } else { found.join(" ") },
                keys.len(),
                pages.len()
            );
            Done { summary: text.clone(), text, read: pages, changed: Vec::new() }
        }
    }
}

// ANCHOR: example
/// Runs the operations in order; the text and the drawing come from the same run.
pub fn simulate(problem: &Problem) -> Drawn {
    let mut tree = BTree::new(problem.capacity, problem.fillfactor);
    let splits = if problem.fillfactor > 50 {
        format!(
            "a split of the rightmost leaf leaves {}% on the left, any other split goes half and half",
            problem.fillfactor
        )
    } else {
        "every split goes half and half".to_string()
    };
    let mut text = format!("B+tree, at most {} keys per page; {splits}.\n\n", problem.capacity);
    let mut drawing = Drawing::default();
    for (t, op) in problem.ops.iter().enumerate() {
        let done = apply(&mut tree, op);
        let _ = writeln!(text, "{}", done.text);
        drawing.record(&tree, t, &done);
    }
    let leaves = tree.leaves().len();
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        text,
        "\nThe tree with {} ({}, {}; height {}; {}, {} full on average):",
        plural(tree.scan_all().len(), "key"),
        plural(tree.leaf_splits, "leaf split"),
        plural(tree.inner_splits, "inner split"),
        tree.height,
        if leaves == 1 { "1 leaf".to_string() } else { format!("{leaves} leaves") },
        percent(tree.leaf_fill_per_mille())
    );
    text.push_str(&picture(&tree));
    Drawn { text, figure: drawing.finish(&tree, problem.ops.len()) }
}
// ANCHOR_END: example

/// `687` per mille as `68.7%`.
pub fn percent(per_mille: usize) -> String {
    format!("{}.{}%", per_mille / 10, per_mille % 10)
}

/// The drawing: a lane per page, a span for each stretch of time its keys stayed the same.
#[derive(Default)]
struct Drawing {
    /// For each page: its spans (start, keys, leaf).
    spans: Vec<Vec<(usize, String, bool)>>,
    steps: Vec<(usize, String, Vec<PageId>, Vec<PageId>)>,
}

impl Drawing {
    fn record(&mut self, tree: &BTree, t: usize, done: &Done) {
        if self.spans.len() < tree.pages.len() {
            self.spans.resize(tree.pages.len(), Vec::new());
        }
        for &id in &done.changed {
            let keys: Vec<String> = tree.keys(id).iter().map(Key::to_string).collect();
            let label = keys.join(" ");
            let spans = &mut self.spans[id];
            // A page changed twice at one instant (cannot happen, but keep one span per time).
            if spans.last().is_some_and(|(start, _, _)| *start == t) {
                spans.pop();
            }
            spans.push((t, label, tree.is_leaf(id)));
        }
        self.steps.push((t, done.summary.clone(), done.read.clone(), done.changed.clone()));
    }

    fn finish(self, tree: &BTree, end: usize) -> Figure {
        // Lanes in the final tree's order: root level first, each level left to right.
        let order: Vec<PageId> = tree.levels().into_iter().flatten().collect();
        let lane_of = |id: PageId| order.iter().position(|&p| p == id).expect("every page is in the tree");
        let lanes: Vec<Lane> = order
            .iter()
            .map(|&id| {
                let spans = &self.spans[id];
                let level = if tree.is_leaf(id) {
                    "leaf"
                } else if id == tree.root {
                    "root"
                } else {
                    "inner"
                };
                Lane {
                    name: format!("{} ({level})", page_name(id)),
                    spans: spans
                        .iter()
                        .enumerate()
                        .map(|(i, (start, label, leaf))| Span {
                            start: *start as f64,
                            end: spans.get(i + 1).map_or(end as f64, |next| next.0 as f64),
                            label: label.clone(),
                            kind: if *leaf { SpanKind::Busy } else { SpanKind::Wait },
                        })
                        .collect(),
                }
            })
            .collect();
        let steps = self
            .steps
            .into_iter()
            .map(|(t, text, read, changed)| {
                let mut marks: Vec<Mark> = Vec::new();
                for id in changed.iter().chain(read.iter()) {
                    let lane = lane_of(*id);
                    // The span under way at t (for a changed page, the one starting at t).
                    if let Some(span) = lanes[lane].spans.iter().rposition(|s| s.start <= t as f64)
                        && !marks.contains(&Mark::Span { lane, span })
                    {
                        marks.push(Mark::Span { lane, span });
                    }
                }
                Step { at: t as f64, text: format!("operation {}: {text}", t + 1), marks }
            })
            .collect();
        Figure::Timeline {
            title: "B+tree pages: the keys each page holds".to_string(),
            unit: "operations".to_string(),
            lanes,
            steps,
        }
    }
}

fn run(input: &str) -> Result<Drawn, InputError> {
    Ok(simulate(&parse(input)?))
}

// ANCHOR: predict
/// A small tree to predict: capacity 3 or 4, 8 to 11 distinct keys in random order, one lookup.
pub fn generate(seed: u64) -> Problem {
    let mut rng = Rng::new(seed);
    let capacity = rng.range(3, 4) as usize;
    let count = rng.range(8, 11) as usize;
    let mut keys: Vec<Key> = Vec::new();
    while keys.len() < count {
        let key = rng.range(1, 99);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let probe = keys[rng.range(0, count as u64 - 1) as usize];
    let mut ops: Vec<Op> = keys.into_iter().map(Op::Insert).collect();
    ops.push(Op::Lookup(probe));
    Problem { capacity, fillfactor: 50, ops }
}
// ANCHOR_END: predict

fn run_predict(input: &str) -> Result<Drawn, InputError> {
    let params = Params::parse(input, &["seed"])?;
    let seed = params.number_or("seed", 0, u64::MAX, 1)?;
    let problem = generate(seed);
    let inserts: Vec<String> = problem
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Insert(key) => Some(key.to_string()),
            _ => None,
        })
        .collect();
    let Some(Op::Lookup(probe)) = problem.ops.last() else { unreachable!("the problem ends with a lookup") };
    let mut text = format!(
        "Predict, then reveal (seed {seed}). An empty B+tree with at most {} keys per page, every split half and half\n\
         (fillfactor 50), gets these keys in this order:\n\n  insert = {}\n\n\
         Before you look: how many leaf splits happen, and how tall is the tree at the end? Which keys\n\
         are in the root? How many pages does `lookup = {probe}` read?\n",
        problem.capacity,
        inserts.join(" ")
    );
    text.push_str(REVEAL_MARKER);
    text.push('\n');
    let drawn = simulate(&problem);
    text.push_str(&drawn.text);
    Ok(Drawn { text, figure: drawn.figure })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_of(capacity: usize, fillfactor: usize, keys: &[Key]) -> BTree {
        let mut tree = BTree::new(capacity, fillfactor);
        for &key in keys {
            tree.insert(key);
        }
        tree
    }

    fn leaf_keys(tree: &BTree) -> Vec<Vec<Key>> {
        tree.leaves().iter().map(|&id| tree.keys(id).to_vec()).collect()
    }

    #[test]
    fn textbook_splits_by_hand() {
        // Capacity 3, half and half. 10 20 30 fill P1; 40 overflows it: [10 20 | 30 40], 30 up
        // into a new root. 50 → [30 40 50]; 60 overflows: [30 40 | 50 60], 50 up: root [30 50].
        // 70 → [50 60 70]; 80: [50 60 | 70 80], root [30 50 70]; 90 → [70 80 90]; 100: leaf
        // [70 80 | 90 100] and the root [30 50 70 90] overflows: 70 moves up, [30 50] | [90].
        let tree = tree_of(3, 50, &[10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        assert_eq!(leaf_keys(&tree), [vec![10, 20], vec![30, 40], vec![50, 60], vec![70, 80], vec![90, 100]]);
        assert_eq!(tree.keys(tree.root), [70]);
        assert_eq!(tree.height, 3);
        assert_eq!((tree.leaf_splits, tree.inner_splits), (4, 1));
        let inner: Vec<Vec<Key>> = tree.levels()[1].iter().map(|&id| tree.keys(id).to_vec()).collect();
        assert_eq!(inner, [vec![30, 50], vec![90]]);
    }

    #[test]
    fn a_rightmost_split_keeps_the_left_page_full() {
        // Capacity 4, fillfactor 90: round(3.6) = 4 keys stay on the left, one moves right.
        let tree = tree_of(4, 90, &[10, 20, 30, 40, 50]);
        assert_eq!(leaf_keys(&tree), [vec![10, 20, 30, 40], vec![50]]);
        // A split in the middle is half and half whatever the fillfactor: 25 goes into the full
        // left leaf [10 20 25 30 40] → [10 20 25 | 30 40].
        let mut tree = tree;
        tree.insert(25);
        assert_eq!(leaf_keys(&tree), [vec![10, 20, 25], vec![30, 40], vec![50]]);
    }

    #[test]
    fn ascending_keys_fill_pages_to_the_fillfactor_and_textbook_splits_to_half() {
        let keys: Vec<Key> = (1..=1000).collect();
        // 11 keys split 9 | 2; the right page refills to 11 and splits again: 110 leaves of 9
        // and a last one of 10, 1,000 keys in 111 pages of 10 = 90.1%.
        assert_eq!(tree_of(10, 90, &keys).leaf_fill_per_mille(), 901);
        assert_eq!(tree_of(10, 100, &keys).leaf_fill_per_mille(), 1000);
        // Half and half: 11 keys split 6 | 5, and every leaf left behind keeps 6 of 10 keys:
        // 165 leaves of 6 and a last one of 10, 1,000 keys in 166 pages = 60.2%.
        assert_eq!(tree_of(10, 50, &keys).leaf_fill_per_mille(), 602);
    }

    #[test]
    fn random_inserts_fill_leaves_about_ln_2() {
        // Yao (1978): random insertions into a B-tree leave nodes ~ln 2 = 69% full.
        let mut rng = Rng::new(9);
        let mut tree = BTree::new(64, 90);
        for _ in 0..60_000 {
            tree.insert(rng.next_u64());
        }
        let fill = tree.leaf_fill_per_mille();
        assert!((660..=720).contains(&fill), "{fill}");
    }

    #[test]
    fn every_key_is_found_in_order_and_the_tree_stays_balanced() {
        let mut rng = Rng::new(3);
        for capacity in [3, 4, 5, 8] {
            let mut tree = BTree::new(capacity, 90);
            let mut keys = Vec::new();
            for _ in 0..500 {
                let key = rng.range(0, 5000);
                tree.insert(key);
                keys.push(key);
            }
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(tree.scan_all(), keys);
            for &key in &keys {
                let (found, path) = tree.lookup(key);
                assert!(found);
                assert_eq!(path.len(), tree.height, "every leaf is at the same depth");
            }
            for id in 0..tree.pages.len() {
                assert!(tree.len(id) <= capacity);
            }
            let (range, _) = tree.range(1000, 2000);
            let expected: Vec<Key> = keys.iter().copied().filter(|k| (1000..=2000).contains(k)).collect();
            assert_eq!(range, expected);
        }
    }

    #[test]
    fn a_range_scan_walks_the_leaf_chain() {
        let tree = tree_of(3, 50, &[10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        let (keys, pages) = tree.range(25, 75);
        assert_eq!(keys, [30, 40, 50, 60, 70]);
        // Down root, inner page, leaf [10 20] (25 is below the separator 30), then along the
        // chain: [30 40], [50 60], [70 80], whose last key is past 75, so the scan stops there.
        assert_eq!(pages.len(), 3 + 3);
    }

    #[test]
    fn the_default_run_and_its_drawing() {
        let drawn = run(DEFAULT_INPUT).unwrap();
        drawn.figure.validate().unwrap();
        assert!(drawn.text.contains("lookup 34:"), "{}", drawn.text);
        assert!(drawn.text.contains("found in"), "{}", drawn.text);
        let Figure::Timeline { steps, .. } = &drawn.figure else { panic!("a timeline") };
        assert_eq!(steps.len(), 20);
    }

    #[test]
    fn every_predict_seed_draws_and_hides_its_answer() {
        for seed in 0..50 {
            let Drawn { text, figure } = run_predict(&format!("seed = {seed}")).unwrap();
            figure.validate().unwrap();
            assert_eq!(text.lines().filter(|l| *l == REVEAL_MARKER).count(), 1);
        }
    }

    #[test]
    fn bad_input_names_its_line() {
        let error = parse("capacity = 4\ninsert = 5 x").unwrap_err();
        assert_eq!(error.to_string(), "input line 2: `x` is not a number");
        assert_eq!(parse("range = 5").unwrap_err().line, Some(1));
        assert_eq!(parse("capacity = 2\ninsert = 1").unwrap_err().line, Some(1));
        assert!(parse("insert = 1..500").is_err());
        assert!(parse("capacity = 4").is_err());
    }
}
