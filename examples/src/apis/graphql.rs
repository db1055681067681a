//! A small GraphQL executor over a fixed schema and a tiny query subset (nested field
//! selections, an integer `first` argument), to count what resolvers cost the backend: once
//! with naive resolvers, each querying the backend for its own parent, and once with a
//! DataLoader per relation, which collects the keys asked for during one tick of execution and
//! loads them in one batch at its end (and caches them for the rest of the request).
//!
//! The schema:
//!
//! ```graphql
//! type Query  { books(first: Int): [Book]  authors(first: Int): [Author] }
//! type Book   { id: ID  title: String  year: Int  author: Author  reviews: [Review] }
//! type Author { id: ID  name: String  books: [Book] }
//! type Review { id: ID  stars: Int }
//! ```
//!
//! The model of time: execution goes level by level (a tick resolves every field at one depth
//! of the response, which is when graphql-js has called all sibling resolvers and DataLoader's
//! batch function runs); each backend call takes one round trip on one connection of a pool of
//! `pool`, so `n` calls in a tick take ⌈n / pool⌉ round trips.

use std::collections::{BTreeMap, BTreeSet};

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::registry::InputError;

/// An error in the query, at its line and column in the reader's input.
fn at(line: usize, col: usize, message: impl Into<String>) -> InputError {
    InputError::at_line(line, format!("column {col}: {}", message.into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ty {
    Query,
    Book,
    Author,
    Review,
}

/// The schema: a type's fields, each a scalar (`None`) or an object or list of objects.
fn fields(ty: Ty) -> &'static [(&'static str, Option<(Ty, bool)>)] {
    match ty {
        Ty::Query => &[("books", Some((Ty::Book, true))), ("authors", Some((Ty::Author, true)))],
        Ty::Book => &[
            ("id", None),
            ("title", None),
            ("year", None),
            ("author", Some((Ty::Author, false))),
            ("reviews", Some((Ty::Review, true))),
        ],
        Ty::Author => &[("id", None), ("name", None), ("books", Some((Ty::Book, true)))],
        Ty::Review => &[("id", None), ("stars", None)],
    }
}

/// One selected field: `name(first: n) { children }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub name: String,
    pub first: Option<u64>,
    pub children: Vec<Selection>,
}

// ---------------------------------------------------------------------------------------------
// Parsing: `{ books(first: 3) { title author { name } } }`, with an optional `query` keyword and
// operation name in front. `chars` carries each character's input line and column.

struct Parser {
    chars: Vec<(char, usize, usize)>,
    pos: usize,
    end: (usize, usize),
}

impl Parser {
    fn skip(&mut self) {
        while let Some(&(c, _, _)) = self.chars.get(self.pos) {
            if c.is_whitespace() || c == ',' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn here(&self) -> (usize, usize) {
        self.chars.get(self.pos).map_or(self.end, |&(_, l, c)| (l, c))
    }

    fn peek(&mut self) -> Option<char> {
        self.skip();
        self.chars.get(self.pos).map(|&(c, _, _)| c)
    }

    fn expect(&mut self, want: char) -> Result<(), InputError> {
        let (l, c) = {
            self.skip();
            self.here()
        };
        match self.peek() {
            Some(got) if got == want => {
                self.pos += 1;
                Ok(())
            }
            Some(got) => Err(at(l, c, format!("expected `{want}`, found `{got}`"))),
            None => Err(at(l, c, format!("expected `{want}`, the query ends"))),
        }
    }

    fn name(&mut self) -> Result<(String, usize, usize), InputError> {
        let (name, l, c) = self.word();
        if name.is_empty() || name.starts_with(|ch: char| ch.is_ascii_digit()) {
            let found =
                self.chars.get(self.pos).map_or("the end".to_string(), |&(ch, _, _)| format!("`{ch}`"));
            return Err(at(l, c, format!("expected a field name, found {found}")));
        }
        Ok((name, l, c))
    }

    /// Letters, digits and `_` from here: a name or a number.
    fn word(&mut self) -> (String, usize, usize) {
        self.skip();
        let (l, c) = self.here();
        let mut name = String::new();
        while let Some(&(ch, _, _)) = self.chars.get(self.pos) {
            if ch.is_ascii_alphanumeric() || ch == '_' {
                name.push(ch);
                self.pos += 1;
            } else {
                break;
            }
        }
        (name, l, c)
    }

    /// `{ field … }` for an object of type `ty`, each field checked against the schema.
    fn selections(&mut self, ty: Ty, depth: usize) -> Result<Vec<Selection>, InputError> {
        if depth > 12 {
            let (l, c) = self.here();
            return Err(at(l, c, "nested more than 12 levels deep"));
        }
        self.expect('{')?;
        let mut out = Vec::new();
        while self.peek() != Some('}') {
            if self.peek().is_none() {
                let (l, c) = self.here();
                return Err(at(l, c, "expected `}`, the query ends"));
            }
            let (name, l, c) = self.name()?;
            let Some(&(_, kind)) = fields(ty).iter().find(|(f, _)| *f == name) else {
                let known: Vec<&str> = fields(ty).iter().map(|(f, _)| *f).collect();
                return Err(at(l, c, format!("{ty:?} has no field `{name}` (it has {})", known.join(", "))));
            };
            let mut first = None;
            if self.peek() == Some('(') {
                self.pos += 1;
                let (arg, al, ac) = self.name()?;
                if arg != "first" || ty != Ty::Query {
                    return Err(at(
                        al,
                        ac,
                        format!("`{name}` takes no argument `{arg}` (only Query's lists take `first`)"),
                    ));
                }
                self.expect(':')?;
                self.skip();
                let (nl, nc) = self.here();
                let (digits, _, _) = self.word();
                first = Some(
                    crate::input::parse_number::<u64>(&digits, nl, 0, 1000)
                        .map_err(|e| at(nl, nc, e.message))?,
                );
                self.expect(')')?;
            }
            let children = match kind {
                None if self.peek() == Some('{') => {
                    return Err(at(l, c, format!("`{name}` is a scalar: it has no fields to select")));
                }
                None => Vec::new(),
                Some((child, _)) if self.peek() == Some('{') => self.selections(child, depth + 1)?,
                Some((child, _)) => {
                    return Err(at(
                        l,
                        c,
                        format!("`{name}` is a {child:?}: select its fields, as in `{name} {{ id }}`"),
                    ));
                }
            };
            out.push(Selection { name, first, children });
        }
        self.pos += 1;
        if out.is_empty() {
            let (l, c) = self.here();
            return Err(at(l, c, "an empty selection `{ }`"));
        }
        Ok(out)
    }
}

/// Parses a query whose text is the given `(line number, line)` pairs.
pub fn parse(lines: &[(usize, &str)]) -> Result<Vec<Selection>, InputError> {
    let chars: Vec<(char, usize, usize)> = lines
        .iter()
        .flat_map(|&(n, text)| {
            let text = text.split('#').next().unwrap_or("");
            text.chars().enumerate().map(move |(i, ch)| (ch, n, i + 1)).chain([('\n', n, text.len() + 1)])
        })
        .collect();
    let end = chars.last().map_or((1, 1), |&(_, l, c)| (l, c));
    let mut p = Parser { chars, pos: 0, end };
    if p.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
        let (word, l, c) = p.name()?;
        if word != "query" {
            return Err(at(
                l,
                c,
                format!("expected `{{` or `query`, found `{word}` (only queries are supported)"),
            ));
        }
        if p.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            p.name()?;
        }
    }
    let root = p.selections(Ty::Query, 0)?;
    if let Some(extra) = p.peek() {
        let (l, c) = p.here();
        return Err(at(l, c, format!("`{extra}` after the end of the query")));
    }
    Ok(root)
}

// ---------------------------------------------------------------------------------------------
// The backend's data: `books` books, `authors` authors, a few reviews per book.

#[derive(Debug, Clone)]
pub struct Data {
    /// (id, title, year, author id)
    pub books: Vec<(u64, String, u64, u64)>,
    /// (id, name)
    pub authors: Vec<(u64, String)>,
    /// (id, book id, stars)
    pub reviews: Vec<(u64, u64, u64)>,
}

impl Data {
    /// Book `i` is by author `(i − 1) mod authors + 1` and has `i × 7 mod 4` reviews.
    pub fn new(books: u64, authors: u64) -> Data {
        let mut reviews = Vec::new();
        for b in 1..=books {
            for _ in 0..(b * 7 % 4) {
                let id = reviews.len() as u64 + 1;
                reviews.push((id, b, 1 + id * 3 % 5));
            }
        }
        Data {
            books: (1..=books)
                .map(|i| (i, format!("Book {i}"), 1950 + i * 3 % 70, (i - 1) % authors + 1))
                .collect(),
            authors: (1..=authors).map(|i| (i, format!("Author {i}"))).collect(),
            reviews,
        }
    }
}

/// One backend call: the tick it ran in and what it asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub tick: usize,
    pub sql: String,
}

/// One tick: the resolvers it called (by `Type.field`, with counts) and its backend calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tick {
    pub resolvers: BTreeMap<String, usize>,
    pub calls: Vec<Call>,
}

/// What one execution did.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub json: String,
    pub ticks: Vec<Tick>,
    pub calls: usize,
    pub resolver_calls: usize,
}

/// A response node being filled in.
#[derive(Debug, Clone)]
enum Node {
    Object(Vec<(String, usize)>),
    List(Vec<usize>),
    Scalar(String),
    Null,
}

/// The most resolver calls an execution may make: a query that fans out past it is refused, as
/// GraphQL servers refuse queries over a cost or depth limit.
pub const BUDGET: usize = 50_000;

fn ids(keys: &BTreeSet<u64>) -> String {
    keys.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}

// ANCHOR: execute
/// Runs `query` against `data`, tick by tick. With `batched`, object fields go through one
/// DataLoader per relation: keys gathered during a tick, deduplicated, minus those already
/// loaded in this request, become one `IN (…)` call at the tick's end.
pub fn execute(query: &[Selection], data: &Data, batched: bool) -> Result<Execution, InputError> {
    let mut nodes = vec![Node::Object(Vec::new())];
    // Objects whose selections run this tick: (type, id, selections, response node).
    let mut pending: Vec<(Ty, u64, &[Selection], usize)> = vec![(Ty::Query, 0, query, 0)];
    let mut ticks = Vec::new();
    let mut loaded: BTreeSet<(Ty, &str, u64)> = BTreeSet::new(); // the loaders' cache
    let mut resolver_calls = 0;
    while !pending.is_empty() {
        let tick_no = ticks.len();
        let mut tick = Tick::default();
        // The object fields asked for this tick, by loader (`Book.author`): parent ids in order.
        let mut asked: BTreeMap<(Ty, &str), Vec<u64>> = BTreeMap::new();
        let mut wanted = Vec::new();
        for &(ty, id, selections, node) in &pending {
            for s in selections {
                resolver_calls += 1;
                if resolver_calls > BUDGET {
                    return Err(InputError::new(format!("the query needs over {BUDGET} resolver calls")));
                }
                *tick.resolvers.entry(format!("{ty:?}.{}", s.name)).or_default() += 1;
                let child = nodes.len();
                nodes.push(Node::Null);
                if let Node::Object(entries) = &mut nodes[node] {
                    entries.push((s.name.clone(), child));
                }
                if s.children.is_empty() {
                    nodes[child] = Node::Scalar(scalar(data, ty, id, &s.name));
                    continue;
                }
                if ty == Ty::Query {
                    // Root fields are one call each, batched or not.
                    let table = if s.name == "books" { "books" } else { "authors" };
                    let limit = s.first.map_or(String::new(), |n| format!(" LIMIT {n}"));
                    tick.calls.push(Call {
                        tick: tick_no,
                        sql: format!("SELECT * FROM {table} ORDER BY id{limit}"),
                    });
                } else {
                    asked.entry((ty, s.name.as_str())).or_default().push(key(data, ty, id, &s.name));
                }
                wanted.push((ty, id, s, child));
            }
        }
        // The backend calls of the tick.
        for (&(ty, field), parents) in &asked {
            let (table, column) = relation(ty, field);
            if batched {
                let keys: BTreeSet<u64> =
                    parents.iter().copied().filter(|&k| !loaded.contains(&(ty, field, k))).collect();
                if !keys.is_empty() {
                    let sql = format!("SELECT * FROM {table} WHERE {column} IN ({})", ids(&keys));
                    tick.calls.push(Call { tick: tick_no, sql });
                }
                loaded.extend(keys.iter().map(|&k| (ty, field, k)));
            } else {
                for &k in parents {
                    tick.calls.push(Call {
                        tick: tick_no,
                        sql: format!("SELECT * FROM {table} WHERE {column} = {k}"),
                    });
                }
            }
        }
        // Fill in what the calls returned; their objects' selections run next tick.
        let mut next = Vec::new();
        for (ty, id, s, child) in wanted {
            let (child_ty, list) =
                fields(ty).iter().find(|(f, _)| *f == s.name).and_then(|(_, k)| *k).expect("checked");
            let found = children(data, ty, id, &s.name, s.first);
            if list {
                let items: Vec<usize> = found
                    .iter()
                    .map(|&cid| {
                        nodes.push(Node::Object(Vec::new()));
                        next.push((child_ty, cid, s.children.as_slice(), nodes.len() - 1));
                        nodes.len() - 1
                    })
                    .collect();
                nodes[child] = Node::List(items);
            } else if let Some(&cid) = found.first() {
                nodes[child] = Node::Object(Vec::new());
                next.push((child_ty, cid, s.children.as_slice(), child));
            }
        }
        ticks.push(tick);
        pending = next;
    }
    let calls = ticks.iter().map(|t| t.calls.len()).sum();
    Ok(Execution { json: render(&nodes, 0), ticks, calls, resolver_calls })
}
// ANCHOR_END: execute

/// The key a relation is loaded by: `Book.author` by the book's `author_id`, the lists by the
/// parent's own id.
fn key(data: &Data, ty: Ty, id: u64, field: &str) -> u64 {
    match (ty, field) {
        (Ty::Book, "author") => data.books.iter().find(|b| b.0 == id).map_or(0, |b| b.3),
        _ => id,
    }
}

/// The table and key column a relation loads from.
fn relation(ty: Ty, field: &str) -> (&'static str, &'static str) {
    match (ty, field) {
        (Ty::Book, "author") => ("authors", "id"),
        (Ty::Book, "reviews") => ("reviews", "book_id"),
        (Ty::Author, "books") => ("books", "author_id"),
        _ => unreachable!("the schema has no other relation"),
    }
}

fn children(data: &Data, ty: Ty, id: u64, field: &str, first: Option<u64>) -> Vec<u64> {
    let n = first.unwrap_or(u64::MAX) as usize;
    match (ty, field) {
        (Ty::Query, "books") => data.books.iter().take(n).map(|b| b.0).collect(),
        (Ty::Query, "authors") => data.authors.iter().take(n).map(|a| a.0).collect(),
        (Ty::Book, "author") => data.books.iter().filter(|b| b.0 == id).map(|b| b.3).collect(),
        (Ty::Book, "reviews") => data.reviews.iter().filter(|r| r.1 == id).map(|r| r.0).collect(),
        (Ty::Author, "books") => data.books.iter().filter(|b| b.3 == id).map(|b| b.0).collect(),
        _ => Vec::new(),
    }
}

fn scalar(data: &Data, ty: Ty, id: u64, field: &str) -> String {
    let text = |s: &str| crate::apis::catalogue::json_string(s);
    match (ty, field) {
        (_, "id") => format!("\"{id}\""),
        (Ty::Book, "title") => data.books.iter().find(|b| b.0 == id).map_or("null".into(), |b| text(&b.1)),
        (Ty::Book, "year") => {
            data.books.iter().find(|b| b.0 == id).map_or("null".into(), |b| b.2.to_string())
        }
        (Ty::Author, "name") => data.authors.iter().find(|a| a.0 == id).map_or("null".into(), |a| text(&a.1)),
        (Ty::Review, "stars") => {
            data.reviews.iter().find(|r| r.0 == id).map_or("null".into(), |r| r.2.to_string())
        }
        _ => "null".into(),
    }
}

fn render(nodes: &[Node], i: usize) -> String {
    match &nodes[i] {
        Node::Object(entries) => {
            let parts: Vec<String> =
                entries.iter().map(|(k, v)| format!("\"{k}\":{}", render(nodes, *v))).collect();
            format!("{{{}}}", parts.join(","))
        }
        Node::List(items) => {
            let parts: Vec<String> = items.iter().map(|&v| render(nodes, v)).collect();
            format!("[{}]", parts.join(","))
        }
        Node::Scalar(s) => s.clone(),
        Node::Null => "null".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Reporting and drawing.

/// The report of one execution: ticks, resolvers, calls (the first few of each tick).
pub fn report(name: &str, e: &Execution, pool: usize, out: &mut String) {
    out.push_str(&format!("{name}\n"));
    for (i, t) in e.ticks.iter().enumerate() {
        let resolvers: Vec<String> = t.resolvers.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
        out.push_str(&format!(
            "  tick {i}: {} → {}\n",
            resolvers.join(", "),
            if t.calls.len() == 1 { "1 call".to_string() } else { format!("{} calls", t.calls.len()) }
        ));
        for c in t.calls.iter().take(3) {
            out.push_str(&format!("    {}\n", c.sql));
        }
        if t.calls.len() > 3 {
            out.push_str(&format!("    … and {} more like it\n", t.calls.len() - 3));
        }
    }
    out.push_str(&format!(
        "  backend calls: {}, resolver calls: {}, round trips on a pool of {pool}: {}\n",
        e.calls,
        e.resolver_calls,
        round_trips(e, pool)
    ));
}

pub fn round_trips(e: &Execution, pool: usize) -> usize {
    e.ticks.iter().map(|t| t.calls.len().div_ceil(pool)).sum()
}

/// Lanes for one execution: an executor lane with a span per tick, and one lane per pool
/// connection with a span per backend call (one round trip each).
pub fn lanes(prefix: &str, e: &Execution, pool: usize) -> Vec<Lane> {
    let mut executor = Lane { name: format!("{prefix}executor"), spans: Vec::new() };
    let mut conns: Vec<Lane> =
        (1..=pool).map(|c| Lane { name: format!("{prefix}conn {c}"), spans: Vec::new() }).collect();
    let mut t0 = 0.0;
    for (i, t) in e.ticks.iter().enumerate() {
        let rounds = t.calls.len().div_ceil(pool) as f64;
        let what: Vec<String> = t.resolvers.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
        executor.spans.push(Span {
            start: t0,
            end: t0 + rounds.max(0.25),
            label: format!("tick {i}: {}", what.join(", ")),
            kind: if t.calls.is_empty() { SpanKind::Idle } else { SpanKind::Wait },
        });
        for (k, c) in t.calls.iter().enumerate() {
            let start = t0 + (k / pool) as f64;
            conns[k % pool].spans.push(Span {
                start,
                end: start + 1.0,
                label: c.sql.clone(),
                kind: SpanKind::Busy,
            });
        }
        t0 += rounds.max(0.25);
    }
    std::iter::once(executor).chain(conns).collect()
}

pub fn figure(title: String, lanes: Vec<Lane>) -> Figure {
    let steps = Step::at_span_starts(&lanes, "round trips");
    Figure::Timeline { title, unit: "round trips".into(), lanes, steps }
}

/// The first `max` characters of the response, cut at a character boundary.
pub fn short(json: &str, max: usize) -> String {
    if json.chars().count() <= max {
        json.to_string()
    } else {
        format!("{}…", json.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Vec<Selection> {
        parse(&[(1, text)]).unwrap()
    }

    #[test]
    fn naive_is_one_plus_n_and_batched_is_one_per_level() {
        let data = Data::new(8, 3);
        let query = q("{ books(first: 8) { title author { name } } }");
        let naive = execute(&query, &data, false).unwrap();
        let batched = execute(&query, &data, true).unwrap();
        assert_eq!((naive.calls, batched.calls), (9, 2));
        assert_eq!(naive.json, batched.json);
        assert!(
            naive.json.starts_with(r#"{"books":[{"title":"Book 1","author":{"name":"Author 1"}}"#),
            "{}",
            naive.json
        );
        assert_eq!(batched.ticks[1].calls[0].sql, "SELECT * FROM authors WHERE id IN (1, 2, 3)");
        // The loader's cache: the second level of authors is already loaded.
        let deep = q("{ books(first: 4) { author { books { author { name } } } } }");
        let b = execute(&deep, &data, true).unwrap();
        assert_eq!(b.ticks.iter().map(|t| t.calls.len()).collect::<Vec<_>>(), [1, 1, 1, 0, 0]);
        let n = execute(&deep, &data, false).unwrap();
        // 1 + 4 authors + 4 book lists + 11 authors again (authors 1, 2, 3, 1 have 3, 3, 2, 3 books).
        assert_eq!(n.calls, 20);
        assert_eq!(n.json, b.json);
    }

    #[test]
    fn query_errors_name_line_and_column() {
        let e = parse(&[(3, "{ books { titel } }")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "input line 3: column 11: Book has no field `titel` (it has id, title, year, author, reviews)"
        );
        let e = parse(&[(1, "{ books { author } }")]).unwrap_err();
        assert!(e.message.contains("`author` is a Author: select its fields"), "{e}");
        let e = parse(&[(1, "{ books {"), (2, "  title")]).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(parse(&[(1, "{ books { title(first: 2) } }")]).is_err());
        assert!(parse(&[(1, "mutation { books { id } }")]).is_err());
        assert!(parse(&[(1, "query Q { books(first: 2) { id } }")]).is_ok());
        let cycle = q(
            "{ books { author { books { author { books { author { books { author { books { id } } } } } } } } } }",
        );
        assert!(execute(&cycle, &Data::new(500, 2), false).is_err());
    }
}
