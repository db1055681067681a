//! A tiny SPARQL evaluator over Turtle data, enough for the chapter's questions: the data in a
//! subset of Turtle (`@prefix`, `a`, `;`, `,`, IRIs, prefixed names, strings, integers), then
//! `SELECT [DISTINCT] ?v … WHERE { triple patterns . FILTER(…) } [ORDER BY …] [LIMIT n]`
//! queries with SPARQL 1.1 property paths (`p/q`, `p|q`, `^p`, `p+`, `p*`, `p?`). Basic graph
//! patterns join in order; `+`, `*` and `?` give each node once, as SPARQL 1.1 defines
//! arbitrary-length paths; `/` and `|` keep duplicates, as their translation to plain triple
//! patterns does. No OPTIONAL, UNION, GRAPH, blank nodes, datatypes or language tags: those
//! are refused by name or as unexpected, with line and column.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

use super::cypher::{Pos, error_at};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "datamodels::sparql",
    title: "Friends of friends in SPARQL, over the dataset's triples",
    file: file!(),
    default_input: concat!(
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix ex: <http://example.org/social/> .

ex:ann a foaf:Person ;
    foaf:name \"Ann\" ;
    ex:city \"Oslo\" ;
    foaf:knows ex:bob, ex:cat .

ex:bob a foaf:Person ;
    foaf:name \"Bob\" ;
    ex:city \"Lima\" ;
    foaf:knows ex:cat, ex:dan .

ex:cat a foaf:Person ;
    foaf:name \"Cat\" ;
    ex:city \"Oslo\" ;
    foaf:knows ex:ann, ex:dan .

ex:dan a foaf:Person ;
    foaf:name \"Dan\" ;
    ex:city \"Pune\" ;
    foaf:knows ex:eve .

ex:eve a foaf:Person ;
    foaf:name \"Eve\" ;
    ex:city \"Lima\" ;
    foaf:knows ex:fay .

ex:fay a foaf:Person ;
    foaf:name \"Fay\" ;
    ex:city \"Oslo\" .

ex:p1 a ex:Post ;
    ex:title \"B-trees by hand\" ;
    ex:topic \"databases\" ;
    ex:author ex:ann .

ex:p2 a ex:Post ;
    ex:title \"Trail to Preikestolen\" ;
    ex:topic \"hiking\" ;
    ex:author ex:ann .

ex:p3 a ex:Post ;
    ex:title \"Borrowing without tears\" ;
    ex:topic \"rust\" ;
    ex:author ex:bob .

ex:p4 a ex:Post ;
    ex:title \"JSONB or tables?\" ;
    ex:topic \"databases\" ;
    ex:author ex:cat .

ex:p5 a ex:Post ;
    ex:title \"Async Rust in practice\" ;
    ex:topic \"rust\" ;
    ex:author ex:dan .

ex:p6 a ex:Post ;
    ex:title \"Ceviche for ten\" ;
    ex:topic \"cooking\" ;
    ex:author ex:eve .
",
        "
# The queries start at the first line that begins with PREFIX or SELECT.
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT DISTINCT ?name
WHERE {
  ?a foaf:name \"Ann\" .
  ?a foaf:knows ?b .
  ?b foaf:knows ?c .
  ?c foaf:name ?name .
  FILTER (?c != ?a)
}
ORDER BY ?name

# The same two hops as one property path; and everyone reachable (SPARQL 1.1 has no {1,3}).
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?name
WHERE { ?a foaf:name \"Ann\" ; foaf:knows/foaf:knows ?c . ?c foaf:name ?name . FILTER (?c != ?a) }
ORDER BY ?name

PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?name
WHERE { ?a foaf:name \"Ann\" ; foaf:knows+ ?c . ?c foaf:name ?name . FILTER (?c != ?a) }
ORDER BY ?name
"
    ),
    input_help: "Turtle data (@prefix, `a`, `;`, `,`, IRIs, prefix:names, \"strings\", integers), then SPARQL \
queries from the first line starting with PREFIX or SELECT: SELECT [DISTINCT] ?v… WHERE { patterns . FILTER (…) } \
[ORDER BY ?v|DESC(?v)] [LIMIT n]; paths p/q, p|q, ^p, p+, p*, p?; `#` comments",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

/// Most triples the data may have, and most solutions a query may build.
const MAX_TRIPLES: usize = 5_000;
const MAX_SOLUTIONS: usize = 20_000;
/// Most triples (and nodes) a query may look at.
const BUDGET: usize = 500_000;

// ---- Tokens ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Iri(String),
    /// `prefix:local` (either may be empty).
    Pname(String, String),
    Var(String),
    Str(String),
    Int(i64),
    /// A bare word: a keyword, `a`, `true`, `false`, or `@prefix`.
    Word(String),
    Punct(&'static str),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: Pos,
}

const PUNCTS: [&str; 20] =
    ["!=", "<=", ">=", "&&", "||", "{", "}", "(", ")", ".", ";", ",", "/", "|", "^", "+", "*", "?", "=", "!"];

fn describe(t: &Tok) -> String {
    match t {
        Tok::Iri(i) => format!("<{i}>"),
        Tok::Pname(p, l) => format!("`{p}:{l}`"),
        Tok::Var(v) => format!("`?{v}`"),
        Tok::Str(_) => "a string".to_string(),
        Tok::Int(n) => format!("`{n}`"),
        Tok::Word(w) => format!("`{w}`"),
        Tok::Punct(p) => format!("`{p}`"),
        Tok::End => "the end of the input".to_string(),
    }
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Tokens of `text`, which starts at line `first_line` of the input; `#` starts a comment.
fn tokens(text: &str, first_line: usize) -> Result<Vec<Token>, InputError> {
    let chars: Vec<char> = text.chars().collect();
    let (mut i, mut line, mut column) = (0, first_line, 1);
    let mut out = Vec::new();
    let advance = |i: &mut usize, line: &mut usize, column: &mut usize, n: usize| {
        for _ in 0..n {
            if chars[*i] == '\n' {
                *line += 1;
                *column = 1;
            } else {
                *column += 1;
            }
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, column };
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let (tok, len) = if c.is_whitespace() {
            advance(&mut i, &mut line, &mut column, 1);
            continue;
        } else if c == '#' {
            let n = chars[i..].iter().take_while(|&&c| c != '\n').count();
            advance(&mut i, &mut line, &mut column, n);
            continue;
        } else if c == '<' && chars.get(i + 1).is_some_and(|c| !c.is_whitespace() && *c != '=') {
            let n = chars[i + 1..].iter().take_while(|&&c| c != '>' && c != '\n').count();
            if chars.get(i + 1 + n) != Some(&'>') {
                return Err(error_at(pos, "this IRI has no closing `>`"));
            }
            (Tok::Iri(chars[i + 1..i + 1 + n].iter().collect()), n + 2)
        } else if (c == '?' || c == '$') && chars.get(i + 1).is_some_and(|&c| name_char(c)) {
            let n = chars[i + 1..].iter().take_while(|&&c| name_char(c)).count();
            (Tok::Var(chars[i + 1..i + 1 + n].iter().collect()), n + 1)
        } else if c == '"' || c == '\'' {
            let mut n = 1;
            let mut s = String::new();
            loop {
                match chars.get(i + n) {
                    None | Some('\n') => {
                        return Err(error_at(pos, format!("this string has no closing {c}")));
                    }
                    Some('\\') => match chars.get(i + n + 1) {
                        Some(&e @ ('"' | '\'' | '\\')) => {
                            s.push(e);
                            n += 2;
                        }
                        Some('n') => {
                            s.push('\n');
                            n += 2;
                        }
                        _ => return Err(error_at(pos, "unknown escape in this string")),
                    },
                    Some(&q) if q == c => break,
                    Some(&other) => {
                        s.push(other);
                        n += 1;
                    }
                }
            }
            (Tok::Str(s), n + 1)
        } else if c.is_ascii_digit() {
            let n = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            let digits: String = chars[i..i + n].iter().collect();
            let value = digits.parse().map_err(|_| error_at(pos, format!("`{digits}` is too large")))?;
            (Tok::Int(value), n)
        } else if c.is_ascii_alphabetic() || c == ':' || c == '@' || c == '_' {
            let n = chars[i..]
                .iter()
                .enumerate()
                .take_while(|&(k, &c)| name_char(c) || c == ':' || (k == 0 && c == '@'))
                .count();
            let word: String = chars[i..i + n].iter().collect();
            if word.starts_with("_:") {
                return Err(error_at(pos, "blank nodes are not in this subset"));
            }
            match word.split_once(':') {
                Some((prefix, local)) => (Tok::Pname(prefix.to_string(), local.to_string()), n),
                None => (Tok::Word(word), n),
            }
        } else if let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            (Tok::Punct(p), p.len())
        } else if c == '<' || c == '>' {
            (Tok::Punct(if c == '<' { "<" } else { ">" }), 1)
        } else {
            return Err(error_at(pos, format!("unexpected character `{c}`")));
        };
        out.push(Token { tok, pos });
        advance(&mut i, &mut line, &mut column, len);
    }
    out.push(Token { tok: Tok::End, pos: Pos { line, column } });
    Ok(out)
}

// ---- Terms and data -------------------------------------------------------------------------

/// An RDF term: an IRI (in full), a string or an integer literal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Term {
    Iri(String),
    Str(String),
    Int(i64),
}

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

struct Reader {
    toks: Vec<Token>,
    at: usize,
    prefixes: Vec<(String, String)>,
}

impl Reader {
    fn peek(&self) -> &Tok {
        &self.toks[self.at].tok
    }

    fn pos(&self) -> Pos {
        self.toks[self.at].pos
    }

    fn next(&mut self) -> Tok {
        let t = self.toks[self.at].tok.clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }

    fn unexpected(&self, expected: &str) -> InputError {
        error_at(self.pos(), format!("expected {expected}, found {}", describe(self.peek())))
    }

    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }

    fn eat(&mut self, p: &str) -> bool {
        let found = self.is(p);
        if found {
            self.next();
        }
        found
    }

    fn expect(&mut self, p: &str, what: &str) -> Result<(), InputError> {
        if self.eat(p) { Ok(()) } else { Err(self.unexpected(&format!("`{p}` {what}"))) }
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w.eq_ignore_ascii_case(k))
    }

    fn eat_keyword(&mut self, k: &str) -> bool {
        let found = self.keyword(k);
        if found {
            self.next();
        }
        found
    }

    /// `prefix: <iri>` after `@prefix` or `PREFIX`.
    fn prefix_decl(&mut self) -> Result<(), InputError> {
        let pos = self.pos();
        let Tok::Pname(prefix, local) = self.next() else {
            return Err(error_at(pos, "expected a prefix such as `foaf:` after PREFIX"));
        };
        if !local.is_empty() {
            return Err(error_at(pos, "a prefix ends at its `:`"));
        }
        let pos = self.pos();
        let Tok::Iri(iri) = self.next() else {
            return Err(error_at(pos, "expected an <IRI> for the prefix"));
        };
        self.prefixes.retain(|(p, _)| *p != prefix);
        self.prefixes.push((prefix, iri));
        Ok(())
    }

    fn expand(&self, prefix: &str, local: &str, pos: Pos) -> Result<String, InputError> {
        self.prefixes
            .iter()
            .find(|(p, _)| p == prefix)
            .map(|(_, iri)| format!("{iri}{local}"))
            .ok_or_else(|| error_at(pos, format!("prefix `{prefix}:` is not declared")))
    }

    /// An IRI, a prefixed name, or `a` (when `a_ok`).
    fn iri(&mut self, a_ok: bool) -> Result<Option<String>, InputError> {
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Iri(i) => {
                self.next();
                Ok(Some(i))
            }
            Tok::Pname(p, l) => {
                self.next();
                Ok(Some(self.expand(&p, &l, pos)?))
            }
            Tok::Word(w) if a_ok && w == "a" => {
                self.next();
                Ok(Some(RDF_TYPE.to_string()))
            }
            _ => Ok(None),
        }
    }

    fn literal(&mut self) -> Option<Term> {
        let term = match self.peek() {
            Tok::Str(s) => Term::Str(s.clone()),
            Tok::Int(n) => Term::Int(*n),
            _ => return None,
        };
        self.next();
        Some(term)
    }
}

/// Parses Turtle into triples.
fn turtle(r: &mut Reader) -> Result<Vec<(Term, Term, Term)>, InputError> {
    let mut triples = Vec::new();
    while *r.peek() != Tok::End {
        if r.eat_keyword("@prefix") {
            r.prefix_decl()?;
            r.expect(".", "after a @prefix")?;
            continue;
        }
        let subject = r.iri(false)?.ok_or_else(|| r.unexpected("a subject (an <IRI> or prefix:name)"))?;
        loop {
            let predicate = r.iri(true)?.ok_or_else(|| r.unexpected("a predicate"))?;
            loop {
                let object = match r.iri(false)? {
                    Some(i) => Term::Iri(i),
                    None => r
                        .literal()
                        .ok_or_else(|| r.unexpected("an object: an <IRI>, prefix:name, string or integer"))?,
                };
                if triples.len() >= MAX_TRIPLES {
                    return Err(error_at(r.pos(), format!("the data is limited to {MAX_TRIPLES} triples")));
                }
                triples.push((Term::Iri(subject.clone()), Term::Iri(predicate.clone()), object));
                if !r.eat(",") {
                    break;
                }
            }
            if !r.eat(";") || r.is(".") {
                break;
            }
        }
        r.expect(".", "to end the triples about this subject")?;
    }
    Ok(triples)
}

// ---- Queries --------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Path {
    Iri(String),
    Inverse(Box<Path>),
    Seq(Box<Path>, Box<Path>),
    Alt(Box<Path>, Box<Path>),
    OneOrMore(Box<Path>),
    ZeroOrMore(Box<Path>),
    ZeroOrOne(Box<Path>),
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Var(String),
    Term(Term),
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Node(Node),
    Cmp(&'static str, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

struct Query {
    distinct: bool,
    /// `None`: `SELECT *`.
    vars: Option<Vec<String>>,
    patterns: Vec<(Node, Path, Node)>,
    filters: Vec<Expr>,
    order: Vec<(String, bool)>,
    limit: Option<usize>,
    text: String,
}

impl Reader {
    fn node(&mut self) -> Result<Node, InputError> {
        if let Tok::Var(v) = self.peek().clone() {
            self.next();
            return Ok(Node::Var(v));
        }
        if let Some(i) = self.iri(false)? {
            return Ok(Node::Term(Term::Iri(i)));
        }
        self.literal()
            .map(Node::Term)
            .ok_or_else(|| self.unexpected("a variable, an <IRI>, prefix:name or a literal"))
    }

    fn path(&mut self) -> Result<Path, InputError> {
        let mut left = self.path_seq()?;
        while self.eat("|") {
            left = Path::Alt(Box::new(left), Box::new(self.path_seq()?));
        }
        Ok(left)
    }

    fn path_seq(&mut self) -> Result<Path, InputError> {
        let mut left = self.path_elt()?;
        while self.eat("/") {
            left = Path::Seq(Box::new(left), Box::new(self.path_elt()?));
        }
        Ok(left)
    }

    fn path_elt(&mut self) -> Result<Path, InputError> {
        if self.eat("^") {
            return Ok(Path::Inverse(Box::new(self.path_elt()?)));
        }
        let pos = self.pos();
        let base = if self.eat("(") {
            let p = self.path()?;
            self.expect(")", "to close the path")?;
            p
        } else {
            match self.iri(true)? {
                Some(i) => Path::Iri(i),
                None if matches!(self.peek(), Tok::Var(_)) => {
                    return Err(error_at(
                        pos,
                        "a variable as predicate is not in this subset; name the property",
                    ));
                }
                None => return Err(self.unexpected("a property or path")),
            }
        };
        Ok(if self.eat("+") {
            Path::OneOrMore(Box::new(base))
        } else if self.eat("*") {
            Path::ZeroOrMore(Box::new(base))
        } else if self.eat("?") {
            Path::ZeroOrOne(Box::new(base))
        } else if self.is("{") {
            return Err(error_at(self.pos(), "SPARQL 1.1 has no {n,m} on paths; write p/p or p/p?/p?"));
        } else {
            base
        })
    }

    fn expr(&mut self) -> Result<Expr, InputError> {
        let mut left = self.and()?;
        while self.eat("||") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, InputError> {
        let mut left = self.unary()?;
        while self.eat("&&") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, InputError> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        let left = if self.eat("(") {
            let e = self.expr()?;
            self.expect(")", "to close the parenthesis")?;
            e
        } else {
            Expr::Node(self.node()?)
        };
        for op in ["=", "!=", "<=", ">=", "<", ">"] {
            if self.eat(op) {
                let right = Expr::Node(self.node()?);
                return Ok(Expr::Cmp(op, Box::new(left), Box::new(right)));
            }
        }
        Ok(left)
    }

    fn query(&mut self, source: &[&str]) -> Result<Query, InputError> {
        let start = self.pos();
        while self.eat_keyword("PREFIX") {
            self.prefix_decl()?;
        }
        for other in ["ASK", "CONSTRUCT", "DESCRIBE", "INSERT", "DELETE"] {
            if self.keyword(other) {
                return Err(error_at(self.pos(), format!("{other} is not in this subset, only SELECT")));
            }
        }
        if !self.eat_keyword("SELECT") {
            return Err(self.unexpected("SELECT"));
        }
        let distinct = self.eat_keyword("DISTINCT");
        let vars = if self.eat("*") {
            None
        } else {
            let mut vars = Vec::new();
            while let Tok::Var(v) = self.peek().clone() {
                self.next();
                vars.push(v);
            }
            if vars.is_empty() {
                return Err(self.unexpected("`*` or variables after SELECT"));
            }
            Some(vars)
        };
        self.eat_keyword("WHERE");
        self.expect("{", "to start the graph pattern")?;
        let (mut patterns, mut filters) = (Vec::new(), Vec::new());
        while !self.eat("}") {
            if self.eat_keyword("FILTER") {
                self.expect("(", "after FILTER")?;
                filters.push(self.expr()?);
                self.expect(")", "to close FILTER")?;
                self.eat(".");
                continue;
            }
            for other in ["OPTIONAL", "UNION", "GRAPH", "MINUS", "BIND", "VALUES", "SERVICE"] {
                if self.keyword(other) {
                    return Err(error_at(self.pos(), format!("{other} is not in this subset")));
                }
            }
            let subject = self.node()?;
            loop {
                let path = self.path()?;
                loop {
                    patterns.push((subject.clone(), path.clone(), self.node()?));
                    if !self.eat(",") {
                        break;
                    }
                }
                if !self.eat(";") || self.is(".") || self.is("}") {
                    break;
                }
            }
            if !self.eat(".") && !self.is("}") && !self.keyword("FILTER") {
                return Err(self.unexpected("`.`, `}` or FILTER after a triple pattern"));
            }
        }
        let mut order = Vec::new();
        if self.eat_keyword("ORDER") {
            if !self.eat_keyword("BY") {
                return Err(self.unexpected("BY after ORDER"));
            }
            loop {
                let descending = if self.eat_keyword("DESC") {
                    true
                } else {
                    self.eat_keyword("ASC");
                    false
                };
                let wrapped = self.eat("(");
                let Tok::Var(v) = self.peek().clone() else {
                    if order.is_empty() {
                        return Err(self.unexpected("a variable to order by"));
                    }
                    break;
                };
                self.next();
                if wrapped {
                    self.expect(")", "to close the sort key")?;
                }
                order.push((v, descending));
            }
        }
        let limit = if self.eat_keyword("LIMIT") {
            match self.next() {
                Tok::Int(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
                _ => return Err(error_at(self.pos(), "expected a number after LIMIT")),
            }
        } else {
            None
        };
        let end = self.toks[self.at.saturating_sub(1)].pos.line;
        let text = source[start.line - 1..end].join("\n");
        Ok(Query { distinct, vars, patterns, filters, order, limit, text })
    }
}

// ---- Evaluation -----------------------------------------------------------------------------

type Solution = Vec<(String, Term)>;

struct Store {
    triples: Vec<(Term, Term, Term)>,
    /// Every subject and object, for paths that may have zero length and unbound ends.
    nodes: Vec<Term>,
    /// The triples of each subject, and of each object (indexes into `triples`).
    by_subject: BTreeMap<Term, Vec<usize>>,
    by_object: BTreeMap<Term, Vec<usize>>,
    /// Triples and nodes the query may still look at.
    budget: usize,
}

impl Store {
    fn new(triples: Vec<(Term, Term, Term)>) -> Store {
        let (mut by_subject, mut by_object) =
            (BTreeMap::<Term, Vec<usize>>::new(), BTreeMap::<Term, Vec<usize>>::new());
        for (i, (s, _, o)) in triples.iter().enumerate() {
            by_subject.entry(s.clone()).or_default().push(i);
            by_object.entry(o.clone()).or_default().push(i);
        }
        let mut nodes: Vec<Term> = by_subject.keys().chain(by_object.keys()).cloned().collect();
        nodes.sort();
        nodes.dedup();
        Store { triples, nodes, by_subject, by_object, budget: BUDGET }
    }

    fn spend(&mut self, n: usize, at: Pos) -> Result<(), InputError> {
        if self.budget < n {
            return Err(error_at(at, format!("this query looked at more than {BUDGET} triples; narrow it")));
        }
        self.budget -= n;
        Ok(())
    }

    /// The other ends of the triples with predicate `p` at `node`: objects going forward,
    /// subjects going backward.
    fn step(&mut self, p: &str, node: &Term, forward: bool, at: Pos) -> Result<Vec<Term>, InputError> {
        let n = if forward { &self.by_subject } else { &self.by_object }.get(node).map_or(0, Vec::len);
        self.spend(n + 1, at)?;
        let index = if forward { &self.by_subject } else { &self.by_object };
        let Some(ids) = index.get(node) else { return Ok(Vec::new()) };
        Ok(ids
            .iter()
            .map(|&i| &self.triples[i])
            .filter(|(_, pr, _)| matches!(pr, Term::Iri(i) if i == p))
            .map(|(s, _, o)| if forward { o.clone() } else { s.clone() })
            .collect())
    }

    // ANCHOR: path
    /// The objects reachable from `from` by `path`, with the multiplicity SPARQL 1.1 gives:
    /// one per way for a property, `/` and `|`; each node once for `+`, `*` and `?`.
    fn eval(&mut self, path: &Path, from: &Term, at: Pos) -> Result<Vec<Term>, InputError> {
        Ok(match path {
            Path::Iri(p) => self.step(p, from, true, at)?,
            Path::Inverse(inner) if matches!(**inner, Path::Iri(_)) => {
                let Path::Iri(p) = &**inner else { unreachable!() };
                self.step(p, from, false, at)?
            }
            Path::Inverse(inner) => {
                // A compound path backwards: try it forwards from every node.
                let mut out = Vec::new();
                self.spend(self.nodes.len(), at)?;
                for node in self.nodes.clone() {
                    for o in self.eval(inner, &node, at)? {
                        if &o == from {
                            out.push(node.clone());
                        }
                    }
                }
                out
            }
            Path::Seq(a, b) => {
                let mut out = Vec::new();
                for mid in self.eval(a, from, at)? {
                    out.extend(self.eval(b, &mid, at)?);
                }
                out
            }
            Path::Alt(a, b) => {
                let mut out = self.eval(a, from, at)?;
                out.extend(self.eval(b, from, at)?);
                out
            }
            Path::ZeroOrOne(p) => {
                let mut out = vec![from.clone()];
                let mut seen = BTreeSet::from([from.clone()]);
                for o in self.eval(p, from, at)? {
                    if seen.insert(o.clone()) {
                        out.push(o);
                    }
                }
                out
            }
            Path::OneOrMore(p) | Path::ZeroOrMore(p) => {
                // Breadth first; each node once, in the order found.
                let mut found: Vec<Term> = Vec::new();
                let mut seen: BTreeSet<Term> = BTreeSet::new();
                if matches!(path, Path::ZeroOrMore(_)) {
                    seen.insert(from.clone());
                    found.push(from.clone());
                }
                let mut frontier = VecDeque::from([from.clone()]);
                while let Some(node) = frontier.pop_front() {
                    for o in self.eval(p, &node, at)? {
                        if seen.insert(o.clone()) {
                            found.push(o.clone());
                            frontier.push_back(o);
                        }
                    }
                }
                found
            }
        })
    }
    // ANCHOR_END: path
}

fn value(s: &Solution, n: &Node) -> Option<Term> {
    match n {
        Node::Term(t) => Some(t.clone()),
        Node::Var(v) => s.iter().find(|(k, _)| k == v).map(|(_, t)| t.clone()),
    }
}

/// A FILTER's value: `Some(true)`, `Some(false)`, or `None` for an error (an unbound
/// variable, a comparison of a string with a number), which FILTER treats as false.
fn truth(s: &Solution, e: &Expr) -> Option<bool> {
    match e {
        // A bare term's effective boolean value (SPARQL 1.1 §17.2.2): a string is true unless
        // empty, a number unless zero; an IRI (or an unbound variable) is an error.
        Expr::Node(n) => match value(s, n)? {
            Term::Str(x) => Some(!x.is_empty()),
            Term::Int(i) => Some(i != 0),
            Term::Iri(_) => None,
        },
        Expr::Not(a) => truth(s, a).map(|b| !b),
        Expr::And(a, b) => match (truth(s, a), truth(s, b)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Expr::Or(a, b) => match (truth(s, a), truth(s, b)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Expr::Cmp(op, a, b) => {
            let (Expr::Node(a), Expr::Node(b)) = (&**a, &**b) else { return None };
            let (a, b) = (value(s, a)?, value(s, b)?);
            let order = match (&a, &b) {
                (Term::Int(x), Term::Int(y)) => Some(x.cmp(y)),
                (Term::Str(x), Term::Str(y)) => Some(x.cmp(y)),
                _ => None,
            };
            // Two literals with no common operator (a string and a number) are not comparable:
            // RDFterm-equal (§17.4.1.7) raises an error, for = and != alike.
            let literals_of_two_types =
                matches!((&a, &b), (Term::Str(_), Term::Int(_)) | (Term::Int(_), Term::Str(_)));
            match *op {
                "=" | "!=" if literals_of_two_types => None,
                "=" => Some(a == b),
                "!=" => Some(a != b),
                "<" => order.map(|o| o.is_lt()),
                "<=" => order.map(|o| o.is_le()),
                ">" => order.map(|o| o.is_gt()),
                _ => order.map(|o| o.is_ge()),
            }
        }
    }
}

fn solve(store: &mut Store, q: &Query, at: Pos) -> Result<Vec<Solution>, InputError> {
    let mut solutions: Vec<Solution> = vec![Vec::new()];
    for (subject, path, object) in &q.patterns {
        let mut next = Vec::new();
        for s in &solutions {
            let starts = match value(s, subject) {
                Some(t) => vec![t],
                None => {
                    store.spend(store.nodes.len(), at)?;
                    store.nodes.clone()
                }
            };
            for start in starts {
                for end in store.eval(path, &start, at)? {
                    let mut extended = s.clone();
                    let mut ok = true;
                    for (node, term) in [(subject, &start), (object, &end)] {
                        match (node, value(&extended, node)) {
                            (_, Some(bound)) => ok &= bound == *term,
                            (Node::Var(v), None) => extended.push((v.clone(), term.clone())),
                            (Node::Term(_), None) => unreachable!("a term always has a value"),
                        }
                    }
                    if ok {
                        if next.len() >= MAX_SOLUTIONS {
                            return Err(error_at(
                                at,
                                format!("this query built more than {MAX_SOLUTIONS} solutions"),
                            ));
                        }
                        next.push(extended);
                    }
                }
            }
        }
        solutions = next;
    }
    solutions.retain(|s| q.filters.iter().all(|f| truth(s, f) == Some(true)));
    Ok(solutions)
}

fn show(prefixes: &[(String, String)], t: &Term) -> String {
    match t {
        Term::Iri(i) => prefixes
            .iter()
            .find(|(_, base)| i.starts_with(base.as_str()))
            .map_or_else(|| format!("<{i}>"), |(p, base)| format!("{p}:{}", &i[base.len()..])),
        Term::Str(s) => format!("{s:?}"),
        Term::Int(n) => n.to_string(),
    }
}

/// Where the queries start: the first line that begins with PREFIX or SELECT (or another
/// query form, to refuse it by name).
fn split(input: &str) -> Option<usize> {
    input.lines().position(|l| {
        let w = l.trim_start().to_ascii_uppercase();
        ["PREFIX ", "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"].iter().any(|k| w.starts_with(k))
    })
}

fn run(input: &str) -> Result<String, InputError> {
    let lines: Vec<&str> = input.lines().collect();
    let q_line = split(input).ok_or_else(|| {
        InputError::new("no query: write one after the data, starting with PREFIX or SELECT")
    })?;
    let mut data = Reader { toks: tokens(&lines[..q_line].join("\n"), 1)?, at: 0, prefixes: Vec::new() };
    let triples = turtle(&mut data)?;
    let mut store = Store::new(triples);
    let mut out = format!("{} triples loaded\n", store.triples.len());
    let mut r =
        Reader { toks: tokens(&lines[q_line..].join("\n"), q_line + 1)?, at: 0, prefixes: Vec::new() };
    while *r.peek() != Tok::End {
        let at = r.pos();
        let q = r.query(&lines)?;
        let mut solutions = solve(&mut store, &q, at)?;
        let vars: Vec<String> = match &q.vars {
            Some(v) => v.clone(),
            None => {
                let mut all: Vec<String> = Vec::new();
                for node in q.patterns.iter().flat_map(|(s, _, o)| [s, o]) {
                    if let Node::Var(v) = node
                        && !all.contains(v)
                    {
                        all.push(v.clone());
                    }
                }
                all
            }
        };
        for (v, _) in &q.order {
            if !q.patterns.iter().any(|(s, _, o)| [s, o].iter().any(|n| **n == Node::Var(v.clone()))) {
                return Err(error_at(at, format!("ORDER BY ?{v}: the pattern does not bind ?{v}")));
            }
        }
        solutions.sort_by(|a, b| {
            q.order
                .iter()
                .map(|(v, desc)| {
                    let (x, y) = (value(a, &Node::Var(v.clone())), value(b, &Node::Var(v.clone())));
                    if *desc { y.cmp(&x) } else { x.cmp(&y) }
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut rows: Vec<Vec<String>> = solutions
            .iter()
            .map(|s| {
                vars.iter()
                    .map(|v| value(s, &Node::Var(v.clone())).map_or(String::new(), |t| show(&r.prefixes, &t)))
                    .collect()
            })
            .collect();
        let before = rows.len();
        if q.distinct {
            let mut seen = Vec::new();
            rows.retain(|row| {
                let new = !seen.contains(row);
                if new {
                    seen.push(row.clone());
                }
                new
            });
        }
        let removed = before - rows.len();
        if let Some(n) = q.limit {
            rows.truncate(n);
        }
        out.push('\n');
        for (i, line) in q.text.lines().filter(|l| !l.trim_start().starts_with('#')).enumerate() {
            let _ = writeln!(out, "{}{}", if i == 0 { "sparql> " } else { "   ...> " }, line.trim_end());
        }
        let header: Vec<String> = vars.iter().map(|v| format!("?{v}")).collect();
        let widths: Vec<usize> = (0..vars.len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).chain([header[c].len()]).max().unwrap_or(0))
            .collect();
        let line = |cells: &[String]| {
            cells.iter().zip(&widths).map(|(c, w)| format!("| {c:<w$} ")).collect::<String>() + "|\n"
        };
        out.push_str(&line(&header));
        out.push_str(&(widths.iter().map(|w| format!("|{}", "-".repeat(w + 2))).collect::<String>() + "|\n"));
        for row in &rows {
            out.push_str(&line(row));
        }
        let _ = write!(out, "{} solution{}", rows.len(), if rows.len() == 1 { "" } else { "s" });
        if removed > 0 {
            let _ = write!(out, " (DISTINCT removed {removed})");
        }
        out.push('\n');
    }
    Ok(out)
}

/// The first query's first column, as plain strings: the SPARQL answer the chapter's
/// every-model test compares.
#[cfg(test)]
pub fn first_answer(input: &str) -> Result<Vec<String>, InputError> {
    let out = run(input)?;
    let first = out.split("sparql> ").nth(1).unwrap_or("");
    Ok(first
        .lines()
        .filter(|l| l.starts_with("| "))
        .skip(1)
        .map(|l| l.trim_matches(|c| c == '|' || c == ' ').trim_matches('"').to_string())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of the `n`th query's table, as text lines.
    fn tables(out: &str) -> Vec<Vec<String>> {
        out.split("sparql> ")
            .skip(1)
            .map(|q| {
                q.lines().filter(|l| l.starts_with("| ")).skip(1).map(|l| l.trim().to_string()).collect()
            })
            .collect()
    }

    #[test]
    fn the_default_queries_answer_like_the_other_models() {
        let out = run(EXAMPLE.default_input).unwrap();
        assert!(out.starts_with("50 triples loaded\n"), "{out}");
        let t = tables(&out);
        assert_eq!(t[0], ["| \"Cat\" |", "| \"Dan\" |"], "{out}");
        // Without DISTINCT the path keeps each way: Cat once, Dan twice.
        assert_eq!(t[1], ["| \"Cat\" |", "| \"Dan\" |", "| \"Dan\" |"], "{out}");
        // knows+ reaches everyone but Ann herself, each once, Fay (four hops) included.
        assert_eq!(
            t[2],
            ["| \"Bob\" |", "| \"Cat\" |", "| \"Dan\" |", "| \"Eve\" |", "| \"Fay\" |"],
            "{out}"
        );
    }

    #[test]
    fn the_turtle_is_the_derived_form() {
        let data = &EXAMPLE.default_input[..EXAMPLE.default_input.find("\n# The queries").unwrap()];
        assert_eq!(data, super::super::social::turtle());
    }

    #[test]
    fn paths_inverse_alternatives_and_zero_length() {
        let data = "@prefix : <http://x/> .\n:a :p :b . :b :p :c . :c :q :a .\n";
        let q = |query: &str| tables(&run(&format!("{data}{query}")).unwrap()).remove(0);
        assert_eq!(q("PREFIX : <http://x/>\nSELECT ?x WHERE { :c ^:p ?x }"), ["| :b |"]);
        assert_eq!(
            q("PREFIX : <http://x/>\nSELECT ?x WHERE { :a :p* ?x } ORDER BY ?x"),
            ["| :a |", "| :b |", "| :c |"]
        );
        assert_eq!(
            q("PREFIX : <http://x/>\nSELECT ?x WHERE { :a :p? ?x } ORDER BY ?x"),
            ["| :a |", "| :b |"]
        );
        assert_eq!(
            q("PREFIX : <http://x/>\nSELECT ?x WHERE { :c (:q/:p)|:q ?x } ORDER BY ?x"),
            ["| :a |", "| :b |"]
        );
        assert_eq!(q("PREFIX : <http://x/>\nSELECT ?x WHERE { :a (:p/:p/:q)+ ?x }"), ["| :a |"]);
        assert_eq!(
            q("PREFIX : <http://x/>\nSELECT * WHERE { ?s :p ?o . FILTER (?o != :c) }"),
            ["| :a | :b |"]
        );
    }

    #[test]
    fn filters_follow_the_standard_on_types_and_bare_values() {
        let data = "@prefix : <http://x/> .\n:a :n \"x\" . :b :n 3 . :c :n 0 . :d :n \"\" . :e :n :z .\n";
        let q = |query: &str| tables(&run(&format!("{data}{query}")).unwrap()).remove(0);
        // A string and a number are not comparable: both = and != are errors, so no row passes,
        // while a string against another string, or a term against an IRI, is just unequal.
        assert_eq!(q("PREFIX : <http://x/>\nSELECT ?s WHERE { ?s :n ?o . FILTER (?o = 3) }"), ["| :b |"]);
        assert_eq!(
            q("PREFIX : <http://x/>\nSELECT ?s WHERE { ?s :n ?o . FILTER (?o != 3) } ORDER BY ?s"),
            ["| :c |", "| :e |"]
        );
        assert_eq!(
            q("PREFIX : <http://x/>\nSELECT ?s WHERE { ?s :n ?o . FILTER (?o != \"x\") } ORDER BY ?s"),
            ["| :d |", "| :e |"]
        );
        // FILTER (?o) is the effective boolean value: a non-empty string or a non-zero number.
        assert_eq!(
            q("PREFIX : <http://x/>\nSELECT ?s WHERE { ?s :n ?o . FILTER (?o) } ORDER BY ?s"),
            ["| :a |", "| :b |"]
        );
        assert_eq!(
            q("PREFIX : <http://x/>\nSELECT ?s WHERE { ?s :n ?o . FILTER (!?o) } ORDER BY ?s"),
            ["| :c |", "| :d |"]
        );
    }

    #[test]
    fn a_runaway_query_is_stopped_by_the_budget() {
        // A chain of 1,000 nodes, walked both ways from every node: millions of steps.
        let mut data = String::from("@prefix : <http://x/> .\n");
        for i in 0..1000 {
            data.push_str(&format!(":n{i} :p :n{} .\n", i + 1));
        }
        let query = "PREFIX : <http://x/>\nSELECT * WHERE { ?a (:p|^:p)* :n0 }";
        let err = run(&format!("{data}{query}")).unwrap_err().to_string();
        assert!(err.contains("this query looked at more than"), "{err}");
    }

    #[test]
    fn errors_name_line_and_column() {
        let data = "@prefix : <http://x/> .\n:a :p :b .\n";
        let err = |query: &str| run(&format!("{data}{query}")).unwrap_err().to_string();
        assert_eq!(
            err("SELECT ?x WHERE { :a :p{1,3} ?x }"),
            "input line 3: column 19: prefix `:` is not declared"
        );
        assert_eq!(
            err("PREFIX : <http://x/>\nSELECT ?x WHERE { :a :p{1,3} ?x }"),
            "input line 4: column 24: SPARQL 1.1 has no {n,m} on paths; write p/p or p/p?/p?"
        );
        assert_eq!(
            err("PREFIX : <http://x/>\nSELECT ?x WHERE { OPTIONAL { :a :p ?x } }"),
            "input line 4: column 19: OPTIONAL is not in this subset"
        );
        assert_eq!(
            run("@prefix : <http://x/> .\n:a :p \"open .\nSELECT * WHERE { ?s ?p ?o }")
                .unwrap_err()
                .to_string(),
            "input line 2: column 7: this string has no closing \""
        );
        assert_eq!(err("ASK { :a :p :b }"), "input line 3: column 1: ASK is not in this subset, only SELECT");
    }
}
