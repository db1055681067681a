//! A subset of Cypher, parsed: `CREATE` patterns that build a property graph, and
//! `MATCH … WHERE … RETURN [DISTINCT] … ORDER BY … LIMIT` queries over it, with node patterns
//! `(v:Label {key: value})`, relationship patterns `-[:TYPE]->`, `<-[:TYPE]-`, `-[:A|B]-` and
//! variable-length ones `-[:TYPE*1..3]->`, and pattern predicates in `WHERE`
//! (`NOT (a)-[:FRIEND]->(c)`). The grammar follows openCypher 9's; what this subset leaves out
//! is refused by name. Every error carries the line and column it is about.
//!
//! [`super::graph`] runs what this module parses.

use crate::registry::InputError;

/// Where something is in the script: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// A parse or check error at a position: `input line 3: column 14: …` once shown.
pub fn error_at(pos: Pos, message: impl Into<String>) -> InputError {
    InputError::at_line(pos.line, format!("column {}: {}", pos.column, message.into()))
}

// ---- Tokens ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A name or keyword (keywords are recognised by the parser, case-insensitively).
    Word(String),
    Str(String),
    Int(i64),
    /// Punctuation: `( ) [ ] { } : , . ; - < > = <> <= >= * .. |`.
    Punct(&'static str),
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
    /// Byte offsets of the token in the script.
    pub start: usize,
    pub end: usize,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("`{w}`"),
            Tok::Str(_) => "a string".to_string(),
            Tok::Int(n) => format!("`{n}`"),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::End => "the end of the input".to_string(),
        }
    }
}

const PUNCTS: [&str; 20] =
    ["<>", "<=", ">=", "..", "(", ")", "[", "]", "{", "}", ":", ",", ".", ";", "-", "<", ">", "=", "*", "|"];

// ANCHOR: lexer
/// Reads a script character by character, knowing where it is.
struct Cursor<'a> {
    script: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    line: usize,
    column: usize,
}

impl Cursor<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|&(_, c)| c)
    }

    /// The byte offset of the next character.
    fn offset(&mut self) -> usize {
        self.chars.peek().map_or(self.script.len(), |&(i, _)| i)
    }

    fn pos(&self) -> Pos {
        Pos { line: self.line, column: self.column }
    }

    fn bump(&mut self) -> char {
        let (_, c) = self.chars.next().expect("peeked");
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        c
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        while self.peek().is_some_and(&keep) {
            out.push(self.bump());
        }
        out
    }
}

/// Splits a script into tokens; `//` starts a comment that runs to the end of the line.
pub fn tokens(script: &str) -> Result<Vec<Token>, InputError> {
    let mut out = Vec::new();
    let mut cur = Cursor { script, chars: script.char_indices().peekable(), line: 1, column: 1 };
    while let Some(c) = cur.peek() {
        let (pos, start) = (cur.pos(), cur.offset());
        let tok = if c.is_whitespace() {
            cur.bump();
            continue;
        } else if script[start..].starts_with("//") {
            cur.take_while(|c| c != '\n');
            continue;
        } else if c.is_ascii_alphabetic() || c == '_' {
            Tok::Word(cur.take_while(|c| c.is_ascii_alphanumeric() || c == '_'))
        } else if c.is_ascii_digit() {
            let digits = cur.take_while(|c| c.is_ascii_digit());
            if cur.peek().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') {
                return Err(error_at(pos, format!("`{digits}` runs into a name; put a space between them")));
            }
            Tok::Int(
                digits
                    .parse()
                    .map_err(|_| error_at(pos, format!("`{digits}` is too large for an integer")))?,
            )
        } else if c == '\'' || c == '"' {
            cur.bump();
            let mut text = String::new();
            loop {
                match cur.peek() {
                    None | Some('\n') => {
                        return Err(error_at(pos, format!("this string has no closing {c}")));
                    }
                    Some('\\') => {
                        let escape = cur.pos();
                        cur.bump();
                        match cur.peek() {
                            Some(e @ ('\\' | '\'' | '"')) => text.push(e),
                            Some('n') => text.push('\n'),
                            _ => {
                                return Err(error_at(
                                    escape,
                                    "unknown escape; this subset knows \\\\, \\', \\\" and \\n",
                                ));
                            }
                        }
                        cur.bump();
                    }
                    Some(q) if q == c => {
                        cur.bump();
                        break;
                    }
                    Some(_) => text.push(cur.bump()),
                }
            }
            Tok::Str(text)
        } else if let Some(p) = PUNCTS.iter().find(|p| script[start..].starts_with(**p)) {
            for _ in 0..p.len() {
                cur.bump();
            }
            Tok::Punct(p)
        } else {
            return Err(error_at(pos, format!("unexpected character `{c}`")));
        };
        out.push(Token { tok, pos, start, end: cur.offset() });
    }
    let end = Pos { line: cur.line, column: cur.column };
    out.push(Token { tok: Tok::End, pos: end, start: script.len(), end: script.len() });
    Ok(out)
}
// ANCHOR_END: lexer

// ---- The syntax tree ------------------------------------------------------------------------

/// A property value: what a graph stores and an expression computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub pos: Pos,
}

/// `(v:Label {key: value})`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodePat {
    pub var: Option<Name>,
    pub labels: Vec<Name>,
    pub props: Vec<(Name, Lit)>,
    pub pos: Pos,
}

/// Which way a relationship pattern points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// `-[]->`
    Right,
    /// `<-[]-`
    Left,
    /// `-[]-`: either way.
    Either,
}

/// `-[v:TYPE|OTHER*min..max {key: value}]->`.
#[derive(Debug, Clone, PartialEq)]
pub struct RelPat {
    pub var: Option<Name>,
    pub types: Vec<Name>,
    pub dir: Dir,
    /// `*min..max`: a variable-length relationship; `None` for one hop. `max: None` is `*`
    /// with no upper bound.
    pub hops: Option<(u32, Option<u32>)>,
    pub props: Vec<(Name, Lit)>,
    pub pos: Pos,
}

/// `p = (a)-[…]->(b)-[…]->(c)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub path_var: Option<Name>,
    pub start: NodePat,
    pub steps: Vec<(RelPat, NodePat)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Lit),
    Var(Name),
    Prop(Name, Name),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `x IS NULL` (`negated`: `IS NOT NULL`).
    IsNull(Box<Expr>, bool),
    /// A pattern used as a condition: true when it has at least one match.
    Exists(Box<Pattern>),
    /// `length(p)`: the relationships in a path.
    Length(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReturnItem {
    pub expr: Expr,
    /// The column's name: its alias, or the expression as written.
    pub column: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub patterns: Vec<Pattern>,
    pub filter: Option<Expr>,
    pub distinct: bool,
    pub items: Vec<ReturnItem>,
    /// Sort keys: an expression and whether it is descending.
    pub order: Vec<(Expr, bool)>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StatementKind {
    Create(Vec<Pattern>),
    Query(Query),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    /// The statement as written (for the transcript), and where it starts.
    pub text: String,
    pub pos: Pos,
}

// ---- The parser -----------------------------------------------------------------------------

/// Keywords of Cypher this subset does not implement: met where a clause could start, they are
/// refused by name rather than as "unexpected".
const NOT_IN_SUBSET: [&str; 14] = [
    "OPTIONAL", "WITH", "UNWIND", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "CALL", "UNION", "FOREACH",
    "SKIP", "LOAD", "USE",
];

/// Words that cannot name a variable.
const RESERVED: [&str; 18] = [
    "MATCH", "CREATE", "WHERE", "RETURN", "DISTINCT", "ORDER", "BY", "LIMIT", "AND", "OR", "NOT", "AS", "IS",
    "NULL", "TRUE", "FALSE", "ASC", "DESC",
];

const SUBSET: &str = "this subset has CREATE, MATCH, WHERE, RETURN [DISTINCT], ORDER BY, LIMIT";

struct Parser<'a> {
    script: &'a str,
    toks: Vec<Token>,
    at: usize,
}

/// Parses a script: statements separated by `;`.
pub fn parse(script: &str) -> Result<Vec<Statement>, InputError> {
    let mut p = Parser { script, toks: tokens(script)?, at: 0 };
    let mut statements = Vec::new();
    loop {
        while p.eat_punct(";") {}
        if p.peek().tok == Tok::End {
            break;
        }
        statements.push(p.statement()?);
        if p.peek().tok != Tok::End && !p.eat_punct(";") {
            return Err(p.unexpected("`;` or the end of the statement"));
        }
    }
    Ok(statements)
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.at]
    }

    fn next(&mut self) -> Token {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.is_keyword(keyword);
        if found {
            self.next();
        }
        found
    }

    fn is_punct(&self, punct: &str) -> bool {
        matches!(self.peek().tok, Tok::Punct(p) if p == punct)
    }

    fn eat_punct(&mut self, punct: &str) -> bool {
        let found = self.is_punct(punct);
        if found {
            self.next();
        }
        found
    }

    fn unexpected(&self, expected: &str) -> InputError {
        let t = self.peek();
        error_at(t.pos, format!("expected {expected}, found {}", t.tok.describe()))
    }

    fn expect_punct(&mut self, punct: &str, what: &str) -> Result<(), InputError> {
        if self.eat_punct(punct) { Ok(()) } else { Err(self.unexpected(&format!("`{punct}` {what}"))) }
    }

    fn expect_keyword(&mut self, keyword: &str, what: &str) -> Result<(), InputError> {
        if self.eat_keyword(keyword) { Ok(()) } else { Err(self.unexpected(&format!("{keyword} {what}"))) }
    }

    /// A name that is not a reserved word of the subset.
    fn name(&mut self, what: &str) -> Result<Name, InputError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::Word(w) => {
                self.next();
                Ok(Name { text: w, pos: t.pos })
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// A variable: a name that is not a keyword.
    fn variable(&mut self, what: &str) -> Result<Name, InputError> {
        if let Tok::Word(w) = &self.peek().tok {
            let upper = w.to_ascii_uppercase();
            if RESERVED.contains(&upper.as_str()) || NOT_IN_SUBSET.contains(&upper.as_str()) {
                return Err(self.unexpected(what));
            }
        }
        self.name(what)
    }

    fn refuse_other_clauses(&self) -> Result<(), InputError> {
        if let Tok::Word(w) = &self.peek().tok {
            let upper = w.to_ascii_uppercase();
            if NOT_IN_SUBSET.contains(&upper.as_str()) {
                return Err(error_at(self.peek().pos, format!("{upper} is not in this subset ({SUBSET})")));
            }
        }
        Ok(())
    }

    fn statement(&mut self) -> Result<Statement, InputError> {
        let first = self.peek().clone();
        self.refuse_other_clauses()?;
        let kind = if self.eat_keyword("CREATE") {
            StatementKind::Create(self.patterns()?)
        } else if self.eat_keyword("MATCH") {
            StatementKind::Query(self.query()?)
        } else {
            return Err(self.unexpected("CREATE or MATCH"));
        };
        let end = self.toks[self.at.saturating_sub(1)].end;
        Ok(Statement { kind, text: self.script[first.start..end].to_string(), pos: first.pos })
    }

    fn patterns(&mut self) -> Result<Vec<Pattern>, InputError> {
        let mut patterns = vec![self.pattern()?];
        while self.eat_punct(",") {
            patterns.push(self.pattern()?);
        }
        Ok(patterns)
    }

    // ANCHOR: parse_query
    /// After MATCH: patterns, then WHERE, RETURN [DISTINCT] items, ORDER BY, LIMIT.
    fn query(&mut self) -> Result<Query, InputError> {
        let patterns = self.patterns()?;
        let filter = if self.eat_keyword("WHERE") { Some(self.expr()?) } else { None };
        self.refuse_other_clauses()?;
        if self.is_keyword("MATCH") {
            return Err(error_at(
                self.peek().pos,
                "a second MATCH is not in this subset: join the patterns with a comma",
            ));
        }
        self.expect_keyword("RETURN", "(every query of this subset ends with RETURN)")?;
        let distinct = self.eat_keyword("DISTINCT");
        let mut items = Vec::new();
        loop {
            let start = self.peek().start;
            let expr = self.expr()?;
            let end = self.toks[self.at - 1].end;
            let column = if self.eat_keyword("AS") {
                self.name("a column name after AS")?.text
            } else {
                self.script[start..end].to_string()
            };
            items.push(ReturnItem { expr, column });
            if !self.eat_punct(",") {
                break;
            }
        }
        let mut order = Vec::new();
        if self.eat_keyword("ORDER") {
            self.expect_keyword("BY", "after ORDER")?;
            loop {
                let key = self.expr()?;
                let descending = if self.eat_keyword("DESC") || self.eat_keyword("DESCENDING") {
                    true
                } else {
                    let _ = self.eat_keyword("ASC") || self.eat_keyword("ASCENDING");
                    false
                };
                order.push((key, descending));
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        let limit = if self.eat_keyword("LIMIT") {
            match self.next() {
                Token { tok: Tok::Int(n), .. } => Some(usize::try_from(n).unwrap_or(usize::MAX)),
                t => {
                    return Err(error_at(
                        t.pos,
                        format!("expected a number after LIMIT, found {}", t.tok.describe()),
                    ));
                }
            }
        } else {
            None
        };
        self.refuse_other_clauses()?;
        Ok(Query { patterns, filter, distinct, items, order, limit })
    }
    // ANCHOR_END: parse_query

    // ANCHOR: parse_pattern
    /// `[p =] (node) (-[rel]-> (node))*`
    fn pattern(&mut self) -> Result<Pattern, InputError> {
        let mut path_var = None;
        if matches!(self.peek().tok, Tok::Word(_))
            && matches!(self.toks.get(self.at + 1).map(|t| &t.tok), Some(Tok::Punct("=")))
        {
            path_var = Some(self.variable("a path variable")?);
            self.next();
        }
        let start = self.node()?;
        let mut steps = Vec::new();
        while self.is_punct("-") || self.is_punct("<") {
            let rel = self.relationship()?;
            steps.push((rel, self.node()?));
        }
        Ok(Pattern { path_var, start, steps })
    }

    /// `(v:Label {k: v})`
    fn node(&mut self) -> Result<NodePat, InputError> {
        let pos = self.peek().pos;
        self.expect_punct("(", "to start a node pattern")?;
        let var =
            if matches!(self.peek().tok, Tok::Word(_)) { Some(self.variable("a variable")?) } else { None };
        let mut labels = Vec::new();
        while self.eat_punct(":") {
            labels.push(self.name("a label after `:`")?);
        }
        let props = if self.is_punct("{") { self.properties()? } else { Vec::new() };
        self.expect_punct(")", "to close the node pattern")?;
        Ok(NodePat { var, labels, props, pos })
    }

    /// `-[…]->`, `<-[…]-`, `-[…]-`, and the short forms `-->`, `<--`, `--`.
    fn relationship(&mut self) -> Result<RelPat, InputError> {
        let pos = self.peek().pos;
        let left = self.eat_punct("<");
        self.expect_punct("-", "in a relationship pattern")?;
        let (mut var, mut types, mut hops, mut props) = (None, Vec::new(), None, Vec::new());
        if self.eat_punct("[") {
            if matches!(self.peek().tok, Tok::Word(_)) {
                var = Some(self.variable("a variable")?);
            }
            if self.eat_punct(":") {
                types.push(self.name("a relationship type after `:`")?);
                while self.eat_punct("|") {
                    self.eat_punct(":");
                    types.push(self.name("a relationship type after `|`")?);
                }
            }
            let star = self.peek().pos;
            if self.eat_punct("*") {
                hops = Some(self.hop_range(star)?);
            }
            if self.is_punct("{") {
                props = self.properties()?;
            }
            self.expect_punct("]", "to close the relationship pattern")?;
        }
        self.expect_punct("-", "in a relationship pattern")?;
        let right = self.eat_punct(">");
        let dir = match (left, right) {
            (false, true) => Dir::Right,
            (true, false) => Dir::Left,
            (false, false) => Dir::Either,
            (true, true) => {
                return Err(error_at(pos, "a relationship points one way: `<-[…]-` or `-[…]->`, not both"));
            }
        };
        Ok(RelPat { var, types, dir, hops, props, pos })
    }

    /// After `*`: nothing (1 or more), `n` (exactly n), `n..`, `..m`, `n..m`.
    fn hop_range(&mut self, pos: Pos) -> Result<(u32, Option<u32>), InputError> {
        let number = |p: &mut Self| -> Result<Option<u32>, InputError> {
            let t = p.peek().clone();
            match t.tok {
                Tok::Int(n) => {
                    p.next();
                    u32::try_from(n).map(Some).map_err(|_| error_at(t.pos, format!("`{n}` hops is too many")))
                }
                _ => Ok(None),
            }
        };
        let min = number(self)?;
        let (min, max) = if self.eat_punct("..") {
            (min.unwrap_or(1), number(self)?)
        } else {
            match min {
                Some(n) => (n, Some(n)),
                None => (1, None),
            }
        };
        if let Some(max) = max
            && max < min
        {
            return Err(error_at(pos, format!("`*{min}..{max}`: the upper bound is below the lower one")));
        }
        Ok((min, max))
    }
    // ANCHOR_END: parse_pattern

    /// `{key: literal, …}`
    fn properties(&mut self) -> Result<Vec<(Name, Lit)>, InputError> {
        self.expect_punct("{", "to start properties")?;
        let mut props: Vec<(Name, Lit)> = Vec::new();
        if self.eat_punct("}") {
            return Ok(props);
        }
        loop {
            let key = self.name("a property name")?;
            if props.iter().any(|(k, _)| k.text == key.text) {
                return Err(error_at(key.pos, format!("property `{}` is given twice", key.text)));
            }
            self.expect_punct(":", "after the property name")?;
            let value = self.literal()?;
            props.push((key, value));
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct("}", "to close the properties")?;
        Ok(props)
    }

    fn literal(&mut self) -> Result<Lit, InputError> {
        let t = self.peek().clone();
        let lit = match &t.tok {
            Tok::Str(s) => Lit::Str(s.clone()),
            Tok::Int(n) => Lit::Int(*n),
            Tok::Punct("-") => {
                self.next();
                return match self.next().tok {
                    Tok::Int(n) => Ok(Lit::Int(-n)),
                    _ => Err(error_at(t.pos, "expected a number after `-`")),
                };
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => Lit::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => Lit::Bool(false),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => Lit::Null,
            _ => return Err(self.unexpected("a value: a string, an integer, true, false or null")),
        };
        self.next();
        Ok(lit)
    }

    // ANCHOR: parse_expr
    fn expr(&mut self) -> Result<Expr, InputError> {
        let mut left = self.and()?;
        while self.eat_keyword("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, InputError> {
        let mut left = self.not()?;
        while self.eat_keyword("AND") {
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, InputError> {
        if self.eat_keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, InputError> {
        let left = self.primary()?;
        let op = match self.peek().tok {
            Tok::Punct("=") => CmpOp::Eq,
            Tok::Punct("<>") => CmpOp::Ne,
            Tok::Punct("<") => CmpOp::Lt,
            Tok::Punct("<=") => CmpOp::Le,
            Tok::Punct(">") => CmpOp::Gt,
            Tok::Punct(">=") => CmpOp::Ge,
            _ => {
                if self.eat_keyword("IS") {
                    let negated = self.eat_keyword("NOT");
                    self.expect_keyword("NULL", "after IS")?;
                    return Ok(Expr::IsNull(Box::new(left), negated));
                }
                return Ok(left);
            }
        };
        self.next();
        Ok(Expr::Cmp(op, Box::new(left), Box::new(self.primary()?)))
    }

    /// A literal, `v`, `v.key`, `length(p)`, `( expr )`, or a pattern such as `(a)-[:R]->(b)`.
    fn primary(&mut self) -> Result<Expr, InputError> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Punct("(") => {
                // A pattern if it parses as a node followed by a relationship; else a
                // parenthesised expression.
                let mark = self.at;
                if let Ok(pattern) = self.pattern()
                    && !pattern.steps.is_empty()
                {
                    return Ok(Expr::Exists(Box::new(pattern)));
                }
                self.at = mark;
                self.next();
                let inner = self.expr()?;
                self.expect_punct(")", "to close the parenthesis")?;
                Ok(inner)
            }
            Tok::Word(w) if !["true", "false", "null"].iter().any(|k| w.eq_ignore_ascii_case(k)) => {
                let name = self.variable("an expression: a value, a variable, v.key or a pattern")?;
                if self.eat_punct("(") {
                    if !name.text.eq_ignore_ascii_case("length") {
                        let aggregate = ["count", "collect", "sum", "avg", "min", "max"]
                            .iter()
                            .any(|a| name.text.eq_ignore_ascii_case(a));
                        let why = if aggregate {
                            "aggregation is not in this subset"
                        } else {
                            "this subset has one function, length(path)"
                        };
                        return Err(error_at(name.pos, format!("`{}(…)`: {why}", name.text)));
                    }
                    let arg = self.expr()?;
                    self.expect_punct(")", "to close length(…)")?;
                    return Ok(Expr::Length(Box::new(arg)));
                }
                if self.eat_punct(".") {
                    let key = self.name("a property name after `.`")?;
                    return Ok(Expr::Prop(name, key));
                }
                Ok(Expr::Var(name))
            }
            Tok::Str(_) | Tok::Int(_) | Tok::Punct("-") | Tok::Word(_) => Ok(Expr::Lit(self.literal()?)),
            _ => Err(self.unexpected("an expression: a value, a variable, v.key or a pattern")),
        }
    }
    // ANCHOR_END: parse_expr
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(script: &str) -> String {
        parse(script).unwrap_err().to_string()
    }

    #[test]
    fn tokens_carry_line_and_column() {
        let toks = tokens("MATCH (a)\n  -[:R*1..3]->(b) // hi\nRETURN 'x\\'y'").unwrap();
        let at = |i: usize| (toks[i].tok.clone(), toks[i].pos.line, toks[i].pos.column);
        assert_eq!(at(0), (Tok::Word("MATCH".into()), 1, 1));
        assert_eq!(at(1), (Tok::Punct("("), 1, 7));
        assert_eq!(at(4), (Tok::Punct("-"), 2, 3));
        assert_eq!(at(8), (Tok::Punct("*"), 2, 7));
        assert_eq!(at(9), (Tok::Int(1), 2, 8));
        assert_eq!(at(10), (Tok::Punct(".."), 2, 9));
        assert_eq!(at(11), (Tok::Int(3), 2, 11));
        assert_eq!(at(18), (Tok::Word("RETURN".into()), 3, 1));
        assert_eq!(at(19), (Tok::Str("x'y".into()), 3, 8));
        assert_eq!(toks.last().unwrap().tok, Tok::End);
    }

    #[test]
    fn a_query_parses_into_patterns_filter_and_items() {
        let s = parse(
            "MATCH p = (a:Person {name: 'Ann'})-[:FRIEND*1..3]->(c)<-[r:WROTE|LIKES]-(x)\n\
             WHERE c <> a AND NOT (a)-->(c) RETURN DISTINCT c.name AS who, length(p) ORDER BY who DESC LIMIT 5;",
        )
        .unwrap();
        let StatementKind::Query(q) = &s[0].kind else { panic!() };
        assert_eq!(q.patterns[0].path_var.as_ref().unwrap().text, "p");
        assert_eq!(q.patterns[0].steps[0].0.hops, Some((1, Some(3))));
        assert_eq!(q.patterns[0].steps[0].0.dir, Dir::Right);
        assert_eq!(q.patterns[0].steps[1].0.dir, Dir::Left);
        assert_eq!(q.patterns[0].steps[1].0.types.len(), 2);
        assert!(q.distinct);
        assert_eq!(q.items[0].column, "who");
        assert_eq!(q.items[1].column, "length(p)");
        assert!(
            matches!(q.filter, Some(Expr::And(_, ref right)) if matches!(**right, Expr::Not(ref e) if matches!(**e, Expr::Exists(_))))
        );
        assert_eq!(q.order.len(), 1);
        assert!(q.order[0].1);
        assert_eq!(q.limit, Some(5));
        assert!(s[0].text.ends_with("LIMIT 5"));
    }

    #[test]
    fn hop_ranges_follow_cypher() {
        let hops = |r: &str| {
            let s = parse(&format!("MATCH (a)-[{r}]->(b) RETURN b")).unwrap();
            let StatementKind::Query(q) = &s[0].kind else { panic!() };
            q.patterns[0].steps[0].0.hops
        };
        assert_eq!(hops("*"), Some((1, None)));
        assert_eq!(hops("*2"), Some((2, Some(2))));
        assert_eq!(hops("*2.."), Some((2, None)));
        assert_eq!(hops("*..4"), Some((1, Some(4))));
        assert_eq!(hops(":F*0..1"), Some((0, Some(1))));
        assert_eq!(hops(":F"), None);
    }

    #[test]
    fn errors_name_line_and_column_exactly() {
        assert_eq!(
            err("MATCH (a:Person)-[:FRIEND]->(b\nRETURN b"),
            "input line 2: column 1: expected `)` to close the node pattern, found `RETURN`"
        );
        assert_eq!(
            err("MATCH (a)\n  -[:FRIEND*3..1]->(b) RETURN b"),
            "input line 2: column 12: `*3..1`: the upper bound is below the lower one"
        );
        assert_eq!(err("MATCH (a) RETURN a.name @"), "input line 1: column 25: unexpected character `@`");
        assert_eq!(err("CREATE (a {name: 'Ann)"), "input line 1: column 18: this string has no closing '");
        assert_eq!(
            err("MATCH (a) WITH a RETURN a"),
            "input line 1: column 11: WITH is not in this subset (this subset has CREATE, MATCH, WHERE, RETURN [DISTINCT], ORDER BY, LIMIT)"
        );
        assert_eq!(
            err("MATCH (a)\nRETURN count(*)"),
            "input line 2: column 8: `count(…)`: aggregation is not in this subset"
        );
        assert_eq!(
            err("MATCH (a)<-[:R]->(b) RETURN b"),
            "input line 1: column 10: a relationship points one way: `<-[…]-` or `-[…]->`, not both"
        );
        assert_eq!(
            err("MATCH (a) RETURN a\nMATCH (b) RETURN b"),
            "input line 2: column 1: expected `;` or the end of the statement, found `MATCH`"
        );
        assert_eq!(
            err("MATCH (a) WHERE a.x = RETURN a"),
            "input line 1: column 23: expected an expression: a value, a variable, v.key or a pattern, found `RETURN`"
        );
        assert_eq!(
            err("DELETE (a)"),
            "input line 1: column 1: DELETE is not in this subset (this subset has CREATE, MATCH, WHERE, RETURN [DISTINCT], ORDER BY, LIMIT)"
        );
        assert_eq!(
            err("MATCH (a {x: 1, x: 2}) RETURN a"),
            "input line 1: column 17: property `x` is given twice"
        );
        assert_eq!(
            err("MATCH (a) RETURN a LIMIT x"),
            "input line 1: column 26: expected a number after LIMIT, found `x`"
        );
    }

    #[test]
    fn a_parenthesised_condition_is_not_taken_for_a_pattern() {
        let ok = parse("MATCH (a) WHERE (a.x = 1 OR a.y = 2) AND (a) RETURN a").unwrap();
        let StatementKind::Query(q) = &ok[0].kind else { panic!() };
        let Some(Expr::And(left, right)) = &q.filter else { panic!("{:?}", q.filter) };
        assert!(matches!(**left, Expr::Or(_, _)));
        assert!(matches!(**right, Expr::Var(_)));
    }
}
