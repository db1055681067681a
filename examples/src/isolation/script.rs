//! The statement language of the isolation examples: interleaved SQL statements, each tagged with
//! the session that sends it.
//!
//! ```text
//! T1: begin                                   start a transaction (also `start transaction`,
//!                                             `begin isolation level L`)
//! T1: set transaction isolation level L       right after `begin` (short form: `set isolation L`)
//! T1: select * from test [where P] [for update]
//!                                             also `select value …`, `select id …`,
//!                                             `select id, value …`; the output always shows
//!                                             whole rows, `id => value`
//! T1: insert into test [(id, value)] values (1, 10)[, (2, 20)…]
//! T1: update test set value = E [where P]     E: a number, `value + N` or `value - N`
//! T1: delete from test [where P]
//! T1: commit | rollback | abort
//!
//! P: conditions on `id` and `value` joined by `and`, `or` and parentheses, each one of
//!    C op N          op: = <> != < <= > >=
//!    C % N op M      (SQL's remainder, as in `value % 3 = 0`)
//!    C in (N, M, …)
//! ```
//!
//! Sessions are `T1` to `T9`. A statement sent outside a transaction runs in a transaction of
//! its own (autocommit), as in `psql` or the `mysql` client. There is one table, `test (id int
//! primary key, value int)`. Keywords are case-insensitive, a trailing `;` and a trailing
//! `-- comment` are allowed. Anything else is rejected with the line it is on.
//!
//! The statements are real SQL: the test against PostgreSQL and MariaDB sends them as they are
//! (with the table renamed), so the engine and the servers run the very same scripts.

use std::fmt;

use crate::registry::InputError;

/// At most this many statements in one script, so a run always ends quickly.
pub const MAX_STATEMENTS: usize = 80;
/// At most this many rows in the initial table.
pub const MAX_ROWS: usize = 20;
/// Largest magnitude of a number in a script.
pub const MAX_NUMBER: i64 = 1_000_000_000;
/// Sessions `T1` to `T9`.
pub const MAX_SESSIONS: usize = 9;

/// The four isolation levels of the SQL standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    ReadUncommitted,
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl Level {
    pub const ALL: [Level; 4] =
        [Level::ReadUncommitted, Level::ReadCommitted, Level::RepeatableRead, Level::Serializable];

    /// The SQL spelling, as in `set transaction isolation level read committed`.
    pub fn sql(self) -> &'static str {
        match self {
            Level::ReadUncommitted => "read uncommitted",
            Level::ReadCommitted => "read committed",
            Level::RepeatableRead => "repeatable read",
            Level::Serializable => "serializable",
        }
    }

    /// A short tag for tables and file keys: `read-uncommitted` and so on.
    pub fn key(self) -> &'static str {
        match self {
            Level::ReadUncommitted => "read-uncommitted",
            Level::ReadCommitted => "read-committed",
            Level::RepeatableRead => "repeatable-read",
            Level::Serializable => "serializable",
        }
    }

    /// Two-letter abbreviation for narrow table columns.
    pub fn abbreviation(self) -> &'static str {
        match self {
            Level::ReadUncommitted => "RU",
            Level::ReadCommitted => "RC",
            Level::RepeatableRead => "RR",
            Level::Serializable => "SER",
        }
    }

    /// Reads a level written as SQL (`repeatable read`), as a key (`repeatable-read`,
    /// `repeatable_read`) or abbreviated (`RR`), in any case.
    pub fn parse(text: &str) -> Option<Level> {
        let words: Vec<String> = text
            .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
            .filter(|w| !w.is_empty())
            .map(|w| w.to_ascii_lowercase())
            .collect();
        let joined = words.join(" ");
        Level::ALL
            .into_iter()
            .find(|level| joined == level.sql() || joined.eq_ignore_ascii_case(level.abbreviation()))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql())
    }
}

/// A column of the `test` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Id,
    Value,
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

impl CmpOp {
    fn holds(self, left: i64, right: i64) -> bool {
        match self {
            CmpOp::Eq => left == right,
            CmpOp::Ne => left != right,
            CmpOp::Lt => left < right,
            CmpOp::Le => left <= right,
            CmpOp::Gt => left > right,
            CmpOp::Ge => left >= right,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A `where` clause. `True` is a statement without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Predicate {
    True,
    Compare { column: Column, modulo: Option<i64>, op: CmpOp, right: i64 },
    In { column: Column, list: Vec<i64> },
    And(Box<Predicate>, Box<Predicate>),
    Or(Box<Predicate>, Box<Predicate>),
}

impl Predicate {
    /// Whether the row `(id, value)` satisfies the condition.
    pub fn matches(&self, id: i64, value: i64) -> bool {
        let get = |column: Column| if column == Column::Id { id } else { value };
        match self {
            Predicate::True => true,
            Predicate::Compare { column, modulo, op, right } => {
                let left = match modulo {
                    // SQL's `%` keeps the sign of the dividend, like Rust's.
                    Some(m) => get(*column) % m,
                    None => get(*column),
                };
                op.holds(left, *right)
            }
            Predicate::In { column, list } => list.contains(&get(*column)),
            Predicate::And(a, b) => a.matches(id, value) && b.matches(id, value),
            Predicate::Or(a, b) => a.matches(id, value) || b.matches(id, value),
        }
    }

    /// The condition as SQL, `None` for `True`.
    pub fn sql(&self) -> Option<String> {
        match self {
            Predicate::True => None,
            other => Some(other.render(0)),
        }
    }

    /// `precedence`: 0 at the top or under `or`, 1 under `and` (an `or` there needs parentheses).
    fn render(&self, precedence: u8) -> String {
        let column = |c: &Column| if *c == Column::Id { "id" } else { "value" };
        match self {
            Predicate::True => "true".to_string(),
            Predicate::Compare { column: c, modulo, op, right } => match modulo {
                Some(m) => format!("{} % {m} {} {right}", column(c), op.sql()),
                None => format!("{} {} {right}", column(c), op.sql()),
            },
            Predicate::In { column: c, list } => {
                let items: Vec<String> = list.iter().map(|n| n.to_string()).collect();
                format!("{} in ({})", column(c), items.join(", "))
            }
            Predicate::And(a, b) => format!("{} and {}", a.render(1), b.render(1)),
            Predicate::Or(a, b) => {
                let text = format!("{} or {}", a.render(0), b.render(0));
                if precedence > 0 { format!("({text})") } else { text }
            }
        }
    }
}

/// The new value in `update test set value = …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expr {
    Constant(i64),
    /// `value + n` (or `value - n` with a negative `n`).
    Plus(i64),
}

impl Expr {
    pub fn apply(self, old: i64) -> i64 {
        match self {
            Expr::Constant(n) => n,
            Expr::Plus(n) => old.saturating_add(n),
        }
    }

    fn sql(self) -> String {
        match self {
            Expr::Constant(n) => n.to_string(),
            Expr::Plus(n) if n < 0 => format!("value - {}", -n),
            Expr::Plus(n) => format!("value + {n}"),
        }
    }
}

/// One statement of the language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    Begin { level: Option<Level> },
    SetIsolation(Level),
    Commit,
    Rollback,
    Select { filter: Predicate, for_update: bool },
    Insert { rows: Vec<(i64, i64)> },
    Update { set: Expr, filter: Predicate },
    Delete { filter: Predicate },
}

impl Statement {
    /// The statement as SQL for table `table`. `begin` and `set …` are written in the form
    /// PostgreSQL accepts; the MariaDB driver of the real-server test translates them.
    pub fn sql(&self, table: &str) -> String {
        let filter = |p: &Predicate| p.sql().map(|s| format!(" where {s}")).unwrap_or_default();
        match self {
            Statement::Begin { level: None } => "begin".to_string(),
            Statement::Begin { level: Some(level) } => format!("begin isolation level {level}"),
            Statement::SetIsolation(level) => format!("set transaction isolation level {level}"),
            Statement::Commit => "commit".to_string(),
            Statement::Rollback => "rollback".to_string(),
            Statement::Select { filter: p, for_update } => {
                format!("select * from {table}{}{}", filter(p), if *for_update { " for update" } else { "" })
            }
            Statement::Insert { rows } => {
                let values: Vec<String> = rows.iter().map(|(id, v)| format!("({id}, {v})")).collect();
                format!("insert into {table} (id, value) values {}", values.join(", "))
            }
            Statement::Update { set, filter: p } => {
                format!("update {table} set value = {}{}", set.sql(), filter(p))
            }
            Statement::Delete { filter: p } => format!("delete from {table}{}", filter(p)),
        }
    }

    /// Whether the statement reads or writes the table (and so needs a transaction snapshot).
    pub fn is_query(&self) -> bool {
        matches!(
            self,
            Statement::Select { .. }
                | Statement::Insert { .. }
                | Statement::Update { .. }
                | Statement::Delete { .. }
        )
    }
}

/// One line of a script: session `session` (1 for `T1`) sends `statement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 1-based line of the input (or of the case text) it came from.
    pub line: usize,
    pub session: usize,
    pub statement: Statement,
}

impl Step {
    /// The statement as the book prints it (`test` as the table name).
    pub fn text(&self) -> String {
        self.statement.sql("test")
    }
}

/// A parsed script: the initial rows and the interleaved steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub rows: Vec<(i64, i64)>,
    pub steps: Vec<Step>,
}

/// Hermitage's starting table: rows `(1, 10)` and `(2, 20)`.
pub const DEFAULT_ROWS: [(i64, i64); 2] = [(1, 10), (2, 20)];

impl Script {
    /// Number of sessions the script uses (the highest `Tn`).
    pub fn sessions(&self) -> usize {
        self.steps.iter().map(|s| s.session).max().unwrap_or(0)
    }
}

/// Whether `line` is a statement line, `Tn: …` (a `T` or `t`, digits, a colon).
pub fn is_statement_line(line: &str) -> bool {
    let text = line.trim_start();
    let Some(rest) = text.strip_prefix(['T', 't']) else { return false };
    let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && rest[digits..].trim_start().starts_with(':')
}

/// Parses every `Tn: statement` line of `input` (other lines are left to the caller, which
/// passes their line numbers through). Line numbers are those of `input` plus `line_offset`.
pub fn parse_steps(input: &str, line_offset: usize) -> Result<Vec<Step>, InputError> {
    let mut steps = Vec::new();
    for (index, raw) in input.lines().enumerate() {
        let line = index + 1 + line_offset;
        let text = strip_comment(raw).trim();
        if text.is_empty() || text.starts_with('#') || !is_statement_line(text) {
            continue;
        }
        if steps.len() == MAX_STATEMENTS {
            return Err(InputError::at_line(
                line,
                format!("at most {MAX_STATEMENTS} statements in a script"),
            ));
        }
        let (name, body) = text.split_once(':').expect("checked by is_statement_line");
        let session: usize = name[1..].trim().parse().unwrap_or(0);
        if !(1..=MAX_SESSIONS).contains(&session) {
            return Err(InputError::at_line(
                line,
                format!("session `{}`: use T1 to T{MAX_SESSIONS}", name.trim()),
            ));
        }
        let statement = parse_statement(body).map_err(|message| InputError::at_line(line, message))?;
        steps.push(Step { line, session, statement });
    }
    check_transactions(&steps)?;
    Ok(steps)
}

/// Removes a trailing `-- comment`.
fn strip_comment(line: &str) -> &str {
    match line.find("--") {
        Some(at) => &line[..at],
        None => line,
    }
}

/// Checks what can be checked before running: `begin` inside a transaction, `commit` outside
/// one, `set transaction` after the first query. (Blocking never reorders one session's
/// statements, so this holds whatever the level.)
fn check_transactions(steps: &[Step]) -> Result<(), InputError> {
    // Per session: None = no transaction; Some(queried) = open, and whether it ran a query.
    let mut open: [Option<bool>; MAX_SESSIONS + 1] = [None; MAX_SESSIONS + 1];
    for step in steps {
        let state = &mut open[step.session];
        let name = format!("T{}", step.session);
        match (&step.statement, *state) {
            (Statement::Begin { .. }, Some(_)) => {
                return Err(InputError::at_line(
                    step.line,
                    format!("{name} already has an open transaction: `commit` or `rollback` it first"),
                ));
            }
            (Statement::Begin { .. }, None) => *state = Some(false),
            (Statement::Commit | Statement::Rollback, None) => {
                return Err(InputError::at_line(
                    step.line,
                    format!("{name} has no open transaction to end: add `{name}: begin` before it"),
                ));
            }
            (Statement::Commit | Statement::Rollback, Some(_)) => *state = None,
            (Statement::SetIsolation(_), None) => {
                return Err(InputError::at_line(
                    step.line,
                    format!(
                        "`set transaction` sets the level of an open transaction: add `{name}: begin` before it"
                    ),
                ));
            }
            (Statement::SetIsolation(_), Some(true)) => {
                return Err(InputError::at_line(
                    step.line,
                    format!("{name} already ran a query: set the isolation level right after `begin`"),
                ));
            }
            (Statement::SetIsolation(_), Some(false)) => {}
            (_, Some(_)) => *state = Some(true),
            (_, None) => {}
        }
    }
    Ok(())
}

// ---- A small tokenizer and recursive-descent parser ------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Number(i64),
    Symbol(&'static str),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) => write!(f, "`{w}`"),
            Token::Number(n) => write!(f, "`{n}`"),
            Token::Symbol(s) => write!(f, "`{s}`"),
        }
    }
}

const SYMBOLS: [&str; 14] = ["<>", "!=", "<=", ">=", "(", ")", ",", ";", "*", "=", "<", ">", "%", "+"];

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect::<String>().to_ascii_lowercase()));
        } else if c.is_ascii_digit()
            || (c == '-'
                && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())
                && !matches!(
                    tokens.last(),
                    Some(Token::Number(_)) | Some(Token::Word(_)) | Some(Token::Symbol(")"))
                ))
        {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let n: i64 = word.parse().map_err(|_| format!("`{word}` is too large"))?;
            if n.abs() > MAX_NUMBER {
                return Err(format!("{word} is out of range (at most {MAX_NUMBER} in magnitude)"));
            }
            tokens.push(Token::Number(n));
        } else if c == '-' {
            tokens.push(Token::Symbol("-"));
            i += 1;
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let symbol = SYMBOLS
                .iter()
                .find(|s| rest.starts_with(**s))
                .ok_or_else(|| format!("unexpected character `{c}`"))?;
            tokens.push(Token::Symbol(symbol));
            i += symbol.len();
        }
    }
    if tokens.last() == Some(&Token::Symbol(";")) {
        tokens.pop();
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w == word)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.is_word(word);
        if found {
            self.at += 1;
        }
        found
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol);
        if found {
            self.at += 1;
        }
        found
    }

    fn found(&self) -> String {
        match self.peek() {
            Some(token) => format!("found {token}"),
            None => "the statement ends".to_string(),
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<(), String> {
        if self.eat_word(word) { Ok(()) } else { Err(format!("expected `{word}`, {}", self.found())) }
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), String> {
        if self.eat_symbol(symbol) { Ok(()) } else { Err(format!("expected `{symbol}`, {}", self.found())) }
    }

    fn number(&mut self) -> Result<i64, String> {
        match self.peek() {
            Some(Token::Number(n)) => {
                let n = *n;
                self.at += 1;
                Ok(n)
            }
            _ => Err(format!("expected a number, {}", self.found())),
        }
    }

    fn end(&self) -> Result<(), String> {
        match self.peek() {
            None => Ok(()),
            Some(token) => Err(format!("unexpected {token} after the end of the statement")),
        }
    }

    fn table(&mut self) -> Result<(), String> {
        match self.next() {
            Some(Token::Word(w)) if w == "test" => Ok(()),
            Some(Token::Word(w)) => Err(format!("unknown table `{w}`: the only table is `test`")),
            other => Err(format!("expected the table name `test`, found {}", describe(other))),
        }
    }

    fn level(&mut self) -> Result<Level, String> {
        let mut words = Vec::new();
        while let Some(Token::Word(w)) = self.peek() {
            words.push(w.clone());
            self.at += 1;
        }
        Level::parse(&words.join(" ")).ok_or_else(|| {
            format!(
                "`{}` is not an isolation level (read uncommitted, read committed, repeatable read, serializable)",
                words.join(" ")
            )
        })
    }

    fn column(&mut self) -> Result<Column, String> {
        match self.next() {
            Some(Token::Word(w)) if w == "id" => Ok(Column::Id),
            Some(Token::Word(w)) if w == "value" => Ok(Column::Value),
            other => Err(format!("expected the column `id` or `value`, found {}", describe(other))),
        }
    }

    fn filter(&mut self) -> Result<Predicate, String> {
        if self.eat_word("where") { self.or() } else { Ok(Predicate::True) }
    }

    fn or(&mut self) -> Result<Predicate, String> {
        let mut left = self.and()?;
        while self.eat_word("or") {
            left = Predicate::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Predicate, String> {
        let mut left = self.atom()?;
        while self.eat_word("and") {
            left = Predicate::And(Box::new(left), Box::new(self.atom()?));
        }
        Ok(left)
    }

    fn atom(&mut self) -> Result<Predicate, String> {
        if self.eat_symbol("(") {
            let inner = self.or()?;
            self.expect_symbol(")")?;
            return Ok(inner);
        }
        let column = self.column()?;
        if self.eat_word("in") {
            self.expect_symbol("(")?;
            let mut list = vec![self.number()?];
            while self.eat_symbol(",") {
                list.push(self.number()?);
            }
            self.expect_symbol(")")?;
            return Ok(Predicate::In { column, list });
        }
        let modulo = if self.eat_symbol("%") {
            let m = self.number()?;
            if m <= 0 {
                return Err(format!("`% {m}`: the divisor must be a positive number"));
            }
            Some(m)
        } else {
            None
        };
        let op = match self.next() {
            Some(Token::Symbol("=")) => CmpOp::Eq,
            Some(Token::Symbol("<>")) | Some(Token::Symbol("!=")) => CmpOp::Ne,
            Some(Token::Symbol("<")) => CmpOp::Lt,
            Some(Token::Symbol("<=")) => CmpOp::Le,
            Some(Token::Symbol(">")) => CmpOp::Gt,
            Some(Token::Symbol(">=")) => CmpOp::Ge,
            other => {
                return Err(format!(
                    "expected a comparison (= <> < <= > >=) or `in`, found {}",
                    describe(other)
                ));
            }
        };
        Ok(Predicate::Compare { column, modulo, op, right: self.number()? })
    }
}

fn describe(token: Option<Token>) -> String {
    token.map(|t| t.to_string()).unwrap_or_else(|| "the end of the statement".to_string())
}

/// Parses one statement (the text after `Tn:`).
pub fn parse_statement(text: &str) -> Result<Statement, String> {
    let mut p = Parser { tokens: tokenize(text)?, at: 0 };
    let statement = match p.next() {
        None => return Err("empty statement after `Tn:`".to_string()),
        Some(Token::Word(w)) => match w.as_str() {
            "begin" | "start" => {
                if w == "start" {
                    p.expect_word("transaction")?;
                } else {
                    p.eat_word("transaction");
                    p.eat_word("work");
                }
                let level = if p.eat_word("isolation") {
                    p.expect_word("level")?;
                    Some(p.level()?)
                } else {
                    None
                };
                Statement::Begin { level }
            }
            "set" => {
                if p.eat_word("transaction") {
                    p.expect_word("isolation")?;
                    p.expect_word("level")?;
                } else {
                    p.expect_word("isolation")?;
                    p.eat_word("level");
                }
                Statement::SetIsolation(p.level()?)
            }
            "commit" | "end" => {
                p.eat_word("work");
                p.eat_word("transaction");
                Statement::Commit
            }
            "rollback" | "abort" => {
                p.eat_word("work");
                p.eat_word("transaction");
                Statement::Rollback
            }
            "select" => {
                if !p.eat_symbol("*") {
                    let first = p.column()?;
                    if p.eat_symbol(",") {
                        let second = p.column()?;
                        if first == second {
                            return Err("select `id`, `value`, `id, value` or `*`".to_string());
                        }
                    }
                }
                p.expect_word("from")?;
                p.table()?;
                let filter = p.filter()?;
                let for_update = if p.eat_word("for") {
                    p.expect_word("update")?;
                    true
                } else {
                    false
                };
                Statement::Select { filter, for_update }
            }
            "insert" => {
                p.expect_word("into")?;
                p.table()?;
                if p.eat_symbol("(") {
                    let first = p.column()?;
                    p.expect_symbol(",")?;
                    let second = p.column()?;
                    p.expect_symbol(")")?;
                    if (first, second) != (Column::Id, Column::Value) {
                        return Err("list the columns as `(id, value)`".to_string());
                    }
                }
                p.expect_word("values")?;
                let mut rows = Vec::new();
                loop {
                    p.expect_symbol("(")?;
                    let id = p.number()?;
                    p.expect_symbol(",")?;
                    let value = p.number()?;
                    p.expect_symbol(")")?;
                    rows.push((id, value));
                    if !p.eat_symbol(",") {
                        break;
                    }
                }
                Statement::Insert { rows }
            }
            "update" => {
                p.table()?;
                p.expect_word("set")?;
                if !p.eat_word("value") {
                    return Err(format!("only `value` can be updated (`set value = …`), {}", p.found()));
                }
                p.expect_symbol("=")?;
                let set = if p.eat_word("value") {
                    if p.eat_symbol("+") {
                        Expr::Plus(p.number()?)
                    } else if p.eat_symbol("-") {
                        Expr::Plus(-p.number()?)
                    } else {
                        return Err(format!("expected `value + N` or `value - N`, {}", p.found()));
                    }
                } else {
                    Expr::Constant(p.number()?)
                };
                Statement::Update { set, filter: p.filter()? }
            }
            "delete" => {
                p.expect_word("from")?;
                p.table()?;
                Statement::Delete { filter: p.filter()? }
            }
            other => {
                return Err(format!(
                    "unknown statement `{other}`: use begin, set transaction isolation level, select, \
                     insert, update, delete, commit or rollback"
                ));
            }
        },
        Some(token) => return Err(format!("a statement cannot start with {token}")),
    };
    p.end()?;
    Ok(statement)
}

/// Parses `1:10 2:20` (the `rows = …` setting) into rows; ids must be distinct.
pub fn parse_rows(text: &str, line: usize) -> Result<Vec<(i64, i64)>, InputError> {
    let mut rows: Vec<(i64, i64)> = Vec::new();
    for word in text.split([' ', ',']).filter(|w| !w.is_empty()) {
        let (id, value) = word.split_once(':').ok_or_else(|| {
            InputError::at_line(line, format!("`{word}`: write a row as `id:value`, e.g. `1:10`"))
        })?;
        let id = crate::input::parse_number(id.trim(), line, -MAX_NUMBER, MAX_NUMBER)?;
        let value = crate::input::parse_number(value.trim(), line, -MAX_NUMBER, MAX_NUMBER)?;
        if rows.iter().any(|(other, _)| *other == id) {
            return Err(InputError::at_line(line, format!("row id {id} is given twice")));
        }
        if rows.len() == MAX_ROWS {
            return Err(InputError::at_line(line, format!("at most {MAX_ROWS} rows")));
        }
        rows.push((id, value));
    }
    rows.sort_unstable();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Statement {
        parse_statement(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn every_hermitage_statement_parses_and_prints_back() {
        for text in [
            "begin",
            "begin isolation level repeatable read",
            "set transaction isolation level serializable",
            "commit",
            "rollback",
            "select * from test",
            "select * from test where id = 1",
            "select * from test where id in (1, 2)",
            "select * from test where value % 3 = 0",
            "select * from test where value = 30 for update",
            "insert into test (id, value) values (3, 30)",
            "update test set value = 11 where id = 1",
            "update test set value = value + 10",
            "update test set value = value - 5 where value > 10 and id <> 2",
            "delete from test where value = 20",
        ] {
            assert_eq!(parse(text).sql("test"), text, "{text}");
        }
    }

    #[test]
    fn friendly_spellings_are_accepted() {
        assert_eq!(parse("BEGIN;"), Statement::Begin { level: None });
        assert_eq!(parse("start transaction"), Statement::Begin { level: None });
        assert_eq!(parse("set isolation rr"), Statement::SetIsolation(Level::RepeatableRead));
        assert_eq!(parse("abort"), Statement::Rollback);
        assert_eq!(parse("SELECT value FROM test WHERE id = 1").sql("t"), "select * from t where id = 1");
        assert_eq!(parse("insert into test values (4, -42)"), Statement::Insert { rows: vec![(4, -42)] });
        let p = parse("select * from test where (id = 1 or id = 2) and value>=10");
        assert_eq!(p.sql("test"), "select * from test where (id = 1 or id = 2) and value >= 10");
        let Statement::Select { filter, .. } = p else { panic!() };
        assert!(filter.matches(2, 20) && !filter.matches(3, 30) && !filter.matches(1, 5));
        assert!(
            Predicate::Compare { column: Column::Value, modulo: Some(3), op: CmpOp::Eq, right: 0 }
                .matches(9, 42)
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("select * from users", "unknown table `users`: the only table is `test`"),
            ("update test set id = 3", "only `value` can be updated (`set value = …`), found `id`"),
            ("select * from test where value % 0 = 1", "`% 0`: the divisor must be a positive number"),
            ("select * from test where name = 1", "expected the column `id` or `value`, found `name`"),
            (
                "begin isolation level snapshot",
                "`snapshot` is not an isolation level (read uncommitted, read committed, repeatable read, serializable)",
            ),
            (
                "drop table test",
                "unknown statement `drop`: use begin, set transaction isolation level, select, insert, update, delete, commit or rollback",
            ),
            ("commit now", "unexpected `now` after the end of the statement"),
            ("select * from test where id = 1 $", "unexpected character `$`"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_statement(text).unwrap_err(), expected, "{text}");
        }
    }

    #[test]
    fn script_errors_name_their_line() {
        let err = parse_steps("T1: begin\nT1: begin", 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "input line 2: T1 already has an open transaction: `commit` or `rollback` it first"
        );
        let err = parse_steps("T2: commit", 4).unwrap_err();
        assert_eq!(err.line, Some(5));
        let err =
            parse_steps("T1: begin\nT1: select * from test\nT1: set isolation serializable", 0).unwrap_err();
        assert!(err.to_string().starts_with("input line 3: T1 already ran a query"), "{err}");
        let err = parse_steps("T0: begin", 0).unwrap_err();
        assert_eq!(err.to_string(), "input line 1: session `T0`: use T1 to T9");
        let err = parse_steps("T1: selct * from test", 0).unwrap_err();
        assert!(err.to_string().starts_with("input line 1: unknown statement `selct`"), "{err}");
        assert_eq!(parse_rows("1:10 2:20", 1).unwrap(), vec![(1, 10), (2, 20)]);
        assert_eq!(
            parse_rows("1:10 1:20", 7).unwrap_err().to_string(),
            "input line 7: row id 1 is given twice"
        );
    }

    #[test]
    fn levels_parse_in_every_spelling() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.sql()), Some(level));
            assert_eq!(Level::parse(level.key()), Some(level));
            assert_eq!(Level::parse(&level.abbreviation().to_lowercase()), Some(level));
        }
        assert_eq!(Level::parse("REPEATABLE_READ"), Some(Level::RepeatableRead));
        assert_eq!(Level::parse("snapshot"), None);
    }
}
