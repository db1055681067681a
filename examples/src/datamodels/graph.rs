//! A small property-graph engine: nodes with labels and properties, directed relationships with
//! a type and properties, built by `CREATE` and queried by `MATCH` patterns (the Cypher subset
//! of [`super::cypher`]).
//!
//! Matching follows openCypher's rules where this subset has them: a pattern's variables bind
//! nodes, relationships or paths; within one `MATCH` no relationship is used twice (so a
//! variable-length hop walks *trails*: nodes may repeat, relationships may not); `WHERE` keeps
//! the matches for which it is true (not false, not null: `null` is unknown); a pattern in
//! `WHERE` is true when it has at least one match. Results come in a fixed order (nodes and
//! relationships in creation order, depth first), so the same script prints the same rows.

use std::fmt::Write as _;

use super::cypher::{CmpOp, Dir, Expr, Lit, Name, NodePat, Pattern, Pos, Query, RelPat, error_at};
use crate::registry::InputError;

/// Most nodes and relationships a reader's graph may have.
pub const MAX_NODES: usize = 500;
pub const MAX_RELS: usize = 2_000;
/// Most relationship expansions one query may try before it is stopped.
pub const BUDGET: usize = 200_000;
/// Most matches one query may produce.
pub const MAX_MATCHES: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub labels: Vec<String>,
    pub props: Vec<(String, Lit)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rel {
    pub from: usize,
    pub to: usize,
    pub kind: String,
    pub props: Vec<(String, Lit)>,
}

/// The graph: nodes and relationships in creation order, with each node's outgoing and
/// incoming relationships (the adjacency a traversal follows instead of a join).
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub rels: Vec<Rel>,
    out: Vec<Vec<usize>>,
    inc: Vec<Vec<usize>>,
}

/// What a `CREATE` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Created {
    pub nodes: usize,
    pub labels: usize,
    pub rels: usize,
    pub props: usize,
}

/// A value a query computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Node(usize),
    Rel(usize),
    /// The relationships a variable-length hop walked.
    Rels(Vec<usize>),
    Path(Path),
}

/// A walk through the graph: `nodes.len() == rels.len() + 1`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Path {
    pub nodes: Vec<usize>,
    pub rels: Vec<usize>,
}

impl From<&Lit> for Value {
    fn from(lit: &Lit) -> Value {
        match lit {
            Lit::Null => Value::Null,
            Lit::Bool(b) => Value::Bool(*b),
            Lit::Int(n) => Value::Int(*n),
            Lit::Str(s) => Value::Str(s.clone()),
        }
    }
}

fn lit_text(lit: &Lit) -> String {
    match lit {
        Lit::Null => "null".to_string(),
        Lit::Bool(b) => b.to_string(),
        Lit::Int(n) => n.to_string(),
        Lit::Str(s) => format!("{s:?}"),
    }
}

impl Graph {
    fn add_node(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.out.push(Vec::new());
        self.inc.push(Vec::new());
        self.nodes.len() - 1
    }

    fn add_rel(&mut self, rel: Rel) {
        let id = self.rels.len();
        self.out[rel.from].push(id);
        self.inc[rel.to].push(id);
        self.rels.push(rel);
    }

    /// The property `key` of node `id`, if set.
    pub fn prop(&self, id: usize, key: &str) -> Option<&Lit> {
        self.nodes[id].props.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A node's short name in paths: its `name` or `title`, else `_<id>`.
    pub fn short(&self, id: usize) -> String {
        match self.prop(id, "name").or_else(|| self.prop(id, "title")) {
            Some(Lit::Str(s)) => s.clone(),
            _ => format!("_{id}"),
        }
    }

    /// Runs the patterns of a `CREATE`. Its variables name nodes within this statement only.
    pub fn create(&mut self, patterns: &[Pattern]) -> Result<Created, InputError> {
        let mut scope: Vec<(String, usize)> = Vec::new();
        let mut created = Created::default();
        for pattern in patterns {
            if let Some(p) = &pattern.path_var {
                return Err(error_at(p.pos, "a path variable in CREATE is not in this subset"));
            }
            let mut current = self.create_node(&pattern.start, &mut scope, &mut created)?;
            for (rel, node) in &pattern.steps {
                let next = self.create_node(node, &mut scope, &mut created)?;
                if rel.types.len() != 1 {
                    return Err(error_at(
                        rel.pos,
                        "a relationship in CREATE has exactly one type, as in `-[:FRIEND]->`",
                    ));
                }
                if rel.hops.is_some() {
                    return Err(error_at(rel.pos, "CREATE makes one relationship at a time: no `*`"));
                }
                let (from, to) = match rel.dir {
                    Dir::Right => (current, next),
                    Dir::Left => (next, current),
                    Dir::Either => {
                        return Err(error_at(
                            rel.pos,
                            "a relationship in CREATE needs a direction: `->` or `<-`",
                        ));
                    }
                };
                if self.rels.len() >= MAX_RELS {
                    return Err(error_at(
                        rel.pos,
                        format!("this graph is limited to {MAX_RELS} relationships"),
                    ));
                }
                let props: Vec<(String, Lit)> = rel
                    .props
                    .iter()
                    .filter(|(_, v)| *v != Lit::Null)
                    .map(|(k, v)| (k.text.clone(), v.clone()))
                    .collect();
                created.rels += 1;
                created.props += props.len();
                self.add_rel(Rel { from, to, kind: rel.types[0].text.clone(), props });
                current = next;
            }
        }
        Ok(created)
    }

    fn create_node(
        &mut self,
        pat: &NodePat,
        scope: &mut Vec<(String, usize)>,
        created: &mut Created,
    ) -> Result<usize, InputError> {
        if let Some(var) = &pat.var
            && let Some(&(_, id)) = scope.iter().find(|(v, _)| *v == var.text)
        {
            if !pat.labels.is_empty() || !pat.props.is_empty() {
                return Err(error_at(
                    pat.pos,
                    format!(
                        "`{}` is already created in this statement; refer to it as `({})`",
                        var.text, var.text
                    ),
                ));
            }
            return Ok(id);
        }
        if self.nodes.len() >= MAX_NODES {
            return Err(error_at(pat.pos, format!("this graph is limited to {MAX_NODES} nodes")));
        }
        let mut labels: Vec<String> = Vec::new();
        for l in &pat.labels {
            if !labels.contains(&l.text) {
                labels.push(l.text.clone());
            }
        }
        let props: Vec<(String, Lit)> = pat
            .props
            .iter()
            .filter(|(_, v)| *v != Lit::Null)
            .map(|(k, v)| (k.text.clone(), v.clone()))
            .collect();
        created.nodes += 1;
        created.labels += labels.len();
        created.props += props.len();
        let id = self.add_node(Node { labels, props });
        if let Some(var) = &pat.var {
            scope.push((var.text.clone(), id));
        }
        Ok(id)
    }

    /// The relationships at `node` that a hop in direction `dir` may take, with the node at
    /// their other end, in creation order (outgoing before incoming for `Either`).
    fn adjacent(&self, node: usize, dir: Dir) -> Vec<(usize, usize)> {
        let out = self.out[node].iter().map(|&r| (r, self.rels[r].to));
        let inc = self.inc[node].iter().map(|&r| (r, self.rels[r].from));
        match dir {
            Dir::Right => out.collect(),
            Dir::Left => inc.collect(),
            // A relationship from a node to itself is one match, not two.
            Dir::Either => out.chain(inc.filter(|&(r, _)| self.rels[r].from != self.rels[r].to)).collect(),
        }
    }

    fn node_fits(&self, pat: &NodePat, id: usize) -> bool {
        let node = &self.nodes[id];
        pat.labels.iter().all(|l| node.labels.contains(&l.text))
            && pat.props.iter().all(|(k, v)| node.props.iter().any(|(nk, nv)| *nk == k.text && nv == v))
    }

    fn rel_fits(&self, pat: &RelPat, id: usize) -> bool {
        let rel = &self.rels[id];
        (pat.types.is_empty() || pat.types.iter().any(|t| t.text == rel.kind))
            && pat.props.iter().all(|(k, v)| rel.props.iter().any(|(rk, rv)| *rk == k.text && rv == v))
    }
}

// ---- Matching -------------------------------------------------------------------------------

/// One way the patterns of a MATCH fit the graph: what each variable is bound to, and the
/// path each pattern walked.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub bindings: Vec<(String, Value)>,
    pub paths: Vec<Path>,
}

impl Match {
    pub fn get(&self, var: &str) -> Option<&Value> {
        self.bindings.iter().find(|(v, _)| v == var).map(|(_, value)| value)
    }
}

/// Why matching stopped early.
enum Stop {
    /// Enough matches were found (a pattern predicate needs one).
    Enough,
    /// Over [`BUDGET`] expansions or [`MAX_MATCHES`] matches.
    TooMuch,
}

struct Matcher<'g> {
    g: &'g Graph,
    patterns: &'g [Pattern],
    /// Expansions left.
    budget: usize,
    /// Stop after this many matches.
    want: usize,
    bindings: Vec<(String, Value)>,
    used: Vec<usize>,
    done: Vec<Path>,
    walk: Path,
    found: Vec<Match>,
}

impl Matcher<'_> {
    fn lookup(&self, var: &str) -> Option<&Value> {
        self.bindings.iter().rev().find(|(v, _)| v == var).map(|(_, value)| value)
    }

    /// Binds `var` to `value` for the duration of `then`, or checks it against its binding.
    fn bind(
        &mut self,
        var: Option<&Name>,
        value: Value,
        then: impl FnOnce(&mut Self) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        match var {
            None => then(self),
            Some(name) => match self.lookup(&name.text) {
                Some(bound) if *bound == value => then(self),
                Some(_) => Ok(()),
                None => {
                    self.bindings.push((name.text.clone(), value));
                    let result = then(self);
                    self.bindings.pop();
                    result
                }
            },
        }
    }

    fn pattern(&mut self, pi: usize) -> Result<(), Stop> {
        if pi == self.patterns.len() {
            if self.found.len() >= MAX_MATCHES {
                return Err(Stop::TooMuch);
            }
            self.found.push(Match { bindings: self.bindings.clone(), paths: self.done.clone() });
            return if self.found.len() >= self.want { Err(Stop::Enough) } else { Ok(()) };
        }
        let patterns = self.patterns;
        let start = &patterns[pi].start;
        let candidates: Vec<usize> = match start.var.as_ref().and_then(|v| self.lookup(&v.text)) {
            Some(Value::Node(id)) => vec![*id],
            Some(_) => Vec::new(),
            None => (0..self.g.nodes.len()).collect(),
        };
        for id in candidates {
            if !self.g.node_fits(start, id) {
                continue;
            }
            self.bind(start.var.as_ref(), Value::Node(id), |m| {
                m.walk = Path { nodes: vec![id], rels: Vec::new() };
                m.step(pi, 0, id)
            })?;
        }
        Ok(())
    }

    // ANCHOR: step
    /// Extends pattern `pi` from node `at` by its step `si` (one hop, or a variable-length
    /// one), then goes on with the next step or the next pattern.
    fn step(&mut self, pi: usize, si: usize, at: usize) -> Result<(), Stop> {
        let patterns = self.patterns;
        let pattern = &patterns[pi];
        if si == pattern.steps.len() {
            let walk = self.walk.clone();
            let value = Value::Path(walk.clone());
            return self.bind(pattern.path_var.as_ref(), value, |m| {
                m.done.push(walk);
                let result = m.pattern(pi + 1);
                m.done.pop();
                result
            });
        }
        let (rel, node) = &pattern.steps[si];
        match rel.hops {
            None => {
                for (r, next) in self.g.adjacent(at, rel.dir) {
                    if !self.take(rel, r)? || !self.g.node_fits(node, next) {
                        continue;
                    }
                    self.bind(rel.var.as_ref(), Value::Rel(r), |m| {
                        m.bind(node.var.as_ref(), Value::Node(next), |m| {
                            m.advance(r, next, |m| m.step(pi, si + 1, next))
                        })
                    })?;
                }
                Ok(())
            }
            Some((min, max)) => self.trail(pi, si, at, 0, min, max, &mut Vec::new()),
        }
    }

    /// A variable-length hop, depth first: every trail of `min..=max` relationships from `at`
    /// (no relationship twice, [`Matcher::used`] included) that ends on a node the pattern
    /// accepts.
    #[allow(clippy::too_many_arguments)]
    fn trail(
        &mut self,
        pi: usize,
        si: usize,
        at: usize,
        depth: u32,
        min: u32,
        max: Option<u32>,
        walked: &mut Vec<usize>,
    ) -> Result<(), Stop> {
        let patterns = self.patterns;
        let (rel, node) = &patterns[pi].steps[si];
        if depth >= min && self.g.node_fits(node, at) {
            let rels = Value::Rels(walked.clone());
            self.bind(rel.var.as_ref(), rels, |m| {
                m.bind(node.var.as_ref(), Value::Node(at), |m| m.step(pi, si + 1, at))
            })?;
        }
        if max.is_some_and(|max| depth >= max) {
            return Ok(());
        }
        for (r, next) in self.g.adjacent(at, rel.dir) {
            if !self.take(rel, r)? {
                continue;
            }
            walked.push(r);
            self.advance(r, next, |m| m.trail(pi, si, next, depth + 1, min, max, walked))?;
            walked.pop();
        }
        Ok(())
    }
    // ANCHOR_END: step

    /// Whether relationship `r` may be taken by `rel` here: it fits, and this MATCH has not
    /// used it yet. Each call spends one unit of the budget.
    fn take(&mut self, rel: &RelPat, r: usize) -> Result<bool, Stop> {
        if self.budget == 0 {
            return Err(Stop::TooMuch);
        }
        self.budget -= 1;
        Ok(self.g.rel_fits(rel, r) && !self.used.contains(&r))
    }

    /// Walks relationship `r` to `next` for the duration of `then`.
    fn advance(
        &mut self,
        r: usize,
        next: usize,
        then: impl FnOnce(&mut Self) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.used.push(r);
        self.walk.rels.push(r);
        self.walk.nodes.push(next);
        let result = then(self);
        self.walk.nodes.pop();
        self.walk.rels.pop();
        self.used.pop();
        result
    }
}

/// Every match of `patterns` in `g` that agrees with `bindings`, up to `want`; `None` when the
/// work budget ran out.
fn find_matches(
    g: &Graph,
    patterns: &[Pattern],
    bindings: Vec<(String, Value)>,
    want: usize,
    budget: &mut usize,
) -> Option<Vec<Match>> {
    let mut m = Matcher {
        g,
        patterns,
        budget: *budget,
        want,
        bindings,
        used: Vec::new(),
        done: Vec::new(),
        walk: Path::default(),
        found: Vec::new(),
    };
    let result = m.pattern(0);
    *budget = m.budget;
    match result {
        Ok(()) | Err(Stop::Enough) => Some(m.found),
        Err(Stop::TooMuch) => None,
    }
}

// ---- Checking a query -----------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Node,
    Rel,
    Rels,
    Path,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Node => "a node",
            Kind::Rel => "a relationship",
            Kind::Rels => "a list of relationships",
            Kind::Path => "a path",
        }
    }
}

fn declare(scope: &mut Vec<(String, Kind, Pos)>, name: &Name, kind: Kind) -> Result<(), InputError> {
    match scope.iter().find(|(v, _, _)| *v == name.text) {
        Some(&(_, Kind::Node, _)) if kind == Kind::Node => Ok(()),
        Some(&(_, earlier, pos)) => Err(error_at(
            name.pos,
            format!(
                "`{}` is already {} (line {}, column {}); {}",
                name.text,
                earlier.word(),
                pos.line,
                pos.column,
                if earlier == kind && kind != Kind::Node {
                    "a relationship or path variable is bound once per MATCH"
                } else {
                    "a variable has one kind"
                }
            ),
        )),
        None => {
            scope.push((name.text.clone(), kind, name.pos));
            Ok(())
        }
    }
}

fn declare_pattern(scope: &mut Vec<(String, Kind, Pos)>, pattern: &Pattern) -> Result<(), InputError> {
    if let Some(p) = &pattern.path_var {
        declare(scope, p, Kind::Path)?;
    }
    let nodes = std::iter::once(&pattern.start).chain(pattern.steps.iter().map(|(_, n)| n));
    for node in nodes {
        if let Some(v) = &node.var {
            declare(scope, v, Kind::Node)?;
        }
    }
    for (rel, _) in &pattern.steps {
        if let Some(v) = &rel.var {
            declare(scope, v, if rel.hops.is_some() { Kind::Rels } else { Kind::Rel })?;
        }
    }
    Ok(())
}

/// Every variable an expression uses is declared by the MATCH; a pattern in WHERE may only use
/// variables the MATCH declared (it tests them, it binds nothing new).
fn check_expr(scope: &[(String, Kind, Pos)], expr: &Expr) -> Result<(), InputError> {
    let known = |name: &Name| -> Result<Kind, InputError> {
        scope
            .iter()
            .find(|(v, _, _)| *v == name.text)
            .map(|(_, k, _)| *k)
            .ok_or_else(|| error_at(name.pos, format!("variable `{}` is not defined", name.text)))
    };
    match expr {
        Expr::Lit(_) => Ok(()),
        Expr::Var(v) => known(v).map(|_| ()),
        Expr::Prop(v, _) => known(v).map(|_| ()),
        Expr::Cmp(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
            check_expr(scope, a)?;
            check_expr(scope, b)
        }
        Expr::Not(a) | Expr::IsNull(a, _) => check_expr(scope, a),
        Expr::Length(a) => match &**a {
            Expr::Var(v) if matches!(known(v)?, Kind::Path | Kind::Rels) => Ok(()),
            Expr::Var(v) => {
                Err(error_at(v.pos, format!("length(…) takes a path; `{}` is {}", v.text, known(v)?.word())))
            }
            other => check_expr(scope, other),
        },
        Expr::Exists(pattern) => {
            let names = std::iter::once(&pattern.start)
                .chain(pattern.steps.iter().map(|(_, n)| n))
                .filter_map(|n| n.var.as_ref())
                .chain(pattern.steps.iter().filter_map(|(r, _)| r.var.as_ref()))
                .chain(pattern.path_var.iter());
            for name in names {
                if known(name).is_err() {
                    return Err(error_at(
                        name.pos,
                        format!(
                            "a pattern in WHERE cannot introduce a new variable (`{}`); leave it unnamed",
                            name.text
                        ),
                    ));
                }
            }
            Ok(())
        }
    }
}

/// An expression as text without positions, to tell whether ORDER BY repeats a return item.
fn canonical(expr: &Expr) -> String {
    match expr {
        Expr::Lit(l) => lit_text(l),
        Expr::Var(v) => v.text.clone(),
        Expr::Prop(v, k) => format!("{}.{}", v.text, k.text),
        Expr::Cmp(op, a, b) => format!("({} {op:?} {})", canonical(a), canonical(b)),
        Expr::And(a, b) => format!("({} AND {})", canonical(a), canonical(b)),
        Expr::Or(a, b) => format!("({} OR {})", canonical(a), canonical(b)),
        Expr::Not(a) => format!("NOT {}", canonical(a)),
        Expr::IsNull(a, negated) => format!("{} IS {}NULL", canonical(a), if *negated { "NOT " } else { "" }),
        Expr::Exists(p) => format!("{p:?}"),
        Expr::Length(a) => format!("length({})", canonical(a)),
    }
}

// ---- Evaluating -----------------------------------------------------------------------------

/// A runtime error of a query, reported at the query's start.
fn type_error(at: Pos, message: String) -> InputError {
    error_at(at, message)
}

struct Eval<'g> {
    g: &'g Graph,
    at: Pos,
    budget: usize,
}

impl Eval<'_> {
    fn value(&mut self, m: &Match, expr: &Expr) -> Result<Value, InputError> {
        Ok(match expr {
            Expr::Lit(l) => Value::from(l),
            Expr::Var(v) => m.get(&v.text).cloned().unwrap_or(Value::Null),
            Expr::Prop(v, key) => {
                let props = match m.get(&v.text) {
                    Some(Value::Node(id)) => &self.g.nodes[*id].props,
                    Some(Value::Rel(id)) => &self.g.rels[*id].props,
                    _ => return Ok(Value::Null),
                };
                props.iter().find(|(k, _)| *k == key.text).map_or(Value::Null, |(_, v)| Value::from(v))
            }
            Expr::Cmp(op, a, b) => compare(*op, &self.value(m, a)?, &self.value(m, b)?),
            Expr::And(a, b) => {
                let (a, b) = (self.truth(m, a)?, self.truth(m, b)?);
                match (a, b) {
                    (Some(false), _) | (_, Some(false)) => Value::Bool(false),
                    (Some(true), Some(true)) => Value::Bool(true),
                    _ => Value::Null,
                }
            }
            Expr::Or(a, b) => {
                let (a, b) = (self.truth(m, a)?, self.truth(m, b)?);
                match (a, b) {
                    (Some(true), _) | (_, Some(true)) => Value::Bool(true),
                    (Some(false), Some(false)) => Value::Bool(false),
                    _ => Value::Null,
                }
            }
            Expr::Not(a) => self.truth(m, a)?.map_or(Value::Null, |b| Value::Bool(!b)),
            Expr::IsNull(a, negated) => Value::Bool((self.value(m, a)? == Value::Null) != *negated),
            Expr::Exists(pattern) => {
                let found = find_matches(
                    self.g,
                    std::slice::from_ref(&**pattern),
                    m.bindings.clone(),
                    1,
                    &mut self.budget,
                )
                .ok_or_else(|| too_much(self.at))?;
                Value::Bool(!found.is_empty())
            }
            Expr::Length(a) => match self.value(m, a)? {
                Value::Path(p) => Value::Int(p.rels.len() as i64),
                Value::Rels(r) => Value::Int(r.len() as i64),
                _ => Value::Null,
            },
        })
    }

    /// A condition: `Some(true)`, `Some(false)`, or `None` for null (unknown).
    fn truth(&mut self, m: &Match, expr: &Expr) -> Result<Option<bool>, InputError> {
        match self.value(m, expr)? {
            Value::Bool(b) => Ok(Some(b)),
            Value::Null => Ok(None),
            other => Err(type_error(
                self.at,
                format!(
                    "a condition must be true, false or null, and `{}` is {}",
                    canonical(expr),
                    type_name(&other)
                ),
            )),
        }
    }
}

fn too_much(at: Pos) -> InputError {
    error_at(
        at,
        format!(
            "this query tried more than {BUDGET} relationship steps or found more than {MAX_MATCHES} matches; bound its `*` or narrow its pattern"
        ),
    )
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Str(_) => "a string",
        Value::Node(_) => "a node",
        Value::Rel(_) => "a relationship",
        Value::Rels(_) => "a list of relationships",
        Value::Path(_) => "a path",
    }
}

/// Cypher's comparison: null with anything is null; `=` between different types is false;
/// `<` and friends compare integers with integers and strings with strings, else null.
fn compare(op: CmpOp, a: &Value, b: &Value) -> Value {
    use std::cmp::Ordering;
    if *a == Value::Null || *b == Value::Null {
        return Value::Null;
    }
    let order: Option<Ordering> = match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    };
    match op {
        CmpOp::Eq => Value::Bool(a == b),
        CmpOp::Ne => Value::Bool(a != b),
        _ => match order {
            None => Value::Null,
            Some(o) => Value::Bool(match op {
                CmpOp::Lt => o.is_lt(),
                CmpOp::Le => o.is_le(),
                CmpOp::Gt => o.is_gt(),
                CmpOp::Ge => o.is_ge(),
                CmpOp::Eq | CmpOp::Ne => unreachable!(),
            }),
        },
    }
}

/// The sort order of ORDER BY: nodes, relationships and paths (by id), then strings, booleans,
/// integers, and null last.
fn sort_cmp(a: &Value, b: &Value) -> std::cmp::Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Node(_) | Value::Rel(_) | Value::Rels(_) | Value::Path(_) => 0,
            Value::Str(_) => 1,
            Value::Bool(_) => 2,
            Value::Int(_) => 3,
            Value::Null => 4,
        }
    }
    rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Node(x), Value::Node(y)) | (Value::Rel(x), Value::Rel(y)) => x.cmp(y),
        (Value::Rels(x), Value::Rels(y)) => x.cmp(y),
        (Value::Path(x), Value::Path(y)) => x.rels.cmp(&y.rels).then(x.nodes.cmp(&y.nodes)),
        _ => std::cmp::Ordering::Equal,
    })
}

/// What a query found: every match of its patterns (and whether WHERE kept it) and the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub matches: Vec<(Match, bool)>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Rows DISTINCT removed.
    pub duplicates: usize,
}

// ANCHOR: run_query
/// Runs a query: match the patterns, keep the matches WHERE is true for, project the RETURN
/// items, drop duplicates (DISTINCT), sort (ORDER BY) and cut (LIMIT).
pub fn run_query(g: &Graph, q: &Query, at: Pos) -> Result<Answer, InputError> {
    let mut scope = Vec::new();
    for pattern in &q.patterns {
        declare_pattern(&mut scope, pattern)?;
    }
    for expr in q.filter.iter().chain(q.items.iter().map(|i| &i.expr)) {
        check_expr(&scope, expr)?;
    }
    // A sort key is a returned column (by alias or by expression) or, without DISTINCT, any
    // expression over the match.
    let mut keys = Vec::new();
    for (expr, descending) in &q.order {
        let column = q.items.iter().position(|i| match expr {
            Expr::Var(v) if v.text == i.column => true,
            _ => canonical(expr) == canonical(&i.expr),
        });
        match column {
            Some(c) => keys.push((Ok(c), *descending)),
            None if q.distinct => {
                return Err(error_at(
                    at,
                    format!(
                        "with DISTINCT, ORDER BY may only use returned columns, not `{}`",
                        canonical(expr)
                    ),
                ));
            }
            None => {
                check_expr(&scope, expr)?;
                keys.push((Err(expr), *descending));
            }
        }
    }

    let mut budget = BUDGET;
    let found =
        find_matches(g, &q.patterns, Vec::new(), usize::MAX, &mut budget).ok_or_else(|| too_much(at))?;
    let mut eval = Eval { g, at, budget };
    let mut matches = Vec::new();
    let mut rows: Vec<(Vec<Value>, Vec<Value>)> = Vec::new();
    for m in found {
        let kept = match &q.filter {
            None => true,
            Some(cond) => eval.truth(&m, cond)? == Some(true),
        };
        if kept {
            let row: Vec<Value> =
                q.items.iter().map(|i| eval.value(&m, &i.expr)).collect::<Result<_, _>>()?;
            let sort: Vec<Value> = keys
                .iter()
                .map(|(key, _)| match key {
                    Ok(c) => Ok(row[*c].clone()),
                    Err(expr) => eval.value(&m, expr),
                })
                .collect::<Result<_, _>>()?;
            rows.push((row, sort));
        }
        matches.push((m, kept));
    }
    let before = rows.len();
    if q.distinct {
        let mut seen: Vec<Vec<Value>> = Vec::new();
        rows.retain(|(row, _)| {
            let new = !seen.contains(row);
            if new {
                seen.push(row.clone());
            }
            new
        });
    }
    let duplicates = before - rows.len();
    rows.sort_by(|(_, a), (_, b)| {
        keys.iter()
            .zip(a.iter().zip(b))
            .map(|((_, descending), (x, y))| if *descending { sort_cmp(y, x) } else { sort_cmp(x, y) })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    if let Some(limit) = q.limit {
        rows.truncate(limit);
    }
    let columns = q.items.iter().map(|i| i.column.clone()).collect();
    Ok(Answer { matches, columns, rows: rows.into_iter().map(|(row, _)| row).collect(), duplicates })
}
// ANCHOR_END: run_query

// ---- Showing results ------------------------------------------------------------------------

/// A value as cypher-shell prints it (nodes in full; paths with short names).
pub fn show(g: &Graph, v: &Value) -> String {
    let props = |props: &[(String, Lit)]| {
        if props.is_empty() {
            String::new()
        } else {
            let inner: Vec<String> = props.iter().map(|(k, v)| format!("{k}: {}", lit_text(v))).collect();
            format!(" {{{}}}", inner.join(", "))
        }
    };
    match v {
        Value::Null => "NULL".to_string(),
        Value::Bool(b) => b.to_string().to_uppercase(),
        Value::Int(n) => n.to_string(),
        Value::Str(s) => format!("{s:?}"),
        Value::Node(id) => {
            let n = &g.nodes[*id];
            let labels: String = n.labels.iter().map(|l| format!(":{l}")).collect();
            format!("({labels}{})", props(&n.props))
        }
        Value::Rel(id) => format!("[:{}{}]", g.rels[*id].kind, props(&g.rels[*id].props)),
        Value::Rels(ids) => {
            let inner: Vec<String> = ids.iter().map(|id| show(g, &Value::Rel(*id))).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Path(p) => path_text(g, p),
    }
}

/// `(Ann)-[:FRIEND]->(Bob)<-[:FRIEND]-(Cat)`: each relationship drawn the way it points.
pub fn path_text(g: &Graph, p: &Path) -> String {
    let mut out = format!("({})", g.short(p.nodes[0]));
    for (i, &r) in p.rels.iter().enumerate() {
        let rel = &g.rels[r];
        let forward = rel.from == p.nodes[i];
        let (l, rr) = if forward { ("-", "->") } else { ("<-", "-") };
        let _ = write!(out, "{l}[:{}]{rr}({})", rel.kind, g.short(p.nodes[i + 1]));
    }
    out
}

/// Rows as cypher-shell draws them: a boxed table.
pub fn table(g: &Graph, columns: &[String], rows: &[Vec<Value>], max_rows: usize) -> String {
    let cells: Vec<Vec<String>> =
        rows.iter().take(max_rows).map(|r| r.iter().map(|v| show(g, v)).collect()).collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(c, name)| {
            cells.iter().map(|r| r[c].chars().count()).chain([name.chars().count()]).max().unwrap_or(0)
        })
        .collect();
    let rule: String = widths.iter().map(|w| format!("+{}", "-".repeat(w + 2))).collect::<String>() + "+\n";
    let line = |values: Vec<&str>| -> String {
        values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("| {v}{} ", " ".repeat(w - v.chars().count())))
            .collect::<String>()
            + "|\n"
    };
    let mut out = rule.clone();
    out.push_str(&line(columns.iter().map(String::as_str).collect()));
    out.push_str(&rule);
    for row in &cells {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out.push_str(&rule);
    if rows.len() > max_rows {
        let _ = writeln!(out, "… {} more rows", rows.len() - max_rows);
    }
    let _ = writeln!(out, "{} row{}", rows.len(), if rows.len() == 1 { "" } else { "s" });
    out
}

#[cfg(test)]
mod tests {
    use super::super::cypher::{StatementKind, parse};
    use super::*;

    /// Runs a script and returns the graph and the answers of its queries.
    fn run(script: &str) -> Result<(Graph, Vec<Answer>), InputError> {
        let mut g = Graph::default();
        let mut answers = Vec::new();
        for s in parse(script)? {
            match &s.kind {
                StatementKind::Create(p) => {
                    g.create(p)?;
                }
                StatementKind::Query(q) => answers.push(run_query(&g, q, s.pos)?),
            }
        }
        Ok((g, answers))
    }

    /// The rows of the last query, each cell shown, cells joined by ", ".
    fn rows(script: &str) -> Vec<String> {
        let (g, answers) = run(script).unwrap_or_else(|e| panic!("{e}"));
        let a = answers.last().unwrap();
        a.rows.iter().map(|r| r.iter().map(|v| show(&g, v)).collect::<Vec<_>>().join(", ")).collect()
    }

    /// A small graph, drawn by hand:
    /// a → b, a → c, b → c, b → d, c → a, c → d, d → e, e → f (all :F); a -[:G]-> e.
    const G: &str = "CREATE (a:P {name: 'a'}), (b:P {name: 'b'}), (c:P {name: 'c'}), (d:P {name: 'd'}),
        (e:P {name: 'e'}), (f:Q {name: 'f'}),
        (a)-[:F {w: 1}]->(b), (a)-[:F {w: 2}]->(c), (b)-[:F]->(c), (b)-[:F]->(d), (c)-[:F]->(a),
        (c)-[:F]->(d), (d)-[:F]->(e), (e)-[:F]->(f), (a)-[:G]->(e);\n";

    #[test]
    fn two_hops_in_creation_order_and_where_drops_the_way_back() {
        let q = "MATCH (x {name: 'a'})-[:F]->(y)-[:F]->(z) RETURN y.name, z.name";
        assert_eq!(rows(&format!("{G}{q}")), [r#""b", "c""#, r#""b", "d""#, r#""c", "a""#, r#""c", "d""#]);
        let q = "MATCH (x {name: 'a'})-[:F]->()-[:F]->(z) WHERE z <> x RETURN DISTINCT z.name";
        assert_eq!(rows(&format!("{G}{q}")), [r#""c""#, r#""d""#]);
        let (_, answers) = run(&format!("{G}{q}")).unwrap();
        assert_eq!(answers[0].matches.iter().filter(|(_, kept)| !kept).count(), 1);
        assert_eq!(answers[0].duplicates, 1);
    }

    #[test]
    fn variable_length_walks_trails_within_the_bounds() {
        // From a, by hand, depth first: a→b (b), a→b→c (c), a→b→c→a (a), a→b→c→d (d),
        // a→b→d (d), a→b→d→e (e), a→c (c), a→c→a (a), a→c→a→b (b; a→c is used, so not c
        // again), a→c→d (d), a→c→d→e (e).
        let q = "MATCH (x {name: 'a'})-[:F*1..3]->(z) RETURN z.name";
        let got = rows(&format!("{G}{q}"));
        assert_eq!(got.len(), 11, "{got:?}");
        let q = "MATCH (x {name: 'a'})-[:F*1..3]->(z) WHERE z <> x RETURN DISTINCT z.name ORDER BY z.name";
        assert_eq!(rows(&format!("{G}{q}")), [r#""b""#, r#""c""#, r#""d""#, r#""e""#]);
        // f is four hops away.
        let q = "MATCH (x {name: 'a'})-[:F*4]->(z:Q) RETURN DISTINCT z.name";
        assert_eq!(rows(&format!("{G}{q}")), [r#""f""#]);
        // *0..1 includes the start itself.
        let q = "MATCH (x {name: 'e'})-[:F*0..1]->(z) RETURN z.name";
        assert_eq!(rows(&format!("{G}{q}")), [r#""e""#, r#""f""#]);
        // A trail never reuses a relationship: a→c→a is fine, a→c→a→c is not.
        let q = "MATCH p = (x {name: 'a'})-[:F*]->(x) RETURN length(p) ORDER BY length(p)";
        assert_eq!(rows(&format!("{G}{q}")), ["2", "3"]);
    }

    #[test]
    fn directions_types_and_properties_filter_relationships() {
        let q = "MATCH (x {name: 'c'})<-[:F]-(y) RETURN y.name";
        assert_eq!(rows(&format!("{G}{q}")), [r#""a""#, r#""b""#]);
        let q = "MATCH (x {name: 'e'})-[:F]-(y) RETURN y.name";
        assert_eq!(rows(&format!("{G}{q}")), [r#""f""#, r#""d""#]);
        let q = "MATCH (x)-[:F|G]->(y {name: 'e'}) RETURN x.name";
        assert_eq!(rows(&format!("{G}{q}")), [r#""a""#, r#""d""#]);
        let q = "MATCH (x)-[r:F {w: 2}]->(y) RETURN x.name, r, y";
        assert_eq!(rows(&format!("{G}{q}")), [r#""a", [:F {w: 2}], (:P {name: "c"})"#]);
    }

    #[test]
    fn a_pattern_in_where_and_three_valued_logic() {
        let q = "MATCH (x {name: 'a'})-[:F]->()-[:F]->(z) WHERE z <> x AND NOT (x)-[:F]->(z) RETURN DISTINCT z.name";
        assert_eq!(rows(&format!("{G}{q}")), [r#""d""#]);
        // A missing property is null: `= 1` is null, so the row is not kept, and NOT null is null.
        let q = "MATCH (x)-[r:F]->(y) WHERE NOT r.w = 1 RETURN y.name";
        assert_eq!(rows(&format!("{G}{q}")), [r#""c""#]);
        let q = "MATCH (x)-[r:F]->(y) WHERE r.w IS NULL OR r.w > 1 RETURN count";
        assert!(run(&format!("{G}{q}")).is_err());
    }

    #[test]
    fn several_patterns_share_variables_and_never_reuse_a_relationship() {
        let q = "MATCH (x)-[:F]->(m), (m)-[:F]->(x) RETURN x.name, m.name";
        assert_eq!(rows(&format!("{G}{q}")), [r#""a", "c""#, r#""c", "a""#]);
        let q = "MATCH (x)-[:F]->(y), (x)-[:F]->(y) RETURN x.name";
        assert!(rows(&format!("{G}{q}")).is_empty());
    }

    #[test]
    fn order_by_and_limit() {
        let q = "MATCH (x:P) RETURN x.name AS n ORDER BY n DESC LIMIT 2";
        assert_eq!(rows(&format!("{G}{q}")), [r#""e""#, r#""d""#]);
        let q = "MATCH (x)-[r:F]->(y) WHERE r.w IS NOT NULL RETURN y.name ORDER BY r.w DESC";
        assert_eq!(rows(&format!("{G}{q}")), [r#""c""#, r#""b""#]);
        // Null sorts last going up, so first going down.
        let q = "MATCH (x)-[r:F]->(y) RETURN r.w ORDER BY r.w DESC LIMIT 2";
        assert_eq!(rows(&format!("{G}{q}")), ["NULL", "NULL"]);
        let q = "MATCH (x)-[r:F]->(y) RETURN r.w ORDER BY r.w LIMIT 2";
        assert_eq!(rows(&format!("{G}{q}")), ["1", "2"]);
    }

    #[test]
    fn checks_name_the_variable_and_its_place() {
        let err = |q: &str| run(&format!("{G}{q}")).unwrap_err().to_string();
        assert_eq!(err("MATCH (x) RETURN y.name"), "input line 5: column 18: variable `y` is not defined");
        assert_eq!(
            err("MATCH (x)-[:F]->(y) WHERE (x)-[:F]->(z) RETURN x"),
            "input line 5: column 38: a pattern in WHERE cannot introduce a new variable (`z`); leave it unnamed"
        );
        assert_eq!(
            err("MATCH (x)-[x:F]->(y) RETURN x"),
            "input line 5: column 12: `x` is already a node (line 5, column 8); a variable has one kind"
        );
        assert_eq!(
            err("MATCH (x) RETURN DISTINCT x.name ORDER BY x.age"),
            "input line 5: column 1: with DISTINCT, ORDER BY may only use returned columns, not `x.age`"
        );
        assert_eq!(
            err("MATCH (x) WHERE x.name RETURN x"),
            "input line 5: column 1: a condition must be true, false or null, and `x.name` is a string"
        );
        assert_eq!(
            err("MATCH (x) RETURN length(x)"),
            "input line 5: column 25: length(…) takes a path; `x` is a node"
        );
        assert_eq!(
            run("CREATE (a:P), (a:P)").unwrap_err().to_string(),
            "input line 1: column 15: `a` is already created in this statement; refer to it as `(a)`"
        );
        assert_eq!(
            run("CREATE (a)-[:F]-(b)").unwrap_err().to_string(),
            "input line 1: column 11: a relationship in CREATE needs a direction: `->` or `<-`"
        );
        assert_eq!(
            run("CREATE (a)-[]->(b)").unwrap_err().to_string(),
            "input line 1: column 11: a relationship in CREATE has exactly one type, as in `-[:FRIEND]->`"
        );
    }

    #[test]
    fn a_runaway_pattern_is_stopped_by_the_budget() {
        // A complete graph on 12 nodes has astronomically many trails.
        let mut script = String::from("CREATE ");
        let names: Vec<String> = (0..12).map(|i| format!("(n{i}:N)")).collect();
        script.push_str(&names.join(", "));
        for i in 0..12 {
            for j in 0..12 {
                if i != j {
                    script.push_str(&format!(", (n{i})-[:E]->(n{j})"));
                }
            }
        }
        script.push_str(";\nMATCH (a)-[:E*]->(b) RETURN b");
        let err = run(&script).unwrap_err().to_string();
        assert!(err.starts_with("input line 2: column 1: this query tried more than"), "{err}");
    }

    #[test]
    fn create_counts_and_variables_are_per_statement() {
        let mut g = Graph::default();
        let s = parse("CREATE (a:P:P {x: 1, y: null})<-[:R {k: 'v'}]-(b)").unwrap();
        let StatementKind::Create(p) = &s[0].kind else { panic!() };
        assert_eq!(g.create(p).unwrap(), Created { nodes: 2, labels: 1, rels: 1, props: 2 });
        assert_eq!((g.rels[0].from, g.rels[0].to), (1, 0));
        // A later statement's `(a)` is a new node.
        let s = parse("CREATE (a)").unwrap();
        let StatementKind::Create(p) = &s[0].kind else { panic!() };
        g.create(p).unwrap();
        assert_eq!(g.nodes.len(), 3);
    }
}
